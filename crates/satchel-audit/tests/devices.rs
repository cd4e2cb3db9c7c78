//! One device's history checked from its public parts: a clean history, and each way
//! it can be cut, forked, spliced, forged or rewritten, found and pointed at.

use satchel_audit::witness::{DeviceLogKey, cosigned, witness_of};
use satchel_audit::{
    AnomalyCode as C, Checkpoint, Log, Note, device_origin, verify_cosignatures, verify_device,
};
use satchel_crypto::identity::DeviceKeys;
use satchel_sync::{
    hlc::Hlc,
    op::{Body, Draft, Op, OpId, OpKind, RecordId, WriteBody},
    vv::VersionVector,
};

fn keys(n: u8) -> DeviceKeys {
    DeviceKeys::from_secret_bytes(&[n; 64]).unwrap()
}

/// `base` followed by writes by `k` up to sequence `n`, the `i`-th naming `name(i)`.
fn extend(k: &DeviceKeys, base: &[Op], n: u64, name: impl Fn(u64) -> String) -> Vec<Op> {
    let mut out: Vec<Op> = base.to_vec();
    for seq in out.len() as u64 + 1..=n {
        let mut w = WriteBody::new("contact");
        w.fields.insert("name".into(), name(seq).into());
        let op = Op::create(
            k,
            Draft {
                seq,
                prev: out.last().map(|o| o.id),
                hlc: Hlc {
                    wall_ms: 1_764_460_800_000 + seq,
                    counter: 0,
                },
                record: RecordId([seq as u8; 16]),
                kind: OpKind::Write,
                context: VersionVector::default(),
            },
            &Body::Write(w),
        )
        .unwrap();
        out.push(op);
    }
    out
}

fn chain(k: &DeviceKeys, n: u64, name: impl Fn(u64) -> String) -> Vec<Op> {
    extend(k, &[], n, name)
}

/// `k`'s checkpoint of the first `size` of `ops`.
fn checkpoint(k: &DeviceKeys, ops: &[Op], size: usize) -> Vec<u8> {
    let log = Log::from_leaves(ops.iter().take(size).map(|o| o.id.0));
    Checkpoint::new(&device_origin(&k.public().signing), log.size(), log.root())
        .sign(&DeviceLogKey::log(k))
        .unwrap()
        .to_bytes()
}

fn parts(ops: &[Op]) -> Vec<(&[u8], &[u8])> {
    ops.iter()
        .map(|o| (o.header_bytes.as_slice(), &o.signature[..]))
        .collect()
}

fn codes(r: &satchel_audit::DeviceReport) -> Vec<(C, Option<u64>, Option<u64>)> {
    r.anomalies
        .iter()
        .map(|a| (a.code, a.seq, a.size))
        .collect()
}

#[test]
fn a_clean_history_has_no_anomaly() {
    let k = keys(1);
    let ops = chain(&k, 6, |i| format!("person {i}"));
    let (c3, c6) = (checkpoint(&k, &ops, 3), checkpoint(&k, &ops, 6));
    let mut shuffled = parts(&ops);
    shuffled.reverse();
    let r = verify_device(&k.public().signing, &shuffled, &[&c6, &c3]);
    assert_eq!(codes(&r), []);
    assert_eq!(
        (r.ops, r.chain, r.checkpoints, r.latest_checkpoint),
        (6, 6, 2, Some(6))
    );
}

#[test]
fn a_dropped_op_is_a_gap_and_leaves_a_checkpoint_beyond_the_log() {
    let k = keys(1);
    let ops = chain(&k, 6, |i| format!("person {i}"));
    let (c3, c6) = (checkpoint(&k, &ops, 3), checkpoint(&k, &ops, 6));
    let mut kept = parts(&ops);
    kept.remove(3);
    let r = verify_device(&k.public().signing, &kept, &[&c3, &c6]);
    assert_eq!(
        codes(&r),
        [
            (C::ChainGap, Some(4), None),
            (C::CheckpointBeyondLog, None, Some(6))
        ]
    );
    assert_eq!(r.chain, 3);
    // The last ops gone and their checkpoint with them: the earlier one still binds.
    let r = verify_device(&k.public().signing, &parts(&ops[..2]), &[&c3]);
    assert_eq!(codes(&r), [(C::CheckpointBeyondLog, None, Some(3))]);
}

