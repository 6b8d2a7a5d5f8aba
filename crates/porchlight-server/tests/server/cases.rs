//! Case work over HTTP: creation assigns the creating case manager, reassignment moves access,
//! sharing grants it and unsharing takes it back, and notes are never changed in place.

use super::harness::{json, state_for, world, TestServer};
use crate::test_db;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn reassignment_moves_access_and_sharing_grants_and_revokes_it() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let sup = server.login(w.person("supervisor")).await;
    let assigned = server.login(w.person("cm_assigned")).await;
    let other = server.login(w.person("cm_other")).await;
    let shared = server.login(w.person("cm_shared")).await;
    let a = w.case_a;
    let path = format!("/v1/cases/{a}");
    assert_eq!(server.get(&path, &other).await.0, 404);

    // The supervisor reassigns the case to the other case manager of the office.
    let (status, text) = server
        .call(
            Method::POST,
            &format!("{path}/assign"),
            Some(&sup),
            Some(json!({ "user_id": w.person("cm_other").id })),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        json(&text)["assigned_to"],
        w.person("cm_other").id.to_string()
    );
    assert_eq!(
        server.get(&path, &other).await.0,
        200,
        "the new assignee sees it"
    );
    assert_eq!(
        server.get(&path, &assigned).await.0,
        404,
        "the previous assignee no longer does"
    );

    // Cases go only to case managers of the case's office.
    let (status, text) = server
        .call(
            Method::POST,
            &format!("{path}/assign"),
            Some(&sup),
            Some(json!({ "user_id": w.person("cm_shared").id })),
        )
        .await;
    assert_eq!(status, 422, "{text}");
    assert!(
        json(&text)["message"]
            .as_str()
            .unwrap()
            .contains("own office"),
        "{text}"
    );
    let (status, _) = server
        .call(
            Method::POST,
            &format!("{path}/assign"),
            Some(&sup),
            Some(json!({ "user_id": w.person("poster").id })),
        )
        .await;
    assert_eq!(status, 422);

    // Unsharing takes access away from the colleague it was shared with.
    assert_eq!(server.get(&path, &shared).await.0, 200);
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("{path}/shares/{}", w.person("cm_shared").id),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(server.get(&path, &shared).await.0, 404);
    let (status, _) = server
        .call(
            Method::POST,
            &format!("{path}/shares"),
            Some(&other),
            Some(json!({ "user_id": w.person("cm_shared").id })),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(server.get(&path, &shared).await.0, 200);
}

#[tokio::test]
async fn a_created_case_belongs_to_its_creator_and_notes_supersede_rather_than_change() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = server.login(w.person("cm_other")).await;
    let sup = server.login(w.person("supervisor")).await;
    let id = porchlight_server::new_id(chrono::Utc::now());
    let (status, text) = server.call(Method::POST, "/v1/cases", Some(&cm), Some(json!({ "id": id, "status": "active", "fields": super::harness::sample_fields("Nora") }))).await;
    assert_eq!(status, 201, "{text}");
    let case = json(&text);
    assert_eq!(case["id"], id.to_string(), "the device's id is kept");
    assert!(case["case_number"].as_str().unwrap().starts_with("PL-"));
    assert_eq!(case["assigned_to"], w.person("cm_other").id.to_string());
    assert_eq!(case["fields"]["event"]["state"], "OK");
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/cases",
            Some(&cm),
            Some(json!({ "id": id, "fields": super::harness::sample_fields("Nora") })),
        )
        .await;
    assert_eq!(status, 409, "an id is used once");
    assert_eq!(
        server.get(&format!("/v1/cases/{id}"), &sup).await.0,
        200,
        "the office's supervisor sees it"
    );

    let notes = format!("/v1/cases/{id}/notes");
    let (status, text) = server
        .call(
            Method::POST,
            &notes,
            Some(&cm),
            Some(json!({ "category": "call", "body": "Mother called at 9." })),
        )
        .await;
    assert_eq!(status, 201, "{text}");
    let first = json(&text)["id"].as_str().unwrap().to_owned();
    let (status, text) = server.call(Method::POST, &notes, Some(&cm), Some(json!({ "category": "call", "body": "Mother called at 9:30.", "supersedes": first }))).await;
    assert_eq!(status, 201, "{text}");
    let (_, text) = server.get(&notes, &cm).await;
    let list = json(&text);
    let bodies: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Mother called at 9.", "Mother called at 9:30."],
        "both versions are kept"
    );
    let (status, _) = server
        .call(
            Method::POST,
            &notes,
            Some(&cm),
            Some(json!({ "category": "call", "body": "x", "supersedes": w.case_a })),
        )
        .await;
    assert_eq!(status, 422, "a note supersedes a note of its own case");

    let (status, text) = server
        .call(
            Method::POST,
            &format!("/v1/cases/{id}/contacts"),
            Some(&cm),
            Some(json!({ "name": "Rosa Diaz", "relationship": "other", "relationship_detail": "aunt", "phones": ["not a phone"] })),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(json(&text)["fields"][0]["field"], "phones.0");
}
