//! Attachment contents, keyed by their BLAKE3 hash, inside the encrypted database.

use rusqlite::OptionalExtension;

use crate::{Store, StoreError};

impl Store {
    /// An attachment's bytes.
    pub fn blob(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT data FROM blobs WHERE hash = ?1", [&hash[..]], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Whether an attachment is stored.
    pub fn has_blob(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM blobs WHERE hash = ?1", [&hash[..]], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }
}
