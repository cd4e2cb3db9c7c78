//! `satchel`: every capability of the vault, scriptable.

/// `println!` that ends quietly when the reader goes away (`satchel record list | head`)
/// instead of panicking on a closed pipe.
macro_rules! say {
    () => { $crate::emit(format_args!("")) };
    ($($arg:tt)*) => { $crate::emit(format_args!($($arg)*)) };
}

mod args;
mod secrets;
mod show;
mod terminal;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use satchel_api::{
    ApiError, FieldInput, ListFilter, NewAttachment, RecordEvent, RecordFilter, Vault, sync,
};

use args::{
    AuditCommand, BundleCommand, Cli, Command, ConflictsCommand, DraftsCommand, DuressCommand,
    EnrolCommand, FormCommand, IdentityCommand, MemberCommand, OrgCommand, PeerCommand, PolicyArgs,
    QuarantineCommand, RecordCommand, RelayCommand, SyncCommand, Values,
};

/// Exit codes, documented in `--help`.
const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_AUTH: u8 = 3;
const EXIT_FOUND: u8 = 4;

/// `audit verify` found this many anomalies (already printed).
#[derive(Debug)]
struct Found(usize);

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the audit found {} anomaly(ies)", self.0)
    }
}

impl std::error::Error for Found {}

/// A usage mistake found after parsing (exit 2).
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.downcast_ref::<Usage>().is_some() {
                EXIT_USAGE
            } else if e.downcast_ref::<ApiError>().is_some_and(ApiError::is_auth) {
                EXIT_AUTH
            } else if e.downcast_ref::<Found>().is_some() {
                EXIT_FOUND
            } else {
                EXIT_ERROR
            };
            // One line: our messages are written for people, and chains of context
            // are joined rather than printed as a backtrace.
            let msg = e
                .chain()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!(
                "error: {}",
                terminal::neutralise(&msg, terminal::Escape::Text)
            );
            ExitCode::from(code)
        }
    }
}

/// The filter `--form`, `--author`, `--changed-by`, `--since`, `--until` and
/// `--by-change` ask for; dates are UTC days, as the CLI shows times.
fn record_filter(
    vault: &Vault,
    form: &Option<String>,
    args: &args::FilterArgs,
) -> Result<RecordFilter> {
    let (author, author_did) = match (&args.author, &args.changed_by) {
        (Some(name), _) => (Some(vault.resolve_author(name)?), RecordEvent::Created),
        (None, Some(name)) => (Some(vault.resolve_author(name)?), RecordEvent::Changed),
        (None, None) => (None, RecordEvent::Created),
    };
    Ok(RecordFilter {
        form: form.clone(),
        author,
        author_did,
        since: args.since.clone(),
        until: args.until.clone(),
        dated: if args.by_change {
            RecordEvent::Changed
        } else {
            RecordEvent::Created
        },
        utc_offset_minutes: 0,
    })
}

fn emit(line: std::fmt::Arguments<'_>) {
    write_line(&terminal::neutralise(
        &line.to_string(),
        terminal::Escape::Text,
    ));
}

fn write_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out
        .write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write output: {e}");
        std::process::exit(i32::from(EXIT_ERROR));
    }
}

fn vault_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(dir) = &cli.vault {
        return Ok(dir.clone());
    }
    let dirs = directories::ProjectDirs::from("", "", "satchel")
        .context("no home directory; give --vault DIR")?;
    Ok(dirs.data_dir().join("vault"))
}

/// Runs slow work (key derivation) behind a spinner on stderr when it is a terminal.
fn with_spinner<T>(label: &'static str, work: impl FnOnce() -> T) -> T {
    with_spinner_bar(label, |_| work())
}

/// [`with_spinner`], for work that can change the spinner's words as it goes.
fn with_spinner_bar<T>(label: &'static str, work: impl FnOnce(&indicatif::ProgressBar) -> T) -> T {
    let bar = indicatif::ProgressBar::new_spinner().with_message(label);
    bar.enable_steady_tick(Duration::from_millis(100));
    let out = work(&bar);
    bar.finish_and_clear();
    out
}

/// What the spinner says while a vault is brought up to this build's schema.
const UPGRADING: &str =
    "Updating the vault for this version of Satchel (once; on a large vault this takes a minute)…";

/// `--decoy`: every command works on the decoy instead of the vault.
static DECOY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// A progress bar in bytes on stderr (hidden when it is not a terminal).
fn byte_bar(label: &'static str) -> indicatif::ProgressBar {
    indicatif::ProgressBar::new(0)
        .with_style(
            indicatif::ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
        .with_message(label)
}

fn unlock(dir: &Path) -> Result<Vault> {
    if !satchel_api::vault::exists(dir) {
        return Err(ApiError::NoVault.into());
    }
    let pass = secrets::passphrase()?;
    let profile = secrets::profile();
    let vault = with_spinner_bar("Unlocking…", |bar| {
        satchel_api::unlock_with(dir, &pass, profile, &|| bar.set_message(UPGRADING))
    })?;
    if DECOY.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("Working on the decoy.");
        return Ok(vault.open_decoy()?);
    }
    Ok(vault)
}

