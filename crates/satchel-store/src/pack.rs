//! The pack: a file beside the database that holds attachment chunks, one full
//! [`BLOB_CHUNK`] per fixed-size slot, each sealed under the database's pack key
//! (`satchel_crypto::pack`). SQLCipher reads and writes in 4 KiB pages, each with
//! its own AES, HMAC and system call, and writes every page twice (log, then
//! database); a sealed slot is one ChaCha20-Poly1305 pass and one write. The
//! database keeps the index (`blob_chunks.slot`), the key, and the last partial
//! chunk of each attachment, so the pack holds only whole MiB: its size says how
//! many it holds, as the database's size does, and nothing about single files.
//!
//! Ordering: a slot is written before the row that names it, and the pack is
//! synced before any commit that follows a write (the commit hook), so a committed
//! row never names a slot that is not on disk. A rolled-back transaction's slots
//! are cut off or overwritten at once (the rollback hook). Slots freed by a commit
//! are listed in `pack_scrub` in that same transaction, never handed out again
//! while listed, and overwritten with random bytes afterwards ([`Store::checkpoint`],
//! and at open after a crash).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use rusqlite::Connection;
use satchel_crypto::pack::{self as seal, OVERHEAD, PackKey};
use satchel_crypto::rng;
use zeroize::Zeroizing;

use crate::blobs::BLOB_CHUNK;
use crate::{Store, StoreError};

/// Bytes per slot: a sealed full chunk.
pub(crate) const SLOT: usize = BLOB_CHUNK + OVERHEAD;
const SLOT_BYTES: u64 = SLOT as u64;

/// The `meta` entry that holds the pack key.
pub(crate) const META_PACK_KEY: &str = "pack-key";

/// The pack file of the database at `db`: `vault.db` → `vault.pack`, and a temporary
/// copy `.vault.db.TAG.tmp` → `.vault.pack.TAG.tmp`, so a copy's pack is found by
/// its name alone.
pub fn pack_path(db: &Path) -> PathBuf {
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let packed = if let Some(stem) = name.strip_suffix(".db") {
        format!("{stem}.pack")
    } else if name.contains(".db.") {
        name.replacen(".db.", ".pack.", 1)
    } else {
        format!("{name}.pack")
    };
    db.with_file_name(packed)
}

fn open_file(path: &Path) -> Result<File, StoreError> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    Ok(o.open(path)?)
}

/// The pack of an open database. Cheap to clone; the hooks share its state.
#[derive(Clone)]
pub(crate) struct Pack {
    shared: Arc<Shared>,
    key: Arc<PackKey>,
}

struct Shared {
    file: File,
    state: Mutex<State>,
    /// Signalled when a sealing worker finishes a slot.
    written: Condvar,
}

struct State {
    /// Slots in the file, written or not yet committed.
    len: u64,
    /// Slots as of the last commit.
    committed_len: u64,
    /// Slots written since the last commit or rollback.
    pending: Vec<u64>,
    /// Free slots below `len` found at the first allocation of this transaction,
    /// highest first.
    free: Option<Vec<u64>>,
    /// Written since the last sync.
    dirty: bool,
    /// Slots handed to a sealing worker and not yet written.
    in_flight: usize,
    /// A worker's write failed since the last commit or rollback: the next commit
    /// must not happen.
    failed: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn scrub(&self, slot: u64) -> std::io::Result<()> {
        let mut noise = Zeroizing::new(vec![0u8; SLOT]);
        rng::fill(&mut noise).map_err(std::io::Error::other)?;
        self.file.write_all_at(&noise, slot * SLOT_BYTES)
    }

