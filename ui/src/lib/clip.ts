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
