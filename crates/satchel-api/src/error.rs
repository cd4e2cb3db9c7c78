//! The errors front ends see. Each has a stable code for IPC and scripts; messages
//! name what is wrong and what to do, and never hold a secret, a path or record
//! content.

use satchel_crypto::CryptoError;
use satchel_store::StoreError;

/// Everything a user action can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No slot opened with that secret.
    #[error("wrong passphrase (or the keyslots file is damaged)")]
    WrongPassphrase,
    /// The recovery key did not open the vault.
    #[error("that recovery key does not open this vault")]
    WrongRecoveryKey,
    /// No vault in the directory.
    #[error("there is no vault here; create one with `satchel init`")]
    NoVault,
    /// A vault already exists in the directory.
    #[error("a vault already exists here; nothing was changed")]
    VaultExists,
    /// The vault is partly there: keyslots without a database or the reverse.
    #[error("the vault is incomplete (keyslots or database file missing); nothing was changed")]
    Incomplete,
    /// Keyslots or database written by a newer build.
    #[error("this vault was written by a newer version of Satchel; upgrade Satchel to open it")]
    NewerVersion,
    /// The keyslots file has the wrong size.
    #[error("the keyslots file is damaged; restore it from a backup (nothing was changed)")]
    KeyslotsDamaged,
    /// The database does not decrypt or has damaged pages.
    #[error("the vault database is damaged; restore it from a backup (nothing was changed)")]
    DatabaseDamaged,
    /// The vault was erased, but its folder holds files that are not Satchel's.
    #[error(
        "the vault is erased and nothing left can open it, but its folder still holds {left} \
         files that are not Satchel's; remove the folder by hand"
    )]
    WipeLeftFiles {
        /// Entries left in the folder.
        left: usize,
    },
    /// The disk is full.
    #[error("the disk is full; nothing was changed. Free some space and try again")]
    DiskFull,
    /// A write failed for another reason than a full disk.
    #[error("the vault could not be written (disk full or failing); nothing was changed")]
    WriteFailed,
    /// Another process has the vault open for writing.
    #[error("the vault is busy in another window or process; try again")]
    Busy,
    /// The vault cannot be written.
    #[error("the vault cannot be written (read-only disk or permissions)")]
    ReadOnly,
    /// The passphrase is too short.
    #[error("the passphrase is too short: use at least {min} characters")]
    PassphraseTooShort {
        /// Minimum length in characters.
        min: usize,
    },
    /// The duress passphrase equals a passphrase that opens the real vault.
    #[error("the duress passphrase must differ from the vault passphrase and recovery key")]
    DuressSameAsMain,
    /// A change of passphrases or keys was asked of the decoy being prepared.
    #[error(
        "this is the decoy: passphrases and keys are changed from the vault itself (unlock it without --decoy)"
    )]
    DecoyOnly,
    /// The vault has no decoy database it can open (created by an older version).
    #[error("this vault has no decoy yet; set a duress passphrase first (`satchel duress set`)")]
    NoDecoy,
    /// A recovery key did not parse.
    #[error("that is not a valid recovery key (check for typos)")]
    RecoveryKeyFormat,
    /// No such form.
    #[error("unknown form `{0}`; see `satchel form list`")]
    UnknownForm(String),
    /// A form definition is invalid.
    #[error("invalid form definition: {0}")]
    InvalidForm(String),
    /// A form with this name and an equal or newer version exists.
    #[error("form `{name}` version {have} is already installed; raise `version` to replace it")]
    FormNotNewer {
        /// Form name.
        name: String,
        /// Installed version.
        have: i64,
    },
    /// The form has no such field.
    #[error("form `{form}` has no field `{field}`; see `satchel form show {form}`")]
    UnknownField {
        /// Form name.
        form: String,
        /// Field id given.
        field: String,
    },
    /// A value does not fit its field.
    #[error("field `{field}`: {reason}")]
    InvalidValue {
        /// Field id.
        field: String,
        /// What was expected (never the value itself).
        reason: String,
    },
    /// A required field is missing or empty.
    #[error("field `{field}` is required")]
    MissingRequired {
        /// Field id.
        field: String,
    },
    /// No record with that id.
    #[error("no record with id `{0}`")]
    RecordNotFound(String),
    /// A short id matches several records.
    #[error("id `{0}` matches several records; give more of it")]
    AmbiguousId(String),
    /// The record is deleted.
    #[error("record `{0}` is deleted")]
    RecordDeleted(String),
    /// An attachment is over the limit.
    #[error("attachment `{name}` is larger than the limit of {limit_mib} MiB")]
    AttachmentTooLarge {
        /// File name as given.
        name: String,
        /// The limit.
        limit_mib: u64,
    },
    /// No such attachment on the record.
    #[error("the record has no attachment {0}")]
    AttachmentNotFound(String),
    /// A peer card did not parse or its checksum is wrong.
    #[error("that is not a valid Satchel identity card (check it was copied whole)")]
    InvalidCard,
    /// A peer name is empty, too long or has a comma.
    #[error("a peer name is 1 to 60 characters without commas")]
    InvalidPeerName,
    /// The card is this device's own.
    #[error("that card is this device's own")]
    PeerIsSelf,
    /// A peer with that name or key exists.
    #[error("a peer named `{0}` or with that key already exists")]
    PeerExists(String),
    /// No peer by that name.
    #[error("no peer named `{0}`; see `satchel peer list`")]
    UnknownPeer(String),
    /// Too many or no recipients.
    #[error("a bundle is addressed to 1 to {max} peers")]
    BundleRecipients {
        /// Most recipients.
        max: usize,
    },
    /// The bundle did not open or verify.
    #[error("bundle refused: {0}")]
    Bundle(satchel_crypto::bundle::BundleError),
    /// The sender is not a peer (never added, or removed).
    #[error("bundle refused: it comes from a device that is not one of your peers")]
    UnknownSender,
    /// The bundle's content is refused.
    #[error("bundle refused: {0}")]
    BundleContent(String),
    /// The field has no conflict.
    #[error("field `{0}` has no conflict to resolve")]
    NoConflict(String),
    /// No sibling value matches.
    #[error(
        "no value of this conflict has an id starting with `{0}` (give 6 or more characters of it)"
    )]
    NoSuchValue(String),
    /// No quarantined op has an id starting with this (or more than one has).
    #[error(
        "no one op in quarantine has an id starting with `{0}` (give 8 or more hex digits; see `satchel quarantine list`)"
    )]
    NotInQuarantine(String),
    /// A draft's key names neither a form's new record nor a record.
    #[error("a draft is for `new:<form>` or `record:<id>`, not `{0}`")]
    InvalidDraft(String),
    /// A draft is over the limit.
    #[error("unsaved input is kept up to {limit_kib} KiB; this form holds more")]
    DraftTooLarge {
        /// The limit.
        limit_kib: usize,
    },
    /// No draft under that key.
    #[error("no unsaved input kept for `{0}`; see `satchel drafts list`")]
    NoDraft(String),
    /// A stored op or the view failed verification.
    #[error("the vault's history failed verification: {0}")]
    Integrity(String),
    /// Randomness or key derivation failed.
    #[error("a cryptographic operation failed: {0}")]
    Crypto(CryptoError),
    /// The words typed at `enrol approve` are not the requesting device's
    /// fingerprint.
    #[error(
        "those words are not that device's fingerprint: read them again from its own screen (at least the first four); nothing was changed"
    )]
    FingerprintMismatch,
    /// An organisation or enrolment step was refused; the message says why.
    #[error("{0}")]
    Membership(String),
    /// Stopped on request (a lock, the panic key, or Cancel) before it finished;
    /// nothing was changed.
    #[error("stopped before it finished; nothing was changed")]
    Cancelled,
    /// An export would replace a file the user did not ask to replace.
    #[error("a file of that name is already there; choose another name, or replace it on purpose")]
    ExportExists,
    /// The export's folder cannot be written (read-only, permissions, gone).
    #[error("the export could not be written to that folder; nothing was left there")]
    ExportNotWritten,
    /// The export was to go into the vault's own folder, which must hold nothing
    /// readable.
    #[error("an export cannot go into the vault's own folder; choose another folder")]
    ExportIntoVault,
    /// A value is longer than a spreadsheet cell holds.
    #[error(
        "field `{field}` of record `{record}` holds more than {max} characters, more than an XLSX cell holds; export it as CSV"
    )]
    ExportCellTooLong {
        /// The record's id.
        record: String,
        /// The field's id.
        field: String,
        /// Characters a cell holds.
        max: usize,
    },
    /// More records than a spreadsheet holds.
    #[error("an XLSX sheet holds at most {max} records; choose fewer, or export as CSV")]
    ExportTooManyRows {
        /// Records a sheet holds.
        max: u32,
    },
    /// Any other database failure.
    #[error("{0}")]
    Store(StoreError),
    /// A file-system failure.
    #[error("file system error: {0}")]
    Io(std::io::ErrorKind),
}

