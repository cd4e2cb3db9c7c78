// The only door to the Rust shell. Each function is one Tauri command; the shell
// declares a permission per command and the main window's capability grants them.
// Errors arrive as `{ code, message }` (see `isApiError`); messages never carry a
// path, a secret or record content.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

// Types generated from the Rust side (src-tauri/tests/ipc_types.rs): the shapes of
// forms, field values and records have one source.
export type * from './generated/ipc';
import type { FieldValue, Form, Found, JsonValue, RecordSummary, RecordView, ShownValue } from './generated/ipc';
export type Json = JsonValue;

export interface ApiError {
  code: string;
  message: string;
  /** The form field the error is about, for `invalid_value` / missing field errors. */
  field?: string;
}

export function isApiError(e: unknown): e is ApiError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as ApiError).code === 'string' &&
    typeof (e as ApiError).message === 'string'
  );
}

// ---- Vault lifecycle ----

/** Why the vault locked, of the shell's `LockReason`s a window may tell (a Rust test
 * keeps them equal). A panic is never told: after one the window looks as after a start. */
export const LOCK_REASONS = ['user', 'idle', 'suspend', 'screen'] as const;
export type LockReason = (typeof LOCK_REASONS)[number];

export interface VaultState {
  exists: boolean;
  unlocked: boolean;
  /** Why the vault was last locked in this run of the app, if it was. */
  lockReason: LockReason | null;
  /** Panic shortcut of the last vault unlocked in this run (default before). */
  panicShortcut: string;
}





export interface Info {
  keyslots_format: number;
  schema_version: number;
  cipher_version: string;
  fingerprint: string;
  fingerprint_hex: string;
  records: number;
  deleted_records: number;
  ops: number;
  attachments: number;
  kdf: { profile: string; m_kib: number; t: number; p: number };
}

export type PanicAction = 'lock' | 'wipe';

export interface Settings {
  /** 'en' | 'ko' | 'zh-Hans', or null to follow the system. */
  language: string | null;
  /** Minutes of inactivity before the vault locks (1 to 240). */
  autoLockMinutes: number;
  panicAction: PanicAction;
  /** A key combination like "Ctrl+Shift+X" (see `shortcut.ts`). */
  panicShortcut: string;
}

export const vaultState = () => invoke<VaultState>('vault_state');
/** Creates the vault; returns the recovery key, to be shown once. Emits progress. */
export const vaultCreate = (passphrase: string) =>
  invoke<{ recoveryKey: string }>('vault_create', { passphrase });
/** Emits progress. Fails with code `wrong_passphrase`. */
export const vaultUnlock = (passphrase: string) => invoke<void>('vault_unlock', { passphrase });
export const vaultRecover = (recoveryKey: string, newPassphrase: string) =>
  invoke<void>('vault_recover', { recoveryKey, newPassphrase });
/** Locks; the shell then reloads the web view, so nothing of the session stays. */
export const vaultLock = () => invoke<void>('vault_lock');
export const vaultInfo = () => invoke<Info>('vault_info');
export const vaultVerify = () =>
  invoke<{ ops: number; authors: number; records: number }>('vault_verify');
/** Tells the shell the user is active (resets the idle timer). Call at most every few seconds. */
export const activity = () => invoke<void>('activity');

export const settingsGet = () => invoke<Settings>('settings_get');
export const settingsSet = (settings: Settings) => invoke<void>('settings_set', { settings });
/** Fails with `wrong_passphrase` if `current` is wrong, `weak_passphrase` if `next` is too short. */
export const passphraseChange = (current: string, next: string) =>
  invoke<void>('passphrase_change', { current, next });
export const duressSet = (current: string, duress: string) =>
  invoke<void>('duress_set', { current, duress });
/** The panic shortcut: locks or wipes according to the settings; the web view reloads. */
export const panic = () => invoke<void>('panic');
/** Erases the vault for good. `confirm` must be the exact word the UI asked to type
 * (the shell checks it equals "WIPE"). The web view reloads. */
export const vaultWipe = (confirm: string) => invoke<void>('vault_wipe', { confirm });

// ---- Records ----






export interface HistoryEntry {
  op: string;
  author: string;
  seq: number;
  time: string;
  kind: 'write' | 'delete' | 'purge';
  /** Fields set: `field` is a field id or `attachment`; `shown` is the shell's text;
   * `value` the stored value (for an attachment `{name, size}`, or null if removed). */
  changes: { field: string; shown: string; value: Json }[];
  purged: boolean;
}

export interface Page {
  total: number;
  items: RecordSummary[];
}

export interface PageQuery {
  form: string | null;
  offset: number;
  limit: number;
  oldestFirst: boolean;
}

export interface StagedAttachment {
  id: string;
  name: string;
  size: number;
}

export const formsList = () => invoke<Form[]>('forms_list');
export const recordsPage = (query: PageQuery) => invoke<Page>('records_page', { query });

/** Full-text search, newest first, within one form when `form` is set. */
export const recordsSearch = (query: string, form: string | null) =>
  invoke<Found>('records_search', { query, form });
export const recordGet = (id: string, lang: string) => invoke<RecordView>('record_get', { id, lang });
export const recordHistory = (id: string, lang: string) =>
  invoke<HistoryEntry[]>('record_history', { id, lang });
/** `values` maps field ids to values in the shapes of `FieldValue` (generated from
 * Rust; a location is `{ lat, lon }`); null clears. Returns the new id.
 * Fails with `invalid_value` (message names the field) or `unknown_field`. */
