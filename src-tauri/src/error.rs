//! The one error type that crosses IPC: `{ code, message, field? }`. Codes come from
//! `ApiError::code`, messages from its `Display`, which never hold a path, a secret or
//! record content; the shell adds only its own few codes.

use satchel_api::ApiError;
use serde::Serialize;

/// An error as the web view receives it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct IpcError {
    /// Stable, for the UI to branch on and translate.
    pub code: &'static str,
    /// English fallback for people.
    pub message: String,
    /// The form field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl IpcError {
    fn new(code: &'static str, message: &str) -> Self {
        Self {
            code,
            message: message.to_owned(),
            field: None,
        }
    }

    /// A command that needs the vault ran while it is locked.
    pub fn locked() -> Self {
        Self::new("vault_locked", "the vault is locked")
    }

    /// The vault is already unlocked.
    pub fn unlocked() -> Self {
        Self::new("vault_unlocked", "the vault is already unlocked")
    }

    /// A typed confirmation did not match.
    pub fn confirmation() -> Self {
        Self::new(
            "wrong_confirmation",
            "the confirmation word does not match; nothing was changed",
        )
    }

    /// Input the shell refuses before it reaches the vault.
    pub fn invalid(field: &str, message: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new("invalid_value", message)
        }
    }

    /// Too much staged or sent at once.
    pub fn too_large(message: &str) -> Self {
        Self::new("too_large", message)
    }

    /// A removable drive that is no longer there.
    pub fn no_drive() -> Self {
        Self::new(
            "no_drive",
            "that drive is no longer connected; refresh the list",
        )
    }

    /// A worker thread died; nothing is known to have changed.
    pub fn internal() -> Self {
        Self::new(
            "internal",
            "an internal error stopped this action; nothing was changed",
        )
    }
}

impl From<ApiError> for IpcError {
    fn from(e: ApiError) -> Self {
        let field = match &e {
            ApiError::InvalidValue { field, .. } | ApiError::MissingRequired { field } => {
                Some(field.clone())
            }
            ApiError::UnknownField { field, .. } => Some(field.clone()),
            _ => None,
        };
        Self {
            code: e.code(),
            message: e.to_string(),
            field,
        }
    }
}

/// What every command returns.
pub type Result<T> = std::result::Result<T, IpcError>;
