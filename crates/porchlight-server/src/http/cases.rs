//! The case endpoints: list, read, create and edit cases, assign and share them, and their
//! contacts, notes and photos. Each handler asks the caller's rules row whether the role may do
//! this at all, reaches the case only through the scoped queries of `crate::cases`, sends only
//! the fields its view allows, and audits the read or write (a write in the same transaction as
//! its audit entry). Refusals are audited too.

use super::error::{ApiCode, ApiError};
use super::extract::{parse_id, too_large, Auth, JsonBody, QueryParams};
use crate::audit::{self, Action, Entry};
use crate::cases::{
    self, CaseError, Contact, Note, NoteCategory, Photo, PhotoMeta, Recipient, StoredCase,
};
use crate::rules::{self, CaseScope, CaseView, PhotoAccess};
use crate::sync::write::Writer;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use porchlight_domain::{CaseFields, CaseStatus};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

/// A case as one caller may see it. `fields` holds only what `view` allows: redacted fields are
/// absent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseOut {
    pub id: Uuid,
    pub case_number: String,
    pub status: CaseStatus,
    pub version: i64,
    pub view: CaseView,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub office_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assigned_to: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    pub fields: Value,
}

fn case_out(case: StoredCase, view: CaseView) -> CaseOut {
    let full = view == CaseView::Full;
    CaseOut {
        id: case.id,
        case_number: case.case_number,
        status: case.status,
        version: case.version,
        view,
        office_id: full.then_some(case.office_id),
        assigned_to: if full { case.assigned_to } else { None },
        created_at: case.created_at,
        updated_at: case.updated_at,
        archived_at: case.archived_at,
        fields: rules::redact(&case.fields, view),
    }
}

/// Records a refusal and returns it.
async fn refuse(auth: &Auth, case: Option<Uuid>, err: ApiError) -> ApiError {
    let mut entry = Entry::new(super::now(), auth.actor(), Action::AccessDenied)
        .address(auth.address.clone())
        .detail(json!({ "code": err.code }));
    if let Some(c) = case {
        entry = entry.case(c);
    }
    match audit::append(&auth.db, &entry).await {
        Ok(_) => err,
        Err(e) => e.into(),
    }
}

async fn need(auth: &Auth, allowed: bool, case: Option<Uuid>, what: &str) -> Result<(), ApiError> {
    if allowed {
        Ok(())
    } else {
        Err(refuse(auth, case, ApiError::forbidden(what)).await)
    }
}

/// The case, when it is in the caller's scope.
async fn reach(auth: &Auth, raw_id: &str) -> Result<StoredCase, ApiError> {
    let id = parse_id("case id", raw_id)?;
    need(
        auth,
        auth.grant.cases != CaseScope::Nothing,
        Some(id),
        "see cases",
    )
    .await?;
    match cases::get(&auth.db, auth.grant, auth.caller.user_id, id).await {
        Ok(case) => Ok(case),
        Err(CaseError::NotFound) => Err(refuse(auth, Some(id), ApiError::not_found("case")).await),
        Err(e) => Err(e.into()),
    }
}

