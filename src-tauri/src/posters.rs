//! The poster studio's commands: a live preview, saving through the native dialog or to a given
//! path, printing, and the list of posters a case has had. A poster is made in three steps: the
//! case and its chosen photos are read from the workspace (holding its lock only for that), the
//! poster is built and rendered by `porchlight_poster` (which decides every refusal and copies
//! only public fields), and a poster that leaves the app is recorded in the case. Bulk runs
//! live in `bulk`; the layout and the words live in the poster crate.

use crate::dialogs;
use crate::files::{poster_file_name, with_pdf_extension, write_atomically};
use crate::printing::{print_pdf, system_path};
use crate::session::{blocking, internal, report, with_workspace, OpenWorkspace, Session};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use porchlight_domain::{
    AppError, CaseId, CaseRecord, ErrorCode, FieldError, Moment, PaperSize, PhotoKind, PhotoRecord,
    PosterLanguage, PosterOptions, PosterRecord, RecordId,
};
use porchlight_poster::{
    render, Language, Paper, PhotoInput, Poster, PosterChild, PosterError, PosterSettings,
    RenderOptions, MAX_PHOTOS,
};
use porchlight_store::{StoreError, Workspace};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::{AppHandle, State};

/// Where the QR code points when nothing else is configured.
pub const DEFAULT_PUBLIC_BASE_URL: &str = "https://porchlight.example.org";

/// The organisation's public site, from `PORCHLIGHT_PUBLIC_BASE_URL` (a workspace setting
/// later); the poster crate checks it before any QR code is drawn.
pub fn public_base_url() -> String {
    std::env::var("PORCHLIGHT_PUBLIC_BASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PUBLIC_BASE_URL.to_string())
}

/// How the poster crate prints, from the options the UI sends.
pub fn settings(options: &PosterOptions, base_url: String, now: &Moment) -> PosterSettings {
    let language = match options.language {
        PosterLanguage::En => Language::English,
        PosterLanguage::Es => Language::Spanish,
    };
    let paper = match options.paper {
        PaperSize::Letter => Paper::Letter,
        PaperSize::A4 => Paper::A4,
    };
    PosterSettings::new(language, paper, base_url, now)
}

/// A refusal or failure of the poster crate, for the person. Refusals say what to fix in the
/// case; only a PDF that could not be written is Porchlight's own fault.
pub fn poster_error(error: PosterError) -> AppError {
    match error {
        PosterError::Write { .. } => {
            log::error!("{error}");
            internal()
        }
        refusal => AppError::new(ErrorCode::Validation, refusal.to_string()),
    }
}

/// A photo of a case as the poster chooses among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoChoice {
    pub id: RecordId,
    pub kind: PhotoKind,
    pub age_progressed_to: Option<u8>,
    pub taken_on: Option<NaiveDate>,
    pub consent: bool,
    pub primary: bool,
    pub added_at: DateTime<Utc>,
}

impl PhotoChoice {
    pub fn from_record(p: &PhotoRecord) -> PhotoChoice {
        PhotoChoice {
            id: p.id,
            // A photo whose kind was never said is not known to show the child.
            kind: p.meta.kind.unwrap_or(PhotoKind::Companion),
            age_progressed_to: p.meta.age_progressed_to,
            taken_on: NaiveDate::parse_from_str(p.meta.taken_on.trim(), "%Y-%m-%d").ok(),
            consent: p.meta.consent_to_publish,
            primary: p.is_primary,
            added_at: p.added_at,
        }
    }

    /// Only pictures of the child are printed; companion and vehicle photos are not.
    fn of_child(&self) -> bool {
        matches!(self.kind, PhotoKind::Photo | PhotoKind::AgeProgressed)
    }

    fn poster_kind(&self) -> porchlight_poster::PhotoKind {
        match (self.kind, self.age_progressed_to) {
            (PhotoKind::AgeProgressed, Some(to_age)) => {
                porchlight_poster::PhotoKind::AgeProgressed { to_age }
            }
            _ => porchlight_poster::PhotoKind::Child,
        }
    }
}

fn refuse_photos(message: String) -> AppError {
    AppError::validation(vec![FieldError::new("photo_ids", message)])
}

