//! The oracle: what the central service must hold after a run, worked out from the ops it
//! acknowledged (in change-log order), the access changes made through its library, and the
//! rules of who may see and write what. It replays the merge rule of SYNC.md on its own, so a
//! service that merges, sequences or scopes differently shows up as a difference. It does not
//! read the service's tables or any device: `check` compares those with what this predicts.

use crate::roster::{Person, Roster};
use porchlight_server::people::Role;
use porchlight_server::rules::{self, CaseScope, CaseView, PhotoAccess};
use porchlight_sync::{ConflictRecord, Entity, Op, OpBody, OpResult, Outcome, RejectCode, Stamp};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// One answer of the service to one op, as a device received it (the first time; later copies
/// of the same answer are checked for equality when recorded).
#[derive(Debug, Clone)]
pub struct Answer {
    pub op: Op,
    pub device: usize,
    pub result: OpResult,
    /// The moment of the run at which the service applied (or refused) the op: the first sync
    /// whose push reached it with the op in the outbox.
    pub tick: u64,
}

/// A change of who works on a case, made through the service's library (as an administrator's
/// or supervisor's action would be).
#[derive(Debug, Clone)]
pub struct AccessChange {
    pub tick: u64,
    pub case_id: Uuid,
    pub user: usize,
    pub kind: AccessKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKind {
    /// The one assigned case manager, replacing any other (who loses access unless shared).
    Assign,
    Share,
    Unshare,
}

/// One field of a mutable record as the service must hold it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldState {
    pub value: Value,
    pub stamp: Stamp,
    pub op_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub entity: Entity,
    pub case_id: Uuid,
    pub fields: BTreeMap<String, FieldState>,
}

impl Record {
    pub fn value(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).map(|f| &f.value)
    }
}

#[derive(Debug, Clone)]
pub struct Appended {
    pub entity: Entity,
    pub case_id: Uuid,
    pub record: Value,
    pub stamp: Stamp,
    pub op_id: Uuid,
    pub device: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub value: Value,
    pub stamp: Stamp,
    pub op_id: Uuid,
}

/// A conflict the merge rule raises: `kept` is in force after the merge, `other` lost.
#[derive(Debug, Clone)]
pub struct Conflict {
    /// The service's id for it, read from the answer of the op that raised it.
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    pub entity: Entity,
    pub record_id: Uuid,
    pub field: String,
    pub kept: Side,
    pub other: Side,
    pub raised_by: Uuid,
    pub resolved_by: Option<Uuid>,
}

/// What the model knows of a case beyond its records: where it belongs and who works on it.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub office: Option<Uuid>,
    pub created_by: usize,
    /// Person index → assigned (true) or shared (false).
    pub access: BTreeMap<usize, bool>,
}

/// The predicted state of the service, and every way the recorded answers disagree with it.
#[derive(Debug, Default)]
pub struct Model {
    pub cases: BTreeMap<Uuid, CaseFacts>,
    pub records: BTreeMap<(Entity, Uuid), Record>,
    pub appended: BTreeMap<Uuid, Appended>,
    pub conflicts: Vec<Conflict>,
    /// Ops the service applied, by op id, with their change-log position.
    pub applied: BTreeMap<Uuid, (i64, usize)>,
    /// Ops the service refused, by op id: device, code and reason.
    pub rejected: BTreeMap<Uuid, (usize, RejectCode, String)>,
    pub findings: Vec<String>,
}

/// Whether `role` may see the case field at the flattened `path` (`case_number` goes on every
/// poster; `archived` is bookkeeping every reader of the case needs).
pub fn field_visible(view: CaseView, path: &str) -> bool {
    if path == "case_number" || path == "archived" {
        return true;
    }
    let listed = |list: &[&str]| list.iter().any(|p| path == *p || path.starts_with(&format!("{p}.")));
    match view {
        CaseView::Full => true,
        CaseView::Public => listed(rules::POSTER_FIELDS) || listed(rules::PUBLIC_EXTRA_FIELDS),
        CaseView::Poster => listed(rules::POSTER_FIELDS),
    }
}

