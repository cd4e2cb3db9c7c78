//! Recovery keys are typed (or pasted) by people.
#![no_main]

use libfuzzer_sys::fuzz_target;
use satchel_crypto::recovery::RecoveryKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(key) = RecoveryKey::parse(text) else {
        return;
    };
    let shown = key.display_once().expect("a parsed key must display");
    let back = RecoveryKey::parse(&shown).expect("a displayed key must parse");
    assert_eq!(
        back.expose_secret(),
        key.expose_secret(),
        "recovery key changed in a display/parse round trip"
    );
});
