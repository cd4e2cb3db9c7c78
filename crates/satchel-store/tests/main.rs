//! Integration tests of the vault database.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use satchel_crypto::{identity::DeviceKeys, keys::DataKey};
use satchel_store::{BLOB_CHUNK, ListFilter, Store, StoreError, schema};
use satchel_sync::{
    hlc::Hlc,
    op::{ATTACHMENT_PREFIX, Body, DeviceId, Draft, Op, OpKind, RecordId, WriteBody},
};

struct Writer {
    keys: DeviceKeys,
    clock: u64,
}

impl Writer {
    fn new() -> Self {
        Self {
            keys: DeviceKeys::generate().unwrap(),
            clock: 1_700_000_000_000,
        }
    }

    fn op(
        &mut self,
        store: &Store,
        record: RecordId,
        kind: OpKind,
        fields: &[(&str, serde_json::Value)],
    ) -> Op {
        self.op_in("contact", store, record, kind, fields)
    }

    fn op_in(
        &mut self,
        form: &str,
        store: &Store,
        record: RecordId,
        kind: OpKind,
        fields: &[(&str, serde_json::Value)],
    ) -> Op {
        let author = DeviceId(self.keys.public().signing);
        let (seq, prev) = store.chain_head(&author).unwrap();
        self.clock += 1000;
        let body = if kind == OpKind::Write {
            let mut w = WriteBody::new(form);
            for (k, v) in fields {
                w.fields.insert((*k).to_owned(), v.clone());
            }
            Body::Write(w)
        } else {
            Body::Empty
        };
        let ctx = store.record_context(&record).unwrap();
        Op::create(
            &self.keys,
            Draft {
                seq: seq + 1,
                prev,
                hlc: Hlc {
                    wall_ms: self.clock,
                    counter: 0,
                },
                record,
                kind,
                context: ctx,
            },
            &body,
        )
        .unwrap()
    }
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn sqlcipher_is_linked_and_the_file_has_no_sqlite_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let store = Store::create(&path, &DataKey::generate().unwrap()).unwrap();
    assert!(!store.cipher_version().unwrap().is_empty());
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3\0"));
}

#[test]
fn the_connection_has_the_documented_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    drop(Store::create(&path, &key).unwrap());
    let store = Store::open(&path, &key).unwrap();
    // DESIGN §4 and docs/adr/0004, 0005.
    for (pragma, want) in [
        ("temp_store", "2"),
        ("secure_delete", "1"),
        ("journal_mode", "wal"),
        ("locking_mode", "exclusive"),
        ("synchronous", "2"),
        ("cipher_memory_security", "0"),
        ("cipher_page_size", "4096"),
        ("cipher_hmac_algorithm", "HMAC_SHA512"),
    ] {
        assert_eq!(store.pragma_for_tests(pragma), want, "PRAGMA {pragma}");
    }
}

#[test]
fn wrong_key_is_refused_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    drop(Store::create(&path, &DataKey::generate().unwrap()).unwrap());
    let before = sha(&path);
    let err = Store::open(&path, &DataKey::generate().unwrap()).unwrap_err();
    assert!(matches!(err, StoreError::DoesNotDecrypt), "{err:?}");
    assert_eq!(sha(&path), before);
}

#[test]
fn create_refuses_an_existing_file_and_open_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    std::fs::write(&path, b"precious").unwrap();
    assert!(matches!(
        Store::create(&path, &DataKey::generate().unwrap()),
        Err(StoreError::Exists)
    ));
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    let missing = dir.path().join("nope.db");
    assert!(matches!(
        Store::open(&missing, &DataKey::generate().unwrap()),
        Err(StoreError::Missing)
    ));
    assert!(!missing.exists());
}

#[test]
fn trailing_bytes_after_the_last_page_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    drop(Store::create(&path, &key).unwrap());
    Store::open(&path, &key).unwrap();
    let mut bytes = sha(&path);
    bytes.extend_from_slice(&[7u8; 4096]);
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(Store::open(&path, &key), Err(StoreError::Damaged)));
    assert_eq!(sha(&path), bytes);
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    let store = Store::create(&path, &key).unwrap();
    store.conn_for_tests_set_user_version(schema::latest() + 1);
    drop(store);
    let before = sha(&path);
    let err = Store::open(&path, &key).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { .. }), "{err:?}");
    assert_eq!(sha(&path), before);
}

