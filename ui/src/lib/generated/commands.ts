// Generated from the Rust side of IPC by src-tauri/tests/ipc_types.rs.
// Do not edit: after changing a command or a type that crosses IPC, run
// SATCHEL_BLESS=1 cargo test -p satchel-app --test ipc_types
import { invoke, type InvokeOptions } from '@tauri-apps/api/core';
import type { AuditChecked, AuthorChoice, Card, Conflict, Created, Draft, DraftInfo, Drive, EnrolApproved, EnrolRequestView, ExportReport, ExportRequest, FieldValue, Form, Found, HistoryEntry, IdleWarning, ImportReport, Info, JsonValue, LastSync, OffloadPolicy, OffloadReport, OrgView, Page, PageQuery, PeerStatus, PeerView, Progress, QuarantineEntry, QuarantinedOp, RecordFilter, RecordView, RelayView, ReportWritten, Resolution, RulesCheck, Settings, Staged, Summary, SyncPolicy, SyncReport, Transfer, VaultState, Verified } from './ipc';

/**
 * The user is active: resets the idle timer. Call at most every few seconds.
 */
export const activity = (): Promise<void> => invoke<void>('activity');

/**
 * The bytes go back as an `ArrayBuffer` for a `blob:` URL; never to a file.
 */
export const attachmentGet = (args: { record: string; blake3: string }): Promise<ArrayBuffer> =>
  invoke<ArrayBuffer>('attachment_get', args);

export const attachmentRemove = (args: { record: string; blake3: string }): Promise<void> =>
  invoke<void>('attachment_remove', args);

/**
 * Saves an attachment to a file the user names in the system's dialog, a chunk
 * at a time (for those too large to view). `false` if cancelled.
 */
export const attachmentSave = (args: { record: string; blake3: string }): Promise<boolean> =>
  invoke<boolean>('attachment_save', args);

/**
 * The body is the file's bytes, the `x-satchel-name` header its name
 * (percent-encoded). The shell keeps them in memory until the record is saved or the
 * vault locks; nothing is written anywhere until then.
 */
export const attachmentStage = (body: Uint8Array, options?: InvokeOptions): Promise<Staged> =>
  invoke<Staged>('attachment_stage', body, options);

/**
 * Picks a file with the system's dialog (outside the state lock) and streams it
 * into the vault a chunk at a time, so a recorded testimony of gigabytes never
 * crosses IPC or sits in memory. `None` if cancelled.
 */
export const attachmentStageChoose = (): Promise<Staged | null> => invoke<Staged | null>('attachment_stage_choose');

export const attachmentUnstage = (args: { id: string }): Promise<void> =>
  invoke<void>('attachment_unstage', args);

/**
 * Writes this vault's audit export (every op's signed header and every checkpoint
 * kept; no record content) to a file named in the system's dialog, and returns how
 * many ops it holds. A coordinator's, or a vault's in no organisation; refused with
 * `membership` otherwise, before the dialog opens. Emits progress; `None` if
 * cancelled.
 */
export const auditExportMake = (): Promise<number | null> => invoke<number | null>('audit_export_make');

/**
 * Saves the report of the audit export checked last as one self-contained HTML file
 * (no script, nothing fetched), named in the system's dialog. `false` if cancelled.
 */
export const auditSaveHtml = (): Promise<boolean> => invoke<boolean>('audit_save_html');

/**
 * As `audit_verify_pick`, for an export chosen in the web view or dropped on it: the
 * body is the file's bytes, the `x-satchel-name` header its name (percent-encoded).
 */
export const auditVerify = (body: Uint8Array, options?: InvokeOptions): Promise<AuditChecked> =>
  invoke<AuditChecked>('audit_verify', body, options);

/**
 * Picks an audit export with the system's dialog (outside the state lock) and checks
 * it: every op's signature, each device's chain, the checkpoints and their
 * cosignatures, and the organisation's membership at each op's time. Emits progress
 * (ops checked of `total`). Needs nothing of the vault. Fails with
 * `audit_export_unreadable` for a file that is not one; `None` if cancelled.
 */
