//! Unsaved form input kept inside the vault.

use satchel_api::{ApiError, drafts::MAX_DRAFT};
use serde_json::json;

use crate::*;

const CANARY: &str = "ZQXDRAFTCANARY";

/// Every file under `dir`, read whole, and whether any holds `needle`.
fn on_disk(dir: &Path, needle: &str) -> bool {
    walk(dir)
        .iter()
        .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

fn walk(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(std::fs::read(&path).unwrap());
        }
    }
    out
}

#[test]
fn a_draft_outlives_a_lock_and_goes_when_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _rk) = new_vault(dir.path());
    let id = v
        .add_record("contact", &text(&[("name", "Kept Person")]), &[])
        .unwrap();
    let typed = json!({"inputs": {"name": format!("김민준 {CANARY}"), "household_size": "three"}, "files": ["photo.png"]});
    v.save_draft("new:contact", &typed).unwrap();
    v.save_draft(
        &format!("record:{id}"),
        &json!({"inputs": {"phone": "via the church"}}),
    )
    .unwrap();
    // Locking is closing the vault; unlocking finds the input as it was typed.
    drop(v);
    assert!(!on_disk(dir.path(), CANARY));
    assert!(!on_disk(dir.path(), "via the church"));
    let mut v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();

    let kept = v.draft("new:contact").unwrap().unwrap();
    assert_eq!(kept.key, "new:contact");
    assert_eq!(kept.body, typed);
    let list = v.drafts().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|d| d.form == "contact"));
    assert!(list[0].saved_ms >= list[1].saved_ms);
    let mut keys: Vec<_> = list.iter().map(|d| d.key.clone()).collect();
    keys.sort();
    assert_eq!(keys, ["new:contact".to_owned(), format!("record:{id}")]);

    // A later save replaces it.
    v.save_draft("new:contact", &json!({"inputs": {"name": "second"}}))
        .unwrap();
    assert_eq!(
        v.draft("new:contact").unwrap().unwrap().body["inputs"]["name"],
        "second"
    );
    assert!(v.discard_draft("new:contact").unwrap());
    assert!(!v.discard_draft("new:contact").unwrap());
    assert!(v.draft("new:contact").unwrap().is_none());
    assert_eq!(v.drafts().unwrap().len(), 1);
    // Nothing else changed: the record is as it was saved.
    assert_eq!(v.records(&Default::default()).unwrap().len(), 1);
}

#[test]
fn bad_drafts_are_refused_and_keep_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _rk) = new_vault(dir.path());
    let before = json!({"inputs": {"name": "before"}});
    v.save_draft("new:contact", &before).unwrap();

    let cases: [(&str, serde_json::Value, &str); 6] = [
        ("new:nope", json!({}), "unknown_form"),
        (
            "record:00000000-0000-4000-8000-000000000000",
            json!({}),
            "record_not_found",
        ),
        ("contact", json!({}), "invalid_draft"),
        ("record:abc", json!({}), "invalid_draft"),
        (
            "new:contact",
            json!(["not", "an", "object"]),
            "invalid_value",
        ),
        (
            "new:contact",
            json!({"inputs": {"notes": "x".repeat(MAX_DRAFT)}}),
            "draft_too_large",
        ),
    ];
    for (key, body, code) in cases {
        let err = v.save_draft(key, &body).unwrap_err();
        assert_eq!(err.code().as_str(), code, "{key}: {err}");
        assert!(!err.to_string().contains("xxxxxxxx"), "{err}");
    }
    assert_eq!(v.draft("new:contact").unwrap().unwrap().body, before);
    assert!(matches!(
        v.draft("old:contact"),
        Err(ApiError::InvalidDraft(_))
    ));
    // Just under the limit is kept.
    let big = json!({"n": "x".repeat(MAX_DRAFT - 16)});
    v.save_draft("new:contact", &big).unwrap();
    assert_eq!(v.draft("new:contact").unwrap().unwrap().body, big);
}

#[test]
fn purging_a_record_erases_its_draft_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _rk) = new_vault(dir.path());
    let id = v
        .add_record("contact", &text(&[("name", "Gone Soon")]), &[])
        .unwrap();
    let key = format!("record:{id}");
    // An edit form's draft holds the record's fields as the form showed them.
    v.save_draft(&key, &json!({"inputs": {"name": "Gone Soon, typed"}}))
        .unwrap();
    v.save_draft("new:contact", &json!({"inputs": {"name": "someone else"}}))
        .unwrap();
    v.purge_record(&id).unwrap();
    assert!(v.draft(&key).unwrap().is_none());
    let list = v.drafts().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].key.as_str(), list[0].form.as_str()),
        ("new:contact", "contact")
    );
}
