//! Waiting ops stamped too far ahead of the service's clock, stamped again before they are sent.
//!
//! The service refuses for good any op stamped more than `MAX_FUTURE_SKEW_SECS` ahead of its own
//! clock. A device whose clock runs ahead (set wrong, or drifted while it was offline for days)
//! stamps its edits in the future, and without this every one of them would be refused. Once
//! `hello` has told the replica the service's time (and `observe_server` corrected the clock's
//! offset), every waiting op stamped beyond that bound, less a margin, gets a fresh stamp from
//! the corrected clock, in outbox order, together with everything that holds the old stamp: the
//! field stamps it set (where they are still its own), its note version or status event, and the
//! `base` of later waiting ops that named it. The clock is wound back, so the next edit is stamped
//! near the service's time too. An op keeps its id: the service never saw it (an op it answered
//! has left the outbox). This module sends nothing and decides nothing about what an op means.

use crate::error::StoreError;
use crate::sync::outbox::{parse_stamp, save_clock, stamp_key};
use chrono::{DateTime, Duration, Utc};
use porchlight_sync::{Clock, Entity, Op, OpBody, ReplicaId, Stamp, MAX_FUTURE_SKEW_SECS};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use uuid::Uuid;

/// Ops stamped within this much of the service's bound are stamped again too: the push that
/// follows takes a while, and the service reads its clock again when it arrives.
pub(crate) const MARGIN_SECS: i64 = 60;

/// The latest time a waiting op may carry, on the service's clock read at `server_time`.
pub(crate) fn latest_allowed(server_time: DateTime<Utc>) -> DateTime<Utc> {
    server_time + Duration::seconds(MAX_FUTURE_SKEW_SECS - MARGIN_SECS)
}

/// Whether this replica has stamped anything later than `latest_allowed`. Every stamp it made
/// is at most the one saved last, so when that one is within the bound, so is every op waiting;
/// asked before the write transaction, so that the usual sync takes no write lock for it.
pub(crate) fn clock_ahead(conn: &Connection, server_time: DateTime<Utc>) -> Result<bool, StoreError> {
    let last: Option<String> = conn.prepare_cached("SELECT last_stamp FROM sync_meta WHERE id = 1")?.query_row([], |row| row.get(0))?;
    Ok(last.as_deref().map(parse_stamp).transpose()?.is_some_and(|last| last.time() > latest_allowed(server_time)))
}

/// What a restamp did: how many ops it stamped again, and the clock wound back to the service's
/// time that the workspace now stamps with.
pub(crate) struct Restamped {
    pub(crate) ops: u64,
    pub(crate) clock: Clock,
}

