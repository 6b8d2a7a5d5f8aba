//! A missing-child case: the form a case manager fills in (`CaseFields`, plain values as the UI
//! sends them) and the validated case (`ValidCase`), which can only be built by `validate` and
//! so can only hold a case that obeys every rule. Storage keeps only validated cases.

use crate::codes::{CaseStatus, CaseType, EyeColor, HairColor, NcicCategory, Race, Sex, SkinTone};
use crate::error::FieldError;
use crate::ids::CaseId;
use crate::values::{collapse_spaces, Height, NcicNumber, Ori, PersonName, PhoneNumber, UsState, Vin, Weight};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How the user prefers to see height and weight. Values are always stored metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Units {
    #[default]
    Imperial,
    Metric,
}

/// Everything a case manager fills in about a case, grouped the way the form is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CaseFields {
    pub case_type: Option<CaseType>,
    pub ncic_category: Option<NcicCategory>,
    /// The child was in child-welfare custody when they went missing.
    pub missing_from_care: bool,
    /// The child-welfare agency responsible; required when `missing_from_care`. Confidential.
    pub care_agency: String,
    pub amber_alert: bool,
    /// YYYY-MM-DDTHH:MM, when an AMBER Alert was issued.
    pub amber_alert_issued_at: String,
    pub child: ChildFields,
    pub description: DescriptionFields,
    pub event: EventFields,
    pub companions: Vec<CompanionFields>,
    pub vehicles: Vec<VehicleFields>,
    pub law_enforcement: LawEnforcementFields,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct ChildFields {
    pub given_name: String,
    pub middle_name: String,
    pub family_name: String,
    /// Nicknames and aliases, separated by commas.
    pub nicknames: String,
    /// YYYY-MM-DD; leave empty and give `estimated_age` when the date is unknown.
    pub date_of_birth: String,
    /// Age in years at the time of going missing, when the birth date is unknown.
    pub estimated_age: Option<u8>,
    pub sex: Option<Sex>,
    pub race: Option<Race>,
    /// Hispanic or Latino ethnicity: yes, no, or unknown (null).
    pub hispanic_latino: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct DescriptionFields {
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    pub units: Units,
    pub hair: Option<HairColor>,
    pub eyes: Option<EyeColor>,
    pub skin: Option<SkinTone>,
    pub scars_marks_tattoos: String,
    pub glasses: bool,
    pub braces: bool,
    pub clothing: String,
    /// Medical needs and cautions. Confidential: never printed, never shared publicly.
    pub medical_cautions: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct EventFields {
    /// YYYY-MM-DD.
    pub last_seen_date: String,
    /// HH:MM, local time at the place, when known.
    pub last_seen_time: String,
    pub address: String,
    pub city: String,
    pub county: String,
    /// USPS code; required when the country is US.
    pub state: String,
    /// ISO 3166 two-letter code; empty means US.
    pub country: String,
    pub possible_destinations: String,
    pub circumstances: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CompanionFields {
    pub name: String,
    /// Relationship to the child, e.g. "non-custodial father", "unknown adult".
    pub relationship: String,
    /// YYYY-MM-DD, when known.
    pub date_of_birth: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct VehicleFields {
    pub year: Option<i32>,
    pub make: String,
    pub model: String,
    /// Body style, e.g. sedan, pickup, SUV.
    pub style: String,
    pub color: String,
    pub plate: String,
    pub plate_state: String,
    pub vin: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct LawEnforcementFields {
    pub agency_name: String,
    pub ori: String,
    pub agency_case_number: String,
    pub investigator_name: String,
    pub investigator_phone: String,
    pub ncic_number: String,
}

/// A stored case as the UI and the CLI see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CaseRecord {
    pub id: CaseId,
    pub case_number: String,
    pub status: CaseStatus,
    /// Increases with every save; a save names the version it edited so that a newer save by
    /// someone else is never overwritten unseen. It crosses JSON as a plain number (far below
    /// 2^53), so the UI can send it back unchanged.
    #[ts(type = "number")]
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    pub fields: CaseFields,
}

/// A case that passed every rule. Its fields are normalised (trimmed, codes in upper case,
/// phone numbers in one format) and the parsed values are kept beside them.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCase {
    fields: CaseFields,
    case_type: CaseType,
    missing_date: NaiveDate,
    date_of_birth: Option<NaiveDate>,
    state: Option<UsState>,
}

impl ValidCase {
    pub fn fields(&self) -> &CaseFields {
        &self.fields
    }
    pub fn into_fields(self) -> CaseFields {
        self.fields
    }
    pub fn case_type(&self) -> CaseType {
        self.case_type
    }
    pub fn missing_date(&self) -> NaiveDate {
        self.missing_date
    }
    pub fn date_of_birth(&self) -> Option<NaiveDate> {
        self.date_of_birth
    }
    pub fn state(&self) -> Option<UsState> {
        self.state
    }
}

/// Whole years from `born` to `on`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age.max(0) as u32
}

const SHORT_TEXT: usize = 200;
const LONG_TEXT: usize = 4000;
const MAX_COMPANIONS: usize = 10;
const MAX_VEHICLES: usize = 5;

/// Collects every field error of one validation pass, so the user sees them all at once.
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn text(&mut self, field: &str, value: &mut String, max: usize, multiline: bool) {
        let cleaned = if multiline {
            value.trim().replace("\r\n", "\n")
        } else {
            collapse_spaces(value)
        };
        if cleaned.chars().count() > max {
            self.fail(field, format!("Shorten this to {max} characters or fewer (now {}).", cleaned.chars().count()));
        }
        if cleaned.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t'))) {
            self.fail(field, "Remove the control characters pasted into this field.");
        }
        *value = cleaned;
    }

    fn name(&mut self, field: &str, value: &mut String, required: bool) {
        if value.trim().is_empty() {
            if required {
                self.fail(field, "Enter a name.");
            }
            value.clear();
            return;
        }
        match PersonName::parse(value) {
            Ok(name) => *value = name.as_str().to_owned(),
            Err(e) => self.fail(field, e.0),
        }
    }

    fn date(&mut self, field: &str, value: &mut String, today: NaiveDate) -> Option<NaiveDate> {
        let raw = value.trim();
        if raw.is_empty() {
            value.clear();
            return None;
        }
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) if d > today => {
                self.fail(field, format!("{d} is in the future; enter a date on or before {today}."));
                None
            }
            Ok(d) if d.year() < 1900 => {
                self.fail(field, "Enter a date after 1900.");
                None
            }
            Ok(d) => {
                *value = d.format("%Y-%m-%d").to_string();
                Some(d)
            }
            Err(_) => {
                self.fail(field, format!("\"{raw}\" is not a date; use YYYY-MM-DD, e.g. 2026-03-14."));
                None
            }
        }
    }

    fn parsed<T>(&mut self, field: &str, value: &mut String, parse: fn(&str) -> Result<T, crate::values::Invalid>, show: fn(&T) -> String) -> Option<T> {
        if value.trim().is_empty() {
            value.clear();
            return None;
        }
        match parse(value) {
            Ok(v) => {
                *value = show(&v);
                Some(v)
            }
            Err(e) => {
                self.fail(field, e.0);
                None
            }
        }
    }
}

