//! The commands the web view may call, one permission each (see `command_names.rs`).
//! Each takes plain data, makes one `satchel-api` call on a blocking thread and
//! returns plain data or an [`IpcError`]. No SQL, key or path crosses IPC: files come
//! in as bytes, drives as opaque ids, folders through the system's own dialog.

use std::{collections::BTreeMap, sync::Arc};

use satchel_api::{
    ApiError, AuthorChoice, Draft, DraftInfo, FieldInput, Found, ListFilter, NewAttachment,
    RecordFilter, RecordId, RecordSummary, RecordView, RecoveryKey, SecretString, Vault,
    export::{self, ExportRequest, ReportWritten},
    form::{FieldValue, Form},
    network::{LastSync, RelayView, SyncPolicy, SyncReport, SyncStep},
    offload::{OffloadPolicy, OffloadReport},
    org::{MemberView, OrgInfo},
    records::HistoryEntry,
    sync,
    vault::Info,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager, Runtime, State, ipc::InvokeBody};
use ts_rs::TS;

use crate::{
    audit::AuditChecked,
    drives::{self, Drive},
    error::{IpcError, Result},
    settings::{self, LANGUAGES, PanicAction, Settings},
    state::{Inner, LockReason, MAX_STAGED, Shared},
};

type Shell<'a> = State<'a, Arc<Shared>>;

/// Largest page of records a list asks for.
const MAX_PAGE: usize = 500;
/// What the wipe confirmation must say.
/// The word the wipe's confirmation asks for, in each UI language: typed through a
/// Korean or Chinese input method, "WIPE" in Latin capitals is one more hurdle for a
/// person under pressure. Read from the UI's own translations, so both sides agree.
const TRANSLATIONS: [&str; 3] = [
    include_str!("../../assets/i18n/en.json"),
    include_str!("../../assets/i18n/ko.json"),
    include_str!("../../assets/i18n/zh-Hans.json"),
];

/// Whether `typed` is the wipe's confirmation word in one of the UI's languages.
fn is_wipe_word(typed: &str) -> bool {
    TRANSLATIONS.iter().any(|json| {
        serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|d| {
                d.get("wipe.word")?
                    .as_str()
                    .map(|w| !w.is_empty() && w == typed)
            })
            .unwrap_or(false)
    })
}

/// The slow work a `progress` event is about.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Create,
    Unlock,
    Recover,
    Passphrase,
    Import,
    Export,
    Rekey,
    Attach,
    Save,
    Report,
    /// Checking an audit export (`done`/`total` in ops).
    #[serde(rename = "audit_check")]
    AuditCheck,
    /// Writing this vault's audit export.
    #[serde(rename = "audit_export")]
    AuditExport,
    /// Syncing through relays (`done`/`total` in bytes of the bundle at hand).
    Sync,
}

/// Where that work is; `done` comes last, on failure too.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    DerivingKey,
    /// The vault's database is brought up to this build's schema: once, after an
    /// update, and slow on a large vault.
    Upgrading,
    Copying,
    Decrypting,
    Sealing,
    Writing,
    /// Signatures, chains and checkpoints checked, op by op.
    Checking,
    /// Asking a relay what waits in this device's mailbox.
    Listing,
    /// Downloading a bundle from a relay.
    Receiving,
    /// Depositing a bundle into a peer's mailbox.
    Sending,
    Done,
}

/// The payload of the `idle_warning` event, from the guard: the seconds before the
/// idle lock, every second of its last minute; `null` once activity put it off.
#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug, TS)]
pub struct IdleWarning {
    pub seconds: Option<u32>,
}

/// The payload of the `progress` event.
#[derive(Serialize, Clone, TS)]
pub struct Progress {
    task: Task,
    phase: Phase,
    /// How far a phase that copies is, against `total` (bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    done: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    total: Option<u64>,
}

fn progress<R: Runtime>(app: &AppHandle<R>, task: Task, phase: Phase) {
    // Progress is a courtesy: a window that cannot hear it changes nothing.
    let _ = app.emit(
        "progress",
        Progress {
            task,
            phase,
            done: None,
            total: None,
        },
    );
}

/// Runs slow `work` between a `phase` event and a `Done` event (sent on failure too,
/// so the window never waits for an end that does not come).
fn with_progress<R: Runtime, T>(
    app: &AppHandle<R>,
    task: Task,
    phase: Phase,
    work: impl FnOnce() -> T,
) -> T {
    progress(app, task, phase);
    let out = work();
    progress(app, task, Phase::Done);
    out
}

/// Ends the web view's process and loads the page again in a new one, so nothing
/// the window showed or was typed into stays in memory after a lock (a reload alone
/// keeps the process, and with it strings the page no longer uses). WebKit's network
/// process stays: ending it makes WebKit give up the page (docs/vault-security.md,
/// "Memory").
pub(crate) fn reload<R: Runtime>(app: &AppHandle<R>) {
    crate::recent::forget_soon(app);
    if let Some(w) = app.get_webview_window("main") {
        #[cfg(target_os = "linux")]
        let _ = w.with_webview(|platform| {
            use webkit2gtk::WebViewExt;
            let view = platform.inner();
            view.terminate_web_process();
            view.reload();
        });
        #[cfg(not(target_os = "linux"))]
        let _ = w.reload();
    }
}

fn lang(l: &str) -> &str {
    if LANGUAGES.contains(&l) { l } else { "en" }
}

fn secret(s: String) -> SecretString {
    SecretString::from(s)
}

#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VaultState {
    exists: bool,
    unlocked: bool,
    /// Why it locked, when the window may say so ([`LockReason::is_told`]): after a
    /// panic lock or erase, nothing.
    lock_reason: Option<LockReason>,
    /// The panic shortcut of the last vault unlocked in this run (not a secret: it
    /// lets the shortcut work on the unlock screen too).
    panic_shortcut: String,
}

#[tauri::command]
pub async fn vault_state(shell: Shell<'_>) -> Result<VaultState> {
    crate::startup::first_call();
    // From the status alone: the first screen after a lock shows while the command
    // that was running still stops.
    let exists = satchel_api::vault::exists(&shell.dir);
    let status = shell.status();
    Ok(VaultState {
        exists,
        unlocked: status.open,
        lock_reason: status.lock_reason.filter(|r| r.is_told()),
        panic_shortcut: status.settings.panic_shortcut.clone(),
    })
}

#[derive(Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    recovery_key: String,
}

