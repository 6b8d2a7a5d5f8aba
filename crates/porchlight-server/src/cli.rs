//! The administration commands of the `porchlight-server` binary, run against the database
//! directly by an operator: migrate, people, offices, case assignment, devices and audit
//! verification. Each change is audited as done at the command line. Argument parsing lives in
//! `main.rs`; this module returns the text to print.

use crate::audit::{self, Action, Actor, Entry};
use crate::cases::{self, CaseError};
use crate::db::{self, DbError, Pool};
use crate::devices;
use crate::people::{self, PeopleError, Role};
use crate::{password, totp};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    People(#[from] PeopleError),
    #[error("{0}")]
    Case(String),
    #[error("{0}")]
    Usage(String),
    /// The audit chain is broken; the text lists where.
    #[error("{0}")]
    Tampered(String),
}

impl From<tokio_postgres::Error> for CliError {
    fn from(e: tokio_postgres::Error) -> Self {
        CliError::Db(DbError::Postgres(e))
    }
}

impl From<deadpool_postgres::PoolError> for CliError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        CliError::Db(DbError::Pool(e))
    }
}

impl From<CaseError> for CliError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Db(db) => CliError::Db(db),
            other => CliError::Case(other.to_string()),
        }
    }
}

pub async fn migrate(pool: &Pool) -> Result<String, CliError> {
    let mut client = pool.get().await?;
    let applied = db::migrate(&mut client).await?;
    Ok(if applied.is_empty() {
        format!(
            "The database is up to date (schema {}).",
            db::latest_version()
        )
    } else {
        format!(
            "Applied migrations {applied:?}; the database is at schema {}.",
            db::latest_version()
        )
    })
}

pub async fn add_office(
    pool: &Pool,
    name: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let office = people::add_office(&tx, name, region, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, Actor::Cli, Action::OfficeAdded).subject(office.id),
    )
    .await?;
    tx.commit().await?;
    Ok(format!(
        "Office \"{}\" ({}) added with id {}.",
        office.name, office.region, office.id
    ))
}

#[allow(clippy::too_many_arguments)]
pub async fn add_user(
    pool: &Pool,
    username: &str,
    display_name: &str,
    role: Role,
    office: Option<&str>,
    new_password: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let mut client = pool.get().await?;
    let office_id = match office {
        Some(name) => Some(people::office_named(&client, name).await?.id),
        None => None,
    };
    let hash = password::hash(new_password).map_err(PeopleError::from)?;
    let tx = client.transaction().await?;
    let created = people::add_user(&tx, username, display_name, role, office_id, hash, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, Actor::Cli, Action::UserAdded)
            .subject(created.user.id)
            .detail(json!({ "role": role })),
    )
    .await?;
    tx.commit().await?;
    let mut out = format!(
        "User {} ({}) added with id {}.",
        created.user.username, role, created.user.id
    );
    if let Some(secret) = created.totp_secret {
        out.push_str(&format!(
            "\nThis account logs in with a second factor. Add it to an authenticator app (shown once):\n  {}\n  secret: {}",
            totp::enrolment_uri(issuer, &created.user.username, &secret),
            totp::base32(&secret)
        ));
    }
    Ok(out)
}

