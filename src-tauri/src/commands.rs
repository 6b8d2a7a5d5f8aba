//! The workspace and case-form commands: create, unlock and lock the workspace; list, read,
//! create, edit and archive cases. Each reads the clock once, makes one call into
//! `porchlight_store::Workspace` and hands back the result or an `AppError`; they decide nothing
//! themselves, and they keep slow work (key derivation, SQLite) off the window's thread. What a
//! case holds beyond its form (contacts, notes, photos, posters) has modules of its own.

use crate::session::{blocking, lock, report, Session};
use porchlight_domain::{
    AppError, CaseFields, CaseId, CasePage, CaseRecord, FieldError, ListQuery, Moment,
    WorkspaceStatus,
};
use porchlight_store::Workspace;
use std::sync::Arc;
use tauri::State;

#[tauri::command]
pub async fn workspace_status(session: State<'_, Session>) -> Result<WorkspaceStatus, AppError> {
    Ok(session.status())
}

#[tauri::command]
pub async fn create_workspace(
    session: State<'_, Session>,
    passphrase: String,
) -> Result<WorkspaceStatus, AppError> {
    let now = Moment::now();
    let path = session.path.clone();
    let open = Arc::clone(&session.open);
    blocking(move || {
        let workspace = Workspace::create(&path, &passphrase, now).map_err(report)?;
        *lock(&open) = Some(workspace);
        Ok(())
    })
    .await?;
    session.sync.start();
    Ok(session.status())
}

#[tauri::command]
pub async fn unlock_workspace(
    session: State<'_, Session>,
    passphrase: String,
) -> Result<WorkspaceStatus, AppError> {
    let path = session.path.clone();
    let open = Arc::clone(&session.open);
    blocking(move || {
        let workspace = Workspace::open(&path, &passphrase).map_err(report)?;
        *lock(&open) = Some(workspace);
        Ok(())
    })
    .await?;
    // An enrolled workspace syncs as soon as it is open.
    session.sync.start();
    Ok(session.status())
}

#[tauri::command]
pub async fn lock_workspace(session: State<'_, Session>) -> Result<WorkspaceStatus, AppError> {
    let open = Arc::clone(&session.open);
    // Dropping the workspace closes the database and forgets its key.
    blocking(move || {
        drop(lock(&open).take());
        Ok(())
    })
    .await?;
    session.sync.stop();
    Ok(session.status())
}

#[tauri::command]
pub async fn list_cases(
    session: State<'_, Session>,
    query: ListQuery,
) -> Result<CasePage, AppError> {
    session.with_open(move |w| w.list_cases(&query)).await
}

#[tauri::command]
pub async fn get_case(session: State<'_, Session>, id: CaseId) -> Result<CaseRecord, AppError> {
    session.with_open(move |w| w.get_case(id)).await
}

#[tauri::command]
pub async fn create_case(
    session: State<'_, Session>,
    fields: CaseFields,
) -> Result<CaseRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.create_case(&fields, now))
        .await
}

#[tauri::command]
pub async fn update_case(
    session: State<'_, Session>,
    id: CaseId,
    version: i64,
    fields: CaseFields,
) -> Result<CaseRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.update_case(id, version, &fields, now))
        .await
}

#[tauri::command]
pub async fn set_archived(
    session: State<'_, Session>,
    id: CaseId,
    archived: bool,
) -> Result<CaseRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.set_archived(id, archived, now))
        .await
}

/// Checks a form without saving it, so the UI can show field errors as the user goes. It needs no
/// open workspace: the rules live in the domain crate.
#[tauri::command]
pub async fn validate_case(fields: CaseFields) -> Result<Vec<FieldError>, AppError> {
    let now = Moment::now();
    Ok(fields.validate(now.local).err().unwrap_or_default())
}
