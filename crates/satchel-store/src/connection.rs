//! Opening the encrypted database: the key first, then a read to confirm it, then the
//! pragmas, then migrations (Mozilla application-services' `open_database` order).

use std::path::Path;
use std::sync::{
    Arc, Once,
    atomic::{AtomicBool, Ordering},
};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use satchel_crypto::keys::DataKey;
use zeroize::Zeroizing;

use crate::pack::{Pack, pack_path};
use crate::{StoreError, schema};

/// A metadata key and its value.
pub type MetaRow = (String, Zeroizing<Vec<u8>>);

/// An open, unlocked vault database and its pack (`crate::pack`).
pub struct Store {
    pub(crate) conn: Connection,
    /// `None` only in the [`Store::closed`] stand-in.
    pub(crate) pack: Option<Pack>,
    /// Raised from another thread to stop the work in progress (see [`Store::set_cancel`]).
    cancel: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

/// How much a vault holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Records shown (not deleted).
    pub records: u64,
    /// Deleted records kept as tombstones.
    pub deleted: u64,
    /// Ops in the log.
    pub ops: u64,
    /// Stored attachments.
    pub attachments: u64,
}

/// Runs SQLite's and SQLCipher's start-up once, before any vault opens. SQLite marks
/// itself initialised before it runs SQLCipher's start-up hook, so a second thread that
/// opens in between finds SQLCipher "not initialized" and `PRAGMA key` fails. A
/// throwaway in-memory open runs the whole start-up while other threads wait here.
fn start_sqlcipher() {
    static START: Once = Once::new();
    START.call_once(|| {
        // A failure here shows again, with its error, on the real open.
        let _ = Connection::open_in_memory();
    });
}

fn keyed(path: &Path, key: &DataKey, flags: OpenFlags) -> Result<Connection, StoreError> {
    start_sqlcipher();
    let conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher logs decryption failures to stderr by default; our errors say what
    // matters, once. This reads nothing from the database, so the key is still the
    // first statement that touches it.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // The key must be the first statement on the connection. Raw-key form: SQLCipher
    // uses these bytes directly, no passphrase derivation of its own.
    let mut hex = Zeroizing::new(String::with_capacity(64));
    data_encoding::HEXLOWER.encode_append(key.expose_secret(), &mut hex);
    let stmt = Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex.as_str()));
    conn.execute_batch(&stmt)?;
    let cipher: Option<String> = conn
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .optional()?;
    if cipher.is_none_or(|v| v.is_empty()) {
        return Err(StoreError::NotEncrypted);
    }
    conn.execute_batch(
        "PRAGMA cipher_compatibility = 4;
         PRAGMA cipher_memory_security = OFF;
         PRAGMA locking_mode = EXCLUSIVE;",
    )?;
    // Confirms the key before anything else reads or writes.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    // Exclusive locking (set above, before the first read): one process holds the
    // vault at a time, so two writers can never race on this device's op chain, and
    // the WAL index lives in memory rather than in a `-shm` file beside the vault.
    // SQLCipher does not encrypt temporary files: keep them in memory. Freed pages are
    // zeroed so deleted content does not linger inside the file.
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;",
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Reads a `meta` value.
pub(crate) fn meta_get(
    conn: &Connection,
    key: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()?
        .map(Zeroizing::new))
}

