// A cache of fixed-size pages of a long, server-side list (the records list can hold
// 100,000 rows; we only ever ask the shell for the pages the user scrolls to).
// Pure TypeScript: the fetch function is injected, so it is unit-tested.

export interface PageResult<T> {
  total: number;
  items: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<PageResult<T>>;

export class PageCache<T> {
  readonly pageSize: number;
  readonly maxPages: number;
  private pages = new Map<number, T[]>();
  private loading = new Set<number>();
  /** Bumped on every reset, so answers to an older query are dropped. */
  private generation = 0;
  total: number | null = null;

  constructor(pageSize = 200, maxPages = 50) {
    this.pageSize = pageSize;
    this.maxPages = maxPages;
  }

  /** Forgets everything (new query, or the vault is locking). */
  reset(): void {
    this.generation += 1;
    this.pages.clear();
    this.loading.clear();
    this.total = null;
  }

  get size(): number {
    return this.pages.size;
  }

  pageOf(index: number): number {
    return Math.floor(index / this.pageSize);
  }

  get(index: number): T | undefined {
    const page = this.pages.get(this.pageOf(index));
    return page ? page[index % this.pageSize] : undefined;
  }

  has(page: number): boolean {
    return this.pages.has(page);
  }

  isLoading(page: number): boolean {
    return this.loading.has(page);
  }

  /** Page numbers covering rows [start, end). */
  pagesFor(start: number, end: number): number[] {
    if (end <= start) return [];
    const out: number[] = [];
    for (let p = this.pageOf(start); p <= this.pageOf(end - 1); p++) out.push(p);
    return out;
  }

  /** Pages covering [start, end) that are neither cached nor being fetched. */
  missing(start: number, end: number): number[] {
    return this.pagesFor(start, end).filter((p) => !this.pages.has(p) && !this.loading.has(p));
  }

  /** Stores a page, refreshing its recency; evicts the least recently stored pages
   * beyond `maxPages`, never one in `keep`. */
  put(page: number, items: T[], total: number, keep: number[] = []): void {
    this.pages.delete(page);
    this.pages.set(page, items);
    this.total = total;
    if (this.pages.size > this.maxPages) {
      for (const p of [...this.pages.keys()]) {
        if (this.pages.size <= this.maxPages) break;
        if (p !== page && !keep.includes(p)) this.pages.delete(p);
      }
    }
  }

  /** Fetches the missing pages for rows [start, end). Resolves to true when something
   * new was stored (the view should re-render). Answers that arrive after a reset are
   * ignored. A failed page is forgotten so it is retried later; the error is rethrown. */
  async ensure(start: number, end: number, fetch: PageFetcher<T>): Promise<boolean> {
    const wanted = this.missing(start, end);
    if (wanted.length === 0) return false;
    const generation = this.generation;
    const keep = this.pagesFor(start, end);
    for (const p of wanted) this.loading.add(p);
    let stored = false;
    let failure: unknown = null;
    await Promise.all(
      wanted.map(async (p) => {
        try {
          const result = await fetch(p * this.pageSize, this.pageSize);
          if (generation !== this.generation) return;
          this.put(p, result.items, result.total, keep);
          stored = true;
        } catch (e) {
          failure = failure ?? e;
        } finally {
          if (generation === this.generation) this.loading.delete(p);
        }
      }),
    );
    if (failure !== null) throw failure;
    return stored;
  }
}
