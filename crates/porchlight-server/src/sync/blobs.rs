//! Photo bytes for sync, named by their SHA-256: uploads in chunks that resume where a cut
//! connection left them (per device, so two devices sending one photo never mix bytes), checked
//! by hash, size and image type at the end; and reads from any offset, for ranged downloads.
//! Whether a device may download is asked of `rules::scope_sql` through the photos that carry
//! the hash. It does not speak HTTP.

use crate::cases::sniff_image;
use crate::db::{self, DbError};
use crate::rules::{self, Grant, PhotoAccess};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("this upload has {received} bytes so far; send the chunk that starts there")]
    WrongOffset { received: u64 },
    #[error("a photo may be at most {max} bytes")]
    TooLarge { max: u64 },
    #[error("the bytes received ({size} of them) do not hash to the name they were sent under; the upload was discarded, send it again")]
    HashMismatch { size: u64 },
    #[error("{received} bytes arrived, not the {expected} announced; send the rest, then complete again")]
    Incomplete { received: u64, expected: u64 },
    #[error("these bytes are not a JPEG, PNG or WebP image; the upload was discarded")]
    NotAnImage,
}

impl From<tokio_postgres::Error> for BlobError {
    fn from(e: tokio_postgres::Error) -> Self {
        BlobError::Db(DbError::Postgres(e))
    }
}

pub fn hex(sha: &[u8]) -> String {
    sha.iter().map(|b| format!("{b:02x}")).collect()
}

/// The service holds these bytes whole.
pub async fn held(db: &impl GenericClient, sha: &[u8]) -> Result<bool, DbError> {
    Ok(db::query_one(
        db,
        "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1)",
        &[&sha],
    )
    .await?
    .get(0))
}

/// The user may see a photo (not deleted, consented when the role sees only consented ones) of
/// a case in scope that carries these bytes.
pub async fn may_see(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    sha: &[u8],
) -> Result<bool, DbError> {
    let consented_only = match grant.photos {
        PhotoAccess::None => return Ok(false),
        PhotoAccess::Consented => true,
        PhotoAccess::All => false,
    };
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM photos p JOIN cases c ON c.id = p.case_id
                        WHERE p.sha256 = $1 AND NOT p.deleted AND (p.consent_to_publish OR NOT $3) AND {})",
        rules::scope_sql(grant, 2)
    );
    Ok(db::query_one(db, &sql, &[&sha, &user, &consented_only])
        .await?
        .get(0))
}

/// The photo a device may see that carries these bytes, for the audit log.
pub async fn photo_of(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    sha: &[u8],
) -> Result<Option<(Uuid, Uuid)>, DbError> {
    let sql = format!(
        "SELECT p.id, p.case_id FROM photos p JOIN cases c ON c.id = p.case_id
         WHERE p.sha256 = $1 AND NOT p.deleted AND (p.consent_to_publish OR NOT $3) AND {} LIMIT 1",
        rules::scope_sql(grant, 2)
    );
    let consented_only = grant.photos == PhotoAccess::Consented;
    Ok(db::query_opt(db, &sql, &[&sha, &user, &consented_only])
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// Bytes of this device's upload received so far.
pub async fn received(db: &impl GenericClient, sha: &[u8], device: Uuid) -> Result<u64, DbError> {
    let n: i64 = db::query_one(
        db,
        "SELECT coalesce(max(\"offset\" + length(content)), 0) FROM blob_chunks WHERE sha256 = $1 AND device_id = $2",
        &[&sha, &device],
    )
    .await?
    .get(0);
    Ok(n as u64)
}

/// Adds a chunk at `offset`, which must be where the upload stands; returns the bytes received.
pub async fn put_chunk(
    db: &impl GenericClient,
    sha: &[u8],
    device: Uuid,
    offset: u64,
    bytes: &[u8],
    max: u64,
    at: DateTime<Utc>,
) -> Result<u64, BlobError> {
    let received = received(db, sha, device).await?;
    if offset != received {
        return Err(BlobError::WrongOffset { received });
    }
    let end = offset + bytes.len() as u64;
    if end > max {
        return Err(BlobError::TooLarge { max });
    }
    if !bytes.is_empty() {
        db::execute(
            db,
            "INSERT INTO blob_chunks (sha256, device_id, \"offset\", content, at) VALUES ($1, $2, $3, $4, $5)",
            &[&sha, &device, &(offset as i64), &bytes, &at],
        )
        .await?;
    }
    Ok(end)
}

async fn discard(db: &impl GenericClient, sha: &[u8], device: Uuid) -> Result<(), DbError> {
    db::execute(
        db,
        "DELETE FROM blob_chunks WHERE sha256 = $1 AND device_id = $2",
        &[&sha, &device],
    )
    .await?;
    Ok(())
}

/// Joins the chunks, checks them, and keeps the blob. A blob held already is complete at once.
pub async fn complete(
    db: &impl GenericClient,
    sha: &[u8],
    device: Uuid,
    size: u64,
    at: DateTime<Utc>,
) -> Result<(), BlobError> {
    if held(db, sha).await? {
        discard(db, sha, device).await?;
        return Ok(());
    }
    const WHOLE: &str = "SELECT string_agg(content, ''::bytea ORDER BY \"offset\") FROM blob_chunks WHERE sha256 = $1 AND device_id = $2";
    let row = db::query_one(
        db,
        &format!("SELECT coalesce(length(b), 0), sha256(b) = $1, substring(b FROM 1 FOR 16) FROM ({WHOLE}) AS w(b)"),
        &[&sha, &device],
    )
    .await?;
    let length: i32 = row.get(0);
    let matches: Option<bool> = row.get(1);
    let head: Option<Vec<u8>> = row.get(2);
    if (length as u64) < size {
        return Err(BlobError::Incomplete {
            received: length as u64,
            expected: size,
        });
    }
    if length as u64 != size || matches != Some(true) {
        discard(db, sha, device).await?;
        return Err(BlobError::HashMismatch {
            size: length as u64,
        });
    }
    if sniff_image(&head.unwrap_or_default()).is_none() {
        discard(db, sha, device).await?;
        return Err(BlobError::NotAnImage);
    }
    db::execute(
        db,
        &format!("INSERT INTO blobs (sha256, content, size, created_at) SELECT $1, b, length(b), $3 FROM ({WHOLE}) AS w(b) ON CONFLICT (sha256) DO NOTHING"),
        &[&sha, &device, &at],
    )
    .await?;
    discard(db, sha, device).await?;
    Ok(())
}

/// The blob's size and its bytes from `from` on (empty past the end), with its image type.
pub async fn read(
    db: &impl GenericClient,
    sha: &[u8],
    from: u64,
) -> Result<Option<(u64, Vec<u8>, &'static str)>, DbError> {
    let row = db::query_opt(
        db,
        "SELECT size, substring(content FROM $2::int + 1), substring(content FROM 1 FOR 16) FROM blobs WHERE sha256 = $1",
        &[&sha, &(from.min(i32::MAX as u64) as i32)],
    )
    .await?;
    Ok(row.map(|r| {
        let size: i32 = r.get(0);
        let bytes: Vec<u8> = r.get(1);
        let head: Vec<u8> = r.get(2);
        (
            size as u64,
            bytes,
            sniff_image(&head).unwrap_or("application/octet-stream"),
        )
    }))
}
