//! Records, forms, attachments and search through the API.

use satchel_api::{
    ApiError, FieldInput, ListFilter, NewAttachment,
    records::{MAX_ATTACHMENT, SEARCH_LIMIT},
};
use zeroize::Zeroizing;

use crate::*;

fn attachment(name: &str, bytes: &[u8]) -> NewAttachment {
    NewAttachment::in_memory(name.into(), Zeroizing::new(bytes.to_vec()))
}

#[test]
fn add_show_edit_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let id = v
        .add_record(
            "contact",
            &text(&[("name", "김철수"), ("sex", "male"), ("household_size", "3")]),
            &[],
        )
        .unwrap();
    v.edit_record(
        &id,
        &text(&[("name", "김철수 (Kim)"), ("household_size", "")]),
        &[],
    )
    .unwrap();
    let rec = v.record(&id, "ko").unwrap();
    let name = rec.fields.iter().find(|f| f.id == "name").unwrap();
    assert_eq!(name.label, "이름");
    assert_eq!(name.values[0].display, "김철수 (Kim)");
    assert!(
        rec.fields.iter().all(|f| f.id != "household_size"),
        "cleared field is gone"
    );
    let sex = rec.fields.iter().find(|f| f.id == "sex").unwrap();
    assert_eq!(sex.values[0].display, "남성");
    let history = v.history(&id, "en").unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].seq + 1, history[1].seq);
    assert!(
        history[1]
            .changes
            .iter()
            .any(|c| c.field == "name" && c.shown == "김철수 (Kim)" && c.value == "김철수 (Kim)")
    );
}

#[test]
fn bad_values_are_refused_with_the_field_named_and_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let before = v.info().unwrap().ops;
    let cases: Vec<(Vec<(String, FieldInput)>, &str)> = vec![
        (text(&[("alias", "no name given")]), "name"),
        (text(&[("name", "x"), ("nickname", "y")]), "nickname"),
        (
            text(&[("name", "x"), ("birth_date", "31/12/1990")]),
            "birth_date",
        ),
        (text(&[("name", "x"), ("sex", "unknown")]), "sex"),
        (
            vec![("name".into(), FieldInput::Json(serde_json::json!(42)))],
            "name",
        ),
    ];
    for (values, field) in cases {
        let err = v.add_record("contact", &values, &[]).unwrap_err();
        assert!(err.to_string().contains(field), "{err}");
    }
    assert!(matches!(
        v.add_record("nosuchform", &text(&[]), &[]),
        Err(ApiError::UnknownForm(_))
    ));
    let id = v
        .add_record("contact", &text(&[("name", "x")]), &[])
        .unwrap();
    assert!(matches!(
        v.edit_record(&id, &text(&[("name", "")]), &[]),
        Err(ApiError::MissingRequired { .. })
    ));
    assert_eq!(v.info().unwrap().ops, before + 1);
}

#[test]
fn attachments_are_stored_listed_and_limited() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let photo = b"\x89PNG fake photo bytes".to_vec();
    let id = v
        .add_record(
            "contact",
            &text(&[("name", "x")]),
            &[attachment("photo.png", &photo)],
        )
        .unwrap();
    let rec = v.record(&id, "en").unwrap();
    assert_eq!(rec.attachments.len(), 1);
    let a = &rec.attachments[0];
    assert_eq!((a.name.as_str(), a.size), ("photo.png", photo.len() as u64));
    assert_eq!(a.blake3, blake3_hex(&photo));
    assert_eq!(v.attachment(&id, &a.blake3).unwrap().as_slice(), &photo[..]);
    // Over the limit, refused by its size before a byte is read: in memory (the
    // zeroed pages are never touched, and never dropped, which would zero them) and
    // as a file (sparse, so it takes no disk).
    let big = NewAttachment::in_memory(
        "big.bin".into(),
        Zeroizing::new(vec![0u8; usize::try_from(MAX_ATTACHMENT).unwrap() + 1]),
    );
    let err = v
        .edit_record(&id, &[], std::slice::from_ref(&big))
        .unwrap_err();
    std::mem::forget(big);
    assert!(matches!(err, ApiError::AttachmentTooLarge { .. }));
    let files = tempfile::tempdir().unwrap();
    let sparse = files.path().join("big.mp4");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(MAX_ATTACHMENT + 1)
        .unwrap();
    let mut read = 0;
    let err = v
        .store_attachment_file(&sparse, &mut |done, _| read = done)
        .unwrap_err();
    assert!(matches!(err, ApiError::AttachmentTooLarge { .. }));
    assert_eq!(read, 0);
    v.remove_attachment(&id, &a.blake3).unwrap();
    assert!(v.record(&id, "en").unwrap().attachments.is_empty());
    // History gives a UI the attachment's name and size to say in its language.
    let changes: Vec<_> = v
        .history(&id, "ko")
        .unwrap()
        .into_iter()
        .flat_map(|h| h.changes)
        .filter(|c| c.field == "attachment")
        .map(|c| c.value)
        .collect();
    assert_eq!(
        changes,
        [
            serde_json::json!({ "name": "photo.png", "size": photo.len() }),
            serde_json::Value::Null
        ]
    );
    assert_eq!(
        v.info().unwrap().attachments,
        1,
        "history keeps it until a purge"
    );
    v.purge_record(&id).unwrap();
    assert_eq!(v.info().unwrap().attachments, 0);
}

