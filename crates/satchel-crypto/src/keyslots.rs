//! The `keyslots` file: the vault's data key wrapped under passphrase-derived keys.
//!
//! Layout (format 1, [`FILE_LEN`] bytes, no magic, no version, nothing in clear):
//!
//! ```text
//! salt[32] || slot[0] || ... || slot[SLOTS-1]
//! slot     = nonce[24] || XChaCha20-Poly1305(kek, nonce, plaintext[64], aad)
//! plaintext= format u8 || role u8 || db u8 || zero[29] || data_key[32]
//! aad      = "satchel 2026-11 keyslot v1" || m_kib u32le || t u32le || p u32le || index u8
//! ```
//!
//! Unused slots are random bytes of the same length. Opening runs Argon2id once and
//! trials every slot without stopping early, so neither the file nor the timing tells
//! how many slots are in use or which one matched. Full rationale:
//! `docs/keyslots-format.md`.

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use secrecy::SecretString;
use zeroize::{Zeroize, Zeroizing};

use crate::{
    CryptoError, kdf,
    kdf::KdfProfile,
    keys::{DataKey, KEY_LEN, Kek},
    rng,
};

/// Number of slots in every file.
pub const SLOTS: usize = 8;
/// Salt length.
pub const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const PLAIN_LEN: usize = 64;
const TAG_LEN: usize = 16;
/// Length of one slot.
pub const SLOT_LEN: usize = NONCE_LEN + PLAIN_LEN + TAG_LEN;
/// Length of the whole file.
pub const FILE_LEN: usize = SALT_LEN + SLOTS * SLOT_LEN;
/// The slot plaintext format this build writes.
pub const FORMAT: u8 = 1;
const AAD_LABEL: &[u8] = b"satchel 2026-11 keyslot v1";

/// What a slot is for. Each role has a fixed slot index; fixed positions leak nothing
/// because every slot is always filled and always tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotRole {
    /// The everyday passphrase.
    Main,
    /// The recovery key shown once at creation.
    Recovery,
    /// The duress passphrase: opens the decoy and erases the other slots.
    Duress,
}

impl SlotRole {
    const fn index(self) -> usize {
        match self {
            SlotRole::Main => 0,
            SlotRole::Recovery => 1,
            SlotRole::Duress => 2,
        }
    }

    const fn code(self) -> u8 {
        match self {
            SlotRole::Main => 1,
            SlotRole::Recovery => 2,
            SlotRole::Duress => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(SlotRole::Main),
            2 => Some(SlotRole::Recovery),
            3 => Some(SlotRole::Duress),
            _ => None,
        }
    }
}

/// A slot that opened.
#[derive(Debug)]
pub struct OpenedSlot {
    /// Which role the slot holds.
    pub role: SlotRole,
    /// Which of the vault's two database files the key opens (0 or 1).
    pub db: u8,
    /// The data key.
    pub key: DataKey,
}

/// The keyslots file in memory.
pub struct Keyslots {
    bytes: Zeroizing<[u8; FILE_LEN]>,
}

impl std::fmt::Debug for Keyslots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyslots(***)")
    }
}

