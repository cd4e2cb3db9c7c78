//! The pack beside the database: full attachment chunks sealed in fixed slots.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use satchel_crypto::keys::DataKey;
use satchel_store::{BLOB_CHUNK, Store, StoreError, pack_path};

const SLOT: u64 = (BLOB_CHUNK + satchel_crypto::pack::OVERHEAD) as u64;

/// Bytes that are easy to find: a canary every 64 bytes.
fn canary_bytes(len: usize, tag: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        out.extend_from_slice(b"ZQXPACKCANARY");
        out.push(tag);
        out.extend_from_slice(&[tag; 50]);
    }
    out.truncate(len);
    out
}

fn stage(store: &mut Store, data: &[u8]) -> [u8; 32] {
    let mut staged = store.blob_stage().unwrap();
    for piece in data.chunks(100_000) {
        staged.write(piece).unwrap();
    }
    staged.commit().unwrap().0
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn pack_len(db: &Path) -> u64 {
    std::fs::metadata(pack_path(db)).unwrap().len()
}

#[test]
fn full_chunks_go_to_the_pack_sealed_and_the_tail_stays_inside() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.db");
    let mut store = Store::create(&db, &DataKey::generate().unwrap()).unwrap();
    assert_eq!(pack_len(&db), 0, "a new database has an empty pack");
    let data = canary_bytes(3 * BLOB_CHUNK + 5, b'a');
    let hash = stage(&mut store, &data);
    assert_eq!(pack_len(&db), 3 * SLOT, "three full chunks, one slot each");
    assert_eq!(store.blob(&hash).unwrap().as_deref(), Some(data.as_slice()));
    // The database holds the index and the five-byte tail, not the megabytes.
    store.checkpoint().unwrap();
    assert!(std::fs::metadata(&db).unwrap().len() < 512 * 1024);
    let pack = std::fs::read(pack_path(&db)).unwrap();
    assert!(!contains(&pack, b"ZQXPACKCANARY"));
    assert!(!contains(&std::fs::read(&db).unwrap(), b"ZQXPACKCANARY"));
    // Smaller than a chunk: nothing in the pack.
    let small = canary_bytes(BLOB_CHUNK - 1, b's');
    let h = stage(&mut store, &small);
    assert_eq!(pack_len(&db), 3 * SLOT);
    assert_eq!(store.blob(&h).unwrap().as_deref(), Some(small.as_slice()));
    // The same attachment again costs nothing more.
    stage(&mut store, &data);
    assert_eq!(pack_len(&db), 3 * SLOT);
    drop(store);
    let store = Store::open(&db, &DataKey::from_bytes(zeroize::Zeroizing::new([0; 32]))).err();
    assert!(matches!(store, Some(StoreError::DoesNotDecrypt)));
}

#[test]
fn a_transaction_that_does_not_commit_leaves_no_slot_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    let mut store = Store::create(&db, &key).unwrap();
    let kept = canary_bytes(BLOB_CHUNK, b'k');
    let kept_hash = stage(&mut store, &kept);
    let mut staged = store.blob_stage().unwrap();
    staged.write(&canary_bytes(4 * BLOB_CHUNK, b'x')).unwrap();
    assert_eq!(staged.size(), 4 * BLOB_CHUNK as u64);
    drop(staged);
    assert_eq!(pack_len(&db), SLOT, "rolled back: cut off the end");
    assert_eq!(
        store.blob(&kept_hash).unwrap().as_deref(),
        Some(kept.as_slice())
    );
    drop(store);
    // A process that stopped after writing slots and before its commit: the slots
    // past the last named one are cut off at the next open.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(pack_path(&db))
        .unwrap();
    std::io::Write::write_all(&mut f, &vec![7u8; 2 * SLOT as usize + 3]).unwrap();
    drop(f);
    let store = Store::open(&db, &key).unwrap();
    assert_eq!(pack_len(&db), SLOT);
    assert_eq!(
        store.blob(&kept_hash).unwrap().as_deref(),
        Some(kept.as_slice())
    );
}

