//! Satchel's relay: store-and-forward mailboxes for sealed bundles, in the spirit of
//! Briar Mailbox. It sees only ciphertext: a mailbox is a random 32-byte id with two
//! capability tokens (deposit; collect and delete), of which it keeps BLAKE3 hashes
//! alone. Uploads follow tus 1.0 (core, creation, checksum, termination), so a
//! transfer cut at any byte resumes from there. Quotas per mailbox, expiry, request
//! limits and a rate limit bound what one mailbox can cost. Nothing it logs names a
//! mailbox, a token or a client (`docs/relay.md`).

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
mod objects;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
mod store;

#[cfg(feature = "server")]
pub use server::*;

/// The tus protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";
const DOMAIN_TOKEN: &str = "satchel 2026-11 relay token v1";

/// A token's hash as kept: BLAKE3 derive-key, so the store never holds a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    blake3::derive_key(DOMAIN_TOKEN, token.trim().as_bytes())
}

/// A fresh random token, base64url without padding (32 bytes).
pub fn new_token() -> anyhow::Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("random: {e}"))?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&b))
}
