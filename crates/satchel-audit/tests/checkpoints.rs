use satchel_audit::checkpoint::CheckpointError;
use satchel_audit::{Checkpoint, Log, NoteSigner, NoteVerifier, Witness, cosign};

use crate::Key;

const ORIGIN: &str = "satchel.example/device/01";

fn verifier(k: &Key) -> NoteVerifier {
    NoteVerifier::new(&k.name, &k.public_key()).unwrap()
}

#[test]
fn a_checkpoint_reads_back_and_matches_a_second_implementation() {
    let log = Log::from_leaves((0u8..9).map(|i| [i; 32]));
    let cp = Checkpoint::new(ORIGIN, log.size(), log.root());
    let theirs = tlog_tiles::Checkpoint::new(ORIGIN, 9, tlog_tiles::Hash(log.root()), "").unwrap();
    assert_eq!(cp.to_text().as_bytes(), theirs.to_bytes());
    assert_eq!(Checkpoint::parse(&cp.to_text()).unwrap(), cp);

    let key = Key::new(ORIGIN, 1);
    let note = cp.sign(&key).unwrap().to_bytes();
    let (read, _) = Checkpoint::open(&note, &verifier(&key)).unwrap();
    assert_eq!(read, cp);
    // Signed by another key of the same name, or for another log: refused.
    let other = Key::new(ORIGIN, 2);
    assert!(Checkpoint::open(&note, &verifier(&other)).is_err());
    let elsewhere = Key::new("satchel.example/device/02", 1);
    assert!(matches!(
        cp.sign(&elsewhere),
        Err(CheckpointError::WrongOrigin)
    ));
}

#[test]
fn malformed_checkpoints_are_refused() {
    let root = data_encoding::BASE64.encode(&[7; 32]);
    for (text, why) in [
        (format!("{ORIGIN}\n9\n{root}"), "no final newline"),
        (format!("{ORIGIN}\n09\n{root}\n"), "leading zero"),
        (format!("{ORIGIN}\n-9\n{root}\n"), "negative"),
        (format!("{ORIGIN}\n\n{root}\n"), "no size"),
        (
            format!("{ORIGIN}\n99999999999999999999\n{root}\n"),
            "size past u64",
        ),
        (format!("{ORIGIN}\n9\nAAAA\n"), "short root"),
        (format!("{ORIGIN}\n9\n{root}\n\n"), "empty extension"),
        (format!("has space\n9\n{root}\n"), "origin with a space"),
        (format!("{ORIGIN}\n9\n"), "no root"),
    ] {
        assert!(Checkpoint::parse(&text).is_err(), "{why}");
    }
    let ext = format!("{ORIGIN}\n9\n{root}\nextra line\n");
    assert_eq!(Checkpoint::parse(&ext).unwrap().extensions, ["extra line"]);
}

#[test]
fn a_witness_cosigns_and_its_line_verifies_only_for_that_checkpoint() {
    let key = Key::new(ORIGIN, 1);
    let witness_key = Key::new("satchel.example/coordinator", 3);
    let witness = Witness::new(&witness_key.name, &witness_key.public_key()).unwrap();
    let cp = Checkpoint::new(ORIGIN, 3, [1; 32]);
    let mut note = cp.sign(&key).unwrap();
    note.add_signature(cosign(&cp, &witness_key, 1_764_460_800).unwrap());
    let bytes = note.to_bytes();
    // The log's key still verifies the note with the cosignature beside it.
    let (read, note) = Checkpoint::open(&bytes, &verifier(&key)).unwrap();
    assert_eq!(
        witness.check(&read, note.signatures()),
        Ok(Some(1_764_460_800))
    );
    // Same witness, another checkpoint of the log: its line does not verify.
    let next = Checkpoint::new(ORIGIN, 4, [2; 32]);
    assert!(witness.check(&next, note.signatures()).is_err());
    // A witness that did not cosign: nothing.
    let absent = Witness::new("satchel.example/other", &Key::new("x", 4).public_key()).unwrap();
    assert_eq!(absent.check(&read, note.signatures()), Ok(None));
    // A cosignature is not a note signature of the witness's key: the key ids differ.
    let as_log = NoteVerifier::new(&witness_key.name, &witness_key.public_key()).unwrap();
    assert_ne!(as_log.id(), witness.id());
}

/// The fuzz target's seed of a cosigned checkpoint (`fuzz/seeds/audit_note/`), which
/// must stay what these fixed keys sign: `SATCHEL_WRITE_SEEDS=1` rewrites it after a
/// deliberate change.
#[test]
fn the_fuzz_seed_of_a_cosigned_checkpoint_is_current() {
    let key = Key::new(ORIGIN, 1);
    let witness_key = Key::new("satchel.example/coordinator", 3);
    let cp = Checkpoint::new(ORIGIN, 3, [1; 32]);
    let mut note = cp.sign(&key).unwrap();
    note.add_signature(cosign(&cp, &witness_key, 1_764_460_800).unwrap());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds/audit_note/cosigned_checkpoint.txt");
    if std::env::var_os("SATCHEL_WRITE_SEEDS").is_some() {
        std::fs::write(&path, note.to_bytes()).unwrap();
    }
    assert_eq!(std::fs::read(&path).unwrap(), note.to_bytes());
}
