//! Sync by bundle between real vaults: convergence under loss, duplication and
//! reordering; and every bad bundle refused with the vault unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use satchel_api::{ApiError, ListFilter, RecordId, sync::ImportReport};
use satchel_crypto::{bundle, identity::DeviceKeys};
use satchel_sync::{
    bundle::BundleBody,
    hlc::Hlc,
    op::{Body, Draft, Op, OpKind, RecordId as Rid, WriteBody},
    vv::VersionVector,
};

use crate::*;

struct Node {
    _dir: tempfile::TempDir,
    vault: Vault,
    name: String,
}

fn nodes(n: usize) -> Vec<Node> {
    let mut out: Vec<Node> = (0..n)
        .map(|i| {
            let dir = tempfile::tempdir().unwrap();
            let (vault, _) = new_vault(&dir.path().join("v"));
            Node {
                _dir: dir,
                vault,
                name: format!("n{i}"),
            }
        })
        .collect();
    let cards: Vec<(String, String)> = out
        .iter()
        .map(|n| (n.name.clone(), n.vault.identity().card))
        .collect();
    for node in &mut out {
        for (name, card) in &cards {
            if *name != node.name {
                node.vault.add_peer(card, name).unwrap();
            }
        }
    }
    out
}

fn export(from: &mut Node, to: &[&str], dir: &Path) -> PathBuf {
    let names: Vec<String> = to.iter().map(|s| (*s).to_owned()).collect();
    let report = from.vault.export_bundle(&names, dir).unwrap();
    dir.join(report.file)
}

/// Per record: deleted, and each field's sibling values.
type Picture = BTreeMap<String, (bool, Vec<(String, Vec<String>)>)>;

/// A comparable picture of a vault's records: every field's sibling values.
fn picture(v: &Vault) -> Picture {
    v.records(&ListFilter {
        include_deleted: true,
        ..Default::default()
    })
    .unwrap()
    .into_iter()
    .map(|s| {
        let r = v.record(&RecordId::parse(&s.id).unwrap(), "en").unwrap();
        let fields = r
            .fields
            .into_iter()
            .map(|f| {
                (
                    f.id,
                    f.values
                        .into_iter()
                        .map(|x| format!("{}@{}", x.display, x.op))
                        .collect(),
                )
            })
            .collect();
        (s.id, (r.deleted, fields))
    })
    .collect()
}

#[derive(Debug, Clone)]
enum Step {
    Edit {
        node: usize,
        record: usize,
        value: u16,
    },
    Delete {
        node: usize,
        record: usize,
    },
    Send {
        from: usize,
        to: usize,
        deliver: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0usize..5, 0usize..3, any::<u16>()).prop_map(|(node, record, value)| Step::Edit { node, record, value }),
        1 => (0usize..5, 0usize..3).prop_map(|(node, record)| Step::Delete { node, record }),
        4 => (0usize..5, 0usize..5, 0u8..4).prop_map(|(from, to, deliver)| Step::Send { from, to, deliver }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_through_lossy_bundles(n in 3usize..6, steps in proptest::collection::vec(step(), 1..25)) {
        let mut net = nodes(n);
        let mail = tempfile::tempdir().unwrap();
        // Three shared records, created on node 0 and sent to everyone.
        let ids: Vec<RecordId> = (0..3)
            .map(|i| net[0].vault.add_record("contact", &text(&[("name", &format!("r{i}"))]), &[]).unwrap())
            .collect();
        let all: Vec<String> = net.iter().skip(1).map(|x| x.name.clone()).collect();
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let first = export(&mut net[0], &refs, mail.path());
        for node in net.iter_mut().skip(1) { node.vault.import_bundle(&first).unwrap(); }
        let mut written: Vec<(RecordId, String)> = Vec::new();
        let mut held: Vec<PathBuf> = Vec::new();
        for s in steps {
            match s {
                Step::Edit { node, record, value } => {
                    let node = node % n;
                    let v = format!("v{value}");
                    // Edits of deleted records are refused, as for a person.
                    if net[node].vault.edit_record(&ids[record], &text(&[("phone", &v)]), &[]).is_ok() {
                        written.push((ids[record], v));
                    }
                }
                Step::Delete { node, record } => { let _ = net[node % n].vault.delete_record(&ids[record]); }
                Step::Send { from, to, deliver } => {
                    let (from, to) = (from % n, to % n);
                    if from == to { continue; }
                    let name = net[to].name.clone();
                    let file = export(&mut net[from], &[&name], mail.path());
                    match deliver {
                        0 => {} // lost
                        1 => { held.push(file); } // delivered late
                        2 => { net[to].vault.import_bundle(&file).unwrap(); net[to].vault.import_bundle(&file).unwrap(); } // duplicated
                        _ => { net[to].vault.import_bundle(&file).unwrap(); }
                    }
                }
            }
        }
        // Late deliveries in reverse order: all may be stale or out of order.
        for file in held.iter().rev() {
            for node in net.iter_mut() {
                let _ = node.vault.import_bundle(file); // addressed to one node only
            }
        }
        // Full exchange.
        let names: Vec<String> = net.iter().map(|x| x.name.clone()).collect();
        let mut files = Vec::new();
        for (i, node) in net.iter_mut().enumerate() {
            let others: Vec<&str> = names.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, s)| s.as_str()).collect();
            files.push(export(node, &others, mail.path()));
        }
        for (i, node) in net.iter_mut().enumerate() {
            for (j, f) in files.iter().enumerate().rev() {
                if i != j { node.vault.import_bundle(f).unwrap(); }
            }
        }
        let pictures: Vec<_> = net.iter().map(|x| picture(&x.vault)).collect();
        for p in &pictures { prop_assert_eq!(p, &pictures[0]); }
        for node in &net { prop_assert_eq!(node.vault.info().unwrap().ops, net[0].vault.info().unwrap().ops); node.vault.verify().unwrap(); }
        // Nothing written is lost: every value is current, a sibling, or in history.
        for (id, v) in written {
            let history = net[0].vault.history(&id, "en").unwrap();
            prop_assert!(history.iter().any(|h| h.changes.iter().any(|c| c.field == "phone" && c.shown == v)), "{} lost", v);
        }
    }
}

