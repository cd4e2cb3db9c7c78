// Form fields: the editable input state per field type, validation, and conversion
// between input state and the stored value the shell expects. Pure, unit-tested.
//
// Stored shapes: text / long_text → string, number / integer → number, date →
// "YYYY-MM-DD", datetime → "YYYY-MM-DDTHH:MM", time → "HH:MM", single_choice → option
// id, multi_choice → option ids, location → { lat, lon }, yes_no → boolean,
// acknowledge → true, attachment → a file's BLAKE3 hex (or, when saving, the name of a
// file staged in the same save); a note holds nothing; null clears. Those shapes are
// FieldValue, generated from Rust.

import type { FieldDef, FieldType, FieldValue, Json } from './api';

export interface LocationInput {
  lat: string;
  lon: string;
}

/** A date and a time of day, typed into two inputs. */
export interface DateTimeInput {
  date: string;
  time: string;
}

export type InputValue = string | string[] | boolean | null | LocationInput | DateTimeInput;

export function isLocationInput(v: unknown): v is LocationInput {
  return typeof v === 'object' && v !== null && typeof (v as LocationInput).lat === 'string' && typeof (v as LocationInput).lon === 'string';
}

export function isDateTimeInput(v: unknown): v is DateTimeInput {
  return typeof v === 'object' && v !== null && typeof (v as DateTimeInput).date === 'string' && typeof (v as DateTimeInput).time === 'string';
}

export interface FieldError {
  /** Translation key. */
  key: string;
  params?: Record<string, string | number>;
}

export function emptyInput(type: FieldType): InputValue {
  switch (type) {
    case 'multi_choice':
      return [];
    case 'location':
      return { lat: '', lon: '' };
    case 'datetime':
      return { date: '', time: '' };
    case 'yes_no':
    case 'acknowledge':
      return null;
    default:
      return '';
  }
}

function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : '';
}

/** The input state that shows a stored value. */
export function toInput(type: FieldType, value: Json | undefined): InputValue {
  if (value === null || value === undefined) return emptyInput(type);
  switch (type) {
    case 'text':
    case 'long_text':
    case 'date':
    case 'time':
    case 'single_choice':
    case 'attachment':
      return typeof value === 'string' ? value : String(value);
    case 'number':
    case 'integer':
      return typeof value === 'number' ? numberText(value) : String(value);
    case 'datetime': {
      const m = typeof value === 'string' ? /^(.*)T(\d{2}:\d{2})$/.exec(value) : null;
      return m ? { date: m[1], time: m[2] } : { date: '', time: '' };
    }
    case 'note':
      return '';
    case 'acknowledge':
      return value === true ? true : null;
    case 'multi_choice':
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    case 'location': {
      if (typeof value === 'object' && !Array.isArray(value)) {
        const { lat, lon } = value;
        if (typeof lat === 'number' && typeof lon === 'number') {
          return { lat: numberText(lat), lon: numberText(lon) };
        }
      }
      return { lat: '', lon: '' };
    }
    case 'yes_no':
      return typeof value === 'boolean' ? value : null;
  }
}

const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A whole number as typed (`42`, `-3`), or null: no fraction, no exponent, and no
 * more digits than a number keeps exactly. */
