//! Records as sync sees them: the flat field maps of a case, a family contact and a photo's
//! metadata, the shapes of the append-only records (status events, note versions, audit
//! events), and the writers that put fields received from elsewhere (or chosen to settle a
//! conflict) into the workspace's own tables with their history and search entry. It does not
//! decide which fields apply; `apply` does, by their stamps.

use crate::cases::{self, ListColumns};
use crate::contacts;
use crate::error::StoreError;
use crate::notes;
use crate::photos;
use crate::status::outcome_code;
use crate::sync::outbox::{stamp_key, Outbox};
use porchlight_domain::{CaseFields, CaseId, CaseStatus, ContactFields, ContactRecord, NoteCategory, Outcome, PhotoKind, RecordId};
use porchlight_sync::fields::{flatten, from_flat};
use porchlight_sync::{Entity, Stamp};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Who the history names for a change that came from the central service without an author.
/// Migration 0010 names it too, for the first version of a contact that arrived from the service.
pub(crate) const REMOTE_ACTOR: &str = "sync";

/// A record as a flat map from dotted field paths to values.
pub(crate) type Fields = BTreeMap<String, Value>;

/// One field to write and its value, borrowed from what arrived: a first sync writes every
/// field of thousands of records, and each copy of them was a share of its time.
pub(crate) type Update<'a> = (&'a str, &'a Value);

fn to_json<T: serde::Serialize>(value: &T, what: &str) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(format!("{what} could not be written as JSON: {e}")))
}

// ---- Cases ----

/// The synced fields of a case form: every leaf of `CaseFields`.
pub(crate) fn case_form_fields(fields: &CaseFields) -> Result<Fields, StoreError> {
    Ok(flatten(&to_json(fields, "case fields")?))
}

/// Every synced field of a stored case: the form, its case number and whether it is archived.
pub(crate) fn case_state(conn: &Connection, seq: i64) -> Result<Fields, StoreError> {
    let (case_number, archived): (String, bool) = conn
        .prepare_cached("SELECT case_number, archived_at IS NOT NULL FROM cases WHERE seq = ?1")?
        .query_row([seq], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let form: CaseFields = serde_json::from_str(&cases::current_fields(conn, seq)?)
        .map_err(|e| StoreError::Corrupt(format!("the fields of case row {seq} cannot be read: {e}")))?;
    let mut state = case_form_fields(&form)?;
    state.insert("case_number".into(), Value::from(case_number));
    state.insert("archived".into(), Value::from(archived));
    Ok(state)
}

/// The form back from flat fields, or the first field whose value does not fit it.
/// The synced fields of a case that are not part of its form.
const CASE_ONLY: &[&str] = &["case_number", "archived"];

/// A form read from its leaves, without the synced fields named in `skip`.
fn read_form<'a, T: serde::de::DeserializeOwned>(leaves: impl IntoIterator<Item = (&'a str, &'a Value)>, skip: &[&str]) -> Result<T, serde_json::Error> {
    let kept: Vec<(&str, &Value)> = leaves.into_iter().filter(|(field, _)| !skip.contains(field)).collect();
    from_flat(&kept)
}

pub(crate) fn case_form_from(fields: &Fields) -> Result<CaseFields, serde_json::Error> {
    read_form(fields.iter().map(|(k, v)| (k.as_str(), v)), CASE_ONLY)
}

/// Applies `updates` to `state`, leaving out any whose value the record's type cannot hold
/// (a newer Porchlight's value, or a damaged one), so that one bad field never blocks the rest.
/// Returns the fields applied and the record they make (None only when even the record without
/// them does not read).
fn merge_checked<'a, T>(state: &mut Fields, updates: &[Update<'a>], fits: impl Fn(&Fields) -> Result<T, serde_json::Error>) -> (Vec<&'a str>, Option<T>) {
    let mut undo: Vec<(&str, Option<Value>)> = Vec::with_capacity(updates.len());
    for (field, value) in updates {
        undo.push((field, state.insert((*field).to_owned(), (*value).clone())));
    }
    if let Ok(record) = fits(state) {
        return (updates.iter().map(|(f, _)| *f).collect(), Some(record));
    }
    for (field, old) in undo.into_iter().rev() {
        match old {
            Some(old) => state.insert(field.to_owned(), old),
            None => state.remove(field),
        };
    }
    let mut applied = Vec::new();
    let mut record = fits(state).ok();
    for (field, value) in updates {
        let before = state.insert((*field).to_owned(), (*value).clone());
        match fits(state) {
            Ok(fitted) => {
                applied.push(*field);
                record = Some(fitted);
            }
            Err(_) => {
                match before {
                    Some(old) => state.insert((*field).to_owned(), old),
                    None => state.remove(*field),
                };
            }
        }
    }
    (applied, record)
}

