//! Writing synced records to their tables, many at once: one statement per table and kind of
//! write, whatever the number of rows, so a push of a thousand ops costs a handful of round
//! trips. Each row carries both the columns the case endpoints and the scope rules read and the
//! sync text devices pull. Used by the push (`push`) and by the case endpoints' own writes
//! (`write`). It decides nothing: what to write was settled by its callers.

use crate::db::{self, DbError};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use uuid::Uuid;

pub struct NewCase {
    pub id: Uuid,
    pub office_id: Uuid,
    pub case_number: String,
    pub status: &'static str,
    pub status_stamp: Option<String>,
    pub form: Value,
    pub archived_at: Option<DateTime<Utc>>,
    pub sync_state: String,
    pub created_by: Uuid,
    /// The creator becomes the assigned case manager.
    pub assign_creator: bool,
    pub at: DateTime<Utc>,
}

/// New fields of a case (its form and sync state), and whether it is archived now: an archived
/// case keeps the time it was first archived.
pub struct CaseUpdate {
    pub id: Uuid,
    pub form: Value,
    pub archived: bool,
    pub sync_state: String,
    pub at: DateTime<Utc>,
}

/// A case's status in force, after a status event.
pub struct StatusUpdate {
    pub id: Uuid,
    pub status: &'static str,
    pub status_stamp: String,
    pub at: DateTime<Utc>,
}

pub struct ContactRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub form: Value,
    pub do_not_disclose: bool,
    pub removed_reason: Option<String>,
    pub sync_state: String,
    pub by: Uuid,
    pub at: DateTime<Utc>,
}

pub struct PhotoRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub sha256: Vec<u8>,
    pub mime: String,
    pub kind: &'static str,
    pub taken_on: Option<NaiveDate>,
    pub child_age: Option<i16>,
    pub consent_to_publish: bool,
    pub deleted: bool,
    pub sync_state: String,
    pub by: Uuid,
    pub at: DateTime<Utc>,
}

pub struct NoteRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub author: Uuid,
    pub category: &'static str,
    pub body: String,
    pub supersedes: Option<Uuid>,
    pub note_id: Uuid,
    pub version: i32,
    pub change: String,
    pub at: DateTime<Utc>,
}

pub struct StatusRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub stamp: String,
    pub to: &'static str,
    pub actor: Uuid,
    pub device: Option<Uuid>,
    pub change: String,
    pub at: DateTime<Utc>,
}

pub struct ConflictRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub entity: &'static str,
    pub record_id: Uuid,
    pub field: String,
    pub record: String,
    pub at: DateTime<Utc>,
}

pub struct Resolved {
    pub id: Uuid,
    pub record: String,
    pub at: DateTime<Utc>,
}

/// Every write of one transaction's records, gathered first and written together.
#[derive(Default)]
pub struct Batch {
    pub new_cases: Vec<NewCase>,
    pub case_updates: Vec<CaseUpdate>,
    pub status_updates: Vec<StatusUpdate>,
    pub new_contacts: Vec<ContactRow>,
    pub contact_updates: Vec<ContactRow>,
    pub new_photos: Vec<PhotoRow>,
    pub photo_updates: Vec<PhotoRow>,
    pub notes: Vec<NoteRow>,
    pub status_events: Vec<StatusRow>,
    pub conflicts: Vec<ConflictRow>,
    pub resolved: Vec<Resolved>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.new_cases.is_empty()
            && self.case_updates.is_empty()
            && self.status_updates.is_empty()
            && self.new_contacts.is_empty()
            && self.contact_updates.is_empty()
            && self.new_photos.is_empty()
            && self.photo_updates.is_empty()
            && self.notes.is_empty()
            && self.status_events.is_empty()
            && self.conflicts.is_empty()
            && self.resolved.is_empty()
    }
}

