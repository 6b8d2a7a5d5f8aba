//! Administration over HTTP: people, offices, devices and the audit log. Each handler checks
//! its column of the caller's rules row first and audits what it did. Everyone may list,
//! revoke or flag for wipe their own devices; only `manage_devices` reaches others'.

use super::error::ApiError;
use super::extract::{parse_id, Auth, JsonBody, QueryParams};
use super::AppState;
use crate::audit::{self, Action, Entry, Record};
use crate::devices::{self, Device};
use crate::people::{self, Office, Role, User};
use crate::{password, totp};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use serde::{Deserialize, Serialize};
use serde_json::json;

fn need(allowed: bool, what: &str) -> Result<(), ApiError> {
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(what))
    }
}

/// Hashing takes tens of milliseconds of CPU; keep it off the async workers.
async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::field("password", e.to_string()))
}

pub async fn users(auth: Auth) -> Result<Json<Vec<User>>, ApiError> {
    need(auth.grant.manage_people, "manage people")?;
    let list = people::users(&auth.db).await?;
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::UsersListed).address(auth.address.clone()),
    )
    .await?;
    Ok(Json(list))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The office's name; required for supervisors, case managers and volunteers.
    #[serde(default)]
    pub office: Option<String>,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewUserResponse {
    pub user: User,
    /// For admins and supervisors: the authenticator enrolment address, shown this once.
    pub totp_uri: Option<String>,
}

pub async fn add_user(
    State(app): State<AppState>,
    auth: Auth,
    JsonBody(req): JsonBody<NewUserRequest>,
) -> Result<(StatusCode, Json<NewUserResponse>), ApiError> {
    need(auth.grant.manage_people, "manage people")?;
    let now = super::now();
    password::check_new(&req.password).map_err(|e| ApiError::field("password", e.to_string()))?;
    let office = match &req.office {
        Some(name) => Some(people::office_named(&auth.db, name).await?.id),
        None => None,
    };
    let hash = hash_password(req.password).await?;
    let mut db = auth.db;
    let tx = db.transaction().await?;
    let created = people::add_user(
        &tx,
        &req.username,
        &req.display_name,
        req.role,
        office,
        hash,
        now,
    )
    .await?;
    let actor = audit::Actor::User {
        user: auth.caller.user_id,
        device: Some(auth.caller.device_id),
    };
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::UserAdded)
            .subject(created.user.id)
            .address(auth.address)
            .detail(json!({ "role": req.role })),
    )
    .await?;
    tx.commit().await?;
    let totp_uri = created
        .totp_secret
        .as_ref()
        .map(|s| totp::enrolment_uri(&app.totp_issuer, &created.user.username, s));
    Ok((
        StatusCode::CREATED,
        Json(NewUserResponse {
            user: created.user,
            totp_uri,
        }),
    ))
}

pub async fn disable_user(auth: Auth, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    need(auth.grant.manage_people, "manage people")?;
    let id = parse_id("user id", &id)?;
    if people::user_by_id(&auth.db, id).await?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    let now = super::now();
    let actor = auth.actor();
    let mut db = auth.db;
    let tx = db.transaction().await?;
    people::disable(&tx, id, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::UserDisabled)
            .subject(id)
            .address(auth.address),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: Role,
    /// The office's name, for a role that works for one; the account's own office when left out.
    #[serde(default)]
    pub office: Option<String>,
}