/// Creates the vault; returns the recovery key, to be shown once. Emits progress.
#[tauri::command]
pub async fn vault_create<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    passphrase: String,
) -> Result<Created> {
    let passphrase = secret(passphrase);
    shell
        .run(move |s, inner| {
            if inner.vault.is_some() {
                return Err(IpcError::unlocked());
            }
            let (vault, recovery) = with_progress(&app, Task::Create, Phase::DerivingKey, || {
                satchel_api::init(&s.dir, &passphrase, s.kdf())
            })?;
            let key = recovery.display_once().map_err(ApiError::from)?;
            s.opened(inner, vault)?;
            Ok(Created {
                recovery_key: key.to_string(),
            })
        })
        .await
}

/// Emits progress. Fails with code `wrong_passphrase`.
#[tauri::command]
pub async fn vault_unlock<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    passphrase: String,
) -> Result<()> {
    let passphrase = secret(passphrase);
    shell
        .run(move |s, inner| {
            if inner.vault.is_some() {
                return Err(IpcError::unlocked());
            }
            let vault = with_progress(&app, Task::Unlock, Phase::DerivingKey, || {
                satchel_api::unlock_with(&s.dir, &passphrase, s.kdf(), &|| {
                    progress(&app, Task::Unlock, Phase::Upgrading)
                })
            })?;
            s.opened(inner, vault)?;
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn vault_recover<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    recovery_key: String,
    new_passphrase: String,
) -> Result<()> {
    let (text, new) = (secret(recovery_key), secret(new_passphrase));
    shell
        .run(move |s, inner| {
            if inner.vault.is_some() {
                return Err(IpcError::unlocked());
            }
            use satchel_api::ExposeSecret;
            let key = RecoveryKey::parse(text.expose_secret()).map_err(ApiError::from)?;
            let vault = with_progress(&app, Task::Recover, Phase::DerivingKey, || {
                satchel_api::recover_with(&s.dir, &key, &new, s.kdf(), &|| {
                    progress(&app, Task::Recover, Phase::Upgrading)
                })
            })?;
            s.opened(inner, vault)?;
            Ok(())
        })
        .await
}

/// Locks; the shell then reloads the web view, so nothing of the session stays.
#[tauri::command]
pub async fn vault_lock<R: Runtime>(app: AppHandle<R>, shell: Shell<'_>) -> Result<()> {
    let shared = Arc::clone(&shell);
    tauri::async_runtime::spawn_blocking(move || {
        crate::guard::lock_now(&app, &shared, LockReason::User);
    })
    .await
    .map_err(|_| IpcError::internal())
}

/// Stops the import or export in progress; it ends with `cancelled` and changes
/// nothing. Takes no lock, so it works while that command runs.
#[tauri::command]
pub async fn task_cancel(shell: Shell<'_>) -> Result<()> {
    shell.cancel();
    Ok(())
}

#[tauri::command]
pub async fn vault_info(shell: Shell<'_>, lang: String) -> Result<Info> {
    shell
        .with_vault(move |v| {
            let mut info = v.info()?;
            info.fingerprint = sync::words_in(&info.fingerprint, self::lang(&lang));
            Ok(info)
        })
        .await
}

#[derive(Serialize, TS)]
pub struct Verified {
    ops: usize,
    authors: usize,
    records: u64,
}

#[tauri::command]
pub async fn vault_verify(shell: Shell<'_>) -> Result<Verified> {
    shell
        .with_vault(|v| {
            let r = v.verify()?;
            Ok(Verified {
                ops: r.ops,
                authors: r.authors,
                records: r.records,
            })
        })
        .await
}

/// The user is active: resets the idle timer. Call at most every few seconds.
#[tauri::command]
pub async fn activity(shell: Shell<'_>) -> Result<()> {
    shell.run(|_, _| Ok(())).await
}

#[tauri::command]
pub async fn settings_get(shell: Shell<'_>) -> Result<Settings> {
    shell
        .run(|s, inner| {
            inner.vault()?;
            Ok(s.status().settings.clone())
        })
        .await
}

#[tauri::command]
pub async fn settings_set(shell: Shell<'_>, settings: Settings) -> Result<()> {
    settings.check()?;
    shell
        .run(move |s, inner| {
            let json = serde_json::to_string(&settings).map_err(|_| IpcError::internal())?;
            inner.vault()?.set_setting(settings::KEY, &json)?;
            s.status().settings = settings;
            Ok(())
        })
        .await
}

/// Emits progress. Fails with `wrong_passphrase` if `current` is wrong,
/// `weak_passphrase` if `next` is too short.
#[tauri::command]
pub async fn passphrase_change<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    current: String,
    next: String,
) -> Result<()> {
    let (current, next) = (secret(current), secret(next));
    shell
        .with_vault(move |v| {
            with_progress(&app, Task::Passphrase, Phase::DerivingKey, || {
                v.check_passphrase(&current)?;
                v.change_passphrase(&next)
            })
        })
        .await
}

/// Emits progress. Fails with `wrong_passphrase` if `current` is wrong.
#[tauri::command]
pub async fn duress_set<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    current: String,
    duress: String,
) -> Result<()> {
    let (current, duress) = (secret(current), secret(duress));
    shell
        .with_vault(move |v| {
            with_progress(&app, Task::Passphrase, Phase::DerivingKey, || {
                v.check_passphrase(&current)?;
                v.set_duress(&duress)
            })
        })
        .await
}

/// Closes the vault and opens its decoy in its place, to put in it what the duress
/// passphrase will show. Asks for the passphrase again. The decoy cannot change
/// secrets; locking ends it like any session. The settings in use stay as they are.
#[tauri::command]
pub async fn decoy_open<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    current: String,
) -> Result<()> {
    let current = secret(current);
    shell
        .run(move |s, inner| {
            let open = inner.vault()?;
            with_progress(&app, Task::Passphrase, Phase::DerivingKey, || {
                open.check_passphrase(&current)
            })?;
            let vault = inner.vault.take().ok_or_else(IpcError::locked)?;
            inner.staged.clear();
            // On failure the vault stays closed: the window goes back to unlocking.
            let mut decoy = vault.open_decoy()?;
            decoy.set_cancel(s.cancel_flag())?;
            inner.vault = Some(decoy);
            Ok(())
        })
        .await
}

/// Re-encrypts the vault under a new key and replaces the recovery key, returned to be
/// shown once. Asks for the passphrase again, as the other changes of secrets do.
#[tauri::command]
pub async fn vault_rekey<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    current: String,
) -> Result<Created> {
    use satchel_api::vault::{RekeyProgress, RekeyStage};
    let current = secret(current);
    shell
        .with_vault(move |v| {
            let events = app.clone();
            let recovery = v.rekey(&current, move |p: RekeyProgress| {
                let phase = match p.stage {
                    RekeyStage::DerivingKey => Phase::DerivingKey,
                    RekeyStage::CopyingSpare | RekeyStage::Copying => Phase::Copying,
                    RekeyStage::Sealing | RekeyStage::Replacing => Phase::Sealing,
                    RekeyStage::Done => Phase::Done,
                };
                let copying = matches!(phase, Phase::Copying) && p.total > 0;
                let _ = events.emit(
                    "progress",
                    Progress {
                        task: Task::Rekey,
                        phase,
                        done: copying.then_some(p.done),
                        total: copying.then_some(p.total),
                    },
                );
            });
            // The window never waits for an end that does not come.
            progress(&app, Task::Rekey, Phase::Done);
            let key = recovery?.display_once().map_err(ApiError::from)?;
            Ok(Created {
                recovery_key: key.to_string(),
            })
        })
        .await
}

