//! Reports: CSV and XLSX exports read back with `csv` and `calamine`.

use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use satchel_api::{
    ApiError, FieldInput, NewAttachment,
    export::{ExportColumns, ExportFormat, ExportRequest},
};
use serde_json::json;
use zeroize::Zeroizing;

use crate::*;

/// Everything a report must carry through unharmed.
const NOTES: &str = "살고 있는 곳: 延吉市 🏠\n\"조심\", 2nd line";

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 byte order mark");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn xlsx_rows(path: &Path) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    sheet
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    other => panic!("every cell is text, not {other:?}"),
                })
                .collect()
        })
        .collect()
}

fn rows(path: &Path, format: ExportFormat) -> Vec<Vec<String>> {
    match format {
        ExportFormat::Csv => csv_rows(path),
        ExportFormat::Xlsx => xlsx_rows(path),
    }
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

struct Fixture {
    _dir: tempfile::TempDir,
    vault: satchel_api::Vault,
    kim: String,
    wang: String,
    empty: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(&dir.path().join("vault"));
    let kim = v
        .add_record(
            "contact",
            &text(&[
                ("name", "김철수"),
                ("alias", "=HYPERLINK(\"http://x\",\"click\")"),
                ("birth_date", "~1985"),
                ("sex", "male"),
                ("languages", "ko,zh"),
                ("phone", "+86 431 555 0100"),
                ("safe_to_contact", "no"),
                ("household_size", "-3"),
                ("notes", NOTES),
            ]),
            &[NewAttachment::in_memory(
                "사진.jpg".into(),
                Zeroizing::new(b"SECRET-PHOTO-BYTES".to_vec()),
            )],
        )
        .unwrap()
        .to_string();
    let wang = v
        .add_record(
            "contact",
            &text(&[
                ("name", "王小明"),
                ("alias", "@boss"),
                ("birth_date", "1990-03"),
                ("sex", "female"),
                ("safe_to_contact", "yes"),
            ]),
            &[],
        )
        .unwrap()
        .to_string();
    let empty = v
        .add_record("contact", &text(&[("name", "-")]), &[])
        .unwrap()
        .to_string();
    Fixture {
        _dir: dir,
        vault: v,
        kim,
        wang,
        empty,
    }
}

fn export(
    v: &satchel_api::Vault,
    req: &ExportRequest,
    out: &Path,
) -> satchel_api::Result<satchel_api::export::ReportWritten> {
    v.export_to(req, out, false, &mut |_, _| {})
}

#[test]
fn both_formats_carry_every_script_and_neutralise_formulas() {
    let f = fixture();
    for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
        let out_dir = tempfile::tempdir().unwrap();
        let out = out_dir
            .path()
            .join(format!("report.{}", format.extension()));
        let req = ExportRequest {
            form: "contact".into(),
            columns: ExportColumns {
                id: true,
                attachments: true,
                ..Default::default()
            },
            format,
            lang: "ko".into(),
            ..Default::default()
        };
        let mut steps = Vec::new();
        let report = f
            .vault
            .export_to(&req, &out, false, &mut |done, total| {
                steps.push((done, total))
            })
            .unwrap();
        assert_eq!(report.records, 3);
        assert_eq!(report.file, out.file_name().unwrap().to_str().unwrap());
        assert_eq!(
            steps.last(),
            Some(&(3, 3)),
            "{format:?}: progress ends at all"
        );
        let got = rows(&out, format);
        assert_eq!(
            got[0],
            [
                "기록 ID",
                "이름",
                "가명 또는 별명",
                "생년월일",
                "성별",
                "사용 언어",
                "전화 또는 연락 방법",
                "마지막 위치",
                "직접 연락 가능",
                "가구원 수",
                "메모",
                "첨부 파일"
            ],
            "{format:?}: labels in the asked language, in form order"
        );
        assert_eq!(got.len(), 4, "{format:?}: a header and three records");
        assert_eq!(
            got[1],
            [
                f.kim.as_str(),
                "김철수",
                "'=HYPERLINK(\"http://x\",\"click\")",
                "1985년경",
                "남성",
                "한국어, 중국어",
                "'+86 431 555 0100",
                "",
                "아니요",
                "-3",
                NOTES,
                "사진.jpg"
            ],
            "{format:?}"
        );
        assert_eq!(
            got[2],
            [
                f.wang.as_str(),
                "王小明",
                "'@boss",
                "1990년 3월",
                "여성",
                "",
                "",
                "",
                "예",
                "",
                "",
                ""
            ],
            "{format:?}"
        );
        assert_eq!(got[3][0], f.empty, "{format:?}");
        assert_eq!(got[3][1], "'-", "{format:?}: a lone minus is not a number");
        assert!(
            got[3][2..].iter().all(String::is_empty),
            "{format:?}: empty values stay empty"
        );
        let bytes = std::fs::read(&out).unwrap();
        assert!(
            !bytes
                .windows(b"SECRET-PHOTO-BYTES".len())
                .any(|w| w == b"SECRET-PHOTO-BYTES"),
            "{format:?}: attachments by name only"
        );
        assert_eq!(
            names_in(out_dir.path()),
            [out.file_name().unwrap().to_str().unwrap()],
            "{format:?}: nothing but the report in the folder"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{format:?}: readable by its owner only");
        }
    }
}