fn check_new_id(id: Option<Uuid>, field: &str, now: DateTime<Utc>) -> Result<Uuid, ApiError> {
    match id {
        None => Ok(crate::new_id(now)),
        Some(id) if id.get_version_num() == 7 => Ok(id),
        Some(_) => Err(ApiError::field(
            field,
            "ids are made on the device as UUIDv7; leave it out to let the server choose",
        )),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    pub status: Option<CaseStatus>,
    #[serde(default = "default_limit")]
    pub limit: i64,
    #[serde(default)]
    pub offset: i64,
}

fn default_limit() -> i64 {
    100
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseList {
    pub cases: Vec<CaseOut>,
    pub offset: i64,
    pub limit: i64,
}

pub async fn list(
    auth: Auth,
    QueryParams(q): QueryParams<ListParams>,
) -> Result<Json<CaseList>, ApiError> {
    need(
        &auth,
        auth.grant.cases != CaseScope::Nothing,
        None,
        "see cases",
    )
    .await?;
    if !(1..=500).contains(&q.limit) {
        return Err(ApiError::field("limit", "ask for 1 to 500 cases per page"));
    }
    if q.offset < 0 {
        return Err(ApiError::field("offset", "give a page offset of 0 or more"));
    }
    let found = cases::list(
        &auth.db,
        auth.grant,
        auth.caller.user_id,
        q.status,
        q.limit,
        q.offset,
    )
    .await?;
    let ids: Vec<Uuid> = found.iter().map(|c| c.id).collect();
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::CaseListed)
            .address(auth.address.clone())
            .detail(json!({ "case_ids": ids })),
    )
    .await?;
    let view = auth.grant.view;
    Ok(Json(CaseList {
        cases: found.into_iter().map(|c| case_out(c, view)).collect(),
        offset: q.offset,
        limit: q.limit,
    }))
}

pub async fn read(auth: Auth, Path(id): Path<String>) -> Result<Json<CaseOut>, ApiError> {
    let case = reach(&auth, &id).await?;
    // The entry says which case went to which device; it is written before the case is sent.
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::CaseRead)
            .case(case.id)
            .address(auth.address.clone())
            .detail(json!({ "view": auth.grant.view })),
    )
    .await?;
    Ok(Json(case_out(case, auth.grant.view)))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// A UUIDv7 made on the device; the server makes one when absent.
    #[serde(default)]
    pub id: Option<Uuid>,
    #[serde(default)]
    pub status: Option<CaseStatus>,
    pub fields: CaseFields,
}

pub async fn create(
    mut auth: Auth,
    JsonBody(req): JsonBody<NewCase>,
) -> Result<(StatusCode, Json<CaseOut>), ApiError> {
    need(&auth, auth.grant.write_cases, None, "create cases").await?;
    let now = super::now();
    let id = check_new_id(req.id, "id", now)?;
    let office = auth
        .caller
        .office_id
        .ok_or_else(|| ApiError::forbidden("create cases without an office"))?;
    let fields = cases::validate(&req.fields, now)?;
    let assign_creator = auth.caller.role == crate::people::Role::CaseManager;
    let (actor, address, user, view) = (
        auth.actor(),
        auth.address.clone(),
        auth.caller.user_id,
        auth.grant.view,
    );
    let (clock, device) = (auth.clock.clone(), auth.caller.device_id);
    let tx = auth.db.transaction().await?;
    let writer = Writer::load(&tx, user, Some(device), &clock).await?;
    let case = cases::create(
        &tx,
        &writer,
        id,
        office,
        req.status.unwrap_or(CaseStatus::Intake),
        &fields,
        assign_creator,
        now,
    )
    .await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::CaseCreated)
            .case(case.id)
            .address(address),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(case_out(case, view))))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEdit {
    /// The version the edit was made to.
    pub version: i64,
    #[serde(default)]
    pub status: Option<CaseStatus>,
    pub fields: CaseFields,
}

pub async fn update(
    mut auth: Auth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CaseEdit>,
) -> Result<Json<CaseOut>, ApiError> {
    let id = parse_id("case id", &id)?;
    need(&auth, auth.grant.write_cases, Some(id), "edit cases").await?;
    let now = super::now();
    let fields = cases::validate(&req.fields, now)?;
    let (actor, address, user, grant) = (
        auth.actor(),
        auth.address.clone(),
        auth.caller.user_id,
        auth.grant,
    );
    let (clock, device) = (auth.clock.clone(), auth.caller.device_id);
    let tx = auth.db.transaction().await?;
    let writer = Writer::load(&tx, user, Some(device), &clock).await?;
    let result = cases::update(
        &tx,
        &writer,
        grant,
        id,
        req.version,
        req.status,
        &fields,
        now,
    )
    .await;
    let case = match result {
        Ok(case) => case,
        Err(CaseError::NotFound) => {
            drop(tx);
            return Err(refuse(&auth, Some(id), ApiError::not_found("case")).await);
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::CaseUpdated)
            .case(id)
            .address(address)
            .detail(json!({ "version": case.version, "status": case.status })),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(case_out(case, grant.view)))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    pub user_id: Uuid,
}

