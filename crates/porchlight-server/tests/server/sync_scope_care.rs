//! Keeping each device's scope true beyond assignment and sharing: a device never pulls back the
//! cases it created (yet hears of everyone else's later changes to them, and loses them when they
//! are reassigned), a photo whose consent is withdrawn leaves the devices of roles that see
//! consented photos only (and its bytes are refused to them), a role change re-scopes every
//! device of the person, and the housekeeping sweep deletes only what nobody needs. Checked on
//! the raw text of the pages where it matters. Every child here is invented.

use super::harness::{json, sample_fields, state_for, world, TestServer, MARK};
use super::sync_kit::*;
use crate::test_db;
use chrono::{Duration, Utc};
use porchlight_server::sync::sweep::{self, Swept};
use porchlight_sync::{Change, Cursor, Entity, Outcome, RejectCode};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

/// Whether any change of the pages is about `record`, or any snapshot about `case`.
fn mentions_case(pages: &[porchlight_sync::PullPage], case: Uuid) -> bool {
    pages
        .iter()
        .flat_map(|p| &p.changes)
        .any(|c| c.case_id() == case)
}

fn record_sent(pages: &[porchlight_sync::PullPage], record: Uuid) -> bool {
    pages.iter().flat_map(|p| &p.changes).any(|c| match c {
        Change::Record(r) => r.record_id == record,
        Change::Appended(a) => a.record_id == record,
        Change::Conflict(k) => k.record_id == record,
    })
}

#[tokio::test]
async fn a_device_never_pulls_back_the_cases_it_created_but_hears_of_later_changes_to_them() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    // A laptop that has never pulled pushes the cases it made offline first, as the app does.
    let mut laptop = Device::enrol(&server, w.person("cm_assigned")).await;
    let (made, kept) = (Uuid::now_v7(), Uuid::now_v7());
    let (mut ops, _) = new_case(&laptop, made, &sample_fields("Nia"));
    ops.extend(new_case(&laptop, kept, &sample_fields("Tess")).0);
    push_ok(&server, &laptop, &ops).await;
    let (pages, text) = pull_all(&server, &mut laptop).await;
    assert!(
        !mentions_case(&pages, made) && !mentions_case(&pages, kept),
        "the cases it created come back: {text}"
    );
    assert!(!text.contains(&made.to_string()), "not even by id: {text}");
    assert!(
        mentions_case(&pages, w.case_a) && mentions_case(&pages, w.case_b),
        "the cases others made still come whole"
    );
    let quiet = laptop.cursor;
    let (page, _) = pull(&server, &laptop, quiet, 5000).await;
    assert!(page.changes.is_empty() && page.removed_cases.is_empty());

    // A supervisor's device edits one of them: that change reaches the laptop, once.
    let sup_dev = Device::enrol(&server, w.person("supervisor")).await;
    let edit = set(
        &sup_dev,
        made,
        Entity::Case,
        made,
        &[("event.county", json!("Rogers"), None)],
    );
    push_ok(&server, &sup_dev, &[edit]).await;
    let before_edit = laptop.cursor;
    let (pages, _) = pull_all(&server, &mut laptop).await;
    assert_eq!(
        value_in(&pages, made, "event.county"),
        Some(json!("Rogers"))
    );
    let whole = pages
        .iter()
        .flat_map(|p| &p.changes)
        .filter(|c| matches!(c, Change::Record(r) if r.record_id == made))
        .count();
    assert_eq!(whole, 1, "the edit alone, not the case again");
    // That page was lost: asked again from the cursor before it, the edit comes again, and the
    // case the laptop made is still not sent back (the epoch rule never undoes what it created).
    let (again, _) = pull(&server, &laptop, before_edit, 5000).await;
    assert_eq!(
        value_in(std::slice::from_ref(&again), made, "event.county"),
        Some(json!("Rogers"))
    );
    assert!(!mentions_case(std::slice::from_ref(&again), kept));
    laptop.cursor = again.cursor;

    // Reassigned to another case manager, the case leaves the laptop that created it.
    let sup = server.login(w.person("supervisor")).await;
    let (status, text) = server
        .call(
            Method::POST,
            &format!("/v1/cases/{made}/assign"),
            Some(&sup),
            Some(json!({ "user_id": w.person("cm_other").id })),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let before_removal = laptop.cursor;
    let (page, _) = pull(&server, &laptop, before_removal, 5000).await;
    assert_eq!(page.removed_cases, [made]);
    let (again, _) = pull(&server, &laptop, before_removal, 5000).await;
    assert_eq!(again.removed_cases, [made], "a lost removal is sent again");
    laptop.cursor = again.cursor;
    let (pages, _) = pull_all(&server, &mut laptop).await;
    assert!(pages.iter().all(|p| p.removed_cases.is_empty()));
    assert!(
        !mentions_case(&pages, kept),
        "the other case it made stays quiet"
    );

    // The new assignee gets the reassigned case whole, as any case new to a device.
    let mut other = Device::enrol(&server, w.person("cm_other")).await;
    let (pages, _) = pull_all(&server, &mut other).await;
    assert_eq!(
        value_in(&pages, made, "child.given_name"),
        Some(json!("Nia"))
    );
}

