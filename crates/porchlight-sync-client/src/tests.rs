//! Unit tests of the engine and the client against an in-memory replica and a local HTTP stub:
//! the order of a sync, batching, paging, compression, each error the service can answer, the
//! injected faults, and resumable photo transfers. The real service is tested in `tests/`.

use crate::stub::{Answer, Seen, Stub};
use crate::*;
use chrono::{DateTime, TimeZone, Utc};
use porchlight_domain::{EnrolForm, SyncProgress};
use porchlight_sync::*;
use serde_json::json;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn server_stamp() -> Stamp {
    Stamp::at(t0(), ReplicaId(0x5e5e))
}

fn hello() -> Hello {
    Hello {
        protocol: PROTOCOL_VERSION,
        min_protocol: MIN_PROTOCOL_VERSION,
        device_id: Uuid::nil(),
        user_id: Uuid::nil(),
        username: "ana.field".into(),
        display_name: "Ana Field".into(),
        role: "case_manager".into(),
        server_time: t0(),
        server_stamp: server_stamp(),
    }
}

fn op(n: u128) -> Op {
    Op {
        id: Uuid::from_u128(n),
        case_id: Uuid::from_u128(1_000_000 + n % 7),
        stamp: Stamp::at(t0(), ReplicaId(7)),
        resolves: vec![],
        body: OpBody::Set {
            entity: Entity::Case,
            record_id: Uuid::from_u128(1_000_000 + n % 7),
            fields: vec![FieldWrite { field: "event.city".into(), value: json!(format!("Town {n}")), base: None }],
        },
    }
}

fn conflict(id: u128) -> ConflictRecord {
    let side = |v: &str| ConflictSide { value: json!(v), stamp: server_stamp(), op_id: Uuid::nil(), device_id: Uuid::nil(), by: "Test Person".into() };
    ConflictRecord {
        id: Uuid::from_u128(id),
        case_id: Uuid::from_u128(1_000_000),
        entity: Entity::Case,
        record_id: Uuid::from_u128(1_000_000),
        field: "event.city".into(),
        kept: side("Tulsa"),
        other: side("Norman"),
        resolution: None,
    }
}

/// A replica held in memory that records what the engine asked of it, in order.
#[derive(Default)]
struct Memory {
    outbox: Vec<Op>,
    cursor: Cursor,
    calls: Vec<String>,
    /// Answered ops it wrongly keeps, to prove the engine does not loop forever.
    keep_answered: bool,
    to_upload: Vec<BlobRef>,
    bytes: HashMap<String, Vec<u8>>,
    to_download: Vec<BlobRef>,
    /// Local edits made while the first push's answer is written: they join the outbox then.
    edits_during_push: Vec<Op>,
    /// Pull requests the service has received, and how many it had when each push's answer
    /// began to be written (waiting up to two seconds for one to arrive).
    pulls_asked: Option<Arc<AtomicUsize>>,
    pulls_when_pushed: Vec<usize>,
    /// For each page stored, whether what it was stored with was made of that page on another
    /// thread than the one storing it.
    prepared_elsewhere: Vec<bool>,
    /// Every page stored, as it was read.
    pulled: Vec<PullPage>,
}

impl Replica for Memory {
    type Error = Infallible;
    fn observe_server(&mut self, _: &Hello, _: DateTime<Utc>) -> Result<(), Infallible> {
        self.calls.push("observe".into());
        Ok(())
    }
    fn restamp_ahead(&mut self, _: &Hello, _: DateTime<Utc>) -> Result<u64, Infallible> {
        self.calls.push("restamp".into());
        Ok(0)
    }
    fn outbox(&self, limit: usize) -> Result<Vec<Op>, Infallible> {
        Ok(self.outbox.iter().take(limit).cloned().collect())
    }
    fn pending_count(&self) -> Result<u64, Infallible> {
        Ok(self.outbox.len() as u64)
    }
    fn apply_push(&mut self, pushed: &[Op], response: &PushResponse, _: DateTime<Utc>) -> Result<(), Infallible> {
        self.calls.push(format!("apply_push {}", pushed.len()));
        assert_eq!(pushed.len(), response.results.len());
        if let Some(asked) = &self.pulls_asked {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while asked.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            self.pulls_when_pushed.push(asked.load(Ordering::SeqCst));
        }
        if !self.keep_answered {
            self.outbox.retain(|o| !pushed.iter().any(|p| p.id == o.id));
        }
        self.cursor = response.cursor_after(self.cursor);
        self.outbox.append(&mut self.edits_during_push);
        Ok(())
    }
    fn cursor(&self) -> Result<Cursor, Infallible> {
        Ok(self.cursor)
    }
    /// The cursor of the page and the thread it was made ready on.
    type Prepared = (Cursor, std::thread::ThreadId);
    fn prepare_pull(page: &PullPage) -> Self::Prepared {
        (page.cursor, std::thread::current().id())
    }
    fn apply_pull(&mut self, page: &PullPage, _: DateTime<Utc>) -> Result<(), Infallible> {
        self.calls.push(format!("apply_pull {}", page.cursor));
        self.cursor = page.cursor;
        self.pulled.push(page.clone());
        Ok(())
    }
    fn apply_prepared_pull(&mut self, page: &PullPage, (cursor, thread): &Self::Prepared, wall: DateTime<Utc>) -> Result<(), Infallible> {
        self.prepared_elsewhere.push(*cursor == page.cursor && *thread != std::thread::current().id());
        self.apply_pull(page, wall)
    }
    fn blobs_to_upload(&self) -> Result<Vec<BlobRef>, Infallible> {
        Ok(self.to_upload.clone())
    }
    fn blob_bytes(&self, sha256: &str) -> Result<Vec<u8>, Infallible> {
        Ok(self.bytes[sha256].clone())
    }
    fn mark_uploaded(&mut self, sha256: &str) -> Result<(), Infallible> {
        self.calls.push(format!("uploaded {}", &sha256[..8]));
        self.to_upload.retain(|b| b.sha256 != sha256);
        Ok(())
    }
    fn blobs_to_download(&self) -> Result<Vec<BlobRef>, Infallible> {
        Ok(self.to_download.clone())
    }
    fn store_blob(&mut self, blob: &BlobRef, bytes: &[u8]) -> Result<(), Infallible> {
        self.calls.push(format!("stored {}", &blob.sha256[..8]));
        self.bytes.insert(blob.sha256.clone(), bytes.to_vec());
        self.to_download.retain(|b| b.sha256 != blob.sha256);
        Ok(())
    }
}

