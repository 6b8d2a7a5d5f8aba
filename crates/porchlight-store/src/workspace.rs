//! Finding, creating and unlocking the workspace file: where it lives, the passphrase check,
//! the SQLCipher key, the connection settings and the schema migrations. The use cases over an
//! open workspace live in `cases` and `photos`.

use crate::error::StoreError;
use crate::key::{self, PageCipher, Salt};
use crate::migrate;
use porchlight_domain::{Moment, Passphrase, WorkspaceStatus};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use std::cell::RefCell;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// The value of `workspace_meta.app` in every Porchlight workspace.
const APP_MARK: &str = "porchlight";
/// The first 16 bytes of an unencrypted SQLite file; an encrypted one starts with random bytes.
const PLAIN_SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
/// How long a write waits for another process (the CLI beside the app) to finish its own.
const BUSY_TIMEOUT_MS: u32 = 5_000;

/// An unlocked workspace: one open, keyed connection to the encrypted file.
///
/// Reads take `&self` and writes `&mut self`, so a front end that shares one workspace puts it
/// behind a lock. It is `Send` but not `Sync`.
pub struct Workspace {
    pub(crate) conn: Connection,
    path: PathBuf,
    pub(crate) actor: String,
    /// Totals of recent list filters, valid while the database has not changed (see `cases`).
    pub(crate) totals: RefCell<crate::cases::TotalsCache>,
    /// This replica's id and hybrid logical clock, which stamp every op the writes add.
    pub(crate) replica: porchlight_sync::ReplicaId,
    pub(crate) clock: porchlight_sync::Clock,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace").field("path", &self.path).field("actor", &self.actor).finish_non_exhaustive()
    }
}

impl Workspace {
    /// Where the workspace is unless the user chose otherwise: `$PORCHLIGHT_WORKSPACE` when set,
    /// else `workspace.porchlight` in the operating system's data folder for Porchlight.
    pub fn default_path() -> PathBuf {
        if let Some(path) = std::env::var_os("PORCHLIGHT_WORKSPACE").filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
        match directories::ProjectDirs::from("org", "Porchlight", "Porchlight") {
            Some(dirs) => dirs.data_dir().join("workspace.porchlight"),
            // No home folder at all (a bare service account): fall back to the working folder.
            None => PathBuf::from("workspace.porchlight"),
        }
    }

    /// What a front end shows before unlocking: the create screen or the unlock screen.
    pub fn status(path: &Path) -> WorkspaceStatus {
        WorkspaceStatus { path: path.display().to_string(), exists: path.exists(), unlocked: false }
    }

    /// Creates a new, empty workspace at `path` protected by `passphrase`, and opens it.
    ///
    /// The file is built under a temporary name and moved into place only when complete, so an
    /// interrupted create leaves no half-made workspace behind.
    pub fn create(path: &Path, passphrase: &str, now: Moment) -> Result<Workspace, StoreError> {
        Workspace::create_with(path, passphrase, now, PageCipher::CURRENT)
    }

    /// Creates a workspace with the given page cipher; the tests make older workspaces with it.
    pub(crate) fn create_with(path: &Path, passphrase: &str, now: Moment, cipher: PageCipher) -> Result<Workspace, StoreError> {
        let passphrase = Passphrase::new_strong(passphrase).map_err(StoreError::WeakPassphrase)?;
        if path.exists() {
            return Err(StoreError::WorkspaceExists(path.to_path_buf()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent)?;
        }
        let salt = Salt::create(path, cipher)?;
        let key = salt.derive_key(passphrase.expose())?;

        let mut temp_name = OsString::from(path.as_os_str());
        temp_name.push(format!(".creating-{}", std::process::id()));
        let temp = PathBuf::from(temp_name);
        remove_database_files(&temp);
        key::write_private(&temp, &[])?;
        let built = (|| {
            let mut conn = key::open_keyed(&temp, &key, salt.cipher)?;
            configure(&conn)?;
            migrate::migrate(&mut conn)?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute("INSERT INTO workspace_meta (key, value) VALUES ('app', ?1), ('created_at', ?2)", (APP_MARK, crate::stamp(now.utc)))?;
            tx.commit()?;
            // Closing the only connection checkpoints the WAL into the main file and removes
            // it, so the one file moved into place below is the whole workspace.
            conn.close().map_err(|(_, e)| e)?;
            Ok::<_, StoreError>(())
        })();
        if let Err(e) = built {
            remove_database_files(&temp);
            return Err(e);
        }
        // As with the salt, a hard link refuses to replace a workspace that appeared meanwhile.
        let linked = fs::hard_link(&temp, path);
        remove_database_files(&temp);
        match linked {
            Ok(()) => key::sync_parent(path)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(StoreError::WorkspaceExists(path.to_path_buf())),
            Err(e) => return Err(StoreError::Io(e)),
        }
        Workspace::unlock(path, &key, salt.cipher)
    }

    /// Unlocks the workspace at `path`. A wrong passphrase is reported as `WrongPassphrase` and
    /// leaves the file untouched: nothing is written before the key has been proven right.
    pub fn open(path: &Path, passphrase: &str) -> Result<Workspace, StoreError> {
        let header = match read_header(path) {
            Ok(header) => header,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::WorkspaceNotFound(path.to_path_buf())),
            Err(e) => return Err(StoreError::Io(e)),
        };
        if path.is_dir() {
            return Err(StoreError::WorkspaceUnreadable(format!("{} is a folder, not a workspace file.", path.display())));
        }
        if header.len() < 16 {
            return Err(not_a_workspace(path));
        }
        if header == PLAIN_SQLITE_HEADER {
            return Err(StoreError::WorkspaceUnreadable(format!(
                "{} is an unencrypted SQLite database, not a Porchlight workspace.",
                path.display()
            )));
        }
        let salt = Salt::read(path)?;
        let key = salt.derive_key(Passphrase::for_unlock(passphrase).expose())?;
        Workspace::unlock(path, &key, salt.cipher)
    }