/// Where and by whom fields from elsewhere are written: `at` is the stored time of the change
/// (the stamp's time), `actor` the author when known.
pub(crate) struct Origin<'a> {
    pub(crate) actor: &'a str,
    pub(crate) at: String,
}

impl Origin<'_> {
    pub(crate) fn of_stamp(actor: &str, stamp: Stamp) -> Origin<'_> {
        Origin { actor, at: crate::stamp(stamp.time()) }
    }
}

/// Writes fields into an existing case: the form (a new `edit` version with the form before and
/// after, the list columns), the archive mark and the case number. Returns the row number and
/// the fields written, or None when the case is not on this device.
pub(crate) fn write_case<'a>(tx: &Connection, case_id: Uuid, updates: &[Update<'a>], origin: &Origin) -> Result<Option<(i64, Vec<&'a str>)>, StoreError> {
    let found: Option<(i64, i64)> = tx
        .prepare_cached("SELECT seq, version FROM cases WHERE id = ?1")?
        .query_row([case_id.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((seq, mut version)) = found else { return Ok(None) };
    let before = case_state(tx, seq)?;
    let mut after = before.clone();
    let (applied, form_after) = merge_checked(&mut after, updates, case_form_from);
    let unreadable = |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("case row {seq}: {e}"));
    let form_before = case_form_from(&before).map_err(|e| unreadable(&e))?;
    let form_after = form_after.ok_or_else(|| unreadable(&"its fields do not make a case form"))?;
    if form_after != form_before {
        version += 1;
        let columns = ListColumns::lenient(&form_after);
        cases::write_case_row(tx, seq, &columns, &origin.at, version)?;
        let (old, new) = (cases::fields_json(&form_before)?, cases::fields_json(&form_after)?);
        cases::record_event_by(tx, origin.actor, &origin.at, seq, "edit", version, Some(&old), Some(&new))?;
    }
    if let Some(number) = after.get("case_number").and_then(Value::as_str).filter(|n| Some(*n) != before.get("case_number").and_then(Value::as_str)) {
        tx.prepare_cached("UPDATE cases SET case_number = ?2 WHERE seq = ?1")?.execute(rusqlite::params![seq, number])?;
    }
    let archived = after.get("archived").and_then(Value::as_bool).unwrap_or(false);
    if Some(archived) != before.get("archived").and_then(Value::as_bool) {
        version += 1;
        let archived_at = archived.then(|| origin.at.clone());
        tx.prepare_cached("UPDATE cases SET archived_at = ?2, updated_at = max(updated_at, ?3), version = ?4 WHERE seq = ?1")?
            .execute(rusqlite::params![seq, archived_at, origin.at, version])?;
        let (previous, new) = (json!({ "archived_at": if archived { None } else { Some(&origin.at) } }), json!({ "archived_at": archived_at }));
        let kind = if archived { "archive" } else { "unarchive" };
        cases::record_event_by(tx, origin.actor, &origin.at, seq, kind, version, Some(&previous.to_string()), Some(&new.to_string()))?;
    }
    Ok(Some((seq, applied)))
}

/// Makes a case this device did not hold from every one of its fields. Returns its row number
/// and the fields written, or None when the fields lack the case number (a partial record of a
/// case this device never had, which the service does not send).
pub(crate) fn create_case<'a>(tx: &Connection, case_id: Uuid, fields: &[Update<'a>], origin: &Origin) -> Result<Option<(i64, Vec<&'a str>)>, StoreError> {
    // Every field at once when they all fit, as for every case of a first sync; otherwise
    // field by field, leaving out the ones that do not.
    let (applied, new) = match NewCase::read(case_id, fields.iter().copied(), origin.at.clone()) {
        Ok(None) => return Ok(None),
        Ok(Some(new)) => (fields.iter().map(|(f, _)| *f).collect(), new),
        Err(_) => {
            let (applied, form) = merge_checked(&mut Fields::new(), fields, case_form_from);
            let form = form.ok_or_else(|| StoreError::Corrupt(format!("the fields received for case {case_id} do not make a case form")))?;
            let (Some(number), archived) = case_only(fields.iter().copied()) else { return Ok(None) };
            (applied, NewCase::of_form(number, &form, archived, origin.at.clone())?)
        }
    };
    Ok(Some((new.insert(tx, case_id, origin.actor)?, applied)))
}

