// The record form over a form with sections, skip logic and constraints (as an
// imported XLSForm has them): the vault is asked about the rules as the person types
// and on save; the fake shell below stands in for it with the screening form's two
// rules written out by hand (the app itself never evaluates one).
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import RecordForm from '../screens/RecordForm.svelte';
import { app } from '../lib/app.svelte';
import type { Form, JsonValue, RulesCheck } from '../lib/api';
import { setLang } from '../lib/i18n.svelte';
import { callsOf, en, fakeShell, reject, type Handlers } from './shell';
import { pick } from './pick';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const L = (en: string, ko: string, zh: string) => ({ en, ko, 'zh-Hans': zh });

const SCREENING: Form = {
  name: 'screening',
  version: 1,
  label: L('Screening', '선별', '筛查'),
  sections: [{ id: 'children', label: L('Children', '자녀', '子女'), relevant: "${has_children} = 'yes'" }],
  fields: [
    { id: 'name', type: 'text', required: true, label: L('Name', '이름', '姓名'), hint: L('As the person gives it', '본인이 말하는 대로', '按本人所说') },
    {
      id: 'age',
      type: 'integer',
      required: false,
      label: L('Age', '나이', '年龄'),
      constraint: '. >= 0 and . < 120',
      constraint_message: L('Age is 0 to 119', '나이는 0에서 119 사이입니다', '年龄应在0到119之间'),
    },
    {
      id: 'has_children',
      type: 'single_choice',
      required: false,
      label: L('Has children', '자녀가 있습니까', '有子女吗'),
      options: [
        { id: 'yes', label: L('Yes', '예', '是') },
        { id: 'no', label: L('No', '아니요', '否') },
      ],
    },
    { id: 'children_count', type: 'integer', required: true, section: 'children', label: L('How many children', '자녀 수', '子女人数'), constraint: '. > 0 and . <= 20' },
    { id: 'safety', type: 'note', required: false, label: L('Do not write where the person stays tonight.', '오늘 밤 머무는 곳은 적지 마십시오.', '不要写下此人今晚的住处。') },
    { id: 'seen_at', type: 'datetime', required: false, label: L('Seen at', '만난 시각', '见面时间'), default: '2026-03-01T09:00' },
    { id: 'consent', type: 'acknowledge', required: false, label: L('Consent read out', '동의서를 읽어 줌', '已宣读同意书') },
  ],
};

/** The screening form's rules, as the vault would answer them. */
function screeningRules(values: Record<string, JsonValue>): RulesCheck {
  const hidden = values.has_children === 'yes' ? [] : ['children_count'];
  const problems: RulesCheck['problems'] = [];
  const age = values.age;
  if (typeof age === 'number' && !(age >= 0 && age < 120)) problems.push({ field: 'age', problem: 'constraint' });
  const n = values.children_count;
  if (typeof n === 'number') {
    if (hidden.includes('children_count')) problems.push({ field: 'children_count', problem: 'not_relevant' });
    else if (!(n > 0 && n <= 20)) problems.push({ field: 'children_count', problem: 'constraint' });
  }
  return { hidden, problems };
}

function shell(extra: Handlers = {}) {
  return fakeShell({
    draft_get: () => null,
    draft_save: () => undefined,
    draft_discard: () => true,
    form_rules: (args) => screeningRules(args.values),
    ...extra,
  });
}

beforeEach(() => {
  app.forms = [SCREENING];
  app.phase = 'app';
  app.route = { name: 'new', form: 'screening' };
});
afterEach(() => setLang('en'));