/// A service that applies every op, and serves `pages` pull pages in turn.
fn service(pages: Vec<PullPage>, push_conflict: Option<ConflictRecord>) -> Stub {
    service_counting(pages, push_conflict).0
}

/// `service`, with the count of pull requests it has received.
fn service_counting(pages: Vec<PullPage>, push_conflict: Option<ConflictRecord>) -> (Stub, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counted = served.clone();
    let stub = Stub::start(move |req: &Seen| {
        let path = req.path.split('?').next().unwrap();
        match (req.method.as_str(), path) {
            ("GET", "/v1/sync/hello") => Answer::zstd_json(200, &hello()),
            ("POST", "/v1/sync/push") => {
                let push: PushRequest = serde_json::from_slice(&req.body).unwrap();
                let results = push
                    .ops
                    .iter()
                    .enumerate()
                    .map(|(i, o)| OpResult {
                        op_id: o.id,
                        outcome: if o.id.as_u128() % 10 == 3 {
                            Outcome::Rejected { code: RejectCode::NotAllowed, reason: "Your role may not edit cases.".into() }
                        } else {
                            Outcome::Applied { seq: i as i64 + 1 }
                        },
                        current: vec![],
                        conflicts: push_conflict.clone().filter(|_| i == 0).into_iter().collect(),
                    })
                    .collect();
                Answer::zstd_json(200, &PushResponse { results, server_time: t0(), server_stamp: server_stamp(), own_rows: None })
            }
            ("GET", "/v1/sync/pull") => {
                let n = served.fetch_add(1, Ordering::SeqCst);
                Answer::zstd_json(200, &pages[n.min(pages.len() - 1)])
            }
            _ => Answer::json(404, &json!({"code": "not_found", "message": "No such endpoint."})),
        }
    });
    (stub, counted)
}

fn page(seq: i64, changes: Vec<Change>, removed: Vec<Uuid>, has_more: bool) -> PullPage {
    PullPage { removed_cases: removed, removed_photos: vec![], changes, cursor: Cursor { seq, epoch: 1 }, has_more, server_time: t0(), server_stamp: server_stamp(), whole: None }
}

fn wall() -> DateTime<Utc> {
    t0()
}

#[test]
fn a_sync_says_hello_pushes_the_whole_outbox_in_batches_then_pulls_every_page() {
    let pages = vec![
        page(10, vec![Change::Conflict(conflict(1)), Change::Conflict(conflict(2))], vec![Uuid::from_u128(77)], true),
        page(12, vec![Change::Conflict(conflict(2))], vec![], false),
    ];
    let stub = service(pages, Some(conflict(1)));
    let remote = Remote::new(&stub.url, "device-token").unwrap();
    let mut replica = Memory { outbox: (1..=2500).map(op).collect(), ..Default::default() };
    let run = sync_run(&remote, &mut replica, &wall).unwrap();

    assert_eq!(
        stub.paths(),
        ["GET /v1/sync/hello", "POST /v1/sync/push", "POST /v1/sync/push", "POST /v1/sync/push", "GET /v1/sync/pull", "GET /v1/sync/pull"]
    );
    assert_eq!(replica.calls, ["observe", "restamp", "apply_push 1000", "apply_push 1000", "apply_push 500", "apply_pull 10.1", "apply_pull 12.1"]);
    assert!(replica.outbox.is_empty());
    assert_eq!(replica.cursor, Cursor { seq: 12, epoch: 1 });
    // Ids ending in 3 (250 of them) are refused by this service.
    assert_eq!((run.report.pushed, run.report.rejected), (2250, 250));
    assert_eq!(run.refused.len(), 250);
    assert_eq!(run.refused[0].reason, "Your role may not edit cases.");
    assert_eq!(run.report.pulled, 3);
    assert_eq!(run.report.removed_cases, 1);
    // Conflict 1 is raised by the push and pulled back, conflict 2 pulled twice: two in all.
    assert_eq!(run.report.conflicts, 2);

    let seen = stub.seen();
    let pull = &seen[4];
    assert_eq!(pull.path, "/v1/sync/pull?cursor=0.0&limit=5000");
    assert_eq!(seen[5].path, "/v1/sync/pull?cursor=10.1&limit=5000", "the next page starts at the cursor of the last");
    for s in &seen {
        assert_eq!(s.header("porchlight-protocol"), Some(PROTOCOL_VERSION.to_string().as_str()), "{}", s.path);
        assert_eq!(s.header("authorization"), Some("Bearer device-token"));
        assert!(s.header("accept-encoding").unwrap_or("").contains("zstd"));
    }
    let push = &seen[1];
    assert_eq!(push.header("content-encoding"), Some("zstd"));
    assert!(push.wire_len * 5 < push.body.len(), "a push of 1000 similar ops compresses well: {} of {}", push.wire_len, push.body.len());
    let (sent, received) = remote.bytes_on_wire();
    let pushed_on_wire: usize = seen.iter().map(|s| s.wire_len).sum();
    assert_eq!(sent, pushed_on_wire as u64);
    assert!(received > 0);
}