impl CaseFields {
    /// Checks every rule and returns the normalised case, or every field at fault. `now` is the
    /// user's local wall-clock time, read by the caller.
    pub fn validate(&self, now: NaiveDateTime) -> Result<ValidCase, Vec<FieldError>> {
        let today = now.date();
        let mut f = self.clone();
        let mut c = Check { errors: Vec::new() };

        // The child.
        c.name("child.given_name", &mut f.child.given_name, true);
        c.name("child.middle_name", &mut f.child.middle_name, false);
        c.name("child.family_name", &mut f.child.family_name, true);
        let mut nicknames = Vec::new();
        for nick in f.child.nicknames.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match PersonName::parse(nick) {
                Ok(n) => nicknames.push(n.as_str().to_owned()),
                Err(e) => c.fail("child.nicknames", format!("\"{nick}\": {}", e.0)),
            }
        }
        f.child.nicknames = nicknames.join(", ");
        if f.child.sex.is_none() {
            c.fail("child.sex", "Choose the child's sex (Unknown is allowed).");
        }
        let dob = c.date("child.date_of_birth", &mut f.child.date_of_birth, today);
        if f.child.date_of_birth.is_empty() && f.child.estimated_age.is_none() {
            c.fail("child.date_of_birth", "Enter the date of birth, or an estimated age if it is unknown.");
        }
        if dob.is_some() {
            f.child.estimated_age = None;
        } else if let Some(age) = f.child.estimated_age {
            if age > 20 {
                c.fail("child.estimated_age", "Porchlight handles children and young adults up to 20; enter an age from 0 to 20.");
            }
        }

