import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from '../App.svelte';
import { DEFAULT_SETTINGS, app, onSessionEnd, recordsCache } from '../lib/app.svelte';
import { liveBlobUrls, makeBlobUrl } from '../lib/blobs';
import { setLang } from '../lib/i18n.svelte';
import { callsOf, fakeShell } from './shell';
import contact from '../../../assets/forms/contact.json';
import type { Form } from '../lib/api';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

function row(i: number) {
  return { id: `id${i}`, form: 'contact', title: `Person ${i}`, updated: '2024-01-01T00:00:00Z', deleted: false, conflicts: 0, snippet: [] };
}

function unlockedShell(shortcut = 'Ctrl+Shift+X') {
  return fakeShell({
    vault_state: () => ({ exists: true, unlocked: true, lockReason: null, panicShortcut: 'Ctrl+Shift+X' }),
    settings_get: () => ({ language: null, autoLockMinutes: 10, panicAction: 'lock', panicShortcut: shortcut }),
    forms_list: () => [],
    records_page: (args) => {
      const q = (args as { query: { offset: number; limit: number } }).query;
      return { total: 1000, items: Array.from({ length: Math.min(q.limit, 1000 - q.offset) }, (_, i) => row(q.offset + i)) };
    },
    vault_lock: () => undefined,
    panic: () => undefined,
    activity: () => undefined,
  });
}

beforeEach(() => {
  setLang('en');
  app.phase = 'loading';
  app.settings = { ...DEFAULT_SETTINGS };
});

describe('lock button', () => {
  it('clears every cache, staged file and blob URL, then calls vault_lock', async () => {
    unlockedShell();
    const revoke = vi.spyOn(URL, 'revokeObjectURL');
    render(App);
    await screen.findAllByTestId('record-row');
    expect(recordsCache.size).toBeGreaterThan(0);
    const url = makeBlobUrl(new Uint8Array([1]), 'image/png');
    const forgotten = vi.fn();
    onSessionEnd(forgotten);
    app.list.query = 'secret name';

    await fireEvent.click(screen.getByTestId('lock-button'));
    await waitFor(() => expect(callsOf('vault_lock')).toHaveLength(1));
    expect(recordsCache.size).toBe(0);
    expect(recordsCache.total).toBeNull();
    expect(liveBlobUrls()).toBe(0);
    expect(revoke).toHaveBeenCalledWith(url);
    expect(forgotten).toHaveBeenCalled();
    expect(app.forms).toEqual([]);
    expect(app.list.query).toBe('');
    expect(app.phase).toBe('unlock');
    expect(screen.queryAllByTestId('record-row')).toHaveLength(0);
    // Cleared before locking, not after.
    const lockOrder = vi.mocked((await import('@tauri-apps/api/core')).invoke).mock.invocationCallOrder.at(-1)!;
    expect(forgotten.mock.invocationCallOrder[0]).toBeLessThan(lockOrder);
  });
});

