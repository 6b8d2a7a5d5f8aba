//! Pulling within scope: a device holds exactly the cases its user may see, a reassignment or a
//! share moves whole cases in and out, a page that never reached the device is undone and sent
//! again, and narrow roles receive no contact, note, confidential field or unconsented photo
//! (checked on the raw text of every page). Also the protocol check, compression both ways, and
//! the remote-wipe order on every sync call.

use super::harness::{json, sample_fields, state_for, world, TestDb, TestServer, World, MARK};
use super::sync_kit::*;
use crate::test_db;
use porchlight_domain::CaseFields;
use porchlight_sync::columns::COLUMNS_MEDIA_TYPE;
use porchlight_sync::fields::flatten;
use porchlight_sync::{Change, Cursor, Entity, PullPage, VersionMismatch, WholeCases, PROTOCOL_HEADER};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

fn ids(list: &[Uuid]) -> BTreeSet<Uuid> {
    list.iter().copied().collect()
}

/// The cases whose case record a set of pages carried whole.
fn whole_cases(pages: &[PullPage]) -> BTreeSet<Uuid> {
    let every_field = flatten(&serde_json::to_value(CaseFields::default()).unwrap()).len() + 2;
    pages
        .iter()
        .flat_map(|p| &p.changes)
        .filter_map(|c| match c {
            Change::Record(r) if r.entity == Entity::Case && r.fields.len() == every_field => {
                Some(r.case_id)
            }
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_device_holds_exactly_its_users_cases_and_reassignment_moves_them_whole() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut assigned = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut other = Device::enrol(&server, w.person("cm_other")).await;
    let mut shared = Device::enrol(&server, w.person("cm_shared")).await;
    let (pages, text) = pull_all(&server, &mut assigned).await;
    assert_eq!(
        whole_cases(&pages),
        ids(&[w.case_a, w.case_b]),
        "assigned and shared cases, whole"
    );
    assert_eq!(
        ids(&case_ids(&pages)),
        ids(&[w.case_a, w.case_b]),
        "nothing else"
    );
    assert!(
        text.contains(MARK),
        "a case manager sees the confidential fields of their cases"
    );
    let (pages, _) = pull_all(&server, &mut other).await;
    assert!(case_ids(&pages).is_empty(), "no case of theirs yet");
    let (pages, _) = pull_all(&server, &mut shared).await;
    assert_eq!(whole_cases(&pages), ids(&[w.case_a]));

    // The supervisor gives case B to the other case manager.
    let sup = server.login(w.person("supervisor")).await;
    let b = w.case_b;
    let (status, text) = server
        .call(
            Method::POST,
            &format!("/v1/cases/{b}/assign"),
            Some(&sup),
            Some(json!({ "user_id": w.person("cm_other").id })),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let before_removal = assigned.cursor;
    let (page, _) = pull(&server, &assigned, assigned.cursor, 5000).await;
    assert_eq!(
        page.removed_cases,
        [b],
        "the case leaves the previous assignee's device"
    );
    assert!(page.changes.iter().all(|c| c.case_id() != b));
    assert!(page.cursor.epoch > before_removal.epoch);
    // That page was lost (the laptop crashed before saving it): asked again, it comes again.
    let (again, _) = pull(&server, &assigned, before_removal, 5000).await;
    assert_eq!(again.removed_cases, [b]);
    assigned.cursor = again.cursor;
    let (page, _) = pull(&server, &assigned, assigned.cursor, 5000).await;
    assert!(
        page.removed_cases.is_empty() && page.changes.is_empty(),
        "then nothing more"
    );

    let before_gain = other.cursor;
    let (pages, _) = pull_all(&server, &mut other).await;
    assert_eq!(
        whole_cases(&pages),
        ids(&[b]),
        "the new assignee gets the whole case"
    );
    assert!(pages.iter().flat_map(|p| &p.changes).any(
        |c| matches!(c, Change::Appended(a) if a.case_id == b && a.entity == Entity::StatusEvent)
    ));
    // The page with the snapshot was lost: the snapshot is sent again.
    let (again, _) = pull(&server, &other, before_gain, 5000).await;
    assert_eq!(whole_cases(std::slice::from_ref(&again)), ids(&[b]));
    other.cursor = again.cursor;

    // Changes to a case follow it only while it is in scope.
    let dev_sup = Device::enrol(&server, w.person("supervisor")).await;
    let op = set(
        &dev_sup,
        b,
        Entity::Case,
        b,
        &[("event.county", json!("Rogers"), None)],
    );
    push_ok(&server, &dev_sup, &[op]).await;
    let (pages, _) = pull_all(&server, &mut other).await;
    assert_eq!(value_in(&pages, b, "event.county"), Some(json!("Rogers")));
    let (pages, _) = pull_all(&server, &mut assigned).await;
    assert!(
        case_ids(&pages).is_empty(),
        "the previous assignee hears nothing of it"
    );

    // Sharing brings a case in; unsharing takes it out again.
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/v1/cases/{}/shares", w.case_a),
            Some(&sup),
            Some(json!({ "user_id": w.person("cm_other").id })),
        )
        .await;
    assert_eq!(status, 204);
    let (pages, _) = pull_all(&server, &mut other).await;
    assert_eq!(whole_cases(&pages), ids(&[w.case_a]));
    let (status, _) = server
        .call(
            Method::DELETE,
            &format!("/v1/cases/{}/shares/{}", w.case_a, w.person("cm_other").id),
            Some(&sup),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (pages, _) = pull_all(&server, &mut other).await;
    assert_eq!(pages[0].removed_cases, [w.case_a]);
}

#[tokio::test]
async fn snapshots_come_a_bounded_number_per_page_and_a_lost_page_is_sent_again() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let (first, _) = pull(&server, &dev, Cursor::START, 1).await;
    assert!(first.has_more, "one case per page when asked for one");
    assert_eq!(whole_cases(std::slice::from_ref(&first)).len(), 1);
    let (second, _) = pull(&server, &dev, first.cursor, 1).await;
    let (lost_and_asked_again, _) = pull(&server, &dev, first.cursor, 1).await;
    assert_eq!(
        whole_cases(std::slice::from_ref(&second)),
        whole_cases(std::slice::from_ref(&lost_and_asked_again))
    );
    let mut cursor = lost_and_asked_again.cursor;
    let mut seen = whole_cases(&[first, lost_and_asked_again]);
    loop {
        let (page, _) = pull(&server, &dev, cursor, 1).await;
        seen.extend(whole_cases(std::slice::from_ref(&page)));
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, ids(&[w.case_a, w.case_b]));
    let (page, _) = pull(&server, &dev, cursor, 1).await;
    assert!(page.changes.is_empty() && !page.has_more);
    let (status, text) = pull_raw(&server, &dev, cursor, 0).await;
    assert_eq!(status, 422, "{text}");
}

#[tokio::test]
async fn narrow_roles_receive_no_contact_note_confidential_field_or_unconsented_photo() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let manager = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut volunteer = Device::enrol(&server, w.person("vol_here")).await;
    let mut away = Device::enrol(&server, w.person("vol_away")).await;
    let mut poster = Device::enrol(&server, w.person("poster")).await;
    let mut admin = Device::enrol(&server, w.person("admin")).await;

    // Later changes travel through the log: confidential ones must not reach them either.
    let a = w.case_a;
    let contact = Uuid::now_v7();
    let note = Uuid::now_v7();
    let ops = vec![
        set(
            &manager,
            a,
            Entity::Case,
            a,
            &[("care_agency", json!(format!("{MARK}new agency")), None)],
        ),
        set(
            &manager,
            a,
            Entity::Case,
            a,
            &[
                (
                    "description.medical_cautions",
                    json!(format!("{MARK}new caution")),
                    None,
                ),
                ("event.county", json!("Tulsa"), None),
            ],
        ),
        set(
            &manager,
            a,
            Entity::Contact,
            contact,
            &contact_writes("Aunt May", &format!("{MARK}new contact")),
        ),
        append(
            &manager,
            a,
            Entity::Note,
            note,
            note_record(note, 1, "internal", &format!("{MARK}new note")),
            None,
        ),
        append(
            &manager,
            a,
            Entity::StatusEvent,
            Uuid::now_v7(),
            json!({"from": "active", "to": "located_alive", "reason": format!("{MARK}placed in foster care"), "outcome": null, "actor": "Test", "at": chrono::Utc::now()}),
            None,
        ),
        set(
            &manager,
            a,
            Entity::Photo,
            w.photo_private,
            &[("source", json!(format!("{MARK}family album")), None)],
        ),
    ];
    // First the narrow roles take their snapshots, then the changes come through the log.
    let (vol_first, vol_text) = pull_all(&server, &mut volunteer).await;
    let (poster_first, poster_text) = pull_all(&server, &mut poster).await;
    push_ok(&server, &manager, &ops).await;
    let (vol_later, vol_later_text) = pull_all(&server, &mut volunteer).await;
    let (poster_later, poster_later_text) = pull_all(&server, &mut poster).await;

    for (who, text) in [
        ("volunteer", &vol_text),
        ("volunteer later", &vol_later_text),
        ("poster staff", &poster_text),
        ("poster staff later", &poster_later_text),
    ] {
        assert!(
            !text.contains(MARK),
            "{who} received something confidential: {text}"
        );
        for word in [
            "care_agency",
            "medical_cautions",
            "missing_from_care",
            "\"entity\":\"contact\"",
            "\"entity\":\"note\"",
            "Okafor\",\"relationship",
            "Aunt May",
            "possible_destinations",
            "event.address",
        ] {
            assert!(!text.contains(word), "{who} received {word}");
        }
    }
    assert_eq!(
        ids(&case_ids(&vol_first)),
        ids(&[a]),
        "a volunteer sees the active cases of their region"
    );
    assert_eq!(
        ids(&case_ids(&poster_first)),
        ids(&[a, w.case_c]),
        "poster staff see every active case"
    );
    // Located, the case is no longer active: it leaves both devices (its reason never reached them).
    assert_eq!(vol_later[0].removed_cases, [a]);
    assert_eq!(poster_later[0].removed_cases, [a]);
    assert!(
        !vol_text.contains("\"entity\":\"photo\""),
        "volunteers get no photos"
    );
    assert!(
        poster_text.contains(&w.photo_public.to_string()),
        "poster staff get the consented photo"
    );
    assert!(
        !poster_text.contains(&w.photo_private.to_string())
            && !poster_later_text.contains(&w.photo_private.to_string()),
        "never the unconsented one"
    );
    // The case manager's device gets all of it.
    let mut manager = manager;
    let (_, text) = pull_all(&server, &mut manager).await;
    for secret in [
        "new agency",
        "new caution",
        "new contact",
        "new note",
        "placed in foster care",
        "family album",
    ] {
        assert!(text.contains(secret), "the case manager misses {secret}");
    }
    let (pages, _) = pull_all(&server, &mut away).await;
    assert_eq!(
        ids(&case_ids(&pages)),
        ids(&[w.case_c]),
        "a volunteer of Texas sees the Texas case alone"
    );
    let (pages, _) = pull_all(&server, &mut admin).await;
    assert!(case_ids(&pages).is_empty(), "admins see no case");
}

#[tokio::test]
async fn a_protocol_the_service_does_not_speak_is_answered_409_with_the_versions_it_does() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    for header in [None, Some("0"), Some("2"), Some("one")] {
        let mut req = server
            .http
            .get(format!("{}/v1/sync/hello", server.base))
            .bearer_auth(&dev.token);
        if let Some(h) = header {
            req = req.header(PROTOCOL_HEADER, h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 409, "{header:?}");
        let body: VersionMismatch = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        assert_eq!((body.min_protocol, body.max_protocol), (1, 1));
        assert!(body.message.contains("1 to 1"), "{}", body.message);
    }
    let (status, _, text) = call(&server, Method::GET, "/v1/sync/hello", &dev.token, None).await;
    assert_eq!(status, 200, "{text}");
    let hello: porchlight_sync::Hello = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (
            hello.device_id,
            hello.role.as_str(),
            hello.display_name.as_str()
        ),
        (dev.id, "case_manager", "Test cm.assigned")
    );
    assert!((hello.server_time - chrono::Utc::now()).num_seconds().abs() < 5);
}

