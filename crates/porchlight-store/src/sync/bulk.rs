//! Cases arriving by the thousand: while a pull brings many cases whole, the indexes of the
//! case list are set aside (migration 0008) and built once when the cases are in. The list and
//! search stay correct meanwhile, only slower: a sort reads the table instead of an index. It
//! never decides what arrives; the service does.

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
