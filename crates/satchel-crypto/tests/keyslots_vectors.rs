//! Golden vectors for the keyslots file (docs/keyslots-format.md): files written by
//! this format must open forever. Each vector names the secret that should open it
//! (under the insecure test KDF profile) and what must come out.
//!
//! The good files were made once with random salts and nonces; to add vectors run
//! `SATCHEL_WRITE_VECTORS=1 cargo test -p satchel-crypto --test keyslots_vectors`
//! and commit only the new files.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use satchel_crypto::{
    kdf::KdfProfile,
    keys::DataKey,
    keyslots::{Keyslots, SlotRole},
    recovery::RecoveryKey,
    secrecy::SecretString,
};

const P: KdfProfile = KdfProfile::InsecureTest;
const PASS: &str = "correct horse battery staple";
const DURESS: &str = "duress passphrase";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/keyslots")
}

struct Vector {
    expect: String,
    secret: String,
    key: String,
    bytes: Vec<u8>,
}

fn parse(text: &str) -> Vector {
    let (head, body) = text.split_once("\n\n").unwrap();
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or("")
            .to_owned()
    };
    let hex: String = body.split_whitespace().collect();
    Vector {
        expect: field("expect"),
        secret: field("secret"),
        key: field("key"),
        bytes: data_encoding::HEXLOWER.decode(hex.as_bytes()).unwrap(),
    }
}

fn render(expect: &str, comment: &str, secret: &str, key: &str, bytes: &[u8]) -> String {
    let mut out = format!("expect: {expect}\ncomment: {comment}\nsecret: {secret}\nkey: {key}\n\n");
    for line in data_encoding::HEXLOWER.encode(bytes).as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out
}

fn write_vectors() {
    let key = DataKey::generate().unwrap();
    let key_hex = data_encoding::HEXLOWER.encode(key.expose_secret());
    let recovery = RecoveryKey::generate().unwrap();
    let recovery_text = recovery.display_once().unwrap().to_string();
    let decoy = DataKey::generate().unwrap();
    let mut slots = Keyslots::new_random().unwrap();
    let kek = slots.derive_kek(&SecretString::from(PASS), P).unwrap();
    slots.seal(SlotRole::Main, &kek, &key, 0, P).unwrap();
    let kek = slots.derive_kek_bytes(recovery.expose_secret(), P).unwrap();
    slots.seal(SlotRole::Recovery, &kek, &key, 0, P).unwrap();
    let kek = slots.derive_kek(&SecretString::from(DURESS), P).unwrap();
    slots.seal(SlotRole::Duress, &kek, &decoy, 1, P).unwrap();
    let good = slots.write().to_vec();
    let decoy_hex = data_encoding::HEXLOWER.encode(decoy.expose_secret());
    let w =
        |name: &str, text: String| std::fs::write(dir().join(format!("{name}.txt")), text).unwrap();
    w(
        "good-main",
        render(
            "main db 0",
            "main, recovery and duress slots in use",
            PASS,
            &key_hex,
            &good,
        ),
    );
    w(
        "good-recovery",
        render(
            "recovery db 0",
            "the same file opened by its recovery key",
            &format!("recovery:{recovery_text}"),
            &key_hex,
            &good,
        ),
    );
    w(
        "good-duress",
        render(
            "duress db 1",
            "the same file opened by its duress passphrase",
            DURESS,
            &decoy_hex,
            &good,
        ),
    );
    w(
        "bad-wrong-passphrase",
        render(
            "error: decryption failed",
            "no slot opens with this secret",
            "not the passphrase",
            "",
            &good,
        ),
    );
    w(
        "bad-truncated",
        render(
            "error: the keyslots file is damaged (wrong size)",
            "last byte missing",
            PASS,
            "",
            &good[..good.len() - 1],
        ),
    );
    w(
        "bad-extended",
        render(
            "error: the keyslots file is damaged (wrong size)",
            "one byte appended",
            PASS,
            "",
            &[&good[..], &[0]].concat(),
        ),
    );
    let flip = |at: usize| {
        let mut b = good.clone();
        b[at] ^= 0x01;
        b
    };
    w(
        "bad-flip-salt",
        render(
            "error: decryption failed",
            "one bit of the salt changed",
            PASS,
            "",
            &flip(3),
        ),
    );
    w(
        "bad-flip-nonce",
        render(
            "error: decryption failed",
            "one bit of the main slot's nonce changed",
            PASS,
            "",
            &flip(32 + 5),
        ),
    );
    w(
        "bad-flip-ciphertext",
        render(
            "error: decryption failed",
            "one bit of the main slot's ciphertext changed",
            PASS,
            "",
            &flip(32 + 24 + 10),
        ),
    );
    w(
        "bad-flip-tag",
        render(
            "error: decryption failed",
            "one bit of the main slot's tag changed",
            PASS,
            "",
            &flip(32 + 103),
        ),
    );
}

fn outcome(v: &Vector) -> (String, String) {
    let slots = match Keyslots::read(&v.bytes) {
        Ok(s) => s,
        Err(e) => return (format!("error: {e}"), String::new()),
    };
    let kek = match v.secret.strip_prefix("recovery:") {
        Some(text) => slots.derive_kek_bytes(RecoveryKey::parse(text).unwrap().expose_secret(), P),
        None => slots.derive_kek(&SecretString::from(v.secret.clone()), P),
    }
    .unwrap();
    match slots.open(&kek, P) {
        Ok(opened) => {
            let role = match opened.role {
                SlotRole::Main => "main",
                SlotRole::Recovery => "recovery",
                SlotRole::Duress => "duress",
                _ => "other",
            };
            (
                format!("{role} db {}", opened.db),
                data_encoding::HEXLOWER.encode(opened.key.expose_secret()),
            )
        }
        Err(e) => (format!("error: {e}"), String::new()),
    }
}

#[test]
fn keyslots_vectors_open_as_recorded() {
    if std::env::var_os("SATCHEL_WRITE_VECTORS").is_some() {
        write_vectors();
    }
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let v = parse(&std::fs::read_to_string(&path).unwrap());
        let (expect, key) = outcome(&v);
        assert_eq!(expect, v.expect, "{}", path.display());
        assert_eq!(key, v.key, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} vectors");
}
