//! Case notes kept in every version: adding a note writes version 1, an edit writes the next
//! version and never touches the earlier ones (the database refuses an UPDATE or DELETE of
//! `note_versions`). The current text of a note is its highest version. What a valid note is,
//! the domain decides (`NoteInput::validate`); who may read internal notes is the readers' rule.

use crate::audit;
use crate::cases::{blob, Change};
use crate::contacts::reindex_for_search;
use crate::error::StoreError;
use crate::sync::outbox::{stamp_key, Outbox};
use crate::sync::records;
use crate::workspace::Workspace;
use porchlight_sync::Entity;
use porchlight_domain::{AuditAction, CaseId, Moment, NoteCategory, NoteInput, NoteRecord, NoteVersion, RecordId};
use rusqlite::{OptionalExtension, Row, TransactionBehavior};

const KIND: &str = "note";

/// The current version of each note with its first version's author and time; `?1` picks the
/// notes (by `case_id` or `note_id`, per the WHERE the caller adds). The current version is the
/// highest; two people who edited one note offline both wrote the same number, and the newer
/// by stamp is current, on every device alike.
const RECORD_SELECT: &str = "SELECT v.note_id, v.case_id, v.version, v.category, v.text, v.author, v.at, f.author, f.at
     FROM note_versions v JOIN note_versions f ON f.note_id = v.note_id AND f.version = 1
     WHERE v.rowid = (SELECT m.rowid FROM note_versions m WHERE m.note_id = v.note_id ORDER BY m.version DESC, m.stamp_key DESC LIMIT 1)";

impl Workspace {
    /// Writes a new note on a case, by the workspace's actor.
    pub fn add_note(&mut self, case: CaseId, input: &NoteInput, now: Moment) -> Result<NoteRecord, StoreError> {
        let input = input.validate().map_err(StoreError::Validation)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known = tx.prepare_cached("SELECT 1 FROM cases WHERE id = ?1")?.exists([blob(case)])?;
        if !known {
            return Err(StoreError::NotFound(case));
        }
        let id = RecordId::new(now.utc);
        let out = Outbox::new(&tx, &self.clock, &change)?;
        insert_version(&out, id, 1, case, &input)?;
        audit::append(&out, Some(case), AuditAction::NoteAdded, &format!("note {id} version 1"))?;
        reindex_for_search(&tx, case)?;
        let record = read(&tx, id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Writes the next version of a note. `expected_version` is the version the person edited;
    /// if another version was saved since, nothing is written and `RecordEditConflict` says so.
    /// Saving the same text and category writes nothing.
    pub fn edit_note(&mut self, note: RecordId, expected_version: u32, input: &NoteInput, now: Moment) -> Result<NoteRecord, StoreError> {
        let input = input.validate().map_err(StoreError::Validation)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read(&tx, note)?;
        if current.versions != expected_version {
            return Err(StoreError::RecordEditConflict { kind: KIND, id: note, expected: expected_version.into(), actual: current.versions.into() });
        }
        if current.current.text == input.text && current.current.category == input.category {
            return Ok(current);
        }
        let next = current.versions + 1;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        insert_version(&out, note, next, current.current.case_id, &input)?;
        audit::append(&out, Some(current.current.case_id), AuditAction::NoteEdited, &format!("note {note} version {next}"))?;
        reindex_for_search(&tx, current.current.case_id)?;
        let record = read(&tx, note)?;
        tx.commit()?;
        Ok(record)
    }

    /// Every version of a note, oldest first.
    pub fn note_history(&self, note: RecordId) -> Result<Vec<NoteVersion>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT note_id, case_id, version, category, text, author, at FROM note_versions WHERE note_id = ?1 ORDER BY version, stamp_key",
        )?;
        let versions = stmt
            .query_map([note.as_uuid().as_bytes()], raw_version)?
            .map(|row| version_from_raw(row?))
            .collect::<Result<Vec<_>, _>>()?;
        if versions.is_empty() {
            return Err(StoreError::RecordNotFound { kind: KIND, id: note });
        }
        Ok(versions)
    }

    /// The notes of a case in their current versions, the most recently written first.
    pub fn notes(&self, case: CaseId) -> Result<Vec<NoteRecord>, StoreError> {
        self.get_case(case)?;
        list(&self.conn, case)
    }
}

pub(crate) fn list(conn: &rusqlite::Connection, case: CaseId) -> Result<Vec<NoteRecord>, StoreError> {
    // Note ids are UUIDv7, so their order is the order the notes were first written.
    let mut stmt = conn.prepare_cached(&format!("{RECORD_SELECT} AND v.case_id = ?1 ORDER BY f.at DESC, v.note_id DESC"))?;
    let rows = stmt.query_map([blob(case)], raw_record)?;
    rows.map(|row| record_from_raw(row?)).collect()
}

fn read(conn: &rusqlite::Connection, note: RecordId) -> Result<NoteRecord, StoreError> {
    let raw = conn
        .prepare_cached(&format!("{RECORD_SELECT} AND v.note_id = ?1"))?
        .query_row([note.as_uuid().as_bytes()], raw_record)
        .optional()?
        .ok_or(StoreError::RecordNotFound { kind: KIND, id: note })?;
    record_from_raw(raw)
}

