//! What can go wrong in the workspace, as a typed error, and how each one is told to a person
//! through `porchlight_domain::AppError`. It does not log: the front end decides where the
//! whole error chain goes.

use porchlight_domain::{AppError, CaseId, ErrorCode, FieldError, RecordId};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The fields were refused; nothing was written.
    #[error("{} field(s) need attention", .0.len())]
    Validation(Vec<FieldError>),
    /// The new workspace's passphrase is too weak; the text says how to make it stronger.
    #[error("{0}")]
    WeakPassphrase(String),
    #[error("the passphrase does not open this workspace")]
    WrongPassphrase,
    #[error("a workspace already exists at {}", .0.display())]
    WorkspaceExists(PathBuf),
    #[error("there is no workspace at {}", .0.display())]
    WorkspaceNotFound(PathBuf),
    /// The file is not a Porchlight workspace this version can open; the text says why.
    #[error("{0}")]
    WorkspaceUnreadable(String),
    #[error("no case with id {0}")]
    NotFound(CaseId),
    #[error("no image {0} in this workspace")]
    PhotoNotFound(String),
    /// No record of that kind (`"contact"`, `"note"`, `"photo"`, `"poster"`) has the id.
    #[error("no {kind} with id {id}")]
    RecordNotFound { kind: &'static str, id: RecordId },
    /// A contact or note was saved by someone else after the caller read `expected`.
    #[error("{kind} {id} is at version {actual}, not {expected}")]
    RecordEditConflict { kind: &'static str, id: RecordId, expected: i64, actual: i64 },
    /// The case was saved by someone else after the caller read `expected`.
    #[error("case {id} is at version {actual}, not {expected}")]
    EditConflict { id: CaseId, expected: i64, actual: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value that this version cannot read back, e.g. a damaged JSON column.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The key derivation refused its own parameters, which only a fault in Porchlight causes.
    #[error("key derivation failed: {0}")]
    KeyDerivation(String),
    /// Photo bytes received from the central service do not hash to the name they were asked
    /// for; nothing was stored.
    #[error("received image bytes hash to {actual}, not {expected}")]
    BlobMismatch { expected: String, actual: String },
}

impl StoreError {
    /// A refusal of one field, for checks the store makes itself (photos, list queries).
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        StoreError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        use StoreError::*;
        match error {
            Validation(fields) => AppError::validation(fields),
            WeakPassphrase(reason) => AppError::new(ErrorCode::WeakPassphrase, reason),
            WrongPassphrase => AppError::new(
                ErrorCode::WrongPassphrase,
                "That passphrase does not open this workspace. Check Caps Lock and the keyboard layout, then try again.",
            ),
            WorkspaceExists(path) => AppError::new(
                ErrorCode::WorkspaceExists,
                format!("A workspace already exists at {}. Unlock it, or choose another place for a new one.", path.display()),
            ),
            WorkspaceNotFound(path) => AppError::new(
                ErrorCode::WorkspaceNotFound,
                format!("There is no workspace at {} yet. Create one first.", path.display()),
            ),
            WorkspaceUnreadable(reason) => AppError::new(ErrorCode::WorkspaceUnreadable, reason),
            NotFound(id) => AppError::new(ErrorCode::NotFound, format!("There is no case with id {id} in this workspace.")),
            PhotoNotFound(sha256) => AppError::new(ErrorCode::NotFound, format!("The image {sha256} is not stored in this workspace.")),
            RecordNotFound { kind, id } => AppError::new(ErrorCode::NotFound, format!("There is no {kind} with id {id} in this workspace.")),
            RecordEditConflict { kind, expected, actual, .. } => AppError::new(
                ErrorCode::EditConflict,
                format!(
                    "This {kind} was saved again (version {actual}) after you opened it (version {expected}). Reload it, then make your changes again; nothing was overwritten."
                ),
            ),
            EditConflict { expected, actual, .. } => AppError::new(
                ErrorCode::EditConflict,
                format!(
                    "This case was saved again (version {actual}) after you opened it (version {expected}). Reload it, then make your changes again; nothing was overwritten."
                ),
            ),
            Sqlite(e) => AppError::new(ErrorCode::Storage, format!("The workspace could not be read or written ({e}); nothing was half-written.")),
            Io(e) => AppError::new(ErrorCode::Storage, format!("The workspace file could not be read or written ({e}); nothing was half-written.")),
            Corrupt(what) => AppError::new(ErrorCode::Storage, format!("Part of the workspace is damaged: {what}.")),
            KeyDerivation(what) => AppError::new(ErrorCode::Internal, format!("Porchlight could not derive the workspace key ({what}).")),
            BlobMismatch { expected, .. } => AppError::new(
                ErrorCode::ServiceRefused,
                format!("The photo {expected} arrived damaged from the central service and was not kept; the next sync fetches it again."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_its_own_code_with_a_sentence() {
        let id = CaseId::from_uuid(uuid::Uuid::nil());
        let cases = vec![
            (StoreError::field("child.given_name", "Enter a name."), ErrorCode::Validation),
            (StoreError::WeakPassphrase("Use at least 12 characters.".into()), ErrorCode::WeakPassphrase),
            (StoreError::WrongPassphrase, ErrorCode::WrongPassphrase),
            (StoreError::WorkspaceExists("/tmp/w".into()), ErrorCode::WorkspaceExists),
            (StoreError::WorkspaceNotFound("/tmp/w".into()), ErrorCode::WorkspaceNotFound),
            (StoreError::WorkspaceUnreadable("not a workspace".into()), ErrorCode::WorkspaceUnreadable),
            (StoreError::NotFound(id), ErrorCode::NotFound),
            (StoreError::PhotoNotFound("ab".repeat(32)), ErrorCode::NotFound),
            (StoreError::EditConflict { id, expected: 1, actual: 2 }, ErrorCode::EditConflict),
            (StoreError::RecordNotFound { kind: "note", id: RecordId::from_uuid(uuid::Uuid::nil()) }, ErrorCode::NotFound),
            (StoreError::RecordEditConflict { kind: "contact", id: RecordId::from_uuid(uuid::Uuid::nil()), expected: 1, actual: 2 }, ErrorCode::EditConflict),
            (StoreError::Io(std::io::Error::other("disk full")), ErrorCode::Storage),
            (StoreError::Corrupt("case fields".into()), ErrorCode::Storage),
            (StoreError::BlobMismatch { expected: "ab".repeat(32), actual: "cd".repeat(32) }, ErrorCode::ServiceRefused),
        ];
        for (error, code) in cases {
            let app = AppError::from(error);
            assert_eq!(app.code, code);
            assert!(app.message.len() > 10, "{code:?} has no real message: {:?}", app.message);
        }
    }

    #[test]
    fn validation_keeps_the_fields_at_fault() {
        let app = AppError::from(StoreError::field("event.city", "Enter the city."));
        assert_eq!(app.fields, vec![FieldError::new("event.city", "Enter the city.")]);
        assert_eq!(app.message, "Enter the city.");
    }
}
