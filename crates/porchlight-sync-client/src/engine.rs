//! One sync of a replica with the central service, in the order the protocol promises: hello
//! when there are ops to send (the service's clock folded in, and waiting ops stamped too far
//! ahead of it stamped again), photo bytes up, every waiting op pushed in batches, every page
//! pulled, photo bytes down. A push always comes before the pull, so a device's own edits are on
//! the service before it asks what changed. It neither stores anything itself (the `Replica`
//! does, one transaction per answer) nor decides when to sync (the app and the CLI do).

use crate::error::SyncError;
use crate::remote::Remote;
use chrono::{DateTime, Utc};
use porchlight_domain::{SyncProgress, SyncReport};
use porchlight_sync::{Change, Cursor, Outcome, PullPage, RejectCode, Replica, MAX_PULL_LIMIT, MAX_PUSH_OPS};
use std::collections::HashSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A local change the service refused during this sync, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub op_id: Uuid,
    pub case_id: Uuid,
    pub code: RejectCode,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// A photo whose bytes did not move this time; it is tried again at the next sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobProblem {
    pub sha256: String,
    pub direction: Direction,
    pub reason: String,
}

/// Everything one sync did: the counts, and the details behind the refusals and the photos
/// left for next time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncRun {
    pub report: SyncReport,
    pub refused: Vec<Refusal>,
    pub blob_problems: Vec<BlobProblem>,
    /// Waiting ops stamped again before the push because the device's clock had run ahead of
    /// the service's further than it accepts.
    pub restamped: u64,
    /// How long the replica waited for pull pages that had not come yet, between storing one
    /// page and the next: the part of a long pull the service and the network took, beyond the
    /// time the replica spent storing.
    pub waited_for_pages: Duration,
}

/// One sync; see `sync_run` for the details it also gathers.
pub fn sync_once<R: Replica>(remote: &Remote, replica: &mut R, wall: &dyn Fn() -> DateTime<Utc>) -> Result<SyncReport, SyncError> {
    sync_run(remote, replica, wall).map(|run| run.report)
}

/// One sync: hello (when ops wait), photos up, push until the outbox is empty, pull until the
/// service has no more, photos down. `wall` reads the local clock whenever the replica records
/// something. A failure of the connection or of the workspace ends the sync where it stands,
/// which is always safe: every answer already received was stored in its own transaction, and whatever was not
/// answered is sent again next time. A photo that cannot move is noted and left for next time.
pub fn sync_run<R: Replica>(remote: &Remote, replica: &mut R, wall: &dyn Fn() -> DateTime<Utc>) -> Result<SyncRun, SyncError> {
    sync_run_watched(remote, replica, wall, &mut |_| {})
}

/// `sync_run`, telling `watch` how far it has come each time the answer to a batch of changes
/// sent or a page received has been stored, so that what it tells is always on the device.
pub fn sync_run_watched<R: Replica>(
    remote: &Remote,
    replica: &mut R,
    wall: &dyn Fn() -> DateTime<Utc>,
    watch: &mut dyn FnMut(&SyncProgress),
) -> Result<SyncRun, SyncError> {
    let mut run = SyncRun::default();
    let mut watch = Watch { progress: SyncProgress::default(), tell: watch };
    // Hello is for a device with changes to send: ops stamped by a clock that ran ahead would be
    // refused for good, so they are stamped again on the service's clock first. A device with
    // nothing to send skips it and syncs in one round trip, the pull: every page brings the
    // service's clock too, and a revoked, wiped or outdated device is answered so on every call.
    // An idle device that syncs every few minutes thus costs the service one request and adds
    // nothing to its audit log.
    if replica.pending_count().map_err(local)? > 0 {
        let hello = remote.hello()?;
        replica.observe_server(&hello, wall()).map_err(local)?;
        run.restamped = replica.restamp_ahead(&hello, wall()).map_err(local)?;
    }

    // Photo bytes go up before the ops that name them, so another device never learns of a
    // photo the service cannot give it yet. One the service would not take before its metadata
    // arrived is tried again after the push.
    let mut conflicts_seen = HashSet::new();
    let held_back = upload(remote, replica, &mut run)?;
    std::thread::scope(|scope| {
        let fetcher = Fetcher::start(remote, R::prepare_pull, scope);
        let first_page = push(remote, replica, wall, &mut run, &mut conflicts_seen, &mut watch, &fetcher)?;
        if held_back > 0 {
            run.blob_problems.retain(|p| p.direction != Direction::Up);
            upload(remote, replica, &mut run)?;
        }
        pull(replica, wall, &mut run, &mut conflicts_seen, &mut watch, &fetcher, first_page)
    })?;
    download(remote, replica, &mut run)?;
    Ok(run)
}

