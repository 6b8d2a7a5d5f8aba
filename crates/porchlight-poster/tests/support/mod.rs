//! Synthetic cases and generated portraits for the poster tests, the samples example and the
//! benchmark. Every name, place and number here is invented; no photo shows a real person.

#![allow(dead_code)]

use chrono::{NaiveDate, TimeZone, Utc};
use porchlight_domain::{
    CaseFields, CaseId, CaseRecord, CaseStatus, CaseType, ChildFields, CompanionFields, DescriptionFields, EventFields,
    EyeColor, HairColor, LawEnforcementFields, Moment, Race, Sex, Units, VehicleFields,
};
use porchlight_poster::{Language, Paper, PhotoInput, PhotoKind, PosterSettings};

pub const BASE_URL: &str = "https://porchlight.example.org";

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn moment_on(d: NaiveDate) -> Moment {
    Moment::at_utc(Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap()))
}

pub fn settings(language: Language, paper: Paper) -> PosterSettings {
    PosterSettings::new(language, paper, BASE_URL, &moment_on(date(2026, 11, 21)))
}

/// A generated head-and-shoulders picture: a backdrop, shoulders in a shirt, a face with eyes
/// and hair. Different seeds give different colours, so posters in a batch do not look alike.
pub fn portrait_rgb(seed: u32, w: u32, h: u32) -> image::RgbImage {
    let pick = |k: u32, n: u32| (seed.wrapping_mul(2_654_435_761).rotate_left(k * 7) % n) as usize;
    let backdrops = [[196, 208, 222], [214, 204, 188], [190, 214, 196], [224, 224, 228]];
    let skins = [[241, 204, 171], [198, 150, 112], [141, 94, 62], [224, 172, 130], [96, 64, 44]];
    let hairs = [[40, 28, 20], [92, 56, 30], [170, 120, 60], [20, 20, 22], [150, 60, 30]];
    let shirts = [[40, 80, 160], [170, 40, 50], [50, 120, 80], [230, 180, 40], [90, 90, 100]];
    let (bg, skin, hair, shirt) = (backdrops[pick(1, 4)], skins[pick(2, 5)], hairs[pick(3, 5)], shirts[pick(4, 5)]);
    let (wf, hf) = (w as f32, h as f32);
    let (cx, cy) = (wf * 0.5, hf * 0.42);
    let (rx, ry) = (wf * 0.2, hf * 0.2);
    image::RgbImage::from_fn(w, h, |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let shade = 1.0 - 0.25 * (yf / hf);
        let mut px = bg.map(|c| (c as f32 * shade) as u8);
        // Shoulders: a wide ellipse rising from the bottom edge.
        let sx = (xf - cx) / (wf * 0.46);
        let sy = (yf - hf * 1.05) / (hf * 0.36);
        if sx * sx + sy * sy < 1.0 {
            px = shirt;
        }
        // Neck.
        if (xf - cx).abs() < wf * 0.07 && yf > cy && yf < hf * 0.72 {
            px = skin.map(|c| (c as f32 * 0.9) as u8);
        }
        let dx = (xf - cx) / rx;
        let dy = (yf - cy) / ry;
        let face = dx * dx + dy * dy;
        // Hair: a slightly larger ellipse behind and above the face.
        let hx = (xf - cx) / (rx * 1.12);
        let hy = (yf - (cy - ry * 0.12)) / (ry * 1.1);
        if hx * hx + hy * hy < 1.0 && yf < cy + ry * 0.2 {
            px = hair;
        }
        if face < 1.0 && !(yf < cy - ry * 0.55 && face > 0.45) {
            px = skin;
            let eye = |ex: f32| ((xf - ex).powi(2) + (yf - (cy - ry * 0.1)).powi(2)).sqrt() < wf * 0.018;
            if eye(cx - rx * 0.38) || eye(cx + rx * 0.38) {
                px = [30, 30, 36];
            }
            let mouth = (xf - cx).abs() < rx * 0.3 && (yf - (cy + ry * 0.45)).abs() < hf * 0.006;
            if mouth {
                px = [150, 70, 70];
            }
        }
        image::Rgb(px)
    })
}

pub fn portrait_jpeg(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88).encode_image(&portrait_rgb(seed, w, h)).unwrap();
    out
}

