import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Records from '../screens/Records.svelte';
import { app } from '../lib/app.svelte';
import { freshFilter } from '../lib/filters';
import type { Form } from '../lib/api';
import { setLang } from '../lib/i18n.svelte';
import contact from '../../../assets/forms/contact.json';
import kase from '../../../assets/forms/case.json';
import { callsOf, en, fakeShell } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const row = (id: string, form: string) => ({ id, form, title: id, updated: '2024-05-01T12:00:00Z', deleted: false, conflicts: 0, snippet: [] });

function shell() {
  return fakeShell({
    records_page: () => ({ total: 3, items: [row('c1', 'contact'), row('c2', 'contact'), row('k1', 'case')] }),
    records_search: () => ({ items: [row('c2', 'contact'), row('k1', 'case')], more: false }),
    drafts_list: () => [],
    drives_list: () => [{ id: '0/USB', label: 'USB' }],
    record_authors: () => [],
    records_export_drive: () => ({ records: 1, file: 'contact-2026-11-30.csv' }),
  });
}

beforeEach(() => {
  setLang('en');
  app.forms = [kase as unknown as Form, contact as unknown as Form];
  app.phase = 'app';
  app.route = { name: 'records' };
  app.list = { query: '', form: '', oldestFirst: false, scrollTop: 0, filter: freshFilter() };
});

describe('export for a report', () => {
  it('warns that the file is not encrypted before anything is written, then says what it wrote', async () => {
    shell();
    app.list.query = 'c2';
    render(Records);
    await screen.findAllByTestId('record-row');
    await fireEvent.click(screen.getByTestId('report-open'));
    await fireEvent.click(screen.getByTestId('report-form-contact'));
    // Every field starts ticked; untick all but two.
    for (const f of contact.fields) {
      if (f.id !== 'name' && f.id !== 'sex') await fireEvent.click(screen.getByTestId(`report-field-${f.id}`));
    }
    await fireEvent.click(screen.getByTestId('report-column-created'));
    await fireEvent.click(screen.getByTestId('report-found'));
    expect(screen.getByTestId('report-dialog').textContent).toContain(en('report.found_records', { count: 1 }));
    await fireEvent.click(screen.getByTestId('report-csv'));
    // Radios and checkboxes only (native selects cannot use the bundled fonts).
    expect(screen.getByTestId('report-dialog').querySelector('select')).toBeNull();
    await fireEvent.click(screen.getByTestId('report-next'));
    expect(screen.getByTestId('report-warning-text').textContent).toBe(en('report.warn'));
    expect(callsOf('records_export_drive')).toEqual([]);
    expect(screen.getByTestId('report-warning').querySelector('select')).toBeNull();
    const drive = await screen.findByTestId('report-drive');
    await fireEvent.click(drive);
    await fireEvent.click(screen.getByTestId('report-write'));
    const result = await screen.findByTestId('report-result');
    expect(result.textContent?.trim()).toBe(en('report.done', { count: 1, file: 'contact-2026-11-30.csv' }));
    expect(result.textContent).toContain('Wrote 1 record to');
    expect(callsOf('records_export_drive').map((c) => c[1])).toEqual([
      {
        request: {
          form: 'contact',
          ids: ['c2'],
          fields: ['name', 'sex'],
          columns: { id: true, created: true, changed: false, author: false, attachments: false },
          format: 'csv',
          lang: 'en',
        },
        drive: '0/USB',
      },
    ]);
  });

  it("offers no column for a form's notes, which hold nothing", async () => {
    shell();
    const L = { en: 'x', ko: 'x', 'zh-Hans': 'x' };
    app.forms = [
      {
        name: 'screening', version: 1, label: L,
        fields: [
          { id: 'name', type: 'text', required: true, label: L },
          { id: 'safety', type: 'note', required: false, label: L },
        ],
      },
    ];
    render(Records);
    await screen.findAllByTestId('record-row');
    await fireEvent.click(screen.getByTestId('report-open'));
    await fireEvent.click(screen.getByTestId('report-form-screening'));
    expect(screen.getByTestId('report-field-name')).toBeTruthy();
    expect(screen.queryByTestId('report-field-safety')).toBeNull();
    await fireEvent.click(screen.getByTestId('report-next'));
    await fireEvent.click(await screen.findByTestId('report-drive'));
    await fireEvent.click(screen.getByTestId('report-write'));
    await screen.findByTestId('report-result');
    expect(callsOf('records_export_drive')[0][1].request.fields).toEqual(['name']);
  });

  it('writes what the filters show when a filter is on, and sends the filter itself', async () => {
    shell();
    app.list.filter = { ...freshFilter(), since: '2026-11' };
    render(Records);
    await screen.findAllByTestId('record-row');
    await fireEvent.click(screen.getByTestId('report-open'));
    await fireEvent.click(screen.getByTestId('report-form-contact'));
    // What the list shows is the starting choice; all records remain one click away.
    expect((screen.getByTestId('report-filtered') as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('report-dialog').textContent).toContain(en('report.filtered_records'));
    await fireEvent.click(screen.getByTestId('report-next'));
    await fireEvent.click(await screen.findByTestId('report-drive'));
    await fireEvent.click(screen.getByTestId('report-write'));
    await screen.findByTestId('report-result');
    const [sent] = callsOf('records_export_drive').map((c) => (c[1] as { request: Record<string, unknown> }).request);
    expect(sent.ids).toBeUndefined();
    expect(sent.filter).toMatchObject({ since: '2026-11', until: null, author: null, dated: 'created' });
  });

  it('offers no filtered choice when no filter is on', async () => {
    shell();
    render(Records);
    await screen.findAllByTestId('record-row');
    await fireEvent.click(screen.getByTestId('report-open'));
    expect(screen.queryByTestId('report-filtered')).toBeNull();
    expect((screen.getByTestId('report-all') as HTMLInputElement).checked).toBe(true);
  });

  it('asks for something to write, and cancelling at the warning writes nothing', async () => {
    shell();
    render(Records);
    await screen.findAllByTestId('record-row');
    await fireEvent.click(screen.getByTestId('report-open'));
    await fireEvent.click(screen.getByTestId('report-form-contact'));
    expect(screen.queryByTestId('report-found')).toBeNull();
    for (const f of contact.fields) await fireEvent.click(screen.getByTestId(`report-field-${f.id}`));
    await fireEvent.click(screen.getByTestId('report-column-id'));
    await fireEvent.click(screen.getByTestId('report-next'));
    expect(screen.getByRole('alert').textContent).toBe(en('report.nothing_chosen'));
    await fireEvent.click(screen.getByTestId('report-column-id'));
    await fireEvent.click(screen.getByTestId('report-next'));
    await fireEvent.click(screen.getByTestId('report-cancel'));
    await waitFor(() => expect(screen.queryByTestId('report-warning')).toBeNull());
    expect(callsOf('records_export_drive')).toEqual([]);
    expect(callsOf('records_export_choose')).toEqual([]);
  });
});
