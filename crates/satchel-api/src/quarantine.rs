//! The quarantine: received ops that are not merged, each with the reason. Ops wait
//! there for their predecessors; forks of a chain and ops whose values do not fit
//! their form are kept there, set aside, so a person can see what a peer sent. None of
//! them ever refuses a bundle. Bounds and expiry: [`satchel_sync::sync::LIMITS`] and
//! `docs/adr/0013-quarantine.md`.

use std::collections::BTreeMap;

use satchel_sync::{
    op::{Body, OpKind},
    sync::{Held, LIMITS, Reason},
};
use serde::Serialize;
use serde_json::Value;

use crate::{
    error::{ApiError, Result},
    records::format_time,
    vault::Vault,
};

/// One op in quarantine, as listed. Peer-supplied text (`detail`) is shown through a
/// neutraliser by every front end.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct QuarantineEntry {
    /// Op id (hex): the handle for `show` and `drop`.
    pub id: String,
    /// `waiting`, `fork` or `invalid` (more may come: show unknown ones as they are).
    pub reason: String,
    /// What failed, in English (names a field; never a value).
    pub detail: String,
    /// Author's short fingerprint.
    pub author: String,
    /// Position in the author's chain.
    pub seq: u64,
    /// Record id.
    pub record: String,
    /// `write`, `delete` or `purge`.
    pub kind: String,
    /// When, by the author's clock (UTC).
    pub time: String,
    /// Bytes held.
    pub size: u64,
    /// Imports it has stayed through.
    pub imports_waited: u64,
    /// Imports after which it is forgotten (a peer that holds it sends it again).
    pub imports_left: u64,
}

/// One op in quarantine with what it would write.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct QuarantinedOp {
    /// The entry.
    pub entry: QuarantineEntry,
    /// The form it names, for a write.
    pub form: Option<String>,
    /// The values it would write, as sent (peer data: neutralise before showing).
    pub fields: BTreeMap<String, Value>,
}

fn kind_name(kind: OpKind) -> &'static str {
    match kind {
        OpKind::Write => "write",
        OpKind::Delete => "delete",
        OpKind::Purge => "purge",
    }
}

fn entry(h: &Held, imports: u64, authors: &crate::org::Authors) -> QuarantineEntry {
    let waited = imports.saturating_sub(h.since);
    QuarantineEntry {
        id: h.op.id.to_hex(),
        reason: h.reason.code().to_owned(),
        detail: h.detail.clone(),
        author: authors.name(&h.op.header.author),
        seq: h.op.header.seq,
        record: h.op.header.record.to_string(),
        kind: kind_name(h.op.header.kind).to_owned(),
        time: format_time(h.op.header.hlc),
        size: h.size() as u64,
        imports_waited: waited,
        imports_left: LIMITS.imports.saturating_sub(waited),
    }
}

impl Vault {
    /// Every op in quarantine: waiting ones first, then by author and sequence.
    pub fn quarantine(&self) -> Result<Vec<QuarantineEntry>> {
        let imports = self.store.imports_done()?;
        let mut held = self.store.quarantined(false)?;
        held.sort_by_key(|h| {
            (
                h.reason != Reason::Waiting,
                h.op.header.author,
                h.op.header.seq,
                h.op.id,
            )
        });
        let authors = self.authors()?;
        Ok(held.iter().map(|h| entry(h, imports, &authors)).collect())
    }

    fn quarantined_one(&self, prefix: &str) -> Result<Held> {
        let p = prefix.trim().to_lowercase();
        let shown: String = p.chars().take(64).collect();
        if p.len() < 8 || !p.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ApiError::NotInQuarantine(shown));
        }
        let mut found: Vec<Held> = self
            .store
            .quarantined(false)?
            .into_iter()
            .filter(|h| h.op.id.to_hex().starts_with(&p))
            .collect();
        match (found.pop(), found.is_empty()) {
            (Some(one), true) => Ok(one),
            _ => Err(ApiError::NotInQuarantine(shown)),
        }
    }

    /// One op in quarantine, by its id or a unique prefix of 8+ hex digits.
    pub fn quarantined_op(&self, id: &str) -> Result<QuarantinedOp> {
        let h = self.quarantined_one(id)?;
        let imports = self.store.imports_done()?;
        let (form, fields) = match &h.op.body {
            Some(Body::Write(w)) => (Some(w.form.clone()), w.fields.clone()),
            _ => (None, BTreeMap::new()),
        };
        Ok(QuarantinedOp {
            entry: entry(&h, imports, &self.authors()?),
            form,
            fields,
        })
    }

    /// Removes one op from quarantine. A peer that holds it may send it again: a
    /// waiting op is not acknowledged, and a fork or an invalid op is set aside again.
    pub fn drop_quarantined(&mut self, id: &str) -> Result<()> {
        let h = self.quarantined_one(id)?;
        if self.store.quarantine_drop(&h.op.id)? {
            Ok(())
        } else {
            Err(ApiError::NotInQuarantine(id.chars().take(64).collect()))
        }
    }
}