#[test]
fn stepwise_migration_gives_the_fresh_schema() {
    let dir = tempfile::tempdir().unwrap();
    let key = DataKey::generate().unwrap();
    let fresh = Store::create(&dir.path().join("a.db"), &key).unwrap();
    let mut stepped =
        Store::create_at_version_for_tests(&dir.path().join("b.db"), &key, 0).unwrap();
    for v in 1..=schema::latest() {
        stepped.migrate_for_tests(v).unwrap();
    }
    assert_eq!(fresh.schema_sql_for_tests(), stepped.schema_sql_for_tests());
    assert_eq!(stepped.schema_version().unwrap(), schema::latest());
}

#[test]
fn attachments_stored_whole_move_into_chunks_and_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let key = DataKey::generate().unwrap();
    let mut store = Store::create_at_version_for_tests(&dir.path().join("v.db"), &key, 5).unwrap();
    let big: Vec<u8> = (0..2 * BLOB_CHUNK + 7).map(|i| (i % 251) as u8).collect();
    let exact = vec![9u8; BLOB_CHUNK];
    let blobs = [big, exact, b"small".to_vec(), Vec::new()];
    for b in &blobs {
        let h = satchel_crypto::hash::content(b);
        let hex = data_encoding::HEXLOWER.encode(b);
        let hash = data_encoding::HEXLOWER.encode(&h);
        store
            .execute_for_tests(&format!(
                "INSERT INTO blobs (hash, data) VALUES (x'{hash}', x'{hex}')"
            ))
            .unwrap();
    }
    store.migrate_for_tests(schema::latest()).unwrap();
    for b in &blobs {
        let h = satchel_crypto::hash::content(b);
        assert_eq!(store.blob(&h).unwrap().as_deref(), Some(b.as_slice()));
        assert_eq!(store.blob_size(&h).unwrap(), Some(b.len() as u64));
        let mut pieces = Vec::new();
        store
            .blob_read(&h, |p| {
                pieces.push(p.len());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert!(pieces.iter().all(|n| *n <= BLOB_CHUNK));
        assert_eq!(pieces.len(), b.len().div_ceil(BLOB_CHUNK));
    }
    assert_eq!(store.counts().unwrap().attachments, 4);
}

#[test]
fn a_staged_attachment_is_stored_once_and_only_when_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let data: Vec<u8> = (0..3 * BLOB_CHUNK / 2).map(|i| (i % 13) as u8).collect();
    let mut staged = store.blob_stage().unwrap();
    for piece in data.chunks(1000) {
        staged.write(piece).unwrap();
    }
    drop(staged);
    assert_eq!(store.counts().unwrap().attachments, 0);
    for _ in 0..2 {
        let mut staged = store.blob_stage().unwrap();
        staged.write(&data).unwrap();
        let (hash, size) = staged.commit().unwrap();
        assert_eq!(hash, satchel_crypto::hash::content(&data));
        assert_eq!(size, data.len() as u64);
    }
    assert_eq!(store.counts().unwrap().attachments, 1);
    assert_eq!(
        store.blob(&satchel_crypto::hash::content(&data)).unwrap(),
        Some(data)
    );
    // Nothing refers to it: a sweep drops it.
    store.drop_orphan_blobs().unwrap();
    assert_eq!(store.counts().unwrap().attachments, 0);
}

#[test]
fn ops_materialise_and_replay_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let mut w = Writer::new();
    let r = RecordId::random().unwrap();
    let op1 = w.op(
        &store,
        r,
        OpKind::Write,
        &[
            ("name", "김철수".into()),
            ("note", "王小明 in Yanji".into()),
        ],
    );
    assert_eq!(store.commit(std::slice::from_ref(&op1), &[]).unwrap(), 1);
    assert_eq!(
        store.commit(&[op1], &[]).unwrap(),
        0,
        "a repeated op is a no-op"
    );
    let op2 = w.op(&store, r, OpKind::Write, &[("name", "김철수 (Kim)".into())]);
    store.commit(&[op2], &[]).unwrap();
    let rec = store.record(&r).unwrap().unwrap();
    assert_eq!(rec.state.value("name").unwrap(), "김철수 (Kim)");
    assert!(store.verify_view().unwrap().is_empty());
    let before = store.records(&ListFilter::default()).unwrap();
    store.rebuild_view().unwrap();
    assert_eq!(store.records(&ListFilter::default()).unwrap(), before);
}

