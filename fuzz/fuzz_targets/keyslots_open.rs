//! The keyslots file sits in clear on disk, so anyone with the laptop can edit it.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::keyslots_open`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::keyslots_open(data));