fn snapshot(v: &Vault) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(v.dir())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A device outside any vault, so tests can sign whatever they like.
struct Forger {
    keys: DeviceKeys,
    /// Body hashes of the bundles made, by sequence, so each names its predecessor.
    made: std::cell::RefCell<BTreeMap<u64, [u8; 32]>>,
}

impl Forger {
    fn new(victim: &mut Vault, name: &str) -> Self {
        let keys = DeviceKeys::generate().unwrap();
        victim
            .add_peer(&satchel_api::sync::card_text(&keys.public()), name)
            .unwrap();
        Self {
            keys,
            made: Default::default(),
        }
    }

    fn op(&self, seq: u64, prev: Option<&Op>, record: Rid) -> Op {
        let mut w = WriteBody::new("contact");
        w.fields
            .insert("name".into(), format!("forged {seq}").into());
        let draft = Draft {
            seq,
            prev: prev.map(|p| p.id),
            hlc: Hlc {
                wall_ms: 1_780_000_000_000 + seq,
                counter: 0,
            },
            record,
            kind: OpKind::Write,
            context: VersionVector::default(),
        };
        Op::create(&self.keys, draft, &Body::Write(w)).unwrap()
    }

    fn bundle(&self, to: &Vault, ops: Vec<Op>, seq: u64) -> Vec<u8> {
        let prev = self
            .made
            .borrow()
            .get(&(seq - 1))
            .copied()
            .unwrap_or([0; 32]);
        self.bundle_naming(to, ops, seq, prev)
    }

    fn bundle_naming(&self, to: &Vault, ops: Vec<Op>, seq: u64, prev: [u8; 32]) -> Vec<u8> {
        let body = BundleBody {
            bundle_id: satchel_crypto::rng::array().unwrap(),
            sender_seq: seq,
            prev_bundle: prev,
            acks: VersionVector::default(),
            ops,
            blobs: Vec::new(),
            forms: Vec::new(),
            certificates: Vec::new(),
            revocations: Vec::new(),
            log: standing_log(&self.keys),
            reach: Vec::new(),
        };
        let (content, hash) = body.write().unwrap();
        self.made.borrow_mut().insert(seq, hash);
        let me = satchel_api::sync::parse_card(&to.identity().card).unwrap();
        bundle::seal(&self.keys, &[me.agreement], &content).unwrap()
    }
}

