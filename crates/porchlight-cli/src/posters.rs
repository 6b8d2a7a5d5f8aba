//! `porchlight poster`: missing-child posters as PDF files, for the cases named or, with
//! `--bulk`, for every case matching a filter. It reads each case and its consented photos of
//! the child from the workspace, hands them to `porchlight_poster`, writes the files (each one
//! whole or not at all) and records every poster produced in its cases. What a poster shows and
//! when one is refused are the poster crate's decisions; which cases exist and who may see a
//! photo are the store's.

use crate::args::{Cli, PosterArgs};
use crate::commands::{open, resolve, Progress};
use crate::render;
use chrono::NaiveDate;
use porchlight_domain::{
    AppError, CaseId, CaseRecord, ErrorCode, FieldError, ListQuery, Moment, PaperSize, PhotoKind, PhotoRecord, PosterLanguage,
    PosterOptions, RecordId, SortDir, SortKey,
};
use porchlight_poster::{Language, Paper, PhotoInput, Poster, PosterChild, PosterError, PosterSettings, RenderOptions, MAX_PHOTOS};
use porchlight_store::Workspace;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How a poster made here is recorded (the domain's channels): files written for cases named
/// on the command line are "saved", those of a `--bulk` run "bulk".
const SAVED: &str = "saved";
const BULK: &str = "bulk";

/// Cases read, prepared and rendered at a time when writing one file per case, so that a bulk
/// run over a whole region holds a few hundred posters in memory, not all of them. Debug
/// builds (the tests') use small chunks, so a test over a few dozen cases runs the overlap of
/// one chunk's reading with another's rendering.
const CHUNK: usize = if cfg!(debug_assertions) { 8 } else { 256 };

/// The most posters put into one PDF; beyond it the file is unwieldy to print or send.
const MAX_PAGES: usize = 2_000;

/// Runs above this many cases report their progress on standard error.
const PROGRESS_FROM: usize = 100;

pub fn run(cli: &Cli, args: &PosterArgs) -> Result<String, AppError> {
    let moment = Moment::now();
    let settings = PosterSettings::new(args.language, args.paper, args.base_url.clone(), &moment);
    let options = PosterOptions {
        language: match args.language {
            Language::English => PosterLanguage::En,
            Language::Spanish => PosterLanguage::Es,
        },
        paper: match args.paper {
            Paper::Letter => PaperSize::Letter,
            Paper::A4 => PaperSize::A4,
        },
        photo_ids: Vec::new(),
    };
    if args.per_case && is_pdf(&args.out) {
        return Err(AppError::validation(vec![FieldError::new(
            "--out",
            "With --per-case, --out is a folder for one file per case; give a folder, or drop --per-case for one PDF.",
        )]));
    }
    let channel = if args.bulk { BULK } else { SAVED };
    let mut run = Run { workspace: open(cli)?, settings, options, moment, channel, refused: Vec::new() };
    if args.bulk {
        let ids = run.matching(args)?;
        if ids.is_empty() {
            return Err(AppError::new(ErrorCode::NotFound, "No case matches that filter; no poster was made."));
        }
        let per_case = args.per_case || !is_pdf(&args.out);
        return if per_case { run.one_file_each(&ids, &args.out) } else { run.one_document(&ids, &args.out) };
    }
    let mut ids = Vec::with_capacity(args.cases.len());
    for reference in &args.cases {
        let id = resolve(&run.workspace, reference)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    match ids.as_slice() {
        _ if args.together => run.siblings(&ids, &args.out),
        [id] => run.single(*id, &args.out),
        _ if is_pdf(&args.out) => run.one_document(&ids, &args.out),
        _ => run.one_file_each(&ids, &args.out),
    }
}

fn is_pdf(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
}

/// A case as read from the workspace, with the photos a poster may print.
struct Source {
    id: CaseId,
    record: CaseRecord,
    photos: Vec<SourcePhoto>,
}

struct SourcePhoto {
    id: RecordId,
    bytes: Vec<u8>,
    kind: porchlight_poster::PhotoKind,
    taken_on: Option<NaiveDate>,
    /// Only consented photos are read, and the poster crate checks the flag again itself.
    consent_to_publish: bool,
}

impl Source {
    /// The child as the poster crate builds it: public fields only, or the refusal.
    fn child(&self) -> Result<PosterChild, PosterError> {
        let inputs: Vec<PhotoInput<'_>> = self
            .photos
            .iter()
            .map(|p| PhotoInput { bytes: &p.bytes, kind: p.kind, taken_on: p.taken_on, consent_to_publish: p.consent_to_publish })
            .collect();
        PosterChild::from_case(&self.record, &inputs)
    }

    fn photo_ids(&self) -> impl Iterator<Item = RecordId> + '_ {
        // The poster prints at most MAX_PHOTOS; only those were chosen and read.
        self.photos.iter().map(|p| p.id)
    }
}

/// A poster ready to render, with what its record needs.
struct Made {
    poster: Poster,
    cases: Vec<CaseId>,
    photo_ids: Vec<RecordId>,
}

/// A case that got no poster, and why.
struct Refusal {
    case_number: String,
    reason: String,
}

/// One `porchlight poster` run: the workspace, how posters are printed, and the refusals so far.
struct Run {
    workspace: Workspace,
    settings: PosterSettings,
    options: PosterOptions,
    moment: Moment,
    channel: &'static str,
    refused: Vec<Refusal>,
}

impl Run {
    /// The ids of every case the bulk filter matches, in case-number order.
    fn matching(&self, args: &PosterArgs) -> Result<Vec<CaseId>, AppError> {
        let mut query = ListQuery {
            offset: 0,
            limit: ListQuery::MAX_LIMIT,
            sort: SortKey::CaseNumber,
            dir: SortDir::Asc,
            status: args.status,
            case_type: args.case_type,
            state: args.state.clone(),
            search: None,
            include_archived: false,
        };
        let mut ids = Vec::new();
        loop {
            let page = self.workspace.list_cases(&query)?;
            ids.extend(page.rows.iter().map(|r| r.id));
            if page.rows.len() < query.limit as usize || ids.len() >= page.total as usize {
                return Ok(ids);
            }
            query.offset += query.limit;
        }
    }

    /// Reads a case and the photos its poster would print: consented photos of the child (not
    /// of companions or vehicles), the primary one first, then the newest. A case the poster
    /// crate refuses before photos matter (closed, archived, no case type) is refused without
    /// reading any image, so no photo is viewed for nothing.
    fn read(&mut self, id: CaseId) -> Result<Result<Source, Refusal>, AppError> {
        let record = self.workspace.get_case(id)?;
        match PosterChild::from_case(&record, &[]) {
            Err(PosterError::NoConsentedPhoto { .. }) => {}
            Err(e) => return Ok(Err(Refusal { case_number: record.case_number.clone(), reason: e.to_string() })),
            Ok(_) => {}
        }
        let listed = self.workspace.case_photos(id)?;
        let mut photos = Vec::new();
        for p in choose(&listed) {
            let (bytes, _mime) = self.workspace.photo_image(p.id, self.moment)?;
            let kind = match p.meta.kind {
                Some(PhotoKind::AgeProgressed) => porchlight_poster::PhotoKind::AgeProgressed { to_age: p.meta.age_progressed_to.unwrap_or(0) },
                _ => porchlight_poster::PhotoKind::Child,
            };
            let taken_on = NaiveDate::parse_from_str(&p.meta.taken_on, "%Y-%m-%d").ok();
            photos.push(SourcePhoto { id: p.id, bytes, kind, taken_on, consent_to_publish: p.meta.consent_to_publish });
        }
        Ok(Ok(Source { id, record, photos }))
    }

    /// Reads cases from the workspace; refusals found without images are kept.
    fn read_all(&mut self, ids: &[CaseId]) -> Result<Vec<Source>, AppError> {
        let mut sources = Vec::with_capacity(ids.len());
        for &id in ids {
            match self.read(id)? {
                Ok(source) => sources.push(source),
                Err(refusal) => self.refused.push(refusal),
            }
        }
        Ok(sources)
    }

    /// Reads cases and prepares their posters, the image work on every core. Refusals are kept.
    fn prepare(&mut self, ids: &[CaseId]) -> Result<Vec<Made>, AppError> {
        let sources = self.read_all(ids)?;
        let mut made = Vec::with_capacity(sources.len());
        for (case_number, result) in prepare_all(sources, &self.settings) {
            match result {
                Ok(m) => made.push(m),
                Err(e) => self.refuse(&case_number, e)?,
            }
        }
        Ok(made)
    }

    /// Keeps a case's refusal, or stops the run when the fault is the command's own (a public
    /// address that cannot go into a QR code refuses every case alike).
    fn refuse(&mut self, case_number: &str, error: PosterError) -> Result<(), AppError> {
        match error {
            PosterError::BaseUrl { .. } | PosterError::QrCode { .. } => {
                Err(AppError::validation(vec![FieldError::new("--base-url", error.to_string())]))
            }
            PosterError::Write { .. } | PosterError::Cancelled => Err(AppError::new(ErrorCode::Internal, error.to_string())),
            _ => {
                self.refused.push(Refusal { case_number: case_number.to_owned(), reason: error.to_string() });
                Ok(())
            }
        }
    }

    /// Records a poster in its cases with the file's SHA-256 and the text it prints.
    fn record(&mut self, made: &Made, destination: &Path, pdf: &[u8]) -> Result<(), AppError> {
        let sha = Sha256::digest(pdf).iter().map(|b| format!("{b:02x}")).collect::<String>();
        let destination = std::path::absolute(destination).unwrap_or_else(|_| destination.to_path_buf());
        self.workspace.record_poster(
            &made.cases,
            self.channel,
            &destination.display().to_string(),
            &self.options,
            &made.photo_ids,
            &made.poster.public_text(),
            &sha,
            self.moment,
        )?;
        Ok(())
    }

    /// The refusals so far as lines under a heading, for standard error.
    fn refusal_lines(&self) -> String {
        let mut out = String::new();
        for r in &self.refused {
            let _ = writeln!(out, "  {}: {}", r.case_number, r.reason);
        }
        out
    }

    /// The whole run was refused: exit 2 with every reason.
    fn all_refused(&self, asked: usize) -> AppError {
        let message = match asked {
            1 => "No poster was made.".to_owned(),
            n => format!("No poster was made: all {n} cases were refused."),
        };
        let fields = self.refused.iter().map(|r| FieldError::new(r.case_number.clone(), r.reason.clone())).collect();
        AppError { code: ErrorCode::Validation, message, fields }
    }

    /// Some cases were refused: say which on standard error, and count them in the summary.
    fn warn_refused(&self, asked: usize) -> String {
        if self.refused.is_empty() {
            return String::new();
        }
        eprint!("warning: {} of {asked} cases got no poster:\n{}", self.refused.len(), self.refusal_lines());
        format!(" {} refused (listed on standard error).", render::count(self.refused.len() as u64))
    }

    fn single(&mut self, id: CaseId, out: &Path) -> Result<String, AppError> {
        let made = self.prepare(&[id])?;
        let Some(made) = made.into_iter().next() else {
            return Err(self.all_refused(1));
        };
        let path = if out.is_dir() { out.join(format!("{}.pdf", made.poster.case_number())) } else { out.to_path_buf() };
        let pdf = render(&made.poster)?;
        write_whole(&path, &pdf)?;
        self.record(&made, &path, &pdf)?;
        let child = &made.poster.children()[0];
        Ok(format!(
            "Wrote {}: {} poster of {} ({}) in {}, with {} photo{}. Recorded in the case.\n",
            path.display(),
            match self.settings.paper {
                Paper::Letter => "a Letter",
                Paper::A4 => "an A4",
            },
            child.full_name(),
            child.case_number(),
            language_words(self.settings.language),
            child.photos().len(),
            if child.photos().len() == 1 { "" } else { "s" }
        ))
    }

    fn siblings(&mut self, ids: &[CaseId], out: &Path) -> Result<String, AppError> {
        let mut children = Vec::with_capacity(ids.len());
        let mut photo_ids = Vec::new();
        for &id in ids {
            match self.read(id)? {
                Ok(source) => match source.child() {
                    Ok(child) => {
                        children.push(child);
                        photo_ids.extend(source.photo_ids());
                    }
                    Err(e) => self.refuse(&source.record.case_number, e)?,
                },
                Err(refusal) => self.refused.push(refusal),
            }
        }
        if !self.refused.is_empty() {
            let mut error = self.all_refused(ids.len());
            error.message = "No poster was made: every child on a shared poster must be printable.".into();
            return Err(error);
        }
        let poster = Poster::new(children, self.settings.clone()).map_err(|e| AppError::new(ErrorCode::Validation, e.to_string()))?;
        let pdf = render(&poster)?;
        write_whole(out, &pdf)?;
        let numbers: Vec<String> = poster.children().iter().map(|c| c.case_number().to_owned()).collect();
        let made = Made { poster, cases: ids.to_vec(), photo_ids };
        self.record(&made, out, &pdf)?;
        Ok(format!(
            "Wrote {}: one {} poster of {} children ({}) in {}. Recorded in each case.\n",
            out.display(),
            paper_words(self.settings.paper),
            numbers.len(),
            numbers.join(", "),
            language_words(self.settings.language)
        ))
    }

    /// Every case's poster as a page of one PDF.
    fn one_document(&mut self, ids: &[CaseId], out: &Path) -> Result<String, AppError> {
        if ids.len() > MAX_PAGES {
            return Err(AppError::validation(vec![FieldError::new(
                "--out",
                format!("{} cases is more than the {MAX_PAGES} pages one PDF may hold; give a folder for one file per case, or narrow the filter.", render::count(ids.len() as u64)),
            )]));
        }
        let started = Instant::now();
        let mut made = Vec::with_capacity(ids.len());
        let mut progress = (ids.len() > PROGRESS_FROM).then(|| Progress::new(ids.len(), "Preparing posters", "cases"));
        for chunk in ids.chunks(CHUNK) {
            made.extend(self.prepare(chunk)?);
            if let Some(p) = progress.as_mut() {
                p.show(made.len() + self.refused.len());
            }
        }
        if let Some(p) = progress {
            p.finish();
        }
        if made.is_empty() {
            return Err(self.all_refused(ids.len()));
        }
        let posters: Vec<Poster> = made.iter().map(|m| m.poster.clone()).collect();
        let pdf = porchlight_poster::render_many(&posters, &RenderOptions::default()).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
        write_whole(out, &pdf)?;
        for m in &made {
            self.record(m, out, &pdf)?;
        }
        let seconds = started.elapsed().as_secs_f64();
        let refused = self.warn_refused(ids.len());
        Ok(format!(
            "Wrote {}: {} posters, one a page, in {seconds:.2} s.{refused} Each is recorded in its case.\n",
            out.display(),
            render::count(made.len() as u64)
        ))
    }

    /// One PDF per case in the folder `dir`, named by case number, rendered on every core.
    fn one_file_each(&mut self, ids: &[CaseId], dir: &Path) -> Result<String, AppError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::new(ErrorCode::Storage, format!("The folder {} cannot be made: {e}.", dir.display())))?;
        let started = Instant::now();
        let mut written: Vec<PathBuf> = Vec::new();
        let mut progress = (ids.len() > PROGRESS_FROM).then(|| Progress::new(ids.len(), "Posters", "cases"));
        let settings = self.settings.clone();
        // The workspace is read and written on this thread while the other threads prepare and
        // render the chunk before: reading a chunk's photos and recording the posters of the
        // last one overlap the image work instead of waiting for it.
        std::thread::scope(|scope| -> Result<(), AppError> {
            let mut rendering: Option<std::thread::ScopedJoinHandle<'_, Vec<Rendered>>> = None;
            let mut chunks = ids.chunks(CHUNK);
            loop {
                let sources = match chunks.next() {
                    Some(chunk) => Some(self.read_all(chunk)?),
                    None => None,
                };
                let finished = rendering.take().map(|job| job.join().expect("a poster thread panicked"));
                if let Some(sources) = sources {
                    let settings = &settings;
                    rendering = Some(scope.spawn(move || render_all(sources, settings)));
                }
                let Some(finished) = finished else {
                    if rendering.is_none() {
                        return Ok(());
                    }
                    continue;
                };
                for (case_number, result) in finished {
                    match result {
                        Ok((made, pdf)) => {
                            let path = dir.join(format!("{}.pdf", made.poster.case_number()));
                            write_whole(&path, &pdf)?;
                            self.record(&made, &path, &pdf)?;
                            written.push(path);
                        }
                        Err(e) => self.refuse(&case_number, e)?,
                    }
                }
                if let Some(p) = progress.as_mut() {
                    p.show(written.len() + self.refused.len());
                }
            }
        })?;
        if let Some(p) = progress {
            p.finish();
        }
        if written.is_empty() {
            return Err(self.all_refused(ids.len()));
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 { written.len() as f64 / seconds } else { 0.0 };
        let mut out = String::new();
        if written.len() <= 20 {
            for path in &written {
                let _ = writeln!(out, "{}", path.display());
            }
        }
        let refused = self.warn_refused(ids.len());
        let _ = writeln!(
            out,
            "Wrote {} posters to {} in {seconds:.2} s ({} posters/s).{refused} Each is recorded in its case.",
            render::count(written.len() as u64),
            dir.display(),
            render::count(rate.round() as u64)
        );
        Ok(out)
    }
}

