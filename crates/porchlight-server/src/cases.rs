//! Cases on the server and what hangs off them: assignment and sharing, family contacts, notes
//! and photos. Every read takes the caller's `rules::Grant` and filters through
//! `rules::scope_sql`, so no query here can reach a case outside the caller's scope. It does not
//! redact fields (the HTTP layer applies `rules::redact` to what it sends) and writes no audit
//! entries (its callers do, in the same transaction). Every write also stamps what it changes and
//! adds it to the sync change log (`sync::write`), so devices receive edits made here.

use crate::db::{self, DbError};
use crate::rules::{self, Grant, PhotoAccess};
use crate::sync::record::Record;
use crate::sync::schema;
use crate::sync::store::{self, Batch};
use crate::sync::write::{self, Writer};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use porchlight_domain::{CaseFields, CaseNumber, CaseStatus, FieldError};
use porchlight_sync::Stamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

pub use porchlight_domain::ContactFields;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no case with this id that you may see")]
    NotFound,
    #[error("{} field(s) need attention", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("someone else saved this case (now version {current}); reload it before saving again")]
    EditConflict { current: i64 },
    #[error("a case with this id already exists")]
    Exists,
    #[error("{0}")]
    BadTarget(String),
}

impl From<tokio_postgres::Error> for CaseError {
    fn from(e: tokio_postgres::Error) -> Self {
        CaseError::Db(DbError::Postgres(e))
    }
}

/// A case as stored: the form as JSON and the columns the rules filter on.
#[derive(Debug, Clone)]
pub struct StoredCase {
    pub id: Uuid,
    pub case_number: String,
    pub office_id: Uuid,
    pub status: CaseStatus,
    pub version: i64,
    pub fields: Value,
    pub assigned_to: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

const CASE_COLUMNS: &str = "c.id, c.case_number, c.office_id, c.status, c.version, c.fields, \
    (SELECT a.user_id FROM case_access a WHERE a.case_id = c.id AND a.kind = 'assigned'), c.created_at, c.updated_at, c.archived_at";

fn case_from(r: &Row) -> StoredCase {
    let status: String = r.get(3);
    StoredCase {
        id: r.get(0),
        case_number: r.get(1),
        office_id: r.get(2),
        status: CaseStatus::from_code(&status).expect("the schema only allows known statuses"),
        version: r.get(4),
        fields: r.get(5),
        assigned_to: r.get(6),
        created_at: r.get(7),
        updated_at: r.get(8),
        archived_at: r.get(9),
    }
}

/// The latest wall-clock time anywhere (UTC+14): a date the user typed is "in the future" only
/// if it is in the future everywhere, since the server does not know the user's time zone.
fn latest_local(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    (now + chrono::Duration::hours(14)).naive_utc()
}

/// Validates the form as the app does and returns the normalised fields.
pub fn validate(fields: &CaseFields, now: DateTime<Utc>) -> Result<CaseFields, CaseError> {
    fields
        .validate(latest_local(now))
        .map(|v| v.into_fields())
        .map_err(CaseError::Invalid)
}

/// One case the caller may reach, or `NotFound` (also when it exists out of scope, so ids
/// cannot be probed).
pub async fn get(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    id: Uuid,
) -> Result<StoredCase, CaseError> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = $1 AND {}",
        rules::scope_sql(grant, 2)
    );
    db::query_opt(db, &sql, &[&id, &user])
        .await?
        .as_ref()
        .map(case_from)
        .ok_or(CaseError::NotFound)
}

/// A page of the cases the caller may reach, newest first.
pub async fn list(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    status: Option<CaseStatus>,
    limit: i64,
    offset: i64,
) -> Result<Vec<StoredCase>, CaseError> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM cases c WHERE {} AND ($2::text IS NULL OR c.status = $2) ORDER BY c.updated_at DESC, c.id LIMIT $3 OFFSET $4",
        rules::scope_sql(grant, 1)
    );
    let status = status.map(|s| s.code());
    Ok(db::query(db, &sql, &[&user, &status, &limit, &offset])
        .await?
        .iter()
        .map(case_from)
        .collect())
}

