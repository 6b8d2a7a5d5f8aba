//! The workspace's share of a sync, with no network: a first sync of a new device (pages of
//! every case with two contacts, five notes and its status, applied as the service would send
//! them, each page in one transaction with its cursor), then reading 10,000 waiting ops from
//! the outbox and applying the service's acknowledgements of them, then a pull of one edited
//! field of every case made elsewhere. The pages are built from a
//! first workspace's own outbox after an import, so they hold exactly what that device sent.
//! It measures only; it asserts nothing and leaves no file behind. Every case is generated.
//!
//! cargo run --release -p porchlight-store --features seed --example bench_sync [-- CASES [STEP]]

/// The allocator of the app and the service, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{NaiveDate, TimeZone, Utc};
use porchlight_domain::{CaseFields, Moment};
use porchlight_store::{NewCase, Workspace};
use porchlight_sync::{AppendedRecord, Change, Cursor, Entity, Op, OpBody, OpResult, Outcome, PullPage, PushResponse, RecordState, Replica, ReplicaId, Stamp};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

const PASSPHRASE: &str = "Benchmark lanterns 2026!";
/// Changes per page: the most a page of the service holds.
const PAGE: usize = porchlight_sync::MAX_PULL_LIMIT as usize;
const CHUNK: usize = 10_000;

fn main() {
    let count: usize = std::env::args().nth(1).map(|n| n.parse().expect("CASES is a number")).unwrap_or(30_000);
    let folder = tempfile::tempdir().expect("a scratch folder");
    let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    println!("Porchlight sync benchmark (the workspace's share, no network): {count} generated cases");

    // Device A makes the cases; its outbox is what the service would hold of them.
    let fields: Vec<CaseFields> = porchlight_seed::cases(2026, count, today).map(|c| c.fields).collect();
    let mut a = Workspace::create(&folder.path().join("a.porchlight"), PASSPHRASE, now).expect("create A");
    // Enrolled before the import: a workspace never enrolled queues no ops as it writes.
    let identity = porchlight_store::SyncIdentity {
        server_url: "https://sync.example.org".into(),
        device_id: Uuid::new_v4(),
        token: "bench-token".into(),
        user_id: Uuid::new_v4(),
        username: "bench".into(),
        display_name: "Bench".into(),
        role: "case_manager".into(),
    };
    a.set_sync_identity(&identity, now).expect("enrol A");
    for chunk in fields.chunks(CHUNK) {
        let batch: Vec<NewCase> = chunk.iter().map(|f| NewCase { fields: f.clone(), photos: Vec::new() }).collect();
        a.import_cases(&batch, now).expect("import");
    }
    let started = Instant::now();
    let mut ops: Vec<Op> = Vec::new();
    loop {
        let batch = a.outbox(porchlight_sync::MAX_PUSH_OPS).expect("outbox");
        if batch.is_empty() {
            break;
        }
        acknowledge(&mut a, &batch, now);
        ops.extend(batch);
    }
    let read = started.elapsed();
    println!(
        "push side: {} ops read from the outbox and acknowledged in {} ({:.1} µs an op, batches of {})",
        ops.len(),
        ms(read),
        read.as_secs_f64() * 1e6 / ops.len() as f64,
        porchlight_sync::MAX_PUSH_OPS
    );

    // The service's view: each case's fields, its status, two contacts and five notes.
    let changes = first_sync_changes(&ops);
    let pages: Vec<&[Change]> = changes.chunks(PAGE).collect();
    let mut b = Workspace::create(&folder.path().join("b.porchlight"), PASSPHRASE, now).expect("create B");
    let started = Instant::now();
    let cpu_before = cpu_time();
    // The pages say how many cases they bring whole, as the service's do: the first how many
    // are still to come, the last that none are.
    let cases_in = |changes: &[Change]| changes.iter().filter(|c| matches!(c, Change::Record(r) if r.entity == Entity::Case)).count() as u64;
    let mut still_to_come = count as u64;
    for (i, changes) in pages.iter().enumerate() {
        let sent = cases_in(changes);
        still_to_come -= sent;
        let left = if i == 0 || i + 1 == pages.len() { Some(still_to_come) } else { None };
        let page = PullPage {
            removed_cases: vec![],
            removed_photos: vec![],
            changes: changes.to_vec(),
            cursor: Cursor { seq: ((i + 1) * PAGE) as i64, epoch: 1 },
            has_more: i + 1 < pages.len(),
            server_time: now.utc,
            server_stamp: Stamp::at(now.utc, ReplicaId(0x5e7)),
            whole: Some(porchlight_sync::WholeCases { sent, left }),
        };
        b.apply_pull(&page, now.utc).expect("apply a page");
    }
    let pull = started.elapsed();
    println!(
        "first sync: {} changes ({count} cases, 2 contacts, 5 notes and a status each) in {} pages applied in {} = {:.0} cases/s",
        changes.len(),
        pages.len(),
        ms(pull),
        count as f64 / pull.as_secs_f64()
    );
    if let (Some(cpu0), Some(cpu1)) = (cpu_before, cpu_time()) {
        println!("        on-CPU {}", ms(cpu1 - cpu0));
    }
    // The search entries of the cases that arrived, in the steps the app takes (or another
    // step size given as the second argument).
    let step: usize = std::env::args().nth(2).map(|n| n.parse().expect("STEP is a number")).unwrap_or(porchlight_store::SEARCH_BACKLOG_STEP);
    let backlog = b.search_backlog().expect("the backlog");
    let indexing = Instant::now();
    while b.index_backlog(step).expect("a step of the backlog") > 0 {}
    println!("then {backlog} cases made searchable in steps of {step} in {}", ms(indexing.elapsed()));
    let again = Instant::now();
    let page = PullPage {
        removed_cases: vec![],
        removed_photos: vec![],
        changes: pages[0].to_vec(),
        cursor: Cursor { seq: (pages.len() * PAGE) as i64, epoch: 1 },
        has_more: false,
        server_time: now.utc,
        server_stamp: Stamp::at(now.utc, ReplicaId(0x5e7)),
        whole: None,
    };
    b.apply_pull(&page, now.utc).expect("apply a page again");
    println!("the first page again (all already held): {}", ms(again.elapsed()));
    // Edits made elsewhere: one field of every case (the clothing worn), newer than what the
    // device holds, in pages as the service sends them.
    let later = Stamp::at(now.utc + chrono::Duration::hours(1), ReplicaId(0x5e7));
    let edits: Vec<Change> = ops
        .iter()
        .filter_map(|op| match &op.body {
            OpBody::Set { entity: Entity::Case, record_id, .. } => Some(Change::Record(RecordState {
                entity: Entity::Case,
                case_id: op.case_id,
                record_id: *record_id,
                stamp: later,
                fields: [("description.clothing".to_owned(), json!(format!("red coat, case {}", &record_id.simple().to_string()[..6])))].into_iter().collect(),
                stamps: BTreeMap::new(),
            })),
            _ => None,
        })
        .collect();
    let started = Instant::now();
    for (i, changes) in edits.chunks(PAGE).enumerate() {
        let page = PullPage { changes: changes.to_vec(), cursor: Cursor { seq: ((pages.len() + i + 1) * PAGE) as i64, epoch: 1 }, ..page.clone() };
        b.apply_pull(&page, now.utc).expect("apply a page of edits");
    }
    println!("{} cases edited elsewhere (one field each), pulled in {}", edits.len(), ms(started.elapsed()));
    let empty = PullPage { changes: vec![], ..page };
    let started = Instant::now();
    for _ in 0..20 {
        b.apply_pull(&empty, now.utc).expect("apply an empty page");
    }
    println!("an empty page (no-op sync): {} each", ms(started.elapsed() / 20));
    drop(b);
    let size = std::fs::metadata(folder.path().join("b.porchlight")).map(|m| m.len()).unwrap_or(0);
    println!("workspace file of the new device: {:.1} MiB", size as f64 / (1024.0 * 1024.0));
}

