//! Golden vectors of audit exports (`tests/vectors/audit/`, format in its README): a
//! clean export in and out of an organisation, and one tampered export per anomaly
//! class, each found with its own code; files that are not exports are refused.
//!
//! Written once (payload salts are random), checked forever. To write them again:
//! `SATCHEL_WRITE_VECTORS=1 cargo test -p satchel-audit --test main vectors`.

use std::path::PathBuf;

use satchel_audit::export::{DeviceExport, OrganisationExport, PublicOp};
use satchel_audit::opening::{OpenedOp, Opening};
use satchel_audit::witness::{DeviceLogKey, cosigned, log_verifier};
use satchel_audit::{AuditExport, Checkpoint, Log, Note};
use satchel_crypto::identity::DeviceKeys;
use satchel_sync::{
    hlc::Hlc,
    member::{CertificateDraft, Members, OrgRoot, Role},
    merge::materialise,
    op::{Body, Draft, Op, OpId, OpKind, RecordId, WriteBody},
    vv::VersionVector,
};

/// The exporting device (a coordinator in the organisation's vectors).
const EXPORTER: u8 = 0xE1;
/// The device whose history the vectors tamper with.
const DEVICE: u8 = 0xA1;
/// The organisation's root key seed.
const ROOT: u8 = 0x0F;
/// 2026-05-28, seconds: the ops' clocks start here.
const T0: u64 = 1_780_000_000;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/audit")
}

fn keys(seed: u8) -> DeviceKeys {
    DeviceKeys::from_secret_bytes(&[seed; 64]).unwrap()
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

/// A write by `k` at `seq` after `prev`, of `record`, naming `name`.
fn write(k: &DeviceKeys, seq: u64, prev: Option<OpId>, record: u8, name: &str) -> Op {
    let mut w = WriteBody::new("contact");
    w.fields.insert("name".into(), name.into());
    Op::create(
        k,
        Draft {
            seq,
            prev,
            hlc: Hlc {
                wall_ms: (T0 + seq * 60) * 1000,
                counter: 0,
            },
            record: RecordId([record; 16]),
            kind: OpKind::Write,
            context: VersionVector::default(),
        },
        &Body::Write(w),
    )
    .unwrap()
}

fn chain(k: &DeviceKeys, n: u64, record: impl Fn(u64) -> u8) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    for seq in 1..=n {
        let prev = out.last().map(|o| o.id);
        out.push(write(k, seq, prev, record(seq), &format!("person {seq}")));
    }
    out
}

fn public(ops: &[Op]) -> Vec<PublicOp> {
    ops.iter()
        .map(|o| PublicOp {
            header: hex(&o.header_bytes),
            signature: hex(&o.signature),
        })
        .collect()
}

/// `k`'s checkpoint of its first `size` ops, cosigned by the exporter at `time`
/// (seconds) unless `None`.
fn checkpoint(k: &DeviceKeys, ops: &[Op], size: usize, time: Option<u64>) -> String {
    let log = Log::from_leaves(ops.iter().take(size).map(|o| o.id.0));
    let origin = satchel_audit::device_origin(&k.public().signing);
    let note = Checkpoint::new(&origin, log.size(), log.root())
        .sign(&DeviceLogKey::log(k))
        .unwrap();
    cosign(k, &note.to_bytes(), time)
}

fn cosign(k: &DeviceKeys, note: &[u8], time: Option<u64>) -> String {
    let Some(time) = time else {
        return String::from_utf8(note.to_vec()).unwrap();
    };
    let (cp, n) = Checkpoint::open(note, &log_verifier(&k.public().signing).unwrap()).unwrap();
    let witness = keys(EXPORTER);
    String::from_utf8(
        cosigned(n, &cp, &DeviceLogKey::witness(&witness), time)
            .unwrap()
            .to_bytes(),
    )
    .unwrap()
}

struct World {
    exporter: Vec<Op>,
    device: Vec<Op>,
    org: Option<OrganisationExport>,
    members: Option<Members>,
    root: Option<OrgRoot>,
}

