// @vitest-environment node
import { appShortcut } from './keys';

const key = (k: string, mods: Partial<KeyboardEvent> = {}) =>
  ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods }) as KeyboardEvent;

describe('app shortcuts', () => {
  it('reads Ctrl or ⌘ with N, F and S, and nothing else', () => {
    expect(appShortcut(key('n', { ctrlKey: true }))).toBe('new');
    expect(appShortcut(key('F', { ctrlKey: true }))).toBe('search');
    expect(appShortcut(key('s', { metaKey: true }))).toBe('save');
    expect(appShortcut(key('s'))).toBeNull();
    expect(appShortcut(key('s', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(appShortcut(key('l', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(appShortcut(key('x', { ctrlKey: true }))).toBeNull();
  });
});
