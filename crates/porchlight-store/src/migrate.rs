//! The schema migrations: SQL files embedded at build time (see `build.rs`) and applied in
//! order, each in one transaction together with the `user_version` that records it. Append-only:
//! a shipped migration is never edited. It does not open or key the database.

use crate::error::StoreError;
use rusqlite::{Connection, TransactionBehavior};

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The schema version this build writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The names of the embedded migrations, oldest first.
pub fn migration_names() -> impl Iterator<Item = &'static str> {
    MIGRATIONS.iter().map(|(_, name, _)| *name)
}

pub(crate) fn current_version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Brings the schema up to date. A file from a newer Porchlight is refused, never downgraded.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let current = current_version(conn)?;
    if current > latest_version() {
        return Err(StoreError::WorkspaceUnreadable(format!(
            "This workspace was last opened by a newer Porchlight (schema {current}, this version knows up to {}). Update Porchlight to open it.",
            latest_version()
        )));
    }
    // Migrations that fill computed columns call the store's own SQL functions.
    crate::duplicates::register_functions(conn)?;
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql).map_err(|e| StoreError::Corrupt(format!("migration {name} failed: {e}")))?;
        // user_version lives in the database header, which is written in the same
        // transaction: the schema and its version number commit or roll back together.
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(latest_version())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (index, (version, name, sql)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version as usize, index + 1);
            assert!(name.starts_with(&format!("{version:04}_")), "{name}");
            assert!(!sql.trim().is_empty(), "{name} is empty");
        }
        assert!(latest_version() >= 1);
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        // Replaying the first migration on a migrated file must fail (its tables exist) and
        // roll back whole, leaving the version and the schema as they were.
        conn.pragma_update(None, "user_version", 0).unwrap();
        let before: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::Corrupt(_))));
        assert_eq!(current_version(&conn).unwrap(), 0);
        let after: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0)).unwrap();
        assert_eq!(before, after);
    }

    /// Migration 0004 rebuilds the note and photo tables: a workspace of schema 3 with rows in
    /// them keeps every row (and each note version its rowid, which orders the timeline), its
    /// images are listed for upload, and the history tables refuse changes as before.
    #[test]
    fn the_sync_migrations_keep_every_row_of_an_older_workspace() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::duplicates::register_functions(&conn).unwrap();
        for (_, _, sql) in &MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        let sha = "ab".repeat(32);
        conn.execute_batch(&format!(
            "INSERT INTO cases (seq, id, case_number, given_name, family_name, name_key, family_key, status, case_type, state, city,
                 missing_date, date_of_birth, missing_from_care, created_at, updated_at, archived_at, version)
             VALUES (1, x'0011223344556677889900aabbccddee', 'PL-2611-AAAA', 'Ida', 'Lund', 'ida lund', 'lund ida', 'active', 'ERU', 'MN',
                 'Duluth', '2026-11-01', NULL, 0, '2026-11-01T00:00:00.000000Z', '2026-11-01T00:00:00.000000Z', NULL, 1);
             INSERT INTO status_events (case_seq, from_status, to_status, reason, actor, at)
             VALUES (1, NULL, 'intake', 'Case opened', 'ana', '2026-11-01T00:00:00.000000Z'),
                    (1, 'intake', 'active', 'Filed', 'ana', '2026-11-02T00:00:00.000000Z');
             INSERT INTO note_versions (rowid, note_id, version, case_id, category, text, author, at)
             VALUES (7, x'01', 1, x'0011223344556677889900aabbccddee', 'call', 'First', 'ana', '2026-11-02T00:00:00.000000Z'),
                    (9, x'01', 2, x'0011223344556677889900aabbccddee', 'call', 'Second', 'ana', '2026-11-03T00:00:00.000000Z');
             INSERT INTO audit_log (case_id, action, actor, at, detail)
             VALUES (x'0011223344556677889900aabbccddee', 'case_opened', 'ana', '2026-11-02T00:00:00.000000Z', 'version 1');
             INSERT INTO blobs (sha256, bytes, mime, width, height, size) VALUES ('{sha}', x'ffd8ff', 'image/jpeg', 10, 10, 3);
             INSERT INTO case_photos (id, case_seq, sha256, kind, age_progressed_to, taken_on, source, consent_to_publish, is_primary, created_at, child_age, added_by, file_name)
             VALUES (x'00000000000000000000000000000042', 1, '{sha}', 'photo', NULL, '2026-06-01', 'mother', 1, 1, '2026-11-01T00:00:00.000000Z', 14, 'ana', 'ida.jpg');"
        ))
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        let notes: Vec<(i64, i64, String)> =
            conn.prepare("SELECT rowid, version, text FROM note_versions ORDER BY rowid").unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
        assert_eq!(notes, vec![(7, 1, "First".to_owned()), (9, 2, "Second".to_owned())]);
        let photo: (String, String, i64, String, bool) = conn
            .query_row("SELECT sha256, mime, child_age, file_name, deleted FROM case_photos", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap();
        assert_eq!(photo, (sha.clone(), "image/jpeg".to_owned(), 14, "ida.jpg".to_owned(), false));
        let upload: String = conn.query_row("SELECT state FROM blob_sync WHERE sha256 = ?1", [&sha], |r| r.get(0)).unwrap();
        assert_eq!(upload, "needs_upload");
        assert_eq!(conn.query_row("SELECT count(*) FROM status_events WHERE stamp IS NULL", [], |r| r.get::<_, i64>(0)).unwrap(), 2);
        let replica: String = conn.query_row("SELECT replica_id FROM sync_meta", [], |r| r.get(0)).unwrap();
        assert!(porchlight_sync::ReplicaId::from_hex(&replica).is_some(), "{replica}");
        // The facets view reads the rebuilt photo table: the case has a photo.
        let facets: String = conn.query_row("SELECT facets FROM case_facets WHERE seq = 1", [], |r| r.get(0)).unwrap();
        assert!(facets.contains("photo"), "{facets}");
        // Unstamped history gets its id and stamp once; nothing else of it ever changes.
        conn.execute("UPDATE status_events SET id = x'01', stamp = 's', stamp_key = x'01' WHERE seq = 1", []).unwrap();
        for sql in [
            "UPDATE status_events SET stamp = 't' WHERE seq = 1",
            "UPDATE status_events SET reason = 'rewritten' WHERE seq = 2",
            "DELETE FROM status_events",
            "UPDATE note_versions SET text = 'other'",
            "DELETE FROM note_versions",
            "DELETE FROM audit_log",
        ] {
            assert!(conn.execute(sql, []).is_err(), "{sql} was allowed");
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1).unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::WorkspaceUnreadable(m)) if m.contains("newer")));
    }
}
