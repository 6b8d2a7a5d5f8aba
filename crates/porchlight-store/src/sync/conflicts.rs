//! The conflict inbox: open conflicts as people see them (both values side by side, in words,
//! with who wrote each and when, which is this device's and which is in force), and settling
//! one (keep mine, keep theirs, or an edited value), which writes the chosen value here at once
//! and adds the op that settles it at the service, audited. It does not raise conflicts: the
//! service does, by its merge rule.

use crate::audit;
use crate::error::StoreError;
use crate::status;
use crate::sync::outbox::{stamp_key, Outbox};
use crate::sync::records::{self, Origin};
use crate::sync::words;
use crate::workspace::Workspace;
use porchlight_domain::{
    AuditAction, CaseId, CaseStatus, ConflictChoice, ConflictResolution, ConflictSideView, ConflictView, FieldError, Moment,
    PhotoMeta, RecordId,
};
use porchlight_sync::{ConflictRecord, ConflictSide, Entity, Resolution};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;
use uuid::Uuid;

fn parse_record(json: &str) -> Result<ConflictRecord, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("a stored conflict cannot be read: {e}")))
}

/// Which side of a conflict is this person's: the one written on this device, or else the one
/// not in force (the value that would otherwise be lost from sight).
struct Sides<'a> {
    mine: &'a ConflictSide,
    theirs: &'a ConflictSide,
    in_force: ConflictChoice,
}

fn sides(record: &ConflictRecord, replica: porchlight_sync::ReplicaId) -> Sides<'_> {
    if record.kept.stamp.replica() == replica && record.other.stamp.replica() != replica {
        Sides { mine: &record.kept, theirs: &record.other, in_force: ConflictChoice::Mine }
    } else {
        Sides { mine: &record.other, theirs: &record.kept, in_force: ConflictChoice::Theirs }
    }
}

fn side_view(record: &ConflictRecord, side: &ConflictSide, replica: porchlight_sync::ReplicaId) -> ConflictSideView {
    ConflictSideView {
        display: words::value_words(&record.field, &side.value),
        raw: side.value.to_string(),
        by: side.by.clone(),
        at: side.stamp.time(),
        this_device: side.stamp.replica() == replica,
    }
}

/// The status a side of a status race stands for: its code, or the `to` of its event.
fn status_of(value: &Value) -> Option<CaseStatus> {
    value.as_str().or_else(|| value.get("to").and_then(Value::as_str)).and_then(CaseStatus::from_code)
}

impl Workspace {
    /// The conflicts waiting for a person, of one case or of all, oldest first.
    pub fn conflicts(&self, case: Option<CaseId>) -> Result<Vec<ConflictView>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT k.record, c.id, c.case_number, c.given_name, c.family_name
             FROM conflicts k JOIN cases c ON c.id = k.case_id
             WHERE k.resolved = 0 AND (?1 IS NULL OR k.case_id = ?1) ORDER BY k.rowid",
        )?;
        let rows = stmt.query_map([case.map(|c| *c.as_uuid().as_bytes())], |row| {
            Ok((row.get::<_, String>(0)?, crate::cases::id_from_row(row, 1)?, row.get::<_, String>(2)?, row.get::<_, String>(3)?, row.get::<_, String>(4)?))
        })?;
        let mut views = Vec::new();
        for row in rows {
            let (json, case_id, case_number, given, family) = row?;
            let record = parse_record(&json)?;
            let sides = sides(&record, self.replica);
            views.push(ConflictView {
                id: record.id.to_string(),
                case_id,
                case_number,
                child_name: format!("{given} {family}").trim().to_owned(),
                field: record.field.clone(),
                field_label: words::field_label(record.entity, &record.field),
                mine: side_view(&record, sides.mine, self.replica),
                theirs: side_view(&record, sides.theirs, self.replica),
                in_force: sides.in_force,
            });
        }
        Ok(views)
    }

    /// Settles a conflict. Keep mine writes this person's value (stamped after the value in
    /// force, so it wins without a new conflict); keep theirs writes theirs, or only marks the
    /// conflict settled when theirs is already in force; an edit writes the new value (JSON of
    /// the field's type) once the field accepts it. A status race is settled by moving the case
    /// to the chosen status. The conflict shows as resolved here at once; the op that settles it
    /// at the service waits in the outbox, and the resolution is audited.
    pub fn resolve_conflict(&mut self, conflict_id: &str, resolution: &ConflictResolution, now: Moment) -> Result<(), StoreError> {
        let id = Uuid::parse_str(conflict_id.trim())
            .map_err(|_| StoreError::field("conflict_id", format!("{conflict_id:?} is not a conflict id; choose the conflict from the inbox again.")))?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let json: Option<String> =
            tx.prepare_cached("SELECT record FROM conflicts WHERE id = ?1")?.query_row([id.as_bytes()], |row| row.get(0)).optional()?;
        let Some(json) = json else { return Err(StoreError::RecordNotFound { kind: "conflict", id: RecordId::from_uuid(id) }) };
        let mut record = parse_record(&json)?;
        if record.resolution.is_some() {
            return Ok(());
        }
        let seq: i64 = tx
            .prepare_cached("SELECT seq FROM cases WHERE id = ?1")?
            .query_row([record.case_id.as_bytes()], |row| row.get(0))
            .optional()?
            .ok_or(StoreError::NotFound(CaseId::from_uuid(record.case_id)))?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        let sides = sides(&record, self.replica);
        let (op_id, choice) = if record.entity == Entity::StatusEvent || record.field == "status" {
            settle_status(&out, &record, &sides, resolution, seq)?
        } else {
            settle_field(&out, &record, &sides, resolution, seq)?
        };
        record.resolution = Some(Resolution { op_id, by: display_name(&tx)?.unwrap_or_else(|| change.actor.clone()), at: now.utc });
        let json = serde_json::to_string(&record).map_err(|e| StoreError::Corrupt(format!("a conflict could not be written as JSON: {e}")))?;
        tx.prepare_cached("UPDATE conflicts SET record = ?2, resolved = 1 WHERE id = ?1")?.execute(rusqlite::params![id.as_bytes(), json])?;
        let detail = format!("conflict {id}; {} {} field {}; {choice}", record.entity.as_str(), record.record_id, record.field);
        audit::append(&out, Some(CaseId::from_uuid(record.case_id)), AuditAction::ConflictResolved, &detail)?;
        crate::search::reindex_seq(&tx, seq)?;
        tx.commit()?;
        self.forget_totals();
        Ok(())
    }
}