#[test]
fn a_sync_counts_the_time_it_waited_for_pages_that_had_not_come() {
    // Each page takes the service 40 ms to make; storing one takes this replica no time, so the
    // sync waits for every page, at least 120 ms for three, and says so.
    let pages = vec![page(10, vec![], vec![Uuid::from_u128(1)], true), page(11, vec![], vec![Uuid::from_u128(2)], true), page(12, vec![], vec![], false)];
    let served = Arc::new(AtomicUsize::new(0));
    let stub = Stub::start(move |req: &Seen| {
        assert_eq!(req.path.split('?').next(), Some("/v1/sync/pull"), "nothing to push: the sync only pulls");
        std::thread::sleep(std::time::Duration::from_millis(40));
        Answer::zstd_json(200, &pages[served.fetch_add(1, Ordering::SeqCst)])
    });
    let remote = Remote::new(&stub.url, "device-token").unwrap();
    let mut replica = Memory::default();
    let run = sync_run(&remote, &mut replica, &wall).unwrap();
    assert_eq!(replica.calls, ["apply_pull 10.1", "apply_pull 11.1", "apply_pull 12.1"]);
    assert!(run.waited_for_pages >= std::time::Duration::from_millis(120), "{:?}", run.waited_for_pages);
}

#[test]
fn pages_sent_in_the_column_form_are_stored_as_the_pages_they_were() {
    let pages = vec![
        page(10, vec![Change::Conflict(conflict(1)), Change::Conflict(conflict(2))], vec![Uuid::from_u128(1)], true),
        page(11, vec![Change::Conflict(conflict(3))], vec![], false),
    ];
    let sent = pages.clone();
    let served = Arc::new(AtomicUsize::new(0));
    let stub = Stub::start(move |req: &Seen| {
        let accept = req.header("accept").unwrap_or("");
        assert!(accept.starts_with(porchlight_sync::columns::COLUMNS_MEDIA_TYPE), "a pull asks for the column form first: {accept}");
        assert!(accept.contains("application/json"), "and takes rows from a service without it: {accept}");
        let rows = serde_json::to_string(&pages[served.fetch_add(1, Ordering::SeqCst)]).unwrap();
        let columns = porchlight_sync::columns::to_columns(&rows).unwrap();
        Answer {
            status: 200,
            headers: vec![
                ("content-type".into(), porchlight_sync::columns::COLUMNS_MEDIA_TYPE.into()),
                ("content-encoding".into(), "zstd".into()),
            ],
            body: zstd::bulk::compress(columns.as_bytes(), 3).unwrap(),
        }
    });
    let remote = Remote::new(&stub.url, "device-token").unwrap();
    let mut replica = Memory::default();
    sync_run(&remote, &mut replica, &wall).unwrap();
    assert_eq!(replica.calls, ["apply_pull 10.1", "apply_pull 11.1"]);
    assert_eq!(replica.pulled, sent);
}

#[test]
fn every_page_is_made_ready_on_the_fetching_thread_and_stored_with_what_was_made_of_it() {
    let pages = vec![page(10, vec![], vec![Uuid::from_u128(1)], true), page(11, vec![Change::Conflict(conflict(1))], vec![], true), page(12, vec![], vec![], false)];
    let stub = service(pages, None);
    let remote = Remote::new(&stub.url, "device-token").unwrap();
    // The first page is asked for during the push, the others during the pull.
    let mut replica = Memory { outbox: vec![op(1)], ..Default::default() };
    sync_run(&remote, &mut replica, &wall).unwrap();
    assert_eq!(replica.calls, ["observe", "restamp", "apply_push 1", "apply_pull 10.1", "apply_pull 11.1", "apply_pull 12.1"]);
    assert_eq!(replica.prepared_elsewhere, [true, true, true]);
}

#[test]
fn a_sync_tells_how_far_it_has_come_after_each_batch_sent_and_each_page_received() {
    let changes = |from: u128, n: u128| (from..from + n).map(|i| Change::Conflict(conflict(i))).collect::<Vec<_>>();
    let with = |mut p: PullPage, sent, left| {
        p.whole = Some(WholeCases { sent, left });
        p
    };
    // The service counts what is left on the first page of its scan and on the last; the
    // device takes the pages between off the count.
    let pages = vec![
        with(page(10, changes(1, 4), vec![], true), 2, Some(7)),
        with(page(20, changes(5, 6), vec![], true), 3, None),
        with(page(30, changes(11, 5), vec![], true), 4, Some(0)),
        page(40, changes(16, 1), vec![], false),
    ];
    let stub = service(pages, None);
    let remote = Remote::new(&stub.url, "t").unwrap();
    let mut replica = Memory { outbox: (1..=2500).map(op).collect(), ..Default::default() };
    let mut told: Vec<SyncProgress> = Vec::new();
    sync_run_watched(&remote, &mut replica, &wall, &mut |p| told.push(*p)).unwrap();
    let at = |sent, cases_received, cases_left, changes_received| SyncProgress { sent, to_send: 2500, cases_received, cases_left, changes_received };
    assert_eq!(
        told,
        [
            at(1000, 0, None, 0),
            at(2000, 0, None, 0),
            at(2500, 0, None, 0),
            at(2500, 2, Some(7), 4),
            at(2500, 5, Some(4), 10),
            at(2500, 9, Some(0), 15),
            at(2500, 9, Some(0), 16),
        ]
    );
}

