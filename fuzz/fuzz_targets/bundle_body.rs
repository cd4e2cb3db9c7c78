//! A bundle body is what an opened bundle carries; its sender chooses every byte,
//! the compression included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use satchel_sync::bundle::BundleBody;

fuzz_target!(|data: &[u8]| {
    let Ok((body, hash)) = BundleBody::read(data) else {
        return;
    };
    let (written, written_hash) = body.write().expect("a read body must write");
    // The parser is strict, so encoding gives back the bytes that were hashed: the
    // hash chains bundles, and one body must not have two identities.
    assert_eq!(written_hash, hash, "accepted a non-canonical bundle body");
    let (back, back_hash) = BundleBody::read(&written).expect("a written body must read back");
    assert_eq!(
        back_hash, hash,
        "body hash changed in a write/read round trip"
    );
    assert_eq!(back, body, "bundle body changed in a write/read round trip");
});
