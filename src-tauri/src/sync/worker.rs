//! The background sync of the open workspace: one thread that waits for the schedule or a
//! message (a local write, "Sync now", unlock, lock), runs one sync at a time with the workspace
//! locked only call by call, records how it went, and reports the new state after every attempt.
//! On a remote-wipe request it drops and deletes the workspace, tells the service, and reports the
//! removal. It knows nothing of windows: the shell turns its `Notice`s into events.

use super::schedule::{Outcome, Reason, Schedule, Wake};
use super::shared::{SharedError, SharedReplica};
use crate::session::{internal, lock, locked, report, with_workspace, OpenWorkspace};
use chrono::Utc;
use porchlight_domain::{AppError, Moment, SyncProgress, SyncStatus};
use porchlight_store::{StoreError, Workspace};
use porchlight_sync::Replica;
use porchlight_sync_client::{sync_run_watched, Remote, SyncError};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the worker tells the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The state after (or at the start of) an attempt.
    Status(SyncStatus),
    /// The organisation had this workspace deleted; the words say so.
    Removed(String),
}

pub type Notify = Arc<dyn Fn(Notice) + Send + Sync>;

/// The pause between two steps of the backlog. The workspace's mutex is not fair: a thread that
/// unlocks and locks again at once keeps it, and a search the person typed waited behind every
/// step of a 30,000-case backlog (8 s in a debug build). The pause lets a waiting command take
/// the lock; 30 steps cost 0.15 s more in all.
const BETWEEN_STEPS: Duration = Duration::from_millis(5);

/// What the commands tell the worker.
pub enum Message {
    /// Something was written (or may have been): sync soon if anything waits.
    Wrote,
    /// Unlocked or enrolled: sync at once and keep syncing.
    Start,
    /// Locked or unenrolled: stop until started again.
    Stop,
    /// "Sync now": the state after the attempt, or why there is none.
    Now(tokio::sync::oneshot::Sender<Result<SyncStatus, AppError>>),
}

/// The shortest time between two reports of a sync's progress. A page of a first sync or a
/// batch of a long push is stored every 0.1 to 0.5 s; each report reads the workspace's counts
/// and has the window fetch the case list again, which is worth doing a few times a second at
/// most.
const BETWEEN_PROGRESS: Duration = Duration::from_millis(400);

/// What only the running session knows of sync, overlaid on the workspace's own state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Live {
    /// The service answered the last attempt.
    pub online: bool,
    pub syncing: bool,
    /// How far the sync running now has come.
    pub progress: Option<SyncProgress>,
}

/// The commands' end of the worker: cheap to clone, never blocks.
#[derive(Clone)]
pub struct SyncHandle {
    tx: Sender<Message>,
    pub(crate) live: Arc<Mutex<Live>>,
}

/// The worker's end, handed to `spawn` once the window exists.
pub struct Inbox {
    rx: Receiver<Message>,
    live: Arc<Mutex<Live>>,
}

pub fn channel() -> (SyncHandle, Inbox) {
    let (tx, rx) = mpsc::channel();
    let live = Arc::new(Mutex::new(Live::default()));
    (
        SyncHandle {
            tx,
            live: Arc::clone(&live),
        },
        Inbox { rx, live },
    )
}

impl SyncHandle {
    /// Sending fails only once the worker has ended with the app; nothing is left to tell then.
    pub fn send(&self, message: Message) {
        let _ = self.tx.send(message);
    }

    pub fn wrote(&self) {
        self.send(Message::Wrote);
    }

    pub fn start(&self) {
        self.send(Message::Start);
    }

    pub fn stop(&self) {
        self.send(Message::Stop);
    }

