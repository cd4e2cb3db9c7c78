//! Unsaved form input, kept inside the vault: a lock, a crash or a flat battery in the
//! middle of typing loses nothing. The body is the front end's own JSON; its meaning
//! lives in `satchel-api`. A purge erases the purged record's draft with its content.

use rusqlite::{OptionalExtension, Transaction, params};
use satchel_sync::op::RecordId;
use zeroize::Zeroizing;

use crate::{Store, StoreError};

/// One draft as stored.
#[derive(Debug)]
pub struct StoredDraft {
    /// What the draft is for, as `satchel-api` names it.
    pub key: String,
    /// When it was last saved, in Unix milliseconds.
    pub saved_ms: i64,
    /// The front end's input, as it was.
    pub body: Zeroizing<Vec<u8>>,
}

/// The key of the draft of changes to a record.
pub fn record_draft_key(id: &RecordId) -> String {
    format!("record:{id}")
}

/// Deletes a purged record's draft: it holds the record's fields as the form showed
/// them, and a purge erases that content everywhere.
pub(crate) fn erase_record_draft(tx: &Transaction<'_>, id: &RecordId) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM drafts WHERE key = ?1")?
        .execute([record_draft_key(id)])?;
    Ok(())
}

impl Store {
    /// Stores or replaces the draft under `key`.
    pub fn draft_put(&mut self, key: &str, saved_ms: i64, body: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO drafts (key, saved_ms, body) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET saved_ms = excluded.saved_ms, body = excluded.body",
            params![key, saved_ms, body],
        )?;
        Ok(())
    }

    /// The draft under `key`, if any.
    pub fn draft_get(&self, key: &str) -> Result<Option<StoredDraft>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT key, saved_ms, body FROM drafts WHERE key = ?1",
                [key],
                |r| {
                    Ok(StoredDraft {
                        key: r.get(0)?,
                        saved_ms: r.get(1)?,
                        body: Zeroizing::new(r.get(2)?),
                    })
                },
            )
            .optional()?)
    }

    /// Every draft's key and time, newest first.
    pub fn drafts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, saved_ms FROM drafts ORDER BY saved_ms DESC, key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes the draft under `key`; says whether there was one.
    pub fn draft_delete(&mut self, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM drafts WHERE key = ?1", [key])?
            > 0)
    }
}