/// The synced fields of a case outside its form (`CASE_ONLY`): its case number, if it is a
/// text, and whether it is archived.
fn case_only<'a>(fields: impl Iterator<Item = Update<'a>>) -> (Option<&'a str>, bool) {
    let (mut number, mut archived) = (None, false);
    for (field, value) in fields {
        match field {
            "case_number" => number = value.as_str(),
            "archived" => archived = value.as_bool().unwrap_or(false),
            _ => {}
        }
    }
    (number, archived)
}

/// A case new to this device as its row and its `create` event hold it, read from its fields
/// without the workspace, so that a first sync can read the cases of one page while it stores
/// the page before.
pub(crate) struct NewCase {
    number: String,
    columns: ListColumns,
    json: String,
    /// The stored time of its fields, when it is created here.
    at: String,
    archived_at: Option<String>,
}

impl NewCase {
    /// The case from every one of its fields at once: None when they lack the case number, an
    /// error when they do not all fit the form.
    pub(crate) fn read<'a>(case_id: Uuid, fields: impl Iterator<Item = Update<'a>> + Clone, at: String) -> Result<Option<NewCase>, StoreError> {
        let (Some(number), archived) = case_only(fields.clone()) else { return Ok(None) };
        let form: CaseFields = read_form(fields, CASE_ONLY).map_err(|e| StoreError::Corrupt(format!("the fields received for case {case_id} do not make a case form: {e}")))?;
        NewCase::of_form(number, &form, archived, at).map(Some)
    }

    fn of_form(number: &str, form: &CaseFields, archived: bool, at: String) -> Result<NewCase, StoreError> {
        Ok(NewCase {
            number: number.to_owned(),
            columns: ListColumns::lenient(form),
            json: cases::fields_json(form)?,
            archived_at: archived.then(|| at.clone()),
            at,
        })
    }

    /// Inserts the case's row and its `create` event; returns its row number. Until its first
    /// status event arrives (in the same page), a case shows the status every case starts in.
    pub(crate) fn insert(&self, tx: &Connection, case_id: Uuid, actor: &str) -> Result<i64, StoreError> {
        let seq = cases::insert_case_row(tx, CaseId::from_uuid(case_id), &self.number, &self.columns, CaseStatus::Intake.code(), &self.at, self.archived_at.as_deref())?;
        cases::record_event_by(tx, actor, &self.at, seq, "create", 1, None, Some(&self.json))?;
        Ok(seq)
    }
}

// ---- Contacts ----

/// Every synced field of a contact: the form's leaves and `removed_reason` (null while current).
pub(crate) fn contact_state(contact: &ContactRecord) -> Result<Fields, StoreError> {
    let mut state = flatten(&to_json(&contact.fields, "contact fields")?);
    let removed = contact.removed_at.map(|_| Value::from(contact.removed_reason.clone())).unwrap_or(Value::Null);
    state.insert("removed_reason".into(), removed);
    Ok(state)
}

/// The synced fields of every contact of a case, by id.
pub(crate) fn contact_states(conn: &Connection, case_id: CaseId) -> Result<BTreeMap<Uuid, Fields>, StoreError> {
    contacts::list(conn, case_id)?.iter().map(|c| Ok((*c.id.as_uuid(), contact_state(c)?))).collect()
}

/// The synced fields of a contact with nothing filled in, which a contact new to this device
/// starts from (made once: a first sync starts from it for every contact).
fn empty_contact_state() -> Result<Fields, StoreError> {
    static EMPTY: std::sync::OnceLock<Fields> = std::sync::OnceLock::new();
    if let Some(state) = EMPTY.get() {
        return Ok(state.clone());
    }
    let mut state = flatten(&to_json(&ContactFields::default(), "contact fields")?);
    state.insert("removed_reason".into(), Value::Null);
    Ok(EMPTY.get_or_init(|| state).clone())
}

/// The synced field of a contact that is not part of its form.
const CONTACT_ONLY: &[&str] = &["removed_reason"];