/// A log section for hand-made bundles whose tests are about something else: one
/// checkpoint, the same every time (so always consistent with itself), of a size
/// beyond any op sent.
fn standing_log(keys: &DeviceKeys) -> satchel_sync::bundle::LogSection {
    let origin = satchel_audit::device_origin(&keys.public().signing);
    let cp = satchel_audit::Checkpoint::new(&origin, 1 << 40, [7; 32]);
    satchel_sync::bundle::LogSection {
        checkpoint: cp
            .sign(&satchel_audit::witness::DeviceLogKey::log(keys))
            .unwrap()
            .to_bytes(),
        ..Default::default()
    }
}

fn import_bytes(v: &mut Vault, bytes: &[u8]) -> Result<ImportReport, ApiError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b");
    std::fs::write(&path, bytes).unwrap();
    v.import_bundle(&path)
}

fn refused(v: &mut Vault, bytes: &[u8], says: &str) {
    let before = snapshot(v);
    let err = import_bytes(v, bytes).unwrap_err();
    assert!(err.to_string().contains(says), "{err}");
    assert!(
        snapshot(v) == before,
        "a refused bundle changed the vault ({err})"
    );
}

#[test]
fn bad_bundles_are_refused_and_change_nothing() {
    let mut net = nodes(3);
    let mail = tempfile::tempdir().unwrap();
    net[0]
        .vault
        .add_record("contact", &text(&[("name", "Kim")]), &[])
        .unwrap();
    let to_n1 = std::fs::read(export(&mut net[0], &["n1"], mail.path())).unwrap();
    let [_, b, c] = &mut net[..] else {
        unreachable!()
    };
    // Addressed to someone else.
    refused(
        &mut c.vault,
        &to_n1,
        "not a bundle addressed to this device",
    );
    // Ten gigabytes of zeros (a sparse file): refused after reading the header.
    let dir = tempfile::tempdir().unwrap();
    let zeros = dir.path().join("zeros");
    std::fs::File::create(&zeros)
        .unwrap()
        .set_len(10 * 1024 * 1024 * 1024)
        .unwrap();
    let before = snapshot(&b.vault);
    let err = b.vault.import_bundle(&zeros).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a bundle addressed to this device"),
        "{err}"
    );
    assert!(snapshot(&b.vault) == before);
    // Not bundles at all.
    for junk in [
        &b""[..],
        b"\x89PNG\r\n\x1a\n not really",
        &[0u8; 70_000][..],
    ] {
        refused(&mut b.vault, junk, "not a bundle addressed to this device");
    }
    // Truncated, extended, bit-flipped in each region.
    let mut cases: Vec<(Vec<u8>, &str)> = vec![
        (to_n1[..to_n1.len() - 1].to_vec(), "damaged"),
        ([&to_n1[..], &[0][..]].concat(), "damaged"),
    ];
    for (at, says) in [
        (3, "not a bundle"),
        (100, "signature does not verify"),
        (bundle::HEADER_LEN - 3, "damaged"),
        (bundle::HEADER_LEN + 10, "damaged"),
        (to_n1.len() - 5, "damaged"),
    ] {
        let mut bad = to_n1.clone();
        bad[at] ^= 1;
        cases.push((bad, says));
    }
    for (bad, says) in &cases {
        refused(&mut b.vault, bad, says);
    }
    // From a removed peer.
    b.vault.remove_peer("n0").unwrap();
    refused(&mut b.vault, &to_n1, "not one of your peers");
}

