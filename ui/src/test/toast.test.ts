// Toasts: information times out, errors stay until closed, both follow a language
// switch, and the toast moves off the field being typed in.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import Toast from '../components/Toast.svelte';
import { STATUS_MS, call, clearMessages, messageText, showError, showStatus, toast } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import { translate } from '../lib/i18n';
import { toastEdge, type Box } from '../lib/toastplace';
import { en } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

beforeEach(() => {
  setLang('en');
  clearMessages();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('toast messages', () => {
  it('lets an information toast time out', () => {
    vi.useFakeTimers();
    render(Toast);
    showStatus('form.saved');
    flushSync();
    expect(screen.getByTestId('toast-status').textContent).toBe(en('form.saved'));
    vi.advanceTimersByTime(STATUS_MS - 100);
    flushSync();
    expect(screen.queryByTestId('toast-status')).not.toBeNull();
    vi.advanceTimersByTime(200);
    flushSync();
    expect(screen.queryByTestId('toast-status')).toBeNull();
  });

  it('a newer information toast gets its full time', () => {
    vi.useFakeTimers();
    showStatus('form.saved');
    vi.advanceTimersByTime(STATUS_MS - 100);
    showStatus('view.deleted_done');
    vi.advanceTimersByTime(STATUS_MS - 100);
    expect(toast.status).toEqual({ key: 'view.deleted_done', params: undefined });
  });

  it('keeps an error until it is closed or replaced', async () => {
    vi.useFakeTimers();
    render(Toast);
    showError({ code: 'disk_full', message: 'disk full' });
    vi.advanceTimersByTime(STATUS_MS * 10);
    flushSync();
    expect(screen.getByTestId('toast-error').textContent).toBe(en('error.code.disk_full'));
    showError({ code: 'busy', message: 'busy' });
    flushSync();
    expect(screen.getByTestId('toast-error').textContent).toBe(en('error.code.busy'));
    vi.useRealTimers();
    await fireEvent.click(screen.getByTestId('toast-close'));
    expect(screen.queryByTestId('toast-error')).toBeNull();
  });

  it('re-translates a toast already shown when the language changes', () => {
    render(Toast);
    showStatus('sync.peer_added', { name: 'Mina' });
    flushSync();
    expect(screen.getByTestId('toast-status').textContent).toBe(en('sync.peer_added', { name: 'Mina' }));
    setLang('ko');
    flushSync();
    expect(screen.getByTestId('toast-status').textContent).toBe(translate('ko', 'sync.peer_added', { name: 'Mina' }));
  });

  it("re-translates a shell error already shown, from the error the shell gave", async () => {
    render(Toast);
    await call(() => Promise.reject({ code: 'disk_full', message: 'disk full' }));
    flushSync();
    expect(screen.getByTestId('toast-error').textContent).toBe(en('error.code.disk_full'));
    setLang('zh-Hans');
    flushSync();
    expect(screen.getByTestId('toast-error').textContent).toBe(translate('zh-Hans', 'error.code.disk_full'));
    expect(messageText(toast.error)).toBe(translate('zh-Hans', 'error.code.disk_full'));
  });
});

const box = (top: number, bottom: number, left = 100, right = 700): Box => ({ top, bottom, left, right, height: bottom - top });

describe('toast placement', () => {
  const VH = 800;
  const TOAST = box(740, 784, 200, 600);

  it('stays at the bottom when the field is elsewhere', () => {
    expect(toastEdge(TOAST, box(100, 144), 'bottom', VH)).toBe('bottom');
    expect(toastEdge(TOAST, box(100, 144), 'top', VH)).toBe('bottom');
  });

  it('moves to the top when the focused field is under it', () => {
    expect(toastEdge(TOAST, box(700, 760), 'bottom', VH)).toBe('top');
    expect(toastEdge(TOAST, box(780, 820), 'bottom', VH)).toBe('top');
  });

  it('stays at the bottom when the field is beside the toast, not under it', () => {
    expect(toastEdge(TOAST, box(740, 784, 0, 150), 'bottom', VH)).toBe('bottom');
  });

  it('measures with the toast shown at the top too (same size, other edge)', () => {
    const atTop = box(16, 60, 200, 600);
    expect(toastEdge(atTop, box(700, 760), 'top', VH)).toBe('top');
    expect(toastEdge(atTop, box(300, 340), 'top', VH)).toBe('bottom');
  });

  it('keeps the bottom for a field taller than the window', () => {
    expect(toastEdge(TOAST, box(0, 900), 'bottom', VH)).toBe('bottom');
  });

  it('moves the toast on screen when a field under it takes focus', async () => {
    render(Toast);
    const input = document.createElement('input');
    document.body.appendChild(input);
    showStatus('form.saved');
    flushSync();
    const region = screen.getByTestId('toast');
    region.getBoundingClientRect = () => DOMRect.fromRect({ x: 200, y: 740, width: 400, height: 44 });
    input.getBoundingClientRect = () => DOMRect.fromRect({ x: 100, y: 730, width: 600, height: 44 });
    Object.defineProperty(window, 'innerHeight', { configurable: true, value: VH });
    input.focus();
    await fireEvent.focusIn(input);
    expect(region.dataset.edge).toBe('top');
    expect(region.classList.contains('top')).toBe(true);
    input.getBoundingClientRect = () => DOMRect.fromRect({ x: 100, y: 200, width: 600, height: 44 });
    await fireEvent.scroll(window);
    expect(region.dataset.edge).toBe('bottom');
    input.remove();
  });
});