/// The photos a poster of one case prints, main photo first, at most `MAX_PHOTOS`.
///
/// `wanted` are the photos the person picked for the whole poster (of this case and maybe of
/// siblings); those of this case are printed in that order, and each must be a consented
/// picture of the child. With none picked, the primary photo leads, then the newest consented
/// pictures of the child. Photos without consent are never chosen, so their bytes are never
/// even read for a poster.
pub fn choose_photos(
    case_number: &str,
    photos: &[PhotoChoice],
    wanted: &[RecordId],
) -> Result<Vec<PhotoChoice>, AppError> {
    let picked: Vec<&PhotoChoice> = wanted
        .iter()
        .filter_map(|id| photos.iter().find(|p| p.id == *id))
        .collect();
    if !picked.is_empty() {
        for p in &picked {
            if !p.of_child() {
                return Err(refuse_photos(format!(
                    "A companion or vehicle photo of case {case_number} was chosen; posters print only pictures of the child."
                )));
            }
            if !p.consent {
                return Err(refuse_photos(format!(
                    "A chosen photo of case {case_number} has no consent to publish. Record the family's consent on it, or choose another photo."
                )));
            }
        }
        return Ok(picked.into_iter().take(MAX_PHOTOS).cloned().collect());
    }
    let mut usable: Vec<&PhotoChoice> = photos
        .iter()
        .filter(|p| p.of_child() && p.consent)
        .collect();
    // Primary first; then the newest by the date taken, photos without a date after those with
    // one; then the most recently added.
    usable.sort_by(|a, b| {
        b.primary
            .cmp(&a.primary)
            .then(b.taken_on.cmp(&a.taken_on))
            .then(b.added_at.cmp(&a.added_at))
    });
    Ok(usable.into_iter().take(MAX_PHOTOS).cloned().collect())
}

/// A case as read for a poster: its record and the bytes of the photos chosen for it.
pub struct Source {
    pub record: CaseRecord,
    pub photos: Vec<(PhotoChoice, Vec<u8>)>,
    /// Every photo of the case, printed or not.
    pub photo_ids: Vec<RecordId>,
}

/// Reads one case and its chosen photos. Runs under the workspace lock; keep it short.
pub fn load_source(
    w: &mut Workspace,
    case: CaseId,
    wanted: &[RecordId],
    now: Moment,
) -> Result<Source, AppError> {
    let record = w.get_case(case).map_err(report)?;
    // A case refused whatever its photos (closed, archived, no case type) is refused before
    // any image is read.
    match PosterChild::from_case(&record, &[]) {
        Err(PosterError::NoConsentedPhoto { .. }) | Ok(_) => {}
        Err(refusal) => return Err(poster_error(refusal)),
    }
    let all = photo_choices(w, case).map_err(report)?;
    let chosen = choose_photos(&record.case_number, &all, wanted)?;
    let mut photos = Vec::with_capacity(chosen.len());
    for choice in chosen {
        let bytes = photo_bytes(w, &choice, now).map_err(report)?;
        photos.push((choice, bytes));
    }
    Ok(Source {
        record,
        photos,
        photo_ids: all.iter().map(|p| p.id).collect(),
    })
}

/// The photos of a case, as the poster chooses among them.
fn photo_choices(w: &Workspace, case: CaseId) -> Result<Vec<PhotoChoice>, StoreError> {
    Ok(w.case_photos(case)?
        .iter()
        .map(PhotoChoice::from_record)
        .collect())
}

/// The image of a chosen photo, upright (EXIF orientation applied), as it is printed. The store
/// records the use in the case's audit log, as it does for every full image that leaves it.
fn photo_bytes(
    w: &mut Workspace,
    choice: &PhotoChoice,
    now: Moment,
) -> Result<Vec<u8>, StoreError> {
    Ok(w.photo_image(choice.id, now)?.0)
}

/// A poster ready to render, with what the record of it needs.
pub struct Built {
    pub poster: Poster,
    pub case_ids: Vec<CaseId>,
    pub photo_ids: Vec<RecordId>,
}

/// Builds the poster of one case, or of siblings together (the first leads).
pub fn build(sources: &[Source], settings: PosterSettings) -> Result<Built, PosterError> {
    let mut children = Vec::with_capacity(sources.len());
    let mut photo_ids = Vec::new();
    for source in sources {
        let inputs: Vec<PhotoInput<'_>> = source
            .photos
            .iter()
            .map(|(choice, bytes)| PhotoInput {
                bytes,
                kind: choice.poster_kind(),
                taken_on: choice.taken_on,
                consent_to_publish: choice.consent,
            })
            .collect();
        children.push(PosterChild::from_case(&source.record, &inputs)?);
        photo_ids.extend(source.photos.iter().map(|(choice, _)| choice.id));
    }
    let poster = Poster::new(children, settings)?;
    Ok(Built {
        poster,
        case_ids: sources.iter().map(|s| s.record.id).collect(),
        photo_ids,
    })
}

