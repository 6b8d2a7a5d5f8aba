//! One generated case's fields: the case type in the proportions the organisation reports, a
//! child whose age fits it, the event, companions, vehicles and the law-enforcement contact.
//! Every value is chosen so that the case passes `CaseFields::validate`; statuses are not set
//! here, because the store decides them.

use crate::people::{self, Heritage};
use crate::places::{City, CITIES, LANDMARKS, STREETS};
use crate::rng::Rng;
use crate::story;
use chrono::{Datelike, Days, Months, NaiveDate};
use porchlight_domain::case::age_on;
use porchlight_domain::{
    CaseFields, CaseType, ChildFields, HairColor, CompanionFields, DescriptionFields, EventFields, LawEnforcementFields, NcicCategory,
    Sex, Units, VehicleFields,
};

/// The case-type mix from the organisation's public figures: 91 % endangered runaways, 5 %
/// family abductions, 3 % critically missing young adults, under 1 % nonfamily abductions and
/// 1 % lost, injured or otherwise missing.
const CASE_TYPES: &[(CaseType, u32)] = &[
    (CaseType::EndangeredRunaway, 9100),
    (CaseType::FamilyAbduction, 500),
    (CaseType::CriticallyMissingYoungAdult, 300),
    (CaseType::NonfamilyAbduction, 40),
    (CaseType::LostInjuredMissing, 100),
];

/// Chance of being missing from care by case type, chosen so that about 22,442 of 28,886
/// (78 %) of all cases are, as in the organisation's figures.
fn from_care_chance(t: CaseType) -> f64 {
    match t {
        CaseType::EndangeredRunaway => 0.815,
        CaseType::FamilyAbduction => 0.35,
        CaseType::CriticallyMissingYoungAdult => 0.45,
        CaseType::NonfamilyAbduction => 0.30,
        CaseType::LostInjuredMissing => 0.50,
    }
}

fn age_for(rng: &mut Rng, t: CaseType) -> u32 {
    match t {
        CaseType::EndangeredRunaway => *rng.weighted(&[(11, 2), (12, 4), (13, 10), (14, 16), (15, 24), (16, 26), (17, 18)]),
        CaseType::FamilyAbduction => *rng.weighted(&[(0, 4), (1, 8), (2, 9), (3, 9), (4, 9), (5, 8), (6, 8), (7, 7), (8, 7), (9, 6), (10, 6), (11, 5), (12, 5), (13, 4), (14, 3), (15, 2), (16, 1)]),
        CaseType::NonfamilyAbduction => rng.range(3, 17) as u32,
        CaseType::LostInjuredMissing => *rng.weighted(&[(1, 6), (2, 8), (3, 8), (4, 7), (5, 6), (6, 5), (7, 5), (8, 4), (9, 4), (10, 3), (11, 3), (12, 3), (13, 3), (14, 3), (15, 3), (16, 3), (17, 3)]),
        CaseType::CriticallyMissingYoungAdult => rng.range(18, 20) as u32,
    }
}

fn sex_for(rng: &mut Rng, t: CaseType) -> Sex {
    let female = if t == CaseType::EndangeredRunaway { 58 } else { 50 };
    *rng.weighted(&[(Sex::Female, female), (Sex::Male, 99 - female), (Sex::Unknown, 1)])
}

fn ncic_category(rng: &mut Rng, t: CaseType, has_medical: bool) -> Option<NcicCategory> {
    use NcicCategory::*;
    if rng.chance(0.08) {
        return None;
    }
    Some(match t {
        CaseType::EndangeredRunaway => *rng.weighted(&[(Juvenile, 70), (Endangered, 28), (Disability, if has_medical { 6 } else { 1 })]),
        CaseType::FamilyAbduction => *rng.weighted(&[(Involuntary, 55), (Endangered, 40), (Juvenile, 5)]),
        CaseType::NonfamilyAbduction => *rng.weighted(&[(Involuntary, 80), (Endangered, 20)]),
        CaseType::LostInjuredMissing => *rng.weighted(&[(Endangered, 40), (Disability, if has_medical { 40 } else { 10 }), (CatastropheVictim, 5), (Other, 20)]),
        CaseType::CriticallyMissingYoungAdult => *rng.weighted(&[(Endangered, 60), (Disability, if has_medical { 30 } else { 5 }), (Other, 20)]),
    })
}