#[tokio::test]
async fn sync_answers_are_compressed_as_asked_and_compressed_pushes_are_read() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    // A client that leaves the bytes as they came.
    let plain = reqwest::Client::builder()
        .no_zstd()
        .no_gzip()
        .build()
        .unwrap();
    for (encoding, decode) in [("zstd", 0), ("gzip", 1)] {
        let res = plain
            .get(format!("{}/v1/sync/pull?cursor=0.0&limit=10", server.base))
            .bearer_auth(&dev.token)
            .header(PROTOCOL_HEADER, "1")
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-encoding"], encoding);
        let packed = res.bytes().await.unwrap();
        let text = if decode == 0 {
            zstd::decode_all(packed.as_ref()).unwrap()
        } else {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(packed.as_ref())
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        let page: PullPage = serde_json::from_slice(&text).unwrap();
        assert!(!page.changes.is_empty());
        assert!(
            packed.len() * 2 < text.len(),
            "{encoding} makes the page smaller"
        );
    }
    // A push compressed with zstd (as every push of these tests is) is read; a corrupt one is refused.
    let (ops, _) = new_case(&dev, Uuid::now_v7(), &sample_fields("Ivy"));
    push_ok(&server, &dev, &ops).await;
    let res = plain
        .post(format!("{}/v1/sync/push", server.base))
        .bearer_auth(&dev.token)
        .header(PROTOCOL_HEADER, "1")
        .header("content-type", "application/json")
        .header("content-encoding", "zstd")
        .body(b"not zstd at all".to_vec())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
}

