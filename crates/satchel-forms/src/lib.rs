//! Form definitions: what fields a record has, their types and labels in English,
//! Korean and Simplified Chinese, and the rules a value must follow. The format is
//! specified in `docs/forms.md`. Pure rules with no I/O, so the fuzzer and any other
//! reader of shared form files need neither SQLCipher nor the vault.
//!
//! ```
//! let forms = satchel_forms::defaults().unwrap();
//! let name = forms[0].field("name").unwrap();
//! assert_eq!(name.parse_input("김철수").unwrap(), "김철수");
//! ```

use std::collections::BTreeSet;

pub mod expr;
pub mod rules;
pub use rules::{Outcome, Rules};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// Why a form definition or a value was refused. Messages never hold the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// A form definition is invalid.
    #[error("invalid form definition: {0}")]
    Invalid(String),
    /// The form has no such field.
    #[error("form `{form}` has no field `{field}`; see `satchel form show {form}`")]
    UnknownField {
        /// Form name.
        form: String,
        /// Field id given.
        field: String,
    },
    /// A value does not fit its field.
    #[error("field `{field}`: {problem}")]
    InvalidValue {
        /// Field id.
        field: String,
        /// What was expected (never the value itself).
        problem: ValueProblem,
    },
}

/// Why a value does not fit its field: a stable code for front ends to translate
/// (`code`, `params`) and an English sentence for the command line (`Display`).
/// Never the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueProblem {
    /// Not what the field's type takes.
    #[error("{}", .0.expects())]
    Expected(FieldType),
    /// Longer than the field allows.
    #[error("longer than {max} characters")]
    TooLong {
        /// Most characters.
        max: usize,
    },
    /// An attachment entry that is not `{name, size}`.
    #[error("expected {{name, size}} of an attached file")]
    NotAttachment,
    /// An attachment entry whose key is not a content hash.
    #[error("not named by a BLAKE3 hash")]
    AttachmentKey,
    /// An edit that changes nothing.
    #[error("nothing to change: give at least one field or attachment")]
    NothingToChange,
    /// `@` with no name after it.
    #[error("give a name to search for after @")]
    NoLinkName,
    /// No record of the linked form matches the name searched for.
    #[error("no {form} record matches `{searched}`")]
    NoLinkMatch {
        /// The linked form.
        form: String,
        /// What was searched for (record text: shown on the command line only).
        searched: String,
    },
    /// Several records of the linked form match.
    #[error(
        "several {form} records match `{searched}`: search with more of the name, or give the id"
    )]
    SeveralLinkMatches {
        /// The linked form.
        form: String,
        /// What was searched for (record text: shown on the command line only).
        searched: String,
    },
    /// A front end's setting over the limit.
    #[error("a setting is at most 4 KiB")]
    SettingTooLong,
    /// A draft that is not a JSON object.
    #[error("a draft is a JSON object")]
    DraftNotObject,
    /// A conflict resolved with both or neither of a pick and a new value.
    #[error("give either a value to pick or a new value")]
    PickOrValue,
    /// A value the form's `constraint` rule refuses.
    #[error("{}", constraint_text(.message))]
    Constraint {
        /// The form's own message, in every language it has.
        message: Option<Box<Labels>>,
    },
    /// A value in a field the form's `relevant` rule hides given the other answers.
    #[error("does not apply given the other answers; leave it empty")]
    NotRelevant,
    /// An attachment field naming a file the record does not hold.
    #[error("names no file attached to this record")]
    NoSuchAttachment,
    /// A record of another form where one form's records are asked for (a report).
    #[error("record `{record}` is not a `{form}` record; an export holds one form")]
    OtherForm {
        /// The record's id (shown on the command line only).
        record: String,
        /// The form asked for.
        form: String,
    },
}

impl ValueProblem {
    /// A stable code, for the `problem` parameter of an `invalid_value` error.
    pub fn code(&self) -> &'static str {
        match self {
            ValueProblem::Expected(t) => match t {
                FieldType::Text | FieldType::LongText => "not_text",
                FieldType::Number => "not_number",
                FieldType::Date => "not_date",
                FieldType::SingleChoice => "not_choice",
                FieldType::MultiChoice => "not_choices",
                FieldType::Location => "not_location",
                FieldType::YesNo => "not_yes_no",
                FieldType::Integer => "not_integer",
                FieldType::DateTime => "not_datetime",
                FieldType::Time => "not_time",
                FieldType::Attachment => "not_attachment_key",
                FieldType::Note => "not_for_notes",
                FieldType::Acknowledge => "not_acknowledge",
            },
            ValueProblem::Constraint { .. } => "constraint",
            ValueProblem::NotRelevant => "not_relevant",
            ValueProblem::NoSuchAttachment => "no_such_attachment",
            ValueProblem::TooLong { .. } => "too_long",
            ValueProblem::NotAttachment => "not_attachment",
            ValueProblem::AttachmentKey => "attachment_key",
            ValueProblem::NothingToChange => "nothing_to_change",
            ValueProblem::NoLinkName => "no_link_name",
            ValueProblem::NoLinkMatch { .. } => "no_link_match",
            ValueProblem::SeveralLinkMatches { .. } => "several_link_matches",
            ValueProblem::SettingTooLong => "setting_too_long",
            ValueProblem::DraftNotObject => "draft_not_object",
            ValueProblem::PickOrValue => "pick_or_value",
            ValueProblem::OtherForm { .. } => "other_form",
        }
    }

    /// The numbers and names a translation needs besides the code: never the
    /// value, nor what was searched for.
    pub fn params(&self) -> Vec<(&'static str, ProblemParam)> {
        match self {
            ValueProblem::TooLong { max } => vec![("max", ProblemParam::Number(*max as u64))],
            ValueProblem::NoLinkMatch { form, .. }
            | ValueProblem::SeveralLinkMatches { form, .. }
            | ValueProblem::OtherForm { form, .. } => {
                vec![("form", ProblemParam::Text(form.clone()))]
            }
            _ => Vec::new(),
        }
    }

    /// One of every kind, for the front ends' translation tests.
    pub fn examples() -> Vec<ValueProblem> {
        let searched = String::from("(searched)");
        let mut all: Vec<ValueProblem> = [
            FieldType::Text,
            FieldType::Number,
            FieldType::Date,
            FieldType::SingleChoice,
            FieldType::MultiChoice,
            FieldType::Location,
            FieldType::YesNo,
            FieldType::Integer,
            FieldType::DateTime,
            FieldType::Time,
            FieldType::Attachment,
            FieldType::Note,
            FieldType::Acknowledge,
        ]
        .into_iter()
        .map(ValueProblem::Expected)
        .collect();
        all.extend([
            ValueProblem::TooLong { max: MAX_TEXT },
            ValueProblem::NotAttachment,
            ValueProblem::AttachmentKey,
            ValueProblem::OtherForm {
                record: "0a1b2c".into(),
                form: "contact".into(),
            },
            ValueProblem::NothingToChange,
            ValueProblem::NoLinkName,
            ValueProblem::NoLinkMatch {
                form: "contact".into(),
                searched: searched.clone(),
            },
            ValueProblem::SeveralLinkMatches {
                form: "contact".into(),
                searched,
            },
            ValueProblem::SettingTooLong,
            ValueProblem::DraftNotObject,
            ValueProblem::PickOrValue,
            ValueProblem::Constraint { message: None },
            ValueProblem::NotRelevant,
            ValueProblem::NoSuchAttachment,
        ]);
        all
    }
}

