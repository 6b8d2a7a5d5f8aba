//! The case timeline: one list, newest first, that interleaves every note version, status
//! change, contact added, edited or removed, photo added, and the case's own create, edit and
//! archive, each as a one-line title and a longer detail for people. It is an internal view:
//! it shows do-not-disclose contacts, marked so, and must never be handed to anything that
//! shares case information outside the organisation. It reads the histories; it writes nothing.

use crate::cases::blob;
use crate::contacts;
use crate::error::StoreError;
use crate::notes;
use crate::status;
use crate::workspace::Workspace;
use porchlight_domain::{CaseId, ContactFields, NoteCategory, RecordId, Relationship, TimelineEntry, TimelineKind};
use serde_json::Value;

/// A timeline entry with what orders it among entries of the same moment.
struct Dated {
    entry: TimelineEntry,
    /// Among entries of one moment, the case's creation comes first and its first status next,
    /// so that newest-first lists show them last.
    rank: u8,
    seq: i64,
}

impl Workspace {
    /// The timeline of a case, newest first, with only the given kinds (all when empty).
    pub fn timeline(&self, case: CaseId, kinds: &[TimelineKind]) -> Result<Vec<TimelineEntry>, StoreError> {
        self.get_case(case)?;
        let wants = |kind: TimelineKind| kinds.is_empty() || kinds.contains(&kind);
        let mut all: Vec<Dated> = Vec::new();
        if wants(TimelineKind::Note) {
            self.note_entries(case, &mut all)?;
        }
        if wants(TimelineKind::Status) {
            status_entries(&self.conn, case, &mut all)?;
        }
        if wants(TimelineKind::Contact) {
            self.contact_entries(case, &mut all)?;
        }
        if wants(TimelineKind::Photo) {
            self.photo_entries(case, &mut all)?;
        }
        if wants(TimelineKind::Case) {
            self.case_entries(case, &mut all)?;
        }
        all.sort_by(|a, b| b.entry.at.cmp(&a.entry.at).then(b.rank.cmp(&a.rank)).then(b.seq.cmp(&a.seq)));
        Ok(all.into_iter().map(|d| d.entry).collect())
    }

