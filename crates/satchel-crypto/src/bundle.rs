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
//! plaintext = frame || content || signature[64] || zero padding
//! frame     = version u8 (2) || sender_ed25519[32] || content_len u64 || header_sig[64]
//! header_sig = Ed25519 over HEADER_SIGNATURE || 0 || file header (432 bytes)
//!             || version || sender || content_len
//! signature = Ed25519 over BUNDLE_SIGNATURE_V2 || 0 || BLAKE3-derive(BUNDLE_SIGNED_V2,
//!             file header || frame || content)
//! ```
//!
//! The frame fits in the first chunk, so a reader learns and authenticates the sender
//! after 64 KiB, before it decrypts anything else: a bundle from a stranger costs one
//! chunk however large the file. The header signature covers the ephemeral key, every
//! slot and the nonce, all fresh per bundle, so it cannot be lifted onto another file.
//! The content signature at the end is still needed: every recipient knows the file
//! key, and could otherwise keep a genuine first chunk and replace the rest.
//!
//! Both signatures are inside the encryption (outsiders cannot see who sent it) and
//! cover the slots (a recipient cannot re-address it). The plaintext is padded so the
//! file is at least 64 KiB and otherwise of a PADMÉ size, leaking at most
//! O(log log n) bits of the content length. Unused slots are random.
//!
//! Format 1 (the sender and signature only at the end) is refused with
//! [`BundleError::OlderVersion`]: reading it meant decrypting the whole file before
//! knowing who sent it.

use std::io::{self, Read, Write};

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
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
/// Largest content accepted. Content is streamed, never held whole; the cap only
/// keeps lengths far from overflow and the chunk counter.
pub const MAX_CONTENT: u64 = 64 << 30;
/// Envelope version inside the encryption.
pub const VERSION: u8 = 2;
/// Length of the frame at the start of the first chunk.
pub const FRAME_LEN: usize = 1 + 32 + 8 + SIGNATURE_LEN;
/// How many bytes of a file are read before its sender is known and checked: the
/// header, the first chunk, and one byte to learn whether that chunk is the last.
pub const READ_BEFORE_SENDER: usize = HEADER_LEN + CHUNK + TAG_LEN + 1;
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
    /// Signed by a device that is not one of this device's peers; nothing past the
    /// first chunk was read.
    #[error("the bundle comes from a device that is not one of this device's peers")]
    UnknownSender,
    /// Written by a newer Satchel.
    #[error("the bundle was written by a newer version of Satchel")]
    NewerVersion,
    /// Written by an earlier pre-release Satchel whose format is no longer read.
    #[error(
        "the bundle was written by an earlier version of Satchel whose bundles are no longer read; ask the sender to update and export again"
    )]
    OlderVersion,
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
    /// Reading or writing the file failed.
    #[error("could not read or write the bundle: {0}")]
    Io(std::io::ErrorKind),
}

impl From<crate::CryptoError> for BundleError {
    fn from(_: crate::CryptoError) -> Self {
        BundleError::Random
    }
}

impl From<BundleError> for io::Error {
    fn from(e: BundleError) -> Self {
        match e {
            BundleError::Io(kind) => io::Error::from(kind),
            other => io::Error::other(other),
        }
    }
}

impl BundleError {
    /// The bundle error an I/O error from [`Opening`] or [`Sealer`] carries, if any.
    pub fn from_io(e: &io::Error) -> Option<BundleError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<BundleError>())
            .cloned()
    }
}

impl Clone for BundleError {
    fn clone(&self) -> Self {
        match self {
            Self::NotForUs => Self::NotForUs,
            Self::Damaged => Self::Damaged,
            Self::BadSignature => Self::BadSignature,
            Self::UnknownSender => Self::UnknownSender,
            Self::NewerVersion => Self::NewerVersion,
            Self::OlderVersion => Self::OlderVersion,
            Self::Malformed(m) => Self::Malformed(m),
            Self::TooLarge => Self::TooLarge,
            Self::Recipients => Self::Recipients,
            Self::Random => Self::Random,
            Self::Io(k) => Self::Io(*k),
        }
    }
}

