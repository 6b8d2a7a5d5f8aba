//! Cases arriving by the thousand: while a pull brings many cases whole, the indexes of the
//! case list are set aside (migration 0008) and built once when the cases are in, and the pages
//! are committed without copying the write-ahead log into the main file. The list and search
//! stay correct meanwhile, only slower: a sort reads the table instead of an index. It never
//! decides what arrives; the service does.

use crate::error::StoreError;
use porchlight_sync::PullPage;
use rusqlite::{Connection, TransactionBehavior};

/// Fewer cases than this arriving are not worth rebuilding the indexes for.
pub(crate) const BULK_ARRIVAL: u64 = 1_000;

/// The indexes set aside: those of the `cases` table that only serve the list, sorting and
/// filtering. The unique ones (id and case number) stay, since every page looks cases up by them.
const LIST_INDEXES: &str = "SELECT name, sql FROM sqlite_schema
     WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'";

/// Before a page is applied, in its transaction: when it begins a scan that brings at least
/// `BULK_ARRIVAL` cases and at least as many as the device holds, the list's indexes are set
/// aside. Only the first page of a scan says how many cases are to come.
pub(crate) fn before_page(tx: &Connection, page: &PullPage) -> Result<(), StoreError> {
    let Some(arriving) = page.whole.and_then(|w| Some(w.sent + w.left?)) else { return Ok(()) };
    if !page.has_more || arriving < BULK_ARRIVAL {
        return Ok(());
    }
    let held: i64 = tx.query_row("SELECT count(*) FROM cases", [], |row| row.get(0))?;
    if arriving < held as u64 {
        return Ok(());
    }
    let aside: Vec<(String, String)> = tx.prepare(LIST_INDEXES)?.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
    for (name, sql) in aside {
        tx.execute("INSERT INTO indexes_set_aside (name, sql) VALUES (?1, ?2)", [&name, &sql])?;
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(())
}

/// After a page is applied, in its transaction: unless more of a scan is still to come, the
/// indexes set aside are built again, so that they are back when the sync ends.
pub(crate) fn after_page(tx: &Connection, page: &PullPage) -> Result<(), StoreError> {
    let scanning = page.has_more && page.whole.is_some_and(|w| w.left != Some(0));
    if scanning {
        return Ok(());
    }
    restore(tx)
}

/// Whether the page being applied belongs to an arrival: indexes are set aside from its first
/// page until the end of the page that ends it (see `before_page` and `after_page`).
pub(crate) fn arriving(tx: &Connection) -> Result<bool, StoreError> {
    Ok(tx.prepare_cached("SELECT count(*) > 0 FROM indexes_set_aside")?.query_row([], |row| row.get(0))?)
}

/// Holds back, until `release_checkpoint`, the checkpoint SQLite runs in a commit once the
/// write-ahead log holds more than `wal_autocheckpoint` pages; returns that setting. A page of
/// an arrival is committed without it: a checkpoint copies every page written since the last
/// one into the main file and waits for the disk, a tenth of the time a first sync spent
/// writing, on the thread the person waits for. Held back, it is run by the next commit that is
/// not part of an arrival (the first step of the search backlog, which the app starts once the
/// sync has ended, or any edit), or when the workspace closes, and it then copies each page
/// once, however many pages of the arrival wrote it. Meanwhile the log grows by what the
/// arrival writes, as the main file will, and `journal_size_limit` shrinks it after the
/// checkpoint. The setting belongs to the connection, not to the transaction: the caller puts
/// it back right after the commit, whether the commit succeeded or not.
pub(crate) fn hold_checkpoint(tx: &Connection) -> Result<i64, StoreError> {
    let every: i64 = tx.query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))?;
    tx.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
    Ok(every)
}

/// Puts back the setting `hold_checkpoint` returned.
pub(crate) fn release_checkpoint(conn: &Connection, every: i64) -> Result<(), StoreError> {
    Ok(conn.pragma_update(None, "wal_autocheckpoint", every)?)
}

/// Builds every index set aside again, from its own definition, and forgets it. Also run when a
/// workspace opens, for a sync cut off in the middle of an arrival.
pub(crate) fn restore(conn: &Connection) -> Result<(), StoreError> {
    let aside: Vec<(String, String)> =
        conn.prepare_cached("SELECT name, sql FROM indexes_set_aside")?.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
    for (name, sql) in aside {
        let present: bool = conn.query_row("SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'index' AND name = ?1", [&name], |row| row.get(0))?;
        if !present {
            conn.execute_batch(&sql)?;
        }
        conn.execute("DELETE FROM indexes_set_aside WHERE name = ?1", [&name])?;
    }
    Ok(())
}

/// `restore` in a transaction of its own, when any index was left aside.
pub(crate) fn restore_on_open(conn: &mut Connection) -> Result<(), StoreError> {
    let waiting: bool = conn.query_row("SELECT count(*) > 0 FROM indexes_set_aside", [], |row| row.get(0))?;
    if waiting {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        restore(&tx)?;
        tx.commit()?;
    }
    Ok(())
}