/// A case's poster, or why it has none, with the case number to name it by.
type Prepared = (String, Result<Made, PosterError>);
/// A case's poster with its PDF, or why it has none.
type Rendered = (String, Result<(Made, Vec<u8>), PosterError>);

/// Builds the posters of cases already read: the photos are decoded and scaled on every core.
fn prepare_all(sources: Vec<Source>, settings: &PosterSettings) -> Vec<Prepared> {
    let posters = parallel_map(&sources, |s| s.child().and_then(|child| Poster::new(vec![child], settings.clone())));
    sources
        .into_iter()
        .zip(posters)
        .map(|(source, poster)| {
            let made = poster.map(|poster| Made { photo_ids: source.photo_ids().collect(), cases: vec![source.id], poster });
            (source.record.case_number, made)
        })
        .collect()
}

/// Builds and renders the posters of cases already read, on every core (`render_each`).
fn render_all(sources: Vec<Source>, settings: &PosterSettings) -> Vec<Rendered> {
    let prepared = prepare_all(sources, settings);
    let posters: Vec<Poster> = prepared.iter().filter_map(|(_, made)| made.as_ref().ok().map(|m| m.poster.clone())).collect();
    let mut pdfs = porchlight_poster::render_each(&posters, &RenderOptions::default()).into_iter();
    prepared
        .into_iter()
        .map(|(case_number, made)| {
            let rendered = made.and_then(|m| pdfs.next().unwrap_or(Err(PosterError::Cancelled)).map(|pdf| (m, pdf)));
            (case_number, rendered)
        })
        .collect()
}

