// @vitest-environment node
import { confirmsLastGroup, keyGroups, lastGroup, normaliseKeyText } from './recovery';

const KEY = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789';

describe('recovery key helpers', () => {
  it('splits a key into groups', () => {
    expect(keyGroups(KEY)).toHaveLength(8);
    expect(keyGroups(KEY)[1]).toBe('EFGH');
    expect(keyGroups('ABCDEFGH')).toEqual(['ABCD', 'EFGH']);
    expect(lastGroup(KEY)).toBe('6789');
  });

  it('accepts the last group ignoring case, spaces and dashes', () => {
    const key = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-AB9Z';
    expect(confirmsLastGroup(key, 'AB9Z')).toBe(true);
    expect(confirmsLastGroup(key, 'ab9z')).toBe(true);
    expect(confirmsLastGroup(key, ' ab-9 z ')).toBe(true);
  });

  it('forgives the look-alikes the shell forgives', () => {
    expect(confirmsLastGroup('AAAA-1000', 'IOOO')).toBe(true);
    expect(confirmsLastGroup('AAAA-1000', 'lo0o')).toBe(true);
  });

  it('refuses anything else', () => {
    expect(confirmsLastGroup(KEY, '')).toBe(false);
    expect(confirmsLastGroup(KEY, '678')).toBe(false);
    expect(confirmsLastGroup(KEY, '67890')).toBe(false);
    expect(confirmsLastGroup(KEY, 'ABCD')).toBe(false);
    expect(confirmsLastGroup(KEY, KEY)).toBe(false);
    expect(confirmsLastGroup('', '')).toBe(false);
  });

  it('normalises text', () => {
    expect(normaliseKeyText(' ab-cd ef ')).toBe('ABCDEF');
  });
});
