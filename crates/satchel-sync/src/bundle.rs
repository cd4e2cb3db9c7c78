//! What a bundle carries inside its envelope: the sender's bundle sequence, its
//! acknowledgement vector, ops, attachment contents and forms (docs/bundle-format.md).
//!
//! ```text
//! body    = zstd(inner)                 decompressed size capped at MAX_BODY
//! inner   = version u8 | bundle_id[16] | sender_seq u64 | prev_bundle[32]
//!           | acks: u16 n, n × (author[32] | seq u64), authors increasing
//!           | ops: u32 n, n × op wire form (see op.rs)
//!           | blobs: u32 n, n × (blake3[32] | u32 len | bytes)
//!           | forms: u16 n, n × (u32 len | JSON)
//! ```

use std::io::Read;

use satchel_crypto::hash;

use crate::{OpError, op::DeviceId, op::Op, vv::VersionVector};

/// Body format this build writes and reads.
pub const VERSION: u8 = 1;
/// Largest decompressed body accepted: a bundle that inflates past it is refused.
pub const MAX_BODY: usize = 512 * 1024 * 1024;
/// Largest single attachment carried.
pub const MAX_BLOB: usize = 64 * 1024 * 1024;
/// Largest form definition carried.
pub const MAX_FORM: usize = 1024 * 1024;

/// The decoded content of a bundle.
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
    /// Form definitions (JSON).
    pub forms: Vec<String>,
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

impl BundleBody {
    /// The body's identity for chaining: BLAKE3 of its uncompressed bytes.
    pub fn hash(inner: &[u8]) -> [u8; 32] {
        hash::hash(hash::domain::BUNDLE_BODY, &[inner])
    }

    /// Uncompressed bytes.
    pub fn encode(&self) -> Result<Vec<u8>, OpError> {
        let mut out = vec![VERSION];
        out.extend_from_slice(&self.bundle_id);
        out.extend_from_slice(&self.sender_seq.to_be_bytes());
        out.extend_from_slice(&self.prev_bundle);
        let n = u16::try_from(self.acks.0.len()).map_err(|_| malformed("too many authors"))?;
        out.extend_from_slice(&n.to_be_bytes());
        for (author, seq) in &self.acks.0 {
            out.extend_from_slice(&author.0);
            out.extend_from_slice(&seq.to_be_bytes());
        }
        out.extend_from_slice(&len_u32(self.ops.len())?);
        for op in &self.ops {
            out.extend_from_slice(&op.write());
        }
        out.extend_from_slice(&len_u32(self.blobs.len())?);
        for (h, data) in &self.blobs {
            out.extend_from_slice(h);
            out.extend_from_slice(&len_u32(data.len())?);
            out.extend_from_slice(data);
        }
        let n = u16::try_from(self.forms.len()).map_err(|_| malformed("too many forms"))?;
        out.extend_from_slice(&n.to_be_bytes());
        for f in &self.forms {
            out.extend_from_slice(&len_u32(f.len())?);
            out.extend_from_slice(f.as_bytes());
        }
        Ok(out)
    }

    /// Compressed bytes, ready for the envelope, and the body hash.
    pub fn write(&self) -> Result<(Vec<u8>, [u8; 32]), OpError> {
        let inner = self.encode()?;
        let compressed =
            zstd::bulk::compress(&inner, 3).map_err(|_| malformed("compression failed"))?;
        Ok((compressed, Self::hash(&inner)))
    }

