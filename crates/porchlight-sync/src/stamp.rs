//! The hybrid logical clock stamp every synced write carries, and the clock that makes them.
//!
//! A stamp is `uhlc`'s timestamp: a 64-bit NTP time whose low bits double as a counter, and the
//! id of the replica that made it. Stamps from different replicas are totally ordered (time,
//! then id), and a replica that has seen a stamp only ever makes larger ones afterwards, which
//! is what makes "the author saw this value" (`base`) meaningful across machines.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;
use uhlc::{HLCBuilder, Timestamp, HLC, ID, NTP64};
use uuid::Uuid;

/// A hybrid-logical-clock stamp. On the wire and in storage it is the text
/// `"<ntp64 in decimal>/<replica id in hex>"`, which `FromStr` reads back exactly.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(Timestamp);

impl Stamp {
    /// The stamp of time `at` on replica `replica`, with no counter: for tests and for turning
    /// a wall-clock bound into something comparable with stamps.
    pub fn at(at: DateTime<Utc>, replica: ReplicaId) -> Stamp {
        Stamp(Timestamp::new(ntp_of(at), replica.hlc_id()))
    }

    /// The wall-clock time inside the stamp (the counter bits are below a microsecond).
    pub fn time(&self) -> DateTime<Utc> {
        let d = self.0.get_time().to_duration();
        Utc.timestamp_opt(d.as_secs() as i64, d.subsec_nanos())
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// The replica that made this stamp.
    pub fn replica(&self) -> ReplicaId {
        let bytes = self.0.get_id().to_le_bytes();
        ReplicaId(u128::from_le_bytes(bytes))
    }

    pub fn inner(&self) -> &Timestamp {
        &self.0
    }

    pub fn from_timestamp(ts: Timestamp) -> Stamp {
        Stamp(ts)
    }
}

fn ntp_of(at: DateTime<Utc>) -> NTP64 {
    let secs = at.timestamp().max(0) as u64;
    let nanos = at.timestamp_subsec_nanos();
    NTP64::from(Duration::new(secs, nanos))
}

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stamp({:#})", self.0)
    }
}

/// A stamp that could not be read; the text is quoted so the sender can be told what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a stamp; a stamp looks like \"7386690599959157260/1f3a…\" (time / replica id)")]
pub struct BadStamp(pub String);

impl FromStr for Stamp {
    type Err = BadStamp;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::from_str(s).map(Stamp).map_err(|_| BadStamp(s.to_owned()))
    }
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Stamp::from_str(&text).map_err(serde::de::Error::custom)
    }
}

/// The id a replica (one workspace on one device, or one server) signs its stamps with. It is
/// random, made once when the workspace is created, and never zero (uhlc forbids it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ReplicaId(pub u128);

impl ReplicaId {
    /// A new random replica id, taken from a UUIDv4's random bits.
    pub fn random() -> ReplicaId {
        let n = Uuid::new_v4().as_u128();
        ReplicaId(if n == 0 { 1 } else { n })
    }

    /// The id as the text kept in a workspace's metadata: lower-case hex, no leading zeros.
    pub fn to_hex(&self) -> String {
        format!("{:x}", self.0)
    }

    pub fn from_hex(text: &str) -> Option<ReplicaId> {
        u128::from_str_radix(text, 16).ok().filter(|n| *n != 0).map(ReplicaId)
    }

    fn hlc_id(&self) -> ID {
        ID::try_from(self.0.max(1)).expect("a non-zero u128 is a valid uhlc id")
    }
}

/// A replica's clock. It is driven by the wall time passed in (business logic never reads the
/// system clock), corrected by the offset to the server's clock measured at the last sync, so
/// that a laptop whose clock is hours wrong still stamps its edits near the server's time.
/// `observe` folds in every stamp received, so a later local stamp is always larger than
/// anything this replica has seen.
pub struct Clock {
    hlc: HLC,
    replica: ReplicaId,
    /// Milliseconds to add to the local wall clock to get the server's.
    offset_ms: Mutex<i64>,
}

