//! Satchel's desktop app: a thin Tauri shell over `satchel-api`.
//!
//! One managed state ([`state::Shared`]) holds the vault while it is unlocked; every
//! command is declared with its own permission and the main window's capability
//! grants exactly those (`capabilities/main-window.json`). Security decisions for the
//! shell are in `docs/adr/0008-desktop-shell.md`.

pub mod audit;
// Commands' docs are written for the web view: they are copied into
// `ui/src/lib/generated/commands.ts` (`tests/ipc_types.rs`).
#[allow(missing_docs)]
pub mod commands;
#[cfg(unix)]
pub mod dialog_process;
pub mod drives;
pub mod e2e_knob;
pub mod error;
pub mod guard;
pub mod hardening;
pub mod panic_key;
pub mod qr;
pub mod recent;
#[cfg(unix)]
pub mod restart;
#[cfg(target_os = "linux")]
pub mod screenlock;
pub mod settings;
pub mod startup;
pub mod state;

use std::{path::PathBuf, sync::Arc};

use clap::Parser;
use tauri::Runtime;

include!("command_names.rs");

/// Names of every command, as declared to the permission system.
pub fn command_names() -> &'static [&'static str] {
    COMMANDS
}

/// Command-line options of the app.
#[derive(Debug, Parser)]
#[command(name = "satchel-app", version, about = "Satchel desktop app")]
struct Args {
    /// Vault directory [default: the user's data directory]
    #[arg(long, env = "SATCHEL_VAULT")]
    vault: Option<PathBuf>,
}

/// Adds the state, plugins and commands to `builder`, for any runtime (the tests
/// start from Tauri's mock builder).
pub fn configure<R: Runtime>(
    builder: tauri::Builder<R>,
    shared: Arc<state::Shared>,
) -> tauri::Builder<R> {
    let guarded = Arc::clone(&shared);
    builder
        .manage(shared)
        .setup(move |app| {
            guard::start(app.handle().clone(), Arc::clone(&guarded));
            #[cfg(target_os = "linux")]
            screenlock::start(app.handle().clone(), guarded, screenlock::Buses::from_env());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault_state,
            commands::vault_create,
            commands::vault_unlock,
            commands::vault_recover,
            commands::vault_lock,
            commands::task_cancel,
            commands::vault_info,
            commands::vault_verify,
            commands::activity,
            commands::settings_get,
            commands::settings_set,
            commands::passphrase_change,
            commands::duress_set,
            commands::vault_rekey,
            commands::decoy_open,
            commands::panic,
            commands::vault_wipe,
            commands::forms_list,
            commands::form_rules,
            commands::form_import_xlsform,
            commands::records_page,
            commands::records_search,
            commands::record_authors,
            commands::record_get,
            commands::record_history,
            commands::record_create,
            commands::record_update,
            commands::record_delete,
            commands::record_purge,
            commands::record_assign,
            commands::offload_policy_get,
            commands::offload_policy_set,
            commands::offload_run,
            commands::attachment_stage,
            commands::attachment_stage_choose,
            commands::attachment_save,
            commands::attachment_unstage,
            commands::attachment_get,
            commands::attachment_remove,
            commands::drafts_list,
            commands::draft_get,
            commands::draft_save,
            commands::draft_discard,
            commands::identity_get,
            commands::peers_list,
            commands::peer_add,
            commands::peer_remove,
            commands::peer_verify,
            commands::sync_status,
            commands::org_get,
            commands::org_create,
            commands::enrol_request,
            commands::enrol_approve,
            commands::enrol_accept,
            commands::member_revoke,
            commands::member_import,
            commands::drives_list,
            commands::records_export_drive,
            commands::records_export_choose,
            commands::bundle_export_drive,
            commands::bundle_export_choose,
            commands::bundle_import,
            commands::bundle_import_choose,
            commands::relays_list,
            commands::relay_add,
            commands::relay_register,
            commands::relay_remove,
            commands::sync_policy_get,
            commands::sync_policy_set,
            commands::sync_last,
            commands::sync_now,
            commands::conflicts_list,
            commands::conflict_resolve,
            commands::quarantine_list,
            commands::quarantine_get,
            commands::quarantine_drop,
            commands::audit_verify_pick,
            commands::audit_verify,
            commands::audit_save_html,
            commands::audit_export_make,
        ])
}

/// The vault directory when none is given: the same one the CLI uses.
fn default_vault() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "satchel").map(|d| d.data_dir().join("vault"))
}

