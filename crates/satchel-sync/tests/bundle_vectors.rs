//! Golden vectors for bundles (docs/bundle-format.md): envelope and body together, as
//! a recipient reads them. Each file: `expect:`, `comment:`, `recipient:` (seed byte
//! of the reading device), then the file's bytes in hex.
//!
//! Good vectors were sealed once (ephemeral keys and nonces are random) and must open
//! forever. To add vectors: `SATCHEL_WRITE_VECTORS=1 cargo test -p satchel-sync
//! --test main bundle_vectors`, then commit only the new files.

use std::path::PathBuf;

use satchel_crypto::{bundle, identity::DeviceKeys};
use satchel_sync::{
    bundle::{BundleBody, BundleHead, HeadWriter, LogSection},
    hlc::Hlc,
    member::{CertificateDraft, Members, OrgRoot, Role},
    op::{Body, Draft, Op, OpKind, RecordId, WriteBody},
    publication::Publication,
    vv::VersionVector,
};

const SENDER: u8 = 0x51;
const RECIPIENT: u8 = 0x52;
const OTHER: u8 = 0x53;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/bundle")
}

fn keys(n: u8) -> DeviceKeys {
    DeviceKeys::from_secret_bytes(&[n; 64]).unwrap()
}

/// RFC 6962 tree hash of `leaves` (written out here so the vectors do not lean on the
/// implementation they check).
fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    use sha2::Digest;
    match leaves {
        [] => sha2::Sha256::digest([]).into(),
        [one] => sha2::Sha256::new()
            .chain_update([0u8])
            .chain_update(one)
            .finalize()
            .into(),
        _ => {
            let k = leaves.len().next_power_of_two() / 2;
            sha2::Sha256::new()
                .chain_update([1u8])
                .chain_update(tree_hash(&leaves[..k]))
                .chain_update(tree_hash(&leaves[k..]))
                .finalize()
                .into()
        }
    }
}

/// The sender's log section over its ops `ids`: a C2SP checkpoint note signed by its
/// key (key id: the first 4 bytes of SHA-256 of name, newline, 0x01, key) and the
/// consistency proof from size 1, which for three leaves is the two later leaves'
/// hashes.
fn log_section(keys: &DeviceKeys, ids: &[[u8; 32]]) -> LogSection {
    use sha2::Digest;
    let key = keys.public().signing;
    let name = format!("satchel/device/{}", data_encoding::HEXLOWER.encode(&key));
    let text = format!(
        "{name}\n{}\n{}\n",
        ids.len(),
        data_encoding::BASE64.encode(&tree_hash(ids))
    );
    let mut id = sha2::Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n\x01")
        .chain_update(key)
        .finalize()[..4]
        .to_vec();
    id.extend_from_slice(&keys.sign_log_note(text.as_bytes()).unwrap());
    let note = format!(
        "{text}\n\u{2014} {name} {}\n",
        data_encoding::BASE64.encode(&id)
    );
    let proof = ids[1..]
        .iter()
        .map(|l| tree_hash(std::slice::from_ref(l)))
        .collect();
    LogSection {
        checkpoint: note.into_bytes(),
        proofs: vec![(1, proof)],
        witnessed: Vec::new(),
    }
}

fn outcome(recipient: u8, bytes: &[u8]) -> String {
    // The one known peer of these vectors; every other sender is refused after the
    // first chunk.
    let peer = keys(SENDER).public().signing;
    let opened = match bundle::open(&keys(recipient), bytes, |s| *s == peer, 1 << 30) {
        Ok(o) => o,
        Err(e) => return format!("error: {e}"),
    };
    match BundleBody::read(&opened.content) {
        Ok((body, _)) => format!(
            "ok: seq {} ops {} blobs {} forms {} certificates {} revocations {} log size {} proofs {}",
            body.sender_seq,
            body.ops.len(),
            body.blobs.len(),
            body.forms.len(),
            body.certificates.len(),
            body.revocations.len(),
            String::from_utf8_lossy(&body.log.checkpoint)
                .lines()
                .nth(1)
                .unwrap_or("?"),
            body.log.proofs.len()
        ),
        Err(e) => format!("error: {e}"),
    }
}

