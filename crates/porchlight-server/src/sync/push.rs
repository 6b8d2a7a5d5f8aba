//! Applying a push: a device's ops, in order, each accepted or refused for good on its own. The
//! records the ops touch are read (and locked) in a few statements, every op is applied in
//! memory on a copy of what it touches (so a refused op leaves no trace and never blocks the ops
//! after it), and everything accepted is written back in one statement per table. Per field the
//! higher stamp wins; a write whose author had not seen the stored value raises a conflict that
//! keeps both sides; racing status changes always do. Every answer is stored, so an op sent
//! again gets the same answer, byte for byte. It does not speak HTTP nor decide what a role may
//! see (`rules`, `redact`).

use super::log::{self, Kind};
use super::record::{ChangeRef, Record, Undo};
use super::schema::{self, CheckedCase};
use super::store::{self, Batch};
use super::{redact, SyncError};
use crate::audit::{self, Action, Actor, Entry};
use crate::db::{self, DbError};
use crate::people::Role;
use crate::rules::{self, Grant, PhotoAccess};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use porchlight_domain::{CaseStatus, FieldError, NoteCategory};
use porchlight_sync::{
    merge_field, status_races, AppendedRecord, Clock, ConflictRecord, ConflictSide, Entity,
    FieldWrite, Merge, Op, OpBody, OpResult, Outcome, OwnRows, RecordState, RejectCode, Resolution,
    Stamp, MAX_FUTURE_SKEW_SECS,
};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Who pushes, and the service's clock.
pub struct Pusher<'a> {
    pub grant: &'static Grant,
    pub role: Role,
    pub user: Uuid,
    pub device: Uuid,
    pub display_name: String,
    pub office: Option<Uuid>,
    pub address: Option<String>,
    pub clock: &'a Clock,
    pub now: DateTime<Utc>,
}

/// What a push did: each op's answer as stored (`OpResult` JSON), and counts for the audit log.
pub struct Pushed {
    pub results: Vec<String>,
    pub applied: usize,
    pub rejected: usize,
    pub repeated: usize,
    pub conflicts: usize,
    /// See `PushResponse::own_rows`.
    pub own_rows: Option<OwnRows>,
}

/// A side of a conflict before its author is looked up by stamp.
#[derive(Clone)]
struct Side {
    value: Value,
    stamp: Stamp,
    /// `None` until found by stamp among earlier writes.
    author: Option<(Uuid, Uuid, String)>,
}

struct Raised {
    id: Uuid,
    case_id: Uuid,
    entity: Entity,
    record_id: Uuid,
    field: String,
    kept: Side,
    other: Side,
    resolution: Option<Resolution>,
}

/// A conflict stored earlier, as read for a resolution.
struct Stored {
    record: ConflictRecord,
    resolved: bool,
    changed: bool,
}

struct CaseState {
    existed: bool,
    visible: bool,
    office_id: Uuid,
    status: CaseStatus,
    status_stamp: Option<Stamp>,
    record: Record,
    checked: Option<CheckedCase>,
    /// Its fields changed.
    dirty: bool,
    /// Its status in force changed.
    status_dirty: bool,
    assign_creator: bool,
}

#[derive(Clone)]
struct RecordRow {
    existed: bool,
    record: Record,
    dirty: bool,
    /// The columns to write, set when the record was last checked.
    columns: Option<Columns>,
}

#[derive(Clone)]
enum Columns {
    Contact(schema::CheckedContact),
    Photo(schema::CheckedPhoto),
}

/// What goes into the change log for one op, in order.
enum Item {
    Record(RecordState),
    Appended(AppendedRecord),
    Raised(usize),
    Resolved(Uuid),
}

enum Fate {
    /// Answered before: the stored answer.
    Repeat(String),
    /// The same op earlier in this push: its answer.
    SameAs(usize),
    Rejected {
        code: RejectCode,
        reason: String,
        current: Vec<RecordState>,
    },
    Applied {
        items: Vec<Item>,
        current: Vec<RecordState>,
    },
}

struct Refusal(RejectCode, String);

impl Refusal {
    fn invalid(errors: &[FieldError]) -> Refusal {
        let text: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        Refusal(RejectCode::Invalid, text.join(" "))
    }
    fn one(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::invalid(&[FieldError::new(field, message)])
    }
}

/// Everything the ops of one push may touch, read at the start and changed in memory.
#[derive(Default)]
struct World {
    cases: HashMap<Uuid, CaseState>,
    contacts: HashMap<Uuid, (Uuid, RecordRow)>,
    photos: HashMap<Uuid, (Uuid, RecordRow)>,
    /// Append-only records already stored (id → case), so a repeated record id changes nothing.
    appended: HashMap<Uuid, Uuid>,
    /// Versions of each note: (version, id).
    note_versions: HashMap<Uuid, Vec<(u32, Uuid)>>,
    stored_conflicts: HashMap<Uuid, Stored>,
    raised: Vec<Raised>,
    numbers: HashSet<String>,
    batch: Batch,
    audit: Vec<Entry>,
}

const PUSH_LOCK_CLASS: i32 = 7306;