export const auditVerifyPick = (): Promise<AuditChecked | null> => invoke<AuditChecked | null>('audit_verify_pick');

/**
 * Asks for a folder with the system's dialog (outside the state lock, so the guard
 * can still lock while it is open), then exports there. Emits progress; null if
 * the user cancelled.
 */
export const bundleExportChoose = (args: { peers: Array<string> }): Promise<ExportReport | null> =>
  invoke<ExportReport | null>('bundle_export_choose', args);

/**
 * Emits progress.
 */
export const bundleExportDrive = (args: { peers: Array<string>; drive: string }): Promise<ExportReport> =>
  invoke<ExportReport>('bundle_export_drive', args);

/**
 * The body is a bundle file's bytes. Emits progress. Fails with `bundle_refused`
 * (the message says why).
 */
export const bundleImport = (body: Uint8Array, options?: InvokeOptions): Promise<ImportReport> =>
  invoke<ImportReport>('bundle_import', body, options);

/**
 * Picks a bundle file with the system's dialog (outside the state lock) and imports
 * it as a stream: a bundle carrying large attachments never crosses IPC whole.
 * `None` if cancelled.
 */
export const bundleImportChoose = (): Promise<ImportReport | null> => invoke<ImportReport | null>('bundle_import_choose');

/**
 * Keeps one of a conflict's values, or writes a new one.
 */
export const conflictResolve = (args: { record: string; field: string; resolution: Resolution }): Promise<void> =>
  invoke<void>('conflict_resolve', args);

export const conflictsList = (args: { lang: string }): Promise<Array<Conflict>> =>
  invoke<Array<Conflict>>('conflicts_list', args);

/**
 * Closes the vault and opens its decoy in its place, to put in it what the duress
 * passphrase will show. Asks for the passphrase again. The decoy cannot change
 * secrets; locking ends it like any session. The settings in use stay as they are.
 */
export const decoyOpen = (args: { current: string }): Promise<void> =>
  invoke<void>('decoy_open', args);

/**
 * Whether there was a draft.
 */
export const draftDiscard = (args: { key: string }): Promise<boolean> =>
  invoke<boolean>('draft_discard', args);

export const draftGet = (args: { key: string }): Promise<Draft | null> =>
  invoke<Draft | null>('draft_get', args);

export const draftSave = (args: { key: string; body: JsonValue }): Promise<void> =>
  invoke<void>('draft_save', args);

/**
 * Newest first.
 */
export const draftsList = (): Promise<Array<DraftInfo>> => invoke<Array<DraftInfo>>('drafts_list');

/**
 * Removable drives mounted now.
 */
export const drivesList = (): Promise<Array<Drive>> => invoke<Array<Drive>>('drives_list');

/**
 * Emits progress. Fails with `wrong_passphrase` if `current` is wrong.
 */
export const duressSet = (args: { current: string; duress: string }): Promise<void> =>
  invoke<void>('duress_set', args);

/**
 * The device takes the certificate a coordinator made for it, and joins.
 */
export const enrolAccept = (args: { certificate: string; lang: string }): Promise<OrgView | null> =>
  invoke<OrgView | null>('enrol_accept', args);

/**
 * A coordinator approves a request: `fingerprint` is the words the requesting
 * device shows, typed here; `fingerprint_mismatch` and nothing issued otherwise.
 */
export const enrolApprove = (args: { request: string; fingerprint: string; role: string; validDays: number; lang: string }): Promise<EnrolApproved> =>
  invoke<EnrolApproved>('enrol_approve', args);

/**
 * A request to join an organisation under `name`.
 */
export const enrolRequest = (args: { name: string; lang: string }): Promise<EnrolRequestView> =>
  invoke<EnrolRequestView>('enrol_request', args);

/**
 * Reads an XLSForm: the body is the workbook's bytes, the `x-satchel-name` header
 * its file name. With `dry_run` only the summary comes back; otherwise the form is
 * installed (and published, in an organisation). Nothing is written on error.
 */