#[test]
fn chosen_records_and_fields_in_form_order_with_times_and_author() {
    let f = fixture();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("r.csv");
    let req = ExportRequest {
        form: "contact".into(),
        ids: Some(vec![f.wang.clone(), f.kim[..8].to_owned(), f.wang.clone()]),
        // Asked in another order: written in the form's.
        fields: Some(vec!["sex".into(), "name".into()]),
        columns: ExportColumns {
            created: true,
            changed: true,
            author: true,
            ..Default::default()
        },
        format: ExportFormat::Csv,
        lang: "zh-Hans".into(),
        ..Default::default()
    };
    assert_eq!(export(&f.vault, &req, &out).unwrap().records, 2);
    let got = csv_rows(&out);
    assert_eq!(got[0], ["姓名", "性别", "创建时间", "修改时间", "作者"]);
    assert_eq!(got.len(), 3, "the repeated id is written once");
    assert_eq!(&got[1][..2], ["王小明", "女"]);
    assert_eq!(&got[2][..2], ["김철수", "男"]);
    let rec = f
        .vault
        .record(&f.vault.resolve_id(&f.kim).unwrap(), "en")
        .unwrap();
    assert_eq!(got[2][2], rec.created);
    assert_eq!(got[2][3], rec.updated);
    let history = f
        .vault
        .history(&f.vault.resolve_id(&f.kim).unwrap(), "en")
        .unwrap();
    assert_eq!(
        got[2][4], history[0].author,
        "the author is the record's creator"
    );
}

#[test]
fn links_show_the_linked_name_and_id_and_dates_as_written() {
    let mut f = fixture();
    let case = f
        .vault
        .add_record(
            "case",
            &[
                ("title".into(), FieldInput::Text("Shelter".into())),
                ("contact".into(), FieldInput::Json(json!(f.kim))),
                ("status".into(), FieldInput::Text("open".into())),
                ("opened_on".into(), FieldInput::Text("2026-03".into())),
            ],
            &[],
        )
        .unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("cases.xlsx");
    let req = ExportRequest {
        form: "case".into(),
        fields: Some(vec!["contact".into(), "opened_on".into(), "status".into()]),
        format: ExportFormat::Xlsx,
        lang: "en".into(),
        ..Default::default()
    };
    export(&f.vault, &req, &out).unwrap();
    let got = xlsx_rows(&out);
    assert_eq!(
        got[1],
        [
            format!("김철수 ({})", f.kim),
            "Open".into(),
            "March 2026".into()
        ]
    );
    let _ = case;
}

#[test]
fn an_existing_file_is_replaced_only_when_asked_and_no_temp_file_stays() {
    let f = fixture();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("r.csv");
    std::fs::write(&out, b"keep me").unwrap();
    let req = ExportRequest {
        form: "contact".into(),
        ..Default::default()
    };
    assert!(matches!(
        export(&f.vault, &req, &out),
        Err(ApiError::ExportExists)
    ));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    assert_eq!(names_in(out_dir.path()), ["r.csv"]);
    f.vault.export_to(&req, &out, true, &mut |_, _| {}).unwrap();
    assert_eq!(csv_rows(&out).len(), 4);
    assert_eq!(names_in(out_dir.path()), ["r.csv"]);
}

