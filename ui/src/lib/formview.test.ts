// @vitest-environment node
import type { FieldDef, Form, RulesCheck } from './api';
import { attachmentChoices, blockShown, blocks, hasRules, ruleMessages } from './formview';

const L = (en: string) => ({ en, ko: `${en} ko`, 'zh-Hans': `${en} zh` });
const f = (id: string, extra: Partial<FieldDef> = {}): FieldDef => ({ id, type: 'text', required: false, label: L(id), ...extra });

const screening: Pick<Form, 'fields' | 'sections'> = {
  sections: [
    { id: 'children', label: L('Children'), relevant: "${has_children} = 'yes'" },
    { id: 'contact', label: L('Contact') },
  ],
  fields: [
    f('name'),
    f('age', { type: 'integer', constraint: '. >= 0 and . < 120', constraint_message: L('Age is 0 to 119') }),
    f('has_children', { type: 'single_choice' }),
    f('children_count', { type: 'integer', section: 'children', constraint: '. > 0' }),
    f('eldest', { section: 'children' }),
    f('safety', { type: 'note' }),
    f('phone', { section: 'contact' }),
    f('again', { section: 'children' }),
  ],
};

describe('sections in the record form', () => {
  it('groups consecutive fields of one section under it, in form order', () => {
    const shape = blocks(screening).map((b) => [b.section?.id ?? null, b.fields.map((x) => x.id)]);
    expect(shape).toEqual([
      [null, ['name', 'age', 'has_children']],
      ['children', ['children_count', 'eldest']],
      [null, ['safety']],
      ['contact', ['phone']],
      // A section's fields apart from the others get the heading again.
      ['children', ['again']],
    ]);
  });

  it('shows a field naming no known section outside any', () => {
    expect(blocks({ fields: [f('a', { section: 'nowhere' }), f('b')] }).map((b) => [b.section, b.fields.length])).toEqual([[null, 2]]);
    expect(blocks({ fields: [] })).toEqual([]);
  });

  it('hides a section, heading and all, when the rules hide each of its fields', () => {
    const [, children] = blocks(screening);
    expect(blockShown(children, new Set(['children_count', 'eldest']))).toBe(false);
    expect(blockShown(children, new Set(['children_count']))).toBe(true);
    expect(blockShown(children, new Set())).toBe(true);
  });
});

describe('rules', () => {
  it('asks the vault only for a form with a rule', () => {
    expect(hasRules(screening)).toBe(true);
    expect(hasRules({ fields: [f('a')] })).toBe(false);
    expect(hasRules({ fields: [f('a', { relevant: '${b} = 1' })] })).toBe(true);
    expect(hasRules({ fields: [f('a', { section: 's' })], sections: [{ id: 's', label: L('S'), relevant: '${a} = 1' }] })).toBe(true);
  });

  it("says a broken constraint in the form's words, or in the app's when the form has none", () => {
    const check: RulesCheck = {
      hidden: ['eldest'],
      problems: [
        { field: 'age', problem: 'constraint' },
        { field: 'children_count', problem: 'constraint' },
        // Hidden, or not a constraint: not shown under a field.
        { field: 'eldest', problem: 'not_relevant' },
        { field: 'eldest', problem: 'constraint' },
        { field: 'unknown', problem: 'constraint' },
      ],
    };
    expect(ruleMessages(screening.fields, check)).toEqual({
      age: { labels: L('Age is 0 to 119') },
      children_count: { key: 'validation.constraint' },
    });
    expect(ruleMessages(screening.fields, null)).toEqual({});
  });
});

describe('attachment fields', () => {
  it("offer the record's files by hash, then the files added in this form by name", () => {
    const held = [{ blake3: 'a'.repeat(64), name: 'id-card.jpg', size: 10 }];
    const staged = [{ id: 's1', name: 'photo.png', size: 3 }];
    expect(attachmentChoices(held, staged)).toEqual([
      { value: 'a'.repeat(64), name: 'id-card.jpg', staged: false },
      { value: 'photo.png', name: 'photo.png', staged: true },
    ]);
    expect(attachmentChoices([], [])).toEqual([]);
  });
});
