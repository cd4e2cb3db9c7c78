//! The merge: a record's state is a pure function of the set of its ops.
//!
//! - An op is *erased* when a purge covers it (the purge's context has seen it).
//!   Erased ops take no part in anything below.
//! - Each field is a multi-value register: its values are the writes of that field
//!   that no other write of that field has seen. More than one value is a conflict;
//!   all are kept, ordered by (clock, author) descending so the first is a
//!   deterministic default.
//! - Presence is a register too, written by writes (present) and deletes/purges
//!   (absent). The record is shown unless every unseen presence op is a delete, so an
//!   edit concurrent with a delete survives it, with all the record's fields.
//!
//! Because the result depends only on the set, any delivery order gives the same
//! records (DESIGN §5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    hlc::Hlc,
    op::{Body, DeviceId, OpId, OpKind, OpView},
};

/// One value of a field, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldValue {
    /// The value (`null` means the field was cleared).
    pub value: serde_json::Value,
    /// The op that wrote it.
    pub op: OpId,
    /// Who wrote it.
    pub author: DeviceId,
    /// When.
    pub hlc: Hlc,
}

/// A record as the merge sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordState {
    /// Form of the most recent write.
    pub form: String,
    /// The form's version the most recent write was made with: a record keeps it
    /// when a newer version is published, until it is edited with that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_version: Option<i64>,
    /// Field id → its current values, default first. Fields whose only value is
    /// `null` are left out.
    pub fields: BTreeMap<String, Vec<FieldValue>>,
    /// Whether the record is deleted (a tombstone).
    pub deleted: bool,
    /// A delete and a concurrent edit both stand: the record is shown, and the
    /// delete is waiting to be confirmed or dismissed.
    pub delete_conflict: bool,
    /// Earliest write.
    pub created: Hlc,
    /// Latest op.
    pub updated: Hlc,
}

impl RecordState {
    /// The default (first) value of `field`, if set.
    pub fn value(&self, field: &str) -> Option<&serde_json::Value> {
        self.fields
            .get(field)
            .and_then(|v| v.first())
            .map(|v| &v.value)
    }

    /// The members the record is assigned to: every `@assigned/` field one of whose
    /// values is `true` (concurrent assign and unassign: assigned, so nobody loses
    /// access to work by a race).
    pub fn assigned_to(&self) -> Vec<crate::op::DeviceId> {
        self.fields
            .iter()
            .filter_map(|(k, values)| {
                let hex = k.strip_prefix(crate::op::ASSIGNED_PREFIX)?;
                if !values
                    .iter()
                    .any(|v| v.value == serde_json::Value::Bool(true))
                {
                    return None;
                }
                crate::op::OpId::from_hex(hex).map(|id| crate::op::DeviceId(id.0))
            })
            .collect()
    }

    /// Fields with more than one value.
    pub fn conflicts(&self) -> impl Iterator<Item = (&String, &Vec<FieldValue>)> {
        self.fields.iter().filter(|(_, v)| v.len() > 1)
    }
}

fn seen_by(op: &OpView<'_>, later: &OpView<'_>) -> bool {
    later
        .header
        .context
        .covers(&op.header.author, op.header.seq)
}

/// Whether `op` is erased by one of `purges`.
pub fn is_erased(op: &OpView<'_>, purges: &[OpView<'_>]) -> bool {
    purges.iter().any(|p| seen_by(op, p))
}