#[test]
fn cjk_substrings_of_two_characters_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let mut w = Writer::new();
    let r = RecordId::random().unwrap();
    let op = w.op(
        &store,
        r,
        OpKind::Write,
        &[
            ("name", "박영희".into()),
            ("note", "他住在延吉市的朋友家".into()),
        ],
    );
    store.commit(&[op], &[]).unwrap();
    for q in [
        "영희",
        "박영",
        "박영희",
        "영",
        "延吉",
        "朋友",
        "吉市的",
        "友家",
    ] {
        let hits = store.search(q, 10).unwrap();
        assert_eq!(hits.len(), 1, "query {q}");
    }
    for q in ["희박", "吉延", "Seoul"] {
        assert!(store.search(q, 10).unwrap().is_empty(), "query {q}");
    }
}

#[test]
fn search_within_a_form_looks_past_newer_matches_of_other_forms() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let mut w = Writer::new();
    let visit = RecordId::random().unwrap();
    let op = w.op_in(
        "visit",
        &store,
        visit,
        OpKind::Write,
        &[("note", "river crossing at night".into())],
    );
    store.commit(&[op], &[]).unwrap();
    let mut contacts = Vec::new();
    for i in 0..5 {
        let r = RecordId::random().unwrap();
        let op = w.op(
            &store,
            r,
            OpKind::Write,
            &[("note", format!("met by the river, day {i}").into())],
        );
        store.commit(&[op], &[]).unwrap();
        contacts.push(r);
    }
    contacts.reverse();
    let ids = |v: Vec<satchel_store::StoredRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(store.search("river", 3).unwrap()), contacts[..3]);
    assert_eq!(
        ids(store.search_in("river", Some("visit"), 3).unwrap()),
        [visit]
    );
    assert_eq!(
        ids(store.search_in("river", Some("contact"), 10).unwrap()),
        contacts
    );
    assert!(
        store
            .search_in("river", Some("other"), 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .search_in("crossing", Some("contact"), 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn upgrading_to_a_search_index_with_forms_refills_it_from_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let mut w = Writer::new();
    let (visit, contact, gone) = (
        RecordId::random().unwrap(),
        RecordId::random().unwrap(),
        RecordId::random().unwrap(),
    );
    for (form, r) in [("visit", visit), ("contact", contact), ("contact", gone)] {
        let op = w.op_in(
            form,
            &store,
            r,
            OpKind::Write,
            &[("note", "river 延吉".into())],
        );
        store.commit(&[op], &[]).unwrap();
    }
    let del = w.op(&store, gone, OpKind::Delete, &[]);
    store.commit(&[del], &[]).unwrap();
    // An op waiting in quarantine, as schema 2 kept it: no reason, no import count.
    let waiting = w.op(&store, RecordId::random().unwrap(), OpKind::Delete, &[]);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    // The index as schema 3 laid it out (text only), and empty: the upgrade fills it.
    store
        .execute_for_tests(&format!(
            "DROP INDEX records_creator_list;
             DROP INDEX ops_author_record;
             ALTER TABLE records DROP COLUMN created_by;
             DROP TABLE checkpoints;
             DROP TABLE search;
             CREATE VIRTUAL TABLE search USING fts5 (body, content = '',
                 contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
             DROP TABLE drafts;
             DROP TABLE quarantine;
             CREATE TABLE quarantine (id BLOB PRIMARY KEY, header BLOB NOT NULL,
                 signature BLOB NOT NULL, payload BLOB) STRICT;
             INSERT INTO quarantine VALUES (X'{}', X'{}', X'{}', X'{}');
             DROP TABLE blob_chunks;
             DROP TABLE blobs;
             DROP TABLE pack_scrub;
             DROP TABLE certificates;
             DROP TABLE revocations;
             ALTER TABLE ops DROP COLUMN void;
             DROP TABLE form_versions;
             ALTER TABLE peers DROP COLUMN verified;
             CREATE TABLE blobs (hash BLOB PRIMARY KEY, data BLOB NOT NULL) STRICT;
             PRAGMA user_version = 3;",
            hex(&waiting.id.0),
            hex(&waiting.header_bytes),
            hex(&waiting.signature),
            hex(waiting.payload.as_deref().unwrap()),
        ))
        .unwrap();
    assert!(store.search("river", 10).unwrap().is_empty());
    store.migrate_for_tests(schema::latest()).unwrap();
    // Schema 6: what waited still waits, counted from the first import after it.
    let held = store.quarantined(true).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].op.id, waiting.id);
    assert_eq!(
        (held[0].reason, held[0].since, held[0].detail.as_str()),
        (satchel_sync::sync::Reason::Waiting, 0, "")
    );
    let ids = |v: Vec<satchel_store::StoredRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(store.search("延吉", 10).unwrap()), [contact, visit]);
    assert_eq!(
        ids(store.search_in("river", Some("visit"), 10).unwrap()),
        [visit]
    );
    assert_eq!(
        ids(store.search_in("river", Some("contact"), 10).unwrap()),
        [contact]
    );
    // Schema 13: each record's creator, filled in from the op log.
    let by_w = |device| ListFilter {
        author: Some(satchel_store::AuthorFilter {
            device,
            changed: false,
        }),
        include_deleted: true,
        ..Default::default()
    };
    let mine = DeviceId(w.keys.public().signing);
    assert_eq!(
        ids(store.records(&by_w(mine)).unwrap()),
        [gone, contact, visit]
    );
    assert!(store.records(&by_w(DeviceId([7; 32]))).unwrap().is_empty());
}

