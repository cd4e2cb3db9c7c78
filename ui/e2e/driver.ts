// tauri-driver and WebDriver sessions for the end-to-end tests. Each session starts
// the app binary with its own vault directory; the environment (HOME, TMPDIR, the
// stand-in USB drive) comes from scripts/e2e.sh.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { remote } from 'webdriverio';

export type Browser = WebdriverIO.Browser;

export function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run the end-to-end test through scripts/e2e.sh`);
  return v;
}

// scripts/measure-app.sh takes another port, so a measurement can run beside a test.
const PORT = Number(process.env.SATCHEL_DRIVER_PORT ?? '4444');

/** The environment of the app under test: a private HOME (so WebKit's data and cache
 * directories are ours to scan) and TMPDIR under the run directory, and a private
 * D-Bus daemon standing in for both the session and the system bus (the app listens
 * there for screen-lock and sleep signals; the machine's own buses stay untouched). */
function appEnv(): NodeJS.ProcessEnv {
  const run = need('SATCHEL_E2E_DIR');
  const home = join(run, 'home');
  return {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: busAddress,
    DBUS_SYSTEM_BUS_ADDRESS: busAddress,
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_CONFIG_HOME: join(home, '.config'),
    TMPDIR: join(run, 'tmp'),
  };
}
let driver: ChildProcess | null = null;
let bus: ChildProcess | null = null;
let busAddress = '';

/** Starts the private bus and returns its address (the first line it prints). */
async function startBus(): Promise<void> {
  const d = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  bus = d;
  busAddress = await new Promise<string>((resolve, reject) => {
    let out = '';
    d.once('error', reject);
    d.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0].trim());
    });
    setTimeout(() => reject(new Error('dbus-daemon printed no address')), 10_000);
  });
}

/** Broadcasts a signal on the private bus, as the desktop or logind would. */
export function busSignal(path: string, member: string, ...args: string[]): void {
  execFileSync('dbus-send', [`--bus=${busAddress}`, '--type=signal', path, member, ...args]);
}

async function ready(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const r = await fetch(`http://127.0.0.1:${PORT}/status`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('tauri-driver did not start');
}

export async function startDriver(): Promise<void> {
  await startBus();
  driver = spawn(need('TAURI_DRIVER'), ['--port', String(PORT), '--native-port', String(PORT + 1)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: appEnv(),
  });
  await ready(20_000);
}

/** SIGTERM, never SIGKILL: tauri-driver then stops WebKitWebDriver too. */
export async function stopDriver(): Promise<void> {
  bus?.kill('SIGTERM');
  bus = null;
  if (!driver) return;
  const d = driver;
  driver = null;
  const gone = new Promise((r) => d.once('exit', r));
  d.kill('SIGTERM');
  await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
}

/** The pids of running app processes: any whose command line starts with the app
 * binary. Read from /proc, so a process WebKitWebDriver left behind is found too
 * (from the command line: the app makes itself non-dumpable, which hides its `exe`
 * link from anyone but root). */