/// PADMÉ (Nikitin et al., PETS 2019): rounds `len` up so that only the top
/// O(log log len) bits of the length remain.
pub fn padme(len: u64) -> u64 {
    if len < 2 {
        return len;
    }
    let e = u64::BITS - 1 - len.leading_zeros();
    let s = u32::BITS - e.leading_zeros();
    let last_bits = e.saturating_sub(s);
    let mask = (1u64 << last_bits) - 1;
    (len + mask) & !mask
}

/// File length of a bundle whose padded plaintext is `plain` bytes.
pub fn file_len(plain: u64) -> u64 {
    HEADER_LEN as u64 + plain + TAG_LEN as u64 * plain.div_ceil(CHUNK as u64).max(1)
}

/// Padded plaintext length for content of `content` bytes: the floor makes the
/// smallest file exactly [`FLOOR`] bytes.
pub fn padded_len(content: u64) -> u64 {
    let floor = (FLOOR - HEADER_LEN - TAG_LEN) as u64;
    padme(FRAME_LEN as u64 + content + SIGNATURE_LEN as u64).max(floor)
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

fn stream(payload_key: &[u8; KEY_LEN]) -> StreamBE32<ChaCha20Poly1305> {
    // The payload key is fresh for every bundle, so a fixed STREAM prefix is safe.
    StreamBE32::new(&(*payload_key).into(), &Default::default())
}

/// What the header signature covers: the file header and the frame before it.
fn header_message(header: &[u8; HEADER_LEN], frame_head: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(HEADER_LEN + frame_head.len());
    m.extend_from_slice(header);
    m.extend_from_slice(frame_head);
    m
}

/// Chunk `index` of a plaintext of `plain_len` bytes: its length and whether it is
/// the last.
fn chunk_shape(index: u64, plain_len: u64) -> (usize, bool) {
    let start = index * CHUNK as u64;
    let left = plain_len.saturating_sub(start);
    let len = left.min(CHUNK as u64);
    (len as usize, left <= CHUNK as u64)
}

fn counter(index: u64) -> Result<u32, BundleError> {
    u32::try_from(index).map_err(|_| BundleError::TooLarge)
}

/// Writes a bundle as its content arrives: write exactly the `content_len` bytes
/// announced, then [`Sealer::finish`]. Holds one chunk in memory.
pub struct Sealer<'k, W: Write> {
    out: W,
    stream: StreamBE32<ChaCha20Poly1305>,
    keys: &'k DeviceKeys,
    digest: blake3::Hasher,
    buf: Zeroizing<Vec<u8>>,
    index: u64,
    plain_len: u64,
    content_len: u64,
    written: u64,
}

impl<'k, W: Write> Sealer<'k, W> {
    /// Writes the header to `out` and prepares the first chunk.
    pub fn new(
        sender: &'k DeviceKeys,
        recipients: &[[u8; 32]],
        content_len: u64,
        mut out: W,
    ) -> Result<Self, BundleError> {
        if recipients.is_empty() || recipients.len() > SLOTS {
            return Err(BundleError::Recipients);
        }
        if content_len > MAX_CONTENT {
            return Err(BundleError::TooLarge);
        }
        let eph = StaticSecret::from(*Zeroizing::new(rng::array::<32>()?));
        let eph_pub = PublicKey::from(&eph).to_bytes();
        let file_key = Zeroizing::new(rng::array::<KEY_LEN>()?);
        let mut header = [0u8; HEADER_LEN];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            for b in bytes {
                if let Some(d) = header.get_mut(at) {
                    *d = *b;
                }
                at += 1;
            }
        };
        put(&eph_pub);
        for i in 0..SLOTS {
            match recipients.get(i) {
                Some(r) => {
                    let shared = eph.diffie_hellman(&PublicKey::from(*r));
                    let key = slot_key(shared.as_bytes(), &eph_pub, r);
                    let wrapped = ChaCha20Poly1305::new(&(*key).into())
                        .encrypt(&Nonce::default(), file_key.as_slice())
                        .map_err(|_| BundleError::Random)?;
                    put(&wrapped);
                }
                None => put(&rng::array::<SLOT_LEN>()?),
            }
        }
        let nonce = rng::array::<NONCE_LEN>()?;
        put(&nonce);
        out.write_all(&header)
            .map_err(|e| BundleError::Io(e.kind()))?;

