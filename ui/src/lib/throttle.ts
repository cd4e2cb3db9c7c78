// "At most once every N ms" for the activity ping. The clock is injectable for tests.

export function throttle(intervalMs: number, f: () => void, now: () => number = () => Date.now()): () => boolean {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return false;
    last = t;
    f();
    return true;
  };
}

/** A trailing debounce; `cancel` drops a pending call. */
export function debounce<A extends unknown[]>(ms: number, f: (...args: A) => void) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const call = (...args: A) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      f(...args);
    }, ms);
  };
  call.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return call;
}
