// Stored values as a person reads them in the UI's language. The shell's `display`
// text has choice labels in the asked language but English words for yes/no and
// attachments and plain numbers and dates; those are redone here from the value.

import type { FieldType, Json, ShownAttachment } from './api';
import { formatDate, formatDateTime, formatFieldNumber, formatSize } from './format';
import { translate, type Lang } from './i18n';
import { isIsoDate } from './fields';

/** `value` as shown in `lang`; `display` is the shell's text for it. `type` (when
 * the form is known) tells a date from text that looks like one. */
export function shownValue(value: Json | undefined, display: string, lang: Lang, type?: FieldType): string {
  if (type === 'acknowledge' && value === true) return translate(lang, 'value.acknowledged');
  if (typeof value === 'boolean') return translate(lang, value ? 'value.yes' : 'value.no');
  // A date and time is the wall-clock time the person read: shown as it is, in no zone.
  if (type === 'datetime' && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) && isIsoDate(value.slice(0, 10))) {
    return formatDateTime(`${value}:00Z`, lang, 'UTC');
  }
  if (typeof value === 'number') return formatFieldNumber(value, lang);
  if (type === 'date' && typeof value === 'string' && isIsoDate(value)) return formatDate(value, lang, 'UTC');
  return display;
}

/** A history line for an attachment: added (the value holds its name and size) or
 * removed (null). */
export function shownAttachmentChange(value: Json | undefined, lang: Lang): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const name = typeof value.name === 'string' ? value.name : '';
    const size = typeof value.size === 'number' ? value.size : 0;
    return translate(lang, 'history.attachment_added', { name, size: formatSize(size, lang) });
  }
  return translate(lang, 'history.attachment_removed');
}

/** An attachment field's value (a file's BLAKE3 hex) as the file's name, when the
 * record holds that file; null otherwise. */
export function attachmentName(value: Json | undefined, attachments: readonly ShownAttachment[]): string | null {
  if (typeof value !== 'string') return null;
  return attachments.find((a) => a.blake3 === value)?.name ?? null;
}