fn acknowledge(ws: &mut Workspace, batch: &[Op], now: Moment) {
    let results = batch.iter().enumerate().map(|(i, op)| OpResult { op_id: op.id, outcome: Outcome::Applied { seq: i as i64 }, current: vec![], conflicts: vec![] }).collect();
    let response = PushResponse { results, server_time: now.utc, server_stamp: Stamp::at(now.utc, ReplicaId(0x5e7)), own_rows: None };
    ws.apply_push(batch, &response, now.utc).expect("apply the acknowledgements");
}

/// What a page holds for each case entering a device's scope: the case's record, its status
/// event, two contacts and five notes.
fn first_sync_changes(ops: &[Op]) -> Vec<Change> {
    let server = ReplicaId(0x5e7);
    let mut out = Vec::new();
    for op in ops {
        match &op.body {
            OpBody::Set { entity: Entity::Case, record_id, fields } => {
                out.push(Change::Record(RecordState {
                    entity: Entity::Case,
                    case_id: op.case_id,
                    record_id: *record_id,
                    stamp: op.stamp,
                    fields: fields.iter().map(|f| (f.field.clone(), f.value.clone())).collect(),
                    stamps: BTreeMap::new(),
                }));
            }
            OpBody::Append { entity: Entity::StatusEvent, record_id, record, .. } => {
                out.push(Change::Appended(AppendedRecord { entity: Entity::StatusEvent, case_id: op.case_id, record_id: *record_id, stamp: op.stamp, record: record.clone() }));
                let at = op.stamp.time();
                for (i, (name, relationship)) in [("Grace Okafor", "mother"), ("Ade Okafor", "father")].iter().enumerate() {
                    let fields: BTreeMap<String, serde_json::Value> = [
                        ("name", json!(name)),
                        ("relationship", json!(relationship)),
                        ("relationship_detail", json!("")),
                        ("primary", json!(i == 0)),
                        ("phones", json!([format!("(918) 555-01{i}{}", op.stamp.time().timestamp() % 10)])),
                        ("email", json!("")),
                        ("address", json!("12 Elm Street, Tulsa, OK")),
                        ("preferred_language", json!("English")),
                        ("best_time_to_call", json!("evenings")),
                        ("notes", json!("")),
                        ("do_not_disclose", json!(false)),
                        ("removed_reason", json!(null)),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                    let stamp = Stamp::at(at + chrono::Duration::seconds(1 + i as i64), server);
                    out.push(Change::Record(RecordState { entity: Entity::Contact, case_id: op.case_id, record_id: Uuid::now_v7(), stamp, fields, stamps: BTreeMap::new() }));
                }
                for n in 0..5 {
                    let stamp = Stamp::at(at + chrono::Duration::seconds(10 + n), server);
                    let record = json!({
                        "note_id": Uuid::now_v7().to_string(), "version": 1, "category": "call",
                        "body": format!("Called the family again (call {n}); no news since the last sighting near the bus station."),
                        "author": "Rosa Diaz", "written_at": stamp.time().to_rfc3339(),
                    });
                    out.push(Change::Appended(AppendedRecord { entity: Entity::Note, case_id: op.case_id, record_id: Uuid::now_v7(), stamp, record }));
                }
            }
            _ => {}
        }
    }
    out
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// This thread's time on a CPU, from Linux's schedstat; None elsewhere.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let on_cpu: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(on_cpu))
}
