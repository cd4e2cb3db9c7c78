//! The one error type that crosses IPC: `{ code, params, message, field? }`. Codes
//! and params come from `ApiError::code` and `ApiError::params` (the shell's own few
//! codes are in the same `ErrorCode` list): the UI says what went wrong in the user's
//! language from them alone. The message is `ApiError`'s English `Display`, for
//! support; it never holds a path, a secret or record content (ADR 0031).

use satchel_api::ApiError;
use satchel_api::error::{ErrorCode, ErrorParam, ErrorParams};
use serde::Serialize;

/// An error as the web view receives it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct IpcError {
    /// Stable, for the UI to branch on and translate.
    pub code: ErrorCode,
    /// What the translation needs besides the code: reasons as codes, names people
    /// gave, numbers.
    pub params: ErrorParams,
    /// In English, for support; the UI does not show it.
    pub message: String,
    /// The form field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl IpcError {
    fn new(code: ErrorCode, message: &str) -> Self {
        Self {
            code,
            params: ErrorParams::new(),
            message: message.to_owned(),
            field: None,
        }
    }

    fn with(mut self, name: &str, value: impl Into<ErrorParam>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// A command that needs the vault ran while it is locked.
    pub fn locked() -> Self {
        Self::new(ErrorCode::VaultLocked, "the vault is locked")
    }

    /// The vault is already unlocked.
    pub fn unlocked() -> Self {
        Self::new(ErrorCode::VaultUnlocked, "the vault is already unlocked")
    }

    /// A typed confirmation did not match.
    pub fn confirmation() -> Self {
        Self::new(
            ErrorCode::WrongConfirmation,
            "the confirmation word does not match; nothing was changed",
        )
    }

    /// Input the shell refuses before it reaches the vault: `problem` is a code the
    /// UI translates (like `ValueProblem`'s), `message` its English.
    pub fn invalid(field: &str, problem: &'static str, message: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(ErrorCode::InvalidValue, message)
                .with("field", field)
                .with("problem", problem)
        }
    }

    /// With a number the translation shows.
    pub fn param(self, name: &str, value: u64) -> Self {
        self.with(name, value)
    }

    /// Too much staged or sent at once.
    pub fn too_large(message: &str) -> Self {
        Self::new(ErrorCode::TooLarge, message)
    }

    /// A removable drive that is no longer there.
    pub fn no_drive() -> Self {
        Self::new(
            ErrorCode::NoDrive,
            "that drive is no longer connected; refresh the list",
        )
    }

    /// A worker thread died; nothing is known to have changed.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
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
            params: e.params(),
            message: e.to_string(),
            field,
        }
    }
}

/// What every command returns.
pub type Result<T> = std::result::Result<T, IpcError>;
