// Text that came from another device (record values, peer and author names, form
// labels, what a quarantined op holds) is shown, never obeyed: every C0 and C1 control
// character (but newline and tab) and every bidi formatting character becomes a
// visible escape like `\u{202e}`, as the CLI prints it, so a right-to-left override
// cannot make a name or an id read as something else and a NUL cannot hide the rest.
// Only for display: a field being edited keeps the exact stored value.

/** Characters that must not reach the screen as they are. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** Whether `text` holds a character that `visible` would escape. */
export function hasUnsafe(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/** `text` with each control and bidi formatting character written as `\u{hex}`. */
export function visible(text: string | null | undefined): string {
  if (!text) return '';
  return text.replace(UNSAFE, (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`);
}
