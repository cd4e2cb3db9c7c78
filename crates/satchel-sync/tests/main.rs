//! Integration tests of the op model.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod bundle_vectors;
mod convergence;
mod member_vectors;
mod membership;
mod vectors;
mod verify;