fn write_vectors() {
    let sender = keys(SENDER);
    let mut ops = Vec::new();
    let mut prev = None;
    for seq in 1..=3u64 {
        let mut w = WriteBody::new("contact");
        w.fields
            .insert("name".into(), format!("김철수 {seq}").into());
        let draft = Draft {
            seq,
            prev,
            hlc: Hlc {
                wall_ms: 1_785_000_000_000 + seq,
                counter: 0,
            },
            record: RecordId([0x22; 16]),
            kind: OpKind::Write,
            context: VersionVector::default(),
        };
        let op = Op::create(&sender, draft, &Body::Write(w)).unwrap();
        prev = Some(op.id);
        ops.push(op);
    }
    let ids: Vec<[u8; 32]> = ops.iter().map(|o| o.id.0).collect();
    let mut acks = VersionVector::default();
    acks.observe(ops[0].header.author, 3);
    // The sender is a coordinator of an organisation that also has a revoked worker.
    let now = 1_785_000_000;
    let (root, first) =
        OrgRoot::create([0x61; 64], &sender.public(), "Ana", [0x62; 16], now, 365).unwrap();
    let worker = root
        .issue(&CertificateDraft {
            org: root.org(),
            serial: [0x63; 16],
            device: keys(0x64).public(),
            name: "민준".into(),
            role: Role::Field,
            not_before: now,
            not_after: now + 90 * 86_400,
        })
        .unwrap();
    let mut members = Members::new(root.org());
    members.insert_certificate(first.clone()).unwrap();
    members.insert_certificate(worker.clone()).unwrap();
    let revocation = root.revoke(&members, worker.id(), 5, now + 60).unwrap();
    let form = Publication::sign(
        &sender,
        root.org().0,
        r#"{"name":"visit","version":1,"label":{"en":"Visit","ko":"방문","zh-Hans":"访问"},"fields":[{"id":"note","type":"text","label":{"en":"Note","ko":"메모","zh-Hans":"备注"}}]}"#.into(),
    );
    let body = BundleBody {
        bundle_id: [0x33; 16],
        sender_seq: 1,
        prev_bundle: [0; 32],
        acks,
        ops,
        blobs: vec![(satchel_crypto::hash::content(b"photo"), b"photo".to_vec())],
        forms: vec![form],
        certificates: vec![first, worker],
        revocations: vec![revocation],
        log: log_section(&sender, &ids),
        // The sender's mailbox on a relay: 0x71 and 0x72 bytes.
        reach: vec![satchel_sync::bundle::Reach {
            url: "https://relay.example.org".into(),
            mailbox: [0x71; 32],
            deposit: [0x72; 32],
        }],
    };
    let (content, _) = body.write().unwrap();
    let to = [keys(RECIPIENT).public().agreement];
    let good = bundle::seal(&sender, &to, &content).unwrap();
    let two = bundle::seal(&sender, &[keys(OTHER).public().agreement, to[0]], &content).unwrap();
    let mut big = vec![0u8; 200_000];
    satchel_crypto::rng::fill(&mut big).unwrap();
    let big_body = BundleBody {
        bundle_id: [0x44; 16],
        sender_seq: 2,
        blobs: vec![(satchel_crypto::hash::content(&big), big)],
        ops: Vec::new(),
        ..body.clone()
    };
    let (big_content, _) = big_body.write().unwrap();
    let multi = bundle::seal(&sender, &to, &big_content).unwrap();
    let bomb = zstd::bulk::compress(&vec![0u8; satchel_sync::bundle::MAX_HEAD + 1], 19).unwrap();
    let mut framed = vec![satchel_sync::bundle::VERSION];
    framed.extend_from_slice(&(bomb.len() as u32).to_be_bytes());
    framed.extend_from_slice(&bomb);
    let bomb = bundle::seal(&sender, &to, &framed).unwrap();
    let junk_body = bundle::seal(&sender, &to, b"\x04\0\0\0\x0cnot zstd at all").unwrap();
    // The head with one bit of the worker's certificate's signature flipped.
    let forged_cert = {
        let mut head = body.head().encode().unwrap();
        let cert = body.certificates[1].write();
        let at = head
            .windows(cert.len())
            .position(|w| w == cert.as_slice())
            .unwrap();
        head[at + cert.len() - 1] ^= 1;
        let compressed = zstd::bulk::compress(&head, 3).unwrap();
        let mut framed = vec![satchel_sync::bundle::VERSION];
        framed.extend_from_slice(&(compressed.len() as u32).to_be_bytes());
        framed.extend_from_slice(&compressed);
        framed.extend_from_slice(b"photo");
        bundle::seal(&sender, &to, &framed).unwrap()
    };
    let stranger = bundle::seal(&keys(0x54), &to, &content).unwrap();
    // A stranger's 900 MiB bundle: its header and first chunk are all a reader
    // needs (and reads) to refuse it.
    let mut huge = Vec::new();
    let stranger_keys = keys(0x54);
    let mut sealer = bundle::Sealer::new(&stranger_keys, &to, 900 << 20, &mut huge).unwrap();
    std::io::Write::write_all(&mut sealer, &vec![0u8; 65_536]).unwrap();
    drop(sealer);
    huge.extend_from_slice(&[0; 1024]);
    // An attachment the head announces but the body does not carry in full.
    let (short_body, _) = big_body.write().unwrap();
    let short = bundle::seal(&sender, &to, &short_body[..short_body.len() - 10]).unwrap();

    let flip = |b: &[u8], at: usize| {
        let mut b = b.to_vec();
        b[at] ^= 0x01;
        b
    };
    let vectors: Vec<(&str, &str, u8, Vec<u8>)> = vec![
        (
            "good-one-recipient",
            "three ops, an attachment, a signed form, two certificates and a revocation to one device: exactly the 64 KiB floor",
            RECIPIENT,
            good.clone(),
        ),
        (
            "good-second-slot",
            "addressed to two devices; this one is in the second slot",
            RECIPIENT,
            two.clone(),
        ),
        (
            "good-first-slot",
            "the same bundle read by the device in the first slot",
            OTHER,
            two,
        ),
        (
            "good-several-chunks",
            "a 200 KB attachment: several STREAM chunks",
            RECIPIENT,
            multi.clone(),
        ),
        (
            "bad-wrong-recipient",
            "sealed to another device",
            OTHER,
            good.clone(),
        ),
        ("bad-empty", "an empty file", RECIPIENT, Vec::new()),
        (
            "bad-truncated-header",
            "cut inside the slots",
            RECIPIENT,
            good[..200].to_vec(),
        ),
        (
            "bad-truncated-chunk",
            "last byte missing",
            RECIPIENT,
            good[..good.len() - 1].to_vec(),
        ),
        (
            "bad-truncated-at-chunk",
            "cut exactly after a full chunk: the last-chunk flag is missing",
            RECIPIENT,
            multi[..bundle::HEADER_LEN + 65_536 + 16].to_vec(),
        ),
        (
            "bad-trailing",
            "one byte appended",
            RECIPIENT,
            [&good[..], &[0][..]].concat(),
        ),
        (
            "bad-flip-ephemeral",
            "a bit of the ephemeral key",
            RECIPIENT,
            flip(&good, 7),
        ),
        (
            "bad-flip-slot",
            "a bit of this device's slot",
            RECIPIENT,
            flip(&good, 40),
        ),
        (
            "bad-flip-unused-slot",
            "a bit of an unused slot: the header signature covers every slot, checked after the first chunk",
            RECIPIENT,
            flip(&good, 200),
        ),
        (
            "bad-flip-nonce",
            "a bit of the payload nonce",
            RECIPIENT,
            flip(&good, bundle::HEADER_LEN - 5),
        ),
        (
            "bad-flip-chunk",
            "a bit of the ciphertext",
            RECIPIENT,
            flip(&good, bundle::HEADER_LEN + 1000),
        ),
        (
            "bad-flip-tag",
            "a bit of the last tag",
            RECIPIENT,
            flip(&good, good.len() - 1),
        ),
        (
            "bad-decompression-bomb",
            "valid envelope whose body inflates past the cap",
            RECIPIENT,
            bomb,
        ),
        (
            "bad-body",
            "valid envelope whose body head is not zstd data",
            RECIPIENT,
            junk_body,
        ),
        (
            "bad-forged-certificate",
            "a valid envelope whose body carries a certificate with one bit of its signature flipped: the whole bundle is refused",
            RECIPIENT,
            forged_cert,
        ),
        (
            "bad-unknown-sender",
            "valid, but signed by a device that is not a peer",
            RECIPIENT,
            stranger,
        ),
        (
            "bad-unknown-sender-huge",
            "the header and first chunk of a 900 MiB bundle from a device that is not a peer, then 1 KiB of the rest: refused after the first chunk",
            RECIPIENT,
            huge,
        ),
        (
            "bad-attachment-truncated",
            "a valid envelope whose body ends inside an attachment",
            RECIPIENT,
            short,
        ),
    ];
    for (name, comment, recipient, bytes) in vectors {
        let expect = outcome(recipient, &bytes);
        let mut text =
            format!("expect: {expect}\ncomment: {comment}\nrecipient: {recipient:#04x}\n\n");
        for line in data_encoding::HEXLOWER
            .encode(&bytes)
            .as_bytes()
            .chunks(128)
        {
            text.push_str(std::str::from_utf8(line).unwrap());
            text.push('\n');
        }
        std::fs::write(dir().join(format!("{name}.txt")), text).unwrap();
    }
}

