//! XLSForm import: the spreadsheet form standard of ODK, KoboToolbox and SurveyCTO,
//! read into Satchel's form model (`satchel_forms::Form`).
//!
//! What carries meaning is mapped (types, lists, labels and hints per language,
//! groups, `required`, `default`, `relevant`, `constraint`); what would change what
//! is collected and has no counterpart is refused, naming the sheet, row, column and
//! construct; what only changes presentation imports with a note that names it. The
//! mapping is specified in `docs/forms.md`. Pure: bytes in, a form and a summary
//! out, so the fuzzer needs neither the vault nor a file system.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read, Seek};

use calamine::{Data, Reader, Xlsx};
use satchel_forms::{
    Choice, FieldDef, FieldType, Form, Labels, MAX_FIELDS, MAX_LABEL, Section, expr::Expr,
};
use serde::Serialize;
use ts_rs::TS;

/// Largest spreadsheet read, in bytes.
pub const MAX_FILE: usize = 20 << 20;
/// Most bytes a workbook's parts may unpack to: a small file that unpacks to
/// gigabytes is refused before it is unpacked.
pub const MAX_UNPACKED: u64 = 256 << 20;
/// Most rows read from a sheet.
pub const MAX_ROWS: usize = 20_000;
/// Most columns read from a sheet.
pub const MAX_COLUMNS: usize = 200;

/// Why a spreadsheet was refused: a stable `code` for front ends to translate, where
/// in the workbook, the construct, and an English sentence (`Display`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{}", self.sentence())]
pub struct XlsFormError {
    /// What is wrong: `empty_file`, `too_large`, `not_spreadsheet`, `old_format`,
    /// `password_protected`, `no_survey_sheet`, `duplicate_column`, `bad_name`,
    /// `duplicate_name`, `unknown_list`, `bad_choice`, `unsupported`, `bad_rule`,
    /// `unbalanced_group`, `bad_value`, `invalid_form`.
    pub code: String,
    /// The sheet (`survey`, `choices`, `settings`), when one is at fault.
    #[ts(optional)]
    pub sheet: Option<String>,
    /// The row as the spreadsheet numbers it (from 1).
    #[ts(optional)]
    pub row: Option<u32>,
    /// The column's header.
    #[ts(optional)]
    pub column: Option<String>,
    /// The construct (`begin repeat`, `choice_filter`, a function name...).
    pub construct: String,
    /// More, in English, for the command line.
    pub detail: String,
}

impl XlsFormError {
    fn new(code: &str, construct: impl Into<String>, detail: impl Into<String>) -> Box<Self> {
        Box::new(XlsFormError {
            code: code.to_owned(),
            sheet: None,
            row: None,
            column: None,
            construct: cut(&construct.into(), 80),
            detail: cut(&detail.into(), 300),
        })
    }

    fn at(mut self: Box<Self>, sheet: &str, row: Option<u32>, column: Option<&str>) -> Box<Self> {
        self.sheet = Some(sheet.to_owned());
        self.row = row;
        self.column = column.map(|c| cut(c, 80));
        self
    }

    fn sentence(&self) -> String {
        let mut at = Vec::new();
        if let Some(s) = &self.sheet {
            at.push(format!("sheet `{s}`"));
        }
        if let Some(r) = self.row {
            at.push(format!("row {r}"));
        }
        if let Some(c) = &self.column {
            at.push(format!("column `{c}`"));
        }
        let place = if at.is_empty() {
            String::new()
        } else {
            format!("{}: ", at.join(", "))
        };
        format!("{place}{}", self.detail)
    }
}

fn cut(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// A language of the spreadsheet and where it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Language {
    /// As the spreadsheet names it (`한국어 (ko)`), empty for the unnamed `label`
    /// column.
    pub name: String,
    /// The app's language it became (`en`, `ko`, `zh-Hans`), or none when it is
    /// kept with the form as another language.
    #[ts(optional)]
    pub mapped: Option<String>,
}

/// Something the import left out or changed, that the person importing should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Note {
    /// `presentation` (kept out: appearance, media, guidance hints...),
    /// `metadata` (a field ODK fills itself), `unused_calculation`, `label_missing`
    /// (a language some labels lack: another language's is shown), `ignored_column`,
    /// `ignored_setting`, `read_only`, `barcode_as_text`, `version_not_number`.
    pub code: String,
    /// The sheet.
    pub sheet: String,
    /// The first row concerned, as the spreadsheet numbers it.
    #[ts(optional)]
    pub row: Option<u32>,
    /// How many rows are concerned.
    pub rows: u32,
    /// The column's header.
    #[ts(optional)]
    pub column: Option<String>,
    /// The construct, or the language for `label_missing`.
    pub construct: String,
}

/// What an import holds, shown before it is installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Summary {
    /// The form's name (from `form_id`).
    pub form: String,
    /// Its title.
    pub title: String,
    /// Its version.
    pub version: i64,
    /// Fields, notes included.
    pub fields: u32,
    /// Sections (groups).
    pub sections: u32,
    /// Skip-logic and constraint rules.
    pub rules: u32,
    /// Choice lists used.
    pub lists: u32,
    /// The spreadsheet's languages.
    pub languages: Vec<Language>,
    /// What was left out or changed, and why.
    pub notes: Vec<Note>,
}

/// A read spreadsheet: the form, checked, and its summary.
#[derive(Debug, Clone)]
pub struct Import {
    /// The form, as `Form::parse` would accept it.
    pub form: Form,
    /// What it holds and what was left out.
    pub summary: Summary,
}

