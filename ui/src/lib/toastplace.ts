// Where the toast goes so that it never covers the field being typed in.

export type Edge = 'bottom' | 'top';

export interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
  height: number;
}

/** The toast's distance from the window's edge (1rem in app.css). */
export const TOAST_MARGIN = 16;

function overlaps(a: Box, top: number, bottom: number): boolean {
  return a.top < bottom && a.bottom > top;
}

/** The edge for a toast of `toast`'s size (now shown at `current`), given the focused
 * element's box: the bottom unless the toast would cover the field there, then the top
 * (if the field fills both bands, the bottom: the field's own height is the problem). */
export function toastEdge(toast: Box, field: Box, current: Edge, viewportHeight: number): Edge {
  if (toast.height <= 0 || field.height <= 0) return current;
  if (field.right <= toast.left || field.left >= toast.right) return 'bottom';
  const h = toast.height;
  const bottomBand = [viewportHeight - TOAST_MARGIN - h, viewportHeight - TOAST_MARGIN] as const;
  const topBand = [TOAST_MARGIN, TOAST_MARGIN + h] as const;
  if (!overlaps(field, ...bottomBand)) return 'bottom';
  if (!overlaps(field, ...topBand)) return 'top';
  return 'bottom';
}
