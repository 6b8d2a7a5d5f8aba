//! The requests and answers of the sync endpoints. JSON over HTTP, compressed (zstd or gzip, by
//! `Content-Encoding` / `Accept-Encoding`), and versioned: every sync request carries the
//! `Porchlight-Protocol` header, and a version the server cannot speak is answered `409` with
//! a `VersionMismatch` body naming the versions it can.
//!
//! Endpoints (all need `Authorization: Bearer <device token>`):
//! - `GET  /v1/sync/hello` → `Hello`: who this device is, the server's clock and versions.
//! - `POST /v1/sync/push` (`PushRequest`) → `PushResponse`: one `OpResult` per op, in order.
//! - `GET  /v1/sync/pull?cursor=<Cursor>&limit=<N>` → `PullPage`, in the column form
//!   (`columns::COLUMNS_MEDIA_TYPE`) when `Accept` names it, as the app's requests do.
//! - `HEAD /v1/blobs/{sha256}` → 200 when the server holds the whole blob and this device may
//!   have it, else 404.
//! - `GET  /v1/blobs/{sha256}/upload` → `UploadState` (bytes received so far; 0 when none).
//! - `PUT  /v1/blobs/{sha256}/upload?offset=N` (body: at most `BLOB_CHUNK` bytes) →
//!   `UploadState`; an offset other than the bytes received so far is `409` with `UploadState`.
//! - `POST /v1/blobs/{sha256}/complete` (`CompleteUpload`) → 201 when the bytes hash to the
//!   name, `422` (and the partial upload discarded) when they do not.
//! - `GET  /v1/blobs/{sha256}` (optional `Range: bytes=N-`) → the bytes (200 or 206), only to a
//!   device whose user may see a photo with that hash.
//! - A device flagged for remote wipe gets `410` with code `wipe_requested` on every sync call;
//!   it deletes its workspace, then `POST /v1/device/wiped`.

use crate::op::{Entity, Op};
use crate::stamp::Stamp;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The protocol this build speaks, and the oldest one it still accepts.
pub const PROTOCOL_VERSION: u32 = 1;
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// The request header that carries the protocol version.
pub const PROTOCOL_HEADER: &str = "porchlight-protocol";
/// Ops stamped further ahead of the server's clock than this are refused (`future_stamp`).
pub const MAX_FUTURE_SKEW_SECS: i64 = 300;
/// The most ops one push may carry; a client sends a longer outbox in several pushes.
pub const MAX_PUSH_OPS: usize = 1000;
/// The most changes one pull page holds, whatever `limit` asks.
pub const MAX_PULL_LIMIT: u32 = 5000;
/// The largest chunk of a blob upload.
pub const BLOB_CHUNK: usize = 1 << 20;

/// `409` body when the client's protocol is not one the server speaks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionMismatch {
    pub min_protocol: u32,
    pub max_protocol: u32,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub min_protocol: u32,
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    /// `admin`, `supervisor`, `case_manager`, `poster_staff` or `volunteer`.
    pub role: String,
    /// The server's clock, read while answering: the client measures its offset from it.
    pub server_time: DateTime<Utc>,
    pub server_stamp: Stamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
    pub server_time: DateTime<Utc>,
    pub server_stamp: Stamp,
    /// The change-log rows this push wrote, when the answer itself holds all a pull would bring
    /// of them (see `OwnRows`); None when it wrote none, or wrote a conflict or a photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_rows: Option<OwnRows>,
}

/// The change-log rows of one push: exactly those numbered after `after` up to `last`, since
/// numbers are taken under a lock held to commit, so no other row falls between them. The
/// answer's `current` states already hold every field those rows carry, and the device holds
/// the notes and status changes it sent: a device whose cursor stood at `after` when it pushed
/// would pull back only its own changes, so it moves its cursor to `last` instead. Rows the
/// answer does not say all of (a conflict raised or settled, a photo, whose consent can take it
/// off the device) are never left out this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnRows {
    pub after: i64,
    pub last: i64,
}

impl PushResponse {
    /// Where a device's cursor stands once it has stored this answer: moved past the push's own
    /// rows when it stood right before them, unchanged otherwise (another device's rows came
    /// before them, or the device is behind, e.g. restored from a backup).
    pub fn cursor_after(&self, cursor: Cursor) -> Cursor {
        match self.own_rows {
            Some(rows) if rows.after == cursor.seq && rows.last > cursor.seq => Cursor { seq: rows.last, epoch: cursor.epoch },
            _ => cursor,
        }
    }
}