/// The name this device syncs as, for "resolved by".
fn display_name(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn.query_row("SELECT display_name FROM sync_meta WHERE id = 1", [], |row| row.get::<_, Option<String>>(0))?.filter(|n| !n.trim().is_empty()))
}

/// Settles a conflict over one field; returns the op and the choice in words for the audit.
fn settle_field(out: &Outbox, record: &ConflictRecord, sides: &Sides, resolution: &ConflictResolution, seq: i64) -> Result<(Uuid, &'static str), StoreError> {
    let mine_in_force = sides.in_force == ConflictChoice::Mine;
    let (value, choice) = match resolution {
        ConflictResolution::KeepMine => (Some(sides.mine.value.clone()), "kept mine"),
        ConflictResolution::KeepTheirs if mine_in_force => (Some(sides.theirs.value.clone()), "kept theirs"),
        ConflictResolution::KeepTheirs => (None, "kept theirs"),
        ConflictResolution::Edit { value } => (Some(checked_edit(out.tx, record, value, out.change.now)?), "edited"),
    };
    let Some(value) = value else {
        return Ok((out.resolve(record.case_id, vec![record.id])?.id, choice));
    };
    let updates = vec![(record.field.clone(), value)];
    let written: Vec<records::Update> = updates.iter().map(|(field, value)| (field.as_str(), value)).collect();
    let origin = Origin { actor: &out.change.actor, at: out.change.at.clone() };
    match record.entity {
        Entity::Case => {
            records::write_case(out.tx, record.case_id, &written, &origin)?;
        }
        Entity::Contact => {
            records::write_contact(out.tx, record.case_id, record.record_id, &written, &origin, false)?;
        }
        Entity::Photo => {
            records::write_photo(out.tx, seq, record.record_id, &written, &origin)?;
        }
        other => return Err(StoreError::Corrupt(format!("a conflict over {} records cannot be settled by a value", other.as_str()))),
    }
    let op = out
        .set_resolving(record.case_id, record.entity, record.record_id, updates, false, vec![record.id])?
        .ok_or_else(|| StoreError::Corrupt("settling a conflict wrote no field".into()))?;
    Ok((op.id, choice))
}

