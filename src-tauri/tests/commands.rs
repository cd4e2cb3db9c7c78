//! Every command through Tauri's mock runtime, with the app's real configuration and
//! capability file: what the web view gets back, including each error path.
// Test code: a failed unwrap or index is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::{path::Path, sync::Arc};

use satchel_api::KdfProfile;
use satchel_app::state::Shared;
use serde_json::{Value, json};
use tauri::{
    WebviewWindow, WebviewWindowBuilder,
    ipc::{CallbackFn, InvokeBody, InvokeResponseBody},
    test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder},
    webview::InvokeRequest,
};

const PASS: &str = "correct horse battery";

struct App {
    _app: tauri::App<MockRuntime>,
    win: WebviewWindow<MockRuntime>,
}

fn app(dir: &Path, label: &str) -> App {
    let shared = Shared::new(
        dir.join("vault"),
        KdfProfile::InsecureTest,
        vec![dir.join("media")],
    );
    let app = satchel_app::configure(mock_builder(), Arc::clone(&shared))
        .build(tauri::generate_context!())
        .unwrap();
    let win = if label == "main" {
        satchel_app::main_window(&app, false).unwrap()
    } else {
        WebviewWindowBuilder::new(&app, label, Default::default())
            .build()
            .unwrap()
    };
    App { _app: app, win }
}

fn request(cmd: &str, body: InvokeBody, headers: &[(&'static str, &str)]) -> InvokeRequest {
    let mut map = tauri::http::HeaderMap::new();
    for (k, v) in headers {
        map.insert(*k, v.parse().unwrap());
    }
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body,
        headers: map,
        invoke_key: INVOKE_KEY.to_string(),
    }
}

impl App {
    fn raw_call(
        &self,
        cmd: &str,
        body: InvokeBody,
        headers: &[(&'static str, &str)],
    ) -> Result<InvokeResponseBody, Value> {
        get_ipc_response(&self.win, request(cmd, body, headers))
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.raw_call(cmd, InvokeBody::Json(args), &[])
            .map(|b| b.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args.clone())
            .unwrap_or_else(|e| panic!("{cmd} {args}: {e}"))
    }

    /// The error code of a call that must fail.
    fn code(&self, cmd: &str, args: Value) -> String {
        let e = self
            .call(cmd, args.clone())
            .expect_err(&format!("{cmd} {args} should fail"));
        e["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{cmd}: no code in {e}"))
            .to_owned()
    }

    fn err(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_err()
    }

    fn create(&self) -> String {
        let r = self.ok("vault_create", json!({ "passphrase": PASS }));
        r["recoveryKey"].as_str().unwrap().to_owned()
    }

    fn stage(&self, name: &str, bytes: &[u8]) -> String {
        let body = self
            .raw_call(
                "attachment_stage",
                InvokeBody::Raw(bytes.to_vec()),
                &[("x-satchel-name", name)],
            )
            .unwrap()
            .deserialize::<Value>()
            .unwrap();
        assert_eq!(body["size"], bytes.len());
        body["id"].as_str().unwrap().to_owned()
    }

    fn add_contact(&self, name: &str) -> String {
        self.ok(
            "record_create",
            json!({ "form": "contact", "values": { "name": name }, "attachments": [] }),
        )
        .as_str()
        .unwrap()
        .to_owned()
    }
}

#[test]
fn create_lock_unlock_and_recover() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    let s = a.ok("vault_state", json!({}));
    assert_eq!(
        s,
        json!({ "exists": false, "unlocked": false, "lockReason": null, "panicShortcut": "Ctrl+Shift+X" })
    );
    assert_eq!(
        a.code("vault_unlock", json!({ "passphrase": PASS })),
        "no_vault"
    );
    assert_eq!(
        a.code("vault_create", json!({ "passphrase": "short" })),
        "weak_passphrase"
    );
    assert!(
        !tmp.path().join("vault").join("keyslots").exists(),
        "a refused create writes nothing"
    );

    let key = a.create();
    assert!(key.len() > 20);
    assert_eq!(
        a.code("vault_create", json!({ "passphrase": PASS })),
        "vault_unlocked"
    );
    assert_eq!(
        a.code("vault_unlock", json!({ "passphrase": PASS })),
        "vault_unlocked"
    );
    let info = a.ok("vault_info", json!({ "lang": "en" }));
    assert_eq!(info["records"], 0);
    assert_eq!(info["fingerprint"].as_str().unwrap().split(' ').count(), 8);

    a.ok("vault_lock", json!({}));
    let s = a.ok("vault_state", json!({}));
    assert_eq!(s["unlocked"], false);
    assert_eq!(s["lockReason"], "user");
    for (cmd, args) in [
        ("vault_info", json!({ "lang": "en" })),
        ("forms_list", json!({})),
        ("settings_get", json!({})),
        ("identity_get", json!({ "lang": "en" })),
        ("peers_list", json!({ "lang": "en" })),
        ("org_get", json!({ "lang": "en" })),
    ] {
        assert_eq!(a.code(cmd, args), "vault_locked", "{cmd}");
    }
    // The commands that open a system dialog refuse before it opens.
    for (cmd, args) in [
        ("attachment_stage_choose", json!({})),
        ("bundle_import_choose", json!({})),
        ("attachment_save", json!({ "record": "00", "blake3": "00" })),
        ("audit_verify_pick", json!({})),
        ("audit_save_html", json!({})),
        ("audit_export_make", json!({})),
    ] {
        assert_eq!(a.code(cmd, args), "vault_locked", "{cmd}");
    }
    let wrong = a.err(
        "vault_unlock",
        json!({ "passphrase": "not the passphrase" }),
    );
    assert_eq!(wrong["code"], "wrong_passphrase");
    assert!(
        !wrong["message"]
            .as_str()
            .unwrap()
            .contains("not the passphrase")
    );
    a.ok("vault_unlock", json!({ "passphrase": PASS }));
    assert_eq!(a.ok("vault_state", json!({}))["lockReason"], Value::Null);
    a.ok("vault_lock", json!({}));

    let recover = |k: &str, p: &str| json!({ "recoveryKey": k, "newPassphrase": p });
    assert_eq!(
        a.code("vault_recover", recover("not-a-key", "new passphrase 1")),
        "bad_recovery_key"
    );
    assert_eq!(
        a.code("vault_recover", recover(&key, "short")),
        "weak_passphrase"
    );
    a.ok("vault_recover", recover(&key, "new passphrase 1"));
    a.ok("vault_lock", json!({}));
    assert_eq!(
        a.code("vault_unlock", json!({ "passphrase": PASS })),
        "wrong_passphrase"
    );
    a.ok("vault_unlock", json!({ "passphrase": "new passphrase 1" }));
    a.ok("activity", json!({}));
    let v = a.ok("vault_verify", json!({}));
    assert_eq!(v["records"], 0);
}

#[test]
fn records_with_cjk_text_are_created_found_edited_and_purged() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.create();
    let forms = a.ok("forms_list", json!({}));
    let names: Vec<&str> = forms
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"contact"), "{names:?}");

    let id = a.add_contact("김민준 王芳");
    let other = a.add_contact("Second person");
    // Field errors name their field so the form can show them in place.
    let e = a.err(
        "record_create",
        json!({ "form": "contact", "values": { "name": 42 }, "attachments": [] }),
    );
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("invalid_value"), Some("name"))
    );
    assert_eq!(
        e["params"],
        json!({ "field": "name", "problem": "not_text" })
    );
    let e = a.err(
        "record_create",
        json!({ "form": "contact", "values": {}, "attachments": [] }),
    );
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("missing_required"), Some("name"))
    );
    assert_eq!(e["params"], json!({ "field": "name" }));
    let e = a.err(
        "record_create",
        json!({ "form": "contact", "values": { "name": "x", "shoe": "y" }, "attachments": [] }),
    );
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("unknown_field"), Some("shoe"))
    );
    assert_eq!(
        a.code(
            "record_create",
            json!({ "form": "nope", "values": {}, "attachments": [] })
        ),
        "unknown_form"
    );
    assert!(
        a.call("record_create", json!({ "form": "contact" }))
            .is_err(),
        "missing arguments"
    );

    let page = |offset: usize, limit: usize, oldest: bool| {
        a.ok("records_page", json!({ "query": { "form": null, "offset": offset, "limit": limit, "oldestFirst": oldest } }))
    };
    let p = page(0, 10, false);
    assert_eq!(p["total"], 2);
    assert_eq!(p["items"][0]["id"], other, "newest first");
    assert_eq!(page(0, 10, true)["items"][0]["id"], id, "oldest first");
    let p = page(1, 1, false);
    assert_eq!(
        (p["total"].as_u64(), p["items"].as_array().unwrap().len()),
        (Some(2), 1)
    );
    assert_eq!(p["items"][0]["id"], id);
    let by_form = a.ok(
        "records_page",
        json!({ "query": { "form": "case", "offset": 0, "limit": 10, "oldestFirst": false } }),
    );
    assert_eq!(by_form["total"], 0);
    assert_eq!(
        a.code(
            "records_page",
            json!({ "query": { "form": "nope", "offset": 0, "limit": 10, "oldestFirst": false } })
        ),
        "unknown_form"
    );
    assert!(
        a.call("records_page", json!({ "query": { "offset": 0 } }))
            .is_err()
    );

    let hits = a.ok("records_search", json!({ "query": "민준" }));
    assert_eq!(hits["items"].as_array().unwrap().len(), 1);
    assert_eq!(hits["items"][0]["id"], id);
    assert_eq!(hits["more"], false);
    assert_eq!(
        a.ok(
            "records_search",
            json!({ "query": "王芳", "form": "contact" })
        )["items"][0]["id"],
        id
    );
    assert_eq!(
        a.ok("records_search", json!({ "query": "王芳", "form": "case" })),
        json!({ "items": [], "more": false })
    );
    assert_eq!(
        a.code("records_search", json!({ "query": "王芳", "form": "nope" })),
        "unknown_form"
    );
    assert_eq!(
        a.ok("records_search", json!({ "query": "nobody" })),
        json!({ "items": [], "more": false })
    );

    // Filters by author and dates, in lists and in search; a search result carries
    // its snippet with the match marked.
    let authors = a.ok("record_authors", json!({}));
    let me = authors[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(authors.as_array().unwrap().len(), 1);
    let filtered = |filter: serde_json::Value| {
        a.ok(
            "records_page",
            json!({ "query": { "form": null, "offset": 0, "limit": 10, "oldestFirst": false, "filter": filter } }),
        )["total"]
            .clone()
    };
    assert_eq!(filtered(json!({ "author": me })), 2);
    assert_eq!(
        filtered(json!({ "author": "7".repeat(64), "author_did": "changed" })),
        0
    );
    assert_eq!(
        filtered(json!({ "since": "2000년 1월", "until": "2999", "utc_offset_minutes": 540 })),
        2
    );
    assert_eq!(filtered(json!({ "until": "1999", "dated": "changed" })), 0);
    assert_eq!(
        a.code(
            "records_page",
            json!({ "query": { "form": null, "offset": 0, "limit": 10, "oldestFirst": false, "filter": { "since": "~2000" } } })
        ),
        "invalid_filter"
    );
    let hit = a.ok(
        "records_search",
        json!({ "query": "王芳", "form": null, "filter": { "author": me, "since": "2000" } }),
    );
    assert_eq!(hit["items"][0]["id"], id);
    let marked: Vec<_> = hit["items"][0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["hit"] == true)
        .map(|p| p["text"].clone())
        .collect();
    assert_eq!(marked, vec![json!("王芳")]);
    assert_eq!(
        a.ok(
            "records_search",
            json!({ "query": "王芳", "filter": { "until": "1999" } })
        ),
        json!({ "items": [], "more": false })
    );

    a.ok(
        "record_update",
        json!({ "id": id, "values": { "name": "김민준 王芳 edited" }, "attachments": [] }),
    );
    let r = a.ok("record_get", json!({ "id": id, "lang": "ko" }));
    let name = r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "name")
        .unwrap();
    assert_eq!(name["values"][0]["display"], "김민준 王芳 edited");
    assert_ne!(name["label"], "Name", "labels follow the language");
    assert_eq!(
        a.code(
            "record_update",
            json!({ "id": id, "values": {}, "attachments": [] })
        ),
        "invalid_value"
    );
    assert_eq!(
        a.code("record_get", json!({ "id": "ffffffffffff", "lang": "en" })),
        "record_not_found"
    );

    let h = a.ok("record_history", json!({ "id": id, "lang": "en" }));
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[1]["kind"], "write");
    assert_eq!(
        a.code(
            "record_history",
            json!({ "id": "ffffffffffff", "lang": "en" })
        ),
        "record_not_found"
    );

    a.ok("record_delete", json!({ "id": other }));
    assert_eq!(
        a.code("record_delete", json!({ "id": other })),
        "record_deleted"
    );
    assert_eq!(page(0, 10, false)["total"], 1);
    a.ok("record_purge", json!({ "id": id }));
    assert_eq!(
        a.ok("records_search", json!({ "query": "민준" }))["items"],
        json!([])
    );
    assert_eq!(
        a.code("record_purge", json!({ "id": "ffffffffffff" })),
        "record_not_found"
    );
}

