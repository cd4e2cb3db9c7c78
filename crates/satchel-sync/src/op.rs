//! Ops: the signed, hash-chained unit of change, and their byte format.
//!
//! Header format 1 (big-endian integers; byte-exact spec in `docs/op-format.md`):
//!
//! ```text
//! version u8 = 1 | author [32] | seq u64 | hlc_ms u64 | hlc_counter u32 | record [16]
//! kind u8 | prev [32] | payload_hash [32] | payload_len u32
//! ctx_count u16 | ctx_count × (author [32] | seq u64)   (authors strictly increasing)
//! ```
//!
//! op id = BLAKE3-derive("satchel 2026-11 op id v1", header); the author signs the
//! header, which holds only the payload's hash, so a payload can be purged while the
//! chain stays verifiable. Every payload starts with 16 random bytes so that its hash
//! is a hiding commitment (a plain hash of a short name could be brute-forced).

use std::collections::BTreeMap;
use std::fmt;

use satchel_crypto::{
    hash::{self, domain},
    identity::{self, DeviceKeys, SIGNATURE_LEN},
    rng,
};
use serde::{Deserialize, Serialize};

use crate::{OpError, hlc::Hlc, vv::VersionVector};

/// Header format this build writes and reads.
pub const HEADER_VERSION: u8 = 1;
/// Largest payload accepted (field values only; attachments travel separately).
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// Largest causal context accepted (distinct authors of one record): as many entries
/// as fit the wire form's 16-bit header length (140 + 40 × 1,634 = 65,500 bytes).
pub const MAX_CONTEXT: usize = 1634;
/// Field-name prefix of attachments: `@attachment/<BLAKE3 hex>` → `{name, size, type}`.
pub const ATTACHMENT_PREFIX: &str = "@attachment/";
/// Field-name prefix of assignments: `@assigned/<member's Ed25519 key, hex>` → `true`,
/// or `null` to take the assignment back. Only coordinators write these
/// ([`crate::authz`]); field workers edit the records they are assigned.
pub const ASSIGNED_PREFIX: &str = "@assigned/";
/// Length of the random salt at the start of every payload.
pub const SALT_LEN: usize = 16;
/// Deepest nesting of arrays and objects accepted in a received payload. A write body
/// needs 3 (body, fields, a location or a list of choices); serde_json's own limit
/// (128) would let a peer make every later reader recurse 120 levels deep.
pub const MAX_PAYLOAD_DEPTH: usize = 8;
const FIXED_LEN: usize = 1 + 32 + 8 + 8 + 4 + 16 + 1 + 32 + 32 + 4 + 2;
const CTX_ENTRY_LEN: usize = 32 + 8;
/// Largest header accepted.
pub const MAX_HEADER: usize = FIXED_LEN + MAX_CONTEXT * CTX_ENTRY_LEN;

macro_rules! hex_id {
    ($name:ident, $len:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Lower-case hex.
            pub fn to_hex(&self) -> String {
                data_encoding::HEXLOWER.encode(&self.0)
            }

            /// Parses lower- or upper-case hex of exactly the right length.
            pub fn from_hex(text: &str) -> Option<Self> {
                let bytes = data_encoding::HEXLOWER_PERMISSIVE
                    .decode(text.as_bytes())
                    .ok()?;
                Some(Self(bytes.try_into().ok()?))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::from_hex(&text).ok_or_else(|| serde::de::Error::custom("bad hex id"))
            }
        }
    };
}

pub(crate) use hex_id;

hex_id!(DeviceId, 32, "A device: its Ed25519 verifying key.");
hex_id!(OpId, 32, "An op: the hash of its canonical header.");

/// A record id: 16 random bytes (UUIDv4), shown as a UUID. Random, because a
/// time-ordered id would leak when a record was made.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub [u8; 16]);

impl RecordId {
    /// A fresh random id.
    pub fn random() -> Result<Self, OpError> {
        let bytes = rng::array::<16>()?;
        Ok(Self(
            *uuid::Builder::from_random_bytes(bytes).as_uuid().as_bytes(),
        ))
    }