/// What became of one pushed op. `current` is the server's state, after the op, of every
/// mutable record the op touched, as this user may see it: the client sets it in the same
/// transaction as it clears the op from its outbox, so a device that lost a merge, or whose op
/// was refused, ends up holding exactly what the server holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: Uuid,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub current: Vec<RecordState>,
    /// Conflicts this op raised, as the change log holds them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<ConflictRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    /// Stored, at change-log position `seq` (a repeated op id gets the same answer again).
    Applied { seq: i64 },
    /// Refused for good: the client shows `reason` to its user and never sends the op again.
    Rejected { code: RejectCode, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The case is not one this user may see (or no longer is).
    NotInScope,
    /// The user's role may not make this change (a volunteer editing a case, say).
    NotAllowed,
    /// The values do not make a valid record; `reason` names the field and the fix.
    Invalid,
    /// Stamped more than `MAX_FUTURE_SKEW_SECS` ahead of the server's clock.
    FutureStamp,
    /// Refers to a record or conflict the server does not know.
    Unknown,
}

/// Where a device is in the server's change log: `seq` is the last change applied, `epoch` the
/// last scope page applied (the server uses it to tell which cases the device really holds).
/// In a query string it is `"<seq>.<epoch>"`; a new device starts from `Cursor::START`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cursor {
    pub seq: i64,
    pub epoch: i64,
}

impl Cursor {
    pub const START: Cursor = Cursor { seq: 0, epoch: 0 };
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.seq, self.epoch)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor {0:?} is not of the form <seq>.<epoch> with two whole numbers of 0 or more")]
pub struct BadCursor(pub String);

impl FromStr for Cursor {
    type Err = BadCursor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadCursor(s.to_owned());
        let (seq, epoch) = s.split_once('.').ok_or_else(bad)?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        let epoch: i64 = epoch.parse().map_err(|_| bad())?;
        if seq < 0 || epoch < 0 {
            return Err(bad());
        }
        Ok(Cursor { seq, epoch })
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Cursor::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// One page of what changed for this device. The client applies `removed_cases`, then
/// `removed_photos`, then `changes` in order, then stores `cursor`, all in one transaction;
/// applying a page twice changes nothing the second time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullPage {
    /// Cases that left this user's scope: every row, photo and pending op of theirs leaves the
    /// device.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_cases: Vec<Uuid>,
    /// Photos this device must no longer hold (its role sees consented photos only, and their
    /// consent was withdrawn or they were deleted): their rows, stamps and bytes leave it. A
    /// photo listed here is never also in `changes` of the same page. Applying it for a photo
    /// the device does not hold changes nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_photos: Vec<Uuid>,
    pub changes: Vec<Change>,
    pub cursor: Cursor,
    pub has_more: bool,
    pub server_time: DateTime<Utc>,
    pub server_stamp: Stamp,
    /// On a page that sends cases whole (a first sync, or cases newly shared with the user):
    /// how many, and how many the service still has to send after them, so that a device can
    /// say how far a long first sync has come. Absent on every other page; a service that does
    /// not send it is read as sending none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole: Option<WholeCases>,
}

/// Cases a page sends whole, and those still to come whole after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WholeCases {
    pub sent: u64,
    /// Counted on the page that begins sending cases whole (and 0 on the page that ends it);
    /// absent on the pages between, whose `sent` the device takes off the last count. Counting
    /// on every page cost the service a tenth of a first sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// The server's state of some fields of a mutable record (all of them when a case enters
    /// the device's scope). Apply a field when its stamp is greater than the local one and no
    /// op of this device waiting in the outbox writes it.
    Record(RecordState),
    /// An append-only record; insert it unless its id is already there.
    Appended(AppendedRecord),
    /// A conflict raised or resolved; replace any earlier copy of the same id.
    Conflict(ConflictRecord),
}

/// An enum tagged by a `type` key, as `Change` and `OpBody` are, read by `read_tagged`.
pub(crate) trait TagFirst: Sized {
    /// The variant names, for the error about an unknown one.
    const VARIANTS: &'static [&'static str];
    /// Reads the variant named `kind` from the rest of the object, its tag taken out.
    fn variant<'de, D: serde::Deserializer<'de>>(kind: &str, rest: D) -> Result<Self, D::Error>;
}

