//! People and places: offices with their regions, user accounts with their role, password
//! hash and second factor. It does not decide what a role may see (`rules`) nor handle
//! logins (`login`).

use crate::db::{self, DbError};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use uuid::Uuid;

/// What a person does in the organisation; `rules::RULES` says what each may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    CaseManager,
    PosterStaff,
    Volunteer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::CaseManager,
        Role::PosterStaff,
        Role::Volunteer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::CaseManager => "case_manager",
            Role::PosterStaff => "poster_staff",
            Role::Volunteer => "volunteer",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Admins and supervisors reach many children's records, so they log in with a second factor.
    pub fn needs_second_factor(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor)
    }

    /// Field roles work for one office; admins and poster staff work for the whole organisation.
    pub fn needs_office(self) -> bool {
        !matches!(self, Role::Admin | Role::PosterStaff)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("\"{0}\" is not a valid username: use 3 to 64 lower-case letters, digits, dots, hyphens or underscores")]
    BadUsername(String),
    #[error("the username \"{0}\" is taken")]
    UsernameTaken(String),
    #[error("no user named \"{0}\"")]
    NoSuchUser(String),
    #[error("no office named \"{0}\"; create it first with `porchlight-server office add`")]
    NoSuchOffice(String),
    #[error("an office named \"{0}\" already exists")]
    OfficeExists(String),
    #[error("a {0} must belong to an office: give one")]
    OfficeRequired(Role),
    #[error("{0}")]
    BadText(String),
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
}

impl From<tokio_postgres::Error> for PeopleError {
    fn from(e: tokio_postgres::Error) -> Self {
        PeopleError::Db(DbError::Postgres(e))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Office {
    pub id: Uuid,
    pub name: String,
    pub region: String,
}

/// An account as administrators see it: never the password hash or the TOTP secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub office_id: Option<Uuid>,
    pub disabled: bool,
}

/// What a login needs to know about an account.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
}

/// A new account's TOTP secret, shown once so the person can add it to an authenticator app.
pub struct NewUser {
    pub user: User,
    pub totp_secret: Option<Vec<u8>>,
}

pub fn normalise_username(raw: &str) -> Result<String, PeopleError> {
    let name = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(PeopleError::BadUsername(raw.to_owned()))
    }
}

fn clean_text(field: &str, raw: &str, max: usize) -> Result<String, PeopleError> {
    let text = porchlight_domain::values::collapse_spaces(raw);
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(PeopleError::BadText(format!(
            "{field}: give 1 to {max} printable characters"
        )));
    }
    Ok(text)
}

const USER_COLUMNS: &str = "id, username, display_name, role, office_id, disabled_at IS NOT NULL";

fn user_from(row: &Row) -> User {
    let role: String = row.get(3);
    User {
        id: row.get(0),
        username: row.get(1),
        display_name: row.get(2),
        role: Role::parse(&role).expect("the schema only allows known roles"),
        office_id: row.get(4),
        disabled: row.get(5),
    }
}

pub async fn add_office(
    db: &impl GenericClient,
    name: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Result<Office, PeopleError> {
    let name = clean_text("name", name, 100)?;
    let region = clean_text("region", region, 100)?;
    let id = crate::new_id(now);
    let added = db::execute(
        db,
        "INSERT INTO offices (id, name, region, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        &[&id, &name, &region, &now],
    )
    .await?;
    if added == 0 {
        return Err(PeopleError::OfficeExists(name));
    }
    Ok(Office { id, name, region })
}

pub async fn offices(db: &impl GenericClient) -> Result<Vec<Office>, PeopleError> {
    let rows = db::query(
        db,
        "SELECT id, name, region FROM offices ORDER BY name",
        &[],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| Office {
            id: r.get(0),
            name: r.get(1),
            region: r.get(2),
        })
        .collect())
}

pub async fn office_named(db: &impl GenericClient, name: &str) -> Result<Office, PeopleError> {
    db::query_opt(
        db,
        "SELECT id, name, region FROM offices WHERE name = $1",
        &[&name.trim()],
    )
    .await?
    .map(|r| Office {
        id: r.get(0),
        name: r.get(1),
        region: r.get(2),
    })
    .ok_or_else(|| PeopleError::NoSuchOffice(name.to_owned()))
}

