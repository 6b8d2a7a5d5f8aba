//! What each synced record may hold and when its values make a valid record: the field paths of
//! cases, contacts and photos, the shapes of note versions, status events and audit events, and
//! the checks a merged record must pass (the same rules the app applies, from
//! `porchlight_domain`). Every refusal names the field and the fix. It does not merge, store or
//! redact.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use porchlight_domain::{
    CaseFields, CaseNumber, CaseStatus, ContactFields, FieldError, NoteCategory, NoteInput,
    Outcome, PhotoKind, PhotoMeta,
};
use porchlight_sync::fields::flatten;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use uuid::Uuid;

/// The latest wall-clock time anywhere (UTC+14): a date is "in the future" only if it is in the
/// future everywhere, since the service does not know the author's time zone.
pub fn latest_local(at: DateTime<Utc>) -> NaiveDateTime {
    (at + chrono::Duration::hours(14)).naive_utc()
}

/// Sync fields of a case beyond its form.
pub const CASE_NUMBER: &str = "case_number";
pub const ARCHIVED: &str = "archived";
/// Sync field of a contact beyond its form: null while current, why it was removed once removed.
pub const REMOVED_REASON: &str = "removed_reason";

/// The fields of a photo's metadata. `child_age` (the child's age in the photo) is the app's own
/// field beside the ones the protocol names.
pub const PHOTO_FIELDS: &[&str] = &[
    "sha256",
    "mime",
    "kind",
    "age_progressed_to",
    "taken_on",
    "child_age",
    "source",
    "consent_to_publish",
    "is_primary",
    "deleted",
];

/// The image types a photo may be.
pub const PHOTO_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp"];

fn case_paths() -> &'static BTreeSet<String> {
    static PATHS: OnceLock<BTreeSet<String>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut paths: BTreeSet<String> =
            flatten(&serde_json::to_value(CaseFields::default()).expect("case fields serialise"))
                .into_keys()
                .collect();
        paths.insert(CASE_NUMBER.into());
        paths.insert(ARCHIVED.into());
        paths
    })
}

fn contact_paths() -> &'static BTreeSet<String> {
    static PATHS: OnceLock<BTreeSet<String>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let mut paths: BTreeSet<String> = flatten(
            &serde_json::to_value(ContactFields::default()).expect("contact fields serialise"),
        )
        .into_keys()
        .collect();
        paths.insert(REMOVED_REASON.into());
        paths
    })
}

/// The fields named that a record of this kind does not have, as one refusal.
pub fn unknown_fields<'a>(
    kind: porchlight_sync::Entity,
    fields: impl Iterator<Item = &'a str>,
) -> Option<FieldError> {
    use porchlight_sync::Entity;
    let known = |f: &str| match kind {
        Entity::Case => case_paths().contains(f),
        Entity::Contact => contact_paths().contains(f),
        Entity::Photo => PHOTO_FIELDS.contains(&f),
        _ => false,
    };
    let unknown: Vec<&str> = fields.filter(|f| !known(f)).collect();
    if unknown.is_empty() {
        return None;
    }
    let example = match kind {
        Entity::Case => "child.given_name, event.city, case_number or archived",
        Entity::Contact => "name, phones or removed_reason",
        _ => "sha256, consent_to_publish or deleted",
    };
    Some(FieldError::new(
        unknown[0],
        format!(
            "{} {} not a field of a {}; name fields by their dotted paths, such as {example}.",
            unknown
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if unknown.len() == 1 { "is" } else { "are" },
            kind.as_str().replace('_', " ")
        ),
    ))
}

/// A record's fields as they are checked: its leaves by dotted path, sorted, borrowed from the
/// record rather than copied out of it.
pub type Leaves<'a> = [(&'a str, &'a Value)];

/// The leaves of a flat map, borrowed.
pub fn leaves(values: &BTreeMap<String, Value>) -> Vec<(&str, &Value)> {
    values.iter().map(|(f, v)| (f.as_str(), v)).collect()
}

/// The value of one leaf.
fn leaf<'a>(values: &Leaves<'a>, field: &str) -> Option<&'a Value> {
    values
        .binary_search_by(|(f, _)| (*f).cmp(field))
        .ok()
        .map(|i| values[i].1)
}