/// Reads an XLSForm (`.xlsx`; an old-format `.xls` is refused with how to convert
/// it). `name_hint` (the file's name) names the
/// form when its settings do not.
pub fn read(bytes: &[u8], name_hint: &str) -> Result<Import, Box<XlsFormError>> {
    // The spreadsheet reader is a large parser of untrusted bytes: should it ever
    // panic, the person gets a clear error and the app keeps running.
    std::panic::catch_unwind(|| read_unguarded(bytes, name_hint)).unwrap_or_else(|_| {
        Err(XlsFormError::new(
            "not_spreadsheet",
            "",
            "the workbook could not be read: is it damaged?",
        ))
    })
}

fn read_unguarded(bytes: &[u8], name_hint: &str) -> Result<Import, Box<XlsFormError>> {
    if bytes.is_empty() {
        return Err(XlsFormError::new("empty_file", "", "the file is empty"));
    }
    if bytes.len() > MAX_FILE {
        return Err(XlsFormError::new(
            "too_large",
            "",
            format!("an XLSForm is at most {} MiB", MAX_FILE >> 20),
        ));
    }
    let sheets = open(bytes)?;
    Builder::new(sheets, name_hint).build()
}

/// The three sheets, as cells.
struct Sheets {
    survey: Sheet,
    choices: Option<Sheet>,
    settings: Option<Sheet>,
}

fn open(bytes: &[u8]) -> Result<Sheets, Box<XlsFormError>> {
    let not = || XlsFormError::new("not_spreadsheet", "", "not an XLSForm spreadsheet (.xlsx)");
    let cfb = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if cfb {
        // A compound file is an encrypted workbook or an old-format .xls. The
        // reader's .xls path lays out every cell a sheet claims, however far, before
        // anything can be checked (fuzzing found a 5 KiB file asking for 23 GB), so
        // .xls is refused with how to convert it.
        check_compound(bytes)?;
        return Err(XlsFormError::new(
            "old_format",
            "",
            "this is an old-format .xls workbook: open it in Excel or LibreOffice, save it as .xlsx, and import that",
        ));
    }
    if bytes.starts_with(b"PK") {
        check_unpacked(bytes)?;
        let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|_| not())?;
        return xlsx_sheets(&mut book);
    }
    Err(not())
}

fn password() -> Box<XlsFormError> {
    XlsFormError::new(
        "password_protected",
        "",
        "the workbook is password-protected: save it without a password, then import it",
    )
}

/// An encrypted workbook is a compound file (a file system in a file) holding
/// `EncryptedPackage`; the `cfb` crate reads its directory, refusing chains that
/// loop or run past the file.
fn check_compound(bytes: &[u8]) -> Result<(), Box<XlsFormError>> {
    let not = || {
        XlsFormError::new(
            "not_spreadsheet",
            "",
            "not an XLSForm spreadsheet (.xlsx), or a damaged one",
        )
    };
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|_| not())?;
    if file.is_stream("/EncryptedPackage") {
        return Err(password());
    }
    let streams: Vec<std::path::PathBuf> = file
        .walk()
        .filter(|e| e.is_stream())
        .map(|e| e.path().to_owned())
        .collect();
    for path in streams {
        // Opening builds the stream's chain, refusing one that loops or runs past
        // the file; a stream larger than the file is a lie about its size.
        let stream = file.open_stream(&path).map_err(|_| not())?;
        if stream.len() > bytes.len() as u64 {
            return Err(not());
        }
    }
    Ok(())
}

fn check_unpacked(bytes: &[u8]) -> Result<(), Box<XlsFormError>> {
    let too_big = || {
        XlsFormError::new(
            "too_large",
            "",
            format!(
                "the workbook unpacks to more than {} MiB",
                MAX_UNPACKED >> 20
            ),
        )
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        XlsFormError::new("not_spreadsheet", "", "not an XLSForm spreadsheet (.xlsx)")
    })?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        // The declared size; the reader below stops at it, so a part that lies
        // about its size cannot unpack to more.
        let size = zip.by_index_raw(i).map(|f| f.size()).unwrap_or(u64::MAX);
        total = total.saturating_add(size);
        if total > MAX_UNPACKED {
            return Err(too_big());
        }
    }
    Ok(())
}

fn unreadable(which: &'static str) -> Box<XlsFormError> {
    XlsFormError::new(
        "not_spreadsheet",
        which,
        format!("the `{which}` sheet cannot be read"),
    )
    .at(which, None, None)
}

/// An `.xlsx`'s sheets, read cell by cell: only cells that hold something are kept,
/// so a single cell in the last row and column cannot make the reader lay out
/// billions of empty ones (the reader's own `worksheet_range` would).
fn xlsx_sheets<RS: Read + Seek>(book: &mut Xlsx<RS>) -> Result<Sheets, Box<XlsFormError>> {
    gather(book.sheet_names(), |name, which| {
        let mut grid = Grid::default();
        let mut cells = book
            .worksheet_cells_reader(name)
            .map_err(|_| unreadable(which))?;
        while let Some(cell) = cells.next_cell().map_err(|_| unreadable(which))? {
            let (row, col) = cell.get_position();
            grid.put(which, row, col, cell_ref_text(cell.get_value()))?;
        }
        Ok(grid)
    })
}

fn gather(
    names: Vec<String>,
    mut read: impl FnMut(&str, &'static str) -> Result<Grid, Box<XlsFormError>>,
) -> Result<Sheets, Box<XlsFormError>> {
    let find = |want: &str| {
        names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(want))
            .cloned()
    };
    let mut sheet = |which: &'static str| -> Result<Option<Sheet>, Box<XlsFormError>> {
        match find(which) {
            Some(name) => Sheet::new(which, read(&name, which)?).map(Some),
            None => Ok(None),
        }
    };
    let survey = sheet("survey")?.ok_or_else(|| {
        XlsFormError::new(
            "no_survey_sheet",
            "survey",
            "the workbook has no `survey` sheet: is it an XLSForm?",
        )
    })?;
    let choices = sheet("choices")?;
    let settings = sheet("settings")?;
    Ok(Sheets {
        survey,
        choices,
        settings,
    })
}

