// Generated from the Rust side of IPC by src-tauri/tests/ipc_types.rs.
// Do not edit: after changing a command or a type that crosses IPC, run
// SATCHEL_BLESS=1 cargo test -p satchel-app --test ipc_types

export type AcceptedReport = { 
/**
 * Leaves.
 */
ops: number, 
/**
 * Checkpoints whose signature verifies.
 */
checkpoints: number, 
/**
 * Everything found wrong.
 */
anomalies: Array<Anomaly>, };

export type Anomaly = { 
/**
 * What.
 */
code: AnomalyCode, 
/**
 * The op's sequence number, where one is concerned.
 */
seq?: number, 
/**
 * The checkpoint's size, where one is concerned.
 */
size?: number, 
/**
 * In a sentence, for people.
 */
detail: string, };

export type AnomalyCode = "op_malformed" | "op_bad_signature" | "op_wrong_author" | "chain_fork" | "chain_gap" | "chain_broken" | "checkpoint_malformed" | "checkpoint_bad_signature" | "checkpoint_wrong_origin" | "checkpoint_beyond_log" | "checkpoint_mismatch" | "checkpoints_inconsistent" | "author_not_member" | "organisation_malformed" | "cosignature_missing" | "cosignature_bad" | "checkpoint_rolled_back" | "opening_mismatch" | "replay_mismatch" | "accepted_mismatch";

export type AuditChecked = { 
/**
 * The file's name, without its folder.
 */
file: string, 
/**
 * What the check found.
 */
report: AuditReport, };

export type AuditReport = { 
/**
 * Whether the ops were checked against an organisation's membership.
 */
organisation: boolean, 
/**
 * Problems with the organisation's objects themselves.
 */
organisation_anomalies: Array<Anomaly>, 
/**
 * Each device, in the export's order.
 */
devices: Array<DeviceReport>, 
/**
 * Each record opened, in the export's order.
 */
openings: Array<OpeningReport>, 
/**
 * The exporter's accepted-ops log, when the export has one.
 */
accepted: AcceptedReport | null, 
/**
 * Anomalies in all.
 */
anomalies: number, };

export type AuthorChoice = { 
/**
 * Device id, 64 hex digits.
 */
id: string, 
/**
 * As authors are shown everywhere: "Name (role)" in an organisation, otherwise
 * the first fingerprint words.
 */
name: string, };

export type Card = { 
/**
 * The copyable text.
 */
card: string, 
/**
 * Fingerprint words.
 */
fingerprint: string, 
/**
 * Fingerprint hex.
 */
fingerprint_hex: string, };

export type Change = { 
/**
 * Field id, or `attachment`.
 */
field: string, 
/**
 * As a person reads it (choice labels in the asked language; English words
 * for yes/no and attachments, which a UI translates from `value`).
 */
shown: string, 
/**
 * The stored value; for an attachment `{name, size}` when added, null when
 * removed.
 */
value: JsonValue, };

export type Choice = { 
/**
 * Stored value.
 */
id: string, 
/**
 * What people see.
 */
label: Labels, };

export type Conflict = { 
/**
 * Record id.
 */
record: string, 
/**
 * The record's title, as in lists.
 */
title: string, 
/**
 * Field id.
 */
field: string, 
/**
 * The field's label in the requested language.
 */
label: string, 
/**
 * Every sibling value, default first.
 */
values: Array<ShownValue>, };

export type Created = { recoveryKey: string, };

export type DeviceReport = { 
/**
 * The device's key, hex.
 */
device: string, 
/**
 * Ops given whose signature verifies.
 */
ops: number, 
/**
 * The unbroken chain from sequence 1: the log's leaves.
 */
chain: number, 
/**
 * Checkpoints given whose signature verifies.
 */
checkpoints: number, 
/**
 * The largest of them.
 */
latest_checkpoint: number | null, 
/**
 * Ops whose signature verifies, by the month of their clock (UTC, `YYYY-MM`).
 */
per_month: { [key in string]: number }, 
/**
 * Everything found wrong, by code then place.
 */
anomalies: Array<Anomaly>, };