fn constraint_text(message: &Option<Box<Labels>>) -> String {
    match message {
        Some(m) => format!("does not meet the form's rule: {}", m.en),
        None => "does not meet the form's rule".to_owned(),
    }
}

/// A parameter of a [`ValueProblem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemParam {
    /// A name (a form's).
    Text(String),
    /// A count or a limit.
    Number(u64),
}

/// Shorthand.
pub type Result<T, E = FormError> = std::result::Result<T, E>;

/// Longest single-line text value, in characters.
pub const MAX_TEXT: usize = 1_000;
/// Longest long-text value, in characters.
pub const MAX_LONG_TEXT: usize = 100_000;
/// Most fields in a form: long surveys imported from XLSForm run to several hundred.
pub const MAX_FIELDS: usize = 1_000;
/// Longest label, hint or message, in characters: a note in an imported survey
/// can be a paragraph.
pub const MAX_LABEL: usize = 2_000;
/// Most sections in a form.
pub const MAX_SECTIONS: usize = 200;

/// A label in each supported language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// English.
    pub en: String,
    /// Korean.
    pub ko: String,
    /// Simplified Chinese.
    #[serde(rename = "zh-Hans")]
    pub zh_hans: String,
    /// Any other language a form came with (an imported XLSForm's French, say), by
    /// the name its author gave it: kept so nothing of the form is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub other: Option<std::collections::BTreeMap<String, String>>,
}

impl Labels {
    /// The label for a language tag (`en`, `ko`, `zh-Hans`), English otherwise.
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "ko" => &self.ko,
            "zh-Hans" | "zh" | "zh-CN" => &self.zh_hans,
            _ => &self.en,
        }
    }

    /// The same text in every language.
    pub fn same(text: &str) -> Labels {
        Labels {
            en: text.to_owned(),
            ko: text.to_owned(),
            zh_hans: text.to_owned(),
            other: None,
        }
    }

    fn all(&self) -> [&str; 3] {
        [&self.en, &self.ko, &self.zh_hans]
    }
}

/// A location in degrees: the stored shape of a `location` field,
/// `{"lat": 42.9, "lon": 129.5}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
}

/// A field's value in its stored shape, as the app sends it: the one definition of
/// those shapes that the UI's types are generated from (`ui/src/lib/generated/`).
/// A clear is `null`, that is `Option::None`. [`FieldDef::validate`] still checks
/// that the value fits its field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum FieldValue {
    /// `text`, `long_text`, `date` (`YYYY-MM-DD`), `datetime` (`YYYY-MM-DDTHH:MM`),
    /// `time` (`HH:MM`), `single_choice` (an option id) and `attachment` (the BLAKE3
    /// hash of a file attached to the record, in hex).
    Text(String),
    /// `number` and `integer`.
    Number(serde_json::Number),
    /// `yes_no`, and `acknowledge` (only `true`).
    YesNo(bool),
    /// `multi_choice`: option ids.
    Choices(Vec<String>),
    /// `location`.
    Location(LatLon),
}

impl FieldValue {
    /// The value as stored JSON.
    pub fn into_json(self) -> Value {
        match self {
            FieldValue::Text(t) => Value::String(t),
            FieldValue::Number(n) => Value::Number(n),
            FieldValue::YesNo(b) => Value::Bool(b),
            FieldValue::Choices(ids) => Value::Array(ids.into_iter().map(Value::String).collect()),
            FieldValue::Location(l) => serde_json::json!({ "lat": l.lat, "lon": l.lon }),
        }
    }
}

/// The type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several paragraphs.
    LongText,
    /// A number.
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of the options.
    SingleChoice,
    /// Any of the options.
    MultiChoice,
    /// Latitude and longitude in degrees.
    Location,
    /// Yes or no.
    YesNo,
    /// A whole number.
    Integer,
    /// A date and a time of day, `YYYY-MM-DDTHH:MM`, as the person read it locally.
    #[serde(rename = "datetime")]
    DateTime,
    /// A time of day, `HH:MM`.
    Time,
    /// One of the files attached to the record, by its BLAKE3 hash in hex.
    Attachment,
    /// Text for the person filling the form (its label and hint); holds no value.
    Note,
    /// A statement the person confirms: `true`, or empty.
    Acknowledge,
}

