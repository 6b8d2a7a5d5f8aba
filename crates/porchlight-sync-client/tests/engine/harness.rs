//! The world of the engine's integration tests: a PostgreSQL database of its own per test
//! (migrated by the owner, served through the append-only service role, as in the server's
//! tests), the real service booted on port 0 in a runtime of its own, synthetic offices and
//! people, and real encrypted workspaces in a temporary folder. Everyone here is invented.

use chrono::{DateTime, Utc};
use porchlight_domain::{EnrolForm, Moment};
use porchlight_server::db::{self, Pool};
use porchlight_server::people::{self, Role};
use porchlight_server::{devices, password, AppState, Listener};
use porchlight_store::{SyncIdentity, Workspace};
use porchlight_sync_client::Remote;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

const TEST_ROLE: &str = "porchlight_test_app";
const TEST_ROLE_PASSWORD: &str = "porchlight-test-app";
pub const PASSPHRASE: &str = "Blue-kettle-49-sings";

/// The database URL of the test cluster; `None` (said loudly) outside CI when there is none, and
/// a failure under CI, which must test against PostgreSQL.
fn admin_url() -> Option<String> {
    match std::env::var("PORCHLIGHT_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PORCHLIGHT_TEST_DATABASE_URL is not set, and CI must test sync against PostgreSQL: run `eval \"$(bash scripts/pg.sh start)\"` first");
            }
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: PORCHLIGHT_TEST_DATABASE_URL is not set; run `eval \"$(bash scripts/pg.sh start)\"` to test sync against the real service ***\n"
            );
            None
        }
    }
}

fn url_with(admin: &str, user: Option<(&str, &str)>, database: &str) -> String {
    let config: tokio_postgres::Config = admin.parse().expect("PORCHLIGHT_TEST_DATABASE_URL is a postgres:// URL");
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let (user, password) = match user {
        Some((u, p)) => (u.to_owned(), p.to_owned()),
        None => (
            config.get_user().unwrap_or("postgres").to_owned(),
            config.get_password().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default(),
        ),
    };
    format!("postgres://{user}:{password}@{host}:{port}/{database}")
}

/// A synthetic staff member with a known password.
pub struct Person {
    pub id: Uuid,
    pub username: String,
    pub password: String,
}

/// The service on its own database, and what the tests do to it as an administrator would.
pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub url: String,
    pub owner: Pool,
    admin: String,
    database: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    dir: tempfile::TempDir,
}

