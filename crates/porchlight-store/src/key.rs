//! The workspace key: Argon2id over the passphrase and a random salt kept in a small file
//! beside the workspace (`<workspace>.salt`). The same file names how SQLCipher lays out and
//! authenticates the workspace's pages, which the encrypted file itself cannot say. It does not
//! open the database; it only hands SQLCipher the raw key and those settings.

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

/// The first words of a key file written before it named the page cipher; such a workspace
/// uses `PageCipher::FIRST`.
const MAGIC_V1: &str = "porchlight-key v1 argon2id";
/// The first words of a key file that names the page cipher after the salt.
const MAGIC_V2: &str = "porchlight-key v2 argon2id";

/// The message authentication code SQLCipher keeps on every page, so that a page changed on
/// disk is refused instead of read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageHmac {
    Sha256,
    Sha512,
}

impl PageHmac {
    fn word(self) -> &'static str {
        match self {
            PageHmac::Sha256 => "sha256",
            PageHmac::Sha512 => "sha512",
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            PageHmac::Sha256 => "HMAC_SHA256",
            PageHmac::Sha512 => "HMAC_SHA512",
        }
    }
}

/// How SQLCipher lays out and authenticates the pages of one workspace. SQLCipher keeps
/// neither in the file (it is random bytes from the first), so a workspace opened with other
/// settings than it was made with cannot be read at all: they are written in the key file
/// when the workspace is made and read from it at every open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageCipher {
    pub(crate) page_size: u32,
    pub(crate) hmac: PageHmac,
}

impl PageCipher {
    /// SQLCipher 4's defaults, which every workspace made before the key file named its
    /// cipher uses.
    pub(crate) const FIRST: PageCipher = PageCipher { page_size: 4096, hmac: PageHmac::Sha512 };
    /// What new workspaces use. A first sync writes hundreds of megabytes into a new workspace,
    /// and every page written is encrypted and authenticated. Pages of 16 KiB hold four times
    /// the rows for one page's overhead, and SHA-256, which current processors compute in
    /// hardware, authenticates them in a fraction of SHA-512's time while remaining far beyond
    /// forgery. Together they cut the workspace's share of a 30,000-case first sync by about a
    /// seventh (examples/bench_sync).
    pub(crate) const CURRENT: PageCipher = PageCipher { page_size: 16_384, hmac: PageHmac::Sha256 };

    /// The statements that set these on a keyed connection before its first read. They are
    /// given for `FIRST` too, so that a later SQLCipher with other defaults still reads it.
    fn statements(self) -> String {
        format!("PRAGMA cipher_page_size = {}; PRAGMA cipher_hmac_algorithm = {};", self.page_size, self.hmac.pragma())
    }

    fn parse(text: &str) -> Option<PageCipher> {
        let (page, hmac) = text.split_once(' ')?;
        let page_size: u32 = page.strip_prefix("page=")?.parse().ok()?;
        // SQLCipher takes a power of two from 512 to 65536 bytes.
        if !page_size.is_power_of_two() || !(512..=65_536).contains(&page_size) {
            return None;
        }
        let word = hmac.strip_prefix("hmac=")?;
        let hmac = [PageHmac::Sha256, PageHmac::Sha512].into_iter().find(|h| h.word() == word)?;
        Some(PageCipher { page_size, hmac })
    }
}

/// What the key file of one workspace holds: the salt of its key and its page cipher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Salt {
    bytes: [u8; SALT_BYTES],
    pub(crate) cipher: PageCipher,
}

/// Where the salt of the workspace at `workspace` lives.
pub(crate) fn salt_path(workspace: &Path) -> PathBuf {
    let mut name = OsString::from(workspace.as_os_str());
    name.push(".salt");
    PathBuf::from(name)
}

impl Salt {
    fn render(&self) -> String {
        format!(
            "{MAGIC_V2} m={MEMORY_KIB} t={PASSES} p={LANES} salt={} page={} hmac={}\n",
            crate::hex(&self.bytes),
            self.cipher.page_size,
            self.cipher.hmac.word()
        )
    }