pub async fn push(
    db: &impl GenericClient,
    p: &Pusher<'_>,
    ops: &[Op],
) -> Result<Pushed, SyncError> {
    // One device's pushes run one at a time, so an op sent twice at once is answered once.
    db::execute(
        db,
        "SELECT pg_advisory_xact_lock($1, hashtext($2::uuid::text))",
        &[&PUSH_LOCK_CLASS, &p.device],
    )
    .await?;
    let ids: Vec<Uuid> = ops.iter().map(|o| o.id).collect();
    let earlier: HashMap<Uuid, String> = db::query(
        db,
        "SELECT op_id, result FROM sync_ops WHERE op_id = ANY($1) AND result IS NOT NULL",
        &[&ids],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    let mut world = World::default();
    load(db, p, ops, &earlier, &mut world).await?;

    let mut fates: Vec<Fate> = Vec::with_capacity(ops.len());
    let mut first_of: HashMap<Uuid, usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        if let Some(text) = earlier.get(&op.id) {
            fates.push(Fate::Repeat(text.clone()));
            continue;
        }
        if let Some(&j) = first_of.get(&op.id) {
            // The same op twice in one push: the second is a repeat of the first.
            fates.push(Fate::SameAs(j));
            continue;
        }
        first_of.insert(op.id, i);
        let fate = match apply(&mut world, p, op) {
            Ok((items, current)) => {
                p.clock.observe(&op.stamp);
                Fate::Applied { items, current }
            }
            Err((Refusal(code, reason), current)) => {
                let current = if current.is_empty() {
                    refused_current(&world, p, op)
                } else {
                    current
                };
                Fate::Rejected {
                    code,
                    reason,
                    current,
                }
            }
        };
        fates.push(fate);
    }

    // Authors of the stored sides of new conflicts, found by their stamps.
    let unknown: Vec<String> = world
        .raised
        .iter()
        .flat_map(|r| [&r.kept, &r.other])
        .filter(|s| s.author.is_none())
        .map(|s| s.stamp.to_string())
        .collect();
    let mut authors: HashMap<String, (Uuid, Uuid, String)> = HashMap::new();
    if !unknown.is_empty() {
        for r in db::query(
            db,
            "SELECT o.stamp, o.op_id, coalesce(o.device_id, '00000000-0000-0000-0000-000000000000'), coalesce(u.display_name, '')
             FROM sync_ops o LEFT JOIN users u ON u.id = o.user_id WHERE o.applied AND o.stamp = ANY($1)",
            &[&unknown],
        )
        .await?
        {
            authors.insert(r.get(0), (r.get(1), r.get(2), r.get(3)));
        }
    }
    let side = |s: &Side| {
        let (op_id, device_id, by) = s
            .author
            .clone()
            .or_else(|| authors.get(&s.stamp.to_string()).cloned())
            .unwrap_or((Uuid::nil(), Uuid::nil(), String::new()));
        ConflictSide {
            value: s.value.clone(),
            stamp: s.stamp,
            op_id,
            device_id,
            by,
        }
    };
    let raised: Vec<ConflictRecord> = world
        .raised
        .iter()
        .map(|r| ConflictRecord {
            id: r.id,
            case_id: r.case_id,
            entity: r.entity,
            record_id: r.record_id,
            field: r.field.clone(),
            kept: side(&r.kept),
            other: side(&r.other),
            resolution: r.resolution.clone(),
        })
        .collect();
    for c in &raised {
        world.batch.conflicts.push(store::ConflictRow {
            id: c.id,
            case_id: c.case_id,
            entity: c.entity.as_str(),
            record_id: c.record_id,
            field: c.field.clone(),
            record: ChangeRef::Conflict(c).text(),
            at: p.now,
        });
        if c.resolution.is_some() {
            world.batch.resolved.push(store::Resolved {
                id: c.id,
                record: ChangeRef::Conflict(c).text(),
                at: p.now,
            });
        }
    }
    for (id, stored) in &world.stored_conflicts {
        if stored.changed {
            world.batch.resolved.push(store::Resolved {
                id: *id,
                record: ChangeRef::Conflict(&stored.record).text(),
                at: p.now,
            });
        }
    }
    finish_records(&mut world, p);

    // The log, in op order.
    let mut rows: Vec<log::Row> = Vec::new();
    let mut op_rows: Vec<(usize, usize)> = Vec::with_capacity(ops.len());
    for fate in &fates {
        let start = rows.len();
        if let Fate::Applied { items, .. } = fate {
            for item in items {
                rows.push(match item {
                    Item::Record(state) => log::Row {
                        case_id: state.case_id,
                        entity: state.entity,
                        record_id: state.record_id,
                        kind: Kind::Record,
                        body: ChangeRef::Record(state).text(),
                    },
                    Item::Appended(a) => log::Row {
                        case_id: a.case_id,
                        entity: a.entity,
                        record_id: a.record_id,
                        kind: Kind::Appended,
                        body: ChangeRef::Appended(a).text(),
                    },
                    Item::Raised(i) => conflict_row(&raised[*i]),
                    Item::Resolved(id) => {
                        let record = raised
                            .iter()
                            .find(|c| c.id == *id)
                            .or_else(|| world.stored_conflicts.get(id).map(|s| &s.record))
                            .expect("a resolved conflict was found before");
                        conflict_row(record)
                    }
                });
            }
        }
        op_rows.push((start, rows.len()));
    }

    store::write(db, &world.batch).await?;
    let seqs = log::append(db, &rows, p.now).await?;
    // The answer says all of these rows only when none is a conflict (a device learns of those
    // from the log, settled ones included) or a photo (whose consent decides whether it stays
    // on the device at all), so only then may a device skip pulling them back.
    let told_whole = rows
        .iter()
        .all(|r| r.kind != Kind::Conflict && r.entity != Entity::Photo);
    let own_rows = match (seqs.first(), seqs.last()) {
        (Some(first), Some(last)) if told_whole => Some(OwnRows {
            after: first - 1,
            last: *last,
        }),
        _ => None,
    };
    hold_created(db, p, &world.batch.new_cases, &seqs).await?;
    // An op that wrote no row of its own is answered with the log's position after the ops before it.
    let mut last_seq = match seqs.first() {
        Some(first) => first - 1,
        None => log::head(db).await?,
    };

    let mut results: Vec<String> = Vec::with_capacity(ops.len());
    let mut op_rows_out: Vec<store::OpRow> = Vec::new();
    let (mut applied, mut rejected, mut repeated, mut conflicts) = (0, 0, 0, 0);
    let mut touched: Vec<Uuid> = Vec::new();
    for (i, (op, fate)) in ops.iter().zip(&fates).enumerate() {
        let (start, end) = op_rows[i];
        let text = match fate {
            Fate::Repeat(text) => {
                repeated += 1;
                text.clone()
            }
            Fate::SameAs(j) => {
                repeated += 1;
                results[*j].clone()
            }
            Fate::Rejected {
                code,
                reason,
                current,
            } => {
                rejected += 1;
                let result = OpResult {
                    op_id: op.id,
                    outcome: Outcome::Rejected {
                        code: *code,
                        reason: reason.clone(),
                    },
                    current: current.clone(),
                    conflicts: Vec::new(),
                };
                let text = serde_json::to_string(&result).expect("results serialise");
                op_rows_out.push(op_row(p, op, false, &text));
                text
            }
            Fate::Applied { items, current } => {
                applied += 1;
                if end > start {
                    last_seq = seqs[end - 1];
                }
                let raised_here: Vec<ConflictRecord> = items
                    .iter()
                    .filter_map(|item| match item {
                        Item::Raised(k) => Some(raised[*k].clone()),
                        _ => None,
                    })
                    .filter_map(|c| {
                        match redact::change(p.grant, porchlight_sync::Change::Conflict(c)) {
                            Some(porchlight_sync::Change::Conflict(c)) => Some(c),
                            _ => None,
                        }
                    })
                    .collect();
                conflicts += raised_here.len();
                touched.push(op.case_id);
                let result = OpResult {
                    op_id: op.id,
                    outcome: Outcome::Applied { seq: last_seq },
                    current: current.clone(),
                    conflicts: raised_here,
                };
                let text = serde_json::to_string(&result).expect("results serialise");
                op_rows_out.push(op_row(p, op, true, &text));
                text
            }
        };
        results.push(text);
    }
    store::record_ops(db, &op_rows_out, p.now).await?;

    touched.sort_unstable();
    touched.dedup();
    world.audit.push(
        Entry::new(
            p.now,
            Actor::User {
                user: p.user,
                device: Some(p.device),
            },
            Action::SyncPushed,
        )
        .address(p.address.clone())
        .detail(json!({
            "ops": ops.len(),
            "applied": applied,
            "rejected": rejected,
            "repeated": repeated,
            "conflicts": conflicts,
            "case_ids": touched,
        })),
    );
    audit::append_all(db, &world.audit).await?;
    Ok(Pushed {
        results,
        applied,
        rejected,
        repeated,
        conflicts,
        own_rows,
    })
}