/// Stores a new case for `office`, with the status event that gives it its first status. A case
/// manager who creates a case is assigned to it.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &impl GenericClient,
    w: &Writer<'_>,
    id: Uuid,
    office: Uuid,
    status: CaseStatus,
    fields: &CaseFields,
    assign_creator: bool,
    now: DateTime<Utc>,
) -> Result<StoredCase, CaseError> {
    let exists = db::query_opt(db, "SELECT 1 FROM cases WHERE id = $1", &[&id]).await?;
    if exists.is_some() {
        return Err(CaseError::Exists);
    }
    let number = CaseNumber::for_case(&porchlight_domain::CaseId::from_uuid(id), now.date_naive());
    let json = serde_json::to_value(fields).expect("case fields serialise");
    let stamp = w.stamp(None, now);
    let record = write::case_record(id, &json, number.as_str(), false, stamp);
    let (event, event_row) = write::status_event(w, id, None, status, stamp, now);
    let batch = Batch {
        new_cases: vec![store::NewCase {
            id,
            office_id: office,
            case_number: number.as_str().to_owned(),
            status: status.code(),
            status_stamp: Some(stamp.to_string()),
            form: json.clone(),
            archived_at: None,
            sync_state: record.text(),
            created_by: w.user,
            assign_creator,
            at: now,
        }],
        status_events: vec![event_row],
        ..Batch::default()
    };
    store::write(db, &batch).await?;
    let rows: Vec<_> = write::record_row(&record, None)
        .into_iter()
        .chain([write::appended_row(&event)])
        .collect();
    w.finish(db, id, stamp, &rows, now).await?;
    Ok(StoredCase {
        id,
        case_number: number.as_str().to_owned(),
        office_id: office,
        status,
        version: 1,
        fields: json,
        assigned_to: assign_creator.then_some(w.user),
        created_at: now,
        updated_at: now,
        archived_at: None,
    })
}

/// Saves an edit made to `version`; refuses it when someone saved in between (at the service or
/// through a device's sync). Only the fields that changed get a new stamp; a new status is a new
/// status event.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &impl GenericClient,
    w: &Writer<'_>,
    grant: &Grant,
    id: Uuid,
    version: i64,
    status: Option<CaseStatus>,
    fields: &CaseFields,
    now: DateTime<Utc>,
) -> Result<StoredCase, CaseError> {
    let current = get(db, grant, w.user, id).await?;
    let row = db::query_one(
        db,
        "SELECT sync_state, status_stamp FROM cases WHERE id = $1 FOR NO KEY UPDATE",
        &[&id],
    )
    .await?;
    let state: String = row.get(0);
    let status_stamp: Option<String> = row.get(1);
    let status_stamp: Option<Stamp> = status_stamp.and_then(|s| s.parse().ok());
    let mut record = Record::from_text(&state)?;
    let json = serde_json::to_value(fields).expect("case fields serialise");
    let stamp = w.stamp(record.newest().max(status_stamp), now);
    let changed = write::edit_case(&mut record, &json, stamp);
    let new_status = status.unwrap_or(current.status);
    let moved = new_status != current.status;
    let new_status_stamp = if moved { Some(stamp) } else { status_stamp };
    let updated = db::execute(
        db,
        "UPDATE cases SET fields = $3, status = $4, status_stamp = $5, sync_state = $6, version = version + 1, updated_at = $7
         WHERE id = $1 AND version = $2",
        &[&id, &version, &json, &new_status.code(), &new_status_stamp.map(|s| s.to_string()), &record.text(), &now],
    )
    .await?;
    if updated == 0 {
        return Err(CaseError::EditConflict {
            current: current.version,
        });
    }
    let mut rows: Vec<_> = write::record_row(&record, Some(&changed))
        .into_iter()
        .collect();
    if moved {
        let (event, event_row) =
            write::status_event(w, id, Some(current.status), new_status, stamp, now);
        store::write(
            db,
            &Batch {
                status_events: vec![event_row],
                ..Batch::default()
            },
        )
        .await?;
        rows.push(write::appended_row(&event));
    }
    if !rows.is_empty() {
        w.finish(db, id, stamp, &rows, now).await?;
    }
    Ok(StoredCase {
        version: version + 1,
        fields: json,
        status: new_status,
        updated_at: now,
        ..current
    })
}