/// One value of each field type, shared with the UI's tests (`ui/src/lib/fields.test.ts`).
fn golden_values() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/ipc/field-values.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What the UI sends for each field type is what the vault stores and the record view
/// returns; what the CLI stores from typed text is the same; and editing one field
/// through IPC leaves every other value as it was (a location once came back empty
/// from the UI and its save cleared it everywhere).
#[test]
fn every_field_type_crosses_ipc_in_the_shape_the_ui_sends() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.create();
    let golden = golden_values();
    let cases = golden["values"].as_array().unwrap();
    assert_eq!(cases.len(), 8, "one case per field type");
    let sent: serde_json::Map<String, Value> = cases
        .iter()
        .map(|c| (c["field"].as_str().unwrap().to_owned(), c["stored"].clone()))
        .collect();
    let id = a.ok(
        "record_create",
        json!({ "form": golden["form"], "values": sent, "attachments": [] }),
    );
    let stored = |id: &Value| -> serde_json::Map<String, Value> {
        let r = a.ok("record_get", json!({ "id": id, "lang": "en" }));
        r["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_owned(),
                    f["values"][0]["value"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(stored(&id), sent, "stored as sent");

    a.ok(
        "record_update",
        json!({ "id": id, "values": { "name": "Another name" }, "attachments": [] }),
    );
    let mut want = sent.clone();
    want.insert("name".into(), json!("Another name"));
    assert_eq!(stored(&id), want, "an edit of one field keeps the others");

    // A location sent in the old `[lat, lon]` shape means the same place, and is
    // stored in the one shape: it is never half-read or lost.
    a.ok(
        "record_update",
        json!({ "id": id, "values": { "location": [1.5, 2.0] }, "attachments": [] }),
    );
    assert_eq!(stored(&id)["location"], json!({ "lat": 1.5, "lon": 2.0 }));
    a.ok(
        "record_update",
        json!({ "id": id, "values": { "location": sent["location"] }, "attachments": [] }),
    );
    assert_eq!(stored(&id), want);

    // The CLI's typed text stores the same values as the app's.
    a.ok("vault_lock", json!({}));
    let pass = satchel_api::SecretString::from(PASS);
    let mut v =
        satchel_api::unlock(&tmp.path().join("vault"), &pass, KdfProfile::InsecureTest).unwrap();
    let typed: Vec<(String, satchel_api::FieldInput)> = cases
        .iter()
        .map(|c| {
            let text = c["cli"].as_str().unwrap().to_owned();
            (
                c["field"].as_str().unwrap().to_owned(),
                satchel_api::FieldInput::Text(text),
            )
        })
        .collect();
    let cli = v.add_record("contact", &typed, &[]).unwrap();
    let view = v.record(&cli, "en").unwrap();
    let from_cli: serde_json::Map<String, Value> = view
        .fields
        .iter()
        .map(|f| (f.id.clone(), f.values[0].value.clone()))
        .collect();
    assert_eq!(from_cli, sent, "the CLI stores what the app sends");
}

#[test]
fn drafts_are_kept_in_the_vault_through_a_lock_and_bad_ones_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.create();
    let id = a.add_contact("Kept Person");
    let body = json!({ "inputs": { "name": "김민준 王芳", "household_size": "three" }, "files": ["photo.png"] });
    a.ok("draft_save", json!({ "key": "new:contact", "body": body }));
    let edit = format!("record:{id}");
    a.ok(
        "draft_save",
        json!({ "key": edit, "body": { "inputs": { "phone": "1" } } }),
    );

    a.ok("vault_lock", json!({}));
    for cmd in ["drafts_list", "draft_get", "draft_save", "draft_discard"] {
        let args = json!({ "key": "new:contact", "body": {} });
        assert_eq!(a.code(cmd, args), "vault_locked", "{cmd}");
    }
    a.ok("vault_unlock", json!({ "passphrase": PASS }));

    let got = a.ok("draft_get", json!({ "key": "new:contact" }));
    assert_eq!(got["key"], "new:contact");
    assert_eq!(got["body"], body);
    assert!(got["savedMs"].as_i64().unwrap() > 1_700_000_000_000);
    let list = a.ok("drafts_list", json!({}));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for d in list {
        assert_eq!(d["form"], "contact");
        assert_eq!(d.as_object().unwrap().len(), 3, "{d}");
    }

    let bad = |key: &str, body: Value| a.code("draft_save", json!({ "key": key, "body": body }));
    assert_eq!(bad("new:nope", json!({})), "unknown_form");
    assert_eq!(bad("contact", json!({})), "invalid_draft");
    assert_eq!(bad("new:contact", json!("text")), "invalid_value");
    assert_eq!(
        bad("new:contact", json!({ "n": "x".repeat(1024 * 1024) })),
        "draft_too_large"
    );
    assert_eq!(
        a.ok("draft_get", json!({ "key": "new:contact" }))["body"],
        body,
        "a refused save keeps the draft that was there"
    );

    assert_eq!(a.ok("draft_discard", json!({ "key": "new:contact" })), true);
    assert_eq!(
        a.ok("draft_discard", json!({ "key": "new:contact" })),
        false
    );
    assert_eq!(
        a.ok("draft_get", json!({ "key": "new:contact" })),
        Value::Null
    );
    assert_eq!(a.ok("drafts_list", json!({})).as_array().unwrap().len(), 1);
}

#[test]
fn attachments_are_staged_in_memory_and_survive_a_refused_save() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    assert!(
        a.raw_call(
            "attachment_stage",
            InvokeBody::Raw(vec![1]),
            &[("x-satchel-name", "a.txt")]
        )
        .is_err(),
        "locked"
    );
    a.create();
    let png = b"\x89PNG\r\n\x1a\nnot really";
    let staged = a.stage("%ED%95%9C.png", png);
    let e = a
        .raw_call("attachment_stage", InvokeBody::Raw(vec![1]), &[])
        .unwrap_err();
    assert_eq!(e["field"], "name");
    let e = a
        .raw_call(
            "attachment_stage",
            InvokeBody::Json(json!({})),
            &[("x-satchel-name", "a")],
        )
        .unwrap_err();
    assert_eq!(e["code"], "invalid_value");

    // A refused save keeps the staged file for the next try.
    let bad = json!({ "form": "contact", "values": {}, "attachments": [staged] });
    assert_eq!(a.code("record_create", bad), "missing_required");
    let good =
        json!({ "form": "contact", "values": { "name": "With photo" }, "attachments": [staged] });
    let id = a.ok("record_create", good.clone());
    assert_eq!(
        a.code("record_create", good),
        "invalid_value",
        "a staged file is used once"
    );

    let r = a.ok("record_get", json!({ "id": id, "lang": "en" }));
    let att = &r["attachments"][0];
    assert_eq!(
        (att["name"].as_str(), att["size"].as_u64()),
        (Some("한.png"), Some(png.len() as u64))
    );
    let hash = att["blake3"].as_str().unwrap().to_owned();
    let bytes = a
        .raw_call(
            "attachment_get",
            InvokeBody::Json(json!({ "record": id, "blake3": hash })),
            &[],
        )
        .unwrap();
    match bytes {
        InvokeResponseBody::Raw(b) => assert_eq!(b, png),
        InvokeResponseBody::Json(j) => panic!("expected raw bytes, got {j}"),
    }
    assert_eq!(
        a.code("attachment_get", json!({ "record": id, "blake3": "00" })),
        "attachment_not_found"
    );

    let second = a.stage("b.txt", b"hello");
    a.ok("attachment_unstage", json!({ "id": second }));
    let e = a.err(
        "record_update",
        json!({ "id": id, "values": {}, "attachments": [second] }),
    );
    assert_eq!(e["field"], "attachments");
    a.ok("attachment_remove", json!({ "record": id, "blake3": hash }));
    assert_eq!(
        a.code("attachment_remove", json!({ "record": id, "blake3": hash })),
        "attachment_not_found"
    );

    // Locking drops what is staged.
    let third = a.stage("c.txt", b"third");
    a.ok("vault_lock", json!({}));
    a.ok("vault_unlock", json!({ "passphrase": PASS }));
    let e = a.err(
        "record_update",
        json!({ "id": id, "values": { "name": "x" }, "attachments": [third] }),
    );
    assert_eq!(e["field"], "attachments");
}