pub async fn assign(
    mut auth: Auth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UserRef>,
) -> Result<Json<CaseOut>, ApiError> {
    let case = reach(&auth, &id).await?;
    need(&auth, auth.grant.assign, Some(case.id), "assign cases").await?;
    let now = super::now();
    let (actor, address, user, view) = (
        auth.actor(),
        auth.address.clone(),
        auth.caller.user_id,
        auth.grant.view,
    );
    let tx = auth.db.transaction().await?;
    let previous =
        cases::assign(&tx, case.id, case.office_id, req.user_id, Some(user), now).await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::CaseAssigned)
            .case(case.id)
            .subject(req.user_id)
            .address(address)
            .detail(json!({ "previous": previous })),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(case_out(
        StoredCase {
            assigned_to: Some(req.user_id),
            ..case
        },
        view,
    )))
}

pub async fn share(
    mut auth: Auth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UserRef>,
) -> Result<StatusCode, ApiError> {
    let case = reach(&auth, &id).await?;
    need(&auth, auth.grant.share, Some(case.id), "share cases").await?;
    let now = super::now();
    let (actor, address, user) = (auth.actor(), auth.address.clone(), auth.caller.user_id);
    let tx = auth.db.transaction().await?;
    cases::share(&tx, &case, req.user_id, user, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::CaseShared)
            .case(case.id)
            .subject(req.user_id)
            .address(address),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn unshare(
    mut auth: Auth,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let case = reach(&auth, &id).await?;
    need(&auth, auth.grant.share, Some(case.id), "share cases").await?;
    let with = parse_id("user id", &user_id)?;
    let now = super::now();
    let (actor, address) = (auth.actor(), auth.address.clone());
    let tx = auth.db.transaction().await?;
    if !cases::unshare(&tx, &case, with).await? {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ApiCode::NotFound,
            "This case is not shared with that user.",
        ));
    }
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::CaseUnshared)
            .case(case.id)
            .subject(with)
            .address(address),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn contacts(auth: Auth, Path(id): Path<String>) -> Result<Json<Vec<Contact>>, ApiError> {
    let case = reach(&auth, &id).await?;
    need(
        &auth,
        auth.grant.contacts_and_notes,
        Some(case.id),
        "see family contacts",
    )
    .await?;
    let list = cases::contacts(&auth.db, case.id).await?;
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::ContactsRead)
            .case(case.id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(Json(list))
}

