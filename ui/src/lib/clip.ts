// Copies text that is meant to leave the device (an enrolment request, a certificate,
// a revocation: public, signed objects). Never used for secrets or record text.

/** Copies the text of `el` (selected first, so a failed copy leaves it ready for
 * Ctrl+C). Resolves to whether the copy happened. */
export async function copyFrom(el: HTMLTextAreaElement): Promise<boolean> {
  el.focus();
  el.select();
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(el.value);
      return true;
    }
  } catch {
    // WebKitGTK may refuse the asynchronous clipboard; the selection path below works.
  }
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** Copies `text` that is not on the page whole (a device's key shown shortened): the
 * asynchronous clipboard, or a selection of a hidden text area. Resolves to whether the
 * copy happened. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // WebKitGTK may refuse the asynchronous clipboard; the selection path below works.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.style.position = 'fixed';
  area.style.left = '-9999px';
  const back = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
    back?.focus();
  }
}
