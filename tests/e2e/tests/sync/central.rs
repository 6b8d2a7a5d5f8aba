//! The central service of the sync scenario: a PostgreSQL database of its own (made fresh in the
//! cluster named by PORCHLIGHT_TEST_DATABASE_URL and dropped at the end), migrated, with one
//! office and one case manager added through the operator's own commands, and the real service
//! served in-process on a fixed port, where it can be stopped and started again. It makes no
//! case and enrols no device: the two devices of the scenario do that themselves.

use porchlight_e2e::{Failure, Step};
use porchlight_server::people::Role;
use porchlight_server::{cli, db, AppState, Listener};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::time::Duration;

/// The login role the service runs as here: a member of `porchlight_service`, as in production,
/// so the audit log stays insert-only for it.
const SERVICE_ROLE: &str = "porchlight_e2e_app";
const SERVICE_ROLE_PASSWORD: &str = "porchlight-e2e-app";

/// How long a stopped service may take to finish the requests it is serving.
const STOP_PATIENCE: Duration = Duration::from_secs(10);

/// The superuser URL of the test cluster, or `None` (with a loud notice) when there is none
/// outside CI. Under CI=true a missing URL fails the test: the scripts always start PostgreSQL.
pub fn cluster_or_skip(test: &str) -> Option<String> {
    match std::env::var("PORCHLIGHT_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{test}: PORCHLIGHT_TEST_DATABASE_URL is not set, and CI=true requires the sync scenario to run against PostgreSQL; run `eval \"$(bash scripts/pg.sh start)\"` first (scripts/test.sh does).");
            }
            eprintln!();
            eprintln!("************************************************************************");
            eprintln!("* SKIPPED {test}: PORCHLIGHT_TEST_DATABASE_URL is not set.");
            eprintln!(
                "* Run `eval \"$(bash scripts/pg.sh start)\"` first, or `bash scripts/test.sh`."
            );
            eprintln!("************************************************************************");
            eprintln!();
            None
        }
    }
}

/// `url` with its user, password and database replaced, keeping host and port.
fn url_for(url: &str, user: &str, password: &str, database: &str) -> Step<String> {
    let config: tokio_postgres::Config = url.parse().map_err(|e| {
        Failure(format!(
            "PORCHLIGHT_TEST_DATABASE_URL is not a postgres:// URL: {e}"
        ))
    })?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    Ok(format!(
        "postgres://{user}:{password}@{host}:{port}/{database}"
    ))
}

fn superuser_url(cluster: &str, database: &str) -> Step<String> {
    let config: tokio_postgres::Config = cluster.parse().map_err(|e| {
        Failure(format!(
            "PORCHLIGHT_TEST_DATABASE_URL is not a postgres:// URL: {e}"
        ))
    })?;
    let user = config.get_user().unwrap_or("postgres").to_owned();
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_default();
    url_for(cluster, &user, &password, database)
}

fn db_failure(doing: &str) -> impl FnOnce(tokio_postgres::Error) -> Failure + '_ {
    move |e| Failure(format!("{doing}: {e}"))
}

/// The service's database for one run, dropped (with `FORCE`) when this goes out of scope.
pub struct CentralDb {
    cluster: String,
    name: String,
    /// The service role's connection to it, as `porchlight-server serve` would use.
    service_url: String,
}

impl CentralDb {
    /// Creates and migrates a database named after a fresh UUIDv7, and the service's login
    /// role when the cluster does not have it yet.
    pub async fn create(cluster: &str) -> Step<CentralDb> {
        let name = format!("e2e_sync_{}", uuid::Uuid::now_v7().simple());
        let (client, connection) = tokio_postgres::connect(cluster, tokio_postgres::NoTls)
            .await
            .map_err(db_failure("connecting to PORCHLIGHT_TEST_DATABASE_URL"))?;
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(db_failure("creating the service's database"))?;
        let made = CentralDb {
            cluster: cluster.to_owned(),
            service_url: url_for(cluster, SERVICE_ROLE, SERVICE_ROLE_PASSWORD, &name)?,
            name,
        };
        // Migrations run as the owner (here the cluster's superuser), as `porchlight-server
        // migrate` does with PORCHLIGHT_MIGRATE_DATABASE_URL.
        let owner = db::pool(
            &superuser_url(cluster, &made.name)?,
            1,
            Duration::from_secs(10),
        )
        .map_err(|e| Failure(format!("the owner's pool: {e}")))?;
        cli::migrate(&owner)
            .await
            .map_err(|e| Failure(format!("migrating the service's database: {e}")))?;
        let c = owner
            .get()
            .await
            .map_err(|e| Failure(format!("the owner's connection: {e}")))?;
        // Two runs on one cluster may both find the role missing; the loser's error is harmless.
        c.batch_execute(&format!(
            "DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SERVICE_ROLE}') THEN
                    CREATE ROLE {SERVICE_ROLE} LOGIN PASSWORD '{SERVICE_ROLE_PASSWORD}' IN ROLE porchlight_service;
                END IF;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$;"
        ))
        .await
        .map_err(db_failure("creating the service's login role"))?;
        Ok(made)
    }