fn blake3_hex(bytes: &[u8]) -> String {
    satchel_crypto::hash::content(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn delete_then_purge() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let id = v
        .add_record("contact", &text(&[("name", "Canary Person")]), &[])
        .unwrap();
    v.delete_record(&id).unwrap();
    assert!(v.search("canary", 10).unwrap().is_empty());
    assert!(v.records(&ListFilter::default()).unwrap().is_empty());
    assert_eq!(
        v.records(&ListFilter {
            include_deleted: true,
            ..Default::default()
        })
        .unwrap()
        .len(),
        1
    );
    assert!(matches!(
        v.edit_record(&id, &text(&[("name", "y")]), &[]),
        Err(ApiError::RecordDeleted(_))
    ));
    assert!(matches!(
        v.delete_record(&id),
        Err(ApiError::RecordDeleted(_))
    ));
    v.purge_record(&id).unwrap();
    assert!(matches!(
        v.record(&id, "en"),
        Err(ApiError::RecordNotFound(_))
    ));
    let history = v.history(&id, "en").unwrap();
    assert_eq!(history.len(), 3);
    assert!(history[0].purged && history[0].changes.is_empty());
    assert!(!history[1].purged, "deletes carry no content to purge");
    v.verify().unwrap();
}

/// After a purge nothing of the record is left in the decrypted database: not its
/// payloads, its row, nor the words in the search index's segments.
#[test]
fn a_purge_leaves_no_word_of_the_record_in_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    v.add_record("contact", &text(&[("name", "Others Stay")]), &[])
        .unwrap();
    let id = v
        .add_record(
            "contact",
            &text(&[("name", "PurgeCanaryXy 은신처 藏身")]),
            &[],
        )
        .unwrap();
    let holds = |v: &satchel_api::Vault, c: &str| {
        v.plaintext_for_tests()
            .windows(c.len())
            .any(|w| w == c.as_bytes())
    };
    assert!(holds(&v, "藏身"));
    v.purge_record(&id).unwrap();
    for canary in ["PurgeCanaryXy", "purgecanaryxy", "藏身", "신처"] {
        assert!(!holds(&v, canary), "{canary}");
    }
    assert_eq!(
        v.search("Others", 5).unwrap().len(),
        1,
        "the index still works"
    );
}

#[test]
fn search_finds_korean_and_chinese_substrings() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let a = v
        .add_record(
            "contact",
            &text(&[("name", "박영희"), ("notes", "住在延吉市")]),
            &[],
        )
        .unwrap();
    let b = v
        .add_record(
            "case",
            &text(&[("title", "Shelter for 王小明"), ("status", "open")]),
            &[],
        )
        .unwrap();
    let ids =
        |q: &str| -> Vec<String> { v.search(q, 10).unwrap().into_iter().map(|s| s.id).collect() };
    assert_eq!(ids("영희"), [a.to_string()]);
    assert_eq!(ids("延吉"), [a.to_string()]);
    assert_eq!(ids("小明"), [b.to_string()]);
    assert_eq!(ids("shel"), [b.to_string()]);
    assert!(ids("서울").is_empty());
}

