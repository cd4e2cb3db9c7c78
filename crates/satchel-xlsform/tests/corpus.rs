//! A corpus of XLSForms written here with a spreadsheet library, each with the form
//! model or the refusal it must give: every type, language and construct that
//! docs/forms.md names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use rust_xlsxwriter::Workbook;
use satchel_forms::{FieldType, Rules};
use satchel_xlsform::{Summary, XlsFormError, read};
use serde_json::{Value, json};

mod common;

use common::{Rows, book};

fn refused(sheets: &[(&str, Rows)]) -> Box<XlsFormError> {
    match read(&book(sheets), "test.xlsx") {
        Ok(i) => panic!("imported: {:?}", i.summary),
        Err(e) => e,
    }
}

const SETTINGS: Rows = &[
    &["form_title", "form_id", "version", "default_language"],
    &[
        "Household screening",
        "household_screening",
        "#2024031501",
        "English (en)",
    ],
];

#[test]
fn every_type_maps_to_its_field_with_labels_hints_and_rules() {
    let survey: Rows = &[
        &[
            "type",
            "name",
            "label::English (en)",
            "label::한국어 (ko)",
            "label::中文 (zh)",
            "hint::English (en)",
            "required",
            "relevant",
            "constraint",
            "constraint_message::English (en)",
            "constraint_message::한국어 (ko)",
            "default",
        ],
        &[
            "text",
            "Name",
            "Name",
            "이름",
            "姓名",
            "As they give it",
            "yes",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "integer",
            "age",
            "Age",
            "나이",
            "年龄",
            "",
            "",
            "",
            ". >= 0 and . < 120",
            "0 to 119",
            "0에서 119",
            "",
        ],
        &[
            "decimal",
            "weight",
            "Weight",
            "몸무게",
            "体重",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "date",
            "arrived",
            "Arrived",
            "도착일",
            "到达日期",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "datetime",
            "seen_at",
            "Seen at",
            "만난 시각",
            "见面时间",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "time",
            "call_time",
            "Call time",
            "통화 시간",
            "通话时间",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "select_one yn",
            "married",
            "Married",
            "결혼",
            "已婚",
            "",
            "",
            "",
            "",
            "",
            "",
            "no",
        ],
        &[
            "select_multiple langs",
            "languages",
            "Languages",
            "언어",
            "语言",
            "",
            "",
            "",
            "",
            "",
            "",
            "ko zh",
        ],
        &[
            "begin group",
            "family",
            "Family",
            "가족",
            "家庭",
            "",
            "",
            "${married} = 'yes'",
            "",
            "",
            "",
            "",
        ],
        &[
            "text",
            "spouse",
            "Spouse",
            "배우자",
            "配偶",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "integer",
            "Children",
            "Children",
            "자녀",
            "子女",
            "",
            "",
            "${age} >= 15",
            "",
            "",
            "",
            "",
        ],
        &["end group", "", "", "", "", "", "", "", "", "", "", ""],
        &[
            "geopoint", "where", "Where", "위치", "位置", "", "", "", "", "", "", "",
        ],
        &[
            "image", "photo", "Photo", "사진", "照片", "", "", "", "", "", "", "",
        ],
        &[
            "audio", "voice", "Voice", "음성", "语音", "", "", "", "", "", "", "",
        ],
        &[
            "video", "clip", "Clip", "영상", "视频", "", "", "", "", "", "", "",
        ],
        &[
            "file", "document", "Document", "문서", "文件", "", "", "", "", "", "", "",
        ],
        &[
            "note",
            "intro",
            "Read aloud",
            "읽어 주세요",
            "请朗读",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        &[
            "acknowledge",
            "consent",
            "I agree",
            "동의합니다",
            "我同意",
            "",
            "yes",
            "",
            "",
            "",
            "",
            "",
        ],
    ];
    let choices: Rows = &[
        &[
            "list_name",
            "name",
            "label::English (en)",
            "label::한국어 (ko)",
            "label::中文 (zh)",
        ],
        &["yn", "yes", "Yes", "예", "是"],
        &["yn", "no", "No", "아니요", "否"],
        &["langs", "ko", "Korean", "한국어", "朝鲜语"],
        &["langs", "zh", "Chinese", "중국어", "汉语"],
        &["langs", "#3", "Other", "기타", "其他"],
    ];
    let import = read(
        &book(&[
            ("survey", survey),
            ("choices", choices),
            ("settings", SETTINGS),
        ]),
        "x.xlsx",
    )
    .unwrap();
    let l = |en: &str, ko: &str, zh: &str| json!({"en": en, "ko": ko, "zh-Hans": zh});
    let expected = json!({
        "name": "household_screening",
        "version": 2024031501,
        "label": l("Household screening", "Household screening", "Household screening"),
        "fields": [
            {"id": "name", "type": "text", "required": true, "label": l("Name", "이름", "姓名"),
             "hint": l("As they give it", "As they give it", "As they give it")},
            {"id": "age", "type": "integer", "required": false, "label": l("Age", "나이", "年龄"),
             "constraint": ". >= 0 and . < 120",
             "constraint_message": l("0 to 119", "0에서 119", "0 to 119")},
            {"id": "weight", "type": "number", "required": false, "label": l("Weight", "몸무게", "体重")},
            {"id": "arrived", "type": "date", "required": false, "label": l("Arrived", "도착일", "到达日期")},
            {"id": "seen_at", "type": "datetime", "required": false, "label": l("Seen at", "만난 시각", "见面时间")},
            {"id": "call_time", "type": "time", "required": false, "label": l("Call time", "통화 시간", "通话时间")},
            {"id": "married", "type": "single_choice", "required": false, "label": l("Married", "결혼", "已婚"),
             "options": [{"id": "yes", "label": l("Yes", "예", "是")}, {"id": "no", "label": l("No", "아니요", "否")}],
             "default": "no"},
            {"id": "languages", "type": "multi_choice", "required": false, "label": l("Languages", "언어", "语言"),
             "options": [{"id": "ko", "label": l("Korean", "한국어", "朝鲜语")},
                         {"id": "zh", "label": l("Chinese", "중국어", "汉语")},
                         {"id": "3", "label": l("Other", "기타", "其他")}],
             "default": ["ko", "zh"]},
            {"id": "spouse", "type": "text", "required": false, "label": l("Spouse", "배우자", "配偶"),
             "section": "family"},
            {"id": "children", "type": "integer", "required": false, "label": l("Children", "자녀", "子女"),
             "section": "family", "relevant": "${age} >= 15"},
            {"id": "where", "type": "location", "required": false, "label": l("Where", "위치", "位置")},
            {"id": "photo", "type": "attachment", "required": false, "label": l("Photo", "사진", "照片")},
            {"id": "voice", "type": "attachment", "required": false, "label": l("Voice", "음성", "语音")},
            {"id": "clip", "type": "attachment", "required": false, "label": l("Clip", "영상", "视频")},
            {"id": "document", "type": "attachment", "required": false, "label": l("Document", "문서", "文件")},
            {"id": "intro", "type": "note", "required": false, "label": l("Read aloud", "읽어 주세요", "请朗读")},
            {"id": "consent", "type": "acknowledge", "required": true, "label": l("I agree", "동의합니다", "我同意")}
        ],
        "sections": [{"id": "family", "label": l("Family", "가족", "家庭"), "relevant": "${married} = 'yes'"}]
    });
    let got: Value = serde_json::from_str(&import.form.to_json().unwrap()).unwrap();
    assert_eq!(
        got,
        expected,
        "{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
    let s = &import.summary;
    assert_eq!((s.fields, s.sections, s.rules, s.lists), (17, 1, 3, 2));
    assert_eq!(s.version, 2024031501);
    let langs: Vec<_> = s
        .languages
        .iter()
        .map(|l| (l.name.as_str(), l.mapped.as_deref()))
        .collect();
    assert_eq!(
        langs,
        [
            ("English (en)", Some("en")),
            ("한국어 (ko)", Some("ko")),
            ("中文 (zh)", Some("zh-Hans"))
        ]
    );
    // Hints and one constraint message lack Korean or Chinese: shown in English, said.
    let missing: Vec<_> = notes(s, "label_missing");
    assert_eq!(
        missing,
        [("ko".to_owned(), 1), ("zh-Hans".to_owned(), 2)],
        "{:?}",
        s.notes
    );
    // The rules run: unmarried hides the family section.
    let rules = Rules::new(&import.form).unwrap();
    let values = json!({"age": 30, "married": "no", "spouse": "x"});
    let out = rules.check(&import.form, &|k| values.get(k));
    assert!(out.hidden.contains("spouse") && out.hidden.contains("children"));
    assert_eq!(
        import.form.field("consent").unwrap().kind,
        FieldType::Acknowledge
    );
}

fn notes(s: &Summary, code: &str) -> Vec<(String, u32)> {
    s.notes
        .iter()
        .filter(|n| n.code == code)
        .map(|n| (n.construct.clone(), n.rows))
        .collect()
}

#[test]
fn other_languages_are_kept_and_the_unnamed_label_is_the_default_language() {
    let survey: Rows = &[
        &[
            "type",
            "name",
            "label",
            "label::한국어 (ko)",
            "label::Français (fr)",
        ],
        &["text", "name", "Name", "이름", "Nom"],
    ];
    let settings: Rows = &[&["form_id", "default_language"], &["f", "English (en)"]];
    let import = read(
        &book(&[("survey", survey), ("settings", settings)]),
        "x.xlsx",
    )
    .unwrap();
    let label = &import.form.fields[0].label;
    assert_eq!(
        (label.en.as_str(), label.ko.as_str(), label.zh_hans.as_str()),
        ("Name", "이름", "Name")
    );
    assert_eq!(label.other.as_ref().unwrap()["Français (fr)"], "Nom");
    let mapped: Vec<_> = import
        .summary
        .languages
        .iter()
        .map(|l| l.mapped.clone())
        .collect();
    assert_eq!(mapped, [Some("en".into()), Some("ko".into()), None]);
    // Without settings the form is named after the file.
    let import = read(&book(&[("survey", survey)]), "/tmp/Intake Form.xlsx").unwrap();
    assert_eq!(import.form.name, "intake_form");
    assert_eq!(import.form.version, 1);
}

#[test]
fn presentation_imports_with_a_note_naming_it() {
    let survey: Rows = &[
        &[
            "type",
            "name",
            "label",
            "appearance",
            "media::image",
            "guidance_hint",
            "bind::custom",
        ],
        &["text", "a", "A", "multiline", "a.png", "Ask gently", ""],
        &["text", "b", "B", "minimal", "", "", "x"],
        &["start", "started", "", "", "", "", ""],
        &["calculate", "unused", "", "", "", "", ""],
    ];
    let import = read(&book(&[("survey", survey)]), "x.xlsx").unwrap();
    let n = &import.summary.notes;
    let find = |code: &str, construct: &str| {
        n.iter()
            .find(|x| x.code == code && x.construct == construct)
            .unwrap_or_else(|| panic!("{code} {construct}: {n:?}"))
    };
    let appearance = find("presentation", "appearance");
    assert_eq!((appearance.rows, appearance.row), (2, Some(2)));
    assert_eq!(
        find("presentation", "media").column.as_deref(),
        Some("media::image")
    );
    find("presentation", "guidance_hint");
    find("ignored_column", "bind::custom");
    assert_eq!(find("metadata", "start").row, Some(4));
    find("unused_calculation", "unused");
    assert_eq!(import.form.fields.len(), 2);
}

#[test]
fn what_would_change_what_is_collected_is_refused_with_sheet_row_column_and_construct() {
    let head: &[&str] = &[
        "type",
        "name",
        "label",
        "relevant",
        "choice_filter",
        "required",
        "default",
    ];
    let choices: Rows = &[&["list_name", "name", "label"], &["c", "a", "A"]];
    // Rows after the header; the code, row, column and construct it is refused with.
    type Case<'a> = (Vec<&'a [&'a str]>, &'a str, u32, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![
                &["begin repeat", "kids", "Kids"],
                &["text", "k", "K"],
                &["end repeat"],
            ],
            "unsupported",
            2,
            "type",
            "begin repeat",
        ),
        (
            vec![
                &["calculate", "total", ""],
                &["text", "t", "T", "${total} > 1"],
            ],
            "unsupported",
            3,
            "relevant",
            "calculate",
        ),
        (
            vec![&["select_one_from_file places.csv", "p", "P"]],
            "unsupported",
            2,
            "type",
            "select_one_from_file places.csv",
        ),
        (
            vec![&["select_one c", "p", "P", "", "x = 1"]],
            "unsupported",
            2,
            "choice_filter",
            "choice_filter",
        ),
        (
            vec![&["select_one c or_other", "p", "P"]],
            "unsupported",
            2,
            "type",
            "select_one c or_other",
        ),
        (
            vec![&["range", "r", "R"]],
            "unsupported",
            2,
            "type",
            "range",
        ),
        (
            vec![
                &["text", "a", "A"],
                &["text", "b", "B", "", "", "${a} = 'x'"],
            ],
            "unsupported",
            3,
            "required",
            "${a} = 'x'",
        ),
        (
            vec![
                &["text", "a", "A"],
                &["text", "b", "B", "", "", "", "concat(${a}, 'x')"],
            ],
            "unsupported",
            3,
            "default",
            "default",
        ),
        (
            vec![&["select_one missing", "p", "P"]],
            "unknown_list",
            2,
            "type",
            "missing",
        ),
        (
            vec![&["text", "Age", "A"], &["integer", "age", "B"]],
            "duplicate_name",
            3,
            "name",
            "age",
        ),
        (vec![&["text", "1st", "A"]], "bad_name", 2, "name", "1st"),
        (
            vec![&["text", "a", "A", "${a} < today()"]],
            "bad_rule",
            2,
            "relevant",
            "relevant",
        ),
        (
            vec![&["text", "a", "A", "${nobody} = 1"]],
            "bad_rule",
            2,
            "relevant",
            "relevant",
        ),
        (
            vec![&["today", "d", ""], &["text", "a", "A", "${d} = 1"]],
            "unsupported",
            3,
            "relevant",
            "relevant",
        ),
        (
            vec![&["magic", "a", "A"]],
            "unsupported",
            2,
            "type",
            "magic",
        ),
        (
            vec![&["end group", "", ""]],
            "unbalanced_group",
            2,
            "type",
            "end group",
        ),
        (
            vec![&["integer", "a", "A", "", "", "", "many"]],
            "bad_value",
            2,
            "default",
            "default",
        ),
    ];
    for (rows, code, row, column, construct) in cases {
        let mut all: Vec<&[&str]> = vec![head];
        all.extend(rows);
        let e = refused(&[("survey", &all), ("choices", choices)]);
        let said = format!("{code} row {row} {column} {construct}: {e} {e:?}");
        assert_eq!(e.code, code, "{said}");
        assert_eq!(e.sheet.as_deref(), Some("survey"), "{said}");
        assert_eq!(e.row, Some(row), "{said}");
        assert_eq!(e.column.as_deref(), Some(column), "{said}");
        assert_eq!(e.construct, construct, "{said}");
        assert!(e.to_string().contains(&format!("row {row}")), "{said}");
    }
}

#[test]
fn bad_spreadsheets_each_get_a_clear_error() {
    let e = refused(&[(
        "survey",
        &[
            &["type", "name", "label", "Label"],
            &["text", "a", "A", "B"],
        ],
    )]);
    assert_eq!(
        (e.code.as_str(), e.column.as_deref()),
        ("duplicate_column", Some("Label"))
    );
    let e = refused(&[("questions", &[&["type", "name"], &["text", "a"]])]);
    assert_eq!(e.code, "no_survey_sheet");
    let e = refused(&[
        (
            "survey",
            &[&["type", "name", "label"], &["select_one c", "a", "A"]],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["c", "x", "X"],
                &["c", "x", "Y"],
            ],
        ),
    ]);
    assert_eq!(
        (e.code.as_str(), e.sheet.as_deref(), e.row),
        ("bad_choice", Some("choices"), Some(3))
    );
    assert_eq!(read(&[], "x.xlsx").unwrap_err().code, "empty_file");
    assert_eq!(
        read(b"name,type\n", "x.csv").unwrap_err().code,
        "not_spreadsheet"
    );
    assert_eq!(
        read(&vec![0u8; 100 << 20], "x.xlsx").unwrap_err().code,
        "too_large"
    );
    // A truncated workbook.
    let good = book(&[("survey", &[&["type", "name", "label"], &["text", "a", "A"]])]);
    assert_eq!(
        read(&good[..good.len() / 2], "x.xlsx").unwrap_err().code,
        "not_spreadsheet"
    );
    assert!(read(&good, "x.xlsx").is_ok());
}

