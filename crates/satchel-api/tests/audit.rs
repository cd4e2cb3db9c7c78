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
