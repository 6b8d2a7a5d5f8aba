//! Photos of a case: checking a file (its real type from its bytes, its size, a full decode),
//! turning it upright by its EXIF orientation, reading the date it was taken, a small JPEG
//! thumbnail, and a content-addressed store where the original bytes are kept once under their
//! SHA-256 however many cases use them. Each attachment records what the image shows, the
//! child's age in it and whether it may be published. It does not crop, retouch or print;
//! posters take the upright image from `photo_image`.

use crate::audit;
use crate::cases::{blob, record_event};
use crate::error::StoreError;
use crate::sync::outbox::Outbox;
use crate::sync::records;
use crate::workspace::Workspace;
use porchlight_sync::Entity;
use chrono::{Datelike, NaiveDate};
use image::{DynamicImage, ImageDecoder, ImageFormat};
use porchlight_domain::{AuditAction, CaseId, FieldError, Moment, PhotoKind as Kind, PhotoMeta, PhotoRecord as Record, RecordId};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use uuid::Uuid;
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// The largest file accepted (25 MiB): a full-resolution phone photo fits; a video does not.
pub const MAX_PHOTO_BYTES: usize = 25 * 1024 * 1024;
/// The image types a poster and the app can show.
pub const ACCEPTED_MIME: &[&str] = &["image/jpeg", "image/png", "image/webp"];
/// The longest side of a thumbnail.
pub const THUMBNAIL_PX: u32 = 320;
/// The longest side of an image accepted; beyond it a decode would need gigabytes.
const MAX_SIDE_PX: u32 = 20_000;
const THUMBNAIL_QUALITY: u8 = 80;
/// Quality of an original JPEG re-encoded upright: close to the original, half its size again.
const UPRIGHT_QUALITY: u8 = 92;

/// An image to attach to a case while importing: the file's bytes and name, and what the user
/// (or the generator) says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    pub bytes: Vec<u8>,
    /// Shown in refusals and kept with the photo, e.g. "maya-2024.jpg".
    pub file_name: String,
    pub meta: PhotoMeta,
}

/// The image types accepted, told apart by their first bytes, never by the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Format::Webp)
        } else {
            None
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Webp => "WebP",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::Webp => ImageFormat::WebP,
        }
    }
}

/// What a refused file really is, for a message that helps: the commonest mistakes are an
/// iPhone's HEIC photo, a GIF, a PDF scan and a document renamed `.jpg`.
fn describe_other(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"GIF8") {
        Some("a GIF image")
    } else if at(4, b"ftypheic") || at(4, b"ftypheix") || at(4, b"ftypmif1") || at(4, b"ftyphevc") {
        Some("a HEIC photo (as iPhones save them); export it as JPEG first")
    } else if at(4, b"ftypavif") {
        Some("an AVIF image")
    } else if at(0, b"%PDF") {
        Some("a PDF document")
    } else if at(0, b"BM") {
        Some("a BMP image")
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        Some("a TIFF image")
    } else if at(0, b"PK\x03\x04") {
        Some("a ZIP archive or office document")
    } else {
        None
    }
}

