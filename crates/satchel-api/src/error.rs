//! The errors front ends see. Each has a stable code ([`ErrorCode`]) and parameters
//! ([`ApiError::params`]) that a front end translates without the English text, and
//! an English message (`Display`) for the command line; none holds a secret, a path
//! or record content.

use std::collections::BTreeMap;

use satchel_crypto::CryptoError;
use satchel_crypto::bundle::BundleError;
use satchel_forms::{ProblemParam, ValueProblem};
use satchel_store::StoreError;

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// Every error code a front end may receive: the app's translation table is
        /// typed against this list (ADR 0031). The shell's own codes are here too, so
        /// there is one list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, ts_rs::TS)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// All of them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// As it crosses IPC and appears in the CLI's JSON.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

codes! {
    /// No slot opened with that passphrase.
    WrongPassphrase = "wrong_passphrase",
    /// The recovery key did not open the vault.
    WrongRecoveryKey = "wrong_recovery_key",
    /// No vault here.
    NoVault = "no_vault",
    /// A vault exists here already.
    VaultExists = "vault_exists",
    /// A vault file is missing.
    VaultIncomplete = "vault_incomplete",
    /// Written by a newer Satchel.
    NewerVersion = "newer_version",
    /// The keyslots or the database is damaged.
    VaultDamaged = "vault_damaged",
    /// Erased, with other files left in the folder (`left`).
    WipeIncomplete = "wipe_incomplete",
    /// The disk is full.
    DiskFull = "disk_full",
    /// A write failed.
    WriteFailed = "write_failed",
    /// Open elsewhere.
    Busy = "busy",
    /// Cannot be written.
    ReadOnly = "read_only",
    /// A passphrase shorter than `min` characters.
    WeakPassphrase = "weak_passphrase",
    /// The duress passphrase equals the vault's.
    DuressSameAsMain = "duress_same_as_main",
    /// Asked of the decoy.
    DecoyOnly = "decoy_only",
    /// No decoy yet.
    NoDecoy = "no_decoy",
    /// Not a recovery key.
    BadRecoveryKey = "bad_recovery_key",
    /// No form named `form`.
    UnknownForm = "unknown_form",
    /// A form definition that is not valid.
    InvalidForm = "invalid_form",
    /// Form `form` is installed at `version` or newer.
    FormNotNewer = "form_not_newer",
    /// An XLSForm refused: `problem` (a code), with `construct` and where
    /// (`sheet`, `row`, `column`) when known.
    XlsForm = "xlsform",
    /// Form `form` has no field `field`.
    UnknownField = "unknown_field",
    /// A value of `field` does not fit: `problem` (with `max`, `form`).
    InvalidValue = "invalid_value",
    /// `field` is required.
    MissingRequired = "missing_required",
    /// A records filter that cannot be applied (a date that is not one, a start
    /// after the end, an author that is not a device id).
    InvalidFilter = "invalid_filter",
    /// No such record.
    RecordNotFound = "record_not_found",
    /// A short id matching several records.
    AmbiguousId = "ambiguous_id",
    /// The record is deleted.
    RecordDeleted = "record_deleted",
    /// An attachment over `limit` MiB.
    AttachmentTooLarge = "attachment_too_large",
    /// No such attachment.
    AttachmentNotFound = "attachment_not_found",
    /// Not an identity card.
    InvalidCard = "invalid_card",
    /// A peer name that is not allowed.
    InvalidPeerName = "invalid_peer_name",
    /// This device's own card.
    PeerIsSelf = "peer_is_self",
    /// A peer `name` (or that key) exists.
    PeerExists = "peer_exists",
    /// No peer `name`.
    UnknownPeer = "unknown_peer",
    /// A bundle is for 1 to `max` peers.
    BundleRecipients = "bundle_recipients",
    /// A bundle refused: `reason` (with `form`).
    BundleRefused = "bundle_refused",
    /// `field` has no conflict.
    NoConflict = "no_conflict",
    /// No value of the conflict has that id.
    NoSuchValue = "no_such_value",
    /// No such op in quarantine.
    NotInQuarantine = "not_in_quarantine",
    /// Not a draft's key.
    InvalidDraft = "invalid_draft",
    /// A draft over `limit` KiB.
    DraftTooLarge = "draft_too_large",
    /// No draft under that key.
    NoDraft = "no_draft",
    /// The vault's history failed verification.
    Integrity = "integrity",
    /// Randomness or key derivation failed.
    Crypto = "crypto",
    /// The words are not the device's fingerprint.
    FingerprintMismatch = "fingerprint_mismatch",
    /// An organisation step refused: `reason` (with `name`, `max`).
    Membership = "membership",
    /// Stopped on request.
    Cancelled = "cancelled",
    /// A report file of that name is already there.
    ExportExists = "export_exists",
    /// A report could not be written to that folder (or it was the vault's own).
    ExportNotWritten = "export_not_written",
    /// More than an XLSX file holds: `max` characters in a cell, or `max` rows.
    ExportTooLarge = "export_too_large",
    /// A file that cannot be checked as an audit export: `reason` (with `max`).
    AuditExportUnreadable = "audit_export_unreadable",
    /// A relay step failed: `reason`.
    Relay = "relay",
    /// The safe-to-sync policy holds network sync back now: `reason` (with
    /// `minutes`).
    SyncNotAllowed = "sync_not_allowed",
    /// A safe-to-sync policy that cannot be set: `reason`.
    InvalidSyncPolicy = "invalid_sync_policy",
    /// Another database failure.
    Database = "database",
    /// Another file-system failure.
    Io = "io",
    /// The shell: the vault is locked.
    VaultLocked = "vault_locked",
    /// The shell: the vault is already unlocked.
    VaultUnlocked = "vault_unlocked",
    /// The shell: the confirmation does not match.
    WrongConfirmation = "wrong_confirmation",
    /// The shell: too much staged at once.
    TooLarge = "too_large",
    /// The shell: the drive is gone.
    NoDrive = "no_drive",
    /// The shell: a worker failed.
    Internal = "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parameter of an error: a name people gave (a field, a peer, a form, a
/// member) or a number. Never a value typed into a record, a path or a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum ErrorParam {
    /// A name, or a reason's code.
    Text(String),
    /// A count, a size or a version.
    Number(u64),
}

