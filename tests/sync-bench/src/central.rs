//! The central service the benchmark talks to: a database of its own in the PostgreSQL named by
//! `PORCHLIGHT_TEST_DATABASE_URL` (migrated by the owner, served through an append-only service
//! role, dropped at the end), the real `porchlight_server::serve` on 127.0.0.1, one office and
//! the two synthetic people whose devices sync. It does not drive any device.

use crate::BenchError;
use chrono::Utc;
use porchlight_pg_support::{Cluster, FreshDatabase, Login, PgError};
use porchlight_server::db::Pool;
use porchlight_server::people::{self, Role};
use porchlight_server::{password, totp, AppState, Listener};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The database role the service runs as, as in production: a member of
/// `porchlight_service`, which may only read and append the audit log.
const SERVICE_LOGIN: Login = Login { role: "porchlight_bench_app", password: "porchlight-bench-app" };

/// Connections the service may open. The service's default pool is sized for many clients;
/// two devices syncing one after the other need few.
const POOL_SIZE: usize = 8;

/// Someone who logs in: username, password and, for supervisors, the TOTP secret.
#[derive(Clone)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    pub password: String,
    totp: Option<Vec<u8>>,
}

impl Account {
    /// The current authenticator code, for roles with a second factor.
    pub fn code(&self) -> Option<String> {
        self.totp.as_ref().map(|secret| totp::code_at(secret, Utc::now().timestamp()))
    }
}

/// The running service and its database.
pub struct Central {
    pub runtime: Runtime,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub addr: SocketAddr,
    /// A case manager of the office: device A.
    pub case_manager: Account,
    /// Supervisors of the same office: the devices B, which see every case of the office. One
    /// each, since a supervisor's authenticator code is accepted once.
    pub supervisors: Vec<Account>,
    /// The owner's connections, for counting what the server holds.
    owner: Pool,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    /// Held for its drop, which drops the database; declared last, so that happens after the
    /// service has stopped.
    _database: FreshDatabase,
}

/// `PORCHLIGHT_BENCH_LOG_STATEMENTS=1` logs every statement of the benchmark's database with
/// its duration (use a PostgreSQL cluster of your own: the log is the cluster's).
fn log_statements() -> bool {
    std::env::var("PORCHLIGHT_BENCH_LOG_STATEMENTS").is_ok_and(|v| v == "1")
}

/// The PostgreSQL to create the benchmark's database in. Without one the benchmark cannot run;
/// the error says how to start the project's throwaway cluster.
pub fn admin_url() -> Result<String, BenchError> {
    porchlight_pg_support::cluster_url().ok_or(BenchError::NoDatabase)
}

fn db_err(what: &str) -> impl Fn(tokio_postgres::Error) -> BenchError + '_ {
    move |e| BenchError::Database(format!("{what}: {e}"))
}

/// The support crate's errors already say what was being done.
fn pg_err(e: PgError) -> BenchError {
    BenchError::Database(e.to_string())
}

