//! One shape for "what a person holds of a case", built three ways: from the model (what the
//! rules say they must hold), from what the service serves them, and from a device through the
//! store's public API. Values are normalised through the domain types on every side, so only
//! differences of meaning show; `diff` names each one. It decides nothing about scope itself.

use crate::model::{field_visible, same_json, Model};
use crate::roster::Roster;
use crate::served::Served;
use porchlight_domain::{CaseFields, CaseId, ContactFields, RecordId};
use porchlight_server::rules::{self, CaseView};
use porchlight_store::Workspace;
use porchlight_sync::fields::{flatten, unflatten};
use porchlight_sync::Entity;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// What one person holds of one case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseSnap {
    /// The visible case fields (flattened), `case_number` and `archived` among them.
    pub fields: BTreeMap<String, Value>,
    /// Fields that must not be there for this person but are, with their values.
    pub leaked: BTreeMap<String, Value>,
    pub status: Option<String>,
    /// Status events as `to: reason`.
    pub events: BTreeSet<String>,
    pub contacts: BTreeMap<Uuid, BTreeMap<String, Value>>,
    /// Note versions: note id, version, category, text.
    pub notes: BTreeSet<(Uuid, u64, String, String)>,
    pub photos: BTreeMap<Uuid, BTreeMap<String, Value>>,
    /// Open conflicts by id.
    pub conflicts: BTreeSet<Uuid>,
}

pub type Snapshot = BTreeMap<Uuid, CaseSnap>;

/// Flattened fields by their dotted paths.
type Flat = BTreeMap<String, Value>;

/// The case-form part of a flat case record, read back through `CaseFields` and flattened
/// again, split into what `view` may see and what it may not (non-default values only).
fn case_fields(flat: &Flat, view: CaseView) -> Result<(Flat, Flat), String> {
    let form: BTreeMap<String, Value> = flat
        .iter()
        .filter(|(k, _)| *k != "case_number" && *k != "archived")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let typed: CaseFields =
        serde_json::from_value(unflatten(&form)).map_err(|e| format!("the case fields do not read as a case form: {e}"))?;
    let normal = flatten(&serde_json::to_value(typed).expect("a case form is JSON"));
    let blank = flatten(&serde_json::to_value(CaseFields::default()).expect("a case form is JSON"));
    let mut visible = BTreeMap::new();
    let mut leaked = BTreeMap::new();
    for (k, v) in normal {
        if field_visible(view, &k) {
            visible.insert(k, v);
        } else if blank.get(&k).is_none_or(|b| !same_json(b, &v)) {
            leaked.insert(k, v);
        }
    }
    for extra in ["case_number", "archived"] {
        if let Some(v) = flat.get(extra) {
            visible.insert(extra.to_owned(), v.clone());
        }
    }
    Ok((visible, leaked))
}

fn contact_fields(flat: &BTreeMap<String, Value>) -> Result<BTreeMap<String, Value>, String> {
    let form: BTreeMap<String, Value> = flat
        .iter()
        .filter(|(k, _)| *k != "removed_reason")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let typed: ContactFields =
        serde_json::from_value(unflatten(&form)).map_err(|e| format!("the contact fields do not read as a contact: {e}"))?;
    let mut out = flatten(&serde_json::to_value(typed).expect("a contact is JSON"));
    // A current contact has no removal reason: null on the wire, empty in the store.
    let reason = match flat.get("removed_reason") {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(v) => v.clone(),
    };
    out.insert("removed_reason".into(), reason);
    Ok(out)
}

const PHOTO_FIELDS: [&str; 8] = [
    "sha256",
    "mime",
    "kind",
    "age_progressed_to",
    "taken_on",
    "source",
    "consent_to_publish",
    "is_primary",
];

fn photo_fields(flat: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    PHOTO_FIELDS
        .iter()
        .map(|k| {
            let v = flat.get(*k).cloned().unwrap_or(Value::Null);
            // An unknown date is empty in the form and may be null on the wire.
            let v = if *k == "taken_on" && v == Value::String(String::new()) {
                Value::Null
            } else {
                v
            };
            (k.to_string(), v)
        })
        .collect()
}

/// Note categories as the form names them ("lead_tip") or as the service does ("lead").
fn category(text: &str) -> String {
    if text == "lead" {
        "lead_tip".into()
    } else {
        text.to_owned()
    }
}

fn event_text(record: &Value) -> String {
    format!(
        "{}: {}",
        record.get("to").and_then(Value::as_str).unwrap_or("?"),
        record.get("reason").and_then(Value::as_str).unwrap_or("?")
    )
}

