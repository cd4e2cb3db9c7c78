import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Records from '../screens/Records.svelte';
import { app } from '../lib/app.svelte';
import type { Form, Found } from '../lib/api';
import { setLang } from '../lib/i18n.svelte';
import contact from '../../../assets/forms/contact.json';
import { callsOf, en, fakeShell } from './shell';
import { pick } from './pick';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const TOTAL = 100_000;
const row = (i: number) => ({
  id: `id${i}`,
  form: 'contact',
  title: `Person ${i}`,
  updated: '2024-05-01T12:00:00Z',
  deleted: false,
  conflicts: i === 1 ? 2 : 0,
});

function shell() {
  return fakeShell({
    records_page: (args) => {
      const q = (args as { query: { offset: number; limit: number } }).query;
      return { total: TOTAL, items: Array.from({ length: Math.min(q.limit, TOTAL - q.offset) }, (_, i) => row(q.offset + i)) };
    },
    records_search: () => ({ items: [row(5), { ...row(7), updated: '2023-01-01T00:00:00Z' }], more: false }),
    drafts_list: () => [],
  });
}

beforeEach(() => {
  setLang('en');
  app.forms = [contact as unknown as Form];
  app.phase = 'app';
  app.route = { name: 'records' };
  app.list = { query: '', form: '', oldestFirst: false, scrollTop: 0 };
});

describe('records list', () => {
  it('renders a small window of 100,000 records and fetches a single page', async () => {
    shell();
    render(Records);
    await waitFor(() => expect(screen.getByTestId('records-total').textContent).toContain('100,000'));
    const rows = await screen.findAllByTestId('record-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0].getAttribute('data-id')).toBe('id0');
    expect(rows[1].textContent).toContain(en('records.conflicts', { count: '2' }));
    expect(rows[0].textContent).toContain('Contact');
    expect(callsOf('records_page').map((c) => (c[1] as { query: unknown }).query)).toEqual([
      { form: null, offset: 0, limit: 200, oldestFirst: false },
    ]);
  });

  it('moves with the arrow keys and opens with Enter', async () => {
    shell();
    render(Records);
    const rows = await screen.findAllByTestId('record-row');
    rows[0].focus();
    await fireEvent.keyDown(rows[0], { key: 'ArrowDown' });
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement?.getAttribute('data-id')).toBe('id2'));
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    await waitFor(() => expect(document.activeElement?.getAttribute('data-id')).toBe('id1'));
    await fireEvent.keyDown(document.activeElement!, { key: 'Enter' });
    expect(app.route).toEqual({ name: 'record', id: 'id1' });
  });

  it('asks the shell again when the sort or form filter changes', async () => {
    shell();
    render(Records);
    await screen.findAllByTestId('record-row');
    await pick('sort', 'oldest');
    await waitFor(() => expect(callsOf('records_page')).toHaveLength(2));
    expect((callsOf('records_page')[1][1] as { query: { oldestFirst: boolean } }).query.oldestFirst).toBe(true);
    await pick('form-filter', 'contact');
    await waitFor(() => expect(callsOf('records_page')).toHaveLength(3));
    expect((callsOf('records_page')[2][1] as { query: { form: string } }).query.form).toBe('contact');
  });

  it('searches at once as you type, skipping text typed while a search runs', async () => {
    const slow = (ms: number, v: Found) => new Promise<Found>((r) => setTimeout(() => r(v), ms));
    fakeShell({
      drafts_list: () => [],
      records_page: () => ({ total: TOTAL, items: [row(0), row(1)] }),
      records_search: (args) =>
        args.query === 'Per'
          ? slow(20, { items: [row(5), { ...row(7), updated: '2023-01-01T00:00:00Z' }], more: false })
          : slow(20, { items: [row(9)], more: false }),
    });
    render(Records);
    await screen.findAllByTestId('record-row');
    const search = screen.getByTestId('search');
    await fireEvent.input(search, { target: { value: 'P' } });
    // No delay: the first keystroke is already a search.
    expect(callsOf('records_search')).toEqual([['records_search', { query: 'P', form: null }]]);
    await fireEvent.input(search, { target: { value: 'Pe' } });
    await fireEvent.input(search, { target: { value: 'Per' } });
    await waitFor(() => expect(screen.getAllByTestId('record-row')).toHaveLength(2));
    // "Pe" was replaced by "Per" while "P" ran, and "P"'s result never showed.
    expect(callsOf('records_search').map((c) => (c[1] as { query: string }).query)).toEqual(['P', 'Per']);
    expect(screen.getAllByTestId('record-row').map((r) => r.getAttribute('data-id'))).toEqual(['id5', 'id7']);
    await pick('sort', 'oldest');
    await waitFor(() => expect(screen.getAllByTestId('record-row')[0].getAttribute('data-id')).toBe('id7'));
  });

  it('searches within the chosen form, again when it changes, and says when more match', async () => {
    fakeShell({
      drafts_list: () => [],
      records_page: () => ({ total: TOTAL, items: [row(0), row(1)] }),
      records_search: (args) => {
        const { form } = args as { form: string | null };
        return form === 'contact'
          ? { items: [row(3)], more: false }
          : { items: Array.from({ length: 200 }, (_, i) => row(i)), more: true };
      },
    });
    render(Records);
    await screen.findAllByTestId('record-row');
    await fireEvent.input(screen.getByTestId('search'), { target: { value: 'kim' } });
    await waitFor(() => expect(screen.getByTestId('search-more').textContent).toBe(en('records.found_more', { count: '200' })));
    await pick('form-filter', 'contact');
    await waitFor(() => expect(screen.getAllByTestId('record-row').map((r) => r.getAttribute('data-id'))).toEqual(['id3']));
    expect(callsOf('records_search').map((c) => c[1])).toEqual([
      { query: 'kim', form: null },
      { query: 'kim', form: 'contact' },
    ]);
    expect(screen.queryByTestId('search-more')).toBeNull();
    expect(screen.getByTestId('records-total').textContent).toContain(en('records.found', { count: '1' }));
  });
  it('lists input kept from unsaved forms, each one opening its form again', async () => {
    fakeShell({
      records_page: () => ({ total: TOTAL, items: [row(0), row(1)] }),
      drafts_list: () => [
        { key: 'record:id3', form: 'contact', savedMs: Date.UTC(2026, 10, 28, 9, 0) },
        { key: 'new:contact', form: 'contact', savedMs: Date.UTC(2026, 10, 27, 9, 0) },
        { key: 'unknown', form: '?', savedMs: 1 },
      ],
    });
    render(Records);
    const notice = await screen.findByTestId('drafts-notice');
    expect(notice.textContent).toContain(en('draft.list_title'));
    const open = screen.getAllByTestId('draft-open');
    expect(open.map((b) => b.getAttribute('data-key'))).toEqual(['record:id3', 'new:contact']);
    expect(open[0].textContent).toContain('Changes to a Contact record');
    expect(open[1].textContent).toContain('New Contact');
    await fireEvent.click(open[0]);
    expect(app.route).toEqual({ name: 'edit', id: 'id3' });
    await fireEvent.click(open[1]);
    expect(app.route).toEqual({ name: 'new', form: 'contact' });
  });

  it('shows no drafts notice when nothing is kept', async () => {
    shell();
    render(Records);
    await screen.findAllByTestId('record-row');
    expect(callsOf('drafts_list')).toHaveLength(1);
    expect(screen.queryByTestId('drafts-notice')).toBeNull();
  });
});
