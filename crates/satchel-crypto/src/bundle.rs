//! The bundle envelope: bytes that carry a sender's content to up to eight devices
//! and look random to everyone else (DESIGN §7; byte-exact spec with test vectors in
//! `docs/bundle-format.md`).
//!
//! ```text
//! file      = eph_pub[32] || slot[0..8] (48 each) || nonce[16] || STREAM chunks
//! slot      = ChaCha20-Poly1305(HKDF-SHA256(X25519(eph, recipient),
//!                 salt = eph_pub || recipient_pub, info = SLOT_INFO), nonce 0, file_key)
//! payload   = HKDF-SHA256(file_key, salt = nonce, info = PAYLOAD_INFO)
//! chunks    = STREAM-BE32 ChaCha20-Poly1305 under payload, 64 KiB plaintext each,
//!             the last one flagged, so truncation is detected
//! plaintext = version u8 || sender_ed25519[32] || content_len u64 || content
//!             || signature[64] || zero padding
//! signature = Ed25519 over BUNDLE_SIGNATURE || 0 || BLAKE3-derive(BUNDLE_SIGNED,
//!             file header (432 bytes) || plaintext up to the signature)
//! ```
//!
//! The signature is inside the encryption (outsiders cannot see who sent it) and covers
//! the slots (a recipient cannot re-address it). The plaintext is padded so the file is
//! at least 64 KiB and otherwise of a PADMÉ size, leaking at most O(log log n) bits of
//! the content length. Unused slots are random.

use std::io::Read;

use aead_stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::{
    ChaCha20Poly1305, Nonce,
    aead::{Aead, KeyInit},
};
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{
    hash::{self, domain},
    identity::{self, DeviceKeys, SIGNATURE_LEN},
    rng,
};

/// Recipient slots in every bundle.
pub const SLOTS: usize = 8;
const EPH_LEN: usize = 32;
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;
const SLOT_LEN: usize = KEY_LEN + TAG_LEN;
const NONCE_LEN: usize = 16;
/// Length of the clear part before the chunks.
pub const HEADER_LEN: usize = EPH_LEN + SLOTS * SLOT_LEN + NONCE_LEN;
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// The smallest bundle file.
pub const FLOOR: usize = 64 * 1024;
/// Largest plaintext accepted (content plus framing and padding).
pub const MAX_PLAINTEXT: usize = 1 << 30;
/// Envelope version inside the encryption.
pub const VERSION: u8 = 1;
const FRAME_LEN: usize = 1 + 32 + 8;
const SLOT_INFO: &[u8] = b"satchel 2026-11 bundle slot v1";
const PAYLOAD_INFO: &[u8] = b"satchel 2026-11 bundle payload v1";

/// Why a bundle was refused. Before a slot opens nothing is known, so all of that
/// is one error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// No slot opens for this device: not addressed to it, or not a bundle at all.
    #[error("this file is not a bundle addressed to this device (or it is damaged)")]
    NotForUs,
    /// A chunk failed authentication, or the stream ends early or late.
    #[error("the bundle is damaged or truncated (it fails authentication)")]
    Damaged,
    /// The sender's signature does not verify.
    #[error("the bundle's signature does not verify")]
    BadSignature,
    /// Written by a newer Satchel.
    #[error("the bundle was written by a newer version of Satchel")]
    NewerVersion,
    /// Decrypted but not canonically framed.
    #[error("the bundle is malformed ({0})")]
    Malformed(&'static str),
    /// Content or file over the limits.
    #[error("the bundle is larger than this build accepts")]
    TooLarge,
    /// More recipients than slots, or none.
    #[error("a bundle is addressed to 1 to {SLOTS} devices")]
    Recipients,
    /// The random generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// Reading the file failed.
    #[error("could not read the bundle: {0}")]
    Io(std::io::ErrorKind),
}

impl From<crate::CryptoError> for BundleError {
    fn from(_: crate::CryptoError) -> Self {
        BundleError::Random
    }
}

/// PADMÉ (Nikitin et al., PETS 2019): rounds `len` up so that only the top
/// O(log log len) bits of the length remain.
pub fn padme(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let e = usize::BITS - 1 - len.leading_zeros();
    let s = u32::BITS - e.leading_zeros();
    let last_bits = e.saturating_sub(s);
    let mask = (1usize << last_bits) - 1;
    (len + mask) & !mask
}

/// File length of a bundle whose padded plaintext is `plain` bytes.
pub fn file_len(plain: usize) -> usize {
    HEADER_LEN + plain + TAG_LEN * plain.div_ceil(CHUNK).max(1)
}

