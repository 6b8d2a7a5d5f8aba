//! What happened to a case, for people: the timeline that interleaves notes, status changes,
//! contacts and photos, and the local audit log of who opened, viewed, changed or exported it.

use crate::ids::CaseId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TimelineKind {
    Note,
    Status,
    Contact,
    Photo,
    /// Edits of the case's own fields, creation and archiving.
    Case,
}

/// One entry of a case's timeline, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: TimelineKind,
    /// One line, e.g. "Status: Active → Recovered", "Contact added: Grace Okafor (mother)".
    pub title: String,
    /// The longer text: the note, the reason, the changed fields.
    pub detail: String,
    /// The note, contact or photo this entry is about, to open it.
    pub record_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AuditAction {
    CaseOpened,
    CaseCreated,
    CaseEdited,
    CaseArchived,
    CaseUnarchived,
    StatusChanged,
    NoteAdded,
    NoteEdited,
    ContactAdded,
    ContactEdited,
    ContactRemoved,
    PhotoAdded,
    PhotoEdited,
    PhotoViewed,
    Exported,
    PosterProduced,
    /// This workspace was enrolled with a central service (the device and user ids, never the
    /// token).
    DeviceEnrolled,
    /// This workspace stopped syncing with its central service.
    DeviceUnenrolled,
    /// A person settled a sync conflict (keep mine, keep theirs, or an edited value).
    ConflictResolved,
}

/// One line of the local audit log. Appended only; it will sync to the central service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub seq: i64,
    pub case_id: Option<CaseId>,
    pub action: AuditAction,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// Ids and counts only, never a child's personal data.
    pub detail: String,
}