/// A file that passed every check, decoded, with everything the store keeps about it.
#[derive(Debug, Clone)]
pub(crate) struct PreparedPhoto {
    /// The file's name without its folder, as kept with the photo.
    file_name: String,
    sha256: String,
    mime: &'static str,
    /// Upright size.
    width: u32,
    height: u32,
    orientation: u8,
    /// The image turned upright, when the original is not.
    upright: Option<(Vec<u8>, &'static str)>,
    thumbnail: Thumbnail,
    /// The validated metadata, with the date taken from EXIF when the user gave none.
    meta: PhotoMeta,
}

#[derive(Debug, Clone)]
struct Thumbnail {
    jpeg: Vec<u8>,
    width: u32,
    height: u32,
}

/// A decoded image with what its EXIF said.
struct Decoded {
    format: Format,
    image: DynamicImage,
    orientation: u8,
    taken_on: Option<NaiveDate>,
}

/// Checks a file and its metadata before anything is written. File faults are on `file` and
/// name the file; metadata faults keep `PhotoMeta::validate`'s paths (`kind`, `taken_on`, …).
pub(crate) fn prepare(bytes: &[u8], file_name: &str, meta: &PhotoMeta, today: NaiveDate) -> Result<PreparedPhoto, Vec<FieldError>> {
    let shown = display_name(file_name);
    let decoded = decode(bytes, &shown, today);
    let mut meta = meta.clone();
    if let Ok(decoded) = &decoded {
        if meta.taken_on.trim().is_empty() {
            if let Some(taken) = decoded.taken_on {
                meta.taken_on = taken.format("%Y-%m-%d").to_string();
            }
        }
    }
    let checked = meta.validate(today);
    let (decoded, meta) = match (decoded, checked) {
        (Ok(decoded), Ok(meta)) => (decoded, meta),
        (decoded, checked) => {
            let mut faults: Vec<FieldError> = decoded.err().into_iter().collect();
            faults.extend(checked.err().unwrap_or_default());
            return Err(faults);
        }
    };
    let Decoded { format, mut image, orientation, .. } = decoded;
    turn_upright(&mut image, orientation);
    let upright = if orientation == 1 {
        None
    } else {
        Some(encode_upright(&image, format).map_err(|e| vec![file_fault(format!("{shown} could not be turned upright ({e})."))])?)
    };
    let thumbnail = make_thumbnail(&image).map_err(|e| vec![file_fault(format!("No thumbnail could be made of {shown} ({e})."))])?;
    Ok(PreparedPhoto {
        file_name: file_name_alone(file_name).to_owned(),
        sha256: crate::hex(&Sha256::digest(bytes)),
        mime: format.mime(),
        width: image.width(),
        height: image.height(),
        orientation,
        upright,
        thumbnail,
        meta,
    })
}

/// Checks a photo to import; see `prepare`.
pub(crate) fn check(photo: &NewPhoto, today: NaiveDate) -> Result<PreparedPhoto, Vec<FieldError>> {
    prepare(&photo.bytes, &photo.file_name, &photo.meta, today)
}

/// The last component of a path, whichever separator it uses.
fn file_name_alone(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or("").trim()
}

/// How a file is named in messages: its name in quotes, or "The file" when it has none.
fn display_name(file_name: &str) -> String {
    let name = file_name_alone(file_name);
    if name.is_empty() {
        "The file".to_owned()
    } else {
        format!("\u{201c}{name}\u{201d}")
    }
}

fn file_fault(message: String) -> FieldError {
    FieldError::new("file", message)
}

/// Reads the type from the bytes, refuses what is not an accepted image, and decodes the whole
/// image so that a damaged file is refused now rather than shown broken later.
fn decode(bytes: &[u8], file_name: &str, today: NaiveDate) -> Result<Decoded, FieldError> {
    if bytes.is_empty() {
        return Err(file_fault(format!("{file_name} is empty (0 bytes); choose the photo again.")));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(file_fault(format!(
            "{file_name} is {:.1} MB; photos can be at most {} MB. Export a smaller copy (a phone's \u{201c}large\u{201d} size is plenty) and add that.",
            bytes.len() as f64 / (1024.0 * 1024.0),
            MAX_PHOTO_BYTES / (1024 * 1024)
        )));
    }
    let accepted = "Choose a JPEG, PNG or WebP photo (.jpg, .png or .webp).";
    let Some(format) = Format::sniff(bytes) else {
        let what = describe_other(bytes).map(|w| format!(" It is {w}.")).unwrap_or_default();
        return Err(file_fault(format!("{file_name} is not a JPEG, PNG or WebP image.{what} {accepted}")));
    };
    let damaged = |why: String| {
        file_fault(format!(
            "{file_name} looks like a {} image but cannot be read ({why}); it may be damaged or cut short. Copy it again from where it came from.",
            format.name()
        ))
    };
    // A JPEG cut short in transfer still decodes (the missing rows come out grey), so its end
    // marker is checked first.
    if format == Format::Jpeg && !jpeg_is_whole(bytes) {
        return Err(damaged("the end of the image is missing".into()));
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| too_large_or(e, file_name, &damaged))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(damaged("it has no pixels".into()));
    }
    // EXIF is optional and often odd (blank dates, vendor quirks): a file whose EXIF cannot be
    // read is still a good photo, just one without an orientation or a date taken.
    let exif = decoder.exif_metadata().ok().flatten().and_then(|raw| exif::Reader::new().read_raw(raw).ok());
    let orientation = exif
        .as_ref()
        .and_then(|e| e.get_field(exif::Tag::Orientation, exif::In::PRIMARY))
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u8::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);
    let taken_on = exif.as_ref().and_then(|e| date_taken(e, today));
    let image = DynamicImage::from_decoder(decoder).map_err(|e| too_large_or(e, file_name, &damaged))?;
    Ok(Decoded { format, image, orientation, taken_on })
}

fn too_large_or(e: image::ImageError, file_name: &str, damaged: &dyn Fn(String) -> FieldError) -> FieldError {
    match e {
        image::ImageError::Limits(_) => file_fault(format!(
            "{file_name} has too many pixels to handle (at most {MAX_SIDE_PX} pixels a side); export a smaller copy and add that."
        )),
        other => damaged(other.to_string()),
    }
}

/// The day the photo was taken by the camera's clock. A camera whose clock was never set
/// writes dates like 1970 or 0000, and some write the future: those are ignored, not refused.
fn date_taken(exif: &exif::Exif, today: NaiveDate) -> Option<NaiveDate> {
    [exif::Tag::DateTimeOriginal, exif::Tag::DateTimeDigitized].iter().find_map(|tag| {
        let field = exif.get_field(*tag, exif::In::PRIMARY)?;
        let exif::Value::Ascii(ref parts) = field.value else { return None };
        let when = exif::DateTime::from_ascii(parts.first()?).ok()?;
        let day = NaiveDate::from_ymd_opt(i32::from(when.year), u32::from(when.month), u32::from(when.day))?;
        (day.year_ce().1 >= 1980 && day <= today).then_some(day)
    })
}

