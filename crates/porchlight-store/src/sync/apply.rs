//! Applying what the central service sends: the answer to a push (acknowledged ops leave the
//! outbox, refused ones are kept with their reasons, the service's state of each record is
//! taken) and a page of changes (cases that left the user's scope leave the device whole, then
//! records by the stamp rule, append-only records once, conflicts by id, then the cursor), each
//! in one transaction. It never sends anything and never decides scope: the service does.

use crate::error::StoreError;
use crate::sync::outbox::{self, stamp_key, RecordStamps, ALL_FIELDS};
use crate::sync::prepared::{self, PreparedPage, Ready};
use crate::sync::records::{self, Origin, REMOTE_ACTOR};
use crate::sync::words;
use porchlight_sync::{AppendedRecord, Change, Clock, ConflictRecord, Entity, Op, OpBody, RecordState, RejectCode, Stamp};
use rusqlite::{Connection, OptionalExtension};
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// The reason given to the user for local changes of a case that left their scope.
pub(crate) const OUT_OF_SCOPE_REASON: &str = "this case is no longer shared with you";

/// The fields that ops still waiting in the outbox write, and the conflicts they settle: a
/// value received from the service never overwrites a local edit the service has not seen yet.
/// One field of one record: (entity, record id, dotted field).
type FieldOf = (Entity, Uuid, String);

pub(crate) struct Pending {
    /// Per case with waiting ops, the fields they write; None for a case with none. Filled as
    /// cases come up, so a page of thousands of cases costs one index probe each.
    fields: HashMap<Uuid, Option<HashSet<FieldOf>>>,
    resolves: HashSet<Uuid>,
}

impl Pending {
    pub(crate) fn load(tx: &Connection) -> Result<Pending, StoreError> {
        let mut resolves = HashSet::new();
        let mut stmt = tx.prepare_cached("SELECT op FROM outbox WHERE resolving = 1")?;
        for json in stmt.query_map([], |row| row.get::<_, String>(0))? {
            resolves.extend(parse_op(&json?)?.resolves);
        }
        Ok(Pending { fields: HashMap::new(), resolves })
    }

    /// The fields that waiting ops of the case write; None when no op of the case waits.
    fn of_case(&mut self, tx: &Connection, case_id: Uuid) -> Result<Option<&HashSet<FieldOf>>, StoreError> {
        if let std::collections::hash_map::Entry::Vacant(entry) = self.fields.entry(case_id) {
            let mut written: Option<HashSet<FieldOf>> = None;
            let mut stmt = tx.prepare_cached("SELECT op, fields_from FROM outbox WHERE case_id = ?1")?;
            let rows: Vec<(String, Option<i64>)> = stmt.query_map([case_id.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
            for (json, fields_from) in rows {
                let set = written.get_or_insert_with(HashSet::new);
                if let OpBody::Set { entity, record_id, fields } = outbox::read_op(tx, &json, fields_from)?.body {
                    set.extend(fields.into_iter().map(|w| (entity, record_id, w.field)));
                }
            }
            entry.insert(written);
        }
        Ok(self.fields[&case_id].as_ref())
    }
}

pub(crate) fn parse_op(json: &str) -> Result<Op, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("an op in the outbox cannot be read: {e}")))
}

/// What one transaction of received changes has touched: the cases whose search entry must be
/// rewritten before it commits (once per case, however many of its records a page brought),
/// and the row numbers of the cases found so far, so that each is looked up once.
#[derive(Default)]
pub(crate) struct Batch {
    reindex: BTreeSet<i64>,
    /// Cases new to this device: their search entries are left to the backlog.
    arrived: BTreeSet<i64>,
    /// The records written so far: a page may bring one twice (as made, then as changed).
    written: HashSet<Uuid>,
    rows: HashMap<Uuid, i64>,
}

impl Batch {
    pub(crate) fn touched(&mut self, case_seq: i64) {
        self.reindex.insert(case_seq);
    }

    fn arrived(&mut self, case_id: Uuid, case_seq: i64) {
        self.rows.insert(case_id, case_seq);
        self.arrived.insert(case_seq);
    }

    /// The row number of a case on this device, if it is here.
    fn case_seq(&mut self, tx: &Connection, case_id: Uuid) -> Result<Option<i64>, StoreError> {
        if let Some(seq) = self.rows.get(&case_id) {
            return Ok(Some(*seq));
        }
        let seq: Option<i64> = tx.prepare_cached("SELECT seq FROM cases WHERE id = ?1")?.query_row([case_id.as_bytes()], |row| row.get(0)).optional()?;
        if let Some(seq) = seq {
            self.rows.insert(case_id, seq);
        }
        Ok(seq)
    }

