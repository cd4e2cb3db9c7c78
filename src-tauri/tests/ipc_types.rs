//! The UI's TypeScript types for what crosses IPC are generated from the Rust types,
//! so the two sides cannot drift apart (a location once went as `[lat, lon]` one way
//! and `{lat, lon}` the other, and was lost). This test fails when
//! `ui/src/lib/generated/ipc.ts` differs from what the Rust types give; run it with
//! `SATCHEL_BLESS=1` to write the file after changing a type.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use satchel_api::{
    Found, RecordSummary, RecordView,
    form::{Choice, FieldDef, FieldType, FieldValue, Form, Labels, LatLon},
    quarantine::{QuarantineEntry, QuarantinedOp},
    records::{ShownAttachment, ShownField, ShownValue},
};
use ts_rs::{Config, TS};

fn declarations() -> String {
    // 64-bit integers (form versions, sizes) stay well inside a double's 2^53 here.
    let cfg = Config::new().with_large_int("number");
    let decls = [
        <serde_json::Value as TS>::decl(&cfg),
        Labels::decl(&cfg),
        FieldType::decl(&cfg),
        Choice::decl(&cfg),
        FieldDef::decl(&cfg),
        Form::decl(&cfg),
        LatLon::decl(&cfg),
        FieldValue::decl(&cfg),
        ShownValue::decl(&cfg),
        ShownField::decl(&cfg),
        ShownAttachment::decl(&cfg),
        RecordView::decl(&cfg),
        RecordSummary::decl(&cfg),
        Found::decl(&cfg),
        QuarantineEntry::decl(&cfg),
        QuarantinedOp::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types that cross IPC by src-tauri/tests/ipc_types.rs.\n\
         // Do not edit: after changing one of those types, run\n\
         // SATCHEL_BLESS=1 cargo test -p satchel-app --test ipc_types\n",
    );
    for d in decls {
        out.push('\n');
        out.push_str("export ");
        out.push_str(d.trim());
        out.push('\n');
    }
    out
}

#[test]
fn the_uis_ipc_types_are_generated_from_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/generated/ipc.ts");
    let want = declarations();
    if std::env::var_os("SATCHEL_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "ui/src/lib/generated/ipc.ts is out of date with the Rust types; run\n\
         SATCHEL_BLESS=1 cargo test -p satchel-app --test ipc_types\n\
         and commit it. Expected:\n{want}"
    );
}