    /// Decompresses (refusing anything that inflates past [`MAX_BODY`]) and parses
    /// strictly; every op's signature and payload hash are verified, every blob's hash
    /// checked. Returns the body and its hash.
    pub fn read(compressed: &[u8]) -> Result<(Self, [u8; 32]), OpError> {
        let decoder = zstd::stream::read::Decoder::new(compressed)
            .map_err(|_| malformed("not compressed data"))?;
        let mut inner = Vec::new();
        decoder
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut inner)
            .map_err(|_| malformed("not compressed data"))?;
        if inner.len() > MAX_BODY {
            return Err(malformed("decompresses past the size limit"));
        }
        let body = Self::parse(&inner)?;
        Ok((body, Self::hash(&inner)))
    }

    fn parse(inner: &[u8]) -> Result<Self, OpError> {
        let mut r = Reader(inner);
        let version = r.array::<1>()?[0];
        if version > VERSION {
            return Err(OpError::NewerFormat);
        }
        if version != VERSION {
            return Err(malformed("bundle body version"));
        }
        let bundle_id = r.array()?;
        let sender_seq = u64::from_be_bytes(r.array()?);
        if sender_seq == 0 {
            return Err(malformed("bundle sequence 0"));
        }
        let prev_bundle = r.array()?;
        let mut acks = VersionVector::default();
        let mut last: Option<DeviceId> = None;
        for _ in 0..r.u16()? {
            let author = DeviceId(r.array()?);
            let seq = u64::from_be_bytes(r.array()?);
            if last.is_some_and(|l| l >= author) || seq == 0 {
                return Err(malformed("acknowledgements not canonical"));
            }
            acks.0.insert(author, seq);
            last = Some(author);
        }
        let n_ops = r.u32()?;
        let mut ops = Vec::with_capacity(n_ops.min(inner.len() / 100));
        for _ in 0..n_ops {
            let (op, rest) = Op::read(r.0)?;
            r.0 = rest;
            ops.push(op);
        }
        let n_blobs = r.u32()?;
        let mut blobs = Vec::new();
        for _ in 0..n_blobs {
            let h: [u8; 32] = r.array()?;
            let len = r.u32()?;
            if len > MAX_BLOB {
                return Err(malformed("attachment too large"));
            }
            let data = r.take(len)?;
            if hash::content(data) != h {
                return Err(malformed("attachment does not match its hash"));
            }
            blobs.push((h, data.to_vec()));
        }
        let mut forms = Vec::new();
        for _ in 0..r.u16()? {
            let len = r.u32()?;
            if len > MAX_FORM {
                return Err(malformed("form too large"));
            }
            let text =
                std::str::from_utf8(r.take(len)?).map_err(|_| malformed("form not UTF-8"))?;
            forms.push(text.to_owned());
        }
        if !r.0.is_empty() {
            return Err(malformed("trailing bytes in bundle body"));
        }
        Ok(Self {
            bundle_id,
            sender_seq,
            prev_bundle,
            acks,
            ops,
            blobs,
            forms,
        })
    }
}

#[cfg(test)]
mod tests {
    use satchel_crypto::identity::DeviceKeys;

    use super::*;
    use crate::{
        hlc::Hlc,
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
        BundleBody {
            bundle_id: [9; 16],
            sender_seq: 1,
            prev_bundle: [0; 32],
            acks,
            ops: vec![op],
            blobs: vec![(hash::content(b"photo"), b"photo".to_vec())],
            forms: vec!["{}".into()],
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

    #[test]
    fn a_decompression_bomb_is_refused() {
        let bomb = zstd::bulk::compress(&vec![0u8; MAX_BODY + 1], 19).unwrap();
        assert!(bomb.len() < 1024 * 1024);
        let err = BundleBody::read(&bomb).unwrap_err();
        assert_eq!(err, OpError::Malformed("decompresses past the size limit"));
    }

    #[test]
    fn trailing_and_truncated_bodies_are_refused() {
        let inner = body().encode().unwrap();
        let compress = |b: &[u8]| zstd::bulk::compress(b, 3).unwrap();
        assert!(BundleBody::read(&compress(&[&inner[..], &[0]].concat())).is_err());
        assert!(BundleBody::read(&compress(&inner[..inner.len() - 1])).is_err());
        assert!(BundleBody::read(b"not zstd at all").is_err());
    }

    #[test]
    fn a_blob_that_does_not_match_its_hash_is_refused() {
        let mut b = body();
        b.blobs[0].1 = b"other".to_vec();
        let (bytes, _) = b.write().unwrap();
        assert!(BundleBody::read(&bytes).is_err());
    }
}