impl ApiError {
    /// A stable code for scripts and IPC (`{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::WrongPassphrase | ApiError::WrongRecoveryKey => "wrong_passphrase",
            ApiError::NoVault => "no_vault",
            ApiError::WipeLeftFiles { .. } => "wipe_incomplete",
            ApiError::VaultExists => "vault_exists",
            ApiError::Incomplete => "vault_incomplete",
            ApiError::NewerVersion => "newer_version",
            ApiError::KeyslotsDamaged | ApiError::DatabaseDamaged => "vault_damaged",
            ApiError::DiskFull | ApiError::WriteFailed => "disk_full",
            ApiError::Busy => "busy",
            ApiError::ReadOnly => "read_only",
            ApiError::PassphraseTooShort { .. } | ApiError::DuressSameAsMain => "weak_passphrase",
            ApiError::DecoyOnly => "decoy_only",
            ApiError::NoDecoy => "no_decoy",
            ApiError::RecoveryKeyFormat => "bad_recovery_key",
            ApiError::UnknownForm(_) => "unknown_form",
            ApiError::InvalidForm(_) | ApiError::FormNotNewer { .. } => "invalid_form",
            ApiError::UnknownField { .. } => "unknown_field",
            ApiError::InvalidValue { .. } | ApiError::MissingRequired { .. } => "invalid_value",
            ApiError::RecordNotFound(_) | ApiError::AmbiguousId(_) => "record_not_found",
            ApiError::RecordDeleted(_) => "record_deleted",
            ApiError::AttachmentTooLarge { .. } => "attachment_too_large",
            ApiError::AttachmentNotFound(_) => "attachment_not_found",
            ApiError::InvalidCard | ApiError::InvalidPeerName | ApiError::PeerIsSelf => {
                "invalid_peer"
            }
            ApiError::PeerExists(_) => "peer_exists",
            ApiError::UnknownPeer(_) => "unknown_peer",
            ApiError::BundleRecipients { .. } => "bundle_recipients",
            ApiError::Bundle(_) | ApiError::UnknownSender | ApiError::BundleContent(_) => {
                "bundle_refused"
            }
            ApiError::NoConflict(_) | ApiError::NoSuchValue(_) => "no_conflict",
            ApiError::InvalidDraft(_) | ApiError::DraftTooLarge { .. } => "invalid_draft",
            ApiError::NoDraft(_) => "no_draft",
            ApiError::NotInQuarantine(_) => "not_in_quarantine",
            ApiError::Integrity(_) => "integrity",
            ApiError::Crypto(_) => "crypto",
            ApiError::Membership(_) => "membership",
            ApiError::FingerprintMismatch => "fingerprint_mismatch",
            ApiError::Cancelled => "cancelled",
            ApiError::ExportExists => "export_exists",
            ApiError::ExportNotWritten | ApiError::ExportIntoVault => "export_not_written",
            ApiError::ExportCellTooLong { .. } | ApiError::ExportTooManyRows { .. } => {
                "export_too_large"
            }
            ApiError::Store(_) => "database",
            ApiError::Io(_) => "io",
        }
    }

    /// Whether this is an authentication failure (CLI exit code 3).
    pub fn is_auth(&self) -> bool {
        matches!(self, ApiError::WrongPassphrase | ApiError::WrongRecoveryKey)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DoesNotDecrypt | StoreError::Damaged | StoreError::Corrupt(_) => {
                ApiError::DatabaseDamaged
            }
            StoreError::Op(op) => ApiError::Integrity(op.to_string()),
            StoreError::NewerSchema { .. } => ApiError::NewerVersion,
            StoreError::Missing => ApiError::Incomplete,
            StoreError::Exists => ApiError::VaultExists,
            StoreError::DiskFull => ApiError::DiskFull,
            StoreError::WriteFailed => ApiError::WriteFailed,
            StoreError::Busy => ApiError::Busy,
            StoreError::ReadOnly => ApiError::ReadOnly,
            StoreError::Io(kind) => ApiError::from(std::io::Error::from(kind)),
            StoreError::Interrupted => ApiError::Cancelled,
            other => ApiError::Store(other),
        }
    }
}

