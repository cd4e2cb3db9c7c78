import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { listen } from '@tauri-apps/api/event';
import App from '../App.svelte';
import Audit from '../screens/Audit.svelte';
import { DEFAULT_SETTINGS, app } from '../lib/app.svelte';
import { ANOMALY_CODES, auditAccess } from '../lib/audit';
import { setLang } from '../lib/i18n.svelte';
import { LANGS, dictionaries, translate } from '../lib/i18n';
import type { AuditChecked, AuditReport, DeviceReport, MemberView, OrgView, Progress as ProgressEvent } from '../lib/api';
import { callsOf, en, fakeShell, reject } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }));

const KEY_A = 'a1'.repeat(32);
const KEY_B = 'b2'.repeat(32);

function device(over: Partial<DeviceReport>): DeviceReport {
  return {
    device: KEY_A, ops: 12, chain: 12, checkpoints: 2, latest_checkpoint: 12,
    per_month: { '2026-10': 5, '2026-11': 7 }, anomalies: [], ...over,
  };
}

function report(over: Partial<AuditReport> = {}): AuditReport {
  const devices = [device({}), device({ device: KEY_B, ops: 3, chain: 3, checkpoints: 1, latest_checkpoint: 3, per_month: { '2026-11': 3 } })];
  return {
    organisation: true, organisation_anomalies: [], devices, openings: [], accepted: { ops: 15, checkpoints: 2, anomalies: [] },
    anomalies: 0, ...over,
  };
}

function checked(r: AuditReport, file = 'border-aid-audit.json'): AuditChecked {
  return { file, report: r };
}

function member(over: Partial<MemberView>): MemberView {
  return {
    name: 'Min-ji', role: 'coordinator', fingerprint: 'one two three four five six seven eight',
    valid_from: '2026-11-30', valid_until: '2027-11-30', status: 'active', this_device: true, last_op: 4, ...over,
  };
}

function orgWith(me: Partial<MemberView>): OrgView {
  return { org: { id: 'ab', name: 'Border Aid' }, members: [member({ name: 'Other', this_device: false }), member(me)] };
}

beforeEach(() => {
  setLang('en');
  app.phase = 'app';
  app.settings = { ...DEFAULT_SETTINGS };
  app.org = orgWith({ role: 'auditor' });
  vi.mocked(listen).mockImplementation((async () => () => {}) as unknown as typeof listen);
});

