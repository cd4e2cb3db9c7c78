// @vitest-environment node
import { formatDate, formatDateTime, formatMonth, formatNumber, formatSize } from './format';

describe('formatNumber', () => {
  it('groups digits per locale', () => {
    expect(formatNumber(100000, 'en')).toBe('100,000');
    expect(formatNumber(100000, 'ko')).toBe('100,000');
    expect(formatNumber(100000, 'zh-Hans')).toBe('100,000');
    expect(formatNumber(2.5, 'en')).toBe('2.5');
  });
});

describe('formatDateTime', () => {
  const iso = '2024-03-05T10:20:00Z';
  it('formats per language', () => {
    const en = formatDateTime(iso, 'en', 'UTC');
    const ko = formatDateTime(iso, 'ko', 'UTC');
    const zh = formatDateTime(iso, 'zh-Hans', 'UTC');
    expect(en).toMatch(/Mar 5, 2024/);
    expect(en).toMatch(/10:20/);
    expect(ko).toMatch(/2024\. 3\. 5\./);
    expect(zh).toMatch(/2024年3月5日/);
    expect(new Set([en, ko, zh]).size).toBe(3);
  });

  it('shows local time, not UTC', () => {
    const seoul = formatDateTime('2024-03-05T23:30:00Z', 'en', 'Asia/Seoul');
    expect(seoul).toMatch(/Mar 6, 2024/);
    expect(seoul).toMatch(/8:30/);
  });

  it('returns unparseable input unchanged', () => {
    expect(formatDateTime('not a date', 'en')).toBe('not a date');
  });
});

describe('formatDate', () => {
  it('formats only the date', () => {
    expect(formatDate('2024-03-05T10:20:00Z', 'en', 'UTC')).toBe('Mar 5, 2024');
    expect(formatDate('2024-03-05T10:20:00Z', 'zh-Hans', 'UTC')).toBe('2024年3月5日');
  });
});

describe('formatMonth', () => {
  it('names the month of the report in each language, in UTC', () => {
    expect(formatMonth('2026-11', 'en')).toBe('November 2026');
    expect(formatMonth('2026-11', 'ko')).toBe('2026년 11월');
    expect(formatMonth('2026-01', 'zh-Hans')).toBe('2026年1月');
    expect(formatMonth('later than 9999', 'en')).toBe('later than 9999');
  });
});

describe('formatSize', () => {
  it('picks a unit and formats the number per language', () => {
    expect(formatSize(0, 'en')).toMatch(/^0\s?(byte|B)/);
    expect(formatSize(999, 'en')).toMatch(/^999\s?(byte|B)/);
    expect(formatSize(1536, 'en')).toBe('1.5 kB');
    expect(formatSize(2_500_000, 'en')).toBe('2.5 MB');
    expect(formatSize(3_000_000_000, 'en')).toBe('3 GB');
    expect(formatSize(1536, 'ko')).toMatch(/^1\.5\s?kB$/);
    expect(formatSize(2_500_000, 'zh-Hans')).toMatch(/^2\.5\s?MB$/);
  });

  it('never shows negative or NaN', () => {
    expect(formatSize(-5, 'en')).toMatch(/^0/);
    expect(formatSize(Number.NaN, 'en')).toMatch(/^0/);
  });
});
