//! A full disk: simulated with a small tmpfs (needs root, as the README's test
//! command runs; elsewhere set SATCHEL_SKIP_MOUNT_TESTS=1).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::*;

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(Self(at.to_owned()));
        }
        assert!(
            std::env::var_os("SATCHEL_SKIP_MOUNT_TESTS").is_some(),
            "cannot mount a tmpfs to simulate a full disk: run as root, or set SATCHEL_SKIP_MOUNT_TESTS=1"
        );
        None
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn fill(dir: &Path) {
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn a_full_disk_loses_nothing() {
    let root = tempfile::tempdir().unwrap();
    let Some(mnt) = Tmpfs::mount(&root.path().join("disk"), "2m") else {
        return;
    };
    let mut s = Sandbox::within(root);
    s.vault = mnt.0.join("vault");
    s.init();
    let id = s
        .ok(&["record", "add", "contact", "--set", "name=Kim"])
        .trim()
        .to_owned();
    let before = s.snapshot();

    // An attachment bigger than the free space.
    let photo = s.root.path().join("photo.jpg");
    std::fs::write(&photo, vec![7u8; 3 * 1024 * 1024]).unwrap();
    let r = s.run(&["record", "edit", &id, "--attach", photo.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(error_line(&r).contains("disk is full"), "{}", r.stderr);
    assert!(s.snapshot() == before, "a failed write changed the vault");

    // With no space at all: records and passphrase changes fail cleanly.
    fill(&mnt.0);
    let before = s.snapshot();
    for args in [
        &["record", "add", "contact", "--set", "name=Lee"][..],
        &["passwd"][..],
        &["rekey"][..],
    ] {
        let r = s.run_with(args, &[("SATCHEL_NEW_PASSPHRASE", "another passphrase")]);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            error_line(&r).contains("disk is full"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(s.snapshot() == before, "{args:?} changed the vault");
    }
    std::fs::remove_file(mnt.0.join("filler")).unwrap();
    assert!(s.ok(&["record", "show", &id]).contains("Kim"));
    s.ok(&["verify"]);
}

#[test]
fn init_on_a_full_disk_leaves_no_half_vault() {
    let root = tempfile::tempdir().unwrap();
    let Some(mnt) = Tmpfs::mount(&root.path().join("disk"), "64k") else {
        return;
    };
    let mut s = Sandbox::within(root);
    s.vault = mnt.0.join("vault");
    let r = s.run(&["init"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(error_line(&r).contains("disk is full"), "{}", r.stderr);
    assert!(
        s.snapshot().is_empty(),
        "left {:?}",
        s.snapshot().keys().collect::<Vec<_>>()
    );
}