/// How long ago the child went missing: most cases are recent, some go back years (the ones
/// that later get age-progressed photos).
fn days_missing(rng: &mut Rng) -> u64 {
    let r = rng.unit();
    if r < 0.70 {
        rng.range(1, 365) as u64
    } else if r < 0.90 {
        rng.range(366, 3 * 365) as u64
    } else {
        rng.range(3 * 365 + 1, 15 * 365) as u64
    }
}

/// A birth date that makes the child exactly `age` on `on`.
pub(crate) fn birth_date_for(rng: &mut Rng, age: u32, on: NaiveDate) -> NaiveDate {
    let latest = on.checked_sub_months(Months::new(12 * age)).unwrap_or(on);
    let earliest = on.checked_sub_months(Months::new(12 * (age + 1))).unwrap_or(latest) + Days::new(1);
    let span = (latest - earliest).num_days().max(0) as u64;
    let born = earliest + Days::new(rng.below(span + 1));
    // Leap days can shift the window by one; fall back to the safe end if they do.
    if age_on(born, on) == age { born } else { latest }
}

fn county_name(city: &City) -> String {
    match city.state {
        "LA" => format!("{} Parish", city.county),
        "DC" | "PR" | "AK" => city.county.to_owned(),
        _ if city.county.ends_with("City") => city.county.to_owned(),
        _ => format!("{} County", city.county),
    }
}

fn pick_city(rng: &mut Rng) -> &'static City {
    let total: u32 = CITIES.iter().map(|c| c.weight).sum();
    let mut roll = rng.below(u64::from(total)) as u32;
    for c in CITIES {
        if roll < c.weight {
            return c;
        }
        roll -= c.weight;
    }
    &CITIES[0]
}

const VIN_CHARS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

fn vin(rng: &mut Rng) -> String {
    (0..17).map(|_| char::from(rng.pick(VIN_CHARS))).collect()
}

fn plate(rng: &mut Rng) -> String {
    let letters: String = (0..3).map(|_| char::from(b'A' + rng.below(26) as u8)).collect();
    match rng.below(3) {
        0 => format!("{letters}-{}", rng.digits(4)),
        1 => format!("{}{letters}{}", rng.digits(1), rng.digits(3)),
        _ => format!("{letters} {}", rng.digits(3)),
    }
}

fn vehicle(rng: &mut Rng, state: &str, today: NaiveDate) -> VehicleFields {
    let (make, model, style) = rng.pick(story::MAKES_MODELS);
    let year = rng.range(i64::from(today.year()) - 22, i64::from(today.year())) as i32;
    VehicleFields {
        year: if rng.chance(0.9) { Some(year) } else { None },
        make: make.into(),
        model: model.into(),
        style: style.into(),
        color: (rng.pick(story::VEHICLE_COLOURS)).into(),
        plate: if rng.chance(0.8) { plate(rng) } else { String::new() },
        plate_state: if rng.chance(0.85) { state.into() } else { (rng.pick(&["TX", "CA", "AZ", "FL", "GA", "NM"])).into() },
        vin: if rng.chance(0.4) { vin(rng) } else { String::new() },
    }
}

fn adult_birth_date(rng: &mut Rng, on: NaiveDate, lo: u32, hi: u32) -> String {
    let age = rng.range(i64::from(lo), i64::from(hi)) as u32;
    birth_date_for(rng, age, on).format("%Y-%m-%d").to_string()
}

