//! What each fuzz target asserts of one input, in one place for both of its runners:
//! libFuzzer (`fuzz/fuzz_targets/`, nightly, in `scripts/test.sh --long`) and the
//! replay of the kept seeds and crash inputs in `tests/replay.rs`, which runs in every
//! `cargo test` on stable. A check returns quietly when the parser refuses the input
//! and panics when a promise of the parser is broken: that panic is the finding.
//!
//! Nothing here is linked into Satchel's binaries.
// A check exists to panic when a property fails.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::LazyLock;

use satchel_crypto::{
    bundle, identity::DeviceKeys, kdf::KdfProfile, keyslots::Keyslots, recovery::RecoveryKey,
    secrecy::SecretString,
};
use satchel_forms::{
    Form,
    expr::{Context, Expr, Val},
};
use satchel_sync::{
    bundle::BundleBody,
    member::{Certificate, EnrolmentRequest, Members, Revocation, VoidRevocation},
    op::{Body, MAX_PAYLOAD_DEPTH, Op, OpHeader, OpKind, SALT_LEN, json_depth_within},
};

/// What a target asserts of one input.
pub type Check = fn(&[u8]);

/// Every target, by the name of its file in `fuzz/fuzz_targets/` and of its folders
/// under `fuzz/seeds/` and `fuzz/regressions/`.
pub const TARGETS: &[(&str, Check)] = &[
    ("audit_export", audit_export),
    ("audit_note", audit_note),
    ("bundle_body", bundle_body),
    ("bundle_open", bundle_open),
    ("form_expr", form_expr),
    ("form_xlsform", form_xlsform),
    ("form_parse", form_parse),
    ("form_publication", form_publication),
    ("keyslots_open", keyslots_open),
    ("member_certificate", member_certificate),
    ("member_request", member_request),
    ("member_revocation", member_revocation),
    ("member_text", member_text),
    ("op_body_decode", op_body_decode),
    ("op_decode", op_decode),
    ("recovery_key_parse", recovery_key_parse),
];

/// An audit export is whatever file an auditor was handed: read strictly, and checked
/// without panicking whatever it holds.
pub fn audit_export(data: &[u8]) {
    if let Ok(export) = satchel_audit::AuditExport::parse(data) {
        let report = satchel_audit::verify_export(&export);
        assert_eq!(report.devices.len(), export.devices.len());
    }
}

/// Checkpoints and their cosignatures arrive in bundles and audit exports as signed
/// notes: parsing is exact (what is read writes back byte for byte), verification
/// never panics, and proofs of any shape over any sizes are refused, not trusted.
pub fn audit_note(data: &[u8]) {
    use satchel_audit::{Checkpoint, Note, NoteVerifier, Witness};
    if let Ok(note) = Note::parse(data) {
        assert_eq!(note.to_bytes(), data, "a note reads back as it was");
        let key = [0x5a; 32];
        if let (Ok(v), Ok(w)) = (
            NoteVerifier::new("satchel.example/log", &key),
            Witness::new("satchel.example/witness", &key),
        ) {
            let _ = note.verify(&[v]);
            if let Ok(cp) = Checkpoint::parse(note.text()) {
                assert_eq!(
                    cp.to_text(),
                    note.text(),
                    "a checkpoint reads back as it was"
                );
                let _ = w.check(&cp, note.signatures());
            }
        }
    }
    // The rest as a proof: sizes from the first 16 bytes, hashes after.
    let (Some(head), Some(rest)) = (data.get(..16), data.get(16..)) else {
        return;
    };
    let (a, b) = head.split_at(8);
    let old = u64::from_be_bytes(a.try_into().unwrap_or_default()) % 4096;
    let new = u64::from_be_bytes(b.try_into().unwrap_or_default()) % 4096;
    let proof: Vec<[u8; 32]> = rest
        .chunks_exact(32)
        .filter_map(|c| c.try_into().ok())
        .collect();
    let root = proof.first().copied().unwrap_or_default();
    let _ = satchel_audit::verify_inclusion(&root, old, new, &root, &proof);
    let _ = satchel_audit::verify_consistency(old, &root, new, &root, &proof);
}