pub fn portrait_png(seed: u32, w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    portrait_rgb(seed, w, h).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

pub fn photo(bytes: &[u8]) -> PhotoInput<'_> {
    PhotoInput { bytes, kind: PhotoKind::Child, taken_on: Some(date(2026, 9, 3)), consent_to_publish: true }
}

pub fn record(case_number: &str, fields: CaseFields) -> CaseRecord {
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    CaseRecord {
        id: CaseId::new(at),
        case_number: case_number.into(),
        status: CaseStatus::Active,
        version: 1,
        created_at: at,
        updated_at: at,
        archived_at: None,
        fields,
    }
}

fn police(agency: &str, phone: &str) -> LawEnforcementFields {
    LawEnforcementFields {
        agency_name: agency.into(),
        ori: "OK0720100".into(),
        agency_case_number: "26-118734".into(),
        investigator_name: "Det. Rowan Hale".into(),
        investigator_phone: phone.into(),
        ncic_number: "M123456789".into(),
    }
}

/// A typical case with every public field filled in.
pub fn short_case() -> CaseRecord {
    record(
        "PL-2611-7KQ4-XM2D",
        CaseFields {
            case_type: Some(CaseType::EndangeredRunaway),
            child: ChildFields {
                given_name: "Maya".into(),
                middle_name: "Adaeze".into(),
                family_name: "Okafor".into(),
                nicknames: "Mimi".into(),
                date_of_birth: "2011-04-02".into(),
                sex: Some(Sex::Female),
                race: Some(Race::Black),
                hispanic_latino: Some(false),
                ..Default::default()
            },
            description: DescriptionFields {
                height_cm: Some(62.0 * 2.54),
                weight_kg: Some(110.0 * 0.453_592_37),
                units: Units::Imperial,
                hair: Some(HairColor::Red),
                eyes: Some(EyeColor::Hazel),
                ..Default::default()
            },
            event: EventFields {
                last_seen_date: "2026-11-19".into(),
                last_seen_time: "16:45".into(),
                city: "Tulsa".into(),
                state: "OK".into(),
                country: "US".into(),
                circumstances: "Maya was last seen leaving Riverside Middle School on foot. She may be travelling to Oklahoma City.".into(),
                ..Default::default()
            },
            companions: vec![CompanionFields {
                name: "Dale Brennan".into(),
                relationship: "adult acquaintance".into(),
                date_of_birth: "1990-05-01".into(),
                description: "tall, short grey beard".into(),
            }],
            vehicles: vec![VehicleFields {
                year: Some(2014),
                make: "Ford".into(),
                model: "Escape".into(),
                style: "SUV".into(),
                color: "silver".into(),
                plate: "KLM4821".into(),
                plate_state: "OK".into(),
                vin: "1FMCU0GX5EUA12345".into(),
            }],
            law_enforcement: police("Tulsa Police Department", "(918) 596-9222"),
            ..Default::default()
        },
    )
}

