// The current language as rune state: reading `t(...)` in a template re-renders on switch.

import { detectLanguage, translate, type Lang, type Params } from './i18n';

const state = $state<{ lang: Lang }>({
  lang: detectLanguage(typeof navigator !== 'undefined' ? navigator.language : 'en'),
});

export function currentLang(): Lang {
  return state.lang;
}

export function setLang(lang: Lang): void {
  state.lang = lang;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

/** Follows the system language (settings' "System"). */
export function systemLang(): Lang {
  return detectLanguage(typeof navigator !== 'undefined' ? navigator.language : 'en');
}

export function t(key: string, params?: Params): string {
  return translate(state.lang, key, params);
}
