//! The admin commands of the real `porchlight-server` binary against a test database.

use super::harness::{json, state_for, world, TestDb, TestServer};
use crate::test_db;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_porchlight-server"))
        .args(args)
        .env("PORCHLIGHT_DATABASE_URL", &db.service_url)
        .env_remove("PORCHLIGHT_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn operators_manage_people_cases_and_devices_from_the_command_line() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;

    let out = run(&db, &["office", "add", "Dallas", "--region", "Texas"], None);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &db,
        &[
            "user",
            "add",
            "bo.cm",
            "--role",
            "case_manager",
            "--name",
            "Bo Case",
            "--office",
            "Tulsa",
        ],
        Some("bo's long password\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &db,
        &[
            "user",
            "add",
            "sue.sup",
            "--role",
            "supervisor",
            "--name",
            "Sue Sup",
            "--office",
            "Dallas",
        ],
        Some("sue's long password\n"),
    );
    assert!(
        out.status.success() && text(&out).contains("otpauth://totp/"),
        "{}",
        text(&out)
    );
    let out = run(
        &db,
        &["user", "add", "x.vol", "--role", "volunteer", "--name", "X"],
        Some("a long password!!\n"),
    );
    assert!(
        !out.status.success() && text(&out).contains("must belong to an office"),
        "{}",
        text(&out)
    );
    let out = run(
        &db,
        &[
            "user",
            "add",
            "y.vol",
            "--role",
            "volunteer",
            "--name",
            "Y",
            "--office",
            "Tulsa",
        ],
        Some("short\n"),
    );
    assert!(
        !out.status.success() && text(&out).contains("at least 12"),
        "{}",
        text(&out)
    );
    let out = run(
        &db,
        &["user", "add", "z", "--role", "chief", "--name", "Z"],
        Some("a long password!!\n"),
    );
    assert!(
        !out.status.success() && text(&out).contains("--role"),
        "{}",
        text(&out)
    );

    // Assign by case number to the new case manager, who can then read it.
    let number: String = db
        .owner
        .get()
        .await
        .unwrap()
        .query_one("SELECT case_number FROM cases WHERE id = $1", &[&w.case_a])
        .await
        .unwrap()
        .get(0);
    let out = run(&db, &["assign", &number, "bo.cm"], None);
    assert!(out.status.success(), "{}", text(&out));
    let bo = server
        .call(reqwest::Method::POST, "/v1/login", None, Some(serde_json::json!({ "username": "bo.cm", "password": "bo's long password", "device_name": "bo laptop" })))
        .await;
    assert_eq!(bo.0, 200, "{}", bo.1);
    let reply = json(&bo.1);
    let token = reply["token"].as_str().unwrap();
    let device = reply["device_id"].as_str().unwrap();
    assert_eq!(
        server
            .get(&format!("/v1/cases/{}", w.case_a), token)
            .await
            .0,
        200
    );

    let out = run(&db, &["device", "list", "--user", "bo.cm"], None);
    assert!(
        out.status.success() && text(&out).contains(device) && text(&out).contains("active"),
        "{}",
        text(&out)
    );
    let out = run(&db, &["device", "wipe", device], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        server
            .get(&format!("/v1/cases/{}", w.case_a), token)
            .await
            .0,
        410
    );
    let out = run(&db, &["device", "revoke", device], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(server.get("/v1/device", token).await.0, 401);

    let out = run(
        &db,
        &["user", "reset-password", "bo.cm"],
        Some("bo's newer long password\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&db, &["user", "role", "bo.cm", "volunteer"], None);
    assert!(
        out.status.success() && text(&out).contains("now volunteer (was case_manager)"),
        "{}",
        text(&out)
    );
    let out = run(&db, &["user", "role", "bo.cm", "warden"], None);
    assert!(
        !out.status.success() && text(&out).contains("case_manager, poster_staff"),
        "{}",
        text(&out)
    );
    let out = run(&db, &["user", "disable", "bo.cm"], None);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&db, &["user", "disable", "nobody.here"], None);
    assert!(
        !out.status.success() && text(&out).contains("no user named"),
        "{}",
        text(&out)
    );

    let actions = super::harness::audit_actions(&db).await;
    for action in [
        "office_added",
        "user_added",
        "case_assigned",
        "wipe_requested",
        "token_revoked",
        "password_reset",
        "user_role_changed",
        "user_disabled",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not audited: {actions:?}"
        );
    }
}

#[tokio::test]
async fn audit_verify_exits_non_zero_on_tampering() {
    let db = test_db!();
    let _w = world(&db).await;
    let out = run(&db, &["office", "add", "Dallas", "--region", "Texas"], None);
    assert!(out.status.success(), "{}", text(&out));
    run(
        &db,
        &["office", "add", "Houston", "--region", "Texas"],
        None,
    );
    let out = run(&db, &["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    let head = printed
        .split("Head ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let out = run(&db, &["audit", "verify", "--expect-head", &head], None);
    assert!(out.status.success(), "{}", text(&out));

    super::harness::exec(
        &db,
        "UPDATE audit_log SET subject = 'someone else' WHERE seq = 1",
    )
    .await;
    let out = run(&db, &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("entry 1 was changed"), "{}", text(&out));
    let out = run(&db, &["audit", "verify", "--expect-head", "nonsense"], None);
    assert!(
        !out.status.success() && text(&out).contains("SEQ:HASH"),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn migrate_is_idempotent_and_refuses_a_changed_migration() {
    let db = test_db!();
    let owner_url = super::harness::admin_with_db(&super::harness::admin_url().unwrap(), &db.name);
    let out = Command::new(env!("CARGO_BIN_EXE_porchlight-server"))
        .arg("migrate")
        .env("PORCHLIGHT_DATABASE_URL", &db.service_url)
        .env("PORCHLIGHT_MIGRATE_DATABASE_URL", &owner_url)
        .output()
        .unwrap();
    assert!(
        out.status.success() && text(&out).contains("up to date"),
        "{}",
        text(&out)
    );
    // The service role may not change the schema: migrations need the owner.
    let err = db
        .service
        .get()
        .await
        .unwrap()
        .batch_execute("CREATE TABLE intruder (i int)")
        .await
        .expect_err("the service role created a table");
    assert_eq!(
        err.as_db_error()
            .map(|e| e.code().code().to_owned())
            .as_deref(),
        Some("42501"),
        "{err}"
    );
    let mut c = db.owner.get().await.unwrap();
    assert_eq!(
        porchlight_server::db::migrate(&mut c).await.unwrap(),
        Vec::<i32>::new(),
        "nothing left to apply"
    );
    c.execute(
        "UPDATE schema_migrations SET checksum = '\\x00' WHERE version = 1",
        &[],
    )
    .await
    .unwrap();
    let err = porchlight_server::db::migrate(&mut c).await.unwrap_err();
    assert!(
        err.to_string().contains("was changed after it was applied"),
        "{err}"
    );
}
