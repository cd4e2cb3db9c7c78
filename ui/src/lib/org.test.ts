// @vitest-environment node
import { assignable, canManage, isAssigned, localAuthor, me, memberState, orgLabel, parseDays, parseFromSeq } from './org';
import type { MemberView, OrgView, RecordView } from './api';
import { LANGS, translate } from './i18n';

function member(over: Partial<MemberView>): MemberView {
  return {
    name: 'Min-ji', role: 'coordinator', fingerprint: 'a b c d e f g h', valid_from: '2026-11-30',
    valid_until: '2027-11-30', status: 'active', this_device: false, last_op: 0, ...over,
  };
}

function org(members: MemberView[]): OrgView {
  return { org: { id: 'ab', name: 'Border Aid' }, members };
}

describe('the organisation screen rules', () => {
  it('lets only an active coordinator on this device manage members', () => {
    expect(canManage(null)).toBe(false);
    expect(canManage(org([member({})]))).toBe(false); // the coordinator is another device
    expect(canManage(org([member({ this_device: true })]))).toBe(true);
    expect(canManage(org([member({ this_device: true, role: 'field' })]))).toBe(false);
    expect(canManage(org([member({ this_device: true, role: 'auditor' })]))).toBe(false);
    expect(canManage(org([member({ this_device: true, status: 'expired' })]))).toBe(false);
    expect(canManage(org([member({ this_device: true, status: 'revoked from op 3' })]))).toBe(false);
    expect(me(org([member({}), member({ name: 'Field 7', this_device: true })]))?.name).toBe('Field 7');
  });

  it('offers assignment to active field workers, and only to a coordinator', () => {
    const field = member({ name: 'Field 7', role: 'field' });
    const gone = member({ name: 'Field 8', role: 'field', status: 'revoked from op 2' });
    const auditor = member({ name: 'Uri', role: 'auditor' });
    const mine = member({ this_device: true });
    expect(assignable(org([mine, field, gone, auditor])).map((m) => m.name)).toEqual(['Field 7']);
    expect(assignable(org([member({ this_device: true, role: 'field' }), field]))).toEqual([]);
    expect(assignable(null)).toEqual([]);
    const rec = (assigned: string[]) => ({ assigned }) as unknown as RecordView;
    expect(isAssigned(rec(['Field 7 (field)']), field)).toBe(true);
    expect(isAssigned(rec(['Field 7 (field, this device)']), field)).toBe(true);
    expect(isAssigned(rec(['Field 70 (field)']), field)).toBe(false);
    expect(isAssigned(rec([]), field)).toBe(false);
  });

  it('names authors with their role in the UI language', () => {
    const ko = (key: string) => translate('ko', key);
    expect(localAuthor('Field 7 (field)', ko)).toBe(`Field 7 (${ko('org.role.field')})`);
    expect(localAuthor('Min-ji (coordinator, this device)', ko)).toBe(`Min-ji (${ko('org.role.coordinator')}, ${ko('org.this_device')})`);
    expect(localAuthor('maple-river-stone', ko)).toBe('maple-river-stone');
    expect(localAuthor('Odd (admin)', ko)).toBe('Odd (admin)');
  });

  it('names an organisation this device joined by its id', () => {
    expect(orgLabel(org([]))).toBe('Border Aid');
    expect(orgLabel({ org: { id: '0123456789abcdef0123456789abcdef', name: '' }, members: [] })).toBe('0123456789abcdef');
  });

  it('reads every state the vault gives', () => {
    expect(memberState('active')).toEqual({ kind: 'active' });
    expect(memberState('expired')).toEqual({ kind: 'expired' });
    expect(memberState('not yet valid')).toEqual({ kind: 'not_yet_valid' });
    expect(memberState('not vouched for')).toEqual({ kind: 'not_vouched' });
    expect(memberState('revoked from op 12')).toEqual({ kind: 'revoked', from: 12 });
    expect(memberState('revoked from op x')).toEqual({ kind: 'unknown' });
    expect(memberState('something new')).toEqual({ kind: 'unknown' });
  });

  it('takes whole numbers only for days and the revocation point', () => {
    expect(parseDays('365')).toBe(365);
    expect(parseDays(' 1 ')).toBe(1);
    expect(parseDays('3650')).toBe(3650);
    for (const bad of ['', '0', '3651', '1.5', '-3', '1e3', 'abc', '99999']) expect(parseDays(bad), bad).toBeNull();
    expect(parseFromSeq('')).toBeNull();
    expect(parseFromSeq('  ')).toBeNull();
    expect(parseFromSeq('7')).toBe(7);
    for (const bad of ['0', '-1', '2.5', 'x', '1234567890123456']) expect(parseFromSeq(bad), bad).toBeUndefined();
  });

  it('never names Revoke as the dialog names Cancel, in any language', () => {
    // Korean once had 취소 for both: the confirmation offered two identical buttons.
    for (const lang of LANGS) {
      expect(translate(lang, 'org.revoke'), lang).not.toBe(translate(lang, 'common.cancel'));
      expect(translate(lang, 'sync.verify'), lang).not.toBe(translate(lang, 'common.cancel'));
    }
  });
});
