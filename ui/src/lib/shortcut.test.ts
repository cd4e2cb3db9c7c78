// @vitest-environment node
import { DEFAULT_SHORTCUT, SHORTCUT_CHOICES, formatShortcut, matchShortcut, parseShortcut } from './shortcut';

const ev = (key: string, mods: Partial<Record<'ctrlKey' | 'altKey' | 'shiftKey' | 'metaKey', boolean>> = {}, code?: string) => ({
  key,
  code,
  ctrlKey: false,
  altKey: false,
  shiftKey: false,
  metaKey: false,
  ...mods,
});

describe('parseShortcut', () => {
  it('parses modifiers and a key', () => {
    expect(parseShortcut('Ctrl+Shift+X')).toEqual({ ctrl: true, alt: false, shift: true, meta: false, key: 'X' });
    expect(parseShortcut('ctrl + alt + l')).toEqual({ ctrl: true, alt: true, shift: false, meta: false, key: 'L' });
    expect(parseShortcut('F12')).toEqual({ ctrl: false, alt: false, shift: false, meta: false, key: 'F12' });
    expect(parseShortcut('Cmd+Shift+9')?.meta).toBe(true);
  });

  it('refuses nonsense', () => {
    for (const bad of ['', '+', 'Ctrl+', 'Ctrl+Ctrl+X', 'Shift+Ctrl', 'Hyper+X', 'Ctrl+XY', 'X', 'Shift+X', 'F25']) {
      expect(parseShortcut(bad), bad).toBeNull();
    }
  });

  it('round-trips every offered choice', () => {
    for (const c of SHORTCUT_CHOICES) {
      const sc = parseShortcut(c);
      expect(sc, c).not.toBeNull();
      expect(formatShortcut(sc!)).toBe(c);
    }
    expect(SHORTCUT_CHOICES).toContain(DEFAULT_SHORTCUT);
  });
});

describe('matchShortcut', () => {
  const ctrlShiftX = parseShortcut('Ctrl+Shift+X');

  it('matches the exact combination', () => {
    expect(matchShortcut(ctrlShiftX, ev('X', { ctrlKey: true, shiftKey: true }, 'KeyX'))).toBe(true);
    expect(matchShortcut(ctrlShiftX, ev('x', { ctrlKey: true, shiftKey: true }))).toBe(true);
  });

  it('uses the physical key when the layout changes the character', () => {
    expect(matchShortcut(parseShortcut('Ctrl+Alt+L'), ev('¬', { ctrlKey: true, altKey: true }, 'KeyL'))).toBe(true);
    expect(matchShortcut(ctrlShiftX, ev('ㅌ', { ctrlKey: true, shiftKey: true }, 'KeyX'))).toBe(true);
  });

  it('requires the modifiers to match exactly', () => {
    expect(matchShortcut(ctrlShiftX, ev('x', { ctrlKey: true }, 'KeyX'))).toBe(false);
    expect(matchShortcut(ctrlShiftX, ev('X', { ctrlKey: true, shiftKey: true, altKey: true }, 'KeyX'))).toBe(false);
    expect(matchShortcut(ctrlShiftX, ev('X', { shiftKey: true }, 'KeyX'))).toBe(false);
    expect(matchShortcut(ctrlShiftX, ev('C', { ctrlKey: true, shiftKey: true }, 'KeyC'))).toBe(false);
  });

  it('matches function keys', () => {
    const f12 = parseShortcut('F12');
    expect(matchShortcut(f12, ev('F12', {}, 'F12'))).toBe(true);
    expect(matchShortcut(f12, ev('F11', {}, 'F11'))).toBe(false);
    expect(matchShortcut(f12, ev('F12', { ctrlKey: true }, 'F12'))).toBe(false);
  });

  it('never matches without a shortcut', () => {
    expect(matchShortcut(null, ev('X', { ctrlKey: true, shiftKey: true }))).toBe(false);
  });
});
