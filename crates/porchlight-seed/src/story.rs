//! The words of generated cases: what the child wore, marks that identify them, medical
//! cautions, and the circumstances narrative, built from templates so that every case reads a
//! little differently. Everything here is invented.

use crate::rng::Rng;
use porchlight_domain::CaseType;

const COLOURS: &[&str] = &["black", "grey", "navy blue", "white", "red", "maroon", "olive green", "light blue", "pink", "yellow", "purple", "tan", "orange"];
const TOPS: &[&str] = &["hooded sweatshirt", "T-shirt", "puffer jacket", "denim jacket", "school polo shirt", "flannel shirt", "tank top", "windbreaker", "cardigan", "football jersey"];
const BOTTOMS: &[&str] = &["jeans", "sweatpants", "cargo shorts", "school uniform trousers", "basketball shorts", "joggers"];
const GIRLS_BOTTOMS: &[&str] = &["leggings", "skirt", "denim shorts", "jeans", "sweatpants"];
const SHOES: &[&str] = &["sneakers", "slides", "boots", "high-top sneakers", "sandals", "running shoes"];
const EXTRAS: &[&str] = &[
    "Carried a black backpack.", "Wore a knit beanie.", "Carried a purple duffel bag.",
    "Wore a silver chain necklace.", "Had a phone with a cracked case.", "Wore a baseball cap.",
    "Carried a skateboard.", "Wore headphones around the neck.",
];

pub fn clothing(rng: &mut Rng, girl: bool) -> String {
    let bottoms = if girl && rng.chance(0.6) { GIRLS_BOTTOMS } else { BOTTOMS };
    let mut s = format!(
        "{} {}, {} {} and {} {}.",
        capitalise(rng.pick(COLOURS)),
        rng.pick(TOPS),
        rng.pick(COLOURS),
        rng.pick(bottoms),
        rng.pick(COLOURS),
        rng.pick(SHOES)
    );
    if rng.chance(0.4) {
        s.push(' ');
        s.push_str(rng.pick(EXTRAS));
    }
    s
}

const MARKS_ANY: &[&str] = &[
    "Small scar above the left eyebrow", "Birthmark on the back of the neck", "Freckles across the nose",
    "Scar on the right knee", "Mole on the left cheek", "Chipped front tooth", "Dimple on the right cheek",
];
const MARKS_TEEN: &[&str] = &[
    "Pierced ears (multiple)", "Nose piercing (left nostril)", "Tattoo of a rose on the right forearm",
    "Tattoo reading \"Mom\" on the left wrist", "Burn scar on the back of the left hand", "Eyebrow piercing",
    "Tattoo of a star behind the right ear",
];

pub fn marks(rng: &mut Rng, age: u32) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if rng.chance(0.45) {
        parts.push(rng.pick(MARKS_ANY));
    }
    if age >= 13 && rng.chance(0.35) {
        parts.push(rng.pick(MARKS_TEEN));
    }
    parts.dedup();
    parts.join("; ")
}

const MEDICAL: &[&str] = &[
    "Type 1 diabetes; needs insulin daily and has no supply with them.",
    "Asthma; usually carries an inhaler, which was left at home.",
    "Autism spectrum; may not respond to their name and is drawn to water.",
    "Epilepsy; takes daily anti-seizure medication.",
    "Depression; has expressed thoughts of self-harm.",
    "Severe peanut allergy; carries an epinephrine auto-injector.",
    "Pregnant (about five months).",
    "Sickle cell disease; needs regular medical care.",
    "Hearing impaired; communicates in ASL.",
];

pub fn medical(rng: &mut Rng) -> String {
    if rng.chance(0.18) { (rng.pick(MEDICAL)).to_owned() } else { String::new() }
}

const CARE_AGENCIES: &[&str] = &[
    "Department of Children and Family Services", "Division of Child and Family Services",
    "Department of Human Services, Child Welfare Division", "Children's Services Bureau",
    "Department of Social Services, Foster Care Unit", "Office of Children, Youth and Families",
];

/// A child-welfare agency named after the county it serves. Confidential in every case.
pub fn care_agency(rng: &mut Rng, county: &str) -> String {
    format!("{county} County {}", rng.pick(CARE_AGENCIES))
}

/// What the circumstances narrative tells of.
pub struct Telling<'a> {
    pub case_type: CaseType,
    /// The child's given name.
    pub who: &'a str,
    /// The city.
    pub place: &'a str,
    pub landmark: &'a str,
    /// A companion's relationship to the child, when one is known.
    pub with: Option<&'a str>,
    pub in_care: bool,
    /// Keeps follow-up paragraphs in the past.
    pub days_missing: i64,
}

