//! Ops arrive from other devices (sync bundles), so their wire and header parsers see
//! untrusted bytes.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::op_decode`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::op_decode(data));