/// Whether a JPEG reaches its end-of-image marker, walking its segments from the start. A
/// file cut short never does; bytes after the marker (a phone's "motion photo" appends a video
/// there) do not matter. The walk skips each segment by its length and each scan's coded data
/// to the next marker, so an embedded EXIF thumbnail's own end marker is never mistaken.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let len = bytes.len();
    let mut i = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while i < len && bytes[i] != 0xFF {
            i += 1;
        }
        while i < len && bytes[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else { return false };
        i += 1;
        match marker {
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(i..i + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else { return false };
        if length < 2 || i + length > len {
            return false;
        }
        i += length;
        if marker == 0xDA {
            // Coded data: 0xFF is followed by a stuffed 0x00 or a restart marker until the
            // scan ends at the next real marker.
            loop {
                match bytes[i..].iter().position(|&b| b == 0xFF) {
                    None => return false,
                    Some(at) => i += at,
                }
                match bytes.get(i + 1) {
                    None => return false,
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(_) => break,
                }
            }
        }
    }
}

/// Applies an EXIF orientation (1 to 8) to the pixels.
fn turn_upright(image: &mut DynamicImage, orientation: u8) {
    if let Some(turn) = image::metadata::Orientation::from_exif(orientation) {
        image.apply_orientation(turn);
    }
}

/// The upright image as the original's kind of file: JPEG for a JPEG, lossless PNG otherwise.
fn encode_upright(image: &DynamicImage, format: Format) -> Result<(Vec<u8>, &'static str), image::ImageError> {
    let mut out = Vec::new();
    if format == Format::Jpeg {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, UPRIGHT_QUALITY);
        opaque(image).write_with_encoder(encoder)?;
        Ok((out, "image/jpeg"))
    } else {
        image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)?;
        Ok((out, "image/png"))
    }
}

/// At most `THUMBNAIL_PX` a side, never enlarged, as JPEG.
fn make_thumbnail(image: &DynamicImage) -> Result<Thumbnail, image::ImageError> {
    let small = if image.width().max(image.height()) > THUMBNAIL_PX {
        // Area averaging: each source pixel counts once, sharp enough and fast on large photos.
        image.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX)
    } else {
        image.clone()
    };
    let rgb = opaque(&small);
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, THUMBNAIL_QUALITY);
    rgb.write_with_encoder(encoder)?;
    Ok(Thumbnail { jpeg, width: rgb.width(), height: rgb.height() })
}

/// JPEG has no transparency: transparent pixels become white, as on paper.
fn opaque(image: &DynamicImage) -> DynamicImage {
    if !image.color().has_alpha() {
        return DynamicImage::ImageRgb8(image.to_rgb8());
    }
    let rgba = image.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y);
        let a = u16::from(p[3]);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])])
    });
    DynamicImage::ImageRgb8(rgb)
}

pub(crate) fn kind_code(kind: Kind) -> &'static str {
    match kind {
        Kind::Photo => "photo",
        Kind::AgeProgressed => "age_progressed",
        Kind::Companion => "companion",
        Kind::Vehicle => "vehicle",
    }
}

fn kind_from_code(code: &str) -> Option<Kind> {
    match code {
        "photo" => Some(Kind::Photo),
        "age_progressed" => Some(Kind::AgeProgressed),
        "companion" => Some(Kind::Companion),
        "vehicle" => Some(Kind::Vehicle),
        _ => None,
    }
}

/// Only a picture of the child can lead a case or a poster.
fn shows_the_child(kind: Kind) -> bool {
    matches!(kind, Kind::Photo | Kind::AgeProgressed)
}

/// The validated kind; `PhotoMeta::validate` refuses a photo without one.
fn kind_of(meta: &PhotoMeta) -> Result<Kind, StoreError> {
    meta.kind.ok_or_else(|| StoreError::field("kind", "Say what the photo shows."))
}

