//! Records: create, edit, delete, purge, find and read them. Every change is a signed
//! op appended to this device's chain; the store updates the records view from it.

use std::collections::BTreeMap;

use crate::form::ValueProblem;
use satchel_crypto::hash;
use satchel_store::ListFilter;

use crate::filter::RecordFilter;
use satchel_sync::{
    hlc::Hlc,
    merge::{FieldValue, RecordState},
    op::{
        ASSIGNED_PREFIX, ATTACHMENT_PREFIX, Body, DeviceId, Draft, Op, OpId, OpKind, RecordId,
        WriteBody,
    },
    vv::VersionVector,
};
use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::{
    error::{ApiError, Result},
    form::{FieldDef, FieldType, Form},
    vault::Vault,
};

/// Attachment hashes with their index in the caller's list.
type BlobIndex = Vec<([u8; 32], usize)>;

/// Largest attachment accepted, in bytes: a recorded testimony fits. Attachments
/// stream through the vault and bundles in chunks, so the cap is not about memory.
pub const MAX_ATTACHMENT: u64 = satchel_sync::bundle::MAX_BLOB;
/// Largest attachment handed over whole, for viewing in the app; larger ones are
/// saved to a file.
pub const MAX_IN_MEMORY_ATTACHMENT: u64 = 64 * 1024 * 1024;
/// Most results a search returns.
pub const SEARCH_LIMIT: usize = 200;

/// A value for a field: typed text (the CLI) or an already-typed value (the app).
#[derive(Debug, Clone)]
pub enum FieldInput {
    /// What a person typed; parsed by the field's type. Empty clears.
    Text(String),
    /// A JSON value in stored form; `null` clears.
    Json(Value),
}

/// A file to attach: its bytes in memory, or already streamed into the vault by
/// [`Vault::store_attachment`] (then `bytes` is empty).
pub struct NewAttachment {
    /// File name as the user knows it (kept inside the vault only).
    pub name: String,
    /// Contents; zeroized when dropped.
    pub bytes: Zeroizing<Vec<u8>>,
    /// Contents already in the vault.
    pub stored: Option<StoredAttachment>,
}

/// An attachment streamed into the vault, waiting for the record that names it.
/// Until then a sweep (after a purge) may drop it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredAttachment {
    /// BLAKE3 of the contents.
    pub hash: [u8; 32],
    /// Bytes.
    pub size: u64,
}

impl NewAttachment {
    /// An attachment held in memory.
    pub fn in_memory(name: String, bytes: Zeroizing<Vec<u8>>) -> Self {
        Self {
            name,
            bytes,
            stored: None,
        }
    }

    fn size(&self) -> u64 {
        self.stored.map_or(self.bytes.len() as u64, |s| s.size)
    }

    fn hash(&self) -> [u8; 32] {
        self.stored
            .map_or_else(|| hash::content(&self.bytes), |s| s.hash)
    }
}

impl std::fmt::Debug for NewAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewAttachment({} bytes)", self.size())
    }
}

/// One value of a field as shown.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShownValue {
    /// Stored value.
    pub value: Value,
    /// As a person reads it.
    pub display: String,
    /// The op that wrote it (hex): the handle for picking a conflict's winner.
    pub op: String,
    /// Author's fingerprint.
    pub author: String,
    /// When (UTC, RFC 3339).
    pub time: String,
}

/// A field of a record as shown.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShownField {
    /// Field id.
    pub id: String,
    /// Label in the requested language.
    pub label: String,
    /// Values, default first; more than one is a conflict.
    pub values: Vec<ShownValue>,
    /// For a field that links to a record: the id of the record its value names, when
    /// this vault holds it (the value's `display` is then that record's title).
    pub link: Option<String>,
}

/// An attachment as listed.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ShownAttachment {
    /// BLAKE3 of the contents (hex).
    pub blake3: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// A whole record as shown.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RecordView {
    /// Id.
    pub id: String,
    /// Form name.
    pub form: String,
    /// Fields with values, in form order (fields the form no longer has come last).
    pub fields: Vec<ShownField>,
    /// Attachments.
    pub attachments: Vec<ShownAttachment>,
    /// Deleted (tombstone).
    pub deleted: bool,
    /// Deleted on one device while edited on another: shown, pending a decision.
    pub delete_conflict: bool,
    /// Created (UTC).
    pub created: String,
    /// Last changed (UTC).
    pub updated: String,
    /// The members it is assigned to, by name and role (in an organisation).
    pub assigned: Vec<String>,
    /// The version of its form it was made with, shown with that version's fields
    /// and labels (editing brings it to the newest).
    pub form_version: Option<i64>,
}

/// A line in a list of records.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct RecordSummary {
    /// Id.
    pub id: String,
    /// Form name.
    pub form: String,
    /// The first filled-in text field.
    pub title: String,
    /// Last changed (UTC).
    pub updated: String,
    /// Deleted.
    pub deleted: bool,
    /// Fields in conflict.
    pub conflicts: usize,
    /// In a search result, the record text around what matched, matches marked;
    /// empty in a list.
    pub snippet: Vec<SnippetPart>,
}