#[tokio::test]
async fn a_device_flagged_for_wipe_gets_410_on_every_sync_call() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let c = db.owner.get().await.unwrap();
    porchlight_server::devices::request_wipe(&c, dev.id, super::harness::now())
        .await
        .unwrap();
    let sha = "ab".repeat(32);
    for (method, path) in [
        (Method::GET, "/v1/sync/hello".to_owned()),
        (Method::GET, "/v1/sync/pull?cursor=0.0".to_owned()),
        (Method::POST, "/v1/sync/push".to_owned()),
        (Method::GET, format!("/v1/blobs/{sha}")),
        (Method::GET, format!("/v1/blobs/{sha}/upload")),
    ] {
        let body = (method == Method::POST).then(|| b"{\"ops\":[]}".to_vec());
        let (status, _, text) = call(&server, method, &path, &dev.token, body).await;
        assert_eq!(status, 410, "{path}: {text}");
        assert_eq!(json(&text)["code"], "wipe_requested");
    }
    let (status, _) = server
        .call(Method::POST, "/v1/device/wiped", Some(&dev.token), None)
        .await;
    assert_eq!(status, 204, "the device reports the wipe");
    let (status, _, _) = call(&server, Method::GET, "/v1/sync/hello", &dev.token, None).await;
    assert_eq!(status, 401, "and its token is over");
}

