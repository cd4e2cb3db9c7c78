//! What a bundle carries inside its envelope: the sender's bundle sequence, its
//! acknowledgement vector, ops, signed forms, the organisation's membership and
//! attachment contents
//! (docs/bundle-format.md).
//!
//! ```text
//! body  = version u8 (5) | head_len u32 | zstd(head) | attachment bytes, back to back
//! head  = bundle_id[16] | sender_seq u64 | prev_bundle[32]
//!         | acks: u16 n, n × (author[32] | seq u64), authors increasing
//!         | ops: u32 n, n × op wire form (see op.rs)
//!         | forms: u16 n, n × publication (see publication.rs)
//!         | certificates: u16 n, n × (u16 len | certificate)
//!         | revocations: u16 n, n × revocation (fixed length)
//!         | log: u16 len, the sender's checkpoint (a signed note)
//!              | u8 n, n × (from size u64 | u8 k, k × hash[32]), sizes increasing
//!              | u8 n, n × (u16 len, a recipient's checkpoint cosigned by the sender)
//!         | reach: u8 n, n × (u16 len | relay URL | mailbox[32] | deposit token[32])
//!         | attachments: u32 n, n × (blake3[32] | len u64), hashes increasing
//! hash  = BLAKE3-derive(BUNDLE_BODY_V5, head)
//! ```
//!
//! The head is small, compressible and held in memory (capped at [`MAX_HEAD`]);
//! attachments follow it uncompressed, since photos, audio and video are compressed
//! already, and are read in pieces of at most [`PIECE`] bytes, each checked against
//! its BLAKE3 hash at its end. The body hash covers the attachments through their
//! hashes, so it is known before they are read.

use std::io::Read;

use satchel_crypto::hash;

use crate::{
    BodyError, OpError,
    member::{Certificate, Revocation},
    op::{DeviceId, Op},
    publication::Publication,
    vv::VersionVector,
};

/// Body format this build writes and reads.
pub const VERSION: u8 = 5;
/// Largest head (everything but attachment contents) accepted, compressed or not:
/// about 200,000 ops with their payloads, more than any field device holds.
pub const MAX_HEAD: usize = 96 * 1024 * 1024;
/// Largest single attachment carried.
pub const MAX_BLOB: u64 = 4 << 30;
/// Largest form definition carried.
pub const MAX_FORM: usize = crate::publication::MAX_FORM;
/// Largest piece of an attachment handed out at once.
pub const PIECE: usize = 1024 * 1024;
/// Largest checkpoint note carried (a checkpoint and a few cosignatures).
pub const MAX_LOG_NOTE: usize = 8 * 1024;
/// Most consistency proofs carried.
pub const MAX_PROOFS: usize = 32;
/// Most hashes in one consistency proof (two per level of the largest tree).
pub const MAX_PROOF_HASHES: usize = 128;
/// Most relay mailboxes a sender names.
pub const MAX_REACH: usize = 4;
/// Longest relay URL.
pub const MAX_RELAY_URL: usize = 512;

/// Where the sender takes bundles: a mailbox on a relay and the token that deposits
/// into it (docs/relay.md). It travels only inside bundles, so only the sender's
/// recipients learn it, and they keep it in their encrypted vaults.
#[derive(Clone, PartialEq, Eq)]
pub struct Reach {
    /// The relay's base URL: `https://…` (or `http://…`, for a relay on a LAN or
    /// behind a proxy that the user chose).
    pub url: String,
    /// The mailbox id.
    pub mailbox: [u8; 32],
    /// The deposit token's 32 bytes (base64url in HTTP).
    pub deposit: [u8; 32],
}

impl std::fmt::Debug for Reach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reach(..)")
    }
}

