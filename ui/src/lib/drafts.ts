// Unsaved form input, kept by the shell inside the vault (see satchel-api's drafts):
// what a person typed survives a lock, a crash or a flat battery. Pure helpers here;
// the record form does the calls.

import type { DraftInfo, FieldDef, Json } from './api';
import { emptyInput, isDateTimeInput, isLocationInput, type InputValue } from './fields';

export type DraftTarget = { name: 'new'; form: string } | { name: 'edit'; id: string };

/** The vault's key for a form's input: `new:<form>` or `record:<id>`. */
export function draftKey(target: DraftTarget): string {
  return target.name === 'new' ? `new:${target.form}` : `record:${target.id}`;
}

/** Where the app reopens a kept draft; null for a key it does not know. */
export function draftRoute(key: string): DraftTarget | null {
  const at = key.indexOf(':');
  const kind = key.slice(0, at);
  const rest = key.slice(at + 1);
  if (at < 0 || rest === '') return null;
  if (kind === 'new') return { name: 'new', form: rest };
  if (kind === 'record') return { name: 'edit', id: rest };
  return null;
}

/** The newest draft the app can reopen, if any (the list comes newest first). */
export function newestDraft(list: readonly DraftInfo[]): DraftTarget | null {
  for (const d of list) {
    const route = draftRoute(d.key);
    if (route) return route;
  }
  return null;
}

export interface DraftBody {
  v: 1;
  inputs: Record<string, InputValue>;
  /** Names of files added but not saved: their bytes are not kept, so the person is
   * asked to add them again. */
  files: string[];
}

/** Plain data for IPC, whatever reactive proxies the inputs came through. */
export function draftBody(inputs: Record<string, InputValue>, files: string[]): DraftBody {
  return { v: 1, inputs: JSON.parse(JSON.stringify(inputs)) as Record<string, InputValue>, files: [...files] };
}

function sameShape(empty: InputValue, v: unknown): v is InputValue {
  if (empty === null) return v === null || typeof v === 'boolean';
  if (typeof empty === 'string') return typeof v === 'string';
  if (Array.isArray(empty)) return Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (isDateTimeInput(empty)) return isDateTimeInput(v);
  return isLocationInput(v);
}

/** A kept body laid over the form's inputs: each field whose kept input still fits
 * its type. Returns the inputs and the names of files to add again. */
export function applyDraft(
  fields: readonly FieldDef[],
  base: Record<string, InputValue>,
  body: Json,
): { inputs: Record<string, InputValue>; files: string[] } {
  const inputs = { ...base };
  const files: string[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { inputs, files };
  const kept = body.inputs;
  if (typeof kept === 'object' && kept !== null && !Array.isArray(kept)) {
    for (const f of fields) {
      const v = kept[f.id];
      if (v !== undefined && sameShape(emptyInput(f.type), v)) inputs[f.id] = v;
    }
  }
  if (Array.isArray(body.files)) {
    for (const n of body.files) if (typeof n === 'string') files.push(n);
  }
  return { inputs, files };
}
