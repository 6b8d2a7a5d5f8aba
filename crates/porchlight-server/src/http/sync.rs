//! The sync endpoints (listed in `porchlight_sync::proto`): hello, push, pull and the photo blob
//! endpoints, behind the protocol-version check, compressed both ways (see `router`). Each
//! handler asks the caller's rules row, runs one transaction through `crate::sync`, and audits
//! the request before it answers. A device flagged for wipe never gets here (the `Auth`
//! extractor answers 410). It decides no merge and no scope itself.

use super::error::{ApiCode, ApiError};
use super::extract::{too_large, Auth, JsonBody, QueryParams};
use super::prefetch::Ask;
use super::AppState;
use crate::audit::{self, Action, Entry};
use crate::db;
use crate::rules::PhotoAccess;
use crate::sync::blobs::{self, BlobError};
use crate::sync::pull::{self, Puller};
use crate::sync::push::{self, Pusher};
use crate::sync::schema::parse_sha256;
use crate::sync::SyncError;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use porchlight_sync::{
    CompleteUpload, Cursor, Hello, PushRequest, UploadState, VersionMismatch, BLOB_CHUNK,
    MAX_PULL_LIMIT, MAX_PUSH_OPS, MIN_PROTOCOL_VERSION, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use serde::Deserialize;
use serde_json::json;

/// Refuses a request whose protocol version this build does not speak, with the versions it does.
pub async fn protocol(req: Request, next: Next) -> Response {
    let sent = req
        .headers()
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let version = sent.and_then(|v| v.parse::<u32>().ok());
    match version {
        Some(v) if (MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&v) => next.run(req).await,
        _ => {
            let message = match sent {
                None => format!(
                    "Send the sync protocol version in the {PROTOCOL_HEADER} header; this service speaks versions {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}."
                ),
                Some(v) => format!(
                    "This app speaks sync protocol {v}; this service speaks versions {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}. Update the app (or the service)."
                ),
            };
            (
                StatusCode::CONFLICT,
                Json(VersionMismatch {
                    min_protocol: MIN_PROTOCOL_VERSION,
                    max_protocol: PROTOCOL_VERSION,
                    message,
                }),
            )
                .into_response()
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Db(db) => db.into(),
        }
    }
}

fn json_text(status: StatusCode, text: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    )
        .into_response()
}

async fn display_name(auth: &Auth) -> Result<String, ApiError> {
    Ok(db::query_opt(
        &auth.db,
        "SELECT display_name FROM users WHERE id = $1",
        &[&auth.caller.user_id],
    )
    .await?
    .map(|r| r.get(0))
    .unwrap_or_default())
}

pub async fn hello(auth: Auth) -> Result<Json<Hello>, ApiError> {
    let now = super::now();
    let name = display_name(&auth).await?;
    audit::append(
        &auth.db,
        &Entry::new(now, auth.actor(), Action::SyncHello).address(auth.address.clone()),
    )
    .await?;
    Ok(Json(Hello {
        protocol: PROTOCOL_VERSION,
        min_protocol: MIN_PROTOCOL_VERSION,
        device_id: auth.caller.device_id,
        user_id: auth.caller.user_id,
        username: auth.caller.username.clone(),
        display_name: name,
        role: auth.caller.role.code().to_owned(),
        server_time: now,
        server_stamp: auth.clock.tick(now),
    }))
}

