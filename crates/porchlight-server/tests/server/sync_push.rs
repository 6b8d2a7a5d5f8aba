//! Pushing ops: a round trip from one device to another and to the case endpoints, an op sent
//! again answered byte for byte with nothing written twice, per-field merge with the `base` rule
//! (concurrent edits make exactly one conflict each, both sides kept, the higher stamp in force;
//! an edit made after seeing the stored value makes none), racing status changes, resolutions,
//! clock skew, and bad ops refused alone without blocking the rest.

use super::harness::{json, sample_fields, state_for, world, TestServer};
use super::sync_kit::*;
use crate::test_db;
use chrono::Utc;
use porchlight_sync::{Change, Entity, Op, OpBody, Outcome, RejectCode, ReplicaId, Stamp};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

fn applied(r: &porchlight_sync::OpResult) -> i64 {
    match &r.outcome {
        Outcome::Applied { seq } => *seq,
        other => panic!("op {} was not applied: {other:?}", r.op_id),
    }
}

fn rejected(r: &porchlight_sync::OpResult) -> (RejectCode, String) {
    match &r.outcome {
        Outcome::Rejected { code, reason } => (*code, reason.clone()),
        other => panic!("op {} was not refused: {other:?}", r.op_id),
    }
}

fn conflicts_of(pages: &[porchlight_sync::PullPage]) -> Vec<porchlight_sync::ConflictRecord> {
    pages
        .iter()
        .flat_map(|p| p.changes.iter())
        .filter_map(|c| match c {
            Change::Conflict(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_case_pushed_from_one_device_reaches_another_whole_and_the_case_endpoints() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = w.person("cm_assigned");
    let laptop = Device::enrol(&server, cm).await;
    let mut phone = Device::enrol(&server, cm).await;

    let id = Uuid::now_v7();
    let (mut ops, first_status) = new_case(&laptop, id, &sample_fields("Nia"));
    let contact = Uuid::now_v7();
    ops.push(set(
        &laptop,
        id,
        Entity::Contact,
        contact,
        &contact_writes("Grace Okafor", "Prefers evenings"),
    ));
    let note = Uuid::now_v7();
    ops.push(append(
        &laptop,
        id,
        Entity::Note,
        note,
        note_record(note, 1, "call", "Mother called at 9."),
        None,
    ));
    let moved = Uuid::now_v7();
    ops.push(append(
        &laptop,
        id,
        Entity::StatusEvent,
        moved,
        status_record(Some("intake"), "active"),
        Some(first_status),
    ));
    let pushed = push_ok(&server, &laptop, &ops).await;
    let seqs: Vec<i64> = pushed.results.iter().map(applied).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "each op's rows follow the one before: {seqs:?}"
    );
    assert!(pushed.results.iter().all(|r| r.conflicts.is_empty()));
    assert_eq!(
        pushed.results[0].current[0].fields["child.given_name"], "Nia",
        "the state the device now holds"
    );

    let (pages, text) = pull_all(&server, &mut phone).await;
    assert!(case_ids(&pages).contains(&id));
    assert!(
        case_ids(&pages).contains(&w.case_a),
        "the world's cases come too"
    );
    assert_eq!(value_in(&pages, id, "child.given_name"), Some(json!("Nia")));
    assert_eq!(
        value_in(&pages, id, "case_number"),
        Some(json!(case_number(id)))
    );
    assert_eq!(
        value_in(&pages, contact, "name"),
        Some(json!("Grace Okafor"))
    );
    assert_eq!(
        stamp_in(&pages, id, "child.given_name"),
        Some(ops[0].stamp),
        "stamped by the op that wrote it"
    );
    for record in [note, moved] {
        assert!(
            pages
                .iter()
                .flat_map(|p| &p.changes)
                .any(|c| matches!(c, Change::Appended(a) if a.record_id == record)),
            "{record} reached the phone"
        );
    }
    assert!(text.contains("Mother called at 9."));

    // The case endpoints read the same case.
    let token = &phone.token;
    let (status, body) = server.get(&format!("/v1/cases/{id}"), token).await;
    assert_eq!(status, 200, "{body}");
    let case = json(&body);
    assert_eq!(
        case["status"], "active",
        "the newest status event is in force"
    );
    assert_eq!(case["fields"]["child"]["given_name"], "Nia");
    let (_, body) = server.get(&format!("/v1/cases/{id}/contacts"), token).await;
    assert_eq!(json(&body)[0]["name"], "Grace Okafor");
    let (_, body) = server.get(&format!("/v1/cases/{id}/notes"), token).await;
    assert_eq!(json(&body)[0]["body"], "Mother called at 9.");

    // Nothing new: an empty page that keeps the cursor.
    let (page, _) = pull(&server, &phone, phone.cursor, 5000).await;
    assert!(page.changes.is_empty() && page.removed_cases.is_empty() && !page.has_more);
    assert_eq!(page.cursor, phone.cursor);
    let actions = super::harness::audit_actions(&db).await;
    assert!(
        actions.contains(&"sync_pushed".to_owned()) && actions.contains(&"sync_pulled".to_owned())
    );
}

#[tokio::test]
async fn an_op_sent_again_gets_the_same_answer_and_writes_nothing_twice() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let id = Uuid::now_v7();
    let (mut ops, _) = new_case(&dev, id, &sample_fields("Nia"));
    let note = Uuid::now_v7();
    ops.push(append(
        &dev,
        id,
        Entity::Note,
        note,
        note_record(note, 1, "call", "Called."),
        None,
    ));
    // A refused op is final too: a bad value is refused again with the same words.
    ops.push(set(
        &dev,
        id,
        Entity::Case,
        id,
        &[("child.sex", json!("Q"), None)],
    ));
    let results = |text: &str| text[..text.find("],\"server_time\"").unwrap()].to_owned();
    let (status, first) = push_raw(&server, &dev, &ops).await;
    assert_eq!(status, 200, "{first}");
    let tables = ["change_log", "notes", "status_events", "cases", "sync_ops"];
    let mut before = Vec::new();
    for t in tables {
        before.push(db.count(t).await);
    }
    // The reply was lost; the device sends the same ops again, and one of them twice.
    let mut again = ops.clone();
    again.push(ops[2].clone());
    let (status, second) = push_raw(&server, &dev, &again).await;
    assert_eq!(status, 200, "{second}");
    let second_results: Value = json(&second)["results"].clone();
    assert_eq!(
        results(&second)
            .strip_prefix(&results(&first))
            .map(|rest| rest.starts_with(',')),
        Some(true),
        "the stored answers, byte for byte"
    );
    assert_eq!(
        second_results[4], second_results[2],
        "an op twice in one push is answered once"
    );
    let mut after = Vec::new();
    for t in tables {
        after.push(db.count(t).await);
    }
    assert_eq!(before, after, "nothing written twice ({tables:?})");
}

/// A case both devices hold, with the stamp of its given name. `a` creates it and so holds it
/// from its push on: its pull does not send the case back.
async fn shared_case(server: &TestServer, a: &mut Device, b: &mut Device, id: Uuid) -> Stamp {
    let (ops, _) = new_case(a, id, &sample_fields("Nia"));
    let created = ops[0].stamp;
    push_ok(server, a, &ops).await;
    let (pages_a, _) = pull_all(server, a).await;
    let (pages_b, _) = pull_all(server, b).await;
    let stamp = stamp_in(&pages_b, id, "child.given_name").expect("b holds the case");
    assert_eq!(stamp, created, "b holds what a wrote");
    assert_eq!(stamp_in(&pages_a, id, "child.given_name"), None);
    stamp
}

#[tokio::test]
async fn concurrent_edits_of_one_field_make_exactly_one_conflict_each_and_the_later_stamp_wins() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut a = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut b = Device::enrol(&server, w.person("cm_assigned")).await;
    let id = Uuid::now_v7();
    let seen = shared_case(&server, &mut a, &mut b, id).await;

    // Offline on both: A renames first, B second (B's stamp is later); A's push arrives first.
    let from_a = set(
        &a,
        id,
        Entity::Case,
        id,
        &[("child.given_name", json!("Maia"), Some(seen))],
    );
    let from_b = set(
        &b,
        id,
        Entity::Case,
        id,
        &[("child.given_name", json!("Mya"), Some(seen))],
    );
    assert!(from_b.stamp > from_a.stamp);
    let ra = push_ok(&server, &a, std::slice::from_ref(&from_a)).await;
    assert!(
        ra.results[0].conflicts.is_empty(),
        "A saw the stored value: no conflict"
    );
    let rb = push_ok(&server, &b, std::slice::from_ref(&from_b)).await;
    let raised = &rb.results[0].conflicts;
    assert_eq!(raised.len(), 1, "exactly one conflict");
    let c = &raised[0];
    assert_eq!(
        (c.field.as_str(), c.entity, c.record_id),
        ("child.given_name", Entity::Case, id)
    );
    assert_eq!(
        (c.kept.value.clone(), c.kept.op_id, c.kept.stamp),
        (json!("Mya"), from_b.id, from_b.stamp)
    );
    assert_eq!(
        (c.other.value.clone(), c.other.op_id, c.other.stamp),
        (json!("Maia"), from_a.id, from_a.stamp)
    );
    assert_eq!(
        (c.other.device_id, c.other.by.as_str()),
        (a.id, "Test cm.assigned"),
        "who wrote the losing side"
    );
    assert_eq!(rb.results[0].current[0].fields["child.given_name"], "Mya");

    // The other order: C's write is older but arrives last. The stored value stays; the
    // conflict keeps C's write as the other side.
    let from_c = set(
        &a,
        id,
        Entity::Case,
        id,
        &[("event.city", json!("Broken Arrow"), Some(seen))],
    );
    let from_d = set(
        &b,
        id,
        Entity::Case,
        id,
        &[("event.city", json!("Owasso"), Some(seen))],
    );
    push_ok(&server, &b, std::slice::from_ref(&from_d)).await;
    let rc = push_ok(&server, &a, std::slice::from_ref(&from_c)).await;
    let c2 = &rc.results[0].conflicts[0];
    assert_eq!(
        (c2.kept.value.clone(), c2.other.value.clone()),
        (json!("Owasso"), json!("Broken Arrow"))
    );
    assert_eq!(
        rc.results[0].current[0].fields["event.city"], "Owasso",
        "the device takes the value in force"
    );

    let (_, body) = server.get(&format!("/v1/cases/{id}"), &a.token).await;
    assert_eq!(json(&body)["fields"]["child"]["given_name"], "Mya");
    assert_eq!(json(&body)["fields"]["event"]["city"], "Owasso");
    assert_eq!(db.count("sync_conflicts").await, 2);
    // Both devices learn of both conflicts.
    for dev in [&mut a, &mut b] {
        let (pages, _) = pull_all(&server, dev).await;
        let seen: Vec<Uuid> = conflicts_of(&pages).iter().map(|c| c.id).collect();
        assert_eq!(seen, [c.id, c2.id]);
    }
}

