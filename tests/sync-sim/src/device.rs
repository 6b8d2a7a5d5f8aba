//! One simulated device: a real encrypted workspace in a temporary folder, enrolled with the
//! service through the real engine, its own wall clock (skewed by hours), and two places where
//! the run reaches into a sync. The engine's fault hook loses replies, repeats requests, cuts
//! photo transfers and takes the network away; `Recording` stands between the engine and the
//! workspace (both sides of the `Replica` trait are the real ones) to note every answer the
//! service gave, to crash before a pulled page is applied or apply it twice, and to send one op
//! stamped far in the future. It decides nothing about what the run does or checks.

use chrono::{DateTime, Duration, Utc};
use porchlight_domain::Moment;
use porchlight_store::{StoreError, Workspace};
use porchlight_sync::{BlobRef, Cursor, Hello, Op, OpResult, PullPage, PushResponse, Replica, Stamp};
use porchlight_sync_client::{Fault, Phase, Remote};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// What happens to the next pulled page before the workspace sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFault {
    /// The device stops after receiving the page and before applying it.
    Crash,
    /// The page is applied, then applied again.
    Twice,
}

/// Why the recording replica failed a call: the workspace's own error, or a crash the run
/// injected.
#[derive(Debug)]
pub enum RecordingError {
    Store(StoreError),
    Crash,
}

impl std::fmt::Display for RecordingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordingError::Store(e) => write!(f, "{e}"),
            RecordingError::Crash => f.write_str("the device stopped after receiving a page and before applying it (injected crash)"),
        }
    }
}

impl std::error::Error for RecordingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RecordingError::Store(e) => Some(e),
            RecordingError::Crash => None,
        }
    }
}

impl From<StoreError> for RecordingError {
    fn from(e: StoreError) -> Self {
        RecordingError::Store(e)
    }
}

/// The workspace as the engine drives it, with the run's notes and injected faults around it.
pub struct Recording {
    pub ws: Workspace,
    /// Ops the engine took from the outbox during the current sync (noted from `outbox`, which
    /// only has `&self`).
    pub offered: std::cell::RefCell<Vec<Uuid>>,
    /// Every answer received, in order, until the run collects them.
    pub answers: Vec<(Op, OpResult)>,
    pub page_fault: Option<PageFault>,
    /// An op to send with this stamp instead of its own, as a device whose clock was far ahead
    /// when it was made would.
    pub future: Option<(Uuid, Stamp)>,
    pub pages_applied: u64,
}

impl Replica for Recording {
    type Error = RecordingError;

