//! The service side of one run: a PostgreSQL database of its own (migrated by the owner, served
//! through the append-only service role), the real server booted on port 0, the run's offices
//! and people created through the service's library, and the access changes a supervisor makes
//! (assign, share, unshare). The database is dropped when the world is. It knows nothing of
//! devices or of what the run checks.

use crate::roster::{Office, Person, Roster};
use chrono::{DateTime, SubsecRound, Utc};
use porchlight_pg_support::{Cluster, FreshDatabase, Login, PgError};
use porchlight_server::db::{self, Pool};
use porchlight_server::people::{self, Role};
use porchlight_server::{cases, devices, rules, AppState, Listener};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::runtime::Runtime;
use uuid::Uuid;

/// The login the service runs as in a run, a member of `porchlight_service`.
const SERVICE_LOGIN: Login = Login {
    role: "porchlight_sim_app",
    password: "porchlight-sim-app",
};
/// Every invented person's password. Hashing it costs tens of milliseconds, so it is hashed once
/// per process and the one hash is stored for everyone.
pub const PASSWORD: &str = "sim password for invented staff";

#[derive(Debug)]
pub struct WorldError(pub String);

impl std::fmt::Display for WorldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WorldError {}

/// The support crate's errors already say what was being done.
impl From<PgError> for WorldError {
    fn from(e: PgError) -> WorldError {
        WorldError(e.to_string())
    }
}

fn fail(what: &str) -> impl Fn(&dyn std::fmt::Display) -> WorldError + '_ {
    move |e| WorldError(format!("{what}: {e}"))
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| porchlight_server::password::hash(PASSWORD).expect("the run's password meets the policy"))
}

/// The service's clock, at the precision PostgreSQL keeps.
pub fn server_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A row of `case_access`: case, user, assigned (else shared).
pub type AccessRow = (Uuid, Uuid, bool);
/// A case's id, office and status as the service's table holds them.
pub type CaseRow = (Uuid, Uuid, String);

pub struct World {
    pub rt: Runtime,
    pub base_url: String,
    pub roster: Roster,
    /// The owner's pool: fixtures, and reading what the service stored.
    pub owner: Pool,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// Held for its drop, which drops the database; declared last, so that happens once the
    /// service has stopped and the pools are gone.
    _database: FreshDatabase,
}

