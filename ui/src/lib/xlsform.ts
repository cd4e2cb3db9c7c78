// The Forms screen's words for an XLSForm import: where in the workbook, what each
// note says, what became of each language. Pure, unit-tested; the spreadsheet is
// read by the vault (satchel-xlsform), which sends codes, never sentences.

import type { Form, Language, Note, OrgView, Summary } from './api';
import { isLang, type Params } from './i18n';
import { canManage } from './org';
import { visible } from './peertext';

type T = (key: string, params?: Params) => string;

/** Which parts of a place in a workbook are known, as the messages choose their
 * wording with an ICU `select` (a missing part must not be named). */
export type PlaceKind = 'sheet_row_column' | 'sheet_row' | 'sheet_column' | 'sheet' | 'none';

export function placeKind(p: { sheet?: unknown; row?: unknown; column?: unknown }): PlaceKind {
  const has = (v: unknown) => v !== undefined && v !== null && v !== '';
  if (!has(p.sheet)) return 'none';
  if (has(p.row)) return has(p.column) ? 'sheet_row_column' : 'sheet_row';
  return has(p.column) ? 'sheet_column' : 'sheet';
}

/** An `xlsform` error's params with the `at` its message selects on. */
export function xlsformParams(params: Params): Params {
  return { ...params, at: placeKind(params) };
}

/** Where a note applies: sheet, row and column as far as known, and how many rows. */
export function notePlace(n: Note, t: T): string {
  const place = t('forms.place', {
    at: placeKind(n),
    sheet: visible(n.sheet),
    // A row number as the spreadsheet shows it, without grouping.
    row: n.row === undefined ? '' : String(n.row),
    column: visible(n.column ?? ''),
  });
  return n.rows > 1 ? t('forms.place_rows', { place, count: n.rows }) : place;
}

/** The notes the vault sends, each with its own message. */
export const NOTE_CODES = [
  'presentation',
  'metadata',
  'unused_calculation',
  'label_missing',
  'ignored_column',
  'ignored_setting',
  'read_only',
  'barcode_as_text',
  'version_not_number',
] as const;

/** What a note says was left out or changed, in the UI's language. */
export function noteText(n: Note, t: T): string {
  const construct = visible(n.construct);
  if (n.code === 'label_missing') {
    // A row with no label at all shows its name; otherwise one language is missing.
    if (!isLang(n.construct)) return t('forms.note.no_label');
    return t('forms.note.label_missing', { count: n.rows, language: t(`forms.lang.${n.construct}`) });
  }
  if ((NOTE_CODES as readonly string[]).includes(n.code)) return t(`forms.note.${n.code}`, { construct });
  return t('forms.note.other', { code: visible(n.code), construct });
}

/** A spreadsheet language and what it became in the app. */
export function languageText(l: Language, t: T): string {
  const name = l.name === '' ? t('forms.lang_unnamed') : visible(l.name);
  if (l.mapped !== undefined && isLang(l.mapped)) return t('forms.lang_mapped', { name, language: t(`forms.lang.${l.mapped}`) });
  return t('forms.lang_kept', { name });
}

/** The summary's counts, one line each. */
export function summaryCounts(s: Summary, t: T): string[] {
  return [
    t('forms.count_fields', { count: s.fields }),
    t('forms.count_sections', { count: s.sections }),
    t('forms.count_rules', { count: s.rules }),
    t('forms.count_lists', { count: s.lists }),
  ];
}

/** What the Forms screen offers this device: installing is a coordinator's in an
 * organisation (a vault in none installs its own), and there it publishes the form to
 * every member. `undefined`: not known yet, nothing offered. The vault checks again. */
export function formsAccess(org: OrgView | null | undefined): { install: boolean; publishes: boolean } {
  if (org === undefined) return { install: false, publishes: false };
  if (org === null) return { install: true, publishes: false };
  return { install: canManage(org), publishes: true };
}

/** Installed forms, by their label in the UI's language. */
export function sortedForms(forms: readonly Form[], label: (f: Form) => string, lang?: string): Form[] {
  return [...forms].sort((a, b) => label(a).localeCompare(label(b), lang) || a.name.localeCompare(b.name));
}
