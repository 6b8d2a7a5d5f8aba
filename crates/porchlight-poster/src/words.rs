//! Every word a poster prints, in English and in Spanish: headers, labels, the descriptors of the
//! NCIC codes in words, dates, heights and weights. Layout and measuring belong to `layout`.

use chrono::{Datelike, NaiveDate};
use porchlight_domain::{CaseType, EyeColor, HairColor, Height, Race, Sex, Units, Weight};
use std::fmt;
use std::str::FromStr;

/// The language of one poster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    Spanish,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
        }
    }
}

impl FromStr for Language {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Language::English),
            "es" | "spanish" | "español" => Ok(Language::Spanish),
            other => Err(format!("\"{other}\" is not a poster language; use en or es.")),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The paper a poster is laid out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// US Letter, 8.5 × 11 inches.
    #[default]
    Letter,
    /// ISO A4, 210 × 297 mm.
    A4,
}

impl Paper {
    /// Width and height in PDF points (1/72 inch).
    pub fn size_pt(self) -> (f32, f32) {
        match self {
            Paper::Letter => (612.0, 792.0),
            Paper::A4 => (595.2756, 841.8898),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Paper::Letter => "letter",
            Paper::A4 => "a4",
        }
    }
}

impl FromStr for Paper {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "letter" | "us-letter" => Ok(Paper::Letter),
            "a4" => Ok(Paper::A4),
            other => Err(format!("\"{other}\" is not a paper size; use letter or a4.")),
        }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The header band's words: the main header and, over it, a smaller line when the main photo
/// is age-progressed (so the case type still shows).
pub(crate) struct Header {
    pub kicker: Option<String>,
    pub title: String,
}

/// Spanish agrees "desaparecido" with the child: -o, -a, or -o/a when the sex is unknown; a
/// group is feminine only when every child is a girl.
fn missing_es(sexes: &[Sex]) -> &'static str {
    let all_f = sexes.iter().all(|s| *s == Sex::Female);
    match (sexes.len(), sexes.first()) {
        (1, Some(Sex::Male)) => "DESAPARECIDO",
        (1, Some(Sex::Female)) => "DESAPARECIDA",
        (1, _) => "DESAPARECIDO/A",
        _ if all_f => "DESAPARECIDAS",
        _ => "DESAPARECIDOS",
    }
}

pub(crate) fn header(lang: Language, case_type: CaseType, sexes: &[Sex], age_progressed: bool) -> Header {
    let case_header = match (lang, case_type) {
        (Language::English, CaseType::EndangeredRunaway) => "ENDANGERED RUNAWAY".to_string(),
        (Language::English, CaseType::FamilyAbduction) => "FAMILY ABDUCTION".to_string(),
        (Language::English, CaseType::NonfamilyAbduction) => "NONFAMILY ABDUCTION".to_string(),
        (Language::English, CaseType::LostInjuredMissing | CaseType::CriticallyMissingYoungAdult) => "MISSING".to_string(),
        (Language::Spanish, CaseType::EndangeredRunaway) => format!("{} EN PELIGRO", missing_es(sexes)),
        (Language::Spanish, CaseType::FamilyAbduction) => "SECUESTRO FAMILIAR".to_string(),
        (Language::Spanish, CaseType::NonfamilyAbduction) => "SECUESTRO NO FAMILIAR".to_string(),
        (Language::Spanish, CaseType::LostInjuredMissing | CaseType::CriticallyMissingYoungAdult) => missing_es(sexes).to_string(),
    };
    if age_progressed {
        let title = match lang {
            Language::English => "AGE PROGRESSED",
            Language::Spanish => "PROGRESIÓN DE EDAD",
        };
        Header { kicker: Some(case_header), title: title.to_string() }
    } else {
        Header { kicker: None, title: case_header }
    }
}

/// The labels of the description, in the order they print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    Dob,
    MissingSince,
    AgeNow,
    Sex,
    Race,
    Height,
    Weight,
    Hair,
    Eyes,
    MissingFrom,
    Case,
    AlsoKnownAs,
    Companion,
    Vehicle,
}

pub(crate) fn label(lang: Language, l: Label) -> &'static str {
    use Label::*;
    match lang {
        Language::English => match l {
            Dob => "DOB",
            MissingSince => "Missing since",
            AgeNow => "Age now",
            Sex => "Sex",
            Race => "Race",
            Height => "Height",
            Weight => "Weight",
            Hair => "Hair",
            Eyes => "Eyes",
            MissingFrom => "Missing from",
            Case => "Case",
            AlsoKnownAs => "Also known as",
            Companion => "Companion",
            Vehicle => "Vehicle",
        },
        Language::Spanish => match l {
            Dob => "Nacimiento",
            MissingSince => "Desaparición",
            AgeNow => "Edad actual",
            Sex => "Sexo",
            Race => "Raza",
            Height => "Estatura",
            Weight => "Peso",
            Hair => "Cabello",
            Eyes => "Ojos",
            MissingFrom => "Desapareció en",
            Case => "Caso",
            AlsoKnownAs => "También conocido/a como",
            Companion => "Acompañante",
            Vehicle => "Vehículo",
        },
    }
}

