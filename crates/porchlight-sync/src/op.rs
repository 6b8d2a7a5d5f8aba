//! What a replica sends: ops. Every local write of the workspace adds one op to the outbox in
//! the same transaction as the write itself.
//!
//! Records are of two shapes. Mutable records (a case, a family contact, a photo's metadata)
//! merge field by field: an op `Set`s some fields, each with the stamp of the value its author
//! was looking at (`base`). Append-only records (note versions, status events, local audit
//! events) are written once and never change, so they never conflict on their content; a status
//! event still carries a `base` (the newest status event its author saw), because two status
//! changes made without seeing each other always count as a conflict.

use crate::stamp::Stamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The kinds of record that sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// A case: the flattened `CaseFields` (see `fields::flatten`) plus `case_number` and
    /// `archived`. Its status is not a field: it is the newest `StatusEvent`.
    Case,
    /// A family contact: the flattened `ContactFields` plus `removed_reason` (null while the
    /// contact is current).
    Contact,
    /// A photo's metadata: `sha256`, `mime`, `kind`, `age_progressed_to`, `taken_on`, `source`,
    /// `consent_to_publish`, `is_primary`, `deleted`, and `child_age` (the child's age in it, or
    /// null). `kind` and `taken_on` are as in `porchlight_domain::PhotoMeta` (`taken_on` is ""
    /// when unknown). The bytes travel as a blob.
    Photo,
    /// One version of a case note: `note_id` (the note all its versions share), `version`,
    /// `category` (the domain's `NoteCategory` word: `call`, `lead_tip`, `family_contact`,
    /// `law_enforcement`, `media`, `internal`), `body`, `author`, `written_at`. Two offline edits
    /// of one note may both be version N; readers take the newest by stamp as current.
    Note,
    /// A change of status: `from`, `to`, `reason`, `outcome` (or null), `actor`, `at`.
    StatusEvent,
    /// A local audit event (case opened, photo viewed, poster exported…): `action`, `detail`,
    /// `actor`, `at`. Pushed to the central audit log; never pulled back. An event about no case
    /// (a device enrolled) travels with the nil `case_id`.
    AuditEvent,
}

impl Entity {
    /// Mutable records merge per field; the others are append-only.
    pub fn is_mutable(self) -> bool {
        matches!(self, Entity::Case | Entity::Contact | Entity::Photo)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Case => "case",
            Entity::Contact => "contact",
            Entity::Photo => "photo",
            Entity::Note => "note",
            Entity::StatusEvent => "status_event",
            Entity::AuditEvent => "audit_event",
        }
    }

    pub fn parse(text: &str) -> Option<Entity> {
        Some(match text {
            "case" => Entity::Case,
            "contact" => Entity::Contact,
            "photo" => Entity::Photo,
            "note" => Entity::Note,
            "status_event" => Entity::StatusEvent,
            "audit_event" => Entity::AuditEvent,
            _ => return None,
        })
    }
}

/// One field written by an op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldWrite {
    /// A flattened path such as `child.given_name` (see `fields::flatten`).
    pub field: String,
    pub value: Value,
    /// The stamp of the value the author was looking at when they wrote this one; `None` when
    /// the field had never been synced (a new record, or a field first set on this replica).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<Stamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OpBody {
    /// Writes fields of a mutable record; creates the record when it does not exist yet.
    Set { entity: Entity, record_id: Uuid, fields: Vec<FieldWrite> },
    /// Adds an append-only record. A repeated record id is answered with the earlier result.
    Append {
        entity: Entity,
        record_id: Uuid,
        record: Value,
        /// For status events: the stamp of the newest status event the author saw.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base: Option<Stamp>,
    },
    /// Writes nothing: marks the conflicts in `Op::resolves` resolved as they stand ("keep
    /// theirs" when theirs is already the value in force).
    Resolve,
}

/// The fields of each struct variant, read from the rest of the object.
#[derive(Deserialize)]
struct SetBody {
    entity: Entity,
    record_id: Uuid,
    fields: Vec<FieldWrite>,
}

#[derive(Deserialize)]
struct AppendBody {
    entity: Entity,
    record_id: Uuid,
    record: Value,
    #[serde(default)]
    base: Option<Stamp>,
}

