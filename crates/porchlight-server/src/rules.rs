//! Who sees what, defined once: `RULES` holds one row per role, and every endpoint asks it
//! before reading or writing. It also turns a row into the SQL filter of the cases a caller may
//! reach and into the field-level redaction of a case. It does not run queries itself.

use crate::people::Role;
use serde_json::{Map, Value};

/// Which cases a role reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseScope {
    /// None at all.
    Nothing,
    /// The cases assigned to the caller and those shared with them.
    AssignedOrShared,
    /// Every case of the caller's office.
    Office,
    /// Every active case.
    Active,
    /// Active cases of offices in the caller's region.
    ActiveInRegion,
}

/// How much of a case a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseView {
    /// Every field.
    Full,
    /// What a poster prints plus the law-enforcement reference fields poster staff key in.
    Public,
    /// What a poster prints, and nothing else.
    Poster,
}

/// Which photos of a reachable case a role may list and download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoAccess {
    None,
    /// Only photos the family consented to publish.
    Consented,
    All,
}

/// One row of the rules.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub role: Role,
    pub cases: CaseScope,
    pub view: CaseView,
    /// Family contacts (with their do-not-disclose flags) and case notes, which include internal notes.
    pub contacts_and_notes: bool,
    pub photos: PhotoAccess,
    /// Create cases, edit the cases in scope, add contacts, notes and photos to them.
    pub write_cases: bool,
    /// Assign and reassign the cases in scope to case managers.
    pub assign: bool,
    /// Share the cases in scope with other case managers.
    pub share: bool,
    pub manage_people: bool,
    /// List, revoke and flag for wipe any device (everyone may do so for their own).
    pub manage_devices: bool,
    pub read_audit: bool,
    /// Add a lead or tip (a note of category lead) to a case in scope, from the field, without
    /// any other right to write to the case or to read its notes.
    pub log_tips: bool,
}

/// The rules. Admins manage people and devices and read the audit log but see no case: running
/// the system does not need a child's file.
pub const RULES: [Grant; 5] = [
    Grant {
        role: Role::Admin,
        cases: CaseScope::Nothing,
        view: CaseView::Poster,
        contacts_and_notes: false,
        photos: PhotoAccess::None,
        write_cases: false,
        assign: false,
        share: false,
        manage_people: true,
        manage_devices: true,
        read_audit: true,
        log_tips: false,
    },
    Grant {
        role: Role::Supervisor,
        cases: CaseScope::Office,
        view: CaseView::Full,
        contacts_and_notes: true,
        photos: PhotoAccess::All,
        write_cases: true,
        assign: true,
        share: true,
        manage_people: false,
        manage_devices: false,
        read_audit: false,
        log_tips: true,
    },
    Grant {
        role: Role::CaseManager,
        cases: CaseScope::AssignedOrShared,
        view: CaseView::Full,
        contacts_and_notes: true,
        photos: PhotoAccess::All,
        write_cases: true,
        assign: false,
        share: true,
        manage_people: false,
        manage_devices: false,
        read_audit: false,
        log_tips: true,
    },
    Grant {
        role: Role::PosterStaff,
        cases: CaseScope::Active,
        view: CaseView::Public,
        contacts_and_notes: false,
        photos: PhotoAccess::Consented,
        write_cases: false,
        assign: false,
        share: false,
        manage_people: false,
        manage_devices: false,
        read_audit: false,
        log_tips: false,
    },
    Grant {
        role: Role::Volunteer,
        cases: CaseScope::ActiveInRegion,
        view: CaseView::Poster,
        contacts_and_notes: false,
        photos: PhotoAccess::None,
        write_cases: false,
        assign: false,
        share: false,
        manage_people: false,
        manage_devices: false,
        read_audit: false,
        log_tips: true,
    },
];

pub fn grant(role: Role) -> &'static Grant {
    RULES
        .iter()
        .find(|g| g.role == role)
        .expect("every role has a row")
}

/// The SQL condition on `cases c` for the cases `grant` reaches, with the caller's user id as
/// parameter `$n`. Every query that touches a case goes through it.
pub fn scope_sql(grant: &Grant, n: usize) -> String {
    let user = format!("${n}::uuid");
    match grant.cases {
        CaseScope::Nothing => format!("({user} IS NULL AND FALSE)"),
        CaseScope::AssignedOrShared => format!("EXISTS (SELECT 1 FROM case_access a WHERE a.case_id = c.id AND a.user_id = {user})"),
        CaseScope::Office => format!("c.office_id = (SELECT office_id FROM users WHERE id = {user})"),
        CaseScope::Active => format!("(c.status = 'active' AND c.archived_at IS NULL AND {user} IS NOT NULL)"),
        CaseScope::ActiveInRegion => format!(
            "(c.status = 'active' AND c.archived_at IS NULL AND (SELECT region FROM offices WHERE id = c.office_id) = \
             (SELECT o.region FROM users u JOIN offices o ON o.id = u.office_id WHERE u.id = {user}))"
        ),
    }
}

