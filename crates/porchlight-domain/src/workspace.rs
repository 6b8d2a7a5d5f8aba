//! What a front end needs to know about the local workspace before it is unlocked.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WorkspaceStatus {
    /// Where the encrypted workspace file is (or will be created).
    pub path: String,
    /// A workspace file exists there: show the unlock screen, not the create screen.
    pub exists: bool,
    /// It is open in this session.
    pub unlocked: bool,
}
