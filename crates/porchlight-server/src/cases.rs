//! Cases on the server and what hangs off them: assignment and sharing, family contacts, notes
//! and photos. Every read takes the caller's `rules::Grant` and filters through
//! `rules::scope_sql`, so no query here can reach a case outside the caller's scope. It does not
//! redact fields (the HTTP layer applies `rules::redact` to what it sends) and writes no audit
//! entries (its callers do, in the same transaction).

use crate::db::{self, DbError};
use crate::rules::{self, Grant, PhotoAccess};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use porchlight_domain::{CaseFields, CaseNumber, CaseStatus, FieldError, PersonName, PhoneNumber};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

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

/// Stores a new case for `office`. A case manager who creates a case is assigned to it.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &impl GenericClient,
    id: Uuid,
    office: Uuid,
    status: CaseStatus,
    fields: &CaseFields,
    creator: Uuid,
    assign_creator: bool,
    now: DateTime<Utc>,
) -> Result<StoredCase, CaseError> {
    let number = CaseNumber::for_case(&porchlight_domain::CaseId::from_uuid(id), now.date_naive());
    let json = serde_json::to_value(fields).expect("case fields serialise");
    let added = db::execute(
        db,
        "INSERT INTO cases (id, case_number, office_id, status, fields, version, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7) ON CONFLICT DO NOTHING",
        &[&id, &number.as_str(), &office, &status.code(), &json, &creator, &now],
    )
    .await?;
    if added == 0 {
        return Err(CaseError::Exists);
    }
    if assign_creator {
        db::execute(
            db,
            "INSERT INTO case_access (case_id, user_id, kind, granted_by, granted_at) VALUES ($1, $2, 'assigned', $2, $3)",
            &[&id, &creator, &now],
        )
        .await?;
    }
    Ok(StoredCase {
        id,
        case_number: number.as_str().to_owned(),
        office_id: office,
        status,
        version: 1,
        fields: json,
        assigned_to: assign_creator.then_some(creator),
        created_at: now,
        updated_at: now,
        archived_at: None,
    })
}

