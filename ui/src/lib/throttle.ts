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

/**
 * Runs `work` for the newest argument only, one call at a time, with no delay:
 * a keystroke starts a search at once. While one runs, later arguments replace
 * each other; when it ends, its result is dropped if a newer argument is waiting
 * (that one runs next), so `apply` only ever sees the result for the latest
 * argument. `cancel` drops what is waiting and the result of what is running.
 */
export function latest<A, R>(work: (arg: A) => Promise<R>, apply: (arg: A, result: R) => void) {
  let running = false;
  let waiting: { arg: A } | null = null;
  let generation = 0;

  async function run(arg: A) {
    running = true;
    const mine = generation;
    let done: { result: R } | null = null;
    try {
      done = { result: await work(arg) };
    } catch {
      // A failed call shows nothing; the next one still runs.
    }
    running = false;
    if (waiting) {
      const next = waiting.arg;
      waiting = null;
      void run(next);
    } else if (done && mine === generation) {
      apply(arg, done.result);
    }
  }

  return {
    push(arg: A) {
      if (running) waiting = { arg };
      else void run(arg);
    },
    cancel() {
      generation += 1;
      waiting = null;
    },
  };
}