    /// Opens the checked file with the derived key, proves the key, then migrates.
    fn unlock(path: &Path, key: &[u8; 32], cipher: PageCipher) -> Result<Workspace, StoreError> {
        let mut conn = key::open_keyed(path, key, cipher)?;
        // The first read decrypts page 1. SQLCipher cannot tell a wrong key from a file that is
        // not a database at all; the file was checked above to be neither empty nor plain
        // SQLite, so here it means a wrong passphrase.
        match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get::<_, i64>(0)) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => return Err(StoreError::WrongPassphrase),
            Err(e) => return Err(e.into()),
        }
        configure(&conn)?;
        let version = migrate::current_version(&conn)?;
        let is_ours = version >= 1
            && conn
                .query_row("SELECT value FROM workspace_meta WHERE key = 'app'", [], |row| row.get::<_, String>(0))
                .is_ok_and(|app| app == APP_MARK);
        if !is_ours {
            return Err(not_a_workspace(path));
        }
        migrate::migrate(&mut conn)?;
        // Workspaces from before search and thumbnails get them once, on their first open.
        crate::search::ensure_index(&mut conn)?;
        crate::photos::complete_renditions(&mut conn)?;
        // A sync cut off while thousands of cases arrived left the list's indexes aside.
        crate::sync::bulk::restore_on_open(&mut conn)?;
        let (replica, clock) = crate::sync::outbox::load_clock(&conn)?;
        // Work saved before sync existed gets its ops once, so it reaches the service too.
        crate::sync::backfill::run(&mut conn, &clock)?;
        Ok(Workspace { conn, path: path.to_path_buf(), actor: default_actor(), totals: RefCell::default(), replica, clock })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Who the history records as making the changes; by default the operating-system user.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Names the person making the following changes, for the case history.
    pub fn set_actor(&mut self, actor: &str) {
        let actor = actor.trim();
        self.actor = if actor.is_empty() { default_actor() } else { actor.to_owned() };
    }

    /// Runs SQLite's own consistency check; `Ok(())` when it finds nothing wrong.
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let findings: Vec<String> = stmt.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
        let fk: i64 = self.conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| row.get(0))?;
        if findings == ["ok"] && fk == 0 {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!("integrity check: {}; {fk} broken references", findings.join("; "))))
        }
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrate::current_version(&self.conn)
    }
}

/// Settings for every connection. WAL lets the list keep reading while a save is written.
/// `synchronous = FULL` makes each commit wait for the disk: in WAL mode NORMAL already loses
/// nothing when the process is killed, but FULL also keeps the last save through a power cut,
/// and one flush per save is not something a person typing a case can notice. A large import
/// grows the WAL; `journal_size_limit` shrinks it back after the checkpoint.
fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::WorkspaceUnreadable(format!("The workspace could not switch to write-ahead logging (it reports {mode}).")));
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -65536;
         PRAGMA journal_size_limit = 67108864;",
    )?;
    // One prepared statement per list shape and use case; keep them all.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn not_a_workspace(path: &Path) -> StoreError {
    StoreError::WorkspaceUnreadable(format!("{} is not a Porchlight workspace.", path.display()))
}

