//! Writes the binary seed inputs under `fuzz/seeds/`. Valid ops need a real signature,
//! valid recovery keys a real checksum and bundles a slot sealed to the fuzzed key, none
//! of which a fuzzer can find by mutation.
//!
//! Run from the repository root: `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`
//! (stable is fine). Outputs are random (salts, nonces), so reruns change the bytes.

use std::{fs, path::Path};

use satchel_crypto::{
    bundle, hash, identity::DeviceKeys, keyslots::Keyslots, recovery::RecoveryKey,
};
use satchel_sync::{
    bundle::{BundleBody, BundleHead},
    member::{EnrolmentRequest, Members, OrgRoot, Role},
    publication::Publication,
    hlc::Hlc,
    op::{Body, DeviceId, Draft, Op, OpKind, RecordId, WriteBody},
    vv::VersionVector,
};

fn put(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    fs::create_dir_all(&dir).expect("create seed dir");
    fs::write(dir.join(name), bytes).expect("write seed");
}

/// A zstd frame (RFC 8878) holding `data` in raw blocks, without checksum or content
/// size, so a byte flipped in it is a byte flipped in the decompressed body.
fn raw_zstd_frame(data: &[u8]) -> Vec<u8> {
    const MAX_BLOCK: usize = 128 * 1024;
    // Magic, then a frame header descriptor of 0 (so a window descriptor follows) and
    // a window of 2^(10 + 7) bytes, the largest block size.
    let mut out = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 7 << 3];
    let mut blocks: Vec<&[u8]> = data.chunks(MAX_BLOCK).collect();
    if blocks.is_empty() {
        blocks.push(&[]);
    }
    let count = blocks.len();
    for (i, block) in blocks.into_iter().enumerate() {
        // Block header, 3 bytes little-endian: last flag, type 0 (raw), size.
        let header = u32::from(i + 1 == count) | ((block.len() as u32) << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(block);
    }
    out
}

/// A body whose head is `head_frame` (a zstd frame), followed by `blobs`.
fn framed_body(head_frame: &[u8], blobs: &[u8]) -> Vec<u8> {
    let mut out = vec![satchel_sync::bundle::VERSION];
    out.extend_from_slice(&(head_frame.len() as u32).to_be_bytes());
    out.extend_from_slice(head_frame);
    out.extend_from_slice(blobs);
    out
}

/// Writes `body` as `BundleBody::write` compresses it and with its head in a raw
/// frame, after checking that both read back.
fn put_body(name: &str, body: &BundleBody) {
    let (compressed, hash) = body.write().expect("write body");
    let blobs: Vec<u8> = body.blobs.iter().flat_map(|(_, d)| d.clone()).collect();
    let raw = framed_body(
        &raw_zstd_frame(&body.head().encode().expect("encode head")),
        &blobs,
    );
    for bytes in [&compressed, &raw] {
        let (back, back_hash) = BundleBody::read(bytes).expect("seed body must read");
        assert_eq!((&back, back_hash), (body, hash), "seed body changed");
    }
    put("bundle_body", &format!("{name}.bin"), &compressed);
    put("bundle_body", &format!("{name}_raw_frame.bin"), &raw);
}

/// A log section of the right shape (the body parser does not check the note).
fn log() -> satchel_sync::bundle::LogSection {
    satchel_sync::bundle::LogSection {
        checkpoint: b"satchel/device/00\n1\nAAAA\n\n\xe2\x80\x94 satchel/device/00 AAAA\n".to_vec(),
        proofs: vec![(1, vec![[3; 32]])],
        witnessed: Vec::new(),
    }
}