pub async fn add_contact(
    mut auth: Auth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<Value>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let case = reach(&auth, &id).await?;
    need(
        &auth,
        auth.grant.write_cases && auth.grant.contacts_and_notes,
        Some(case.id),
        "add family contacts",
    )
    .await?;
    let fields = cases::contact_form(&req)?;
    let now = super::now();
    let (actor, address, user) = (auth.actor(), auth.address.clone(), auth.caller.user_id);
    let (clock, device) = (auth.clock.clone(), auth.caller.device_id);
    let tx = auth.db.transaction().await?;
    let writer = Writer::load(&tx, user, Some(device), &clock).await?;
    let contact =
        cases::add_contact(&tx, &writer, case.id, crate::new_id(now), fields, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::ContactAdded)
            .case(case.id)
            .subject(contact.id)
            .address(address),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// Who may be told of case updates. Contacts flagged "do not disclose" are never listed.
pub async fn recipients(
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<Recipient>>, ApiError> {
    let case = reach(&auth, &id).await?;
    need(
        &auth,
        auth.grant.contacts_and_notes,
        Some(case.id),
        "see family contacts",
    )
    .await?;
    let list = cases::recipients(&auth.db, case.id).await?;
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::RecipientsRead)
            .case(case.id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(Json(list))
}

pub async fn notes(auth: Auth, Path(id): Path<String>) -> Result<Json<Vec<Note>>, ApiError> {
    let case = reach(&auth, &id).await?;
    need(
        &auth,
        auth.grant.contacts_and_notes,
        Some(case.id),
        "see case notes",
    )
    .await?;
    let list = cases::notes(&auth.db, case.id).await?;
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::NotesRead)
            .case(case.id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(Json(list))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub category: NoteCategory,
    pub body: String,
    /// The note this one replaces; both are kept.
    #[serde(default)]
    pub supersedes: Option<Uuid>,
}

pub async fn add_note(
    mut auth: Auth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<NewNote>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let case = reach(&auth, &id).await?;
    need(
        &auth,
        auth.grant.write_cases && auth.grant.contacts_and_notes,
        Some(case.id),
        "add case notes",
    )
    .await?;
    let now = super::now();
    let (actor, address, user) = (auth.actor(), auth.address.clone(), auth.caller.user_id);
    let (clock, device) = (auth.clock.clone(), auth.caller.device_id);
    let tx = auth.db.transaction().await?;
    let writer = Writer::load(&tx, user, Some(device), &clock).await?;
    let note = cases::add_note(
        &tx,
        &writer,
        case.id,
        crate::new_id(now),
        req.category,
        &req.body,
        req.supersedes,
        now,
    )
    .await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::NoteAdded)
            .case(case.id)
            .subject(note.id)
            .address(address),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(note)))
}

pub async fn photos(auth: Auth, Path(id): Path<String>) -> Result<Json<Vec<Photo>>, ApiError> {
    let case = reach(&auth, &id).await?;
    need(
        &auth,
        auth.grant.photos != PhotoAccess::None,
        Some(case.id),
        "see photos",
    )
    .await?;
    let list = cases::photos(&auth.db, case.id, auth.grant.photos).await?;
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::PhotosListed)
            .case(case.id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(Json(list))
}

/// The image is the raw request body; what it shows and the consent to publish it are in the
/// query string (`?kind=photo&consent_to_publish=true&taken_on=2026-05-01&age_in_photo=14`).
pub async fn upload_photo(
    mut auth: Auth,
    Path(id): Path<String>,
    QueryParams(meta): QueryParams<PhotoMeta>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Photo>), ApiError> {
    let case = reach(&auth, &id).await?;
    need(
        &auth,
        auth.grant.write_cases && auth.grant.photos == PhotoAccess::All,
        Some(case.id),
        "add photos",
    )
    .await?;
    let bytes = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
        Err(e) => return Err(ApiError::bad(e.body_text())),
    };
    let now = super::now();
    let (actor, address, user) = (auth.actor(), auth.address.clone(), auth.caller.user_id);
    let (clock, device) = (auth.clock.clone(), auth.caller.device_id);
    let tx = auth.db.transaction().await?;
    let writer = Writer::load(&tx, user, Some(device), &clock).await?;
    let photo = cases::add_photo(
        &tx,
        &writer,
        case.id,
        crate::new_id(now),
        &meta,
        &bytes,
        now,
    )
    .await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::PhotoUploaded)
            .case(case.id)
            .subject(photo.id)
            .address(address)
            .detail(json!({ "sha256": photo.sha256 })),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(photo)))
}

pub async fn download_photo(auth: Auth, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id("photo id", &id)?;
    need(
        &auth,
        auth.grant.photos != PhotoAccess::None,
        None,
        "download photos",
    )
    .await?;
    let (photo, bytes) = match cases::photo(&auth.db, auth.grant, auth.caller.user_id, id).await {
        Ok(found) => found,
        Err(CaseError::NotFound) => {
            return Err(refuse(&auth, None, ApiError::not_found("photo")).await)
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::PhotoDownloaded)
            .case(photo.case_id)
            .subject(photo.id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(([(header::CONTENT_TYPE, photo.content_type.clone())], bytes).into_response())
}