        let public = sender.public().signing;
        let mut frame = Vec::with_capacity(FRAME_LEN);
        frame.push(VERSION);
        frame.extend_from_slice(&public);
        frame.extend_from_slice(&content_len.to_be_bytes());
        let header_sig = sender.sign(
            domain::BUNDLE_HEADER_SIGNATURE,
            &header_message(&header, &frame),
        );
        frame.extend_from_slice(&header_sig);
        let mut digest = hash::hasher(domain::BUNDLE_SIGNED_V2);
        digest.update(&header);
        digest.update(&frame);
        let mut buf = Zeroizing::new(Vec::with_capacity(CHUNK + TAG_LEN));
        buf.extend_from_slice(&frame);
        let payload_key = hkdf(&nonce, file_key.as_slice(), PAYLOAD_INFO);
        Ok(Self {
            out,
            stream: stream(&payload_key),
            keys: sender,
            digest,
            buf,
            index: 0,
            plain_len: padded_len(content_len),
            content_len,
            written: 0,
        })
    }

    /// Encrypts and writes the buffered chunk if it is full and not the last.
    fn flush_full(&mut self) -> Result<(), BundleError> {
        let (len, last) = chunk_shape(self.index, self.plain_len);
        if self.buf.len() < len || last {
            return Ok(());
        }
        self.stream
            .encrypt_in_place(counter(self.index)?, false, b"", &mut *self.buf)
            .map_err(|_| BundleError::TooLarge)?;
        self.out
            .write_all(&self.buf)
            .map_err(|e| BundleError::Io(e.kind()))?;
        self.buf.clear();
        self.index += 1;
        Ok(())
    }

    fn push(&mut self, mut bytes: &[u8]) -> Result<(), BundleError> {
        while !bytes.is_empty() {
            let room = CHUNK - self.buf.len();
            if room == 0 {
                // Only the last chunk is held full, and nothing follows it.
                return Err(BundleError::Malformed("content longer than announced"));
            }
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now);
            bytes = rest;
            self.flush_full()?;
        }
        Ok(())
    }

    /// Signs, pads, writes the last chunk and returns the writer.
    pub fn finish(mut self) -> Result<W, BundleError> {
        if self.written != self.content_len {
            return Err(BundleError::Malformed("content shorter than announced"));
        }
        let digest = *self.digest.finalize().as_bytes();
        let signature = self.keys.sign(domain::BUNDLE_SIGNATURE_V2, &digest);
        self.push(&signature)?;
        let zeros = [0u8; 4096];
        let mut left = self.plain_len - (self.index * CHUNK as u64 + self.buf.len() as u64);
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            self.push(zeros.get(..n).unwrap_or_default())?;
            left -= n as u64;
        }
        self.stream
            .encrypt_in_place(counter(self.index)?, true, b"", &mut *self.buf)
            .map_err(|_| BundleError::TooLarge)?;
        self.out
            .write_all(&self.buf)
            .map_err(|e| BundleError::Io(e.kind()))?;
        self.out.flush().map_err(|e| BundleError::Io(e.kind()))?;
        Ok(self.out)
    }
}