#[test]
fn forks_are_set_aside_and_forked_bundle_sequences_refused() {
    let mut net = nodes(1);
    let v = &mut net[0].vault;
    let f = Forger::new(v, "forger");
    let r = Rid([7; 16]);
    let op1 = f.op(1, None, r);
    let op2 = f.op(2, Some(&op1), r);
    let fork2 = {
        let other1 = f.op(1, None, Rid([8; 16]));
        f.op(2, Some(&other1), r)
    };
    // The same op id with other content: the payload no longer matches its signed hash.
    let mut tampered = op1.clone();
    if let Some(p) = tampered.payload.as_mut() {
        let at = p.len() - 3;
        p[at] ^= 0x01;
    }
    refused(
        v,
        &f.bundle(v, vec![tampered], 9),
        "does not match its signed hash",
    );
    // A chain that does not link: the good op applies, the fork is set aside.
    let forked = import_bytes(v, &f.bundle(v, vec![op1.clone(), fork2.clone()], 1)).unwrap();
    assert_eq!(
        (forked.applied, forked.forks, forked.quarantined),
        (1, 1, 0)
    );
    // Then the rest of the chain, and the same fork again: set aside, not counted twice.
    let ok = import_bytes(v, &f.bundle(v, vec![op1.clone(), op2.clone()], 2)).unwrap();
    assert_eq!(ok.applied, 1);
    let again = import_bytes(v, &f.bundle(v, vec![fork2.clone()], 3)).unwrap();
    assert_eq!((again.applied, again.forks), (0, 0));
    let listed = v.quarantine().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].reason.as_str(), listed[0].seq), ("fork", 2));
    assert_eq!(listed[0].id, fork2.id.to_hex());
    // Two different bundles with one sequence number, or one that does not name
    // the sender's previous bundle.
    refused(v, &f.bundle(v, vec![op1.clone()], 2), "sequence forks");
    refused(
        v,
        &f.bundle_naming(v, vec![op1.clone()], 4, [9; 32]),
        "sequence forks",
    );
    // A gap waits, then fills.
    let op3 = f.op(3, Some(&op2), r);
    let op4 = f.op(4, Some(&op3), r);
    let waiting = import_bytes(v, &f.bundle(v, vec![op4], 5)).unwrap();
    assert_eq!((waiting.applied, waiting.quarantined), (0, 1));
    let filled = import_bytes(v, &f.bundle(v, vec![op3], 6)).unwrap();
    assert_eq!((filled.applied, filled.quarantined), (2, 0));
    v.verify().unwrap();
}

#[test]
fn relayed_ops_are_accepted_because_each_is_signed_by_its_author() {
    let mut net = nodes(3);
    let mail = tempfile::tempdir().unwrap();
    let id = net[0]
        .vault
        .add_record("contact", &text(&[("name", "Relayed")]), &[])
        .unwrap();
    let f = export(&mut net[0], &["n1"], mail.path());
    net[1].vault.import_bundle(&f).unwrap();
    net[2].vault.remove_peer("n0").unwrap();
    let g = export(&mut net[1], &["n2"], mail.path());
    let report = net[2].vault.import_bundle(&g).unwrap();
    assert_eq!(report.applied, 1);
    assert_eq!(
        net[2].vault.record(&id, "en").unwrap().fields[0].values[0].display,
        "Relayed"
    );
}

#[test]
fn one_edit_on_a_synced_vault_makes_a_floor_sized_bundle_and_acks_flow_back() {
    let mut net = nodes(2);
    let mail = tempfile::tempdir().unwrap();
    let rows: Vec<_> = (0..1000)
        .map(|i| text(&[("name", &format!("person {i}"))]))
        .collect();
    let ids = net[0].vault.add_records("contact", &rows).unwrap();
    let f = export(&mut net[0], &["n1"], mail.path());
    assert!(std::fs::metadata(&f).unwrap().len() > bundle::FLOOR as u64);
    net[1].vault.import_bundle(&f).unwrap();
    let back = export(&mut net[1], &["n0"], mail.path());
    net[0].vault.import_bundle(&back).unwrap();
    assert_eq!(net[0].vault.sync_status().unwrap()[0].waiting, 0);
    net[0]
        .vault
        .edit_record(&ids[5], &text(&[("phone", "1")]), &[])
        .unwrap();
    let small = export(&mut net[0], &["n1"], mail.path());
    assert_eq!(
        std::fs::metadata(&small).unwrap().len(),
        bundle::FLOOR as u64
    );
}

#[test]
fn a_conflict_resolution_reaches_everyone() {
    let mut net = nodes(3);
    let mail = tempfile::tempdir().unwrap();
    let id = net[0]
        .vault
        .add_record("contact", &text(&[("name", "Kim")]), &[])
        .unwrap();
    let f = export(&mut net[0], &["n1", "n2"], mail.path());
    net[1].vault.import_bundle(&f).unwrap();
    net[2].vault.import_bundle(&f).unwrap();
    net[0]
        .vault
        .edit_record(&id, &text(&[("phone", "from n0")]), &[])
        .unwrap();
    net[1]
        .vault
        .edit_record(&id, &text(&[("phone", "from n1")]), &[])
        .unwrap();
    for i in 0..2 {
        let f = export(&mut net[i], &["n2"], mail.path());
        let r = net[2].vault.import_bundle(&f).unwrap();
        assert_eq!(r.conflicts_created, i);
    }
    let conflicts = net[2].vault.conflicts("en").unwrap();
    assert_eq!(conflicts.len(), 1);
    let pick = conflicts[0]
        .values
        .iter()
        .find(|v| v.display == "from n1")
        .unwrap()
        .op[..8]
        .to_owned();
    net[2]
        .vault
        .resolve_conflict(&id, "phone", Some(&pick), None)
        .unwrap();
    assert!(net[2].vault.conflicts("en").unwrap().is_empty());
    let f = export(&mut net[2], &["n0", "n1"], mail.path());
    for node in net.iter_mut().take(2) {
        node.vault.import_bundle(&f).unwrap();
        assert!(node.vault.conflicts("en").unwrap().is_empty());
        let r = node.vault.record(&id, "en").unwrap();
        let phone = r.fields.iter().find(|f| f.id == "phone").unwrap();
        assert_eq!(phone.values.len(), 1);
        assert_eq!(phone.values[0].display, "from n1");
    }
}

