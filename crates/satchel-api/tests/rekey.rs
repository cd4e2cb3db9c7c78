//! `rekey`: a new database key, so that a copy of `keyslots` taken earlier opens
//! nothing written since; crash-safe at every step.

use satchel_api::{ApiError, NewAttachment, files, vault::RekeyStage};
use zeroize::Zeroizing;

use crate::*;

/// Two full chunks in the pack and a tail in the database.
const BIG: usize = 2 * 1024 * 1024 + 70_000;

fn filled(dir: &std::path::Path) -> (Vault, satchel_api::RecoveryKey, String) {
    let (mut v, rk) = new_vault(dir);
    let id = v
        .add_record(
            "contact",
            &text(&[("name", "Before Rekey")]),
            &[NewAttachment::in_memory(
                "photo.jpg".into(),
                Zeroizing::new(vec![7u8; BIG]),
            )],
        )
        .unwrap();
    let rows: Vec<_> = (0..300)
        .map(|i| text(&[("name", &format!("person {i}"))]))
        .collect();
    v.add_records("contact", &rows).unwrap();
    v.save_draft(
        "new:contact",
        &serde_json::json!({"inputs": {"name": "typed, not saved"}}),
    )
    .unwrap();
    (v, rk, id.to_string())
}

fn holds_everything(v: &Vault, id: &str) {
    assert_eq!(v.info().unwrap().records, 301);
    let rid = v.resolve_id(id).unwrap();
    let shown = v.record(&rid, "en").unwrap();
    assert_eq!(shown.attachments.len(), 1);
    let hash = &shown.attachments[0].blake3;
    assert_eq!(*v.attachment(&rid, hash).unwrap(), vec![7u8; BIG]);
    assert_eq!(
        v.draft("new:contact").unwrap().unwrap().body["inputs"]["name"],
        "typed, not saved"
    );
    v.verify().unwrap();
}

/// A copy of the folder taken before the rekey, with the old passphrase, opens
/// nothing added after it; the old recovery key stops working, the new one works.
#[test]
fn old_keyslots_and_old_passphrase_do_not_open_the_rekeyed_vault() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, old_rk, id) = filled(dir.path());
    let old_keyslots = std::fs::read(files::keyslots(dir.path())).unwrap();
    assert!(matches!(
        v.rekey(&pass("not the passphrase"), |_| {}),
        Err(ApiError::WrongPassphrase)
    ));
    let mut stages = Vec::new();
    let new_rk = v
        .rekey(&pass(PASS), |p| {
            if stages.last() != Some(&p.stage) {
                stages.push(p.stage);
            }
        })
        .unwrap();
    assert_eq!(
        stages,
        [
            RekeyStage::DerivingKey,
            RekeyStage::Copying,
            RekeyStage::Sealing,
            RekeyStage::Replacing,
            RekeyStage::Done
        ]
    );
    holds_everything(&v, &id);
    v.add_record("contact", &text(&[("name", "After Rekey")]), &[])
        .unwrap();
    drop(v);

    // The adversary's old copy of `keyslots` beside today's databases.
    let stolen = tempfile::tempdir().unwrap();
    for name in ["vault.db", "spare.db", "vault.pack", "spare.pack"] {
        std::fs::copy(dir.path().join(name), stolen.path().join(name)).unwrap();
    }
    std::fs::write(files::keyslots(stolen.path()), &old_keyslots).unwrap();
    let err = satchel_api::unlock(stolen.path(), &pass(PASS), P).unwrap_err();
    assert!(matches!(err, ApiError::DatabaseDamaged), "{err:?}");
    assert!(satchel_api::recover(stolen.path(), &old_rk, &pass("new one here"), P).is_err());

    assert!(satchel_api::recover(dir.path(), &old_rk, &pass("new one here"), P).is_err());
    let v = satchel_api::recover(dir.path(), &new_rk, &pass("new one here"), P).unwrap();
    assert_eq!(v.search("After", 5).unwrap().len(), 1);
    holds_everything_but_count(&v);
}

fn holds_everything_but_count(v: &Vault) {
    assert_eq!(v.info().unwrap().records, 302);
    v.verify().unwrap();
}