/// Stores the image once and attaches it to the case; returns the new photo's id, or None when
/// the case already has this image (an import then adds nothing). The first picture of the
/// child becomes the case's primary photo.
pub(crate) fn insert(
    out: &Outbox,
    case_seq: i64,
    case_version: i64,
    photo: &PreparedPhoto,
    bytes: &[u8],
    ids: &uuid::ContextV7,
) -> Result<Option<RecordId>, StoreError> {
    let (tx, change) = (out.tx, out.change);
    let now = change.now;
    let stored = tx
        .prepare_cached("INSERT OR IGNORE INTO blobs (sha256, bytes, mime, width, height, size, orientation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
        .execute(rusqlite::params![photo.sha256, bytes, photo.mime, photo.width, photo.height, bytes.len() as i64, photo.orientation])?;
    if stored == 0 {
        // Kept before thumbnails existed (or before its orientation was read): bring it up to date.
        tx.prepare_cached("UPDATE blobs SET width = ?2, height = ?3, orientation = ?4 WHERE sha256 = ?1")?
            .execute(rusqlite::params![photo.sha256, photo.width, photo.height, photo.orientation])?;
    }
    store_renditions(tx, &photo.sha256, &photo.thumbnail, photo.upright.as_ref())?;
    // Bytes stored here are the central service's to receive, unless it already has them.
    tx.prepare_cached(
        "INSERT INTO blob_sync (sha256, state) VALUES (?1, 'needs_upload')
         ON CONFLICT (sha256) DO UPDATE SET state = 'needs_upload' WHERE state = 'needs_download'",
    )?
    .execute([&photo.sha256])?;
    let already =
        tx.prepare_cached("SELECT 1 FROM case_photos WHERE case_seq = ?1 AND sha256 = ?2 AND deleted = 0")?.exists(rusqlite::params![case_seq, photo.sha256])?;
    if already {
        return Ok(None);
    }
    let kind = kind_of(&photo.meta)?;
    let has_primary = tx.prepare_cached("SELECT 1 FROM case_photos WHERE case_seq = ?1 AND is_primary = 1 AND deleted = 0")?.exists([case_seq])?;
    let is_primary = shows_the_child(kind) && !has_primary;
    let id = RecordId::from_uuid(uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        ids,
        now.utc.timestamp() as u64,
        now.utc.timestamp_subsec_nanos(),
    )));
    let meta = &photo.meta;
    let taken_on = Some(meta.taken_on.as_str()).filter(|t| !t.is_empty());
    tx.prepare_cached(
        "INSERT INTO case_photos (id, case_seq, sha256, kind, age_progressed_to, taken_on, source, consent_to_publish, is_primary,
             created_at, child_age, added_by, file_name, mime)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(rusqlite::params![
        id.as_uuid().as_bytes(),
        case_seq,
        photo.sha256,
        kind_code(kind),
        meta.age_progressed_to,
        taken_on,
        meta.source,
        meta.consent_to_publish,
        is_primary,
        change.at,
        meta.child_age,
        change.actor,
        photo.file_name,
        photo.mime,
    ])?;
    let event = serde_json::json!({
        "photo": id.to_string(),
        "sha256": photo.sha256,
        "kind": kind_code(kind),
        "age_progressed_to": meta.age_progressed_to,
        "taken_on": taken_on,
        "child_age": meta.child_age,
        "source": meta.source,
        "consent_to_publish": meta.consent_to_publish,
    })
    .to_string();
    record_event(tx, change, case_seq, "photo", case_version, None, Some(&event))?;
    let case_id = Uuid::from_bytes(tx.query_row("SELECT id FROM cases WHERE seq = ?1", [case_seq], |row| row.get(0))?);
    if let Some(fields) = records::photo_states(tx, case_seq)?.remove(id.as_uuid()) {
        out.set(case_id, Entity::Photo, *id.as_uuid(), fields.into_iter().collect(), true)?;
    }
    Ok(Some(id))
}

