import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import RecordForm from '../screens/RecordForm.svelte';
import { app, messageText, toast } from '../lib/app.svelte';
import type { Form, Json, Staged } from '../lib/api';
import contact from '../../../assets/forms/contact.json';
import { callsOf, en, fakeShell, reject } from './shell';
import { pick } from './pick';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

beforeEach(() => {
  app.forms = [contact as unknown as Form];
  app.phase = 'app';
  app.route = { name: 'new', form: 'contact' };
});

describe('record form', () => {
  it('shows a required-field error next to the field and does not save', async () => {
    fakeShell({ record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.click(await screen.findByTestId('save-record'));
    const error = screen.getByTestId('field-error-name');
    expect(error.textContent).toBe(en('validation.required'));
    expect(error.hidden).toBe(false);
    const input = screen.getByTestId('field-name');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(error.id);
    expect(callsOf('record_create')).toHaveLength(0);
    // Only the invalid field is marked.
    expect(screen.getByTestId('field-error-alias').hidden).toBe(true);
  });

  it('validates numbers and locations', async () => {
    fakeShell({ record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    await fireEvent.input(screen.getByTestId('field-household_size'), { target: { value: 'four' } });
    await fireEvent.input(screen.getByTestId('field-location-lat'), { target: { value: '95' } });
    await fireEvent.input(screen.getByTestId('field-location-lon'), { target: { value: '10' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    expect(screen.getByTestId('field-error-household_size').textContent).toBe(en('validation.number'));
    expect(screen.getByTestId('field-error-location').textContent).toBe(en('validation.lat_range'));
    expect(callsOf('record_create')).toHaveLength(0);
  });

  it('maps a server invalid_value with a field to that field, otherwise to the form', async () => {
    fakeShell({ record_create: reject('invalid_value', 'field `phone`: longer than 1000 characters', 'phone', { problem: 'too_long', max: 1000 }) });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    await fireEvent.input(screen.getByTestId('field-phone'), { target: { value: '???' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() =>
      expect(screen.getByTestId('field-error-phone').textContent).toBe(
        en('error.code.invalid_value', { field: 'phone', problem: 'too_long', max: 1000 }),
      ),
    );
    expect(screen.getByTestId('field-error-phone').textContent).toBe('This is longer than 1,000 characters.');
    expect(screen.getByTestId('field-phone').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('form-error').textContent).toBe('');

    fakeShell({ record_create: reject('disk_full', 'The disk is full.') });
    await fireEvent.click(screen.getByTestId('save-record'));
    // Fixed-meaning codes are shown in the user's language, not as the shell wrote them.
    await waitFor(() =>
      expect(screen.getByTestId('form-error').textContent).toBe('The disk is full; nothing was changed. Free some space and try again.'),
    );
  });

  it('saves the typed values with their stored shapes', async () => {
    fakeShell({ record_create: () => 'new-id' });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    await fireEvent.input(screen.getByTestId('field-household_size'), { target: { value: '4' } });
    await pick('field-sex', 'female');
    await fireEvent.click(screen.getByTestId('field-languages-ko'));
    await fireEvent.click(screen.getByTestId('field-safe_to_contact'));
    await fireEvent.input(screen.getByTestId('field-location-lat'), { target: { value: '37.5' } });
    await fireEvent.input(screen.getByTestId('field-location-lon'), { target: { value: '127' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(callsOf('record_create')[0][1]).toEqual({
      form: 'contact',
      values: { name: 'Ana', household_size: 4, sex: 'female', languages: ['ko'], safe_to_contact: true, location: { lat: 37.5, lon: 127 } },
      attachments: [],
    });
    await waitFor(() => expect(app.route).toEqual({ name: 'record', id: 'new-id' }));
  });

  it('sends only changed fields when editing', async () => {
    const shown = (id: string, value: Json) => ({
      id,
      label: id,
      link: null,
      values: value === null ? [] : [{ value, display: String(value), op: 'op1', author: 'a b c', time: '2024-01-01T00:00:00Z' }],
    });
    fakeShell({
      record_get: () => ({
        id: 'r9',
        form: 'contact',
        fields: [shown('name', 'Ana'), shown('alias', 'A'), shown('household_size', 3)],
        attachments: [],
        deleted: false,
        delete_conflict: false,
        created: '2024-01-01T00:00:00Z',
        updated: '2024-01-01T00:00:00Z', assigned: [], form_version: 1,
      }),
      record_update: () => undefined,
    });
    render(RecordForm, { props: { recordId: 'r9' } });
    const size = (await screen.findByTestId('field-household_size')) as HTMLInputElement;
    expect(size.value).toBe('3');
    await fireEvent.input(size, { target: { value: '5' } });
    await fireEvent.input(screen.getByTestId('field-alias'), { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_update')).toHaveLength(1));
    expect(callsOf('record_update')[0][1]).toEqual({ id: 'r9', values: { household_size: 5, alias: null }, attachments: [] });
  });

  it('stages attachments and unstages them', async () => {
    fakeShell({
      attachment_stage: () => ({ id: 's1', name: 'photo.png', size: 2048 }),
      attachment_unstage: () => undefined,
      record_create: () => 'r2',
    });
    render(RecordForm, { props: { formName: 'contact' } });
    const input = await screen.findByTestId('attachment-input');
    const file = new File([new Uint8Array([1, 2, 3])], 'photo.png');
    await fireEvent.change(input, { target: { files: [file] } });
    const item = await screen.findByTestId('staged-item');
    expect(item.textContent).toContain('photo.png');
    expect(item.textContent).toContain('2 kB');
    await fireEvent.click(item.querySelector('button')!);
    expect(screen.queryByTestId('staged-item')).toBeNull();
    expect(callsOf('attachment_unstage')[0][1]).toEqual({ id: 's1' });
  });
});

describe('record form drafts', () => {
  const contactDraft = (inputs: Record<string, Json>, files: string[] = []) => ({
    key: 'new:contact',
    savedMs: Date.UTC(2026, 10, 28, 9, 30),
    body: { v: 1, inputs, files },
  });

  it('keeps what is typed as a draft moments after each change, and discards it once saved', async () => {
    fakeShell({ draft_get: () => null, draft_save: () => undefined, draft_discard: () => true, record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: '김민준' } });
    await fireEvent.input(screen.getByTestId('field-household_size'), { target: { value: 'three' } });
    await waitFor(() => {
      const last = callsOf('draft_save').at(-1)?.[1] as { key: string; body: { inputs: Record<string, unknown> } };
      expect(last.key).toBe('new:contact');
      // Kept as typed, even what would not pass validation yet.
      expect(last.body.inputs).toMatchObject({ name: '김민준', household_size: 'three' });
    });
    expect(callsOf('draft_get')[0][1]).toEqual({ key: 'new:contact' });
    const state = screen.getByTestId('draft-state');
    await waitFor(() => expect(state.dataset.state).toBe('kept'));
    expect(state.textContent?.trim()).toBe(en('draft.kept'));
    await fireEvent.input(screen.getByTestId('field-household_size'), { target: { value: '3' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('draft_discard')).toHaveLength(1));
    expect(callsOf('draft_discard')[0][1]).toEqual({ key: 'new:contact' });
    const created = vi.mocked((await import('@tauri-apps/api/core')).invoke).mock.calls.map((c) => c[0]);
    expect(created.lastIndexOf('draft_discard')).toBeGreaterThan(created.indexOf('record_create'));
  });

  it('restores a kept draft with a notice, lists files to add again, and saves it', async () => {
    fakeShell({
      draft_get: () => contactDraft({ name: 'Kept 王芳', notes: 'met at the market', household_size: 'three' }, ['photo.png']),
      draft_save: () => undefined,
      draft_discard: () => true,
      record_create: () => 'r1',
    });
    render(RecordForm, { props: { formName: 'contact' } });
    const notice = await screen.findByTestId('draft-restored');
    expect(notice.getAttribute('role')).toBe('status');
    expect(screen.getByTestId('draft-files').textContent).toBe(en('draft.files_again', { names: 'photo.png' }));
    expect((screen.getByTestId('field-name') as HTMLInputElement).value).toBe('Kept 王芳');
    expect((screen.getByTestId('field-notes') as HTMLTextAreaElement).value).toBe('met at the market');
    // Restoring is not a change: nothing is saved again until the person types.
    expect(callsOf('draft_save')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('field-household_size'), { target: { value: '3' } });
    await waitFor(() => expect(callsOf('draft_save')).toHaveLength(1));
    expect((callsOf('draft_save')[0][1].body as { files: string[] }).files).toEqual(['photo.png']);
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect((callsOf('record_create')[0][1] as { values: unknown }).values).toMatchObject({
      name: 'Kept 王芳',
      notes: 'met at the market',
      household_size: 3,
    });
    await waitFor(() => expect(callsOf('draft_discard')).toHaveLength(1));
  });

  it('discards a restored draft on request, back to the record as saved', async () => {
    fakeShell({
      record_get: () => ({
        id: 'r9',
        form: 'contact',
        fields: [{ id: 'name', label: 'name', values: [{ value: 'Ana', display: 'Ana', op: 'o', author: 'a b c', time: '2024-01-01T00:00:00Z' }], link: null }],
        attachments: [],
        deleted: false,
        delete_conflict: false,
        created: '2024-01-01T00:00:00Z',
        updated: '2024-01-01T00:00:00Z', assigned: [], form_version: 1,
      }),
      draft_get: () => ({ ...contactDraft({ name: 'Ana Kim' }), key: 'record:r9' }),
      draft_save: () => undefined,
      draft_discard: () => true,
    });
    render(RecordForm, { props: { recordId: 'r9' } });
    await screen.findByTestId('draft-restored');
    expect(callsOf('draft_get')[0][1]).toEqual({ key: 'record:r9' });
    expect((screen.getByTestId('field-name') as HTMLInputElement).value).toBe('Ana Kim');
    await fireEvent.click(screen.getByTestId('draft-discard'));
    await waitFor(() => expect(callsOf('draft_discard')).toHaveLength(1));
    expect(callsOf('draft_discard')[0][1]).toEqual({ key: 'record:r9' });
    expect(screen.queryByTestId('draft-restored')).toBeNull();
    expect((screen.getByTestId('field-name') as HTMLInputElement).value).toBe('Ana');
    expect(callsOf('draft_save')).toHaveLength(0);
  });

  it('typing back to what was there discards the draft; Cancel discards it', async () => {
    fakeShell({ draft_get: () => null, draft_save: () => undefined, draft_discard: () => true });
    const { unmount } = render(RecordForm, { props: { formName: 'contact' } });
    const name = await screen.findByTestId('field-name');
    await fireEvent.input(name, { target: { value: 'A' } });
    await waitFor(() => expect(callsOf('draft_save')).toHaveLength(1));
    await fireEvent.input(name, { target: { value: '' } });
    await waitFor(() => expect(callsOf('draft_discard')).toHaveLength(1));
    await fireEvent.input(name, { target: { value: 'B' } });
    await waitFor(() => expect(callsOf('draft_save')).toHaveLength(2));
    await fireEvent.click(screen.getByTestId('cancel-record'));
    await waitFor(() => expect(callsOf('draft_discard')).toHaveLength(2));
    unmount();
  });

  it('says so when the input cannot be kept', async () => {
    fakeShell({ draft_get: () => null, draft_save: reject('disk_full', 'disk full') });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'A' } });
    await waitFor(() => expect(screen.getByTestId('draft-state').dataset.state).toBe('failed'));
    expect(screen.getByTestId('draft-state').textContent?.trim()).toBe('');
    expect(messageText(toast.error)).toBe(en('error.code.disk_full'));
  });

  it('leaving the screen keeps the draft', async () => {
    fakeShell({ draft_get: () => null, draft_save: () => undefined, draft_discard: () => true });
    const { unmount } = render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'half typed' } });
    await waitFor(() => expect(callsOf('draft_save')).toHaveLength(1));
    unmount();
    await new Promise((r) => setTimeout(r, 20));
    expect(callsOf('draft_discard')).toHaveLength(0);
  });
});

describe('record form errors', () => {
  it('hide a field message once the field is changed, and show it again on the next save', async () => {
    fakeShell({ record_create: () => 'new-id' });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    await fireEvent.input(screen.getByTestId('field-household_size'), { target: { value: 'three' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(screen.getByTestId('field-error-household_size').textContent).not.toBe(''));
    await fireEvent.input(screen.getByTestId('field-household_size'), { target: { value: 'thre' } });
    await waitFor(() => expect(screen.getByTestId('field-error-household_size').textContent).toBe(''));
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(screen.getByTestId('field-error-household_size').textContent).not.toBe(''));
    expect(callsOf('record_create')).toHaveLength(0);
  });
});

describe('record form keyboard', () => {
  it('puts the focus in the first field, so the first keystrokes are not lost', async () => {
    fakeShell({ draft_get: () => null, draft_save: () => undefined });
    render(RecordForm, { props: { formName: 'contact' } });
    const first = await screen.findByTestId('field-name');
    await waitFor(() => expect(document.activeElement).toBe(first));
  });

  it('puts the focus on a choice field when it comes first', async () => {
    const caseForm = (await import('../../../assets/forms/case.json')).default as unknown as Form;
    const status = caseForm.fields.find((f) => f.id === 'status')!;
    app.forms = [{ ...caseForm, name: 'triage', fields: [status, ...caseForm.fields.filter((f) => f !== status)] }];
    fakeShell({ draft_get: () => null, draft_save: () => undefined });
    render(RecordForm, { props: { formName: 'triage' } });
    const first = await screen.findByTestId('field-status');
    await waitFor(() => expect(document.activeElement).toBe(first));
    expect(first.getAttribute('role')).toBe('combobox');
  });

  it('leaves with Escape and keeps what was typed as a draft', async () => {
    fakeShell({ draft_get: () => null, draft_save: () => undefined, draft_discard: () => true });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Half typed' } });
    await waitFor(() => expect(callsOf('draft_save')).toHaveLength(1));
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(app.route).toEqual({ name: 'records' }));
    expect(callsOf('draft_discard')).toHaveLength(0);
  });

  it('takes a date as typed, in one field, with the formats it reads shown', async () => {
    fakeShell({ draft_get: () => null, draft_save: () => undefined, record_create: () => 'r9' });
    render(RecordForm, { props: { formName: 'contact' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    const date = screen.getByTestId('field-birth_date') as HTMLInputElement;
    expect(date.type).toBe('text');
    expect(date.placeholder).toBe(en('form.date_placeholder'));
    await fireEvent.input(date, { target: { value: '1985-0' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    expect(screen.getByTestId('field-error-birth_date').textContent).toBe(en('validation.date'));
    expect(date.value).toBe('1985-0');
    expect(callsOf('record_create')).toHaveLength(0);
    await fireEvent.input(date, { target: { value: '약 1985년' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(JSON.stringify(callsOf('record_create')[0][1])).toContain('"birth_date":"~1985"');
  });
});

describe('linking a case to its contact', () => {
  it('searches contacts by name and stores the chosen one by id', async () => {
    const caseForm = (await import('../../../assets/forms/case.json')).default as unknown as Form;
    app.forms = [contact as unknown as Form, caseForm];
    fakeShell({
      draft_get: () => null,
      draft_save: () => undefined,
      records_search: (args) =>
        args.query === '민준' && args.form === 'contact'
          ? { items: [{ id: 'c-1', form: 'contact', title: '김민준 金敏俊', updated: '', deleted: false, conflicts: 0, snippet: [] }], more: false }
          : { items: [], more: false },
      record_get: () => ({
        id: 'c-1', form: 'contact', attachments: [], deleted: false, delete_conflict: false, created: '', updated: '', assigned: [], form_version: 1,
        fields: [{ id: 'name', label: 'Name', link: null, values: [{ value: '김민준 金敏俊', display: '김민준 金敏俊', op: 'o', author: 'a', time: '' }] }],
      }),
      record_create: () => 'case-1',
    });
    render(RecordForm, { props: { formName: 'case' } });
    await fireEvent.input(await screen.findByTestId('field-title'), { target: { value: 'Housing' } });
    await fireEvent.input(screen.getByTestId('field-contact-search'), { target: { value: 'nobody' } });
    await screen.findByTestId('field-contact-none');
    await fireEvent.input(screen.getByTestId('field-contact-search'), { target: { value: '민준' } });
    await fireEvent.click(await screen.findByTestId('field-contact-result'));
    expect((await screen.findByTestId('field-contact-linked')).textContent).toContain('김민준 金敏俊');
    expect(screen.getByTestId('field-contact').getAttribute('data-value')).toBe('c-1');
    await pick('field-status', 'open');
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(JSON.stringify(callsOf('record_create')[0][1])).toContain('"contact":"c-1"');
  });

  it('is no <form> element, and Enter in a field saves as one would', async () => {
    // WebKitGTK keeps part of every <form> element put into the page and taken out
    // again (ADR 0040); the record form comes and goes with every edit.
    fakeShell({ draft_get: () => null, draft_save: () => undefined, record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'contact' } });
    const name = await screen.findByTestId('field-name');
    expect(document.querySelector('form')).toBeNull();
    expect(screen.getByTestId('record-form').getAttribute('role')).toBe('form');
    await fireEvent.input(name, { target: { value: '김민준' } });
    // An input method still composing a word takes its own Enter.
    await fireEvent.keyDown(name, { key: 'Enter', isComposing: true });
    await fireEvent.keyDown(name, { key: 'Enter', keyCode: 229 });
    await fireEvent.keyDown(name, { key: 'Enter', shiftKey: true });
    await fireEvent.keyDown(screen.getByTestId('field-notes'), { key: 'Enter' });
    await new Promise((r) => setTimeout(r, 50));
    expect(callsOf('record_create')).toHaveLength(0);
    await fireEvent.keyDown(name, { key: 'Enter' });
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(JSON.stringify(callsOf('record_create')[0][1])).toContain('김민준');
  });

  it('does not save on Enter or Ctrl+S while a file is still being added', async () => {
    let finish: (v: Staged) => void = () => {};
    fakeShell({
      draft_get: () => null,
      draft_save: () => undefined,
      attachment_stage: () => new Promise<Staged>((r) => (finish = r)),
      record_create: () => 'r1',
    });
    render(RecordForm, { props: { formName: 'contact' } });
    const name = await screen.findByTestId('field-name');
    await fireEvent.input(name, { target: { value: 'Ana' } });
    const file = new File([new Uint8Array([1, 2, 3])], 'photo.png');
    await fireEvent.change(screen.getByTestId('attachment-input'), { target: { files: [file] } });
    await waitFor(() => expect((screen.getByTestId('save-record') as HTMLButtonElement).disabled).toBe(true));
    await fireEvent.keyDown(name, { key: 'Enter' });
    await new Promise((r) => setTimeout(r, 50));
    expect(callsOf('record_create')).toHaveLength(0);
    finish({ id: 's1', name: 'photo.png', size: 3 });
    await screen.findByTestId('staged-item');
    await fireEvent.keyDown(name, { key: 'Enter' });
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(callsOf('record_create')[0][1]).toMatchObject({ attachments: ['s1'] });
  });

  it('does not save on Enter in the search for a linked record', async () => {
    const caseForm = (await import('../../../assets/forms/case.json')).default as unknown as Form;
    app.forms = [contact as unknown as Form, caseForm];
    fakeShell({ draft_get: () => null, draft_save: () => undefined, records_search: () => ({ items: [], more: false }), record_create: () => 'case-1' });
    render(RecordForm, { props: { formName: 'case' } });
    await fireEvent.input(await screen.findByTestId('field-title'), { target: { value: 'Housing' } });
    const search = screen.getByTestId('field-contact-search');
    await fireEvent.input(search, { target: { value: '민준' } });
    await fireEvent.keyDown(search, { key: 'Enter' });
    await new Promise((r) => setTimeout(r, 50));
    expect(callsOf('record_create')).toHaveLength(0);
  });
});
