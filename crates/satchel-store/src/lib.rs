//! The vault database: SQLCipher through rusqlite, its schema and migrations, the op
//! log, the materialised records view, full-text search and attachments.
//!
//! ```no_run
//! use satchel_crypto::keys::DataKey;
//! let key = DataKey::generate().unwrap();
//! let store = satchel_store::Store::create(std::path::Path::new("vault.db"), &key).unwrap();
//! assert_eq!(store.counts().unwrap().records, 0);
//! ```

#[cfg(not(feature = "sqlcipher"))]
compile_error!(
    "satchel-store needs the `sqlcipher` feature: plain SQLite ignores PRAGMA key and would \
     write records in clear"
);

mod audit;
pub use audit::OpOpening;
mod blobs;
mod connection;
mod drafts;
pub mod error;
mod forms;
mod offload;
mod ops;
mod org;
mod pack;
mod records;
pub mod schema;
pub mod search;
mod sync;

pub use blobs::{BLOB_CHUNK, BlobWriter, StagedBlob};
pub use connection::{Counts, MetaRow, Store};
pub use drafts::{StoredDraft, record_draft_key};
pub use error::StoreError;
pub use offload::{Offloaded, RecordHeads};
pub use ops::LogReport;
pub use org::MemberObject;
pub use pack::pack_path;
pub use records::{AuthorFilter, ListFilter, StoredRecord, TimeFilter};
pub use sync::{BundleMeta, ImportOutcome, ImportRefused, Importing, META_FORM_PUB, Peer};
