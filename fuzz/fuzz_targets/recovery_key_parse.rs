//! Recovery keys are typed (or pasted) by people.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::recovery_key_parse`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::recovery_key_parse(data));