    /// Writes the search entries of the cases that changed, and leaves those of the cases that
    /// arrived to the backlog (see migration 0007), with any case still waiting there: its entry
    /// will be written from what it holds then.
    pub(crate) fn reindex(self, tx: &Connection) -> Result<(), StoreError> {
        for seq in &self.arrived {
            crate::search::index_later(tx, *seq)?;
        }
        for seq in self.reindex {
            if !self.arrived.contains(&seq) && !crate::search::is_in_backlog(tx, seq)? {
                crate::search::reindex_in_bulk(tx, seq)?;
            }
        }
        Ok(())
    }
}

/// Applies the fields of `state` that are newer than what this replica holds and that no
/// waiting op writes. `superseded` is the stamp of an op the service has just answered: a field
/// this replica still holds at that stamp takes the service's value even if it is older, which
/// is how a refused or out-merged write is taken back. `ready` is what was made of the record
/// ahead of the transaction, as if it were new to this device.
pub(crate) fn apply_record(
    tx: &Connection,
    pending: &mut Pending,
    state: &RecordState,
    superseded: Option<Stamp>,
    ready: Option<&Ready>,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    if !state.entity.is_mutable() {
        return Ok(());
    }
    // A case this device does not hold, or one that arrived in this transaction, has no stamps
    // and no waiting ops here (a case leaves the device with all of them): nothing to look up
    // for it or its records not written yet in this transaction, which is every record of a
    // first sync.
    let case_here = batch.case_seq(tx, state.case_id)?;
    let new_here = !batch.written.contains(&state.record_id)
        && match case_here {
            None => true,
            Some(seq) => batch.arrived.contains(&seq),
        };
    let held = if new_here { RecordStamps::default() } else { RecordStamps::load(tx, state.entity, state.record_id)? };
    let waiting = if new_here { None } else { pending.of_case(tx, state.case_id)? };
    // A record new to this device with no op of its case waiting (every record of a first sync)
    // takes every field, without a look at each, from what was made of it ahead when that fits.
    let takes_all = held.is_empty() && waiting.is_none();
    if let (true, Some(ready)) = (takes_all, ready) {
        if store_ready(tx, state, case_here, new_here, ready, batch)? {
            return Ok(());
        }
    }
    let updates: Vec<records::Update> = if takes_all {
        state.fields.iter().map(|(field, value)| (field.as_str(), value)).collect()
    } else {
        let mut updates = Vec::new();
        for (field, value) in &state.fields {
            let stamp = state.stamp_of(field);
            let newer = match held.of(field) {
                None => true,
                Some(local) => stamp > local || (superseded == Some(local) && stamp != local),
            };
            let written_here = || waiting.is_some_and(|set| set.contains(&(state.entity, state.record_id, field.clone())));
            if newer && !written_here() {
                updates.push((field.as_str(), value));
            }
        }
        updates
    };
    if updates.is_empty() {
        return Ok(());
    }
    let newest = updates.iter().map(|(field, _)| state.stamp_of(field)).max().unwrap_or(state.stamp);
    let origin = Origin::of_stamp(REMOTE_ACTOR, newest);
    let (seq, applied, whole) = match state.entity {
        Entity::Case => match if case_here.is_some() { records::write_case(tx, state.case_id, &updates, &origin)? } else { None } {
            Some((seq, applied)) => (seq, applied, false),
            None => match records::create_case(tx, state.case_id, &updates, &Origin::of_stamp(REMOTE_ACTOR, state.stamp))? {
                Some((seq, applied)) => {
                    batch.arrived(state.case_id, seq);
                    (seq, applied, true)
                }
                None => return Ok(()),
            },
        },
        Entity::Contact | Entity::Photo => {
            let Some(seq) = case_here else { return Ok(()) };
            let applied = if state.entity == Entity::Contact {
                records::write_contact(tx, state.case_id, state.record_id, &updates, &origin, new_here)?
            } else {
                records::write_photo(tx, seq, state.record_id, &updates, &origin)?
            };
            (seq, applied, held.is_empty())
        }
        _ => return Ok(()),
    };
    if whole {
        // A record new to this device: one row for the common stamp, rows for the others.
        outbox::set_record_stamp(tx, state.entity, state.record_id, state.case_id, state.stamp)?;
        for field in &applied {
            let stamp = state.stamp_of(field);
            if stamp != state.stamp {
                outbox::set_field_stamp(tx, state.entity, state.record_id, state.case_id, field, stamp)?;
            }
        }
    } else {
        for field in &applied {
            outbox::set_field_stamp(tx, state.entity, state.record_id, state.case_id, field, state.stamp_of(field))?;
        }
    }
    batch.touched(seq);
    batch.written.insert(state.record_id);
    Ok(())
}

