// Locale-aware formatting of dates, numbers and sizes. Pure (the language is passed in).

import type { Lang } from './i18n';

// Building an Intl formatter costs far more than using one (locale data is loaded
// each time), and the record list formats every visible row on each change.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function cached<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => F): F {
  let f = formatters.get(key) as F | undefined;
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

function numberFormat(lang: Lang, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return cached(`n|${lang}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(lang, options));
}

function dateFormat(lang: Lang, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached(`d|${lang}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(lang, options));
}

export function formatNumber(n: number, lang: Lang): string {
  return numberFormat(lang).format(n);
}

/** A number someone typed into a form: the locale's decimal sign, no grouping (a
 * year or an id must not read "1,985"), every digit kept. */
export function formatFieldNumber(n: number, lang: Lang): string {
  return numberFormat(lang, { useGrouping: false, maximumFractionDigits: 20 }).format(n);
}

/** An RFC 3339 instant shown in local time (or `timeZone` for tests). */
export function formatDateTime(iso: string, lang: Lang, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFormat(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
}

/** A date-only instant (record list), local time. */
export function formatDate(iso: string, lang: Lang, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateFormat(lang, { dateStyle: 'medium', timeZone }).format(d);
}

/** A month as the audit report counts ops (`YYYY-MM`, UTC) in the language's words;
 * anything else as it is. */
export function formatMonth(month: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return month;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  if (Number.isNaN(d.getTime())) return month;
  return dateFormat(lang, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(d);
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Bytes as "1.5 MB" etc. (decimal units, one fraction digit above bytes). */
export function formatSize(bytes: number, lang: Lang): string {
  let value = Math.max(0, Number.isFinite(bytes) ? bytes : 0);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return numberFormat(lang, {
    style: 'unit',
    unit: UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}
