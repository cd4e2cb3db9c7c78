import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import Organisation from '../screens/Organisation.svelte';
import Members from '../screens/Members.svelte';
import Sync from '../screens/Sync.svelte';
import { DEFAULT_SETTINGS, app } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import { liveBlobUrls, revokeAllBlobUrls } from '../lib/blobs';
import type { MemberView, OrgView } from '../lib/api';
import { callsOf, en, fakeShell, reject } from './shell';
import { translate } from '../lib/i18n';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const SVG = '<?xml version="1.0"?><svg><rect/></svg>';

function member(over: Partial<MemberView>): MemberView {
  return {
    name: 'Min-ji', role: 'coordinator', fingerprint: 'one two three four five six seven eight',
    valid_from: '2026-11-30', valid_until: '2027-11-30', status: 'active', this_device: true, last_op: 4, ...over,
  };
}

function orgOf(members: MemberView[]): OrgView {
  return { org: { id: 'ab', name: 'Border Aid' }, members };
}

beforeEach(() => {
  setLang('en');
  app.phase = 'app';
  app.settings = { ...DEFAULT_SETTINGS };
  revokeAllBlobUrls();
});

describe('organisation', () => {
  it('creates an organisation from a device in none', async () => {
    fakeShell({ org_get: () => null, org_create: () => orgOf([member({})]) });
    render(Organisation);
    await screen.findByTestId('org-none');
    await fireEvent.click(screen.getByTestId('org-create'));
    expect(screen.getAllByRole('alert').some((a) => a.textContent === en('org.missing'))).toBe(true);
    expect(callsOf('org_create')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('org-name'), { target: { value: ' Border Aid ' } });
    await fireEvent.input(screen.getByTestId('org-member-name'), { target: { value: 'Min-ji' } });
    await fireEvent.click(screen.getByTestId('org-create'));
    await screen.findByTestId('org-heading');
    expect(callsOf('org_create')[0][1]).toEqual({ name: 'Border Aid', memberName: 'Min-ji', lang: 'en' });
    expect(screen.getByTestId('org-me').textContent).toContain('Coordinator');
    expect(screen.getByTestId('approve-submit')).toBeTruthy();
  });

  it('joins: the request as text and QR image, the words to read out, then the certificate', async () => {
    fakeShell({
      org_get: () => null,
      enrol_request: () => ({ name: 'Field 7', fingerprint: '가격 가끔 가난 가능 가득 가르침 가뭄 가방', transfer: { text: 'SATCHEL-ENROL-AAAA', qr: SVG } }),
      enrol_accept: (args) => {
        if (args.certificate !== 'SATCHEL-CERT-GOOD') {
          return reject('membership', 'no certificate in it is for this device', undefined, { reason: 'not_for_this_device' })();
        }
        return orgOf([member({ this_device: false }), member({ name: 'Field 7', role: 'field' })]);
      },
    });
    setLang('ko');
    render(Organisation);
    await fireEvent.input(await screen.findByTestId('join-name'), { target: { value: 'Field 7' } });
    await fireEvent.click(screen.getByTestId('join-request'));
    expect((await screen.findByTestId('join-fingerprint')).textContent).toBe('가격 가끔 가난 가능 가득 가르침 가뭄 가방');
    expect(callsOf('enrol_request')[0][1]).toEqual({ name: 'Field 7', lang: 'ko' });
    expect((screen.getByTestId('join-request-out-text') as HTMLTextAreaElement).value).toBe('SATCHEL-ENROL-AAAA');
    const img = screen.getByTestId('join-request-out-qr') as HTMLImageElement;
    expect(img.src.startsWith('blob:')).toBe(true);
    expect(img.alt).not.toBe('');
    // The code is an image, never markup in the page.
    expect(document.querySelector('svg rect')).toBeNull();
    expect(liveBlobUrls()).toBe(1);

    await fireEvent.input(screen.getByTestId('join-cert'), { target: { value: 'SATCHEL-CERT-BAD' } });
    await fireEvent.click(screen.getByTestId('join-accept'));
    // In Korean only: the vault's English is not glued to it.
    await waitFor(() =>
      expect(screen.getByTestId('join-error').textContent).toBe(
        translate('ko', 'error.code.membership', { reason: 'not_for_this_device' }),
      ),
    );
    expect(screen.getByTestId('join-error').textContent).toBe(
      '이 기기에 해당하는 인증서가 없습니다. 아무것도 바뀌지 않았습니다.',
    );
    await fireEvent.input(screen.getByTestId('join-cert'), { target: { value: 'SATCHEL-CERT-GOOD' } });
    await fireEvent.click(screen.getByTestId('join-accept'));
    await screen.findByTestId('org-heading');
    // A field worker approves nothing.
    expect(screen.queryByTestId('approve-submit')).toBeNull();
  });

  it('approves with the typed words; a mismatch issues nothing and says so', async () => {
    let typed = '';
    fakeShell({
      org_get: () => orgOf([member({})]),
      enrol_approve: (args) => {
        typed = args.fingerprint;
        if (args.fingerprint !== 'raccoon food silver label') throw { code: 'fingerprint_mismatch', message: 'x' };
        return { member: member({ name: 'Field 7', role: args.role, this_device: false }), transfer: { text: 'SATCHEL-CERT-AAAA', qr: null } };
      },
    });
    render(Organisation);
    await fireEvent.input(await screen.findByTestId('approve-request'), { target: { value: 'SATCHEL-ENROL-AAAA' } });
    await fireEvent.input(screen.getByTestId('approve-words'), { target: { value: 'raccoon food silver lamp' } });
    await fireEvent.click(screen.getByTestId('approve-role-auditor'));
    await fireEvent.input(screen.getByTestId('approve-days'), { target: { value: '0' } });
    await fireEvent.click(screen.getByTestId('approve-submit'));
    expect(screen.getByTestId('approve-error').textContent).toBe(en('org.days_invalid'));
    expect(callsOf('enrol_approve')).toHaveLength(0);
    await fireEvent.input(screen.getByTestId('approve-days'), { target: { value: '30' } });
    await fireEvent.click(screen.getByTestId('approve-submit'));
    await waitFor(() => expect(screen.getByTestId('approve-error').textContent).toBe(en('error.code.fingerprint_mismatch')));
    expect(typed).toBe('raccoon food silver lamp');
    expect(screen.queryByTestId('approve-result')).toBeNull();
    await fireEvent.input(screen.getByTestId('approve-words'), { target: { value: 'raccoon food silver label' } });
    await fireEvent.click(screen.getByTestId('approve-submit'));
    const result = await screen.findByTestId('approve-result');
    expect(callsOf('enrol_approve')[1][1]).toEqual({
      request: 'SATCHEL-ENROL-AAAA', fingerprint: 'raccoon food silver label', role: 'auditor', validDays: 30, lang: 'en',
    });
    expect(result.textContent).toContain('Auditor');
    expect((screen.getByTestId('approve-cert-text') as HTMLTextAreaElement).value).toBe('SATCHEL-CERT-AAAA');
    // No QR code for text too long for one: said, not an empty box.
    expect(screen.queryByTestId('approve-cert-qr')).toBeNull();
    expect(screen.getByTestId('approve-cert').textContent).toContain(en('org.qr_too_long'));
  });
});