        // The description.
        if let Some(cm) = f.description.height_cm {
            match Height::from_cm(cm) {
                Ok(h) => f.description.height_cm = Some(h.cm()),
                Err(e) => c.fail("description.height_cm", e.0),
            }
        }
        if let Some(kg) = f.description.weight_kg {
            match Weight::from_kg(kg) {
                Ok(w) => f.description.weight_kg = Some(w.kg()),
                Err(e) => c.fail("description.weight_kg", e.0),
            }
        }
        c.text("description.scars_marks_tattoos", &mut f.description.scars_marks_tattoos, LONG_TEXT, true);
        c.text("description.clothing", &mut f.description.clothing, LONG_TEXT, true);
        c.text("description.medical_cautions", &mut f.description.medical_cautions, LONG_TEXT, true);

        // The event.
        let missing = c.date("event.last_seen_date", &mut f.event.last_seen_date, today);
        if f.event.last_seen_date.is_empty() && !c.errors.iter().any(|e| e.field == "event.last_seen_date") {
            c.fail("event.last_seen_date", "Enter the date the child was last seen.");
        }
        let time = f.event.last_seen_time.trim().to_owned();
        f.event.last_seen_time.clear();
        if !time.is_empty() {
            match NaiveTime::parse_from_str(&time, "%H:%M") {
                Ok(t) => {
                    if let Some(d) = missing {
                        if d.and_time(t) > now {
                            c.fail("event.last_seen_time", "That time is still to come today; enter the time the child was last seen.");
                        }
                    }
                    f.event.last_seen_time = t.format("%H:%M").to_string();
                }
                Err(_) => c.fail("event.last_seen_time", format!("\"{time}\" is not a time; use 24-hour HH:MM, e.g. 16:45.")),
            }
        }
        if let (Some(born), Some(missing)) = (dob, missing) {
            if born > missing {
                c.fail("child.date_of_birth", format!("The birth date is after the day the child went missing ({missing}); check both dates."));
            } else {
                let age = age_on(born, missing);
                if age > 20 {
                    c.fail("child.date_of_birth", format!("The child was {age} when last seen; Porchlight handles children and young adults up to 20."));
                }
            }
        }
        c.text("event.address", &mut f.event.address, SHORT_TEXT, false);
        c.text("event.city", &mut f.event.city, SHORT_TEXT, false);
        if f.event.city.is_empty() {
            c.fail("event.city", "Enter the city or town the child went missing from.");
        }
        c.text("event.county", &mut f.event.county, SHORT_TEXT, false);
        f.event.country = f.event.country.trim().to_ascii_uppercase();
        if f.event.country.is_empty() {
            f.event.country = "US".into();
        } else if f.event.country.len() != 2 || !f.event.country.bytes().all(|b| b.is_ascii_uppercase()) {
            c.fail("event.country", "Use the two-letter country code, e.g. US or MX.");
        }
        let state = if f.event.country == "US" {
            if f.event.state.trim().is_empty() {
                c.fail("event.state", "Choose the state the child went missing from.");
                None
            } else {
                c.parsed("event.state", &mut f.event.state, UsState::parse, |s| s.code().to_owned())
            }
        } else {
            c.text("event.state", &mut f.event.state, SHORT_TEXT, false);
            None
        };
        c.text("event.possible_destinations", &mut f.event.possible_destinations, LONG_TEXT, true);
        c.text("event.circumstances", &mut f.event.circumstances, LONG_TEXT, true);