    /// Parses a UUID in any of its usual spellings.
    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::try_parse(text.trim())
            .ok()
            .map(|u| Self(*u.as_bytes()))
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uuid::Uuid::from_bytes(self.0).hyphenated().fmt(f)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

/// What an op does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// Creates a record or sets some of its fields.
    Write,
    /// Marks the record deleted (a tombstone; history is kept).
    Delete,
    /// Erases the payloads of every op it covers, wherever it propagates.
    Purge,
}

impl OpKind {
    const fn code(self) -> u8 {
        match self {
            OpKind::Write => 1,
            OpKind::Delete => 2,
            OpKind::Purge => 3,
        }
    }

    fn from_code(code: u8) -> Result<Self, OpError> {
        match code {
            1 => Ok(OpKind::Write),
            2 => Ok(OpKind::Delete),
            3 => Ok(OpKind::Purge),
            _ => Err(OpError::Malformed("unknown op kind")),
        }
    }
}

/// The public, signed part of an op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpHeader {
    /// Who wrote it.
    pub author: DeviceId,
    /// Position in the author's chain, from 1.
    pub seq: u64,
    /// When, by the author's hybrid clock.
    pub hlc: Hlc,
    /// Which record.
    pub record: RecordId,
    /// What it does.
    pub kind: OpKind,
    /// The author's previous op, or `None` for the first.
    pub prev: Option<OpId>,
    /// Hash of the payload bytes.
    pub payload_hash: [u8; 32],
    /// Length of the payload bytes.
    pub payload_len: u32,
    /// The record's version vector as the author saw it before this op.
    pub context: VersionVector,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], OpError> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(OpError::Malformed("truncated"))?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], OpError> {
        self.take(N)?
            .try_into()
            .map_err(|_| OpError::Malformed("truncated"))
    }

    fn u8(&mut self) -> Result<u8, OpError> {
        Ok(self.array::<1>()?[0])
    }
}

impl OpHeader {
    /// The canonical bytes (what is hashed and signed).
    pub fn write(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + self.context.0.len() * CTX_ENTRY_LEN);
        out.push(HEADER_VERSION);
        out.extend_from_slice(&self.author.0);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.hlc.wall_ms.to_be_bytes());
        out.extend_from_slice(&self.hlc.counter.to_be_bytes());
        out.extend_from_slice(&self.record.0);
        out.push(self.kind.code());
        out.extend_from_slice(&self.prev.map_or([0; 32], |p| p.0));
        out.extend_from_slice(&self.payload_hash);
        out.extend_from_slice(&self.payload_len.to_be_bytes());
        let count = u16::try_from(self.context.0.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for (author, seq) in self.context.0.iter().take(usize::from(count)) {
            out.extend_from_slice(&author.0);
            out.extend_from_slice(&seq.to_be_bytes());
        }
        out
    }

    /// Parses canonical header bytes, refusing anything another encoder could not
    /// have produced (trailing bytes, unsorted context, zero sequences).
    pub fn read(bytes: &[u8]) -> Result<Self, OpError> {
        if bytes.len() > MAX_HEADER {
            return Err(OpError::Malformed("header too long"));
        }
        let mut r = Reader(bytes);
        let version = r.u8()?;
        if version > HEADER_VERSION {
            return Err(OpError::NewerFormat);
        }
        if version != HEADER_VERSION {
            return Err(OpError::Malformed("unknown header version"));
        }
        let author = DeviceId(r.array()?);
        let seq = u64::from_be_bytes(r.array()?);
        let hlc = Hlc {
            wall_ms: u64::from_be_bytes(r.array()?),
            counter: u32::from_be_bytes(r.array()?),
        };
        let record = RecordId(r.array()?);
        let kind = OpKind::from_code(r.u8()?)?;
        let prev: [u8; 32] = r.array()?;
        let payload_hash = r.array()?;
        let payload_len = u32::from_be_bytes(r.array()?);
        let count = usize::from(u16::from_be_bytes(r.array()?));
        if seq == 0 {
            return Err(OpError::Malformed("sequence 0"));
        }
        let prev = match (seq, prev == [0; 32]) {
            (1, true) => None,
            (1, false) => return Err(OpError::Malformed("first op with a predecessor")),
            (_, true) => return Err(OpError::Malformed("missing predecessor")),
            (_, false) => Some(OpId(prev)),
        };
        if payload_len as usize > MAX_PAYLOAD || (payload_len as usize) < SALT_LEN {
            return Err(OpError::Malformed("payload length out of range"));
        }
        if count > MAX_CONTEXT {
            return Err(OpError::Malformed("context too large"));
        }
        let mut context = VersionVector::default();
        let mut last: Option<DeviceId> = None;
        for _ in 0..count {
            let who = DeviceId(r.array()?);
            let at = u64::from_be_bytes(r.array()?);
            if last.is_some_and(|l| l >= who) {
                return Err(OpError::Malformed("context not sorted"));
            }
            if at == 0 {
                return Err(OpError::Malformed("context entry of 0"));
            }
            if who == author && at >= seq {
                return Err(OpError::Malformed("context covers the op itself"));
            }
            context.0.insert(who, at);
            last = Some(who);
        }
        if !r.0.is_empty() {
            return Err(OpError::Malformed("trailing bytes"));
        }
        Ok(Self {
            author,
            seq,
            hlc,
            record,
            kind,
            prev,
            payload_hash,
            payload_len,
            context,
        })
    }
}