/// A piece of a search snippet: record text to show as text (never as markup), and
/// whether it matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SnippetPart {
    /// The text.
    pub text: String,
    /// It matched the search.
    pub hit: bool,
}

/// What a search found: the newest matches, and whether there were more.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Found {
    /// Matches, newest first.
    pub items: Vec<RecordSummary>,
    /// More records match than `items` holds; a narrower search shows them.
    pub more: bool,
}

/// One op in a record's history.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct HistoryEntry {
    /// Op id (hex).
    pub op: String,
    /// Author fingerprint.
    pub author: String,
    /// Position in the author's chain.
    pub seq: u64,
    /// When (UTC).
    pub time: String,
    /// write, delete or purge.
    pub kind: OpKind,
    /// Fields set; empty for deletes and purges.
    pub changes: Vec<Change>,
    /// The content was erased by a purge.
    pub purged: bool,
}

/// One field set by an op.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Change {
    /// Field id, or `attachment`.
    pub field: String,
    /// As a person reads it (choice labels in the asked language; English words
    /// for yes/no and attachments, which a UI translates from `value`).
    pub shown: String,
    /// The stored value; for an attachment `{name, size}` when added, null when
    /// removed.
    pub value: Value,
}

/// UTC time of a clock reading, RFC 3339 to the second.
pub fn format_time(hlc: Hlc) -> String {
    let secs = i64::try_from(hlc.wall_ms / 1000).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// Now, UTC, RFC 3339 to the second.
pub fn now_text() -> String {
    format_time(Hlc {
        wall_ms: now_ms(),
        counter: 0,
    })
}

/// The wall clock in milliseconds since 1970.
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) fn author_name(author: &DeviceId) -> String {
    let id = satchel_crypto::identity::PublicIdentity {
        signing: author.0,
        agreement: [0; 32],
    };
    // Short and stable: the first three words of a fingerprint of the signing key.
    id.fingerprint()
        .words
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join("-")
}

impl Vault {
    /// All forms, by name.
    pub fn forms(&self) -> Result<Vec<Form>> {
        Ok(self.forms.values().cloned().collect())
    }

    /// One form.
    pub fn form(&self, name: &str) -> Result<Form> {
        self.form_ref(name).cloned()
    }

    pub(crate) fn form_ref(&self, name: &str) -> Result<&Form> {
        self.forms
            .get(name)
            .ok_or_else(|| ApiError::UnknownForm(name.chars().take(60).collect()))
    }

    /// Installs a form definition (new, or a higher version of an existing one).
    /// In an organisation only coordinators may, and the form is published to it at
    /// once (see [`Vault::publish_form`]).
    pub fn import_form(&mut self, json: &str) -> Result<Form> {
        let publish = self.may_install_forms()?;
        let form = Form::parse(json)?;
        if let Some((have, _)) = self.store.form_get(&form.name)?
            && have >= form.version
        {
            return Err(ApiError::FormNotNewer {
                name: form.name,
                have,
            });
        }
        if let Some(older) = self.forms.get(&form.name) {
            form.check_successor(older)?;
        }
        self.store
            .form_put(&form.name, form.version, &form.to_json()?)?;
        self.forms.insert(form.name.clone(), form.clone());
        if publish {
            self.publish_form(&form.name)?;
        }
        Ok(form)
    }

    /// Reads an XLSForm spreadsheet (`name` is its file's name, which names the form
    /// when its settings do not) and, unless `dry_run`, installs the form as
    /// [`Vault::import_form`] does (published at once in an organisation). The
    /// summary says what it holds and what was left out; nothing changes on error.
    pub fn import_xlsform(
        &mut self,
        bytes: &[u8],
        name: &str,
        dry_run: bool,
    ) -> Result<satchel_xlsform::Summary> {
        // Who may install is asked first: a summary is no use to someone who may not.
        self.may_install_forms()?;
        let read = satchel_xlsform::read(bytes, name).map_err(ApiError::XlsForm)?;
        if !dry_run {
            self.import_form(&read.form.to_json()?)?;
        } else if let Some(older) = self.forms.get(&read.form.name) {
            // A dry run says what the import would refuse, too.
            if older.version >= read.form.version {
                return Err(ApiError::FormNotNewer {
                    name: read.form.name,
                    have: older.version,
                });
            }
            read.form.check_successor(older)?;
        }
        Ok(read.summary)
    }

