//! The organisation's membership objects as this vault holds them: signed bytes by
//! id. What they mean is `satchel_sync::member`'s to say; the store keeps them.

use rusqlite::{TransactionBehavior, params};

use satchel_sync::op::OpHeader;

use crate::{Store, StoreError};

/// Which table an object goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberObject {
    /// A certificate.
    Certificate,
    /// A revocation.
    Revocation,
}

impl MemberObject {
    const fn table(self) -> &'static str {
        match self {
            MemberObject::Certificate => "certificates",
            MemberObject::Revocation => "revocations",
        }
    }
}

/// Keeps one object unless held; returns 1 if it was new.
pub(crate) fn put(
    conn: &rusqlite::Connection,
    kind: MemberObject,
    id: &[u8; 32],
    body: &[u8],
) -> Result<usize, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "INSERT INTO {} (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            kind.table()
        ))?
        .execute(params![&id[..], body])?)
}

impl Store {
    /// Keeps objects (id, bytes) in one transaction; ones held already are skipped.
    /// Returns how many were new.
    pub fn member_put(
        &mut self,
        kind: MemberObject,
        objects: &[([u8; 32], Vec<u8>)],
    ) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = 0;
        {
            for (id, body) in objects {
                added += put(&tx, kind, id, body)?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Every object of a kind, by id.
    pub fn member_objects(&self, kind: MemberObject) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT body FROM {} ORDER BY id", kind.table()))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The highest op sequence held from each author, for `member list`.
    pub fn last_seq(&self, author: &[u8; 32]) -> Result<u64, StoreError> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(seq) FROM ops WHERE author = ?1")?
            .query_row([&author[..]], |r| r.get(0))?;
        Ok(seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
    }

    /// Who created a record ([`satchel_sync::authz::creator`]), if this vault holds its
    /// creation. Writes only: a creation is one, and a record has few.
    pub fn record_creator(&self, record: &[u8; 16]) -> Result<Option<[u8; 32]>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT header FROM ops WHERE record = ?1 AND void = 0 AND kind = ?2
             ORDER BY hlc_ms, hlc_counter, author",
        )?;
        // 1: a write (`ops::kind_code`).
        let mut rows = stmt.query(params![&record[..], 1])?;
        let mut headers = Vec::new();
        while let Some(row) = rows.next()? {
            let bytes: Vec<u8> = row.get(0)?;
            headers.push(OpHeader::read(&bytes)?);
        }
        Ok(satchel_sync::authz::creator(&headers).map(|d| d.0))
    }
}