/// Shows how far a rekey is: the copy in bytes, the other steps by name.
fn rekey_progress() -> impl FnMut(satchel_api::vault::RekeyProgress) + Send {
    use satchel_api::vault::RekeyStage;
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    move |p| {
        let msg = match p.stage {
            RekeyStage::DerivingKey => "Checking the passphrase…",
            RekeyStage::CopyingSpare | RekeyStage::Copying => "Re-encrypting…",
            RekeyStage::Sealing => "Sealing the new key…",
            RekeyStage::Replacing => "Replacing the old files…",
            RekeyStage::Done => {
                bar.finish_and_clear();
                return;
            }
        };
        bar.set_message(msg);
        if p.total > 0 {
            bar.set_length(p.total);
            bar.set_position(p.done);
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    write_line(&terminal::neutralise(&json, terminal::Escape::Json));
    Ok(())
}

/// Field settings and files to attach from the command line.
type Changes = (Vec<(String, FieldInput)>, Vec<PathBuf>);

fn parse_values(values: &Values) -> Result<Changes> {
    let mut sets = Vec::new();
    for s in &values.set {
        let Some((k, v)) = s.split_once('=') else {
            return Err(Usage(format!(
                "--set takes FIELD=VALUE; `{}` has no `=`",
                s.chars().take(40).collect::<String>()
            ))
            .into());
        };
        sets.push((k.trim().to_owned(), FieldInput::Text(v.to_owned())));
    }
    Ok((sets, values.attach.clone()))
}

/// Streams each file into the vault behind a progress bar; the record that names
/// them comes next.
fn attach_files(vault: &mut Vault, paths: &[PathBuf]) -> Result<Vec<NewAttachment>> {
    let mut out = Vec::new();
    for path in paths {
        let bar = byte_bar("Storing the attachment…");
        let stored = vault.store_attachment_file(path, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
        bar.finish_and_clear();
        let shown = path.display();
        out.push(stored.map_err(|e| match e {
            ApiError::Io(_) => {
                anyhow::Error::new(e).context(format!("cannot read attachment {shown}"))
            }
            other => other.into(),
        })?);
    }
    Ok(out)
}

fn run(cli: &Cli) -> Result<()> {
    let dir = vault_dir(cli)?;
    DECOY.store(cli.decoy, std::sync::atomic::Ordering::Relaxed);
    match &cli.command {
        Command::Init => {
            let pass = secrets::new_passphrase("New passphrase")?;
            let profile = secrets::profile();
            let (vault, recovery) = with_spinner("Creating the vault…", || {
                satchel_api::init(&dir, &pass, profile)
            })?;
            let info = vault.info()?;
            let key = recovery.display_once().map_err(ApiError::from)?;
            show::created(cli.json, &dir, &info, &key)
        }
        Command::Info => {
            let vault = unlock(&dir)?;
            let info = vault.info()?;
            if cli.json {
                print_json(&info)
            } else {
                show::info(&info)
            }
        }
        Command::Form(cmd) => form(cli, &dir, cmd),
        Command::Identity(IdentityCommand::Show) => {
            let card = unlock(&dir)?.identity();
            if cli.json {
                print_json(&card)
            } else {
                say!("{}", card.card);
                say!();
                say!(
                    "Fingerprint: {}",
                    sync::words_in(&card.fingerprint, &cli.lang)
                );
                say!("             {}", card.fingerprint_hex);
                Ok(())
            }
        }
        Command::Peer(cmd) => peer(cli, &dir, cmd),
        Command::Bundle(cmd) => bundle(cli, &dir, cmd),
        Command::Quarantine(cmd) => quarantine(cli, &dir, cmd),
        Command::Org(cmd) => org(cli, &dir, cmd),
        Command::Enrol(cmd) => enrol(cli, &dir, cmd),
        Command::Member(MemberCommand::Revoke {
            name,
            from_seq,
            out,
        }) => {
            // Written before the vault changes, so a file that cannot be made
            // leaves the revocation unmade.
            let mut file = out
                .as_ref()
                .map(|o| satchel_api::files::create_new(o))
                .transpose()?;
            let text = match unlock(&dir).and_then(|mut v| Ok(v.member_revoke(name, *from_seq)?)) {
                Ok(t) => t,
                Err(e) => {
                    if let Some(o) = out {
                        drop(file.take());
                        let _ = std::fs::remove_file(o);
                    }
                    return Err(e);
                }
            };
            if let (Some(f), Some(o)) = (file.as_mut(), out) {
                std::io::Write::write_all(f, format!("{text}\n").as_bytes())?;
                f.sync_all()?;
                say!(
                    "`{name}` revoked; it reaches every device with the next bundles (or carry {} by hand: `satchel member import`).",
                    o.display()
                );
            } else {
                say!("`{name}` revoked; it reaches every device with the next bundles.");
            }
            Ok(())
        }
        Command::Member(MemberCommand::Renew { name, valid_days }) => {
            let renewed = unlock(&dir)?.member_renew(name, *valid_days)?;
            if cli.json {
                return print_json(&renewed);
            }
            say!(
                "Renewed `{}` ({}) until {}; it reaches every device with the next bundles.",
                renewed.member.name,
                renewed.member.role,
                renewed.member.valid_until
            );
            say!("{}", renewed.text);
            Ok(())
        }
        Command::Member(MemberCommand::Import { file }) => {
            let text = read_text(file)?;
            let added = unlock(&dir)?.member_import(&text)?;
            if cli.json {
                return print_json(&serde_json::json!({ "added": added }));
            }
            say!("{added} new certificate(s) or revocation(s) kept.");
            Ok(())
        }
        Command::Offload { dry_run, policy } => {
            let mut vault = unlock(&dir)?;
            if let Some(p) = policy {
                let now = vault.set_offload_policy(p == "on")?;
                if !cli.json {
                    say!(
                        "Offload after each import: {}.",
                        if now.enabled { "on" } else { "off" }
                    );
                }
                if !*dry_run {
                    return if cli.json { print_json(&now) } else { Ok(()) };
                }
            }
            let r = vault.offload(*dry_run)?;
            if cli.json {
                return print_json(&r);
            }
            let verb = if *dry_run { "Would erase" } else { "Erased" };
            say!(
                "{verb} the content of {} record(s) a coordinator holds; signed op headers stay.",
                r.erased
            );
            say!(
                "Staying: {} assigned to this device, {} not yet acknowledged by a coordinator; {} record(s) held here {}.",
                r.kept_assigned,
                r.kept_unacknowledged,
                r.held,
                if *dry_run { "afterwards" } else { "now" }
            );
            Ok(())
        }
        Command::Member(MemberCommand::List) => {
            let list = unlock(&dir)?.members()?;
            if cli.json {
                return print_json(&list);
            }
            for m in list {
                say!(
                    "{}{}  {}  {}  valid {} to {}  {}  last op {}",
                    m.name,
                    if m.this_device { " (this device)" } else { "" },
                    m.role,
                    sync::words_in(&m.fingerprint, &cli.lang),
                    m.valid_from,
                    m.valid_until,
                    m.status,
                    m.last_op
                );
            }
            Ok(())
        }
        Command::Sync(cmd) => sync_cmd(cli, &dir, cmd),
        Command::Relay(cmd) => relay(cli, &dir, cmd),
        Command::Export {
            form,
            ids,
            filter,
            fields,
            columns,
            format,
            out,
            force,
            yes,
        } => {
            let request = satchel_api::export::ExportRequest {
                form: form.clone(),
                ids: ids.clone(),
                fields: fields.clone(),
                columns: satchel_api::export::ExportColumns {
                    id: columns.iter().any(|c| c == "id"),
                    created: columns.iter().any(|c| c == "created"),
                    changed: columns.iter().any(|c| c == "changed"),
                    author: columns.iter().any(|c| c == "author"),
                    attachments: columns.iter().any(|c| c == "attachments"),
                },
                format: if format == "xlsx" {
                    satchel_api::export::ExportFormat::Xlsx
                } else {
                    satchel_api::export::ExportFormat::Csv
                },
                lang: cli.lang.clone(),
                ..Default::default()
            };
            export(cli, &dir, request, filter, out, *force, *yes)
        }
        Command::Conflicts(cmd) => conflicts(cli, &dir, cmd),
        Command::Drafts(cmd) => drafts(cli, &dir, cmd),
        Command::Record(cmd) => record(cli, &dir, cmd),
        Command::Search {
            query,
            form,
            filter,
            limit,
        } => {
            if query.trim().is_empty() {
                return Err(Usage("give something to search for".into()).into());
            }
            let vault = unlock(&dir)?;
            let filter = record_filter(&vault, form, filter)?;
            let found = vault.search_filtered(query, &filter, *limit)?;
            if found.more {
                // On stderr, so `--json` output stays one document.
                eprintln!(
                    "More records match than the {} shown (newest first); narrow the search{}.",
                    found.items.len(),
                    if found.items.len() < satchel_api::records::SEARCH_LIMIT {
                        " or raise --limit"
                    } else {
                        ""
                    }
                );
            }
            if cli.json {
                print_json(&found.items)
            } else {
                show::found(&found.items, filter.is_narrowed())
            }
        }
        Command::Passwd => {
            let mut vault = unlock(&dir)?;
            let new = secrets::new_passphrase("New passphrase")?;
            with_spinner("Changing the passphrase…", || {
                vault.change_passphrase(&new)
            })?;
            say!("Passphrase changed.");
            Ok(())
        }
        Command::Recover => {
            let key = secrets::recovery_key()?;
            let new = secrets::new_passphrase("New passphrase")?;
            let profile = secrets::profile();
            with_spinner_bar("Recovering…", |bar| {
                satchel_api::recover_with(&dir, &key, &new, profile, &|| bar.set_message(UPGRADING))
            })?;
            say!("Passphrase reset. The recovery key still works; keep it safe.");
            Ok(())
        }
        Command::Rekey => {
            if cli.decoy {
                return Err(ApiError::DecoyOnly.into());
            }
            if !satchel_api::vault::exists(&dir) {
                return Err(ApiError::NoVault.into());
            }
            // One passphrase: it unlocks, and it seals the new key.
            let pass = secrets::passphrase()?;
            let profile = secrets::profile();
            let mut vault = with_spinner_bar("Unlocking…", |bar| {
                satchel_api::unlock_with(&dir, &pass, profile, &|| bar.set_message(UPGRADING))
            })?;
            let recovery = vault.rekey(&pass, rekey_progress())?;
            let key = recovery.display_once().map_err(ApiError::from)?;
            show::rekeyed(cli.json, &key)
        }
        Command::Duress(DuressCommand::Set) => {
            let mut vault = unlock(&dir)?;
            let duress = secrets::new_passphrase("Duress passphrase")?;
            with_spinner("Setting the duress passphrase…", || {
                vault.set_duress(&duress)
            })?;
            say!(
                "Duress passphrase set. Entering it opens the decoy and erases this vault for \
                 good. Put believable records in the decoy with `satchel --decoy record add …`."
            );
            Ok(())
        }
        Command::Wipe { yes } => {
            if !yes {
                return Err(Usage(
                    "wipe erases the vault for good and cannot be undone; add --yes to confirm"
                        .into(),
                )
                .into());
            }
            let report = satchel_api::wipe(&dir)?;
            if cli.json {
                print_json(&report)
            } else {
                say!("Vault wiped ({} files removed).", report.files_removed);
                Ok(())
            }
        }
        Command::Audit(AuditCommand::Checkpoint) => {
            let mut vault = unlock(&dir)?;
            let cp = vault.log_checkpoint()?;
            if cli.json {
                print_json(&cp)
            } else {
                say!("Log:          {}", cp.origin);
                say!("Ops:          {}", cp.size);
                say!("Root:         {}", cp.root);
                say!("Verifier key: {}", cp.verifier_key);
                say!();
                say!("{}", cp.note.trim_end());
                Ok(())
            }
        }
        Command::Audit(AuditCommand::Export {
            out,
            open,
            open_form,
        }) => {
            let mut vault = unlock(&dir)?;
            let grants = satchel_api::audit::AuditGrants {
                records: open
                    .iter()
                    .map(|id| vault.resolve_id(id))
                    .collect::<satchel_api::Result<_>>()?,
                forms: open_form.clone(),
            };
            let opened = !grants.records.is_empty() || !grants.forms.is_empty();
            let n = with_spinner("Writing the audit export…", || {
                vault.audit_export_with(out, &grants)
            })?;
            if opened {
                say!(
                    "Wrote {} (ops: {n}). It holds the content of the records opened: keep it and hand it on as you would the vault itself.",
                    out.display()
                );
            } else {
                say!(
                    "Wrote {} (ops: {n}; signed headers only, no record content).",
                    out.display()
                );
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { file, html }) => {
            let bytes = std::fs::read(file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let export = with_spinner("Reading the audit export…", || {
                satchel_audit::AuditExport::parse(&bytes)
            })?;
            drop(bytes);
            // Ops checked of all, device by device.
            let bar = indicatif::ProgressBar::new(0)
                .with_style(
                    indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ops")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                )
                .with_message("Checking the audit export…");
            let report = satchel_audit::verify_export_with(&export, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            });
            bar.finish_and_clear();
            if let Some(out) = html {
                let page = satchel_audit::html::report_html(
                    &report,
                    &file.display().to_string(),
                    &satchel_api::records::now_text(),
                );
                std::fs::write(out, page)
                    .with_context(|| format!("could not write {}", out.display()))?;
            }
            if cli.json {
                print_json(&report)?;
            } else {
                show::audit(&report);
            }
            if report.anomalies > 0 {
                return Err(Found(report.anomalies).into());
            }
            Ok(())
        }
        Command::Verify => {
            let vault = unlock(&dir)?;
            let report = vault.verify()?;
            if cli.json {
                print_json(&report)
            } else {
                say!(
                    "OK: {} ops from {} device(s) verify (signatures, chains); {} records match a replay.",
                    report.ops,
                    report.authors,
                    report.records
                );
                Ok(())
            }
        }
    }
}

/// Asks on the terminal before plaintext leaves the vault, as `--yes` would confirm;
/// without a terminal, `--yes` is the only way.
fn confirm_unencrypted(yes: bool) -> Result<()> {
    use std::io::IsTerminal;
    eprintln!(
        "The export is NOT encrypted: anyone who can read its folder can read these records. \
         Keep it no longer than the report needs it."
    );
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Usage("add --yes to confirm writing an unencrypted file".into()).into());
    }
    eprint!("Write it? Type yes to go on: ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(Usage("not confirmed; nothing was written".into()).into())
    }
}

fn export(
    cli: &Cli,
    dir: &Path,
    mut request: satchel_api::export::ExportRequest,
    filter: &args::FilterArgs,
    out: &Path,
    force: bool,
    yes: bool,
) -> Result<()> {
    // Refused before the question and the passphrase: nothing to confirm.
    if !force && std::fs::symlink_metadata(out).is_ok() {
        return Err(ApiError::ExportExists.into());
    }
    confirm_unencrypted(yes)?;
    let vault = unlock(dir)?;
    let narrowed = record_filter(&vault, &None, filter)?;
    if narrowed.is_narrowed() {
        request.filter = Some(narrowed);
    }
    let request = &request;
    let bar = indicatif::ProgressBar::new(0)
        .with_style(
            indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
        .with_message("Exporting…");
    let report = vault.export_to(request, out, force, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let report = report?;
    if cli.json {
        return print_json(&report);
    }
    say!(
        "Wrote {} record(s) to {} (not encrypted).",
        report.records,
        out.display()
    );
    Ok(())
}

fn form(cli: &Cli, dir: &Path, cmd: &FormCommand) -> Result<()> {
    match cmd {
        FormCommand::List => {
            let forms = unlock(dir)?.forms()?;
            if cli.json {
                print_json(&forms)
            } else {
                show::forms(&forms, &cli.lang)
            }
        }
        FormCommand::Show { name } => {
            let form = unlock(dir)?.form(name)?;
            if cli.json {
                print_json(&form)
            } else {
                show::form(&form, &cli.lang)
            }
        }
        FormCommand::Import { file, dry_run } => {
            let size = std::fs::metadata(file)
                .with_context(|| format!("cannot read form file {}", file.display()))?
                .len();
            if size > satchel_api::form_xlsform::MAX_FILE as u64 {
                anyhow::bail!(
                    "{} is {} MiB; a form file is at most {} MiB",
                    file.display(),
                    size >> 20,
                    satchel_api::form_xlsform::MAX_FILE >> 20
                );
            }
            let bytes = std::fs::read(file)
                .with_context(|| format!("cannot read form file {}", file.display()))?;
            let spreadsheet = bytes.starts_with(b"PK")
                || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
                || file.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xls")
                });
            if spreadsheet {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                let mut vault = unlock(dir)?;
                let summary = vault.import_xlsform(&bytes, &name, *dry_run)?;
                if cli.json {
                    return print_json(&summary);
                }
                show::xlsform_summary(&summary);
                if *dry_run {
                    say!("Dry run: nothing was installed.");
                } else if vault.org()?.is_some() {
                    say!(
                        "Installed and published form `{}` version {}: it travels in every bundle.",
                        summary.form,
                        summary.version
                    );
                } else {
                    say!(
                        "Installed form `{}` version {}.",
                        summary.form,
                        summary.version
                    );
                }
                return Ok(());
            }
            let json = String::from_utf8(bytes).map_err(|_| {
                anyhow::anyhow!(
                    "{} is neither a JSON form nor a spreadsheet",
                    file.display()
                )
            })?;
            let mut vault = unlock(dir)?;
            if *dry_run {
                let form = satchel_api::form::Form::parse(&json)?;
                say!(
                    "Dry run: `{}` version {} with {} fields would be installed.",
                    form.name,
                    form.version,
                    form.fields.len()
                );
                return Ok(());
            }
            let form = vault.import_form(&json)?;
            if vault.org()?.is_some() {
                say!(
                    "Installed and published form `{}` version {}: it travels in every bundle.",
                    form.name,
                    form.version
                );
            } else {
                say!("Installed form `{}` version {}.", form.name, form.version);
            }
            Ok(())
        }
        FormCommand::Publish { form } => {
            let mut vault = unlock(dir)?;
            let path = Path::new(form);
            let form = if form.ends_with(".json") || path.is_file() {
                let json = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read form file {}", path.display()))?;
                vault.import_form(&json)?
            } else {
                vault.publish_form(form)?
            };
            say!(
                "Published form `{}` version {} to the organisation: it travels in every bundle; records keep the version they were made with.",
                form.name,
                form.version
            );
            Ok(())
        }
    }
}

fn record(cli: &Cli, dir: &Path, cmd: &RecordCommand) -> Result<()> {
    match cmd {
        RecordCommand::Add { form, values } => {
            let (mut sets, files) = parse_values(values)?;
            let mut vault = unlock(dir)?;
            // A new record starts with the form's defaults, as in the app.
            for def in vault.form(form)?.fields {
                if let Some(d) = def.default
                    && !sets.iter().any(|(k, _)| *k == def.id)
                {
                    sets.push((def.id, satchel_api::FieldInput::Json(d)));
                }
            }
            let attachments = attach_files(&mut vault, &files)?;
            let id = vault.add_record(form, &sets, &attachments)?;
            if cli.json {
                print_json(&serde_json::json!({ "id": id.to_string() }))
            } else {
                say!("{id}");
                Ok(())
            }
        }
        RecordCommand::List {
            form,
            filter,
            deleted,
            limit,
        } => {
            let vault = unlock(dir)?;
            let wanted = record_filter(&vault, form, filter)?;
            let filter = ListFilter {
                include_deleted: *deleted,
                limit: *limit,
                ..vault.list_filter(&wanted)?
            };
            let list = vault.records(&filter)?;
            if cli.json {
                print_json(&list)
            } else if list.is_empty() && wanted.is_narrowed() {
                say!("No records match these filters.");
                Ok(())
            } else {
                show::summaries(&list)
            }
        }
        RecordCommand::Authors => {
            let authors = unlock(dir)?.record_authors()?;
            if cli.json {
                return print_json(&authors);
            }
            if authors.is_empty() {
                say!("No records yet.");
            }
            for a in authors {
                say!("{}  {}", a.id, a.name);
            }
            Ok(())
        }
        RecordCommand::Show { id } => {
            let vault = unlock(dir)?;
            let rec = vault.record(&vault.resolve_id(id)?, &cli.lang)?;
            if cli.json {
                print_json(&rec)
            } else {
                show::record(&rec)
            }
        }
        RecordCommand::SaveAttachment { id, blake3, out } => {
            let vault = unlock(dir)?;
            let id = vault.resolve_id(id)?;
            let bar = byte_bar("Saving the attachment…");
            let saved = vault.save_attachment(&id, blake3, out, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            });
            bar.finish_and_clear();
            let size = saved?;
            if cli.json {
                print_json(&serde_json::json!({ "size": size }))
            } else {
                say!("Saved {size} bytes to {}", out.display());
                Ok(())
            }
        }
        RecordCommand::Edit { id, values, detach } => {
            let (sets, files) = parse_values(values)?;
            if sets.is_empty() && files.is_empty() && detach.is_empty() {
                return Err(
                    Usage("nothing to change: give --set, --attach or --detach".into()).into(),
                );
            }
            let mut vault = unlock(dir)?;
            let id = vault.resolve_id(id)?;
            let attachments = attach_files(&mut vault, &files)?;
            if !sets.is_empty() || !attachments.is_empty() {
                vault.edit_record(&id, &sets, &attachments)?;
            }
            for hash in detach {
                vault.remove_attachment(&id, hash)?;
            }
            say!("Updated {id}.");
            Ok(())
        }
        RecordCommand::Delete { id } => {
            let mut vault = unlock(dir)?;
            let id = vault.resolve_id(id)?;
            vault.delete_record(&id)?;
            say!("Deleted {id} (its history remains until it is purged).");
            Ok(())
        }
        RecordCommand::Purge { id } => {
            let mut vault = unlock(dir)?;
            let id = vault.resolve_id(id)?;
            vault.purge_record(&id)?;
            say!("Purged {id}: its content and attachments are erased.");
            Ok(())
        }
        RecordCommand::Assign { id, to, remove } => {
            let mut vault = unlock(dir)?;
            let id = vault.resolve_id(id)?;
            vault.assign_record(&id, to, !remove)?;
            if *remove {
                say!("{id} is no longer assigned to `{}`.", to);
            } else {
                say!(
                    "Assigned {id} to `{}`: their next bundle carries it in full.",
                    to
                );
            }
            Ok(())
        }
        RecordCommand::History { id } => {
            let vault = unlock(dir)?;
            let entries = vault.history(&vault.resolve_id(id)?, &cli.lang)?;
            if cli.json {
                print_json(&entries)
            } else {
                show::history(&entries)
            }
        }
    }
}

fn peer(cli: &Cli, dir: &Path, cmd: &PeerCommand) -> Result<()> {
    match cmd {
        PeerCommand::Add { card, name } => {
            let added = unlock(dir)?.add_peer(card, name)?;
            if cli.json {
                return print_json(&added);
            }
            say!("Added peer `{}` (unverified).", added.name);
            say!(
                "Fingerprint: {}",
                sync::words_in(&added.fingerprint, &cli.lang)
            );
            say!(
                "Compare it with the one `satchel identity show` prints on that device. The same: type those words into `satchel peer verify`. Different: remove the peer."
            );
            Ok(())
        }
        PeerCommand::Verify { name, fingerprint } => {
            let verified = unlock(dir)?.verify_peer(name, fingerprint)?;
            if cli.json {
                return print_json(&verified);
            }
            say!("Peer `{}` is verified.", verified.name);
            Ok(())
        }
        PeerCommand::List => {
            let peers = unlock(dir)?.peers()?;
            if cli.json {
                return print_json(&peers);
            }
            if peers.is_empty() {
                say!("No peers.");
            }
            for p in peers {
                let mark = if p.verified { "verified" } else { "UNVERIFIED" };
                say!(
                    "{:<20} {:<10}  {}",
                    p.name,
                    mark,
                    sync::words_in(&p.fingerprint, &cli.lang)
                );
            }
            Ok(())
        }
        PeerCommand::Remove { name } => {
            unlock(dir)?.remove_peer(name)?;
            say!("Removed peer `{name}`; its bundles are refused from now on.");
            Ok(())
        }
    }
}

fn bundle(cli: &Cli, dir: &Path, cmd: &BundleCommand) -> Result<()> {
    match cmd {
        BundleCommand::Export { to, out } => {
            let mut vault = unlock(dir)?;
            let bar = byte_bar("Sealing the bundle…");
            let report = vault.export_bundle_with(to, out, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            });
            bar.finish_and_clear();
            let report = report?;
            if cli.json {
                return print_json(&report);
            }
            say!("{}  {} ops  {} bytes", report.file, report.ops, report.size);
            Ok(())
        }
        BundleCommand::Import { files } => {
            let mut vault = unlock(dir)?;
            let mut failed = 0;
            let mut reports = Vec::new();
            for f in files {
                let bar = byte_bar("Importing…");
                let result = vault.import_bundle_file(f, &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                });
                bar.finish_and_clear();
                let name = f.display().to_string();
                match result {
                    Ok(r) => {
                        if !cli.json {
                            if r.already_imported {
                                say!("{name}: already imported; nothing changed");
                            } else {
                                say!(
                                    "{name}: applied {}, already known {}, quarantined {}, conflicts created {}",
                                    r.applied,
                                    r.already_known,
                                    r.quarantined,
                                    r.conflicts_created
                                );
                                if r.offloaded > 0 {
                                    say!(
                                        "{name}: offloaded {} record(s) a coordinator now holds (their content is erased here)",
                                        r.offloaded
                                    );
                                }
                                if r.forms_refused > 0 {
                                    say!(
                                        "{name}: refused {} form version(s) not published by a coordinator of this organisation",
                                        r.forms_refused
                                    );
                                }
                                if r.forks + r.invalid + r.refused + r.dropped > 0 {
                                    say!(
                                        "{name}: set aside {} forked, {} invalid and {} refused ops (not merged), dropped {} from quarantine; see `satchel quarantine list`",
                                        r.forks,
                                        r.invalid,
                                        r.refused,
                                        r.dropped
                                    );
                                }
                            }
                        }
                        reports.push(serde_json::json!({ "file": name, "ok": true, "report": r }));
                    }
                    Err(e) => {
                        failed += 1;
                        if !cli.json {
                            say!("{name}: refused: {e}");
                        }
                        reports.push(serde_json::json!({ "file": name, "ok": false, "code": e.code(), "error": e.to_string() }));
                    }
                }
            }
            if cli.json {
                print_json(&reports)?;
            }
            if failed > 0 {
                return Err(anyhow::anyhow!(
                    "{failed} of {} bundle(s) refused; nothing from them was applied",
                    files.len()
                ));
            }
            Ok(())
        }
    }
}