/// Reads a form from flat values; when a value has the wrong type, names every field at fault
/// (each is tried alone on an empty form, since serde stops at the first).
fn read_form<T: for<'de> Deserialize<'de> + Serialize + Default>(
    values: &Leaves,
    skip: &[&str],
) -> Result<T, Vec<FieldError>> {
    let kept: Vec<(&str, &Value)> = values
        .iter()
        .filter(|(f, _)| !skip.contains(f))
        .copied()
        .collect();
    match porchlight_sync::fields::from_flat::<T>(&kept) {
        Ok(form) => Ok(form),
        Err(whole) => {
            let empty = serde_json::to_value(T::default()).expect("forms serialise");
            let mut errors = Vec::new();
            for (field, value) in kept {
                let mut one = empty.clone();
                porchlight_sync::fields::set_path(&mut one, field, value.clone());
                if let Err(e) = serde_json::from_value::<T>(one) {
                    let text = e.to_string();
                    let text = text.split(" at line ").next().unwrap_or(&text).to_owned();
                    errors.push(FieldError::new(field, format!("{text} (got {value})")));
                }
            }
            if errors.is_empty() {
                errors.push(FieldError::new("fields", whole.to_string()));
            }
            Err(errors)
        }
    }
}

/// A merged case: its form as the case endpoints store it (nested JSON), whether it is archived,
/// and its case number. Refused unless the form passes every rule of `CaseFields::validate` at
/// `at` (the op's time).
#[derive(Debug)]
pub struct CheckedCase {
    pub form: Value,
    pub case_number: String,
    pub archived: bool,
}

pub fn check_case(values: &Leaves, at: DateTime<Utc>) -> Result<CheckedCase, Vec<FieldError>> {
    let mut errors = Vec::new();
    let case_number = match leaf(values, CASE_NUMBER) {
        Some(Value::String(n)) => match CaseNumber::parse(n) {
            Ok(parsed) if parsed.as_str() == n => n.clone(),
            Ok(parsed) => {
                errors.push(FieldError::new(
                    CASE_NUMBER,
                    format!("Write the case number as {}.", parsed.as_str()),
                ));
                String::new()
            }
            Err(e) => {
                errors.push(FieldError::new(CASE_NUMBER, e.0));
                String::new()
            }
        },
        _ => {
            errors.push(FieldError::new(
                CASE_NUMBER,
                "A case needs its case number, e.g. PL-2611-7KQ4-XM2D.",
            ));
            String::new()
        }
    };
    let archived = match leaf(values, ARCHIVED) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            errors.push(FieldError::new(
                ARCHIVED,
                format!("Give true or false (got {other})."),
            ));
            false
        }
    };
    let form: CaseFields = match read_form(values, &[CASE_NUMBER, ARCHIVED]) {
        Ok(form) => form,
        Err(mut e) => {
            errors.append(&mut e);
            return Err(errors);
        }
    };
    if let Err(mut e) = form.validate(latest_local(at)) {
        errors.append(&mut e);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CheckedCase {
        form: serde_json::to_value(&form).expect("case fields serialise"),
        case_number,
        archived,
    })
}

/// A merged contact: its form, and why it was removed when it was.
#[derive(Debug, Clone)]
pub struct CheckedContact {
    pub form: ContactFields,
    pub removed_reason: Option<String>,
}

pub fn check_contact(values: &Leaves) -> Result<CheckedContact, Vec<FieldError>> {
    let removed_reason = match leaf(values, REMOVED_REASON) {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if !r.trim().is_empty() && r.chars().count() <= 500 => Some(r.clone()),
        Some(_) => {
            return Err(vec![FieldError::new(
                REMOVED_REASON,
                "Say in 1 to 500 characters why the contact was removed, or leave it null while the contact is current.",
            )])
        }
    };
    let form: ContactFields = read_form(values, &[REMOVED_REASON])?;
    form.validate()?;
    Ok(CheckedContact {
        form,
        removed_reason,
    })
}

/// A merged photo's metadata, with the columns the case endpoints read.
#[derive(Debug, Clone)]
pub struct CheckedPhoto {
    pub sha256: Vec<u8>,
    pub mime: String,
    pub kind: PhotoKind,
    pub taken_on: Option<NaiveDate>,
    pub child_age: Option<i16>,
    pub consent_to_publish: bool,
    pub deleted: bool,
}