/// The device writes 7 ops (record 0x11 at 1 and 4, others each its own); the
/// exporter 2; the device's checkpoints at 3 and 6 were cosigned by the exporter at
/// T0 + 1000 and T0 + 2000.
fn world(in_org: bool) -> World {
    let (e, a) = (keys(EXPORTER), keys(DEVICE));
    let device = chain(&a, 7, |seq| {
        if seq == 1 || seq == 4 {
            0x11
        } else {
            seq as u8
        }
    });
    let exporter = chain(&e, 2, |seq| 0x70 + seq as u8);
    if !in_org {
        return World {
            exporter,
            device,
            org: None,
            members: None,
            root: None,
        };
    }
    let (root, first) = OrgRoot::create(
        [ROOT; 64],
        &e.public(),
        "Coordinator",
        [1; 16],
        T0 - 86_400,
        365,
    )
    .unwrap();
    let field = root
        .issue(&CertificateDraft {
            org: root.org(),
            serial: [2; 16],
            device: a.public(),
            name: "Field worker".into(),
            role: Role::Field,
            not_before: T0 - 86_400,
            not_after: T0 + 90 * 86_400,
        })
        .unwrap();
    let mut members = Members::new(root.org());
    members.insert_certificate(first.clone()).unwrap();
    members.insert_certificate(field.clone()).unwrap();
    World {
        exporter,
        device,
        org: Some(OrganisationExport {
            id: hex(&root.org().0),
            certificates: vec![hex(&first.write()), hex(&field.write())],
            revocations: Vec::new(),
        }),
        members: Some(members),
        root: Some(root),
    }
}

fn export(w: &World) -> AuditExport {
    let (e, a) = (keys(EXPORTER), keys(DEVICE));
    let record: Vec<&Op> = w
        .device
        .iter()
        .filter(|o| o.header.record == RecordId([0x11; 16]))
        .collect();
    let views: Vec<_> = record.iter().map(|o| o.view()).collect();
    AuditExport {
        format: satchel_audit::export::FORMAT.into(),
        version: satchel_audit::export::VERSION,
        exported_by: hex(&e.public().signing),
        organisation: w.org.clone(),
        devices: vec![
            DeviceExport {
                key: hex(&e.public().signing),
                ops: public(&w.exporter),
                checkpoints: vec![checkpoint(&e, &w.exporter, 2, None)],
                proofs: Vec::new(),
            },
            DeviceExport {
                key: hex(&a.public().signing),
                ops: public(&w.device),
                checkpoints: vec![
                    checkpoint(&a, &w.device, 3, Some(T0 + 1000)),
                    checkpoint(&a, &w.device, 6, Some(T0 + 2000)),
                ],
                proofs: vec![proof(&w.device, 3, 6)],
            },
        ],
        accepted: Some(accepted(&w.exporter, &w.device, 5)),
        openings: vec![Opening {
            record: hex(&[0x11; 16]),
            state: materialise(&views).unwrap(),
            payloads: record
                .iter()
                .map(|o| OpenedOp {
                    op: o.id.to_hex(),
                    payload: hex(o.payload.as_deref().unwrap()),
                })
                .collect(),
            withheld: Vec::new(),
            void: Vec::new(),
        }],
    }
}

/// The consistency proof from `from` to `to` of the first ops of `ops`.
fn proof(ops: &[Op], from: u64, to: usize) -> satchel_audit::export::ConsistencyProof {
    let log = Log::from_leaves(ops.iter().take(to).map(|o| o.id.0));
    satchel_audit::export::ConsistencyProof {
        from,
        to: to as u64,
        hashes: log
            .prove_consistency(from)
            .unwrap()
            .iter()
            .map(|h| hex(h))
            .collect(),
    }
}

/// The exporter's accepted-ops log: its own ops, then the device's, with a
/// checkpoint it signed at `signed` ops.
fn accepted(own: &[Op], other: &[Op], signed: usize) -> satchel_audit::accepted::AcceptedExport {
    let e = keys(EXPORTER);
    let ids: Vec<[u8; 32]> = own.iter().chain(other).map(|o| o.id.0).collect();
    let log = Log::from_leaves(ids.iter().take(signed).copied());
    let origin = satchel_audit::accepted::accepted_origin(&e.public().signing);
    let note = Checkpoint::new(&origin, log.size(), log.root())
        .sign(&DeviceLogKey::accepted(&e))
        .unwrap();
    satchel_audit::accepted::AcceptedExport {
        ops: ids.iter().map(|i| hex(i)).collect(),
        checkpoints: vec![String::from_utf8(note.to_bytes()).unwrap()],
    }
}