/// Writes the thumbnail and the upright image of a stored original, unless they exist.
fn store_renditions(tx: &Connection, sha256: &str, thumbnail: &Thumbnail, upright: Option<&(Vec<u8>, &'static str)>) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT OR IGNORE INTO thumbnails (sha256, bytes, width, height) VALUES (?1, ?2, ?3, ?4)")?
        .execute(rusqlite::params![sha256, thumbnail.jpeg, thumbnail.width, thumbnail.height])?;
    if let Some((bytes, mime)) = upright {
        tx.prepare_cached("INSERT OR IGNORE INTO upright_images (sha256, bytes, mime) VALUES (?1, ?2, ?3)")?
            .execute(rusqlite::params![sha256, bytes, mime])?;
    }
    Ok(())
}

/// Makes the thumbnails (and upright images) of originals stored before they existed, once:
/// on the first open after migration 0003 (`workspace_meta.photo_renditions` records it). An
/// original that no longer decodes is left without one: asking for its thumbnail reports it.
pub(crate) fn complete_renditions(conn: &mut Connection) -> Result<usize, StoreError> {
    let done_before = |conn: &Connection| -> rusqlite::Result<bool> {
        conn.prepare("SELECT 1 FROM workspace_meta WHERE key = 'photo_renditions'")?.exists([])
    };
    if done_before(conn)? {
        return Ok(0);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process (the CLI beside the app) may have done it while this one waited.
    if done_before(&tx)? {
        return Ok(0);
    }
    let missing: Vec<String> = tx
        .prepare("SELECT sha256 FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM thumbnails t WHERE t.sha256 = b.sha256)")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut done = 0;
    for sha256 in &missing {
        let bytes: Vec<u8> = tx.query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |row| row.get(0))?;
        // The date taken is not needed here: the attachments already have theirs.
        let Ok(decoded) = decode(&bytes, sha256, NaiveDate::MAX) else { continue };
        let Decoded { format, mut image, orientation, .. } = decoded;
        turn_upright(&mut image, orientation);
        let upright = if orientation == 1 { None } else { encode_upright(&image, format).ok() };
        let Ok(thumbnail) = make_thumbnail(&image) else { continue };
        tx.execute(
            "UPDATE blobs SET width = ?2, height = ?3, orientation = ?4 WHERE sha256 = ?1",
            rusqlite::params![sha256, image.width(), image.height(), orientation],
        )?;
        store_renditions(&tx, sha256, &thumbnail, upright.as_ref())?;
        done += 1;
    }
    tx.execute("INSERT INTO workspace_meta (key, value) VALUES ('photo_renditions', '1')", [])?;
    tx.commit()?;
    Ok(done)
}

/// Stores image bytes received from the central service, whose SHA-256 the caller checked: the
/// original as received, with its thumbnail and upright copy made as for a local import, so a
/// downloaded photo shows like any other. Bytes that no longer decode are kept (they are what
/// the service holds) without a thumbnail; asking for it reports the damage.
pub(crate) fn store_received(tx: &Connection, sha256: &str, mime: &str, bytes: &[u8]) -> Result<(), StoreError> {
    let (width, height, orientation, renditions, mime) = match decode(bytes, sha256, NaiveDate::MAX) {
        Ok(Decoded { format, mut image, orientation, .. }) => {
            turn_upright(&mut image, orientation);
            let upright = if orientation == 1 { None } else { encode_upright(&image, format).ok() };
            let thumbnail = make_thumbnail(&image).ok();
            (image.width(), image.height(), orientation, thumbnail.map(|t| (t, upright)), format.mime().to_owned())
        }
        Err(_) => (0, 0, 1, None, mime.to_owned()),
    };
    tx.prepare_cached("INSERT OR IGNORE INTO blobs (sha256, bytes, mime, width, height, size, orientation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
        .execute(rusqlite::params![sha256, bytes, mime, width, height, bytes.len() as i64, orientation])?;
    if let Some((thumbnail, upright)) = renditions {
        store_renditions(tx, sha256, &thumbnail, upright.as_ref())?;
    }
    Ok(())
}

const RECORD_COLUMNS: &str = "p.id, c.id, p.sha256, b.mime, b.width, b.height, b.size, p.kind, p.age_progressed_to, p.taken_on,
     p.child_age, p.source, p.consent_to_publish, p.is_primary, p.created_at, p.added_by";

fn record_from_row(row: &Row) -> rusqlite::Result<Record> {
    let kind: String = row.get(7)?;
    let created_at: String = row.get(14)?;
    Ok(Record {
        id: RecordId::from_uuid(uuid::Uuid::from_bytes(row.get(0)?)),
        case_id: crate::cases::id_from_row(row, 1)?,
        sha256: row.get(2)?,
        mime: row.get(3)?,
        width: row.get(4)?,
        height: row.get(5)?,
        size_bytes: u32::try_from(row.get::<_, i64>(6)?).unwrap_or(u32::MAX),
        meta: PhotoMeta {
            kind: Some(kind_from_code(&kind).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, format!("unknown photo kind {kind:?}").into())
            })?),
            age_progressed_to: row.get(8)?,
            taken_on: row.get::<_, Option<String>>(9)?.unwrap_or_default(),
            child_age: row.get(10)?,
            source: row.get(11)?,
            consent_to_publish: row.get(12)?,
        },
        is_primary: row.get(13)?,
        added_at: crate::parse_stamp(&created_at)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(14, rusqlite::types::Type::Text, e.to_string().into()))?,
        added_by: row.get(15)?,
    })
}

fn read_photo(conn: &Connection, id: RecordId) -> Result<Record, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {RECORD_COLUMNS} FROM case_photos p JOIN blobs b USING (sha256) JOIN cases c ON c.seq = p.case_seq WHERE p.id = ?1 AND p.deleted = 0"
    ))?
    .query_row([id.as_uuid().as_bytes()], record_from_row)
    .optional()?
    .ok_or(StoreError::RecordNotFound { kind: "photo", id })
}

/// The row number and version of a case, or `NotFound`.
fn case_row(tx: &Transaction, case: CaseId) -> Result<(i64, i64), StoreError> {
    tx.prepare_cached("SELECT seq, version FROM cases WHERE id = ?1")?
        .query_row([blob(case)], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound(case))
}

/// The stored metadata of a photo as its history records it.
fn meta_json(meta: &PhotoMeta) -> serde_json::Value {
    serde_json::json!({
        "kind": meta.kind.map(kind_code),
        "age_progressed_to": meta.age_progressed_to,
        "taken_on": Some(meta.taken_on.as_str()).filter(|t| !t.is_empty()),
        "child_age": meta.child_age,
        "source": meta.source,
        "consent_to_publish": meta.consent_to_publish,
    })
}

