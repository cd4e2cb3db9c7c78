// Application state: which screen, the loaded forms and settings, the message region,
// and the wrapper every shell call goes through. Nothing here is persisted anywhere.

import * as api from './api';
import type { ApiError, Form, LockReason, OrgView, RecordSummary, Settings } from './api';
import type { ErrorCode } from './generated/ipc';
import { revokeAllBlobUrls } from './blobs';
import { newestDraft } from './drafts';
import { PageCache } from './pagecache';
import { DEFAULT_SHORTCUT } from './shortcut';
import { freshFilter, type FilterInputs } from './filters';
import { isLang, type Params } from './i18n';
import { visible } from './peertext';
import { xlsformParams } from './xlsform';
import { currentLang, setLang, systemLang, t } from './i18n.svelte';

export type Phase = 'loading' | 'create' | 'recovery' | 'unlock' | 'app';

export type Route =
  | { name: 'records' }
  | { name: 'record'; id: string }
  | { name: 'new'; form: string }
  | { name: 'edit'; id: string }
  | { name: 'history'; id: string }
  | { name: 'conflicts' }
  | { name: 'sync' }
  | { name: 'org' }
  | { name: 'members' }
  | { name: 'forms' }
  | { name: 'audit' }
  | { name: 'settings' };

export interface ListState {
  query: string;
  form: string;
  oldestFirst: boolean;
  scrollTop: number;
  /** By author and dates (lib/filters.ts). */
  filter: FilterInputs;
}

export const DEFAULT_SETTINGS: Settings = {
  language: null,
  autoLockMinutes: 10,
  panicAction: 'lock',
  panicShortcut: DEFAULT_SHORTCUT,
};

function freshList(): ListState {
  return { query: '', form: '', oldestFirst: false, scrollTop: 0, filter: freshFilter() };
}

export const app = $state({
  phase: 'loading' as Phase,
  route: { name: 'records' } as Route,
  forms: [] as Form[],
  settings: { ...DEFAULT_SETTINGS } as Settings,
  lockReason: null as LockReason | null,
  /** Shown once after creation, cleared when confirmed. */
  recoveryKey: null as string | null,
  /** The decoy is open to be prepared (until the next lock). */
  decoy: false,
  list: freshList(),
  /** The organisation as this device sees it, for what the navigation offers: null
   * in none, undefined until known. */
  org: undefined as OrgView | null | undefined,
});

/** A message kept as data and translated when shown, so a language switch re-translates
 * it: a translation key and its parameters, or an error as the shell gave it. */
export type Message = { key: string; params?: Params } | { error: unknown };

export const toast = $state({ status: null as Message | null, error: null as Message | null });

/** How long an information toast stays; errors stay until closed or replaced. */
export const STATUS_MS = 6000;

let statusTimer: ReturnType<typeof setTimeout> | null = null;

function stopStatusTimer(): void {
  if (statusTimer !== null) clearTimeout(statusTimer);
  statusTimer = null;
}

export const recordsCache = new PageCache<RecordSummary>(200, 50);

const cleanups = new Set<() => void>();

/** Registers something to forget when the session ends; returns the unregister function. */
export function onSessionEnd(f: () => void): () => void {
  cleanups.add(f);
  return () => cleanups.delete(f);
}

export function navigate(route: Route): void {
  toast.error = null;
  app.route = route;
  // A new screen starts at its top, not where the last one was scrolled to.
  if (typeof navigator !== 'undefined' && !navigator.userAgent.includes('jsdom')) window.scrollTo(0, 0);
}

/** An information toast (a translation key), gone after STATUS_MS. */
export function showStatus(key: string, params?: Params): void {
  toast.error = null;
  toast.status = { key, params };
  stopStatusTimer();
  statusTimer = setTimeout(() => {
    statusTimer = null;
    toast.status = null;
  }, STATUS_MS);
}

/** An error toast for what a shell call threw (translated when shown). */
export function showError(error: unknown): void {
  stopStatusTimer();
  toast.status = null;
  toast.error = { error };
}

/** An error toast from a translation key. */
export function showErrorKey(key: string, params?: Params): void {
  stopStatusTimer();
  toast.status = null;
  toast.error = { key, params };
}

export function clearMessages(): void {
  stopStatusTimer();
  toast.status = null;
  toast.error = null;
}

/** A message from a translation key, to keep in state and show with `messageText`. */
export function msg(key: string, params?: Params): Message {
  return { key, params };
}

/** A message from a shell error (an ApiError or what a call threw). */
export function fail(error: unknown): Message {
  return { error };
}

/** A message's text in the current language (read in a template, it follows a switch). */
export function messageText(m: Message | null): string {
  if (!m) return '';
  if ('key' in m) return t(m.key, m.params);
  return toApiError(m.error).message;
}

/** Every code the shell sends (the generated `ErrorCode`, one list in Rust): a code
 * missing here, or one the shell no longer sends, fails `npm run check`. Each has an
 * `error.code.<code>` message in every language, filled in with the error's params
 * (reasons are ICU `select` cases). */
