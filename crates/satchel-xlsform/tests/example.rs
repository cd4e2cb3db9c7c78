//! `assets/forms/examples/screening.xlsx`: the XLSForm the documentation shows and the
//! app's end-to-end test imports (skip logic on a group, a constraint with its
//! message in three languages). It is written by this test with `SATCHEL_BLESS=1`
//! and must always import to the form below.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use satchel_forms::Rules;
use serde_json::json;

const SURVEY: &[&[&str]] = &[
    &[
        "type",
        "name",
        "label::English (en)",
        "label::한국어 (ko)",
        "label::中文 (zh)",
        "hint::English (en)",
        "hint::한국어 (ko)",
        "hint::中文 (zh)",
        "required",
        "relevant",
        "constraint",
        "constraint_message::English (en)",
        "constraint_message::한국어 (ko)",
        "constraint_message::中文 (zh)",
    ],
    &[
        "text",
        "name",
        "Name",
        "이름",
        "姓名",
        "As the person gives it",
        "본인이 말하는 대로",
        "按本人所说",
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
        "",
        "",
        ". >= 0 and . < 120",
        "Age is 0 to 119",
        "나이는 0에서 119 사이입니다",
        "年龄应在0到119之间",
    ],
    &[
        "select_one yes_no",
        "has_children",
        "Has children",
        "자녀가 있습니까",
        "有子女吗",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    &[
        "begin group",
        "children",
        "Children",
        "자녀",
        "子女",
        "",
        "",
        "",
        "",
        "${has_children} = 'yes'",
        "",
        "",
        "",
        "",
    ],
    &[
        "integer",
        "children_count",
        "How many children",
        "자녀 수",
        "子女人数",
        "",
        "",
        "",
        "",
        "",
        ". > 0 and . <= 20",
        "1 to 20",
        "1에서 20 사이",
        "1到20之间",
    ],
    &[
        "end group",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    &[
        "note",
        "safety",
        "Do not write where the person stays tonight.",
        "오늘 밤 머무는 곳은 적지 마십시오.",
        "不要写下此人今晚的住处。",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
];

const CHOICES: &[&[&str]] = &[
    &[
        "list_name",
        "name",
        "label::English (en)",
        "label::한국어 (ko)",
        "label::中文 (zh)",
    ],
    &["yes_no", "yes", "Yes", "예", "是"],
    &["yes_no", "no", "No", "아니요", "否"],
];

const SETTINGS: &[&[&str]] = &[
    &["form_title", "form_id", "version", "default_language"],
    &["Screening", "screening", "1", "English (en)"],
];

fn workbook() -> Vec<u8> {
    common::book(&[
        ("survey", SURVEY),
        ("choices", CHOICES),
        ("settings", SETTINGS),
    ])
}

#[test]
fn the_example_imports_to_its_form_and_its_rules_hold() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/forms/examples/screening.xlsx");
    if std::env::var_os("SATCHEL_BLESS").is_some() {
        std::fs::write(&path, workbook()).unwrap();
    }
    let bytes = std::fs::read(&path).expect("run with SATCHEL_BLESS=1 to write the example");
    let import = satchel_xlsform::read(&bytes, "screening.xlsx").unwrap();
    let form = &import.form;
    assert_eq!((form.name.as_str(), form.version), ("screening", 1));
    let ids: Vec<&str> = form.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        ["name", "age", "has_children", "children_count", "safety"]
    );
    assert!(
        import.summary.notes.is_empty(),
        "{:?}",
        import.summary.notes
    );
    let rules = Rules::new(form).unwrap();
    let no = json!({"name": "김", "has_children": "no"});
    assert!(
        rules
            .check(form, &|k| no.get(k))
            .hidden
            .contains("children_count")
    );
    let bad = json!({"name": "김", "has_children": "yes", "children_count": 0, "age": 130});
    let out = rules.check(form, &|k| bad.get(k));
    let fields: Vec<&str> = out.problems.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["age", "children_count"]);
    // The same workbook as this test writes: the example is not edited by hand.
    let again = satchel_xlsform::read(&workbook(), "screening.xlsx").unwrap();
    assert_eq!(again.form, import.form);
}