#[test]
fn a_failed_export_leaves_nothing_behind() {
    let f = fixture();
    let out_dir = tempfile::tempdir().unwrap();
    // An unknown field, a record of another form, a missing folder: refused before
    // anything is written.
    let bad = [
        ExportRequest {
            form: "contact".into(),
            fields: Some(vec!["nope".into()]),
            ..Default::default()
        },
        ExportRequest {
            form: "case".into(),
            ids: Some(vec![f.kim.clone()]),
            ..Default::default()
        },
        ExportRequest {
            form: "no-such-form".into(),
            ..Default::default()
        },
    ];
    for req in &bad {
        assert!(export(&f.vault, req, &out_dir.path().join("r.csv")).is_err());
    }
    let ok = ExportRequest {
        form: "contact".into(),
        ..Default::default()
    };
    assert!(export(&f.vault, &ok, &out_dir.path().join("gone/r.csv")).is_err());
    assert!(names_in(out_dir.path()).is_empty());

    // A value longer than an XLSX cell holds fails midway: the partial file goes.
    let mut v = f.vault;
    let long = "가".repeat(satchel_api::export::XLSX_MAX_CELL + 1);
    let id = v
        .add_record("contact", &text(&[("name", "x"), ("notes", &long)]), &[])
        .unwrap();
    let req = ExportRequest {
        form: "contact".into(),
        format: ExportFormat::Xlsx,
        ..Default::default()
    };
    match export(&v, &req, &out_dir.path().join("r.xlsx")) {
        Err(ApiError::ExportCellTooLong { record, field, .. }) => {
            assert_eq!(record, id.to_string());
            assert_eq!(field, "notes");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        names_in(out_dir.path()).is_empty(),
        "{:?}",
        names_in(out_dir.path())
    );
    // The same as CSV works.
    let csv = ExportRequest {
        format: ExportFormat::Csv,
        ..req
    };
    export(&v, &csv, &out_dir.path().join("r.csv")).unwrap();
    assert_eq!(names_in(out_dir.path()), ["r.csv"]);
}

#[test]
fn the_vault_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (v, _) = new_vault(dir.path());
    let before = names_in(dir.path());
    let req = ExportRequest {
        form: "contact".into(),
        ..Default::default()
    };
    assert!(matches!(
        export(&v, &req, &dir.path().join("r.csv")),
        Err(ApiError::ExportIntoVault)
    ));
    assert_eq!(names_in(dir.path()), before);
}

#[test]
fn a_raised_cancel_flag_stops_the_export_and_removes_the_file() {
    let mut f = fixture();
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    f.vault.set_cancel(flag).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let req = ExportRequest {
        form: "contact".into(),
        ..Default::default()
    };
    assert!(matches!(
        export(&f.vault, &req, &out_dir.path().join("r.csv")),
        Err(ApiError::Cancelled)
    ));
    assert!(names_in(out_dir.path()).is_empty());
}