pub(crate) fn contact_form_from(fields: &Fields) -> Result<ContactFields, serde_json::Error> {
    read_form(fields.iter().map(|(k, v)| (k.as_str(), v)), CONTACT_ONLY)
}

/// Writes fields into a contact, making it when this device does not have it yet, with a
/// history entry saying what happened. `new_here` says the contact's case arrived in this
/// transaction, so the contact cannot be here yet. Returns the fields written.
pub(crate) fn write_contact<'a>(tx: &Connection, case_id: Uuid, contact_id: Uuid, updates: &[Update<'a>], origin: &Origin, new_here: bool) -> Result<Vec<&'a str>, StoreError> {
    let id = RecordId::from_uuid(contact_id);
    let current = if new_here {
        None
    } else {
        match contacts::read(tx, id) {
            Ok(c) => Some(c),
            Err(StoreError::RecordNotFound { .. }) => None,
            Err(e) => return Err(e),
        }
    };
    // A contact new to this device whose fields all fit (every contact of a first sync) is read
    // at once; any other, field by field over what it holds, leaving out what does not fit.
    if current.is_none() {
        if let Some(new) = NewContact::read(updates.iter().copied(), origin.at.clone()) {
            new.insert(tx, case_id, contact_id, origin.actor)?;
            return Ok(updates.iter().map(|(f, _)| *f).collect());
        }
    }
    let before = match &current {
        Some(c) => contact_state(c)?,
        None => empty_contact_state()?,
    };
    let mut after = before.clone();
    let (applied, form) = merge_checked(&mut after, updates, contact_form_from);
    if current.is_some() && after == before {
        return Ok(applied);
    }
    let form = form.ok_or_else(|| StoreError::Corrupt(format!("the fields of contact {id} do not make a contact")))?;
    let removed_reason = after.get("removed_reason").and_then(Value::as_str).map(str::to_owned);
    let json = contacts::json(&form)?;
    let case = CaseId::from_uuid(case_id);
    match &current {
        None => NewContact { form, json, removed_reason, at: origin.at.clone() }.insert(tx, case_id, contact_id, origin.actor)?,
        Some(c) => {
            let next = c.version + 1;
            let was_removed = c.removed_at.is_some();
            let removed_at = match (&removed_reason, c.removed_at) {
                (None, _) => None,
                (Some(_), Some(at)) => Some(crate::stamp(at)),
                (Some(_), None) => Some(origin.at.clone()),
            };
            tx.prepare_cached(
                "UPDATE contacts SET name = ?2, relationship = ?3, is_primary = ?4, do_not_disclose = ?5, fields = ?6, version = ?7,
                     updated_at = ?8, removed_at = ?9, removed_reason = ?10
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                contact_id.as_bytes(),
                form.name,
                contacts::relationship_code(&form),
                form.primary,
                form.do_not_disclose,
                json,
                next,
                origin.at,
                removed_at,
                removed_reason.clone().unwrap_or_default(),
            ])?;
            let (kind, reason) = match (&removed_reason, was_removed) {
                (Some(reason), false) => ("removed", reason.as_str()),
                _ => ("edited", ""),
            };
            contacts::record_by(tx, origin.actor, &origin.at, id, case, kind, next, &json, reason)?;
        }
    }
    Ok(applied)
}

/// The reason a contact was removed, from its fields: None while it is current.
fn removed_reason_of<'a>(mut fields: impl Iterator<Item = Update<'a>>) -> Option<String> {
    fields.find(|(f, _)| *f == "removed_reason").and_then(|(_, v)| v.as_str()).map(str::to_owned)
}

/// A contact new to this device as its row holds it, read from its fields without the
/// workspace, like `NewCase`.
pub(crate) struct NewContact {
    form: ContactFields,
    json: String,
    removed_reason: Option<String>,
    /// The stored time of its newest field.
    at: String,
}