impl FieldType {
    /// Whether the field holds a value (a note does not).
    pub fn holds_value(self) -> bool {
        self != FieldType::Note
    }

    fn expects(self) -> &'static str {
        match self {
            FieldType::Text | FieldType::LongText => "expected text",
            FieldType::Number => "expected a number",
            FieldType::Date => {
                "expected a date like 2026-03-01, a year and month (1985-03) or a year (1985), \
                 ~ before it when approximate"
            }
            FieldType::SingleChoice => "expected one of the listed options",
            FieldType::MultiChoice => "expected a comma-separated list of the listed options",
            FieldType::Location => "expected latitude,longitude in degrees, like 42.9,129.5",
            FieldType::YesNo => "expected yes or no",
            FieldType::Integer => "expected a whole number",
            FieldType::DateTime => "expected a date and time like 2026-03-01 14:30",
            FieldType::Time => "expected a time of day like 14:30",
            FieldType::Attachment => "expected the name of a file attached to the record",
            FieldType::Note => "a note holds no value",
            FieldType::Acknowledge => "expected yes (acknowledged) or empty",
        }
    }
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stored value.
    pub id: String,
    /// What people see.
    pub label: Labels,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Stable id, stored in ops.
    pub id: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether a record must have it.
    #[serde(default)]
    pub required: bool,
    /// What people see.
    pub label: Labels,
    /// Options of choice fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// A text field that links to a record of this form: its value is that record's
    /// id, chosen by searching the form's records by name (`@name` on the command
    /// line), and shown as the record's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub links_to: Option<String>,
    /// Help shown under the label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hint: Option<Labels>,
    /// The value a new record starts with, in its stored shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "FieldValue")]
    pub default: Option<Value>,
    /// The section (see [`Form::sections`]) the field is shown in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub section: Option<String>,
    /// When the field applies (skip logic), an expression of the subset in
    /// `docs/forms.md`: a field that does not apply is hidden and holds no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub relevant: Option<String>,
    /// What a value must meet, an expression where `.` is the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub constraint: Option<String>,
    /// What to tell the person when the constraint is not met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub constraint_message: Option<Labels>,
}

/// A titled part of a form (an XLSForm group), which may apply only when a rule
/// holds: every field in it is then hidden with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Stable id, named by fields' `section`.
    pub id: String,
    /// Title shown above its fields.
    pub label: Labels,
    /// When the section applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub relevant: Option<String>,
}

/// A form definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Stable name.
    pub name: String,
    /// Increases with every published change.
    pub version: i64,
    /// What people see.
    pub label: Labels,
    /// Fields in display order.
    pub fields: Vec<FieldDef>,
    /// Sections fields are shown in, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn invalid(reason: impl Into<String>) -> FormError {
    FormError::Invalid(reason.into())
}

