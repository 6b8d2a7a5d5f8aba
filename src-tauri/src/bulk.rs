//! Posters for many cases at once: the table of running jobs (id → progress and a cancel flag)
//! the UI polls, and the run itself on a thread of its own. Cases are taken in batches: each
//! batch is read from the workspace under its lock (released between batches, so the window's
//! own commands are not held up), built on every core, rendered with
//! `porchlight_poster::render_each_with` (every core, progress, cancel), written atomically and
//! recorded in the cases. A case that cannot have a poster is listed with its reason, never
//! silently skipped. It decides no refusal itself: those are the poster crate's.

use crate::files::{poster_file_name, unique_name, write_atomically};
use crate::posters::{
    build, load_source, poster_error, settings, sha256_hex, Built, Source,
};
use crate::session::{report, with_workspace, OpenWorkspace};
use porchlight_domain::{
    AppError, BulkProgress, BulkRefusal, CaseId, ErrorCode, Moment, PosterOptions,
};
use porchlight_poster::{
    render_each_with, render_many, PosterError, PosterSettings, RenderOptions,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Cases read, built and rendered together: enough to keep every core busy, few enough that
/// the workspace lock is held only briefly and a cancel takes effect soon.
const BATCH: usize = 64;

/// How many finished jobs are remembered for the UI to read their outcome.
const KEEP_FINISHED: usize = 16;

/// One bulk run as the UI sees it.
#[derive(Debug)]
pub struct Job {
    cancel: AtomicBool,
    progress: Mutex<BulkProgress>,
}

impl Job {
    pub fn new(id: &str, total: usize) -> Job {
        Job {
            cancel: AtomicBool::new(false),
            progress: Mutex::new(BulkProgress {
                job: id.to_string(),
                total: total as u32,
                done: 0,
                refused: Vec::new(),
                finished: false,
                cancelled: false,
                outputs: Vec::new(),
                error: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BulkProgress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn snapshot(&self) -> BulkProgress {
        self.lock().clone()
    }

    /// Asks the run to stop: posters not yet rendered are not made.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Raises the count of cases dealt with to `done`; the count never goes back nor past the
    /// total, whatever order the render threads report in.
    pub fn reach(&self, done: usize) {
        let mut p = self.lock();
        p.done = p.done.max((done as u32).min(p.total));
    }

    pub fn done(&self) -> usize {
        self.lock().done as usize
    }

    /// A case that cannot have a poster, and why; it counts as dealt with.
    pub fn refuse(&self, case_number: &str, reason: &str) {
        let mut p = self.lock();
        p.refused.push(BulkRefusal {
            case_number: case_number.to_string(),
            reason: reason.to_string(),
        });
        p.done = (p.done + 1).min(p.total);
    }

    pub fn wrote(&self, path: &Path) {
        self.lock().outputs.push(path.display().to_string());
    }

    /// The run ended: whole, cancelled, or stopped by `error`.
    pub fn finish(&self, error: Option<String>) {
        let cancelled = self.cancel_requested();
        let mut p = self.lock();
        p.finished = true;
        p.cancelled = cancelled && error.is_none() && p.done < p.total;
        p.error = error;
    }
}

/// The jobs of this session, by id.
#[derive(Default)]
pub struct BulkJobs {
    next: AtomicU64,
    jobs: Mutex<HashMap<String, (u64, Arc<Job>)>>,
}

impl BulkJobs {
    fn table(&self) -> MutexGuard<'_, HashMap<String, (u64, Arc<Job>)>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new job over `total` cases. Finished jobs beyond the last few are forgotten.
    pub fn start(&self, total: usize) -> Arc<Job> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("bulk-{n}");
        let job = Arc::new(Job::new(&id, total));
        let mut table = self.table();
        let mut finished: Vec<(u64, String)> = table
            .iter()
            .filter(|(_, (_, j))| j.snapshot().finished)
            .map(|(id, (n, _))| (*n, id.clone()))
            .collect();
        finished.sort();
        let excess = finished.len().saturating_sub(KEEP_FINISHED - 1);
        for (_, old) in finished.into_iter().take(excess) {
            table.remove(&old);
        }
        table.insert(id, (n, Arc::clone(&job)));
        job
    }

    pub fn get(&self, id: &str) -> Result<Arc<Job>, AppError> {
        self.table()
            .get(id)
            .map(|(_, job)| Arc::clone(job))
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotFound,
                    format!("There is no poster run {id} in this session; start it again."),
                )
            })
    }
}

/// Everything a bulk run needs, moved onto its thread.
pub struct Run {
    pub job: Arc<Job>,
    pub open: OpenWorkspace,
    pub cases: Vec<CaseId>,
    pub options: PosterOptions,
    /// One file per case, or one PDF with a page per case.
    pub per_case: bool,
    pub dir: PathBuf,
    pub base_url: String,
    pub now: Moment,
}

impl Run {
    /// Runs to the end and leaves the outcome in the job.
    pub fn run(self) {
        let outcome = self.execute().map_err(|e| match e.code {
            ErrorCode::WorkspaceLocked => AppError::new(
                ErrorCode::WorkspaceLocked,
                "Stopped: the workspace was locked during the run. The posters written so far are kept; unlock it and run the rest again.",
            ),
            _ => e,
        });
        if let Err(e) = &outcome {
            log::warn!(
                "bulk poster run {} stopped: {}",
                self.job.snapshot().job,
                e.message
            );
        }
        self.job.finish(outcome.err().map(|e| e.message));
    }

    fn execute(&self) -> Result<(), AppError> {
        let settings = settings(&self.options, self.base_url.clone(), &self.now);
        let mut taken = HashSet::new();
        let mut together: Vec<Built> = Vec::new();
        for batch in self.cases.chunks(BATCH) {
            if self.job.cancel_requested() {
                return Ok(());
            }
            let sources = self.read(batch)?;
            let built = build_each(&sources, &settings);
            let mut posters = Vec::with_capacity(built.len());
            for (source, result) in sources.iter().zip(built) {
                match result {
                    Ok(b) => posters.push(b),
                    Err(e) => self.job.refuse(&source.record.case_number, &e.to_string()),
                }
            }
            if self.per_case {
                self.render_and_write(posters, &mut taken)?;
            } else {
                self.job.reach(self.job.done() + posters.len());
                together.extend(posters);
            }
        }
        if !self.per_case && !together.is_empty() && !self.job.cancel_requested() {
            self.write_together(&together)?;
        }
        Ok(())
    }

    /// Reads a batch of cases; one that cannot be read as a poster source is refused by name.
    fn read(&self, batch: &[CaseId]) -> Result<Vec<Source>, AppError> {
        let results = with_workspace(&self.open, |w| {
            Ok(batch
                .iter()
                .map(|id| {
                    load_source(w, *id, &self.options.photo_ids, self.now).map_err(|e| {
                        let number = w
                            .get_case(*id)
                            .map(|c| c.case_number)
                            .unwrap_or_else(|_| id.to_string());
                        (number, e)
                    })
                })
                .collect::<Vec<_>>())
        })?;
        let mut sources = Vec::with_capacity(results.len());
        for result in results {
            match result {
                Ok(source) => sources.push(source),
                Err((number, e))
                    if matches!(e.code, ErrorCode::Validation | ErrorCode::NotFound) =>
                {
                    self.job.refuse(&number, &e.message)
                }
                Err((_, e)) => return Err(e),
            }
        }
        Ok(sources)
    }

    /// One file per poster, named after its case, then recorded.
    fn render_and_write(
        &self,
        posters: Vec<Built>,
        taken: &mut HashSet<String>,
    ) -> Result<(), AppError> {
        if posters.is_empty() {
            return Ok(());
        }
        let base = self.job.done();
        let only: Vec<_> = posters.iter().map(|b| b.poster.clone()).collect();
        let rendered = render_each_with(&only, &RenderOptions::default(), &self.job.cancel, &|n| {
            self.job.reach(base + n)
        });
        let mut written = Vec::new();
        for (built, result) in posters.iter().zip(rendered) {
            match result {
                Ok(pdf) => {
                    let name = unique_name(taken, &poster_file_name(built.poster.case_number()));
                    let path = self.dir.join(name);
                    write_atomically(&path, &pdf).map_err(|e| unwritable(&path, e))?;
                    self.job.wrote(&path);
                    written.push((built, path, sha256_hex(&pdf)));
                }
                Err(PosterError::Cancelled) => {}
                Err(e) => self
                    .job
                    .refuse(built.poster.case_number(), &poster_error(e).message),
            }
        }
        with_workspace(&self.open, |w| {
            for (built, path, sha) in &written {
                w.record_poster(
                    &built.case_ids,
                    "bulk",
                    &path.display().to_string(),
                    &self.options,
                    &built.photo_ids,
                    &built.poster.public_text(),
                    sha,
                    self.now,
                )
                .map_err(report)?;
            }
            Ok(())
        })
    }

    /// One PDF with a page per poster, then each poster recorded with its page.
    fn write_together(&self, posters: &[Built]) -> Result<(), AppError> {
        let only: Vec<_> = posters.iter().map(|b| b.poster.clone()).collect();
        let pdf = render_many(&only, &RenderOptions::default()).map_err(poster_error)?;
        let path = self.dir.join(format!(
            "posters-{}.pdf",
            self.now.local.format("%Y-%m-%d-%H%M%S")
        ));
        write_atomically(&path, &pdf).map_err(|e| unwritable(&path, e))?;
        self.job.wrote(&path);
        let sha = sha256_hex(&pdf);
        let pages = posters.len();
        with_workspace(&self.open, |w| {
            for (i, built) in posters.iter().enumerate() {
                w.record_poster(
                    &built.case_ids,
                    "bulk",
                    &format!("{} (page {} of {pages})", path.display(), i + 1),
                    &self.options,
                    &built.photo_ids,
                    &built.poster.public_text(),
                    &sha,
                    self.now,
                )
                .map_err(report)?;
            }
            Ok(())
        })
    }
}

fn unwritable(path: &Path, e: std::io::Error) -> AppError {
    AppError::new(
        ErrorCode::Storage,
        format!(
            "Stopped: {} could not be written ({e}). The posters written so far are kept; free some space or choose another folder, then run the rest again.",
            path.display()
        ),
    )
}

/// Builds one poster per source on every core (preparing photos is most of the work), in the
/// order of `sources`.
fn build_each(sources: &[Source], settings: &PosterSettings) -> Vec<Result<Built, PosterError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sources.len().max(1));
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<Result<Built, PosterError>>> =
        (0..sources.len()).map(|_| None).collect();
    let parts: Vec<Vec<(usize, Result<Built, PosterError>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= sources.len() {
                            break;
                        }
                        mine.push((
                            i,
                            build(std::slice::from_ref(&sources[i]), settings.clone()),
                        ));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a poster build thread panicked"))
            .collect()
    });
    for (i, result) in parts.into_iter().flatten() {
        out[i] = Some(result);
    }
    out.into_iter()
        .map(|r| r.expect("every poster was built"))
        .collect()
}

