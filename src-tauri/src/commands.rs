//! The commands the web view may call, one permission each (see `command_names.rs`).
//! Each takes plain data, makes one `satchel-api` call on a blocking thread and
//! returns plain data or an [`IpcError`]. No SQL, key or path crosses IPC: files come
//! in as bytes, drives as opaque ids, folders through the system's own dialog.

use std::{collections::BTreeMap, sync::Arc};

use satchel_api::{
    ApiError, Draft, DraftInfo, FieldInput, Found, ListFilter, NewAttachment, RecordId,
    RecordSummary, RecordView, RecoveryKey, SecretString, Vault,
    form::{FieldValue, Form},
    records::HistoryEntry,
    sync,
    vault::Info,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager, Runtime, State, ipc::InvokeBody};
use tauri_plugin_dialog::DialogExt;

use crate::{
    drives::{self, Drive},
    error::{IpcError, Result},
    settings::{self, LANGUAGES, PanicAction, Settings},
    state::{Inner, LockReason, MAX_STAGED, Shared},
};

type Shell<'a> = State<'a, Arc<Shared>>;

/// Largest page of records a list asks for.
const MAX_PAGE: usize = 500;
/// What the wipe confirmation must say.
const WIPE_WORD: &str = "WIPE";

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum Task {
    Create,
    Unlock,
    Recover,
    Passphrase,
    Import,
    Export,
    Attach,
    Save,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    DerivingKey,
    Decrypting,
    Sealing,
    Writing,
    Done,
}

#[derive(Serialize, Clone)]
struct Progress {
    task: Task,
    phase: Phase,
}

fn progress<R: Runtime>(app: &AppHandle<R>, task: Task, phase: Phase) {
    // Progress is a courtesy: a window that cannot hear it changes nothing.
    let _ = app.emit("progress", Progress { task, phase });
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

/// Reloads the web view so no record stays in its memory after a lock or wipe.
pub(crate) fn reload<R: Runtime>(app: &AppHandle<R>) {
    crate::recent::forget_soon(app);
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.reload();
    }
}

fn lang(l: &str) -> &str {
    if LANGUAGES.contains(&l) { l } else { "en" }
}

fn secret(s: String) -> SecretString {
    SecretString::from(s)
}

/// Opens the vault into `inner` and loads its settings.
fn opened(inner: &mut Inner, vault: Vault) {
    let stored = vault.setting(settings::KEY).ok().flatten();
    inner.settings = Settings::from_stored(stored.as_deref());
    inner.vault = Some(vault);
    inner.lock_reason = None;
}

#[derive(Serialize)]
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
    shell
        .run(|s, inner| {
            Ok(VaultState {
                exists: satchel_api::vault::exists(&s.dir),
                unlocked: inner.vault.is_some(),
                lock_reason: inner.lock_reason.filter(|r| r.is_told()),
                panic_shortcut: inner.settings.panic_shortcut.clone(),
            })
        })
        .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    recovery_key: String,
}

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
            opened(inner, vault);
            Ok(Created {
                recovery_key: key.to_string(),
            })
        })
        .await
}

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
                satchel_api::unlock(&s.dir, &passphrase, s.kdf())
            })?;
            opened(inner, vault);
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
                satchel_api::recover(&s.dir, &key, &new, s.kdf())
            })?;
            opened(inner, vault);
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn vault_lock<R: Runtime>(app: AppHandle<R>, shell: Shell<'_>) -> Result<()> {
    shell
        .run(|_, inner| Ok(inner.lock(LockReason::User)))
        .await?;
    reload(&app);
    Ok(())
}

#[tauri::command]
pub async fn vault_info(shell: Shell<'_>) -> Result<Info> {
    shell.with_vault(|v| v.info()).await
}

#[derive(Serialize)]
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

/// The user is here: `run` resets the idle timer.
#[tauri::command]
pub async fn activity(shell: Shell<'_>) -> Result<()> {
    shell.run(|_, _| Ok(())).await
}

