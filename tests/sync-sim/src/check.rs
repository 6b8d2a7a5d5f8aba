//! The checks after a run has settled, each a promise of issue 6: every device equals the
//! service restricted to its user's scope (and the service equals the model); no acknowledged
//! op is lost; each concurrent same-field edit made exactly one conflict; nothing outside a
//! user's scope (or beyond their role's view) is left on their device, read through the store
//! and in its raw tables; every refused op is shown with its reason; no op made was dropped.
//! Each problem is one sentence naming the device, the case, the field, expected and found.

use crate::model::{same_json, Model};
use crate::run::{secret, Finished};
use crate::scan;
use crate::served::Served;
use crate::snapshot::{self, diff};
use porchlight_server::people::Role;
use porchlight_server::rules::{self, CaseView};
use porchlight_sync::{Entity, OpBody, Outcome, Replica};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

pub fn check(f: Finished) -> Vec<String> {
    let mut problems: Vec<String> = f.findings.clone();
    let roster = &f.world.roster;
    let owners: Vec<usize> = f.devices.iter().map(|d| d.person).collect();
    let model = Model::replay(roster, &f.answers, &f.access, &owners);
    problems.extend(model.findings.iter().map(|x| format!("service: {x}")));
    let label = |case: &Uuid| {
        f.case_numbers
            .get(case)
            .map_or_else(|| case.to_string(), |n| format!("C{n} ({case})"))
    };

    // No op made on a device was dropped: each was answered, and none still waits.
    for (op, (d, step, what)) in &f.made {
        if !model.applied.contains_key(op) && !model.rejected.contains_key(op) {
            problems.push(format!(
                "device {d}: op {op} made at step {step} ({what}) was never answered by the service: it was dropped"
            ));
        }
    }
    for dev in &f.devices {
        // The whole outbox, audit events included (the count the app shows leaves those out).
        match dev.replica.ws.outbox(usize::MAX).map(|ops| ops.len()) {
            Ok(0) => {}
            Ok(n) => problems.push(format!(
                "device {}: {n} ops still wait in the outbox after everyone synced",
                dev.index
            )),
            Err(e) => problems.push(format!("device {}: the outbox cannot be counted: {e}", dev.index)),
        }
    }

    // The far-future op was refused and nothing else was refused for its stamp.
    for (op, (d, code, reason)) in &model.rejected {
        if *code == porchlight_sync::RejectCode::FutureStamp && f.future_op.map(|(_, id)| id) != Some(*op) {
            problems.push(format!(
                "device {d}: op {op} was refused for a future stamp although its device's clock was corrected: {reason}"
            ));
        }
    }

    // Who works on which case, each case's office and status, as the service keeps them.
    match f.world.access_table() {
        Ok((access, cases)) => {
            let person = |user: Uuid| roster.people.iter().position(|p| p.id == user);
            let mut found: BTreeMap<Uuid, BTreeMap<usize, bool>> = BTreeMap::new();
            for (case, user, assigned) in access {
                if let Some(p) = person(user) {
                    found.entry(case).or_default().insert(p, assigned);
                }
            }
            for (case, facts) in &model.cases {
                let got = found.get(case).cloned().unwrap_or_default();
                if got != facts.access {
                    let names = |m: &BTreeMap<usize, bool>| {
                        m.iter()
                            .map(|(p, a)| format!("{}{}", roster.people[*p].username, if *a { " (assigned)" } else { "" }))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    problems.push(format!(
                        "service: case {}: works on it: expected [{}], found [{}]",
                        label(case),
                        names(&facts.access),
                        names(&got)
                    ));
                }
            }
            let stored: BTreeMap<Uuid, (Uuid, String)> = cases.into_iter().map(|(id, office, status)| (id, (office, status))).collect();
            for (case, facts) in &model.cases {
                match stored.get(case) {
                    None => problems.push(format!(
                        "service: case {} was created by acknowledged ops but has no row",
                        label(case)
                    )),
                    Some((office, status)) => {
                        if Some(*office) != facts.office {
                            problems.push(format!(
                                "service: case {}: office {office}, expected {:?} (the author's)",
                                label(case),
                                facts.office
                            ));
                        }
                        if model.status(*case).as_deref() != Some(status.as_str()) {
                            problems.push(format!(
                                "service: case {}: its status column says {status}, but the newest status event by stamp says {:?}",
                                label(case),
                                model.status(*case)
                            ));
                        }
                    }
                }
            }
            for case in stored.keys().filter(|c| !model.cases.contains_key(c)) {
                problems.push(format!("service: case {case} exists although no acknowledged op created it"));
            }
        }
        Err(e) => problems.push(format!("reading the service's tables: {e}")),
    }

    // What the service serves each person, against the model.
    let mut served_by: BTreeMap<usize, (String, Served)> = BTreeMap::new();
    for (p, person) in roster.people.iter().enumerate() {
        let token = match f.world.observer_token(p) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("a token for {}: {e}", person.username));
                continue;
            }
        };
        match f.world.served(&token) {
            Ok(s) => {
                let (expected, model_problems) = snapshot::expected(&model, roster, p);
                problems.extend(model_problems);
                let (got, served_problems) = snapshot::served(&s, person.role);
                problems.extend(served_problems.into_iter().map(|x| format!("service to {}: {x}", person.username)));
                problems.extend(diff(
                    &format!("service to {} ({})", person.username, person.role.code()),
                    &expected,
                    &got,
                ));
                // The same conflict never shows twice.
                let mut sides = BTreeSet::new();
                for c in s.conflicts.values().filter(|c| c.resolution.is_none()) {
                    if !sides.insert((c.entity, c.record_id, c.field.clone(), c.kept.op_id, c.other.op_id)) {
                        problems.push(format!(
                            "service to {}: case {}: the conflict on {} {} field {} between ops {} and {} is open twice",
                            person.username,
                            label(&c.case_id),
                            c.entity.as_str(),
                            c.record_id,
                            c.field,
                            c.kept.op_id,
                            c.other.op_id
                        ));
                    }
                }
                served_by.insert(p, (token, s));
            }
            Err(e) => problems.push(format!("pulling what the service serves {}: {e}", person.username)),
        }
    }

    // No acknowledged op is lost: each applied write is in force, or beaten by a higher stamp,
    // as seen by a supervisor of the case's office (who sees every field of it).
    for a in &f.answers {
        let Outcome::Applied { .. } = a.result.outcome else { continue };
        let Some(facts) = model.cases.get(&a.op.case_id) else { continue };
        let Some((sup, _)) = roster
            .people
            .iter()
            .enumerate()
            .find(|(_, p)| p.role == Role::Supervisor && p.office == facts.office)
        else {
            continue;
        };
        let Some((_, s)) = served_by.get(&sup) else { continue };
        if !s.cases.contains(&a.op.case_id) {
            continue;
        }
        match &a.op.body {
            OpBody::Set { entity, record_id, fields } => {
                for w in fields {
                    match s.records.get(&(*entity, *record_id)).and_then(|r| r.fields.get(&w.field)) {
                        None => problems.push(format!(
                            "acknowledged op {} (device {}) wrote {} {} field {} of case {}, which the service no longer has at all",
                            a.op.id,
                            a.device,
                            entity.as_str(),
                            record_id,
                            w.field,
                            label(&a.op.case_id)
                        )),
                        Some((value, stamp)) => {
                            if *stamp < a.op.stamp || (*stamp == a.op.stamp && !same_json(value, &w.value)) {
                                problems.push(format!(
                                    "acknowledged op {} (device {}) wrote {} = {} at {} on case {}, but the service holds {value} at {stamp}: the write is lost",
                                    a.op.id,
                                    a.device,
                                    w.field,
                                    w.value,
                                    a.op.stamp,
                                    label(&a.op.case_id)
                                ));
                            }
                        }
                    }
                }
            }
            OpBody::Append { entity, record_id, .. } if *entity != Entity::AuditEvent && !s.appended.contains_key(record_id) => {
                problems.push(format!(
                    "acknowledged op {} (device {}) appended {} {} to case {}, which the service does not serve",
                    a.op.id,
                    a.device,
                    entity.as_str(),
                    record_id,
                    label(&a.op.case_id)
                ));
            }
            _ => {}
        }
    }

    // Photo bytes go to those who may see the photo and to no one else.
    for (p, (token, _)) in &served_by {
        let role = roster.people[*p].role;
        for ((entity, id), r) in &model.records {
            if *entity != Entity::Photo || r.value("deleted") == Some(&serde_json::Value::Bool(true)) {
                continue;
            }
            let Some(sha) = r.value("sha256").and_then(|v| v.as_str()) else {
                continue;
            };
            let should = model.in_scope(roster, *p, r.case_id) && model.photo_visible(role, r);
            match f.world.blob_available(token, sha) {
                Ok(has) if has != should => problems.push(format!(
                    "service to {}: the bytes of photo {id} of case {} {} but {}",
                    roster.people[*p].username,
                    label(&r.case_id),
                    if has { "are handed out" } else { "are refused" },
                    if should {
                        "this person may see the photo"
                    } else {
                        "this person may not see it"
                    }
                )),
                Ok(_) => {}
                Err(e) => problems.push(format!("asking for photo bytes as {}: {e}", roster.people[*p].username)),
            }
        }
    }

    // Each device against the model, through the store's API.
    for dev in &f.devices {
        let person = &roster.people[dev.person];
        let who = format!("device {} ({}, {})", dev.index, person.username, person.role.code());
        let grant = rules::grant(person.role);
        let (expected, _) = snapshot::expected(&model, roster, dev.person);
        match snapshot::held(&dev.replica.ws, person.role) {
            Ok(mut held) => {
                if !grant.contacts_and_notes {
                    // A volunteer's own tips stay on their device: they wrote them, and the
                    // service, which does not show notes to their role, sends nothing back.
                    let own: BTreeSet<(Uuid, u64)> = model
                        .appended
                        .values()
                        .filter(|a| a.entity == Entity::Note && a.device == dev.index)
                        .filter_map(|a| Some((a.record.get("note_id")?.as_str()?.parse().ok()?, a.record.get("version")?.as_u64()?)))
                        .collect();
                    for snap in held.values_mut() {
                        snap.notes.retain(|(note, version, _, _)| !own.contains(&(*note, *version)));
                    }
                }
                problems.extend(diff(&who, &expected, &held));
            }
            Err(e) => problems.push(format!("{who}: reading the workspace: {e}")),
        }
        // Cases out of scope: the store answers "no such case", and no table holds their ids.
        let scope = model.scope(roster, dev.person);
        let outside: Vec<Uuid> = model.cases.keys().copied().filter(|c| !scope.contains(c)).collect();
        for case in &outside {
            if snapshot::holds_case(&dev.replica.ws, *case) {
                problems.push(format!("{who}: still opens case {}, which is outside their scope", label(case)));
            }
        }
        let mut ids: Vec<Uuid> = outside.clone();
        let mut texts: Vec<String> = outside
            .iter()
            .filter_map(|c| f.case_numbers.get(c))
            .map(|n| secret(*n).replace("ZQCONF ", ""))
            .collect();
        for ((entity, id), r) in &model.records {
            let hidden = !scope.contains(&r.case_id)
                || (*entity == Entity::Contact && !grant.contacts_and_notes)
                || (*entity == Entity::Photo && !model.photo_visible(person.role, r));
            if hidden {
                ids.push(*id);
                // A hidden photo's bytes (and their name) must be gone too.
                if let Some(sha) = r.value("sha256").and_then(|v| v.as_str()).filter(|_| *entity == Entity::Photo) {
                    texts.push(sha.to_owned());
                }
            }
        }
        for (id, a) in &model.appended {
            let hidden = !scope.contains(&a.case_id) || (a.entity == Entity::Note && !grant.contacts_and_notes && a.device != dev.index);
            if hidden && a.entity != Entity::AuditEvent {
                ids.push(*id);
            }
        }
        if grant.view != CaseView::Full {
            texts.push("ZQCONF".into());
        }
        // A refused change stays listed, with its case's number and the service's reason, after
        // the case has left the device: the user must learn what was not saved. Identifiers may
        // stay there; the case's contents may not.
        match scan::scan(&dev.path, &dev.passphrase, &ids, &texts, &["rejected_ops"]) {
            Ok(hits) => {
                let mut seen = BTreeSet::new();
                for h in hits {
                    if seen.insert((h.table.clone(), h.column.clone(), h.what.clone())) {
                        // Say what the thing is: a record of which case, and why it may not be here.
                        let about = model
                            .records
                            .iter()
                            .find(|((_, id), _)| h.what.contains(&id.to_string()))
                            .map(|((e, id), r)| {
                                let why = if !scope.contains(&r.case_id) {
                                    "its case is outside the scope".to_string()
                                } else {
                                    format!(
                                        "fields in force: {:?}",
                                        r.fields.iter().map(|(k, f)| format!("{k}={}", f.value)).collect::<Vec<_>>()
                                    )
                                };
                                let writes: Vec<String> = f
                                    .answers
                                    .iter()
                                    .filter(|a| a.op.record_id() == Some(*id))
                                    .map(|a| format!("{} by device {}: {:?}", crate::model::describe(&a.op), a.device, a.result.outcome))
                                    .collect();
                                format!(" ({} of case {}; {why}; written by {writes:?})", e.as_str(), label(&r.case_id))
                            })
                            .unwrap_or_default();
                        problems.push(format!(
                            "{who}: table {} column {} holds {}{about}, which must not be on this device",
                            h.table, h.column, h.what
                        ));
                    }
                }
            }
            Err(e) => problems.push(format!("{who}: scanning the workspace: {e}")),
        }
        // Refused ops are shown with their reasons.
        match dev.replica.ws.rejected_changes() {
            Ok(list) => {
                let shown: BTreeMap<String, String> = list.into_iter().map(|r| (r.op_id, r.reason)).collect();
                for (op, (d, code, reason)) in &model.rejected {
                    if *d != dev.index {
                        continue;
                    }
                    match shown.get(&op.to_string()) {
                        None => problems.push(format!(
                            "{who}: op {op} was refused ({code:?}: {reason}) but the device does not show it among refused changes"
                        )),
                        Some(r) if r.trim().is_empty() => problems.push(format!("{who}: refused op {op} is shown without a reason")),
                        Some(_) => {}
                    }
                }
            }
            Err(e) => problems.push(format!("{who}: listing refused changes: {e}")),
        }
        if let Err(e) = dev.replica.ws.integrity_check() {
            problems.push(format!("{who}: the workspace fails its integrity check: {e}"));
        }
    }
    // The run's short names for cases (C1, C2…) are the ones its schedule uses.
    problems
        .into_iter()
        .map(|p| {
            f.case_numbers
                .iter()
                .fold(p, |p, (id, n)| p.replace(&format!("case {id}"), &format!("case C{n} ({id})")))
        })
        .collect()
}