/// Reads a `TagFirst` enum straight into its variant when `type` is the object's first key, as
/// every Porchlight writer puts it. Serde's derived reading of an internally tagged enum first
/// copies every key and value of the object into a buffer of its own, because the tag may come
/// anywhere; that took a tenth of the service's time on a push (stored record states are read
/// back as changes) and much of a device's reading of a first sync's pages. An object whose tag
/// comes later is gathered whole first, and then read by the same `variant`.
pub(crate) fn read_tagged<'de, A, T>(mut map: A) -> Result<T, A::Error>
where
    A: serde::de::MapAccess<'de>,
    T: TagFirst,
{
    use serde::de::{value::MapAccessDeserializer, Error};
    let Some(first) = map.next_key::<String>()? else {
        return Err(A::Error::missing_field("type"));
    };
    if first == "type" {
        let kind: String = map.next_value()?;
        return T::variant(&kind, MapAccessDeserializer::new(map));
    }
    let mut object = serde_json::Map::new();
    object.insert(first, map.next_value()?);
    while let Some((key, value)) = map.next_entry::<String, Value>()? {
        object.insert(key, value);
    }
    let kind = match object.remove("type") {
        Some(Value::String(kind)) => kind,
        Some(other) => return Err(A::Error::invalid_type(serde::de::Unexpected::Other(&other.to_string()), &"the name of a variant")),
        None => return Err(A::Error::missing_field("type")),
    };
    T::variant(&kind, Value::Object(object)).map_err(A::Error::custom)
}

/// The visitor `Deserialize` hands a `TagFirst` enum's object to.
pub(crate) struct TaggedVisitor<T>(pub(crate) std::marker::PhantomData<T>);

impl<'de, T: TagFirst> serde::de::Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object whose \"type\" is one of {}", T::VARIANTS.join(", "))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        read_tagged(map)
    }
}

impl TagFirst for Change {
    const VARIANTS: &'static [&'static str] = &["record", "appended", "conflict"];

    fn variant<'de, D: serde::Deserializer<'de>>(kind: &str, rest: D) -> Result<Self, D::Error> {
        match kind {
            "record" => RecordState::deserialize(rest).map(Change::Record),
            "appended" => AppendedRecord::deserialize(rest).map(Change::Appended),
            "conflict" => ConflictRecord::deserialize(rest).map(Change::Conflict),
            other => Err(serde::de::Error::unknown_variant(other, Self::VARIANTS)),
        }
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TaggedVisitor(std::marker::PhantomData))
    }
}

impl Change {
    pub fn case_id(&self) -> Uuid {
        match self {
            Change::Record(r) => r.case_id,
            Change::Appended(a) => a.case_id,
            Change::Conflict(c) => c.case_id,
        }
    }
}

/// Fields of one mutable record with their stamps. Most fields of a record share one stamp
/// (they were written by one op), so each carries `stamp` unless `stamps` names its own: this
/// keeps a first sync of thousands of cases small on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordState {
    pub entity: Entity,
    pub case_id: Uuid,
    pub record_id: Uuid,
    pub stamp: Stamp,
    pub fields: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stamps: BTreeMap<String, Stamp>,
}

impl RecordState {
    /// The stamp of `field` in this state.
    pub fn stamp_of(&self, field: &str) -> Stamp {
        self.stamps.get(field).copied().unwrap_or(self.stamp)
    }

    /// The stamp the compact form gives as `stamp`: the one most fields carry, the latest of
    /// those carried by as many; `None` for no field.
    pub fn common_stamp(stamps: impl IntoIterator<Item = Stamp>) -> Option<Stamp> {
        let mut counts: BTreeMap<Stamp, usize> = BTreeMap::new();
        for stamp in stamps {
            *counts.entry(stamp).or_default() += 1;
        }
        counts.into_iter().max_by_key(|(s, n)| (*n, *s)).map(|(s, _)| s)
    }

