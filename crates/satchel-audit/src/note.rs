//! C2SP signed notes (<https://c2sp.org/signed-note>): a text, a blank line, and one
//! line per signature, `— NAME base64(key id ‖ signature)`. Ed25519 keys (type
//! `0x01`) sign the text; witnesses' cosignatures (type `0x04`) are in
//! [`crate::cosign`].
//!
//! Checked as the Go reference (`golang.org/x/mod/sumdb/note`) does: a signature by a
//! key the verifier does not know is ignored; one by a known key that fails rejects
//! the whole note.

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type of an Ed25519 note signature.
pub const ALG_ED25519: u8 = 0x01;
/// Longest note read, in bytes.
pub const MAX_NOTE: usize = 1_000_000;
/// Most signature lines read.
pub const MAX_SIGNATURES: usize = 100;
const DASH: &str = "\u{2014} ";

/// Why a note or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// Not a note: the layout, a line, the encoding or a limit is wrong.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// A name that notes cannot carry: empty, with a space or a `+`.
    #[error("a key name is non-empty and has no space or '+'")]
    BadName,
    /// A verifier key that does not parse.
    #[error("malformed verifier key")]
    BadKey,
    /// A known key's signature does not verify.
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
    /// No signature by any key the verifier knows.
    #[error("no signature by a known key")]
    Unverified,
    /// The signing key refused to sign this text.
    #[error("the key does not sign this text")]
    Refused,
}

/// Whether `name` can name a key: non-empty UTF-8 with no Unicode space and no `+`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key id of `name`'s key `key` of signature type `alg`:
/// `SHA-256(name ‖ 0x0A ‖ alg ‖ key)[:4]`, big-endian.
pub fn key_id(name: &str, alg: u8, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg]);
    h.update(key);
    let d = h.finalize();
    u32::from_be_bytes(d.as_slice().first_chunk::<4>().copied().unwrap_or_default())
}

/// A key that signs notes: the name it signs under, its Ed25519 public key and the
/// signing itself (kept where the secret is).
pub trait NoteSigner {
    /// The key's name.
    fn name(&self) -> &str;
    /// Its Ed25519 public key.
    fn public_key(&self) -> [u8; 32];
    /// The Ed25519 signature of `message`, as RFC 8032 makes it (no prefix); a key
    /// may refuse messages it does not sign ([`NoteError::Refused`]).
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], NoteError>;
}

/// A key the reader trusts: a name and an Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// The verifier of `name`'s Ed25519 key.
    pub fn new(name: &str, key: &[u8; 32]) -> Result<Self, NoteError> {
        if !is_valid_name(name) {
            return Err(NoteError::BadName);
        }
        let key = VerifyingKey::from_bytes(key).map_err(|_| NoteError::BadKey)?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// Reads a verifier key in its text form, `NAME+HEX8+base64(0x01 ‖ key)`.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::BadKey);
        };
        let id = u32::from_str_radix(id, 16)
            .ok()
            .filter(|_| id.len() == 8)
            .ok_or(NoteError::BadKey)?;
        let key = data_encoding::BASE64
            .decode(key.as_bytes())
            .map_err(|_| NoteError::BadKey)?;
        let Some((&ALG_ED25519, raw)) = key.split_first() else {
            return Err(NoteError::BadKey);
        };
        let raw: [u8; 32] = raw.try_into().map_err(|_| NoteError::BadKey)?;
        let v = Self::new(name, &raw)?;
        if v.id() != id {
            return Err(NoteError::BadKey);
        }
        Ok(v)
    }

    /// The text form, `NAME+HEX8+base64(0x01 ‖ key)`.
    pub fn to_text(&self) -> String {
        let mut key = vec![ALG_ED25519];
        key.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.id(),
            data_encoding::BASE64.encode(&key)
        )
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its key id.
    pub fn id(&self) -> u32 {
        key_id(&self.name, ALG_ED25519, self.key.as_bytes())
    }

    /// Its public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }
}