impl Workspace {
    /// Checks an image file and attaches it to a case, in one transaction: the original bytes
    /// (stored once under their SHA-256, whichever case attached them first), an upright copy
    /// when the EXIF orientation asks for one, a thumbnail, the attachment and its audit line.
    /// The date taken comes from EXIF when `meta.taken_on` is empty. The first picture of the
    /// child becomes the primary photo. The same file attached twice to one case is refused.
    pub fn add_photo_file(&mut self, case: CaseId, bytes: &[u8], file_name: &str, meta: &PhotoMeta, now: Moment) -> Result<Record, StoreError> {
        let prepared = prepare(bytes, file_name, meta, now.local.date()).map_err(StoreError::Validation)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (seq, version) = case_row(&tx, case)?;
        let attached: Option<(String, String)> = tx
            .prepare_cached("SELECT created_at, added_by FROM case_photos WHERE case_seq = ?1 AND sha256 = ?2 AND deleted = 0")?
            .query_row(rusqlite::params![seq, prepared.sha256], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        if let Some((at, by)) = attached {
            let by = if by.is_empty() { String::new() } else { format!(" by {by}") };
            return Err(StoreError::field(
                "file",
                format!("{} is already attached to this case (added {}{by}).", display_name(file_name), &at[..10.min(at.len())]),
            ));
        }
        let out = Outbox::new(&tx, &self.clock, &change)?;
        let id = insert(&out, seq, version, &prepared, bytes, &uuid::ContextV7::new())?
            .ok_or_else(|| StoreError::Corrupt("a photo checked as new was already attached".into()))?;
        audit::append(&out, Some(case), AuditAction::PhotoAdded, &format!("photo {id}"))?;
        crate::search::reindex_seq(&tx, seq)?;
        let record = read_photo(&tx, id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Changes what is said about a photo. A photo that stops showing the child (now marked a
    /// companion or a vehicle) stops being the primary one; the oldest other picture of the
    /// child takes its place. Saving unchanged metadata writes nothing.
    pub fn update_photo(&mut self, id: RecordId, meta: &PhotoMeta, now: Moment) -> Result<Record, StoreError> {
        let meta = meta.validate(now.local.date()).map_err(StoreError::Validation)?;
        let kind = kind_of(&meta)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read_photo(&tx, id)?;
        if current.meta == meta {
            return Ok(current);
        }
        let (seq, version) = case_row(&tx, current.case_id)?;
        let before = records::photo_states(&tx, seq)?;
        let keeps_primary = current.is_primary && shows_the_child(kind);
        tx.prepare_cached(
            "UPDATE case_photos SET kind = ?2, age_progressed_to = ?3, taken_on = ?4, child_age = ?5, source = ?6,
                 consent_to_publish = ?7, is_primary = ?8, updated_at = ?9
             WHERE id = ?1",
        )?
        .execute(rusqlite::params![
            id.as_uuid().as_bytes(),
            kind_code(kind),
            meta.age_progressed_to,
            Some(meta.taken_on.as_str()).filter(|t| !t.is_empty()),
            meta.child_age,
            meta.source,
            meta.consent_to_publish,
            keeps_primary,
            change.at,
        ])?;
        if (current.is_primary && !keeps_primary) || (!current.is_primary && shows_the_child(kind)) {
            promote_primary(&tx, seq)?;
        }
        let previous = serde_json::json!({ "photo": id.to_string(), "meta": meta_json(&current.meta) });
        let new = serde_json::json!({ "photo": id.to_string(), "meta": meta_json(&meta) });
        record_event(&tx, &change, seq, "photo", version, Some(&previous.to_string()), Some(&new.to_string()))?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        records::emit_changes(&out, *current.case_id.as_uuid(), Entity::Photo, &before, &records::photo_states(&tx, seq)?)?;
        audit::append(&out, Some(current.case_id), AuditAction::PhotoEdited, &format!("photo {id}"))?;
        let record = read_photo(&tx, id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Makes a picture of the child the case's primary photo, the one the case header and
    /// posters lead with. A companion or vehicle photo cannot be primary.
    pub fn set_primary_photo(&mut self, id: RecordId, now: Moment) -> Result<Record, StoreError> {
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read_photo(&tx, id)?;
        if current.is_primary {
            return Ok(current);
        }
        if !current.meta.kind.is_some_and(shows_the_child) {
            return Err(StoreError::field(
                "kind",
                "Only a photo of the child (or an age-progressed image) can be the main photo; this one shows a companion or a vehicle.",
            ));
        }
        let (seq, version) = case_row(&tx, current.case_id)?;
        let before = records::photo_states(&tx, seq)?;
        let previous: Option<[u8; 16]> = tx
            .prepare_cached("SELECT id FROM case_photos WHERE case_seq = ?1 AND is_primary = 1 AND deleted = 0 ORDER BY id LIMIT 1")?
            .query_row([seq], |row| row.get(0))
            .optional()?;
        tx.prepare_cached("UPDATE case_photos SET is_primary = 0, updated_at = ?2 WHERE case_seq = ?1 AND is_primary = 1")?
            .execute(rusqlite::params![seq, change.at])?;
        tx.prepare_cached("UPDATE case_photos SET is_primary = 1, updated_at = ?2 WHERE id = ?1")?
            .execute(rusqlite::params![id.as_uuid().as_bytes(), change.at])?;
        let previous = previous.map(|b| uuid::Uuid::from_bytes(b).to_string());
        record_event(
            &tx,
            &change,
            seq,
            "photo",
            version,
            Some(&serde_json::json!({ "primary": previous }).to_string()),
            Some(&serde_json::json!({ "photo": id.to_string(), "primary": id.to_string() }).to_string()),
        )?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        records::emit_changes(&out, *current.case_id.as_uuid(), Entity::Photo, &before, &records::photo_states(&tx, seq)?)?;
        audit::append(&out, Some(current.case_id), AuditAction::PhotoEdited, &format!("photo {id} made primary"))?;
        let record = read_photo(&tx, id)?;
        tx.commit()?;
        Ok(record)
    }

    /// The photos of a case, the primary one first, then in the order they were added.
    pub fn case_photos(&self, case: CaseId) -> Result<Vec<Record>, StoreError> {
        self.get_case(case)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM case_photos p JOIN blobs b USING (sha256) JOIN cases c ON c.seq = p.case_seq
             WHERE p.case_seq = (SELECT seq FROM cases WHERE id = ?1) AND p.deleted = 0 ORDER BY p.is_primary DESC, p.id"
        ))?;
        let rows = stmt.query_map([blob(case)], record_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The thumbnail of a photo: a JPEG at most 320 pixels a side, upright.
    pub fn photo_thumbnail(&self, id: RecordId) -> Result<(Vec<u8>, String), StoreError> {
        let found: Option<(String, Option<Vec<u8>>)> = self
            .conn
            .prepare_cached(
                "SELECT p.sha256, t.bytes FROM case_photos p JOIN blobs b USING (sha256) LEFT JOIN thumbnails t USING (sha256)
                 WHERE p.id = ?1 AND p.deleted = 0",
            )?
            .query_row([id.as_uuid().as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        match found {
            None => Err(StoreError::RecordNotFound { kind: "photo", id }),
            Some((_, Some(bytes))) => Ok((bytes, "image/jpeg".to_owned())),
            Some((sha256, None)) => Err(StoreError::Corrupt(format!("the stored image {sha256} of photo {id} cannot be decoded for a thumbnail"))),
        }
    }

    /// The full image of a photo, upright, for viewing or printing; the viewing is recorded in
    /// the audit log.
    pub fn photo_image(&mut self, id: RecordId, now: Moment) -> Result<(Vec<u8>, String), StoreError> {
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (case, bytes, mime) = tx
            .prepare_cached(
                "SELECT c.id, coalesce(u.bytes, b.bytes), coalesce(u.mime, b.mime)
                 FROM case_photos p JOIN cases c ON c.seq = p.case_seq JOIN blobs b USING (sha256) LEFT JOIN upright_images u USING (sha256)
                 WHERE p.id = ?1 AND p.deleted = 0",
            )?
            .query_row([id.as_uuid().as_bytes()], |row| Ok((crate::cases::id_from_row(row, 0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, String>(2)?)))
            .optional()?
            .ok_or(StoreError::RecordNotFound { kind: "photo", id })?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        audit::append(&out, Some(case), AuditAction::PhotoViewed, &format!("photo {id}"))?;
        tx.commit()?;
        Ok((bytes, mime))
    }

    /// How many distinct images the workspace stores.
    pub fn stored_image_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM blobs", [], |row| row.get::<_, i64>(0))? as u64)
    }

    /// The original bytes and type of a stored image, exactly as they were received.
    pub fn photo_bytes(&self, sha256: &str) -> Result<(Vec<u8>, String), StoreError> {
        self.conn
            .prepare_cached("SELECT bytes, mime FROM blobs WHERE sha256 = ?1")?
            .query_row([sha256], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
            .ok_or_else(|| StoreError::PhotoNotFound(sha256.to_owned()))
    }
}

/// Gives a case without a primary photo one: its oldest picture of the child, if any.
fn promote_primary(tx: &Transaction, case_seq: i64) -> Result<(), StoreError> {
    let has_primary = tx.prepare_cached("SELECT 1 FROM case_photos WHERE case_seq = ?1 AND is_primary = 1 AND deleted = 0")?.exists([case_seq])?;
    if !has_primary {
        tx.prepare_cached(
            "UPDATE case_photos SET is_primary = 1 WHERE id =
                 (SELECT id FROM case_photos WHERE case_seq = ?1 AND kind IN ('photo', 'age_progressed') AND deleted = 0 ORDER BY id LIMIT 1)",
        )?
        .execute([case_seq])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use porchlight_domain::{CaseFields, CaseType, ChildFields, EventFields, Sex};

    const PASSPHRASE: &str = "Photos stay whole always 9";

    fn now() -> Moment {
        Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap())
    }

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 5) as u8, (y * 3) as u8, 77]));
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    fn meta() -> PhotoMeta {
        PhotoMeta { kind: Some(Kind::Photo), source: "family".into(), ..Default::default() }
    }

    fn workspace() -> (tempfile::TempDir, Workspace, CaseId) {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, now()).unwrap();
        let fields = CaseFields {
            case_type: Some(CaseType::EndangeredRunaway),
            child: ChildFields { given_name: "Ida".into(), family_name: "Lund".into(), date_of_birth: "2012-03-04".into(), sex: Some(Sex::Female), ..Default::default() },
            event: EventFields { last_seen_date: "2026-11-01".into(), city: "Duluth".into(), state: "MN".into(), ..Default::default() },
            ..Default::default()
        };
        let id = ws.create_case(&fields, now()).unwrap().id;
        (dir, ws, id)
    }

    fn count(ws: &Workspace, table: &str) -> i64 {
        ws.conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn a_write_that_fails_half_way_leaves_no_image_thumbnail_or_attachment() {
        let (_dir, mut ws, _) = workspace();
        let bytes = png(500, 400);
        let prepared = prepare(&bytes, "ida.png", &meta(), now().local.date()).unwrap();
        let change = ws.change(now());
        {
            let tx = ws.conn.transaction_with_behavior(TransactionBehavior::Immediate).unwrap();
            // The image and its thumbnail are written, then the attachment to a case row that
            // does not exist breaks a foreign key: the whole write must go.
            let out = Outbox::new(&tx, &ws.clock, &change).unwrap();
            let failed = insert(&out, 999_999, 1, &prepared, &bytes, &uuid::ContextV7::new());
            assert!(matches!(failed, Err(StoreError::Sqlite(_))), "{failed:?}");
            assert_eq!(tx.query_row("SELECT count(*) FROM blobs", [], |row| row.get::<_, i64>(0)).unwrap(), 1, "written before the fault");
        }
        for table in ["blobs", "thumbnails", "upright_images", "case_photos", "case_events WHERE kind = 'photo'", "blob_sync", "outbox WHERE op LIKE '%\"photo\"%'"] {
            assert_eq!(count(&ws, table), 0, "{table} after the rollback");
        }
    }

    #[test]
    fn a_corrupt_image_writes_nothing() {
        let (_dir, mut ws, id) = workspace();
        let mut bytes = png(60, 40);
        let middle = bytes.len() / 2;
        bytes[middle..middle + 16].fill(0xAB);
        let refused = ws.add_photo_file(id, &bytes, "ida.png", &meta(), now()).unwrap_err();
        assert!(matches!(&refused, StoreError::Validation(f) if f[0].field == "file" && f[0].message.contains("ida.png")), "{refused:?}");
        for table in ["blobs", "thumbnails", "case_photos", "audit_log WHERE action = 'photo_added'"] {
            assert_eq!(count(&ws, table), 0, "{table}");
        }
    }

    #[test]
    fn images_stored_before_thumbnails_existed_get_them_when_the_workspace_is_opened() {
        let (dir, mut ws, id) = workspace();
        let photo = ws.add_photo_file(id, &png(800, 600), "ida.png", &meta(), now()).unwrap();
        // As in a workspace from before migration 0003: images, no thumbnails.
        ws.conn.execute_batch("DELETE FROM thumbnails; DELETE FROM workspace_meta WHERE key = 'photo_renditions';").unwrap();
        assert!(matches!(ws.photo_thumbnail(photo.id), Err(StoreError::Corrupt(_))));
        drop(ws);
        let ws = Workspace::open(&dir.path().join("w.porchlight"), PASSPHRASE).unwrap();
        let (thumb, _) = ws.photo_thumbnail(photo.id).unwrap();
        assert_eq!(image::load_from_memory(&thumb).unwrap().dimensions(), (320, 240));
    }

    #[test]
    fn the_type_is_read_from_the_bytes_whatever_the_name_says() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let renamed = prepare(&png(10, 10), "holiday.jpg", &meta(), today).unwrap();
        assert_eq!(renamed.mime, "image/png");
        assert_eq!(display_name("C:\\Users\\ana\\ida.png"), "\u{201c}ida.png\u{201d}");
        assert_eq!(display_name("  "), "The file");
    }

    #[test]
    fn a_jpeg_is_whole_when_its_segments_reach_the_end_marker() {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 30]));
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
        assert!(jpeg_is_whole(&jpeg));
        let mut motion = jpeg.clone();
        motion.extend(std::iter::repeat_n(0x42u8, 200_000));
        assert!(jpeg_is_whole(&motion), "a video appended after the end marker does not matter");
        for cut in [jpeg.len() - 2, jpeg.len() - 100, jpeg.len() / 2, 20, 3] {
            assert!(!jpeg_is_whole(&jpeg[..cut]), "cut at {cut}");
        }
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert!(prepare(&motion, "MVIMG_0001.jpg", &meta(), today).is_ok());
    }

    use image::GenericImageView;
}