/// Starts the app.
pub fn run() {
    hardening::at_start();
    #[cfg(unix)]
    if let Some(code) = dialog_process::child_if_asked() {
        std::process::exit(code);
    }
    startup::mark();
    let args = Args::parse();
    let Some(dir) = args.vault.or_else(default_vault) else {
        eprintln!("satchel-app: no home directory; give --vault DIR");
        std::process::exit(2);
    };
    let shared = state::Shared::with_costs(dir, e2e_knob::read(), drives::roots());
    #[cfg(unix)]
    {
        shared.restart_on_panic();
        if let Ok(carried) = std::env::var(restart::CARRY) {
            shared.resume_after_panic(&carried);
        }
    }
    let started = configure(tauri::Builder::default(), shared)
        .build(tauri::generate_context!())
        .and_then(|app| {
            // A global panic key where the system allows one; never a reason not to start.
            if let Err(e) = app.handle().plugin(panic_key::plugin()) {
                eprintln!("satchel-app: the panic shortcut works in the window only: {e}");
            }
            private_dirs(&app);
            recent::forget_and_watch();
            let window = main_window(&app, automated())?;
            lean_webview(&window, automated() && !shipped_rendering());
            Ok(app)
        });
    match started {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("satchel-app: could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// The folders WebKit writes in for the app (its data and cache), private to the
/// user (0700) before anything is written there: created so, or narrowed if an
/// earlier version left them readable by others.
fn private_dirs<R: Runtime>(app: &tauri::App<R>) {
    use tauri::Manager;
    let paths = app.path();
    for dir in [
        paths.app_local_data_dir(),
        paths.app_data_dir(),
        paths.app_cache_dir(),
    ]
    .into_iter()
    .flatten()
    {
        if let Err(e) = satchel_api::files::create_private_dir(&dir) {
            eprintln!(
                "satchel-app: could not make a data folder private: {}",
                e.kind()
            );
        }
    }
}

/// A web view that keeps little in memory: no GPU compositing (its buffers and the
/// software GL it loads without a GPU cost about 90 MB here) and the smallest caches,
/// which a single local page does not need. Under WebDriver compositing stays on
/// (`automated`): WebKitWebDriver's screenshots hang without it.
#[cfg(target_os = "linux")]
fn lean_webview(window: &tauri::WebviewWindow, automated: bool) {
    let _ = window.with_webview(move |platform| {
        use webkit2gtk::{
            CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
        };
        let view = platform.inner();
        if let Some(settings) = WebViewExt::settings(&view)
            && !automated
        {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        // The page's file inputs get the dialog in a process of its own (ADR 0041).
        view.connect_run_file_chooser(|_, request| {
            dialog_process::for_web_view(request);
            true
        });
    });
}

#[cfg(not(target_os = "linux"))]
fn lean_webview(_window: &tauri::WebviewWindow, _automated: bool) {}

/// Under WebDriver, render as shipped (compositing off) anyway: the measurements
/// set this, as they take no screenshots.
fn shipped_rendering() -> bool {
    std::env::var("SATCHEL_WEBDRIVER_COMPOSITING").as_deref() == Ok("off")
}

/// Whether WebDriver is driving the app (tauri-driver sets this; Tauri then allows
/// automation of the first web context).
fn automated() -> bool {
    std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true")
}

/// The one window. Its web view is incognito (WebKitGTK's ephemeral data store: no
/// cache, storage or cookies on disk) except under WebDriver, which cannot drive an
/// ephemeral context; the end-to-end test's leak scan therefore checks the
/// persistent store, which is the stricter test (ADR 0008).
pub fn main_window<R: Runtime, M: tauri::Manager<R>>(
    manager: &M,
    automated: bool,
) -> tauri::Result<tauri::WebviewWindow<R>> {
    tauri::WebviewWindowBuilder::new(manager, "main", tauri::WebviewUrl::default())
        .title("Satchel")
        .inner_size(1120.0, 780.0)
        .min_inner_size(720.0, 520.0)
        .incognito(!automated)
        .disable_drag_drop_handler()
        .devtools(false)
        .build()
}

/// Elsewhere than Unix the app has no file dialogs yet.
#[cfg(not(unix))]
mod dialog_process_unsupported {
    pub enum Kind {
        Open,
        Save(Option<String>),
        Folder,
    }
    pub struct Ask;
    impl From<Kind> for Ask {
        fn from(_: Kind) -> Self {
            Ask
        }
    }
    pub fn choose(_ask: &Ask) -> std::io::Result<Vec<std::path::PathBuf>> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}
