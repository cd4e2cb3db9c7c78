//! Golden vectors for the membership formats and rules (docs/membership-format.md),
//! good and bad, one per file in `tests/vectors/member/`.
//!
//! Each file has a short header (`expect:`, `comment:`, `kind:`, and for a `state`
//! vector `org:` and `query:`), a blank line, then the body: the object in hex, the
//! text form, or for `state` one `cert HEX` / `revocation HEX` per line.
//!
//! The vectors are made from fixed keys, serials and times; Ed25519 signatures are
//! deterministic, so regenerating them must give identical bytes
//! (`member_wire_format_is_stable`). Malformed objects are built by a second encoder
//! written here from the document, and signed, so only the parser's own checks catch
//! them. To rewrite the files after a deliberate format change:
//! `SATCHEL_WRITE_VECTORS=1 cargo test -p satchel-sync --test main member_vectors`
//! (`SATCHEL_BLESS=1` works too).

use std::collections::BTreeMap;
use std::path::PathBuf;

use satchel_crypto::{hash::domain, identity::DeviceKeys};
use satchel_sync::member::{
    Certificate, CertificateDraft, DAY, EnrolmentRequest, Members, OrgId, OrgRoot, Revocation, Role,
};
use satchel_sync::op::DeviceId;

const NOW: u64 = 1_790_000_000;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/member")
}

fn keys(n: u8) -> DeviceKeys {
    DeviceKeys::from_secret_bytes(&[n; 64]).unwrap()
}

/// The certificate layout, written from docs/membership-format.md.
#[allow(clippy::too_many_arguments)]
fn raw_cert(
    version: u8,
    org: &[u8; 32],
    serial: &[u8; 16],
    who: &DeviceKeys,
    name: &[u8],
    role: u8,
    not_before: u64,
    not_after: u64,
    issuer: &DeviceKeys,
) -> Vec<u8> {
    let mut b = vec![version];
    b.extend_from_slice(org);
    b.extend_from_slice(serial);
    b.extend_from_slice(&who.public().signing);
    b.extend_from_slice(&who.public().agreement);
    b.push(u8::try_from(name.len()).unwrap());
    b.extend_from_slice(name);
    b.push(role);
    b.extend_from_slice(&not_before.to_be_bytes());
    b.extend_from_slice(&not_after.to_be_bytes());
    b.extend_from_slice(&issuer.public().signing);
    let sig = issuer.sign(domain::CERT_SIGNATURE, &b);
    b.extend_from_slice(&sig);
    b
}

/// The revocation layout, written from docs/membership-format.md.
fn raw_revocation(
    org: &[u8; 32],
    target: &[u8; 32],
    from_seq: u64,
    issued_at: u64,
    issuer: &DeviceKeys,
) -> Vec<u8> {
    let mut b = vec![1u8];
    b.extend_from_slice(org);
    b.extend_from_slice(target);
    b.extend_from_slice(&from_seq.to_be_bytes());
    b.extend_from_slice(&issued_at.to_be_bytes());
    b.extend_from_slice(&issuer.public().signing);
    let sig = issuer.sign(domain::REVOCATION_SIGNATURE, &b);
    b.extend_from_slice(&sig);
    b
}

/// The request layout, written from docs/membership-format.md.
fn raw_request(who: &DeviceKeys, name: &[u8], nonce: &[u8; 16]) -> Vec<u8> {
    let mut b = vec![1u8];
    b.extend_from_slice(&who.public().signing);
    b.extend_from_slice(&who.public().agreement);
    b.push(u8::try_from(name.len()).unwrap());
    b.extend_from_slice(name);
    b.extend_from_slice(nonce);
    let sig = who.sign(domain::ENROL_SIGNATURE, &b);
    b.extend_from_slice(&sig);
    b
}

/// One vector: kind, expectation, comment, extra header lines, body.
struct Vector {
    kind: &'static str,
    expect: String,
    comment: &'static str,
    header: Vec<String>,
    body: Body,
}

