//! Login throttling per address and per account, with a delay that doubles with each failure
//! past a free allowance. The counters live in PostgreSQL so every instance behind a load
//! balancer sees the same ones. It does not check passwords (`login`).

use crate::db::{self, DbError};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures allowed for one account before it must wait.
    pub account_free: i32,
    /// Failures allowed from one address (across accounts) before it must wait.
    pub address_free: i32,
    /// The first wait; each further failure doubles it.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            account_free: 5,
            address_free: 20,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(15 * 60),
            window: Duration::from_secs(15 * 60),
        }
    }
}

pub fn account_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

pub fn address_key(address: &str) -> String {
    format!("ip:{address}")
}

/// The wait after `failures` failures with `free` allowed.
pub fn delay_after(limits: &LoginLimits, failures: i32, free: i32) -> Option<Duration> {
    if failures < free {
        return None;
    }
    let doublings = (failures - free).min(20) as u32;
    Some(
        limits
            .base_delay
            .saturating_mul(1 << doublings)
            .min(limits.max_delay),
    )
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The latest moment any of `keys` is locked until, when that is after `now`.
pub async fn locked_until(
    db: &impl GenericClient,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbError> {
    let row = db::query_one(
        db,
        "SELECT max(locked_until) FROM login_throttle WHERE key = ANY($1) AND locked_until > $2",
        &[&keys, &now],
    )
    .await?;
    Ok(row.get(0))
}

/// Counts one failure against `key` and locks it when past its allowance.
pub async fn record_failure(
    db: &impl GenericClient,
    limits: &LoginLimits,
    key: &str,
    free: i32,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let forget_before = now - to_chrono(limits.window);
    let row = db::query_one(
        db,
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2)
         ON CONFLICT (key) DO UPDATE SET
            failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END,
            last_failure_at = $2
         RETURNING failures",
        &[&key, &now, &forget_before],
    )
    .await?;
    let failures: i32 = row.get(0);
    if let Some(wait) = delay_after(limits, failures, free) {
        db::execute(
            db,
            "UPDATE login_throttle SET locked_until = $2 WHERE key = $1",
            &[&key, &(now + to_chrono(wait))],
        )
        .await?;
    }
    Ok(())
}

/// Forgets an account's failures after it logs in.
pub async fn clear(db: &impl GenericClient, key: &str) -> Result<(), DbError> {
    db::execute(db, "DELETE FROM login_throttle WHERE key = $1", &[&key]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_past_the_allowance_up_to_the_cap() {
        let limits = LoginLimits::default();
        assert_eq!(delay_after(&limits, 4, 5), None);
        assert_eq!(delay_after(&limits, 5, 5), Some(Duration::from_secs(2)));
        assert_eq!(delay_after(&limits, 6, 5), Some(Duration::from_secs(4)));
        assert_eq!(delay_after(&limits, 7, 5), Some(Duration::from_secs(8)));
        assert_eq!(delay_after(&limits, 500, 5), Some(limits.max_delay));
    }
}
