//! The PostgreSQL that the service's tests, the sync engine's tests, the sync simulation, the
//! sync benchmark and the end-to-end sync scenario run against: the cluster named by
//! `PORCHLIGHT_TEST_DATABASE_URL` (and the rule that CI must have one), URLs for another login
//! or database on it, and a fresh database of one test or run, migrated by its owner with the
//! service's own migrations, served through a login role of `porchlight_service`, and dropped
//! when it goes out of scope.
//!
//! It deliberately starts no server, adds no office, person or case, and leaves the wording of
//! each caller's failures and the sizes of its pools to the caller.

use porchlight_server::db::{self, DbError, Pool};
use std::time::Duration;

/// The variable naming the cluster; `scripts/pg.sh start` prints its `export`.
pub const URL_VARIABLE: &str = "PORCHLIGHT_TEST_DATABASE_URL";

/// What to run first when there is no cluster.
pub const START_CLUSTER: &str = "eval \"$(bash scripts/pg.sh start)\"";

/// The cluster's URL from `PORCHLIGHT_TEST_DATABASE_URL`, or `None` when it is unset or empty.
pub fn cluster_url() -> Option<String> {
    std::env::var(URL_VARIABLE)
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether this runs under CI (`CI=true`), where a missing cluster is a failure, never a skip:
/// the scripts always start PostgreSQL there.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The cluster's URL; without one, a panic under CI, else `None` after a notice on the process's
/// stderr. `ci_must` ends "CI must …" in the panic, `to` ends "run … to …" in the notice.
pub fn cluster_or_skip(ci_must: &str, to: &str) -> Option<String> {
    if let Some(url) = cluster_url() {
        return Some(url);
    }
    if under_ci() {
        panic!("{URL_VARIABLE} is not set, and CI must {ci_must}: run `{START_CLUSTER}` first");
    }
    // Written to the process's stderr directly: the test harness captures eprintln!, and a skip
    // must be seen.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: {URL_VARIABLE} is not set; run `{START_CLUSTER}` to {to} ***\n"
    );
    None
}

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("PORCHLIGHT_TEST_DATABASE_URL is not a postgres:// URL: {0}")]
    NotAUrl(String),
    #[error("{doing}: {source}")]
    Postgres {
        doing: String,
        source: tokio_postgres::Error,
    },
    #[error("{doing}: {source}")]
    Service { doing: String, source: DbError },
}

fn postgres(doing: &str) -> impl FnOnce(tokio_postgres::Error) -> PgError + '_ {
    move |source| PgError::Postgres {
        doing: doing.to_owned(),
        source,
    }
}

fn service(doing: &str) -> impl FnOnce(DbError) -> PgError + '_ {
    move |source| PgError::Service {
        doing: doing.to_owned(),
        source,
    }
}

/// A login role the service runs as. It is made a member of `porchlight_service`, which may
/// only read and append the audit log, so what runs through it meets production's grants.
#[derive(Debug, Clone, Copy)]
pub struct Login {
    pub role: &'static str,
    pub password: &'static str,
}

/// The cluster: its URL as given, and the address and superuser login read from it once.
#[derive(Debug, Clone)]
pub struct Cluster {
    url: String,
    host: String,
    port: u16,
    user: String,
    password: String,
}

impl Cluster {
    pub fn parse(url: &str) -> Result<Cluster, PgError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| PgError::NotAUrl(e.to_string()))?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            #[cfg(unix)]
            Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".to_owned(),
        };
        Ok(Cluster {
            url: url.to_owned(),
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            user: config.get_user().unwrap_or("postgres").to_owned(),
            password: config
                .get_password()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default(),
        })
    }

    /// `database` on this cluster's host and port, as `login`, or as the cluster's own user
    /// without one.
    pub fn url_for(&self, login: Option<&Login>, database: &str) -> String {
        let (user, password) = match login {
            Some(login) => (login.role, login.password),
            None => (self.user.as_str(), self.password.as_str()),
        };
        format!(
            "postgres://{user}:{password}@{}:{}/{database}",
            self.host, self.port
        )
    }

    async fn connect(&self) -> Result<tokio_postgres::Client, PgError> {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .map_err(postgres(
                "cannot connect to PORCHLIGHT_TEST_DATABASE_URL (is `bash scripts/pg.sh start` running?)",
            ))?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Drops `name`, ending whatever sessions still use it.
    pub async fn drop_database(&self, name: &str) -> Result<(), PgError> {
        self.connect()
            .await?
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .map_err(postgres("drop the database"))
    }
}

/// A database made for one test or run, owned by the cluster's user. It is dropped (with
/// `FORCE`, so open pools do not hold it) when this goes out of scope, also by panic, unless
/// `keep` was called.
#[derive(Debug)]
pub struct FreshDatabase {
    cluster: Cluster,
    name: String,
    kept: bool,
}