        // The case.
        let case_type = f.case_type;
        match (case_type, dob.zip(missing).map(|(b, m)| age_on(b, m)).or(f.child.estimated_age.map(u32::from))) {
            (None, _) => c.fail("case_type", "Choose the case type."),
            (Some(CaseType::CriticallyMissingYoungAdult), Some(age)) if age < 18 => c.fail(
                "case_type",
                format!("A critically missing young adult is 18 to 20; this child was {age}. Choose another case type."),
            ),
            // Older than 20 is already reported on the birth date.
            (Some(_), Some(age)) if age > 20 => {}
            (Some(t), Some(age)) if t != CaseType::CriticallyMissingYoungAdult && age >= 18 => c.fail(
                "case_type",
                format!("The child was {age} when last seen: choose \"Critically missing young adult\"."),
            ),
            _ => {}
        }
        c.text("care_agency", &mut f.care_agency, SHORT_TEXT, false);
        if f.missing_from_care && f.care_agency.is_empty() {
            c.fail("care_agency", "Name the child-welfare agency the child went missing from.");
        }
        if !f.missing_from_care {
            f.care_agency.clear();
        }
        let amber = f.amber_alert_issued_at.trim().to_owned();
        f.amber_alert_issued_at.clear();
        if f.amber_alert && !amber.is_empty() {
            match NaiveDateTime::parse_from_str(&amber, "%Y-%m-%dT%H:%M") {
                Ok(at) if at > now => c.fail("amber_alert_issued_at", "The AMBER Alert time is in the future; enter when it was issued."),
                Ok(at) if missing.is_some_and(|m| at.date() < m) => {
                    c.fail("amber_alert_issued_at", "The AMBER Alert cannot predate the day the child went missing.")
                }
                Ok(at) => f.amber_alert_issued_at = at.format("%Y-%m-%dT%H:%M").to_string(),
                Err(_) => c.fail("amber_alert_issued_at", "Use a date and time, e.g. 2026-03-14T18:30."),
            }
        }

        // Companions and vehicles.
        if f.companions.len() > MAX_COMPANIONS {
            c.fail("companions", format!("Record at most {MAX_COMPANIONS} companions."));
        }
        f.companions.retain(|p| !(p.name.trim().is_empty() && p.relationship.trim().is_empty() && p.description.trim().is_empty() && p.date_of_birth.trim().is_empty()));
        for (i, p) in f.companions.iter_mut().enumerate() {
            let at = |name: &str| format!("companions.{i}.{name}");
            if p.name.trim().is_empty() {
                p.name = "Unknown".into();
            } else {
                c.name(&at("name"), &mut p.name, false);
            }
            c.text(&at("relationship"), &mut p.relationship, SHORT_TEXT, false);
            c.date(&at("date_of_birth"), &mut p.date_of_birth, today);
            c.text(&at("description"), &mut p.description, LONG_TEXT, true);
        }
        if f.vehicles.len() > MAX_VEHICLES {
            c.fail("vehicles", format!("Record at most {MAX_VEHICLES} vehicles."));
        }
        for (i, v) in f.vehicles.iter_mut().enumerate() {
            let at = |name: &str| format!("vehicles.{i}.{name}");
            if let Some(year) = v.year {
                if !(1900..=today.year() + 1).contains(&year) {
                    c.fail(at("year"), format!("Enter a model year from 1900 to {}.", today.year() + 1));
                }
            }
            for (name, value) in [("make", &mut v.make), ("model", &mut v.model), ("style", &mut v.style), ("color", &mut v.color)] {
                c.text(&at(name), value, SHORT_TEXT, false);
            }
            let plate = v.plate.trim().to_ascii_uppercase();
            if plate.len() > 10 || plate.chars().any(|ch| !(ch.is_ascii_alphanumeric() || ch == ' ' || ch == '-')) {
                c.fail(at("plate"), "A plate holds up to 10 letters, digits, spaces or hyphens.");
            }
            v.plate = plate;
            c.parsed(&at("plate_state"), &mut v.plate_state, UsState::parse, |s| s.code().to_owned());
            if let Some(vin) = c.parsed(&at("vin"), &mut v.vin, Vin::parse, |v| v.as_str().to_owned()) {
                if v.year.is_some_and(|y| y >= 1981) && !vin.is_modern() {
                    c.fail(at("vin"), "Vehicles built from 1981 have a 17-character VIN.");
                }
            }
        }