/// The body of a write: the form it follows and the fields it sets (`null` clears).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteBody {
    /// Form name.
    pub form: String,
    /// The version of the form the values were written with (absent in ops from
    /// before versions were named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Field id → value.
    pub fields: BTreeMap<String, serde_json::Value>,
}

impl WriteBody {
    /// An empty write for `form`.
    pub fn new(form: &str) -> Self {
        Self {
            form: form.to_owned(),
            version: None,
            fields: BTreeMap::new(),
        }
    }

    /// Whether this write assigns the record to someone or takes an assignment back.
    pub fn touches_assignment(&self) -> bool {
        self.fields.keys().any(|k| k.starts_with(ASSIGNED_PREFIX))
    }

    /// BLAKE3 hashes of the attachments this write adds (not those it removes).
    pub fn attachments(&self) -> impl Iterator<Item = [u8; 32]> + '_ {
        self.fields.iter().filter_map(|(key, value)| {
            let hex = key.strip_prefix(ATTACHMENT_PREFIX)?;
            if value.is_null() {
                None
            } else {
                OpId::from_hex(hex).map(|h| h.0)
            }
        })
    }
}

/// A decoded payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// For [`OpKind::Write`].
    Write(WriteBody),
    /// For deletes and purges, which carry nothing.
    Empty,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

impl Body {
    /// Payload bytes: a fresh random salt, then JSON.
    pub fn encode(&self) -> Result<Vec<u8>, OpError> {
        let mut out = rng::array::<SALT_LEN>()?.to_vec();
        let json = match self {
            Body::Write(w) => serde_json::to_vec(w),
            Body::Empty => serde_json::to_vec(&EmptyBody {}),
        }
        .map_err(|_| OpError::Malformed("unencodable body"))?;
        out.extend_from_slice(&json);
        Ok(out)
    }

    /// Decodes a payload for an op of `kind`.
    pub fn decode(kind: OpKind, payload: &[u8]) -> Result<Self, OpError> {
        let json = payload
            .get(SALT_LEN..)
            .ok_or(OpError::Malformed("payload too short"))?;
        // Satchel writes an object, and serde would also read a struct written as an
        // array of its values: one encoding only.
        if json.first() != Some(&b'{') {
            return Err(OpError::Malformed(match kind {
                OpKind::Write => "write body",
                OpKind::Delete | OpKind::Purge => "empty body",
            }));
        }
        match kind {
            OpKind::Write => serde_json::from_slice::<WriteBody>(json)
                .map(Body::Write)
                .map_err(|_| OpError::Malformed("write body")),
            OpKind::Delete | OpKind::Purge => serde_json::from_slice::<EmptyBody>(json)
                .map(|_| Body::Empty)
                .map_err(|_| OpError::Malformed("empty body")),
        }
    }
}