/// The panic key, from the window or the global shortcut: erases the keyslots if
/// the settings say so, then ends everything the process held by starting it afresh
/// ([`crate::restart`]). It takes no lock a command holds: an import in progress is
/// simply cut off (its transaction rolls back on the next open). In tests, which
/// cannot restart, the vault is locked in place instead.
/// How long the panic key waits for a command in progress to stop before it
/// restarts the app with the vault still open (the command was asked to stop and
/// an import stops within milliseconds).
const PANIC_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

pub fn panic_now<R: Runtime>(app: &AppHandle<R>, shared: &Arc<Shared>) -> Result<()> {
    let wipe = shared.panic_action() == PanicAction::Wipe;
    end_session(app, shared, wipe, LockReason::Panic)
}

/// Erases (if `wipe`) and ends the session: a fresh process in the app, a lock in
/// place in tests.
fn end_session<R: Runtime>(
    app: &AppHandle<R>,
    shared: &Arc<Shared>,
    wipe: bool,
    reason: LockReason,
) -> Result<()> {
    let carry = shared.carry();
    let began = shared.begin_lock(reason);
    let wiped = if wipe && satchel_api::vault::exists(&shared.dir) {
        satchel_api::wipe(&shared.dir)
            .map(drop)
            .map_err(IpcError::from)
    } else {
        Ok(())
    };
    #[cfg(unix)]
    if shared.restarts() {
        // The page first: what the window showed goes at once.
        crate::restart::end_web_processes();
        // Then the vault is closed as a lock closes it (its log folded in, both
        // databases touched alike, ADR 0014), if the command in progress lets go of
        // it in time: otherwise the real database's log would stay beside it alone
        // and tell which file holds the records.
        if began && !wipe {
            shared.close_within(PANIC_CLOSE_WAIT);
        }
        crate::restart::now(&carry);
    }
    if began {
        reload(app);
        shared.finish_lock();
    } else {
        reload(app);
    }
    shared.status().lock_reason = Some(reason);
    wiped
}

/// The panic shortcut: whatever the settings say, at once, then a clean window.
#[tauri::command]
pub async fn panic<R: Runtime>(app: AppHandle<R>, shell: Shell<'_>) -> Result<()> {
    let shared = Arc::clone(&shell);
    tauri::async_runtime::spawn_blocking(move || panic_now(&app, &shared))
        .await
        .map_err(|_| IpcError::internal())?
}

/// Erases the vault for good. `confirm` must be the word the UI asked to type
/// (`wipe.word` in the UI's language: WIPE, 삭제, 删除). The web view reloads.
#[tauri::command]
pub async fn vault_wipe<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    confirm: String,
) -> Result<()> {
    if !is_wipe_word(&confirm) {
        return Err(IpcError::confirmation());
    }
    let shared = Arc::clone(&shell);
    tauri::async_runtime::spawn_blocking(move || {
        end_session(&app, &shared, true, LockReason::Panic)
    })
    .await
    .map_err(|_| IpcError::internal())?
}

#[tauri::command]
pub async fn forms_list(shell: Shell<'_>) -> Result<Vec<Form>> {
    shell.with_vault(|v| v.forms()).await
}

/// What a form's rules say of the values being typed: the fields that do not apply
/// (hidden), and the values that break a rule with the problem's code (the form's
/// own message is in its definition, `constraint_message`).
#[derive(Serialize, TS)]
pub struct RulesCheck {
    hidden: Vec<String>,
    problems: Vec<RuleProblem>,
}

#[derive(Serialize, TS)]
pub struct RuleProblem {
    field: String,
    /// `constraint` or `not_relevant`.
    problem: String,
}

/// The form's skip logic and constraints over `values` (stored shapes, by field id),
/// asked as the person types: the one implementation the vault also saves with.
#[tauri::command]
pub async fn form_rules(
    shell: Shell<'_>,
    form: String,
    values: std::collections::BTreeMap<String, serde_json::Value>,
) -> Result<RulesCheck> {
    shell
        .with_vault(move |v| {
            let form = v.form(&form)?;
            let out = satchel_api::form::Rules::new(&form)?.check(&form, &|k| values.get(k));
            Ok(RulesCheck {
                hidden: out.hidden.into_iter().collect(),
                problems: out
                    .problems
                    .into_iter()
                    .map(|(field, p)| RuleProblem {
                        field,
                        problem: p.code().to_owned(),
                    })
                    .collect(),
            })
        })
        .await
}

/// Reads an XLSForm: the body is the workbook's bytes, the `x-satchel-name` header
/// its file name. With `dry_run` only the summary comes back; otherwise the form is
/// installed (and published, in an organisation). Nothing is written on error.
#[tauri::command]
pub async fn form_import_xlsform(
    shell: Shell<'_>,
    request: tauri::ipc::Request<'_>,
) -> Result<satchel_api::form_xlsform::Summary> {
    let name = header_name(&request).unwrap_or_default();
    let dry_run = request
        .headers()
        .get("x-satchel-dry-run")
        .is_some_and(|h| h.as_bytes() == b"1");
    let bytes = raw_body(&request)?;
    shell
        .with_vault(move |v| v.import_xlsform(&bytes, &name, dry_run))
        .await
}

#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageQuery {
    form: Option<String>,
    offset: usize,
    limit: usize,
    oldest_first: bool,
    /// By author and dates (its form is `form`'s); none: every record of the form.
    #[serde(default)]
    #[ts(optional)]
    filter: Option<RecordFilter>,
}

#[derive(Serialize, TS)]
pub struct Page {
    total: u64,
    items: Vec<RecordSummary>,
}

#[tauri::command]
pub async fn records_page(shell: Shell<'_>, query: PageQuery) -> Result<Page> {
    let wanted = RecordFilter {
        form: query.form,
        ..query.filter.unwrap_or_default()
    };
    shell
        .with_vault(move |v| {
            let filter = ListFilter {
                limit: query.limit.clamp(1, MAX_PAGE),
                offset: query.offset,
                oldest_first: query.oldest_first,
                ..v.list_filter(&wanted)?
            };
            Ok(Page {
                total: v.count_records(&filter)?,
                items: v.records(&filter)?,
            })
        })
        .await
}

