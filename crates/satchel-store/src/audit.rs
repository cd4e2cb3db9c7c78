//! What the transparency logs need from the database: a device's chain of op ids in
//! order (its log's leaves) and the signed checkpoints kept (docs/audit-format.md).

use rusqlite::{OptionalExtension, params};
use satchel_sync::op::DeviceId;

use crate::{Store, StoreError};

/// One op of a record, for an audit opening.
#[derive(Debug, Clone)]
pub struct OpOpening {
    /// The op's id.
    pub id: [u8; 32],
    /// Held void (after a revocation): in its chain, in no record.
    pub void: bool,
    /// Its payload, when held with content and not void.
    pub payload: Option<Vec<u8>>,
}

impl Store {
    /// The ids of `author`'s ops held, by sequence number from 1: its log's leaves.
    /// Stops at the first gap (a chain held only in part has no longer prefix).
    pub fn chain_ids(&self, author: &DeviceId) -> Result<Vec<[u8; 32]>, StoreError> {
        self.chain_ids_after(author, 0)
    }

    /// [`Store::chain_ids`] from sequence number `after` + 1 on.
    pub fn chain_ids_after(
        &self,
        author: &DeviceId,
        after: u64,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        let from = i64::try_from(after).map_err(|_| StoreError::Corrupt("seq"))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id FROM ops WHERE author = ?1 AND seq > ?2 ORDER BY seq",
        )?;
        let mut rows = stmt.query(params![&author.0[..], from])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            if u64::try_from(seq).ok() != Some(after + out.len() as u64 + 1) {
                break;
            }
            let id: Vec<u8> = row.get(1)?;
            out.push(id.try_into().map_err(|_| StoreError::Corrupt("op id"))?);
        }
        Ok(out)
    }

    /// Every op's id in the order this vault accepted it (written here or imported):
    /// the leaves of its accepted-ops log. Ops are never deleted, so their row order
    /// is the order they came in (VACUUM and re-encryption copy rows in that order).
    pub fn accepted_ids(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM ops ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?.try_into().map_err(|_| StoreError::Corrupt("op id"))?);
        }
        Ok(out)
    }

    /// Every op's public parts, by author then sequence number: `f(author, header
    /// bytes, signature)` for each (void ops included: they are in their chains).
    pub fn each_public_op(
        &self,
        mut f: impl FnMut([u8; 32], &[u8], &[u8]),
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT author, header, signature FROM ops ORDER BY author, seq")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let author: Vec<u8> = row.get(0)?;
            let author = author
                .try_into()
                .map_err(|_| StoreError::Corrupt("author"))?;
            let header: Vec<u8> = row.get(1)?;
            let signature: Vec<u8> = row.get(2)?;
            f(author, &header, &signature);
        }
        Ok(())
    }

    /// A record's ops for an audit opening, by id: whether each is void, and its
    /// payload where held with content (not void, not erased or withheld).
    pub fn record_openings(
        &self,
        record: &satchel_sync::op::RecordId,
    ) -> Result<Vec<OpOpening>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, void, CASE WHEN void = 0 THEN payload END FROM ops
             WHERE record = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([&record.0[..]], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, void, payload) = row?;
            out.push(OpOpening {
                id: id.try_into().map_err(|_| StoreError::Corrupt("op id"))?,
                void,
                payload,
            });
        }
        Ok(out)
    }

    /// Keeps a signed checkpoint of log `origin` at `size` (replacing one of the same
    /// size: the same checkpoint with more cosignatures).
    pub fn checkpoint_put(&self, origin: &str, size: u64, note: &[u8]) -> Result<(), StoreError> {
        put_checkpoint(&self.conn, origin, size, note)
    }

    /// The newest bundle sequence seen from `sender`.
    pub fn newest_bundle_seq(&self, sender: &[u8; 32]) -> Result<Option<u64>, StoreError> {
        let seq: Option<i64> = self.conn.query_row(
            "SELECT max(seq) FROM bundles_seen WHERE sender = ?1",
            [&sender[..]],
            |r| r.get(0),
        )?;
        seq.map(|s| u64::try_from(s).map_err(|_| StoreError::Corrupt("seq")))
            .transpose()
    }

    /// The origins of every log with a checkpoint kept.
    pub fn checkpoint_origins(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT origin FROM checkpoints ORDER BY origin")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The newest checkpoint kept of log `origin`: its size and note.
    pub fn checkpoint_latest(&self, origin: &str) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached(
                "SELECT size, note FROM checkpoints WHERE origin = ?1 ORDER BY size DESC LIMIT 1",
            )?
            .query_row([origin], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(size, note)| {
            u64::try_from(size)
                .map(|s| (s, note))
                .map_err(|_| StoreError::Corrupt("size"))
        })
        .transpose()
    }

    /// Every checkpoint kept of log `origin`, smallest first.
    pub fn checkpoints(&self, origin: &str) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT size, note FROM checkpoints WHERE origin = ?1 ORDER BY size")?;
        let rows = stmt.query_map([origin], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (size, note) = row?;
            out.push((
                u64::try_from(size).map_err(|_| StoreError::Corrupt("size"))?,
                note,
            ));
        }
        Ok(out)
    }
}

pub(crate) fn put_checkpoint(
    conn: &rusqlite::Connection,
    origin: &str,
    size: u64,
    note: &[u8],
) -> Result<(), StoreError> {
    let size = i64::try_from(size).map_err(|_| StoreError::Corrupt("size"))?;
    conn.prepare_cached(
        "INSERT INTO checkpoints (origin, size, note) VALUES (?1, ?2, ?3)
         ON CONFLICT (origin, size) DO UPDATE SET note = excluded.note",
    )?
    .execute(params![origin, size, note])?;
    Ok(())
}