#[test]
fn bundle_vectors_meet_their_expectations() {
    if std::env::var_os("SATCHEL_WRITE_VECTORS").is_some() {
        write_vectors();
    }
    let mut seen = 0;
    let mut good = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let (head, hex) = text.split_once("\n\n").unwrap();
        let field = |k: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}: ")))
                .unwrap()
                .to_owned()
        };
        let recipient =
            u8::from_str_radix(field("recipient").trim_start_matches("0x"), 16).unwrap();
        let hex: String = hex.split_whitespace().collect();
        let bytes = data_encoding::HEXLOWER.decode(hex.as_bytes()).unwrap();
        assert_eq!(
            outcome(recipient, &bytes),
            field("expect"),
            "{}",
            path.display()
        );
        seen += 1;
        good += usize::from(field("expect").starts_with("ok"));
    }
    assert!(seen >= 24 && good >= 4, "{seen} vectors, {good} good");
}

/// An export writes the head op by op ([`HeadWriter`]) instead of from a head held
/// whole: for every good vector, re-encoding what it carries that way gives the
/// vector's bytes exactly, its body hash and its length.
#[test]
fn streamed_head_writes_the_vectors_bytes() {
    let mut checked = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let (head, hex) = text.split_once("\n\n").unwrap();
        if !head.starts_with("expect: ok") {
            continue;
        }
        let recipient = head
            .lines()
            .find_map(|l| l.strip_prefix("recipient: 0x"))
            .map(|r| u8::from_str_radix(r, 16).unwrap())
            .unwrap();
        let hex: String = hex.split_whitespace().collect();
        let bytes = data_encoding::HEXLOWER.decode(hex.as_bytes()).unwrap();
        let peer = keys(SENDER).public().signing;
        let content = bundle::open(&keys(recipient), bytes.as_slice(), |s| *s == peer, 1 << 30)
            .unwrap()
            .content;
        let (read, hash) = BundleHead::read(&mut content.as_slice()).unwrap();
        let mut writer = HeadWriter::new(
            read.bundle_id,
            read.sender_seq,
            read.prev_bundle,
            &read.acks,
        )
        .unwrap();
        for op in &read.ops {
            writer.op(op).unwrap();
        }
        assert_eq!(writer.ops(), read.ops.len());
        let (prefix, written_hash, total) = writer
            .finish(
                &read.forms,
                &read.certificates,
                &read.revocations,
                &read.log,
                &read.reach,
                &read.blobs,
            )
            .unwrap();
        assert_eq!(
            prefix.as_slice(),
            &content[..prefix.len()],
            "{}",
            path.display()
        );
        assert_eq!(written_hash, hash, "{}", path.display());
        assert_eq!(total, content.len() as u64, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 4, "{checked} good vectors");
}
