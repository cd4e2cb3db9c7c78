// The Audit screen's rules, kept out of the component so they are tested: who may
// check and make exports, and how a report's parts read.

import { allOf, type Anomaly, type AnomalyCode, type AuditReport, type OrgView } from './api';
import { canManage, me } from './org';

/** Every anomaly the verifier names (the generated `AnomalyCode`, one list in Rust):
 * one missing here, or one Rust no longer has, fails `npm run check`. Each has an
 * `audit.anomaly.<code>` explanation in every language. */
export const ANOMALY_CODES: readonly AnomalyCode[] = allOf<AnomalyCode>({
  op_malformed: true, op_bad_signature: true, op_wrong_author: true, chain_fork: true, chain_gap: true,
  chain_broken: true, checkpoint_malformed: true, checkpoint_bad_signature: true,
  checkpoint_wrong_origin: true, checkpoint_beyond_log: true, checkpoint_mismatch: true,
  checkpoints_inconsistent: true, author_not_member: true, organisation_malformed: true,
  cosignature_missing: true, cosignature_bad: true, checkpoint_rolled_back: true,
  opening_mismatch: true, replay_mismatch: true, accepted_mismatch: true,
});

export interface AuditAccess {
  /** Open and check an export. */
  check: boolean;
  /** Make one of this vault. */
  make: boolean;
}

/** What the Audit screen offers this device. Checking reads a file and trusts nothing
 * here, but it is an auditor's and a coordinator's work: field workers are not shown
 * it. Making an export is a coordinator's; a vault in no organisation is its own
 * coordinator. `undefined`: not known yet (nothing offered). The shell checks again. */
export function auditAccess(org: OrgView | null | undefined): AuditAccess {
  if (org === undefined) return { check: false, make: false };
  if (org === null) return { check: true, make: true };
  const role = me(org)?.role;
  return { check: role === 'auditor' || role === 'coordinator', make: canManage(org) };
}

/** A device's key (or a record's id) as shown: its first 16 hex digits (the whole key
 * is copied). */
export function shortKey(key: string): string {
  return key.length > 16 ? `${key.slice(0, 16)}…` : key;
}

/** Where an anomaly was found: the organisation's objects, a device's history, a
 * record opened to the auditor, or the exporter's accepted-ops log. */
export type Place =
  | { kind: 'organisation' }
  | { kind: 'device'; key: string }
  | { kind: 'record'; id: string }
  | { kind: 'accepted' };

export interface Found {
  anomaly: Anomaly;
  place: Place;
}

/** Every anomaly of a report, as the report counts them: the organisation's first,
 * then each device's, each opened record's, and the accepted-ops log's, in the
 * report's order (each already by code, then place). */
export function allAnomalies(report: AuditReport): Found[] {
  const at = (place: Place) => (anomaly: Anomaly): Found => ({ anomaly, place });
  return [
    ...report.organisation_anomalies.map(at({ kind: 'organisation' })),
    ...report.devices.flatMap((d) => d.anomalies.map(at({ kind: 'device', key: d.device }))),
    ...report.openings.flatMap((o) => o.anomalies.map(at({ kind: 'record', id: o.record }))),
    ...(report.accepted?.anomalies ?? []).map(at({ kind: 'accepted' })),
  ];
}

/** Ops in all, over every device. */
export function totalOps(report: AuditReport): number {
  return report.devices.reduce((n, d) => n + d.ops, 0);
}

/** Ops per month of every device, by device then month: rows of a table. */
export function monthRows(report: AuditReport): { device: string; month: string; ops: number }[] {
  return report.devices.flatMap((d) =>
    Object.entries(d.per_month)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([month, ops]) => ({ device: d.device, month, ops })),
  );
}