impl NewContact {
    /// The contact from every one of its fields at once; None when they do not all fit.
    pub(crate) fn read<'a>(fields: impl Iterator<Item = Update<'a>> + Clone, at: String) -> Option<NewContact> {
        let form: ContactFields = read_form(fields.clone(), CONTACT_ONLY).ok()?;
        let json = contacts::json(&form).ok()?;
        Some(NewContact { form, json, removed_reason: removed_reason_of(fields), at })
    }

    /// Inserts the contact's row, with the history entries a removed contact or one made by a
    /// named person needs.
    pub(crate) fn insert(&self, tx: &Connection, case_id: Uuid, contact_id: Uuid, actor: &str) -> Result<(), StoreError> {
        let NewContact { form, json, removed_reason, at } = self;
        let removed_at = removed_reason.as_ref().map(|_| at.clone());
        tx.prepare_cached(
            "INSERT INTO contacts (id, case_id, name, relationship, is_primary, do_not_disclose, fields, version, created_at, updated_at,
                 removed_at, removed_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8, ?9, ?10)",
        )?
        .execute(rusqlite::params![
            contact_id.as_bytes(),
            case_id.as_bytes(),
            form.name,
            contacts::relationship_code(form),
            form.primary,
            form.do_not_disclose,
            json,
            at,
            removed_at,
            removed_reason.clone().unwrap_or_default(),
        ])?;
        // A current contact from the service needs no `added` entry yet: its row says the
        // same, and it is written from the row before the row first changes (migration 0010).
        let (id, case) = (RecordId::from_uuid(contact_id), CaseId::from_uuid(case_id));
        match removed_reason {
            None if actor == REMOTE_ACTOR => {}
            None => contacts::record_by(tx, actor, at, id, case, "added", 1, json, "")?,
            Some(reason) => {
                contacts::record_by(tx, actor, at, id, case, "added", 1, json, "")?;
                contacts::record_by(tx, actor, at, id, case, "removed", 1, json, reason)?;
            }
        }
        Ok(())
    }
}

// ---- Photos ----

