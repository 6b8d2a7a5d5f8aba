//! The test harness: a fresh database per test (migrated by the owner, served through the
//! append-only service role), the server booted on port 0, a synthetic world of offices, people
//! and cases, and request helpers. All people and children here are invented.

use chrono::{DateTime, Utc};
use porchlight_domain::{CaseFields, CaseStatus};
use porchlight_domain::{ContactFields, Relationship};
use porchlight_pg_support::{Cluster, FreshDatabase, Login};
use porchlight_server::cases::{self, NoteCategory, PhotoKind, PhotoMeta};
use porchlight_server::db::Pool;
use porchlight_server::people::{self, Role};
use porchlight_server::sync::write::Writer;
use porchlight_server::{password, totp, AppState, Listener};
use porchlight_sync::{Clock, ReplicaId};
use reqwest::Method;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// The login the service runs as in these tests, a member of `porchlight_service`.
pub const SERVICE_LOGIN: Login = Login {
    role: "porchlight_test_app",
    password: "porchlight-test-app",
};

/// Text planted in every confidential field of the sample case: no response to a role without
/// the full view may contain it.
pub const MARK: &str = "SECRET-";

pub fn admin_url() -> Option<String> {
    porchlight_pg_support::cluster_or_skip(
        "test against PostgreSQL",
        "test the server against PostgreSQL",
    )
}

/// A database of its own for one test, dropped when the test ends (even by panic).
pub struct TestDb {
    pub name: String,
    /// The owner's (superuser's) pool on the test database: for fixtures and for tampering.
    pub owner: Pool,
    /// The service role's pool, as the running service uses it.
    pub service: Pool,
    pub service_url: String,
    /// Declared last, so the pools above are dropped before the database is.
    database: FreshDatabase,
}

pub fn admin_with_db(admin: &str, database: &str) -> String {
    Cluster::parse(admin)
        .expect("PORCHLIGHT_TEST_DATABASE_URL is a postgres:// URL")
        .url_for(None, database)
}

impl TestDb {
    pub async fn new() -> Option<TestDb> {
        let db = TestDb::unmigrated().await?;
        db.migrate().await;
        Some(db)
    }

    /// An empty database, for tests of the migrations themselves; `migrate` finishes the setup.
    pub async fn unmigrated() -> Option<TestDb> {
        let cluster = Cluster::parse(&admin_url()?)
            .expect("PORCHLIGHT_TEST_DATABASE_URL is a postgres:// URL");
        let name = format!("t_{}", porchlight_server::new_id(Utc::now()).simple());
        let database = FreshDatabase::create(&cluster, name)
            .await
            .expect("create the test database");
        let owner = database.owner_pool(4, Duration::from_secs(10)).unwrap();
        let service = database
            .pool_as(&SERVICE_LOGIN, 8, Duration::from_secs(10))
            .unwrap();
        Some(TestDb {
            name: database.name().to_owned(),
            owner,
            service,
            service_url: database.url_as(&SERVICE_LOGIN),
            database,
        })
    }

    /// Applies every pending migration as the owner and makes the service's login role.
    pub async fn migrate(&self) {
        self.database
            .migrate(&self.owner)
            .await
            .expect("migrations apply");
        self.database
            .add_login(&self.owner, &SERVICE_LOGIN)
            .await
            .unwrap();
    }

    pub async fn count(&self, table: &str) -> i64 {
        let c = self.owner.get().await.unwrap();
        c.query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0)
    }
}

/// The real server on an ephemeral port.
pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn state_for(db: &TestDb) -> AppState {
    let mut state = AppState::new(db.service.clone());
    // Tests wait for lockouts to end, so keep them short.
    state.login_limits.base_delay = Duration::from_millis(1500);
    state
}

impl TestServer {
    pub async fn start(state: AppState) -> TestServer {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        TestServer::start_on(
            Listener::plain(tcp),
            state,
            format!("http://{addr}"),
            reqwest::Client::new(),
        )
        .await
    }