fn companions(rng: &mut Rng, t: CaseType, h: &'static Heritage, child_family: &str, child_age: u32, missing: NaiveDate) -> Vec<CompanionFields> {
    let mut out = Vec::new();
    match t {
        CaseType::FamilyAbduction => {
            let (relationship, sex) = *rng.weighted(&[
                (("non-custodial father", Sex::Male), 45),
                (("non-custodial mother", Sex::Female), 40),
                (("maternal grandmother", Sex::Female), 8),
                (("paternal uncle", Sex::Male), 7),
            ]);
            let given = people::given_name(rng, h, sex);
            let family = if rng.chance(0.7) { child_family.to_owned() } else { people::name(rng, h, sex).family };
            out.push(CompanionFields {
                name: format!("{given} {family}"),
                relationship: relationship.into(),
                // A parent or uncle is 18 to 42 years older than the child, a grandparent 38 to 60.
                date_of_birth: if relationship.contains("grand") {
                    adult_birth_date(rng, missing, child_age + 38, child_age + 60)
                } else {
                    adult_birth_date(rng, missing, child_age + 18, child_age + 42)
                },
                description: story::companion_description(rng, sex == Sex::Male),
            });
            if rng.chance(0.2) {
                let partner = if sex == Sex::Male { Sex::Female } else { Sex::Male };
                out.push(CompanionFields {
                    name: people::any_adult_name(rng, partner),
                    relationship: if partner == Sex::Male { "mother's boyfriend" } else { "father's girlfriend" }.into(),
                    date_of_birth: String::new(),
                    description: story::companion_description(rng, partner == Sex::Male),
                });
            }
        }
        CaseType::NonfamilyAbduction if rng.chance(0.75) => {
            let male = rng.chance(0.85);
            let known = rng.chance(0.3);
            out.push(CompanionFields {
                name: if known { people::any_adult_name(rng, if male { Sex::Male } else { Sex::Female }) } else { "Unknown".into() },
                relationship: if known { "acquaintance met online".into() } else if male { "unknown adult male".into() } else { "unknown adult female".into() },
                date_of_birth: if known && rng.chance(0.5) { adult_birth_date(rng, missing, 19, 45) } else { String::new() },
                description: story::companion_description(rng, male),
            });
        }
        CaseType::EndangeredRunaway | CaseType::CriticallyMissingYoungAdult if rng.chance(0.1) => {
            let male = rng.chance(0.6);
            out.push(CompanionFields {
                name: people::any_adult_name(rng, if male { Sex::Male } else { Sex::Female }),
                relationship: if male { rng.pick(&["boyfriend", "friend", "older acquaintance"]) } else { rng.pick(&["girlfriend", "friend", "older acquaintance"]) }.into(),
                date_of_birth: adult_birth_date(rng, missing, 15, 24),
                description: story::companion_description(rng, male),
            });
        }
        _ => {}
    }
    out
}

/// Dyed hair is for teenagers; a younger child with a dyed colour drawn gets brown instead.
fn hair(rng: &mut Rng, h: &'static Heritage, age: u32) -> HairColor {
    let colour = *rng.weighted(h.hair);
    let dyed = matches!(colour, HairColor::Blue | HairColor::Green | HairColor::Orange | HairColor::Purple | HairColor::Pink);
    if dyed && age < 12 { HairColor::Brown } else { colour }
}

const NICKNAMES: &[&str] = &["Mimi", "JJ", "Boo", "Sunny", "Tink", "Junior", "Peanut", "Bug", "Lil Man", "Chuy", "Nena", "Ky", "Dre", "Bee"];