/// Stamps again, in the caller's transaction, every waiting op later than `latest_allowed`, and
/// winds the clock back. `None` when the clock never ran ahead of the bound (the common case,
/// answered from the one saved stamp without reading the outbox).
pub(crate) fn restamp_ahead(
    tx: &Connection,
    replica: ReplicaId,
    offset_ms: i64,
    server_time: DateTime<Utc>,
    server_stamp: Stamp,
    wall: DateTime<Utc>,
) -> Result<Option<Restamped>, StoreError> {
    let limit = latest_allowed(server_time);
    if !clock_ahead(tx, server_time)? {
        return Ok(None);
    }

    let rows: Vec<(i64, String)> =
        tx.prepare("SELECT seq, op FROM outbox ORDER BY seq")?.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
    let mut waiting = Vec::with_capacity(rows.len());
    for (seq, json) in rows {
        // The stored JSON, not `read_op`: a new case's first op keeps naming its history row for
        // the fields of its form, which carry no base and so never change here.
        let op: Op = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("an op in the outbox cannot be read: {e}")))?;
        waiting.push((seq, op));
    }
    // Ops are stamped in outbox order, so those ahead are its tail; stamping the whole tail
    // again from the first of them keeps the outbox in stamp order whatever came before.
    let first_ahead = waiting.iter().position(|(_, op)| op.stamp.time() > limit).unwrap_or(waiting.len());
    let (kept, moved) = waiting.split_at(first_ahead);

    // The new stamps must still be later than everything this replica has seen, or an edit made
    // after seeing a value would lose to it. Its own stamps ahead of the bound are what is being
    // replaced, so they are left out; anything else ahead of the service's own bound it cannot
    // hold (the service would have refused it) and is left out too.
    let bound = server_time + Duration::seconds(MAX_FUTURE_SKEW_SECS);
    let own_ahead = |s: &Stamp| s.replica() == replica && s.time() > limit;
    let mut seen = server_stamp;
    let mut fold = |s: Stamp| {
        if !own_ahead(&s) && s.time() <= bound && s > seen {
            seen = s;
        }
    };
    for (_, op) in kept {
        fold(op.stamp);
    }
    for sql in [
        "SELECT stamp FROM field_stamps",
        "SELECT stamp FROM note_versions WHERE stamp IS NOT NULL",
        "SELECT stamp FROM status_events WHERE stamp IS NOT NULL",
    ] {
        let mut stmt = tx.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            fold(parse_stamp(&row.get::<_, String>(0)?)?);
        }
    }

    let clock = Clock::new(replica, Some(seen), offset_ms);
    let mut renamed: HashMap<Stamp, Stamp> = HashMap::new();
    for (seq, op) in moved {
        let mut op = op.clone();
        let old = op.stamp;
        let follow = |base: &mut Option<Stamp>| {
            if let Some(new) = base.and_then(|b| renamed.get(&b)) {
                *base = Some(*new);
            }
            // An op is always stamped after the values its author saw.
            if let Some(b) = base.filter(|b| !own_ahead(b)) {
                clock.observe(&b);
            }
        };
        match &mut op.body {
            OpBody::Set { fields, .. } => fields.iter_mut().for_each(|f| follow(&mut f.base)),
            OpBody::Append { base, .. } => follow(base),
            OpBody::Resolve => {}
        }
        let new = clock.tick(wall);
        op.stamp = new;
        renamed.insert(old, new);
        let json = serde_json::to_string(&op).map_err(|e| StoreError::Corrupt(format!("an op could not be written as JSON: {e}")))?;
        tx.prepare_cached("UPDATE outbox SET op = ?2 WHERE seq = ?1")?.execute(rusqlite::params![seq, json])?;
        match &op.body {
            OpBody::Set { entity, record_id, .. } => {
                // Only where the stamp held is still this op's: a later op or a pulled value that
                // replaced it keeps its own.
                tx.prepare_cached("UPDATE field_stamps SET stamp = ?4 WHERE entity = ?1 AND record_id = ?2 AND stamp = ?3")?.execute(
                    rusqlite::params![entity.as_str(), record_id.as_bytes(), old.to_string(), new.to_string()],
                )?;
            }
            OpBody::Append { entity: Entity::Note, record_id, .. } => restamp_row(tx, Held::NoteVersion, *record_id, old, new)?,
            OpBody::Append { entity: Entity::StatusEvent, record_id, .. } => restamp_row(tx, Held::StatusEvent, *record_id, old, new)?,
            // Audit events and resolutions are held nowhere but in their op.
            OpBody::Append { .. } | OpBody::Resolve => {}
        }
    }
    let last = clock.last(wall);
    save_clock(tx, &clock, last)?;
    Ok(Some(Restamped { ops: moved.len() as u64, clock }))
}

/// The append-only rows that keep the stamp of the op that carries them.
#[derive(Clone, Copy)]
enum Held {
    NoteVersion,
    StatusEvent,
}

impl Held {
    fn table(self) -> &'static str {
        match self {
            Held::NoteVersion => "note_versions",
            Held::StatusEvent => "status_events",
        }
    }

    /// The row whole, with what keeps its place: a note version's rowid orders the timeline; a
    /// status event's `seq` is its rowid and is among its columns already.
    fn select(self) -> &'static str {
        match self {
            Held::NoteVersion => "SELECT rowid AS rowid, * FROM note_versions WHERE id = ?1 AND stamp = ?2",
            Held::StatusEvent => "SELECT * FROM status_events WHERE id = ?1 AND stamp = ?2",
        }
    }
}

