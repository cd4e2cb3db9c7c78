//! Reports: chosen records and fields of one form, written as CSV or XLSX into a
//! folder the user chose. This is the one deliberate way plaintext leaves the vault
//! (ADR 0033), so it leaves nothing else behind: the file is built under a hidden
//! temporary name in that same folder and renamed into place, an existing file is
//! replaced only when asked, a failure removes the partial file, nothing is logged,
//! and the vault's own folder is refused.
//!
//! Values are written as the app shows them: choice labels in the asked language,
//! dates as typed (partial and approximate ones too), a link as the linked record's
//! title and id, attachments by file name only. A field in conflict shows its
//! default value, as the records list does. Cells a spreadsheet would read as a
//! formula are neutralised in both formats (see [`neutralise`]): record text comes
//! from peers.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use satchel_forms::ValueProblem;
use satchel_store::{ListFilter, StoredRecord};
use satchel_sync::op::{ATTACHMENT_PREFIX, DeviceId, RecordId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    error::{ApiError, Result},
    form::{FieldDef, FieldType, Form},
    records::format_time,
    vault::Vault,
};

/// The most characters an XLSX cell holds (Excel's limit; the writer refuses more).
pub const XLSX_MAX_CELL: usize = 32_767;
/// The most records an XLSX sheet holds: its rows less the header.
pub const XLSX_MAX_RECORDS: u32 = 1_048_575;
/// Records written between two looks at the cancel flag and two progress reports.
const STEP: usize = 256;
/// The byte order mark that tells spreadsheets a CSV file is UTF-8 (ADR 0033).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file format of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// RFC 4180 CSV in UTF-8 with a byte order mark, CRLF line ends.
    #[default]
    Csv,
    /// An Office Open XML workbook with one sheet.
    Xlsx,
}

