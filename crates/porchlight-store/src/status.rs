//! Status changes of a case as append-only events. The current status is the `to` of the
//! case's newest event by sync stamp (an event made on another device may arrive after a later
//! one made here); `cases.status` is a copy kept in step in the same transaction for the list. Which moves are allowed is the domain's rule (`StatusChange::validate`); this module
//! only applies it to the status the events say, never to a status the caller believes.

use crate::audit;
use crate::cases::{blob, code_column, parse_status};
use crate::error::StoreError;
use crate::sync::outbox::{stamp_key, Outbox};
use crate::sync::records;
use crate::workspace::Workspace;
use porchlight_domain::{AuditAction, CaseId, CaseStatus, Moment, Outcome, StatusChange, StatusEvent};
use porchlight_sync::Entity;
use rusqlite::{OptionalExtension, TransactionBehavior};

impl Workspace {
    /// Moves a case to another status. A move the domain does not allow from the current
    /// status, a missing reason, or an outcome missing on resolution (or given otherwise) is a
    /// `Validation` refusal naming `to`, `reason` or `outcome`, and writes nothing.
    pub fn change_status(&mut self, case: CaseId, change: &StatusChange, now: Moment) -> Result<StatusEvent, StoreError> {
        let moment = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq: i64 = tx
            .prepare_cached("SELECT seq FROM cases WHERE id = ?1")?
            .query_row([blob(case)], |row| row.get(0))
            .optional()?
            .ok_or(StoreError::NotFound(case))?;
        let from = current_status(&tx, seq)?;
        let change = change.validate(from).map_err(StoreError::Validation)?;
        let out = Outbox::new(&tx, &self.clock, &moment)?;
        // The event carries the stamp of the newest one this replica held: had another device
        // changed the status meanwhile, the two changes race and the service keeps a conflict.
        let base = records::newest_status_stamp(&tx, seq)?;
        let stamp = out.tick()?;
        let id = out.new_id();
        tx.prepare_cached(
            "INSERT INTO status_events (case_seq, from_status, to_status, reason, outcome, actor, at, id, stamp, stamp_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(rusqlite::params![
            seq,
            from.code(),
            change.to.code(),
            change.reason,
            change.outcome.map(outcome_code),
            moment.actor,
            moment.at,
            id.as_bytes(),
            stamp.to_string(),
            stamp_key(&stamp).to_vec(),
        ])?;
        let event_seq = tx.last_insert_rowid();
        // The list shows and filters on the copy; the edit version is left alone, so a form
        // open on the case's fields does not conflict with a status change.
        tx.prepare_cached("UPDATE cases SET status = ?2, updated_at = ?3 WHERE seq = ?1")?
            .execute(rusqlite::params![seq, change.to.code(), moment.at])?;
        let record = records::status_record(Some(from), change.to, &change.reason, change.outcome, &moment.actor, &moment.at);
        out.append(*case.as_uuid(), Entity::StatusEvent, id, record, base, stamp)?;
        audit::append(&out, Some(case), AuditAction::StatusChanged, &format!("{} to {}", from.code(), change.to.code()))?;
        tx.commit()?;
        self.forget_totals();
        Ok(StatusEvent {
            seq: event_seq,
            case_id: case,
            from: Some(from),
            to: change.to,
            reason: change.reason,
            outcome: change.outcome,
            actor: moment.actor,
            at: crate::parse_stamp(&moment.at)?,
        })
    }

    /// The status history of a case with outcomes, oldest first; the last is the current status.
    pub fn status_events(&self, case: CaseId) -> Result<Vec<StatusEvent>, StoreError> {
        self.get_case(case)?;
        events(&self.conn, case)
    }
}

/// The `to` of the case's newest status event by stamp.
pub(crate) fn current_status(conn: &rusqlite::Connection, case_seq: i64) -> Result<CaseStatus, StoreError> {
    let code: String = conn
        .prepare_cached("SELECT to_status FROM status_events WHERE case_seq = ?1 ORDER BY stamp_key DESC, seq DESC LIMIT 1")?
        .query_row([case_seq], |row| row.get(0))
        .optional()?
        .ok_or_else(|| StoreError::Corrupt(format!("case row {case_seq} has no status history")))?;
    parse_status(&code)
}

pub(crate) fn events(conn: &rusqlite::Connection, case: CaseId) -> Result<Vec<StatusEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, from_status, to_status, reason, outcome, actor, at FROM status_events
         WHERE case_seq = (SELECT seq FROM cases WHERE id = ?1) ORDER BY stamp_key, seq",
    )?;
    let rows = stmt.query_map([blob(case)], |row| {
        let from = match row.get::<_, Option<String>>(1)? {
            Some(_) => Some(code_column(row, 1, CaseStatus::from_code)?),
            None => None,
        };
        let outcome = match row.get::<_, Option<String>>(4)? {
            Some(_) => Some(code_column(row, 4, outcome_from_code)?),
            None => None,
        };
        Ok((row.get::<_, i64>(0)?, from, code_column(row, 2, CaseStatus::from_code)?, row.get(3)?, outcome, row.get(5)?, row.get::<_, String>(6)?))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (seq, from, to, reason, outcome, actor, at) = row?;
        events.push(StatusEvent { seq, case_id: case, from, to, reason, outcome, actor, at: crate::parse_stamp(&at)? });
    }
    Ok(events)
}

/// The stored code of an outcome: the snake_case word of the wire format.
pub(crate) fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::ReturnedHome => "returned_home",
        Outcome::InCare => "in_care",
        Outcome::LocatedByLawEnforcement => "located_by_law_enforcement",
        Outcome::ReturnedOnOwn => "returned_on_own",
        Outcome::Deceased => "deceased",
        Outcome::Other => "other",
    }
}

fn outcome_from_code(code: &str) -> Option<Outcome> {
    Outcome::ALL.iter().copied().find(|o| outcome_code(*o) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_is_stored_as_its_wire_word() {
        for &outcome in Outcome::ALL {
            assert_eq!(serde_json::to_value(outcome).unwrap().as_str(), Some(outcome_code(outcome)));
            assert_eq!(outcome_from_code(outcome_code(outcome)), Some(outcome));
        }
    }
}
