//! Attachment contents inside the encrypted database, in chunks of [`BLOB_CHUNK`]
//! bytes, so an attachment of any size is written and read in constant memory.
//!
//! `blobs` names each attachment by its BLAKE3 hash; `blob_chunks` holds its bytes:
//! a full chunk sealed in a slot of the pack (`crate::pack`), the last partial one
//! inside the database. A row is written with no hash while its bytes arrive (the
//! hash is known only at the end), then named, or dropped when that attachment is
//! already stored.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use satchel_crypto::hash;
use zeroize::Zeroizing;

use crate::pack::{Pack, SLOT, Sealer};
use crate::{Store, StoreError};

/// Where a chunk's bytes start in the writer's buffer: room for the nonce, so a
/// full chunk is sealed in place.
const AT: usize = satchel_crypto::pack::NONCE_LEN;

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
    /// Nonce room, then the chunk's bytes so far.
    buf: Zeroizing<Vec<u8>>,
    /// Full chunks go here; `None` keeps them in the database (schema tests).
    pack: Option<Pack>,
    /// Seals and writes full chunks beside this thread, from the second one on.
    sealer: Option<Sealer>,
}

impl BlobWriter {
    pub(crate) fn begin(conn: &Connection, pack: Option<&Pack>) -> Result<Self, StoreError> {
        Self::begin_as(conn, pack, None)
    }

    /// `known`: the hash the caller checks the bytes against before the
    /// transaction commits (a bundle's attachments are checked as they are read).
    pub(crate) fn begin_as(
        conn: &Connection,
        pack: Option<&Pack>,
        known: Option<[u8; 32]>,
    ) -> Result<Self, StoreError> {
        conn.prepare_cached("INSERT INTO blobs (hash, size) VALUES (NULL, 0)")?
            .execute([])?;
        Ok(Self {
            id: conn.last_insert_rowid(),
            n: 0,
            size: 0,
            hasher: known.is_none().then(hash::content_hasher),
            known,
            buf: Self::fresh_buffer(),
            pack: pack.cloned(),
            sealer: None,
        })
    }

    fn fresh_buffer() -> Zeroizing<Vec<u8>> {
        let mut b = Vec::with_capacity(SLOT);
        b.resize(AT, 0);
        Zeroizing::new(b)
    }

    fn flush(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let filled = self.buf.len() - AT;
        if filled == 0 {
            return Ok(());
        }
        match &self.pack {
            Some(pack) if filled == BLOB_CHUNK => {
                let sealer = self.sealer.get_or_insert_with(|| pack.sealer(self.id));
                let slot = sealer.pack().allocate(conn)?;
                let mut buf = std::mem::replace(&mut self.buf, Self::fresh_buffer());
                buf.resize(SLOT, 0);
                sealer.send(slot, self.n, buf)?;
                let slot = i64::try_from(slot).map_err(|_| StoreError::Corrupt("pack slot"))?;
                conn.prepare_cached(
                    "INSERT INTO blob_chunks (blob, n, data, slot) VALUES (?1, ?2, X'', ?3)",
                )?
                .execute(params![self.id, self.n, slot])?;
            }
            _ => {
                conn.prepare_cached("INSERT INTO blob_chunks (blob, n, data) VALUES (?1, ?2, ?3)")?
                    .execute(params![
                        self.id,
                        self.n,
                        self.buf.get(AT..).unwrap_or_default()
                    ])?;
            }
        }
        self.n += 1;
        self.buf.truncate(AT);
        Ok(())
    }

    pub(crate) fn write(&mut self, conn: &Connection, mut data: &[u8]) -> Result<(), StoreError> {
        if let Some(h) = self.hasher.as_mut() {
            h.update(data);
        }
        self.size += data.len() as u64;
        while !data.is_empty() {
            let room = BLOB_CHUNK - (self.buf.len() - AT);
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = rest;
            if self.buf.len() - AT == BLOB_CHUNK {
                self.flush(conn)?;
            }
        }
        Ok(())
    }