/// The fixed lines of the contact block and the footer.
pub(crate) struct ContactWords {
    pub heading: &'static str,
    pub hotline_name: &'static str,
    pub hotline_number: &'static str,
    pub scan: &'static str,
}

pub(crate) fn contact_words(lang: Language) -> ContactWords {
    match lang {
        Language::English => ContactWords {
            heading: "ANYONE HAVING INFORMATION SHOULD CONTACT",
            hotline_name: "National Center for Missing & Exploited Children",
            hotline_number: "1-800-THE-LOST (1-800-843-5678)",
            scan: "Scan for updates",
        },
        Language::Spanish => ContactWords {
            heading: "SI TIENE INFORMACIÓN, COMUNÍQUESE CON",
            hotline_name: "Centro Nacional para Niños Desaparecidos y Explotados",
            hotline_number: "1-800-THE-LOST (1-800-843-5678)",
            scan: "Escanee para más información",
        },
    }
}

pub(crate) fn printed_on(lang: Language, date: NaiveDate) -> String {
    match lang {
        Language::English => format!("Printed {}", date_words(lang, date)),
        Language::Spanish => format!("Impreso el {}", date_words(lang, date)),
    }
}

const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_ES: [&str; 12] = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];

/// "Apr 2, 2011" or "2 abr 2011": the month in letters, so that 04/02 is never misread.
pub(crate) fn date_words(lang: Language, d: NaiveDate) -> String {
    let m = d.month0() as usize;
    match lang {
        Language::English => format!("{} {}, {}", MONTHS_EN[m], d.day(), d.year()),
        Language::Spanish => format!("{} {} {}", d.day(), MONTHS_ES[m], d.year()),
    }
}

pub(crate) fn photo_caption(lang: Language, taken_on: Option<NaiveDate>, age_progressed_to: Option<u8>) -> String {
    match (lang, age_progressed_to, taken_on) {
        (Language::English, Some(age), _) => format!("Age progressed to {age}"),
        (Language::Spanish, Some(age), _) => format!("Progresión de edad a los {age} años"),
        (_, None, Some(d)) => date_words(lang, d),
        (Language::English, None, None) => "Photo".to_string(),
        (Language::Spanish, None, None) => "Foto".to_string(),
    }
}

/// How old the child is on the day the poster is printed.
pub(crate) fn age_now(lang: Language, years: u32, estimated: bool) -> String {
    match (lang, estimated) {
        (Language::English, false) => format!("{years}"),
        (Language::English, true) => format!("about {years}"),
        (Language::Spanish, false) => format!("{years} años"),
        (Language::Spanish, true) => format!("unos {years} años"),
    }
}

pub(crate) fn sex_words(lang: Language, sex: Sex) -> &'static str {
    match lang {
        Language::English => match sex {
            Sex::Male => "Male",
            Sex::Female => "Female",
            Sex::Unknown => "Unknown",
        },
        Language::Spanish => match sex {
            Sex::Male => "Masculino",
            Sex::Female => "Femenino",
            Sex::Unknown => "Desconocido",
        },
    }
}

/// The race in words, with Hispanic or Latino ethnicity after it when it was recorded as yes.
pub(crate) fn race_words(lang: Language, race: Option<Race>, hispanic: Option<bool>) -> Option<String> {
    let race = race.map(|r| match lang {
        Language::English => r.label(),
        // Agrees with the feminine noun "raza".
        Language::Spanish => match r {
            Race::AsianPacificIslander => "Asiática / de las islas del Pacífico",
            Race::Black => "Negra",
            Race::AmericanIndianAlaskaNative => "Indígena americana / nativa de Alaska",
            Race::White => "Blanca",
            Race::Unknown => "Desconocida",
        },
    });
    let hispanic = (hispanic == Some(true)).then_some(match lang {
        Language::English => "Hispanic or Latino",
        Language::Spanish => "hispana o latina",
    });
    match (race, hispanic) {
        (Some(r), Some(h)) => Some(format!("{r}, {h}")),
        (Some(r), None) => Some(r.to_string()),
        (None, Some(h)) => Some(capitalise(h)),
        (None, None) => None,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

pub(crate) fn hair_words(lang: Language, hair: HairColor) -> &'static str {
    match lang {
        Language::English => hair.label(),
        // Agrees with the masculine noun "cabello".
        Language::Spanish => match hair {
            HairColor::Black => "Negro",
            HairColor::Blond => "Rubio o rubio rojizo",
            HairColor::Brown => "Castaño",
            HairColor::Gray => "Canoso o entrecano",
            HairColor::Red => "Pelirrojo o caoba",
            HairColor::Sandy => "Rubio oscuro",
            HairColor::White => "Blanco",
            HairColor::Blue => "Azul",
            HairColor::Green => "Verde",
            HairColor::Orange => "Naranja",
            HairColor::Purple => "Morado",
            HairColor::Pink => "Rosa",
            HairColor::Unknown => "Desconocido o calvo",
        },
    }
}

pub(crate) fn eye_words(lang: Language, eyes: EyeColor) -> &'static str {
    match lang {
        Language::English => eyes.label(),
        // Agrees with the masculine plural "ojos".
        Language::Spanish => match eyes {
            EyeColor::Black => "Negros",
            EyeColor::Blue => "Azules",
            EyeColor::Brown => "Marrones",
            EyeColor::Gray => "Grises",
            EyeColor::Green => "Verdes",
            EyeColor::Hazel => "Color avellana",
            EyeColor::Maroon => "Granates",
            EyeColor::Multicolored => "Multicolores",
            EyeColor::Pink => "Rosados",
            EyeColor::Unknown => "Desconocido",
        },
    }
}

