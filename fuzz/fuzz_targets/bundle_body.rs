//! A bundle body is what an opened bundle carries; its sender chooses every byte,
//! the compression included.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::bundle_body`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::bundle_body(data));
