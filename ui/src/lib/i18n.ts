// Translations: the dictionaries and pure helpers. The reactive current language
// lives in `i18n.svelte.ts`.

import en from '../../../assets/i18n/en.json';
import ko from '../../../assets/i18n/ko.json';
import zhHans from '../../../assets/i18n/zh-Hans.json';
import { IntlMessageFormat } from 'intl-messageformat';
import { visible } from './peertext';

export type Lang = 'en' | 'ko' | 'zh-Hans';
export type Dict = Record<string, string>;

export const LANGS: readonly Lang[] = ['en', 'ko', 'zh-Hans'];

/** Each language's name in itself (not translated, on purpose). */
export const LANG_NAMES: Record<Lang, string> = {
  en: 'English',
  ko: '한국어',
  'zh-Hans': '简体中文',
};

export const dictionaries: Record<Lang, Dict> = { en, ko, 'zh-Hans': zhHans };

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

/** Maps a BCP 47 tag (or a list, first match wins) to a supported language. */
export function detectLanguage(tags: string | readonly string[] | null | undefined): Lang {
  const list = typeof tags === 'string' ? [tags] : (tags ?? []);
  for (const raw of list) {
    const tag = (raw ?? '').toLowerCase();
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-Hans';
    if (tag === 'ko' || tag.startsWith('ko-')) return 'ko';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** The placeholders a string uses, sorted: `{name}`, and ICU arguments such as
 * `{count, plural, …}` or `{count, number}`. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{(\w+)(?:\}|\s*,)/g)].map((m) => m[1]))].sort();
}

export type Params = Record<string, string | number>;

/** Strings with ICU arguments (plurals, numbers) go through ICU MessageFormat, so a
 * count is "1 change" and "2 changes" in English and formatted as the language
 * writes numbers; the others only fill in `{name}`. */
const ICU = /\{\w+\s*,\s*(plural|selectordinal|select|number)\b/;
const compiled = new Map<string, IntlMessageFormat>();

export function translate(lang: Lang, key: string, params?: Params): string {
  const own = dictionaries[lang][key];
  const text = own ?? dictionaries.en[key] ?? key;
  if (!params) return text;
  if (ICU.test(text)) {
    const locale = own === undefined ? 'en' : lang;
    const id = `${locale}\u0000${text}`;
    let format = compiled.get(id);
    if (!format) {
      format = new IntlMessageFormat(text, locale);
      compiled.set(id, format);
    }
    return String(format.format(params));
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** A label in the current language from a form definition's `{en, ko, zh-Hans}`. */
/** A form's label in `lang`, for display: forms come from other devices too, so its
 * control and bidi formatting characters are shown as escapes (`peertext.ts`). */
export function pickLabel(labels: Partial<Record<Lang, string>> | undefined, lang: Lang): string {
  if (!labels) return '';
  return visible(labels[lang] ?? labels.en ?? '');
}