fn main() {
    // A fixed device key keeps the author id stable across reruns.
    let keys = DeviceKeys::from_secret_bytes(&[7u8; 64]).expect("device keys");
    let hlc = Hlc {
        wall_ms: 1_767_225_600_000,
        counter: 0,
    };
    let record = RecordId([5; 16]);

    let mut body = WriteBody::new("contact");
    body.fields.insert("name".into(), "김철수".into());
    body.fields.insert("household_size".into(), 4.into());
    body.fields
        .insert("languages".into(), serde_json::json!(["ko", "zh"]));
    body.fields.insert(
        "location".into(),
        serde_json::json!({"lat": 42.9, "lon": 129.5}),
    );
    body.fields.insert("notes".into(), serde_json::Value::Null);
    let write = Body::Write(body);

    let first = Op::create(
        &keys,
        Draft {
            seq: 1,
            prev: None,
            hlc,
            record,
            kind: OpKind::Write,
            context: VersionVector::default(),
        },
        &write,
    )
    .expect("op 1");
    let mut context = VersionVector::default();
    context.observe(DeviceId(keys.public().signing), 1);
    context.observe(DeviceId([0xEE; 32]), 3);
    let second = Op::create(
        &keys,
        Draft {
            seq: 2,
            prev: Some(first.id),
            hlc,
            record,
            kind: OpKind::Delete,
            context,
        },
        &Body::Empty,
    )
    .expect("op 2");
    let mut purged = first.clone();
    purged.payload = None;
    purged.body = None;

    put("op_decode", "write_seq1.bin", &first.write());
    put("op_decode", "delete_seq2_context.bin", &second.write());
    put("op_decode", "write_seq1_purged.bin", &purged.write());
    put("op_decode", "header_only.bin", &first.header_bytes);
    // Arrays 120 deep: within serde_json's own limit, refused by the nesting bound.
    let mut deep_body = WriteBody::new("contact");
    deep_body.fields.insert(
        "name".into(),
        serde_json::from_str(&format!("{}1{}", "[".repeat(120), "]".repeat(120)))
            .expect("deep JSON"),
    );
    let deep = Op::create(
        &keys,
        Draft {
            seq: 1,
            prev: None,
            hlc,
            record,
            kind: OpKind::Write,
            context: VersionVector::default(),
        },
        &Body::Write(deep_body),
    )
    .expect("deep op");
    put("op_decode", "write_nested_deep.bin", &deep.write());
    put(
        "op_body_decode",
        "write_nested_deep.bin",
        deep.payload.as_deref().expect("payload"),
    );

    put(
        "op_body_decode",
        "write.bin",
        first.payload.as_deref().expect("payload"),
    );
    put(
        "op_body_decode",
        "empty.bin",
        second.payload.as_deref().expect("payload"),
    );

    // Right length, never sealed: reaches Argon2 and the slot trials.
    let slots = Keyslots::new_random().expect("keyslots");
    put("keyslots_open", "random.bin", slots.write());

    let recovery = RecoveryKey::generate().expect("recovery key");
    let shown = recovery.display_once().expect("display");
    put("recovery_key_parse", "valid.txt", shown.as_bytes());
    let sloppy = shown.to_lowercase().replace('-', " ").replace('0', "o");
    put("recovery_key_parse", "valid_sloppy.txt", sloppy.as_bytes());

    // Bundle bodies: none, one and several ops, the last also with a blob and a form.
    let other = DeviceKeys::from_secret_bytes(&[8u8; 64]).expect("device keys");
    let mut other_body = WriteBody::new("case");
    other_body.fields.insert("status".into(), "open".into());
    let other_first = Op::create(
        &other,
        Draft {
            seq: 1,
            prev: None,
            hlc: Hlc {
                wall_ms: hlc.wall_ms + 1,
                counter: 2,
            },
            record: RecordId([6; 16]),
            kind: OpKind::Write,
            context: VersionVector::default(),
        },
        &Body::Write(other_body),
    )
    .expect("other op 1");
    let empty = BundleBody {
        bundle_id: [1; 16],
        sender_seq: 1,
        prev_bundle: [0; 32],
        acks: VersionVector::default(),
        ops: Vec::new(),
        blobs: Vec::new(),
        forms: Vec::new(),
        certificates: Vec::new(),
        revocations: Vec::new(),
        log: log(),
        reach: Vec::new(),
    };
    let mut acks = VersionVector::default();
    acks.observe(DeviceId(keys.public().signing), 1);
    let one = BundleBody {
        bundle_id: [2; 16],
        sender_seq: 2,
        prev_bundle: BundleHead::hash(&empty.head().encode().expect("encode")),
        acks: acks.clone(),
        ops: vec![first.clone()],
        blobs: Vec::new(),
        forms: Vec::new(),
        certificates: Vec::new(),
        revocations: Vec::new(),
        log: log(),
        reach: Vec::new(),
    };
    acks.observe(DeviceId(keys.public().signing), 2);
    acks.observe(DeviceId(other.public().signing), 1);
    let photo = b"\xFF\xD8\xFF\xE0 not really a JPEG".to_vec();
    let several = BundleBody {
        bundle_id: [3; 16],
        sender_seq: 3,
        prev_bundle: BundleHead::hash(&one.head().encode().expect("encode")),
        acks,
        ops: vec![purged.clone(), second.clone(), other_first],
        blobs: vec![(hash::content(&photo), photo)],
        forms: vec![Publication::sign(
            &keys,
            [0; 32],
            include_str!("../seeds/form_parse/contact.json").to_owned(),
        )],
        certificates: Vec::new(),
        revocations: Vec::new(),
        log: log(),
        reach: Vec::new(),
    };
    let publication = Publication::sign(
        &keys,
        [0x60; 32],
        include_str!("../seeds/form_parse/contact.json").to_owned(),
    );
    put("form_publication", "contact.bin", &publication.write());
    let mut trailing = publication.write();
    trailing.extend_from_slice(&publication.write());
    put("form_publication", "two_back_to_back.bin", &trailing);
    put_body("empty", &empty);
    put_body("one_op", &one);
    put_body("several_ops_blob_form", &several);
    // A junk head in a frame that decompresses fine.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let junk: Vec<u8> = (0..400)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    put(
        "bundle_body",
        "junk_raw_frame.bin",
        &framed_body(&raw_zstd_frame(&junk), &[]),
    );

    // Bundles sealed to the key the bundle_open target opens with.
    let me = DeviceKeys::from_secret_bytes(&[0x42; 64]).expect("recipient keys");
    let stranger = |n: u8| {
        DeviceKeys::from_secret_bytes(&[n; 64])
            .expect("device keys")
            .public()
            .agreement
    };
    let mine = me.public().agreement;
    let (body_bytes, _) = several.write().expect("write body");
    let long: Vec<u8> = (0..2 * bundle::CHUNK + 1000)
        .map(|i| (i % 251) as u8)
        .collect();
    // Content whose padded plaintext is exactly two chunks: the frame and 64 bytes
    // of signature around it, and 2 * CHUNK is a PADMÉ size.
    let two_chunks = vec![0xA5; 2 * bundle::CHUNK - bundle::FRAME_LEN - 64];
    assert_eq!(
        bundle::padded_len(two_chunks.len() as u64),
        2 * bundle::CHUNK as u64
    );
    let all_eight: Vec<[u8; 32]> = (0x50..0x57).map(stranger).chain([mine]).collect();
    let sealed = [
        ("empty_to_me.bin", &me, vec![mine], &[][..]),
        (
            "body_third_slot.bin",
            &keys,
            vec![stranger(0x50), stranger(0x51), mine],
            &body_bytes[..],
        ),
        ("three_chunks_last_slot.bin", &other, all_eight, &long[..]),
        ("two_full_chunks.bin", &keys, vec![mine], &two_chunks[..]),
    ];
    for (name, sender, recipients, content) in sealed {
        let bytes = bundle::seal(sender, &recipients, content).expect("seal");
        let opened = bundle::open(&me, bytes.as_slice(), |_| true, u64::MAX).expect("seed bundle must open");
        assert_eq!(opened.content.as_slice(), content, "seed bundle changed");
        put("bundle_open", name, &bytes);
    }
    // A slot that opens, then no chunk at all.
    let bytes = bundle::seal(&keys, &[mine], b"cut").expect("seal");
    put(
        "bundle_open",
        "header_only.bin",
        &bytes[..bundle::HEADER_LEN],
    );

    // Membership: fixed keys, serials and times, so these seeds are stable.
    let now = 1_790_000_000;
    let (a, f) = (
        DeviceKeys::from_secret_bytes(&[0x61; 64]).expect("device keys"),
        DeviceKeys::from_secret_bytes(&[0x62; 64]).expect("device keys"),
    );
    let (_root, cert_a) =
        OrgRoot::create([0x60; 64], &a.public(), "Ana", [1; 16], now, 365).expect("org");
    let mut members = Members::new(cert_a.org());
    members.insert_certificate(cert_a.clone()).expect("insert");
    let request = EnrolmentRequest::create(&f, "김민지", [2; 16]).expect("request");
    let cert_f = members
        .approve(&a, &request, Role::Field, [3; 16], now, 30)
        .expect("approve");
    members.insert_certificate(cert_f.clone()).expect("insert");
    let revocation = members.revoke(&a, cert_f.id(), 5, now).expect("revoke");
    put("member_certificate", "root_coordinator.bin", &cert_a.write());
    put("member_certificate", "field.bin", &cert_f.write());
    put("member_request", "request.bin", &request.write());
    put("member_revocation", "from_seq_5.bin", &revocation.write());
    put("member_text", "certificate.txt", cert_f.to_text().as_bytes());
    put("member_text", "request.txt", request.to_text().as_bytes());
    put("member_text", "revocation.txt", revocation.to_text().as_bytes());
    put(
        "member_text",
        "certificate_sloppy.txt",
        cert_a.to_text().to_lowercase().replace("satchel-cert-", "satchel-cert-\n ").as_bytes(),
    );
}