/// Gives an account another role. In the same transaction every device of the account is told
/// to give back what it holds (`sync::pull::rescope_devices_of`): at its next pull each case
/// leaves the device, and those the new role may see come back whole, redacted for it.
pub async fn set_role(
    State(app): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<RoleRequest>,
) -> Result<Json<NewUserResponse>, ApiError> {
    need(auth.grant.manage_people, "manage people")?;
    let id = parse_id("user id", &id)?;
    let Some(before) = people::user_by_id(&auth.db, id).await? else {
        return Err(ApiError::not_found("user"));
    };
    let office = match &req.office {
        Some(name) => Some(people::office_named(&auth.db, name).await?.id),
        None => None,
    };
    let now = super::now();
    let actor = auth.actor();
    let mut db = auth.db;
    let tx = db.transaction().await?;
    let changed = people::set_role(&tx, id, req.role, office, now).await?;
    let devices = crate::sync::pull::rescope_devices_of(&tx, id).await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::UserRoleChanged)
            .subject(id)
            .address(auth.address)
            .detail(json!({
                "from": before.role,
                "role": changed.user.role,
                "office_id": changed.user.office_id,
                "devices_rescoped": devices,
            })),
    )
    .await?;
    tx.commit().await?;
    let totp_uri = changed
        .totp_secret
        .as_ref()
        .map(|s| totp::enrolment_uri(&app.totp_issuer, &changed.user.username, s));
    Ok(Json(NewUserResponse {
        user: changed.user,
        totp_uri,
    }))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub password: String,
}

pub async fn reset_password(
    auth: Auth,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    need(auth.grant.manage_people, "manage people")?;
    let id = parse_id("user id", &id)?;
    if people::user_by_id(&auth.db, id).await?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    let hash = hash_password(req.password).await?;
    let now = super::now();
    let actor = auth.actor();
    let mut db = auth.db;
    let tx = db.transaction().await?;
    people::set_password(&tx, id, hash, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::PasswordReset)
            .subject(id)
            .address(auth.address),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn offices(auth: Auth) -> Result<Json<Vec<Office>>, ApiError> {
    // Office names and regions are not personal data; every signed-in user may read them.
    Ok(Json(people::offices(&auth.db).await?))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOfficeRequest {
    pub name: String,
    pub region: String,
}

pub async fn add_office(
    auth: Auth,
    JsonBody(req): JsonBody<NewOfficeRequest>,
) -> Result<(StatusCode, Json<Office>), ApiError> {
    need(auth.grant.manage_people, "manage people")?;
    let now = super::now();
    let actor = auth.actor();
    let mut db = auth.db;
    let tx = db.transaction().await?;
    let office = people::add_office(&tx, &req.name, &req.region, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, actor, Action::OfficeAdded)
            .subject(office.id)
            .address(auth.address),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(office)))
}

pub async fn devices(auth: Auth) -> Result<Json<Vec<Device>>, ApiError> {
    let only = (!auth.grant.manage_devices).then_some(auth.caller.user_id);
    let list = devices::list(&auth.db, only).await?;
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::DevicesListed)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(Json(list))
}

/// The device, when the caller may act on it: their own, or any with `manage_devices`.
async fn reachable_device(auth: &Auth, raw: &str) -> Result<Device, ApiError> {
    let id = parse_id("device id", raw)?;
    match devices::get(&auth.db, id).await? {
        Some(d) if auth.grant.manage_devices || d.user_id == auth.caller.user_id => Ok(d),
        _ => Err(ApiError::not_found("device")),
    }
}

pub async fn revoke_device(auth: Auth, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let device = reachable_device(&auth, &id).await?;
    let now = super::now();
    devices::revoke(&auth.db, device.id, now).await?;
    audit::append(
        &auth.db,
        &Entry::new(now, auth.actor(), Action::TokenRevoked)
            .subject(device.id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn wipe_device(auth: Auth, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let device = reachable_device(&auth, &id).await?;
    let now = super::now();
    devices::request_wipe(&auth.db, device.id, now).await?;
    audit::append(
        &auth.db,
        &Entry::new(now, auth.actor(), Action::WipeRequested)
            .subject(device.id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub after: i64,
    #[serde(default = "default_audit_limit")]
    pub limit: i64,
}

fn default_audit_limit() -> i64 {
    500
}

pub async fn audit(
    auth: Auth,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Json<Vec<Record>>, ApiError> {
    need(auth.grant.read_audit, "read the audit log")?;
    if !(1..=5000).contains(&q.limit) {
        return Err(ApiError::field("limit", "ask for 1 to 5000 entries"));
    }
    let entries = audit::read(&auth.db, q.after, q.limit).await?;
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::AuditRead)
            .address(auth.address.clone())
            .detail(json!({ "after": q.after, "count": entries.len() })),
    )
    .await?;
    Ok(Json(entries))
}