/// A bundle body is what an opened bundle carries; its sender chooses every byte,
/// the compression included.
pub fn bundle_body(data: &[u8]) {
    let Ok((body, hash)) = BundleBody::read(data) else {
        return;
    };
    let (written, written_hash) = body.write().expect("a read body must write");
    // The parser is strict, so encoding gives back the bytes that were hashed: the
    // hash chains bundles, and one body must not have two identities.
    assert_eq!(written_hash, hash, "accepted a non-canonical bundle body");
    let (back, back_hash) = BundleBody::read(&written).expect("a written body must read back");
    assert_eq!(
        back_hash, hash,
        "body hash changed in a write/read round trip"
    );
    assert_eq!(back, body, "bundle body changed in a write/read round trip");
}

// The seeds (fuzz/examples/make_seeds.rs) are real bundles sealed to this key, so
// mutations get past the slots into the STREAM chunks and the plaintext framing.
static ME: LazyLock<DeviceKeys> =
    LazyLock::new(|| DeviceKeys::from_secret_bytes(&[0x42; 64]).expect("recipient keys"));
static SENDER: LazyLock<DeviceKeys> =
    LazyLock::new(|| DeviceKeys::from_secret_bytes(&[0x17; 64]).expect("sender keys"));

/// Bundle files arrive by USB stick, mail or a shared folder, so anyone can write them.
pub fn bundle_open(data: &[u8]) {
    // Any sender is accepted here so mutations reach the content; import refuses
    // strangers after the first chunk. The cap keeps one run's memory small.
    let Ok(opened) = bundle::open(&ME, data, |_| true, 1 << 24) else {
        return;
    };
    assert_eq!(opened.sender.len(), 32, "sender key is not 32 bytes");
    let sealed = bundle::seal(&SENDER, &[ME.public().agreement], &opened.content)
        .expect("opened content must seal again");
    let back = bundle::open(&ME, sealed.as_slice(), |_| true, u64::MAX)
        .expect("a sealed bundle must open");
    assert_eq!(
        back.sender,
        SENDER.public().signing,
        "resealed bundle names the wrong sender"
    );
    assert_eq!(
        back.content.as_slice(),
        opened.content.as_slice(),
        "content changed in an open/seal/open round trip"
    );
}

/// The values `form_expr` evaluates against: a number, strings in three scripts, a
/// multiple choice, a boolean and an empty field; any other name is unknown.
struct Answers;

impl Context for Answers {
    fn field(&self, name: &str) -> Option<Val> {
        Some(match name {
            "age" => Val::Num(12.0),
            "consent" => Val::Str("yes".into()),
            "langs" => Val::Str("ko en".into()),
            "name" => Val::Str("김철수".into()),
            "city" => Val::Str("北京".into()),
            "flag" => Val::Bool(true),
            "nan" => Val::Num(f64::NAN),
            "blank" => Val::Str(String::new()),
            _ => return None,
        })
    }
    fn current(&self) -> Option<Val> {
        Some(Val::Str("12".into()))
    }
}

/// Nothing answered: every field and `.` empty.
struct Empty;

impl Context for Empty {
    fn field(&self, _: &str) -> Option<Val> {
        None
    }
    fn current(&self) -> Option<Val> {
        None
    }
}

