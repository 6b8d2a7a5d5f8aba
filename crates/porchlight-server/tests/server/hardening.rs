//! Strict input: malformed JSON, unknown fields, wrong types, oversized bodies and bad ids get
//! a 4xx that names the problem, and nothing is written. Also readiness and graceful shutdown.

use super::harness::{json, state_for, world, TestDb, TestServer};
use crate::test_db;
use reqwest::Method;
use serde_json::json;

async fn written(db: &TestDb) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "cases",
        "contacts",
        "notes",
        "photos",
        "blobs",
        "case_access",
        "users",
        "offices",
    ] {
        counts.push(db.count(table).await);
    }
    counts
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_write_nothing() {
    let db = test_db!();
    let w = world(&db).await;
    let mut state = state_for(&db);
    state.max_body_bytes = 16 * 1024;
    state.max_photo_bytes = 64 * 1024;
    let server = TestServer::start(state).await;
    let cm = server.login(w.person("cm_assigned")).await;
    let admin = server.login(w.person("admin")).await;
    let a = w.case_a;
    let before = written(&db).await;
    let audit_before = db.count("audit_log").await;

    let raw = |path: String, body: &'static str, ctype: &'static str| {
        let req = server
            .http
            .post(format!("{}{path}", server.base))
            .bearer_auth(&cm)
            .header("content-type", ctype)
            .body(body);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    // (what, status, code, words the message must contain)
    let mut seen = Vec::new();
    seen.push((
        "truncated JSON",
        raw("/v1/cases".into(), "{\"fields\": {", "application/json").await,
        400,
        "malformed_request",
        "not valid JSON",
    ));
    seen.push((
        "not JSON at all",
        raw(format!("/v1/cases/{a}/notes"), "hello", "application/json").await,
        400,
        "malformed_request",
        "not valid JSON",
    ));
    seen.push((
        "wrong content type",
        raw(format!("/v1/cases/{a}/notes"), "{}", "text/plain").await,
        415,
        "unsupported_media_type",
        "Content-Type",
    ));
    seen.push((
        "missing field",
        server
            .call(
                Method::POST,
                &format!("/v1/cases/{a}/notes"),
                Some(&cm),
                Some(json!({ "category": "call" })),
            )
            .await,
        422,
        "validation",
        "body",
    ));
    seen.push((
        "unknown field",
        server
            .call(
                Method::POST,
                &format!("/v1/cases/{a}/notes"),
                Some(&cm),
                Some(json!({ "category": "call", "body": "x", "author": "me" })),
            )
            .await,
        422,
        "validation",
        "author",
    ));
    seen.push((
        "unknown code",
        server
            .call(
                Method::POST,
                "/v1/cases",
                Some(&cm),
                Some(json!({ "fields": { "child": { "sex": "Q" } } })),
            )
            .await,
        422,
        "validation",
        "fields.child.sex",
    ));
    seen.push((
        "invalid case",
        server
            .call(
                Method::POST,
                "/v1/cases",
                Some(&cm),
                Some(json!({ "fields": { "case_type": "ERU" } })),
            )
            .await,
        422,
        "validation",
        "fields need attention",
    ));
    seen.push((
        "bad case id",
        server.get("/v1/cases/not-an-id", &cm).await,
        400,
        "malformed_request",
        "case id",
    ));
    seen.push((
        "bad photo id",
        server.get("/v1/photos/123", &cm).await,
        400,
        "malformed_request",
        "photo id",
    ));
    seen.push((
        "bad user id",
        server
            .call(Method::POST, "/v1/users/xyz/disable", Some(&admin), None)
            .await,
        400,
        "malformed_request",
        "user id",
    ));
    seen.push((
        "not a UUIDv7",
        server.call(Method::POST, "/v1/cases", Some(&cm), Some(json!({ "id": "9b2c6a8e-1f0d-4e6b-8c3a-5d7e9f1a2b3c", "fields": super::harness::sample_fields("Nora") }))).await,
        422,
        "validation",
        "UUIDv7",
    ));
    seen.push((
        "bad query",
        server.get("/v1/cases?limit=lots", &cm).await,
        400,
        "malformed_request",
        "query string",
    ));
    seen.push((
        "limit out of range",
        server.get("/v1/cases?limit=100000", &cm).await,
        422,
        "validation",
        "limit",
    ));
    let big = "x".repeat(20 * 1024);
    seen.push((
        "oversized body",
        server
            .call(
                Method::POST,
                &format!("/v1/cases/{a}/notes"),
                Some(&cm),
                Some(json!({ "category": "call", "body": big })),
            )
            .await,
        413,
        "payload_too_large",
        "larger",
    ));
    let huge_photo = vec![0x89u8; 100 * 1024];
    let res = server
        .http
        .post(format!(
            "{}/v1/cases/{a}/photos?kind=photo&consent_to_publish=false",
            server.base
        ))
        .bearer_auth(&cm)
        .body(huge_photo)
        .send()
        .await
        .unwrap();
    seen.push((
        "oversized photo",
        (res.status().as_u16(), res.text().await.unwrap()),
        413,
        "payload_too_large",
        "larger",
    ));
    let res = server
        .http
        .post(format!(
            "{}/v1/cases/{a}/photos?kind=photo&consent_to_publish=false",
            server.base
        ))
        .bearer_auth(&cm)
        .body(b"<html>not an image</html>".to_vec())
        .send()
        .await
        .unwrap();
    seen.push((
        "photo that is not an image",
        (res.status().as_u16(), res.text().await.unwrap()),
        422,
        "validation",
        "JPEG, PNG or WebP",
    ));
    seen.push((
        "unknown endpoint",
        server.get("/v1/nothing", &cm).await,
        404,
        "not_found",
        "/v1/",
    ));

    let mut failures = Vec::new();
    for (what, (status, text), want_status, want_code, words) in &seen {
        let body: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        if status != want_status
            || body["code"] != *want_code
            || !body["message"].as_str().unwrap_or("").contains(words)
        {
            failures.push(format!("{what}: expected {want_status} {want_code} mentioning {words:?}, got {status} {text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(written(&db).await, before, "a refused request wrote data");
    assert_eq!(
        db.count("audit_log").await,
        audit_before,
        "a malformed request left an audit entry"
    );
}

#[tokio::test]
async fn an_edit_to_an_old_version_is_refused_and_changes_nothing() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = server.login(w.person("cm_assigned")).await;
    let path = format!("/v1/cases/{}", w.case_a);
    let mut fields = super::harness::sample_fields("Maya");
    fields.event.circumstances = "First edit.".into();
    let (status, text) = server
        .call(
            Method::PUT,
            &path,
            Some(&cm),
            Some(json!({ "version": 1, "fields": fields })),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(json(&text)["version"], 2);
    fields.event.circumstances = "Stale edit.".into();
    let (status, text) = server
        .call(
            Method::PUT,
            &path,
            Some(&cm),
            Some(json!({ "version": 1, "fields": fields })),
        )
        .await;
    assert_eq!(
        (status, json(&text)["code"].as_str().unwrap()),
        (409, "edit_conflict")
    );
    let (_, text) = server.get(&path, &cm).await;
    assert_eq!(
        json(&text)["fields"]["event"]["circumstances"],
        "First edit."
    );
}

#[tokio::test]
async fn readiness_reports_the_schema_and_shutdown_is_graceful() {
    let db = test_db!();
    let server = TestServer::start(state_for(&db)).await;
    let (status, text) = server.call(Method::GET, "/health", None, None).await;
    assert_eq!(
        (status, json(&text)["status"].as_str().unwrap()),
        (200, "ok")
    );
    let (status, text) = server.call(Method::GET, "/ready", None, None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        json(&text)["schema"],
        porchlight_server::db::latest_version()
    );
    let base = server.base.clone();
    server.shutdown().await;
    assert!(
        reqwest::get(format!("{base}/health")).await.is_err(),
        "the port is closed after shutdown"
    );

    // A database without the schema is not ready.
    let empty = TestServer::start(porchlight_server::AppState::new(
        porchlight_server::db::pool(
            &super::harness::admin_url().unwrap(),
            2,
            std::time::Duration::from_secs(5),
        )
        .unwrap(),
    ))
    .await;
    let (status, text) = empty.call(Method::GET, "/ready", None, None).await;
    assert_eq!(status, 503, "{text}");
    assert!(json(&text)["message"]
        .as_str()
        .unwrap()
        .contains("porchlight-server migrate"));
}
