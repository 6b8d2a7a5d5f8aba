//! What can go wrong when a workspace talks to the central service, as a typed error, and how
//! each case reads to a case manager once it crosses into `porchlight_domain::AppError`: what
//! happened and what to do. It does not decide what the app shows; the app branches on the code.

use porchlight_domain::{AppError, ErrorCode, FieldError};
use porchlight_sync::PROTOCOL_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Something given to the client is unusable (an address, a user name); `field` names it.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The service could not be reached, or the connection dropped before its answer arrived.
    #[error("the central service at {server} could not be reached: {detail}")]
    Unreachable { server: String, detail: String },
    /// The service refused the person or the request: a wrong password, throttled logins, a
    /// role that may not do this. `message` is the service's own sentence.
    #[error("the central service refused ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The account needs the code of its authenticator app to log in.
    #[error("the account needs its authenticator code")]
    SecondFactorRequired,
    /// The device's token no longer works: revoked, or the account disabled.
    #[error("the central service no longer accepts this device: {message}")]
    Revoked { message: String },
    /// An administrator flagged this device for remote wipe: delete the workspace, then call
    /// `Remote::report_wiped`.
    #[error("this device was flagged for remote wipe")]
    WipeRequested,
    /// The service speaks protocol versions `min..=max` and this build speaks another (both 0:
    /// the service has no sync endpoints at all).
    #[error("the central service speaks sync protocol {min} to {max}, this app {}", PROTOCOL_VERSION)]
    ProtocolMismatch { min: u32, max: u32 },
    /// The service failed, or answered something this client cannot use.
    #[error("the central service answered {status}: {message}")]
    Server { status: u16, message: String },
    /// The local workspace could not read or record what sync needs.
    #[error("the workspace could not record the sync: {0}")]
    Replica(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Bytes that do not match their SHA-256 (a photo damaged on the way).
    #[error("{0}")]
    Integrity(String),
}

