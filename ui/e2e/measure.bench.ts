// Idle memory of the desktop app with a large vault shown in the records list: the
// resident memory of the app and of every process it started (WebKit's web and
// network processes and whatever sits between them), summed. Not part of the test
// suite; scripts/measure-app.sh runs it (release build, a vault of 100,000 records).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { all, appPids, click, closeApp, el, need, openApp, select, setFile, startDriver, stopDriver, type, waitText, type Browser } from './driver';

const VAULT = need('SATCHEL_MEASURE_VAULT');
const PASS = need('SATCHEL_MEASURE_PASSPHRASE');
const RECORDS = Number(process.env.SATCHEL_MEASURE_RECORDS ?? '100000');
const IDLE_MS = Number(process.env.SATCHEL_MEASURE_IDLE_MS ?? '10000');
// The working session after the idle figures: 200 record edits, 20 searches, 5 syncs
// and 10 file dialogs, spread over this many minutes (the run is 30).
const WORK_MINUTES = Number(process.env.SATCHEL_MEASURE_WORK_MINUTES ?? '30');
// Fewer edits (and the rest in proportion) for trying the script out.
const EDITS = Number(process.env.SATCHEL_MEASURE_EDITS ?? '200');
const E2E_TOOL = process.env.SATCHEL_E2E_TOOL;
const MEDIA = process.env.SATCHEL_MEDIA_ROOT;

// VmRSS, and its parts: anonymous memory (heaps, JIT, buffers), mapped files (mostly
// shared libraries, counted again in every process that maps them), shared memory.
type Proc = {
  pid: number;
  name: string;
  rssKiB: number;
  anonKiB: number;
  fileKiB: number;
  shmemKiB: number;
  pssKiB: number | null;
};
type Sample = { label: string; procs: Proc[]; rssKiB: number; pssKiB: number | null };

const samples: Sample[] = [];
const timings: Record<string, number | string> = {};

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function kib(text: string | null, key: string): number | null {
  const m = text?.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : null;
}

/** The app's process: `satchel-app` whose command line holds the vault's path. */
function appPid(): number {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', VAULT], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches
  }
  const pids = out
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => readOr(`/proc/${p}/comm`)?.trim() === 'satchel-app');
  if (pids.length !== 1) throw new Error(`expected one satchel-app on ${VAULT}, found ${JSON.stringify(pids)}`);
  return pids[0];
}

/** `root` and all its descendants, from the parent links in /proc/PID/stat. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readOr(`/proc/${d}/stat`);
    if (!stat) continue;
    // The name is in parentheses and may hold spaces; the parent is the 2nd field after it.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.shift()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

function sample(label: string): Sample {
  const procs: Proc[] = [];
  for (const pid of tree(appPid())) {
    const status = readOr(`/proc/${pid}/status`);
    if (!status) continue; // exited meanwhile
    procs.push({
      pid,
      name: status.match(/^Name:\s+(.*)$/m)?.[1] ?? '?',
      // Kernel threads and zombies have no VmRSS.
      rssKiB: kib(status, 'VmRSS') ?? 0,
      anonKiB: kib(status, 'RssAnon') ?? 0,
      fileKiB: kib(status, 'RssFile') ?? 0,
      shmemKiB: kib(status, 'RssShmem') ?? 0,
      pssKiB: kib(readOr(`/proc/${pid}/smaps_rollup`), 'Pss'),
    });
  }
  const rssKiB = procs.reduce((s, p) => s + p.rssKiB, 0);
  const pssKiB = procs.every((p) => p.pssKiB !== null) ? procs.reduce((s, p) => s + (p.pssKiB ?? 0), 0) : null;
  const s = { label, procs, rssKiB, pssKiB };
  samples.push(s);
  const mb = (k: number | null) => (k === null ? '   n/a' : (k / 1024).toFixed(1).padStart(6));
  const lines = procs.map(
    (p) =>
      `  ${String(p.pid).padStart(7)}  ${p.name.padEnd(16)} RSS ${mb(p.rssKiB)} MB` +
      ` (anon ${mb(p.anonKiB)}, file ${mb(p.fileKiB)}, shmem ${mb(p.shmemKiB)})  PSS ${mb(p.pssKiB)} MB`,
  );
  console.log(`${label}:\n${lines.join('\n')}\n  total RSS ${mb(rssKiB)} MB, PSS ${mb(pssKiB)} MB`);
  return s;
}

/** Anonymous memory of the app process and of its web processes, KiB: what each
 * action of the session is charged with. */