/// The fields a poster prints (paths into `porchlight_domain::CaseFields` as JSON). An
/// allow-list: a field added to the form later stays hidden from public roles until it is
/// named here.
pub const POSTER_FIELDS: &[&str] = &[
    "case_type",
    "child.given_name",
    "child.middle_name",
    "child.family_name",
    "child.nicknames",
    "child.date_of_birth",
    "child.estimated_age",
    "child.sex",
    "child.race",
    "child.hispanic_latino",
    "description.height_cm",
    "description.weight_kg",
    "description.units",
    "description.hair",
    "description.eyes",
    "description.skin",
    "description.scars_marks_tattoos",
    "description.glasses",
    "description.braces",
    "description.clothing",
    "event.last_seen_date",
    "event.city",
    "event.state",
    "event.country",
    "event.circumstances",
    "companions",
    "vehicles",
    "law_enforcement.agency_name",
    "law_enforcement.investigator_phone",
];

/// What poster staff see beyond the poster: references for keying a case into NCIC or NamUs.
pub const PUBLIC_EXTRA_FIELDS: &[&str] = &[
    "ncic_category",
    "amber_alert",
    "amber_alert_issued_at",
    "event.last_seen_time",
    "event.county",
    "law_enforcement.ori",
    "law_enforcement.agency_case_number",
    "law_enforcement.investigator_name",
    "law_enforcement.ncic_number",
];

/// Fields that must never reach anyone without the full view.
pub const CONFIDENTIAL_FIELDS: &[&str] = &[
    "missing_from_care",
    "care_agency",
    "description.medical_cautions",
    "event.address",
    "event.possible_destinations",
];

/// What identifies a case rather than describes the child: every view that reaches a case sees
/// these sync fields of it.
pub const RECORD_FIELDS: &[&str] = &["case_number", "archived"];

/// Whether `view` may see the case field at the flattened `path` (`child.given_name`), or one of
/// the `RECORD_FIELDS`.
pub fn field_visible(view: CaseView, path: &str) -> bool {
    RECORD_FIELDS.contains(&path) || allowed(view, path)
}

fn allowed(view: CaseView, path: &str) -> bool {
    match view {
        CaseView::Full => true,
        CaseView::Public => POSTER_FIELDS.contains(&path) || PUBLIC_EXTRA_FIELDS.contains(&path),
        CaseView::Poster => POSTER_FIELDS.contains(&path),
    }
}

/// Keeps only the fields `view` may see; redacted fields are absent, not blanked, so nothing
/// about them (not even whether they were filled in) leaves the server.
pub fn redact(fields: &Value, view: CaseView) -> Value {
    fn walk(value: &Value, prefix: &str, view: CaseView) -> Option<Value> {
        if allowed(view, prefix) {
            return Some(value.clone());
        }
        let Value::Object(map) = value else {
            return None;
        };
        let mut out = Map::new();
        for (key, child) in map {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if let Some(kept) = walk(child, &path, view) {
                out.insert(key.clone(), kept);
            }
        }
        (!out.is_empty() || prefix.is_empty()).then_some(Value::Object(out))
    }
    walk(fields, "", view).unwrap_or(Value::Object(Map::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use porchlight_domain::CaseFields;

    #[allow(clippy::field_reassign_with_default)]
    fn filled() -> Value {
        let mut f = CaseFields::default();
        f.missing_from_care = true;
        f.care_agency = "County Children's Services".into();
        f.description.medical_cautions = "Needs insulin".into();
        f.event.address = "12 Elm St".into();
        f.event.city = "Tulsa".into();
        f.child.given_name = "Maya".into();
        f.law_enforcement.ncic_number = "M123456789".into();
        serde_json::to_value(f).unwrap()
    }

    fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(v, |v, k| v.get(k))
    }

    #[test]
    fn every_role_has_exactly_one_row() {
        for role in Role::ALL {
            assert_eq!(RULES.iter().filter(|g| g.role == role).count(), 1, "{role}");
        }
    }

    #[test]
    fn confidential_fields_are_in_no_public_list_and_are_redacted() {
        for path in CONFIDENTIAL_FIELDS {
            assert!(
                !POSTER_FIELDS.contains(path) && !PUBLIC_EXTRA_FIELDS.contains(path),
                "{path}"
            );
        }
        let full = filled();
        for view in [CaseView::Public, CaseView::Poster] {
            let seen = redact(&full, view);
            for path in CONFIDENTIAL_FIELDS {
                assert!(get(&seen, path).is_none(), "{path} leaked into {view:?}");
            }
            assert_eq!(get(&seen, "child.given_name").unwrap(), "Maya");
            assert_eq!(get(&seen, "event.city").unwrap(), "Tulsa");
        }
        assert_eq!(redact(&full, CaseView::Full), full);
    }

    #[test]
    fn listed_paths_name_real_fields() {
        let full = serde_json::to_value(CaseFields::default()).unwrap();
        for path in POSTER_FIELDS
            .iter()
            .chain(PUBLIC_EXTRA_FIELDS)
            .chain(CONFIDENTIAL_FIELDS)
        {
            assert!(
                get(&full, path).is_some(),
                "{path} is not a field of CaseFields"
            );
        }
    }

    #[test]
    fn the_poster_view_is_narrower_than_the_public_one() {
        let full = filled();
        assert_eq!(
            get(
                &redact(&full, CaseView::Public),
                "law_enforcement.ncic_number"
            )
            .unwrap(),
            "M123456789"
        );
        assert!(get(
            &redact(&full, CaseView::Poster),
            "law_enforcement.ncic_number"
        )
        .is_none());
    }
}
