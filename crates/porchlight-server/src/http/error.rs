//! The error every endpoint answers with: an HTTP status, a closed code the app branches on, a
//! sentence naming the problem and its fix, and the fields at fault. The body has the shape of
//! `porchlight_domain::AppError` (`code`, `message`, `fields`). Internal failures are logged with
//! their cause and answered without it.

use crate::cases::CaseError;
use crate::db::DbError;
use crate::login::LoginError;
use crate::people::PeopleError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use porchlight_domain::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiCode {
    /// The body is not JSON, or not the JSON this endpoint takes.
    MalformedRequest,
    /// One or more fields were refused; `fields` says which.
    Validation,
    /// No valid token: log in (again).
    Unauthenticated,
    /// The account needs its authenticator code.
    TotpRequired,
    /// The caller's role may not do this.
    Forbidden,
    NotFound,
    /// Someone else saved first.
    EditConflict,
    /// The thing to create exists already.
    AlreadyExists,
    TooManyAttempts,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// This device must delete its local workspace and ask for nothing else.
    WipeRequested,
    /// The service cannot reach its database or is not migrated.
    Unavailable,
    Timeout,
    Internal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    #[serde(skip)]
    pub retry_after: Option<u64>,
    pub code: ApiCode,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ApiCode, message: impl Into<String>) -> Self {
        ApiError {
            status: status.as_u16(),
            retry_after: None,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ApiCode::MalformedRequest, message)
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ApiCode::Validation,
            format!("{field}: {message}"),
        );
        e.fields.push(FieldError::new(field, message));
        e
    }
    pub fn forbidden(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ApiCode::Forbidden,
            format!("Your role may not {what}."),
        )
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ApiCode::NotFound,
            format!("No {what} with this id that you may see."),
        )
    }
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        // The cause goes to the log with its chain; the caller learns only that it failed.
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ApiCode::Internal,
            "The service failed; nothing was changed. Try again.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after;
        let mut response = (status, axum::Json(self)).into_response();
        if let Some(secs) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Pool(_) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ApiCode::Unavailable,
                    "The database is unavailable; try again shortly.",
                )
            }
            DbError::Postgres(pg) => match pg.as_db_error() {
                // PostgreSQL's DETAIL can quote a whole failing row, a child's data included:
                // log the error code and the message only.
                Some(db) => {
                    tracing::error!(
                        code = db.code().code(),
                        error = db.message(),
                        "database statement failed"
                    );
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        ApiCode::Internal,
                        "The service failed; nothing was changed. Try again.",
                    )
                }
                None => ApiError::internal(&pg),
            },
            other => ApiError::internal(&other),
        }
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        ApiError::from(DbError::Postgres(e))
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ApiError::from(DbError::Pool(e))
    }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Db(db) => db.into(),
            CaseError::NotFound => ApiError::not_found("case"),
            CaseError::Invalid(fields) => {
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ApiCode::Validation,
                    porchlight_domain::AppError::validation(fields.clone()).message,
                );
                err.fields = fields;
                err
            }
            e @ CaseError::EditConflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, ApiCode::EditConflict, e.to_string())
            }
            CaseError::Exists => ApiError::new(
                StatusCode::CONFLICT,
                ApiCode::AlreadyExists,
                "A record with this id already exists.",
            ),
            CaseError::BadTarget(m) => {
                let (field, message) = m.split_once(": ").unwrap_or(("user_id", &m));
                ApiError::field(field, message)
            }
        }
    }
}

impl From<PeopleError> for ApiError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::Db(db) => db.into(),
            e @ PeopleError::BadUsername(_) => ApiError::field("username", e.to_string()),
            e @ PeopleError::UsernameTaken(_) => {
                ApiError::new(StatusCode::CONFLICT, ApiCode::AlreadyExists, e.to_string())
            }
            e @ PeopleError::OfficeExists(_) => {
                ApiError::new(StatusCode::CONFLICT, ApiCode::AlreadyExists, e.to_string())
            }
            e @ PeopleError::NoSuchUser(_) => {
                ApiError::new(StatusCode::NOT_FOUND, ApiCode::NotFound, e.to_string())
            }
            e @ PeopleError::NoSuchOffice(_) => ApiError::field("office", e.to_string()),
            e @ PeopleError::OfficeRequired(_) => ApiError::field("office", e.to_string()),
            PeopleError::BadText(m) => {
                let (field, message) = m.split_once(": ").unwrap_or(("body", &m));
                ApiError::field(field, message)
            }
            PeopleError::Password(p) => ApiError::field("password", p.to_string()),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Db(db) => db.into(),
            LoginError::Throttled { retry_after_secs } => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ApiCode::TooManyAttempts,
                    e.to_string(),
                );
                err.retry_after = Some(retry_after_secs);
                err
            }
            LoginError::BadCredentials | LoginError::BadSecondFactor => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ApiCode::Unauthenticated,
                e.to_string(),
            ),
            LoginError::SecondFactorRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ApiCode::TotpRequired,
                e.to_string(),
            ),
            LoginError::BadDeviceName => ApiError::field(
                "device_name",
                "give 1 to 100 printable characters, e.g. \"Ana's laptop\"",
            ),
        }
    }
}