/// The world with ten more cases made by the assigned case manager's device: twelve cases in
/// that manager's scope, for the tests that page through a scan of them.
async fn twelve_cases_in_scope(db: &TestDb) -> (World, TestServer) {
    let w = world(db).await;
    let server = TestServer::start(state_for(db)).await;
    let a = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut ops = Vec::new();
    for i in 0..10 {
        ops.extend(new_case(&a, Uuid::now_v7(), &sample_fields(&format!("Child{}", char::from(b'A' + i)))).0);
    }
    push_ok(&server, &a, &ops).await;
    (w, server)
}

#[tokio::test]
async fn pages_that_send_cases_whole_say_how_many_and_how_many_are_left() {
    let db = test_db!();
    let (w, server) = twelve_cases_in_scope(&db).await;
    let cm = w.person("cm_assigned");
    // Twelve cases in scope, three a page: 9 left, counted on the page that begins the scan;
    // the pages after it say only what they send, and the scan ends with a page of none.
    let b = Device::enrol(&server, cm).await;
    let (first, _) = pull(&server, &b, Cursor::START, 3).await;
    assert_eq!(first.whole, Some(WholeCases { sent: 3, left: Some(9) }));
    let (second, _) = pull(&server, &b, first.cursor, 3).await;
    assert_eq!(second.whole, Some(WholeCases { sent: 3, left: None }));
    // A page lost on the way is made again by a scan that starts over (skipping the cases
    // held), so it is counted again.
    let (again, _) = pull(&server, &b, first.cursor, 3).await;
    assert_eq!(again.whole, Some(WholeCases { sent: 3, left: Some(6) }));
    assert_eq!(whole_cases(std::slice::from_ref(&again)), whole_cases(std::slice::from_ref(&second)));
    let mut cursor = again.cursor;
    let mut seen = vec![first.whole, again.whole];
    let mut received = whole_cases(&[first, again]).len() as u64;
    loop {
        let (page, _) = pull(&server, &b, cursor, 3).await;
        if let Some(whole) = page.whole {
            assert_eq!(whole.sent, whole_cases(std::slice::from_ref(&page)).len() as u64, "{page:?}");
            received += whole.sent;
        }
        seen.push(page.whole);
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    let counts = |sent, left| Some(WholeCases { sent, left });
    assert_eq!(seen, [counts(3, Some(9)), counts(3, Some(6)), counts(3, None), counts(3, None), None]);
    assert_eq!(received, 12);
    // A page that begins a scan lost on the way: the scan begins again, counted again.
    let c = Device::enrol(&server, cm).await;
    let (lost, _) = pull(&server, &c, Cursor::START, 5).await;
    let (again, _) = pull(&server, &c, Cursor::START, 5).await;
    assert_eq!((lost.whole, again.whole), (counts(5, Some(7)), counts(5, Some(7))));
    let (last, _) = pull(&server, &c, again.cursor, 10).await;
    assert_eq!(last.whole, counts(7, Some(0)), "the page that ends the scan leaves none");
    let (quiet, _) = pull(&server, &b, cursor, 3).await;
    assert_eq!(quiet.whole, None, "nothing new, no count");

    // A case shared later comes whole, with none left; a device with nothing to receive whole
    // hears no count.
    let mut other = Device::enrol(&server, w.person("cm_other")).await;
    let (pages, _) = pull_all(&server, &mut other).await;
    assert!(pages.iter().all(|p| p.whole.is_none()), "{pages:?}");
    let sup = server.login(w.person("supervisor")).await;
    let (status, _) = server
        .call(Method::POST, &format!("/v1/cases/{}/shares", w.case_a), Some(&sup), Some(json!({ "user_id": w.person("cm_other").id })))
        .await;
    assert_eq!(status, 204);
    let (shared, _) = pull(&server, &other, other.cursor, 3).await;
    assert_eq!(shared.whole, counts(1, Some(0)));
    assert_eq!(whole_cases(std::slice::from_ref(&shared)), ids(&[w.case_a]));
}

#[tokio::test]
async fn each_page_of_a_scan_may_carry_twice_the_cases_of_the_page_before() {
    use porchlight_server::people::Role;
    use porchlight_server::sync::pull::{pull as make_page, snapshot_cases, Puller};
    use porchlight_sync::{Clock, ReplicaId};
    let most: Vec<usize> = (0..6).map(snapshot_cases).collect();
    assert_eq!(most, [500, 1000, 2000, 2500, 2500, 2500]);
    let db = test_db!();
    let (w, server) = twelve_cases_in_scope(&db).await;
    let cm = w.person("cm_assigned");
    // Twelve cases three a page: what the service counts of the scan, page by page. The pages
    // are made the way a pull request makes them, but without the HTTP layer, which would make
    // the next page ahead and count it while this test reads the count.
    let b = Device::enrol(&server, cm).await;
    let clock = Clock::new(ReplicaId::random(), None, 0);
    let c = db.service.get().await.unwrap();
    let page = |cursor: Cursor| {
        let (c, clock) = (&c, &clock);
        async move {
            let now = chrono::Utc::now();
            let puller = Puller {
                grant: porchlight_server::rules::grant(Role::CaseManager),
                user: cm.id,
                device: b.id,
                address: None,
                now,
                server_stamp: clock.tick(now),
            };
            let made = make_page(c, &puller, cursor, 3).await.unwrap();
            serde_json::from_str::<PullPage>(&made.text).unwrap()
        }
    };
    let pages_made = || async {
        let c = db.owner.get().await.unwrap();
        c.query_one("SELECT scan_pages FROM sync_devices WHERE device_id = $1", &[&b.id]).await.unwrap().get::<_, i32>(0)
    };
    let first = page(Cursor::START).await;
    assert_eq!(pages_made().await, 1);
    page(first.cursor).await;
    assert_eq!(pages_made().await, 2);
    // The second page lost on the way: the scan starts over, and so does its count.
    let again = page(first.cursor).await;
    assert_eq!(pages_made().await, 1);
    let third = page(again.cursor).await;
    assert_eq!(pages_made().await, 2);
    let fourth = page(third.cursor).await;
    assert!(fourth.has_more);
    assert_eq!(pages_made().await, 3);
    let last = page(fourth.cursor).await;
    assert_eq!(whole_cases(&[first, again, third, fourth, last.clone()]).len(), 12);
    assert!(!last.has_more);
    assert_eq!(pages_made().await, 0, "the scan has ended");
}

#[tokio::test]
async fn pages_made_ahead_are_the_pages_asked_for_and_a_lost_page_is_made_again() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = w.person("cm_assigned");
    let a = Device::enrol(&server, cm).await;
    let mut expected = vec![w.case_a, w.case_b];
    let mut ops = Vec::new();
    for i in 0..10 {
        let id = Uuid::now_v7();
        expected.push(id);
        ops.extend(
            new_case(
                &a,
                id,
                &sample_fields(&format!("Child{}", char::from(b'A' + i))),
            )
            .0,
        );
    }
    push_ok(&server, &a, &ops).await;
    let b = Device::enrol(&server, cm).await;
    let audited_before: i64 = count_pulls(&db).await;

    // Two cases a page: while the device "applies" a page the next is being made.
    let (first, _) = pull(&server, &b, Cursor::START, 2).await;
    let (second, _) = pull(&server, &b, first.cursor, 2).await;
    // The device crashed before saving the second page: it asks with the first cursor again,
    // while the third page is being made ahead.
    let (second_again, _) = pull(&server, &b, first.cursor, 2).await;
    assert_eq!(
        whole_cases(std::slice::from_ref(&second)),
        whole_cases(std::slice::from_ref(&second_again))
    );
    let mut held = whole_cases(&[first, second_again.clone()]);
    let mut cursor = second_again.cursor;
    let mut pages = 3;
    // The rest as they travel, to read pages made ahead exactly as sent.
    loop {
        let res = pull_as_sent(&server, &b, cursor, 2, &[("accept-encoding", "zstd")]).await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-encoding"], "zstd");
        let page: PullPage =
            serde_json::from_slice(&zstd::decode_all(res.bytes().await.unwrap().as_ref()).unwrap())
                .unwrap();
        pages += 1;
        held.extend(whole_cases(std::slice::from_ref(&page)));
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    expected.sort_unstable();
    assert_eq!(
        held,
        ids(&expected),
        "every case once the pages are applied"
    );
    assert_eq!(
        count_pulls(&db).await - audited_before,
        pages,
        "each page served is audited; none made ahead and dropped"
    );
    // The service's record of what the device holds is what it was sent: a share elsewhere makes
    // it check again, and nothing is added or removed.
    let sup = server.login(w.person("supervisor")).await;
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/v1/cases/{}/shares", w.case_b),
            Some(&sup),
            Some(json!({ "user_id": w.person("cm_shared").id })),
        )
        .await;
    assert_eq!(status, 204);
    let (page, _) = pull(&server, &b, cursor, 2).await;
    assert!(
        page.removed_cases.is_empty() && page.changes.is_empty() && !page.has_more,
        "{page:?}"
    );
}

