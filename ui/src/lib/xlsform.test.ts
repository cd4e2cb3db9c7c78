// @vitest-environment node
import { afterEach } from 'vitest';
import type { ErrorParam, Form, MemberView, Note, OrgView, Summary } from './api';
import { errorText } from './app.svelte';
import { LANGS, translate, type Lang } from './i18n';
import { setLang } from './i18n.svelte';
import { formsAccess, languageText, NOTE_CODES, notePlace, noteText, placeKind, sortedForms, summaryCounts, xlsformParams } from './xlsform';

const tr = (lang: Lang) => (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
const en = tr('en');
const note = (over: Partial<Note>): Note => ({ code: 'presentation', sheet: 'survey', rows: 1, construct: 'appearance', ...over });

describe('where in a workbook', () => {
  it('names only the parts that are known', () => {
    expect(placeKind({ sheet: 'survey', row: 12, column: 'type' })).toBe('sheet_row_column');
    expect(placeKind({ sheet: 'survey', row: 12 })).toBe('sheet_row');
    expect(placeKind({ sheet: 'choices', column: 'name' })).toBe('sheet_column');
    expect(placeKind({ sheet: 'settings' })).toBe('sheet');
    expect(placeKind({ row: 3 })).toBe('none');
    expect(placeKind({ sheet: '', column: '' })).toBe('none');
    expect(xlsformParams({ problem: 'empty_file', construct: '' })).toEqual({ problem: 'empty_file', construct: '', at: 'none' });
  });

  it('says a note’s place in every language, with the rows it covers', () => {
    expect(notePlace(note({ row: 4, column: 'appearance' }), en)).toBe('Sheet “survey”, row 4, column “appearance”');
    expect(notePlace(note({ row: 4, column: 'appearance', rows: 3 }), en)).toBe('Sheet “survey”, row 4, column “appearance” (3 rows in all)');
    expect(notePlace(note({ sheet: 'settings', column: 'style' }), en)).toBe('Sheet “settings”, column “style”');
    expect(notePlace(note({ row: 12345 }), en)).toBe('Sheet “survey”, row 12345');
    expect(notePlace(note({ row: 4, column: 'appearance' }), tr('ko'))).toBe('“survey” 시트 4행 “appearance” 열');
    expect(notePlace(note({ row: 4, column: 'appearance', rows: 2 }), tr('zh-Hans'))).toBe('工作表“survey”第 4 行“appearance”列（共 2 行）');
    // Text from the file is shown with visible escapes.
    expect(notePlace(note({ sheet: 'sur\u202evey' }), en)).toBe('Sheet “sur\\u{202e}vey”');
  });
});

describe('notes', () => {
  it('have their own words for every code, in every language', () => {
    for (const lang of LANGS) {
      const seen = new Set<string>();
      for (const code of NOTE_CODES) {
        const text = noteText(note({ code, construct: code === 'label_missing' ? 'ko' : 'start', rows: 2 }), tr(lang));
        expect(text, `${lang} ${code}`).not.toMatch(/[{}]|forms\.note/);
        seen.add(text);
      }
      expect(seen.size, lang).toBe(NOTE_CODES.length);
    }
  });

  it('name the construct, and count the labels a language lacks', () => {
    expect(noteText(note({ code: 'presentation', construct: 'appearance' }), en)).toBe('“appearance” only changes how a form looks: left out.');
    expect(noteText(note({ code: 'metadata', construct: 'start' }), en)).toContain('“start” is filled in by ODK itself');
    expect(noteText(note({ code: 'label_missing', construct: 'zh-Hans', rows: 1 }), en)).toBe('1 label has no Chinese (Simplified) text: another language’s is shown.');
    expect(noteText(note({ code: 'label_missing', construct: 'ko', rows: 3 }), en)).toBe('3 labels have no Korean text: another language’s is shown.');
    expect(noteText(note({ code: 'label_missing', construct: 'en', rows: 3 }), tr('ko'))).toBe('라벨 3개에 영어 글이 없어 다른 언어의 글을 보여 줍니다.');
    // A row with no label at all (the vault names the column, not a language).
    expect(noteText(note({ code: 'label_missing', construct: 'label' }), en)).toBe('This field has no label: its name is shown instead.');
    expect(noteText(note({ code: 'version_not_number', construct: '2024-03' }), tr('zh-Hans'))).toBe('版本“2024-03”不是整数：使用版本 1。');
    expect(noteText(note({ code: 'something_new', construct: 'x' }), en)).toBe('Note “something_new”: x');
  });
});

describe('the summary', () => {
  it('says what each spreadsheet language became', () => {
    expect(languageText({ name: '한국어 (ko)', mapped: 'ko' }, en)).toBe('한국어 (ko): shown in Korean');
    expect(languageText({ name: 'Français (fr)' }, en)).toBe('Français (fr): kept with the form but not shown (the app shows English, Korean and Chinese)');
    expect(languageText({ name: '', mapped: 'en' }, tr('ko'))).toBe('이름 없는 “label” 열: 영어로 표시');
    expect(languageText({ name: '中文 (zh)', mapped: 'zh-Hans' }, tr('zh-Hans'))).toBe('中文 (zh)：显示为简体中文');
  });

  it('counts with plurals', () => {
    const s: Summary = { form: 'screening', title: 'Screening', version: 1, fields: 1, sections: 2, rules: 1, lists: 0, languages: [], notes: [] };
    expect(summaryCounts(s, en)).toEqual(['1 field, notes included', '2 sections', '1 skip-logic or constraint rule', '0 choice lists']);
    expect(summaryCounts({ ...s, fields: 1234 }, en)[0]).toBe('1,234 fields, notes included');
    expect(summaryCounts(s, tr('ko'))).toEqual(['항목 1개(안내문 포함)', '섹션 2개', '건너뛰기·제약 규칙 1개', '선택지 목록 0개']);
    expect(summaryCounts(s, tr('zh-Hans'))[3]).toBe('0 个选项列表');
  });
});

describe('who installs forms', () => {
  const member = (over: Partial<MemberView>): MemberView => ({
    name: 'Min-ji', role: 'coordinator', fingerprint: 'a', valid_from: '', valid_until: '', status: 'active', this_device: true, last_op: 0, ...over,
  });
  const org = (m: MemberView): OrgView => ({ org: { id: 'ab', name: 'Border Aid' }, members: [m] });

  it('a vault of its own installs; in an organisation an active coordinator, and it publishes', () => {
    expect(formsAccess(undefined)).toEqual({ install: false, publishes: false });
    expect(formsAccess(null)).toEqual({ install: true, publishes: false });
    expect(formsAccess(org(member({})))).toEqual({ install: true, publishes: true });
    expect(formsAccess(org(member({ role: 'field' })))).toEqual({ install: false, publishes: true });
    expect(formsAccess(org(member({ status: 'expired' })))).toEqual({ install: false, publishes: true });
  });

  it('lists forms by their label in the UI language', () => {
    const form = (name: string, en: string): Form => ({ name, version: 1, label: { en, ko: en, 'zh-Hans': en }, fields: [] });
    const sorted = sortedForms([form('b', 'Screening'), form('a', 'Contact'), form('c', 'Case')], (f) => f.label.en);
    expect(sorted.map((f) => f.name)).toEqual(['c', 'a', 'b']);
  });
});

describe('an XLSForm the vault refused', () => {
  afterEach(() => setLang('en'));
  const PROBLEMS = ['empty_file', 'too_large', 'not_spreadsheet', 'old_format', 'password_protected', 'no_survey_sheet', 'duplicate_column', 'bad_name', 'duplicate_name', 'unknown_list', 'bad_choice', 'unsupported', 'bad_rule', 'unbalanced_group', 'bad_value', 'invalid_form'];
  const PLACES: Record<string, ErrorParam>[] = [{}, { sheet: 'survey' }, { sheet: 'survey', row: 12 }, { sheet: 'choices', column: 'name' }, { sheet: 'survey', row: 12, column: 'type' }];
  const text = (lang: Lang, params: Record<string, ErrorParam>) => {
    setLang(lang);
    return errorText({ code: 'xlsform', params });
  };

  it('says where, naming only what is known', () => {
    expect(text('en', { problem: 'unsupported', construct: 'begin repeat', sheet: 'survey', row: 12, column: 'type' })).toBe(
      'Sheet “survey”, row 12, column “type”: “begin repeat” is not supported: it would change what is collected. Nothing was installed.',
    );
    expect(text('en', { problem: 'empty_file', construct: '' })).toBe('The file is empty. Nothing was installed.');
    expect(text('en', { problem: 'duplicate_column', construct: 'label', sheet: 'choices', column: 'label' })).toBe(
      'Sheet “choices”, column “label”: The column “label” appears twice. Nothing was installed.',
    );
    expect(text('ko', { problem: 'bad_rule', construct: 'relevant', sheet: 'survey', row: 5, column: 'relevant' })).toBe(
      '“survey” 시트 5행 “relevant” 열: “relevant” 규칙을 읽을 수 없거나, 양식이 수집하지 않는 항목을 읽습니다. 아무것도 설치하지 않았습니다.',
    );
    expect(text('zh-Hans', { problem: 'unknown_list', construct: 'yesno', sheet: 'survey', row: 4, column: 'type' })).toBe(
      '工作表“survey”第 4 行“type”列：选项列表“yesno”不在选项工作表中。未安装任何内容。',
    );
  });

  it('has its own words for every problem at every kind of place, in every language', () => {
    for (const lang of LANGS) {
      const seen = new Set<string>();
      for (const problem of PROBLEMS) {
        for (const place of PLACES) {
          const params = { problem, construct: 'begin repeat', ...place };
          const t = text(lang, params);
          expect(t, `${lang} ${problem}`).not.toBe(translate(lang, 'error.generic', { code: 'xlsform' }));
          expect(t, `${lang} ${problem}`).not.toMatch(/[{}]/);
          for (const v of Object.values(place)) expect(t, `${lang} ${problem} ${JSON.stringify(place)}`).toContain(String(v));
          if (lang !== 'en') {
            let rest = t;
            for (const v of Object.values(params)) rest = rest.split(String(v)).join('');
            expect(rest.replace(/MiB/g, ''), `${lang} ${problem}`).not.toMatch(/[A-Za-z]/);
          }
        }
        seen.add(text(lang, { problem, construct: 'x' }));
      }
      expect(seen.size, lang).toBe(PROBLEMS.length);
    }
  });
});
