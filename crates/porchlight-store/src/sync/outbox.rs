//! The writing half of sync inside every local write: the replica's clock (restored from and
//! saved to `sync_meta`, so a restart never stamps backwards), the op each write adds to the
//! outbox in its own transaction, and the stamps of the fields it wrote. A workspace that has
//! never been enrolled keeps its stamps but queues no op (most installations never meet a
//! service, and their outbox would only grow); its enrolment queues what it holds instead
//! (`backfill::queue_all`). It decides nothing about what a write means; each use case says which
//! fields or record it wrote.

use crate::cases::Change;
use crate::error::StoreError;
use porchlight_sync::{Clock, Entity, FieldWrite, Op, OpBody, ReplicaId, Stamp};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The field name that stands for every field of a record without a stamp row of its own.
pub(crate) const ALL_FIELDS: &str = "*";

/// A stamp as a key that sorts as the stamp does: the 64-bit time big-endian, then the replica
/// id's bytes in the order `uhlc` compares them. Text stamps do not sort by time.
pub(crate) fn stamp_key(stamp: &Stamp) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&stamp.inner().get_time().as_u64().to_be_bytes());
    key[8..].copy_from_slice(&stamp.inner().get_id().to_le_bytes());
    key
}

pub(crate) fn parse_stamp(text: &str) -> Result<Stamp, StoreError> {
    text.parse::<Stamp>().map_err(|e| StoreError::Corrupt(format!("a stored sync stamp cannot be read: {e}")))
}

/// The replica id and clock of the workspace, as `sync_meta` keeps them.
pub(crate) fn load_clock(conn: &Connection) -> Result<(ReplicaId, Clock), StoreError> {
    let (replica, last, offset): (String, Option<String>, i64) =
        conn.query_row("SELECT replica_id, last_stamp, clock_offset_ms FROM sync_meta WHERE id = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
    let replica = ReplicaId::from_hex(&replica).ok_or_else(|| StoreError::Corrupt(format!("the replica id {replica:?} cannot be read")))?;
    let last = last.as_deref().map(parse_stamp).transpose()?;
    Ok((replica, Clock::new(replica, last, offset)))
}

/// Saves the clock's largest stamp and its server offset, in the caller's transaction.
pub(crate) fn save_clock(conn: &Connection, clock: &Clock, last: Stamp) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sync_meta SET last_stamp = ?1, clock_offset_ms = ?2 WHERE id = 1")?
        .execute(rusqlite::params![last.to_string(), clock.offset_ms()])?;
    Ok(())
}

/// One write transaction as sync sees it: the transaction, the clock that stamps its ops, and
/// who makes the change when. Every use case writes its rows and its ops through one of these,
/// so an edit and its op commit or vanish together.
pub(crate) struct Outbox<'a> {
    pub(crate) tx: &'a Connection,
    clock: &'a Clock,
    pub(crate) change: &'a Change,
    /// Ids made in one write share its time; a counter keeps them rising, so that they are
    /// appended to their indexes (an import makes hundreds of thousands) instead of scattered.
    ids: uuid::ContextV7,
    /// Whether ops go to the outbox: once the workspace has been enrolled, always (also while it
    /// is unenrolled again: waiting ops name the stamps the service holds, which a rebuild from
    /// the current state could not); before, never.
    queues: bool,
}

/// Whether this workspace has ever been enrolled: it is now, or its audit log says it was (the
/// enrolment's line has no case, so it never leaves with one, and the lines without a case are
/// only enrolments and unenrolments, which the index on `case_id` finds at once).
pub(crate) const EVER_ENROLLED: &str = "(SELECT device_id IS NOT NULL FROM sync_meta WHERE id = 1)
    OR EXISTS (SELECT 1 FROM audit_log WHERE case_id IS NULL AND action = 'device_enrolled')";

pub(crate) fn ever_enrolled(conn: &Connection) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached(&format!("SELECT {EVER_ENROLLED}"))?.query_row([], |row| row.get(0))?)
}

