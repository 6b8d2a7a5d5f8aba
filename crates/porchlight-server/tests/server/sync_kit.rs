//! What the sync tests share: an enrolled device with its own clock, the sync calls made over
//! real HTTP with the protocol header and zstd both ways (as the app sends them), and builders of
//! the ops the app's workspace makes. All people and children are invented.

use super::harness::{json, Person, TestServer};
use chrono::Utc;
use porchlight_domain::{CaseFields, CaseId, CaseNumber};
use porchlight_sync::fields::flatten;
use porchlight_sync::{
    Clock, Cursor, Entity, FieldWrite, Op, OpBody, Outcome, PullPage, PushRequest, PushResponse,
    ReplicaId, Stamp, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

/// One enrolled copy of the app: its token and its own hybrid logical clock.
pub struct Device {
    pub token: String,
    pub id: Uuid,
    pub clock: Clock,
    pub cursor: Cursor,
}

impl Device {
    pub async fn enrol(server: &TestServer, person: &Person) -> Device {
        let (status, body) = server.try_login(person, &person.password).await;
        assert_eq!(status, 200, "login of {}: {body}", person.username);
        let reply = json(&body);
        Device {
            token: reply["token"].as_str().unwrap().to_owned(),
            id: reply["device_id"].as_str().unwrap().parse().unwrap(),
            clock: Clock::new(ReplicaId::random(), None, 0),
            cursor: Cursor::START,
        }
    }

    pub fn tick(&self) -> Stamp {
        self.clock.tick(Utc::now())
    }
}

/// A sync request as the app makes it; returns the status, the `Content-Encoding` of the answer
/// and its (decompressed) text.
pub async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Vec<u8>>,
) -> (u16, Option<String>, String) {
    let mut req = server
        .http
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(token)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .header("accept-encoding", "zstd");
    if let Some(b) = body {
        let packed = zstd::encode_all(b.as_slice(), 3).unwrap();
        req = req
            .header("content-type", "application/json")
            .header("content-encoding", "zstd")
            .body(packed);
    }
    let res = req.send().await.expect("the server answers");
    let status = res.status().as_u16();
    // reqwest decodes zstd itself and then drops the header; the raw encoding is checked by the
    // compression test through its own client.
    let encoding = res
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, encoding, res.text().await.unwrap())
}

pub async fn push_raw(server: &TestServer, dev: &Device, ops: &[Op]) -> (u16, String) {
    let body = serde_json::to_vec(&PushRequest { ops: ops.to_vec() }).unwrap();
    let (status, _, text) = call(
        server,
        Method::POST,
        "/v1/sync/push",
        &dev.token,
        Some(body),
    )
    .await;
    (status, text)
}

pub async fn push(server: &TestServer, dev: &Device, ops: &[Op]) -> PushResponse {
    let (status, text) = push_raw(server, dev, ops).await;
    assert_eq!(status, 200, "push: {text}");
    let response: PushResponse =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a PushResponse ({e}): {text}"));
    assert_eq!(response.results.len(), ops.len());
    dev.clock.observe(&response.server_stamp);
    response
}

/// Pushes and insists that every op was applied.
pub async fn push_ok(server: &TestServer, dev: &Device, ops: &[Op]) -> PushResponse {
    let response = push(server, dev, ops).await;
    for r in &response.results {
        assert!(
            matches!(r.outcome, Outcome::Applied { .. }),
            "refused: {r:?}"
        );
    }
    response
}

pub async fn pull_raw(
    server: &TestServer,
    dev: &Device,
    cursor: Cursor,
    limit: u32,
) -> (u16, String) {
    let (status, _, text) = call(
        server,
        Method::GET,
        &format!("/v1/sync/pull?cursor={cursor}&limit={limit}"),
        &dev.token,
        None,
    )
    .await;
    (status, text)
}

pub async fn pull(
    server: &TestServer,
    dev: &Device,
    cursor: Cursor,
    limit: u32,
) -> (PullPage, String) {
    let (status, text) = pull_raw(server, dev, cursor, limit).await;
    assert_eq!(status, 200, "pull: {text}");
    let page: PullPage =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not a PullPage ({e}): {text}"));
    dev.clock.observe(&page.server_stamp);
    (page, text)
}

