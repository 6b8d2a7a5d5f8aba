//! A quick timing check of the sync endpoints on loopback, for working on the service (the
//! issue's benchmark, with the app's workspace at both ends, is `tests/sync-bench`). The service
//! runs in this process on a database of its own in the cluster of `scripts/pg.sh`; a plain HTTP
//! client stands in for devices, sending and counting zstd bytes as the app does. Every case,
//! contact and note is generated; none is real.
//!
//! eval "$(bash scripts/pg.sh start)"
//! cargo run --release -p porchlight-server --example sync_timing [-- CASES]
//!
//! It measures: device A pushing CASES cases (2 contacts and 5 notes each, 1,000 ops a push);
//! device B's first sync (every page, bytes on the wire, pages parsed); incremental pushes of
//! 100 edited cases (median of 21); a no-op sync (hello + pull with nothing new; median and p95 of 50); a push of
//! 10,000 offline edits. It asserts nothing.

/// The allocator of the app and the service, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::Utc;
use porchlight_domain::{CaseId, CaseNumber, ContactFields, Relationship};
use porchlight_pg_support::{Cluster, FreshDatabase};
use porchlight_server::people::{self, Role};
use porchlight_server::{password, AppState, Listener};
use porchlight_sync::fields::flatten;
use porchlight_sync::{
    Clock, Cursor, Entity, FieldWrite, Op, OpBody, PullPage, PushRequest, PushResponse, ReplicaId,
    Stamp, MAX_PUSH_OPS, PROTOCOL_HEADER,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const FILLER: &[&str] = &[
    "she",
    "was",
    "seen",
    "near",
    "the",
    "station",
    "with",
    "a",
    "friend",
    "wearing",
    "a",
    "blue",
    "hoodie",
    "and",
    "carrying",
    "a",
    "backpack",
    "mother",
    "says",
    "called",
    "from",
    "unknown",
    "number",
    "school",
    "counselor",
    "will",
    "follow",
    "up",
    "police",
    "checked",
    "the",
    "shelter",
    "no",
    "sign",
    "yet",
    "neighbour",
    "reported",
    "car",
];

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    sent: AtomicU64,
    received: AtomicU64,
}

impl Client {
    async fn post(&self, path: &str, body: &[u8]) -> Vec<u8> {
        let packed = zstd::encode_all(body, 3).unwrap();
        self.sent.fetch_add(packed.len() as u64, Ordering::Relaxed);
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, "1")
            .header("accept-encoding", "zstd")
            .header("content-type", "application/json")
            .header("content-encoding", "zstd")
            .body(packed)
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    async fn get(&self, path: &str) -> Vec<u8> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(PROTOCOL_HEADER, "1")
            .header("accept-encoding", "zstd")
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    async fn read(&self, res: reqwest::Response) -> Vec<u8> {
        let status = res.status();
        let zstd = res
            .headers()
            .get("content-encoding")
            .is_some_and(|v| v == "zstd");
        let bytes = res.bytes().await.unwrap();
        self.received
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let body = if zstd {
            zstd::decode_all(bytes.as_ref()).unwrap()
        } else {
            bytes.to_vec()
        };
        assert!(
            status.is_success(),
            "{status}: {}",
            String::from_utf8_lossy(&body)
        );
        body
    }

    async fn push(&self, ops: &[Op]) -> PushResponse {
        let body = serde_json::to_vec(&PushRequest { ops: ops.to_vec() }).unwrap();
        serde_json::from_slice(&self.post("/v1/sync/push", &body).await).unwrap()
    }

    async fn pull(&self, cursor: Cursor) -> PullPage {
        serde_json::from_slice(
            &self
                .get(&format!("/v1/sync/pull?cursor={cursor}&limit=5000"))
                .await,
        )
        .unwrap()
    }

    fn wire(&self) -> u64 {
        self.sent.load(Ordering::Relaxed) + self.received.load(Ordering::Relaxed)
    }
}

