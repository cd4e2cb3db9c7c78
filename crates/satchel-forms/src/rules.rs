//! Skip logic and constraints: a form's `relevant` and `constraint` rules, compiled
//! once and checked against a record's values. The one implementation: the vault
//! checks writes with it, imports check peers' writes with it, and the app asks it
//! through a command as the person types, so the rules cannot drift apart.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::expr::{Context, Expr, Val};
use crate::{FieldDef, FieldType, Form, FormError, Result, ValueProblem};

/// Relevance is settled by passes until nothing changes; a hidden field reads as
/// empty, which may hide others. Forms with rules chained longer than this are rare
/// and still settle: each pass only looks at the one before.
const MAX_PASSES: usize = 16;

/// A form's rules, parsed.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Per field of the form, in order: the rules that must hold for it to apply
    /// (its own and its section's), and its constraint.
    fields: Vec<FieldRules>,
    index: HashMap<String, usize>,
}

#[derive(Debug, Clone, Default)]
struct FieldRules {
    relevant: Vec<Expr>,
    constraint: Option<Expr>,
}

/// What the rules say of a record's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Fields that do not apply given the other answers.
    pub hidden: BTreeSet<String>,
    /// Fields whose value breaks a rule, in form order, with why.
    pub problems: Vec<(String, ValueProblem)>,
}

fn parse(form: &Form, whose: &str, which: &str, src: &str) -> Result<Expr> {
    let e = Expr::parse(src)
        .map_err(|e| FormError::Invalid(format!("the {which} rule of `{whose}`: {e}")))?;
    if let Some(unknown) = e
        .references()
        .into_iter()
        .find(|r| !form.fields.iter().any(|f| &f.id == r))
    {
        return Err(FormError::Invalid(format!(
            "the {which} rule of `{whose}` reads `${{{}}}`, which the form does not have",
            unknown.chars().take(40).collect::<String>()
        )));
    }
    Ok(e)
}

impl Rules {
    /// Parses every rule of `form`; a rule that does not parse, or reads a field the
    /// form does not have, is refused with the field named.
    pub fn new(form: &Form) -> Result<Rules> {
        let mut sections: HashMap<&str, Expr> = HashMap::new();
        for s in &form.sections {
            if let Some(src) = &s.relevant {
                sections.insert(&s.id, parse(form, &s.id, "relevant", src)?);
            }
        }
        let mut fields = Vec::with_capacity(form.fields.len());
        let mut index = HashMap::with_capacity(form.fields.len());
        for (i, f) in form.fields.iter().enumerate() {
            let mut r = FieldRules::default();
            if let Some(e) = f.section.as_deref().and_then(|s| sections.get(s)) {
                r.relevant.push(e.clone());
            }
            if let Some(src) = &f.relevant {
                r.relevant.push(parse(form, &f.id, "relevant", src)?);
            }
            if let Some(src) = &f.constraint {
                r.constraint = Some(parse(form, &f.id, "constraint", src)?);
            }
            fields.push(r);
            index.insert(f.id.clone(), i);
        }
        Ok(Rules { fields, index })
    }

    /// Whether the form has any rule at all.
    pub fn is_empty(&self) -> bool {
        self.fields
            .iter()
            .all(|r| r.relevant.is_empty() && r.constraint.is_none())
    }

    /// Checks `values` (a field's stored value by id; absent or `null` is empty):
    /// which fields do not apply, and which values break a rule. A value in a field
    /// that does not apply is a problem: it would be stored where the form says
    /// nothing belongs.
    pub fn check<'v>(&self, form: &Form, values: &dyn Fn(&str) -> Option<&'v Value>) -> Outcome {
        self.run(form, values, true)
    }

    /// As [`Rules::check`], for a write that carries only some of a record's values
    /// (a peer's edit, checked at import without the record): a rule that reads a
    /// field the write does not carry is not judged; the device that made the write
    /// judged it, and every later save here judges it again.
    pub fn check_known<'v>(
        &self,
        form: &Form,
        values: &dyn Fn(&str) -> Option<&'v Value>,
    ) -> Outcome {
        self.run(form, values, false)
    }

    fn run<'v>(
        &self,
        form: &Form,
        values: &dyn Fn(&str) -> Option<&'v Value>,
        complete: bool,
    ) -> Outcome {
        let judged = |e: &Expr| complete || e.references().iter().all(|r| values(r).is_some());
        let mut hidden = vec![false; self.fields.len()];
        for _ in 0..MAX_PASSES {
            let ctx = Ctx {
                rules: self,
                form,
                values,
                hidden: &hidden,
                current: None,
            };
            let next: Vec<bool> = self
                .fields
                .iter()
                .map(|r| !r.relevant.iter().all(|e| !judged(e) || e.eval_bool(&ctx)))
                .collect();
            if next == hidden {
                break;
            }
            hidden = next;
        }
        let mut out = Outcome::default();
        for ((def, r), &off) in form.fields.iter().zip(&self.fields).zip(&hidden) {
            let value = values(&def.id).filter(|v| !v.is_null());
            if off {
                out.hidden.insert(def.id.clone());
                if value.is_some() {
                    out.problems
                        .push((def.id.clone(), ValueProblem::NotRelevant));
                }
                continue;
            }
            let (Some(c), Some(v)) = (&r.constraint, value) else {
                continue;
            };
            if !judged(c) {
                continue;
            }
            let ctx = Ctx {
                rules: self,
                form,
                values,
                hidden: &hidden,
                current: to_val(def, v),
            };
            if !c.eval_bool(&ctx) {
                out.problems.push((
                    def.id.clone(),
                    ValueProblem::Constraint {
                        message: def.constraint_message.clone().map(Box::new),
                    },
                ));
            }
        }
        out
    }
}