#[test]
fn a_purge_erases_the_record_on_every_device_it_reaches() {
    let mut net = nodes(2);
    let mail = tempfile::tempdir().unwrap();
    let id = net[0]
        .vault
        .add_record("contact", &text(&[("name", "Erase me")]), &[])
        .unwrap();
    let f = export(&mut net[0], &["n1"], mail.path());
    net[1].vault.import_bundle(&f).unwrap();
    assert_eq!(net[1].vault.search("erase", 10).unwrap().len(), 1);
    net[0].vault.purge_record(&id).unwrap();
    let f = export(&mut net[0], &["n1"], mail.path());
    net[1].vault.import_bundle(&f).unwrap();
    assert!(matches!(
        net[1].vault.record(&id, "en"),
        Err(ApiError::RecordNotFound(_))
    ));
    assert!(net[1].vault.search("erase", 10).unwrap().is_empty());
    let history = net[1].vault.history(&id, "en").unwrap();
    assert!(history[0].purged && history[0].changes.is_empty());
    net[1].vault.verify().unwrap();
    // Relayed onwards, the purged op travels without its payload.
    let mut third = nodes(1).pop().unwrap();
    net[1]
        .vault
        .add_peer(&third.vault.identity().card, "n2")
        .unwrap();
    third
        .vault
        .add_peer(&net[1].vault.identity().card, "n1")
        .unwrap();
    let f = export(&mut net[1], &["n2"], mail.path());
    let r = third.vault.import_bundle(&f).unwrap();
    assert_eq!(r.applied, 2);
    assert!(third.vault.history(&id, "en").unwrap()[0].purged);
}

/// A peer plants a waiting op that forks a chain, then the honest chain arrives: the
/// fork is set aside and reported, and neither this bundle nor any later one is
/// refused because of it.
#[test]
fn a_planted_fork_waiting_in_quarantine_cannot_block_sync() {
    let mut net = nodes(1);
    let v = &mut net[0].vault;
    let f = Forger::new(v, "forger");
    let r = Rid([7; 16]);
    let op1 = f.op(1, None, r);
    let op2 = f.op(2, Some(&op1), r);
    let op3 = f.op(3, Some(&op2), r);
    let op4 = f.op(4, Some(&op3), r);
    // A third op that follows another second op: it waits for sequence 2.
    let planted = {
        let other1 = f.op(1, None, Rid([8; 16]));
        let other2 = f.op(2, Some(&other1), Rid([8; 16]));
        f.op(3, Some(&other2), Rid([8; 16]))
    };
    let first = import_bytes(v, &f.bundle(v, vec![planted], 1)).unwrap();
    assert_eq!((first.applied, first.quarantined), (0, 1));
    // The honest chain: applied, the planted op no longer waits.
    let honest = import_bytes(v, &f.bundle(v, vec![op1, op2, op3], 2)).unwrap();
    assert_eq!((honest.applied, honest.quarantined), (3, 0));
    assert_eq!(honest.forks, 1);
    let listed = v.quarantine().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reason, "fork");
    let id = listed[0].id.clone();
    assert_eq!(v.quarantined_op(&id[..10]).unwrap().entry.seq, 3);
    v.drop_quarantined(&id[..10]).unwrap();
    assert!(v.quarantine().unwrap().is_empty());
    assert_eq!(
        v.drop_quarantined(&id).unwrap_err().code().as_str(),
        "not_in_quarantine"
    );
    // And sync goes on.
    let later = import_bytes(v, &f.bundle(v, vec![op4], 3)).unwrap();
    assert_eq!((later.applied, later.quarantined), (1, 0));
    v.verify().unwrap();
}

