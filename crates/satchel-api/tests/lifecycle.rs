//! Unlock, passphrase change, recovery, duress and wipe.

use satchel_api::{ApiError, files};
use satchel_crypto::keyslots::FILE_LEN;

use crate::*;

fn vault_with_record(dir: &std::path::Path) -> (Vault, satchel_api::RecoveryKey, String) {
    let (mut v, rk) = new_vault(dir);
    let id = v
        .add_record("contact", &text(&[("name", "Real Person")]), &[])
        .unwrap();
    (v, rk, id.to_string())
}

#[test]
fn the_passphrase_opens_and_a_wrong_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _rk, id) = vault_with_record(dir.path());
    drop(v);
    let v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    assert_eq!(v.records(&Default::default()).unwrap()[0].id, id);
    let err = satchel_api::unlock(dir.path(), &pass("not the passphrase"), P).unwrap_err();
    assert!(matches!(err, ApiError::WrongPassphrase) && err.is_auth());
    // The real profile derives a different key: also "wrong passphrase".
    let err = satchel_api::unlock(dir.path(), &pass(PASS), KdfProfile::Default).unwrap_err();
    assert!(matches!(err, ApiError::WrongPassphrase));
}

#[test]
fn init_refuses_an_existing_vault_and_short_passphrases() {
    let dir = tempfile::tempdir().unwrap();
    new_vault(dir.path());
    assert!(matches!(
        satchel_api::init(dir.path(), &pass(PASS), P),
        Err(ApiError::VaultExists)
    ));
    let other = tempfile::tempdir().unwrap();
    let err = satchel_api::init(&other.path().join("v"), &pass("short"), P).unwrap_err();
    assert!(matches!(err, ApiError::PassphraseTooShort { .. }));
    assert!(!other.path().join("v").exists());
}

#[test]
fn a_missing_vault_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let err = satchel_api::unlock(&dir.path().join("none"), &pass(PASS), P).unwrap_err();
    assert!(matches!(err, ApiError::NoVault));
}

#[test]
fn passphrase_change_rewrites_only_the_keyslots() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (mut v, rk, id) = vault_with_record(dir.path());
    drop(v);
    let inodes = |d: &std::path::Path| {
        [0, 1].map(|s| std::fs::metadata(files::database(d, s)).unwrap().ino())
    };
    let before = inodes(dir.path());
    v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    v.change_passphrase(&pass("a new passphrase")).unwrap();
    drop(v);
    assert_eq!(inodes(dir.path()), before, "databases not rewritten");
    assert!(satchel_api::unlock(dir.path(), &pass(PASS), P).is_err());
    let v = satchel_api::unlock(dir.path(), &pass("a new passphrase"), P).unwrap();
    assert_eq!(v.records(&Default::default()).unwrap()[0].id, id);
    drop(v);
    // The recovery key still works and sets a fresh passphrase.
    let v = satchel_api::recover(dir.path(), &rk, &pass("recovered passphrase"), P).unwrap();
    assert_eq!(v.records(&Default::default()).unwrap()[0].id, id);
    drop(v);
    assert!(satchel_api::unlock(dir.path(), &pass("a new passphrase"), P).is_err());
    satchel_api::unlock(dir.path(), &pass("recovered passphrase"), P).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        5,
        "no temporary files left"
    );
}

#[test]
fn a_vault_open_elsewhere_is_busy_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _rk, _) = vault_with_record(dir.path());
    let err = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap_err();
    assert!(matches!(err, ApiError::Busy), "{err:?}");
    drop(v);
    satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
}

#[test]
fn a_wrong_recovery_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    vault_with_record(dir.path());
    let other = satchel_api::RecoveryKey::generate().unwrap();
    let err = satchel_api::recover(dir.path(), &other, &pass("whatever new"), P).unwrap_err();
    assert!(matches!(err, ApiError::WrongRecoveryKey) && err.is_auth());
    satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
}

#[test]
fn duress_opens_the_decoy_and_nothing_opens_the_real_vault_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, rk, _) = vault_with_record(dir.path());
    let real_fp = v.info().unwrap().fingerprint;
    assert!(matches!(
        v.set_duress(&pass(PASS)),
        Err(ApiError::DuressSameAsMain)
    ));
    v.set_duress(&pass("duress passphrase")).unwrap();
    drop(v);
    // Before it is used, the real passphrase still opens the real vault.
    let v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    assert_eq!(v.info().unwrap().records, 1);
    drop(v);

    let decoy = satchel_api::unlock(dir.path(), &pass("duress passphrase"), P).unwrap();
    let info = decoy.info().unwrap();
    assert_eq!(info.records, 0);
    assert_ne!(info.fingerprint, real_fp);
    assert_eq!(
        decoy.forms().unwrap().len(),
        3,
        "the decoy looks like a fresh vault"
    );
    drop(decoy);

    assert!(matches!(
        satchel_api::unlock(dir.path(), &pass(PASS), P),
        Err(ApiError::WrongPassphrase)
    ));
    assert!(satchel_api::recover(dir.path(), &rk, &pass("try to recover"), P).is_err());
    // The decoy keeps opening with the duress passphrase, and the directory still
    // looks like any vault: keyslots, two databases and their packs.
    satchel_api::unlock(dir.path(), &pass("duress passphrase"), P).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "keyslots",
            "spare.db",
            "spare.pack",
            "vault.db",
            "vault.pack"
        ]
    );
}

