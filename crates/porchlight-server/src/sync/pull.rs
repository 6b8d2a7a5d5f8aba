//! Answering a pull: one page of what changed for one device, within what its user may see now.
//!
//! The service keeps, per device, the cases the device holds (`device_cases`), each tagged with
//! the page (`epoch`) that added or removed it. A page and its cursor are applied by the device
//! in one transaction, so a cursor naming an older epoch means the later pages never arrived:
//! their additions and removals are undone first. Then, when something that changes scope has
//! happened since the device's cases were last checked (a scope mark, see migration 0002), the
//! cases the user may see now are compared with those the device holds: cases no longer visible
//! go in `removed_cases`; newly visible ones are sent whole (every record, redacted for the
//! role), a bounded number per page, walking cases by id. Last come the change-log rows after
//! the cursor for the cases held, redacted for the role. Snapshots are sent as the stored text
//! of each record, so a first sync of thousands of cases mostly copies text.
//!
//! It does not speak HTTP, and it never sends a case outside `rules::scope_sql`.

use super::{redact, SyncError};
use crate::audit::{Action, Actor, Entry};
use crate::db::{self, DbError};
use crate::rules::{self, Grant, PhotoAccess};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use porchlight_sync::{Change, Cursor, Entity, Stamp, WholeCases};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// The most cases whose whole state one page carries. A first sync of 30,000 cases then takes
/// a dozen pages: few round trips, and pages small enough to hold in memory at both ends.
pub const MAX_SNAPSHOT_CASES: usize = 2500;

/// The first page of a scan carries fewer: the device waits for it with nothing else to do,
/// while later pages are made ahead as it applies the one before (`http::prefetch`).
pub const FIRST_SNAPSHOT_CASES: usize = 500;

/// The most cases a page of a scan carries once `pages_made` pages of it have been made: twice
/// as many as the page before, up to `MAX_SNAPSHOT_CASES` (500, 1,000, 2,000, 2,500, …). Each
/// page is made while the device writes the one before, which takes about as long per case as
/// making it: a page twice the size of the one being written keeps the device waiting for a
/// short while only, where a full page right after the first kept it waiting for most of the
/// time the full page took to make.
pub fn snapshot_cases(pages_made: u32) -> usize {
    let mut most = FIRST_SNAPSHOT_CASES;
    for _ in 0..pages_made {
        if most >= MAX_SNAPSHOT_CASES {
            break;
        }
        most *= 2;
    }
    most.min(MAX_SNAPSHOT_CASES)
}

pub struct Puller {
    pub grant: &'static Grant,
    pub user: Uuid,
    pub device: Uuid,
    pub address: Option<String>,
    pub now: DateTime<Utc>,
    pub server_stamp: Stamp,
}

/// A page as JSON text (a `porchlight_sync::PullPage`), what it held, and the audit entry that
/// must be written before it is sent (which cases went whole to which device, which had changes
/// sent, which left it).
pub struct Page {
    pub text: String,
    pub changes: usize,
    pub snapshots: usize,
    pub removed: usize,
    pub cursor: Cursor,
    pub has_more: bool,
    pub audit: Entry,
}

const PULL_LOCK_CLASS: i32 = 7307;

#[derive(Clone, PartialEq)]
struct DeviceState {
    scope_seq: Option<i64>,
    scope_epoch: i64,
    scan_after: Option<Uuid>,
    scan_seq: Option<i64>,
    scan_epoch: i64,
    /// Pages of the scan made so far (see `snapshot_cases`).
    scan_pages: i32,
    /// The page that took every case off the device after its user's role changed; a cursor
    /// older than it has not received that page (see `rescope_devices_of`).
    rescope_epoch: i64,
}

/// The pieces of one page's `changes`, each a change's JSON text, kept as the parts they came
/// in and joined by commas once, into the page's text (`write_into`). A first sync's page is
/// megabytes of text in a few parts (one per table, joined in the database): growing one
/// string part by part copied it again at every doubling, and then once more into the page,
/// each time into memory the system had to hand over afresh.
#[derive(Default)]
struct Pieces {
    /// Non-empty texts of changes already joined by commas, in order.
    parts: Vec<String>,
    /// Whether the last part is this page's own, made by `push`, which later pieces extend.
    own_last: bool,
    count: usize,
}

