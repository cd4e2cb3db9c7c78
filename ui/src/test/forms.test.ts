// The Forms screen: the installed forms, and an XLSForm read (a dry run), shown and
// then installed; published in an organisation; refused with the sheet, row and
// column named; not offered to a field worker.
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import Forms from '../screens/Forms.svelte';
import { DEFAULT_SETTINGS, app, messageText, toast } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import type { Form, MemberView, OrgView, Summary } from '../lib/api';
import contact from '../../../assets/forms/contact.json';
import { callsOf, en, fakeShell, reject } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const CONTACT = contact as unknown as Form;
const SCREENING: Form = {
  name: 'screening',
  version: 1,
  label: { en: 'Screening', ko: '선별', 'zh-Hans': '筛查' },
  fields: [{ id: 'name', type: 'text', required: true, label: { en: 'Name', ko: '이름', 'zh-Hans': '姓名' } }],
};
const SUMMARY: Summary = {
  form: 'screening',
  title: 'Screening',
  version: 1,
  fields: 6,
  sections: 1,
  rules: 3,
  lists: 1,
  languages: [
    { name: 'English (en)', mapped: 'en' },
    { name: '한국어 (ko)', mapped: 'ko' },
    { name: 'Français (fr)' },
  ],
  notes: [
    { code: 'presentation', sheet: 'survey', row: 4, rows: 2, column: 'appearance', construct: 'appearance' },
    { code: 'metadata', sheet: 'survey', row: 2, rows: 1, column: 'type', construct: 'start' },
  ],
};

function member(over: Partial<MemberView>): MemberView {
  return {
    name: 'Min-ji', role: 'coordinator', fingerprint: 'a b c d e f g h', valid_from: '2026-11-30',
    valid_until: '2027-11-30', status: 'active', this_device: true, last_op: 0, ...over,
  };
}
const orgAs = (role: string): OrgView => ({ org: { id: 'ab', name: 'Border Aid' }, members: [member({ role })] });

const xlsx = () => new File([new Uint8Array([0x50, 0x4b, 3, 4])], '선별 조사.xlsx');

beforeEach(() => {
  setLang('en');
  app.phase = 'app';
  app.settings = { ...DEFAULT_SETTINGS };
  app.forms = [CONTACT];
  app.org = null;
});

