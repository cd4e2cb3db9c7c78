//! A form version as published travels in bundles, relayed by any device, so its
//! parser sees untrusted input.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::form_publication`,
//! which `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::form_publication(data));