/// Padded plaintext length for content of `content` bytes: the floor makes the
/// smallest file exactly [`FLOOR`] bytes.
pub fn padded_len(content: usize) -> usize {
    let floor = FLOOR - HEADER_LEN - TAG_LEN;
    padme(FRAME_LEN + content + SIGNATURE_LEN).max(floor)
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    // 32 bytes is always a valid HKDF-SHA256 output length.
    let _ = Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, out.as_mut());
    out
}

fn slot_key(shared: &[u8; 32], eph: &[u8; 32], recipient: &[u8; 32]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut salt = [0u8; 64];
    for (d, s) in salt.iter_mut().zip(eph.iter().chain(recipient)) {
        *d = *s;
    }
    hkdf(&salt, shared, SLOT_INFO)
}

fn stream_nonce() -> aead_stream::Nonce<ChaCha20Poly1305, aead_stream::StreamBE32<ChaCha20Poly1305>>
{
    // The payload key is fresh for every bundle, so a fixed STREAM prefix is safe.
    Default::default()
}

/// Seals `content` from `sender` to `recipients` (their X25519 public keys).
pub fn seal(
    sender: &DeviceKeys,
    recipients: &[[u8; 32]],
    content: &[u8],
) -> Result<Vec<u8>, BundleError> {
    if recipients.is_empty() || recipients.len() > SLOTS {
        return Err(BundleError::Recipients);
    }
    let plain_len = padded_len(content.len());
    if plain_len > MAX_PLAINTEXT {
        return Err(BundleError::TooLarge);
    }
    let eph = StaticSecret::from(*Zeroizing::new(rng::array::<32>()?));
    let eph_pub = PublicKey::from(&eph).to_bytes();
    let file_key = Zeroizing::new(rng::array::<KEY_LEN>()?);
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(&eph_pub);
    for i in 0..SLOTS {
        match recipients.get(i) {
            Some(r) => {
                let shared = eph.diffie_hellman(&PublicKey::from(*r));
                let key = slot_key(shared.as_bytes(), &eph_pub, r);
                let wrapped = ChaCha20Poly1305::new(&(*key).into())
                    .encrypt(&Nonce::default(), file_key.as_slice())
                    .map_err(|_| BundleError::Random)?;
                header.extend_from_slice(&wrapped);
            }
            None => header.extend_from_slice(&rng::array::<SLOT_LEN>()?),
        }
    }
    let nonce = rng::array::<NONCE_LEN>()?;
    header.extend_from_slice(&nonce);

    // The plaintext is never assembled in memory: chunks are cut from its parts
    // (frame, content, signature, zero padding) as they are encrypted.
    let mut frame = [0u8; FRAME_LEN];
    for (d, s) in frame.iter_mut().zip(
        std::iter::once(VERSION)
            .chain(sender.public().signing)
            .chain((content.len() as u64).to_be_bytes()),
    ) {
        *d = s;
    }
    // Ed25519 hashes its message twice; signing a BLAKE3 digest of a large bundle
    // keeps sealing close to the cipher's own speed.
    let digest = hash::hash(domain::BUNDLE_SIGNED, &[&header, &frame, content]);
    let signature = sender.sign(domain::BUNDLE_SIGNATURE, &digest);
    let parts: [&[u8]; 3] = [&frame, content, &signature];

    let payload_key = hkdf(&nonce, file_key.as_slice(), PAYLOAD_INFO);
    let mut enc = EncryptorBE32::<ChaCha20Poly1305>::new(&(*payload_key).into(), &stream_nonce());
    let mut out = Vec::with_capacity(file_len(plain_len));
    out.extend_from_slice(&header);
    let mut buf = Zeroizing::new(Vec::with_capacity(CHUNK + TAG_LEN));
    let mut at = 0;
    loop {
        let end = (at + CHUNK).min(plain_len);
        buf.clear();
        fill(&parts, at, end, &mut buf);
        if end == plain_len {
            enc.encrypt_last_in_place(b"", &mut *buf)
                .map_err(|_| BundleError::TooLarge)?;
            out.extend_from_slice(&buf);
            return Ok(out);
        }
        enc.encrypt_next_in_place(b"", &mut *buf)
            .map_err(|_| BundleError::TooLarge)?;
        out.extend_from_slice(&buf);
        at = end;
    }
}

/// Appends bytes `start..end` of `parts` concatenated and then zeros.
fn fill(parts: &[&[u8]], start: usize, end: usize, buf: &mut Vec<u8>) {
    let mut offset = 0;
    for part in parts {
        let (lo, hi) = (offset, offset + part.len());
        if start < hi && end > lo {
            let from = start.max(lo) - lo;
            let to = end.min(hi) - lo;
            buf.extend_from_slice(part.get(from..to).unwrap_or_default());
        }
        offset = hi;
    }
    let zeros = end.saturating_sub(start.max(offset));
    buf.resize(buf.len() + zeros, 0);
}

