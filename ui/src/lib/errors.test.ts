// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import examples from '../../../assets/ipc/error-examples.json';
import { ERROR_CODES, errorText, toApiError } from './app.svelte';
import type { ApiError } from './api';
import { LANGS, dictionaries, translate, type Lang } from './i18n';
import { setLang } from './i18n.svelte';

// Every code and reason as the shell sends them, written by
// src-tauri/tests/ipc_types.rs from the Rust errors themselves.
const shellErrors = examples as ApiError[];

function textIn(lang: Lang, e: Pick<ApiError, 'code' | 'params'>): string {
  setLang(lang);
  return errorText(e);
}

/** What is left of a message once its params and the names every language keeps
 * (the app's name, units, a key combination) are taken out. */
function withoutParams(text: string, e: Pick<ApiError, 'params'>): string {
  let rest = text;
  for (const v of Object.values(e.params)) rest = rest.split(String(v)).join('');
  for (const kept of ['Satchel', 'MiB', 'KiB', 'ID', 'Ctrl+Shift+X', 'XLSX', 'CSV']) rest = rest.split(kept).join('');
  return rest;
}

describe('errors from the shell', () => {
  afterEach(() => setLang('en'));

  it('cover every code the shell sends', () => {
    expect(new Set(shellErrors.map((e) => e.code))).toEqual(new Set(ERROR_CODES));
  });

  it('have a message for every code in every language', () => {
    const missing = LANGS.flatMap((lang) =>
      ERROR_CODES.filter((c) => !(`error.code.${c}` in dictionaries[lang])).map((c) => `${lang}: ${c}`),
    );
    expect(missing).toEqual([]);
  });

  it('format every example with its params in every language, each reason its own case', () => {
    for (const lang of LANGS) {
      for (const e of shellErrors) {
        const label = `${lang} ${e.code} ${JSON.stringify(e.params)}`;
        const text = textIn(lang, e);
        expect(text, label).not.toBe(translate(lang, 'error.generic', { code: e.code }));
        expect(text, label).not.toMatch(/[{}]/);
        for (const name of ['name', 'form'] as const) {
          const v = e.params[name];
          if (typeof v === 'string' && e.code !== 'invalid_value') expect(text, label).toContain(v);
        }
        // A reason or problem the message does not know would fall to `other`.
        for (const key of ['reason', 'problem'] as const) {
          if (typeof e.params[key] !== 'string' || e.params[key] === 'other') continue;
          const unknown = textIn(lang, { ...e, params: { ...e.params, [key]: 'no_such_reason' } });
          expect(text, label).not.toBe(unknown);
        }
      }
    }
  });

  it('never show the English message, in any language', () => {
    for (const lang of LANGS) {
      for (const e of shellErrors) {
        const text = textIn(lang, e);
        expect(text, `${lang} ${e.code}`).not.toContain(e.message);
        expect(toApiError(e).message).toBe(text);
      }
    }
  });

  it('read in Korean and Chinese without a Latin letter besides their params', () => {
    for (const lang of ['ko', 'zh-Hans'] as const) {
      const latin = shellErrors
        .map((e) => ({ e, rest: withoutParams(textIn(lang, e), e) }))
        // Literal formats the person types as they are: a proxy's and a relay's
        // address, and a time window's pattern.
        .map(({ e, rest }) => ({ e, rest: rest.replace(/socks5h:\/\/|https?:\/\/|HH:MM/g, '') }))
        .filter(({ rest }) => /[A-Za-z]/.test(rest))
        .map(({ e, rest }) => `${e.code} ${JSON.stringify(e.params)}: ${rest}`);
      expect(latin, lang).toEqual([]);
    }
  });

  it('say a refused bundle in Korean only, once', () => {
    const refused = shellErrors.find((e) => e.code === 'bundle_refused' && e.params.reason === 'not_for_us');
    expect(refused?.message).toMatch(/^bundle refused: /);
    const ko = textIn('ko', refused!);
    expect(ko).toBe('묶음 파일을 거부했습니다. 이 기기로 보낸 것이 아니거나 손상되었습니다. 아무것도 바뀌지 않았습니다.');
    expect(ko).not.toMatch(/[A-Za-z]/);
    const en = textIn('en', refused!);
    expect(en.match(/refused/gi)).toHaveLength(1);
    expect(en).toBe('The bundle was refused: it is not addressed to this device, or it is damaged. Nothing was changed.');
  });

  it('fall back to a generic message in the user language, with the code, never the English', () => {
    const e = { code: 'something_new', params: {}, message: 'something new went wrong' } as unknown as ApiError;
    expect(textIn('ko', e)).toBe('문제가 발생했습니다(something_new). 다시 시도해 주세요.');
    setLang('zh-Hans');
    expect(toApiError(e).message).not.toContain('went wrong');
    // A message whose params did not come falls back too, rather than throwing.
    expect(textIn('en', { code: 'weak_passphrase', params: {} })).toBe(
      translate('en', 'error.generic', { code: 'weak_passphrase' }),
    );
  });

  it('show names from people with visible escapes', () => {
    expect(textIn('en', { code: 'unknown_peer', params: { name: 'mi\u202ena' } })).toBe(
      'There is no peer named “mi\\u{202e}na”.',
    );
  });

  it('keep the field, and turn anything that is not a shell error into a generic one', () => {
    setLang('ko');
    const e = toApiError({
      code: 'invalid_value',
      params: { field: 'age', problem: 'not_number' },
      message: 'field `age`: expected a number',
      field: 'age',
    });
    expect(e.field).toBe('age');
    expect(e.message).toBe('숫자를 입력하세요. 예: 3 또는 2.5');
    expect(toApiError(new Error('boom /home/user/secret')).message).not.toContain('secret');
    expect(toApiError('x').code).toBe('internal');
  });

  it('are never glued to a translated sentence or repeated by a screen', () => {
    // No message takes another message: the old "The bundle was refused: {message}"
    // showed "The bundle was refused: bundle refused: …", and in Korean glued the
    // English to the Korean.
    for (const lang of LANGS) {
      const glued = Object.entries(dictionaries[lang]).filter(([, text]) => /\{message\}/.test(text));
      expect(glued, lang).toEqual([]);
    }
    const screens = join(__dirname, '..');
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir).flatMap((name) => {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) return walk(p);
        return /\.(svelte|ts)$/.test(name) && !/\.test\.ts$/.test(name) ? [p] : [];
      });
    })(screens);
    const offenders = files.filter((f) =>
      /\bt\(\s*'[^']+',\s*\{[^}]*\bmessage:|refusal\(|TRANSLATED_CODES/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
