//! The `satchel` binary as users and scripts drive it.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod bad_input;
mod disk_full;
mod leak;
mod org;
mod rekey;
mod relay;
mod sync;
mod transcript;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const PASS: &str = "correct horse battery";

/// What one run printed.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// A vault directory and a private temp directory for the processes we start.
pub(crate) struct Sandbox {
    pub(crate) root: tempfile::TempDir,
    pub(crate) vault: PathBuf,
    pub(crate) tmp: PathBuf,
}

impl Sandbox {
    pub(crate) fn new() -> Self {
        Self::within(tempfile::tempdir().unwrap())
    }

    pub(crate) fn within(root: tempfile::TempDir) -> Self {
        let vault = root.path().join("vault");
        let tmp = root.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        Self { root, vault, tmp }
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_satchel"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root.path())
            .env("TMPDIR", &self.tmp)
            .env("SATCHEL_VAULT", &self.vault)
            .env("SATCHEL_INSECURE_TEST_KDF", "1")
            .env("SATCHEL_PASSPHRASE", PASS)
            .env("SATCHEL_NEW_PASSPHRASE", PASS)
            .stdin(std::process::Stdio::null());
        c
    }

    pub(crate) fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// Runs and insists on success; returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "satchel {args:?} failed: {}", r.stderr);
        r.stdout
    }

    pub(crate) fn init(&self) {
        self.ok(&["init"]);
    }

    /// The vault, unlocked in this process (for setting up many records fast).
    pub(crate) fn open(&self) -> satchel_api::Vault {
        let pass = satchel_api::SecretString::from(PASS);
        satchel_api::unlock(&self.vault, &pass, satchel_api::KdfProfile::InsecureTest).unwrap()
    }

    /// Adds `n` contacts, the i-th named `name(i)`; returns the open vault.
    pub(crate) fn add_contacts(
        &self,
        n: usize,
        name: impl Fn(usize) -> String,
    ) -> satchel_api::Vault {
        let mut v = self.open();
        let rows: Vec<_> = (0..n)
            .map(|i| vec![("name".to_owned(), satchel_api::FieldInput::Text(name(i)))])
            .collect();
        v.add_records("contact", &rows).unwrap();
        v
    }

    /// Every vault file's name and bytes.
    pub(crate) fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        snapshot(&self.vault)
    }
}

pub(crate) fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    std::fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect()
        })
        .unwrap_or_default()
}

/// The stderr line of a failure, without the test-KDF warning.
pub(crate) fn error_line(r: &Run) -> String {
    r.stderr
        .lines()
        .filter(|l| !l.starts_with("warning:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every encoding in which the code could write `s` to disk.
pub(crate) fn canary_encodings(s: &str) -> Vec<Vec<u8>> {
    let le: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![s.as_bytes().to_vec(), s.to_lowercase().into_bytes(), le, be]
}