export type Draft = { 
/**
 * `new:<form>` or `record:<id>`.
 */
key: string, 
/**
 * When it was last kept, in Unix milliseconds.
 */
savedMs: number, 
/**
 * The front end's input, as it was given.
 */
body: JsonValue, };

export type DraftInfo = { 
/**
 * `new:<form>` or `record:<id>`.
 */
key: string, 
/**
 * The form the input is for.
 */
form: string, 
/**
 * When it was last kept, in Unix milliseconds.
 */
savedMs: number, };

export type Drive = { 
/**
 * Opaque: the index of its mount root and its name there.
 */
id: string, 
/**
 * The volume name.
 */
label: string, };

export type EnrolApproved = { member: MemberView, transfer: Transfer, };

export type EnrolRequestView = { name: string, 
/**
 * This device's fingerprint words, to read out to the coordinator.
 */
fingerprint: string, transfer: Transfer, };

export type ErrorCode = "wrong_passphrase" | "wrong_recovery_key" | "no_vault" | "vault_exists" | "vault_incomplete" | "newer_version" | "vault_damaged" | "wipe_incomplete" | "disk_full" | "write_failed" | "busy" | "read_only" | "weak_passphrase" | "duress_same_as_main" | "decoy_only" | "no_decoy" | "bad_recovery_key" | "unknown_form" | "invalid_form" | "form_not_newer" | "xlsform" | "unknown_field" | "invalid_value" | "missing_required" | "invalid_filter" | "record_not_found" | "ambiguous_id" | "record_deleted" | "attachment_too_large" | "attachment_not_found" | "invalid_card" | "invalid_peer_name" | "peer_is_self" | "peer_exists" | "unknown_peer" | "bundle_recipients" | "bundle_refused" | "no_conflict" | "no_such_value" | "not_in_quarantine" | "invalid_draft" | "draft_too_large" | "no_draft" | "integrity" | "crypto" | "fingerprint_mismatch" | "membership" | "cancelled" | "export_exists" | "export_not_written" | "export_too_large" | "audit_export_unreadable" | "relay" | "sync_not_allowed" | "invalid_sync_policy" | "database" | "io" | "vault_locked" | "vault_unlocked" | "wrong_confirmation" | "too_large" | "no_drive" | "internal";

export type ErrorParam = string | number;

export type ExportColumns = { 
/**
 * The record's id (first column).
 */
id: boolean, 
/**
 * When it was created (UTC).
 */
created: boolean, 
/**
 * When it last changed (UTC).
 */
changed: boolean, 
/**
 * The device or member that created it.
 */
author: boolean, 
/**
 * Its attachments' file names (never their contents).
 */
attachments: boolean, };

export type ExportFormat = "csv" | "xlsx";

export type ExportReport = { 
/**
 * File name (random, no extension).
 */
file: string, 
/**
 * Ops carried.
 */
ops: number, 
/**
 * File size in bytes (padded).
 */
size: number, };

export type ExportRequest = { 
/**
 * The form whose records are exported.
 */
form: string, 
/**
 * These records (full ids or unique prefixes), in this order; `None`: every
 * record of the form not deleted, oldest first.
 */
ids?: Array<string>, 
/**
 * With `ids` unset: only the form's records this filter lets through (its own
 * form, if any, is ignored: `form` is the report's). `ids` and a filter are not
 * both given.
 */
filter?: RecordFilter, 
/**
 * These fields, written in the form's order; `None`: all of them.
 */
fields?: Array<string>, 
/**
 * Id, times, author and attachment columns.
 */
columns: ExportColumns, 
/**
 * CSV or XLSX.
 */
format: ExportFormat, 
/**
 * Language of labels and values: en, ko or zh-Hans.
 */
lang: string, };