fn settings(lang: Value, minutes: u32, action: &str) -> Value {
    json!({ "settings": { "language": lang, "autoLockMinutes": minutes, "panicAction": action, "panicShortcut": "Ctrl+Shift+X" } })
}

#[test]
fn settings_live_in_the_vault_and_bad_ones_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.create();
    let s = a.ok("settings_get", json!({}));
    assert_eq!(
        s,
        json!({ "language": null, "autoLockMinutes": 5, "panicAction": "lock", "panicShortcut": "Ctrl+Shift+X" })
    );
    let e = a.err("settings_set", settings(json!("fr"), 5, "lock"));
    assert_eq!(e["field"], "language");
    assert_eq!(
        a.err("settings_set", settings(Value::Null, 0, "lock"))["field"],
        "autoLockMinutes"
    );
    assert!(
        a.call("settings_set", settings(Value::Null, 5, "explode"))
            .is_err()
    );
    a.ok("settings_set", settings(json!("ko"), 10, "wipe"));
    a.ok("vault_lock", json!({}));
    assert_eq!(a.code("settings_get", json!({})), "vault_locked");
    a.ok("vault_unlock", json!({ "passphrase": PASS }));
    let s = a.ok("settings_get", json!({}));
    assert_eq!(
        (s["language"].as_str(), s["autoLockMinutes"].as_u64()),
        (Some("ko"), Some(10))
    );
    // The settings are inside the encrypted database, not beside it.
    let names: Vec<String> = std::fs::read_dir(tmp.path().join("vault"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| [
            "keyslots",
            "vault.db",
            "spare.db",
            "vault.db-wal",
            "spare.db-wal",
            "vault.pack",
            "spare.pack"
        ]
        .contains(&n.as_str())),
        "{names:?}"
    );
}