/// The synced fields of every photo of a case (the metadata, not the bytes), by id.
pub(crate) fn photo_states(conn: &Connection, case_seq: i64) -> Result<BTreeMap<Uuid, Fields>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, sha256, mime, kind, age_progressed_to, taken_on, child_age, source, consent_to_publish, is_primary, deleted
         FROM case_photos WHERE case_seq = ?1",
    )?;
    let rows = stmt.query_map([case_seq], |row| {
        let id = Uuid::from_bytes(row.get(0)?);
        let mut f = Fields::new();
        f.insert("sha256".into(), Value::from(row.get::<_, String>(1)?));
        f.insert("mime".into(), Value::from(row.get::<_, String>(2)?));
        f.insert("kind".into(), Value::from(row.get::<_, String>(3)?));
        f.insert("age_progressed_to".into(), row.get::<_, Option<i64>>(4)?.map(Value::from).unwrap_or(Value::Null));
        f.insert("taken_on".into(), Value::from(row.get::<_, Option<String>>(5)?.unwrap_or_default()));
        f.insert("child_age".into(), row.get::<_, Option<i64>>(6)?.map(Value::from).unwrap_or(Value::Null));
        f.insert("source".into(), Value::from(row.get::<_, String>(7)?));
        f.insert("consent_to_publish".into(), Value::from(row.get::<_, bool>(8)?));
        f.insert("is_primary".into(), Value::from(row.get::<_, bool>(9)?));
        f.insert("deleted".into(), Value::from(row.get::<_, bool>(10)?));
        Ok((id, f))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A photo's metadata as the table holds it, checked field by field.
#[derive(Debug, Clone, PartialEq)]
struct PhotoRow {
    sha256: String,
    mime: String,
    kind: PhotoKind,
    age_progressed_to: Option<u8>,
    taken_on: String,
    child_age: Option<u8>,
    source: String,
    consent_to_publish: bool,
    is_primary: bool,
    deleted: bool,
}

fn photo_row_from(fields: &Fields) -> Result<PhotoRow, serde_json::Error> {
    let get = |name: &str| fields.get(name).cloned().unwrap_or(Value::Null);
    let text = |name: &str| -> Result<String, serde_json::Error> { Ok(serde_json::from_value::<Option<String>>(get(name))?.unwrap_or_default()) };
    let flag = |name: &str| -> Result<bool, serde_json::Error> { Ok(serde_json::from_value::<Option<bool>>(get(name))?.unwrap_or(false)) };
    let sha256 = text("sha256")?;
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(serde::de::Error::custom("sha256 must be 64 hexadecimal digits"));
    }
    Ok(PhotoRow {
        sha256: sha256.to_ascii_lowercase(),
        mime: text("mime")?,
        kind: serde_json::from_value::<Option<PhotoKind>>(get("kind"))?.unwrap_or(PhotoKind::Photo),
        age_progressed_to: serde_json::from_value(get("age_progressed_to"))?,
        taken_on: text("taken_on")?,
        child_age: serde_json::from_value(get("child_age"))?,
        source: text("source")?,
        consent_to_publish: flag("consent_to_publish")?,
        is_primary: flag("is_primary")?,
        deleted: flag("deleted")?,
    })
}

/// Writes fields into a photo's metadata, making the attachment when this device does not have
/// it (its bytes then wait in `blob_sync` to be downloaded). Returns the fields written.
pub(crate) fn write_photo<'a>(tx: &Connection, case_seq: i64, photo_id: Uuid, updates: &[Update<'a>], origin: &Origin) -> Result<Vec<&'a str>, StoreError> {
    let current = photo_states(tx, case_seq)?.remove(&photo_id);
    let exists_elsewhere = current.is_none() && tx.prepare_cached("SELECT 1 FROM case_photos WHERE id = ?1")?.exists([photo_id.as_bytes()])?;
    if exists_elsewhere {
        // A photo id belongs to one case; a record naming it under another is not applied.
        return Ok(Vec::new());
    }
    let mut state = current.clone().unwrap_or_default();
    let (applied, row) = merge_checked(&mut state, updates, photo_row_from);
    let Some(row) = row else { return Ok(Vec::new()) };
    if current.as_ref() == Some(&state) {
        return Ok(applied);
    }
    let taken_on = Some(row.taken_on.as_str()).filter(|t| !t.is_empty());
    let kind = photos::kind_code(row.kind);
    let version: i64 = tx.query_row("SELECT version FROM cases WHERE seq = ?1", [case_seq], |r| r.get(0))?;
    let meta = json!({
        "kind": kind, "age_progressed_to": row.age_progressed_to, "taken_on": taken_on, "child_age": row.child_age,
        "source": row.source, "consent_to_publish": row.consent_to_publish,
    });
    if current.is_none() {
        tx.prepare_cached(
            "INSERT INTO case_photos (id, case_seq, sha256, kind, age_progressed_to, taken_on, source, consent_to_publish, is_primary,
                 created_at, child_age, added_by, file_name, mime, deleted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, '', ?13, ?14)",
        )?
        .execute(rusqlite::params![
            photo_id.as_bytes(), case_seq, row.sha256, kind, row.age_progressed_to, taken_on, row.source, row.consent_to_publish,
            row.is_primary, origin.at, row.child_age, origin.actor, row.mime, row.deleted,
        ])?;
        let mut event = meta.clone();
        event["photo"] = Value::from(photo_id.to_string());
        event["sha256"] = Value::from(row.sha256.clone());
        cases::record_event_by(tx, origin.actor, &origin.at, case_seq, "photo", version, None, Some(&event.to_string()))?;
    } else {
        let old = current.as_ref().and_then(|c| photo_row_from(c).ok());
        tx.prepare_cached(
            "UPDATE case_photos SET sha256 = ?2, kind = ?3, age_progressed_to = ?4, taken_on = ?5, source = ?6, consent_to_publish = ?7,
                 is_primary = ?8, child_age = ?9, mime = ?10, deleted = ?11, updated_at = ?12
             WHERE id = ?1",
        )?
        .execute(rusqlite::params![
            photo_id.as_bytes(), row.sha256, kind, row.age_progressed_to, taken_on, row.source, row.consent_to_publish,
            row.is_primary, row.child_age, row.mime, row.deleted, origin.at,
        ])?;
        let previous = old.map(|o| {
            json!({ "photo": photo_id.to_string(), "meta": {
                "kind": photos::kind_code(o.kind), "age_progressed_to": o.age_progressed_to,
                "taken_on": Some(o.taken_on.as_str()).filter(|t| !t.is_empty()), "child_age": o.child_age,
                "source": o.source, "consent_to_publish": o.consent_to_publish,
            }})
        });
        let new = json!({ "photo": photo_id.to_string(), "meta": meta });
        if previous.as_ref().map(|p| &p["meta"]) != Some(&new["meta"]) {
            let previous = previous.unwrap_or_else(|| json!({ "photo": photo_id.to_string(), "meta": {} }));
            cases::record_event_by(tx, origin.actor, &origin.at, case_seq, "photo", version, Some(&previous.to_string()), Some(&new.to_string()))?;
        }
    }
    let have_bytes = tx.prepare_cached("SELECT 1 FROM blobs WHERE sha256 = ?1")?.exists([&row.sha256])?;
    if !have_bytes && !row.deleted {
        tx.prepare_cached("INSERT INTO blob_sync (sha256, state) VALUES (?1, 'needs_download') ON CONFLICT (sha256) DO NOTHING")?
            .execute([&row.sha256])?;
    }
    Ok(applied)
}

