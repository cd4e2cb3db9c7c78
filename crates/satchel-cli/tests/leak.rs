//! No plaintext reaches disk outside the encrypted vault: after a scenario that
//! writes canaries (ASCII, Korean, Chinese) into fields and attachments, edits,
//! searches, deletes and purges, no file under the vault or the temp directory holds
//! any canary in UTF-8 or UTF-16.

use std::path::Path;

use crate::*;

const CANARIES: [&str; 3] = ["CanaryXq7Zt", "김카나리아", "金丝雀测试"];

pub(crate) fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out)
        } else {
            out.push(p)
        }
    }
}

fn assert_clean(dirs: &[&Path]) -> usize {
    assert_free_of(dirs, &CANARIES)
}

/// Asserts that no file under `dirs` holds any of `canaries` in any encoding;
/// returns how many files were read.
pub(crate) fn assert_free_of(dirs: &[&Path], canaries: &[&str]) -> usize {
    let mut all = Vec::new();
    for d in dirs {
        files(d, &mut all);
    }
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        for &c in canaries {
            for needle in canary_encodings(c) {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{c} found in {}",
                    path.display()
                );
            }
        }
    }
    all.len()
}

#[test]
fn no_canary_reaches_disk() {
    let s = Sandbox::new();
    let outside = tempfile::tempdir().unwrap();
    let photo = outside.path().join("CanaryXq7Zt-photo.jpg");
    std::fs::write(
        &photo,
        format!("JFIF {} {} {}", CANARIES[0], CANARIES[1], CANARIES[2]),
    )
    .unwrap();
    // More than a chunk: its first MiB goes to the pack.
    let video = outside.path().join("CanaryXq7Zt-video.mp4");
    let line = format!("{} {} {}\n", CANARIES[0], CANARIES[1], CANARIES[2]);
    std::fs::write(&video, line.repeat(1_200_000 / line.len())).unwrap();
    s.init();
    let a = s
        .ok(&[
            "record",
            "add",
            "contact",
            "--set",
            &format!("name={}", CANARIES[1]),
            "--set",
            &format!("notes={} {} {}", CANARIES[0], CANARIES[1], CANARIES[2]),
            "--attach",
            photo.to_str().unwrap(),
            "--attach",
            video.to_str().unwrap(),
        ])
        .trim()
        .to_owned();
    let b = s
        .ok(&[
            "record",
            "add",
            "case",
            "--set",
            &format!("title={}", CANARIES[2]),
            "--set",
            "status=open",
        ])
        .trim()
        .to_owned();
    s.ok(&[
        "record",
        "edit",
        &a,
        "--set",
        &format!("alias={}", CANARIES[0]),
    ]);
    for q in ["카나리", "丝雀", "canaryxq"] {
        assert!(
            s.ok(&["search", q]).contains(&a) || s.ok(&["search", q]).contains(&b),
            "{q}"
        );
    }
    assert!(s.ok(&["record", "show", &a]).contains(CANARIES[0]));
    s.ok(&["record", "history", &a]);
    s.ok(&["record", "delete", &b]);
    let pack_len = || -> u64 {
        ["vault.pack", "spare.pack"]
            .map(|p| std::fs::metadata(s.vault.join(p)).unwrap().len())
            .iter()
            .sum()
    };
    assert!(pack_len() > 1 << 20, "the video's first chunk is in a pack");
    assert_clean(&[&s.vault, &s.tmp]);
    s.ok(&["record", "purge", &a]);
    assert_eq!(pack_len(), 0, "the purge freed the slot and cut it off");
    let c = s.ok(&[
        "record",
        "add",
        "encounter",
        "--set",
        "date=2026-11-01",
        "--set",
        &format!("notes={}", CANARIES[2]),
    ]);
    s.ok(&["record", "show", c.trim()]);
    // The decoy, a rekey, and whatever copies a killed rekey leaves are encrypted too.
    s.ok(&[
        "--decoy",
        "record",
        "add",
        "contact",
        "--set",
        &format!("name={}", CANARIES[0]),
    ]);
    s.ok(&["rekey"]);
    let mut child = s
        .cmd(&["rekey"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(40));
    let _ = child.kill();
    let _ = child.wait();
    assert_clean(&[&s.vault, &s.tmp]);
    s.ok(&["verify"]);

    let scanned = assert_clean(&[&s.vault, &s.tmp]);
    assert!(scanned >= 3, "scanned {scanned} files");
    for db in ["vault.db", "spare.db"] {
        let bytes = std::fs::read(s.vault.join(db)).unwrap();
        assert!(
            !bytes.starts_with(b"SQLite format 3\0"),
            "{db} has a plaintext header"
        );
    }
    // The checker itself finds a canary where there is one.
    let planted = s.tmp.join("planted");
    std::fs::write(
        &planted,
        CANARIES[1]
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    assert!(std::panic::catch_unwind(|| assert_clean(&[&s.tmp])).is_err());
}

/// A report is plaintext by the user's choice, written under a hidden temporary name
/// and renamed when whole. Killed while it writes (a crash, a pulled drive), it leaves
/// that hidden file and never a partial report under the chosen name; the next report
/// of that name removes the leftover before it writes.
#[test]
fn a_report_killed_mid_write_leaves_no_partial_report_and_the_next_removes_its_leftover() {
    let w = Sandbox::new();
    w.init();
    w.add_contacts(6_000, |i| format!("{} {i}", CANARIES[1]));
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("report.csv");
    let args = [
        "export",
        "--form",
        "contact",
        "--format",
        "csv",
        "--yes",
        "--force",
        "--out",
        out.to_str().unwrap(),
    ];
    let names = || -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    let is_temp = |n: &str| {
        n.strip_prefix(".report.csv.")
            .and_then(|r| r.strip_suffix(".tmp"))
            .is_some_and(|hex| hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    // Killed as soon as its temporary file appears: mid-write. A report can be
    // written whole between two looks on a busy machine: then it is removed and
    // written again (at the lowest priority, so the looks come first), a few times.
    let mut seen = false;
    for _ in 0..10 {
        // `nice` replaces itself with the CLI: the child is the CLI.
        let base = w.cmd(&args);
        let mut child = std::process::Command::new("nice")
            .args(["-n", "19"])
            .arg(base.get_program())
            .args(base.get_args())
            .env_clear()
            .envs(base.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if names().iter().any(|n| is_temp(n)) {
                seen = true;
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(60));
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = child.kill();
        child.wait().unwrap();
        if seen {
            break;
        }
        std::fs::remove_file(&out).unwrap();
    }
    assert!(
        seen,
        "the report finished ten times before it was seen writing"
    );
    let left = names();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        is_temp(&left[0]),
        "a partial report under the chosen name: {left:?}"
    );

    w.ok(&args);
    assert_eq!(names(), ["report.csv"], "the leftover is gone");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 6_001, "a header and every record");
    // Nothing of the report anywhere else: the vault and the processes' temp folder.
    assert_clean(&[&w.vault, &w.tmp]);
}