export type FieldDef = { 
/**
 * Stable id, stored in ops.
 */
id: string, 
/**
 * Type.
 */
type: FieldType, 
/**
 * Whether a record must have it.
 */
required: boolean, 
/**
 * What people see.
 */
label: Labels, 
/**
 * Options of choice fields.
 */
options?: Array<Choice>, 
/**
 * A text field that links to a record of this form: its value is that record's
 * id, chosen by searching the form's records by name (`@name` on the command
 * line), and shown as the record's title.
 */
links_to?: string, 
/**
 * Help shown under the label.
 */
hint?: Labels, 
/**
 * The value a new record starts with, in its stored shape.
 */
default?: FieldValue, 
/**
 * The section (see [`Form::sections`]) the field is shown in.
 */
section?: string, 
/**
 * When the field applies (skip logic), an expression of the subset in
 * `docs/forms.md`: a field that does not apply is hidden and holds no value.
 */
relevant?: string, 
/**
 * What a value must meet, an expression where `.` is the value.
 */
constraint?: string, 
/**
 * What to tell the person when the constraint is not met.
 */
constraint_message?: Labels, };

export type FieldType = "text" | "long_text" | "number" | "date" | "single_choice" | "multi_choice" | "location" | "yes_no" | "integer" | "datetime" | "time" | "attachment" | "note" | "acknowledge";

export type FieldValue = string | number | boolean | Array<string> | LatLon;

export type Form = { 
/**
 * Stable name.
 */
name: string, 
/**
 * Increases with every published change.
 */
version: number, 
/**
 * What people see.
 */
label: Labels, 
/**
 * Fields in display order.
 */
fields: Array<FieldDef>, 
/**
 * Sections fields are shown in, in order.
 */
sections?: Array<Section>, };

export type Found = { 
/**
 * Matches, newest first.
 */
items: Array<RecordSummary>, 
/**
 * More records match than `items` holds; a narrower search shows them.
 */
more: boolean, };

export type HistoryEntry = { 
/**
 * Op id (hex).
 */
op: string, 
/**
 * Author fingerprint.
 */
author: string, 
/**
 * Position in the author's chain.
 */
seq: number, 
/**
 * When (UTC).
 */
time: string, 
/**
 * write, delete or purge.
 */
kind: OpKind, 
/**
 * Fields set; empty for deletes and purges.
 */
changes: Array<Change>, 
/**
 * The content was erased by a purge.
 */
purged: boolean, };

export type IdleWarning = { seconds: number | null, };

export type ImportReport = { 
/**
 * Ops applied.
 */
applied: number, 
/**
 * Ops already held.
 */
already_known: number, 
/**
 * Ops waiting in quarantine for predecessors, after this import.
 */
quarantined: number, 
/**
 * Ops newly set aside because they fork their author's chain as held (never
 * merged; see `satchel quarantine list`). They refuse nothing else.
 */
forks: number, 
/**
 * Ops newly set aside because a value does not fit its form (never merged).
 */
invalid: number, 
/**
 * In an organisation: ops newly set aside because their author is not a member
 * now or their role does not allow them (never merged; heard again if that
 * changes).
 */
refused: number, 
/**
 * In an organisation: form versions in the bundle not installed because no
 * coordinator of this organisation published them.
 */
forms_refused: number, 
/**
 * Quarantined ops forgotten: past the quarantine's caps, or held through too many
 * imports. Nothing is lost: a peer that holds them sends them again.
 */
dropped: number, 
/**
 * Fields newly in conflict.
 */
conflicts_created: number, 
/**
 * Records whose content this device erased after the import, a coordinator
 * holding them (the offload policy; 0 when it is off).
 */
offloaded: number, 
/**
 * Nothing changed: this bundle was imported before.
 */
already_imported: boolean, 
/**
 * The peer that sent it.
 */
from: string, };

