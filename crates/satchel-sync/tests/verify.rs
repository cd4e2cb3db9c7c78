//! The import's one verification step, against an in-memory vault: every check in
//! one place, time passed in, the same inputs giving the same verified import
//! whatever the order of the ops in the bundle.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use satchel_crypto::identity::DeviceKeys;
use satchel_forms::Form;
use satchel_sync::{
    bundle::BundleHead,
    hlc::Hlc,
    member::Members,
    op::{Body, DeviceId, Draft, Op, OpId, OpKind, RecordId, WriteBody},
    publication::Publication,
    sync::Reason,
    verify::{self, Context, Facts, Known, Refused, SenderChain, VerifiedImport},
    vv::VersionVector,
};

use crate::membership::{NOW, World, id, world};

/// A vault as verification sees it: records, the ops held, and nothing withheld.
#[derive(Default)]
struct Vault {
    records: BTreeMap<RecordId, Facts>,
    ops: BTreeMap<(DeviceId, u64), OpId>,
    have: VersionVector,
    heads: BTreeMap<DeviceId, OpId>,
    full: BTreeMap<(DeviceId, u64), Op>,
    void: BTreeSet<OpId>,
}

impl Known for Vault {
    type Error = std::convert::Infallible;
    fn record(&self, id: &RecordId) -> Result<Option<Facts>, Self::Error> {
        Ok(self.records.get(id).cloned())
    }
    fn op_at(&self, author: &DeviceId, seq: u64) -> Result<Option<OpId>, Self::Error> {
        Ok(self.ops.get(&(*author, seq)).copied())
    }
    fn withheld(&self, _: &OpId) -> Result<bool, Self::Error> {
        Ok(false)
    }
    fn is_void(&self, id: &OpId) -> Result<bool, Self::Error> {
        Ok(self.void.contains(id))
    }
    fn held_op(&self, author: &DeviceId, seq: u64) -> Result<Option<Op>, Self::Error> {
        Ok(self.full.get(&(*author, seq)).cloned())
    }
}

impl Vault {
    fn hold(&mut self, op: &Op) {
        let a = op.header.author;
        self.ops.insert((a, op.header.seq), op.id);
        self.full.insert((a, op.header.seq), op.clone());
        self.have.observe(a, op.header.seq);
        self.heads.insert(a, op.id);
        self.records.entry(op.header.record).or_insert(Facts {
            created_by: a,
            assigned_to: Vec::new(),
        });
    }
}

fn forms() -> BTreeMap<String, Form> {
    let f = Form::parse(include_str!("../../../assets/forms/contact.json")).unwrap();
    BTreeMap::from([(f.name.clone(), f)])
}

/// The next op of `keys`' chain after `prev`.
fn op(keys: &DeviceKeys, prev: Option<&Op>, record: u8, kind: OpKind, name: &str) -> Op {
    let body = match kind {
        OpKind::Write => {
            let mut w = WriteBody::new("contact");
            w.fields.insert("name".into(), name.into());
            Body::Write(w)
        }
        _ => Body::Empty,
    };
    Op::create(
        keys,
        Draft {
            seq: prev.map_or(1, |p| p.header.seq + 1),
            prev: prev.map(|p| p.id),
            hlc: Hlc {
                wall_ms: NOW * 1000 + prev.map_or(0, |p| p.header.seq),
                counter: 0,
            },
            record: RecordId([record; 16]),
            kind,
            context: VersionVector::default(),
        },
        &body,
    )
    .unwrap()
}

/// `op`, as an edit of `seen`'s record by an author who has seen `seen` (its causal
/// context names it): not a creation.
fn edit_of(keys: &DeviceKeys, seen: &Op, name: &str) -> Op {
    let mut w = WriteBody::new("contact");
    w.fields.insert("name".into(), name.into());
    let mut context = VersionVector::default();
    context.observe(seen.header.author, seen.header.seq);
    Op::create(
        keys,
        Draft {
            seq: 1,
            prev: None,
            hlc: Hlc {
                wall_ms: NOW * 1000 + 1,
                counter: 0,
            },
            record: seen.header.record,
            kind: OpKind::Write,
            context,
        },
        &Body::Write(w),
    )
    .unwrap()
}

