//! Membership objects (certificates, enrolment requests, revocations, and their text
//! forms) arrive from other devices and from people, so their parsers see untrusted
//! input.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::member_request`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::member_request(data));
