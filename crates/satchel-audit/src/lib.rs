//! Satchel's transparency logs: every op a device writes, and every op a coordinator
//! accepts, is a leaf of a Merkle log (RFC 6962 hashing); the log's signed checkpoints
//! (C2SP tlog-checkpoint over C2SP signed-note, Ed25519) and witnesses' cosignatures
//! (C2SP tlog-cosignature) let an auditor check, without any plaintext, that no op was
//! dropped, reordered or rewritten (DESIGN §8, `docs/audit-format.md`).
//!
//! Pure: no I/O, no database, no clock; callers pass times and keys in.

pub mod accepted;
pub mod checkpoint;
pub mod cosign;
pub mod device;
pub mod export;
pub mod html;
pub mod log;
pub mod note;
pub mod opening;
pub mod witness;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use cosign::{Witness, cosign};
pub use device::{
    Anomaly, AnomalyCode, DeviceReport, device_origin, verify_cosignatures, verify_device,
};
pub use export::{AuditExport, AuditReport, verify_export, verify_export_with};
pub use log::{Hash, Log, ProofError, verify_consistency, verify_inclusion};
pub use note::{Note, NoteError, NoteSignature, NoteSigner, NoteVerifier};
pub use witness::{LogRefusal, check_sender_log, witness_name};