describe('members', () => {
  it('lists members with this device marked; a coordinator revokes after confirming', async () => {
    let members = [
      member({}),
      member({ name: 'Field 7', role: 'field', this_device: false, fingerprint: 'a b c d e f g h' }),
      member({ name: 'Old', role: 'field', this_device: false, status: 'revoked from op 3' }),
    ];
    fakeShell({
      org_get: () => orgOf(members),
      member_revoke: (args) => {
        if (args.name === 'Min-ji') {
          return reject('membership', 'refused: that would revoke the last coordinator', undefined, { reason: 'last_coordinator' })();
        }
        members = members.map((m) => (m.name === args.name ? { ...m, status: `revoked from op ${args.fromSeq ?? 5}` } : m));
        return { text: 'SATCHEL-REVOKE-AAAA', qr: SVG };
      },
    });
    render(Members);
    const rows = await screen.findAllByTestId('member-row');
    expect(rows.map((r) => r.dataset.name)).toEqual(['Min-ji', 'Field 7', 'Old']);
    expect(within(rows[0]).getByTestId('member-this-device')).toBeTruthy();
    expect(within(rows[1]).queryByTestId('member-this-device')).toBeNull();
    expect(within(rows[1]).getByTestId('member-fingerprint').textContent).toBe('a b c d e f g h');
    expect(within(rows[2]).getByTestId('member-state').textContent).toBe(en('org.state.revoked', { seq: 3 }));
    expect(within(rows[2]).queryByTestId('member-revoke')).toBeNull();
    expect(screen.queryByTestId('members-readonly')).toBeNull();

    // The last coordinator: refused, said clearly, the dialog stays.
    await fireEvent.click(within(rows[0]).getByTestId('member-revoke'));
    await fireEvent.click(within(screen.getByTestId('revoke-dialog')).getByTestId('confirm-yes'));
    await waitFor(() => expect(screen.getByTestId('revoke-error').textContent).toBe(
        'The last coordinator of the organisation cannot be revoked. Nothing was changed.',
      ),
    );
    await fireEvent.click(within(screen.getByTestId('revoke-dialog')).getByTestId('confirm-no'));
    expect(screen.queryByTestId('revoke-dialog')).toBeNull();

    await fireEvent.click(within(rows[1]).getByTestId('member-revoke'));
    await fireEvent.input(screen.getByTestId('revoke-from'), { target: { value: 'two' } });
    await fireEvent.click(within(screen.getByTestId('revoke-dialog')).getByTestId('confirm-yes'));
    expect(screen.getByTestId('revoke-error').textContent).toBe(en('org.from_seq_invalid'));
    expect(callsOf('member_revoke').map((c) => c[1].name)).toEqual(['Min-ji']);
    await fireEvent.input(screen.getByTestId('revoke-from'), { target: { value: '9' } });
    await fireEvent.click(within(screen.getByTestId('revoke-dialog')).getByTestId('confirm-yes'));
    await screen.findByTestId('revoke-result');
    expect(callsOf('member_revoke')[1][1]).toEqual({ name: 'Field 7', fromSeq: 9 });
    expect((screen.getByTestId('revocation-text') as HTMLTextAreaElement).value).toBe('SATCHEL-REVOKE-AAAA');
    await waitFor(() =>
      expect(screen.getAllByTestId('member-row').find((r) => r.dataset.name === 'Field 7')?.dataset.state).toBe('revoked'),
    );
  });

  it('imports a revocation carried by hand, and says how many were new', async () => {
    let held = 0;
    fakeShell({
      org_get: () => orgOf([member({ role: 'field' })]),
      member_import: (args) => {
        if (!args.text.startsWith('SATCHEL-REVOKE-')) {
          return reject('membership', 'that text is not a valid revocation (check for typos)', undefined, { reason: 'bad_text' })();
        }
        return held++ === 0 ? 1 : 0;
      },
    });
    render(Members);
    const box = await screen.findByTestId('members-import');
    await fireEvent.input(box, { target: { value: 'garbage' } });
    await fireEvent.click(screen.getByTestId('members-import-submit'));
    await waitFor(() =>
      expect(screen.getByTestId('members-import-error').textContent).toBe(
        en('error.code.membership', { reason: 'bad_text' }),
      ),
    );
    for (const expected of [en('org.imported', { count: 1 }), en('org.imported', { count: 0 })]) {
      await fireEvent.input(screen.getByTestId('members-import'), { target: { value: 'SATCHEL-REVOKE-AAAA' } });
      await fireEvent.click(screen.getByTestId('members-import-submit'));
      await waitFor(() => expect(screen.getByTestId('members-imported').textContent).toBe(expected));
    }
    expect(en('org.imported', { count: 1 })).toBe('1 new certificate or revocation kept.');
    expect(screen.getByTestId('members-import-error').textContent).toBe('');
  });

  it('is read-only for a field worker or an auditor', async () => {
    for (const role of ['field', 'auditor']) {
      fakeShell({ org_get: () => orgOf([member({ role }), member({ name: 'Boss', this_device: false })]) });
      const { unmount } = render(Members);
      await screen.findByTestId('members-readonly');
      expect(screen.queryAllByTestId('member-revoke')).toHaveLength(0);
      unmount();
    }
  });
});