#[test]
fn passphrase_and_duress_need_the_current_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.create();
    let change = |cur: &str, next: &str| json!({ "current": cur, "next": next });
    assert_eq!(
        a.code(
            "passphrase_change",
            change("wrong passphrase", "brand new passphrase")
        ),
        "wrong_passphrase"
    );
    assert_eq!(
        a.code("passphrase_change", change(PASS, "short")),
        "weak_passphrase"
    );
    a.ok("passphrase_change", change(PASS, "brand new passphrase"));

    let duress = |cur: &str, d: &str| json!({ "current": cur, "duress": d });
    assert_eq!(
        a.code("duress_set", duress(PASS, "the duress phrase")),
        "wrong_passphrase"
    );
    assert_eq!(
        a.code(
            "duress_set",
            duress("brand new passphrase", "brand new passphrase")
        ),
        "duress_same_as_main"
    );
    a.ok(
        "duress_set",
        duress("brand new passphrase", "the duress phrase"),
    );
    a.ok("vault_lock", json!({}));
    assert_eq!(
        a.code("vault_unlock", json!({ "passphrase": PASS })),
        "wrong_passphrase"
    );
    a.ok(
        "vault_unlock",
        json!({ "passphrase": "brand new passphrase" }),
    );
    assert_eq!(a.ok("vault_info", json!({ "lang": "en" }))["records"], 0);
}

#[test]
fn rekey_needs_the_passphrase_and_replaces_the_recovery_key() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    let old_key = a.create();
    a.add_contact("kept through the rekey");
    assert_eq!(
        a.code("vault_rekey", json!({ "current": "wrong passphrase" })),
        "wrong_passphrase"
    );
    let r = a.ok("vault_rekey", json!({ "current": PASS }));
    let new_key = r["recoveryKey"].as_str().unwrap().to_owned();
    assert_ne!(new_key, old_key);
    assert_eq!(a.ok("vault_info", json!({ "lang": "en" }))["records"], 1);
    a.ok("vault_lock", json!({}));
    let recover = |key: &str| json!({ "recoveryKey": key, "newPassphrase": "after the rekey" });
    assert_eq!(
        a.code("vault_recover", recover(&old_key)),
        "wrong_recovery_key"
    );
    a.ok("vault_recover", recover(&new_key));
    assert_eq!(a.ok("vault_info", json!({ "lang": "en" }))["records"], 1);
}

#[test]
fn the_decoy_is_prepared_from_the_app_and_opened_by_the_duress_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.create();
    a.add_contact("the real one");
    a.ok(
        "duress_set",
        json!({ "current": PASS, "duress": "the duress phrase" }),
    );
    assert_eq!(
        a.code("decoy_open", json!({ "current": "wrong passphrase" })),
        "wrong_passphrase"
    );
    a.ok("decoy_open", json!({ "current": PASS }));
    assert_eq!(a.ok("vault_info", json!({ "lang": "en" }))["records"], 0);
    a.add_contact("a believable neighbour");
    let change = json!({ "current": PASS, "next": "something else entirely" });
    assert_eq!(a.code("passphrase_change", change), "decoy_only");
    assert_eq!(
        a.code("vault_rekey", json!({ "current": PASS })),
        "decoy_only"
    );
    a.ok("vault_lock", json!({}));
    a.ok("vault_unlock", json!({ "passphrase": PASS }));
    assert_eq!(a.ok("vault_info", json!({ "lang": "en" }))["records"], 1);
    a.ok("vault_lock", json!({}));
    a.ok("vault_unlock", json!({ "passphrase": "the duress phrase" }));
    let found = a.ok(
        "records_search",
        json!({ "query": "neighbour", "form": null }),
    );
    assert!(found.to_string().contains("neighbour"), "{found}");
}

#[test]
fn panic_locks_or_wipes_as_set_and_wipe_needs_the_word() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.ok("panic", json!({}));
    assert_eq!(
        a.ok("vault_state", json!({}))["exists"],
        false,
        "panic with no vault is harmless"
    );
    a.create();
    a.add_contact("someone");
    a.ok("panic", json!({}));
    let s = a.ok("vault_state", json!({}));
    assert_eq!(
        (
            s["unlocked"].as_bool(),
            s["lockReason"].as_str(),
            s["exists"].as_bool()
        ),
        (Some(false), None, Some(true)),
        "a panic lock looks like a start: no reason to show"
    );

    a.ok("vault_unlock", json!({ "passphrase": PASS }));
    for wrong in ["wipe", " WIPE", "삭", "删", ""] {
        assert_eq!(
            a.code("vault_wipe", json!({ "confirm": wrong })),
            "wrong_confirmation",
            "{wrong:?}"
        );
    }
    assert_eq!(
        a.ok("vault_info", json!({ "lang": "en" }))["records"],
        1,
        "a wrong word changes nothing"
    );
    a.ok("settings_set", settings(Value::Null, 5, "wipe"));
    a.ok("vault_lock", json!({}));
    // Even locked, the panic shortcut remembers it should wipe.
    a.ok("panic", json!({}));
    assert_eq!(
        a.ok("vault_state", json!({})),
        json!({ "exists": false, "unlocked": false, "lockReason": null, "panicShortcut": "Ctrl+Shift+X" }),
        "an erased vault looks like a new install: nothing says it was erased"
    );
    assert_eq!(
        a.code("vault_unlock", json!({ "passphrase": PASS })),
        "no_vault"
    );

    let b = app(&tmp.path().join("b"), "main");
    b.create();
    b.ok("vault_wipe", json!({ "confirm": "WIPE" }));
    assert_eq!(b.ok("vault_state", json!({}))["exists"], false);
}