/// The device that created cases holds them from this push on: it has every field it sent, so
/// its next pull must not send them back whole (after a push of 30,000 new cases that was the
/// whole push again, nine changes a case). The rows are tagged with epoch 0, the epoch of no
/// page: the device holds the cases whatever page it last applied, so the pull's rule that undoes
/// pages the device never received must never undo these, and a later removal (a reassignment)
/// is undone and sent again like any other. `snap_seq` is this push's last change-log number:
/// only rows of this push (the device's own ops, which it has) come at or below it for a case
/// that did not exist before, so every later change by anyone else still reaches the device.
async fn hold_created(
    db: &impl GenericClient,
    p: &Pusher<'_>,
    created: &[store::NewCase],
    seqs: &[i64],
) -> Result<(), DbError> {
    if created.is_empty() {
        return Ok(());
    }
    let snap_seq = match seqs.last() {
        Some(last) => *last,
        None => log::head(db).await?,
    };
    let ids: Vec<Uuid> = created.iter().map(|c| c.id).collect();
    db::execute(
        db,
        "INSERT INTO device_cases (device_id, case_id, added_epoch, snap_seq)
         SELECT $1, c, 0, $3 FROM unnest($2::uuid[]) AS t(c)
         ON CONFLICT (device_id, case_id) DO NOTHING",
        &[&p.device, &ids, &snap_seq],
    )
    .await?;
    Ok(())
}

fn conflict_row(c: &ConflictRecord) -> log::Row {
    log::Row {
        case_id: c.case_id,
        entity: c.entity,
        record_id: c.record_id,
        kind: Kind::Conflict,
        body: ChangeRef::Conflict(c).text(),
    }
}

fn op_row(p: &Pusher<'_>, op: &Op, applied: bool, text: &str) -> store::OpRow {
    store::OpRow {
        op_id: op.id,
        device: Some(p.device),
        user: p.user,
        case_id: op.case_id,
        stamp: op.stamp.to_string(),
        applied,
        result: Some(text.to_owned()),
    }
}

