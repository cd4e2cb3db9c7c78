//! An audit export is a file handed to an auditor by anyone: its reader and its
//! checks see untrusted input.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::audit_export`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::audit_export(data));