/// A write of `fields` on `record`, first in the chain of `keys`.
fn write_by(keys: &DeviceKeys, record: Rid, fields: serde_json::Value) -> Op {
    let mut w = WriteBody::new("contact");
    for (k, v) in fields.as_object().unwrap() {
        w.fields.insert(k.clone(), v.clone());
    }
    let draft = Draft {
        seq: 1,
        prev: None,
        hlc: Hlc {
            wall_ms: 1_780_000_000_000,
            counter: 0,
        },
        record,
        kind: OpKind::Write,
        context: VersionVector::default(),
    };
    Op::create(keys, draft, &Body::Write(w)).unwrap()
}

/// Values from a peer get the checks local input gets: an op whose values do not fit
/// the form merges nothing, and the rest of its bundle imports. A payload nested
/// deeper than any form needs is refused before it is parsed.
#[test]
fn values_from_a_peer_are_checked_against_the_form() {
    let long = "x".repeat(1_000_000);
    let deep: serde_json::Value =
        serde_json::from_str(&format!("{}1{}", "[".repeat(120), "]".repeat(120))).unwrap();
    let cases = [
        (
            "a megabyte in a 1,000-character field",
            serde_json::json!({ "name": long }),
        ),
        (
            "an object in a number field",
            serde_json::json!({ "name": "Kim", "household_size": {"n": 4} }),
        ),
        (
            "an unknown field name with NUL and an override",
            serde_json::json!({ "name": "Kim", "na\u{0}me\u{202e}": "x" }),
        ),
    ];
    for (what, fields) in cases {
        let mut net = nodes(1);
        let v = &mut net[0].vault;
        let f = Forger::new(v, "forger");
        let bad_record = Rid([1; 16]);
        let good_record = Rid([2; 16]);
        let bad = write_by(&f.keys, bad_record, fields);
        let good = write_by(
            &DeviceKeys::generate().unwrap(),
            good_record,
            serde_json::json!({ "name": "Lee" }),
        );
        let report = import_bytes(v, &f.bundle(v, vec![bad.clone(), good], 1))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(report.applied, 1, "{what}");
        let shown = |r: Rid| v.record(&RecordId(r.0), "en").ok();
        assert!(shown(good_record).is_some(), "{what}: the rest imports");
        assert!(shown(bad_record).is_none(), "{what}: merged");
        assert_eq!(report.invalid, 1, "{what}");
        let held = v.quarantine().unwrap();
        assert_eq!(held.len(), 1, "{what}");
        assert_eq!(held[0].reason, "invalid", "{what}");
        assert!(
            held[0].detail.starts_with("field `") || held[0].detail.contains("no field"),
            "{}",
            held[0].detail
        );
        assert!(
            !held[0].detail.contains("xxxx"),
            "a detail never holds the value"
        );
        // Its successor in the author's chain waits behind it; the same op sent
        // again is not counted again.
        let next = f.op(2, Some(&bad), bad_record);
        let later = import_bytes(v, &f.bundle(v, vec![next, bad], 2)).unwrap();
        assert_eq!(
            (later.applied, later.quarantined, later.invalid),
            (0, 1, 0),
            "{what}"
        );
        v.verify().unwrap();
    }
    // Arrays nested 120 deep: refused whole, nothing changed.
    let mut net = nodes(1);
    let v = &mut net[0].vault;
    let f = Forger::new(v, "forger");
    let op = write_by(&f.keys, Rid([3; 16]), serde_json::json!({ "name": deep }));
    refused(v, &f.bundle(v, vec![op], 1), "nested too deep");
}