/// Stores a record that takes every field (one new to this device, with no op of its case
/// waiting) from what was made of it ahead. Answers false when what was made does not fit
/// where the record stands here (a case already here, a contact whose case was here before
/// this transaction), and the record is then stored the usual way.
fn store_ready(tx: &Connection, state: &RecordState, case_here: Option<i64>, new_here: bool, ready: &Ready, batch: &mut Batch) -> Result<bool, StoreError> {
    let (seq, stamp) = match (ready, case_here) {
        (Ready::Case { new, stamp }, None) => {
            let seq = new.insert(tx, state.case_id, REMOTE_ACTOR)?;
            batch.arrived(state.case_id, seq);
            (seq, stamp)
        }
        (Ready::Contact { new, stamp }, Some(seq)) if new_here => {
            new.insert(tx, state.case_id, state.record_id, REMOTE_ACTOR)?;
            (seq, stamp)
        }
        _ => return Ok(false),
    };
    // A record new to this device: one row for the common stamp, rows for the others.
    outbox::set_field_stamp_text(tx, state.entity, state.record_id, state.case_id, ALL_FIELDS, stamp)?;
    for (field, own) in &state.stamps {
        if *own != state.stamp && state.fields.contains_key(field) {
            outbox::set_field_stamp(tx, state.entity, state.record_id, state.case_id, field, *own)?;
        }
    }
    batch.touched(seq);
    batch.written.insert(state.record_id);
    Ok(true)
}

/// Inserts an append-only record unless it is already here, from its row made ahead when there
/// is one. Audit events are the service's to keep and never come back; anything else unknown
/// is left alone.
pub(crate) fn apply_appended(tx: &Connection, appended: &AppendedRecord, ready: Option<&Ready>, batch: &mut Batch) -> Result<(), StoreError> {
    let Some(seq) = batch.case_seq(tx, appended.case_id)? else { return Ok(()) };
    let new = match (appended.entity, ready) {
        (Entity::StatusEvent, Some(Ready::Status(row))) => row.insert(tx, seq)?,
        (Entity::StatusEvent, _) => records::insert_status_event(tx, seq, appended.record_id, appended.stamp, &appended.record)?,
        (Entity::Note, Some(Ready::Note(row))) => row.insert(tx)?,
        (Entity::Note, _) => records::insert_note_version(tx, appended.case_id, appended.record_id, appended.stamp, &appended.record)?,
        _ => false,
    };
    if new {
        batch.touched(seq);
    }
    Ok(())
}