/// What opening a bundle yields.
#[derive(Debug)]
pub struct Opened {
    /// The sender's Ed25519 key, whose signature verified.
    pub sender: [u8; 32],
    /// The content.
    pub content: Zeroizing<Vec<u8>>,
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, BundleError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BundleError::Io(e.kind())),
        }
    }
    Ok(filled)
}

/// Opens a bundle addressed to `me`, reading it as a stream. Reads no further than
/// the header when no slot opens, so a huge file of junk costs nothing.
pub fn open(me: &DeviceKeys, mut input: impl Read) -> Result<Opened, BundleError> {
    let mut header = [0u8; HEADER_LEN];
    if read_full(&mut input, &mut header)? < HEADER_LEN {
        return Err(BundleError::NotForUs);
    }
    let (eph, rest) = header.split_at(EPH_LEN);
    let eph: [u8; 32] = eph.try_into().map_err(|_| BundleError::NotForUs)?;
    let (slots, nonce) = rest.split_at(SLOTS * SLOT_LEN);
    let my_pub = me.public().agreement;
    let shared = me.agree(&eph);
    let key = slot_key(&shared, &eph, &my_pub);
    let cipher = ChaCha20Poly1305::new(&(*key).into());
    let mut file_key: Option<Zeroizing<Vec<u8>>> = None;
    // Every slot is tried, so timing does not say which one was ours.
    for slot in slots.chunks(SLOT_LEN) {
        if let Ok(k) = cipher.decrypt(&Nonce::default(), slot) {
            file_key.get_or_insert(Zeroizing::new(k));
        }
    }
    let file_key = file_key.ok_or(BundleError::NotForUs)?;

    let payload_key = hkdf(nonce, &file_key, PAYLOAD_INFO);
    let mut dec = Some(DecryptorBE32::<ChaCha20Poly1305>::new(
        &(*payload_key).into(),
        &stream_nonce(),
    ));
    let mut plain = Zeroizing::new(Vec::new());
    let mut buf = vec![0u8; CHUNK + TAG_LEN];
    let mut work = Zeroizing::new(Vec::with_capacity(CHUNK + TAG_LEN));
    let mut carry: Option<u8> = None;
    loop {
        let start = usize::from(carry.is_some());
        if let (Some(b), Some(first)) = (carry.take(), buf.first_mut()) {
            *first = b;
        }
        let n = start + read_full(&mut input, buf.get_mut(start..).unwrap_or_default())?;
        let mut last = n < buf.len();
        if !last {
            let mut one = [0u8; 1];
            if read_full(&mut input, &mut one)? == 0 {
                last = true;
            } else {
                carry = Some(one[0]);
            }
        }
        work.clear();
        work.extend_from_slice(buf.get(..n).unwrap_or_default());
        match (last, dec.as_mut()) {
            (false, Some(d)) => d.decrypt_next_in_place(b"", &mut *work),
            (true, _) => dec
                .take()
                .ok_or(BundleError::Damaged)?
                .decrypt_last_in_place(b"", &mut *work),
            (false, None) => return Err(BundleError::Damaged),
        }
        .map_err(|_| BundleError::Damaged)?;
        if plain.len() + work.len() > MAX_PLAINTEXT {
            return Err(BundleError::TooLarge);
        }
        plain.extend_from_slice(&work);
        if last {
            break;
        }
    }
    parse_plaintext(&header, plain)
}

