// How the record form lays out a form and reads its rules' answers: sections as
// headings over their fields, which fields the rules hide, and what a broken rule
// says. Pure, unit-tested. The rules themselves are never evaluated here: the vault
// (satchel-forms `rules`) answers `form_rules` as the person types, and checks again
// on save.

import type { FieldDef, Form, RulesCheck, Section, ShownAttachment, Staged } from './api';

/** Consecutive fields of one section (or of none), under the section's heading. */
export interface Block {
  section: Section | null;
  fields: FieldDef[];
}

/** The form's fields in order, grouped into runs of one section: a section's label
 * is shown above each run of its fields. A field naming a section the form does not
 * have is shown outside any. */
export function blocks(form: Pick<Form, 'fields' | 'sections'>): Block[] {
  const out: Block[] = [];
  for (const field of form.fields) {
    const section = form.sections?.find((s) => s.id === field.section) ?? null;
    const last = out[out.length - 1];
    if (last && last.section?.id === section?.id) last.fields.push(field);
    else out.push({ section, fields: [field] });
  }
  return out;
}

/** Whether a block shows: some field of it is not hidden. A section whose rule hides
 * it hides each of its fields, and its heading with them. */
export function blockShown(block: Block, hidden: ReadonlySet<string>): boolean {
  return block.fields.some((f) => !hidden.has(f.id));
}

/** Whether the form has any skip-logic or constraint rule: without one the vault is
 * not asked as the person types. */
export function hasRules(form: Pick<Form, 'fields' | 'sections'>): boolean {
  return (
    form.fields.some((f) => f.relevant !== undefined || f.constraint !== undefined) ||
    (form.sections ?? []).some((s) => s.relevant !== undefined)
  );
}

/** A broken rule as the form shows it: the form's own message (shown in the UI's
 * language by the caller), or a translation key when the form has none. */
export type RuleMessage = { labels: NonNullable<FieldDef['constraint_message']> } | { key: string };

/** The constraint each shown field breaks, by field id. A value in a hidden field is
 * not shown as a problem: the field is not on screen, and is not sent. */
export function ruleMessages(fields: readonly FieldDef[], check: RulesCheck | null): Record<string, RuleMessage> {
  const out: Record<string, RuleMessage> = {};
  if (!check) return out;
  const hidden = new Set(check.hidden);
  for (const p of check.problems) {
    if (p.problem !== 'constraint' || hidden.has(p.field)) continue;
    const field = fields.find((f) => f.id === p.field);
    if (!field) continue;
    out[p.field] = field.constraint_message ? { labels: field.constraint_message } : { key: 'validation.constraint' };
  }
  return out;
}

/** What an attachment field may name: the record's files by their hash, then the
 * files added in this form by their name (the vault resolves a name to the file
 * saved with it). `staged` marks the latter, which the form labels as new. */
export interface AttachmentChoice {
  value: string;
  name: string;
  staged: boolean;
}

export function attachmentChoices(held: readonly ShownAttachment[], staged: readonly Staged[]): AttachmentChoice[] {
  return [
    ...held.map((a) => ({ value: a.blake3, name: a.name, staged: false })),
    ...staged.map((s) => ({ value: s.name, name: s.name, staged: true })),
  ];
}