pub async fn office_by_id(
    db: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Office>, PeopleError> {
    Ok(db::query_opt(
        db,
        "SELECT id, name, region FROM offices WHERE id = $1",
        &[&id],
    )
    .await?
    .map(|r| Office {
        id: r.get(0),
        name: r.get(1),
        region: r.get(2),
    }))
}

/// Creates an account. Admins and supervisors get a TOTP secret, returned once.
pub async fn add_user(
    db: &impl GenericClient,
    username: &str,
    display_name: &str,
    role: Role,
    office_id: Option<Uuid>,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<NewUser, PeopleError> {
    let username = normalise_username(username)?;
    let display_name = clean_text("display_name", display_name, 100)?;
    if role.needs_office() && office_id.is_none() {
        return Err(PeopleError::OfficeRequired(role));
    }
    let totp_secret = if role.needs_second_factor() {
        Some(
            crate::totp::new_secret()
                .map_err(|_| PeopleError::Password(crate::password::PasswordError::Random))?,
        )
    } else {
        None
    };
    let id = crate::new_id(now);
    let added = db::execute(
        db,
        "INSERT INTO users (id, username, display_name, role, office_id, password_hash, totp_secret, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (username) DO NOTHING",
        &[&id, &username, &display_name, &role.code(), &office_id, &password_hash, &totp_secret, &now],
    )
    .await?;
    if added == 0 {
        return Err(PeopleError::UsernameTaken(username));
    }
    Ok(NewUser {
        user: User {
            id,
            username,
            display_name,
            role,
            office_id,
            disabled: false,
        },
        totp_secret,
    })
}

pub async fn users(db: &impl GenericClient) -> Result<Vec<User>, PeopleError> {
    let rows = db::query(
        db,
        &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"),
        &[],
    )
    .await?;
    Ok(rows.iter().map(user_from).collect())
}

pub async fn user_by_id(db: &impl GenericClient, id: Uuid) -> Result<Option<User>, PeopleError> {
    Ok(db::query_opt(
        db,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(user_from))
}

pub async fn user_named(db: &impl GenericClient, username: &str) -> Result<User, PeopleError> {
    let name = username.trim().to_lowercase();
    db::query_opt(
        db,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
        &[&name],
    )
    .await?
    .as_ref()
    .map(user_from)
    .ok_or_else(|| PeopleError::NoSuchUser(username.to_owned()))
}

pub async fn credentials(
    db: &impl GenericClient,
    username: &str,
) -> Result<Option<Credentials>, PeopleError> {
    let row = db::query_opt(
        db,
        &format!("SELECT {USER_COLUMNS}, password_hash, totp_secret, totp_last_step FROM users WHERE username = $1"),
        &[&username],
    )
    .await?;
    Ok(row.map(|r| Credentials {
        user: user_from(&r),
        password_hash: r.get(6),
        totp_secret: r.get(7),
        totp_last_step: r.get(8),
    }))
}

/// Remembers the TOTP step just used, unless a concurrent login already used it or a later one.
pub async fn use_totp_step(
    db: &impl GenericClient,
    user: Uuid,
    step: i64,
) -> Result<bool, PeopleError> {
    let n = db::execute(
        db,
        "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        &[&user, &step],
    )
    .await?;
    Ok(n == 1)
}

/// Disables an account and revokes every device it enrolled, so it is refused at once.
pub async fn disable(
    db: &impl GenericClient,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(), PeopleError> {
    db::execute(
        db,
        "UPDATE users SET disabled_at = COALESCE(disabled_at, $2), updated_at = $2 WHERE id = $1",
        &[&user, &now],
    )
    .await?;
    db::execute(
        db,
        "UPDATE devices SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        &[&user, &now],
    )
    .await?;
    Ok(())
}

/// Gives an account another role. A role that works for one office keeps the account's office
/// unless one is given; admins and poster staff work for the whole organisation and keep none.
/// A role that logs in with a second factor gets a TOTP secret when the account had none,
/// returned once. What the account's devices hold is the caller's to re-scope, in the same
/// transaction (`sync::pull::rescope_devices_of`).
pub async fn set_role(
    db: &impl GenericClient,
    user: Uuid,
    role: Role,
    office_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<NewUser, PeopleError> {
    let row = db::query_opt(
        db,
        "SELECT office_id, totp_secret IS NOT NULL, username FROM users WHERE id = $1 FOR UPDATE",
        &[&user],
    )
    .await?;
    let Some(row) = row else {
        return Err(PeopleError::NoSuchUser(user.to_string()));
    };
    let (current_office, has_secret): (Option<Uuid>, bool) = (row.get(0), row.get(1));
    let office = if role.needs_office() {
        Some(
            office_id
                .or(current_office)
                .ok_or(PeopleError::OfficeRequired(role))?,
        )
    } else {
        None
    };
    let totp_secret = if role.needs_second_factor() && !has_secret {
        Some(
            crate::totp::new_secret()
                .map_err(|_| PeopleError::Password(crate::password::PasswordError::Random))?,
        )
    } else {
        None
    };
    let updated = db::query_one(
        db,
        &format!(
            "UPDATE users SET role = $2, office_id = $3, totp_secret = coalesce($4, totp_secret),
                    totp_last_step = CASE WHEN $4::bytea IS NULL THEN totp_last_step END, updated_at = $5
             WHERE id = $1 RETURNING {USER_COLUMNS}"
        ),
        &[&user, &role.code(), &office, &totp_secret, &now],
    )
    .await?;
    Ok(NewUser {
        user: user_from(&updated),
        totp_secret,
    })
}

/// Sets a new password and revokes the account's devices: whoever knew the old one is out.
pub async fn set_password(
    db: &impl GenericClient,
    user: Uuid,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), PeopleError> {
    db::execute(
        db,
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
        &[&user, &password_hash, &now],
    )
    .await?;
    db::execute(
        db,
        "UPDATE devices SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        &[&user, &now],
    )
    .await?;
    Ok(())
}