impl World {
    pub fn start() -> Option<World> {
        let admin = admin_url()?;
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let database = format!("t_{}", porchlight_server::new_id(Utc::now()).simple());
        let (owner, service) = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.expect("connect to PORCHLIGHT_TEST_DATABASE_URL");
            tokio::spawn(conn);
            client.batch_execute(&format!("CREATE DATABASE {database}")).await.expect("create the test database");
            let owner = db::pool(&url_with(&admin, None, &database), 4, Duration::from_secs(10)).unwrap();
            let mut c = owner.get().await.unwrap();
            db::migrate(&mut c).await.expect("migrations apply");
            c.batch_execute(&format!(
                "DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TEST_ROLE}') THEN
                        CREATE ROLE {TEST_ROLE} LOGIN PASSWORD '{TEST_ROLE_PASSWORD}' IN ROLE porchlight_service;
                    END IF;
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                 END $$;"
            ))
            .await
            .unwrap();
            let service = db::pool(&url_with(&admin, Some((TEST_ROLE, TEST_ROLE_PASSWORD)), &database), 8, Duration::from_secs(10)).unwrap();
            (owner, service)
        });
        let tcp = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", tcp.local_addr().unwrap());
        let mut state = AppState::new(service);
        state.login_limits.base_delay = Duration::from_millis(100);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        rt.spawn(porchlight_server::serve(Listener::plain(tcp), state, async move {
            let _ = stopped.await;
        }));
        Some(World { rt, url, owner, admin, database, stop: Some(stop), dir: tempfile::tempdir().unwrap() })
    }

    pub fn office(&self, name: &str) -> Uuid {
        self.rt.block_on(async {
            let c = self.owner.get().await.unwrap();
            people::add_office(&c, name, "Oklahoma", now()).await.unwrap().id
        })
    }

    pub fn person(&self, username: &str, role: Role, office: Option<Uuid>) -> Person {
        let password = format!("{username} long password");
        let hash = password::hash(&password).unwrap();
        let id = self.rt.block_on(async {
            let c = self.owner.get().await.unwrap();
            people::add_user(&c, username, &format!("Test {username}"), role, office, hash, now()).await.unwrap().user.id
        });
        Person { id, username: username.to_owned(), password }
    }

    /// A new encrypted workspace in this world's folder.
    pub fn workspace(&self, name: &str) -> Device {
        let path = self.dir.path().join(format!("{name}.porchlight"));
        let workspace = Workspace::create(&path, PASSPHRASE, Moment::now()).unwrap();
        Device { path, workspace: Some(workspace), remote: None }
    }

    /// Enrols `device` as `person`, as `porchlight enrol` does.
    pub fn enrol(&self, device: &mut Device, person: &Person) {
        let form = EnrolForm {
            server_url: self.url.clone(),
            username: person.username.clone(),
            password: person.password.clone(),
            totp: String::new(),
            device_name: format!("{} test laptop", person.username),
        };
        let (remote, enrolment) = Remote::enrol(&self.url, &form).expect("enrolment");
        let identity = SyncIdentity {
            server_url: self.url.clone(),
            device_id: enrolment.device_id,
            token: enrolment.token,
            user_id: enrolment.user_id,
            username: enrolment.username,
            display_name: enrolment.display_name,
            role: enrolment.role,
        };
        device.ws().set_sync_identity(&identity, Moment::now()).unwrap();
        device.remote = Some(remote);
    }

    pub fn revoke(&self, device: Uuid) {
        self.rt.block_on(async {
            let c = self.owner.get().await.unwrap();
            assert!(devices::revoke(&c, device, now()).await.unwrap());
        });
    }

    pub fn request_wipe(&self, device: Uuid) {
        self.rt.block_on(async {
            let c = self.owner.get().await.unwrap();
            assert!(devices::request_wipe(&c, device, now()).await.unwrap());
        });
    }

    /// Runs one query as the owner and returns the first column of its rows as text.
    pub fn query_text(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Vec<String> {
        self.rt.block_on(async {
            let c = self.owner.get().await.unwrap();
            c.query(sql, params).await.unwrap().iter().map(|r| r.get::<_, String>(0)).collect()
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let (admin, database) = (self.admin.clone(), self.database.clone());
        self.rt.block_on(async move {
            if let Ok((client, conn)) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await {
                tokio::spawn(conn);
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await;
            }
        });
    }
}

/// One enrolled computer: its workspace file and its connection to the service.
pub struct Device {
    pub path: PathBuf,
    pub workspace: Option<Workspace>,
    pub remote: Option<Remote>,
}

impl Device {
    pub fn ws(&mut self) -> &mut Workspace {
        self.workspace.as_mut().expect("the workspace is open")
    }

    pub fn remote(&self) -> &Remote {
        self.remote.as_ref().expect("the device is enrolled")
    }

    /// One sync at the real clock.
    pub fn sync(&mut self) -> Result<porchlight_domain::SyncReport, porchlight_sync_client::SyncError> {
        let remote = self.remote.as_ref().expect("the device is enrolled");
        let workspace = self.workspace.as_mut().expect("the workspace is open");
        porchlight_sync_client::sync_once(remote, workspace, &Utc::now)
    }

    pub fn device_id(&mut self) -> Uuid {
        self.ws().sync_identity().unwrap().expect("enrolled").device_id
    }
}

pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

