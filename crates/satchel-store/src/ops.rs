//! The op log: the source of truth. Every change arrives here as ops; the records
//! view is recomputed from the ops of each record they touch, in the same transaction.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use satchel_sync::{
    hlc::Hlc,
    op::{DeviceId, Op, OpId, OpKind, RecordId},
    vv::VersionVector,
};

use crate::{Store, StoreError, records};

fn kind_code(kind: OpKind) -> i64 {
    match kind {
        OpKind::Write => 1,
        OpKind::Delete => 2,
        OpKind::Purge => 3,
    }
}

impl Store {
    /// The last sequence number and op id of `author`'s chain.
    pub fn chain_head(&self, author: &DeviceId) -> Result<(u64, Option<OpId>), StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT seq, id FROM ops WHERE author = ?1 ORDER BY seq DESC LIMIT 1",
                [&author.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => Ok((0, None)),
            Some((seq, id)) => Ok((
                u64::try_from(seq).map_err(|_| StoreError::Corrupt("seq"))?,
                Some(OpId(
                    id.try_into().map_err(|_| StoreError::Corrupt("op id"))?,
                )),
            )),
        }
    }

    /// The latest clock of any op held.
    pub fn last_hlc(&self) -> Result<Hlc, StoreError> {
        let row: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT hlc_ms, hlc_counter FROM ops ORDER BY hlc_ms DESC, hlc_counter DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map_or(Hlc::default(), |(ms, c)| Hlc {
            wall_ms: u64::try_from(ms).unwrap_or(0),
            counter: u32::try_from(c).unwrap_or(0),
        }))
    }

    /// The record's version vector: per author, the highest op on it held here.
    pub fn record_context(&self, record: &RecordId) -> Result<VersionVector, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT author, max(seq) FROM ops WHERE record = ?1 GROUP BY author")?;
        let mut vv = VersionVector::default();
        let rows = stmt.query_map([&record.0[..]], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (author, seq) = row?;
            let author = DeviceId(
                author
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("author"))?,
            );
            vv.observe(
                author,
                u64::try_from(seq).map_err(|_| StoreError::Corrupt("seq"))?,
            );
        }
        Ok(vv)
    }

    /// Every op of one record, verified as it is read.
    pub fn record_ops(&self, record: &RecordId) -> Result<Vec<Op>, StoreError> {
        load_ops(&self.conn, record)
    }

    /// Every op in the log, by author then sequence.
    pub fn all_ops(&self) -> Result<Vec<Op>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT header, signature, payload FROM ops ORDER BY author, seq")?;
        let rows = stmt.query_map([], row_parts)?;
        let mut out = Vec::new();
        for row in rows {
            let (header, sig, payload) = row?;
            out.push(Op::from_parts(header, &sig, payload)?);
        }
        Ok(out)
    }

    /// Verifies the whole log: each op's canonical header, signature and payload hash,
    /// each author's chain from sequence 1 without gaps or forks, and the records view
    /// against a replay.
    pub fn verify_log(&self) -> Result<LogReport, StoreError> {
        // Every page's HMAC first: damage anywhere in the file is found here, not
        // only in pages a command happens to read.
        let mut stmt = self.conn.prepare("PRAGMA cipher_integrity_check")?;
        if stmt.query_map([], |_| Ok(()))?.next().is_some() {
            return Err(StoreError::Damaged);
        }
        drop(stmt);
        if !self.integrity_check()? {
            return Err(StoreError::Damaged);
        }
        let ops = self.all_ops()?;
        let mut chains: std::collections::BTreeMap<DeviceId, Vec<&Op>> = Default::default();
        for op in &ops {
            chains.entry(op.header.author).or_default().push(op);
        }
        for chain in chains.values() {
            satchel_sync::op::verify_chain(chain.iter().copied(), 1, None)?;
        }
        let mismatched = self.verify_view()?.len();
        Ok(LogReport {
            ops: ops.len(),
            authors: chains.len(),
            mismatched,
        })
    }

    /// Appends ops and attachment contents in one transaction and updates the view of
    /// every record they touch. Ops already held are skipped (their id is the hash of
    /// their header, so a repeat is the same op). Returns how many were new.
    pub fn commit(&mut self, ops: &[Op], blobs: &[([u8; 32], &[u8])]) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied = apply(&tx, self.pack.as_ref(), ops, blobs, &BTreeSet::new())?;
        tx.commit()?;
        if applied.purged {
            self.checkpoint()?;
        }
        Ok(applied.added)
    }
}

