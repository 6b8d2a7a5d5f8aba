//! Photo metadata as the UI and the poster see it. The bytes live in the workspace's
//! content-addressed store; only metadata crosses to the UI, with small thumbnails.

use crate::error::FieldError;
use crate::ids::{CaseId, RecordId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PhotoKind {
    /// A photo of the child.
    Photo,
    /// An artist's image of the child at an older age: "Age progressed to N".
    AgeProgressed,
    Companion,
    Vehicle,
}

/// What the user says about a photo when adding or editing it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct PhotoMeta {
    pub kind: Option<PhotoKind>,
    /// The age shown, for an age-progressed image.
    pub age_progressed_to: Option<u8>,
    /// YYYY-MM-DD; filled from EXIF when the image carries it.
    pub taken_on: String,
    /// The child's age in the photo, in years.
    pub child_age: Option<u8>,
    /// Where the image came from, e.g. "mother", "school portrait", "forensic artist".
    pub source: String,
    /// The family or guardian agreed that this photo may be published (posters, public pages).
    pub consent_to_publish: bool,
}

impl PhotoMeta {
    /// Checks the metadata. `today` bounds the date; field paths are `kind`, `taken_on`, ….
    pub fn validate(&self, today: NaiveDate) -> Result<PhotoMeta, Vec<FieldError>> {
        let mut m = self.clone();
        let mut errors = Vec::new();
        match m.kind {
            None => errors.push(FieldError::new("kind", "Say what the photo shows.")),
            Some(PhotoKind::AgeProgressed) => match m.age_progressed_to {
                None => errors.push(FieldError::new("age_progressed_to", "Enter the age the image was progressed to.")),
                Some(a) if !(1..=60).contains(&a) => errors.push(FieldError::new("age_progressed_to", "Enter an age from 1 to 60.")),
                _ => {}
            },
            Some(_) => m.age_progressed_to = None,
        }
        m.taken_on = m.taken_on.trim().to_owned();
        if !m.taken_on.is_empty() {
            match NaiveDate::parse_from_str(&m.taken_on, "%Y-%m-%d") {
                Ok(d) if d > today => errors.push(FieldError::new("taken_on", "The date taken is in the future; check it.")),
                Ok(_) => {}
                Err(_) => errors.push(FieldError::new("taken_on", "Use YYYY-MM-DD, e.g. 2025-06-01.")),
            }
        }
        if m.child_age.is_some_and(|a| a > 25) {
            errors.push(FieldError::new("child_age", "Enter the child's age in the photo, 0 to 25."));
        }
        m.source = m.source.split_whitespace().collect::<Vec<_>>().join(" ");
        if m.source.chars().count() > 200 {
            errors.push(FieldError::new("source", "Shorten the source to 200 characters or fewer."));
        }
        if errors.is_empty() {
            Ok(m)
        } else {
            Err(errors)
        }
    }
}

/// A photo attached to a case, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PhotoRecord {
    pub id: RecordId,
    pub case_id: CaseId,
    pub sha256: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub size_bytes: u32,
    pub meta: PhotoMeta,
    pub is_primary: bool,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
}
