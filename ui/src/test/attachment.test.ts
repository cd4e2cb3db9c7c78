import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import AttachmentPreview from '../components/AttachmentPreview.svelte';
import { liveBlobUrls } from '../lib/blobs';
import { setLang } from '../lib/i18n.svelte';
import { callsOf, en, fakeShell } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

beforeEach(() => setLang('en'));

describe('attachment preview', () => {
  it('renders PNG bytes as an <img> from a blob: URL, and revokes it on close', async () => {
    fakeShell({ attachment_get: () => PNG.buffer.slice(0) });
    const create = vi.spyOn(URL, 'createObjectURL').mockImplementation(() => 'blob:satchel/png-1');
    const revoke = vi.spyOn(URL, 'revokeObjectURL');
    const onclose = vi.fn();
    const { unmount } = render(AttachmentPreview, {
      props: { record: 'r1', attachment: { blake3: 'h1', name: 'scan.bin', size: 16 }, onclose },
    });
    const img = (await screen.findByTestId('attachment-preview')) as HTMLImageElement;
    expect(img.tagName).toBe('IMG');
    expect(img.getAttribute('src')).toBe('blob:satchel/png-1');
    expect(img.getAttribute('alt')).toBe(en('attachment.alt', { name: 'scan.bin' }));
    const blob = create.mock.calls[0][0] as Blob;
    expect(blob.type).toBe('image/png');
    expect(blob.size).toBe(PNG.length);
    expect(callsOf('attachment_get')[0][1]).toEqual({ record: 'r1', blake3: 'h1' });
    expect(document.querySelector('a[href^="blob:"], a[download]')).toBeNull();

    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(onclose).toHaveBeenCalled();
    unmount();
    expect(revoke).toHaveBeenCalledWith('blob:satchel/png-1');
    expect(liveBlobUrls()).toBe(0);
    create.mockRestore();
  });

  it('renders UTF-8 text in a <pre> without a blob URL', async () => {
    fakeShell({ attachment_get: () => new TextEncoder().encode('메모 notes 笔记').buffer });
    const create = vi.spyOn(URL, 'createObjectURL');
    render(AttachmentPreview, { props: { record: 'r1', attachment: { blake3: 'h2', name: 'a.txt', size: 20 }, onclose: () => {} } });
    const pre = await screen.findByTestId('attachment-preview');
    expect(pre.tagName).toBe('PRE');
    expect(pre.textContent).toBe('메모 notes 笔记');
    expect(create).not.toHaveBeenCalled();
  });

  it('shows only name and size for anything else', async () => {
    fakeShell({ attachment_get: () => new Uint8Array([0x25, 0x50, 0x44, 0x46, 0, 0xff, 0xfe]).buffer });
    render(AttachmentPreview, { props: { record: 'r1', attachment: { blake3: 'h3', name: 'doc.pdf', size: 1500 }, onclose: () => {} } });
    await waitFor(() => expect(screen.getByText(en('attachment.no_preview'))).toBeTruthy());
    expect(screen.queryByTestId('attachment-preview')).toBeNull();
    expect(screen.getByText('1.5 kB')).toBeTruthy();
  });
});

describe('removing an attachment from a saved record', () => {
  const view = (attachments: { blake3: string; name: string; size: number }[]) => ({
    id: 'r1', form: 'contact', fields: [], attachments, deleted: false, delete_conflict: false,
    created: '2026-11-28T00:00:00Z', updated: '2026-11-28T00:00:00Z', assigned: [], form_version: 1,
  });

  it('asks first, then removes it and shows the record without it', async () => {
    const { default: RecordView } = await import('../screens/RecordView.svelte');
    let current = view([{ blake3: 'h1', name: 'photo.png', size: 16 }]);
    fakeShell({
      record_get: () => current,
      attachment_remove: () => {
        current = view([]);
      },
    });
    render(RecordView, { props: { id: 'r1' } });
    await fireEvent.click(await screen.findByTestId('attachment-remove'));
    expect(callsOf('attachment_remove')).toHaveLength(0);
    await fireEvent.click(await screen.findByTestId('confirm-yes'));
    await waitFor(() => expect(callsOf('attachment_remove')).toHaveLength(1));
    expect(callsOf('attachment_remove')[0][1]).toEqual({ record: 'r1', blake3: 'h1' });
    await waitFor(() => expect(screen.queryByTestId('attachment-item')).toBeNull());
  });
});