/// The duress passphrase keeps opening the decoy, with what was put in it, and both
/// databases get new files alike.
#[test]
fn rekey_keeps_the_decoy_and_treats_both_files_alike() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _, _) = filled(dir.path());
    v.set_duress(&pass("duress passphrase")).unwrap();
    let mut decoy = v.open_decoy().unwrap();
    decoy
        .add_record("contact", &text(&[("name", "Decoy Person")]), &[])
        .unwrap();
    assert!(matches!(
        decoy.rekey(&pass(PASS), |_| {}),
        Err(ApiError::DecoyOnly)
    ));
    drop(decoy);
    let inodes = || {
        [0, 1].map(|s| {
            [files::database(dir.path(), s), files::pack(dir.path(), s)]
                .map(|p| std::fs::metadata(p).unwrap().ino())
        })
    };
    let before = inodes();
    let mut v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    v.rekey(&pass(PASS), |_| {}).unwrap();
    drop(v);
    let after = inodes();
    for (b, a) in before.iter().flatten().zip(after.iter().flatten()) {
        assert_ne!(b, a, "every file is new: {before:?} {after:?}");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    let decoy = satchel_api::unlock(dir.path(), &pass("duress passphrase"), P).unwrap();
    assert_eq!(decoy.search("Decoy", 5).unwrap().len(), 1);
}

/// A process stopped after each step (as a kill would leave it) leaves a vault that
/// opens with the passphrase and holds everything; the next unlock clears the
/// leftovers.
#[test]
fn a_rekey_stopped_at_any_step_loses_nothing() {
    for stage in [
        RekeyStage::CopyingSpare,
        RekeyStage::Copying,
        RekeyStage::Sealing,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (mut v, _, id) = filled(dir.path());
        v.set_duress(&pass("duress passphrase")).unwrap();
        drop(v);
        let v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
        v.rekey_interrupted_for_tests(&pass(PASS), stage);
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert!(left >= 5, "{stage:?}");
        let v = satchel_api::unlock(dir.path(), &pass(PASS), P)
            .unwrap_or_else(|e| panic!("{stage:?}: {e}"));
        holds_everything(&v, &id);
        drop(v);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 5, "{stage:?}: leftovers {names:?}");
        // The decoy still opens too.
        let d = satchel_api::unlock(dir.path(), &pass("duress passphrase"), P)
            .unwrap_or_else(|e| panic!("{stage:?}: decoy: {e}"));
        d.verify().unwrap();
    }
}

/// Stopped after the commit and between the two renames (the pack renamed, the
/// database not): the next unlock finishes, attachments included.
#[test]
fn a_rekey_stopped_between_its_two_renames_is_finished_by_the_next_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _, id) = filled(dir.path());
    drop(v);
    let v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    v.rekey_interrupted_for_tests(&pass(PASS), RekeyStage::Sealing);
    let temps: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".pack.") && p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert_eq!(temps.len(), 1, "{temps:?}");
    let real_pack = ["vault.pack", "spare.pack"]
        .map(|n| dir.path().join(n))
        .into_iter()
        .find(|p| {
            temps[0]
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!(".{}", p.file_name().unwrap().to_string_lossy()))
        })
        .unwrap();
    std::fs::rename(&temps[0], &real_pack).unwrap();
    let v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    holds_everything(&v, &id);
    drop(v);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);
}

/// A spare database that no longer decrypts does not stop the records from being
/// re-encrypted.
#[test]
fn a_damaged_spare_does_not_block_a_rekey() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _, id) = filled(dir.path());
    drop(v);
    let mut rekeyed = 0;
    for selector in [0u8, 1] {
        let copy = tempfile::tempdir().unwrap();
        for name in [
            "keyslots",
            "vault.db",
            "spare.db",
            "vault.pack",
            "spare.pack",
        ] {
            std::fs::copy(dir.path().join(name), copy.path().join(name)).unwrap();
        }
        let db = files::database(copy.path(), selector);
        let mut bytes = std::fs::read(&db).unwrap();
        bytes[..4096].fill(0x55);
        std::fs::write(&db, bytes).unwrap();
        // Only the copy whose damaged file is the spare still opens.
        let Ok(mut v) = satchel_api::unlock(copy.path(), &pass(PASS), P) else {
            continue;
        };
        v.rekey(&pass(PASS), |_| {}).unwrap();
        holds_everything(&v, &id);
        rekeyed += 1;
    }
    assert_eq!(rekeyed, 1);
}