fn json(e: &AuditExport) -> String {
    serde_json::to_string_pretty(e).unwrap()
}

/// Every vector: name, what it shows, and the export's text.
fn vectors() -> Vec<(&'static str, &'static str, String)> {
    let a = keys(DEVICE);
    let plain = world(false);
    let clean = export(&plain);
    let mut out = vec![(
        "good-clean",
        "two devices, the other's checkpoints cosigned by the exporter, one record opened",
        json(&clean),
    )];
    let mut tamper = |name: &'static str, comment: &'static str, f: &dyn Fn(&mut AuditExport)| {
        let mut e = clean.clone();
        f(&mut e);
        out.push((name, comment, json(&e)));
    };
    tamper("bad-op-malformed", "op 7's header is not a header", &|e| {
        e.devices[1].ops[6].header = "00".into();
    });
    tamper(
        "bad-op-bad-signature",
        "one bit of op 7's signature flipped",
        &|e| {
            let s = &mut e.devices[1].ops[6].signature;
            let flipped = if s.starts_with('0') { "1" } else { "0" };
            s.replace_range(0..1, flipped);
        },
    );
    tamper(
        "bad-op-wrong-author",
        "the exporter's op 1 among the device's",
        &|e| {
            let op = e.devices[0].ops[0].clone();
            e.devices[1].ops.push(op);
        },
    );
    let device = plain.device.clone();
    tamper(
        "bad-chain-fork",
        "a second, different op at sequence 7",
        &|e| {
            let other = write(&a, 7, Some(device[5].id), 0x77, "someone else");
            e.devices[1].ops.extend(public(&[other]));
        },
    );
    tamper(
        "bad-chain-gap",
        "an op at sequence 9 with none at 8: an op dropped",
        &|e| {
            let later = write(&a, 9, Some(OpId([9; 32])), 0x79, "later");
            e.devices[1].ops.extend(public(&[later]));
        },
    );
    tamper(
        "bad-chain-broken",
        "op 8 does not name op 7: the chain spliced",
        &|e| {
            let spliced = write(&a, 8, Some(device[4].id), 0x78, "spliced");
            e.devices[1].ops.extend(public(&[spliced]));
        },
    );
    tamper(
        "bad-chain-reordered",
        "ops 2 and 3 swapped in their sequence numbers (re-signed by the device): the chain no longer links, and the checkpoints see it",
        &|e| {
            let mut ops = device.clone();
            let two = write(&a, 2, Some(ops[0].id), 3, "person 3");
            let three = write(&a, 3, Some(two.id), 2, "person 2");
            ops[1] = two;
            ops[2] = three;
            e.devices[1].ops = public(&ops);
        },
    );
    tamper(
        "bad-consistency-proof",
        "one hash of the consistency proof from 3 to 6 changed",
        &|e| {
            let h = &mut e.devices[1].proofs[0].hashes[0];
            let other = if h.starts_with("00") { "ff" } else { "00" };
            h.replace_range(0..2, other);
        },
    );
    tamper(
        "bad-checkpoint-malformed",
        "a checkpoint that is not a note",
        &|e| {
            e.devices[1].checkpoints.push("not a note\n".into());
        },
    );
    tamper(
        "bad-checkpoint-bad-signature",
        "a checkpoint of the device's log signed by another key",
        &|e| {
            let other = keys(0x55);
            let log = Log::from_leaves(device.iter().take(4).map(|o| o.id.0));
            let text = Checkpoint::new(
                &satchel_audit::device_origin(&a.public().signing),
                4,
                log.root(),
            )
            .to_text();
            let name = satchel_audit::device_origin(&a.public().signing);
            let note = Note::sign(&text, &[&NamedAs(&other, name)]).unwrap();
            e.devices[1]
                .checkpoints
                .push(String::from_utf8(note.to_bytes()).unwrap());
        },
    );
    tamper(
        "bad-checkpoint-wrong-origin",
        "the device's signature over a checkpoint of another log",
        &|e| {
            let text = Checkpoint::new("satchel/device/00", 1, [0; 32]).to_text();
            let note = Note::sign(&text, &[&DeviceLogKey::log(&a)]).unwrap();
            e.devices[1]
                .checkpoints
                .push(String::from_utf8(note.to_bytes()).unwrap());
        },
    );
    tamper(
        "bad-checkpoint-beyond-log",
        "a checkpoint of 9 ops, cosigned, where the history holds 7: ops signed for were dropped",
        &|e| {
            let mut leaves: Vec<[u8; 32]> = device.iter().map(|o| o.id.0).collect();
            leaves.extend([[8; 32], [9; 32]]);
            let log = Log::from_leaves(leaves);
            let note = Checkpoint::new(
                &satchel_audit::device_origin(&a.public().signing),
                9,
                log.root(),
            )
            .sign(&DeviceLogKey::log(&a))
            .unwrap();
            e.devices[1]
                .checkpoints
                .push(cosign(&a, &note.to_bytes(), Some(T0 + 3000)));
        },
    );
    tamper(
        "bad-checkpoint-mismatch",
        "a cosigned checkpoint at 5 over other ops: history rewritten (and the one at 6 cannot extend it)",
        &|e| {
            let mut other = device.clone();
            other[4] = write(&a, 5, Some(other[3].id), 0x55, "rewritten");
            e.devices[1]
                .checkpoints
                .push(checkpoint(&a, &other, 5, Some(T0 + 1500)));
        },
    );
    tamper(
        "bad-checkpoints-inconsistent",
        "two cosigned checkpoints at size 3 with different roots",
        &|e| {
            let mut other = device.clone();
            other[2] = write(&a, 3, Some(other[1].id), 0x33, "other");
            e.devices[1]
                .checkpoints
                .push(checkpoint(&a, &other, 3, Some(T0 + 1100)));
        },
    );
    tamper(
        "bad-cosignature-missing",
        "the exporter's cosignature taken off the checkpoint at 6",
        &|e| {
            e.devices[1].checkpoints[1] = checkpoint(&a, &device, 6, None);
        },
    );
    tamper(
        "bad-cosignature-forged",
        "one bit of the exporter's cosignature of the checkpoint at 3 flipped",
        &|e| {
            let mut n = Note::parse(e.devices[1].checkpoints[0].as_bytes()).unwrap();
            let mut line = n.signatures()[1].clone();
            line.bytes[20] ^= 1;
            n.add_signature(line);
            e.devices[1].checkpoints[0] = String::from_utf8(n.to_bytes()).unwrap();
        },
    );
    tamper(
        "bad-checkpoint-rolled-back",
        "the exporter cosigned the checkpoint at 3 after the one at 6",
        &|e| {
            e.devices[1].checkpoints[0] = checkpoint(&a, &device, 3, Some(T0 + 3000));
        },
    );
    tamper(
        "bad-opening-mismatch",
        "an opened payload changed: it does not open its op's commitment",
        &|e| {
            e.openings[0].payloads[0]
                .payload
                .replace_range(40..42, "ff");
        },
    );
    tamper(
        "bad-replay-mismatch",
        "the opened record's name changed in the export: a replay of its ops differs",
        &|e| {
            if let Some(v) = e.openings[0].state.fields.get_mut("name") {
                v[0].value = "someone else".into();
            }
        },
    );
    let (own, other) = (plain.exporter.clone(), plain.device.clone());
    tamper(
        "bad-accepted-mismatch",
        "an op of the export left out of the exporter's accepted-ops log",
        &|e| {
            if let Some(a) = e.accepted.as_mut() {
                a.ops.pop();
            }
        },
    );
    tamper(
        "bad-accepted-rewritten",
        "the accepted-ops log's first ops in another order than its checkpoint signed",
        &|e| {
            let mut swapped = own.clone();
            swapped.swap(0, 1);
            let mut log = accepted(&own, &other, 5);
            log.ops = accepted(&swapped, &other, 5).ops;
            e.accepted = Some(log);
        },
    );
    // In an organisation.
    let org = world(true);
    let clean_org = export(&org);
    out.push((
        "good-organisation",
        "the same in an organisation: the exporter a coordinator (the trusted witness), the device a field worker",
        json(&clean_org),
    ));
    let mut e = clean_org.clone();
    let (Some(root), Some(members)) = (&org.root, &org.members) else {
        unreachable!()
    };
    let field = members
        .certificates()
        .find(|c| c.role() == Role::Field)
        .unwrap()
        .id();
    let rev = root.revoke(members, field, 6, T0 + 400).unwrap();
    if let Some(o) = e.organisation.as_mut() {
        o.revocations.push(hex(&rev.write()));
    }
    out.push((
        "bad-author-not-member",
        "the field worker revoked from op 6: ops 6 and 7 were written by a device that could no longer write",
        json(&e),
    ));
    let mut e = clean_org;
    if let Some(o) = e.organisation.as_mut() {
        o.certificates[1].replace_range(0..2, "ff");
    }
    out.push((
        "bad-organisation-malformed",
        "a certificate that does not read",
        json(&e),
    ));
    // Not exports.
    let text = json(&clean);
    out.push((
        "bad-truncated",
        "the clean export cut in half",
        text[..text.len() / 2].to_owned(),
    ));
    out.push(("bad-garbage", "not JSON", "\u{1}\u{2}garbage".into()));
    out.push((
        "bad-newer-version",
        "an export of a later format version",
        text.replacen("\"version\": 1", "\"version\": 2", 1),
    ));
    out.push((
        "bad-unknown-field",
        "a field this version does not know",
        text.replacen("{", "{\n  \"extra\": true,", 1),
    ));
    out
}