/// Everything about a new op but its author and payload.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Position in the author's chain, from 1.
    pub seq: u64,
    /// The author's previous op.
    pub prev: Option<OpId>,
    /// When.
    pub hlc: Hlc,
    /// Which record.
    pub record: RecordId,
    /// What it does.
    pub kind: OpKind,
    /// The record's version vector as the author saw it.
    pub context: VersionVector,
}

/// An op as stored and carried: header bytes, signature, and the payload unless purged.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    /// Parsed header.
    pub header: OpHeader,
    /// The exact header bytes that were signed.
    pub header_bytes: Vec<u8>,
    /// Ed25519 signature over the header bytes.
    pub signature: [u8; SIGNATURE_LEN],
    /// Payload bytes, `None` once purged.
    pub payload: Option<Vec<u8>>,
    /// Decoded payload, `None` once purged.
    pub body: Option<Body>,
    /// Hash of the header bytes.
    pub id: OpId,
}

/// What the merge needs to know of an op.
#[derive(Debug, Clone, Copy)]
pub struct OpView<'a> {
    /// The op's id.
    pub id: OpId,
    /// Its header.
    pub header: &'a OpHeader,
    /// Its body, unless purged.
    pub body: Option<&'a Body>,
}

/// The id of the op with these header bytes.
pub fn op_id(header_bytes: &[u8]) -> OpId {
    OpId(hash::hash(domain::OP_ID, &[header_bytes]))
}

impl Op {
    /// Builds and signs a new op with a freshly salted payload.
    pub fn create(keys: &DeviceKeys, draft: Draft, body: &Body) -> Result<Self, OpError> {
        Self::sign(keys, draft, body.encode()?)
    }