    /// Finds a record by full id or by a unique prefix of at least 8 hex digits.
    pub fn resolve_id(&self, text: &str) -> Result<RecordId> {
        let shown: String = text.chars().take(40).collect();
        if let Some(id) = RecordId::parse(text) {
            if self.store.record(&id)?.is_some() || !self.store.record_ops(&id)?.is_empty() {
                return Ok(id);
            }
            return Err(ApiError::RecordNotFound(shown));
        }
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        if hex.len() < 8 || hex.len() % 2 == 1 {
            return Err(ApiError::RecordNotFound(shown));
        }
        let prefix = data_encoding::HEXLOWER_PERMISSIVE
            .decode(hex.as_bytes())
            .map_err(|_| ApiError::RecordNotFound(shown.clone()))?;
        match self.store.records_with_prefix(&prefix)?.as_slice() {
            [one] => Ok(*one),
            [] => Err(ApiError::RecordNotFound(shown)),
            _ => Err(ApiError::AmbiguousId(shown)),
        }
    }

    fn body_for(
        &self,
        form: &Form,
        values: &[(String, FieldInput)],
        attachments: &[NewAttachment],
    ) -> Result<(WriteBody, BlobIndex)> {
        let mut body = WriteBody::new(&form.name);
        body.version = Some(form.version);
        for (field, input) in values {
            let def = form.field(field)?;
            // An attachment field may name a file attached in this same write by its
            // name: its hash is known only now.
            if def.kind == FieldType::Attachment {
                let named = match input {
                    FieldInput::Text(t) => Some(t.trim()),
                    FieldInput::Json(Value::String(s)) => Some(s.as_str()),
                    FieldInput::Json(_) => None,
                };
                if let Some(a) = named.and_then(|n| attachments.iter().find(|a| a.name == n)) {
                    let hex = data_encoding::HEXLOWER.encode(&a.hash());
                    body.fields.insert(def.id.clone(), Value::String(hex));
                    continue;
                }
            }
            let value = match input {
                FieldInput::Text(t) if def.links_to.is_some() && t.trim().starts_with('@') => {
                    Value::String(self.link_by_name(def, t.trim().trim_start_matches('@'))?)
                }
                FieldInput::Text(t) => def.parse_input(t)?,
                FieldInput::Json(v) => {
                    def.validate(v)?;
                    v.clone()
                }
            };
            body.fields.insert(def.id.clone(), value);
        }
        let mut blobs = Vec::new();
        for (i, a) in attachments.iter().enumerate() {
            // The size first: an oversized file is refused before it is read.
            let size = a.size();
            if size > MAX_ATTACHMENT {
                return Err(ApiError::AttachmentTooLarge {
                    name: a.name.chars().take(80).collect(),
                    limit_mib: MAX_ATTACHMENT >> 20,
                });
            }
            let hash = a.hash();
            if a.stored.is_some() && !self.store.has_blob(&hash)? {
                return Err(ApiError::AttachmentNotFound(
                    a.name.chars().take(80).collect(),
                ));
            }
            let key = format!(
                "{ATTACHMENT_PREFIX}{}",
                data_encoding::HEXLOWER.encode(&hash)
            );
            body.fields
                .insert(key, serde_json::json!({ "name": a.name, "size": size }));
            if a.stored.is_none() {
                blobs.push((hash, i));
            }
        }
        Ok((body, blobs))
    }

    /// The form's skip logic and constraints over the record's values after a write
    /// (`before` is the record as held, none for a new one): the first problem, and
    /// the fields that do not apply, which are then never required. A file named by
    /// an attachment field must be attached to the record.
    fn check_rules(
        form: &Form,
        before: Option<&BTreeMap<String, Value>>,
        body: &WriteBody,
    ) -> Result<std::collections::BTreeSet<String>> {
        let value = |k: &str| body.fields.get(k).or_else(|| before.and_then(|b| b.get(k)));
        for def in form
            .fields
            .iter()
            .filter(|f| f.kind == FieldType::Attachment)
        {
            if let Some(Value::String(hex)) = body.fields.get(&def.id)
                && value(&format!("{ATTACHMENT_PREFIX}{hex}")).is_none_or(Value::is_null)
            {
                return Err(ApiError::InvalidValue {
                    field: def.id.clone(),
                    problem: ValueProblem::NoSuchAttachment,
                });
            }
        }
        if !form.has_rules() {
            return Ok(Default::default());
        }
        let out = satchel_forms::Rules::new(form)?.check(form, &value);
        if let Some((field, problem)) = out.problems.into_iter().next() {
            return Err(ApiError::InvalidValue { field, problem });
        }
        Ok(out.hidden)
    }

    pub(crate) fn append(
        &mut self,
        record: RecordId,
        kind: OpKind,
        context: VersionVector,
        body: &Body,
        attachments: &[NewAttachment],
        blobs: &[([u8; 32], usize)],
    ) -> Result<()> {
        self.authorise_own(&record, kind, body)?;
        let author = DeviceId(self.device.public().signing);
        let (seq, prev) = self.store.chain_head(&author)?;
        let hlc = Hlc::tick(self.store.last_hlc()?, now_ms());
        let op = Op::create(
            &self.device,
            Draft {
                seq: seq + 1,
                prev,
                hlc,
                record,
                kind,
                context,
            },
            body,
        )?;
        let blob_refs: Vec<([u8; 32], &[u8])> = blobs
            .iter()
            .filter_map(|(h, i)| attachments.get(*i).map(|a| (*h, a.bytes.as_slice())))
            .collect();
        self.store.commit(&[op], &blob_refs)?;
        Ok(())
    }