fn head(ops: Vec<Op>) -> BundleHead {
    BundleHead {
        bundle_id: [7; 16],
        sender_seq: 1,
        prev_bundle: [0; 32],
        acks: VersionVector::default(),
        ops,
        forms: Vec::new(),
        certificates: Vec::new(),
        revocations: Vec::new(),
        log: satchel_sync::bundle::LogSection::default(),
        reach: Vec::new(),
        blobs: Vec::new(),
    }
}

fn run(
    w: &World,
    members: Option<&Members>,
    vault: &Vault,
    head: &BundleHead,
    now_ms: u64,
) -> Result<VerifiedImport, Refused<std::convert::Infallible>> {
    let forms = forms();
    verify::verify(
        head,
        [1; 32],
        Context {
            me: id(&w.a),
            now_ms,
            sender: id(&w.b),
            chain: SenderChain::default(),
            members,
            forms: &forms,
            have: &vault.have,
            heads: &vault.heads,
            quarantine: Vec::new(),
            imports_done: 0,
            known: vault,
            checkpoints: Vec::new(),
        },
    )
}

/// Ops applied with effect (void ones are in their author's chain only).
fn applied(v: &VerifiedImport) -> Vec<OpId> {
    v.plan()
        .apply
        .iter()
        .map(|o| o.id)
        .filter(|id| !v.void_ids().contains(id))
        .collect()
}

fn held(v: &VerifiedImport) -> BTreeSet<(OpId, &'static str)> {
    v.quarantine()
        .iter()
        .map(|h| (h.op.id, h.reason.code()))
        .collect()
}

#[test]
fn a_field_workers_purge_of_a_coordinators_record_is_set_aside_and_the_rest_applies() {
    let w = world();
    let mut vault = Vault::default();
    let created = op(&w.a, None, 1, OpKind::Write, "Kept Safe");
    vault.hold(&created);
    let own = op(&w.f, None, 2, OpKind::Write, "Fatima's");
    let purge = op(&w.f, Some(&own), 1, OpKind::Purge, "");
    let v = run(
        &w,
        Some(&w.members),
        &vault,
        &head(vec![own.clone(), purge.clone()]),
        NOW * 1000,
    )
    .unwrap();
    assert_eq!(applied(&v), vec![own.id]);
    assert_eq!(v.counts().refused, 1);
    let entry = &v.quarantine()[0];
    assert_eq!((entry.op.id, entry.reason), (purge.id, Reason::Refused));
    assert!(entry.detail.contains("purge"), "{}", entry.detail);
    // Into the chain void, its content kept aside: Fatima's next op is not held back.
    assert!(v.void_ids().contains(&purge.id));
    let void = v.plan().apply.iter().find(|o| o.id == purge.id).unwrap();
    assert!(void.payload.is_none() && entry.op.payload.is_some());
    // In no organisation the same bundle is trusted as its peer is.
    let v = run(
        &w,
        None,
        &vault,
        &head(vec![own.clone(), purge.clone()]),
        NOW * 1000,
    )
    .unwrap();
    assert_eq!(applied(&v), vec![own.id, purge.id]);
}