#[test]
fn freed_slots_are_overwritten_then_reused_and_the_end_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    let mut store = Store::create(&db, &key).unwrap();
    let first = canary_bytes(2 * BLOB_CHUNK, b'1');
    stage(&mut store, &first);
    let before = std::fs::read(pack_path(&db)).unwrap();
    // Nothing refers to either attachment: a sweep frees every slot.
    store.drop_orphan_blobs().unwrap();
    assert_eq!(pack_len(&db), 0, "free slots at the end are cut off");
    // A freed slot in the middle is overwritten, then handed out again.
    let a = canary_bytes(BLOB_CHUNK, b'a');
    stage(&mut store, &a);
    let b = canary_bytes(BLOB_CHUNK, b'b');
    stage(&mut store, &b);
    assert_eq!(pack_len(&db), 2 * SLOT);
    store
        .execute_for_tests(&format!(
            "INSERT INTO record_blobs (record, hash) VALUES (zeroblob(16), x'{}')",
            data_encoding::HEXLOWER.encode(&satchel_crypto::hash::content(&b))
        ))
        .unwrap();
    let slot0 = std::fs::read(pack_path(&db)).unwrap()[..SLOT as usize].to_vec();
    store.drop_orphan_blobs().unwrap();
    let after = std::fs::read(pack_path(&db)).unwrap();
    assert_eq!(after.len() as u64, 2 * SLOT, "slot 1 is still named");
    assert_ne!(
        &after[..SLOT as usize],
        &slot0[..],
        "slot 0 was overwritten"
    );
    assert_ne!(&before[..64], &after[..64]);
    let c = canary_bytes(BLOB_CHUNK, b'c');
    let hc = stage(&mut store, &c);
    assert_eq!(pack_len(&db), 2 * SLOT, "slot 0 was reused");
    assert_eq!(store.blob(&hc).unwrap().as_deref(), Some(c.as_slice()));
    let hb = satchel_crypto::hash::content(&b);
    assert_eq!(store.blob(&hb).unwrap().as_deref(), Some(b.as_slice()));
}

#[test]
fn slots_freed_by_a_commit_are_overwritten_at_the_next_open_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    let mut store = Store::create(&db, &key).unwrap();
    stage(&mut store, &canary_bytes(2 * BLOB_CHUNK, b'1'));
    let before = std::fs::read(pack_path(&db)).unwrap();
    // As if the commit that freed them ran and the process stopped before the
    // overwrite: the rows are gone and the slots are listed.
    store
        .execute_for_tests(
            "INSERT INTO pack_scrub (slot) SELECT slot FROM blob_chunks WHERE slot IS NOT NULL;
             DELETE FROM blob_chunks; DELETE FROM blobs;",
        )
        .unwrap();
    assert_eq!(std::fs::read(pack_path(&db)).unwrap(), before);
    drop(store);
    let store = Store::open(&db, &key).unwrap();
    assert_eq!(pack_len(&db), 0);
    assert_eq!(store.counts().unwrap().attachments, 0);
}

#[test]
fn a_slot_moved_or_damaged_in_the_file_is_refused_not_read_as_another() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    let mut store = Store::create(&db, &key).unwrap();
    let a = canary_bytes(BLOB_CHUNK, b'a');
    let b = canary_bytes(BLOB_CHUNK, b'b');
    let ha = stage(&mut store, &a);
    let hb = stage(&mut store, &b);
    drop(store);
    let mut pack = std::fs::read(pack_path(&db)).unwrap();
    let (x, y) = pack.split_at_mut(SLOT as usize);
    x.swap_with_slice(y);
    std::fs::write(pack_path(&db), &pack).unwrap();
    let store = Store::open(&db, &key).unwrap();
    for h in [ha, hb] {
        assert!(matches!(store.blob(&h), Err(StoreError::Corrupt(_))));
    }
    drop(store);
    // Cut short: an error, not a panic.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(pack_path(&db))
        .unwrap();
    f.set_len(SLOT / 2).unwrap();
    drop(f);
    let store = Store::open(&db, &key).unwrap();
    assert!(matches!(store.blob(&ha), Err(StoreError::Corrupt(_))));
}

#[test]
fn a_copy_under_a_new_pack_key_opens_and_shares_no_ciphertext() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    let mut store = Store::create(&db, &key).unwrap();
    let data = canary_bytes(2 * BLOB_CHUNK + 9, b'r');
    let h = stage(&mut store, &data);
    let old_pack = std::fs::read(pack_path(&db)).unwrap();
    for new_pack_key in [true, false] {
        let copy = dir.path().join(format!("copy-{new_pack_key}.db"));
        std::fs::File::create(&copy).unwrap();
        std::fs::File::create(pack_path(&copy)).unwrap();
        let new_key = DataKey::generate().unwrap();
        store
            .export_to(&copy, &new_key, new_pack_key, |_| {})
            .unwrap();
        let copied = Store::open(&copy, &new_key).unwrap();
        assert_eq!(copied.blob(&h).unwrap().as_deref(), Some(data.as_slice()));
        let new_pack = std::fs::read(pack_path(&copy)).unwrap();
        assert_eq!(new_pack.len(), old_pack.len());
        // Fresh nonces either way; under the same key the old pack still serves the copy.
        assert_ne!(new_pack[..64], old_pack[..64]);
        drop(copied);
        std::fs::write(pack_path(&copy), &old_pack).unwrap();
        let copied = Store::open(&copy, &new_key).unwrap();
        assert_eq!(copied.blob(&h).is_ok(), !new_pack_key);
    }
}