/// The fields of case number `index` of the run `seed`, as of `today`.
pub fn case_fields(seed: u64, index: u64, today: NaiveDate) -> CaseFields {
    let mut rng = Rng::for_item(seed, index, 0);
    let case_type = *rng.weighted(CASE_TYPES);
    let age = age_for(&mut rng, case_type);
    let sex = sex_for(&mut rng, case_type);
    let heritage = people::heritage(&mut rng);
    let name = people::name(&mut rng, heritage, sex);

    let missing = today - Days::new(days_missing(&mut rng));
    let born = birth_date_for(&mut rng, age, missing);
    let estimated = rng.chance(0.02);
    let city = pick_city(&mut rng);
    let county = county_name(city);
    let missing_from_care = rng.chance(from_care_chance(case_type));

    let (height, weight) = people::build(&mut rng, age, sex);
    let medical = story::medical(&mut rng);
    let companions = companions(&mut rng, case_type, heritage, &name.family, age, missing);
    let with = companions.first().map(|c| c.relationship.clone());
    let landmark = rng.pick(LANDMARKS);
    let telling = story::Telling {
        case_type,
        who: name.given,
        place: city.name,
        landmark,
        with: with.as_deref(),
        in_care: missing_from_care,
        days_missing: (today - missing).num_days(),
    };
    let circumstances = story::circumstances(&mut rng, &telling);

    let vehicle_chance = match case_type {
        CaseType::FamilyAbduction => 0.5,
        CaseType::NonfamilyAbduction => 0.6,
        CaseType::CriticallyMissingYoungAdult => 0.2,
        CaseType::EndangeredRunaway => 0.04,
        CaseType::LostInjuredMissing => 0.0,
    };
    let vehicles = if rng.chance(vehicle_chance) { vec![vehicle(&mut rng, city.state, today)] } else { Vec::new() };

    let time = if rng.chance(0.85) { format!("{:02}:{:02}", rng.range(0, 23), rng.range(0, 59)) } else { String::new() };
    let amber_chance = match case_type {
        CaseType::NonfamilyAbduction => 0.5,
        CaseType::FamilyAbduction => 0.15,
        _ => 0.0,
    };
    let amber_alert = rng.chance(amber_chance);
    // An alert goes out a few hours after the report, on the day the child went missing; the
    // last-seen date is never today, so the alert is never in the future.
    let amber_alert_issued_at = if amber_alert && rng.chance(0.9) {
        let (h, m) = time.split_once(':').map(|(h, m)| (h.parse::<i64>().unwrap_or(18), m.parse::<i64>().unwrap_or(0))).unwrap_or((18, 0));
        let hour = (h + rng.range(1, 6)).min(23);
        format!("{}T{:02}:{:02}", missing.format("%Y-%m-%d"), hour, m)
    } else {
        String::new()
    };

    let le_heritage = people::heritage(&mut rng);
    let sheriff = rng.chance(0.25);
    let agency_name = if sheriff { format!("{county} Sheriff's Office") } else { format!("{} Police Department", city.name) };
    let investigator = if rng.chance(0.9) {
        let rank = rng.pick(&["Det.", "Det.", "Sgt.", "Officer", "Inv.", "Lt."]);
        let sex = if rng.chance(0.5) { Sex::Female } else { Sex::Male };
        format!("{rank} {}", people::adult_name(&mut rng, le_heritage, sex))
    } else {
        String::new()
    };
    // 555-0100 to 555-0199 are set aside for fiction in every North American area code.
    let investigator_phone = format!("({}) 555-01{}", city.area_code, rng.digits(2));
    let law_enforcement = LawEnforcementFields {
        agency_name,
        ori: format!("{}{}", city.state, rng.digits(7)),
        agency_case_number: format!("{}-{}", missing.format("%y"), rng.digits(6)),
        investigator_name: investigator,
        investigator_phone,
        ncic_number: if rng.chance(0.8) { format!("M{}", rng.digits(9)) } else { String::new() },
    };

    let nicknames = if rng.chance(0.15) {
        let mut n = vec![rng.pick(NICKNAMES)];
        if rng.chance(0.3) {
            n.push(people::given_name(&mut rng, heritage, sex));
        }
        n.dedup();
        n.join(", ")
    } else {
        String::new()
    };
    let hispanic_latino = if rng.chance(0.05) { None } else { Some(rng.below(100) < u64::from(heritage.hispanic)) };
    let address = if rng.chance(0.7) { format!("{} {}", rng.range(1, 9899), rng.pick(STREETS)) } else { String::new() };
    let possible_destinations = if rng.chance(0.3) {
        let elsewhere = pick_city(&mut rng);
        format!("Possibly {}, {}", elsewhere.name, elsewhere.state)
    } else {
        String::new()
    };
    let teen = age >= 10;

    CaseFields {
        case_type: Some(case_type),
        ncic_category: ncic_category(&mut rng, case_type, !medical.is_empty()),
        missing_from_care,
        care_agency: if missing_from_care { story::care_agency(&mut rng, city.county) } else { String::new() },
        amber_alert,
        amber_alert_issued_at,
        child: ChildFields {
            given_name: name.given.into(),
            middle_name: name.middle.into(),
            family_name: name.family,
            nicknames,
            date_of_birth: if estimated { String::new() } else { born.format("%Y-%m-%d").to_string() },
            estimated_age: if estimated { Some(age as u8) } else { None },
            sex: Some(sex),
            race: Some(*rng.weighted(heritage.races)),
            hispanic_latino,
        },
        description: DescriptionFields {
            height_cm: if rng.chance(0.95) { Some(height) } else { None },
            weight_kg: if rng.chance(0.92) { Some(weight) } else { None },
            units: if rng.chance(0.85) { Units::Imperial } else { Units::Metric },
            hair: Some(hair(&mut rng, heritage, age)),
            eyes: Some(*rng.weighted(heritage.eyes)),
            skin: Some(*rng.weighted(heritage.skin)),
            scars_marks_tattoos: story::marks(&mut rng, age),
            glasses: rng.chance(0.12),
            braces: teen && rng.chance(0.1),
            clothing: if rng.chance(0.8) { story::clothing(&mut rng, sex == Sex::Female) } else { String::new() },
            medical_cautions: medical,
        },
        event: EventFields {
            last_seen_date: missing.format("%Y-%m-%d").to_string(),
            last_seen_time: time,
            address,
            city: city.name.into(),
            county,
            state: city.state.into(),
            country: "US".into(),
            possible_destinations,
            circumstances,
        },
        companions,
        vehicles,
        law_enforcement,
    }
}