describe('peer verification on the Sync screen', () => {
  it('marks an unverified peer and verifies it with the typed words', async () => {
    let verified = false;
    fakeShell({
      identity_get: () => ({ card: 'c', fingerprint: 'f', fingerprint_hex: 'ff' }),
      peers_list: () => [{ name: 'mina', fingerprint: 'one two three four', verified }],
      sync_status: () => [],
      drives_list: () => [],
      quarantine_list: () => [],
      peer_verify: (args) => {
        if (args.fingerprint !== 'one two three four') return reject('fingerprint_mismatch', 'x')();
        verified = true;
        return { name: 'mina', fingerprint: 'one two three four', verified: true };
      },
    });
    render(Sync);
    const row = await screen.findByTestId('peer-row');
    await waitFor(() => expect(within(row).getByTestId('peer-unverified').textContent).toBe(en('sync.unverified')));
    await fireEvent.click(within(row).getByTestId('peer-verify'));
    const dialog = screen.getByTestId('verify-dialog');
    await fireEvent.input(within(dialog).getByTestId('verify-words'), { target: { value: 'one two three five' } });
    await fireEvent.click(within(dialog).getByTestId('verify-submit'));
    await waitFor(() => expect(screen.getByTestId('verify-error').textContent).toBe(en('error.code.fingerprint_mismatch')));
    await fireEvent.input(within(dialog).getByTestId('verify-words'), { target: { value: 'one two three four' } });
    await fireEvent.click(within(dialog).getByTestId('verify-submit'));
    await waitFor(() => expect(screen.queryByTestId('verify-dialog')).toBeNull());
    await waitFor(() => expect(screen.getByTestId('peer-verified').textContent).toBe(en('sync.verified')));
    expect(screen.queryByTestId('peer-verify')).toBeNull();
    expect(callsOf('peer_verify')).toHaveLength(2);
  });
});