    /// Signs an op over payload bytes already encoded (test vectors fix the salt this
    /// way). The payload must decode for the draft's kind.
    pub fn sign(keys: &DeviceKeys, draft: Draft, payload: Vec<u8>) -> Result<Self, OpError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(OpError::Malformed("payload too large"));
        }
        if draft.context.0.len() > MAX_CONTEXT {
            return Err(OpError::Malformed("context too large"));
        }
        let body = Body::decode(draft.kind, &payload)?;
        let header = OpHeader {
            author: DeviceId(keys.public().signing),
            seq: draft.seq,
            hlc: draft.hlc,
            record: draft.record,
            kind: draft.kind,
            prev: draft.prev,
            payload_hash: hash::hash(domain::OP_PAYLOAD, &[&payload]),
            payload_len: u32::try_from(payload.len()).map_err(|_| OpError::Malformed("payload"))?,
            context: draft.context,
        };
        let header_bytes = header.write();
        let signature = keys.sign(domain::OP_SIGNATURE, &header_bytes);
        Ok(Self {
            id: op_id(&header_bytes),
            header,
            header_bytes,
            signature,
            payload: Some(payload),
            body: Some(body),
        })
    }

    /// Reassembles an op from stored parts, checking everything that can be checked
    /// without the author's other ops: canonical header, signature, payload hash.
    pub fn from_parts(
        header_bytes: Vec<u8>,
        signature: &[u8],
        payload: Option<Vec<u8>>,
    ) -> Result<Self, OpError> {
        Self::assemble(header_bytes, signature, payload, true)
    }

    /// Reassembles an op read back from the vault's own database, which verified it
    /// before storing it and whose pages SQLCipher authenticates: parses and decodes,
    /// but skips the signature and payload-hash checks (the costliest part of
    /// rebuilding a record). `Store::verify_log` re-checks everything.
    pub fn from_stored_parts(
        header_bytes: Vec<u8>,
        signature: &[u8],
        payload: Option<Vec<u8>>,
    ) -> Result<Self, OpError> {
        Self::assemble(header_bytes, signature, payload, false)
    }

    fn assemble(
        header_bytes: Vec<u8>,
        signature: &[u8],
        payload: Option<Vec<u8>>,
        verify: bool,
    ) -> Result<Self, OpError> {
        let header = OpHeader::read(&header_bytes)?;
        let signature: [u8; SIGNATURE_LEN] = signature
            .try_into()
            .map_err(|_| OpError::Malformed("signature length"))?;
        if verify {
            identity::verify(
                &header.author.0,
                domain::OP_SIGNATURE,
                &header_bytes,
                &signature,
            )
            .map_err(|_| OpError::BadSignature)?;
            if let Some(p) = &payload
                && (p.len() != header.payload_len as usize
                    || hash::hash(domain::OP_PAYLOAD, &[p]) != header.payload_hash)
            {
                return Err(OpError::PayloadMismatch);
            }
            // Bounded before serde_json recurses into it. Only received ops: one
            // stored by an older build stays readable.
            if payload.as_deref().is_some_and(|p| {
                !json_depth_within(p.get(SALT_LEN..).unwrap_or_default(), MAX_PAYLOAD_DEPTH)
            }) {
                return Err(OpError::Malformed("payload nested too deep"));
            }
        }
        // Decoded only after verification: nothing unauthenticated is interpreted.
        let body = payload
            .as_deref()
            .map(|p| Body::decode(header.kind, p))
            .transpose()?;
        Ok(Self {
            id: op_id(&header_bytes),
            header,
            header_bytes,
            signature,
            payload,
            body,
        })
    }

    /// Wire form: `header_len u16 | header | signature[64] | has_payload u8 | payload`.
    pub fn write(&self) -> Vec<u8> {
        let payload = self.payload.as_deref();
        let mut out = Vec::with_capacity(
            2 + self.header_bytes.len() + SIGNATURE_LEN + 1 + payload.map_or(0, <[u8]>::len),
        );
        // MAX_CONTEXT keeps every header within 16 bits.
        let len = u16::try_from(self.header_bytes.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.header_bytes);
        out.extend_from_slice(&self.signature);
        match payload {
            Some(p) => {
                out.push(1);
                out.extend_from_slice(p);
            }
            None => out.push(0),
        }
        out
    }

    /// Parses one op from the front of `bytes`, returning it and the rest. Verifies
    /// the signature and payload hash; chain checks need [`verify_chain`].
    pub fn read(bytes: &[u8]) -> Result<(Self, &[u8]), OpError> {
        let mut r = Reader(bytes);
        let len = usize::from(u16::from_be_bytes(r.array()?));
        if len > MAX_HEADER {
            return Err(OpError::Malformed("header too long"));
        }
        let header_bytes = r.take(len)?.to_vec();
        let header = OpHeader::read(&header_bytes)?;
        let signature: [u8; SIGNATURE_LEN] = r.array()?;
        let payload = match r.u8()? {
            0 => None,
            1 => Some(r.take(header.payload_len as usize)?.to_vec()),
            _ => return Err(OpError::Malformed("payload flag")),
        };
        let op = Self::from_parts(header_bytes, &signature, payload)?;
        Ok((op, r.0))
    }

    /// The merge's view of this op.
    pub fn view(&self) -> OpView<'_> {
        OpView {
            id: self.id,
            header: &self.header,
            body: self.body.as_ref(),
        }
    }
}

