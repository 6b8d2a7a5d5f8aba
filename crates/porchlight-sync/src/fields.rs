//! Records as flat maps of fields. A case form is nested (`child.given_name`,
//! `event.city`…); sync merges its leaves one by one, so it travels and is stamped as a flat
//! map from dotted paths to values. Lists (scars and marks, companions, vehicles, phone numbers)
//! are single values: two people editing one list make one conflict, not a corrupted list.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The leaves of a JSON object, keyed by their dotted paths. A non-object value is one field
/// named by the empty path.
pub fn flatten(value: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    walk(value, &mut String::new(), &mut out);
    out
}

fn walk(value: &Value, path: &mut String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(child, path, out);
                path.truncate(len);
            }
        }
        other => {
            out.insert(path.clone(), other.clone());
        }
    }
}

/// The nested object back from its leaves.
pub fn unflatten<'a>(fields: impl IntoIterator<Item = (&'a String, &'a Value)>) -> Value {
    let mut root = Value::Object(Map::new());
    for (path, value) in fields {
        set_path(&mut root, path, value.clone());
    }
    root
}

/// Sets the leaf at `path` inside `root`, making the objects on the way.
pub fn set_path(root: &mut Value, path: &str, value: Value) {
    if path.is_empty() {
        *root = value;
        return;
    }
    let mut node = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let map = node.as_object_mut().expect("made an object above");
        if parts.peek().is_none() {
            map.insert(part.to_owned(), value);
            return;
        }
        // Looked up before it is made, so that only a new object costs its key: a first sync
        // sets every field of thousands of records, most of them under an object made already.
        if !map.contains_key(part) {
            map.insert(part.to_owned(), Value::Object(Map::new()));
        }
        node = map.get_mut(part).expect("present or inserted above");
    }
}

/// The leaf at `path`, if there is one.
pub fn get_path<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(root);
    }
    path.split('.').try_fold(root, |node, part| node.get(part))
}

/// The fields whose values differ between two flat maps, with their new values (`Null` for a
/// field that is gone).
pub fn changed(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (field, value) in after {
        if before.get(field) != Some(value) {
            out.push((field.clone(), value.clone()));
        }
    }
    for field in before.keys() {
        if !after.contains_key(field) {
            out.push((field.clone(), Value::Null));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nested_form_flattens_to_dotted_leaves_and_back() {
        let form = json!({
            "case_type": "FA",
            "child": {"given_name": "Ana", "family_name": "Quiroga", "estimated_age": null},
            "companions": [{"name": "X"}],
            "event": {"city": "Tucson", "place": {"state": "AZ"}}
        });
        let flat = flatten(&form);
        assert_eq!(flat["child.given_name"], json!("Ana"));
        assert_eq!(flat["event.place.state"], json!("AZ"));
        assert_eq!(flat["companions"], json!([{"name": "X"}]), "lists are one field");
        assert_eq!(flat["child.estimated_age"], Value::Null);
        assert_eq!(unflatten(&flat), form);
        assert_eq!(get_path(&form, "event.place.state"), Some(&json!("AZ")));
        assert_eq!(get_path(&form, "event.nowhere"), None);
    }

    #[test]
    fn changed_names_exactly_the_fields_that_differ() {
        let a = flatten(&json!({"child": {"given_name": "Ana", "family_name": "Q"}, "amber_alert": false}));
        let b = flatten(&json!({"child": {"given_name": "Anna", "family_name": "Q"}, "amber_alert": false}));
        assert_eq!(changed(&a, &b), vec![("child.given_name".to_string(), json!("Anna"))]);
        assert!(changed(&a, &a).is_empty());
    }
}
