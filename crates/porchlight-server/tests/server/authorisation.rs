//! The authorisation matrix: every role against every endpoint, allowed or refused as the rules
//! say, and confidential fields absent from everything a role without the full view receives.

use super::harness::{json, version_of, world, TestServer, MARK};
use crate::test_db;
use reqwest::Method;
use serde_json::{json, Value};

/// One row of the matrix: what, method, path, body, and the expected status per role in `ROLES` order.
type Cell = (&'static str, Method, String, Option<Value>, [u16; 8]);

const ROLES: [&str; 8] = [
    "admin",
    "supervisor",
    "cm_assigned",
    "cm_shared",
    "cm_other",
    "poster",
    "vol_here",
    "vol_away",
];

/// Roles that see cases in full; everyone else must never receive a confidential value.
const FULL_VIEW: [&str; 4] = ["supervisor", "cm_assigned", "cm_shared", "cm_other"];

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

#[tokio::test]
async fn every_role_reaches_exactly_what_the_rules_allow() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(super::harness::state_for(&db)).await;
    let mut tokens = std::collections::HashMap::new();
    for role in ROLES {
        tokens.insert(role, server.login(w.person(role)).await);
    }
    let (a, b, c) = (w.case_a, w.case_b, w.case_c);
    let cm_assigned = w.person("cm_assigned").id;
    let cm_shared = w.person("cm_shared").id;
    let new_case = json!({ "fields": super::harness::sample_fields("Nora") });

    // (what, method, path, body, expected status per role in ROLES order)
    #[rustfmt::skip]
    let matrix: Vec<Cell> = vec![
        ("list cases",            Method::GET,  "/v1/cases".into(),                             None, [403, 200, 200, 200, 200, 200, 200, 200]),
        ("read active case",      Method::GET,  format!("/v1/cases/{a}"),                        None, [403, 200, 200, 200, 404, 200, 200, 404]),
        ("read intake case",      Method::GET,  format!("/v1/cases/{b}"),                        None, [403, 200, 200, 404, 404, 404, 404, 404]),
        ("read other region",     Method::GET,  format!("/v1/cases/{c}"),                        None, [403, 404, 404, 404, 404, 200, 404, 200]),
        ("contacts",              Method::GET,  format!("/v1/cases/{a}/contacts"),               None, [403, 200, 200, 200, 404, 403, 403, 404]),
        ("update recipients",     Method::GET,  format!("/v1/cases/{a}/update-recipients"),      None, [403, 200, 200, 200, 404, 403, 403, 404]),
        ("notes",                 Method::GET,  format!("/v1/cases/{a}/notes"),                  None, [403, 200, 200, 200, 404, 403, 403, 404]),
        ("photo list",            Method::GET,  format!("/v1/cases/{a}/photos"),                 None, [403, 200, 200, 200, 404, 200, 403, 404]),
        ("consented photo",       Method::GET,  format!("/v1/photos/{}", w.photo_public),        None, [403, 200, 200, 200, 404, 200, 403, 403]),
        ("unconsented photo",     Method::GET,  format!("/v1/photos/{}", w.photo_private),       None, [403, 200, 200, 200, 404, 404, 403, 403]),
        ("edit case",             Method::PUT,  format!("/v1/cases/{a}"),                        None, [403, 200, 200, 200, 404, 403, 403, 403]),
        ("add note",              Method::POST, format!("/v1/cases/{a}/notes"), Some(json!({ "category": "call", "body": "Called the school." })),
                                                                                                       [403, 201, 201, 201, 404, 403, 403, 404]),
        ("assign",                Method::POST, format!("/v1/cases/{a}/assign"), Some(json!({ "user_id": cm_assigned })),
                                                                                                       [403, 200, 403, 403, 404, 403, 403, 404]),
        ("share",                 Method::POST, format!("/v1/cases/{a}/shares"), Some(json!({ "user_id": cm_shared })),
                                                                                                       [403, 204, 204, 204, 404, 403, 403, 404]),
        ("list users",            Method::GET,  "/v1/users".into(),                             None, [200, 403, 403, 403, 403, 403, 403, 403]),
        ("read audit log",        Method::GET,  "/v1/audit".into(),                             None, [200, 403, 403, 403, 403, 403, 403, 403]),
        ("add office",            Method::POST, "/v1/offices".into(), Some(json!({ "name": "Office {role}", "region": "Kansas" })),
                                                                                                       [201, 403, 403, 403, 403, 403, 403, 403]),
        ("list devices",          Method::GET,  "/v1/devices".into(),                           None, [200, 200, 200, 200, 200, 200, 200, 200]),
        ("create case",           Method::POST, "/v1/cases".into(), Some(new_case),                    [403, 201, 201, 201, 201, 403, 403, 403]),
    ];

    let mut failures = Vec::new();
    for (what, method, path, body, expected) in &matrix {
        for (i, role) in ROLES.iter().enumerate() {
            let token = &tokens[role];
            let mut body = body.clone();
            if *what == "edit case" {
                // Each allowed edit moves the version on; send the current one.
                let mut fields = super::harness::sample_fields("Maya");
                fields.event.circumstances = format!("Edited by {role}.");
                body = Some(json!({ "version": version_of(&db, a).await, "fields": fields }));
            }
            if *what == "add office" {
                body = Some(json!({ "name": format!("Office {role}"), "region": "Kansas" }));
            }
            let (status, text) = server.call(method.clone(), path, Some(token), body).await;
            if status != expected[i] {
                failures.push(format!(
                    "{what} as {role}: expected {}, got {status}: {text}",
                    expected[i]
                ));
            }
            if !FULL_VIEW.contains(role) && text.contains(MARK) {
                failures.push(format!(
                    "{what} as {role}: a confidential value leaked: {text}"
                ));
            }
            if status >= 400 {
                let err = json(&text);
                assert!(
                    err["code"].is_string() && !err["message"].as_str().unwrap_or("").is_empty(),
                    "{what} as {role}: error without code or message: {text}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cell(s) of the matrix are wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn each_view_carries_exactly_its_fields() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(super::harness::state_for(&db)).await;
    let a = w.case_a;
    let confidential = [
        "missing_from_care",
        "care_agency",
        "description.medical_cautions",
        "event.address",
        "event.possible_destinations",
    ];
    for (role, view) in [
        ("supervisor", "full"),
        ("cm_shared", "full"),
        ("poster", "public"),
        ("vol_here", "poster"),
    ] {
        let token = server.login(w.person(role)).await;
        let (status, text) = server.get(&format!("/v1/cases/{a}"), &token).await;
        assert_eq!(status, 200, "{role}: {text}");
        let case = json(&text);
        assert_eq!(case["view"], view, "{role}");
        let fields = &case["fields"];
        assert_eq!(
            get(fields, "child.given_name").unwrap(),
            "Maya",
            "{role} sees the name"
        );
        assert_eq!(
            get(fields, "event.city").unwrap(),
            "Tulsa",
            "{role} sees the city"
        );
        for path in confidential {
            assert_eq!(
                get(fields, path).is_some(),
                view == "full",
                "{role} and {path}"
            );
        }
        assert_eq!(
            get(fields, "law_enforcement.ncic_number").is_some(),
            view != "poster",
            "{role} and the NCIC number"
        );
        assert_eq!(
            case.get("assigned_to").is_some(),
            view == "full",
            "{role} and the assignee"
        );

        let (status, text) = server.get("/v1/cases", &token).await;
        assert_eq!(status, 200);
        let listed = json(&text);
        let first = listed["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == a.to_string())
            .expect("case A is listed");
        for path in confidential {
            assert_eq!(
                get(&first["fields"], path).is_some(),
                view == "full",
                "list: {role} and {path}"
            );
        }
    }
}

#[tokio::test]
async fn poster_staff_list_only_consented_photos_and_do_not_disclose_contacts_are_never_recipients()
{
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(super::harness::state_for(&db)).await;
    let a = w.case_a;

    let poster = server.login(w.person("poster")).await;
    let (_, text) = server.get(&format!("/v1/cases/{a}/photos"), &poster).await;
    let photos = json(&text);
    let ids: Vec<&str> = photos
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [w.photo_public.to_string()]);
    let (status, _) = server
        .get(&format!("/v1/photos/{}", w.photo_public), &poster)
        .await;
    assert_eq!(status, 200);

    let cm = server.login(w.person("cm_assigned")).await;
    let (_, text) = server.get(&format!("/v1/cases/{a}/photos"), &cm).await;
    assert_eq!(
        json(&text).as_array().unwrap().len(),
        2,
        "the case manager sees both photos"
    );
    let res = server
        .http
        .get(format!("{}/v1/photos/{}", server.base, w.photo_private))
        .bearer_auth(&cm)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        [super::harness::PNG, b"private"].concat().as_slice()
    );

    let (_, text) = server.get(&format!("/v1/cases/{a}/contacts"), &cm).await;
    let contacts = json(&text);
    assert_eq!(
        contacts.as_array().unwrap().len(),
        2,
        "the case manager sees both contacts, flag included"
    );
    assert!(contacts
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "Dale Okafor" && c["do_not_disclose"] == true));
    let (_, text) = server
        .get(&format!("/v1/cases/{a}/update-recipients"), &cm)
        .await;
    let names: Vec<String> = json(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["Rosa Okafor"],
        "a do-not-disclose contact is never told of updates"
    );
    assert!(
        !text.contains("918) 555-0199"),
        "nothing of the do-not-disclose contact: {text}"
    );

    // Every read above was audited with the case and the device it went to.
    let actions = super::harness::audit_actions(&db).await;
    for action in [
        "photos_listed",
        "photo_downloaded",
        "contacts_read",
        "recipients_read",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not audited in {actions:?}"
        );
    }
}
