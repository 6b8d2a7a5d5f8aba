//! Posters checked the way a reader meets them: real PDFs, read back with poppler's pdftotext,
//! pdftoppm and pdfinfo, and the QR code scanned with zbarimg. Without those tools a test fails
//! under CI=true and otherwise says loudly that it was skipped.

mod support;

use porchlight_domain::{CaseRecord, CaseStatus, CaseType, Sex};
use porchlight_poster::{
    render, render_each, render_each_with, render_many, Language, Paper, PhotoInput, PhotoKind, Poster, PosterChild,
    PosterError, PosterSettings, RenderOptions,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use support::*;

// ---------------------------------------------------------------------------------------------
// Reading PDFs back.

/// Whether the poppler and zbar tools are here. In CI their absence is a failure; elsewhere
/// the test is skipped with a message that says so.
fn tools(test: &str, names: &[&str]) -> bool {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| Command::new(n).arg("-v").output().is_err())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!("{test}: {} not installed (apt-get install poppler-utils zbar-tools)", missing.join(", "));
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}");
    }
    eprintln!("SKIPPED {message}");
    false
}

struct Pdf {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Pdf {
    fn new(bytes: &[u8]) -> Pdf {
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("poster.pdf");
        std::fs::write(&path, bytes).unwrap();
        Pdf { _dir: dir, path }
    }

