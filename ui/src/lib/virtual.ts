// Window math for the virtualised records list: which rows to render for a scroll
// position. Pure, so it is unit-tested without a DOM.

export interface RowRange {
  /** First row to render (inclusive). */
  start: number;
  /** One past the last row to render (exclusive). */
  end: number;
}

export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan: number,
): RowRange {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, Number.isFinite(scrollTop) ? scrollTop : 0);
  const height = Math.max(0, Number.isFinite(viewportHeight) ? viewportHeight : 0);
  const over = Math.max(0, Math.floor(overscan));
  const first = Math.min(total - 1, Math.floor(top / rowHeight));
  const last = Math.min(total, Math.ceil((top + height) / rowHeight));
  return {
    start: Math.max(0, first - over),
    end: Math.min(total, Math.max(last, first + 1) + over),
  };
}

/** The scrollTop that brings row `index` fully into view (unchanged if it already is). */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number {
  const rowTop = index * rowHeight;
  const rowBottom = rowTop + rowHeight;
  if (rowTop < scrollTop) return rowTop;
  if (rowBottom > scrollTop + viewportHeight) return Math.max(0, rowBottom - viewportHeight);
  return scrollTop;
}