/// Makes `assignee` the case's one assigned case manager, replacing any other, and returns who
/// was assigned before. They keep no access unless the case is also shared with them.
pub async fn assign(
    db: &impl GenericClient,
    case: Uuid,
    office: Uuid,
    assignee: Uuid,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, CaseError> {
    check_case_manager(db, assignee, Some(office)).await?;
    let previous = db::query_opt(
        db,
        "SELECT user_id FROM case_access WHERE case_id = $1 AND kind = 'assigned' FOR UPDATE",
        &[&case],
    )
    .await?
    .map(|r| r.get(0));
    db::execute(
        db,
        "DELETE FROM case_access WHERE case_id = $1 AND (kind = 'assigned' OR user_id = $2)",
        &[&case, &assignee],
    )
    .await?;
    db::execute(
        db,
        "INSERT INTO case_access (case_id, user_id, kind, granted_by, granted_at) VALUES ($1, $2, 'assigned', $3, $4)",
        &[&case, &assignee, &by, &now],
    )
    .await?;
    Ok(previous)
}

/// Shares a case with another case manager (of any office).
pub async fn share(
    db: &impl GenericClient,
    case: &StoredCase,
    with: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), CaseError> {
    check_case_manager(db, with, None).await?;
    db::execute(
        db,
        "INSERT INTO case_access (case_id, user_id, kind, granted_by, granted_at) VALUES ($1, $2, 'shared', $3, $4) ON CONFLICT DO NOTHING",
        &[&case.id, &with, &by, &now],
    )
    .await?;
    Ok(())
}

pub async fn unshare(
    db: &impl GenericClient,
    case: &StoredCase,
    with: Uuid,
) -> Result<bool, CaseError> {
    Ok(db::execute(
        db,
        "DELETE FROM case_access WHERE case_id = $1 AND user_id = $2 AND kind = 'shared'",
        &[&case.id, &with],
    )
    .await?
        == 1)
}

/// Cases are assigned and shared only to active case managers (of `office`, when given).
async fn check_case_manager(
    db: &impl GenericClient,
    user: Uuid,
    office: Option<Uuid>,
) -> Result<(), CaseError> {
    let row = db::query_opt(
        db,
        "SELECT role, office_id, disabled_at IS NOT NULL FROM users WHERE id = $1",
        &[&user],
    )
    .await?;
    let Some(row) = row else {
        return Err(CaseError::BadTarget("user_id: no such user".into()));
    };
    let role: String = row.get(0);
    let user_office: Option<Uuid> = row.get(1);
    if role != "case_manager" || row.get::<_, bool>(2) {
        return Err(CaseError::BadTarget(
            "user_id: cases go to active case managers only".into(),
        ));
    }
    if office.is_some() && user_office != office {
        return Err(CaseError::BadTarget(
            "user_id: assign a case manager of the case's own office".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub case_id: Uuid,
    #[serde(flatten)]
    pub fields: ContactFields,
    pub created_at: DateTime<Utc>,
}

/// Who may be told of case updates: the contacts without the do-not-disclose flag, with only
/// what is needed to reach them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub contact_id: Uuid,
    pub name: String,
    pub relationship: String,
    pub phone: String,
    pub email: String,
    pub language: String,
    pub best_time: String,
}

/// Reads a contact as the contacts endpoint receives it: the app's contact form, strictly (an
/// unknown field is refused by name), valid, and normalised.
pub fn contact_form(value: &Value) -> Result<ContactFields, CaseError> {
    let flat = porchlight_sync::fields::flatten(value);
    if let Some(e) = schema::unknown_fields(
        porchlight_sync::Entity::Contact,
        flat.keys()
            .map(String::as_str)
            .filter(|f| *f != schema::REMOVED_REASON),
    ) {
        return Err(CaseError::Invalid(vec![e]));
    }
    if flat.contains_key(schema::REMOVED_REASON) {
        return Err(CaseError::Invalid(vec![FieldError::new(
            schema::REMOVED_REASON,
            "A new contact is current; leave removed_reason out.",
        )]));
    }
    let checked = schema::check_contact(&schema::leaves(&flat)).map_err(CaseError::Invalid)?;
    // A contact entered here is new, so it is stored as the app would store it: normalised.
    checked.form.validate().map_err(CaseError::Invalid)
}

pub async fn add_contact(
    db: &impl GenericClient,
    w: &Writer<'_>,
    case: Uuid,
    id: Uuid,
    fields: ContactFields,
    now: DateTime<Utc>,
) -> Result<Contact, CaseError> {
    if db::query_opt(db, "SELECT 1 FROM contacts WHERE id = $1", &[&id])
        .await?
        .is_some()
    {
        return Err(CaseError::Exists);
    }
    let stamp = w.stamp(None, now);
    let record = write::contact_record(case, id, &fields, stamp);
    let batch = Batch {
        new_contacts: vec![store::ContactRow {
            id,
            case_id: case,
            form: serde_json::to_value(&fields).expect("contact fields serialise"),
            do_not_disclose: fields.do_not_disclose,
            removed_reason: None,
            sync_state: record.text(),
            by: w.user,
            at: now,
        }],
        ..Batch::default()
    };
    store::write(db, &batch).await?;
    let rows: Vec<_> = write::record_row(&record, None).into_iter().collect();
    w.finish(db, case, stamp, &rows, now).await?;
    Ok(Contact {
        id,
        case_id: case,
        fields,
        created_at: now,
    })
}

/// The case's current contacts (a removed one is kept for sync, not listed).
pub async fn contacts(db: &impl GenericClient, case: Uuid) -> Result<Vec<Contact>, CaseError> {
    let rows = db::query(db, "SELECT id, case_id, fields, do_not_disclose, created_at FROM contacts WHERE case_id = $1 AND removed_reason IS NULL ORDER BY created_at, id", &[&case]).await?;
    rows.iter()
        .map(|r| {
            let mut fields: ContactFields = serde_json::from_value(r.get(2))
                .map_err(|e| CaseError::Db(DbError::Corrupt(format!("contact: {e}"))))?;
            // The column is the source of truth for the flag the rules filter on.
            fields.do_not_disclose = r.get(3);
            Ok(Contact {
                id: r.get(0),
                case_id: r.get(1),
                fields,
                created_at: r.get(4),
            })
        })
        .collect()
}

pub async fn recipients(db: &impl GenericClient, case: Uuid) -> Result<Vec<Recipient>, CaseError> {
    Ok(contacts(db, case)
        .await?
        .into_iter()
        .filter(|c| !c.fields.do_not_disclose)
        .map(|c| Recipient {
            contact_id: c.id,
            name: c.fields.name,
            relationship: match c.fields.relationship {
                Some(porchlight_domain::Relationship::Other) | None => c.fields.relationship_detail,
                Some(r) => r.label().to_owned(),
            },
            phone: c.fields.phones.join(", "),
            email: c.fields.email,
            language: c.fields.preferred_language,
            best_time: c.fields.best_time_to_call,
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteCategory {
    Call,
    Lead,
    FamilyContact,
    LawEnforcement,
    Media,
    Internal,
}

impl NoteCategory {
    /// The same category as the app names it.
    pub fn domain(self) -> porchlight_domain::NoteCategory {
        match self {
            NoteCategory::Call => porchlight_domain::NoteCategory::Call,
            NoteCategory::Lead => porchlight_domain::NoteCategory::LeadTip,
            NoteCategory::FamilyContact => porchlight_domain::NoteCategory::FamilyContact,
            NoteCategory::LawEnforcement => porchlight_domain::NoteCategory::LawEnforcement,
            NoteCategory::Media => porchlight_domain::NoteCategory::Media,
            NoteCategory::Internal => porchlight_domain::NoteCategory::Internal,
        }
    }

    fn code(self) -> &'static str {
        match self {
            NoteCategory::Call => "call",
            NoteCategory::Lead => "lead",
            NoteCategory::FamilyContact => "family_contact",
            NoteCategory::LawEnforcement => "law_enforcement",
            NoteCategory::Media => "media",
            NoteCategory::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: Uuid,
    pub case_id: Uuid,
    pub author_id: Option<Uuid>,
    pub category: NoteCategory,
    pub body: String,
    pub supersedes: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub const MAX_NOTE: usize = 20_000;

#[allow(clippy::too_many_arguments)]
pub async fn add_note(
    db: &impl GenericClient,
    w: &Writer<'_>,
    case: Uuid,
    id: Uuid,
    category: NoteCategory,
    body: &str,
    supersedes: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Note, CaseError> {
    let body = body.trim().replace("\r\n", "\n");
    if body.is_empty() || body.chars().count() > MAX_NOTE {
        return Err(CaseError::Invalid(vec![FieldError::new(
            "body",
            format!("Write 1 to {MAX_NOTE} characters."),
        )]));
    }
    let (note_id, version) = match supersedes {
        Some(old) => {
            let same_case = db::query_opt(
                db,
                "SELECT note_id, version FROM notes WHERE id = $1 AND case_id = $2",
                &[&old, &case],
            )
            .await?;
            let Some(row) = same_case else {
                return Err(CaseError::Invalid(vec![FieldError::new(
                    "supersedes",
                    "Name a note of this same case.",
                )]));
            };
            let note_id: Uuid = row.get(0);
            let latest: i32 = db::query_one(
                db,
                "SELECT max(version) FROM notes WHERE note_id = $1",
                &[&note_id],
            )
            .await?
            .get(0);
            (note_id, latest + 1)
        }
        None => (id, 1),
    };
    if db::query_opt(db, "SELECT 1 FROM notes WHERE id = $1", &[&id])
        .await?
        .is_some()
    {
        return Err(CaseError::Exists);
    }
    let stamp = w.stamp(None, now);
    let version_record = schema::NoteVersion {
        note_id,
        version: version as u32,
        category: category.domain(),
        body: body.clone(),
        author: w.name.clone(),
        written_at: now,
    };
    let change = write::note_change(case, id, &version_record, stamp);
    let batch = Batch {
        notes: vec![store::NoteRow {
            id,
            case_id: case,
            author: w.user,
            category: category.code(),
            body: body.clone(),
            supersedes,
            note_id,
            version,
            change: crate::sync::record::ChangeRef::Appended(&change).text(),
            at: now,
        }],
        ..Batch::default()
    };
    store::write(db, &batch).await?;
    w.finish(db, case, stamp, &[write::appended_row(&change)], now)
        .await?;
    Ok(Note {
        id,
        case_id: case,
        author_id: Some(w.user),
        category,
        body,
        supersedes,
        created_at: now,
    })
}

pub async fn notes(db: &impl GenericClient, case: Uuid) -> Result<Vec<Note>, CaseError> {
    let rows = db::query(db, "SELECT id, case_id, author_id, category, body, supersedes, created_at FROM notes WHERE case_id = $1 ORDER BY created_at, id", &[&case]).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let category: String = r.get(3);
            Note {
                id: r.get(0),
                case_id: r.get(1),
                author_id: r.get(2),
                category: serde_json::from_value(Value::String(category))
                    .expect("the schema only allows known categories"),
                body: r.get(4),
                supersedes: r.get(5),
                created_at: r.get(6),
            }
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    Photo,
    AgeProgressed,
    Companion,
    Vehicle,
}

impl PhotoKind {
    pub fn code(self) -> &'static str {
        match self {
            PhotoKind::Photo => "photo",
            PhotoKind::AgeProgressed => "age_progressed",
            PhotoKind::Companion => "companion",
            PhotoKind::Vehicle => "vehicle",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    pub id: Uuid,
    pub case_id: Uuid,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub content_type: String,
    pub size: i32,
    pub kind: PhotoKind,
    pub taken_on: Option<NaiveDate>,
    pub age_in_photo: Option<i16>,
    pub consent_to_publish: bool,
    pub created_at: DateTime<Utc>,
}

/// What a photo upload says about the image besides its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoMeta {
    pub kind: PhotoKind,
    pub consent_to_publish: bool,
    pub taken_on: Option<NaiveDate>,
    pub age_in_photo: Option<i16>,
}

/// The image types accepted, recognised by their first bytes rather than by what the client says.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

const PHOTO_COLUMNS: &str = "p.id, p.case_id, p.sha256, p.content_type, b.size, p.kind, p.taken_on, p.age_in_photo, p.consent_to_publish, p.created_at";

fn photo_from(r: &Row) -> Photo {
    let sha: Vec<u8> = r.get(2);
    let kind: String = r.get(5);
    Photo {
        id: r.get(0),
        case_id: r.get(1),
        sha256: sha.iter().map(|b| format!("{b:02x}")).collect(),
        content_type: r.get(3),
        size: r.get(4),
        kind: serde_json::from_value(Value::String(kind))
            .expect("the schema only allows known kinds"),
        taken_on: r.get(6),
        age_in_photo: r.get(7),
        consent_to_publish: r.get(8),
        created_at: r.get(9),
    }
}

pub async fn add_photo(
    db: &impl GenericClient,
    w: &Writer<'_>,
    case: Uuid,
    id: Uuid,
    meta: &PhotoMeta,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<Photo, CaseError> {
    use sha2::{Digest, Sha256};
    let Some(content_type) = sniff_image(bytes) else {
        return Err(CaseError::Invalid(vec![FieldError::new(
            "body",
            "Send a JPEG, PNG or WebP image.",
        )]));
    };
    if let Some(age) = meta.age_in_photo {
        if !(0..=25).contains(&age) {
            return Err(CaseError::Invalid(vec![FieldError::new(
                "age_in_photo",
                "Give the child's age in the photo, 0 to 25.",
            )]));
        }
    }
    if db::query_opt(db, "SELECT 1 FROM photos WHERE id = $1", &[&id])
        .await?
        .is_some()
    {
        return Err(CaseError::Exists);
    }
    let sha = Sha256::digest(bytes).to_vec();
    let sha_hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    let size = bytes.len() as i32;
    db::execute(
        db,
        "INSERT INTO blobs (sha256, content, size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
        &[&sha, &bytes, &size, &now],
    )
    .await?;
    let stamp = w.stamp(None, now);
    let taken_on = meta
        .taken_on
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let record = write::photo_record(
        case,
        id,
        &sha_hex,
        content_type,
        meta.kind.code(),
        &taken_on,
        meta.age_in_photo,
        meta.consent_to_publish,
        stamp,
    );
    let batch = Batch {
        new_photos: vec![store::PhotoRow {
            id,
            case_id: case,
            sha256: sha.clone(),
            mime: content_type.to_owned(),
            kind: meta.kind.code(),
            taken_on: meta.taken_on,
            child_age: meta.age_in_photo,
            consent_to_publish: meta.consent_to_publish,
            deleted: false,
            sync_state: record.text(),
            by: w.user,
            at: now,
        }],
        ..Batch::default()
    };
    store::write(db, &batch).await?;
    let rows: Vec<_> = write::record_row(&record, None).into_iter().collect();
    w.finish(db, case, stamp, &rows, now).await?;
    Ok(Photo {
        id,
        case_id: case,
        sha256: sha_hex,
        content_type: content_type.to_owned(),
        size,
        kind: meta.kind,
        taken_on: meta.taken_on,
        age_in_photo: meta.age_in_photo,
        consent_to_publish: meta.consent_to_publish,
        created_at: now,
    })
}

/// The photos of a case that `access` allows.
pub async fn photos(
    db: &impl GenericClient,
    case: Uuid,
    access: PhotoAccess,
) -> Result<Vec<Photo>, CaseError> {
    let consented_only = match access {
        PhotoAccess::None => return Ok(Vec::new()),
        PhotoAccess::Consented => true,
        PhotoAccess::All => false,
    };
    let rows = db::query(
        db,
        &format!("SELECT {PHOTO_COLUMNS} FROM photos p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.case_id = $1 AND NOT p.deleted AND (p.consent_to_publish OR NOT $2) ORDER BY p.created_at, p.id"),
        &[&case, &consented_only],
    )
    .await?;
    Ok(rows.iter().map(photo_from).collect())
}

/// A photo and its bytes, when its case is in the caller's scope and `access` allows it.
pub async fn photo(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    id: Uuid,
) -> Result<(Photo, Vec<u8>), CaseError> {
    let consented_only = match grant.photos {
        PhotoAccess::None => return Err(CaseError::NotFound),
        PhotoAccess::Consented => true,
        PhotoAccess::All => false,
    };
    let sql = format!(
        "SELECT {PHOTO_COLUMNS}, b.content FROM photos p JOIN blobs b ON b.sha256 = p.sha256 JOIN cases c ON c.id = p.case_id
         WHERE p.id = $1 AND NOT p.deleted AND (p.consent_to_publish OR NOT $3) AND {}",
        rules::scope_sql(grant, 2)
    );
    let row = db::query_opt(db, &sql, &[&id, &user, &consented_only])
        .await?
        .ok_or(CaseError::NotFound)?;
    Ok((photo_from(&row), row.get(10)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(b"<html>"), None);
    }

    #[test]
    fn a_contact_is_read_strictly_and_checked_as_the_app_does() {
        let bad = contact_form(
            &serde_json::json!({"name": "", "relationship": "mother", "phones": ["123"]}),
        )
        .unwrap_err();
        let CaseError::Invalid(errors) = bad else {
            panic!("expected field errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "phones.0"]);
        let CaseError::Invalid(errors) =
            contact_form(&serde_json::json!({"name": "Rosa Diaz", "phone": "918 555 0142"}))
                .unwrap_err()
        else {
            panic!("expected field errors")
        };
        assert_eq!(errors[0].field, "phone", "an unknown field is named");
        let good = contact_form(&serde_json::json!({"name": "Rosa Diaz", "relationship": "mother", "phones": ["918 555 0142"]})).unwrap();
        assert_eq!(good.phones, ["(918) 555-0142"]);
    }
}
