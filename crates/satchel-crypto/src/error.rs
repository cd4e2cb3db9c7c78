//! Errors of the cryptographic layer.

/// What can go wrong below the vault. Every AEAD failure is one
/// [`CryptoError::DecryptionFailed`] with no detail, so there is no oracle.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// No key opened the ciphertext (wrong secret or damaged bytes: indistinguishable).
    #[error("decryption failed")]
    DecryptionFailed,
    /// The operating system could not supply random bytes.
    #[error("the system random number generator failed")]
    Random,
    /// Argon2 refused its parameters or ran out of memory.
    #[error("key derivation failed (not enough memory?)")]
    Kdf,
    /// A key or signature had the wrong form.
    #[error("malformed key or signature")]
    Malformed,
    /// A signature did not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// The keyslots file has the wrong size.
    #[error("the keyslots file is damaged (wrong size)")]
    KeyslotsSize,
    /// A slot opened but was written by a newer Satchel.
    #[error("this vault was written by a newer version of Satchel")]
    NewerFormat,
    /// A recovery key did not parse or its checksum is wrong.
    #[error("that is not a valid recovery key (check for typos)")]
    RecoveryKeyFormat,
}
