//! GTK keeps a list of recently used files in `~/.local/share/recently-used.xbel`, in
//! plaintext and tagged with the program's name: every file picked in a file dialog
//! (an attachment, a bundle, an export folder) would be listed there after a wipe,
//! and shown in the next dialog. Satchel removes its own entries from that list: at
//! start, whenever the list changes (a file dialog's own process wrote it), after
//! every dialog and every file the web view picked, and at a lock by panic or an
//! erase.
//!
//! Turning the list off (`gtk-recent-files-enabled`) is not an option: GTK then
//! rewrites the file empty, erasing every other program's entries too. An entry is
//! on disk for the moment between a dialog and its removal; the file system may keep
//! that old copy of the file (see docs/vault-security.md).

use tauri::{AppHandle, Runtime};

/// Removes Satchel's entries from the recently-used list, on the main thread (GTK's).
pub fn forget_soon<R: Runtime>(app: &AppHandle<R>) {
    let _ = app.run_on_main_thread(forget);
}

/// Removes every entry this program added. Must run on GTK's thread.
#[cfg(target_os = "linux")]
pub fn forget() {
    use gtk::prelude::*;
    // GTK's objects may only be touched on its thread once it runs (not, for
    // example, under Tauri's mock runtime in tests).
    if !gtk::is_initialized_main_thread() {
        return;
    }
    let Some(manager) = gtk::RecentManager::default() else {
        return;
    };
    let names: Vec<String> = [gtk::glib::prgname(), gtk::glib::application_name()]
        .into_iter()
        .flatten()
        .map(|n| n.to_string())
        .collect();
    for info in manager.items() {
        if let Some(uri) = info.uri()
            && names.iter().any(|n| info.has_application(n))
        {
            let _ = manager.remove_item(&uri);
        }
    }
}

/// Removes Satchel's entries now, and again whenever the list changes: GTK reads the
/// file again when another process writes it, and the file dialogs run in processes
/// of their own (ADR 0041). Must run on GTK's thread.
#[cfg(target_os = "linux")]
pub fn forget_and_watch() {
    use gtk::prelude::*;
    forget();
    if !gtk::is_initialized_main_thread() {
        return;
    }
    if let Some(manager) = gtk::RecentManager::default() {
        // A removal changes the list once more, and then finds nothing to remove.
        manager.connect_changed(|_| forget());
    }
}

/// Other platforms keep no such list for the app's dialogs.
#[cfg(not(target_os = "linux"))]
pub fn forget() {}

/// Other platforms keep no such list for the app's dialogs.
#[cfg(not(target_os = "linux"))]
pub fn forget_and_watch() {}