impl Reach {
    /// Whether `url` may be carried: `http://` or `https://`, printable ASCII, at most
    /// [`MAX_RELAY_URL`] bytes.
    pub fn url_ok(url: &str) -> bool {
        (1..=MAX_RELAY_URL).contains(&url.len())
            && (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > "https://".len()
            && url.bytes().all(|b| b.is_ascii_graphic())
    }

    /// The reach list's bytes, as in a head.
    pub fn write_list(list: &[Reach], out: &mut Vec<u8>) -> Result<(), OpError> {
        if list.len() > MAX_REACH {
            return Err(malformed("too many relay mailboxes"));
        }
        out.push(u8::try_from(list.len()).map_err(|_| malformed("reach"))?);
        for r in list {
            if !Self::url_ok(&r.url) {
                return Err(malformed("relay URL"));
            }
            let len = u16::try_from(r.url.len()).map_err(|_| malformed("relay URL"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(r.url.as_bytes());
            out.extend_from_slice(&r.mailbox);
            out.extend_from_slice(&r.deposit);
        }
        Ok(())
    }

    fn read_list(r: &mut Reader<'_>) -> Result<Vec<Reach>, OpError> {
        let n = usize::from(r.array::<1>()?[0]);
        if n > MAX_REACH {
            return Err(malformed("too many relay mailboxes"));
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let len = r.u16()?;
            let url = std::str::from_utf8(r.take(len)?)
                .map_err(|_| malformed("relay URL"))?
                .to_owned();
            if !Self::url_ok(&url) {
                return Err(malformed("relay URL"));
            }
            out.push(Reach {
                url,
                mailbox: r.array()?,
                deposit: r.array()?,
            });
        }
        Ok(out)
    }

    /// Reads a list written by [`Reach::write_list`], whole.
    pub fn decode_list(bytes: &[u8]) -> Result<Vec<Reach>, OpError> {
        let mut r = Reader(bytes);
        let list = Self::read_list(&mut r)?;
        if !r.0.is_empty() {
            return Err(malformed("trailing bytes after relay mailboxes"));
        }
        Ok(list)
    }
}

/// The sender's transparency log in a bundle (docs/bundle-format.md, "Log"): its
/// newest checkpoint, proofs that it extends those the recipients kept, and the
/// recipients' own checkpoints it cosigned as their witness. Notes are checked by the
/// importer (`satchel-audit`), not here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSection {
    /// The sender's checkpoint of its own log, a C2SP signed note.
    pub checkpoint: Vec<u8>,
    /// Consistency proofs to it: (from size, hashes), sizes increasing.
    pub proofs: Vec<(u64, Vec<[u8; 32]>)>,
    /// Checkpoints of the recipients' logs, with the sender's cosignature.
    pub witnessed: Vec<Vec<u8>>,
}

impl LogSection {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), OpError> {
        let note = |out: &mut Vec<u8>, n: &[u8]| -> Result<(), OpError> {
            if n.is_empty() || n.len() > MAX_LOG_NOTE {
                return Err(malformed("checkpoint note length"));
            }
            out.extend_from_slice(
                &u16::try_from(n.len())
                    .map_err(|_| malformed("note"))?
                    .to_be_bytes(),
            );
            out.extend_from_slice(n);
            Ok(())
        };
        note(out, &self.checkpoint)?;
        if self.proofs.len() > MAX_PROOFS
            || self
                .proofs
                .windows(2)
                .any(|w| matches!(w, [a, b] if a.0 >= b.0))
        {
            return Err(malformed("consistency proofs not canonical"));
        }
        out.push(u8::try_from(self.proofs.len()).map_err(|_| malformed("proofs"))?);
        for (size, hashes) in &self.proofs {
            if hashes.len() > MAX_PROOF_HASHES {
                return Err(malformed("consistency proof too long"));
            }
            out.extend_from_slice(&size.to_be_bytes());
            out.push(u8::try_from(hashes.len()).map_err(|_| malformed("proof"))?);
            for h in hashes {
                out.extend_from_slice(h);
            }
        }
        if self.witnessed.len() > satchel_crypto::bundle::SLOTS {
            return Err(malformed("too many cosigned checkpoints"));
        }
        out.push(u8::try_from(self.witnessed.len()).map_err(|_| malformed("cosigned"))?);
        for n in &self.witnessed {
            note(out, n)?;
        }
        Ok(())
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, OpError> {
        let note = |r: &mut Reader<'_>| -> Result<Vec<u8>, OpError> {
            let len = r.u16()?;
            if len == 0 || len > MAX_LOG_NOTE {
                return Err(malformed("checkpoint note length"));
            }
            Ok(r.take(len)?.to_vec())
        };
        let checkpoint = note(r)?;
        let n = usize::from(r.array::<1>()?[0]);
        if n > MAX_PROOFS {
            return Err(malformed("too many consistency proofs"));
        }
        let mut proofs: Vec<(u64, Vec<[u8; 32]>)> = Vec::with_capacity(n);
        for _ in 0..n {
            let size = u64::from_be_bytes(r.array()?);
            if proofs.last().is_some_and(|(s, _)| *s >= size) {
                return Err(malformed("consistency proofs not canonical"));
            }
            let k = usize::from(r.array::<1>()?[0]);
            if k > MAX_PROOF_HASHES {
                return Err(malformed("consistency proof too long"));
            }
            let hashes = (0..k).map(|_| r.array()).collect::<Result<_, _>>()?;
            proofs.push((size, hashes));
        }
        let n = usize::from(r.array::<1>()?[0]);
        if n > satchel_crypto::bundle::SLOTS {
            return Err(malformed("too many cosigned checkpoints"));
        }
        let witnessed = (0..n).map(|_| note(r)).collect::<Result<_, _>>()?;
        Ok(Self {
            checkpoint,
            proofs,
            witnessed,
        })
    }
}

/// The decoded content of a bundle held in memory, attachments included: for tests,
/// vectors and small tools. Imports read a [`BundleHead`] and stream attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleBody {
    /// Random id: importing the same bundle twice is recognised by it.
    pub bundle_id: [u8; 16],
    /// The sender's count of bundles made, from 1.
    pub sender_seq: u64,
    /// Hash of the sender's previous bundle body (zero for the first).
    pub prev_bundle: [u8; 32],
    /// For each author, the highest op the sender holds (its acknowledgement).
    pub acks: VersionVector,
    /// Ops the recipients have not acknowledged, by author then sequence.
    pub ops: Vec<Op>,
    /// Attachment contents the ops refer to: (BLAKE3, bytes).
    pub blobs: Vec<([u8; 32], Vec<u8>)>,
    /// Form versions, as published.
    pub forms: Vec<Publication>,
    /// The organisation's certificates the sender holds.
    pub certificates: Vec<Certificate>,
    /// The organisation's revocations the sender holds.
    pub revocations: Vec<Revocation>,
    /// The sender's transparency log.
    pub log: LogSection,
    /// Where the sender takes bundles over a network.
    pub reach: Vec<Reach>,
}

