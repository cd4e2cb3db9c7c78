//! The exporting vault's accepted-ops log: every op it holds, in the order it
//! accepted them (written there or imported), as a Merkle log whose checkpoints its
//! device signs. An auditor checks that the log holds exactly the ops exported and
//! that every checkpoint kept is a prefix of it: a coordinator that later drops or
//! replaces an op it had accepted cannot show the same log again
//! (`docs/audit-format.md`, "Accepted-ops log").

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::device::{Anomaly, AnomalyCode};
use crate::log::{Hash, Log, verify_consistency};
use crate::note::{NoteError, NoteVerifier};

/// The name of a vault's accepted-ops log (and of the key that signs it: the
/// device's signing key).
pub fn accepted_origin(key: &[u8; 32]) -> String {
    format!("satchel/accepted/{}", data_encoding::HEXLOWER.encode(key))
}

/// The accepted-ops log in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedExport {
    /// Every op id, hex, in the order accepted.
    pub ops: Vec<String>,
    /// Checkpoints of the log the exporting device signed, as notes.
    pub checkpoints: Vec<String>,
}

/// What was found in the accepted-ops log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AcceptedReport {
    /// Leaves.
    pub ops: u64,
    /// Checkpoints whose signature verifies.
    pub checkpoints: u64,
    /// Everything found wrong.
    pub anomalies: Vec<Anomaly>,
}

fn found(code: AnomalyCode, size: Option<u64>, detail: String) -> Anomaly {
    Anomaly {
        code,
        seq: None,
        size,
        detail,
    }
}

/// Checks the accepted-ops log of the exporter `key` against the ids of every op
/// exported (`exported`): the same ops, each once; every checkpoint signed by the
/// exporter under the log's origin, and a prefix of the log.
pub fn verify_accepted(
    key: &[u8; 32],
    accepted: &AcceptedExport,
    exported: &BTreeSet<Hash>,
) -> AcceptedReport {
    use AnomalyCode as C;
    let mut anomalies = Vec::new();
    let mut leaves: Vec<Hash> = Vec::with_capacity(accepted.ops.len());
    let mut seen = BTreeSet::new();
    for (i, id) in accepted.ops.iter().enumerate() {
        let Some(leaf) = data_encoding::HEXLOWER
            .decode(id.as_bytes())
            .ok()
            .and_then(|b| Hash::try_from(b).ok())
        else {
            anomalies.push(found(
                C::AcceptedMismatch,
                None,
                format!("entry {} is not an op id", i + 1),
            ));
            continue;
        };
        if !seen.insert(leaf) {
            anomalies.push(found(
                C::AcceptedMismatch,
                None,
                format!("op {id} is accepted twice"),
            ));
        }
        if !exported.contains(&leaf) {
            anomalies.push(found(
                C::AcceptedMismatch,
                None,
                format!("op {id} was accepted but is not in the export"),
            ));
        }
        leaves.push(leaf);
    }
    let missing = exported.difference(&seen).count();
    if missing > 0 {
        anomalies.push(found(
            C::AcceptedMismatch,
            None,
            format!("{missing} op(s) of the export are not in the accepted-ops log"),
        ));
    }
    let log = Log::from_leaves(leaves);
    let root = log.root();
    let mut checkpoints = 0;
    match NoteVerifier::new(&accepted_origin(key), key) {
        Err(_) => anomalies.push(found(
            C::CheckpointBadSignature,
            None,
            "the exporter's key is not an Ed25519 key".into(),
        )),
        Ok(verifier) => {
            for note in &accepted.checkpoints {
                let cp = match Checkpoint::open(note.as_bytes(), &verifier) {
                    Ok((cp, _)) => cp,
                    Err(e) => {
                        let code = match e {
                            CheckpointError::WrongOrigin => C::CheckpointWrongOrigin,
                            CheckpointError::Note(
                                NoteError::BadSignature(_) | NoteError::Unverified,
                            ) => C::CheckpointBadSignature,
                            _ => C::CheckpointMalformed,
                        };
                        anomalies.push(found(
                            code,
                            None,
                            format!("an accepted-ops checkpoint: {e}"),
                        ));
                        continue;
                    }
                };
                checkpoints += 1;
                if cp.size > log.size() {
                    anomalies.push(found(
                        C::CheckpointBeyondLog,
                        Some(cp.size),
                        format!(
                            "the accepted-ops log was signed at {} ops; it holds {}",
                            cp.size,
                            log.size()
                        ),
                    ));
                    continue;
                }
                let proof = log.prove_consistency(cp.size).unwrap_or_default();
                if verify_consistency(cp.size, &cp.root, log.size(), &root, &proof).is_err() {
                    anomalies.push(found(
                        C::CheckpointMismatch,
                        Some(cp.size),
                        format!(
                            "the accepted-ops log's first {} ops are not those signed",
                            cp.size
                        ),
                    ));
                }
            }
        }
    }
    anomalies.sort_by_key(|a| (a.code, a.seq, a.size));
    AcceptedReport {
        ops: log.size(),
        checkpoints,
        anomalies,
    }
}