    /// Builds the compact form from per-field stamps: the most common stamp becomes `stamp`.
    pub fn from_fields(
        entity: Entity,
        case_id: Uuid,
        record_id: Uuid,
        fields: impl IntoIterator<Item = (String, Value, Stamp)>,
    ) -> Option<RecordState> {
        let all: Vec<(String, Value, Stamp)> = fields.into_iter().collect();
        let common = RecordState::common_stamp(all.iter().map(|(_, _, s)| *s))?;
        let mut state = RecordState {
            entity,
            case_id,
            record_id,
            stamp: common,
            fields: BTreeMap::new(),
            stamps: BTreeMap::new(),
        };
        for (field, value, stamp) in all {
            if stamp != common {
                state.stamps.insert(field.clone(), stamp);
            }
            state.fields.insert(field, value);
        }
        Some(state)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppendedRecord {
    pub entity: Entity,
    pub case_id: Uuid,
    pub record_id: Uuid,
    pub stamp: Stamp,
    pub record: Value,
}

/// Two writes of one field (or two status changes) made without seeing each other. `kept` is
/// the value in force (the higher stamp), `other` the one that lost; both stay until a person
/// resolves the conflict with an op that names it in `resolves`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub entity: Entity,
    pub record_id: Uuid,
    /// The flattened field, or `status` for racing status events.
    pub field: String,
    pub kept: ConflictSide,
    pub other: ConflictSide,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictSide {
    pub value: Value,
    pub stamp: Stamp,
    pub op_id: Uuid,
    pub device_id: Uuid,
    /// The display name of the person who wrote it.
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub op_id: Uuid,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A blob upload's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    pub received: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteUpload {
    pub size: u64,
    pub mime: String,
}

/// The JSON of a tagged value with its `type` key last, after an unknown key `a`, as another
/// writer might order it: the gathering path of `read_tagged`.
#[cfg(test)]
pub(crate) fn tag_last(value: &impl Serialize) -> String {
    let Value::Object(mut object) = serde_json::to_value(value).unwrap() else { panic!("not an object") };
    let tag = object.remove("type").expect("a type key");
    let mut moved = serde_json::Map::new();
    moved.insert("a".into(), Value::from(1));
    moved.extend(object);
    moved.insert("type".into(), tag);
    let text = serde_json::to_string(&moved).unwrap();
    assert!(!text.starts_with("{\"type\":") && text.ends_with('}'), "{text}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stamp::ReplicaId;
    use chrono::TimeZone;

    #[test]
    fn cursors_read_back_and_refuse_junk() {
        let c = Cursor { seq: 1234, epoch: 7 };
        assert_eq!(c.to_string(), "1234.7");
        assert_eq!("1234.7".parse::<Cursor>().unwrap(), c);
        assert_eq!(serde_json::to_value(c).unwrap(), Value::from("1234.7"));
        for bad in ["", "12", "a.b", "-1.0", "1.-2", "1.2.3"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_record_state_keeps_the_common_stamp_once() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let a = Stamp::at(t, ReplicaId(1));
        let b = Stamp::at(t + chrono::Duration::seconds(1), ReplicaId(2));
        let state = RecordState::from_fields(
            Entity::Contact,
            Uuid::now_v7(),
            Uuid::now_v7(),
            vec![
                ("name".to_string(), Value::from("Rosa"), a),
                ("email".to_string(), Value::from("r@example.org"), a),
                ("phones".to_string(), serde_json::json!(["+1 555 0100"]), b),
            ],
        )
        .unwrap();
        assert_eq!(state.stamp, a);
        assert_eq!(state.stamps.len(), 1);
        assert_eq!(state.stamp_of("phones"), b);
        assert_eq!(state.stamp_of("name"), a);
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(serde_json::from_value::<RecordState>(json).unwrap(), state);
    }

    #[test]
    fn every_change_reads_back_with_its_tag_first_or_anywhere_else() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
        let (a, b) = (Stamp::at(t, ReplicaId(1)), Stamp::at(t + chrono::Duration::seconds(5), ReplicaId(2)));
        let case_id = Uuid::now_v7();
        let record = Change::Record(
            RecordState::from_fields(Entity::Case, case_id, case_id, vec![("child.given_name".to_string(), Value::from("Rosa"), a), ("description.hair".to_string(), Value::from("BLK"), b)]).unwrap(),
        );
        let appended = Change::Appended(AppendedRecord {
            entity: Entity::Note,
            case_id,
            record_id: Uuid::now_v7(),
            stamp: a,
            record: serde_json::json!({"type": "not the tag: a field of the note", "body": "Called the family."}),
        });
        let side = |value: &str, stamp| ConflictSide { value: Value::from(value), stamp, op_id: Uuid::now_v7(), device_id: Uuid::now_v7(), by: "Ana Case".into() };
        let conflict = Change::Conflict(ConflictRecord {
            id: Uuid::now_v7(),
            case_id,
            entity: Entity::Case,
            record_id: case_id,
            field: "description.hair".into(),
            kept: side("BLK", b),
            other: side("BRO", a),
            resolution: None,
        });
        for change in [record, appended, conflict] {
            let text = serde_json::to_string(&change).unwrap();
            assert!(text.starts_with("{\"type\":"), "the tag is written first: {text}");
            assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change, "tag first");
            let moved = tag_last(&change);
            assert_eq!(serde_json::from_str::<Change>(&moved).unwrap(), change, "tag last");
            // Inside a page, as a device reads them.
            let page = format!("[{text},{moved}]");
            assert_eq!(serde_json::from_str::<Vec<Change>>(&page).unwrap(), vec![change.clone(), change]);
        }
        for bad in [r#"{"type":"gossip","case_id":"x"}"#, r#"{}"#, r#"{"entity":"case"}"#, r#"{"type":"record","entity":"case"}"#, "[1]"] {
            assert!(serde_json::from_str::<Change>(bad).is_err(), "{bad} was read as a change");
        }
        let unknown = serde_json::from_str::<Change>(r#"{"type":"gossip"}"#).unwrap_err().to_string();
        assert!(unknown.contains("gossip") && unknown.contains("record"), "{unknown}");
    }
}
