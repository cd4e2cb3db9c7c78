//! Recovery keys: 128 random bits a person can copy onto paper and type back.
//!
//! Encoding: `key[16] || checksum[4]` (checksum = first 4 bytes of a domain-labelled
//! BLAKE3 of the key) in Crockford base32, 32 characters in 8 groups of 4. Parsing
//! ignores case, spaces and dashes and reads `I`/`L` as `1` and `O` as `0`, so common
//! copying mistakes are forgiven and the rest are caught by the checksum before the
//! slow key derivation runs.

use std::fmt;

use data_encoding::{Encoding, Specification};
use zeroize::{Zeroize, Zeroizing};

use crate::{CryptoError, hash, rng};

const KEY_LEN: usize = 16;
const CHECK_LEN: usize = 4;
const GROUP: usize = 4;

/// A recovery key. `Debug` prints `***`; the only way to see it is [`RecoveryKey::display_once`].
pub struct RecoveryKey(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(***)")
    }
}

fn crockford() -> Result<Encoding, CryptoError> {
    let mut spec = Specification::new();
    spec.symbols.push_str("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
    spec.translate.from.push_str("abcdefghjkmnpqrstvwxyzIiLlOo");
    spec.translate.to.push_str("ABCDEFGHJKMNPQRSTVWXYZ111100");
    spec.ignore.push_str("- ");
    spec.encoding().map_err(|_| CryptoError::RecoveryKeyFormat)
}

fn checksum(key: &[u8]) -> [u8; CHECK_LEN] {
    let h = hash::hash(hash::domain::RECOVERY_CHECK, &[key]);
    let mut out = [0u8; CHECK_LEN];
    out.copy_from_slice(h.get(..CHECK_LEN).unwrap_or(&[0; CHECK_LEN]));
    out
}

impl RecoveryKey {
    /// A fresh random recovery key.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng::fill(key.as_mut())?;
        Ok(Self(key))
    }

    /// Parses what a person typed.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let encoding = crockford()?;
        let mut decoded = Zeroizing::new(
            encoding
                .decode(text.trim().as_bytes())
                .map_err(|_| CryptoError::RecoveryKeyFormat)?,
        );
        if decoded.len() != KEY_LEN + CHECK_LEN {
            return Err(CryptoError::RecoveryKeyFormat);
        }
        let (key, check) = decoded.split_at(KEY_LEN);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&checksum(key)[..], check)) {
            decoded.zeroize();
            return Err(CryptoError::RecoveryKeyFormat);
        }
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        out.copy_from_slice(key);
        Ok(Self(out))
    }

    /// The typeable form, `XXXX-XXXX-...`. Show it once, never log it.
    pub fn display_once(&self) -> Result<Zeroizing<String>, CryptoError> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_LEN + CHECK_LEN));
        bytes.extend_from_slice(self.0.as_ref());
        bytes.extend_from_slice(&checksum(self.0.as_ref()));
        let plain = Zeroizing::new(crockford()?.encode(&bytes));
        let mut out = Zeroizing::new(String::with_capacity(plain.len() + plain.len() / GROUP));
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        Ok(out)
    }

    /// The secret bytes fed to the key derivation.
    pub fn expose_secret(&self) -> &[u8] {
        self.0.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_display() {
        let key = RecoveryKey::generate().unwrap();
        let shown = key.display_once().unwrap();
        assert_eq!(shown.len(), 32 + 7);
        assert_eq!(shown.matches('-').count(), 7);
        let back = RecoveryKey::parse(&shown).unwrap();
        assert_eq!(back.expose_secret(), key.expose_secret());
    }

    #[test]
    fn forgives_case_spacing_and_lookalikes() {
        let key = RecoveryKey(Zeroizing::new([0u8; KEY_LEN]));
        let shown = key.display_once().unwrap();
        let sloppy = shown.to_lowercase().replace('-', " ").replace('0', "o");
        assert_eq!(
            RecoveryKey::parse(&sloppy).unwrap().expose_secret(),
            &[0u8; KEY_LEN]
        );
    }

    #[test]
    fn a_typo_is_caught_by_the_checksum() {
        let key = RecoveryKey::generate().unwrap();
        let shown = key.display_once().unwrap();
        let mut chars: Vec<char> = shown.chars().collect();
        chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
        let typo: String = chars.into_iter().collect();
        assert!(matches!(
            RecoveryKey::parse(&typo),
            Err(CryptoError::RecoveryKeyFormat)
        ));
    }

    #[test]
    fn wrong_lengths_and_junk_are_refused() {
        for bad in ["", "ABCD", "!!!!-????", &"A".repeat(40)] {
            assert!(RecoveryKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let key = RecoveryKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "RecoveryKey(***)");
    }
}