#[tokio::test]
async fn an_edit_made_after_seeing_the_stored_value_raises_no_conflict() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut a = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut b = Device::enrol(&server, w.person("cm_assigned")).await;
    let id = Uuid::now_v7();
    let seen = shared_case(&server, &mut a, &mut b, id).await;
    let first = set(
        &a,
        id,
        Entity::Case,
        id,
        &[("child.given_name", json!("Maia"), Some(seen))],
    );
    push_ok(&server, &a, std::slice::from_ref(&first)).await;
    let (pages, _) = pull_all(&server, &mut b).await;
    let now = stamp_in(&pages, id, "child.given_name").unwrap();
    assert_eq!(now, first.stamp);
    let second = set(
        &b,
        id,
        Entity::Case,
        id,
        &[("child.given_name", json!("Mya"), Some(now))],
    );
    let r = push_ok(&server, &b, &[second]).await;
    assert!(r.results[0].conflicts.is_empty());
    // The same value written by two devices unseen is no conflict either.
    let same_a = set(
        &a,
        id,
        Entity::Case,
        id,
        &[("event.county", json!("Tulsa"), Some(seen))],
    );
    let same_b = set(
        &b,
        id,
        Entity::Case,
        id,
        &[("event.county", json!("Tulsa"), Some(seen))],
    );
    push_ok(&server, &a, &[same_a]).await;
    let r = push_ok(&server, &b, &[same_b]).await;
    assert!(r.results[0].conflicts.is_empty());
    assert_eq!(db.count("sync_conflicts").await, 0);
}