/// Everything a body carries before the attachment contents.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleHead {
    /// Random id: importing the same bundle twice is recognised by it.
    pub bundle_id: [u8; 16],
    /// The sender's count of bundles made, from 1.
    pub sender_seq: u64,
    /// Hash of the sender's previous bundle body (zero for the first).
    pub prev_bundle: [u8; 32],
    /// For each author, the highest op the sender holds (its acknowledgement).
    pub acks: VersionVector,
    /// Ops the recipients have not acknowledged, by author then sequence.
    pub ops: Vec<Op>,
    /// Form versions, as published.
    pub forms: Vec<Publication>,
    /// The organisation's certificates the sender holds.
    pub certificates: Vec<Certificate>,
    /// The organisation's revocations the sender holds.
    pub revocations: Vec<Revocation>,
    /// The sender's transparency log.
    pub log: LogSection,
    /// Where the sender takes bundles over a network.
    pub reach: Vec<Reach>,
    /// The attachments that follow the head, in order: (BLAKE3, length).
    pub blobs: Vec<([u8; 32], u64)>,
}

fn malformed(what: &'static str) -> OpError {
    OpError::Malformed(what)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], OpError> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(malformed("bundle body truncated"))?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], OpError> {
        self.take(N)?
            .try_into()
            .map_err(|_| malformed("bundle body truncated"))
    }

    fn u16(&mut self) -> Result<usize, OpError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn u32(&mut self) -> Result<usize, OpError> {
        usize::try_from(u32::from_be_bytes(self.array()?)).map_err(|_| malformed("length"))
    }
}

fn len_u32(n: usize) -> Result<[u8; 4], OpError> {
    Ok(u32::try_from(n)
        .map_err(|_| malformed("too many entries"))?
        .to_be_bytes())
}

fn read_exact(r: &mut impl Read, buf: &mut [u8]) -> Result<(), BodyError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            BodyError::Invalid(malformed("bundle body truncated"))
        } else {
            BodyError::Read(e)
        }
    })
}

impl BundleHead {
    /// The body's identity for chaining: BLAKE3 of the uncompressed head.
    pub fn hash(head: &[u8]) -> [u8; 32] {
        hash::hash(hash::domain::BUNDLE_BODY_V5, &[head])
    }

    /// A head writer holding this head's ops.
    fn writer(&self) -> Result<HeadWriter, OpError> {
        let mut out = HeadWriter::new(
            self.bundle_id,
            self.sender_seq,
            self.prev_bundle,
            &self.acks,
        )?;
        for op in &self.ops {
            out.op(op)?;
        }
        Ok(out)
    }

    /// Uncompressed head bytes.
    pub fn encode(&self) -> Result<Vec<u8>, OpError> {
        let out = self.writer()?;
        out.encode_rest(
            &self.forms,
            &self.certificates,
            &self.revocations,
            &self.log,
            &self.reach,
            &self.blobs,
        )
    }

    /// The body up to the attachment contents (version, length, compressed head),
    /// the body hash, and the length of the whole body once the attachments follow.
    pub fn write(&self) -> Result<(Vec<u8>, [u8; 32], u64), OpError> {
        let out = self.writer()?;
        out.finish(
            &self.forms,
            &self.certificates,
            &self.revocations,
            &self.log,
            &self.reach,
            &self.blobs,
        )
    }

    /// Reads the body up to the attachment contents, decompressing at most
    /// [`MAX_HEAD`] bytes, and parses strictly; every op's signature and payload
    /// hash are verified. Returns the head and the body hash; the attachments
    /// follow in `input`, to be read with [`BlobReader`].
    pub fn read(input: &mut impl Read) -> Result<(Self, [u8; 32]), BodyError> {
        Self::read_until(input, &|| false)
    }