/// Reads (and locks, in one order: cases, contacts, photos, conflicts) everything the new ops
/// may touch.
async fn load(
    db: &impl GenericClient,
    p: &Pusher<'_>,
    ops: &[Op],
    earlier: &HashMap<Uuid, String>,
    w: &mut World,
) -> Result<(), DbError> {
    let fresh: Vec<&Op> = ops
        .iter()
        .filter(|o| !earlier.contains_key(&o.id))
        .collect();
    let mut case_ids: Vec<Uuid> = fresh.iter().map(|o| o.case_id).collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let (mut contacts, mut photos, mut appended, mut note_ids, mut conflicts, mut numbers) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for op in &fresh {
        conflicts.extend(op.resolves.iter().copied());
        match &op.body {
            OpBody::Set {
                entity: Entity::Contact,
                record_id,
                ..
            } => contacts.push(*record_id),
            OpBody::Set {
                entity: Entity::Photo,
                record_id,
                ..
            } => photos.push(*record_id),
            OpBody::Set {
                entity: Entity::Case,
                fields,
                ..
            } => {
                if let Some(f) = fields.iter().find(|f| f.field == schema::CASE_NUMBER) {
                    if let Some(n) = f.value.as_str() {
                        numbers.push(n.to_owned());
                    }
                }
            }
            OpBody::Append {
                entity: Entity::Note,
                record_id,
                record,
                ..
            } => {
                appended.push(*record_id);
                if let Some(id) = record
                    .get("note_id")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok())
                {
                    note_ids.push(id);
                }
            }
            OpBody::Append {
                entity: Entity::StatusEvent,
                record_id,
                ..
            } => appended.push(*record_id),
            _ => {}
        }
    }
    let scope = rules::scope_sql(p.grant, 2);
    for r in db::query(
        db,
        &format!(
            "SELECT c.id, c.office_id, c.status, c.status_stamp, c.sync_state, {scope}
             FROM cases c WHERE c.id = ANY($1) ORDER BY c.id FOR NO KEY UPDATE OF c"
        ),
        &[&case_ids, &p.user],
    )
    .await?
    {
        let status: String = r.get(2);
        let stamp: Option<String> = r.get(3);
        let state: String = r.get(4);
        w.cases.insert(
            r.get(0),
            CaseState {
                existed: true,
                visible: r.get(5),
                office_id: r.get(1),
                status: CaseStatus::from_code(&status).unwrap_or(CaseStatus::Intake),
                status_stamp: stamp.and_then(|s| s.parse().ok()),
                record: Record::from_text(&state)?,
                checked: None,
                dirty: false,
                status_dirty: false,
                assign_creator: false,
            },
        );
    }
    for (table, ids, into) in [
        ("contacts", &mut contacts, &mut w.contacts),
        ("photos", &mut photos, &mut w.photos),
    ] {
        if ids.is_empty() {
            continue;
        }
        ids.sort_unstable();
        ids.dedup();
        for r in db::query(
            db,
            &format!("SELECT id, case_id, sync_state FROM {table} WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE"),
            &[&*ids],
        )
        .await?
        {
            let state: String = r.get(2);
            into.insert(
                r.get(0),
                (r.get(1), RecordRow { existed: true, record: Record::from_text(&state)?, dirty: false, columns: None }),
            );
        }
    }
    if !appended.is_empty() {
        for r in db::query(
            db,
            "SELECT id, case_id FROM notes WHERE id = ANY($1) UNION ALL SELECT id, case_id FROM status_events WHERE id = ANY($1)",
            &[&appended],
        )
        .await?
        {
            w.appended.insert(r.get(0), r.get(1));
        }
    }
    if !note_ids.is_empty() {
        for r in db::query(
            db,
            "SELECT note_id, version, id FROM notes WHERE note_id = ANY($1)",
            &[&note_ids],
        )
        .await?
        {
            let version: i32 = r.get(1);
            w.note_versions
                .entry(r.get(0))
                .or_default()
                .push((version.max(0) as u32, r.get(2)));
        }
    }
    if !conflicts.is_empty() {
        conflicts.sort_unstable();
        conflicts.dedup();
        for r in db::query(
            db,
            "SELECT id, record, resolved_at IS NOT NULL FROM sync_conflicts WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&conflicts],
        )
        .await?
        {
            let text: String = r.get(1);
            let record = match serde_json::from_str::<porchlight_sync::Change>(&text) {
                Ok(porchlight_sync::Change::Conflict(c)) => c,
                _ => return Err(DbError::Corrupt("a stored conflict cannot be read".into())),
            };
            w.stored_conflicts.insert(r.get(0), Stored { record, resolved: r.get(2), changed: false });
        }
    }
    if !numbers.is_empty() {
        for r in db::query(
            db,
            "SELECT case_number FROM cases WHERE case_number = ANY($1)",
            &[&numbers],
        )
        .await?
        {
            w.numbers.insert(r.get(0));
        }
    }
    Ok(())
}

type Applied = (Vec<Item>, Vec<RecordState>);
type Refused = (Refusal, Vec<RecordState>);

/// Applies one op to the world, or refuses it leaving the world as it was.
fn apply(w: &mut World, p: &Pusher<'_>, op: &Op) -> Result<Applied, Refused> {
    let none = |r: Refusal| (r, Vec::new());
    let skew = (op.stamp.time() - p.now).num_seconds();
    if skew > MAX_FUTURE_SKEW_SECS {
        return Err(none(Refusal(
            RejectCode::FutureStamp,
            format!(
                "This change is stamped {}, {} ahead of the service's clock ({}), which accepts at most {} minutes; \
                 check this computer's clock (date, time and time zone). The change was not saved.",
                op.stamp.time().format("%Y-%m-%d %H:%M:%S UTC"),
                describe_skew(skew),
                p.now.format("%Y-%m-%d %H:%M:%S UTC"),
                MAX_FUTURE_SKEW_SECS / 60
            ),
        )));
    }
    let resolving = check_resolves(w, p, op).map_err(none)?;
    let mut items = match &op.body {
        OpBody::Set {
            entity,
            record_id,
            fields,
        } => match entity {
            Entity::Case => set_case(w, p, op, *record_id, fields)?,
            Entity::Contact | Entity::Photo => set_record(w, p, op, *entity, *record_id, fields)?,
            other => {
                return Err(none(Refusal::one(
                    "body.type",
                    format!(
                        "A {} is added with an append, never set.",
                        other.as_str().replace('_', " ")
                    ),
                )))
            }
        },
        OpBody::Append {
            entity,
            record_id,
            record,
            base,
        } => (
            append(w, p, op, *entity, *record_id, record, *base).map_err(none)?,
            Vec::new(),
        ),
        OpBody::Resolve => {
            if op.resolves.is_empty() {
                return Err(none(Refusal::one(
                    "resolves",
                    "A resolve op names the conflicts it settles.",
                )));
            }
            (Vec::new(), Vec::new())
        }
    };
    let resolution = Resolution {
        op_id: op.id,
        by: p.display_name.clone(),
        at: op.stamp.time(),
    };
    for id in resolving {
        if let Some(stored) = w.stored_conflicts.get_mut(&id) {
            if !stored.resolved {
                stored.resolved = true;
                stored.changed = true;
                stored.record.resolution = Some(resolution.clone());
                items.0.push(Item::Resolved(id));
            }
        } else if let Some(raised) = w.raised.iter_mut().find(|r| r.id == id) {
            if raised.resolution.is_none() {
                raised.resolution = Some(resolution.clone());
                items.0.push(Item::Resolved(id));
            }
        }
    }
    Ok(items)
}

