//! The local case workspace: one SQLCipher-encrypted SQLite file per user, its key derived
//! with Argon2id, its embedded migrations, and the use cases over it (create, edit, list,
//! open, archive and import cases; attach photos; family contacts, note versions, status
//! changes, the timeline, the local audit log, the duplicate check and poster records), and its
//! half of offline sync: every write adds its op to an outbox in the same transaction, and the
//! workspace is the `porchlight_sync::Replica` the sync engine drives. It knows no windows, no
//! Tauri and no network; front ends call these functions and turn `StoreError` into `AppError`.
//!
//! Tests run on real encrypted files in temporary folders: `cargo test -p porchlight-store`.
//! The benchmark over 100,000 generated cases:
//! `cargo run --release -p porchlight-store --features seed --example bench`; opening a case
//! with 50 notes, the timeline and the duplicate check on them:
//! `cargo run --release -p porchlight-store --features seed --example casework`.
//! Instant search over 100,000 cases with five notes and two contacts each (search p50/p95,
//! opening a case with 50 notes, peak memory):
//! `cargo run --release -p porchlight-store --features seed --example bench_search`.
//! The workspace's share of sync (reading and acknowledging the outbox, a first sync of 30,000
//! cases with their contacts, notes and statuses, a repeated and an empty page):
//! `cargo run --release -p porchlight-store --features seed --example bench_sync`.

mod audit;
mod cases;
mod contacts;
mod duplicates;
mod error;
mod key;
mod migrate;
mod notes;
mod photos;
mod posters;
mod search;
mod status;
mod sync;
mod timeline;
mod view;
mod workspace;

pub use cases::{CaseEvent, NewCase, StatusEvent};
pub use error::StoreError;
pub use migrate::{latest_version, migration_names};
pub use photos::{NewPhoto, ACCEPTED_MIME, MAX_PHOTO_BYTES, THUMBNAIL_PX};
pub use search::{BACKLOG_STEP as SEARCH_BACKLOG_STEP, WINDOW as SEARCH_WINDOW};
pub use sync::{PreparedPage, SyncIdentity};
pub use workspace::Workspace;

use chrono::{DateTime, SecondsFormat, Utc};

/// Lower-case hexadecimal of some bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 15) as usize] as char);
    }
    out
}

/// A stored time: RFC 3339 in UTC with microseconds, always the same width, so that text
/// order is time order in indexes.
pub(crate) fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_stamp(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("stored time {text:?} cannot be read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn stamps_sort_as_times_and_read_back() {
        let early = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let late = early + chrono::Duration::microseconds(1_500_000);
        assert!(stamp(early) < stamp(late));
        assert_eq!(stamp(early).len(), stamp(late).len());
        assert_eq!(parse_stamp(&stamp(late)).unwrap(), late);
        assert!(parse_stamp("yesterday").is_err());
    }
}