function anonNow(): { app: number; web: number } {
  const out = { app: 0, web: 0 };
  const root = appPid();
  for (const pid of tree(root)) {
    const a = kib(readOr(`/proc/${pid}/status`), 'RssAnon') ?? 0;
    if (pid === root) out.app += a;
    else out.web += a;
  }
  return out;
}

/** Scrolls the records list so that row `index` is at the top and waits until it is
 * rendered with its record (not the loading placeholder). Returns the milliseconds. */
async function scrollTo(b: Browser, index: number): Promise<number> {
  const t0 = Date.now();
  await b.execute((i: number) => {
    const v = document.querySelector('.records .viewport') as HTMLElement;
    v.scrollTop = Math.min(i * 56, v.scrollHeight - v.clientHeight);
  }, index);
  await b.waitUntil(
    async () => (await b.$(`[data-testid="record-row"][data-index="${index}"]`).isExisting()),
    { timeout: 30_000, timeoutMsg: `row ${index} never rendered` },
  );
  return Date.now() - t0;
}

/** Types `word` into the search box one character at a time, the way a keystroke
 * does (the input's value grows, then an input event), and times each keystroke in
 * the page until the frame that shows its results: the list's search counter has
 * moved and the browser is about to paint. Waits for each before the next. */
async function typeTimed(b: Browser, word: string): Promise<number[]> {
  return (await b.executeAsync(
    (w: string, done: (ms: number[]) => void) => {
      const input = document.querySelector('[data-testid="search"]') as HTMLInputElement;
      const list = document.querySelector('.records .viewport') as HTMLElement;
      const out: number[] = [];
      const chars = Array.from(w);
      const step = (i: number) => {
        if (i > chars.length) return done(out);
        const before = list.dataset.searches;
        const t0 = performance.now();
        input.value = chars.slice(0, i).join('');
        input.dispatchEvent(new InputEvent('input', { bubbles: true, data: chars[i - 1] }));
        const wait = () => {
          if (list.dataset.searches !== before) {
            out.push(performance.now() - t0);
            setTimeout(() => step(i + 1), 50);
          } else requestAnimationFrame(wait);
        };
        requestAnimationFrame(wait);
      };
      // Start from an empty box (the full list), as a person would.
      input.value = '';
      input.dispatchEvent(new InputEvent('input', { bubbles: true }));
      setTimeout(() => step(1), 500);
    },
    word,
  )) as number[];
}

/** The web fonts the page has loaded so far: each is a subset (a unicode range of one
 * family and weight) that WebKit keeps decoded, so they count in the memory figures. */
async function fontsLoaded(b: Browser, label: string): Promise<void> {
  const loaded = (await b.execute(() => {
    const out: Record<string, number> = {};
    document.fonts.forEach((f) => {
      if (f.status === 'loaded') out[`${f.family} ${f.weight}`] = (out[`${f.family} ${f.weight}`] ?? 0) + 1;
    });
    return out;
  })) as Record<string, number>;
  const text = Object.entries(loaded)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
  timings[`fonts ${label}`] = text;
  console.log(`fonts loaded, ${label}: ${text}`);
}