    fn note_entries(&self, case: CaseId, out: &mut Vec<Dated>) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT note_id, version, category, text, author, at, rowid FROM note_versions WHERE case_id = ?1",
        )?;
        let rows = stmt.query_map([blob(case)], |row| {
            Ok((row.get::<_, [u8; 16]>(0)?, row.get::<_, u32>(1)?, row.get::<_, String>(2)?, row.get(3)?, row.get(4)?, row.get::<_, String>(5)?, row.get(6)?))
        })?;
        for row in rows {
            let (id, version, category, text, author, at, seq) = row?;
            let category = notes::category_from_code(&category)?;
            let title = if version == 1 {
                format!("Note added: {}", category.label())
            } else {
                format!("Note edited: {} (version {version})", category.label())
            };
            let title = if category == NoteCategory::Internal { format!("{title} — internal") } else { title };
            out.push(Dated {
                entry: TimelineEntry {
                    at: crate::parse_stamp(&at)?,
                    actor: author,
                    kind: TimelineKind::Note,
                    title,
                    detail: text,
                    record_id: Some(RecordId::from_uuid(uuid::Uuid::from_bytes(id)).to_string()),
                },
                rank: 2,
                seq,
            });
        }
        Ok(())
    }

    fn contact_entries(&self, case: CaseId, out: &mut Vec<Dated>) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            // A contact that arrived from the service and has not changed here has no history
            // yet: its row is its `added` entry (migration 0010), written by the service's actor.
            "SELECT seq, contact_id, kind, actor, at, fields, reason FROM contact_events WHERE case_id = ?1
             UNION ALL
             SELECT 0, c.id, 'added', ?2, c.created_at, c.fields, '' FROM contacts c
             WHERE c.case_id = ?1 AND NOT EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_id = c.id)
             ORDER BY 1",
        )?;
        let rows = stmt.query_map(rusqlite::params![blob(case), crate::sync::records::REMOTE_ACTOR], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, [u8; 16]>(1)?, row.get::<_, String>(2)?, row.get(3)?, row.get::<_, String>(4)?, row.get::<_, String>(5)?, row.get::<_, String>(6)?))
        })?;
        // The form before each change, to say what an edit changed.
        let mut before: Vec<(RecordId, ContactFields)> = Vec::new();
        for row in rows {
            let (seq, id, kind, actor, at, fields, reason) = row?;
            let id = RecordId::from_uuid(uuid::Uuid::from_bytes(id));
            let fields = contacts::parse_fields(&fields, id)?;
            let previous = before.iter().position(|(c, _)| *c == id).map(|i| before.swap_remove(i).1);
            let (verb, detail) = match kind.as_str() {
                "added" => ("added", if fields.do_not_disclose { "Do not disclose case updates to this person.".to_owned() } else { String::new() }),
                "removed" => ("removed", format!("Reason: {reason}")),
                _ => ("edited", previous.as_ref().map(|p| changed_contact_fields(p, &fields)).unwrap_or_default()),
            };
            let mut title = format!("Contact {verb}: {} ({})", fields.name, relationship_words(&fields));
            if fields.do_not_disclose {
                title.push_str(" — do not disclose");
            }
            out.push(Dated {
                entry: TimelineEntry {
                    at: crate::parse_stamp(&at)?,
                    actor,
                    kind: TimelineKind::Contact,
                    title,
                    detail,
                    record_id: Some(id.to_string()),
                },
                rank: 2,
                seq,
            });
            before.push((id, fields));
        }
        Ok(())
    }

    fn photo_entries(&self, case: CaseId, out: &mut Vec<Dated>) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, actor, at, previous, new FROM case_events WHERE case_seq = (SELECT seq FROM cases WHERE id = ?1) AND kind = 'photo'",
        )?;
        let rows = stmt.query_map([blob(case)], |row| {
            Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get::<_, String>(2)?, row.get::<_, Option<String>>(3)?, row.get::<_, Option<String>>(4)?))
        })?;
        let parse = |json: Option<String>| json.as_deref().and_then(|j| serde_json::from_str::<Value>(j).ok()).unwrap_or(Value::Null);
        for row in rows {
            let (seq, actor, at, previous, new) = row?;
            let (previous, new) = (parse(previous), parse(new));
            let (title, detail) = if previous.is_null() {
                (format!("Photo added: {}", photo_words(&new)), photo_detail(&new))
            } else if new.get("primary").is_some() {
                ("Main photo changed".to_owned(), String::new())
            } else {
                let (before, after) = (previous.get("meta").unwrap_or(&Value::Null), new.get("meta").unwrap_or(&Value::Null));
                let mut changed = Vec::new();
                changed_paths("", before, after, &mut changed);
                let detail = if changed.is_empty() { String::new() } else { format!("Changed: {}", changed.join(", ").replace('_', " ")) };
                (format!("Photo details edited: {}", photo_words(after)), detail)
            };
            out.push(Dated {
                entry: TimelineEntry {
                    at: crate::parse_stamp(&at)?,
                    actor,
                    kind: TimelineKind::Photo,
                    title,
                    detail,
                    record_id: new.get("photo").and_then(Value::as_str).map(str::to_owned),
                },
                rank: 2,
                seq,
            });
        }
        Ok(())
    }

    fn case_entries(&self, case: CaseId, out: &mut Vec<Dated>) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, version, actor, at, previous, new FROM case_events
             WHERE case_seq = (SELECT seq FROM cases WHERE id = ?1) AND kind <> 'photo'",
        )?;
        let rows = stmt.query_map([blob(case)], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
            ))
        })?;
        for row in rows {
            let (seq, kind, version, actor, at, previous, new) = row?;
            let (title, detail, rank) = match kind.as_str() {
                "create" => ("Case created".to_owned(), String::new(), 0),
                "edit" => {
                    let parse = |json: Option<String>| json.as_deref().and_then(|j| serde_json::from_str::<Value>(j).ok()).unwrap_or(Value::Null);
                    let mut changed = Vec::new();
                    changed_paths("", &parse(previous), &parse(new), &mut changed);
                    let detail = if changed.is_empty() { String::new() } else { format!("Changed: {}", changed.join(", ")) };
                    (format!("Case edited (version {version})"), detail, 2)
                }
                "archive" => ("Case archived".to_owned(), String::new(), 2),
                "unarchive" => ("Case restored from the archive".to_owned(), String::new(), 2),
                other => (format!("Case {other}"), String::new(), 2),
            };
            out.push(Dated {
                entry: TimelineEntry { at: crate::parse_stamp(&at)?, actor, kind: TimelineKind::Case, title, detail, record_id: None },
                rank,
                seq,
            });
        }
        Ok(())
    }
}

fn status_entries(conn: &rusqlite::Connection, case: CaseId, out: &mut Vec<Dated>) -> Result<(), StoreError> {
    for event in status::events(conn, case)? {
        let title = match event.from {
            Some(from) => format!("Status: {} → {}", from.label(), event.to.label()),
            None => format!("Status: {}", event.to.label()),
        };
        let mut detail = event.reason.clone();
        if let Some(outcome) = event.outcome {
            detail = format!("{detail}\nOutcome: {}", outcome.label());
        }
        out.push(Dated {
            entry: TimelineEntry { at: event.at, actor: event.actor, kind: TimelineKind::Status, title, detail, record_id: None },
            rank: if event.from.is_none() { 1 } else { 2 },
            seq: event.seq,
        });
    }
    Ok(())
}