        // Law enforcement.
        let le = &mut f.law_enforcement;
        c.text("law_enforcement.agency_name", &mut le.agency_name, SHORT_TEXT, false);
        c.parsed("law_enforcement.ori", &mut le.ori, Ori::parse, |o| o.as_str().to_owned());
        c.text("law_enforcement.agency_case_number", &mut le.agency_case_number, 40, false);
        c.name("law_enforcement.investigator_name", &mut le.investigator_name, false);
        c.parsed("law_enforcement.investigator_phone", &mut le.investigator_phone, PhoneNumber::parse, |p| p.as_str().to_owned());
        c.parsed("law_enforcement.ncic_number", &mut le.ncic_number, NcicNumber::parse, |n| n.as_str().to_owned());

        match (c.errors.is_empty(), case_type, missing) {
            (true, Some(case_type), Some(missing_date)) => Ok(ValidCase { fields: f, case_type, missing_date, date_of_birth: dob, state }),
            _ => Err(c.errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap().and_hms_opt(14, 30, 0).unwrap()
    }

    pub(crate) fn minimal() -> CaseFields {
        CaseFields {
            case_type: Some(CaseType::EndangeredRunaway),
            child: ChildFields {
                given_name: "Maya".into(),
                family_name: "Okafor".into(),
                date_of_birth: "2011-04-02".into(),
                sex: Some(Sex::Female),
                ..Default::default()
            },
            event: EventFields {
                last_seen_date: "2026-11-19".into(),
                city: "Tulsa".into(),
                state: "ok".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn fields_at_fault(f: &CaseFields) -> Vec<String> {
        f.validate(now()).expect_err("should be refused").into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_minimal_case_is_valid_and_normalised() {
        let mut f = minimal();
        f.child.given_name = "  Maya  ".into();
        f.law_enforcement.investigator_phone = "918 596 9222".into();
        let valid = f.validate(now()).unwrap();
        assert_eq!(valid.fields().child.given_name, "Maya");
        assert_eq!(valid.fields().event.state, "OK");
        assert_eq!(valid.fields().event.country, "US");
        assert_eq!(valid.fields().law_enforcement.investigator_phone, "(918) 596-9222");
        assert_eq!(valid.missing_date(), NaiveDate::from_ymd_opt(2026, 11, 19).unwrap());
    }

    #[test]
    fn an_empty_form_names_every_required_field() {
        let faults = fields_at_fault(&CaseFields::default());
        for field in ["case_type", "child.given_name", "child.family_name", "child.sex", "child.date_of_birth", "event.last_seen_date", "event.city", "event.state"] {
            assert!(faults.iter().any(|f| f == field), "{field} not reported in {faults:?}");
        }
    }

    #[test]
    fn each_bad_value_is_reported_on_its_own_field() {
        let cases: Vec<(&str, Box<dyn Fn(&mut CaseFields)>)> = vec![
            ("child.date_of_birth", Box::new(|f| f.child.date_of_birth = "2026-11-20".into())),
            ("child.date_of_birth", Box::new(|f| f.child.date_of_birth = "2027-01-01".into())),
            ("child.date_of_birth", Box::new(|f| f.child.date_of_birth = "02/04/2011".into())),
            ("child.date_of_birth", Box::new(|f| f.child.date_of_birth = "1990-01-01".into())),
            ("child.given_name", Box::new(|f| f.child.given_name = "M4ya".into())),
            ("child.nicknames", Box::new(|f| f.child.nicknames = "Mimi, <b>".into())),
            ("child.estimated_age", Box::new(|f| { f.child.date_of_birth.clear(); f.child.estimated_age = Some(30); })),
            ("event.last_seen_date", Box::new(|f| f.event.last_seen_date = "2026-11-22".into())),
            ("event.last_seen_time", Box::new(|f| { f.event.last_seen_date = "2026-11-21".into(); f.event.last_seen_time = "15:00".into(); })),
            ("event.last_seen_time", Box::new(|f| f.event.last_seen_time = "25:00".into())),
            ("event.state", Box::new(|f| f.event.state = "ZZ".into())),
            ("event.country", Box::new(|f| f.event.country = "USA".into())),
            ("event.circumstances", Box::new(|f| f.event.circumstances = "x".repeat(4001))),
            ("description.height_cm", Box::new(|f| f.description.height_cm = Some(260.0))),
            ("description.weight_kg", Box::new(|f| f.description.weight_kg = Some(0.2))),
            ("care_agency", Box::new(|f| f.missing_from_care = true)),
            ("case_type", Box::new(|f| f.case_type = Some(CaseType::CriticallyMissingYoungAdult))),
            ("case_type", Box::new(|f| f.child.date_of_birth = "2006-01-01".into())),
            ("amber_alert_issued_at", Box::new(|f| { f.amber_alert = true; f.amber_alert_issued_at = "2026-11-01T10:00".into(); })),
            ("vehicles.0.year", Box::new(|f| f.vehicles.push(VehicleFields { year: Some(1850), ..Default::default() }))),
            ("vehicles.0.vin", Box::new(|f| f.vehicles.push(VehicleFields { year: Some(2015), vin: "1HGCM826".into(), ..Default::default() }))),
            ("vehicles.0.plate_state", Box::new(|f| f.vehicles.push(VehicleFields { plate_state: "QQ".into(), ..Default::default() }))),
            ("vehicles.0.plate", Box::new(|f| f.vehicles.push(VehicleFields { plate: "ABC/123".into(), ..Default::default() }))),
            ("companions.0.date_of_birth", Box::new(|f| f.companions.push(CompanionFields { name: "Dale".into(), date_of_birth: "2030-01-01".into(), ..Default::default() }))),
            ("law_enforcement.investigator_phone", Box::new(|f| f.law_enforcement.investigator_phone = "12345".into())),
            ("law_enforcement.ncic_number", Box::new(|f| f.law_enforcement.ncic_number = "123".into())),
            ("law_enforcement.ori", Box::new(|f| f.law_enforcement.ori = "XX1234567".into())),
        ];
        for (field, spoil) in cases {
            let mut f = minimal();
            spoil(&mut f);
            let faults = fields_at_fault(&f);
            assert_eq!(faults, vec![field.to_string()], "spoiling {field}");
        }
    }

    #[test]
    fn an_estimated_age_stands_in_for_an_unknown_birth_date() {
        let mut f = minimal();
        f.child.date_of_birth.clear();
        f.child.estimated_age = Some(12);
        let valid = f.validate(now()).unwrap();
        assert_eq!(valid.date_of_birth(), None);
        assert_eq!(valid.fields().child.estimated_age, Some(12));
    }

    #[test]
    fn a_young_adult_case_accepts_18_to_20() {
        let mut f = minimal();
        f.case_type = Some(CaseType::CriticallyMissingYoungAdult);
        f.child.date_of_birth = "2006-06-01".into();
        assert!(f.validate(now()).is_ok());
    }

    #[test]
    fn outside_the_us_the_state_is_free_text() {
        let mut f = minimal();
        f.event.country = "mx".into();
        f.event.state = "Sonora".into();
        let valid = f.validate(now()).unwrap();
        assert_eq!(valid.state(), None);
        assert_eq!(valid.fields().event.country, "MX");
    }

    #[test]
    fn blank_companion_rows_are_dropped_and_unnamed_ones_kept_as_unknown() {
        let mut f = minimal();
        f.companions = vec![CompanionFields::default(), CompanionFields { relationship: "adult male".into(), ..Default::default() }];
        let valid = f.validate(now()).unwrap();
        assert_eq!(valid.fields().companions.len(), 1);
        assert_eq!(valid.fields().companions[0].name, "Unknown");
    }

    #[test]
    fn age_is_counted_in_whole_years() {
        let born = NaiveDate::from_ymd_opt(2011, 4, 2).unwrap();
        assert_eq!(age_on(born, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()), 14);
        assert_eq!(age_on(born, NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()), 15);
    }
}
