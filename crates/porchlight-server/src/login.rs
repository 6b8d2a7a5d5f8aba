//! Logging in from the app: throttling, password and second-factor checks, device enrolment
//! and the audit entries of each outcome. It does not serve HTTP; `http::account` does.

use crate::audit::{self, Action, Actor, Entry};
use crate::db::DbError;
use crate::devices;
use crate::people::{self, PeopleError, User};
use crate::throttle::{self, LoginLimits};
use crate::{password, totp};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("wrong username or password")]
    BadCredentials,
    #[error("this account needs the 6-digit code from its authenticator app: send it as \"totp\"")]
    SecondFactorRequired,
    #[error("the authenticator code is wrong or was already used")]
    BadSecondFactor,
    #[error("device_name: give 1 to 100 printable characters, e.g. \"Ana's laptop\"")]
    BadDeviceName,
}

impl From<PeopleError> for LoginError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::Db(db) => LoginError::Db(db),
            other => LoginError::Db(DbError::Corrupt(other.to_string())),
        }
    }
}

impl From<tokio_postgres::Error> for LoginError {
    fn from(e: tokio_postgres::Error) -> Self {
        LoginError::Db(DbError::Postgres(e))
    }
}

pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub totp: Option<&'a str>,
    pub device_name: &'a str,
    pub address: Option<String>,
}

pub struct Enrolled {
    pub token: devices::Token,
    pub device_id: Uuid,
    pub user: User,
}

async fn fail(
    db: &impl GenericClient,
    limits: &LoginLimits,
    keys: (&str, &str),
    entry: Entry,
    now: DateTime<Utc>,
) -> Result<(), LoginError> {
    throttle::record_failure(db, limits, keys.0, limits.account_free, now).await?;
    throttle::record_failure(db, limits, keys.1, limits.address_free, now).await?;
    audit::append(db, &entry).await?;
    Ok(())
}

/// Checks a login and, when it succeeds, enrols a new device and returns its token.
pub async fn login(
    db: &impl GenericClient,
    limits: &LoginLimits,
    attempt: Attempt<'_>,
    now: DateTime<Utc>,
) -> Result<Enrolled, LoginError> {
    let device_name = porchlight_domain::values::collapse_spaces(attempt.device_name);
    if device_name.is_empty()
        || device_name.chars().count() > 100
        || device_name.chars().any(char::is_control)
    {
        return Err(LoginError::BadDeviceName);
    }
    let username = attempt.username.trim().to_lowercase();
    let account_key = throttle::account_key(&username);
    let address_key = throttle::address_key(attempt.address.as_deref().unwrap_or("unknown"));
    let keys = [account_key.clone(), address_key.clone()];
    let base = |actor: Actor, action: Action| {
        Entry::new(now, actor, action).address(attempt.address.clone())
    };

    if let Some(until) = throttle::locked_until(db, &keys, now).await? {
        audit::append(
            db,
            &base(Actor::Anonymous, Action::LoginThrottled).detail(json!({ "username": username })),
        )
        .await?;
        let retry_after_secs = (until - now).num_seconds().max(0) as u64 + 1;
        return Err(LoginError::Throttled { retry_after_secs });
    }

    let creds = people::credentials(db, &username).await?;
    let hash = creds.as_ref().map_or_else(
        || password::decoy_hash().to_owned(),
        |c| c.password_hash.clone(),
    );
    let given = attempt.password.to_owned();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let password_ok = tokio::task::spawn_blocking(move || password::verify(&given, &hash))
        .await
        .unwrap_or(false);

    let creds = match creds {
        Some(c) if password_ok && !c.user.disabled => c,
        other => {
            let (actor, reason) = match &other {
                None => (Actor::Anonymous, "unknown_user"),
                Some(c) if c.user.disabled => (
                    Actor::User {
                        user: c.user.id,
                        device: None,
                    },
                    "disabled",
                ),
                Some(c) => (
                    Actor::User {
                        user: c.user.id,
                        device: None,
                    },
                    "wrong_password",
                ),
            };
            fail(
                db,
                limits,
                (&account_key, &address_key),
                base(actor, Action::LoginFailed)
                    .detail(json!({ "username": username, "reason": reason })),
                now,
            )
            .await?;
            return Err(LoginError::BadCredentials);
        }
    };
    let actor = Actor::User {
        user: creds.user.id,
        device: None,
    };

    if let Some(secret) = &creds.totp_secret {
        let Some(code) = attempt.totp.filter(|c| !c.trim().is_empty()) else {
            audit::append(
                db,
                &base(actor, Action::LoginFailed)
                    .detail(json!({ "username": username, "reason": "totp_missing" })),
            )
            .await?;
            return Err(LoginError::SecondFactorRequired);
        };
        let step = totp::accept(secret, code, now.timestamp(), creds.totp_last_step);
        let used = match step {
            Some(step) => people::use_totp_step(db, creds.user.id, step).await?,
            None => false,
        };
        if !used {
            fail(
                db,
                limits,
                (&account_key, &address_key),
                base(actor, Action::LoginFailed)
                    .detail(json!({ "username": username, "reason": "totp_wrong" })),
                now,
            )
            .await?;
            return Err(LoginError::BadSecondFactor);
        }
    }

    throttle::clear(db, &account_key).await?;
    let (token, hash) =
        devices::new_token().map_err(|e| DbError::Corrupt(format!("random generator: {e}")))?;
    let device_id = devices::enrol(db, creds.user.id, &device_name, &hash, now).await?;
    let actor = Actor::User {
        user: creds.user.id,
        device: Some(device_id),
    };
    audit::append(
        db,
        &base(actor, Action::LoginSucceeded).detail(json!({ "username": username })),
    )
    .await?;
    audit::append(db, &base(actor, Action::TokenIssued).subject(device_id)).await?;
    Ok(Enrolled {
        token,
        device_id,
        user: creds.user,
    })
}
