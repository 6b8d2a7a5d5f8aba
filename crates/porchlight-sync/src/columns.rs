//! The column form of a pull page: the same page, with its changes laid out field by field
//! instead of change by change. A first sync's page holds thousands of changes of a few shapes
//! (a case, a contact, a note, a status event), and in the row form every change repeats its
//! field names and sits between changes of other fields. In the column form each shape's field
//! names are written once, and the values of one field follow each other: the given names, then
//! the family names, then the clothing. zstd finds more to reuse in text laid out like that, and
//! there is less text to compress and to read. On a saved 500-case page of a first sync the row
//! form is 2.77 MB, 269 kB at zstd level 6 in 17 ms (302 kB at level 1, 298 kB at 3); the
//! column form is 1.70 MB, 228 kB at level 3 in 3 ms (`examples/columns`).
//!
//! The device asks for it by naming `COLUMNS_MEDIA_TYPE` in `Accept`; the service answers with
//! it as `Content-Type`, or with a plain `PullPage` when it does not speak it (or the device did
//! not ask), so either side may be older than the other.
//!
//! The form is a header, one line of JSON, then the columns. The header is
//! `{ <every field of the PullPage but changes>, "columns": {"groups": [{"shape": ..., "lengths":
//! [..]}, ..], "order": [[group, count], ..]} }`. A shape lists a change's keys in order, each
//! as `["key", null]`, or as `["key", ["inner", ..]]` when its value is an object whose own keys
//! are laid out as columns too. `order` gives the changes' order: runs of consecutive changes
//! of one group. After the header's line come the columns, group by group, and in a group one
//! column for each value its shape names, in the shape's order. A column is its values' JSON
//! texts, one a line, as many as the order gives its group; `lengths` gives each column's
//! length in bytes, its last line end included. A column is read value after value, each
//! straight into what its change holds there, so the page is read once and never first as a
//! whole document (which would mean a first pass over all of it to find where each column ends).

use crate::proto::{Change, PullPage};
use serde::de::{self, value::MapDeserializer, Deserialize, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The media type of a pull page in the column form.
pub const COLUMNS_MEDIA_TYPE: &str = "application/vnd.porchlight.columns";

/// Whether a `Content-Type` names the column form (parameters after `;` aside).
pub fn is_columns_media_type(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case(COLUMNS_MEDIA_TYPE))
}