/// A key signing under another device's log name (a forged checkpoint).
struct NamedAs<'a>(&'a DeviceKeys, String);

impl satchel_audit::NoteSigner for NamedAs<'_> {
    fn name(&self) -> &str {
        &self.1
    }
    fn public_key(&self) -> [u8; 32] {
        self.0.public().signing
    }
    fn sign(&self, m: &[u8]) -> Result<[u8; 64], satchel_audit::NoteError> {
        self.0
            .sign_log_note(m)
            .map_err(|_| satchel_audit::NoteError::Refused)
    }
}

/// What a verifier finds: `ok`, the anomaly codes (sorted), or `refused: ...`.
fn outcome(text: &str) -> String {
    match AuditExport::parse(text.as_bytes()) {
        Err(e) => format!("refused: {e}")
            .split(" at line")
            .next()
            .and_then(|s| s.split(", expected one of").next())
            .unwrap_or_default()
            .to_owned(),
        Ok(export) => {
            let r = satchel_audit::verify_export(&export);
            let mut codes: Vec<String> = r
                .organisation_anomalies
                .iter()
                .chain(r.devices.iter().flat_map(|d| &d.anomalies))
                .chain(r.openings.iter().flat_map(|o| &o.anomalies))
                .chain(r.accepted.iter().flat_map(|a| &a.anomalies))
                .map(|a| {
                    serde_json::to_value(a.code)
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect();
            codes.sort();
            if codes.is_empty() {
                "ok".into()
            } else {
                codes.join(" ")
            }
        }
    }
}

#[test]
fn audit_vectors_meet_their_expectations() {
    if std::env::var_os("SATCHEL_WRITE_VECTORS").is_some() {
        std::fs::create_dir_all(dir()).unwrap();
        for (name, comment, text) in vectors() {
            let v = serde_json::json!({
                "expect": outcome(&text),
                "comment": comment,
                "export": text,
            });
            std::fs::write(
                dir().join(format!("{name}.json")),
                serde_json::to_string_pretty(&v).unwrap() + "\n",
            )
            .unwrap();
        }
    }
    let mut codes_seen = std::collections::BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let expect = v["expect"].as_str().unwrap();
        let got = outcome(v["export"].as_str().unwrap());
        assert_eq!(got, expect, "{}", path.display());
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name.starts_with("good-") {
            assert_eq!(got, "ok", "{name}");
        } else {
            assert_ne!(got, "ok", "{name} finds nothing");
        }
        codes_seen.extend(got.split(' ').map(str::to_owned));
        files += 1;
    }
    // One vector at least for every anomaly class.
    for code in [
        "op_malformed",
        "op_bad_signature",
        "op_wrong_author",
        "chain_fork",
        "chain_gap",
        "chain_broken",
        "checkpoint_malformed",
        "checkpoint_bad_signature",
        "checkpoint_wrong_origin",
        "checkpoint_beyond_log",
        "checkpoint_mismatch",
        "checkpoints_inconsistent",
        "author_not_member",
        "organisation_malformed",
        "cosignature_missing",
        "cosignature_bad",
        "checkpoint_rolled_back",
        "opening_mismatch",
        "replay_mismatch",
        "accepted_mismatch",
    ] {
        assert!(codes_seen.contains(code), "no vector finds {code}");
    }
    assert!(files >= 25, "{files} vectors");
}
