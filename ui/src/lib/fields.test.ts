// @vitest-environment node
import type { FieldDef, FieldType, Json } from './api';
import { collectValues, emptyInput, fromInput, initialInputs, isIsoDate, isStoredDate, jsonEqual, parseDate, parseInteger, parseNumber, parseTime, rulesValues, toInput, type InputValue } from './fields';
import contact from '../../../assets/forms/contact.json';
import kase from '../../../assets/forms/case.json';
import encounter from '../../../assets/forms/encounter.json';
import golden from '../../../assets/ipc/field-values.json';
import dates from '../../../assets/ipc/dates.json';

const L = { en: 'x', ko: 'x', 'zh-Hans': 'x' };
const def = (type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({ id: 'f', type, required: false, label: L, ...extra });
const choice = def('single_choice', { options: [{ id: 'a', label: L }, { id: 'b', label: L }] });
const multi = def('multi_choice', { options: [{ id: 'a', label: L }, { id: 'b', label: L }, { id: 'c', label: L }] });

function errorKey(field: FieldDef, input: InputValue): string | null {
  const r = fromInput(field, input);
  return r.ok ? null : r.error.key;
}

describe('validation per field type', () => {
  it('required: blank values are refused only when required', () => {
    const types: FieldType[] = ['text', 'long_text', 'number', 'date', 'single_choice', 'multi_choice', 'location', 'yes_no', 'integer', 'datetime', 'time', 'attachment', 'acknowledge'];
    for (const type of types) {
      expect(errorKey(def(type, { required: true, options: choice.options }), emptyInput(type)), type).toBe('validation.required');
      expect(fromInput(def(type, { options: choice.options }), emptyInput(type)), type).toEqual({ ok: true, value: null });
    }
    expect(errorKey(def('text', { required: true }), '   ')).toBe('validation.required');
  });

  it('number', () => {
    expect(fromInput(def('number'), ' 42 ')).toEqual({ ok: true, value: 42 });
    expect(fromInput(def('number'), '-2.5')).toEqual({ ok: true, value: -2.5 });
    for (const bad of ['abc', '1,5', '12abc', '1.2.3', 'Infinity', '0x10']) {
      expect(errorKey(def('number'), bad), bad).toBe('validation.number');
    }
    expect(parseNumber('1e3')).toBe(1000);
  });

  it('date', () => {
    expect(fromInput(def('date'), '2024-02-29')).toEqual({ ok: true, value: '2024-02-29' });
    // Day-first or month-first orders are ambiguous between the app's languages: refused.
    expect(fromInput(def('date'), '2024-1-1')).toEqual({ ok: true, value: '2024-01-01' });
    for (const bad of ['2023-02-29', '2024-13-01', '01/02/2024', '2024-04-31']) {
      expect(errorKey(def('date'), bad), bad).toBe('validation.date');
    }
    expect(isIsoDate('2000-12-31')).toBe(true);
  });

  it('single and multi choice accept only known options', () => {
    expect(fromInput(choice, 'b')).toEqual({ ok: true, value: 'b' });
    expect(errorKey(choice, 'z')).toBe('validation.choice');
    expect(fromInput(multi, ['c', 'a'])).toEqual({ ok: true, value: ['a', 'c'] });
    expect(errorKey(multi, ['a', 'zz'])).toBe('validation.choice');
  });

  it('location: both parts, numbers, in range', () => {
    const loc = def('location');
    expect(fromInput(loc, { lat: '37.5', lon: '127.0' })).toEqual({ ok: true, value: { lat: 37.5, lon: 127 } });
    expect(fromInput(loc, { lat: '-90', lon: '180' })).toEqual({ ok: true, value: { lat: -90, lon: 180 } });
    expect(errorKey(loc, { lat: '37.5', lon: '' })).toBe('validation.location_both');
    expect(errorKey(loc, { lat: 'north', lon: '1' })).toBe('validation.number');
    expect(errorKey(loc, { lat: '90.01', lon: '0' })).toBe('validation.lat_range');
    expect(errorKey(loc, { lat: '-91', lon: '0' })).toBe('validation.lat_range');
    expect(errorKey(loc, { lat: '0', lon: '180.5' })).toBe('validation.lon_range');
    expect(errorKey(loc, { lat: '0', lon: '-181' })).toBe('validation.lon_range');
  });

  it('yes/no', () => {
    expect(fromInput(def('yes_no'), true)).toEqual({ ok: true, value: true });
    expect(fromInput(def('yes_no'), false)).toEqual({ ok: true, value: false });
  });
});

describe('conversion round trip', () => {
  const cases: [FieldDef, Json][] = [
    [def('text'), 'Ana Kim'],
    [def('long_text'), 'line one\nline two'],
    [def('number'), 3],
    [def('number'), -0.25],
    [def('date'), '1990-07-01'],
    [choice, 'a'],
    [multi, ['a', 'b']],
    [def('location'), { lat: 37.56, lon: 126.97 }],
    [def('yes_no'), true],
    [def('yes_no'), false],
  ];
  it.each(cases)('%# stored → input → stored', (field, value) => {
    const input = toInput(field.type, value);
    expect(fromInput(field, input)).toEqual({ ok: true, value });
  });

  it('shows null as an empty input', () => {
    expect(toInput('location', null)).toEqual({ lat: '', lon: '' });
    expect(toInput('multi_choice', null)).toEqual([]);
    expect(toInput('yes_no', null)).toBeNull();
    expect(toInput('number', null)).toBe('');
  });

  it('inputs survive the trip back', () => {
    expect(toInput('number', fromInput(def('number'), '7.5').ok ? 7.5 : null)).toBe('7.5');
    const r = fromInput(def('location'), { lat: '1.5', lon: '-2' });
    expect(r.ok && toInput('location', r.value)).toEqual({ lat: '1.5', lon: '-2' });
  });
});

describe('collectValues', () => {
  const form = contact as unknown as { fields: FieldDef[] };

  it('sends only non-empty values for a new record, and every error', () => {
    const inputs: Record<string, InputValue> = {
      name: 'Ana',
      household_size: 'four',
      location: { lat: '100', lon: '0' },
      languages: ['en', 'ko'],
    };
    const r = collectValues(form.fields, inputs);
    expect(r.errors).toEqual({
      household_size: { key: 'validation.number' },
      location: { key: 'validation.lat_range' },
    });
    expect(r.values).toEqual({ name: 'Ana', languages: ['ko', 'en'] });
  });

  it('sends only the changed fields on edit, null for a cleared one', () => {
    const initial: Record<string, Json> = { name: 'Ana', alias: 'A', household_size: 4, safe_to_contact: true };
    const inputs: Record<string, InputValue> = {};
    for (const f of form.fields) inputs[f.id] = toInput(f.type, initial[f.id] ?? null);
    expect(collectValues(form.fields, inputs, initial)).toEqual({ values: {}, errors: {} });
    inputs.alias = '';
    inputs.household_size = '5';
    inputs.safe_to_contact = false;
    expect(collectValues(form.fields, inputs, initial).values).toEqual({ alias: null, household_size: 5, safe_to_contact: false });
  });

  it('reports a missing required field of the shipped forms', () => {
    for (const f of [contact, kase, encounter] as unknown as { fields: FieldDef[] }[]) {
      const r = collectValues(f.fields, {});
      const required = f.fields.filter((x) => x.required).map((x) => x.id);
      expect(Object.keys(r.errors).sort()).toEqual(required.sort());
    }
  });

  it('compares JSON deeply', () => {
    expect(jsonEqual([1, [2]], [1, [2]])).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual(null, undefined)).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1 })).toBe(true);
    expect(jsonEqual('1', 1)).toBe(false);
  });
});

