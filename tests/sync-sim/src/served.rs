//! What the central service serves one person, read over its own sync endpoints by a client
//! written here and nowhere else: a fresh device token, every pull page from the start, folded
//! into records by the rules the protocol states. Also a raw re-send of a push (the duplicated
//! request) and the blob check. It shares no code with the engine or the store, so it is an
//! independent reading of the service.

use crate::world::{World, WorldError};
use porchlight_sync::{
    AppendedRecord, Change, ConflictRecord, Cursor, Entity, Op, PullPage, PushResponse, Stamp, MAX_PULL_LIMIT, PROTOCOL_HEADER,
    PROTOCOL_VERSION,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// One mutable record as served: each field with its stamp.
#[derive(Debug, Clone, Default)]
pub struct ServedRecord {
    pub case_id: Uuid,
    pub fields: BTreeMap<String, (Value, Stamp)>,
}

/// Everything a fresh device of one person receives.
#[derive(Debug, Default)]
pub struct Served {
    pub cases: BTreeSet<Uuid>,
    pub records: BTreeMap<(Entity, Uuid), ServedRecord>,
    pub appended: BTreeMap<Uuid, AppendedRecord>,
    pub conflicts: BTreeMap<Uuid, ConflictRecord>,
    /// Problems with the pages themselves (a record of one case served twice with different
    /// values under the same stamp, a removal sent to a new device…).
    pub findings: Vec<String>,
    pub pages: usize,
}

fn fail(what: &str, e: impl std::fmt::Display) -> WorldError {
    WorldError(format!("{what}: {e}"))
}

impl World {
    /// Pulls everything the service gives a new device of the token's person.
    pub fn served(&self, token: &str) -> Result<Served, WorldError> {
        let http = reqwest::Client::new();
        let mut served = Served::default();
        let mut cursor = Cursor::START;
        loop {
            let url = format!("{}/v1/sync/pull?cursor={cursor}&limit={MAX_PULL_LIMIT}", self.base_url);
            let page: PullPage = self.rt.block_on(async {
                let res = http
                    .get(&url)
                    .bearer_auth(token)
                    .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                    .send()
                    .await
                    .map_err(|e| fail("pull", e))?;
                let status = res.status();
                let body = res.text().await.map_err(|e| fail("read a pull page", e))?;
                if !status.is_success() {
                    return Err(WorldError(format!("pull at {cursor} answered {status}: {body}")));
                }
                serde_json::from_str(&body).map_err(|e| fail("a pull page is not a PullPage", format!("{e}: {body:.300}")))
            })?;
            served.pages += 1;
            if !page.removed_cases.is_empty() {
                served.findings.push(format!(
                    "a new device was told to remove cases {:?} it never had",
                    page.removed_cases
                ));
            }
            for change in page.changes {
                served.cases.insert(change.case_id());
                match change {
                    Change::Record(r) => {
                        let rec = served.records.entry((r.entity, r.record_id)).or_insert_with(|| ServedRecord {
                            case_id: r.case_id,
                            fields: BTreeMap::new(),
                        });
                        for (field, value) in &r.fields {
                            let stamp = r.stamp_of(field);
                            match rec.fields.get(field) {
                                Some((old, old_stamp)) if *old_stamp == stamp && old != value => served.findings.push(format!(
                                    "{} {} field {field} was served twice under stamp {stamp} with different values: {old} and {value}",
                                    r.entity.as_str(),
                                    r.record_id
                                )),
                                Some((_, old_stamp)) if *old_stamp >= stamp => {}
                                _ => {
                                    rec.fields.insert(field.clone(), (value.clone(), stamp));
                                }
                            }
                        }
                    }
                    Change::Appended(a) => {
                        if let Some(old) = served.appended.get(&a.record_id) {
                            if old.record != a.record {
                                served.findings.push(format!(
                                    "{} {} was served twice with different contents",
                                    a.entity.as_str(),
                                    a.record_id
                                ));
                            }
                        }
                        served.appended.insert(a.record_id, a);
                    }
                    Change::Conflict(c) => {
                        served.conflicts.insert(c.id, c);
                    }
                }
            }
            if !page.has_more {
                break;
            }
            if page.cursor == cursor && page.removed_cases.is_empty() {
                return Err(WorldError(format!(
                    "the service promised more after {cursor} but did not move the cursor"
                )));
            }
            cursor = page.cursor;
            if served.pages > 10_000 {
                return Err(WorldError("more than 10,000 pages for one person: the pull never ends".into()));
            }
        }
        Ok(served)
    }

    /// Sends `ops` again, as a duplicated request would, and returns the service's answers.
    pub fn push_again(&self, token: &str, ops: &[Op]) -> Result<PushResponse, WorldError> {
        let http = reqwest::Client::new();
        let url = format!("{}/v1/sync/push", self.base_url);
        let body = serde_json::json!({ "ops": ops });
        self.rt.block_on(async {
            let res = http
                .post(&url)
                .bearer_auth(token)
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .json(&body)
                .send()
                .await
                .map_err(|e| fail("push again", e))?;
            let status = res.status();
            let text = res.text().await.map_err(|e| fail("read the push answer", e))?;
            if !status.is_success() {
                return Err(WorldError(format!("the repeated push answered {status}: {text}")));
            }
            serde_json::from_str(&text).map_err(|e| fail("the repeated push's answer is not a PushResponse", format!("{e}: {text:.300}")))
        })
    }

    /// Whether the service hands the photo bytes named `sha256` to the token's device, and
    /// whether what it hands out hashes to that name.
    pub fn blob_available(&self, token: &str, sha256: &str) -> Result<bool, WorldError> {
        let http = reqwest::Client::new();
        let url = format!("{}/v1/blobs/{sha256}", self.base_url);
        self.rt.block_on(async {
            let res = http
                .get(&url)
                .bearer_auth(token)
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .header("accept-encoding", "identity")
                .send()
                .await
                .map_err(|e| fail("ask for a blob", e))?;
            match res.status().as_u16() {
                200 => {
                    let bytes = res.bytes().await.map_err(|e| fail("read a blob", e))?;
                    let got = crate::photo::sha256_hex(&bytes);
                    if got != sha256 {
                        return Err(WorldError(format!("GET /v1/blobs/{sha256} handed out bytes that hash to {got}")));
                    }
                    Ok(true)
                }
                404 => Ok(false),
                other => Err(WorldError(format!("GET /v1/blobs/{sha256} answered {other}"))),
            }
        })
    }
}

impl Served {
    pub fn value(&self, entity: Entity, record: Uuid, field: &str) -> Option<&Value> {
        self.records
            .get(&(entity, record))
            .and_then(|r| r.fields.get(field))
            .map(|(v, _)| v)
    }
}