/// The photos a poster prints, in order: consented photos of the child, the primary one first,
/// then the newest by date taken, then the newest added; at most `MAX_PHOTOS`.
fn choose(photos: &[PhotoRecord]) -> Vec<&PhotoRecord> {
    let mut chosen: Vec<&PhotoRecord> = photos
        .iter()
        .filter(|p| p.meta.consent_to_publish && matches!(p.meta.kind, Some(PhotoKind::Photo | PhotoKind::AgeProgressed)))
        .collect();
    // Dates are YYYY-MM-DD, so text order is date order; an unknown date sorts last.
    chosen.sort_by(|a, b| b.is_primary.cmp(&a.is_primary).then_with(|| b.meta.taken_on.cmp(&a.meta.taken_on)).then_with(|| b.added_at.cmp(&a.added_at)));
    chosen.truncate(MAX_PHOTOS);
    chosen
}

fn render(poster: &Poster) -> Result<Vec<u8>, AppError> {
    porchlight_poster::render(poster, &RenderOptions::default()).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))
}

fn paper_words(paper: Paper) -> &'static str {
    match paper {
        Paper::Letter => "Letter",
        Paper::A4 => "A4",
    }
}

fn language_words(language: Language) -> &'static str {
    match language {
        Language::English => "English",
        Language::Spanish => "Spanish",
    }
}