// The same file drives src-tauri/tests/commands.rs: what the UI sends is what the
// shell stores and returns, per field type.
describe('golden field values shared with the shell', () => {
  const fields = (contact as { fields: FieldDef[] }).fields;
  const byId = (id: string) => fields.find((f) => f.id === id) as FieldDef;

  it('covers every field type once', () => {
    const types = golden.values.map((v) => v.type).sort();
    expect(types).toEqual(['date', 'location', 'long_text', 'multi_choice', 'number', 'single_choice', 'text', 'yes_no']);
    for (const v of golden.values) expect(byId(v.field).type).toBe(v.type);
  });

  it.each(golden.values)('$type: the form sends exactly the stored shape', (v) => {
    expect(fromInput(byId(v.field), v.typed as InputValue)).toEqual({ ok: true, value: v.stored });
  });

  it.each(golden.values)('$type: a stored value shows in the form and is sent back unchanged', (v) => {
    const field = byId(v.field);
    const input = toInput(field.type, v.stored as Json);
    expect(fromInput(field, input)).toEqual({ ok: true, value: v.stored });
  });

  it('editing another field of a record leaves every stored value alone', () => {
    const initial = Object.fromEntries(golden.values.map((v) => [v.field, v.stored as Json]));
    const inputs = Object.fromEntries(golden.values.map((v) => [v.field, toInput(byId(v.field).type, v.stored as Json)]));
    inputs.name = 'Another name';
    expect(collectValues(fields, inputs, initial)).toEqual({ values: { name: 'Another name' }, errors: {} });
  });
});