export function appPids(): number[] {
  const app = need('SATCHEL_APP');
  const real = realpathSync(app);
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv0 = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')[0];
      if (argv0 === app || argv0 === real) pids.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** The web content processes of the app (`WebKitWebProcess` children). */
export function webPids(): number[] {
  const app = appPids();
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (state !== 'Z' && app.includes(Number(ppid)) && comm.startsWith('WebKitWebProces')) out.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return out;
}

/** Waits until every web process in `before` has ended and a new one runs (the
 * page was loaded again in a fresh process); returns the milliseconds it took
 * from `since`. WebDriver loses its session if a command is in flight while the
 * page's process ends, so the test waits on /proc, not on the page. */
export async function waitFreshPage(before: number[], since: number, timeoutMs = 20_000): Promise<number> {
  if (before.length === 0) throw new Error('no web process to watch');
  const end = Date.now() + timeoutMs;
  let ended = 0;
  for (;;) {
    const now = webPids();
    if (!ended && !before.some((p) => now.includes(p))) ended = Date.now();
    if (ended && now.length > 0) break;
    if (Date.now() > end) throw new Error(`the page's process ${ended ? 'ended but none started' : 'never ended'}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // Let the new page load before WebDriver asks it anything.
  await new Promise((r) => setTimeout(r, 1_000));
  return ended - since;
}

/** Ends a session whose app started afresh (the panic key, the wipe): WebDriver
 * cannot follow it, so the app is ended as closeApp would. */
export async function abandonApp(b: Browser): Promise<void> {
  await Promise.race([b.deleteSession().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
  let left = await waitGone(3_000);
  for (const pid of left) signal(pid, 'SIGKILL');
  left = await waitGone(10_000);
  if (left.length > 0) throw new Error(`the app did not exit (pids ${left.join(', ')})`);
}

export interface ScanReport {
  pid: number;
  name: string;
  scanned: number;
  hits: Record<string, [number, string[]]>;
}

/** Reads the memory of the app and every process it started, looking for each
 * secret (as UTF-8 and UTF-16) and each key (raw and in hex): satchel-memscan.
 * Needs root; returns null (and says so) otherwise. */
export function memscan(secrets: Record<string, string>, keys: Record<string, string>, canaries: string[]): ScanReport[] | null {
  if (process.getuid?.() !== 0) {
    console.warn('e2e: the memory scan needs root; skipped');
    return null;
  }
  const pids = appPids();
  if (pids.length !== 1) throw new Error(`memscan: expected one app process, found ${pids.length}`);
  const args = ['scan', '--pid', String(pids[0])];
  for (const n of Object.keys(secrets)) args.push('--needle-env', n);
  for (const n of Object.keys(keys)) args.push('--key-env', n);
  for (const c of canaries) args.push('--canary', c);
  const out = execFileSync(need('SATCHEL_E2E_TOOL'), args, {
    env: { ...process.env, ...secrets, ...keys },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out) as ScanReport[];
}

/** The vault's database key in hex, for the memory scan to look for. */
export function vaultKey(vault: string, passphrase: string): string {
  return execFileSync(need('SATCHEL_E2E_TOOL'), ['key', '--vault', vault], {
    env: { ...process.env, SATCHEL_MEMSCAN_PASSPHRASE: passphrase },
    encoding: 'utf8',
  }).trim();
}

async function waitGone(timeoutMs: number): Promise<number[]> {
  const end = Date.now() + timeoutMs;
  let left = appPids();
  while (left.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = appPids();
  }
  return left;
}

/** Starts the app on `vault` and returns the session and the milliseconds from the
 * session request until the first screen could be typed into. */
export async function openApp(vault: string): Promise<{ b: Browser; readyMs: number }> {
  // A window of an earlier session still open would hold the vault (the database is
  // opened in exclusive mode) and the panic key: each session starts alone.
  const before = appPids();
  if (before.length > 0) throw new Error(`an earlier app is still running (pids ${before.join(', ')})`);
  const t0 = Date.now();
  const b = await remote({
    hostname: '127.0.0.1',
    port: PORT,
    logLevel: 'warn',
    connectionRetryTimeout: 90_000,
    connectionRetryCount: 0,
    capabilities: {
      browserName: 'wry',
      'wdio:enforceWebDriverClassic': true,
      'tauri:options': { application: need('SATCHEL_APP'), args: ['--vault', vault] },
    } as WebdriverIO.Capabilities,
  });
  await el(b, 'passphrase').waitForEnabled({ timeout: 30_000 });
  const readyMs = Date.now() - t0;
  // Without this, a change in how the app is started would leave appPids finding
  // nothing, and the checks above and in closeApp with nothing to check.
  const running = appPids();
  if (running.length !== 1) throw new Error(`expected one app process, found ${running.length}`);
  return { b, readyMs };
}

/** Ends the session and waits until the app has exited. WebKitWebDriver kills the
 * app when a session ends, but has been seen to leave it running, once the machine is
 * busy; then this ends it, as a person would close the window, and says so. */
export async function closeApp(b: Browser): Promise<void> {
  await b.deleteSession();
  let left = await waitGone(10_000);
  if (left.length === 0) return;
  console.warn(`e2e: the app outlived its WebDriver session; ending pids ${left.join(', ')}`);
  for (const pid of left) signal(pid, 'SIGTERM');
  left = await waitGone(10_000);
  for (const pid of left) signal(pid, 'SIGKILL');
  left = await waitGone(10_000);
  if (left.length > 0) throw new Error(`the app did not exit (pids ${left.join(', ')})`);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export function el(b: Browser, id: string) {
  return b.$(`[data-testid="${id}"]`);
}

export async function all(b: Browser, id: string): Promise<WebdriverIO.Element[]> {
  const found = await b.$$(`[data-testid="${id}"]`).getElements();
  return Array.from(found);
}

type El = ReturnType<typeof el>;

async function center(b: Browser, e: El): Promise<void> {
  const target = await e;
  await b.execute((x: HTMLElement) => x.scrollIntoView({ block: 'center', inline: 'nearest' }), target as unknown as HTMLElement);
}

export async function click(b: Browser, id: string): Promise<void> {
  const e = el(b, id);
  await e.waitForExist({ timeout: 20_000 });
  // WebKitWebDriver scrolls a target to the very edge, under the sticky bar or
  // below the fold; centre it first as a person would.
  await center(b, e);
  await e.waitForClickable({ timeout: 20_000 });
  await e.click();
}

/** Clicks what ends the page's web process (the Lock button): the reply to the
 * click may be lost with the page, which is what should happen; the caller waits for
 * the screen that follows. */
export async function clickEnding(b: Browser, id: string): Promise<void> {
  try {
    await click(b, id);
  } catch (err) {
    if (!/unknown error|no such (window|element)|stale/i.test(String(err))) throw err;
  }
}

export async function type(b: Browser, id: string, text: string): Promise<void> {
  const e = el(b, id);
  await e.waitForEnabled({ timeout: 20_000 });
  await center(b, e);
  await e.clearValue();
  if (text) {
    await e.setValue(text);
  } else {
    // WebKitWebDriver refuses empty key input; type and erase one character so the
    // page sees an input event for the now empty field.
    await e.addValue(' ');
    await b.keys('Backspace');
  }
}

/** Chooses an option in the app's Select (a button and a listbox, not a native select). */
export async function select(b: Browser, id: string, value: string): Promise<void> {
  const e = el(b, id);
  await e.waitForEnabled({ timeout: 20_000 });
  await center(b, e);
  try {
    if ((await e.getAttribute('data-value')) === value) return;
    if ((await e.getAttribute('aria-expanded')) !== 'true') await e.click();
    const option = b.$(`[data-testid="${id}-option"][data-value="${value}"]`);
    await option.waitForDisplayed({ timeout: 10_000 });
    await option.click();
    await b.waitUntil(async () => (await e.getAttribute('data-value')) === value, { timeout: 10_000 });
  } catch (err) {
    await failShot(b, `select-${id}`);
    console.log(await b.execute((sel: string) => {
      const e = document.querySelector(sel) as HTMLElement;
      const r = e.getBoundingClientRect();
      const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return JSON.stringify({ y: window.scrollY, r, value: e.dataset.value, at: at?.outerHTML.slice(0, 200), h: window.innerHeight });
    }, `[data-testid="${id}"]`));
    throw err;
  }
}

/** Gives a file to a file input (hidden behind the app's own button). Send Keys, not
 * setValue: setValue clears first, and WebDriver clears only what is interactable,
 * while it sends a path to a file input whatever its visibility. */
export async function setFile(b: Browser, id: string, path: string): Promise<void> {
  await el(b, id).addValue(path);
}

/** Keeps a picture of the window when a step fails, for the person debugging it. */
export async function failShot(b: Browser, name: string): Promise<void> {
  const dir = process.env.SATCHEL_E2E_DIR;
  if (dir) await b.saveScreenshot(join(dir, '..', `satchel-e2e-fail-${name}.png`)).catch(() => undefined);
}

export async function text(b: Browser, id: string): Promise<string> {
  const e = el(b, id);
  await e.waitForDisplayed({ timeout: 20_000 });
  return e.getText();
}

/** Waits for an element's text to satisfy `ok`. */
export async function waitText(b: Browser, id: string, ok: (t: string) => boolean, timeout = 30_000): Promise<string> {
  let last = '';
  await b.waitUntil(
    async () => {
      const e = el(b, id);
      if (!(await e.isExisting())) return false;
      last = await e.getText();
      return ok(last);
    },
    { timeout, timeoutMsg: `${id}: text never matched (last: ${JSON.stringify(last)})` },
  );
  return last;
}

/** A screenshot for docs/screenshots, after the page has settled. */
export async function shot(b: Browser, name: string): Promise<void> {
  const dir = process.env.SATCHEL_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await b.pause(600);
  await b.saveScreenshot(join(dir, `${name}.png`));
}

/** Creates a vault with `pass` on the first screen, confirms the recovery key and
 * waits for the records screen. */
export async function createVault(b: Browser, pass: string): Promise<void> {
  await type(b, 'passphrase', pass);
  await type(b, 'passphrase-confirm', pass);
  await waitText(b, 'strength', (t) => t.length > 0);
  await click(b, 'create-submit');
  const key = await waitText(b, 'recovery-key', (t) => t.length > 20, 60_000);
  const groups = key.split(/[\s-]+/).filter(Boolean);
  await type(b, 'recovery-confirm-input', groups[groups.length - 1]);
  await click(b, 'recovery-done');
  await el(b, 'nav-records').waitForDisplayed({ timeout: 20_000 });
}

/** Switches the UI language in Settings and waits for the bar to show its script. */
export async function language(b: Browser, lang: 'en' | 'ko' | 'zh-Hans'): Promise<void> {
  const script = { en: /^[\x20-\x7e]+$/, ko: /[가-힣]/, 'zh-Hans': /[\u4e00-\u9fff]/ }[lang];
  await click(b, 'nav-settings');
  await click(b, `language-${lang}`);
  await waitText(b, 'nav-records', (t) => script.test(t));
}

/** Screenshot file prefixes by UI language. */
export const PREFIX = { en: 'en', ko: 'ko', 'zh-Hans': 'zh' } as const;

/** Scrolls the element to the top of the window (below the bar), for a screenshot of
 * what follows it. */
export async function scrollToId(b: Browser, id: string): Promise<void> {
  const e = await el(b, id);
  await e.waitForExist({ timeout: 20_000 });
  await b.execute((x: HTMLElement) => x.scrollIntoView({ block: 'start' }), e as unknown as HTMLElement);
}