#[test]
fn the_first_page_is_asked_for_while_the_last_push_answer_is_written() {
    let (stub, pulls) = service_counting(vec![page(4, vec![], vec![], false)], None);
    let remote = Remote::new(&stub.url, "t").unwrap();
    let mut replica = Memory { outbox: (1..=200).map(op).collect(), pulls_asked: Some(pulls), ..Default::default() };
    sync_once(&remote, &mut replica, &wall).unwrap();
    assert_eq!(replica.pulls_when_pushed, [1], "the service had the pull request before the push answer was written");
    assert_eq!(stub.paths(), ["GET /v1/sync/hello", "POST /v1/sync/push", "GET /v1/sync/pull"]);
    assert_eq!(replica.calls, ["observe", "restamp", "apply_push 200", "apply_pull 4.1"]);
}

/// A push whose answer holds all of its rows in the change log, right after the device's
/// cursor: the first page is asked for past them, so the device's own changes do not come back.
#[test]
fn a_push_whose_answer_holds_its_own_rows_is_not_pulled_back() {
    let stub = Stub::start(|req: &Seen| match (req.method.as_str(), req.path.split('?').next().unwrap()) {
        ("GET", "/v1/sync/hello") => Answer::zstd_json(200, &hello()),
        ("POST", "/v1/sync/push") => {
            let push: PushRequest = serde_json::from_slice(&req.body).unwrap();
            let n = push.ops.len() as i64;
            let results = push
                .ops
                .iter()
                .enumerate()
                .map(|(i, o)| OpResult { op_id: o.id, outcome: Outcome::Applied { seq: 7 + i as i64 + 1 }, current: vec![], conflicts: vec![] })
                .collect();
            let own_rows = Some(porchlight_sync::OwnRows { after: 7, last: 7 + n });
            Answer::zstd_json(200, &PushResponse { results, server_time: t0(), server_stamp: server_stamp(), own_rows })
        }
        ("GET", "/v1/sync/pull") => Answer::zstd_json(200, &page(req.path.split("cursor=").nth(1).unwrap().split(['.', '&']).next().unwrap().parse().unwrap(), vec![], vec![], false)),
        _ => Answer::json(404, &json!({"code": "not_found", "message": "No such endpoint."})),
    });
    let remote = Remote::new(&stub.url, "t").unwrap();
    let mut replica = Memory { outbox: (1..=20).map(op).collect(), cursor: Cursor { seq: 7, epoch: 1 }, ..Default::default() };
    sync_once(&remote, &mut replica, &wall).unwrap();
    let pulls: Vec<String> = stub.seen().iter().filter(|s| s.path.starts_with("/v1/sync/pull")).map(|s| s.path.clone()).collect();
    assert_eq!(pulls.len(), 1, "{pulls:?}");
    assert!(pulls[0].contains("cursor=27.1"), "asked past the push's 20 rows: {pulls:?}");
    assert_eq!(replica.cursor, Cursor { seq: 27, epoch: 1 });

    // A device behind the rows before the push (another device wrote first) pulls them all.
    let mut behind = Memory { outbox: (1..=20).map(op).collect(), cursor: Cursor { seq: 5, epoch: 1 }, ..Default::default() };
    sync_once(&remote, &mut behind, &wall).unwrap();
    let pulls: Vec<String> = stub.seen().iter().filter(|s| s.path.starts_with("/v1/sync/pull")).map(|s| s.path.clone()).collect();
    assert!(pulls[1].contains("cursor=5.1"), "{pulls:?}");
}

#[test]
fn edits_made_while_a_push_is_answered_are_pushed_and_the_early_page_is_dropped() {
    let asked_early = page(4, vec![Change::Conflict(conflict(1))], vec![], false);
    let asked_after = page(6, vec![], vec![], false);
    let stub = service(vec![asked_early, asked_after], None);
    let remote = Remote::new(&stub.url, "t").unwrap();
    let mut replica = Memory { outbox: vec![op(1)], edits_during_push: vec![op(2)], ..Default::default() };
    let report = sync_once(&remote, &mut replica, &wall).unwrap();
    assert_eq!(stub.paths(), ["GET /v1/sync/hello", "POST /v1/sync/push", "GET /v1/sync/pull", "POST /v1/sync/push", "GET /v1/sync/pull"]);
    // The page asked for before the second push is never applied; the one asked for after it is.
    assert_eq!(replica.calls, ["observe", "restamp", "apply_push 1", "apply_push 1", "apply_pull 6.1"]);
    assert_eq!((report.pushed, report.pulled, report.conflicts), (2, 0, 0));
    assert!(replica.outbox.is_empty());
}