/// One author cannot fill the quarantine: past its cap, the ops furthest from its
/// chain are dropped (and sent again later, since they are not acknowledged).
#[test]
fn the_quarantine_is_capped_per_author_and_forgets_after_a_hundred_imports() {
    let mut net = nodes(1);
    let v = &mut net[0].vault;
    let f = Forger::new(v, "forger");
    let r = Rid([7; 16]);
    let cap = satchel_sync::sync::LIMITS.author_ops;
    let mut chain = vec![f.op(1, None, r)];
    for seq in 2..=(cap as u64 + 2) {
        let op = f.op(seq, chain.last(), r);
        chain.push(op);
    }
    // Everything but the first op: one more than the cap waits.
    let report = import_bytes(v, &f.bundle(v, chain[1..].to_vec(), 1)).unwrap();
    assert_eq!(
        (report.applied, report.quarantined, report.dropped),
        (0, cap, 1)
    );
    // The gap fills: all that waited applies; the dropped one comes again later.
    let filled = import_bytes(v, &f.bundle(v, vec![chain[0].clone()], 2)).unwrap();
    assert_eq!((filled.applied, filled.quarantined), (cap + 1, 0));
    let last = import_bytes(v, &f.bundle(v, vec![chain[cap + 1].clone()], 3)).unwrap();
    assert_eq!(last.applied, 1);
    // A waiting op is forgotten after 100 imports, whatever the clocks say.
    let stray = {
        let other = DeviceKeys::generate().unwrap();
        let first = write_by(&other, r, serde_json::json!({ "name": "Park" }));
        let draft = Draft {
            seq: 2,
            prev: Some(first.id),
            hlc: Hlc {
                wall_ms: 1,
                counter: 0,
            },
            record: r,
            kind: OpKind::Delete,
            context: VersionVector::default(),
        };
        Op::create(&other, draft, &Body::Empty).unwrap()
    };
    assert_eq!(
        import_bytes(v, &f.bundle(v, vec![stray], 4))
            .unwrap()
            .quarantined,
        1
    );
    let mut dropped = 0;
    for seq in 5..(4 + satchel_sync::sync::LIMITS.imports) {
        dropped += import_bytes(v, &f.bundle(v, Vec::new(), seq))
            .unwrap()
            .dropped;
    }
    assert_eq!((dropped, v.quarantine().unwrap().len()), (0, 1));
    let seq = 4 + satchel_sync::sync::LIMITS.imports;
    let expired = import_bytes(v, &f.bundle(v, Vec::new(), seq)).unwrap();
    assert_eq!(expired.dropped, 1);
    assert!(v.quarantine().unwrap().is_empty());
    v.verify().unwrap();
}

/// Counts the bytes a reader hands out.
struct Counting<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

#[test]
fn a_large_bundle_from_a_stranger_is_refused_after_its_first_chunk() {
    let mut net = nodes(1);
    let v = &mut net[0].vault;
    let stranger = DeviceKeys::generate().unwrap();
    let me = satchel_api::sync::parse_card(&v.identity().card).unwrap();
    // 8 MiB of content, sealed whole: only the header, the first 64 KiB chunk and
    // one byte may be read before the sender is refused.
    let content = vec![0x5a; 8 << 20];
    let sealed = bundle::seal(&stranger, &[me.agreement], &content).unwrap();
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let before = snapshot(v);
    let err = v
        .import_bundle_from(Counting {
            inner: sealed.as_slice(),
            read: read.clone(),
        })
        .unwrap_err();
    assert!(matches!(err, ApiError::UnknownSender), "{err}");
    assert!(
        read.get() <= 432 + 65_536 + 16 + 1,
        "read {} bytes",
        read.get()
    );
    assert!(snapshot(v) == before);
}

#[test]
fn only_attachments_an_op_refers_to_are_stored() {
    let mut net = nodes(1);
    let v = &mut net[0].vault;
    let f = Forger::new(v, "sender");
    let (named, stray) = (b"named photo".to_vec(), b"stray bytes".to_vec());
    let named_hash = satchel_crypto::hash::content(&named);
    let mut w = WriteBody::new("contact");
    w.fields.insert("name".into(), "Kim".into());
    w.fields.insert(
        format!(
            "{}{}",
            satchel_sync::op::ATTACHMENT_PREFIX,
            data_encoding::HEXLOWER.encode(&named_hash)
        ),
        serde_json::json!({"name": "a.jpg", "size": named.len()}),
    );
    let draft = Draft {
        seq: 1,
        prev: None,
        hlc: Hlc {
            wall_ms: 1_780_000_000_000,
            counter: 0,
        },
        record: Rid([3; 16]),
        kind: OpKind::Write,
        context: VersionVector::default(),
    };
    let op = Op::create(&f.keys, draft, &Body::Write(w)).unwrap();
    let mut blobs = vec![
        (named_hash, named.clone()),
        (satchel_crypto::hash::content(&stray), stray),
    ];
    blobs.sort();
    let body = BundleBody {
        bundle_id: [1; 16],
        sender_seq: 1,
        prev_bundle: [0; 32],
        acks: VersionVector::default(),
        ops: vec![op],
        blobs,
        forms: Vec::new(),
        certificates: Vec::new(),
        revocations: Vec::new(),
        log: standing_log(&f.keys),
        reach: Vec::new(),
    };
    let (content, _) = body.write().unwrap();
    let me = satchel_api::sync::parse_card(&v.identity().card).unwrap();
    let sealed = bundle::seal(&f.keys, &[me.agreement], &content).unwrap();
    let report = import_bytes(v, &sealed).unwrap();
    assert_eq!(report.applied, 1);
    assert_eq!(
        v.info().unwrap().attachments,
        1,
        "the stray attachment was stored"
    );
    let id = RecordId([3; 16]);
    let got = v
        .attachment(&id, &data_encoding::HEXLOWER.encode(&named_hash))
        .unwrap();
    assert_eq!(got.as_slice(), named.as_slice());
}

