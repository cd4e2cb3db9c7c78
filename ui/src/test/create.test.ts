import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from '../App.svelte';
import { app } from '../lib/app.svelte';
import { loadStrength } from '../lib/strength';
import { callsOf, en, fakeShell } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const KEY = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789';

describe('create flow', () => {
  // The meter's dictionaries load lazily; loading them is not what this tests.
  beforeAll(() => loadStrength(), 60_000);

  it('refuses short and mismatched passphrases, then needs the recovery confirmation', async () => {
    fakeShell({
      vault_state: () => ({ exists: false, unlocked: false, lockReason: null, panicShortcut: 'Ctrl+Shift+X' }),
      vault_create: () => ({ recoveryKey: KEY }),
      settings_get: () => ({ language: null, autoLockMinutes: 10, panicAction: 'lock', panicShortcut: 'Ctrl+Shift+X' }),
      forms_list: () => [],
      records_page: () => ({ total: 0, items: [] }),
    });
    render(App);
    const pass = await screen.findByTestId('passphrase');
    const confirm = screen.getByTestId('passphrase-confirm');
    const submit = screen.getByTestId('create-submit');

    await fireEvent.input(pass, { target: { value: 'short' } });
    await fireEvent.input(confirm, { target: { value: 'short' } });
    expect(Number(screen.getByTestId('strength').getAttribute('data-score'))).toBeLessThanOrEqual(1);
    await fireEvent.click(submit);
    expect(screen.getByTestId('create-error').textContent).toBe(en('create.too_short', { min: 8 }));
    expect(callsOf('vault_create')).toHaveLength(0);

    await fireEvent.input(pass, { target: { value: 'correct horse battery staple' } });
    await waitFor(() => expect(screen.getByTestId('strength').getAttribute('data-score')).toBe('4'));
    await fireEvent.input(confirm, { target: { value: 'correct horse battery stapel' } });
    await fireEvent.click(submit);
    expect(screen.getByTestId('create-error').textContent).toBe(en('create.mismatch'));
    expect(callsOf('vault_create')).toHaveLength(0);

    await fireEvent.input(confirm, { target: { value: 'correct horse battery staple' } });
    await fireEvent.click(submit);
    const key = await screen.findByTestId('recovery-key');
    expect(callsOf('vault_create')[0][1]).toEqual({ passphrase: 'correct horse battery staple' });
    expect(key.textContent).toBe(KEY);

    const typed = screen.getByTestId('recovery-confirm-input');
    await fireEvent.click(screen.getByTestId('recovery-done'));
    expect(app.phase).toBe('recovery');
    await fireEvent.input(typed, { target: { value: '2345' } });
    await fireEvent.click(screen.getByTestId('recovery-done'));
    expect(app.phase).toBe('recovery');
    expect(screen.getByText(en('recovery.mismatch'))).toBeTruthy();
    expect(app.recoveryKey).toBe(KEY);

    await fireEvent.input(typed, { target: { value: ' 67-89 ' } });
    await fireEvent.click(screen.getByTestId('recovery-done'));
    await waitFor(() => expect(app.phase).toBe('app'));
    expect(app.recoveryKey).toBeNull();
    expect(screen.queryByTestId('recovery-key')).toBeNull();
    expect(await screen.findByTestId('nav-records')).toBeTruthy();
  });
});
