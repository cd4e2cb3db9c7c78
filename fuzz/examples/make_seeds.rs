//! Writes the binary seed inputs under `fuzz/seeds/`. Valid ops need a real signature
//! and valid recovery keys a real checksum, which a fuzzer cannot find by mutation.
//!
//! Run from the repository root: `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`
//! (stable is fine). Outputs are random (salts, nonces), so reruns change the bytes.

use std::{fs, path::Path};

use satchel_crypto::{identity::DeviceKeys, keyslots::Keyslots, recovery::RecoveryKey};
use satchel_sync::{
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
}
