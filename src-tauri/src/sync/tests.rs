//! The shell's part of sync with no window: enrolment refusals tied to their fields, and the
//! worker against a real workspace file and a service that is either gone or asks for a wipe
//! (a few lines of HTTP on a loopback port stand in for it; the real service's round trips are
//! the engine's and the end-to-end test's).

use super::schedule::{Outcome, Reason};
use super::worker::{self, Live, Message, Worker};
use super::*;
use crate::session::{lock, OpenWorkspace};
use porchlight_domain::ErrorCode;
use porchlight_store::Workspace;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const PASSPHRASE: &str = "Blue-kettle-49-sings-at-dawn";
const TOKEN: &str = "synthetic-device-token-for-tests-only-0000000";

fn form(totp: &str) -> EnrolForm {
    EnrolForm {
        server_url: "https://sync.example.org".into(),
        username: "avery".into(),
        password: "not the password".into(),
        totp: totp.into(),
        device_name: "Field laptop 3".into(),
    }
}

#[test]
fn enrol_refusals_name_the_field_to_fix() {
    let invalid = enrol_error(
        SyncError::Invalid {
            field: "username",
            message: "give the user name an administrator created for you".into(),
        },
        &form(""),
    );
    assert_eq!(invalid.code, ErrorCode::Validation);
    assert_eq!(
        invalid.fields,
        vec![FieldError::new(
            "username",
            "Give the user name an administrator created for you."
        )]
    );
    assert_eq!(
        invalid.message,
        "Give the user name an administrator created for you."
    );

    let code = enrol_error(SyncError::SecondFactorRequired, &form(""));
    assert_eq!(code.code, ErrorCode::ServiceRefused);
    assert!(code.message.contains("authenticator"), "{}", code.message);
    assert_eq!(
        code.fields
            .iter()
            .map(|f| f.field.as_str())
            .collect::<Vec<_>>(),
        ["totp"]
    );

    let refused = |totp| {
        enrol_error(
            SyncError::Refused {
                status: 401,
                message: "wrong username or password".into(),
            },
            &form(totp),
        )
    };
    let password = refused("");
    assert_eq!(password.code, ErrorCode::ServiceRefused);
    assert_eq!(
        password.message,
        "The central service refused: wrong username or password."
    );
    assert_eq!(
        password
            .fields
            .iter()
            .map(|f| f.field.as_str())
            .collect::<Vec<_>>(),
        ["password"]
    );
    // With a code given, the same answer may be about the code: no field is blamed.
    assert!(refused("123456").fields.is_empty());

    let throttled = enrol_error(
        SyncError::Refused {
            status: 429,
            message: "too many failed logins; try again in 60 s".into(),
        },
        &form(""),
    );
    assert!(throttled.fields.is_empty());
    assert!(throttled.message.contains("try again in 60 s"));

    let gone = enrol_error(
        SyncError::Unreachable {
            server: "https://sync.example.org".into(),
            detail: "connection refused".into(),
        },
        &form(""),
    );
    assert_eq!(gone.code, ErrorCode::ServiceUnreachable);
    assert!(gone.fields.is_empty());
}

#[test]
fn clauses_become_sentences() {
    assert_eq!(sentence("give the six digits"), "Give the six digits.");
    assert_eq!(sentence("  Already one.  "), "Already one.");
    assert_eq!(sentence("é accentuée?"), "É accentuée?");
    assert_eq!(sentence(""), ".");
}

/// A workspace file with one generated case, enrolled with the service at `server_url`.
fn enrolled_workspace(dir: &Path, server_url: &str) -> (OpenWorkspace, PathBuf) {
    let path = dir.join("field-laptop.porchlight");
    let now = Moment::now();
    let mut w = Workspace::create(&path, PASSPHRASE, now).expect("a new workspace");
    let seeded = porchlight_seed::case(11, 0, now.local.date(), false);
    w.create_case(&seeded.fields, now).expect("a case");
    let identity = SyncIdentity {
        server_url: server_url.into(),
        device_id: Uuid::now_v7(),
        token: TOKEN.into(),
        user_id: Uuid::now_v7(),
        username: "avery.lindqvist".into(),
        display_name: "Avery Lindqvist".into(),
        role: "case_manager".into(),
    };
    w.set_sync_identity(&identity, now).expect("enrolled");
    (Arc::new(Mutex::new(Some(w))), path)
}

