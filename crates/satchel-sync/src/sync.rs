//! Sync planning: which received ops can be applied now, which must wait for their
//! predecessors, which fork a chain; and what the quarantine keeps. Pure: the store
//! executes the plan.
//!
//! No op can refuse a whole bundle by being in it or by waiting in quarantine: an op
//! that conflicts with a chain held (a fork) is set aside and reported, an invalid one
//! too, and the quarantine is bounded in count and bytes, overall and per author, and
//! forgets entries after a number of imports (never after a time: a clock can be
//! wrong). Dropping a waiting op loses nothing: it is not acknowledged, so the peers
//! that hold it send it again (docs/adr/0013-quarantine.md).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

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
    /// Ops that conflict with their author's chain as held or as applied by this plan:
    /// next in the chain but not linking to the op before, or a second op at a
    /// sequence this plan applied. Set aside, never merged; they refuse nothing else.
    pub broken: Vec<Op>,
}

/// Plans received ops against what is held: `have` (per author, the last sequence
/// held, chains being contiguous) and `heads` (per author, the id of that op).
///
/// Linear in the number of ops (times a logarithm): each author's ops wait in a queue
/// in chain order, and an author whose next op needs an op of another author that is
/// not held yet is woken once that op is applied, instead of every pending op being
/// looked at again after each step. Two chains that depend on each other once took
/// quadratic time (16,000 ops: 30 s).
pub fn plan(
    have: &VersionVector,
    heads: &BTreeMap<DeviceId, OpId>,
    incoming: impl IntoIterator<Item = Op>,
) -> Plan {
    let mut have = have.clone();
    let mut heads = heads.clone();
    let mut plan = Plan::default();
    let mut seen = BTreeSet::new();
    let mut queues: BTreeMap<DeviceId, Vec<Op>> = BTreeMap::new();
    for op in incoming {
        if !seen.insert(op.id) {
            continue;
        }
        if op.header.seq <= have.get(&op.header.author) {
            plan.known.push(op);
        } else {
            queues.entry(op.header.author).or_default().push(op);
        }
    }
    // Each queue in chain order, first-come first among equal sequences (a fork),
    // then reversed so the next op pops off the end.
    let mut queues: BTreeMap<DeviceId, Vec<Op>> = queues
        .into_iter()
        .map(|(author, mut ops)| {
            ops.sort_by_key(|o| o.header.seq);
            ops.reverse();
            (author, ops)
        })
        .collect();
    let mut ready: VecDeque<DeviceId> = queues.keys().copied().collect();
    // Authors whose next op needs (author, seq), by that need.
    let mut blocked: BTreeMap<(DeviceId, u64), Vec<DeviceId>> = BTreeMap::new();
    while let Some(author) = ready.pop_front() {
        let Some(queue) = queues.get_mut(&author) else {
            continue;
        };
        while let Some(op) = queue.last() {
            let seq = op.header.seq;
            let held = have.get(&author);
            if seq <= held {
                // A second op at a sequence already applied: a fork.
                plan.broken.extend(queue.pop());
                continue;
            }
            if seq != held + 1 {
                break; // a gap in the chain: nothing in this batch fills it
            }
            // Every op at the next sequence, in arrival order (more than one is a
            // fork). As a pass over them would: one that does not link to the
            // author's head is broken, until one that links and whose context is
            // held is applied; one that links but must wait stays.
            let at = queue
                .iter()
                .rposition(|o| o.header.seq != seq)
                .map_or(0, |i| i + 1);
            let mut siblings = queue.split_off(at);
            siblings.reverse();
            let head = heads.get(&author).copied();
            let mut kept = Vec::new();
            let mut applied = None;
            let mut rest = siblings.into_iter();
            for op in rest.by_ref() {
                if op.header.prev != head {
                    plan.broken.push(op);
                } else if let Some((a, s)) = op
                    .header
                    .context
                    .0
                    .iter()
                    .find(|(a, s)| !have.covers(a, **s))
                {
                    blocked.entry((*a, *s)).or_default().push(author);
                    kept.push(op);
                } else {
                    applied = Some(op);
                    break;
                }
            }
            kept.extend(rest);
            kept.reverse();
            queue.extend(kept);
            let Some(op) = applied else { break };
            have.observe(author, seq);
            heads.insert(author, op.id);
            plan.apply.push(op);
            // Wake whoever waited for this author's chain to reach `seq`.
            let woken: Vec<(DeviceId, u64)> = blocked
                .range((author, 0)..=(author, seq))
                .map(|(k, _)| *k)
                .collect();
            for k in woken {
                ready.extend(blocked.remove(&k).unwrap_or_default());
            }
        }
    }
    for (author, mut ops) in queues {
        ops.reverse();
        let held = have.get(&author);
        for op in ops {
            // The chain has an op at this sequence now, and it is not this one.
            if op.header.seq <= held {
                plan.broken.push(op);
            } else {
                plan.wait.push(op);
            }
        }
    }
    plan
}

