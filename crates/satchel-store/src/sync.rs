//! Peers, what each has acknowledged, bundles seen and quarantined ops; and applying
//! an imported bundle in one transaction.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use satchel_sync::{
    op::{DeviceId, Op, OpId, RecordId},
    sync::{Held, Reason},
    verify::{Facts, Known, SenderChain, VerifiedImport},
    vv::VersionVector,
};

use crate::{BlobWriter, MemberObject, Store, StoreError, ops};

/// A device this vault exchanges bundles with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Local name.
    pub name: String,
    /// Ed25519 key (its id in ops and bundles).
    pub signing: [u8; 32],
    /// X25519 key bundles are sealed to.
    pub agreement: [u8; 32],
    /// Whether the user confirmed its fingerprint (schema 10); a new peer is not.
    pub verified: bool,
}

/// An imported bundle's identity.
#[derive(Debug, Clone)]
pub struct BundleMeta {
    /// Random bundle id.
    pub id: [u8; 16],
    /// Sender's Ed25519 key.
    pub sender: [u8; 32],
    /// Sender's bundle sequence.
    pub seq: u64,
    /// Hash of the body.
    pub hash: [u8; 32],
    /// Hash of the sender's previous body, as the bundle states it.
    pub prev: [u8; 32],
    /// The sender's acknowledgement vector.
    pub acks: VersionVector,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Ops newly applied (including ones released from quarantine).
    pub applied: usize,
    /// Ops already held.
    pub known: usize,
    /// Entries in quarantine after the import (waiting ops and ones set aside).
    pub quarantined: usize,
    /// Records touched.
    pub records: Vec<RecordId>,
    /// A purge was applied: checkpoint so erased content leaves the log.
    pub purged: bool,
}

/// Metadata key prefix of a form version as published, one per form name.
pub const META_FORM_PUB: &str = "form-pub/";