/// What a photo shows, from its recorded metadata: "photo of the child", "age-progressed
/// image (to 15)". Reads both the first store's shape (`{"kind": {"kind": …, "age": …}}`) and
/// the later one (`"kind": "age_progressed", "age_progressed_to": 15`).
fn photo_words(meta: &Value) -> String {
    let kind = meta.pointer("/kind/kind").or_else(|| meta.get("kind")).and_then(Value::as_str).unwrap_or("photo");
    match kind {
        "age_progressed" => match meta.pointer("/kind/age").or_else(|| meta.get("age_progressed_to")).and_then(Value::as_u64) {
            Some(age) => format!("age-progressed image (to {age})"),
            None => "age-progressed image".to_owned(),
        },
        "companion" => "photo of a companion".to_owned(),
        "vehicle" => "photo of a vehicle".to_owned(),
        _ => "photo of the child".to_owned(),
    }
}

/// Where a new photo came from, when it was taken, and whether it may be published.
fn photo_detail(meta: &Value) -> String {
    let mut detail = Vec::new();
    if let Some(source) = meta.get("source").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        detail.push(format!("Source: {source}"));
    }
    if let Some(taken) = meta.get("taken_on").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        detail.push(format!("Taken on {taken}"));
    }
    if meta.get("consent_to_publish").and_then(Value::as_bool) == Some(false) {
        detail.push("Not for publication".to_owned());
    }
    detail.join("; ")
}

/// "mother", "foster parent, primary", or the words given for `other` ("aunt").
fn relationship_words(fields: &ContactFields) -> String {
    let words = match fields.relationship {
        Some(Relationship::Other) | None if !fields.relationship_detail.is_empty() => fields.relationship_detail.clone(),
        Some(r) => r.label().to_lowercase(),
        None => Relationship::Other.label().to_lowercase(),
    };
    if fields.primary {
        format!("{words}, primary")
    } else {
        words
    }
}

/// Which fields of a contact an edit changed, in words: "Changed: phones, primary contact".
fn changed_contact_fields(before: &ContactFields, after: &ContactFields) -> String {
    let mut changed = Vec::new();
    let mut note = |differs: bool, what: &str| {
        if differs {
            changed.push(what.to_owned());
        }
    };
    note(before.name != after.name, "name");
    note(before.relationship != after.relationship || before.relationship_detail != after.relationship_detail, "relationship");
    note(before.primary != after.primary, if after.primary { "made primary contact" } else { "no longer primary contact" });
    note(before.phones != after.phones, "phones");
    note(before.email != after.email, "email");
    note(before.address != after.address, "address");
    note(before.preferred_language != after.preferred_language, "preferred language");
    note(before.best_time_to_call != after.best_time_to_call, "best time to call");
    note(before.notes != after.notes, "notes");
    note(before.do_not_disclose != after.do_not_disclose, if after.do_not_disclose { "marked do not disclose" } else { "no longer marked do not disclose" });
    if changed.is_empty() {
        String::new()
    } else {
        format!("Changed: {}", changed.join(", "))
    }
}

/// The dotted paths of the leaf values that differ between two JSON forms, e.g. `event.city`.
fn changed_paths(prefix: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
            keys.sort();
            for key in keys {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                changed_paths(&path, a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null), out);
            }
        }
        _ if before != after => out.push(if prefix.is_empty() { "fields".to_owned() } else { prefix.to_owned() }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_names_the_fields_it_changed() {
        let before = serde_json::json!({"child": {"given_name": "Maya", "family_name": "Okafor"}, "event": {"city": "Tulsa"}});
        let after = serde_json::json!({"child": {"given_name": "Maia", "family_name": "Okafor"}, "event": {"city": "Tulsa", "state": "OK"}});
        let mut changed = Vec::new();
        changed_paths("", &before, &after, &mut changed);
        assert_eq!(changed, vec!["child.given_name", "event.state"]);
    }

    #[test]
    fn a_contact_edit_says_what_changed_in_words() {
        let before = ContactFields { name: "Grace Okafor".into(), relationship: Some(Relationship::Mother), phones: vec!["(918) 555-0142".into()], ..Default::default() };
        let mut after = before.clone();
        after.phones.push("(918) 555-0199".into());
        after.do_not_disclose = true;
        assert_eq!(changed_contact_fields(&before, &after), "Changed: phones, marked do not disclose");
        assert_eq!(relationship_words(&after), "mother");
        let aunt = ContactFields { relationship: Some(Relationship::Other), relationship_detail: "aunt".into(), primary: true, ..Default::default() };
        assert_eq!(relationship_words(&aunt), "aunt, primary");
    }
}
