import { scrollToReveal, visibleRange } from './virtual';

describe('visibleRange', () => {
  it('is empty when there are no rows', () => {
    expect(visibleRange(0, 500, 50, 0, 5)).toEqual({ start: 0, end: 0 });
  });

  it('covers the viewport plus overscan at the top', () => {
    // 500px / 50px = 10 rows visible, + 5 overscan below, none above row 0.
    expect(visibleRange(0, 500, 50, 100_000, 5)).toEqual({ start: 0, end: 15 });
  });

  it('follows the scroll position in the middle of a long list', () => {
    // scrollTop 50,000 → first row 1000; rows 1000..1009 visible.
    expect(visibleRange(50_000, 500, 50, 100_000, 5)).toEqual({ start: 995, end: 1015 });
  });

  it('handles a partially visible row at both edges', () => {
    // 25px into row 0 and a 500px viewport: rows 0..10 are (partly) visible.
    expect(visibleRange(25, 500, 50, 1000, 0)).toEqual({ start: 0, end: 11 });
  });

  it('clamps at the end of the list', () => {
    expect(visibleRange(4_999_500, 500, 50, 100_000, 5)).toEqual({ start: 99_985, end: 100_000 });
    // Scrolled past the end (e.g. after the list shrank): still a valid window.
    const r = visibleRange(10_000_000, 500, 50, 100, 5);
    expect(r.end).toBe(100);
    expect(r.start).toBeGreaterThanOrEqual(0);
    expect(r.start).toBeLessThan(100);
  });

  it('renders only a small window for 100,000 rows', () => {
    const r = visibleRange(1_234_567, 800, 56, 100_000, 8);
    expect(r.end - r.start).toBeLessThan(40);
  });

  it('treats bad inputs safely', () => {
    expect(visibleRange(-100, 500, 50, 10, 2)).toEqual({ start: 0, end: 10 });
    expect(visibleRange(Number.NaN, 100, 50, 10, 0)).toEqual({ start: 0, end: 2 });
    expect(visibleRange(0, 0, 50, 10, 0)).toEqual({ start: 0, end: 1 });
    expect(visibleRange(0, 100, 0, 10, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('scrollToReveal', () => {
  it('scrolls up to a row above the viewport', () => {
    expect(scrollToReveal(2, 500, 300, 50)).toBe(100);
  });
  it('scrolls down just enough for a row below the viewport', () => {
    expect(scrollToReveal(20, 0, 300, 50)).toBe(750);
  });
  it('leaves a visible row alone', () => {
    expect(scrollToReveal(3, 100, 300, 50)).toBe(100);
  });
});