/// One signature line: who, which key, the signature bytes after the key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key's name.
    pub name: String,
    /// The key id.
    pub id: u32,
    /// What follows the key id: 64 bytes for Ed25519, 72 for a cosignature.
    pub bytes: Vec<u8>,
}

impl NoteSignature {
    fn line(&self) -> String {
        let mut b = self.id.to_be_bytes().to_vec();
        b.extend_from_slice(&self.bytes);
        format!("{DASH}{} {}\n", self.name, data_encoding::BASE64.encode(&b))
    }
}

/// A note: its text and its signature lines, as read (nothing verified yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(NoteError::Malformed("the text must end with a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("the text has a control character"));
    }
    Ok(())
}

impl Note {
    /// A note of `text` signed by each of `signers`. The text must end with a newline
    /// and hold no control character but newlines.
    pub fn sign(text: &str, signers: &[&dyn NoteSigner]) -> Result<Self, NoteError> {
        check_text(text)?;
        let mut signatures = Vec::with_capacity(signers.len());
        for s in signers {
            if !is_valid_name(s.name()) {
                return Err(NoteError::BadName);
            }
            signatures.push(NoteSignature {
                name: s.name().to_owned(),
                id: key_id(s.name(), ALG_ED25519, &s.public_key()),
                bytes: s.sign(text.as_bytes())?.to_vec(),
            });
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Reads a note; checks its form, not its signatures.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE {
            return Err(NoteError::Malformed("longer than a note may be"));
        }
        let all = std::str::from_utf8(bytes).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        let split = all
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (Some(text), Some(sigs)) = (all.get(..=split), all.get(split + 2..)) else {
            return Err(NoteError::Malformed("no blank line before the signatures"));
        };
        check_text(text)?;
        if !sigs.ends_with('\n') {
            return Err(NoteError::Malformed(
                "the last line must end with a newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let rest = line
                .strip_prefix(DASH)
                .ok_or(NoteError::Malformed("a signature line starts with '— '"))?;
            let (name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed(
                "a signature line has a name and a signature",
            ))?;
            if !is_valid_name(name) {
                return Err(NoteError::BadName);
            }
            let raw = data_encoding::BASE64
                .decode(b64.as_bytes())
                .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            let (id, sig) = raw.split_first_chunk::<4>().ok_or(NoteError::Malformed(
                "a signature is shorter than its key id",
            ))?;
            if sig.is_empty() {
                return Err(NoteError::Malformed("a signature is empty"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                id: u32::from_be_bytes(*id),
                bytes: sig.to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("a note has at least one signature"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text (unverified until [`Note::verify`] says so).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line (a witness's cosignature); a second line of the same key
    /// replaces the first.
    pub fn add_signature(&mut self, sig: NoteSignature) {
        self.signatures
            .retain(|s| !(s.name == sig.name && s.id == sig.id));
        self.signatures.push(sig);
    }

    /// The note as bytes: the text, a blank line, the signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
        }
        out.into_bytes()
    }

    /// Checks the Ed25519 signatures of the keys in `known`; returns the names of
    /// those that signed. Unknown keys' lines are ignored; a known key's line that
    /// fails, or comes twice, refuses the note.
    pub fn verify(&self, known: &[NoteVerifier]) -> Result<Vec<String>, NoteError> {
        let mut signed = Vec::new();
        for s in &self.signatures {
            let Some(v) = known.iter().find(|v| v.name == s.name && v.id() == s.id) else {
                continue;
            };
            if signed.contains(&v.name) {
                return Err(NoteError::BadSignature(v.name.clone()));
            }
            let sig = <[u8; 64]>::try_from(s.bytes.as_slice())
                .map(|b| Signature::from_bytes(&b))
                .map_err(|_| NoteError::BadSignature(v.name.clone()))?;
            v.key
                .verify_strict(self.text.as_bytes(), &sig)
                .map_err(|_| NoteError::BadSignature(v.name.clone()))?;
            signed.push(v.name.clone());
        }
        if signed.is_empty() {
            return Err(NoteError::Unverified);
        }
        Ok(signed)
    }
}