/// An address nothing listens on: the port was free a moment ago.
fn silent_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn worker(open: &OpenWorkspace, path: &Path) -> (Worker, Arc<Mutex<Vec<Notice>>>) {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&notices);
    let notify: Notify = Arc::new(move |n| seen.lock().unwrap().push(n));
    let worker = Worker {
        open: Arc::clone(open),
        path: path.to_owned(),
        live: Arc::new(Mutex::new(Live::default())),
        notify,
    };
    (worker, notices)
}

fn statuses(notices: &Mutex<Vec<Notice>>) -> Vec<SyncStatus> {
    notices
        .lock()
        .unwrap()
        .iter()
        .filter_map(|n| match n {
            Notice::Status(s) => Some(s.clone()),
            Notice::Removed(_) => None,
        })
        .collect()
}

#[test]
fn an_unreachable_service_is_offline_with_the_changes_kept_and_the_reason_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (open, path) = enrolled_workspace(dir.path(), &silent_address());
    let waiting = lock(&open).as_ref().unwrap().sync_status().unwrap().pending;
    let (worker, notices) = worker(&open, &path);

    assert_eq!(worker.attempt(Reason::Written), Outcome::Unreachable);

    let said = statuses(&notices);
    assert_eq!(
        said.len(),
        2,
        "one report as the sync starts, one as it ends: {said:?}"
    );
    assert!(said[0].syncing && said[0].enrolled);
    let after = &said[1];
    assert!(!after.syncing && !after.online, "{after:?}");
    assert_eq!(after.pending, waiting, "nothing was lost or sent");
    let error = after.last_error.as_deref().unwrap_or_default();
    assert!(
        error.contains("could not reach the central service")
            && error.contains("kept on this computer"),
        "{error}"
    );
    // The reason is kept in the workspace, for the status bar after a restart.
    assert_eq!(
        lock(&open)
            .as_ref()
            .unwrap()
            .sync_status()
            .unwrap()
            .last_error
            .as_deref(),
        Some(error)
    );
}

#[test]
fn a_long_syncs_progress_is_told_a_few_times_a_second_and_is_gone_once_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (open, path) = enrolled_workspace(dir.path(), &silent_address());
    let (worker, notices) = worker(&open, &path);
    *worker.live.lock().unwrap() = Live {
        online: true,
        syncing: true,
        progress: None,
    };
    let at = |n: u64| porchlight_domain::SyncProgress {
        cases_received: n,
        cases_left: Some(3000 - n),
        changes_received: 9 * n,
        ..Default::default()
    };
    let start = std::time::Instant::now();
    let mut last_told = None;
    worker.progressed(at(500), &mut last_told, start);
    // A page stored a tenth of a second later is kept, not told: the window would fetch its
    // list again for every page of a first sync.
    worker.progressed(at(1000), &mut last_told, start + Duration::from_millis(100));
    assert_eq!(worker::status(&open, &worker.live).unwrap().progress, Some(at(1000)), "asked, the status has the latest");
    worker.progressed(at(1500), &mut last_told, start + Duration::from_millis(450));
    let told: Vec<_> = statuses(&notices).iter().map(|s| (s.syncing, s.progress)).collect();
    assert_eq!(told, [(true, Some(at(500))), (true, Some(at(1500)))]);

    // A sync that ends leaves no progress behind, whether it went well or not.
    assert_eq!(worker.attempt(Reason::Written), Outcome::Unreachable);
    let after = statuses(&notices).pop().unwrap();
    assert!(!after.syncing && after.progress.is_none(), "{after:?}");
    let stale = Live {
        online: true,
        syncing: false,
        progress: Some(at(1500)),
    };
    assert_eq!(worker::status(&open, &Mutex::new(stale)).unwrap().progress, None, "no progress shown without a sync");
}

