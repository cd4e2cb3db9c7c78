// @vitest-environment node
// No text a person reads is written into the markup: every word on screen comes from
// the translation files (assets/i18n), so a Korean or Chinese user never meets English.
// Walks each component's template with Svelte's own parser.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'svelte/compiler';

/** Attributes whose value is read or spoken to the user. */
const READ = new Set(['placeholder', 'title', 'alt', 'label', 'aria-label', 'aria-description', 'aria-placeholder', 'aria-roledescription', 'aria-valuetext']);
/** Text that is the same in every language. */
const SAME = /^(Satchel|Ctrl|Shift|Alt|Esc|Tab|Enter|F\d{1,2})$/;

function components(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return components(p);
    return name.endsWith('.svelte') ? [p] : [];
  });
}

type Node = { type: string; data?: string; name?: string; value?: unknown; start: number; [k: string]: unknown };

/** Literal text (with a letter in any script) in the template and in the read attributes. */
export function hardCoded(source: string): string[] {
  const ast = parse(source, { modern: true }) as unknown as { fragment: Node };
  const found: string[] = [];
  const visit = (n: unknown, parent: string): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach((c) => visit(c, parent));
    const node = n as Node;
    if (node.type === 'Text' && parent !== 'style' && parent !== 'script') {
      const text = (node.data ?? '').trim();
      if (/\p{L}/u.test(text) && !SAME.test(text)) found.push(text);
    }
    if (node.type === 'Attribute') {
      if (node.name && READ.has(node.name) && Array.isArray(node.value)) {
        for (const part of node.value as Node[]) {
          const text = (part.type === 'Text' ? (part.data ?? '') : '').trim();
          if (/\p{L}/u.test(text) && !SAME.test(text)) found.push(`${node.name}="${text}"`);
        }
      }
      return; // other attributes (classes, ids, types) are not read by people
    }
    const name = node.type === 'RegularElement' ? String(node.name) : parent;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'type' || k === 'start' || k === 'end' || k === 'metadata') continue;
      if (k === 'expression' || k === 'instance' || k === 'module' || k === 'css') continue;
      visit(v, name);
    }
  };
  visit(ast.fragment, '');
  return found;
}

describe('UI strings', () => {
  it('finds text written into markup (the check itself)', () => {
    expect(hardCoded('<p>Save</p><input placeholder="Name" /><b>{t("x")}</b>')).toEqual(['Save', 'placeholder="Name"']);
    expect(hardCoded('<p>{t("a")} · 3</p><kbd>Ctrl</kbd><style>p { color: red; }</style>')).toEqual([]);
    expect(hardCoded('<span>저장</span>')).toEqual(['저장']);
  });

  it('are all translated: no component writes a word of its own', () => {
    const root = join(__dirname);
    const all = components(root).flatMap((file) => hardCoded(readFileSync(file, 'utf8')).map((s) => `${relative(root, file)}: ${s}`));
    expect(all).toEqual([]);
  });
});
