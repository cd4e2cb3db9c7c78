//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Passphrases are read from a prompt that does not echo, or for scripts from
SATCHEL_PASSPHRASE or SATCHEL_PASSPHRASE_FILE. A new passphrase (init, passwd,
duress set, recover) comes from SATCHEL_NEW_PASSPHRASE or is asked for twice.
The recovery key for `recover` comes from SATCHEL_RECOVERY_KEY or a prompt.

Exit codes:
  0  success
  1  error (the message says what is wrong and what to do)
  2  usage error
  3  wrong passphrase or recovery key
  4  `audit verify` found anomalies (listed)";

/// Satchel: an encrypted, offline record keeper for field work.
#[derive(Debug, Parser)]
#[command(name = "satchel", version, after_help = AFTER_HELP, propagate_version = true)]
pub(crate) struct Cli {
    /// Vault directory [default: the platform data directory]
    #[arg(long, global = true, env = "SATCHEL_VAULT", value_name = "DIR")]
    pub(crate) vault: Option<PathBuf>,
    /// Print machine-readable JSON
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Language of form labels: en, ko or zh-Hans
    #[arg(long, global = true, env = "SATCHEL_LANG", default_value = "en")]
    pub(crate) lang: String,
    /// Work on the decoy, the records the duress passphrase opens, to prepare it
    /// (asks for the vault's own passphrase)
    #[arg(long, global = true)]
    pub(crate) decoy: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a vault; prints the device fingerprint and the recovery key (once)
    Init,
    /// Format version, device fingerprint, counts and KDF parameters (nothing secret)
    Info,
    /// Form definitions
    #[command(subcommand)]
    Form(FormCommand),
    /// Records
    #[command(subcommand)]
    Record(RecordCommand),
    /// Find records by any word or, in Korean and Chinese, any 2+ characters
    Search {
        /// What to look for
        query: String,
        /// Only this form
        #[arg(long)]
        form: Option<String>,
        #[command(flatten)]
        filter: FilterArgs,
        /// Most results to show (at most 200)
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Change the passphrase
    Passwd,
    /// Set a new passphrase using the recovery key
    Recover,
    /// Re-encrypt the vault under a new key and replace the recovery key (prints the
    /// new one once): copies of the keyslots file made earlier open nothing after it
    Rekey,
    /// The duress passphrase
    #[command(subcommand)]
    Duress(DuressCommand),
    /// Erase the vault for good, at once, without a passphrase
    Wipe {
        /// Confirm: everything in the vault is lost
        #[arg(long)]
        yes: bool,
    },
    /// Check every op's signature and chain, and the records against a replay
    Verify,
    /// This device's transparency log, for auditors
    #[command(subcommand)]
    Audit(AuditCommand),
    /// This device's identity card, for peers to add
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Devices this vault exchanges bundles with
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Encrypted sync bundles, carried by USB stick or any folder
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Synchronisation: state, network sync through relays, and when it may happen
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Relays: mailboxes this device collects bundles from over a network
    #[command(subcommand)]
    Relay(RelayCommand),
    /// Fields edited on two devices at once: every value is kept until resolved
    #[command(subcommand)]
    Conflicts(ConflictsCommand),
    /// Received ops not merged: waiting for predecessors, forks of a chain, invalid
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// What was typed into the app's record forms and not saved yet
    #[command(subcommand)]
    Drafts(DraftsCommand),
    /// The organisation: create one on a coordinator's device
    #[command(subcommand)]
    Org(OrgCommand),
    /// Join an organisation: request on the new device, approve on a coordinator's,
    /// accept on the new device
    #[command(subcommand)]
    Enrol(EnrolCommand),
    /// The organisation's members
    #[command(subcommand)]
    Member(MemberCommand),
    /// Write records of one form to a CSV or XLSX file for a report. The file is NOT
    /// encrypted: anyone who can read it can read the records
    Export {
        /// The form whose records to write
        #[arg(long)]
        form: String,
        /// Only these records (ids or unique prefixes), in this order [default: all,
        /// or those the filter below lets through]
        #[arg(
            long,
            value_delimiter = ',',
            value_name = "ID,...",
            conflicts_with_all = ["author", "changed_by", "since", "until"]
        )]
        ids: Option<Vec<String>>,
        #[command(flatten)]
        filter: FilterArgs,
        /// Only these fields, written in the form's order [default: all]
        #[arg(long, value_delimiter = ',', value_name = "FIELD,...")]
        fields: Option<Vec<String>>,
        /// Columns besides the fields
        #[arg(
            long,
            value_delimiter = ',',
            value_name = "COLUMN,...",
            value_parser = ["id", "created", "changed", "author", "attachments"]
        )]
        columns: Vec<String>,
        /// File format
        #[arg(long, value_parser = ["csv", "xlsx"])]
        format: String,
        /// The file to write (its folder must exist)
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        /// Replace the file if it exists
        #[arg(long)]
        force: bool,
        /// Confirm writing an unencrypted file (asked on a terminal otherwise)
        #[arg(long)]
        yes: bool,
    },
    /// Erase the content of records a coordinator has acknowledged, keeping the
    /// signed op headers; records assigned to this device stay (field devices)
    Offload {
        /// Only show what would go and what stays
        #[arg(long)]
        dry_run: bool,
        /// Offload after every import: on or off (default: on for field workers)
        #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
        policy: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organisation: its root key stays in this vault, and this device
    /// becomes its first coordinator
    Create {
        /// The organisation's name
        #[arg(long)]
        name: String,
        /// Your name as a member [default: coordinator]
        #[arg(long, default_value = "coordinator")]
        member_name: String,
        /// Days this device's certificate lasts
        #[arg(long, default_value_t = satchel_api::org::DEFAULT_VALID_DAYS)]
        valid_days: u64,
    },
    /// The organisation this vault is in
    Show,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EnrolCommand {
    /// On the new device: write a request to join, and show the fingerprint words
    /// the coordinator must compare
    Request {
        /// The member name to ask for
        #[arg(long)]
        name: String,
        /// File to write the request to (text, safe to carry)
        #[arg(long)]
        out: PathBuf,
    },
    /// On a coordinator's device: certify the device that made the request
    Approve {
        /// The request file
        file: PathBuf,
        /// field, coordinator or auditor
        #[arg(long)]
        role: String,
        /// The fingerprint words the requesting device shows on its own screen
        /// (at least the first four), typed here after reading them there
        #[arg(long)]
        fingerprint: String,
        /// Days the certificate lasts
        #[arg(long, default_value_t = satchel_api::org::DEFAULT_VALID_DAYS)]
        valid_days: u64,
        /// File to write the certificate to, for the device to accept
        #[arg(long)]
        out: PathBuf,
    },
    /// On the new device: accept the certificate a coordinator made for it
    Accept {
        /// The file `enrol approve` wrote
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MemberCommand {
    /// Every member: name, role, fingerprint, validity, last op seen
    List,
    /// Revoke a member's device (coordinators only), from a point in its own chain
    /// of ops: what it wrote before stays valid
    Revoke {
        /// The member's name, as `member list` shows it
        name: String,
        /// First op of the device refused [default: the one after the last op this
        /// vault holds from it]
        #[arg(long)]
        from_seq: Option<u64>,
        /// Also write the revocation to this file, to carry by hand (bundles carry it
        /// anyway)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Renew a member's certificate: same device, name and role, valid from now
    /// (coordinators only)
    Renew {
        /// The member's name, as `member list` shows it
        name: String,
        /// Days the new certificate is valid
        #[arg(long, default_value_t = satchel_api::org::DEFAULT_VALID_DAYS)]
        valid_days: u64,
    },
    /// Take certificates and revocations of this organisation carried by hand (as
    /// `enrol approve` writes them); bundles carry them too
    Import {
        /// A file of certificates and revocations, one per line
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DraftsCommand {
    /// List kept drafts, newest first
    List,
    /// Print one draft's input as JSON
    Show {
        /// `new:<form>` or `record:<id>`, from `drafts list`
        key: String,
    },
    /// Throw a draft away
    Discard {
        /// `new:<form>` or `record:<id>`, from `drafts list`
        key: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Sign and print a checkpoint of this device's log of ops (a C2SP signed note
    /// that standard transparency-log tools check), and the key that verifies it
    Checkpoint,
    /// Write every device's ops as signed headers, and the checkpoints kept, to FILE
    /// for an auditor: no record content, unless records are opened to the auditor
    Export {
        /// Where to write it
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Open this record to the auditor: its content and its ops' payloads, which
        /// the auditor checks against the signed headers (repeat for several)
        #[arg(long = "open", value_name = "RECORD")]
        open: Vec<String>,
        /// Open every record of this form (repeat for several)
        #[arg(long = "open-form", value_name = "FORM")]
        open_form: Vec<String>,
    },
    /// Check an audit export (no vault, no passphrase): signatures, each device's
    /// chain, its checkpoints against its ops and against each other, witnesses'
    /// cosignatures, and opened records against a replay of their ops. Exit code 4
    /// when anything was found
    Verify {
        /// The export
        file: PathBuf,
        /// Also write the report as one self-contained HTML file, to hand on
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum IdentityCommand {
    /// Print this device's card and fingerprint
    Show,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PeerCommand {
    /// Add a peer from its card (compare the fingerprint shown with the peer's own)
    Add {
        /// The peer's card, as printed by `satchel identity show` on its device
        card: String,
        /// A name for the peer
        #[arg(long)]
        name: String,
    },
    /// List peers, each verified or not
    List,
    /// Mark a peer verified: type the fingerprint words its own screen shows (at
    /// least the first four; English, Korean or Chinese)
    Verify {
        /// The peer's name
        name: String,
        /// The words, as read from the peer's own screen
        #[arg(long)]
        fingerprint: String,
    },
    /// Forget a peer; its bundles are refused from then on
    Remove {
        /// The peer's name
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum BundleCommand {
    /// Write one bundle for one or more peers into a folder
    Export {
        /// Peer names, comma-separated
        #[arg(long, value_delimiter = ',', required = true)]
        to: Vec<String>,
        /// Folder to write the bundle into
        #[arg(long)]
        out: PathBuf,
    },
    /// Import bundles
    Import {
        /// Bundle files
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Per peer: what it has acknowledged and what waits for it; the last network sync
    Status,
    /// Sync over the network now: deposit what each peer waits for into its
    /// mailbox, collect this device's, import what arrived. Asks the policy first
    Now {
        /// Through this SOCKS5 proxy (names resolved by it), e.g. Tor's
        /// socks5h://127.0.0.1:9050 [default: the policy's]
        #[arg(long, value_name = "socks5h://HOST:PORT")]
        proxy: Option<String>,
    },
    /// When network sync may happen; shows the policy, after any change given
    Policy(PolicyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// The SOCKS5 proxy to sync through
    #[arg(long, value_name = "socks5h://HOST:PORT", conflicts_with = "no_proxy")]
    pub(crate) proxy: Option<String>,
    /// Forget the proxy
    #[arg(long)]
    pub(crate) no_proxy: bool,
    /// Only through the proxy: without one nothing is sent, never a direct connection
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    pub(crate) proxy_only: Option<String>,
    /// Only in these local hours (repeat for several; may cross midnight)
    #[arg(
        long = "window",
        value_name = "HH:MM-HH:MM",
        conflicts_with = "any_time"
    )]
    pub(crate) windows: Vec<String>,
    /// At any hour (forget the windows)
    #[arg(long)]
    pub(crate) any_time: bool,
    /// No network sync in the first minutes after unlock (each CLI command unlocks)
    #[arg(long, value_name = "MINUTES")]
    pub(crate) quiet_after_unlock: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RelayCommand {
    /// Add a relay and this device's mailbox there: the one its operator made
    /// (`--mailbox FILE`, the JSON `satchel-relay mailbox create` prints; `-` reads
    /// it from stdin), or a new one the relay makes (`--register`, with its
    /// registration token from SATCHEL_RELAY_TOKEN or a prompt). Peers learn the
    /// mailbox from this device's next bundles
    Add {
        /// The relay's address, https://HOST[:PORT]
        url: String,
        /// The mailbox, as its operator gave it (then delete that file)
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "register",
            conflicts_with = "register"
        )]
        mailbox: Option<PathBuf>,
        /// Ask the relay for a new mailbox (a network step: the policy applies)
        #[arg(long)]
        register: bool,
        /// Register through this SOCKS5 proxy [default: the policy's]
        #[arg(long, value_name = "socks5h://HOST:PORT", requires = "register")]
        proxy: Option<String>,
    },
    /// The relays this device collects from
    List,
    /// Stop collecting from a relay (bundles waiting there expire)
    Remove {
        /// The relay's address, as listed
        url: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum QuarantineCommand {
    /// List every op in quarantine with why it is held
    List,
    /// Show one op in quarantine and the values it would write
    Show {
        /// Its id, or a unique prefix of 8+ hex digits
        id: String,
    },
    /// Remove one op from quarantine (a peer that holds it may send it again)
    Drop {
        /// Its id, or a unique prefix of 8+ hex digits
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConflictsCommand {
    /// List every field in conflict with all its values
    List,
    /// Resolve one: pick a value by its id, or set a new one
    Resolve {
        /// Record id
        record: String,
        /// Field id
        field: String,
        /// The id (6+ characters) of the value to keep, from `conflicts list`
        #[arg(long, conflicts_with = "set", required_unless_present = "set")]
        pick: Option<String>,
        /// A new value instead
        #[arg(long)]
        set: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum FormCommand {
    /// List installed forms
    List,
    /// Show a form's fields
    Show {
        /// Form name
        name: String,
    },
    /// Install a form from a JSON definition or an XLSForm spreadsheet (.xlsx,
    /// see docs/forms.md; an old-format .xls is refused with how to convert it): a spreadsheet's summary says what it holds and
    /// what was left out. In an organisation, coordinators only, and it is
    /// published at once
    Import {
        /// The definition: JSON, or an XLSForm workbook
        file: PathBuf,
        /// Only show what would be imported, change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Publish the installed version of a form to the whole organisation: it travels
    /// in every bundle, signed by this device (coordinators only)
    Publish {
        /// Form name, or a JSON file to install and publish
        form: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct Values {
    /// Set a field: FIELD=VALUE (repeatable; an empty VALUE clears)
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub(crate) set: Vec<String>,
    /// Attach a file (repeatable); stored encrypted inside the vault
    #[arg(long = "attach", value_name = "FILE")]
    pub(crate) attach: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RecordCommand {
    /// Create a record from a form; prints its id
    Add {
        /// Form name
        form: String,
        #[command(flatten)]
        values: Values,
    },
    /// List records, most recently changed first
    List {
        /// Only this form
        #[arg(long)]
        form: Option<String>,
        #[command(flatten)]
        filter: FilterArgs,
        /// Include deleted records
        #[arg(long)]
        deleted: bool,
        /// Most records to show (0: all)
        #[arg(long, default_value_t = 0)]
        limit: usize,
    },
    /// Who wrote the records held here, as --author takes them
    Authors,
    /// Show a record
    Show {
        /// Record id (or a unique prefix of 8+ hex digits)
        id: String,
    },
    /// Change fields or add attachments
    Edit {
        /// Record id
        id: String,
        #[command(flatten)]
        values: Values,
        /// Remove an attachment by its BLAKE3 hash
        #[arg(long = "detach", value_name = "BLAKE3")]
        detach: Vec<String>,
    },
    /// Delete a record (kept in history until purged)
    Delete {
        /// Record id
        id: String,
    },
    /// Erase a record's content and attachments for good
    Purge {
        /// Record id
        id: String,
    },
    /// Assign a record to a member of the organisation: their device receives it in
    /// full and may edit it (coordinators only)
    Assign {
        /// Record id
        id: String,
        /// The member's name, as `member list` shows it
        #[arg(long = "to", value_name = "MEMBER")]
        to: String,
        /// Take the assignment back instead
        #[arg(long)]
        remove: bool,
    },
    /// Write an attachment out of the vault into a new file (decrypted: choose where
    /// it goes with care)
    SaveAttachment {
        /// Record id
        id: String,
        /// The attachment's BLAKE3 hash, as `record show` lists it
        blake3: String,
        /// The new file (an existing file is not replaced)
        #[arg(long)]
        out: PathBuf,
    },
    /// Every change made to a record
    History {
        /// Record id
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DuressCommand {
    /// Set the duress passphrase: entering it later opens the decoy (prepare it with
    /// `--decoy`) and silently erases the real vault
    Set,
}

/// Which records, by who wrote them and when (dates as shown: UTC).
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Only records this author created: a member's name, an author as
    /// `record authors` shows them, or 8+ hex digits of their device id
    #[arg(long, value_name = "NAME", conflicts_with = "changed_by")]
    pub(crate) author: Option<String>,
    /// Only records this author changed at all (created, edited, deleted)
    #[arg(long, value_name = "NAME")]
    pub(crate) changed_by: Option<String>,
    /// Only records created on or after this date (2026-11-30; 2026-11 from the
    /// month's first day; 2026)
    #[arg(long, value_name = "DATE")]
    pub(crate) since: Option<String>,
    /// Only records created on or before this date (2026-11 up to the month's last day)
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<String>,
    /// --since and --until bound the last change rather than the creation
    #[arg(long)]
    pub(crate) by_change: bool,
}
