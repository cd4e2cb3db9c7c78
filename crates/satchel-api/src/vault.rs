//! Creating, unlocking and protecting a vault: passphrases, the recovery key, the
//! duress passphrase and the panic wipe (DESIGN §4; user-facing account in
//! `docs/vault-security.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use satchel_crypto::{
    identity::DeviceKeys,
    kdf::KdfProfile,
    keys::{DataKey, KEY_LEN},
    keyslots::{self, Keyslots, OpenedSlot, SlotRole},
    recovery::RecoveryKey,
    rng,
    secrecy::{ExposeSecret, SecretString},
};
use satchel_store::{Store, StoreError};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::{
    error::{ApiError, Result},
    files, form,
};

/// Shortest passphrase accepted, in characters.
pub const MIN_PASSPHRASE: usize = 8;
const META_DEVICE: &str = "device";
/// The key of the vault's other database: the spare (filler or decoy) in the real
/// vault, the filler in a decoy opened by its duress passphrase, random bytes in a
/// spare that has never been opened as the main database.
const META_OTHER_KEY: &str = "other-key";
/// Random bytes rewritten in both databases whenever a session changed something,
/// so both files' times move together (see `Drop for Vault`).
const META_TOUCH: &str = "touch";
/// Prefix of the front ends' settings in the meta table.
const META_SETTING: &str = "setting.";

/// An unlocked vault. Dropping it closes the database and zeroizes the keys.
pub struct Vault {
    pub(crate) dir: PathBuf,
    pub(crate) store: Store,
    pub(crate) device: DeviceKeys,
    /// Form definitions, parsed once at unlock.
    pub(crate) forms: BTreeMap<String, form::Form>,
    key: DataKey,
    db: u8,
    profile: KdfProfile,
    /// The other database's key, when known (see [`META_OTHER_KEY`]).
    other_key: Option<DataKey>,
    /// A secret changed in this session (no row is written for that).
    changed: bool,
    /// Opened with [`Vault::open_decoy`]: the decoy being prepared, which cannot
    /// change secrets.
    decoy: bool,
    /// Skip the closing touch (wipe; simulated crashes in tests).
    quiet_close: bool,
    /// The leaves of this device's log as of the last export (op ids only: nothing
    /// secret), grown by the ops written since at the next one rather than read again.
    pub(crate) own_leaves: Option<Vec<[u8; 32]>>,
    /// When it was unlocked: the safe-to-sync policy may hold network sync for
    /// the first minutes.
    pub(crate) unlocked_at: std::time::Instant,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(unlocked)")
    }
}

/// What `satchel info` shows: nothing secret.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Info {
    /// Keyslots format.
    pub keyslots_format: u8,
    /// Database schema version.
    pub schema_version: i64,
    /// SQLCipher version.
    pub cipher_version: String,
    /// Device fingerprint words.
    pub fingerprint: String,
    /// Device fingerprint in hex.
    pub fingerprint_hex: String,
    /// Records shown.
    pub records: u64,
    /// Deleted records (tombstones).
    pub deleted_records: u64,
    /// Ops in the log.
    pub ops: u64,
    /// Stored attachments.
    pub attachments: u64,
    /// Key derivation.
    pub kdf: KdfInfo,
}

/// Key derivation parameters.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct KdfInfo {
    /// Profile name.
    pub profile: &'static str,
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

fn check_passphrase(p: &SecretString) -> Result<()> {
    if p.expose_secret().chars().count() < MIN_PASSPHRASE {
        return Err(ApiError::PassphraseTooShort {
            min: MIN_PASSPHRASE,
        });
    }
    Ok(())
}

/// Whether any vault file is present in `dir`.
pub fn exists(dir: &Path) -> bool {
    files::all(dir).iter().any(|p| p.exists())
}

fn copy_key(key: &DataKey) -> DataKey {
    DataKey::from_bytes(Zeroizing::new(*key.expose_secret()))
}

/// Fills a new database with the default forms, a fresh device identity and the
/// other database's key (or random bytes of its length).
fn fill_database(mut store: Store, path: &Path, other_key: &[u8; KEY_LEN]) -> Result<Store> {
    files::owner_only(path)?;
    let device = DeviceKeys::generate()?;
    store.meta_set(META_DEVICE, &device.to_secret_bytes())?;
    store.meta_set(META_OTHER_KEY, other_key)?;
    for f in form::defaults()? {
        store.form_put(&f.name, f.version, &f.to_json()?)?;
    }
    Ok(store)
}