#[test]
fn the_bundles_own_revocation_and_certificates_judge_its_ops() {
    let w = world();
    let vault = Vault::default();
    let first = op(&w.f, None, 3, OpKind::Write, "before");
    let second = op(&w.f, Some(&first), 3, OpKind::Write, "after");
    let rev = w
        .root
        .revoke(&w.members, w.cert_f.id(), 2, NOW + 10)
        .unwrap();
    let mut h = head(vec![first.clone(), second.clone()]);
    h.revocations.push(rev.clone());
    let v = run(&w, Some(&w.members), &vault, &h, NOW * 1000).unwrap();
    assert_eq!(applied(&v), vec![first.id]);
    assert_eq!(held(&v), BTreeSet::from([(second.id, "refused")]));
    assert_eq!(v.revocations(), std::slice::from_ref(&rev));
    // Had this vault held both already, the revocation would void the second.
    let mut holding = Vault::default();
    holding.hold(&first);
    holding.hold(&second);
    let mut h = head(Vec::new());
    h.revocations.push(rev);
    let v = run(&w, Some(&w.members), &holding, &h, NOW * 1000).unwrap();
    assert_eq!(v.to_void(), &[second.id]);
    assert_eq!(held(&v), BTreeSet::from([(second.id, "refused")]));
    // A field worker unknown to this vault is heard once the bundle certifies them.
    let mut without = Members::new(w.members.org());
    without.insert_certificate(w.cert_a.clone()).unwrap();
    let v = run(
        &w,
        Some(&without),
        &vault,
        &head(vec![first.clone()]),
        NOW * 1000,
    )
    .unwrap();
    assert_eq!(v.counts().refused, 1);
    let mut h = head(vec![first.clone()]);
    h.certificates.push(w.cert_f.clone());
    let v = run(&w, Some(&without), &vault, &h, NOW * 1000).unwrap();
    assert_eq!(applied(&v), vec![first.id]);
    assert_eq!(v.certificates(), std::slice::from_ref(&w.cert_f));
}

#[test]
fn the_senders_bundle_chain_and_clocks_are_checked_with_the_time_given() {
    let w = world();
    let vault = Vault::default();
    let first = op(&w.f, None, 4, OpKind::Write, "x");
    let h = head(vec![first]);
    // A day and a bit before the op's clock, it is too far ahead; at its time, fine.
    assert!(matches!(
        run(&w, Some(&w.members), &vault, &h, NOW * 1000 - 90_000_000),
        Err(Refused::ClockAhead)
    ));
    assert!(run(&w, Some(&w.members), &vault, &h, NOW * 1000).is_ok());
    let forms = forms();
    let ctx = |chain| Context {
        me: id(&w.a),
        now_ms: NOW * 1000,
        sender: id(&w.b),
        chain,
        members: Some(&w.members),
        forms: &forms,
        have: &vault.have,
        heads: &vault.heads,
        quarantine: Vec::new(),
        imports_done: 0,
        known: &vault,
        checkpoints: Vec::new(),
    };
    let replay = SenderChain {
        already_imported: true,
        ..SenderChain::default()
    };
    assert!(matches!(
        verify::verify(&h, [1; 32], ctx(replay)),
        Err(Refused::AlreadyImported)
    ));
    let forked = SenderChain {
        prev_hash: Some([9; 32]),
        ..SenderChain::default()
    };
    assert!(matches!(
        verify::verify(&h, [1; 32], ctx(forked)),
        Err(Refused::BundleFork(1))
    ));
}

#[test]
fn forms_are_taken_only_from_coordinators_of_the_organisation() {
    let w = world();
    let vault = Vault::default();
    let mut contact = forms().remove("contact").unwrap();
    contact.version = 2;
    let json = contact.to_json().unwrap();
    let org = w.members.org().0;
    for (publisher, org, taken) in [
        (&w.a, org, true),
        (&w.f, org, false),
        (&w.u, org, false),
        (&w.a, [0; 32], false),
    ] {
        let mut h = head(Vec::new());
        h.forms
            .push(Publication::sign(publisher, org, json.clone()));
        let v = run(&w, Some(&w.members), &vault, &h, NOW * 1000).unwrap();
        assert_eq!(v.forms().len(), usize::from(taken));
        assert_eq!(v.counts().forms_refused, usize::from(!taken));
    }
}

