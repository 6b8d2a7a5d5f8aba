//! The column form of a pull page: the same page, with its changes laid out field by field
//! instead of change by change. A first sync's page holds thousands of changes of a few shapes
//! (a case, a contact, a note, a status event), and in the row form every change repeats its
//! field names and sits between changes of other fields. In the column form each shape's field
//! names are written once, and the values of one field follow each other: the given names, then
//! the family names, then the clothing. zstd finds more to reuse in text laid out like that, and
//! there is less text to compress and to read. On a saved 500-case page of a first sync the row
//! form was 2.77 MB, 268.5 kB at zstd level 6 in 19 ms; the column form is 1.58 MB, 238 kB at
//! level 3 in 4 ms.
//!
//! The device asks for it by naming `COLUMNS_MEDIA_TYPE` in `Accept`; the service answers with
//! it as `Content-Type`, or with a plain `PullPage` when it does not speak it (or the device did
//! not ask), so either side may be older than the other.
//!
//! The form, for a page whose changes have shapes A and B:
//! `{ <every field of the PullPage but changes>, "columns": {"groups": [{"shape": ..., "values":
//! [[..], [..], ..]}, ..], "order": [[group, count], ..]} }`. A shape lists the change's keys in
//! order, each as `["key", null]`, or as `["key", ["inner", ..]]` when its value is an object
//! whose own keys are laid out as columns too. `values` holds one array per value the shape
//! names, in the shape's order, each as long as the group has changes. `order` gives the
//! changes' order: runs of consecutive changes from one group.

use crate::proto::{Change, PullPage};
use serde::de::{self, value::MapDeserializer, Deserialize, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The media type of a pull page in the column form.
pub const COLUMNS_MEDIA_TYPE: &str = "application/vnd.porchlight.columns+json";

/// Whether a `Content-Type` names the column form (parameters after `;` aside).
pub fn is_columns_media_type(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(COLUMNS_MEDIA_TYPE))
}

/// Rewrites a `PullPage`'s JSON text into the column form. The text is read without building
/// its values: each value is copied as the text it was.
pub fn to_columns(page: &str) -> Result<String, serde_json::Error> {
    let PageEntries { others, changes } = serde_json::from_str(page)?;
    let Some(changes) = changes else {
        return Err(de::Error::missing_field("changes"));
    };
    let mut out = String::with_capacity(page.len() * 2 / 3);
    out.push('{');
    for (key, value) in &others {
        push_json_str(&mut out, key);
        out.push(':');
        out.push_str(value.get());
        out.push(',');
    }

    let mut groups: Vec<Group> = Vec::new();
    let mut order: Vec<(usize, usize)> = Vec::new();
    // The change's keys, an inner object's keys following its own key, and its values.
    let mut keys: Vec<Key> = Vec::new();
    let mut values: Vec<&RawValue> = Vec::new();
    for change in &changes {
        keys.clear();
        values.clear();
        for (key, value) in &change.0 {
            if value.get().trim_start().starts_with('{') {
                let inner: Entries = serde_json::from_str(value.get())?;
                keys.push(Key::Object(key.clone(), inner.0.len()));
                for (inner_key, inner_value) in inner.0 {
                    keys.push(Key::Leaf(inner_key));
                    values.push(inner_value);
                }
            } else {
                keys.push(Key::Leaf(key.clone()));
                values.push(value);
            }
        }
        // Changes of one shape mostly come together: the last group is tried first.
        let last = order.last().map(|&(g, _)| g);
        let found = last
            .filter(|&g| groups[g].keys == keys)
            .or_else(|| groups.iter().position(|group| group.keys == keys));
        let g = match found {
            Some(g) => g,
            None => {
                groups.push(Group::new(keys.clone()));
                groups.len() - 1
            }
        };
        let group = &mut groups[g];
        for (column, value) in group.columns.iter_mut().zip(&values) {
            if group.rows > 0 {
                column.push(',');
            }
            column.push_str(value.get());
        }
        group.rows += 1;
        match order.last_mut() {
            Some((last, count)) if *last == g => *count += 1,
            _ => order.push((g, 1)),
        }
    }

    out.push_str("\"columns\":{\"groups\":[");
    for (g, group) in groups.iter().enumerate() {
        if g > 0 {
            out.push(',');
        }
        out.push_str("{\"shape\":");
        group.write_shape(&mut out);
        out.push_str(",\"values\":[");
        for (c, column) in group.columns.iter().enumerate() {
            if c > 0 {
                out.push(',');
            }
            out.push('[');
            out.push_str(column);
            out.push(']');
        }
        out.push_str("]}");
    }
    out.push_str("],\"order\":[");
    for (i, (g, count)) in order.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("[{g},{count}]"));
    }
    out.push_str("]}}");
    Ok(out)
}