    /// [`BundleHead::read`] that ends with [`BodyError::Stopped`] soon after `stop`
    /// says so: it is asked between reads and every few ops, whose signatures take
    /// most of the time.
    pub fn read_until(
        input: &mut impl Read,
        stop: &dyn Fn() -> bool,
    ) -> Result<(Self, [u8; 32]), BodyError> {
        let mut first = [0u8; 5];
        read_exact(input, &mut first)?;
        let [version, len @ ..] = first;
        if version > VERSION {
            return Err(OpError::NewerFormat.into());
        }
        if version != VERSION {
            return Err(malformed(
                "bundle made by an earlier version of Satchel: the sender must update and export again",
            )
            .into());
        }
        let len = usize::try_from(u32::from_be_bytes(len)).map_err(|_| malformed("length"))?;
        if len > MAX_HEAD {
            return Err(malformed("bundle head too large").into());
        }
        // Grown as bytes arrive: a length alone allocates nothing.
        let mut compressed = Vec::new();
        Read::take(&mut *input, len as u64)
            .read_to_end(&mut compressed)
            .map_err(BodyError::Read)?;
        if compressed.len() != len {
            return Err(malformed("bundle body truncated").into());
        }
        let decoder = zstd::stream::read::Decoder::new(compressed.as_slice())
            .map_err(|_| malformed("not compressed data"))?;
        let mut head = Vec::new();
        decoder
            .take(MAX_HEAD as u64 + 1)
            .read_to_end(&mut head)
            .map_err(|_| malformed("not compressed data"))?;
        if head.len() > MAX_HEAD {
            return Err(malformed("decompresses past the size limit").into());
        }
        if stop() {
            return Err(BodyError::Stopped);
        }
        let parsed = Self::parse(&head, stop)?;
        Ok((parsed, Self::hash(&head)))
    }

    fn parse(head: &[u8], stop: &dyn Fn() -> bool) -> Result<Self, BodyError> {
        let mut r = Reader(head);
        let bundle_id = r.array()?;
        let sender_seq = u64::from_be_bytes(r.array()?);
        if sender_seq == 0 {
            return Err(malformed("bundle sequence 0").into());
        }
        let prev_bundle = r.array()?;
        let mut acks = VersionVector::default();
        let mut last: Option<DeviceId> = None;
        for _ in 0..r.u16()? {
            let author = DeviceId(r.array()?);
            let seq = u64::from_be_bytes(r.array()?);
            if last.is_some_and(|l| l >= author) || seq == 0 {
                return Err(malformed("acknowledgements not canonical").into());
            }
            acks.0.insert(author, seq);
            last = Some(author);
        }
        let n_ops = r.u32()?;
        let mut ops = Vec::with_capacity(n_ops.min(head.len() / 100));
        for i in 0..n_ops {
            if i % 256 == 255 && stop() {
                return Err(BodyError::Stopped);
            }
            let (op, rest) = Op::read(r.0)?;
            r.0 = rest;
            ops.push(op);
        }
        let mut forms = Vec::new();
        for _ in 0..r.u16()? {
            let (form, rest) = Publication::read(r.0)?;
            r.0 = rest;
            forms.push(form);
        }
        // Membership objects are signed; each is checked here, and whether its
        // issuer may issue it is the importer's question (`member::Members`).
        let mut certificates = Vec::new();
        for _ in 0..r.u16()? {
            let len = r.u16()?;
            let cert =
                Certificate::read(r.take(len)?).map_err(|_| malformed("certificate in bundle"))?;
            certificates.push(cert);
        }
        let mut revocations = Vec::new();
        for _ in 0..r.u16()? {
            let rev = Revocation::read(r.take(Revocation::LEN)?)
                .map_err(|_| malformed("revocation in bundle"))?;
            revocations.push(rev);
        }
        let log = LogSection::read(&mut r)?;
        let reach = Reach::read_list(&mut r)?;
        let n_blobs = r.u32()?;
        let mut blobs: Vec<([u8; 32], u64)> = Vec::with_capacity(n_blobs.min(r.0.len() / 40));
        for _ in 0..n_blobs {
            let h: [u8; 32] = r.array()?;
            let len = u64::from_be_bytes(r.array()?);
            if len > MAX_BLOB {
                return Err(malformed("attachment too large").into());
            }
            if blobs.last().is_some_and(|(prev, _)| *prev >= h) {
                return Err(malformed("attachments not canonical").into());
            }
            blobs.push((h, len));
        }
        if !r.0.is_empty() {
            return Err(malformed("trailing bytes in bundle head").into());
        }
        Ok(Self {
            bundle_id,
            sender_seq,
            prev_bundle,
            acks,
            ops,
            forms,
            certificates,
            revocations,
            log,
            reach,
            blobs,
        })
    }
}

/// Encodes a head as its ops arrive, one at a time: an export of a large vault holds
/// the head's bytes, never every op decoded at once (a hundred thousand ops decoded
/// together cost far more than their bytes, and the allocator keeps much of it
/// after they are freed). The bytes are those of [`BundleHead::write`].
#[derive(Debug)]
pub struct HeadWriter {
    out: Vec<u8>,
    /// Where the op count goes, written once all ops are in.
    count_at: usize,
    ops: usize,
}

impl HeadWriter {
    /// Starts a head: everything before the ops.
    pub fn new(
        bundle_id: [u8; 16],
        sender_seq: u64,
        prev_bundle: [u8; 32],
        acks: &VersionVector,
    ) -> Result<Self, OpError> {
        let mut out = Vec::new();
        out.extend_from_slice(&bundle_id);
        out.extend_from_slice(&sender_seq.to_be_bytes());
        out.extend_from_slice(&prev_bundle);
        let n = u16::try_from(acks.0.len()).map_err(|_| malformed("too many authors"))?;
        out.extend_from_slice(&n.to_be_bytes());
        for (author, seq) in &acks.0 {
            out.extend_from_slice(&author.0);
            out.extend_from_slice(&seq.to_be_bytes());
        }
        let count_at = out.len();
        out.extend_from_slice(&[0; 4]);
        Ok(Self {
            out,
            count_at,
            ops: 0,
        })
    }