impl Form {
    /// Parses and checks a definition.
    pub fn parse(json: &str) -> Result<Self> {
        let form: Form = serde_json::from_str(json).map_err(|e| {
            invalid(format!(
                "not valid form JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        form.check()?;
        Ok(form)
    }

    fn check(&self) -> Result<()> {
        if !valid_id(&self.name) {
            return Err(invalid(
                "`name` must be 1-40 lower-case letters, digits, `_` or `-`",
            ));
        }
        if self.version < 1 {
            return Err(invalid("`version` must be 1 or more"));
        }
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            return Err(invalid(format!("a form has 1 to {MAX_FIELDS} fields")));
        }
        check_labels(&self.label, "the form")?;
        if self.sections.len() > MAX_SECTIONS {
            return Err(invalid(format!(
                "a form has at most {MAX_SECTIONS} sections"
            )));
        }
        let mut sections = BTreeSet::new();
        for x in &self.sections {
            if !valid_id(&x.id) || !sections.insert(x.id.as_str()) {
                return Err(invalid(format!(
                    "section id `{}` must be 1-40 lower-case letters, digits, `_` or `-`, once",
                    x.id.chars().take(40).collect::<String>()
                )));
            }
            check_labels(&x.label, &x.id)?;
        }
        let mut ids = BTreeSet::new();
        for f in &self.fields {
            if !valid_id(&f.id) {
                return Err(invalid(format!(
                    "field id `{}` must be 1-40 lower-case letters, digits, `_` or `-`",
                    f.id.chars().take(40).collect::<String>()
                )));
            }
            if !ids.insert(f.id.as_str()) {
                return Err(invalid(format!("field id `{}` appears twice", f.id)));
            }
            check_labels(&f.label, &f.id)?;
            let choice = matches!(f.kind, FieldType::SingleChoice | FieldType::MultiChoice);
            if choice && f.options.is_empty() {
                return Err(invalid(format!("choice field `{}` has no options", f.id)));
            }
            if !choice && !f.options.is_empty() {
                return Err(invalid(format!(
                    "field `{}` is not a choice but has options",
                    f.id
                )));
            }
            if let Some(target) = &f.links_to
                && (f.kind != FieldType::Text || !valid_id(target))
            {
                return Err(invalid(format!(
                    "field `{}` links to records only as a text field naming a form",
                    f.id
                )));
            }
            if let Some(h) = &f.hint {
                check_labels(h, &f.id)?;
            }
            if !f.kind.holds_value()
                && (f.required || f.default.is_some() || f.constraint.is_some())
            {
                return Err(invalid(format!(
                    "note `{}` holds no value: it is never required, has no default and no constraint",
                    f.id
                )));
            }
            if let Some(d) = &f.default {
                if d.is_null() {
                    return Err(invalid(format!("the default of `{}` is empty", f.id)));
                }
                f.validate(d)
                    .map_err(|e| invalid(format!("the default of {e}")))?;
            }
            if let Some(s) = &f.section
                && !self.sections.iter().any(|x| &x.id == s)
            {
                return Err(invalid(format!(
                    "field `{}` is in section `{}`, which the form does not have",
                    f.id,
                    s.chars().take(40).collect::<String>()
                )));
            }
            if f.constraint_message.is_some() && f.constraint.is_none() {
                return Err(invalid(format!(
                    "field `{}` has a constraint message but no constraint",
                    f.id
                )));
            }
            if let Some(m) = &f.constraint_message {
                check_labels(m, &f.id)?;
            }
            let mut opts = BTreeSet::new();
            for o in &f.options {
                if o.id.is_empty() || o.id.contains(',') || o.id.len() > 40 {
                    return Err(invalid(format!(
                        "an option id of `{}` is empty, too long or has a comma",
                        f.id
                    )));
                }
                if !opts.insert(o.id.as_str()) {
                    return Err(invalid(format!(
                        "option `{}` of `{}` appears twice",
                        o.id, f.id
                    )));
                }
                check_labels(&o.label, &f.id)?;
            }
        }
        // Every rule parses and reads only fields of the form.
        Rules::new(self)?;
        Ok(())
    }

    /// Whether any field or section has a skip-logic or constraint rule.
    pub fn has_rules(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.relevant.is_some() || f.constraint.is_some())
            || self.sections.iter().any(|s| s.relevant.is_some())
    }

    /// The field with this id.
    pub fn field(&self, id: &str) -> Result<&FieldDef> {
        self.fields
            .iter()
            .find(|f| f.id == id)
            .ok_or_else(|| FormError::UnknownField {
                form: self.name.clone(),
                field: id.chars().take(60).collect(),
            })
    }

    /// Checks that this definition can replace `older`: a form's ops are checked
    /// against the newest version held, so a newer version keeps every field with
    /// its type and every option, and may only add fields and options or change
    /// labels and `required`. A value valid under the version it was written with is
    /// then valid under every later one.
    pub fn check_successor(&self, older: &Form) -> Result<()> {
        for old in &older.fields {
            let Some(new) = self.fields.iter().find(|f| f.id == old.id) else {
                return Err(invalid(format!(
                    "version {} drops field `{}` of version {}; fields are never removed",
                    self.version, old.id, older.version
                )));
            };
            if new.kind != old.kind {
                return Err(invalid(format!(
                    "version {} changes the type of field `{}`; add a new field instead",
                    self.version, old.id
                )));
            }
            if let Some(o) = old
                .options
                .iter()
                .find(|o| !new.options.iter().any(|n| n.id == o.id))
            {
                return Err(invalid(format!(
                    "version {} drops option `{}` of field `{}`; options are never removed",
                    self.version, o.id, old.id
                )));
            }
        }
        Ok(())
    }

    /// The canonical JSON stored in the vault.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|_| invalid("unencodable"))
    }
}

fn check_labels(labels: &Labels, whose: &str) -> Result<()> {
    if labels
        .all()
        .iter()
        .any(|l| l.trim().is_empty() || l.chars().count() > MAX_LABEL)
        || labels.other.as_ref().is_some_and(|o| {
            o.len() > 20
                || o.iter()
                    .any(|(k, v)| k.chars().count() > 100 || v.chars().count() > MAX_LABEL)
        })
    {
        return Err(invalid(format!(
            "labels of {whose} must be 1-{MAX_LABEL} characters in en, ko and zh-Hans"
        )));
    }
    Ok(())
}

/// The forms every new vault starts with.
pub fn defaults() -> Result<Vec<Form>> {
    [
        include_str!("../../../assets/forms/contact.json"),
        include_str!("../../../assets/forms/case.json"),
        include_str!("../../../assets/forms/encounter.json"),
    ]
    .into_iter()
    .map(Form::parse)
    .collect()
}

/// Longest attachment file name, in characters.
pub const MAX_ATTACHMENT_NAME: usize = 255;

/// Checks the value of an attachment entry of a write: `null` (removed), or
/// `{"name": TEXT, "size": N}` with an optional `"type": TEXT`. The key that names the
/// attachment is the op format's business; this is the value's rule, for local and
/// received ops alike.
pub fn validate_attachment(value: &Value) -> Result<()> {
    let bad = || FormError::InvalidValue {
        field: "attachment".to_owned(),
        problem: ValueProblem::NotAttachment,
    };
    let o = match value {
        Value::Null => return Ok(()),
        Value::Object(o) => o,
        _ => return Err(bad()),
    };
    let name_ok = o
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty() && n.chars().count() <= MAX_ATTACHMENT_NAME);
    let size_ok = o.get("size").is_some_and(|s| s.as_u64().is_some());
    let type_ok = o
        .get("type")
        .is_none_or(|t| t.as_str().is_some_and(|t| t.chars().count() <= 200));
    let keys_ok = o
        .keys()
        .all(|k| matches!(k.as_str(), "name" | "size" | "type"));
    if name_ok && size_ok && type_ok && keys_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

fn bad(field: &FieldDef) -> FormError {
    FormError::InvalidValue {
        field: field.id.clone(),
        problem: ValueProblem::Expected(field.kind),
    }
}

fn too_long(field: &FieldDef, max: usize) -> FormError {
    FormError::InvalidValue {
        field: field.id.clone(),
        problem: ValueProblem::TooLong { max },
    }
}

/// Years a date may name.
const YEARS: std::ops::RangeInclusive<u32> = 1000..=2999;

/// A stored date: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, each possibly approximate (a
/// leading `~`): refugees often know only a year, or a year roughly.
fn is_date(s: &str) -> bool {
    let exact = s.strip_prefix('~').unwrap_or(s);
    let mut parts = exact.split('-');
    let year = parts
        .next()
        .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()));
    let Some(year) = year
        .and_then(|y| y.parse::<u32>().ok())
        .filter(|y| YEARS.contains(y))
    else {
        return false;
    };
    fn two(p: &str) -> Option<&str> {
        Some(p).filter(|x| x.len() == 2 && x.bytes().all(|b| b.is_ascii_digit()))
    }
    let rest: Vec<&str> = parts.collect();
    match rest.as_slice() {
        [] => true,
        [m] => two(m)
            .and_then(|m| m.parse::<u8>().ok())
            .is_some_and(|m| (1..=12).contains(&m)),
        [m, d] => {
            let (Some(m), Some(d)) = (two(m), two(d)) else {
                return false;
            };
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(&format!("{year:04}-{m}-{d}"), &format).is_ok()
        }
        _ => false,
    }
}

