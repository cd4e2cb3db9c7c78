//! The app's settings. They live encrypted inside the vault, so a seized laptop does
//! not even say which language its user reads; before unlock the UI follows the
//! system.

use serde::{Deserialize, Serialize};

use crate::error::{IpcError, Result};

/// Name of the settings entry in the vault.
pub(crate) const KEY: &str = "app";

/// What the panic shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum PanicAction {
    /// Lock the vault and clear the window.
    #[default]
    Lock,
    /// Erase the vault for good.
    Wipe,
}

/// Settings the UI edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// `en`, `ko` or `zh-Hans`; `None` follows the system.
    pub language: Option<String>,
    /// Minutes without activity before the vault locks.
    pub auto_lock_minutes: u32,
    /// What the panic shortcut does.
    pub panic_action: PanicAction,
    /// The key combination, as the UI writes it (`Ctrl+Shift+X`).
    pub panic_shortcut: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: None,
            auto_lock_minutes: 5,
            panic_action: PanicAction::Lock,
            panic_shortcut: "Ctrl+Shift+X".to_owned(),
        }
    }
}

/// Languages the UI ships.
pub const LANGUAGES: [&str; 3] = ["en", "ko", "zh-Hans"];

impl Settings {
    /// Refuses values the UI should never send.
    pub fn check(&self) -> Result<()> {
        if let Some(l) = &self.language
            && !LANGUAGES.contains(&l.as_str())
        {
            return Err(IpcError::invalid(
                "language",
                "not_choice",
                "unsupported language",
            ));
        }
        if !(1..=240).contains(&self.auto_lock_minutes) {
            return Err(IpcError::invalid(
                "autoLockMinutes",
                "out_of_range",
                "auto-lock is 1 to 240 minutes",
            )
            .param("min", 1)
            .param("max", 240));
        }
        let s = &self.panic_shortcut;
        if s.is_empty() || s.len() > 40 || !s.chars().all(|c| c.is_ascii_graphic()) {
            return Err(IpcError::invalid(
                "panicShortcut",
                "bad_shortcut",
                "a shortcut is up to 40 printable characters, like Ctrl+Shift+X",
            ));
        }
        Ok(())
    }

    /// Reads stored settings; anything unreadable falls back to the defaults, which are
    /// the safe choice (short auto-lock, panic locks).
    pub fn from_stored(json: Option<&str>) -> Self {
        json.and_then(|j| serde_json::from_str::<Settings>(j).ok())
            .filter(|s| s.check().is_ok())
            .unwrap_or_default()
    }

    /// The idle time before locking, for minutes of `minute` (60 s outside the
    /// end-to-end test).
    pub fn idle_timeout(&self, minute: std::time::Duration) -> std::time::Duration {
        minute * self.auto_lock_minutes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_refused_with_their_field() {
        let mut s = Settings::default();
        assert!(s.check().is_ok());
        s.language = Some("fr".into());
        assert_eq!(s.check().unwrap_err().field.as_deref(), Some("language"));
        s.language = Some("zh-Hans".into());
        s.auto_lock_minutes = 0;
        assert_eq!(
            s.check().unwrap_err().field.as_deref(),
            Some("autoLockMinutes")
        );
        s.auto_lock_minutes = 241;
        assert!(s.check().is_err());
        s.auto_lock_minutes = 240;
        s.panic_shortcut = "Ctrl+\u{0}".into();
        assert_eq!(
            s.check().unwrap_err().field.as_deref(),
            Some("panicShortcut")
        );
    }

    #[test]
    fn unreadable_stored_settings_fall_back_to_safe_defaults() {
        assert_eq!(Settings::from_stored(None), Settings::default());
        assert_eq!(Settings::from_stored(Some("{")), Settings::default());
        let too_long = r#"{"language":null,"autoLockMinutes":100000,"panicAction":"wipe","panicShortcut":"F12"}"#;
        assert_eq!(Settings::from_stored(Some(too_long)), Settings::default());
        let good =
            r#"{"language":"ko","autoLockMinutes":2,"panicAction":"wipe","panicShortcut":"F12"}"#;
        let s = Settings::from_stored(Some(good));
        assert_eq!(s.language.as_deref(), Some("ko"));
        assert_eq!(s.panic_action, PanicAction::Wipe);
        assert_eq!(
            s.idle_timeout(std::time::Duration::from_secs(60)).as_secs(),
            120
        );
    }
}