export function parseInteger(text: string): number | null {
  const s = text.trim();
  if (!/^[-+]?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** A time of day as typed (`14:30`, `9:05`, seconds dropped), stored `HH:MM`, or
 * null. The same reading as the vault's (satchel-forms `parse_time`). */
export function parseTime(text: string): string | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  if (h > 23 || min > 59 || (m[3] !== undefined && Number(m[3]) > 59)) return null;
  return `${String(h).padStart(2, '0')}:${m[2]}`;
}

export function parseNumber(text: string): number | null {
  const s = text.trim();
  if (!NUMBER_RE.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function isIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

const ABOUT_BEFORE = ['~', 'approximately', 'approx.', 'approx', 'about', 'circa', 'ca.', 'c.', '대략', '약', '大约', '大概', '约'];
const ABOUT_AFTER = ['경', '左右', '前后'];
const DATE_SEPARATORS = new Set(['-', '.', '/', ' ', '년', '월', '일', '年', '月', '日', '号']);

/** Whether `s` is a stored date: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, with `~` in front
 * when approximate. */
export function isStoredDate(s: string): boolean {
  const exact = s.startsWith('~') ? s.slice(1) : s;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(exact);
  if (!m) return false;
  const y = Number(m[1]);
  if (y < 1000 || y > 2999) return false;
  if (m[2] === undefined) return true;
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) return false;
  return m[3] === undefined || isIsoDate(exact);
}

/** A date as people type it in any of the app's languages, in the stored form, or
 * null. The same reading as the vault's (satchel-forms `parse_date`); both are
 * tested against assets/ipc/dates.json. */
export function parseDate(text: string): string | null {
  let t = text.trim();
  let approx = false;
  for (;;) {
    const lower = t.toLowerCase();
    const w = ABOUT_BEFORE.find((p) => lower.startsWith(p));
    if (w === undefined) break;
    t = t.slice(w.length).trimStart();
    approx = true;
  }
  for (const w of ABOUT_AFTER) {
    if (t.endsWith(w)) {
      t = t.slice(0, -w.length).trimEnd();
      approx = true;
    }
  }
  const groups: string[] = [];
  let current = '';
  for (const c of t) {
    if (c >= '0' && c <= '9') {
      current += c;
      continue;
    }
    if (current !== '') groups.push(current);
    current = '';
    if (!DATE_SEPARATORS.has(c)) return null;
  }
  if (current !== '') groups.push(current);
  const [year, ...rest] = groups;
  if (year === undefined || year.length !== 4 || rest.length > 2 || rest.some((g) => g.length > 2)) return null;
  const out = (approx ? '~' : '') + [year, ...rest.map((g) => g.padStart(2, '0'))].join('-');
  return isStoredDate(out) ? out : null;
}

function isBlank(input: InputValue): boolean {
  if (input === null) return true;
  if (typeof input === 'string') return input.trim() === '';
  if (Array.isArray(input)) return input.length === 0;
  if (isDateTimeInput(input)) return input.date.trim() === '' && input.time.trim() === '';
  if (typeof input === 'object') return input.lat.trim() === '' && input.lon.trim() === '';
  return false;
}

export type Conversion = { ok: true; value: FieldValue | null } | { ok: false; error: FieldError };

/** Validates an input and converts it to the stored value (null when empty). */
export function fromInput(field: Pick<FieldDef, 'type' | 'required' | 'options'>, input: InputValue): Conversion {
  // A note is text to read; an acknowledgement is given or not (unticked is empty).
  if (field.type === 'note') return { ok: true, value: null };
  if (field.type === 'acknowledge' && input !== true) input = null;
  if (isBlank(input)) {
    return field.required ? { ok: false, error: { key: 'validation.required' } } : { ok: true, value: null };
  }
  switch (field.type) {
    case 'text':
    case 'long_text':
      return { ok: true, value: String(input) };
    case 'number': {
      const n = parseNumber(String(input));
      return n === null ? { ok: false, error: { key: 'validation.number' } } : { ok: true, value: n };
    }
    case 'date': {
      const s = parseDate(String(input));
      return s !== null ? { ok: true, value: s } : { ok: false, error: { key: 'validation.date' } };
    }
    case 'single_choice': {
      const s = String(input);
      if (field.options && !field.options.some((o) => o.id === s)) {
        return { ok: false, error: { key: 'validation.choice' } };
      }
      return { ok: true, value: s };
    }
    case 'multi_choice': {
      const ids = Array.isArray(input) ? input : [];
      if (field.options && ids.some((id) => !field.options?.some((o) => o.id === id))) {
        return { ok: false, error: { key: 'validation.choice' } };
      }
      // Keep the form's option order, so the stored value does not depend on click order.
      const order = field.options?.map((o) => o.id) ?? ids;
      return { ok: true, value: [...new Set(ids)].sort((a, b) => order.indexOf(a) - order.indexOf(b)) };
    }
    case 'location': {
      const loc = input as LocationInput;
      if (loc.lat.trim() === '' || loc.lon.trim() === '') {
        return { ok: false, error: { key: 'validation.location_both' } };
      }
      const lat = parseNumber(loc.lat);
      const lon = parseNumber(loc.lon);
      if (lat === null || lon === null) return { ok: false, error: { key: 'validation.number' } };
      if (lat < -90 || lat > 90) return { ok: false, error: { key: 'validation.lat_range' } };
      if (lon < -180 || lon > 180) return { ok: false, error: { key: 'validation.lon_range' } };
      return { ok: true, value: { lat, lon } };
    }
    case 'yes_no':
      return typeof input === 'boolean'
        ? { ok: true, value: input }
        : { ok: false, error: { key: 'validation.required' } };
    case 'integer': {
      const n = parseInteger(String(input));
      return n === null ? { ok: false, error: { key: 'validation.integer' } } : { ok: true, value: n };
    }
    case 'time': {
      const s = parseTime(String(input));
      return s === null ? { ok: false, error: { key: 'validation.time' } } : { ok: true, value: s };
    }
    case 'datetime': {
      const dt = isDateTimeInput(input) ? input : { date: '', time: '' };
      if (dt.date.trim() === '' || dt.time.trim() === '') return { ok: false, error: { key: 'validation.datetime_both' } };
      // The date of a date and time is a whole date: no "about", no month alone.
      const d = parseDate(dt.date);
      if (d === null || !isIsoDate(d)) return { ok: false, error: { key: 'validation.datetime_date' } };
      const time = parseTime(dt.time);
      if (time === null) return { ok: false, error: { key: 'validation.time' } };
      return { ok: true, value: `${d}T${time}` };
    }
    case 'attachment':
      return { ok: true, value: String(input).trim() };
    case 'acknowledge':
      return { ok: true, value: true };
  }
}

export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return jsonEqual(ka, kb) && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

export interface FormCheck {
  values: Record<string, FieldValue | null>;
  errors: Record<string, FieldError>;
}

export interface CollectOptions {
  /** Fields the form's rules hide now (skip logic): not checked; left out of a new
   * record, and cleared (null) on an edit when they held a value, since the vault
   * refuses a value where the form says nothing belongs. Their inputs stay as typed. */
  hidden?: ReadonlySet<string>;
  /** What an attachment field may name: the record's attachments' hashes and the
   * names of files staged for this save. Unset: not checked. */
  attachments?: readonly string[];
}

/** Validates every field. `values` holds, for a new record, every non-empty value;
 * for an edit (`initial` given), only the values that differ from `initial` (null
 * when a field was cleared). */
export function collectValues(
  fields: FieldDef[],
  inputs: Record<string, InputValue>,
  initial?: Record<string, Json>,
  options: CollectOptions = {},
): FormCheck {
  const values: Record<string, FieldValue | null> = {};
  const errors: Record<string, FieldError> = {};
  for (const field of fields) {
    if (field.type === 'note') continue;
    if (options.hidden?.has(field.id)) {
      if (initial && (initial[field.id] ?? null) !== null) values[field.id] = null;
      continue;
    }
    const result = fromInput(field, inputs[field.id] ?? emptyInput(field.type));
    if (!result.ok) {
      errors[field.id] = result.error;
      continue;
    }
    if (field.type === 'attachment' && typeof result.value === 'string' && options.attachments && !options.attachments.includes(result.value)) {
      errors[field.id] = { key: 'validation.attachment' };
      continue;
    }
    if (initial) {
      if (!jsonEqual(result.value, initial[field.id] ?? null)) values[field.id] = result.value;
    } else if (result.value !== null) {
      values[field.id] = result.value;
    }
  }
  return { values, errors };
}

/** The values the form's rules are asked about as the person types: every field whose
 * input converts now, in its stored shape (empty and unfinished inputs left out, as
 * the rules read a missing value as empty). */
export function rulesValues(fields: readonly FieldDef[], inputs: Record<string, InputValue>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const field of fields) {
    if (field.type === 'note') continue;
    const r = fromInput({ ...field, required: false }, inputs[field.id] ?? emptyInput(field.type));
    if (r.ok && r.value !== null) out[field.id] = r.value;
  }
  return out;
}

/** The inputs of a new record: each field's `default`, or empty. */
export function initialInputs(fields: readonly FieldDef[]): Record<string, InputValue> {
  const out: Record<string, InputValue> = {};
  for (const field of fields) out[field.id] = toInput(field.type, field.default ?? null);
  return out;
}