/// The window keeps the status with the highest number. A status asked for while the last page
/// of a sync is written waits for the workspace; the sync ends meanwhile and pushes "synced".
/// Whichever of the two has the higher number must say the sync is over, or the bar would say
/// "Receiving cases…" until the next sync.
#[test]
fn statuses_are_numbered_in_the_order_their_state_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let (open, _path) = enrolled_workspace(dir.path(), &silent_address());
    let receiving = Live {
        online: true,
        syncing: true,
        progress: Some(porchlight_domain::SyncProgress { cases_received: 3000, cases_left: Some(0), ..Default::default() }),
    };
    let live = Arc::new(Mutex::new(receiving));
    let first = worker::status(&open, &live).unwrap();
    let second = worker::status(&open, &live).unwrap();
    assert!(second.version > first.version, "{} then {}", first.version, second.version);

    let writing_the_last_page = lock(&open);
    let asked = {
        let (open, live) = (Arc::clone(&open), Arc::clone(&live));
        std::thread::spawn(move || worker::status(&open, &live).unwrap())
    };
    std::thread::sleep(Duration::from_millis(100));
    *live.lock().unwrap() = Live { online: true, syncing: false, progress: None };
    drop(writing_the_last_page);
    let pushed = worker::status(&open, &live).unwrap();
    let answered = asked.join().unwrap();
    assert_ne!(answered.version, pushed.version);
    let newest = if answered.version > pushed.version { &answered } else { &pushed };
    assert!(!newest.syncing && newest.progress.is_none(), "{newest:?}");
    assert!(!answered.syncing, "the answer read the session's state once it had the workspace: {answered:?}");
}

#[test]
fn nothing_is_attempted_without_an_enrolment_or_an_open_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let (open, path) = enrolled_workspace(dir.path(), &silent_address());
    lock(&open)
        .as_mut()
        .unwrap()
        .clear_sync_identity(Moment::now())
        .unwrap();
    let (worker, notices) = worker(&open, &path);
    assert_eq!(worker.attempt(Reason::Asked), Outcome::Stopped);
    drop(lock(&open).take());
    assert_eq!(worker.attempt(Reason::Asked), Outcome::Stopped);
    assert!(notices.lock().unwrap().is_empty());
}

/// What the stand-in service saw: the request line and the bearer token of each request.
type Requests = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A service that asks this device to wipe itself: 410 to every sync request, 204 to the report.
fn wiping_service() -> (String, Requests) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let seen: Requests = Arc::default();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let (mut length, mut bearer) = (0usize, None);
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                let (name, value) = header.split_once(':').unwrap_or((&header, ""));
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => {
                        bearer = value.trim().strip_prefix("Bearer ").map(str::to_owned)
                    }
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let request = line.trim().to_owned();
            let answer = if request.starts_with("POST /v1/device/wiped") {
                "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n".to_owned()
            } else {
                let body = r#"{"code":"wipe_requested","message":"This device must delete its workspace."}"#;
                format!("HTTP/1.1 410 Gone\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
            };
            log.lock().unwrap().push((request, bearer));
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (address, seen)
}

#[test]
fn a_wipe_request_deletes_the_workspace_then_tells_the_service_and_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let (address, requests) = wiping_service();
    let (open, path) = enrolled_workspace(dir.path(), &address);
    assert!(path.exists());
    let (worker, notices) = worker(&open, &path);

    assert_eq!(worker.attempt(Reason::Periodic), Outcome::Stopped);

    assert!(
        lock(&open).is_none(),
        "the open workspace was dropped with its key"
    );
    assert!(!path.exists(), "the workspace file is gone");
    assert!(!Workspace::status(&path).exists);
    let seen = requests.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|(_, token)| token.as_deref() == Some(TOKEN)),
        "{seen:?}"
    );
    assert!(
        seen.first()
            .is_some_and(|(line, _)| line.starts_with("GET /v1/sync/")),
        "{seen:?}"
    );
    assert!(
        seen.last()
            .is_some_and(|(line, _)| line.starts_with("POST /v1/device/wiped")),
        "the service heard of the wipe last: {seen:?}"
    );
    let removed: Vec<String> = notices
        .lock()
        .unwrap()
        .iter()
        .filter_map(|n| match n {
            Notice::Removed(m) => Some(m.clone()),
            Notice::Status(_) => None,
        })
        .collect();
    assert_eq!(removed.len(), 1);
    assert!(
        removed[0].contains("Your organisation removed this computer's workspace"),
        "{}",
        removed[0]
    );
}