/// Skip logic and constraints arrive inside form definitions people share: parsing
/// refuses or accepts without panicking (however deep the nesting), evaluation of
/// what was accepted is total and the same each time, and the fields an expression
/// says it reads are written in it.
pub fn form_expr(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(expr) = Expr::parse(&text) else {
        return;
    };
    assert_eq!(expr.source(), text, "the source is kept as given");
    for name in expr.references() {
        assert!(
            text.contains(&format!("${{{name}}}")),
            "references() names a field the source does not read"
        );
    }
    // `.` itself, or `string-length()`, which reads it.
    assert!(
        !expr.uses_current() || text.contains('.') || text.contains("string-length"),
        "uses_current() with no `.` in the source"
    );
    for ctx in [&Answers as &dyn Context, &Empty] {
        let value = expr.eval(ctx);
        // Twice the same (NaN compared by its string): no hidden state.
        assert_eq!(value.to_str(), expr.eval(ctx).to_str(), "evaluation varies");
        assert_eq!(expr.eval_bool(ctx), value.to_bool(), "eval_bool differs");
    }
}

/// XLSForm spreadsheets come from coordinators' old tools and from anyone who
/// sends one: reading refuses or accepts within its limits (memory, time), and what
/// it accepts is a form the vault accepts, rules and all. A panic inside the
/// spreadsheet reader is contained by `read` and refuses the file as damaged (the
/// reader panics on some broken `.xls` files); anything that escapes it, such as
/// memory running out, is a finding.
pub fn form_xlsform(data: &[u8]) {
    // libFuzzer's panic hook aborts on any panic, even one `read` catches: while the
    // reader runs, a quiet hook lets the catch work as it does in the app.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let read = satchel_xlsform::read(data, "fuzz.xlsx");
    std::panic::set_hook(hook);
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.code.is_empty() && !e.to_string().is_empty());
            return;
        }
    };
    let json = read.form.to_json().expect("an imported form encodes");
    let again = Form::parse(&json).expect("an imported form is one the vault accepts");
    assert_eq!(again, read.form, "the form reads back the same");
    satchel_forms::Rules::new(&again).expect("its rules parse");
    assert_eq!(read.summary.fields as usize, again.fields.len());
}

/// Form definitions are imported from files people share.
pub fn form_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(form) = Form::parse(text) else {
        return;
    };
    let json = form.to_json().expect("a parsed form must encode");
    let back = Form::parse(&json).expect("the canonical JSON of a form must parse");
    assert_eq!(back, form, "form changed in a to_json/parse round trip");
}

/// The keyslots file sits in clear on disk, so anyone with the laptop can edit it.
pub fn keyslots_open(data: &[u8]) {
    let Ok(slots) = Keyslots::read(data) else {
        return;
    };
    // The cheap profile keeps each run fast; the parsing and trial logic is the same.
    let profile = KdfProfile::InsecureTest;
    let kek = slots
        .derive_kek(&SecretString::from("fuzz"), profile)
        .expect("Argon2 with fixed parameters cannot fail");
    // Opening needs a Poly1305 forgery, so fuzzed bytes must never open.
    assert!(
        slots.open(&kek, profile).is_err(),
        "fuzzed keyslots bytes opened"
    );
}

/// Certificates travel in bundles and as files, text and QR codes from anyone.
pub fn member_certificate(data: &[u8]) {
    let Ok(cert) = Certificate::read(data) else {
        return;
    };
    // Strict parser: one certificate, one encoding, so one id.
    assert_eq!(cert.write(), data, "accepted a non-canonical certificate");
    let back = Certificate::from_text(&cert.to_text()).expect("a certificate's text must parse");
    assert_eq!(back, cert, "certificate changed in a text round trip");
    let members = Members::from_parts(cert.org(), [cert.clone()], [])
        .expect("a certificate of the organisation is accepted");
    for at in [0, cert.not_before(), cert.not_after(), u64::MAX] {
        let _ = members.check(cert.device_id(), 1, at);
    }
    let _ = members.list(cert.not_before());
}

/// Enrolment requests reach a coordinator as files, text or QR codes from anyone.
pub fn member_request(data: &[u8]) {
    let Ok(request) = EnrolmentRequest::read(data) else {
        return;
    };
    assert_eq!(request.write(), data, "accepted a non-canonical request");
    let back =
        EnrolmentRequest::from_text(&request.to_text()).expect("a request's text must parse");
    assert_eq!(back, request, "request changed in a text round trip");
}