    fn parse(text: &str) -> Option<Salt> {
        let text = text.trim_end();
        let (rest, v2) = match text.strip_prefix(MAGIC_V2) {
            Some(rest) => (rest, true),
            None => (text.strip_prefix(MAGIC_V1)?, false),
        };
        let rest = rest.strip_prefix(&format!(" m={MEMORY_KIB} t={PASSES} p={LANES} salt="))?;
        let (hex, cipher) = if v2 {
            let (hex, cipher) = rest.split_once(' ')?;
            (hex, PageCipher::parse(cipher)?)
        } else {
            (rest, PageCipher::FIRST)
        };
        if hex.len() != SALT_BYTES * 2 {
            return None;
        }
        let mut bytes = [0u8; SALT_BYTES];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(Salt { bytes, cipher })
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

    /// Gives a new workspace its salt and page cipher. A key file left without its workspace
    /// (a create that was interrupted) is reused rather than replaced, with the cipher it
    /// names: a salt is not secret and belongs to no other file, and an existing salt is never
    /// overwritten.
    pub(crate) fn create(workspace: &Path, cipher: PageCipher) -> Result<Salt, StoreError> {
        let path = salt_path(workspace);
        if path.exists() {
            return Salt::read(workspace);
        }
        let mut bytes = [0u8; SALT_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?;
        let salt = Salt { bytes, cipher };
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
            .hash_password_into(passphrase, &self.bytes, key.as_mut())
            .map_err(|e| StoreError::KeyDerivation(e.to_string()))?;
        Ok(key)
    }
}

/// The statement that hands SQLCipher a raw key, so it skips its own (weaker) derivation.
fn key_statement(key: &[u8; KEY_BYTES]) -> Zeroizing<String> {
    Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", crate::hex(key)))
}

/// Opens the file at `path` (which must exist), keys the connection and sets its page cipher.
/// SQLCipher sets up its crypto provider lazily, counting the connections that use it, and
/// keying while another thread opens or closes a connection can make `PRAGMA key` fail with
/// "An error occurred with PRAGMA key or rekey" although nothing is wrong with the key or the
/// file. Keying is therefore done one connection at a time across the process, and such a
/// failure is retried on a fresh connection a few times before it is reported.
pub(crate) fn open_keyed(path: &Path, key: &[u8; KEY_BYTES], cipher: PageCipher) -> Result<rusqlite::Connection, StoreError> {
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
            Ok(()) => {
                conn.execute_batch(&cipher.statements())?;
                return Ok(conn);
            }
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
        for cipher in [PageCipher::CURRENT, PageCipher::FIRST, PageCipher { page_size: 8192, hmac: PageHmac::Sha512 }] {
            let salt = Salt { bytes: [7; SALT_BYTES], cipher };
            assert_eq!(Salt::parse(&salt.render()), Some(salt));
        }
        let seven = "07".repeat(SALT_BYTES);
        for bad in [
            "".to_owned(),
            "hello".to_owned(),
            "porchlight-key v1 argon2id m=19456 t=2 p=1 salt=0707".to_owned(),
            "porchlight-key v2 argon2id m=1 t=1 p=1 salt=07070707070707070707070707070707".to_owned(),
            format!("porchlight-key v2 argon2id m=19456 t=2 p=1 salt={seven}"),
            format!("porchlight-key v2 argon2id m=19456 t=2 p=1 salt={seven} page=16384"),
            format!("porchlight-key v2 argon2id m=19456 t=2 p=1 salt={seven} page=10000 hmac=sha256"),
            format!("porchlight-key v2 argon2id m=19456 t=2 p=1 salt={seven} page=131072 hmac=sha256"),
            format!("porchlight-key v2 argon2id m=19456 t=2 p=1 salt={seven} page=16384 hmac=sha1"),
            format!("porchlight-key v1 argon2id m=19456 t=2 p=1 salt={seven} page=16384 hmac=sha256"),
            format!("porchlight-key v3 argon2id m=19456 t=2 p=1 salt={seven} page=16384 hmac=sha256"),
        ] {
            assert_eq!(Salt::parse(&bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn a_key_file_from_before_the_page_cipher_was_named_means_sqlcipher_4_defaults() {
        let seven = "07".repeat(SALT_BYTES);
        let old = Salt::parse(&format!("porchlight-key v1 argon2id m=19456 t=2 p=1 salt={seven}\n")).unwrap();
        assert_eq!(old, Salt { bytes: [7; SALT_BYTES], cipher: PageCipher::FIRST });
        let new = Salt::parse(&format!("porchlight-key v2 argon2id m=19456 t=2 p=1 salt={seven} page=16384 hmac=sha256\n")).unwrap();
        assert_eq!(new.cipher, PageCipher::CURRENT);
    }

    /// A file keyed with no cipher settings at all, as every build before the key file named
    /// them made it, opens with `FIRST` and is refused with `CURRENT`: the old workspaces keep
    /// opening, and the settings are what decides it.
    #[test]
    fn first_is_what_sqlcipher_does_when_told_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.porchlight");
        let key = [9u8; KEY_BYTES];
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(&key_statement(&key)).unwrap();
            conn.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('made before the cipher was named');").unwrap();
        }
        let read = |cipher| open_keyed(&path, &key, cipher).unwrap().query_row("SELECT x FROM t", [], |row| row.get::<_, String>(0));
        assert_eq!(read(PageCipher::FIRST).unwrap(), "made before the cipher was named");
        let refused = read(PageCipher::CURRENT).unwrap_err();
        assert_eq!(refused.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase), "{refused:?}");
        let page_size: String = open_keyed(&path, &key, PageCipher::FIRST).unwrap().query_row("PRAGMA page_size", [], |row| row.get(0)).unwrap();
        assert_eq!(page_size, "4096");
    }

    #[test]
    fn the_key_depends_on_passphrase_and_salt() {
        let a = Salt { bytes: [1; SALT_BYTES], cipher: PageCipher::CURRENT };
        let b = Salt { bytes: [2; SALT_BYTES], cipher: PageCipher::CURRENT };
        let key = a.derive_key(b"correct horse battery staple").unwrap();
        assert_eq!(*key, *a.derive_key(b"correct horse battery staple").unwrap());
        assert_ne!(*key, *a.derive_key(b"correct horse battery stapler").unwrap());
        assert_ne!(*key, *b.derive_key(b"correct horse battery staple").unwrap());
    }

    #[test]
    fn a_salt_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("w.porchlight");
        let first = Salt::create(&workspace, PageCipher::CURRENT).unwrap();
        let before = fs::read(salt_path(&workspace)).unwrap();
        // A create interrupted after the key file was written is taken up with its cipher.
        assert_eq!(Salt::create(&workspace, PageCipher::FIRST).unwrap(), first);
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
