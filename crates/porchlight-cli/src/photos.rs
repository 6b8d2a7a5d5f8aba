//! `porchlight photos`: attaching image files to a case and listing its photos. Each file is
//! handed to the store on its own, so one bad file is named and refused while the others are
//! added. What counts as an acceptable image (type, size, damage), EXIF dates and orientation,
//! thumbnails and de-duplication are the store's.

use crate::args::{Cli, PhotoKindArg, PhotosAddArgs, PhotosCommand};
use crate::commands::{emit, open, resolve, to_json};
use crate::render::{self, grid, one_line};
use porchlight_domain::{AppError, ErrorCode, FieldError, Moment, PhotoKind, PhotoMeta, PhotoRecord};
use porchlight_store::StoreError;
use std::fmt::Write;
use std::path::Path;

pub fn run(cli: &Cli, command: &PhotosCommand) -> Result<String, AppError> {
    match command {
        PhotosCommand::Add(args) => add(cli, args),
        PhotosCommand::List { case, json } => {
            let mut workspace = open(cli)?;
            let id = resolve(&workspace, case)?;
            let view = workspace.open_case(id, Moment::now())?;
            if *json {
                return to_json(&view.photos);
            }
            let mut out = list(&view.record.case_number, &view.photos);
            if let Some(warning) = &view.photo_warning {
                let _ = writeln!(out, "\nWarning: {warning}");
            }
            Ok(out)
        }
    }
}

/// The metadata every file of one `photos add` shares, checked before the workspace is opened
/// and named by the flags that set it.
fn meta(args: &PhotosAddArgs, moment: &Moment) -> Result<PhotoMeta, AppError> {
    let kind = match (args.kind, args.age_progressed_to) {
        (Some(kind), _) => kind,
        (None, Some(_)) => PhotoKindArg::AgeProgressed,
        (None, None) => PhotoKindArg::Photo,
    };
    let meta = PhotoMeta {
        kind: Some(match kind {
            PhotoKindArg::Photo => PhotoKind::Photo,
            PhotoKindArg::AgeProgressed => PhotoKind::AgeProgressed,
            PhotoKindArg::Companion => PhotoKind::Companion,
            PhotoKindArg::Vehicle => PhotoKind::Vehicle,
        }),
        age_progressed_to: args.age_progressed_to,
        taken_on: args.taken_on.clone().unwrap_or_default(),
        child_age: args.child_age,
        source: args.source.clone(),
        consent_to_publish: args.consent,
    };
    if args.age_progressed_to.is_some() && kind != PhotoKindArg::AgeProgressed {
        return Err(AppError::validation(vec![FieldError::new(
            "--age-progressed-to",
            "An age is given only for age-progressed images; drop it or use --kind age_progressed.",
        )]));
    }
    meta.validate(moment.local.date()).map_err(|errors| {
        AppError::validation(errors.into_iter().map(|e| FieldError::new(format!("--{}", e.field.replace('_', "-")), e.message)).collect())
    })
}

fn add(cli: &Cli, args: &PhotosAddArgs) -> Result<String, AppError> {
    let moment = Moment::now();
    let meta = meta(args, &moment)?;
    let mut workspace = open(cli)?;
    let case = resolve(&workspace, &args.case)?;
    let mut added: Vec<(String, PhotoRecord)> = Vec::new();
    let mut refused: Vec<FieldError> = Vec::new();
    for path in &args.files {
        let shown = path.display().to_string();
        let bytes = match read_image_file(path) {
            Ok(bytes) => bytes,
            Err(reason) => {
                refused.push(FieldError::new(shown, reason));
                continue;
            }
        };
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
        match workspace.add_photo_file(case, &bytes, &file_name, &meta, moment) {
            Ok(record) => added.push((shown, record)),
            Err(StoreError::Validation(fields)) => {
                let reason = fields.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" ");
                refused.push(FieldError::new(shown, reason));
            }
            Err(other) => {
                // A fault of the workspace itself stops the run; what was added is kept and said.
                emit(&added_lines(&added));
                return Err(other.into());
            }
        }
    }
    let report = if args.json { to_json(&added.iter().map(|(_, r)| r).collect::<Vec<_>>())? } else { added_lines(&added) };
    if refused.is_empty() {
        return Ok(report);
    }
    emit(&report);
    let message = match (refused.len(), added.len()) {
        (1, 0) if args.files.len() == 1 => "The file was refused; nothing was added.".to_owned(),
        (n, 0) => format!("All {n} files were refused; nothing was added."),
        (n, _) => format!("{n} of {} files were refused; the others were added.", args.files.len()),
    };
    Err(AppError { code: ErrorCode::Validation, message, fields: refused })
}

/// Reads a file, refusing before reading one that is far too large to be a photo.
fn read_image_file(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "There is no such file; check the path.".to_owned(),
        _ => format!("The file cannot be read: {e}."),
    })?;
    if size.is_dir() {
        return Err("This is a folder; name the image files in it.".into());
    }
    if size.len() > porchlight_store::MAX_PHOTO_BYTES as u64 {
        return Err(format!(
            "The file is {} MB; photos are at most {} MB. Export a smaller JPEG.",
            size.len() / 1_000_000,
            porchlight_store::MAX_PHOTO_BYTES / 1_000_000
        ));
    }
    std::fs::read(path).map_err(|e| format!("The file cannot be read: {e}."))
}

fn kind_words(meta: &PhotoMeta) -> String {
    match meta.kind {
        Some(PhotoKind::Photo) | None => "photo".into(),
        Some(PhotoKind::AgeProgressed) => match meta.age_progressed_to {
            Some(age) => format!("age progressed to {age}"),
            None => "age progressed".into(),
        },
        Some(PhotoKind::Companion) => "companion".into(),
        Some(PhotoKind::Vehicle) => "vehicle".into(),
    }
}

fn added_lines(added: &[(String, PhotoRecord)]) -> String {
    let mut out = String::new();
    for (file, p) in added {
        let taken = if p.meta.taken_on.is_empty() { String::new() } else { format!(", taken {}", p.meta.taken_on) };
        let primary = if p.is_primary { ", primary" } else { "" };
        let consent = if p.meta.consent_to_publish { ", may be published" } else { ", not for publication" };
        let _ = writeln!(out, "Added {file}: {}, {}×{} {}{taken}{primary}{consent} (photo {}).", kind_words(&p.meta), p.width, p.height, p.mime, p.id);
    }
    out
}

fn list(case_number: &str, photos: &[PhotoRecord]) -> String {
    if photos.is_empty() {
        return format!("Case {case_number} has no photos yet.\n");
    }
    let rows: Vec<Vec<String>> = photos
        .iter()
        .map(|p| {
            let flags = [if p.is_primary { "primary" } else { "" }, if p.meta.consent_to_publish { "may be published" } else { "not for publication" }]
                .into_iter()
                .filter(|f| !f.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                p.id.to_string(),
                kind_words(&p.meta),
                p.meta.taken_on.clone(),
                p.meta.child_age.map(|a| a.to_string()).unwrap_or_default(),
                format!("{}×{} {}", p.width, p.height, p.mime.trim_start_matches("image/")),
                render::clip(&one_line(&p.meta.source), 28),
                flags,
            ]
        })
        .collect();
    let mut out = grid(&["ID", "KIND", "TAKEN", "AGE", "IMAGE", "SOURCE", ""], &rows);
    let _ = writeln!(out, "\n{} on case {case_number}.", render::plural(photos.len(), "photo", "photos"));
    out
}
