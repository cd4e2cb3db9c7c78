// Keyboard shortcuts such as "Ctrl+Shift+X" or "F12": parsing and matching a
// KeyboardEvent. Pure, unit-tested.

export interface Shortcut {
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
  /** Upper-case letter, digit, or a named key like "F12", "Escape". */
  key: string;
}

export const DEFAULT_SHORTCUT = 'Ctrl+Shift+X';

/** The choices offered in the settings. */
export const SHORTCUT_CHOICES = [
  'Ctrl+Shift+X',
  'Ctrl+Alt+L',
  'Ctrl+Shift+L',
  'Ctrl+Alt+X',
  'Ctrl+Shift+F12',
  'F12',
] as const;

const MODIFIERS: Record<string, keyof Omit<Shortcut, 'key'>> = {
  ctrl: 'ctrl',
  control: 'ctrl',
  alt: 'alt',
  option: 'alt',
  shift: 'shift',
  meta: 'meta',
  cmd: 'meta',
  command: 'meta',
  super: 'meta',
};

function normaliseKey(k: string): string | null {
  if (/^[a-z0-9]$/i.test(k)) return k.toUpperCase();
  const f = /^f([1-9]|1[0-9]|2[0-4])$/i.exec(k);
  if (f) return `F${f[1]}`;
  const named: Record<string, string> = {
    escape: 'Escape',
    esc: 'Escape',
    pause: 'Pause',
    delete: 'Delete',
    del: 'Delete',
    backspace: 'Backspace',
    space: 'Space',
    enter: 'Enter',
  };
  return named[k.toLowerCase()] ?? null;
}

export function parseShortcut(text: string): Shortcut | null {
  if (typeof text !== 'string') return null;
  const parts = text
    .split('+')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0) return null;
  const sc: Shortcut = { ctrl: false, alt: false, shift: false, meta: false, key: '' };
  for (const [i, part] of parts.entries()) {
    const mod = MODIFIERS[part.toLowerCase()];
    if (i < parts.length - 1) {
      if (!mod || sc[mod]) return null;
      sc[mod] = true;
    } else {
      const key = normaliseKey(part);
      if (!key) return null;
      sc.key = key;
    }
  }
  // A bare letter or digit would fire while typing; require a modifier for those.
  if (/^[A-Z0-9]$/.test(sc.key) && !sc.ctrl && !sc.alt && !sc.meta) return null;
  return sc;
}

export function formatShortcut(sc: Shortcut): string {
  const parts: string[] = [];
  if (sc.ctrl) parts.push('Ctrl');
  if (sc.alt) parts.push('Alt');
  if (sc.shift) parts.push('Shift');
  if (sc.meta) parts.push('Meta');
  parts.push(sc.key);
  return parts.join('+');
}

export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

export function matchShortcut(sc: Shortcut | null, ev: KeyLike): boolean {
  if (!sc) return false;
  if (ev.ctrlKey !== sc.ctrl || ev.altKey !== sc.alt || ev.shiftKey !== sc.shift || ev.metaKey !== sc.meta) {
    return false;
  }
  if (/^[A-Z]$/.test(sc.key)) {
    // With Alt or Shift held the produced character varies by layout; the physical key does not.
    return ev.code === `Key${sc.key}` || (ev.key ?? '').toUpperCase() === sc.key;
  }
  if (/^[0-9]$/.test(sc.key)) {
    return ev.code === `Digit${sc.key}` || ev.code === `Numpad${sc.key}` || ev.key === sc.key;
  }
  if (sc.key === 'Space') return ev.key === ' ' || ev.code === 'Space';
  if (sc.key === 'Escape') return ev.key === 'Escape' || ev.key === 'Esc';
  return ev.key === sc.key;
}
