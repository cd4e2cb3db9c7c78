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
    created: '2026-11-28T00:00:00Z', updated: '2026-11-28T00:00:00Z',
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