/// Rebuilds the database at `path` inside its own file, as filler under `key`: the
/// inode, creation time and permissions stay, so nothing outside the encryption says
/// it was rebuilt. Used for the duress erase and for a spare that no longer opens.
fn refill_database(path: &Path, key: &DataKey) -> Result<()> {
    files::empty_in_place(path)?;
    files::empty_in_place(&satchel_store::pack_path(path))?;
    let store = Store::create_in_empty(path, key)?;
    let noise: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new(rng::array()?);
    drop(fill_database(store, path, &noise)?);
    Ok(())
}

/// Whether a database failed to open because its bytes do not fit the key (and not
/// because it is busy or the disk failed): only then may it be rebuilt.
fn undecryptable(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::DoesNotDecrypt | StoreError::Damaged | StoreError::Missing
    )
}

fn read_keyslots(dir: &Path) -> Result<Keyslots> {
    match std::fs::read(files::keyslots(dir)) {
        Ok(bytes) => Ok(Keyslots::read(&bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if exists(dir) {
                Err(ApiError::Incomplete)
            } else {
                Err(ApiError::NoVault)
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a vault in `dir` and returns it unlocked with its recovery key, which the
/// caller must show once and then drop.
pub fn init(
    dir: &Path,
    passphrase: &SecretString,
    profile: KdfProfile,
) -> Result<(Vault, RecoveryKey)> {
    check_passphrase(passphrase)?;
    if exists(dir) {
        return Err(ApiError::VaultExists);
    }
    files::create_private_dir(dir)?;
    let result = init_files(dir, passphrase, profile);
    if result.is_err() {
        // Only what this call created, which holds nothing of the user's yet.
        for p in files::all(dir) {
            let _ = files::remove(&p);
        }
    }
    result
}

fn init_files(
    dir: &Path,
    passphrase: &SecretString,
    profile: KdfProfile,
) -> Result<(Vault, RecoveryKey)> {
    let key = DataKey::generate()?;
    let spare_key = DataKey::generate()?;
    let recovery = RecoveryKey::generate()?;
    // Which file holds the records is chosen at random and recorded only inside the
    // slots: neither name nor size then says which database is the real one.
    let real = rng::array::<1>()?.first().copied().unwrap_or(0) & 1;
    let mut slots = Keyslots::new_random()?;
    let kek = slots.derive_kek(passphrase, profile)?;
    slots.seal(SlotRole::Main, &kek, &key, real, profile)?;
    let kek = slots.derive_kek_bytes(recovery.expose_secret(), profile)?;
    slots.seal(SlotRole::Recovery, &kek, &key, real, profile)?;
    // Both databases are built the same way, in name order; the spare keeps random
    // bytes where the real one keeps the spare's key.
    let noise: Zeroizing<[u8; KEY_LEN]> = Zeroizing::new(rng::array()?);
    for selector in [0u8, 1] {
        let path = files::database(dir, selector);
        let (db_key, other): (&DataKey, &[u8; KEY_LEN]) = if selector == real {
            (&key, spare_key.expose_secret())
        } else {
            (&spare_key, &noise)
        };
        drop(fill_database(Store::create(&path, db_key)?, &path, other)?);
    }
    files::write_new(&files::keyslots(dir), slots.write())?;
    let vault = Vault::open(
        dir,
        OpenedSlot {
            role: SlotRole::Main,
            db: real,
            key,
        },
        profile,
        &|| {},
    )?;
    Ok((vault, recovery))
}

/// Where a rekey is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RekeyStage {
    /// Checking the passphrase (one key derivation).
    DerivingKey,
    /// Copying the spare database (done when the copy is in place).
    CopyingSpare,
    /// Copying the databases into new files.
    Copying,
    /// Sealing the new key in the keyslots file (two key derivations): the commit.
    Sealing,
    /// Putting the new database in place of the old one.
    Replacing,
    /// Finished.
    Done,
}

/// A rekey's progress.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RekeyProgress {
    /// The stage.
    pub stage: RekeyStage,
    /// Bytes copied so far (while copying).
    pub done: u64,
    /// Bytes to copy in all.
    pub total: u64,
}

impl RekeyProgress {
    fn at(stage: RekeyStage) -> Self {
        Self {
            stage,
            done: 0,
            total: 0,
        }
    }

    fn copying(done: u64, total: u64) -> Self {
        Self {
            stage: RekeyStage::Copying,
            done: done.min(total),
            total,
        }
    }
}

/// Unlocks the vault in `dir`. A duress passphrase silently erases the real vault's
/// keys and opens the decoy.
pub fn unlock(dir: &Path, passphrase: &SecretString, profile: KdfProfile) -> Result<Vault> {
    unlock_with(dir, passphrase, profile, &|| {})
}

/// [`unlock`], calling `upgrading` once the key is right if the database must first
/// be brought up to this build's schema, which takes seconds on a large vault (once
/// per new schema), so that the person waiting is told why.
pub fn unlock_with(
    dir: &Path,
    passphrase: &SecretString,
    profile: KdfProfile,
    upgrading: &dyn Fn(),
) -> Result<Vault> {
    let slots = read_keyslots(dir)?;
    let kek = slots.derive_kek(passphrase, profile)?;
    let opened = slots.open(&kek, profile)?;
    if opened.role == SlotRole::Duress {
        return duress_erase(dir, &slots, &kek, opened, profile, upgrading);
    }
    Vault::open(dir, opened, profile, upgrading)
}

/// The duress passphrase opened the decoy: erase the real vault and open the decoy
/// as an ordinary vault. Each step can be interrupted and redone: the records go
/// first, then the keys. No file is created or removed, so the folder's metadata
/// looks like that of any session that changed something.
fn duress_erase(
    dir: &Path,
    slots: &Keyslots,
    kek: &satchel_crypto::keys::Kek,
    opened: OpenedSlot,
    profile: KdfProfile,
    upgrading: &dyn Fn(),
) -> Result<Vault> {
    let filler_key = DataKey::generate()?;
    {
        let mut decoy = Store::open_with(&files::database(dir, opened.db), &opened.key, upgrading)?;
        decoy.meta_set(META_OTHER_KEY, filler_key.expose_secret())?;
    }
    refill_database(&files::database(dir, 1 - opened.db), &filler_key)?;
    let mut fresh = Keyslots::read(slots.write())?;
    fresh.clear_all()?;
    fresh.seal(SlotRole::Main, kek, &opened.key, opened.db, profile)?;
    files::replace(&files::keyslots(dir), fresh.write())?;
    let main = OpenedSlot {
        role: SlotRole::Main,
        db: opened.db,
        key: opened.key,
    };
    let mut vault = Vault::open(dir, main, profile, upgrading)?;
    vault.changed = true;
    Ok(vault)
}

/// Opens the vault with its recovery key and sets a new passphrase.
pub fn recover(
    dir: &Path,
    recovery: &RecoveryKey,
    new_passphrase: &SecretString,
    profile: KdfProfile,
) -> Result<Vault> {
    recover_with(dir, recovery, new_passphrase, profile, &|| {})
}

/// [`recover`], calling `upgrading` as [`unlock_with`] does.
pub fn recover_with(
    dir: &Path,
    recovery: &RecoveryKey,
    new_passphrase: &SecretString,
    profile: KdfProfile,
    upgrading: &dyn Fn(),
) -> Result<Vault> {
    check_passphrase(new_passphrase)?;
    let mut slots = read_keyslots(dir)?;
    let kek = slots.derive_kek_bytes(recovery.expose_secret(), profile)?;
    let opened = slots
        .open(&kek, profile)
        .map_err(|e| match ApiError::from(e) {
            ApiError::WrongPassphrase => ApiError::WrongRecoveryKey,
            other => other,
        })?;
    if opened.role != SlotRole::Recovery {
        return Err(ApiError::WrongRecoveryKey);
    }
    let kek = slots.derive_kek(new_passphrase, profile)?;
    slots.seal(SlotRole::Main, &kek, &opened.key, opened.db, profile)?;
    let mut vault = Vault::open(dir, opened, profile, upgrading)?;
    files::replace(&files::keyslots(dir), slots.write())?;
    vault.changed = true;
    Ok(vault)
}

/// What a wipe did.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct WipeReport {
    /// Files removed.
    pub files_removed: usize,
}

/// Panic wipe: overwrites every copy of the keyslots in place and syncs (after which
/// nothing opens), then removes every file of Satchel's in the folder, temporary ones
/// included, then the folder. Files that are not Satchel's are left alone, and the
/// wipe then says so as an error ([`ApiError::WipeLeftFiles`]) rather than succeed.
/// Needs no passphrase, so it works when it matters.
pub fn wipe(dir: &Path) -> Result<WipeReport> {
    let ours = files::present(dir)?;
    if !ours.iter().any(|p| files::holds_keyslots(p)) && !exists(dir) {
        return Err(ApiError::NoVault);
    }
    // Every copy of the wrapped key first, the one step that makes the rest
    // unreadable: the keyslots file and any temporary copy an interrupted passphrase
    // change or duress setting left, which would still open with its passphrase.
    for path in ours.iter().filter(|p| files::holds_keyslots(p)) {
        files::overwrite(path)?;
    }
    for path in &ours {
        files::remove(path)?;
    }
    // Bundles in transit: sealed, but their being there says a sync was cut.
    let transfers = dir.join(crate::network::TRANSFERS);
    if let Ok(entries) = std::fs::read_dir(&transfers) {
        for e in entries.flatten() {
            files::remove(&e.path())?;
        }
        let _ = std::fs::remove_dir(&transfers);
    }
    let _ = files::sync_dir(dir);
    match std::fs::remove_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => {
            let left = std::fs::read_dir(dir).map_or(0, |d| d.count());
            return Err(ApiError::WipeLeftFiles { left });
        }
    }
    Ok(WipeReport {
        files_removed: ours.len(),
    })
}

impl Vault {
    fn open(
        dir: &Path,
        slot: OpenedSlot,
        profile: KdfProfile,
        upgrading: &dyn Fn(),
    ) -> Result<Self> {
        // A vault from before packs gets both, in name order, so that inode order
        // does not say which database opened first.
        for selector in [0u8, 1] {
            let pack = files::pack(dir, selector);
            if files::database(dir, selector).exists() && !pack.exists() {
                drop(files::create_new(&pack)?);
            }
        }
        let path = files::database(dir, slot.db);
        let mut store = match Store::open_with(&path, &slot.key, upgrading) {
            Err(StoreError::DoesNotDecrypt) => {
                finish_rekey(dir, slot.db, &slot.key)?.ok_or(ApiError::DatabaseDamaged)?
            }
            other => other?,
        };
        // This process now holds the database: any temporary copy beside it is a
        // leftover of an interrupted write (a rekey before its commit, a passphrase
        // change). Keyslots copies would still open with their passphrase.
        let _ = files::remove_temps(dir);
        let secret = store
            .meta_get(META_DEVICE)?
            .ok_or(ApiError::DatabaseDamaged)?;
        let device =
            DeviceKeys::from_secret_bytes(&secret).map_err(|_| ApiError::DatabaseDamaged)?;
        let other_key = store
            .meta_get(META_OTHER_KEY)?
            .and_then(|v| <[u8; KEY_LEN]>::try_from(v.as_slice()).ok())
            .map(|k| DataKey::from_bytes(Zeroizing::new(k)));
        if let Some(key) = &other_key {
            // A process killed while it held the other database (a rekey, the decoy
            // being prepared) leaves its write-ahead log beside it; an open and close
            // folds it in and removes it, as for this one.
            let path = files::database(dir, 1 - slot.db);
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            if Path::new(&wal).exists() {
                let _ = Store::open(&path, key);
            }
        }
        let mut forms: BTreeMap<String, form::Form> = store
            .forms()?
            .iter()
            .map(|json| form::Form::parse(json).map(|f| (f.name.clone(), f)))
            .collect::<Result<_, _>>()?;
        // A newer version of a form this build ships (the same everywhere, so no
        // publication is needed) replaces an older one held, if it only adds; records
        // keep the version they were made with.
        for d in form::defaults()? {
            if let Some(held) = forms.get(&d.name)
                && held.version < d.version
                && d.check_successor(held).is_ok()
            {
                store.form_put(&d.name, d.version, &d.to_json()?)?;
                forms.insert(d.name.clone(), d);
            }
        }
        Ok(Self {
            dir: dir.to_owned(),
            store,
            device,
            forms,
            key: slot.key,
            db: slot.db,
            profile,
            other_key,
            changed: false,
            decoy: false,
            quiet_close: false,
            own_leaves: None,
            unlocked_at: std::time::Instant::now(),
        })
    }

    pub(crate) fn not_decoy(&self) -> Result<()> {
        if self.decoy {
            Err(ApiError::DecoyOnly)
        } else {
            Ok(())
        }
    }

    /// Whether this is the decoy, opened with [`Vault::open_decoy`] to prepare it.
    pub fn is_decoy(&self) -> bool {
        self.decoy
    }

    /// Closes this vault and opens the decoy, the database the duress passphrase
    /// opens, so that records can be put there beforehand. The decoy cannot change
    /// passphrases or keys. Its changes touch both databases like any other session.
    pub fn open_decoy(self) -> Result<Vault> {
        self.not_decoy()?;
        let other = self.other_key.as_ref().ok_or(ApiError::NoDecoy)?;
        let slot = OpenedSlot {
            role: SlotRole::Main,
            db: 1 - self.db,
            key: copy_key(other),
        };
        let real_key = copy_key(&self.key);
        let (dir, profile) = (self.dir.clone(), self.profile);
        drop(self);
        let mut decoy = Vault::open(&dir, slot, profile, &|| {})?;
        decoy.other_key = Some(real_key);
        decoy.decoy = true;
        Ok(decoy)
    }

    /// The vault directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Checks that `passphrase` is this vault's passphrase, without opening anything:
    /// the app asks for it again before changing secrets, so an unlocked, unattended
    /// window is not enough to take the vault over.
    pub fn check_passphrase(&self, passphrase: &SecretString) -> Result<()> {
        // Everything that asks for it changes secrets, which the decoy cannot.
        self.not_decoy()?;
        let slots = read_keyslots(&self.dir)?;
        let kek = slots.derive_kek(passphrase, self.profile)?;
        let opened = slots.open(&kek, self.profile)?;
        if opened.role == SlotRole::Main && opened.db == self.db {
            Ok(())
        } else {
            Err(ApiError::WrongPassphrase)
        }
    }

    /// A front end's setting, stored encrypted inside the vault (nothing about the
    /// user's choices sits in plaintext beside it).
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        let value = self.store.meta_get(&format!("{META_SETTING}{name}"))?;
        Ok(value.and_then(|v| String::from_utf8(v.to_vec()).ok()))
    }

    /// Stores a front end's setting (at most 4 KiB).
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        if value.len() > 4096 || name.is_empty() || name.len() > 64 {
            return Err(ApiError::InvalidValue {
                field: "setting".into(),
                problem: crate::form::ValueProblem::SettingTooLong,
            });
        }
        Ok(self
            .store
            .meta_set(&format!("{META_SETTING}{name}"), value.as_bytes())?)
    }

    /// Replaces the passphrase. Rewrites only the main slot; the database is untouched.
    pub fn change_passphrase(&mut self, new: &SecretString) -> Result<()> {
        self.not_decoy()?;
        check_passphrase(new)?;
        let mut slots = read_keyslots(&self.dir)?;
        let kek = slots.derive_kek(new, self.profile)?;
        if slots
            .open(&kek, self.profile)
            .is_ok_and(|s| s.role == SlotRole::Duress)
        {
            return Err(ApiError::DuressSameAsMain);
        }
        slots.seal(SlotRole::Main, &kek, &self.key, self.db, self.profile)?;
        files::replace(&files::keyslots(&self.dir), slots.write())?;
        self.changed = true;
        Ok(())
    }

    /// Sets (or replaces) the duress passphrase. It opens the spare database, the
    /// decoy, which was built with the vault and keeps whatever was put in it with
    /// [`Vault::open_decoy`]; no file is created or replaced.
    pub fn set_duress(&mut self, duress: &SecretString) -> Result<()> {
        self.not_decoy()?;
        check_passphrase(duress)?;
        let mut slots = read_keyslots(&self.dir)?;
        let kek = slots.derive_kek(duress, self.profile)?;
        if slots
            .open(&kek, self.profile)
            .is_ok_and(|s| s.role != SlotRole::Duress)
        {
            return Err(ApiError::DuressSameAsMain);
        }
        let other = 1 - self.db;
        let decoy_key = self.spare_key()?;
        slots.seal(SlotRole::Duress, &kek, &decoy_key, other, self.profile)?;
        files::replace(&files::keyslots(&self.dir), slots.write())?;
        self.changed = true;
        Ok(())
    }

    /// The spare database's key. A vault created before the key was kept, or a spare
    /// that no longer decrypts, gets its spare rebuilt in place under a new key.
    fn spare_key(&mut self) -> Result<DataKey> {
        let path = files::database(&self.dir, 1 - self.db);
        if let Some(key) = &self.other_key {
            match Store::open(&path, key) {
                Ok(_) => return Ok(copy_key(key)),
                Err(e) if undecryptable(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let key = DataKey::generate()?;
        refill_database(&path, &key)?;
        self.store.meta_set(META_OTHER_KEY, key.expose_secret())?;
        self.other_key = Some(copy_key(&key));
        Ok(key)
    }

    /// Rewrites the random `touch` value in both databases and rewrites the keyslots
    /// file with its own bytes: after any session that changed something, all three
    /// files show the same kind of change, whether the change was a record, a
    /// passphrase, a duress passphrase or a duress unlock.
    fn touch(&mut self) -> Result<()> {
        // A vault wiped meanwhile (by another process or path) gets nothing written.
        let path = files::keyslots(&self.dir);
        let bytes = Zeroizing::new(std::fs::read(&path)?);
        if bytes.len() != keyslots::FILE_LEN {
            return Ok(());
        }
        let noise: [u8; 16] = rng::array()?;
        self.store.meta_set(META_TOUCH, &noise)?;
        if let Some(key) = &self.other_key {
            let path = files::database(&self.dir, 1 - self.db);
            if let Ok(mut other) = Store::open(&path, key) {
                other.meta_set(META_TOUCH, &noise)?;
            }
        }
        files::replace(&path, &bytes)?;
        // Both packs show a change at the same moment, whichever one was written.
        let now = std::time::SystemTime::now();
        for selector in [0u8, 1] {
            if let Ok(f) = std::fs::File::options()
                .write(true)
                .open(files::pack(&self.dir, selector))
            {
                f.set_modified(now)?;
            }
        }
        Ok(())
    }

    /// Re-encrypts the vault under a new random key, seals it under `passphrase` (this
    /// vault's passphrase, asked again) and a new recovery key, which is returned to
    /// be shown once; the old recovery key stops working. Afterwards a copy of
    /// `keyslots` taken earlier, with an old passphrase or recovery key, opens nothing
    /// written since. The spare database (filler or decoy) is copied the same way, under
    /// its own key, so the duress passphrase keeps working and both files look alike.
    ///
    /// Crash-safe: each database is exported to a new file beside the old one and
    /// synced; the spare's copy is renamed into place; then the new keyslots file
    /// replaces the old one (the commit), and only then does the copy under the new key
    /// replace the old database. An unlock after an interruption finishes the rename
    /// or removes the copies.
    pub fn rekey(
        &mut self,
        passphrase: &SecretString,
        progress: impl FnMut(RekeyProgress) + Send,
    ) -> Result<RecoveryKey> {
        self.rekey_until(passphrase, progress, None)
    }

    fn rekey_until(
        &mut self,
        passphrase: &SecretString,
        progress: impl FnMut(RekeyProgress) + Send,
        stop: Option<RekeyStage>,
    ) -> Result<RecoveryKey> {
        let mut switched = false;
        let result = self.rekey_steps(passphrase, progress, stop, &mut switched);
        if result.is_err() && !switched {
            // Copies left by a failure before the switch hold nothing the vault needs.
            // After it, a copy not yet renamed is what the next unlock finishes with.
            let _ = files::remove_temps(&self.dir);
        }
        result
    }

    fn rekey_steps(
        &mut self,
        passphrase: &SecretString,
        mut progress: impl FnMut(RekeyProgress) + Send,
        stop: Option<RekeyStage>,
        switched: &mut bool,
    ) -> Result<RecoveryKey> {
        self.not_decoy()?;
        progress(RekeyProgress::at(RekeyStage::DerivingKey));
        let mut slots = read_keyslots(&self.dir)?;
        let kek = slots.derive_kek(passphrase, self.profile)?;
        match slots.open(&kek, self.profile) {
            Ok(s) if s.role == SlotRole::Main && s.db == self.db => {}
            Ok(_) | Err(_) => return Err(ApiError::WrongPassphrase),
        }
        let new_key = DataKey::generate()?;
        let recovery = RecoveryKey::generate()?;
        let real_path = files::database(&self.dir, self.db);
        let spare_path = files::database(&self.dir, 1 - self.db);
        // A spare that no longer decrypts is left as it is: the records come first.
        let spare = match &self.other_key {
            Some(k) => match Store::open(&spare_path, k) {
                Ok(store) => Some((store, copy_key(k))),
                Err(e) if undecryptable(&e) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let total =
            self.store.size()? + spare.as_ref().map_or(Ok(0), |(s, _)| s.size()).unwrap_or(0);
        // Both copies are created before either is filled, in name order, so their
        // inode numbers do not say which one holds the records.
        let mut temps = [None, None];
        for selector in [0u8, 1] {
            if selector == self.db || spare.is_some() {
                let path = files::database(&self.dir, selector);
                if let Some(t) = temps.get_mut(usize::from(selector)) {
                    let temp = files::new_temp_beside(&path)?;
                    drop(files::create_new(&satchel_store::pack_path(&temp))?);
                    *t = Some(temp);
                }
            }
        }
        files::sync_dir(&self.dir)?;
        let temp_of = |selector: u8| {
            temps
                .get(usize::from(selector))
                .cloned()
                .flatten()
                .ok_or(ApiError::WriteFailed)
        };
        let mut copied = 0u64;
        if let Some((store, key)) = spare {
            let temp = temp_of(1 - self.db)?;
            let base = copied;
            // The spare keeps its key and its pack key: either pack serves either
            // copy, so the order of the two renames does not matter.
            store.export_to(&temp, &key, false, |n| {
                progress(RekeyProgress::copying(base + n, total));
            })?;
            copied += store.size()?;
            drop(store);
            std::fs::rename(&temp, &spare_path)?;
            std::fs::rename(
                satchel_store::pack_path(&temp),
                files::pack(&self.dir, 1 - self.db),
            )?;
            files::sync_dir(&self.dir)?;
        }
        if stop == Some(RekeyStage::CopyingSpare) {
            return Ok(recovery);
        }
        let temp = temp_of(self.db)?;
        self.store.export_to(&temp, &new_key, true, |n| {
            progress(RekeyProgress::copying(copied + n, total));
        })?;
        files::sync_dir(&self.dir)?;
        progress(RekeyProgress::copying(total, total));
        if stop == Some(RekeyStage::Copying) {
            return Ok(recovery);
        }
        progress(RekeyProgress::at(RekeyStage::Sealing));
        slots.seal(SlotRole::Main, &kek, &new_key, self.db, self.profile)?;
        let kek = slots.derive_kek_bytes(recovery.expose_secret(), self.profile)?;
        slots.seal(SlotRole::Recovery, &kek, &new_key, self.db, self.profile)?;
        // The switch: from here on the keyslots hold only the new key.
        let replaced = files::replace(&files::keyslots(&self.dir), slots.write());
        // When in doubt, count it as switched: then the copies stay for the next unlock.
        *switched = replaced.is_ok()
            || read_keyslots(&self.dir).map_or(true, |now| now.write() == slots.write());
        replaced?;
        if stop == Some(RekeyStage::Sealing) {
            return Ok(recovery);
        }
        progress(RekeyProgress::at(RekeyStage::Replacing));
        // The old database is closed (its write-ahead log folded in and removed),
        // then replaced; its blocks are overwritten through a handle kept across the
        // rename, as the keyslots file's are.
        let real_pack = files::pack(&self.dir, self.db);
        let olds = [&real_path, &real_pack].map(|p| {
            let f = std::fs::OpenOptions::new().write(true).open(p).ok();
            let len = f
                .as_ref()
                .and_then(|f| f.metadata().ok())
                .map_or(0, |m| m.len());
            (f, len)
        });
        drop(std::mem::replace(&mut self.store, Store::closed()?));
        // The pack first: until the database is renamed too, the old one does not
        // open under the new key and the next unlock finishes (`finish_rekey`).
        let renamed = std::fs::rename(satchel_store::pack_path(&temp), &real_pack)
            .and_then(|()| std::fs::rename(&temp, &real_path));
        self.store = match Store::open(&real_path, &new_key) {
            Ok(store) => store,
            // Another process may have finished the rename first; otherwise the copy
            // is still there, and the next unlock will finish.
            Err(e) => {
                renamed?;
                return Err(e.into());
            }
        };
        self.key = new_key;
        self.changed = true;
        files::sync_dir(&self.dir)?;
        for (old, len) in olds {
            if let Some(old) = old {
                files::scrub(old, len)?;
            }
        }
        progress(RekeyProgress::at(RekeyStage::Done));
        Ok(recovery)
    }

    /// Test support: a rekey that stops after `stage` as a killed process would (no
    /// clean-up, no closing touch).
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn rekey_interrupted_for_tests(mut self, passphrase: &SecretString, stage: RekeyStage) {
        let _ = self.rekey_until(passphrase, |_| {}, Some(stage));
        self.quiet_close = true;
    }

    /// Test support (the `test-hooks` feature): everything the vault holds,
    /// decrypted, for canary searches.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn plaintext_for_tests(&self) -> Vec<u8> {
        self.store.plaintext_for_tests()
    }

    /// Test support (the `test-hooks` feature, which only tests enable): marks the
    /// database as written by a newer build.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn set_schema_version_for_tests(&self, version: i64) {
        self.store.conn_for_tests_set_user_version(version);
    }

    /// Test support: runs SQL on the database as an older build would have.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn execute_sql_for_tests(&self, sql: &str) -> Result<()> {
        Ok(self.store.execute_for_tests(sql)?)
    }

    /// Closes the vault and wipes it.
    pub fn wipe(mut self) -> Result<WipeReport> {
        self.quiet_close = true;
        let dir = self.dir.clone();
        drop(self);
        wipe(&dir)
    }

    /// Facts about the vault; nothing secret.
    pub fn info(&self) -> Result<Info> {
        let counts = self.store.counts()?;
        let fp = self.device.public().fingerprint();
        let p = self.profile.params();
        Ok(Info {
            keyslots_format: keyslots::FORMAT,
            schema_version: self.store.schema_version()?,
            cipher_version: self.store.cipher_version()?,
            fingerprint: fp.to_string(),
            fingerprint_hex: fp.hex,
            records: counts.records,
            deleted_records: counts.deleted,
            ops: counts.ops,
            attachments: counts.attachments,
            kdf: KdfInfo {
                profile: self.profile.name(),
                m_kib: p.m_kib,
                t: p.t,
                p: p.p,
            },
        })
    }
}

impl Drop for Vault {
    /// A session that changed anything touches all three files on close (see
    /// `Vault::touch`); one that changed nothing leaves every byte as it was.
    fn drop(&mut self) {
        if !self.quiet_close && (self.changed || self.store.has_committed_log().unwrap_or(false)) {
            let _ = self.touch();
        }
    }
}

/// After a rekey's commit the keyslots hold the new key while the copy under it may
/// still wait beside the old database (the process stopped before renaming it):
/// finish the rename. Returns the opened database, or `None` if no copy opens.
fn finish_rekey(dir: &Path, selector: u8, key: &DataKey) -> Result<Option<Store>> {
    let path = files::database(dir, selector);
    for temp in files::database_temps(dir, selector)? {
        let pack_temp = satchel_store::pack_path(&temp);
        // Renamed already when the rekey stopped between its two renames; opening
        // the copy then makes an empty one, removed with the other temporary files.
        let pack_waiting = pack_temp.exists();
        match Store::open(&temp, key) {
            Ok(store) => drop(store),
            Err(_) => continue,
        }
        if pack_waiting {
            std::fs::rename(&pack_temp, files::pack(dir, selector))?;
        }
        std::fs::rename(&temp, &path)?;
        files::sync_dir(dir)?;
        return Ok(Some(Store::open(&path, key)?));
    }
    Ok(None)
}
