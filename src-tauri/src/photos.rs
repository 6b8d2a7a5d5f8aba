//! The photo commands: choosing files in the native dialog, importing a file by its path (the
//! dialog's way) or from bytes (a file dropped onto the window), editing what a photo shows,
//! choosing the primary photo, and handing images to the webview as `data:` URLs, which the
//! Content Security Policy allows for images and nothing else. Which bytes are an image, and
//! every rule about photos, belong to the store.

use crate::dialogs;
use crate::session::Session;
use base64::Engine;
use porchlight_domain::{AppError, CaseId, FieldError, Moment, PhotoMeta, PhotoRecord, RecordId};
use std::io::Read;
use std::path::{Path, PathBuf};
use tauri::{AppHandle, State};

/// Files larger than this are not read whole: the store refuses them anyway, and its limit is
/// lower, so reading one byte past it is enough for it to say so.
const READ_CAP: u64 = porchlight_store::MAX_PHOTO_BYTES as u64 + 1;

/// The image types a `data:` URL may carry to the webview.
const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp"];

/// `data:<mime>;base64,<bytes>`, for an `<img src>`. Anything but the three image types is
/// refused, so a stored type can never make the webview treat bytes as a page or a script.
pub fn data_url(bytes: &[u8], mime: &str) -> Result<String, AppError> {
    let mime = mime.trim().to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&mime.as_str()) {
        log::error!("a stored photo has the unexpected type {mime:?}");
        return Err(crate::session::internal());
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:{mime};base64,{encoded}"))
}

/// The name a file goes by in messages and in the store: its last path component.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads a photo the person chose, refusing what is not a readable file with a message that
/// names it. At most `cap` bytes are read.
fn read_photo(path: &Path, cap: u64) -> Result<Vec<u8>, AppError> {
    let name = file_name(path);
    let refuse = |message: String| AppError::validation(vec![FieldError::new("path", message)]);
    if !path.is_absolute() {
        return Err(refuse(format!(
            "{} is not a full path to a file; choose the photo with Add photos.",
            path.display()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => refuse(format!(
            "{name} is no longer at {}; it may have been moved or deleted.",
            path.display()
        )),
        std::io::ErrorKind::PermissionDenied => refuse(format!(
            "{name} cannot be read: permission denied. Copy it somewhere you can open it, then add it again."
        )),
        _ => refuse(format!("{name} cannot be read ({e}).")),
    })?;
    let meta = file
        .metadata()
        .map_err(|e| refuse(format!("{name} cannot be read ({e}).")))?;
    if !meta.is_file() {
        return Err(refuse(format!("{name} is a folder, not a photo.")));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(cap) as usize);
    file.take(cap)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(format!("{name} could not be read to the end ({e}).")))?;
    Ok(bytes)
}

/// The native file dialog for photos; absolute paths, none when cancelled.
#[tauri::command]
pub async fn pick_photo_files(app: AppHandle) -> Result<Vec<String>, AppError> {
    let paths = dialogs::pick_photos(&app).await?;
    Ok(paths
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

/// The import path of the file dialog: Rust reads the file itself.
#[tauri::command]
pub async fn add_photo_from_path(
    session: State<'_, Session>,
    case_id: CaseId,
    path: String,
    meta: PhotoMeta,
) -> Result<PhotoRecord, AppError> {
    let now = Moment::now();
    let path = PathBuf::from(path);
    let open = std::sync::Arc::clone(&session.open);
    crate::session::blocking(move || {
        let bytes = read_photo(&path, READ_CAP)?;
        let name = file_name(&path);
        crate::session::with_workspace(&open, |w| {
            w.add_photo_file(case_id, &bytes, &name, &meta, now)
                .map_err(crate::session::report)
        })
    })
    .await
}

/// A file dropped onto the window, read by the webview and sent as base64.
#[tauri::command]
pub async fn add_photo_bytes(
    session: State<'_, Session>,
    case_id: CaseId,
    file_name: String,
    data_base64: String,
    meta: PhotoMeta,
) -> Result<PhotoRecord, AppError> {
    let now = Moment::now();
    let open = std::sync::Arc::clone(&session.open);
    crate::session::blocking(move || {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data_base64.trim())
            .map_err(|_| {
                AppError::validation(vec![FieldError::new(
                    "file",
                    format!("{file_name} arrived damaged and was not added; drop it again."),
                )])
            })?;
        crate::session::with_workspace(&open, |w| {
            w.add_photo_file(case_id, &bytes, &file_name, &meta, now)
                .map_err(crate::session::report)
        })
    })
    .await
}

#[tauri::command]
pub async fn update_photo(
    session: State<'_, Session>,
    id: RecordId,
    meta: PhotoMeta,
) -> Result<PhotoRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.update_photo(id, &meta, now))
        .await
}

#[tauri::command]
pub async fn set_primary_photo(
    session: State<'_, Session>,
    id: RecordId,
) -> Result<PhotoRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.set_primary_photo(id, now))
        .await
}

/// The stored thumbnail as a `data:` URL.
#[tauri::command]
pub async fn photo_thumbnail(
    session: State<'_, Session>,
    id: RecordId,
) -> Result<String, AppError> {
    let (bytes, mime) = session.with_open(move |w| w.photo_thumbnail(id)).await?;
    data_url(&bytes, &mime)
}

/// The whole image as a `data:` URL; the store records that it was viewed.
#[tauri::command]
pub async fn photo_image(session: State<'_, Session>, id: RecordId) -> Result<String, AppError> {
    let now = Moment::now();
    let (bytes, mime) = session.with_open(move |w| w.photo_image(id, now)).await?;
    data_url(&bytes, &mime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_domain::ErrorCode;

    #[test]
    fn images_become_data_urls_of_their_type() {
        let url = data_url(&[0xff, 0xd8, 0xff, 0xe0], "image/jpeg").unwrap();
        assert_eq!(url, "data:image/jpeg;base64,/9j/4A==");
        assert!(data_url(b"\x89PNG", "IMAGE/PNG ")
            .unwrap()
            .starts_with("data:image/png;base64,"));
        assert!(data_url(b"RIFF", "image/webp").is_ok());
    }

    #[test]
    fn nothing_but_an_image_type_reaches_the_webview() {
        for mime in ["text/html", "image/svg+xml", "application/javascript", ""] {
            let err = data_url(b"<script>", mime).unwrap_err();
            assert_eq!(err.code, ErrorCode::Internal, "{mime:?} was let through");
        }
    }

    #[test]
    fn a_photo_that_cannot_be_read_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("school-portrait.jpg");
        let err = read_photo(&missing, 100).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.fields[0].field, "path");
        assert!(
            err.message.contains("school-portrait.jpg"),
            "{}",
            err.message
        );

        let err = read_photo(dir.path(), 100).unwrap_err();
        assert!(err.message.contains("folder"), "{}", err.message);

        let err = read_photo(Path::new("relative/photo.png"), 100).unwrap_err();
        assert!(err.message.contains("full path"), "{}", err.message);
    }

    #[test]
    fn reading_stops_one_byte_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.png");
        std::fs::write(&big, vec![7u8; 5000]).unwrap();
        assert_eq!(read_photo(&big, 1001).unwrap().len(), 1001);
        assert_eq!(read_photo(&big, 10_000).unwrap().len(), 5000);
    }
}