/// Why an import was refused inside the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportRefused {
    /// This bundle id was imported before.
    #[error("already imported")]
    AlreadyImported,
    /// The sender made two different bundles with one sequence number.
    #[error("the sender's bundle sequence forks (two bundles numbered {0})")]
    BundleFork(u64),
    /// An op reuses an author's sequence number with different content.
    #[error("an op reuses its author's sequence number {0} with different content")]
    OpFork(u64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ImportRefused {
    fn from(e: rusqlite::Error) -> Self {
        ImportRefused::Store(e.into())
    }
}

/// Keeps a quarantine entry, or updates its reason and detail when they changed
/// (a row rewritten for nothing would let a peer multiply each bundle's writes).
fn put_held(conn: &rusqlite::Connection, h: &Held) -> Result<(), StoreError> {
    let op = &h.op;
    conn.prepare_cached(
        "INSERT INTO quarantine (id, header, signature, payload, reason, detail, since_import)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail
         WHERE reason != excluded.reason OR detail != excluded.detail",
    )?
    .execute(params![
        &op.id.0[..],
        &op.header_bytes,
        &op.signature[..],
        op.payload.as_deref(),
        h.reason.code(),
        h.detail,
        i64::try_from(h.since).unwrap_or(i64::MAX)
    ])?;
    Ok(())
}

/// Whether the vault holds another op at `op`'s author and sequence (a fork).
fn is_fork(conn: &rusqlite::Connection, op: &Op) -> Result<bool, StoreError> {
    let stored: Option<Vec<u8>> = conn
        .prepare_cached("SELECT id FROM ops WHERE author = ?1 AND seq = ?2")?
        .query_row(
            params![
                &op.header.author.0[..],
                i64::try_from(op.header.seq).unwrap_or(i64::MAX)
            ],
            |r| r.get(0),
        )
        .optional()?;
    Ok(stored.is_some_and(|id| id != op.id.0))
}

fn key32(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into().map_err(|_| StoreError::Corrupt("key"))
}

fn vv_rows(rows: Vec<(Vec<u8>, i64)>) -> Result<VersionVector, StoreError> {
    let mut vv = VersionVector::default();
    for (author, seq) in rows {
        vv.observe(
            DeviceId(key32(author)?),
            u64::try_from(seq).map_err(|_| StoreError::Corrupt("seq"))?,
        );
    }
    Ok(vv)
}

impl Store {
    /// Adds a peer.
    pub fn peer_add(&mut self, peer: &Peer, now_ms: u64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO peers (signing, agreement, name, added_ms, verified)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                &peer.signing[..],
                &peer.agreement[..],
                peer.name,
                i64::try_from(now_ms).unwrap_or(0),
                i64::from(peer.verified)
            ],
        )?;
        Ok(())
    }

    /// Removes a peer and what it acknowledged; returns whether it existed.
    pub fn peer_remove(&mut self, name: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let signing: Option<Vec<u8>> = tx
            .query_row("SELECT signing FROM peers WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(s) = &signing {
            tx.execute("DELETE FROM peer_acks WHERE peer = ?1", [s])?;
            tx.execute("DELETE FROM peers WHERE signing = ?1", [s])?;
        }
        tx.commit()?;
        Ok(signing.is_some())
    }

    /// All peers, by name.
    pub fn peers(&self) -> Result<Vec<Peer>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, signing, agreement, verified FROM peers ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (name, s, a, verified) = row?;
            Ok(Peer {
                name,
                signing: key32(s)?,
                agreement: key32(a)?,
                verified: verified != 0,
            })
        })
        .collect()
    }

    /// Marks the peer with Ed25519 key `signing` as verified; returns whether it
    /// exists.
    pub fn peer_set_verified(&mut self, signing: &[u8; 32]) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE peers SET verified = 1 WHERE signing = ?1",
            [&signing[..]],
        )?;
        Ok(n > 0)
    }

    /// What a peer has acknowledged holding.
    pub fn peer_acks(&self, peer: &[u8; 32]) -> Result<VersionVector, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT author, seq FROM peer_acks WHERE peer = ?1")?;
        let rows = stmt.query_map([&peer[..]], |r| Ok((r.get(0)?, r.get(1)?)))?;
        vv_rows(rows.collect::<Result<_, _>>()?)
    }

    /// Per author, the last sequence held (chains are contiguous).
    pub fn have(&self) -> Result<VersionVector, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT author, max(seq) FROM ops GROUP BY author")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        vv_rows(rows.collect::<Result<_, _>>()?)
    }

    /// Per author, the id of the last op held.
    pub fn heads(&self) -> Result<BTreeMap<DeviceId, OpId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT author, id FROM ops o WHERE seq = (SELECT max(seq) FROM ops WHERE author = o.author)",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (a, id) = row?;
            out.insert(DeviceId(key32(a)?), OpId(key32(id)?));
        }
        Ok(out)
    }

    /// Ops beyond `acked`, by author then sequence: what a peer has not confirmed.
    pub fn ops_after(&self, acked: &VersionVector) -> Result<Vec<Op>, StoreError> {
        let mut out = Vec::new();
        self.each_op_after(acked, |op| {
            out.push(op);
            Ok::<_, StoreError>(())
        })?;
        Ok(out)
    }

    /// [`Store::ops_after`] handed to `f` one at a time, in the same order, so a
    /// caller that writes them out holds one decoded op, not all of them.
    pub fn each_op_after<E: From<StoreError>>(
        &self,
        acked: &VersionVector,
        mut f: impl FnMut(Op) -> Result<(), E>,
    ) -> Result<(), E> {
        for (author, _) in self.have()?.0 {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT header, signature, payload FROM ops WHERE author = ?1 AND seq > ?2 ORDER BY seq",
                )
                .map_err(StoreError::from)?;
            let after = i64::try_from(acked.get(&author)).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![&author.0[..], after], ops::row_parts)
                .map_err(StoreError::from)?;
            for row in rows {
                let (h, s, p) = row.map_err(StoreError::from)?;
                f(Op::from_stored_parts(h, &s, p).map_err(StoreError::from)?)?;
            }
        }
        Ok(())
    }

    /// Everything in quarantine, with why and since which import. `verify` checks each
    /// op's signature and payload again (for ops fed back into planning).
    pub fn quarantined(&self, verify: bool) -> Result<Vec<Held>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT header, signature, payload, reason, detail, since_import FROM quarantine",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                ops::row_parts(r)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ((h, s, p), reason, detail, since) = row?;
            let op = if verify {
                Op::from_parts(h, &s, p)?
            } else {
                Op::from_stored_parts(h, &s, p)?
            };
            out.push(Held {
                op,
                reason: Reason::from_code(&reason).ok_or(StoreError::Corrupt("reason"))?,
                detail,
                since: u64::try_from(since).map_err(|_| StoreError::Corrupt("since"))?,
            });
        }
        Ok(out)
    }

    /// Removes one entry from quarantine; returns whether it was there.
    pub fn quarantine_drop(&mut self, id: &OpId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM quarantine WHERE id = ?1", [&id.0[..]])?
            > 0)
    }

    /// How many bundles this vault has imported: the quarantine's clock, which no
    /// wrong wall clock can move.
    pub fn imports_done(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM bundles_seen", [], |r| r.get(0))?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("count"))
    }

    /// Voids held ops (a revocation made or taken here reaches them): each goes out of
    /// the records, its header stays in its author's chain, and its content waits in
    /// the quarantine with the reason; all in one transaction.
    pub fn void_held(&mut self, entries: &[Held]) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut records = std::collections::BTreeSet::new();
        for h in entries {
            let op = &h.op;
            let n = tx
                .prepare_cached(
                    "UPDATE ops SET void = 1, payload = NULL WHERE id = ?1 AND void = 0",
                )?
                .execute([&op.id.0[..]])?;
            if n == 0 {
                continue;
            }
            records.insert(op.header.record);
            put_held(&tx, h)?;
        }
        for r in &records {
            crate::records::refresh(&tx, r, None)?;
        }
        tx.commit()?;
        Ok(records.len())
    }

    /// The sender's chain of bundles as this vault has seen it, for a bundle with
    /// this id and sequence.
    pub fn sender_chain(
        &self,
        sender: &[u8; 32],
        id: &[u8; 16],
        seq: u64,
    ) -> Result<SenderChain, StoreError> {
        let seq = i64::try_from(seq).map_err(|_| StoreError::Corrupt("seq"))?;
        let already = self
            .conn
            .prepare_cached("SELECT 1 FROM bundles_seen WHERE id = ?1")?
            .exists([&id[..]])?;
        let same = self
            .conn
            .prepare_cached("SELECT 1 FROM bundles_seen WHERE sender = ?1 AND seq = ?2")?
            .exists(params![&sender[..], seq])?;
        let prev: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT hash FROM bundles_seen WHERE sender = ?1 AND seq = ?2")?
            .query_row(params![&sender[..], seq - 1], |r| r.get(0))
            .optional()?;
        Ok(SenderChain {
            already_imported: already,
            same_seq_seen: same && !already,
            prev_hash: prev.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok()),
        })
    }

    /// Starts an import: attachments stream in through the returned transaction,
    /// then [`Importing::finish`] applies the rest. Dropped unfinished, it leaves
    /// the vault as it was.
    pub fn import_begin(&mut self) -> Result<Importing<'_>, StoreError> {
        let pack = self.pack.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Importing { tx, pack })
    }
}