/// A sentence of the given length in characters, from a fixed stock of words, ending in a full
/// stop. Used for the longest circumstances the form allows.
pub fn long_text(chars: usize) -> String {
    let stock = "she was last seen near the bus station wearing a dark green hoodie with white lettering and may be travelling with friends toward the coast where relatives once lived";
    let mut out = String::new();
    for w in stock.split(' ').cycle() {
        if out.len() + w.len() + 2 > chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.push('.');
    out
}

/// The longest inputs the case form accepts: 80-character names, 200-character places and
/// agency, 4,000 characters of circumstances, ten companions and five vehicles.
pub fn long_case() -> CaseRecord {
    let mut r = short_case();
    r.case_number = "PL-2611-ZZZZ-WWWW".into();
    let f = &mut r.fields;
    f.case_type = Some(CaseType::NonfamilyAbduction);
    f.child.given_name = "Maximiliano Alejandro Guadalupe Santiago Ñuñez-Íñiguez de la Santísima Trinidad".into();
    f.child.middle_name = "Nguyễn Thị Minh Khai Abd al-Raḥmān Jean-Baptiste Zoë Ørsted-Łukasiewicz Oyelaran".into();
    f.child.family_name = "Wolfeschlegelsteinhausenbergerdorff-Montgomery-Castellanos y de Villalobos Muñoz".into();
    f.child.nicknames = "Maxi, Santi, Alejandro the Younger, Little Trini, Guadalupito, Max Power, El Flaco".into();
    f.child.sex = Some(Sex::Unknown);
    f.child.race = Some(Race::AmericanIndianAlaskaNative);
    f.child.hispanic_latino = Some(true);
    f.event.city = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch-on-the-Hudson Heights Unincorporated Township of Greater Saint Augustine-by-the-Sea North Riverside Extension Village Northeast Quarter".into();
    f.event.state = "NM".into();
    f.event.circumstances = long_text(4000);
    f.companions = (0..10)
        .map(|i| CompanionFields {
            name: format!("Bartholomew Montgomery-Castellanos {}", ["Jr", "Sr", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"][i]),
            relationship: "unknown adult male, possibly a distant relative of the family".into(),
            date_of_birth: String::new(),
            description: long_text(300),
        })
        .collect();
    f.vehicles = (0..5)
        .map(|i| VehicleFields {
            year: Some(2001 + i),
            make: "Mercedes-Benz Commercial Vehicles Division".into(),
            model: "Sprinter 3500 High Roof Extended Passenger Van".into(),
            style: "Extended cargo van with ladder rack".into(),
            color: "two-tone burgundy over champagne metallic".into(),
            plate: "ABC-1234".into(),
            plate_state: "NM".into(),
            vin: String::new(),
        })
        .collect();
    f.law_enforcement.agency_name = "Bernalillo County Sheriff's Office Criminal Investigations Division, Crimes Against Children Unit, Missing and Exploited Persons Task Force (Northwest Regional Substation, Albuquerque Metro Area)".into();
    f.law_enforcement.investigator_phone = "(505) 468-7100 ext. 204531".into();
    r
}

/// Siblings taken together in a family abduction: `n` children, one case each.
pub fn siblings(n: usize) -> Vec<CaseRecord> {
    let kids = [
        ("Lucía", "Fernández", "2015-06-14", Sex::Female),
        ("Mateo", "Fernández", "2017-02-03", Sex::Male),
        ("Sofía", "Fernández", "2019-10-28", Sex::Female),
        ("Tomás", "Fernández", "2021-01-09", Sex::Male),
    ];
    let numbers = ["PL-2611-AB12-CD34", "PL-2611-AB12-CD35", "PL-2611-AB12-CD36", "PL-2611-AB12-CD37"];
    (0..n)
        .map(|i| {
            let (given, family, dob, sex) = kids[i];
            record(
                numbers[i],
                CaseFields {
                    case_type: Some(CaseType::FamilyAbduction),
                    child: ChildFields {
                        given_name: given.into(),
                        family_name: family.into(),
                        date_of_birth: dob.into(),
                        sex: Some(sex),
                        race: Some(Race::White),
                        hispanic_latino: Some(true),
                        ..Default::default()
                    },
                    description: DescriptionFields {
                        height_cm: Some(100.0 + 12.0 * (3 - i) as f64),
                        weight_kg: Some(16.0 + 5.0 * (3 - i) as f64),
                        hair: Some(HairColor::Brown),
                        eyes: Some(EyeColor::Brown),
                        ..Default::default()
                    },
                    event: EventFields {
                        last_seen_date: "2026-10-30".into(),
                        city: "El Paso".into(),
                        state: "TX".into(),
                        country: "US".into(),
                        circumstances: "The children were taken by their non-custodial father after a weekend visit. They may be in Chihuahua, Mexico.".into(),
                        ..Default::default()
                    },
                    companions: vec![CompanionFields {
                        name: "Javier Fernández".into(),
                        relationship: "non-custodial father".into(),
                        date_of_birth: "1986-03-02".into(),
                        description: "5'10\", black hair, tattoo of a rose on the left forearm".into(),
                    }],
                    vehicles: vec![VehicleFields {
                        year: Some(2019),
                        make: "Chevrolet".into(),
                        model: "Silverado".into(),
                        style: "pickup".into(),
                        color: "white".into(),
                        plate: "HTR5521".into(),
                        plate_state: "TX".into(),
                        vin: String::new(),
                    }],
                    law_enforcement: police("El Paso Police Department", "(915) 832-4400"),
                    ..Default::default()
                },
            )
        })
        .collect()
}
