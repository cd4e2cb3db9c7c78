// The app's keyboard shortcuts (shown next to what they do): a new record, the
// search box, and saving the record being edited. The panic shortcut is separate
// (lib/shortcut.ts) and always wins.

export type AppShortcut = 'new' | 'search' | 'save';

/** Ctrl (or ⌘) with N, F or S and no other modifier. */
export function appShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): AppShortcut | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return null;
  switch (e.key.toLowerCase()) {
    case 'n':
      return 'new';
    case 'f':
      return 'search';
    case 's':
      return 'save';
    default:
      return null;
  }
}

/** How a shortcut is written next to its button. */
export const SHORTCUT_LABELS: Record<AppShortcut, string> = { new: 'Ctrl+N', search: 'Ctrl+F', save: 'Ctrl+S' };