impl Keyslots {
    /// A file of random bytes: a fresh salt and every slot unused.
    pub fn new_random() -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; FILE_LEN]);
        rng::fill(bytes.as_mut())?;
        Ok(Self { bytes })
    }

    /// Reads a file's bytes; the only check possible is the length.
    pub fn read(bytes: &[u8]) -> Result<Self, CryptoError> {
        let arr: [u8; FILE_LEN] = bytes.try_into().map_err(|_| CryptoError::KeyslotsSize)?;
        Ok(Self {
            bytes: Zeroizing::new(arr),
        })
    }

    /// The bytes to write to disk.
    pub fn write(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    fn salt(&self) -> &[u8] {
        self.bytes.get(..SALT_LEN).unwrap_or_default()
    }

    fn slot(&self, index: usize) -> &[u8] {
        let start = SALT_LEN + index * SLOT_LEN;
        self.bytes.get(start..start + SLOT_LEN).unwrap_or_default()
    }

    fn slot_mut(&mut self, index: usize) -> &mut [u8] {
        let start = SALT_LEN + index * SLOT_LEN;
        self.bytes
            .get_mut(start..start + SLOT_LEN)
            .unwrap_or_default()
    }

    /// Runs Argon2id once over `secret` with this file's salt.
    pub fn derive_kek(
        &self,
        secret: &SecretString,
        profile: KdfProfile,
    ) -> Result<Kek, CryptoError> {
        kdf::derive(secret, self.salt(), profile)
    }

    /// As [`Keyslots::derive_kek`] for raw secret bytes (a decoded recovery key).
    pub fn derive_kek_bytes(&self, secret: &[u8], profile: KdfProfile) -> Result<Kek, CryptoError> {
        kdf::derive_bytes(secret, self.salt(), profile)
    }

    /// Writes `key` into the slot for `role`, wrapped under `kek`.
    pub fn seal(
        &mut self,
        role: SlotRole,
        kek: &Kek,
        key: &DataKey,
        db: u8,
        profile: KdfProfile,
    ) -> Result<(), CryptoError> {
        let index = role.index();
        let mut plain = Zeroizing::new([0u8; PLAIN_LEN]);
        for (dst, src) in plain.iter_mut().zip([FORMAT, role.code(), db]) {
            *dst = src;
        }
        for (dst, src) in plain
            .iter_mut()
            .skip(PLAIN_LEN - KEY_LEN)
            .zip(key.expose_secret())
        {
            *dst = *src;
        }
        let nonce: [u8; NONCE_LEN] = rng::array()?;
        let aad = aad(profile, index);
        let cipher = XChaCha20Poly1305::new(&(*kek.0).into());
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_ref(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::DecryptionFailed)?;
        let slot = self.slot_mut(index);
        slot.get_mut(..NONCE_LEN)
            .ok_or(CryptoError::Malformed)?
            .copy_from_slice(&nonce);
        slot.get_mut(NONCE_LEN..)
            .ok_or(CryptoError::Malformed)?
            .copy_from_slice(&sealed);
        Ok(())
    }

    /// Fills the slot for `role` with random bytes, making it unused.
    pub fn clear(&mut self, role: SlotRole) -> Result<(), CryptoError> {
        rng::fill(self.slot_mut(role.index()))
    }

    /// Fills every slot (not the salt) with random bytes.
    pub fn clear_all(&mut self) -> Result<(), CryptoError> {
        for index in 0..SLOTS {
            rng::fill(self.slot_mut(index))?;
        }
        Ok(())
    }

    /// Trials every slot with `kek`. Every slot is tried even after a match so the
    /// time taken does not depend on which slot (if any) opened. When several slots
    /// open, the main slot wins, then recovery, then duress: a mistake must never
    /// erase real data.
    pub fn open(&self, kek: &Kek, profile: KdfProfile) -> Result<OpenedSlot, CryptoError> {
        let cipher = XChaCha20Poly1305::new(&(*kek.0).into());
        let mut found: Option<OpenedSlot> = None;
        let mut newer = false;
        for index in 0..SLOTS {
            let slot = self.slot(index);
            let (nonce, sealed) = slot
                .split_at_checked(NONCE_LEN)
                .ok_or(CryptoError::Malformed)?;
            let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
            let aad = aad(profile, index);
            let Ok(plain) = cipher.decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            ) else {
                continue;
            };
            let plain = Zeroizing::new(plain);
            let (format, role, db) = match (plain.first(), plain.get(1), plain.get(2)) {
                (Some(f), Some(r), Some(d)) => (*f, *r, *d),
                _ => continue,
            };
            if format != FORMAT {
                newer |= format > FORMAT;
                continue;
            }
            let Some(role) = SlotRole::from_code(role) else {
                continue;
            };
            if role.index() != index || db > 1 {
                continue;
            }
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            key.copy_from_slice(
                plain
                    .get(PLAIN_LEN - KEY_LEN..)
                    .ok_or(CryptoError::Malformed)?,
            );
            let better = found.as_ref().is_none_or(|f| role.index() < f.role.index());
            if better {
                found = Some(OpenedSlot {
                    role,
                    db,
                    key: DataKey::from_bytes(key),
                });
            }
        }
        match found {
            Some(slot) => Ok(slot),
            None if newer => Err(CryptoError::NewerFormat),
            None => Err(CryptoError::DecryptionFailed),
        }
    }
}

fn aad(profile: KdfProfile, index: usize) -> Vec<u8> {
    let p = profile.params();
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 13);
    aad.extend_from_slice(AAD_LABEL);
    aad.extend_from_slice(&p.m_kib.to_le_bytes());
    aad.extend_from_slice(&p.t.to_le_bytes());
    aad.extend_from_slice(&p.p.to_le_bytes());
    aad.push(u8::try_from(index).unwrap_or(u8::MAX));
    aad
}