pub async fn push(
    mut auth: Auth,
    JsonBody(req): JsonBody<PushRequest>,
) -> Result<Response, ApiError> {
    if req.ops.len() > MAX_PUSH_OPS {
        return Err(ApiError::field(
            "ops",
            format!("send at most {MAX_PUSH_OPS} ops in one push (this one had {}); send the rest in the next", req.ops.len()),
        ));
    }
    let now = super::now();
    let name = display_name(&auth).await?;
    let clock = auth.clock.clone();
    let pusher = Pusher {
        grant: auth.grant,
        role: auth.caller.role,
        user: auth.caller.user_id,
        device: auth.caller.device_id,
        display_name: name,
        office: auth.caller.office_id,
        address: auth.address.clone(),
        clock: &clock,
        now,
    };
    let tx = auth.db.transaction().await?;
    let pushed = push::push(&tx, &pusher, &req.ops).await?;
    tx.commit().await?;
    let mut text =
        String::with_capacity(pushed.results.iter().map(String::len).sum::<usize>() + 128);
    text.push_str("{\"results\":[");
    text.push_str(&pushed.results.join(","));
    text.push_str("],\"server_time\":");
    text.push_str(&serde_json::to_string(&now).expect("times serialise"));
    text.push_str(",\"server_stamp\":");
    text.push_str(&serde_json::to_string(&clock.tick(now)).expect("stamps serialise"));
    if let Some(rows) = pushed.own_rows {
        text.push_str(",\"own_rows\":");
        text.push_str(&serde_json::to_string(&rows).expect("numbers serialise"));
    }
    text.push('}');
    Ok(json_text(StatusCode::OK, text))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullParams {
    #[serde(default)]
    pub cursor: Option<Cursor>,
    #[serde(default)]
    pub limit: Option<u32>,
}

pub async fn pull(
    State(app): State<AppState>,
    mut auth: Auth,
    headers: HeaderMap,
    QueryParams(q): QueryParams<PullParams>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(MAX_PULL_LIMIT);
    if limit == 0 {
        return Err(ApiError::field(
            "limit",
            format!("ask for 1 to {MAX_PULL_LIMIT} changes per page"),
        ));
    }
    let limit = limit.min(MAX_PULL_LIMIT) as usize;
    let cursor = q.cursor.unwrap_or(Cursor::START);
    let device = auth.caller.device_id;
    // The device's next request asks as this one does, so the page made ahead for it is made
    // in the form this one accepts.
    let columns = accepts_columns(&headers);
    let ahead = |auth: &Auth, next: Cursor| Ask {
        pool: app.pool.clone(),
        grant: auth.grant,
        user: auth.caller.user_id,
        device,
        address: auth.address.clone(),
        clock: auth.clock.clone(),
        level: app.prefetch_compression_level,
        columns,
        cursor: next,
        limit,
    };
    let made_ahead = app.prefetch.take(device, cursor, limit).await;
    if let Some(ready) = made_ahead.filter(|r| r.grant.role == auth.grant.role) {
        audit::append(&auth.db, &ready.page.audit).await?;
        if ready.page.has_more {
            app.prefetch.start(ahead(&auth, ready.page.cursor));
        }
        return if accepts_zstd(&headers) && ready.columns == columns {
            let mut response = Response::new(Body::from(ready.zstd.clone()));
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, page_media_type(columns));
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("zstd"));
            Ok(response)
        } else {
            page_response(ready.page.text.clone(), columns)
        };
    }
    let now = super::now();
    let puller = Puller {
        grant: auth.grant,
        user: auth.caller.user_id,
        device,
        address: auth.address.clone(),
        now,
        server_stamp: auth.clock.tick(now),
    };
    let tx = auth.db.transaction().await?;
    let page = pull::pull(&tx, &puller, cursor, limit).await?;
    // The read is recorded before the data leaves.
    audit::append(&tx, &page.audit).await?;
    tx.commit().await?;
    if page.has_more {
        app.prefetch.start(ahead(&auth, page.cursor));
    }
    page_response(page.text, columns)
}

/// A page's answer, in the column form when the device accepts it.
fn page_response(text: String, columns: bool) -> Result<Response, ApiError> {
    if !columns {
        return Ok(json_text(StatusCode::OK, text));
    }
    // The page was made by this service, so it always reads; a failure is a fault of the
    // service, and the device asks again with the same cursor (see `sync::pull`).
    let text = porchlight_sync::columns::to_columns(&text).map_err(|e| ApiError::internal(&e))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, page_media_type(true))],
        text,
    )
        .into_response())
}