/// Starts posters for `case_ids` on a background thread: one PDF with a page per case, or one
/// file per case, into `directory` (or a folder chosen in the native dialog when it is null).
/// Returns the job to poll, or null when the person cancels the dialog.
#[tauri::command]
pub async fn start_bulk_posters(
    app: tauri::AppHandle,
    session: tauri::State<'_, crate::session::Session>,
    jobs: tauri::State<'_, BulkJobs>,
    case_ids: Vec<CaseId>,
    options: PosterOptions,
    per_case: bool,
    directory: Option<String>,
) -> Result<Option<String>, AppError> {
    let now = Moment::now();
    let mut cases: Vec<CaseId> = Vec::with_capacity(case_ids.len());
    let mut seen = HashSet::new();
    for id in case_ids {
        if seen.insert(id) {
            cases.push(id);
        }
    }
    if cases.is_empty() {
        return Err(AppError::new(
            ErrorCode::Validation,
            "Choose at least one case to make posters for.",
        ));
    }
    // Say the workspace is locked before asking for a folder, not after.
    if crate::session::lock(&session.open).is_none() {
        return Err(crate::session::locked());
    }
    let dir = match directory.filter(|d| !d.trim().is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match crate::dialogs::pick_folder(&app).await? {
            Some(dir) => dir,
            None => return Ok(None),
        },
    };
    if !dir.is_absolute() || !dir.is_dir() {
        return Err(AppError::validation(vec![
            porchlight_domain::FieldError::new(
                "directory",
                format!(
                    "{} is not a folder; choose an existing folder for the posters.",
                    dir.display()
                ),
            ),
        ]));
    }
    let job = jobs.start(cases.len());
    let id = job.snapshot().job;
    let run = Run {
        job,
        open: Arc::clone(&session.open),
        cases,
        options,
        per_case,
        dir,
        base_url: crate::posters::public_base_url(),
        now,
    };
    std::thread::Builder::new()
        .name(format!("posters-{id}"))
        .spawn(move || run.run())
        .map_err(|e| {
            log::error!("cannot start the bulk poster thread: {e}");
            crate::session::internal()
        })?;
    Ok(Some(id))
}