/// The XLSForm specification's examples (xlsform.org): skip logic on a choice, a
/// constraint with its message, `selected()` on a multiple choice.
#[test]
fn the_specifications_examples_import_and_behave() {
    let survey: Rows = &[
        &[
            "type",
            "name",
            "label",
            "relevant",
            "constraint",
            "constraint_message",
        ],
        &[
            "integer",
            "age",
            "How old are you?",
            "",
            ". >= 18",
            "Respondent must be 18 or older",
        ],
        &[
            "select_one yes_no",
            "likes_pizza",
            "Do you like pizza?",
            "",
            "",
            "",
        ],
        &[
            "select_multiple pizza_toppings",
            "favorite_topping",
            "Favorite toppings",
            "${likes_pizza} = 'yes'",
            "",
            "",
        ],
        &[
            "text",
            "favorite_cheese",
            "What is your favorite type of cheese?",
            "selected(${favorite_topping}, 'cheese')",
            "",
            "",
        ],
        &[
            "text",
            "middle_name",
            "Middle name?",
            "",
            "string-length(.) <= 20 and regex(., '^[A-Za-z ]*$')",
            "Letters only",
        ],
    ];
    let choices: Rows = &[
        &["list_name", "name", "label"],
        &["yes_no", "yes", "Yes"],
        &["yes_no", "no", "No"],
        &["pizza_toppings", "cheese", "Cheese"],
        &["pizza_toppings", "pepperoni", "Pepperoni"],
    ];
    let import = read(
        &book(&[("survey", survey), ("choices", choices)]),
        "pizza.xlsx",
    )
    .unwrap();
    let (form, rules) = (&import.form, Rules::new(&import.form).unwrap());
    let check = |v: Value| rules.check(form, &|k| v.get(k));
    let out = check(json!({"age": 17}));
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].0, "age");
    assert!(out.hidden.contains("favorite_topping") && out.hidden.contains("favorite_cheese"));
    let out = check(
        json!({"age": 30, "likes_pizza": "yes", "favorite_topping": ["cheese"], "middle_name": "Jo"}),
    );
    assert!(out.hidden.is_empty() && out.problems.is_empty(), "{out:?}");
    let out = check(
        json!({"likes_pizza": "yes", "favorite_topping": ["pepperoni"], "middle_name": "J0"}),
    );
    assert_eq!(out.hidden.iter().collect::<Vec<_>>(), ["favorite_cheese"]);
    assert_eq!(out.problems[0].0, "middle_name");
}