    /// Appends one op; refuses once the head would pass [`MAX_HEAD`].
    pub fn op(&mut self, op: &Op) -> Result<(), OpError> {
        self.out.extend_from_slice(&op.write());
        self.ops += 1;
        if self.out.len() > MAX_HEAD {
            return Err(malformed("too many ops for one bundle"));
        }
        Ok(())
    }

    /// Ops appended so far.
    pub fn ops(&self) -> usize {
        self.ops
    }

    /// Uncompressed head bytes, with what follows the ops.
    fn encode_rest(
        mut self,
        forms: &[Publication],
        certificates: &[Certificate],
        revocations: &[Revocation],
        log: &LogSection,
        reach: &[Reach],
        blobs: &[([u8; 32], u64)],
    ) -> Result<Vec<u8>, OpError> {
        let count = len_u32(self.ops)?;
        let out = &mut self.out;
        out.get_mut(self.count_at..self.count_at + 4)
            .ok_or(malformed("op count"))?
            .copy_from_slice(&count);
        let n = u16::try_from(forms.len()).map_err(|_| malformed("too many forms"))?;
        out.extend_from_slice(&n.to_be_bytes());
        for f in forms {
            if f.json.len() > MAX_FORM {
                return Err(malformed("form too large"));
            }
            out.extend_from_slice(&f.write());
        }
        let n =
            u16::try_from(certificates.len()).map_err(|_| malformed("too many certificates"))?;
        out.extend_from_slice(&n.to_be_bytes());
        for c in certificates {
            let bytes = c.write();
            let len = u16::try_from(bytes.len()).map_err(|_| malformed("certificate"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&bytes);
        }
        let n = u16::try_from(revocations.len()).map_err(|_| malformed("too many revocations"))?;
        out.extend_from_slice(&n.to_be_bytes());
        for r in revocations {
            out.extend_from_slice(&r.write());
        }
        log.write(out)?;
        Reach::write_list(reach, out)?;
        out.extend_from_slice(&len_u32(blobs.len())?);
        for (h, len) in blobs {
            out.extend_from_slice(h);
            out.extend_from_slice(&len.to_be_bytes());
        }
        if out.len() > MAX_HEAD {
            return Err(malformed("too many ops for one bundle"));
        }
        Ok(self.out)
    }

    /// Ends the head with the forms, membership, log and attachment list, and returns what
    /// [`BundleHead::write`] does: the body up to the attachment contents, the body
    /// hash and the whole body's length.
    pub fn finish(
        self,
        forms: &[Publication],
        certificates: &[Certificate],
        revocations: &[Revocation],
        log: &LogSection,
        reach: &[Reach],
        blobs: &[([u8; 32], u64)],
    ) -> Result<(Vec<u8>, [u8; 32], u64), OpError> {
        let mut sorted = blobs.to_vec();
        sorted.sort();
        sorted.dedup_by(|a, b| a.0 == b.0);
        if sorted != blobs || blobs.iter().any(|(_, l)| *l > MAX_BLOB) {
            return Err(malformed("attachments not canonical"));
        }
        let head = self.encode_rest(forms, certificates, revocations, log, reach, blobs)?;
        let compressed =
            zstd::bulk::compress(&head, 3).map_err(|_| malformed("compression failed"))?;
        if compressed.len() > MAX_HEAD {
            return Err(malformed("too many ops for one bundle"));
        }
        let mut out = Vec::with_capacity(5 + compressed.len());
        out.push(VERSION);
        out.extend_from_slice(&len_u32(compressed.len())?);
        out.extend_from_slice(&compressed);
        let total = out.len() as u64 + blobs.iter().map(|(_, l)| *l).sum::<u64>();
        Ok((out, BundleHead::hash(&head), total))
    }
}

/// Reads one attachment's contents in pieces and checks them against its hash.
pub struct BlobReader {
    hash: [u8; 32],
    left: u64,
    hasher: hash::Hasher,
    buf: Vec<u8>,
}

impl BlobReader {
    /// Expects `len` bytes whose BLAKE3 is `hash`.
    pub fn new(hash: [u8; 32], len: u64) -> Self {
        Self {
            hash,
            left: len,
            hasher: hash::content_hasher(),
            buf: Vec::new(),
        }
    }