#[test]
fn bundles_move_records_between_two_apps_and_conflicts_resolve() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(&tmp.path().join("a"), "main");
    let b = app(&tmp.path().join("b"), "main");
    a.create();
    b.create();
    let card_a = a.ok("identity_get", json!({ "lang": "en" }))["card"]
        .as_str()
        .unwrap()
        .to_owned();
    let card_b = b.ok("identity_get", json!({ "lang": "en" }))["card"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        a.code("peer_add", json!({ "card": "SATCHEL-XYZ", "name": "b" })),
        "invalid_card"
    );
    assert_eq!(
        a.code("peer_add", json!({ "card": card_a, "name": "me" })),
        "peer_is_self"
    );
    a.ok("peer_add", json!({ "card": card_b, "name": "coordinator" }));
    assert_eq!(
        a.code("peer_add", json!({ "card": card_b, "name": "again" })),
        "peer_exists"
    );
    b.ok("peer_add", json!({ "card": card_a, "name": "worker" }));
    assert_eq!(
        a.ok("peers_list", json!({ "lang": "en" }))[0]["name"],
        "coordinator"
    );

    // Drives are folders under the media root, known by id only.
    assert_eq!(a.ok("drives_list", json!({})), json!([]));
    std::fs::create_dir_all(tmp.path().join("a/media/USB")).unwrap();
    let drives = a.ok("drives_list", json!({}));
    assert_eq!(drives, json!([{ "id": "0/USB", "label": "USB" }]));
    assert_eq!(
        a.code(
            "bundle_export_drive",
            json!({ "peers": ["coordinator"], "drive": "0/GONE" })
        ),
        "no_drive"
    );
    assert_eq!(
        a.code(
            "bundle_export_drive",
            json!({ "peers": ["nobody"], "drive": "0/USB" })
        ),
        "unknown_peer"
    );
    assert_eq!(
        a.code(
            "bundle_export_drive",
            json!({ "peers": [], "drive": "0/USB" })
        ),
        "bundle_recipients"
    );
    assert_eq!(
        a.code("bundle_export_choose", json!({ "peers": [] })),
        "bundle_recipients"
    );

    let id = a.add_contact("박서연 李娜");
    let export = |app: &App, to: &str| {
        let r = app.ok(
            "bundle_export_drive",
            json!({ "peers": [to], "drive": "0/USB" }),
        );
        std::fs::read(
            tmp.path()
                .join(if to == "coordinator" { "a" } else { "b" })
                .join("media/USB")
                .join(r["file"].as_str().unwrap()),
        )
        .unwrap()
    };
    let import = |app: &App, bytes: Vec<u8>| {
        app.raw_call("bundle_import", InvokeBody::Raw(bytes), &[])
            .map(|r| r.deserialize::<Value>().unwrap())
    };
    let bundle = export(&a, "coordinator");
    let r = import(&b, bundle.clone()).unwrap();
    assert_eq!(
        (r["applied"].as_u64(), r["quarantined"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        import(&b, bundle.clone()).unwrap()["already_imported"],
        true
    );
    // Refused: the code and a reason code say why, in any language; nothing else is
    // needed (the English message is for support).
    let refused = import(&a, bundle).unwrap_err();
    assert_eq!(
        (&refused["code"], &refused["params"]),
        (&json!("bundle_refused"), &json!({ "reason": "not_for_us" })),
        "not addressed to its sender: {refused}"
    );
    assert!(refused.get("field").is_none(), "{refused}");
    let refused = import(&b, vec![0; 70_000]).unwrap_err();
    assert_eq!(refused["code"], "bundle_refused");
    assert!(refused["params"]["reason"].is_string(), "{refused}");
    assert!(import(&b, vec![]).is_err());
    assert_eq!(b.ok("sync_status", json!({}))[0]["name"], "worker");

    // Both edit the same field, then exchange: a conflict on each side.
    std::fs::create_dir_all(tmp.path().join("b/media/USB")).unwrap();
    a.ok(
        "record_update",
        json!({ "id": id, "values": { "name": "from the worker" }, "attachments": [] }),
    );
    b.ok(
        "record_update",
        json!({ "id": id, "values": { "name": "from the coordinator" }, "attachments": [] }),
    );
    let r = import(&b, export(&a, "coordinator")).unwrap();
    assert_eq!(r["conflicts_created"], 1);
    let conflicts = b.ok("conflicts_list", json!({ "lang": "en" }));
    assert_eq!(conflicts.as_array().unwrap().len(), 1);
    assert_eq!(conflicts[0]["field"], "name");
    assert_eq!(conflicts[0]["label"], "Name");
    assert_eq!(conflicts[0]["title"], "from the coordinator");
    assert_eq!(conflicts[0]["label"], "Name");
    assert_eq!(conflicts[0]["title"], "from the coordinator");
    let values = conflicts[0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 2);
    let pick = values
        .iter()
        .find(|v| v["display"] == "from the worker")
        .unwrap()["op"]
        .as_str()
        .unwrap()
        .to_owned();
    let resolve =
        |resolution: Value| json!({ "record": id, "field": "name", "resolution": resolution });
    assert_eq!(
        b.code("conflict_resolve", resolve(json!({ "pick": "000000" }))),
        "no_such_value"
    );
    // The input is typed: one of `pick` or `value`, never both or neither, and the
    // old untyped shape is refused before it reaches the vault.
    for bad in [
        json!({ "record": id, "field": "name", "pick": pick, "value": null }),
        resolve(json!({})),
        resolve(json!({ "pick": pick, "value": "x" })),
        resolve(json!({ "value": null })),
        resolve(json!({ "value": { "lat": 1 } })),
    ] {
        assert!(b.call("conflict_resolve", bad.clone()).is_err(), "{bad}");
    }
    assert_eq!(
        b.ok("conflicts_list", json!({ "lang": "en" }))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    b.ok("conflict_resolve", resolve(json!({ "pick": pick })));
    assert_eq!(b.ok("conflicts_list", json!({ "lang": "en" })), json!([]));
    assert_eq!(
        b.code("conflict_resolve", resolve(json!({ "pick": pick }))),
        "no_conflict"
    );

    // A new value, typed as the field's, ends a conflict too.
    a.ok(
        "record_update",
        json!({ "id": id, "values": { "name": "worker again" }, "attachments": [] }),
    );
    b.ok(
        "record_update",
        json!({ "id": id, "values": { "name": "coordinator again" }, "attachments": [] }),
    );
    assert_eq!(
        import(&b, export(&a, "coordinator")).unwrap()["conflicts_created"],
        1
    );
    b.ok("conflict_resolve", resolve(json!({ "value": "agreed" })));
    let shown = b.ok("record_get", json!({ "id": id, "lang": "en" }));
    let name = shown["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "name")
        .unwrap();
    assert_eq!(name["values"].as_array().unwrap().len(), 1);
    assert_eq!(name["values"][0]["value"], "agreed");
    // Nothing was set aside; a change that is not there cannot be shown or dropped.
    assert_eq!(b.ok("quarantine_list", json!({})), json!([]));
    for cmd in ["quarantine_get", "quarantine_drop"] {
        assert_eq!(
            b.code(cmd, json!({ "id": "00000000" })),
            "not_in_quarantine"
        );
        assert_eq!(b.code(cmd, json!({ "id": "x" })), "not_in_quarantine");
    }

    b.ok("peer_remove", json!({ "name": "worker" }));
    assert_eq!(
        b.code("peer_remove", json!({ "name": "worker" })),
        "unknown_peer"
    );
}

#[test]
fn the_capability_grants_every_command_to_the_main_window_only() {
    let tmp = tempfile::tempdir().unwrap();
    let main = app(tmp.path(), "main");
    for cmd in satchel_app::command_names() {
        let e = main.call(cmd, json!({})).err().unwrap_or(Value::Null);
        let text = e.to_string();
        assert!(
            !text.contains("not allowed") && !text.contains("not found"),
            "{cmd}: {text}"
        );
    }
    let cap: Value =
        serde_json::from_str(include_str!("../capabilities/main-window.json")).unwrap();
    let mut granted: Vec<String> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            p.as_str()?
                .strip_prefix("allow-")
                .map(|s| s.replace('-', "_"))
        })
        .collect();
    let mut declared: Vec<String> = satchel_app::command_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    granted.sort();
    declared.sort();
    assert_eq!(granted, declared);
    let others: Vec<&str> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|p| !p.starts_with("allow-"))
        .collect();
    assert_eq!(
        others,
        ["core:event:allow-listen", "core:event:allow-unlisten"]
    );

    // The dialog plugin is used from Rust only: its JavaScript commands are not
    // granted, and the fs plugin it depends on at compile time is never registered.
    for cmd in [
        "plugin:dialog|open",
        "plugin:dialog|save",
        "plugin:fs|read_file",
        "plugin:fs|write_file",
        "plugin:shell|execute",
        "plugin:http|fetch",
        "plugin:opener|open_url",
    ] {
        let e = main
            .call(cmd, json!({ "path": "/etc/passwd", "options": {} }))
            .expect_err(cmd);
        let text = e.to_string();
        assert!(
            text.contains("not allowed") || text.contains("not found"),
            "{cmd}: {text}"
        );
    }

    let other = app(&tmp.path().join("o"), "other");
    let e = other.call("vault_state", json!({})).unwrap_err();
    assert!(e.to_string().contains("not allowed"), "{e}");
}