/// A pull as it travels: no decompression by the client, so that bodies made ahead are read
/// exactly as sent. `headers` are added to the protocol header and the device's token.
pub async fn pull_as_sent(
    server: &TestServer,
    dev: &Device,
    cursor: Cursor,
    limit: u32,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .no_zstd()
        .no_gzip()
        .build()
        .unwrap();
    let mut request = client
        .get(format!(
            "{}/v1/sync/pull?cursor={cursor}&limit={limit}",
            server.base
        ))
        .bearer_auth(&dev.token)
        .header(PROTOCOL_HEADER, "1");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// Pulls until the service has nothing more, moving the device's cursor; returns every page's
/// text joined, to search.
pub async fn pull_all(server: &TestServer, dev: &mut Device) -> (Vec<PullPage>, String) {
    let mut pages = Vec::new();
    let mut all = String::new();
    loop {
        let (page, text) = pull(server, dev, dev.cursor, 5000).await;
        dev.cursor = page.cursor;
        all.push_str(&text);
        let more = page.has_more;
        pages.push(page);
        if !more {
            return (pages, all);
        }
        assert!(pages.len() < 1000, "pulling never ends");
    }
}

pub fn set<S: AsRef<str>>(
    dev: &Device,
    case: Uuid,
    entity: Entity,
    record: Uuid,
    writes: &[(S, Value, Option<Stamp>)],
) -> Op {
    Op {
        id: Uuid::now_v7(),
        case_id: case,
        stamp: dev.tick(),
        resolves: Vec::new(),
        body: OpBody::Set {
            entity,
            record_id: record,
            fields: writes
                .iter()
                .map(|(f, v, b)| FieldWrite {
                    field: f.as_ref().to_owned(),
                    value: v.clone(),
                    base: *b,
                })
                .collect(),
        },
    }
}

pub fn append(
    dev: &Device,
    case: Uuid,
    entity: Entity,
    record_id: Uuid,
    record: Value,
    base: Option<Stamp>,
) -> Op {
    Op {
        id: Uuid::now_v7(),
        case_id: case,
        stamp: dev.tick(),
        resolves: Vec::new(),
        body: OpBody::Append {
            entity,
            record_id,
            record,
            base,
        },
    }
}

pub fn case_number(id: Uuid) -> String {
    CaseNumber::for_case(&CaseId::from_uuid(id), Utc::now().date_naive())
        .as_str()
        .to_owned()
}

/// A new case as the app makes it: one Set of every field, then its first status event. Returns
/// the ops and the stamp of that status event.
pub fn new_case(dev: &Device, id: Uuid, fields: &CaseFields) -> (Vec<Op>, Stamp) {
    let mut writes: Vec<(String, Value, Option<Stamp>)> =
        flatten(&serde_json::to_value(fields).unwrap())
            .into_iter()
            .map(|(f, v)| (f, v, None))
            .collect();
    writes.push(("case_number".into(), Value::from(case_number(id)), None));
    writes.push(("archived".into(), Value::from(false), None));
    let create = set(dev, id, Entity::Case, id, &writes);
    let status = append(
        dev,
        id,
        Entity::StatusEvent,
        Uuid::now_v7(),
        status_record(None, "intake"),
        None,
    );
    let stamp = status.stamp;
    (vec![create, status], stamp)
}

pub fn status_record(from: Option<&str>, to: &str) -> Value {
    json!({ "from": from, "to": to, "reason": "Confirmed with the investigator", "outcome": null, "actor": "Test", "at": Utc::now() })
}

pub fn note_record(note_id: Uuid, version: u32, category: &str, body: &str) -> Value {
    json!({ "note_id": note_id, "version": version, "category": category, "body": body, "author": "Test", "written_at": Utc::now() })
}

pub fn contact_writes(name: &str, notes: &str) -> Vec<(String, Value, Option<Stamp>)> {
    let c = porchlight_domain::ContactFields {
        name: name.into(),
        relationship: Some(porchlight_domain::Relationship::Mother),
        phones: vec!["(918) 555-0142".into()],
        notes: notes.into(),
        ..Default::default()
    };
    let mut out: Vec<(String, Value, Option<Stamp>)> = flatten(&serde_json::to_value(c).unwrap())
        .into_iter()
        .map(|(f, v)| (f, v, None))
        .collect();
    out.push(("removed_reason".into(), Value::Null, None));
    out
}

/// The stamp of `field` as a pull delivered it, from the newest change of that record.
pub fn stamp_in(pages: &[PullPage], record: Uuid, field: &str) -> Option<Stamp> {
    let mut found = None;
    for page in pages {
        for change in &page.changes {
            if let porchlight_sync::Change::Record(r) = change {
                if r.record_id == record && r.fields.contains_key(field) {
                    found = Some(r.stamp_of(field));
                }
            }
        }
    }
    found
}

pub fn value_in(pages: &[PullPage], record: Uuid, field: &str) -> Option<Value> {
    let mut found = None;
    for page in pages {
        for change in &page.changes {
            if let porchlight_sync::Change::Record(r) = change {
                if r.record_id == record {
                    if let Some(v) = r.fields.get(field) {
                        found = Some(v.clone());
                    }
                }
            }
        }
    }
    found
}

pub fn case_ids(pages: &[PullPage]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = pages
        .iter()
        .flat_map(|p| p.changes.iter().map(|c| c.case_id()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