    /// The next piece (at most [`PIECE`] bytes), or `None` once the whole attachment
    /// was read and its hash matched. A piece is not known to be genuine until then.
    pub fn next(&mut self, input: &mut impl Read) -> Result<Option<&[u8]>, BodyError> {
        if self.left == 0 {
            if *self.hasher.finalize().as_bytes() != self.hash {
                return Err(malformed("attachment does not match its hash").into());
            }
            // Reported once: later calls see a fresh, empty hash.
            self.hash = *hash::content_hasher().finalize().as_bytes();
            self.hasher = hash::content_hasher();
            return Ok(None);
        }
        let n = usize::try_from(self.left).map_or(PIECE, |l| l.min(PIECE));
        self.buf.resize(n, 0);
        read_exact(input, &mut self.buf)?;
        self.hasher.update(&self.buf);
        self.left -= n as u64;
        Ok(Some(&self.buf))
    }
}

impl BundleBody {
    /// Everything but the attachment contents.
    pub fn head(&self) -> BundleHead {
        BundleHead {
            bundle_id: self.bundle_id,
            sender_seq: self.sender_seq,
            prev_bundle: self.prev_bundle,
            acks: self.acks.clone(),
            ops: self.ops.clone(),
            forms: self.forms.clone(),
            certificates: self.certificates.clone(),
            revocations: self.revocations.clone(),
            log: self.log.clone(),
            reach: self.reach.clone(),
            blobs: self
                .blobs
                .iter()
                .map(|(h, d)| (*h, d.len() as u64))
                .collect(),
        }
    }

    /// The body's bytes and hash. Attachments are written in hash order.
    pub fn write(&self) -> Result<(Vec<u8>, [u8; 32]), OpError> {
        let mut sorted = self.clone();
        sorted.blobs.sort();
        sorted.blobs.dedup_by(|a, b| a.0 == b.0);
        let (mut out, hash, _) = sorted.head().write()?;
        for (_, data) in &sorted.blobs {
            out.extend_from_slice(data);
        }
        Ok((out, hash))
    }

    /// Parses a whole body held in memory (see [`BundleHead::read`]); every
    /// attachment's hash is checked, and nothing may follow the last one.
    pub fn read(bytes: &[u8]) -> Result<(Self, [u8; 32]), BodyError> {
        let mut input = bytes;
        let (head, hash) = BundleHead::read(&mut input)?;
        let mut blobs = Vec::with_capacity(head.blobs.len());
        for (h, len) in &head.blobs {
            if *len > input.len() as u64 {
                return Err(malformed("bundle body truncated").into());
            }
            let mut data = Vec::new();
            let mut reader = BlobReader::new(*h, *len);
            while let Some(piece) = reader.next(&mut input)? {
                data.extend_from_slice(piece);
            }
            blobs.push((*h, data));
        }
        if !input.is_empty() {
            return Err(malformed("trailing bytes in bundle body").into());
        }
        let body = Self {
            bundle_id: head.bundle_id,
            sender_seq: head.sender_seq,
            prev_bundle: head.prev_bundle,
            acks: head.acks,
            ops: head.ops,
            blobs,
            forms: head.forms,
            certificates: head.certificates,
            revocations: head.revocations,
            log: head.log,
            reach: head.reach,
        };
        Ok((body, hash))
    }
}

#[cfg(test)]
mod tests {
    use satchel_crypto::identity::DeviceKeys;

    use super::*;
    use crate::{
        hlc::Hlc,
        member::{CertificateDraft, Members, OrgRoot, Role},
        op::{Body, Draft, OpKind, RecordId, WriteBody},
    };

    fn body() -> BundleBody {
        let keys = DeviceKeys::from_secret_bytes(&[3; 64]).unwrap();
        let mut w = WriteBody::new("contact");
        w.fields.insert("name".into(), "김".into());
        let draft = Draft {
            seq: 1,
            prev: None,
            hlc: Hlc {
                wall_ms: 5,
                counter: 0,
            },
            record: RecordId([1; 16]),
            kind: OpKind::Write,
            context: VersionVector::default(),
        };
        let op = Op::create(&keys, draft, &Body::Write(w)).unwrap();
        let mut acks = VersionVector::default();
        acks.observe(op.header.author, 1);
        let (root, first) =
            OrgRoot::create([5; 64], &keys.public(), "Ana", [6; 16], 1_790_000_000, 30).unwrap();
        let worker = DeviceKeys::from_secret_bytes(&[8; 64]).unwrap();
        let second = root
            .issue(&CertificateDraft {
                org: root.org(),
                serial: [7; 16],
                device: worker.public(),
                name: "Min-jun".into(),
                role: Role::Field,
                not_before: 1_790_000_000,
                not_after: 1_790_086_400,
            })
            .unwrap();
        let mut members = Members::new(root.org());
        members.insert_certificate(first.clone()).unwrap();
        members.insert_certificate(second.clone()).unwrap();
        let revocation = root
            .revoke(&members, second.id(), 3, 1_790_000_100)
            .unwrap();
        BundleBody {
            bundle_id: [9; 16],
            sender_seq: 1,
            prev_bundle: [0; 32],
            acks,
            ops: vec![op],
            blobs: vec![(hash::content(b"photo"), b"photo".to_vec())],
            forms: vec![Publication::sign(&keys, root.org().0, "{}".into())],
            certificates: vec![first, second],
            revocations: vec![revocation],
            log: LogSection {
                checkpoint: b"satchel/device/x\n1\nAA==\n\n- sig\n".to_vec(),
                proofs: vec![(1, vec![[4; 32]]), (7, vec![])],
                witnessed: vec![b"note".to_vec()],
            },
            reach: vec![Reach {
                url: "https://relay.example.org".into(),
                mailbox: [0xab; 32],
                deposit: [0xcd; 32],
            }],
        }
    }

