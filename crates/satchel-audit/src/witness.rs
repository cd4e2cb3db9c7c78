//! The logs in sync: a bundle carries its sender's newest checkpoint with consistency
//! proofs, and the recipient, as a witness, checks that the sender's log only grew
//! since the checkpoint it kept of it, then cosigns (docs/bundle-format.md, "Log";
//! docs/audit-format.md).

use satchel_crypto::identity::DeviceKeys;

use crate::checkpoint::Checkpoint;
use crate::cosign::{Witness, cosign};
use crate::device::device_origin;
use crate::log::{Hash, verify_consistency};
use crate::note::{Note, NoteError, NoteSigner, NoteVerifier};

/// Most consistency proofs a bundle carries.
pub const MAX_PROOFS: usize = 32;
/// Most hashes in one proof: two per level of a tree of 2^63 leaves.
pub const MAX_PROOF_HASHES: usize = 128;
/// Largest checkpoint note carried (a checkpoint and a few cosignatures).
pub const MAX_CHECKPOINT_NOTE: usize = 8 * 1024;

/// A device's signing key under a log key's name: its own log's origin, its
/// accepted-ops log's, or its witness name ([`DeviceKeys::sign_log_note`] signs nothing else).
pub struct DeviceLogKey<'a> {
    keys: &'a DeviceKeys,
    name: String,
}

impl<'a> DeviceLogKey<'a> {
    /// Signs checkpoints of the device's own log.
    pub fn log(keys: &'a DeviceKeys) -> Self {
        let name = device_origin(&keys.public().signing);
        Self { keys, name }
    }

    /// Signs checkpoints of the vault's accepted-ops log.
    pub fn accepted(keys: &'a DeviceKeys) -> Self {
        let name = crate::accepted::accepted_origin(&keys.public().signing);
        Self { keys, name }
    }

    /// Cosigns other devices' checkpoints.
    pub fn witness(keys: &'a DeviceKeys) -> Self {
        let name = witness_name(&keys.public().signing);
        Self { keys, name }
    }
}

impl NoteSigner for DeviceLogKey<'_> {
    fn name(&self) -> &str {
        &self.name
    }
    fn public_key(&self) -> [u8; 32] {
        self.keys.public().signing
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], NoteError> {
        self.keys
            .sign_log_note(message)
            .map_err(|_| NoteError::Refused)
    }
}

/// The name under which a device cosigns other devices' checkpoints.
pub fn witness_name(key: &[u8; 32]) -> String {
    format!("satchel/witness/{}", data_encoding::HEXLOWER.encode(key))
}

/// The witness a device is.
pub fn witness_of(key: &[u8; 32]) -> Result<Witness, NoteError> {
    Witness::new(&witness_name(key), key)
}

/// A device's log key, as a reader knows it.
pub fn log_verifier(key: &[u8; 32]) -> Result<NoteVerifier, NoteError> {
    NoteVerifier::new(&device_origin(key), key)
}

/// Why a sender's log was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogRefusal {
    /// Its checkpoint is not one the sender signed of its own log.
    #[error("the sender's checkpoint does not verify: {0}")]
    Malformed(String),
    /// Smaller than the one kept: the sender's history went back.
    #[error("the sender's log went back from {kept} ops to {sent}")]
    Rewound {
        /// The size kept here.
        kept: u64,
        /// The size now sent.
        sent: u64,
    },
    /// Not an extension of the one kept: the sender's history was rewritten.
    #[error("the sender's log at {sent} ops does not extend the {kept} ops seen before")]
    Forked {
        /// The size kept here.
        kept: u64,
        /// The size now sent.
        sent: u64,
    },
    /// No proof from the size kept here: it cannot be told whether the log only grew.
    #[error("the bundle has no proof that the sender's log extends the {kept} ops seen before")]
    Unproven {
        /// The size kept here.
        kept: u64,
    },
}

