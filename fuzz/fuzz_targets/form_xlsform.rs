//! XLSForm spreadsheets are imported from files people share.
//!
//! What is asserted of each input lives in `satchel_fuzz_checks::form_xlsform`, which
//! `cargo test` also replays over the seeds and kept crash inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel_fuzz_checks::form_xlsform(data));