pub fn parse_sha256(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

pub fn check_photo(values: &Leaves, at: DateTime<Utc>) -> Result<CheckedPhoto, Vec<FieldError>> {
    let mut errors = Vec::new();
    let sha256 = match leaf(values, "sha256")
        .and_then(Value::as_str)
        .and_then(parse_sha256)
    {
        Some(sha) => sha,
        None => {
            errors.push(FieldError::new(
                "sha256",
                "Give the SHA-256 of the photo's bytes as 64 lower-case hex digits.",
            ));
            Vec::new()
        }
    };
    let mime = leaf(values, "mime")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if !PHOTO_TYPES.contains(&mime.as_str()) {
        errors.push(FieldError::new(
            "mime",
            "A photo is image/jpeg, image/png or image/webp.",
        ));
    }
    let flag = |errors: &mut Vec<FieldError>, field: &str| match leaf(values, field) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            errors.push(FieldError::new(
                field,
                format!("Give true or false (got {other})."),
            ));
            false
        }
    };
    let consent_to_publish = flag(&mut errors, "consent_to_publish");
    let deleted = flag(&mut errors, "deleted");
    flag(&mut errors, "is_primary");
    let meta_fields = [
        "kind",
        "age_progressed_to",
        "taken_on",
        "child_age",
        "source",
        "consent_to_publish",
    ];
    let meta_values: Vec<(&str, &Value)> = values
        .iter()
        .filter(|(f, _)| meta_fields.contains(f))
        .copied()
        .collect();
    let meta = match read_form::<PhotoMeta>(&meta_values, &[]) {
        Ok(meta) => match meta.validate(latest_local(at).date()) {
            Ok(meta) => Some(meta),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        },
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    };
    let Some(meta) = meta.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    Ok(CheckedPhoto {
        sha256,
        mime,
        kind: meta.kind.expect("validate requires a kind"),
        taken_on: NaiveDate::parse_from_str(&meta.taken_on, "%Y-%m-%d").ok(),
        child_age: meta.child_age.map(i16::from),
        consent_to_publish,
        deleted,
    })
}

/// The note categories as the notes table keeps them (`lead` is the app's `lead_tip`).
pub fn category_code(category: NoteCategory) -> &'static str {
    match category {
        NoteCategory::Call => "call",
        NoteCategory::LeadTip => "lead",
        NoteCategory::FamilyContact => "family_contact",
        NoteCategory::LawEnforcement => "law_enforcement",
        NoteCategory::Media => "media",
        NoteCategory::Internal => "internal",
    }
}

/// One version of a note, as an `Append` of entity `note` carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteVersion {
    pub note_id: Uuid,
    pub version: u32,
    pub category: NoteCategory,
    pub body: String,
    pub author: String,
    pub written_at: DateTime<Utc>,
}

/// Reads a note version; `lead` is accepted for the app's `lead_tip`.
pub fn check_note(record: &Value) -> Result<NoteVersion, Vec<FieldError>> {
    let mut record = record.clone();
    if record.get("category") == Some(&Value::from("lead")) {
        record["category"] = Value::from("lead_tip");
    }
    let note: NoteVersion = parse_record(record, "note version")?;
    let mut errors = Vec::new();
    if note.version == 0 {
        errors.push(FieldError::new("version", "Versions count from 1."));
    }
    if let Err(mut e) = (NoteInput {
        category: note.category,
        text: note.body.clone(),
    })
    .validate()
    {
        for err in &mut e {
            err.field = "body".into();
        }
        errors.append(&mut e);
    }
    if note.author.chars().count() > 200 {
        errors.push(FieldError::new(
            "author",
            "Shorten the author's name to 200 characters or fewer.",
        ));
    }
    if errors.is_empty() {
        Ok(note)
    } else {
        Err(errors)
    }
}

/// A change of status, as an `Append` of entity `status_event` carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRecord {
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub reason: String,
    pub outcome: Option<Outcome>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub fn check_status(record: &Value) -> Result<StatusRecord, Vec<FieldError>> {
    let event: StatusRecord = parse_record(record.clone(), "status event")?;
    let mut errors = Vec::new();
    if event.reason.chars().count() > 2000 {
        errors.push(FieldError::new(
            "reason",
            "Shorten the reason to 2000 characters or fewer.",
        ));
    }
    // A resolved case without its outcome is accepted: settling a race of status changes by
    // choosing "resolved" carries the status alone (the outcome stays in the event it came from).
    if event.outcome.is_some() && event.to != CaseStatus::Resolved {
        errors.push(FieldError::new(
            "outcome",
            "An outcome is recorded only when resolving a case.",
        ));
    }
    if errors.is_empty() {
        Ok(event)
    } else {
        Err(errors)
    }
}

/// Something done on a device that its audit log recorded (a case opened, a poster exported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    pub action: String,
    #[serde(default)]
    pub detail: Value,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub fn check_audit(record: &Value) -> Result<AuditRecord, Vec<FieldError>> {
    let event: AuditRecord = parse_record(record.clone(), "audit event")?;
    let ok = !event.action.is_empty()
        && event.action.len() <= 64
        && event
            .action
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(vec![FieldError::new("action", "Name the action in 1 to 64 lower-case letters, digits or underscores, e.g. case_opened.")]);
    }
    if event.detail.to_string().len() > 4000 {
        return Err(vec![FieldError::new(
            "detail",
            "Keep an audit event's detail under 4000 characters.",
        )]);
    }
    Ok(event)
}