    #[cfg(test)]
    pub fn live(&self) -> Live {
        *self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The number of the last status read; see `SyncStatus::version`.
static LAST_VERSION: AtomicU64 = AtomicU64::new(0);

/// The workspace's sync state with what this session knows overlaid, numbered. The session's
/// part is read and the number taken while the workspace is held, so a status with a higher
/// number was read later in both: the worker changes `live` before it reads the status it
/// pushes, and a command that waited for the workspace meanwhile reads the change too.
pub fn status(open: &OpenWorkspace, live: &Mutex<Live>) -> Result<SyncStatus, AppError> {
    with_workspace(open, |w| {
        let mut status = w.sync_status().map_err(report)?;
        let live = *live.lock().unwrap_or_else(|p| p.into_inner());
        status.online = status.enrolled && live.online;
        status.syncing = status.enrolled && live.syncing;
        status.progress = live.progress.filter(|_| status.syncing);
        status.version = LAST_VERSION.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(status)
    })
}

/// Starts the worker thread; it ends when every `SyncHandle` is gone.
pub fn spawn(
    inbox: Inbox,
    open: OpenWorkspace,
    path: PathBuf,
    notify: Notify,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let worker = Worker {
        open,
        path,
        live: inbox.live,
        notify,
    };
    std::thread::Builder::new()
        .name("porchlight-sync".into())
        .spawn(move || worker.run(inbox.rx))
}

pub(crate) struct Worker {
    pub(crate) open: OpenWorkspace,
    pub(crate) path: PathBuf,
    pub(crate) live: Arc<Mutex<Live>>,
    pub(crate) notify: Notify,
}

impl Worker {
    fn run(&self, rx: Receiver<Message>) {
        let mut schedule = Schedule::default();
        let mut waiting = Vec::new();
        loop {
            let first = match schedule.wake() {
                Wake::Now => None,
                Wake::Never => match rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return,
                },
                Wake::At(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now()))
                {
                    Ok(m) => Some(m),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
            };
            // Everything already queued is taken in before deciding, so a burst of writes and a
            // "Sync now" that arrived together make one attempt.
            let mut wrote = false;
            let mut started = false;
            for message in first.into_iter().chain(rx.try_iter()) {
                match message {
                    Message::Wrote => {
                        schedule.wrote(Instant::now());
                        wrote = true;
                    }
                    Message::Start => {
                        schedule.start();
                        started = true;
                    }
                    Message::Stop => {
                        schedule.stop();
                        self.set_live(Live::default());
                    }
                    Message::Now(reply) => {
                        schedule.ask();
                        waiting.push(reply);
                    }
                }
            }
            // The count of changes waiting must move as the person works, not only when the
            // next attempt comes round, which after a failed one may be minutes away.
            if wrote {
                self.publish();
            }
            if let Some(reason) = schedule.take(Instant::now()) {
                let outcome = self.attempt(reason);
                schedule.finished(Instant::now(), outcome);
                let answer = status(&self.open, &self.live);
                for reply in waiting.drain(..) {
                    let _ = reply.send(answer.clone());
                }
                self.index_backlog();
            } else if started {
                // A sync stopped by a lock or a closed app may have left cases to make searchable.
                self.index_backlog();
            }
        }
    }

    /// Makes the cases that arrived whole searchable, a step at a time with the workspace
    /// locked only for each step, so the person's commands run in between.
    pub(crate) fn index_backlog(&self) {
        self.index_backlog_in_steps_of(porchlight_store::SEARCH_BACKLOG_STEP);
    }

    pub(crate) fn index_backlog_in_steps_of(&self, cases: usize) {
        let started = Instant::now();
        let mut indexed = 0u32;
        loop {
            let step = with_workspace(&self.open, |w| {
                let before = w.search_backlog().map_err(report)?;
                let left = if before == 0 { 0 } else { w.index_backlog(cases).map_err(report)? };
                Ok((before, left))
            });
            match step {
                Ok((before, left)) => {
                    indexed += before - left;
                    if left == 0 {
                        break;
                    }
                    std::thread::sleep(BETWEEN_STEPS);
                }
                // Locked or failed: whatever is left waits for the next sync or unlock.
                Err(_) => break,
            }
        }
        if indexed > 0 {
            log::info!("sync: {indexed} case(s) made searchable in {:.1} s", started.elapsed().as_secs_f64());
        }
    }

    fn live(&self) -> Live {
        *self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_live(&self, live: Live) {
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = live;
    }

    /// Tells the window the state now; a locked workspace has none to tell.
    fn publish(&self) {
        if let Ok(status) = status(&self.open, &self.live) {
            (self.notify)(Notice::Status(status));
        }
    }

    /// One sync, if there is anything to sync with and, for a write, anything to send.
    pub(crate) fn attempt(&self, reason: Reason) -> Outcome {
        let ready = with_workspace(&self.open, |w| {
            Ok((
                w.sync_identity().map_err(report)?,
                w.pending_count().map_err(report)?,
            ))
        });
        let Ok((Some(identity), pending)) = ready else {
            return Outcome::Stopped;
        };
        if reason == Reason::Written && pending == 0 {
            return Outcome::Skipped;
        }
        let before = self.live();
        self.set_live(Live {
            syncing: true,
            progress: None,
            ..before
        });
        self.publish();
        let outcome = match Remote::new(&identity.server_url, &identity.token) {
            Err(e) => self.failed(e),
            Ok(remote) => {
                let mut replica = SharedReplica::new(Arc::clone(&self.open));
                let mut last_told: Option<Instant> = None;
                let mut watch = |progress: &SyncProgress| {
                    self.progressed(*progress, &mut last_told, Instant::now())
                };
                match sync_run_watched(&remote, &mut replica, &Utc::now, &mut watch) {
                    Ok(run) => {
                        if !run.refused.is_empty() {
                            log::info!("sync: the service refused {} change(s); they are listed for the user", run.refused.len());
                        }
                        for problem in &run.blob_problems {
                            log::warn!(
                                "sync: photo {} left for the next sync: {}",
                                problem.sha256,
                                problem.reason
                            );
                        }
                        self.set_live(Live {
                            online: true,
                            syncing: false,
                            progress: None,
                        });
                        let recorded = with_workspace(&self.open, |w| {
                            w.record_sync_attempt(Ok(&run.report), Moment::now())
                                .map_err(report)
                        });
                        if recorded.is_err() {
                            Outcome::Stopped
                        } else {
                            Outcome::Synced
                        }
                    }
                    Err(SyncError::WipeRequested) => {
                        self.wipe(&remote);
                        return Outcome::Stopped;
                    }
                    Err(e) => self.failed(e),
                }
            }
        };
        self.set_live(Live {
            syncing: false,
            progress: None,
            ..self.live()
        });
        self.publish();
        outcome
    }

    /// Keeps a sync's progress for the status, and tells the window of it unless it was told
    /// less than `BETWEEN_PROGRESS` ago (the end of the sync is always told).
    pub(crate) fn progressed(&self, progress: SyncProgress, last_told: &mut Option<Instant>, now: Instant) {
        self.set_live(Live {
            progress: Some(progress),
            ..self.live()
        });
        if last_told.is_some_and(|at| now.saturating_duration_since(at) < BETWEEN_PROGRESS) {
            return;
        }
        *last_told = Some(now);
        self.publish();
    }

    /// Records why the attempt failed, in words, and how long to wait before the next.
    fn failed(&self, error: SyncError) -> Outcome {
        if let SyncError::Replica(inner) = &error {
            if matches!(
                inner.downcast_ref::<SharedError<StoreError>>(),
                Some(SharedError::Locked)
            ) {
                // Locked under the sync: nothing to record in, and nothing to sync until unlocked.
                self.set_live(Live::default());
                return Outcome::Stopped;
            }
        }
        let silent = matches!(
            error,
            SyncError::Unreachable { .. } | SyncError::Server { status: 0, .. }
        );
        let busy = matches!(error, SyncError::Server { status, .. } if status >= 500);
        log::warn!("sync failed: {error}");
        let app = AppError::from(error);
        self.set_live(Live {
            online: !silent,
            syncing: false,
            progress: None,
        });
        let _ = with_workspace(&self.open, |w| {
            w.record_sync_attempt(Err(&app.message), Moment::now())
                .map_err(report)
        });
        if silent || busy {
            Outcome::Unreachable
        } else {
            Outcome::Failed
        }
    }

    /// The remote wipe: the workspace is dropped (which forgets its key), its files deleted, and
    /// only then the service told, so it never hears "wiped" of a workspace still on disk.
    fn wipe(&self, remote: &Remote) {
        log::warn!("sync: the service asked for this device's workspace to be deleted");
        drop(lock(&self.open).take());
        self.set_live(Live::default());
        let message = match Workspace::destroy(&self.path) {
            Ok(()) => {
                if let Err(e) = remote.report_wiped() {
                    log::error!(
                        "sync: the workspace was deleted but the service could not be told: {e}"
                    );
                }
                "Your organisation removed this computer's workspace: its cases are no longer on this computer. To work here again, create a new workspace and enrol it.".to_owned()
            }
            Err(e) => {
                log::error!("sync: the workspace to wipe could not be deleted: {e}");
                format!(
                    "Your organisation asked for this computer's workspace to be removed, but its file could not be deleted ({e}). It is locked; ask your administrator to remove {} by hand.",
                    self.path.display()
                )
            }
        };
        (self.notify)(Notice::Removed(message));
    }
}

/// For the commands: "Sync now" needs an enrolment, and says so in words.
pub fn not_enrolled() -> AppError {
    AppError::new(
        porchlight_domain::ErrorCode::NotEnrolled,
        "This computer is not enrolled with a central service yet; choose \"Enrol this device…\" in the top bar first.",
    )
}

/// The reply when the worker is gone (the app is closing).
pub fn gone() -> AppError {
    log::error!("the sync worker stopped before answering");
    internal()
}

pub(crate) fn unlocked_or(open: &OpenWorkspace) -> Result<(), AppError> {
    if lock(open).is_some() {
        Ok(())
    } else {
        Err(locked())
    }
}