impl FreshDatabase {
    /// Creates the empty database `name`; the caller names it so that one left behind by a
    /// killed run says what made it.
    pub async fn create(cluster: &Cluster, name: String) -> Result<FreshDatabase, PgError> {
        cluster
            .connect()
            .await?
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .map_err(postgres("create the database"))?;
        Ok(FreshDatabase {
            cluster: cluster.clone(),
            name,
            kept: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The owner's URL: the cluster's user on this database.
    pub fn owner_url(&self) -> String {
        self.cluster.url_for(None, &self.name)
    }

    /// `login`'s URL on this database, as the service would be configured with.
    pub fn url_as(&self, login: &Login) -> String {
        self.cluster.url_for(Some(login), &self.name)
    }

    /// A pool of the owner's connections. Connections are made lazily, when first asked for.
    pub fn owner_pool(&self, size: usize, wait: Duration) -> Result<Pool, PgError> {
        db::pool(&self.owner_url(), size, wait).map_err(service("the owner's pool"))
    }

    /// A pool of `login`'s connections, as the running service uses. Lazy, like `owner_pool`.
    pub fn pool_as(&self, login: &Login, size: usize, wait: Duration) -> Result<Pool, PgError> {
        db::pool(&self.url_as(login), size, wait).map_err(service("the service's pool"))
    }

    /// Sets a parameter for every later session on this database, e.g.
    /// `log_min_duration_statement = 0`.
    pub async fn alter(&self, setting: &str) -> Result<(), PgError> {
        self.cluster
            .connect()
            .await?
            .batch_execute(&format!("ALTER DATABASE {} SET {setting}", self.name))
            .await
            .map_err(postgres("set a parameter of the database"))
    }

    /// Applies the service's migrations through `owner`, as `porchlight-server migrate` does
    /// with the owner's URL.
    pub async fn migrate(&self, owner: &Pool) -> Result<(), PgError> {
        let mut client = owner
            .get()
            .await
            .map_err(|e| service("the owner's connection")(e.into()))?;
        db::migrate(&mut client)
            .await
            .map_err(service("migrate the database"))?;
        Ok(())
    }

    /// Makes `login` a login role in `porchlight_service` when the cluster has no such role
    /// yet. Roles belong to the cluster, not the database, so this needs the migrations (which
    /// make `porchlight_service`) applied first; runs sharing a cluster share the role.
    pub async fn add_login(&self, owner: &Pool, login: &Login) -> Result<(), PgError> {
        let client = owner
            .get()
            .await
            .map_err(|e| service("the owner's connection")(e.into()))?;
        let Login { role, password } = login;
        // Two runs may both find the role missing; the loser's error is harmless.
        client
            .batch_execute(&format!(
                "DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                        CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE porchlight_service;
                    END IF;
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                 END $$;"
            ))
            .await
            .map_err(postgres("create the service's login role"))
    }

    /// Leaves the database in the cluster after this is dropped, to look at it afterwards.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let (cluster, name) = (self.cluster.clone(), self.name.clone());
        // Drop runs outside async code, or inside a runtime where blocking is not allowed: a
        // thread of its own with a small runtime does the cleanup, and this waits for it.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let _ = runtime.block_on(cluster.drop_database(&name));
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_host_and_port_and_swap_the_login_and_database() {
        let cluster =
            Cluster::parse("postgres://postgres:secret@127.0.0.1:55432/postgres").unwrap();
        let login = Login {
            role: "porchlight_test_app",
            password: "porchlight-test-app",
        };
        assert_eq!(
            cluster.url_for(None, "t_1"),
            "postgres://postgres:secret@127.0.0.1:55432/t_1"
        );
        assert_eq!(
            cluster.url_for(Some(&login), "t_1"),
            "postgres://porchlight_test_app:porchlight-test-app@127.0.0.1:55432/t_1"
        );
        let bare = Cluster::parse("postgres://db.example/postgres").unwrap();
        assert_eq!(
            bare.url_for(None, "x"),
            "postgres://postgres:@db.example:5432/x"
        );
    }

    #[test]
    fn a_url_that_is_not_one_is_refused() {
        assert!(matches!(
            Cluster::parse("postgres://host:notaport/db"),
            Err(PgError::NotAUrl(_))
        ));
    }

    /// Against the real cluster when there is one: the database exists with the service's
    /// schema, the login can use it, and it is gone after the drop.
    #[test]
    fn a_fresh_database_is_migrated_served_by_its_login_and_dropped() {
        let Some(url) =
            cluster_or_skip("test the PostgreSQL support", "test the PostgreSQL support")
        else {
            return;
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let cluster = Cluster::parse(&url).unwrap();
            let login = Login {
                role: "porchlight_support_app",
                password: "porchlight-support-app",
            };
            let name = format!("support_{}", std::process::id());
            let fresh = FreshDatabase::create(&cluster, name.clone()).await.unwrap();
            let owner = fresh.owner_pool(2, Duration::from_secs(10)).unwrap();
            fresh.migrate(&owner).await.unwrap();
            fresh.add_login(&owner, &login).await.unwrap();
            let served = fresh.pool_as(&login, 1, Duration::from_secs(10)).unwrap();
            let user: String = served
                .get()
                .await
                .unwrap()
                .query_one("SELECT current_user::text", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(user, login.role);
            let version = db::schema_version(&owner.get().await.unwrap())
                .await
                .unwrap();
            assert_eq!(version, Some(db::latest_version()));
            owner.close();
            served.close();
            drop(fresh);
            let admin = cluster.connect().await.unwrap();
            let left: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_database WHERE datname = $1",
                    &[&name],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(left, 0, "the database is gone after the drop");
        });
    }
}
