//! Posters as the case remembers them: the options a poster is made with, and the record of
//! every poster produced, so that when a child is found every poster can be taken down.

use crate::ids::{CaseId, RecordId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PosterLanguage {
    #[default]
    En,
    Es,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PaperSize {
    #[default]
    Letter,
    A4,
}

/// How to make a poster. `photo_ids` picks and orders the photos (main photo first); empty
/// means the case's primary photo, then its newest consented photos.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct PosterOptions {
    pub language: PosterLanguage,
    pub paper: PaperSize,
    pub photo_ids: Vec<RecordId>,
}

/// A poster that was produced: saved, printed or exported in bulk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PosterRecord {
    pub id: RecordId,
    /// The children on the poster (several for siblings).
    pub case_ids: Vec<CaseId>,
    pub produced_at: DateTime<Utc>,
    pub produced_by: String,
    /// "saved", "printed" or "bulk".
    pub channel: String,
    /// Where it was saved, when it was saved to a file.
    pub destination: String,
    pub language: PosterLanguage,
    pub paper: PaperSize,
    pub photo_ids: Vec<RecordId>,
    /// The public text printed on the poster, as it was on that day.
    pub text: String,
    pub pdf_sha256: String,
}

/// Progress of a bulk poster run, polled by the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BulkProgress {
    pub job: String,
    pub total: u32,
    pub done: u32,
    /// Cases that could not get a poster, with the reason (e.g. no consented photo).
    pub refused: Vec<BulkRefusal>,
    pub finished: bool,
    pub cancelled: bool,
    /// Files written, when finished.
    pub outputs: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BulkRefusal {
    pub case_number: String,
    pub reason: String,
}
