//! Reads every row of every table of a device's workspace, beside the store's API, to find
//! anything that must not be there: the ids of cases (and of their records) outside the user's
//! scope, and text the user's role may not see. The file is opened read-only with the key
//! derived as the store derives it (Argon2id over the passphrase and the salt file beside the
//! workspace). It changes nothing and knows nothing of what the ids mean.

use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use uuid::Uuid;

/// Something found where it must not be.
#[derive(Debug, Clone)]
pub struct Hit {
    pub table: String,
    pub column: String,
    pub what: String,
}

/// The raw key and the page-cipher statements of a workspace, from its key file.
fn key(workspace: &Path, passphrase: &str) -> Result<([u8; 32], String), String> {
    let mut salt_path = workspace.as_os_str().to_owned();
    salt_path.push(".salt");
    let text = std::fs::read_to_string(&salt_path).map_err(|e| format!("read {}: {e}", Path::new(&salt_path).display()))?;
    // "porchlight-key v1 argon2id m=19456 t=2 p=1 salt=<hex>", and since version 2 the page
    // cipher after it, " page=16384 hmac=sha256"; version 1 means SQLCipher 4's defaults.
    let mut page = "4096".to_owned();
    let mut hmac = "HMAC_SHA512".to_owned();
    let mut m = None;
    let mut t = None;
    let mut p = None;
    let mut salt = None;
    for part in text.split_whitespace() {
        if let Some(v) = part.strip_prefix("m=") {
            m = v.parse::<u32>().ok();
        } else if let Some(v) = part.strip_prefix("t=") {
            t = v.parse::<u32>().ok();
        } else if let Some(v) = part.strip_prefix("p=") {
            p = v.parse::<u32>().ok();
        } else if let Some(v) = part.strip_prefix("page=") {
            page = v.to_owned();
        } else if let Some(v) = part.strip_prefix("hmac=") {
            hmac = format!("HMAC_{}", v.to_uppercase());
        } else if let Some(v) = part.strip_prefix("salt=") {
            salt = (0..v.len() / 2)
                .map(|i| u8::from_str_radix(&v[i * 2..i * 2 + 2], 16).ok())
                .collect::<Option<Vec<u8>>>();
        }
    }
    let (Some(m), Some(t), Some(p), Some(salt)) = (m, t, p, salt) else {
        return Err(format!("the salt file {text:?} is not one the scan can read"));
    };
    let params = Params::new(m, t, p, Some(32)).map_err(|e| e.to_string())?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut out)
        .map_err(|e| e.to_string())?;
    Ok((out, format!("PRAGMA cipher_page_size = {page}; PRAGMA cipher_hmac_algorithm = {hmac};")))
}

fn open(workspace: &Path, passphrase: &str) -> Result<Connection, String> {
    let (key, cipher) = key(workspace, passphrase)?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    // SQLCipher's lazy provider set-up can fail a keying that races another thread's; the
    // store retries the same way.
    let mut last = String::new();
    for attempt in 0..8u64 {
        let conn = Connection::open_with_flags(workspace, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| format!("open {}: {e}", workspace.display()))?;
        let keyed = conn
            .execute_batch("PRAGMA cipher_log_level = NONE;")
            .and_then(|_| conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";")))
            .and_then(|_| conn.execute_batch(&cipher))
            .and_then(|_| conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)));
        match keyed {
            Ok(_) => return Ok(conn),
            Err(e) => {
                last = e.to_string();
                std::thread::sleep(std::time::Duration::from_millis(10 * (attempt + 1)));
            }
        }
    }
    Err(format!(
        "the workspace {} could not be opened for the scan: {last}",
        workspace.display()
    ))
}

/// Every place in the workspace where one of `ids` (as 16 bytes or as text) or one of `texts`
/// occurs. Tables named in `ids_allowed` may hold the ids (not the texts): the caller says why.
pub fn scan(workspace: &Path, passphrase: &str, ids: &[Uuid], texts: &[String], ids_allowed: &[&str]) -> Result<Vec<Hit>, String> {
    let conn = open(workspace, passphrase)?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| format!("list the tables: {e}"))?;
    let id_bytes: Vec<[u8; 16]> = ids.iter().map(|u| *u.as_bytes()).collect();
    let id_texts: Vec<(String, String)> = ids.iter().map(|u| (u.hyphenated().to_string(), u.simple().to_string())).collect();
    let mut hits = Vec::new();
    for table in tables {
        let ids_here = !ids_allowed.contains(&table.as_str());
        let id_bytes: &[[u8; 16]] = if ids_here { &id_bytes } else { &[] };
        let id_texts: &[(String, String)] = if ids_here { &id_texts } else { &[] };
        let ids: &[Uuid] = if ids_here { ids } else { &[] };
        // Virtual tables (the search index) are read through their shadow tables.
        let Ok(mut stmt) = conn.prepare(&format!("SELECT * FROM \"{table}\"")) else {
            continue;
        };
        let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
        let mut rows = stmt.query([]).map_err(|e| format!("read {table}: {e}"))?;
        while let Some(row) = rows.next().map_err(|e| format!("read {table}: {e}"))? {
            for (i, column) in columns.iter().enumerate() {
                let found = match row.get_ref(i).map_err(|e| e.to_string())? {
                    ValueRef::Blob(b) => id_bytes
                        .iter()
                        .zip(ids)
                        .find(|(id, _)| b.windows(16).any(|w| w == &id[..]))
                        .map(|(_, u)| format!("id {u} (bytes)"))
                        .or_else(|| {
                            let text = String::from_utf8_lossy(b);
                            texts.iter().find(|t| text.contains(t.as_str())).map(|t| format!("text {t:?}"))
                        }),
                    ValueRef::Text(t) => {
                        let text = String::from_utf8_lossy(t);
                        let lower = text.to_lowercase();
                        id_texts
                            .iter()
                            .zip(ids)
                            .find(|((h, s), _)| lower.contains(h.as_str()) || lower.contains(s.as_str()))
                            .map(|(_, u)| format!("id {u}"))
                            .or_else(|| texts.iter().find(|x| text.contains(x.as_str())).map(|x| format!("text {x:?}")))
                    }
                    _ => None,
                };
                if let Some(what) = found {
                    hits.push(Hit {
                        table: table.clone(),
                        column: column.clone(),
                        what,
                    });
                }
            }
        }
    }
    Ok(hits)
}
