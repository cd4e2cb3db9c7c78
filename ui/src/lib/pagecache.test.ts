import { PageCache, type PageResult } from './pagecache';

function fakeServer(total: number) {
  const calls: [number, number][] = [];
  const fetch = async (offset: number, limit: number): Promise<PageResult<number>> => {
    calls.push([offset, limit]);
    const items: number[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) items.push(i);
    return { total, items };
  };
  return { calls, fetch };
}

describe('PageCache', () => {
  it('maps rows to pages', () => {
    const c = new PageCache<number>(200);
    expect(c.pageOf(0)).toBe(0);
    expect(c.pageOf(199)).toBe(0);
    expect(c.pageOf(200)).toBe(1);
    expect(c.pagesFor(150, 450)).toEqual([0, 1, 2]);
    expect(c.pagesFor(10, 10)).toEqual([]);
  });

  it('fetches only the pages a window needs, once', async () => {
    const c = new PageCache<number>(200);
    const s = fakeServer(100_000);
    expect(await c.ensure(50_010, 50_030, s.fetch)).toBe(true);
    expect(s.calls).toEqual([[50_000, 200]]);
    expect(c.total).toBe(100_000);
    expect(c.get(50_020)).toBe(50_020);
    expect(c.get(0)).toBeUndefined();
    expect(await c.ensure(50_000, 50_100, s.fetch)).toBe(false);
    expect(s.calls).toHaveLength(1);
  });

  it('fetches every page a window spans', async () => {
    const c = new PageCache<number>(200);
    const s = fakeServer(1000);
    await c.ensure(190, 410, s.fetch);
    expect(s.calls.map(([o]) => o).sort((a, b) => a - b)).toEqual([0, 200, 400]);
    expect(c.get(405)).toBe(405);
  });

  it('does not fetch a page twice while it is in flight', async () => {
    const c = new PageCache<number>(200);
    const s = fakeServer(1000);
    const a = c.ensure(0, 10, s.fetch);
    expect(c.isLoading(0)).toBe(true);
    expect(c.missing(0, 10)).toEqual([]);
    const b = c.ensure(0, 10, s.fetch);
    await Promise.all([a, b]);
    expect(s.calls).toHaveLength(1);
    expect(c.isLoading(0)).toBe(false);
  });

  it('drops answers that arrive after a reset', async () => {
    const c = new PageCache<number>(200);
    let release: (v: PageResult<number>) => void = () => {};
    const slow = () => new Promise<PageResult<number>>((r) => (release = r));
    const pending = c.ensure(0, 10, slow);
    c.reset();
    release({ total: 5, items: [1, 2, 3, 4, 5] });
    expect(await pending).toBe(false);
    expect(c.size).toBe(0);
    expect(c.total).toBeNull();
  });

  it('evicts the oldest pages beyond its limit but keeps the visible ones', async () => {
    const c = new PageCache<number>(10, 3);
    const s = fakeServer(1000);
    for (const start of [0, 10, 20, 30, 40]) await c.ensure(start, start + 5, s.fetch);
    expect(c.size).toBe(3);
    expect(c.has(0)).toBe(false);
    expect(c.has(40)).toBe(false); // page numbers, not rows
    expect(c.has(4)).toBe(true);
    expect(c.has(3)).toBe(true);
    // A window spanning 3 pages keeps all three.
    await c.ensure(0, 30, s.fetch);
    expect([0, 1, 2].every((p) => c.has(p))).toBe(true);
  });

  it('forgets a failed page so it is retried, and rethrows', async () => {
    const c = new PageCache<number>(200);
    const failing = async () => {
      throw { code: 'busy', message: 'busy' };
    };
    await expect(c.ensure(0, 10, failing)).rejects.toEqual({ code: 'busy', message: 'busy' });
    expect(c.missing(0, 10)).toEqual([0]);
    const s = fakeServer(3);
    expect(await c.ensure(0, 3, s.fetch)).toBe(true);
    expect(c.get(2)).toBe(2);
  });

  it('reset empties everything', async () => {
    const c = new PageCache<number>(200);
    await c.ensure(0, 10, fakeServer(10).fetch);
    c.reset();
    expect(c.size).toBe(0);
    expect(c.get(0)).toBeUndefined();
  });
});
