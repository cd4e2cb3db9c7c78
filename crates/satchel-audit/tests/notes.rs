use ed25519_dalek::SigningKey;
use satchel_audit::note::{ALG_ED25519, key_id};
use satchel_audit::{Note, NoteError, NoteVerifier};

use crate::Key;

// The example of golang.org/x/mod/sumdb/note (and of the C2SP signed-note spec):
// the key, the text, and the note it signs to.
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n\
                       \n\
                       — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

fn go_key() -> Key {
    let raw = data_encoding::BASE64
        .decode(GO_SKEY.splitn(5, '+').nth(4).unwrap().as_bytes())
        .unwrap();
    assert_eq!(raw[0], ALG_ED25519);
    Key {
        name: "PeterNeumann".into(),
        key: SigningKey::from_bytes(&raw[1..].try_into().unwrap()),
    }
}

#[test]
fn the_go_reference_example_signs_and_verifies_byte_for_byte() {
    let key = go_key();
    let note = Note::sign(GO_TEXT, &[&key]).unwrap();
    assert_eq!(String::from_utf8(note.to_bytes()).unwrap(), GO_NOTE);
    let v = NoteVerifier::parse(GO_VKEY).unwrap();
    assert_eq!(v.to_text(), GO_VKEY);
    assert_eq!(v.id(), 0xc74f_20a3);
    let read = Note::parse(GO_NOTE.as_bytes()).unwrap();
    assert_eq!(read.text(), GO_TEXT);
    assert_eq!(read.verify(&[v]).unwrap(), ["PeterNeumann"]);
}

#[test]
fn a_changed_text_or_signature_is_refused_and_unknown_keys_are_ignored() {
    let v = NoteVerifier::parse(GO_VKEY).unwrap();
    let changed = GO_NOTE.replace("answer", "Answer");
    assert_eq!(
        Note::parse(changed.as_bytes())
            .unwrap()
            .verify(std::slice::from_ref(&v)),
        Err(NoteError::BadSignature("PeterNeumann".into()))
    );
    // Another key's line beside the known one changes nothing; alone, nothing verifies.
    let other = Key::new("example.com/other", 9);
    let mut note = Note::parse(GO_NOTE.as_bytes()).unwrap();
    let theirs = Note::sign(GO_TEXT, &[&other]).unwrap();
    note.add_signature(theirs.signatures()[0].clone());
    let read = Note::parse(&note.to_bytes()).unwrap();
    assert_eq!(read.signatures().len(), 2);
    assert_eq!(
        read.verify(std::slice::from_ref(&v)).unwrap(),
        ["PeterNeumann"]
    );
    assert_eq!(
        Note::parse(&theirs.to_bytes())
            .unwrap()
            .verify(std::slice::from_ref(&v)),
        Err(NoteError::Unverified)
    );
    // A known name with another key id is someone else's key: ignored.
    let impostor = Key::new("PeterNeumann", 7);
    let forged = Note::sign(GO_TEXT, &[&impostor]).unwrap();
    assert_ne!(forged.signatures()[0].id, v.id());
    assert_eq!(forged.verify(&[v]), Err(NoteError::Unverified));
}

#[test]
fn malformed_notes_are_refused() {
    let sig_line = GO_NOTE.rsplit("\n\n").next().unwrap();
    let bad: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "empty"),
        (GO_TEXT.as_bytes().to_vec(), "no signatures"),
        (b"text\n\n".to_vec(), "a blank line but no signature"),
        (
            format!("no newline{sig_line}").into_bytes(),
            "text without its final newline",
        ),
        (
            format!("tab\there\n\n{sig_line}").into_bytes(),
            "control character",
        ),
        (
            format!("{GO_TEXT}\n- PeterNeumann AAAA\n").into_bytes(),
            "ASCII dash",
        ),
        (
            format!("{GO_TEXT}\n— PeterNeumann !!!!\n").into_bytes(),
            "not base64",
        ),
        (
            format!("{GO_TEXT}\n— PeterNeumann AAAA\n").into_bytes(),
            "only a key id",
        ),
        (
            format!("{GO_TEXT}\n— Peter+Neumann AAAAAAA=\n").into_bytes(),
            "a '+' in the name",
        ),
        (GO_NOTE.trim_end().as_bytes().to_vec(), "no final newline"),
        (vec![0xff, b'\n', b'\n'], "not UTF-8"),
    ];
    for (bytes, why) in &bad {
        assert!(Note::parse(bytes).is_err(), "{why} was read");
    }
    let many = format!("{GO_TEXT}\n{}", sig_line.repeat(101));
    assert_eq!(
        Note::parse(many.as_bytes()),
        Err(NoteError::Malformed("too many signatures"))
    );
    // Twice the same known key: refused rather than counted twice.
    let twice = format!("{GO_NOTE}{sig_line}");
    let v = NoteVerifier::parse(GO_VKEY).unwrap();
    assert!(Note::parse(twice.as_bytes()).unwrap().verify(&[v]).is_err());
}

#[test]
fn key_ids_and_verifier_keys_follow_the_spec() {
    let key = go_key();
    let id = key_id(
        "PeterNeumann",
        ALG_ED25519,
        &satchel_audit::NoteSigner::public_key(&key),
    );
    assert_eq!(id, 0xc74f_20a3);
    for bad in [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f2a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ] {
        assert!(NoteVerifier::parse(bad).is_err(), "{bad}");
    }
}