#[tokio::test]
async fn a_withdrawn_consent_takes_the_photo_off_poster_staff_devices_and_refuses_its_bytes() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut manager = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut shared = Device::enrol(&server, w.person("cm_shared")).await;
    let mut poster = Device::enrol(&server, w.person("poster")).await;
    let photo = w.photo_public;
    let (pages, _) = pull_all(&server, &mut poster).await;
    assert!(
        record_sent(&pages, photo),
        "poster staff get the consented photo"
    );
    let sha = value_in(&pages, photo, "sha256")
        .and_then(|v| v.as_str().map(str::to_owned))
        .expect("the photo record names its bytes");
    let blob = format!("/v1/blobs/{sha}");
    let (status, _, _) = call(&server, Method::GET, &blob, &poster.token, None).await;
    assert_eq!(status, 200, "its bytes may be downloaded while consented");
    pull_all(&server, &mut shared).await;

    let (pages, _) = pull_all(&server, &mut manager).await;
    let base = stamp_in(&pages, photo, "consent_to_publish");
    assert!(base.is_some());
    let withdraw = set(
        &manager,
        w.case_a,
        Entity::Photo,
        photo,
        &[("consent_to_publish", json!(false), base)],
    );
    push_ok(&server, &manager, &[withdraw]).await;

    let before = poster.cursor;
    let (page, text) = pull(&server, &poster, before, 5000).await;
    assert_eq!(page.removed_photos, [photo], "{text}");
    assert!(
        !record_sent(std::slice::from_ref(&page), photo),
        "no record of it is sent: {text}"
    );
    assert!(
        !text.contains(&sha),
        "its bytes are not named again: {text}"
    );
    assert!(page.removed_cases.is_empty(), "the case stays");
    // Lost and asked for again, the removal comes again; after it, nothing more.
    let (again, _) = pull(&server, &poster, before, 5000).await;
    assert_eq!(again.removed_photos, [photo]);
    poster.cursor = again.cursor;
    let (pages, _) = pull_all(&server, &mut poster).await;
    assert!(pages
        .iter()
        .all(|p| p.removed_photos.is_empty() && p.changes.is_empty()));
    let (status, _, _) = call(&server, Method::GET, &blob, &poster.token, None).await;
    assert_eq!(status, 404, "its bytes are refused to poster staff now");
    let (status, _, _) = call(&server, Method::HEAD, &blob, &poster.token, None).await;
    assert_eq!(status, 404);

    // A role that sees every photo keeps it, with consent withdrawn, and never gets a removal.
    let (pages, text) = pull_all(&server, &mut shared).await;
    assert!(pages.iter().all(|p| p.removed_photos.is_empty()), "{text}");
    assert!(!text.contains("removed_photos"));
    assert_eq!(
        value_in(&pages, photo, "consent_to_publish"),
        Some(json!(false))
    );
    let (status, _, _) = call(&server, Method::GET, &blob, &shared.token, None).await;
    assert_eq!(status, 200);

    // Consent given again: the photo comes back to poster staff whole.
    let (pages, _) = pull_all(&server, &mut manager).await;
    let base = stamp_in(&pages, photo, "consent_to_publish");
    let give = set(
        &manager,
        w.case_a,
        Entity::Photo,
        photo,
        &[("consent_to_publish", json!(true), base)],
    );
    push_ok(&server, &manager, &[give]).await;
    let (pages, _) = pull_all(&server, &mut poster).await;
    assert_eq!(value_in(&pages, photo, "sha256"), Some(json!(sha)));
    assert!(pages.iter().all(|p| p.removed_photos.is_empty()));
}