fn page_media_type(columns: bool) -> HeaderValue {
    HeaderValue::from_static(if columns {
        porchlight_sync::columns::COLUMNS_MEDIA_TYPE
    } else {
        "application/json"
    })
}

/// The request accepts a page in the column form (`porchlight_sync::columns`), as the app does.
fn accepts_columns(headers: &HeaderMap) -> bool {
    accepts(
        headers,
        &header::ACCEPT,
        porchlight_sync::columns::is_columns_media_type,
    )
}

/// The request accepts a zstd body (the app always does).
fn accepts_zstd(headers: &HeaderMap) -> bool {
    accepts(headers, &header::ACCEPT_ENCODING, |v| v == "zstd")
}

/// A value of the list header `name` (`Accept`, `Accept-Encoding`) is one `wanted` takes, and
/// is not refused with `q=0`.
fn accepts(headers: &HeaderMap, name: &header::HeaderName, wanted: impl Fn(&str) -> bool) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|part| {
                let mut bits = part.split(';').map(str::trim);
                bits.next().is_some_and(&wanted)
                    && bits.all(|q| {
                        q.strip_prefix("q=")
                            .is_none_or(|n| n.parse::<f32>().is_ok_and(|n| n > 0.0))
                    })
            })
        })
}

fn sha_of(raw: &str) -> Result<Vec<u8>, ApiError> {
    parse_sha256(raw).ok_or_else(|| {
        ApiError::bad(format!(
            "sha256: \"{}\" is not a SHA-256; name a blob by the 64 lower-case hex digits of its hash.",
            raw.chars().take(80).collect::<String>()
        ))
    })
}

fn may_upload(auth: &Auth) -> Result<(), ApiError> {
    if auth.grant.write_cases && auth.grant.photos == PhotoAccess::All {
        Ok(())
    } else {
        Err(ApiError::forbidden("upload photos"))
    }
}

fn blob_error(e: BlobError) -> Response {
    match e {
        BlobError::Db(db) => ApiError::from(db).into_response(),
        BlobError::WrongOffset { received } | BlobError::Incomplete { received, .. } => {
            (StatusCode::CONFLICT, Json(UploadState { received })).into_response()
        }
        e @ BlobError::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiCode::PayloadTooLarge,
            e.to_string(),
        )
        .into_response(),
        e @ (BlobError::HashMismatch { .. } | BlobError::NotAnImage) => {
            ApiError::field("body", e.to_string()).into_response()
        }
    }
}

/// 200 when the service holds the whole blob and this device may have it (its user may see a
/// photo with these bytes), else 404: whether a photo exists is itself not told to others. A
/// device about to upload a photo whose record has not synced yet gets 404 and uploads; the
/// upload of bytes held already completes at once.
pub async fn head(auth: Auth, Path(sha): Path<String>) -> Result<StatusCode, ApiError> {
    let sha = sha_of(&sha)?;
    let seen = blobs::held(&auth.db, &sha).await?
        && blobs::may_see(&auth.db, auth.grant, auth.caller.user_id, &sha).await?;
    Ok(if seen {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    })
}

