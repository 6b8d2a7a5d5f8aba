//! Photos of a case in a content-addressed store: image bytes are kept once under their
//! SHA-256 however many cases use them, and each attachment records what the image shows and
//! whether it may be published. It checks only the image's type and size; it does not resize,
//! crop or render.

use crate::cases::{record_event, Change};
use crate::error::StoreError;
use crate::workspace::Workspace;
use chrono::NaiveDate;
use porchlight_domain::{CaseId, FieldError, Moment};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The largest image accepted: a full-resolution phone photo fits; a video does not.
pub const MAX_PHOTO_BYTES: usize = 25 * 1024 * 1024;
/// The image types a poster and the app can show.
pub const ACCEPTED_MIME: &[&str] = &["image/jpeg", "image/png", "image/webp"];

/// What a photo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PhotoKind {
    /// A photo of the child.
    Photo,
    /// An image of the child aged by an artist: "Age progressed to N".
    AgeProgressed { age: u8 },
    /// A photo of a companion or suspected abductor.
    Companion,
    /// A photo of a vehicle in the case.
    Vehicle,
}

impl PhotoKind {
    fn code(self) -> &'static str {
        match self {
            PhotoKind::Photo => "photo",
            PhotoKind::AgeProgressed { .. } => "age_progressed",
            PhotoKind::Companion => "companion",
            PhotoKind::Vehicle => "vehicle",
        }
    }

    fn from_columns(code: &str, age: Option<u8>) -> Option<PhotoKind> {
        match (code, age) {
            ("photo", None) => Some(PhotoKind::Photo),
            ("age_progressed", Some(age)) => Some(PhotoKind::AgeProgressed { age }),
            ("companion", None) => Some(PhotoKind::Companion),
            ("vehicle", None) => Some(PhotoKind::Vehicle),
            _ => None,
        }
    }

    /// Only a picture of the child can lead a case or a poster.
    fn can_be_primary(self) -> bool {
        matches!(self, PhotoKind::Photo | PhotoKind::AgeProgressed { .. })
    }
}

/// An image to attach to a case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    pub bytes: Vec<u8>,
    /// `image/jpeg`, `image/png` or `image/webp`; must match the bytes.
    pub mime: String,
    pub taken_on: Option<NaiveDate>,
    /// Where the image came from, e.g. "family", "school portrait", "forensic artist".
    pub source: String,
    pub consent_to_publish: bool,
    pub kind: PhotoKind,
}

/// A photo attached to a case, without its bytes (see `Workspace::photo_bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRecord {
    pub id: uuid::Uuid,
    pub sha256: String,
    pub kind: PhotoKind,
    pub taken_on: Option<NaiveDate>,
    pub source: String,
    pub consent_to_publish: bool,
    pub is_primary: bool,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    /// RFC 3339.
    pub created_at: String,
}

/// What checking an image found: its address in the store and its pixel size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedPhoto {
    sha256: String,
    width: u32,
    height: u32,
}

/// Checks a photo before anything is written; every fault is named by its field under `photo.`.
pub(crate) fn check(photo: &NewPhoto, today: NaiveDate) -> Result<CheckedPhoto, Vec<FieldError>> {
    let mut faults = Vec::new();
    if photo.bytes.is_empty() {
        faults.push(FieldError::new("photo.bytes", "The image file is empty; choose the photo again."));
    } else if photo.bytes.len() > MAX_PHOTO_BYTES {
        faults.push(FieldError::new(
            "photo.bytes",
            format!("The image is {} MiB; use one of at most {} MiB.", photo.bytes.len() / (1024 * 1024), MAX_PHOTO_BYTES / (1024 * 1024)),
        ));
    }
    let detected = match imagesize::image_type(&photo.bytes) {
        Ok(imagesize::ImageType::Jpeg) => Some("image/jpeg"),
        Ok(imagesize::ImageType::Png) => Some("image/png"),
        Ok(imagesize::ImageType::Webp) => Some("image/webp"),
        _ => None,
    };
    let size = imagesize::blob_size(&photo.bytes).ok();
    match (detected, size) {
        (Some(mime), Some(_)) if mime != photo.mime => faults.push(FieldError::new(
            "photo.mime",
            format!("The file is {mime}, not {}; choose the type that matches the file.", photo.mime),
        )),
        (Some(_), Some(size)) if size.width == 0 || size.height == 0 || size.width > 20_000 || size.height > 20_000 => {
            faults.push(FieldError::new("photo.bytes", "The image has no usable size; export it again as JPEG or PNG."))
        }
        (Some(_), Some(_)) => {}
        _ if !photo.bytes.is_empty() => faults.push(FieldError::new(
            "photo.bytes",
            format!("This is not a readable image; use one of {}.", ACCEPTED_MIME.join(", ")),
        )),
        _ => {}
    }
    if let Some(taken) = photo.taken_on {
        if taken > today {
            faults.push(FieldError::new("photo.taken_on", format!("{taken} is in the future; enter the day the photo was taken.")));
        }
    }
    let source = porchlight_domain::values::collapse_spaces(&photo.source);
    if source.is_empty() {
        faults.push(FieldError::new("photo.source", "Say where the photo came from, e.g. family or school."));
    } else if source.chars().count() > 200 {
        faults.push(FieldError::new("photo.source", "Shorten the source to 200 characters or fewer."));
    }
    if let PhotoKind::AgeProgressed { age } = photo.kind {
        if !(1..=99).contains(&age) {
            faults.push(FieldError::new("photo.kind", "Give the age the image was progressed to, from 1 to 99."));
        }
    }
    match (faults.is_empty(), size) {
        (true, Some(size)) => Ok(CheckedPhoto {
            sha256: crate::hex(&Sha256::digest(&photo.bytes)),
            width: size.width as u32,
            height: size.height as u32,
        }),
        _ => Err(faults),
    }
}

