// @vitest-environment node
import { applyDraft, draftBody, draftKey, draftRoute, newestDraft } from './drafts';
import type { FieldDef } from './api';

const field = (id: string, type: FieldDef['type']) => ({ id, type }) as FieldDef;
const FIELDS = [field('name', 'text'), field('langs', 'multi_choice'), field('at', 'location'), field('safe', 'yes_no')];
const EMPTY = { name: '', langs: [], at: { lat: '', lon: '' }, safe: null };

describe('drafts', () => {
  it('names a form’s input and reopens it', () => {
    expect(draftKey({ name: 'new', form: 'contact' })).toBe('new:contact');
    expect(draftKey({ name: 'edit', id: 'r1' })).toBe('record:r1');
    expect(draftRoute('new:contact')).toEqual({ name: 'new', form: 'contact' });
    expect(draftRoute('record:r1')).toEqual({ name: 'edit', id: 'r1' });
    for (const bad of ['', 'new:', 'record:', 'contact', 'old:contact']) expect(draftRoute(bad)).toBeNull();
  });

  it('reopens the newest draft it knows', () => {
    const d = (key: string, savedMs: number) => ({ key, form: 'contact', savedMs });
    expect(newestDraft([])).toBeNull();
    expect(newestDraft([d('bogus', 3), d('record:r1', 2), d('new:contact', 1)])).toEqual({ name: 'edit', id: 'r1' });
  });

  it('lays kept input over the form, field by field, where it still fits', () => {
    const body = {
      v: 1,
      inputs: { name: '김민준', langs: ['ko'], at: { lat: '42.9', lon: 'x' }, safe: true, gone: 'field no longer on the form' },
      files: ['photo.png', 3],
    };
    expect(applyDraft(FIELDS, EMPTY, body)).toEqual({
      inputs: { name: '김민준', langs: ['ko'], at: { lat: '42.9', lon: 'x' }, safe: true },
      files: ['photo.png'],
    });
    // A field whose type changed keeps the form's own value.
    expect(applyDraft(FIELDS, EMPTY, { inputs: { name: 5, langs: 'ko', at: [1, 2], safe: 'yes' } }).inputs).toEqual(EMPTY);
    expect(applyDraft(FIELDS, EMPTY, null)).toEqual({ inputs: EMPTY, files: [] });
    expect(applyDraft(FIELDS, EMPTY, ['x'])).toEqual({ inputs: EMPTY, files: [] });
  });

  it('keeps the input of the XLSForm types, hidden fields included, each only in its own shape', () => {
    const fields = [field('when', 'datetime'), field('at', 'time'), field('ok', 'acknowledge'), field('photo', 'attachment'), field('count', 'integer')];
    const empty = { when: { date: '', time: '' }, at: '', ok: null, photo: '', count: '' };
    const kept = { when: { date: '2026-03-01', time: '14:3' }, at: '9:0', ok: true, photo: 'photo.png', count: '3' };
    expect(applyDraft(fields, empty, { inputs: kept }).inputs).toEqual(kept);
    // A location where a date and time now is, or a date and time where a location is: not laid over.
    expect(applyDraft(fields, empty, { inputs: { when: { lat: '1', lon: '2' } } }).inputs).toEqual(empty);
    expect(applyDraft(FIELDS, EMPTY, { inputs: { at: { date: '2026-03-01', time: '14:30' } } }).inputs).toEqual(EMPTY);
  });

  it('makes plain data of the input', () => {
    const inputs = { name: 'a', at: { lat: '1', lon: '2' } };
    const body = draftBody(inputs, ['f.png']);
    expect(body).toEqual({ v: 1, inputs, files: ['f.png'] });
    expect(body.inputs).not.toBe(inputs);
  });
});
