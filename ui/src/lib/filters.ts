// The records filter as a person sets it on the Records screen, and what it asks of
// the vault. Pure, so it is tested without a screen; the vault checks every filter
// again (satchel-api `Vault::list_filter`).

import type { RecordEvent, RecordFilter } from './api';
import { parseDate } from './fields';

export interface FilterInputs {
  /** Device id of the author, '' for anyone. */
  author: string;
  /** Whether the author and the dates concern the records' creation or any change. */
  on: RecordEvent;
  /** Dates as typed, in any of the app's languages. */
  since: string;
  until: string;
}

export function freshFilter(): FilterInputs {
  return { author: '', on: 'created', since: '', until: '' };
}

/** Whether anything beyond the form narrows the list. */
export function filterActive(f: FilterInputs): boolean {
  return f.author !== '' || f.since.trim() !== '' || f.until.trim() !== '';
}

export type FilterCheck =
  | { ok: true; filter: RecordFilter | null }
  | { ok: false; field: 'since' | 'until'; key: string };

/** An exact date as typed (`2026-11-30`, `2026-11`, `2026`, in any language), stored form. */
function exactDate(text: string): string | null {
  const d = parseDate(text);
  return d === null || d.startsWith('~') ? null : d;
}

/** The filter for the vault, or which field is wrong. Dates are days in the zone
 * `offsetMinutes` east of UTC: the app shows times in local time, so it sends its own. */
export function toRecordFilter(f: FilterInputs, offsetMinutes: number): FilterCheck {
  if (!filterActive(f)) return { ok: true, filter: null };
  const since = f.since.trim() === '' ? null : exactDate(f.since);
  if (f.since.trim() !== '' && since === null) return { ok: false, field: 'since', key: 'records.filter_bad_date' };
  const until = f.until.trim() === '' ? null : exactDate(f.until);
  if (f.until.trim() !== '' && until === null) return { ok: false, field: 'until', key: 'records.filter_bad_date' };
  // A period's first day against the other's last: `2026-11` from the 1st, to the end.
  if (since !== null && until !== null && `${since}-01-01`.slice(0, 10) > `${until}-99-99`.slice(0, 10)) {
    return { ok: false, field: 'until', key: 'records.filter_bad_range' };
  }
  return {
    ok: true,
    filter: {
      form: null,
      author: f.author === '' ? null : f.author,
      author_did: f.on,
      since,
      until,
      dated: f.on,
      utc_offset_minutes: offsetMinutes,
    },
  };
}

/** Minutes east of UTC of this computer's zone now (`Date` counts them westward). */
export function localOffsetMinutes(now: Date = new Date()): number {
  return -now.getTimezoneOffset();
}
