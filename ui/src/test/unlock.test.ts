import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { LOCK_REASONS } from '../lib/api';
import Unlock from '../screens/Unlock.svelte';
import { app } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import { LANG_NAMES, LANGS, translate } from '../lib/i18n';
import { loadStrength } from '../lib/strength';
import { callsOf, en, fakeShell, reject } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

beforeEach(() => {
  app.phase = 'unlock';
  app.lockReason = null;
  setLang('en');
});

// The recovery form's meter loads its dictionaries lazily; not what these test.
beforeAll(() => loadStrength(), 60_000);

describe('unlock screen', () => {
  it('shows a polite wrong-passphrase state, clears and focuses the field', async () => {
    fakeShell({ vault_unlock: reject('wrong_passphrase', 'Wrong passphrase') });
    render(Unlock);
    const input = screen.getByTestId('passphrase') as HTMLInputElement;
    expect(screen.getByTestId('unlock-error').hidden).toBe(true);
    await fireEvent.input(input, { target: { value: 'not my passphrase' } });
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    const error = screen.getByTestId('unlock-error');
    await waitFor(() => expect(error.textContent?.trim()).toBe(en('unlock.wrong')));
    expect(error.hidden).toBe(false);
    expect(error.getAttribute('aria-live')).toBe('polite');
    expect(input.value).toBe('');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    await waitFor(() => expect(document.activeElement).toBe(input));
    expect(callsOf('vault_unlock')[0][1]).toEqual({ passphrase: 'not my passphrase' });
    expect(app.phase).toBe('unlock');
  });

  it('enters the app on the right passphrase, applying the saved language', async () => {
    fakeShell({
      vault_unlock: () => undefined,
      settings_get: () => ({ language: 'ko', autoLockMinutes: 5, panicAction: 'lock', panicShortcut: 'F12' }),
      forms_list: () => [],
    });
    render(Unlock);
    await fireEvent.input(screen.getByTestId('passphrase'), { target: { value: 'right one here' } });
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    await waitFor(() => expect(app.phase).toBe('app'));
    expect(app.settings.panicShortcut).toBe('F12');
    expect(document.documentElement.lang).toBe('ko');
  });

  it('goes back to the form whose input a lock left unsaved', async () => {
    fakeShell({
      vault_unlock: () => undefined,
      settings_get: () => ({ language: null, autoLockMinutes: 5, panicAction: 'lock', panicShortcut: 'Ctrl+Shift+X' }),
      forms_list: () => [],
      drafts_list: () => [
        { key: 'record:r7', form: 'contact', savedMs: 2 },
        { key: 'new:contact', form: 'contact', savedMs: 1 },
      ],
    });
    render(Unlock);
    await fireEvent.input(screen.getByTestId('passphrase'), { target: { value: 'right one here' } });
    await fireEvent.click(screen.getByTestId('unlock-submit'));
    await waitFor(() => expect(app.phase).toBe('app'));
    expect(app.route).toEqual({ name: 'edit', id: 'r7' });
  });

  it('says why the vault was locked, except after the Lock button', () => {
    fakeShell({});
    for (const r of LOCK_REASONS.filter((r) => r !== 'user')) {
      app.lockReason = r;
      const { unmount } = render(Unlock);
      expect(screen.getByTestId('lock-reason').textContent).toContain(en(`unlock.reason.${r}`));
      unmount();
    }
    app.lockReason = 'user';
    render(Unlock);
    expect(screen.queryByTestId('lock-reason')).toBeNull();
  });

  it('switches language instantly before unlock, without saving it', async () => {
    fakeShell({});
    app.lockReason = 'idle';
    render(Unlock);
    await fireEvent.click(screen.getByRole('radio', { name: LANG_NAMES['zh-Hans'] }));
    expect(screen.getByTestId('lock-reason').textContent).toContain(translate('zh-Hans', 'unlock.reason.idle'));
    expect(screen.getByTestId('unlock-submit').textContent?.trim()).toBe(translate('zh-Hans', 'unlock.submit'));
    expect(document.documentElement.lang).toBe('zh-Hans');
    expect(callsOf('settings_set')).toHaveLength(0);
  });

  it('offers the languages in the page, not in a select menu GTK draws with system fonts', () => {
    fakeShell({});
    render(Unlock);
    const group = screen.getByRole('radiogroup', { name: en('common.language') });
    for (const lang of LANGS) {
      const radio = within(group).getByRole('radio', { name: LANG_NAMES[lang] });
      expect(radio.closest('[lang]')?.getAttribute('lang')).toBe(lang);
    }
    expect(document.querySelector('select')).toBeNull();
  });

  it('recovers with the recovery key', async () => {
    fakeShell({ vault_recover: () => undefined, settings_get: () => ({ language: null, autoLockMinutes: 5, panicAction: 'lock', panicShortcut: 'Ctrl+Shift+X' }), forms_list: () => [] });
    render(Unlock);
    await fireEvent.click(screen.getByTestId('use-recovery'));
    await fireEvent.input(screen.getByTestId('recover-key'), { target: { value: 'AAAA-BBBB' } });
    await fireEvent.input(screen.getByTestId('recover-passphrase'), { target: { value: 'a new long passphrase' } });
    // Typed once, or twice differently: refused before anything is sent.
    await fireEvent.click(screen.getByTestId('recover-submit'));
    expect(screen.getByTestId('recover-error').textContent).toBe(en('create.mismatch'));
    await fireEvent.input(screen.getByTestId('recover-confirm'), { target: { value: 'a new long passphrasf' } });
    await fireEvent.click(screen.getByTestId('recover-submit'));
    expect(screen.getByTestId('recover-error').textContent).toBe(en('create.mismatch'));
    expect(callsOf('vault_recover')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('recover-confirm'), { target: { value: 'a new long passphrase' } });
    await fireEvent.click(screen.getByTestId('recover-submit'));
    await waitFor(() => expect(app.phase).toBe('app'));
    expect(callsOf('vault_recover')[0][1]).toEqual({ recoveryKey: 'AAAA-BBBB', newPassphrase: 'a new long passphrase' });
  });
});
