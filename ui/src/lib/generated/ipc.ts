// Generated from the Rust types that cross IPC by src-tauri/tests/ipc_types.rs.
// Do not edit: after changing one of those types, run
// SATCHEL_BLESS=1 cargo test -p satchel-app --test ipc_types

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

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
"zh-Hans": string, };

export type FieldType = "text" | "long_text" | "number" | "date" | "single_choice" | "multi_choice" | "location" | "yes_no";

export type Choice = { 
/**
 * Stored value.
 */
id: string, 
/**
 * What people see.
 */
label: Labels, };

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
options?: Array<Choice>, };

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
fields: Array<FieldDef>, };

export type LatLon = { 
/**
 * Latitude, -90 to 90.
 */
lat: number, 
/**
 * Longitude, -180 to 180.
 */
lon: number, };

export type FieldValue = string | number | boolean | Array<string> | LatLon;

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
values: Array<ShownValue>, };

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
updated: string, };

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
conflicts: number, };

export type Found = { 
/**
 * Matches, newest first.
 */
items: Array<RecordSummary>, 
/**
 * More records match than `items` holds; a narrower search shows them.
 */
more: boolean, };

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
