//! The audit log: append-only for the service's database role, and tampering (a changed or a
//! deleted entry) detected by walking the hash chain.

use super::harness::{exec, state_for, world, TestServer};
use crate::test_db;
use porchlight_server::audit::{self, Problem};

#[tokio::test]
async fn the_service_role_can_append_but_not_change_or_delete() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = server.login(w.person("cm_assigned")).await;
    assert_eq!(
        server.get(&format!("/v1/cases/{}", w.case_a), &cm).await.0,
        200
    );
    let service = db.service.get().await.unwrap();
    let n: i64 = service
        .query_one("SELECT count(*) FROM audit_log", &[])
        .await
        .unwrap()
        .get(0);
    assert!(n >= 3, "the service can read the log");
    for sql in [
        "UPDATE audit_log SET action = 'nothing' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
    ] {
        let err = service.batch_execute(sql).await.expect_err(sql);
        let code = err.as_db_error().map(|e| e.code().code().to_owned());
        assert_eq!(
            code.as_deref(),
            Some("42501"),
            "{sql} must fail with insufficient_privilege, got {err}"
        );
    }
    let verdict = audit::verify(&service, None).await.unwrap();
    assert!(verdict.intact(), "{:?}", verdict.problems);
    assert_eq!(verdict.entries as i64, n);
}

#[tokio::test]
async fn a_changed_or_deleted_entry_breaks_the_chain() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = server.login(w.person("cm_assigned")).await;
    for _ in 0..3 {
        assert_eq!(
            server.get(&format!("/v1/cases/{}", w.case_a), &cm).await.0,
            200
        );
    }
    let c = db.service.get().await.unwrap();
    let clean = audit::verify(&c, None).await.unwrap();
    assert!(clean.intact());
    let head = clean.head.clone().unwrap();
    assert_eq!(head.0, clean.entries as i64);

    // The owner (or an intruder with its rights) edits entry 3: only its own hash no longer matches.
    exec(
        &db,
        "UPDATE audit_log SET detail = '{\"view\":\"poster\"}' WHERE seq = 3",
    )
    .await;
    let verdict = audit::verify(&c, None).await.unwrap();
    assert_eq!(verdict.problems, vec![Problem::Altered { seq: 3 }]);

    // Deleting entry 2 leaves a gap, and entry 3 no longer follows from entry 1.
    exec(&db, "DELETE FROM audit_log WHERE seq = 2").await;
    let verdict = audit::verify(&c, None).await.unwrap();
    assert!(
        verdict
            .problems
            .contains(&Problem::Missing { from: 2, to: 2 }),
        "{:?}",
        verdict.problems
    );
    assert!(
        verdict.problems.contains(&Problem::BrokenLink { seq: 3 }),
        "{:?}",
        verdict.problems
    );

    // Cutting the newest entry is caught against the head recorded earlier.
    exec(
        &db,
        &format!("DELETE FROM audit_log WHERE seq = {}", head.0),
    )
    .await;
    let verdict = audit::verify(&c, Some(head.clone())).await.unwrap();
    assert!(
        verdict
            .problems
            .contains(&Problem::HeadMissing { seq: head.0 }),
        "{:?}",
        verdict.problems
    );
}

#[tokio::test]
async fn every_kind_of_event_is_recorded_without_personal_data() {
    let db = test_db!();
    let w = world(&db).await;
    let server = TestServer::start(state_for(&db)).await;
    let cm = server.login(w.person("cm_assigned")).await;
    let _ = server
        .try_login(w.person("vol_here"), "not the password at all")
        .await;
    let a = w.case_a;
    server.get(&format!("/v1/cases/{a}"), &cm).await;
    server
        .get(&format!("/v1/photos/{}", w.photo_public), &cm)
        .await;
    server
        .call(
            reqwest::Method::POST,
            &format!("/v1/cases/{a}/notes"),
            Some(&cm),
            Some(serde_json::json!({ "category": "call", "body": "Spoke to the school." })),
        )
        .await;
    let vol = server.login(w.person("vol_away")).await;
    server.get(&format!("/v1/cases/{a}"), &vol).await;

    let c = db.owner.get().await.unwrap();
    let rows = c
        .query(
            "SELECT action, case_id, actor_device, detail FROM audit_log ORDER BY seq",
            &[],
        )
        .await
        .unwrap();
    let find = |action: &str| {
        rows.iter()
            .find(|r| r.get::<_, String>(0) == action)
            .unwrap_or_else(|| panic!("{action} not audited"))
    };
    let read = find("case_read");
    assert_eq!(read.get::<_, Option<uuid::Uuid>>(1), Some(a), "which case");
    assert!(
        read.get::<_, Option<uuid::Uuid>>(2).is_some(),
        "which device"
    );
    for action in [
        "login_succeeded",
        "login_failed",
        "token_issued",
        "photo_downloaded",
        "note_added",
        "access_denied",
    ] {
        find(action);
    }
    for r in &rows {
        let detail: String = r.get(3);
        assert!(
            !detail.contains("Maya")
                && !detail.contains("Okafor")
                && !detail.contains(super::harness::MARK),
            "personal data in the audit log: {detail}"
        );
    }
}
