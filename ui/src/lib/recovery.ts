// Recovery key helpers: display groups and the "type the last group" check.
// Keys look like "ABCD-EFGH-...-WXYZ" (Crockford base32, 8 groups of 4).

/** Upper-case, no spaces or dashes, look-alikes folded the way the shell parses them. */
export function normaliseKeyText(text: string): string {
  return text
    .replace(/[\s-]+/g, '')
    .toUpperCase()
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
}

export function keyGroups(key: string): string[] {
  const groups = key
    .trim()
    .split(/[\s-]+/)
    .filter((g) => g.length > 0);
  if (groups.length > 1) return groups;
  const flat = normaliseKeyText(key);
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 4) out.push(flat.slice(i, i + 4));
  return out;
}

export function lastGroup(key: string): string {
  const groups = keyGroups(key);
  return groups[groups.length - 1] ?? '';
}

/** True when `typed` is the key's last group, ignoring case, spaces and dashes. */
export function confirmsLastGroup(key: string, typed: string): boolean {
  const expected = normaliseKeyText(lastGroup(key));
  return expected.length > 0 && normaliseKeyText(typed) === expected;
}