/// The organisation through IPC: created on one app, a request from another approved
/// only with the words that app shows (here in Korean), accepted there, both member
/// lists alike; the last coordinator cannot be revoked.
#[test]
fn an_organisation_is_created_and_a_device_enrolled_through_ipc() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(&tmp.path().join("a"), "main");
    let b = app(&tmp.path().join("b"), "main");
    a.create();
    b.create();
    assert_eq!(a.ok("org_get", json!({ "lang": "en" })), Value::Null);
    // Fingerprint words in the UI's language wherever they are shown.
    let ko = a.ok("vault_info", json!({ "lang": "ko" }))["fingerprint"].clone();
    let en = a.ok("vault_info", json!({ "lang": "en" }))["fingerprint"].clone();
    assert!(
        ko.as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c)),
        "{ko}"
    );
    assert_eq!(
        a.ok("identity_get", json!({ "lang": "ko" }))["fingerprint"],
        ko
    );
    assert_eq!(
        a.ok("identity_get", json!({ "lang": "xx" }))["fingerprint"],
        en
    );
    let created = a.ok(
        "org_create",
        json!({ "name": "Border Aid", "memberName": "Min-ji", "lang": "en" }),
    );
    assert_eq!(created["org"]["name"], "Border Aid");
    assert_eq!(created["members"][0]["role"], "coordinator");
    assert_eq!(created["members"][0]["this_device"], true);

    let req = b.ok("enrol_request", json!({ "name": "Field 7", "lang": "ko" }));
    let words = req["fingerprint"].as_str().unwrap().to_owned();
    assert!(
        words
            .chars()
            .any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c)),
        "{words}"
    );
    let text = req["transfer"]["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with("SATCHEL-ENROL-"), "{text}");
    let qr = req["transfer"]["qr"].as_str().unwrap();
    assert!(qr.contains("<svg") && !qr.contains(&text));

    let mut wrong: Vec<&str> = words.split(' ').collect();
    wrong.rotate_left(1);
    let approve = |typed: &str| {
        json!({
            "request": text, "fingerprint": typed, "role": "field",
            "validDays": 30, "lang": "en"
        })
    };
    assert_eq!(
        a.code("enrol_approve", approve(&wrong.join(" "))),
        "fingerprint_mismatch"
    );
    assert_eq!(
        a.ok("org_get", json!({ "lang": "en" }))["members"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing issued"
    );
    let approved = a.ok("enrol_approve", approve(&words));
    assert_eq!(approved["member"]["name"], "Field 7");
    let cert = approved["transfer"]["text"].as_str().unwrap().to_owned();
    assert!(
        approved["transfer"]["qr"]
            .as_str()
            .unwrap()
            .contains("<svg")
    );

    assert_eq!(
        b.code(
            "enrol_accept",
            json!({ "certificate": "SATCHEL-CERT-XXXX", "lang": "en" })
        ),
        "membership"
    );
    let joined = b.ok("enrol_accept", json!({ "certificate": cert, "lang": "en" }));
    let names = |v: &Value| {
        let mut n: Vec<String> = v["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                format!(
                    "{} {}",
                    m["name"].as_str().unwrap(),
                    m["role"].as_str().unwrap()
                )
            })
            .collect();
        n.sort();
        n
    };
    let on_a = a.ok("org_get", json!({ "lang": "en" }));
    assert_eq!(names(&joined), names(&on_a));
    assert_eq!(names(&on_a), ["Field 7 field", "Min-ji coordinator"]);

    // The last coordinator stays; a field worker may not revoke.
    let last = a.err(
        "member_revoke",
        json!({ "name": "Min-ji", "fromSeq": null }),
    );
    assert_eq!(last["code"], "membership");
    assert!(
        last["message"].as_str().unwrap().contains("coordinator"),
        "{last}"
    );
    assert_eq!(
        b.code(
            "member_revoke",
            json!({ "name": "Min-ji", "fromSeq": null })
        ),
        "membership"
    );
    let rev = a.ok("member_revoke", json!({ "name": "Field 7", "fromSeq": 5 }));
    assert!(
        rev["text"].as_str().unwrap().starts_with("SATCHEL-"),
        "{rev}"
    );
    let field = a.ok("org_get", json!({ "lang": "en" }))["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Field 7")
        .cloned()
        .unwrap();
    assert_eq!(field["status"], "revoked from op 5");

    // The revocation carried to the revoked device's app: it sees itself revoked.
    assert_eq!(
        b.code("member_import", json!({ "text": "SATCHEL-REVOKE-XXXX" })),
        "membership"
    );
    assert_eq!(b.ok("member_import", json!({ "text": rev["text"] })), 1);
    assert_eq!(b.ok("member_import", json!({ "text": rev["text"] })), 0);
    let me = b.ok("org_get", json!({ "lang": "en" }))["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["this_device"] == true)
        .cloned()
        .unwrap();
    assert_eq!(me["status"], "revoked from op 5");
}

/// Assignment and offload through IPC: a coordinator assigns only to a member, keeps
/// every record (offload refused), and its offload policy is off until it is chosen.
#[test]
fn assignment_and_the_offload_policy_through_ipc() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(&tmp.path().join("a"), "main");
    a.create();
    let id = a.add_contact("김민준 王芳");
    // In no organisation there is no one to assign to, and nothing to offload.
    let none = json!({ "id": id, "member": "Min-ji", "assign": true, "lang": "en" });
    assert_eq!(a.code("record_assign", none.clone()), "membership");
    assert_eq!(
        a.code("offload_run", json!({ "dryRun": true })),
        "membership"
    );
    a.ok(
        "org_create",
        json!({ "name": "Border Aid", "memberName": "Min-ji", "lang": "en" }),
    );
    let shown = a.ok("record_assign", none);
    assert_eq!(
        shown["assigned"],
        json!(["Min-ji (coordinator, this device)"])
    );
    let nobody = json!({ "id": id, "member": "Nobody", "assign": true, "lang": "en" });
    assert_eq!(a.code("record_assign", nobody), "membership");
    let policy = a.ok("offload_policy_get", json!({}));
    assert_eq!(
        policy,
        json!({ "enabled": false, "chosen": false, "held": 1 })
    );
    let set = a.ok("offload_policy_set", json!({ "enabled": true }));
    assert_eq!(set, json!({ "enabled": true, "chosen": true, "held": 1 }));
    let refused = a.err("offload_run", json!({ "dryRun": false }));
    assert_eq!(refused["code"], "membership");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("coordinators keep"),
        "{refused}"
    );
}

