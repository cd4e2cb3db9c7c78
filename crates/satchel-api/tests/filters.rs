//! Records filtered by author and date, and search snippets, through the API.

use satchel_api::{ApiError, RecordEvent, RecordFilter, Vault};

use crate::*;

fn ids(v: &Vault, f: &RecordFilter) -> Vec<String> {
    let filter = v.list_filter(f).unwrap();
    assert_eq!(
        v.count_records(&filter).unwrap(),
        u64::try_from(v.records(&filter).unwrap().len()).unwrap()
    );
    v.records(&filter)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

#[test]
fn records_filter_by_the_author_who_created_or_changed_them() {
    let (da, db, mail) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (mut a, _) = new_vault(da.path());
    let (mut b, _) = new_vault(db.path());
    a.add_peer(&b.identity().card, "b").unwrap();
    b.add_peer(&a.identity().card, "a").unwrap();
    let mine = a
        .add_record("contact", &text(&[("name", "Kim bus")]), &[])
        .unwrap();
    let report = a.export_bundle(&["b".to_owned()], mail.path()).unwrap();
    b.import_bundle(&mail.path().join(report.file)).unwrap();
    let theirs = b
        .add_record("contact", &text(&[("name", "Lee bus")]), &[])
        .unwrap();
    b.edit_record(&mine, &text(&[("phone", "1")]), &[]).unwrap();

    let authors = b.record_authors().unwrap();
    assert_eq!(authors.len(), 2);
    // B's own name is the one on the history of the record B created.
    let b_name = b.history(&theirs, "en").unwrap()[0].author.clone();
    let a_id = authors
        .iter()
        .find(|x| x.name != b_name)
        .map(|x| x.id.clone())
        .unwrap();
    assert_eq!(
        b.resolve_author(&b_name).unwrap(),
        authors.iter().find(|x| x.name == b_name).unwrap().id
    );
    // By 8+ hex digits too, any case.
    assert_eq!(b.resolve_author(&a_id[..10].to_uppercase()).unwrap(), a_id);
    assert!(matches!(
        b.resolve_author("nobody"),
        Err(ApiError::InvalidFilter(_))
    ));
    let b_id = authors.iter().find(|x| x.id != a_id).unwrap().id.clone();

    let by = |id: &str, did| RecordFilter {
        author: Some(id.to_owned()),
        author_did: did,
        ..RecordFilter::default()
    };
    assert_eq!(
        ids(&b, &by(&a_id, RecordEvent::Created)),
        vec![mine.to_string()]
    );
    assert_eq!(
        ids(&b, &by(&b_id, RecordEvent::Created)),
        vec![theirs.to_string()]
    );
    assert_eq!(ids(&b, &by(&b_id, RecordEvent::Changed)).len(), 2);
    assert!(matches!(
        b.list_filter(&by("12ab", RecordEvent::Created)),
        Err(ApiError::InvalidFilter(_))
    ));

    // Search within an author's records.
    let found = b
        .search_filtered("bus", &by(&a_id, RecordEvent::Created), 0)
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].id, mine.to_string());
    let none = b
        .search_filtered("bus", &by(&"7".repeat(64), RecordEvent::Changed), 0)
        .unwrap();
    assert!(none.items.is_empty() && !none.more);
}

#[test]
fn records_filter_by_dates_inclusive_partial_and_in_every_language() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    v.add_record("contact", &text(&[("name", "Kim")]), &[])
        .unwrap();
    v.add_record("case", &text(&[("title", "bus"), ("status", "open")]), &[])
        .unwrap();
    let day = today();
    let (year, month) = (&day[..4], &day[..7]);
    let span = |since: Option<&str>, until: Option<&str>| RecordFilter {
        since: since.map(str::to_owned),
        until: until.map(str::to_owned),
        ..RecordFilter::default()
    };
    // Today is in a span that starts or ends today, the month, the year.
    for (s, u) in [
        (Some(day.as_str()), Some(day.as_str())),
        (Some(month), Some(month)),
        (Some(year), None),
        (None, Some(year)),
    ] {
        assert_eq!(ids(&v, &span(s, u)).len(), 2, "{s:?} {u:?}");
    }
    let (y, m, d) = (
        &day[..4],
        day[5..7].trim_start_matches('0'),
        day[8..].trim_start_matches('0'),
    );
    assert_eq!(
        ids(&v, &span(Some(&format!("{y}년 {m}월 {d}일")), None)).len(),
        2
    );
    assert_eq!(ids(&v, &span(None, Some(&format!("{y}年{m}月")))).len(), 2);
    let next_year = (year.parse::<i32>().unwrap() + 1).to_string();
    let last_year = (year.parse::<i32>().unwrap() - 1).to_string();
    assert!(ids(&v, &span(Some(&next_year), None)).is_empty());
    assert!(ids(&v, &span(None, Some(&last_year))).is_empty());
    let mut changed = span(Some(&next_year), None);
    changed.dated = RecordEvent::Changed;
    assert!(ids(&v, &changed).is_empty());
    // With a form, and with search.
    let mut cases = span(Some(month), Some(&day));
    cases.form = Some("case".into());
    assert_eq!(ids(&v, &cases).len(), 1);
    assert_eq!(v.search_filtered("bus", &cases, 0).unwrap().items.len(), 1);
    assert!(
        v.search_filtered("bus", &span(Some(&next_year), None), 0)
            .unwrap()
            .items
            .is_empty()
    );
    // Bad filters are errors that name no record text.
    for bad in [
        span(Some("~2026"), None),
        span(Some("tomorrow"), None),
        span(Some(&next_year), Some(year)),
        RecordFilter {
            utc_offset_minutes: 15 * 60,
            ..RecordFilter::default()
        },
    ] {
        assert!(
            matches!(v.list_filter(&bad), Err(ApiError::InvalidFilter(_))),
            "{bad:?}"
        );
    }
    assert!(matches!(
        v.list_filter(&RecordFilter {
            form: Some("nope".into()),
            ..RecordFilter::default()
        }),
        Err(ApiError::UnknownForm(_))
    ));
}

#[test]
fn search_results_carry_a_snippet_with_the_match_marked() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(dir.path());
    v.add_record(
        "contact",
        &text(&[
            ("name", "박영희"),
            (
                "notes",
                "他住在延吉市的朋友家 <img src=x onerror=alert(1)> Yanji",
            ),
        ]),
        &[],
    )
    .unwrap();
    let marked = |q: &str| -> String {
        let found = v.search(q, 0).unwrap();
        assert_eq!(found.len(), 1, "{q}");
        found[0]
            .snippet
            .iter()
            .map(|p| {
                if p.hit {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    };
    assert_eq!(marked("영희"), "박[영희]");
    assert_eq!(
        marked("延吉"),
        "他住在[延吉]市的朋友家 <img src=x onerror=alert(1)> Yanji"
    );
    assert_eq!(
        marked("yan"),
        "他住在延吉市的朋友家 <img src=x onerror=alert(1)> [Yanji]"
    );
    assert_eq!(
        marked("onerror"),
        "他住在延吉市的朋友家 <img src=x [onerror]=alert(1)> Yanji"
    );
    // A list carries no snippet.
    let list = v.records(&satchel_api::ListFilter::default()).unwrap();
    assert!(list[0].snippet.is_empty());
}