impl SyncError {
    /// Whether this failure ends the whole sync, rather than only the photo being moved: every
    /// later request would fail the same way, or the workspace itself failed.
    pub fn ends_sync(&self) -> bool {
        match self {
            SyncError::Refused { .. } | SyncError::Integrity(_) => false,
            SyncError::Server { status, .. } => *status >= 500 || *status == 0,
            _ => true,
        }
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> AppError {
        let kept = "Your work is kept on this computer and will sync at the next attempt.";
        match e {
            SyncError::Invalid { field, message } => AppError::validation(vec![FieldError::new(field, message)]),
            SyncError::Unreachable { server, detail } => AppError::new(
                ErrorCode::ServiceUnreachable,
                format!("Porchlight could not reach the central service at {server}: {detail}. {kept} Check the network connection, or the address this device was enrolled with."),
            ),
            SyncError::Refused { message, .. } => AppError::new(
                ErrorCode::ServiceRefused,
                format!("The central service refused: {}", sentence(&message)),
            ),
            SyncError::SecondFactorRequired => AppError::new(
                ErrorCode::ServiceRefused,
                "This account also needs the six-digit code from its authenticator app; give the code and try again.",
            ),
            SyncError::Revoked { message } => AppError::new(
                ErrorCode::ServiceRefused,
                format!(
                    "The central service no longer accepts this device: {} Your local work is kept. Enrol this device again, or ask an administrator why its access ended.",
                    sentence(&message)
                ),
            ),
            SyncError::WipeRequested => AppError::new(
                ErrorCode::ServiceRefused,
                "An administrator flagged this device for remote wipe: its workspace must be deleted and it can no longer sync.",
            ),
            SyncError::ProtocolMismatch { min: 0, max: 0 } => AppError::new(
                ErrorCode::ProtocolMismatch,
                format!("The central service does not offer sync; it may be older than this app. Ask its administrator to update it. {kept}"),
            ),
            SyncError::ProtocolMismatch { min, max } => {
                let what = if PROTOCOL_VERSION < min { "Update Porchlight on this computer" } else { "Ask the service's administrator to update it" };
                AppError::new(
                    ErrorCode::ProtocolMismatch,
                    format!(
                        "This copy of Porchlight speaks sync protocol version {PROTOCOL_VERSION}, but the central service accepts versions {min} to {max}. {what}. {kept}"
                    ),
                )
            }
            SyncError::Server { status, message } if status >= 500 || status == 0 => AppError::new(
                ErrorCode::ServiceUnreachable,
                format!("The central service could not complete the sync ({}). {kept}", describe(status, &message)),
            ),
            SyncError::Server { status, message } => AppError::new(
                ErrorCode::Internal,
                format!("The central service gave an answer Porchlight did not expect ({}). {kept} If this repeats, report it.", describe(status, &message)),
            ),
            SyncError::Replica(e) => AppError::new(
                ErrorCode::Storage,
                format!("The workspace could not record the sync: {e}. Nothing was half-written; the next sync tries again."),
            ),
            SyncError::Integrity(detail) => AppError::new(
                ErrorCode::Internal,
                format!("{}; the damaged copy was not kept and the next sync fetches it again.", detail.trim_end_matches('.')),
            ),
        }
    }
}

fn describe(status: u16, message: &str) -> String {
    if status == 0 {
        message.to_owned()
    } else {
        format!("{status}: {}", message.trim_end_matches('.'))
    }
}

/// The service's message as a sentence that ends with a full stop.
fn sentence(message: &str) -> String {
    let m = message.trim();
    if m.ends_with(['.', '!', '?']) {
        m.to_owned()
    } else {
        format!("{m}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_its_code_and_says_what_to_do() {
        let cases: Vec<(SyncError, ErrorCode, &str)> = vec![
            (SyncError::Unreachable { server: "https://sync.example.org".into(), detail: "the connection was refused".into() }, ErrorCode::ServiceUnreachable, "kept on this computer"),
            (SyncError::Refused { status: 401, message: "The user name or password is wrong".into() }, ErrorCode::ServiceRefused, "password is wrong."),
            (SyncError::SecondFactorRequired, ErrorCode::ServiceRefused, "authenticator"),
            (SyncError::Revoked { message: "This device's access was revoked; log in again.".into() }, ErrorCode::ServiceRefused, "Enrol this device again"),
            (SyncError::WipeRequested, ErrorCode::ServiceRefused, "remote wipe"),
            (SyncError::ProtocolMismatch { min: PROTOCOL_VERSION + 1, max: PROTOCOL_VERSION + 2 }, ErrorCode::ProtocolMismatch, "Update Porchlight"),
            (SyncError::ProtocolMismatch { min: 0, max: 0 }, ErrorCode::ProtocolMismatch, "does not offer sync"),
            (SyncError::Server { status: 503, message: "The database is unavailable".into() }, ErrorCode::ServiceUnreachable, "503"),
            (SyncError::Server { status: 404, message: "No route".into() }, ErrorCode::Internal, "did not expect"),
            (SyncError::Replica("disk full".into()), ErrorCode::Storage, "disk full"),
            (SyncError::Integrity("the photo abc does not match its SHA-256".into()), ErrorCode::Internal, "fetches it again"),
        ];
        for (error, code, words) in cases {
            let shown = format!("{error:?}");
            let app = AppError::from(error);
            assert_eq!(app.code, code, "{shown}");
            assert!(app.message.contains(words), "{shown} reads {:?}", app.message);
        }
        let invalid = AppError::from(SyncError::Invalid { field: "server_url", message: "give e.g. https://sync.example.org".into() });
        assert_eq!(invalid.code, ErrorCode::Validation);
        assert_eq!(invalid.fields[0].field, "server_url");
    }

    #[test]
    fn only_failures_of_the_connection_or_the_workspace_end_a_sync() {
        assert!(SyncError::Unreachable { server: String::new(), detail: String::new() }.ends_sync());
        assert!(SyncError::WipeRequested.ends_sync());
        assert!(SyncError::Server { status: 500, message: String::new() }.ends_sync());
        assert!(!SyncError::Server { status: 404, message: String::new() }.ends_sync());
        assert!(!SyncError::Integrity(String::new()).ends_sync());
        assert!(!SyncError::Refused { status: 403, message: String::new() }.ends_sync());
    }
}