enum Body {
    Bytes(Vec<u8>),
    Text(String),
    State(Vec<(&'static str, Vec<u8>)>),
}

fn object(kind: &'static str, expect: &str, comment: &'static str, bytes: Vec<u8>) -> Vector {
    Vector {
        kind,
        expect: expect.to_owned(),
        comment,
        header: Vec::new(),
        body: Body::Bytes(bytes),
    }
}

fn state(
    expect: &str,
    comment: &'static str,
    org: OrgId,
    query: String,
    items: Vec<(&'static str, Vec<u8>)>,
) -> Vector {
    Vector {
        kind: "state",
        expect: expect.to_owned(),
        comment,
        header: vec![format!("org: {}", org.to_hex()), format!("query: {query}")],
        body: Body::State(items),
    }
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= 0x01;
    b
}

fn vectors() -> BTreeMap<&'static str, Vector> {
    // The root, coordinators a (by the root) and b (by a), field worker f (by a),
    // and a stranger x.
    let root_secret = [0x0A; 64];
    let (a, b, f, x) = (keys(0x11), keys(0x12), keys(0x13), keys(0x14));
    let (root, cert_a) = OrgRoot::create(
        root_secret,
        &a.public(),
        "Ana Coordinator",
        [1; 16],
        NOW,
        365,
    )
    .unwrap();
    let org = root.org();
    let root_keys = keys(0x0A);
    assert_eq!(org.0, root_keys.public().signing);
    let mut m = Members::new(org);
    m.insert_certificate(cert_a.clone()).unwrap();
    let request_f = EnrolmentRequest::create(&f, "김민지 Kim Min-ji", [0x33; 16]).unwrap();
    assert_eq!(
        request_f.write(),
        raw_request(&f, "김민지 Kim Min-ji".as_bytes(), &[0x33; 16])
    );
    let cert_f = m
        .approve(&a, &request_f, Role::Field, [3; 16], NOW, 30)
        .unwrap();
    m.insert_certificate(cert_f.clone()).unwrap();
    let request_b = EnrolmentRequest::create(&b, "Bo", [0x22; 16]).unwrap();
    let cert_b = m
        .approve(&a, &request_b, Role::Coordinator, [2; 16], NOW, 30)
        .unwrap();
    m.insert_certificate(cert_b.clone()).unwrap();
    assert_eq!(
        cert_f.write(),
        raw_cert(
            1,
            &org.0,
            &[3; 16],
            &f,
            "김민지 Kim Min-ji".as_bytes(),
            1,
            NOW,
            NOW + 30 * DAY,
            &a
        ),
        "the document's layout and the code disagree"
    );
    let revoke_f = m.revoke(&b, cert_f.id(), 5, NOW + 60).unwrap();
    assert_eq!(
        revoke_f.write(),
        raw_revocation(&org.0, &cert_f.id().0, 5, NOW + 60, &b)
    );
    // Signed by a field worker for a stranger: verifies, but the issuer is no coordinator.
    let by_field = raw_cert(1, &org.0, &[4; 16], &x, b"Mallory", 2, NOW, NOW + DAY, &f);
    let cert_bytes = cert_f.write();
    let n = cert_bytes.len();
    let role_at = 1 + 32 + 16 + 64 + 1 + "김민지 Kim Min-ji".len();
    let fid = DeviceId(f.public().signing).to_hex();

    let mut v = BTreeMap::new();
    v.insert(
        "good-request",
        object(
            "request",
            "ok",
            "an enrolment request: card, name in Korean and Latin, nonce, proof",
            request_f.write(),
        ),
    );
    v.insert(
        "good-cert-root",
        object(
            "certificate",
            "ok",
            "the root's certificate for the first coordinator (org create)",
            cert_a.write(),
        ),
    );
    v.insert(
        "good-cert-field",
        object(
            "certificate",
            "ok",
            "a field worker's certificate, 30 days, issued by the coordinator",
            cert_bytes.clone(),
        ),
    );
    v.insert(
        "good-revocation",
        object(
            "revocation",
            "ok",
            "the field worker revoked from their op 5 by the second coordinator",
            revoke_f.write(),
        ),
    );
    v.insert(
        "good-cert-text",
        Vector {
            kind: "certificate-text",
            expect: "ok".into(),
            comment: "the field worker's certificate as text and QR content",
            header: Vec::new(),
            body: Body::Text(cert_f.to_text()),
        },
    );
    v.insert(
        "good-request-text",
        Vector {
            kind: "request-text",
            expect: "ok".into(),
            comment: "the enrolment request as text and QR content",
            header: Vec::new(),
            body: Body::Text(request_f.to_text()),
        },
    );
    let mut typo = cert_f.to_text().into_bytes();
    let at = typo.len() - 10;
    typo[at] = if typo[at] == b'Q' { b'R' } else { b'Q' };
    v.insert(
        "bad-cert-text-checksum",
        Vector {
            kind: "certificate-text",
            expect: "error: that text is not a valid certificate (check for typos)".into(),
            comment: "one character of the text changed",
            header: Vec::new(),
            body: Body::Text(String::from_utf8(typo).unwrap()),
        },
    );
    v.insert(
        "bad-cert-forged-role",
        object(
            "certificate",
            "error: membership signature does not verify",
            "field (1) changed to coordinator (2) after signing",
            {
                let mut b = cert_bytes.clone();
                b[role_at] = 2;
                b
            },
        ),
    );
    v.insert(
        "bad-cert-forged-signature",
        object(
            "certificate",
            "error: membership signature does not verify",
            "one bit of the signature changed",
            flip(&cert_bytes, n - 10),
        ),
    );
    v.insert(
        "bad-cert-newer-version",
        object(
            "certificate",
            "error: membership object written by a newer version of Satchel",
            "version 2",
            {
                let mut b = cert_bytes.clone();
                b[0] = 2;
                b
            },
        ),
    );
    v.insert(
        "bad-cert-wrong-version",
        object(
            "certificate",
            "error: malformed membership object: unknown version",
            "version 0",
            {
                let mut b = cert_bytes.clone();
                b[0] = 0;
                b
            },
        ),
    );
    v.insert(
        "bad-cert-trailing",
        object(
            "certificate",
            "error: malformed membership object: trailing bytes",
            "a valid certificate and one more byte",
            [cert_bytes.clone(), vec![0]].concat(),
        ),
    );
    v.insert(
        "bad-cert-truncated",
        object(
            "certificate",
            "error: malformed membership object: truncated",
            "the last byte of the signature missing",
            cert_bytes[..n - 1].to_vec(),
        ),
    );
    v.insert(
        "bad-cert-empty",
        object(
            "certificate",
            "error: malformed membership object: truncated",
            "no bytes",
            Vec::new(),
        ),
    );
    v.insert(
        "bad-cert-unknown-role",
        object(
            "certificate",
            "error: malformed membership object: unknown role",
            "role 4, signed",
            raw_cert(1, &org.0, &[5; 16], &x, b"X", 4, NOW, NOW + DAY, &a),
        ),
    );
    v.insert(
        "bad-cert-empty-validity",
        object(
            "certificate",
            "error: malformed membership object: validity",
            "not-after equal to not-before, signed",
            raw_cert(1, &org.0, &[5; 16], &x, b"X", 1, NOW, NOW, &a),
        ),
    );
    v.insert(
        "bad-cert-name-control",
        object(
            "certificate",
            "error: malformed membership object: name",
            "a line break in the name, signed",
            raw_cert(1, &org.0, &[5; 16], &x, b"Kim\nLee", 1, NOW, NOW + DAY, &a),
        ),
    );
    v.insert(
        "bad-cert-name-length",
        object(
            "certificate",
            "error: malformed membership object: too long",
            "a name of 65 bytes, signed",
            raw_cert(1, &org.0, &[5; 16], &x, &[b'k'; 65], 1, NOW, NOW + DAY, &a),
        ),
    );
    v.insert(
        "bad-request-forged",
        object(
            "request",
            "error: membership signature does not verify",
            "the name changed after signing",
            {
                let mut b = request_f.write();
                b[1 + 64 + 1] ^= 0x01;
                b
            },
        ),
    );
    v.insert(
        "bad-request-truncated",
        object(
            "request",
            "error: malformed membership object: truncated",
            "cut inside the nonce",
            request_f.write()[..1 + 64 + 1 + "김민지 Kim Min-ji".len() + 8].to_vec(),
        ),
    );
    v.insert(
        "bad-revocation-from-zero",
        object(
            "revocation",
            "error: malformed membership object: revocation from op 0",
            "op sequence numbers start at 1, signed",
            raw_revocation(&org.0, &cert_f.id().0, 0, NOW, &a),
        ),
    );
    v.insert(
        "bad-revocation-trailing",
        object(
            "revocation",
            "error: malformed membership object: too long",
            "a valid revocation and one more byte",
            [revoke_f.write(), vec![0]].concat(),
        ),
    );

    // States: a set of objects and one question.
    let base = || {
        vec![
            ("cert", cert_a.write()),
            ("cert", cert_b.write()),
            ("cert", cert_bytes.clone()),
        ]
    };
    v.insert(
        "state-field-heard",
        state(
            "ok: field",
            "the field worker's op 1, now",
            org,
            format!("op {fid} 1 {NOW}"),
            base(),
        ),
    );
    v.insert(
        "state-unknown-author",
        state(
            "error: the author is not a member of this organisation",
            "a device with no certificate",
            org,
            format!("op {} 1 {NOW}", DeviceId(x.public().signing).to_hex()),
            base(),
        ),
    );
    v.insert(
        "state-issuer-not-coordinator",
        state(
            "error: the author's certificate was not issued by a coordinator of this organisation",
            "a coordinator certificate signed by a field worker",
            org,
            format!("op {} 1 {NOW}", DeviceId(x.public().signing).to_hex()),
            [base(), vec![("cert", by_field)]].concat(),
        ),
    );
    v.insert(
        "state-expired",
        state(
            "error: the author's certificate expired",
            "the field worker 30 days later: the end is exclusive",
            org,
            format!("op {fid} 1 {}", NOW + 30 * DAY),
            base(),
        ),
    );
    v.insert(
        "state-not-yet-valid",
        state(
            "error: the author's certificate is not valid yet",
            "the field worker one second before the start",
            org,
            format!("op {fid} 1 {}", NOW - 1),
            base(),
        ),
    );
    v.insert(
        "state-before-revocation",
        state(
            "ok: field",
            "op 4 of a device revoked from op 5",
            org,
            format!("op {fid} 4 {NOW}"),
            [base(), vec![("revocation", revoke_f.write())]].concat(),
        ),
    );
    v.insert(
        "state-revoked-after-point",
        state(
            "error: the author was revoked from their op 5 on",
            "op 5 of a device revoked from op 5, relayed by anyone",
            org,
            format!("op {fid} 5 {NOW}"),
            [base(), vec![("revocation", revoke_f.write())]].concat(),
        ),
    );
    let revoke_b = raw_revocation(&org.0, &cert_b.id().0, 1, NOW, &a);
    let revoke_a = raw_revocation(&org.0, &cert_a.id().0, 1, NOW + 1, &a);
    v.insert(
        "state-last-coordinator",
        state(
            "error: refused: it would revoke the last coordinator",
            "b revoked, then a revokes itself: the last revocation is void",
            org,
            "revocation".into(),
            [
                base(),
                vec![("revocation", revoke_b.clone()), ("revocation", revoke_a)],
            ]
            .concat(),
        ),
    );
    v.insert(
        "state-last-coordinator-still-heard",
        state(
            "ok: coordinator",
            "after the void revocation, a is still a coordinator",
            org,
            format!("op {} 9 {NOW}", DeviceId(a.public().signing).to_hex()),
            [
                base(),
                vec![
                    ("revocation", revoke_b),
                    (
                        "revocation",
                        raw_revocation(&org.0, &cert_a.id().0, 1, NOW + 1, &a),
                    ),
                ],
            ]
            .concat(),
        ),
    );
    v.insert(
        "state-root-revocation",
        state(
            "ok: revoked from op 1",
            "the root revokes a; b (issued by a) loses its chain, so the root's own \
             certificate for a second coordinator keeps one",
            org,
            "revocation".into(),
            [
                base(),
                vec![
                    (
                        "cert",
                        root.issue(&CertificateDraft {
                            org,
                            serial: [6; 16],
                            device: keys(0x15).public(),
                            name: "Chen".into(),
                            role: Role::Coordinator,
                            not_before: NOW,
                            not_after: NOW + DAY,
                        })
                        .unwrap()
                        .write(),
                    ),
                    (
                        "revocation",
                        raw_revocation(&org.0, &cert_a.id().0, 1, NOW, &root_keys),
                    ),
                ],
            ]
            .concat(),
        ),
    );
    v
}

fn encode(v: &Vector) -> String {
    let mut out = format!(
        "expect: {}\ncomment: {}\nkind: {}\n",
        v.expect, v.comment, v.kind
    );
    for h in &v.header {
        out.push_str(h);
        out.push('\n');
    }
    out.push('\n');
    match &v.body {
        Body::Bytes(bytes) => {
            let hex = data_encoding::HEXLOWER.encode(bytes);
            for line in hex.as_bytes().chunks(64) {
                out.push_str(std::str::from_utf8(line).unwrap());
                out.push('\n');
            }
        }
        Body::Text(text) => {
            out.push_str(text);
            out.push('\n');
        }
        Body::State(items) => {
            for (kind, bytes) in items {
                out.push_str(&format!(
                    "{kind} {}\n",
                    data_encoding::HEXLOWER.encode(bytes)
                ));
            }
        }
    }
    out
}

fn hex(text: &str) -> Vec<u8> {
    let compact: String = text.split_whitespace().collect();
    data_encoding::HEXLOWER.decode(compact.as_bytes()).unwrap()
}

fn show<T, E: std::fmt::Display>(r: Result<T, E>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => format!("error: {e}"),
    }
}

/// What a vector file yields, in its `expect:` vocabulary.
fn outcome(text: &str) -> String {
    let (head, body) = text.split_once("\n\n").unwrap();
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
    };
    match field("kind").unwrap().as_str() {
        "certificate" => show(Certificate::read(&hex(body))),
        "request" => show(EnrolmentRequest::read(&hex(body))),
        "revocation" => show(Revocation::read(&hex(body))),
        "certificate-text" => show(Certificate::from_text(body)),
        "request-text" => show(EnrolmentRequest::from_text(body)),
        "state" => {
            let org = OrgId::from_hex(&field("org").unwrap()).unwrap();
            let mut certs = Vec::new();
            let mut revs = Vec::new();
            for line in body.lines() {
                let (kind, h) = line.split_once(' ').unwrap();
                match kind {
                    "cert" => certs.push(Certificate::read(&hex(h)).unwrap()),
                    "revocation" => revs.push(Revocation::read(&hex(h)).unwrap()),
                    other => panic!("unknown item {other}"),
                }
            }
            let last = revs.last().map(Revocation::id);
            let m = Members::from_parts(org, certs, revs).unwrap();
            let query = field("query").unwrap();
            let words: Vec<&str> = query.split(' ').collect();
            match words.as_slice() {
                ["op", author, seq, at] => {
                    let author = DeviceId::from_hex(author).unwrap();
                    match m.check(author, seq.parse().unwrap(), at.parse().unwrap()) {
                        Ok(role) => format!("ok: {role}"),
                        Err(e) => format!("error: {e}"),
                    }
                }
                ["revocation"] => match m.revocation_effect(&last.unwrap()).unwrap() {
                    Ok(from) => format!("ok: revoked from op {from}"),
                    Err(e) => format!("error: {e}"),
                },
                _ => panic!("unknown query {query}"),
            }
        }
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn member_wire_format_is_stable() {
    let made = vectors();
    if std::env::var_os("SATCHEL_WRITE_VECTORS").is_some()
        || std::env::var_os("SATCHEL_BLESS").is_some()
    {
        std::fs::create_dir_all(dir()).unwrap();
        for (name, v) in &made {
            std::fs::write(dir().join(format!("{name}.txt")), encode(v)).unwrap();
        }
    }
    for (name, v) in &made {
        let stored = std::fs::read_to_string(dir().join(format!("{name}.txt")))
            .unwrap_or_else(|_| panic!("{name}.txt is missing"));
        assert_eq!(stored, encode(v), "{name} changed: the format moved");
    }
}

#[test]
fn every_member_vector_meets_its_expectation() {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .find_map(|l| l.strip_prefix("expect: "))
            .unwrap()
            .to_owned();
        assert_eq!(outcome(&text), expect, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 30, "only {seen} vectors");
}
