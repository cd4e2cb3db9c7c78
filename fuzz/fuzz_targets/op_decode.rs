//! Ops arrive from other devices (sync bundles), so their wire and header parsers see
//! untrusted bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use satchel_sync::op::{Op, OpHeader};

fuzz_target!(|data: &[u8]| {
    // Fuzzed on its own too: behind Op::read it is only reached after a valid length prefix.
    if let Ok(header) = OpHeader::read(data) {
        // The parser promises to accept only canonical bytes, so writing must give them back.
        assert_eq!(header.write(), data, "accepted a non-canonical header");
    }

    let Ok((op, rest)) = Op::read(data) else {
        return;
    };
    let written = op.write();
    assert_eq!(
        written,
        &data[..data.len() - rest.len()],
        "accepted a non-canonical op encoding"
    );
    let (back, tail) = Op::read(&written).expect("a written op must read back");
    assert!(tail.is_empty(), "a written op left trailing bytes");
    assert_eq!(back, op, "op changed in a write/read round trip");
});