#[tokio::test]
async fn racing_status_changes_always_conflict_and_resolutions_settle_conflicts() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut a = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut b = Device::enrol(&server, w.person("cm_assigned")).await;
    let id = Uuid::now_v7();
    let seen = shared_case(&server, &mut a, &mut b, id).await;
    let newest: Stamp = {
        let c = db.owner.get().await.unwrap();
        let s: String = c
            .query_one("SELECT status_stamp FROM cases WHERE id = $1", &[&id])
            .await
            .unwrap()
            .get(0);
        s.parse().unwrap()
    };
    let to_active = append(
        &a,
        id,
        Entity::StatusEvent,
        Uuid::now_v7(),
        status_record(Some("intake"), "active"),
        Some(newest),
    );
    let to_closed = append(
        &b,
        id,
        Entity::StatusEvent,
        Uuid::now_v7(),
        status_record(Some("intake"), "closed"),
        Some(newest),
    );
    assert!(push_ok(&server, &a, std::slice::from_ref(&to_active))
        .await
        .results[0]
        .conflicts
        .is_empty());
    let r = push_ok(&server, &b, std::slice::from_ref(&to_closed)).await;
    let race = r.results[0]
        .conflicts
        .first()
        .expect("racing status changes conflict")
        .clone();
    assert_eq!(
        (race.field.as_str(), race.entity),
        ("status", Entity::StatusEvent)
    );
    assert_eq!(
        (race.kept.value.clone(), race.other.value.clone()),
        (json!("closed"), json!("active"))
    );
    let (_, body) = server.get(&format!("/v1/cases/{id}"), &a.token).await;
    assert_eq!(
        json(&body)["status"],
        "closed",
        "the newest event by stamp is in force"
    );
    assert_eq!(
        db.count("status_events").await,
        3 + 3,
        "both events kept (beside this case's first and the world's three)"
    );

    // A field conflict too, then both are settled: keep mine (a Set over the value in force, so
    // no new conflict) and keep what is in force (a Resolve op).
    let mine = set(
        &a,
        id,
        Entity::Case,
        id,
        &[("child.given_name", json!("Maia"), Some(seen))],
    );
    let theirs = set(
        &b,
        id,
        Entity::Case,
        id,
        &[("child.given_name", json!("Mya"), Some(seen))],
    );
    push_ok(&server, &a, std::slice::from_ref(&mine)).await;
    let field_conflict = push_ok(&server, &b, std::slice::from_ref(&theirs))
        .await
        .results[0]
        .conflicts[0]
        .clone();
    let mut keep_mine = set(
        &a,
        id,
        Entity::Case,
        id,
        &[("child.given_name", json!("Maia"), Some(theirs.stamp))],
    );
    keep_mine.resolves = vec![field_conflict.id];
    let keep_status = Op {
        id: Uuid::now_v7(),
        case_id: id,
        stamp: a.tick(),
        resolves: vec![race.id],
        body: OpBody::Resolve,
    };
    let r = push_ok(&server, &a, &[keep_mine.clone(), keep_status]).await;
    assert!(
        r.results.iter().all(|r| r.conflicts.is_empty()),
        "a resolution raises no new conflict"
    );
    let open: i64 = db
        .owner
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(open, 0);
    let (pages, _) = pull_all(&server, &mut b).await;
    let resolved: Vec<_> = conflicts_of(&pages)
        .into_iter()
        .filter(|c| c.resolution.is_some())
        .collect();
    assert_eq!(resolved.len(), 2, "both resolutions reach the other device");
    assert!(resolved
        .iter()
        .all(|c| c.resolution.as_ref().unwrap().by == "Test cm.assigned"));
    assert_eq!(
        value_in(&pages, id, "child.given_name"),
        Some(json!("Maia"))
    );

    // Settling a conflict the service does not know, or one about a case out of scope, is refused.
    let mut unknown = Op {
        id: Uuid::now_v7(),
        case_id: id,
        stamp: a.tick(),
        resolves: vec![Uuid::now_v7()],
        body: OpBody::Resolve,
    };
    let r = push(&server, &a, std::slice::from_ref(&unknown)).await;
    assert_eq!(rejected(&r.results[0]).0, RejectCode::Unknown);
    let stranger = Device::enrol(&server, w.person("cm_other")).await;
    unknown.id = Uuid::now_v7();
    unknown.resolves = vec![race.id];
    unknown.stamp = stranger.tick();
    let r = push(&server, &stranger, &[unknown]).await;
    assert_eq!(rejected(&r.results[0]).0, RejectCode::NotInScope);
}

