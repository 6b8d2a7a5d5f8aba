//! Family contacts of a case: who they are to the child, how to reach them, and whether they
//! may hear about the case at all. A contact marked "do not disclose" (for example a suspected
//! abducting parent) must never be given case updates, by any feature.

use crate::error::FieldError;
use crate::ids::{CaseId, RecordId};
use crate::values::{collapse_spaces, PersonName, PhoneNumber};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Relationship {
    Mother,
    Father,
    Guardian,
    FosterParent,
    Sibling,
    Grandparent,
    Other,
}

impl Relationship {
    pub const ALL: &'static [Relationship] = &[
        Relationship::Mother,
        Relationship::Father,
        Relationship::Guardian,
        Relationship::FosterParent,
        Relationship::Sibling,
        Relationship::Grandparent,
        Relationship::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Relationship::Mother => "Mother",
            Relationship::Father => "Father",
            Relationship::Guardian => "Guardian",
            Relationship::FosterParent => "Foster parent",
            Relationship::Sibling => "Sibling",
            Relationship::Grandparent => "Grandparent",
            Relationship::Other => "Other",
        }
    }
}

/// A family contact as the form sends it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct ContactFields {
    pub name: String,
    pub relationship: Option<Relationship>,
    /// Free text when the relationship is `other`, e.g. "aunt", "caseworker".
    pub relationship_detail: String,
    /// The first person to call. At most one primary contact per case.
    pub primary: bool,
    /// One or more phone numbers; the first is the main one.
    pub phones: Vec<String>,
    pub email: String,
    pub address: String,
    pub preferred_language: String,
    pub best_time_to_call: String,
    pub notes: String,
    /// Never give this person case updates (e.g. a suspected abducting parent).
    pub do_not_disclose: bool,
}

/// A stored contact. Removing a contact marks it removed; the row stays in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContactRecord {
    pub id: RecordId,
    pub case_id: CaseId,
    #[ts(type = "number")]
    pub version: i64,
    pub fields: ContactFields,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_reason: String,
}

impl ContactFields {
    /// Checks and normalises a contact; field paths are relative to the contact (`name`,
    /// `phones.0`, `email`).
    pub fn validate(&self) -> Result<ContactFields, Vec<FieldError>> {
        let mut f = self.clone();
        let mut errors = Vec::new();
        match PersonName::parse(&f.name) {
            Ok(n) => f.name = n.as_str().to_owned(),
            Err(e) => errors.push(FieldError::new("name", e.0)),
        }
        if f.relationship.is_none() {
            errors.push(FieldError::new("relationship", "Choose how this person is related to the child."));
        }
        f.relationship_detail = collapse_spaces(&f.relationship_detail);
        if f.relationship == Some(Relationship::Other) && f.relationship_detail.is_empty() {
            errors.push(FieldError::new("relationship_detail", "Say how this person is related, e.g. aunt or caseworker."));
        }
        f.phones.retain(|p| !p.trim().is_empty());
        for (i, phone) in f.phones.iter_mut().enumerate() {
            match PhoneNumber::parse(phone) {
                Ok(p) => *phone = p.as_str().to_owned(),
                Err(e) => errors.push(FieldError::new(format!("phones.{i}"), e.0)),
            }
        }
        f.email = f.email.trim().to_owned();
        if !f.email.is_empty() && !is_plausible_email(&f.email) {
            errors.push(FieldError::new("email", "Write the email as name@example.org."));
        }
        if f.phones.is_empty() && f.email.is_empty() && f.address.trim().is_empty() {
            errors.push(FieldError::new("phones.0", "Give at least one way to reach this person: a phone, an email or an address."));
        }
        for (field, value, max) in [
            ("address", &mut f.address, 300usize),
            ("preferred_language", &mut f.preferred_language, 60),
            ("best_time_to_call", &mut f.best_time_to_call, 120),
        ] {
            *value = collapse_spaces(value);
            if value.chars().count() > max {
                errors.push(FieldError::new(field, format!("Shorten this to {max} characters or fewer.")));
            }
        }
        f.notes = f.notes.trim().to_owned();
        if f.notes.chars().count() > 4000 {
            errors.push(FieldError::new("notes", "Shorten the notes to 4000 characters or fewer."));
        }
        if errors.is_empty() {
            Ok(f)
        } else {
            Err(errors)
        }
    }
}

fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        && s.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mother() -> ContactFields {
        ContactFields {
            name: "Grace Okafor".into(),
            relationship: Some(Relationship::Mother),
            phones: vec!["918 555 0142".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_contact_is_normalised() {
        let c = mother().validate().unwrap();
        assert_eq!(c.phones, vec!["(918) 555-0142".to_string()]);
    }

    #[test]
    fn each_fault_names_its_field() {
        let spoil: Vec<(&str, fn(&mut ContactFields))> = vec![
            ("name", |c| c.name = "".into()),
            ("relationship", |c| c.relationship = None),
            ("relationship_detail", |c| c.relationship = Some(Relationship::Other)),
            ("phones.0", |c| c.phones = vec!["12".into()]),
            ("phones.0", |c| c.phones.clear()),
            ("email", |c| c.email = "grace at home".into()),
            ("notes", |c| c.notes = "n".repeat(4001)),
        ];
        for (field, f) in spoil {
            let mut c = mother();
            f(&mut c);
            let errors = c.validate().unwrap_err();
            assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec![field]);
        }
    }

    #[test]
    fn an_email_alone_is_a_way_to_reach() {
        let mut c = mother();
        c.phones.clear();
        c.email = "grace@example.org".into();
        assert!(c.validate().is_ok());
    }
}
