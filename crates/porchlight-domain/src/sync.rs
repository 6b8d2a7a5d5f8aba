//! What the app shows of sync: the always-visible sync state, the enrolment form, the conflict
//! inbox and the changes the central service refused. The protocol itself is in the
//! `porchlight-sync` crate; these are the shapes that cross into the UI.

use crate::ids::CaseId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The sync state, shown at all times in the app's status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    /// This workspace is enrolled with a central service.
    pub enrolled: bool,
    /// The service's address, when enrolled.
    pub server: Option<String>,
    /// Who this device syncs as: "Display Name (username)".
    pub user: Option<String>,
    /// `case_manager`, `volunteer`…
    pub role: Option<String>,
    /// The service answered the last attempt (false before any attempt).
    pub online: bool,
    /// A sync is running now.
    pub syncing: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, in words for the user; `None` after a good sync.
    pub last_error: Option<String>,
    /// Local changes not yet accepted by the service.
    #[ts(type = "number")]
    pub pending: u64,
    /// Conflicts waiting for a person to resolve them.
    #[ts(type = "number")]
    pub conflicts: u64,
    /// Changes the service refused, not yet dismissed.
    #[ts(type = "number")]
    pub rejected: u64,
    /// How far the sync running now has come; `None` when none runs or it has not told yet.
    pub progress: Option<SyncProgress>,
    /// Numbers the statuses of one running app in the order their state was read, so that the
    /// window keeps the newest whichever reaches it last: an answer read before a sync ended can
    /// arrive after the status pushed at its end. 0 when no app numbered it.
    #[ts(type = "number")]
    #[serde(default)]
    pub version: u64,
}

/// How far one sync has come, told after each batch of changes sent and each page received,
/// so that a long first sync or a push of days of offline work shows more than "Syncing…".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    /// Local changes the service has answered so far in this sync.
    #[ts(type = "number")]
    pub sent: u64,
    /// Local changes there were to send: those waiting when the sync began, and any made during it.
    #[ts(type = "number")]
    pub to_send: u64,
    /// Cases received whole so far: a first sync, or cases newly shared with this user.
    #[ts(type = "number")]
    pub cases_received: u64,
    /// Cases the service still has to send whole, as it counted with its last page that sent
    /// some; `None` before such a page.
    #[ts(type = "number | null")]
    pub cases_left: Option<u64>,
    /// Every change received so far, those of the cases received whole included.
    #[ts(type = "number")]
    pub changes_received: u64,
}

/// Enrolling this device with a central service.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct EnrolForm {
    /// e.g. `https://sync.example.org` or `http://127.0.0.1:8443`.
    pub server_url: String,
    pub username: String,
    pub password: String,
    /// The six-digit code, for accounts with a second factor.
    pub totp: String,
    /// How this device is listed to administrators, e.g. "Field laptop 3".
    pub device_name: String,
}

/// One side of a conflict, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConflictSideView {
    /// The value in words ("Brown", "5 ft 2 in", "(empty)").
    pub display: String,
    /// The value as JSON text, for the "edit" choice to start from.
    pub raw: String,
    /// Who wrote it.
    pub by: String,
    pub at: DateTime<Utc>,
    /// It was written on this device.
    pub this_device: bool,
}

/// A conflict waiting in the inbox: two writes of one field made without seeing each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConflictView {
    pub id: String,
    pub case_id: CaseId,
    pub case_number: String,
    pub child_name: String,
    /// The dotted field (`child.given_name`), or `status`.
    pub field: String,
    /// The field in words ("Given name", "Status").
    pub field_label: String,
    /// The value written on this device (or, when neither side is from this device, the one
    /// not in force).
    pub mine: ConflictSideView,
    /// The other value.
    pub theirs: ConflictSideView,
    /// Which side is in force now.
    pub in_force: ConflictChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ConflictChoice {
    Mine,
    Theirs,
}

/// How a person settles a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "choice", rename_all = "snake_case")]
#[ts(export)]
pub enum ConflictResolution {
    KeepMine,
    KeepTheirs,
    /// A new value, as JSON text of the field's type.
    Edit { value: String },
}

/// A local change the central service refused for good, shown until the user dismisses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RejectedChange {
    pub op_id: String,
    pub case_id: CaseId,
    pub case_number: String,
    /// What the change was, in words ("Edit of Ana Quiroga: given name, city").
    pub what: String,
    /// The service's reason.
    pub reason: String,
    pub made_at: DateTime<Utc>,
    pub refused_at: DateTime<Utc>,
}

/// What one sync did, for the CLI and the status bar's tooltip.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncReport {
    #[ts(type = "number")]
    pub pushed: u64,
    #[ts(type = "number")]
    pub rejected: u64,
    #[ts(type = "number")]
    pub pulled: u64,
    #[ts(type = "number")]
    pub conflicts: u64,
    #[ts(type = "number")]
    pub removed_cases: u64,
    #[ts(type = "number")]
    pub blobs_up: u64,
    #[ts(type = "number")]
    pub blobs_down: u64,
}