/// Read tag first (see `proto::read_tagged`): the service reads thousands of ops a push, a
/// device every op it sends and has answered.
impl crate::proto::TagFirst for OpBody {
    const VARIANTS: &'static [&'static str] = &["set", "append", "resolve"];

    fn variant<'de, D: serde::Deserializer<'de>>(kind: &str, rest: D) -> Result<Self, D::Error> {
        match kind {
            "set" => SetBody::deserialize(rest).map(|b| OpBody::Set { entity: b.entity, record_id: b.record_id, fields: b.fields }),
            "append" => AppendBody::deserialize(rest).map(|b| OpBody::Append { entity: b.entity, record_id: b.record_id, record: b.record, base: b.base }),
            "resolve" => serde::de::IgnoredAny::deserialize(rest).map(|_| OpBody::Resolve),
            other => Err(serde::de::Error::unknown_variant(other, Self::VARIANTS)),
        }
    }
}

impl<'de> Deserialize<'de> for OpBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(crate::proto::TaggedVisitor(std::marker::PhantomData))
    }
}

/// One change made on a replica, as it waits in the outbox and travels in a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// UUIDv7 made with the op; the server answers a repeated id with its first answer.
    pub id: Uuid,
    pub case_id: Uuid,
    /// When the change was made, on the replica's clock. Every field the op writes carries it.
    pub stamp: Stamp,
    /// Conflicts this op settles (keep mine, keep theirs, or an edited value). The server marks
    /// them resolved by this op, with who and when, in the same transaction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolves: Vec<Uuid>,
    pub body: OpBody,
}

impl Op {
    pub fn entity(&self) -> Option<Entity> {
        match &self.body {
            OpBody::Set { entity, .. } | OpBody::Append { entity, .. } => Some(*entity),
            OpBody::Resolve => None,
        }
    }

    pub fn record_id(&self) -> Option<Uuid> {
        match &self.body {
            OpBody::Set { record_id, .. } | OpBody::Append { record_id, .. } => Some(*record_id),
            OpBody::Resolve => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stamp::ReplicaId;
    use chrono::{TimeZone, Utc};

    #[test]
    fn an_op_travels_as_tagged_json_and_reads_back() {
        let stamp = Stamp::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(), ReplicaId(42));
        let op = Op {
            id: Uuid::now_v7(),
            case_id: Uuid::now_v7(),
            stamp,
            resolves: vec![],
            body: OpBody::Set {
                entity: Entity::Case,
                record_id: Uuid::now_v7(),
                fields: vec![FieldWrite {
                    field: "child.given_name".into(),
                    value: Value::from("Ana"),
                    base: Some(stamp),
                }],
            },
        };
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(json["body"]["type"], "set");
        assert_eq!(json["body"]["entity"], "case");
        assert!(json.get("resolves").is_none(), "empty lists stay off the wire");
        assert_eq!(serde_json::from_value::<Op>(json).unwrap(), op);
    }

    #[test]
    fn every_body_reads_back_with_its_tag_first_or_anywhere_else() {
        let stamp = Stamp::at(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(), ReplicaId(42));
        let bodies = [
            OpBody::Set { entity: Entity::Contact, record_id: Uuid::now_v7(), fields: vec![FieldWrite { field: "name".into(), value: Value::from("Rosa"), base: None }] },
            OpBody::Append { entity: Entity::StatusEvent, record_id: Uuid::now_v7(), record: serde_json::json!({"type": "a field of the record", "to": "located"}), base: Some(stamp) },
            OpBody::Append { entity: Entity::Note, record_id: Uuid::now_v7(), record: serde_json::json!({"body": "Called."}), base: None },
            OpBody::Resolve,
        ];
        for body in bodies {
            let text = serde_json::to_string(&body).unwrap();
            assert!(text.starts_with("{\"type\":"), "{text}");
            assert_eq!(serde_json::from_str::<OpBody>(&text).unwrap(), body, "tag first");
            let moved = crate::proto::tag_last(&body);
            assert_eq!(serde_json::from_str::<OpBody>(&moved).unwrap(), body, "tag last: {moved}");
        }
        for bad in [r#"{"type":"delete_everything"}"#, r#"{}"#, r#"{"type":"set","entity":"case"}"#, r#"{"entity":"case","record_id":"x"}"#, "[]"] {
            assert!(serde_json::from_str::<OpBody>(bad).is_err(), "{bad} was read as an op body");
        }
    }

    #[test]
    fn entity_names_read_back() {
        for e in [Entity::Case, Entity::Contact, Entity::Photo, Entity::Note, Entity::StatusEvent, Entity::AuditEvent] {
            assert_eq!(Entity::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), Value::from(e.as_str()));
        }
        assert_eq!(Entity::parse("poster"), None);
    }
}
