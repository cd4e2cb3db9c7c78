//! Checkpoints (C2SP tlog-checkpoint, <https://c2sp.org/tlog-checkpoint>): a log's
//! size and root as a signed note's text,
//!
//! ```text
//! ORIGIN
//! SIZE (decimal, no leading zero)
//! base64(ROOT)
//! [extension lines]
//! ```
//!
//! signed by the log's key, whose name is the origin.

use crate::log::Hash;
use crate::note::{Note, NoteError, NoteSigner, NoteVerifier, is_valid_name};

/// A log's state: its identity, how many leaves, their tree hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, and the name of the key that signs it.
    pub origin: String,
    /// How many leaves.
    pub size: u64,
    /// The tree hash of those leaves.
    pub root: Hash,
    /// Extension lines (none in Satchel's logs; kept if read).
    pub extensions: Vec<String>,
}

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The note around it.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// Its text is not a checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// Signed, but for another log than the one expected.
    #[error("the checkpoint is for another log")]
    WrongOrigin,
}

impl Checkpoint {
    /// A checkpoint of a log without extensions.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            data_encoding::BASE64.encode(&self.root)
        );
        for e in &self.extensions {
            out.push_str(e);
            out.push('\n');
        }
        out
    }

    /// Reads a note text as a checkpoint.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("the text ends with a newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Malformed("origin, size and root lines"));
        };
        if !is_valid_name(origin) {
            return Err(CheckpointError::Malformed("the origin is not a key name"));
        }
        if size.is_empty()
            || !size.bytes().all(|b| b.is_ascii_digit())
            || (size.len() > 1 && size.starts_with('0'))
        {
            return Err(CheckpointError::Malformed(
                "the size is not a decimal number",
            ));
        }
        let size = size
            .parse()
            .map_err(|_| CheckpointError::Malformed("the size is too large"))?;
        let root: Hash = data_encoding::BASE64
            .decode(root.as_bytes())
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or(CheckpointError::Malformed(
                "the root is not 32 bytes of base64",
            ))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("an empty extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The checkpoint as a note signed by the log's key, whose name must be the
    /// origin.
    pub fn sign(&self, log_key: &dyn NoteSigner) -> Result<Note, CheckpointError> {
        if log_key.name() != self.origin {
            return Err(CheckpointError::WrongOrigin);
        }
        Ok(Note::sign(&self.to_text(), &[log_key])?)
    }

    /// Reads a signed checkpoint of the log `log_key` names: the log's signature is
    /// required and verified (others are left to the caller: see
    /// [`crate::cosign`]).
    pub fn open(note: &[u8], log_key: &NoteVerifier) -> Result<(Self, Note), CheckpointError> {
        let note = Note::parse(note)?;
        note.verify(std::slice::from_ref(log_key))?;
        let cp = Self::parse(note.text())?;
        if cp.origin != log_key.name() {
            return Err(CheckpointError::WrongOrigin);
        }
        Ok((cp, note))
    }
}