impl From<&str> for ErrorParam {
    fn from(s: &str) -> Self {
        ErrorParam::Text(s.to_owned())
    }
}

impl From<String> for ErrorParam {
    fn from(s: String) -> Self {
        ErrorParam::Text(s)
    }
}

impl From<u64> for ErrorParam {
    fn from(n: u64) -> Self {
        ErrorParam::Number(n)
    }
}

impl From<usize> for ErrorParam {
    fn from(n: usize) -> Self {
        ErrorParam::Number(n as u64)
    }
}

/// An error's parameters by name.
pub type ErrorParams = BTreeMap<String, ErrorParam>;

/// Why a bundle's content was refused as a whole (the envelope's reasons are
/// [`BundleError`]'s).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleRefusal {
    /// Imported before.
    AlreadyImported,
    /// The sender numbered two bundles alike.
    BundleFork,
    /// An op reuses its author's sequence number.
    OpFork,
    /// An op's clock is more than a day ahead.
    ClockAhead,
    /// A form in it cannot be installed (the form's name).
    Form(String),
    /// Its organisation objects do not fit those held.
    Membership,
    /// Its body is not well formed.
    Malformed,
    /// The sender's log is smaller than when last seen: its history went back.
    LogRewound,
    /// The sender's log does not extend the one last seen: its history was rewritten.
    LogForked,
    /// Nothing in it shows that the sender's log extends the one last seen.
    LogUnproven,
}

impl BundleRefusal {
    fn code(&self) -> &'static str {
        match self {
            BundleRefusal::AlreadyImported => "already_imported",
            BundleRefusal::BundleFork => "bundle_fork",
            BundleRefusal::OpFork => "op_fork",
            BundleRefusal::ClockAhead => "clock_ahead",
            BundleRefusal::Form(_) => "form",
            BundleRefusal::Membership => "membership",
            BundleRefusal::Malformed => "invalid_content",
            BundleRefusal::LogRewound => "log_rewound",
            BundleRefusal::LogForked => "log_forked",
            BundleRefusal::LogUnproven => "log_unproven",
        }
    }
}

/// The reason code of an envelope's refusal.
fn bundle_reason(e: &BundleError) -> &'static str {
    match e {
        BundleError::NotForUs => "not_for_us",
        BundleError::Damaged => "damaged",
        BundleError::BadSignature => "bad_signature",
        BundleError::UnknownSender => "unknown_sender",
        BundleError::NewerVersion => "newer_version",
        BundleError::OlderVersion => "older_version",
        BundleError::Malformed(_) => "malformed",
        BundleError::TooLarge => "too_large",
        BundleError::Recipients => "recipients",
        BundleError::Random => "random",
        BundleError::Io(_) => "unreadable",
        _ => "other",
    }
}

/// Why a file cannot be checked as an audit export (docs/audit-format.md). The
/// file may be anything the user picked, so nothing of its content is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditFileProblem {
    /// Not an audit export: not JSON, or JSON of something else.
    NotExport,
    /// An export of a version newer than this build reads.
    NewerVersion,
    /// Larger than the front end reads, `max_mib` MiB.
    TooLarge {
        /// The limit.
        max_mib: u64,
    },
}

impl AuditFileProblem {
    fn code(self) -> &'static str {
        match self {
            AuditFileProblem::NotExport => "not_export",
            AuditFileProblem::NewerVersion => "newer_version",
            AuditFileProblem::TooLarge { .. } => "too_large",
        }
    }
}

impl std::fmt::Display for AuditFileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditFileProblem::NotExport => f.write_str("that file is not a Satchel audit export"),
            AuditFileProblem::NewerVersion => f.write_str(
                "that audit export was written by a newer version of Satchel; update Satchel to check it",
            ),
            AuditFileProblem::TooLarge { max_mib } => write!(
                f,
                "that file is larger than the {max_mib} MiB an audit export may be here"
            ),
        }
    }
}

/// Why a relay step failed (docs/relay.md). Nothing here names the relay or a
/// mailbox: the user knows which they asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayProblem {
    /// The relay, or the proxy, could not be reached, or the connection broke: a
    /// transfer resumes where it stopped next time.
    Unreachable,
    /// The relay knows no such mailbox, or the token is wrong.
    NotFound,
    /// The mailbox, or the relay's disk, is full.
    Full,
    /// The relay asks to wait before trying again.
    RateLimited,
    /// The relay answered something else.
    Refused,
    /// The proxy is not `socks5h://HOST:PORT`.
    BadProxy,
    /// The relay's address is not an `https://` or `http://` URL.
    BadUrl,
    /// The relay would not make a mailbox: registration closed or token wrong.
    RegistrationRefused,
    /// Not a mailbox as `satchel-relay mailbox create` prints it.
    BadMailbox,
    /// That relay is added already.
    Exists,
    /// No relay at that address is added.
    Unknown,
    /// As many relays as a bundle names are added already (`max`).
    TooMany,
    /// No relay is set up on this device and no peer named one: nothing to sync.
    NoneSet,
}

impl RelayProblem {
    fn code(self) -> &'static str {
        match self {
            RelayProblem::Unreachable => "unreachable",
            RelayProblem::NotFound => "not_found",
            RelayProblem::Full => "full",
            RelayProblem::RateLimited => "rate_limited",
            RelayProblem::Refused => "refused",
            RelayProblem::BadProxy => "bad_proxy",
            RelayProblem::BadUrl => "bad_url",
            RelayProblem::RegistrationRefused => "registration_refused",
            RelayProblem::BadMailbox => "bad_mailbox",
            RelayProblem::Exists => "exists",
            RelayProblem::Unknown => "unknown",
            RelayProblem::TooMany => "too_many",
            RelayProblem::NoneSet => "none_set",
        }
    }

    /// Every one, for the examples.
    pub const ALL: &'static [RelayProblem] = &[
        RelayProblem::Unreachable,
        RelayProblem::NotFound,
        RelayProblem::Full,
        RelayProblem::RateLimited,
        RelayProblem::Refused,
        RelayProblem::BadProxy,
        RelayProblem::BadUrl,
        RelayProblem::RegistrationRefused,
        RelayProblem::BadMailbox,
        RelayProblem::Exists,
        RelayProblem::Unknown,
        RelayProblem::TooMany,
        RelayProblem::NoneSet,
    ];
}

