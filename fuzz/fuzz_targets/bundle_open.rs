//! Bundle files arrive by USB stick, mail or a shared folder, so anyone can write them.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use satchel_crypto::{bundle, identity::DeviceKeys};

// The seeds (examples/make_seeds.rs) are real bundles sealed to this key, so mutations
// get past the slots into the STREAM chunks and the plaintext framing.
static ME: LazyLock<DeviceKeys> =
    LazyLock::new(|| DeviceKeys::from_secret_bytes(&[0x42; 64]).expect("recipient keys"));
static SENDER: LazyLock<DeviceKeys> =
    LazyLock::new(|| DeviceKeys::from_secret_bytes(&[0x17; 64]).expect("sender keys"));

fuzz_target!(|data: &[u8]| {
    let Ok(opened) = bundle::open(&ME, data) else {
        return;
    };
    assert_eq!(opened.sender.len(), 32, "sender key is not 32 bytes");
    let sealed = bundle::seal(&SENDER, &[ME.public().agreement], &opened.content)
        .expect("opened content must seal again");
    let back = bundle::open(&ME, sealed.as_slice()).expect("a sealed bundle must open");
    assert_eq!(
        back.sender,
        SENDER.public().signing,
        "resealed bundle names the wrong sender"
    );
    assert_eq!(
        back.content.as_slice(),
        opened.content.as_slice(),
        "content changed in an open/seal/open round trip"
    );
});
