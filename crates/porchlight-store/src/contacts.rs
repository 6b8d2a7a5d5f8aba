//! Family contacts of a case: adding, editing and removing them, with one primary contact per
//! case and every change kept in `contact_events` for the timeline. Removing marks a contact
//! removed with a reason; nothing is deleted. What a valid contact is, the domain decides
//! (`ContactFields::validate`); who may hear about a case (`do_not_disclose`) is honoured by
//! every reader, not here.

use crate::audit;
use crate::cases::{blob, Change};
use crate::error::StoreError;
use crate::sync::outbox::Outbox;
use crate::sync::records;
use crate::workspace::Workspace;
use porchlight_domain::{AuditAction, CaseId, ContactFields, ContactRecord, Moment, RecordId, Relationship};
use porchlight_sync::Entity;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior};

const KIND: &str = "contact";

/// The columns `contact_from_row` reads, in order.
pub(crate) const CONTACT_COLUMNS: &str = "id, case_id, version, fields, created_at, updated_at, removed_at, removed_reason";

impl Workspace {
    /// Adds a family contact to a case. Making it primary clears the primary mark of the others.
    pub fn add_contact(&mut self, case: CaseId, fields: &ContactFields, now: Moment) -> Result<ContactRecord, StoreError> {
        let fields = fields.validate().map_err(StoreError::Validation)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known = tx.prepare_cached("SELECT 1 FROM cases WHERE id = ?1")?.exists([blob(case)])?;
        if !known {
            return Err(StoreError::NotFound(case));
        }
        let before = records::contact_states(&tx, case)?;
        let id = RecordId::new(now.utc);
        let json = json(&fields)?;
        tx.prepare_cached(
            "INSERT INTO contacts (id, case_id, name, relationship, is_primary, do_not_disclose, fields, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8)",
        )?
        .execute(rusqlite::params![
            id.as_uuid().as_bytes(),
            blob(case),
            fields.name,
            relationship_code(&fields),
            fields.primary,
            fields.do_not_disclose,
            json,
            change.at,
        ])?;
        record(&tx, &change, id, case, "added", 1, &json, "")?;
        let cleared = if fields.primary { clear_other_primaries(&tx, &change, case, id)? } else { 0 };
        let out = Outbox::new(&tx, &self.clock, &change)?;
        records::emit_changes(&out, *case.as_uuid(), Entity::Contact, &before, &records::contact_states(&tx, case)?)?;
        audit::append(&out, Some(case), AuditAction::ContactAdded, &detail(id, 1, cleared))?;
        reindex_for_search(&tx, case)?;
        let contact = read(&tx, id)?;
        tx.commit()?;
        Ok(contact)
    }

    /// Saves new fields over the contact at `expected_version`; a contact saved since is an
    /// `RecordEditConflict`, and unchanged fields write nothing. A removed contact stays as it
    /// was removed.
    pub fn update_contact(&mut self, id: RecordId, expected_version: i64, fields: &ContactFields, now: Moment) -> Result<ContactRecord, StoreError> {
        let fields = fields.validate().map_err(StoreError::Validation)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read(&tx, id)?;
        if current.version != expected_version {
            return Err(StoreError::RecordEditConflict { kind: KIND, id, expected: expected_version, actual: current.version });
        }
        if current.removed_at.is_some() {
            return Err(StoreError::field(
                "name",
                format!("{} was removed from this case; add them again as a new contact instead of editing.", current.fields.name),
            ));
        }
        if current.fields == fields {
            return Ok(current);
        }
        let before = records::contact_states(&tx, current.case_id)?;
        let next = current.version + 1;
        let json = json(&fields)?;
        tx.prepare_cached(
            "UPDATE contacts SET name = ?2, relationship = ?3, is_primary = ?4, do_not_disclose = ?5, fields = ?6, version = ?7, updated_at = ?8
             WHERE id = ?1",
        )?
        .execute(rusqlite::params![
            id.as_uuid().as_bytes(),
            fields.name,
            relationship_code(&fields),
            fields.primary,
            fields.do_not_disclose,
            json,
            next,
            change.at,
        ])?;
        record(&tx, &change, id, current.case_id, "edited", next, &json, "")?;
        let cleared = if fields.primary { clear_other_primaries(&tx, &change, current.case_id, id)? } else { 0 };
        let out = Outbox::new(&tx, &self.clock, &change)?;
        records::emit_changes(&out, *current.case_id.as_uuid(), Entity::Contact, &before, &records::contact_states(&tx, current.case_id)?)?;
        audit::append(&out, Some(current.case_id), AuditAction::ContactEdited, &detail(id, next, cleared))?;
        reindex_for_search(&tx, current.case_id)?;
        let contact = read(&tx, id)?;
        tx.commit()?;
        Ok(contact)
    }