// ---- Append-only records ----

/// The record of a status event as it travels.
pub(crate) fn status_record(from: Option<CaseStatus>, to: CaseStatus, reason: &str, outcome: Option<Outcome>, actor: &str, at: &str) -> Value {
    json!({
        "from": from.map(CaseStatus::code),
        "to": to.code(),
        "reason": reason,
        "outcome": outcome.map(outcome_code),
        "actor": actor,
        "at": at,
    })
}

/// The record of one note version as it travels.
pub(crate) fn note_record(note_id: RecordId, version: u32, category: NoteCategory, body: &str, author: &str, written_at: &str) -> Value {
    json!({
        "note_id": note_id.to_string(),
        "version": version,
        "category": notes::category_code(category),
        "body": body,
        "author": author,
        "written_at": written_at,
    })
}

/// The record of a local audit event as it travels: ids and counts only.
pub(crate) fn audit_record(action: &str, detail: &str, actor: &str, at: &str) -> Value {
    json!({ "action": action, "detail": detail, "actor": actor, "at": at })
}

fn stored_time(value: Option<&Value>, fallback: Stamp) -> String {
    value
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| crate::stamp(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|| crate::stamp(fallback.time()))
}

/// Inserts a status event received from elsewhere unless its id is already here, then sets the
/// case's status to the newest event by stamp. Returns whether it was new.
pub(crate) fn insert_status_event(tx: &Connection, case_seq: i64, id: Uuid, stamp: Stamp, record: &Value) -> Result<bool, StoreError> {
    match StatusRow::read(id, stamp, record) {
        Some(row) => row.insert(tx, case_seq),
        None => Ok(false),
    }
}

/// A status event received from elsewhere as its row holds it, read without the workspace.
pub(crate) struct StatusRow {
    id: Uuid,
    from: Option<&'static str>,
    to: &'static str,
    reason: String,
    outcome: Option<&'static str>,
    actor: String,
    at: String,
    stamp: String,
    key: [u8; 24],
}

impl StatusRow {
    /// None for a status this version does not know: it cannot be shown or filtered on, so it
    /// is left out.
    pub(crate) fn read(id: Uuid, stamp: Stamp, record: &Value) -> Option<StatusRow> {
        let code = |name: &str| record.get(name).and_then(Value::as_str).and_then(CaseStatus::from_code);
        let to = code("to")?;
        let outcome = record.get("outcome").and_then(Value::as_str).and_then(|o| Outcome::ALL.iter().copied().find(|x| outcome_code(*x) == o));
        let text = |name: &str| record.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
        Some(StatusRow {
            id,
            from: code("from").map(CaseStatus::code),
            to: to.code(),
            reason: text("reason"),
            outcome: outcome.map(outcome_code),
            actor: Some(text("actor")).filter(|a| !a.is_empty()).unwrap_or_else(|| REMOTE_ACTOR.to_owned()),
            at: stored_time(record.get("at"), stamp),
            stamp: stamp.to_string(),
            key: stamp_key(&stamp),
        })
    }

    /// Inserts the event unless its id is already here, then sets the case's status to the
    /// newest event by stamp. Returns whether it was new.
    pub(crate) fn insert(&self, tx: &Connection, case_seq: i64) -> Result<bool, StoreError> {
        let inserted = tx
            .prepare_cached(
                "INSERT INTO status_events (case_seq, from_status, to_status, reason, outcome, actor, at, id, stamp, stamp_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(rusqlite::params![
                case_seq,
                self.from,
                self.to,
                self.reason,
                self.outcome,
                self.actor,
                self.at,
                self.id.as_bytes(),
                self.stamp,
                self.key.as_slice(),
            ])?;
        if inserted == 0 {
            return Ok(false);
        }
        refresh_status(tx, case_seq)?;
        Ok(true)
    }
}

