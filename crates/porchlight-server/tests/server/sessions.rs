//! Logging in and staying in: device enrolment, second factor, revocation and wipe taking
//! effect at the very next request, disabled accounts, and login throttling that kicks in and
//! recovers.

use super::harness::{add_person, audit_actions, json, state_for, TestServer};
use crate::test_db;
use porchlight_server::people::{self, Role};
use porchlight_server::totp;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_login_enrols_a_device_whose_token_only_the_hash_of_is_stored() {
    let db = test_db!();
    let office = people::add_office(
        &db.owner.get().await.unwrap(),
        "Tulsa",
        "Oklahoma",
        super::harness::now(),
    )
    .await
    .unwrap()
    .id;
    let cm = add_person(&db, "ana.cm", Role::CaseManager, Some(office)).await;
    let server = TestServer::start(state_for(&db)).await;
    let (status, text) = server.try_login(&cm, &cm.password).await;
    assert_eq!(status, 200, "{text}");
    let reply = json(&text);
    let token = reply["token"].as_str().unwrap();
    assert_eq!(token.len(), 64, "256 bits as hex");
    let c = db.owner.get().await.unwrap();
    let stored: Vec<u8> = c
        .query_one("SELECT token_hash FROM devices", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, porchlight_server::devices::token_hash(token));
    let raw = c
        .query_one(
            "SELECT count(*) FROM devices WHERE position(convert_to($1, 'UTF8') in token_hash) > 0",
            &[&token],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(raw, 0);
    let (status, text) = server.get("/v1/me", token).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(json(&text)["user"]["username"], "ana.cm");
    let (status, _) = server.get("/v1/me", &"0".repeat(64)).await;
    assert_eq!(status, 401);
    let (status, _) = server.call(Method::GET, "/v1/me", None, None).await;
    assert_eq!(status, 401);
    let actions = audit_actions(&db).await;
    assert!(
        actions.ends_with(&["login_succeeded".to_owned(), "token_issued".to_owned()]),
        "{actions:?}"
    );
}

#[tokio::test]
async fn admins_and_supervisors_need_a_fresh_authenticator_code() {
    let db = test_db!();
    let admin = add_person(&db, "ada.admin", Role::Admin, None).await;
    let server = TestServer::start(state_for(&db)).await;
    let body = |totp: Option<String>| json!({ "username": "ada.admin", "password": admin.password, "device_name": "desk", "totp": totp });

    let (status, text) = server
        .call(Method::POST, "/v1/login", None, Some(body(None)))
        .await;
    assert_eq!(
        (status, json(&text)["code"].as_str().unwrap()),
        (401, "totp_required"),
        "{text}"
    );
    let (status, text) = server
        .call(
            Method::POST,
            "/v1/login",
            None,
            Some(body(Some("000000".into()))),
        )
        .await;
    assert_eq!(
        (status, json(&text)["code"].as_str().unwrap()),
        (401, "unauthenticated"),
        "{text}"
    );

    let code = totp::code_at(admin.totp.as_ref().unwrap(), chrono::Utc::now().timestamp());
    let (status, text) = server
        .call(
            Method::POST,
            "/v1/login",
            None,
            Some(body(Some(code.clone()))),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let (status, _) = server
        .call(Method::POST, "/v1/login", None, Some(body(Some(code))))
        .await;
    assert_eq!(status, 401, "a code is accepted once");
}

#[tokio::test]
async fn a_revoked_or_disabled_device_is_refused_at_its_very_next_request() {
    let db = test_db!();
    let w = super::harness::world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = server.login(w.person("cm_assigned")).await;
    let admin = server.login(w.person("admin")).await;
    let path = format!("/v1/cases/{}", w.case_a);
    assert_eq!(server.get(&path, &cm).await.0, 200);

    let (_, text) = server.get("/v1/devices", &admin).await;
    let devices = json(&text);
    let device = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["username"] == "cm.assigned")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, text) = server
        .call(
            Method::POST,
            &format!("/v1/devices/{device}/revoke"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204, "{text}");
    let (status, text) = server.get(&path, &cm).await;
    assert_eq!(status, 401);
    assert!(
        json(&text)["message"].as_str().unwrap().contains("revoked"),
        "{text}"
    );

    // Logging in again gives a new device; disabling the account ends it too.
    let cm2 = server.login(w.person("cm_assigned")).await;
    assert_eq!(server.get(&path, &cm2).await.0, 200);
    let user = w.person("cm_assigned").id;
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/v1/users/{user}/disable"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(server.get(&path, &cm2).await.0, 401);
    let (status, _) = server
        .try_login(w.person("cm_assigned"), &w.person("cm_assigned").password)
        .await;
    assert_eq!(status, 401, "a disabled account cannot log in");

    // Logging out ends the caller's own token.
    let vol = server.login(w.person("vol_here")).await;
    assert_eq!(
        server
            .call(Method::POST, "/v1/logout", Some(&vol), None)
            .await
            .0,
        204
    );
    assert_eq!(server.get("/v1/me", &vol).await.0, 401);
}

#[tokio::test]
async fn a_device_flagged_for_wipe_gets_only_the_wipe_order() {
    let db = test_db!();
    let w = super::harness::world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = server.login(w.person("cm_assigned")).await;
    let (_, me) = server.get("/v1/me", &cm).await;
    let device = json(&me)["device_id"].as_str().unwrap().to_owned();
    // A user may flag their own lost laptop.
    assert_eq!(
        server
            .call(
                Method::POST,
                &format!("/v1/devices/{device}/wipe"),
                Some(&cm),
                None
            )
            .await
            .0,
        204
    );

    let (status, text) = server.get(&format!("/v1/cases/{}", w.case_a), &cm).await;
    assert_eq!(
        (status, json(&text)["code"].as_str().unwrap()),
        (410, "wipe_requested")
    );
    let (status, text) = server.get("/v1/device", &cm).await;
    assert_eq!(status, 200);
    assert_eq!(json(&text)["wipe"], true);
    assert_eq!(
        server
            .call(Method::POST, "/v1/device/wiped", Some(&cm), None)
            .await
            .0,
        204
    );
    assert_eq!(
        server.get("/v1/device", &cm).await.0,
        401,
        "after the wipe the token is over"
    );
    let actions = audit_actions(&db).await;
    assert!(
        actions.contains(&"wipe_requested".to_owned())
            && actions.contains(&"device_wiped".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn login_throttling_kicks_in_per_account_and_recovers() {
    let db = test_db!();
    let office = people::add_office(
        &db.owner.get().await.unwrap(),
        "Tulsa",
        "Oklahoma",
        super::harness::now(),
    )
    .await
    .unwrap()
    .id;
    let cm = add_person(&db, "ana.cm", Role::CaseManager, Some(office)).await;
    let mut state = state_for(&db);
    state.login_limits.account_free = 3;
    state.login_limits.base_delay = Duration::from_millis(1500);
    let server = TestServer::start(state).await;

    for attempt in 1..=3 {
        let (status, _) = server.try_login(&cm, "wrong password here").await;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    // Locked: even the right password is refused, without being checked.
    let (status, text) = server.try_login(&cm, &cm.password).await;
    assert_eq!(status, 429, "{text}");
    assert_eq!(json(&text)["code"], "too_many_attempts");
    let res = server
        .http
        .post(format!("{}/v1/login", server.base))
        .json(&json!({ "username": "ana.cm", "password": cm.password, "device_name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().get("retry-after").is_some());

    tokio::time::sleep(Duration::from_millis(1700)).await;
    let (status, text) = server.try_login(&cm, &cm.password).await;
    assert_eq!(status, 200, "recovers after the wait: {text}");
    assert!(audit_actions(&db)
        .await
        .contains(&"login_throttled".to_owned()));
}

#[tokio::test]
async fn throttling_per_address_holds_across_accounts_and_across_instances() {
    let db = test_db!();
    let mut state = state_for(&db);
    state.login_limits.address_free = 4;
    state.login_limits.base_delay = Duration::from_secs(60);
    // Two instances over one database, as behind a load balancer.
    let one = TestServer::start(state.clone()).await;
    let two = TestServer::start(state).await;
    for i in 0..4 {
        let server = if i % 2 == 0 { &one } else { &two };
        let body = json!({ "username": format!("nobody{i}"), "password": "guessing passwords", "device_name": "x" });
        assert_eq!(
            server
                .call(Method::POST, "/v1/login", None, Some(body))
                .await
                .0,
            401
        );
    }
    let body =
        json!({ "username": "someone.else", "password": "guessing passwords", "device_name": "x" });
    assert_eq!(
        two.call(Method::POST, "/v1/login", None, Some(body.clone()))
            .await
            .0,
        429
    );
    assert_eq!(
        one.call(Method::POST, "/v1/login", None, Some(body))
            .await
            .0,
        429
    );
}