impl std::fmt::Display for RelayProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RelayProblem::Unreachable => {
                "the relay could not be reached (or the proxy, if one is set); what was cut resumes next time"
            }
            RelayProblem::NotFound => "the relay knows no such mailbox, or its token is wrong",
            RelayProblem::Full => "the mailbox on the relay is full, or the relay's disk is",
            RelayProblem::RateLimited => "the relay asks to wait a minute before trying again",
            RelayProblem::Refused => "the relay refused the request",
            RelayProblem::BadProxy => "the proxy must be socks5h://HOST:PORT",
            RelayProblem::BadUrl => "the relay's address must be an https:// (or http://) URL",
            RelayProblem::RegistrationRefused => {
                "the relay would not make a mailbox: registration is closed there, or the token is wrong"
            }
            RelayProblem::BadMailbox => {
                "that is not a mailbox as `satchel-relay mailbox create` prints it ({\"mailbox\", \"deposit\", \"collect\"})"
            }
            RelayProblem::Exists => "a relay at that address is set up already",
            RelayProblem::Unknown => "no relay at that address is set up; see `satchel relay list`",
            RelayProblem::TooMany => "as many relays as Satchel uses are set up already",
            RelayProblem::NoneSet => {
                "no relay is set up here and no peer named one: add one with `satchel relay add`, or sync by file"
            }
        })
    }
}

/// Why the safe-to-sync policy holds network sync back now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncHeld {
    /// Only when asked: nothing syncs on its own.
    ManualOnly,
    /// Outside the policy's time windows.
    OutsideWindow,
    /// Too soon after unlock: `minutes` more.
    AfterUnlock {
        /// Minutes left, rounded up.
        minutes: u64,
    },
    /// Only through the proxy, and none is set.
    ProxyRequired,
}

impl SyncHeld {
    fn code(self) -> &'static str {
        match self {
            SyncHeld::ManualOnly => "manual_only",
            SyncHeld::OutsideWindow => "outside_window",
            SyncHeld::AfterUnlock { .. } => "after_unlock",
            SyncHeld::ProxyRequired => "proxy_required",
        }
    }
}

impl std::fmt::Display for SyncHeld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncHeld::ManualOnly => f.write_str("the policy syncs only when asked"),
            SyncHeld::OutsideWindow => {
                f.write_str("it is outside the policy's sync hours; nothing was sent")
            }
            SyncHeld::AfterUnlock { minutes } => write!(
                f,
                "the policy holds network sync for {minutes} more minute(s) after unlock; nothing was sent"
            ),
            SyncHeld::ProxyRequired => f.write_str(
                "the policy allows sync only through a proxy, and none is set; nothing was sent",
            ),
        }
    }
}

/// A safe-to-sync policy that cannot be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyProblem {
    /// A time window is not `HH:MM-HH:MM`, or is empty.
    Window,
    /// The proxy is not `socks5h://HOST:PORT`.
    Proxy,
    /// An interval out of range.
    Minutes,
}

impl PolicyProblem {
    fn code(self) -> &'static str {
        match self {
            PolicyProblem::Window => "window",
            PolicyProblem::Proxy => "proxy",
            PolicyProblem::Minutes => "minutes",
        }
    }
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PolicyProblem::Window => {
                "a sync window is HH:MM-HH:MM in local time, for example 22:00-06:00 (at most 8)"
            }
            PolicyProblem::Proxy => "the proxy must be socks5h://HOST:PORT",
            PolicyProblem::Minutes => {
                "the interval is 5 to 1440 minutes, and the wait after unlock 0 to 1440"
            }
        })
    }
}

impl From<satchel_audit::export::ExportError> for ApiError {
    fn from(e: satchel_audit::export::ExportError) -> Self {
        use satchel_audit::export::ExportError;
        // The parser's detail may quote the file (a field name, a value): left out.
        ApiError::AuditFile(match e {
            ExportError::Newer(_) => AuditFileProblem::NewerVersion,
            _ => AuditFileProblem::NotExport,
        })
    }
}

/// Which rule refused an organisation or enrolment step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberReason {
    /// The vault is in no organisation.
    NotInOrganisation,
    /// The vault is in an organisation already (`name`).
    AlreadyInOrganisation,
    /// No member by that name (`name`).
    NoMember,
    /// Several devices by that name (`name`).
    SeveralMembers,
    /// A certificate lasts 1 to `max` days.
    ValidDays,
    /// An organisation's name is 1 to 80 characters.
    OrganisationName,
    /// Not a role.
    Role,
    /// The request is this device's own.
    OwnRequest,
    /// No certificate is for this device.
    NotForThisDevice,
    /// For another organisation.
    WrongOrganisation,
    /// This device is not a member now.
    NotMemberNow,
    /// Coordinators keep every record.
    CoordinatorsKeep,
    /// A field worker's bundle is for one field worker.
    FieldWorkerExport,
    /// Auditors write nothing.
    AuditorWritesNothing,
    /// Only coordinators may.
    CoordinatorOnly,
    /// Field workers change only their own or assigned records.
    NotCreatorOrAssignee,
    /// Field workers purge only records they created.
    PurgeNotCreator,
    /// The record's creation is not known here.
    UnknownRecord,
    /// A damaged membership object.
    Malformed,
    /// Written by a newer Satchel.
    NewerFormat,
    /// A signature does not verify.
    BadSignature,
    /// Pasted text that is not whole.
    BadText,
    /// A member name that is not allowed.
    MemberName,
    /// A validity period that is not allowed.
    Validity,
    /// Signed by a device that is not a coordinator.
    IssuerNotCoordinator,
    /// The certificate is not known.
    UnknownCertificate,
    /// That would revoke the last coordinator.
    LastCoordinator,
    /// The device was revoked.
    DeviceRevoked,
    /// A revocation from op 0.
    FromSeq,
    /// Anything else.
    Other,
}

