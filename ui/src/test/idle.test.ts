// The warning before the idle lock: shown from the guard's count-down, put off by the
// button or any activity, re-translated on a language switch.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { listen } from '@tauri-apps/api/event';
import IdleWarning from '../components/IdleWarning.svelte';
import { app } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import { translate } from '../lib/i18n';
import { callsOf, en, fakeShell } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn() }));

let handlers: Record<string, (e: { payload: unknown }) => void> = {};

beforeEach(() => {
  setLang('en');
  app.phase = 'app';
  handlers = {};
  vi.mocked(listen).mockImplementation((async (name: string, f: (e: { payload: unknown }) => void) => {
    handlers[name] = f;
    return () => {
      delete handlers[name];
    };
  }) as unknown as typeof listen);
  fakeShell({ activity: () => undefined, vault_lock: () => undefined });
});

async function shown() {
  render(IdleWarning);
  await waitFor(() => expect(handlers.idle_warning).toBeTypeOf('function'));
  const warn = (seconds: number | null) => {
    handlers.idle_warning({ payload: { seconds } });
    flushSync();
  };
  return warn;
}

describe('idle warning', () => {
  it('counts down from the guard and goes when the guard puts it off', async () => {
    const warn = await shown();
    expect(screen.queryByTestId('idle-warning')).toBeNull();
    warn(42);
    expect(screen.getByTestId('idle-warning').textContent).toContain(en('idle.warning', { seconds: 42 }));
    expect(screen.getByTestId('idle-warning').getAttribute('role')).toBe('alert');
    warn(1);
    expect(screen.getByTestId('idle-warning').textContent).toContain(en('idle.warning', { seconds: 1 }));
    expect(en('idle.warning', { seconds: 1 })).toContain('1 second.');
    warn(null);
    expect(screen.queryByTestId('idle-warning')).toBeNull();
  });

  it('"Stay unlocked" resets the idle timer at once', async () => {
    const warn = await shown();
    warn(9);
    await fireEvent.click(screen.getByTestId('idle-stay'));
    expect(screen.queryByTestId('idle-warning')).toBeNull();
    expect(callsOf('activity').length).toBeGreaterThanOrEqual(1);
  });

  it('locks at once from its own Lock button, which the banner covers in the top bar', async () => {
    const warn = await shown();
    warn(12);
    await fireEvent.click(screen.getByTestId('idle-lock'));
    expect(callsOf('vault_lock')).toHaveLength(1);
    expect(app.phase).toBe('unlock');
    expect(screen.queryByTestId('idle-warning')).toBeNull();
  });

  it('any key or click puts it off too, and nothing is asked while it is not shown', async () => {
    const warn = await shown();
    await fireEvent.keyDown(window, { key: 'a' });
    expect(callsOf('activity')).toHaveLength(0);
    warn(20);
    await fireEvent.keyDown(document.body, { key: 'a' });
    expect(screen.queryByTestId('idle-warning')).toBeNull();
    expect(callsOf('activity')).toHaveLength(1);
    warn(19);
    await fireEvent.pointerDown(document.body);
    expect(screen.queryByTestId('idle-warning')).toBeNull();
    expect(callsOf('activity')).toHaveLength(2);
  });

  it('is not shown before unlock, and follows a language switch', async () => {
    const warn = await shown();
    app.phase = 'unlock';
    warn(30);
    expect(screen.queryByTestId('idle-warning')).toBeNull();
    app.phase = 'app';
    flushSync();
    setLang('ko');
    flushSync();
    expect(screen.getByTestId('idle-warning').textContent).toContain(translate('ko', 'idle.warning', { seconds: 30 }));
    expect(screen.getByTestId('idle-stay').textContent).toBe(translate('ko', 'idle.stay'));
  });
});