    /// Marks a contact removed, with the reason, which is required. The contact stays in the
    /// case's history and view; a removed contact is no longer the primary one. Removing a
    /// removed contact again changes nothing.
    pub fn remove_contact(&mut self, id: RecordId, reason: &str, now: Moment) -> Result<ContactRecord, StoreError> {
        let reason = porchlight_domain::values::collapse_spaces(reason);
        if reason.is_empty() {
            return Err(StoreError::field("reason", "Say why this contact is being removed, e.g. \"number disconnected\" or \"asked not to be called\"."));
        }
        if reason.chars().count() > 500 {
            return Err(StoreError::field("reason", "Shorten the reason to 500 characters or fewer."));
        }
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read(&tx, id)?;
        if current.removed_at.is_some() {
            return Ok(current);
        }
        let before = records::contact_states(&tx, current.case_id)?;
        let mut fields = current.fields.clone();
        fields.primary = false;
        let next = current.version + 1;
        let json = json(&fields)?;
        tx.prepare_cached(
            "UPDATE contacts SET is_primary = 0, fields = ?2, version = ?3, updated_at = ?4, removed_at = ?4, removed_reason = ?5 WHERE id = ?1",
        )?
        .execute(rusqlite::params![id.as_uuid().as_bytes(), json, next, change.at, reason])?;
        record(&tx, &change, id, current.case_id, "removed", next, &json, &reason)?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        records::emit_changes(&out, *current.case_id.as_uuid(), Entity::Contact, &before, &records::contact_states(&tx, current.case_id)?)?;
        audit::append(&out, Some(current.case_id), AuditAction::ContactRemoved, &detail(id, next, 0))?;
        reindex_for_search(&tx, current.case_id)?;
        let contact = read(&tx, id)?;
        tx.commit()?;
        Ok(contact)
    }

    /// The contacts of a case: current ones first (the primary one first, then in the order
    /// they were added), then removed ones.
    pub fn contacts(&self, case: CaseId) -> Result<Vec<ContactRecord>, StoreError> {
        self.get_case(case)?;
        list(&self.conn, case)
    }
}

pub(crate) fn list(conn: &rusqlite::Connection, case: CaseId) -> Result<Vec<ContactRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE case_id = ?1
         ORDER BY removed_at IS NOT NULL, is_primary DESC, created_at, id"
    ))?;
    let rows = stmt.query_map([blob(case)], raw_from_row)?;
    rows.map(|row| contact_from_raw(row?)).collect()
}

/// One contact by id, from inside or outside a transaction.
pub(crate) fn read(conn: &rusqlite::Connection, id: RecordId) -> Result<ContactRecord, StoreError> {
    let raw = conn
        .prepare_cached(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"))?
        .query_row([id.as_uuid().as_bytes()], raw_from_row)
        .optional()?
        .ok_or(StoreError::RecordNotFound { kind: KIND, id })?;
    contact_from_raw(raw)
}

type RawContact = ([u8; 16], [u8; 16], i64, String, String, String, Option<String>, String);

fn raw_from_row(row: &Row) -> rusqlite::Result<RawContact> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?))
}