/// Reads an edited value and checks it as the field's own form would, naming the field.
fn checked_edit(tx: &Connection, record: &ConflictRecord, text: &str, now: Moment) -> Result<Value, StoreError> {
    let field = record.field.as_str();
    let label = words::field_label(record.entity, field);
    let value: Value = serde_json::from_str(text.trim()).map_err(|_| {
        StoreError::field(field, format!("The new value for {label} is not readable; write it as JSON, e.g. \"Ana\" with quotes for words, 152 for a number, true or false."))
    })?;
    let unfit = |e: &dyn std::fmt::Display| StoreError::field(field, format!("That value does not fit {label} ({e}); start from one of the two values shown."));
    let faults: Vec<FieldError> = match record.entity {
        Entity::Case => {
            let seq: i64 = tx.query_row("SELECT seq FROM cases WHERE id = ?1", [record.case_id.as_bytes()], |row| row.get(0))?;
            let mut state = records::case_state(tx, seq)?;
            state.insert(field.to_owned(), value.clone());
            match field {
                "archived" if !value.is_boolean() => return Err(unfit(&"it must be true or false")),
                "case_number" => Vec::new(),
                _ => records::case_form_from(&state).map_err(|e| unfit(&e))?.validate(now.local).err().unwrap_or_default(),
            }
        }
        Entity::Contact => {
            let contact = crate::contacts::read(tx, RecordId::from_uuid(record.record_id))?;
            let mut state = records::contact_state(&contact)?;
            state.insert(field.to_owned(), value.clone());
            if field == "removed_reason" {
                if !(value.is_null() || value.as_str().is_some_and(|r| !r.trim().is_empty())) {
                    return Err(unfit(&"it must be null (current) or the reason for removing the contact"));
                }
                Vec::new()
            } else {
                records::contact_form_from(&state).map_err(|e| unfit(&e))?.validate().err().unwrap_or_default()
            }
        }
        Entity::Photo => {
            let meta_fields = ["kind", "age_progressed_to", "taken_on", "child_age", "source", "consent_to_publish"];
            if meta_fields.contains(&field) {
                let seq: i64 = tx.query_row("SELECT seq FROM cases WHERE id = ?1", [record.case_id.as_bytes()], |row| row.get(0))?;
                let mut state = records::photo_states(tx, seq)?.remove(&record.record_id).unwrap_or_default();
                state.insert(field.to_owned(), value.clone());
                let meta: Fields = state.into_iter().filter(|(k, _)| meta_fields.contains(&k.as_str())).collect();
                let meta: PhotoMeta = serde_json::from_value(porchlight_sync::fields::unflatten(&meta)).map_err(|e| unfit(&e))?;
                meta.validate(now.local.date()).err().unwrap_or_default()
            } else if value.is_boolean() {
                Vec::new()
            } else {
                return Err(unfit(&"it must be true or false"));
            }
        }
        _ => Vec::new(),
    };
    let about_field: Vec<FieldError> = faults
        .into_iter()
        .filter(|f| f.field == field || f.field.starts_with(&format!("{field}.")))
        .map(|f| FieldError::new(field, f.message))
        .collect();
    if about_field.is_empty() {
        Ok(value)
    } else {
        Err(StoreError::Validation(about_field))
    }
}

type Fields = records::Fields;

/// Settles a status race by moving the case to the chosen status (or only marking the conflict
/// settled when the case already has it).
fn settle_status(out: &Outbox, record: &ConflictRecord, sides: &Sides, resolution: &ConflictResolution, seq: i64) -> Result<(Uuid, &'static str), StoreError> {
    // A side that is a whole status event keeps its outcome (how a resolved case ended).
    let outcome_of = |value: &Value| {
        value.get("outcome").and_then(Value::as_str).and_then(|o| serde_json::from_value::<porchlight_domain::Outcome>(Value::from(o)).ok())
    };
    let (chosen, outcome, choice) = match resolution {
        ConflictResolution::KeepMine => (status_of(&sides.mine.value), outcome_of(&sides.mine.value), "kept mine"),
        ConflictResolution::KeepTheirs => (status_of(&sides.theirs.value), outcome_of(&sides.theirs.value), "kept theirs"),
        ConflictResolution::Edit { value } => {
            let code: Option<String> = serde_json::from_str::<Value>(value.trim())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .or_else(|| Some(value.trim().to_owned()));
            let chosen = code.as_deref().and_then(CaseStatus::from_code);
            if chosen.is_none() {
                let options: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.code()).collect();
                return Err(StoreError::field("status", format!("Choose one of the statuses: {}.", options.join(", "))));
            }
            (chosen, None, "edited")
        }
    };
    let chosen = chosen.ok_or_else(|| StoreError::Corrupt(format!("conflict {} holds a status this version cannot read", record.id)))?;
    let (tx, change) = (out.tx, out.change);
    let current = status::current_status(tx, seq)?;
    if chosen == current {
        return Ok((out.resolve(record.case_id, vec![record.id])?.id, choice));
    }
    let base = records::newest_status_stamp(tx, seq)?;
    let stamp = out.tick()?;
    let event_id = out.new_id();
    let reason = format!("Two status changes were made at once; settled on {}.", chosen.label());
    let outcome = outcome.filter(|_| chosen == CaseStatus::Resolved);
    tx.prepare_cached(
        "INSERT INTO status_events (case_seq, from_status, to_status, reason, outcome, actor, at, id, stamp, stamp_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(rusqlite::params![
        seq,
        current.code(),
        chosen.code(),
        reason,
        outcome.map(crate::status::outcome_code),
        change.actor,
        change.at,
        event_id.as_bytes(),
        stamp.to_string(),
        stamp_key(&stamp).to_vec()
    ])?;
    records::refresh_status(tx, seq)?;
    let event = records::status_record(Some(current), chosen, &reason, outcome, &change.actor, &change.at);
    let op = out.append_resolving(record.case_id, Entity::StatusEvent, event_id, event, base, stamp, vec![record.id])?;
    Ok((op.id, choice))
}