/// Gives a note version or status event its new stamp. The append-only triggers refuse any
/// change to a stamped row, rightly: what a note or an event says never changes, and neither
/// does a stamp anyone has seen. This one no one has (the op that carries it was never sent),
/// so the row is taken out and put back whole, with its rowid, under the same `sync_purge` mark
/// that lets a refused record be taken back, all inside the caller's transaction.
fn restamp_row(tx: &Connection, held: Held, id: Uuid, old: Stamp, new: Stamp) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(held.select())?;
    let names: Vec<String> = stmt.column_names().map(|n| n.to_string()).collect();
    let row: Option<Vec<SqlValue>> = stmt
        .query_row(rusqlite::params![id.as_bytes(), old.to_string()], |row| (0..names.len()).map(|i| row.get(i)).collect())
        .optional()?;
    drop(stmt);
    let Some(mut values) = row else { return Ok(()) };
    for (name, value) in names.iter().zip(values.iter_mut()) {
        match name.as_str() {
            "stamp" => *value = SqlValue::Text(new.to_string()),
            "stamp_key" => *value = SqlValue::Blob(stamp_key(&new).to_vec()),
            _ => {}
        }
    }
    let table = held.table();
    tx.prepare_cached("INSERT INTO sync_purge (record_id) VALUES (?1)")?.execute([id.as_bytes()])?;
    tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id.as_bytes()])?;
    tx.prepare_cached("DELETE FROM sync_purge")?.execute([])?;
    let columns = names.join(", ");
    let marks = (1..=names.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    tx.execute(&format!("INSERT INTO {table} ({columns}) VALUES ({marks})"), rusqlite::params_from_iter(values))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! On a real encrypted workspace whose clock runs two hours ahead of the service's: every
    //! write stamped in the future, then stamped again against the service's time. The child
    //! is invented.

    use super::latest_allowed;
    use crate::sync::tests::hello_at as hello;
    use crate::sync::outbox::{parse_stamp, stamp_key};
    use crate::Workspace;
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use porchlight_domain::{
        CaseFields, CaseStatus, CaseType, ChildFields, ContactFields, EventFields, Moment, NoteCategory, NoteInput, Relationship, Sex, StatusChange,
    };
    use porchlight_sync::{Entity, Op, OpBody, Replica, Stamp};
    use std::collections::BTreeMap;
    use uuid::Uuid;

    const PASSPHRASE: &str = "Clock on the porch runs fast 4";

    /// The service's time when the device first reaches it.
    fn server_t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap()
    }

    /// The device's wall clock, two hours ahead, `minutes` into the test.
    fn ahead(minutes: i64) -> Moment {
        Moment::at_utc(server_t0() + Duration::hours(2) + Duration::minutes(minutes))
    }

    fn lina() -> CaseFields {
        CaseFields {
            case_type: Some(CaseType::EndangeredRunaway),
            child: ChildFields {
                given_name: "Lina".into(),
                family_name: "Marsh".into(),
                date_of_birth: "2012-02-14".into(),
                sex: Some(Sex::Female),
                ..Default::default()
            },
            event: EventFields { last_seen_date: "2026-11-19".into(), city: "Norman".into(), state: "OK".into(), ..Default::default() },
            ..Default::default()
        }
    }

    /// A workspace enrolled at `at` (its writes queue ops from then on).
    fn enrolled(dir: &tempfile::TempDir, at: Moment) -> Workspace {
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, at).unwrap();
        let identity = crate::SyncIdentity {
            server_url: "https://sync.example.org".into(),
            device_id: Uuid::new_v4(),
            token: "t0ken-of-the-laptop".into(),
            user_id: Uuid::new_v4(),
            username: "rosa".into(),
            display_name: "Rosa Diaz".into(),
            role: "case_manager".into(),
        };
        ws.set_sync_identity(&identity, at).unwrap();
        ws
    }

    fn column(ws: &Workspace, sql: &str) -> Vec<(String, Option<Vec<u8>>)> {
        ws.conn.prepare(sql).unwrap().query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
    }

    fn field_stamps(ws: &Workspace) -> BTreeMap<(String, Vec<u8>, String), Stamp> {
        let mut stmt = ws.conn.prepare("SELECT entity, record_id, field, stamp FROM field_stamps").unwrap();
        stmt.query_map([], |row| Ok(((row.get(0)?, row.get(1)?, row.get(2)?), row.get::<_, String>(3)?)))
            .unwrap()
            .map(|row| {
                let (key, stamp) = row.unwrap();
                (key, parse_stamp(&stamp).unwrap())
            })
            .collect()
    }

    fn set_base(op: &Op, field: &str) -> Option<Stamp> {
        let OpBody::Set { fields, .. } = &op.body else { panic!("expected a set, got {op:?}") };
        fields.iter().find(|f| f.field == field).unwrap_or_else(|| panic!("{field} is not in {op:?}")).base
    }

    #[test]
    fn ops_stamped_hours_ahead_are_stamped_again_on_the_services_clock_with_everything_that_holds_their_stamps() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = enrolled(&dir, ahead(0));
        let case = ws.create_case(&lina(), ahead(1)).unwrap();
        let note = ws.add_note(case.id, &NoteInput { category: NoteCategory::Call, text: "Called the aunt in Moore.".into() }, ahead(2)).unwrap();
        ws.edit_note(note.current.note_id, 1, &NoteInput { category: NoteCategory::Call, text: "Called the aunt in Moore; no answer.".into() }, ahead(3))
            .unwrap();
        let mut fields = lina();
        fields.child.given_name = "Lena".into();
        fields.event.city = "Moore".into();
        let v2 = ws.update_case(case.id, 1, &fields, ahead(4)).unwrap();
        fields.child.given_name = "Leena".into();
        ws.update_case(case.id, v2.version, &fields, ahead(5)).unwrap();
        ws.change_status(case.id, &StatusChange { to: CaseStatus::Active, reason: "Police report filed".into(), outcome: None }, ahead(6)).unwrap();
        let contact = ContactFields { name: "Dana Marsh".into(), relationship: Some(Relationship::Grandparent), phones: vec!["(405) 555-0188".into()], ..Default::default() };
        ws.add_contact(case.id, &contact, ahead(7)).unwrap();

        let before = ws.outbox(usize::MAX).unwrap();
        let server_time = server_t0() + Duration::minutes(8);
        let limit = latest_allowed(server_time);
        assert!(before.iter().all(|op| op.stamp.time() > limit), "the test's premise: every op is stamped ahead");

        // The device first reaches the service eight minutes in, by its own clock two hours later.
        let hello = hello(server_time);
        ws.observe_server(&hello, ahead(8).utc).unwrap();
        let moved = ws.restamp_ahead(&hello, ahead(8).utc).unwrap();
        assert_eq!(moved, before.len() as u64, "every waiting op was ahead");

        let after = ws.outbox(usize::MAX).unwrap();
        assert_eq!(after.iter().map(|op| op.id).collect::<Vec<_>>(), before.iter().map(|op| op.id).collect::<Vec<_>>(), "ids and order kept");
        for (old, new) in before.iter().zip(&after) {
            assert!(new.stamp.time() <= limit && new.stamp > hello.server_stamp, "{:?} restamped to {:?}", old.stamp, new.stamp);
            assert_eq!(new.stamp.replica(), ws.replica_id());
            // Only stamps and bases change; the form of the new case is still read from its history.
            let strip = |op: &Op| {
                let mut op = op.clone();
                op.stamp = hello.server_stamp;
                if let OpBody::Set { fields, .. } = &mut op.body {
                    fields.iter_mut().for_each(|f| f.base = None);
                }
                if let OpBody::Append { base, .. } = &mut op.body {
                    *base = None;
                }
                op
            };
            assert_eq!(strip(old), strip(new));
        }
        assert!(after.windows(2).all(|w| w[0].stamp < w[1].stamp), "still in stamp order");

        // Bases of later ops follow the ops they named.
        let renamed: BTreeMap<Stamp, Stamp> = before.iter().zip(&after).map(|(o, n)| (o.stamp, n.stamp)).collect();
        for (old, new) in before.iter().zip(&after) {
            let bases = |op: &Op| -> Vec<Option<Stamp>> {
                match &op.body {
                    OpBody::Set { fields, .. } => fields.iter().map(|f| f.base).collect(),
                    OpBody::Append { base, .. } => vec![*base],
                    OpBody::Resolve => vec![],
                }
            };
            let expected: Vec<Option<Stamp>> = bases(old).into_iter().map(|b| b.map(|b| renamed.get(&b).copied().unwrap_or(b))).collect();
            assert_eq!(bases(new), expected, "{new:?}");
        }
        let data: Vec<&Op> = after.iter().filter(|op| op.entity() != Some(Entity::AuditEvent)).collect();
        let created = data[0].stamp;
        let edits: Vec<&&Op> = data.iter().filter(|op| op.entity() == Some(Entity::Case) && op.stamp != created).collect();
        assert_eq!(edits.len(), 2);
        assert_eq!(set_base(edits[0], "child.given_name"), Some(created));
        assert_eq!(set_base(edits[1], "child.given_name"), Some(edits[0].stamp));
        let statuses: Vec<&&Op> = data.iter().filter(|op| op.entity() == Some(Entity::StatusEvent)).collect();
        let OpBody::Append { base, .. } = &statuses[1].body else { unreachable!() };
        assert_eq!(*base, Some(statuses[0].stamp), "the status change names the first event's new stamp");

        // Field stamps: each row holds the stamp of the op that last wrote it.
        let stamps = field_stamps(&ws);
        assert!(stamps.values().all(|s| s.time() <= limit), "{stamps:?}");
        let case_row = |field: &str| stamps[&("case".to_owned(), case.id.as_uuid().as_bytes().to_vec(), field.to_owned())];
        assert_eq!(case_row("*"), created);
        assert_eq!(case_row("child.given_name"), edits[1].stamp);
        assert_eq!(case_row("event.city"), edits[0].stamp);
        let contact_op = data.iter().find(|op| op.entity() == Some(Entity::Contact)).unwrap();
        assert!(stamps.iter().any(|((entity, _, field), s)| entity == "contact" && field == "*" && *s == contact_op.stamp));

        // Note versions and status events carry their ops' new stamps, with keys that sort.
        for (table, entity) in [("note_versions", Entity::Note), ("status_events", Entity::StatusEvent)] {
            let rows = column(&ws, &format!("SELECT stamp, stamp_key FROM {table}"));
            let appended: Vec<Stamp> = data.iter().filter(|op| op.entity() == Some(entity)).map(|op| op.stamp).collect();
            assert_eq!(rows.len(), appended.len(), "{table}");
            for (stamp, key) in rows {
                let stamp = parse_stamp(&stamp).unwrap();
                assert!(appended.contains(&stamp), "{table} row stamped {stamp:?}, no op of which");
                assert_eq!(key, Some(stamp_key(&stamp).to_vec()));
            }
        }
        let notes = ws.notes(case.id).unwrap();
        assert_eq!((notes.len(), notes[0].versions, notes[0].current.text.as_str()), (1, 2, "Called the aunt in Moore; no answer."));
        assert_eq!(ws.get_case(case.id).unwrap().status, CaseStatus::Active, "the status in force is unchanged");

        // A second call finds nothing ahead and changes nothing.
        assert_eq!(ws.restamp_ahead(&hello, ahead(9).utc).unwrap(), 0);
        assert_eq!(ws.outbox(usize::MAX).unwrap(), after);
        assert_eq!(field_stamps(&ws), stamps);

        // The clock was wound back: the next edit is stamped near the service's time, after the rest.
        ws.add_note(case.id, &NoteInput { category: NoteCategory::LeadTip, text: "A tip from a bus driver.".into() }, ahead(10)).unwrap();
        let next = ws.outbox(usize::MAX).unwrap().into_iter().find(|op| op.entity() == Some(Entity::Note) && !after.contains(op)).unwrap();
        assert!(next.stamp > after.last().unwrap().stamp);
        let expected = server_time + Duration::minutes(2);
        assert!((next.stamp.time() - expected).num_seconds().abs() < 2, "stamped {} instead of about {expected}", next.stamp.time());
    }

    #[test]
    fn a_clock_within_the_bound_leaves_the_workspace_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        // Four minutes ahead: within what the service accepts, and outside the margin.
        let wall = server_t0() + Duration::minutes(3);
        let mut ws = enrolled(&dir, Moment::at_utc(wall));
        ws.create_case(&lina(), Moment::at_utc(wall)).unwrap();
        let before = ws.outbox(usize::MAX).unwrap();
        let hello = hello(server_t0());
        ws.observe_server(&hello, wall).unwrap();
        assert_eq!(ws.restamp_ahead(&hello, wall).unwrap(), 0);
        assert_eq!(ws.outbox(usize::MAX).unwrap(), before);
    }
}