impl Clock {
    /// A clock for `replica` that has already issued or seen `last` (kept in the workspace, so
    /// that a restart never goes back in time), with the last measured server offset.
    pub fn new(replica: ReplicaId, last: Option<Stamp>, offset_ms: i64) -> Clock {
        // The physical clock is ours (`tick` passes the time in), so uhlc's own clock reads zero
        // and its drift bound is disabled; the server enforces the bound on what it accepts.
        let hlc = HLCBuilder::new()
            .with_id(replica.hlc_id())
            .with_clock(uhlc::zero_clock)
            .with_max_delta(Duration::from_secs(u32::MAX as u64 / 2))
            .build();
        let clock = Clock { hlc, replica, offset_ms: Mutex::new(offset_ms) };
        if let Some(last) = last {
            clock.observe(&last);
        }
        clock
    }

    pub fn replica(&self) -> ReplicaId {
        self.replica
    }

    /// A new stamp, larger than every stamp this clock has made or observed.
    pub fn tick(&self, wall: DateTime<Utc>) -> Stamp {
        let physical = self.corrected(wall);
        let _ = self
            .hlc
            .update_with_timestamp(&Timestamp::new(ntp_of(physical), self.replica.hlc_id()));
        Stamp(self.hlc.new_timestamp())
    }

    /// Folds in a stamp received from elsewhere.
    pub fn observe(&self, stamp: &Stamp) {
        let _ = self.hlc.update_with_timestamp(&stamp.0);
    }

    /// Remembers how far the server's clock is from ours: `server_time` was read on the server
    /// when the local wall clock showed `wall`.
    pub fn set_server_time(&self, server_time: DateTime<Utc>, wall: DateTime<Utc>) {
        *self.offset_ms.lock().expect("offset lock") = (server_time - wall).num_milliseconds();
    }

    pub fn offset_ms(&self) -> i64 {
        *self.offset_ms.lock().expect("offset lock")
    }

    /// The local wall time moved onto the server's clock.
    pub fn corrected(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        wall + chrono::Duration::milliseconds(self.offset_ms())
    }

    /// The largest stamp made or seen so far, to persist.
    pub fn last(&self, wall: DateTime<Utc>) -> Stamp {
        // `new_timestamp` with a zero physical clock only adds one to the last time.
        let _ = wall;
        Stamp(self.hlc.new_timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn stamps_read_back_from_their_text_and_keep_time_and_replica() {
        let r = ReplicaId(0xabc123);
        let s = Stamp::at(t("2026-11-22T10:00:00Z"), r);
        let text = s.to_string();
        assert_eq!(text.parse::<Stamp>().unwrap(), s);
        assert_eq!(s.replica(), r);
        assert_eq!(s.time(), t("2026-11-22T10:00:00Z"));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Stamp>(&json).unwrap(), s);
        assert!("12/".parse::<Stamp>().is_err());
        assert!("hello".parse::<Stamp>().is_err());
    }

    #[test]
    fn a_clock_stamps_after_everything_it_has_seen_even_with_its_wall_clock_behind() {
        let wall = t("2026-11-22T10:00:00Z");
        let clock = Clock::new(ReplicaId(7), None, 0);
        let a = clock.tick(wall);
        let b = clock.tick(wall);
        assert!(b > a, "two ticks at the same wall time still increase");
        let remote = Stamp::at(t("2026-11-22T13:00:00Z"), ReplicaId(9));
        clock.observe(&remote);
        let c = clock.tick(wall);
        assert!(c > remote, "a stamp made after seeing a later one is later still");
        assert_eq!(c.replica(), ReplicaId(7));
    }

    #[test]
    fn the_server_offset_moves_a_skewed_wall_clock_onto_server_time() {
        let local = t("2026-11-22T07:00:00Z");
        let server = t("2026-11-22T10:00:00Z");
        let clock = Clock::new(ReplicaId(3), None, 0);
        clock.set_server_time(server, local);
        let s = clock.tick(local + chrono::Duration::seconds(5));
        let diff = (s.time() - t("2026-11-22T10:00:05Z")).num_milliseconds().abs();
        assert!(diff < 5, "stamped {} instead of about 10:00:05", s.time());
    }

    #[test]
    fn a_clock_restored_from_its_last_stamp_never_goes_back() {
        let wall = t("2026-11-22T10:00:00Z");
        let first = Clock::new(ReplicaId(5), None, 0);
        let made = first.tick(wall + chrono::Duration::hours(1));
        let restored = Clock::new(ReplicaId(5), Some(first.last(wall)), 0);
        assert!(restored.tick(wall) > made);
    }
}