/// Why an op is held in quarantine instead of being merged. Stored by [`Reason::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// Its predecessors (in its author's chain or its context) have not arrived.
    Waiting,
    /// It conflicts with its author's chain as held: a forged or forked chain.
    Fork,
    /// Its values do not fit the form (the detail says which field and why).
    Invalid,
    /// In an organisation: its author is not a member now (unknown, expired, revoked
    /// from this op on), or their role does not allow it (`crate::authz`).
    Refused,
}

impl Reason {
    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::Waiting => "waiting",
            Reason::Fork => "fork",
            Reason::Invalid => "invalid",
            Reason::Refused => "refused",
        }
    }

    /// From a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "waiting" => Some(Reason::Waiting),
            "fork" => Some(Reason::Fork),
            "invalid" => Some(Reason::Invalid),
            "refused" => Some(Reason::Refused),
            _ => None,
        }
    }
}

/// An op in quarantine.
#[derive(Debug, Clone)]
pub struct Held {
    /// The op.
    pub op: Op,
    /// Why it is held.
    pub reason: Reason,
    /// What failed, for people (peer text inside: neutralise before showing).
    pub detail: String,
    /// The number of imports done when it was first held.
    pub since: u64,
}

impl Held {
    /// Bytes it occupies: header, signature and payload.
    pub fn size(&self) -> usize {
        self.op.header_bytes.len()
            + self.op.signature.len()
            + self.op.payload.as_ref().map_or(0, Vec::len)
    }
}

/// How much the quarantine keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries.
    pub ops: usize,
    /// Most bytes.
    pub bytes: usize,
    /// Most entries of one author.
    pub author_ops: usize,
    /// Most bytes of one author.
    pub author_bytes: usize,
    /// An entry is forgotten once this many imports have happened since it was held.
    pub imports: u64,
}

/// The quarantine's bounds: room for a long gap of ordinary ops, well below what
/// would slow a laptop down (16 full-size ops of one author).
pub const LIMITS: Limits = Limits {
    ops: 10_000,
    bytes: 64 * 1024 * 1024,
    author_ops: 2_000,
    author_bytes: 16 * 1024 * 1024,
    imports: 100,
};

/// What [`bound`] decided.
#[derive(Debug, Default)]
pub struct Bounded {
    /// Kept, in priority order.
    pub kept: Vec<Held>,
    /// Held for `limits.imports` imports or more.
    pub expired: Vec<Held>,
    /// Beyond a cap.
    pub over: Vec<Held>,
}

/// Bounds the quarantine after an import: `now` is the number of imports done,
/// this one included. Keeps, in this order, waiting ops before set-aside ones, then
/// the ones nearest to their author's chain as held, then by author and sequence; an
/// entry that would pass a cap is dropped and later, smaller ones may still fit. Pure
/// and deterministic: every device with the same quarantine keeps the same entries.
pub fn bound(entries: Vec<Held>, have: &VersionVector, now: u64, limits: &Limits) -> Bounded {
    let mut out = Bounded::default();
    let mut live = Vec::new();
    let mut seen = BTreeSet::new();
    for h in entries {
        if !seen.insert(h.op.id) {
            continue;
        }
        if now.saturating_sub(h.since) >= limits.imports {
            out.expired.push(h);
        } else {
            live.push(h);
        }
    }
    live.sort_by_key(|h| priority(h, have));
    let (mut ops, mut bytes) = (0usize, 0usize);
    let mut per_author: BTreeMap<DeviceId, (usize, usize)> = BTreeMap::new();
    for h in live {
        let size = h.size();
        let mine = per_author.entry(h.op.header.author).or_default();
        let fits = ops < limits.ops
            && bytes.saturating_add(size) <= limits.bytes
            && mine.0 < limits.author_ops
            && mine.1.saturating_add(size) <= limits.author_bytes;
        if fits {
            ops += 1;
            bytes += size;
            mine.0 += 1;
            mine.1 += size;
            out.kept.push(h);
        } else {
            out.over.push(h);
        }
    }
    out
}

