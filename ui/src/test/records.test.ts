import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import Records from '../screens/Records.svelte';
import { app } from '../lib/app.svelte';
import type { Form, Found } from '../lib/api';
import { setLang } from '../lib/i18n.svelte';
import contact from '../../../assets/forms/contact.json';
import { callsOf, en, fakeShell } from './shell';
import { freshFilter } from '../lib/filters';
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
  snippet: [] as { text: string; hit: boolean }[],
});

function shell() {
  return fakeShell({
    records_page: (args) => {
      const q = (args as { query: { offset: number; limit: number } }).query;
      return { total: TOTAL, items: Array.from({ length: Math.min(q.limit, TOTAL - q.offset) }, (_, i) => row(q.offset + i)) };
    },
    records_search: () => ({ items: [row(5), { ...row(7), updated: '2023-01-01T00:00:00Z' }], more: false }),
    drafts_list: () => [],
    record_authors: () => [],
  });
}

beforeEach(() => {
  setLang('en');
  app.forms = [contact as unknown as Form];
  app.phase = 'app';
  app.route = { name: 'records' };
  app.list = { query: '', form: '', oldestFirst: false, scrollTop: 0, filter: freshFilter() };
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
      record_authors: () => [],
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
    expect(callsOf('records_search')).toEqual([['records_search', { query: 'P', form: null, filter: null }]]);
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
      record_authors: () => [],
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
      { query: 'kim', form: null, filter: null },
      { query: 'kim', form: 'contact', filter: null },
    ]);
    expect(screen.queryByTestId('search-more')).toBeNull();
    expect(screen.getByTestId('records-total').textContent).toContain(en('records.found', { count: '1' }));
  });
  it('lists input kept from unsaved forms, each one opening its form again', async () => {
    fakeShell({
      records_page: () => ({ total: TOTAL, items: [row(0), row(1)] }),
      record_authors: () => [],
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

describe('records filter and snippets', () => {
  const KIM = 'a'.repeat(64);
  function filterShell() {
    return fakeShell({
      drafts_list: () => [],
      record_authors: () => [
        { id: KIM, name: 'Kim (coordinator, this device)' },
        { id: 'b'.repeat(64), name: 'Lee (field)' },
      ],
      records_page: (args) => {
        const f = args.query.filter;
        if (f?.since === '2000') return { total: 0, items: [] };
        return f ? { total: 1, items: [row(3)] } : { total: TOTAL, items: [row(0), row(1)] };
      },
      records_search: () => ({
        items: [
          {
            ...row(5),
            snippet: [
              { text: '<img src=x onerror="window.hacked=1"> 他住在', hit: false },
              { text: '延吉', hit: true },
              { text: '市 <b>bold</b>', hit: false },
            ],
          },
        ],
        more: false,
      }),
    });
  }

  it('filters by author as "Name (role)" in the UI language, says so, and resets in one click', async () => {
    setLang('ko');
    filterShell();
    render(Records);
    await screen.findAllByTestId('record-row');
    const picker = screen.getByTestId('filter-author');
    await fireEvent.click(picker);
    await waitFor(() => expect(screen.getAllByTestId('filter-author-option')).toHaveLength(3));
    const names = screen.getAllByTestId('filter-author-option').map((o) => o.textContent?.trim());
    expect(names.slice(1)).toEqual(['Kim (코디네이터, 이 기기)', 'Lee (현장 활동가)']);
    await fireEvent.click(picker);
    expect(screen.queryByTestId('filters-on')).toBeNull();
    await pick('filter-author', KIM);
    await waitFor(() => expect(callsOf('records_page')).toHaveLength(2));
    const q = callsOf('records_page')[1][1].query;
    expect(q.filter).toMatchObject({ author: KIM, author_did: 'created', since: null, until: null, dated: 'created' });
    expect(typeof q.filter?.utc_offset_minutes).toBe('number');
    await waitFor(() => expect(screen.getAllByTestId('record-row').map((r) => r.getAttribute('data-id'))).toEqual(['id3']));
    expect(screen.getByTestId('filters-on')).toBeTruthy();
    expect(screen.getByTestId('records-total').getAttribute('data-total')).toBe('1');
    await pick('filter-on', 'changed');
    await waitFor(() => expect(callsOf('records_page')).toHaveLength(3));
    expect(callsOf('records_page')[2][1].query.filter).toMatchObject({ author_did: 'changed', dated: 'changed' });
    await fireEvent.click(screen.getByTestId('filters-reset'));
    await waitFor(() => expect(callsOf('records_page')).toHaveLength(4));
    expect(callsOf('records_page')[3][1].query.filter).toBeUndefined();
    expect(screen.queryByTestId('filters-on')).toBeNull();
    expect(picker.getAttribute('data-value')).toBe('');
    setLang('en');
  });

  it('reads dates as typed, keeps a bad one in its field with what is wrong, and says when nothing matches', async () => {
    filterShell();
    render(Records);
    await screen.findAllByTestId('record-row');
    const since = screen.getByTestId('filter-since') as HTMLInputElement;
    await fireEvent.input(since, { target: { value: '2026-13' } });
    await fireEvent.change(since);
    expect(screen.getByTestId('filter-problem').textContent).toBe(en('records.filter_bad_date'));
    expect(since.value).toBe('2026-13');
    expect(since.getAttribute('aria-invalid')).toBe('true');
    expect(callsOf('records_page')).toHaveLength(1);
    await fireEvent.input(since, { target: { value: '2026년 11월' } });
    await fireEvent.change(since);
    await waitFor(() => expect(callsOf('records_page')).toHaveLength(2));
    expect(callsOf('records_page')[1][1].query.filter).toMatchObject({ since: '2026-11', until: null });
    expect(screen.queryByTestId('filter-problem')).toBeNull();
    const until = screen.getByTestId('filter-until') as HTMLInputElement;
    await fireEvent.input(until, { target: { value: '2026-10' } });
    await fireEvent.change(until);
    expect(screen.getByTestId('filter-problem').textContent).toBe(en('records.filter_bad_range'));
    await fireEvent.input(since, { target: { value: '2000' } });
    await fireEvent.change(since);
    await fireEvent.input(until, { target: { value: '' } });
    await fireEvent.change(until);
    await waitFor(() => expect(screen.getByTestId('records-empty').textContent?.trim()).toBe(en('records.filter_empty')));
  });

  it('shows a search snippet with the match marked and record text never as HTML', async () => {
    filterShell();
    render(Records);
    await screen.findAllByTestId('record-row');
    await fireEvent.input(screen.getByTestId('search'), { target: { value: '延吉' } });
    const snippet = await screen.findByTestId('snippet');
    expect(snippet.querySelector('img')).toBeNull();
    expect(snippet.querySelector('b')).toBeNull();
    expect((window as unknown as { hacked?: number }).hacked).toBeUndefined();
    expect(snippet.textContent).toBe('<img src=x onerror="window.hacked=1"> 他住在延吉市 <b>bold</b>');
    const marks = snippet.querySelectorAll('mark');
    expect(Array.from(marks).map((m) => m.textContent)).toEqual(['延吉']);
    // The search carries the filter too.
    expect(callsOf('records_search')[0][1]).toEqual({ query: '延吉', form: null, filter: null });
  });
});
