// The organisation screens' rules, kept out of the components so they are tested:
// who may manage members, how a member's state reads, and what a typed number means.

import type { MemberView, OrgView, RecordView } from './api';

export type Role = 'field' | 'coordinator' | 'auditor';
export const ROLES: readonly Role[] = ['field', 'coordinator', 'auditor'];

/** Most days a certificate may last (the vault's own limit: ten years). */
export const MAX_DAYS = 3650;
export const DEFAULT_DAYS = 365;

/** How the organisation is named on screen: its name where this device created it; a
 * device that joined knows only its id (names are labels, not signed), so the id's
 * first 16 hex digits. */
export function orgLabel(org: OrgView): string {
  return org.org.name.trim() !== '' ? org.org.name : org.org.id.slice(0, 16);
}

/** This device's entry in the member list. */
export function me(org: OrgView | null): MemberView | undefined {
  return org?.members.find((m) => m.this_device);
}

/** Whether this device may approve requests and revoke members now: an active
 * coordinator. The vault checks again; this only decides what the screen offers. */
export function canManage(org: OrgView | null): boolean {
  const m = me(org);
  return m !== undefined && m.role === 'coordinator' && memberState(m.status).kind === 'active';
}

export type MemberState =
  | { kind: 'active' }
  | { kind: 'expired' }
  | { kind: 'not_yet_valid' }
  | { kind: 'revoked'; from: number }
  | { kind: 'not_vouched' }
  | { kind: 'unknown' };

/** The vault's state words (`active`, `revoked from op 7`, …) as something to translate. */
export function memberState(status: string): MemberState {
  switch (status) {
    case 'active':
      return { kind: 'active' };
    case 'expired':
      return { kind: 'expired' };
    case 'not yet valid':
      return { kind: 'not_yet_valid' };
    case 'not vouched for':
      return { kind: 'not_vouched' };
  }
  const revoked = /^revoked from op (\d+)$/.exec(status);
  if (revoked) return { kind: 'revoked', from: Number(revoked[1]) };
  return { kind: 'unknown' };
}

/** A whole number of days a certificate lasts, or null if it is not one the vault takes. */
export function parseDays(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,4}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= MAX_DAYS ? n : null;
}

/** The op a revocation starts from: empty means the vault's default (null); a whole
 * number from 1; anything else is `undefined` (refused before it reaches the vault). */
export function parseFromSeq(text: string): number | null | undefined {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d{1,15}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= 1 ? n : undefined;
}

/** Members a coordinator may assign a record to: active field workers (the vault
 * checks again). Empty unless this device manages the organisation. */
export function assignable(org: OrgView | null): MemberView[] {
  if (!canManage(org) || !org) return [];
  return org.members.filter((m) => m.role === 'field' && memberState(m.status).kind === 'active');
}

/** Whether `record` is assigned to `m`: the record names its assignees as members
 * are shown everywhere, "Name (role…)". */
export function isAssigned(record: RecordView, m: MemberView): boolean {
  return record.assigned.some((a) => a === `${m.name} (${m.role})` || a.startsWith(`${m.name} (${m.role},`));
}

/** An author as the vault names them ("Name (role)" or "Name (role, this device)")
 * with the role and mark in the UI's language; any other text is left as it is. */
export function localAuthor(text: string, t: (key: string) => string): string {
  const m = /^(.*) \((field|coordinator|auditor)(, this device)?\)$/.exec(text);
  if (!m) return text;
  const mark = m[3] ? `, ${t('org.this_device')}` : '';
  return `${m[1]} (${t(`org.role.${m[2]}`)}${mark})`;
}
