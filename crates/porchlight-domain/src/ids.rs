//! Identifiers. Every record gets a UUIDv7 made on the device that created it, so ids sort by
//! creation time and never collide between devices that work offline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use ts_rs::TS;
use uuid::{NoContext, Timestamp, Uuid};

/// The internal id of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export, type = "string")]
pub struct CaseId(Uuid);

impl CaseId {
    /// A new id whose time part is `now`: the clock is read by the caller, never here.
    pub fn new(now: DateTime<Utc>) -> Self {
        let ts = Timestamp::from_unix(
            NoContext,
            now.timestamp() as u64,
            now.timestamp_subsec_nanos(),
        );
        CaseId(Uuid::new_v7(ts))
    }

    pub fn from_uuid(id: Uuid) -> Self {
        CaseId(id)
    }

    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for CaseId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(CaseId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_are_version_7_and_sort_by_time() {
        let earlier = CaseId::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        let later = CaseId::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 1).unwrap());
        assert_eq!(earlier.as_uuid().get_version_num(), 7);
        assert!(earlier < later);
        assert_eq!(earlier.to_string().parse::<CaseId>().unwrap(), earlier);
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!("not-an-id".parse::<CaseId>().is_err());
    }
}

/// The id of a record inside a case: a contact, a note, a photo. UUIDv7, made on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export, type = "string")]
pub struct RecordId(Uuid);

impl RecordId {
    pub fn new(now: DateTime<Utc>) -> Self {
        RecordId(*CaseId::new(now).as_uuid())
    }

    pub fn from_uuid(id: Uuid) -> Self {
        RecordId(id)
    }

    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RecordId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim()).map(RecordId)
    }
}