impl MemberReason {
    /// A stable code, the `reason` parameter of a `membership` error.
    pub const fn code(self) -> &'static str {
        match self {
            MemberReason::NotInOrganisation => "not_in_organisation",
            MemberReason::AlreadyInOrganisation => "already_in_organisation",
            MemberReason::NoMember => "no_member",
            MemberReason::SeveralMembers => "several_members",
            MemberReason::ValidDays => "valid_days",
            MemberReason::OrganisationName => "organisation_name",
            MemberReason::Role => "role",
            MemberReason::OwnRequest => "own_request",
            MemberReason::NotForThisDevice => "not_for_this_device",
            MemberReason::WrongOrganisation => "wrong_organisation",
            MemberReason::NotMemberNow => "not_member_now",
            MemberReason::CoordinatorsKeep => "coordinators_keep",
            MemberReason::FieldWorkerExport => "field_worker_export",
            MemberReason::AuditorWritesNothing => "auditor_writes_nothing",
            MemberReason::CoordinatorOnly => "coordinator_only",
            MemberReason::NotCreatorOrAssignee => "not_creator_or_assignee",
            MemberReason::PurgeNotCreator => "purge_not_creator",
            MemberReason::UnknownRecord => "unknown_record",
            MemberReason::Malformed => "malformed",
            MemberReason::NewerFormat => "newer_format",
            MemberReason::BadSignature => "bad_signature",
            MemberReason::BadText => "bad_text",
            MemberReason::MemberName => "member_name",
            MemberReason::Validity => "validity",
            MemberReason::IssuerNotCoordinator => "issuer_not_coordinator",
            MemberReason::UnknownCertificate => "unknown_certificate",
            MemberReason::LastCoordinator => "last_coordinator",
            MemberReason::DeviceRevoked => "device_revoked",
            MemberReason::FromSeq => "from_seq",
            MemberReason::Other => "other",
        }
    }

    /// Every reason, for the front ends' translation tests.
    pub const ALL: &'static [MemberReason] = &[
        MemberReason::NotInOrganisation,
        MemberReason::AlreadyInOrganisation,
        MemberReason::NoMember,
        MemberReason::SeveralMembers,
        MemberReason::ValidDays,
        MemberReason::OrganisationName,
        MemberReason::Role,
        MemberReason::OwnRequest,
        MemberReason::NotForThisDevice,
        MemberReason::WrongOrganisation,
        MemberReason::NotMemberNow,
        MemberReason::CoordinatorsKeep,
        MemberReason::FieldWorkerExport,
        MemberReason::AuditorWritesNothing,
        MemberReason::CoordinatorOnly,
        MemberReason::NotCreatorOrAssignee,
        MemberReason::PurgeNotCreator,
        MemberReason::UnknownRecord,
        MemberReason::Malformed,
        MemberReason::NewerFormat,
        MemberReason::BadSignature,
        MemberReason::BadText,
        MemberReason::MemberName,
        MemberReason::Validity,
        MemberReason::IssuerNotCoordinator,
        MemberReason::UnknownCertificate,
        MemberReason::LastCoordinator,
        MemberReason::DeviceRevoked,
        MemberReason::FromSeq,
        MemberReason::Other,
    ];
}

impl From<&satchel_sync::member::MemberError> for MemberReason {
    fn from(e: &satchel_sync::member::MemberError) -> Self {
        use satchel_sync::member::MemberError as E;
        match e {
            E::Malformed(_) => MemberReason::Malformed,
            E::NewerFormat => MemberReason::NewerFormat,
            E::BadSignature => MemberReason::BadSignature,
            E::BadText(_) => MemberReason::BadText,
            E::WrongOrganisation => MemberReason::WrongOrganisation,
            E::BadName => MemberReason::MemberName,
            E::BadValidity => MemberReason::Validity,
            E::IssuerNotCoordinator => MemberReason::IssuerNotCoordinator,
            E::UnknownCertificate => MemberReason::UnknownCertificate,
            E::LastCoordinator => MemberReason::LastCoordinator,
            E::DeviceRevoked => MemberReason::DeviceRevoked,
            E::BadFromSeq => MemberReason::FromSeq,
            _ => MemberReason::Other,
        }
    }
}

impl From<satchel_sync::authz::DenyReason> for MemberReason {
    fn from(r: satchel_sync::authz::DenyReason) -> Self {
        use satchel_sync::authz::DenyReason as R;
        match r {
            R::AuditorWritesNothing => MemberReason::AuditorWritesNothing,
            R::CoordinatorOnly => MemberReason::CoordinatorOnly,
            R::NotCreatorOrAssignee => MemberReason::NotCreatorOrAssignee,
            R::PurgeNotCreator => MemberReason::PurgeNotCreator,
            R::UnknownRecord => MemberReason::UnknownRecord,
            _ => MemberReason::Other,
        }
    }
}

/// An organisation or enrolment step refused: the rule, the name it concerns (a
/// member's or the organisation's, as people gave it), and the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRefusal {
    /// The rule.
    pub reason: MemberReason,
    /// A name, or a limit, the translation shows.
    pub params: Vec<(&'static str, ErrorParam)>,
    /// The English sentence (command line).
    pub message: String,
}

impl MembershipRefusal {
    /// A refusal with no parameter.
    pub fn new(reason: MemberReason, message: impl std::fmt::Display) -> Self {
        Self {
            reason,
            params: Vec::new(),
            message: message.to_string(),
        }
    }

    /// With a parameter.
    pub fn with(mut self, name: &'static str, value: impl Into<ErrorParam>) -> Self {
        self.params.push((name, value.into()));
        self
    }
}

impl std::fmt::Display for MembershipRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

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
    /// An XLSForm spreadsheet that cannot be imported, and where.
    #[error("{0}")]
    XlsForm(Box<satchel_xlsform::XlsFormError>),
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
    #[error("field `{field}`: {problem}")]
    InvalidValue {
        /// Field id.
        field: String,
        /// What was expected (never the value itself).
        problem: ValueProblem,
    },
    /// A required field is missing or empty.
    #[error("field `{field}` is required")]
    MissingRequired {
        /// Field id.
        field: String,
    },
    /// A list filter that cannot be applied (what is wrong, never a value from a record).
    #[error("{0}")]
    InvalidFilter(String),
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
    #[error("bundle refused: {detail}")]
    BundleContent {
        /// Why, for front ends.
        reason: BundleRefusal,
        /// Why, in English.
        detail: String,
    },
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
    Membership(MembershipRefusal),
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
    /// A file given as an audit export cannot be checked as one.
    #[error("{0}")]
    AuditFile(AuditFileProblem),
    /// A relay step failed.
    #[error("{0}")]
    Relay(RelayProblem),
    /// The safe-to-sync policy holds network sync back now.
    #[error("not now: {0}")]
    SyncHeld(SyncHeld),
    /// A safe-to-sync policy that cannot be set.
    #[error("{0}")]
    InvalidSyncPolicy(PolicyProblem),
    /// Any other database failure.
    #[error("{0}")]
    Store(StoreError),
    /// A file-system failure.
    #[error("file system error: {0}")]
    Io(std::io::ErrorKind),
}