#[test]
fn the_worker_thread_answers_sync_now_with_the_state_after_its_attempt_and_ends_with_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let (open, path) = enrolled_workspace(dir.path(), &silent_address());
    let (handle, inbox) = channel();
    let notices = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&notices);
    let thread = spawn(
        inbox,
        Arc::clone(&open),
        path,
        Arc::new(move |n| seen.lock().unwrap().push(n)),
    )
    .unwrap();

    handle.start();
    let (reply, answer) = tokio::sync::oneshot::channel();
    handle.send(Message::Now(reply));
    let status = answer
        .blocking_recv()
        .expect("an answer")
        .expect("a status");
    assert!(
        status.enrolled && !status.online && !status.syncing,
        "{status:?}"
    );
    assert!(status.last_error.is_some());
    // Started and asked arrive together or one after the other: either way every attempt told
    // the window twice, as it started and as it ended.
    let said = statuses(&notices);
    assert!(said.len() >= 2 && said.len() % 2 == 0, "{said:?}");
    assert!(!handle.live().online);

    // With the session gone, the worker ends rather than outliving the app.
    drop(handle);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !thread.is_finished() {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(worker::status(&open, &Mutex::new(Live::default())).is_ok());
}

#[test]
fn cases_that_arrived_whole_are_made_searchable_by_the_worker() {
    use porchlight_sync::{fields::flatten, Change, Cursor, Entity, PullPage, RecordState, Replica, ReplicaId, Stamp};
    let dir = tempfile::tempdir().unwrap();
    let (open, path) = enrolled_workspace(dir.path(), &silent_address());
    let now = Moment::now();
    let stamp = Stamp::at(now.utc, ReplicaId(0x5e7));
    let mut names = Vec::new();
    let changes: Vec<Change> = (0..3u64)
        .map(|i| {
            let seeded = porchlight_seed::case(12, i, now.local.date(), false);
            names.push(seeded.fields.child.family_name.clone());
            let mut fields = flatten(&serde_json::to_value(&seeded.fields).unwrap());
            fields.insert("case_number".into(), format!("PL-2611-TEST-000{i}").into());
            fields.insert("archived".into(), false.into());
            let id = Uuid::now_v7();
            Change::Record(
                RecordState::from_fields(Entity::Case, id, id, fields.into_iter().map(|(k, v)| (k, v, stamp))).unwrap(),
            )
        })
        .collect();
    let page = PullPage {
        removed_cases: vec![],
        removed_photos: vec![],
        changes,
        cursor: Cursor { seq: 3, epoch: 1 },
        has_more: false,
        server_time: now.utc,
        server_stamp: stamp,
        whole: None,
    };
    lock(&open).as_mut().unwrap().apply_pull(&page, now.utc).unwrap();
    let search = |open: &OpenWorkspace, text: &str| {
        let query = porchlight_domain::SearchQuery { text: text.into(), ..Default::default() };
        lock(open).as_ref().unwrap().search(&query, now.local.date()).unwrap()
    };
    let before = search(&open, &names[1]);
    assert_eq!(before.indexing, 3, "{before:?}");
    assert!(before.hits.iter().all(|h| h.case.case_number != "PL-2611-TEST-0001"));

    let (worker, _) = worker(&open, &path);
    // The person's commands get the workspace between two steps: asking while the worker makes
    // the cases searchable one at a time finds some done and some still waiting, rather than
    // waiting for the whole backlog.
    let mut seen: Vec<u32> = Vec::new();
    std::thread::scope(|scope| {
        let steps = scope.spawn(|| worker.index_backlog_in_steps_of(1));
        loop {
            let left = lock(&open).as_ref().unwrap().search_backlog().unwrap();
            if seen.last() != Some(&left) {
                seen.push(left);
            }
            if left == 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        steps.join().unwrap();
    });
    assert!(seen.iter().any(|&left| left > 0 && left < 3), "no command got in between two steps: {seen:?}");

    assert_eq!(lock(&open).as_ref().unwrap().search_backlog().unwrap(), 0);
    let after = search(&open, &names[1]);
    assert_eq!(after.indexing, 0);
    assert!(after.hits.iter().any(|h| h.case.case_number == "PL-2611-TEST-0001"), "{after:?}");
}