    /// Before a commit: the pack's writes reach the disk first. A failure turns
    /// the commit into a rollback.
    fn on_commit(&self) -> bool {
        let mut s = self.state();
        while s.in_flight > 0 {
            s = match self.written.wait(s) {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
        if s.failed {
            return true;
        }
        if s.dirty {
            if self.file.sync_data().is_err() {
                return true;
            }
            s.dirty = false;
        }
        s.committed_len = s.len;
        s.pending.clear();
        s.free = None;
        false
    }

    /// After a rollback: slots that only the rolled-back transaction wrote are cut
    /// off the end, or overwritten where they reused a free slot.
    fn on_rollback(&self) {
        let mut s = self.state();
        while s.in_flight > 0 {
            s = match self.written.wait(s) {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
        s.failed = false;
        let keep = s.committed_len;
        let reused: Vec<u64> = s.pending.iter().copied().filter(|&p| p < keep).collect();
        for slot in reused {
            let _ = self.scrub(slot);
        }
        if s.len > keep {
            let _ = self.file.set_len(keep * SLOT_BYTES);
        }
        s.len = keep;
        s.pending.clear();
        s.free = None;
    }
}

impl Pack {
    /// Opens (or creates) the pack of `db`, whose connection `conn` is open, keyed
    /// and migrated; installs the hooks; reads or makes the key; cuts off slots that
    /// no committed row names (written by a process that stopped before its
    /// commit).
    pub(crate) fn open(conn: &mut Connection, db: &Path) -> Result<Self, StoreError> {
        let file = open_file(&pack_path(db))?;
        let key = match crate::connection::meta_get(conn, META_PACK_KEY)? {
            Some(bytes) => {
                PackKey::from_slice(&bytes).map_err(|_| StoreError::Corrupt("pack key"))?
            }
            None => {
                let key = PackKey::generate().map_err(|_| StoreError::Corrupt("random"))?;
                crate::connection::meta_put(conn, META_PACK_KEY, key.expose_secret())?;
                key
            }
        };
        let used = used_len(conn)?;
        let on_disk = file.metadata()?.len().div_ceil(SLOT_BYTES);
        if on_disk > used {
            file.set_len(used * SLOT_BYTES)?;
            file.sync_data()?;
        }
        let shared = Arc::new(Shared {
            file,
            state: Mutex::new(State {
                len: used,
                committed_len: used,
                pending: Vec::new(),
                free: None,
                dirty: false,
                in_flight: 0,
                failed: false,
            }),
            written: Condvar::new(),
        });
        let on_commit = Arc::clone(&shared);
        conn.commit_hook(Some(move || on_commit.on_commit()))?;
        let on_rollback = Arc::clone(&shared);
        conn.rollback_hook(Some(move || on_rollback.on_rollback()))?;
        Ok(Self {
            shared,
            key: Arc::new(key),
        })
    }

    /// A slot to write in this transaction: the lowest free one, or a new one at
    /// the end.
    pub(crate) fn allocate(&self, conn: &Connection) -> Result<u64, StoreError> {
        let mut s = self.shared.state();
        if s.free.is_none() {
            let taken = taken_slots(conn)?;
            let mut free: Vec<u64> = (0..s.len)
                .filter(|slot| taken.binary_search(slot).is_err())
                .collect();
            free.reverse();
            s.free = Some(free);
        }
        let slot = match s.free.as_mut().and_then(Vec::pop) {
            Some(slot) => slot,
            None => {
                let slot = s.len;
                s.len += 1;
                slot
            }
        };
        s.pending.push(slot);
        Ok(slot)
    }

    /// Seals a full chunk held in `buf` (nonce room, [`BLOB_CHUNK`] bytes, tag room)
    /// and writes it to `slot`. `buf` then holds ciphertext.
    fn put(&self, slot: u64, blob: i64, n: i64, buf: &mut [u8]) -> Result<(), StoreError> {
        if buf.len() != SLOT {
            return Err(StoreError::Corrupt("pack chunk size"));
        }
        seal::seal(&self.key, blob, n, buf).map_err(|_| StoreError::Corrupt("random"))?;
        let written = self.shared.file.write_all_at(buf, slot * SLOT_BYTES);
        self.shared.state().dirty = true;
        Ok(written?)
    }

    /// A worker thread that seals and writes full chunks while the caller reads the
    /// next ones (a bundle import decrypts on one core and seals on the other).
    pub(crate) fn sealer(&self, blob: i64) -> Sealer {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(1);
        let pack = self.clone();
        let worker = std::thread::spawn(move || -> Result<(), StoreError> {
            let mut result = Ok(());
            for (slot, n, mut buf) in rx {
                if result.is_ok() {
                    result = pack.put(slot, blob, n, &mut buf);
                }
                let mut s = pack.shared.state();
                s.in_flight -= 1;
                s.failed |= result.is_err();
                drop(s);
                pack.shared.written.notify_all();
            }
            result
        });
        Sealer {
            pack: self.clone(),
            tx: Some(tx),
            worker: Some(worker),
        }
    }

    /// Reads and opens the chunk in `slot` into `buf`; returns its bytes.
    pub(crate) fn read<'b>(
        &self,
        slot: u64,
        blob: i64,
        n: i64,
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], StoreError> {
        let buf = buf
            .get_mut(..SLOT)
            .ok_or(StoreError::Corrupt("pack chunk size"))?;
        self.shared
            .file
            .read_exact_at(buf, slot * SLOT_BYTES)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    StoreError::Corrupt("attachment chunk missing")
                }
                _ => StoreError::from(e),
            })?;
        seal::open(&self.key, blob, n, buf).map_err(|_| StoreError::Corrupt("attachment chunk"))
    }

