//! The first vaults a process opens, opened at the same moment from many threads.
//! SQLite marks itself initialised before SQLCipher's start-up hook has run; a thread
//! that opens in that window used to find SQLCipher "not initialized".
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::{Arc, Barrier};

use satchel_crypto::keys::DataKey;
use satchel_store::Store;

const THREADS: usize = 16;
/// About 1 in 26 processes lost the race before the fix (17 of 450): 40 catch it
/// about 4 times in 5, in 2 s; the long run (`scripts/test.sh --long`) starts 150,
/// which miss it about once in 300.
fn processes() -> usize {
    if std::env::var_os("SATCHEL_LONG_TESTS").is_some() {
        150
    } else {
        40
    }
}
/// Marks a child process that performs the first-open race once and reports.
const CHILD: &str = "SATCHEL_FIRST_OPEN_CHILD";

fn race_once() -> Vec<String> {
    let dir = match tempfile::tempdir() {
        Ok(d) => Arc::new(d),
        Err(e) => return vec![format!("tempdir: {e}")],
    };
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (dir, barrier) = (Arc::clone(&dir), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let key = DataKey::generate().map_err(|e| format!("{e}"))?;
                let path = dir.path().join(format!("vault-{i}.db"));
                barrier.wait();
                Store::create(&path, &key)
                    .map(drop)
                    .map_err(|e| format!("{e:?}"))
            })
        })
        .collect();
    handles
        .into_iter()
        .filter_map(|h| match h.join() {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some("thread panicked".into()),
        })
        .collect()
}

#[test]
fn vaults_opened_at_once_by_a_fresh_process_all_open() {
    if std::env::var_os(CHILD).is_some() {
        let failures = race_once();
        assert!(failures.is_empty(), "{failures:?}");
        return;
    }
    // Start-up happens once per process, so each attempt is a fresh process: this
    // test binary again, running only this test.
    let exe = std::env::current_exe().unwrap();
    let mut failed = Vec::new();
    let processes = processes();
    for _ in 0..processes {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "vaults_opened_at_once_by_a_fresh_process_all_open",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        if !out.status.success() {
            failed.push(format!(
                "{}: {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {processes} processes failed: {}",
        failed.len(),
        failed[0]
    );
}