fn quarantine(cli: &Cli, dir: &Path, cmd: &QuarantineCommand) -> Result<()> {
    match cmd {
        QuarantineCommand::List => {
            let list = unlock(dir)?.quarantine()?;
            if cli.json {
                return print_json(&list);
            }
            if list.is_empty() {
                say!("Nothing in quarantine.");
            }
            for e in list {
                say!(
                    "{}  {:<8} {} #{}  {} {}  ({} bytes, {} imports left)",
                    &e.id[..16.min(e.id.len())],
                    e.reason,
                    e.author,
                    e.seq,
                    e.kind,
                    e.record,
                    e.size,
                    e.imports_left
                );
                if !e.detail.is_empty() {
                    say!("    {}", e.detail);
                }
            }
            Ok(())
        }
        QuarantineCommand::Show { id } => {
            let op = unlock(dir)?.quarantined_op(id)?;
            if cli.json {
                return print_json(&op);
            }
            let e = &op.entry;
            say!("op       {}", e.id);
            say!("reason   {}", e.reason);
            if !e.detail.is_empty() {
                say!("detail   {}", e.detail);
            }
            say!("author   {} #{}", e.author, e.seq);
            say!("record   {} ({})", e.record, e.kind);
            say!("time     {}", e.time);
            say!(
                "held     through {} imports; forgotten after {} more",
                e.imports_waited,
                e.imports_left
            );
            if let Some(form) = &op.form {
                say!("form     {form}");
            }
            for (field, value) in &op.fields {
                let mut shown = value.to_string();
                if shown.chars().count() > 200 {
                    shown = shown.chars().take(200).collect::<String>() + "…";
                }
                say!("  {field} = {shown}");
            }
            Ok(())
        }
        QuarantineCommand::Drop { id } => {
            let mut vault = unlock(dir)?;
            vault.drop_quarantined(id)?;
            say!("Dropped it from quarantine. A peer that holds it may send it again.");
            Ok(())
        }
    }
}