fn note_row(record: &Value) -> Option<(Uuid, u64, String, String)> {
    Some((
        record.get("note_id")?.as_str()?.parse().ok()?,
        record.get("version")?.as_u64()?,
        category(record.get("category")?.as_str()?),
        record.get("body").or_else(|| record.get("text"))?.as_str()?.to_owned(),
    ))
}

/// What the rules say `person` must hold, case by case.
pub fn expected(model: &Model, roster: &Roster, person: usize) -> (Snapshot, Vec<String>) {
    let role = roster.people[person].role;
    let grant = rules::grant(role);
    let mut out = Snapshot::new();
    let mut problems = Vec::new();
    for case in model.scope(roster, person) {
        let mut snap = CaseSnap::default();
        if let Some(r) = model.records.get(&(Entity::Case, case)) {
            let flat: BTreeMap<String, Value> = r.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
            match case_fields(&flat, grant.view) {
                Ok((visible, _)) => snap.fields = visible,
                Err(e) => problems.push(format!("case {case}: the model's {e}")),
            }
        }
        snap.status = model.status(case);
        for (_, a) in model.appended_of(case, Entity::StatusEvent) {
            let mut record = a.record.clone();
            if grant.view != CaseView::Full {
                // Why a status changed can say more than a poster may: narrower views get the
                // move alone.
                record["reason"] = Value::from("");
            }
            snap.events.insert(event_text(&record));
        }
        if grant.contacts_and_notes {
            for (id, r) in model.records_of(case, Entity::Contact) {
                let flat = r.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
                match contact_fields(&flat) {
                    Ok(c) => {
                        snap.contacts.insert(*id, c);
                    }
                    Err(e) => problems.push(format!("case {case}: contact {id}: the model's {e}")),
                }
            }
            for (id, a) in model.appended_of(case, Entity::Note) {
                match note_row(&a.record) {
                    Some(row) => {
                        snap.notes.insert(row);
                    }
                    None => problems.push(format!(
                        "case {case}: note version {id} has no note id, version, category or text: {}",
                        a.record
                    )),
                }
            }
        }
        for (id, r) in model.records_of(case, Entity::Photo) {
            if r.value("deleted") == Some(&Value::Bool(true)) || !model.photo_visible(role, r) {
                continue;
            }
            let flat = r.fields.iter().map(|(k, f)| (k.clone(), f.value.clone())).collect();
            snap.photos.insert(*id, photo_fields(&flat));
        }
        for c in model.open_conflicts(case) {
            if model.conflict_visible(role, c) {
                if let Some(id) = c.id {
                    snap.conflicts.insert(id);
                }
            }
        }
        out.insert(case, snap);
    }
    (out, problems)
}

/// What the service served a fresh device of a person with `view`.
pub fn served(s: &Served, role: porchlight_server::people::Role) -> (Snapshot, Vec<String>) {
    let grant = rules::grant(role);
    let mut out: Snapshot = s.cases.iter().map(|c| (*c, CaseSnap::default())).collect();
    let mut problems = s.findings.clone();
    for ((entity, id), r) in &s.records {
        let flat: BTreeMap<String, Value> = r.fields.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect();
        let snap = out.entry(r.case_id).or_default();
        match entity {
            Entity::Case => {
                // Redacted fields must be absent, not blanked: not even their emptiness leaves.
                for k in flat.keys() {
                    if !field_visible(grant.view, k) {
                        snap.leaked.insert(k.clone(), flat[k].clone());
                    }
                }
                match case_fields(&flat, grant.view) {
                    Ok((visible, _)) => snap.fields = visible,
                    Err(e) => problems.push(format!("case {}: the served {e}", r.case_id)),
                }
            }
            Entity::Contact => match contact_fields(&flat) {
                Ok(c) => {
                    snap.contacts.insert(*id, c);
                }
                Err(e) => problems.push(format!("case {}: contact {id}: the served {e}", r.case_id)),
            },
            Entity::Photo => {
                if flat.get("deleted") != Some(&Value::Bool(true)) {
                    snap.photos.insert(*id, photo_fields(&flat));
                }
            }
            other => problems.push(format!("a {} was served as a mutable record", other.as_str())),
        }
    }
    for (id, a) in &s.appended {
        let snap = out.entry(a.case_id).or_default();
        match a.entity {
            Entity::StatusEvent => {
                snap.events.insert(event_text(&a.record));
            }
            Entity::Note => match note_row(&a.record) {
                Some(row) => {
                    snap.notes.insert(row);
                }
                None => problems.push(format!(
                    "note version {id} was served without note id, version, category or text: {}",
                    a.record
                )),
            },
            Entity::AuditEvent => problems.push(format!("audit event {id} was pulled back to a device")),
            other => problems.push(format!("a {} was served as an appended record", other.as_str())),
        }
    }
    for (case, snap) in out.iter_mut() {
        snap.status = s
            .appended
            .values()
            .filter(|a| a.entity == Entity::StatusEvent && a.case_id == *case)
            .max_by_key(|a| a.stamp)
            .and_then(|a| a.record.get("to").and_then(Value::as_str).map(str::to_owned));
    }
    for c in s.conflicts.values() {
        if c.resolution.is_none() {
            out.entry(c.case_id).or_default().conflicts.insert(c.id);
        }
    }
    (out, problems)
}

