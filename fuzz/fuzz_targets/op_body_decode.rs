//! Payloads are JSON after a salt, decoded from synced ops.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::op_body_decode`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::op_body_decode(data));