#[tokio::test]
async fn a_device_that_asks_for_columns_gets_every_page_in_that_form_with_the_same_changes() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = w.person("cm_assigned");
    let a = Device::enrol(&server, cm).await;
    let mut ops = Vec::new();
    for i in 0..7 {
        ops.extend(
            new_case(
                &a,
                Uuid::now_v7(),
                &sample_fields(&format!("Child{}", char::from(b'A' + i))),
            )
            .0,
        );
    }
    push_ok(&server, &a, &ops).await;

    // One device reads rows, the other columns; two cases a page, so that every page after
    // the first is made ahead.
    let mut rows_device = Device::enrol(&server, cm).await;
    let mut row_pages = Vec::new();
    loop {
        let (page, _) = pull(&server, &rows_device, rows_device.cursor, 2).await;
        rows_device.cursor = page.cursor;
        let more = page.has_more;
        row_pages.push(page);
        if !more {
            break;
        }
    }
    let columns_device = Device::enrol(&server, cm).await;
    let accept = format!("{COLUMNS_MEDIA_TYPE}, application/json;q=0.5");
    let mut column_pages: Vec<PullPage> = Vec::new();
    let mut cursor = Cursor::START;
    loop {
        let res = pull_as_sent(
            &server,
            &columns_device,
            cursor,
            2,
            &[("accept-encoding", "zstd"), ("accept", &accept)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(
            res.headers()["content-type"],
            COLUMNS_MEDIA_TYPE,
            "page {} is in the column form",
            column_pages.len() + 1
        );
        let body = zstd::decode_all(res.bytes().await.unwrap().as_ref()).unwrap();
        let page =
            porchlight_sync::columns::from_columns(std::str::from_utf8(&body).unwrap()).unwrap();
        cursor = page.cursor;
        let more = page.has_more;
        column_pages.push(page);
        if !more {
            break;
        }
    }
    assert!(column_pages.len() >= 5, "{} pages", column_pages.len());
    let changes = |pages: &[PullPage]| {
        pages
            .iter()
            .map(|p| (p.changes.clone(), p.removed_cases.clone(), p.whole))
            .collect::<Vec<_>>()
    };
    assert_eq!(changes(&column_pages), changes(&row_pages));

    // A device that refuses the column form (q=0) gets rows.
    let refusing = Device::enrol(&server, cm).await;
    let refuse = format!("{COLUMNS_MEDIA_TYPE};q=0, application/json");
    let res = pull_as_sent(&server, &refusing, Cursor::START, 2, &[("accept", &refuse)]).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let page: PullPage = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(page.changes, row_pages[0].changes);
}

async fn count_pulls(db: &super::harness::TestDb) -> i64 {
    db.owner
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT count(*) FROM audit_log WHERE action = 'sync_pulled'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn the_next_page_is_made_while_the_device_applies_this_one() {
    let db = test_db!();
    let w = world(&db).await;
    let state = state_for(&db);
    let prefetch = state.prefetch.clone();
    let server = TestServer::start(state).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let (first, _) = pull(&server, &dev, Cursor::START, 1).await;
    assert!(first.has_more);
    // Asked for at once, while it is still being made: the request waits for it.
    let ready = prefetch
        .take(dev.id, first.cursor, 1)
        .await
        .expect("the second page was made ahead");
    let second: PullPage = serde_json::from_str(&ready.page.text).unwrap();
    assert_eq!(whole_cases(std::slice::from_ref(&second)).len(), 1);
    assert_ne!(
        whole_cases(std::slice::from_ref(&second)),
        whole_cases(std::slice::from_ref(&first))
    );
    assert_eq!(
        serde_json::from_slice::<PullPage>(&zstd::decode_all(ready.zstd.as_slice()).unwrap())
            .unwrap(),
        second
    );
    assert!(
        prefetch.take(dev.id, first.cursor, 1).await.is_none(),
        "served once"
    );
}

#[tokio::test]
async fn the_scan_for_cases_to_send_whole_skips_the_held_ones_however_it_is_cut() {
    use porchlight_server::people::Role;
    use porchlight_server::sync::pull::unheld_in_scope;
    let db = test_db!();
    let w = world(&db).await;
    let c = db.owner.get().await.unwrap();
    let supervisor = w.person("supervisor");
    let office: Uuid = c
        .query_one("SELECT office_id FROM cases WHERE id = $1", &[&w.case_a])
        .await
        .unwrap()
        .get(0);
    // Five more cases in the supervisor's office, so that a scan reads several chunks.
    let at = super::harness::now();
    let clock = porchlight_sync::Clock::new(porchlight_sync::ReplicaId::random(), None, 0);
    let writer = porchlight_server::sync::write::Writer::load(&c, w.person("cm_assigned").id, None, &clock)
        .await
        .unwrap();
    for name in ["Ada", "Bea", "Cal", "Dee", "Eve"] {
        let fields = porchlight_server::cases::validate(&sample_fields(name), at).unwrap();
        porchlight_server::cases::create(&c, &writer, porchlight_server::new_id(at), office, porchlight_domain::CaseStatus::Active, &fields, true, at)
            .await
            .unwrap();
    }
    let in_scope: Vec<Uuid> = c
        .query("SELECT id FROM cases WHERE office_id = $1 ORDER BY id", &[&office])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(in_scope.len(), 7);
    // The device holds every other case; one more it held was removed, so it counts as not held.
    let device = Uuid::now_v7();
    for (i, case) in in_scope.iter().enumerate() {
        let removed: Option<i64> = (i == 1).then_some(2);
        if i % 2 == 0 || i == 1 {
            c.execute(
                "INSERT INTO device_cases (device_id, case_id, added_epoch, removed_epoch, snap_seq) VALUES ($1, $2, 1, $3, 0)",
                &[&device, case, &removed],
            )
            .await
            .unwrap();
        }
    }
    let unheld: Vec<Uuid> = in_scope.iter().enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, id)| *id).collect();
    assert_eq!(unheld.len(), 3);
    let grant = porchlight_server::rules::grant(Role::Supervisor);
    for chunk in [1, 2, 3, 100] {
        for batch in [1, 2, 100] {
            let got = unheld_in_scope(&c, grant, supervisor.id, device, None, batch, chunk).await.unwrap();
            let want = &unheld[..unheld.len().min(batch as usize)];
            assert_eq!(got, want, "chunk {chunk}, batch {batch}");
        }
        let after_first = unheld_in_scope(&c, grant, supervisor.id, device, Some(unheld[0]), 100, chunk).await.unwrap();
        assert_eq!(after_first, unheld[1..], "chunk {chunk}, after the first");
    }
}