export const formImportXlsform = (body: Uint8Array, options?: InvokeOptions): Promise<Summary> =>
  invoke<Summary>('form_import_xlsform', body, options);

/**
 * The form's skip logic and constraints over `values` (stored shapes, by field id),
 * asked as the person types: the one implementation the vault also saves with.
 */
export const formRules = (args: { form: string; values: { [key in string]: JsonValue } }): Promise<RulesCheck> =>
  invoke<RulesCheck>('form_rules', args);

export const formsList = (): Promise<Array<Form>> => invoke<Array<Form>>('forms_list');

/**
 * Fingerprint words in the UI's language.
 */
export const identityGet = (args: { lang: string }): Promise<Card> =>
  invoke<Card>('identity_get', args);

/**
 * Certificates and revocations of this organisation carried by hand (a revocation
 * made on another coordinator's device); returns how many were new.
 */
export const memberImport = (args: { text: string }): Promise<number> =>
  invoke<number>('member_import', args);

/**
 * Revokes a member from op `from_seq` of their chain (by default the one after the
 * last held); returns the revocation to carry to the other devices.
 */
export const memberRevoke = (args: { name: string; fromSeq: number | null }): Promise<Transfer> =>
  invoke<Transfer>('member_revoke', args);

/**
 * The offload policy and how many records this device holds content of.
 */
export const offloadPolicyGet = (): Promise<OffloadPolicy> => invoke<OffloadPolicy>('offload_policy_get');

/**
 * Turns offloading after each import on or off for this device.
 */
export const offloadPolicySet = (args: { enabled: boolean }): Promise<OffloadPolicy> =>
  invoke<OffloadPolicy>('offload_policy_set', args);

/**
 * Erases the content of records a coordinator has acknowledged (not those assigned
 * to this device); with `dry_run`, only says what would go and what stays.
 */
export const offloadRun = (args: { dryRun: boolean }): Promise<OffloadReport> =>
  invoke<OffloadReport>('offload_run', args);

/**
 * Creates an organisation with this device as its first coordinator.
 */
export const orgCreate = (args: { name: string; memberName: string; lang: string }): Promise<OrgView | null> =>
  invoke<OrgView | null>('org_create', args);

/**
 * Null outside an organisation.
 */
export const orgGet = (args: { lang: string }): Promise<OrgView | null> =>
  invoke<OrgView | null>('org_get', args);

/**
 * The panic shortcut: whatever the settings say, at once, then a clean window.
 */
export const panic = (): Promise<void> => invoke<void>('panic');

/**
 * Emits progress. Fails with `wrong_passphrase` if `current` is wrong,
 * `weak_passphrase` if `next` is too short.
 */
export const passphraseChange = (args: { current: string; next: string }): Promise<void> =>
  invoke<void>('passphrase_change', args);

export const peerAdd = (args: { card: string; name: string }): Promise<PeerView> =>
  invoke<PeerView>('peer_add', args);

export const peerRemove = (args: { name: string }): Promise<void> =>
  invoke<void>('peer_remove', args);

/**
 * Marks a peer verified when `fingerprint` is the words its own screen shows (at
 * least four, in any UI language); `fingerprint_mismatch` otherwise.
 */
export const peerVerify = (args: { name: string; fingerprint: string }): Promise<PeerView> =>
  invoke<PeerView>('peer_verify', args);

/**
 * Fingerprint words in the UI's language.
 */
export const peersList = (args: { lang: string }): Promise<Array<PeerView>> =>
  invoke<Array<PeerView>>('peers_list', args);

export const quarantineDrop = (args: { id: string }): Promise<void> =>
  invoke<void>('quarantine_drop', args);

export const quarantineGet = (args: { id: string }): Promise<QuarantinedOp> =>
  invoke<QuarantinedOp>('quarantine_get', args);

export const quarantineList = (): Promise<Array<QuarantineEntry>> => invoke<Array<QuarantineEntry>>('quarantine_list');

/**
 * Assigns a record to a member of the organisation (`assign`), or takes the
 * assignment back; coordinators only. Returns the record as it now shows.
 */