#[tokio::test]
async fn a_far_future_stamp_is_refused_with_a_reason_that_names_the_clock() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut op = set(
        &dev,
        w.case_a,
        Entity::Case,
        w.case_a,
        &[("event.county", json!("Osage"), None)],
    );
    op.stamp = Stamp::at(Utc::now() + chrono::Duration::hours(3), ReplicaId(77));
    let near = set(
        &dev,
        w.case_a,
        Entity::Case,
        w.case_a,
        &[("event.county", json!("Creek"), None)],
    );
    let r = push(&server, &dev, &[op, near]).await;
    let (code, reason) = rejected(&r.results[0]);
    assert_eq!(code, RejectCode::FutureStamp);
    assert!(
        reason.contains("3 hours ahead") && reason.contains("check this computer's clock"),
        "{reason}"
    );
    applied(&r.results[1]);
    let (_, body) = server
        .get(&format!("/v1/cases/{}", w.case_a), &dev.token)
        .await;
    assert_eq!(json(&body)["fields"]["event"]["county"], "Creek");
}

#[tokio::test]
async fn one_bad_op_never_blocks_the_ones_after_it() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let a = w.case_a;
    let note = Uuid::now_v7();
    let other_id = Uuid::now_v7();
    let ops = vec![
        set(
            &dev,
            a,
            Entity::Case,
            a,
            &[("event.county", json!("Osage"), None)],
        ),
        set(
            &dev,
            a,
            Entity::Case,
            a,
            &[
                ("child.sex", json!("Q"), None),
                ("event.state", json!(12), None),
            ],
        ),
        set(
            &dev,
            a,
            Entity::Case,
            a,
            &[("child.favourite_colour", json!("blue"), None)],
        ),
        set(
            &dev,
            a,
            Entity::Case,
            a,
            &[("event.last_seen_date", json!("2099-01-01"), None)],
        ),
        set(
            &dev,
            a,
            Entity::Case,
            a,
            &[("case_number", json!("PL-2601-AAAA-BBBB"), None)],
        ),
        set(
            &dev,
            other_id,
            Entity::Contact,
            Uuid::now_v7(),
            &contact_writes("Rosa", ""),
        ),
        set(
            &dev,
            w.case_c,
            Entity::Case,
            w.case_c,
            &[("event.county", json!("Travis"), None)],
        ),
        append(
            &dev,
            a,
            Entity::Note,
            note,
            note_record(note, 1, "call", "Still here."),
            None,
        ),
    ];
    let r = push(&server, &dev, &ops).await;
    applied(&r.results[0]);
    let (code, reason) = rejected(&r.results[1]);
    assert_eq!(code, RejectCode::Invalid);
    assert!(
        reason.contains("child.sex") && reason.contains("event.state"),
        "each field named: {reason}"
    );
    let (code, reason) = rejected(&r.results[2]);
    assert_eq!(code, RejectCode::Invalid);
    assert!(reason.contains("child.favourite_colour"), "{reason}");
    let (code, reason) = rejected(&r.results[3]);
    assert!(
        code == RejectCode::Invalid && reason.contains("event.last_seen_date"),
        "{reason}"
    );
    let (code, reason) = rejected(&r.results[4]);
    assert!(
        code == RejectCode::Invalid && reason.contains("set once"),
        "{reason}"
    );
    assert_eq!(
        r.results[4].current[0].fields["case_number"],
        json!(w_case_number(&db, a).await),
        "the device gets the number back"
    );
    assert_eq!(rejected(&r.results[5]).0, RejectCode::Unknown);
    assert_eq!(
        rejected(&r.results[6]).0,
        RejectCode::NotInScope,
        "case C is not this case manager's"
    );
    applied(&r.results[7]);
    let (_, body) = server.get(&format!("/v1/cases/{a}"), &dev.token).await;
    assert_eq!(json(&body)["fields"]["event"]["county"], "Osage");
    assert_eq!(
        json(&body)["fields"]["child"]["sex"],
        "F",
        "the refused value left no trace"
    );
    // Nor in the record devices are sent: the refused ops' values were taken back before the
    // ops after them were merged.
    let state: String = db
        .owner
        .get()
        .await
        .unwrap()
        .query_one("SELECT sync_state FROM cases WHERE id = $1", &[&a])
        .await
        .unwrap()
        .get(0);
    let Change::Record(state) = serde_json::from_str::<Change>(&state).unwrap() else { panic!("{state}") };
    assert_eq!(
        (&state.fields["child.sex"], &state.fields["event.state"], &state.fields["event.county"]),
        (&json!("F"), &json(&body)["fields"]["event"]["state"], &json!("Osage"))
    );
    for refused in ["child.favourite_colour", "event.last_seen_date"] {
        assert_ne!(state.fields.get(refused), Some(&json!("blue")), "{refused}");
        assert_ne!(state.fields.get(refused), Some(&json!("2099-01-01")), "{refused}");
    }
    let (_, body) = server
        .get(&format!("/v1/cases/{a}/notes"), &dev.token)
        .await;
    assert!(body.contains("Still here."));
}