/// Rewrites a `PullPage`'s JSON text into the column form. The text is read once, change by
/// change as it is read, without building its values: each value is copied as the text it was.
pub fn to_columns(page: &str) -> Result<String, serde_json::Error> {
    let mut layout = Layout { groups: Vec::new(), order: Vec::new(), keys: Vec::new(), values: Vec::new() };
    let mut reading = serde_json::Deserializer::from_str(page);
    let (others, saw_changes) = PageSeed { layout: &mut layout }.deserialize(&mut reading)?;
    reading.end()?;
    if !saw_changes {
        return Err(de::Error::missing_field("changes"));
    }
    let Layout { groups, order, .. } = layout;

    let columns_len: usize = groups.iter().flat_map(|g| &g.columns).map(String::len).sum();
    let mut out = String::with_capacity(columns_len + 4096);
    out.push('{');
    for (key, value) in &others {
        push_json_str(&mut out, key);
        out.push(':');
        // The header is one line: a value written with line breaks in it is written again
        // without them.
        if value.get().contains('\n') {
            out.push_str(&serde_json::to_string(&serde_json::from_str::<serde_json::Value>(value.get())?)?);
        } else {
            out.push_str(value.get());
        }
        out.push(',');
    }
    out.push_str("\"columns\":{\"groups\":[");
    for (g, group) in groups.iter().enumerate() {
        if g > 0 {
            out.push(',');
        }
        out.push_str("{\"shape\":");
        group.write_shape(&mut out);
        out.push_str(",\"lengths\":[");
        for (c, column) in group.columns.iter().enumerate() {
            if c > 0 {
                out.push(',');
            }
            out.push_str(&column.len().to_string());
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
    out.push_str("]}}\n");
    for column in groups.iter().flat_map(|g| &g.columns) {
        out.push_str(column);
    }
    Ok(out)
}

/// The groups being laid out, and the change being read: its keys (an inner object's keys
/// following its own key) and its values, kept from change to change so that reading one
/// allocates nothing.
struct Layout<'a> {
    groups: Vec<Group<'a>>,
    order: Vec<(usize, usize)>,
    keys: Vec<Key<'a>>,
    values: Vec<Leaf<'a>>,
}

impl<'a> Layout<'a> {
    /// Puts the change just read into its group's columns.
    fn add_change(&mut self) {
        // Changes of one shape mostly come together: the last group is tried first.
        let last = self.order.last().map(|&(g, _)| g);
        let found = last
            .filter(|&g| self.groups[g].keys == self.keys)
            .or_else(|| self.groups.iter().position(|group| group.keys == self.keys));
        let g = match found {
            Some(g) => g,
            None => {
                self.groups.push(Group::new(self.keys.clone()));
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[g];
        for (column, value) in group.columns.iter_mut().zip(self.values.drain(..)) {
            match value {
                Leaf::Json(text) => column.push_str(text),
                Leaf::Str(text) => {
                    column.push('"');
                    column.push_str(text);
                    column.push('"');
                }
                Leaf::Owned(text) => column.push_str(&text),
            }
            column.push('\n');
        }
        match self.order.last_mut() {
            Some((last, count)) if *last == g => *count += 1,
            _ => self.order.push((g, 1)),
        }
    }
}

/// Reads a pull page in the column form. Every change is read into its type as if from the
/// row form; a form whose columns do not line up with its shapes and order is refused, naming
/// what is wrong.
pub fn from_columns(text: &str) -> Result<PullPage, serde_json::Error> {
    let Some((header, mut rest)) = text.split_once('\n') else {
        return Err(bad("no line ends its header".into()));
    };
    let top: Entries = serde_json::from_str(header)?;
    // Everything but the columns is read as a page with no changes, so that every field a
    // `PullPage` has (now or later) is read as the row form reads it.
    let mut others = String::with_capacity(256);
    others.push_str("{\"changes\":[]");
    let mut columns = None;
    for (key, value) in &top.0 {
        match key.as_ref() {
            "columns" => columns = Some(*value),
            "changes" => return Err(de::Error::custom("a page in the column form has its changes in \"columns\", not in \"changes\"")),
            _ => {
                others.push(',');
                push_json_str(&mut others, key);
                others.push(':');
                others.push_str(value.get());
            }
        }
    }
    others.push('}');
    let columns = columns.ok_or_else(|| de::Error::missing_field("columns"))?;
    let mut page: PullPage = serde_json::from_str(&others)?;
    let Columns { groups, order } = serde_json::from_str(columns.get())?;

    let mut rows = vec![0usize; groups.len()];
    for &(g, count) in &order {
        let Some(n) = rows.get_mut(g) else {
            return Err(bad(format!("the order names group {g} of {}", groups.len())));
        };
        *n = n.saturating_add(count);
    }
    let mut read = Vec::with_capacity(groups.len());
    for (g, group) in groups.into_iter().enumerate() {
        let wanted: usize = group.shape.iter().map(|(_, inner)| inner.as_ref().map_or(1, Vec::len)).sum();
        if group.lengths.len() != wanted {
            return Err(bad(format!("group {g} has {} columns for the {wanted} values of its shape", group.lengths.len())));
        }
        let mut columns = Vec::with_capacity(wanted);
        for (c, &length) in group.lengths.iter().enumerate() {
            let Some(column) = rest.get(..length) else {
                return Err(bad(format!("column {c} of group {g} is said to be {length} bytes long, past the end of the page or inside a character")));
            };
            rest = &rest[length..];
            columns.push(serde_json::Deserializer::from_str(column));
        }
        read.push(ReadGroup { shape: group.shape, columns });
    }
    if !rest.is_empty() {
        return Err(bad(format!("{} bytes follow the last column", rest.len())));
    }

    // Every change takes at least a value and its line end from a column: a count past that is
    // found out as the columns run short, and never reserved.
    let mut changes = Vec::with_capacity(rows.iter().fold(0usize, |a, &n| a.saturating_add(n)).min(text.len() / 2));
    for (g, count) in order {
        let ReadGroup { shape, columns } = &mut read[g];
        for _ in 0..count {
            let mut columns = columns.iter_mut();
            let mut next = || Cell::Next(columns.next().expect("columns were counted against the shape"));
            let mut entries: Vec<(&str, Cell)> = Vec::with_capacity(shape.len());
            for (key, inner) in shape.iter() {
                let cell = match inner {
                    None => next(),
                    Some(keys) => Cell::Object(keys.iter().map(|k| (k.as_str(), next())).collect()),
                };
                entries.push((key.as_str(), cell));
            }
            // Reading the whole map checks that the change took every entry.
            let change = Change::deserialize(MapDeserializer::new(entries.into_iter()))
                .map_err(|e| bad(format!("change {} of group {g} could not be read: {e}", changes.len() + 1)))?;
            changes.push(change);
        }
    }
    for (g, group) in read.into_iter().enumerate() {
        for (c, mut column) in group.columns.into_iter().enumerate() {
            column.end().map_err(|_| bad(format!("column {c} of group {g} holds more values than the {} changes the order gives it", rows[g])))?;
        }
    }
    page.changes = changes;
    Ok(page)
}

/// A change's keys in order, in the form `to_columns` compares shapes by.
#[derive(Clone, PartialEq)]
enum Key<'a> {
    Leaf(Cow<'a, str>),
    /// A key whose value is an object, laid out as the given number of keys that follow.
    Object(Cow<'a, str>, usize),
}

/// A value as it is copied into its column.
enum Leaf<'a> {
    Json(&'a str),
    /// A string's text, with no escapes in it, to be put in quotes.
    Str(&'a str),
    /// A value written again as JSON.
    Owned(String),
}

struct Group<'a> {
    keys: Vec<Key<'a>>,
    /// Each column's values so far, one a line.
    columns: Vec<String>,
}

impl<'a> Group<'a> {
    fn new(keys: Vec<Key<'a>>) -> Group<'a> {
        let values = keys.iter().filter(|k| matches!(k, Key::Leaf(_))).count();
        Group { keys, columns: vec![String::new(); values] }
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

/// The header's columns as read.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Columns {
    groups: Vec<HeaderGroup>,
    order: Vec<(usize, usize)>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderGroup {
    shape: Shape,
    lengths: Vec<usize>,
}

/// A shape as read: each key, with the keys of its object when its value is laid out as one.
type Shape = Vec<(String, Option<Vec<String>>)>;

struct ReadGroup<'a> {
    shape: Shape,
    columns: Vec<serde_json::Deserializer<serde_json::de::StrRead<'a>>>,
}

fn bad(message: String) -> serde_json::Error {
    de::Error::custom(format!("the page's columns do not line up: {message}"))
}

/// One value of a change as it is read back: the next value of its column, read straight into
/// whatever the change's type holds there, or an object laid out as columns, read as a map of
/// such values (into a field map, a `Value`, a struct) without being built as an object first.
enum Cell<'c, 'a> {
    Next(&'c mut serde_json::Deserializer<serde_json::de::StrRead<'a>>),
    Object(Vec<(&'c str, Cell<'c, 'a>)>),
}

impl<'c, 'a> IntoDeserializer<'a, serde_json::Error> for Cell<'c, 'a> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Each way of reading a `Cell`: the column's next value read by serde_json as the same call
/// reads it in the row form, or the object as a map.
macro_rules! read_cell {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'a>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                match self {
                    Cell::Next(column) => column.$method($($arg,)* visitor),
                    Cell::Object(entries) => MapDeserializer::new(entries.into_iter()).deserialize_any(visitor),
                }
            }
        )*
    };
}

impl<'c, 'a> Deserializer<'a> for Cell<'c, 'a> {
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
            Cell::Next(column) => column.deserialize_option(visitor),
            object => visitor.visit_some(object),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(self, name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Cell::Next(column) => column.deserialize_newtype_struct(name, visitor),
            object => visitor.visit_newtype_struct(object),
        }
    }
}

/// Reads a page for `to_columns`: every change into the layout as it is read, everything else
/// kept as its text. Gives those entries, and whether the page had `changes`.
struct PageSeed<'s, 'a> {
    layout: &'s mut Layout<'a>,
}

type Others<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

impl<'de, 's> DeserializeSeed<'de> for PageSeed<'s, 'de> {
    type Value = (Others<'de>, bool);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 's> Visitor<'de> for PageSeed<'s, 'de> {
    type Value = (Others<'de>, bool);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a pull page")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut others = Vec::new();
        let mut saw_changes = false;
        while let Some(KeyText(key)) = map.next_key()? {
            if key == "changes" {
                map.next_value_seed(ChangesSeed { layout: &mut *self.layout })?;
                saw_changes = true;
            } else {
                others.push((key, map.next_value()?));
            }
        }
        Ok((others, saw_changes))
    }
}

/// Reads a page's `changes` into the layout.
struct ChangesSeed<'s, 'a> {
    layout: &'s mut Layout<'a>,
}

impl<'de, 's> DeserializeSeed<'de> for ChangesSeed<'s, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 's> Visitor<'de> for ChangesSeed<'s, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of changes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(ChangeSeed { layout: &mut *self.layout })?.is_some() {}
        Ok(())
    }
}

