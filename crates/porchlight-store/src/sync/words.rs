//! Sync in words for people: the label of a field ("Given name" for `child.given_name`), a
//! value as the conflict inbox shows it ("Brown", "157 cm (5 ft 2 in)", "(empty)"), and what a
//! refused change was ("Edit of Ana Quiroga: given name, city"). The labels are the case form's
//! own; a field not in the table is shown by its path. It reads no data of its own.

use porchlight_domain::{CaseStatus, CaseType, EyeColor, HairColor, NcicCategory, Outcome, PhotoKind, Race, Relationship, Sex, SkinTone};
use porchlight_sync::{Entity, Op, OpBody};
use serde_json::{json, Value};

/// Labels of the case form's fields, as the form shows them.
const CASE_LABELS: &[(&str, &str)] = &[
    ("case_type", "Case type"),
    ("ncic_category", "NCIC category"),
    ("missing_from_care", "Missing from care"),
    ("care_agency", "Child-welfare agency"),
    ("amber_alert", "AMBER Alert issued"),
    ("amber_alert_issued_at", "AMBER Alert issued at"),
    ("child.given_name", "Given name"),
    ("child.middle_name", "Middle name"),
    ("child.family_name", "Family name"),
    ("child.nicknames", "Nicknames and aliases"),
    ("child.date_of_birth", "Date of birth"),
    ("child.estimated_age", "Estimated age"),
    ("child.sex", "Sex"),
    ("child.race", "Race"),
    ("child.hispanic_latino", "Hispanic or Latino"),
    ("description.height_cm", "Height"),
    ("description.weight_kg", "Weight"),
    ("description.units", "Units"),
    ("description.hair", "Hair"),
    ("description.eyes", "Eyes"),
    ("description.skin", "Skin tone"),
    ("description.scars_marks_tattoos", "Scars, marks and tattoos"),
    ("description.glasses", "Wears glasses"),
    ("description.braces", "Wears braces"),
    ("description.clothing", "Clothing when last seen"),
    ("description.medical_cautions", "Medical needs and cautions"),
    ("event.last_seen_date", "Last seen on"),
    ("event.last_seen_time", "Last seen at (local time)"),
    ("event.address", "Address"),
    ("event.city", "City or town"),
    ("event.county", "County"),
    ("event.state", "State"),
    ("event.country", "Country"),
    ("event.possible_destinations", "Possible destinations"),
    ("event.circumstances", "Circumstances"),
    ("companions", "Companions"),
    ("vehicles", "Vehicles"),
    ("law_enforcement.agency_name", "Investigating agency"),
    ("law_enforcement.ori", "Agency ORI"),
    ("law_enforcement.agency_case_number", "Agency case number"),
    ("law_enforcement.investigator_name", "Investigator"),
    ("law_enforcement.investigator_phone", "Investigator phone"),
    ("law_enforcement.ncic_number", "NCIC number"),
    ("case_number", "Case number"),
    ("archived", "Archived"),
    ("status", "Status"),
];

const CONTACT_LABELS: &[(&str, &str)] = &[
    ("name", "name"),
    ("relationship", "relationship"),
    ("relationship_detail", "relationship"),
    ("primary", "primary contact"),
    ("phones", "phones"),
    ("email", "email"),
    ("address", "address"),
    ("preferred_language", "preferred language"),
    ("best_time_to_call", "best time to call"),
    ("notes", "notes"),
    ("do_not_disclose", "do not disclose"),
    ("removed_reason", "removal"),
];

const PHOTO_LABELS: &[(&str, &str)] = &[
    ("kind", "what it shows"),
    ("age_progressed_to", "age progressed to"),
    ("taken_on", "date taken"),
    ("child_age", "child's age in it"),
    ("source", "source"),
    ("consent_to_publish", "consent to publish"),
    ("is_primary", "main photo"),
    ("deleted", "deleted"),
    ("sha256", "image"),
    ("mime", "image type"),
];