/// Reads a pull page in the column form. Every change is read into its type as if from the
/// row form; a form whose columns do not line up with its shapes and order is refused, naming
/// what is wrong.
pub fn from_columns(text: &str) -> Result<PullPage, serde_json::Error> {
    let top: Entries = serde_json::from_str(text)?;
    // Everything but the columns is read as a page with no changes, so that every field a
    // `PullPage` has (now or later) is read as the row form reads it.
    let mut rest = String::with_capacity(256);
    rest.push_str("{\"changes\":[]");
    let mut columns = None;
    for (key, value) in &top.0 {
        match key.as_ref() {
            "columns" => columns = Some(*value),
            "changes" => return Err(de::Error::custom("a page in the column form has its changes in \"columns\", not in \"changes\"")),
            _ => {
                rest.push(',');
                push_json_str(&mut rest, key);
                rest.push(':');
                rest.push_str(value.get());
            }
        }
    }
    rest.push('}');
    let columns = columns.ok_or_else(|| de::Error::missing_field("columns"))?;
    let mut page: PullPage = serde_json::from_str(&rest)?;
    page.changes = changes_of(serde_json::from_str(columns.get())?)?;
    Ok(page)
}

/// A change's keys in order, in the form `to_columns` compares shapes by.
#[derive(Clone, PartialEq)]
enum Key<'a> {
    Leaf(Cow<'a, str>),
    /// A key whose value is an object, laid out as the given number of keys that follow.
    Object(Cow<'a, str>, usize),
}

struct Group<'a> {
    keys: Vec<Key<'a>>,
    /// Each column's values so far, joined by commas.
    columns: Vec<String>,
    rows: usize,
}

impl<'a> Group<'a> {
    fn new(keys: Vec<Key<'a>>) -> Group<'a> {
        let values = keys.iter().filter(|k| matches!(k, Key::Leaf(_))).count();
        Group { keys, columns: vec![String::new(); values], rows: 0 }
    }

    fn write_shape(&self, out: &mut String) {
        out.push('[');
        let mut keys = self.keys.iter();
        let mut first = true;
        while let Some(key) = keys.next() {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('[');
            match key {
                Key::Leaf(name) => {
                    push_json_str(out, name);
                    out.push_str(",null]");
                }
                Key::Object(name, n) => {
                    push_json_str(out, name);
                    out.push_str(",[");
                    for i in 0..*n {
                        if i > 0 {
                            out.push(',');
                        }
                        if let Some(Key::Leaf(inner)) = keys.next() {
                            push_json_str(out, inner);
                        }
                    }
                    out.push_str("]]");
                }
            }
        }
        out.push(']');
    }
}

/// The columns as read: each value is only checked to be JSON here, and read into its type
/// once, as its change is read.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Columns<'a> {
    #[serde(borrow)]
    groups: Vec<ReadColumns<'a>>,
    order: Vec<(usize, usize)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadColumns<'a> {
    shape: Shape,
    #[serde(borrow)]
    values: Vec<Vec<&'a RawValue>>,
}

/// A shape as read: each key, with the keys of its object when its value is laid out as one.
type Shape = Vec<(String, Option<Vec<String>>)>;

struct ReadGroup<'a> {
    shape: Shape,
    columns: Vec<std::vec::IntoIter<&'a RawValue>>,
}

fn bad(message: String) -> serde_json::Error {
    de::Error::custom(format!("the page's columns do not line up: {message}"))
}

