//! The error that crosses every boundary to a front end (the app's IPC, the CLI's output): a
//! closed code the UI branches on, a sentence for the person, and, for validation, the fields
//! at fault. Libraries keep their own typed errors and convert into this at the edge.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What went wrong, as a closed list. The UI decides what to show by this code, never by the
/// message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// One or more fields were refused; `fields` says which and why.
    Validation,
    /// The chosen passphrase is too weak to protect children's data.
    WeakPassphrase,
    /// The passphrase does not open this workspace.
    WrongPassphrase,
    /// A workspace already exists where a new one was to be created.
    WorkspaceExists,
    /// There is no workspace at the given place yet.
    WorkspaceNotFound,
    /// The workspace must be unlocked first.
    WorkspaceLocked,
    /// The workspace file is not a Porchlight workspace or is newer than this app.
    WorkspaceUnreadable,
    /// The record asked for does not exist.
    NotFound,
    /// Someone else saved the record after it was opened; reload before saving again.
    EditConflict,
    /// The disk or database failed; nothing was half-written.
    Storage,
    /// A fault in Porchlight itself.
    Internal,
    /// This workspace is not enrolled with a central service yet.
    NotEnrolled,
    /// The central service could not be reached; local work is kept and syncs later.
    ServiceUnreachable,
    /// The central service refused this device or user: a wrong password or code, a revoked
    /// device, or a disabled account. The message says which.
    ServiceRefused,
    /// This app and the central service speak different protocol versions; update the app.
    ProtocolMismatch,
}

/// A field the user must fix, named by its path in the form (e.g. `child.date_of_birth`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// The error a front end receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into(), fields: Vec::new() }
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => one.message.clone(),
            many => format!("{} fields need attention before this can be saved.", many.len()),
        };
        AppError { code: ErrorCode::Validation, message, fields }
    }
}