impl<'a> Outbox<'a> {
    /// Starts the ops of one transaction. Another process on the same workspace (the CLI beside
    /// the app) has a clock of its own with the same replica id, so the stamp it saved last is
    /// folded in first: inside a write transaction no one else can stamp meanwhile.
    pub(crate) fn new(tx: &'a Connection, clock: &'a Clock, change: &'a Change) -> Result<Outbox<'a>, StoreError> {
        let (last, queues): (Option<String>, bool) = tx
            .prepare_cached(&format!("SELECT last_stamp, {EVER_ENROLLED} FROM sync_meta WHERE id = 1"))?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        if let Some(last) = last {
            clock.observe(&parse_stamp(&last)?);
        }
        Ok(Outbox { tx, clock, change, ids: uuid::ContextV7::new(), queues })
    }

    /// A new id for an op or a record this write makes.
    pub(crate) fn new_id(&self) -> Uuid {
        let at = self.change.now.utc;
        Uuid::new_v7(uuid::Timestamp::from_unix(&self.ids, at.timestamp().max(0) as u64, at.timestamp_subsec_nanos()))
    }

    /// A fresh stamp, later than everything this replica has made or seen, saved at once.
    pub(crate) fn tick(&self) -> Result<Stamp, StoreError> {
        let stamp = self.clock.tick(self.change.now.utc);
        save_clock(self.tx, self.clock, stamp)?;
        Ok(stamp)
    }

    /// Adds a `Set` of a record made by this write. `fields` are every field of a new record, or
    /// the changed fields of an existing one, each of which gets the stamp of the value this
    /// replica held as its `base`. Writes nothing when there is nothing to say.
    pub(crate) fn set(&self, case_id: Uuid, entity: Entity, record_id: Uuid, fields: Vec<(String, Value)>, new_record: bool) -> Result<Option<Op>, StoreError> {
        self.set_resolving(case_id, entity, record_id, fields, new_record, Vec::new())
    }

    pub(crate) fn set_resolving(
        &self,
        case_id: Uuid,
        entity: Entity,
        record_id: Uuid,
        fields: Vec<(String, Value)>,
        new_record: bool,
        resolves: Vec<Uuid>,
    ) -> Result<Option<Op>, StoreError> {
        if fields.is_empty() {
            return Ok(None);
        }
        let stamp = self.tick()?;
        let held = if new_record { RecordStamps::default() } else { RecordStamps::load(self.tx, entity, record_id)? };
        let writes: Vec<FieldWrite> =
            fields.into_iter().map(|(field, value)| FieldWrite { base: held.of(&field), field, value }).collect();
        if new_record {
            set_record_stamp(self.tx, entity, record_id, case_id, stamp)?;
        } else {
            for write in &writes {
                set_field_stamp(self.tx, entity, record_id, case_id, &write.field, stamp)?;
            }
        }
        let op = Op { id: self.new_id(), case_id, stamp, resolves, body: OpBody::Set { entity, record_id, fields: writes } };
        self.push(&op)?;
        Ok(Some(op))
    }

    /// Adds an `Append` of a record written once (a note version, a status event, an audit
    /// event), stamped `stamp` (which the caller stored with the row).
    pub(crate) fn append(&self, case_id: Uuid, entity: Entity, record_id: Uuid, record: Value, base: Option<Stamp>, stamp: Stamp) -> Result<Op, StoreError> {
        self.append_resolving(case_id, entity, record_id, record, base, stamp, Vec::new())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn append_resolving(
        &self,
        case_id: Uuid,
        entity: Entity,
        record_id: Uuid,
        record: Value,
        base: Option<Stamp>,
        stamp: Stamp,
        resolves: Vec<Uuid>,
    ) -> Result<Op, StoreError> {
        let op = Op { id: self.new_id(), case_id, stamp, resolves, body: OpBody::Append { entity, record_id, record, base } };
        self.push(&op)?;
        Ok(op)
    }

    /// Adds a `Resolve`: the conflicts are settled as they stand.
    pub(crate) fn resolve(&self, case_id: Uuid, resolves: Vec<Uuid>) -> Result<Op, StoreError> {
        let stamp = self.tick()?;
        let op = Op { id: self.new_id(), case_id, stamp, resolves, body: OpBody::Resolve };
        self.push(&op)?;
        Ok(op)
    }

    /// Adds the `Set` of every field of a case just made: its form as the `create` history row
    /// `event_seq` holds it (read from there when the op is sent, see `read_op`), then `extra`.
    pub(crate) fn set_new_case(&self, case_id: Uuid, event_seq: i64, extra: Vec<(String, Value)>) -> Result<(), StoreError> {
        let stamp = self.tick()?;
        set_record_stamp(self.tx, Entity::Case, case_id, case_id, stamp)?;
        let fields = extra.into_iter().map(|(field, value)| FieldWrite { field, value, base: None }).collect();
        let op = Op { id: self.new_id(), case_id, stamp, resolves: Vec::new(), body: OpBody::Set { entity: Entity::Case, record_id: case_id, fields } };
        self.push_from(&op, Some(event_seq))
    }

    fn push(&self, op: &Op) -> Result<(), StoreError> {
        self.push_from(op, None)
    }

    fn push_from(&self, op: &Op, fields_from: Option<i64>) -> Result<(), StoreError> {
        if !self.queues {
            return Ok(());
        }
        let json = serde_json::to_string(op).map_err(|e| StoreError::Corrupt(format!("an op could not be written as JSON: {e}")))?;
        self.tx
            .prepare_cached("INSERT INTO outbox (op_id, case_id, op, made_at, resolving, fields_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
            .execute(rusqlite::params![op.id.as_bytes(), op.case_id.as_bytes(), json, self.change.at, !op.resolves.is_empty(), fields_from])?;
        Ok(())
    }
}

/// An op as the outbox holds it: its JSON, and for a new case's first `Set` the history row
/// whose form supplies the fields written before the op's own (see `Outbox::set_new_case`).
pub(crate) fn read_op(conn: &Connection, json: &str, fields_from: Option<i64>) -> Result<Op, StoreError> {
    let mut op: Op = serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("an op in the outbox cannot be read: {e}")))?;
    if let (Some(seq), OpBody::Set { fields, .. }) = (fields_from, &mut op.body) {
        let form: String = conn.prepare_cached("SELECT new FROM case_events WHERE seq = ?1")?.query_row([seq], |row| row.get(0))?;
        let form: porchlight_domain::CaseFields =
            serde_json::from_str(&form).map_err(|e| StoreError::Corrupt(format!("the form of history row {seq} cannot be read: {e}")))?;
        let mut all: Vec<FieldWrite> =
            crate::sync::records::case_form_fields(&form)?.into_iter().map(|(field, value)| FieldWrite { field, value, base: None }).collect();
        all.append(fields);
        *fields = all;
    }
    Ok(op)
}

/// The stamps this replica holds for one record's fields.
#[derive(Debug, Default, Clone)]
pub(crate) struct RecordStamps {
    all: Option<Stamp>,
    fields: BTreeMap<String, Stamp>,
}

impl RecordStamps {
    pub(crate) fn load(conn: &Connection, entity: Entity, record_id: Uuid) -> Result<RecordStamps, StoreError> {
        let mut stamps = RecordStamps::default();
        let mut stmt = conn.prepare_cached("SELECT field, stamp FROM field_stamps WHERE entity = ?1 AND record_id = ?2")?;
        let rows = stmt.query_map(rusqlite::params![entity.as_str(), record_id.as_bytes()], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
        for row in rows {
            let (field, stamp) = row?;
            let stamp = parse_stamp(&stamp)?;
            if field == ALL_FIELDS {
                stamps.all = Some(stamp);
            } else {
                stamps.fields.insert(field, stamp);
            }
        }
        Ok(stamps)
    }

    /// The stamp of the value held for `field`, if it was ever synced or written.
    pub(crate) fn of(&self, field: &str) -> Option<Stamp> {
        self.fields.get(field).copied().or(self.all)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_none() && self.fields.is_empty()
    }
}

pub(crate) fn set_field_stamp(conn: &Connection, entity: Entity, record_id: Uuid, case_id: Uuid, field: &str, stamp: Stamp) -> Result<(), StoreError> {
    set_field_stamp_text(conn, entity, record_id, case_id, field, &stamp.to_string())
}

/// `set_field_stamp` with the stamp already written as text.
pub(crate) fn set_field_stamp_text(conn: &Connection, entity: Entity, record_id: Uuid, case_id: Uuid, field: &str, stamp: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO field_stamps (entity, record_id, field, stamp, case_id) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (entity, record_id, field) DO UPDATE SET stamp = excluded.stamp",
    )?
    .execute(rusqlite::params![entity.as_str(), record_id.as_bytes(), field, stamp, case_id.as_bytes()])?;
    Ok(())
}

/// Stamps every field of a record new to this replica at once: one '*' row. A record with
/// stamps of its own fields is never new, so there are none to clear.
pub(crate) fn set_record_stamp(conn: &Connection, entity: Entity, record_id: Uuid, case_id: Uuid, stamp: Stamp) -> Result<(), StoreError> {
    set_field_stamp(conn, entity, record_id, case_id, ALL_FIELDS, stamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn stamp_keys_sort_as_stamps_do() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let mut stamps = Vec::new();
        for (secs, replica) in [(0, 1u128), (0, 2), (0, 0x100), (0, u128::MAX), (1, 1), (1, 0xff00), (3600, 7), (86_400 * 365 * 30, 5)] {
            stamps.push(Stamp::at(t + chrono::Duration::seconds(secs), ReplicaId(replica)));
        }
        let clock = Clock::new(ReplicaId(0xabcdef), None, 0);
        for _ in 0..20 {
            stamps.push(clock.tick(t));
        }
        for a in &stamps {
            for b in &stamps {
                assert_eq!(a.cmp(b), stamp_key(a).cmp(&stamp_key(b)), "{a:?} against {b:?}");
            }
        }
    }
}
