//! The keyslots file sits in clear on disk, so anyone with the laptop can edit it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use satchel_crypto::{kdf::KdfProfile, keyslots::Keyslots, secrecy::SecretString};

fuzz_target!(|data: &[u8]| {
    let Ok(slots) = Keyslots::read(data) else {
        return;
    };
    // The cheap profile keeps each run fast; the parsing and trial logic is the same.
    let profile = KdfProfile::InsecureTest;
    let kek = slots
        .derive_kek(&SecretString::from("fuzz"), profile)
        .expect("Argon2 with fixed parameters cannot fail");
    // Opening needs a Poly1305 forgery, so fuzzed bytes must never open.
    assert!(
        slots.open(&kek, profile).is_err(),
        "fuzzed keyslots bytes opened"
    );
});