#[test]
fn an_empty_outbox_syncs_in_one_round_trip_with_neither_hello_nor_push() {
    let stub = service(vec![page(3, vec![], vec![], false)], None);
    let remote = Remote::new(&stub.url, "t").unwrap();
    let mut replica = Memory::default();
    let report = sync_once(&remote, &mut replica, &wall).unwrap();
    assert_eq!(stub.paths(), ["GET /v1/sync/pull"]);
    assert_eq!(replica.calls, ["apply_pull 3.1"], "the page's clock is the only one folded in");
    assert_eq!(report, porchlight_domain::SyncReport::default());
}

#[test]
fn a_device_with_nothing_to_send_still_hears_that_it_was_revoked_wiped_or_is_outdated() {
    let answers = [
        (401, json!({"code": "unauthenticated", "message": "This device's access was revoked; log in again.", "fields": []})),
        (410, json!({"code": "wipe_requested", "message": "This device was flagged for wipe", "fields": []})),
        (409, json!({"min_protocol": 7, "max_protocol": 9, "message": "Update the app."})),
    ];
    for (status, body) in answers {
        let stub = answering(status, body);
        let mut replica = Memory::default();
        let e = sync_once(&Remote::new(&stub.url, "t").unwrap(), &mut replica, &wall).unwrap_err();
        assert_eq!(stub.paths(), ["GET /v1/sync/pull"]);
        let told = match status {
            401 => matches!(e, SyncError::Revoked { .. }),
            410 => matches!(e, SyncError::WipeRequested),
            _ => matches!(e, SyncError::ProtocolMismatch { min: 7, max: 9 }),
        };
        assert!(told, "{status}: {e:?}");
        assert!(replica.calls.is_empty(), "nothing was stored: {:?}", replica.calls);
    }
}

#[test]
fn a_replica_that_keeps_answered_ops_is_reported_not_pushed_forever() {
    let stub = service(vec![page(0, vec![], vec![], false)], None);
    let remote = Remote::new(&stub.url, "t").unwrap();
    let mut replica = Memory { outbox: vec![op(1)], keep_answered: true, ..Default::default() };
    let e = sync_once(&remote, &mut replica, &wall).unwrap_err();
    assert!(matches!(e, SyncError::Replica(_)), "{e:?}");
    assert_eq!(stub.paths().iter().filter(|p| p.contains("push")).count(), 1);
}

#[test]
fn a_page_that_promises_more_without_moving_on_ends_the_sync() {
    let stub = service(vec![page(0, vec![], vec![], true)], None);
    let remote = Remote::new(&stub.url, "t").unwrap();
    let mut replica = Memory::default();
    let e = sync_once(&remote, &mut replica, &wall).unwrap_err();
    assert!(matches!(e, SyncError::Server { .. }), "{e:?}");
    assert!(e.to_string().contains("promised more"), "{e}");
}

/// A service that answers every request with one status and body.
fn answering(status: u16, body: serde_json::Value) -> Stub {
    Stub::start(move |_| Answer::json(status, &body))
}

#[test]
fn each_refusal_of_the_service_becomes_its_own_error() {
    let remote_for = |stub: &Stub| Remote::new(&stub.url, "t").unwrap();

    let stub = answering(401, json!({"code": "unauthenticated", "message": "This device's access was revoked; log in again.", "fields": []}));
    match remote_for(&stub).hello() {
        Err(SyncError::Revoked { message }) => assert!(message.contains("revoked")),
        other => panic!("{other:?}"),
    }

    let stub = answering(410, json!({"code": "wipe_requested", "message": "This device was flagged for wipe", "fields": []}));
    assert!(matches!(remote_for(&stub).pull(Cursor::START, 10), Err(SyncError::WipeRequested)));

    let stub = answering(409, json!({"min_protocol": 2, "max_protocol": 3, "message": "Update the app."}));
    let e = remote_for(&stub).push(&[op(1)]).unwrap_err();
    assert!(matches!(e, SyncError::ProtocolMismatch { min: 2, max: 3 }), "{e:?}");
    let app = porchlight_domain::AppError::from(e);
    assert_eq!(app.code, porchlight_domain::ErrorCode::ProtocolMismatch);
    assert!(app.message.contains("Update Porchlight"), "{}", app.message);

    let stub = answering(503, json!({"code": "unavailable", "message": "The database is unavailable; try again shortly.", "fields": []}));
    let e = remote_for(&stub).hello().unwrap_err();
    assert!(matches!(&e, SyncError::Server { status: 503, .. }) && e.ends_sync(), "{e:?}");

    let stub = answering(404, json!({"code": "not_found", "message": "No such endpoint."}));
    assert!(matches!(remote_for(&stub).hello(), Err(SyncError::ProtocolMismatch { min: 0, max: 0 })));

    let stub = Stub::start(|_| Answer { status: 200, headers: vec![], body: b"<html>proxy login</html>".to_vec() });
    let e = remote_for(&stub).hello().unwrap_err();
    assert!(matches!(&e, SyncError::Server { status: 200, message } if message.contains("could not be read")), "{e:?}");

    let stub = Stub::start(|_| Answer { status: 301, headers: vec![("location".into(), "https://sync.example.org/".into())], body: vec![] });
    let e = remote_for(&stub).hello().unwrap_err();
    assert!(matches!(&e, SyncError::Invalid { field: "server_url", message } if message.contains("https://sync.example.org/")), "{e:?}");
}