#[test]
fn a_rewritten_history_is_found_by_the_checkpoints_it_signed_before() {
    let k = keys(1);
    let ops = chain(&k, 6, |i| format!("person {i}"));
    let c4 = checkpoint(&k, &ops, 4);
    // The same device signs a new history from op 3 on (a restored backup, a
    // coerced rewrite), and a checkpoint of it.
    let other = extend(&k, &ops[..2], 6, |i| format!("changed {i}"));
    let c6 = checkpoint(&k, &other, 6);
    let r = verify_device(&k.public().signing, &parts(&other), &[&c4, &c6]);
    assert_eq!(
        codes(&r),
        [
            (C::CheckpointMismatch, None, Some(4)),
            (C::CheckpointsInconsistent, None, Some(6))
        ]
    );
    // Two checkpoints of the old history, the new history given: both fail, and
    // they are not called inconsistent with each other (they agree, on a history
    // that was not given).
    let old6 = checkpoint(&k, &ops, 6);
    let r = verify_device(&k.public().signing, &parts(&other), &[&c4, &old6]);
    assert_eq!(
        codes(&r),
        [
            (C::CheckpointMismatch, None, Some(4)),
            (C::CheckpointMismatch, None, Some(6))
        ]
    );
    // Both histories given: a fork at sequence 3.
    let mut both = parts(&ops);
    both.extend(parts(&other[2..]));
    let r = verify_device(&k.public().signing, &both, &[&c4]);
    assert!(
        codes(&r).contains(&(C::ChainFork, Some(3), None)),
        "{:?}",
        codes(&r)
    );
}

#[test]
fn forged_misplaced_and_spliced_ops_and_checkpoints_are_each_named() {
    let (k, other) = (keys(1), keys(2));
    let ops = chain(&k, 4, |i| format!("person {i}"));
    let mut given = parts(&ops);
    let mut bad_sig = ops[3].signature;
    bad_sig[0] ^= 1;
    given[3] = (ops[3].header_bytes.as_slice(), &bad_sig[..]);
    let stranger = chain(&other, 1, |_| "x".into());
    given.extend(parts(&stranger));
    given.push((b"not a header", &[0; 64]));
    // A checkpoint by another key, one of another log, and one that is not a note.
    let foreign = checkpoint(&other, &stranger, 1);
    let r = verify_device(&k.public().signing, &given, &[&foreign, b"garbage"]);
    let got: Vec<C> = r.anomalies.iter().map(|a| a.code).collect();
    assert_eq!(
        got,
        [
            C::OpMalformed,
            C::OpBadSignature,
            C::OpWrongAuthor,
            C::CheckpointMalformed,
            C::CheckpointBadSignature
        ]
    );
    assert_eq!(r.chain, 3);
    // An op whose `prev` skips one: spliced.
    let mut spliced = chain(&k, 2, |i| format!("person {i}"));
    let mut w = WriteBody::new("contact");
    w.fields.insert("name".into(), "spliced".into());
    spliced.push(
        Op::create(
            &k,
            Draft {
                seq: 3,
                prev: Some(OpId([7; 32])),
                hlc: Hlc {
                    wall_ms: 1_764_460_900_000,
                    counter: 0,
                },
                record: RecordId([3; 16]),
                kind: OpKind::Write,
                context: VersionVector::default(),
            },
            &Body::Write(w),
        )
        .unwrap(),
    );
    let r = verify_device(&k.public().signing, &parts(&spliced), &[]);
    assert_eq!(codes(&r), [(C::ChainBroken, Some(3), None)]);
}