fn changes_of(columns: Columns) -> Result<Vec<Change>, serde_json::Error> {
    let Columns { groups, order } = columns;
    let mut rows = vec![0usize; groups.len()];
    for &(g, count) in &order {
        let Some(n) = rows.get_mut(g) else {
            return Err(bad(format!("the order names group {g} of {}", groups.len())));
        };
        *n += count;
    }
    let mut read = Vec::with_capacity(groups.len());
    for (g, group) in groups.into_iter().enumerate() {
        let wanted: usize = group.shape.iter().map(|(_, inner)| inner.as_ref().map_or(1, Vec::len)).sum();
        if group.values.len() != wanted {
            return Err(bad(format!("group {g} has {} columns for the {wanted} values of its shape", group.values.len())));
        }
        if let Some(short) = group.values.iter().position(|column| column.len() != rows[g]) {
            return Err(bad(format!(
                "column {short} of group {g} holds {} values for the {} changes the order gives it",
                group.values[short].len(),
                rows[g]
            )));
        }
        read.push(ReadGroup { shape: group.shape, columns: group.values.into_iter().map(Vec::into_iter).collect() });
    }
    let mut changes = Vec::with_capacity(rows.iter().sum());
    for (g, count) in order {
        let group = &mut read[g];
        for _ in 0..count {
            let mut columns = group.columns.iter_mut();
            let mut next = || columns.next().and_then(Iterator::next).expect("columns were counted against the shape and order");
            let mut entries: Vec<(&str, Cell)> = Vec::with_capacity(group.shape.len());
            for (key, inner) in &group.shape {
                let cell = match inner {
                    None => Cell::Raw(next()),
                    Some(keys) => Cell::Object(keys.iter().map(|k| (k.as_str(), Cell::Raw(next()))).collect()),
                };
                entries.push((key.as_str(), cell));
            }
            // Reading the whole map checks that the change took every entry.
            changes.push(Change::deserialize(MapDeserializer::new(entries.into_iter()))?);
        }
    }
    Ok(changes)
}

/// One value of a change as it is read back: a value's text, read straight into whatever the
/// change's type holds there, or an object laid out as columns, read as a map of such values
/// (into a field map, a `Value`, a struct) without being built as an object first.
enum Cell<'a> {
    Raw(&'a RawValue),
    Object(Vec<(&'a str, Cell<'a>)>),
}

impl<'a> IntoDeserializer<'a, serde_json::Error> for Cell<'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Each way of reading a `Cell`: its text read by serde_json as the same call would read it in
/// the row form (checking that nothing follows the value), or its object as a map.
macro_rules! read_cell {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'a>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                match self {
                    Cell::Raw(raw) => {
                        let mut text = serde_json::Deserializer::from_str(raw.get());
                        let read = (&mut text).$method($($arg,)* visitor)?;
                        text.end()?;
                        Ok(read)
                    }
                    Cell::Object(entries) => MapDeserializer::new(entries.into_iter()).deserialize_any(visitor),
                }
            }
        )*
    };
}

impl<'a> Deserializer<'a> for Cell<'a> {
    type Error = serde_json::Error;

    read_cell! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Cell::Raw(raw) => {
                let mut text = serde_json::Deserializer::from_str(raw.get());
                let read = (&mut text).deserialize_option(visitor)?;
                text.end()?;
                Ok(read)
            }
            object => visitor.visit_some(object),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(self, name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Cell::Raw(raw) => {
                let mut text = serde_json::Deserializer::from_str(raw.get());
                let read = (&mut text).deserialize_newtype_struct(name, visitor)?;
                text.end()?;
                Ok(read)
            }
            object => visitor.visit_newtype_struct(object),
        }
    }
}

/// A page's entries: its changes each as `Entries`, everything else as the text it was.
struct PageEntries<'a> {
    others: Vec<(Cow<'a, str>, &'a RawValue)>,
    changes: Option<Vec<Entries<'a>>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for PageEntries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PageVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for PageVisitor<'a> {
            type Value = PageEntries<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a pull page")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PageEntries<'a>, A::Error> {
                let mut page = PageEntries { others: Vec::new(), changes: None };
                while let Some(KeyText(key)) = map.next_key()? {
                    if key == "changes" {
                        page.changes = Some(map.next_value()?);
                    } else {
                        page.others.push((key, map.next_value()?));
                    }
                }
                Ok(page)
            }
        }
        d.deserialize_map(PageVisitor(std::marker::PhantomData))
    }
}

/// An object's entries in their order, each value kept as the text it was.
struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for EntriesVisitor<'a> {
            type Value = Entries<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'a>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(KeyText(key)) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

/// A key, borrowed from the text unless it had to be unescaped.
struct KeyText<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for KeyText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = KeyText<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KeyText<'a>, E> {
                Ok(KeyText(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText<'a>, E> {
                Ok(KeyText(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<KeyText<'a>, E> {
                Ok(KeyText(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor(std::marker::PhantomData))
    }
}

/// Writes `s` as a JSON string.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