/// Files from other programs, kept in `tests/fixtures/` (written by Python's `xlwt`
/// and encrypted by `msoffcrypto-tool`, as Excel does): an old-format `.xls` form is
/// refused with how to convert it (the reader's `.xls` path can be made to lay out
/// gigabytes of cells before anything can be checked); a workbook saved with a
/// password is refused as one; inputs fuzzing found are refused, not fatal.
#[test]
fn an_xls_form_is_refused_with_how_to_convert_it_and_a_password_protected_workbook_as_one() {
    let file = |path: &str| {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
    };
    let e = read(&file("tests/fixtures/intake.xls"), "intake.xls").unwrap_err();
    assert_eq!(e.code, "old_format", "{e}");
    assert!(e.to_string().contains("save it as .xlsx"), "{e}");
    for found in [
        "cfb-sector-cycle.xls",
        "cfb-empty-fat.xls",
        "xls-huge-cell-range.xls",
        "xlsx-cell-reference-overflow.xlsx",
    ] {
        let e = read(
            &file(&format!("../../fuzz/regressions/form_xlsform/{found}")),
            found,
        )
        .unwrap_err();
        assert!(
            ["not_spreadsheet", "old_format"].contains(&e.code.as_str()),
            "{found}: {e}"
        );
    }
    let e = read(&file("tests/fixtures/locked.xlsx"), "locked.xlsx").unwrap_err();
    assert_eq!(e.code, "password_protected", "{e}");
    assert!(e.to_string().contains("without a password"), "{e}");
}

/// A cell far away (the last row and column a sheet has) must not make the reader
/// lay out billions of empty cells.
#[test]
fn a_far_away_cell_is_refused_without_running_out_of_memory() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("survey").unwrap();
    for (c, h) in ["type", "name", "label"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, h) in ["text", "a", "A"].iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_string(1_048_575, 16_383, "far").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let e = read(&bytes, "far.xlsx").unwrap_err();
    assert_eq!(e.code, "too_large", "{e}");
}
