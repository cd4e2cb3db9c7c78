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