fn describe_skew(secs: i64) -> String {
    if secs >= 2 * 3600 {
        format!("{} hours", (secs + 1800) / 3600)
    } else {
        format!("{} minutes", (secs + 59) / 60)
    }
}

/// The conflicts the op settles, once each is known, about its case, and one the user may see.
fn check_resolves(w: &World, p: &Pusher<'_>, op: &Op) -> Result<Vec<Uuid>, Refusal> {
    if op.resolves.is_empty() {
        return Ok(Vec::new());
    }
    if !p.grant.write_cases {
        return Err(Refusal(
            RejectCode::NotAllowed,
            "Your role may not settle conflicts.".into(),
        ));
    }
    for id in &op.resolves {
        let found = w
            .stored_conflicts
            .get(id)
            .map(|s| (s.record.case_id, s.record.entity, s.record.field.clone()))
            .or_else(|| {
                w.raised
                    .iter()
                    .find(|r| r.id == *id)
                    .map(|r| (r.case_id, r.entity, r.field.clone()))
            });
        let Some((case_id, entity, field)) = found else {
            return Err(Refusal(
                RejectCode::Unknown,
                format!("The service knows no conflict {id}; nothing was changed."),
            ));
        };
        let visible = case_id == op.case_id
            && w.cases.get(&case_id).is_some_and(|c| c.visible)
            && match entity {
                Entity::Case => rules::field_visible(p.grant.view, &field),
                Entity::Contact | Entity::Note => p.grant.contacts_and_notes,
                Entity::Photo => p.grant.photos == PhotoAccess::All,
                _ => true,
            };
        if !visible {
            return Err(Refusal(
                RejectCode::NotInScope,
                format!(
                    "Conflict {id} is about a case or field you may not see; nothing was changed."
                ),
            ));
        }
    }
    Ok(op.resolves.clone())
}

fn not_in_scope(case: Uuid) -> Refusal {
    Refusal(
        RejectCode::NotInScope,
        format!("Case {case} is not one you may see (it may have been reassigned); this change was not saved."),
    )
}

fn unknown_case(case: Uuid) -> Refusal {
    Refusal(RejectCode::Unknown, format!("The service has no case {case} (its creation may have been refused); this change was not saved."))
}

/// Checks the field list of a Set: not empty, each field once.
fn check_writes(entity: Entity, fields: &[FieldWrite]) -> Result<(), Refusal> {
    if fields.is_empty() {
        return Err(Refusal::one(
            "fields",
            "A set op writes at least one field.",
        ));
    }
    let mut seen = HashSet::new();
    for f in fields {
        if !seen.insert(f.field.as_str()) {
            return Err(Refusal::one(
                &f.field,
                "This field is written twice in one op; send it once.",
            ));
        }
    }
    if let Some(e) = schema::unknown_fields(entity, fields.iter().map(|f| f.field.as_str())) {
        return Err(Refusal::invalid(&[e]));
    }
    Ok(())
}

/// Merges the writes into `record`; returns the fields taken and the conflicts raised (as sides).
/// Merges the op's writes into `record`. Returns the fields taken, the conflicts raised, and
/// what the taken fields held before (`Record::restore` puts it back).
fn merge(
    record: &mut Record,
    op: &Op,
    p: &Pusher<'_>,
    fields: &[FieldWrite],
) -> (Vec<String>, Vec<(String, Side, Side)>, Undo) {
    let mine = |value: &Value| Side {
        value: value.clone(),
        stamp: op.stamp,
        author: Some((op.id, p.device, p.display_name.clone())),
    };
    let mut taken = Vec::new();
    let mut raised = Vec::new();
    let mut undo = Undo::default();
    for f in fields {
        let stored = record.fields.get(&f.field).map(|(v, s)| (v.clone(), *s));
        let decision = merge_field(
            stored.as_ref().map(|(v, s)| (v, *s)),
            &f.value,
            f.base,
            op.stamp,
        );
        let theirs = stored.map(|(value, stamp)| Side {
            value,
            stamp,
            author: None,
        });
        match decision {
            Merge::Take { conflict } => {
                if conflict {
                    raised.push((
                        f.field.clone(),
                        mine(&f.value),
                        theirs.clone().expect("a conflict has a stored side"),
                    ));
                }
                undo.push(&f.field, record.set(&f.field, f.value.clone(), op.stamp));
                taken.push(f.field.clone());
            }
            Merge::Keep { conflict: true } => {
                raised.push((
                    f.field.clone(),
                    theirs.expect("a conflict has a stored side"),
                    mine(&f.value),
                ));
            }
            Merge::Keep { conflict: false } => {}
        }
    }
    (taken, raised, undo)
}

fn raise(
    w: &mut World,
    p: &Pusher<'_>,
    entity: Entity,
    case_id: Uuid,
    record_id: Uuid,
    sides: Vec<(String, Side, Side)>,
) -> Vec<Item> {
    sides
        .into_iter()
        .map(|(field, kept, other)| {
            w.raised.push(Raised {
                id: crate::new_id(p.now),
                case_id,
                entity,
                record_id,
                field,
                kept,
                other,
                resolution: None,
            });
            Item::Raised(w.raised.len() - 1)
        })
        .collect()
}