/// Lower-case hexadecimal SHA-256 of a PDF, for the record of posters produced.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The case ids of one poster, in order, each once; one to four of them.
fn poster_cases(case_ids: &[CaseId]) -> Result<Vec<CaseId>, AppError> {
    let mut unique: Vec<CaseId> = Vec::with_capacity(case_ids.len());
    for id in case_ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    if unique.is_empty() || unique.len() > porchlight_poster::MAX_CHILDREN {
        return Err(poster_error(PosterError::ChildCount {
            count: unique.len(),
        }));
    }
    Ok(unique)
}

/// A rendered poster and how it was made.
pub struct Made {
    pub pdf: Vec<u8>,
    pub built: Built,
    pub options: PosterOptions,
}

impl Made {
    /// The suggested file name: the lead case number.
    pub fn file_name(&self) -> String {
        poster_file_name(self.built.poster.case_number())
    }

    /// Records the poster in its cases: where it went and what it showed.
    pub fn record(
        &self,
        w: &mut Workspace,
        channel: &str,
        destination: &str,
        now: Moment,
    ) -> Result<PosterRecord, AppError> {
        w.record_poster(
            &self.built.case_ids,
            channel,
            destination,
            &self.options,
            &self.built.photo_ids,
            &self.built.poster.public_text(),
            &sha256_hex(&self.pdf),
            now,
        )
        .map_err(report)
    }
}

/// Reads, builds and renders one poster. Call it on a blocking thread: the lock is held only
/// while reading, and the rendering runs after it is released.
pub fn make(
    open: &OpenWorkspace,
    case_ids: &[CaseId],
    options: PosterOptions,
    now: Moment,
) -> Result<Made, AppError> {
    let cases = poster_cases(case_ids)?;
    let sources: Vec<Source> = with_workspace(open, |w| {
        let sources = cases
            .iter()
            .map(|id| load_source(w, *id, &options.photo_ids, now))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(sources)
    })?;
    // A picked photo must be of a case on the poster: one of another case would silently not
    // be printed.
    if let Some(stray) = options
        .photo_ids
        .iter()
        .find(|id| !sources.iter().any(|s| s.photo_ids.contains(id)))
    {
        return Err(refuse_photos(format!(
            "The chosen photo {stray} belongs to none of the cases on this poster; choose it again in the poster studio."
        )));
    }
    let built =
        build(&sources, settings(&options, public_base_url(), &now)).map_err(poster_error)?;
    let pdf = render(&built.poster, &RenderOptions::default()).map_err(poster_error)?;
    Ok(Made {
        pdf,
        built,
        options,
    })
}

fn storage(path: &Path, e: std::io::Error) -> AppError {
    AppError::new(
        ErrorCode::Storage,
        format!(
            "The poster could not be saved to {} ({e}). Choose another folder, or free some space.",
            path.display()
        ),
    )
}

/// Writes a made poster to `path` and records it as saved there.
pub(crate) fn save_made(
    open: &OpenWorkspace,
    made: &Made,
    path: &Path,
    now: Moment,
) -> Result<PosterRecord, AppError> {
    write_atomically(path, &made.pdf).map_err(|e| storage(path, e))?;
    with_workspace(open, |w| {
        made.record(w, "saved", &path.display().to_string(), now)
    })
}

/// The poster as base64 PDF for the live preview. Nothing is recorded: it does not leave the
/// app.
#[tauri::command]
pub async fn render_poster(
    session: State<'_, Session>,
    case_ids: Vec<CaseId>,
    options: PosterOptions,
) -> Result<String, AppError> {
    let now = Moment::now();
    let open = Arc::clone(&session.open);
    let made = blocking(move || make(&open, &case_ids, options, now)).await?;
    Ok(base64::engine::general_purpose::STANDARD.encode(&made.pdf))
}