#[test]
fn search_says_when_there_are_more_and_filters_by_form_before_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let case = v
        .add_record(
            "case",
            &text(&[("title", "Border shelter"), ("status", "open")]),
            &[],
        )
        .unwrap();
    let rows: Vec<_> = (0..SEARCH_LIMIT + 5)
        .map(|i| text(&[("name", &format!("border contact {i}"))]))
        .collect();
    let contacts = v.add_records("contact", &rows).unwrap();

    let all = v.search_in("border", None, 0).unwrap();
    assert_eq!(all.items.len(), SEARCH_LIMIT);
    assert!(all.more, "{} records match", SEARCH_LIMIT + 6);
    assert!(all.items.iter().all(|s| s.id != case.to_string()));
    let few = v.search_in("border", None, 5).unwrap();
    assert_eq!(few.items.len(), 5);
    assert!(few.more);
    assert_eq!(v.search("border", 5).unwrap().len(), 5);

    // The one case is older than 200 matching contacts, and still found.
    let cases = v.search_in("border", Some("case"), 0).unwrap();
    let ids: Vec<_> = cases.items.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids, [case.to_string()]);
    assert!(!cases.more);
    let contact = v.search_in("contact 204", Some("contact"), 0).unwrap();
    assert_eq!(contact.items.len(), 1);
    assert_eq!(contact.items[0].id, contacts[204].to_string());
    assert!(!contact.more);
    assert!(matches!(
        v.search_in("border", Some("nope"), 0),
        Err(ApiError::UnknownForm(_))
    ));
}

#[test]
fn short_ids_resolve_when_unique() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let id = v
        .add_record("contact", &text(&[("name", "x")]), &[])
        .unwrap();
    let full = id.to_string();
    assert_eq!(v.resolve_id(&full[..8]).unwrap(), id);
    assert_eq!(v.resolve_id(&full.to_uppercase()).unwrap(), id);
    assert!(matches!(
        v.resolve_id("0123"),
        Err(ApiError::RecordNotFound(_))
    ));
    assert!(matches!(
        v.resolve_id("zzzzzzzz"),
        Err(ApiError::RecordNotFound(_))
    ));
}

#[test]
fn forms_import_only_when_new_or_newer() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let mut contact = v.form("contact").unwrap();
    let json = contact.to_json().unwrap();
    assert!(matches!(
        v.import_form(&json),
        Err(ApiError::FormNotNewer { .. })
    ));
    contact.version = 2;
    // A newer version keeps every field (values from other devices are checked
    // against it); it may add one.
    let mut dropped = contact.clone();
    dropped.fields.pop();
    assert!(matches!(
        v.import_form(&dropped.to_json().unwrap()),
        Err(ApiError::InvalidForm(m)) if m.contains("never removed")
    ));
    let mut extra = contact.fields[0].clone();
    extra.id = "nickname".into();
    contact.fields.push(extra);
    v.import_form(&contact.to_json().unwrap()).unwrap();
    assert_eq!(v.form("contact").unwrap().version, 2);
    contact.name = "intake".into();
    v.import_form(&contact.to_json().unwrap()).unwrap();
    assert_eq!(v.forms().unwrap().len(), 4);
    assert!(matches!(v.import_form("{"), Err(ApiError::InvalidForm(_))));
}

#[test]
fn bulk_adds_are_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let rows: Vec<_> = (0..50)
        .map(|i| text(&[("name", &format!("person {i}"))]))
        .collect();
    let ids = v.add_records("contact", &rows).unwrap();
    assert_eq!(ids.len(), 50);
    assert_eq!(v.info().unwrap().records, 50);
    let mut bad = rows.clone();
    bad.push(text(&[("alias", "no name")]));
    assert!(matches!(
        v.add_records("contact", &bad),
        Err(ApiError::MissingRequired { .. })
    ));
    assert_eq!(v.info().unwrap().records, 50);
    v.verify().unwrap();
}

#[test]
fn a_large_attachment_streams_in_and_out_and_over_the_old_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(&dir.path().join("v"));
    // Over the old 32 MiB cap, and not a multiple of the chunk size.
    let len = 33 * 1024 * 1024 + 5;
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    let file = dir.path().join("testimony.mp4");
    std::fs::write(&file, &data).unwrap();
    let mut seen = Vec::new();
    let att = v
        .store_attachment_file(&file, &mut |done, total| seen.push((done, total)))
        .unwrap();
    assert!(seen.len() > 30, "progress in steps");
    assert_eq!(seen.last(), Some(&(len as u64, len as u64)));
    assert_eq!(att.name, "testimony.mp4");
    let id = v
        .add_record("contact", &text(&[("name", "Kim")]), &[att])
        .unwrap();
    let hex = data_encoding::HEXLOWER.encode(&satchel_crypto::hash::content(&data));
    let out = dir.path().join("saved");
    let mut last = (0, 0);
    let n = v
        .save_attachment(&id, &hex, &out, &mut |d, t| last = (d, t))
        .unwrap();
    assert_eq!(n, len as u64);
    assert_eq!(last, (len as u64, len as u64));
    assert_eq!(std::fs::read(&out).unwrap(), data);
    // An existing file is not replaced.
    assert!(v.save_attachment(&id, &hex, &out, &mut |_, _| {}).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), data);
}