/// Whether the arrays and objects in `json` nest at most `max` deep. A scan of the
/// bytes that only follows brackets and strings, so it cannot itself recurse; it is
/// exact for valid JSON, and invalid JSON is refused by the parser afterwards.
pub fn json_depth_within(json: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Checks one author's ops, sorted by sequence: numbered from `first_seq` without
/// gaps, each linking to the one before. `prev_of_first` is the op before the first
/// one given (`None` when starting at 1).
pub fn verify_chain<'a>(
    ops: impl IntoIterator<Item = &'a Op>,
    first_seq: u64,
    prev_of_first: Option<OpId>,
) -> Result<(), OpError> {
    let mut expect_prev = prev_of_first;
    let mut author: Option<DeviceId> = None;
    for (expect_seq, op) in (first_seq..).zip(ops) {
        if author.is_some_and(|a| a != op.header.author) {
            return Err(OpError::Malformed("mixed authors in one chain"));
        }
        author = Some(op.header.author);
        if op.header.seq != expect_seq {
            return Err(OpError::Sequence { seq: op.header.seq });
        }
        if op.header.prev != expect_prev {
            return Err(OpError::Chain { seq: op.header.seq });
        }
        expect_prev = Some(op.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> DeviceKeys {
        DeviceKeys::from_secret_bytes(&[9u8; 64]).unwrap()
    }

    fn write_op(keys: &DeviceKeys, seq: u64, prev: Option<OpId>) -> Op {
        let mut body = WriteBody::new("contact");
        body.fields.insert("name".into(), "김철수".into());
        let mut ctx = VersionVector::default();
        ctx.observe(DeviceId([1; 32]), 4);
        Op::create(
            keys,
            Draft {
                seq,
                prev,
                hlc: Hlc {
                    wall_ms: 1_700_000_000_000,
                    counter: 2,
                },
                record: RecordId([5; 16]),
                kind: OpKind::Write,
                context: ctx,
            },
            &Body::Write(body),
        )
        .unwrap()
    }

    /// A body written as a JSON array (which serde would read as the struct) is
    /// refused: a payload has one encoding.
    #[test]
    fn a_body_written_as_an_array_is_refused() {
        let salt = [0u8; SALT_LEN];
        let with = |json: &[u8]| [&salt[..], json].concat();
        assert!(Body::decode(OpKind::Write, &with(br#"["contact",null,{}]"#)).is_err());
        assert!(Body::decode(OpKind::Delete, &with(b"[]")).is_err());
        assert!(Body::decode(OpKind::Delete, &with(b"{}")).is_ok());
        assert!(Body::decode(OpKind::Write, &with(br#" {"form":"contact","fields":{}}"#)).is_err());
    }

    /// The largest context a header holds still fits the wire form's 16-bit header
    /// length and reads back; one more entry is refused when signing.
    #[test]
    fn the_largest_context_goes_over_the_wire_and_one_more_is_refused() {
        let keys = device();
        let draft = |n: usize| {
            let mut ctx = VersionVector::default();
            for i in 0..n {
                let mut a = [0u8; 32];
                a[..8].copy_from_slice(&(i as u64).to_be_bytes());
                ctx.observe(DeviceId(a), 1);
            }
            Draft {
                seq: 1,
                prev: None,
                hlc: Hlc {
                    wall_ms: 1,
                    counter: 0,
                },
                record: RecordId([5; 16]),
                kind: OpKind::Write,
                context: ctx,
            }
        };
        let body = Body::Write(WriteBody::new("contact"));
        let op = Op::create(&keys, draft(MAX_CONTEXT), &body).unwrap();
        assert!(op.header_bytes.len() <= usize::from(u16::MAX));
        let wire = op.write();
        let (back, rest) = Op::read(&wire).unwrap();
        assert!(rest.is_empty());
        assert_eq!(back.id, op.id);
        assert_eq!(
            Op::create(&keys, draft(MAX_CONTEXT + 1), &body).unwrap_err(),
            OpError::Malformed("context too large")
        );
    }

    #[test]
    fn received_payloads_nested_too_deep_are_refused_and_strings_do_not_count() {
        assert!(json_depth_within(br#"{"a":[{"b":1}]}"#, 3));
        assert!(!json_depth_within(br#"{"a":[{"b":[1]}]}"#, 3));
        assert!(json_depth_within(br#"{"a":"[[[[\"[[[[","b":[]}"#, 2));
        let deep = format!("{}1{}", "[".repeat(120), "]".repeat(120));
        let mut body = WriteBody::new("contact");
        body.fields
            .insert("name".into(), serde_json::from_str(&deep).unwrap());
        let keys = device();
        let draft = Draft {
            seq: 1,
            prev: None,
            hlc: Hlc::default(),
            record: RecordId([5; 16]),
            kind: OpKind::Write,
            context: VersionVector::default(),
        };
        let op = Op::create(&keys, draft, &Body::Write(body)).unwrap();
        assert_eq!(
            Op::read(&op.write()).unwrap_err(),
            OpError::Malformed("payload nested too deep")
        );
        // What a vault already holds stays readable.
        assert!(
            Op::from_stored_parts(op.header_bytes.clone(), &op.signature, op.payload.clone())
                .is_ok()
        );
    }

    #[test]
    fn wire_round_trip() {
        let op = write_op(&device(), 1, None);
        let mut bytes = op.write();
        bytes.extend_from_slice(b"rest");
        let (back, rest) = Op::read(&bytes).unwrap();
        assert_eq!(back, op);
        assert_eq!(rest, b"rest");
    }

    #[test]
    fn every_bit_flip_in_header_or_signature_is_refused() {
        let op = write_op(&device(), 1, None);
        let bytes = op.write();
        let end = 2 + op.header_bytes.len() + SIGNATURE_LEN;
        for i in 0..end {
            for bit in [0x01u8, 0x80] {
                let mut bad = bytes.clone();
                bad[i] ^= bit;
                assert!(
                    Op::read(&bad).is_err(),
                    "flip {bit:#x} at byte {i} accepted"
                );
            }
        }
    }

    #[test]
    fn tampered_payload_is_refused() {
        let op = write_op(&device(), 1, None);
        let mut payload = op.payload.clone().unwrap();
        let last = payload.len() - 3;
        payload[last] ^= 1;
        let err = Op::from_parts(op.header_bytes.clone(), &op.signature, Some(payload));
        assert_eq!(err.unwrap_err(), OpError::PayloadMismatch);
    }

    #[test]
    fn purged_payload_still_verifies() {
        let op = write_op(&device(), 1, None);
        let back = Op::from_parts(op.header_bytes.clone(), &op.signature, None).unwrap();
        assert_eq!(back.id, op.id);
        assert!(back.body.is_none());
    }

    #[test]
    fn truncation_and_trailing_bytes_in_header_are_refused() {
        let op = write_op(&device(), 1, None);
        let h = &op.header_bytes;
        assert!(OpHeader::read(&h[..h.len() - 1]).is_err());
        let mut long = h.clone();
        long.push(0);
        assert!(OpHeader::read(&long).is_err());
    }

    #[test]
    fn non_canonical_headers_are_refused() {
        let keys = device();
        let mut h = write_op(&keys, 2, Some(OpId([3; 32]))).header;
        h.context.0.insert(h.author, 2);
        assert!(
            OpHeader::read(&h.write()).is_err(),
            "context covering itself"
        );
        let mut h = write_op(&keys, 1, None).header;
        h.prev = Some(OpId([3; 32]));
        assert!(
            OpHeader::read(&h.write()).is_err(),
            "first op with predecessor"
        );
        let mut bytes = write_op(&keys, 1, None).header_bytes;
        bytes[0] = 2;
        assert_eq!(OpHeader::read(&bytes).unwrap_err(), OpError::NewerFormat);
    }

    #[test]
    fn chains_verify_and_breaks_are_named() {
        let keys = device();
        let a = write_op(&keys, 1, None);
        let b = write_op(&keys, 2, Some(a.id));
        let c = write_op(&keys, 3, Some(b.id));
        verify_chain([&a, &b, &c], 1, None).unwrap();
        assert_eq!(
            verify_chain([&a, &c], 1, None).unwrap_err(),
            OpError::Sequence { seq: 3 }
        );
        let forged = write_op(&keys, 3, Some(a.id));
        assert_eq!(
            verify_chain([&a, &b, &forged], 1, None).unwrap_err(),
            OpError::Chain { seq: 3 }
        );
    }

    #[test]
    fn payloads_are_salted_so_equal_bodies_hash_differently() {
        let keys = device();
        let a = write_op(&keys, 1, None);
        let b = write_op(&keys, 1, None);
        assert_ne!(a.header.payload_hash, b.header.payload_hash);
    }

    #[test]
    fn record_ids_are_uuid_v4() {
        let id = RecordId::random().unwrap();
        let u = uuid::Uuid::from_bytes(id.0);
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(RecordId::parse(&id.to_string()), Some(id));
    }
}
