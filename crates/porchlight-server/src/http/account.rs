//! The caller's own account and device: log in (which enrols a device), log out, who am I, and
//! the remote-wipe handshake. It does not manage other people's accounts (`admin`).

use super::error::{ApiCode, ApiError};
use super::extract::{Address, Auth, JsonBody};
use super::AppState;
use crate::audit::{self, Action, Entry};
use crate::devices;
use crate::login::{self, Attempt};
use crate::people::{self, Office, User};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The 6-digit authenticator code; required for admins and supervisors.
    #[serde(default)]
    pub totp: Option<String>,
    /// A name for this device in the device list, e.g. "Ana's laptop".
    pub device_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The bearer token for every later request. Shown once; the server keeps only its hash.
    pub token: String,
    pub device_id: Uuid,
    pub user: User,
}

pub async fn login(
    State(app): State<AppState>,
    Address(address): Address,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let now = super::now();
    let db = app.pool.get().await?;
    let attempt = Attempt {
        username: &req.username,
        password: &req.password,
        totp: req.totp.as_deref(),
        device_name: &req.device_name,
        address,
    };
    let enrolled = login::login(&db, &app.login_limits, attempt, now).await?;
    tracing::info!(user = %enrolled.user.id, device = %enrolled.device_id, "device enrolled");
    Ok(Json(LoginResponse {
        token: enrolled.token.0,
        device_id: enrolled.device_id,
        user: enrolled.user,
    }))
}

/// Ends this device's token.
pub async fn logout(auth: Auth) -> Result<StatusCode, ApiError> {
    let now = super::now();
    devices::revoke(&auth.db, auth.caller.device_id, now).await?;
    audit::append(
        &auth.db,
        &Entry::new(now, auth.actor(), Action::TokenRevoked)
            .subject(auth.caller.device_id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Me {
    pub user: User,
    pub office: Option<Office>,
    pub device_id: Uuid,
}

pub async fn me(auth: Auth) -> Result<Json<Me>, ApiError> {
    let user = people::user_by_id(&auth.db, auth.caller.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let office = match user.office_id {
        Some(id) => people::office_by_id(&auth.db, id).await?,
        None => None,
    };
    Ok(Json(Me {
        user,
        office,
        device_id: auth.caller.device_id,
    }))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceStatus {
    pub device_id: Uuid,
    /// Delete the local workspace now, then call POST /v1/device/wiped.
    pub wipe: bool,
}

/// What the app asks on every contact; the only answer a device flagged for wipe still gets.
pub async fn device_status(auth: Auth) -> Json<DeviceStatus> {
    Json(DeviceStatus {
        device_id: auth.caller.device_id,
        wipe: auth.caller.wipe_requested,
    })
}

/// The app reports that it deleted its workspace; the device's token ends here.
pub async fn wiped(auth: Auth) -> Result<StatusCode, ApiError> {
    if !auth.caller.wipe_requested {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ApiCode::Forbidden,
            "This device was not flagged for wipe; keep its workspace.",
        ));
    }
    let now = super::now();
    devices::confirm_wiped(&auth.db, auth.caller.device_id, now).await?;
    audit::append(
        &auth.db,
        &Entry::new(now, auth.actor(), Action::DeviceWiped)
            .subject(auth.caller.device_id)
            .address(auth.address.clone()),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
