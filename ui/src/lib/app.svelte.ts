// Application state: which screen, the loaded forms and settings, the message region,
// and the wrapper every shell call goes through. Nothing here is persisted anywhere.

import * as api from './api';
import type { ApiError, Form, LockReason, RecordSummary, Settings } from './api';
import { revokeAllBlobUrls } from './blobs';
import { newestDraft } from './drafts';
import { PageCache } from './pagecache';
import { DEFAULT_SHORTCUT } from './shortcut';
import { isLang } from './i18n';
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
  | { name: 'settings' };

export interface ListState {
  query: string;
  form: string;
  oldestFirst: boolean;
  scrollTop: number;
}

export const DEFAULT_SETTINGS: Settings = {
  language: null,
  autoLockMinutes: 10,
  panicAction: 'lock',
  panicShortcut: DEFAULT_SHORTCUT,
};

function freshList(): ListState {
  return { query: '', form: '', oldestFirst: false, scrollTop: 0 };
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
});

export const toast = $state({ status: '', error: '' });

/** The records list's page cache (module-level so locking can empty it). */
export const recordsCache = new PageCache<RecordSummary>(200, 50);

const cleanups = new Set<() => void>();

/** Registers something to forget when the session ends; returns the unregister function. */
export function onSessionEnd(f: () => void): () => void {
  cleanups.add(f);
  return () => cleanups.delete(f);
}

export function navigate(route: Route): void {
  toast.error = '';
  app.route = route;
  // A new screen starts at its top, not where the last one was scrolled to.
  if (typeof navigator !== 'undefined' && !navigator.userAgent.includes('jsdom')) window.scrollTo(0, 0);
}

export function showStatus(message: string): void {
  toast.error = '';
  toast.status = message;
}

export function showError(message: string): void {
  toast.status = '';
  toast.error = message;
}

export function clearMessages(): void {
  toast.status = '';
  toast.error = '';
}

/** Codes whose meaning is fixed get a message in the user's language; for the rest
 * (a field's validation, why a bundle was refused) the shell's message says more. */
export const TRANSLATED_CODES = [
  'wrong_passphrase', 'no_vault', 'vault_exists', 'vault_incomplete', 'newer_version',
  'vault_damaged', 'disk_full', 'busy', 'read_only', 'weak_passphrase', 'bad_recovery_key',
  'record_not_found', 'record_deleted', 'attachment_too_large', 'attachment_not_found',
  'invalid_peer', 'peer_exists', 'unknown_peer', 'bundle_recipients', 'no_conflict',
  'vault_locked', 'vault_unlocked', 'wrong_confirmation', 'no_drive', 'too_large', 'invalid_draft', 'not_in_quarantine', 'internal',
  'decoy_only', 'cancelled', 'fingerprint_mismatch', 'export_exists', 'export_not_written', 'export_too_large',
] as const;

export function toApiError(e: unknown): ApiError {
  if (!api.isApiError(e)) return { code: 'internal', message: t('error.unexpected') };
  if ((TRANSLATED_CODES as readonly string[]).includes(e.code)) {
    return { ...e, message: t(`error.code.${e.code}`) };
  }
  return e;
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
      showError(error.message);
      return { ok: false, error };
    }
    if (!opts.handle?.(error)) showError(error.message);
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
  // A confirmation stays until the next one: it would go on in the language left.
  // An error stays to be read and dismissed.
  if (next !== currentLang()) toast.status = '';
  setLang(next);
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