describe('a form with rules', () => {
  it('shows a section only when the rules say it applies, under its own heading', async () => {
    shell();
    render(RecordForm, { props: { formName: 'screening' } });
    await screen.findByTestId('field-name');
    // The first answer came before the form showed: the hidden field never flashed up.
    expect(callsOf('form_rules')[0][1]).toEqual({ form: 'screening', values: { seen_at: '2026-03-01T09:00' } });
    // Asked once for those values, not again when the form showed them.
    await new Promise((r) => setTimeout(r, 20));
    expect(callsOf('form_rules')).toHaveLength(1);
    expect(screen.queryByTestId('field-children_count')).toBeNull();
    expect(screen.queryByTestId('section-children')).toBeNull();
    await pick('field-has_children', 'yes');
    const section = await screen.findByTestId('section-children');
    expect(section.querySelector('h2')?.textContent).toBe('Children');
    expect(section.contains(screen.getByTestId('field-children_count'))).toBe(true);
    await pick('field-has_children', 'no');
    await waitFor(() => expect(screen.queryByTestId('section-children')).toBeNull());
  });

  it('shows hints under labels, a note as text to read, and starts with the defaults', async () => {
    shell();
    render(RecordForm, { props: { formName: 'screening' } });
    const name = await screen.findByTestId('field-name');
    const hint = screen.getByTestId('field-name-hint');
    expect(hint.textContent).toBe('As the person gives it');
    expect(name.getAttribute('aria-describedby')).toBe(hint.id);
    const note = screen.getByTestId('field-safety');
    expect(note.textContent).toContain('Do not write where the person stays tonight.');
    expect(note.querySelector('input, textarea')).toBeNull();
    expect((screen.getByTestId('field-seen_at-date') as HTMLInputElement).value).toBe('2026-03-01');
    expect((screen.getByTestId('field-seen_at-time') as HTMLInputElement).value).toBe('09:00');
    expect(screen.getByTestId('field-seen_at-time').getAttribute('inputmode')).toBe('numeric');
  });

  it("says a broken constraint in the form's own words as the person types, and will not save it", async () => {
    setLang('ko');
    shell({ record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'screening' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: '김민준' } });
    await fireEvent.input(screen.getByTestId('field-age'), { target: { value: '130' } });
    await waitFor(() => expect(screen.getByTestId('field-error-age').textContent).toBe('나이는 0에서 119 사이입니다'));
    expect(screen.getByTestId('field-age').getAttribute('aria-invalid')).toBe('true');
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).not.toBe(''));
    expect(callsOf('record_create')).toHaveLength(0);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('field-age')));
    // The language switches: so does the form's message.
    setLang('zh-Hans');
    await waitFor(() => expect(screen.getByTestId('field-error-age').textContent).toBe('年龄应在0到119之间'));
    await fireEvent.input(screen.getByTestId('field-age'), { target: { value: '30' } });
    await waitFor(() => expect(screen.getByTestId('field-error-age').textContent).toBe(''));
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
  });

  it('says a constraint without a message of its own in the app’s words', async () => {
    shell();
    render(RecordForm, { props: { formName: 'screening' } });
    await screen.findByTestId('field-has_children');
    await pick('field-has_children', 'yes');
    await fireEvent.input(await screen.findByTestId('field-children_count'), { target: { value: '0' } });
    await waitFor(() => expect(screen.getByTestId('field-error-children_count').textContent).toBe(en('validation.constraint')));
  });

  it('leaves what a hidden field holds out of a new record, and keeps it in the draft', async () => {
    shell({ record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'screening' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    await pick('field-has_children', 'yes');
    await fireEvent.input(await screen.findByTestId('field-children_count'), { target: { value: '2' } });
    await pick('field-has_children', 'no');
    await waitFor(() => expect(screen.queryByTestId('field-children_count')).toBeNull());
    await waitFor(() => {
      const last = callsOf('draft_save').at(-1)?.[1] as { body: { inputs: Record<string, unknown> } } | undefined;
      expect(last?.body.inputs).toMatchObject({ has_children: 'no', children_count: '2' });
    });
    // Shown again, what was typed there is back.
    await pick('field-has_children', 'yes');
    expect(((await screen.findByTestId('field-children_count')) as HTMLInputElement).value).toBe('2');
    await pick('field-has_children', 'no');
    await waitFor(() => expect(screen.queryByTestId('field-children_count')).toBeNull());
    await fireEvent.click(screen.getByTestId('field-consent'));
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(callsOf('record_create')[0][1]).toEqual({
      form: 'screening',
      values: { name: 'Ana', has_children: 'no', seen_at: '2026-03-01T09:00', consent: true },
      attachments: [],
    });
  });

  it('clears a field the rules now hide on an edit, and sends nothing for one that was empty', async () => {
    const shown = (id: string, value: JsonValue) => ({
      id,
      label: id,
      link: null,
      values: [{ value, display: String(value), op: 'o', author: 'a b c', time: '2026-01-01T00:00:00Z' }],
    });
    shell({
      record_get: () => ({
        id: 'r9', form: 'screening', attachments: [], deleted: false, delete_conflict: false,
        created: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z', assigned: [], form_version: 1,
        fields: [shown('name', 'Ana'), shown('has_children', 'yes'), shown('children_count', 2)],
      }),
      record_update: () => undefined,
    });
    render(RecordForm, { props: { recordId: 'r9' } });
    expect(((await screen.findByTestId('field-children_count')) as HTMLInputElement).value).toBe('2');
    // An edit starts from the record, not from the form's defaults.
    expect((screen.getByTestId('field-seen_at-date') as HTMLInputElement).value).toBe('');
    await pick('field-has_children', 'no');
    await waitFor(() => expect(screen.queryByTestId('field-children_count')).toBeNull());
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_update')).toHaveLength(1));
    expect(callsOf('record_update')[0][1]).toEqual({ id: 'r9', values: { has_children: 'no', children_count: null }, attachments: [] });
  });

  it("shows the vault's refusal of a constraint in the form's words", async () => {
    // The vault checks again on save: a rule it refuses is said as the form says it.
    shell({
      form_rules: () => ({ hidden: ['children_count'], problems: [] }),
      record_create: reject('invalid_value', "field `age`: does not meet the form's rule: Age is 0 to 119", 'age', { problem: 'constraint' }),
    });
    render(RecordForm, { props: { formName: 'screening' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    await fireEvent.input(screen.getByTestId('field-age'), { target: { value: '130' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(screen.getByTestId('field-error-age').textContent).toBe('Age is 0 to 119'));
  });

  it('does not ask the vault about a form without rules', async () => {
    app.forms = [{ ...SCREENING, name: 'plain', sections: [], fields: SCREENING.fields.map((f) => ({ ...f, constraint: undefined, constraint_message: undefined, section: undefined })) }];
    shell({ record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'plain' } });
    await fireEvent.input(await screen.findByTestId('field-name'), { target: { value: 'Ana' } });
    await fireEvent.input(screen.getByTestId('field-children_count'), { target: { value: '3' } });
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(callsOf('form_rules')).toHaveLength(0);
  });
});

describe('attachment fields', () => {
  it("choose among the record's files and those added in the form, by name", async () => {
    const form: Form = {
      name: 'photo', version: 1, label: L('Photo', '사진', '照片'),
      fields: [
        { id: 'name', type: 'text', required: false, label: L('Name', '이름', '姓名') },
        { id: 'id_photo', type: 'attachment', required: false, label: L('ID photo', '신분증 사진', '证件照片') },
      ],
    };
    app.forms = [form];
    shell({ attachment_stage: () => ({ id: 's1', name: 'card.jpg', size: 3 }), attachment_unstage: () => undefined, record_create: () => 'r1' });
    render(RecordForm, { props: { formName: 'photo' } });
    const select = await screen.findByTestId('field-id_photo');
    expect(select.textContent).toContain(en('form.attachment_none'));
    await fireEvent.change(screen.getByTestId('attachment-input'), { target: { files: [new File([new Uint8Array([1])], 'card.jpg')] } });
    await screen.findByTestId('staged-item');
    await pick('field-id_photo', 'card.jpg');
    expect(select.textContent).toContain(en('form.attachment_new', { name: 'card.jpg' }));
    await fireEvent.click(screen.getByTestId('save-record'));
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(callsOf('record_create')[0][1]).toEqual({ form: 'photo', values: { id_photo: 'card.jpg' }, attachments: ['s1'] });
  });
});