/// A case links to its contact by searching contacts by name; the link shows as the
/// contact's title and names its id, which the app follows.
#[test]
fn a_case_links_to_a_contact_found_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let kim = v
        .add_record("contact", &text(&[("name", "김민준 Kim")]), &[])
        .unwrap();
    v.add_record("contact", &text(&[("name", "王芳 Wang")]), &[])
        .unwrap();
    v.add_record("contact", &text(&[("name", "王磊 Wang")]), &[])
        .unwrap();
    let case = v
        .add_record(
            "case",
            &text(&[
                ("title", "Housing"),
                ("status", "open"),
                ("contact", "@민준"),
            ]),
            &[],
        )
        .unwrap();
    let view = v.record(&case, "en").unwrap();
    let field = view.fields.iter().find(|f| f.id == "contact").unwrap();
    assert_eq!(field.link.as_deref(), Some(kim.to_string().as_str()));
    assert_eq!(field.values[0].display, "김민준 Kim");
    assert_eq!(field.values[0].value, serde_json::json!(kim.to_string()));
    for (query, says) in [
        ("@Wang", "several"),
        ("@Nobody", "no contact record"),
        ("@", "give a name"),
    ] {
        let err = v
            .add_record(
                "case",
                &text(&[("title", "x"), ("status", "open"), ("contact", query)]),
                &[],
            )
            .unwrap_err();
        assert!(
            matches!(&err, ApiError::InvalidValue { field, problem } if field == "contact" && problem.to_string().contains(says)),
            "{query}: {err:?}"
        );
    }
    assert_eq!(
        v.form("case").unwrap().fields[1].links_to.as_deref(),
        Some("contact")
    );
}

/// A vault made by an earlier build holds the earlier built-in forms; opening it
/// brings them to this build's versions, and its records keep theirs.
#[test]
fn built_in_forms_come_to_this_builds_versions_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = new_vault(dir.path());
    let mut old = v.form("case").unwrap();
    old.version = 1;
    old.fields[1].links_to = None;
    let json = old.to_json().unwrap().replace('\'', "''");
    v.execute_sql_for_tests(&format!(
        "UPDATE forms SET version = 1, definition = '{json}' WHERE name = 'case';"
    ))
    .unwrap();
    drop(v);
    let mut v = satchel_api::unlock(dir.path(), &pass(PASS), P).unwrap();
    let case = v.form("case").unwrap();
    assert_eq!(
        (case.version, case.fields[1].links_to.as_deref()),
        (2, Some("contact"))
    );
    v.add_record("case", &text(&[("title", "t"), ("status", "open")]), &[])
        .unwrap();
}

/// A form with skip logic, constraints and an attachment field, as an XLSForm import
/// makes one.
pub(crate) fn screening_form() -> String {
    serde_json::json!({
        "name": "screening", "version": 1,
        "label": {"en": "Screening", "ko": "선별", "zh-Hans": "筛查"},
        "sections": [{"id": "kids", "label": {"en": "Children", "ko": "자녀", "zh-Hans": "子女"},
                      "relevant": "${has_children} = 'yes'"}],
        "fields": [
            {"id": "name", "type": "text", "required": true,
             "label": {"en": "Name", "ko": "이름", "zh-Hans": "姓名"}},
            {"id": "age", "type": "integer", "constraint": ". >= 0 and . < 120",
             "constraint_message": {"en": "0 to 119", "ko": "0에서 119", "zh-Hans": "0到119"},
             "label": {"en": "Age", "ko": "나이", "zh-Hans": "年龄"}},
            {"id": "has_children", "type": "yes_no",
             "label": {"en": "Children", "ko": "자녀", "zh-Hans": "子女"}},
            {"id": "count", "type": "integer", "required": true, "section": "kids",
             "label": {"en": "How many", "ko": "몇 명", "zh-Hans": "几个"}},
            {"id": "photo", "type": "attachment",
             "label": {"en": "Photo", "ko": "사진", "zh-Hans": "照片"}}
        ]
    })
    .to_string()
}

