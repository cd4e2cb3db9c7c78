//! BLAKE3 with a domain label for every use, so a hash made for one purpose can never
//! be mistaken for another (BLAKE3 spec, `derive_key` mode).

/// Domain labels. Changing one changes a format: add, never edit.
pub mod domain {
    /// Op ids: hash of a canonical op header.
    pub const OP_ID: &str = "satchel 2026-11 op id v1";
    /// Op payload hashes.
    pub const OP_PAYLOAD: &str = "satchel 2026-11 op payload v1";
    /// Ed25519 signature context for op headers.
    pub const OP_SIGNATURE: &str = "satchel 2026-11 op signature v1";
    /// Device fingerprints.
    pub const FINGERPRINT: &str = "satchel 2026-11 device fingerprint v1";
    /// Ed25519 signature context for bundles (format 1, no longer read).
    pub const BUNDLE_SIGNATURE: &str = "satchel 2026-11 bundle signature v1";
    /// The digest a bundle's signature covers (format 1, no longer read).
    pub const BUNDLE_SIGNED: &str = "satchel 2026-11 bundle signed digest v1";
    /// Bundle body hashes (format 1, no longer read).
    pub const BUNDLE_BODY: &str = "satchel 2026-11 bundle body v1";
    /// Ed25519 signature context for a bundle's header, checked after its first chunk.
    pub const BUNDLE_HEADER_SIGNATURE: &str = "satchel 2026-11 bundle header signature v2";
    /// Ed25519 signature context for a bundle's whole content.
    pub const BUNDLE_SIGNATURE_V2: &str = "satchel 2026-11 bundle signature v2";
    /// The digest a bundle's content signature covers.
    pub const BUNDLE_SIGNED_V2: &str = "satchel 2026-11 bundle signed digest v2";
    /// Bundle body hashes (the sender's bundle chain).
    pub const BUNDLE_BODY_V2: &str = "satchel 2026-11 bundle body v2";
    /// Recovery key checksums.
    pub const RECOVERY_CHECK: &str = "satchel 2026-11 recovery key checksum v1";
    /// Ed25519 signature context for member certificates (by the root or a coordinator).
    pub const CERT_SIGNATURE: &str = "satchel 2026-11 member certificate signature v1";
    /// Certificate ids: hash of a certificate's signed bytes.
    pub const CERT_ID: &str = "satchel 2026-11 member certificate id v1";
    /// Ed25519 signature context for an enrolment request (proof of possession).
    pub const ENROL_SIGNATURE: &str = "satchel 2026-11 enrolment request signature v1";
    /// Ed25519 signature context for revocations.
    pub const REVOCATION_SIGNATURE: &str = "satchel 2026-11 member revocation signature v1";
    /// Revocation ids: hash of a revocation's signed bytes.
    pub const REVOCATION_ID: &str = "satchel 2026-11 member revocation id v1";
    /// Checksums of membership objects moved by hand as text.
    pub const MEMBER_TEXT_CHECK: &str = "satchel 2026-11 membership text checksum v1";
    /// Ed25519 signature context for a form version published to an organisation.
    pub const FORM_PUBLICATION: &str = "satchel 2026-11 form publication signature v1";
    /// Bundle body hash, format 5 (membership, signed forms, the log, relay mailboxes).
    pub const BUNDLE_BODY_V5: &str = "satchel 2026-11 bundle body v5";
}

/// BLAKE3 of `parts` under `domain`.
pub fn hash(domain: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key(domain);
    for part in parts {
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

/// BLAKE3's incremental hasher.
pub use blake3::Hasher;

/// An incremental [`hash`] under `domain`, for content too large to hold at once.
pub fn hasher(domain: &str) -> blake3::Hasher {
    blake3::Hasher::new_derive_key(domain)
}

/// An incremental [`content`] hash.
pub fn content_hasher() -> blake3::Hasher {
    blake3::Hasher::new()
}

/// Plain BLAKE3 of content (attachments), as users can check with `b3sum`.
pub fn content(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_separate_equal_inputs() {
        assert_ne!(
            hash(domain::OP_ID, &[b"x"]),
            hash(domain::OP_PAYLOAD, &[b"x"])
        );
    }

    #[test]
    fn parts_are_concatenated() {
        assert_eq!(
            hash(domain::OP_ID, &[b"ab", b"c"]),
            hash(domain::OP_ID, &[b"abc"])
        );
    }

    #[test]
    fn content_hash_is_plain_blake3() {
        // BLAKE3 of the empty input, from the BLAKE3 test vectors.
        assert_eq!(
            data_encoding::HEXLOWER.encode(&content(b"")),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }
}
