//! Satchel's checkpoints and cosignatures against an independent implementation:
//! Go's reference signed-note package (`golang.org/x/mod/sumdb/note`, Debian's
//! `golang-golang-x-mod-dev`) and Go's own Ed25519 and SHA-256 for the cosignature
//! lines (`tests/go/notecheck.go`). Needs `go`; the test command installs it, and
//! CI fails without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use satchel_audit::witness::{
    DeviceLogKey, check_sender_log, cosigned, log_verifier, witness_name,
};
use satchel_audit::{Checkpoint, Log, NoteVerifier};
use satchel_crypto::identity::DeviceKeys;

/// The Go checker, built once into `dir`; `None` where Go is not installed (outside
/// CI only).
fn notecheck(dir: &Path) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go/notecheck.go");
    let out = dir.join("notecheck");
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(&src)
        .env("GOPATH", "/usr/share/gocode")
        .env("GO111MODULE", "off")
        .env("GOCACHE", std::env::temp_dir().join("satchel-go-cache"))
        .output();
    match built {
        Ok(o) if o.status.success() => Some(out),
        Ok(o) => panic!("go build: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: no Go toolchain ({e}); `bash scripts/test.sh` installs it");
            None
        }
        Err(e) => panic!("Go is required in CI: {e}"),
    }
}

fn run(bin: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new(bin).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

#[test]
fn go_reads_satchels_checkpoints_and_cosignatures_and_satchel_reads_gos_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(go) = notecheck(tmp.path()) else {
        return;
    };
    let device = DeviceKeys::from_secret_bytes(&[0x21; 64]).unwrap();
    let witness = DeviceKeys::from_secret_bytes(&[0x22; 64]).unwrap();
    let key = device.public().signing;
    let log = Log::from_leaves((0u8..7).map(|i| [i; 32]));
    let origin = satchel_audit::device_origin(&key);
    let note = Checkpoint::new(&origin, log.size(), log.root())
        .sign(&DeviceLogKey::log(&device))
        .unwrap()
        .to_bytes();
    let (cp, n) = check_sender_log(&key, None, &note, &[]).unwrap();
    let both = cosigned(n, &cp, &DeviceLogKey::witness(&witness), 1_790_000_123)
        .unwrap()
        .to_bytes();
    let path = tmp.path().join("note");
    std::fs::write(&path, &both).unwrap();
    let vkey = log_verifier(&key).unwrap().to_text();
    let wname = witness_name(&witness.public().signing);
    let wkey = data_encoding::HEXLOWER.encode(&witness.public().signing);
    let (ok, out) = run(
        &go,
        &["verify", path.to_str().unwrap(), &vkey, &wname, &wkey],
    );
    assert!(ok, "{out}");
    let id = log_verifier(&key).unwrap().id();
    assert!(out.contains(&format!("signed {origin} {id:08x}")), "{out}");
    assert!(out.contains("unverified 1"), "{out}");
    assert!(
        out.contains(&format!("cosigned {wname} 1790000123")),
        "{out}"
    );

    // One bit of the checkpoint's text changed: Go refuses it.
    let mut bad = both.clone();
    bad[origin.len() + 1] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let (ok, out) = run(&go, &["verify", path.to_str().unwrap(), &vkey]);
    assert!(!ok, "Go accepted a changed checkpoint: {out}");
    // One bit of the cosignature: Go's check of the line refuses it.
    let mut bad = String::from_utf8(both.clone()).unwrap();
    let line = bad.rfind(&wname).unwrap() + wname.len() + 20;
    let flipped = if &bad[line..=line] == "A" { "B" } else { "A" };
    bad.replace_range(line..=line, flipped);
    std::fs::write(&path, &bad).unwrap();
    let (ok, out) = run(
        &go,
        &["verify", path.to_str().unwrap(), &vkey, &wname, &wkey],
    );
    assert!(!ok, "Go accepted a changed cosignature: {out}");

    // The other way: a checkpoint Go signs, Satchel reads.
    let text = tmp.path().join("text");
    std::fs::write(&text, cp.to_text()).unwrap();
    let seed = data_encoding::HEXLOWER.encode(&[0x33; 32]);
    let (ok, out) = run(&go, &["sign", &origin, &seed, text.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (vkey, signed) = out.split_once('\n').unwrap();
    let theirs = NoteVerifier::parse(vkey).unwrap();
    let (read, _) = Checkpoint::open(signed.as_bytes(), &theirs).unwrap();
    assert_eq!(read, cp);
}