/// Saves the poster where the person chooses in the native dialog (suggesting
/// `<case number>.pdf`) and records it; `None` when they cancel. A refused poster is refused
/// before the dialog opens.
#[tauri::command]
pub async fn save_poster(
    app: AppHandle,
    session: State<'_, Session>,
    case_ids: Vec<CaseId>,
    options: PosterOptions,
) -> Result<Option<String>, AppError> {
    let open = Arc::clone(&session.open);
    let now = Moment::now();
    let made = {
        let open = Arc::clone(&open);
        blocking(move || make(&open, &case_ids, options, now)).await?
    };
    let Some(path) = dialogs::save_pdf(&app, made.file_name()).await? else {
        return Ok(None);
    };
    let path = with_pdf_extension(path);
    let shown = path.display().to_string();
    blocking(move || save_made(&open, &made, &path, Moment::now())).await?;
    Ok(Some(shown))
}

/// Saves the poster to `path` (absolute; `.pdf` is added when missing) and records it: the save
/// without the dialog, for tests and scripted runs.
#[tauri::command]
pub async fn save_poster_to(
    session: State<'_, Session>,
    case_ids: Vec<CaseId>,
    options: PosterOptions,
    path: String,
) -> Result<PosterRecord, AppError> {
    let now = Moment::now();
    let path = with_pdf_extension(PathBuf::from(path));
    if !path.is_absolute() {
        return Err(AppError::validation(vec![FieldError::new(
            "path",
            format!("{} is not a full path; give the folder from the root, e.g. /home/me/Posters/PL-1.pdf.", path.display()),
        )]));
    }
    let open = Arc::clone(&session.open);
    blocking(move || {
        let made = make(&open, &case_ids, options, now)?;
        save_made(&open, &made, &path, now)
    })
    .await
}

/// Where print files wait for the printer or the viewer: a folder of this user's only (the
/// runtime folder, else the cache), never a shared temporary folder another user could prepare.
fn print_dir() -> PathBuf {
    let private = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        });
    match private {
        Some(dir) => dir.join("porchlight-print"),
        None => std::env::temp_dir().join(format!("porchlight-print-{}", std::process::id())),
    }
}

/// Removes print files older than a day: the viewer may still be reading a recent one.
fn prune_print_files(dir: &Path, now: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| {
            now.duration_since(t)
                .is_ok_and(|age| age.as_secs() > 24 * 3600)
        });
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Prints the poster on the default printer (CUPS `lp`), or opens it in the PDF viewer when no
/// printer is available, and records it. Returns what was done, for the person.
#[tauri::command]
pub async fn print_poster(
    session: State<'_, Session>,
    case_ids: Vec<CaseId>,
    options: PosterOptions,
) -> Result<String, AppError> {
    let now = Moment::now();
    let open = Arc::clone(&session.open);
    blocking(move || {
        let made = make(&open, &case_ids, options, now)?;
        let dir = print_dir();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(|e| storage(&dir, e))?;
        prune_print_files(&dir, std::time::SystemTime::now());
        let stem = made.file_name();
        let stem = stem.trim_end_matches(".pdf");
        let path = dir.join(format!("{stem}-{}.pdf", now.local.format("%Y%m%d-%H%M%S")));
        write_atomically(&path, &made.pdf).map_err(|e| storage(&path, e))?;
        let printed = print_pdf(&path, &made.built.poster.title(), &system_path())
            .map_err(|e| AppError::new(ErrorCode::Storage, e.0))?;
        with_workspace(&open, |w| {
            made.record(w, "printed", &printed.destination(), now)
        })?;
        Ok(printed.sentence())
    })
    .await
}