impl<W: Write> Write for Sealer<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.written + bytes.len() as u64 > self.content_len {
            return Err(BundleError::Malformed("content longer than announced").into());
        }
        self.digest.update(bytes);
        self.push(bytes)?;
        self.written += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Seals `content` from `sender` to `recipients` (their X25519 public keys), in
/// memory. Large content goes through [`Sealer`].
pub fn seal(
    sender: &DeviceKeys,
    recipients: &[[u8; 32]],
    content: &[u8],
) -> Result<Vec<u8>, BundleError> {
    let len = content.len() as u64;
    let out = Vec::with_capacity(usize::try_from(file_len(padded_len(len))).unwrap_or(0));
    let mut sealer = Sealer::new(sender, recipients, len, out)?;
    sealer
        .write_all(content)
        .map_err(|e| BundleError::from_io(&e).unwrap_or(BundleError::Io(e.kind())))?;
    sealer.finish()
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, BundleError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BundleError::Io(e.kind())),
        }
    }
    Ok(filled)
}

/// A bundle being read: its sender is authenticated and known; its content is
/// decrypted one chunk at a time as it is read. End of content (a read of 0 bytes)
/// is reported only after the content signature and the padding have been checked,
/// so a reader that reaches it has authenticated everything it read.
pub struct Opening<R: Read> {
    input: R,
    stream: StreamBE32<ChaCha20Poly1305>,
    sender: [u8; 32],
    digest: blake3::Hasher,
    chunk: Zeroizing<Vec<u8>>,
    /// Plaintext offset of `chunk`'s first byte, and how far it has been read.
    chunk_start: u64,
    at: usize,
    index: u64,
    carry: Option<u8>,
    plain_len: u64,
    content_len: u64,
    signature: Vec<u8>,
    done: bool,
}

/// Opens a bundle addressed to `me`. Reads the header and the first chunk only
/// ([`READ_BEFORE_SENDER`] bytes at most), verifies the header signature and asks
/// `known` about the sender before anything else is decrypted. Reads nothing past
/// the header when no slot opens, so a huge file of junk costs nothing.
pub fn open_stream<R: Read>(
    me: &DeviceKeys,
    mut input: R,
    known: impl FnOnce(&[u8; 32]) -> bool,
) -> Result<Opening<R>, BundleError> {
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
    let stream = stream(&payload_key);

    // The first chunk: full unless it is also the last, which one more byte tells.
    let mut chunk = Zeroizing::new(vec![0u8; CHUNK + TAG_LEN]);
    let n = read_full(&mut input, &mut chunk)?;
    let mut carry = None;
    let last = if n < chunk.len() {
        true
    } else {
        let mut one = [0u8; 1];
        if read_full(&mut input, &mut one)? == 0 {
            true
        } else {
            carry = Some(one[0]);
            false
        }
    };
    chunk.truncate(n);
    stream
        .decrypt_in_place(0, last, b"", &mut *chunk)
        .map_err(|_| BundleError::Damaged)?;

    let version = *chunk.first().ok_or(BundleError::Malformed("short"))?;
    if version > VERSION {
        return Err(BundleError::NewerVersion);
    }
    if version < VERSION {
        return Err(BundleError::OlderVersion);
    }
    let frame = chunk
        .get(..FRAME_LEN)
        .ok_or(BundleError::Malformed("short"))?;
    let (frame_head, header_sig) = frame.split_at(FRAME_LEN - SIGNATURE_LEN);
    let sender: [u8; 32] = frame_head
        .get(1..33)
        .and_then(|s| s.try_into().ok())
        .ok_or(BundleError::Malformed("short"))?;
    let len_bytes: [u8; 8] = frame_head
        .get(33..41)
        .and_then(|s| s.try_into().ok())
        .ok_or(BundleError::Malformed("short"))?;
    let header_sig: [u8; SIGNATURE_LEN] = header_sig
        .try_into()
        .map_err(|_| BundleError::Malformed("short"))?;
    identity::verify(
        &sender,
        domain::BUNDLE_HEADER_SIGNATURE,
        &header_message(&header, frame_head),
        &header_sig,
    )
    .map_err(|_| BundleError::BadSignature)?;
    if !known(&sender) {
        return Err(BundleError::UnknownSender);
    }

    let content_len = u64::from_be_bytes(len_bytes);
    if content_len > MAX_CONTENT {
        return Err(BundleError::TooLarge);
    }
    let plain_len = padded_len(content_len);
    if chunk_shape(0, plain_len) != (chunk.len(), last) {
        return Err(BundleError::Malformed("length"));
    }
    let mut digest = hash::hasher(domain::BUNDLE_SIGNED_V2);
    digest.update(&header);
    let mut opening = Opening {
        input,
        stream,
        sender,
        digest,
        chunk: Zeroizing::new(Vec::new()),
        chunk_start: 0,
        at: FRAME_LEN,
        index: 0,
        carry,
        plain_len,
        content_len,
        signature: Vec::with_capacity(SIGNATURE_LEN),
        done: false,
    };
    opening.take_chunk(chunk, last)?;
    Ok(opening)
}

