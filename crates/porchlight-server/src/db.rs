//! The PostgreSQL connection pool and the embedded schema migrations. It knows no table's
//! meaning; each module owns the SQL of its own tables.

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_postgres::NoTls;

pub use deadpool_postgres::{Client, Pool};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error(
        "the database URL is not valid ({0}); use postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    Url(String),
    #[error("migration {version} ({name}) was changed after it was applied; migrations are append-only, add a new one instead")]
    MigrationChanged { version: i32, name: &'static str },
    #[error(
        "the database has migration {0}, newer than this build knows; upgrade porchlight-server"
    )]
    TooNew(i32),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
}

/// One embedded schema change. Applied in order, each at most once, all pending ones in one
/// transaction.
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "central",
        sql: include_str!("../migrations/0001_central.sql"),
    },
    Migration {
        version: 2,
        name: "sync",
        sql: include_str!("../migrations/0002_sync.sql"),
    },
    Migration {
        version: 3,
        name: "sync_speed",
        sql: include_str!("../migrations/0003_sync_speed.sql"),
    },
    Migration {
        version: 4,
        name: "sync_scope_care",
        sql: include_str!("../migrations/0004_sync_scope_care.sql"),
    },
    Migration {
        version: 5,
        name: "sync_hot_updates",
        sql: include_str!("../migrations/0005_sync_hot_updates.sql"),
    },
    Migration {
        version: 6,
        name: "sync_cases_left",
        sql: include_str!("../migrations/0006_sync_cases_left.sql"),
    },
    Migration {
        version: 7,
        name: "sync_scan_pages",
        sql: include_str!("../migrations/0007_sync_scan_pages.sql"),
    },
];

/// The schema version this build needs.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Serialises migrations run by several instances or CLI calls at once.
const MIGRATION_LOCK: i64 = 7306142510;

/// Builds a pool of connections as the user named in `url`. Connections are made lazily, so a
/// database that is down is reported by the readiness endpoint rather than at start-up.
pub fn pool(url: &str, size: usize, wait: Duration) -> Result<Pool, DbError> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| DbError::Url(e.to_string()))?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(wait))
        .create_timeout(Some(wait))
        .build()
        .map_err(|e| DbError::Url(e.to_string()))
}

fn checksum(sql: &str) -> Vec<u8> {
    Sha256::digest(sql.as_bytes()).to_vec()
}

/// Applies every pending migration and returns the versions applied. Needs a role that may
/// create tables (the database owner), not the service role.
pub async fn migrate(client: &mut Client) -> Result<Vec<i32>, DbError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum bytea NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let applied = tx
        .query(
            "SELECT version, checksum FROM schema_migrations ORDER BY version",
            &[],
        )
        .await?;
    let mut done = Vec::new();
    for row in &applied {
        let version: i32 = row.get(0);
        let sum: Vec<u8> = row.get(1);
        match MIGRATIONS.iter().find(|m| m.version == version) {
            Some(m) if checksum(m.sql) != sum => {
                return Err(DbError::MigrationChanged {
                    version,
                    name: m.name,
                })
            }
            Some(_) => done.push(version),
            None => return Err(DbError::TooNew(version)),
        }
    }
    let mut newly = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        tx.batch_execute(m.sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &checksum(m.sql)],
        )
        .await?;
        newly.push(m.version);
    }
    tx.commit().await?;
    Ok(newly)
}

/// The newest migration applied to the database, or `None` before the first `migrate`.
pub async fn schema_version(client: &Client) -> Result<Option<i32>, DbError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(None);
    }
    Ok(client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await?
        .get(0))
}

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

/// Every statement goes through the connection's prepared-statement cache: a request then
/// costs one round trip per statement instead of two.
pub async fn query(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query(&statement, params).await
}

pub async fn query_opt(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query_opt(&statement, params).await
}

pub async fn query_one(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Row, tokio_postgres::Error> {
    let statement = db.prepare_cached(sql).await?;
    db.query_one(&statement, params).await
}

pub async fn execute(
    db: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let statement = db.prepare_cached(sql).await?;
    db.execute(&statement, params).await
}
