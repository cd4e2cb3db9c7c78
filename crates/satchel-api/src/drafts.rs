//! Unsaved form input. The app keeps what a person types in a record form as a draft
//! inside the vault, moments after each keystroke, so a lock (idle, screen lock,
//! suspend, the panic key's lock), a crash or a flat battery loses nothing typed. The
//! draft goes when the record is saved or the person discards it; a wipe takes it with
//! the vault. Its body is the front end's own JSON, kept as given.

use serde::Serialize;
use serde_json::Value;

use crate::{ApiError, RecordId, Result, Vault, records::now_ms};

/// Largest draft body kept, serialised.
pub const MAX_DRAFT: usize = 1024 * 1024;

/// What a draft is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftFor {
    /// A new record of this form.
    New(String),
    /// Changes to this record.
    Record(RecordId),
}

impl DraftFor {
    /// Parses `new:<form>` or `record:<id>` (the full id).
    pub fn parse(key: &str) -> Result<Self> {
        let bad = || ApiError::InvalidDraft(key.chars().take(80).collect());
        match key.split_once(':') {
            Some(("new", form)) if !form.is_empty() => Ok(Self::New(form.to_owned())),
            Some(("record", id)) => RecordId::parse(id).map(Self::Record).ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// The key it is stored under.
    pub fn key(&self) -> String {
        match self {
            Self::New(form) => format!("new:{form}"),
            Self::Record(id) => satchel_store::record_draft_key(id),
        }
    }
}

/// A kept draft.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// `new:<form>` or `record:<id>`.
    pub key: String,
    /// When it was last kept, in Unix milliseconds.
    pub saved_ms: i64,
    /// The front end's input, as it was given.
    pub body: Value,
}

/// A kept draft, without its content.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DraftInfo {
    /// `new:<form>` or `record:<id>`.
    pub key: String,
    /// The form the input is for.
    pub form: String,
    /// When it was last kept, in Unix milliseconds.
    pub saved_ms: i64,
}

/// A draft's time, UTC, RFC 3339 to the second.
pub fn format_ms(ms: i64) -> String {
    crate::records::format_time(satchel_sync::hlc::Hlc {
        wall_ms: u64::try_from(ms).unwrap_or(0),
        counter: 0,
    })
}

impl Vault {
    /// Keeps `body` (a JSON object) as the draft for `key`, replacing any earlier one.
    /// The form, or the record, must exist.
    pub fn save_draft(&mut self, key: &str, body: &Value) -> Result<()> {
        let target = DraftFor::parse(key)?;
        self.draft_form(&target)?;
        let not_object = || ApiError::InvalidValue {
            field: "draft".into(),
            problem: crate::form::ValueProblem::DraftNotObject,
        };
        if !body.is_object() {
            return Err(not_object());
        }
        let bytes = zeroize::Zeroizing::new(serde_json::to_vec(body).map_err(|_| not_object())?);
        if bytes.len() > MAX_DRAFT {
            return Err(ApiError::DraftTooLarge {
                limit_kib: MAX_DRAFT / 1024,
            });
        }
        let ms = i64::try_from(now_ms()).unwrap_or(i64::MAX);
        Ok(self.store.draft_put(&target.key(), ms, &bytes)?)
    }

    /// The draft kept for `key`, if any.
    pub fn draft(&self, key: &str) -> Result<Option<Draft>> {
        let target = DraftFor::parse(key)?;
        let Some(stored) = self.store.draft_get(&target.key())? else {
            return Ok(None);
        };
        // Kept by this vault from a serialised object; anything else is damage.
        let body = serde_json::from_slice(&stored.body).map_err(|_| ApiError::DatabaseDamaged)?;
        Ok(Some(Draft {
            key: stored.key,
            saved_ms: stored.saved_ms,
            body,
        }))
    }

    /// Every kept draft, newest first. A draft whose record is gone is still listed
    /// (under the form `?`): what was typed is the person's to discard. (A purge,
    /// here or from a peer, erases the record's draft with its content.)
    pub fn drafts(&self) -> Result<Vec<DraftInfo>> {
        self.store
            .drafts()?
            .into_iter()
            .map(|(key, saved_ms)| {
                let form = DraftFor::parse(&key)
                    .and_then(|t| self.draft_form(&t))
                    .unwrap_or_else(|_| "?".into());
                Ok(DraftInfo {
                    key,
                    form,
                    saved_ms,
                })
            })
            .collect()
    }

    /// Discards the draft kept for `key`; says whether there was one.
    pub fn discard_draft(&mut self, key: &str) -> Result<bool> {
        let target = DraftFor::parse(key)?;
        Ok(self.store.draft_delete(&target.key())?)
    }

    /// The form a draft's input belongs to.
    fn draft_form(&self, target: &DraftFor) -> Result<String> {
        match target {
            DraftFor::New(form) => Ok(self.form(form)?.name),
            DraftFor::Record(id) => match self.store.record(id)? {
                Some(r) => Ok(r.state.form),
                None => Err(ApiError::RecordNotFound(id.to_string())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_back() {
        assert_eq!(
            DraftFor::parse("new:contact").unwrap(),
            DraftFor::New("contact".into())
        );
        let id = RecordId::random().unwrap();
        let key = format!("record:{id}");
        assert_eq!(DraftFor::parse(&key).unwrap(), DraftFor::Record(id));
        assert_eq!(DraftFor::parse(&key).unwrap().key(), key);
        for bad in [
            "",
            "new:",
            "new",
            "record:",
            "record:abc",
            "old:contact",
            ":x",
        ] {
            assert!(
                matches!(DraftFor::parse(bad), Err(ApiError::InvalidDraft(_))),
                "{bad}"
            );
        }
    }
}