/// What a device holds, read through the store's public API only.
pub fn held(ws: &Workspace, role: porchlight_server::people::Role) -> Result<Snapshot, String> {
    let grant = rules::grant(role);
    let err = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    let mut out = Snapshot::new();
    let mut query = porchlight_domain::ListQuery {
        limit: porchlight_domain::ListQuery::MAX_LIMIT,
        include_archived: true,
        ..Default::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = ws.list_cases(&query).map_err(|e| err("list the cases", &e))?;
        let n = page.rows.len() as u32;
        ids.extend(page.rows.iter().map(|c| c.id));
        if n < query.limit {
            break;
        }
        query.offset += n;
    }
    for id in ids {
        let case = *id.as_uuid();
        let record = ws.get_case(id).map_err(|e| err(&format!("read case {case}"), &e))?;
        let mut snap = CaseSnap::default();
        let mut flat = flatten(&serde_json::to_value(&record.fields).expect("a case form is JSON"));
        flat.insert("case_number".into(), Value::String(record.case_number.clone()));
        flat.insert("archived".into(), Value::Bool(record.archived_at.is_some()));
        let (visible, leaked) = case_fields(&flat, grant.view).map_err(|e| format!("case {case}: {e}"))?;
        snap.fields = visible;
        snap.leaked = leaked;
        snap.status = Some(record.status.code().to_owned());
        for e in ws
            .status_events(id)
            .map_err(|e| err(&format!("status history of case {case}"), &e))?
        {
            snap.events.insert(format!("{}: {}", e.to.code(), e.reason));
        }
        for c in ws.contacts(id).map_err(|e| err(&format!("contacts of case {case}"), &e))? {
            let mut flat = flatten(&serde_json::to_value(&c.fields).expect("a contact is JSON"));
            flat.insert("removed_reason".into(), Value::String(c.removed_reason.clone()));
            snap.contacts.insert(
                *c.id.as_uuid(),
                contact_fields(&flat).map_err(|e| format!("case {case}: contact {}: {e}", c.id))?,
            );
        }
        for n in ws.notes(id).map_err(|e| err(&format!("notes of case {case}"), &e))? {
            let note: RecordId = n.current.note_id;
            for v in ws.note_history(note).map_err(|e| err(&format!("history of note {note}"), &e))? {
                let cat = serde_json::to_value(v.category).expect("a category is JSON");
                snap.notes.insert((
                    *note.as_uuid(),
                    u64::from(v.version),
                    category(cat.as_str().unwrap_or("?")),
                    v.text.clone(),
                ));
            }
        }
        for p in ws.case_photos(id).map_err(|e| err(&format!("photos of case {case}"), &e))? {
            let mut flat = BTreeMap::new();
            flat.insert("sha256".to_string(), Value::String(p.sha256.clone()));
            flat.insert("mime".to_string(), Value::String(p.mime.clone()));
            flat.insert("kind".to_string(), serde_json::to_value(p.meta.kind).expect("a kind is JSON"));
            flat.insert(
                "age_progressed_to".to_string(),
                serde_json::to_value(p.meta.age_progressed_to).expect("an age is JSON"),
            );
            flat.insert("taken_on".to_string(), Value::String(p.meta.taken_on.clone()));
            flat.insert("source".to_string(), Value::String(p.meta.source.clone()));
            flat.insert("consent_to_publish".to_string(), Value::Bool(p.meta.consent_to_publish));
            flat.insert("is_primary".to_string(), Value::Bool(p.is_primary));
            snap.photos.insert(*p.id.as_uuid(), photo_fields(&flat));
            // The bytes must be there and be the ones named.
            match ws.photo_bytes(&p.sha256) {
                Ok((bytes, _)) => {
                    let got = crate::photo::sha256_hex(&bytes);
                    if got != p.sha256 {
                        snap.leaked.insert(
                            format!("photo {} bytes", p.id),
                            Value::String(format!("hash to {got}, not {}", p.sha256)),
                        );
                    }
                }
                Err(e) => {
                    snap.leaked
                        .insert(format!("photo {} bytes", p.id), Value::String(format!("cannot be read: {e}")));
                }
            }
        }
        for c in ws.conflicts(Some(id)).map_err(|e| err(&format!("conflicts of case {case}"), &e))? {
            let cid: Uuid = c.id.parse().map_err(|e| format!("conflict id {:?}: {e}", c.id))?;
            snap.conflicts.insert(cid);
        }
        out.insert(case, snap);
    }
    Ok(out)
}

