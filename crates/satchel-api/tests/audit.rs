//! This device's transparency log: checkpoints signed as C2SP notes that standard
//! tooling reads, kept, and refused once the chain under them changed.

use satchel_api::ApiError;
use satchel_audit::{Checkpoint, NoteVerifier};

use crate::*;

#[test]
fn a_device_signs_checkpoints_of_its_log_and_notices_a_chain_that_lost_ops() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(&tmp.path().join("v"));
    let first = v.log_checkpoint().unwrap();
    for name in ["Kim", "Lee", "Park"] {
        v.add_record("contact", &text(&[("name", name)]), &[])
            .unwrap();
    }
    let cp = v.log_checkpoint().unwrap();
    assert_eq!(cp.size, first.size + 3);
    assert!(cp.origin.starts_with("satchel/device/"));
    let verifier = NoteVerifier::parse(&cp.verifier_key).unwrap();
    assert_eq!(verifier.name(), cp.origin);
    let (read, note) = Checkpoint::open(cp.note.as_bytes(), &verifier).unwrap();
    assert_eq!(
        (read.size, read.origin.as_str()),
        (cp.size, cp.origin.as_str())
    );
    assert_eq!(data_encoding::BASE64.encode(&read.root), cp.root);
    assert_eq!(note.signatures().len(), 1);
    // Nothing new: the same note, kept.
    assert_eq!(v.log_checkpoint().unwrap().note, cp.note);
    // An op of the chain gone (a database rewound or edited outside Satchel): refused.
    v.execute_sql_for_tests("DELETE FROM ops WHERE seq = (SELECT max(seq) FROM ops)")
        .unwrap();
    assert!(matches!(v.log_checkpoint(), Err(ApiError::DatabaseDamaged)));
}

/// An organisation's export is checked against its membership at each op's time: a
/// seized device's op written after its revocation point (held void by the
/// coordinator) is named; everything else verifies, and no record text is in it.
#[test]
fn an_audit_export_checks_each_op_against_the_membership_at_its_time() {
    use satchel_audit::{AnomalyCode, AuditExport, verify_export};
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = crate::org::coordinator_and_worker(tmp.path());
    b.add_record("contact", &text(&[("name", "Before Seizure")]), &[])
        .unwrap();
    crate::org::send(&mut b, "a", &mut a, tmp.path());
    a.member_revoke("Worker B", None).unwrap();
    b.add_record("contact", &text(&[("name", "After Seizure")]), &[])
        .unwrap();
    crate::org::send(&mut b, "a", &mut a, tmp.path());

    let path = tmp.path().join("audit.json");
    let written = a.audit_export(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.windows(6).any(|w| w == b"Seizur"),
        "record text in the export"
    );
    let export = AuditExport::parse(&bytes).unwrap();
    assert!(export.organisation.is_some());
    let report = verify_export(&export);
    assert!(report.organisation && report.organisation_anomalies.is_empty());
    assert_eq!(
        report.devices.iter().map(|d| d.ops as usize).sum::<usize>(),
        written
    );
    let found: Vec<(AnomalyCode, Option<u64>)> = report
        .devices
        .iter()
        .flat_map(|d| d.anomalies.iter().map(|x| (x.code, x.seq)))
        .collect();
    assert_eq!(found, [(AnomalyCode::AuthorNotMember, Some(2))]);
    // Outside the organisation, the same ops say nothing of membership.
    let mut alone = export.clone();
    alone.organisation = None;
    assert_eq!(verify_export(&alone).anomalies, 0);
    // An organisation object tampered with is itself an anomaly.
    let mut bad = export;
    if let Some(o) = bad.organisation.as_mut() {
        o.certificates[0].replace_range(0..2, "ff");
    }
    let r = verify_export(&bad);
    assert_eq!(r.organisation_anomalies.len(), 1);
    assert!(!r.organisation);
}

/// Two peers, `a` and `b`, in `dir`.
fn pair(dir: &std::path::Path) -> (Vault, Vault) {
    let (mut a, _) = new_vault(&dir.join("a"));
    let (mut b, _) = new_vault(&dir.join("b"));
    let (ca, cb) = (a.identity().card, b.identity().card);
    a.add_peer(&cb, "b").unwrap();
    b.add_peer(&ca, "a").unwrap();
    (a, b)
}

fn bundle(from: &mut Vault, to: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join("usb");
    let report = from.export_bundle(&[to.to_owned()], &out).unwrap();
    out.join(report.file)
}

