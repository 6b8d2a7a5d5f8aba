//! Instant search across cases: the query with its filters, and hits whose matched text is
//! split into plain and highlighted segments (never HTML, so nothing a user typed can inject
//! markup into the page).

use crate::codes::{CaseStatus, CaseType};
use crate::list::CaseSummary;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct SearchQuery {
    /// Words to find in names, aliases, case numbers, agency and NCIC numbers, places,
    /// circumstances, notes and contact names. Empty lists by the filters alone.
    pub text: String,
    pub status: Option<CaseStatus>,
    pub case_type: Option<CaseType>,
    pub state: Option<String>,
    pub missing_from_care: Option<bool>,
    /// The child's age today, inclusive bounds.
    pub age_min: Option<u8>,
    pub age_max: Option<u8>,
    pub has_photo: Option<bool>,
    pub include_archived: bool,
    /// At most 200; default 50.
    pub limit: u32,
}

/// A run of text, highlighted when it matched the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub case: CaseSummary,
    /// Where the best match was, for people: "Name", "Note", "Contact", "Circumstances", ….
    pub matched_in: String,
    pub snippet: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// True when more cases matched than were returned (results are ranked and cut off).
    pub more: bool,
    /// Cases just received from the central service whose words cannot be found yet: their
    /// search entries are being written, and they join the results within seconds.
    pub indexing: u32,
}

/// A case that may be the same child as the one being saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DuplicateCandidate {
    pub case: CaseSummary,
    /// Why it looks the same, e.g. "Name sounds like Maya Okafor", "Born within a year", "Same state".
    pub reasons: Vec<String>,
}