    /// Adds an office and a case manager in it, with the operator's commands (`porchlight-server
    /// office add` and `user add`), each audited as done at the command line.
    pub async fn add_case_manager(
        &self,
        office: &str,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Step {
        let pool = db::pool(&self.service_url, 1, Duration::from_secs(10))
            .map_err(|e| Failure(format!("the service's pool: {e}")))?;
        let now = chrono::Utc::now();
        cli::add_office(&pool, office, "Oklahoma", now)
            .await
            .map_err(|e| Failure(format!("adding the office {office}: {e}")))?;
        cli::add_user(
            &pool,
            username,
            display_name,
            Role::CaseManager,
            Some(office),
            password,
            "Porchlight",
            now,
        )
        .await
        .map_err(|e| Failure(format!("adding the case manager {username}: {e}")))?;
        Ok(())
    }
}

impl Drop for CentralDb {
    fn drop(&mut self) {
        let (cluster, name) = (self.cluster.clone(), self.name.clone());
        // Drop runs outside async code (and maybe inside a runtime): a thread of its own with a
        // small runtime does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok((client, connection)) =
                    tokio_postgres::connect(&cluster, tokio_postgres::NoTls).await
                {
                    tokio::spawn(connection);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// A port on the loopback nobody listens on now; the service keeps it across restarts, as a
/// real one keeps its address through an outage.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on the loopback")
}

/// The real service, running on a thread and runtime of its own so that the scenario's blocking
/// calls (the CLI, WebDriver) never starve it, until `stop`.
pub struct Central {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Central {
    /// Serves the service on 127.0.0.1:`port` and returns once it accepts connections.
    pub fn start(db: &CentralDb, port: u16) -> Step<Central> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, is_ready) = std::sync::mpsc::channel::<Result<(), String>>();
        let url = db.service_url.clone();
        let thread = std::thread::Builder::new()
            .name("central-service".into())
            .spawn(move || serve_until_stopped(url, port, stopped, ready))
            .map_err(|e| Failure(format!("starting the service's thread: {e}")))?;
        let mut central = Central {
            stop: Some(stop),
            thread: Some(thread),
        };
        match is_ready.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(())) => Ok(central),
            Ok(Err(e)) => {
                central.stop.take();
                Err(Failure(format!(
                    "the central service did not start on port {port}: {e}"
                )))
            }
            Err(_) => {
                // The thread ended early (its error is in the join) or is stuck binding.
                central.stop.take();
                let why = central
                    .thread
                    .take()
                    .filter(|t| t.is_finished())
                    .map(|t| match t.join() {
                        Ok(Err(e)) => e,
                        _ => "it stopped without saying why".into(),
                    })
                    .unwrap_or_else(|| "it did not listen within 20 s".into());
                Err(Failure(format!(
                    "the central service did not start on port {port}: {why}"
                )))
            }
        }
    }

    /// Stops the service as SIGTERM does: no new connections, requests in flight finish (at most
    /// `STOP_PATIENCE`), and the port is closed when this returns.
    pub fn stop(mut self) -> Step {
        self.stop.take();
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(Ok(()))) | None => Ok(()),
            Some(Ok(Err(e))) => Err(Failure(format!("the central service failed: {e}"))),
            Some(Err(_)) => Err(Failure("the central service's thread panicked".into())),
        }
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_until_stopped(
    url: String,
    port: u16,
    stopped: tokio::sync::oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("central-service")
        .enable_all()
        .build()
        .map_err(|e| format!("its runtime: {e}"))?;
    let served = rt.block_on(async move {
        let address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
        // The port was just given up by the service's previous run; a moment may pass before
        // the kernel lets it be bound again.
        let mut tries = 0;
        let tcp = loop {
            match tokio::net::TcpListener::bind(address).await {
                Ok(tcp) => break tcp,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    let why = format!("cannot listen on {address}: {e}");
                    let _ = ready.send(Err(why.clone()));
                    return Err(why);
                }
            }
        };
        let pool = match db::pool(&url, 8, Duration::from_secs(10)) {
            Ok(pool) => pool,
            Err(e) => {
                let why = format!("its database pool: {e}");
                let _ = ready.send(Err(why.clone()));
                return Err(why);
            }
        };
        let (shutdown, shutting_down) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(porchlight_server::serve(
            Listener::plain(tcp),
            AppState::new(pool),
            async move {
                let _ = shutting_down.await;
            },
        ));
        let _ = ready.send(Ok(()));
        // A dropped sender (the scenario failed and dropped the service) stops it as well.
        let _ = stopped.await;
        let _ = shutdown.send(());
        match tokio::time::timeout(STOP_PATIENCE, server).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(format!("serving: {e}")),
            Ok(Err(e)) => Err(format!("serving: {e}")),
            Err(_) => Err(format!(
                "requests were still running {} s after the stop",
                STOP_PATIENCE.as_secs()
            )),
        }
    });
    // Whatever still runs (a connection that would not close) is cut here, so the port is free.
    rt.shutdown_timeout(Duration::from_secs(1));
    served
}
