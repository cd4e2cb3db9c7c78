import { render, screen, waitFor } from '@testing-library/svelte';
import History from '../screens/History.svelte';
import { app } from '../lib/app.svelte';
import type { Form } from '../lib/api';
import { setLang } from '../lib/i18n.svelte';
import contact from '../../../assets/forms/contact.json';
import { fakeShell } from './shell';
import { translate } from '../lib/i18n';
import { formatSize } from '../lib/format';

const safeLabel = (contact as unknown as Form).fields.find((f) => f.id === 'safe_to_contact')!.label.ko;

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

describe('history', () => {
  afterEach(() => setLang('en'));

  it('names changed fields by their label in the current language', async () => {
    app.forms = [contact as Form];
    setLang('ko');
    fakeShell({
      record_get: () => ({ id: 'r1', form: 'contact', fields: [], attachments: [], deleted: false, delete_conflict: false, created: '', updated: '', assigned: [], form_version: 1 }),
      record_history: () => [
        { op: 'a', author: 'w-x-y', seq: 1, time: '2026-11-28T04:00:00Z', kind: 'write', changes: [
            { field: 'name', shown: '김민준', value: '김민준' },
            { field: 'attachment', shown: 'added p.png (3 bytes)', value: { name: 'p.png', size: 3 } },
            { field: 'safe_to_contact', shown: 'yes', value: true },
          ], purged: false },
        { op: 'b', author: 'w-x-y', seq: 2, time: '2026-11-28T04:01:00Z', kind: 'write', changes: [
            { field: 'phone', shown: '010', value: '010' },
            { field: 'attachment', shown: 'removed', value: null },
          ], purged: false },
      ],
    });
    render(History, { props: { id: 'r1' } });
    await waitFor(() => expect(screen.getAllByTestId('history-entry')).toHaveLength(2));
    const terms = [...document.querySelectorAll('dt')].map((d) => d.textContent);
    const ko = (key: string, params?: Record<string, string>) => translate('ko', key, params);
    expect(terms).toEqual(['이름', '첨부 파일', safeLabel, '전화 또는 연락 방법', '첨부 파일']);
    // Values in Korean too: the shell's English words for yes/no and attachments are redone.
    const values = [...document.querySelectorAll('dd')].map((d) => d.textContent);
    expect(values).toEqual([
      '김민준',
      ko('history.attachment_added', { name: 'p.png', size: formatSize(3, 'ko') }),
      ko('value.yes'),
      '010',
      ko('history.attachment_removed'),
    ]);
    expect(values.join(' ')).not.toMatch(/added|removed|yes/);
  });

  it('shows a peer\'s text with its controls and bidi overrides as escapes, each value isolated', async () => {
    app.forms = [contact as Form];
    fakeShell({
      record_get: () => ({ id: 'r1', form: 'contact', fields: [], attachments: [], deleted: false, delete_conflict: false, created: '', updated: '', assigned: [], form_version: 1 }),
      record_history: () => [
        { op: 'a', author: 'w-x-y', seq: 1, time: '2026-11-28T04:00:00Z', kind: 'write', changes: [
            { field: 'name', shown: 'Kim\u001b]0;owned\u0007 \u202egpj.exe', value: 'Kim' },
            { field: 'od\u202ed', shown: 'v', value: 'v' },
          ], purged: false },
      ],
    });
    render(History, { props: { id: 'r1' } });
    await waitFor(() => expect(screen.getAllByTestId('history-entry')).toHaveLength(1));
    const values = [...document.querySelectorAll('dd bdi')].map((d) => d.textContent);
    expect(values[0]).toBe('Kim\\u{1b}]0;owned\\u{7} \\u{202e}gpj.exe');
    const terms = [...document.querySelectorAll('dt bdi')].map((d) => d.textContent);
    expect(terms[1]).toBe('od\\u{202e}d');
    expect(document.body.textContent).not.toMatch(/[\u0000-\u0008\u001b\u202e]/u);
  });
});
