//! Enrolled devices and their bearer tokens: enrolment at login, the token check on every
//! request, listing, revocation and the remote-wipe flag. A token is 256 random bits; only its
//! SHA-256 is stored, so a copy of the database does not let anyone in. It does not decide
//! whether the login itself may succeed (`login`).

use crate::db::{self, DbError};
use crate::people::Role;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The opaque token handed to the app once, at enrolment.
pub struct Token(pub String);

/// Makes a new token and the hash to store for it.
pub fn new_token() -> Result<(Token, Vec<u8>), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = token_hash(&text);
    Ok((Token(text), hash))
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A token is 64 lower-case hex digits; anything else is refused before touching the database.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub name: String,
    pub enrolled_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub wipe_requested_at: Option<DateTime<Utc>>,
    pub wiped_at: Option<DateTime<Utc>>,
}

/// Who is calling: the device, its user and the user's standing, as read for one request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub role: Role,
    pub office_id: Option<Uuid>,
    pub wipe_requested: bool,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Revoked,
    UserDisabled,
}

pub async fn enrol(
    db: &impl GenericClient,
    user: Uuid,
    name: &str,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<Uuid, DbError> {
    let id = crate::new_id(now);
    db::execute(
        db,
        "INSERT INTO devices (id, user_id, name, token_hash, enrolled_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $5)",
        &[&id, &user, &name, &hash, &now],
    )
    .await?;
    Ok(id)
}

/// Checks a bearer token. Revocation and disabling take effect at the very next request because
/// nothing about them is cached.
pub async fn authenticate(
    db: &impl GenericClient,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Result<Caller, Refusal>, DbError> {
    if !well_formed(token) {
        return Ok(Err(Refusal::Unknown));
    }
    let row = db::query_opt(
        db,
        "SELECT d.id, d.revoked_at IS NOT NULL, d.wipe_requested_at IS NOT NULL, d.last_seen_at,
                u.id, u.username, u.role, u.office_id, u.disabled_at IS NOT NULL
         FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1",
        &[&token_hash(token)],
    )
    .await?;
    let Some(row) = row else {
        return Ok(Err(Refusal::Unknown));
    };
    if row.get::<_, bool>(1) {
        return Ok(Err(Refusal::Revoked));
    }
    if row.get::<_, bool>(8) {
        return Ok(Err(Refusal::UserDisabled));
    }
    let device_id: Uuid = row.get(0);
    let last_seen: DateTime<Utc> = row.get(3);
    // Writing on every request would make each read a write; a minute's precision is enough to
    // tell which laptops are still in use.
    if now - last_seen > chrono::Duration::seconds(60) {
        db::execute(
            db,
            "UPDATE devices SET last_seen_at = $2 WHERE id = $1",
            &[&device_id, &now],
        )
        .await?;
    }
    let role: String = row.get(6);
    Ok(Ok(Caller {
        device_id,
        user_id: row.get(4),
        username: row.get(5),
        role: Role::parse(&role).expect("the schema only allows known roles"),
        office_id: row.get(7),
        wipe_requested: row.get(2),
    }))
}

const DEVICE_COLUMNS: &str = "d.id, d.user_id, u.username, d.name, d.enrolled_at, d.last_seen_at, d.revoked_at, d.wipe_requested_at, d.wiped_at";

fn device_from(r: &tokio_postgres::Row) -> Device {
    Device {
        id: r.get(0),
        user_id: r.get(1),
        username: r.get(2),
        name: r.get(3),
        enrolled_at: r.get(4),
        last_seen_at: r.get(5),
        revoked_at: r.get(6),
        wipe_requested_at: r.get(7),
        wiped_at: r.get(8),
    }
}

/// Every device, or one user's.
pub async fn list(db: &impl GenericClient, user: Option<Uuid>) -> Result<Vec<Device>, DbError> {
    let rows = db::query(
        db,
        &format!("SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE $1::uuid IS NULL OR d.user_id = $1 ORDER BY d.enrolled_at"),
        &[&user],
    )
    .await?;
    Ok(rows.iter().map(device_from).collect())
}

pub async fn get(db: &impl GenericClient, id: Uuid) -> Result<Option<Device>, DbError> {
    Ok(db::query_opt(db, &format!("SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = $1"), &[&id])
        .await?
        .as_ref()
        .map(device_from))
}

/// Revokes a device's token; true when it was still valid.
pub async fn revoke(
    db: &impl GenericClient,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(db::execute(
        db,
        "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        &[&id, &now],
    )
    .await?
        == 1)
}

/// Flags a device for remote wipe: from its next contact on it gets nothing but the order to
/// delete its local workspace.
pub async fn request_wipe(
    db: &impl GenericClient,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(db::execute(
        db,
        "UPDATE devices SET wipe_requested_at = COALESCE(wipe_requested_at, $2) WHERE id = $1",
        &[&id, &now],
    )
    .await?
        == 1)
}

/// The app reports that it deleted its workspace; its token ends with it.
pub async fn confirm_wiped(
    db: &impl GenericClient,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    db::execute(
        db,
        "UPDATE devices SET wiped_at = $2, revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 AND wipe_requested_at IS NOT NULL",
        &[&id, &now],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_only_their_hash_is_kept() {
        let (a, hash_a) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert_ne!(a.0, b.0);
        assert!(well_formed(&a.0));
        assert_eq!(hash_a.len(), 32);
        assert_eq!(hash_a, token_hash(&a.0));
        assert!(!well_formed("Bearer abc"));
        assert!(!well_formed(&a.0.to_uppercase()));
    }
}