    pub async fn start_on(
        listener: Listener,
        state: AppState,
        base: String,
        http: reqwest::Client,
    ) -> TestServer {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(porchlight_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        TestServer {
            base,
            http,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server the way SIGTERM does and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("graceful shutdown finishes")
                .unwrap()
                .unwrap();
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, String) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn login(&self, person: &Person) -> String {
        let (status, body) = self.try_login(person, &person.password).await;
        assert_eq!(status, 200, "login of {} failed: {body}", person.username);
        json(&body)["token"].as_str().unwrap().to_owned()
    }

    pub async fn try_login(&self, person: &Person, password: &str) -> (u16, String) {
        let mut body = serde_json::json!({ "username": person.username, "password": password, "device_name": format!("{} laptop", person.username) });
        if let Some(code) = person.next_code() {
            body["totp"] = Value::String(code);
        }
        self.call(Method::POST, "/v1/login", None, Some(body)).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// A synthetic staff member with a known password (and TOTP secret for admins and supervisors).
pub struct Person {
    pub id: Uuid,
    pub username: String,
    pub password: String,
    pub totp: Option<Vec<u8>>,
    /// TOTP codes are accepted once each: every login uses the next step within the allowed skew.
    next_step_offset: AtomicI64,
}

impl Person {
    pub fn next_code(&self) -> Option<String> {
        let secret = self.totp.as_ref()?;
        let offset = self.next_step_offset.fetch_add(1, Ordering::SeqCst);
        assert!(
            offset <= 1,
            "a test logged {} in more than twice within one TOTP window",
            self.username
        );
        Some(totp::code_at(
            secret,
            Utc::now().timestamp() + offset * totp::STEP_SECONDS,
        ))
    }
}

pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

pub async fn add_person(db: &TestDb, username: &str, role: Role, office: Option<Uuid>) -> Person {
    let password = format!("{username} long password");
    let hash = password::hash(&password).unwrap();
    let c = db.owner.get().await.unwrap();
    let created = people::add_user(
        &c,
        username,
        &format!("Test {username}"),
        role,
        office,
        hash,
        now(),
    )
    .await
    .unwrap();
    Person {
        id: created.user.id,
        username: username.to_owned(),
        password,
        totp: created.totp_secret,
        next_step_offset: AtomicI64::new(0),
    }
}

/// A case with every confidential field filled with text carrying `MARK`.
#[allow(clippy::field_reassign_with_default)]
pub fn sample_fields(given: &str) -> CaseFields {
    let mut f = CaseFields::default();
    f.case_type = Some(porchlight_domain::CaseType::EndangeredRunaway);
    f.child.given_name = given.into();
    f.child.family_name = "Okafor".into();
    f.child.date_of_birth = "2011-04-02".into();
    f.child.sex = Some(porchlight_domain::Sex::Female);
    f.event.last_seen_date = "2026-01-19".into();
    f.event.city = "Tulsa".into();
    f.event.state = "OK".into();
    f.event.address = format!("{MARK}address 12 Elm St");
    f.event.possible_destinations = format!("{MARK}destination aunt's house");
    f.event.circumstances = "Left school at 3 pm and did not come home.".into();
    f.description.medical_cautions = format!("{MARK}medical needs insulin");
    f.missing_from_care = true;
    f.care_agency = format!("{MARK}agency County Children's Services");
    f.law_enforcement.agency_name = "Tulsa Police Department".into();
    f.law_enforcement.ncic_number = "M123456789".into();
    f
}

pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR synthetic test image";

/// Offices, one person per role (and three case managers), three cases, contacts, a note and
/// two photos, one of them consented for publication.
pub struct World {
    pub people: HashMap<&'static str, Person>,
    /// Active, Tulsa, assigned to cm_assigned and shared with cm_shared.
    pub case_a: Uuid,
    /// Intake (not active), Tulsa, assigned to cm_assigned.
    pub case_b: Uuid,
    /// Active, Austin, unassigned.
    pub case_c: Uuid,
    pub photo_public: Uuid,
    pub photo_private: Uuid,
}

impl World {
    pub fn person(&self, key: &str) -> &Person {
        &self.people[key]
    }
}

pub async fn world(db: &TestDb) -> World {
    let at = now();
    let c = db.owner.get().await.unwrap();
    let tulsa = people::add_office(&c, "Tulsa", "Oklahoma", at)
        .await
        .unwrap()
        .id;
    let norman = people::add_office(&c, "Norman", "Oklahoma", at)
        .await
        .unwrap()
        .id;
    let austin = people::add_office(&c, "Austin", "Texas", at)
        .await
        .unwrap()
        .id;
    let mut ppl = HashMap::new();
    for (key, role, office) in [
        ("admin", Role::Admin, None),
        ("supervisor", Role::Supervisor, Some(tulsa)),
        ("cm_assigned", Role::CaseManager, Some(tulsa)),
        ("cm_shared", Role::CaseManager, Some(norman)),
        ("cm_other", Role::CaseManager, Some(tulsa)),
        ("poster", Role::PosterStaff, None),
        ("vol_here", Role::Volunteer, Some(norman)),
        ("vol_away", Role::Volunteer, Some(austin)),
    ] {
        ppl.insert(
            key,
            add_person(db, &key.replace('_', "."), role, office).await,
        );
    }
    let fields = cases::validate(&sample_fields("Maya"), at).unwrap();
    let cm = ppl["cm_assigned"].id;
    let clock = Clock::new(ReplicaId::random(), None, 0);
    let writer = Writer::load(&c, cm, None, &clock).await.unwrap();
    let case_a = cases::create(
        &c,
        &writer,
        porchlight_server::new_id(at),
        tulsa,
        CaseStatus::Active,
        &fields,
        true,
        at,
    )
    .await
    .unwrap()
    .id;
    let case_b = cases::create(
        &c,
        &writer,
        porchlight_server::new_id(at),
        tulsa,
        CaseStatus::Intake,
        &cases::validate(&sample_fields("Lena"), at).unwrap(),
        true,
        at,
    )
    .await
    .unwrap()
    .id;
    let case_c = cases::create(
        &c,
        &writer,
        porchlight_server::new_id(at),
        austin,
        CaseStatus::Active,
        &cases::validate(&sample_fields("Iris"), at).unwrap(),
        false,
        at,
    )
    .await
    .unwrap()
    .id;
    c.execute("INSERT INTO case_access (case_id, user_id, kind, granted_at) VALUES ($1, $2, 'shared', $3)", &[&case_a, &ppl["cm_shared"].id, &at]).await.unwrap();
    let rosa = ContactFields {
        name: "Rosa Okafor".into(),
        relationship: Some(Relationship::Mother),
        phones: vec!["918 555 0142".into()],
        notes: format!("{MARK}contact prefers evenings"),
        ..Default::default()
    };
    cases::add_contact(
        &c,
        &writer,
        case_a,
        porchlight_server::new_id(at),
        rosa.validate().unwrap(),
        at,
    )
    .await
    .unwrap();
    let dale = ContactFields {
        name: "Dale Okafor".into(),
        relationship: Some(Relationship::Father),
        phones: vec!["918 555 0199".into()],
        do_not_disclose: true,
        ..Default::default()
    };
    cases::add_contact(
        &c,
        &writer,
        case_a,
        porchlight_server::new_id(at),
        dale.validate().unwrap(),
        at,
    )
    .await
    .unwrap();
    cases::add_note(
        &c,
        &writer,
        case_a,
        porchlight_server::new_id(at),
        NoteCategory::Internal,
        &format!("{MARK}note father may be involved"),
        None,
        at,
    )
    .await
    .unwrap();
    let public = PhotoMeta {
        kind: PhotoKind::Photo,
        consent_to_publish: true,
        taken_on: None,
        age_in_photo: Some(14),
    };
    let private = PhotoMeta {
        kind: PhotoKind::Photo,
        consent_to_publish: false,
        taken_on: None,
        age_in_photo: Some(13),
    };
    let photo_public = cases::add_photo(
        &c,
        &writer,
        case_a,
        porchlight_server::new_id(at),
        &public,
        &[PNG, b"public"].concat(),
        at,
    )
    .await
    .unwrap()
    .id;
    let photo_private = cases::add_photo(
        &c,
        &writer,
        case_a,
        porchlight_server::new_id(at),
        &private,
        &[PNG, b"private"].concat(),
        at,
    )
    .await
    .unwrap()
    .id;
    World {
        people: ppl,
        case_a,
        case_b,
        case_c,
        photo_public,
        photo_private,
    }
}

/// Skips the test (loudly) when no PostgreSQL is configured outside CI.
#[macro_export]
macro_rules! test_db {
    () => {
        match $crate::server::harness::TestDb::new().await {
            Some(db) => db,
            None => return,
        }
    };
}

pub async fn version_of(db: &TestDb, case: Uuid) -> i64 {
    db.owner
        .get()
        .await
        .unwrap()
        .query_one("SELECT version FROM cases WHERE id = $1", &[&case])
        .await
        .unwrap()
        .get(0)
}

pub async fn audit_actions(db: &TestDb) -> Vec<String> {
    let c = db.owner.get().await.unwrap();
    c.query("SELECT action FROM audit_log ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[allow(dead_code)]
pub async fn exec(db: &TestDb, sql: &str) {
    db.owner
        .get()
        .await
        .unwrap()
        .batch_execute(sql)
        .await
        .unwrap();
}