/// Saves an edit made to `version`; refuses it when someone saved in between.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    id: Uuid,
    version: i64,
    status: Option<CaseStatus>,
    fields: &CaseFields,
    now: DateTime<Utc>,
) -> Result<StoredCase, CaseError> {
    let current = get(db, grant, user, id).await?;
    let json = serde_json::to_value(fields).expect("case fields serialise");
    let status = status.unwrap_or(current.status);
    let changed = db::execute(
        db,
        "UPDATE cases SET fields = $3, status = $4, version = version + 1, updated_at = $5 WHERE id = $1 AND version = $2",
        &[&id, &version, &json, &status.code(), &now],
    )
    .await?;
    if changed == 0 {
        return Err(CaseError::EditConflict {
            current: current.version,
        });
    }
    Ok(StoredCase {
        version: version + 1,
        fields: json,
        status,
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

/// A family contact as the case manager fills it in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactFields {
    pub name: String,
    /// mother, father, guardian, foster parent, sibling, grandparent, ...
    pub relationship: String,
    pub primary: bool,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub language: String,
    pub best_time: String,
    pub notes: String,
    /// Never told of case updates (e.g. a suspected abducting parent).
    pub do_not_disclose: bool,
}

impl ContactFields {
    pub fn validate(mut self) -> Result<ContactFields, CaseError> {
        let mut errors = Vec::new();
        match PersonName::parse(&self.name) {
            Ok(n) => self.name = n.as_str().to_owned(),
            Err(e) => errors.push(FieldError::new("name", e.0)),
        }
        if !self.phone.trim().is_empty() {
            match PhoneNumber::parse(&self.phone) {
                Ok(p) => self.phone = p.as_str().to_owned(),
                Err(e) => errors.push(FieldError::new("phone", e.0)),
            }
        }
        self.email = self.email.trim().to_owned();
        let plausible = self.email.contains('@')
            && !self.email.contains(char::is_whitespace)
            && self.email.len() <= 254;
        if !self.email.is_empty() && !plausible {
            errors.push(FieldError::new(
                "email",
                "Enter an email address such as name@example.org.",
            ));
        }
        for (field, value, max) in [
            ("relationship", &mut self.relationship, 100),
            ("address", &mut self.address, 300),
            ("language", &mut self.language, 60),
            ("best_time", &mut self.best_time, 100),
            ("notes", &mut self.notes, 4000),
        ] {
            *value = value.trim().to_owned();
            if value.chars().count() > max {
                errors.push(FieldError::new(
                    field,
                    format!("Shorten this to {max} characters or fewer."),
                ));
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(CaseError::Invalid(errors))
        }
    }
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

pub async fn add_contact(
    db: &impl GenericClient,
    case: Uuid,
    id: Uuid,
    fields: ContactFields,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Contact, CaseError> {
    let json = serde_json::to_value(&fields).expect("contact fields serialise");
    let added = db::execute(
        db,
        "INSERT INTO contacts (id, case_id, fields, do_not_disclose, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        &[&id, &case, &json, &fields.do_not_disclose, &by, &now],
    )
    .await?;
    if added == 0 {
        return Err(CaseError::Exists);
    }
    Ok(Contact {
        id,
        case_id: case,
        fields,
        created_at: now,
    })
}

pub async fn contacts(db: &impl GenericClient, case: Uuid) -> Result<Vec<Contact>, CaseError> {
    let rows = db::query(db, "SELECT id, case_id, fields, do_not_disclose, created_at FROM contacts WHERE case_id = $1 ORDER BY created_at, id", &[&case]).await?;
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
            relationship: c.fields.relationship,
            phone: c.fields.phone,
            email: c.fields.email,
            language: c.fields.language,
            best_time: c.fields.best_time,
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
    case: Uuid,
    id: Uuid,
    category: NoteCategory,
    body: &str,
    supersedes: Option<Uuid>,
    author: Uuid,
    now: DateTime<Utc>,
) -> Result<Note, CaseError> {
    let body = body.trim().replace("\r\n", "\n");
    if body.is_empty() || body.chars().count() > MAX_NOTE {
        return Err(CaseError::Invalid(vec![FieldError::new(
            "body",
            format!("Write 1 to {MAX_NOTE} characters."),
        )]));
    }
    if let Some(old) = supersedes {
        let same_case = db::query_opt(
            db,
            "SELECT 1 FROM notes WHERE id = $1 AND case_id = $2",
            &[&old, &case],
        )
        .await?;
        if same_case.is_none() {
            return Err(CaseError::Invalid(vec![FieldError::new(
                "supersedes",
                "Name a note of this same case.",
            )]));
        }
    }
    let added = db::execute(
        db,
        "INSERT INTO notes (id, case_id, author_id, category, body, supersedes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        &[&id, &case, &author, &category.code(), &body, &supersedes, &now],
    )
    .await?;
    if added == 0 {
        return Err(CaseError::Exists);
    }
    Ok(Note {
        id,
        case_id: case,
        author_id: Some(author),
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
    fn code(self) -> &'static str {
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
    case: Uuid,
    id: Uuid,
    meta: &PhotoMeta,
    bytes: &[u8],
    by: Uuid,
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
    let sha = Sha256::digest(bytes).to_vec();
    let size = bytes.len() as i32;
    db::execute(
        db,
        "INSERT INTO blobs (sha256, content, size, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING",
        &[&sha, &bytes, &size, &now],
    )
    .await?;
    let added = db::execute(
        db,
        "INSERT INTO photos (id, case_id, sha256, content_type, kind, taken_on, age_in_photo, consent_to_publish, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        &[&id, &case, &sha, &content_type, &meta.kind.code(), &meta.taken_on, &meta.age_in_photo, &meta.consent_to_publish, &by, &now],
    )
    .await?;
    if added == 0 {
        return Err(CaseError::Exists);
    }
    Ok(Photo {
        id,
        case_id: case,
        sha256: sha.iter().map(|b| format!("{b:02x}")).collect(),
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
        &format!("SELECT {PHOTO_COLUMNS} FROM photos p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.case_id = $1 AND (p.consent_to_publish OR NOT $2) ORDER BY p.created_at, p.id"),
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
         WHERE p.id = $1 AND (p.consent_to_publish OR NOT $3) AND {}",
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
    fn a_contact_needs_a_name_and_a_real_phone_number() {
        let bad = ContactFields {
            name: "".into(),
            phone: "123".into(),
            email: "nope".into(),
            ..Default::default()
        };
        let CaseError::Invalid(errors) = bad.validate().unwrap_err() else {
            panic!("expected field errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "phone", "email"]);
        let good = ContactFields {
            name: "Rosa Diaz".into(),
            phone: "918 555 0142".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(good.phone, "(918) 555-0142");
    }
}
