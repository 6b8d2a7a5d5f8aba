//! What a poster is made of. A `PosterChild` has a field for each thing the public may see and
//! nothing else: it is copied from the case form field by field, so medical cautions, the
//! missing-from-care agency, family contacts and notes have no place to land. Refusals (no
//! consented photo, no law-enforcement contact, a case no longer open, too many children) are
//! decided here, before any layout. Drawing the page belongs to `layout`.

use crate::error::PosterError;
use crate::photo::{PhotoInput, PhotoKind, PosterPhoto};
use crate::words::{Language, Paper};
use chrono::NaiveDate;
use porchlight_domain::case::age_on;
use porchlight_domain::{
    CaseRecord, CaseStatus, CaseType, EyeColor, HairColor, Height, Moment, Race, Sex, Units, Weight,
};

/// The most children one poster shows (siblings taken together).
pub const MAX_CHILDREN: usize = 4;
/// The most photos printed of one child.
pub const MAX_PHOTOS: usize = 3;

/// How and when a poster is printed.
#[derive(Debug, Clone, PartialEq)]
pub struct PosterSettings {
    pub language: Language,
    pub paper: Paper,
    /// Heights and weights in feet, inches and pounds, or in centimetres and kilograms.
    pub units: Units,
    /// The organisation's public site; the QR code links to `<this>/cases/<case number>`.
    pub public_base_url: String,
    /// The day of printing: "age now" is counted on it, and the footer shows it.
    pub printed_on: NaiveDate,
}

impl PosterSettings {
    /// Settings for printing at `moment` (the user's local date). Letter posters are for the US
    /// and measure in feet and pounds; A4 posters measure in centimetres and kilograms.
    pub fn new(language: Language, paper: Paper, public_base_url: impl Into<String>, moment: &Moment) -> Self {
        let units = match paper {
            Paper::Letter => Units::Imperial,
            Paper::A4 => Units::Metric,
        };
        PosterSettings { language, paper, units, public_base_url: public_base_url.into(), printed_on: moment.local.date() }
    }
}

/// The investigating agency as the contact block prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyContact {
    pub agency: String,
    pub phone: String,
}

/// Someone believed to be with the child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterCompanion {
    pub name: String,
    pub relationship: String,
    pub description: String,
}

/// A vehicle the child may be in. The VIN is left to law enforcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterVehicle {
    pub year: Option<i32>,
    pub make: String,
    pub model: String,
    pub style: String,
    pub color: String,
    pub plate: String,
    pub plate_state: String,
}

/// One child as the public sees them. Built only by `from_case`, which copies public fields.
#[derive(Debug, Clone, PartialEq)]
pub struct PosterChild {
    pub(crate) case_number: String,
    pub(crate) case_type: CaseType,
    pub(crate) contact: Option<AgencyContact>,
    pub(crate) given_name: String,
    pub(crate) middle_name: String,
    pub(crate) family_name: String,
    pub(crate) nicknames: String,
    pub(crate) date_of_birth: Option<NaiveDate>,
    pub(crate) estimated_age: Option<u8>,
    pub(crate) sex: Sex,
    pub(crate) race: Option<Race>,
    pub(crate) hispanic_latino: Option<bool>,
    pub(crate) height: Option<Height>,
    pub(crate) weight: Option<Weight>,
    pub(crate) hair: Option<HairColor>,
    pub(crate) eyes: Option<EyeColor>,
    pub(crate) missing_date: NaiveDate,
    pub(crate) city: String,
    /// The USPS code in the US, the region as entered elsewhere.
    pub(crate) state: String,
    /// ISO country code; empty or "US" prints no country.
    pub(crate) country: String,
    /// The public narrative of how the child went missing.
    pub(crate) circumstances: String,
    pub(crate) companions: Vec<PosterCompanion>,
    pub(crate) vehicles: Vec<PosterVehicle>,
    pub(crate) photos: Vec<PosterPhoto>,
}

fn is_open(status: CaseStatus) -> bool {
    matches!(status, CaseStatus::Intake | CaseStatus::Active)
}

fn parse_date(case_number: &str, field: &'static str, raw: &str) -> Result<Option<NaiveDate>, PosterError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(Some).map_err(|_| PosterError::Field {
        case_number: case_number.to_string(),
        field,
        message: format!("\"{raw}\" is not a date; correct it in the case (YYYY-MM-DD)."),
    })
}