async fn w_case_number(db: &super::harness::TestDb, id: Uuid) -> String {
    db.owner
        .get()
        .await
        .unwrap()
        .query_one("SELECT case_number FROM cases WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_volunteer_may_add_a_tip_and_nothing_else() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let vol = Device::enrol(&server, w.person("vol_here")).await;
    let a = w.case_a;
    let tip = Uuid::now_v7();
    let internal = Uuid::now_v7();
    let ops = vec![
        append(
            &vol,
            a,
            Entity::Note,
            tip,
            note_record(tip, 1, "lead_tip", "Seen at the bus station at 4 pm."),
            None,
        ),
        append(
            &vol,
            a,
            Entity::Note,
            internal,
            note_record(internal, 1, "internal", "Nothing."),
            None,
        ),
        set(
            &vol,
            a,
            Entity::Case,
            a,
            &[("event.city", json!("Tulsa"), None)],
        ),
        append(
            &vol,
            a,
            Entity::StatusEvent,
            Uuid::now_v7(),
            status_record(Some("active"), "closed"),
            None,
        ),
        append(
            &vol,
            w.case_c,
            Entity::Note,
            Uuid::now_v7(),
            note_record(Uuid::now_v7(), 1, "lead", "Seen in Austin."),
            None,
        ),
        append(
            &vol,
            a,
            Entity::AuditEvent,
            Uuid::now_v7(),
            json!({"action": "poster_printed", "detail": {"copies": 2}, "actor": "Vol", "at": Utc::now()}),
            None,
        ),
    ];
    let r = push(&server, &vol, &ops).await;
    applied(&r.results[0]);
    let (code, reason) = rejected(&r.results[1]);
    assert!(
        code == RejectCode::NotAllowed && reason.contains("tips"),
        "{reason}"
    );
    assert_eq!(rejected(&r.results[2]).0, RejectCode::NotAllowed);
    assert_eq!(rejected(&r.results[3]).0, RejectCode::NotAllowed);
    assert_eq!(
        rejected(&r.results[4]).0,
        RejectCode::NotInScope,
        "an Austin case is outside the volunteer's region"
    );
    applied(&r.results[5]);
    let cm = Device::enrol(&server, w.person("cm_assigned")).await;
    let (_, body) = server.get(&format!("/v1/cases/{a}/notes"), &cm.token).await;
    let notes = json(&body);
    let tip_note = notes
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == tip.to_string())
        .expect("the tip is a note of the case");
    assert_eq!(tip_note["category"], "lead");
    let c = db.owner.get().await.unwrap();
    let event: String = c
        .query_one(
            "SELECT detail FROM audit_log WHERE action = 'device_event' AND actor_device = $1",
            &[&vol.id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        event.contains("poster_printed"),
        "the device's own audit event is in the chained log: {event}"
    );
    let verdict = porchlight_server::audit::verify(&c, None).await.unwrap();
    assert!(
        verdict.intact(),
        "entries appended together chain like the rest: {:?}",
        verdict.problems
    );
}

#[tokio::test]
async fn edits_made_at_the_service_reach_devices_with_later_stamps() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut dev = Device::enrol(&server, w.person("cm_assigned")).await;
    let (pages, _) = pull_all(&server, &mut dev).await;
    let a = w.case_a;
    let before = stamp_in(&pages, a, "event.city").expect("the device holds case A");
    let (_, body) = server.get(&format!("/v1/cases/{a}"), &dev.token).await;
    let case = json(&body);
    let mut fields = super::harness::sample_fields("Maya");
    fields.event.city = "Sand Springs".into();
    let (status, text) = server
        .call(
            Method::PUT,
            &format!("/v1/cases/{a}"),
            Some(&dev.token),
            Some(
                json!({ "version": case["version"], "fields": fields, "status": "located_alive" }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    let (pages, _) = pull_all(&server, &mut dev).await;
    assert_eq!(
        value_in(&pages, a, "event.city"),
        Some(json!("Sand Springs"))
    );
    assert!(stamp_in(&pages, a, "event.city").unwrap() > before);
    assert_eq!(
        value_in(&pages, a, "child.given_name"),
        None,
        "only what changed travels"
    );
    let moved = pages.iter().flat_map(|p| &p.changes).any(|c| {
        matches!(c, Change::Appended(e) if e.entity == Entity::StatusEvent && e.record["to"] == "located_alive")
    });
    assert!(moved, "the new status arrives as a status event");
}

/// A push answers with the change-log rows it wrote when its answer holds all a pull would
/// bring of them, so a device whose cursor stood right before them moves past them instead of
/// pulling its own changes back. Never when another device's row came first, and never for a
/// conflict or a photo, which the device must hear of from the log.
#[tokio::test]
async fn a_push_names_its_own_log_rows_only_when_its_answer_says_all_of_them() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let mut a = Device::enrol(&server, w.person("cm_assigned")).await;
    let mut b = Device::enrol(&server, w.person("cm_assigned")).await;
    let (held, _) = pull_all(&server, &mut a).await;
    pull_all(&server, &mut b).await;
    let case = w.case_a;
    let base = |field: &str| stamp_in(&held, case, field);

    // An edit and a note: two rows, right after A's cursor.
    let note = Uuid::now_v7();
    let ops = [
        set(
            &a,
            case,
            Entity::Case,
            case,
            &[("event.city", json!("Owasso"), base("event.city"))],
        ),
        append(
            &a,
            case,
            Entity::Note,
            Uuid::now_v7(),
            note_record(note, 1, "call", "Aunt called back"),
            None,
        ),
    ];
    let answer = push_ok(&server, &a, &ops).await;
    let rows = answer.own_rows.expect("the answer says all of its rows");
    assert_eq!(
        rows.after, a.cursor.seq,
        "nothing was written between A's pull and its push"
    );
    assert_eq!(rows.last, applied(&answer.results[1]));
    assert!(rows.last > rows.after);
    let (back, _) = pull(&server, &a, a.cursor, 5000).await;
    assert_eq!(
        back.changes.len(),
        (rows.last - rows.after) as usize,
        "exactly the push's own rows lie between"
    );
    assert!(back.changes.iter().all(|c| c.case_id() == case));
    let moved = answer.cursor_after(a.cursor);
    assert_eq!(moved.seq, rows.last);
    assert_eq!(moved.epoch, a.cursor.epoch);
    let (after, _) = pull(&server, &a, moved, 5000).await;
    assert!(after.changes.is_empty(), "{after:?}");
    a.cursor = after.cursor;

    // B writes first: A's next rows no longer follow on from A's cursor.
    push_ok(
        &server,
        &b,
        &[set(
            &b,
            case,
            Entity::Case,
            case,
            &[("event.county", json!("Tulsa"), base("event.county"))],
        )],
    )
    .await;
    let answer = push_ok(
        &server,
        &a,
        &[set(
            &a,
            case,
            Entity::Case,
            case,
            &[(
                "description.clothing",
                json!("Red coat"),
                base("description.clothing"),
            )],
        )],
    )
    .await;
    assert!(answer.own_rows.is_some());
    assert_eq!(
        answer.cursor_after(a.cursor),
        a.cursor,
        "B's change must still be pulled"
    );
    let (pages, _) = pull_all(&server, &mut a).await;
    assert_eq!(value_in(&pages, case, "event.county"), Some(json!("Tulsa")));

    // A conflict raised, a photo written, an op sent again: the log must bring them.
    pull_all(&server, &mut b).await;
    let seen = base("event.address");
    let mine = set(
        &a,
        case,
        Entity::Case,
        case,
        &[("event.address", json!("1 Elm St"), seen)],
    );
    let theirs = set(
        &b,
        case,
        Entity::Case,
        case,
        &[("event.address", json!("9 Oak Ave"), seen)],
    );
    push_ok(&server, &a, std::slice::from_ref(&mine)).await;
    let raised = push_ok(&server, &b, std::slice::from_ref(&theirs)).await;
    assert_eq!(raised.results[0].conflicts.len(), 1);
    assert_eq!(raised.own_rows, None, "a conflict comes through the log");
    let photo = push_ok(
        &server,
        &a,
        &[set(
            &a,
            case,
            Entity::Photo,
            w.photo_private,
            &[(
                "source",
                json!("school portrait"),
                stamp_in(&held, w.photo_private, "source"),
            )],
        )],
    )
    .await;
    assert!(photo.results[0].conflicts.is_empty());
    assert_eq!(photo.own_rows, None, "a photo comes through the log");
    let again = push_ok(&server, &a, std::slice::from_ref(&mine)).await;
    assert_eq!(again.own_rows, None, "an op sent again writes no row");
}