/// What the service holds of the fields a refused Set would have written, as this role may
/// see it, so that the device takes its local edit back instead of keeping a value the service
/// never saved (a refusal for a far-future stamp, or by role, is made before the record is
/// read). Nothing of a case out of the caller's scope.
fn refused_current(w: &World, p: &Pusher<'_>, op: &Op) -> Vec<RecordState> {
    let OpBody::Set {
        entity,
        record_id,
        fields,
    } = &op.body
    else {
        return Vec::new();
    };
    if !w.cases.get(&op.case_id).is_some_and(|c| c.visible) {
        return Vec::new();
    }
    let record = match entity {
        Entity::Case if *record_id == op.case_id => w.cases.get(&op.case_id).map(|c| &c.record),
        Entity::Contact => w
            .contacts
            .get(record_id)
            .filter(|(case, _)| *case == op.case_id)
            .map(|(_, row)| &row.record),
        Entity::Photo => w
            .photos
            .get(record_id)
            .filter(|(case, _)| *case == op.case_id)
            .map(|(_, row)| &row.record),
        _ => None,
    };
    record
        .map(|r| current_of(p.grant, r, fields))
        .unwrap_or_default()
}

/// The server's state of the fields an op wrote, as this role may see it.
fn current_of(grant: &Grant, record: &Record, fields: &[FieldWrite]) -> Vec<RecordState> {
    let names: HashSet<&str> = fields.iter().map(|f| f.field.as_str()).collect();
    record
        .state_of(|f| names.contains(f))
        .and_then(|s| redact::record(grant, s))
        .into_iter()
        .collect()
}

fn set_case(
    w: &mut World,
    p: &Pusher<'_>,
    op: &Op,
    record_id: Uuid,
    fields: &[FieldWrite],
) -> Result<Applied, Refused> {
    let none = |r: Refusal| (r, Vec::new());
    if record_id != op.case_id {
        return Err(none(Refusal::one(
            "body.record_id",
            "A case's record id is its case id.",
        )));
    }
    if !p.grant.write_cases {
        return Err(none(Refusal(
            RejectCode::NotAllowed,
            if p.grant.log_tips {
                "Your role may not edit cases; you may add a tip (a note of category lead).".into()
            } else {
                "Your role may not edit cases.".into()
            },
        )));
    }
    check_writes(Entity::Case, fields).map_err(none)?;
    let creating = !w.cases.contains_key(&op.case_id);
    if creating {
        let Some(office) = p.office else {
            return Err(none(Refusal(
                RejectCode::NotAllowed,
                "Your account belongs to no office, so it may not create cases.".into(),
            )));
        };
        if let Some(n) = fields
            .iter()
            .find(|f| f.field == schema::CASE_NUMBER)
            .and_then(|f| f.value.as_str())
        {
            if w.numbers.contains(n) {
                return Err(none(Refusal::one(
                    schema::CASE_NUMBER,
                    format!(
                        "{n} is already the number of another case; give this case a new number."
                    ),
                )));
            }
        }
        w.cases.insert(
            op.case_id,
            CaseState {
                existed: false,
                visible: true,
                office_id: office,
                status: CaseStatus::Intake,
                status_stamp: None,
                record: Record::new(Entity::Case, op.case_id, op.case_id),
                checked: None,
                dirty: false,
                status_dirty: false,
                assign_creator: p.role == Role::CaseManager,
            },
        );
    }
    let case = w.cases.get(&op.case_id).expect("present");
    if !case.visible {
        return Err(none(not_in_scope(op.case_id)));
    }
    if !creating {
        if let Some(f) = fields.iter().find(|f| f.field == schema::CASE_NUMBER) {
            if case
                .record
                .value(schema::CASE_NUMBER)
                .is_some_and(|n| *n != f.value)
            {
                return Err((
                    Refusal::one(
                        schema::CASE_NUMBER,
                        "A case number is set once, when the case is created; it cannot change.",
                    ),
                    current_of(p.grant, &case.record, fields),
                ));
            }
        }
    }
    // Merged in place and taken back if the case it makes is refused: a copy of the whole case
    // for each edit was a tenth of a push of edited cases.
    let case = w.cases.get_mut(&op.case_id).expect("present");
    let (taken, sides, undo) = merge(&mut case.record, op, p, fields);
    let checked = if taken.is_empty() {
        None
    } else {
        match schema::check_case(&case.record.leaves(), op.stamp.time()) {
            Ok(c) => Some(c),
            Err(errors) => {
                case.record.restore(undo);
                let current = current_of(p.grant, &case.record, fields);
                if creating {
                    w.cases.remove(&op.case_id);
                }
                return Err((Refusal::invalid(&errors), current));
            }
        }
    };
    let mut items = Vec::new();
    if let (Some(checked), true) = (&checked, creating) {
        w.numbers.insert(checked.case_number.clone());
    }
    let case = w.cases.get_mut(&op.case_id).expect("present");
    if let Some(checked) = checked {
        case.checked = Some(checked);
        case.dirty = true;
        let names: HashSet<&str> = taken.iter().map(String::as_str).collect();
        if let Some(state) = case.record.state_of(|f| names.contains(f)) {
            items.push(Item::Record(state));
        }
    }
    let current = current_of(p.grant, &case.record, fields);
    items.extend(raise(w, p, Entity::Case, op.case_id, op.case_id, sides));
    Ok((items, current))
}