/// Writes a `meta` value.
pub(crate) fn meta_put(conn: &Connection, key: &str, value: &[u8]) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// A new database file's pack must be new or empty too.
fn pack_is_empty(db: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(pack_path(db)) {
        Ok(m) if m.len() != 0 => Err(StoreError::Exists),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// An integer pragma; SQLCipher answers some (`page_size`) as text.
fn pragma_int(conn: &Connection, name: &str) -> Result<i64, StoreError> {
    let v: rusqlite::types::Value = conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?;
    match v {
        rusqlite::types::Value::Integer(i) => Ok(i),
        rusqlite::types::Value::Text(t) => {
            t.trim().parse().map_err(|_| StoreError::Corrupt("pragma"))
        }
        _ => Err(StoreError::Corrupt("pragma")),
    }
}

impl Store {
    /// Creates a new database at `path`; refuses if any file is already there.
    pub fn create(path: &Path, key: &DataKey) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::Exists);
        }
        pack_is_empty(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = keyed(path, key, flags)?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
        schema::migrate_to(&mut conn, schema::latest())?;
        Self::with_pack(conn, path)
    }

    fn with_pack(mut conn: Connection, path: &Path) -> Result<Self, StoreError> {
        let pack = Pack::open(&mut conn, path)?;
        let store = Self {
            conn,
            pack: Some(pack),
            cancel: None,
        };
        // Slots freed by a commit whose process stopped before overwriting them.
        store.pack()?.scrub_freed(&store.conn)?;
        Ok(store)
    }

    /// Creates a new database inside an existing, empty file, keeping the file's
    /// inode and creation time: a database rebuilt this way cannot be told from one
    /// that was written in place all along (see `docs/vault-security.md`).
    pub fn create_in_empty(path: &Path, key: &DataKey) -> Result<Self, StoreError> {
        if std::fs::metadata(path)?.len() != 0 {
            return Err(StoreError::Exists);
        }
        pack_is_empty(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = keyed(path, key, flags)?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))?;
        schema::migrate_to(&mut conn, schema::latest())?;
        Self::with_pack(conn, path)
    }

    /// Opens an existing database. Never creates, never deletes: a database that fails
    /// to open is left exactly as it was.
    pub fn open(path: &Path, key: &DataKey) -> Result<Self, StoreError> {
        Self::open_with(path, key, &|| {})
    }

    /// [`Store::open`], calling `upgrading` first if the database is of an older
    /// schema: bringing a large vault up to date can take seconds, once.
    pub fn open_with(path: &Path, key: &DataKey, upgrading: &dyn Fn()) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = keyed(path, key, flags)?;
        // Bytes past the last page are not ours: refuse rather than guess.
        let pages = pragma_int(&conn, "page_count")?;
        let page_size = pragma_int(&conn, "page_size")?;
        let len = std::fs::metadata(path)?.len();
        if u64::try_from(pages.saturating_mul(page_size)).is_ok_and(|expect| len > expect) {
            return Err(StoreError::Damaged);
        }
        let found = schema::version(&conn)?;
        if found > schema::latest() {
            return Err(StoreError::NewerSchema {
                found,
                known: schema::latest(),
            });
        }
        if found < schema::latest() {
            upgrading();
        }
        schema::migrate_to(&mut conn, schema::latest())?;
        Self::with_pack(conn, path)
    }

    /// Lets another thread stop what this store is doing: while `flag` is raised,
    /// every SQL statement is interrupted within a few thousand virtual-machine steps
    /// ([`StoreError::Interrupted`]), so a transaction in progress rolls back and
    /// nothing is half-written. Long work outside SQL asks [`Store::cancelled`].
    pub fn set_cancel(&mut self, flag: Arc<AtomicBool>) -> Result<(), StoreError> {
        let polled = Arc::clone(&flag);
        self.conn
            .progress_handler(1000, Some(move || polled.load(Ordering::Relaxed)))?;
        self.cancel = Some(flag);
        Ok(())
    }

    /// The flag given to [`Store::set_cancel`], for work outside SQL to poll.
    pub fn cancel_flag(&self) -> Option<Arc<AtomicBool>> {
        self.cancel.clone()
    }

    /// [`StoreError::Interrupted`] if the flag given to [`Store::set_cancel`] is raised.
    pub fn cancelled(&self) -> Result<(), StoreError> {
        match &self.cancel {
            Some(flag) if flag.load(Ordering::Relaxed) => Err(StoreError::Interrupted),
            _ => Ok(()),
        }
    }

    /// A stand-in that holds no database, for the moment between closing one file
    /// and opening its replacement; every query on it fails.
    pub fn closed() -> Result<Self, StoreError> {
        start_sqlcipher();
        Ok(Self {
            conn: Connection::open_in_memory()?,
            pack: None,
            cancel: None,
        })
    }

    /// The SQLCipher version linked in.
    pub fn cipher_version(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA cipher_version", [], |r| r.get(0))?)
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::version(&self.conn)
    }

    /// Reads a metadata value.
    pub fn meta_get(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        meta_get(&self.conn, key)
    }

    /// Writes a metadata value.
    pub fn meta_set(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        meta_put(&self.conn, key, value)
    }

    /// Removes a metadata value, if it is there.
    pub fn meta_delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Every metadata value whose key starts with `prefix`, by key.
    pub fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<MetaRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        )?;
        let rows = stmt.query_map([prefix], |r| Ok((r.get(0)?, Zeroizing::new(r.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Counts of what the vault holds.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let count = |sql: &str| -> Result<u64, StoreError> {
            let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(Counts {
            records: count("SELECT count(*) FROM records WHERE deleted = 0")?,
            deleted: count("SELECT count(*) FROM records WHERE deleted = 1")?,
            ops: count("SELECT count(*) FROM ops")?,
            attachments: count("SELECT count(*) FROM blobs WHERE hash IS NOT NULL")?,
        })
    }

    /// Moves everything from the write-ahead log into the database and truncates the
    /// log, and overwrites the pack slots that commits freed, so content deleted by a
    /// purge lingers neither in `-wal` nor in the pack.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        if let Some(pack) = &self.pack {
            pack.scrub_freed(&self.conn)?;
        }
        Ok(())
    }

    /// Whether the write-ahead log holds committed changes not yet folded into the
    /// database (a passive checkpoint reports the log's committed frames; a write that
    /// failed and rolled back leaves none).
    pub fn has_committed_log(&self) -> Result<bool, StoreError> {
        let frames: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
        Ok(frames > 0)
    }

    /// Writes a complete copy of this database into `path`, an empty file that must
    /// exist, encrypted under `key` (SQLCipher's `sqlcipher_export`), in WAL mode,
    /// and its pack into [`pack_path`]`(path)`, which must exist empty too, and syncs
    /// both. With `new_pack_key` the copy's pack is sealed under a new key (a rekey);
    /// without, under this one, so either pack serves either database. `done` is
    /// called now and then with the bytes written so far, against [`Store::size`]
    /// for the whole.
    pub fn export_to(
        &self,
        path: &Path,
        key: &DataKey,
        new_pack_key: bool,
        mut done: impl FnMut(u64) + Send,
    ) -> Result<(), StoreError> {
        if std::fs::metadata(path)?.len() != 0 {
            return Err(StoreError::Exists);
        }
        let pack = self.pack()?;
        let pack_key = if new_pack_key {
            satchel_crypto::pack::PackKey::generate().map_err(|_| StoreError::Corrupt("random"))?
        } else {
            let bytes = meta_get(&self.conn, crate::pack::META_PACK_KEY)?
                .ok_or(StoreError::Corrupt("pack key"))?;
            satchel_crypto::pack::PackKey::from_slice(&bytes)
                .map_err(|_| StoreError::Corrupt("pack key"))?
        };
        let target = path
            .to_str()
            .ok_or(StoreError::Io(std::io::ErrorKind::InvalidInput))?;
        let mut hex = Zeroizing::new(String::with_capacity(67));
        hex.push_str("x'");
        data_encoding::HEXLOWER.encode_append(key.expose_secret(), &mut hex);
        hex.push('\'');
        self.conn.execute(
            "ATTACH DATABASE ?1 AS rekeyed KEY ?2",
            params![target, hex.as_str()],
        )?;
        let result = (|| -> Result<(), StoreError> {
            self.conn.execute_batch(
                "PRAGMA rekeyed.cipher_compatibility = 4;
                 PRAGMA rekeyed.journal_mode = WAL;
                 PRAGMA rekeyed.synchronous = FULL;",
            )?;
            // The size of the copy so far, read by a watcher beside the export (the
            // export is one SQL call).
            let stop = std::sync::atomic::AtomicBool::new(false);
            let done = &mut done;
            let copied = std::thread::scope(|scope| {
                scope.spawn(|| {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        if let Ok(m) = std::fs::metadata(path) {
                            done(m.len());
                        }
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                });
                let copied = self
                    .conn
                    .query_row("SELECT sqlcipher_export('rekeyed')", [], |_| Ok(()));
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                copied
            });
            copied?;
            let version: i64 = self
                .conn
                .query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
            self.conn
                .execute_batch(&format!("PRAGMA rekeyed.user_version = {version};"))?;
            // The copy's pack holds only named slots (freed ones become noise).
            self.conn.execute_batch("DELETE FROM rekeyed.pack_scrub;")?;
            self.conn.execute(
                "UPDATE rekeyed.meta SET value = ?1 WHERE key = ?2",
                params![&pack_key.expose_secret()[..], crate::pack::META_PACK_KEY],
            )?;
            Ok(())
        })();
        let detached = self.conn.execute_batch("DETACH DATABASE rekeyed");
        result?;
        detached?;
        std::fs::File::open(path)?.sync_all()?;
        let base = std::fs::metadata(path)?.len();
        pack.copy_to(&self.conn, &pack_path(path), &pack_key, |n| done(base + n))?;
        Ok(())
    }

    /// Bytes the database holds (pages times page size) and its pack.
    pub fn size(&self) -> Result<u64, StoreError> {
        let pages = pragma_int(&self.conn, "page_count")?;
        let page_size = pragma_int(&self.conn, "page_size")?;
        let db = u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0);
        Ok(db + self.pack.as_ref().map_or(0, Pack::len_bytes))
    }

    /// Runs SQLite's full integrity check.
    pub fn integrity_check(&self) -> Result<bool, StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        Ok(result == "ok")
    }
}