    fn observe_server(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<(), Self::Error> {
        Ok(self.ws.observe_server(hello, wall)?)
    }

    fn restamp_ahead(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<u64, Self::Error> {
        Ok(self.ws.restamp_ahead(hello, wall)?)
    }

    fn outbox(&self, limit: usize) -> Result<Vec<Op>, Self::Error> {
        let mut ops = self.ws.outbox(limit)?;
        if let Some((id, stamp)) = self.future {
            for op in ops.iter_mut().filter(|op| op.id == id) {
                op.stamp = stamp;
            }
        }
        self.offered.borrow_mut().extend(ops.iter().map(|op| op.id));
        Ok(ops)
    }

    fn pending_count(&self) -> Result<u64, Self::Error> {
        Ok(self.ws.pending_count()?)
    }

    fn apply_push(&mut self, pushed: &[Op], response: &PushResponse, wall: DateTime<Utc>) -> Result<(), Self::Error> {
        for (op, result) in pushed.iter().zip(&response.results) {
            self.answers.push((op.clone(), result.clone()));
        }
        // The workspace made the far-future op with its own stamp: it is told of the answer
        // with the op as it holds it, as it would be had its clock really been ahead.
        let Some((moved, _)) = self.future else {
            return Ok(self.ws.apply_push(pushed, response, wall)?);
        };
        let own = self.ws.outbox(usize::MAX)?;
        let restored: Vec<Op> = pushed
            .iter()
            .map(|op| {
                if op.id == moved {
                    own.iter().find(|o| o.id == moved).cloned().unwrap_or_else(|| op.clone())
                } else {
                    op.clone()
                }
            })
            .collect();
        Ok(self.ws.apply_push(&restored, response, wall)?)
    }

    fn cursor(&self) -> Result<Cursor, Self::Error> {
        Ok(self.ws.cursor()?)
    }

    type Prepared = <Workspace as Replica>::Prepared;

    fn prepare_pull(page: &PullPage) -> Self::Prepared {
        Workspace::prepare_pull(page)
    }

    fn apply_pull(&mut self, page: &PullPage, wall: DateTime<Utc>) -> Result<(), Self::Error> {
        let prepared = Self::prepare_pull(page);
        self.apply_prepared_pull(page, &prepared, wall)
    }

    /// The page as the engine made it ready on its fetching thread, so that the simulation
    /// stores pages the way a device does.
    fn apply_prepared_pull(&mut self, page: &PullPage, prepared: &Self::Prepared, wall: DateTime<Utc>) -> Result<(), Self::Error> {
        match self.page_fault.take() {
            Some(PageFault::Crash) => Err(RecordingError::Crash),
            Some(PageFault::Twice) => {
                self.ws.apply_prepared_pull(page, prepared, wall)?;
                self.ws.apply_prepared_pull(page, prepared, wall)?;
                self.pages_applied += 1;
                Ok(())
            }
            None => {
                self.ws.apply_prepared_pull(page, prepared, wall)?;
                self.pages_applied += 1;
                Ok(())
            }
        }
    }

    fn blobs_to_upload(&self) -> Result<Vec<BlobRef>, Self::Error> {
        Ok(self.ws.blobs_to_upload()?)
    }

    fn blob_bytes(&self, sha256: &str) -> Result<Vec<u8>, Self::Error> {
        Ok(self.ws.blob_bytes(sha256)?)
    }

    fn mark_uploaded(&mut self, sha256: &str) -> Result<(), Self::Error> {
        Ok(self.ws.mark_uploaded(sha256)?)
    }

    fn blobs_to_download(&self) -> Result<Vec<BlobRef>, Self::Error> {
        Ok(self.ws.blobs_to_download()?)
    }

    fn store_blob(&mut self, blob: &BlobRef, bytes: &[u8]) -> Result<(), Self::Error> {
        Ok(self.ws.store_blob(blob, bytes)?)
    }
}

/// The faults armed for a device's next requests, and what its requests did; shared between
/// the run and the engine's fault hook.
#[derive(Debug, Default)]
pub struct Net {
    /// Each armed fault hits the first request of its phase, once.
    pub armed: VecDeque<(Phase, Fault)>,
    /// Pushes that reached the service (answered or not) since the run last looked.
    pub pushes_reached: u32,
    /// Faults that did hit a request, in words, since the run last looked.
    pub hit: Vec<String>,
    /// Every request is refused, as with the network down.
    pub offline: bool,
}

pub fn hook(net: Arc<Mutex<Net>>) -> porchlight_sync_client::FaultHook {
    Arc::new(move |path: &str, phase: Phase| {
        let mut net = net.lock().expect("the net lock");
        if net.offline {
            return Some(Fault::Offline);
        }
        let fault = net
            .armed
            .iter()
            .position(|(p, _)| *p == phase)
            .and_then(|i| net.armed.remove(i))
            .map(|(_, f)| f);
        if let Some(f) = fault {
            net.hit
                .push(format!("{f:?} on {phase:?} {}", path.split('?').next().unwrap_or(path)));
        }
        if phase == Phase::Push && fault != Some(Fault::Offline) {
            net.pushes_reached += 1;
        }
        fault
    })
}

pub struct Device {
    pub index: usize,
    pub person: usize,
    pub path: PathBuf,
    pub passphrase: String,
    /// How far this device's wall clock is from the truth.
    pub skew: Duration,
    pub replica: Recording,
    pub remote: Remote,
    pub token: String,
    pub device_id: Uuid,
    pub net: Arc<Mutex<Net>>,
    /// Steps left before the device is back online; 0 when online.
    pub offline_for: usize,
}

impl Device {
    /// This device's wall clock now.
    pub fn wall(&self) -> DateTime<Utc> {
        Utc::now() + self.skew
    }

    pub fn now(&self) -> Moment {
        Moment::at_utc(self.wall())
    }

    pub fn ws(&mut self) -> &mut Workspace {
        &mut self.replica.ws
    }
}
