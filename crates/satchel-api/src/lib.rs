//! One function per user action: the only API Satchel's front ends (the `satchel` CLI
//! and the desktop app) use.
//!
//! ```
//! use satchel_api::{FieldInput, KdfProfile, SecretString};
//! let dir = tempfile::tempdir().unwrap();
//! let pass = SecretString::from("a long passphrase");
//! let (mut vault, _recovery) = satchel_api::init(dir.path(), &pass, KdfProfile::InsecureTest).unwrap();
//! let id = vault
//!     .add_record("contact", &[("name".into(), FieldInput::Text("김철수".into()))], &[])
//!     .unwrap();
//! assert_eq!(vault.search("철수", 10).unwrap()[0].id, id.to_string());
//! ```

pub mod audit;
mod background;
mod cancel;
pub mod drafts;
pub mod error;
pub mod export;
pub mod files;
pub mod filter;
pub mod network;
pub mod offload;
pub mod org;
/// Form definitions and value rules ([`satchel_forms`]).
pub use satchel_forms as form;
pub use satchel_xlsform as form_xlsform;
pub mod quarantine;
pub mod records;
pub mod sync;
pub mod vault;

pub use drafts::{Draft, DraftFor, DraftInfo};
pub use error::{ApiError, Result};
pub use filter::{AuthorChoice, RecordEvent, RecordFilter};
pub use records::{
    Change, FieldInput, Found, NewAttachment, RecordSummary, RecordView, SnippetPart,
    StoredAttachment,
};
pub use satchel_crypto::{
    kdf::KdfProfile,
    recovery::RecoveryKey,
    secrecy::{ExposeSecret, SecretString},
};
pub use satchel_store::ListFilter;
pub use satchel_sync::op::RecordId;
pub use vault::{Info, Vault, init, recover, recover_with, unlock, unlock_with, wipe};