describe('the Forms screen', () => {
  it('lists the installed forms with version and fields, in the UI language', async () => {
    setLang('ko');
    fakeShell({ forms_list: () => [CONTACT, SCREENING] });
    render(Forms);
    await waitFor(() => expect(screen.getAllByTestId('forms-row')).toHaveLength(2));
    const rows = screen.getAllByTestId('forms-row');
    expect(rows.map((r) => r.dataset.name)).toEqual(['screening', 'contact']);
    expect(within(rows[0]).getByRole('rowheader').textContent).toBe('선별');
    expect(rows[0].textContent).toContain('1');
    expect(rows[1].textContent).toContain(String(CONTACT.fields.length));
  });

  it('reads the file first, shows the summary, then installs it and lists it', async () => {
    let installed = false;
    fakeShell({
      forms_list: () => (installed ? [CONTACT, SCREENING] : [CONTACT]),
      form_import_xlsform: () => SUMMARY,
    });
    render(Forms);
    const input = screen.getByTestId('xlsform-input') as HTMLInputElement;
    expect(input.accept).toBe('.xlsx,.xls');
    expect(input.getAttribute('aria-hidden')).toBe('true');
    expect(screen.getByTestId('xlsform-choose').textContent?.trim()).toBe(en('forms.import_button'));
    await fireEvent.change(input, { target: { files: [xlsx()] } });
    const summary = await screen.findByTestId('xlsform-summary');
    // The dry run: the bytes, the file's name, and the header that keeps it a read.
    const [, body, options] = callsOf('form_import_xlsform')[0];
    expect(body).toBeInstanceOf(Uint8Array);
    expect(options).toEqual({ headers: { 'x-satchel-name': encodeURIComponent('선별 조사.xlsx'), 'x-satchel-dry-run': '1' } });
    expect(summary.textContent).toContain(en('forms.summary_title', { title: 'Screening', version: '1' }));
    expect(within(summary).getByTestId('xlsform-counts').textContent).toContain('6 fields, notes included');
    expect(within(summary).getByTestId('xlsform-counts').textContent).toContain('3 skip-logic and constraint rules');
    const langs = within(summary).getAllByTestId('xlsform-language').map((l) => l.textContent);
    expect(langs).toEqual(['English (en): shown in English', '한국어 (ko): shown in Korean', en('forms.lang_kept', { name: 'Français (fr)' })]);
    const notes = within(summary).getAllByTestId('xlsform-note');
    expect(notes.map((n) => n.dataset.code)).toEqual(['presentation', 'metadata']);
    expect(notes[0].textContent).toContain('Sheet “survey”, row 4, column “appearance” (2 rows in all)');
    expect(notes[1].textContent).toContain('“start” is filled in by ODK itself');
    await waitFor(() => expect(document.activeElement).toBe(summary.querySelector('h2')));
    // Not in an organisation: installed here only.
    expect(screen.getByTestId('xlsform-install').textContent?.trim()).toBe(en('forms.install'));
    installed = true;
    await fireEvent.click(screen.getByTestId('xlsform-install'));
    await waitFor(() => expect(callsOf('form_import_xlsform')).toHaveLength(2));
    expect(callsOf('form_import_xlsform')[1][2]).toEqual({ headers: { 'x-satchel-name': encodeURIComponent('선별 조사.xlsx') } });
    await waitFor(() => expect(app.forms.map((f) => f.name)).toEqual(['contact', 'screening']));
    expect(screen.queryByTestId('xlsform-summary')).toBeNull();
    expect(messageText(toast.status)).toBe(en('forms.installed', { title: 'Screening', version: '1' }));
    await waitFor(() => expect(screen.getAllByTestId('forms-row')).toHaveLength(2));
  });

  it('says that installing publishes the form to the organisation', async () => {
    app.org = orgAs('coordinator');
    fakeShell({ forms_list: () => [CONTACT], form_import_xlsform: () => ({ ...SUMMARY, notes: [] }) });
    render(Forms);
    await fireEvent.change(screen.getByTestId('xlsform-input'), { target: { files: [xlsx()] } });
    await screen.findByTestId('xlsform-summary');
    expect(screen.getByTestId('xlsform-notes-none').textContent).toBe(en('forms.notes_none'));
    expect(screen.getByTestId('xlsform-install').textContent?.trim()).toBe(en('forms.install_publish'));
    await fireEvent.click(screen.getByTestId('xlsform-install'));
    await waitFor(() => expect(messageText(toast.status)).toBe(en('forms.published', { title: 'Screening', version: '1' })));
  });

  it('cancels without installing', async () => {
    fakeShell({ forms_list: () => [CONTACT], form_import_xlsform: () => SUMMARY });
    render(Forms);
    await fireEvent.change(screen.getByTestId('xlsform-input'), { target: { files: [xlsx()] } });
    await screen.findByTestId('xlsform-summary');
    await fireEvent.click(screen.getByTestId('xlsform-cancel'));
    expect(screen.queryByTestId('xlsform-summary')).toBeNull();
    expect(callsOf('form_import_xlsform')).toHaveLength(1);
  });

  it('says why a spreadsheet is refused, where, in the UI language', async () => {
    setLang('ko');
    fakeShell({
      forms_list: () => [CONTACT],
      form_import_xlsform: reject('xlsform', 'sheet `survey`, row 12, column `type`: repeats are not supported', undefined, {
        problem: 'unsupported', construct: 'begin repeat', sheet: 'survey', row: 12, column: 'type',
      }),
    });
    render(Forms);
    await fireEvent.change(screen.getByTestId('xlsform-input'), { target: { files: [xlsx()] } });
    const error = await screen.findByTestId('xlsform-error');
    expect(error.textContent).toBe('“survey” 시트 12행 “type” 열: “begin repeat”은(는) 지원하지 않습니다. 수집하는 내용이 달라지기 때문입니다. 아무것도 설치하지 않았습니다.');
    expect(error.getAttribute('role')).toBe('alert');
    expect(screen.queryByTestId('xlsform-summary')).toBeNull();
    // The screen says it; no toast repeats it.
    expect(toast.error).toBeNull();
  });

  it('is offered in the navigation; installing is not offered to a field worker', async () => {
    const shell = (org: OrgView | null) =>
      fakeShell({
        vault_state: () => ({ exists: true, unlocked: true, lockReason: null, panicShortcut: 'Ctrl+Shift+X' }),
        settings_get: () => ({ language: null, autoLockMinutes: 10, panicAction: 'lock', panicShortcut: 'Ctrl+Shift+X' }),
        forms_list: () => [CONTACT],
        drafts_list: () => [],
        records_page: () => ({ total: 0, items: [] }),
        org_get: () => org,
      });
    for (const [org, install] of [[null, true], [orgAs('coordinator'), true], [orgAs('field'), false]] as const) {
      app.phase = 'loading';
      app.org = undefined;
      shell(org);
      const { unmount } = render(App);
      await fireEvent.click(await screen.findByTestId('nav-forms'));
      await waitFor(() => expect(app.org).not.toBeUndefined());
      expect(screen.getByTestId('nav-forms').getAttribute('aria-current')).toBe('page');
      expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(en('forms.title'));
      await screen.findByTestId('forms-row');
      expect(screen.queryByTestId('xlsform-choose') !== null, JSON.stringify(org)).toBe(install);
      expect(screen.queryByTestId('forms-not-offered') !== null).toBe(!install);
      unmount();
    }
  });
});