#[test]
fn drafts_are_kept_across_reopening_replaced_listed_newest_first_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.db");
    let key = DataKey::generate().unwrap();
    let mut store = Store::create(&path, &key).unwrap();
    store.draft_put("new:contact", 10, b"{\"a\":1}").unwrap();
    store.draft_put("record:x", 30, b"{\"b\":2}").unwrap();
    store
        .draft_put("new:contact", 20, "{\"a\":\"ZQXDRAFT 延吉\"}".as_bytes())
        .unwrap();
    store.checkpoint().unwrap();
    drop(store);
    let raw = std::fs::read(&path).unwrap();
    assert!(!raw.windows(8).any(|w| w == b"ZQXDRAFT"));

    let mut store = Store::open(&path, &key).unwrap();
    assert_eq!(
        store.drafts().unwrap(),
        [("record:x".to_owned(), 30), ("new:contact".to_owned(), 20)]
    );
    let d = store.draft_get("new:contact").unwrap().unwrap();
    assert_eq!((d.key.as_str(), d.saved_ms), ("new:contact", 20));
    assert_eq!(d.body.as_slice(), "{\"a\":\"ZQXDRAFT 延吉\"}".as_bytes());
    assert!(store.draft_delete("new:contact").unwrap());
    assert!(!store.draft_delete("new:contact").unwrap());
    assert!(store.draft_get("new:contact").unwrap().is_none());
    assert_eq!(store.drafts().unwrap().len(), 1);
}

#[test]
fn delete_hides_from_search_and_purge_erases_payloads_and_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let mut w = Writer::new();
    let r = RecordId::random().unwrap();
    let blob = b"photo bytes".to_vec();
    let hash = satchel_crypto::hash::content(&blob);
    let key = format!(
        "{ATTACHMENT_PREFIX}{}",
        data_encoding::HEXLOWER.encode(&hash)
    );
    let op = w.op(
        &store,
        r,
        OpKind::Write,
        &[
            ("name", "Canary".into()),
            (&key, serde_json::json!({"name": "a.jpg", "size": 11})),
        ],
    );
    store.commit(&[op], &[(hash, &blob)]).unwrap();
    assert!(store.has_blob(&hash).unwrap());
    let del = w.op(&store, r, OpKind::Delete, &[]);
    store.commit(&[del], &[]).unwrap();
    assert!(store.search("canary", 10).unwrap().is_empty());
    assert!(store.record(&r).unwrap().unwrap().state.deleted);
    assert!(store.has_blob(&hash).unwrap(), "a tombstone keeps history");
    // An edit left unsaved holds the record's fields; the purge erases it too.
    let other = satchel_store::record_draft_key(&RecordId::random().unwrap());
    store
        .draft_put(
            &satchel_store::record_draft_key(&r),
            1,
            b"{\"name\":\"Canary\"}",
        )
        .unwrap();
    store.draft_put(&other, 2, b"{}").unwrap();
    let purge = w.op(&store, r, OpKind::Purge, &[]);
    store.commit(&[purge], &[]).unwrap();
    assert!(store.record(&r).unwrap().is_none());
    assert!(!store.has_blob(&hash).unwrap());
    assert_eq!(store.drafts().unwrap(), [(other, 2)]);
    let ops = store.record_ops(&r).unwrap();
    assert_eq!(ops.len(), 3, "headers stay for the chain");
    assert!(
        ops.iter()
            .all(|o| o.payload.is_none() || o.header.kind == OpKind::Purge)
    );
    assert!(store.verify_view().unwrap().is_empty());
}