/// Full-text search, newest first, within one form when `form` is set and among the
/// records `filter` selects (its form is `form`'s); each result with its snippet.
#[tauri::command]
pub async fn records_search(
    shell: Shell<'_>,
    query: String,
    form: Option<String>,
    filter: Option<RecordFilter>,
) -> Result<Found> {
    let query: String = query.chars().take(200).collect();
    let filter = RecordFilter {
        form,
        ..filter.unwrap_or_default()
    };
    shell
        .with_vault(move |v| v.search_filtered(&query, &filter, 0))
        .await
}

/// Who wrote the records held here, for the records filter.
#[tauri::command]
pub async fn record_authors(shell: Shell<'_>) -> Result<Vec<AuthorChoice>> {
    shell.with_vault(|v| v.record_authors()).await
}

#[tauri::command]
pub async fn record_get(shell: Shell<'_>, id: String, lang: String) -> Result<RecordView> {
    shell
        .with_vault(move |v| v.record(&v.resolve_id(&id)?, self::lang(&lang)))
        .await
}

#[tauri::command]
pub async fn record_history(
    shell: Shell<'_>,
    id: String,
    lang: String,
) -> Result<Vec<HistoryEntry>> {
    shell
        .with_vault(move |v| v.history(&v.resolve_id(&id)?, self::lang(&lang)))
        .await
}

/// A form's values as the app sends them (`null` clears a field), in the shapes of
/// [`FieldValue`], from which the UI's types are generated.
fn inputs(values: BTreeMap<String, Option<FieldValue>>) -> Vec<(String, FieldInput)> {
    values
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                FieldInput::Json(v.map_or(Value::Null, FieldValue::into_json)),
            )
        })
        .collect()
}

/// Runs `save` with the staged attachments `ids`; they are dropped only if it
/// succeeds, so a refused save loses nothing the user picked.
fn with_staged<T>(
    inner: &mut Inner,
    ids: &[String],
    save: impl FnOnce(&mut Vault, &[NewAttachment]) -> satchel_api::Result<T>,
) -> Result<T> {
    if let Some(missing) = ids.iter().find(|id| !inner.staged.contains_key(*id)) {
        return Err(IpcError::invalid(
            "attachments",
            "not_staged",
            &format!(
                "attachment {} is no longer staged; add the file again",
                missing.chars().take(32).collect::<String>()
            ),
        ));
    }
    let files: Vec<NewAttachment> = ids
        .iter()
        .filter_map(|id| inner.staged.remove(id))
        .collect();
    let result = save(inner.vault()?, &files);
    if result.is_err() {
        inner.staged.extend(ids.iter().cloned().zip(files));
    }
    Ok(result?)
}

/// `values` maps field ids to values in the shapes of `FieldValue` (a location is
/// `{ lat, lon }`); null clears. Returns the new id. Fails with `invalid_value` (the
/// message names the field) or `unknown_field`.
#[tauri::command]
pub async fn record_create(
    shell: Shell<'_>,
    form: String,
    values: BTreeMap<String, Option<FieldValue>>,
    attachments: Vec<String>,
) -> Result<String> {
    shell
        .run(move |_, inner| {
            inner.vault()?;
            with_staged(inner, &attachments, |v, files| {
                v.add_record(&form, &inputs(values), files)
                    .map(|id| id.to_string())
            })
        })
        .await
}

/// As `record_create`, for an existing record: only the fields in `values` change.
#[tauri::command]
pub async fn record_update(
    shell: Shell<'_>,
    id: String,
    values: BTreeMap<String, Option<FieldValue>>,
    attachments: Vec<String>,
) -> Result<()> {
    shell
        .run(move |_, inner| {
            let id = inner.vault()?.resolve_id(&id)?;
            with_staged(inner, &attachments, |v, files| {
                v.edit_record(&id, &inputs(values), files)
            })
        })
        .await
}

#[tauri::command]
pub async fn record_delete(shell: Shell<'_>, id: String) -> Result<()> {
    shell
        .with_vault(move |v| v.delete_record(&v.resolve_id(&id)?))
        .await
}

#[tauri::command]
pub async fn record_purge(shell: Shell<'_>, id: String) -> Result<()> {
    shell
        .with_vault(move |v| v.purge_record(&v.resolve_id(&id)?))
        .await
}

/// Assigns a record to a member of the organisation (`assign`), or takes the
/// assignment back; coordinators only. Returns the record as it now shows.
#[tauri::command]
pub async fn record_assign(
    shell: Shell<'_>,
    id: String,
    member: String,
    assign: bool,
    lang: String,
) -> Result<RecordView> {
    shell
        .with_vault(move |v| {
            let id = v.resolve_id(&id)?;
            v.assign_record(&id, &member, assign)?;
            v.record(&id, self::lang(&lang))
        })
        .await
}

/// The offload policy and how many records this device holds content of.
#[tauri::command]
pub async fn offload_policy_get(shell: Shell<'_>) -> Result<OffloadPolicy> {
    shell.with_vault(|v| v.offload_policy()).await
}

/// Turns offloading after each import on or off for this device.
#[tauri::command]
pub async fn offload_policy_set(shell: Shell<'_>, enabled: bool) -> Result<OffloadPolicy> {
    shell
        .with_vault(move |v| v.set_offload_policy(enabled))
        .await
}

/// Erases the content of records a coordinator has acknowledged (not those assigned
/// to this device); with `dry_run`, only says what would go and what stays.
#[tauri::command]
pub async fn offload_run(shell: Shell<'_>, dry_run: bool) -> Result<OffloadReport> {
    shell.with_vault(move |v| v.offload(dry_run)).await
}

/// Raw bytes of the request, as sent by `invoke(cmd, Uint8Array)`.
fn raw_body(request: &tauri::ipc::Request<'_>) -> Result<Vec<u8>> {
    match request.body() {
        InvokeBody::Raw(bytes) => Ok(bytes.clone()),
        InvokeBody::Json(_) => Err(IpcError::invalid(
            "body",
            "not_bytes",
            "expected the file's bytes",
        )),
    }
}

/// A file's name from the `x-satchel-name` header (percent-encoded), shortened.
fn header_name(request: &tauri::ipc::Request<'_>) -> Option<String> {
    request
        .headers()
        .get("x-satchel-name")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| percent_encoding::percent_decode_str(h).decode_utf8().ok())
        .map(|n| n.chars().take(255).collect::<String>())
        .filter(|n| !n.trim().is_empty())
}

#[derive(Serialize, TS)]
pub struct Staged {
    id: String,
    name: String,
    size: usize,
}