impl<R: Read> Opening<R> {
    /// The sender's Ed25519 key, authenticated by the header signature.
    pub fn sender(&self) -> [u8; 32] {
        self.sender
    }

    /// The content length the sender announced (and signed).
    pub fn content_len(&self) -> u64 {
        self.content_len
    }

    fn content_end(&self) -> u64 {
        FRAME_LEN as u64 + self.content_len
    }

    /// Hashes, collects the signature from and checks the padding of a decrypted
    /// chunk, then makes it the current one.
    fn take_chunk(&mut self, chunk: Zeroizing<Vec<u8>>, last: bool) -> Result<(), BundleError> {
        let start = self.index * CHUNK as u64;
        let end = start + chunk.len() as u64;
        let content_end = self.content_end();
        let sig_end = content_end + SIGNATURE_LEN as u64;
        let local = |x: u64| (x.clamp(start, end) - start) as usize;
        self.digest
            .update(chunk.get(..local(content_end)).unwrap_or_default());
        self.signature.extend_from_slice(
            chunk
                .get(local(content_end)..local(sig_end))
                .unwrap_or_default(),
        );
        if chunk
            .get(local(sig_end)..)
            .unwrap_or_default()
            .iter()
            .any(|b| *b != 0)
        {
            return Err(BundleError::Malformed("padding"));
        }
        self.chunk = chunk;
        self.chunk_start = start;
        if start == 0 {
            self.at = FRAME_LEN.min(self.chunk.len());
        } else {
            self.at = 0;
        }
        if last {
            let mut one = [0u8; 1];
            if self.carry.is_some() || read_full(&mut self.input, &mut one)? != 0 {
                return Err(BundleError::Damaged);
            }
            let signature: [u8; SIGNATURE_LEN] = self
                .signature
                .as_slice()
                .try_into()
                .map_err(|_| BundleError::Malformed("short"))?;
            let digest = *self.digest.finalize().as_bytes();
            identity::verify(
                &self.sender,
                domain::BUNDLE_SIGNATURE_V2,
                &digest,
                &signature,
            )
            .map_err(|_| BundleError::BadSignature)?;
            self.done = true;
        }
        Ok(())
    }

    fn next_chunk(&mut self) -> Result<(), BundleError> {
        self.index += 1;
        let (len, last) = chunk_shape(self.index, self.plain_len);
        let mut chunk = std::mem::take(&mut self.chunk);
        chunk.clear();
        chunk.resize(len + TAG_LEN, 0);
        let start = match (self.carry.take(), chunk.first_mut()) {
            (Some(b), Some(first)) => {
                *first = b;
                1
            }
            _ => 0,
        };
        let n = start + read_full(&mut self.input, chunk.get_mut(start..).unwrap_or_default())?;
        if n < chunk.len() {
            return Err(BundleError::Damaged);
        }
        self.stream
            .decrypt_in_place(counter(self.index)?, last, b"", &mut *chunk)
            .map_err(|_| BundleError::Damaged)?;
        self.take_chunk(chunk, last)
    }