#[test]
fn a_service_that_is_not_there_is_unreachable_and_says_where() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let remote = Remote::new(&url, "t").unwrap();
    let mut replica = Memory { outbox: vec![op(1)], ..Default::default() };
    let e = sync_once(&remote, &mut replica, &wall).unwrap_err();
    let SyncError::Unreachable { server, detail } = &e else { panic!("{e:?}") };
    assert_eq!(server, &url);
    assert!(detail.contains("refused"), "{detail}");
    assert_eq!(replica.outbox.len(), 1, "nothing leaves the outbox without an answer");
    let app = porchlight_domain::AppError::from(e);
    assert_eq!(app.code, porchlight_domain::ErrorCode::ServiceUnreachable);
    assert!(app.message.contains(&url) && app.message.contains("kept"), "{}", app.message);
}

#[test]
fn a_reply_lost_after_the_service_acted_leaves_the_op_to_be_sent_again() {
    let stub = service(vec![page(3, vec![], vec![], false)], None);
    let lose_first_push = Arc::new(AtomicUsize::new(0));
    let hook: FaultHook = {
        let n = lose_first_push.clone();
        Arc::new(move |_path: &str, phase: Phase| (phase == Phase::Push && n.fetch_add(1, Ordering::SeqCst) == 0).then_some(Fault::LoseReply))
    };
    let remote = Remote::new(&stub.url, "t").unwrap().with_fault_hook(hook);
    let mut replica = Memory { outbox: vec![op(1), op(2)], ..Default::default() };
    let e = sync_once(&remote, &mut replica, &wall).unwrap_err();
    assert!(matches!(e, SyncError::Unreachable { .. }), "{e:?}");
    assert_eq!(replica.outbox.len(), 2);
    assert_eq!(stub.paths().last().unwrap(), "POST /v1/sync/push", "the service did get the push");
    let report = sync_once(&remote, &mut replica, &wall).unwrap();
    assert_eq!(report.pushed, 2);
    assert!(replica.outbox.is_empty());
}

#[test]
fn a_duplicated_request_reaches_the_service_twice_and_the_second_answer_is_used() {
    let stub = service(vec![page(3, vec![], vec![], false)], None);
    let hook: FaultHook = Arc::new(|_: &str, phase: Phase| (phase == Phase::Push).then_some(Fault::Duplicate));
    let remote = Remote::new(&stub.url, "t").unwrap().with_fault_hook(hook);
    let mut replica = Memory { outbox: vec![op(1)], ..Default::default() };
    let report = sync_once(&remote, &mut replica, &wall).unwrap();
    assert_eq!(report.pushed, 1);
    assert_eq!(stub.paths().iter().filter(|p| p.contains("push")).count(), 2);
}

#[test]
fn offline_means_nothing_is_sent() {
    let stub = service(vec![page(3, vec![], vec![], false)], None);
    let remote = Remote::new(&stub.url, "t").unwrap().with_fault_hook(Arc::new(|_: &str, _| Some(Fault::Offline)));
    let e = remote.hello().unwrap_err();
    assert!(matches!(e, SyncError::Unreachable { .. }));
    assert!(stub.seen().is_empty());
}

/// A blob store as the service keeps one: partial uploads by offset, a check at completion,
/// ranged downloads.
fn blob_service(held: Arc<Mutex<HashMap<String, Vec<u8>>>>) -> Stub {
    let partial: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    Stub::start(move |req: &Seen| {
        let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let sha = parts.get(2).copied().unwrap_or_default().to_owned();
        let mut partial = partial.lock().unwrap();
        let mut held = held.lock().unwrap();
        match (req.method.as_str(), parts.get(3).copied()) {
            ("HEAD", None) => Answer::status(if held.contains_key(&sha) { 200 } else { 404 }),
            ("GET", Some("upload")) => Answer::json(200, &UploadState { received: partial.get(&sha).map_or(0, |p| p.len() as u64) }),
            ("PUT", Some("upload")) => {
                let offset: u64 = query.trim_start_matches("offset=").parse().unwrap();
                let got = partial.entry(sha).or_default();
                if offset != got.len() as u64 {
                    return Answer::json(409, &UploadState { received: got.len() as u64 });
                }
                got.extend_from_slice(&req.body);
                Answer::json(200, &UploadState { received: got.len() as u64 })
            }
            ("POST", Some("complete")) => {
                let bytes = partial.remove(&sha).unwrap_or_default();
                if crate::remote::sha256_hex(&bytes) != sha {
                    return Answer::json(422, &json!({"code": "validation", "message": "The bytes do not match.", "fields": []}));
                }
                held.insert(sha, bytes);
                Answer::status(201)
            }
            ("GET", None) => match held.get(&sha) {
                None => Answer::json(404, &json!({"code": "not_found", "message": "No photo with this id that you may see.", "fields": []})),
                Some(bytes) => match req.header("range").and_then(|r| r.strip_prefix("bytes=")).and_then(|r| r.strip_suffix('-')) {
                    Some(from) => Answer::bytes(206, bytes[from.parse::<usize>().unwrap()..].to_vec()),
                    None => Answer::bytes(200, bytes.clone()),
                },
            },
            _ => Answer::status(404),
        }
    })
}

fn photo(len: usize, seed: u8) -> (BlobRef, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
    (BlobRef { sha256: crate::remote::sha256_hex(&bytes), mime: "image/png".into(), size: len as u64 }, bytes)
}

