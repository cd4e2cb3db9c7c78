//! Replays every kept fuzz input through its target's check, as an ordinary test on
//! stable: the seeds (`fuzz/seeds/`), every crash input ever found
//! (`fuzz/regressions/`, which must now be refused or handled) and, where a local
//! fuzzing run left one, the grown corpus (`fuzz/corpus/`, git-ignored). libFuzzer
//! itself runs in `scripts/test.sh --long`.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::{
    collections::BTreeSet,
    fs,
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
};

use satchel_fuzz_checks::{Check, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The names of the files in a folder (empty when it does not exist), sorted.
fn names(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("read a directory entry").path())
        .filter(|p| keep(p))
        .collect();
    out.sort();
    out
}

fn is_input(p: &Path) -> bool {
    p.is_file()
        && !p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
}

#[test]
fn every_fuzz_target_has_a_check_and_seeds() {
    let files: BTreeSet<String> = names(&fuzz_dir().join("fuzz_targets"), |p| {
        p.extension().is_some_and(|e| e == "rs")
    })
    .iter()
    .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
    .collect();
    let checks: BTreeSet<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(files, checks, "fuzz_targets/*.rs and TARGETS differ");
    for (name, _) in TARGETS {
        let seeds = names(&fuzz_dir().join("seeds").join(name), is_input);
        assert!(!seeds.is_empty(), "fuzz/seeds/{name} has no inputs");
    }
}

/// Runs each target's check over its kept inputs under `root`; returns how many ran
/// and the inputs that made a check panic.
fn replay(root: &Path, targets: &[(&str, Check)]) -> (usize, Vec<String>) {
    let mut replayed = 0usize;
    let mut findings = Vec::new();
    for (name, check) in targets {
        for kind in ["seeds", "regressions", "corpus"] {
            for path in names(&root.join(kind).join(name), is_input) {
                let data = fs::read(&path).expect("read a fuzz input");
                replayed += 1;
                if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
                    let file = path.file_name().unwrap_or_default().to_string_lossy();
                    findings.push(format!("fuzz/{kind}/{name}/{file}"));
                }
            }
        }
    }
    (replayed, findings)
}

#[test]
fn kept_fuzz_inputs_replay_without_a_finding() {
    let (replayed, findings) = replay(&fuzz_dir(), TARGETS);
    assert!(replayed >= TARGETS.len(), "only {replayed} inputs replayed");
    assert!(
        findings.is_empty(),
        "inputs that break a target's promise:\n{}",
        findings.join("\n")
    );
    eprintln!(
        "replayed {replayed} fuzz inputs over {} targets",
        TARGETS.len()
    );
}

/// The replay is live: a kept input that makes a check panic is reported by name,
/// whichever folder holds it.
#[test]
fn the_replay_reports_an_input_that_breaks_a_check() {
    fn no_zero_byte(data: &[u8]) {
        assert!(!data.contains(&0), "found a zero byte");
    }
    let root = std::env::temp_dir().join(format!("satchel-replay-{}", std::process::id()));
    for (kind, file, bytes) in [
        ("seeds", "fine", &b"abc"[..]),
        ("regressions", "crash-1", &b"a\0c"[..]),
        ("corpus", "grown", &b"\0"[..]),
    ] {
        let dir = root.join(kind).join("demo");
        fs::create_dir_all(&dir).expect("create dir");
        fs::write(dir.join(file), bytes).expect("write input");
    }
    let (replayed, findings) = replay(&root, &[("demo", no_zero_byte)]);
    fs::remove_dir_all(&root).expect("remove dir");
    assert_eq!(replayed, 3);
    assert_eq!(
        findings,
        ["fuzz/regressions/demo/crash-1", "fuzz/corpus/demo/grown"]
    );
}
