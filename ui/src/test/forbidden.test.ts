// Nothing under src may persist data in the web view, open windows, or name a remote URL.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

// Built from pieces so this file does not match itself.
const FORBIDDEN = [
  'local' + 'Storage',
  'session' + 'Storage',
  'indexed' + 'DB',
  'document' + '.cookie',
  'window' + '.open',
  'http' + '://',
  'https' + '://',
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('forbidden references', () => {
  const all = files(ROOT);
  it('scans the sources', () => {
    expect(all.some((f) => f.endsWith('App.svelte'))).toBe(true);
    expect(all.some((f) => f.endsWith('api.ts'))).toBe(true);
  });

  it.each(all.map((f) => [relative(ROOT, f), f]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const lower = text.toLowerCase();
    const hits = FORBIDDEN.filter((word) => lower.includes(word.toLowerCase()));
    expect(hits).toEqual([]);
  });

  it('index.html loads nothing remote either', () => {
    const html = readFileSync(join(ROOT, '..', 'index.html'), 'utf8').toLowerCase();
    expect(html.includes('http' + '://') || html.includes('https' + '://')).toBe(false);
  });
});