#[test]
fn an_interrupted_upload_resumes_where_the_service_stopped_receiving() {
    let held = Arc::default();
    let stub = blob_service(Arc::clone(&held));
    let (blob, bytes) = photo(BLOB_CHUNK * 2 + BLOB_CHUNK / 2, 1);
    let chunks = Arc::new(AtomicUsize::new(0));
    let hook: FaultHook = {
        let chunks = chunks.clone();
        Arc::new(move |_: &str, phase: Phase| (phase == Phase::BlobChunk && chunks.fetch_add(1, Ordering::SeqCst) == 1).then_some(Fault::CutAfter(1000)))
    };
    let remote = Remote::new(&stub.url, "t").unwrap().with_fault_hook(hook);
    let e = remote.upload_blob(&blob, &bytes).unwrap_err();
    assert!(matches!(e, SyncError::Unreachable { .. }), "{e:?}");
    assert!(held.lock().unwrap().is_empty());

    remote.upload_blob(&blob, &bytes).unwrap();
    assert_eq!(held.lock().unwrap()[&blob.sha256], bytes);
    let puts: Vec<String> = stub.seen().iter().filter(|s| s.method == "PUT").map(|s| s.path.split('=').nth(1).unwrap().to_owned()).collect();
    let resumed_at = (BLOB_CHUNK + 1000).to_string();
    assert_eq!(puts, ["0", &BLOB_CHUNK.to_string(), resumed_at.as_str(), &(2 * BLOB_CHUNK + 1000).to_string()]);
    let sent: usize = stub.seen().iter().filter(|s| s.method == "PUT").map(|s| s.wire_len).sum();
    assert_eq!(sent, bytes.len(), "no byte the service kept is sent twice");

    // Held now: a third upload only asks.
    let before = stub.seen().len();
    remote.upload_blob(&blob, &bytes).unwrap();
    assert_eq!(stub.paths()[before..], ["HEAD /v1/blobs/".to_owned() + &blob.sha256]);
}

#[test]
fn an_upload_the_service_finds_damaged_is_sent_once_more_then_reported() {
    let (blob, bytes) = photo(5000, 2);
    // A service that damages every upload: it receives the bytes, then finds them wrong.
    let stub = Stub::start(|req: &Seen| match (req.method.as_str(), req.path.rsplit('/').next().unwrap().split('?').next().unwrap()) {
        ("HEAD", _) => Answer::status(404),
        ("GET", "upload") => Answer::json(200, &UploadState { received: 0 }),
        ("PUT", "upload") => Answer::json(200, &UploadState { received: req.body.len() as u64 }),
        ("POST", "complete") => Answer::json(422, &json!({"code": "validation", "message": "The bytes do not match their SHA-256.", "fields": []})),
        _ => Answer::status(404),
    });
    let remote = Remote::new(&stub.url, "t").unwrap();
    // Bytes that do not match their own name are refused before anything is sent.
    let wrong = BlobRef { sha256: crate::remote::sha256_hex(b"other"), ..blob.clone() };
    assert!(matches!(remote.upload_blob(&wrong, &bytes), Err(SyncError::Integrity(_))));
    assert!(stub.seen().is_empty());

    let e = remote.upload_blob(&blob, &bytes).unwrap_err();
    assert!(matches!(&e, SyncError::Integrity(m) if m.contains("damaged twice")), "{e:?}");
    assert!(!e.ends_sync(), "one damaged photo does not stop the rest of the sync");
    let completes = stub.paths().iter().filter(|p| p.ends_with("/complete")).count();
    let puts = stub.paths().iter().filter(|p| p.starts_with("PUT")).count();
    assert_eq!((completes, puts), (2, 2), "sent in full once more, then given up until the next sync");
}

#[test]
fn a_cut_download_resumes_with_a_range_and_is_checked() {
    let held: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let (blob, bytes) = photo(300_000, 3);
    held.lock().unwrap().insert(blob.sha256.clone(), bytes.clone());
    let stub = blob_service(held.clone());
    let cuts = Arc::new(AtomicUsize::new(0));
    let hook: FaultHook = {
        let cuts = cuts.clone();
        Arc::new(move |_: &str, phase: Phase| (phase == Phase::BlobDownload && cuts.fetch_add(1, Ordering::SeqCst) < 2).then_some(Fault::CutAfter(70_000)))
    };
    let remote = Remote::new(&stub.url, "t").unwrap().with_fault_hook(hook);
    assert_eq!(remote.download_blob(&blob).unwrap(), bytes);
    let ranges: Vec<Option<String>> = stub.seen().iter().map(|s| s.header("range").map(str::to_owned)).collect();
    assert_eq!(ranges, [None, Some("bytes=70000-".into()), Some("bytes=140000-".into())]);
    assert!(stub.seen().iter().all(|s| s.header("accept-encoding") == Some("identity")));

    // Damaged on the way: refused, whatever the length.
    let (other, _) = photo(300_000, 4);
    held.lock().unwrap().insert(other.sha256.clone(), bytes.clone());
    let e = Remote::new(&stub.url, "t").unwrap().download_blob(&other).unwrap_err();
    assert!(matches!(&e, SyncError::Integrity(m) if m.contains("damaged")), "{e:?}");
}