pub async fn disable_user(
    pool: &Pool,
    username: &str,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let mut client = pool.get().await?;
    let user = people::user_named(&client, username).await?;
    let tx = client.transaction().await?;
    people::disable(&tx, user.id, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, Actor::Cli, Action::UserDisabled).subject(user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(format!(
        "User {} disabled; their devices are revoked.",
        user.username
    ))
}

/// Gives an account another role, and in the same transaction tells each of its devices to
/// give back every case it holds (they take back what the new role may see at their next pull).
pub async fn set_role(
    pool: &Pool,
    username: &str,
    role: Role,
    office: Option<&str>,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let mut client = pool.get().await?;
    let user = people::user_named(&client, username).await?;
    let office_id = match office {
        Some(name) => Some(people::office_named(&client, name).await?.id),
        None => None,
    };
    let tx = client.transaction().await?;
    let changed = people::set_role(&tx, user.id, role, office_id, now).await?;
    let devices = crate::sync::pull::rescope_devices_of(&tx, user.id).await?;
    audit::append(
        &tx,
        &Entry::new(now, Actor::Cli, Action::UserRoleChanged)
            .subject(user.id)
            .detail(json!({
                "from": user.role,
                "role": role,
                "office_id": changed.user.office_id,
                "devices_rescoped": devices,
            })),
    )
    .await?;
    tx.commit().await?;
    let mut out = format!(
        "User {} is now {role} (was {}); {devices} device(s) will give back what they hold at their next sync.",
        user.username, user.role
    );
    if let Some(secret) = changed.totp_secret {
        out.push_str(&format!(
            "\nThis account now logs in with a second factor. Add it to an authenticator app (shown once):\n  {}\n  secret: {}",
            totp::enrolment_uri(issuer, &changed.user.username, &secret),
            totp::base32(&secret)
        ));
    }
    Ok(out)
}

pub async fn reset_password(
    pool: &Pool,
    username: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let mut client = pool.get().await?;
    let user = people::user_named(&client, username).await?;
    let hash = password::hash(new_password).map_err(PeopleError::from)?;
    let tx = client.transaction().await?;
    people::set_password(&tx, user.id, hash, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, Actor::Cli, Action::PasswordReset).subject(user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(format!(
        "Password of {} reset; their devices are revoked and must log in again.",
        user.username
    ))
}

/// Finds a case by id or by case number, whatever its scope: the operator has the database.
/// Returns its id, office and number.
async fn find_case(
    db: &impl GenericClient,
    reference: &str,
) -> Result<(Uuid, Uuid, String), CliError> {
    let row = match Uuid::parse_str(reference.trim()) {
        Ok(id) => {
            db::query_opt(
                db,
                "SELECT id, office_id, case_number FROM cases WHERE id = $1",
                &[&id],
            )
            .await?
        }
        Err(_) => {
            db::query_opt(
                db,
                "SELECT id, office_id, case_number FROM cases WHERE case_number = $1",
                &[&reference.trim().to_ascii_uppercase()],
            )
            .await?
        }
    };
    let row = row.ok_or_else(|| {
        CliError::Case(format!(
            "no case {reference:?}; give its id or its number (PL-YYMM-XXXX-XXXX)"
        ))
    })?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

pub async fn assign(
    pool: &Pool,
    case: &str,
    username: &str,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let mut client = pool.get().await?;
    let user = people::user_named(&client, username).await?;
    let tx = client.transaction().await?;
    let (id, office, number) = find_case(&tx, case).await?;
    let previous = cases::assign(&tx, id, office, user.id, None, now).await?;
    audit::append(
        &tx,
        &Entry::new(now, Actor::Cli, Action::CaseAssigned)
            .case(id)
            .subject(user.id)
            .detail(json!({ "previous": previous })),
    )
    .await?;
    tx.commit().await?;
    Ok(format!("Case {number} assigned to {}.", user.username))
}

pub async fn device_list(pool: &Pool, username: Option<&str>) -> Result<String, CliError> {
    let client = pool.get().await?;
    let user = match username {
        Some(name) => Some(people::user_named(&client, name).await?.id),
        None => None,
    };
    let list = devices::list(&client, user).await?;
    let mut out = format!(
        "{:<36}  {:<20}  {:<24}  {:<20}  state",
        "device", "user", "name", "last seen"
    );
    for d in &list {
        let state = match (d.revoked_at, d.wipe_requested_at, d.wiped_at) {
            (_, _, Some(_)) => "wiped",
            (Some(_), _, _) => "revoked",
            (None, Some(_), None) => "wipe pending",
            (None, None, None) => "active",
        };
        out.push_str(&format!(
            "\n{:<36}  {:<20}  {:<24}  {:<20}  {state}",
            d.id,
            d.username,
            d.name,
            d.last_seen_at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if list.is_empty() {
        out.push_str("\n(no devices)");
    }
    Ok(out)
}

fn device_id(raw: &str) -> Result<Uuid, CliError> {
    Uuid::parse_str(raw.trim()).map_err(|_| {
        CliError::Usage(format!(
            "{raw:?} is not a device id; `porchlight-server device list` shows them"
        ))
    })
}

pub async fn device_revoke(pool: &Pool, id: &str, now: DateTime<Utc>) -> Result<String, CliError> {
    let id = device_id(id)?;
    let client = pool.get().await?;
    if devices::get(&client, id).await?.is_none() {
        return Err(CliError::Usage(format!("no device {id}")));
    }
    let changed = devices::revoke(&client, id, now).await?;
    audit::append(
        &client,
        &Entry::new(now, Actor::Cli, Action::TokenRevoked).subject(id),
    )
    .await?;
    Ok(if changed {
        format!("Device {id} revoked: its next request is refused.")
    } else {
        format!("Device {id} was already revoked.")
    })
}

pub async fn device_wipe(pool: &Pool, id: &str, now: DateTime<Utc>) -> Result<String, CliError> {
    let id = device_id(id)?;
    let client = pool.get().await?;
    if !devices::request_wipe(&client, id, now).await? {
        return Err(CliError::Usage(format!("no device {id}")));
    }
    audit::append(
        &client,
        &Entry::new(now, Actor::Cli, Action::WipeRequested).subject(id),
    )
    .await?;
    Ok(format!(
        "Device {id} flagged for wipe: it deletes its workspace at its next contact."
    ))
}

pub async fn audit_verify(pool: &Pool, expect_head: Option<&str>) -> Result<String, CliError> {
    let head = match expect_head {
        Some(text) => Some(audit::parse_head(text).ok_or_else(|| {
            CliError::Usage(format!(
                "--expect-head {text:?}: give SEQ:HASH as printed by an earlier `audit verify`"
            ))
        })?),
        None => None,
    };
    let client = pool.get().await?;
    let verdict = audit::verify(&client, head).await?;
    let head_text = verdict
        .head
        .as_ref()
        .map_or("none".to_owned(), |(s, h)| format!("{s}:{h}"));
    if verdict.intact() {
        Ok(format!("Audit log intact: {} entries. Head {head_text} (record it; pass it as --expect-head next time to detect entries cut from the end).", verdict.entries))
    } else {
        let mut out = format!(
            "AUDIT LOG TAMPERED: {} problem(s) in {} entries:",
            verdict.problems.len(),
            verdict.entries
        );
        for p in &verdict.problems {
            out.push_str(&format!("\n  - {p}"));
        }
        Err(CliError::Tampered(out))
    }
}