describe('dates as people type them', () => {
  it('reads every shared case as the vault does (assets/ipc/dates.json)', () => {
    for (const c of dates.parse) expect(parseDate(c.typed), c.typed).toBe(c.stored);
    for (const bad of dates.refused) expect(parseDate(bad), bad).toBeNull();
    for (const c of dates.parse) expect(isStoredDate(c.stored), c.stored).toBe(true);
  });

  it('keeps a half-typed date as typed and says what is wrong, instead of dropping it', () => {
    const def = { type: 'date' as const, required: false };
    expect(fromInput(def, '1985-0')).toEqual({ ok: false, error: { key: 'validation.date' } });
    expect(fromInput(def, '약 1985년 6월')).toEqual({ ok: true, value: '~1985-06' });
    expect(fromInput(def, '')).toEqual({ ok: true, value: null });
  });
});

describe('the types XLSForm brought', () => {
  it('integer: whole numbers only', () => {
    expect(fromInput(def('integer'), ' 42 ')).toEqual({ ok: true, value: 42 });
    expect(fromInput(def('integer'), '-7')).toEqual({ ok: true, value: -7 });
    expect(fromInput(def('integer'), '+3')).toEqual({ ok: true, value: 3 });
    for (const bad of ['2.5', '3.0', '1e3', 'abc', '12abc', '0x10', '9007199254740993', '½']) {
      expect(errorKey(def('integer'), bad), bad).toBe('validation.integer');
    }
    expect(parseInteger('007')).toBe(7);
  });

  it('time: H:MM or HH:MM, stored HH:MM', () => {
    expect(fromInput(def('time'), '9:05')).toEqual({ ok: true, value: '09:05' });
    expect(fromInput(def('time'), ' 14:30 ')).toEqual({ ok: true, value: '14:30' });
    expect(fromInput(def('time'), '23:59:30')).toEqual({ ok: true, value: '23:59' });
    expect(parseTime('00:00')).toBe('00:00');
    for (const bad of ['24:00', '12:60', '1430', '14:3', '14.30', 'noon', '123:00', '12:00:61', '-1:00']) {
      expect(errorKey(def('time'), bad), bad).toBe('validation.time');
    }
  });

  it('datetime: a whole date as the date field reads it, and a time', () => {
    const dt = def('datetime');
    expect(emptyInput('datetime')).toEqual({ date: '', time: '' });
    expect(fromInput(dt, { date: '2026-03-01', time: '14:30' })).toEqual({ ok: true, value: '2026-03-01T14:30' });
    expect(fromInput(dt, { date: '2026년 3월 1일', time: '9:05' })).toEqual({ ok: true, value: '2026-03-01T09:05' });
    expect(fromInput(dt, { date: '2026. 3. 1.', time: '09:05' })).toEqual({ ok: true, value: '2026-03-01T09:05' });
    expect(fromInput(dt, { date: '', time: '' })).toEqual({ ok: true, value: null });
    expect(errorKey(def('datetime', { required: true }), { date: ' ', time: '' })).toBe('validation.required');
    expect(errorKey(dt, { date: '2026-03-01', time: '' })).toBe('validation.datetime_both');
    expect(errorKey(dt, { date: '', time: '14:30' })).toBe('validation.datetime_both');
    // Approximate or partial dates are a date field's, not a date and time's.
    for (const date of ['2026-03', '2026', 'about 2026-03-01', '~2026-03-01', '2026-02-30', 'soon']) {
      expect(errorKey(dt, { date, time: '14:30' }), date).toBe('validation.datetime_date');
    }
    expect(errorKey(dt, { date: '2026-03-01', time: '25:00' })).toBe('validation.time');
  });

  it('note: never a value, never required', () => {
    expect(emptyInput('note')).toBe('');
    expect(toInput('note', 'anything')).toBe('');
    expect(fromInput(def('note'), 'typed somehow')).toEqual({ ok: true, value: null });
    expect(fromInput(def('note', { required: true }), '')).toEqual({ ok: true, value: null });
  });

  it('acknowledge: true, or empty (unticked is empty, not false)', () => {
    expect(emptyInput('acknowledge')).toBeNull();
    expect(fromInput(def('acknowledge'), true)).toEqual({ ok: true, value: true });
    expect(fromInput(def('acknowledge'), false)).toEqual({ ok: true, value: null });
    expect(fromInput(def('acknowledge'), null)).toEqual({ ok: true, value: null });
    expect(errorKey(def('acknowledge', { required: true }), false)).toBe('validation.required');
    expect(toInput('acknowledge', true)).toBe(true);
    expect(toInput('acknowledge', false)).toBeNull();
  });

  it('attachment: a file hash or a staged file name, as chosen', () => {
    const hash = 'ab'.repeat(32);
    expect(fromInput(def('attachment'), hash)).toEqual({ ok: true, value: hash });
    expect(fromInput(def('attachment'), 'photo.png')).toEqual({ ok: true, value: 'photo.png' });
    expect(toInput('attachment', hash)).toBe(hash);
  });

  const cases: [FieldDef, Json][] = [
    [def('integer'), 30],
    [def('integer'), -4],
    [def('time'), '07:45'],
    [def('datetime'), '2026-03-01T14:30'],
    [def('acknowledge'), true],
    [def('attachment'), 'cd'.repeat(32)],
  ];
  it.each(cases)('%# stored → input → stored', (field, value) => {
    expect(fromInput(field, toInput(field.type, value))).toEqual({ ok: true, value });
  });

  it('shows a stored value that does not fit as empty, never as something else', () => {
    expect(toInput('datetime', '2026-03-01')).toEqual({ date: '', time: '' });
    expect(toInput('datetime', 5)).toEqual({ date: '', time: '' });
    expect(toInput('integer', 3)).toBe('3');
  });
});