export type Info = { 
/**
 * Keyslots format.
 */
keyslots_format: number, 
/**
 * Database schema version.
 */
schema_version: number, 
/**
 * SQLCipher version.
 */
cipher_version: string, 
/**
 * Device fingerprint words.
 */
fingerprint: string, 
/**
 * Device fingerprint in hex.
 */
fingerprint_hex: string, 
/**
 * Records shown.
 */
records: number, 
/**
 * Deleted records (tombstones).
 */
deleted_records: number, 
/**
 * Ops in the log.
 */
ops: number, 
/**
 * Stored attachments.
 */
attachments: number, 
/**
 * Key derivation.
 */
kdf: KdfInfo, };

export type IpcError = { 
/**
 * Stable, for the UI to branch on and translate.
 */
code: ErrorCode, 
/**
 * What the translation needs besides the code: reasons as codes, names people
 * gave, numbers.
 */
params: { [key in string]: ErrorParam }, 
/**
 * In English, for support; the UI does not show it.
 */
message: string, 
/**
 * The form field concerned, when there is one.
 */
field?: string, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type KdfInfo = { 
/**
 * Profile name.
 */
profile: string, 
/**
 * Memory, KiB.
 */
m_kib: number, 
/**
 * Passes.
 */
t: number, 
/**
 * Lanes.
 */
p: number, };

export type Labels = { 
/**
 * English.
 */
en: string, 
/**
 * Korean.
 */
ko: string, 
/**
 * Simplified Chinese.
 */
"zh-Hans": string, 
/**
 * Any other language a form came with (an imported XLSForm's French, say), by
 * the name its author gave it: kept so nothing of the form is lost.
 */
other?: { [key in string]: string }, };

export type Language = { 
/**
 * As the spreadsheet names it (`한국어 (ko)`), empty for the unnamed `label`
 * column.
 */
name: string, 
/**
 * The app's language it became (`en`, `ko`, `zh-Hans`), or none when it is
 * kept with the form as another language.
 */
mapped?: string, };

export type LastSync = { 
/**
 * When it ended (Unix ms).
 */
at_ms: number, 
/**
 * Whether everything went: nothing failed and nothing was refused.
 */
complete: boolean, };

export type LatLon = { 
/**
 * Latitude, -90 to 90.
 */
lat: number, 
/**
 * Longitude, -180 to 180.
 */
lon: number, };

export type LockReason = "user" | "idle" | "suspend" | "screen" | "panic";

export type MemberView = { 
/**
 * The name their certificate gives.
 */
name: string, 
/**
 * `field`, `coordinator` or `auditor`.
 */
role: string, 
/**
 * Their device's fingerprint (words).
 */
fingerprint: string, 
/**
 * Valid from (UTC date).
 */
valid_from: string, 
/**
 * Valid until (UTC date).
 */
valid_until: string, 
/**
 * `active`, `expired`, `not yet valid`, `revoked from op N` or `not vouched for`.
 */
status: string, 
/**
 * Whether this is this device.
 */
this_device: boolean, 
/**
 * The last op held from this device (0: none).
 */
last_op: number, };

export type Note = { 
/**
 * `presentation` (kept out: appearance, media, guidance hints...),
 * `metadata` (a field ODK fills itself), `unused_calculation`, `label_missing`
 * (a language some labels lack: another language's is shown), `ignored_column`,
 * `ignored_setting`, `read_only`, `barcode_as_text`, `version_not_number`.
 */
code: string, 
/**
 * The sheet.
 */
sheet: string, 
/**
 * The first row concerned, as the spreadsheet numbers it.
 */
row?: number, 
/**
 * How many rows are concerned.
 */
rows: number, 
/**
 * The column's header.
 */
column?: string, 
/**
 * The construct, or the language for `label_missing`.
 */
construct: string, };

export type OffloadPolicy = { 
/**
 * Offload after each import.
 */
enabled: boolean, 
/**
 * Set by the user (otherwise it follows the role: on for field workers).
 */
chosen: boolean, 
/**
 * Records with content held on this device now.
 */
held: number, };

export type OffloadReport = { 
/**
 * Records whose content goes (went, unless this was a dry run).
 */
erased: number, 
/**
 * Records that stay because they are assigned to this device.
 */
kept_assigned: number, 
/**
 * Records that stay because no coordinator has acknowledged all of their
 * content yet.
 */
kept_unacknowledged: number, 
/**
 * Records with content on this device after the offload.
 */
held: number, 
/**
 * Whether anything was erased (false for a dry run).
 */
done: boolean, };

export type OpKind = "write" | "delete" | "purge";

export type OpeningReport = { 
/**
 * The record's id, hex.
 */
record: string, 
/**
 * Ops whose payload opened their commitment.
 */
opened: number, 
/**
 * Ops the exporter held as headers alone.
 */
withheld: number, 
/**
 * Ops the exporter held void.
 */
void: number, 
/**
 * Everything found wrong.
 */
anomalies: Array<Anomaly>, };

export type OrgInfo = { 
/**
 * Its id (the root's public key, hex).
 */
id: string, 
/**
 * Its name, as given where it was created (not signed; a label).
 */
name: string, };

export type OrgView = { org: OrgInfo, members: Array<MemberView>, };

export type Page = { total: number, items: Array<RecordSummary>, };

export type PageQuery = { form: string | null, offset: number, limit: number, oldestFirst: boolean, 
/**
 * By author and dates (its form is `form`'s); none: every record of the form.
 */
filter?: RecordFilter, };

export type PanicAction = "lock" | "wipe";

export type PeerStatus = { 
/**
 * Local name.
 */
name: string, 
/**
 * Ops it has acknowledged, counted over all authors.
 */
acknowledged: number, 
/**
 * Ops it has not acknowledged: the next bundle to it carries these.
 */
waiting: number, };

export type PeerSync = { 
/**
 * The peer's name.
 */
name: string, 
/**
 * Ops in the bundles deposited for it (none: nothing new for it).
 */
sent_ops: number, 
/**
 * Bytes sent to the relay for it in this sync.
 */
sent_bytes: number, 
/**
 * Whether a deposit cut before was finished: it went on from the relay's
 * offset, not from the start.
 */
resumed: boolean, 
/**
 * Bundles from it imported (or found imported before).
 */
received: number, 
/**
 * Ops from it applied.
 */
applied: number, 
/**
 * Fields newly in conflict.
 */
conflicts_created: number, 
/**
 * Whether it named no mailbox yet: it is reached by file until one of its
 * bundles arrives.
 */
no_address: boolean, 
/**
 * What went wrong sending to it.
 */
error?: Problem, };

export type PeerView = { 
/**
 * Local name.
 */
name: string, 
/**
 * Fingerprint words.
 */
fingerprint: string, 
/**
 * Whether the user confirmed the fingerprint against the words on the peer's
 * own screen ([`Vault::verify_peer`]). Bundles flow either way; this is a mark.
 */
verified: boolean, };

export type Phase = "deriving_key" | "upgrading" | "copying" | "decrypting" | "sealing" | "writing" | "checking" | "listing" | "receiving" | "sending" | "done";

export type Problem = { 
/**
 * As in [`ApiError::code`].
 */
code: ErrorCode, 
/**
 * As in [`ApiError::params`].
 */
params: { [key in string]: ErrorParam }, 
/**
 * In English.
 */
message: string, };

export type Progress = { task: Task, phase: Phase, 
/**
 * How far a phase that copies is, against `total` (bytes).
 */
done?: number, total?: number, };

export type QuarantineEntry = { 
/**
 * Op id (hex): the handle for `show` and `drop`.
 */
id: string, 
/**
 * `waiting`, `fork` or `invalid` (more may come: show unknown ones as they are).
 */
reason: string, 
/**
 * What failed, in English (names a field; never a value).
 */
detail: string, 
/**
 * Author's short fingerprint.
 */
author: string, 
/**
 * Position in the author's chain.
 */
seq: number, 
/**
 * Record id.
 */
record: string, 
/**
 * `write`, `delete` or `purge`.
 */
kind: string, 
/**
 * When, by the author's clock (UTC).
 */
time: string, 
/**
 * Bytes held.
 */
size: number, 
/**
 * Imports it has stayed through.
 */
imports_waited: number, 
/**
 * Imports after which it is forgotten (a peer that holds it sends it again).
 */
imports_left: number, };

export type QuarantinedOp = { 
/**
 * The entry.
 */
entry: QuarantineEntry, 
/**
 * The form it names, for a write.
 */
form: string | null, 
/**
 * The values it would write, as sent (peer data: neutralise before showing).
 */
fields: { [key in string]: JsonValue }, };

export type RecordEvent = "created" | "changed";

export type RecordFilter = { 
/**
 * Only records of this form.
 */
form: string | null, 
/**
 * Only records by this device: its id, 64 hex digits ([`AuthorChoice::id`]).
 */
author: string | null, 
/**
 * Whether `author` created the records, or changed them at all.
 */
author_did: RecordEvent, 
/**
 * From this date on (inclusive), as typed in any of the app's languages or as
 * stored: `2026-11-30`, `2026-11` (from the month's first day), `2026`.
 */
since: string | null, 
/**
 * Up to this date (inclusive): `2026-11` is up to the month's last day.
 */
until: string | null, 
/**
 * Whether the dates bound the records' creation or their last change.
 */
dated: RecordEvent, 
/**
 * The dates are days in the time zone this many minutes east of UTC: the app's
 * own (it shows times in local time), 0 for the CLI (it shows UTC).
 */
utc_offset_minutes: number, };

export type RecordSummary = { 
/**
 * Id.
 */
id: string, 
/**
 * Form name.
 */
form: string, 
/**
 * The first filled-in text field.
 */
title: string, 
/**
 * Last changed (UTC).
 */
updated: string, 
/**
 * Deleted.
 */
deleted: boolean, 
/**
 * Fields in conflict.
 */
conflicts: number, 
/**
 * In a search result, the record text around what matched, matches marked;
 * empty in a list.
 */
snippet: Array<SnippetPart>, };

export type RecordView = { 
/**
 * Id.
 */
id: string, 
/**
 * Form name.
 */
form: string, 
/**
 * Fields with values, in form order (fields the form no longer has come last).
 */
fields: Array<ShownField>, 
/**
 * Attachments.
 */
attachments: Array<ShownAttachment>, 
/**
 * Deleted (tombstone).
 */
deleted: boolean, 
/**
 * Deleted on one device while edited on another: shown, pending a decision.
 */
delete_conflict: boolean, 
/**
 * Created (UTC).
 */
created: string, 
/**
 * Last changed (UTC).
 */
updated: string, 
/**
 * The members it is assigned to, by name and role (in an organisation).
 */
assigned: Array<string>, 
/**
 * The version of its form it was made with, shown with that version's fields
 * and labels (editing brings it to the newest).
 */
form_version: number | null, };

export type RelayView = { 
/**
 * The relay's address.
 */
url: string, 
/**
 * The first 8 hex digits of this device's mailbox there.
 */
mailbox: string, };

export type ReportWritten = { 
/**
 * Records written (rows after the header).
 */
records: number, 
/**
 * The file's name in the folder (no folder: the user knows where they chose).
 */
file: string, };

export type Resolution = { "pick": string } | { "value": FieldValue };

export type RuleProblem = { field: string, 
/**
 * `constraint` or `not_relevant`.
 */
problem: string, };

export type RulesCheck = { hidden: Array<string>, problems: Array<RuleProblem>, };

export type Section = { 
/**
 * Stable id, named by fields' `section`.
 */
id: string, 
/**
 * Title shown above its fields.
 */
label: Labels, 
/**
 * When the section applies.
 */
relevant?: string, };

export type Settings = { 
/**
 * `en`, `ko` or `zh-Hans`; `None` follows the system.
 */
language: string | null, 
/**
 * Minutes without activity before the vault locks.
 */
autoLockMinutes: number, 
/**
 * What the panic shortcut does.
 */
panicAction: PanicAction, 
/**
 * The key combination, as the UI writes it (`Ctrl+Shift+X`).
 */
panicShortcut: string, };

export type ShownAttachment = { 
/**
 * BLAKE3 of the contents (hex).
 */
blake3: string, 
/**
 * File name.
 */
name: string, 
/**
 * Size in bytes.
 */
size: number, };

export type ShownField = { 
/**
 * Field id.
 */
id: string, 
/**
 * Label in the requested language.
 */
label: string, 
/**
 * Values, default first; more than one is a conflict.
 */
values: Array<ShownValue>, 
/**
 * For a field that links to a record: the id of the record its value names, when
 * this vault holds it (the value's `display` is then that record's title).
 */
link: string | null, };

export type ShownValue = { 
/**
 * Stored value.
 */
value: JsonValue, 
/**
 * As a person reads it.
 */
display: string, 
/**
 * The op that wrote it (hex): the handle for picking a conflict's winner.
 */
op: string, 
/**
 * Author's fingerprint.
 */
author: string, 
/**
 * When (UTC, RFC 3339).
 */
time: string, };

export type SnippetPart = { 
/**
 * The text.
 */
text: string, 
/**
 * It matched the search.
 */
hit: boolean, };

export type Staged = { id: string, name: string, size: number, };

export type Summary = { 
/**
 * The form's name (from `form_id`).
 */
form: string, 
/**
 * Its title.
 */
title: string, 
/**
 * Its version.
 */
version: number, 
/**
 * Fields, notes included.
 */
fields: number, 
/**
 * Sections (groups).
 */
sections: number, 
/**
 * Skip-logic and constraint rules.
 */
rules: number, 
/**
 * Choice lists used.
 */
lists: number, 
/**
 * The spreadsheet's languages.
 */
languages: Array<Language>, 
/**
 * What was left out or changed, and why.
 */
notes: Array<Note>, };

export type SyncPolicy = { 
/**
 * Also sync on its own, every `every_minutes` while the app is unlocked (false:
 * only when asked, the default). Kept for the app's automatic sync, which is not
 * built yet: nothing sets it, and no sync starts unasked.
 */
auto: boolean, 
/**
 * Minutes between syncs on its own, 5 to 1440.
 */
every_minutes: number, 
/**
 * The SOCKS5 proxy, `socks5h://HOST:PORT` (names resolved by the proxy).
 */
proxy: string | null, 
/**
 * Never connect but through a proxy: without one, nothing is sent.
 */
proxy_only: boolean, 
/**
 * Local times when sync may happen, `HH:MM-HH:MM` (may cross midnight); none:
 * any time.
 */
windows: Array<string>, 
/**
 * No network sync in the first minutes after unlock, 0 to 1440.
 */
quiet_after_unlock_minutes: number, };

export type SyncReport = { 
/**
 * Per peer, by name.
 */
peers: Array<PeerSync>, 
/**
 * Bundles collected and refused: not for this device, damaged, or refused on
 * import. Deleted from the relay when they can never be imported.
 */
refused: Array<Problem>, 
/**
 * What failed with this device's own mailboxes (collecting).
 */
errors: Array<Problem>, 
/**
 * When it ended (Unix ms).
 */
finished_ms: number, };

export type Task = "create" | "unlock" | "recover" | "passphrase" | "import" | "export" | "rekey" | "attach" | "save" | "report" | "audit_check" | "audit_export" | "sync";

export type Transfer = { text: string, qr: string | null, };

export type VaultState = { exists: boolean, unlocked: boolean, 
/**
 * Why it locked, when the window may say so ([`LockReason::is_told`]): after a
 * panic lock or erase, nothing.
 */
lockReason: LockReason | null, 
/**
 * The panic shortcut of the last vault unlocked in this run (not a secret: it
 * lets the shortcut work on the unlock screen too).
 */
panicShortcut: string, };

export type Verified = { ops: number, authors: number, records: number, };