impl Drop for Keyslots {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: KdfProfile = KdfProfile::InsecureTest;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s)
    }

    fn sealed_with(roles: &[(SlotRole, &str)]) -> (Keyslots, DataKey) {
        let mut slots = Keyslots::new_random().unwrap();
        let key = DataKey::generate().unwrap();
        for (role, p) in roles {
            let kek = slots.derive_kek(&pass(p), P).unwrap();
            slots.seal(*role, &kek, &key, 0, P).unwrap();
        }
        (slots, key)
    }

    #[test]
    fn main_passphrase_opens_and_returns_the_key() {
        let (slots, key) = sealed_with(&[(SlotRole::Main, "alpha")]);
        let opened = slots
            .open(&slots.derive_kek(&pass("alpha"), P).unwrap(), P)
            .unwrap();
        assert_eq!(opened.role, SlotRole::Main);
        assert_eq!(opened.key.expose_secret(), key.expose_secret());
    }

    #[test]
    fn wrong_passphrase_fails_without_detail() {
        let (slots, _) = sealed_with(&[(SlotRole::Main, "alpha")]);
        let err = slots
            .open(&slots.derive_kek(&pass("beta"), P).unwrap(), P)
            .unwrap_err();
        assert!(matches!(err, CryptoError::DecryptionFailed));
    }

    #[test]
    fn other_kdf_profile_fails_to_open() {
        let (slots, _) = sealed_with(&[(SlotRole::Main, "alpha")]);
        let kek = slots.derive_kek(&pass("alpha"), P).unwrap();
        assert!(slots.open(&kek, KdfProfile::Default).is_err());
    }

    #[test]
    fn every_byte_flip_is_detected() {
        let (slots, _) = sealed_with(&[(SlotRole::Main, "alpha")]);
        let good = slots.write().to_vec();
        // Flip one bit in each byte of the salt and of slot 0.
        for i in 0..SALT_LEN + SLOT_LEN {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            let bad = Keyslots::read(&bad).unwrap();
            let kek = bad.derive_kek(&pass("alpha"), P).unwrap();
            assert!(bad.open(&kek, P).is_err(), "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn wrong_length_is_refused() {
        assert!(matches!(
            Keyslots::read(&[0; FILE_LEN - 1]),
            Err(CryptoError::KeyslotsSize)
        ));
        assert!(matches!(
            Keyslots::read(&[0; FILE_LEN + 1]),
            Err(CryptoError::KeyslotsSize)
        ));
    }

    #[test]
    fn slots_cannot_be_moved() {
        let (slots, _) = sealed_with(&[(SlotRole::Main, "alpha")]);
        let mut bytes = slots.write().to_vec();
        let (s0, s3) = (SALT_LEN, SALT_LEN + 3 * SLOT_LEN);
        let slot0 = bytes[s0..s0 + SLOT_LEN].to_vec();
        bytes[s3..s3 + SLOT_LEN].copy_from_slice(&slot0);
        rng::fill(&mut bytes[s0..s0 + SLOT_LEN]).unwrap();
        let moved = Keyslots::read(&bytes).unwrap();
        let kek = moved.derive_kek(&pass("alpha"), P).unwrap();
        assert!(moved.open(&kek, P).is_err());
    }

    #[test]
    fn main_wins_over_duress_when_both_match() {
        let (slots, _) = sealed_with(&[(SlotRole::Duress, "same"), (SlotRole::Main, "same")]);
        let opened = slots
            .open(&slots.derive_kek(&pass("same"), P).unwrap(), P)
            .unwrap();
        assert_eq!(opened.role, SlotRole::Main);
    }

    /// A slot sealed with format byte `format` under passphrase "alpha".
    fn slots_of_format(format: u8) -> (Keyslots, Kek) {
        let mut slots = Keyslots::new_random().unwrap();
        let kek = slots.derive_kek(&pass("alpha"), P).unwrap();
        let mut plain = [0u8; PLAIN_LEN];
        plain[0] = format;
        plain[1] = SlotRole::Main.code();
        let nonce = [7u8; NONCE_LEN];
        let cipher = XChaCha20Poly1305::new(&(*kek.0).into());
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &aad(P, 0),
                },
            )
            .unwrap();
        let slot = slots.slot_mut(0);
        slot[..NONCE_LEN].copy_from_slice(&nonce);
        slot[NONCE_LEN..].copy_from_slice(&sealed);
        (slots, kek)
    }

    #[test]
    fn newer_format_is_reported_and_an_unknown_older_one_is_not_read() {
        let (slots, kek) = slots_of_format(FORMAT + 1);
        assert!(matches!(slots.open(&kek, P), Err(CryptoError::NewerFormat)));
        let (slots, kek) = slots_of_format(0);
        assert!(matches!(
            slots.open(&kek, P),
            Err(CryptoError::DecryptionFailed)
        ));
        let (slots, kek) = slots_of_format(FORMAT);
        assert!(slots.open(&kek, P).is_ok());
    }

    #[test]
    fn clear_makes_a_slot_unusable() {
        let (mut slots, _) = sealed_with(&[(SlotRole::Main, "alpha"), (SlotRole::Recovery, "r")]);
        slots.clear(SlotRole::Recovery).unwrap();
        let kek = slots.derive_kek(&pass("r"), P).unwrap();
        assert!(slots.open(&kek, P).is_err());
        let kek = slots.derive_kek(&pass("alpha"), P).unwrap();
        assert!(slots.open(&kek, P).is_ok());
    }
}
