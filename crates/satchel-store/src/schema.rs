//! Schema migrations: one SQL batch per version, applied in one transaction.
//!
//! `PRAGMA user_version` holds how many have been applied. A database newer than this
//! build is refused before anything is written; a failed migration rolls back whole.
//! (Hand-written rather than `rusqlite_migration`, which pins an older rusqlite whose
//! SQLite cannot be linked beside ours: docs/adr/0003-migrations.md.)

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The migrations, oldest first. Append only; never edit a released one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first vault schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
    CREATE TABLE forms (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        definition TEXT NOT NULL
    ) STRICT;
    CREATE TABLE ops (
        id BLOB PRIMARY KEY,
        author BLOB NOT NULL,
        seq INTEGER NOT NULL,
        record BLOB NOT NULL,
        kind INTEGER NOT NULL,
        hlc_ms INTEGER NOT NULL,
        hlc_counter INTEGER NOT NULL,
        header BLOB NOT NULL,
        signature BLOB NOT NULL,
        payload BLOB,
        UNIQUE (author, seq)
    ) STRICT;
    CREATE INDEX ops_record ON ops (record);
    CREATE INDEX ops_hlc ON ops (hlc_ms, hlc_counter);
    CREATE TABLE records (
        rowid INTEGER PRIMARY KEY,
        id BLOB NOT NULL UNIQUE,
        form TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        state TEXT NOT NULL
    ) STRICT;
    CREATE INDEX records_updated ON records (deleted, updated_ms);
    CREATE INDEX records_form ON records (form, deleted, updated_ms);
    CREATE TABLE blobs (hash BLOB PRIMARY KEY, data BLOB NOT NULL) STRICT;
    CREATE TABLE record_blobs (
        record BLOB NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (record, hash)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX record_blobs_hash ON record_blobs (hash);
    CREATE VIRTUAL TABLE search USING fts5 (
        body,
        content = '',
        contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO search (search, rank) VALUES ('secure-delete', 1);
    "#,
    // 2: peers and sync state.
    r#"
    CREATE TABLE peers (
        signing BLOB PRIMARY KEY,
        agreement BLOB NOT NULL,
        name TEXT NOT NULL UNIQUE,
        added_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE peer_acks (
        peer BLOB NOT NULL,
        author BLOB NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (peer, author)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE bundles_seen (
        id BLOB PRIMARY KEY,
        sender BLOB NOT NULL,
        seq INTEGER NOT NULL,
        hash BLOB NOT NULL,
        UNIQUE (sender, seq)
    ) STRICT;
    CREATE TABLE quarantine (
        id BLOB PRIMARY KEY,
        header BLOB NOT NULL,
        signature BLOB NOT NULL,
        payload BLOB
    ) STRICT;
    "#,
    // 3: list pages straight from an index in either order, ties broken by id, so a
    // deep page of a 100,000-record list neither sorts the table nor holds it in
    // memory.
    r#"
    DROP INDEX records_updated;
    DROP INDEX records_form;
    CREATE INDEX records_list ON records (deleted, updated_ms, id DESC);
    CREATE INDEX records_form_list ON records (form, deleted, updated_ms, id DESC);
    "#,
    // 4: the search index also holds each record's form as one token, so a search
    // within a form is answered by the index instead of reading every newer match.
    // `migrate_to` refills it from the records.
    r#"
    DROP TABLE search;
    CREATE VIRTUAL TABLE search USING fts5 (
        body,
        form,
        content = '',
        contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    INSERT INTO search (search, rank) VALUES ('secure-delete', 1);
    "#,
    // 5: what a person typed into a form and has not saved yet.
    r#"
    CREATE TABLE drafts (
        key TEXT PRIMARY KEY,
        saved_ms INTEGER NOT NULL,
        body BLOB NOT NULL
    ) STRICT;
    "#,
    // 6: every quarantined op says why it is held (waiting, a fork, invalid values;
    // later an unknown or revoked author), what failed, and since which import, so
    // that it is bounded, expires by a count of imports and can be listed and dropped.
    r#"
    ALTER TABLE quarantine ADD COLUMN reason TEXT NOT NULL DEFAULT 'waiting';
    ALTER TABLE quarantine ADD COLUMN detail TEXT NOT NULL DEFAULT '';
    ALTER TABLE quarantine ADD COLUMN since_import INTEGER NOT NULL DEFAULT 0;
    "#,
    // 7: attachments in chunks of 1 MiB (`blobs::BLOB_CHUNK`), written and read one
    // chunk at a time, so an attachment of any size costs constant memory. A row is
    // unnamed (hash NULL) while its bytes arrive. Attachments stored whole move here.
    r#"
    ALTER TABLE blobs RENAME TO blobs_whole;
    CREATE TABLE blobs (
        id INTEGER PRIMARY KEY,
        hash BLOB UNIQUE,
        size INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE blob_chunks (
        blob INTEGER NOT NULL,
        n INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (blob, n)
    ) STRICT;
    INSERT INTO blobs (hash, size) SELECT hash, length(data) FROM blobs_whole;
    WITH RECURSIVE parts (blob, hash, n) AS (
        SELECT b.id, b.hash, 0 FROM blobs b WHERE b.size > 0
        UNION ALL
        SELECT p.blob, p.hash, p.n + 1 FROM parts p JOIN blobs b ON b.id = p.blob
        WHERE (p.n + 1) * 1048576 < b.size
    )
    INSERT INTO blob_chunks (blob, n, data)
        SELECT p.blob, p.n, substr(w.data, p.n * 1048576 + 1, 1048576)
        FROM parts p JOIN blobs_whole w ON w.hash = p.hash;
    DROP TABLE blobs_whole;
    "#,
    // 8: full chunks go to the pack beside the database (`crate::pack`): a row names
    // its slot and keeps an empty `data`. `pack_scrub` lists slots a commit freed,
    // to be overwritten after it; they are not reused while listed. The pack key is
    // written at the first open (`meta` 'pack-key').
    r#"
    ALTER TABLE blob_chunks ADD COLUMN slot INTEGER;
    CREATE UNIQUE INDEX blob_chunks_slot ON blob_chunks (slot) WHERE slot IS NOT NULL;
    CREATE TABLE pack_scrub (slot INTEGER PRIMARY KEY) STRICT;
    "#,
    // 9: the organisation's membership (`satchel_sync::member`): certificates and
    // revocations as signed bytes, by id. Which organisation, and its root key on the
    // device that created it, are in `meta`.
    r#"
    CREATE TABLE certificates (id BLOB PRIMARY KEY, body BLOB NOT NULL) STRICT;
    CREATE TABLE revocations (id BLOB PRIMARY KEY, body BLOB NOT NULL) STRICT;
    "#,
    // 10: void ops. An op the organisation's rules refuse, from a member (a role that
    // does not allow it, or a device revoked from that point of its chain), is kept
    // in its author's chain as its signed header alone and counts for nothing in the
    // records; its content waits in the quarantine (`refused`), and comes back if the
    // rules later allow it (ADR 0018). So one refused op does not hold back the rest
    // of its author's work.
    r#"
    ALTER TABLE ops ADD COLUMN void INTEGER NOT NULL DEFAULT 0;
    "#,
    // 11: every version of every form, so a record shows with the version it was
    // made with after a newer one is published (`forms` keeps the newest).
    r#"
    CREATE TABLE form_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT NOT NULL,
        PRIMARY KEY (name, version)
    ) STRICT;
    INSERT INTO form_versions (name, version, definition)
        SELECT name, version, definition FROM forms;
    "#,
    // 12: whether the user confirmed a peer's fingerprint against the words on its own
    // screen. Peers added before stay unverified: nothing shows that anyone compared.
    r#"
    ALTER TABLE peers ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
    "#,
    // 13: who created each record (the author of its earliest write, as `created_ms`
    // is its time), kept in the view, so that a coordinator's "created by" filter
    // walks an index instead of reading every record's ops; the ops of an author by
    // record, for "changed by"; and the creation time in the list indexes, so that a
    // "created between" filter is read from the index, not from every row.
    r#"
    ALTER TABLE records ADD COLUMN created_by BLOB;
    UPDATE records SET created_by = (
        SELECT o.author FROM ops o
        WHERE o.record = records.id AND o.void = 0 AND o.kind = 1 AND o.payload IS NOT NULL
        ORDER BY o.hlc_ms, o.hlc_counter, o.author LIMIT 1);
    DROP INDEX records_list;
    DROP INDEX records_form_list;
    CREATE INDEX records_list ON records (deleted, updated_ms, id DESC, created_ms);
    CREATE INDEX records_form_list ON records (form, deleted, updated_ms, id DESC, created_ms);
    CREATE INDEX records_creator_list ON records (created_by, deleted, updated_ms, id DESC);
    CREATE INDEX ops_author_record ON ops (author, record) WHERE void = 0;
    "#,
    // 14: signed checkpoints of transparency logs (docs/audit-format.md): this
    // device's own, by size, as C2SP signed notes with any cosignatures beside them.
    r#"
    CREATE TABLE checkpoints (
        origin TEXT NOT NULL,
        size INTEGER NOT NULL,
        note BLOB NOT NULL,
        PRIMARY KEY (origin, size)
    ) STRICT;
    "#,
];

/// The first version whose search index holds forms.
const SEARCH_WITH_FORMS: i64 = 4;

/// The schema version this build writes.
pub fn latest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// The schema version of an open database.
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings `conn` up to [`latest`], or up to `target` for tests of old fixtures.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    let found = version(conn)?;
    if found > latest() {
        return Err(StoreError::NewerSchema {
            found,
            known: latest(),
        });
    }
    if found >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let v = i64::try_from(index + 1).unwrap_or(i64::MAX);
        if v > found && v <= target {
            tx.execute_batch(sql)?;
            if v == SEARCH_WITH_FORMS {
                crate::records::reindex_search(&tx)?;
            }
        }
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(())
}
