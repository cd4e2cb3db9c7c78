//! Witness cosignatures (C2SP tlog-cosignature, <https://c2sp.org/tlog-cosignature>):
//! a witness that has checked a checkpoint to be consistent with the last one it saw
//! of that log adds a line, signature type `0x04`, whose bytes are
//! `timestamp (u64 BE, seconds) ‖ Ed25519 signature` of
//!
//! ```text
//! cosignature/v1
//! time TIMESTAMP
//! CHECKPOINT TEXT
//! ```

use ed25519_dalek::Signature;

use crate::checkpoint::Checkpoint;
use crate::note::{NoteError, NoteSignature, NoteSigner, NoteVerifier, is_valid_name, key_id};

/// Signature type of a timestamped Ed25519 cosignature.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

fn message(checkpoint: &Checkpoint, time: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{}", checkpoint.to_text()).into_bytes()
}

/// A witness's cosignature of `checkpoint` at `time` (seconds since 1970), as a
/// signature line to add to the checkpoint's note.
pub fn cosign(
    checkpoint: &Checkpoint,
    witness: &dyn NoteSigner,
    time: u64,
) -> Result<NoteSignature, NoteError> {
    if !is_valid_name(witness.name()) {
        return Err(NoteError::BadName);
    }
    let mut bytes = time.to_be_bytes().to_vec();
    bytes.extend_from_slice(&witness.sign(&message(checkpoint, time))?);
    Ok(NoteSignature {
        name: witness.name().to_owned(),
        id: key_id(witness.name(), ALG_COSIGNATURE_V1, &witness.public_key()),
        bytes,
    })
}

/// A witness the reader trusts: a name and an Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness(NoteVerifier);

impl Witness {
    /// The witness `name` with Ed25519 key `key`.
    pub fn new(name: &str, key: &[u8; 32]) -> Result<Self, NoteError> {
        NoteVerifier::new(name, key).map(Self)
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// Its key id for cosignatures.
    pub fn id(&self) -> u32 {
        key_id(self.name(), ALG_COSIGNATURE_V1, self.0.key().as_bytes())
    }

    /// The time this witness cosigned `checkpoint` at, if one of `lines` is its valid
    /// cosignature; `Ok(None)` if none is its; an error if its line does not verify.
    pub fn check(
        &self,
        checkpoint: &Checkpoint,
        lines: &[NoteSignature],
    ) -> Result<Option<u64>, NoteError> {
        let Some(line) = lines
            .iter()
            .find(|l| l.name == self.name() && l.id == self.id())
        else {
            return Ok(None);
        };
        let bad = || NoteError::BadSignature(self.name().to_owned());
        let (time, sig) = line.bytes.split_first_chunk::<8>().ok_or_else(bad)?;
        let sig: [u8; 64] = sig.try_into().map_err(|_| bad())?;
        let time = u64::from_be_bytes(*time);
        self.0
            .key()
            .verify_strict(&message(checkpoint, time), &Signature::from_bytes(&sig))
            .map_err(|_| bad())?;
        Ok(Some(time))
    }
}