fn parse_plaintext(header: &[u8], mut plain: Zeroizing<Vec<u8>>) -> Result<Opened, BundleError> {
    let (frame, rest) = plain
        .split_at_checked(FRAME_LEN)
        .ok_or(BundleError::Malformed("short"))?;
    let version = *frame.first().ok_or(BundleError::Malformed("short"))?;
    if version > VERSION {
        return Err(BundleError::NewerVersion);
    }
    if version != VERSION {
        return Err(BundleError::Malformed("version"));
    }
    let sender: [u8; 32] = frame
        .get(1..33)
        .and_then(|s| s.try_into().ok())
        .ok_or(BundleError::Malformed("short"))?;
    let len_bytes: [u8; 8] = frame
        .get(33..41)
        .and_then(|s| s.try_into().ok())
        .ok_or(BundleError::Malformed("short"))?;
    let len = usize::try_from(u64::from_be_bytes(len_bytes))
        .map_err(|_| BundleError::Malformed("length"))?;
    let after_content = rest.get(len..).ok_or(BundleError::Malformed("length"))?;
    let (signature, padding) = after_content
        .split_at_checked(SIGNATURE_LEN)
        .ok_or(BundleError::Malformed("short"))?;
    if plain.len() != padded_len(len) || padding.iter().any(|b| *b != 0) {
        return Err(BundleError::Malformed("padding"));
    }
    let signature: [u8; SIGNATURE_LEN] = signature
        .try_into()
        .map_err(|_| BundleError::Malformed("short"))?;
    let signed_len = FRAME_LEN + len;
    let digest = hash::hash(
        domain::BUNDLE_SIGNED,
        &[
            header,
            plain
                .get(..signed_len)
                .ok_or(BundleError::Malformed("short"))?,
        ],
    );
    identity::verify(&sender, domain::BUNDLE_SIGNATURE, &digest, &signature)
        .map_err(|_| BundleError::BadSignature)?;
    // The content in place: drop the padding and signature, then the frame.
    plain.truncate(signed_len);
    plain.drain(..FRAME_LEN);
    Ok(Opened {
        sender,
        content: plain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: u8) -> DeviceKeys {
        DeviceKeys::from_secret_bytes(&[n; 64]).unwrap()
    }

    #[test]
    fn padme_matches_the_paper() {
        assert_eq!(padme(0), 0);
        assert_eq!(padme(9), 10);
        assert_eq!(padme(1000), 1024);
        assert_eq!(padme(65_089), 65_536);
        assert_eq!(padme(100_000), 100_352);
        for len in [2usize, 7, 100, 4097, 1 << 20, 123_456_789] {
            assert!(padme(len) >= len && padme(len) - len <= len / 8 + 1);
        }
    }

    #[test]
    fn small_bundles_are_exactly_the_floor() {
        let a = keys(1);
        let b = keys(2).public().agreement;
        for size in [0usize, 10, 60_000] {
            let sealed = seal(&a, &[b], &vec![7; size]).unwrap();
            assert_eq!(sealed.len(), FLOOR, "content of {size} bytes");
        }
    }

    #[test]
    fn round_trip_to_each_recipient_only() {
        let a = keys(1);
        let (b, c, d) = (keys(2), keys(3), keys(4));
        for size in [0usize, 1, CHUNK - 200, CHUNK, 3 * CHUNK + 5] {
            let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&a, &[b.public().agreement, c.public().agreement], &content).unwrap();
            assert_eq!(sealed.len(), file_len(padded_len(size)));
            for who in [&b, &c] {
                let opened = open(who, sealed.as_slice()).unwrap();
                assert_eq!(opened.sender, a.public().signing);
                assert_eq!(opened.content.as_slice(), content.as_slice());
            }
            assert_eq!(
                open(&d, sealed.as_slice()).unwrap_err(),
                BundleError::NotForUs
            );
        }
    }

    #[test]
    fn truncation_extension_and_flips_are_refused() {
        let a = keys(1);
        let b = keys(2);
        let sealed = seal(&a, &[b.public().agreement], &vec![1; 3 * CHUNK]).unwrap();
        let cut_at_chunk = HEADER_LEN + 2 * (CHUNK + TAG_LEN);
        for bad in [
            sealed[..sealed.len() - 1].to_vec(),
            sealed[..cut_at_chunk].to_vec(),
            [&sealed[..], &[0][..]].concat(),
            [&sealed[..], &sealed[HEADER_LEN..HEADER_LEN + 100]].concat(),
        ] {
            assert_eq!(open(&b, bad.as_slice()).unwrap_err(), BundleError::Damaged);
        }
        for at in [0, 40, HEADER_LEN - 1, HEADER_LEN + 5, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            assert!(open(&b, bad.as_slice()).is_err(), "flip at {at}");
        }
    }

    #[test]
    fn junk_is_not_for_us_and_is_not_read_past_the_header() {
        let b = keys(2);
        assert_eq!(open(&b, &[][..]).unwrap_err(), BundleError::NotForUs);
        let zeros = std::io::repeat(0).take(10 * 1024 * 1024 * 1024);
        assert_eq!(open(&b, zeros).unwrap_err(), BundleError::NotForUs);
    }

    #[test]
    fn slots_cannot_be_readdressed() {
        // A recipient who rewraps the file key to someone else breaks the signature.
        let (a, b, c) = (keys(1), keys(2), keys(3));
        let sealed = seal(&a, &[b.public().agreement, c.public().agreement], b"hello").unwrap();
        let mut moved = sealed.clone();
        let s0 = EPH_LEN;
        let slot0 = sealed[s0..s0 + SLOT_LEN].to_vec();
        moved[s0 + SLOT_LEN..s0 + 2 * SLOT_LEN].copy_from_slice(&slot0);
        // c's slot is replaced: c can no longer open it; b still can.
        assert_eq!(
            open(&c, moved.as_slice()).unwrap_err(),
            BundleError::NotForUs
        );
        assert_eq!(
            open(&b, moved.as_slice()).unwrap_err(),
            BundleError::BadSignature
        );
    }
}
