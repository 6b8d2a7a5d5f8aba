//! Work saved before sync existed: the first open after migration 0004 gives every status
//! event and note version its id and stamp, and adds the ops that carry every case, contact,
//! photo, note, status event and audit line to the service, once (`workspace_meta.sync_backfill`
//! records it). A workspace created with sync has nothing to catch up. It changes no values.

use crate::cases::Change;
use crate::error::StoreError;
use crate::sync::outbox::{stamp_key, Outbox};
use crate::sync::records;
use porchlight_domain::{CaseId, Moment};
use porchlight_sync::{Clock, Entity, Stamp};
use rusqlite::{Connection, TransactionBehavior};
use uuid::Uuid;

const MARK: &str = "sync_backfill";

/// A status event as stored: seq, from, to, reason, outcome, actor, at.
type EventRow = (i64, Option<String>, String, String, Option<String>, String, String);
/// A note version as stored: rowid, note id, version, category, text, author, at.
type VersionRow = (i64, [u8; 16], u32, String, String, String, String);

fn done(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare("SELECT 1 FROM workspace_meta WHERE key = 'sync_backfill'")?.exists([])
}

/// A change made at a stored time, by a stored actor, for stamping old records in their order.
fn change_at(actor: &str, at: &str) -> Result<Change, StoreError> {
    let utc = crate::parse_stamp(at)?;
    Ok(Change { actor: actor.to_owned(), now: Moment::at_utc(utc), at: at.to_owned() })
}

pub(crate) fn run(conn: &mut Connection, clock: &Clock) -> Result<(), StoreError> {
    if done(conn)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process (the CLI beside the app) may have done it while this one waited.
    if done(&tx)? {
        return Ok(());
    }
    let cases: Vec<(i64, [u8; 16], String)> =
        tx.prepare("SELECT seq, id, created_at FROM cases ORDER BY seq")?.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?.collect::<Result<_, _>>()?;
    for (seq, id, created_at) in cases {
        let case = Uuid::from_bytes(id);
        let case_id = CaseId::from_uuid(case);
        let change = change_at("", &created_at)?;
        let out = Outbox::new(&tx, clock, &change)?;
        let state = records::case_state(&tx, seq)?;
        out.set(case, Entity::Case, case, state.into_iter().collect(), true)?;
        // Status events, oldest first, so the newest by stamp is the newest by history.
        let events: Vec<EventRow> = tx
            .prepare("SELECT seq, from_status, to_status, reason, outcome, actor, at FROM status_events WHERE case_seq = ?1 AND stamp IS NULL ORDER BY seq")?
            .query_map([seq], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?)))?
            .collect::<Result<_, _>>()?;
        let mut base: Option<Stamp> = None;
        for (event_seq, from, to, reason, outcome, actor, at) in events {
            let change = change_at(&actor, &at)?;
            let out = Outbox::new(&tx, clock, &change)?;
            let stamp = out.tick()?;
            let event_id = out.new_id();
            tx.execute(
                "UPDATE status_events SET id = ?2, stamp = ?3, stamp_key = ?4 WHERE seq = ?1",
                rusqlite::params![event_seq, event_id.as_bytes(), stamp.to_string(), stamp_key(&stamp).to_vec()],
            )?;
            let record = serde_json::json!({ "from": from, "to": to, "reason": reason, "outcome": outcome, "actor": actor, "at": at });
            out.append(case, Entity::StatusEvent, event_id, record, base, stamp)?;
            base = Some(stamp);
        }
        let contacts = records::contact_states(&tx, case_id)?;
        records::emit_changes(&out, case, Entity::Contact, &Default::default(), &contacts)?;
        let versions: Vec<VersionRow> = tx
            .prepare("SELECT rowid, note_id, version, category, text, author, at FROM note_versions WHERE case_id = ?1 AND stamp IS NULL ORDER BY rowid")?
            .query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?)))?
            .collect::<Result<_, _>>()?;
        for (rowid, note_id, version, category, text, author, at) in versions {
            let change = change_at(&author, &at)?;
            let out = Outbox::new(&tx, clock, &change)?;
            let stamp = out.tick()?;
            let version_id = out.new_id();
            tx.execute(
                "UPDATE note_versions SET id = ?2, stamp = ?3, stamp_key = ?4 WHERE rowid = ?1",
                rusqlite::params![rowid, version_id.as_bytes(), stamp.to_string(), stamp_key(&stamp).to_vec()],
            )?;
            let record = serde_json::json!({
                "note_id": Uuid::from_bytes(note_id).to_string(), "version": version, "category": category,
                "body": text, "author": author, "written_at": at,
            });
            out.append(case, Entity::Note, version_id, record, None, stamp)?;
        }
        let photos = records::photo_states(&tx, seq)?;
        records::emit_changes(&out, case, Entity::Photo, &Default::default(), &photos)?;
        backfill_audit(&tx, clock, Some(id))?;
    }
    backfill_audit(&tx, clock, None)?;
    tx.execute("INSERT INTO workspace_meta (key, value) VALUES (?1, '1')", [MARK])?;
    tx.commit()?;
    Ok(())
}

/// The audit lines of one case (or of no case), as ops for the central audit log.
fn backfill_audit(tx: &Connection, clock: &Clock, case: Option<[u8; 16]>) -> Result<(), StoreError> {
    let lines: Vec<(String, String, String, String)> = tx
        .prepare("SELECT action, actor, at, detail FROM audit_log WHERE case_id IS ?1 ORDER BY seq")?
        .query_map([case], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let case_id = case.map(Uuid::from_bytes).unwrap_or(Uuid::nil());
    for (action, actor, at, detail) in lines {
        let change = change_at(&actor, &at)?;
        let out = Outbox::new(tx, clock, &change)?;
        let stamp = out.tick()?;
        out.append(case_id, Entity::AuditEvent, out.new_id(), records::audit_record(&action, &detail, &actor, &at), None, stamp)?;
    }
    Ok(())
}
