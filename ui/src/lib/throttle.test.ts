// @vitest-environment node
import { latest, throttle } from './throttle';

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

/** A search whose calls finish only when the test says so. */
function controlled() {
  const calls: { arg: string; finish: (r: string) => void; fail: () => void }[] = [];
  const work = (arg: string) =>
    new Promise<string>((resolve, reject) => {
      calls.push({ arg, finish: resolve, fail: () => reject(new Error('x')) });
    });
  return { calls, work };
}
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('latest', () => {
  it('starts at once, with no delay', () => {
    const { calls, work } = controlled();
    const l = latest(work, () => {});
    l.push('a');
    expect(calls.map((c) => c.arg)).toEqual(['a']);
  });

  it('runs one at a time and skips to the newest argument', async () => {
    const { calls, work } = controlled();
    const applied: [string, string][] = [];
    const l = latest(work, (a, r) => applied.push([a, r]));
    l.push('m');
    l.push('ma');
    l.push('mar');
    l.push('mark');
    expect(calls.map((c) => c.arg)).toEqual(['m']);
    calls[0].finish('for m');
    await settle();
    // The result for "m" is stale: "mark" was waiting, so it runs and "m" is not shown.
    expect(applied).toEqual([]);
    expect(calls.map((c) => c.arg)).toEqual(['m', 'mark']);
    calls[1].finish('for mark');
    await settle();
    expect(applied).toEqual([['mark', 'for mark']]);
  });

  it('applies each result when nothing newer waits', async () => {
    const { calls, work } = controlled();
    const applied: string[] = [];
    const l = latest(work, (_a, r) => applied.push(r));
    l.push('a');
    calls[0].finish('1');
    await settle();
    l.push('ab');
    calls[1].finish('2');
    await settle();
    expect(applied).toEqual(['1', '2']);
  });

  it('cancel drops the running result and what waits', async () => {
    const { calls, work } = controlled();
    const applied: string[] = [];
    const l = latest(work, (_a, r) => applied.push(r));
    l.push('a');
    l.push('ab');
    l.cancel();
    calls[0].finish('late');
    await settle();
    expect(applied).toEqual([]);
    expect(calls).toHaveLength(1);
    l.push('x');
    expect(calls.map((c) => c.arg)).toEqual(['a', 'x']);
    calls[1].finish('for x');
    await settle();
    expect(applied).toEqual(['for x']);
  });

  it('a push during a cancelled call waits for it, then runs', async () => {
    const { calls, work } = controlled();
    const applied: string[] = [];
    const l = latest(work, (_a, r) => applied.push(r));
    l.push('a');
    l.cancel();
    l.push('b');
    expect(calls).toHaveLength(1);
    calls[0].finish('stale');
    await settle();
    expect(calls.map((c) => c.arg)).toEqual(['a', 'b']);
    calls[1].finish('for b');
    await settle();
    expect(applied).toEqual(['for b']);
  });

  it('a failed call applies nothing and does not stop the next', async () => {
    const { calls, work } = controlled();
    const applied: string[] = [];
    const l = latest(work, (_a, r) => applied.push(r));
    l.push('a');
    calls[0].fail();
    await settle();
    l.push('b');
    calls[1].finish('ok');
    await settle();
    expect(applied).toEqual(['ok']);
  });
});
