//! Value types that can only hold valid values. Each is built by `parse`, which trims and
//! normalises its input or says, in words a case manager can act on, what is wrong and how to
//! fix it. Nothing here knows which form field a value came from; `case` adds that.

use crate::ids::CaseId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused: a sentence that names the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    fn new(message: impl Into<String>) -> Self {
        Invalid(message.into())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                $name::parse(&raw).map_err(|e| serde::de::Error::custom(e.0))
            }
        }
    };
}

/// A person's given, middle or family name, or a nickname.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);
string_value!(PersonName);

impl PersonName {
    pub const MAX_CHARS: usize = 80;

    /// Accepts names in any script (é, ñ, Vietnamese tones, Arabic names in Latin script),
    /// with spaces, hyphens, apostrophes and periods; refuses digits and markup.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = collapse_spaces(raw);
        if name.is_empty() {
            return Err(Invalid::new("Enter a name."));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(format!("Shorten the name to {} characters or fewer.", Self::MAX_CHARS)));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.' | ',') || is_combining_mark(*c)))
        {
            return Err(Invalid::new(format!(
                "Remove \"{bad}\": a name may hold letters, spaces, hyphens, apostrophes and periods."
            )));
        }
        Ok(PersonName(name))
    }
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF)
}

/// Trims and collapses runs of whitespace, so "  Ana   María " is stored as "Ana María".
pub fn collapse_spaces(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A telephone number: a North American number (shown as (555) 201-4477, with an optional
/// extension) or an international number in E.164 form (+ and 8 to 15 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);
string_value!(PhoneNumber);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Invalid::new("Enter a phone number."));
        }
        let (main, ext) = split_extension(raw);
        if let Some(c) = main.chars().find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '+'))) {
            return Err(Invalid::new(format!(
                "Remove \"{c}\": write the number as (555) 201-4477 or +44 20 7946 0958."
            )));
        }
        let digits: String = main.chars().filter(|c| c.is_ascii_digit()).collect();
        let ext = match ext {
            Some(e) if !e.is_empty() && e.len() <= 6 && e.chars().all(|c| c.is_ascii_digit()) => format!(" ext. {e}"),
            Some(_) => return Err(Invalid::new("Write the extension as digits only, e.g. \"ext. 204\".")),
            None => String::new(),
        };
        if main.trim_start().starts_with('+') && !main.trim_start().starts_with("+1") {
            if !(8..=15).contains(&digits.len()) {
                return Err(Invalid::new("An international number has 8 to 15 digits after the +."));
            }
            return Ok(PhoneNumber(format!("+{digits}{ext}")));
        }
        let national = match digits.len() {
            10 => digits.as_str(),
            11 if digits.starts_with('1') => &digits[1..],
            _ => {
                return Err(Invalid::new(
                    "A US phone number has 10 digits, e.g. (555) 201-4477; start an international number with +.",
                ))
            }
        };
        let (area, exchange, line) = (&national[0..3], &national[3..6], &national[6..]);
        if area.starts_with(['0', '1']) {
            return Err(Invalid::new(format!("The area code {area} cannot start with 0 or 1; check the number.")));
        }
        if exchange.starts_with(['0', '1']) {
            return Err(Invalid::new(format!("The exchange {exchange} cannot start with 0 or 1; check the number.")));
        }
        Ok(PhoneNumber(format!("({area}) {exchange}-{line}{ext}")))
    }
}

fn split_extension(raw: &str) -> (&str, Option<&str>) {
    let lower = raw.to_ascii_lowercase();
    for marker in ["ext.", "ext", "x"] {
        if let Some(pos) = lower.rfind(marker) {
            return (&raw[..pos], Some(raw[pos + marker.len()..].trim()));
        }
    }
    (raw, None)
}

/// US states, the District of Columbia and the territories, by USPS code.
pub const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"), ("CA", "California"),
    ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"), ("DC", "District of Columbia"),
    ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"),
    ("ME", "Maine"), ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"),
    ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"), ("SD", "South Dakota"),
    ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"),
    ("WA", "Washington"), ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
    ("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"), ("PR", "Puerto Rico"),
    ("VI", "U.S. Virgin Islands"),
];

/// A US state or territory by its two-letter USPS code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UsState(&'static str);

impl UsState {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(Invalid::new("Choose a state."));
        }
        US_STATES
            .iter()
            .find(|(c, name)| *c == code || name.eq_ignore_ascii_case(raw.trim()))
            .map(|(c, _)| UsState(c))
            .ok_or_else(|| Invalid::new(format!("\"{}\" is not a US state code; use two letters such as TX or NY.", raw.trim())))
    }

    pub fn code(&self) -> &'static str {
        self.0
    }

    pub fn name(&self) -> &'static str {
        US_STATES.iter().find(|(c, _)| *c == self.0).map(|(_, n)| *n).unwrap_or(self.0)
    }
}

impl fmt::Display for UsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A height, kept in millimetres so that feet and inches survive the round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Height(u16);

