//! A form version as published: its JSON, the organisation it is for, and the
//! signature of the device that published it (docs/bundle-format.md, "Forms").
//!
//! The signature binds the organisation id, so a form published in one organisation
//! cannot be replayed into another; a vault in no organisation uses the all-zero id.
//! Whether the publisher may publish (a coordinator, heard now) is the importer's
//! question, asked of [`crate::member::Members`]; this type only proves who signed.
//!
//! ```
//! use satchel_crypto::identity::DeviceKeys;
//! use satchel_sync::publication::Publication;
//!
//! let keys = DeviceKeys::from_secret_bytes(&[7; 64]).unwrap();
//! let p = Publication::sign(&keys, [1; 32], r#"{"name":"contact"}"#.into());
//! let bytes = p.write();
//! let (back, rest) = Publication::read(&bytes).unwrap();
//! assert!(rest.is_empty() && back == p);
//! ```

use satchel_crypto::{
    hash::domain,
    identity::{self, DeviceKeys, SIGNATURE_LEN},
};

use crate::{OpError, op::DeviceId};

/// Largest form definition carried.
pub const MAX_FORM: usize = 1024 * 1024;

/// A signed form version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The form definition (docs/forms.md).
    pub json: String,
    /// The organisation it was published to (all zero: no organisation).
    pub org: [u8; 32],
    /// The device that signed it.
    pub publisher: DeviceId,
    /// Ed25519 by `publisher` over the label, `org` and `json`.
    pub signature: [u8; SIGNATURE_LEN],
}

fn signed(org: &[u8; 32], json: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + json.len());
    out.extend_from_slice(org);
    out.extend_from_slice(json.as_bytes());
    out
}

impl Publication {
    /// Signs `json` for `org` as `keys`' device.
    pub fn sign(keys: &DeviceKeys, org: [u8; 32], json: String) -> Self {
        let signature = keys.sign(domain::FORM_PUBLICATION, &signed(&org, &json));
        Self {
            json,
            org,
            publisher: DeviceId(keys.public().signing),
            signature,
        }
    }

    /// Wire form: `len u32 | JSON | org[32] | publisher[32] | signature[64]`.
    pub fn write(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.json.len() + 128);
        let len = u32::try_from(self.json.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(self.json.as_bytes());
        out.extend_from_slice(&self.org);
        out.extend_from_slice(&self.publisher.0);
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses one publication from the front of `bytes` and verifies its signature.
    pub fn read(bytes: &[u8]) -> Result<(Self, &[u8]), OpError> {
        let short = || OpError::Malformed("form publication truncated");
        let (len, rest) = bytes.split_first_chunk::<4>().ok_or_else(short)?;
        let len = usize::try_from(u32::from_be_bytes(*len))
            .map_err(|_| OpError::Malformed("form length"))?;
        if len > MAX_FORM {
            return Err(OpError::Malformed("form too large"));
        }
        let (json, rest) = rest.split_at_checked(len).ok_or_else(short)?;
        let json = std::str::from_utf8(json).map_err(|_| OpError::Malformed("form not UTF-8"))?;
        let (org, rest) = rest.split_first_chunk::<32>().ok_or_else(short)?;
        let (publisher, rest) = rest.split_first_chunk::<32>().ok_or_else(short)?;
        let (signature, rest) = rest
            .split_first_chunk::<SIGNATURE_LEN>()
            .ok_or_else(short)?;
        identity::verify(
            publisher,
            domain::FORM_PUBLICATION,
            &signed(org, json),
            signature,
        )
        .map_err(|_| OpError::BadSignature)?;
        Ok((
            Self {
                json: json.to_owned(),
                org: *org,
                publisher: DeviceId(*publisher),
                signature: *signature,
            },
            rest,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> DeviceKeys {
        DeviceKeys::from_secret_bytes(&[9; 64]).unwrap()
    }

    #[test]
    fn round_trips_and_refuses_any_changed_byte() {
        let p = Publication::sign(&keys(), [3; 32], r#"{"name":"contact","version":2}"#.into());
        let bytes = p.write();
        assert_eq!(Publication::read(&bytes).unwrap(), (p, &[][..]));
        for i in 4..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            assert!(Publication::read(&bad).is_err(), "byte {i}");
        }
        for n in 0..bytes.len() {
            assert!(Publication::read(&bytes[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn another_organisation_is_another_message() {
        let p = Publication::sign(&keys(), [3; 32], "{}".into());
        let mut moved = p.clone();
        moved.org = [4; 32];
        assert_eq!(
            Publication::read(&moved.write()).unwrap_err(),
            OpError::BadSignature
        );
    }
}