export const ERROR_CODES: readonly ErrorCode[] = api.allOf<ErrorCode>({
  wrong_passphrase: true, wrong_recovery_key: true, no_vault: true, vault_exists: true,
  vault_incomplete: true, newer_version: true, vault_damaged: true, wipe_incomplete: true,
  disk_full: true, write_failed: true, busy: true, read_only: true, weak_passphrase: true,
  duress_same_as_main: true, decoy_only: true, no_decoy: true, bad_recovery_key: true,
  unknown_form: true, invalid_form: true, form_not_newer: true, xlsform: true, unknown_field: true,
  invalid_value: true, missing_required: true, invalid_filter: true, export_exists: true,
  export_not_written: true, export_too_large: true, record_not_found: true, ambiguous_id: true,
  record_deleted: true, attachment_too_large: true, attachment_not_found: true, invalid_card: true,
  invalid_peer_name: true, peer_is_self: true, peer_exists: true, unknown_peer: true,
  bundle_recipients: true, bundle_refused: true, no_conflict: true, no_such_value: true,
  not_in_quarantine: true, invalid_draft: true, draft_too_large: true, no_draft: true,
  integrity: true, crypto: true, fingerprint_mismatch: true, membership: true, cancelled: true,
  audit_export_unreadable: true, relay: true, sync_not_allowed: true, invalid_sync_policy: true,
  database: true, io: true, vault_locked: true, vault_unlocked: true, wrong_confirmation: true,
  too_large: true, no_drive: true, internal: true,
});
const KNOWN = new Set<string>(ERROR_CODES);

/** What went wrong, in the user's language, from the code and params alone; the
 * shell's English message is never shown (ADR 0031). Names in params come from people
 * (peers, forms, members) and are shown with visible escapes. */
export function errorText(e: Pick<ApiError, 'code' | 'params'>): string {
  const code: string = e.code;
  if (!KNOWN.has(code)) return t('error.generic', { code: visible(code) });
  const params: Params = {};
  for (const [name, value] of Object.entries(e.params ?? {})) {
    if (typeof value === 'number') params[name] = value;
    else if (typeof value === 'string') params[name] = visible(value);
  }
  try {
    // Where in a spreadsheet is worded by which parts are known.
    return t(`error.code.${code}`, code === 'xlsform' ? xlsformParams(params) : params);
  } catch {
    // A param the message needs is missing: say what failed, not nothing.
    return t('error.generic', { code });
  }
}

/** A shell error with `message` in the user's language (anything else thrown becomes
 * `internal`). */
export function toApiError(e: unknown): ApiError {
  if (!api.isApiError(e)) return { code: 'internal', params: {}, message: t('error.unexpected') };
  return { ...e, params: e.params ?? {}, message: errorText(e) };
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export interface CallOptions {
  /** Return true when the screen shows this error itself (no toast). */
  handle?: (e: ApiError) => boolean;
}

/** Runs a shell call; never throws. Errors go to the message region (unless handled),
 * and `vault_locked` returns to the unlock screen. */
export async function call<T>(f: () => Promise<T>, opts: CallOptions = {}): Promise<Result<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (raw) {
    const error = toApiError(raw);
    if (error.code === 'vault_locked') {
      clearSession();
      app.phase = 'unlock';
      showError(raw);
      return { ok: false, error };
    }
    if (!opts.handle?.(error)) showError(raw);
    return { ok: false, error };
  }
}

/** Forgets everything the session loaded: records, caches, staged files, blob URLs. */
export function clearSession(): void {
  for (const f of [...cleanups]) {
    try {
      f();
    } catch {
      // keep clearing the rest
    }
  }
  cleanups.clear();
  recordsCache.reset();
  revokeAllBlobUrls();
  app.forms = [];
  app.recoveryKey = null;
  app.decoy = false;
  app.list = freshList();
  app.org = undefined;
  app.route = { name: 'records' };
  clearMessages();
}

/** The Lock button: clear first, then lock (the shell reloads the web view). */
export async function lockNow(): Promise<void> {
  clearSession();
  app.phase = 'unlock';
  await call(() => api.vaultLock());
}

export function applyLanguageSetting(language: string | null): void {
  const next = isLang(language) ? language : systemLang();
  // Messages on screen are data: they re-translate by themselves.
  setLang(next);
}

/** Reads the organisation again (after unlock, and when it changes), for what the
 * navigation offers. Quiet: a failure leaves it unknown, and only what every role
 * has is offered. */
export async function refreshOrg(): Promise<void> {
  const r = await call(() => api.orgGet({ lang: currentLang() }), { handle: () => true });
  if (r.ok && app.phase === 'app') app.org = r.value;
}

/** After unlock or recovery: load settings and forms, then show the records. */
export async function enterApp(): Promise<void> {
  const settings = await call(() => api.settingsGet());
  if (settings.ok) {
    app.settings = { ...DEFAULT_SETTINGS, ...settings.value };
    if (settings.value.language !== null) applyLanguageSetting(settings.value.language);
  }
  const forms = await call(() => api.formsList());
  if (forms.ok) app.forms = forms.value;
  // Input left unsaved by a lock or a crash: back to where it was being typed.
  const drafts = await call(() => api.draftsList());
  app.lockReason = null;
  app.route = (drafts.ok ? newestDraft(drafts.value) : null) ?? { name: 'records' };
  app.phase = 'app';
  void refreshOrg();
}

/** Reads the vault state and picks the first screen. */
export async function boot(): Promise<void> {
  const state = await call(() => api.vaultState());
  if (!state.ok) {
    app.phase = 'unlock';
    return;
  }
  app.lockReason = state.value.lockReason;
  app.settings.panicShortcut = state.value.panicShortcut;
  if (!state.value.exists) app.phase = 'create';
  else if (state.value.unlocked) await enterApp();
  else app.phase = 'unlock';
}

export function formByName(name: string): Form | undefined {
  return app.forms.find((f) => f.name === name);
}