    /// Creates a record; returns its id.
    pub fn add_record(
        &mut self,
        form: &str,
        values: &[(String, FieldInput)],
        attachments: &[NewAttachment],
    ) -> Result<RecordId> {
        let form = self.form(form)?;
        let (body, blobs) = self.body_for(&form, values, attachments)?;
        let hidden = Self::check_rules(&form, None, &body)?;
        for def in form
            .fields
            .iter()
            .filter(|f| f.required && !hidden.contains(&f.id))
        {
            if body.fields.get(&def.id).is_none_or(Value::is_null) {
                return Err(ApiError::MissingRequired {
                    field: def.id.clone(),
                });
            }
        }
        let id = RecordId::random()?;
        self.append(
            id,
            OpKind::Write,
            VersionVector::default(),
            &Body::Write(body),
            attachments,
            &blobs,
        )?;
        Ok(id)
    }

    /// Creates many records in one transaction (imports, generated test data): all are
    /// stored or none. Returns their ids in order.
    pub fn add_records(
        &mut self,
        form: &str,
        rows: &[Vec<(String, FieldInput)>],
    ) -> Result<Vec<RecordId>> {
        let form = self.form(form)?;
        // New records: only the role matters (an auditor writes nothing).
        self.authorise_own(&RecordId::random()?, OpKind::Write, &Body::Empty)?;
        let author = DeviceId(self.device.public().signing);
        let (mut seq, mut prev) = self.store.chain_head(&author)?;
        let mut hlc = self.store.last_hlc()?;
        let mut ops = Vec::with_capacity(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        for values in rows {
            let (body, _) = self.body_for(&form, values, &[])?;
            let hidden = Self::check_rules(&form, None, &body)?;
            for def in form
                .fields
                .iter()
                .filter(|f| f.required && !hidden.contains(&f.id))
            {
                if body.fields.get(&def.id).is_none_or(Value::is_null) {
                    return Err(ApiError::MissingRequired {
                        field: def.id.clone(),
                    });
                }
            }
            let id = RecordId::random()?;
            seq += 1;
            hlc = Hlc::tick(hlc, now_ms());
            let op = Op::create(
                &self.device,
                Draft {
                    seq,
                    prev,
                    hlc,
                    record: id,
                    kind: OpKind::Write,
                    context: VersionVector::default(),
                },
                &Body::Write(body),
            )?;
            prev = Some(op.id);
            ops.push(op);
            ids.push(id);
        }
        self.store.commit(&ops, &[])?;
        Ok(ids)
    }

    pub(crate) fn live(&self, id: &RecordId) -> Result<RecordState> {
        let rec = self
            .store
            .record(id)?
            .ok_or_else(|| ApiError::RecordNotFound(id.to_string()))?;
        if rec.state.deleted {
            return Err(ApiError::RecordDeleted(id.to_string()));
        }
        Ok(rec.state)
    }

    /// Sets fields (and adds attachments) on a record.
    pub fn edit_record(
        &mut self,
        id: &RecordId,
        values: &[(String, FieldInput)],
        attachments: &[NewAttachment],
    ) -> Result<()> {
        let state = self.live(id)?;
        let form = self.form(&state.form)?;
        let (body, blobs) = self.body_for(&form, values, attachments)?;
        if body.fields.is_empty() {
            return Err(ApiError::InvalidValue {
                field: "-".into(),
                problem: ValueProblem::NothingToChange,
            });
        }
        let before: BTreeMap<String, Value> = state
            .fields
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.first()?.value.clone())))
            .collect();
        let hidden = Self::check_rules(&form, Some(&before), &body)?;
        for def in form
            .fields
            .iter()
            .filter(|f| f.required && !hidden.contains(&f.id))
        {
            if body.fields.get(&def.id).is_some_and(Value::is_null) {
                return Err(ApiError::MissingRequired {
                    field: def.id.clone(),
                });
            }
        }
        let ctx = self.store.record_context(id)?;
        self.append(
            *id,
            OpKind::Write,
            ctx,
            &Body::Write(body),
            attachments,
            &blobs,
        )
    }

    /// Removes an attachment from a record (history keeps it until a purge).
    pub fn remove_attachment(&mut self, id: &RecordId, blake3_hex: &str) -> Result<()> {
        let state = self.live(id)?;
        let key = format!("{ATTACHMENT_PREFIX}{}", blake3_hex.to_lowercase());
        if !state.fields.contains_key(&key) {
            return Err(ApiError::AttachmentNotFound(
                blake3_hex.chars().take(64).collect(),
            ));
        }
        let mut body = WriteBody::new(&state.form);
        body.version = state.form_version;
        body.fields.insert(key, Value::Null);
        let ctx = self.store.record_context(id)?;
        self.append(*id, OpKind::Write, ctx, &Body::Write(body), &[], &[])
    }

    /// Marks a record deleted. Its history stays until it is purged.
    pub fn delete_record(&mut self, id: &RecordId) -> Result<()> {
        self.live(id)?;
        let ctx = self.store.record_context(id)?;
        self.append(*id, OpKind::Delete, ctx, &Body::Empty, &[], &[])
    }

    /// Erases a record's content everywhere this op reaches: payloads, search entries
    /// and attachments. The signed headers stay so the history remains verifiable.
    pub fn purge_record(&mut self, id: &RecordId) -> Result<()> {
        if self.store.record(id)?.is_none() {
            return Err(ApiError::RecordNotFound(id.to_string()));
        }
        let ctx = self.store.record_context(id)?;
        self.append(*id, OpKind::Purge, ctx, &Body::Empty, &[], &[])
    }

    /// Test support: a write as a tampered build would make it, unchecked against the
    /// organisation's rules: `fields` of `form` on record `id`, at clock `hlc_ms`,
    /// claiming to have seen nothing of the record (an empty context).
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn forge_creation_for_tests(
        &mut self,
        id: &RecordId,
        form: &str,
        fields: &[(&str, &str)],
        hlc_ms: u64,
    ) -> Result<()> {
        let author = DeviceId(self.device.public().signing);
        let (seq, prev) = self.store.chain_head(&author)?;
        let mut w = satchel_sync::op::WriteBody::new(form);
        for (k, v) in fields {
            w.fields
                .insert((*k).to_owned(), Value::String((*v).to_owned()));
        }
        let draft = Draft {
            seq: seq + 1,
            prev,
            hlc: Hlc {
                wall_ms: hlc_ms,
                counter: 0,
            },
            record: *id,
            kind: OpKind::Write,
            context: VersionVector::default(),
        };
        let op = Op::create(&self.device, draft, &Body::Write(w))?;
        self.store.commit(&[op], &[])?;
        Ok(())
    }

    fn shown_value(
        def: Option<&FieldDef>,
        v: &FieldValue,
        lang: &str,
        authors: &crate::org::Authors,
    ) -> ShownValue {
        ShownValue {
            value: v.value.clone(),
            display: def.map_or_else(|| v.value.to_string(), |d| d.display(&v.value, lang)),
            op: v.op.to_hex(),
            author: authors.name(&v.author),
            time: format_time(v.hlc),
        }
    }

    /// The version of a form a record was made with (the newest when the record's
    /// ops do not name one, or it is not held).
    pub(crate) fn form_at(&self, name: &str, version: Option<i64>) -> Option<Form> {
        let newest = self.forms.get(name)?;
        match version {
            Some(v) if v != newest.version => self
                .store
                .form_version(name, v)
                .ok()
                .flatten()
                .and_then(|json| Form::parse(&json).ok())
                .or_else(|| Some(newest.clone())),
            _ => Some(newest.clone()),
        }
    }

    fn view(&self, id: RecordId, state: &RecordState, lang: &str) -> Result<RecordView> {
        let form = self.form_at(&state.form, state.form_version);
        let authors = self.authors()?;
        let mut fields = Vec::new();
        let mut attachments = Vec::new();
        let mut rest: BTreeMap<&String, &Vec<FieldValue>> = BTreeMap::new();
        for (key, values) in &state.fields {
            if let Some(hex) = key.strip_prefix(ATTACHMENT_PREFIX) {
                if let Some(v) = values.first().map(|v| &v.value) {
                    attachments.push(ShownAttachment {
                        blake3: hex.to_owned(),
                        name: v
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_owned(),
                        size: v.get("size").and_then(Value::as_u64).unwrap_or(0),
                    });
                }
            } else if !key.starts_with(ASSIGNED_PREFIX) {
                rest.insert(key, values);
            }
        }
        if let Some(form) = &form {
            for def in &form.fields {
                if let Some(values) = rest.remove(&def.id) {
                    let mut shown: Vec<ShownValue> = values
                        .iter()
                        .map(|v| Self::shown_value(Some(def), v, lang, &authors))
                        .collect();
                    // An attachment field shows the file's name.
                    if def.kind == FieldType::Attachment {
                        for v in &mut shown {
                            if let Some(a) = attachments
                                .iter()
                                .find(|a| Some(a.blake3.as_str()) == v.value.as_str())
                            {
                                v.display = a.name.clone();
                            }
                        }
                    }
                    let mut link = None;
                    if def.links_to.is_some() {
                        for v in &mut shown {
                            if let Some((id, title)) = self.linked(&v.value) {
                                v.display = title;
                                link.get_or_insert(id);
                            }
                        }
                    }
                    fields.push(ShownField {
                        id: def.id.clone(),
                        label: def.label.get(lang).to_owned(),
                        values: shown,
                        link,
                    });
                }
            }
        }
        for (key, values) in rest {
            fields.push(ShownField {
                id: key.clone(),
                link: None,
                label: key.clone(),
                values: values
                    .iter()
                    .map(|v| Self::shown_value(None, v, lang, &authors))
                    .collect(),
            });
        }
        Ok(RecordView {
            id: id.to_string(),
            form: state.form.clone(),
            fields,
            attachments,
            deleted: state.deleted,
            delete_conflict: state.delete_conflict,
            created: format_time(state.created),
            updated: format_time(state.updated),
            assigned: state
                .assigned_to()
                .iter()
                .map(|d| authors.name(d))
                .collect(),
            form_version: form.as_ref().map(|f| f.version),
        })
    }

    /// The record a link's value names, if held here: its id and title.
    fn linked(&self, value: &Value) -> Option<(String, String)> {
        let id = RecordId::parse(value.as_str()?)?;
        let rec = self.store.record(&id).ok()??;
        let title = self.summary(id, &rec.state, &self.forms).title;
        Some((id.to_string(), title))
    }

    /// The one record of the form `def` links to whose search matches `name`
    /// (`--set contact=@Kim` on the command line).
    fn link_by_name(&self, def: &crate::form::FieldDef, name: &str) -> Result<String> {
        let target = def.links_to.as_deref().unwrap_or_default();
        let shown: String = name.chars().take(60).collect();
        if name.trim().is_empty() {
            return Err(ApiError::InvalidValue {
                field: def.id.clone(),
                problem: ValueProblem::NoLinkName,
            });
        }
        let found = self.search_in(name, Some(target), 3)?;
        match found.items.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(ApiError::InvalidValue {
                field: def.id.clone(),
                problem: ValueProblem::NoLinkMatch {
                    form: target.to_owned(),
                    searched: shown,
                },
            }),
            _ => Err(ApiError::InvalidValue {
                field: def.id.clone(),
                problem: ValueProblem::SeveralLinkMatches {
                    form: target.to_owned(),
                    searched: shown,
                },
            }),
        }
    }

    /// A record with its fields labelled in `lang`.
    pub fn record(&self, id: &RecordId, lang: &str) -> Result<RecordView> {
        let rec = self
            .store
            .record(id)?
            .ok_or_else(|| ApiError::RecordNotFound(id.to_string()))?;
        self.view(rec.id, &rec.state, lang)
    }

    pub(crate) fn summary(
        &self,
        id: RecordId,
        state: &RecordState,
        forms: &BTreeMap<String, Form>,
    ) -> RecordSummary {
        let form = forms.get(&state.form);
        let title = form
            .and_then(|f| {
                f.fields
                    .iter()
                    .filter(|d| matches!(d.kind, crate::form::FieldType::Text))
                    .find_map(|d| state.value(&d.id).and_then(Value::as_str))
            })
            .unwrap_or("")
            .to_owned();
        RecordSummary {
            id: id.to_string(),
            form: state.form.clone(),
            title,
            updated: format_time(state.updated),
            deleted: state.deleted,
            conflicts: state.conflicts().count(),
            snippet: Vec::new(),
        }
    }

    /// Records, most recently changed first.
    pub fn records(&self, filter: &ListFilter) -> Result<Vec<RecordSummary>> {
        if let Some(f) = &filter.form {
            self.form_ref(f)?;
        }
        let forms = &self.forms;
        Ok(self
            .store
            .records(filter)?
            .iter()
            .map(|r| self.summary(r.id, &r.state, forms))
            .collect())
    }

    /// How many records `filter` selects (ignoring its limit and offset), for paging.
    pub fn count_records(&self, filter: &ListFilter) -> Result<u64> {
        if let Some(f) = &filter.form {
            self.form_ref(f)?;
        }
        Ok(self.store.count(filter)?)
    }

    /// Full-text search (CJK by substring of two or more characters), newest
    /// first; `limit` 0 or above [`SEARCH_LIMIT`] means [`SEARCH_LIMIT`].
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<RecordSummary>> {
        Ok(self.search_in(query, None, limit)?.items)
    }

    /// [`Vault::search`] within one form (an unknown form is an error), saying
    /// whether more records match than were returned.
    pub fn search_in(&self, query: &str, form: Option<&str>, limit: usize) -> Result<Found> {
        self.search_filtered(
            query,
            &RecordFilter {
                form: form.map(str::to_owned),
                ..RecordFilter::default()
            },
            limit,
        )
    }

    /// [`Vault::search`] among the records `filter` selects, each with a snippet of
    /// its text around the match, saying whether more records match than were
    /// returned.
    pub fn search_filtered(
        &self,
        query: &str,
        filter: &RecordFilter,
        limit: usize,
    ) -> Result<Found> {
        let filter = self.list_filter(filter)?;
        let limit = if limit == 0 {
            SEARCH_LIMIT
        } else {
            limit.min(SEARCH_LIMIT)
        };
        // One more than shown tells whether there are more.
        let mut hits = self.store.search_filtered(query, &filter, limit + 1)?;
        let more = hits.len() > limit;
        hits.truncate(limit);
        let forms = &self.forms;
        Ok(Found {
            items: hits
                .iter()
                .map(|r| {
                    let mut s = self.summary(r.id, &r.state, forms);
                    s.snippet = r
                        .snippet(query)
                        .into_iter()
                        .map(|p| SnippetPart {
                            text: p.text,
                            hit: p.hit,
                        })
                        .collect();
                    s
                })
                .collect(),
            more,
        })
    }

    /// Every op of a record, oldest first.
    pub fn history(&self, id: &RecordId, lang: &str) -> Result<Vec<HistoryEntry>> {
        let ops = self.store.record_ops(id)?;
        if ops.is_empty() {
            return Err(ApiError::RecordNotFound(id.to_string()));
        }
        let forms = &self.forms;
        let authors = self.authors()?;
        // Attachment fields name files by hash: shown by the name they were added with.
        let files: BTreeMap<&str, &str> = ops
            .iter()
            .filter_map(|op| match &op.body {
                Some(Body::Write(w)) => Some(w.fields.iter()),
                _ => None,
            })
            .flatten()
            .filter_map(|(k, v)| {
                Some((k.strip_prefix(ATTACHMENT_PREFIX)?, v.get("name")?.as_str()?))
            })
            .collect();
        Ok(ops
            .iter()
            .map(|op| {
                let changes = match &op.body {
                    Some(Body::Write(w)) => w
                        .fields
                        .iter()
                        .map(|(k, v)| {
                            if k.starts_with(ATTACHMENT_PREFIX) {
                                let name = v.get("name").and_then(Value::as_str);
                                let size = v.get("size").and_then(Value::as_u64);
                                let (shown, value) = match (name, size) {
                                    (Some(n), Some(size)) => (
                                        format!("added {n} ({size} bytes)"),
                                        serde_json::json!({ "name": n, "size": size }),
                                    ),
                                    _ => ("removed".to_owned(), Value::Null),
                                };
                                return Change {
                                    field: "attachment".to_owned(),
                                    shown,
                                    value,
                                };
                            }
                            if let Some(hex) = k.strip_prefix(ASSIGNED_PREFIX) {
                                let who = OpId::from_hex(hex).map_or_else(
                                    || "?".to_owned(),
                                    |d| authors.name(&DeviceId(d.0)),
                                );
                                let shown = if v == &Value::Bool(true) {
                                    format!("assigned to {who}")
                                } else {
                                    format!("no longer assigned to {who}")
                                };
                                return Change {
                                    field: "assigned".to_owned(),
                                    shown,
                                    value: v.clone(),
                                };
                            }
                            let def = forms.get(&w.form).and_then(|f| f.field(k).ok());
                            let file = def
                                .filter(|d| d.kind == FieldType::Attachment)
                                .and_then(|_| files.get(v.as_str()?));
                            let shown = match file {
                                Some(name) => (*name).to_owned(),
                                None => def.map_or_else(|| v.to_string(), |d| d.display(v, lang)),
                            };
                            Change {
                                field: k.clone(),
                                shown,
                                value: v.clone(),
                            }
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                HistoryEntry {
                    op: op.id.to_hex(),
                    author: authors.name(&op.header.author),
                    seq: op.header.seq,
                    time: format_time(op.header.hlc),
                    kind: op.header.kind,
                    changes,
                    purged: op.body.is_none() && op.header.kind == OpKind::Write,
                }
            })
            .collect())
    }

    /// The hash of an attachment of a record.
    fn attachment_of(&self, id: &RecordId, blake3_hex: &str) -> Result<[u8; 32]> {
        let rec = self
            .store
            .record(id)?
            .ok_or_else(|| ApiError::RecordNotFound(id.to_string()))?;
        let key = format!("{ATTACHMENT_PREFIX}{}", blake3_hex.to_lowercase());
        let missing = || ApiError::AttachmentNotFound(blake3_hex.chars().take(64).collect());
        if !rec.state.fields.contains_key(&key) {
            return Err(missing());
        }
        Ok(OpId::from_hex(blake3_hex).ok_or_else(missing)?.0)
    }

    /// An attachment's contents, for viewing inside the app, up to
    /// [`MAX_IN_MEMORY_ATTACHMENT`]; larger ones go through
    /// [`Vault::save_attachment`].
    pub fn attachment(&self, id: &RecordId, blake3_hex: &str) -> Result<Zeroizing<Vec<u8>>> {
        let hash = self.attachment_of(id, blake3_hex)?;
        let missing = || ApiError::AttachmentNotFound(blake3_hex.chars().take(64).collect());
        let size = self.store.blob_size(&hash)?.ok_or_else(missing)?;
        if size > MAX_IN_MEMORY_ATTACHMENT {
            return Err(ApiError::AttachmentTooLarge {
                name: blake3_hex.chars().take(16).collect(),
                limit_mib: MAX_IN_MEMORY_ATTACHMENT >> 20,
            });
        }
        self.store
            .blob(&hash)?
            .map(Zeroizing::new)
            .ok_or_else(missing)
    }

    /// Streams an attachment into the vault, one chunk at a time, reporting bytes
    /// read; refuses more than [`MAX_ATTACHMENT`] bytes. Name it in a record with
    /// [`NewAttachment::stored`] set.
    pub fn store_attachment(
        &mut self,
        name: &str,
        mut source: impl std::io::Read,
        progress: &mut dyn FnMut(u64),
    ) -> Result<StoredAttachment> {
        let mut staged = self.store.blob_stage()?;
        let mut buf = Zeroizing::new(vec![0u8; satchel_store::BLOB_CHUNK]);
        loop {
            let n = match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if staged.size() + n as u64 > MAX_ATTACHMENT {
                return Err(ApiError::AttachmentTooLarge {
                    name: name.chars().take(80).collect(),
                    limit_mib: MAX_ATTACHMENT >> 20,
                });
            }
            staged.write(buf.get(..n).unwrap_or_default())?;
            progress(staged.size());
        }
        let (hash, size) = staged.commit()?;
        Ok(StoredAttachment { hash, size })
    }

    /// Streams a file into the vault (see [`Vault::store_attachment`]), named as
    /// the file is, reporting `(bytes read, file size)`.
    pub fn store_attachment_file(
        &mut self,
        path: &std::path::Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<NewAttachment> {
        let file = std::fs::File::open(path)?;
        let total = file.metadata()?.len();
        let name = path
            .file_name()
            .map_or_else(|| "attachment".into(), |n| n.to_string_lossy().into_owned());
        if total > MAX_ATTACHMENT {
            return Err(ApiError::AttachmentTooLarge {
                name: name.chars().take(80).collect(),
                limit_mib: MAX_ATTACHMENT >> 20,
            });
        }
        let stored = self.store_attachment(&name, file, &mut |done| progress(done, total))?;
        Ok(NewAttachment {
            name,
            bytes: Zeroizing::new(Vec::new()),
            stored: Some(stored),
        })
    }

    /// Writes an attachment of a record to `out`, one chunk at a time, reporting
    /// `(bytes written, size)`. Returns the size.
    pub fn write_attachment(
        &self,
        id: &RecordId,
        blake3_hex: &str,
        out: &mut dyn std::io::Write,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let hash = self.attachment_of(id, blake3_hex)?;
        let missing = || ApiError::AttachmentNotFound(blake3_hex.chars().take(64).collect());
        let total = self.store.blob_size(&hash)?.ok_or_else(missing)?;
        let mut done = 0;
        let found = self.store.blob_read(&hash, |piece| {
            out.write_all(piece)?;
            done += piece.len() as u64;
            progress(done, total);
            Ok::<(), ApiError>(())
        })?;
        if !found {
            return Err(missing());
        }
        out.flush()?;
        Ok(done)
    }

    /// Saves an attachment of a record to a new file at `path` (the user chose it;
    /// an existing file is not replaced). A failed save removes the partial file.
    pub fn save_attachment(
        &self,
        id: &RecordId,
        blake3_hex: &str,
        path: &std::path::Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        let file = crate::files::create_new(path)?;
        let mut out = std::io::BufWriter::with_capacity(satchel_store::BLOB_CHUNK, file);
        let written = self
            .write_attachment(id, blake3_hex, &mut out, progress)
            .and_then(|n| {
                let file = out
                    .into_inner()
                    .map_err(|e| ApiError::from(e.into_error()))?;
                file.sync_all()?;
                Ok(n)
            });
        if written.is_err() {
            let _ = std::fs::remove_file(path);
        }
        written
    }

    /// Checks every op (signature, payload hash, per-author chain) and that the
    /// records view equals a replay of the log.
    pub fn verify(&self) -> Result<VerifyReport> {
        let report = self.store.verify_log()?;
        if report.mismatched > 0 {
            return Err(ApiError::Integrity(format!(
                "{} record(s) differ from a replay of their ops",
                report.mismatched
            )));
        }
        Ok(VerifyReport {
            ops: report.ops,
            authors: report.authors,
            records: self.store.counts()?.records,
        })
    }
}

/// What `verify` checked.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Ops verified.
    pub ops: usize,
    /// Distinct authors (device chains).
    pub authors: usize,
    /// Records in the view.
    pub records: u64,
}