    /// Names the attachment by its hash; one already stored is kept instead.
    pub(crate) fn finish(mut self, conn: &Connection) -> Result<([u8; 32], u64), StoreError> {
        self.flush(conn)?;
        // Every slot is written before the rows that name them can commit.
        if let Some(sealer) = self.sealer.take() {
            sealer.finish()?;
        }
        let hash = match (self.known, &self.hasher) {
            (Some(known), _) => known,
            (None, Some(h)) => *h.finalize().as_bytes(),
            (None, None) => return Err(StoreError::Corrupt("attachment hash")),
        };
        let size = i64::try_from(self.size).map_err(|_| StoreError::Corrupt("size"))?;
        if blob_id(conn, &hash)?.is_some() {
            discard(conn, self.pack.as_ref(), self.id)?;
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

/// Drops an attachment written in this transaction (its slots are this
/// transaction's own, so they are released at once).
fn discard(conn: &Connection, pack: Option<&Pack>, id: i64) -> Result<(), StoreError> {
    let slots: Vec<i64> = conn
        .prepare_cached("SELECT slot FROM blob_chunks WHERE blob = ?1 AND slot IS NOT NULL")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    conn.prepare_cached("DELETE FROM blob_chunks WHERE blob = ?1")?
        .execute([id])?;
    if let Some(pack) = pack {
        pack.release(&slots)?;
    }
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
pub(crate) fn put(
    conn: &Connection,
    pack: Option<&Pack>,
    data: &[u8],
) -> Result<[u8; 32], StoreError> {
    let mut w = BlobWriter::begin(conn, pack)?;
    w.write(conn, data)?;
    Ok(w.finish(conn)?.0)
}

/// Drops attachments no record refers to, and any left unnamed by an interrupted
/// write.
pub(crate) fn drop_orphans(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "INSERT OR IGNORE INTO pack_scrub (slot)
             SELECT slot FROM blob_chunks WHERE slot IS NOT NULL AND blob IN (
                 SELECT id FROM blobs
                 WHERE hash IS NULL OR hash NOT IN (SELECT hash FROM record_blobs));
         DELETE FROM blob_chunks WHERE blob IN (
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
        // The chunk list first; sealed chunks are then read ahead on a worker thread.
        let mut chunks: Vec<(i64, Option<i64>)> = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT n, slot FROM blob_chunks WHERE blob = ?1 ORDER BY n")
                .map_err(StoreError::from)?;
            let mut rows = stmt.query([id]).map_err(StoreError::from)?;
            while let Some(row) = rows.next().map_err(StoreError::from)? {
                chunks.push((
                    row.get(0).map_err(StoreError::from)?,
                    row.get(1).map_err(StoreError::from)?,
                ));
            }
        }
        let mut rest = chunks.as_slice();
        while let Some((n, slot)) = rest.first() {
            if slot.is_some() {
                // The run of sealed chunks from here.
                let run = rest.iter().take_while(|(_, s)| s.is_some()).count();
                let (sealed, after) = rest.split_at(run);
                let slots = sealed
                    .iter()
                    .map(|(n, s)| {
                        let slot = s
                            .and_then(|s| u64::try_from(s).ok())
                            .ok_or(StoreError::Corrupt("pack slot"))?;
                        Ok((slot, *n))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                self.pack()?.read_ahead(id, slots, &mut f)?;
                rest = after;
            } else {
                let data: Zeroizing<Vec<u8>> = Zeroizing::new(
                    self.conn
                        .prepare_cached("SELECT data FROM blob_chunks WHERE blob = ?1 AND n = ?2")
                        .map_err(StoreError::from)?
                        .query_row(params![id, n], |r| r.get(0))
                        .map_err(StoreError::from)?,
                );
                f(&data)?;
                rest = rest.get(1..).unwrap_or_default();
            }
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
        let pack = self.pack.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let writer = BlobWriter::begin(&tx, pack.as_ref())?;
        Ok(StagedBlob { tx, writer })
    }

    /// Drops attachments that no record refers to.
    pub fn drop_orphan_blobs(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        drop_orphans(&tx)?;
        tx.commit()?;
        self.pack()?.scrub_freed(&self.conn)
    }
}