fn set_record(
    w: &mut World,
    p: &Pusher<'_>,
    op: &Op,
    entity: Entity,
    record_id: Uuid,
    fields: &[FieldWrite],
) -> Result<Applied, Refused> {
    let none = |r: Refusal| (r, Vec::new());
    let allowed = match entity {
        Entity::Contact => p.grant.write_cases && p.grant.contacts_and_notes,
        _ => p.grant.write_cases && p.grant.photos == PhotoAccess::All,
    };
    if !allowed {
        let what = if entity == Entity::Contact {
            "family contacts"
        } else {
            "photos"
        };
        return Err(none(Refusal(
            RejectCode::NotAllowed,
            format!("Your role may not change {what}."),
        )));
    }
    check_writes(entity, fields).map_err(none)?;
    match w.cases.get(&op.case_id) {
        None => return Err(none(unknown_case(op.case_id))),
        Some(c) if !c.visible => return Err(none(not_in_scope(op.case_id))),
        Some(_) => {}
    }
    let table = if entity == Entity::Contact {
        &mut w.contacts
    } else {
        &mut w.photos
    };
    let (case_id, mut row) = match table.get(&record_id) {
        Some((case_id, row)) => (*case_id, row.clone()),
        None => (
            op.case_id,
            RecordRow {
                existed: false,
                record: Record::new(entity, op.case_id, record_id),
                dirty: false,
                columns: None,
            },
        ),
    };
    if case_id != op.case_id {
        return Err(none(Refusal::one(
            "case_id",
            format!("This {} belongs to another case.", entity.as_str()),
        )));
    }
    let (taken, sides, undo) = merge(&mut row.record, op, p, fields);
    if !taken.is_empty() {
        let checked = match entity {
            Entity::Contact => schema::check_contact(&row.record.leaves()).map(Columns::Contact),
            _ => schema::check_photo(&row.record.leaves(), op.stamp.time()).map(Columns::Photo),
        };
        match checked {
            Ok(columns) => {
                row.columns = Some(columns);
                row.dirty = true;
            }
            Err(errors) => {
                row.record.restore(undo);
                return Err((
                    Refusal::invalid(&errors),
                    current_of(p.grant, &row.record, fields),
                ));
            }
        }
    }
    let mut items = Vec::new();
    let names: HashSet<&str> = taken.iter().map(String::as_str).collect();
    if let Some(state) = row.record.state_of(|f| names.contains(f)) {
        items.push(Item::Record(state));
    }
    let current = current_of(p.grant, &row.record, fields);
    table.insert(record_id, (case_id, row));
    items.extend(raise(w, p, entity, op.case_id, record_id, sides));
    Ok((items, current))
}

fn append(
    w: &mut World,
    p: &Pusher<'_>,
    op: &Op,
    entity: Entity,
    record_id: Uuid,
    record: &Value,
    base: Option<Stamp>,
) -> Result<Vec<Item>, Refusal> {
    let appended = |record: Value| AppendedRecord {
        entity,
        case_id: op.case_id,
        record_id,
        stamp: op.stamp,
        record,
    };
    match entity {
        Entity::Note => {
            let note = schema::check_note(record).map_err(|e| Refusal::invalid(&e))?;
            let writer = p.grant.write_cases && p.grant.contacts_and_notes;
            let tip = p.grant.log_tips && note.category == NoteCategory::LeadTip;
            if !(writer || tip) {
                return Err(Refusal(
                    RejectCode::NotAllowed,
                    if p.grant.log_tips {
                        "Your role may add tips (notes of category lead) only.".into()
                    } else {
                        "Your role may not add notes.".into()
                    },
                ));
            }
            in_scope(w, op.case_id)?;
            if let Some(case) = w.appended.get(&record_id) {
                return if *case == op.case_id {
                    Ok(Vec::new())
                } else {
                    Err(Refusal::one(
                        "record_id",
                        "This note version belongs to another case.",
                    ))
                };
            }
            let versions = w.note_versions.entry(note.note_id).or_default();
            let supersedes = versions
                .iter()
                .filter(|(v, _)| *v < note.version)
                .max_by_key(|(v, _)| *v)
                .map(|(_, id)| *id);
            versions.push((note.version, record_id));
            w.appended.insert(record_id, op.case_id);
            let a = appended(serde_json::to_value(&note).expect("notes serialise"));
            w.batch.notes.push(store::NoteRow {
                id: record_id,
                case_id: op.case_id,
                author: p.user,
                category: schema::category_code(note.category),
                body: note.body.trim().replace("\r\n", "\n"),
                supersedes,
                note_id: note.note_id,
                version: note.version as i32,
                change: ChangeRef::Appended(&a).text(),
                at: note.written_at,
            });
            Ok(vec![Item::Appended(a)])
        }
        Entity::StatusEvent => {
            if !p.grant.write_cases {
                return Err(Refusal(
                    RejectCode::NotAllowed,
                    "Your role may not change a case's status.".into(),
                ));
            }
            let event = schema::check_status(record).map_err(|e| Refusal::invalid(&e))?;
            in_scope(w, op.case_id)?;
            if let Some(case) = w.appended.get(&record_id) {
                return if *case == op.case_id {
                    Ok(Vec::new())
                } else {
                    Err(Refusal::one(
                        "record_id",
                        "This status event belongs to another case.",
                    ))
                };
            }
            w.appended.insert(record_id, op.case_id);
            let a = appended(serde_json::to_value(&event).expect("events serialise"));
            let case = w.cases.get_mut(&op.case_id).expect("in scope");
            let races = status_races(case.status_stamp, base);
            let before = case.status_stamp.map(|s| (case.status, s));
            if case.status_stamp.is_none_or(|s| op.stamp > s) {
                case.status = event.to;
                case.status_stamp = Some(op.stamp);
            }
            case.status_dirty = true;
            w.batch.status_events.push(store::StatusRow {
                id: record_id,
                case_id: op.case_id,
                stamp: op.stamp.to_string(),
                to: event.to.code(),
                actor: p.user,
                device: Some(p.device),
                change: ChangeRef::Appended(&a).text(),
                at: p.now,
            });
            let mut items = vec![Item::Appended(a)];
            if let (true, Some((status, stamp))) = (races, before) {
                let theirs = Side {
                    value: Value::from(status.code()),
                    stamp,
                    author: None,
                };
                let mine = Side {
                    value: Value::from(event.to.code()),
                    stamp: op.stamp,
                    author: Some((op.id, p.device, p.display_name.clone())),
                };
                let (kept, other) = if op.stamp > stamp {
                    (mine, theirs)
                } else {
                    (theirs, mine)
                };
                items.extend(raise(
                    w,
                    p,
                    Entity::StatusEvent,
                    op.case_id,
                    record_id,
                    vec![("status".into(), kept, other)],
                ));
            }
            Ok(items)
        }
        Entity::AuditEvent => {
            let event = schema::check_audit(record).map_err(|e| Refusal::invalid(&e))?;
            // A device's own record of what it did is kept whatever became of the case since.
            w.audit.push(
                Entry::new(
                    p.now,
                    Actor::User {
                        user: p.user,
                        device: Some(p.device),
                    },
                    Action::DeviceEvent,
                )
                .case(op.case_id)
                .subject(record_id)
                .address(p.address.clone())
                .detail(json!({
                    "event": event.action,
                    "detail": event.detail,
                    "actor": event.actor,
                    "at": event.at,
                    "op_id": op.id,
                })),
            );
            Ok(Vec::new())
        }
        other => Err(Refusal::one(
            "body.type",
            format!(
                "A {} is changed with a set op, never appended.",
                other.as_str()
            ),
        )),
    }
}