/// Sets `cases.status` to the `to` of the case's newest status event by stamp.
pub(crate) fn refresh_status(tx: &Connection, case_seq: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE cases SET status = newest.to_status, updated_at = max(cases.updated_at, newest.at)
         FROM (SELECT to_status, at FROM status_events WHERE case_seq = ?1 ORDER BY stamp_key DESC, seq DESC LIMIT 1) AS newest
         WHERE cases.seq = ?1 AND cases.status IS NOT newest.to_status",
    )?
    .execute([case_seq])?;
    Ok(())
}

/// The stamp of a case's newest status event, the `base` of the next status change.
pub(crate) fn newest_status_stamp(tx: &Connection, case_seq: i64) -> Result<Option<Stamp>, StoreError> {
    let text: Option<Option<String>> = tx
        .prepare_cached("SELECT stamp FROM status_events WHERE case_seq = ?1 ORDER BY stamp_key DESC, seq DESC LIMIT 1")?
        .query_row([case_seq], |row| row.get(0))
        .optional()?;
    text.flatten().as_deref().map(crate::sync::outbox::parse_stamp).transpose()
}

/// Inserts a note version received from elsewhere unless its id is already here. Returns
/// whether it was new.
pub(crate) fn insert_note_version(tx: &Connection, case_id: Uuid, id: Uuid, stamp: Stamp, record: &Value) -> Result<bool, StoreError> {
    match NoteRow::read(case_id, id, stamp, record) {
        Some(row) => row.insert(tx),
        None => Ok(false),
    }
}

/// A note version received from elsewhere as its row holds it, read without the workspace.
pub(crate) struct NoteRow {
    note_id: Uuid,
    version: i64,
    case_id: Uuid,
    category: &'static str,
    body: String,
    author: String,
    at: String,
    id: Uuid,
    stamp: String,
    key: [u8; 24],
}

impl NoteRow {
    /// None for a record without a note id.
    pub(crate) fn read(case_id: Uuid, id: Uuid, stamp: Stamp, record: &Value) -> Option<NoteRow> {
        let note_id = record.get("note_id").and_then(Value::as_str).and_then(|n| Uuid::parse_str(n).ok())?;
        let text = |name: &str| record.get(name).and_then(Value::as_str).unwrap_or("");
        // The central service's word for a tip is `lead`; anything unknown is kept as internal,
        // the category shared with the fewest.
        let category = match text("category") {
            "lead" => NoteCategory::LeadTip,
            known => notes::category_from_code(known).unwrap_or(NoteCategory::Internal),
        };
        Some(NoteRow {
            note_id,
            version: record.get("version").and_then(Value::as_u64).unwrap_or(1).clamp(1, i64::MAX as u64) as i64,
            case_id,
            category: notes::category_code(category),
            body: text("body").to_owned(),
            author: Some(text("author")).filter(|a| !a.is_empty()).unwrap_or(REMOTE_ACTOR).to_owned(),
            at: stored_time(record.get("written_at"), stamp),
            id,
            stamp: stamp.to_string(),
            key: stamp_key(&stamp),
        })
    }

    /// Inserts the version unless its id is already here. Returns whether it was new.
    pub(crate) fn insert(&self, tx: &Connection) -> Result<bool, StoreError> {
        let inserted = tx
            .prepare_cached(
                "INSERT INTO note_versions (note_id, version, case_id, category, text, author, at, id, stamp, stamp_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO NOTHING",
            )?
            .execute(rusqlite::params![
                self.note_id.as_bytes(),
                self.version,
                self.case_id.as_bytes(),
                self.category,
                self.body,
                self.author,
                self.at,
                self.id.as_bytes(),
                self.stamp,
                self.key.as_slice(),
            ])?;
        Ok(inserted > 0)
    }
}

// ---- Ops of local writes that touch several records ----

/// Adds one `Set` per record that a local write created or changed, comparing the records'
/// fields before and after it (a contact made primary takes the mark off another; a photo made
/// primary, off the last one).
pub(crate) fn emit_changes(out: &Outbox, case_id: Uuid, entity: Entity, before: &BTreeMap<Uuid, Fields>, after: &BTreeMap<Uuid, Fields>) -> Result<(), StoreError> {
    for (id, now) in after {
        match before.get(id) {
            None => {
                out.set(case_id, entity, *id, now.iter().map(|(k, v)| (k.clone(), v.clone())).collect(), true)?;
            }
            Some(was) => {
                let changed = porchlight_sync::fields::changed(was, now);
                out.set(case_id, entity, *id, changed, false)?;
            }
        }
    }
    Ok(())
}
