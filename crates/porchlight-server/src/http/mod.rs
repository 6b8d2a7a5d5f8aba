//! The HTTP API: the router, the state it shares, and the edge middleware (timeouts, access log
//! without personal data, no-store caching). Only this module and `listen` know about HTTP; the
//! rules, stores and audit log below it do not.

pub mod account;
pub mod admin;
pub mod cases;
pub mod error;
pub mod extract;
pub mod prefetch;
pub mod sync;

use crate::db::{self, Pool};
use crate::throttle::LoginLimits;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use error::{ApiCode, ApiError};
use porchlight_sync::{Clock, ReplicaId, BLOB_CHUNK, MAX_PUSH_OPS};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::decompression::RequestDecompressionLayer;

/// What every handler shares. Nothing here changes between requests: all state that matters is
/// in PostgreSQL, so any number of instances can serve the same database.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub login_limits: LoginLimits,
    /// Use the last X-Forwarded-For address as the client's (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    pub totp_issuer: Arc<str>,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub max_photo_bytes: usize,
    /// The largest push body, decompressed: `MAX_PUSH_OPS` ops with long notes fit.
    pub max_push_bytes: usize,
    /// The largest photo a device may upload by chunks.
    pub max_blob_bytes: usize,
    /// zstd level of sync answers made while the device waits (gzip gets the nearest equivalent).
    pub compression_level: i32,
    /// zstd level of pull pages made ahead (`prefetch`): made while the device applies the page
    /// before, so the time a higher level takes is hidden from that device, though not from the
    /// others the service's cores serve meanwhile.
    pub prefetch_compression_level: i32,
    /// The service's hybrid logical clock. Each process has its own replica id, so stamps made by
    /// two instances never collide; what makes them comparable is in the stamps, not here.
    pub clock: Arc<Clock>,
    /// Pull pages made ahead for devices in the middle of a long pull (see `prefetch`).
    pub prefetch: Arc<prefetch::Prefetch>,
}

impl AppState {
    pub fn new(pool: Pool) -> Self {
        AppState {
            pool,
            login_limits: LoginLimits::default(),
            trust_forwarded_for: false,
            totp_issuer: Arc::from("Porchlight"),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 256 * 1024,
            max_photo_bytes: 10 * 1024 * 1024,
            max_push_bytes: MAX_PUSH_OPS * 32 * 1024,
            max_blob_bytes: 32 * 1024 * 1024,
            // Level 3: a first sync's pages are tens of megabytes of JSON; higher levels save a
            // tenth of the bytes for four times the time on the service's cores.
            compression_level: 3,
            // Level 3 too: a first sync's pages are laid out in columns for the app
            // (`porchlight_sync::columns`), and at level 3 they are 15% smaller than the rows
            // were at level 6, which took five times as long to compress; level 6 would save
            // another 7% of the bytes for nearly four times the time (`porchlight-sync`'s
            // `examples/columns`).
            prefetch_compression_level: 3,
            clock: Arc::new(Clock::new(ReplicaId::random(), None, 0)),
            prefetch: Arc::new(prefetch::Prefetch::default()),
        }
    }
}

/// The sync endpoints: versioned, compressed both ways (zstd or gzip, by the request's headers).
fn sync_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/sync/hello", get(sync::hello))
        .route(
            "/v1/sync/push",
            post(sync::push).layer(DefaultBodyLimit::max(state.max_push_bytes)),
        )
        .route("/v1/sync/pull", get(sync::pull))
        .route("/v1/blobs/{sha}", get(sync::download).head(sync::head))
        .route(
            "/v1/blobs/{sha}/upload",
            get(sync::upload_state)
                .put(sync::upload_chunk)
                .layer(DefaultBodyLimit::max(BLOB_CHUNK + 1024)),
        )
        .route("/v1/blobs/{sha}/complete", post(sync::complete))
        .layer(middleware::from_fn(sync::protocol))
        .layer(RequestDecompressionLayer::new().zstd(true).gzip(true))
        .layer(
            CompressionLayer::new()
                .zstd(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(state.compression_level)),
        )
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(sync_routes(&state))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/v1/login", post(account::login))
        .route("/v1/logout", post(account::logout))
        .route("/v1/me", get(account::me))
        .route("/v1/device", get(account::device_status))
        .route("/v1/device/wiped", post(account::wiped))
        .route("/v1/devices", get(admin::devices))
        .route("/v1/devices/{id}/revoke", post(admin::revoke_device))
        .route("/v1/devices/{id}/wipe", post(admin::wipe_device))
        .route("/v1/users", get(admin::users).post(admin::add_user))
        .route("/v1/users/{id}/disable", post(admin::disable_user))
        .route("/v1/users/{id}/password", post(admin::reset_password))
        .route("/v1/users/{id}/role", post(admin::set_role))
        .route("/v1/offices", get(admin::offices).post(admin::add_office))
        .route("/v1/audit", get(admin::audit))
        .route("/v1/cases", get(cases::list).post(cases::create))
        .route("/v1/cases/{id}", get(cases::read).put(cases::update))
        .route("/v1/cases/{id}/assign", post(cases::assign))
        .route("/v1/cases/{id}/shares", post(cases::share))
        .route("/v1/cases/{id}/shares/{user}", delete(cases::unshare))
        .route(
            "/v1/cases/{id}/contacts",
            get(cases::contacts).post(cases::add_contact),
        )
        .route("/v1/cases/{id}/update-recipients", get(cases::recipients))
        .route(
            "/v1/cases/{id}/notes",
            get(cases::notes).post(cases::add_note),
        )
        .route(
            "/v1/cases/{id}/photos",
            get(cases::photos)
                .post(cases::upload_photo)
                .layer(DefaultBodyLimit::max(state.max_photo_bytes)),
        )
        .route("/v1/photos/{id}", get(cases::download_photo))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), edge))
        .with_state(state)
}

/// Bounds each request's time, keeps responses out of caches, and logs method, path (ids only,
/// never the query string) and status.
async fn edge(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let mut response = match tokio::time::timeout(app.request_timeout, next.run(req)).await {
        Ok(r) => r,
        // Dropping the handler rolls back its open transaction: a timed-out request writes nothing.
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ApiCode::Timeout,
            "The request took too long and was abandoned; nothing was changed.",
        )
        .into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::warn!(%method, path, status, ms, "request");
    } else {
        tracing::debug!(%method, path, status, ms, "request");
    }
    response
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ApiCode::NotFound,
        "No such endpoint; the API lives under /v1/.",
    )
}

/// Liveness: the process answers.
async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and carries the schema this build needs.
async fn ready(State(app): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let client = app.pool.get().await?;
    let version = db::schema_version(&client).await?;
    let needed = db::latest_version();
    if version != Some(needed) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ApiCode::Unavailable,
            format!("The database schema is at {version:?}; this build needs {needed}: run `porchlight-server migrate`."),
        ));
    }
    Ok(Json(json!({ "status": "ready", "schema": needed })))
}

/// The moment a request is handled, read once at the edge, at the microsecond precision
/// PostgreSQL keeps, so what a write answers equals what a later read returns.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    porchlight_domain::Moment::now().utc.trunc_subsecs(6)
}