describe(`idle memory, ${RECORDS} records`, () => {
  let b: Browser;

  beforeAll(async () => {
    await startDriver();
  });

  afterAll(async () => {
    if (b) await closeApp(b);
    await stopDriver();
    const out = process.env.SATCHEL_MEASURE_OUT;
    if (out) writeFileSync(out, JSON.stringify({ records: RECORDS, idleMs: IDLE_MS, timings, samples }, null, 2));
  });

  it('unlocks, lists, scrolls, idles', async () => {
    const opened = await openApp(VAULT);
    b = opened.b;
    timings.openMs = opened.readyMs;
    sample('unlock screen');

    let t = Date.now();
    await type(b, 'passphrase', PASS);
    await click(b, 'unlock-submit');
    await el(b, 'nav-records').waitForDisplayed({ timeout: 120_000 });
    timings.unlockMs = Date.now() - t;
    await click(b, 'nav-records');
    await b.waitUntil(async () => (await el(b, 'records-total').getAttribute('data-total')) === String(RECORDS), {
      timeout: 60_000,
      timeoutMsg: `records-total never reached ${RECORDS}`,
    });
    await b.waitUntil(async () => (await all(b, 'record-row')).length > 0, { timeout: 30_000, timeoutMsg: 'no rows' });
    timings.listedMs = Date.now() - t;
    timings.rowsRendered = (await all(b, 'record-row')).length;
    sample('unlocked, list shown');

    timings.scrollMiddleMs = await scrollTo(b, Math.floor(RECORDS / 2));
    await b.pause(500);
    timings.scrollEndMs = await scrollTo(b, RECORDS - 1);
    const last = await b.$(`[data-testid="record-row"][data-index="${RECORDS - 1}"]`).getText();
    expect(last.length).toBeGreaterThan(0);

    await b.pause(IDLE_MS);
    sample(`after scrolling, ${IDLE_MS / 1000} s idle`);
    await fontsLoaded(b, 'after scrolling');

    // Search as you type: every keystroke of a few words, Latin, Korean, Chinese.
    const words = ['shelter', 'market bus', '김철수', '延吉', '丹东 winter', 'zzz'];
    const keystrokes: number[] = [];
    const detail: string[] = [];
    for (const w of words) {
      const ms = await typeTimed(b, w);
      keystrokes.push(...ms);
      detail.push(ms.map((m, i) => `${Array.from(w).slice(0, i + 1).join('')} ${Math.round(m)}`).join(', '));
    }
    timings.searchDetail = detail.join('; ');
    // Of that, the shell's part: the search command alone, called from the page.
    const ipc = (await b.executeAsync((done: (r: string) => void) => {
      const invoke = (window as unknown as { __TAURI_INTERNALS__: { invoke: (c: string, a: unknown) => Promise<{ items: unknown[] }> } })
        .__TAURI_INTERNALS__.invoke;
      const out: string[] = [];
      const qs = ['s', 'sh', 'she', 'm', '김', '延吉', 'zzz'];
      (async () => {
        for (const q of qs) {
          const ms: number[] = [];
          let n = 0;
          for (let i = 0; i < 5; i++) {
            const t0 = performance.now();
            n = (await invoke('records_search', { query: q, form: null })).items.length;
            ms.push(performance.now() - t0);
          }
          ms.sort((x, y) => x - y);
          out.push(`${q} ${Math.round(ms[2])} (${n})`);
        }
        done(out.join(', '));
      })();
    })) as string;
    timings.searchIpc = ipc;
    expect(keystrokes.length).toBe(words.reduce((n, w) => n + Array.from(w).length, 0));
    keystrokes.sort((x, y) => x - y);
    const at = (p: number) => keystrokes[Math.min(keystrokes.length - 1, Math.round((keystrokes.length - 1) * p))];
    timings.searchKeystrokes = keystrokes.length;
    timings.searchP50Ms = Math.round(at(0.5) * 10) / 10;
    timings.searchP90Ms = Math.round(at(0.9) * 10) / 10;
    timings.searchP95Ms = Math.round(at(0.95) * 10) / 10;
    timings.searchMaxMs = Math.round(keystrokes[keystrokes.length - 1] * 10) / 10;
    sample('after searching');
    await fontsLoaded(b, 'after searching');
  });

  // A coordinator's session, the run: edits, searches, syncs with a peer over
  // the USB folder, and system file dialogs, then idle; measured against the idle
  // figure of the same start, after unlock with the list shown. Its own start: the
  // search-as-you-type timing above (dozens of searches in seconds) is not part of it.
  it(
    'works for a session, then idles',
    async () => {
      if (!E2E_TOOL || !MEDIA) throw new Error('SATCHEL_E2E_TOOL and SATCHEL_MEDIA_ROOT are needed for the session');
      if (b) await closeApp(b);
      b = (await openApp(VAULT)).b;
      await type(b, 'passphrase', PASS);
      await click(b, 'unlock-submit');
      await el(b, 'nav-records').waitForDisplayed({ timeout: 120_000 });
      await click(b, 'nav-records');
      await b.waitUntil(async () => (await all(b, 'record-row')).length > 0, { timeout: 60_000, timeoutMsg: 'no rows' });
      await b.pause(IDLE_MS);
      sample(`session start: unlocked, list shown, ${IDLE_MS / 1000} s idle`);
      const usb = join(MEDIA, 'USB');
      execFileSync('mkdir', ['-p', usb]);
      // A peer with a few records of its own, for the syncs.
      await click(b, 'nav-sync');
      const cardEl = el(b, 'identity-card');
      await b.waitUntil(async () => ((await cardEl.getValue()) ?? '').startsWith('SATCHEL-'), { timeout: 30_000 });
      const card = await cardEl.getValue();
      const [peerCard, peerBundle] = execFileSync(E2E_TOOL, ['bundle', '--card', card, '--records', '20', '--out', usb], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n');
      await type(b, 'peer-card', peerCard);
      await type(b, 'peer-name', 'field');
      await click(b, 'peer-add');
      await b.$('[data-testid="peer-row"][data-name="field"]').waitForDisplayed({ timeout: 30_000 });
      sample('before the session');

      const actions: string[] = [];
      for (let i = 1; i <= EDITS; i++) {
        actions.push('edit');
        if (i % 10 === 0) actions.push('search');
        if (i % 20 === 0) actions.push('dialog');
        if (i % 40 === 0) actions.push('sync');
      }
      const gapMs = (WORK_MINUTES * 60_000) / actions.length;
      const counts: Record<string, number> = {};
      const spent: Record<string, number> = {};
      // Growth charged to each kind of action: anonymous memory just before the next
      // action (or at the end), less just before it, so the pause after an action is
      // charged to it and the charges add up to the session's growth.
      const grew: Record<string, { app: number; web: number }> = {};
      let last: { action: string; app: number; web: number } | null = null;
      const charge = () => {
        const now = anonNow();
        if (last) {
          const g = (grew[last.action] ??= { app: 0, web: 0 });
          g.app += now.app - last.app;
          g.web += now.web - last.web;
        }
        return now;
      };
      const started = Date.now();
      for (const [n, action] of actions.entries()) {
        const t0 = Date.now();
        last = { action, ...charge() };
        if (action === 'edit') await editOne(b, n);
        else if (action === 'search') await searchOnce(b, ['shelter', '김철수', '延吉', 'market'][n % 4]);
        else if (action === 'dialog') await fileDialog(b);
        else await syncOnce(b, peerBundle);
        counts[action] = (counts[action] ?? 0) + 1;
        spent[action] = (spent[action] ?? 0) + (Date.now() - t0);
        const wait = started + (n + 1) * gapMs - Date.now();
        if (wait > 0) await b.pause(wait);
      }
      charge();
      timings.sessionMinutes = Math.round((Date.now() - started) / 6000) / 10;
      timings.sessionActions = Object.entries(counts)
        .map(([a, c]) => `${c} ${a}s (${Math.round(spent[a] / c)} ms each)`)
        .join(', ');
      timings.sessionGrowth = Object.entries(grew)
        .map(([a, g]) => `${a}s: app ${(g.app / 1024).toFixed(1)} MB, web ${(g.web / 1024).toFixed(1)} MB`)
        .join('; ');
      console.log(`anonymous memory gained by each kind of action, with the pause after it: ${timings.sessionGrowth}`);
      expect(counts).toEqual({ edit: EDITS, search: Math.floor(EDITS / 10), dialog: Math.floor(EDITS / 20), sync: Math.floor(EDITS / 40) });
      await click(b, 'nav-records');
      await b.pause(IDLE_MS);
      sample(`after the session, ${IDLE_MS / 1000} s idle`);
      // Once more after a minute: what the web view's collector had not yet given back.
      await b.pause(60_000);
      sample(`after the session, ${IDLE_MS / 1000 + 60} s idle`);
      await fontsLoaded(b, 'after the session');
    },
    (WORK_MINUTES + 20) * 60_000,
  );
});

/** Opens one of the first rows of the list, changes its phone field and saves. */
async function editOne(b: Browser, n: number): Promise<void> {
  await click(b, 'nav-records');
  const search = el(b, 'search');
  if ((await search.getValue()) !== '') await type(b, 'search', '');
  await b.waitUntil(async () => (await all(b, 'record-row')).length > 5, { timeout: 30_000, timeoutMsg: 'no rows' });
  const rows = await all(b, 'record-row');
  await rows[n % 5].click();
  await el(b, 'record-view').waitForDisplayed({ timeout: 30_000 });
  await click(b, 'edit-record');
  const value = `session edit ${n}`;
  await type(b, 'field-phone', value);
  await click(b, 'save-record');
  await waitText(b, 'value-phone', (t) => t === value);
}

async function searchOnce(b: Browser, q: string): Promise<void> {
  await click(b, 'nav-records');
  const before = await el(b, 'records-total').getAttribute('data-total');
  await type(b, 'search', q);
  await b.waitUntil(async () => (await el(b, 'records-total').getAttribute('data-total')) !== before, {
    timeout: 30_000,
    timeoutMsg: `search ${q} never changed the count`,
  });
}

/** The system's file dialog, opened by the shell as the attach button does, then
 * closed with Escape the way a person cancels it. */
async function fileDialog(b: Browser): Promise<void> {
  const before = windows();
  await b.execute(() => {
    const w = window as unknown as { __TAURI_INTERNALS__: { invoke: (c: string) => Promise<unknown> }; __dialog?: string };
    w.__dialog = 'open';
    w.__TAURI_INTERNALS__.invoke('attachment_stage_choose').then(
      (r) => (w.__dialog = `done ${JSON.stringify(r)}`),
      (e) => (w.__dialog = `failed ${JSON.stringify(e)}`),
    );
  });
  const state = async () => (await b.execute(() => (window as unknown as { __dialog?: string }).__dialog)) ?? '';
  let dialog = '';
  await b.waitUntil(
    async () => {
      dialog = windows().find((w) => !before.includes(w)) ?? '';
      if (dialog) return true;
      const now = await state();
      if (now !== 'open') throw new Error(`the file dialog ended before it was seen: ${now}`);
      return false;
    },
    { timeout: 90_000, interval: 250, timeoutMsg: 'the file dialog never opened' },
  );
  await b.pause(500);
  execFileSync('xdotool', ['windowfocus', '--sync', dialog, 'key', 'Escape']);
  await b.waitUntil(async () => (await state()) !== 'open', { timeout: 60_000, timeoutMsg: 'the file dialog never closed' });
  const end = await state();
  if (end !== 'done null') throw new Error(`the file dialog ended with ${end}`);
}

/** The app's visible X windows, its file dialogs' (each in a process of its own) too. */
function windows(): string[] {
  const app = appPid();
  const dialogs = appPids().filter((p) => p !== app && (readOr(`/proc/${p}/cmdline`) ?? '').includes('--satchel-file-dialog'));
  return [app, ...dialogs].flatMap((pid) => {
    try {
      return execFileSync('xdotool', ['search', '--onlyvisible', '--pid', String(pid), ''], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .split('\n')
        .filter(Boolean);
    } catch {
      return [];
    }
  });
}

/** One sync: the peer's bundle imported (again after the first), then one exported to it. */
async function syncOnce(b: Browser, bundle: string): Promise<void> {
  await click(b, 'nav-sync');
  await setFile(b, 'import-input', join(MEDIA ?? '', 'USB', bundle));
  await el(b, 'import-result').waitForExist({ timeout: 120_000 });
  await click(b, 'drives-refresh');
  await select(b, 'drive-select', '0/USB');
  const box = el(b, 'export-peer-field');
  if (!(await box.isSelected())) await box.click();
  await click(b, 'export-submit');
  await el(b, 'export-result').waitForDisplayed({ timeout: 600_000 });
}