fn op(clock: &Clock, case: Uuid, body: OpBody) -> Op {
    Op {
        id: Uuid::now_v7(),
        case_id: case,
        stamp: clock.tick(Utc::now()),
        resolves: Vec::new(),
        body,
    }
}

fn set(
    clock: &Clock,
    case: Uuid,
    entity: Entity,
    record: Uuid,
    fields: Vec<(String, Value)>,
) -> Op {
    set_seen(clock, case, entity, record, fields, None)
}

/// A Set whose author had seen the values stamped `base` (as the app sends every edit).
fn set_seen(
    clock: &Clock,
    case: Uuid,
    entity: Entity,
    record: Uuid,
    fields: Vec<(String, Value)>,
    base: Option<Stamp>,
) -> Op {
    op(
        clock,
        case,
        OpBody::Set {
            entity,
            record_id: record,
            fields: fields
                .into_iter()
                .map(|(field, value)| FieldWrite { field, value, base })
                .collect(),
        },
    )
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// The ops a workspace makes for one generated case: the case, its first status, two family
/// contacts and five notes.
fn case_ops(clock: &Clock, rng: &mut Rng, index: u64, today: chrono::NaiveDate) -> (Uuid, Vec<Op>) {
    // (The case's own Set is the first op; its stamp is what later edits saw.)
    let fields = porchlight_seed::case_fields(2026, index, today);
    let id = Uuid::now_v7();
    let mut writes: Vec<(String, Value)> = flatten(&serde_json::to_value(&fields).unwrap())
        .into_iter()
        .collect();
    writes.push((
        "case_number".into(),
        json!(CaseNumber::for_case(&CaseId::from_uuid(id), today).as_str()),
    ));
    writes.push(("archived".into(), json!(false)));
    let mut ops = vec![set(clock, id, Entity::Case, id, writes)];
    ops.push(op(
        clock,
        id,
        OpBody::Append {
            entity: Entity::StatusEvent,
            record_id: Uuid::now_v7(),
            record: json!({"from": null, "to": "intake", "reason": "", "outcome": null, "actor": "Ana Case", "at": Utc::now()}),
            base: None,
        },
    ));
    for (i, relationship) in [Relationship::Mother, Relationship::Grandparent]
        .into_iter()
        .enumerate()
    {
        let contact = ContactFields {
            name: format!(
                "{} {}",
                ["Grace", "Rosa", "Lena", "Mary"][(rng.next() % 4) as usize],
                fields.child.family_name
            ),
            relationship: Some(relationship),
            primary: i == 0,
            phones: vec![format!("(918) 555-{:04}", rng.next() % 10_000)],
            ..Default::default()
        };
        let mut writes: Vec<(String, Value)> = flatten(&serde_json::to_value(&contact).unwrap())
            .into_iter()
            .collect();
        writes.push(("removed_reason".into(), Value::Null));
        ops.push(set(clock, id, Entity::Contact, Uuid::now_v7(), writes));
    }
    for _ in 0..5 {
        let note = Uuid::now_v7();
        let words: Vec<&str> = (0..8 + rng.next() % 20).map(|_| rng.pick(FILLER)).collect();
        let body = format!(
            "{} at {}:{:02}. {}.",
            fields.child.given_name,
            8 + rng.next() % 12,
            rng.next() % 60,
            words.join(" ")
        );
        ops.push(op(
            clock,
            id,
            OpBody::Append {
                entity: Entity::Note,
                record_id: note,
                record: json!({"note_id": note, "version": 1, "category": "call", "body": body, "author": "Ana Case", "written_at": Utc::now()}),
                base: None,
            },
        ));
    }
    (id, ops)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let cases: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("CASES is a number"))
        .unwrap_or(30_000);
    let admin = porchlight_pg_support::cluster_url()
        .expect("run `eval \"$(bash scripts/pg.sh start)\"` first");
    let cluster = Cluster::parse(&admin).unwrap();
    let name = "porchlight_sync_timing";
    // A run kept with SYNC_TIMING_KEEP leaves its database behind; the next one starts over.
    cluster.drop_database(name).await.unwrap();
    let database = FreshDatabase::create(&cluster, name.to_owned())
        .await
        .unwrap();
    let owner = database.owner_pool(4, Duration::from_secs(10)).unwrap();
    database.migrate(&owner).await.unwrap();
    let c = owner.get().await.unwrap();
    let now = Utc::now();
    let office = people::add_office(&c, "Tulsa", "Oklahoma", now)
        .await
        .unwrap()
        .id;
    let pw = "timing check password";
    people::add_user(
        &c,
        "ana.case",
        "Ana Case",
        Role::CaseManager,
        Some(office),
        password::hash(pw).unwrap(),
        now,
    )
    .await
    .unwrap();
    drop(c);
    // The superuser serves here: the timing is of the sync path, not of role setup.
    let pool = database.owner_pool(16, Duration::from_secs(10)).unwrap();
    let mut state = AppState::new(pool);
    if let Ok(level) = std::env::var("SYNC_TIMING_LEVELS") {
        // "inline,ahead", e.g. "3,9".
        let (inline, ahead) = level
            .split_once(',')
            .expect("SYNC_TIMING_LEVELS=inline,ahead");
        state.compression_level = inline.parse().unwrap();
        state.prefetch_compression_level = ahead.parse().unwrap();
    }
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", tcp.local_addr().unwrap());
    tokio::spawn(porchlight_server::serve(
        Listener::plain(tcp),
        state,
        std::future::pending(),
    ));

    let http = reqwest::Client::builder()
        .no_zstd()
        .no_gzip()
        .build()
        .unwrap();
    let enrol = |device: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let reply: Value = http
                .post(format!("{base}/v1/login"))
                .json(&json!({"username": "ana.case", "password": pw, "device_name": device}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            Client {
                http,
                base,
                token: reply["token"].as_str().unwrap().to_owned(),
                sent: AtomicU64::new(0),
                received: AtomicU64::new(0),
            }
        }
    };
    let a = enrol("laptop A").await;
    let clock = Clock::new(ReplicaId::random(), None, 0);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let today = now.date_naive();

    println!("sync timing, {cases} cases with 2 contacts and 5 notes each, service and client in one process on loopback");
    let mut ids = Vec::new();
    let mut seen: std::collections::HashMap<(Uuid, &str), Stamp> = std::collections::HashMap::new();
    let mut pending: Vec<Op> = Vec::new();
    let started = Instant::now();
    let mut pushes = 0;
    for i in 0..cases {
        let (id, ops) = case_ops(&clock, &mut rng, i, today);
        ids.push(id);
        for field in ["event.county", "event.circumstances"] {
            seen.insert((id, field), ops[0].stamp);
        }
        pending.extend(ops);
        if pending.len() >= MAX_PUSH_OPS - 9 || i + 1 == cases {
            let r = a.push(&pending).await;
            assert!(
                r.results
                    .iter()
                    .all(|r| matches!(r.outcome, porchlight_sync::Outcome::Applied { .. })),
                "refused: {:?}",
                r.results
                    .iter()
                    .find(|r| !matches!(r.outcome, porchlight_sync::Outcome::Applied { .. }))
            );
            pending.clear();
            pushes += 1;
        }
    }
    let took = started.elapsed();
    println!(
        "A pushes {} ops in {pushes} pushes: {} ({:.0} ops/s), {:.1} MB on the wire",
        cases * 9,
        ms(took),
        (cases * 9) as f64 / took.as_secs_f64(),
        a.wire() as f64 / 1e6
    );

    let b = enrol("laptop B").await;
    let started = Instant::now();
    let mut cursor = Cursor::START;
    let (mut pages, mut changes, mut parsing, mut raw) = (0, 0, Duration::ZERO, 0);
    loop {
        let asked = Instant::now();
        let text = b
            .get(&format!("/v1/sync/pull?cursor={cursor}&limit=5000"))
            .await;
        if std::env::var("SYNC_TIMING_PAGES").is_ok() {
            println!(
                "  page {pages}: {} for {:.1} MB",
                ms(asked.elapsed()),
                text.len() as f64 / 1e6
            );
        }
        if let (Ok(path), 0) = (std::env::var("SYNC_TIMING_SAVE_PAGE"), pages) {
            // The first page as JSON, to study its size.
            std::fs::write(path, &text).unwrap();
        }
        raw += text.len();
        let parse = Instant::now();
        let page: PullPage = serde_json::from_slice(&text).unwrap();
        parsing += parse.elapsed();
        pages += 1;
        changes += page.changes.len();
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    let took = started.elapsed();
    println!(
        "B's first sync: {changes} changes in {pages} pages: {} ({} of it parsing {:.0} MB of JSON here) and {:.2} MB on the wire",
        ms(took),
        ms(parsing),
        raw as f64 / 1e6,
        b.wire() as f64 / 1e6
    );

    // Pushes of 100 edited cases are short and the machine is shared: a median of 21 holds still.
    const ROUNDS: usize = 21;
    let mut times = Vec::new();
    for round in 0..ROUNDS {
        let ops: Vec<Op> = ids
            .iter()
            .cycle()
            .skip(round * 100)
            .take(100)
            .flat_map(|id| {
                let op = set_seen(&clock, *id, Entity::Case, *id, vec![("event.county".into(), json!(format!("County {round}")))], seen.get(&(*id, "event.county")).copied());
                seen.insert((*id, "event.county"), op.stamp);
                // Each edit is also an event of the workspace's own audit log, pushed beside it.
                let audit = self::op(
                    &clock,
                    *id,
                    OpBody::Append {
                        entity: Entity::AuditEvent,
                        record_id: Uuid::now_v7(),
                        record: json!({"action": "case_edited", "detail": {"fields": ["event.county"]}, "actor": "Ana Case", "at": Utc::now()}),
                        base: None,
                    },
                );
                [op, audit]
            })
            .collect();
        let started = Instant::now();
        let r = a.push(&ops).await;
        times.push(started.elapsed());
        assert!(
            r.results.iter().all(|r| r.conflicts.is_empty()),
            "edits made after seeing the value"
        );
    }
    times.sort();
    println!(
        "incremental push of 100 edited cases (and their 100 audit events): median {} (of {ROUNDS})",
        ms(times[ROUNDS / 2])
    );

    // B catches up on those edits, then syncs with nothing new.
    loop {
        let page = b.pull(cursor).await;
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    let mut times = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let _hello = b.get("/v1/sync/hello").await;
        let page = b.pull(cursor).await;
        assert!(page.changes.is_empty());
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "no-op sync (hello + pull): median {}, p95 {}",
        ms(times[25]),
        ms(times[47])
    );

    let edits: Vec<Op> = (0..10_000)
        .map(|i| {
            let id = ids[i % ids.len()];
            let op = set_seen(
                &clock,
                id,
                Entity::Case,
                id,
                vec![(
                    "event.circumstances".into(),
                    json!(format!("Edited offline, take {i}.")),
                )],
                seen.get(&(id, "event.circumstances")).copied(),
            );
            seen.insert((id, "event.circumstances"), op.stamp);
            op
        })
        .collect();
    let started = Instant::now();
    for chunk in edits.chunks(MAX_PUSH_OPS) {
        a.push(chunk).await;
    }
    println!("push of 10,000 offline edits: {}", ms(started.elapsed()));
    if std::env::var("SYNC_TIMING_KEEP").is_ok() {
        database.keep();
    }
}
