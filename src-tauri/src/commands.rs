//! The commands the webview calls: each reads the clock once, makes one call into
//! `porchlight_store::Workspace` and hands back the result or an `AppError`. They decide nothing
//! themselves, and they keep slow work (key derivation, SQLite) off the window's thread.

use porchlight_domain::{
    AppError, CaseFields, CaseId, CasePage, CaseRecord, ErrorCode, FieldError, ListQuery, Moment,
    WorkspaceStatus,
};
use porchlight_store::{StoreError, Workspace};
use std::error::Error;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tauri::State;

/// The workspace of this session: where its file lives, and the open workspace once unlocked.
pub struct Session {
    /// Found once at start, so that every command in a session talks about the same file.
    path: PathBuf,
    /// `None` while locked. Shared with the blocking tasks that do the work.
    open: Arc<Mutex<Option<Workspace>>>,
}

impl Session {
    /// The session on the user's workspace (or `PORCHLIGHT_WORKSPACE`, when set).
    pub fn at_default_path() -> Self {
        let path = Workspace::default_path();
        log::info!("workspace file: {}", path.display());
        Session {
            path,
            open: Arc::new(Mutex::new(None)),
        }
    }

    fn status(&self) -> WorkspaceStatus {
        let mut status = Workspace::status(&self.path);
        status.unlocked = lock(&self.open).is_some();
        status
    }

    /// Runs `work` on the open workspace on a blocking thread, or says it is locked.
    async fn with_open<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Workspace) -> Result<T, StoreError> + Send + 'static,
    {
        let open = Arc::clone(&self.open);
        blocking(move || {
            let mut guard = lock(&open);
            let workspace = guard.as_mut().ok_or_else(locked)?;
            work(workspace).map_err(report)
        })
        .await
    }
}

/// Takes the lock even after a panic in another command: the store writes in transactions, so a
/// panic cannot have left the workspace half-written, and refusing every later call would only
/// strand the user.
fn lock(open: &Mutex<Option<Workspace>>) -> MutexGuard<'_, Option<Workspace>> {
    open.lock().unwrap_or_else(|poisoned| {
        log::warn!("a previous command panicked while holding the workspace; continuing");
        poisoned.into_inner()
    })
}

fn locked() -> AppError {
    AppError::new(ErrorCode::WorkspaceLocked, "Unlock the workspace first.")
}

/// Runs slow work on Tauri's blocking pool so the window keeps painting.
async fn blocking<T, F>(work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(work)
        .await
        .unwrap_or_else(|join| {
            log::error!("a workspace task failed: {join}");
            Err(AppError::new(
                ErrorCode::Internal,
                "Porchlight hit an internal fault; the last action was not completed.",
            ))
        })
}

/// Converts a store error for the UI, logging faults that are not the user's with their whole
/// chain. Only the error chain is logged, never the case being worked on.
fn report(error: StoreError) -> AppError {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    let app = AppError::from(error);
    if matches!(app.code, ErrorCode::Storage | ErrorCode::Internal) {
        log::error!("{chain}");
    }
    app
}

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
