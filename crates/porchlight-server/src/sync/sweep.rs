//! Housekeeping of the sync tables: photo uploads left unfinished for a week, and scope marks
//! that every device has already checked its cases against. Each is one statement, safe to run
//! at any time from any number of instances (`listen::serve` runs it every hour). It never
//! touches what a device may still need: an upload's chunks stay while any arrived within the
//! week, and a mark stays while some device's last check (or a check under way) is older.

use crate::db::{self, DbError};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;

/// How long an upload may wait for its next chunk before its chunks are thrown away; the device
/// then starts it again from the first byte (`GET /v1/blobs/{sha}/upload` answers 0).
pub const UNFINISHED_UPLOAD_DAYS: i64 = 7;

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    /// Unfinished uploads (one device's chunks of one photo) thrown away.
    pub uploads: i64,
    /// Scope marks no device needs any more.
    pub marks: i64,
}

pub async fn sweep(db: &impl GenericClient, now: DateTime<Utc>) -> Result<Swept, DbError> {
    let before = now - Duration::days(UNFINISHED_UPLOAD_DAYS);
    let uploads: i64 = db::query_one(
        db,
        "WITH gone AS (
             DELETE FROM blob_chunks b
             WHERE (b.sha256, b.device_id) IN (SELECT sha256, device_id FROM blob_chunks
                                               GROUP BY sha256, device_id HAVING max(at) < $1)
             RETURNING b.sha256, b.device_id)
         SELECT count(*) FROM (SELECT DISTINCT sha256, device_id FROM gone) AS u",
        &[&before],
    )
    .await?
    .get(0);
    // A device compares its cases again when a mark newer than its last check exists
    // (`scope_seq`, or `scan_seq` of a check spanning pages), so marks at or below the oldest of
    // those over every device still in use are never read again. Revoked devices never pull
    // again and do not hold marks back. The newest mark always stays, so the head a pull reads
    // never goes backwards.
    let marks = db::execute(
        db,
        "DELETE FROM scope_marks
         WHERE seq < (SELECT max(seq) FROM scope_marks)
           AND seq <= (SELECT coalesce(min(least(s.scope_seq, s.scan_seq)), 9223372036854775807)
                       FROM sync_devices s JOIN devices d ON d.id = s.device_id
                       WHERE d.revoked_at IS NULL AND (s.scope_seq IS NOT NULL OR s.scan_seq IS NOT NULL))",
        &[],
    )
    .await?;
    Ok(Swept {
        uploads,
        marks: marks as i64,
    })
}
