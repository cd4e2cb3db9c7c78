//! Golden vectors for the op wire format (docs/op-format.md), good and bad, one per
//! file: a short header (`expect:`, `comment:`) and the bytes in hex.
//!
//! The vectors are made from fixed keys, clocks and salts; Ed25519 signatures are
//! deterministic, so regenerating them must give identical bytes
//! (`op_wire_format_is_stable`). To rewrite them after a deliberate format change:
//! `SATCHEL_WRITE_VECTORS=1 cargo test -p satchel-sync --test main vectors`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use satchel_crypto::{hash, identity::DeviceKeys};
use satchel_sync::{
    OpError,
    hlc::Hlc,
    op::{Body, DeviceId, Draft, Op, OpHeader, OpKind, RecordId, SALT_LEN, WriteBody},
    vv::VersionVector,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/op")
}

fn device(n: u8) -> DeviceKeys {
    DeviceKeys::from_secret_bytes(&[n; 64]).unwrap()
}

fn payload(json: &str) -> Vec<u8> {
    let mut p = vec![0x5A; SALT_LEN];
    p.extend_from_slice(json.as_bytes());
    p
}

fn draft(seq: u64, prev: Option<&Op>, kind: OpKind, context: VersionVector) -> Draft {
    Draft {
        seq,
        prev: prev.map(|p| p.id),
        hlc: Hlc {
            wall_ms: 1_785_000_000_000 + seq,
            counter: 0,
        },
        record: RecordId([0x11; 16]),
        kind,
        context,
    }
}

/// Builds every vector: name → (expectation, comment, bytes).
fn vectors() -> BTreeMap<&'static str, (&'static str, &'static str, Vec<u8>)> {
    let a = device(7);
    let mut body = WriteBody::new("contact");
    body.fields.insert("name".into(), "김철수".into());
    body.fields.insert("notes".into(), "住在延吉市".into());
    let json = serde_json::to_string(&body).unwrap();
    let first = Op::sign(
        &a,
        draft(1, None, OpKind::Write, VersionVector::default()),
        payload(&json),
    )
    .unwrap();
    let mut ctx = VersionVector::default();
    ctx.observe(first.header.author, 1);
    let second = Op::sign(
        &a,
        draft(2, Some(&first), OpKind::Delete, ctx.clone()),
        payload("{}"),
    )
    .unwrap();
    let good = first.write();
    let header_end = 2 + first.header_bytes.len();
    let sig_end = header_end + 64;

    let mut out = BTreeMap::new();
    out.insert(
        "good-write",
        (
            "ok",
            "first op of a device: a write with Korean and Chinese",
            good.clone(),
        ),
    );
    out.insert(
        "good-delete",
        (
            "ok",
            "second op: a delete whose context has seen the first",
            second.write(),
        ),
    );
    let mut purged = first.clone();
    purged.payload = None;
    out.insert(
        "good-purged",
        (
            "ok",
            "the first op after a purge: header and signature only",
            purged.write(),
        ),
    );

    let flip = |at: usize| {
        let mut b = good.clone();
        b[at] ^= 0x01;
        b
    };
    out.insert(
        "bad-truncated-header",
        (
            "error: malformed op: truncated",
            "cut inside the header",
            good[..40].to_vec(),
        ),
    );
    out.insert(
        "bad-truncated-payload",
        (
            "error: malformed op: truncated",
            "cut inside the payload",
            good[..good.len() - 1].to_vec(),
        ),
    );
    out.insert(
        "bad-empty",
        (
            "error: malformed op: truncated",
            "no bytes at all",
            Vec::new(),
        ),
    );
    out.insert(
        "bad-flip-clock",
        (
            "error: op signature does not verify",
            "one bit of the clock changed",
            flip(2 + 1 + 32 + 8 + 7),
        ),
    );
    out.insert(
        "bad-flip-signature",
        (
            "error: op signature does not verify",
            "one bit of the signature changed",
            flip(header_end + 5),
        ),
    );
    out.insert(
        "bad-flip-payload",
        (
            "error: op payload does not match its signed hash",
            "one bit of the payload changed",
            flip(sig_end + 1 + 20),
        ),
    );
    out.insert(
        "bad-flip-kind",
        (
            "error: malformed op: unknown op kind",
            "op kind 1 became 0",
            flip(2 + 1 + 32 + 8 + 8 + 4 + 16),
        ),
    );
    out.insert(
        "bad-payload-flag",
        ("error: malformed op: payload flag", "payload flag 2", {
            let mut b = good.clone();
            b[sig_end] = 2;
            b
        }),
    );
    out.insert(
        "bad-trailing",
        (
            "error: trailing bytes",
            "a valid op followed by one more byte",
            [good.clone(), vec![0]].concat(),
        ),
    );
    out.insert(
        "bad-newer-version",
        (
            "error: op written by a newer version of Satchel",
            "header version 2",
            {
                let mut b = good.clone();
                b[2] = 2;
                b
            },
        ),
    );

    // Headers a careful encoder never writes, signed so only canonical checks catch them.
    let signed = |header: &OpHeader, pay: Option<&[u8]>| {
        let bytes = header.write();
        let sig = a.sign(hash::domain::OP_SIGNATURE, &bytes);
        let mut w = (u16::try_from(bytes.len()).unwrap()).to_be_bytes().to_vec();
        w.extend_from_slice(&bytes);
        w.extend_from_slice(&sig);
        match pay {
            Some(p) => {
                w.push(1);
                w.extend_from_slice(p);
            }
            None => w.push(0),
        }
        w
    };
    let mut h = second.header.clone();
    h.context.observe(DeviceId([0; 32]), 3);
    let mut unsorted = signed(&h, None);
    // Swap the two context entries so authors are no longer increasing.
    let n = unsorted.len() - 64 - 1;
    let ctx_start = n - 80;
    let (e1, e2) = (
        unsorted[ctx_start..ctx_start + 40].to_vec(),
        unsorted[ctx_start + 40..n].to_vec(),
    );
    unsorted[ctx_start..ctx_start + 40].copy_from_slice(&e2);
    unsorted[ctx_start + 40..n].copy_from_slice(&e1);
    out.insert(
        "bad-unsorted-context",
        (
            "error: malformed op: context not sorted",
            "context authors out of order",
            unsorted,
        ),
    );
    let mut h = first.header.clone();
    h.seq = 0;
    out.insert(
        "bad-zero-sequence",
        (
            "error: malformed op: sequence 0",
            "sequence numbers start at 1",
            signed(&h, None),
        ),
    );
    let junk = payload("not json");
    let mut h = first.header.clone();
    h.payload_hash = hash::hash(hash::domain::OP_PAYLOAD, &[&junk]);
    h.payload_len = u32::try_from(junk.len()).unwrap();
    out.insert(
        "bad-body",
        (
            "error: malformed op: write body",
            "signed, hash matches, but the body is not a write",
            signed(&h, Some(&junk)),
        ),
    );
    out
}