/// Whether the device answers "no such case" for a case it must not hold.
pub fn holds_case(ws: &Workspace, case: Uuid) -> bool {
    ws.get_case(CaseId::from_uuid(case)).is_ok()
}

/// Every difference between what `who` should hold and what they hold, in words.
pub fn diff(who: &str, expected: &Snapshot, found: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for case in expected.keys().filter(|c| !found.contains_key(c)) {
        out.push(format!("{who}: case {case} is missing (it is in their scope)"));
    }
    for case in found.keys().filter(|c| !expected.contains_key(c)) {
        out.push(format!("{who}: holds case {case}, which is outside their scope"));
    }
    for (case, e) in expected {
        let Some(f) = found.get(case) else { continue };
        let at = |what: String| format!("{who}: case {case}: {what}");
        for (k, v) in &f.leaked {
            out.push(at(format!("holds {k} = {v}, which this role may not see")));
        }
        for k in e.fields.keys().chain(f.fields.keys()).collect::<BTreeSet<_>>() {
            match (e.fields.get(k), f.fields.get(k)) {
                (Some(a), Some(b)) if same_json(a, b) => {}
                (a, b) => out.push(at(format!("field {k}: expected {}, found {}", show(a), show(b)))),
            }
        }
        if e.status != f.status {
            out.push(at(format!("status: expected {:?}, found {:?}", e.status, f.status)));
        }
        for x in e.events.difference(&f.events) {
            out.push(at(format!("status event missing: {x}")));
        }
        for x in f.events.difference(&e.events) {
            out.push(at(format!("status event not expected: {x}")));
        }
        for id in e.contacts.keys().chain(f.contacts.keys()).collect::<BTreeSet<_>>() {
            match (e.contacts.get(id), f.contacts.get(id)) {
                (Some(a), Some(b)) => {
                    for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
                        match (a.get(k), b.get(k)) {
                            (Some(x), Some(y)) if same_json(x, y) => {}
                            (x, y) => out.push(at(format!("contact {id} field {k}: expected {}, found {}", show(x), show(y)))),
                        }
                    }
                }
                (Some(_), None) => out.push(at(format!("contact {id} is missing"))),
                (None, Some(_)) => out.push(at(format!("contact {id} is not expected here"))),
                (None, None) => {}
            }
        }
        for x in e.notes.difference(&f.notes) {
            out.push(at(format!("note {} version {} ({}: {:?}) is missing", x.0, x.1, x.2, x.3)));
        }
        for x in f.notes.difference(&e.notes) {
            out.push(at(format!(
                "note {} version {} ({}: {:?}) is not expected here",
                x.0, x.1, x.2, x.3
            )));
        }
        for id in e.photos.keys().chain(f.photos.keys()).collect::<BTreeSet<_>>() {
            match (e.photos.get(id), f.photos.get(id)) {
                (Some(a), Some(b)) => {
                    for k in a.keys() {
                        if !same_json(&a[k], b.get(k).unwrap_or(&Value::Null)) {
                            out.push(at(format!("photo {id} {k}: expected {}, found {}", a[k], show(b.get(k)))));
                        }
                    }
                }
                (Some(_), None) => out.push(at(format!("photo {id} is missing (metadata or bytes)"))),
                (None, Some(_)) => out.push(at(format!("photo {id} is not expected here"))),
                (None, None) => {}
            }
        }
        for x in e.conflicts.difference(&f.conflicts) {
            out.push(at(format!("open conflict {x} is missing")));
        }
        for x in f.conflicts.difference(&e.conflicts) {
            out.push(at(format!(
                "conflict {x} shows as open but should not (resolved, or not for this role)"
            )));
        }
    }
    out
}

fn show(v: Option<&Value>) -> String {
    v.map_or("nothing".to_string(), |v| v.to_string())
}