/// Collapses runs of whitespace in one-line fields, so a name pasted with tabs prints cleanly.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl PosterChild {
    /// Copies the public fields of a case and prepares its consented photos, in the order given
    /// (the first is the main photo; at most `MAX_PHOTOS` are kept).
    ///
    /// Refuses a case that is no longer open, and a child with no photo that may be published.
    pub fn from_case(record: &CaseRecord, photos: &[PhotoInput<'_>]) -> Result<PosterChild, PosterError> {
        let case_number = record.case_number.clone();
        let f = &record.fields;
        let child_name = one_line(&format!("{} {}", f.child.given_name, f.child.family_name));
        if record.archived_at.is_some() {
            return Err(PosterError::CaseNotOpen { case_number, status: "archived".into() });
        }
        if !is_open(record.status) {
            return Err(PosterError::CaseNotOpen { case_number, status: record.status.label().to_lowercase() });
        }
        let case_type = f.case_type.ok_or_else(|| PosterError::Field {
            case_number: case_number.clone(),
            field: "case_type",
            message: "the case has no case type; choose one in the case.".into(),
        })?;
        if f.child.given_name.trim().is_empty() && f.child.family_name.trim().is_empty() {
            return Err(PosterError::Field {
                case_number,
                field: "child.given_name",
                message: "the child has no name; enter it in the case.".into(),
            });
        }
        let missing_date = parse_date(&case_number, "event.last_seen_date", &f.event.last_seen_date)?.ok_or_else(|| {
            PosterError::Field {
                case_number: case_number.clone(),
                field: "event.last_seen_date",
                message: "the date the child was last seen is empty; enter it in the case.".into(),
            }
        })?;
        let date_of_birth = parse_date(&case_number, "child.date_of_birth", &f.child.date_of_birth)?;

        let mut prepared = Vec::new();
        for input in photos {
            if prepared.len() == MAX_PHOTOS {
                break;
            }
            match PosterPhoto::prepare(input) {
                Ok(Some(photo)) => prepared.push(photo),
                Ok(None) => {}
                Err(reason) => {
                    return Err(PosterError::Photo { case_number, child: child_name, reason });
                }
            }
        }
        if prepared.is_empty() {
            return Err(PosterError::NoConsentedPhoto { case_number, child: child_name });
        }

        let le = &f.law_enforcement;
        let contact = Some(AgencyContact { agency: one_line(&le.agency_name), phone: one_line(&le.investigator_phone) });
        let d = &f.description;
        Ok(PosterChild {
            case_number,
            case_type,
            contact,
            given_name: one_line(&f.child.given_name),
            middle_name: one_line(&f.child.middle_name),
            family_name: one_line(&f.child.family_name),
            nicknames: one_line(&f.child.nicknames),
            date_of_birth,
            estimated_age: f.child.estimated_age,
            sex: f.child.sex.unwrap_or(Sex::Unknown),
            race: f.child.race,
            hispanic_latino: f.child.hispanic_latino,
            height: d.height_cm.and_then(|cm| Height::from_cm(cm).ok()),
            weight: d.weight_kg.and_then(|kg| Weight::from_kg(kg).ok()),
            hair: d.hair,
            eyes: d.eyes,
            missing_date,
            city: one_line(&f.event.city),
            state: one_line(&f.event.state),
            country: one_line(&f.event.country).to_ascii_uppercase(),
            circumstances: crate::narrative::public_circumstances(&f.event.circumstances, &f.care_agency),
            companions: f
                .companions
                .iter()
                .map(|c| PosterCompanion {
                    name: one_line(&c.name),
                    relationship: one_line(&c.relationship),
                    description: one_line(&c.description),
                })
                .filter(|c| !(c.name.is_empty() && c.relationship.is_empty() && c.description.is_empty()))
                .collect(),
            vehicles: f
                .vehicles
                .iter()
                .map(|v| PosterVehicle {
                    year: v.year,
                    make: one_line(&v.make),
                    model: one_line(&v.model),
                    style: one_line(&v.style),
                    color: one_line(&v.color),
                    plate: one_line(&v.plate),
                    plate_state: one_line(&v.plate_state),
                })
                .filter(|v| v.year.is_some() || !(v.make.is_empty() && v.model.is_empty() && v.plate.is_empty() && v.color.is_empty()))
                .collect(),
            photos: prepared,
        })
    }

    pub fn case_number(&self) -> &str {
        &self.case_number
    }

    /// Given, middle and family names, as printed.
    pub fn full_name(&self) -> String {
        one_line(&format!("{} {} {}", self.given_name, self.middle_name, self.family_name))
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    pub fn photos(&self) -> &[PosterPhoto] {
        &self.photos
    }

    /// Age in whole years on `on`; estimated from the age when last seen if the birth date is
    /// unknown. The flag says whether it is an estimate.
    pub fn age_on(&self, on: NaiveDate) -> Option<(u32, bool)> {
        match (self.date_of_birth, self.estimated_age) {
            (Some(born), _) => Some((age_on(born, on), false)),
            (None, Some(age)) => Some((u32::from(age) + age_on(self.missing_date, on), true)),
            (None, None) => None,
        }
    }

    /// "Tulsa, OK" in the US; "Hermosillo, Sonora, MX" elsewhere.
    pub(crate) fn place(&self) -> String {
        let mut parts = vec![self.city.clone()];
        if !self.state.is_empty() {
            parts.push(self.state.clone());
        }
        if !self.country.is_empty() && self.country != "US" {
            parts.push(self.country.clone());
        }
        parts.retain(|p| !p.is_empty());
        parts.join(", ")
    }
}

/// A poster ready to render: one to four children, the lead child's case type, case number and
/// agency, and how it is printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Poster {
    children: Vec<PosterChild>,
    contact: AgencyContact,
    base_url: String,
    settings: PosterSettings,
}

