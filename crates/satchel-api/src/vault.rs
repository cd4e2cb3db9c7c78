//! Creating, unlocking and protecting a vault: passphrases, the recovery key, the
//! duress passphrase and the panic wipe (DESIGN §4; user-facing account in
//! `docs/vault-security.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use satchel_crypto::{
    identity::DeviceKeys,
    kdf::KdfProfile,
    keys::DataKey,
    keyslots::{self, Keyslots, OpenedSlot, SlotRole},
    recovery::RecoveryKey,
    secrecy::{ExposeSecret, SecretString},
};
use satchel_store::Store;
use serde::Serialize;

use crate::{
    error::{ApiError, Result},
    files, form,
};

/// Shortest passphrase accepted, in characters.
pub const MIN_PASSPHRASE: usize = 8;
const META_DEVICE: &str = "device";
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

/// Creates a database with the default forms and a fresh device identity.
fn create_database(path: &Path, key: &DataKey) -> Result<Store> {
    let mut store = Store::create(path, key)?;
    files::owner_only(path)?;
    let device = DeviceKeys::generate()?;
    store.meta_set(META_DEVICE, &device.to_secret_bytes())?;
    for f in form::defaults()? {
        store.form_put(&f.name, f.version, &f.to_json()?)?;
    }
    Ok(store)
}

/// Builds a database under a random key no one keeps, then renames it over `path`:
/// the filler that makes an unused second database look like a used one.
fn replace_database(path: &Path, key: &DataKey) -> Result<()> {
    let tmp = files::temp_beside(path)?;
    let result = create_database(&tmp, key).map(drop);
    if let Err(e) = result {
        let _ = files::remove_database(&tmp);
        return Err(e);
    }
    files::remove_database(path)?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        files::sync_dir(dir)?;
    }
    Ok(())
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
    let recovery = RecoveryKey::generate()?;
    let mut slots = Keyslots::new_random()?;
    let kek = slots.derive_kek(passphrase, profile)?;
    slots.seal(SlotRole::Main, &kek, &key, 0, profile)?;
    let kek = slots.derive_kek_bytes(recovery.expose_secret(), profile)?;
    slots.seal(SlotRole::Recovery, &kek, &key, 0, profile)?;
    drop(create_database(
        &files::database(dir, 1),
        &DataKey::generate()?,
    )?);
    drop(create_database(&files::database(dir, 0), &key)?);
    files::write_new(&files::keyslots(dir), slots.write())?;
    let vault = Vault::open(
        dir,
        OpenedSlot {
            role: SlotRole::Main,
            db: 0,
            key,
        },
        profile,
    )?;
    Ok((vault, recovery))
}

/// Unlocks the vault in `dir`. A duress passphrase silently erases the real vault's
/// keys and opens the decoy.
pub fn unlock(dir: &Path, passphrase: &SecretString, profile: KdfProfile) -> Result<Vault> {
    let slots = read_keyslots(dir)?;
    let kek = slots.derive_kek(passphrase, profile)?;
    let opened = slots.open(&kek, profile)?;
    if opened.role == SlotRole::Duress {
        let mut fresh = Keyslots::read(slots.write())?;
        fresh.clear_all()?;
        fresh.seal(SlotRole::Main, &kek, &opened.key, opened.db, profile)?;
        files::replace(&files::keyslots(dir), fresh.write())?;
        // The real database is now undecryptable; replace it with filler so the
        // directory looks like any other vault.
        replace_database(&files::database(dir, 1 - opened.db), &DataKey::generate()?)?;
        let main = OpenedSlot {
            role: SlotRole::Main,
            db: opened.db,
            key: opened.key,
        };
        return Vault::open(dir, main, profile);
    }
    Vault::open(dir, opened, profile)
}

/// Opens the vault with its recovery key and sets a new passphrase.
pub fn recover(
    dir: &Path,
    recovery: &RecoveryKey,
    new_passphrase: &SecretString,
    profile: KdfProfile,
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
    let vault = Vault::open(dir, opened, profile)?;
    files::replace(&files::keyslots(dir), slots.write())?;
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
    fn open(dir: &Path, slot: OpenedSlot, profile: KdfProfile) -> Result<Self> {
        let path = files::database(dir, slot.db);
        let store = Store::open(&path, &slot.key)?;
        let secret = store
            .meta_get(META_DEVICE)?
            .ok_or(ApiError::DatabaseDamaged)?;
        let device =
            DeviceKeys::from_secret_bytes(&secret).map_err(|_| ApiError::DatabaseDamaged)?;
        let forms = store
            .forms()?
            .iter()
            .map(|json| form::Form::parse(json).map(|f| (f.name.clone(), f)))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            dir: dir.to_owned(),
            store,
            device,
            forms,
            key: slot.key,
            db: slot.db,
            profile,
        })
    }

    /// The vault directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Checks that `passphrase` is this vault's passphrase, without opening anything:
    /// the app asks for it again before changing secrets, so an unlocked, unattended
    /// window is not enough to take the vault over.
    pub fn check_passphrase(&self, passphrase: &SecretString) -> Result<()> {
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
                reason: "a setting is at most 4 KiB".into(),
            });
        }
        Ok(self
            .store
            .meta_set(&format!("{META_SETTING}{name}"), value.as_bytes())?)
    }

    /// Replaces the passphrase. Rewrites only the main slot; the database is untouched.
    pub fn change_passphrase(&mut self, new: &SecretString) -> Result<()> {
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
        Ok(())
    }

    /// Sets (or replaces) the duress passphrase and builds a fresh decoy vault for it.
    pub fn set_duress(&mut self, duress: &SecretString) -> Result<()> {
        check_passphrase(duress)?;
        let mut slots = read_keyslots(&self.dir)?;
        let kek = slots.derive_kek(duress, self.profile)?;
        if slots
            .open(&kek, self.profile)
            .is_ok_and(|s| s.role != SlotRole::Duress)
        {
            return Err(ApiError::DuressSameAsMain);
        }
        let decoy_key = DataKey::generate()?;
        let other = 1 - self.db;
        replace_database(&files::database(&self.dir, other), &decoy_key)?;
        slots.seal(SlotRole::Duress, &kek, &decoy_key, other, self.profile)?;
        files::replace(&files::keyslots(&self.dir), slots.write())?;
        Ok(())
    }

    /// Test support (the `test-hooks` feature, which only tests enable): marks the
    /// database as written by a newer build.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn set_schema_version_for_tests(&self, version: i64) {
        self.store.conn_for_tests_set_user_version(version);
    }

    /// Closes the vault and wipes it.
    pub fn wipe(self) -> Result<WipeReport> {
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