pub async fn upload_state(
    auth: Auth,
    Path(sha): Path<String>,
) -> Result<Json<UploadState>, ApiError> {
    let sha = sha_of(&sha)?;
    may_upload(&auth)?;
    Ok(Json(UploadState {
        received: blobs::received(&auth.db, &sha, auth.caller.device_id).await?,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkParams {
    pub offset: u64,
}

pub async fn upload_chunk(
    State(app): State<AppState>,
    auth: Auth,
    Path(sha): Path<String>,
    QueryParams(q): QueryParams<ChunkParams>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let sha = sha_of(&sha)?;
    may_upload(&auth)?;
    let bytes = match body {
        Ok(b) if b.len() <= BLOB_CHUNK => b,
        Ok(_) => return Err(too_large()),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
        Err(e) => return Err(ApiError::bad(e.body_text())),
    };
    let max = app.max_blob_bytes as u64;
    match blobs::put_chunk(
        &auth.db,
        &sha,
        auth.caller.device_id,
        q.offset,
        &bytes,
        max,
        super::now(),
    )
    .await
    {
        Ok(received) => Ok(Json(UploadState { received }).into_response()),
        Err(e) => Ok(blob_error(e)),
    }
}

pub async fn complete(
    mut auth: Auth,
    Path(sha_text): Path<String>,
    JsonBody(req): JsonBody<CompleteUpload>,
) -> Result<Response, ApiError> {
    let sha = sha_of(&sha_text)?;
    may_upload(&auth)?;
    if !crate::sync::schema::PHOTO_TYPES.contains(&req.mime.as_str()) {
        return Err(ApiError::field(
            "mime",
            "a photo is image/jpeg, image/png or image/webp",
        ));
    }
    let now = super::now();
    let (actor, address, device) = (auth.actor(), auth.address.clone(), auth.caller.device_id);
    let tx = auth.db.transaction().await?;
    match blobs::complete(&tx, &sha, device, req.size, now).await {
        Ok(()) => {
            audit::append(
                &tx,
                &Entry::new(now, actor, Action::BlobUploaded)
                    .subject(&sha_text)
                    .address(address)
                    .detail(json!({ "size": req.size })),
            )
            .await?;
            tx.commit().await?;
            Ok(StatusCode::CREATED.into_response())
        }
        Err(e @ (BlobError::HashMismatch { .. } | BlobError::NotAnImage)) => {
            // The discarded chunks stay discarded: the device starts the upload again.
            tx.commit().await?;
            Ok(blob_error(e))
        }
        Err(e) => Ok(blob_error(e)),
    }
}

/// The offset asked for by `Range: bytes=N-` (or `bytes=N-M`, read to the end all the same:
/// resuming is the only use).
fn range_start(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    let start = text
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .and_then(|(from, _)| from.trim().parse::<u64>().ok());
    start
        .map(Some)
        .ok_or_else(|| ApiError::bad("Range: ask for `bytes=N-` to resume a download from byte N."))
}

pub async fn download(
    auth: Auth,
    Path(sha_text): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sha = sha_of(&sha_text)?;
    let from = range_start(&headers)?;
    let photo = blobs::photo_of(&auth.db, auth.grant, auth.caller.user_id, &sha).await?;
    let Some((photo_id, case_id)) = photo.filter(|_| auth.grant.photos != PhotoAccess::None) else {
        audit::append(
            &auth.db,
            &Entry::new(super::now(), auth.actor(), Action::AccessDenied)
                .subject(&sha_text)
                .address(auth.address.clone())
                .detail(json!({ "code": ApiCode::NotFound })),
        )
        .await?;
        return Err(ApiError::not_found("photo"));
    };
    let Some((size, bytes, mime)) = blobs::read(&auth.db, &sha, from.unwrap_or(0)).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ApiCode::NotFound,
            "The service does not hold this photo's bytes yet; the device that added it has not sent them.",
        ));
    };
    if let Some(start) = from {
        if start >= size && size > 0 {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response());
        }
    }
    audit::append(
        &auth.db,
        &Entry::new(super::now(), auth.actor(), Action::PhotoDownloaded)
            .case(case_id)
            .subject(photo_id)
            .address(auth.address.clone())
            .detail(json!({ "sha256": sha_text, "from": from.unwrap_or(0) })),
    )
    .await?;
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(start) = from {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let end = size.saturating_sub(1);
        response.headers_mut().insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {start}-{end}/{size}")).expect("ascii"),
        );
    }
    Ok(response)
}