/// What [`apply`] did inside its transaction.
pub(crate) struct Applied {
    pub(crate) added: usize,
    pub(crate) touched: BTreeSet<RecordId>,
    pub(crate) purged: bool,
}

/// Inserts ops and blobs and refreshes every record they touch, inside `tx`.
pub(crate) fn apply(
    tx: &Transaction<'_>,
    pack: Option<&crate::pack::Pack>,
    ops: &[Op],
    blobs: &[([u8; 32], &[u8])],
    void: &BTreeSet<OpId>,
) -> Result<Applied, StoreError> {
    let mut touched = BTreeSet::new();
    // Records with no ops before this transaction can be computed from memory.
    let mut fresh: BTreeMap<RecordId, Vec<&Op>> = BTreeMap::new();
    let mut checked = BTreeSet::new();
    for op in ops {
        let record = op.header.record;
        if checked.insert(record) {
            let known: bool = tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM ops WHERE record = ?1)")?
                .query_row([&record.0[..]], |r| r.get(0))?;
            if !known {
                fresh.insert(record, Vec::new());
            }
        }
    }
    let mut erased = BTreeSet::new();
    let mut added = 0;
    for (hash, data) in blobs {
        if crate::blobs::put(tx, pack, data)? != *hash {
            return Err(StoreError::Corrupt("attachment does not match its hash"));
        }
    }
    for op in ops {
        let h = &op.header;
        let n = tx
            .prepare_cached(
                "INSERT INTO ops (id, author, seq, record, kind, hlc_ms, hlc_counter,
                                  header, signature, payload, void)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                &op.id.0[..],
                &h.author.0[..],
                i64::try_from(h.seq).map_err(|_| StoreError::Corrupt("seq"))?,
                &h.record.0[..],
                kind_code(h.kind),
                i64::try_from(h.hlc.wall_ms).map_err(|_| StoreError::Corrupt("hlc"))?,
                i64::from(h.hlc.counter),
                &op.header_bytes,
                &op.signature[..],
                if void.contains(&op.id) {
                    None
                } else {
                    op.payload.as_deref()
                },
                void.contains(&op.id),
            ])?;
        // A void op is in its author's chain and nowhere else.
        if n > 0 && !void.contains(&op.id) {
            added += n;
            touched.insert(h.record);
            if let Some(list) = fresh.get_mut(&h.record) {
                list.push(op);
            }
            if h.kind == OpKind::Purge {
                erased.insert(h.record);
            }
        }
    }
    for record in &touched {
        records::refresh(tx, record, fresh.get(record).map(Vec::as_slice))?;
    }
    for record in &erased {
        crate::drafts::erase_record_draft(tx, record)?;
    }
    let purged = !erased.is_empty();
    if purged {
        drop_orphan_blobs(tx)?;
        crate::search::forget_erased(tx)?;
    }
    Ok(Applied {
        added,
        touched,
        purged,
    })
}

/// What [`Store::verify_log`] checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogReport {
    /// Ops verified.
    pub ops: usize,
    /// Device chains.
    pub authors: usize,
    /// Records whose view differs from a replay.
    pub mismatched: usize,
}

pub(crate) type Parts = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

pub(crate) fn row_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<Parts> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

pub(crate) fn load_ops(
    conn: &rusqlite::Connection,
    record: &RecordId,
) -> Result<Vec<Op>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT header, signature, payload FROM ops WHERE record = ?1 AND void = 0
         ORDER BY hlc_ms, hlc_counter, author",
    )?;
    let rows = stmt.query_map([&record.0[..]], row_parts)?;
    let mut out = Vec::new();
    for row in rows {
        let (header, sig, payload) = row?;
        out.push(Op::from_stored_parts(header, &sig, payload)?);
    }
    Ok(out)
}

/// Erases the payloads of ops that a purge covers.
pub(crate) fn erase_payloads(tx: &Transaction<'_>, ids: &[OpId]) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached("UPDATE ops SET payload = NULL WHERE id = ?1")?;
    for id in ids {
        stmt.execute([&id.0[..]])?;
    }
    Ok(())
}

fn drop_orphan_blobs(tx: &Transaction<'_>) -> Result<(), StoreError> {
    crate::blobs::drop_orphans(tx)
}
