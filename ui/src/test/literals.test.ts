// @vitest-environment node
// No user-visible text may be written directly in a component: everything goes through
// the translation files. Parses every .svelte file with the compiler's modern AST.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'svelte/compiler';

const ROOT = join(__dirname, '..');
const ALLOWED = new Set(['Satchel', 'English', '한국어', '简体中文']);
const CHECKED_ATTRIBUTES = new Set(['placeholder', 'title', 'aria-label', 'alt']);
const LETTER = /\p{L}/u;

function svelteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return svelteFiles(p);
    return name.endsWith('.svelte') ? [p] : [];
  });
}

type Node = { type?: string; [k: string]: unknown };

export function literalProblems(source: string): string[] {
  const ast = parse(source, { modern: true }) as unknown as { fragment: Node };
  const problems: string[] = [];
  const bad = (text: string) => LETTER.test(text) && !ALLOWED.has(text.trim());

  function visit(node: unknown): void {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.type === 'Attribute') {
      const name = String(n.name).toLowerCase();
      if (CHECKED_ATTRIBUTES.has(name) && Array.isArray(n.value)) {
        for (const part of n.value as Node[]) {
          if (part.type === 'Text' && bad(String(part.data))) problems.push(`${name}="${String(part.data)}"`);
        }
      }
      // Other attribute values (class, type, …) are not user-visible text; expressions are code.
      if (Array.isArray(n.value)) (n.value as Node[]).filter((p) => p.type !== 'Text').forEach(visit);
      return;
    }
    if (n.type === 'Text') {
      if (bad(String(n.data))) problems.push(`text "${String(n.data).trim()}"`);
      return;
    }
    for (const [key, value] of Object.entries(n)) {
      if (key === 'start' || key === 'end' || key === 'loc') continue;
      visit(value);
    }
  }

  visit(ast.fragment);
  return problems;
}

describe('no string literals in components', () => {
  const files = svelteFiles(ROOT);

  it('finds the components', () => {
    expect(files.length).toBeGreaterThan(15);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s', (_name, file) => {
    expect(literalProblems(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('catches literals (self-test)', () => {
    expect(literalProblems('<p>Hello</p>')).toEqual(['text "Hello"']);
    expect(literalProblems('<p>안녕</p>')).toHaveLength(1);
    expect(literalProblems('<input placeholder="Name" />')).toEqual(['placeholder="Name"']);
    expect(literalProblems('<img alt="photo" src="x" />')).toHaveLength(1);
    expect(literalProblems('<button aria-label="Close">{x}</button>')).toHaveLength(1);
    expect(literalProblems('<div title="Tip {x}"></div>')).toHaveLength(1);
    expect(literalProblems('{#if a}<b>Oops</b>{/if}')).toHaveLength(1);
    expect(literalProblems('<span class="title" data-testid="x">{t("a")} · 1</span>')).toEqual([]);
    expect(literalProblems('<span>Satchel</span>')).toEqual([]);
  });
});
