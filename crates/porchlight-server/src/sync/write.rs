//! The sync side of writes made at the service itself (the case endpoints and the operator's
//! command line): each is stamped by the service's clock after every stamp of the record it
//! changes (so it wins, having seen them, and raises no conflict), leaves the same rows in the
//! change log as a device's op would, and names its author in `sync_ops`. It does not validate
//! or authorise; its callers in `cases` do.

use super::log::{self, Kind};
use super::record::{ChangeRef, Record};
use super::schema;
use super::store::{self, OpRow};
use crate::db::{self, DbError};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use porchlight_domain::{CaseStatus, ContactFields};
use porchlight_sync::fields::flatten;
use porchlight_sync::{AppendedRecord, Clock, Entity, Stamp};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Who writes at the service, and the clock that stamps it.
pub struct Writer<'a> {
    pub user: Uuid,
    pub device: Option<Uuid>,
    /// The display name, for the records that name their author (status events, notes).
    pub name: String,
    pub clock: &'a Clock,
}

impl<'a> Writer<'a> {
    pub async fn load(
        db: &impl GenericClient,
        user: Uuid,
        device: Option<Uuid>,
        clock: &'a Clock,
    ) -> Result<Writer<'a>, DbError> {
        let name: String =
            db::query_opt(db, "SELECT display_name FROM users WHERE id = $1", &[&user])
                .await?
                .map(|r| r.get(0))
                .unwrap_or_default();
        Ok(Writer {
            user,
            device,
            name,
            clock,
        })
    }

    /// A stamp after `seen` (the newest stamp of what is being changed) and after the clock's own.
    pub fn stamp(&self, seen: Option<Stamp>, now: DateTime<Utc>) -> Stamp {
        if let Some(s) = seen {
            self.clock.observe(&s);
        }
        self.clock.tick(now)
    }

    /// Appends the log rows and records the write's author under its stamp.
    pub async fn finish(
        &self,
        db: &impl GenericClient,
        case_id: Uuid,
        stamp: Stamp,
        rows: &[log::Row],
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        log::append(db, rows, now).await?;
        store::record_ops(
            db,
            &[OpRow {
                op_id: crate::new_id(now),
                device: self.device,
                user: self.user,
                case_id,
                stamp: stamp.to_string(),
                applied: true,
                result: None,
            }],
            now,
        )
        .await
    }
}

pub fn record_row(record: &Record, only: Option<&[String]>) -> Option<log::Row> {
    let state = match only {
        Some(fields) => record.state_of(|f| fields.iter().any(|k| k == f))?,
        None => record.state()?,
    };
    Some(log::Row {
        case_id: record.case_id,
        entity: record.entity,
        record_id: record.record_id,
        kind: Kind::Record,
        body: ChangeRef::Record(&state).text(),
    })
}

pub fn appended_row(a: &AppendedRecord) -> log::Row {
    log::Row {
        case_id: a.case_id,
        entity: a.entity,
        record_id: a.record_id,
        kind: Kind::Appended,
        body: ChangeRef::Appended(a).text(),
    }
}

/// A case's sync record from its form.
pub fn case_record(
    id: Uuid,
    form: &Value,
    case_number: &str,
    archived: bool,
    stamp: Stamp,
) -> Record {
    let mut record = Record::new(Entity::Case, id, id);
    for (field, value) in flatten(form) {
        record.set(&field, value, stamp);
    }
    record.set(schema::CASE_NUMBER, Value::from(case_number), stamp);
    record.set(schema::ARCHIVED, Value::from(archived), stamp);
    record
}

/// Writes `form` over `record` with `stamp`; returns the fields that changed.
pub fn edit_case(record: &mut Record, form: &Value, stamp: Stamp) -> Vec<String> {
    let mut changed = Vec::new();
    let new: BTreeMap<String, Value> = flatten(form);
    for (field, value) in new {
        if record.value(&field) != Some(&value) {
            record.set(&field, value, stamp);
            changed.push(field);
        }
    }
    changed
}

/// A status event made at the service, and its row for the status history.
pub fn status_event(
    w: &Writer<'_>,
    case_id: Uuid,
    from: Option<CaseStatus>,
    to: CaseStatus,
    stamp: Stamp,
    now: DateTime<Utc>,
) -> (AppendedRecord, store::StatusRow) {
    let id = crate::new_id(now);
    let record = schema::StatusRecord {
        from,
        to,
        reason: String::new(),
        outcome: None,
        actor: w.name.clone(),
        at: now,
    };
    let a = AppendedRecord {
        entity: Entity::StatusEvent,
        case_id,
        record_id: id,
        stamp,
        record: serde_json::to_value(&record).expect("events serialise"),
    };
    let row = store::StatusRow {
        id,
        case_id,
        stamp: stamp.to_string(),
        to: to.code(),
        actor: w.user,
        device: w.device,
        change: ChangeRef::Appended(&a).text(),
        at: now,
    };
    (a, row)
}

/// A contact's sync record from its form.
pub fn contact_record(case_id: Uuid, id: Uuid, form: &ContactFields, stamp: Stamp) -> Record {
    let mut record = Record::new(Entity::Contact, case_id, id);
    for (field, value) in flatten(&serde_json::to_value(form).expect("contacts serialise")) {
        record.set(&field, value, stamp);
    }
    record.set(schema::REMOVED_REASON, Value::Null, stamp);
    record
}

/// A photo's sync record from what the photo endpoint stores.
#[allow(clippy::too_many_arguments)]
pub fn photo_record(
    case_id: Uuid,
    id: Uuid,
    sha256: &str,
    mime: &str,
    kind: &str,
    taken_on: &str,
    child_age: Option<i16>,
    consent: bool,
    stamp: Stamp,
) -> Record {
    let mut record = Record::new(Entity::Photo, case_id, id);
    for (field, value) in [
        ("sha256", json!(sha256)),
        ("mime", json!(mime)),
        ("kind", json!(kind)),
        ("age_progressed_to", Value::Null),
        ("taken_on", json!(taken_on)),
        ("child_age", json!(child_age)),
        ("source", json!("")),
        ("consent_to_publish", json!(consent)),
        ("is_primary", json!(false)),
        ("deleted", json!(false)),
    ] {
        record.set(field, value, stamp);
    }
    record
}

/// A note version's change, as devices receive it.
pub fn note_change(
    case_id: Uuid,
    id: Uuid,
    version: &schema::NoteVersion,
    stamp: Stamp,
) -> AppendedRecord {
    AppendedRecord {
        entity: Entity::Note,
        case_id,
        record_id: id,
        stamp,
        record: serde_json::to_value(version).expect("notes serialise"),
    }
}
