//! Payloads are JSON after a salt, decoded from synced ops.
#![no_main]

use libfuzzer_sys::fuzz_target;
use satchel_sync::op::{Body, OpKind};

fuzz_target!(|data: &[u8]| {
    for kind in [OpKind::Write, OpKind::Delete, OpKind::Purge] {
        let _ = Body::decode(kind, data);
    }
});