/// Reads one change into the layout.
struct ChangeSeed<'s, 'a> {
    layout: &'s mut Layout<'a>,
}

impl<'de, 's> DeserializeSeed<'de> for ChangeSeed<'s, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 's> Visitor<'de> for ChangeSeed<'s, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a change")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.layout.keys.clear();
        self.layout.values.clear();
        while let Some(KeyText(key)) = map.next_key()? {
            map.next_value_seed(PartSeed { layout: &mut *self.layout, key })?;
        }
        self.layout.add_change();
        Ok(())
    }
}

/// Reads one value of a change into the layout: a string's text when it needs no unescaping
/// (the ids, stamps and names of kinds a change holds), an object's entries each as its text,
/// or else the value written again as JSON.
struct PartSeed<'s, 'a> {
    layout: &'s mut Layout<'a>,
    key: Cow<'a, str>,
}

impl<'de, 's> DeserializeSeed<'de> for PartSeed<'s, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'s, 'a> PartSeed<'s, 'a> {
    fn leaf(self, value: Leaf<'a>) {
        self.layout.keys.push(Key::Leaf(self.key));
        self.layout.values.push(value);
    }

    fn json<E: de::Error>(self, value: &impl serde::Serialize) -> Result<(), E> {
        let text = serde_json::to_string(value).map_err(E::custom)?;
        self.leaf(Leaf::Owned(text));
        Ok(())
    }
}

impl<'de, 's> Visitor<'de> for PartSeed<'s, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.leaf(Leaf::Str(v));
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.json(&v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.json(&v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.json(&v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.json(&v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.json(&v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.leaf(Leaf::Json("null"));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.json(&value)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.layout.keys.len();
        self.layout.keys.push(Key::Object(self.key, 0));
        let mut count = 0;
        while let Some(KeyText(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value()?;
            self.layout.keys.push(Key::Leaf(key));
            self.layout.values.push(Leaf::Json(value.get()));
            count += 1;
        }
        if let Key::Object(_, n) = &mut self.layout.keys[at] {
            *n = count;
        }
        Ok(())
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