/// The records list's filter narrows a report as it narrows the list: by author and
/// by date; a filter that lets nothing through writes the header alone; chosen
/// records and a filter together are refused.
#[test]
fn a_filter_chooses_the_records_as_the_list_does() {
    use satchel_api::{RecordEvent, RecordFilter};
    let f = fixture();
    let out_dir = tempfile::tempdir().unwrap();
    let me = f.vault.record_authors().unwrap()[0].id.clone();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let report = |name: &str, filter: RecordFilter| {
        let out = out_dir.path().join(name);
        let req = ExportRequest {
            form: "contact".into(),
            fields: Some(vec!["name".into()]),
            format: ExportFormat::Csv,
            lang: "en".into(),
            filter: Some(filter),
            ..Default::default()
        };
        export(&f.vault, &req, &out).map(|w| (w.records, csv_rows(&out)))
    };
    let names = |rows: Vec<Vec<String>>| {
        rows.into_iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect::<Vec<_>>()
    };
    let (n, rows) = report(
        "mine.csv",
        RecordFilter {
            author: Some(me.clone()),
            // The filter's own form is not the report's: ignored.
            form: Some("case".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (n, names(rows)),
        (3, vec!["김철수".into(), "王小明".into(), "'-".into()])
    );
    let (n, rows) = report(
        "stranger.csv",
        RecordFilter {
            author: Some("7".repeat(64)),
            author_did: RecordEvent::Changed,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((n, rows.len()), (0, 1), "the header alone");
    let (n, _) = report(
        "today.csv",
        RecordFilter {
            since: Some(today.clone()),
            until: Some(today),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(n, 3);
    let (n, _) = report(
        "future.csv",
        RecordFilter {
            since: Some("2999".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(n, 0);
    let err = report(
        "bad.csv",
        RecordFilter {
            since: Some("yesterday-ish".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, ApiError::InvalidFilter(_)), "{err:?}");
    let both = ExportRequest {
        form: "contact".into(),
        ids: Some(vec![f.kim.clone()]),
        filter: Some(RecordFilter {
            author: Some(me),
            ..Default::default()
        }),
        format: ExportFormat::Csv,
        lang: "en".into(),
        ..Default::default()
    };
    let err = export(&f.vault, &both, &out_dir.path().join("both.csv")).unwrap_err();
    assert!(matches!(err, ApiError::InvalidFilter(_)), "{err:?}");
    assert_eq!(
        names_in(out_dir.path()),
        ["future.csv", "mine.csv", "stranger.csv", "today.csv"]
    );
}

/// A report cut off before its rename leaves its plaintext under a hidden name in the
/// chosen folder; the next report of that name removes it first. Nothing else there
/// is touched: another file's leftover, a name that only looks alike, a folder.
#[test]
fn a_report_cut_off_earlier_is_removed_by_the_next() {
    let f = fixture();
    let out_dir = tempfile::tempdir().unwrap();
    let dir = out_dir.path();
    let left = [".r.csv.0123456789ab.tmp", ".r.csv.ABCDEF012345.tmp"];
    let kept = [
        ".other.csv.0123456789ab.tmp",
        ".r.csv.0123456789a.tmp",
        ".r.csv.mine.tmp",
        "r.csv.0123456789ab.tmp",
    ];
    for name in left.iter().chain(&kept) {
        std::fs::write(dir.join(name), "김철수 plaintext").unwrap();
    }
    std::fs::create_dir(dir.join(".r.csv.fedcba987654.tmp")).unwrap();
    let req = ExportRequest {
        form: "contact".into(),
        format: ExportFormat::Csv,
        lang: "en".into(),
        ..Default::default()
    };
    export(&f.vault, &req, &dir.join("r.csv")).unwrap();
    let mut expected: Vec<String> = kept.iter().map(|s| (*s).to_owned()).collect();
    expected.push(".r.csv.fedcba987654.tmp".into());
    expected.push("r.csv".into());
    expected.sort();
    assert_eq!(names_in(dir), expected);
}

/// An imported form's note is no column, and an attachment field shows the file's
/// name.
#[test]
fn notes_are_no_column_and_attachment_fields_show_the_files_name() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, _) = new_vault(&dir.path().join("v"));
    let mut form: serde_json::Value =
        serde_json::from_str(&crate::records::screening_form()).unwrap();
    form["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "safety", "type": "note",
        "label": {"en": "Say nothing", "ko": "말하지 마세요", "zh-Hans": "不要说"}}));
    v.import_form(&form.to_string()).unwrap();
    let photo = NewAttachment::in_memory("얼굴.jpg".into(), Zeroizing::new(b"jpeg".to_vec()));
    v.add_record(
        "screening",
        &[
            ("name".into(), FieldInput::Text("Kim".into())),
            ("photo".into(), FieldInput::Text("얼굴.jpg".into())),
        ],
        &[photo],
    )
    .unwrap();
    let out = dir.path().join("s.csv");
    let req = ExportRequest {
        form: "screening".into(),
        format: ExportFormat::Csv,
        lang: "en".into(),
        ..Default::default()
    };
    export(&v, &req, &out).unwrap();
    let got = csv_rows(&out);
    assert_eq!(got[0], ["Name", "Age", "Children", "How many", "Photo"]);
    assert_eq!(got[1], ["Kim", "", "", "", "얼굴.jpg"]);
}
