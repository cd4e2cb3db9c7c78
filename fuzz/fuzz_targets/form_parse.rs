//! Form definitions are imported from files people share.
#![no_main]

use libfuzzer_sys::fuzz_target;
use satchel_api::form::Form;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(form) = Form::parse(text) else {
        return;
    };
    let json = form.to_json().expect("a parsed form must encode");
    let back = Form::parse(&json).expect("the canonical JSON of a form must parse");
    assert_eq!(back, form, "form changed in a to_json/parse round trip");
});
