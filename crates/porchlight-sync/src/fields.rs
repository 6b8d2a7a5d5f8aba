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
pub fn unflatten<'a, K: AsRef<str>>(fields: impl IntoIterator<Item = (K, &'a Value)>) -> Value {
    let mut root = Value::Object(Map::new());
    for (path, value) in fields {
        set_path(&mut root, path.as_ref(), value.clone());
    }
    root
}

/// A record read straight from its leaves, as `serde_json::from_value(unflatten(fields))` reads
/// it but without building the nested object first: a first sync reads thousands of case forms
/// of sixty leaves each, and that object's keys and copied values were a tenth of the device's
/// work. The leaves may come in any order; a leaf given twice is refused.
pub fn from_flat<T: serde::de::DeserializeOwned>(fields: &[(&str, &Value)]) -> Result<T, serde_json::Error> {
    let sorted: std::borrow::Cow<[(&str, &Value)]> = if fields.windows(2).all(|w| w[0].0 < w[1].0) {
        fields.into()
    } else {
        let mut sorted = fields.to_vec();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        sorted.into()
    };
    // A leaf with leaves under it too (a field once null, then given parts) is an object made
    // of both, as `unflatten` makes it: such rare records are read the long way.
    let nested = |w: &[(&str, &Value)]| w[0].0.is_empty() || (w[1].0.starts_with(w[0].0) && w[1].0.as_bytes().get(w[0].0.len()) == Some(&b'.'));
    if sorted.windows(2).any(nested) {
        return serde_json::from_value(unflatten(sorted.iter().copied()));
    }
    T::deserialize(Flat { fields: &sorted, skip: 0 })
}

/// The leaves under one path, sorted, each with its first `skip` bytes (the path and its dot)
/// already read: an object whose keys are the next segments of the paths.
struct Flat<'a, 'de> {
    fields: &'a [(&'a str, &'de Value)],
    skip: usize,
}

impl Flat<'_, '_> {
    /// The nested object these leaves make, for the shapes read through `serde_json` itself.
    fn object(&self) -> Value {
        unflatten(self.fields.iter().map(|(path, value)| (&path[self.skip..], *value)))
    }
}

/// One entry of a `Flat` object: a leaf, or the leaves under a segment.
enum Entry<'a, 'de> {
    Leaf(&'de Value),
    Object(Flat<'a, 'de>),
}

struct Entries<'a, 'de> {
    rest: &'a [(&'a str, &'de Value)],
    skip: usize,
    next: Option<Entry<'a, 'de>>,
}

impl<'a, 'de> serde::de::MapAccess<'de> for Entries<'a, 'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        let Some((path, value)) = self.rest.first() else { return Ok(None) };
        let tail = &path[self.skip..];
        let key = match tail.find('.') {
            None => {
                self.next = Some(Entry::Leaf(value));
                self.rest = &self.rest[1..];
                tail
            }
            Some(dot) => {
                // Sorted paths keep every leaf under `key.` together.
                let key = &tail[..dot];
                let under = |p: &str| p.len() > self.skip + dot && p[self.skip..].starts_with(key) && p.as_bytes()[self.skip + dot] == b'.';
                let count = self.rest.iter().take_while(|(p, _)| under(p)).count();
                self.next = Some(Entry::Object(Flat { fields: &self.rest[..count], skip: self.skip + dot + 1 }));
                self.rest = &self.rest[count..];
                key
            }
        };
        seed.deserialize(serde::de::value::StrDeserializer::<serde_json::Error>::new(key)).map(Some)
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Self::Error> {
        match self.next.take() {
            Some(Entry::Leaf(value)) => seed.deserialize(value),
            Some(Entry::Object(flat)) => seed.deserialize(flat),
            None => Err(serde::de::Error::custom("a value was asked for before its key")),
        }
    }
}