#[test]
fn photos_go_up_before_the_push_and_come_down_after_the_pull() {
    let held: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let (up, up_bytes) = photo(2000, 5);
    let (down, down_bytes) = photo(3000, 6);
    let (missing, _) = photo(10, 7);
    held.lock().unwrap().insert(down.sha256.clone(), down_bytes.clone());
    let blobs = blob_service(held.clone());
    let sync = service(vec![page(4, vec![], vec![], false)], None);
    // One address for both: the sync paths go to one stub, the blob paths to the other.
    let front = Stub::start(move |req: &Seen| {
        let target = if req.path.starts_with("/v1/blobs") { &blobs.url } else { &sync.url };
        forward(target, req)
    });
    let remote = Remote::new(&front.url, "t").unwrap();
    let mut replica = Memory {
        outbox: vec![op(1)],
        to_upload: vec![up.clone()],
        bytes: HashMap::from([(up.sha256.clone(), up_bytes.clone())]),
        to_download: vec![down.clone(), missing.clone()],
        ..Default::default()
    };
    let run = sync_run(&remote, &mut replica, &wall).unwrap();
    assert_eq!(
        replica.calls,
        ["observe".to_owned(), "restamp".into(), format!("uploaded {}", &up.sha256[..8]), "apply_push 1".into(), "apply_pull 4.1".into(), format!("stored {}", &down.sha256[..8])]
    );
    assert_eq!((run.report.blobs_up, run.report.blobs_down), (1, 1));
    assert_eq!(held.lock().unwrap()[&up.sha256], up_bytes);
    assert_eq!(replica.bytes[&down.sha256], down_bytes);
    // The photo the service does not hold yet waits for the next sync.
    assert_eq!(run.blob_problems.len(), 1);
    assert_eq!(run.blob_problems[0].sha256, missing.sha256);
    assert_eq!(replica.to_download, vec![missing]);
}

/// Passes a request on to another stub, the way a reverse proxy would.
fn forward(target: &str, req: &Seen) -> Answer {
    let agent = ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build());
    let url = format!("{target}{}", req.path);
    let mut builder = ureq::http::Request::builder().method(req.method.as_str()).uri(url);
    for (k, v) in &req.headers {
        if !["content-length", "content-encoding", "host", "connection"].contains(&k.as_str()) {
            builder = builder.header(k.as_str(), v.as_str());
        }
    }
    let response = agent.run(builder.body(req.body.clone()).unwrap()).unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().iter().filter(|(k, _)| !["content-length", "connection"].contains(&k.as_str())).map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned())).collect();
    let body = if req.method == "HEAD" { vec![] } else { response.into_body().read_to_vec().unwrap() };
    Answer { status, headers, body }
}

#[test]
fn enrolment_logs_in_then_says_hello_with_the_new_token() {
    let stub = Stub::start(|req: &Seen| match req.path.as_str() {
        "/v1/login" => {
            let login: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
            if login.get("totp").is_none() {
                return Answer::json(401, &json!({"code": "totp_required", "message": "This account needs its authenticator code.", "fields": []}));
            }
            assert_eq!(login, json!({"username": "ana.field", "password": "long password here", "totp": "123456", "device_name": "Field laptop 3"}));
            Answer::json(200, &json!({
                "token": "fresh-token",
                "device_id": "0194f3a2-7c1e-7d40-9b1a-2f6e8d0c4b11",
                "user": {"id": "0194f3a2-7c1e-7d40-9b1a-2f6e8d0c4b12", "username": "ana.field", "display_name": "Ana Field", "role": "supervisor", "office_id": null, "disabled": false}
            }))
        }
        "/v1/sync/hello" => {
            assert_eq!(req.header("authorization"), Some("Bearer fresh-token"));
            Answer::zstd_json(200, &hello())
        }
        _ => Answer::status(404),
    });
    let mut form = EnrolForm { server_url: stub.url.clone(), username: "ana.field".into(), password: "long password here".into(), totp: String::new(), device_name: "Field laptop 3".into() };
    assert!(matches!(Remote::enrol(&stub.url, &form), Err(SyncError::SecondFactorRequired)));
    form.totp = "123456".into();
    let (remote, enrolment) = Remote::enrol(&stub.url, &form).unwrap();
    assert_eq!(enrolment.token, "fresh-token");
    assert_eq!(enrolment.role, "supervisor");
    assert_eq!(enrolment.display_name, "Ana Field");
    assert_eq!(enrolment.hello, hello());
    assert_eq!(remote.server_url(), stub.url);

    for (field, change) in [
        ("username", Box::new(|f: &mut EnrolForm| f.username = " ".into()) as Box<dyn Fn(&mut EnrolForm)>),
        ("password", Box::new(|f: &mut EnrolForm| f.password.clear())),
        ("device_name", Box::new(|f: &mut EnrolForm| f.device_name = "x".repeat(101))),
        ("totp", Box::new(|f: &mut EnrolForm| f.totp = "12345a".into())),
    ] {
        let mut bad = form.clone();
        change(&mut bad);
        let before = stub.seen().len();
        match Remote::enrol(&stub.url, &bad) {
            Err(SyncError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
        assert_eq!(stub.seen().len(), before, "a refused form sends nothing");
    }
}

#[test]
fn a_wrong_password_is_refused_with_the_services_words() {
    let stub = answering(401, json!({"code": "unauthenticated", "message": "The user name or password is wrong.", "fields": []}));
    let form = EnrolForm { server_url: stub.url.clone(), username: "ana".into(), password: "nope".into(), totp: String::new(), device_name: "Laptop".into() };
    let e = Remote::enrol(&stub.url, &form).unwrap_err();
    assert!(matches!(&e, SyncError::Refused { status: 401, message } if message.contains("password is wrong")), "{e:?}");
}