fn encode(expect: &str, comment: &str, bytes: &[u8]) -> String {
    let hex = data_encoding::HEXLOWER.encode(bytes);
    let mut out = format!("expect: {expect}\ncomment: {comment}\n\n");
    for line in hex.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out
}

fn decode(text: &str) -> (String, Vec<u8>) {
    let (head, body) = text.split_once("\n\n").unwrap();
    let expect = head
        .lines()
        .find_map(|l| l.strip_prefix("expect: "))
        .unwrap()
        .to_owned();
    let hex: String = body.split_whitespace().collect();
    (
        expect,
        data_encoding::HEXLOWER.decode(hex.as_bytes()).unwrap(),
    )
}

fn outcome(bytes: &[u8]) -> String {
    match Op::read(bytes) {
        Ok((_, rest)) if !rest.is_empty() => "error: trailing bytes".into(),
        Ok(_) => "ok".into(),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn op_wire_format_is_stable() {
    let made = vectors();
    if std::env::var_os("SATCHEL_WRITE_VECTORS").is_some() {
        for (name, (expect, comment, bytes)) in &made {
            std::fs::write(
                dir().join(format!("{name}.txt")),
                encode(expect, comment, bytes),
            )
            .unwrap();
        }
    }
    for (name, (expect, comment, bytes)) in &made {
        let stored = std::fs::read_to_string(dir().join(format!("{name}.txt"))).unwrap();
        assert_eq!(
            stored,
            encode(expect, comment, bytes),
            "{name} changed: the format moved"
        );
    }
}

#[test]
fn every_vector_meets_its_expectation() {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let (expect, bytes) = decode(&std::fs::read_to_string(&path).unwrap());
        assert_eq!(outcome(&bytes), expect, "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 15, "only {seen} vectors");
}

#[test]
fn the_good_vectors_chain() {
    let read = |name: &str| {
        let (_, bytes) =
            decode(&std::fs::read_to_string(dir().join(format!("{name}.txt"))).unwrap());
        Op::read(&bytes).unwrap().0
    };
    let (first, second) = (read("good-write"), read("good-delete"));
    satchel_sync::op::verify_chain([&first, &second], 1, None).unwrap();
    assert_eq!(
        first.body,
        Some(Body::decode(OpKind::Write, first.payload.as_ref().unwrap()).unwrap())
    );
    assert_eq!(
        satchel_sync::op::verify_chain([&second], 1, None).unwrap_err(),
        OpError::Sequence { seq: 2 }
    );
}