/// The body is the file's bytes, the `x-satchel-name` header its name
/// (percent-encoded). The shell keeps them in memory until the record is saved or the
/// vault locks; nothing is written anywhere until then.
#[tauri::command]
pub async fn attachment_stage<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    request: tauri::ipc::Request<'_>,
) -> Result<Staged> {
    // The web view's file dialog has just listed the file among GTK's recent ones.
    crate::recent::forget_soon(&app);
    let name = header_name(&request).ok_or_else(|| {
        IpcError::invalid("name", "no_file_name", "an attachment needs a file name")
    })?;
    let bytes = zeroize::Zeroizing::new(raw_body(&request)?);
    shell
        .run(move |_, inner| {
            inner.vault()?;
            if inner.staged_bytes() + bytes.len() > MAX_STAGED {
                return Err(IpcError::too_large(
                    "too many attachments at once; save the record first",
                ));
            }
            let id = data_encoding::HEXLOWER.encode(
                &getrandom::u64()
                    .map_err(|_| IpcError::internal())?
                    .to_be_bytes(),
            );
            let staged = Staged {
                id: id.clone(),
                name: name.clone(),
                size: bytes.len(),
            };
            inner
                .staged
                .insert(id, NewAttachment::in_memory(name, bytes));
            Ok(staged)
        })
        .await
}

/// A system dialog the shell opens.
enum Dialog {
    OpenFile,
    SaveFile,
    /// Saving, with a file name to start from.
    SaveAs(String),
    Folder,
}

/// Opens a system dialog: refused at once when the vault is locked, and opened
/// outside the vault's lock, so the guard can still lock while it is open (which
/// closes it). It runs in a process of its own (ADR 0041); GTK lists the pick among
/// its recent files, so that is removed. `None` if cancelled.
async fn pick<R: Runtime>(
    app: &AppHandle<R>,
    shared: &Arc<Shared>,
    dialog: Dialog,
) -> Result<Option<std::path::PathBuf>> {
    #[cfg(unix)]
    use crate::dialog_process::{Kind, choose};
    #[cfg(not(unix))]
    use crate::dialog_process_unsupported::{Kind, choose};
    shared.run(|_, inner| inner.vault().map(drop)).await?;
    let kind = match dialog {
        Dialog::OpenFile => Kind::Open,
        Dialog::SaveFile => Kind::Save(None),
        Dialog::SaveAs(name) => Kind::Save(Some(name)),
        Dialog::Folder => Kind::Folder,
    };
    let chosen = tauri::async_runtime::spawn_blocking(move || choose(&kind.into()))
        .await
        .map_err(|_| IpcError::internal())?;
    crate::recent::forget_soon(app);
    let chosen = chosen.map_err(|e| {
        eprintln!("satchel-app: the file dialog did not start: {}", e.kind());
        IpcError::internal()
    })?;
    Ok(chosen.into_iter().next())
}

/// Picks a file with the system's dialog (outside the state lock) and streams it
/// into the vault a chunk at a time, so a recorded testimony of gigabytes never
/// crosses IPC or sits in memory. `None` if cancelled.
#[tauri::command]
pub async fn attachment_stage_choose<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
) -> Result<Option<Staged>> {
    let Some(path) = pick(&app, &shell, Dialog::OpenFile).await? else {
        return Ok(None);
    };
    shell
        .run(move |_, inner| {
            let vault = inner.vault()?;
            let att = with_progress(&app, Task::Attach, Phase::Writing, || {
                vault.store_attachment_file(&path, &mut |_, _| {})
            })?;
            let id = data_encoding::HEXLOWER.encode(
                &getrandom::u64()
                    .map_err(|_| IpcError::internal())?
                    .to_be_bytes(),
            );
            let size = att.stored.map_or(0, |s| s.size);
            let staged = Staged {
                id: id.clone(),
                name: att.name.clone(),
                size: usize::try_from(size).unwrap_or(usize::MAX),
            };
            inner.staged.insert(id, att);
            Ok(Some(staged))
        })
        .await
}

/// Saves an attachment to a file the user names in the system's dialog, a chunk
/// at a time (for those too large to view). `false` if cancelled.
#[tauri::command]
pub async fn attachment_save<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    record: String,
    blake3: String,
) -> Result<bool> {
    let Some(path) = pick(&app, &shell, Dialog::SaveFile).await? else {
        return Ok(false);
    };
    shell
        .with_vault(move |v| {
            let id = v.resolve_id(&record)?;
            with_progress(&app, Task::Save, Phase::Writing, || {
                v.save_attachment(&id, &blake3, &path, &mut |_, _| {})
            })
            .map(|_| true)
        })
        .await
}

#[tauri::command]
pub async fn attachment_unstage(shell: Shell<'_>, id: String) -> Result<()> {
    shell
        .run(move |_, inner| {
            inner.staged.remove(&id);
            Ok(())
        })
        .await
}

/// The bytes go back as an `ArrayBuffer` for a `blob:` URL; never to a file.
#[tauri::command]
pub async fn attachment_get(
    shell: Shell<'_>,
    record: String,
    blake3: String,
) -> Result<tauri::ipc::Response> {
    shell
        .with_vault(move |v| {
            let bytes = v.attachment(&v.resolve_id(&record)?, &blake3)?;
            Ok(tauri::ipc::Response::new(bytes.to_vec()))
        })
        .await
}

#[tauri::command]
pub async fn attachment_remove(shell: Shell<'_>, record: String, blake3: String) -> Result<()> {
    shell
        .with_vault(move |v| v.remove_attachment(&v.resolve_id(&record)?, &blake3))
        .await
}

/// Newest first.
#[tauri::command]
pub async fn drafts_list(shell: Shell<'_>) -> Result<Vec<DraftInfo>> {
    shell.with_vault(|v| v.drafts()).await
}

#[tauri::command]
pub async fn draft_get(shell: Shell<'_>, key: String) -> Result<Option<Draft>> {
    shell.with_vault(move |v| v.draft(&key)).await
}

#[tauri::command]
pub async fn draft_save(shell: Shell<'_>, key: String, body: Value) -> Result<()> {
    shell.with_vault(move |v| v.save_draft(&key, &body)).await
}

/// Whether there was a draft.
#[tauri::command]
pub async fn draft_discard(shell: Shell<'_>, key: String) -> Result<bool> {
    shell.with_vault(move |v| v.discard_draft(&key)).await
}

/// Fingerprint words in the UI's language.
#[tauri::command]
pub async fn identity_get(shell: Shell<'_>, lang: String) -> Result<sync::Card> {
    shell
        .with_vault(move |v| {
            let mut card = v.identity();
            card.fingerprint = sync::words_in(&card.fingerprint, self::lang(&lang));
            Ok(card)
        })
        .await
}

/// Fingerprint words in the UI's language.
#[tauri::command]
pub async fn peers_list(shell: Shell<'_>, lang: String) -> Result<Vec<sync::PeerView>> {
    shell
        .with_vault(move |v| {
            let mut peers = v.peers()?;
            for p in &mut peers {
                p.fingerprint = sync::words_in(&p.fingerprint, self::lang(&lang));
            }
            Ok(peers)
        })
        .await
}