/// Network sync through IPC: relays added and refused, the policy set and refused,
/// and a sync the policy holds back makes no connection at all; one it allows does,
/// and the failure is reported as the relay's.
#[test]
fn network_sync_asks_the_policy_before_any_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(&tmp.path().join("a"), "main");
    a.create();
    assert_eq!(a.ok("relays_list", json!({})), json!([]));
    assert_eq!(a.code("sync_now", json!({})), "relay");
    // A listener that counts the connections made to it and closes each.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", trap.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    std::thread::spawn(move || {
        for conn in trap.incoming() {
            drop(conn);
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let seen = || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        count.load(std::sync::atomic::Ordering::Relaxed)
    };
    let token = "A".repeat(43);
    let mailbox =
        json!({ "mailbox": "ab".repeat(32), "deposit": token, "collect": token }).to_string();
    let bad = a.err("relay_add", json!({ "url": url, "mailbox": "{}" }));
    assert_eq!(bad["code"], "relay");
    assert_eq!(bad["params"]["reason"], "bad_mailbox");
    let added = a.ok("relay_add", json!({ "url": url, "mailbox": mailbox }));
    assert_eq!(added["mailbox"], "abababab");
    let listed = a.ok("relays_list", json!({}));
    assert!(!listed.to_string().contains(&token), "a token crossed IPC");
    let mut policy = a.ok("sync_policy_get", json!({}));
    assert_eq!(policy["auto"], false);
    policy["windows"] = json!(["25:00-01:00"]);
    let refused = a.err("sync_policy_set", json!({ "policy": policy }));
    assert_eq!(refused["code"], "invalid_sync_policy");
    assert_eq!(refused["params"]["reason"], "window");
    policy["windows"] = json!([]);
    policy["proxy_only"] = json!(true);
    a.ok("sync_policy_set", json!({ "policy": policy }));
    let held = a.err("sync_now", json!({}));
    assert_eq!(held["code"], "sync_not_allowed");
    assert_eq!(held["params"]["reason"], "proxy_required");
    assert_eq!(
        a.code(
            "relay_register",
            json!({ "url": "http://127.0.0.1:9", "token": "t" })
        ),
        "sync_not_allowed"
    );
    assert_eq!(seen(), 0, "a connection despite the policy");
    assert_eq!(a.ok("sync_last", json!({})), json!(null));
    policy["proxy_only"] = json!(false);
    a.ok("sync_policy_set", json!({ "policy": policy }));
    let report = a.ok("sync_now", json!({}));
    assert_eq!(report["errors"][0]["code"], "relay", "{report}");
    assert!(seen() > 0);
    assert_eq!(a.ok("sync_last", json!({}))["complete"], false);
    a.ok("relay_remove", json!({ "url": url }));
    assert_eq!(a.ok("relays_list", json!({})), json!([]));
}

/// A peer added from a card is unverified until the words its own screen shows
/// (here in Chinese) are typed; other words change nothing.
#[test]
fn a_peer_is_verified_through_ipc_with_the_words_its_screen_shows() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(&tmp.path().join("a"), "main");
    let b = app(&tmp.path().join("b"), "main");
    a.create();
    b.create();
    let card_b = b.ok("identity_get", json!({ "lang": "zh-Hans" }));
    let zh = card_b["fingerprint"].as_str().unwrap().to_owned();
    let added = a.ok("peer_add", json!({ "card": card_b["card"], "name": "b" }));
    assert_eq!(added["verified"], false);
    let listed = a.ok("peers_list", json!({ "lang": "zh-Hans" }));
    assert_eq!(listed[0]["fingerprint"], zh.as_str());
    assert_eq!(listed[0]["verified"], false);
    let mut wrong: Vec<&str> = zh.split(' ').collect();
    wrong.rotate_left(1);
    assert_eq!(
        a.code(
            "peer_verify",
            json!({ "name": "b", "fingerprint": wrong.join(" ") })
        ),
        "fingerprint_mismatch"
    );
    assert_eq!(
        a.ok("peers_list", json!({ "lang": "en" }))[0]["verified"],
        false
    );
    let v = a.ok("peer_verify", json!({ "name": "b", "fingerprint": zh }));
    assert_eq!(v["verified"], true);
    assert_eq!(
        a.ok("peers_list", json!({ "lang": "en" }))[0]["verified"],
        true
    );
}

