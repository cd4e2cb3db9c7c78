// Every script renders from the bundled fonts in every UI language: the machine may have
// no CJK font of its own, and a record written in Korean may hold Chinese place names.
// The font stacks are app.css's as the cascade gives them (jsdom); a face covers a code
// point when its unicode-range names it (the browser then uses it) and its file has a
// glyph for it (the range alone over-claims). The faces are those main.ts loads.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LANG_NAMES, LANGS } from './lib/i18n';
import { woff2CodePoints } from './test/fontfiles';

const SRC = __dirname;
const UI = join(SRC, '..');

/** Hangul, simplified Hanzi (丝), Hanja (漢), Latin and digits. */
const CANARY = '김민준 金丝雀 漢字 Satchel 123';
/** What the screens put in front of record ids and in the language menu. */
const ALSO = ['기록', '记录', ...Object.values(LANG_NAMES)].join(' ');

/** WebKit's own style sheet gives form controls the system font (html.css). */
const USER_AGENT_CSS = `input, textarea, select, button { font-family: system-ui; }`;

type Faces = Map<string, Map<string, Set<number>>>; // family -> weight -> code points

function loadedFaces(): Faces {
  const main = readFileSync(join(SRC, 'main.ts'), 'utf8');
  const imports = [...main.matchAll(/import '(@fontsource\/[^']+\.css)';/g)].map((m) => m[1]);
  expect(imports.length).toBeGreaterThan(0);
  const faces: Faces = new Map();
  for (const spec of imports) {
    const file = join(UI, 'node_modules', spec);
    const css = readFileSync(file, 'utf8');
    for (const [, body] of css.matchAll(/@font-face\s*\{([^}]*)\}/g)) {
      const family = /font-family:\s*'([^']+)'/.exec(body)?.[1];
      const weight = /font-weight:\s*(\d+)/.exec(body)?.[1];
      const range = /unicode-range:\s*([^;]+);/.exec(body)?.[1];
      const url = /src:\s*url\(([^)]+)\) format\('woff2'\)/.exec(body)?.[1];
      if (!family || !weight || !range || !url) throw new Error(`unreadable @font-face in ${spec}`);
      const fontFile = join(dirname(file), url);
      expect(existsSync(fontFile), `${spec}: ${url}`).toBe(true);
      const glyphs = woff2CodePoints(readFileSync(fontFile));
      const byWeight = faces.get(family) ?? new Map<string, Set<number>>();
      const covered = byWeight.get(weight) ?? new Set<number>();
      for (const r of range.split(',')) {
        const [lo, hi = lo] = r.trim().replace(/^U\+/i, '').split('-');
        for (let cp = parseInt(lo, 16); cp <= parseInt(hi, 16); cp++) if (glyphs.has(cp)) covered.add(cp);
      }
      byWeight.set(weight, covered);
      faces.set(family, byWeight);
    }
  }
  return faces;
}

const faces = loadedFaces();
const weights = [...new Set([...faces.values()].flatMap((w) => [...w.keys()]))];

function families(stack: string): string[] {
  return stack.split(',').map((f) => f.trim().replace(/^['"]|['"]$/g, ''));
}

/** The code points of `text` that no bundled face in `stack` covers at `weight`. */
function missing(stack: string, weight: string, text: string): string[] {
  const sets = families(stack).flatMap((f) => faces.get(f)?.get(weight) ?? []);
  return [...new Set(text.replace(/\s/g, ''))].filter((ch) => {
    const cp = ch.codePointAt(0) ?? 0;
    return !sets.some((set) => set.has(cp));
  });
}

beforeAll(() => {
  const ua = document.createElement('style');
  ua.textContent = USER_AGENT_CSS;
  const app = document.createElement('style');
  app.textContent = readFileSync(join(SRC, 'app.css'), 'utf8');
  document.head.append(ua, app);
  document.body.innerHTML = `
    <p>text</p>
    <span class="mono">id</span>
    <div class="recovery-key">key</div>
    <select><option>o</option><optgroup label="g"><option>p</option></optgroup></select>
    <input type="text" /><input type="date" /><input type="file" />
    <button>b</button>
    <textarea></textarea>`;
});

describe.each(LANGS)('in the %s UI', (lang) => {
  const elements = [
    'p', '.mono', '.recovery-key', 'select', 'option', 'optgroup option',
    'input[type=text]', 'input[type=date]', 'input[type=file]', 'button', 'textarea',
  ];

  it.each(elements)('%s renders Hangul, Hanzi, Hanja and Latin from the bundled fonts', (selector) => {
    document.documentElement.lang = lang;
    const el = document.querySelector(selector);
    if (!el) throw new Error(selector);
    const stack = getComputedStyle(el).fontFamily;
    for (const weight of weights) {
      expect(missing(stack, weight, CANARY + ALSO), `${selector} at ${weight}: ${stack}`).toEqual([]);
    }
  });

  it('puts its own script first, so shared Han characters take its shapes', () => {
    document.documentElement.lang = lang;
    const el = document.querySelector('p');
    if (!el) throw new Error('p');
    const first = families(getComputedStyle(el).fontFamily)[0];
    expect(first).toBe({ en: 'Noto Sans', ko: 'Noto Sans KR', 'zh-Hans': 'Noto Sans SC' }[lang]);
    const mono = document.querySelector('.mono');
    if (!mono) throw new Error('.mono');
    const cjk = families(getComputedStyle(mono).fontFamily).filter((f) => faces.has(f));
    if (lang === 'zh-Hans') expect(cjk[0]).toBe('Noto Sans SC');
    if (lang === 'ko') expect(cjk[0]).toBe('Noto Sans KR');
  });
});

it('every stack covers every Hangul syllable', () => {
  let syllables = '';
  for (let cp = 0xac00; cp <= 0xd7a3; cp++) syllables += String.fromCodePoint(cp);
  for (const lang of LANGS) {
    document.documentElement.lang = lang;
    for (const selector of ['p', '.mono']) {
      const el = document.querySelector(selector);
      if (!el) throw new Error(selector);
      for (const weight of weights) {
        expect(missing(getComputedStyle(el).fontFamily, weight, syllables).length, `${lang} ${selector}`).toBe(0);
      }
    }
  }
});
