//! A mutable record's sync state in memory: each flattened field with its value and the stamp of
//! its last write, read from and written back to the `sync_state` text the tables keep (the
//! record as one `Change::Record`). It knows nothing of which fields a record may have
//! (`schema`) nor of who may see them (`redact`).

use crate::db::DbError;
use chrono::{DateTime, Utc};
use porchlight_sync::{
    AppendedRecord, Change, ConflictRecord, Entity, RecordState, ReplicaId, Stamp,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A change as it goes on the wire, borrowed: serialising it gives exactly the text of the
/// owned `porchlight_sync::Change`, without copying the record first.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeRef<'a> {
    Record(&'a RecordState),
    Appended(&'a AppendedRecord),
    Conflict(&'a ConflictRecord),
}

impl ChangeRef<'_> {
    pub fn text(&self) -> String {
        serde_json::to_string(self).expect("changes serialise")
    }
}

/// The stamp that stands for writes made before sync existed (as migration 0002 backfills them):
/// their time, on replica 1.
pub fn legacy_stamp(at: DateTime<Utc>) -> Stamp {
    Stamp::at(at, ReplicaId(1))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub entity: Entity,
    pub case_id: Uuid,
    pub record_id: Uuid,
    pub fields: BTreeMap<String, (Value, Stamp)>,
}

/// What fields of a record held before they were written, in the order they were written.
#[derive(Debug, Default)]
pub struct Undo(Vec<(String, Option<(Value, Stamp)>)>);

impl Undo {
    pub fn push(&mut self, field: &str, before: Option<(Value, Stamp)>) {
        self.0.push((field.to_owned(), before));
    }
}

impl Record {
    pub fn new(entity: Entity, case_id: Uuid, record_id: Uuid) -> Record {
        Record {
            entity,
            case_id,
            record_id,
            fields: BTreeMap::new(),
        }
    }

    pub fn from_state(state: RecordState) -> Record {
        let mut record = Record::new(state.entity, state.case_id, state.record_id);
        for (field, value) in state.fields {
            let stamp = state.stamps.get(&field).copied().unwrap_or(state.stamp);
            record.fields.insert(field, (value, stamp));
        }
        record
    }

    /// Reads the stored `sync_state` text.
    pub fn from_text(text: &str) -> Result<Record, DbError> {
        match serde_json::from_str::<Change>(text) {
            Ok(Change::Record(state)) => Ok(Record::from_state(state)),
            Ok(_) => Err(DbError::Corrupt(
                "a record's sync state is not a record".into(),
            )),
            Err(e) => Err(DbError::Corrupt(format!("a record's sync state: {e}"))),
        }
    }

    /// Every field, in the compact form; `None` for a record with no field.
    pub fn state(&self) -> Option<RecordState> {
        self.state_of(|_| true)
    }

    /// The fields `keep` accepts, in the compact form; `None` when it accepts none.
    pub fn state_of(&self, keep: impl Fn(&str) -> bool) -> Option<RecordState> {
        RecordState::from_fields(
            self.entity,
            self.case_id,
            self.record_id,
            self.fields
                .iter()
                .filter(|(field, _)| keep(field))
                .map(|(field, (value, stamp))| (field.clone(), value.clone(), *stamp)),
        )
    }

    /// The stored text: the whole record as one change, the text of `state()` written from
    /// the record itself. A push writes back every record it touched: copying each field into
    /// a `RecordState` first was a tenth of the service's time on a push of edited cases.
    pub fn text(&self) -> String {
        match RecordState::common_stamp(self.fields.values().map(|(_, stamp)| *stamp)) {
            Some(stamp) => serde_json::to_string(&StoredRecord {
                kind: "record",
                entity: self.entity,
                case_id: self.case_id,
                record_id: self.record_id,
                stamp,
                fields: Values(&self.fields),
                stamps: OwnStamps {
                    fields: &self.fields,
                    common: stamp,
                },
            })
            .expect("records serialise"),
            None => {
                // A record always has fields once written; an empty one is stored with none, and
                // `RecordState` needs a stamp, so it takes the smallest there is.
                let state = RecordState {
                    entity: self.entity,
                    case_id: self.case_id,
                    record_id: self.record_id,
                    stamp: legacy_stamp(DateTime::<Utc>::UNIX_EPOCH),
                    fields: BTreeMap::new(),
                    stamps: BTreeMap::new(),
                };
                ChangeRef::Record(&state).text()
            }
        }
    }

    pub fn value(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).map(|(v, _)| v)
    }

    pub fn stamp_of(&self, field: &str) -> Option<Stamp> {
        self.fields.get(field).map(|(_, s)| *s)
    }

    /// The newest stamp of any field: a write made at the service must be stamped after it.
    pub fn newest(&self) -> Option<Stamp> {
        self.fields.values().map(|(_, s)| *s).max()
    }

    /// Sets a field; returns what it held before.
    pub fn set(&mut self, field: &str, value: Value, stamp: Stamp) -> Option<(Value, Stamp)> {
        self.fields.insert(field.to_owned(), (value, stamp))
    }

    /// Puts back what the fields written since `undo` began held, the last written first.
    pub fn restore(&mut self, undo: Undo) {
        for (field, before) in undo.0.into_iter().rev() {
            match before {
                Some(held) => self.fields.insert(field, held),
                None => self.fields.remove(&field),
            };
        }
    }

    /// Every field's value by its dotted path, sorted, borrowed: what the checks of
    /// `schema` read.
    pub fn leaves(&self) -> Vec<(&str, &Value)> {
        self.fields
            .iter()
            .map(|(f, (v, _))| (f.as_str(), v))
            .collect()
    }

    pub fn bool(&self, field: &str) -> bool {
        self.value(field).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn str(&self, field: &str) -> Option<&str> {
        self.value(field).and_then(Value::as_str)
    }
}

/// A record's stored text, borrowed from the record: the keys and their order are those of
/// `Change::Record(RecordState)`.
#[derive(Serialize)]
struct StoredRecord<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    entity: Entity,
    case_id: Uuid,
    record_id: Uuid,
    stamp: Stamp,
    fields: Values<'a>,
    #[serde(skip_serializing_if = "OwnStamps::is_empty")]
    stamps: OwnStamps<'a>,
}

/// Every field's value, by field.
struct Values<'a>(&'a BTreeMap<String, (Value, Stamp)>);