/// Marks a peer verified when `fingerprint` is the words its own screen shows (at
/// least four, in any UI language); `fingerprint_mismatch` otherwise.
#[tauri::command]
pub async fn peer_verify(
    shell: Shell<'_>,
    name: String,
    fingerprint: String,
) -> Result<sync::PeerView> {
    shell
        .with_vault(move |v| v.verify_peer(&name, &fingerprint))
        .await
}

#[tauri::command]
pub async fn peer_add(shell: Shell<'_>, card: String, name: String) -> Result<sync::PeerView> {
    shell.with_vault(move |v| v.add_peer(&card, &name)).await
}

#[tauri::command]
pub async fn peer_remove(shell: Shell<'_>, name: String) -> Result<()> {
    shell.with_vault(move |v| v.remove_peer(&name)).await
}

#[tauri::command]
pub async fn sync_status(shell: Shell<'_>) -> Result<Vec<sync::PeerStatus>> {
    shell.with_vault(|v| v.sync_status()).await
}

/// The organisation and its members as this device sees them; fingerprint words in
/// the UI's language.
#[derive(Serialize, TS)]
pub struct OrgView {
    org: OrgInfo,
    members: Vec<MemberView>,
}

/// Text to move by hand to another device, and the same text as a QR code (SVG; none
/// when it is too long for one).
#[derive(Serialize, TS)]
pub struct Transfer {
    text: String,
    qr: Option<String>,
}

impl Transfer {
    fn of(text: String) -> Self {
        let qr = crate::qr::svg(text.trim_end());
        Self { text, qr }
    }
}

/// A request to join, for a coordinator.
#[derive(Serialize, TS)]
pub struct EnrolRequestView {
    name: String,
    /// This device's fingerprint words, to read out to the coordinator.
    fingerprint: String,
    transfer: Transfer,
}

/// A certificate made for another device.
#[derive(Serialize, TS)]
pub struct EnrolApproved {
    member: MemberView,
    transfer: Transfer,
}

fn member_in(mut m: MemberView, lang: &str) -> MemberView {
    m.fingerprint = sync::words_in(&m.fingerprint, self::lang(lang));
    m
}

fn org_view(v: &Vault, lang: &str) -> std::result::Result<Option<OrgView>, ApiError> {
    let Some(org) = v.org()? else {
        return Ok(None);
    };
    let members = v
        .members()?
        .into_iter()
        .map(|m| member_in(m, lang))
        .collect();
    Ok(Some(OrgView { org, members }))
}

/// Null outside an organisation.
#[tauri::command]
pub async fn org_get(shell: Shell<'_>, lang: String) -> Result<Option<OrgView>> {
    shell.with_vault(move |v| org_view(v, &lang)).await
}

/// Creates an organisation with this device as its first coordinator.
#[tauri::command]
pub async fn org_create(
    shell: Shell<'_>,
    name: String,
    member_name: String,
    lang: String,
) -> Result<Option<OrgView>> {
    shell
        .with_vault(move |v| {
            v.org_create(&name, &member_name, satchel_api::org::DEFAULT_VALID_DAYS)?;
            org_view(v, &lang)
        })
        .await
}

/// A request to join an organisation under `name`.
#[tauri::command]
pub async fn enrol_request(
    shell: Shell<'_>,
    name: String,
    lang: String,
) -> Result<EnrolRequestView> {
    shell
        .with_vault(move |v| {
            let r = v.enrol_request(&name)?;
            Ok(EnrolRequestView {
                name: r.name,
                fingerprint: sync::words_in(&r.fingerprint, self::lang(&lang)),
                transfer: Transfer::of(r.text),
            })
        })
        .await
}

/// A coordinator approves a request: `fingerprint` is the words the requesting
/// device shows, typed here; `fingerprint_mismatch` and nothing issued otherwise.
#[tauri::command]
pub async fn enrol_approve(
    shell: Shell<'_>,
    request: String,
    fingerprint: String,
    role: String,
    valid_days: u64,
    lang: String,
) -> Result<EnrolApproved> {
    shell
        .with_vault(move |v| {
            let a = v.enrol_approve(&request, &fingerprint, &role, valid_days)?;
            Ok(EnrolApproved {
                member: member_in(a.member, &lang),
                transfer: Transfer::of(a.text),
            })
        })
        .await
}

/// The device takes the certificate a coordinator made for it, and joins.
#[tauri::command]
pub async fn enrol_accept(
    shell: Shell<'_>,
    certificate: String,
    lang: String,
) -> Result<Option<OrgView>> {
    shell
        .with_vault(move |v| {
            v.enrol_accept(&certificate)?;
            org_view(v, &lang)
        })
        .await
}

/// Revokes a member from op `from_seq` of their chain (by default the one after the
/// last held); returns the revocation to carry to the other devices.
#[tauri::command]
pub async fn member_revoke(
    shell: Shell<'_>,
    name: String,
    from_seq: Option<u64>,
) -> Result<Transfer> {
    shell
        .with_vault(move |v| Ok(Transfer::of(v.member_revoke(&name, from_seq)?)))
        .await
}

/// Certificates and revocations of this organisation carried by hand (a revocation
/// made on another coordinator's device); returns how many were new.
#[tauri::command]
pub async fn member_import(shell: Shell<'_>, text: String) -> Result<usize> {
    shell.with_vault(move |v| v.member_import(&text)).await
}

/// Removable drives mounted now.
#[tauri::command]
pub async fn drives_list(shell: Shell<'_>) -> Result<Vec<Drive>> {
    shell.run(|s, _| Ok(drives::list(&s.media_roots))).await
}

/// Emits progress.
#[tauri::command]
pub async fn bundle_export_drive<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    peers: Vec<String>,
    drive: String,
) -> Result<sync::ExportReport> {
    shell
        .run(move |s, inner| {
            let dir = drives::find(&s.media_roots, &drive).ok_or_else(IpcError::no_drive)?;
            let vault = inner.vault()?;
            Ok(with_progress(&app, Task::Export, Phase::Sealing, || {
                vault.export_bundle(&peers, &dir)
            })?)
        })
        .await
}

/// Asks for a folder with the system's dialog (outside the state lock, so the guard
/// can still lock while it is open), then exports there. Emits progress; null if
/// the user cancelled.
#[tauri::command]
pub async fn bundle_export_choose<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    peers: Vec<String>,
) -> Result<Option<sync::ExportReport>> {
    // Refuse before the dialog opens: no point choosing a folder for nothing.
    if peers.is_empty() || peers.len() > sync::MAX_RECIPIENTS {
        return Err(ApiError::BundleRecipients {
            max: sync::MAX_RECIPIENTS,
        }
        .into());
    }
    let Some(dir) = pick(&app, &shell, Dialog::Folder).await? else {
        return Ok(None);
    };
    shell
        .with_vault(move |v| {
            with_progress(&app, Task::Export, Phase::Sealing, || {
                v.export_bundle(&peers, &dir)
            })
            .map(Some)
        })
        .await
}

