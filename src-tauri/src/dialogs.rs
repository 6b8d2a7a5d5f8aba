//! The native file dialogs (rfd, GTK 3 on Linux): choosing photos, a file to save a poster to,
//! and a folder for posters in bulk. GTK may only be driven from the thread that runs its main
//! loop, so each dialog is started on Tauri's main thread and awaited from the command's task;
//! the window keeps painting meanwhile. What is done with the chosen paths is up to the caller.

use porchlight_domain::AppError;
use std::future::Future;
use std::path::PathBuf;
use tauri::{AppHandle, Runtime};

/// The image types the photo dialog offers; the store decides from the bytes what is accepted.
pub const PHOTO_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "JPG", "JPEG", "PNG", "WEBP"];

/// Starts `dialog` on the main thread and waits for the person's answer.
async fn on_main_thread<R, T, Fut, D>(app: &AppHandle<R>, dialog: D) -> Result<T, AppError>
where
    R: Runtime,
    T: Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    D: FnOnce() -> Fut + Send + 'static,
{
    let (send, receive) = tokio::sync::oneshot::channel();
    app.run_on_main_thread(move || {
        let _ = send.send(dialog());
    })
    .map_err(|e| {
        log::error!("cannot reach the main thread to open a dialog: {e}");
        crate::session::internal()
    })?;
    let answer = receive.await.map_err(|_| {
        log::error!("the main thread dropped a dialog before opening it");
        crate::session::internal()
    })?;
    Ok(answer.await)
}

/// The user's home folder, where the dialogs start when nothing better is known.
fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// Photos to add to a case: absolute paths, none when the person cancels.
pub async fn pick_photos<R: Runtime>(app: &AppHandle<R>) -> Result<Vec<PathBuf>, AppError> {
    let start = home();
    let picked = on_main_thread(app, move || {
        let mut dialog = rfd::AsyncFileDialog::new()
            .set_title("Add photos to the case")
            .add_filter("Photos (JPEG, PNG, WebP)", PHOTO_EXTENSIONS);
        if let Some(dir) = start {
            dialog = dialog.set_directory(dir);
        }
        dialog.pick_files()
    })
    .await?;
    Ok(picked
        .unwrap_or_default()
        .iter()
        .map(|f| f.path().to_path_buf())
        .collect())
}

/// Where to save a poster, suggesting `file_name`; `None` when the person cancels.
pub async fn save_pdf<R: Runtime>(
    app: &AppHandle<R>,
    file_name: String,
) -> Result<Option<PathBuf>, AppError> {
    let start = home();
    let chosen = on_main_thread(app, move || {
        let mut dialog = rfd::AsyncFileDialog::new()
            .set_title("Save the poster")
            .set_file_name(file_name)
            .set_can_create_directories(true)
            .add_filter("PDF document", &["pdf"]);
        if let Some(dir) = start {
            dialog = dialog.set_directory(dir);
        }
        dialog.save_file()
    })
    .await?;
    Ok(chosen.map(|f| f.path().to_path_buf()))
}

/// A folder for posters made in bulk; `None` when the person cancels.
pub async fn pick_folder<R: Runtime>(app: &AppHandle<R>) -> Result<Option<PathBuf>, AppError> {
    let start = home();
    let chosen = on_main_thread(app, move || {
        let mut dialog = rfd::AsyncFileDialog::new()
            .set_title("Choose a folder for the posters")
            .set_can_create_directories(true);
        if let Some(dir) = start {
            dialog = dialog.set_directory(dir);
        }
        dialog.pick_folder()
    })
    .await?;
    Ok(chosen.map(|f| f.path().to_path_buf()))
}