impl World {
    /// A fresh database and a running server. `label` goes into the database's name so a
    /// database left behind by a killed run says which seed made it.
    pub fn start(admin: &str, label: &str) -> Result<World, WorldError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| fail("start the runtime")(&e))?;
        let cluster = Cluster::parse(admin)?;
        let name = format!("sim_{label}_{}", Uuid::now_v7().simple());
        let (database, owner, service) = rt.block_on(async {
            let database = FreshDatabase::create(&cluster, name).await?;
            let owner = database.owner_pool(4, Duration::from_secs(20))?;
            database.migrate(&owner).await?;
            database.add_login(&owner, &SERVICE_LOGIN).await?;
            let service = database.pool_as(&SERVICE_LOGIN, 8, Duration::from_secs(20))?;
            Ok::<_, WorldError>((database, owner, service))
        })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let base_url = rt.block_on(async {
            let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| fail("bind a port")(&e))?;
            let addr = tcp.local_addr().map_err(|e| fail("read the port")(&e))?;
            let state = AppState::new(service);
            tokio::spawn(porchlight_server::serve(Listener::plain(tcp), state, async move {
                let _ = stopped.await;
            }));
            Ok::<_, WorldError>(format!("http://{addr}"))
        })?;
        Ok(World {
            rt,
            base_url,
            roster: Roster::default(),
            owner,
            stop: Some(stop),
            _database: database,
        })
    }

    pub fn add_office(&mut self, name: &str, region: &str) -> Result<usize, WorldError> {
        let office = self.rt.block_on(async {
            let c = self.owner.get().await.map_err(|e| fail("owner connection")(&e))?;
            people::add_office(&c, name, region, server_now())
                .await
                .map_err(|e| fail("add an office")(&e))
        })?;
        self.roster.offices.push(Office {
            id: office.id,
            name: name.into(),
            region: region.into(),
        });
        Ok(self.roster.offices.len() - 1)
    }

    pub fn add_person(&mut self, username: &str, role: Role, office: Option<usize>) -> Result<usize, WorldError> {
        let office = office.map(|i| self.roster.offices[i].id);
        let display = format!("Sim {}", username.replace('.', " "));
        let created = self.rt.block_on(async {
            let c = self.owner.get().await.map_err(|e| fail("owner connection")(&e))?;
            people::add_user(&c, username, &display, role, office, password_hash().to_owned(), server_now())
                .await
                .map_err(|e| fail("add a person")(&e))
        })?;
        self.roster.people.push(Person {
            id: created.user.id,
            username: created.user.username,
            display_name: display,
            role,
            office,
            totp: created.totp_secret,
        });
        Ok(self.roster.people.len() - 1)
    }

    /// A TOTP code for `person`'s next login, or none for roles without a second factor. Each
    /// code is accepted once, so the `n`th login of the same person in one run uses step `n`.
    pub fn totp_code(&self, person: usize, n: i64) -> Option<String> {
        let secret = self.roster.people[person].totp.as_ref()?;
        Some(porchlight_server::totp::code_at(
            secret,
            Utc::now().timestamp() + n * porchlight_server::totp::STEP_SECONDS,
        ))
    }

    /// A device token for `person` made through the service's library, for reading what the
    /// service serves them without logging in again.
    pub fn observer_token(&self, person: usize) -> Result<String, WorldError> {
        let user = self.roster.people[person].id;
        self.rt.block_on(async {
            let (token, hash) = devices::new_token().map_err(|e| fail("make a token")(&e))?;
            let c = self.owner.get().await.map_err(|e| fail("owner connection")(&e))?;
            devices::enrol(&c, user, "sim observer", &hash, server_now())
                .await
                .map_err(|e| fail("enrol the observer")(&e))?;
            Ok(token.0)
        })
    }

    /// Makes `person` the case's assigned case manager, as a supervisor's assignment does.
    pub fn assign(&self, case: Uuid, person: usize) -> Result<(), WorldError> {
        let user = self.roster.people[person].id;
        self.rt.block_on(async {
            let mut c = self.owner.get().await.map_err(|e| fail("owner connection")(&e))?;
            let tx = c.transaction().await.map_err(|e| fail("begin")(&e))?;
            let office: Uuid = tx
                .query_one("SELECT office_id FROM cases WHERE id = $1", &[&case])
                .await
                .map_err(|e| fail("read the case's office")(&e))?
                .get(0);
            cases::assign(&tx, case, office, user, None, server_now())
                .await
                .map_err(|e| fail("assign")(&e))?;
            tx.commit().await.map_err(|e| fail("commit the assignment")(&e))
        })
    }

    pub fn share(&self, case: Uuid, person: usize, by: usize) -> Result<(), WorldError> {
        let (user, by) = (self.roster.people[person].id, self.roster.people[by].id);
        self.rt.block_on(async {
            let c = self.owner.get().await.map_err(|e| fail("owner connection")(&e))?;
            let stored = self.stored(&c, case).await?;
            cases::share(&c, &stored, user, by, server_now())
                .await
                .map_err(|e| fail("share")(&e))
        })
    }

    pub fn unshare(&self, case: Uuid, person: usize) -> Result<bool, WorldError> {
        let user = self.roster.people[person].id;
        self.rt.block_on(async {
            let c = self.owner.get().await.map_err(|e| fail("owner connection")(&e))?;
            let stored = self.stored(&c, case).await?;
            cases::unshare(&c, &stored, user).await.map_err(|e| fail("unshare")(&e))
        })
    }

    /// The case as the service's library hands it to a supervisor of its office (the library
    /// reads cases only through the rules).
    async fn stored(&self, c: &db::Client, case: Uuid) -> Result<cases::StoredCase, WorldError> {
        let office: Uuid = c
            .query_one("SELECT office_id FROM cases WHERE id = $1", &[&case])
            .await
            .map_err(|e| fail("read the case's office")(&e))?
            .get(0);
        let colleague = self
            .roster
            .people
            .iter()
            .find(|p| p.office == Some(office))
            .ok_or_else(|| WorldError(format!("nobody works at the office of case {case}")))?;
        cases::get(c, rules::grant(Role::Supervisor), colleague.id, case)
            .await
            .map_err(|e| fail("read the case")(&e))
    }

    /// Who the service says works on each case (case id, user id, assigned or shared), and each
    /// case's office and status: compared with the model after the run.
    pub fn access_table(&self) -> Result<(Vec<AccessRow>, Vec<CaseRow>), WorldError> {
        self.rt.block_on(async {
            let c = self.owner.get().await.map_err(|e| fail("owner connection")(&e))?;
            let access = c
                .query("SELECT case_id, user_id, kind = 'assigned' FROM case_access", &[])
                .await
                .map_err(|e| fail("read case_access")(&e))?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
            let cases = c
                .query("SELECT id, office_id, status FROM cases", &[])
                .await
                .map_err(|e| fail("read cases")(&e))?
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
            Ok((access, cases))
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