impl<'de> serde::Deserializer<'de> for Flat<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.fields.len() == 1 && self.fields[0].0.len() == self.skip {
            // The empty path: the record is one value.
            return self.fields[0].1.deserialize_any(visitor);
        }
        visitor.visit_map(Entries { rest: self.fields, skip: self.skip, next: None })
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(self, name: &'static str, variants: &'static [&'static str], visitor: V) -> Result<V::Value, Self::Error> {
        self.object().deserialize_enum(name, variants, visitor)
    }

    fn deserialize_ignored_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
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

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Colour {
        Grey,
        Hazel,
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    enum Shape {
        Round { across: u32 },
        Square(u32),
    }

    #[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Place {
        city: String,
        state: Option<String>,
        inner: Option<Box<Place>>,
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Form {
        name: String,
        age: Option<u8>,
        height: f64,
        eyes: Option<Colour>,
        shape: Shape,
        marks: Vec<String>,
        place: Place,
        #[serde(default)]
        later: Option<Place>,
        extra: serde_json::Map<String, Value>,
        anything: Value,
    }

    /// What `from_flat` must equal: the nested object made first, then read.
    fn the_long_way<T: serde::de::DeserializeOwned>(flat: &BTreeMap<String, Value>) -> Result<T, serde_json::Error> {
        serde_json::from_value(unflatten(flat))
    }

    fn leaves(flat: &BTreeMap<String, Value>) -> Vec<(&str, &Value)> {
        flat.iter().map(|(k, v)| (k.as_str(), v)).collect()
    }

    #[test]
    fn a_record_read_from_its_leaves_is_the_record_read_from_its_nested_object() {
        let form = Form {
            name: "Ana Quiroga".into(),
            age: Some(14),
            height: 158.5,
            eyes: Some(Colour::Hazel),
            shape: Shape::Round { across: 3 },
            marks: vec!["scar, left knee".into(), "freckles".into()],
            place: Place { city: "Tucson".into(), state: Some("AZ".into()), inner: Some(Box::new(Place { city: "Marana".into(), ..Default::default() })) },
            later: None,
            extra: serde_json::Map::new(),
            anything: json!({"a": [1, 2], "b": {"c": null}}),
        };
        let flat = flatten(&serde_json::to_value(&form).unwrap());
        assert!(flat.contains_key("place.inner.city") && flat.contains_key("anything.b.c") && flat.contains_key("extra"), "{flat:?}");
        assert_eq!(from_flat::<Form>(&leaves(&flat)).unwrap(), form);
        assert_eq!(the_long_way::<Form>(&flat).unwrap(), form);
        // In any order.
        let mut shuffled = leaves(&flat);
        shuffled.reverse();
        shuffled.swap(1, 4);
        assert_eq!(from_flat::<Form>(&shuffled).unwrap(), form);
        // Other shapes of the same fields.
        let mut other = flat.clone();
        other.insert("shape".into(), json!({"Square": 7}));
        other.remove("shape.Round.across");
        other.insert("eyes".into(), Value::Null);
        other.insert("later.city".into(), json!("Yuma"));
        // `later` is a null leaf with a leaf under it now: one object, as `unflatten` makes it.
        let read: Form = from_flat(&leaves(&other)).unwrap();
        assert_eq!(read, the_long_way::<Form>(&other).unwrap());
        assert_eq!((read.shape, read.eyes, read.later.map(|p| p.city)), (Shape::Square(7), None, Some("Yuma".to_owned())));
        assert_eq!(from_flat::<Value>(&leaves(&other)).unwrap(), unflatten(&other));
        // A leaf given twice is refused, not read twice.
        let mut twice = leaves(&flat);
        twice.push(("name", &flat["name"]));
        assert!(from_flat::<Form>(&twice).is_err());
        // A value of one leaf alone, named by the empty path.
        let one = BTreeMap::from([(String::new(), json!(12))]);
        assert_eq!(from_flat::<u32>(&leaves(&one)).unwrap(), 12);
    }

    #[test]
    fn leaves_that_do_not_make_the_record_are_refused_as_its_nested_object_is() {
        let good = flatten(&json!({
            "name": "Ana", "age": null, "height": 150.0, "eyes": "grey", "shape": {"Square": 1}, "marks": [],
            "place": {"city": "Tucson"}, "extra": {}, "anything": null
        }));
        assert!(from_flat::<Form>(&leaves(&good)).is_ok());
        let cases: Vec<(&str, Value)> = vec![
            ("age", json!("fourteen")),
            ("eyes", json!("violet")),
            ("place.unknown", json!(1)),
            ("unknown", json!(true)),
            ("height", json!(null)),
            ("place.inner.city", json!(5)),
        ];
        for (field, value) in cases {
            let mut bad = good.clone();
            bad.insert(field.into(), value.clone());
            let short = from_flat::<Form>(&leaves(&bad));
            let long = the_long_way::<Form>(&bad);
            assert!(short.is_err() && long.is_err(), "{field} = {value}: {short:?} / {long:?}");
        }
        let mut missing = good.clone();
        missing.remove("name");
        assert!(from_flat::<Form>(&leaves(&missing)).is_err() && the_long_way::<Form>(&missing).is_err());
    }

    #[test]
    fn changed_names_exactly_the_fields_that_differ() {
        let a = flatten(&json!({"child": {"given_name": "Ana", "family_name": "Q"}, "amber_alert": false}));
        let b = flatten(&json!({"child": {"given_name": "Anna", "family_name": "Q"}, "amber_alert": false}));
        assert_eq!(changed(&a, &b), vec![("child.given_name".to_string(), json!("Anna"))]);
        assert!(changed(&a, &a).is_empty());
    }
}
