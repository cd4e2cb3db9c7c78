import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import Organisation from '../screens/Organisation.svelte';
import Members from '../screens/Members.svelte';
import Sync from '../screens/Sync.svelte';
import { DEFAULT_SETTINGS, app } from '../lib/app.svelte';
import { setLang } from '../lib/i18n.svelte';
import { liveBlobUrls, revokeAllBlobUrls } from '../lib/blobs';
import type { MemberView, OrgView } from '../lib/api';
import { callsOf, en, fakeShell, reject } from './shell';

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
        if (args.certificate !== 'SATCHEL-CERT-GOOD') throw { code: 'membership', message: 'no certificate in it is for this device' };
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
    await waitFor(() => expect(screen.getByTestId('join-error').textContent).toContain('no certificate in it is for this device'));
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
        if (args.name === 'Min-ji') throw { code: 'membership', message: 'refused: that would revoke the last coordinator' };
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
    await waitFor(() => expect(screen.getByTestId('revoke-error').textContent).toBe(en('org.err_last_coordinator')));
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
        if (!args.text.startsWith('SATCHEL-REVOKE-')) throw { code: 'membership', message: 'that text is not a valid revocation (check for typos)' };
        return held++ === 0 ? 1 : 0;
      },
    });
    render(Members);
    const box = await screen.findByTestId('members-import');
    await fireEvent.input(box, { target: { value: 'garbage' } });
    await fireEvent.click(screen.getByTestId('members-import-submit'));
    await waitFor(() =>
      expect(screen.getByTestId('members-import-error').textContent).toBe(
        en('org.refused', { message: 'that text is not a valid revocation (check for typos)' }),
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