/// Form publications travel in bundles from anyone, relayed with the publisher's
/// signature.
pub fn form_publication(data: &[u8]) {
    let Ok((p, rest)) = satchel_sync::publication::Publication::read(data) else {
        return;
    };
    let used = data.len() - rest.len();
    assert_eq!(
        p.write(),
        data.get(..used).expect("within the input"),
        "accepted a non-canonical publication"
    );
}

/// Revocations travel in bundles from anyone.
pub fn member_revocation(data: &[u8]) {
    let Ok(rev) = Revocation::read(data) else {
        return;
    };
    assert_eq!(rev.write(), data, "accepted a non-canonical revocation");
    let back = Revocation::from_text(&rev.to_text()).expect("a revocation's text must parse");
    assert_eq!(back, rev, "revocation changed in a text round trip");
    let members = Members::from_parts(rev.org(), [], [rev.clone()]).expect("same organisation");
    assert_eq!(
        members.revocation_effect(&rev.id()),
        Some(Err(VoidRevocation::UnknownTarget)),
        "a revocation of an unknown certificate took effect"
    );
}

/// The text forms are typed or scanned by people.
pub fn member_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Certificate::from_text(text) {
        assert_eq!(Certificate::from_text(&c.to_text()).as_ref(), Ok(&c));
    }
    if let Ok(r) = EnrolmentRequest::from_text(text) {
        assert_eq!(EnrolmentRequest::from_text(&r.to_text()).as_ref(), Ok(&r));
    }
    if let Ok(r) = Revocation::from_text(text) {
        assert_eq!(Revocation::from_text(&r.to_text()).as_ref(), Ok(&r));
    }
}

/// Payloads are JSON after a salt, decoded from synced ops. The nesting bound that
/// received payloads pass first must agree with the JSON parser on what it parses.
pub fn op_body_decode(data: &[u8]) {
    for kind in [OpKind::Write, OpKind::Delete, OpKind::Purge] {
        let _ = Body::decode(kind, data);
    }
    let json = data.get(SALT_LEN..).unwrap_or_default();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) {
        // The scan may refuse more than the parser keeps (a repeated key's deeper
        // first value is parsed, then dropped), never less: what it lets through
        // the parser never finds deeper.
        for max in [0, 1, 3, MAX_PAYLOAD_DEPTH] {
            if json_depth_within(json, max) {
                assert!(
                    depth(&value) <= max,
                    "the nesting scan let through more than {max} levels"
                );
            }
        }
    }
}

/// Nesting of arrays and objects (serde_json bounds it at 128, so this recursion is
/// bounded too).
fn depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Ops arrive from other devices (sync bundles), so their wire and header parsers see
/// untrusted bytes.
pub fn op_decode(data: &[u8]) {
    // Checked on its own too: behind Op::read it is only reached after a valid length
    // prefix.
    if let Ok(header) = OpHeader::read(data) {
        // The parser promises to accept only canonical bytes, so writing must give them back.
        assert_eq!(header.write(), data, "accepted a non-canonical header");
    }

    let Ok((op, rest)) = Op::read(data) else {
        return;
    };
    let written = op.write();
    assert_eq!(
        written,
        &data[..data.len() - rest.len()],
        "accepted a non-canonical op encoding"
    );
    let (back, tail) = Op::read(&written).expect("a written op must read back");
    assert!(tail.is_empty(), "a written op left trailing bytes");
    assert_eq!(back, op, "op changed in a write/read round trip");
}

/// Recovery keys are typed (or pasted) by people.
pub fn recovery_key_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(key) = RecoveryKey::parse(text) else {
        return;
    };
    let shown = key.display_once().expect("a parsed key must display");
    let back = RecoveryKey::parse(&shown).expect("a displayed key must parse");
    assert_eq!(
        back.expose_secret(),
        key.expose_secret(),
        "recovery key changed in a display/parse round trip"
    );
}