/// Writes one version of a note with the id and stamp it travels with, and its op.
fn insert_version(out: &Outbox, note: RecordId, version: u32, case: CaseId, input: &NoteInput) -> Result<(), StoreError> {
    let change: &Change = out.change;
    let stamp = out.tick()?;
    let id = out.new_id();
    out.tx
        .prepare_cached(
            "INSERT INTO note_versions (note_id, version, case_id, category, text, author, at, id, stamp, stamp_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(rusqlite::params![
            note.as_uuid().as_bytes(),
            version,
            blob(case),
            category_code(input.category),
            input.text,
            change.actor,
            change.at,
            id.as_bytes(),
            stamp.to_string(),
            stamp_key(&stamp).to_vec(),
        ])?;
    let record = records::note_record(note, version, input.category, &input.text, &change.actor, &change.at);
    out.append(*case.as_uuid(), Entity::Note, id, record, None, stamp)?;
    Ok(())
}

type RawVersion = ([u8; 16], [u8; 16], u32, String, String, String, String);

fn raw_version(row: &Row) -> rusqlite::Result<RawVersion> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn version_from_raw(raw: RawVersion) -> Result<NoteVersion, StoreError> {
    let (note_id, case_id, version, category, text, author, at) = raw;
    Ok(NoteVersion {
        note_id: RecordId::from_uuid(uuid::Uuid::from_bytes(note_id)),
        case_id: CaseId::from_uuid(uuid::Uuid::from_bytes(case_id)),
        version,
        category: category_from_code(&category)?,
        text,
        author,
        at: crate::parse_stamp(&at)?,
    })
}

fn raw_record(row: &Row) -> rusqlite::Result<(RawVersion, String, String)> {
    Ok((raw_version(row)?, row.get(7)?, row.get(8)?))
}

fn record_from_raw((raw, first_author, first_at): (RawVersion, String, String)) -> Result<NoteRecord, StoreError> {
    let current = version_from_raw(raw)?;
    Ok(NoteRecord { versions: current.version, current, first_written_at: crate::parse_stamp(&first_at)?, first_author })
}

/// The stored code of a category: the snake_case word of the wire format.
pub(crate) fn category_code(category: NoteCategory) -> &'static str {
    match category {
        NoteCategory::Call => "call",
        NoteCategory::LeadTip => "lead_tip",
        NoteCategory::FamilyContact => "family_contact",
        NoteCategory::LawEnforcement => "law_enforcement",
        NoteCategory::Media => "media",
        NoteCategory::Internal => "internal",
    }
}

pub(crate) fn category_from_code(code: &str) -> Result<NoteCategory, StoreError> {
    NoteCategory::ALL
        .iter()
        .copied()
        .find(|c| category_code(*c) == code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown note category {code:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    /// The history tables refuse changes in the database itself, whatever code runs the SQL.
    #[test]
    fn note_versions_status_events_and_the_audit_log_cannot_be_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap());
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), "History is appended only 7", now).unwrap();
        let fields = porchlight_domain::CaseFields {
            case_type: Some(porchlight_domain::CaseType::EndangeredRunaway),
            child: porchlight_domain::ChildFields {
                given_name: "Maya".into(),
                family_name: "Okafor".into(),
                date_of_birth: "2011-04-02".into(),
                sex: Some(porchlight_domain::Sex::Female),
                ..Default::default()
            },
            event: porchlight_domain::EventFields { last_seen_date: "2026-11-19".into(), city: "Tulsa".into(), state: "OK".into(), ..Default::default() },
            ..Default::default()
        };
        let case = ws.create_case(&fields, now).unwrap().id;
        let note = ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: "First words".into() }, now).unwrap();
        for (sql, refusal) in [
            ("UPDATE note_versions SET text = 'Other words'", "note versions are never changed"),
            ("DELETE FROM note_versions", "note versions are never deleted"),
            ("UPDATE audit_log SET actor = 'someone else'", "the audit log is append-only"),
            ("DELETE FROM audit_log", "the audit log is append-only"),
            ("UPDATE status_events SET reason = 'rewritten'", "status history is never changed"),
            ("DELETE FROM status_events", "status history is never deleted"),
        ] {
            let error = ws.conn.execute(sql, []).unwrap_err().to_string();
            assert!(error.contains(refusal), "{sql}: {error}");
        }
        assert_eq!(ws.note_history(note.current.note_id).unwrap()[0].text, "First words");
        assert_eq!(ws.case_audit(case).unwrap().len(), 2);
    }

    #[test]
    fn every_category_is_stored_as_its_wire_word() {
        for &category in NoteCategory::ALL {
            assert_eq!(serde_json::to_value(category).unwrap().as_str(), Some(category_code(category)));
            assert_eq!(category_from_code(category_code(category)).unwrap(), category);
        }
        assert!(category_from_code("gossip").is_err());
    }
}
