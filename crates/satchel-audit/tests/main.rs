//! The audit crate against the standards it implements: the Go reference's published
//! signed note, a second implementation of the RFC 6962 tree and its proofs
//! (`tlog_tiles`, a port of Go's `sumdb/tlog`), and the refusals.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod checkpoints;
mod devices;
mod go_interop;
mod logs;
mod notes;
mod vectors;
mod witness;

use ed25519_dalek::{Signer, SigningKey};
use satchel_audit::NoteSigner;

/// A note signer from a fixed Ed25519 seed.
pub(crate) struct Key {
    pub name: String,
    pub key: SigningKey,
}

impl Key {
    pub(crate) fn new(name: &str, seed: u8) -> Self {
        Self {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }
}

impl NoteSigner for Key {
    fn name(&self) -> &str {
        &self.name
    }
    fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], satchel_audit::NoteError> {
        Ok(self.key.sign(message).to_bytes())
    }
}