    /// Gives back slots this transaction wrote and no longer names: overwritten now,
    /// cut off where they end the file, reusable at once.
    pub(crate) fn release(&self, slots: &[i64]) -> Result<(), StoreError> {
        let mut freed = std::collections::BTreeSet::new();
        for slot in slots {
            freed.insert(slot_of(*slot)?);
        }
        let mut s = self.shared.state();
        if freed.iter().any(|slot| !s.pending.contains(slot)) {
            return Err(StoreError::Corrupt("pack slot released twice"));
        }
        while s.len > s.committed_len && freed.remove(&(s.len - 1)) {
            s.len -= 1;
        }
        let len = s.len;
        s.pending.retain(|slot| *slot < len);
        self.shared.file.set_len(len * SLOT_BYTES)?;
        for slot in freed {
            self.shared.scrub(slot)?;
            if let Some(free) = s.free.as_mut() {
                free.push(slot);
                free.sort_unstable_by(|a, b| b.cmp(a));
            }
        }
        Ok(())
    }

    /// Reads and opens `slots` (slot, chunk number) of attachment row `blob` in
    /// order on a worker thread, one or two ahead of `f`, which gets each
    /// chunk's bytes.
    pub(crate) fn read_ahead<E: From<StoreError>>(
        &self,
        blob: i64,
        slots: Vec<(u64, i64)>,
        f: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut f = f;
        std::thread::scope(|scope| {
            let (tx, rx) =
                std::sync::mpsc::sync_channel::<Result<Zeroizing<Vec<u8>>, StoreError>>(1);
            scope.spawn(move || {
                for (slot, n) in slots {
                    let mut buf = Zeroizing::new(vec![0u8; SLOT]);
                    let read = self.read(slot, blob, n, &mut buf).map(|_| ());
                    let failed = read.is_err();
                    if tx.send(read.map(|()| buf)).is_err() || failed {
                        break;
                    }
                }
            });
            for got in rx {
                let buf = got?;
                let plain = buf
                    .get(seal::NONCE_LEN..seal::NONCE_LEN + BLOB_CHUNK)
                    .ok_or(StoreError::Corrupt("pack chunk size"))?;
                f(plain)?;
            }
            Ok(())
        })
    }

    /// Overwrites the slots a commit freed, then forgets them, and cuts free slots
    /// off the end. Outside any transaction.
    pub(crate) fn scrub_freed(&self, conn: &Connection) -> Result<(), StoreError> {
        let freed: Vec<i64> = conn
            .prepare_cached("SELECT slot FROM pack_scrub ORDER BY slot")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if freed.is_empty() {
            return Ok(());
        }
        for slot in &freed {
            self.shared.scrub(slot_of(*slot)?)?;
        }
        self.shared.file.sync_data()?;
        conn.execute("DELETE FROM pack_scrub", [])?;
        let used = used_len(conn)?;
        let mut s = self.shared.state();
        if s.len > used {
            self.shared.file.set_len(used * SLOT_BYTES)?;
            s.len = used;
            s.committed_len = used;
        }
        Ok(())
    }

    /// Slots in the file.
    pub(crate) fn len_bytes(&self) -> u64 {
        self.shared.state().len * SLOT_BYTES
    }

