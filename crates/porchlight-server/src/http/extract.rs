//! What handlers take from a request, each turning a bad request into an `ApiError` that names
//! the problem: the JSON body, the query, path ids, the caller's network address and the
//! authenticated caller. It does not decide what the caller may do (`rules`).

use super::error::{ApiCode, ApiError};
use super::AppState;
use crate::devices::{self, Caller, Refusal};
use crate::rules::{self, Grant};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use uuid::Uuid;

/// The peer address of a connection, whichever listener accepted it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// A JSON body, parsed strictly.
pub struct JsonBody<T>(pub T);

fn split_serde_message(text: &str) -> (String, String) {
    let detail = text.split_once("target type: ").map_or(text, |(_, d)| d);
    let detail = detail
        .split(" at line ")
        .next()
        .unwrap_or(detail)
        .to_owned();
    if let Some(start) = detail.find("missing field `") {
        let rest = &detail[start + 15..];
        let name = rest.split('`').next().unwrap_or("");
        let prefix = detail
            .split_once(": ")
            .map(|(p, _)| p)
            .filter(|p| !p.contains(' ') && *p != ".");
        let field = prefix.map_or(name.to_owned(), |p| format!("{p}.{name}"));
        return (field, format!("this field is required ({detail})"));
    }
    match detail.split_once(": ") {
        Some((path, message)) if !path.contains(' ') && path != "." => {
            (path.to_owned(), message.to_owned())
        }
        _ => ("body".to_owned(), detail),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::JsonDataError(e)) => {
                let (field, message) = split_serde_message(&e.body_text());
                Err(ApiError::field(&field, message))
            }
            Err(JsonRejection::JsonSyntaxError(e)) => {
                let text = e.body_text();
                let detail = text
                    .split_once("target type: ")
                    .map_or(text.as_str(), |(_, d)| d)
                    .to_owned();
                Err(ApiError::bad(format!(
                    "The body is not valid JSON: {detail}."
                )))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ApiCode::UnsupportedMediaType,
                "Send the body as JSON with the header Content-Type: application/json.",
            )),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(too_large())
            }
            Err(other) => Err(ApiError::bad(other.body_text())),
        }
    }
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ApiCode::PayloadTooLarge,
        "The request body is larger than this endpoint accepts.",
    )
}

/// Query parameters, parsed strictly.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(QueryParams(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let text = e.body_text();
                let detail = text
                    .split_once("query string: ")
                    .map_or(text.as_str(), |(_, d)| d);
                Err(ApiError::bad(format!(
                    "The query string is not valid: {detail}."
                )))
            }
            Err(other) => Err(ApiError::bad(other.body_text())),
        }
    }
}

/// Parses an id taken from the path.
pub fn parse_id(what: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad(format!("{what}: \"{}\" is not an id; ids are UUIDs such as 01936b2e-7c4a-7d3e-9f10-2a3b4c5d6e7f.", raw.chars().take(60).collect::<String>())))
}

/// The address the request came from: the connection's peer, or, behind a trusted proxy, the
/// last address the proxy appended to X-Forwarded-For.
pub fn client_address(parts: &Parts, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .next_back();
        if let Some(addr) = forwarded
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
        {
            return Some(addr.to_owned());
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<ClientAddr>>()
        .map(|c| c.0 .0.ip().to_string())
}

pub struct Address(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Address
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        Ok(Address(client_address(parts, app.trust_forwarded_for)))
    }
}

/// An authenticated caller, its row of the rules, its address, and the database connection the
/// token was checked on (reused by the handler).
pub struct Auth {
    pub caller: Caller,
    pub grant: &'static Grant,
    pub address: Option<String>,
    pub db: deadpool_postgres::Client,
    /// The service's clock, which stamps writes made here.
    pub clock: std::sync::Arc<porchlight_sync::Clock>,
}

impl Auth {
    pub fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor::User {
            user: self.caller.user_id,
            device: Some(self.caller.device_id),
        }
    }
}

/// The endpoints a device flagged for wipe may still call.
const WIPE_PATHS: [&str; 2] = ["/v1/device", "/v1/device/wiped"];

impl<S: Send + Sync> FromRequestParts<S> for Auth
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let app = AppState::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ApiCode::Unauthenticated,
                    "Send the device token as `Authorization: Bearer <token>`; log in to get one.",
                )
            })?;
        let db = app.pool.get().await?;
        let now = super::now();
        let caller = match devices::authenticate(&db, token, now).await? {
            Ok(caller) => caller,
            Err(refusal) => {
                let message = match refusal {
                    Refusal::Unknown => "This token is not valid; log in again.",
                    Refusal::Revoked => "This device's access was revoked; log in again.",
                    Refusal::UserDisabled => "This account is disabled; ask an administrator.",
                };
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    ApiCode::Unauthenticated,
                    message,
                ));
            }
        };
        if caller.wipe_requested && !WIPE_PATHS.contains(&parts.uri.path()) {
            return Err(ApiError::new(
                StatusCode::GONE,
                ApiCode::WipeRequested,
                "This device was flagged for wipe: delete the local workspace, then report it at POST /v1/device/wiped.",
            ));
        }
        let grant = rules::grant(caller.role);
        Ok(Auth {
            caller,
            grant,
            address: client_address(parts, app.trust_forwarded_for),
            db,
            clock: app.clock.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_the_field() {
        let (f, m) = split_serde_message("Failed to deserialize the JSON body into the target type: missing field `username` at line 1 column 2");
        assert_eq!(f, "username");
        assert!(m.contains("required"));
        let (f, m) = split_serde_message("Failed to deserialize the JSON body into the target type: fields.child.sex: unknown variant `Q`, expected one of `M`, `F`, `X` at line 1 column 40");
        assert_eq!(f, "fields.child.sex");
        assert!(m.starts_with("unknown variant"));
    }
}
