//! The panic shortcut as a global key: it works while another program has the
//! keyboard, which is when someone walks up. The window's own handler stays for
//! where a global key cannot be had (Wayland without XWayland focus, a combination
//! another program holds).
//!
//! The binding follows the settings: the guard calls [`follow`] every tick and the
//! key is bound again when the shortcut changed (the last vault's choice stays
//! after lock, as in the window).

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime, plugin::TauriPlugin};
use tauri_plugin_global_shortcut::{GlobalShortcut, Shortcut, ShortcutState};

use crate::{commands, state::Shared};

/// The plugin, with one handler for whatever key is bound: the panic action. Only
/// Rust binds keys; the web view is granted none of the plugin's commands.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_global_shortcut::Builder::new()
        .with_handler(|app, _key, event| {
            if event.state == ShortcutState::Pressed {
                panic(app);
            }
        })
        .build()
}

/// Does what the settings say (lock or wipe), off the event loop, and ends the
/// session ([`commands::panic_now`]).
fn panic<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    std::thread::spawn(move || {
        let Some(shared) = app.try_state::<Arc<Shared>>() else {
            return;
        };
        let shared = Arc::clone(&shared);
        if let Err(e) = commands::panic_now(&app, &shared) {
            eprintln!("satchel: the panic key failed: {}", e.code);
        }
    });
}

/// A settings shortcut ("Ctrl+Shift+X", "F12") as a global key, if it is one.
pub fn parse(shortcut: &str) -> Option<Shortcut> {
    shortcut.parse().ok()
}

/// Binds the shortcut in the settings if it differs from `bound` (what was bound
/// before, kept by the caller). Without the plugin (it could not start) nothing
/// happens.
pub fn follow<R: Runtime>(app: &AppHandle<R>, shared: &Shared, bound: &mut Option<String>) {
    let want = shared.status().settings.panic_shortcut.clone();
    if bound.as_deref() == Some(want.as_str()) {
        return;
    }
    let Some(keys) = app.try_state::<GlobalShortcut<R>>() else {
        return;
    };
    let _ = keys.unregister_all();
    match parse(&want).map(|k| keys.register(k)) {
        Some(Ok(())) => {}
        Some(Err(e)) => eprintln!("satchel: the panic key {want} works in the window only: {e}"),
        None => eprintln!("satchel: the panic key {want} works in the window only"),
    }
    *bound = Some(want);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri_plugin_global_shortcut::{Code, Modifiers};

    #[test]
    fn every_choice_in_settings_is_a_global_key() {
        let ui = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ui/src/lib/shortcut.ts"
        ))
        .unwrap();
        // The quoted strings of the UI's SHORTCUT_CHOICES list.
        let list = ui
            .split("SHORTCUT_CHOICES = [")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap();
        let choices: Vec<&str> = list.split('\'').skip(1).step_by(2).collect();
        assert_eq!(choices.len(), 6, "{choices:?}");
        for c in &choices {
            assert!(parse(c).is_some(), "{c} is not a global key");
        }
        assert_eq!(
            parse("Ctrl+Shift+X"),
            Some(Shortcut::new(
                Some(Modifiers::CONTROL | Modifiers::SHIFT),
                Code::KeyX
            ))
        );
        assert_eq!(parse("F12"), Some(Shortcut::new(None, Code::F12)));
        assert_eq!(parse("Ctrl+"), None);
        assert_eq!(parse("not a key"), None);
    }
}
