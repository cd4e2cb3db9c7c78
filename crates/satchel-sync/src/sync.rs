//! Sync planning: which received ops can be applied now, which must wait for their
//! predecessors. Pure: the store executes the plan.

use std::collections::BTreeMap;

use crate::{
    op::{DeviceId, Op, OpId},
    vv::VersionVector,
};

/// What to do with received ops.
#[derive(Debug, Default)]
pub struct Plan {
    /// In an order that respects every author's chain and every op's context.
    pub apply: Vec<Op>,
    /// Ops already held (same author and sequence); the store checks the ids match.
    pub known: Vec<Op>,
    /// Ops whose predecessors (in their author's chain or their context) are missing.
    pub wait: Vec<Op>,
    /// Ops that come next in their author's chain but do not link to the op before:
    /// a forged or forked chain. A bundle holding one is refused.
    pub broken: Vec<Op>,
}

/// Plans received ops against what is held: `have` (per author, the last sequence
/// held, chains being contiguous) and `heads` (per author, the id of that op).
pub fn plan(
    have: &VersionVector,
    heads: &BTreeMap<DeviceId, OpId>,
    incoming: impl IntoIterator<Item = Op>,
) -> Plan {
    let mut have = have.clone();
    let mut heads = heads.clone();
    let mut plan = Plan::default();
    let mut pending: Vec<Op> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for op in incoming {
        if !seen.insert(op.id) {
            continue;
        }
        if op.header.seq <= have.get(&op.header.author) {
            plan.known.push(op);
        } else {
            pending.push(op);
        }
    }
    pending.sort_by_key(|o| (o.header.author, o.header.seq));
    loop {
        let mut progressed = false;
        let mut still = Vec::new();
        for op in pending {
            let author = op.header.author;
            let next = op.header.seq == have.get(&author) + 1;
            let linked = op.header.prev == heads.get(&author).copied();
            let causal = op.header.context.0.iter().all(|(a, s)| have.covers(a, *s));
            if next && linked && causal {
                have.observe(author, op.header.seq);
                heads.insert(author, op.id);
                plan.apply.push(op);
                progressed = true;
            } else if next && !linked {
                plan.broken.push(op);
            } else {
                still.push(op);
            }
        }
        pending = still;
        if !progressed {
            break;
        }
    }
    plan.wait = pending;
    plan
}

#[cfg(test)]
mod tests {
    use satchel_crypto::identity::DeviceKeys;

    use super::*;
    use crate::{
        hlc::Hlc,
        op::{Body, Draft, OpKind, RecordId},
    };

    fn chain(n: u8, len: u64) -> Vec<Op> {
        let keys = DeviceKeys::from_secret_bytes(&[n; 64]).unwrap();
        let mut prev = None;
        let mut out: Vec<Op> = Vec::new();
        for seq in 1..=len {
            let mut ctx = VersionVector::default();
            if let Some(p) = out.last() {
                ctx.observe(p.header.author, p.header.seq);
            }
            let draft = Draft {
                seq,
                prev,
                hlc: Hlc {
                    wall_ms: seq,
                    counter: 0,
                },
                record: RecordId([1; 16]),
                kind: OpKind::Delete,
                context: ctx,
            };
            let op = Op::create(&keys, draft, &Body::Empty).unwrap();
            prev = Some(op.id);
            out.push(op);
        }
        out
    }

    #[test]
    fn out_of_order_ops_are_applied_in_chain_order() {
        let mut ops = chain(1, 4);
        ops.reverse();
        let p = plan(&VersionVector::default(), &BTreeMap::new(), ops);
        assert_eq!(
            p.apply.iter().map(|o| o.header.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(p.wait.is_empty() && p.known.is_empty());
    }

    #[test]
    fn a_gap_waits_and_known_ops_are_recognised() {
        let ops = chain(1, 4);
        let p = plan(
            &VersionVector::default(),
            &BTreeMap::new(),
            [ops[0].clone(), ops[2].clone(), ops[3].clone()],
        );
        assert_eq!(p.apply.len(), 1);
        assert_eq!(p.wait.len(), 2);
        let mut have = VersionVector::default();
        have.observe(ops[0].header.author, 2);
        let heads = BTreeMap::from([(ops[0].header.author, ops[1].id)]);
        let p = plan(&have, &heads, ops.clone());
        assert_eq!(p.known.len(), 2);
        assert_eq!(p.apply.len(), 2);
    }

    #[test]
    fn an_op_that_does_not_link_to_its_predecessor_is_broken() {
        let ops = chain(1, 2);
        let other = chain(1, 3);
        // other[1] and ops[1] are both sequence 2 of one author, from different chains.
        let p = plan(
            &VersionVector::default(),
            &BTreeMap::new(),
            [ops[0].clone(), other[2].clone(), ops[1].clone()],
        );
        assert_eq!(p.apply.len(), 2);
        assert_eq!(p.broken.len(), 1, "3 follows a different 2");
        let p = plan(
            &VersionVector::default(),
            &BTreeMap::new(),
            [ops[0].clone(), other[1].clone()],
        );
        assert_eq!(p.broken.len(), 1);
    }

    #[test]
    fn an_op_whose_context_is_missing_waits() {
        let a = chain(1, 1);
        let keys = DeviceKeys::from_secret_bytes(&[2; 64]).unwrap();
        let mut ctx = VersionVector::default();
        ctx.observe(a[0].header.author, 1);
        let draft = Draft {
            seq: 1,
            prev: None,
            hlc: Hlc::default(),
            record: RecordId([1; 16]),
            kind: OpKind::Delete,
            context: ctx,
        };
        let b = Op::create(&keys, draft, &Body::Empty).unwrap();
        let p = plan(&VersionVector::default(), &BTreeMap::new(), [b.clone()]);
        assert_eq!(p.wait.len(), 1);
        let p = plan(
            &VersionVector::default(),
            &BTreeMap::new(),
            [b, a[0].clone()],
        );
        assert_eq!(p.apply.len(), 2);
        assert_eq!(p.apply[0].header.seq, 1);
    }
}