    #[test]
    fn round_trip() {
        let b = body();
        let (bytes, h) = b.write().unwrap();
        let (back, h2) = BundleBody::read(&bytes).unwrap();
        assert_eq!(back, b);
        assert_eq!(h, h2);
    }

    /// A stop asked while the ops are checked ends the read within a few ops,
    /// whatever the count; never asked, the same bytes read in full.
    #[test]
    fn a_head_read_stops_between_ops_when_asked() {
        let mut b = body();
        let keys = DeviceKeys::from_secret_bytes(&[3; 64]).unwrap();
        b.ops = (1..=1000u64)
            .map(|i| {
                let mut record = [0u8; 16];
                record[..8].copy_from_slice(&i.to_be_bytes());
                let draft = Draft {
                    seq: 1,
                    prev: None,
                    hlc: Hlc {
                        wall_ms: i,
                        counter: 0,
                    },
                    record: RecordId(record),
                    kind: OpKind::Write,
                    context: VersionVector::default(),
                };
                Op::create(&keys, draft, &Body::Write(WriteBody::new("contact"))).unwrap()
            })
            .collect();
        let (bytes, _) = b.write().unwrap();
        let asked = std::cell::Cell::new(0u32);
        let stop = || {
            asked.set(asked.get() + 1);
            asked.get() > 1
        };
        let err = BundleHead::read_until(&mut bytes.as_slice(), &stop).unwrap_err();
        assert!(matches!(err, BodyError::Stopped), "{err}");
        assert_eq!(asked.get(), 2, "stopped at the first check among the ops");
        let (head, _) = BundleHead::read_until(&mut bytes.as_slice(), &|| false).unwrap();
        assert_eq!(head.ops.len(), 1000);
    }

    fn framed(compressed: &[u8]) -> Vec<u8> {
        let mut out = vec![VERSION];
        out.extend_from_slice(&(compressed.len() as u32).to_be_bytes());
        out.extend_from_slice(compressed);
        out
    }