fn names(v: &Vault) -> Vec<String> {
    let mut out: Vec<String> = v
        .records(&satchel_api::ListFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.title)
        .collect();
    out.sort();
    out
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn refusal(e: ApiError) -> satchel_api::error::BundleRefusal {
    match e {
        ApiError::BundleContent { reason, .. } => reason,
        other => panic!("{other}"),
    }
}

/// A device restored from an old copy of its vault (seized, or "repaired") sends a
/// history that went back, then one that was rewritten: each bundle is refused with
/// its reason at the first import, and nothing of it is merged.
#[test]
fn a_device_whose_log_went_back_or_was_rewritten_is_refused_and_nothing_merges() {
    use satchel_api::error::BundleRefusal;
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = pair(tmp.path());
    a.add_record("contact", &text(&[("name", "One")]), &[])
        .unwrap();
    drop(a);
    copy_dir(&tmp.path().join("a"), &tmp.path().join("a-copy"));
    let mut a = satchel_api::unlock(&tmp.path().join("a"), &pass(PASS), P).unwrap();
    for name in ["Two", "Three"] {
        a.add_record("contact", &text(&[("name", name)]), &[])
            .unwrap();
    }
    let first = bundle(&mut a, "b", tmp.path());
    assert_eq!(b.import_bundle(&first).unwrap().applied, 3);
    let held = names(&b);
    drop(a);

    // The old copy: one op where three were seen.
    let copy = tmp.path().join("a-copy");
    let mut old = satchel_api::unlock(&copy, &pass(PASS), P).unwrap();
    let back = bundle(&mut old, "b", tmp.path());
    assert_eq!(
        refusal(b.import_bundle(&back).unwrap_err()),
        BundleRefusal::LogRewound
    );
    // Written on since: three ops again, two of them other than those seen.
    for name in ["Four", "Five"] {
        old.add_record("contact", &text(&[("name", name)]), &[])
            .unwrap();
    }
    let same_size = bundle(&mut old, "b", tmp.path());
    let err = b.import_bundle(&same_size).unwrap_err();
    assert_eq!(err.code(), satchel_api::error::ErrorCode::BundleRefused);
    assert_eq!(err.params()["reason"], "log_forked".into());
    assert_eq!(refusal(err), BundleRefusal::LogForked);
    // And past it: no proof from the size seen, but the chain held shows the fork.
    old.add_record("contact", &text(&[("name", "Six")]), &[])
        .unwrap();
    let longer = bundle(&mut old, "b", tmp.path());
    assert_eq!(
        refusal(b.import_bundle(&longer).unwrap_err()),
        BundleRefusal::LogForked
    );
    assert_eq!(names(&b), held, "something of a refused bundle was merged");
    assert!(b.quarantine().unwrap().is_empty());
}

/// The recipient cosigns the sender's checkpoint as its witness and sends the
/// cosignature back; later bundles prove their log from the size the witness
/// cosigned, and bundles may arrive out of order.
#[test]
fn a_witness_cosigns_each_checkpoint_and_the_sender_keeps_the_cosignature() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = pair(tmp.path());
    for name in ["Kim", "Lee"] {
        a.add_record("contact", &text(&[("name", name)]), &[])
            .unwrap();
    }
    let first = bundle(&mut a, "b", tmp.path());
    b.import_bundle(&first).unwrap();
    let reply = bundle(&mut b, "a", tmp.path());
    a.import_bundle(&reply).unwrap();
    let cp = a.log_checkpoint().unwrap();
    let note = satchel_audit::Note::parse(cp.note.as_bytes()).unwrap();
    let b_key = satchel_api::sync::parse_card(&b.identity().card)
        .unwrap()
        .signing;
    let witness = satchel_audit::witness::witness_of(&b_key).unwrap();
    let read = satchel_audit::Checkpoint::parse(note.text()).unwrap();
    assert!(
        witness.check(&read, note.signatures()).unwrap().is_some(),
        "b's cosignature did not come back to a's checkpoint"
    );
    // Two more bundles; b sees the later one first.
    a.add_record("contact", &text(&[("name", "Park")]), &[])
        .unwrap();
    let second = bundle(&mut a, "b", tmp.path());
    a.add_record("contact", &text(&[("name", "Choi")]), &[])
        .unwrap();
    let third = bundle(&mut a, "b", tmp.path());
    assert_eq!(b.import_bundle(&third).unwrap().applied, 2);
    b.import_bundle(&second).unwrap();
    assert_eq!(names(&b), ["Choi", "Kim", "Lee", "Park"]);

    // Both exports verify clean: every checkpoint b kept of a's log carries b's
    // cosignature, in order, and a's own carry the one that came back.
    use satchel_audit::{AnomalyCode, AuditExport, verify_export};
    for v in [&mut a, &mut b] {
        let path = tmp.path().join("audit.json");
        v.audit_export(&path).unwrap();
        let export = AuditExport::parse(&std::fs::read(&path).unwrap()).unwrap();
        let report = verify_export(&export);
        assert_eq!(report.anomalies, 0, "{report:?}");
        // The accepted-ops log holds every op exported, with a checkpoint per export.
        let accepted = report.accepted.as_ref().unwrap();
        let ops: u64 = report.devices.iter().map(|d| d.ops).sum();
        assert_eq!(accepted.ops, ops);
        assert!(accepted.checkpoints >= 1);
    }
    let path = tmp.path().join("audit.json");
    b.audit_export(&path).unwrap();
    let mut export = AuditExport::parse(&std::fs::read(&path).unwrap()).unwrap();
    let a_key = data_encoding::HEXLOWER.encode(
        &satchel_api::sync::parse_card(&a.identity().card)
            .unwrap()
            .signing,
    );
    let of_a = export.devices.iter_mut().find(|d| d.key == a_key).unwrap();
    assert!(
        of_a.checkpoints.len() >= 2,
        "b kept {} of a's",
        of_a.checkpoints.len()
    );
    // With proofs from each to the largest, which verify (the clean reports above).
    assert_eq!(of_a.proofs.len(), of_a.checkpoints.len() - 1);
    // A checkpoint's cosignature stripped: named.
    let stripped = {
        let n = satchel_audit::Note::parse(of_a.checkpoints[0].as_bytes()).unwrap();
        let own = &n.signatures()[0];
        let mut sig = own.id.to_be_bytes().to_vec();
        sig.extend_from_slice(&own.bytes);
        let b64 = data_encoding::BASE64.encode(&sig);
        format!("{}\n\u{2014} {} {b64}\n", n.text(), own.name)
    };
    of_a.checkpoints[0] = stripped;
    let codes: Vec<AnomalyCode> = verify_export(&export)
        .devices
        .iter()
        .flat_map(|d| d.anomalies.iter().map(|x| x.code))
        .collect();
    assert_eq!(codes, [AnomalyCode::CosignatureMissing]);
}

