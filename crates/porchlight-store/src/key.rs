//! The workspace key: Argon2id over the passphrase and a random salt kept in a small file
//! beside the workspace (`<workspace>.salt`). It does not open the database; it only hands
//! SQLCipher the raw key.

use crate::error::StoreError;
use argon2::{Algorithm, Argon2, Params, Version};
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// OWASP's recommended Argon2id settings: 19 MiB of memory, two passes, one lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;
const SALT_BYTES: usize = 16;
const KEY_BYTES: usize = 32;

/// The first words of a salt file; a file without them was not written by Porchlight.
const MAGIC: &str = "porchlight-key v1 argon2id";

/// The salt of one workspace, as read from its salt file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Salt([u8; SALT_BYTES]);

/// Where the salt of the workspace at `workspace` lives.
pub(crate) fn salt_path(workspace: &Path) -> PathBuf {
    let mut name = OsString::from(workspace.as_os_str());
    name.push(".salt");
    PathBuf::from(name)
}

impl Salt {
    fn render(&self) -> String {
        format!("{MAGIC} m={MEMORY_KIB} t={PASSES} p={LANES} salt={}\n", crate::hex(&self.0))
    }

    fn parse(text: &str) -> Option<Salt> {
        let rest = text.trim_end().strip_prefix(MAGIC)?;
        let hex = rest.strip_prefix(&format!(" m={MEMORY_KIB} t={PASSES} p={LANES} salt="))?;
        if hex.len() != SALT_BYTES * 2 {
            return None;
        }
        let mut salt = [0u8; SALT_BYTES];
        for (i, byte) in salt.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(Salt(salt))
    }

    /// Reads the salt of an existing workspace.
    pub(crate) fn read(workspace: &Path) -> Result<Salt, StoreError> {
        let path = salt_path(workspace);
        let text = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::WorkspaceUnreadable(format!(
                    "The key file {} that belongs beside the workspace is missing, so the workspace cannot be opened. Restore it from the same backup as the workspace.",
                    path.display()
                )))
            }
            Err(e) => return Err(StoreError::Io(e)),
        };
        String::from_utf8(text).ok().as_deref().and_then(Salt::parse).ok_or_else(|| {
            StoreError::WorkspaceUnreadable(format!(
                "{} is not a Porchlight key file (or was written by a newer Porchlight). Restore it from the same backup as the workspace.",
                path.display()
            ))
        })
    }

    /// Gives a new workspace its salt. A salt file left without its workspace (a create that
    /// was interrupted) is reused rather than replaced: a salt is not secret and belongs to no
    /// other file, and an existing salt is never overwritten.
    pub(crate) fn create(workspace: &Path) -> Result<Salt, StoreError> {
        let path = salt_path(workspace);
        if path.exists() {
            return Salt::read(workspace);
        }
        let mut bytes = [0u8; SALT_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        let salt = Salt(bytes);
        let mut temp_name = OsString::from(path.as_os_str());
        temp_name.push(format!(".{}.tmp", std::process::id()));
        let temp = PathBuf::from(temp_name);
        write_private(&temp, salt.render().as_bytes())?;
        // A hard link, unlike a rename, fails when the target exists, so a salt that appeared
        // meanwhile is kept; the link is atomic, so the salt file is whole or absent.
        let linked = fs::hard_link(&temp, &path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => {
                sync_parent(&path)?;
                Ok(salt)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Salt::read(workspace),
            Err(e) => Err(StoreError::Io(e)),
        }
    }

    /// Derives the 256-bit database key from the passphrase.
    pub(crate) fn derive_key(&self, passphrase: &[u8]) -> Result<Zeroizing<[u8; KEY_BYTES]>, StoreError> {
        let params = Params::new(MEMORY_KIB, PASSES, LANES, Some(KEY_BYTES)).map_err(|e| StoreError::KeyDerivation(e.to_string()))?;
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase, &self.0, key.as_mut())
            .map_err(|e| StoreError::KeyDerivation(e.to_string()))?;
        Ok(key)
    }
}

/// The statement that hands SQLCipher a raw key, so it skips its own (weaker) derivation.
fn key_statement(key: &[u8; KEY_BYTES]) -> Zeroizing<String> {
    Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", crate::hex(key)))
}

/// Opens the file at `path` (which must exist) and keys the connection. SQLCipher sets up its
/// crypto provider lazily, counting the connections that use it, and keying while another
/// thread opens or closes a connection can make `PRAGMA key` fail with "An error occurred with
/// PRAGMA key or rekey" although nothing is wrong with the key or the file. Keying is therefore
/// done one connection at a time across the process, and such a failure is retried on a fresh
/// connection a few times before it is reported.
pub(crate) fn open_keyed(path: &Path, key: &[u8; KEY_BYTES]) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::{Connection, OpenFlags};
    static KEYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    const ATTEMPTS: u64 = 5;
    let mut attempt = 1;
    loop {
        // Without CREATE: a workspace that vanished since it was checked is not recreated empty.
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        // SQLCipher writes its own report of a failed decryption to stderr; a wrong passphrase
        // is an ordinary event here, reported through `WrongPassphrase`, not console noise.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        let keyed = {
            let _one_at_a_time = KEYING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            conn.execute_batch(&key_statement(key))
        };
        match keyed {
            Ok(()) => return Ok(conn),
            Err(rusqlite::Error::SqliteFailure(_, Some(message))) if message.contains("PRAGMA key") && attempt < ATTEMPTS => {
                drop(conn);
                std::thread::sleep(std::time::Duration::from_millis(10 * attempt));
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Writes a new file readable by its owner only and flushes it to disk.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Flushes a directory entry (a new or renamed file) to disk, where the platform allows it.
pub(crate) fn sync_parent(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_salt_file_round_trips_and_refuses_anything_else() {
        let salt = Salt([7; SALT_BYTES]);
        assert_eq!(Salt::parse(&salt.render()), Some(salt));
        for bad in ["", "hello", "porchlight-key v1 argon2id m=19456 t=2 p=1 salt=0707", "porchlight-key v2 argon2id m=1 t=1 p=1 salt=07070707070707070707070707070707"] {
            assert_eq!(Salt::parse(bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn the_key_depends_on_passphrase_and_salt() {
        let a = Salt([1; SALT_BYTES]);
        let b = Salt([2; SALT_BYTES]);
        let key = a.derive_key(b"correct horse battery staple").unwrap();
        assert_eq!(*key, *a.derive_key(b"correct horse battery staple").unwrap());
        assert_ne!(*key, *a.derive_key(b"correct horse battery stapler").unwrap());
        assert_ne!(*key, *b.derive_key(b"correct horse battery staple").unwrap());
    }

    #[test]
    fn a_salt_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("w.porchlight");
        let first = Salt::create(&workspace).unwrap();
        let before = fs::read(salt_path(&workspace)).unwrap();
        assert_eq!(Salt::create(&workspace).unwrap(), first);
        assert_eq!(fs::read(salt_path(&workspace)).unwrap(), before);
        assert_eq!(Salt::read(&workspace).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(salt_path(&workspace)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_missing_salt_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Salt::read(&dir.path().join("w.porchlight")).unwrap_err();
        assert!(matches!(&err, StoreError::WorkspaceUnreadable(m) if m.contains("missing")), "{err:?}");
    }
}