/// Writes a file whole or not at all: into a hidden file beside it, then renamed over it, so a
/// printer or a web upload never picks up half a poster.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let fail = |e: std::io::Error| AppError::new(ErrorCode::Storage, format!("{} could not be written: {e}.", path.display()));
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(AppError::new(ErrorCode::NotFound, format!("There is no folder {} to write {} into; make it first.", dir.display(), path.display())));
    }
    let name = path.file_name().ok_or_else(|| {
        AppError::validation(vec![FieldError::new("--out", format!("{} is not a file name; give one such as poster.pdf.", path.display()))])
    })?;
    let partial = dir.join(format!(".{}.{}.partial", name.to_string_lossy(), std::process::id()));
    let written = std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(fail(e));
    }
    Ok(())
}

/// `f` over every item on every core, results in the order of `items`.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items.chunks(per_thread).map(|chunk| scope.spawn(|| chunk.iter().map(&f).collect::<Vec<R>>())).collect();
        workers.into_iter().flat_map(|w| w.join().expect("a poster preparation thread panicked")).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_domain::PhotoMeta;

    fn photo(n: u8, kind: PhotoKind, taken_on: &str, consent: bool, primary: bool) -> PhotoRecord {
        let at = chrono::DateTime::from_timestamp(1_700_000_000 + i64::from(n), 0).unwrap();
        PhotoRecord {
            id: RecordId::new(at),
            case_id: CaseId::new(at),
            sha256: format!("{n:064}"),
            mime: "image/png".into(),
            width: 240,
            height: 300,
            size_bytes: 1000,
            meta: PhotoMeta { kind: Some(kind), taken_on: taken_on.into(), consent_to_publish: consent, ..Default::default() },
            is_primary: primary,
            added_at: at,
            added_by: "tester".into(),
        }
    }

    #[test]
    fn posters_print_consented_child_photos_primary_first_then_newest() {
        let photos = vec![
            photo(1, PhotoKind::Photo, "2020-01-01", true, false),
            photo(2, PhotoKind::Photo, "2024-06-01", false, false),
            photo(3, PhotoKind::Vehicle, "2025-01-01", true, false),
            photo(4, PhotoKind::Photo, "2019-03-01", true, true),
            photo(5, PhotoKind::AgeProgressed, "2023-01-01", true, false),
            photo(6, PhotoKind::Photo, "", true, false),
            photo(7, PhotoKind::Companion, "2025-02-01", true, false),
        ];
        let chosen: Vec<&str> = choose(&photos).iter().map(|p| p.meta.taken_on.as_str()).collect();
        assert_eq!(chosen, vec!["2019-03-01", "2023-01-01", "2020-01-01"]);
    }

    #[test]
    fn work_spread_over_threads_comes_back_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(parallel_map(&items, |n| n * 2), items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(parallel_map(&Vec::<u32>::new(), |n| *n).is_empty());
    }

    #[test]
    fn a_file_is_written_whole_and_leaves_no_partial_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.pdf");
        write_whole(&path, b"%PDF-1 first").unwrap();
        write_whole(&path, b"%PDF-1 second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1 second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no partial file left");
        let nowhere = write_whole(&dir.path().join("missing/p.pdf"), b"x").unwrap_err();
        assert_eq!(nowhere.code, ErrorCode::NotFound);
    }
}