struct Ctx<'a, 'v> {
    rules: &'a Rules,
    form: &'a Form,
    values: &'a dyn Fn(&str) -> Option<&'v Value>,
    hidden: &'a [bool],
    current: Option<Val>,
}

impl Context for Ctx<'_, '_> {
    fn field(&self, name: &str) -> Option<Val> {
        let i = *self.rules.index.get(name)?;
        if self.hidden.get(i).copied().unwrap_or(true) {
            return None;
        }
        let def = self.form.fields.get(i)?;
        to_val(def, (self.values)(name)?)
    }

    fn current(&self) -> Option<Val> {
        self.current.clone()
    }
}

/// A stored value as the rules read it, the way ODK forms expect: a choice list as
/// its ids joined by spaces, yes/no as `yes` and `no`, an acknowledgement as `OK`, a
/// location as `lat lon`.
fn to_val(def: &FieldDef, v: &Value) -> Option<Val> {
    Some(match v {
        Value::Null => return None,
        Value::String(s) if s.is_empty() => return None,
        Value::String(s) => Val::Str(s.clone()),
        Value::Number(n) => Val::Num(n.as_f64()?),
        Value::Bool(b) => match def.kind {
            FieldType::Acknowledge => Val::Str("OK".into()),
            _ => Val::Str(if *b { "yes" } else { "no" }.into()),
        },
        Value::Array(items) if items.is_empty() => return None,
        Value::Array(items) => Val::Str(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Value::Object(o) => Val::Str(format!(
            "{} {}",
            o.get("lat").and_then(Value::as_f64).unwrap_or_default(),
            o.get("lon").and_then(Value::as_f64).unwrap_or_default()
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Form {
        Form::parse(
            &json!({
                "name": "screening", "version": 1,
                "label": {"en": "Screening", "ko": "선별", "zh-Hans": "筛查"},
                "sections": [{"id": "family", "label": {"en": "Family", "ko": "가족", "zh-Hans": "家庭"},
                              "relevant": "${married} = 'yes'"}],
                "fields": [
                    {"id": "age", "type": "integer", "label": {"en": "Age", "ko": "나이", "zh-Hans": "年龄"},
                     "constraint": ". >= 0 and . < 120",
                     "constraint_message": {"en": "0 to 119", "ko": "0에서 119", "zh-Hans": "0到119"}},
                    {"id": "married", "type": "yes_no", "label": {"en": "Married", "ko": "결혼", "zh-Hans": "已婚"}},
                    {"id": "spouse", "type": "text", "section": "family",
                     "label": {"en": "Spouse", "ko": "배우자", "zh-Hans": "配偶"}},
                    {"id": "children", "type": "integer", "section": "family",
                     "relevant": "${age} >= 15",
                     "label": {"en": "Children", "ko": "자녀", "zh-Hans": "子女"}},
                    {"id": "eldest", "type": "text", "relevant": "${children} > 0",
                     "label": {"en": "Eldest", "ko": "맏이", "zh-Hans": "长子女"}}
                ]
            })
            .to_string(),
        )
        .unwrap()
    }

    fn check(values: Value) -> Outcome {
        let f = form();
        let rules = Rules::new(&f).unwrap();
        let o = values.as_object().unwrap().clone();
        rules.check(&f, &|k| o.get(k))
    }

    #[test]
    fn sections_and_fields_hide_and_chains_settle() {
        let out = check(json!({"age": 30}));
        assert_eq!(
            out.hidden,
            ["spouse", "children", "eldest"].map(String::from).into()
        );
        let out = check(json!({"age": 30, "married": true, "children": 2}));
        assert!(out.hidden.is_empty(), "{out:?}");
        // Unmarried: the section hides children, so eldest (reading children) hides too.
        let out = check(json!({"age": 30, "married": false, "children": 2}));
        assert!(out.hidden.contains("eldest"));
        assert_eq!(
            out.problems,
            vec![("children".to_owned(), ValueProblem::NotRelevant)]
        );
    }

    #[test]
    fn constraints_check_the_value_with_the_forms_message() {
        let out = check(json!({"age": 130}));
        let [(field, ValueProblem::Constraint { message: Some(m) })] = out.problems.as_slice()
        else {
            panic!("{out:?}")
        };
        assert_eq!(field, "age");
        assert_eq!(m.ko, "0에서 119");
        assert!(check(json!({"age": 119})).problems.is_empty());
        // An empty value is not checked: `required` says whether one is needed.
        assert!(check(json!({"age": null})).problems.is_empty());
    }

    #[test]
    fn rules_that_do_not_parse_or_read_unknown_fields_are_refused() {
        let mut f = form();
        f.fields[0].constraint = Some(". >= ".into());
        let err = Rules::new(&f).unwrap_err().to_string();
        assert!(err.contains("constraint rule of `age`"), "{err}");
        let mut f = form();
        f.fields[4].relevant = Some("${nobody} > 0".into());
        let err = Rules::new(&f).unwrap_err().to_string();
        assert!(err.contains("`${nobody}`"), "{err}");
    }
}
