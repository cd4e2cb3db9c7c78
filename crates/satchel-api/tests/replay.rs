//! Property test: any sequence of user actions leaves records equal to a naive model
//! of them, and the stored view equal to a replay of the op log.

use std::collections::BTreeMap;

use proptest::prelude::*;
use satchel_api::{ListFilter, RecordId};

use crate::*;

#[derive(Debug, Clone)]
enum Action {
    Add(String),
    Edit(usize, Option<String>, String),
    Delete(usize),
    Purge(usize),
}

fn action() -> impl Strategy<Value = Action> {
    let word = "[a-z김철수王小明]{1,6}";
    prop_oneof![
        3 => word.prop_map(Action::Add),
        4 => (0usize..8, proptest::option::of(word), word).prop_map(|(i, a, n)| Action::Edit(i, a, n)),
        1 => (0usize..8).prop_map(Action::Delete),
        1 => (0usize..8).prop_map(Action::Purge),
    ]
}

/// The model: per record, deleted or its field values; purged records vanish.
#[derive(Debug, Default, PartialEq)]
struct Model(BTreeMap<String, (bool, BTreeMap<String, String>)>);

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn view_matches_model_and_replay(actions in proptest::collection::vec(action(), 1..25)) {
        let dir = tempfile::tempdir().unwrap();
        let (mut v, _) = new_vault(dir.path());
        let mut model = Model::default();
        let mut ids: Vec<RecordId> = Vec::new();
        for a in actions {
            match a {
                Action::Add(name) => {
                    let id = v.add_record("contact", &text(&[("name", &name)]), &[]).unwrap();
                    model.0.insert(id.to_string(), (false, BTreeMap::from([("name".to_owned(), name)])));
                    ids.push(id);
                }
                Action::Edit(i, alias, name) => {
                    let Some(id) = ids.get(i % ids.len().max(1)).copied() else { continue };
                    let entry = model.0.get_mut(&id.to_string());
                    let mut sets = vec![("name", name.as_str())];
                    if let Some(a) = &alias { sets.push(("alias", a.as_str())); }
                    let result = v.edit_record(&id, &text(&sets), &[]);
                    match entry {
                        Some((false, fields)) => {
                            result.unwrap();
                            for (k, val) in sets { fields.insert(k.to_owned(), val.to_owned()); }
                        }
                        _ => prop_assert!(result.is_err()),
                    }
                }
                Action::Delete(i) => {
                    let Some(id) = ids.get(i % ids.len().max(1)).copied() else { continue };
                    let result = v.delete_record(&id);
                    match model.0.get_mut(&id.to_string()) {
                        Some(e @ (false, _)) => { result.unwrap(); e.0 = true; }
                        _ => prop_assert!(result.is_err()),
                    }
                }
                Action::Purge(i) => {
                    let Some(id) = ids.get(i % ids.len().max(1)).copied() else { continue };
                    let result = v.purge_record(&id);
                    if model.0.remove(&id.to_string()).is_some() { result.unwrap(); } else { prop_assert!(result.is_err()); }
                }
            }
        }
        let all = v.records(&ListFilter { include_deleted: true, ..Default::default() }).unwrap();
        let mut seen = Model::default();
        for s in all {
            let rec = v.record(&RecordId::parse(&s.id).unwrap(), "en").unwrap();
            let fields = rec.fields.iter().map(|f| {
                prop_assert_eq!(f.values.len(), 1, "one device never conflicts");
                Ok((f.id.clone(), f.values[0].display.clone()))
            }).collect::<Result<_, TestCaseError>>()?;
            seen.0.insert(s.id, (rec.deleted, fields));
        }
        prop_assert_eq!(seen, model);
        v.verify().unwrap();
    }
}