#[tauri::command]
pub async fn settings_get(shell: Shell<'_>) -> Result<Settings> {
    shell
        .run(|_, inner| {
            inner.vault()?;
            Ok(inner.settings.clone())
        })
        .await
}

#[tauri::command]
pub async fn settings_set(shell: Shell<'_>, settings: Settings) -> Result<()> {
    settings.check()?;
    shell
        .run(move |_, inner| {
            let json = serde_json::to_string(&settings).map_err(|_| IpcError::internal())?;
            inner.vault()?.set_setting(settings::KEY, &json)?;
            inner.settings = settings;
            Ok(())
        })
        .await
}

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

/// Erases the vault: through the open vault when unlocked, from its files otherwise.
fn wipe_now(s: &Shared, inner: &mut Inner) -> Result<()> {
    inner.staged.clear();
    match inner.vault.take() {
        Some(v) => v.wipe().map(drop)?,
        None if satchel_api::vault::exists(&s.dir) => satchel_api::wipe(&s.dir).map(drop)?,
        None => {}
    }
    inner.lock_reason = Some(LockReason::Panic);
    Ok(())
}

/// The panic shortcut: whatever the settings say, at once, then a clean window.
#[tauri::command]
pub async fn panic<R: Runtime>(app: AppHandle<R>, shell: Shell<'_>) -> Result<()> {
    let result = shell.run(panic_now).await;
    reload(&app);
    result
}

/// What the panic shortcut does, from the window or from the global key.
pub fn panic_now(s: &Shared, inner: &mut Inner) -> Result<()> {
    match inner.settings.panic_action {
        PanicAction::Wipe => wipe_now(s, inner),
        PanicAction::Lock => {
            inner.lock(LockReason::Panic);
            Ok(())
        }
    }
}

#[tauri::command]
pub async fn vault_wipe<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    confirm: String,
) -> Result<()> {
    if confirm != WIPE_WORD {
        return Err(IpcError::confirmation());
    }
    let result = shell.run(wipe_now).await;
    reload(&app);
    result
}

#[tauri::command]
pub async fn forms_list(shell: Shell<'_>) -> Result<Vec<Form>> {
    shell.with_vault(|v| v.forms()).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PageQuery {
    form: Option<String>,
    offset: usize,
    limit: usize,
    oldest_first: bool,
}

#[derive(Serialize)]
pub struct Page {
    total: u64,
    items: Vec<RecordSummary>,
}

#[tauri::command]
pub async fn records_page(shell: Shell<'_>, query: PageQuery) -> Result<Page> {
    let filter = ListFilter {
        form: query.form,
        include_deleted: false,
        limit: query.limit.clamp(1, MAX_PAGE),
        offset: query.offset,
        oldest_first: query.oldest_first,
    };
    shell
        .with_vault(move |v| {
            Ok(Page {
                total: v.count_records(&filter)?,
                items: v.records(&filter)?,
            })
        })
        .await
}

#[tauri::command]
pub async fn records_search(
    shell: Shell<'_>,
    query: String,
    form: Option<String>,
) -> Result<Found> {
    let query: String = query.chars().take(200).collect();
    shell
        .with_vault(move |v| v.search_in(&query, form.as_deref(), 0))
        .await
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

/// Raw bytes of the request, as sent by `invoke(cmd, Uint8Array)`.
fn raw_body(request: &tauri::ipc::Request<'_>) -> Result<Vec<u8>> {
    match request.body() {
        InvokeBody::Raw(bytes) => Ok(bytes.clone()),
        InvokeBody::Json(_) => Err(IpcError::invalid("body", "expected the file's bytes")),
    }
}

#[derive(Serialize)]
pub struct Staged {
    id: String,
    name: String,
    size: usize,
}

#[tauri::command]
pub async fn attachment_stage<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
    request: tauri::ipc::Request<'_>,
) -> Result<Staged> {
    // The web view's file dialog has just listed the file among GTK's recent ones.
    crate::recent::forget_soon(&app);
    let name = request
        .headers()
        .get("x-satchel-name")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| percent_encoding::percent_decode_str(h).decode_utf8().ok())
        .map(|n| n.chars().take(255).collect::<String>())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| IpcError::invalid("name", "an attachment needs a file name"))?;
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