    /// Runs a poppler tool on the file and returns what it writes to standard output.
    fn run(&self, program: &str, args: &[&str]) -> String {
        let mut cmd = Command::new(program);
        cmd.args(args).arg(&self.path);
        if program == "pdftotext" {
            cmd.arg("-");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The text in reading order, one physical line per line, runs of spaces collapsed.
    fn text(&self) -> String {
        flat(&self.run("pdftotext", &["-layout", "-enc", "UTF-8"]))
    }

    /// The text in the order it was drawn, which keeps a wrapped name or place together even
    /// where a column beside it shares its lines.
    fn drawn_text(&self) -> String {
        self.run("pdftotext", &["-raw", "-enc", "UTF-8"])
    }

    fn info(&self) -> String {
        let out = Command::new("pdfinfo").arg(&self.path).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    }

    /// Every word with its box, in points from the top left, and the page size.
    fn words(&self) -> (f32, f32, Vec<Word>) {
        let html = self.run("pdftotext", &["-bbox", "-enc", "UTF-8"]);
        let attr = |tag: &str, name: &str| -> f32 {
            let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            tag[at..].split('"').next().unwrap().parse().unwrap()
        };
        let page = html.split("<page ").nth(1).expect("a page").split('>').next().unwrap();
        let (w, h) = (attr(page, "width"), attr(page, "height"));
        let words = html
            .split("<word ")
            .skip(1)
            .map(|chunk| {
                let (tag, rest) = chunk.split_once('>').unwrap();
                Word {
                    x0: attr(tag, "xMin"),
                    y0: attr(tag, "yMin"),
                    x1: attr(tag, "xMax"),
                    y1: attr(tag, "yMax"),
                    text: rest.split("</word>").next().unwrap().to_string(),
                }
            })
            .collect();
        (w, h, words)
    }

    /// Each page as a grayscale image at `dpi`.
    fn pages(&self, dpi: u32) -> Vec<(PathBuf, image::GrayImage)> {
        let prefix = self.path.with_file_name("page");
        let status = Command::new("pdftoppm")
            .args(["-png", "-gray", "-r", &dpi.to_string()])
            .arg(&self.path)
            .arg(&prefix)
            .status()
            .unwrap();
        assert!(status.success());
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("page") && p.extension().is_some_and(|e| e == "png"))
            .collect();
        files.sort();
        files.into_iter().map(|p| (p.clone(), image::open(&p).unwrap().to_luma8())).collect()
    }
}

#[derive(Debug)]
struct Word {
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
    text: String,
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn no_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn scan_qr(png: &Path) -> Vec<String> {
    let out = Command::new("zbarimg").args(["--quiet", "--raw"]).arg(png).output().unwrap();
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

fn assert_has(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "missing {w:?} in:\n{text}");
    }
}

fn assert_lacks(text: &str, unwanted: &[&str]) {
    for w in unwanted {
        assert!(!text.contains(w), "{w:?} should not be printed, in:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Building posters.

fn poster_of(record: &CaseRecord, photo_bytes: &[u8], settings: PosterSettings) -> Poster {
    Poster::from_case(record, &[photo(photo_bytes)], settings).unwrap()
}

fn pdf_of(poster: &Poster) -> Pdf {
    Pdf::new(&render(poster, &RenderOptions::default()).unwrap())
}

fn siblings_poster(n: usize, settings: PosterSettings, photos: &[Vec<u8>]) -> Poster {
    let children = siblings(n).iter().zip(photos).map(|(r, p)| PosterChild::from_case(r, &[photo(p)]).unwrap()).collect();
    Poster::new(children, settings).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Content.

#[test]
fn an_english_poster_prints_every_public_field() {
    if !tools("an_english_poster_prints_every_public_field", &["pdftotext"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let text = pdf_of(&poster_of(&short_case(), &pic, settings(Language::English, Paper::Letter))).text();
    assert_has(
        &text,
        &[
            "ENDANGERED RUNAWAY",
            "Maya Adaeze Okafor",
            "Also known as: Mimi",
            "Sep 3, 2026",
            "DOB Apr 2, 2011",
            "MISSING SINCE Nov 19, 2026",
            "AGE NOW 15",
            "SEX Female",
            "RACE Black",
            "HEIGHT 5'2\"",
            "WEIGHT 110 lbs",
            "HAIR Red or auburn",
            "EYES Hazel",
            "MISSING FROM Tulsa, OK",
            "Maya was last seen leaving Riverside Middle School on foot.",
            "COMPANION Dale Brennan (adult acquaintance) — tall, short grey beard",
            "VEHICLE 2014 Ford Escape SUV, silver, plate KLM4821 (OK)",
            "ANYONE HAVING INFORMATION SHOULD CONTACT",
            "National Center for Missing & Exploited Children",
            "1-800-THE-LOST (1-800-843-5678)",
            "Tulsa Police Department",
            "(918) 596-9222",
            "Case PL-2611-7KQ4-XM2D",
            "Printed Nov 21, 2026",
        ],
    );
    assert_lacks(&text, &["…", "DESAPARECID"]);
}

#[test]
fn a_spanish_poster_translates_every_label() {
    if !tools("a_spanish_poster_translates_every_label", &["pdftotext"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let text = pdf_of(&poster_of(&short_case(), &pic, settings(Language::Spanish, Paper::Letter))).text();
    assert_has(
        &text,
        &[
            "DESAPARECIDA EN PELIGRO",
            "Maya Adaeze Okafor",
            "También conocido/a como: Mimi",
            "3 sep 2026",
            "NACIMIENTO 2 abr 2011",
            "DESAPARICIÓN 19 nov 2026",
            "EDAD ACTUAL 15 años",
            "SEXO Femenino",
            "RAZA Negra",
            "ESTATURA 5'2\"",
            "PESO 110 lbs",
            "CABELLO Pelirrojo o caoba",
            "OJOS Color avellana",
            "DESAPARECIÓ EN Tulsa, OK",
            "ACOMPAÑANTE Dale Brennan",
            "VEHÍCULO 2014 Ford Escape SUV, silver, placa KLM4821 (OK)",
            "SI TIENE INFORMACIÓN, COMUNÍQUESE CON",
            "Centro Nacional para Niños Desaparecidos y Explotados",
            "1-800-THE-LOST (1-800-843-5678)",
            "Tulsa Police Department",
            "(918) 596-9222",
            "Caso PL-2611-7KQ4-XM2D",
            "Impreso el 21 nov 2026",
        ],
    );
    assert_lacks(&text, &["ENDANGERED", "MISSING", "ANYONE HAVING", "DOB", "AGE NOW", "HAIR", "EYES", "Printed", "Female"]);
}

#[test]
fn the_spanish_header_agrees_with_the_childs_sex() {
    if !tools("the_spanish_header_agrees_with_the_childs_sex", &["pdftotext"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    for (sex, header, not) in [
        (Sex::Female, "DESAPARECIDA", "DESAPARECIDO"),
        (Sex::Male, "DESAPARECIDO", "DESAPARECIDA"),
        (Sex::Unknown, "DESAPARECIDO/A", "DESAPARECIDA"),
    ] {
        let mut case = short_case();
        case.fields.case_type = Some(CaseType::LostInjuredMissing);
        case.fields.child.sex = Some(sex);
        let text = pdf_of(&poster_of(&case, &pic, settings(Language::Spanish, Paper::A4))).text();
        assert!(text.starts_with(header), "{sex:?}: {text}");
        assert_lacks(&text, &[not]);
        let english = pdf_of(&poster_of(&case, &pic, settings(Language::English, Paper::A4))).text();
        assert!(english.starts_with("MISSING "), "{english}");
    }
}

#[test]
fn age_now_is_counted_on_the_print_date() {
    if !tools("age_now_is_counted_on_the_print_date", &["pdftotext"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let mut case = short_case();
    case.fields.event.last_seen_date = "2025-12-01".into();
    for (printed, age) in [(date(2026, 4, 1), "AGE NOW 14"), (date(2026, 4, 2), "AGE NOW 15"), (date(2031, 12, 31), "AGE NOW 20")] {
        let s = PosterSettings { printed_on: printed, ..settings(Language::English, Paper::Letter) };
        let text = pdf_of(&poster_of(&case, &pic, s)).text();
        assert!(text.contains(age), "printed {printed}: {text}");
    }
    // Without a birth date, the age is the estimate when last seen plus the years since.
    case.fields.child.date_of_birth.clear();
    case.fields.child.estimated_age = Some(12);
    case.fields.event.last_seen_date = "2024-06-01".into();
    let text = pdf_of(&poster_of(&case, &pic, settings(Language::English, Paper::Letter))).text();
    assert!(text.contains("AGE NOW about 14"), "{text}");
    assert_lacks(&text, &["DOB"]);
    let text = pdf_of(&poster_of(&case, &pic, settings(Language::Spanish, Paper::Letter))).text();
    assert!(text.contains("EDAD ACTUAL unos 14 años"), "{text}");
}

#[test]
fn a4_posters_measure_in_centimetres_and_have_a4_pages() {
    if !tools("a4_posters_measure_in_centimetres_and_have_a4_pages", &["pdftotext", "pdfinfo"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let letter = pdf_of(&poster_of(&short_case(), &pic, settings(Language::English, Paper::Letter)));
    assert!(letter.info().contains("612 x 792 pts (letter)"), "{}", letter.info());
    let a4 = pdf_of(&poster_of(&short_case(), &pic, settings(Language::English, Paper::A4)));
    assert!(a4.info().contains("595.276 x 841.89 pts (A4)"), "{}", a4.info());
    assert_has(&a4.text(), &["HEIGHT 158 cm", "WEIGHT 50 kg"]);
}

#[test]
fn an_age_progressed_main_photo_heads_the_poster() {
    if !tools("an_age_progressed_main_photo_heads_the_poster", &["pdftotext"]) {
        return;
    }
    let (aged, pic) = (portrait_png(3, 450, 600), portrait_jpeg(1, 480, 600));
    let photos = [PhotoInput { bytes: &aged, kind: PhotoKind::AgeProgressed { to_age: 17 }, taken_on: None, consent_to_publish: true }, photo(&pic)];
    let poster = Poster::from_case(&short_case(), &photos, settings(Language::English, Paper::Letter)).unwrap();
    let text = pdf_of(&poster).text();
    assert!(text.starts_with("ENDANGERED RUNAWAY AGE PROGRESSED"), "{text}");
    assert_has(&text, &["Age progressed to 17", "Sep 3, 2026"]);
    let poster = Poster::from_case(&short_case(), &photos, settings(Language::Spanish, Paper::Letter)).unwrap();
    assert_has(&pdf_of(&poster).text(), &["PROGRESIÓN DE EDAD", "Progresión de edad a los 17 años"]);
}

#[test]
fn companions_and_vehicles_print_only_when_recorded() {
    if !tools("companions_and_vehicles_print_only_when_recorded", &["pdftotext"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let mut case = short_case();
    case.fields.companions.clear();
    case.fields.vehicles.clear();
    case.fields.event.circumstances.clear();
    let text = pdf_of(&poster_of(&case, &pic, settings(Language::English, Paper::Letter))).text();
    assert_lacks(&text, &["COMPANION", "VEHICLE", "Dale", "Ford"]);
    assert_has(&text, &["MISSING FROM Tulsa, OK", "Tulsa Police Department"]);
}

#[test]
fn long_circumstances_end_at_a_word_with_an_ellipsis() {
    if !tools("long_circumstances_end_at_a_word_with_an_ellipsis", &["pdftotext"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let mut case = short_case();
    let long = long_text(4000);
    case.fields.event.circumstances = long.clone();
    let text = pdf_of(&poster_of(&case, &pic, settings(Language::English, Paper::Letter))).text();
    let (before, _) = text.split_once('…').expect("an ellipsis where the circumstances were cut");
    let tail: String = before.chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
    let tail = tail.trim_start_matches(|c: char| c != ' ').trim();
    assert!(long.contains(&format!("{tail} ")), "cut inside a word: {tail:?}");
    assert!(before.len() > 300, "only {} characters of circumstances printed", before.len());
    // The rows after the circumstances still print.
    assert_has(&text, &["COMPANION Dale Brennan", "VEHICLE 2014 Ford Escape"]);
}

#[test]
fn names_in_any_latin_script_extract_as_written() {
    if !tools("names_in_any_latin_script_extract_as_written", &["pdftotext"]) {
        return;
    }
    let pic = portrait_jpeg(4, 480, 600);
    for (given, family) in [
        ("José", "Núñez"),
        ("Nguyễn Thị", "Minh Khai"),
        ("Ngô Bảo", "Châu"),
        ("Abd al-Raḥmān", "ibn ʿUmar"),
        ("Zoë", "Ørsted-Łukasiewicz"),
        ("Çağrı", "Şahin"),
    ] {
        let mut case = short_case();
        case.fields.child.given_name = given.into();
        case.fields.child.middle_name.clear();
        case.fields.child.family_name = family.into();
        for lang in [Language::English, Language::Spanish] {
            let text = pdf_of(&poster_of(&case, &pic, settings(lang, Paper::Letter))).text();
            assert!(text.contains(&format!("{given} {family}")), "{given} {family} not extracted from: {text}");
        }
    }
    // A name typed with combining accents prints composed.
    let mut case = short_case();
    case.fields.child.given_name = "Nguye\u{0302}\u{0303}n".into();
    let text = pdf_of(&poster_of(&case, &pic, settings(Language::English, Paper::Letter))).text();
    assert!(text.contains("Nguyễn Adaeze Okafor"), "{text}");
}

#[test]
fn siblings_share_one_header_and_one_contact_block() {
    if !tools("siblings_share_one_header_and_one_contact_block", &["pdftotext"]) {
        return;
    }
    let photos: Vec<Vec<u8>> = (0..4).map(|i| portrait_jpeg(20 + i, 480, 600)).collect();
    for n in 2..=4 {
        let text = pdf_of(&siblings_poster(n, settings(Language::English, Paper::Letter), &photos)).text();
        assert_eq!(text.matches("FAMILY ABDUCTION").count(), 1, "{text}");
        assert_eq!(text.matches("ANYONE HAVING INFORMATION SHOULD CONTACT").count(), 1);
        for (i, (name, number)) in [("Lucía Fernández", "PL-2611-AB12-CD34"), ("Mateo Fernández", "PL-2611-AB12-CD35"), ("Sofía Fernández", "PL-2611-AB12-CD36"), ("Tomás Fernández", "PL-2611-AB12-CD37")].into_iter().enumerate() {
            assert_eq!(text.contains(name), i < n, "{name} with {n} children: {text}");
            assert_eq!(text.contains(number), i < n, "{number} with {n} children");
        }
        assert_eq!(text.matches("Javier Fernández (non-custodial father)").count(), 1, "the shared companion prints once");
        assert_has(&text, &["El Paso Police Department", "(915) 832-4400", "SEX Female", "SEX Male"]);
    }
    let text = pdf_of(&siblings_poster(3, settings(Language::Spanish, Paper::A4), &photos)).text();
    assert!(text.starts_with("SECUESTRO FAMILIAR"), "{text}");
    assert_has(&text, &["Lucía Fernández", "Mateo Fernández", "Sofía Fernández", "EDAD ACTUAL 11 años", "SEXO Masculino"]);
}

// ---------------------------------------------------------------------------------------------
// Refusals and confidentiality.

#[test]
fn each_refusal_says_why_and_what_to_do() {
    let pic = portrait_jpeg(1, 200, 250);
    let s = || settings(Language::English, Paper::Letter);
    let refuse = |record: CaseRecord, photos: &[PhotoInput<'_>]| Poster::from_case(&record, photos, s()).unwrap_err();

    let no_consent = PhotoInput { consent_to_publish: false, ..photo(&pic) };
    let e = refuse(short_case(), &[no_consent]);
    assert!(matches!(e, PosterError::NoConsentedPhoto { .. }), "{e:?}");
    assert!(e.to_string().contains("consent to publish") && e.to_string().contains("Maya Okafor"), "{e}");
    assert!(matches!(refuse(short_case(), &[]), PosterError::NoConsentedPhoto { .. }));

    let mut case = short_case();
    case.fields.law_enforcement.agency_name = "  ".into();
    let e = refuse(case, &[photo(&pic)]);
    assert!(matches!(e, PosterError::NoAgency { .. }), "{e:?}");
    assert!(e.to_string().contains("Enter the investigating agency"), "{e}");

    let mut case = short_case();
    case.fields.law_enforcement.investigator_phone.clear();
    let e = refuse(case, &[photo(&pic)]);
    assert!(matches!(e, PosterError::NoAgencyPhone { .. }), "{e:?}");
    assert!(e.to_string().contains("phone"), "{e}");

    for status in [CaseStatus::Resolved, CaseStatus::Closed, CaseStatus::LocatedAlive, CaseStatus::LocatedDeceased, CaseStatus::Recovered] {
        let mut case = short_case();
        case.status = status;
        let e = refuse(case, &[photo(&pic)]);
        assert!(matches!(e, PosterError::CaseNotOpen { .. }), "{status:?}: {e:?}");
        assert!(e.to_string().contains(&status.label().to_lowercase()) && e.to_string().contains("Reopen"), "{e}");
    }
    for status in [CaseStatus::Intake, CaseStatus::Active] {
        let mut case = short_case();
        case.status = status;
        assert!(Poster::from_case(&case, &[photo(&pic)], s()).is_ok(), "{status:?} refused");
    }
    let mut case = short_case();
    case.archived_at = Some(case.updated_at);
    assert!(matches!(refuse(case, &[photo(&pic)]), PosterError::CaseNotOpen { .. }));

    let five: Vec<PosterChild> = (0..5).map(|_| PosterChild::from_case(&short_case(), &[photo(&pic)]).unwrap()).collect();
    let e = Poster::new(five, s()).unwrap_err();
    assert_eq!(e, PosterError::ChildCount { count: 5 });
    assert!(e.to_string().contains("1 to 4 children"), "{e}");
    assert_eq!(Poster::new(Vec::new(), s()).unwrap_err(), PosterError::ChildCount { count: 0 });

    let e = Poster::from_case(&short_case(), &[photo(&pic)], PosterSettings { public_base_url: "porchlight.example.org".into(), ..s() }).unwrap_err();
    assert!(matches!(e, PosterError::BaseUrl { .. }) && e.to_string().contains("https://"), "{e}");

    let e = refuse(short_case(), &[photo(b"not an image at all")]);
    assert!(matches!(e, PosterError::Photo { .. }) && e.to_string().contains("JPEG or PNG"), "{e}");
}

/// Unique markers in every confidential field of the case form; none may reach a poster.
const SECRETS: [&str; 6] = [
    "XQZMEDICAL7731",
    "XQZCAREAGENCY4410",
    "XQZSTREETADDR5520",
    "XQZDESTINATION8832",
    "XQZNARRATIVECARE6621",
    "XQZNARRATIVEHEALTH9904",
];

/// A sentence of the circumstances that is fit for the public and must still be printed.
const PUBLIC_SENTENCE: &str = "She was last seen walking toward the river trail.";

fn confidential_case(mut case: CaseRecord) -> CaseRecord {
    let f = &mut case.fields;
    f.description.medical_cautions = format!("Type 1 diabetes, needs insulin daily {}", SECRETS[0]);
    f.missing_from_care = true;
    f.care_agency = format!("Tulsa County Child Welfare Services {}", SECRETS[1]);
    f.event.address = format!("1402 North Elm Street {}", SECRETS[2]);
    f.event.possible_destinations = format!("Her foster placement in Broken Arrow {}", SECRETS[3]);
    // Case managers write the narrative for themselves too: sentences about care or health in it
    // must stay off the poster while the rest is printed.
    f.event.circumstances = format!(
        "She left her foster home {} after school. {PUBLIC_SENTENCE} She needs her insulin every morning {}.",
        SECRETS[4], SECRETS[5]
    );
    case
}

#[test]
fn the_record_text_holds_only_what_the_poster_prints() {
    let record = confidential_case(short_case());
    let poster = poster_of(&record, &portrait_jpeg(1, 480, 600), settings(Language::English, Paper::Letter));
    let text = poster.public_text();
    let child = &poster.children()[0];
    assert!(text.contains(&child.full_name()), "{text}");
    assert!(text.contains(child.case_number()), "{text}");
    assert!(text.contains("1-800-THE-LOST"), "{text}");
    assert!(text.contains(&poster.public_url()), "{text}");
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} in the record text: {text}");
    }
}

#[test]
fn nothing_confidential_reaches_a_poster() {
    if !tools("nothing_confidential_reaches_a_poster", &["pdftotext", "pdfinfo"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let photos: Vec<Vec<u8>> = (0..3).map(|i| portrait_jpeg(30 + i, 480, 600)).collect();
    for lang in [Language::English, Language::Spanish] {
        for paper in [Paper::Letter, Paper::A4] {
            let single = poster_of(&confidential_case(short_case()), &pic, settings(lang, paper));
            let children = siblings(3)
                .into_iter()
                .map(confidential_case)
                .zip(&photos)
                .map(|(r, p)| PosterChild::from_case(&r, &[photo(p)]).unwrap())
                .collect();
            let group = Poster::new(children, settings(lang, paper)).unwrap();
            for poster in [single, group] {
                let bytes = render(&poster, &RenderOptions::default()).unwrap();
                let pdf = Pdf::new(&bytes);
                let text = pdf.text();
                assert!(text.contains("1-800-THE-LOST"), "the poster rendered: {text}");
                let everything = format!("{text}\n{}", pdf.info());
                for secret in SECRETS {
                    assert!(!everything.contains(secret), "{secret} printed on a {lang} {paper} poster");
                    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} in the PDF bytes");
                }
                assert_lacks(&everything, &["insulin", "diabetes", "Child Welfare", "foster", "Elm Street", "Det. Rowan Hale"]);
                let squashed = text.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(squashed.contains("walking toward the river trail"), "the public sentence was dropped: {squashed}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The QR code and the page.

#[test]
fn the_qr_code_opens_the_case_page() {
    if !tools("the_qr_code_opens_the_case_page", &["pdftoppm", "zbarimg"]) {
        return;
    }
    let pic = portrait_jpeg(1, 480, 600);
    let photos: Vec<Vec<u8>> = (0..4).map(|i| portrait_jpeg(20 + i, 480, 600)).collect();
    let cases = [
        (poster_of(&short_case(), &pic, settings(Language::English, Paper::Letter)), "PL-2611-7KQ4-XM2D"),
        (poster_of(&long_case(), &pic, settings(Language::Spanish, Paper::A4)), "PL-2611-ZZZZ-WWWW"),
        (siblings_poster(3, settings(Language::English, Paper::A4), &photos), "PL-2611-AB12-CD34"),
    ];
    for (poster, number) in cases {
        let pdf = pdf_of(&poster);
        let pages = pdf.pages(150);
        assert_eq!(pages.len(), 1);
        assert_eq!(scan_qr(&pages[0].0), vec![format!("{BASE_URL}/cases/{number}")]);
        assert_eq!(poster.public_url(), format!("{BASE_URL}/cases/{number}"));
    }
    // A trailing slash in the configured address does not double up.
    let s = PosterSettings { public_base_url: format!("{BASE_URL}/"), ..settings(Language::English, Paper::Letter) };
    assert_eq!(poster_of(&short_case(), &pic, s).public_url(), format!("{BASE_URL}/cases/PL-2611-7KQ4-XM2D"));
}

/// The posters with the longest inputs the case form accepts, in every layout, language and
/// paper size.
fn longest_posters() -> Vec<(String, Poster)> {
    let photos: Vec<Vec<u8>> = vec![portrait_jpeg(1, 480, 600), portrait_jpeg(2, 600, 600), portrait_png(3, 450, 600), portrait_jpeg(4, 900, 300)];
    let mut out = Vec::new();
    for lang in [Language::English, Language::Spanish] {
        for paper in [Paper::Letter, Paper::A4] {
            let s = || settings(lang, paper);
            let inputs: Vec<PhotoInput<'_>> = photos.iter().map(|p| photo(p)).collect();
            out.push((format!("long, one photo, {lang} {paper}"), Poster::from_case(&long_case(), &inputs[..1], s()).unwrap()));
            out.push((format!("long, wide photo, {lang} {paper}"), Poster::from_case(&long_case(), &inputs[3..], s()).unwrap()));
            out.push((format!("long, three photos, {lang} {paper}"), Poster::from_case(&long_case(), &inputs[..3], s()).unwrap()));
            for n in [2, 3, 4] {
                let children = (0..n).map(|i| PosterChild::from_case(&long_case(), &inputs[i % 4..=i % 4]).unwrap()).collect();
                out.push((format!("long, {n} children, {lang} {paper}"), Poster::new(children, s()).unwrap()));
            }
        }
    }
    out
}

#[test]
fn the_longest_inputs_stay_inside_the_page() {
    if !tools("the_longest_inputs_stay_inside_the_page", &["pdftotext", "pdftoppm"]) {
        return;
    }
    let long = long_case();
    let c = &long.fields.child;
    let full_name = no_space(&format!("{} {} {}", c.given_name, c.middle_name, c.family_name));
    let place = no_space(&format!("{}, {}", long.fields.event.city, long.fields.event.state));
    let agency = no_space(&long.fields.law_enforcement.agency_name);
    for (label, poster) in longest_posters() {
        let pdf = pdf_of(&poster);
        let (w, h, words) = pdf.words();
        // The layout keeps a margin of 5% of the page width; nothing may cross it.
        let margin = (w * 0.05).round() - 1.5;
        for word in &words {
            assert!(
                word.x0 >= margin && word.x1 <= w - margin && word.y0 >= margin && word.y1 <= h - margin,
                "{label}: {word:?} crosses the margin"
            );
        }
        // No two words are printed over each other.
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                let ix = (a.x1.min(b.x1) - a.x0.max(b.x0)).max(0.0);
                let iy = (a.y1.min(b.y1) - a.y0.max(b.y0)).max(0.0);
                let smaller = ((a.x1 - a.x0) * (a.y1 - a.y0)).min((b.x1 - b.x0) * (b.y1 - b.y0));
                assert!(ix * iy <= 0.25 * smaller, "{label}: \"{}\" overlaps \"{}\" ({a:?}, {b:?})", a.text, b.text);
            }
        }
        // The whole name, place and agency print, however long.
        let text = no_space(&pdf.drawn_text());
        for (what, wanted) in [("name", &full_name), ("place", &place), ("agency", &agency)] {
            assert!(text.contains(wanted.as_str()), "{label}: the {what} was cut: {text}");
        }
        // The outer strip of the page image is blank paper, and there is a poster inside it.
        let (_, page) = &pdf.pages(40)[0];
        let strip = (margin / 72.0 * 40.0 * 0.8) as u32;
        let (pw, ph) = page.dimensions();
        let mut ink_inside = 0u32;
        for (x, y, p) in page.enumerate_pixels() {
            let outside = x < strip || y < strip || x >= pw - strip || y >= ph - strip;
            if outside {
                assert!(p.0[0] >= 250, "{label}: ink at ({x}, {y}) in the margin");
            } else if p.0[0] < 200 {
                ink_inside += 1;
            }
        }
        assert!(ink_inside > pw * ph / 10, "{label}: the page is nearly empty");
    }
}

#[test]
fn photos_are_embedded_at_print_size() {
    if !tools("photos_are_embedded_at_print_size", &["pdfimages"]) {
        return;
    }
    let (big, png) = (portrait_jpeg(5, 2000, 2500), portrait_png(6, 1200, 1200));
    let photos = [photo(&big), photo(&png)];
    let poster = Poster::from_case(&short_case(), &photos, settings(Language::English, Paper::Letter)).unwrap();
    let bytes = render(&poster, &RenderOptions::default()).unwrap();
    assert!(bytes.len() < 250_000, "{} bytes", bytes.len());
    let list = Pdf::new(&bytes).run("pdfimages", &["-list"]);
    let rows: Vec<Vec<&str>> = list.lines().skip(2).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows.len(), 2, "{list}");
    for row in rows {
        let (w, h): (u32, u32) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        assert!(w.max(h) == 600, "{list}");
        assert_eq!(row[8], "jpeg", "{list}");
    }
}

// ---------------------------------------------------------------------------------------------
// Many posters.

#[test]
fn many_posters_make_one_document_or_one_each() {
    if !tools("many_posters_make_one_document_or_one_each", &["pdftotext", "pdfinfo"]) {
        return;
    }
    let photos: Vec<Vec<u8>> = (0..4).map(|i| portrait_jpeg(40 + i, 480, 600)).collect();
    let mut posters = vec![
        poster_of(&short_case(), &photos[0], settings(Language::English, Paper::Letter)),
        poster_of(&long_case(), &photos[1], settings(Language::Spanish, Paper::Letter)),
        siblings_poster(2, settings(Language::English, Paper::Letter), &photos),
    ];
    let all = Pdf::new(&render_many(&posters, &RenderOptions::default()).unwrap());
    assert!(all.info().contains("Pages:           3"), "{}", all.info());
    let text = all.text();
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("PL-2611-7KQ4-XM2D") < at("PL-2611-ZZZZ-WWWW") && at("PL-2611-ZZZZ-WWWW") < at("PL-2611-AB12-CD34"));
    assert!(matches!(render_many(&[], &RenderOptions::default()), Err(PosterError::ChildCount { count: 0 })));

    posters.push(poster_of(&short_case(), &photos[3], settings(Language::Spanish, Paper::A4)));
    let each = render_each(&posters, &RenderOptions { threads: 2, ..Default::default() });
    assert_eq!(each.len(), 4);
    for (result, number) in each.iter().zip(["PL-2611-7KQ4-XM2D", "PL-2611-ZZZZ-WWWW", "PL-2611-AB12-CD34", "PL-2611-7KQ4-XM2D"]) {
        let pdf = Pdf::new(result.as_ref().unwrap());
        assert!(pdf.info().contains("Pages:           1"));
        assert!(pdf.text().contains(number), "results out of order");
    }

    let cancel = AtomicBool::new(true);
    let seen = AtomicUsize::new(0);
    let cancelled = render_each_with(&posters, &RenderOptions::default(), &cancel, &|n| {
        seen.fetch_max(n, Ordering::Relaxed);
    });
    assert!(cancelled.iter().all(|r| matches!(r, Err(PosterError::Cancelled))));
    assert_eq!(seen.load(Ordering::Relaxed), 4, "progress is reported for every poster");
}

#[test]
fn the_same_poster_renders_to_the_same_bytes() {
    let pic = portrait_jpeg(1, 480, 600);
    let poster = poster_of(&short_case(), &pic, settings(Language::English, Paper::Letter));
    let a = render(&poster, &RenderOptions::default()).unwrap();
    let b = render(&poster, &RenderOptions::default()).unwrap();
    assert!(a.len() > 10_000);
    assert!(a.len() < 120_000, "{} bytes: fonts not subset?", a.len());
    // Subset tags and ids may differ between runs; the size and the text may not.
    assert_eq!(a.len(), b.len());
}

#[test]
fn the_longest_case_is_one_the_case_form_accepts() {
    // The layout checks above are only meaningful if these inputs are the real limits.
    let now = date(2026, 11, 21).and_hms_opt(12, 0, 0).unwrap();
    let valid = long_case().fields.validate(now).unwrap_or_else(|e| panic!("{e:?}"));
    let c = &valid.fields().child;
    for name in [&c.given_name, &c.middle_name, &c.family_name] {
        assert!(name.chars().count() >= 78, "{name} is not near the 80-character limit");
    }
    assert!(valid.fields().event.city.chars().count() >= 190);
    assert!(valid.fields().law_enforcement.agency_name.chars().count() >= 190);
    assert!(valid.fields().event.circumstances.chars().count() >= 3990);
    assert!(short_case().fields.validate(now).is_ok());
    for s in siblings(4) {
        assert!(s.fields.validate(now).is_ok());
    }
}