#[tokio::test]
async fn the_log_walk_keeps_exactly_the_rows_of_held_cases_however_it_is_cut() {
    use porchlight_server::sync::pull::held_log_rows;
    let db = test_db!();
    let w = world(&db).await;
    let c = db.owner.get().await.unwrap();
    let head: i64 = c.query_one("SELECT max(seq) FROM change_log", &[]).await.unwrap().get(0);
    let seqs_of = |case: Uuid| {
        let c = &c;
        async move {
            c.query("SELECT seq FROM change_log WHERE case_id = $1 ORDER BY seq", &[&case])
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .collect::<Vec<i64>>()
        }
    };
    let (a, b) = (seqs_of(w.case_a).await, seqs_of(w.case_b).await);
    assert!(a.len() >= 3 && !b.is_empty(), "the world's cases have log rows: {a:?} {b:?}");
    // Case A is held from before the log; case B was sent whole at its first row, so only its
    // later rows are due; case C was held and removed.
    let device = Uuid::now_v7();
    for (case, snap, removed) in [(w.case_a, 0i64, None), (w.case_b, b[0], None), (w.case_c, 0, Some(2i64))] {
        c.execute(
            "INSERT INTO device_cases (device_id, case_id, added_epoch, removed_epoch, snap_seq) VALUES ($1, $2, 1, $3, $4)",
            &[&device, &case, &removed, &snap],
        )
        .await
        .unwrap();
    }
    let due = |skip: &[&str], after: i64| {
        let c = &c;
        let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
        async move {
            c.query(
                "SELECT l.seq FROM change_log l JOIN device_cases d ON d.device_id = $1 AND d.case_id = l.case_id
                 WHERE d.removed_epoch IS NULL AND d.snap_seq < l.seq AND l.seq > $2 AND l.seq <= $3 AND l.entity <> ALL($4)
                 ORDER BY l.seq",
                &[&device, &after, &head, &skip],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, i64>(0))
            .collect::<Vec<i64>>()
        }
    };
    let all = due(&[], 0).await;
    assert!(all.len() >= 3 && all.iter().all(|s| a.contains(s) || b[1..].contains(s)), "{all:?}");
    for skip in [&[][..], &["contact", "note"][..]] {
        let want_all = due(skip, 0).await;
        for limit in [1, 2, 3, 1000] {
            let got = held_log_rows(&c, device, 0, head, skip, limit).await.unwrap();
            assert_eq!(got, want_all[..want_all.len().min(limit as usize)], "skip {skip:?}, limit {limit}");
        }
        let after = want_all[0];
        let got = held_log_rows(&c, device, after, head, skip, 1000).await.unwrap();
        assert_eq!(got, due(skip, after).await, "skip {skip:?}, after {after}");
    }
}