/// The progress of one sync and whom to tell of it.
struct Watch<'a> {
    progress: SyncProgress,
    tell: &'a mut dyn FnMut(&SyncProgress),
}

impl Watch<'_> {
    fn tell(&mut self) {
        (self.tell)(&self.progress);
    }
}

/// A pull page and what the replica made of it on the fetching thread.
struct Fetched<P> {
    page: PullPage,
    prepared: P,
}

/// The thread that fetches, reads and prepares pull pages (`Replica::prepare_pull`) while the
/// replica stores the page before, one page at a time, for the whole of a sync; and the thread
/// that frees the pages stored. One thread for every page rather than a thread a page: a page
/// is then read into the memory the pages before it were read into and freed, instead of a new
/// thread's fresh memory, which the system must clear before it is used. A new thread a page
/// spent about a seventh of a device's CPU in a first sync on clearing memory (measured with
/// perf during `sync-bench`). A page of thousands of cases is hundreds of thousands of small
/// allocations, and freeing them was a twentieth of the replica's thread in a first sync of
/// 30,000 cases; they are freed on a thread of their own as soon as the page is stored, rather
/// than by the fetching thread after the fetch it is busy with, so that no more pages are held
/// than before.
struct Fetcher<P> {
    asks: mpsc::Sender<Cursor>,
    pages: mpsc::Receiver<Result<Fetched<P>, SyncError>>,
    stored: mpsc::Sender<Fetched<P>>,
}

impl<P: Send> Fetcher<P> {
    /// Starts the two threads in `scope`; they end when the fetcher is dropped, which must
    /// happen inside the scope (the scope waits for them).
    fn start<'scope>(remote: &'scope Remote, prepare: fn(&PullPage) -> P, scope: &'scope std::thread::Scope<'scope, '_>) -> Fetcher<P>
    where
        P: 'scope,
    {
        let (asks, asked) = mpsc::channel::<Cursor>();
        let (fetched, pages) = mpsc::channel();
        let (stored, to_free) = mpsc::channel::<Fetched<P>>();
        scope.spawn(move || to_free.into_iter().for_each(drop));
        scope.spawn(move || {
            for cursor in asked {
                let page = remote.pull(cursor, MAX_PULL_LIMIT).map(|page| {
                    let prepared = prepare(&page);
                    Fetched { page, prepared }
                });
                if fetched.send(page).is_err() {
                    return;
                }
            }
        });
        Fetcher { asks, pages, stored }
    }

    /// Asks for the page after `cursor`; it is fetched while the caller goes on, and must be
    /// waited for (`Fetching::page`) before the next is asked for.
    fn ask(&self, cursor: Cursor) -> Fetching<'_, P> {
        let asked = self.asks.send(cursor).is_ok();
        Fetching { fetcher: self, waiting: asked }
    }

    /// Hands a stored page to the thread that frees pages.
    fn free(&self, stored: Fetched<P>) {
        // Should that thread have ended, the page is freed here instead.
        let _ = self.stored.send(stored);
    }
}

fn stopped() -> SyncError {
    SyncError::Replica("the request for the next page stopped unexpectedly".into())
}

/// A pull page being fetched by the `Fetcher`. Dropped unread, it is still waited for, so that
/// the next page asked for is never answered with this one.
struct Fetching<'f, P> {
    fetcher: &'f Fetcher<P>,
    waiting: bool,
}

/// The first pull page when the push asked for it already, with the cursor it was asked at.
type Early<'f, P> = Option<(Cursor, Fetching<'f, P>)>;