fn in_scope(w: &World, case: Uuid) -> Result<(), Refusal> {
    match w.cases.get(&case) {
        None => Err(unknown_case(case)),
        Some(c) if !c.visible => Err(not_in_scope(case)),
        Some(_) => Ok(()),
    }
}

/// Turns every changed record of the world into its row of the batch.
fn finish_records(w: &mut World, p: &Pusher<'_>) {
    let mut case_ids: Vec<Uuid> = w
        .cases
        .iter()
        .filter(|(_, c)| c.dirty || c.status_dirty)
        .map(|(id, _)| *id)
        .collect();
    case_ids.sort_unstable();
    for id in case_ids {
        let c = w.cases.get_mut(&id).expect("listed above");
        let status_stamp = c.status_stamp.map(|s| s.to_string());
        // The checked form moves into the batch: nothing reads it after this.
        match (c.checked.take(), c.existed) {
            (Some(checked), false) => w.batch.new_cases.push(store::NewCase {
                id,
                office_id: c.office_id,
                case_number: checked.case_number,
                status: c.status.code(),
                status_stamp,
                form: checked.form,
                archived_at: checked.archived.then_some(p.now),
                sync_state: c.record.text(),
                created_by: p.user,
                assign_creator: c.assign_creator,
                at: p.now,
            }),
            (None, false) => {}
            (checked, true) => {
                if let (Some(checked), true) = (checked, c.dirty) {
                    w.batch.case_updates.push(store::CaseUpdate {
                        id,
                        form: checked.form,
                        archived: checked.archived,
                        sync_state: c.record.text(),
                        at: p.now,
                    });
                }
                if let (true, Some(stamp)) = (c.status_dirty, status_stamp) {
                    w.batch.status_updates.push(store::StatusUpdate {
                        id,
                        status: c.status.code(),
                        status_stamp: stamp,
                        at: p.now,
                    });
                }
            }
        }
    }
    for (entity, table) in [(Entity::Contact, &w.contacts), (Entity::Photo, &w.photos)] {
        let mut ids: Vec<&Uuid> = table
            .iter()
            .filter(|(_, (_, r))| r.dirty)
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            let (case_id, row) = &table[id];
            match (&row.columns, entity) {
                (Some(Columns::Contact(c)), _) => {
                    let out = store::ContactRow {
                        id: *id,
                        case_id: *case_id,
                        form: serde_json::to_value(&c.form).expect("contacts serialise"),
                        do_not_disclose: c.form.do_not_disclose,
                        removed_reason: c.removed_reason.clone(),
                        sync_state: row.record.text(),
                        by: p.user,
                        at: p.now,
                    };
                    if row.existed {
                        w.batch.contact_updates.push(out)
                    } else {
                        w.batch.new_contacts.push(out)
                    }
                }
                (Some(Columns::Photo(c)), _) => {
                    let out = store::PhotoRow {
                        id: *id,
                        case_id: *case_id,
                        sha256: c.sha256.clone(),
                        mime: c.mime.clone(),
                        kind: photo_kind(c.kind),
                        taken_on: c.taken_on,
                        child_age: c.child_age,
                        consent_to_publish: c.consent_to_publish,
                        deleted: c.deleted,
                        sync_state: row.record.text(),
                        by: p.user,
                        at: p.now,
                    };
                    if row.existed {
                        w.batch.photo_updates.push(out)
                    } else {
                        w.batch.new_photos.push(out)
                    }
                }
                (None, _) => {}
            }
        }
    }
}

pub fn photo_kind(kind: porchlight_domain::PhotoKind) -> &'static str {
    match kind {
        porchlight_domain::PhotoKind::Photo => "photo",
        porchlight_domain::PhotoKind::AgeProgressed => "age_progressed",
        porchlight_domain::PhotoKind::Companion => "companion",
        porchlight_domain::PhotoKind::Vehicle => "vehicle",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skews_are_told_in_words() {
        assert_eq!(describe_skew(301), "6 minutes");
        assert_eq!(describe_skew(3 * 3600 + 5), "3 hours");
        assert_eq!(describe_skew(3 * 3600 - 1), "3 hours");
    }

    #[test]
    fn a_refusal_lists_each_field_and_its_fix() {
        let r = Refusal::invalid(&[
            FieldError::new("child.sex", "Choose one."),
            FieldError::new("event.city", "Give it."),
        ]);
        assert_eq!(r.0, RejectCode::Invalid);
        assert_eq!(r.1, "child.sex: Choose one. event.city: Give it.");
    }
}
