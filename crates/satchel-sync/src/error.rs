//! Errors of the op model.

/// Why an op was refused. Variants name the rule that failed, never content.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpError {
    /// The bytes are not a canonical op encoding.
    #[error("malformed op: {0}")]
    Malformed(&'static str),
    /// The header names a format this build does not know.
    #[error("op written by a newer version of Satchel")]
    NewerFormat,
    /// The author's signature does not verify.
    #[error("op signature does not verify")]
    BadSignature,
    /// The payload does not match the hash in the signed header.
    #[error("op payload does not match its signed hash")]
    PayloadMismatch,
    /// The author's sequence numbers have a gap or a repeat.
    #[error("op sequence broken at {seq}")]
    Sequence {
        /// The sequence number where the chain broke.
        seq: u64,
    },
    /// The op does not link to its author's previous op.
    #[error("op chain broken at {seq}")]
    Chain {
        /// The sequence number where the chain broke.
        seq: u64,
    },
    /// The clock is implausibly far from ours.
    #[error("op clock is too far in the future")]
    ClockDrift,
    /// The randomness source failed while creating an op.
    #[error("could not create op: {0}")]
    Crypto(#[from] satchel_crypto::CryptoError),
}

/// Why a bundle body read from a stream was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The stream failed: for a bundle, the envelope refused a chunk (the
    /// `io::Error` carries its `BundleError`).
    #[error("could not read the bundle body: {0}")]
    Read(#[source] std::io::Error),
    /// The bytes are not a valid body.
    #[error(transparent)]
    Invalid(#[from] OpError),
    /// The caller asked to stop ([`crate::bundle::BundleHead::read_until`]).
    #[error("stopped on request")]
    Stopped,
}
