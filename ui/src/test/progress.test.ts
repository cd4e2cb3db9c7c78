import { render, screen, waitFor } from '@testing-library/svelte';
import { listen } from '@tauri-apps/api/event';
import Progress from '../components/Progress.svelte';
import type { Progress as ProgressEvent } from '../lib/api';
import { setLang } from '../lib/i18n.svelte';
import { en } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

describe('progress', () => {
  beforeEach(() => setLang('en'));

  it('shows the phase the shell reports, and a fill only when it is done', async () => {
    let send: ((p: ProgressEvent) => void) | null = null;
    vi.mocked(listen).mockImplementation((async (_name: string, f: (e: { payload: ProgressEvent }) => void) => {
      send = (p) => f({ payload: p });
      return () => {};
    }) as unknown as typeof listen);
    render(Progress, { props: { task: 'import', active: true } });
    await waitFor(() => expect(send).not.toBeNull());
    const bar = () => screen.getByRole('progressbar');
    send!({ task: 'import', phase: 'decrypting' });
    // The shell sends no fraction: no made-up percentage while it works.
    await waitFor(() => expect(bar().getAttribute('aria-valuetext')).toBe(en('progress.decrypting')));
    expect(bar().getAttribute('aria-valuenow')).toBeNull();
    expect(bar().classList.contains('indeterminate')).toBe(true);
    send!({ task: 'unlock', phase: 'done' });
    await new Promise((r) => setTimeout(r, 0));
    expect(bar().getAttribute('aria-valuenow')).toBeNull();
    send!({ task: 'import', phase: 'done' });
    await waitFor(() => expect(bar().getAttribute('aria-valuenow')).toBe('100'));
  });

  it('says why an unlock takes long when the vault is brought up to date', async () => {
    let send: ((p: ProgressEvent) => void) | null = null;
    vi.mocked(listen).mockImplementation((async (_name: string, f: (e: { payload: ProgressEvent }) => void) => {
      send = (p) => f({ payload: p });
      return () => {};
    }) as unknown as typeof listen);
    setLang('ko');
    render(Progress, { props: { task: 'unlock', active: true } });
    await waitFor(() => expect(send).not.toBeNull());
    send!({ task: 'unlock', phase: 'deriving_key' });
    send!({ task: 'unlock', phase: 'upgrading' });
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('보관함을 갱신하는 중'));
  });
});
