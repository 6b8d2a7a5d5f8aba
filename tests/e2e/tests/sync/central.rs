//! The central service of the sync scenario: a PostgreSQL database of its own (made fresh in the
//! cluster named by PORCHLIGHT_TEST_DATABASE_URL and dropped at the end), migrated, with one
//! office and one case manager added through the operator's own commands, and the real service
//! served in-process on a fixed port, where it can be stopped and started again. It makes no
//! case and enrols no device: the two devices of the scenario do that themselves.

use porchlight_e2e::{Failure, Step};
use porchlight_pg_support::{Cluster, FreshDatabase, Login, PgError};
use porchlight_server::people::Role;
use porchlight_server::{cli, db, AppState, Listener};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::time::Duration;

/// The login role the service runs as here: a member of `porchlight_service`, as in production,
/// so the audit log stays insert-only for it.
const SERVICE_LOGIN: Login = Login {
    role: "porchlight_e2e_app",
    password: "porchlight-e2e-app",
};

/// How long a stopped service may take to finish the requests it is serving.
const STOP_PATIENCE: Duration = Duration::from_secs(10);

/// The superuser URL of the test cluster, or `None` (with a loud notice) when there is none
/// outside CI. Under CI=true a missing URL fails the test: the scripts always start PostgreSQL.
pub fn cluster_or_skip(test: &str) -> Option<String> {
    match porchlight_pg_support::cluster_url() {
        Some(url) => Some(url),
        None => {
            if porchlight_pg_support::under_ci() {
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

fn failure(e: PgError) -> Failure {
    Failure(e.to_string())
}

/// The service's database for one run, dropped (with `FORCE`) when this goes out of scope.
pub struct CentralDb {
    /// The service role's connection to it, as `porchlight-server serve` would use.
    service_url: String,
    /// Held for its drop, which drops the database.
    _database: FreshDatabase,
}

impl CentralDb {
    /// Creates and migrates a database named after a fresh UUIDv7, and the service's login
    /// role when the cluster does not have it yet.
    pub async fn create(cluster: &str) -> Step<CentralDb> {
        let cluster = Cluster::parse(cluster).map_err(failure)?;
        let name = format!("e2e_sync_{}", uuid::Uuid::now_v7().simple());
        let database = FreshDatabase::create(&cluster, name)
            .await
            .map_err(failure)?;
        // Migrations run as the owner (here the cluster's superuser), as `porchlight-server
        // migrate` does with PORCHLIGHT_MIGRATE_DATABASE_URL.
        let owner = database
            .owner_pool(1, Duration::from_secs(10))
            .map_err(failure)?;
        database.migrate(&owner).await.map_err(failure)?;
        database
            .add_login(&owner, &SERVICE_LOGIN)
            .await
            .map_err(failure)?;
        Ok(CentralDb {
            service_url: database.url_as(&SERVICE_LOGIN),
            _database: database,
        })
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