impl Height {
    pub const MIN_CM: f64 = 30.0;
    pub const MAX_CM: f64 = 230.0;

    pub fn from_cm(cm: f64) -> Result<Self, Invalid> {
        if !cm.is_finite() || !(Self::MIN_CM..=Self::MAX_CM).contains(&cm) {
            return Err(Invalid::new(format!(
                "Enter a height between {} and {} cm (1 ft 0 in and 7 ft 6 in).",
                Self::MIN_CM, Self::MAX_CM
            )));
        }
        Ok(Height((cm * 10.0).round() as u16))
    }

    pub fn mm(&self) -> u16 {
        self.0
    }

    pub fn cm(&self) -> f64 {
        f64::from(self.0) / 10.0
    }

    /// Whole feet and the remaining inches, rounded to the nearest inch.
    pub fn feet_inches(&self) -> (u16, u16) {
        let inches = (f64::from(self.0) / 25.4).round() as u16;
        (inches / 12, inches % 12)
    }
}

/// A weight, kept in grams so that pounds survive the round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Weight(u32);

impl Weight {
    pub const MIN_KG: f64 = 1.0;
    pub const MAX_KG: f64 = 250.0;

    pub fn from_kg(kg: f64) -> Result<Self, Invalid> {
        if !kg.is_finite() || !(Self::MIN_KG..=Self::MAX_KG).contains(&kg) {
            return Err(Invalid::new(format!(
                "Enter a weight between {} and {} kg (2 and 551 lb).",
                Self::MIN_KG, Self::MAX_KG
            )));
        }
        Ok(Weight((kg * 1000.0).round() as u32))
    }

    pub fn grams(&self) -> u32 {
        self.0
    }

    pub fn kg(&self) -> f64 {
        f64::from(self.0) / 1000.0
    }

    pub fn pounds(&self) -> u32 {
        (f64::from(self.0) / 453.592_37).round() as u32
    }
}

/// The organisation's case number, e.g. `PL-2611-7KQ4-XM2D`: the year and month of intake and
/// eight characters drawn from the case id's random bits, so devices that work offline never
/// hand out the same number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseNumber(String);
string_value!(CaseNumber);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl CaseNumber {
    pub fn for_case(id: &CaseId, intake: NaiveDate) -> Self {
        let bytes = id.as_uuid().as_bytes();
        // The last 8 bytes of a UUIDv7 are random (apart from the variant bits, which we skip).
        let mut bits = u64::from_be_bytes(bytes[8..16].try_into().expect("16-byte uuid")) & 0x3FFF_FFFF_FFFF_FFFF;
        let mut tail = [0u8; 8];
        for slot in tail.iter_mut().rev() {
            *slot = CROCKFORD[(bits & 31) as usize];
            bits >>= 5;
        }
        let tail = std::str::from_utf8(&tail).expect("ascii");
        CaseNumber(format!("PL-{}-{}-{}", intake.format("%y%m"), &tail[..4], &tail[4..]))
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_uppercase();
        let parts: Vec<&str> = s.split('-').collect();
        let ok = parts.len() == 4
            && parts[0] == "PL"
            && parts[1].len() == 4
            && parts[1].bytes().all(|b| b.is_ascii_digit())
            && parts[2..].iter().all(|p| p.len() == 4 && p.bytes().all(|b| CROCKFORD.contains(&b)));
        if ok {
            Ok(CaseNumber(s))
        } else {
            Err(Invalid::new("A case number looks like PL-2611-7KQ4-XM2D."))
        }
    }
}

/// The NCIC record number of a Missing Person File entry: M followed by nine digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NcicNumber(String);
string_value!(NcicNumber);

impl NcicNumber {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s: String = raw.trim().to_ascii_uppercase().chars().filter(|c| *c != '-' && *c != ' ').collect();
        let ok = s.len() == 10 && s.starts_with('M') && s[1..].bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(NcicNumber(s))
        } else {
            Err(Invalid::new("An NCIC number is M followed by nine digits, e.g. M123456789."))
        }
    }
}

/// An Originating Agency Identifier: the state's two letters and seven letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ori(String);
string_value!(Ori);

impl Ori {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_uppercase();
        if s.len() != 9 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Invalid::new("An ORI has nine letters or digits, e.g. TX2270100."));
        }
        UsState::parse(&s[..2]).map_err(|_| {
            Invalid::new(format!("An ORI starts with the agency's state code; \"{}\" is not one.", &s[..2]))
        })?;
        Ok(Ori(s))
    }
}

/// A vehicle identification number: 17 characters without I, O or Q for vehicles built from
/// 1981, shorter for older ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Vin(String);
string_value!(Vin);