fn export_and_read(
    v: &mut Vault,
    grants: &satchel_api::audit::AuditGrants,
    dir: &std::path::Path,
) -> (Vec<u8>, satchel_audit::AuditExport) {
    let path = dir.join("audit.json");
    v.audit_export_with(&path, grants).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let export = satchel_audit::AuditExport::parse(&bytes).unwrap();
    (bytes, export)
}

fn opening_codes(export: &satchel_audit::AuditExport) -> Vec<satchel_audit::AnomalyCode> {
    satchel_audit::verify_export(export)
        .openings
        .iter()
        .flat_map(|o| o.anomalies.iter().map(|a| a.code))
        .collect()
}

/// A record opened to the auditor: only it is in the file, its payloads open their
/// commitments and a replay gives it exactly; each way of lying about it is named.
#[test]
fn an_opened_record_replays_to_what_was_exported_and_lies_are_named() {
    use satchel_audit::AnomalyCode as C;
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = pair(tmp.path());
    let shown = a
        .add_record("contact", &text(&[("name", "Opened Kim")]), &[])
        .unwrap();
    let hidden = a
        .add_record("contact", &text(&[("name", "Hidden Lee")]), &[])
        .unwrap();
    // A conflict from a peer's concurrent edit: two values of one field.
    let first = bundle(&mut a, "b", tmp.path());
    b.import_bundle(&first).unwrap();
    b.edit_record(&shown, &text(&[("name", "Opened Kim (b)")]), &[])
        .unwrap();
    a.edit_record(&shown, &text(&[("name", "Opened Kim (a)")]), &[])
        .unwrap();
    let back = bundle(&mut b, "a", tmp.path());
    a.import_bundle(&back).unwrap();
    let _ = hidden;

    let grants = satchel_api::audit::AuditGrants {
        records: vec![shown],
        forms: Vec::new(),
    };
    let (bytes, export) = export_and_read(&mut a, &grants, tmp.path());
    let has = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(has("Opened Kim (b)") && has("Opened Kim (a)"));
    assert!(!has("Hidden"), "a record not granted is in the export");
    let report = satchel_audit::verify_export(&export);
    assert_eq!(report.anomalies, 0, "{report:?}");
    assert_eq!(report.openings.len(), 1);
    assert_eq!(
        (report.openings[0].opened, report.openings[0].withheld),
        (3, 0)
    );
    assert_eq!(
        export.openings[0].state.fields["name"].len(),
        2,
        "the conflict is not in the exported record"
    );

    // A payload that does not open its commitment.
    let mut bad = export.clone();
    bad.openings[0].payloads[0]
        .payload
        .replace_range(40..42, "00");
    // (named as such, then as an op not opened, and the replay differs)
    assert_eq!(
        opening_codes(&bad),
        [C::OpeningMismatch, C::ReplayMismatch, C::ReplayMismatch]
    );
    // The record exported is not what its ops give.
    let mut bad = export.clone();
    bad.openings[0].state.fields.get_mut("name").unwrap().pop();
    assert_eq!(opening_codes(&bad), [C::ReplayMismatch]);
    // An op of the record left out.
    let mut bad = export.clone();
    bad.openings[0].payloads.pop();
    assert_eq!(opening_codes(&bad), [C::ReplayMismatch, C::ReplayMismatch]);
    // ... or declared void outside any organisation, where nothing is void.
    let mut bad = export.clone();
    let op = bad.openings[0].payloads.pop().unwrap().op;
    bad.openings[0].void.push(op);
    assert_eq!(opening_codes(&bad), [C::ReplayMismatch, C::ReplayMismatch]);
    // A form's records: both.
    let grants = satchel_api::audit::AuditGrants {
        records: Vec::new(),
        forms: vec!["contact".into()],
    };
    let (_, export) = export_and_read(&mut a, &grants, tmp.path());
    assert_eq!(export.openings.len(), 2);
    assert_eq!(satchel_audit::verify_export(&export).anomalies, 0);
    // Unknown forms are refused, and nothing is written in their place.
    let grants = satchel_api::audit::AuditGrants {
        records: Vec::new(),
        forms: vec!["nothing-like-it".into()],
    };
    assert!(matches!(
        a.audit_export_with(&tmp.path().join("other.json"), &grants),
        Err(ApiError::UnknownForm(_))
    ));
    assert!(!tmp.path().join("other.json").exists());
}