#[test]
fn a_void_op_the_rules_now_allow_counts_again_with_its_content() {
    let w = world();
    let mut vault = Vault::default();
    let record = op(&w.a, None, 8, OpKind::Write, "coordinator's");
    vault.hold(&record);
    let edit = edit_of(&w.f, &record, "edited");
    // Held void: refused when it came, its content in the quarantine.
    vault.ops.insert((id(&w.f), 1), edit.id);
    vault.have.observe(id(&w.f), 1);
    vault.heads.insert(id(&w.f), edit.id);
    vault.void.insert(edit.id);
    let entry = satchel_sync::sync::Held {
        op: edit.clone(),
        reason: Reason::Refused,
        detail: "field workers edit and delete only records they created or were assigned".into(),
        since: 1,
    };
    let forms = forms();
    let judge = |vault: &Vault| {
        verify::verify(
            &head(Vec::new()),
            [1; 32],
            Context {
                me: id(&w.a),
                now_ms: NOW * 1000,
                sender: id(&w.b),
                chain: SenderChain::default(),
                members: Some(&w.members),
                forms: &forms,
                have: &vault.have,
                heads: &vault.heads,
                quarantine: vec![entry.clone()],
                imports_done: 1,
                known: vault,
                checkpoints: Vec::new(),
            },
        )
        .unwrap()
    };
    // Still not assigned: it stays void and aside.
    let v = judge(&vault);
    assert!(v.unvoid().is_empty());
    assert_eq!(held(&v), BTreeSet::from([(edit.id, "refused")]));
    // Assigned (the assignment arrived later than the edit): it counts again.
    vault
        .records
        .get_mut(&RecordId([8; 16]))
        .unwrap()
        .assigned_to = vec![id(&w.f)];
    let v = judge(&vault);
    assert_eq!(
        v.unvoid().iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![edit.id]
    );
    assert!(v.unvoid()[0].payload.is_some());
    assert!(v.quarantine().is_empty());
}

#[test]
fn a_certificate_from_a_non_coordinator_an_expired_one_and_a_renewal() {
    let w = world();
    let vault = Vault::default();
    let stranger = crate::membership::keys(60);
    let first = op(&stranger, None, 9, OpKind::Write, "x");
    // The field worker certifies a device: it is not vouched for, its op refused.
    let mut as_if = Members::new(w.members.org());
    let promoted = w
        .root
        .issue(&satchel_sync::member::CertificateDraft {
            org: w.members.org(),
            serial: [61; 16],
            device: w.f.public(),
            name: "Fatima".into(),
            role: satchel_sync::member::Role::Coordinator,
            not_before: NOW,
            not_after: NOW + 86_400,
        })
        .unwrap();
    as_if.insert_certificate(promoted).unwrap();
    let request =
        satchel_sync::member::EnrolmentRequest::create(&stranger, "Sam", [62; 16]).unwrap();
    let forged = as_if
        .approve(
            &w.f,
            &request,
            satchel_sync::member::Role::Field,
            [63; 16],
            NOW,
            30,
        )
        .unwrap();
    let mut h = head(vec![first.clone()]);
    h.certificates.push(forged);
    let v = run(&w, Some(&w.members), &vault, &h, NOW * 1000).unwrap();
    assert_eq!(v.counts().refused, 1);
    assert!(
        v.quarantine()[0]
            .detail
            .contains("not issued by a coordinator"),
        "{}",
        v.quarantine()[0].detail
    );
    // A coordinator's certificate for 30 days: heard within, not after.
    let cert = w
        .members
        .approve(
            &w.a,
            &request,
            satchel_sync::member::Role::Field,
            [64; 16],
            NOW,
            30,
        )
        .unwrap();
    let mut h = head(vec![first.clone()]);
    h.certificates.push(cert);
    let within = run(&w, Some(&w.members), &vault, &h, NOW * 1000).unwrap();
    assert_eq!(applied(&within), vec![first.id]);
    let late = (NOW + 31 * 86_400) * 1000;
    let expired = run(&w, Some(&w.members), &vault, &h, late).unwrap();
    assert!(applied(&expired).is_empty());
    assert!(expired.quarantine()[0].detail.contains("expired"));
    // Waiting, not void: a renewal in the next bundle lets it through.
    assert!(expired.void_ids().is_empty());
    let renewal = w
        .members
        .issue(
            &w.a,
            &satchel_sync::member::CertificateDraft {
                org: w.members.org(),
                serial: [65; 16],
                device: stranger.public(),
                name: "Sam".into(),
                role: satchel_sync::member::Role::Field,
                not_before: NOW + 30 * 86_400,
                not_after: NOW + 90 * 86_400,
            },
            NOW,
        )
        .unwrap();
    h.certificates.push(renewal);
    let renewed = run(&w, Some(&w.members), &vault, &h, late).unwrap();
    assert_eq!(applied(&renewed), vec![first.id]);
}