fn col<'a, T, U>(rows: &'a [T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

/// Writes the batch. Cases go first (contacts, photos, notes and status events refer to them).
pub async fn write(db: &impl GenericClient, b: &Batch) -> Result<(), DbError> {
    if !b.new_cases.is_empty() {
        let r = &b.new_cases;
        db::execute(
            db,
            "INSERT INTO cases (id, case_number, office_id, status, status_stamp, fields, version, created_by, created_at, updated_at, archived_at, sync_state)
             SELECT id, num, office, st, ss, f, 1, by, at, at, arch, state
             FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[], $7::uuid[], $8::timestamptz[], $9::timestamptz[], $10::text[])
                  AS t(id, num, office, st, ss, f, by, at, arch, state)",
            &[
                &col(r, |c| c.id),
                &col(r, |c| c.case_number.as_str()),
                &col(r, |c| c.office_id),
                &col(r, |c| c.status),
                &col(r, |c| c.status_stamp.as_deref()),
                &col(r, |c| &c.form),
                &col(r, |c| c.created_by),
                &col(r, |c| c.at),
                &col(r, |c| c.archived_at),
                &col(r, |c| c.sync_state.as_str()),
            ],
        )
        .await?;
        let assigned: Vec<&NewCase> = r.iter().filter(|c| c.assign_creator).collect();
        if !assigned.is_empty() {
            db::execute(
                db,
                "INSERT INTO case_access (case_id, user_id, kind, granted_by, granted_at)
                 SELECT c, u, 'assigned', u, at FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS t(c, u, at)",
                &[&col(&assigned, |c| c.id), &col(&assigned, |c| c.created_by), &col(&assigned, |c| c.at)],
            )
            .await?;
        }
    }
    if !b.case_updates.is_empty() {
        let r = &b.case_updates;
        db::execute(
            db,
            "UPDATE cases c SET fields = t.f, sync_state = t.state, version = c.version + 1, updated_at = t.at,
                    archived_at = CASE WHEN t.arch THEN coalesce(c.archived_at, t.at) END
             FROM unnest($1::uuid[], $2::jsonb[], $3::bool[], $4::text[], $5::timestamptz[]) AS t(id, f, arch, state, at)
             WHERE c.id = t.id",
            &[
                &col(r, |c| c.id),
                &col(r, |c| &c.form),
                &col(r, |c| c.archived),
                &col(r, |c| c.sync_state.as_str()),
                &col(r, |c| c.at),
            ],
        )
        .await?;
    }
    if !b.status_updates.is_empty() {
        let r = &b.status_updates;
        db::execute(
            db,
            "UPDATE cases c SET status = t.st, status_stamp = t.ss, version = c.version + 1, updated_at = t.at
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS t(id, st, ss, at)
             WHERE c.id = t.id AND (c.status IS DISTINCT FROM t.st OR c.status_stamp IS DISTINCT FROM t.ss)",
            &[&col(r, |c| c.id), &col(r, |c| c.status), &col(r, |c| c.status_stamp.as_str()), &col(r, |c| c.at)],
        )
        .await?;
    }
    for (rows, insert) in [(&b.new_contacts, true), (&b.contact_updates, false)] {
        if rows.is_empty() {
            continue;
        }
        let sql = if insert {
            "INSERT INTO contacts (id, case_id, fields, do_not_disclose, removed_reason, sync_state, created_by, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::bool[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])"
        } else {
            "UPDATE contacts k SET fields = t.f, do_not_disclose = t.dnd, removed_reason = t.rr, sync_state = t.state
             FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::bool[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])
                  AS t(id, case_id, f, dnd, rr, state, by, at)
             WHERE k.id = t.id"
        };
        db::execute(
            db,
            sql,
            &[
                &col(rows, |c| c.id),
                &col(rows, |c| c.case_id),
                &col(rows, |c| &c.form),
                &col(rows, |c| c.do_not_disclose),
                &col(rows, |c| c.removed_reason.clone()),
                &col(rows, |c| c.sync_state.as_str()),
                &col(rows, |c| c.by),
                &col(rows, |c| c.at),
            ],
        )
        .await?;
    }
    for (rows, insert) in [(&b.new_photos, true), (&b.photo_updates, false)] {
        if rows.is_empty() {
            continue;
        }
        let sql = if insert {
            "INSERT INTO photos (id, case_id, sha256, content_type, kind, taken_on, age_in_photo, consent_to_publish, deleted, sync_state, created_by, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bytea[], $4::text[], $5::text[], $6::date[], $7::int2[], $8::bool[], $9::bool[], $10::text[], $11::uuid[], $12::timestamptz[])"
        } else {
            "UPDATE photos p SET sha256 = t.sha, content_type = t.mime, kind = t.kind, taken_on = t.taken, age_in_photo = t.age,
                    consent_to_publish = t.consent, deleted = t.del, sync_state = t.state
             FROM unnest($1::uuid[], $2::uuid[], $3::bytea[], $4::text[], $5::text[], $6::date[], $7::int2[], $8::bool[], $9::bool[], $10::text[], $11::uuid[], $12::timestamptz[])
                  AS t(id, case_id, sha, mime, kind, taken, age, consent, del, state, by, at)
             WHERE p.id = t.id"
        };
        db::execute(
            db,
            sql,
            &[
                &col(rows, |p| p.id),
                &col(rows, |p| p.case_id),
                &col(rows, |p| p.sha256.clone()),
                &col(rows, |p| p.mime.as_str()),
                &col(rows, |p| p.kind),
                &col(rows, |p| p.taken_on),
                &col(rows, |p| p.child_age),
                &col(rows, |p| p.consent_to_publish),
                &col(rows, |p| p.deleted),
                &col(rows, |p| p.sync_state.as_str()),
                &col(rows, |p| p.by),
                &col(rows, |p| p.at),
            ],
        )
        .await?;
    }
    if !b.notes.is_empty() {
        let r = &b.notes;
        db::execute(
            db,
            "INSERT INTO notes (id, case_id, author_id, category, body, supersedes, note_id, version, change, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::int4[], $9::text[], $10::timestamptz[])",
            &[
                &col(r, |n| n.id),
                &col(r, |n| n.case_id),
                &col(r, |n| n.author),
                &col(r, |n| n.category),
                &col(r, |n| n.body.as_str()),
                &col(r, |n| n.supersedes),
                &col(r, |n| n.note_id),
                &col(r, |n| n.version),
                &col(r, |n| n.change.as_str()),
                &col(r, |n| n.at),
            ],
        )
        .await?;
    }
    if !b.status_events.is_empty() {
        let r = &b.status_events;
        db::execute(
            db,
            "INSERT INTO status_events (id, case_id, stamp, to_status, actor_id, device_id, change, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::text[], $8::timestamptz[])",
            &[
                &col(r, |s| s.id),
                &col(r, |s| s.case_id),
                &col(r, |s| s.stamp.as_str()),
                &col(r, |s| s.to),
                &col(r, |s| s.actor),
                &col(r, |s| s.device),
                &col(r, |s| s.change.as_str()),
                &col(r, |s| s.at),
            ],
        )
        .await?;
    }
    if !b.conflicts.is_empty() {
        let r = &b.conflicts;
        db::execute(
            db,
            "INSERT INTO sync_conflicts (id, case_id, entity, record_id, field, record, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[])",
            &[
                &col(r, |c| c.id),
                &col(r, |c| c.case_id),
                &col(r, |c| c.entity),
                &col(r, |c| c.record_id),
                &col(r, |c| c.field.as_str()),
                &col(r, |c| c.record.as_str()),
                &col(r, |c| c.at),
            ],
        )
        .await?;
    }
    if !b.resolved.is_empty() {
        let r = &b.resolved;
        db::execute(
            db,
            "UPDATE sync_conflicts s SET record = t.record, resolved_at = t.at
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS t(id, record, at) WHERE s.id = t.id",
            &[&col(r, |c| c.id), &col(r, |c| c.record.as_str()), &col(r, |c| c.at)],
        )
        .await?;
    }
    Ok(())
}

/// An op received (or a write made at the service), for idempotency and for naming the author of
/// a stamp.
pub struct OpRow {
    pub op_id: Uuid,
    pub device: Option<Uuid>,
    pub user: Uuid,
    pub case_id: Uuid,
    pub stamp: String,
    pub applied: bool,
    pub result: Option<String>,
}

pub async fn record_ops(
    db: &impl GenericClient,
    ops: &[OpRow],
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    if ops.is_empty() {
        return Ok(());
    }
    db::execute(
        db,
        "INSERT INTO sync_ops (op_id, device_id, user_id, case_id, stamp, applied, result, received_at)
         SELECT o, d, u, c, s, a, r, $8 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::bool[], $7::text[])
              AS t(o, d, u, c, s, a, r)",
        &[
            &col(ops, |o| o.op_id),
            &col(ops, |o| o.device),
            &col(ops, |o| o.user),
            &col(ops, |o| o.case_id),
            &col(ops, |o| o.stamp.as_str()),
            &col(ops, |o| o.applied),
            &col(ops, |o| o.result.clone()),
            &at,
        ],
    )
    .await?;
    Ok(())
}