fn conflicts(cli: &Cli, dir: &Path, cmd: &ConflictsCommand) -> Result<()> {
    match cmd {
        ConflictsCommand::List => {
            let list = unlock(dir)?.conflicts(&cli.lang)?;
            if cli.json {
                return print_json(&list);
            }
            if list.is_empty() {
                say!("No conflicts.");
            }
            for c in list {
                say!("{}  {}", c.record, c.field);
                for v in c.values {
                    say!(
                        "    {}  {}  ({}, {})",
                        &v.op[..12.min(v.op.len())],
                        v.display,
                        v.author,
                        v.time
                    );
                }
            }
            Ok(())
        }
        ConflictsCommand::Resolve {
            record,
            field,
            pick,
            set,
        } => {
            let mut vault = unlock(dir)?;
            let id = vault.resolve_id(record)?;
            vault.resolve_conflict(
                &id,
                field,
                pick.as_deref(),
                set.clone().map(FieldInput::Text),
            )?;
            say!("Resolved `{field}` of {id}.");
            Ok(())
        }
    }
}

fn drafts(cli: &Cli, dir: &Path, cmd: &DraftsCommand) -> Result<()> {
    match cmd {
        DraftsCommand::List => {
            let list = unlock(dir)?.drafts()?;
            if cli.json {
                return print_json(&list);
            }
            if list.is_empty() {
                say!("No unsaved drafts.");
            }
            for d in list {
                say!(
                    "{}  {}  {}",
                    d.key,
                    d.form,
                    satchel_api::drafts::format_ms(d.saved_ms)
                );
            }
            Ok(())
        }
        DraftsCommand::Show { key } => {
            let draft = unlock(dir)?
                .draft(key)?
                .ok_or_else(|| ApiError::NoDraft(key.clone()))?;
            print_json(&draft)
        }
        DraftsCommand::Discard { key } => {
            if !unlock(dir)?.discard_draft(key)? {
                return Err(ApiError::NoDraft(key.clone()).into());
            }
            say!("Discarded the draft for {key}.");
            Ok(())
        }
    }
}