/// Computes a record's state from all of its ops (any order). `None` when nothing of
/// the record is left (never written, or purged).
pub fn materialise(ops: &[OpView<'_>]) -> Option<RecordState> {
    let purges: Vec<OpView<'_>> = ops
        .iter()
        .filter(|o| o.header.kind == OpKind::Purge)
        .copied()
        .collect();
    let live: Vec<OpView<'_>> = ops
        .iter()
        .filter(|o| !is_erased(o, &purges))
        .copied()
        .collect();

    let writes: Vec<(&OpView<'_>, &crate::op::WriteBody)> = live
        .iter()
        .filter_map(|o| match o.body {
            Some(Body::Write(w)) if o.header.kind == OpKind::Write => Some((o, w)),
            _ => None,
        })
        .collect();
    let order = |o: &OpView<'_>| (o.header.hlc, o.header.author);
    let (latest, _) = writes.iter().max_by_key(|(o, _)| order(o))?;
    let (form, form_version) = writes
        .iter()
        .find(|(o, _)| o.id == latest.id)
        .map(|(_, w)| (w.form.clone(), w.version))
        .unwrap_or_default();

    let mut fields: BTreeMap<String, Vec<FieldValue>> = BTreeMap::new();
    let mut names: Vec<&String> = writes.iter().flat_map(|(_, w)| w.fields.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let candidates: Vec<_> = writes
            .iter()
            .filter(|(_, w)| w.fields.contains_key(name))
            .collect();
        let mut values: Vec<FieldValue> = candidates
            .iter()
            .filter(|(o, _)| !candidates.iter().any(|(later, _)| seen_by(o, later)))
            .map(|(o, w)| FieldValue {
                value: w
                    .fields
                    .get(name)
                    .cloned()
                    .unwrap_or(serde_json::Value::Null),
                op: o.id,
                author: o.header.author,
                hlc: o.header.hlc,
            })
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse((v.hlc, v.author)));
        if values.iter().any(|v| !v.value.is_null()) {
            fields.insert(name.clone(), values);
        }
    }

    let presence: Vec<&OpView<'_>> = live.iter().chain(purges.iter()).collect();
    let heads: Vec<&&OpView<'_>> = presence
        .iter()
        .filter(|o| !presence.iter().any(|later| seen_by(o, later)))
        .collect();
    let any_write = heads.iter().any(|o| o.header.kind == OpKind::Write);
    let any_delete = heads.iter().any(|o| o.header.kind != OpKind::Write);

    Some(RecordState {
        form,
        form_version,
        fields,
        deleted: !any_write,
        delete_conflict: any_write && any_delete,
        created: writes
            .iter()
            .map(|(o, _)| o.header.hlc)
            .min()
            .unwrap_or_default(),
        updated: live.iter().map(|o| o.header.hlc).max().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use satchel_crypto::identity::DeviceKeys;

    use super::*;
    use crate::{
        op::{Draft, Op, RecordId, WriteBody},
        vv::VersionVector,
    };

    struct Dev {
        keys: DeviceKeys,
        seq: u64,
        prev: Option<OpId>,
        seen: VersionVector,
        clock: u64,
    }

    impl Dev {
        fn new(n: u8) -> Self {
            Self {
                keys: DeviceKeys::from_secret_bytes(&[n; 64]).unwrap(),
                seq: 0,
                prev: None,
                seen: VersionVector::default(),
                clock: 0,
            }
        }

        fn op(&mut self, kind: OpKind, fields: &[(&str, serde_json::Value)]) -> Op {
            self.seq += 1;
            self.clock += 10;
            let body = match kind {
                OpKind::Write => {
                    let mut w = WriteBody::new("contact");
                    for (k, v) in fields {
                        w.fields.insert((*k).into(), v.clone());
                    }
                    Body::Write(w)
                }
                _ => Body::Empty,
            };
            let op = Op::create(
                &self.keys,
                Draft {
                    seq: self.seq,
                    prev: self.prev,
                    hlc: Hlc {
                        wall_ms: self.clock,
                        counter: 0,
                    },
                    record: RecordId([1; 16]),
                    kind,
                    context: self.seen.clone(),
                },
                &body,
            )
            .unwrap();
            self.prev = Some(op.id);
            self.seen.observe(op.header.author, op.header.seq);
            op
        }

        fn see(&mut self, ops: &[&Op]) {
            for op in ops {
                self.seen.observe(op.header.author, op.header.seq);
                self.clock = self.clock.max(op.header.hlc.wall_ms);
            }
        }
    }

    fn state(ops: &[&Op]) -> Option<RecordState> {
        let views: Vec<OpView<'_>> = ops.iter().map(|o| o.view()).collect();
        materialise(&views)
    }

    #[test]
    fn sequential_edits_keep_the_last_value() {
        let mut a = Dev::new(1);
        let w1 = a.op(
            OpKind::Write,
            &[("name", "Kim".into()), ("phone", "1".into())],
        );
        let w2 = a.op(OpKind::Write, &[("name", "Lee".into())]);
        let s = state(&[&w1, &w2]).unwrap();
        assert_eq!(s.value("name").unwrap(), "Lee");
        assert_eq!(s.value("phone").unwrap(), "1");
        assert_eq!(s.conflicts().count(), 0);
        assert_eq!(state(&[&w2, &w1]), Some(s));
    }

    #[test]
    fn concurrent_edits_keep_both_values_in_a_fixed_order() {
        let mut a = Dev::new(1);
        let mut b = Dev::new(2);
        let w0 = a.op(OpKind::Write, &[("name", "Kim".into())]);
        b.see(&[&w0]);
        let wa = a.op(OpKind::Write, &[("name", "Kim A".into())]);
        let wb = b.op(OpKind::Write, &[("name", "Kim B".into())]);
        let s = state(&[&w0, &wa, &wb]).unwrap();
        let values = &s.fields["name"];
        assert_eq!(values.len(), 2);
        assert_eq!(state(&[&wb, &w0, &wa]).unwrap(), s);
        // A resolution that has seen both wins alone.
        a.see(&[&wb]);
        let r = a.op(OpKind::Write, &[("name", "Kim C".into())]);
        let s = state(&[&w0, &wa, &wb, &r]).unwrap();
        assert_eq!(s.fields["name"].len(), 1);
        assert_eq!(s.value("name").unwrap(), "Kim C");
    }

    #[test]
    fn an_edit_concurrent_with_a_delete_survives_with_all_fields() {
        let mut a = Dev::new(1);
        let mut b = Dev::new(2);
        let w0 = a.op(
            OpKind::Write,
            &[("name", "Kim".into()), ("phone", "1".into())],
        );
        b.see(&[&w0]);
        let del = a.op(OpKind::Delete, &[]);
        let edit = b.op(OpKind::Write, &[("phone", "2".into())]);
        let s = state(&[&w0, &del, &edit]).unwrap();
        assert!(!s.deleted && s.delete_conflict);
        assert_eq!(s.value("name").unwrap(), "Kim");
        assert_eq!(s.value("phone").unwrap(), "2");
        // Deleting again after seeing the edit deletes.
        a.see(&[&edit]);
        let del2 = a.op(OpKind::Delete, &[]);
        let s = state(&[&w0, &del, &edit, &del2]).unwrap();
        assert!(s.deleted && !s.delete_conflict);
    }

    #[test]
    fn purge_erases_what_it_has_seen_but_not_concurrent_edits() {
        let mut a = Dev::new(1);
        let mut b = Dev::new(2);
        let w0 = a.op(OpKind::Write, &[("name", "Kim".into())]);
        assert!(state(&[&w0, &a.op(OpKind::Purge, &[])]).is_none());
        let mut a = Dev::new(1);
        let w0 = a.op(OpKind::Write, &[("name", "Kim".into())]);
        b.see(&[&w0]);
        let purge = a.op(OpKind::Purge, &[]);
        let edit = b.op(OpKind::Write, &[("phone", "2".into())]);
        let s = state(&[&w0, &purge, &edit]).unwrap();
        assert!(!s.fields.contains_key("name"));
        assert_eq!(s.value("phone").unwrap(), "2");
    }

    #[test]
    fn clearing_a_field_removes_it() {
        let mut a = Dev::new(1);
        let w1 = a.op(
            OpKind::Write,
            &[("name", "Kim".into()), ("note", "x".into())],
        );
        let w2 = a.op(OpKind::Write, &[("note", serde_json::Value::Null)]);
        let s = state(&[&w1, &w2]).unwrap();
        assert!(!s.fields.contains_key("note"));
    }
}
