import { render, screen, waitFor } from '@testing-library/svelte';
import History from '../screens/History.svelte';
import { app } from '../lib/app.svelte';
import type { Form } from '../lib/api';
import { setLang } from '../lib/i18n.svelte';
import contact from '../../../assets/forms/contact.json';
import { fakeShell } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

describe('history', () => {
  afterEach(() => setLang('en'));

  it('names changed fields by their label in the current language', async () => {
    app.forms = [contact as Form];
    setLang('ko');
    fakeShell({
      record_get: () => ({ id: 'r1', form: 'contact', fields: [], attachments: [], deleted: false, delete_conflict: false, created: '', updated: '' }),
      record_history: () => [
        { op: 'a', author: 'w-x-y', seq: 1, time: '2026-11-28T04:00:00Z', kind: 'write', changes: [['name', '김민준'], ['attachment', 'added p.png (3 bytes)']], purged: false },
        { op: 'b', author: 'w-x-y', seq: 2, time: '2026-11-28T04:01:00Z', kind: 'write', changes: [['phone', '010']], purged: false },
      ],
    });
    render(History, { props: { id: 'r1' } });
    await waitFor(() => expect(screen.getAllByTestId('history-entry')).toHaveLength(2));
    const terms = [...document.querySelectorAll('dt')].map((d) => d.textContent);
    expect(terms).toEqual(['이름', '첨부 파일', '전화 또는 연락 방법']);
  });
});
