//! The workspace of this session as the commands share it: where its file is, the open
//! workspace behind a lock, the two ways commands reach it (on Tauri's blocking pool, or from a
//! thread of their own), with store errors turned into `AppError`s, and the handle that tells
//! the background sync a command touched the workspace. It decides nothing about cases; the
//! commands and the store do.

use crate::sync::SyncHandle;
use porchlight_domain::{AppError, ErrorCode, WorkspaceStatus};
use porchlight_store::{StoreError, Workspace};
use std::error::Error;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// The open workspace, or `None` while locked, shared by every command and background job.
pub type OpenWorkspace = Arc<Mutex<Option<Workspace>>>;

/// The workspace of this session: where its file lives, and the open workspace once unlocked.
pub struct Session {
    /// Found once at start, so that every command in a session talks about the same file.
    pub(crate) path: PathBuf,
    /// `None` while locked. Shared with the blocking tasks and bulk jobs that do the work.
    pub(crate) open: OpenWorkspace,
    /// The background sync, told of every command that may have written.
    pub(crate) sync: SyncHandle,
}

impl Session {
    /// The session on the user's workspace (or `PORCHLIGHT_WORKSPACE`, when set).
    pub fn at_default_path(sync: SyncHandle) -> Self {
        let path = Workspace::default_path();
        log::info!("workspace file: {}", path.display());
        Session {
            path,
            open: Arc::new(Mutex::new(None)),
            sync,
        }
    }

    pub(crate) fn status(&self) -> WorkspaceStatus {
        let mut status = Workspace::status(&self.path);
        status.unlocked = lock(&self.open).is_some();
        status
    }

    /// Runs `work` on the open workspace on a blocking thread, or says it is locked. Nearly every
    /// command writes something that syncs (opening a case is audited), so each one tells the
    /// background sync, which looks whether anything waits once the commands fall quiet.
    pub(crate) async fn with_open<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Workspace) -> Result<T, StoreError> + Send + 'static,
    {
        let open = Arc::clone(&self.open);
        let answer = blocking(move || with_workspace(&open, |w| work(w).map_err(report))).await;
        if answer.is_ok() {
            self.sync.wrote();
        }
        answer
    }
}

/// Runs `work` on the open workspace from the calling thread, holding the lock only for the
/// call, or says it is locked. Background jobs call it once per batch so the window's own
/// commands get their turn in between.
pub(crate) fn with_workspace<T>(
    open: &Mutex<Option<Workspace>>,
    work: impl FnOnce(&mut Workspace) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut guard = lock(open);
    let workspace = guard.as_mut().ok_or_else(locked)?;
    work(workspace)
}

/// Takes the lock even after a panic in another command: the store writes in transactions, so a
/// panic cannot have left the workspace half-written, and refusing every later call would only
/// strand the user.
pub(crate) fn lock(open: &Mutex<Option<Workspace>>) -> MutexGuard<'_, Option<Workspace>> {
    open.lock().unwrap_or_else(|poisoned| {
        log::warn!("a previous command panicked while holding the workspace; continuing");
        poisoned.into_inner()
    })
}

pub(crate) fn locked() -> AppError {
    AppError::new(ErrorCode::WorkspaceLocked, "Unlock the workspace first.")
}

/// The answer to a fault in Porchlight itself; the details go to the log, not to the window.
pub(crate) fn internal() -> AppError {
    AppError::new(
        ErrorCode::Internal,
        "Porchlight hit an internal fault; the last action was not completed.",
    )
}

/// Runs slow work on Tauri's blocking pool so the window keeps painting.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(work)
        .await
        .unwrap_or_else(|join| {
            log::error!("a workspace task failed: {join}");
            Err(internal())
        })
}

/// Converts a store error for the UI, logging faults that are not the user's with their whole
/// chain. Only the error chain is logged, never the case being worked on.
pub(crate) fn report(error: StoreError) -> AppError {
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