/// An import in progress, inside one transaction.
pub struct Importing<'s> {
    tx: Transaction<'s>,
    pack: Option<crate::pack::Pack>,
}

impl Importing<'_> {
    /// Whether an attachment is stored already.
    pub fn has_blob(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM blobs WHERE hash = ?1")?
            .query_row([&hash[..]], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Whether a record held refers to an attachment.
    pub fn is_referenced(&self, hash: &[u8; 32]) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM record_blobs WHERE hash = ?1 LIMIT 1")?
            .query_row([&hash[..]], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Starts writing an attachment.
    pub fn blob_begin(&self) -> Result<BlobWriter, StoreError> {
        BlobWriter::begin(&self.tx, self.pack.as_ref())
    }

    /// Starts writing an attachment whose bytes the caller checks against `hash`
    /// before [`Importing::finish`] (so they are not hashed twice).
    pub fn blob_begin_checked(&self, hash: [u8; 32]) -> Result<BlobWriter, StoreError> {
        BlobWriter::begin_as(&self.tx, self.pack.as_ref(), Some(hash))
    }

    /// Appends to an attachment.
    pub fn blob_write(&self, w: &mut BlobWriter, data: &[u8]) -> Result<(), StoreError> {
        w.write(&self.tx, data)
    }

    /// Names a written attachment; returns its hash and size.
    pub fn blob_finish(&self, w: BlobWriter) -> Result<([u8; 32], u64), StoreError> {
        w.finish(&self.tx)
    }

    /// Applies a verified import: the ops, withheld payloads filled in, the quarantine
    /// (replaced by the verified one, already bounded), the sender's
    /// acknowledgements, forms, the organisation's new objects, and the bundle's place
    /// in its sender's chain; and commits. A verified import is the only thing this
    /// accepts. The bundle's place and the held ops are checked again here, as a last
    /// defence. When [`ImportOutcome::purged`], call [`Store::checkpoint`].
    pub fn finish(self, v: &VerifiedImport) -> Result<ImportOutcome, ImportRefused> {
        let tx = self.tx;
        let plan = v.plan();
        let quarantine = v.quarantine();
        let meta = BundleMeta {
            id: v.bundle_id(),
            sender: v.sender().0,
            seq: v.sender_seq(),
            hash: v.body_hash(),
            prev: v.prev_bundle(),
            acks: v.acks().clone(),
        };
        let seen: Option<Vec<u8>> = tx
            .query_row(
                "SELECT id FROM bundles_seen WHERE id = ?1",
                [&meta.id[..]],
                |r| r.get(0),
            )
            .optional()?;
        if seen.is_some() {
            return Err(ImportRefused::AlreadyImported);
        }
        let seq = i64::try_from(meta.seq).map_err(|_| StoreError::Corrupt("seq"))?;
        let other: Option<Vec<u8>> = tx
            .query_row(
                "SELECT id FROM bundles_seen WHERE sender = ?1 AND seq = ?2",
                params![&meta.sender[..], seq],
                |r| r.get(0),
            )
            .optional()?;
        if other.is_some() {
            return Err(ImportRefused::BundleFork(meta.seq));
        }
        // When the sender's previous bundle was seen, this one must name it.
        let before: Option<Vec<u8>> = tx
            .query_row(
                "SELECT hash FROM bundles_seen WHERE sender = ?1 AND seq = ?2",
                params![&meta.sender[..], seq - 1],
                |r| r.get(0),
            )
            .optional()?;
        if before.is_some_and(|h| h != meta.prev) {
            return Err(ImportRefused::BundleFork(meta.seq));
        }
        for op in &plan.known {
            if is_fork(&tx, op)? {
                return Err(ImportRefused::OpFork(op.header.seq));
            }
        }
        let mut refilled = std::collections::BTreeSet::new();
        for op in v.refills() {
            let n = tx
                .prepare_cached("UPDATE ops SET payload = ?2 WHERE id = ?1 AND payload IS NULL")?
                .execute(params![&op.id.0[..], op.payload.as_deref()])?;
            if n > 0 {
                refilled.insert(op.header.record);
            }
        }
        // Ops a revocation now voids leave the records (their content is in the
        // quarantine); ops the rules now allow come back with their content.
        for id in v.to_void() {
            let record: Option<Vec<u8>> = tx
                .prepare_cached(
                    "UPDATE ops SET void = 1, payload = NULL WHERE id = ?1 AND void = 0
                     RETURNING record",
                )?
                .query_row([&id.0[..]], |r| r.get(0))
                .optional()?;
            if let Some(r) = record {
                refilled.insert(RecordId(
                    r.try_into().map_err(|_| StoreError::Corrupt("record id"))?,
                ));
            }
        }
        for op in v.unvoid() {
            let n = tx
                .prepare_cached("UPDATE ops SET void = 0, payload = ?2 WHERE id = ?1 AND void = 1")?
                .execute(params![&op.id.0[..], op.payload.as_deref()])?;
            if n > 0 {
                refilled.insert(op.header.record);
            }
        }
        let mut applied = ops::apply(&tx, None, &plan.apply, &[], v.void_ids())?;
        for record in refilled {
            if applied.touched.insert(record) {
                crate::records::refresh(&tx, &record, None)?;
            }
        }
        // Only what changed is written: a full quarantine is up to 64 MiB, and
        // rewriting it at every import would let a peer multiply each bundle's writes.
        let kept: std::collections::BTreeSet<&[u8]> =
            quarantine.iter().map(|h| &h.op.id.0[..]).collect();
        let held: Vec<Vec<u8>> = tx
            .prepare("SELECT id FROM quarantine")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in held.iter().filter(|id| !kept.contains(id.as_slice())) {
            tx.prepare_cached("DELETE FROM quarantine WHERE id = ?1")?
                .execute([id])?;
        }
        for h in quarantine {
            put_held(&tx, h)?;
        }
        for (author, s) in &meta.acks.0 {
            tx.prepare_cached(
                "INSERT INTO peer_acks (peer, author, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer, author) DO UPDATE SET seq = max(seq, excluded.seq)",
            )?
            .execute(params![
                &meta.sender[..],
                &author.0[..],
                i64::try_from(*s).unwrap_or(i64::MAX)
            ])?;
        }
        for c in v.certificates() {
            crate::org::put(&tx, MemberObject::Certificate, &c.id().0, &c.write())?;
        }
        for r in v.revocations() {
            crate::org::put(&tx, MemberObject::Revocation, &r.id().0, &r.write())?;
        }
        for (name, p) in v.publications() {
            crate::connection::meta_put(&tx, &format!("{META_FORM_PUB}{name}"), &p.write())?;
        }
        for f in v.forms() {
            let json = f
                .to_json()
                .map_err(|_| StoreError::Corrupt("form definition"))?;
            let (name, version) = (&f.name, f.version);
            tx.prepare_cached(
                "INSERT INTO forms (name, version, definition) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET version = excluded.version,
                     definition = excluded.definition WHERE excluded.version > forms.version",
            )?
            .execute(params![name, version, json])?;
            crate::forms::keep_version(&tx, name, version, &json)?;
        }
        for c in v.checkpoints() {
            crate::audit::put_checkpoint(&tx, &c.origin, c.size, &c.note)?;
        }
        tx.execute(
            "INSERT INTO bundles_seen (id, sender, seq, hash) VALUES (?1, ?2, ?3, ?4)",
            params![&meta.id[..], &meta.sender[..], seq, &meta.hash[..]],
        )?;
        tx.commit()?;
        Ok(ImportOutcome {
            purged: applied.purged,
            applied: applied.added,
            known: plan.known.len(),
            quarantined: quarantine.len(),
            records: applied.touched.into_iter().collect(),
        })
    }
}

/// Verification's lookups answered from the database.
impl Known for Store {
    type Error = StoreError;

    fn record(&self, id: &RecordId) -> Result<Option<Facts>, StoreError> {
        let Some(created_by) = self.record_creator(&id.0)? else {
            return Ok(None);
        };
        let assigned_to = self
            .record(id)?
            .map(|r| r.state.assigned_to())
            .unwrap_or_default();
        Ok(Some(Facts {
            created_by: DeviceId(created_by),
            assigned_to,
        }))
    }

    fn op_at(&self, author: &DeviceId, seq: u64) -> Result<Option<OpId>, StoreError> {
        let seq = i64::try_from(seq).map_err(|_| StoreError::Corrupt("seq"))?;
        let id: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT id FROM ops WHERE author = ?1 AND seq = ?2")?
            .query_row(params![&author.0[..], seq], |r| r.get(0))
            .optional()?;
        id.map(|b| {
            <[u8; 32]>::try_from(b.as_slice())
                .map(OpId)
                .map_err(|_| StoreError::Corrupt("op id"))
        })
        .transpose()
    }

    fn withheld(&self, id: &OpId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM ops WHERE id = ?1 AND payload IS NULL AND void = 0")?
            .exists([&id.0[..]])?)
    }

    fn is_void(&self, id: &OpId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM ops WHERE id = ?1 AND void = 1")?
            .exists([&id.0[..]])?)
    }

    fn held_op(&self, author: &DeviceId, seq: u64) -> Result<Option<Op>, StoreError> {
        let seq = i64::try_from(seq).map_err(|_| StoreError::Corrupt("seq"))?;
        let parts = self
            .conn
            .prepare_cached(
                "SELECT header, signature, payload FROM ops
                 WHERE author = ?1 AND seq = ?2 AND void = 0",
            )?
            .query_row(params![&author.0[..], seq], ops::row_parts)
            .optional()?;
        parts
            .map(|(h, s, p)| Op::from_stored_parts(h, &s, p).map_err(StoreError::from))
            .transpose()
    }

    fn stop(&self) -> bool {
        self.cancel_flag()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }
}