fn say_member(m: &satchel_api::org::MemberView) {
    say!("Member:       {} ({})", m.name, m.role);
    say!("Fingerprint:  {}", m.fingerprint);
    say!(
        "Valid:        {} to {} ({})",
        m.valid_from,
        m.valid_until,
        m.status
    );
}

fn org(cli: &Cli, dir: &Path, cmd: &OrgCommand) -> Result<()> {
    match cmd {
        OrgCommand::Create {
            name,
            member_name,
            valid_days,
        } => {
            let created = unlock(dir)?.org_create(name, member_name, *valid_days)?;
            if cli.json {
                return print_json(&created);
            }
            say!(
                "Organisation `{}` created; this device is its first coordinator.",
                created.org.name
            );
            say_member(&created.member);
            say!("Its root key is kept in this vault. Enrol devices with `satchel enrol approve`.");
            Ok(())
        }
        OrgCommand::Show => {
            let org = unlock(dir)?.org()?;
            if cli.json {
                return print_json(&org);
            }
            match org {
                Some(o) => say!("Organisation `{}` ({})", o.name, &o.id[..16]),
                None => say!("This vault is in no organisation."),
            }
            Ok(())
        }
    }
}

fn enrol(cli: &Cli, dir: &Path, cmd: &EnrolCommand) -> Result<()> {
    match cmd {
        EnrolCommand::Request { name, out } => {
            let req = unlock(dir)?.enrol_request(name)?;
            let mut f = satchel_api::files::create_new(out)?;
            std::io::Write::write_all(&mut f, format!("{}\n", req.text).as_bytes())?;
            f.sync_all()?;
            if cli.json {
                return print_json(&req);
            }
            say!("Request for `{}` written to {}.", req.name, out.display());
            say!(
                "Fingerprint:  {}",
                sync::words_in(&req.fingerprint, &cli.lang)
            );
            say!("Read these words to the coordinator, who types them to approve.");
            Ok(())
        }
        EnrolCommand::Approve {
            file,
            role,
            fingerprint,
            valid_days,
            out,
        } => {
            let text = read_text(file)?;
            let mut v = unlock(dir)?;
            let approval = match v.enrol_approve(&text, fingerprint, role, *valid_days) {
                Err(e @ ApiError::FingerprintMismatch) => return Err(Usage(e.to_string()).into()),
                other => other?,
            };
            let mut f = satchel_api::files::create_new(out)?;
            std::io::Write::write_all(&mut f, approval.text.as_bytes())?;
            f.sync_all()?;
            if cli.json {
                return print_json(&approval.member);
            }
            say!(
                "Certificate written to {}; accept it on the device.",
                out.display()
            );
            say_member(&approval.member);
            Ok(())
        }
        EnrolCommand::Accept { file } => {
            let text = read_text(file)?;
            let mut v = unlock(dir)?;
            let member = v.enrol_accept(&text)?;
            if cli.json {
                return print_json(&member);
            }
            let org = v.org()?.map(|o| o.id).unwrap_or_default();
            say!(
                "This device is now a member of organisation {}.",
                &org[..16.min(org.len())]
            );
            say_member(&member);
            Ok(())
        }
    }
}

