// @vitest-environment node
import { attachmentName, shownAttachmentChange, shownValue } from './shown';
import { translate } from './i18n';

describe('shownValue', () => {
  it('says yes and no in the UI language, not the shell\'s English', () => {
    expect(shownValue(true, 'yes', 'ko')).toBe(translate('ko', 'value.yes'));
    expect(shownValue(false, 'no', 'zh-Hans')).toBe(translate('zh-Hans', 'value.no'));
    expect(shownValue(true, 'yes', 'en')).toBe('Yes');
    expect(translate('ko', 'value.yes')).not.toBe('Yes');
  });

  it('writes numbers with the locale\'s decimal sign and no grouping', () => {
    expect(shownValue(1985, '1985', 'en')).toBe('1985');
    expect(shownValue(2.5, '2.5', 'en')).toBe('2.5');
    expect(shownValue(0.125, '0.125', 'ko')).toBe('0.125');
  });

  it('formats dates only for date fields, on the stored day', () => {
    expect(shownValue('2024-05-01', '2024-05-01', 'en', 'date')).toBe('May 1, 2024');
    expect(shownValue('2024-05-01', '2024-05-01', 'ko', 'date')).toBe('2024. 5. 1.');
    // A text field that looks like a date stays as typed.
    expect(shownValue('2024-05-01', '2024-05-01', 'en', 'text')).toBe('2024-05-01');
    expect(shownValue('2024-05-01', '2024-05-01', 'en')).toBe('2024-05-01');
  });

  it('keeps the shell\'s text for choices, text and locations', () => {
    expect(shownValue('male', '남성', 'ko', 'single_choice')).toBe('남성');
    expect(shownValue('김민준', '김민준', 'en')).toBe('김민준');
    expect(shownValue([37.5, 127], '37.5,127', 'en', 'location')).toBe('37.5,127');
    expect(shownValue(null, '', 'en')).toBe('');
  });
});

describe('the XLSForm types', () => {
  it('says an acknowledgement in the UI language', () => {
    expect(shownValue(true, 'acknowledged', 'ko', 'acknowledge')).toBe('확인함');
    expect(shownValue(true, 'acknowledged', 'en', 'acknowledge')).toBe('Acknowledged');
  });

  it('shows a date and time as read, in no time zone', () => {
    expect(shownValue('2026-03-01T14:30', '2026-03-01 14:30', 'en', 'datetime')).toBe('Mar 1, 2026, 2:30 PM');
    expect(shownValue('2026-03-01T14:30', '2026-03-01 14:30', 'ko', 'datetime')).toMatch(/^2026\. 3\. 1\. .*2:30$/);
    expect(shownValue('2026-02-30T14:30', '2026-02-30 14:30', 'en', 'datetime')).toBe('2026-02-30 14:30');
    expect(shownValue('14:30', '14:30', 'zh-Hans', 'time')).toBe('14:30');
    expect(shownValue(42, '42', 'en', 'integer')).toBe('42');
  });

  it("names an attachment field's file by the record's attachments", () => {
    const held = [{ blake3: 'a'.repeat(64), name: 'photo.png', size: 3 }];
    expect(attachmentName('a'.repeat(64), held)).toBe('photo.png');
    expect(attachmentName('b'.repeat(64), held)).toBeNull();
    expect(attachmentName(null, held)).toBeNull();
  });
});

describe('shownAttachmentChange', () => {
  it('names the file and its size in the UI language', () => {
    expect(shownAttachmentChange({ name: 'photo.png', size: 1500 }, 'en')).toBe('added photo.png (1.5 kB)');
    const ko = shownAttachmentChange({ name: 'photo.png', size: 1500 }, 'ko');
    expect(ko).toContain('photo.png');
    expect(ko).toContain('추가');
  });

  it('says removed when the value is null', () => {
    expect(shownAttachmentChange(null, 'zh-Hans')).toBe(translate('zh-Hans', 'history.attachment_removed'));
  });
});
