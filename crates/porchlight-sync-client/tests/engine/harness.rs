//! The world of the engine's integration tests: a PostgreSQL database of its own per test
//! (migrated by the owner, served through the append-only service role, as in the server's
//! tests), the real service booted on port 0 in a runtime of its own, synthetic offices and
//! people, and real encrypted workspaces in a temporary folder. Everyone here is invented.

use chrono::{DateTime, Utc};
use porchlight_domain::{EnrolForm, Moment};
use porchlight_pg_support::{Cluster, FreshDatabase, Login};
use porchlight_server::db::Pool;
use porchlight_server::people::{self, Role};
use porchlight_server::{devices, password, AppState, Listener};
use porchlight_store::{SyncIdentity, Workspace};
use porchlight_sync_client::Remote;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

/// The login the service runs as in these tests, a member of `porchlight_service`.
const SERVICE_LOGIN: Login = Login { role: "porchlight_test_app", password: "porchlight-test-app" };
pub const PASSPHRASE: &str = "Blue-kettle-49-sings";

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
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    dir: tempfile::TempDir,
    /// Held for its drop, which drops the database; declared last, so that happens once the
    /// service has stopped and the pools are gone.
    _database: FreshDatabase,
}

impl World {
    pub fn start() -> Option<World> {
        let admin = porchlight_pg_support::cluster_or_skip("test sync against PostgreSQL", "test sync against the real service")?;
        let cluster = Cluster::parse(&admin).expect("PORCHLIGHT_TEST_DATABASE_URL is a postgres:// URL");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let name = format!("t_{}", porchlight_server::new_id(Utc::now()).simple());
        let (database, owner, service) = rt.block_on(async {
            let database = FreshDatabase::create(&cluster, name).await.expect("create the test database");
            let owner = database.owner_pool(4, Duration::from_secs(10)).unwrap();
            database.migrate(&owner).await.expect("migrations apply");
            database.add_login(&owner, &SERVICE_LOGIN).await.unwrap();
            let service = database.pool_as(&SERVICE_LOGIN, 8, Duration::from_secs(10)).unwrap();
            (database, owner, service)
        });
        let tcp = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", tcp.local_addr().unwrap());
        let mut state = AppState::new(service);
        state.login_limits.base_delay = Duration::from_millis(100);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        rt.spawn(porchlight_server::serve(Listener::plain(tcp), state, async move {
            let _ = stopped.await;
        }));
        Some(World { rt, url, owner, stop: Some(stop), dir: tempfile::tempdir().unwrap(), _database: database })
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
    /// Stops the service; the database is dropped with the fields.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
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