export const recordCreate = (form: string, values: Record<string, FieldValue | null>, attachments: string[]) =>
  invoke<string>('record_create', { form, values, attachments });
export const recordUpdate = (id: string, values: Record<string, FieldValue | null>, attachments: string[]) =>
  invoke<void>('record_update', { id, values, attachments });
export const recordDelete = (id: string) => invoke<void>('record_delete', { id });
export const recordPurge = (id: string) => invoke<void>('record_purge', { id });

/** Hands a file's bytes to the shell, which keeps them in memory until the record is
 * saved or the vault locks. Nothing is written anywhere until then. */
export async function attachmentStage(file: File): Promise<StagedAttachment> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return invoke<StagedAttachment>('attachment_stage', bytes, {
    headers: { 'x-satchel-name': encodeURIComponent(file.name) },
  });
}
/** Opens the system's file chooser (in the shell), which streams the chosen file into
 * the vault: for large files (a recorded testimony). Null when the user cancels.
 * Emits progress. */
export const attachmentStageChoose = () => invoke<StagedAttachment | null>('attachment_stage_choose');
export const attachmentUnstage = (id: string) => invoke<void>('attachment_unstage', { id });
/** The decrypted bytes of an attachment, for a `blob:` URL; never a file. Fails with
 * `attachment_too_large` for attachments too large to view: see `attachmentSave`. */
export const attachmentGet = (record: string, blake3: string) =>
  invoke<ArrayBuffer>('attachment_get', { record, blake3 });
/** Opens the system's save dialog (in the shell) and writes the attachment there,
 * decrypted. False when the user cancels. Emits progress. */
export const attachmentSave = (record: string, blake3: string) =>
  invoke<boolean>('attachment_save', { record, blake3 });
export const attachmentRemove = (record: string, blake3: string) =>
  invoke<void>('attachment_remove', { record, blake3 });

// ---- Drafts: unsaved form input, kept inside the vault ----

export interface DraftInfo {
  /** `new:<form>` or `record:<id>`. */
  key: string;
  form: string;
  savedMs: number;
}
export interface Draft {
  key: string;
  savedMs: number;
  body: Json;
}
/** Newest first. */
export const draftsList = () => invoke<DraftInfo[]>('drafts_list');
export const draftGet = (key: string) => invoke<Draft | null>('draft_get', { key });
export const draftSave = (key: string, body: Json) => invoke<void>('draft_save', { key, body });
/** Resolves to whether there was a draft. */
export const draftDiscard = (key: string) => invoke<boolean>('draft_discard', { key });

// ---- Sync ----

export interface Card {
  card: string;
  fingerprint: string;
  fingerprint_hex: string;
}
export interface PeerView {
  name: string;
  fingerprint: string;
}
export interface PeerStatus {
  name: string;
  acknowledged: number;
  waiting: number;
}
export interface ExportReport {
  /** The bundle's random file name (no folder). */
  file: string;
  ops: number;
  size: number;
}
export interface ImportReport {
  applied: number;
  already_known: number;
  quarantined: number;
  conflicts_created: number;
  already_imported: boolean;
}
export interface Drive {
  /** Opaque id the shell understands; not a path. */
  id: string;
  label: string;
}
export interface Conflict {
  record: string;
  /** The record's title. */
  title: string;
  field: string;
  /** The field's label in the requested language. */
  label: string;
  values: ShownValue[];
}

export const identityGet = () => invoke<Card>('identity_get');
export const peersList = () => invoke<PeerView[]>('peers_list');
export const peerAdd = (card: string, name: string) => invoke<PeerView>('peer_add', { card, name });
export const peerRemove = (name: string) => invoke<void>('peer_remove', { name });
export const syncStatus = () => invoke<PeerStatus[]>('sync_status');
/** Removable drives mounted now. */
export const drivesList = () => invoke<Drive[]>('drives_list');
/** Emits progress. */
export const bundleExportDrive = (peers: string[], drive: string) =>
  invoke<ExportReport>('bundle_export_drive', { peers, drive });
/** Opens the system's folder chooser (in the shell); null when the user cancels. */
export const bundleExportChoose = (peers: string[]) =>
  invoke<ExportReport | null>('bundle_export_choose', { peers });
/** Bytes of a bundle file chosen with an <input type=file> or dropped. Emits progress.
 * Fails with `bundle_refused` (message says why). */
export async function bundleImport(file: File): Promise<ImportReport> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return invoke<ImportReport>('bundle_import', bytes);
}
/** Opens the system's file chooser (in the shell) and imports the chosen bundle as a
 * stream, for bundles too large to pass as bytes. Null when the user cancels. */
export const bundleImportChoose = () => invoke<ImportReport | null>('bundle_import_choose');
export const conflictsList = (lang: string) => invoke<Conflict[]>('conflicts_list', { lang });
/** Either `pick` (an op id from the conflict's values) or `value` (a new stored value). */
export const conflictResolve = (record: string, field: string, pick: string | null, value: Json) =>
  invoke<void>('conflict_resolve', { record, field, pick, value });

// ---- Events ----

export type Task = 'create' | 'unlock' | 'recover' | 'passphrase' | 'import' | 'export' | 'attach' | 'save';
export type Phase = 'deriving_key' | 'opening' | 'decrypting' | 'applying' | 'sealing' | 'writing' | 'done';

export interface Progress {
  task: Task;
  phase: Phase;
}

export const onProgress = (f: (p: Progress) => void): Promise<UnlistenFn> =>
  listen<Progress>('progress', (e) => f(e.payload));