/// Stores the image once and attaches it to the case. Attaching the same image to the same
/// case again changes nothing. Returns whether a new attachment was made.
pub(crate) fn insert(
    tx: &Transaction,
    change: &Change,
    case_seq: i64,
    case_version: i64,
    photo: &NewPhoto,
    checked: &CheckedPhoto,
) -> Result<bool, StoreError> {
    let now = change.now;
    tx.prepare_cached("INSERT OR IGNORE INTO blobs (sha256, bytes, mime, width, height, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(rusqlite::params![checked.sha256, photo.bytes, photo.mime, checked.width, checked.height, photo.bytes.len() as i64])?;
    let already: bool = tx.prepare_cached("SELECT 1 FROM case_photos WHERE case_seq = ?1 AND sha256 = ?2")?.exists(rusqlite::params![case_seq, checked.sha256])?;
    if already {
        return Ok(false);
    }
    let has_primary: bool = tx.prepare_cached("SELECT 1 FROM case_photos WHERE case_seq = ?1 AND is_primary = 1")?.exists([case_seq])?;
    let is_primary = photo.kind.can_be_primary() && !has_primary;
    let age = match photo.kind {
        PhotoKind::AgeProgressed { age } => Some(age),
        _ => None,
    };
    let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, now.utc.timestamp() as u64, now.utc.timestamp_subsec_nanos()));
    let source = porchlight_domain::values::collapse_spaces(&photo.source);
    let taken_on = photo.taken_on.map(|d| d.format("%Y-%m-%d").to_string());
    tx.prepare_cached(
        "INSERT INTO case_photos (id, case_seq, sha256, kind, age_progressed_to, taken_on, source, consent_to_publish, is_primary, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(rusqlite::params![
        id.as_bytes(),
        case_seq,
        checked.sha256,
        photo.kind.code(),
        age,
        taken_on,
        source,
        photo.consent_to_publish,
        is_primary,
        change.at,
    ])?;
    let event = serde_json::json!({
        "photo": id.to_string(),
        "sha256": checked.sha256,
        "kind": photo.kind,
        "taken_on": taken_on,
        "source": source,
        "consent_to_publish": photo.consent_to_publish,
    })
    .to_string();
    record_event(tx, change, case_seq, "photo", case_version, None, Some(&event))?;
    Ok(true)
}

impl Workspace {
    /// Attaches a photo to a case and returns the SHA-256 (hex) under which its bytes are
    /// stored. The first photo of the child becomes the case's primary photo.
    pub fn add_photo(&mut self, case: CaseId, photo: &NewPhoto, now: Moment) -> Result<String, StoreError> {
        let checked = check(photo, now.local.date()).map_err(StoreError::Validation)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (seq, version): (i64, i64) = tx
            .prepare_cached("SELECT seq, version FROM cases WHERE id = ?1")?
            .query_row([case.as_uuid().as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
            .ok_or(StoreError::NotFound(case))?;
        insert(&tx, &change, seq, version, photo, &checked)?;
        tx.commit()?;
        Ok(checked.sha256)
    }

    /// The photos of a case, the primary one first, then oldest first.
    pub fn photos(&self, case: CaseId) -> Result<Vec<PhotoRecord>, StoreError> {
        self.get_case(case)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.sha256, p.kind, p.age_progressed_to, p.taken_on, p.source, p.consent_to_publish, p.is_primary,
                    b.mime, b.width, b.height, b.size, p.created_at
             FROM case_photos p JOIN blobs b USING (sha256)
             WHERE p.case_seq = (SELECT seq FROM cases WHERE id = ?1) ORDER BY p.is_primary DESC, p.id",
        )?;
        let rows = stmt.query_map([case.as_uuid().as_bytes()], |row| {
            let kind: String = row.get(2)?;
            let age: Option<u8> = row.get(3)?;
            let taken_on: Option<String> = row.get(4)?;
            Ok(PhotoRecord {
                id: uuid::Uuid::from_bytes(row.get(0)?),
                sha256: row.get(1)?,
                kind: PhotoKind::from_columns(&kind, age).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, format!("unknown photo kind {kind:?}").into())
                })?,
                taken_on: taken_on
                    .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
                    .transpose()
                    .map_err(|e| rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e)))?,
                source: row.get(5)?,
                consent_to_publish: row.get(6)?,
                is_primary: row.get(7)?,
                mime: row.get(8)?,
                width: row.get(9)?,
                height: row.get(10)?,
                size: row.get::<_, i64>(11)? as u64,
                created_at: row.get(12)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many distinct images the workspace stores.
    pub fn stored_image_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM blobs", [], |row| row.get::<_, i64>(0))? as u64)
    }

    /// The bytes and type of a stored image.
    pub fn photo_bytes(&self, sha256: &str) -> Result<(Vec<u8>, String), StoreError> {
        self.conn
            .prepare_cached("SELECT bytes, mime FROM blobs WHERE sha256 = ?1")?
            .query_row([sha256], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
            .ok_or_else(|| StoreError::PhotoNotFound(sha256.to_owned()))
    }
}