impl Poster {
    /// A poster of one child.
    pub fn from_case(record: &CaseRecord, photos: &[PhotoInput<'_>], settings: PosterSettings) -> Result<Poster, PosterError> {
        Poster::new(vec![PosterChild::from_case(record, photos)?], settings)
    }

    /// A poster of one child, or of siblings taken together. The first child leads: the header
    /// follows its case type, the contact block its agency, and the QR code its case.
    pub fn new(children: Vec<PosterChild>, settings: PosterSettings) -> Result<Poster, PosterError> {
        if children.is_empty() || children.len() > MAX_CHILDREN {
            return Err(PosterError::ChildCount { count: children.len() });
        }
        let lead = &children[0];
        let contact = lead.contact.clone().unwrap_or(AgencyContact { agency: String::new(), phone: String::new() });
        if contact.agency.is_empty() {
            return Err(PosterError::NoAgency { case_number: lead.case_number.clone() });
        }
        if contact.phone.is_empty() {
            return Err(PosterError::NoAgencyPhone { case_number: lead.case_number.clone() });
        }
        let base_url = check_base_url(&settings.public_base_url)?;
        Ok(Poster { children, contact, base_url, settings })
    }

    pub fn children(&self) -> &[PosterChild] {
        &self.children
    }

    pub fn settings(&self) -> &PosterSettings {
        &self.settings
    }

    /// The lead child's case number.
    pub fn case_number(&self) -> &str {
        &self.children[0].case_number
    }

    pub fn case_type(&self) -> CaseType {
        self.children[0].case_type
    }

    pub fn contact(&self) -> &AgencyContact {
        &self.contact
    }

    /// The address the QR code holds: the lead case's public page.
    pub fn public_url(&self) -> String {
        format!("{}/cases/{}", self.base_url, self.case_number())
    }

    /// Whether the main photo is age-progressed, which turns the header into "AGE PROGRESSED".
    pub fn age_progressed(&self) -> bool {
        matches!(self.children[0].photos[0].kind(), PhotoKind::AgeProgressed { .. })
    }

    /// What the poster says to the public, for the record of posters produced: the children and
    /// their case numbers, whom to call, and where the QR code leads. Only what the poster
    /// itself prints, so the record can never hold more than the public saw.
    pub fn public_text(&self) -> String {
        let mut lines: Vec<String> =
            self.children.iter().map(|c| format!("{} — case {}", c.full_name(), c.case_number())).collect();
        lines.push(format!("Contact: 1-800-THE-LOST (1-800-843-5678); {} {}", self.contact.agency, self.contact.phone));
        lines.push(self.public_url());
        lines.join("\n")
    }

    /// A one-line title, used as the PDF's title.
    pub fn title(&self) -> String {
        let names: Vec<String> = self.children.iter().map(PosterChild::full_name).collect();
        format!("{} — {}", names.join(", "), self.case_number())
    }
}

fn check_base_url(raw: &str) -> Result<String, PosterError> {
    let url = raw.trim().trim_end_matches('/');
    let fail = |reason| Err(PosterError::BaseUrl { url: raw.to_string(), reason });
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return fail("it must start with https:// or http://");
    };
    if rest.is_empty() || rest.starts_with('/') {
        return fail("it has no host name");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '"' | '<' | '>')) {
        return fail("it may not hold spaces, quotes, angle brackets, '?' or '#'");
    }
    if url.len() > 200 {
        return fail("it is longer than 200 characters");
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_tidied() {
        assert_eq!(check_base_url(" https://porchlight.example.org/ ").unwrap(), "https://porchlight.example.org");
        for bad in ["", "porchlight.example.org", "ftp://x.org", "https://", "https://a b.org", "https://x.org/?q=1"] {
            assert!(check_base_url(bad).is_err(), "{bad:?} accepted");
        }
    }
}