describe('saving with skip logic', () => {
  const L2 = { en: 'x', ko: 'x', 'zh-Hans': 'x' };
  const fields: FieldDef[] = [
    { id: 'name', type: 'text', required: true, label: L2 },
    { id: 'has_children', type: 'single_choice', required: false, label: L2, options: [{ id: 'yes', label: L2 }, { id: 'no', label: L2 }] },
    { id: 'children_count', type: 'integer', required: true, label: L2, section: 'children' },
    { id: 'safety', type: 'note', required: false, label: L2 },
    { id: 'photo', type: 'attachment', required: false, label: L2 },
  ];

  it('leaves a hidden field out of a new record, unchecked even when required', () => {
    const inputs = { name: 'Ana', has_children: 'no', children_count: 'two', safety: '', photo: '' };
    expect(collectValues(fields, inputs, undefined, { hidden: new Set(['children_count']) })).toEqual({
      values: { name: 'Ana', has_children: 'no' },
      errors: {},
    });
    // Shown again, what was typed there counts.
    expect(collectValues(fields, inputs).errors).toEqual({ children_count: { key: 'validation.integer' } });
  });

  it('clears a hidden field on an edit only when it held a value', () => {
    const initial: Record<string, Json> = { name: 'Ana', has_children: 'yes', children_count: 2 };
    const inputs = { name: 'Ana', has_children: 'no', children_count: '2', safety: '', photo: '' };
    expect(collectValues(fields, inputs, initial, { hidden: new Set(['children_count']) }).values).toEqual({
      has_children: 'no',
      children_count: null,
    });
    expect(collectValues(fields, inputs, { name: 'Ana' }, { hidden: new Set(['children_count']) }).values).toEqual({
      has_children: 'no',
    });
  });

  it('never sends a note', () => {
    const r = collectValues(fields, { name: 'Ana', safety: 'x' }, { name: 'Ana', safety: 'old' });
    expect(r.values).toEqual({});
  });

  it('refuses an attachment field naming a file the record does not hold', () => {
    const hidden = new Set(['children_count']);
    const inputs = { name: 'Ana', photo: 'gone.png' };
    expect(collectValues(fields, inputs, undefined, { hidden, attachments: ['photo.png'] }).errors).toEqual({
      photo: { key: 'validation.attachment' },
    });
    expect(collectValues(fields, { name: 'Ana', photo: 'photo.png' }, undefined, { hidden, attachments: ['photo.png'] }).values).toEqual({
      name: 'Ana',
      photo: 'photo.png',
    });
  });

  it('asks the rules about the values that convert now, in their stored shapes', () => {
    const inputs = { name: 'Ana', has_children: 'yes', children_count: 'tw', safety: 'x', photo: '' };
    expect(rulesValues(fields, inputs)).toEqual({ name: 'Ana', has_children: 'yes' });
    // A required field left empty is not a rules question.
    expect(rulesValues(fields, { children_count: '3' })).toEqual({ children_count: 3 });
  });

  it('starts a new record with the defaults', () => {
    const withDefaults: FieldDef[] = [
      { id: 'n', type: 'integer', required: false, label: L2, default: 3 },
      { id: 'd', type: 'datetime', required: false, label: L2, default: '2026-01-02T08:00' },
      { id: 'c', type: 'multi_choice', required: false, label: L2, default: ['a'] },
      { id: 'k', type: 'acknowledge', required: false, label: L2 },
    ];
    expect(initialInputs(withDefaults)).toEqual({ n: '3', d: { date: '2026-01-02', time: '08:00' }, c: ['a'], k: null });
  });
});