#[test]
fn a_value_made_with_a_form_version_not_held_waits_for_it() {
    let w = world();
    let vault = Vault::default();
    let mut body = WriteBody::new("contact");
    body.version = Some(3);
    body.fields.insert("name".into(), "x".into());
    let made = Op::create(
        &w.f,
        Draft {
            seq: 1,
            prev: None,
            hlc: Hlc {
                wall_ms: NOW * 1000,
                counter: 0,
            },
            record: RecordId([12; 16]),
            kind: OpKind::Write,
            context: VersionVector::default(),
        },
        &Body::Write(body),
    )
    .unwrap();
    let v = run(
        &w,
        Some(&w.members),
        &vault,
        &head(vec![made.clone()]),
        NOW * 1000,
    )
    .unwrap();
    assert_eq!(held(&v), BTreeSet::from([(made.id, "invalid")]));
    assert!(v.quarantine()[0].detail.contains("version 3"));
}

#[test]
fn revoking_every_coordinator_in_one_bundle_leaves_one() {
    let w = world();
    let vault = Vault::default();
    // Each revocation alone was allowed where it was made.
    let rev_a = w
        .root
        .revoke(&w.members, w.cert_a.id(), 1, NOW + 1)
        .unwrap();
    let rev_b = w
        .root
        .revoke(&w.members, w.cert_b.id(), 1, NOW + 2)
        .unwrap();
    let by_a = op(&w.a, None, 10, OpKind::Write, "a");
    let by_b = op(&w.b, None, 11, OpKind::Write, "b");
    let mut h = head(vec![by_a.clone(), by_b.clone()]);
    h.revocations.push(rev_a);
    h.revocations.push(rev_b);
    let v = run(&w, Some(&w.members), &vault, &h, NOW * 1000).unwrap();
    // The first in the fixed order takes effect; the second would leave none.
    assert_eq!(applied(&v), vec![by_b.id]);
    assert_eq!(held(&v), BTreeSet::from([(by_a.id, "refused")]));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Verification depends on the set of ops, not the order they come in.
    #[test]
    fn the_order_of_ops_in_a_bundle_changes_nothing(seed in any::<u64>()) {
        let w = world();
        let mut vault = Vault::default();
        let theirs = op(&w.a, None, 1, OpKind::Write, "coordinator's");
        vault.hold(&theirs);
        let mut ops = Vec::new();
        let mut prev: Option<Op> = None;
        for (i, kind) in [OpKind::Write, OpKind::Write, OpKind::Purge, OpKind::Write, OpKind::Delete]
            .into_iter()
            .enumerate()
        {
            let record = if i % 2 == 0 { 1 } else { 5 };
            let next = op(&w.f, prev.as_ref(), record, kind, "n");
            ops.push(next.clone());
            prev = Some(next);
        }
        let mut b = op(&w.b, None, 6, OpKind::Write, "b");
        ops.push(b.clone());
        b = op(&w.b, Some(&b), 1, OpKind::Purge, "");
        ops.push(b);
        let first = run(&w, Some(&w.members), &vault, &head(ops.clone()), NOW * 1000).unwrap();
        let mut shuffled = ops;
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let again = run(&w, Some(&w.members), &vault, &head(shuffled), NOW * 1000).unwrap();
        prop_assert_eq!(
            applied(&first).into_iter().collect::<BTreeSet<_>>(),
            applied(&again).into_iter().collect::<BTreeSet<_>>()
        );
        prop_assert_eq!(held(&first), held(&again));
        prop_assert_eq!(first.counts(), again.counts());
    }
}