impl<P> Fetching<'_, P> {
    fn page(mut self) -> Result<Fetched<P>, SyncError> {
        if !std::mem::take(&mut self.waiting) {
            return Err(stopped());
        }
        self.fetcher.pages.recv().unwrap_or_else(|_| Err(stopped()))
    }
}

impl<P> Drop for Fetching<'_, P> {
    fn drop(&mut self) {
        if self.waiting {
            let _ = self.fetcher.pages.recv();
        }
    }
}

fn local<E: std::error::Error + Send + Sync + 'static>(e: E) -> SyncError {
    SyncError::Replica(Box::new(e))
}

/// Uploads every photo the replica says the service may lack; answers how many were left behind.
fn upload<R: Replica>(remote: &Remote, replica: &mut R, run: &mut SyncRun) -> Result<usize, SyncError> {
    let mut left = 0;
    for blob in replica.blobs_to_upload().map_err(local)? {
        let bytes = replica.blob_bytes(&blob.sha256).map_err(local)?;
        match remote.upload_blob(&blob, &bytes) {
            Ok(()) => {
                replica.mark_uploaded(&blob.sha256).map_err(local)?;
                run.report.blobs_up += 1;
            }
            Err(e) if e.ends_sync() => return Err(e),
            Err(e) => {
                run.blob_problems.push(BlobProblem { sha256: blob.sha256.clone(), direction: Direction::Up, reason: e.to_string() });
                left += 1;
            }
        }
    }
    Ok(left)
}

/// Pushes the outbox in batches until it is empty. Only `apply_push` removes ops, so an op the
/// replica kept after its answer would be sent forever: that is caught and reported instead.
/// When a batch was the last of the outbox, the first pull page is asked for as soon as the
/// service has answered it, and comes while the answer is written (a round of 100 edited cases
/// waited about 3 ms for each). The push is committed on the service by then, so the page holds
/// it, as a pull after the push would. If new edits were made meanwhile they are pushed too, and
/// the page asked for early is dropped, since it was asked for before them.
fn push<'f, R: Replica>(
    remote: &Remote,
    replica: &mut R,
    wall: &dyn Fn() -> DateTime<Utc>,
    run: &mut SyncRun,
    conflicts: &mut HashSet<Uuid>,
    watch: &mut Watch,
    fetcher: &'f Fetcher<R::Prepared>,
) -> Result<Early<'f, R::Prepared>, SyncError> {
    let mut answered: HashSet<Uuid> = HashSet::new();
    let mut early: Early<'f, R::Prepared> = None;
    loop {
        let ops = replica.outbox(MAX_PUSH_OPS).map_err(local)?;
        if ops.is_empty() {
            break;
        }
        // An outbox that fills a batch is counted, so a long push can say how far it has come;
        // a smaller one is the whole of it. Ops made during the push are added as they appear.
        let waiting = if ops.len() == MAX_PUSH_OPS { replica.pending_count().map_err(local)? } else { ops.len() as u64 };
        let progress = &mut watch.progress;
        progress.to_send = progress.to_send.max(progress.sent + waiting);
        if let Some(dropped) = early.take() {
            // Waited for so that its request ends before the next one starts; its page is not used.
            let _ = dropped.1.page();
        }
        if let Some(again) = ops.iter().find(|op| answered.contains(&op.id)) {
            return Err(SyncError::Replica(
                format!("the change {} is still waiting although the service answered it", again.id).into(),
            ));
        }
        let response = remote.push(&ops)?;
        if ops.len() < MAX_PUSH_OPS {
            // Asked where the cursor will stand once the answer is stored: past the push's own
            // rows when they follow right on from it (`PushResponse::cursor_after`).
            let cursor = response.cursor_after(replica.cursor().map_err(local)?);
            early = Some((cursor, fetcher.ask(cursor)));
        }
        replica.apply_push(&ops, &response, wall()).map_err(local)?;
        watch.progress.sent += ops.len() as u64;
        watch.tell();
        for (op, result) in ops.iter().zip(&response.results) {
            answered.insert(op.id);
            match &result.outcome {
                Outcome::Applied { .. } => run.report.pushed += 1,
                Outcome::Rejected { code, reason } => {
                    run.report.rejected += 1;
                    run.refused.push(Refusal { op_id: op.id, case_id: op.case_id, code: *code, reason: reason.clone() });
                }
            }
            for conflict in &result.conflicts {
                if conflict.resolution.is_none() && conflicts.insert(conflict.id) {
                    run.report.conflicts += 1;
                }
            }
        }
    }
    Ok(early)
}