#[test]
fn a_report_is_written_to_a_drive_under_a_free_name_and_bad_requests_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    let request = json!({ "form": "contact", "format": "csv", "lang": "ko",
                          "fields": ["name"], "columns": { "id": true } });
    assert_eq!(
        a.code(
            "records_export_drive",
            json!({ "request": request, "drive": "0/USB" })
        ),
        "vault_locked"
    );
    a.create();
    let kim = a.add_contact("김철수 =1+1");
    let wang = a.add_contact("王小明");
    std::fs::create_dir_all(tmp.path().join("media/USB")).unwrap();
    assert_eq!(
        a.code(
            "records_export_drive",
            json!({ "request": request, "drive": "0/GONE" })
        ),
        "no_drive"
    );
    let bad_form = json!({ "form": "nope", "format": "xlsx", "lang": "en" });
    assert_eq!(
        a.code(
            "records_export_drive",
            json!({ "request": bad_form, "drive": "0/USB" })
        ),
        "unknown_form"
    );
    // Refused before the folder dialog opens.
    assert_eq!(
        a.code("records_export_choose", json!({ "request": bad_form })),
        "unknown_form"
    );
    let one = json!({ "form": "contact", "format": "csv", "lang": "en", "ids": [kim] });
    let first = a.ok(
        "records_export_drive",
        json!({ "request": one, "drive": "0/USB" }),
    );
    assert_eq!(first["records"], 1);
    let second = a.ok(
        "records_export_drive",
        json!({ "request": request, "drive": "0/USB" }),
    );
    assert_eq!(second["records"], 2);
    let (f1, f2) = (
        first["file"].as_str().unwrap(),
        second["file"].as_str().unwrap(),
    );
    assert_ne!(f1, f2, "a second report never replaces the first");
    assert!(f1.starts_with("contact-") && f1.ends_with(".csv"), "{f1}");
    let text = std::fs::read_to_string(tmp.path().join("media/USB").join(f2)).unwrap();
    assert_eq!(
        text,
        format!("\u{feff}기록 ID,이름\r\n{kim},김철수 =1+1\r\n{wang},王小明\r\n")
    );
    let mut names: Vec<_> = std::fs::read_dir(tmp.path().join("media/USB"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    // The records list's filter, in the shape the UI sends it (`toRecordFilter`).
    let filtered = |since: &str| {
        json!({ "form": "contact", "format": "csv", "lang": "en",
                "filter": { "form": null, "author": null, "author_did": "created",
                            "since": since, "until": null, "dated": "created",
                            "utc_offset_minutes": 540 } })
    };
    let all = a.ok(
        "records_export_drive",
        json!({ "request": filtered("2000"), "drive": "0/USB" }),
    );
    assert_eq!(all["records"], 2);
    let none = a.ok(
        "records_export_drive",
        json!({ "request": filtered("2999"), "drive": "0/USB" }),
    );
    assert_eq!(none["records"], 0);
    assert_eq!(
        a.code(
            "records_export_drive",
            json!({ "request": filtered("someday"), "drive": "0/USB" })
        ),
        "invalid_filter"
    );
}

/// An audit export of another vault, checked through IPC from its bytes: a clean one,
/// one with a forged signature (named by its code), and a file that is no export
/// (said without quoting it). The report is kept for its HTML until the vault locks;
/// the HTML is written atomically and never into the vault's folder. Only a
/// coordinator makes an export: a field worker is refused before any dialog opens.
#[test]
fn audit_exports_are_checked_through_ipc_and_only_a_coordinator_makes_one() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(&tmp.path().join("a"), "main");
    a.create();

    // An export made on another device (its vault opened here through the API).
    let other = tmp.path().join("other");
    let pass = satchel_api::SecretString::from(PASS);
    let (mut vault, _) = satchel_api::init(&other, &pass, KdfProfile::InsecureTest).unwrap();
    for name in ["김민준", "王芳"] {
        vault
            .add_record(
                "contact",
                &[("name".into(), satchel_api::FieldInput::Text(name.into()))],
                &[],
            )
            .unwrap();
    }
    let file = tmp.path().join("export.json");
    let ops = vault.audit_export(&file).unwrap();
    drop(vault);
    let clean = std::fs::read(&file).unwrap();

    let verify = |bytes: &[u8], name: &str| {
        a.raw_call(
            "audit_verify",
            InvokeBody::Raw(bytes.to_vec()),
            &[("x-satchel-name", name)],
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    };
    // Nothing checked yet: nothing to save, said before the dialog opens.
    let nothing = a.err("audit_save_html", json!({}));
    assert_eq!(nothing["code"], "invalid_value");
    assert_eq!(nothing["params"]["problem"], "no_audit_report");

    let checked = verify(&clean, "border%20aid.json").unwrap();
    assert_eq!(checked["file"], "border aid.json");
    let report = &checked["report"];
    assert_eq!(report["anomalies"], 0, "{report}");
    assert_eq!(report["organisation"], false);
    assert_eq!(report["devices"].as_array().unwrap().len(), 1);
    assert_eq!(report["devices"][0]["ops"], ops);
    assert_eq!(report["devices"][0]["chain"], ops);

    // One signature forged: named by its code, the rest still checked.
    let mut export: Value = serde_json::from_slice(&clean).unwrap();
    let sig = export["devices"][0]["ops"][0]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    export["devices"][0]["ops"][0]["signature"] = json!(format!("{flipped}{}", &sig[1..]));
    let forged = verify(&serde_json::to_vec(&export).unwrap(), "forged.json").unwrap();
    let anomalies = forged["report"]["devices"][0]["anomalies"]
        .as_array()
        .unwrap();
    assert!(
        anomalies.iter().any(|x| x["code"] == "op_bad_signature"),
        "{forged}"
    );
    assert!(forged["report"]["anomalies"].as_u64().unwrap() >= 1);

    // Not an export: said so, and nothing of the file is repeated.
    let refused = verify(br#"{"Kim Young-hee": "010-1234"}"#, "notes.json").unwrap_err();
    assert_eq!(refused["code"], "audit_export_unreadable");
    assert_eq!(refused["params"], json!({ "reason": "not_export" }));
    assert!(!refused.to_string().contains("Kim"), "{refused}");
    assert_eq!(
        verify(b"", "empty.json").unwrap_err()["code"],
        "audit_export_unreadable"
    );

    // The report kept is the last checked: saved as HTML (the shell's writer, which
    // the dialog's command calls), beside other files, never into the vault.
    let out = tmp.path().join("reports").join("forged-report.html");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let bytes = serde_json::to_vec(&export).unwrap();
    let kept = satchel_app::audit::AuditChecked {
        file: "forged.json".into(),
        report: satchel_app::audit::check(&bytes, &mut |_, _| {}).unwrap(),
    };
    assert_eq!(
        serde_json::to_value(&kept).unwrap(),
        forged,
        "the report the shell keeps is the one shown"
    );
    satchel_app::audit::save_html(&tmp.path().join("a/vault"), &kept, &out, "2026-12-01 10:00")
        .unwrap();
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("forged.json") && page.contains("op_bad_signature"));
    assert!(!page.contains("<script"));
    let left: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
    let into_vault = tmp.path().join("a/vault/report.html");
    assert!(matches!(
        satchel_app::audit::save_html(&tmp.path().join("a/vault"), &kept, &into_vault, "now"),
        Err(satchel_api::ApiError::ExportIntoVault)
    ));
    assert!(!into_vault.exists());
    assert_eq!(
        satchel_app::audit::report_name("border aid.json"),
        "border aid-report.html"
    );

    // A lock forgets the report.
    a.ok("vault_lock", json!({}));
    assert_eq!(
        verify(&clean, "x.json").unwrap_err()["code"],
        "vault_locked"
    );
    a.ok("vault_unlock", json!({ "passphrase": PASS }));
    assert_eq!(
        a.err("audit_save_html", json!({}))["params"]["problem"],
        "no_audit_report"
    );

    // A field worker makes no export: refused before the dialog opens.
    let b = app(&tmp.path().join("b"), "main");
    b.create();
    a.ok(
        "org_create",
        json!({ "name": "Border Aid", "memberName": "Min-ji", "lang": "en" }),
    );
    let req = b.ok("enrol_request", json!({ "name": "Field 7", "lang": "en" }));
    let approved = a.ok(
        "enrol_approve",
        json!({
            "request": req["transfer"]["text"], "fingerprint": req["fingerprint"],
            "role": "field", "validDays": 30, "lang": "en"
        }),
    );
    b.ok(
        "enrol_accept",
        json!({ "certificate": approved["transfer"]["text"], "lang": "en" }),
    );
    let refused = b.err("audit_export_make", json!({}));
    assert_eq!(refused["code"], "membership");
    assert_eq!(refused["params"]["reason"], "coordinator_only");
    // It may still check an export (the screen is not offered to it, but reading a
    // file trusts nothing of the vault).
    let checked = b
        .raw_call(
            "audit_verify",
            InvokeBody::Raw(clean.clone()),
            &[("x-satchel-name", "e.json")],
        )
        .unwrap()
        .deserialize::<Value>()
        .unwrap();
    assert_eq!(checked["report"]["anomalies"], 0);
}

/// A coordinator imports an XLSForm through IPC (a dry run first, which installs
/// nothing), and the form's rules answer as the person types: what is hidden, which
/// value breaks a constraint. A save the rules refuse is refused by the vault too.
#[test]
fn an_xlsform_is_imported_and_its_rules_answer_as_the_person_types() {
    let tmp = tempfile::tempdir().unwrap();
    let a = app(tmp.path(), "main");
    a.create();
    let xlsx = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/forms/examples/screening.xlsx"),
    )
    .unwrap();
    let import = |dry: bool| {
        let mut headers = vec![("x-satchel-name", "screening.xlsx")];
        if dry {
            headers.push(("x-satchel-dry-run", "1"));
        }
        a.raw_call(
            "form_import_xlsform",
            InvokeBody::Raw(xlsx.clone()),
            &headers,
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    };
    let summary = import(true).unwrap();
    assert_eq!(
        (summary["form"].as_str(), summary["fields"].as_u64()),
        (Some("screening"), Some(5))
    );
    assert_eq!(
        a.code("form_rules", json!({ "form": "screening", "values": {} })),
        "unknown_form"
    );
    import(false).unwrap();
    assert_eq!(import(false).unwrap_err()["code"], "form_not_newer");
    let bad = a
        .raw_call(
            "form_import_xlsform",
            InvokeBody::Raw(b"PK\x03\x04".to_vec()),
            &[("x-satchel-name", "x.xlsx")],
        )
        .unwrap_err();
    assert_eq!(
        (bad["code"].as_str(), bad["params"]["problem"].as_str()),
        (Some("xlsform"), Some("not_spreadsheet"))
    );

    let rules = |values: Value| {
        a.ok(
            "form_rules",
            json!({ "form": "screening", "values": values }),
        )
    };
    let out = rules(json!({ "has_children": "no", "age": 130 }));
    assert_eq!(out["hidden"], json!(["children_count"]));
    assert_eq!(
        out["problems"],
        json!([{ "field": "age", "problem": "constraint" }])
    );
    let out = rules(json!({ "has_children": "yes", "age": 30, "children_count": 2 }));
    assert_eq!(
        (
            out["hidden"].as_array().unwrap().len(),
            out["problems"].as_array().unwrap().len()
        ),
        (0, 0)
    );
    let refused = a.err(
        "record_create",
        json!({ "form": "screening", "values": { "name": "김", "age": 130 }, "attachments": [] }),
    );
    assert_eq!(
        (
            refused["code"].as_str(),
            refused["params"]["problem"].as_str()
        ),
        (Some("invalid_value"), Some("constraint"))
    );
    a.ok(
        "record_create",
        json!({ "form": "screening", "values": { "name": "김", "age": 30, "has_children": "yes", "children_count": 2 }, "attachments": [] }),
    );
}