/// The device asks for the next page while it writes the one before (the engine does, and the
/// service makes pages ahead), so a cursor shows that a page reached the device, not that it was
/// kept. Here the page that took case B off the device is followed by one that sends B whole
/// again, and the device loses both (it crashed while writing the first): asked again from its
/// old cursor, the service must not take the device for one that never held B. Its old copy may
/// hold what the user may no longer see (a photo whose consent was withdrawn meanwhile, a deleted
/// contact), which the whole copy leaves out rather than removes: so the page that sends B whole
/// names it among the removed cases first, and the device drops its old copy before keeping the
/// new one.
#[tokio::test]
async fn a_case_sent_whole_again_to_a_device_that_may_hold_an_old_copy_is_removed_first() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut assigned = Device::enrol(&server, w.person("cm_assigned")).await;
    pull_all(&server, &mut assigned).await;
    let kept = assigned.cursor;
    let sup = server.login(w.person("supervisor")).await;
    let b = w.case_b;
    let assign = |to: Uuid| {
        let server = &server;
        let sup = &sup;
        async move {
            let (status, text) = server
                .call(
                    Method::POST,
                    &format!("/v1/cases/{b}/assign"),
                    Some(sup),
                    Some(json!({ "user_id": to })),
                )
                .await;
            assert_eq!(status, 200, "{text}");
        }
    };
    assign(w.person("cm_other").id).await;
    let (removal, _) = pull(&server, &assigned, kept, 5000).await;
    assert_eq!(removal.removed_cases, [b]);
    assign(w.person("cm_assigned").id).await;
    let (readded, _) = pull(&server, &assigned, removal.cursor, 5000).await;
    assert_eq!(whole_cases(std::slice::from_ref(&readded)), ids(&[b]));
    assert!(
        readded.removed_cases.contains(&b),
        "the device had B, so B goes first even on this page: {:?}",
        readded.removed_cases
    );

    // Both pages are lost; the device asks again from the cursor it kept.
    let (again, _) = pull(&server, &assigned, kept, 5000).await;
    assert_eq!(whole_cases(std::slice::from_ref(&again)), ids(&[b]));
    assert_eq!(
        again.removed_cases,
        [b],
        "the old copy goes before the new one comes"
    );
    assert!(
        again.changes.iter().all(|c| c.case_id() == b),
        "case A was held throughout and did not change"
    );

    // Kept this time: nothing more to do, and B is not named again.
    let (next, _) = pull(&server, &assigned, again.cursor, 5000).await;
    assert!(
        next.removed_cases.is_empty() && next.changes.is_empty(),
        "{next:?}"
    );

    // A device that never held a case gets it whole with no removal.
    let mut other = Device::enrol(&server, w.person("cm_other")).await;
    let (pages, _) = pull_all(&server, &mut other).await;
    assert!(pages.iter().all(|p| p.removed_cases.is_empty()));
}