    /// Reads content; the error says why the bundle was refused.
    pub fn read_content(&mut self, buf: &mut [u8]) -> Result<usize, BundleError> {
        loop {
            let content_end = self.content_end();
            let chunk_end = self.chunk_start + self.chunk.len() as u64;
            let pos = self.chunk_start + self.at as u64;
            let available = content_end.min(chunk_end).saturating_sub(pos);
            if available > 0 {
                let n = buf.len().min(available as usize);
                let src = self
                    .chunk
                    .get(self.at..self.at + n)
                    .ok_or(BundleError::Malformed("short"))?;
                buf.get_mut(..n)
                    .ok_or(BundleError::Malformed("short"))?
                    .copy_from_slice(src);
                self.at += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if buf.is_empty() {
                return Ok(0);
            }
            self.next_chunk()?;
        }
    }

    /// Checks that the content was read to its end and everything authenticated.
    pub fn finish(mut self) -> Result<(), BundleError> {
        let mut one = [0u8; 1];
        if self.read_content(&mut one)? != 0 {
            return Err(BundleError::Malformed("content left unread"));
        }
        Ok(())
    }
}

impl<R: Read> Read for Opening<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_content(buf)?)
    }
}

/// What opening a whole bundle in memory yields.
#[derive(Debug)]
pub struct Opened {
    /// The sender's Ed25519 key, whose signatures verified.
    pub sender: [u8; 32],
    /// The content.
    pub content: Zeroizing<Vec<u8>>,
}