/// Pulls pages until the service says there are no more. Each page is stored with its cursor in
/// one transaction, so a sync cut off between pages resumes after the last one stored.
/// The next page is asked for while this one is written: the two take about as long on a first
/// sync of thousands of cases, and each has a core of its own. Asking early is safe: a cursor the
/// device has not stored yet only tells the service that the page before was received, and a
/// page that is then never stored is undone by the service at the next pull (the epoch rule of
/// `PullPage`), exactly as when a page is lost on the way.
/// A conflict counts once per sync however often it is seen (raised by this device's push, then
/// pulled back from the change log).
/// `first` is the first page when the push asked for it already, with the cursor it was asked at.
fn pull<R: Replica>(
    replica: &mut R,
    wall: &dyn Fn() -> DateTime<Utc>,
    run: &mut SyncRun,
    conflicts: &mut HashSet<Uuid>,
    watch: &mut Watch,
    fetcher: &Fetcher<R::Prepared>,
    first: Early<'_, R::Prepared>,
) -> Result<(), SyncError> {
    let mut cursor: Cursor = replica.cursor().map_err(local)?;
    let mut fetched = waiting_for_pages(run, || match first {
        Some((asked_at, fetching)) if asked_at == cursor => fetching.page(),
        Some((_, fetching)) => {
            let _ = fetching.page();
            fetcher.ask(cursor).page()
        }
        None => fetcher.ask(cursor).page(),
    });
    loop {
        let fetched_page = fetched?;
        let page = &fetched_page.page;
        let empty = page.changes.is_empty() && page.removed_cases.is_empty() && page.removed_photos.is_empty();
        if page.has_more && empty && page.cursor == cursor {
            return Err(SyncError::Server {
                status: 200,
                message: format!("it promised more changes after {cursor} but sent none and kept the same position"),
            });
        }
        let next = page.cursor;
        let ahead = page.has_more.then(|| fetcher.ask(next));
        // A failure here ends the sync once the page asked for ahead has come (and is dropped).
        replica.apply_prepared_pull(page, &fetched_page.prepared, wall()).map_err(local)?;
        let progress = &mut watch.progress;
        progress.changes_received += page.changes.len() as u64;
        if let Some(whole) = page.whole {
            progress.cases_received += whole.sent;
            progress.cases_left = whole.left.or(progress.cases_left.map(|left| left.saturating_sub(whole.sent)));
        }
        watch.tell();
        run.report.pulled += page.changes.len() as u64;
        run.report.removed_cases += page.removed_cases.len() as u64;
        for change in &page.changes {
            if let Change::Conflict(c) = change {
                if c.resolution.is_none() && conflicts.insert(c.id) {
                    run.report.conflicts += 1;
                }
            }
        }
        fetcher.free(fetched_page);
        cursor = next;
        match ahead {
            None => return Ok(()),
            Some(fetching) => fetched = waiting_for_pages(run, || fetching.page()),
        }
    }
}

/// `wait()`, its time counted in `SyncRun::waited_for_pages`.
fn waiting_for_pages<T>(run: &mut SyncRun, wait: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let waited = wait();
    run.waited_for_pages += started.elapsed();
    waited
}

/// Fetches the bytes of every photo the replica knows of but does not hold. A photo the
/// service does not have yet (its device has not uploaded it) is simply left for next time.
fn download<R: Replica>(remote: &Remote, replica: &mut R, run: &mut SyncRun) -> Result<(), SyncError> {
    for blob in replica.blobs_to_download().map_err(local)? {
        match remote.download_blob(&blob) {
            Ok(bytes) => {
                replica.store_blob(&blob, &bytes).map_err(local)?;
                run.report.blobs_down += 1;
            }
            Err(e) if e.ends_sync() => return Err(e),
            Err(e) => run.blob_problems.push(BlobProblem { sha256: blob.sha256.clone(), direction: Direction::Down, reason: e.to_string() }),
        }
    }
    Ok(())
}