#[test]
fn wipe_leaves_nothing_that_opens() {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("v");
    let (v, rk, _) = vault_with_record(&vdir);
    let report = v.wipe().unwrap();
    assert!(report.files_removed >= 3);
    assert!(!vdir.exists());
    assert!(matches!(
        satchel_api::unlock(&vdir, &pass(PASS), P),
        Err(ApiError::NoVault)
    ));
    assert!(satchel_api::recover(&vdir, &rk, &pass("anything new"), P).is_err());
    assert!(matches!(satchel_api::wipe(&vdir), Err(ApiError::NoVault)));
}

/// An interrupted passphrase change or duress setting leaves a temporary keyslots
/// file that still opens with the passphrase; the wipe erases it with the rest.
#[test]
fn wipe_erases_keyslots_copies_left_by_an_interrupted_write() {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("v");
    let (v, _rk, _) = vault_with_record(&vdir);
    let copy = vdir.join(".keyslots.0123456789ab.tmp");
    std::fs::copy(files::keyslots(&vdir), &copy).unwrap();
    let db_copy = vdir.join(".vault.db.0123456789ab.tmp");
    std::fs::copy(files::database(&vdir, 0), &db_copy).unwrap();
    // Kept open across the wipe, as an adversary's image of the disk would be.
    let held = std::fs::File::open(&copy).unwrap();
    let report = v.wipe().unwrap();
    assert_eq!(
        report.files_removed, 7,
        "keyslots, both databases, both packs and both copies"
    );
    assert!(!vdir.exists());
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &held, &mut bytes).unwrap();
    let kept = dir.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    std::fs::write(files::keyslots(&kept), &bytes).unwrap();
    std::fs::copy(&db_copy, files::database(&kept, 0)).ok();
    assert!(
        satchel_api::unlock(&kept, &pass(PASS), P).is_err(),
        "the copy was overwritten before it was removed"
    );
}

/// Files that are not Satchel's are left alone, and the wipe says so instead of
/// succeeding; the vault itself is erased all the same.
#[test]
fn wipe_fails_loudly_when_the_folder_holds_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _rk, _) = vault_with_record(dir.path());
    std::fs::write(dir.path().join("mine.txt"), b"not Satchel's").unwrap();
    let err = v.wipe().unwrap_err();
    assert!(
        matches!(err, ApiError::WipeLeftFiles { left: 1 }),
        "{err:?}"
    );
    assert_eq!(err.code().as_str(), "wipe_incomplete");
    assert_eq!(
        std::fs::read(dir.path().join("mine.txt")).unwrap(),
        b"not Satchel's"
    );
    assert!(matches!(
        satchel_api::unlock(dir.path(), &pass(PASS), P),
        Err(ApiError::NoVault)
    ));
}

/// A keyslots copy alone, with its vault otherwise gone, is still a vault to erase.
#[test]
fn wipe_finds_a_lone_keyslots_copy() {
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("v");
    let (v, _rk, _) = vault_with_record(&vdir);
    drop(v);
    let copy = vdir.join(".keyslots.0123456789ab.tmp");
    std::fs::rename(files::keyslots(&vdir), &copy).unwrap();
    for p in files::all(&vdir) {
        let _ = std::fs::remove_file(p);
    }
    assert_eq!(satchel_api::wipe(&vdir).unwrap().files_removed, 1);
    assert!(!vdir.exists());
}

/// A vault's folder is private to its owner, even one that existed before.
#[cfg(unix)]
#[test]
fn the_vault_folder_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let vdir = dir.path().join("shared");
    std::fs::create_dir(&vdir).unwrap();
    std::fs::set_permissions(&vdir, std::fs::Permissions::from_mode(0o755)).unwrap();
    new_vault(&vdir);
    let mode = std::fs::metadata(&vdir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn keyslots_have_one_size_and_no_fixed_bytes_whatever_is_in_use() {
    let mut files_seen = Vec::new();
    for duress in [false, true] {
        for _ in 0..2 {
            let dir = tempfile::tempdir().unwrap();
            let (mut v, _) = new_vault(dir.path());
            if duress {
                v.set_duress(&pass("duress passphrase")).unwrap();
            }
            let bytes = std::fs::read(files::keyslots(dir.path())).unwrap();
            assert_eq!(bytes.len(), FILE_LEN);
            files_seen.push(bytes);
        }
    }
    // Any fixed field (magic, version, counts, flags) would make some offset agree
    // across files. Random bytes agree at about 1/256 of offsets.
    for (i, a) in files_seen.iter().enumerate() {
        for b in files_seen.iter().skip(i + 1) {
            let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
            assert!(same < 20, "{same} equal bytes between two keyslots files");
        }
        let zeros = a.iter().filter(|b| **b == 0).count();
        assert!(zeros < 20, "{zeros} zero bytes");
    }
}

#[test]
fn damaged_keyslots_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    vault_with_record(dir.path());
    let path = files::keyslots(dir.path());
    let good = std::fs::read(&path).unwrap();
    for bad in [
        good[..good.len() - 1].to_vec(),
        [good.clone(), vec![0]].concat(),
    ] {
        std::fs::write(&path, &bad).unwrap();
        let err = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap_err();
        assert!(matches!(err, ApiError::KeyslotsDamaged), "{err:?}");
        assert_eq!(std::fs::read(&path).unwrap(), bad);
    }
    let mut flipped = good.clone();
    flipped[100] ^= 4;
    std::fs::write(&path, &flipped).unwrap();
    assert!(matches!(
        satchel_api::unlock(dir.path(), &pass(PASS), P),
        Err(ApiError::WrongPassphrase)
    ));
    std::fs::write(&path, &good).unwrap();
    satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
}