#[test]
fn short_id_prefixes_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let mut w = Writer::new();
    let mut a = [0xAB; 16];
    a[5] = 1;
    let mut b = [0xAB; 16];
    b[5] = 2;
    for id in [a, b, [0x01; 16]] {
        let op = w.op(&store, RecordId(id), OpKind::Write, &[("name", "x".into())]);
        store.commit(&[op], &[]).unwrap();
    }
    assert_eq!(
        store.records_with_prefix(&[0x01; 4]).unwrap(),
        vec![RecordId([0x01; 16])]
    );
    assert_eq!(
        store.records_with_prefix(&a[..6]).unwrap(),
        vec![RecordId(a)]
    );
    assert_eq!(
        store.records_with_prefix(&a[..4]).unwrap().len(),
        2,
        "ambiguous"
    );
    assert!(store.records_with_prefix(&[0xFF; 4]).unwrap().is_empty());
    assert!(store.records_with_prefix(&[0x02; 4]).unwrap().is_empty());
}

mod tampering {
    use super::*;
    use satchel_store::LogReport;
    use satchel_sync::OpError;

    fn raw(path: &Path, key: &DataKey) -> rusqlite::Connection {
        let c = rusqlite::Connection::open(path).unwrap();
        let hex = data_encoding::HEXLOWER.encode(key.expose_secret());
        c.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
            .unwrap();
        c
    }

    /// A vault with three ops by one device; returns what `f` makes of verification
    /// after it tampers with the raw database.
    fn after(f: impl FnOnce(&rusqlite::Connection)) -> Result<LogReport, StoreError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let key = DataKey::generate().unwrap();
        let mut store = Store::create(&path, &key).unwrap();
        let mut w = Writer::new();
        let r = RecordId::random().unwrap();
        for name in ["a", "b", "c"] {
            let op = w.op(&store, r, OpKind::Write, &[("name", name.into())]);
            store.commit(&[op], &[]).unwrap();
        }
        assert_eq!(
            store.verify_log().unwrap(),
            LogReport {
                ops: 3,
                authors: 1,
                mismatched: 0
            }
        );
        // The vault is held exclusively while open: tamper with it closed.
        drop(store);
        f(&raw(&path, &key));
        Store::open(&path, &key)?.verify_log()
    }

    fn flip(c: &rusqlite::Connection, column: &str, seq: i64, at: usize) {
        let mut bytes: Vec<u8> = c
            .query_row(
                &format!("SELECT {column} FROM ops WHERE seq = ?1"),
                [seq],
                |r| r.get(0),
            )
            .unwrap();
        bytes[at] ^= 0x01;
        c.execute(
            &format!("UPDATE ops SET {column} = ?1 WHERE seq = ?2"),
            rusqlite::params![bytes, seq],
        )
        .unwrap();
    }

    #[test]
    fn a_changed_payload_is_detected() {
        let err = after(|c| flip(c, "payload", 2, 20)).unwrap_err();
        assert!(
            matches!(err, StoreError::Op(OpError::PayloadMismatch)),
            "{err:?}"
        );
    }

    #[test]
    fn a_changed_header_is_detected() {
        // Byte 50 lies in the clock: still canonical, so only the signature catches it.
        let err = after(|c| flip(c, "header", 2, 50)).unwrap_err();
        assert!(
            matches!(err, StoreError::Op(OpError::BadSignature)),
            "{err:?}"
        );
    }

    #[test]
    fn a_changed_signature_is_detected() {
        let err = after(|c| flip(c, "signature", 3, 10)).unwrap_err();
        assert!(
            matches!(err, StoreError::Op(OpError::BadSignature)),
            "{err:?}"
        );
    }

    #[test]
    fn a_dropped_op_is_detected() {
        let err = after(|c| {
            c.execute("DELETE FROM ops WHERE seq = 2", []).unwrap();
        })
        .unwrap_err();
        assert!(
            matches!(err, StoreError::Op(OpError::Sequence { seq: 3 })),
            "{err:?}"
        );
    }

    #[test]
    fn a_reordered_chain_is_detected() {
        let err = after(|c| {
            c.execute_batch(
                "UPDATE ops SET seq = 99 WHERE seq = 2; UPDATE ops SET seq = 2 WHERE seq = 3;
                 UPDATE ops SET seq = 3 WHERE seq = 99;",
            )
            .unwrap();
        })
        .unwrap_err();
        assert!(matches!(err, StoreError::Op(_)), "{err:?}");
    }

    #[test]
    fn an_edited_view_is_detected() {
        let report = after(|c| {
            c.execute(
                "UPDATE records SET state = replace(state, '\"c\"', '\"z\"')",
                [],
            )
            .unwrap();
        })
        .unwrap();
        assert_eq!(report.mismatched, 1);
    }
}

