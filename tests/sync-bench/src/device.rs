//! One device of the benchmark: a real SQLCipher workspace and the real sync engine's `Remote`,
//! enrolled with the central service by logging in as a synthetic person. It does no timing;
//! the flow in `bench` times what it calls here.

use crate::central::Account;
use crate::BenchError;
use chrono::{DateTime, Utc};
use porchlight_domain::{EnrolForm, Moment, SyncReport};
use porchlight_store::{SyncIdentity, Workspace};
use porchlight_sync::Replica;
use porchlight_sync_client::{sync_run, Remote, SyncRun};
use std::path::Path;

/// Every benchmark workspace's passphrase (the workspaces are thrown away after the run).
pub const PASSPHRASE: &str = "Bench lanterns sync 2026!";

/// The local clock, read at the edge as the app reads it. The service refuses ops stamped far
/// ahead of its own clock, so the benchmark's edits carry the real time.
pub fn wall() -> DateTime<Utc> {
    Utc::now()
}

pub fn moment() -> Moment {
    Moment::now()
}

/// What one timed sync did.
#[derive(Debug, Clone, Copy)]
pub struct Timed {
    pub time: std::time::Duration,
    pub pushed: u64,
    pub pulled: u64,
    /// The part of `time` the device waited for pull pages (with `--profile`, which asks for
    /// no page ahead, every pull's round trip).
    pub waited: std::time::Duration,
}

pub struct Device {
    pub ws: Workspace,
    pub remote: Remote,
    /// The device token, for opening the same workspace in another process or through another
    /// address (the byte-counting relay).
    pub token: String,
}

impl Device {
    /// Logs in as `account` at `url`, which enrols this device, and records the enrolment in
    /// the workspace as the app does.
    pub fn enrol(mut ws: Workspace, url: &str, account: &Account, device_name: &str) -> Result<Device, BenchError> {
        let form = EnrolForm {
            server_url: url.to_owned(),
            username: account.username.clone(),
            password: account.password.clone(),
            totp: account.code().unwrap_or_default(),
            device_name: device_name.to_owned(),
        };
        let (remote, enrolment) = Remote::enrol(url, &form)?;
        let identity = SyncIdentity {
            server_url: url.to_owned(),
            device_id: enrolment.device_id,
            token: enrolment.token.clone(),
            user_id: enrolment.user_id,
            username: enrolment.username,
            display_name: enrolment.display_name,
            role: enrolment.role,
        };
        ws.set_sync_identity(&identity, moment())?;
        Ok(Device { ws, remote, token: enrolment.token })
    }

    /// An enrolled workspace reached through `url` with `token`.
    pub fn open(path: &Path, url: &str, token: &str) -> Result<Device, BenchError> {
        let ws = Workspace::open(path, PASSPHRASE)?;
        Ok(Device { ws, remote: Remote::new(url, token)?, token: token.to_owned() })
    }

    /// One sync as the app makes it. A change the service refused is a failure here: the
    /// benchmark's data is valid and in scope, so a refusal means a bug, not a figure.
    pub fn sync(&mut self) -> Result<SyncReport, BenchError> {
        self.sync_run().map(|run| run.report)
    }

    /// `sync`, with everything the engine tells of the run.
    pub fn sync_run(&mut self) -> Result<SyncRun, BenchError> {
        let run = sync_run(&self.remote, &mut self.ws, &wall)?;
        if let Some(refusal) = run.refused.first() {
            return Err(BenchError::Check(format!(
                "the service refused {} change(s) of valid, in-scope casework; the first: {:?} {}",
                run.refused.len(),
                refusal.code,
                refusal.reason
            )));
        }
        Ok(run)
    }

    /// One sync, timed: through the engine's `sync_run`, or phase by phase when `profile` is
    /// set (the breakdown is printed). Answers the time, the ops pushed and the changes pulled.
    pub fn timed_sync(&mut self, profile: Option<&str>) -> Result<Timed, BenchError> {
        match profile {
            None => {
                let started = std::time::Instant::now();
                let run = self.sync_run()?;
                Ok(Timed { time: started.elapsed(), pushed: run.report.pushed, pulled: run.report.pulled, waited: run.waited_for_pages })
            }
            Some(title) => {
                let phases = crate::profile::sync(self)?;
                print!("{}", phases.lines(title));
                Ok(Timed { time: phases.total, pushed: phases.ops as u64, pulled: phases.changes as u64, waited: phases.pull_http })
            }
        }
    }

    pub fn pending(&self) -> Result<u64, BenchError> {
        Ok(self.ws.pending_count()?)
    }

    /// Body bytes the engine itself counted (sent, received), compressed.
    pub fn engine_bytes(&self) -> (u64, u64) {
        self.remote.bytes_on_wire()
    }
}