fn priority(h: &Held, have: &VersionVector) -> (bool, u64, DeviceId, u64, OpId) {
    let author = h.op.header.author;
    (
        h.reason != Reason::Waiting,
        h.op.header.seq.saturating_sub(have.get(&author)),
        author,
        h.op.header.seq,
        h.op.id,
    )
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

    /// The planner as first written: passes over every pending op until one changes
    /// nothing. Obviously right and quadratic; the model the real one must match.
    fn reference(
        have: &VersionVector,
        heads: &BTreeMap<DeviceId, OpId>,
        incoming: Vec<Op>,
    ) -> Plan {
        let (mut have, mut heads, mut plan) = (have.clone(), heads.clone(), Plan::default());
        let mut pending = Vec::new();
        let mut seen = BTreeSet::new();
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
        // Whatever is left at a sequence the chain now holds is not the op held there.
        for op in pending {
            if op.header.seq <= have.get(&op.header.author) {
                plan.broken.push(op);
            } else {
                plan.wait.push(op);
            }
        }
        plan
    }

    fn ids(ops: &[Op]) -> BTreeSet<OpId> {
        ops.iter().map(|o| o.id).collect()
    }

    /// Each op comes after its chain predecessor and after everything its context
    /// names, counting what was held before.
    fn respects_causality(have: &VersionVector, apply: &[Op]) -> bool {
        let mut seen = have.clone();
        apply.iter().all(|op| {
            let ok = seen.get(&op.header.author) + 1 == op.header.seq
                && op.header.context.0.iter().all(|(a, s)| seen.covers(a, *s));
            seen.observe(op.header.author, op.header.seq);
            ok
        })
    }

    /// Three authors writing in turns, each op's context naming a random earlier op
    /// of another author; a second, forked chain for the first author.
    fn history(links: &[(u8, u8)]) -> (Vec<Op>, Vec<Op>) {
        let keys: Vec<DeviceKeys> = (1..=3u8)
            .map(|n| DeviceKeys::from_secret_bytes(&[n; 64]).unwrap())
            .collect();
        let mut chains: Vec<Vec<Op>> = vec![Vec::new(); 3];
        let mut all: Vec<Op> = Vec::new();
        for (i, (who, link)) in links.iter().enumerate() {
            let a = usize::from(*who % 3);
            let mut ctx = VersionVector::default();
            if let Some(p) = chains[a].last() {
                ctx.observe(p.header.author, p.header.seq);
            }
            if !all.is_empty() {
                let other = &all[usize::from(*link) % all.len()];
                ctx.observe(other.header.author, other.header.seq);
            }
            let draft = Draft {
                seq: chains[a].len() as u64 + 1,
                prev: chains[a].last().map(|o| o.id),
                hlc: Hlc {
                    wall_ms: i as u64,
                    counter: 0,
                },
                record: RecordId([1; 16]),
                kind: OpKind::Delete,
                context: ctx,
            };
            let op = Op::create(&keys[a], draft, &Body::Empty).unwrap();
            chains[a].push(op.clone());
            all.push(op);
        }
        (all, chain(1, 3))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever is held, whatever arrives and in whatever order, the planner
        /// applies, recognises, holds back and refuses exactly what the reference
        /// does, in an order that respects every chain and context.
        #[test]
        fn the_planner_matches_the_reference(
            links in proptest::collection::vec((0u8..3, proptest::prelude::any::<u8>()), 1..24),
            held in proptest::collection::vec(0usize..8, 3),
            picks in proptest::collection::vec(proptest::prelude::any::<bool>(), 30),
            forks in 0usize..3,
            order in proptest::prelude::any::<u64>(),
        ) {
            let (all, fork) = history(&links);
            // What is held: a prefix of each author's chain.
            let mut have = VersionVector::default();
            let mut heads = BTreeMap::new();
            let mut by_author: BTreeMap<DeviceId, Vec<&Op>> = BTreeMap::new();
            for op in &all {
                by_author.entry(op.header.author).or_default().push(op);
            }
            for (i, ops) in by_author.values().enumerate() {
                let n = held[i % held.len()].min(ops.len());
                if let Some(last) = n.checked_sub(1).and_then(|k| ops.get(k)) {
                    have.observe(last.header.author, last.header.seq);
                    heads.insert(last.header.author, last.id);
                }
            }
            // What arrives: a subset, ops of a forked chain, in a shuffled order.
            let mut incoming: Vec<Op> = all
                .iter()
                .zip(picks.iter().cycle())
                .filter(|(_, keep)| **keep)
                .map(|(o, _)| o.clone())
                .collect();
            incoming.extend(fork.into_iter().skip(1).take(forks));
            let mut state = order | 1;
            for i in (1..incoming.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                incoming.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let want = reference(&have, &heads, incoming.clone());
            let got = plan(&have, &heads, incoming);
            proptest::prop_assert_eq!(ids(&got.apply), ids(&want.apply));
            proptest::prop_assert_eq!(ids(&got.known), ids(&want.known));
            proptest::prop_assert_eq!(ids(&got.wait), ids(&want.wait));
            proptest::prop_assert_eq!(ids(&got.broken), ids(&want.broken));
            proptest::prop_assert!(respects_causality(&have, &got.apply));
        }
    }

    /// Finding: a waiting fork, planted before the honest chain arrives, once made
    /// every later import refuse. Now it is set aside as the chain it forks applies.
    #[test]
    fn a_waiting_fork_is_set_aside_when_the_chain_it_forks_applies() {
        let keys = DeviceKeys::from_secret_bytes(&[1; 64]).unwrap();
        let honest = chain(1, 3);
        // Another op 1 of the same author, and a 2 and 3 that follow it.
        let mut forked: Vec<Op> = Vec::new();
        for seq in 1..=3u64 {
            let draft = Draft {
                seq,
                prev: forked.last().map(|o| o.id),
                hlc: Hlc::default(),
                record: RecordId([9; 16]),
                kind: OpKind::Delete,
                context: VersionVector::default(),
            };
            forked.push(Op::create(&keys, draft, &Body::Empty).unwrap());
        }
        let planted = vec![forked[2].clone()];
        let p = plan(&VersionVector::default(), &BTreeMap::new(), planted.clone());
        assert_eq!(p.wait.len(), 1);
        // The planted op, then the honest chain, as an import feeds them.
        let mut incoming = planted;
        incoming.extend(honest.iter().cloned());
        let p = plan(&VersionVector::default(), &BTreeMap::new(), incoming);
        assert_eq!(ids(&p.apply), ids(&honest));
        assert_eq!(p.broken.len(), 1);
        assert!(p.wait.is_empty());
        // A second op at a sequence applied by the plan: also set aside, not waiting.
        let mut have = VersionVector::default();
        have.observe(honest[0].header.author, 1);
        let heads = BTreeMap::from([(honest[0].header.author, honest[0].id)]);
        let p = plan(
            &have,
            &heads,
            [honest[1].clone(), forked[2].clone(), forked[1].clone()],
        );
        assert_eq!(p.apply.len(), 1);
        assert_eq!(p.broken.len(), 2, "{p:?}");
        assert!(p.wait.is_empty());
    }

    fn held(op: &Op, reason: Reason, since: u64) -> Held {
        Held {
            op: op.clone(),
            reason,
            detail: String::new(),
            since,
        }
    }

    #[test]
    fn the_quarantine_forgets_after_a_number_of_imports_not_a_time() {
        let ops = chain(1, 3);
        let have = VersionVector::default();
        let entries = vec![
            held(&ops[1], Reason::Waiting, 0),
            held(&ops[2], Reason::Fork, 5),
        ];
        let b = bound(entries.clone(), &have, LIMITS.imports - 1, &LIMITS);
        assert_eq!(b.kept.len(), 2);
        let b = bound(entries, &have, LIMITS.imports, &LIMITS);
        let kept: Vec<Op> = b.kept.iter().map(|h| h.op.clone()).collect();
        assert_eq!(ids(&kept), ids(&ops[2..]));
        assert_eq!(b.expired.len(), 1);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Whatever the quarantine holds: the caps hold overall and per author, nothing
        /// expired is kept, an entry is dropped only if keeping it would pass a cap
        /// given the entries kept before it, waiting ops come first, and the outcome
        /// does not depend on the order of the entries.
        #[test]
        fn the_quarantine_is_bounded_and_keeps_what_it_can(
            links in proptest::collection::vec((0u8..3, proptest::prelude::any::<u8>()), 1..30),
            reasons in proptest::collection::vec(0u8..3, 30),
            since in proptest::collection::vec(0u64..12, 30),
            caps in (1usize..20, 1usize..6000, 1usize..10, 1usize..3000, 1u64..12),
            now in 0u64..14,
            order in proptest::prelude::any::<u64>(),
        ) {
            let (all, _) = history(&links);
            let limits = Limits { ops: caps.0, bytes: caps.1, author_ops: caps.2, author_bytes: caps.3, imports: caps.4 };
            let entries: Vec<Held> = all.iter().enumerate().map(|(i, op)| {
                let reason = [Reason::Waiting, Reason::Fork, Reason::Invalid][usize::from(reasons[i % 30])];
                held(op, reason, since[i % 30])
            }).collect();
            let have = VersionVector::default();
            let b = bound(entries.clone(), &have, now, &limits);
            proptest::prop_assert_eq!(b.kept.len() + b.expired.len() + b.over.len(), entries.len());
            proptest::prop_assert!(b.expired.iter().all(|h| now.saturating_sub(h.since) >= limits.imports));
            let total: usize = b.kept.iter().map(Held::size).sum();
            proptest::prop_assert!(b.kept.len() <= limits.ops && total <= limits.bytes);
            let mut per: BTreeMap<DeviceId, (usize, usize)> = BTreeMap::new();
            for h in &b.kept {
                proptest::prop_assert!(now.saturating_sub(h.since) < limits.imports);
                let e = per.entry(h.op.header.author).or_default();
                e.0 += 1;
                e.1 += h.size();
            }
            proptest::prop_assert!(per.values().all(|(n, sz)| *n <= limits.author_ops && *sz <= limits.author_bytes));
            // Greedy maximality: each dropped entry would pass a cap beside the
            // entries kept before it.
            for d in &b.over {
                let before: Vec<&Held> = b.kept.iter().filter(|k| priority(k, &have) < priority(d, &have)).collect();
                let sz: usize = before.iter().map(|k| k.size()).sum();
                let mine: Vec<&&Held> = before.iter().filter(|k| k.op.header.author == d.op.header.author).collect();
                let msz: usize = mine.iter().map(|k| k.size()).sum();
                proptest::prop_assert!(
                    before.len() + 1 > limits.ops || sz + d.size() > limits.bytes
                        || mine.len() + 1 > limits.author_ops || msz + d.size() > limits.author_bytes
                );
            }
            // Waiting first.
            let first_set_aside = b.kept.iter().position(|h| h.reason != Reason::Waiting).unwrap_or(b.kept.len());
            proptest::prop_assert!(b.kept[first_set_aside..].iter().all(|h| h.reason != Reason::Waiting));
            // Order of arrival does not matter.
            let mut shuffled = entries;
            let mut state = order | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let again = bound(shuffled, &have, now, &limits);
            let kept_ids = |b: &Bounded| b.kept.iter().map(|h| h.op.id).collect::<Vec<_>>();
            proptest::prop_assert_eq!(kept_ids(&again), kept_ids(&b));
        }
    }

    /// Two chains that each need the other's latest op, interleaved in a long run.
    #[test]
    fn chains_that_depend_on_each_other_are_planned_whole() {
        let links: Vec<(u8, u8)> = (0..400u16).map(|i| ((i % 2) as u8, 255)).collect();
        let (all, _) = history(&links);
        let mut incoming = all.clone();
        incoming.reverse();
        let p = plan(&VersionVector::default(), &BTreeMap::new(), incoming);
        assert_eq!(p.apply.len(), 400);
        assert!(p.wait.is_empty() && p.broken.is_empty());
        assert!(respects_causality(&VersionVector::default(), &p.apply));
    }
}