fn read_header(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut header = Vec::with_capacity(16);
    fs::File::open(path)?.take(16).read_to_end(&mut header)?;
    Ok(header)
}

/// The operating-system user, for the history; "unknown" when the environment has none.
fn default_actor() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Creates the folder (and its parents) readable by the owner only, for the folders it makes.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    Ok(())
}

/// Removes a database file with its WAL and shared-memory companions, ignoring absent ones.
pub(crate) fn remove_database_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = OsString::from(path.as_os_str());
        name.push(suffix);
        let _ = fs::remove_file(PathBuf::from(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    const PASSPHRASE: &str = "Lanterns along the river 2026";

    fn page_size(ws: &Workspace) -> u32 {
        // SQLCipher answers for the cipher, as text.
        ws.conn.query_row("PRAGMA page_size", [], |row| row.get::<_, String>(0)).unwrap().parse().unwrap()
    }

    #[test]
    fn a_new_workspace_names_its_page_cipher_in_its_key_file_and_uses_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.porchlight");
        let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap());
        let ws = Workspace::create(&path, PASSPHRASE, now).unwrap();
        assert_eq!(page_size(&ws), PageCipher::CURRENT.page_size);
        drop(ws);
        let text = fs::read_to_string(key::salt_path(&path)).unwrap();
        assert!(text.starts_with("porchlight-key v2 argon2id ") && text.trim_end().ends_with(" page=16384 hmac=sha256"), "{text:?}");
        let ws = Workspace::open(&path, PASSPHRASE).unwrap();
        assert_eq!(page_size(&ws), 16_384);
        ws.integrity_check().unwrap();
        drop(ws);
        // The settings are in the file's pages, not only in the connection: the file is whole
        // pages of 16 KiB, and SQLCipher's defaults cannot read it with the right key.
        assert_eq!(fs::metadata(&path).unwrap().len() % 16_384, 0);
        let key = Salt::read(&path).unwrap().derive_key(Passphrase::for_unlock(PASSPHRASE).expose()).unwrap();
        let refused = key::open_keyed(&path, &key, PageCipher::FIRST).unwrap().query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get::<_, i64>(0)).unwrap_err();
        assert_eq!(refused.sqlite_error_code(), Some(ErrorCode::NotADatabase), "{refused:?}");
        let held: i64 = key::open_keyed(&path, &key, PageCipher::CURRENT).unwrap().query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0)).unwrap();
        assert!(held > 10, "{held} schema entries");
    }

    /// A workspace made before the key file named its cipher keeps its key file and its pages
    /// as they were, and opens, reads and writes as before.
    #[test]
    fn a_workspace_from_before_the_cipher_was_named_still_opens_and_keeps_its_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.porchlight");
        let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap());
        drop(Workspace::create_with(&path, PASSPHRASE, now, PageCipher::FIRST).unwrap());
        // Its key file, as the builds before wrote it: version 1, nothing after the salt.
        let salt_file = key::salt_path(&path);
        let text = fs::read_to_string(&salt_file).unwrap();
        let old = text.replace("porchlight-key v2 ", "porchlight-key v1 ").replace(" page=4096 hmac=sha512", "");
        assert!(old.starts_with("porchlight-key v1 argon2id m=19456 t=2 p=1 salt=") && !old.contains("page="), "{old:?}");
        fs::remove_file(&salt_file).unwrap();
        fs::write(&salt_file, &old).unwrap();

        let ws = Workspace::open(&path, PASSPHRASE).unwrap();
        assert_eq!(page_size(&ws), 4096);
        assert_eq!(fs::metadata(&path).unwrap().len() % 4096, 0);
        ws.conn.execute("INSERT INTO workspace_meta (key, value) VALUES ('written', 'after the upgrade')", []).unwrap();
        drop(ws);
        let ws = Workspace::open(&path, PASSPHRASE).unwrap();
        let written: String = ws.conn.query_row("SELECT value FROM workspace_meta WHERE key = 'written'", [], |row| row.get(0)).unwrap();
        assert_eq!(written, "after the upgrade");
        ws.integrity_check().unwrap();
        assert_eq!(fs::read_to_string(&salt_file).unwrap(), old, "the key file of an older workspace is left as it was");
        assert!(matches!(Workspace::open(&path, "Not the passphrase at all 2026"), Err(StoreError::WrongPassphrase)));
    }
}