/// In an organisation, an op held void after its author's revocation is declared so,
/// and the revocation explains it: the opened record verifies.
#[test]
fn a_void_op_of_an_opened_record_is_explained_by_the_revocation() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = crate::org::coordinator_and_worker(tmp.path());
    let id = b
        .add_record("contact", &text(&[("name", "Before Seizure")]), &[])
        .unwrap();
    crate::org::send(&mut b, "a", &mut a, tmp.path());
    a.member_revoke("Worker B", None).unwrap();
    b.edit_record(&id, &text(&[("name", "After Seizure")]), &[])
        .unwrap();
    crate::org::send(&mut b, "a", &mut a, tmp.path());
    let grants = satchel_api::audit::AuditGrants {
        records: vec![id],
        forms: Vec::new(),
    };
    let (bytes, export) = export_and_read(&mut a, &grants, tmp.path());
    assert!(
        !bytes.windows(6).any(|w| w == b"After "),
        "void content exported"
    );
    assert_eq!(export.openings[0].void.len(), 1);
    let report = satchel_audit::verify_export(&export);
    assert!(report.openings[0].anomalies.is_empty(), "{report:?}");
    assert_eq!(report.openings[0].void, 1);
}

/// A device restored from an old copy numbers its bundles as before, so its next one
/// looks older than the newest seen; its history, rewritten since the copy, is still
/// refused against the chain held.
#[test]
fn a_restored_device_whose_bundle_looks_older_is_still_checked() {
    use satchel_api::error::BundleRefusal;
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, mut b) = pair(tmp.path());
    a.add_record("contact", &text(&[("name", "One")]), &[])
        .unwrap();
    let first = bundle(&mut a, "b", tmp.path());
    b.import_bundle(&first).unwrap();
    drop(a);
    copy_dir(&tmp.path().join("a"), &tmp.path().join("a-copy"));
    let mut a = satchel_api::unlock(&tmp.path().join("a"), &pass(PASS), P).unwrap();
    // Bundles 2 and 3; only 3 arrives.
    a.add_record("contact", &text(&[("name", "Two")]), &[])
        .unwrap();
    let _lost = bundle(&mut a, "b", tmp.path());
    a.add_record("contact", &text(&[("name", "Three")]), &[])
        .unwrap();
    let third = bundle(&mut a, "b", tmp.path());
    b.import_bundle(&third).unwrap();
    let held = names(&b);
    drop(a);
    // The copy writes something else and sends its bundle 2.
    let mut old = satchel_api::unlock(&tmp.path().join("a-copy"), &pass(PASS), P).unwrap();
    old.add_record("contact", &text(&[("name", "Other")]), &[])
        .unwrap();
    let rewritten = bundle(&mut old, "b", tmp.path());
    assert_eq!(
        refusal(b.import_bundle(&rewritten).unwrap_err()),
        BundleRefusal::LogForked
    );
    assert_eq!(names(&b), held);
    assert!(b.quarantine().unwrap().is_empty());
}