/// Every poster produced for a case, newest first: the list to take down when a child is found.
#[tauri::command]
pub async fn case_posters(
    session: State<'_, Session>,
    case_id: CaseId,
) -> Result<Vec<PosterRecord>, AppError> {
    session
        .with_open(move |w| w.posters_for_case(case_id))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn id(n: u8) -> RecordId {
        RecordId::from_uuid(uuid::Uuid::from_bytes([n; 16]))
    }

    fn photo(
        n: u8,
        kind: PhotoKind,
        consent: bool,
        primary: bool,
        taken: Option<(i32, u32)>,
    ) -> PhotoChoice {
        PhotoChoice {
            id: id(n),
            kind,
            age_progressed_to: (kind == PhotoKind::AgeProgressed).then_some(15),
            taken_on: taken.map(|(y, m)| NaiveDate::from_ymd_opt(y, m, 1).unwrap()),
            consent,
            primary,
            added_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, n as u32).unwrap(),
        }
    }

    fn ids(chosen: &[PhotoChoice]) -> Vec<RecordId> {
        chosen.iter().map(|p| p.id).collect()
    }

    #[test]
    fn by_default_the_primary_leads_then_the_newest_consented_pictures_of_the_child() {
        let photos = vec![
            photo(1, PhotoKind::Photo, true, false, Some((2020, 1))),
            photo(2, PhotoKind::Photo, true, true, Some((2019, 1))),
            photo(3, PhotoKind::Photo, false, false, Some((2025, 1))),
            photo(4, PhotoKind::Vehicle, true, false, Some((2025, 2))),
            photo(5, PhotoKind::AgeProgressed, true, false, Some((2024, 6))),
            photo(6, PhotoKind::Photo, true, false, None),
            photo(7, PhotoKind::Companion, true, false, Some((2025, 3))),
        ];
        let chosen = choose_photos("PL-1", &photos, &[]).unwrap();
        assert_eq!(ids(&chosen), vec![id(2), id(5), id(1)]);
    }

    #[test]
    fn a_case_without_consented_pictures_gets_none_and_the_poster_crate_refuses_it() {
        let photos = vec![
            photo(1, PhotoKind::Photo, false, true, None),
            photo(2, PhotoKind::Companion, true, false, None),
        ];
        assert!(choose_photos("PL-1", &photos, &[]).unwrap().is_empty());
    }

    #[test]
    fn picked_photos_keep_their_order_and_must_be_consented_pictures_of_the_child() {
        let photos = vec![
            photo(1, PhotoKind::Photo, true, true, None),
            photo(2, PhotoKind::Photo, true, false, None),
            photo(3, PhotoKind::Photo, false, false, None),
            photo(4, PhotoKind::Vehicle, true, false, None),
        ];
        // A photo of a sibling's case (9) is simply not this case's.
        let chosen = choose_photos("PL-1", &photos, &[id(9), id(2), id(1)]).unwrap();
        assert_eq!(ids(&chosen), vec![id(2), id(1)]);

        let err = choose_photos("PL-1", &photos, &[id(3)]).unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.fields[0].field, "photo_ids");
        assert!(err.message.contains("consent"), "{}", err.message);

        let err = choose_photos("PL-1", &photos, &[id(4)]).unwrap_err();
        assert!(
            err.message.contains("only pictures of the child"),
            "{}",
            err.message
        );
    }

    #[test]
    fn at_most_three_photos_are_printed() {
        let photos: Vec<_> = (1..=5)
            .map(|n| photo(n, PhotoKind::Photo, true, false, Some((2020 + n as i32, 1))))
            .collect();
        assert_eq!(
            choose_photos("PL-1", &photos, &[]).unwrap().len(),
            MAX_PHOTOS
        );
        let all: Vec<_> = (1..=5).map(id).collect();
        assert_eq!(
            ids(&choose_photos("PL-1", &photos, &all).unwrap()),
            all[..3].to_vec()
        );
    }

    #[test]
    fn a_poster_has_one_to_four_distinct_cases() {
        let case = |n: u8| CaseId::from_uuid(uuid::Uuid::from_bytes([n; 16]));
        assert_eq!(
            poster_cases(&[case(1), case(2), case(1)]).unwrap(),
            vec![case(1), case(2)]
        );
        assert_eq!(poster_cases(&[]).unwrap_err().code, ErrorCode::Validation);
        let five: Vec<_> = (1..=5).map(case).collect();
        let err = poster_cases(&five).unwrap_err();
        assert!(err.message.contains("1 to 4 children"), "{}", err.message);
    }

    #[test]
    fn refusals_reach_the_person_as_validation_and_write_faults_as_internal() {
        let refused = poster_error(PosterError::NoAgency {
            case_number: "PL-1".into(),
        });
        assert_eq!(refused.code, ErrorCode::Validation);
        assert!(refused.message.contains("PL-1"));
        let fault = poster_error(PosterError::Write {
            reason: "disk".into(),
        });
        assert_eq!(fault.code, ErrorCode::Internal);
    }

    #[test]
    fn pdf_hashes_are_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn options_choose_language_and_paper() {
        let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap());
        let s = settings(
            &PosterOptions {
                language: PosterLanguage::Es,
                paper: PaperSize::A4,
                photo_ids: vec![],
            },
            DEFAULT_PUBLIC_BASE_URL.into(),
            &now,
        );
        assert_eq!((s.language, s.paper), (Language::Spanish, Paper::A4));
        assert_eq!(s.printed_on, NaiveDate::from_ymd_opt(2026, 3, 4).unwrap());
    }
}