impl Vin {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_uppercase();
        if let Some(c) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(Invalid::new(format!("Remove \"{c}\": a VIN holds letters and digits only.")));
        }
        if let Some(c) = s.chars().find(|c| matches!(c, 'I' | 'O' | 'Q')) {
            return Err(Invalid::new(format!("A VIN never contains {c}; check for a 1 or 0.")));
        }
        if !(5..=17).contains(&s.len()) {
            return Err(Invalid::new("A VIN has 17 characters (older vehicles: 5 to 17)."));
        }
        Ok(Vin(s))
    }

    pub fn is_modern(&self) -> bool {
        self.0.len() == 17
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_script_are_accepted_and_tidied() {
        for (raw, stored) in [
            ("  Ana   María ", "Ana María"),
            ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
            ("O'Brien-Núñez", "O'Brien-Núñez"),
            ("Abd al-Rahman", "Abd al-Rahman"),
            ("J. R.", "J. R."),
            ("Zoë", "Zoë"),
        ] {
            assert_eq!(PersonName::parse(raw).unwrap().as_str(), stored, "{raw}");
        }
    }

    #[test]
    fn names_with_digits_markup_or_excess_length_are_refused() {
        for raw in ["", "   ", "R2D2", "<script>", "a@b", &"x".repeat(81)] {
            assert!(PersonName::parse(raw).is_err(), "{raw:?} accepted");
        }
        assert!(PersonName::parse("R2D2").unwrap_err().0.contains("\"2\""));
    }

    #[test]
    fn phone_numbers_are_normalised() {
        for (raw, stored) in [
            ("555-201-4477", "(555) 201-4477"),
            ("(555) 201 4477", "(555) 201-4477"),
            ("1 555 201 4477", "(555) 201-4477"),
            ("+1 555.201.4477", "(555) 201-4477"),
            ("555-201-4477 ext. 204", "(555) 201-4477 ext. 204"),
            ("555 201 4477 x12", "(555) 201-4477 ext. 12"),
            ("+44 20 7946 0958", "+442079460958"),
        ] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().as_str(), stored, "{raw}");
        }
    }

    #[test]
    fn malformed_phone_numbers_are_refused() {
        for raw in ["", "555-1234", "055-201-4477", "555-101-4477", "2015551234567", "call me", "+12", "555-201-4477 ext. abc"] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw:?} accepted");
        }
    }

    #[test]
    fn states_by_code_or_name() {
        assert_eq!(UsState::parse("tx").unwrap().code(), "TX");
        assert_eq!(UsState::parse("New Mexico").unwrap().code(), "NM");
        assert_eq!(UsState::parse("PR").unwrap().name(), "Puerto Rico");
        for raw in ["", "XX", "Texass", "T"] {
            assert!(UsState::parse(raw).is_err(), "{raw:?} accepted");
        }
        assert_eq!(US_STATES.len(), 56);
    }

    #[test]
    fn heights_and_weights_stay_in_human_ranges_and_round_trip_imperial() {
        assert!(Height::from_cm(29.9).is_err());
        assert!(Height::from_cm(230.1).is_err());
        assert!(Height::from_cm(f64::NAN).is_err());
        let h = Height::from_cm(62.0 * 2.54).unwrap();
        assert_eq!(h.feet_inches(), (5, 2));
        assert!(Weight::from_kg(0.5).is_err());
        assert!(Weight::from_kg(251.0).is_err());
        let w = Weight::from_kg(110.0 * 0.453_592_37).unwrap();
        assert_eq!(w.pounds(), 110);
    }

    #[test]
    fn case_numbers_come_from_the_id_and_parse_back() {
        use chrono::{TimeZone, Utc};
        let now = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap();
        let id = CaseId::new(now);
        let number = CaseNumber::for_case(&id, now.date_naive());
        assert!(number.as_str().starts_with("PL-2611-"), "{number}");
        assert_eq!(CaseNumber::parse(&number.as_str().to_lowercase()).unwrap(), number);
        assert_ne!(CaseNumber::for_case(&CaseId::new(now), now.date_naive()), number);
        for raw in ["", "PL-2611-7KQ4", "XX-2611-7KQ4-XM2D", "PL-26A1-7KQ4-XM2D", "PL-2611-7KQU-XM2D"] {
            assert!(CaseNumber::parse(raw).is_err(), "{raw:?} accepted");
        }
    }

    #[test]
    fn ncic_ori_and_vin_formats() {
        assert_eq!(NcicNumber::parse("m123-456-789").unwrap().as_str(), "M123456789");
        for raw in ["", "123456789", "M12345678", "X123456789", "M12345678A"] {
            assert!(NcicNumber::parse(raw).is_err(), "{raw:?} accepted");
        }
        assert_eq!(Ori::parse("tx2270100").unwrap().as_str(), "TX2270100");
        for raw in ["", "TX227010", "ZZ2270100", "TX-270100"] {
            assert!(Ori::parse(raw).is_err(), "{raw:?} accepted");
        }
        assert!(Vin::parse("1hgcm82633a004352").unwrap().is_modern());
        assert!(Vin::parse("1HGCM82633A00435O").unwrap_err().0.contains('O'));
        for raw in ["", "ABC", "1HGCM82633A0043521", "1HGCM8263-A004352"] {
            assert!(Vin::parse(raw).is_err(), "{raw:?} accepted");
        }
    }
}
