import { debounce, throttle } from './throttle';

describe('throttle', () => {
  it('runs at most once per interval', () => {
    let now = 0;
    const f = vi.fn();
    const ping = throttle(10_000, f, () => now);
    expect(ping()).toBe(true);
    now = 5_000;
    expect(ping()).toBe(false);
    now = 9_999;
    ping();
    expect(f).toHaveBeenCalledTimes(1);
    now = 10_000;
    expect(ping()).toBe(true);
    expect(f).toHaveBeenCalledTimes(2);
  });
});

describe('debounce', () => {
  it('calls once with the last arguments after a pause', () => {
    vi.useFakeTimers();
    const f = vi.fn();
    const d = debounce(150, f);
    d('a');
    vi.advanceTimersByTime(100);
    d('ab');
    vi.advanceTimersByTime(149);
    expect(f).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(f).toHaveBeenCalledWith('ab');
    d('x');
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(f).toHaveBeenCalledTimes(1);
    vi.useRealTimers();
  });
});