/// A write of `fields` to a record of `form`, at `seq` in the chain of `keys`; an
/// edit (`context` non-empty) when `edit`.
fn form_write(
    keys: &DeviceKeys,
    form: &str,
    seq: u64,
    prev: Option<&Op>,
    record: Rid,
    fields: serde_json::Value,
    edit: bool,
) -> Op {
    let mut w = WriteBody::new(form);
    for (k, v) in fields.as_object().unwrap() {
        w.fields.insert(k.clone(), v.clone());
    }
    let mut context = VersionVector::default();
    if edit {
        context.observe(satchel_sync::op::DeviceId(keys.public().signing), seq - 1);
    }
    let draft = Draft {
        seq,
        prev: prev.map(|p| p.id),
        hlc: Hlc {
            wall_ms: 1_780_000_000_000 + seq,
            counter: 0,
        },
        record,
        kind: OpKind::Write,
        context,
    };
    Op::create(keys, draft, &Body::Write(w)).unwrap()
}

/// A peer cannot bypass the form's rules: a creation that breaks a constraint or
/// fills a field that does not apply is set aside as invalid, naming the field and
/// never the value; an edit is judged on the rules whose fields it carries.
#[test]
fn a_peers_writes_are_checked_against_the_forms_rules() {
    let mut net = nodes(1);
    let v = &mut net[0].vault;
    v.import_form(&crate::records::screening_form()).unwrap();
    let f = Forger::new(v, "forger");
    let too_old = form_write(
        &f.keys,
        "screening",
        1,
        None,
        Rid([1; 16]),
        serde_json::json!({"name": "Kim", "age": 777}),
        false,
    );
    let report = import_bytes(v, &f.bundle(v, vec![too_old], 1)).unwrap();
    assert_eq!((report.applied, report.invalid), (0, 1), "{report:?}");
    let held = v.quarantine().unwrap();
    assert!(
        held[0].detail.contains("`age`") && !held[0].detail.contains("777"),
        "{}",
        held[0].detail
    );

    let other = Forger::new(v, "other");
    let hidden = form_write(
        &other.keys,
        "screening",
        1,
        None,
        Rid([2; 16]),
        serde_json::json!({"name": "Lee", "has_children": false, "count": 3}),
        false,
    );
    let report = import_bytes(v, &other.bundle(v, vec![hidden.clone()], 1)).unwrap();
    assert_eq!((report.applied, report.invalid), (0, 1), "{report:?}");

    // A good creation, then an edit breaking a constraint it carries the field of.
    let third = Forger::new(v, "third");
    let good = form_write(
        &third.keys,
        "screening",
        1,
        None,
        Rid([3; 16]),
        serde_json::json!({"name": "Park", "age": 40}),
        false,
    );
    let bad_edit = form_write(
        &third.keys,
        "screening",
        2,
        Some(&good),
        Rid([3; 16]),
        serde_json::json!({"age": -5}),
        true,
    );
    let report = import_bytes(v, &third.bundle(v, vec![good, bad_edit], 1)).unwrap();
    assert_eq!((report.applied, report.invalid), (1, 1), "{report:?}");
    let shown = v.record(&RecordId([3; 16]), "en").unwrap();
    let age = shown.fields.iter().find(|x| x.id == "age").unwrap();
    assert_eq!(age.values[0].value, serde_json::json!(40));
    v.verify().unwrap();
}
