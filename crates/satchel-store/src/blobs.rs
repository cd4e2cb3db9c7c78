//! Attachment contents inside the encrypted database, in chunks of [`BLOB_CHUNK`]
//! bytes, so an attachment of any size is written and read in constant memory.
//!
//! `blobs` names each attachment by its BLAKE3 hash; `blob_chunks` holds its bytes.
//! A row is written with no hash while its bytes arrive (the hash is known only at
//! the end), then named, or dropped when that attachment is already stored.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use satchel_crypto::hash;
use zeroize::Zeroizing;

use crate::{Store, StoreError};

/// Bytes per stored chunk.
pub const BLOB_CHUNK: usize = 1024 * 1024;

/// An attachment being written: bytes go in with [`BlobWriter::write`], the hash
/// comes out of [`BlobWriter::finish`].
pub struct BlobWriter {
    id: i64,
    n: i64,
    size: u64,
    /// Hashes the bytes, unless the caller checks them against a known hash.
    hasher: Option<hash::Hasher>,
    known: Option<[u8; 32]>,
    buf: Zeroizing<Vec<u8>>,
}

impl BlobWriter {
    pub(crate) fn begin(conn: &Connection) -> Result<Self, StoreError> {
        Self::begin_as(conn, None)
    }

    /// `known`: the hash the caller checks the bytes against before the
    /// transaction commits (a bundle's attachments are checked as they are read).
    pub(crate) fn begin_as(conn: &Connection, known: Option<[u8; 32]>) -> Result<Self, StoreError> {
        conn.prepare_cached("INSERT INTO blobs (hash, size) VALUES (NULL, 0)")?
            .execute([])?;
        Ok(Self {
            id: conn.last_insert_rowid(),
            n: 0,
            size: 0,
            hasher: known.is_none().then(hash::content_hasher),
            known,
            buf: Zeroizing::new(Vec::with_capacity(BLOB_CHUNK)),
        })
    }

    fn flush(&mut self, conn: &Connection) -> Result<(), StoreError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        conn.prepare_cached("INSERT INTO blob_chunks (blob, n, data) VALUES (?1, ?2, ?3)")?
            .execute(params![self.id, self.n, &self.buf[..]])?;
        self.n += 1;
        self.buf.clear();
        Ok(())
    }

    pub(crate) fn write(&mut self, conn: &Connection, mut data: &[u8]) -> Result<(), StoreError> {
        if let Some(h) = self.hasher.as_mut() {
            h.update(data);
        }
        self.size += data.len() as u64;
        while !data.is_empty() {
            let room = BLOB_CHUNK - self.buf.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = rest;
            if self.buf.len() == BLOB_CHUNK {
                self.flush(conn)?;
            }
        }
        Ok(())
    }

    /// Names the attachment by its hash; one already stored is kept instead.
    pub(crate) fn finish(mut self, conn: &Connection) -> Result<([u8; 32], u64), StoreError> {
        self.flush(conn)?;
        let hash = match (self.known, &self.hasher) {
            (Some(known), _) => known,
            (None, Some(h)) => *h.finalize().as_bytes(),
            (None, None) => return Err(StoreError::Corrupt("attachment hash")),
        };
        let size = i64::try_from(self.size).map_err(|_| StoreError::Corrupt("size"))?;
        if blob_id(conn, &hash)?.is_some() {
            discard(conn, self.id)?;
        } else {
            conn.prepare_cached("UPDATE blobs SET hash = ?1, size = ?2 WHERE id = ?3")?
                .execute(params![&hash[..], size, self.id])?;
        }
        Ok((hash, self.size))
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }
}

fn discard(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM blob_chunks WHERE blob = ?1")?
        .execute([id])?;
    conn.prepare_cached("DELETE FROM blobs WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

fn blob_id(conn: &Connection, hash: &[u8; 32]) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM blobs WHERE hash = ?1")?
        .query_row([&hash[..]], |r| r.get(0))
        .optional()?)
}

/// Stores `data` whole (small attachments, tests).
pub(crate) fn put(conn: &Connection, data: &[u8]) -> Result<[u8; 32], StoreError> {
    let mut w = BlobWriter::begin(conn)?;
    w.write(conn, data)?;
    Ok(w.finish(conn)?.0)
}

/// Drops attachments no record refers to, and any left unnamed by an interrupted
/// write.
pub(crate) fn drop_orphans(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "DELETE FROM blob_chunks WHERE blob IN (
             SELECT id FROM blobs
             WHERE hash IS NULL OR hash NOT IN (SELECT hash FROM record_blobs));
         DELETE FROM blobs
             WHERE hash IS NULL OR hash NOT IN (SELECT hash FROM record_blobs);",
    )?;
    Ok(())
}

/// An attachment being stored from outside the vault in its own transaction:
/// nothing is kept unless [`StagedBlob::commit`] is reached.
pub struct StagedBlob<'s> {
    tx: Transaction<'s>,
    writer: BlobWriter,
}

impl StagedBlob<'_> {
    /// Appends bytes.
    pub fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        self.writer.write(&self.tx, data)
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.writer.size
    }

    /// Stores the attachment; returns its hash and size. It stays until a sweep
    /// finds no record that refers to it.
    pub fn commit(self) -> Result<([u8; 32], u64), StoreError> {
        let out = self.writer.finish(&self.tx)?;
        self.tx.commit()?;
        Ok(out)
    }
}

impl Store {
    /// An attachment's bytes, whole: for attachments small enough to hold.
    pub fn blob(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        let found = self.blob_read(hash, |piece| {
            out.extend_from_slice(piece);
            Ok::<(), StoreError>(())
        })?;
        Ok(found.then_some(out))
    }

    /// Hands an attachment's chunks to `f` in order, one in memory at a time.
    /// Returns whether it is stored.
    pub fn blob_read<E: From<StoreError>>(
        &self,
        hash: &[u8; 32],
        mut f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<bool, E> {
        let Some(id) = blob_id(&self.conn, hash)? else {
            return Ok(false);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM blob_chunks WHERE blob = ?1 ORDER BY n")
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([id]).map_err(StoreError::from)?;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let data = row.get_ref(0).map_err(StoreError::from)?;
            f(data
                .as_blob()
                .map_err(|_| StoreError::Corrupt("attachment chunk"))?)?;
        }
        Ok(true)
    }

    /// An attachment's size, if it is stored.
    pub fn blob_size(&self, hash: &[u8; 32]) -> Result<Option<u64>, StoreError> {
        let size: Option<i64> = self
            .conn
            .prepare_cached("SELECT size FROM blobs WHERE hash = ?1")?
            .query_row([&hash[..]], |r| r.get(0))
            .optional()?;
        Ok(size.map(|s| u64::try_from(s).unwrap_or(0)))
    }

    /// Whether an attachment is stored.
    pub fn has_blob(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        Ok(blob_id(&self.conn, hash)?.is_some())
    }

    /// Starts storing an attachment whose hash is not known yet.
    pub fn blob_stage(&mut self) -> Result<StagedBlob<'_>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let writer = BlobWriter::begin(&tx)?;
        Ok(StagedBlob { tx, writer })
    }

    /// Drops attachments that no record refers to.
    pub fn drop_orphan_blobs(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        drop_orphans(&tx)?;
        tx.commit()?;
        Ok(())
    }
}