/// Where a bulk run is: polled by the UI.
#[tauri::command]
pub async fn bulk_progress(
    jobs: tauri::State<'_, BulkJobs>,
    job: String,
) -> Result<BulkProgress, AppError> {
    Ok(jobs.get(&job)?.snapshot())
}

/// Stops a bulk run after the posters being rendered.
#[tauri::command]
pub async fn cancel_bulk(jobs: tauri::State<'_, BulkJobs>, job: String) -> Result<(), AppError> {
    jobs.get(&job)?.cancel();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_moves_forward_and_stops_at_the_total() {
        let job = Job::new("bulk-1", 3);
        job.reach(2);
        job.reach(1);
        assert_eq!(job.done(), 2);
        job.reach(10);
        assert_eq!(job.snapshot().done, 3);
    }

    #[test]
    fn refused_cases_are_listed_with_their_reason_and_count_as_dealt_with() {
        let job = Job::new("bulk-1", 2);
        job.refuse("PL-7", "no consented photo");
        let p = job.snapshot();
        assert_eq!(p.done, 1);
        assert_eq!(
            p.refused,
            vec![BulkRefusal {
                case_number: "PL-7".into(),
                reason: "no consented photo".into()
            }]
        );
    }

    #[test]
    fn a_cancelled_run_says_so_only_when_work_was_left() {
        let job = Job::new("bulk-1", 4);
        job.reach(1);
        job.cancel();
        job.finish(None);
        let p = job.snapshot();
        assert!(p.finished && p.cancelled);

        let late = Job::new("bulk-2", 2);
        late.reach(2);
        late.cancel();
        late.finish(None);
        assert!(
            !late.snapshot().cancelled,
            "a cancel after the last poster changes nothing"
        );

        let failed = Job::new("bulk-3", 2);
        failed.finish(Some("disk full".into()));
        let p = failed.snapshot();
        assert!(p.finished && !p.cancelled);
        assert_eq!(p.error.as_deref(), Some("disk full"));
    }

    #[test]
    fn jobs_are_found_by_id_and_old_finished_ones_are_forgotten() {
        let jobs = BulkJobs::default();
        let first = jobs.start(1);
        let id = first.snapshot().job;
        assert_eq!(id, "bulk-1");
        assert!(Arc::ptr_eq(&jobs.get(&id).unwrap(), &first));
        assert_eq!(jobs.get("bulk-99").unwrap_err().code, ErrorCode::NotFound);

        first.finish(None);
        for _ in 0..KEEP_FINISHED {
            jobs.start(1).finish(None);
        }
        assert!(
            jobs.get(&id).is_err(),
            "the oldest finished job is forgotten"
        );
        let running = jobs.start(1);
        for _ in 0..KEEP_FINISHED * 2 {
            jobs.start(1).finish(None);
        }
        assert!(
            jobs.get(&running.snapshot().job).is_ok(),
            "a running job is never forgotten"
        );
    }
}

