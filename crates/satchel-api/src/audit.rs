//! This device's transparency log: its ops' ids in chain order, as an RFC 6962
//! Merkle log whose checkpoints the device signs as C2SP notes, so that anyone holding
//! its public key can later check that its history only grew (docs/audit-format.md).

use satchel_audit::{Checkpoint, Log, NoteError, NoteSigner};
use satchel_crypto::identity::DeviceKeys;
use satchel_sync::op::DeviceId;
use serde::Serialize;

use crate::{ApiError, Result, Vault};

/// The name of a device's log (and of the key that signs its checkpoints).
pub fn log_origin(device: &DeviceId) -> String {
    satchel_audit::device_origin(&device.0)
}

/// A device's signing key, signing its log's notes.
struct LogKey<'a> {
    keys: &'a DeviceKeys,
    name: String,
}

impl NoteSigner for LogKey<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn public_key(&self) -> [u8; 32] {
        self.keys.public().signing
    }
    fn sign(&self, message: &[u8]) -> std::result::Result<[u8; 64], NoteError> {
        self.keys
            .sign_log_note(message)
            .map_err(|_| NoteError::Refused)
    }
}

/// A signed checkpoint of this device's log.
#[derive(Debug, Clone, Serialize)]
pub struct LogCheckpoint {
    /// The log's name: `satchel/device/` and the device's key in hex.
    pub origin: String,
    /// How many ops.
    pub size: u64,
    /// Their tree hash, base64 (as in the note).
    pub root: String,
    /// The key that verifies it, in C2SP verifier-key form.
    pub verifier_key: String,
    /// The checkpoint as a C2SP signed note.
    pub note: String,
}

impl Vault {
    /// The checkpoint of this device's log at its current size, signed and kept (the
    /// one kept already if the log has not grown). Checks first that the log still
    /// holds, unchanged, what the last checkpoint kept said it held: a chain that lost
    /// or changed ops since is refused as damaged.
    pub fn log_checkpoint(&mut self) -> Result<LogCheckpoint> {
        let me = DeviceId(self.device.public().signing);
        let origin = log_origin(&me);
        let log = Log::from_leaves(self.store.chain_ids(&me)?);
        let key = LogKey {
            keys: &self.device,
            name: origin.clone(),
        };
        let verifier = satchel_audit::NoteVerifier::new(&origin, &key.public_key())
            .map_err(|_| ApiError::DatabaseDamaged)?;
        if let Some((size, note)) = self.store.checkpoint_latest(&origin)? {
            let (kept, _) =
                Checkpoint::open(&note, &verifier).map_err(|_| ApiError::DatabaseDamaged)?;
            // What was kept must be a prefix of the chain now: one consistency proof.
            let proof = log
                .prove_consistency(size)
                .ok_or(ApiError::DatabaseDamaged)?;
            if kept.size != size
                || satchel_audit::verify_consistency(
                    size,
                    &kept.root,
                    log.size(),
                    &log.root(),
                    &proof,
                )
                .is_err()
            {
                return Err(ApiError::DatabaseDamaged);
            }
            if size == log.size() {
                return Ok(view(&kept, &verifier, &note));
            }
        }
        let cp = Checkpoint::new(&origin, log.size(), log.root());
        let note = cp
            .sign(&key)
            .map_err(|_| ApiError::DatabaseDamaged)?
            .to_bytes();
        self.store.checkpoint_put(&origin, cp.size, &note)?;
        Ok(view(&cp, &verifier, &note))
    }

    /// Writes the audit export to `path` (docs/audit-format.md, "Audit export"):
    /// every op's header and signature by device, and this device's checkpoints,
    /// after signing one of its log as it is now. Nothing of any record's content.
    /// Returns the number of ops written.
    pub fn audit_export(&mut self, path: &std::path::Path) -> Result<usize> {
        self.log_checkpoint()?;
        let me = DeviceId(self.device.public().signing);
        let hex = |b: &[u8]| data_encoding::HEXLOWER.encode(b);
        let mut devices: Vec<satchel_audit::export::DeviceExport> = Vec::new();
        let mut count = 0;
        self.store.each_public_op(|author, header, signature| {
            let key = hex(&author);
            if devices.last().is_none_or(|d| d.key != key) {
                devices.push(satchel_audit::export::DeviceExport {
                    key,
                    ops: Vec::new(),
                    checkpoints: Vec::new(),
                });
            }
            if let Some(d) = devices.last_mut() {
                d.ops.push(satchel_audit::export::PublicOp {
                    header: hex(header),
                    signature: hex(signature),
                });
            }
            count += 1;
        })?;
        let mine = hex(&me.0);
        if let Some(d) = devices.iter_mut().find(|d| d.key == mine) {
            for (_, note) in self.store.checkpoints(&log_origin(&me))? {
                d.checkpoints
                    .push(String::from_utf8_lossy(&note).into_owned());
            }
        }
        let organisation = match self.org_id()? {
            Some(org) => {
                use satchel_store::MemberObject;
                let all = |kind| -> Result<Vec<String>> {
                    Ok(self
                        .store
                        .member_objects(kind)?
                        .iter()
                        .map(|b| hex(b))
                        .collect())
                };
                Some(satchel_audit::export::OrganisationExport {
                    id: hex(&org.0),
                    certificates: all(MemberObject::Certificate)?,
                    revocations: all(MemberObject::Revocation)?,
                })
            }
            None => None,
        };
        let export = satchel_audit::AuditExport {
            format: satchel_audit::export::FORMAT.into(),
            version: satchel_audit::export::VERSION,
            exported_by: mine,
            organisation,
            devices,
        };
        let bytes = serde_json::to_vec_pretty(&export).map_err(|_| ApiError::DatabaseDamaged)?;
        crate::files::replace(path, &bytes)?;
        Ok(count)
    }
}

fn view(cp: &Checkpoint, verifier: &satchel_audit::NoteVerifier, note: &[u8]) -> LogCheckpoint {
    LogCheckpoint {
        origin: cp.origin.clone(),
        size: cp.size,
        root: data_encoding::BASE64.encode(&cp.root),
        verifier_key: verifier.to_text(),
        note: String::from_utf8_lossy(note).into_owned(),
    }
}