#[test]
fn list_pages_come_in_order_from_an_index_without_sorting() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
    let mut w = Writer::new();
    let mut ops = Vec::new();
    let ids: Vec<RecordId> = (0..30).map(|_| RecordId::random().unwrap()).collect();
    for (i, r) in ids.iter().enumerate() {
        // Pairs of records share a time, so the id tie-break matters.
        if i % 2 == 1 {
            w.clock -= 1000;
        }
        ops.push(w.op(
            &store,
            *r,
            OpKind::Write,
            &[("name", format!("n{i}").into())],
        ));
        store
            .commit(std::slice::from_ref(ops.last().unwrap()), &[])
            .unwrap();
    }
    let page = |offset, limit, oldest_first, form: Option<&str>| {
        store
            .records(&ListFilter {
                form: form.map(str::to_owned),
                limit,
                offset,
                oldest_first,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let newest = page(0, 0, false, None);
    let oldest = page(0, 0, true, None);
    assert_eq!(newest.len(), 30);
    let mut reversed = oldest.clone();
    reversed.reverse();
    assert_eq!(
        newest, reversed,
        "one order is the other backwards, ties included"
    );
    // Pages tile the whole list with no gap or repeat.
    let tiled: Vec<_> = (0..3).flat_map(|p| page(p * 10, 10, false, None)).collect();
    assert_eq!(tiled, newest);
    assert_eq!(page(0, 0, false, Some("contact")), newest);
    assert!(page(0, 0, false, Some("case")).is_empty());
    assert_eq!(store.count(&ListFilter::default()).unwrap(), 30);
    assert_eq!(
        store
            .count(&ListFilter {
                form: Some("case".into()),
                ..Default::default()
            })
            .unwrap(),
        0
    );
    // The plans walk an index in order: no temporary b-tree to sort the table.
    for oldest_first in [false, true] {
        for form in [None, Some("contact".to_owned())] {
            let plan = store.list_plan_for_tests(&ListFilter {
                form: form.clone(),
                oldest_first,
                ..Default::default()
            });
            assert!(plan.contains("records_"), "{plan}");
            assert!(
                !plan.contains("TEMP B-TREE"),
                "{oldest_first} {form:?}: {plan}"
            );
        }
    }
}

mod filters {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use satchel_store::{AuthorFilter, TimeFilter};

    use super::*;

    fn ids(records: Vec<satchel_store::StoredRecord>) -> Vec<RecordId> {
        records.into_iter().map(|r| r.id).collect()
    }

    /// Two authors; `a` creates r0 and r1, `b` creates r2 and edits r0; times are
    /// whole seconds from `T`.
    const T: u64 = 1_700_000_000_000;

    fn at(w: &mut Writer, secs: u64) {
        // `op` adds a second before writing.
        w.clock = T + secs * 1000 - 1000;
    }

    #[test]
    fn records_filter_by_creator_by_changer_and_by_time_inclusive() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
        let (mut a, mut b) = (Writer::new(), Writer::new());
        let r: Vec<RecordId> = (0..3).map(|_| RecordId::random().unwrap()).collect();
        at(&mut a, 10);
        let op = a.op(&store, r[0], OpKind::Write, &[("name", "Kim bus".into())]);
        store.commit(&[op], &[]).unwrap();
        at(&mut a, 20);
        let op = a.op_in(
            "case",
            &store,
            r[1],
            OpKind::Write,
            &[("name", "Lee bus".into())],
        );
        store.commit(&[op], &[]).unwrap();
        at(&mut b, 30);
        let op = b.op(&store, r[2], OpKind::Write, &[("name", "Park bus".into())]);
        store.commit(&[op], &[]).unwrap();
        at(&mut b, 40);
        let op = b.op(&store, r[0], OpKind::Write, &[("note", "seen".into())]);
        store.commit(&[op], &[]).unwrap();
        let dev = |w: &Writer| DeviceId(w.keys.public().signing);
        let by = |w: &Writer, changed: bool| ListFilter {
            author: Some(AuthorFilter {
                device: dev(w),
                changed,
            }),
            ..Default::default()
        };
        let list = |store: &Store, f: &ListFilter| ids(store.records(f).unwrap());
        // Newest change first: r0 (40), r2 (30), r1 (20).
        assert_eq!(list(&store, &by(&a, false)), vec![r[0], r[1]]);
        assert_eq!(list(&store, &by(&b, false)), vec![r[2]]);
        assert_eq!(list(&store, &by(&b, true)), vec![r[0], r[2]]);
        assert_eq!(store.count(&by(&a, false)).unwrap(), 2);
        assert_eq!(store.count(&by(&b, true)).unwrap(), 2);
        let stranger = ListFilter {
            author: Some(AuthorFilter {
                device: DeviceId([7; 32]),
                changed: true,
            }),
            ..Default::default()
        };
        assert!(list(&store, &stranger).is_empty());
        assert_eq!(store.count(&stranger).unwrap(), 0);

        let span = |changed: bool, from: u64, until: u64| ListFilter {
            time: Some(TimeFilter {
                changed,
                from_ms: i64::try_from(T + from * 1000).unwrap(),
                until_ms: i64::try_from(T + until * 1000).unwrap(),
            }),
            ..Default::default()
        };
        // The first millisecond is in, the last one out.
        assert_eq!(list(&store, &span(false, 10, 20)), vec![r[0]]);
        assert_eq!(list(&store, &span(false, 10, 21)), vec![r[0], r[1]]);
        assert_eq!(list(&store, &span(true, 10, 21)), vec![r[1]]);
        assert_eq!(list(&store, &span(true, 30, 41)), vec![r[0], r[2]]);
        assert!(list(&store, &span(true, 41, 100)).is_empty());

        // Combined with a form, with each other, with paging and with search.
        let mut both = by(&a, false);
        both.time = span(true, 0, 100).time;
        assert_eq!(list(&store, &both), vec![r[0], r[1]]);
        both.form = Some("case".into());
        assert_eq!(list(&store, &both), vec![r[1]]);
        both.form = None;
        both.limit = 1;
        both.offset = 1;
        assert_eq!(list(&store, &both), vec![r[1]]);
        both.oldest_first = true;
        both.offset = 0;
        assert_eq!(list(&store, &both), vec![r[1]]);
        assert_eq!(store.count(&both).unwrap(), 2, "a count ignores paging");

        let found =
            |store: &Store, f: &ListFilter| ids(store.search_filtered("bus", f, 10).unwrap());
        assert_eq!(found(&store, &ListFilter::default()).len(), 3);
        assert_eq!(
            found(&store, &by(&a, false)),
            vec![r[1], r[0]],
            "newest first by index"
        );
        assert_eq!(found(&store, &by(&b, false)), vec![r[2]]);
        assert_eq!(found(&store, &span(false, 20, 31)), vec![r[2], r[1]]);
        let mut in_case = by(&a, false);
        in_case.form = Some("case".into());
        assert_eq!(found(&store, &in_case), vec![r[1]]);
        assert_eq!(
            ids(store.search_filtered("bus", &by(&a, false), 1).unwrap()).len(),
            1
        );

        // A deleted record: listed with include_deleted, still by its creator.
        at(&mut b, 50);
        let op = b.op(&store, r[2], OpKind::Delete, &[]);
        store.commit(&[op], &[]).unwrap();
        assert!(list(&store, &by(&b, false)).is_empty());
        let mut deleted = by(&b, false);
        deleted.include_deleted = true;
        assert_eq!(list(&store, &deleted), vec![r[2]]);
    }

    #[test]
    fn unfiltered_lists_still_walk_an_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
        for changed in [true, false] {
            let plan = store.list_plan_for_tests(&ListFilter {
                time: Some(TimeFilter {
                    changed,
                    from_ms: 0,
                    until_ms: 1,
                }),
                ..Default::default()
            });
            assert!(plan.contains("records_list"), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }

    /// "Created by" walks the creator's own records in list order (migration 13),
    /// with or without a form; "changed by" reads the author's ops by record. Neither
    /// reads another record's ops nor sorts.
    #[test]
    fn author_filters_walk_indexes_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
        let plan = |changed: bool, form: Option<&str>, oldest_first: bool| {
            store.list_plan_for_tests(&ListFilter {
                form: form.map(str::to_owned),
                oldest_first,
                author: Some(AuthorFilter {
                    device: DeviceId([7; 32]),
                    changed,
                }),
                ..Default::default()
            })
        };
        for form in [None, Some("contact")] {
            for oldest_first in [false, true] {
                let p = plan(false, form, oldest_first);
                assert!(p.contains("records_creator_list"), "{p}");
                assert!(!p.contains("TEMP B-TREE"), "{p}");
                assert!(!p.contains("ops"), "{p}");
            }
        }
        let p = plan(true, None, false);
        assert!(p.contains("ops_author_record"), "{p}");
        assert!(!p.contains("TEMP B-TREE"), "{p}");
    }

    #[derive(Debug, Clone)]
    struct Step {
        writer: usize,
        record: usize,
        delete: bool,
        form: bool,
        gap: u64,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            0..3usize,
            0..6usize,
            prop::bool::weighted(0.15),
            any::<bool>(),
            0..3u64,
        )
            .prop_map(|(writer, record, delete, form, gap)| Step {
                writer,
                record,
                delete,
                form,
                gap,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// A filtered list is the whole list filtered by a plain model in Rust: the
        /// creator is the author of the earliest write, a changer any author, and
        /// times are compared with the view's clocks, the start in and the end out.
        #[test]
        fn a_filtered_list_is_the_whole_list_filtered_in_rust(
            steps in prop::collection::vec(step(), 1..24),
            who in 0..3usize,
            changed_by in any::<bool>(),
            use_author in any::<bool>(),
            use_time in any::<bool>(),
            changed_at in any::<bool>(),
            from in 0..40u64,
            len in 0..40u64,
            deleted in any::<bool>(),
            form in prop::option::of(any::<bool>()),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut store =
                Store::create(&dir.path().join("vault.db"), &DataKey::generate().unwrap()).unwrap();
            let mut writers: Vec<Writer> = (0..3).map(|_| Writer::new()).collect();
            let records: Vec<RecordId> = (0..6).map(|_| RecordId::random().unwrap()).collect();
            let mut creator: BTreeMap<RecordId, usize> = BTreeMap::new();
            let mut changers: BTreeMap<RecordId, Vec<usize>> = BTreeMap::new();
            let mut clock = 0;
            for s in steps {
                let r = records[s.record];
                if s.delete && !creator.contains_key(&r) {
                    continue;
                }
                clock += 1 + s.gap;
                at(&mut writers[s.writer], clock);
                let kind = if s.delete { OpKind::Delete } else { OpKind::Write };
                let form = if s.form { "case" } else { "contact" };
                let op = writers[s.writer].op_in(form, &store, r, kind, &[("name", "x".into())]);
                store.commit(&[op], &[]).unwrap();
                creator.entry(r).or_insert(s.writer);
                changers.entry(r).or_default().push(s.writer);
            }
            let device = DeviceId(writers[who].keys.public().signing);
            let from_ms = i64::try_from(T + from * 1000).unwrap();
            let until_ms = i64::try_from(T + (from + len) * 1000).unwrap();
            let form = form.map(|f| if f { "case" } else { "contact" }.to_owned());
            let filter = ListFilter {
                form: form.clone(),
                include_deleted: deleted,
                author: use_author.then_some(AuthorFilter { device, changed: changed_by }),
                time: use_time.then_some(TimeFilter { changed: changed_at, from_ms, until_ms }),
                ..Default::default()
            };
            let all = store.records(&ListFilter { include_deleted: true, ..Default::default() }).unwrap();
            let expected: Vec<RecordId> = all
                .into_iter()
                .filter(|r| deleted || !r.state.deleted)
                .filter(|r| form.as_ref().is_none_or(|f| *f == r.state.form))
                .filter(|r| {
                    !use_author
                        || if changed_by {
                            changers[&r.id].contains(&who)
                        } else {
                            creator[&r.id] == who
                        }
                })
                .filter(|r| {
                    let t = i64::try_from(if changed_at { r.state.updated.wall_ms } else { r.state.created.wall_ms }).unwrap();
                    !use_time || (from_ms..until_ms).contains(&t)
                })
                .map(|r| r.id)
                .collect();
            prop_assert_eq!(ids(store.records(&filter).unwrap()), expected.clone());
            prop_assert_eq!(store.count(&filter).unwrap(), u64::try_from(expected.len()).unwrap());
            // Pages of two tile the same list.
            let paged: Vec<RecordId> = (0..4)
                .flat_map(|p| ids(store.records(&ListFilter { limit: 2, offset: p * 2, ..filter.clone() }).unwrap()))
                .collect();
            prop_assert_eq!(paged, expected);
        }
    }
}