impl ExportFormat {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// The columns besides the form's fields, each written only when asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default, rename_all = "camelCase")]
pub struct ExportColumns {
    /// The record's id (first column).
    pub id: bool,
    /// When it was created (UTC).
    pub created: bool,
    /// When it last changed (UTC).
    pub changed: bool,
    /// The device or member that created it.
    pub author: bool,
    /// Its attachments' file names (never their contents).
    pub attachments: bool,
}

/// What to export. New ways of choosing records come as new fields with defaults,
/// so callers build it with `..Default::default()`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default, rename_all = "camelCase")]
pub struct ExportRequest {
    /// The form whose records are exported.
    pub form: String,
    /// These records (full ids or unique prefixes), in this order; `None`: every
    /// record of the form not deleted, oldest first.
    #[ts(optional)]
    pub ids: Option<Vec<String>>,
    /// With `ids` unset: only the form's records this filter lets through (its own
    /// form, if any, is ignored: `form` is the report's). `ids` and a filter are not
    /// both given.
    #[ts(optional)]
    pub filter: Option<crate::filter::RecordFilter>,
    /// These fields, written in the form's order; `None`: all of them.
    #[ts(optional)]
    pub fields: Option<Vec<String>>,
    /// Id, times, author and attachment columns.
    pub columns: ExportColumns,
    /// CSV or XLSX.
    pub format: ExportFormat,
    /// Language of labels and values: en, ko or zh-Hans.
    pub lang: String,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReportWritten {
    /// Records written (rows after the header).
    pub records: u64,
    /// The file's name in the folder (no folder: the user knows where they chose).
    pub file: String,
}

/// A cell as written: text that a spreadsheet would take for a formula (it starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return, or their full-width forms that
/// some spreadsheets convert) gets a leading `'`, as OWASP advises; a plain number
/// such as `-5` stays as it is. The same rule applies to both formats, so a report
/// reads the same whichever was chosen and an XLSX file saved again as CSV stays safe.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    const RISKY: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];
    if cell.starts_with(RISKY) && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-5`, `+3.25`: a sign, digits and at most one decimal point between digits.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Column titles and yes/no in the report's language.
struct Words {
    id: &'static str,
    created: &'static str,
    changed: &'static str,
    author: &'static str,
    attachments: &'static str,
    yes: &'static str,
    no: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "ko" => Words {
            id: "기록 ID",
            created: "작성 시각",
            changed: "변경 시각",
            author: "작성자",
            attachments: "첨부 파일",
            yes: "예",
            no: "아니요",
        },
        "zh-Hans" | "zh" | "zh-CN" => Words {
            id: "记录 ID",
            created: "创建时间",
            changed: "修改时间",
            author: "作者",
            attachments: "附件",
            yes: "是",
            no: "否",
        },
        _ => Words {
            id: "Record id",
            created: "Created",
            changed: "Changed",
            author: "Author",
            attachments: "Attachments",
            yes: "yes",
            no: "no",
        },
    }
}

/// A free name for an export of `form` in `dir`: `contact-2026-11-30.csv`, then
/// `contact-2026-11-30-2.csv` and so on (the app writes into a chosen folder and
/// never replaces a file).
pub fn free_name(dir: &Path, form: &str, format: ExportFormat, today: &str) -> PathBuf {
    let ext = format.extension();
    let base: String = form
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    let base = if base.is_empty() { "export" } else { &base };
    let mut n = 1u32;
    loop {
        let name = if n == 1 {
            format!("{base}-{today}.{ext}")
        } else {
            format!("{base}-{today}-{n}.{ext}")
        };
        let path = dir.join(name);
        if fs::symlink_metadata(&path).is_err() || n == u32::MAX {
            return path;
        }
        n += 1;
    }
}

/// Today's date (UTC), `YYYY-MM-DD`, for [`free_name`].
pub fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

/// The rows to write, and how to turn a record into cells.
struct Plan<'a> {
    vault: &'a Vault,
    fields: Vec<&'a FieldDef>,
    columns: ExportColumns,
    lang: &'a str,
    words: Words,
    authors: Option<crate::org::Authors>,
    /// Linked records' titles, looked up once each.
    links: BTreeMap<String, Option<String>>,
}

impl Plan<'_> {
    fn header(&self) -> Vec<String> {
        let w = &self.words;
        let mut out = Vec::new();
        if self.columns.id {
            out.push(w.id.to_owned());
        }
        out.extend(
            self.fields
                .iter()
                .map(|d| d.label.get(self.lang).to_owned()),
        );
        for (on, title) in [
            (self.columns.created, w.created),
            (self.columns.changed, w.changed),
            (self.columns.author, w.author),
            (self.columns.attachments, w.attachments),
        ] {
            if on {
                out.push(title.to_owned());
            }
        }
        out
    }

    fn value(&mut self, def: &FieldDef, value: &Value) -> String {
        match (def.kind, value) {
            (FieldType::YesNo, Value::Bool(b)) => {
                if *b { self.words.yes } else { self.words.no }.to_owned()
            }
            (_, Value::String(id)) if def.links_to.is_some() => {
                let vault = self.vault;
                let title = self
                    .links
                    .entry(id.clone())
                    .or_insert_with(|| vault.linked_title(id))
                    .clone();
                match title {
                    Some(t) if !t.is_empty() => format!("{t} ({id})"),
                    _ => id.clone(),
                }
            }
            _ => def.display(value, self.lang),
        }
    }

    fn row(&mut self, rec: &StoredRecord) -> Result<Vec<String>> {
        let mut out = Vec::new();
        if self.columns.id {
            out.push(rec.id.to_string());
        }
        for i in 0..self.fields.len() {
            let Some(def) = self.fields.get(i).copied() else {
                continue;
            };
            let cell = match rec.state.value(&def.id) {
                // An attachment field shows the file's name, as the app does.
                Some(Value::String(hex)) if def.kind == FieldType::Attachment => rec
                    .state
                    .value(&format!("{ATTACHMENT_PREFIX}{hex}"))
                    .and_then(|a| a.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or(hex)
                    .to_owned(),
                Some(v) => self.value(def, v),
                None => String::new(),
            };
            out.push(cell);
        }
        if self.columns.created {
            out.push(format_time(rec.state.created));
        }
        if self.columns.changed {
            out.push(format_time(rec.state.updated));
        }
        if let Some(authors) = self.columns.author.then_some(()).and(self.authors.as_ref()) {
            let creator = self.vault.store.record_creator(&rec.id.0)?;
            out.push(creator.map_or_else(String::new, |c| authors.name(&DeviceId(c))));
        }
        if self.columns.attachments {
            let names: Vec<&str> = rec
                .state
                .fields
                .iter()
                .filter(|(k, _)| k.starts_with(ATTACHMENT_PREFIX))
                .filter_map(|(_, v)| v.first()?.value.get("name")?.as_str())
                .collect();
            out.push(names.join("\n"));
        }
        Ok(out)
    }
}

/// Removes the temporary file unless it was renamed into place.
struct Temp(Option<PathBuf>);

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

/// File-system failures while writing the export: a full disk says so, anything
/// else is one plain error (the message never names the path).
fn written(e: io::Error) -> ApiError {
    match ApiError::from(e) {
        ApiError::DiskFull => ApiError::DiskFull,
        _ => ApiError::ExportNotWritten,
    }
}

impl Vault {
    /// The title of a record a link names, if this vault holds it.
    fn linked_title(&self, id: &str) -> Option<String> {
        let id = RecordId::parse(id)?;
        let rec = self.store.record(&id).ok()??;
        Some(self.summary(id, &rec.state, &self.forms).title)
    }

    /// The records an export covers, in order.
    fn export_records(&self, form: &Form, request: &ExportRequest) -> Result<Vec<StoredRecord>> {
        let Some(ids) = request.ids.as_deref() else {
            let narrowed = match &request.filter {
                Some(filter) => self.list_filter(&crate::filter::RecordFilter {
                    form: None,
                    ..filter.clone()
                })?,
                None => ListFilter::default(),
            };
            let mut all = self.store.records(&ListFilter {
                form: Some(form.name.clone()),
                ..narrowed
            })?;
            all.sort_by_key(|r| (r.state.created, r.id.0));
            return Ok(all);
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(ids.len());
        for text in ids {
            let id = self.resolve_id(text)?;
            if !seen.insert(id.0) {
                continue;
            }
            let rec = self
                .store
                .record(&id)?
                .ok_or_else(|| ApiError::RecordNotFound(id.to_string()))?;
            if rec.state.deleted {
                return Err(ApiError::RecordDeleted(id.to_string()));
            }
            if rec.state.form != form.name {
                return Err(ApiError::InvalidValue {
                    field: "ids".into(),
                    problem: ValueProblem::OtherForm {
                        record: id.to_string(),
                        form: form.name.clone(),
                    },
                });
            }
            out.push(rec);
        }
        Ok(out)
    }

    /// Writes the records and fields `request` chooses to the file `out`, reporting
    /// `(records written, records in all)`. `out`'s folder must exist; the file is
    /// built beside it under a hidden temporary name and renamed into place, so a
    /// reader never sees half a report and a failure leaves nothing. An existing
    /// file is replaced only when `overwrite` is set. Stops with
    /// [`ApiError::Cancelled`] when the vault's cancel flag is raised.
    pub fn export_to(
        &self,
        request: &ExportRequest,
        out: &Path,
        overwrite: bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ReportWritten> {
        let form = self.form_ref(&request.form)?;
        // A note holds no value: it is no column.
        let fields: Vec<&FieldDef> = match &request.fields {
            None => form
                .fields
                .iter()
                .filter(|d| d.kind.holds_value())
                .collect(),
            Some(chosen) => {
                for f in chosen {
                    form.field(f)?;
                }
                form.fields
                    .iter()
                    .filter(|d| chosen.contains(&d.id) && d.kind.holds_value())
                    .collect()
            }
        };
        if request.ids.is_some() && request.filter.as_ref().is_some_and(|f| f.is_narrowed()) {
            return Err(ApiError::InvalidFilter(
                "chosen records and a filter cannot be combined".into(),
            ));
        }
        let records = self.export_records(form, request)?;
        if request.format == ExportFormat::Xlsx && records.len() > XLSX_MAX_RECORDS as usize {
            return Err(ApiError::ExportTooManyRows {
                max: XLSX_MAX_RECORDS,
            });
        }
        let file_name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or(ApiError::ExportNotWritten)?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let folder = fs::canonicalize(parent).map_err(written)?;
        if fs::canonicalize(&self.dir).is_ok_and(|v| v == folder) {
            return Err(ApiError::ExportIntoVault);
        }
        if !overwrite && fs::symlink_metadata(out).is_ok() {
            return Err(ApiError::ExportExists);
        }
        let mut plan = Plan {
            vault: self,
            fields,
            columns: request.columns,
            lang: &request.lang,
            words: words(&request.lang),
            authors: if request.columns.author {
                Some(self.authors()?)
            } else {
                None
            },
            links: BTreeMap::new(),
        };
        let total = records.len() as u64;
        progress(0, total);
        // A report of the same name that was cut off (a crash, a pulled drive) left
        // its plaintext under a hidden name here: it goes before this one is written.
        crate::files::remove_stale_temps(&folder, &file_name).map_err(written)?;
        let tmp_path = crate::files::temp_beside(&folder.join(&file_name)).map_err(written)?;
        let file = crate::files::create_new(&tmp_path).map_err(written)?;
        let mut temp = Temp(Some(tmp_path.clone()));
        match request.format {
            ExportFormat::Csv => self.write_csv(&mut plan, &records, file, progress)?,
            ExportFormat::Xlsx => self.write_xlsx(&mut plan, &records, file, progress)?,
        }
        self.cancelled()?;
        if !overwrite && fs::symlink_metadata(out).is_ok() {
            return Err(ApiError::ExportExists);
        }
        fs::rename(&tmp_path, folder.join(&file_name)).map_err(written)?;
        temp.0 = None;
        crate::files::sync_dir(&folder).map_err(written)?;
        progress(total, total);
        Ok(ReportWritten {
            records: total,
            file: file_name,
        })
    }

    fn write_csv(
        &self,
        plan: &mut Plan<'_>,
        records: &[StoredRecord],
        file: fs::File,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<()> {
        let mut buf = BufWriter::new(file);
        buf.write_all(BOM).map_err(written)?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(buf);
        let csv_err = |e: csv::Error| match e.into_kind() {
            csv::ErrorKind::Io(io) => written(io),
            _ => ApiError::ExportNotWritten,
        };
        let header = plan.header();
        w.write_record(header.iter().map(|c| neutralise(c).into_owned()))
            .map_err(csv_err)?;
        let total = records.len() as u64;
        for (i, rec) in records.iter().enumerate() {
            if i % STEP == 0 {
                self.cancelled()?;
                progress(i as u64, total);
            }
            let row = plan.row(rec)?;
            w.write_record(row.iter().map(|c| neutralise(c).into_owned()))
                .map_err(csv_err)?;
        }
        let buf = w
            .into_inner()
            .map_err(|e| written(io::Error::other(e.to_string())))?;
        let file = buf.into_inner().map_err(|e| written(e.into_error()))?;
        file.sync_all().map_err(written)
    }

    fn write_xlsx(
        &self,
        plan: &mut Plan<'_>,
        records: &[StoredRecord],
        mut file: fs::File,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<()> {
        use rust_xlsxwriter::{Format, Workbook, XlsxError};
        let xlsx_err = |e: XlsxError| match e {
            XlsxError::IoError(io) => written(io),
            _ => ApiError::ExportNotWritten,
        };
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let bold = Format::new().set_bold();
        for (col, title) in plan.header().iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| ApiError::ExportNotWritten)?;
            let title = neutralise(title);
            let title: String = title.chars().take(XLSX_MAX_CELL).collect();
            sheet
                .write_string_with_format(0, col, title, &bold)
                .map_err(xlsx_err)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        let total = records.len() as u64;
        let ids = plan.columns.id;
        for (i, rec) in records.iter().enumerate() {
            if i % STEP == 0 {
                self.cancelled()?;
                progress(i as u64, total);
            }
            let row = u32::try_from(i + 1).map_err(|_| ApiError::ExportTooManyRows {
                max: XLSX_MAX_RECORDS,
            })?;
            let cells = plan.row(rec)?;
            for (col, cell) in cells.iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                let cell = neutralise(cell);
                if cell.chars().count() > XLSX_MAX_CELL {
                    // Which field: the id column shifts the form's fields by one.
                    let field = col
                        .checked_sub(usize::from(ids))
                        .and_then(|f| plan.fields.get(f))
                        .map_or_else(|| "-".to_owned(), |d| d.id.clone());
                    return Err(ApiError::ExportCellTooLong {
                        record: rec.id.to_string(),
                        field,
                        max: XLSX_MAX_CELL,
                    });
                }
                let col = u16::try_from(col).map_err(|_| ApiError::ExportNotWritten)?;
                sheet.write_string(row, col, cell).map_err(xlsx_err)?;
            }
        }
        self.cancelled()?;
        book.save_to_writer(&mut file).map_err(xlsx_err)?;
        file.sync_all().map_err(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_looking_cells_get_a_quote_and_numbers_stay() {
        for risky in [
            "=1+1",
            "+86 431 123",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "＝1+1",
            "-",
            "+",
            "-.5",
            "1.",
        ] {
            let out = neutralise(risky);
            if risky.starts_with(['=', '+', '-', '@', '\t', '\r', '＝']) {
                assert_eq!(out, format!("'{risky}"), "{risky:?}");
            }
        }
        for plain in ["-5", "+3.25", "12", "0.5", "김철수", "", "a=b", " =1", "'x"] {
            assert_eq!(neutralise(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn free_names_never_name_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = free_name(dir.path(), "contact", ExportFormat::Csv, "2026-11-30");
        assert_eq!(first.file_name().unwrap(), "contact-2026-11-30.csv");
        fs::write(&first, b"x").unwrap();
        let second = free_name(dir.path(), "contact", ExportFormat::Csv, "2026-11-30");
        assert_eq!(second.file_name().unwrap(), "contact-2026-11-30-2.csv");
        let odd = free_name(dir.path(), "../..", ExportFormat::Xlsx, "2026-11-30");
        assert_eq!(odd.file_name().unwrap(), "export-2026-11-30.xlsx");
    }
}