describe('values of a saved record', () => {
  it('shows yes/no, numbers and dates in the UI language, and both sides of a conflict', async () => {
    const { default: RecordView } = await import('../screens/RecordView.svelte');
    const { app } = await import('../lib/app.svelte');
    const { translate } = await import('../lib/i18n');
    const contact = (await import('../../../assets/forms/contact.json')).default;
    app.forms = [contact as unknown as import('../lib/api').Form];
    setLang('ko');
    const v = (value: import('../lib/api').Json, display: string, op = 'o1') => ({ value, display, op, author: 'a-b-c', time: '2026-11-28T00:00:00Z' });
    fakeShell({
      record_get: () => ({
        id: 'r1', form: 'contact', attachments: [], deleted: false, delete_conflict: false,
        created: '2026-11-28T00:00:00Z', updated: '2026-11-28T00:00:00Z', assigned: [], form_version: 1,
        fields: [
          { id: 'safe_to_contact', label: '직접 연락 가능', values: [v(true, 'yes'), v(false, 'no', 'o2')], link: null },
          { id: 'household_size', label: '가구원 수', values: [v(1985, '1985')], link: null },
          { id: 'birth_date', label: '생년월일', values: [v('2024-05-01', '2024-05-01')], link: null },
        ],
      }),
    });
    render(RecordView, { props: { id: 'r1' } });
    await screen.findByTestId('value-household_size');
    const sides = screen.getByTestId('conflict-safe_to_contact').querySelectorAll('.sibling-value');
    expect([...sides].map((s) => s.textContent)).toEqual([translate('ko', 'value.yes'), translate('ko', 'value.no')]);
    expect(screen.getByTestId('value-household_size').textContent).toBe('1985');
    expect(screen.getByTestId('value-birth_date').textContent).toBe('2024. 5. 1.');
    setLang('en');
  });

  it('resolves a conflict with the typed input the shell takes: a pick, or a new value', async () => {
    const { default: RecordView } = await import('../screens/RecordView.svelte');
    const { app } = await import('../lib/app.svelte');
    const contact = (await import('../../../assets/forms/contact.json')).default;
    app.forms = [contact as unknown as import('../lib/api').Form];
    const v = (value: import('../lib/api').Json, display: string, op: string) => ({ value, display, op, author: 'a-b-c', time: '2026-11-28T00:00:00Z' });
    fakeShell({
      record_get: () => ({
        id: 'r1', form: 'contact', attachments: [], deleted: false, delete_conflict: false,
        created: '2026-11-28T00:00:00Z', updated: '2026-11-28T00:00:00Z', assigned: [], form_version: 1,
        fields: [{ id: 'location', label: 'Location', values: [v({ lat: 1, lon: 2 }, '1, 2', 'o1'), v({ lat: 3, lon: 4 }, '3, 4', 'o2')], link: null }],
      }),
      conflict_resolve: () => undefined,
    });
    render(RecordView, { props: { id: 'r1' } });
    await screen.findByTestId('conflict-location');
    await fireEvent.click(screen.getAllByTestId('conflict-pick')[1]);
    await waitFor(() => expect(callsOf('conflict_resolve')).toHaveLength(1));
    expect(callsOf('conflict_resolve')[0][1]).toEqual({ record: 'r1', field: 'location', resolution: { pick: 'o2' } });
    await fireEvent.input(await screen.findByTestId('conflict-new-value-lat'), { target: { value: '37.5' } });
    await fireEvent.input(screen.getByTestId('conflict-new-value-lon'), { target: { value: '127' } });
    await fireEvent.click(screen.getByTestId('conflict-save'));
    await waitFor(() => expect(callsOf('conflict_resolve')).toHaveLength(2));
    expect(callsOf('conflict_resolve')[1][1]).toEqual({
      record: 'r1',
      field: 'location',
      resolution: { value: { lat: 37.5, lon: 127 } },
    });
  });
});