#[tokio::test]
async fn a_role_change_takes_back_what_the_new_role_may_not_see_from_every_device() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let person = w.person("cm_shared");
    let mut laptop = Device::enrol(&server, person).await;
    let (pages, text) = pull_all(&server, &mut laptop).await;
    assert!(mentions_case(&pages, w.case_a));
    assert!(
        text.contains(MARK)
            && text.contains("\"entity\":\"contact\"")
            && text.contains("\"entity\":\"note\""),
        "a case manager holds contacts, notes and confidential fields"
    );
    // An edit made before the change, still waiting on the laptop.
    let waiting = set(
        &laptop,
        w.case_a,
        Entity::Case,
        w.case_a,
        &[("event.county", json!("Cleveland"), None)],
    );

    let admin = server.login(w.person("admin")).await;
    let path = format!("/v1/users/{}/role", person.id);
    let (status, text) = server
        .call(
            Method::POST,
            &path,
            Some(&admin),
            Some(json!({ "role": "volunteer" })),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(json(&text)["user"]["role"], "volunteer");

    // The app pushes before it pulls: the waiting edit is answered under the new role.
    let answer = push(&server, &laptop, &[waiting]).await;
    assert!(
        matches!(
            &answer.results[0].outcome,
            Outcome::Rejected {
                code: RejectCode::NotAllowed,
                ..
            }
        ),
        "{:?}",
        answer.results[0]
    );
    let before = laptop.cursor;
    let (page, _) = pull(&server, &laptop, before, 5000).await;
    assert_eq!(page.removed_cases, [w.case_a], "every case held leaves");
    assert!(page.changes.is_empty() && page.has_more);
    // Lost, the removal is sent again.
    let (again, _) = pull(&server, &laptop, before, 5000).await;
    assert_eq!(again.removed_cases, [w.case_a]);
    laptop.cursor = again.cursor;
    let (pages, text) = pull_all(&server, &mut laptop).await;
    assert_eq!(
        value_in(&pages, w.case_a, "child.given_name"),
        Some(json!("Maya")),
        "the case a volunteer of the region may see comes back whole"
    );
    for word in [
        MARK,
        "\"entity\":\"contact\"",
        "\"entity\":\"note\"",
        "\"entity\":\"photo\"",
        "care_agency",
        "medical_cautions",
        "Okafor\",\"relationship",
    ] {
        assert!(
            !text.contains(word),
            "the volunteer's device received {word}: {text}"
        );
    }
    // A cursor shows that the removal reached the device, not that it was kept (the device asks
    // for the next page while it writes one), so the page that brings the case back names it
    // among the removed cases first, and nothing else.
    assert!(pages.iter().any(
        |p| p.removed_cases == [w.case_a] && p.changes.iter().any(|c| c.case_id() == w.case_a)
    ));
    assert!(pages
        .iter()
        .all(|p| p.removed_cases.is_empty() || p.removed_cases == [w.case_a]));
    let (page, _) = pull(&server, &laptop, laptop.cursor, 5000).await;
    assert!(page.changes.is_empty() && page.removed_cases.is_empty() && !page.has_more);

    // A device enrolled after the change holds the volunteer's view from the start.
    let mut phone = Device::enrol(&server, person).await;
    let (_, text) = pull_all(&server, &mut phone).await;
    assert!(!text.contains(MARK) && !text.contains("\"entity\":\"contact\""));

    // A role that works for an office needs one: poster staff have none.
    let (status, text) = server
        .call(
            Method::POST,
            &format!("/v1/users/{}/role", w.person("poster").id),
            Some(&admin),
            Some(json!({ "role": "case_manager" })),
        )
        .await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("office"), "{text}");
    // Only those who manage people may change a role.
    let manager = server.login(w.person("cm_assigned")).await;
    let (status, _) = server
        .call(
            Method::POST,
            &path,
            Some(&manager),
            Some(json!({ "role": "case_manager" })),
        )
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_sweep_deletes_week_old_uploads_and_scope_marks_every_device_has_passed() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut laptop = Device::enrol(&server, w.person("cm_assigned")).await;
    let phone = Device::enrol(&server, w.person("cm_other")).await;
    pull_all(&server, &mut laptop).await;
    let owner = db.owner.get().await.unwrap();
    let now = Utc::now();
    let (old_sha, new_sha) = (vec![7u8; 32], vec![9u8; 32]);
    for (sha, device, offset, at) in [
        (&old_sha, laptop.id, 0i64, now - Duration::days(9)),
        (&old_sha, laptop.id, 4, now - Duration::days(8)),
        // Another device's upload of the same bytes, still going.
        (&old_sha, phone.id, 0, now - Duration::days(8)),
        (&old_sha, phone.id, 4, now - Duration::days(1)),
        (&new_sha, laptop.id, 0, now - Duration::hours(3)),
    ] {
        owner
            .execute(
                "INSERT INTO blob_chunks (sha256, device_id, \"offset\", content, at) VALUES ($1, $2, $3, $4, $5)",
                &[sha, &device, &offset, &vec![1u8; 4], &at],
            )
            .await
            .unwrap();
    }
    // Marks: the laptop checked its cases against the newest so far; the phone never pulled.
    let checked: i64 = owner
        .query_one(
            "SELECT scope_seq FROM sync_devices WHERE device_id = $1",
            &[&laptop.id],
        )
        .await
        .unwrap()
        .get(0);
    let marks_before: i64 = owner
        .query_one("SELECT count(*) FROM scope_marks", &[])
        .await
        .unwrap()
        .get(0);
    assert!(marks_before > 1);
    // A scope change after the laptop's check: the laptop still needs this mark.
    let sup = server.login(w.person("supervisor")).await;
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/v1/cases/{}/assign", w.case_b),
            Some(&sup),
            Some(json!({ "user_id": w.person("cm_other").id })),
        )
        .await;
    assert_eq!(status, 200);

    let service = db.service.get().await.unwrap();
    let swept = sweep::sweep(&service, now).await.unwrap();
    assert_eq!(swept.uploads, 1, "only the laptop's week-old upload");
    let left: Vec<(Vec<u8>, Uuid)> = owner
        .query(
            "SELECT DISTINCT sha256, device_id FROM blob_chunks ORDER BY 2, 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(!left.contains(&(old_sha.clone(), laptop.id)));
    let marks: Vec<i64> = owner
        .query("SELECT seq FROM scope_marks ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(swept.marks > 0);
    assert!(
        marks.iter().all(|m| *m > checked),
        "every mark the laptop passed is gone: {marks:?} (checked {checked})"
    );
    assert!(!marks.is_empty(), "the mark after its check stays");

    // The laptop still sees the reassignment the remaining mark stands for.
    let (page, _) = pull(&server, &laptop, laptop.cursor, 5000).await;
    assert_eq!(page.removed_cases, [w.case_b]);
    laptop.cursor = page.cursor;
    // Swept again at once, nothing more goes; the newest mark always stays.
    let again = sweep::sweep(&service, now).await.unwrap();
    assert_eq!(again.uploads, 0);
    let count: i64 = owner
        .query_one("SELECT count(*) FROM scope_marks", &[])
        .await
        .unwrap()
        .get(0);
    assert!(count >= 1);
    assert_eq!(
        sweep::sweep(&service, now).await.unwrap(),
        Swept {
            uploads: 0,
            marks: 0
        }
    );
    // Cursor::START pulls on a new device still work after the sweep.
    let mut fresh = Device::enrol(&server, w.person("cm_assigned")).await;
    assert_eq!(fresh.cursor, Cursor::START);
    let (pages, _) = pull_all(&server, &mut fresh).await;
    assert!(mentions_case(&pages, w.case_a));
}
