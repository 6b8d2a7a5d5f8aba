//! The central service: accounts, roles, devices, case access and the audit trail, on
//! PostgreSQL. A library (`router`, `serve`) so tests boot it on port 0, plus the
//! `porchlight-server` binary for operators. The rules of who sees what are in `rules`;
//! everything else asks them. Offline sync with the app's workspaces is in `sync`.

pub mod audit;
pub mod cases;
pub mod cli;
pub mod config;
pub mod db;
pub mod devices;
pub mod http;
pub mod listen;
pub mod login;
pub mod password;
pub mod people;
pub mod rules;
pub mod sync;
pub mod throttle;
pub mod totp;

pub use config::Config;
pub use http::{router, AppState};
pub use listen::{serve, shutdown_signal, tls_config, Listener};

use chrono::{DateTime, Utc};
use uuid::{NoContext, Timestamp, Uuid};

/// A new UUIDv7 whose time part is `now`, read by the caller.
pub fn new_id(now: DateTime<Utc>) -> Uuid {
    Uuid::new_v7(Timestamp::from_unix(
        NoContext,
        now.timestamp() as u64,
        now.timestamp_subsec_nanos(),
    ))
}