impl Model {
    /// Replays every answer and access change in the order the service saw them.
    pub fn replay(roster: &Roster, answers: &[Answer], access: &[AccessChange], device_owner: &[usize]) -> Model {
        let mut model = Model::default();
        let mut applied: Vec<&Answer> = Vec::new();
        for a in answers {
            match &a.result.outcome {
                Outcome::Applied { seq } => {
                    model.applied.insert(a.op.id, (*seq, a.device));
                    applied.push(a);
                }
                Outcome::Rejected { code, reason } => {
                    model.rejected.insert(a.op.id, (a.device, *code, reason.clone()));
                }
            }
        }
        // The change log's order is the order of commits; ops without a position of their own
        // (refused ones) are judged at the moment they reached the service.
        // Audit events go to the service's audit log, not the change log, so their position
        // says nothing about order.
        let logged = |a: &Answer| a.op.entity() != Some(Entity::AuditEvent);
        enum Ev<'a> {
            Op(&'a Answer),
            Access(&'a AccessChange),
        }
        let mut events: Vec<(u64, i64, Ev)> = Vec::new();
        for a in answers {
            let seq = match a.result.outcome {
                Outcome::Applied { seq } if logged(a) => seq,
                _ => i64::MAX,
            };
            events.push((a.tick, seq, Ev::Op(a)));
        }
        for c in access {
            events.push((c.tick, -1, Ev::Access(c)));
        }
        // Within one moment of the run (one sync) the change log orders the applied ops; a
        // refusal changes nothing, so where it sits among them only matters for its judgement.
        events.sort_by_key(|(tick, seq, _)| (*tick, *seq));
        let mut last_seq = 0;
        for (_, seq, ev) in events {
            match ev {
                Ev::Access(c) => model.access(c),
                Ev::Op(a) => {
                    model.judge(roster, a, device_owner[a.device]);
                    if matches!(a.result.outcome, Outcome::Applied { .. }) {
                        let changed = model.apply(roster, a, device_owner[a.device]);
                        if seq != i64::MAX {
                            // An op that stored something takes a new position after every
                            // earlier one; an op that changed nothing may name the last one.
                            if (changed && seq <= last_seq) || seq < last_seq {
                                model.findings.push(format!(
                                    "op {} ({}, device {}) {} at change-log position {seq}, but position {last_seq} was already given to a change committed before it: the change log does not follow commit order",
                                    a.op.id,
                                    describe(&a.op),
                                    a.device,
                                    if changed { "changed the case and was logged" } else { "was answered" }
                                ));
                            }
                            last_seq = last_seq.max(seq);
                        }
                    }
                }
            }
        }
        model
    }

    fn access(&mut self, c: &AccessChange) {
        let Some(case) = self.cases.get_mut(&c.case_id) else {
            self.findings
                .push(format!("the run changed access to case {} before the service had it", c.case_id));
            return;
        };
        match c.kind {
            AccessKind::Assign => {
                case.access.retain(|_, assigned| !*assigned);
                case.access.insert(c.user, true);
            }
            AccessKind::Share => {
                case.access.entry(c.user).or_insert(false);
            }
            AccessKind::Unshare => {
                if case.access.get(&c.user) == Some(&false) {
                    case.access.remove(&c.user);
                }
            }
        }
    }

    /// The status in force: the newest status event by stamp.
    pub fn status(&self, case: Uuid) -> Option<String> {
        self.appended
            .values()
            .filter(|a| a.entity == Entity::StatusEvent && a.case_id == case)
            .max_by_key(|a| a.stamp)
            .and_then(|a| a.record.get("to").and_then(Value::as_str).map(str::to_owned))
    }

    fn newest_status_stamp(&self, case: Uuid) -> Option<(Stamp, Uuid)> {
        self.appended
            .values()
            .filter(|a| a.entity == Entity::StatusEvent && a.case_id == case)
            .max_by_key(|a| a.stamp)
            .map(|a| (a.stamp, a.op_id))
    }

    pub fn archived(&self, case: Uuid) -> bool {
        self.records
            .get(&(Entity::Case, case))
            .and_then(|r| r.value("archived"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// Whether `person` may see `case` now, by their role's row of the rules.
    pub fn in_scope(&self, roster: &Roster, person: usize, case: Uuid) -> bool {
        let p = &roster.people[person];
        let Some(facts) = self.cases.get(&case) else { return false };
        let active = self.status(case).as_deref() == Some("active") && !self.archived(case);
        match rules::grant(p.role).cases {
            CaseScope::Nothing => false,
            CaseScope::AssignedOrShared => facts.access.contains_key(&person),
            CaseScope::Office => p.office.is_some() && facts.office == p.office,
            CaseScope::Active => active,
            CaseScope::ActiveInRegion => active && p.office.is_some() && roster.region_of(facts.office) == roster.region_of(p.office),
        }
    }

    pub fn scope(&self, roster: &Roster, person: usize) -> BTreeSet<Uuid> {
        self.cases.keys().copied().filter(|c| self.in_scope(roster, person, *c)).collect()
    }

    /// Whether a photo may reach `person` (the case being in scope).
    pub fn photo_visible(&self, role: Role, photo: &Record) -> bool {
        match rules::grant(role).photos {
            PhotoAccess::None => false,
            PhotoAccess::All => true,
            PhotoAccess::Consented => photo.value("consent_to_publish") == Some(&Value::Bool(true)),
        }
    }

    /// Whether a conflict may reach `person` (the case being in scope): it shows both values,
    /// so it goes only where the field itself may go.
    pub fn conflict_visible(&self, role: Role, c: &Conflict) -> bool {
        let grant = rules::grant(role);
        match c.entity {
            Entity::Case => field_visible(grant.view, &c.field),
            Entity::Contact | Entity::Note => grant.contacts_and_notes,
            // A photo's conflict shows both sides, consented or not: only for those who see all.
            Entity::Photo => grant.photos == PhotoAccess::All,
            Entity::StatusEvent => true,
            Entity::AuditEvent => false,
        }
    }

    /// Checks that the service applied or refused `a` as the rules say it must.
    fn judge(&mut self, roster: &Roster, a: &Answer, person: usize) {
        let p: &Person = &roster.people[person];
        let grant = rules::grant(p.role);
        let op = &a.op;
        let known_case = self.cases.contains_key(&op.case_id);
        let in_scope = self.in_scope(roster, person, op.case_id);
        let creates = matches!(&op.body, OpBody::Set { entity: Entity::Case, .. }) && !known_case;
        let is_tip = matches!(&op.body, OpBody::Append { entity: Entity::Note, record, .. }
            if record.get("category").and_then(Value::as_str).is_some_and(|c| c == "lead" || c == "lead_tip"));
        let audit = op.entity() == Some(Entity::AuditEvent);
        // What the rules say, as the set of acceptable outcomes.
        let mut allowed: Vec<Option<RejectCode>> = Vec::new();
        if a.result.op_id != op.id {
            self.findings
                .push(format!("the answer to op {} names op {}", op.id, a.result.op_id));
        }
        if audit {
            // Audit events are accepted from every device of a user; whether one about a case
            // out of scope is kept is the service's choice.
            return;
        }
        if let Outcome::Rejected {
            code: RejectCode::FutureStamp,
            ..
        } = a.result.outcome
        {
            // Only the run's deliberate far-future op may be refused for its stamp; whether it
            // was is checked by the run itself, which knows which op it moved.
            return;
        }
        if creates {
            if grant.write_cases {
                allowed.push(None);
            } else {
                allowed.push(Some(RejectCode::NotAllowed));
            }
        } else if !known_case {
            allowed.extend([Some(RejectCode::Unknown), Some(RejectCode::NotInScope)]);
        } else if !in_scope {
            allowed.push(Some(RejectCode::NotInScope));
            if !grant.write_cases {
                allowed.push(Some(RejectCode::NotAllowed));
            }
        } else if grant.write_cases || (is_tip && grant.log_tips) {
            allowed.push(None);
        } else {
            allowed.push(Some(RejectCode::NotAllowed));
        }
        // A resolution of a conflict the user may not see, or that does not exist, is refused.
        if allowed.contains(&None) && !op.resolves.is_empty() {
            for id in &op.resolves {
                match self.conflicts.iter().find(|c| c.id == Some(*id)) {
                    None => {
                        allowed = vec![Some(RejectCode::Unknown), Some(RejectCode::NotInScope)];
                    }
                    Some(c) if !self.in_scope(roster, person, c.case_id) || !self.conflict_visible(p.role, c) => {
                        allowed = vec![Some(RejectCode::NotInScope), Some(RejectCode::Unknown)];
                    }
                    Some(_) => {}
                }
            }
        }
        let got = match &a.result.outcome {
            Outcome::Applied { .. } => None,
            Outcome::Rejected { code, reason } => {
                if reason.trim().is_empty() {
                    self.findings.push(format!(
                        "op {} (device {}) was refused ({code:?}) with no reason for the user",
                        op.id, a.device
                    ));
                }
                Some(*code)
            }
        };
        if !allowed.contains(&got) {
            let scope = if !known_case {
                "a case the service did not have".to_string()
            } else if in_scope {
                "a case in their scope".to_string()
            } else {
                "a case outside their scope".to_string()
            };
            self.findings.push(format!(
                "op {} of {} ({}, device {}) on {} ({}) was answered {:?}; the rules allow {}",
                op.id,
                p.username,
                p.role.code(),
                a.device,
                scope,
                describe(op),
                a.result.outcome,
                allowed
                    .iter()
                    .map(|c| c.map_or("applied".to_string(), |c| format!("rejected {c:?}")))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }

    /// Applies an op the service accepted; answers whether it changed anything the change log
    /// must carry (a field taken, a record added, a conflict raised or resolved).
    fn apply(&mut self, roster: &Roster, a: &Answer, person: usize) -> bool {
        let op = &a.op;
        let mut raised: Vec<Conflict> = Vec::new();
        let mut changed = false;
        match &op.body {
            OpBody::Set { entity, record_id, fields } => {
                if *entity == Entity::Case && !self.cases.contains_key(&op.case_id) {
                    let p = &roster.people[person];
                    let mut access = BTreeMap::new();
                    if p.role == Role::CaseManager {
                        access.insert(person, true);
                    }
                    self.cases.insert(
                        op.case_id,
                        CaseFacts {
                            office: p.office,
                            created_by: person,
                            access,
                        },
                    );
                }
                let record = self.records.entry((*entity, *record_id)).or_insert_with(|| Record {
                    entity: *entity,
                    case_id: op.case_id,
                    fields: BTreeMap::new(),
                });
                if record.case_id != op.case_id {
                    self.findings.push(format!(
                        "op {} writes {} {} as part of case {}, but it belongs to case {}",
                        op.id,
                        entity.as_str(),
                        record_id,
                        op.case_id,
                        record.case_id
                    ));
                }
                for w in fields {
                    let stored = record.fields.get(&w.field);
                    // The merge rule of SYNC.md, written out again: the higher stamp wins; a write
                    // whose author had not seen the stored value and differs from it conflicts.
                    let (take, conflict) = match stored {
                        None => (true, false),
                        Some(s) if s.stamp == op.stamp => (false, false),
                        Some(s) => (op.stamp > s.stamp, w.base != Some(s.stamp) && s.value != w.value),
                    };
                    let mine = Side {
                        value: w.value.clone(),
                        stamp: op.stamp,
                        op_id: op.id,
                    };
                    if conflict {
                        let s = stored.expect("a conflict needs a stored value");
                        let theirs = Side {
                            value: s.value.clone(),
                            stamp: s.stamp,
                            op_id: s.op_id,
                        };
                        let (kept, other) = if take { (mine.clone(), theirs) } else { (theirs, mine.clone()) };
                        raised.push(Conflict {
                            id: None,
                            case_id: op.case_id,
                            entity: *entity,
                            record_id: *record_id,
                            field: w.field.clone(),
                            kept,
                            other,
                            raised_by: op.id,
                            resolved_by: None,
                        });
                    }
                    if take {
                        changed |= stored.is_none_or(|s| s.value != w.value || s.stamp != op.stamp);
                        record.fields.insert(
                            w.field.clone(),
                            FieldState {
                                value: w.value.clone(),
                                stamp: op.stamp,
                                op_id: op.id,
                            },
                        );
                    }
                }
            }
            OpBody::Append {
                entity,
                record_id,
                record,
                base,
            } => {
                if self.appended.contains_key(record_id) {
                    // The same record appended again under another op id: nothing new.
                } else {
                    if *entity == Entity::StatusEvent {
                        if let Some((newest, newest_op)) = self.newest_status_stamp(op.case_id) {
                            if *base != Some(newest) {
                                let newest_to = self.status(op.case_id).map(Value::from).unwrap_or(Value::Null);
                                let mine = Side {
                                    value: record.get("to").cloned().unwrap_or(Value::Null),
                                    stamp: op.stamp,
                                    op_id: op.id,
                                };
                                let theirs = Side {
                                    value: newest_to,
                                    stamp: newest,
                                    op_id: newest_op,
                                };
                                let (kept, other) = if op.stamp > newest { (mine, theirs) } else { (theirs, mine) };
                                raised.push(Conflict {
                                    id: None,
                                    case_id: op.case_id,
                                    entity: Entity::StatusEvent,
                                    record_id: *record_id,
                                    field: "status".into(),
                                    kept,
                                    other,
                                    raised_by: op.id,
                                    resolved_by: None,
                                });
                            }
                        }
                    }
                    changed = true;
                    self.appended.insert(
                        *record_id,
                        Appended {
                            entity: *entity,
                            case_id: op.case_id,
                            record: record.clone(),
                            stamp: op.stamp,
                            op_id: op.id,
                            device: a.device,
                        },
                    );
                }
            }
            OpBody::Resolve => {}
        }
        for id in &op.resolves {
            if let Some(c) = self.conflicts.iter_mut().find(|c| c.id == Some(*id)) {
                if c.resolved_by.is_none() {
                    c.resolved_by = Some(op.id);
                    changed = true;
                }
            }
        }
        changed |= !raised.is_empty();
        self.match_conflicts(a, raised);
        changed
    }

    /// The conflicts an op raised must be exactly those its answer lists.
    fn match_conflicts(&mut self, a: &Answer, raised: Vec<Conflict>) {
        let mut listed: Vec<&ConflictRecord> = a.result.conflicts.iter().collect();
        for mut c in raised {
            let found = listed.iter().position(|r| {
                r.entity == c.entity
                    && r.record_id == c.record_id
                    && r.field == c.field
                    && r.kept.op_id == c.kept.op_id
                    && r.other.op_id == c.other.op_id
            });
            match found {
                Some(i) => {
                    let r = listed.remove(i);
                    if r.case_id != c.case_id || r.kept.stamp != c.kept.stamp || r.other.stamp != c.other.stamp {
                        self.findings.push(format!(
                            "the conflict {} raised by op {} on {} {} field {} names case {} and stamps {} / {}; expected case {} and stamps {} / {}",
                            r.id, a.op.id, c.entity.as_str(), c.record_id, c.field, r.case_id, r.kept.stamp, r.other.stamp, c.case_id, c.kept.stamp, c.other.stamp
                        ));
                    }
                    if c.entity != Entity::StatusEvent && (!same_json(&r.kept.value, &c.kept.value) || !same_json(&r.other.value, &c.other.value)) {
                        self.findings.push(format!(
                            "the conflict {} on {} {} field {} shows kept {} / other {}; expected kept {} / other {}",
                            r.id, c.entity.as_str(), c.record_id, c.field, r.kept.value, r.other.value, c.kept.value, c.other.value
                        ));
                    }
                    if r.resolution.is_some() {
                        self.findings.push(format!("the conflict {} is answered as already resolved when it was raised", r.id));
                    }
                    c.id = Some(r.id);
                }
                None => self.findings.push(format!(
                    "op {} (device {}) should have raised one conflict on {} {} field {:?} (in force: {} from op {}; lost: {} from op {}), but its answer lists {}",
                    a.op.id,
                    a.device,
                    c.entity.as_str(),
                    c.record_id,
                    c.field,
                    c.kept.value,
                    c.kept.op_id,
                    c.other.value,
                    c.other.op_id,
                    if a.result.conflicts.is_empty() { "none".to_string() } else { format!("{:?}", a.result.conflicts.iter().map(|r| (&r.field, r.kept.op_id, r.other.op_id)).collect::<Vec<_>>()) }
                )),
            }
            self.conflicts.push(c);
        }
        for r in listed {
            self.findings.push(format!(
                "op {} (device {}) raised conflict {} on {} {} field {:?} (kept op {}, other op {}) where the merge rule finds no concurrent write",
                a.op.id, a.device, r.id, r.entity.as_str(), r.record_id, r.field, r.kept.op_id, r.other.op_id
            ));
        }
    }

    pub fn open_conflicts(&self, case: Uuid) -> impl Iterator<Item = &Conflict> {
        self.conflicts.iter().filter(move |c| c.case_id == case && c.resolved_by.is_none())
    }

    pub fn records_of(&self, case: Uuid, entity: Entity) -> impl Iterator<Item = (&Uuid, &Record)> {
        self.records
            .iter()
            .filter(move |((e, _), r)| *e == entity && r.case_id == case)
            .map(|((_, id), r)| (id, r))
    }

    pub fn appended_of(&self, case: Uuid, entity: Entity) -> impl Iterator<Item = (&Uuid, &Appended)> {
        self.appended.iter().filter(move |(_, a)| a.entity == entity && a.case_id == case)
    }
}

/// JSON equality that takes 150 and 150.0 for the same number, as a database may store either.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w))),
        _ => a == b,
    }
}

/// An op in words, for failure messages.
pub fn describe(op: &Op) -> String {
    match &op.body {
        OpBody::Set { entity, record_id, fields } => format!(
            "set {} {} of case {}: {}",
            entity.as_str(),
            record_id,
            op.case_id,
            fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", ")
        ),
        OpBody::Append { entity, record_id, .. } => format!("append {} {} to case {}", entity.as_str(), record_id, op.case_id),
        OpBody::Resolve => format!("resolve {:?} of case {}", op.resolves, op.case_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::{Office, Person};
    use chrono::{TimeZone, Utc};
    use porchlight_sync::{ConflictSide, FieldWrite, ReplicaId};
    use serde_json::json;

    fn stamp(sec: i64, replica: u128) -> Stamp {
        Stamp::at(
            Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::seconds(sec),
            ReplicaId(replica),
        )
    }

    fn roster() -> Roster {
        let office = Uuid::from_u128(1);
        Roster {
            offices: vec![Office {
                id: office,
                name: "North".into(),
                region: "R1".into(),
            }],
            people: vec![
                Person::synthetic(Uuid::from_u128(10), "cm.a", Role::CaseManager, Some(office)),
                Person::synthetic(Uuid::from_u128(11), "cm.b", Role::CaseManager, Some(office)),
            ],
        }
    }

    fn set(id: u128, case: Uuid, sec: i64, replica: u128, field: &str, value: Value, base: Option<Stamp>) -> Op {
        Op {
            id: Uuid::from_u128(id),
            case_id: case,
            stamp: stamp(sec, replica),
            resolves: vec![],
            body: OpBody::Set {
                entity: Entity::Case,
                record_id: case,
                fields: vec![FieldWrite {
                    field: field.into(),
                    value,
                    base,
                }],
            },
        }
    }

    fn answer(op: Op, device: usize, seq: i64, conflicts: Vec<ConflictRecord>) -> Answer {
        Answer {
            result: OpResult {
                op_id: op.id,
                outcome: Outcome::Applied { seq },
                current: vec![],
                conflicts,
            },
            op,
            device,
            tick: seq as u64,
        }
    }

    fn side(value: Value, op: &Op) -> ConflictSide {
        ConflictSide {
            value,
            stamp: op.stamp,
            op_id: op.id,
            device_id: Uuid::nil(),
            by: "x".into(),
        }
    }

    #[test]
    fn two_unseen_writes_of_one_field_make_exactly_one_conflict_and_the_later_stamp_wins() {
        let case = Uuid::from_u128(100);
        let create = set(1, case, 0, 1, "child.nicknames", json!("Mo"), None);
        let a = set(2, case, 10, 1, "child.nicknames", json!("Moe"), Some(create.stamp));
        let b = set(3, case, 5, 2, "child.nicknames", json!("Momo"), Some(create.stamp));
        let conflict = ConflictRecord {
            id: Uuid::from_u128(900),
            case_id: case,
            entity: Entity::Case,
            record_id: case,
            field: "child.nicknames".into(),
            kept: side(json!("Moe"), &a),
            other: side(json!("Momo"), &b),
            resolution: None,
        };
        let answers = vec![
            answer(create, 0, 1, vec![]),
            answer(a.clone(), 0, 2, vec![]),
            answer(b.clone(), 1, 3, vec![conflict]),
        ];
        // Two devices of one case manager.
        let model = Model::replay(&roster(), &answers, &[], &[0, 0]);
        assert!(model.findings.is_empty(), "{:#?}", model.findings);
        assert_eq!(model.conflicts.len(), 1);
        assert_eq!(model.records[&(Entity::Case, case)].value("child.nicknames"), Some(&json!("Moe")));
    }

    #[test]
    fn a_missing_conflict_and_an_out_of_order_change_log_are_findings() {
        let case = Uuid::from_u128(100);
        let create = set(1, case, 0, 1, "child.nicknames", json!("Mo"), None);
        let a = set(2, case, 10, 1, "child.nicknames", json!("Moe"), Some(create.stamp));
        let b = set(3, case, 5, 2, "child.nicknames", json!("Momo"), Some(create.stamp));
        let mut late = answer(b, 1, 1, vec![]);
        late.tick = 3;
        let answers = vec![answer(create, 0, 2, vec![]), answer(a, 0, 3, vec![]), late];
        let model = Model::replay(&roster(), &answers, &[], &[0, 0]);
        assert!(
            model.findings.iter().any(|f| f.contains("should have raised one conflict")),
            "{:#?}",
            model.findings
        );
        assert!(model.findings.iter().any(|f| f.contains("commit order")), "{:#?}", model.findings);
    }

    #[test]
    fn a_write_by_someone_out_of_scope_must_be_refused() {
        let case = Uuid::from_u128(100);
        let create = set(1, case, 0, 1, "child.nicknames", json!("Mo"), None);
        let edit = set(2, case, 10, 2, "child.nicknames", json!("Moe"), Some(create.stamp));
        let answers = vec![answer(create, 0, 1, vec![]), answer(edit, 1, 2, vec![])];
        let model = Model::replay(&roster(), &answers, &[], &[0, 1]);
        assert!(
            model.findings.iter().any(|f| f.contains("outside their scope")),
            "{:#?}",
            model.findings
        );
    }

    #[test]
    fn visibility_follows_the_allow_lists() {
        assert!(field_visible(CaseView::Poster, "child.given_name"));
        assert!(field_visible(CaseView::Poster, "companions"));
        assert!(!field_visible(CaseView::Poster, "description.medical_cautions"));
        assert!(!field_visible(CaseView::Poster, "law_enforcement.ncic_number"));
        assert!(field_visible(CaseView::Public, "law_enforcement.ncic_number"));
        assert!(field_visible(CaseView::Full, "care_agency"));
        assert!(same_json(&json!(150), &json!(150.0)));
        assert!(!same_json(&json!("150"), &json!(150)));
    }
}