/// Stores a conflict, replacing an earlier copy of the same id. An unresolved copy does not undo
/// a resolution made here whose op still waits in the outbox.
pub(crate) fn upsert_conflict(tx: &Connection, pending: &Pending, conflict: &ConflictRecord, batch: &mut Batch) -> Result<(), StoreError> {
    if conflict.resolution.is_none() && pending.resolves.contains(&conflict.id) {
        return Ok(());
    }
    if batch.case_seq(tx, conflict.case_id)?.is_none() {
        return Ok(());
    }
    let json = serde_json::to_string(conflict).map_err(|e| StoreError::Corrupt(format!("a conflict could not be written as JSON: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO conflicts (id, case_id, entity, record_id, field, record, resolved) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET record = excluded.record, resolved = excluded.resolved
         WHERE record IS NOT excluded.record",
    )?
    .execute(rusqlite::params![
        conflict.id.as_bytes(),
        conflict.case_id.as_bytes(),
        conflict.entity.as_str(),
        conflict.record_id.as_bytes(),
        conflict.field,
        json,
        conflict.resolution.is_some(),
    ])?;
    Ok(())
}

/// Keeps a refused op for the user with its reason and takes back what it appended locally (a
/// note or status change the service will never hold), so the device ends up as the service.
pub(crate) fn record_rejection(tx: &Connection, op: &Op, code: RejectCode, reason: &str, made_at: &str, refused_at: &str, batch: &mut Batch) -> Result<(), StoreError> {
    let seq = batch.case_seq(tx, op.case_id)?;
    let (case_number, child): (String, Option<String>) = match seq {
        Some(seq) => tx.query_row("SELECT case_number, given_name || ' ' || family_name FROM cases WHERE seq = ?1", [seq], |row| {
            Ok((row.get(0)?, Some(row.get(1)?)))
        })?,
        None => (String::new(), None),
    };
    let what = words::describe_op(op, child.as_deref());
    let json = serde_json::to_string(op).map_err(|e| StoreError::Corrupt(format!("an op could not be written as JSON: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO rejected_ops (op_id, case_id, op, code, reason, case_number, what, made_at, refused_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (op_id) DO NOTHING",
    )?
    .execute(rusqlite::params![op.id.as_bytes(), op.case_id.as_bytes(), json, reject_code(code), reason, case_number, what, made_at, refused_at])?;
    if let (Some(seq), OpBody::Append { entity, record_id, .. }) = (seq, &op.body) {
        let table = match entity {
            Entity::StatusEvent => Some("status_events"),
            Entity::Note => Some("note_versions"),
            _ => None,
        };
        if let Some(table) = table {
            tx.prepare_cached("INSERT INTO sync_purge (record_id) VALUES (?1)")?.execute([record_id.as_bytes()])?;
            tx.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [record_id.as_bytes()])?;
            tx.prepare_cached("DELETE FROM sync_purge")?.execute([])?;
            records::refresh_status(tx, seq)?;
            batch.touched(seq);
        }
    }
    Ok(())
}

pub(crate) fn reject_code(code: RejectCode) -> &'static str {
    match code {
        RejectCode::NotInScope => "not_in_scope",
        RejectCode::NotAllowed => "not_allowed",
        RejectCode::Invalid => "invalid",
        RejectCode::FutureStamp => "future_stamp",
        RejectCode::Unknown => "unknown",
    }
}

/// Removes every row of a case that left the user's scope: the case, its history, contacts,
/// notes, status events, photos (and their images when no other case uses them), search entry,
/// stamps, conflicts, audit lines and posters. Its ops still waiting are listed as refused,
/// without the case's id or values (the list names the case by number); audit ops of the case
/// go with it, since the service would refuse them now.
pub(crate) fn purge_case(tx: &Connection, case_id: Uuid, refused_at: &str) -> Result<(), StoreError> {
    let id = case_id.as_bytes();
    let found: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, case_number FROM cases WHERE id = ?1")?
        .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let case_number = found.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
    let nil = Uuid::nil();
    // Waiting ops become refusals that keep only what the change was, in words without names.
    let waiting: Vec<(String, String, Option<i64>)> = tx
        .prepare("SELECT op, made_at, fields_from FROM outbox WHERE case_id = ?1 ORDER BY seq")?
        .query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (json, made_at, fields_from) in waiting {
        let op = outbox::read_op(tx, &json, fields_from)?;
        if op.entity() == Some(Entity::AuditEvent) {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO rejected_ops (op_id, case_id, op, code, reason, case_number, what, made_at, refused_at)
             VALUES (?1, ?2, ?3, 'not_in_scope', ?4, ?5, ?6, ?7, ?8) ON CONFLICT (op_id) DO NOTHING",
        )?
        .execute(rusqlite::params![op.id.as_bytes(), nil.as_bytes(), words::redacted_op(&op), OUT_OF_SCOPE_REASON, case_number, words::describe_op(&op, None), made_at, refused_at])?;
    }
    tx.prepare_cached("DELETE FROM outbox WHERE case_id = ?1")?.execute([id])?;
    // Earlier refusals of the case lose its id and values the same way.
    let refused: Vec<(Vec<u8>, String)> =
        tx.prepare("SELECT op_id, op FROM rejected_ops WHERE case_id = ?1")?.query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
    for (op_id, json) in refused {
        let (redacted, what) = match parse_op(&json) {
            Ok(op) => (words::redacted_op(&op), words::describe_op(&op, None)),
            Err(_) => ("{}".to_owned(), "A change".to_owned()),
        };
        tx.prepare_cached("UPDATE rejected_ops SET case_id = ?2, op = ?3, what = ?4 WHERE op_id = ?1")?
            .execute(rusqlite::params![op_id, nil.as_bytes(), redacted, what])?;
    }
    tx.prepare_cached("DELETE FROM conflicts WHERE case_id = ?1")?.execute([id])?;
    tx.prepare_cached("DELETE FROM field_stamps WHERE case_id = ?1")?.execute([id])?;
    let Some((seq, _)) = found else { return Ok(()) };
    tx.prepare_cached("INSERT INTO sync_purge (case_id) VALUES (?1)")?.execute([id])?;
    let images: Vec<String> =
        tx.prepare_cached("SELECT DISTINCT sha256 FROM case_photos WHERE case_seq = ?1")?.query_map([seq], |row| row.get(0))?.collect::<Result<_, _>>()?;
    tx.prepare_cached("DELETE FROM case_photos WHERE case_seq = ?1")?.execute([seq])?;
    for sha256 in &images {
        let used = tx.prepare_cached("SELECT 1 FROM case_photos WHERE sha256 = ?1")?.exists([sha256])?;
        if !used {
            for table in ["thumbnails", "upright_images", "blobs", "blob_sync"] {
                tx.execute(&format!("DELETE FROM {table} WHERE sha256 = ?1"), [sha256])?;
            }
        }
    }
    let posters: Vec<Vec<u8>> =
        tx.prepare_cached("SELECT poster_id FROM poster_cases WHERE case_id = ?1")?.query_map([id], |row| row.get(0))?.collect::<Result<_, _>>()?;
    for poster in &posters {
        // A poster of several children printed this one's public text too: it goes whole.
        tx.prepare_cached("DELETE FROM poster_cases WHERE poster_id = ?1")?.execute([poster])?;
        tx.prepare_cached("DELETE FROM posters WHERE id = ?1")?.execute([poster])?;
    }
    tx.prepare_cached("DELETE FROM case_search WHERE rowid = ?1")?.execute([seq])?;
    tx.prepare_cached("DELETE FROM search_backlog WHERE seq = ?1")?.execute([seq])?;
    for sql in [
        "DELETE FROM note_versions WHERE case_id = ?1",
        "DELETE FROM contact_events WHERE case_id = ?1",
        "DELETE FROM contacts WHERE case_id = ?1",
        "DELETE FROM audit_log WHERE case_id = ?1",
    ] {
        tx.prepare_cached(sql)?.execute([id])?;
    }
    for sql in ["DELETE FROM status_events WHERE case_seq = ?1", "DELETE FROM case_events WHERE case_seq = ?1", "DELETE FROM cases WHERE seq = ?1"] {
        tx.prepare_cached(sql)?.execute([seq])?;
    }
    tx.prepare_cached("DELETE FROM sync_purge")?.execute([])?;
    Ok(())
}

/// Folds the service's clock into this replica's: its stamp (so every later local stamp is
/// larger) and its offset from the local wall clock. What is saved is the largest stamp known,
/// so applying the same answer twice saves the same.
pub(crate) fn observe_server(tx: &Connection, clock: &Clock, server_stamp: Stamp, server_time: chrono::DateTime<chrono::Utc>, wall: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
    clock.observe(&server_stamp);
    clock.set_server_time(server_time, wall);
    let saved: Option<String> = tx.query_row("SELECT last_stamp FROM sync_meta WHERE id = 1", [], |row| row.get(0))?;
    let saved = saved.as_deref().map(outbox::parse_stamp).transpose()?;
    let last = match saved {
        Some(s) if stamp_key(&s) > stamp_key(&server_stamp) => s,
        _ => server_stamp,
    };
    outbox::save_clock(tx, clock, last)
}

/// Applies the changes of a page, with what was made of them ahead (`PreparedPage`), in an
/// order that lets every record find its case: cases first.
pub(crate) fn apply_changes(tx: &Connection, changes: &[Change], prepared: &PreparedPage, batch: &mut Batch) -> Result<(), StoreError> {
    let mut pending = Pending::load(tx)?;
    let is_case = |change: &&Change| matches!(change, Change::Record(r) if r.entity == Entity::Case);
    let cases = changes.iter().enumerate().filter(|(_, c)| is_case(c));
    let rest = changes.iter().enumerate().filter(|(_, c)| !is_case(c));
    for (index, change) in cases.chain(rest) {
        let ready = prepared.get(index, prepared::record_id(change));
        match change {
            Change::Record(state) => apply_record(tx, &mut pending, state, None, ready, batch)?,
            Change::Appended(appended) => apply_appended(tx, appended, ready, batch)?,
            Change::Conflict(conflict) => upsert_conflict(tx, &pending, conflict, batch)?,
        }
    }
    Ok(())
}
