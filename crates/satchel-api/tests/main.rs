//! Integration tests of the vault API: one binary, modules by subject.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod audit;
mod cancel;
mod drafts;
mod duress_metadata;
mod export;
mod filters;
mod lifecycle;
mod org;
mod peers;
mod records;
mod rekey;
mod replay;
mod sync;

use std::path::Path;

use satchel_api::{FieldInput, KdfProfile, SecretString, Vault};

pub(crate) const P: KdfProfile = KdfProfile::InsecureTest;
pub(crate) const PASS: &str = "correct horse battery";

pub(crate) fn pass(s: &str) -> SecretString {
    SecretString::from(s)
}

pub(crate) fn new_vault(dir: &Path) -> (Vault, satchel_api::RecoveryKey) {
    satchel_api::init(dir, &pass(PASS), P).unwrap()
}

pub(crate) fn text(pairs: &[(&str, &str)]) -> Vec<(String, FieldInput)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), FieldInput::Text((*v).to_owned())))
        .collect()
}
