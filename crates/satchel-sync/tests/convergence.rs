//! Property tests of the merge: replicas that have seen the same ops show the same
//! record, whatever the order; and nothing written is silently lost.

use std::collections::BTreeSet;

use proptest::prelude::*;
use satchel_crypto::identity::DeviceKeys;
use satchel_sync::{
    hlc::Hlc,
    merge::{self, RecordState},
    op::{Body, Draft, Op, OpKind, OpView, RecordId, WriteBody},
    vv::VersionVector,
};

#[derive(Debug, Clone)]
enum Step {
    /// Device writes field `f` with a fresh value.
    Write(usize, usize),
    /// Device deletes the record.
    Delete(usize),
    /// Device `a` receives everything device `b` has.
    Sync(usize, usize),
}

fn step(devices: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..devices, 0usize..3).prop_map(|(d, f)| Step::Write(d, f)),
        1 => (0..devices).prop_map(Step::Delete),
        3 => (0..devices, 0..devices).prop_map(|(a, b)| Step::Sync(a, b)),
    ]
}

struct Replica {
    keys: DeviceKeys,
    seq: u64,
    prev: Option<satchel_sync::op::OpId>,
    ops: Vec<Op>,
    clock: u64,
}

impl Replica {
    fn context(&self) -> VersionVector {
        let mut vv = VersionVector::default();
        for op in &self.ops {
            vv.observe(op.header.author, op.header.seq);
        }
        vv
    }

    fn act(&mut self, kind: OpKind, field: usize, value: u64) -> Op {
        self.seq += 1;
        self.clock += 1;
        let body = if kind == OpKind::Write {
            let mut w = WriteBody::new("contact");
            w.fields
                .insert(format!("f{field}"), serde_json::json!(value));
            Body::Write(w)
        } else {
            Body::Empty
        };
        let draft = Draft {
            seq: self.seq,
            prev: self.prev,
            hlc: Hlc {
                wall_ms: self.clock,
                counter: 0,
            },
            record: RecordId([9; 16]),
            kind,
            context: self.context(),
        };
        let op = Op::create(&self.keys, draft, &body).unwrap();
        self.prev = Some(op.id);
        self.ops.push(op.clone());
        op
    }

    fn receive(&mut self, from: &[Op]) {
        for op in from {
            if !self.ops.iter().any(|o| o.id == op.id) {
                self.clock = self.clock.max(op.header.hlc.wall_ms);
                self.ops.push(op.clone());
            }
        }
    }

    fn state(&self) -> Option<RecordState> {
        let views: Vec<OpView<'_>> = self.ops.iter().map(Op::view).collect();
        merge::materialise(&views)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_lose_nothing(
        devices in 2usize..5,
        steps in proptest::collection::vec(step(4), 1..40),
        seed in any::<u64>(),
    ) {
        let mut reps: Vec<Replica> = (0..devices)
            .map(|i| Replica {
                keys: DeviceKeys::from_secret_bytes(&[u8::try_from(i).unwrap() + 1; 64]).unwrap(),
                seq: 0, prev: None, ops: Vec::new(), clock: 0,
            })
            .collect();
        // Everyone starts from one shared record.
        let first = reps[0].act(OpKind::Write, 0, 0);
        for r in reps.iter_mut().skip(1) { r.receive(std::slice::from_ref(&first)); }
        let mut written: BTreeSet<(usize, u64)> = BTreeSet::from([(0, 0)]);
        let mut next = 1u64;
        for s in steps {
            match s {
                Step::Write(d, f) => {
                    let d = d % devices;
                    reps[d].act(OpKind::Write, f, next);
                    written.insert((f, next));
                    next += 1;
                }
                Step::Delete(d) => { let d = d % devices; reps[d].act(OpKind::Delete, 0, 0); }
                Step::Sync(a, b) => {
                    let (a, b) = (a % devices, b % devices);
                    let ops = reps[b].ops.clone();
                    reps[a].receive(&ops);
                }
            }
        }
        // Full exchange, delivered to each replica in a different order.
        let all: Vec<Op> = reps.iter().flat_map(|r| r.ops.clone()).collect();
        for (i, r) in reps.iter_mut().enumerate() {
            let mut shuffled = all.clone();
            let k = (seed as usize).wrapping_add(i) % shuffled.len().max(1);
            shuffled.rotate_left(k);
            if i % 2 == 1 { shuffled.reverse(); }
            r.receive(&shuffled);
        }
        let states: Vec<Option<RecordState>> = reps.iter().map(Replica::state).collect();
        for s in &states { prop_assert_eq!(s, &states[0]); }
        let state = states[0].clone().expect("never purged, so the record exists");
        // Every value ever written is current, a sibling, or was seen (overwritten
        // knowingly) by a later write of the same field: nothing vanishes unseen.
        let views: Vec<OpView<'_>> = reps[0].ops.iter().map(Op::view).collect();
        for (field, value) in written {
            let name = format!("f{field}");
            let shown = state.fields.get(&name).is_some_and(|vs| vs.iter().any(|v| v.value == serde_json::json!(value)));
            let writer = views.iter().find(|o| matches!(o.body, Some(Body::Write(w)) if w.fields.get(&name) == Some(&serde_json::json!(value)))).unwrap();
            let overwritten = views.iter().any(|later| {
                matches!(later.body, Some(Body::Write(w)) if w.fields.contains_key(&name))
                    && later.header.context.covers(&writer.header.author, writer.header.seq)
            });
            prop_assert!(shown || overwritten, "value {value} of {name} vanished");
        }
    }
}
