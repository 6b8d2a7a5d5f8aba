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

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1).unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::WorkspaceUnreadable(m)) if m.contains("newer")));
    }
}
