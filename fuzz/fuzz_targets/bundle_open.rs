//! Bundle files arrive by USB stick, mail or a shared folder, so anyone can write them.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::bundle_open`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::bundle_open(data));