impl From<satchel_forms::FormError> for ApiError {
    fn from(e: satchel_forms::FormError) -> Self {
        use satchel_forms::FormError;
        match e {
            FormError::Invalid(reason) => ApiError::InvalidForm(reason),
            FormError::UnknownField { form, field } => ApiError::UnknownField { form, field },
            FormError::InvalidValue { field, reason } => ApiError::InvalidValue { field, reason },
            other => ApiError::InvalidForm(other.to_string()),
        }
    }
}

impl From<CryptoError> for ApiError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::DecryptionFailed => ApiError::WrongPassphrase,
            CryptoError::KeyslotsSize => ApiError::KeyslotsDamaged,
            CryptoError::NewerFormat => ApiError::NewerVersion,
            CryptoError::RecoveryKeyFormat => ApiError::RecoveryKeyFormat,
            other => ApiError::Crypto(other),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                ApiError::DiskFull
            }
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                ApiError::ReadOnly
            }
            kind => ApiError::Io(kind),
        }
    }
}

impl From<satchel_sync::OpError> for ApiError {
    fn from(e: satchel_sync::OpError) -> Self {
        match e {
            satchel_sync::OpError::Crypto(c) => ApiError::from(c),
            other => ApiError::Integrity(other.to_string()),
        }
    }
}

/// Shorthand.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl From<satchel_crypto::bundle::BundleError> for ApiError {
    fn from(e: satchel_crypto::bundle::BundleError) -> Self {
        match e {
            satchel_crypto::bundle::BundleError::Io(kind) => {
                ApiError::from(std::io::Error::from(kind))
            }
            satchel_crypto::bundle::BundleError::UnknownSender => ApiError::UnknownSender,
            other => ApiError::Bundle(other),
        }
    }
}
