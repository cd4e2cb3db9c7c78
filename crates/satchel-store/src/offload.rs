//! Offload: a field device erases the content of records a coordinator holds, and
//! keeps the signed op headers (each with its payload's hash, a commitment) so its
//! chains and the audit still verify (ADR 0018, "Offload").

use rusqlite::TransactionBehavior;
use satchel_sync::op::RecordId;

use crate::{Store, StoreError};

/// A record and, per author, the highest op of it holding content.
pub type RecordHeads = (RecordId, Vec<([u8; 32], u64)>);

/// What an offload erased.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offloaded {
    /// Records whose content is gone from this device.
    pub records: usize,
    /// Op payloads erased.
    pub payloads: usize,
}

impl Store {
    /// Erases every op payload of `records`, their rows, search entries, drafts and
    /// the attachments nothing else refers to, in one transaction; then folds the log
    /// into the database, overwrites the freed attachment slots and compacts the file.
    pub fn offload(&mut self, records: &[RecordId]) -> Result<Offloaded, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Offloaded::default();
        for record in records {
            let n = tx
                .prepare_cached(
                    "UPDATE ops SET payload = NULL WHERE record = ?1 AND payload IS NOT NULL",
                )?
                .execute([&record.0[..]])?;
            out.payloads += n;
            crate::records::refresh(&tx, record, None)?;
            crate::drafts::erase_record_draft(&tx, record)?;
            out.records += 1;
        }
        crate::blobs::drop_orphans(&tx)?;
        crate::search::forget_erased(&tx)?;
        tx.commit()?;
        self.checkpoint()?;
        // A field vault is small, and what was erased should not keep its size:
        // rebuild the file without the freed pages (in memory: `temp_store`), then
        // fold that into the database too.
        self.conn.execute_batch("VACUUM")?;
        self.checkpoint()?;
        Ok(out)
    }

    /// For each record with content here: its id and, per author, the highest op of
    /// it that carries a payload (what a coordinator must have acknowledged).
    pub fn records_with_content(&self) -> Result<Vec<RecordHeads>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record, author, max(seq) FROM ops WHERE payload IS NOT NULL
             GROUP BY record, author ORDER BY record",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out: Vec<RecordHeads> = Vec::new();
        for row in rows {
            let (record, author, seq) = row?;
            let record = RecordId(
                record
                    .as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("record id"))?,
            );
            let author: [u8; 32] = author
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("author"))?;
            let seq = u64::try_from(seq).map_err(|_| StoreError::Corrupt("seq"))?;
            match out.last_mut() {
                Some((r, list)) if *r == record => list.push((author, seq)),
                _ => out.push((record, vec![(author, seq)])),
            }
        }
        Ok(out)
    }
}