impl ApiError {
    /// A stable code for scripts and IPC (`{code, params, message}`).
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::WrongPassphrase => ErrorCode::WrongPassphrase,
            ApiError::WrongRecoveryKey => ErrorCode::WrongRecoveryKey,
            ApiError::NoVault => ErrorCode::NoVault,
            ApiError::WipeLeftFiles { .. } => ErrorCode::WipeIncomplete,
            ApiError::VaultExists => ErrorCode::VaultExists,
            ApiError::Incomplete => ErrorCode::VaultIncomplete,
            ApiError::NewerVersion => ErrorCode::NewerVersion,
            ApiError::KeyslotsDamaged | ApiError::DatabaseDamaged => ErrorCode::VaultDamaged,
            ApiError::DiskFull => ErrorCode::DiskFull,
            ApiError::WriteFailed => ErrorCode::WriteFailed,
            ApiError::Busy => ErrorCode::Busy,
            ApiError::ReadOnly => ErrorCode::ReadOnly,
            ApiError::PassphraseTooShort { .. } => ErrorCode::WeakPassphrase,
            ApiError::DuressSameAsMain => ErrorCode::DuressSameAsMain,
            ApiError::DecoyOnly => ErrorCode::DecoyOnly,
            ApiError::NoDecoy => ErrorCode::NoDecoy,
            ApiError::RecoveryKeyFormat => ErrorCode::BadRecoveryKey,
            ApiError::UnknownForm(_) => ErrorCode::UnknownForm,
            ApiError::InvalidForm(_) => ErrorCode::InvalidForm,
            ApiError::FormNotNewer { .. } => ErrorCode::FormNotNewer,
            ApiError::XlsForm(_) => ErrorCode::XlsForm,
            ApiError::UnknownField { .. } => ErrorCode::UnknownField,
            ApiError::InvalidValue { .. } => ErrorCode::InvalidValue,
            ApiError::MissingRequired { .. } => ErrorCode::MissingRequired,
            ApiError::InvalidFilter(_) => ErrorCode::InvalidFilter,
            ApiError::RecordNotFound(_) => ErrorCode::RecordNotFound,
            ApiError::AmbiguousId(_) => ErrorCode::AmbiguousId,
            ApiError::RecordDeleted(_) => ErrorCode::RecordDeleted,
            ApiError::AttachmentTooLarge { .. } => ErrorCode::AttachmentTooLarge,
            ApiError::AttachmentNotFound(_) => ErrorCode::AttachmentNotFound,
            ApiError::InvalidCard => ErrorCode::InvalidCard,
            ApiError::InvalidPeerName => ErrorCode::InvalidPeerName,
            ApiError::PeerIsSelf => ErrorCode::PeerIsSelf,
            ApiError::PeerExists(_) => ErrorCode::PeerExists,
            ApiError::UnknownPeer(_) => ErrorCode::UnknownPeer,
            ApiError::BundleRecipients { .. } => ErrorCode::BundleRecipients,
            ApiError::Bundle(_) | ApiError::UnknownSender | ApiError::BundleContent { .. } => {
                ErrorCode::BundleRefused
            }
            ApiError::NoConflict(_) => ErrorCode::NoConflict,
            ApiError::NoSuchValue(_) => ErrorCode::NoSuchValue,
            ApiError::InvalidDraft(_) => ErrorCode::InvalidDraft,
            ApiError::DraftTooLarge { .. } => ErrorCode::DraftTooLarge,
            ApiError::NoDraft(_) => ErrorCode::NoDraft,
            ApiError::NotInQuarantine(_) => ErrorCode::NotInQuarantine,
            ApiError::Integrity(_) => ErrorCode::Integrity,
            ApiError::Crypto(_) => ErrorCode::Crypto,
            ApiError::Membership(_) => ErrorCode::Membership,
            ApiError::FingerprintMismatch => ErrorCode::FingerprintMismatch,
            ApiError::Cancelled => ErrorCode::Cancelled,
            ApiError::ExportExists => ErrorCode::ExportExists,
            ApiError::ExportNotWritten | ApiError::ExportIntoVault => ErrorCode::ExportNotWritten,
            ApiError::ExportCellTooLong { .. } | ApiError::ExportTooManyRows { .. } => {
                ErrorCode::ExportTooLarge
            }
            ApiError::AuditFile(_) => ErrorCode::AuditExportUnreadable,
            ApiError::Relay(_) => ErrorCode::Relay,
            ApiError::SyncHeld(_) => ErrorCode::SyncNotAllowed,
            ApiError::InvalidSyncPolicy(_) => ErrorCode::InvalidSyncPolicy,
            ApiError::Store(_) => ErrorCode::Database,
            ApiError::Io(_) => ErrorCode::Io,
        }
    }

    /// What a front end needs besides the code to say what went wrong in the
    /// user's language: reasons as codes, names people gave (fields, forms, peers,
    /// members), limits and counts. Never a value typed into a record, a path, an id
    /// typed to look something up, or a secret; `Display` may say more, in English.
    pub fn params(&self) -> ErrorParams {
        let mut p: Vec<(&'static str, ErrorParam)> = Vec::new();
        match self {
            ApiError::WipeLeftFiles { left } => p.push(("left", (*left).into())),
            ApiError::PassphraseTooShort { min } => p.push(("min", (*min).into())),
            ApiError::UnknownForm(form) => p.push(("form", form.as_str().into())),
            ApiError::XlsForm(e) => {
                p.push(("problem", e.code.as_str().into()));
                p.push(("construct", e.construct.as_str().into()));
                if let Some(sheet) = &e.sheet {
                    p.push(("sheet", sheet.as_str().into()));
                }
                if let Some(row) = e.row {
                    p.push(("row", u64::from(row).into()));
                }
                if let Some(column) = &e.column {
                    p.push(("column", column.as_str().into()));
                }
            }
            ApiError::FormNotNewer { name, have } => {
                p.push(("form", name.as_str().into()));
                p.push(("version", u64::try_from(*have).unwrap_or_default().into()));
            }
            ApiError::UnknownField { form, field } => {
                p.push(("form", form.as_str().into()));
                p.push(("field", field.as_str().into()));
            }
            ApiError::InvalidValue { field, problem } => {
                p.push(("field", field.as_str().into()));
                p.push(("problem", problem.code().into()));
                for (name, value) in problem.params() {
                    p.push((
                        name,
                        match value {
                            ProblemParam::Text(t) => ErrorParam::Text(t),
                            ProblemParam::Number(n) => ErrorParam::Number(n),
                        },
                    ));
                }
            }
            ApiError::MissingRequired { field } | ApiError::NoConflict(field) => {
                p.push(("field", field.as_str().into()));
            }
            ApiError::AttachmentTooLarge { limit_mib, .. } => {
                p.push(("limit", (*limit_mib).into()))
            }
            ApiError::ExportCellTooLong { field, max, .. } => {
                p.push(("field", field.as_str().into()));
                p.push(("max", u64::try_from(*max).unwrap_or(u64::MAX).into()));
            }
            ApiError::ExportTooManyRows { max } => p.push(("max", u64::from(*max).into())),
            ApiError::PeerExists(name) | ApiError::UnknownPeer(name) => {
                p.push(("name", name.as_str().into()));
            }
            ApiError::BundleRecipients { max } => p.push(("max", (*max).into())),
            ApiError::Bundle(e) => p.push(("reason", bundle_reason(e).into())),
            ApiError::UnknownSender => p.push(("reason", "unknown_sender".into())),
            ApiError::BundleContent { reason, .. } => {
                p.push(("reason", reason.code().into()));
                if let BundleRefusal::Form(name) = reason {
                    p.push(("form", name.as_str().into()));
                }
            }
            ApiError::DraftTooLarge { limit_kib } => p.push(("limit", (*limit_kib).into())),
            ApiError::AuditFile(problem) => {
                p.push(("reason", problem.code().into()));
                if let AuditFileProblem::TooLarge { max_mib } = problem {
                    p.push(("max", (*max_mib).into()));
                }
            }
            ApiError::Membership(r) => {
                p.push(("reason", r.reason.code().into()));
                p.extend(r.params.iter().cloned());
            }
            ApiError::Relay(r) => {
                p.push(("reason", r.code().into()));
                if *r == RelayProblem::TooMany {
                    p.push(("max", satchel_sync::bundle::MAX_REACH.into()));
                }
            }
            ApiError::SyncHeld(h) => {
                p.push(("reason", h.code().into()));
                if let SyncHeld::AfterUnlock { minutes } = h {
                    p.push(("minutes", (*minutes).into()));
                }
            }
            ApiError::InvalidSyncPolicy(r) => p.push(("reason", r.code().into())),
            _ => {}
        }
        p.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// One error of every kind, and of every reason of those that have one, as a
    /// front end may receive them: for the translation tests (the app's table is
    /// checked against these codes and parameters).
    pub fn examples() -> Vec<ApiError> {
        let mut all = vec![
            ApiError::WrongPassphrase,
            ApiError::WrongRecoveryKey,
            ApiError::NoVault,
            ApiError::VaultExists,
            ApiError::Incomplete,
            ApiError::NewerVersion,
            ApiError::KeyslotsDamaged,
            ApiError::DatabaseDamaged,
            ApiError::WipeLeftFiles { left: 2 },
            ApiError::DiskFull,
            ApiError::WriteFailed,
            ApiError::Busy,
            ApiError::ReadOnly,
            ApiError::PassphraseTooShort { min: 12 },
            ApiError::DuressSameAsMain,
            ApiError::DecoyOnly,
            ApiError::NoDecoy,
            ApiError::RecoveryKeyFormat,
            ApiError::UnknownForm("visit".into()),
            ApiError::InvalidForm("`name` must be 1-40 lower-case letters".into()),
            ApiError::XlsForm(Box::new(satchel_xlsform::XlsFormError {
                code: "unsupported".into(),
                sheet: Some("survey".into()),
                row: Some(12),
                column: Some("type".into()),
                construct: "begin repeat".into(),
                detail: "repeats are not supported".into(),
            })),
            ApiError::FormNotNewer {
                name: "contact".into(),
                have: 3,
            },
            ApiError::UnknownField {
                form: "contact".into(),
                field: "age".into(),
            },
            ApiError::MissingRequired {
                field: "name".into(),
            },
            ApiError::InvalidFilter("the start date is after the end date".into()),
            ApiError::RecordNotFound("0a1b2c".into()),
            ApiError::AmbiguousId("0a".into()),
            ApiError::RecordDeleted("0a1b2c".into()),
            ApiError::AttachmentTooLarge {
                name: "photo.jpg".into(),
                limit_mib: 1024,
            },
            ApiError::AttachmentNotFound("0a1b2c".into()),
            ApiError::InvalidCard,
            ApiError::InvalidPeerName,
            ApiError::PeerIsSelf,
            ApiError::PeerExists("Field office".into()),
            ApiError::UnknownPeer("Field office".into()),
            ApiError::BundleRecipients { max: 8 },
            ApiError::UnknownSender,
            ApiError::NoConflict("phone".into()),
            ApiError::NoSuchValue("0a1b2c".into()),
            ApiError::NotInQuarantine("0a1b2c3d".into()),
            ApiError::InvalidDraft("x".into()),
            ApiError::DraftTooLarge { limit_kib: 512 },
            ApiError::NoDraft("new:contact".into()),
            ApiError::Integrity("op chain broken at 3".into()),
            ApiError::Crypto(CryptoError::Random),
            ApiError::FingerprintMismatch,
            ApiError::Cancelled,
            ApiError::ExportExists,
            ApiError::ExportNotWritten,
            ApiError::ExportIntoVault,
            ApiError::ExportCellTooLong {
                record: "0a1b2c".into(),
                field: "notes".into(),
                max: 32_767,
            },
            ApiError::ExportTooManyRows { max: 1_048_575 },
            ApiError::AuditFile(AuditFileProblem::NotExport),
            ApiError::AuditFile(AuditFileProblem::NewerVersion),
            ApiError::AuditFile(AuditFileProblem::TooLarge { max_mib: 512 }),
            ApiError::Store(StoreError::Interrupted),
            ApiError::Io(std::io::ErrorKind::NotFound),
        ];
        all.extend(
            ValueProblem::examples()
                .into_iter()
                .map(|problem| ApiError::InvalidValue {
                    field: "age".into(),
                    problem,
                }),
        );
        all.extend(
            [
                BundleError::NotForUs,
                BundleError::Damaged,
                BundleError::BadSignature,
                BundleError::NewerVersion,
                BundleError::OlderVersion,
                BundleError::Malformed("trailing bytes"),
                BundleError::TooLarge,
                BundleError::Recipients,
                BundleError::Random,
                BundleError::Io(std::io::ErrorKind::UnexpectedEof),
            ]
            .into_iter()
            .map(ApiError::Bundle),
        );
        all.extend(
            [
                BundleRefusal::AlreadyImported,
                BundleRefusal::BundleFork,
                BundleRefusal::OpFork,
                BundleRefusal::ClockAhead,
                BundleRefusal::Form("visit".into()),
                BundleRefusal::Membership,
                BundleRefusal::Malformed,
                BundleRefusal::LogRewound,
                BundleRefusal::LogForked,
                BundleRefusal::LogUnproven,
            ]
            .into_iter()
            .map(|reason| ApiError::BundleContent {
                detail: format!("{reason:?}"),
                reason,
            }),
        );
        all.extend(RelayProblem::ALL.iter().map(|&r| ApiError::Relay(r)));
        all.extend(
            [
                SyncHeld::ManualOnly,
                SyncHeld::OutsideWindow,
                SyncHeld::AfterUnlock { minutes: 7 },
                SyncHeld::ProxyRequired,
            ]
            .map(ApiError::SyncHeld),
        );
        all.extend(
            [
                PolicyProblem::Window,
                PolicyProblem::Proxy,
                PolicyProblem::Minutes,
            ]
            .map(ApiError::InvalidSyncPolicy),
        );
        all.extend(MemberReason::ALL.iter().map(|&reason| {
            let r = MembershipRefusal::new(
                reason,
                format!("the organisation refused this step ({})", reason.code()),
            );
            ApiError::Membership(match reason {
                MemberReason::NoMember
                | MemberReason::SeveralMembers
                | MemberReason::AlreadyInOrganisation => r.with("name", "Worker F"),
                MemberReason::ValidDays => r.with("max", 3650u64),
                _ => r,
            })
        }));
        all
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
            FormError::InvalidValue { field, problem } => ApiError::InvalidValue { field, problem },
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

impl From<BundleError> for ApiError {
    fn from(e: BundleError) -> Self {
        match e {
            BundleError::Io(kind) => ApiError::from(std::io::Error::from(kind)),
            BundleError::UnknownSender => ApiError::UnknownSender,
            other => ApiError::Bundle(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameters each code's translation uses: every error with that code
    /// carries them.
    fn needs(code: ErrorCode) -> &'static [&'static str] {
        match code {
            ErrorCode::WipeIncomplete => &["left"],
            ErrorCode::WeakPassphrase => &["min"],
            ErrorCode::UnknownForm => &["form"],
            ErrorCode::FormNotNewer => &["form", "version"],
            ErrorCode::XlsForm => &["problem", "construct"],
            ErrorCode::UnknownField => &["form", "field"],
            ErrorCode::InvalidValue => &["field", "problem"],
            ErrorCode::MissingRequired | ErrorCode::NoConflict => &["field"],
            ErrorCode::AttachmentTooLarge | ErrorCode::DraftTooLarge => &["limit"],
            ErrorCode::PeerExists | ErrorCode::UnknownPeer => &["name"],
            ErrorCode::BundleRecipients => &["max"],
            ErrorCode::BundleRefused
            | ErrorCode::Membership
            | ErrorCode::AuditExportUnreadable
            | ErrorCode::Relay
            | ErrorCode::SyncNotAllowed
            | ErrorCode::InvalidSyncPolicy => &["reason"],
            _ => &[],
        }
    }

    /// Names every variant: a new one does not compile until it is given an
    /// example (and so a code and its parameters).
    fn variant(e: &ApiError) -> &'static str {
        match e {
            ApiError::WrongPassphrase => "WrongPassphrase",
            ApiError::WrongRecoveryKey => "WrongRecoveryKey",
            ApiError::NoVault => "NoVault",
            ApiError::VaultExists => "VaultExists",
            ApiError::Incomplete => "Incomplete",
            ApiError::NewerVersion => "NewerVersion",
            ApiError::KeyslotsDamaged => "KeyslotsDamaged",
            ApiError::DatabaseDamaged => "DatabaseDamaged",
            ApiError::WipeLeftFiles { .. } => "WipeLeftFiles",
            ApiError::DiskFull => "DiskFull",
            ApiError::WriteFailed => "WriteFailed",
            ApiError::Busy => "Busy",
            ApiError::ReadOnly => "ReadOnly",
            ApiError::PassphraseTooShort { .. } => "PassphraseTooShort",
            ApiError::DuressSameAsMain => "DuressSameAsMain",
            ApiError::DecoyOnly => "DecoyOnly",
            ApiError::NoDecoy => "NoDecoy",
            ApiError::RecoveryKeyFormat => "RecoveryKeyFormat",
            ApiError::UnknownForm(_) => "UnknownForm",
            ApiError::InvalidForm(_) => "InvalidForm",
            ApiError::FormNotNewer { .. } => "FormNotNewer",
            ApiError::XlsForm(_) => "XlsForm",
            ApiError::UnknownField { .. } => "UnknownField",
            ApiError::InvalidValue { .. } => "InvalidValue",
            ApiError::MissingRequired { .. } => "MissingRequired",
            ApiError::InvalidFilter(_) => "InvalidFilter",
            ApiError::RecordNotFound(_) => "RecordNotFound",
            ApiError::AmbiguousId(_) => "AmbiguousId",
            ApiError::RecordDeleted(_) => "RecordDeleted",
            ApiError::AttachmentTooLarge { .. } => "AttachmentTooLarge",
            ApiError::AttachmentNotFound(_) => "AttachmentNotFound",
            ApiError::InvalidCard => "InvalidCard",
            ApiError::InvalidPeerName => "InvalidPeerName",
            ApiError::PeerIsSelf => "PeerIsSelf",
            ApiError::PeerExists(_) => "PeerExists",
            ApiError::UnknownPeer(_) => "UnknownPeer",
            ApiError::BundleRecipients { .. } => "BundleRecipients",
            ApiError::Bundle(_) => "Bundle",
            ApiError::UnknownSender => "UnknownSender",
            ApiError::BundleContent { .. } => "BundleContent",
            ApiError::NoConflict(_) => "NoConflict",
            ApiError::NoSuchValue(_) => "NoSuchValue",
            ApiError::NotInQuarantine(_) => "NotInQuarantine",
            ApiError::InvalidDraft(_) => "InvalidDraft",
            ApiError::DraftTooLarge { .. } => "DraftTooLarge",
            ApiError::NoDraft(_) => "NoDraft",
            ApiError::Integrity(_) => "Integrity",
            ApiError::Crypto(_) => "Crypto",
            ApiError::FingerprintMismatch => "FingerprintMismatch",
            ApiError::Membership(_) => "Membership",
            ApiError::Cancelled => "Cancelled",
            ApiError::ExportExists => "ExportExists",
            ApiError::ExportNotWritten => "ExportNotWritten",
            ApiError::ExportIntoVault => "ExportIntoVault",
            ApiError::ExportCellTooLong { .. } => "ExportCellTooLong",
            ApiError::ExportTooManyRows { .. } => "ExportTooManyRows",
            ApiError::AuditFile(_) => "AuditFile",
            ApiError::Relay(_) => "Relay",
            ApiError::SyncHeld(_) => "SyncHeld",
            ApiError::InvalidSyncPolicy(_) => "InvalidSyncPolicy",
            ApiError::Store(_) => "Store",
            ApiError::Io(_) => "Io",
        }
    }

    const SHELL: &[ErrorCode] = &[
        ErrorCode::VaultLocked,
        ErrorCode::VaultUnlocked,
        ErrorCode::WrongConfirmation,
        ErrorCode::TooLarge,
        ErrorCode::NoDrive,
        ErrorCode::Internal,
    ];

    #[test]
    fn every_error_has_a_listed_code_and_the_params_its_translation_needs() {
        let examples = ApiError::examples();
        let variants: std::collections::BTreeSet<&str> = examples.iter().map(variant).collect();
        assert_eq!(
            variants.len(),
            62,
            "an example of every variant: {variants:?}"
        );
        let mut codes = std::collections::BTreeSet::new();
        for e in &examples {
            let code = e.code();
            assert!(ErrorCode::ALL.contains(&code), "{e:?}");
            codes.insert(code);
            let params = e.params();
            for name in needs(code) {
                assert!(
                    params.contains_key(*name),
                    "{e:?} lacks `{name}`: {params:?}"
                );
            }
            for (name, value) in &params {
                if let ErrorParam::Text(t) = value {
                    assert!(
                        !t.contains('/') && !t.contains(' ')
                            || ["name", "construct", "column"].contains(&name.as_str()),
                        "{name}: {t}"
                    );
                    assert!(!t.is_empty() && t.chars().count() <= 80, "{name}: {t}");
                }
            }
        }
        // Every listed code is reached: by an error of the vault, or by the shell.
        for code in ErrorCode::ALL {
            assert!(
                codes.contains(code) || SHELL.contains(code),
                "{code} is never sent"
            );
        }
    }

    #[test]
    fn reasons_are_codes_and_tell_each_case_apart() {
        let mut seen = std::collections::BTreeMap::new();
        for e in ApiError::examples() {
            let params = e.params();
            for key in ["reason", "problem"] {
                if let Some(ErrorParam::Text(r)) = params.get(key) {
                    assert!(r.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{r}");
                    seen.entry((e.code(), key, r.clone()))
                        .or_insert_with(Vec::new)
                        .push(format!("{e:?}"));
                }
            }
        }
        // No two cases share a reason: each says something of its own.
        for ((code, _, reason), cases) in &seen {
            assert_eq!(cases.len(), 1, "{code} {reason}: {cases:?}");
        }
    }

    #[test]
    fn a_refused_bundle_carries_its_reason_not_english() {
        let e = ApiError::from(BundleError::NotForUs);
        assert_eq!(e.code(), ErrorCode::BundleRefused);
        assert_eq!(
            e.params().get("reason"),
            Some(&ErrorParam::Text("not_for_us".into()))
        );
        // The command line keeps its English.
        assert!(e.to_string().starts_with("bundle refused: "));
    }

    #[test]
    fn a_file_that_is_not_an_audit_export_is_named_so_and_nothing_of_it_is_kept() {
        let parsed = satchel_audit::AuditExport::parse(br#"{"Kim Young-hee": "010-1234"}"#);
        let Err(why) = parsed else {
            panic!("not an export, yet it parsed");
        };
        assert!(
            why.to_string().contains("Kim"),
            "the parser quotes the file"
        );
        let e = ApiError::from(why);
        assert_eq!(e.code(), ErrorCode::AuditExportUnreadable);
        assert_eq!(
            e.params().get("reason"),
            Some(&ErrorParam::Text("not_export".into()))
        );
        let all = format!("{e} {e:?} {:?}", e.params());
        assert!(!all.contains("Kim") && !all.contains("010"), "{all}");
        let newer = satchel_audit::AuditExport::parse(
            br#"{"format":"satchel-audit-export","version":99,"exported_by":"00","devices":[]}"#,
        );
        let Err(newer) = newer else {
            panic!("a newer version parsed");
        };
        assert_eq!(
            ApiError::from(newer).params().get("reason"),
            Some(&ErrorParam::Text("newer_version".into()))
        );
    }

    #[test]
    fn params_never_hold_what_was_searched_for() {
        let e = ApiError::InvalidValue {
            field: "contact".into(),
            problem: ValueProblem::NoLinkMatch {
                form: "contact".into(),
                searched: "Kim Young-hee".into(),
            },
        };
        assert!(e.to_string().contains("Kim Young-hee"));
        let params = serde_json::to_string(&e.params()).unwrap_or_default();
        assert!(!params.contains("Kim"), "{params}");
    }

    #[test]
    fn codes_cross_as_their_names() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::String(code.as_str().into()))
            );
        }
    }
}