export const recordAssign = (args: { id: string; member: string; assign: boolean; lang: string }): Promise<RecordView> =>
  invoke<RecordView>('record_assign', args);

/**
 * Who wrote the records held here, for the records filter.
 */
export const recordAuthors = (): Promise<Array<AuthorChoice>> => invoke<Array<AuthorChoice>>('record_authors');

/**
 * `values` maps field ids to values in the shapes of `FieldValue` (a location is
 * `{ lat, lon }`); null clears. Returns the new id. Fails with `invalid_value` (the
 * message names the field) or `unknown_field`.
 */
export const recordCreate = (args: { form: string; values: { [key in string]: FieldValue | null }; attachments: Array<string> }): Promise<string> =>
  invoke<string>('record_create', args);

export const recordDelete = (args: { id: string }): Promise<void> =>
  invoke<void>('record_delete', args);

export const recordGet = (args: { id: string; lang: string }): Promise<RecordView> =>
  invoke<RecordView>('record_get', args);

export const recordHistory = (args: { id: string; lang: string }): Promise<Array<HistoryEntry>> =>
  invoke<Array<HistoryEntry>>('record_history', args);

export const recordPurge = (args: { id: string }): Promise<void> =>
  invoke<void>('record_purge', args);

/**
 * As `record_create`, for an existing record: only the fields in `values` change.
 */
export const recordUpdate = (args: { id: string; values: { [key in string]: FieldValue | null }; attachments: Array<string> }): Promise<void> =>
  invoke<void>('record_update', args);

/**
 * Asks for a folder with the system's dialog (outside the state lock), then writes
 * a report there. Emits progress; null if the user cancelled.
 */
export const recordsExportChoose = (args: { request: ExportRequest }): Promise<ReportWritten | null> =>
  invoke<ReportWritten | null>('records_export_choose', args);

/**
 * Writes a report onto a removable drive, known by id. Emits progress.
 */
export const recordsExportDrive = (args: { request: ExportRequest; drive: string }): Promise<ReportWritten> =>
  invoke<ReportWritten>('records_export_drive', args);

export const recordsPage = (args: { query: PageQuery }): Promise<Page> =>
  invoke<Page>('records_page', args);

/**
 * Full-text search, newest first, within one form when `form` is set and among the
 * records `filter` selects (its form is `form`'s); each result with its snippet.
 */
export const recordsSearch = (args: { query: string; form: string | null; filter: RecordFilter | null }): Promise<Found> =>
  invoke<Found>('records_search', args);

/**
 * Adds a relay with the mailbox its operator made (the JSON `satchel-relay
 * mailbox create` prints, pasted). No network.
 */
export const relayAdd = (args: { url: string; mailbox: string }): Promise<RelayView> =>
  invoke<RelayView>('relay_add', args);

/**
 * Adds a relay by asking it for a mailbox with its registration token: a network
 * step, which the safe-to-sync policy is asked about first.
 */
export const relayRegister = (args: { url: string; token: string }): Promise<RelayView> =>
  invoke<RelayView>('relay_register', args);

/**
 * Stops collecting from a relay.
 */
export const relayRemove = (args: { url: string }): Promise<void> =>
  invoke<void>('relay_remove', args);

/**
 * The relays this device collects from (nothing secret).
 */
export const relaysList = (): Promise<Array<RelayView>> => invoke<Array<RelayView>>('relays_list');

export const settingsGet = (): Promise<Settings> => invoke<Settings>('settings_get');

export const settingsSet = (args: { settings: Settings }): Promise<void> =>
  invoke<void>('settings_set', args);

/**
 * The last network sync, if any.
 */
export const syncLast = (): Promise<LastSync | null> => invoke<LastSync | null>('sync_last');

/**
 * Syncs through the relays now, as the person asked: collects, imports, deposits.
 * Emits progress in bytes; a lock, the panic key or Cancel ends it at once, and
 * what was cut resumes next time.
 */
export const syncNow = (): Promise<SyncReport> => invoke<SyncReport>('sync_now');

/**
 * The safe-to-sync policy.
 */
