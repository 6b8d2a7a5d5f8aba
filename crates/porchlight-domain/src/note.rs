//! Case notes. A note is never silently changed: an edit is a new version that supersedes the
//! previous one, and every version is kept and can be shown.

use crate::error::FieldError;
use crate::ids::{CaseId, RecordId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NoteCategory {
    Call,
    LeadTip,
    FamilyContact,
    LawEnforcement,
    Media,
    /// Internal notes are confidential: never shared outside the organisation.
    Internal,
}

impl NoteCategory {
    pub const ALL: &'static [NoteCategory] = &[
        NoteCategory::Call,
        NoteCategory::LeadTip,
        NoteCategory::FamilyContact,
        NoteCategory::LawEnforcement,
        NoteCategory::Media,
        NoteCategory::Internal,
    ];

    pub fn label(self) -> &'static str {
        match self {
            NoteCategory::Call => "Call",
            NoteCategory::LeadTip => "Lead / tip",
            NoteCategory::FamilyContact => "Family contact",
            NoteCategory::LawEnforcement => "Law enforcement",
            NoteCategory::Media => "Media",
            NoteCategory::Internal => "Internal",
        }
    }
}

/// What the user writes when adding or editing a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoteInput {
    pub category: NoteCategory,
    pub text: String,
}

impl NoteInput {
    pub const MAX_CHARS: usize = 20_000;

    pub fn validate(&self) -> Result<NoteInput, Vec<FieldError>> {
        let text = self.text.trim().replace("\r\n", "\n");
        if text.is_empty() {
            return Err(vec![FieldError::new("text", "Write the note before saving it.")]);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(vec![FieldError::new("text", format!("Shorten the note to {} characters or fewer, or split it.", Self::MAX_CHARS))]);
        }
        Ok(NoteInput { category: self.category, text })
    }
}

/// One version of a note. The note's id stays the same across versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoteVersion {
    pub note_id: RecordId,
    pub case_id: CaseId,
    /// 1 for the original text, then 2, 3, … for each edit.
    pub version: u32,
    pub category: NoteCategory,
    pub text: String,
    pub author: String,
    pub at: DateTime<Utc>,
}

/// A note as the case view lists it: its current version, when it was first written, and how
/// many versions it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoteRecord {
    pub current: NoteVersion,
    pub first_written_at: DateTime<Utc>,
    pub first_author: String,
    pub versions: u32,
}
