// An XLSForm in the real web view: the example screening form
// (assets/forms/examples/screening.xlsx) is read on the Forms screen, its summary
// shown, and installed; then a record of it is made in the Korean UI: the children
// section stays hidden until 예 is chosen, an age of 130 shows the form's own Korean
// constraint message and is not saved, 30 is. The rules are the vault's
// (`form_rules`), asked as the person types. The vault here is in no organisation,
// so its user installs forms and fills them in alike. Screenshots of the Forms
// screen, the summary and the form in English, Korean and Chinese
// (SATCHEL_SCREENSHOTS; the English and Chinese ones only then).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { translate } from '../src/lib/i18n';
import { all, click, closeApp, createVault, el, language, need, openApp, PREFIX, scrollToId, select, setFile, shot, startDriver, stopDriver, type, waitText, type Browser } from './driver';

const RUN = need('SATCHEL_E2E_DIR');
const VAULT = join(RUN, 'vaults', 'forms');
const PASS = 'quartz meadow signal 6';
const XLSX = join(__dirname, '..', '..', 'assets', 'forms', 'examples', 'screening.xlsx');
const SHOTS = Boolean(process.env.SATCHEL_SCREENSHOTS);
const AGE_MESSAGE = '나이는 0에서 119 사이입니다';

/** Reads the example on the Forms screen and waits for its summary. */
async function readExample(b: Browser): Promise<void> {
  await click(b, 'nav-forms');
  await el(b, 'xlsform-choose').waitForDisplayed({ timeout: 10_000 });
  await setFile(b, 'xlsform-input', XLSX);
  const summary = el(b, 'xlsform-summary');
  await summary.waitForDisplayed({ timeout: 20_000 });
  expect(await summary.getAttribute('data-form')).toBe('screening');
}

/** A new screening record with the children section shown and a broken age. */
async function brokenAge(b: Browser): Promise<void> {
  await click(b, 'nav-records');
  await select(b, 'new-record-form', 'screening');
  await click(b, 'new-record');
  await el(b, 'field-name').waitForDisplayed({ timeout: 10_000 });
  await type(b, 'field-name', '이서연');
  await type(b, 'field-age', '130');
  await select(b, 'field-has_children', 'yes');
  await el(b, 'section-children').waitForDisplayed({ timeout: 10_000 });
  await waitText(b, 'field-error-age', (t) => t.length > 0);
  await b.execute(() => window.scrollTo(0, 0));
}

describe('an XLSForm imported on the Forms screen', () => {
  beforeAll(async () => {
    await startDriver();
  });
  afterAll(stopDriver);

  it('shows what the spreadsheet holds, installs it, and its rules work as the person types', async () => {
    const { b } = await openApp(VAULT);
    await createVault(b, PASS);

    if (SHOTS) {
      for (const lang of ['en', 'zh-Hans'] as const) {
        await language(b, lang);
        await readExample(b);
        await scrollToId(b, 'xlsform-summary');
        await shot(b, `${PREFIX[lang]}-xlsform-summary`);
        await click(b, 'xlsform-cancel');
        await el(b, 'xlsform-summary').waitForExist({ reverse: true, timeout: 10_000 });
      }
    }

    // Read in Korean: the counts and each language of the spreadsheet, in Korean.
    await language(b, 'ko');
    await readExample(b);
    const counts = await el(b, 'xlsform-counts').getText();
    expect(counts).toContain(translate('ko', 'forms.count_sections', { count: 1 }));
    expect(counts).toContain(translate('ko', 'forms.count_lists', { count: 1 }));
    const langs = await Promise.all((await all(b, 'xlsform-language')).map((l) => l.getText()));
    expect(langs).toEqual([
      translate('ko', 'forms.lang_mapped', { name: 'English (en)', language: '영어' }),
      translate('ko', 'forms.lang_mapped', { name: '한국어 (ko)', language: '한국어' }),
      translate('ko', 'forms.lang_mapped', { name: '中文 (zh)', language: '중국어(간체)' }),
    ]);
    await scrollToId(b, 'xlsform-summary');
    await shot(b, 'ko-xlsform-summary');
    expect(await el(b, 'forms-list').getText()).not.toContain('screening');
    await click(b, 'xlsform-install');
    await el(b, 'xlsform-summary').waitForExist({ reverse: true, timeout: 20_000 });
    await b.$('[data-testid="forms-row"][data-name="screening"]').waitForDisplayed({ timeout: 10_000 });
    expect(await el(b, 'toast-status').getText()).toBe(translate('ko', 'forms.installed', { title: 'Screening', version: '1' }));
    await b.execute(() => window.scrollTo(0, 0));
    await shot(b, 'ko-forms');

    // A record of it: the children section is hidden until 예 is chosen.
    await click(b, 'nav-records');
    await select(b, 'new-record-form', 'screening');
    await click(b, 'new-record');
    await el(b, 'field-name').waitForDisplayed({ timeout: 10_000 });
    expect(await el(b, 'field-name-hint').getText()).toBe('본인이 말하는 대로');
    expect(await el(b, 'field-safety').getText()).toContain('오늘 밤 머무는 곳은 적지 마십시오.');
    expect(await el(b, 'section-children').isExisting()).toBe(false);
    expect(await el(b, 'field-children_count').isExisting()).toBe(false);
    await type(b, 'field-name', '이서연');
    // An age the form refuses: its own Korean message, as it is typed.
    await type(b, 'field-age', '130');
    await waitText(b, 'field-error-age', (t) => t === AGE_MESSAGE);
    await select(b, 'field-has_children', 'yes');
    await el(b, 'section-children').waitForDisplayed({ timeout: 10_000 });
    expect(await el(b, 'section-children').getText()).toContain('자녀');
    await type(b, 'field-children_count', '2');
    await b.execute(() => window.scrollTo(0, 0));
    await shot(b, 'ko-record-form-rules');
    // Not saved: the form stays, the message with it.
    await click(b, 'save-record');
    await waitText(b, 'form-error', (t) => t === translate('ko', 'form.fix_errors'));
    expect(await el(b, 'record-form').isExisting()).toBe(true);
    expect(await el(b, 'field-error-age').getText()).toBe(AGE_MESSAGE);
    await type(b, 'field-age', '30');
    await b.waitUntil(async () => !(await el(b, 'field-error-age').isDisplayed()), { timeout: 10_000, timeoutMsg: 'the age message stayed' });
    await click(b, 'save-record');
    await el(b, 'record-view').waitForDisplayed({ timeout: 20_000 });
    await waitText(b, 'value-name', (t) => t === '이서연');
    expect(await el(b, 'value-age').getText()).toBe('30');
    expect(await el(b, 'value-has_children').getText()).toBe('예');
    expect(await el(b, 'value-children_count').getText()).toBe('2');
    await shot(b, 'ko-record-screening');

    if (SHOTS) {
      for (const lang of ['en', 'zh-Hans'] as const) {
        await language(b, lang);
        await click(b, 'nav-forms');
        await b.$('[data-testid="forms-row"][data-name="screening"]').waitForDisplayed({ timeout: 10_000 });
        await shot(b, `${PREFIX[lang]}-forms`);
        await brokenAge(b);
        await shot(b, `${PREFIX[lang]}-record-form-rules`);
        await click(b, 'cancel-record');
      }
    }
    await closeApp(b);
  });
});