/// Opens a bundle and reads its content into memory, refusing content over `cap`
/// bytes before decrypting past the first chunk. For small bundles, tests and
/// tools; imports stream through [`open_stream`].
pub fn open(
    me: &DeviceKeys,
    input: impl Read,
    known: impl FnOnce(&[u8; 32]) -> bool,
    cap: u64,
) -> Result<Opened, BundleError> {
    let mut opening = open_stream(me, input, known)?;
    if opening.content_len() > cap {
        return Err(BundleError::TooLarge);
    }
    let mut content = Zeroizing::new(vec![0u8; opening.content_len() as usize]);
    let mut filled = 0;
    while filled < content.len() {
        let n = opening.read_content(content.get_mut(filled..).unwrap_or_default())?;
        if n == 0 {
            return Err(BundleError::Malformed("short"));
        }
        filled += n;
    }
    let sender = opening.sender();
    opening.finish()?;
    Ok(Opened { sender, content })
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
        for len in [2u64, 7, 100, 4097, 1 << 20, 123_456_789, 3 << 32] {
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
            assert_eq!(file_len(padded_len(size as u64)), FLOOR as u64);
        }
    }

    #[test]
    fn round_trip_to_each_recipient_only() {
        let a = keys(1);
        let (b, c, d) = (keys(2), keys(3), keys(4));
        for size in [0usize, 1, CHUNK - 200, CHUNK, 3 * CHUNK + 5] {
            let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&a, &[b.public().agreement, c.public().agreement], &content).unwrap();
            assert_eq!(sealed.len() as u64, file_len(padded_len(size as u64)));
            for who in [&b, &c] {
                let opened = open(who, sealed.as_slice(), |_| true, u64::MAX).unwrap();
                assert_eq!(opened.sender, a.public().signing);
                assert_eq!(opened.content.as_slice(), content.as_slice());
            }
            assert_eq!(
                open(&d, sealed.as_slice(), |_| true, u64::MAX).unwrap_err(),
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
            assert_eq!(
                open(&b, bad.as_slice(), |_| true, u64::MAX).unwrap_err(),
                BundleError::Damaged
            );
        }
        for at in [0, 40, HEADER_LEN - 1, HEADER_LEN + 5, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            assert!(
                open(&b, bad.as_slice(), |_| true, u64::MAX).is_err(),
                "flip at {at}"
            );
        }
    }

    #[test]
    fn junk_is_not_for_us_and_is_not_read_past_the_header() {
        let b = keys(2);
        assert_eq!(
            open(&b, &[][..], |_| true, u64::MAX).unwrap_err(),
            BundleError::NotForUs
        );
        let zeros = std::io::repeat(0).take(10 * 1024 * 1024 * 1024);
        assert_eq!(
            open(&b, zeros, |_| true, u64::MAX).unwrap_err(),
            BundleError::NotForUs
        );
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
            open(&c, moved.as_slice(), |_| true, u64::MAX).unwrap_err(),
            BundleError::NotForUs
        );
        assert_eq!(
            open(&b, moved.as_slice(), |_| true, u64::MAX).unwrap_err(),
            BundleError::BadSignature
        );
    }

    /// Counts the bytes a reader hands out.
    struct Counting<R> {
        inner: R,
        read: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read.set(self.read.get() + n as u64);
            Ok(n)
        }
    }

    /// The header and first chunk of a bundle announcing `len` bytes of content,
    /// followed by `len` bytes of filler that are never sealed.
    fn huge(
        from: &DeviceKeys,
        to: [u8; 32],
        len: u64,
    ) -> (impl Read, std::rc::Rc<std::cell::Cell<u64>>) {
        let mut head = Vec::new();
        let mut sealer = Sealer::new(from, &[to], len, &mut head).unwrap();
        sealer.write_all(&vec![5; CHUNK]).unwrap();
        drop(sealer);
        assert_eq!(head.len(), HEADER_LEN + CHUNK + TAG_LEN);
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let r = Counting {
            inner: io::Cursor::new(head).chain(io::repeat(0xAB).take(len)),
            read: read.clone(),
        };
        (r, read)
    }

    #[test]
    fn a_stranger_is_refused_after_the_first_chunk() {
        // 0.9 GiB announced: only the first chunk is read and decrypted.
        let (stranger, b) = (keys(9), keys(2));
        let (input, read) = huge(&stranger, b.public().agreement, 900 << 20);
        let mut asked = None;
        let err = open_stream(&b, input, |s| {
            asked = Some(*s);
            false
        })
        .err()
        .unwrap();
        assert_eq!(err, BundleError::UnknownSender);
        assert_eq!(asked, Some(stranger.public().signing));
        assert!(
            read.get() <= READ_BEFORE_SENDER as u64,
            "read {} bytes",
            read.get()
        );
    }

    #[test]
    fn a_known_sender_whose_later_chunks_were_replaced_is_refused() {
        // A co-recipient knows the file key but not the sender's signing key.
        let (a, b) = (keys(1), keys(2));
        let sealed = seal(&a, &[b.public().agreement], &vec![1; 3 * CHUNK]).unwrap();
        let mut opening = open_stream(&b, sealed.as_slice(), |_| true).unwrap();
        assert_eq!(opening.sender(), a.public().signing);
        assert_eq!(opening.content_len(), 3 * CHUNK as u64);
        let mut out = Vec::new();
        opening.read_to_end(&mut out).unwrap();
        assert_eq!(out, vec![1; 3 * CHUNK]);

        // A co-recipient keeps the sender's header and first chunk and encrypts
        // other content under the file key it knows: the content signature refuses it.
        let forged = swap_content(&b, &sealed, &vec![2; 2 * CHUNK]);
        let mut opening = open_stream(&b, forged.as_slice(), |_| true).unwrap();
        let mut first = vec![0; CHUNK - FRAME_LEN];
        opening.read_exact(&mut first).unwrap();
        let err = io::copy(&mut opening, &mut io::sink()).unwrap_err();
        assert_eq!(BundleError::from_io(&err), Some(BundleError::BadSignature));

        // Junk after a genuine first chunk fails the first chunk it touches.
        let (input, _) = huge(&a, b.public().agreement, 3 * CHUNK as u64);
        let mut opening = open_stream(&b, input, |_| true).unwrap();
        let err = io::copy(&mut opening, &mut io::sink()).unwrap_err();
        assert_eq!(BundleError::from_io(&err), Some(BundleError::Damaged));
    }

    /// What a recipient `me` can forge: `sealed`'s header and first chunk, then
    /// `rest` and zero padding in place of the sender's later chunks.
    fn swap_content(me: &DeviceKeys, sealed: &[u8], rest: &[u8]) -> Vec<u8> {
        let eph: [u8; 32] = sealed[..32].try_into().unwrap();
        let key = slot_key(&me.agree(&eph), &eph, &me.public().agreement);
        let cipher = ChaCha20Poly1305::new(&(*key).into());
        let file_key = sealed[EPH_LEN..EPH_LEN + SLOTS * SLOT_LEN]
            .chunks(SLOT_LEN)
            .find_map(|slot| cipher.decrypt(&Nonce::default(), slot).ok())
            .unwrap();
        let payload = hkdf(
            &sealed[HEADER_LEN - NONCE_LEN..HEADER_LEN],
            &file_key,
            PAYLOAD_INFO,
        );
        let stream = stream(&payload);
        let mut first = sealed[HEADER_LEN..HEADER_LEN + CHUNK + TAG_LEN].to_vec();
        stream.decrypt_in_place(0, false, b"", &mut first).unwrap();
        let content_len = u64::from_be_bytes(first[33..41].try_into().unwrap());
        let plain_len = padded_len(content_len);
        let mut plain = rest.to_vec();
        plain.resize((plain_len - CHUNK as u64) as usize, 0);
        let mut out = sealed[..HEADER_LEN + CHUNK + TAG_LEN].to_vec();
        let chunks: Vec<&[u8]> = plain.chunks(CHUNK).collect();
        for (i, c) in chunks.iter().enumerate() {
            let mut c = c.to_vec();
            let last = i + 1 == chunks.len();
            stream
                .encrypt_in_place(i as u32 + 1, last, b"", &mut c)
                .unwrap();
            out.extend_from_slice(&c);
        }
        out
    }

    #[test]
    fn content_over_the_cap_is_refused_before_it_is_decrypted() {
        let (a, b) = (keys(1), keys(2));
        let (input, read) = huge(&a, b.public().agreement, 900 << 20);
        assert_eq!(
            open(&b, input, |_| true, 1 << 20).unwrap_err(),
            BundleError::TooLarge
        );
        assert!(read.get() <= READ_BEFORE_SENDER as u64);
    }

    #[test]
    fn streamed_and_whole_sealing_agree_on_layout() {
        let (a, b) = (keys(1), keys(2));
        let content: Vec<u8> = (0..5 * CHUNK + 17).map(|i| (i % 253) as u8).collect();
        let mut out = Vec::new();
        let mut sealer =
            Sealer::new(&a, &[b.public().agreement], content.len() as u64, &mut out).unwrap();
        for piece in content.chunks(1000) {
            sealer.write_all(piece).unwrap();
        }
        sealer.finish().unwrap();
        assert_eq!(out.len() as u64, file_len(padded_len(content.len() as u64)));
        let opened = open(&b, out.as_slice(), |_| true, u64::MAX).unwrap();
        assert_eq!(opened.content.as_slice(), content.as_slice());

        let mut short = Sealer::new(&a, &[b.public().agreement], 10, Vec::new()).unwrap();
        short.write_all(b"abc").unwrap();
        assert!(short.finish().is_err());
        let mut long = Sealer::new(&a, &[b.public().agreement], 2, Vec::new()).unwrap();
        assert!(long.write_all(b"abc").is_err());
    }
}