/// The vault checks the form's rules on every save: a value that breaks a
/// constraint, or sits in a field that does not apply, is refused with the field
/// named; a required field that does not apply is not required; an attachment field
/// names a file attached to the record.
#[test]
fn saves_follow_the_forms_skip_logic_and_constraints() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    v.import_form(&screening_form()).unwrap();
    let refused = |r: Result<satchel_api::RecordId, ApiError>| match r {
        Err(ApiError::InvalidValue { field, problem }) => (field, problem.code()),
        other => panic!("{other:?}"),
    };
    // `count` is required, but only when there are children.
    let id = v
        .add_record(
            "screening",
            &text(&[("name", "Kim"), ("has_children", "no")]),
            &[],
        )
        .unwrap();
    assert!(matches!(
        v.add_record("screening", &text(&[("name", "Kim"), ("has_children", "yes")]), &[]),
        Err(ApiError::MissingRequired { field }) if field == "count"
    ));
    assert_eq!(
        refused(v.add_record("screening", &text(&[("name", "Kim"), ("age", "130")]), &[])),
        ("age".to_owned(), "constraint")
    );
    let err = v
        .add_record("screening", &text(&[("name", "Kim"), ("age", "130")]), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("0 to 119") && !err.contains("130"), "{err}");
    assert_eq!(
        refused(v.add_record(
            "screening",
            &text(&[("name", "Kim"), ("has_children", "no"), ("count", "2")]),
            &[]
        )),
        ("count".to_owned(), "not_relevant")
    );
    // An edit that hides a field holding a value must clear it too.
    v.edit_record(&id, &text(&[("has_children", "yes"), ("count", "2")]), &[])
        .unwrap();
    assert!(matches!(
        v.edit_record(&id, &text(&[("has_children", "no")]), &[]),
        Err(ApiError::InvalidValue { field, .. }) if field == "count"
    ));
    v.edit_record(&id, &text(&[("has_children", "no"), ("count", "")]), &[])
        .unwrap();
    // An attachment field takes a file attached in the same save, by its name.
    let photo = attachment("face.jpg", b"jpeg bytes");
    v.edit_record(&id, &text(&[("photo", "face.jpg")]), &[photo])
        .unwrap();
    let shown = v.record(&id, "en").unwrap();
    let value = shown.fields.iter().find(|f| f.id == "photo").unwrap();
    let hex = value.values[0].value.as_str().unwrap().to_owned();
    assert_eq!(value.values[0].display, "face.jpg", "shown by its name");
    let history = v.history(&id, "en").unwrap();
    let change = history
        .iter()
        .flat_map(|h| &h.changes)
        .find(|c| c.field == "photo")
        .unwrap();
    assert_eq!(change.shown, "face.jpg", "and so in the history");
    assert_eq!(
        hex,
        data_encoding::HEXLOWER.encode(&satchel_crypto::hash::content(b"jpeg bytes"))
    );
    assert!(matches!(
        v.edit_record(&id, &text(&[("photo", &"ab".repeat(32))]), &[]),
        Err(ApiError::InvalidValue { field, problem }) if field == "photo" && problem.code() == "no_such_attachment"
    ));
    v.verify().unwrap();
}

/// An XLSForm goes in through the same door as a JSON form, and a dry run changes
/// nothing.
#[test]
fn an_xlsform_imports_after_a_dry_run_that_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../assets/forms/examples/screening.xlsx"),
    )
    .unwrap();
    let summary = v.import_xlsform(&bytes, "screening.xlsx", true).unwrap();
    assert_eq!(
        (summary.form.as_str(), summary.fields, summary.rules),
        ("screening", 5, 3)
    );
    assert!(v.form("screening").is_err(), "a dry run installs nothing");
    v.import_xlsform(&bytes, "screening.xlsx", false).unwrap();
    assert_eq!(v.form("screening").unwrap().sections.len(), 1);
    // The same version again is refused, by a dry run too.
    for dry in [true, false] {
        assert!(matches!(
            v.import_xlsform(&bytes, "screening.xlsx", dry),
            Err(ApiError::FormNotNewer { .. })
        ));
    }
    let e = v
        .import_xlsform(b"not a workbook", "x.xlsx", false)
        .unwrap_err();
    assert_eq!(e.code().as_str(), "xlsform");
}