describe('panic shortcut', () => {
  it('calls panic on Ctrl+Shift+X, even inside an input', async () => {
    unlockedShell();
    render(App);
    const search = await screen.findByTestId('search');
    await fireEvent.keyDown(search, { key: 'X', code: 'KeyX', ctrlKey: true, shiftKey: true });
    await waitFor(() => expect(callsOf('panic')).toHaveLength(1));
    await fireEvent.keyDown(search, { key: 'x', code: 'KeyX', ctrlKey: true });
    await fireEvent.keyDown(window, { key: 'X', code: 'KeyX', shiftKey: true });
    expect(callsOf('panic')).toHaveLength(1);
  });

  it('follows the configured shortcut', async () => {
    unlockedShell('F12');
    render(App);
    await screen.findByTestId('search');
    await fireEvent.keyDown(window, { key: 'X', code: 'KeyX', ctrlKey: true, shiftKey: true });
    expect(callsOf('panic')).toHaveLength(0);
    await fireEvent.keyDown(document.body, { key: 'F12', code: 'F12' });
    await waitFor(() => expect(callsOf('panic')).toHaveLength(1));
  });

  it('works on the unlock screen too', async () => {
    fakeShell({
      vault_state: () => ({ exists: true, unlocked: false, lockReason: null, panicShortcut: 'Ctrl+Shift+X' }),
      panic: () => undefined,
    });
    render(App);
    const pass = await screen.findByTestId('passphrase');
    await fireEvent.keyDown(pass, { key: 'X', code: 'KeyX', ctrlKey: true, shiftKey: true });
    await waitFor(() => expect(callsOf('panic')).toHaveLength(1));
  });

  it('uses the shortcut of the last vault unlocked, even after lock', async () => {
    fakeShell({
      vault_state: () => ({ exists: true, unlocked: false, lockReason: 'idle', wiped: false, panicShortcut: 'F12' }),
      panic: () => undefined,
    });
    render(App);
    const pass = await screen.findByTestId('passphrase');
    await fireEvent.keyDown(pass, { key: 'X', code: 'KeyX', ctrlKey: true, shiftKey: true });
    expect(callsOf('panic')).toHaveLength(0);
    await fireEvent.keyDown(pass, { key: 'F12', code: 'F12' });
    await waitFor(() => expect(callsOf('panic')).toHaveLength(1));
  });
});

describe('activity', () => {
  it('pings the shell at most once every 10 seconds', async () => {
    unlockedShell();
    render(App);
    const search = await screen.findByTestId('search');
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    await fireEvent.keyDown(search, { key: 'a' });
    await fireEvent.pointerDown(search);
    await fireEvent.wheel(search);
    expect(callsOf('activity')).toHaveLength(1);
    now.mockReturnValue(1_010_001);
    await fireEvent.keyDown(search, { key: 'b' });
    expect(callsOf('activity')).toHaveLength(2);
    now.mockRestore();
  });
});

describe('errors', () => {
  it('returns to the unlock screen on vault_locked', async () => {
    fakeShell({
      vault_state: () => ({ exists: true, unlocked: true, lockReason: null, panicShortcut: 'Ctrl+Shift+X' }),
      settings_get: () => ({ language: null, autoLockMinutes: 10, panicAction: 'lock', panicShortcut: 'Ctrl+Shift+X' }),
      forms_list: () => [],
      records_page: () => {
        throw { code: 'vault_locked', message: 'The vault is locked.' };
      },
    });
    render(App);
    await waitFor(() => expect(app.phase).toBe('unlock'));
    expect(await screen.findByTestId('unlock-submit')).toBeTruthy();
    expect(screen.getByTestId('toast').textContent).toContain('The vault is locked.');
  });
});

describe('app shortcuts', () => {
  it('Ctrl+N opens a new record and Ctrl+S saves it through its Save button', async () => {
    const shell = unlockedShell();
    const base = shell.getMockImplementation()!;
    shell.mockImplementation((async (cmd: string, args?: unknown) => {
      if (cmd === 'forms_list') return [contact as unknown as Form];
      if (cmd === 'draft_get') return null;
      if (cmd === 'draft_save' || cmd === 'draft_discard') return undefined;
      if (cmd === 'record_create') return 'r1';
      if (cmd === 'record_get') throw { code: 'not_found', message: 'not found', params: {} };
      return base(cmd, args as Parameters<typeof base>[1]);
    }) as typeof base);
    render(App);
    await screen.findAllByTestId('record-row');
    await fireEvent.keyDown(window, { key: 'n', ctrlKey: true });
    const name = await screen.findByTestId('field-name');
    await fireEvent.input(name, { target: { value: 'Ana' } });
    await fireEvent.keyDown(name, { key: 's', ctrlKey: true });
    await waitFor(() => expect(callsOf('record_create')).toHaveLength(1));
    expect(JSON.stringify(callsOf('record_create')[0][1])).toContain('Ana');
  });
});