impl Central {
    /// Creates the database, migrates it, adds the office and people, and starts the service.
    /// The service with a case manager and `supervisors` supervisors (at least one), making
    /// pull pages ahead at zstd level `prefetch_level` (None: the service's default).
    pub fn start(supervisors: usize, prefetch_level: Option<i32>) -> Result<Central, BenchError> {
        let admin = admin_url()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("central")
            .enable_all()
            .build()
            .map_err(|e| BenchError::Database(format!("cannot start the service's runtime: {e}")))?;
        let cluster = Cluster::parse(&admin).map_err(pg_err)?;
        let name = format!("sync_bench_{}", uuid::Uuid::now_v7().simple());
        let setup = runtime.block_on(async {
            let database = FreshDatabase::create(&cluster, name).await.map_err(pg_err)?;
            if log_statements() {
                // Every statement of the service with its duration goes to the PostgreSQL log,
                // with `mark`s between the steps: for profiling on a cluster of one's own.
                database.alter("log_min_duration_statement = 0").await.map_err(pg_err)?;
            }
            let owner = database.owner_pool(4, Duration::from_secs(10)).map_err(pg_err)?;
            database.migrate(&owner).await.map_err(pg_err)?;
            database.add_login(&owner, &SERVICE_LOGIN).await.map_err(pg_err)?;
            let c = owner.get().await.map_err(|e| BenchError::Database(e.to_string()))?;
            let now = Utc::now();
            let office = people::add_office(&c, "Tulsa", "Oklahoma", now).await.map_err(|e| BenchError::Database(e.to_string()))?;
            let mut accounts = Vec::new();
            let people = std::iter::once(("bench.casemanager".to_owned(), "Bench Case Manager".to_owned(), Role::CaseManager))
                .chain((1..=supervisors.max(1)).map(|i| (format!("bench.supervisor{i}"), format!("Bench Supervisor {i}"), Role::Supervisor)));
            for (username, display, role) in people {
                let (username, display) = (username.as_str(), display.as_str());
                let password = format!("{username} synthetic password 2026");
                let hash = password::hash(&password).map_err(|e| BenchError::Database(e.to_string()))?;
                let made = people::add_user(&c, username, display, role, Some(office.id), hash, now)
                    .await
                    .map_err(|e| BenchError::Database(e.to_string()))?;
                accounts.push(Account { username: username.to_owned(), display_name: display.to_owned(), password, totp: made.totp_secret });
            }
            drop(c);
            let service = database.pool_as(&SERVICE_LOGIN, POOL_SIZE, Duration::from_secs(10)).map_err(pg_err)?;
            let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| BenchError::Database(format!("bind: {e}")))?;
            let addr = tcp.local_addr().map_err(|e| BenchError::Database(format!("bind: {e}")))?;
            let (stop, stopped) = oneshot::channel::<()>();
            let mut state = AppState::new(service);
            if let Some(level) = prefetch_level {
                state.prefetch_compression_level = level;
            }
            let task = tokio::spawn(porchlight_server::serve(Listener::plain(tcp), state, async move {
                let _ = stopped.await;
            }));
            Ok::<_, BenchError>((database, owner, accounts, addr, stop, task))
        });
        // A setup that failed has dropped the database it made, with the rest of what it held.
        let (database, owner, mut accounts, addr, stop, task) = setup?;
        let supervisors = accounts.split_off(1);
        let case_manager = accounts.pop().expect("the case manager was made first");
        Ok(Central {
            runtime,
            url: format!("http://{addr}"),
            addr,
            case_manager,
            supervisors,
            owner,
            stop: Some(stop),
            task: Some(task),
            _database: database,
        })
    }

    /// One number from the service's database, e.g. `SELECT count(*) FROM cases`.
    pub fn count(&self, sql: &str) -> Result<i64, BenchError> {
        self.runtime.block_on(async {
            let c = self.owner.get().await.map_err(|e| BenchError::Database(e.to_string()))?;
            let row = c.query_one(sql, &[]).await.map_err(db_err("count"))?;
            Ok(row.get::<_, i64>(0))
        })
    }

    /// Writes `text` into the PostgreSQL log between steps, when statements are logged.
    pub fn mark(&self, text: &str) {
        if !log_statements() {
            return;
        }
        let sql = format!("SELECT 'sync-bench mark: {}'", text.replace('\'', ""));
        let _ = self.runtime.block_on(async {
            let c = self.owner.get().await.map_err(|e| BenchError::Database(e.to_string()))?;
            c.batch_execute(&sql).await.map_err(db_err("mark"))
        });
    }

    /// The size of the service's database, for the report.
    pub fn database_bytes(&self) -> Result<i64, BenchError> {
        self.count("SELECT pg_database_size(current_database())")
    }
}

impl Drop for Central {
    /// Stops the service, lets requests in flight finish, and drops the database.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), task).await });
        }
        // The owner's pool holds connections to the database dropped after this; FORCE would
        // end them, closing them first is kinder to the log.
        self.owner.close();
    }
}