/// A stored time of day: `HH:MM`.
fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b.get(2) == Some(&b':')
        && s.get(..2)
            .and_then(|h| h.parse::<u8>().ok())
            .is_some_and(|h| h < 24)
        && s.get(3..)
            .and_then(|m| m.parse::<u8>().ok())
            .is_some_and(|m| m < 60)
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
}

/// A stored date and time: `YYYY-MM-DDTHH:MM`, the date exact.
fn is_datetime(s: &str) -> bool {
    s.split_once('T')
        .is_some_and(|(d, t)| d.len() == 10 && !d.starts_with('~') && is_date(d) && is_time(t))
}

/// Reads a typed time of day, `14:30` or `9:05`, seconds dropped.
pub fn parse_time(text: &str) -> Option<String> {
    let mut parts = text.trim().split(':');
    let h: u8 = parts.next()?.trim().parse().ok()?;
    let m = parts.next()?.trim();
    let sec = parts.next();
    if parts.next().is_some() || m.len() != 2 || sec.is_some_and(|x| x.len() != 2) {
        return None;
    }
    let m: u8 = m.parse().ok()?;
    if sec.is_some_and(|x| x.parse::<u8>().map_or(true, |x| x >= 60)) {
        return None;
    }
    let t = format!("{h:02}:{m:02}");
    is_time(&t).then_some(t)
}

/// Reads a typed date and time, `2026-03-01 14:30` (or with `T`): the date in any
/// form [`parse_date`] reads, but exact.
pub fn parse_datetime(text: &str) -> Option<String> {
    let t = text.trim();
    let (d, time) = t.rsplit_once([' ', 'T'])?;
    let d = parse_date(d.trim())?;
    let time = parse_time(time)?;
    let s = format!("{d}T{time}");
    is_datetime(&s).then_some(s)
}

/// Words and signs that make a typed date approximate, before or after it.
const ABOUT_BEFORE: &[&str] = &[
    "~",
    "approximately",
    "approx.",
    "approx",
    "about",
    "circa",
    "ca.",
    "c.",
    "대략",
    "약",
    "大约",
    "大概",
    "约",
];
const ABOUT_AFTER: &[&str] = &["경", "左右", "前后"];

/// Reads a date as people type it in any of the app's languages: `1990-02-28`,
/// `1990.2.28`, `1990/2/28`, `1990년 2월 28일`, `1990年2月28日`, a year and month, a
/// year, each possibly approximate (`about 1985`, `약 1985년`, `1985년경`, `约1985年`).
/// Returns the stored form, or `None`. The cases are in `assets/ipc/dates.json`,
/// which the app's reader is tested against too.
pub fn parse_date(text: &str) -> Option<String> {
    let mut t = text.trim();
    let mut approx = false;
    loop {
        let lower = t.to_lowercase();
        let Some(w) = ABOUT_BEFORE.iter().find(|w| lower.starts_with(**w)) else {
            break;
        };
        // Lower-casing keeps these prefixes' lengths, so the cut is on a boundary.
        t = t.get(w.len()..)?.trim_start();
        approx = true;
    }
    for w in ABOUT_AFTER {
        if let Some(rest) = t.strip_suffix(w) {
            t = rest.trim_end();
            approx = true;
        }
    }
    let mut groups: Vec<&str> = Vec::new();
    let mut start = None;
    for (i, c) in t.char_indices() {
        if c.is_ascii_digit() {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            groups.push(t.get(s..i)?);
        }
        if !matches!(
            c,
            '-' | '.' | '/' | ' ' | '년' | '월' | '일' | '年' | '月' | '日' | '号'
        ) {
            return None;
        }
    }
    if let Some(s) = start {
        groups.push(t.get(s..)?);
    }
    let (year, rest) = groups.split_first()?;
    if year.len() != 4 || rest.len() > 2 || rest.iter().any(|g| g.is_empty() || g.len() > 2) {
        return None;
    }
    let mut out = String::from(if approx { "~" } else { "" });
    out.push_str(year);
    for g in rest {
        out.push('-');
        if g.len() == 1 {
            out.push('0');
        }
        out.push_str(g);
    }
    is_date(&out).then_some(out)
}

/// A partial or approximate date as a person reads it in `lang`; an exact one as
/// stored.
fn show_date(stored: &str, lang: &str) -> String {
    let approx = stored.starts_with('~');
    let exact = stored.trim_start_matches('~');
    let mut parts = exact.split('-');
    let (y, m, d) = (parts.next(), parts.next(), parts.next());
    if d.is_some() && !approx {
        return exact.to_owned();
    }
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let y = y.unwrap_or_default();
    let month = m.and_then(|m| m.parse::<usize>().ok());
    let day = d.and_then(|d| d.parse::<u32>().ok());
    match lang {
        "ko" => {
            let mut s = format!("{y}년");
            if let Some(m) = month {
                s.push_str(&format!(" {m}월"));
            }
            if let Some(d) = day {
                s.push_str(&format!(" {d}일"));
            }
            if approx { format!("{s}경") } else { s }
        }
        "zh-Hans" | "zh" => {
            let mut s = format!("{y}年");
            if let Some(m) = month {
                s.push_str(&format!("{m}月"));
            }
            if let Some(d) = day {
                s.push_str(&format!("{d}日"));
            }
            if approx { format!("约{s}") } else { s }
        }
        _ => {
            let month = month.and_then(|m| MONTHS.get(m.wrapping_sub(1)));
            let s = match (month, day) {
                (Some(m), Some(d)) => format!("{d} {m} {y}"),
                (Some(m), None) => format!("{m} {y}"),
                _ => y.to_owned(),
            };
            if approx { format!("about {s}") } else { s }
        }
    }
}

