//! Randomness from the operating system, and nothing else.

use crate::CryptoError;

/// Fills `buf` from the OS generator.
pub fn fill(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::fill(buf).map_err(|_| CryptoError::Random)
}

/// Returns `N` fresh random bytes.
pub fn array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}
