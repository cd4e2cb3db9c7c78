//! Checkpoints, their signatures and witnesses' cosignatures arrive from other devices
//! and in audit exports as C2SP signed notes, with Merkle proofs beside them: their
//! parsers and checks see untrusted input.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::audit_note`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::audit_note(data));