fn contact_from_raw(raw: RawContact) -> Result<ContactRecord, StoreError> {
    let (id, case_id, version, fields, created_at, updated_at, removed_at, removed_reason) = raw;
    let id = RecordId::from_uuid(uuid::Uuid::from_bytes(id));
    Ok(ContactRecord {
        id,
        case_id: CaseId::from_uuid(uuid::Uuid::from_bytes(case_id)),
        version,
        fields: parse_fields(&fields, id)?,
        created_at: crate::parse_stamp(&created_at)?,
        updated_at: crate::parse_stamp(&updated_at)?,
        removed_at: removed_at.as_deref().map(crate::parse_stamp).transpose()?,
        removed_reason,
    })
}

pub(crate) fn parse_fields(json: &str, id: RecordId) -> Result<ContactFields, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("the fields of contact {id} cannot be read: {e}")))
}

pub(crate) fn json(fields: &ContactFields) -> Result<String, StoreError> {
    serde_json::to_string(fields).map_err(|e| StoreError::Corrupt(format!("contact fields could not be written as JSON: {e}")))
}

/// The relationship as stored: the snake_case word of the wire format.
pub(crate) fn relationship_code(fields: &ContactFields) -> &'static str {
    match fields.relationship {
        Some(Relationship::Mother) => "mother",
        Some(Relationship::Father) => "father",
        Some(Relationship::Guardian) => "guardian",
        Some(Relationship::FosterParent) => "foster_parent",
        Some(Relationship::Sibling) => "sibling",
        Some(Relationship::Grandparent) => "grandparent",
        // Validation requires a relationship, so only `Other` reaches here as the fallback.
        Some(Relationship::Other) | None => "other",
    }
}

/// The audit detail of a contact change: ids and counts only.
fn detail(id: RecordId, version: i64, cleared: usize) -> String {
    if cleared > 0 {
        format!("contact {id} version {version}; primary mark moved from {cleared} other contact(s)")
    } else {
        format!("contact {id} version {version}")
    }
}

#[allow(clippy::too_many_arguments)]
fn record(tx: &Transaction, change: &Change, id: RecordId, case: CaseId, kind: &str, version: i64, json: &str, reason: &str) -> Result<(), StoreError> {
    record_by(tx, &change.actor, &change.at, id, case, kind, version, json, reason)
}

/// `record` for a change made elsewhere, with its own author and time.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_by(tx: &Connection, actor: &str, at: &str, id: RecordId, case: CaseId, kind: &str, version: i64, json: &str, reason: &str) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO contact_events (contact_id, case_id, kind, version, actor, at, fields, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![id.as_uuid().as_bytes(), blob(case), kind, version, actor, at, json, reason])?;
    Ok(())
}

/// Takes the primary mark off every other current contact of the case, each as an edit of that
/// contact (a new version and a history entry), so the change is never silent. Returns how
/// many lost it.
fn clear_other_primaries(tx: &Transaction, change: &Change, case: CaseId, keep: RecordId) -> Result<usize, StoreError> {
    let others: Vec<RecordId> = tx
        .prepare_cached("SELECT id FROM contacts WHERE case_id = ?1 AND is_primary = 1 AND id <> ?2")?
        .query_map(rusqlite::params![blob(case), keep.as_uuid().as_bytes()], |row| {
            Ok(RecordId::from_uuid(uuid::Uuid::from_bytes(row.get(0)?)))
        })?
        .collect::<Result<_, _>>()?;
    for other in &others {
        let mut contact = read(tx, *other)?;
        contact.fields.primary = false;
        let next = contact.version + 1;
        let json = json(&contact.fields)?;
        tx.prepare_cached("UPDATE contacts SET is_primary = 0, fields = ?2, version = ?3, updated_at = ?4 WHERE id = ?1")?
            .execute(rusqlite::params![other.as_uuid().as_bytes(), json, next, change.at])?;
        record(tx, change, *other, case, "edited", next, &json, "")?;
    }
    Ok(others.len())
}

/// Brings the case's search entry up to date after a contact or note write, in the same
/// transaction, so search never finds text that is gone or misses text just saved.
pub(crate) fn reindex_for_search(tx: &Transaction, case: CaseId) -> Result<(), StoreError> {
    crate::search::reindex_case(tx, case)
}