fn find(table: &[(&str, &'static str)], field: &str) -> Option<&'static str> {
    table.iter().find(|(path, _)| *path == field).map(|(_, label)| *label)
}

/// A field in words, for the conflict inbox: "Given name", "Contact: phones", "Photo: source".
pub(crate) fn field_label(entity: Entity, field: &str) -> String {
    match entity {
        Entity::Contact => format!("Contact: {}", find(CONTACT_LABELS, field).unwrap_or(field)),
        Entity::Photo => format!("Photo: {}", find(PHOTO_LABELS, field).unwrap_or(field)),
        _ => find(CASE_LABELS, field).map(str::to_owned).unwrap_or_else(|| field.to_owned()),
    }
}

/// A field in lower-case words, for a list of what a change touched.
fn field_words(entity: Entity, field: &str) -> String {
    match entity {
        Entity::Contact => find(CONTACT_LABELS, field).unwrap_or(field).to_owned(),
        Entity::Photo => find(PHOTO_LABELS, field).unwrap_or(field).to_owned(),
        _ => find(CASE_LABELS, field).map(|l| l.to_lowercase()).unwrap_or_else(|| field.to_owned()),
    }
}

/// A value in words, as the inbox shows each side of a conflict.
pub(crate) fn value_words(field: &str, value: &Value) -> String {
    let code = |label: Option<&'static str>| label.map(str::to_owned);
    let text = value.as_str().unwrap_or("");
    let named = match field {
        "case_type" => code(CaseType::from_code(text).map(CaseType::label)),
        "ncic_category" => code(NcicCategory::from_code(text).map(NcicCategory::label)),
        "child.sex" => code(Sex::from_code(text).map(Sex::label)),
        "child.race" => code(Race::from_code(text).map(Race::label)),
        "description.hair" => code(HairColor::from_code(text).map(HairColor::label)),
        "description.eyes" => code(EyeColor::from_code(text).map(EyeColor::label)),
        "description.skin" => code(SkinTone::from_code(text).map(SkinTone::label)),
        "status" => {
            let status = value.as_str().or_else(|| value.get("to").and_then(Value::as_str)).and_then(CaseStatus::from_code);
            let outcome = value
                .get("outcome")
                .and_then(Value::as_str)
                .and_then(|o| serde_json::from_value::<Outcome>(Value::from(o)).ok())
                .map(|o| format!(" ({})", o.label()))
                .unwrap_or_default();
            status.map(|s| format!("{}{outcome}", s.label()))
        }
        "relationship" => serde_json::from_value::<Relationship>(value.clone()).ok().map(|r| r.label().to_owned()),
        "kind" => serde_json::from_value::<PhotoKind>(value.clone()).ok().map(|k| match k {
            PhotoKind::Photo => "Photo of the child".to_owned(),
            PhotoKind::AgeProgressed => "Age-progressed image".to_owned(),
            PhotoKind::Companion => "Companion".to_owned(),
            PhotoKind::Vehicle => "Vehicle".to_owned(),
        }),
        "description.height_cm" => value.as_f64().map(|cm| {
            let inches = (cm / 2.54).round() as i64;
            format!("{cm:.0} cm ({} ft {} in)", inches / 12, inches % 12)
        }),
        "description.weight_kg" => value.as_f64().map(|kg| format!("{kg:.0} kg ({:.0} lb)", kg * 2.204_622_6)),
        "companions" => list_words(value, |c| c.get("name").and_then(Value::as_str).map(str::to_owned)),
        "vehicles" => list_words(value, |v| {
            let parts: Vec<String> = ["year", "color", "make", "model"]
                .iter()
                .filter_map(|k| v.get(*k).filter(|x| !x.is_null()).map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string())))
                .filter(|s| !s.is_empty())
                .collect();
            Some(parts.join(" "))
        }),
        _ => None,
    };
    if let Some(words) = named {
        return words;
    }
    match value {
        Value::Null => "(empty)".to_owned(),
        Value::Bool(true) => "Yes".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(s) if s.trim().is_empty() => "(empty)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.is_empty() => "(empty)".to_owned(),
        Value::Array(items) if items.iter().all(Value::is_string) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn list_words(value: &Value, each: impl Fn(&Value) -> Option<String>) -> Option<String> {
    let items = value.as_array()?;
    if items.is_empty() {
        return Some("(none)".to_owned());
    }
    Some(items.iter().map(|i| each(i).filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "(unnamed)".to_owned())).collect::<Vec<_>>().join("; "))
}

/// What a local change was, in words: "Edit of Ana Quiroga: given name, city". Without a child
/// name (a case that left the device) it names no one: "Edit of a case: given name, city".
pub(crate) fn describe_op(op: &Op, child: Option<&str>) -> String {
    let of = child.map(|c| c.trim()).filter(|c| !c.is_empty()).unwrap_or("a case");
    match &op.body {
        OpBody::Set { entity, fields, .. } => {
            let new = fields.iter().all(|f| f.base.is_none()) && fields.len() > 3;
            let names: Vec<String> = {
                let mut names: Vec<String> = fields.iter().map(|f| field_words(*entity, &f.field)).collect();
                names.dedup();
                names
            };
            let listed = if names.len() > 6 { format!("{} and {} more", names[..6].join(", "), names.len() - 6) } else { names.join(", ") };
            match (entity, new) {
                (Entity::Case, true) => format!("New case for {of}"),
                (Entity::Case, false) if fields.len() == 1 && fields[0].field == "archived" => {
                    if fields[0].value == Value::Bool(true) { format!("Archiving of {of}") } else { format!("Restoring {of} from the archive") }
                }
                (Entity::Case, false) => format!("Edit of {of}: {listed}"),
                (Entity::Contact, true) => format!("New family contact of {of}"),
                (Entity::Contact, false) => format!("Edit of a family contact of {of}: {listed}"),
                (Entity::Photo, true) => format!("New photo of {of}"),
                (Entity::Photo, false) => format!("Edit of a photo of {of}: {listed}"),
                _ => format!("Change of {of}: {listed}"),
            }
        }
        OpBody::Append { entity, record, .. } => match entity {
            Entity::Note => {
                let version = record.get("version").and_then(Value::as_u64).unwrap_or(1);
                if version > 1 { format!("Edit of a note on {of}") } else { format!("Note on {of}") }
            }
            Entity::StatusEvent => {
                let to = record.get("to").and_then(Value::as_str).and_then(CaseStatus::from_code).map(CaseStatus::label).unwrap_or("another status");
                format!("Status of {of} changed to {to}")
            }
            Entity::AuditEvent => {
                let action = record.get("action").and_then(Value::as_str).unwrap_or("an action").replace('_', " ");
                format!("Audit entry: {action}")
            }
            _ => format!("Change of {of}"),
        },
        OpBody::Resolve => format!("Conflict settled on {of}"),
    }
}

/// An op with its case, values and record ids taken out: what is kept of a waiting change of a
/// case that left the device.
pub(crate) fn redacted_op(op: &Op) -> String {
    let body = match &op.body {
        OpBody::Set { entity, fields, .. } => json!({ "type": "set", "entity": entity, "fields": fields.iter().map(|f| &f.field).collect::<Vec<_>>() }),
        OpBody::Append { entity, .. } => json!({ "type": "append", "entity": entity }),
        OpBody::Resolve => json!({ "type": "resolve" }),
    };
    json!({ "id": op.id, "stamp": op.stamp, "body": body }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_domain::CaseFields;

    #[test]
    fn every_leaf_of_the_case_form_has_a_label() {
        let flat = porchlight_sync::fields::flatten(&serde_json::to_value(CaseFields::default()).unwrap());
        for field in flat.keys() {
            assert_ne!(field_label(Entity::Case, field), *field, "{field} has no label");
        }
        assert_eq!(field_label(Entity::Case, "child.given_name"), "Given name");
        assert_eq!(field_label(Entity::Contact, "phones"), "Contact: phones");
        assert_eq!(field_label(Entity::Case, "future.field"), "future.field");
    }

    #[test]
    fn values_read_as_words() {
        assert_eq!(value_words("description.hair", &json!("BRO")), "Brown");
        assert_eq!(value_words("description.height_cm", &json!(157.0)), "157 cm (5 ft 2 in)");
        assert_eq!(value_words("child.middle_name", &json!("")), "(empty)");
        assert_eq!(value_words("description.glasses", &json!(true)), "Yes");
        assert_eq!(value_words("status", &json!("located_alive")), CaseStatus::LocatedAlive.label());
        assert_eq!(value_words("status", &json!({"to": "active"})), CaseStatus::Active.label());
        assert_eq!(value_words("phones", &json!(["(918) 555-0142", "(918) 555-0199"])), "(918) 555-0142, (918) 555-0199");
        assert_eq!(value_words("companions", &json!([{"name": "R. Doe"}])), "R. Doe");
    }
}