/// Most cells holding something read from one sheet.
const MAX_CELLS: usize = 1_000_000;

/// The cells of a sheet that hold something: row, then column, from 0.
#[derive(Default)]
struct Grid {
    rows: BTreeMap<u32, BTreeMap<u32, String>>,
    cells: usize,
}

impl Grid {
    fn put(
        &mut self,
        which: &'static str,
        row: u32,
        col: u32,
        text: String,
    ) -> Result<(), Box<XlsFormError>> {
        if text.is_empty() {
            return Ok(());
        }
        let too_large = |what: String| {
            XlsFormError::new("too_large", "", what).at(which, Some(row.saturating_add(1)), None)
        };
        if col as usize >= MAX_COLUMNS {
            return Err(too_large(format!(
                "a sheet has at most {MAX_COLUMNS} columns"
            )));
        }
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(too_large(format!("a sheet has at most {MAX_CELLS} cells")));
        }
        if !self.rows.contains_key(&row) && self.rows.len() > MAX_ROWS {
            return Err(too_large(format!("a sheet has at most {MAX_ROWS} rows")));
        }
        self.rows.entry(row).or_default().insert(col, text);
        Ok(())
    }
}

fn cell_ref_text(c: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match c {
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::String(s) => s.trim().to_owned(),
        DataRef::Int(i) => cell_text(&Data::Int(*i)),
        DataRef::Float(f) => cell_text(&Data::Float(*f)),
        DataRef::Bool(b) => cell_text(&Data::Bool(*b)),
        DataRef::DateTime(d) => cell_text(&Data::DateTime(*d)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// One sheet: its headers (trimmed) and its rows as text, with the spreadsheet's
/// row numbers.
#[derive(Default)]
struct Sheet {
    headers: Vec<String>,
    rows: Vec<(u32, Vec<String>)>,
}

fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{day:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

impl Sheet {
    fn new(name: &'static str, grid: Grid) -> Result<Sheet, Box<XlsFormError>> {
        let line = |cells: BTreeMap<u32, String>| -> Vec<String> {
            let width = cells.keys().next_back().map_or(0, |c| *c as usize + 1);
            let mut out = vec![String::new(); width];
            for (c, text) in cells {
                if let Some(slot) = out.get_mut(c as usize) {
                    *slot = text;
                }
            }
            out
        };
        let mut rows = grid.rows.into_iter();
        let Some((_, first)) = rows.next() else {
            return Ok(Sheet::default());
        };
        let headers = line(first);
        let mut seen = BTreeSet::new();
        for h in headers.iter().filter(|h| !h.is_empty()) {
            if !seen.insert(normal_header(h)) {
                return Err(XlsFormError::new(
                    "duplicate_column",
                    h.as_str(),
                    format!("the column `{}` appears twice", cut(h, 60)),
                )
                .at(name, None, Some(h)));
            }
        }
        let rows = rows
            .map(|(r, cells)| (r.saturating_add(1), line(cells)))
            .collect();
        Ok(Sheet { headers, rows })
    }

    fn column(&self, base: &str) -> Option<usize> {
        self.headers.iter().position(|h| normal_header(h) == base)
    }
}

/// A header as compared: lower-case base, language as written, spaces around `::`
/// dropped (`label::English (en)` and `label :: English (en)` are one column).
fn normal_header(h: &str) -> String {
    let mut parts = h.split("::").map(str::trim);
    let base = parts.next().unwrap_or("").to_lowercase();
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        base
    } else {
        format!("{base}::{}", rest.join("::"))
    }
}

fn get(row: &[String], col: Option<usize>) -> &str {
    col.and_then(|c| row.get(c)).map_or("", String::as_str)
}

/// Where a spreadsheet language goes: one of the app's, or kept as another.
fn map_language(name: &str) -> Option<&'static str> {
    let code = name
        .rsplit_once('(')
        .and_then(|(_, c)| c.strip_suffix(')'))
        .map(|c| c.trim().to_lowercase());
    if let Some(code) = code {
        return match code.as_str() {
            "en" | "eng" | "en-us" | "en-gb" => Some("en"),
            "ko" | "kor" | "ko-kr" => Some("ko"),
            "zh" | "zho" | "chi" | "cmn" | "zh-cn" | "zh_cn" | "zh-hans" | "zh-sg" => {
                Some("zh-Hans")
            }
            _ => None,
        };
    }
    match name.trim().to_lowercase().as_str() {
        "english" => Some("en"),
        "korean" | "한국어" | "조선어" | "조선말" => Some("ko"),
        "chinese" | "中文" | "简体中文" | "汉语" | "simplified chinese" => Some("zh-Hans"),
        _ => None,
    }
}

/// A column that takes a language: its base (`label`, `hint`...) and language.
fn split_lang(header: &str) -> (String, Option<String>) {
    let n = normal_header(header);
    match n.split_once("::") {
        Some((base, lang)) if !base.starts_with("media") => {
            (base.to_owned(), Some(lang.to_owned()))
        }
        // media::image::English (en): presentation, whatever the language.
        Some((base, _)) => (base.to_owned(), None),
        None => (n, None),
    }
}

/// Columns whose text is per language.
const TRANSLATED: &[&str] = &[
    "label",
    "hint",
    "constraint_message",
    "required_message",
    "guidance_hint",
];

/// Columns that only change how the form looks: imported with a note.
const PRESENTATION: &[&str] = &[
    "appearance",
    "media",
    "image",
    "big-image",
    "audio",
    "video",
    "guidance_hint",
    "required_message",
    "parameters",
    "autoplay",
    "style",
];

/// Types ODK fills itself: left out with a note (Satchel records who wrote what,
/// and when, in each record's signed history).
const METADATA: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
];

/// A note's kind, sheet, column and construct.
type NoteKey = (String, String, Option<String>, String);

/// Notes gathered: the first row and how many rows, per kind.
#[derive(Default)]
struct Notes(BTreeMap<NoteKey, (u32, u32)>);

impl Notes {
    fn add(
        &mut self,
        code: &str,
        sheet: &str,
        row: Option<u32>,
        column: Option<&str>,
        construct: &str,
    ) {
        let key = (
            code.to_owned(),
            sheet.to_owned(),
            column.map(|c| cut(c, 80)),
            cut(construct, 80),
        );
        let e = self.0.entry(key).or_insert((row.unwrap_or(0), 0));
        e.1 = e.1.saturating_add(1);
    }

    fn into_vec(self) -> Vec<Note> {
        let mut v: Vec<Note> = self
            .0
            .into_iter()
            .map(|((code, sheet, column, construct), (row, rows))| Note {
                code,
                sheet,
                row: (row > 0).then_some(row),
                rows,
                column,
                construct,
            })
            .collect();
        v.sort_by_key(|n| (n.sheet != "settings", n.row.unwrap_or(0), n.code.clone()));
        v
    }
}

/// A per-language text being gathered: by the spreadsheet's language name (empty for
/// the unnamed column).
type Texts = BTreeMap<String, String>;

struct Builder {
    sheets: Sheets,
    name_hint: String,
    notes: Notes,
    /// The spreadsheet's languages, in order of first appearance.
    languages: Vec<String>,
    /// The unnamed column's language, from `default_language`.
    default_language: Option<String>,
    missing: BTreeMap<&'static str, (u32, u32)>,
}

struct Group {
    id: String,
    relevant: Option<String>,
}

impl Builder {
    fn new(sheets: Sheets, name_hint: &str) -> Builder {
        let mut languages = Vec::new();
        for sheet in [Some(&sheets.survey), sheets.choices.as_ref()]
            .into_iter()
            .flatten()
        {
            for h in &sheet.headers {
                if let (base, Some(lang)) = split_lang(h)
                    && TRANSLATED.contains(&base.as_str())
                    && !languages.contains(&lang)
                {
                    languages.push(lang);
                }
            }
        }
        Builder {
            sheets,
            name_hint: name_hint.to_owned(),
            notes: Notes::default(),
            languages,
            default_language: None,
            missing: BTreeMap::new(),
        }
    }

    /// Texts of one translated column base in a row.
    fn texts(sheet: &Sheet, row: &[String], base: &str) -> Texts {
        let mut out = Texts::new();
        for (i, h) in sheet.headers.iter().enumerate() {
            let (b, lang) = split_lang(h);
            if b != base {
                continue;
            }
            let text = get(row, Some(i));
            if !text.is_empty() {
                out.insert(lang.unwrap_or_default(), text.to_owned());
            }
        }
        out
    }

    /// The app's three labels from a row's texts; a language with no text gets
    /// another's (counted, for the summary). None when there is no text at all.
    fn labels(&mut self, texts: &Texts, row: u32) -> Option<Labels> {
        if texts.is_empty() {
            return None;
        }
        let mut mapped: BTreeMap<&'static str, String> = BTreeMap::new();
        let mut other = BTreeMap::new();
        for (lang, text) in texts {
            let target = if lang.is_empty() {
                self.default_language.as_deref().and_then(map_language)
            } else {
                map_language(lang)
            };
            match target {
                Some(t) if !mapped.contains_key(t) => {
                    mapped.insert(t, cut(text, MAX_LABEL));
                }
                _ if lang.is_empty() => {}
                _ => {
                    other.insert(cut(lang, 100), cut(text, MAX_LABEL));
                }
            }
        }
        // Fallback order: the unnamed column, English, Korean, Chinese, any other.
        let fallback = texts
            .get("")
            .or_else(|| mapped.get("en"))
            .or_else(|| mapped.get("ko"))
            .or_else(|| mapped.get("zh-Hans"))
            .or_else(|| other.values().next())
            .map(|t| cut(t, MAX_LABEL))?;
        // Only the unnamed column, in no named language: it is every language's.
        let unnamed_only = mapped.is_empty() && other.is_empty();
        let mut pick = |lang: &'static str| {
            if unnamed_only {
                return fallback.clone();
            }
            mapped.get(lang).cloned().unwrap_or_else(|| {
                let e = self.missing.entry(lang).or_insert((row, 0));
                e.1 = e.1.saturating_add(1);
                fallback.clone()
            })
        };
        Some(Labels {
            en: pick("en"),
            ko: pick("ko"),
            zh_hans: pick("zh-Hans"),
            other: (!other.is_empty()).then_some(other),
        })
    }

    fn settings(&mut self) -> (String, String, i64) {
        let mut title = String::new();
        let mut id = String::new();
        let mut version = 1;
        if let Some(s) = &self.sheets.settings
            && let Some((row, cells)) = s.rows.first()
        {
            for (i, h) in s.headers.iter().enumerate() {
                let v = get(cells, Some(i));
                match normal_header(h).as_str() {
                    "form_title" => title = v.to_owned(),
                    "form_id" => id = v.to_owned(),
                    "version" if !v.is_empty() => match v.parse::<i64>() {
                        Ok(n) if n >= 1 => version = n,
                        _ => {
                            self.notes
                                .add("version_not_number", "settings", Some(*row), Some(h), v)
                        }
                    },
                    "default_language" if !v.is_empty() => {
                        self.default_language = Some(v.to_owned());
                    }
                    "" => {}
                    _ if v.is_empty() => {}
                    "style" => self
                        .notes
                        .add("presentation", "settings", Some(*row), Some(h), h),
                    _ => self
                        .notes
                        .add("ignored_setting", "settings", Some(*row), Some(h), h),
                }
            }
        }
        let raw = if id.is_empty() {
            self.name_hint
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("")
                .to_owned()
        } else {
            id
        };
        let name = form_name(&raw);
        if title.is_empty() {
            title = raw;
        }
        if title.is_empty() {
            title = name.clone();
        }
        (name, cut(&title, MAX_LABEL), version)
    }

    fn build(mut self) -> Result<Import, Box<XlsFormError>> {
        let (name, title, version) = self.settings();
        let lists = self.lists()?;
        let survey_sheet = std::mem::take(&mut self.sheets.survey);
        let survey = &survey_sheet;
        let col = |b: &str| survey.column(b);
        let (c_type, c_name) = (col("type"), col("name"));
        if c_type.is_none() || c_name.is_none() {
            return Err(XlsFormError::new(
                "no_survey_sheet",
                "type, name",
                "the `survey` sheet needs `type` and `name` columns",
            )
            .at("survey", None, None));
        }
        // Columns the mapping reads; the rest are looked at once each.
        let known: BTreeSet<&str> = [
            "type",
            "name",
            "label",
            "hint",
            "required",
            "relevant",
            "constraint",
            "constraint_message",
            "default",
            "read_only",
            "choice_filter",
            "calculation",
            "repeat_count",
            "trigger",
        ]
        .into();
        let (headers, rows) = (&survey.headers, &survey.rows);
        for (i, h) in headers.iter().enumerate() {
            let (base, _) = split_lang(h);
            let filled = || rows.iter().filter(|(_, c)| !get(c, Some(i)).is_empty());
            if h.is_empty() {
                continue;
            }
            if PRESENTATION.contains(&base.as_str()) {
                for (r, _) in filled() {
                    self.notes
                        .add("presentation", "survey", Some(*r), Some(h), &base);
                }
            } else if !known.contains(base.as_str())
                && let Some(first) = filled().next()
            {
                self.notes.add(
                    "ignored_column",
                    "survey",
                    Some(first.0),
                    Some(h),
                    &normal_header(h),
                );
            }
        }
        let refuse_col = |b: &str, what: &str, why: &str, row: u32, cells: &[String]| {
            let c = col(b);
            (!get(cells, c).is_empty()).then(|| {
                XlsFormError::new("unsupported", what, why).at(
                    "survey",
                    Some(row),
                    c.and_then(|c| headers.get(c)).map(String::as_str),
                )
            })
        };

        let mut fields: Vec<FieldDef> = Vec::new();
        let mut sections: Vec<Section> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut left_out: HashMap<String, (u32, &'static str)> = HashMap::new();
        let mut names = BTreeSet::new();
        let mut exprs: Vec<(u32, &'static str, String)> = Vec::new();
        let mut used_lists = BTreeSet::new();

        for (row, cells) in rows {
            let row = *row;
            let ty_raw = get(cells, c_type);
            let ty: String = ty_raw.split_whitespace().collect::<Vec<_>>().join(" ");
            let ty_l = ty.to_lowercase();
            let raw_name = get(cells, c_name);
            if ty.is_empty() {
                if raw_name.is_empty() {
                    continue;
                }
                return Err(XlsFormError::new(
                    "bad_value",
                    "type",
                    "a row with a name has no type",
                )
                .at("survey", Some(row), Some("type")));
            }
            let at_type = |code: &str, construct: &str, why: String| {
                XlsFormError::new(code, construct, why).at("survey", Some(row), Some("type"))
            };
            if ty_l == "end group" || ty_l == "end_group" {
                if groups.pop().is_none() {
                    return Err(at_type(
                        "unbalanced_group",
                        "end group",
                        "`end group` with no group open".into(),
                    ));
                }
                continue;
            }
            for (b, what) in [
                ("choice_filter", "choice_filter"),
                ("repeat_count", "repeat_count"),
                ("trigger", "trigger"),
            ] {
                if let Some(e) = refuse_col(
                    b,
                    what,
                    &format!("`{what}` is not supported: it changes what is collected"),
                    row,
                    cells,
                ) {
                    return Err(e);
                }
            }
            if ty_l.starts_with("begin repeat") || ty_l.starts_with("begin_repeat") {
                return Err(at_type(
                    "unsupported",
                    "begin repeat",
                    "repeats are not supported: make each repetition its own record of a separate form, linked to this one".into(),
                ));
            }
            let id = field_id(raw_name).ok_or_else(|| {
                XlsFormError::new(
                    "bad_name",
                    raw_name,
                    format!(
                        "the name `{}` is not usable: 1-40 letters, digits, `_` or `-`, starting with a letter",
                        cut(raw_name, 40)
                    ),
                )
                .at("survey", Some(row), Some("name"))
            })?;
            let relevant = rewrite(get(cells, col("relevant")));
            if ty_l == "begin group" || ty_l == "begin_group" {
                if !names.insert(id.clone()) {
                    return Err(duplicate(raw_name, row));
                }
                let label = self
                    .labels(&Self::texts(survey, cells, "label"), row)
                    .unwrap_or_else(|| Labels::same(raw_name));
                // A nested group applies only when its parents do.
                let mut rules: Vec<String> =
                    groups.iter().filter_map(|g| g.relevant.clone()).collect();
                if !relevant.is_empty() {
                    exprs.push((row, "relevant", relevant.clone()));
                    rules.push(relevant.clone());
                }
                let combined = match rules.len() {
                    0 => None,
                    1 => rules.pop(),
                    _ => Some(
                        rules
                            .iter()
                            .map(|r| format!("({r})"))
                            .collect::<Vec<_>>()
                            .join(" and "),
                    ),
                };
                sections.push(Section {
                    id: id.clone(),
                    label,
                    relevant: combined.clone(),
                });
                groups.push(Group {
                    id,
                    relevant: combined,
                });
                continue;
            }
            let (kind, list) = match field_type(&ty, &ty_l) {
                Kind::Field(k, list) => (k, list),
                Kind::Metadata => {
                    self.notes
                        .add("metadata", "survey", Some(row), Some("type"), &ty_l);
                    left_out.insert(id, (row, "metadata"));
                    continue;
                }
                Kind::Calculate => {
                    left_out.insert(id, (row, "calculate"));
                    continue;
                }
                Kind::Refused(why) => return Err(at_type("unsupported", &ty, why)),
                Kind::Unknown => {
                    return Err(at_type(
                        "unsupported",
                        &ty,
                        format!(
                            "the type `{}` is not an XLSForm type Satchel knows",
                            cut(&ty, 60)
                        ),
                    ));
                }
            };
            if ty_l == "barcode" {
                self.notes.add(
                    "barcode_as_text",
                    "survey",
                    Some(row),
                    Some("type"),
                    "barcode",
                );
            }
            if let Some(e) = refuse_col(
                "calculation",
                "calculation",
                "a `calculation` outside a `calculate` row is not supported: it changes what is collected",
                row,
                cells,
            ) {
                return Err(e);
            }
            if !names.insert(id.clone()) {
                return Err(duplicate(raw_name, row));
            }
            let options = match &list {
                Some(l) => {
                    used_lists.insert(l.clone());
                    lists.get(l).cloned().ok_or_else(|| {
                        at_type(
                            "unknown_list",
                            l,
                            format!(
                                "the choice list `{}` is not on the `choices` sheet",
                                cut(l, 40)
                            ),
                        )
                    })?
                }
                None => Vec::new(),
            };
            let label = self
                .labels(&Self::texts(survey, cells, "label"), row)
                .unwrap_or_else(|| {
                    self.notes
                        .add("label_missing", "survey", Some(row), Some("label"), "label");
                    Labels::same(raw_name)
                });
            let hint = self.labels(&Self::texts(survey, cells, "hint"), row);
            let required = match get(cells, col("required")).to_lowercase().as_str() {
                "" | "no" | "false" | "false()" | "0" => false,
                "yes" | "true" | "true()" | "1" => true,
                other => {
                    return Err(XlsFormError::new(
                        "unsupported",
                        other,
                        "`required` that depends on other answers is not supported: use yes or no, and a constraint",
                    )
                    .at("survey", Some(row), Some("required")));
                }
            };
            let required = required && kind.holds_value();
            if !get(cells, col("read_only")).is_empty()
                && !matches!(
                    get(cells, col("read_only")).to_lowercase().as_str(),
                    "no" | "false" | "false()"
                )
            {
                self.notes.add(
                    "read_only",
                    "survey",
                    Some(row),
                    Some("read_only"),
                    "read_only",
                );
            }
            let constraint = rewrite(get(cells, col("constraint")));
            if !relevant.is_empty() {
                exprs.push((row, "relevant", relevant.clone()));
            }
            if !constraint.is_empty() {
                exprs.push((row, "constraint", constraint.clone()));
            }
            let constraint_message = if constraint.is_empty() {
                None
            } else {
                self.labels(&Self::texts(survey, cells, "constraint_message"), row)
            };
            let mut def = FieldDef {
                id: id.clone(),
                kind,
                required,
                label,
                options,
                links_to: None,
                hint,
                default: None,
                section: groups.last().map(|g| g.id.clone()),
                relevant: (!relevant.is_empty()).then_some(relevant),
                constraint: (!constraint.is_empty()).then_some(constraint),
                constraint_message,
            };
            let default = get(cells, col("default"));
            if !default.is_empty() {
                if default.contains("${") || default.contains('(') {
                    return Err(XlsFormError::new(
                        "unsupported",
                        "default",
                        "a `default` computed from other answers is not supported",
                    )
                    .at("survey", Some(row), Some("default")));
                }
                // XLSForm writes a multiple choice's default with spaces.
                let typed = if kind == FieldType::MultiChoice {
                    default.split_whitespace().collect::<Vec<_>>().join(",")
                } else {
                    default.to_owned()
                };
                let v = def.parse_input(&typed).map_err(|_| {
                    XlsFormError::new(
                        "bad_value",
                        "default",
                        format!("the default does not fit a `{}` field", cut(&ty, 40)),
                    )
                    .at("survey", Some(row), Some("default"))
                })?;
                def.default = (!v.is_null()).then_some(v);
            }
            fields.push(def);
        }
        if let Some(open) = groups.last() {
            return Err(XlsFormError::new(
                "unbalanced_group",
                "begin group",
                format!("the group `{}` is never ended", open.id),
            )
            .at("survey", None, None));
        }
        // Rules: they parse, and read only fields that are collected.
        for (row, column, src) in &exprs {
            let e = Expr::parse(src).map_err(|e| {
                XlsFormError::new("bad_rule", *column, e.to_string()).at(
                    "survey",
                    Some(*row),
                    Some(column),
                )
            })?;
            for r in e.references() {
                if names.contains(&r) && fields.iter().any(|f| f.id == r) {
                    continue;
                }
                let why = match left_out.get(&r) {
                    Some((at, "calculate")) => format!(
                        "reads `${{{r}}}`, a calculation (row {at}): calculations other fields use are not supported"
                    ),
                    Some((at, _)) => format!(
                        "reads `${{{r}}}`, which ODK fills itself (row {at}) and Satchel does not collect"
                    ),
                    None => format!("reads `${{{}}}`, which the form does not have", cut(&r, 40)),
                };
                let code = if left_out.contains_key(&r) {
                    "unsupported"
                } else {
                    "bad_rule"
                };
                let construct = if left_out.get(&r).is_some_and(|x| x.1 == "calculate") {
                    "calculate"
                } else {
                    column
                };
                return Err(XlsFormError::new(code, construct, why).at(
                    "survey",
                    Some(*row),
                    Some(column),
                ));
            }
        }
        // A calculation nobody reads (labels can show one through `${...}`).
        let label_refs: BTreeSet<String> = rows
            .iter()
            .flat_map(|(_, c)| c.iter())
            .flat_map(|t| refs_in(t))
            .collect();
        for (id, (row, what)) in &left_out {
            if *what == "calculate" {
                if label_refs.contains(id) {
                    return Err(XlsFormError::new(
                        "unsupported",
                        "calculate",
                        format!("the calculation `{id}` is shown or used by other fields; calculations are not supported"),
                    )
                    .at("survey", Some(*row), Some("type")));
                }
                self.notes
                    .add("unused_calculation", "survey", Some(*row), Some("type"), id);
            }
        }
        if fields.is_empty() {
            return Err(XlsFormError::new(
                "invalid_form",
                "",
                "the survey has no fields Satchel can collect",
            )
            .at("survey", None, None));
        }
        if fields.len() > MAX_FIELDS {
            return Err(XlsFormError::new(
                "too_large",
                "",
                format!("a form has at most {MAX_FIELDS} fields"),
            )
            .at("survey", None, None));
        }
        // Sections no field is in add nothing.
        sections.retain(|s| fields.iter().any(|f| f.section.as_deref() == Some(&s.id)));
        let rules = fields
            .iter()
            .map(|f| u32::from(f.relevant.is_some()) + u32::from(f.constraint.is_some()))
            .sum::<u32>()
            + sections.iter().filter(|s| s.relevant.is_some()).count() as u32;
        let form = Form {
            name: name.clone(),
            version,
            label: Labels::same(&title),
            fields,
            sections,
        };
        let json = form
            .to_json()
            .map_err(|e| XlsFormError::new("invalid_form", "", e.to_string()))?;
        let form =
            Form::parse(&json).map_err(|e| XlsFormError::new("invalid_form", "", e.to_string()))?;
        for (lang, (row, count)) in std::mem::take(&mut self.missing) {
            self.notes.0.insert(
                (
                    "label_missing".into(),
                    "survey".into(),
                    None,
                    lang.to_owned(),
                ),
                (row, count),
            );
        }
        let mut languages: Vec<Language> = self
            .languages
            .iter()
            .map(|l| Language {
                name: l.clone(),
                mapped: map_language(l).map(str::to_owned),
            })
            .collect();
        let unnamed = survey_has_unnamed_label(survey);
        if unnamed {
            languages.insert(
                0,
                Language {
                    name: String::new(),
                    mapped: self
                        .default_language
                        .as_deref()
                        .and_then(map_language)
                        .map(str::to_owned),
                },
            );
        }
        let summary = Summary {
            form: name,
            title,
            version,
            fields: form.fields.len() as u32,
            sections: form.sections.len() as u32,
            rules,
            lists: used_lists.len() as u32,
            languages,
            notes: self.notes.into_vec(),
        };
        Ok(Import { form, summary })
    }

    /// The `choices` sheet: options per list, in order.
    fn lists(&mut self) -> Result<BTreeMap<String, Vec<Choice>>, Box<XlsFormError>> {
        let mut out: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
        let Some(sheet) = self.sheets.choices.take() else {
            return Ok(out);
        };
        let c_list = sheet
            .column("list_name")
            .or_else(|| sheet.column("list name"));
        let c_name = sheet.column("name");
        if c_list.is_none() || c_name.is_none() {
            if sheet.rows.is_empty() {
                return Ok(out);
            }
            return Err(XlsFormError::new(
                "bad_choice",
                "list_name, name",
                "the `choices` sheet needs `list_name` and `name` columns",
            )
            .at("choices", None, None));
        }
        for (i, h) in sheet.headers.iter().enumerate() {
            let (base, _) = split_lang(h);
            let used = sheet.rows.iter().find(|(_, c)| !get(c, Some(i)).is_empty());
            let Some((first, _)) = used else { continue };
            if PRESENTATION.contains(&base.as_str()) {
                self.notes
                    .add("presentation", "choices", Some(*first), Some(h), &base);
            } else if !["list_name", "list name", "name", "label"].contains(&base.as_str()) {
                // Columns a choice_filter would read; choice_filter itself is refused.
                self.notes.add(
                    "ignored_column",
                    "choices",
                    Some(*first),
                    Some(h),
                    &normal_header(h),
                );
            }
        }
        for (row, cells) in &sheet.rows {
            let list = get(cells, c_list);
            let id = get(cells, c_name);
            if list.is_empty() {
                continue;
            }
            // Rules read a multiple choice as names joined by spaces, as ODK does.
            if id.is_empty() || id.contains([',', ' ']) || id.chars().count() > 40 {
                return Err(XlsFormError::new(
                    "bad_choice",
                    id,
                    "a choice's name is 1-40 characters with no comma or space",
                )
                .at("choices", Some(*row), Some("name")));
            }
            let label = self
                .labels(&Self::texts(&sheet, cells, "label"), *row)
                .unwrap_or_else(|| Labels::same(id));
            let options = out.entry(list.to_owned()).or_default();
            if options.iter().any(|o| o.id == id) {
                return Err(XlsFormError::new(
                    "bad_choice",
                    id,
                    format!(
                        "the choice `{}` appears twice in the list `{}`",
                        cut(id, 40),
                        cut(list, 40)
                    ),
                )
                .at("choices", Some(*row), Some("name")));
            }
            options.push(Choice {
                id: id.to_owned(),
                label,
            });
        }
        self.sheets.choices = Some(sheet);
        Ok(out)
    }
}

fn survey_has_unnamed_label(s: &Sheet) -> bool {
    s.headers.iter().any(|h| normal_header(h) == "label")
}

fn duplicate(name: &str, row: u32) -> Box<XlsFormError> {
    XlsFormError::new(
        "duplicate_name",
        name,
        format!(
            "the name `{}` is used twice (names are compared in lower case)",
            cut(name, 40)
        ),
    )
    .at("survey", Some(row), Some("name"))
}

enum Kind {
    Field(FieldType, Option<String>),
    Metadata,
    Calculate,
    Refused(String),
    Unknown,
}

fn field_type(ty: &str, ty_l: &str) -> Kind {
    let mut words = ty.split(' ');
    let first = words.next().unwrap_or("").to_lowercase();
    let rest: Vec<&str> = words.collect();
    let refused = |why: &str| Kind::Refused(why.to_owned());
    match first.as_str() {
        "select_one" | "select_multiple" => {
            let kind = if first == "select_one" {
                FieldType::SingleChoice
            } else {
                FieldType::MultiChoice
            };
            match rest.as_slice() {
                [list] => Kind::Field(kind, Some((*list).to_owned())),
                [_, or] if or.eq_ignore_ascii_case("or_other") => refused(
                    "`or_other` is not supported: add an `other` choice and a text field shown when it is selected",
                ),
                _ => refused("a choice type names one list: `select_one LIST`"),
            }
        }
        "select_one_from_file" | "select_multiple_from_file" | "select_one_external" => {
            refused("external selects are not supported: put the list on the `choices` sheet")
        }
        _ if !rest.is_empty() => Kind::Unknown,
        "text" | "barcode" => Kind::Field(FieldType::Text, None),
        "integer" | "int" => Kind::Field(FieldType::Integer, None),
        "decimal" => Kind::Field(FieldType::Number, None),
        "date" => Kind::Field(FieldType::Date, None),
        "datetime" => Kind::Field(FieldType::DateTime, None),
        "time" => Kind::Field(FieldType::Time, None),
        "geopoint" => Kind::Field(FieldType::Location, None),
        "image" | "audio" | "video" | "file" => Kind::Field(FieldType::Attachment, None),
        "note" => Kind::Field(FieldType::Note, None),
        "acknowledge" => Kind::Field(FieldType::Acknowledge, None),
        "calculate" => Kind::Calculate,
        "hidden" | "xml-external" | "csv-external" => {
            refused("hidden and external fields are not supported")
        }
        "range" => refused("`range` is not supported: use an integer or decimal with a constraint"),
        "geotrace" | "geoshape" => {
            refused("lines and shapes on a map are not supported: use geopoint")
        }
        "rank" => refused("`rank` is not supported"),
        "background-audio" | "background-geopoint" => {
            refused("recording in the background is not supported")
        }
        _ if METADATA.contains(&ty_l) => Kind::Metadata,
        _ => Kind::Unknown,
    }
}

/// A Satchel field id for an XLSForm name: lower case, so `Age` and `age` are one
/// name; names that cannot become an id are refused, not rewritten.
fn field_id(name: &str) -> Option<String> {
    let id = name.trim().to_lowercase();
    let mut chars = id.chars();
    let ok = id.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    ok.then_some(id)
}

/// A form name from `form_id` or the file's name: lower case, other characters as
/// `_`, starting with a letter.
fn form_name(raw: &str) -> String {
    let mut s: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(38)
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s.insert_str(0, "f_");
    }
    s
}

/// `${Name}` references, lower-cased as field ids are.
fn rewrite(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(i) = rest.find("${") {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        match after.find('}') {
            Some(j) => {
                out.push_str(&after[..=j].to_lowercase());
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

fn refs_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                out.push(after[..j].trim().to_lowercase());
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_map_by_code_then_by_name() {
        assert_eq!(map_language("English (en)"), Some("en"));
        assert_eq!(map_language("한국어 (ko)"), Some("ko"));
        assert_eq!(map_language("中文 (zh-CN)"), Some("zh-Hans"));
        assert_eq!(map_language("Chinese"), Some("zh-Hans"));
        assert_eq!(map_language("繁體中文 (zh-TW)"), None);
        assert_eq!(map_language("Français (fr)"), None);
    }

    #[test]
    fn names_and_references_are_lower_cased_together() {
        assert_eq!(field_id("Age_Years").as_deref(), Some("age_years"));
        assert_eq!(field_id("1st"), None);
        assert_eq!(field_id("a.b"), None);
        assert_eq!(
            rewrite(" ${Age} > 3 and ${X1} = 'A' "),
            "${age} > 3 and ${x1} = 'A'"
        );
        assert_eq!(rewrite("${unterminated"), "${unterminated");
        assert_eq!(refs_in("Hello ${Name}, ${ x }"), ["name", "x"]);
        assert_eq!(form_name("Household Survey 2024"), "household_survey_2024");
        assert_eq!(form_name("2024-form"), "f_2024-form");
    }

    #[test]
    fn headers_compare_without_case_or_spaces_around_the_language() {
        assert_eq!(
            normal_header("Label :: English (en)"),
            "label::English (en)"
        );
        assert_eq!(
            split_lang("hint::한국어 (ko)"),
            ("hint".into(), Some("한국어 (ko)".into()))
        );
        assert_eq!(split_lang("media::image::English (en)").1, None);
    }
}
