// @vitest-environment node
import { ERROR_CODES } from './app.svelte';
import { LOCK_REASONS, PHASES } from './api';
import { ANOMALY_CODES } from './audit';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LANGS, dictionaries, detectLanguage, placeholders, translate } from './i18n';

describe('detectLanguage', () => {
  it('maps system languages', () => {
    expect(detectLanguage('ko-KR')).toBe('ko');
    expect(detectLanguage('ko')).toBe('ko');
    expect(detectLanguage('zh-CN')).toBe('zh-Hans');
    expect(detectLanguage('zh-TW')).toBe('zh-Hans');
    expect(detectLanguage('zh-Hant-HK')).toBe('zh-Hans');
    expect(detectLanguage('zh')).toBe('zh-Hans');
    expect(detectLanguage('en-GB')).toBe('en');
    expect(detectLanguage('fr-FR')).toBe('en');
    expect(detectLanguage('')).toBe('en');
    expect(detectLanguage(undefined)).toBe('en');
    expect(detectLanguage('KO-kr')).toBe('ko');
    expect(detectLanguage(['fr', 'ko-KR'])).toBe('ko');
    // "kok" (Konkani) is not Korean.
    expect(detectLanguage('kok')).toBe('en');
  });
});

describe('translate', () => {
  it('fills placeholders and falls back', () => {
    expect(translate('en', 'records.total', { count: '1,234' })).toBe('Records: 1,234');
    expect(translate('ko', 'records.total', { count: 5 })).toContain('5');
    expect(translate('zh-Hans', 'nav.records')).toBe('记录');
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
  });
});

describe('dictionaries', () => {
  const en = dictionaries.en;
  it('have the same keys in every language', () => {
    for (const lang of LANGS) {
      expect(Object.keys(dictionaries[lang]).sort(), lang).toEqual(Object.keys(en).sort());
    }
  });

  it('have the same placeholders per key', () => {
    for (const lang of LANGS) {
      for (const key of Object.keys(en)) {
        expect(placeholders(dictionaries[lang][key]), `${lang} ${key}`).toEqual(placeholders(en[key]));
      }
    }
  });

  it('have no empty strings', () => {
    for (const lang of LANGS) {
      for (const [key, text] of Object.entries(dictionaries[lang])) {
        expect(typeof text === 'string' && text.trim().length > 0, `${lang} ${key}`).toBe(true);
      }
    }
  });

  it('are really translated', () => {
    let same = 0;
    for (const key of Object.keys(en)) if (dictionaries.ko[key] === en[key] || dictionaries['zh-Hans'][key] === en[key]) same++;
    expect(same).toBeLessThan(5);
    expect(Object.values(dictionaries.ko).join('')).toMatch(/\p{Script=Hangul}/u);
    expect(Object.values(dictionaries['zh-Hans']).join('')).toMatch(/\p{Script=Han}/u);
  });

  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return sources(p);
      return /\.(svelte|ts)$/.test(name) && !/\.test\.ts$/.test(name) ? [p] : [];
    });
  }

  it('contain every key the code uses', () => {
    const root = join(__dirname, '..');
    const used = new Set<string>();
    for (const file of sources(root)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([^']+)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/\bkey: '([a-z_]+\.[a-z0-9_.]+)'/g)) used.add(m[1]);
    }
    // Keys built at run time.
    for (const p of PHASES) used.add(`progress.${p}`);
    for (const s of [0, 1, 2, 3, 4]) used.add(`strength.${s}`);
    for (const k of ['write', 'delete', 'purge']) used.add(`history.kind.${k}`);
    for (const r of LOCK_REASONS.filter((r) => r !== 'user')) used.add(`unlock.reason.${r}`);
    for (const c of ERROR_CODES) used.add(`error.code.${c}`);
    for (const c of ANOMALY_CODES) used.add(`audit.anomaly.${c}`);
    expect(used.size).toBeGreaterThan(150);
    expect(used).toContain('validation.lat_range');
    expect(used).toContain('nav.records');
    const missing = [...used].filter((k) => !(k in en));
    expect(missing).toEqual([]);
  });
});

describe('counts in messages (ICU MessageFormat)', () => {
  it('says 1 change and 2 changes, 1 device and 3 devices, in English', () => {
    const one = translate('en', 'sync.export_done', { ops: 1, size: '64 KiB', file: 'f' });
    expect(one).toBe('Exported 1 change (64 KiB) to f.');
    expect(translate('en', 'sync.export_done', { ops: 2, size: '64 KiB', file: 'f' })).toBe(
      'Exported 2 changes (64 KiB) to f.',
    );
    expect(translate('en', 'settings.verify_ok', { ops: 3, authors: 1, records: 1 })).toBe(
      'History verified: 3 changes by 1 device across 1 record.',
    );
    expect(translate('en', 'settings.verify_ok', { ops: 1, authors: 3, records: 12345 })).toBe(
      'History verified: 1 change by 3 devices across 12,345 records.',
    );
    expect(translate('en', 'quarantine.left', { count: 1 })).toBe('Forgotten after 1 more import');
  });

  it('writes counts as each language writes numbers', () => {
    expect(translate('ko', 'quarantine.left', { count: 12345 })).toBe('가져오기 12,345번 후 삭제됨');
    expect(translate('zh-Hans', 'settings.verify_ok', { ops: 2, authors: 1, records: 1 })).toBe(
      '历史已验证：1 台设备的 2 项更改，涉及 1 条记录。',
    );
  });

  it('counts every ICU argument as a placeholder', () => {
    expect(placeholders('{ops, plural, one {# change} other {# changes}} to {file}')).toEqual(['file', 'ops']);
    expect(placeholders('{count, number}번')).toEqual(['count']);
  });
});