describe('the Audit screen', () => {
  it('checks an export and shows a clean report: zero anomalies, each device and month', async () => {
    fakeShell({ audit_verify_pick: () => checked(report()) });
    render(Audit);
    await fireEvent.click(screen.getByTestId('audit-open'));
    const shown = await screen.findByTestId('audit-report');
    expect(shown.getAttribute('data-anomalies')).toBe('0');
    expect(screen.getByTestId('audit-verdict').textContent).toBe(en('audit.clean'));
    expect(screen.queryAllByTestId('audit-anomaly')).toHaveLength(0);
    expect(screen.queryByTestId('audit-anomalies')).toBeNull();
    const summary = screen.getByTestId('audit-summary').textContent ?? '';
    expect(summary).toContain('2 devices');
    expect(summary).toContain('15 changes with a valid signature');
    expect(summary).toContain('no anomalies');
    expect(screen.getByTestId('audit-accepted').textContent?.trim()).toBe(en('audit.accepted', { ops: 15, checkpoints: 2 }));
    expect(summary).not.toContain('opened');
    expect(screen.queryByTestId('audit-openings')).toBeNull();
    expect(screen.getByTestId('audit-org').textContent?.trim()).toBe(en('audit.org_checked'));
    // A row per device: its key shortened, its counts.
    const rows = screen.getAllByTestId('audit-device');
    expect(rows.map((r) => r.getAttribute('data-device'))).toEqual([KEY_A, KEY_B]);
    const cells = within(rows[0]).getAllByRole('cell').map((c) => c.textContent?.trim());
    expect(cells).toEqual(['12', '12', '2', '12', '0']);
    expect(within(rows[0]).getByRole('rowheader').textContent).toContain(`${KEY_A.slice(0, 16)}…`);
    expect(within(rows[0]).getByRole('rowheader').textContent).not.toContain(KEY_A);
    // Ops per month, named in the UI's language.
    const months = screen.getAllByTestId('audit-month');
    expect(months.map((m) => m.getAttribute('data-month'))).toEqual(['2026-10', '2026-11', '2026-11']);
    expect(months[0].textContent).toContain('October 2026');
    // Focus goes to the report.
    expect(document.activeElement?.id).toBe('audit-report-title');
    expect(document.activeElement?.textContent).toContain('border-aid-audit.json');
  });

  it('lists every anomaly with its code, where it is, and what it means, in Korean', async () => {
    const RECORD = 'c3'.repeat(16);
    const found = report({
      anomalies: 6,
      organisation_anomalies: [{ code: 'organisation_malformed', detail: 'a certificate does not read' }],
      devices: [
        device({
          anomalies: [
            { code: 'chain_gap', seq: 3, detail: 'no op at sequence 3 (the next held is 5)' },
            { code: 'checkpoint_mismatch', size: 5, detail: 'the root differs' },
          ],
        }),
        device({ device: KEY_B, anomalies: [{ code: 'op_bad_signature', detail: 'op 2 of those given' }] }),
      ],
      openings: [
        {
          record: RECORD, opened: 3, withheld: 1, void: 0,
          anomalies: [{ code: 'replay_mismatch', detail: 'field `name` differs' }],
        },
      ],
      accepted: { ops: 14, checkpoints: 1, anomalies: [{ code: 'accepted_mismatch', detail: 'an op is missing' }] },
    });
    fakeShell({ audit_verify_pick: () => checked(found) });
    setLang('ko');
    render(Audit);
    await fireEvent.click(screen.getByTestId('audit-open'));
    await screen.findByTestId('audit-report');
    expect(screen.getByTestId('audit-verdict').textContent).toBe(translate('ko', 'audit.found', { count: 6 }));
    expect(screen.getByTestId('audit-verdict').textContent).toContain('이상 6건');
    const items = screen.getAllByTestId('audit-anomaly');
    expect(items.map((i) => i.getAttribute('data-code'))).toEqual([
      'organisation_malformed', 'chain_gap', 'checkpoint_mismatch', 'op_bad_signature', 'replay_mismatch', 'accepted_mismatch',
    ]);
    for (const item of items) {
      const code = item.getAttribute('data-code')!;
      // The stable code as it is, and its explanation in Korean (not the verifier's English).
      expect(item.querySelector('.code')?.textContent).toBe(code);
      const what = within(item).getByTestId('audit-anomaly-text').textContent ?? '';
      expect(what).toBe(translate('ko', `audit.anomaly.${code}`));
      expect(what).toMatch(/\p{Script=Hangul}/u);
      expect(item.textContent).not.toMatch(/sequence|does not read|root differs|those given|differs|missing/);
    }
    expect(items[0].textContent).toContain('조직');
    expect(items[1].textContent).toContain(KEY_A.slice(0, 16));
    expect(items[1].textContent).toContain('변경 3');
    expect(items[2].textContent).toContain(translate('ko', 'audit.at_checkpoint', { size: 5 }));
    expect(items[3].textContent).toContain(KEY_B.slice(0, 16));
    expect(items[4].textContent).toContain(`기록 ${RECORD.slice(0, 16)}…`);
    expect(items[5].textContent).toContain(translate('ko', 'audit.accepted_log'));
    // The opened record counted, its content never shown (the report holds none).
    const opened = screen.getAllByTestId('audit-opening');
    expect(opened.map((o) => o.getAttribute('data-anomalies'))).toEqual(['1']);
    expect(within(opened[0]).getAllByRole('cell').map((c) => c.textContent?.trim())).toEqual(['3', '1', '0', '1']);
    expect(screen.getByTestId('audit-summary').textContent).toContain('공개된 기록 1건');
    const flagged = screen.getAllByTestId('audit-device').map((r) => r.getAttribute('data-anomalies'));
    expect(flagged).toEqual(['2', '1']);
  });

  it('shows progress in ops while the shell checks, then the report', async () => {
    let send: ((p: ProgressEvent) => void) | null = null;
    vi.mocked(listen).mockImplementation((async (_name: string, f: (e: { payload: ProgressEvent }) => void) => {
      send = (p) => f({ payload: p });
      return () => {};
    }) as unknown as typeof listen);
    let finish: (c: AuditChecked) => void = () => {};
    fakeShell({ audit_verify_pick: () => new Promise<AuditChecked>((r) => (finish = r)) });
    render(Audit);
    await waitFor(() => expect(send).not.toBeNull());
    await fireEvent.click(screen.getByTestId('audit-open'));
    const bar = await screen.findByRole('progressbar');
    send!({ task: 'audit_check', phase: 'checking', done: 0, total: 40 });
    await waitFor(() => expect(bar.getAttribute('aria-valuetext')).toBe(en('progress.checking')));
    send!({ task: 'audit_check', phase: 'checking', done: 10, total: 40 });
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('25'));
    // Another task's progress is not this one's.
    send!({ task: 'import', phase: 'decrypting' });
    await new Promise((r) => setTimeout(r, 0));
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    // A second press meanwhile starts nothing.
    await fireEvent.click(screen.getByTestId('audit-open'));
    expect(callsOf('audit_verify_pick')).toHaveLength(1);
    finish(checked(report()));
    await screen.findByTestId('audit-report');
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('says in the UI language when a file is not an export, and keeps nothing of it', async () => {
    fakeShell({
      audit_verify_pick: reject('audit_export_unreadable', 'that file is not a Satchel audit export', undefined, { reason: 'not_export' }),
    });
    setLang('zh-Hans');
    render(Audit);
    await fireEvent.click(screen.getByTestId('audit-open'));
    const error = await screen.findByTestId('audit-error');
    expect(error.textContent).toBe(translate('zh-Hans', 'error.code.audit_export_unreadable', { reason: 'not_export' }));
    expect(error.textContent).toContain('不是 Satchel 审计导出文件');
    expect(screen.queryByTestId('audit-report')).toBeNull();
  });

  it('checks a file chosen in the window or dropped on it, by its bytes and name', async () => {
    fakeShell({ audit_verify: () => checked(report(), 'export 1.json') });
    render(Audit);
    const file = new File(['{"format":"satchel-audit-export"}'], 'export 1.json', { type: 'application/json' });
    await fireEvent.change(screen.getByTestId('audit-input'), { target: { files: [file] } });
    await screen.findByTestId('audit-report');
    const [, body, options] = callsOf('audit_verify')[0];
    expect(new TextDecoder().decode(body as Uint8Array)).toBe('{"format":"satchel-audit-export"}');
    expect(options).toEqual({ headers: { 'x-satchel-name': 'export%201.json' } });
  });

  it('saves the HTML report through the shell, and says so', async () => {
    let saved = false;
    fakeShell({ audit_verify_pick: () => checked(report()), audit_save_html: () => (saved = !saved) });
    render(Audit);
    expect(screen.queryByTestId('audit-save-html')).toBeNull();
    await fireEvent.click(screen.getByTestId('audit-open'));
    await fireEvent.click(await screen.findByTestId('audit-save-html'));
    await waitFor(() => expect(screen.getByTestId('audit-saved').textContent).toBe(en('audit.saved')));
    expect(callsOf('audit_save_html')).toHaveLength(1);
    // Cancelled in the dialog: nothing said.
    await fireEvent.click(screen.getByTestId('audit-save-html'));
    await waitFor(() => expect(callsOf('audit_save_html')).toHaveLength(2));
    await waitFor(() => expect(screen.getByTestId('audit-saved').textContent).toBe(''));
  });

  it('offers a coordinator to make an export, and says how many changes it holds', async () => {
    app.org = orgWith({ role: 'coordinator' });
    fakeShell({ audit_export_make: () => 1234 });
    render(Audit);
    expect(screen.getByTestId('audit-open')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('audit-make'));
    const made = await screen.findByTestId('audit-made');
    expect(made.getAttribute('data-ops')).toBe('1234');
    expect(made.textContent).toBe('Wrote an audit export of 1,234 changes.');
  });

  it('hides making an export from an auditor, and the whole screen from a field worker', async () => {
    fakeShell({});
    const { unmount } = render(Audit);
    expect(screen.getByTestId('audit-open')).toBeTruthy();
    expect(screen.queryByTestId('audit-make')).toBeNull();
    unmount();
    app.org = orgWith({ role: 'field' });
    render(Audit);
    expect(screen.queryByTestId('audit-open')).toBeNull();
    expect(screen.queryByTestId('audit-make')).toBeNull();
    expect(screen.getByTestId('audit-not-offered').textContent).toBe(en('audit.not_offered'));
  });

  it('is in the navigation for auditors, coordinators and a vault in no organisation, not for field workers', async () => {
    const shell = (org: OrgView | null) =>
      fakeShell({
        vault_state: () => ({ exists: true, unlocked: true, lockReason: null, panicShortcut: 'Ctrl+Shift+X' }),
        settings_get: () => ({ language: null, autoLockMinutes: 10, panicAction: 'lock', panicShortcut: 'Ctrl+Shift+X' }),
        forms_list: () => [],
        drafts_list: () => [],
        records_page: () => ({ total: 0, items: [] }),
        org_get: () => org,
      });
    for (const [org, offered] of [
      [orgWith({ role: 'auditor' }), true],
      [orgWith({ role: 'coordinator' }), true],
      [null, true],
      [orgWith({ role: 'field' }), false],
    ] as const) {
      app.phase = 'loading';
      app.org = undefined;
      shell(org);
      const { unmount } = render(App);
      await screen.findByTestId('nav-records');
      await waitFor(() => expect(app.org).not.toBeUndefined());
      expect(screen.queryByTestId('nav-audit') !== null, JSON.stringify(org)).toBe(offered);
      if (offered) {
        await fireEvent.click(screen.getByTestId('nav-audit'));
        expect(screen.getByTestId('nav-audit').getAttribute('aria-current')).toBe('page');
        expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(en('audit.title'));
        expect(screen.queryByTestId('audit-make') !== null).toBe(org === null || org.members[1].role === 'coordinator');
      }
      unmount();
    }
  });
});

describe('audit access', () => {
  it('offers nothing until the organisation is known, and making only to an active coordinator', () => {
    expect(auditAccess(undefined)).toEqual({ check: false, make: false });
    expect(auditAccess(null)).toEqual({ check: true, make: true });
    expect(auditAccess(orgWith({ role: 'coordinator' }))).toEqual({ check: true, make: true });
    expect(auditAccess(orgWith({ role: 'coordinator', status: 'expired' }))).toEqual({ check: true, make: false });
    expect(auditAccess(orgWith({ role: 'auditor' }))).toEqual({ check: true, make: false });
    expect(auditAccess(orgWith({ role: 'field' }))).toEqual({ check: false, make: false });
  });

  it('explains every anomaly code in every language', () => {
    for (const lang of LANGS) {
      for (const code of ANOMALY_CODES) {
        expect(dictionaries[lang][`audit.anomaly.${code}`], `${lang} ${code}`).toBeTruthy();
      }
    }
  });
});

describe('where an anomaly is', () => {
  it('counts a checkpoint\'s changes in the plural English needs', () => {
    expect(translate('en', 'audit.at_checkpoint', { size: 1 })).toBe('checkpoint at 1 change');
    expect(translate('en', 'audit.at_checkpoint', { size: 5 })).toBe('checkpoint at 5 changes');
    expect(translate('ko', 'audit.at_checkpoint', { size: 1 })).toBe('변경 1건 시점의 체크포인트');
  });
});