fn parse_record<T: for<'de> Deserialize<'de>>(
    record: Value,
    what: &str,
) -> Result<T, Vec<FieldError>> {
    serde_json::from_value(record).map_err(|e| {
        let text = e.to_string();
        let text = text.split(" at line ").next().unwrap_or(&text).to_owned();
        let field = text
            .split('`')
            .nth(1)
            .filter(|_| text.starts_with("missing field") || text.starts_with("unknown field"))
            .unwrap_or("record")
            .to_owned();
        vec![FieldError::new(
            field,
            format!("This {what} cannot be read: {text}."),
        )]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use porchlight_sync::Entity;
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
    }

    #[allow(clippy::field_reassign_with_default)]
    fn a_case() -> BTreeMap<String, Value> {
        let mut f = CaseFields::default();
        f.case_type = Some(porchlight_domain::CaseType::EndangeredRunaway);
        f.child.given_name = "Maya".into();
        f.child.family_name = "Okafor".into();
        f.child.date_of_birth = "2011-04-02".into();
        f.child.sex = Some(porchlight_domain::Sex::Female);
        f.event.last_seen_date = "2026-01-19".into();
        f.event.city = "Tulsa".into();
        f.event.state = "OK".into();
        let mut flat = flatten(&serde_json::to_value(f).unwrap());
        flat.insert(CASE_NUMBER.into(), json!("PL-2601-7KQ4-XM2D"));
        flat.insert(ARCHIVED.into(), json!(false));
        flat
    }

    #[test]
    fn a_valid_case_passes_and_every_fault_is_named() {
        let checked = check_case(&leaves(&a_case()), at()).unwrap();
        assert_eq!(checked.case_number, "PL-2601-7KQ4-XM2D");
        assert_eq!(checked.form["child"]["given_name"], "Maya");
        let mut bad = a_case();
        bad.insert("child.sex".into(), json!("Q"));
        bad.insert("event.state".into(), json!(12));
        let errors = check_case(&leaves(&bad), at()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["child.sex", "event.state"]);
        let mut future = a_case();
        future.insert("event.last_seen_date".into(), json!("2027-01-01"));
        assert_eq!(
            check_case(&leaves(&future), at()).unwrap_err()[0].field,
            "event.last_seen_date"
        );
        let mut no_number = a_case();
        no_number.remove(CASE_NUMBER);
        assert_eq!(
            check_case(&leaves(&no_number), at()).unwrap_err()[0].field,
            CASE_NUMBER
        );
    }

    #[test]
    fn unknown_paths_are_named() {
        assert!(
            unknown_fields(Entity::Case, ["child.given_name", "archived"].into_iter()).is_none()
        );
        let e = unknown_fields(
            Entity::Case,
            ["child.favourite_colour", "child.given_name"].into_iter(),
        )
        .unwrap();
        assert_eq!(e.field, "child.favourite_colour");
        assert!(e.message.contains("not a field of a case"), "{}", e.message);
        assert!(
            unknown_fields(Entity::Contact, ["phones", "removed_reason"].into_iter()).is_none()
        );
        assert!(
            unknown_fields(Entity::Photo, ["consent_to_publish", "deleted"].into_iter()).is_none()
        );
    }

    #[test]
    fn records_are_read_strictly_and_name_their_fields() {
        let note = json!({"note_id": Uuid::now_v7(), "version": 1, "category": "lead", "body": "Seen at the mall", "author": "Vol", "written_at": at()});
        assert_eq!(check_note(&note).unwrap().category, NoteCategory::LeadTip);
        let mut extra = note.clone();
        extra["mood"] = json!("happy");
        assert_eq!(check_note(&extra).unwrap_err()[0].field, "mood");
        let mut empty = note.clone();
        empty["body"] = json!("  ");
        assert_eq!(check_note(&empty).unwrap_err()[0].field, "body");
        let status = json!({"from": "intake", "to": "active", "reason": "Home", "outcome": "returned_home", "actor": "A", "at": at()});
        assert_eq!(check_status(&status).unwrap_err()[0].field, "outcome");
        let chosen = json!({"from": "located_deceased", "to": "resolved", "reason": "", "outcome": null, "actor": "A", "at": at()});
        assert!(
            check_status(&chosen).is_ok(),
            "a race settled by choosing resolved"
        );
        let photo: BTreeMap<String, Value> = [
            ("sha256", json!("ab".repeat(32))),
            ("mime", json!("image/png")),
            ("kind", json!("photo")),
            ("taken_on", json!("2026-05-01")),
            ("consent_to_publish", json!(true)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let checked = check_photo(&leaves(&photo), at()).unwrap();
        assert!(checked.consent_to_publish);
        let mut bad = photo.clone();
        bad.insert("sha256".into(), json!("nope"));
        assert_eq!(
            check_photo(&leaves(&bad), at()).unwrap_err()[0].field,
            "sha256"
        );
    }
}
