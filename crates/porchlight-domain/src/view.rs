//! Everything about one child in one place: what the case view shows when a case is opened.

use crate::case::CaseRecord;
use crate::contact::ContactRecord;
use crate::note::NoteRecord;
use crate::photo::PhotoRecord;
use crate::status::StatusEvent;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseView {
    pub record: CaseRecord,
    /// Current contacts first (primary first), then removed ones, which stay visible in history.
    pub contacts: Vec<ContactRecord>,
    /// Current versions, newest first.
    pub notes: Vec<NoteRecord>,
    /// Oldest first; the last entry is the current status.
    pub status_history: Vec<StatusEvent>,
    pub photos: Vec<PhotoRecord>,
    /// Set when the newest photo of the child is more than two years old: "The newest photo of
    /// Maya is from March 2023; ask the family for a recent one or request an age progression."
    pub photo_warning: Option<String>,
    /// Names of current contacts marked "do not disclose case updates", so every screen that
    /// shares anything can warn.
    pub do_not_disclose: Vec<String>,
}