impl Pieces {
    fn push(&mut self, piece: &str) {
        match self.parts.last_mut() {
            Some(last) if self.own_last => {
                last.push(',');
                last.push_str(piece);
            }
            _ => {
                self.parts.push(piece.to_owned());
                self.own_last = true;
            }
        }
        self.count += 1;
    }

    /// Adds pieces already joined by commas.
    fn push_joined(&mut self, joined: String, count: usize) {
        if joined.is_empty() {
            return;
        }
        self.parts.push(joined);
        self.own_last = false;
        self.count += count;
    }

    fn push_change(&mut self, change: &Change) {
        self.push(&serde_json::to_string(change).expect("changes serialise"));
    }

    /// The length of the text `write_into` writes.
    fn len(&self) -> usize {
        self.parts.iter().map(String::len).sum::<usize>() + self.parts.len().saturating_sub(1)
    }

    fn write_into(&self, text: &mut String) {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(part);
        }
    }
}

pub async fn pull(
    db: &impl GenericClient,
    p: &Puller,
    cursor: Cursor,
    limit: usize,
) -> Result<Page, SyncError> {
    // One device's pulls run one at a time: each rewrites what the service believes it holds.
    db::execute(
        db,
        "SELECT pg_advisory_xact_lock($1, hashtext($2::uuid::text))",
        &[&PULL_LOCK_CLASS, &p.device],
    )
    .await?;
    let row = db::query_one(
        db,
        "INSERT INTO sync_devices (device_id, last_pull_at) VALUES ($1, $2)
         ON CONFLICT (device_id) DO UPDATE SET last_pull_at = excluded.last_pull_at
         RETURNING scope_seq, scope_epoch, scan_after, scan_seq, scan_epoch,
                   (SELECT coalesce(max(seq), 0) FROM change_log), (SELECT coalesce(max(seq), 0) FROM scope_marks),
                   rescope_epoch, scan_pages",
        &[&p.device, &p.now],
    )
    .await?;
    let mut state = DeviceState {
        scope_seq: row.get(0),
        scope_epoch: row.get(1),
        scan_after: row.get(2),
        scan_seq: row.get(3),
        scan_epoch: row.get(4),
        rescope_epoch: row.get(7),
        scan_pages: row.get(8),
    };
    // How far the log and the scope marks have come. Read after taking the lock and before any
    // case is read, so anything committed later has a higher number and comes next time.
    let (log_head, mark_head): (i64, i64) = (row.get(5), row.get(6));
    let before = state.clone();
    let epoch = cursor.epoch;
    // Pages after the cursor's never reached the device: forget what they added and removed.
    if epoch < state.scan_epoch {
        state.scan_after = None;
        state.scan_seq = None;
    }
    if epoch < state.scope_epoch {
        state.scope_seq = None;
    }
    let page_epoch = epoch + 1;
    let mut removed: Vec<Uuid> = Vec::new();
    let mut added: Vec<Uuid> = Vec::new();
    let mut more_snapshots = false;
    // The user's role changed after the page this cursor names (`rescope_devices_of`): every
    // case the device may hold was chosen and redacted for the old role, so all of them leave on
    // a page of their own, and the scan of the next page sends back whole, redacted for the new
    // role, those it may see now. "May hold" is every row not settled, including rows of pages
    // later than the cursor: a lost page may have re-added a case whose removal was lost with
    // it, and undoing that page first would forget that the device still holds the old copy.
    // Naming a case the device does not hold is harmless; missing one is not. The rows become
    // "held from epoch 0, removed on this page", so if this page is lost too, the cursor sent
    // again is older than `rescope_epoch` and they are all removed again.
    let rescoping = epoch < state.rescope_epoch;
    let held_any: bool = if rescoping {
        db::execute(
            db,
            "WITH settled AS (DELETE FROM device_cases WHERE device_id = $1 AND removed_epoch <= $2 RETURNING case_id)
             INSERT INTO device_cases_left (device_id, case_id) SELECT $1, case_id FROM settled
             ON CONFLICT DO NOTHING",
            &[&p.device, &epoch],
        )
        .await?;
        removed = db::query(
            db,
            "UPDATE device_cases SET added_epoch = 0, removed_epoch = $2, snap_seq = 0
             WHERE device_id = $1 RETURNING case_id",
            &[&p.device, &page_epoch],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        removed.sort_unstable();
        false
    } else {
        db::query_one(
            db,
            "WITH undo_added AS (DELETE FROM device_cases WHERE device_id = $1 AND added_epoch > $2 RETURNING 1),
                  undo_removed AS (UPDATE device_cases SET removed_epoch = NULL
                                   WHERE device_id = $1 AND removed_epoch > $2 AND added_epoch <= $2 RETURNING 1),
                  settled AS (DELETE FROM device_cases WHERE device_id = $1 AND removed_epoch <= $2 RETURNING case_id),
                  remembered AS (INSERT INTO device_cases_left (device_id, case_id) SELECT $1, case_id FROM settled
                                 ON CONFLICT DO NOTHING RETURNING 1)
             -- The statements above run whatever this one reads; it sees the rows as they were before
             -- them, so it asks which cases the device held as of its epoch.
             SELECT EXISTS (SELECT 1 FROM device_cases WHERE device_id = $1 AND added_epoch <= $2
                            AND (removed_epoch IS NULL OR removed_epoch > $2))",
            &[&p.device, &epoch],
        )
        .await?
        .get(0)
    };
    let rescoped = !removed.is_empty();
    if rescoping {
        state.scope_seq = None;
        state.scan_after = None;
        state.scan_seq = None;
        // With nothing held, nothing has to reach the device: this cursor's epoch is enough.
        state.rescope_epoch = if rescoped { page_epoch } else { epoch };
        if rescoped {
            state.scope_epoch = page_epoch;
            state.scan_epoch = page_epoch;
        }
    }
    let scanning = state.scan_after.is_some() && state.scan_seq.is_some();
    let need_scan = !rescoped && (scanning || state.scope_seq.is_none_or(|s| mark_head > s));
    if need_scan {
        let scope = rules::scope_sql(p.grant, 2);
        let round_seq = if scanning {
            state.scan_seq.expect("scanning")
        } else {
            mark_head
        };
        if !scanning {
            removed = db::query(
                db,
                &format!(
                    "UPDATE device_cases d SET removed_epoch = $3
                     WHERE d.device_id = $1 AND d.removed_epoch IS NULL
                       AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = d.case_id AND {scope} OFFSET 0)
                     RETURNING d.case_id"
                ),
                &[&p.device, &p.user, &page_epoch],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        }
        let pages_made = if scanning { state.scan_pages } else { 0 };
        let most = snapshot_cases(pages_made.max(0) as u32);
        let batch = limit.clamp(1, most) as i64;
        added = unheld_in_scope(
            db,
            p.grant,
            p.user,
            p.device,
            state.scan_after,
            batch,
            MAX_SNAPSHOT_CASES as i64,
        )
        .await?;
        if !added.is_empty() {
            db::execute(
                db,
                "INSERT INTO device_cases (device_id, case_id, added_epoch, snap_seq)
                 SELECT $1, c, $3, $4 FROM unnest($2::uuid[]) AS t(c)
                 ON CONFLICT (device_id, case_id) DO UPDATE
                 SET added_epoch = excluded.added_epoch, removed_epoch = NULL, snap_seq = excluded.snap_seq",
                &[&p.device, &added, &page_epoch, &log_head],
            )
            .await?;
            // A case this device held once may still be there in an older copy, if the page
            // that removed it was never kept (see migration 0006). The whole copy leaves out what
            // the user may no longer see instead of removing it, so the old copy goes first:
            // the device applies a page's removals before its changes.
            let held_once: Vec<Uuid> = db::query(
                db,
                "SELECT case_id FROM device_cases_left WHERE device_id = $1 AND case_id = ANY($2)",
                &[&p.device, &added],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
            if !held_once.is_empty() {
                removed.extend(held_once);
                removed.sort_unstable();
                removed.dedup();
            }
        }
        let changed = !removed.is_empty() || !added.is_empty();
        let epoch_now = if changed { page_epoch } else { epoch };
        if added.len() as i64 == batch {
            more_snapshots = true;
            state.scan_after = added.last().copied();
            state.scan_seq = Some(round_seq);
            state.scan_epoch = epoch_now;
            state.scan_pages = pages_made.saturating_add(1);
        } else {
            state.scan_after = None;
            state.scan_seq = None;
            state.scan_pages = 0;
            state.scope_seq = Some(round_seq);
            state.scope_epoch = epoch_now;
        }
    }
    // How many cases are still to come whole, for the device to show how far its sync has come:
    // counted once, on the page that begins a scan (about 20-70 ms for 30,000 cases, which on
    // every page added a tenth to a first sync); the device takes each later page's cases off
    // it, and the scan's last page leaves none.
    let whole = match added.last() {
        None => None,
        Some(last) => {
            let left = if !more_snapshots {
                Some(0)
            } else if !scanning {
                Some(unheld_after(db, p.grant, p.user, p.device, *last).await?)
            } else {
                None
            };
            Some(WholeCases {
                sent: added.len() as u64,
                left,
            })
        }
    };
    let new_epoch = if !removed.is_empty() || !added.is_empty() {
        page_epoch
    } else {
        epoch
    };

    let mut pieces = Pieces::default();
    if !added.is_empty() {
        snapshots(db, p.grant, &added, &mut pieces).await?;
    }
    let snapshot_changes = pieces.count;

    // The log after the cursor, for the cases the device held before this page (those added now
    // came whole, as of a moment after `log_head`).
    let mut next_seq = log_head.max(cursor.seq);
    let mut log_cases: Vec<Uuid> = Vec::new();
    let mut removed_photos: Vec<Uuid> = Vec::new();
    let mut log_full = false;
    if held_any && cursor.seq < log_head {
        let limit = limit.max(1) as i64;
        let mut skip: Vec<&str> = Vec::new();
        if !p.grant.contacts_and_notes {
            skip.extend(["contact", "note"]);
        }
        if p.grant.photos == PhotoAccess::None {
            skip.push("photo");
        }
        let seqs = held_log_rows(db, p.device, cursor.seq, log_head, &skip, limit).await?;
        let rows = if seqs.is_empty() {
            Vec::new()
        } else {
            db::query(
                db,
                "SELECT l.seq, l.case_id, l.entity, l.body, p.consent_to_publish, p.sync_state, p.deleted, l.record_id
                 FROM change_log l
                 LEFT JOIN photos p ON l.entity = 'photo' AND p.id = l.record_id
                 WHERE l.seq = ANY($1)
                 ORDER BY l.seq",
                &[&seqs],
            )
            .await?
        };
        log_full = seqs.len() as i64 == limit;
        if log_full {
            next_seq = seqs.last().copied().unwrap_or(cursor.seq);
        }
        for r in &rows {
            let entity: String = r.get(2);
            let entity = Entity::parse(&entity)
                .ok_or_else(|| DbError::Corrupt("a change names no known entity".into()))?;
            let body: String = r.get(3);
            let case_id: Uuid = r.get(1);
            let sent = if redact::passes_whole(p.grant, entity) {
                pieces.push(&body);
                true
            } else {
                let change: Change = serde_json::from_str(&body)
                    .map_err(|e| DbError::Corrupt(format!("a change: {e}")))?;
                let change = if entity == Entity::Photo && p.grant.photos == PhotoAccess::Consented
                {
                    let now = PhotoNow {
                        consented: r.get(4),
                        deleted: r.get(6),
                        state: r.get(5),
                    };
                    match consented_photo(change, now)? {
                        PhotoFate::Send(c) => Some(*c),
                        PhotoFate::Remove => {
                            removed_photos.push(r.get(7));
                            None
                        }
                        PhotoFate::Nothing => None,
                    }
                } else {
                    redact::change(p.grant, change)
                };
                match change {
                    Some(c) => {
                        pieces.push_change(&c);
                        true
                    }
                    None => false,
                }
            };
            if sent && log_cases.last() != Some(&case_id) {
                log_cases.push(case_id);
            }
        }
        log_cases.sort_unstable();
        log_cases.dedup();
        removed_photos.sort_unstable();
        removed_photos.dedup();
    }

    if state != before {
        db::execute(
            db,
            "UPDATE sync_devices SET scope_seq = $2, scope_epoch = $3, scan_after = $4, scan_seq = $5, scan_epoch = $6, rescope_epoch = $7,
                 scan_pages = $8
             WHERE device_id = $1",
            &[&p.device, &state.scope_seq, &state.scope_epoch, &state.scan_after, &state.scan_seq, &state.scan_epoch, &state.rescope_epoch, &state.scan_pages],
        )
        .await?;
    }
    let next = Cursor {
        seq: next_seq,
        epoch: new_epoch,
    };
    let has_more = more_snapshots || log_full || rescoped;
    let audit = Entry::new(
        p.now,
        Actor::User {
            user: p.user,
            device: Some(p.device),
        },
        Action::SyncPulled,
    )
    .address(p.address.clone())
    .detail(json!({
        "cursor": cursor.to_string(),
        "next": next.to_string(),
        "changes": pieces.count,
        "view": p.grant.view,
        "case_ids": added,
        "changed_case_ids": log_cases,
        "removed_case_ids": removed,
        "removed_photo_ids": removed_photos,
    }));

    let mut text = String::with_capacity(pieces.len() + 256);
    text.push('{');
    if !removed.is_empty() {
        text.push_str("\"removed_cases\":");
        text.push_str(&serde_json::to_string(&removed).expect("ids serialise"));
        text.push(',');
    }
    if !removed_photos.is_empty() {
        text.push_str("\"removed_photos\":");
        text.push_str(&serde_json::to_string(&removed_photos).expect("ids serialise"));
        text.push(',');
    }
    text.push_str("\"changes\":[");
    pieces.write_into(&mut text);
    text.push_str("],\"cursor\":");
    text.push_str(&serde_json::to_string(&next).expect("cursors serialise"));
    text.push_str(",\"has_more\":");
    text.push_str(if has_more { "true" } else { "false" });
    text.push_str(",\"server_time\":");
    text.push_str(&serde_json::to_string(&p.now).expect("times serialise"));
    text.push_str(",\"server_stamp\":");
    text.push_str(&serde_json::to_string(&p.server_stamp).expect("stamps serialise"));
    if let Some(whole) = &whole {
        text.push_str(",\"whole\":");
        text.push_str(&serde_json::to_string(whole).expect("counts serialise"));
    }
    text.push('}');
    Ok(Page {
        text,
        changes: pieces.count,
        snapshots: if snapshot_changes > 0 { added.len() } else { 0 },
        removed: removed.len(),
        cursor: next,
        has_more,
        audit,
    })
}

/// Makes every device of the user give back every case it holds at its next pull and take back
/// those the user's new role may see, redacted for it (see `pull`). Called in the transaction
/// that changes the role, so no pull can come between under the new role with the old cases.
/// A device's ops still waiting are answered first, under the new role: the engine pushes
/// before it pulls, so an edit made under the old role is applied or refused (and then shown to
/// the person) before its case leaves the device. Devices that never pulled hold nothing.
pub async fn rescope_devices_of(db: &impl GenericClient, user: Uuid) -> Result<u64, DbError> {
    db::execute(
        db,
        "UPDATE sync_devices SET rescope_epoch = 9223372036854775807
         WHERE device_id IN (SELECT id FROM devices WHERE user_id = $1)",
        &[&user],
    )
    .await
    .map_err(DbError::from)
}

/// What the service holds of a photo now, for a role that sees consented photos only.
struct PhotoNow {
    consented: Option<bool>,
    deleted: Option<bool>,
    /// Its whole record (`sync_state`); `None` when the row is gone.
    state: Option<String>,
}

/// What a photo's change-log row becomes for a role that sees consented photos only.
#[derive(Debug, PartialEq)]
enum PhotoFate {
    /// The photo's whole current record: it is consented and not deleted now.
    Send(Box<Change>),
    /// The device must let go of the photo (`PullPage::removed_photos`): this change withdrew
    /// its consent, or deleted it while it was consented. Sending the record instead would leave
    /// the photo and its bytes on a device whose role may no longer see them.
    Remove,
    Nothing,
}

/// Decided by the photo as it is now, so one page never both sends and removes a photo: a
/// consent withdrawn and given again is sent whole; given and withdrawn is removed. A photo added
/// without consent withdrew nothing (its first change writes every field, `sha256` among them,
/// which no later change writes): it never reaches the role at all, not even by its id.
fn consented_photo(change: Change, now: PhotoNow) -> Result<PhotoFate, DbError> {
    let (Some(consented), Some(deleted), Some(current)) = (now.consented, now.deleted, now.state)
    else {
        return Ok(PhotoFate::Nothing);
    };
    if consented && !deleted {
        return serde_json::from_str(&current)
            .map(|c| PhotoFate::Send(Box::new(c)))
            .map_err(|e| DbError::Corrupt(format!("a photo's sync state: {e}")));
    }
    let Change::Record(s) = &change else {
        return Ok(PhotoFate::Nothing);
    };
    if s.fields.contains_key("sha256") {
        return Ok(PhotoFate::Nothing);
    }
    let withdrew = s.fields.get("consent_to_publish") == Some(&serde_json::Value::Bool(false));
    let deleted_while_shown =
        consented && s.fields.get("deleted") == Some(&serde_json::Value::Bool(true));
    Ok(if withdrew || deleted_while_shown {
        PhotoFate::Remove
    } else {
        PhotoFate::Nothing
    })
}

/// Which of `cases` the device holds, each with the log number it was sent whole at: one lookup
/// by the primary key, however many cases, so its cost never depends on the table's statistics.
async fn held_among(
    db: &impl GenericClient,
    device: Uuid,
    cases: &[Uuid],
) -> Result<HashMap<Uuid, i64>, DbError> {
    Ok(db::query(
        db,
        "SELECT case_id, snap_seq FROM device_cases WHERE device_id = $1 AND case_id = ANY($2) AND removed_epoch IS NULL",
        &[&device, &cases],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

/// The numbers of the first `limit` rows of the change log after `after` (up to `head`, of no
/// entity in `skip`) that the device must receive: rows of cases it holds, newer than the state
/// it was sent them whole at. The log is read in windows of `limit` numbers, each taken out of
/// the cases held with one lookup. A single query that probed `device_cases` for each row, in
/// log order, depended on statistics that lag while a device's rows grow by thousands: with
/// them, the planner sorted the whole rest of the log where it should have walked it (0.7 s,
/// on disk, for a device 270,000 rows behind), and could probe through the index on
/// `added_epoch`, reading every row of the device for each log row, as the scope scan did.
/// A window holds at most `limit` rows whatever the plan, since numbers are not reused.
pub async fn held_log_rows(
    db: &impl GenericClient,
    device: Uuid,
    after: i64,
    head: i64,
    skip: &[&str],
    limit: i64,
) -> Result<Vec<i64>, DbError> {
    let limit = limit.max(1);
    let mut from = after;
    let mut picked: Vec<i64> = Vec::new();
    while from < head {
        let to = head.min(from.saturating_add(limit));
        let rows: Vec<(i64, Uuid)> = db::query(
            db,
            "SELECT seq, case_id FROM change_log WHERE seq > $1 AND seq <= $2 AND entity <> ALL($3::text[]) ORDER BY seq",
            &[&from, &to, &skip],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        if !rows.is_empty() {
            let mut cases: Vec<Uuid> = rows.iter().map(|(_, case)| *case).collect();
            cases.sort_unstable();
            cases.dedup();
            let held = held_among(db, device, &cases).await?;
            for (seq, case) in rows {
                if held.get(&case).is_some_and(|snap| *snap < seq) {
                    picked.push(seq);
                    if picked.len() as i64 == limit {
                        return Ok(picked);
                    }
                }
            }
        }
        from = to;
    }
    Ok(picked)
}

/// The first `batch` cases in the user's scope after `after`, in id order, that the device does
/// not hold. Cases in scope are read `chunk` at a time and the ones held are taken out with one
/// lookup a chunk. `device_cases` grows by thousands of rows within one first sync, faster than
/// its statistics: a single query probing it for each case let the planner probe through the
/// index on `added_epoch`, reading every row of the device for each case (a page took 0.5 s at
/// 10,000 cases held, 1.4 s at 20,000, and a first sync of 30,000 cases twice as long). Here a
/// wrong plan reads each row of the device at most once a chunk. A scan starts after the nil id
/// rather than at "no id": `$2 IS NULL OR c.id > $2` would keep it from starting the walk there.
pub async fn unheld_in_scope(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    device: Uuid,
    after: Option<Uuid>,
    batch: i64,
    chunk: i64,
) -> Result<Vec<Uuid>, DbError> {
    let scope = rules::scope_sql(grant, 2);
    let chunk = chunk.max(1);
    let mut after = after.unwrap_or(Uuid::nil());
    let mut unheld: Vec<Uuid> = Vec::new();
    loop {
        let candidates: Vec<Uuid> = db::query(
            db,
            &format!("SELECT c.id FROM cases c WHERE {scope} AND c.id > $1 ORDER BY c.id LIMIT $3"),
            &[&after, &user, &chunk],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        let Some(last) = candidates.last().copied() else {
            return Ok(unheld);
        };
        let held = held_among(db, device, &candidates).await?;
        for id in candidates.iter().filter(|id| !held.contains_key(id)) {
            unheld.push(*id);
            if unheld.len() as i64 == batch {
                return Ok(unheld);
            }
        }
        if (candidates.len() as i64) < chunk {
            return Ok(unheld);
        }
        after = last;
    }
}

/// About how many cases in scope after `after` (in id order, as the scan walks) the device
/// does not hold yet: the cases in scope there less the ones it holds there. Every case it
/// holds was in scope when the scan began (the others were taken off then), so the difference
/// is exact unless a case left the user's scope since; it is never below zero.
pub async fn unheld_after(
    db: &impl GenericClient,
    grant: &Grant,
    user: Uuid,
    device: Uuid,
    after: Uuid,
) -> Result<u64, DbError> {
    let scope = rules::scope_sql(grant, 2);
    let row = db::query_one(
        db,
        &format!(
            "SELECT (SELECT count(*) FROM cases c WHERE {scope} AND c.id > $3)
                  - (SELECT count(*) FROM device_cases d
                     WHERE d.device_id = $1 AND d.case_id > $3 AND d.removed_epoch IS NULL)"
        ),
        &[&device, &user, &after],
    )
    .await?;
    Ok(row.get::<_, i64>(0).max(0) as u64)
}

/// Every record of the cases, as the role may see them: case fields, status events, contacts,
/// photos, note versions and open conflicts, in that order (a case before what hangs off it).
async fn snapshots(
    db: &impl GenericClient,
    grant: &Grant,
    cases: &[Uuid],
    out: &mut Pieces,
) -> Result<(), DbError> {
    let whole = redact::passes_whole(grant, Entity::Case) && grant.photos == PhotoAccess::All;
    let mut queries: Vec<(&str, Entity)> = vec![
        (
            "SELECT sync_state FROM cases WHERE id = ANY($1)",
            Entity::Case,
        ),
        (
            "SELECT change FROM status_events WHERE case_id = ANY($1)",
            Entity::StatusEvent,
        ),
    ];
    if grant.contacts_and_notes {
        queries.push((
            "SELECT sync_state FROM contacts WHERE case_id = ANY($1)",
            Entity::Contact,
        ));
    }
    match grant.photos {
        PhotoAccess::All => queries.push(("SELECT sync_state FROM photos WHERE case_id = ANY($1)", Entity::Photo)),
        PhotoAccess::Consented => queries.push((
            "SELECT sync_state FROM photos WHERE case_id = ANY($1) AND consent_to_publish AND NOT deleted",
            Entity::Photo,
        )),
        PhotoAccess::None => {}
    }
    if grant.contacts_and_notes {
        queries.push((
            "SELECT change FROM notes WHERE case_id = ANY($1)",
            Entity::Note,
        ));
    }
    queries.push((
        "SELECT record FROM sync_conflicts WHERE case_id = ANY($1) AND resolved_at IS NULL",
        Entity::Case,
    ));
    for (sql, entity) in queries {
        if whole {
            // Joined in the database: one row per table however many records.
            let joined =
                format!("SELECT coalesce(string_agg(t, ','), ''), count(*) FROM ({sql}) AS s(t)");
            let row = db::query_one(db, &joined, &[&cases]).await?;
            let text: String = row.get(0);
            let count: i64 = row.get(1);
            out.push_joined(text, count as usize);
        } else {
            for r in db::query(db, sql, &[&cases]).await? {
                let text: String = r.get(0);
                let change: Change = serde_json::from_str(&text)
                    .map_err(|e| DbError::Corrupt(format!("{}: {e}", entity.as_str())))?;
                if let Some(c) = redact::change(grant, change) {
                    out.push_change(&c);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn pieces_are_joined_by_commas_in_the_order_they_came_whatever_parts_they_came_in() {
        let mut pieces = Pieces::default();
        let mut text = String::new();
        pieces.write_into(&mut text);
        assert_eq!((text.as_str(), pieces.len(), pieces.count), ("", 0, 0));
        pieces.push(r#"{"a":1}"#);
        pieces.push_joined(r#"{"b":2},{"c":3}"#.to_owned(), 2);
        pieces.push_joined(String::new(), 0);
        pieces.push(r#"{"d":4}"#);
        pieces.push(r#"{"e":5}"#);
        pieces.push_joined(r#"{"f":6}"#.to_owned(), 1);
        pieces.write_into(&mut text);
        assert_eq!(text, r#"{"a":1},{"b":2},{"c":3},{"d":4},{"e":5},{"f":6}"#);
        assert_eq!(
            pieces.len(),
            text.len(),
            "the page's text is made with room for all of it"
        );
        assert_eq!(pieces.count, 6);
    }
    use porchlight_sync::{RecordState, ReplicaId, Stamp};
    use serde_json::json;
    use uuid::Uuid;

    fn photo_change(fields: &[(&str, serde_json::Value)]) -> Change {
        let stamp = Stamp::at(
            Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
            ReplicaId(5),
        );
        let id = Uuid::now_v7();
        Change::Record(
            RecordState::from_fields(
                Entity::Photo,
                id,
                id,
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone(), stamp)),
            )
            .unwrap(),
        )
    }

    fn now(consented: bool, deleted: bool, state: &Change) -> PhotoNow {
        PhotoNow {
            consented: Some(consented),
            deleted: Some(deleted),
            state: Some(serde_json::to_string(state).unwrap()),
        }
    }

    #[test]
    fn a_photo_added_without_consent_never_reaches_a_consented_only_role() {
        let added = photo_change(&[
            ("sha256", json!("ab".repeat(32))),
            ("consent_to_publish", json!(false)),
            ("source", json!("school")),
        ]);
        assert_eq!(
            consented_photo(added.clone(), now(false, false, &added)).unwrap(),
            PhotoFate::Nothing
        );
        let edit = photo_change(&[("deleted", json!(true))]);
        assert_eq!(
            consented_photo(edit, now(false, true, &added)).unwrap(),
            PhotoFate::Nothing,
            "deleting a photo the role never saw names it to nobody"
        );
    }

    #[test]
    fn a_withdrawal_of_consent_or_a_deletion_takes_the_photo_off_the_device() {
        let state = photo_change(&[
            ("sha256", json!("ab".repeat(32))),
            ("consent_to_publish", json!(false)),
        ]);
        let withdrawn = photo_change(&[("consent_to_publish", json!(false))]);
        assert_eq!(
            consented_photo(withdrawn, now(false, false, &state)).unwrap(),
            PhotoFate::Remove
        );
        let deleted = photo_change(&[("deleted", json!(true))]);
        assert_eq!(
            consented_photo(deleted, now(true, true, &state)).unwrap(),
            PhotoFate::Remove
        );
        let other_edit = photo_change(&[("source", json!("family album"))]);
        assert_eq!(
            consented_photo(other_edit, now(false, false, &state)).unwrap(),
            PhotoFate::Nothing
        );
    }

    #[test]
    fn a_photo_consented_now_is_sent_whole_whatever_the_change() {
        let state = photo_change(&[
            ("sha256", json!("ab".repeat(32))),
            ("consent_to_publish", json!(true)),
        ]);
        let withdrawn_earlier = photo_change(&[("consent_to_publish", json!(false))]);
        assert_eq!(
            consented_photo(withdrawn_earlier, now(true, false, &state)).unwrap(),
            PhotoFate::Send(Box::new(state))
        );
    }
}