/// A small text file (a request or certificate), read whole.
fn sync_cmd(cli: &Cli, dir: &Path, cmd: &SyncCommand) -> Result<()> {
    use satchel_api::network::SyncStep;
    match cmd {
        SyncCommand::Status => {
            let vault = unlock(dir)?;
            let status = vault.sync_status()?;
            if cli.json {
                return print_json(&status);
            }
            if status.is_empty() {
                say!("No peers.");
            }
            for p in status {
                say!(
                    "{}: acknowledged {} ops, {} waiting for the next bundle",
                    p.name,
                    p.acknowledged,
                    p.waiting
                );
            }
            if let Some(last) = vault.last_sync()? {
                say!(
                    "Last network sync: {}{}",
                    satchel_api::drafts::format_ms(i64::try_from(last.at_ms).unwrap_or(0)),
                    if last.complete {
                        ""
                    } else {
                        " (not everything went)"
                    }
                );
            }
            Ok(())
        }
        SyncCommand::Now { proxy } => {
            let mut vault = unlock(dir)?;
            let bar = byte_bar("Syncing…");
            let report = vault.sync_now(true, proxy.as_deref(), &mut |p| {
                let who = p.peer.as_deref().unwrap_or("");
                let msg = match p.step {
                    SyncStep::Sealing => format!("Sealing for {who}…"),
                    SyncStep::Sending => format!("Sending to {who}…"),
                    SyncStep::Listing => "Asking the relay what waits…".to_owned(),
                    SyncStep::Receiving => "Receiving…".to_owned(),
                    SyncStep::Importing => "Importing…".to_owned(),
                };
                bar.set_message(terminal::neutralise(&msg, terminal::Escape::Text).into_owned());
                bar.set_length(p.total);
                bar.set_position(p.done);
            });
            bar.finish_and_clear();
            let report = report?;
            if cli.json {
                return print_json(&report);
            }
            for p in &report.peers {
                let mut went = if p.no_address {
                    "no mailbox known yet (sync by file once)".to_owned()
                } else if p.sent_bytes > 0 {
                    format!(
                        "sent {} op(s) in {} bytes{}",
                        p.sent_ops,
                        p.sent_bytes,
                        if p.resumed {
                            ", finishing a cut upload"
                        } else {
                            ""
                        }
                    )
                } else {
                    "nothing new to send".to_owned()
                };
                if let Some(e) = &p.error {
                    went = format!("not sent: {}", e.message);
                }
                say!(
                    "{}: {went}; received {} bundle(s), applied {} op(s){}",
                    p.name,
                    p.received,
                    p.applied,
                    if p.conflicts_created > 0 {
                        format!(", {} new conflict(s)", p.conflicts_created)
                    } else {
                        String::new()
                    }
                );
            }
            for e in &report.refused {
                say!("A collected bundle was refused: {}", e.message);
            }
            for e in &report.errors {
                say!("Collecting failed: {}", e.message);
            }
            let failed =
                report.errors.len() + report.peers.iter().filter(|p| p.error.is_some()).count();
            if failed > 0 {
                return Err(anyhow::anyhow!(
                    "{failed} transfer(s) did not finish; they resume at the next sync"
                ));
            }
            Ok(())
        }
        SyncCommand::Policy(args) => {
            let mut vault = unlock(dir)?;
            let mut policy = vault.sync_policy()?;
            let before = policy.clone();
            apply_policy(&mut policy, args);
            let policy = if policy == before {
                policy
            } else {
                vault.set_sync_policy(policy)?
            };
            if cli.json {
                return print_json(&policy);
            }
            say!("Sync: only when asked");
            say!(
                "Proxy: {}{}",
                policy.proxy.as_deref().unwrap_or("none"),
                if policy.proxy_only {
                    " (only through it: never a direct connection)"
                } else {
                    ""
                }
            );
            say!(
                "Hours: {}",
                if policy.windows.is_empty() {
                    "any".to_owned()
                } else {
                    policy.windows.join(", ")
                }
            );
            say!(
                "Wait after unlock: {} minute(s)",
                policy.quiet_after_unlock_minutes
            );
            Ok(())
        }
    }
}