export const syncPolicyGet = (): Promise<SyncPolicy> => invoke<SyncPolicy>('sync_policy_get');

/**
 * Sets the safe-to-sync policy; returns it as kept.
 */
export const syncPolicySet = (args: { policy: SyncPolicy }): Promise<SyncPolicy> =>
  invoke<SyncPolicy>('sync_policy_set', args);

export const syncStatus = (): Promise<Array<PeerStatus>> => invoke<Array<PeerStatus>>('sync_status');

/**
 * Stops the import or export in progress; it ends with `cancelled` and changes
 * nothing. Takes no lock, so it works while that command runs.
 */
export const taskCancel = (): Promise<void> => invoke<void>('task_cancel');

/**
 * Creates the vault; returns the recovery key, to be shown once. Emits progress.
 */
export const vaultCreate = (args: { passphrase: string }): Promise<Created> =>
  invoke<Created>('vault_create', args);

export const vaultInfo = (args: { lang: string }): Promise<Info> =>
  invoke<Info>('vault_info', args);

/**
 * Locks; the shell then reloads the web view, so nothing of the session stays.
 */
export const vaultLock = (): Promise<void> => invoke<void>('vault_lock');

export const vaultRecover = (args: { recoveryKey: string; newPassphrase: string }): Promise<void> =>
  invoke<void>('vault_recover', args);

/**
 * Re-encrypts the vault under a new key and replaces the recovery key, returned to be
 * shown once. Asks for the passphrase again, as the other changes of secrets do.
 */
export const vaultRekey = (args: { current: string }): Promise<Created> =>
  invoke<Created>('vault_rekey', args);

export const vaultState = (): Promise<VaultState> => invoke<VaultState>('vault_state');

/**
 * Emits progress. Fails with code `wrong_passphrase`.
 */
export const vaultUnlock = (args: { passphrase: string }): Promise<void> =>
  invoke<void>('vault_unlock', args);

export const vaultVerify = (): Promise<Verified> => invoke<Verified>('vault_verify');

/**
 * Erases the vault for good. `confirm` must be the word the UI asked to type
 * (`wipe.word` in the UI's language: WIPE, 삭제, 删除). The web view reloads.
 */
export const vaultWipe = (args: { confirm: string }): Promise<void> =>
  invoke<void>('vault_wipe', args);

