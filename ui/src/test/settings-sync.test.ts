import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import Settings from '../screens/Settings.svelte';
import Sync from '../screens/Sync.svelte';
import { DEFAULT_SETTINGS, app, messageText, showStatus, toast } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import { LANG_NAMES, LANGS, translate } from '../lib/i18n';
import { callsOf, en, fakeShell, reject, type Handler, type Handlers } from './shell';
import { pick } from './pick';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const INFO = {
  keyslots_format: 1, schema_version: 1, cipher_version: 'v1', fingerprint: 'apple banana cherry', fingerprint_hex: 'ab',
  records: 12, deleted_records: 1, ops: 40, attachments: 2, kdf: { profile: 'x', m_kib: 1, t: 1, p: 1 },
};

beforeEach(() => {
  setLang('en');
  app.phase = 'app';
  app.settings = { ...DEFAULT_SETTINGS };
});

describe('settings', () => {
  function settingsShell(extra: Handlers = {}) {
    return fakeShell({
      settings_get: () => ({ ...DEFAULT_SETTINGS }),
      settings_set: () => undefined,
      vault_info: () => INFO,
      ...extra,
    });
  }

  it('switches the language at once and saves it', async () => {
    settingsShell();
    render(Settings);
    await fireEvent.click(await screen.findByTestId('language-ko'));
    expect(document.documentElement.lang).toBe('ko');
    expect(screen.getByTestId('settings-saved').textContent?.trim()).toBe(translate('ko', 'settings.saved'));
    await waitFor(() => expect(callsOf('settings_set')).toHaveLength(1));
    expect((callsOf('settings_set')[0][1] as { settings: { language: string } }).settings.language).toBe('ko');
    // The device's fingerprint words follow the language.
    await waitFor(() => expect(callsOf('vault_info').map((c) => c[1].lang)).toEqual(['en', 'ko']));
  });

  it('offers the languages in the page, not in a select menu GTK draws with system fonts', async () => {
    settingsShell();
    render(Settings);
    const group = await screen.findByRole('group', { name: en('common.language') });
    for (const lang of LANGS) {
      const radio = within(group).getByRole('radio', { name: LANG_NAMES[lang] });
      expect(radio.closest('[lang]')?.getAttribute('lang')).toBe(lang);
    }
    expect(within(group).getByRole('radio', { name: en('settings.language_system') })).toBeTruthy();
    expect(document.querySelector('select option[lang]')).toBeNull();
  });

  it('re-translates a confirmation and a result already shown when the language changes', async () => {
    settingsShell({ passphrase_change: reject('wrong_passphrase', 'wrong passphrase') });
    render(Settings);
    showStatus('form.saved');
    await fireEvent.input(await screen.findByTestId('pass-current'), { target: { value: 'nope' } });
    await fireEvent.click(screen.getByTestId('pass-submit'));
    const result = await screen.findByTestId('pass-result');
    await waitFor(() => expect(result.textContent?.trim()).toBe(en('create.too_short', { min: 8 })));
    await fireEvent.click(await screen.findByTestId('language-zh-Hans'));
    expect(messageText(toast.status)).toBe(translate('zh-Hans', 'form.saved'));
    expect(result.textContent?.trim()).toBe(translate('zh-Hans', 'create.too_short', { min: 8 }));
    await waitFor(() => expect(callsOf('settings_set')).toHaveLength(1));
  });

  it('applies auto-lock, panic action and shortcut as each is chosen, with no Save button', async () => {
    settingsShell();
    render(Settings);
    expect(screen.queryByTestId('settings-save')).toBeNull();
    await fireEvent.input(await screen.findByTestId('autolock'), { target: { value: '15' } });
    await fireEvent.change(screen.getByTestId('autolock'));
    await waitFor(() => expect(callsOf('settings_set')).toHaveLength(1));
    expect(callsOf('settings_set')[0][1]).toEqual({
      settings: { language: null, autoLockMinutes: 15, panicAction: 'lock', panicShortcut: DEFAULT_SETTINGS.panicShortcut },
    });
    await waitFor(() => expect(screen.getByTestId('settings-saved').textContent?.trim()).toBe(en('settings.saved')));
    await fireEvent.click(screen.getByTestId('panic-action-wipe'));
    await waitFor(() => expect(callsOf('settings_set')).toHaveLength(2));
    expect((callsOf('settings_set')[1][1] as { settings: { panicAction: string } }).settings.panicAction).toBe('wipe');
    await pick('panic-shortcut', 'Ctrl+Alt+L');
    await waitFor(() => expect(callsOf('settings_set')).toHaveLength(3));
    expect(app.settings.panicShortcut).toBe('Ctrl+Alt+L');
    expect(app.settings.panicAction).toBe('wipe');
  });

  it('marks an auto-lock it cannot save as unsaved, and saves nothing', async () => {
    settingsShell();
    render(Settings);
    await fireEvent.input(await screen.findByTestId('autolock'), { target: { value: '999' } });
    await fireEvent.change(screen.getByTestId('autolock'));
    await waitFor(() => expect(screen.getByTestId('settings-saved').textContent?.trim()).toBe(en('settings.unsaved')));
    expect(screen.getByTestId('autolock').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('settings-error').textContent).toBe(en('settings.autolock_range'));
    expect(callsOf('settings_set')).toHaveLength(0);
  });

  it('wipes only after the exact word is typed', async () => {
    settingsShell({ vault_wipe: () => undefined });
    render(Settings);
    await waitFor(() => expect(screen.getByTestId('device-fingerprint').textContent).toBe('apple banana cherry'));
    await fireEvent.click(screen.getByTestId('wipe-open'));
    const input = screen.getByTestId('wipe-confirm-input');
    const submit = screen.getByTestId('wipe-submit') as HTMLButtonElement;
    await fireEvent.input(input, { target: { value: 'wipe' } });
    expect(submit.disabled).toBe(true);
    await fireEvent.click(submit);
    expect(callsOf('vault_wipe')).toHaveLength(0);
    await fireEvent.input(input, { target: { value: 'WIPE' } });
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);
    await waitFor(() => expect(callsOf('vault_wipe')).toEqual([['vault_wipe', { confirm: 'WIPE' }]]));
  });

  it('asks for the wipe word in the UI language, as an input method types it', async () => {
    setLang('ko');
    settingsShell({ vault_wipe: () => undefined });
    render(Settings);
    await fireEvent.click(await screen.findByTestId('wipe-open'));
    expect(document.body.textContent).toContain(translate('ko', 'wipe.type', { word: '삭제' }));
    const submit = screen.getByTestId('wipe-submit') as HTMLButtonElement;
    await fireEvent.input(screen.getByTestId('wipe-confirm-input'), { target: { value: '삭제' } });
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);
    await waitFor(() => expect(callsOf('vault_wipe')).toEqual([['vault_wipe', { confirm: '삭제' }]]));
    setLang('en');
  });

  it('reports a wrong current passphrase when changing it', async () => {
    settingsShell({ passphrase_change: reject('wrong_passphrase', 'Wrong passphrase') });
    render(Settings);
    await fireEvent.input(await screen.findByTestId('pass-current'), { target: { value: 'old one' } });
    await fireEvent.input(screen.getByTestId('pass-new'), { target: { value: 'a brand new passphrase' } });
    await fireEvent.input(screen.getByTestId('pass-confirm'), { target: { value: 'a brand new passphrase' } });
    await fireEvent.click(screen.getByTestId('pass-submit'));
    await waitFor(() => expect(screen.getByTestId('pass-result').textContent?.trim()).toBe(en('settings.current_wrong')));
  });

  it('re-encrypts with the current passphrase and shows the new recovery key once', async () => {
    settingsShell({ vault_rekey: () => ({ recoveryKey: 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789' }) });
    render(Settings);
    await fireEvent.click(await screen.findByTestId('rekey-submit'));
    expect(screen.getByTestId('rekey-result').textContent?.trim()).toBe(en('settings.current_missing'));
    expect(callsOf('vault_rekey')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('rekey-current'), { target: { value: 'the passphrase' } });
    await fireEvent.click(screen.getByTestId('rekey-submit'));
    await waitFor(() => expect(app.phase).toBe('recovery'));
    expect(callsOf('vault_rekey')).toEqual([['vault_rekey', { current: 'the passphrase' }]]);
    expect(app.recoveryKey).toBe('ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789');
    expect((screen.getByTestId('rekey-current') as HTMLInputElement).value).toBe('');
  });

  it('opens the decoy to prepare it, and hides that section while in it', async () => {
    settingsShell({ decoy_open: () => undefined, forms_list: () => [], drafts_list: () => [] });
    app.decoy = false;
    const view = render(Settings);
    await fireEvent.input(await screen.findByTestId('decoy-current'), { target: { value: 'the passphrase' } });
    await fireEvent.click(screen.getByTestId('decoy-submit'));
    await waitFor(() => expect(app.decoy).toBe(true));
    expect(callsOf('decoy_open')).toEqual([['decoy_open', { current: 'the passphrase' }]]);
    expect(app.phase).toBe('app');
    view.unmount();
    render(Settings);
    await screen.findByTestId('rekey-current');
    expect(screen.queryByTestId('decoy-current')).toBeNull();
    app.decoy = false;
  });

  it('reports a wrong passphrase when re-encrypting', async () => {
    settingsShell({ vault_rekey: reject('wrong_passphrase', 'Wrong passphrase') });
    render(Settings);
    await fireEvent.input(await screen.findByTestId('rekey-current'), { target: { value: 'not it' } });
    await fireEvent.click(screen.getByTestId('rekey-submit'));
    await waitFor(() => expect(screen.getByTestId('rekey-result').textContent?.trim()).toBe(en('settings.current_wrong')));
    expect(app.phase).toBe('app');
  });
});

describe('sync', () => {
  function syncShell(importer?: Handler<'bundle_import'>) {
    return fakeShell({
      identity_get: () => ({ card: 'satchel-card-1 AAAA', fingerprint: 'red green blue', fingerprint_hex: 'ff' }),
      peers_list: () => [{ name: 'mina', fingerprint: 'one two three', verified: false }],
      sync_status: () => [{ name: 'mina', acknowledged: 3, waiting: 1 }],
      drives_list: () => [{ id: 'd1', label: 'USB' }],
      relays_list: () => [],
      sync_policy_get: () => ({ auto: false, every_minutes: 30, proxy: null, proxy_only: false, windows: [], quiet_after_unlock_minutes: 0 }),
      sync_last: () => null,
      bundle_export_drive: () => ({ file: 'b1.satchel', ops: 4, size: 2048 }),
      bundle_import: importer,
      quarantine_list: () => held,
      quarantine_get: (args) => {
        const entry = held.find((e) => e.id === args?.id) ?? ENTRY;
        return { entry, form: 'contact', fields: { 'na\u0000me\u202e': 'x\u202egpj.exe', household_size: { n: 4 } } };
      },
      task_cancel: () => {
        onCancel();
      },
      quarantine_drop: (args) => {
        held = held.filter((e) => e.id !== args?.id);
        return undefined;
      },
    });
  }

  let onCancel: () => void = () => undefined;

  it('stops an import in progress with Stop, which changes nothing', async () => {
    syncShell(
      () =>
        new Promise((_, reject) => {
          onCancel = () => reject({ code: 'cancelled', message: 'stopped before it finished; nothing was changed' });
        }),
    );
    render(Sync);
    const file = new File([new Uint8Array([1, 2])], 'x.satchel');
    await fireEvent.change(screen.getByTestId('import-input'), { target: { files: [file] } });
    await fireEvent.click(await screen.findByTestId('import-cancel'));
    expect(callsOf('task_cancel').length).toBe(1);
    await waitFor(() => expect(screen.queryByTestId('import-cancel')).toBeNull());
    expect(screen.queryByTestId('import-result')).toBeNull();
    // Stopped by the user, not refused: said as such.
    expect(screen.queryByTestId('import-error')).toBeNull();
    expect(screen.getByTestId('import-cancelled').textContent?.trim()).toBe(en('sync.import_cancelled'));
  });

  const ENTRY = {
    id: 'ab'.repeat(32), reason: 'invalid', detail: 'form `contact` has no field `na\u0000me\u202e`', author: 'one-two-three',
    seq: 1, record: '01234567-89ab-cdef-0123-456789abcdef', kind: 'write', time: '2026-11-30T00:00:00Z', size: 300,
    imports_waited: 2, imports_left: 98,
  };
  let held: (typeof ENTRY)[] = [];
  beforeEach(() => {
    held = [];
  });

  it('shows the identity card, exports to a drive for the chosen peers', async () => {
    syncShell();
    render(Sync);
    await waitFor(() => expect((screen.getByTestId('identity-card') as HTMLTextAreaElement).value).toBe('satchel-card-1 AAAA'));
    expect(screen.getByTestId('fingerprint').textContent).toBe('red green blue');
    await fireEvent.click(await screen.findByTestId('export-peer-mina'));
    await waitFor(() => expect(screen.getByTestId('drive-select').dataset.value).toBe('d1'));
    await fireEvent.click(screen.getByTestId('export-submit'));
    const result = await screen.findByTestId('export-result');
    expect(callsOf('bundle_export_drive')[0][1]).toEqual({ peers: ['mina'], drive: 'd1' });
    expect(result.textContent).toContain('b1.satchel');
    expect(result.textContent).toContain('2 kB');
  });

  it('summarises an import', async () => {
    syncShell(() => ({ applied: 5, already_known: 2, quarantined: 1, forks: 0, invalid: 0, refused: 0, forms_refused: 0, dropped: 0, conflicts_created: 3, offloaded: 0, already_imported: false, from: "field office" }));
    render(Sync);
    const file = new File([new Uint8Array([1, 2])], 'x.satchel');
    await fireEvent.change(screen.getByTestId('import-input'), { target: { files: [file] } });
    const result = await screen.findByTestId('import-result');
    expect(result.getAttribute('data-applied')).toBe('5');
    expect(result.getAttribute('data-quarantined')).toBe('1');
    expect(result.getAttribute('data-conflicts')).toBe('3');
    expect(result.textContent).toContain(en('sync.import_applied', { count: '5' }));
  });

  it('lists the quarantine with a peer\'s text shown as escapes, opens and drops an entry', async () => {
    held = [ENTRY, { ...ENTRY, id: 'cd'.repeat(32), reason: 'waiting', detail: '' }];
    syncShell(() => ({ applied: 0, already_known: 0, quarantined: 0, forks: 0, invalid: 0, refused: 0, forms_refused: 0, dropped: 0, conflicts_created: 0, offloaded: 0, already_imported: false, from: "field office" }));
    render(Sync);
    const rows = await screen.findAllByTestId('quarantine-row');
    expect(rows.map((r) => r.getAttribute('data-reason'))).toEqual(['invalid', 'waiting']);
    expect(rows[0].textContent).toContain(en('quarantine.reason.invalid'));
    const detail = screen.getByTestId('quarantine-detail');
    expect(detail.textContent).toBe('form `contact` has no field `na\\u{0}me\\u{202e}`');
    expect(detail.querySelector('bdi')).not.toBeNull();
    await fireEvent.click(screen.getAllByTestId('quarantine-show')[0]);
    const values = await screen.findByTestId('quarantine-values');
    expect(values.textContent).toContain('na\\u{0}me\\u{202e}');
    expect(values.textContent).toContain('x\\u{202e}gpj.exe');
    expect(values.textContent).toContain('{"n":4}');
    expect(values.textContent).not.toMatch(/[\u0000\u202e]/u);
    await fireEvent.click(screen.getAllByTestId('quarantine-drop')[0]);
    await waitFor(() => expect(screen.getAllByTestId('quarantine-row')).toHaveLength(1));
    expect(callsOf('quarantine_drop')[0][1]).toEqual({ id: ENTRY.id });
  });

  it('says how many changes an import set aside, and reads the quarantine again', async () => {
    syncShell(() => {
      held = [ENTRY];
      return { applied: 1, already_known: 0, quarantined: 0, forks: 1, invalid: 1, refused: 1, forms_refused: 2, dropped: 0, conflicts_created: 0, offloaded: 0, already_imported: false, from: "field office" };
    });
    render(Sync);
    await screen.findByTestId('quarantine-empty');
    const file = new File([new Uint8Array([1, 2])], 'x.satchel');
    await fireEvent.change(screen.getByTestId('import-input'), { target: { files: [file] } });
    const result = await screen.findByTestId('import-result');
    expect(result.getAttribute('data-set-aside')).toBe('3');
    expect(screen.getByTestId('import-set-aside').textContent).toBe(en('sync.import_set_aside', { count: '3' }));
    expect(screen.getByTestId('import-forms-refused').textContent).toBe(en('sync.import_forms_refused', { count: '2' }));
    await waitFor(() => expect(screen.getAllByTestId('quarantine-row')).toHaveLength(1));
  });

  it('shows a peer name from a card as escapes, isolated', async () => {
    fakeShell({
      identity_get: () => ({ card: 'c', fingerprint: 'f', fingerprint_hex: 'ff' }),
      peers_list: () => [{ name: 'mi\u202ena', fingerprint: 'one two three', verified: true }],
      sync_status: () => [],
      drives_list: () => [],
      quarantine_list: () => [],
    });
    render(Sync);
    const row = await screen.findByTestId('peer-row');
    expect(row.querySelector('bdi')?.textContent).toBe('mi\\u{202e}na');
  });

  it('shows why a bundle was refused, once, in the language of the screen', async () => {
    const english = 'bundle refused: this file is not a bundle addressed to this device (or it is damaged)';
    syncShell(reject('bundle_refused', english, undefined, { reason: 'not_for_us' }));
    render(Sync);
    const file = new File([new Uint8Array([1])], 'x.satchel');
    await fireEvent.drop(screen.getByTestId('import-drop'), { dataTransfer: { files: [file] } });
    const error = await screen.findByTestId('import-error');
    expect(error.textContent).toBe(
      'The bundle was refused: it is not addressed to this device, or it is damaged. Nothing was changed.',
    );
    expect(error.textContent).not.toContain('bundle refused');
    expect(screen.queryByTestId('import-result')).toBeNull();
    // A language switch re-translates it; no English is left.
    setLang('ko');
    await waitFor(() => expect(error.textContent).toMatch(/^묶음 파일을 거부했습니다\. /));
    expect(error.textContent).not.toMatch(/[A-Za-z]/);
    expect(error.textContent?.match(/거부/g)).toHaveLength(1);
    setLang('en');
  });
});