    fn invalid(bytes: &[u8]) -> OpError {
        match BundleBody::read(bytes).unwrap_err() {
            BodyError::Invalid(e) => e,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_decompression_bomb_is_refused() {
        let bomb = zstd::bulk::compress(&vec![0u8; MAX_HEAD + 1], 19).unwrap();
        assert!(bomb.len() < 1024 * 1024);
        assert_eq!(
            invalid(&framed(&bomb)),
            OpError::Malformed("decompresses past the size limit")
        );
    }

    #[test]
    fn a_head_longer_than_the_cap_is_refused_before_it_is_read() {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&(MAX_HEAD as u32 + 1).to_be_bytes());
        assert_eq!(invalid(&bytes), OpError::Malformed("bundle head too large"));
    }

    #[test]
    fn trailing_and_truncated_bodies_are_refused() {
        let (bytes, _) = body().write().unwrap();
        assert!(BundleBody::read(&[&bytes[..], &[0]].concat()).is_err());
        assert!(BundleBody::read(&bytes[..bytes.len() - 1]).is_err());
        let head = body().head().encode().unwrap();
        let compress = |b: &[u8]| zstd::bulk::compress(b, 3).unwrap();
        assert!(BundleBody::read(&framed(&compress(&[&head[..], &[0]].concat()))).is_err());
        assert!(BundleBody::read(&framed(&compress(&head[..head.len() - 1]))).is_err());
        assert!(BundleBody::read(&framed(b"not zstd at all")).is_err());
        for older in [1, 2, 3] {
            assert!(matches!(
                invalid(&[older, 0, 0, 0, 0]),
                OpError::Malformed(m) if m.contains("earlier version")
            ));
        }
    }

    #[test]
    fn attachments_are_carried_uncompressed_and_read_in_pieces() {
        let mut b = body();
        let big: Vec<u8> = (0..3 * PIECE + 5).map(|i| (i * 7 % 256) as u8).collect();
        b.blobs.push((hash::content(&big), big.clone()));
        b.blobs.sort();
        let (bytes, h) = b.write().unwrap();
        // Repetitive content still takes its full size: it is not compressed.
        assert!(bytes.len() > big.len());
        let mut input = bytes.as_slice();
        let (head, h2) = BundleHead::read(&mut input).unwrap();
        assert_eq!(h, h2);
        let mut pieces = 0;
        for (hash, len) in &head.blobs {
            let mut r = BlobReader::new(*hash, *len);
            while let Some(p) = r.next(&mut input).unwrap() {
                assert!(p.len() <= PIECE);
                pieces += 1;
            }
        }
        assert_eq!(pieces, 5);
        assert!(input.is_empty());
    }

    #[test]
    fn attachments_out_of_order_are_refused() {
        let mut head = body().head();
        head.blobs = vec![([2; 32], 1), ([1; 32], 1)];
        assert!(head.write().is_err());
        let bytes = head.encode().unwrap();
        assert!(matches!(
            BundleHead::parse(&bytes, &|| false),
            Err(BodyError::Invalid(OpError::Malformed(
                "attachments not canonical"
            )))
        ));
    }

    #[test]
    fn a_log_section_out_of_shape_is_refused_both_ways() {
        type Spoil = fn(&mut LogSection);
        let cases: Vec<(&str, Spoil)> = vec![
            ("checkpoint note length", |l| l.checkpoint.clear()),
            ("checkpoint note length", |l| {
                l.checkpoint = vec![b'a'; MAX_LOG_NOTE + 1]
            }),
            ("consistency proofs not canonical", |l| {
                l.proofs = vec![(7, vec![]), (7, vec![])]
            }),
            ("consistency proofs not canonical", |l| {
                l.proofs = vec![(7, vec![]), (3, vec![])]
            }),
            ("consistency proof too long", |l| {
                l.proofs = vec![(7, vec![[1; 32]; MAX_PROOF_HASHES + 1])]
            }),
            ("checkpoint note length", |l| l.witnessed = vec![Vec::new()]),
        ];
        for (says, spoil) in cases {
            let mut b = body();
            spoil(&mut b.log);
            assert_eq!(b.write().unwrap_err(), OpError::Malformed(says), "{says}");
            // Written by hand past the writer's checks, the reader refuses it too.
            let mut head = b.head();
            let mut bytes = Vec::new();
            head.log = LogSection {
                checkpoint: b"n".to_vec(),
                ..LogSection::default()
            };
            let clean = head.encode().unwrap();
            let mut section = Vec::new();
            head.log.write(&mut section).unwrap();
            let mut reach = Vec::new();
            Reach::write_list(&head.reach, &mut reach).unwrap();
            let at = clean.len() - 4 - 40 * head.blobs.len() - reach.len() - section.len();
            bytes.extend_from_slice(&clean[..at]);
            raw_log(&b.log, &mut bytes);
            bytes.extend_from_slice(&clean[at + section.len()..]);
            assert!(
                matches!(BundleHead::parse(&bytes, &|| false), Err(BodyError::Invalid(OpError::Malformed(m))) if m == says),
                "{says}"
            );
        }
    }

    #[test]
    fn relay_mailboxes_out_of_shape_are_refused_both_ways() {
        let good = body().reach[0].clone();
        let with_url = |url: &str| Reach {
            url: url.into(),
            ..good.clone()
        };
        let cases: Vec<(&str, Vec<Reach>)> = vec![
            ("relay URL", vec![with_url("ftp://relay.example.org")]),
            ("relay URL", vec![with_url("https://")]),
            ("relay URL", vec![with_url("https://relais.例え.jp")]),
            ("relay URL", vec![with_url("https://a b")]),
            (
                "relay URL",
                vec![with_url(&format!("https://{}", "a".repeat(MAX_RELAY_URL)))],
            ),
            (
                "too many relay mailboxes",
                vec![good.clone(); MAX_REACH + 1],
            ),
        ];
        for (says, reach) in cases {
            let mut b = body();
            b.reach = reach.clone();
            assert_eq!(b.write().unwrap_err(), OpError::Malformed(says), "{says}");
            // Written by hand past the writer's checks, the reader refuses it too.
            let mut raw = vec![reach.len() as u8];
            for r in &reach {
                raw.extend_from_slice(&(r.url.len() as u16).to_be_bytes());
                raw.extend_from_slice(r.url.as_bytes());
                raw.extend_from_slice(&r.mailbox);
                raw.extend_from_slice(&r.deposit);
            }
            assert_eq!(
                Reach::decode_list(&raw).unwrap_err(),
                OpError::Malformed(says)
            );
        }
        // A list as written reads back, and nothing may follow it.
        let mut bytes = Vec::new();
        Reach::write_list(std::slice::from_ref(&good), &mut bytes).unwrap();
        assert_eq!(Reach::decode_list(&bytes).unwrap(), vec![good]);
        bytes.push(0);
        assert!(Reach::decode_list(&bytes).is_err());
        assert!(Reach::decode_list(&[]).is_err());
        assert_eq!(Reach::decode_list(&[0]).unwrap(), vec![]);
    }

    /// A log section's bytes without the writer's checks.
    fn raw_log(l: &LogSection, out: &mut Vec<u8>) {
        out.extend_from_slice(&(l.checkpoint.len() as u16).to_be_bytes());
        out.extend_from_slice(&l.checkpoint);
        out.push(l.proofs.len() as u8);
        for (size, hashes) in &l.proofs {
            out.extend_from_slice(&size.to_be_bytes());
            out.push(hashes.len() as u8);
            for h in hashes {
                out.extend_from_slice(h);
            }
        }
        out.push(l.witnessed.len() as u8);
        for n in &l.witnessed {
            out.extend_from_slice(&(n.len() as u16).to_be_bytes());
            out.extend_from_slice(n);
        }
    }

    #[test]
    fn a_blob_that_does_not_match_its_hash_is_refused() {
        let mut b = body();
        b.blobs[0].1 = b"other".to_vec();
        let (bytes, _) = b.write().unwrap();
        assert!(BundleBody::read(&bytes).is_err());
    }
}
