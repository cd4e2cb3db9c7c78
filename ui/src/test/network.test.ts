import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import NetworkSync from '../components/NetworkSync.svelte';
import { DEFAULT_SETTINGS, app } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import { translate } from '../lib/i18n';
import type { SyncPolicy, SyncReport } from '../lib/api';
import { callsOf, en, fakeShell, reject, type Handlers } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const POLICY: SyncPolicy = { auto: false, every_minutes: 30, proxy: null, proxy_only: false, windows: [], quiet_after_unlock_minutes: 0 };
// Built from pieces: no source under src names a remote address.
const RELAY = ['https', '://relay.example.org'].join('');

beforeEach(() => {
  setLang('en');
  app.phase = 'app';
  app.settings = { ...DEFAULT_SETTINGS };
});

function shell(extra: Handlers = {}) {
  let relays: { url: string; mailbox: string }[] = [];
  return fakeShell({
    relays_list: () => relays,
    relay_add: (args) => {
      relays = [{ url: args.url, mailbox: 'abababab' }];
      return relays[0];
    },
    relay_remove: () => {
      relays = [];
    },
    sync_policy_get: () => ({ ...POLICY }),
    sync_policy_set: (args) => args.policy,
    sync_last: () => null,
    ...extra,
  });
}

describe('network sync', () => {
  it('adds a relay from the mailbox its operator gave, and asks for exactly one of mailbox or token', async () => {
    shell();
    render(NetworkSync);
    expect(await screen.findByTestId('no-relays')).toBeTruthy();
    await fireEvent.input(screen.getByTestId('relay-url'), { target: { value: RELAY } });
    await fireEvent.click(screen.getByTestId('relay-add'));
    expect(screen.getByTestId('relay-error').textContent).toBe(en('net.missing'));
    expect(callsOf('relay_add')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('relay-mailbox'), { target: { value: '{"mailbox":"ab"}' } });
    await fireEvent.click(screen.getByTestId('relay-add'));
    await waitFor(() => expect(callsOf('relay_add')).toHaveLength(1));
    expect(callsOf('relay_add')[0][1]).toEqual({ url: RELAY, mailbox: '{"mailbox":"ab"}' });
    const row = await screen.findByTestId('relay-row');
    expect(row.textContent).toContain(RELAY);
    // The fields are emptied: the mailbox's tokens stay nowhere in the page.
    expect((screen.getByTestId('relay-mailbox') as HTMLTextAreaElement).value).toBe('');
  });

  it('says why a relay is refused, in Korean', async () => {
    setLang('ko');
    shell({ relay_add: reject('relay', 'not a mailbox', undefined, { reason: 'bad_mailbox' }) });
    render(NetworkSync);
    await fireEvent.input(await screen.findByTestId('relay-url'), { target: { value: RELAY } });
    await fireEvent.input(screen.getByTestId('relay-mailbox'), { target: { value: 'x' } });
    await fireEvent.click(screen.getByTestId('relay-add'));
    await waitFor(() =>
      expect(screen.getByTestId('relay-error').textContent).toBe(translate('ko', 'error.code.relay', { reason: 'bad_mailbox' })),
    );
  });

  it('marks a policy changed and not saved, then saves it with its hours as a list', async () => {
    shell();
    render(NetworkSync);
    await fireEvent.click(await screen.findByTestId('policy-proxy-only'));
    expect(screen.getByTestId('policy-unsaved').textContent).toBe(en('net.unsaved'));
    await fireEvent.input(screen.getByTestId('policy-proxy'), { target: { value: ' socks5h://127.0.0.1:9050 ' } });
    await fireEvent.input(screen.getByTestId('policy-windows'), { target: { value: '22:00-06:00, 12:00-13:00' } });
    await fireEvent.click(screen.getByTestId('policy-save'));
    await waitFor(() => expect(callsOf('sync_policy_set')).toHaveLength(1));
    expect(callsOf('sync_policy_set')[0][1].policy).toEqual({
      ...POLICY,
      proxy: 'socks5h://127.0.0.1:9050',
      proxy_only: true,
      windows: ['22:00-06:00', '12:00-13:00'],
    });
    await waitFor(() => expect(screen.queryByTestId('policy-unsaved')).toBeNull());
  });

  it('shows a policy refused, in Chinese, and keeps what was typed', async () => {
    setLang('zh-Hans');
    shell({ sync_policy_set: reject('invalid_sync_policy', 'bad window', undefined, { reason: 'window' }) });
    render(NetworkSync);
    await fireEvent.input(await screen.findByTestId('policy-windows'), { target: { value: '25:00-01:00' } });
    await fireEvent.click(screen.getByTestId('policy-save'));
    await waitFor(() =>
      expect(screen.getByTestId('policy-error').textContent).toBe(
        translate('zh-Hans', 'error.code.invalid_sync_policy', { reason: 'window' }),
      ),
    );
    expect((screen.getByTestId('policy-windows') as HTMLInputElement).value).toBe('25:00-01:00');
    expect(screen.getByTestId('policy-unsaved')).toBeTruthy();
  });

  it('reports per peer what went and what came, and what was refused', async () => {
    const report: SyncReport = {
      peers: [
        { name: 'mina', sent_ops: 3, sent_bytes: 70000, resumed: true, received: 2, applied: 5, conflicts_created: 0, no_address: false },
        { name: 'ji-ho', sent_ops: 0, sent_bytes: 0, resumed: false, received: 0, applied: 0, conflicts_created: 0, no_address: true },
      ],
      refused: [{ code: 'bundle_refused', params: { reason: 'not_for_us' }, message: 'bundle refused' }],
      errors: [],
      finished_ms: 1_790_000_000_000,
    };
    shell({ sync_now: () => report, sync_last: () => ({ at_ms: 1_790_000_000_000, complete: false }) });
    render(NetworkSync);
    await fireEvent.click(await screen.findByTestId('sync-now'));
    const rows = await screen.findAllByTestId('sync-peer');
    expect(rows[0].textContent).toContain(en('net.sent', { ops: 3 }) + en('net.resumed'));
    expect(rows[0].textContent).toContain(en('net.received', { bundles: 2, applied: 5 }));
    expect(rows[1].textContent).toContain(en('net.no_address'));
    expect(screen.getByTestId('sync-refused').textContent).toBe(
      en('net.refused', { error: translate('en', 'error.code.bundle_refused', { reason: 'not_for_us' }) }),
    );
    await waitFor(() => expect(screen.getByTestId('last-sync').textContent).toContain('not everything went'));
  });

  it('says plainly when the policy held a sync back, and that nothing was sent', async () => {
    setLang('ko');
    shell({ sync_now: reject('sync_not_allowed', 'not now', undefined, { reason: 'after_unlock', minutes: 7 }) });
    render(NetworkSync);
    await fireEvent.click(await screen.findByTestId('sync-now'));
    await waitFor(() =>
      expect(screen.getByTestId('sync-error').textContent).toBe(
        translate('ko', 'error.code.sync_not_allowed', { reason: 'after_unlock', minutes: 7 }),
      ),
    );
    expect(screen.getByTestId('sync-error').textContent).toContain('7분');
  });
});