/// Writes a report (CSV or XLSX) of `request` into `dir` under a free name, with
/// progress in records. The file is plaintext: the window has warned and asked.
fn write_report<R: Runtime>(
    app: &AppHandle<R>,
    vault: &Vault,
    request: &ExportRequest,
    dir: &std::path::Path,
) -> satchel_api::Result<ReportWritten> {
    let out = export::free_name(dir, &request.form, request.format, &export::today());
    let result = vault.export_to(request, &out, false, &mut |done, total| {
        let _ = app.emit(
            "progress",
            Progress {
                task: Task::Report,
                phase: Phase::Writing,
                done: Some(done),
                total: Some(total),
            },
        );
    });
    progress(app, Task::Report, Phase::Done);
    result
}

/// Writes a report onto a removable drive, known by id. Emits progress.
#[tauri::command]
pub async fn records_export_drive<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    request: ExportRequest,
    drive: String,
) -> Result<ReportWritten> {
    shell
        .run(move |s, inner| {
            let vault = inner.vault()?;
            let dir = drives::find(&s.media_roots, &drive).ok_or_else(IpcError::no_drive)?;
            Ok(write_report(&app, vault, &request, &dir)?)
        })
        .await
}

/// Asks for a folder with the system's dialog (outside the state lock), then writes
/// a report there. Emits progress; null if the user cancelled.
#[tauri::command]
pub async fn records_export_choose<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    request: ExportRequest,
) -> Result<Option<ReportWritten>> {
    // A form that is not there is refused before the dialog opens.
    let form = request.form.clone();
    shell.with_vault(move |v| v.form(&form).map(drop)).await?;
    let Some(dir) = pick(&app, &shell, Dialog::Folder).await? else {
        return Ok(None);
    };
    shell
        .with_vault(move |v| write_report(&app, v, &request, &dir).map(Some))
        .await
}

/// The body is a bundle file's bytes. Emits progress. Fails with `bundle_refused`
/// (the message says why).
#[tauri::command]
pub async fn bundle_import<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    request: tauri::ipc::Request<'_>,
) -> Result<sync::ImportReport> {
    // Picked in the web view's file dialog, which listed it among GTK's recent files.
    crate::recent::forget_soon(&app);
    let bytes = raw_body(&request)?;
    shell
        .with_vault(move |v| {
            with_progress(&app, Task::Import, Phase::Decrypting, || {
                v.import_bundle_from(bytes.as_slice())
            })
        })
        .await
}

/// Picks a bundle file with the system's dialog (outside the state lock) and imports
/// it as a stream: a bundle carrying large attachments never crosses IPC whole.
/// `None` if cancelled.
#[tauri::command]
pub async fn bundle_import_choose<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
) -> Result<Option<sync::ImportReport>> {
    let Some(path) = pick(&app, &shell, Dialog::OpenFile).await? else {
        return Ok(None);
    };
    shell
        .with_vault(move |v| {
            with_progress(&app, Task::Import, Phase::Decrypting, || {
                v.import_bundle(&path)
            })
            .map(Some)
        })
        .await
}

/// The relays this device collects from (nothing secret).
#[tauri::command]
pub async fn relays_list(shell: Shell<'_>) -> Result<Vec<RelayView>> {
    shell.with_vault(|v| v.relays()).await
}

/// Adds a relay with the mailbox its operator made (the JSON `satchel-relay
/// mailbox create` prints, pasted). No network.
#[tauri::command]
pub async fn relay_add(shell: Shell<'_>, url: String, mailbox: String) -> Result<RelayView> {
    let mailbox = zeroize::Zeroizing::new(mailbox);
    shell.with_vault(move |v| v.relay_add(&url, &mailbox)).await
}

/// Adds a relay by asking it for a mailbox with its registration token: a network
/// step, which the safe-to-sync policy is asked about first.
#[tauri::command]
pub async fn relay_register(shell: Shell<'_>, url: String, token: String) -> Result<RelayView> {
    let token = zeroize::Zeroizing::new(token);
    shell
        .with_vault(move |v| v.relay_register(&url, &token, None))
        .await
}

/// Stops collecting from a relay.
#[tauri::command]
pub async fn relay_remove(shell: Shell<'_>, url: String) -> Result<()> {
    shell.with_vault(move |v| v.relay_remove(&url)).await
}

/// The safe-to-sync policy.
#[tauri::command]
pub async fn sync_policy_get(shell: Shell<'_>) -> Result<SyncPolicy> {
    shell.with_vault(|v| v.sync_policy()).await
}

/// Sets the safe-to-sync policy; returns it as kept.
#[tauri::command]
pub async fn sync_policy_set(shell: Shell<'_>, policy: SyncPolicy) -> Result<SyncPolicy> {
    shell.with_vault(move |v| v.set_sync_policy(policy)).await
}

/// The last network sync, if any.
#[tauri::command]
pub async fn sync_last(shell: Shell<'_>) -> Result<Option<LastSync>> {
    shell.with_vault(|v| v.last_sync()).await
}

/// Syncs through the relays now, as the person asked: collects, imports, deposits.
/// Emits progress in bytes; a lock, the panic key or Cancel ends it at once, and
/// what was cut resumes next time.
#[tauri::command]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>, shell: Shell<'_>) -> Result<SyncReport> {
    shell
        .with_vault(move |v| {
            let report = v.sync_now(true, None, &mut |p| {
                let phase = match p.step {
                    SyncStep::Sealing => Phase::Sealing,
                    SyncStep::Sending => Phase::Sending,
                    SyncStep::Listing => Phase::Listing,
                    SyncStep::Receiving => Phase::Receiving,
                    SyncStep::Importing => Phase::Decrypting,
                };
                let _ = app.emit(
                    "progress",
                    Progress {
                        task: Task::Sync,
                        phase,
                        done: Some(p.done),
                        total: (p.total > 0).then_some(p.total),
                    },
                );
            });
            progress(&app, Task::Sync, Phase::Done);
            report
        })
        .await
}

#[tauri::command]
pub async fn conflicts_list(shell: Shell<'_>, lang: String) -> Result<Vec<sync::Conflict>> {
    shell
        .with_vault(move |v| v.conflicts(self::lang(&lang)))
        .await
}

