//! Sealing attachment chunks that a vault keeps outside its database, in the pack
//! file beside it: XChaCha20-Poly1305 under the database's pack key, a fresh random
//! nonce per write, and associated data that names the chunk, so a chunk moved to
//! another place in the file does not open there.
//!
//! A sealed chunk is `nonce (24) || ciphertext || tag (16)`.

use chacha20poly1305::{AeadInOut, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::{CryptoError, keys::KEY_LEN, rng};

/// Nonce bytes before the ciphertext.
pub const NONCE_LEN: usize = 24;
/// Tag bytes after it.
pub const TAG_LEN: usize = 16;
/// What sealing adds to a chunk.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

const DOMAIN: &[u8] = b"satchel pack chunk v1\0";

/// The random key that seals a database's pack. It lives inside the database, so
/// whatever erases or replaces the database key erases or replaces it too.
pub struct PackKey(Zeroizing<[u8; KEY_LEN]>);

impl PackKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(Zeroizing::new(rng::array()?)))
    }

    /// A key read back from the database.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::Malformed)?;
        Ok(Self(Zeroizing::new(key)))
    }

    /// The bytes, to store inside the database.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*self.0).into())
    }
}

impl std::fmt::Debug for PackKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PackKey(***)")
    }
}

/// The associated data of chunk `n` of the attachment stored as row `blob`.
fn associated(blob: i64, n: i64) -> [u8; DOMAIN.len() + 16] {
    let mut ad = [0u8; DOMAIN.len() + 16];
    let (d, rest) = ad.split_at_mut(DOMAIN.len());
    d.copy_from_slice(DOMAIN);
    let (b, c) = rest.split_at_mut(8);
    b.copy_from_slice(&blob.to_le_bytes());
    c.copy_from_slice(&n.to_le_bytes());
    ad
}

/// Seals `buf` in place. On entry `buf` is `NONCE_LEN` bytes of any value, the
/// plaintext, then `TAG_LEN` bytes of any value; on return it is the sealed chunk.
pub fn seal(key: &PackKey, blob: i64, n: i64, buf: &mut [u8]) -> Result<(), CryptoError> {
    let len = buf.len();
    if len < OVERHEAD {
        return Err(CryptoError::Malformed);
    }
    let (nonce, rest) = buf.split_at_mut(NONCE_LEN);
    let (body, tag) = rest.split_at_mut(len - OVERHEAD);
    let fresh: [u8; NONCE_LEN] = rng::array()?;
    nonce.copy_from_slice(&fresh);
    let t = key
        .cipher()
        .encrypt_inout_detached(&XNonce::from(fresh), &associated(blob, n), body.into())
        .map_err(|_| CryptoError::Malformed)?;
    tag.copy_from_slice(&t);
    Ok(())
}

/// Opens a sealed chunk in place and returns its plaintext, a slice of `buf`.
pub fn open<'b>(
    key: &PackKey,
    blob: i64,
    n: i64,
    buf: &'b mut [u8],
) -> Result<&'b [u8], CryptoError> {
    let len = buf.len();
    if len < OVERHEAD {
        return Err(CryptoError::DecryptionFailed);
    }
    let (nonce, rest) = buf.split_at_mut(NONCE_LEN);
    let (body, tag) = rest.split_at_mut(len - OVERHEAD);
    let nonce: [u8; NONCE_LEN] = (&*nonce)
        .try_into()
        .map_err(|_| CryptoError::DecryptionFailed)?;
    let tag: [u8; TAG_LEN] = (&*tag)
        .try_into()
        .map_err(|_| CryptoError::DecryptionFailed)?;
    key.cipher()
        .decrypt_inout_detached(
            &XNonce::from(nonce),
            &associated(blob, n),
            body.into(),
            &Tag::from(tag),
        )
        .map_err(|_| CryptoError::DecryptionFailed)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(key: &PackKey, blob: i64, n: i64, plain: &[u8]) -> Vec<u8> {
        let mut buf = vec![0u8; NONCE_LEN];
        buf.extend_from_slice(plain);
        buf.extend_from_slice(&[0u8; TAG_LEN]);
        seal(key, blob, n, &mut buf).unwrap();
        buf
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let key = PackKey::generate().unwrap();
        let a = sealed(&key, 7, 3, b"testimony");
        let b = sealed(&key, 7, 3, b"testimony");
        assert_ne!(a, b, "each write takes a fresh nonce");
        assert!(!a.windows(9).any(|w| w == b"testimony"));
        let mut a2 = a.clone();
        assert_eq!(open(&key, 7, 3, &mut a2).unwrap(), b"testimony");
    }

    #[test]
    fn a_chunk_opens_only_where_it_was_written() {
        let key = PackKey::generate().unwrap();
        let good = sealed(&key, 7, 3, b"testimony");
        for (blob, n) in [(7, 4), (8, 3), (3, 7)] {
            let mut c = good.clone();
            assert_eq!(
                open(&key, blob, n, &mut c),
                Err(CryptoError::DecryptionFailed)
            );
        }
        let other = PackKey::generate().unwrap();
        let mut c = good.clone();
        assert_eq!(
            open(&other, 7, 3, &mut c),
            Err(CryptoError::DecryptionFailed)
        );
        for i in 0..good.len() {
            let mut c = good.clone();
            c[i] ^= 1;
            assert_eq!(
                open(&key, 7, 3, &mut c),
                Err(CryptoError::DecryptionFailed),
                "byte {i}"
            );
        }
        let mut short = vec![0u8; OVERHEAD - 1];
        assert_eq!(
            open(&key, 7, 3, &mut short),
            Err(CryptoError::DecryptionFailed)
        );
    }

    /// A fixed vector (key 0x42.., nonce 0x24.., blob 5, chunk 2, plaintext "Satchel"),
    /// the same bytes as libsodium's `crypto_aead_xchacha20poly1305_ietf_encrypt`.
    #[test]
    fn golden_vector() {
        let key = PackKey::from_slice(&[0x42; 32]).unwrap();
        let mut buf = vec![0x24u8; NONCE_LEN];
        buf.extend_from_slice(b"Satchel");
        buf.extend_from_slice(&[0u8; TAG_LEN]);
        let (_, rest) = buf.split_at_mut(NONCE_LEN);
        let (body, tag) = rest.split_at_mut(7);
        let t = key
            .cipher()
            .encrypt_inout_detached(
                &XNonce::from([0x24; NONCE_LEN]),
                &associated(5, 2),
                body.into(),
            )
            .unwrap();
        tag.copy_from_slice(&t);
        let hex = data_encoding::HEXLOWER.encode(&buf);
        assert_eq!(hex, include_str!("../tests/vectors/pack-chunk.hex").trim());
        assert_eq!(open(&key, 5, 2, &mut buf).unwrap(), b"Satchel");
    }
}
