//! Sync in the desktop shell: the commands of the status bar, the enrol dialog, the conflict
//! inbox and the refused changes, and the background worker that syncs the open workspace
//! (`worker`, timed by `schedule`, reaching the workspace through `shared`). The commands are thin
//! calls into `porchlight-store` and `porchlight-sync-client`; the network is never waited on
//! while the workspace is locked for it. The protocol, merging and the wording of most errors
//! belong to those crates; this module only adds which enrol refusal concerns which field.

mod schedule;
mod shared;
mod worker;

pub use worker::{channel, spawn, Notice, Notify, SyncHandle};

use crate::session::{blocking, report, with_workspace, Session};
use chrono::Utc;
use porchlight_domain::{
    AppError, CaseId, ConflictResolution, ConflictView, EnrolForm, FieldError, Moment,
    RejectedChange, SyncStatus,
};
use porchlight_store::SyncIdentity;
use porchlight_sync::Replica;
use porchlight_sync_client::{Remote, SyncError};
use std::sync::Arc;
use tauri::State;

/// The event the window listens to for the state after each attempt.
pub const STATUS_EVENT: &str = "sync-status";
/// The event that says the organisation removed this workspace.
pub const REMOVED_EVENT: &str = "workspace-removed";

#[tauri::command]
pub async fn sync_status(session: State<'_, Session>) -> Result<SyncStatus, AppError> {
    let open = Arc::clone(&session.open);
    let live = Arc::clone(&session.sync.live);
    blocking(move || worker::status(&open, &live)).await
}

/// Logs in to the service (which enrols this device), keeps the enrolment inside the encrypted
/// workspace, and starts syncing. The workspace is not held while the service answers.
#[tauri::command]
pub async fn enrol_device(
    session: State<'_, Session>,
    form: EnrolForm,
) -> Result<SyncStatus, AppError> {
    let open = Arc::clone(&session.open);
    let sync = session.sync.clone();
    worker::unlocked_or(&open)?;
    blocking(move || {
        let (remote, enrolment) =
            Remote::enrol(&form.server_url, &form).map_err(|e| enrol_error(e, &form))?;
        let identity = SyncIdentity {
            server_url: remote.server_url().to_owned(),
            device_id: enrolment.device_id,
            token: enrolment.token,
            user_id: enrolment.user_id,
            username: enrolment.username,
            display_name: enrolment.display_name,
            role: enrolment.role,
        };
        // The service's clock comes first: enrolling writes an audit op, and one stamped on a
        // clock hours fast would carry every later stamp past what the service accepts.
        with_workspace(&open, |w| {
            w.observe_server(&enrolment.hello, Utc::now())
                .map_err(report)?;
            w.set_sync_identity(&identity, Moment::now())
                .map_err(report)
        })?;
        sync.start();
        worker::status(&open, &sync.live)
    })
    .await
}

/// Syncs now and answers with the state once the attempt is over; a failed attempt is in
/// `last_error`, not an error of the command.
#[tauri::command]
pub async fn sync_now(session: State<'_, Session>) -> Result<SyncStatus, AppError> {
    let enrolled = session.with_open(|w| w.sync_identity()).await?.is_some();
    if !enrolled {
        return Err(worker::not_enrolled());
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    session.sync.send(worker::Message::Now(reply));
    answer.await.unwrap_or_else(|_| Err(worker::gone()))
}

#[tauri::command]
pub async fn list_conflicts(
    session: State<'_, Session>,
    case_id: Option<CaseId>,
) -> Result<Vec<ConflictView>, AppError> {
    session.with_open(move |w| w.conflicts(case_id)).await
}

/// Settles a conflict here at once (an audited change of its own); the next sync sends it.
#[tauri::command]
pub async fn resolve_conflict(
    session: State<'_, Session>,
    id: String,
    resolution: ConflictResolution,
) -> Result<SyncStatus, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.resolve_conflict(&id, &resolution, now))
        .await?;
    sync_status(session).await
}

#[tauri::command]
pub async fn list_rejected(session: State<'_, Session>) -> Result<Vec<RejectedChange>, AppError> {
    session.with_open(|w| w.rejected_changes()).await
}

#[tauri::command]
pub async fn dismiss_rejected(
    session: State<'_, Session>,
    op_id: String,
) -> Result<SyncStatus, AppError> {
    session
        .with_open(move |w| w.dismiss_rejected(&op_id))
        .await?;
    sync_status(session).await
}

/// Forgets the enrolment; the cases and the changes not yet sent stay in the workspace.
#[tauri::command]
pub async fn leave_sync(session: State<'_, Session>) -> Result<SyncStatus, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.clear_sync_identity(now))
        .await?;
    session.sync.stop();
    sync_status(session).await
}

/// An enrolment refusal for the dialog: the engine's words, tied to the field to fix where the
/// refusal concerns one (the second-factor code, the password), so the dialog can show the field
/// and put the cursor there.
fn enrol_error(error: SyncError, form: &EnrolForm) -> AppError {
    let field = match &error {
        SyncError::Invalid { field, message } => {
            return AppError::validation(vec![FieldError::new(*field, sentence(message))]);
        }
        SyncError::SecondFactorRequired => Some((
            "totp",
            "Enter the six-digit code your authenticator app shows now.",
        )),
        // A wrong code and a wrong password get the same answer from the service, so the field
        // is named only when there was no code to be wrong.
        SyncError::Refused { status: 401, .. } if form.totp.trim().is_empty() => Some((
            "password",
            "Check the user name and password; both must match your account on the service.",
        )),
        _ => None,
    };
    log::info!("enrolment refused: {error}");
    let mut app = AppError::from(error);
    if let Some((name, message)) = field {
        app.fields.push(FieldError::new(name, message));
    }
    app
}

/// The engine's field messages are clauses ("give the user name…"); the dialog shows sentences.
fn sentence(clause: &str) -> String {
    let clause = clause.trim();
    let mut chars = clause.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests;