describe('assignment and offload', () => {
  const RECORD = {
    id: 'r1', form: 'contact', fields: [], attachments: [], deleted: false, delete_conflict: false,
    created: '2026-11-30T00:00:00Z', updated: '2026-11-30T00:00:00Z', assigned: [] as string[], form_version: 1,
  };

  it('lets a coordinator assign a record to an active field worker from the record', async () => {
    const RecordView = (await import('../screens/RecordView.svelte')).default;
    const field = member({ name: 'Field 7', role: 'field', this_device: false });
    const gone = member({ name: 'Field 8', role: 'field', this_device: false, status: 'revoked from op 2' });
    fakeShell({
      record_get: () => RECORD,
      org_get: () => orgOf([member({}), field, gone]),
      record_assign: (args) => ({ ...RECORD, assigned: args.assign ? ['Field 7 (field)'] : [] }),
    });
    render(RecordView, { props: { id: 'r1' } });
    await screen.findByTestId('assigned-none');
    const buttons = await screen.findAllByTestId('assign-member');
    expect(buttons.map((b) => b.getAttribute('data-name'))).toEqual(['Field 7']);
    await fireEvent.click(buttons[0]);
    await screen.findByTestId('assigned-list');
    expect(callsOf('record_assign')[0][1]).toEqual({ id: 'r1', member: 'Field 7', assign: true, lang: 'en' });
    expect(screen.getByTestId('assign-member').getAttribute('data-assigned')).toBe('true');
    expect(screen.getByTestId('assign-member').textContent?.trim()).toBe(en('view.unassign', { name: 'Field 7' }));
  });

  it('offers no assignment to a field worker, and none outside an organisation', async () => {
    const RecordView = (await import('../screens/RecordView.svelte')).default;
    fakeShell({ record_get: () => RECORD, org_get: () => orgOf([member({ role: 'field' })]) });
    const { unmount } = render(RecordView, { props: { id: 'r1' } });
    await screen.findByTestId('assigned-none');
    expect(screen.queryByTestId('assign-member')).toBeNull();
    unmount();
    fakeShell({ record_get: () => RECORD, org_get: () => null });
    render(RecordView, { props: { id: 'r1' } });
    await screen.findByTestId('record-view');
    await waitFor(() => expect(callsOf('org_get')).toHaveLength(1));
    expect(screen.queryByTestId('assigned-none')).toBeNull();
  });

  it('shows what a field device holds, its offload policy, and offloads after a preview', async () => {
    const Settings = (await import('../screens/Settings.svelte')).default;
    let held = 12;
    fakeShell({
      settings_get: () => ({ ...DEFAULT_SETTINGS }),
      settings_set: () => undefined,
      vault_info: () => ({
        keyslots_format: 1, schema_version: 12, cipher_version: 'v1', fingerprint: 'a b c d e f g h', fingerprint_hex: 'ab',
        records: 12, deleted_records: 0, ops: 30, attachments: 1, kdf: { profile: 'x', m_kib: 1, t: 1, p: 1 },
      }),
      org_get: () => orgOf([member({ role: 'field' })]),
      offload_policy_get: () => ({ enabled: true, chosen: false, held }),
      offload_policy_set: (args) => ({ enabled: args.enabled, chosen: true, held }),
      offload_run: (args) => {
        if (!args.dryRun) held = 2;
        return { erased: 10, kept_assigned: 2, kept_unacknowledged: 0, held: 2, done: !args.dryRun };
      },
    });
    render(Settings);
    const panel = await screen.findByTestId('offload-panel');
    expect(within(panel).getByTestId('offload-held').getAttribute('data-held')).toBe('12');
    const box = within(panel).getByTestId('offload-policy') as HTMLInputElement;
    expect(box.checked).toBe(true);
    await fireEvent.click(box);
    await waitFor(() => expect(callsOf('offload_policy_set')[0][1]).toEqual({ enabled: false }));
    await fireEvent.click(within(panel).getByTestId('offload-preview'));
    const text = await screen.findByTestId('offload-preview-text');
    expect(text.textContent?.trim()).toBe(en('settings.offload_preview', { erased: 10, assigned: 2, waiting: 0 }));
    expect(text.textContent).toContain('10 records would be erased');
    expect(callsOf('offload_run').map((c) => c[1])).toEqual([{ dryRun: true }]);
    await fireEvent.click(screen.getByTestId('offload-confirm'));
    await waitFor(() => expect(screen.getByTestId('offload-result').textContent?.trim()).toBe(en('settings.offload_done', { count: 10 })));
    expect(screen.getByTestId('offload-result').textContent).toContain('10 records');
    expect(callsOf('offload_run').map((c) => c[1])).toEqual([{ dryRun: true }, { dryRun: false }]);
    await waitFor(() => expect(screen.getByTestId('offload-held').getAttribute('data-held')).toBe('2'));
  });
});

describe('links and ids on a record', () => {
  it('shows a link as the linked record and follows it; the id is shown to copy', async () => {
    const RecordView = (await import('../screens/RecordView.svelte')).default;
    fakeShell({
      record_get: () => ({
        id: 'case-1', form: 'case', attachments: [], deleted: false, delete_conflict: false, created: '', updated: '', assigned: [], form_version: 2,
        fields: [{ id: 'contact', label: 'Contact', link: 'c-1', values: [{ value: 'c-1', display: '김민준 金敏俊', op: 'o', author: 'a', time: '' }] }],
      }),
      org_get: () => null,
    });
    render(RecordView, { props: { id: 'case-1' } });
    const link = await screen.findByTestId('link-contact');
    expect(link.textContent).toContain('김민준 金敏俊');
    expect(screen.getByTestId('record-id').textContent).toBe('case-1');
    await fireEvent.click(link);
    expect(app.route).toEqual({ name: 'record', id: 'c-1' });
  });
});
