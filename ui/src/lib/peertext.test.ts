import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/svelte';
import PeerText from '../components/PeerText.svelte';
import { hasUnsafe, visible } from './peertext';

describe('text from other devices', () => {
  it('shows controls and bidi formatting characters as escapes, like the CLI', () => {
    const hostile = 'A\u001b]0;owned\u0007B\u202egpj.exe\u009b2J\r\u0000';
    expect(visible(hostile)).toBe('A\\u{1b}]0;owned\\u{7}B\\u{202e}gpj.exe\\u{9b}2J\\u{d}\\u{0}');
    for (const c of ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u007f', '\u0085']) {
      expect(visible(`x${c}y`)).toBe(`x\\u{${c.codePointAt(0)!.toString(16)}}y`);
      expect(hasUnsafe(c)).toBe(true);
    }
  });

  it('keeps ordinary text, newlines and tabs, Korean, Chinese and Arabic as they are', () => {
    for (const ok of ['김철수', '王芳\n延吉', 'a\tb', 'محمد', 'שלום', '']) {
      expect(visible(ok)).toBe(ok);
      expect(hasUnsafe(ok)).toBe(false);
    }
    expect(visible(null)).toBe('');
    // Twice in a row: the pattern keeps no state between calls.
    expect(hasUnsafe('\u202e')).toBe(true);
    expect(hasUnsafe('\u202e')).toBe(true);
  });

  it('renders isolated from the text around it, with the escapes visible', () => {
    const { container } = render(PeerText, { props: { text: 'Kim\u202e\u0000gpj.exe', testid: 'p' } });
    const bdi = container.querySelector('bdi.peer-text');
    expect(bdi).not.toBeNull();
    expect(bdi!.textContent).toBe('Kim\\u{202e}\\u{0}gpj.exe');
    expect(bdi!.textContent).not.toMatch(/[\u0000\u202e]/u);
  });
});