fn apply_policy(policy: &mut satchel_api::network::SyncPolicy, args: &PolicyArgs) {
    if let Some(p) = &args.proxy {
        policy.proxy = Some(p.clone());
    }
    if args.no_proxy {
        policy.proxy = None;
    }
    if let Some(p) = &args.proxy_only {
        policy.proxy_only = p == "on";
    }
    if !args.windows.is_empty() {
        policy.windows = args.windows.clone();
    }
    if args.any_time {
        policy.windows.clear();
    }
    if let Some(m) = args.quiet_after_unlock {
        policy.quiet_after_unlock_minutes = m;
    }
}

fn relay(cli: &Cli, dir: &Path, cmd: &RelayCommand) -> Result<()> {
    match cmd {
        RelayCommand::Add {
            url,
            mailbox,
            register,
            proxy,
        } => {
            let view = if *register {
                let token = secrets::relay_token()?;
                let mut vault = unlock(dir)?;
                with_spinner("Asking the relay for a mailbox…", || {
                    vault.relay_register(
                        url,
                        satchel_api::ExposeSecret::expose_secret(&token),
                        proxy.as_deref(),
                    )
                })?
            } else {
                let text = match mailbox.as_deref() {
                    Some(p) if p == Path::new("-") => {
                        let mut s = String::new();
                        std::io::Read::read_to_string(
                            &mut std::io::Read::take(std::io::stdin(), 1 << 16),
                            &mut s,
                        )?;
                        zeroize::Zeroizing::new(s)
                    }
                    Some(p) => zeroize::Zeroizing::new(read_text(p)?),
                    None => return Err(Usage("give --mailbox FILE or --register".into()).into()),
                };
                unlock(dir)?.relay_add(url, &text)?
            };
            if cli.json {
                return print_json(&view);
            }
            say!(
                "Added {} (mailbox {}…). Peers deposit there once this device's next bundle reaches them.",
                view.url,
                view.mailbox
            );
            if mailbox.as_deref().is_some_and(|p| p != Path::new("-")) {
                say!("The mailbox file holds its tokens: delete it now.");
            }
            Ok(())
        }
        RelayCommand::List => {
            let list = unlock(dir)?.relays()?;
            if cli.json {
                return print_json(&list);
            }
            if list.is_empty() {
                say!("No relays: bundles travel by file only.");
            }
            for r in list {
                say!("{}  mailbox {}…", r.url, r.mailbox);
            }
            Ok(())
        }
        RelayCommand::Remove { url } => {
            unlock(dir)?.relay_remove(url)?;
            say!(
                "Removed {url}; peers stop depositing there once this device's next bundle reaches them."
            );
            Ok(())
        }
    }
}

fn read_text(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > 1 << 20 {
        return Err(Usage(format!(
            "{} is too large to be a request or certificate",
            path.display()
        ))
        .into());
    }
    Ok(String::from_utf8(std::fs::read(path)?)
        .map_err(|_| Usage(format!("{} is not text", path.display())))?)
}