/// The circumstances narrative. A few run to several paragraphs, as long-running cases do.
pub fn circumstances(rng: &mut Rng, t: &Telling) -> String {
    let Telling { case_type, who, place, landmark, with, in_care, days_missing } = *t;
    let opening = match case_type {
        CaseType::EndangeredRunaway if in_care => format!(
            "{who} left {} in {place} {} and did not return. Staff reported {who} missing the same evening.",
            rng.pick(&["the group home", "the foster home", "a residential placement", "the emergency shelter"]),
            rng.pick(&["after dinner", "late at night", "before school", "after an argument with a resident", "during an outing"]),
        ),
        CaseType::EndangeredRunaway => format!(
            "{who} was last seen near {landmark} in {place} {}. {who} may be staying with friends in the area{}.",
            rng.pick(&["after leaving school early", "after a family argument", "on the way home from practice", "after leaving home overnight"]),
            rng.pick(&["", " or travelling to another state", " and has used social media to contact an adult met online"]),
        ),
        CaseType::FamilyAbduction => format!(
            "{who} was taken by {} during {} in {place}. {who} may be taken out of the state{}.",
            with.map(|w| format!("the {w}")).unwrap_or_else(|| "a non-custodial parent".into()),
            rng.pick(&["a supervised visit", "a weekend visit", "a school pickup", "a custody exchange"]),
            rng.pick(&["", ", possibly to Mexico", ", possibly to Canada", ". A felony warrant has been issued"]),
        ),
        CaseType::NonfamilyAbduction => format!(
            "{who} was last seen near {landmark} in {place}. A witness saw {who} get into a vehicle with {}.",
            with.map(|w| format!("an {w}")).unwrap_or_else(|| "an unknown adult".into()),
        ),
        CaseType::LostInjuredMissing => format!(
            "{who} wandered away from {} in {place}{}. Search teams have covered the surrounding area.",
            rng.pick(&["a family campsite", "home", "a crowded festival", "a hiking trail", "a relative's house"]),
            rng.pick(&["", " during a storm", " near a river", " at dusk"]),
        ),
        CaseType::CriticallyMissingYoungAdult => format!(
            "{who} was last seen near {landmark} in {place} and has not contacted family since, which is unlike {who}. {}",
            rng.pick(&["Their phone has been switched off.", "Their car was found unlocked nearby.", "They missed a scheduled medical appointment.", "Their bank account has not been used."]),
        ),
    };
    let mut text = opening;
    if rng.chance(0.12) {
        // A long-running case: follow-up paragraphs, as investigators add to them.
        // Follow-ups are told in the order they happened.
        let whens = [(1, "The following morning"), (2, "Two days after the disappearance"), (7, "About a week later"), (120, "Several months later"), (400, "Over a year later")];
        for (after, when) in whens {
            if after >= days_missing || !rng.chance(0.65) {
                continue;
            }
            text.push_str("\n\n");
            text.push_str(&format!(
                "{}, {} {}. {}",
                when,
                rng.pick(&[
                    "a caller reported a possible sighting of the child",
                    "investigators followed up on a tip placing the child",
                    "a driver reported giving a ride to a child matching the description",
                    "surveillance footage appeared to show the child",
                ]),
                rng.pick(&["at a bus station", "at a motel", "in a neighbouring city", "outside a fast-food restaurant", "at a truck stop", "near a shelter downtown"]),
                rng.pick(&[
                    "The lead could not be confirmed, and the case remains open.",
                    "Officers canvassed the area without finding the child.",
                    "The family continues to ask anyone who recognises the child to call.",
                    "Investigators believe the child may be using a different first name.",
                ]),
            ));
        }
    }
    text
}

/// A companion of the case: relationship, whether they're an adult of the family, and a
/// description.
pub fn companion_description(rng: &mut Rng, male: bool) -> String {
    let (he, height) = if male { ("Male", rng.range(165, 193)) } else { ("Female", rng.range(152, 178)) };
    format!(
        "{he}, about {} cm, {} build, {} hair{}.",
        height,
        rng.pick(&["slim", "medium", "heavy", "athletic"]),
        if male { rng.pick(&["short dark", "shaved", "blond", "greying", "braided black", "curly brown"]) } else { rng.pick(&["long brown", "short dark", "blond", "greying", "braided black", "dyed red"]) },
        if male { rng.pick(&["", ", beard", ", glasses", ", tattoo on the neck", ", walks with a limp"]) } else { rng.pick(&["", ", glasses", ", tattoo on the neck", ", nose ring"]) },
    )
}

pub const MAKES_MODELS: &[(&str, &str, &str)] = &[
    ("Toyota", "Camry", "sedan"), ("Honda", "Civic", "sedan"), ("Ford", "F-150", "pickup"),
    ("Chevrolet", "Silverado", "pickup"), ("Nissan", "Altima", "sedan"), ("Jeep", "Grand Cherokee", "SUV"),
    ("Dodge", "Grand Caravan", "minivan"), ("Hyundai", "Elantra", "sedan"), ("Kia", "Sorento", "SUV"),
    ("Chevrolet", "Malibu", "sedan"), ("Ford", "Explorer", "SUV"), ("Toyota", "Tacoma", "pickup"),
    ("Honda", "Odyssey", "minivan"), ("Subaru", "Outback", "wagon"), ("GMC", "Yukon", "SUV"),
];

pub const VEHICLE_COLOURS: &[&str] = &["white", "black", "silver", "grey", "dark blue", "red", "maroon", "green", "gold", "tan"];

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