impl Serialize for Values<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(field, (value, _))| (field, value)))
    }
}

/// The stamps of the fields whose stamp is not the common one, by field.
struct OwnStamps<'a> {
    fields: &'a BTreeMap<String, (Value, Stamp)>,
    common: Stamp,
}

impl OwnStamps<'_> {
    fn own(&self) -> impl Iterator<Item = (&String, &Stamp)> {
        self.fields
            .iter()
            .filter(|(_, (_, stamp))| *stamp != self.common)
            .map(|(field, (_, stamp))| (field, stamp))
    }

    fn is_empty(&self) -> bool {
        self.own().next().is_none()
    }
}

impl Serialize for OwnStamps<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.own())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn a_record_reads_back_from_its_stored_text_with_every_stamp() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let a = Stamp::at(t, ReplicaId(7));
        let b = Stamp::at(t + chrono::Duration::seconds(3), ReplicaId(8));
        let mut r = Record::new(Entity::Contact, Uuid::now_v7(), Uuid::now_v7());
        r.set("name", json!("Rosa Diaz"), a);
        r.set("email", json!(""), a);
        r.set("phones", json!(["(918) 555-0142"]), b);
        let text = r.text();
        assert!(
            text.starts_with(r#"{"type":"record","entity":"contact""#),
            "{text}"
        );
        assert_eq!(Record::from_text(&text).unwrap(), r);
        assert_eq!(r.newest(), Some(b));
        assert_eq!(
            text,
            ChangeRef::Record(&r.state().unwrap()).text(),
            "written from the record, the text is that of its compact state"
        );
        let only = r.state_of(|f| f == "phones").unwrap();
        assert_eq!(only.fields.len(), 1);
        assert_eq!(only.stamp, b);
    }

    #[test]
    fn writes_taken_back_leave_the_record_as_it_was_whatever_they_wrote() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let (a, b) = (
            Stamp::at(t, ReplicaId(7)),
            Stamp::at(t + chrono::Duration::seconds(3), ReplicaId(8)),
        );
        let mut r = Record::new(Entity::Case, Uuid::now_v7(), Uuid::now_v7());
        r.set("child.given_name", json!("Maya"), a);
        r.set("event.city", json!("Tulsa"), a);
        let before = r.clone();
        let mut undo = Undo::default();
        // A field changed twice, a field changed once, a field new to the record.
        for (field, value) in [
            ("event.city", json!("Norman")),
            ("child.given_name", json!("Maia")),
            ("event.city", json!("Lawton")),
            ("description.clothing", json!("red jacket")),
        ] {
            undo.push(field, r.set(field, value, b));
        }
        assert_ne!(r, before);
        r.restore(undo);
        assert_eq!(r, before);
        assert_eq!(r.text(), before.text());
    }

    #[test]
    fn the_stored_text_is_the_text_of_the_compact_state_whatever_the_stamps() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let (a, b) = (
            Stamp::at(t, ReplicaId(7)),
            Stamp::at(t + chrono::Duration::seconds(1), ReplicaId(3)),
        );
        let record = |stamps: &[Stamp]| {
            let mut r = Record::new(Entity::Case, Uuid::now_v7(), Uuid::now_v7());
            for (i, stamp) in stamps.iter().enumerate() {
                r.set(
                    &format!("child.field_{i}"),
                    json!(format!("value \"{i}\"")),
                    *stamp,
                );
            }
            r
        };
        for stamps in [
            vec![a],
            vec![a, a, a],
            vec![a, b],
            vec![b, a],
            vec![a, b, b, a, b],
        ] {
            let r = record(&stamps);
            let state = r.state().unwrap();
            assert_eq!(r.text(), ChangeRef::Record(&state).text(), "{stamps:?}");
            assert_eq!(Record::from_text(&r.text()).unwrap(), r);
        }
        assert_eq!(
            record(&[a, b]).state().unwrap().stamp,
            b,
            "a tie goes to the later stamp"
        );
    }

    #[test]
    fn the_legacy_stamp_matches_the_one_the_migration_writes() {
        // sync_legacy_stamp('2026-01-19 10:00:00+00') in migration 0002.
        let t = Utc.with_ymd_and_hms(2026, 1, 19, 10, 0, 0).unwrap();
        let secs = t.timestamp() as u64;
        assert_eq!(legacy_stamp(t).to_string(), format!("{}/1", secs << 32));
    }
}