    /// Writes a copy of this pack into the empty file `to`, for the database copy
    /// whose connection is `conn` under the schema `schema` (`main` or an attached
    /// name). Named slots are opened and sealed again under `key`; every other slot
    /// becomes random bytes.
    pub(crate) fn copy_to(
        &self,
        conn: &Connection,
        to: &Path,
        key: &PackKey,
        mut done: impl FnMut(u64),
    ) -> Result<(), StoreError> {
        let out = std::fs::OpenOptions::new().write(true).open(to)?;
        if out.metadata()?.len() != 0 {
            return Err(StoreError::Exists);
        }
        let len = self.shared.state().committed_len;
        let mut named = std::collections::BTreeMap::new();
        {
            let mut stmt =
                conn.prepare("SELECT slot, blob, n FROM blob_chunks WHERE slot IS NOT NULL")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?)))?;
            for row in rows {
                let (slot, blob, n): (i64, i64, i64) = row?;
                named.insert(slot_of(slot)?, (blob, n));
            }
        }
        let mut buf = Zeroizing::new(vec![0u8; SLOT]);
        for slot in 0..len {
            match named.get(&slot) {
                Some(&(blob, n)) => {
                    self.read(slot, blob, n, &mut buf)?;
                    seal::seal(key, blob, n, &mut buf)
                        .map_err(|_| StoreError::Corrupt("random"))?;
                }
                None => rng::fill(&mut buf).map_err(|_| StoreError::Corrupt("random"))?,
            }
            out.write_all_at(&buf, slot * SLOT_BYTES)?;
            done((slot + 1) * SLOT_BYTES);
        }
        out.sync_all()?;
        Ok(())
    }
}

/// A full chunk handed to the sealing worker: slot, chunk number, buffer.
type Job = (u64, i64, Zeroizing<Vec<u8>>);

/// Seals and writes full chunks on a worker thread ([`Pack::sealer`]).
pub(crate) struct Sealer {
    pack: Pack,
    tx: Option<std::sync::mpsc::SyncSender<Job>>,
    worker: Option<std::thread::JoinHandle<Result<(), StoreError>>>,
}

impl Sealer {
    /// Hands over chunk `n` (in `buf`, laid out as for [`Pack::write`]) for `slot`.
    pub(crate) fn send(
        &self,
        slot: u64,
        n: i64,
        buf: Zeroizing<Vec<u8>>,
    ) -> Result<(), StoreError> {
        let tx = self.tx.as_ref().ok_or(StoreError::WriteFailed)?;
        self.pack.shared.state().in_flight += 1;
        if tx.send((slot, n, buf)).is_err() {
            let mut s = self.pack.shared.state();
            s.in_flight -= 1;
            s.failed = true;
            return Err(StoreError::WriteFailed);
        }
        Ok(())
    }

    /// Waits until every chunk handed over is written; the first failure.
    pub(crate) fn finish(mut self) -> Result<(), StoreError> {
        self.join()
    }

    fn join(&mut self) -> Result<(), StoreError> {
        drop(self.tx.take());
        match self.worker.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(StoreError::WriteFailed),
            None => Ok(()),
        }
    }

    /// The pack, to allocate slots.
    pub(crate) fn pack(&self) -> &Pack {
        &self.pack
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

fn slot_of(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt("pack slot"))
}

/// Slots named by a row or waiting to be overwritten, in order.
fn taken_slots(conn: &Connection) -> Result<Vec<u64>, StoreError> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT slot FROM blob_chunks WHERE slot IS NOT NULL
         UNION SELECT slot FROM pack_scrub ORDER BY 1",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        out.push(slot_of(row.get(0)?)?);
    }
    Ok(out)
}

/// One past the highest slot in use (named, or waiting to be overwritten).
fn used_len(conn: &Connection) -> Result<u64, StoreError> {
    let max: Option<i64> = conn.query_row(
        "SELECT max(s) FROM (SELECT max(slot) AS s FROM blob_chunks
                             UNION ALL SELECT max(slot) FROM pack_scrub)",
        [],
        |r| r.get(0),
    )?;
    max.map_or(Ok(0), |m| slot_of(m).map(|s| s + 1))
}

impl Store {
    /// The pack, or an error on a closed stand-in.
    pub(crate) fn pack(&self) -> Result<&Pack, StoreError> {
        self.pack.as_ref().ok_or(StoreError::Missing)
    }
}
