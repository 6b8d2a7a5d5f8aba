//! The case list: what a page of cases asks for and what it returns.

use crate::codes::{CaseStatus, CaseType};
use crate::ids::CaseId;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SortKey {
    /// Family name, then given name.
    Name,
    CaseNumber,
    #[default]
    MissingDate,
    Status,
    State,
    CaseType,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SortDir {
    Asc,
    #[default]
    Desc,
}

/// One page of the case list, with its sort and filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct ListQuery {
    pub offset: u32,
    /// At most `ListQuery::MAX_LIMIT` rows.
    pub limit: u32,
    pub sort: SortKey,
    pub dir: SortDir,
    pub status: Option<CaseStatus>,
    pub case_type: Option<CaseType>,
    /// A USPS state code.
    pub state: Option<String>,
    /// Matches the start of the child's given or family name, or the case number.
    pub search: Option<String>,
    pub include_archived: bool,
}

impl ListQuery {
    pub const MAX_LIMIT: u32 = 500;
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            offset: 0,
            limit: 100,
            sort: SortKey::default(),
            dir: SortDir::default(),
            status: None,
            case_type: None,
            state: None,
            search: None,
            include_archived: false,
        }
    }
}

/// A case as one row of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseSummary {
    pub id: CaseId,
    pub case_number: String,
    pub given_name: String,
    pub family_name: String,
    pub status: CaseStatus,
    pub case_type: CaseType,
    pub state: Option<String>,
    pub city: String,
    /// YYYY-MM-DD.
    pub missing_date: String,
    /// YYYY-MM-DD, when known.
    pub date_of_birth: Option<String>,
    pub missing_from_care: bool,
    pub archived: bool,
    /// RFC 3339.
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CasePage {
    pub rows: Vec<CaseSummary>,
    /// How many cases match the filters in all.
    pub total: u32,
    pub offset: u32,
}
