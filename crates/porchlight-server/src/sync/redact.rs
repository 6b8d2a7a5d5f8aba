//! What of a change one role may receive, from its row of `rules::RULES`: case fields by its
//! view (an allow-list), contacts and notes only with `contacts_and_notes`, photos by its photo
//! access, status events without their reasons for the narrower views, and conflicts only about
//! what the role may see. The change log keeps every change in full; this is applied to each one
//! on its way out. It does not decide which cases a role reaches (`rules::scope_sql`).

use crate::rules::{self, CaseView, Grant, PhotoAccess};
use porchlight_sync::{Change, ConflictRecord, Entity, RecordState};
use serde_json::Value;

/// What a change's text is known to be without reading it, so most of the log passes through as
/// stored text when the role sees everything.
pub fn passes_whole(grant: &Grant, entity: Entity) -> bool {
    grant.view == CaseView::Full
        && grant.contacts_and_notes
        && (entity != Entity::Photo || grant.photos == PhotoAccess::All)
}

/// Whether the role may receive anything of records of this kind (before reading them).
pub fn may_receive(grant: &Grant, entity: Entity) -> bool {
    match entity {
        Entity::Case | Entity::StatusEvent => true,
        Entity::Contact | Entity::Note => grant.contacts_and_notes,
        Entity::Photo => grant.photos != PhotoAccess::None,
        Entity::AuditEvent => false,
    }
}

/// The case fields of a record the role may see.
fn case_field(grant: &Grant, field: &str) -> bool {
    rules::field_visible(grant.view, field)
}

/// Whether a photo's record (its whole current state) goes to the role. A role that sees
/// consented photos only gets those consented now; the pull sends it the record once more when
/// consent is withdrawn (see `pull`), so its device learns to stop showing the photo.
fn photo_state(grant: &Grant, state: RecordState) -> Option<RecordState> {
    match grant.photos {
        PhotoAccess::All => Some(state),
        PhotoAccess::None => None,
        PhotoAccess::Consented => {
            (state.fields.get("consent_to_publish") == Some(&Value::Bool(true))).then_some(state)
        }
    }
}

/// The record's fields the role may see, in the compact form again.
pub fn record(grant: &Grant, state: RecordState) -> Option<RecordState> {
    if !may_receive(grant, state.entity) {
        return None;
    }
    match state.entity {
        Entity::Case if grant.view != CaseView::Full => {
            let stamps: Vec<(String, Value, porchlight_sync::Stamp)> = state
                .fields
                .iter()
                .filter(|(f, _)| case_field(grant, f))
                .map(|(f, v)| (f.clone(), v.clone(), state.stamp_of(f)))
                .collect();
            RecordState::from_fields(state.entity, state.case_id, state.record_id, stamps)
        }
        Entity::Photo => photo_state(grant, state),
        _ => Some(state),
    }
}

/// A conflict is about one field of one record: the role receives it when it may see that field.
fn conflict(grant: &Grant, c: &ConflictRecord) -> bool {
    match c.entity {
        Entity::Case => case_field(grant, &c.field),
        Entity::StatusEvent => true,
        Entity::Contact | Entity::Note => grant.contacts_and_notes,
        Entity::Photo => grant.photos == PhotoAccess::All,
        Entity::AuditEvent => false,
    }
}

/// One change as the role may receive it, or `None`.
pub fn change(grant: &Grant, change: Change) -> Option<Change> {
    match change {
        Change::Record(state) => record(grant, state).map(Change::Record),
        Change::Appended(mut a) => {
            if !may_receive(grant, a.entity) {
                return None;
            }
            if a.entity == Entity::StatusEvent && grant.view != CaseView::Full {
                // Why a status changed, who changed it and how a case ended can say more than
                // a poster may (a placement in care, a family matter): the narrower views get
                // the move alone.
                if let Value::Object(map) = &mut a.record {
                    map.insert("reason".into(), Value::from(""));
                    map.insert("actor".into(), Value::from(""));
                    map.insert("outcome".into(), Value::Null);
                }
            }
            Some(Change::Appended(a))
        }
        Change::Conflict(c) => conflict(grant, &c).then_some(Change::Conflict(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::Role;
    use chrono::{TimeZone, Utc};
    use porchlight_sync::{AppendedRecord, ReplicaId, Stamp};
    use serde_json::json;
    use uuid::Uuid;

    fn stamp() -> Stamp {
        Stamp::at(
            Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
            ReplicaId(3),
        )
    }

    fn case_state() -> RecordState {
        let id = Uuid::now_v7();
        RecordState::from_fields(
            Entity::Case,
            id,
            id,
            [
                ("child.given_name".to_string(), json!("Maya"), stamp()),
                ("care_agency".to_string(), json!("County Services"), stamp()),
                (
                    "description.medical_cautions".to_string(),
                    json!("insulin"),
                    stamp(),
                ),
                (
                    "law_enforcement.ncic_number".to_string(),
                    json!("M123456789"),
                    stamp(),
                ),
                (
                    "case_number".to_string(),
                    json!("PL-2601-7KQ4-XM2D"),
                    stamp(),
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn each_view_receives_exactly_its_case_fields() {
        let volunteer = rules::grant(Role::Volunteer);
        let Some(Change::Record(seen)) = change(volunteer, Change::Record(case_state())) else {
            panic!()
        };
        let fields: Vec<&str> = seen.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["case_number", "child.given_name"]);
        let poster = rules::grant(Role::PosterStaff);
        let Some(Change::Record(seen)) = change(poster, Change::Record(case_state())) else {
            panic!()
        };
        assert!(seen.fields.contains_key("law_enforcement.ncic_number"));
        assert!(!seen.fields.contains_key("care_agency"));
        let manager = rules::grant(Role::CaseManager);
        let Some(Change::Record(seen)) = change(manager, Change::Record(case_state())) else {
            panic!()
        };
        assert_eq!(seen.fields.len(), 5);
    }

    #[test]
    fn narrow_views_get_no_contacts_notes_or_reasons_and_photos_by_consent() {
        let volunteer = rules::grant(Role::Volunteer);
        let id = Uuid::now_v7();
        let contact = RecordState::from_fields(
            Entity::Contact,
            id,
            id,
            [("name".to_string(), json!("Rosa"), stamp())],
        )
        .unwrap();
        assert!(change(volunteer, Change::Record(contact)).is_none());
        let event = AppendedRecord {
            entity: Entity::StatusEvent,
            case_id: id,
            record_id: id,
            stamp: stamp(),
            record: json!({"from": "resolved", "to": "active", "reason": "placed in care", "outcome": null, "actor": "Ana", "at": "2026-11-22T09:00:00Z"}),
        };
        let Some(Change::Appended(seen)) = change(volunteer, Change::Appended(event)) else {
            panic!()
        };
        assert_eq!(seen.record["reason"], "");
        assert_eq!(seen.record["to"], "active");
        let poster = rules::grant(Role::PosterStaff);
        let photo = RecordState::from_fields(
            Entity::Photo,
            id,
            id,
            [
                ("consent_to_publish".to_string(), json!(false), stamp()),
                ("sha256".to_string(), json!("ab"), stamp()),
            ],
        )
        .unwrap();
        assert!(
            change(poster, Change::Record(photo.clone())).is_none(),
            "not consented"
        );
        let mut consented = photo.clone();
        consented
            .fields
            .insert("consent_to_publish".into(), json!(true));
        assert!(change(poster, Change::Record(consented.clone())).is_some());
        assert!(change(volunteer, Change::Record(consented)).is_none());
    }
}