/** Every command by name, with its arguments and result (typed mocks in tests). */
export type Commands = {
  activity: { args: undefined; result: void };
  attachment_get: { args: { record: string; blake3: string }; result: ArrayBuffer };
  attachment_remove: { args: { record: string; blake3: string }; result: void };
  attachment_save: { args: { record: string; blake3: string }; result: boolean };
  attachment_stage: { args: Uint8Array; result: Staged };
  attachment_stage_choose: { args: undefined; result: Staged | null };
  attachment_unstage: { args: { id: string }; result: void };
  audit_export_make: { args: undefined; result: number | null };
  audit_save_html: { args: undefined; result: boolean };
  audit_verify: { args: Uint8Array; result: AuditChecked };
  audit_verify_pick: { args: undefined; result: AuditChecked | null };
  bundle_export_choose: { args: { peers: Array<string> }; result: ExportReport | null };
  bundle_export_drive: { args: { peers: Array<string>; drive: string }; result: ExportReport };
  bundle_import: { args: Uint8Array; result: ImportReport };
  bundle_import_choose: { args: undefined; result: ImportReport | null };
  conflict_resolve: { args: { record: string; field: string; resolution: Resolution }; result: void };
  conflicts_list: { args: { lang: string }; result: Array<Conflict> };
  decoy_open: { args: { current: string }; result: void };
  draft_discard: { args: { key: string }; result: boolean };
  draft_get: { args: { key: string }; result: Draft | null };
  draft_save: { args: { key: string; body: JsonValue }; result: void };
  drafts_list: { args: undefined; result: Array<DraftInfo> };
  drives_list: { args: undefined; result: Array<Drive> };
  duress_set: { args: { current: string; duress: string }; result: void };
  enrol_accept: { args: { certificate: string; lang: string }; result: OrgView | null };
  enrol_approve: { args: { request: string; fingerprint: string; role: string; validDays: number; lang: string }; result: EnrolApproved };
  enrol_request: { args: { name: string; lang: string }; result: EnrolRequestView };
  form_import_xlsform: { args: Uint8Array; result: Summary };
  form_rules: { args: { form: string; values: { [key in string]: JsonValue } }; result: RulesCheck };
  forms_list: { args: undefined; result: Array<Form> };
  identity_get: { args: { lang: string }; result: Card };
  member_import: { args: { text: string }; result: number };
  member_revoke: { args: { name: string; fromSeq: number | null }; result: Transfer };
  offload_policy_get: { args: undefined; result: OffloadPolicy };
  offload_policy_set: { args: { enabled: boolean }; result: OffloadPolicy };
  offload_run: { args: { dryRun: boolean }; result: OffloadReport };
  org_create: { args: { name: string; memberName: string; lang: string }; result: OrgView | null };
  org_get: { args: { lang: string }; result: OrgView | null };
  panic: { args: undefined; result: void };
  passphrase_change: { args: { current: string; next: string }; result: void };
  peer_add: { args: { card: string; name: string }; result: PeerView };
  peer_remove: { args: { name: string }; result: void };
  peer_verify: { args: { name: string; fingerprint: string }; result: PeerView };
  peers_list: { args: { lang: string }; result: Array<PeerView> };
  quarantine_drop: { args: { id: string }; result: void };
  quarantine_get: { args: { id: string }; result: QuarantinedOp };
  quarantine_list: { args: undefined; result: Array<QuarantineEntry> };
  record_assign: { args: { id: string; member: string; assign: boolean; lang: string }; result: RecordView };
  record_authors: { args: undefined; result: Array<AuthorChoice> };
  record_create: { args: { form: string; values: { [key in string]: FieldValue | null }; attachments: Array<string> }; result: string };
  record_delete: { args: { id: string }; result: void };
  record_get: { args: { id: string; lang: string }; result: RecordView };
  record_history: { args: { id: string; lang: string }; result: Array<HistoryEntry> };
  record_purge: { args: { id: string }; result: void };
  record_update: { args: { id: string; values: { [key in string]: FieldValue | null }; attachments: Array<string> }; result: void };
  records_export_choose: { args: { request: ExportRequest }; result: ReportWritten | null };
  records_export_drive: { args: { request: ExportRequest; drive: string }; result: ReportWritten };
  records_page: { args: { query: PageQuery }; result: Page };
  records_search: { args: { query: string; form: string | null; filter: RecordFilter | null }; result: Found };
  relay_add: { args: { url: string; mailbox: string }; result: RelayView };
  relay_register: { args: { url: string; token: string }; result: RelayView };
  relay_remove: { args: { url: string }; result: void };
  relays_list: { args: undefined; result: Array<RelayView> };
  settings_get: { args: undefined; result: Settings };
  settings_set: { args: { settings: Settings }; result: void };
  sync_last: { args: undefined; result: LastSync | null };
  sync_now: { args: undefined; result: SyncReport };
  sync_policy_get: { args: undefined; result: SyncPolicy };
  sync_policy_set: { args: { policy: SyncPolicy }; result: SyncPolicy };
  sync_status: { args: undefined; result: Array<PeerStatus> };
  task_cancel: { args: undefined; result: void };
  vault_create: { args: { passphrase: string }; result: Created };
  vault_info: { args: { lang: string }; result: Info };
  vault_lock: { args: undefined; result: void };
  vault_recover: { args: { recoveryKey: string; newPassphrase: string }; result: void };
  vault_rekey: { args: { current: string }; result: Created };
  vault_state: { args: undefined; result: VaultState };
  vault_unlock: { args: { passphrase: string }; result: void };
  vault_verify: { args: undefined; result: Verified };
  vault_wipe: { args: { confirm: string }; result: void };
};

/** Events the shell emits, by name, with their payload. */
export type Events = {
  progress: Progress;
  idle_warning: IdleWarning;
};