/// Test support, compiled only with the `test-hooks` feature, which only tests
/// enable: no release binary can run arbitrary SQL on a vault.
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
impl Store {
    /// Test support: every value of every table, decrypted, back to back, and the
    /// content of every attachment (pack included): what a search for a canary must
    /// not find once content is erased.
    pub fn plaintext_for_tests(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .and_then(|mut s| {
                s.query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .unwrap_or_default();
        for t in tables {
            let Ok(mut stmt) = self.conn.prepare(&format!("SELECT * FROM \"{t}\"")) else {
                continue;
            };
            let n = stmt.column_count();
            let _ = stmt
                .query_map([], |r| {
                    let mut row = Vec::new();
                    for i in 0..n {
                        match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Text(b)
                            | rusqlite::types::ValueRef::Blob(b) => {
                                row.extend_from_slice(b);
                            }
                            _ => {}
                        }
                        row.push(0);
                    }
                    Ok(row)
                })
                .map(|rows| {
                    for row in rows.flatten() {
                        out.extend(row);
                    }
                });
        }
        let hashes: Vec<Vec<u8>> = self
            .conn
            .prepare("SELECT hash FROM blobs WHERE hash IS NOT NULL")
            .and_then(|mut s| {
                s.query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<Vec<u8>>>>()
            })
            .unwrap_or_default();
        for h in hashes {
            if let Ok(h) = <[u8; 32]>::try_from(h.as_slice()) {
                let _ = self.blob_read(&h, |piece| {
                    out.extend_from_slice(piece);
                    Ok::<(), StoreError>(())
                });
            }
        }
        out
    }

    /// Test support: sets the schema version as a newer build would.
    pub fn conn_for_tests_set_user_version(&self, v: i64) {
        let _ = self.conn.pragma_update(None, "user_version", v);
    }

    /// Test support: a keyed database migrated only up to `version`.
    pub fn create_at_version_for_tests(
        path: &Path,
        key: &DataKey,
        version: i64,
    ) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let mut conn = keyed(path, key, flags)?;
        schema::migrate_to(&mut conn, version)?;
        Ok(Self {
            conn,
            pack: None,
            cancel: None,
        })
    }

    /// Test support: runs SQL as an older build would have.
    pub fn execute_for_tests(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    /// Test support: migrates up to `version`.
    pub fn migrate_for_tests(&mut self, version: i64) -> Result<(), StoreError> {
        schema::migrate_to(&mut self.conn, version)
    }

    /// Test support: a pragma's current value as text.
    pub fn pragma_for_tests(&self, name: &str) -> String {
        self.conn
            .query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .unwrap_or_default()
    }

    /// Test support: the schema as SQL text, sorted.
    pub fn schema_sql_for_tests(&self) -> Vec<String> {
        let mut stmt = match self
            .conn
            .prepare("SELECT coalesce(sql, name) FROM sqlite_master ORDER BY name")
        {
            Ok(s) => s,
            Err(_) => return Vec::new(),
        };
        stmt.query_map([], |r| r.get(0))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    }
}
