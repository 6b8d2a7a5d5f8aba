//! Migration 0002 on a database that already holds cases from before sync: every case, contact,
//! photo and note gets its sync state (contacts in the app's form), every case its first status
//! event, and a device then pulls them whole and edits them without a false conflict.

use super::harness::{add_person, json, sample_fields, state_for, TestDb, TestServer};
use super::sync_kit::*;
use porchlight_server::cases;
use porchlight_server::db::MIGRATIONS;
use porchlight_server::people::{self, Role};
use porchlight_server::sync::record::{legacy_stamp, Record};
use porchlight_sync::fields::flatten;
use porchlight_sync::{Change, Entity};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[tokio::test]
async fn cases_from_before_sync_get_their_stamps_and_reach_devices_whole() {
    let Some(db) = TestDb::unmigrated().await else {
        return;
    };
    let c = db.owner.get().await.unwrap();
    let first = &MIGRATIONS[0];
    c.batch_execute(
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum bytea NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await
    .unwrap();
    c.batch_execute(first.sql).await.unwrap();
    c.execute(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES (1, 'central', $1)",
        &[&Sha256::digest(first.sql.as_bytes()).to_vec()],
    )
    .await
    .unwrap();

    // What the service held before sync, written as its first version wrote it.
    let at = super::harness::now();
    let office = people::add_office(&c, "Tulsa", "Oklahoma", at)
        .await
        .unwrap()
        .id;
    let cm = add_person(&db, "cm.before", Role::CaseManager, Some(office)).await;
    let id = Uuid::now_v7();
    let form = serde_json::to_value(cases::validate(&sample_fields("Maya"), at).unwrap()).unwrap();
    c.execute(
        "INSERT INTO cases (id, case_number, office_id, status, fields, version, created_by, created_at, updated_at)
         VALUES ($1, 'PL-2601-7KQ4-XM2D', $2, 'active', $3, 4, $4, $5, $5)",
        &[&id, &office, &form, &cm.id, &at],
    )
    .await
    .unwrap();
    c.execute("INSERT INTO case_access (case_id, user_id, kind, granted_at) VALUES ($1, $2, 'assigned', $3)", &[&id, &cm.id, &at])
        .await
        .unwrap();
    let (mother, aunt) = (Uuid::now_v7(), Uuid::now_v7());
    for (contact, fields) in [
        (
            mother,
            json!({"name": "Rosa Okafor", "relationship": "mother", "primary": true, "phone": "(918) 555-0142",
                        "email": "", "address": "", "language": "Spanish", "best_time": "evenings", "notes": "", "do_not_disclose": false}),
        ),
        (
            aunt,
            json!({"name": "June Okafor", "relationship": "aunt", "primary": false, "phone": "",
                      "email": "june@example.org", "address": "", "language": "", "best_time": "", "notes": "", "do_not_disclose": true}),
        ),
    ] {
        c.execute(
            "INSERT INTO contacts (id, case_id, fields, do_not_disclose, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&contact, &id, &fields, &fields["do_not_disclose"].as_bool().unwrap(), &cm.id, &at],
        )
        .await
        .unwrap();
    }
    let (n1, n2) = (Uuid::now_v7(), Uuid::now_v7());
    c.execute("INSERT INTO notes (id, case_id, author_id, category, body, created_at) VALUES ($1, $2, $3, 'lead', 'Seen at the mall.', $4)", &[&n1, &id, &cm.id, &at])
        .await
        .unwrap();
    c.execute(
        "INSERT INTO notes (id, case_id, author_id, category, body, supersedes, created_at) VALUES ($1, $2, $3, 'lead', 'Seen at the mall at 4.', $4, $5)",
        &[&n2, &id, &cm.id, &n1, &at],
    )
    .await
    .unwrap();
    let png = [super::harness::PNG, b"before"].concat();
    let sha = Sha256::digest(&png).to_vec();
    c.execute(
        "INSERT INTO blobs (sha256, content, size, created_at) VALUES ($1, $2, $3, $4)",
        &[&sha, &png, &(png.len() as i32), &at],
    )
    .await
    .unwrap();
    let photo = Uuid::now_v7();
    c.execute(
        "INSERT INTO photos (id, case_id, sha256, content_type, kind, taken_on, consent_to_publish, created_by, created_at)
         VALUES ($1, $2, $3, 'image/png', 'photo', '2025-06-01', true, $4, $5)",
        &[&photo, &id, &sha, &cm.id, &at],
    )
    .await
    .unwrap();

    db.migrate().await;

    let state: String = c
        .query_one("SELECT sync_state FROM cases WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    let record = Record::from_text(&state).unwrap();
    let mut expected = flatten(&form);
    expected.insert("case_number".into(), json!("PL-2601-7KQ4-XM2D"));
    expected.insert("archived".into(), json!(false));
    assert_eq!(
        record.leaves(),
        porchlight_server::sync::schema::leaves(&expected),
        "every field of the form, flattened as the app flattens it"
    );
    assert!(
        record.fields.values().all(|(_, s)| *s == legacy_stamp(at)),
        "stamped with the time it was written"
    );
    assert_eq!(super::harness::TestDb::count(&db, "status_events").await, 1);
    let versions: Vec<(Uuid, i32)> = c
        .query("SELECT note_id, version FROM notes ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        versions,
        [(n1, 1), (n1, 2)],
        "a superseding note is version 2 of the same note"
    );

    let server = TestServer::start(state_for(&db)).await;
    let mut dev = Device::enrol(&server, &cm).await;
    let (pages, text) = pull_all(&server, &mut dev).await;
    assert_eq!(
        value_in(&pages, id, "child.given_name"),
        Some(json!("Maya"))
    );
    assert_eq!(
        value_in(&pages, mother, "phones"),
        Some(json!(["(918) 555-0142"]))
    );
    assert_eq!(
        value_in(&pages, mother, "preferred_language"),
        Some(json!("Spanish"))
    );
    assert_eq!(value_in(&pages, aunt, "relationship"), Some(json!("other")));
    assert_eq!(
        value_in(&pages, aunt, "relationship_detail"),
        Some(json!("aunt"))
    );
    assert_eq!(value_in(&pages, aunt, "removed_reason"), Some(Value::Null));
    assert_eq!(
        value_in(&pages, photo, "taken_on"),
        Some(json!("2025-06-01"))
    );
    let notes: Vec<&porchlight_sync::AppendedRecord> = pages
        .iter()
        .flat_map(|p| &p.changes)
        .filter_map(|c| match c {
            Change::Appended(a) if a.entity == Entity::Note => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(notes.len(), 2);
    assert!(notes
        .iter()
        .all(|n| n.record["note_id"] == n1.to_string() && n.record["category"] == "lead_tip"));
    let first_event = pages.iter().flat_map(|p| &p.changes).find_map(|c| match c {
        Change::Appended(a) if a.entity == Entity::StatusEvent => Some(a.record.clone()),
        _ => None,
    });
    assert_eq!(
        first_event.expect("the case's first status event")["to"],
        "active"
    );
    assert!(text.contains("Seen at the mall at 4."));
    let (_, body) = server
        .get(&format!("/v1/cases/{id}/contacts"), &dev.token)
        .await;
    assert_eq!(
        json(&body).as_array().unwrap().len(),
        2,
        "the contacts read back through the case endpoints: {body}"
    );

    // An edit made on the device after that first sync is no conflict.
    let seen = stamp_in(&pages, id, "event.city").unwrap();
    let r = push_ok(
        &server,
        &dev,
        &[set(
            &dev,
            id,
            Entity::Case,
            id,
            &[("event.city", json!("Jenks"), Some(seen))],
        )],
    )
    .await;
    assert!(r.results[0].conflicts.is_empty());
}