#[cfg(test)]
mod on_a_real_workspace {
    //! Bulk runs and saved posters over a real encrypted workspace with generated cases: what
    //! is written, what is refused and why, and what each case records.
    use super::*;
    use crate::posters::{make, save_made};
    use porchlight_domain::{CaseStatus, PhotoKind, PhotoMeta, StatusChange};
    use porchlight_store::Workspace;

    const PASSPHRASE: &str = "Lanterns along the quay, 58 of them";

    /// The cases of the test, in the order they were made, and how each must fare.
    struct Fixture {
        _dir: tempfile::TempDir,
        open: OpenWorkspace,
        /// Open cases with a consented photo: each gets a poster.
        good: Vec<(CaseId, String)>,
        /// A case whose only photo may not be published.
        unconsented: (CaseId, String),
        /// A closed case.
        closed: (CaseId, String),
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let now = Moment::now();
        let mut w = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, now).unwrap();
        let mut made = Vec::new();
        for (i, seeded) in porchlight_seed::cases_with_photos(7, 5, now.local.date()).enumerate() {
            let record = w.create_case(&seeded.fields, now).unwrap();
            let photo = &seeded.photos[0];
            let meta = PhotoMeta {
                kind: Some(PhotoKind::Photo),
                taken_on: photo.taken_on.format("%Y-%m-%d").to_string(),
                source: "family (generated)".into(),
                consent_to_publish: i != 3,
                ..PhotoMeta::default()
            };
            w.add_photo_file(record.id, &photo.png, "portrait.png", &meta, now)
                .unwrap();
            made.push((record.id, record.case_number));
        }
        let closing = StatusChange {
            to: CaseStatus::Closed,
            reason: "Reported in error by the school.".into(),
            outcome: None,
        };
        w.change_status(made[4].0, &closing, now).unwrap();
        Fixture {
            _dir: dir,
            open: Arc::new(Mutex::new(Some(w))),
            good: made[..3].to_vec(),
            unconsented: made[3].clone(),
            closed: made[4].clone(),
        }
    }

    fn run(f: &Fixture, per_case: bool, dir: &Path, jobs: &BulkJobs) -> BulkProgress {
        let cases: Vec<CaseId> = f
            .good
            .iter()
            .chain([&f.unconsented, &f.closed])
            .map(|(id, _)| *id)
            .collect();
        let job = jobs.start(cases.len());
        Run {
            job: Arc::clone(&job),
            open: Arc::clone(&f.open),
            cases,
            options: PosterOptions::default(),
            per_case,
            dir: dir.to_path_buf(),
            base_url: crate::posters::DEFAULT_PUBLIC_BASE_URL.into(),
            now: Moment::now(),
        }
        .run();
        job.snapshot()
    }

    /// Page objects in a PDF: `/Type /Page` not followed by `s` (that is the page tree).
    fn page_count(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let squeezed: String = text.split_whitespace().collect();
        squeezed
            .match_indices("/Type/Page")
            .filter(|(i, m)| !squeezed[i + m.len()..].starts_with('s'))
            .count()
    }

    fn refusal_of<'a>(p: &'a BulkProgress, case_number: &str) -> &'a str {
        &p.refused
            .iter()
            .find(|r| r.case_number == case_number)
            .unwrap_or_else(|| panic!("{case_number} is not among the refusals {:?}", p.refused))
            .reason
    }

    #[test]
    fn one_file_per_case_and_every_refusal_listed_with_its_reason() {
        let f = fixture();
        let out = tempfile::tempdir().unwrap();
        let p = run(&f, true, out.path(), &BulkJobs::default());
        assert!(p.finished && !p.cancelled && p.error.is_none(), "{p:?}");
        assert_eq!((p.done, p.total), (5, 5));
        assert_eq!(p.outputs.len(), 3, "{p:?}");
        assert_eq!(p.refused.len(), 2, "{p:?}");
        assert!(refusal_of(&p, &f.unconsented.1).contains("consent"));
        assert!(refusal_of(&p, &f.closed.1).contains("closed"));

        let mut w = crate::session::lock(&f.open);
        let w = w.as_mut().unwrap();
        for (id, number) in &f.good {
            let path = out.path().join(format!("{number}.pdf"));
            let pdf = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(pdf.starts_with(b"%PDF-"));
            let records = w.posters_for_case(*id).unwrap();
            assert_eq!(records.len(), 1, "one poster recorded for {number}");
            let r = &records[0];
            assert_eq!(
                (r.channel.as_str(), r.destination.as_str()),
                ("bulk", path.to_str().unwrap())
            );
            assert_eq!(r.pdf_sha256, crate::posters::sha256_hex(&pdf));
            assert!(r.text.contains(number.as_str()), "{}", r.text);
            assert_eq!(r.photo_ids.len(), 1);
        }
        for (id, _) in [&f.unconsented, &f.closed] {
            assert!(
                w.posters_for_case(*id).unwrap().is_empty(),
                "a refused case records no poster"
            );
        }
    }

    #[test]
    fn one_pdf_for_all_has_a_page_per_poster_each_recorded() {
        let f = fixture();
        let out = tempfile::tempdir().unwrap();
        let p = run(&f, false, out.path(), &BulkJobs::default());
        assert!(p.finished && p.error.is_none(), "{p:?}");
        assert_eq!(p.outputs.len(), 1);
        assert_eq!(p.refused.len(), 2);
        let pdf = std::fs::read(&p.outputs[0]).unwrap();
        assert_eq!(page_count(&pdf), 3, "one page per poster");
        let w = crate::session::lock(&f.open);
        let w = w.as_ref().unwrap();
        let mut destinations: Vec<String> = f
            .good
            .iter()
            .map(|(id, _)| w.posters_for_case(*id).unwrap().remove(0).destination)
            .collect();
        destinations.sort();
        for (i, d) in destinations.iter().enumerate() {
            assert!(d.starts_with(&p.outputs[0]), "{d}");
            assert!(d.ends_with(&format!("(page {} of 3)", i + 1)), "{d}");
        }
    }

    #[test]
    fn a_run_cancelled_before_it_starts_writes_and_records_nothing() {
        let f = fixture();
        let out = tempfile::tempdir().unwrap();
        let jobs = BulkJobs::default();
        let cases: Vec<CaseId> = f.good.iter().map(|(id, _)| *id).collect();
        let job = jobs.start(cases.len());
        job.cancel();
        Run {
            job: Arc::clone(&job),
            open: Arc::clone(&f.open),
            cases,
            options: PosterOptions::default(),
            per_case: true,
            dir: out.path().to_path_buf(),
            base_url: crate::posters::DEFAULT_PUBLIC_BASE_URL.into(),
            now: Moment::now(),
        }
        .run();
        let p = job.snapshot();
        assert!(p.finished && p.cancelled, "{p:?}");
        assert!(p.outputs.is_empty());
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_locked_workspace_stops_the_run_with_a_message() {
        let f = fixture();
        crate::session::lock(&f.open).take();
        let out = tempfile::tempdir().unwrap();
        let p = run(&f, true, out.path(), &BulkJobs::default());
        assert!(p.finished);
        assert!(
            p.error
                .as_deref()
                .is_some_and(|e| e.contains("workspace was locked")),
            "{p:?}"
        );
    }

    #[test]
    fn a_saved_poster_is_written_whole_and_recorded_as_saved() {
        let f = fixture();
        let out = tempfile::tempdir().unwrap();
        let path = out.path().join("poster.pdf");
        let now = Moment::now();
        let (id, number) = f.good[0].clone();
        let made = make(&f.open, &[id], PosterOptions::default(), now).unwrap();
        assert_eq!(made.file_name(), format!("{number}.pdf"));
        let record = save_made(&f.open, &made, &path, now).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), made.pdf);
        assert_eq!(record.channel, "saved");
        assert_eq!(record.case_ids, vec![id]);

        let Err(refused) = make(&f.open, &[f.closed.0], PosterOptions::default(), now) else {
            panic!("a closed case got a poster");
        };
        assert_eq!(refused.code, ErrorCode::Validation);
        assert!(refused.message.contains(&f.closed.1), "{}", refused.message);

        let siblings = make(
            &f.open,
            &[f.good[1].0, f.good[2].0],
            PosterOptions::default(),
            now,
        )
        .unwrap();
        assert_eq!(siblings.built.case_ids, vec![f.good[1].0, f.good[2].0]);
        assert_eq!(siblings.built.photo_ids.len(), 2);

        let stray = porchlight_domain::RecordId::from_uuid(uuid::Uuid::from_bytes([9; 16]));
        let options = PosterOptions {
            photo_ids: vec![stray],
            ..PosterOptions::default()
        };
        let Err(err) = make(&f.open, &[id], options, now) else {
            panic!("a photo of no case on the poster was accepted");
        };
        assert_eq!(err.fields[0].field, "photo_ids");
    }
}
