//! Symmetric key types. None is `Clone`, `Serialize` or `Display`; `Debug` prints `***`.

use std::fmt;

use zeroize::Zeroizing;

use crate::{CryptoError, rng};

/// Length of every symmetric key.
pub const KEY_LEN: usize = 32;

/// The random 256-bit key that encrypts a vault database.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(key.as_mut())?;
        Ok(Self(key))
    }

    /// Wraps bytes that already are a key (unwrapped from a slot).
    pub fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        Self(bytes)
    }

    /// Reading the key is a visible act.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

/// A key-encryption key derived from a passphrase or recovery key.
pub struct Kek(pub(crate) Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kek(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_key_bytes() {
        let key = DataKey::from_bytes(Zeroizing::new([0xAB; KEY_LEN]));
        let shown = format!("{key:?}");
        assert_eq!(shown, "DataKey(***)");
        assert!(!shown.to_lowercase().contains("ab"));
    }

    #[test]
    fn generated_keys_differ() {
        let a = DataKey::generate().unwrap();
        let b = DataKey::generate().unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
    }
}
