// The only door to the Rust shell. Each command has its own permission in the shell,
// and the main window's capability grants them.
//
// Both the types and the calls are generated from the Rust side
// (src-tauri/tests/ipc_types.rs, ADR 0015): `generated/ipc.ts` holds every type that
// crosses IPC, `generated/commands.ts` one function per command, taking the command's
// arguments as one object with the names Tauri expects. A renamed argument or a changed
// result in Rust fails the type check here. Errors arrive as `IpcError`
// (`{ code, params, message, field? }`, see `isApiError`): the UI says what went wrong
// from the code and params (`errorText`); the English message, which never carries a
// path, a secret or record content, is not shown.

import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import * as commands from './generated/commands';
import type { Events } from './generated/commands';
import type { AuditChecked, IpcError, JsonValue, LockReason, Phase, Staged, ImportReport, Summary } from './generated/ipc';

export type * from './generated/ipc';
export * from './generated/commands';
export type Json = JsonValue;
export type ApiError = IpcError;

export function isApiError(e: unknown): e is ApiError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as ApiError).code === 'string' &&
    typeof (e as ApiError).message === 'string'
  );
}

/** Every member of a generated union of strings, in the order given: leaving one out,
 * or naming one Rust does not have, fails the type check. */
export function allOf<T extends string>(members: Record<T, true>): T[] {
  return Object.keys(members) as T[];
}

/** Why the vault locked, of the shell's `LockReason`s a window may tell (a Rust test
 * keeps them equal). A panic is never told: after one the window looks as after a start. */
export const LOCK_REASONS = ['user', 'idle', 'suspend', 'screen'] as const satisfies readonly LockReason[];

/** Every phase the shell reports, in the order it reports them. */
export const PHASES: Phase[] = allOf<Phase>({ deriving_key: true, upgrading: true, copying: true, decrypting: true, sealing: true, writing: true, checking: true, listing: true, receiving: true, sending: true, done: true });

// Raw-body commands take the file's bytes rather than JSON arguments; these read the
// `File` the user picked or dropped, so no path crosses IPC.

/** Hands a file's bytes to the shell, which keeps them in memory until the record is
 * saved or the vault locks. Nothing is written anywhere until then. */
export async function attachmentStageFile(file: File): Promise<Staged> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return commands.attachmentStage(bytes, { headers: { 'x-satchel-name': encodeURIComponent(file.name) } });
}

/** Bytes of a bundle file chosen with an <input type=file> or dropped. Emits progress.
 * Fails with `bundle_refused` (message says why). */
export async function bundleImportFile(file: File): Promise<ImportReport> {
  return commands.bundleImport(new Uint8Array(await file.arrayBuffer()));
}

/** An audit export chosen with an <input type=file> or dropped: checked by the shell,
 * which keeps the report for its HTML. Emits progress (ops checked). */
export async function auditVerifyFile(file: File): Promise<AuditChecked> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return commands.auditVerify(bytes, { headers: { 'x-satchel-name': encodeURIComponent(file.name) } });
}

/** An XLSForm chosen with an <input type=file> or dropped: read by the shell, which
 * says what it holds (`dryRun`, nothing written) or installs it (published to the
 * organisation, in one). */
export async function formImportXlsformFile(file: File, dryRun: boolean): Promise<Summary> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const headers: Record<string, string> = { 'x-satchel-name': encodeURIComponent(file.name) };
  if (dryRun) headers['x-satchel-dry-run'] = '1';
  return commands.formImportXlsform(bytes, { headers });
}

export const onProgress = (f: (p: Events['progress']) => void): Promise<UnlistenFn> =>
  listen<Events['progress']>('progress', (e) => f(e.payload));

/** The guard's count-down in the last minute before the idle lock (null: put off). */
export const onIdleWarning = (f: (w: Events['idle_warning']) => void): Promise<UnlistenFn> =>
  listen<Events['idle_warning']>('idle_warning', (e) => f(e.payload));