/// How a conflict ends: one of the values shown is kept, or a new one written.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Resolution {
    /// The op that wrote the value to keep (`ShownValue::op`, or 6+ of its first digits).
    Pick(String),
    /// A new value, in the shape of its field's type.
    Value(FieldValue),
}

/// Keeps one of a conflict's values, or writes a new one.
#[tauri::command]
pub async fn conflict_resolve(
    shell: Shell<'_>,
    record: String,
    field: String,
    resolution: Resolution,
) -> Result<()> {
    let (pick, value) = match resolution {
        Resolution::Pick(op) => (Some(op), None),
        Resolution::Value(v) => (None, Some(FieldInput::Json(v.into_json()))),
    };
    shell
        .with_vault(move |v| {
            let id: RecordId = v.resolve_id(&record)?;
            v.resolve_conflict(&id, &field, pick.as_deref(), value)
        })
        .await
}

#[tauri::command]
pub async fn quarantine_list(
    shell: Shell<'_>,
) -> Result<Vec<satchel_api::quarantine::QuarantineEntry>> {
    shell.with_vault(|v| v.quarantine()).await
}

#[tauri::command]
pub async fn quarantine_get(
    shell: Shell<'_>,
    id: String,
) -> Result<satchel_api::quarantine::QuarantinedOp> {
    shell.with_vault(move |v| v.quarantined_op(&id)).await
}

#[tauri::command]
pub async fn quarantine_drop(shell: Shell<'_>, id: String) -> Result<()> {
    shell.with_vault(move |v| v.drop_quarantined(&id)).await
}

/// Checks an audit export's bytes off the async runtime, with progress in ops.
async fn audit_check<R: Runtime>(
    app: &AppHandle<R>,
    read: impl FnOnce() -> std::result::Result<Vec<u8>, ApiError> + Send + 'static,
) -> Result<satchel_audit::AuditReport> {
    let events = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let checked = read().and_then(|bytes| {
            crate::audit::check(&bytes, &mut |done, total| {
                let _ = events.emit(
                    "progress",
                    Progress {
                        task: Task::AuditCheck,
                        phase: Phase::Checking,
                        done: Some(done),
                        total: Some(total),
                    },
                );
            })
        });
        progress(&events, Task::AuditCheck, Phase::Done);
        checked
    })
    .await
    .map_err(|_| IpcError::internal())?
    .map_err(IpcError::from)
}

/// Keeps the report for `audit_save_html` until the vault locks, and returns it.
async fn audit_keep(shell: &Arc<Shared>, checked: AuditChecked) -> Result<AuditChecked> {
    shell
        .run(move |_, inner| {
            inner.vault()?;
            inner.audit = Some(checked.clone());
            Ok(checked)
        })
        .await
}

/// Picks an audit export with the system's dialog (outside the state lock) and checks
/// it: every op's signature, each device's chain, the checkpoints and their
/// cosignatures, and the organisation's membership at each op's time. Emits progress
/// (ops checked of `total`). Needs nothing of the vault. Fails with
/// `audit_export_unreadable` for a file that is not one; `None` if cancelled.
#[tauri::command]
pub async fn audit_verify_pick<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
) -> Result<Option<AuditChecked>> {
    let Some(path) = pick(&app, &shell, Dialog::OpenFile).await? else {
        return Ok(None);
    };
    let file = crate::audit::file_name(&path);
    let report = audit_check(&app, move || crate::audit::read(&path)).await?;
    audit_keep(&shell, AuditChecked { file, report })
        .await
        .map(Some)
}

/// As `audit_verify_pick`, for an export chosen in the web view or dropped on it: the
/// body is the file's bytes, the `x-satchel-name` header its name (percent-encoded).
#[tauri::command]
pub async fn audit_verify<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    request: tauri::ipc::Request<'_>,
) -> Result<AuditChecked> {
    // Picked in the web view's file dialog, which listed it among GTK's recent files.
    crate::recent::forget_soon(&app);
    shell.run(|_, inner| inner.vault().map(drop)).await?;
    let file = header_name(&request).unwrap_or_default();
    let bytes = raw_body(&request)?;
    let report = audit_check(&app, move || Ok(bytes)).await?;
    audit_keep(&shell, AuditChecked { file, report }).await
}

fn no_audit_report() -> IpcError {
    IpcError::invalid(
        "report",
        "no_audit_report",
        "no audit export has been checked in this session",
    )
}

/// Saves the report of the audit export checked last as one self-contained HTML file
/// (no script, nothing fetched), named in the system's dialog. `false` if cancelled.
#[tauri::command]
pub async fn audit_save_html<R: Runtime>(app: AppHandle<R>, shell: Shell<'_>) -> Result<bool> {
    // Nothing to save is said before the dialog opens.
    let name = shell
        .run(|_, inner| {
            inner.vault()?;
            let checked = inner.audit.as_ref().ok_or_else(no_audit_report)?;
            Ok(crate::audit::report_name(&checked.file))
        })
        .await?;
    let Some(path) = pick(&app, &shell, Dialog::SaveAs(name)).await? else {
        return Ok(false);
    };
    shell
        .run(move |s, inner| {
            inner.vault()?;
            let checked = inner.audit.as_ref().ok_or_else(no_audit_report)?;
            let now = satchel_api::records::now_text();
            crate::audit::save_html(&s.dir, checked, &path, &now)?;
            Ok(true)
        })
        .await
}

/// Writes this vault's audit export (every op's signed header and every checkpoint
/// kept; no record content) to a file named in the system's dialog, and returns how
/// many ops it holds. A coordinator's, or a vault's in no organisation; refused with
/// `membership` otherwise, before the dialog opens. Emits progress; `None` if
/// cancelled.
#[tauri::command]
pub async fn audit_export_make<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
) -> Result<Option<usize>> {
    shell.with_vault(|v| v.check_coordinator()).await?;
    let name = format!("satchel-audit-{}.json", export::today());
    let Some(path) = pick(&app, &shell, Dialog::SaveAs(name)).await? else {
        return Ok(None);
    };
    shell
        .run(move |s, inner| {
            let vault = inner.vault()?;
            vault.check_coordinator()?;
            crate::audit::outside_vault(&s.dir, &path)?;
            let ops = with_progress(&app, Task::AuditExport, Phase::Writing, || {
                vault.audit_export(&path)
            })?;
            Ok(Some(ops))
        })
        .await
}

#[cfg(test)]
mod wipe_word_tests {
    use super::is_wipe_word;

    #[test]
    fn the_wipe_word_is_accepted_in_each_ui_language_and_nothing_else() {
        for word in ["WIPE", "삭제", "删除"] {
            assert!(is_wipe_word(word), "{word}");
        }
        for other in ["wipe", "Wipe", " WIPE", "WIPE ", "삭", "删", "", "ERASE"] {
            assert!(!is_wipe_word(other), "{other:?}");
        }
    }
}