/// Checks the checkpoint `sent` of the sender `key`'s log against the one kept here
/// (`kept`, a note this device accepted before): signed by the sender, never
/// smaller, and a consistency proof among `proofs` from the size kept leads to it.
/// Returns the checkpoint and its note.
pub fn check_sender_log(
    key: &[u8; 32],
    kept: Option<&[u8]>,
    sent: &[u8],
    proofs: &[(u64, Vec<Hash>)],
) -> Result<(Checkpoint, Note), LogRefusal> {
    let verifier = log_verifier(key).map_err(|e| LogRefusal::Malformed(e.to_string()))?;
    let (cp, note) =
        Checkpoint::open(sent, &verifier).map_err(|e| LogRefusal::Malformed(e.to_string()))?;
    let Some(kept) = kept else {
        return Ok((cp, note));
    };
    // What this device kept, it checked when it kept it.
    let (old, _) =
        Checkpoint::open(kept, &verifier).map_err(|e| LogRefusal::Malformed(e.to_string()))?;
    let (k, s) = (old.size, cp.size);
    if s < k {
        return Err(LogRefusal::Rewound { kept: k, sent: s });
    }
    let proof: &[Hash] = if k == 0 || k == s {
        &[]
    } else {
        proofs
            .iter()
            .find(|(size, _)| *size == k)
            .map(|(_, p)| p.as_slice())
            .ok_or(LogRefusal::Unproven { kept: k })?
    };
    verify_consistency(k, &old.root, s, &cp.root, proof)
        .map_err(|_| LogRefusal::Forked { kept: k, sent: s })?;
    Ok((cp, note))
}

/// When no proof came from the size kept ([`LogRefusal::Unproven`]): checks the
/// sender's checkpoint against the leaves of its log this device holds (its chain
/// held, then its ops in the bundle that continue it), which must reach the sent
/// size and hash, at the kept size, to the kept root. Still unproven if they do not
/// reach that far.
pub fn check_sender_log_by_leaves(
    key: &[u8; 32],
    kept: &[u8],
    sent: &[u8],
    leaves: &[Hash],
) -> Result<(Checkpoint, Note), LogRefusal> {
    let verifier = log_verifier(key).map_err(|e| LogRefusal::Malformed(e.to_string()))?;
    let (cp, note) =
        Checkpoint::open(sent, &verifier).map_err(|e| LogRefusal::Malformed(e.to_string()))?;
    let (old, _) =
        Checkpoint::open(kept, &verifier).map_err(|e| LogRefusal::Malformed(e.to_string()))?;
    let (k, s) = (old.size, cp.size);
    if s < k {
        return Err(LogRefusal::Rewound { kept: k, sent: s });
    }
    let upto = |n: u64| {
        usize::try_from(n)
            .ok()
            .and_then(|n| leaves.get(..n))
            .map(|l| crate::Log::from_leaves(l.iter().copied()).root())
    };
    match (upto(k), upto(s)) {
        (Some(rk), Some(rs)) if rk == old.root && rs == cp.root => Ok((cp, note)),
        (Some(_), Some(_)) => Err(LogRefusal::Forked { kept: k, sent: s }),
        _ => Err(LogRefusal::Unproven { kept: k }),
    }
}

/// `note` with a cosignature by `witness` at `time` (seconds) added, or replacing
/// one it had by the same witness.
pub fn cosigned(
    mut note: Note,
    checkpoint: &Checkpoint,
    witness: &dyn NoteSigner,
    time: u64,
) -> Result<Note, NoteError> {
    note.add_signature(cosign(checkpoint, witness, time)?);
    Ok(note)
}

/// Adds to `kept` (a note of this device's log) the cosignature in `returned` by
/// `witness`, if `returned` is the same checkpoint and that cosignature verifies.
/// Returns the merged note, or `None` if there was nothing valid to add.
pub fn merge_cosignature(kept: &[u8], returned: &[u8], witness: &Witness) -> Option<Note> {
    let mut mine = Note::parse(kept).ok()?;
    let theirs = Note::parse(returned).ok()?;
    if mine.text() != theirs.text() {
        return None;
    }
    let cp = Checkpoint::parse(mine.text()).ok()?;
    witness.check(&cp, theirs.signatures()).ok()??;
    let line = theirs
        .signatures()
        .iter()
        .find(|l| l.name == witness.name() && l.id == witness.id())?
        .clone();
    if mine.signatures().contains(&line) {
        return None;
    }
    mine.add_signature(line);
    Some(mine)
}