/// Picks a file with the system's dialog (outside the state lock) and streams it
/// into the vault a chunk at a time, so a recorded testimony of gigabytes never
/// crosses IPC or sits in memory. `None` if cancelled.
#[tauri::command]
pub async fn attachment_stage_choose<R: Runtime>(
    app: AppHandle<R>,
    shell: Shell<'_>,
) -> Result<Option<Staged>> {
    shell.run(|_, inner| inner.vault().map(drop)).await?;
    let picker = app.clone();
    let file =
        tauri::async_runtime::spawn_blocking(move || picker.dialog().file().blocking_pick_file())
            .await
            .map_err(|_| IpcError::internal())?;
    crate::recent::forget_soon(&app);
    let Some(path) = file.and_then(|f| f.into_path().ok()) else {
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
    shell.run(|_, inner| inner.vault().map(drop)).await?;
    let picker = app.clone();
    let file =
        tauri::async_runtime::spawn_blocking(move || picker.dialog().file().blocking_save_file())
            .await
            .map_err(|_| IpcError::internal())?;
    crate::recent::forget_soon(&app);
    let Some(path) = file.and_then(|f| f.into_path().ok()) else {
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

#[tauri::command]
pub async fn draft_discard(shell: Shell<'_>, key: String) -> Result<bool> {
    shell.with_vault(move |v| v.discard_draft(&key)).await
}

#[tauri::command]
pub async fn identity_get(shell: Shell<'_>) -> Result<sync::Card> {
    shell.with_vault(|v| Ok(v.identity())).await
}

#[tauri::command]
pub async fn peers_list(shell: Shell<'_>) -> Result<Vec<sync::PeerView>> {
    shell.with_vault(|v| v.peers()).await
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

#[tauri::command]
pub async fn drives_list(shell: Shell<'_>) -> Result<Vec<Drive>> {
    shell.run(|s, _| Ok(drives::list(&s.media_roots))).await
}

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
/// can still lock while it is open), then exports there. `None` if cancelled.
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
    shell.run(|_, inner| inner.vault().map(drop)).await?;
    let picker = app.clone();
    let folder =
        tauri::async_runtime::spawn_blocking(move || picker.dialog().file().blocking_pick_folder())
            .await
            .map_err(|_| IpcError::internal())?;
    crate::recent::forget_soon(&app);
    let Some(dir) = folder.and_then(|f| f.into_path().ok()) else {
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
    shell.run(|_, inner| inner.vault().map(drop)).await?;
    let picker = app.clone();
    let file =
        tauri::async_runtime::spawn_blocking(move || picker.dialog().file().blocking_pick_file())
            .await
            .map_err(|_| IpcError::internal())?;
    crate::recent::forget_soon(&app);
    let Some(path) = file.and_then(|f| f.into_path().ok()) else {
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

#[tauri::command]
pub async fn conflicts_list(shell: Shell<'_>, lang: String) -> Result<Vec<sync::Conflict>> {
    shell
        .with_vault(move |v| v.conflicts(self::lang(&lang)))
        .await
}

#[tauri::command]
pub async fn conflict_resolve(
    shell: Shell<'_>,
    record: String,
    field: String,
    pick: Option<String>,
    value: Option<Value>,
) -> Result<()> {
    shell
        .with_vault(move |v| {
            let id: RecordId = v.resolve_id(&record)?;
            v.resolve_conflict(&id, &field, pick.as_deref(), value.map(FieldInput::Json))
        })
        .await
}