/// The HTML report holds every device, count and anomaly, escapes whatever the export
/// said, and loads nothing from anywhere.
#[test]
fn the_html_report_is_self_contained_and_escapes_the_export() {
    use satchel_audit::export::{AuditExport, DeviceExport, PublicOp};
    let k = keys(1);
    let ops = chain(&k, 3, |i| format!("person {i}"));
    let good = DeviceExport {
        key: data_encoding::HEXLOWER.encode(&k.public().signing),
        ops: ops
            .iter()
            .map(|o| PublicOp {
                header: data_encoding::HEXLOWER.encode(&o.header_bytes),
                signature: data_encoding::HEXLOWER.encode(&o.signature),
            })
            .collect(),
        checkpoints: vec![String::from_utf8(checkpoint(&k, &ops, 3)).unwrap()],
        proofs: Vec::new(),
    };
    let hostile = DeviceExport {
        key: "<script>alert(1)</script>".into(),
        ops: Vec::new(),
        checkpoints: Vec::new(),
        proofs: Vec::new(),
    };
    let export = AuditExport {
        format: satchel_audit::export::FORMAT.into(),
        version: satchel_audit::export::VERSION,
        exported_by: good.key.clone(),
        organisation: None,
        devices: vec![good, hostile],
        accepted: None,
        openings: vec![satchel_audit::opening::Opening {
            record: "<b>rec</b>".into(),
            state: serde_json::from_value(serde_json::json!({
                "form": "contact", "fields": {}, "deleted": false, "delete_conflict": false,
                "created": {"wall_ms": 1, "counter": 0}, "updated": {"wall_ms": 1, "counter": 0}
            }))
            .unwrap(),
            payloads: Vec::new(),
            withheld: Vec::new(),
            void: Vec::new(),
        }],
    };
    let report = satchel_audit::verify_export(&export);
    assert_eq!(report.devices[0].per_month.get("2025-11"), Some(&3));
    assert_eq!(report.anomalies, 2);
    let html = satchel_audit::html::report_html(&report, "a<b>.json", "2026-11-30T17:00:00Z");
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("a&lt;b&gt;.json"));
    assert!(html.contains("op_malformed") && html.contains("2 anomalies found"));
    assert!(html.contains("replay_mismatch") && html.contains("&lt;b&gt;rec&lt;/b&gt;"));
    assert!(html.contains("<td>2025-11</td><td>3</td>"));
    for external in ["http:", "https:", "src=", "<link", "url("] {
        assert!(!html.contains(external), "{external} in the report");
    }
}

/// `note` (a checkpoint of `k`'s log) cosigned by witness `w` at `time`.
fn cosign_at(k: &DeviceKeys, note: &[u8], w: &DeviceKeys, time: u64) -> Vec<u8> {
    let verifier = satchel_audit::witness::log_verifier(&k.public().signing).unwrap();
    let (cp, n) = Checkpoint::open(note, &verifier).unwrap();
    cosigned(n, &cp, &DeviceLogKey::witness(w), time)
        .unwrap()
        .to_bytes()
}

fn cosignature_codes(found: &[satchel_audit::Anomaly]) -> Vec<(C, Option<u64>)> {
    found.iter().map(|a| (a.code, a.size)).collect()
}

/// A witness's cosignatures: all present and in order is clean; stripped, forged or
/// given to a smaller checkpoint later is each named.
#[test]
fn missing_forged_and_rolled_back_cosignatures_are_each_named() {
    let (k, w) = (keys(1), keys(9));
    let key = k.public().signing;
    let witnesses = [witness_of(&w.public().signing).unwrap()];
    let ops = chain(&k, 6, |i| format!("person {i}"));
    let (c3, c6) = (checkpoint(&k, &ops, 3), checkpoint(&k, &ops, 6));
    let (w3, w6) = (cosign_at(&k, &c3, &w, 100), cosign_at(&k, &c6, &w, 200));
    assert_eq!(verify_cosignatures(&key, &[&w3, &w6], &witnesses, true), []);
    // Not required (the exporter's own log): none is fine; required, each is missing.
    assert_eq!(
        verify_cosignatures(&key, &[&c3, &c6], &witnesses, false),
        []
    );
    assert_eq!(
        cosignature_codes(&verify_cosignatures(&key, &[&w3, &c6], &witnesses, true)),
        [(C::CosignatureMissing, Some(6))]
    );
    // Another witness's line is not the trusted one's.
    let stranger = cosign_at(&k, &c6, &keys(10), 200);
    assert_eq!(
        cosignature_codes(&verify_cosignatures(
            &key,
            &[&w3, &stranger],
            &witnesses,
            true
        )),
        [(C::CosignatureMissing, Some(6))]
    );
    // One bit of the witness's signature flipped.
    let mut forged = Note::parse(&w3).unwrap();
    let mut line = forged.signatures()[1].clone();
    line.bytes[20] ^= 1;
    forged.add_signature(line);
    assert_eq!(
        cosignature_codes(&verify_cosignatures(
            &key,
            &[&forged.to_bytes(), &w6],
            &witnesses,
            true
        )),
        [(C::CosignatureBad, Some(3))]
    );
    // The witness saw 6 ops, then later only 3: the log was shown rolled back.
    let (late3, early6) = (cosign_at(&k, &c3, &w, 300), cosign_at(&k, &c6, &w, 200));
    assert_eq!(
        cosignature_codes(&verify_cosignatures(
            &key,
            &[&early6, &late3],
            &witnesses,
            true
        )),
        [(C::CheckpointRolledBack, Some(3))]
    );
    // The device's own checks do not look at cosignatures at all.
    assert_eq!(
        codes(&verify_device(&key, &parts(&ops), &[&late3, &early6])),
        []
    );
}