impl FieldDef {
    /// Checks a stored-form value. `null` means "clear".
    pub fn validate(&self, value: &Value) -> Result<()> {
        let ok = match (self.kind, value) {
            (_, Value::Null) => true,
            (FieldType::Text, Value::String(s)) => {
                if s.chars().count() > MAX_TEXT {
                    return Err(too_long(self, MAX_TEXT));
                }
                true
            }
            (FieldType::LongText, Value::String(s)) => {
                if s.chars().count() > MAX_LONG_TEXT {
                    return Err(too_long(self, MAX_LONG_TEXT));
                }
                true
            }
            (FieldType::Number, Value::Number(n)) => n.as_f64().is_some_and(f64::is_finite),
            (FieldType::Date, Value::String(s)) => is_date(s),
            (FieldType::SingleChoice, Value::String(s)) => self.options.iter().any(|o| &o.id == s),
            (FieldType::MultiChoice, Value::Array(items)) => {
                let mut seen = BTreeSet::new();
                items.iter().all(|i| {
                    i.as_str()
                        .is_some_and(|s| self.options.iter().any(|o| o.id == s) && seen.insert(s))
                })
            }
            (FieldType::Location, Value::Object(o)) => {
                let lat = o.get("lat").and_then(Value::as_f64);
                let lon = o.get("lon").and_then(Value::as_f64);
                o.len() == 2
                    && lat.is_some_and(|v| (-90.0..=90.0).contains(&v))
                    && lon.is_some_and(|v| (-180.0..=180.0).contains(&v))
            }
            (FieldType::YesNo, Value::Bool(_)) => true,
            (FieldType::Integer, Value::Number(n)) => n.is_i64(),
            (FieldType::DateTime, Value::String(s)) => is_datetime(s),
            (FieldType::Time, Value::String(s)) => is_time(s),
            (FieldType::Attachment, Value::String(s)) => {
                s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
            (FieldType::Acknowledge, Value::Bool(true)) => true,
            _ => false,
        };
        if ok { Ok(()) } else { Err(bad(self)) }
    }

    /// Parses what a person typed into the stored form. An empty string clears.
    pub fn parse_input(&self, text: &str) -> Result<Value> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(Value::Null);
        }
        let value = match self.kind {
            FieldType::Text | FieldType::LongText => Value::String(text.to_owned()),
            FieldType::Number => match t.parse::<i64>() {
                Ok(i) => Value::Number(i.into()),
                Err(_) => {
                    let n: f64 = t.parse().map_err(|_| bad(self))?;
                    serde_json::Number::from_f64(n)
                        .map(Value::Number)
                        .ok_or_else(|| bad(self))?
                }
            },
            FieldType::Date => Value::String(parse_date(t).ok_or_else(|| bad(self))?),
            FieldType::SingleChoice => Value::String(self.option_id(t).ok_or_else(|| bad(self))?),
            FieldType::MultiChoice => Value::Array(
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        self.option_id(s)
                            .map(Value::String)
                            .ok_or_else(|| bad(self))
                    })
                    .collect::<Result<_>>()?,
            ),
            FieldType::Location => {
                let (lat, lon) = t.split_once(',').ok_or_else(|| bad(self))?;
                let lat: f64 = lat.trim().parse().map_err(|_| bad(self))?;
                let lon: f64 = lon.trim().parse().map_err(|_| bad(self))?;
                serde_json::json!({ "lat": lat, "lon": lon })
            }
            FieldType::Integer => Value::Number(t.parse::<i64>().map_err(|_| bad(self))?.into()),
            FieldType::DateTime => Value::String(parse_datetime(t).ok_or_else(|| bad(self))?),
            FieldType::Time => Value::String(parse_time(t).ok_or_else(|| bad(self))?),
            FieldType::Attachment => Value::String(t.to_ascii_lowercase()),
            FieldType::Note => return Err(bad(self)),
            FieldType::Acknowledge => match t.to_lowercase().as_str() {
                "yes" | "y" | "true" | "1" | "ok" | "예" | "네" | "확인" | "是" | "确认" => {
                    Value::Bool(true)
                }
                _ => return Err(bad(self)),
            },
            FieldType::YesNo => match t.to_lowercase().as_str() {
                "yes" | "y" | "true" | "1" | "예" | "네" | "是" => Value::Bool(true),
                "no" | "n" | "false" | "0" | "아니오" | "아니요" | "否" => {
                    Value::Bool(false)
                }
                _ => return Err(bad(self)),
            },
        };
        self.validate(&value)?;
        Ok(value)
    }

    fn option_id(&self, text: &str) -> Option<String> {
        self.options
            .iter()
            .find(|o| o.id == text)
            .or_else(|| {
                self.options
                    .iter()
                    .find(|o| o.label.all().iter().any(|l| l.eq_ignore_ascii_case(text)))
            })
            .map(|o| o.id.clone())
    }

    /// A value as a person reads it, labels in `lang`.
    pub fn display(&self, value: &Value, lang: &str) -> String {
        let label = |id: &str| {
            self.options
                .iter()
                .find(|o| o.id == id)
                .map_or_else(|| id.to_owned(), |o| o.label.get(lang).to_owned())
        };
        match (self.kind, value) {
            (_, Value::Null) => String::new(),
            (FieldType::SingleChoice, Value::String(s)) => label(s),
            (FieldType::MultiChoice, Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(label)
                .collect::<Vec<_>>()
                .join(", "),
            (FieldType::Location, Value::Object(o)) => format!(
                "{},{}",
                o.get("lat").and_then(Value::as_f64).unwrap_or_default(),
                o.get("lon").and_then(Value::as_f64).unwrap_or_default()
            ),
            (FieldType::YesNo, Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
            (FieldType::Acknowledge, Value::Bool(true)) => match lang {
                "ko" => "확인함",
                "zh-Hans" | "zh" | "zh-CN" => "已确认",
                _ => "acknowledged",
            }
            .to_owned(),
            (FieldType::DateTime, Value::String(s)) => s.replacen('T', " ", 1),
            (FieldType::Date, Value::String(s)) => show_date(s, lang),
            (_, Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The cases the app's reader is tested against too (ui/src/lib/fields.test.ts).
    #[test]
    fn dates_read_stored_and_shown_as_the_shared_cases_say() {
        let cases: Value =
            serde_json::from_str(include_str!("../../../assets/ipc/dates.json")).unwrap();
        let def = contact()
            .fields
            .into_iter()
            .find(|f| f.kind == FieldType::Date)
            .unwrap();
        for c in cases["parse"].as_array().unwrap() {
            let typed = c["typed"].as_str().unwrap();
            let stored = c["stored"].as_str().unwrap();
            assert_eq!(parse_date(typed).as_deref(), Some(stored), "{typed}");
            assert_eq!(def.parse_input(typed).unwrap(), json!(stored), "{typed}");
            assert!(def.validate(&json!(stored)).is_ok(), "{stored}");
        }
        for bad in cases["refused"].as_array().unwrap() {
            let bad = bad.as_str().unwrap();
            assert_eq!(parse_date(bad), None, "{bad}");
            assert!(def.parse_input(bad).is_err(), "{bad}");
            assert!(def.validate(&json!(bad)).is_err(), "{bad}");
        }
        for c in cases["shown"].as_array().unwrap() {
            let stored = &c["stored"];
            for lang in ["en", "ko", "zh-Hans"] {
                assert_eq!(
                    def.display(stored, lang),
                    c[lang].as_str().unwrap(),
                    "{stored} {lang}"
                );
            }
        }
    }

    fn contact() -> Form {
        defaults()
            .unwrap()
            .into_iter()
            .find(|f| f.name == "contact")
            .unwrap()
    }

    #[test]
    fn default_forms_parse_and_cover_every_type() {
        let forms = defaults().unwrap();
        assert_eq!(
            forms.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["contact", "case", "encounter"]
        );
        let types: BTreeSet<String> = forms
            .iter()
            .flat_map(|f| f.fields.iter().map(|d| format!("{:?}", d.kind)))
            .collect();
        // The shipped forms use the eight original types.
        assert_eq!(types.len(), 8);
    }

    #[test]
    fn inputs_parse_per_type() {
        let f = contact();
        let p = |id: &str, t: &str| f.field(id).unwrap().parse_input(t);
        assert_eq!(p("name", "김철수").unwrap(), "김철수");
        assert_eq!(p("household_size", "4").unwrap(), 4);
        assert_eq!(p("household_size", "2.5").unwrap(), 2.5);
        assert_eq!(p("birth_date", "1990-02-28").unwrap(), "1990-02-28");
        assert_eq!(p("sex", "Female").unwrap(), "female");
        assert_eq!(p("sex", "여성").unwrap(), "female");
        assert_eq!(
            p("languages", "ko, zh").unwrap(),
            serde_json::json!(["ko", "zh"])
        );
        assert_eq!(
            p("location", "42.9,129.5").unwrap(),
            serde_json::json!({"lat": 42.9, "lon": 129.5})
        );
        assert_eq!(p("safe_to_contact", "no").unwrap(), false);
        assert_eq!(p("notes", "").unwrap(), Value::Null);
    }

    #[test]
    fn bad_inputs_name_the_field_and_never_echo_the_value() {
        let f = contact();
        for (id, text) in [
            ("household_size", "four-SECRET"),
            ("birth_date", "1990-02-30"),
            ("birth_date", "SECRET"),
            ("sex", "SECRET"),
            ("languages", "ko,ko"),
            ("location", "91,0"),
            ("safe_to_contact", "SECRET"),
            ("household_size", "inf"),
        ] {
            let err = f.field(id).unwrap().parse_input(text).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(id), "{msg}");
            assert!(!msg.contains("SECRET"), "{msg}");
        }
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(f.field("name").unwrap().parse_input(&long).is_err());
        assert!(matches!(
            f.field("nope"),
            Err(FormError::UnknownField { .. })
        ));
    }

    fn def(kind: &str) -> FieldDef {
        serde_json::from_value(json!({"id": "x", "type": kind,
            "label": {"en": "X", "ko": "엑스", "zh-Hans": "叉"}}))
        .unwrap()
    }

    #[test]
    fn the_types_xlsform_brings_read_and_check_their_values() {
        let p = |kind: &str, t: &str| def(kind).parse_input(t);
        assert_eq!(p("integer", "42").unwrap(), 42);
        assert!(p("integer", "4.5").is_err());
        assert!(def("integer").validate(&json!(4.5)).is_err());
        assert_eq!(
            p("datetime", "2026-03-01 14:30").unwrap(),
            "2026-03-01T14:30"
        );
        assert_eq!(
            p("datetime", "2026년 3월 1일 9:05").unwrap(),
            "2026-03-01T09:05"
        );
        assert_eq!(
            p("datetime", "2026-03-01T14:30:59").unwrap(),
            "2026-03-01T14:30"
        );
        for bad in [
            "2026-03 14:30",
            "~2026-03-01 14:30",
            "2026-02-30 10:00",
            "2026-03-01 24:00",
            "2026-03-01",
        ] {
            assert!(p("datetime", bad).is_err(), "{bad}");
        }
        assert_eq!(p("time", "9:05").unwrap(), "09:05");
        for bad in ["9:5", "25:00", "12:60", "12:30:61", "noon"] {
            assert!(p("time", bad).is_err(), "{bad}");
        }
        let hex = "ab".repeat(32);
        assert_eq!(p("attachment", &hex.to_uppercase()).unwrap(), json!(hex));
        assert!(
            p("attachment", "photo.jpg").is_err(),
            "a name is resolved by the vault"
        );
        assert!(p("note", "anything").is_err());
        assert!(def("note").validate(&json!("x")).is_err());
        assert!(def("note").validate(&Value::Null).is_ok());
        assert_eq!(p("acknowledge", "확인").unwrap(), true);
        assert!(p("acknowledge", "no").is_err());
        assert!(def("acknowledge").validate(&json!(false)).is_err());
        assert_eq!(def("acknowledge").display(&json!(true), "ko"), "확인함");
        // Every type's refusal has a code of its own for the app to translate.
        let codes: BTreeSet<&str> = ValueProblem::examples()
            .iter()
            .map(ValueProblem::code)
            .collect();
        assert_eq!(codes.len(), ValueProblem::examples().len());
    }

    #[test]
    fn defaults_sections_hints_and_rules_are_checked_with_the_form() {
        let base = json!({"name": "f", "version": 1,
            "label": {"en": "F", "ko": "에프", "zh-Hans": "表"},
            "sections": [{"id": "s", "label": {"en": "S", "ko": "에스", "zh-Hans": "节"}}],
            "fields": [{"id": "a", "type": "integer", "default": 3, "section": "s",
                        "hint": {"en": "h", "ko": "힌트", "zh-Hans": "提示"},
                        "constraint": ". > 0",
                        "constraint_message": {"en": "m", "ko": "메", "zh-Hans": "信"},
                        "label": {"en": "A", "ko": "에이", "zh-Hans": "甲"}},
                       {"id": "n", "type": "note", "label": {"en": "N", "ko": "엔", "zh-Hans": "注"}}]});
        let ok = Form::parse(&base.to_string()).unwrap();
        assert!(ok.has_rules());
        // Written back, read again: the same form (the vault stores this JSON).
        assert_eq!(Form::parse(&ok.to_json().unwrap()).unwrap(), ok);
        let bad = |path: &str, value: Value, says: &str| {
            let mut f = base.clone();
            *f.pointer_mut(path).unwrap() = value;
            let err = Form::parse(&f.to_string()).unwrap_err().to_string();
            assert!(err.contains(says), "{path}: {err}");
        };
        bad("/fields/0/default", json!(2.5), "default");
        bad("/fields/0/section", json!("nowhere"), "section `nowhere`");
        bad(
            "/fields/0/constraint",
            json!(". >"),
            "constraint rule of `a`",
        );
        bad("/fields/0/constraint", json!(". > ${ghost}"), "`${ghost}`");
        bad("/sections/0/id", json!("Bad Id"), "section id");
        let mut f = base.clone();
        f["fields"][1]["required"] = json!(true);
        assert!(
            Form::parse(&f.to_string())
                .unwrap_err()
                .to_string()
                .contains("note `n`")
        );
        let mut f = base;
        f["fields"][0].as_object_mut().unwrap().remove("constraint");
        assert!(
            Form::parse(&f.to_string())
                .unwrap_err()
                .to_string()
                .contains("constraint message")
        );
    }

    #[test]
    fn a_newer_version_keeps_every_field_type_and_option() {
        let v1 = contact();
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.fields[0].label.en = "Full name".into();
        assert!(v2.check_successor(&v1).is_ok());
        let mut dropped = v2.clone();
        dropped.fields.retain(|f| f.id != "phone");
        assert!(
            dropped
                .check_successor(&v1)
                .unwrap_err()
                .to_string()
                .contains("`phone`")
        );
        let mut retyped = v2.clone();
        retyped.fields[0].kind = FieldType::Number;
        assert!(retyped.check_successor(&v1).is_err());
        let mut fewer = v2;
        let sex = fewer.fields.iter_mut().find(|f| f.id == "sex").unwrap();
        sex.options.pop();
        assert!(fewer.check_successor(&v1).is_err());
    }

    #[test]
    fn attachment_entries_are_a_name_and_a_size() {
        use serde_json::json;
        assert!(validate_attachment(&Value::Null).is_ok());
        assert!(validate_attachment(&json!({"name": "a.jpg", "size": 3})).is_ok());
        assert!(
            validate_attachment(&json!({"name": "a.jpg", "size": 3, "type": "image/jpeg"})).is_ok()
        );
        for bad in [
            json!({"name": "a.jpg"}),
            json!({"name": "", "size": 3}),
            json!({"name": "x".repeat(256), "size": 3}),
            json!({"name": "a", "size": -1}),
            json!({"name": "a", "size": 1, "more": [[[]]]}),
            json!([1]),
        ] {
            assert!(validate_attachment(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_definitions_are_refused_with_a_reason() {
        let good = contact().to_json().unwrap();
        assert!(Form::parse(&good).is_ok());
        let cases = [
            ("not json", "not valid form JSON"),
            (
                &good.replace("\"name\":\"contact\"", "\"name\":\"Bad Name\""),
                "`name`",
            ),
            (&good.replace("\"version\":1", "\"version\":0"), "`version`"),
            (
                &good.replace("\"id\":\"alias\"", "\"id\":\"name\""),
                "appears twice",
            ),
            (
                &good.replace("\"type\":\"date\"", "\"type\":\"calendar\""),
                "not valid form JSON",
            ),
            (&good.replace("\"ko\":\"이름\"", "\"ko\":\"\""), "labels"),
            (
                &good.replace("\"required\":true", "\"required\":true,\"extra\":1"),
                "not valid form JSON",
            ),
        ];
        for (json, expect) in cases {
            let err = Form::parse(json).unwrap_err().to_string();
            assert!(err.contains(expect), "{err} should mention {expect}");
        }
    }
}