/// `5'2"` on imperial posters, `157 cm` on metric ones.
pub(crate) fn height_words(units: Units, h: Height) -> String {
    match units {
        Units::Imperial => {
            let (ft, inch) = h.feet_inches();
            format!("{ft}'{inch}\"")
        }
        Units::Metric => format!("{} cm", (h.cm()).round() as u32),
    }
}

pub(crate) fn weight_words(units: Units, w: Weight) -> String {
    match units {
        Units::Imperial => format!("{} lbs", w.pounds()),
        Units::Metric => format!("{} kg", w.kg().round() as u32),
    }
}

pub(crate) fn plate_word(lang: Language) -> &'static str {
    match lang {
        Language::English => "plate",
        Language::Spanish => "placa",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_missing_agrees_with_the_child() {
        let h = |sexes: &[Sex]| header(Language::Spanish, CaseType::LostInjuredMissing, sexes, false).title;
        assert_eq!(h(&[Sex::Female]), "DESAPARECIDA");
        assert_eq!(h(&[Sex::Male]), "DESAPARECIDO");
        assert_eq!(h(&[Sex::Unknown]), "DESAPARECIDO/A");
        assert_eq!(h(&[Sex::Female, Sex::Female]), "DESAPARECIDAS");
        assert_eq!(h(&[Sex::Female, Sex::Male]), "DESAPARECIDOS");
        assert_eq!(header(Language::Spanish, CaseType::EndangeredRunaway, &[Sex::Female], false).title, "DESAPARECIDA EN PELIGRO");
    }

    #[test]
    fn an_age_progressed_header_keeps_the_case_type_above_it() {
        let h = header(Language::English, CaseType::FamilyAbduction, &[Sex::Male], true);
        assert_eq!(h.title, "AGE PROGRESSED");
        assert_eq!(h.kicker.as_deref(), Some("FAMILY ABDUCTION"));
    }

    #[test]
    fn dates_heights_and_weights_read_as_words() {
        let d = NaiveDate::from_ymd_opt(2011, 4, 2).unwrap();
        assert_eq!(date_words(Language::English, d), "Apr 2, 2011");
        assert_eq!(date_words(Language::Spanish, d), "2 abr 2011");
        let h = Height::from_cm(62.0 * 2.54).unwrap();
        assert_eq!(height_words(Units::Imperial, h), "5'2\"");
        assert_eq!(height_words(Units::Metric, h), "158 cm", "157.5 cm rounds up");
        let w = Weight::from_kg(110.0 * 0.453_592_37).unwrap();
        assert_eq!(weight_words(Units::Imperial, w), "110 lbs");
        assert_eq!(weight_words(Units::Metric, w), "50 kg");
    }

    #[test]
    fn every_code_has_spanish_words() {
        for &h in HairColor::ALL {
            assert!(!hair_words(Language::Spanish, h).is_empty());
        }
        for &e in EyeColor::ALL {
            assert!(!eye_words(Language::Spanish, e).is_empty());
        }
        assert_eq!(race_words(Language::Spanish, Some(Race::White), Some(true)).unwrap(), "Blanca, hispana o latina");
        assert_eq!(race_words(Language::English, None, Some(true)).unwrap(), "Hispanic or Latino");
        assert_eq!(race_words(Language::English, None, Some(false)), None);
    }

    #[test]
    fn language_and_paper_parse_from_cli_words() {
        assert_eq!("ES".parse::<Language>().unwrap(), Language::Spanish);
        assert_eq!("a4".parse::<Paper>().unwrap(), Paper::A4);
        assert!("fr".parse::<Language>().unwrap_err().contains("en or es"));
        assert!("legal".parse::<Paper>().unwrap_err().contains("letter or a4"));
    }
}
