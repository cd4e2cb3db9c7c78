//! Argon2id key derivation (RFC 9106).
//!
//! The parameters are not stored in the vault (that would be plaintext structure):
//! they belong to a named profile compiled into the binary and are bound into every
//! slot's associated data, so a mismatch simply fails to open. See
//! `docs/adr/0002-kdf-parameters.md` for the choice of the default.

use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::{
    CryptoError,
    keys::{KEY_LEN, Kek},
};

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

/// Which parameters to use. Only [`KdfProfile::Default`] protects anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfProfile {
    /// The real profile: above RFC 9106's second recommended option (m = 64 MiB, t = 3, p = 4).
    Default,
    /// A cheap profile so tests run quickly. Offers no protection against guessing;
    /// front ends must select it only on explicit request and warn every time.
    InsecureTest,
}

impl KdfProfile {
    /// The parameters of this profile.
    pub const fn params(self) -> KdfParams {
        match self {
            KdfProfile::Default => KdfParams {
                m_kib: 256 * 1024,
                t: 3,
                p: 4,
            },
            KdfProfile::InsecureTest => KdfParams {
                m_kib: 64,
                t: 1,
                p: 1,
            },
        }
    }

    /// A short name for reports.
    pub const fn name(self) -> &'static str {
        match self {
            KdfProfile::Default => "argon2id",
            KdfProfile::InsecureTest => "argon2id-INSECURE-TEST",
        }
    }
}

/// Derives a key-encryption key from `secret` and the vault's salt.
pub fn derive(secret: &SecretString, salt: &[u8], profile: KdfProfile) -> Result<Kek, CryptoError> {
    derive_bytes(secret.expose_secret().as_bytes(), salt, profile)
}

/// As [`derive`], from bytes (recovery keys).
pub(crate) fn derive_bytes(
    secret: &[u8],
    salt: &[u8],
    profile: KdfProfile,
) -> Result<Kek, CryptoError> {
    derive_with(secret, salt, profile.params())
}

/// Argon2id with explicit parameters (benchmarks compare candidates with it).
pub fn derive_with(secret: &[u8], salt: &[u8], p: KdfParams) -> Result<Kek, CryptoError> {
    let params = Params::new(p.m_kib, p.t, p.p, Some(KEY_LEN)).map_err(|_| CryptoError::Kdf)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(secret, salt, out.as_mut())
        .map_err(|_| CryptoError::Kdf)?;
    Ok(Kek(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_meets_rfc9106_second_option() {
        let p = KdfProfile::Default.params();
        assert!(p.m_kib >= 64 * 1024 && p.t >= 3 && p.p >= 4);
    }

    #[test]
    fn argon2id_matches_rfc9106_shape() {
        // Same inputs, same key; different salt, different key.
        let s = SecretString::from("pass");
        let a = derive(&s, &[1; 32], KdfProfile::InsecureTest).unwrap();
        let b = derive(&s, &[1; 32], KdfProfile::InsecureTest).unwrap();
        let c = derive(&s, &[2; 32], KdfProfile::InsecureTest).unwrap();
        assert_eq!(*a.0, *b.0);
        assert_ne!(*a.0, *c.0);
    }
}
