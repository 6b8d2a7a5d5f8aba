//! The people of generated cases: given and family names from many naming traditions (with
//! their accents and tone marks), combined at random so that no generated child is a real one,
//! and the physical description that goes with a child's age, sex and background.

use crate::rng::Rng;
use porchlight_domain::{EyeColor, HairColor, Race, Sex, SkinTone};

/// A naming tradition and the descriptions that tend to go with it. The tendencies only make
/// the data look plausible; nothing reads meaning into them.
pub struct Heritage {
    pub girls: &'static [&'static str],
    pub boys: &'static [&'static str],
    pub family: &'static [&'static str],
    pub races: &'static [(Race, u32)],
    /// Chance, in percent, that the child is recorded as Hispanic or Latino.
    pub hispanic: u32,
    pub skin: &'static [(SkinTone, u32)],
    pub hair: &'static [(HairColor, u32)],
    pub eyes: &'static [(EyeColor, u32)],
    pub weight: u32,
    /// Family names may also be built from English place-name parts (Ashford, Whitley).
    pub built_family_names: bool,
}

use EyeColor as E;
use HairColor as H;
use SkinTone as S;

const DARK_HAIR: &[(HairColor, u32)] = &[(H::Black, 60), (H::Brown, 35), (H::Red, 2), (H::Purple, 1), (H::Blue, 1), (H::Pink, 1)];
const LIGHT_HAIR: &[(HairColor, u32)] = &[
    (H::Brown, 45), (H::Blond, 25), (H::Sandy, 10), (H::Red, 8), (H::Black, 6), (H::Pink, 2), (H::Blue, 1), (H::Green, 1), (H::Purple, 1), (H::Orange, 1),
];
const BROWN_EYES: &[(EyeColor, u32)] = &[(E::Brown, 80), (E::Black, 12), (E::Hazel, 6), (E::Unknown, 2)];
const MIXED_EYES: &[(EyeColor, u32)] = &[(E::Blue, 35), (E::Brown, 30), (E::Green, 12), (E::Hazel, 15), (E::Gray, 6), (E::Unknown, 2)];

pub const HERITAGES: &[Heritage] = &[
    // English-speaking American and British names.
    Heritage {
        girls: &["Emma", "Olivia", "Ava", "Madison", "Hannah", "Abigail", "Emily", "Brooklyn", "Kayla", "Savannah", "Hailey", "Ashley", "Taylor", "Chloe", "Zoë", "Riley", "Autumn", "Megan"],
        boys: &["Liam", "Noah", "Mason", "Ethan", "Logan", "Jacob", "Tyler", "Austin", "Cody", "Dylan", "Hunter", "Caleb", "Brandon", "Wyatt", "Connor", "Gavin"],
        family: &["Smith", "Johnson", "Miller", "Davis", "Wilson", "Anderson", "Thompson", "Moore", "Taylor", "Clark", "Walker", "Hall", "Young", "Allen", "Wright", "Baker", "Collins", "Bennett", "Foster", "Hughes", "O'Brien", "McAllister", "Fitzgerald-Hayes"],
        races: &[(Race::White, 90), (Race::Unknown, 4), (Race::AmericanIndianAlaskaNative, 3), (Race::Black, 3)],
        hispanic: 2,
        skin: &[(S::Fair, 35), (S::Light, 40), (S::Ruddy, 10), (S::Medium, 10), (S::Olive, 4), (S::Albino, 1)],
        hair: LIGHT_HAIR,
        eyes: MIXED_EYES,
        weight: 30,
        built_family_names: true,
    },
    // African American names.
    Heritage {
        girls: &["Imani", "Aaliyah", "Destiny", "Jasmine", "Nia", "Kiara", "Ebony", "Tiana", "Jada", "Aniyah", "Amari", "Zuri", "Janae", "Makayla", "Shanice", "Dominique"],
        boys: &["Jaylen", "DeShawn", "Malik", "Darius", "Jamal", "Tyrone", "Isaiah", "Elijah", "Marcus", "Xavier", "Jalen", "Terrell", "Andre", "Kendrick", "Javon", "Amir"],
        family: &["Washington", "Jefferson", "Jackson", "Robinson", "Harris", "Williams", "Brown", "Coleman", "Banks", "Freeman", "Gaines", "Mosley", "Booker", "Holloway", "Rivers", "St. Clair"],
        races: &[(Race::Black, 96), (Race::Unknown, 2), (Race::White, 2)],
        hispanic: 3,
        skin: &[(S::DarkBrown, 30), (S::MediumBrown, 30), (S::LightBrown, 15), (S::Dark, 12), (S::Black, 13)],
        hair: DARK_HAIR,
        eyes: BROWN_EYES,
        weight: 30,
        built_family_names: false,
    },
    // Spanish-speaking names, with their accents and ñ.
    Heritage {
        girls: &["María José", "Sofía", "Valentina", "Camila", "Lucía", "Ximena", "Guadalupe", "Daniela", "Itzel", "Yesenia", "Fernanda", "Marisol", "Ana Belén", "Renata", "Jimena"],
        boys: &["José", "Juan Pablo", "Mateo", "Santiago", "Diego", "Alejandro", "Joaquín", "Emiliano", "Héctor", "Iván", "Andrés", "Ángel", "Jesús", "Rubén", "Julián"],
        family: &["García", "Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez", "Muñoz", "Peña", "Núñez", "Ibáñez", "Castañeda", "Ordóñez", "Gutiérrez", "Vásquez", "De la Cruz", "Del Río"],
        races: &[(Race::White, 55), (Race::Unknown, 25), (Race::AmericanIndianAlaskaNative, 10), (Race::Black, 10)],
        hispanic: 97,
        skin: &[(S::Medium, 30), (S::Olive, 25), (S::LightBrown, 25), (S::MediumBrown, 15), (S::Light, 5)],
        hair: DARK_HAIR,
        eyes: BROWN_EYES,
        weight: 22,
        built_family_names: false,
    },
    // Vietnamese names with their tone marks; the family name is written last, as a US record
    // keeps it.
    Heritage {
        girls: &["Thảo", "Ngọc Ánh", "Minh Anh", "Phương", "Huyền", "Lan Chi", "Bảo Ngọc", "Thu Hà", "Diệp", "Khánh Linh"],
        boys: &["Quốc Bảo", "Minh Khôi", "Đức Anh", "Tuấn", "Hoàng Long", "Gia Huy", "Phúc", "Thành Đạt", "Nhật Minh", "Vĩnh"],
        family: &["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương"],
        races: &[(Race::AsianPacificIslander, 97), (Race::Unknown, 3)],
        hispanic: 0,
        skin: &[(S::Light, 35), (S::Medium, 40), (S::Olive, 15), (S::LightBrown, 10)],
        hair: DARK_HAIR,
        eyes: BROWN_EYES,
        weight: 3,
        built_family_names: false,
    },
    // Arabic names written in Latin script.
    Heritage {
        girls: &["Layla", "Yasmin", "Mariam", "Fatima", "Nour", "Amira", "Salma", "Hana", "Rania", "Zaynab", "Lina", "Aisha"],
        boys: &["Yusuf", "Omar", "Khalid", "Ibrahim", "Hamza", "Karim", "Tariq", "Bilal", "Zayd", "Mustafa", "Anas", "Idris"],
        family: &["Al-Amin", "El-Sayed", "Haddad", "Abdel-Rahman", "Al-Hashimi", "Khoury", "Mansour", "Nasser", "Saleh", "Darwish", "Abu Bakr", "Al-Masri", "Ben Youssef"],
        races: &[(Race::White, 80), (Race::Unknown, 12), (Race::Black, 8)],
        hispanic: 0,
        skin: &[(S::Olive, 40), (S::Medium, 30), (S::LightBrown, 20), (S::Light, 10)],
        hair: DARK_HAIR,
        eyes: BROWN_EYES,
        weight: 3,
        built_family_names: false,
    },
    // French and French-Canadian names.
    Heritage {
        girls: &["Chloé", "Léa", "Noémie", "Élodie", "Maëlle", "Anaïs", "Camille", "Océane", "Inès", "Héloïse"],
        boys: &["Théo", "Jérôme", "Noé", "Gaël", "Étienne", "Benoît", "Loïc", "Raphaël", "Hugo", "Mathéo"],
        family: &["Côté", "Bélanger", "Lefèvre", "Gagné", "Bérubé", "Thériault", "Lévesque", "Beaulieu", "Desjardins", "Hébert"],
        races: &[(Race::White, 90), (Race::Black, 6), (Race::Unknown, 4)],
        hispanic: 0,
        skin: &[(S::Fair, 30), (S::Light, 45), (S::Medium, 15), (S::Ruddy, 10)],
        hair: LIGHT_HAIR,
        eyes: MIXED_EYES,
        weight: 2,
        built_family_names: false,
    },
    // West African names.
    Heritage {
        girls: &["Adaeze", "Chiamaka", "Folake", "Ama", "Abena", "Ngozi", "Efua", "Oluwaseun", "Temitope", "Adwoa"],
        boys: &["Chidi", "Kwame", "Emeka", "Oluwadamilare", "Kofi", "Tunde", "Obinna", "Yaw", "Babajide", "Ikenna"],
        family: &["Okafor", "Adeyemi", "Mensah", "Okonkwo", "Boateng", "Eze", "Owusu", "Adebayo", "Nwosu", "Asante"],
        races: &[(Race::Black, 98), (Race::Unknown, 2)],
        hispanic: 0,
        skin: &[(S::DarkBrown, 40), (S::Dark, 25), (S::Black, 20), (S::MediumBrown, 15)],
        hair: &[(H::Black, 90), (H::Brown, 10)],
        eyes: BROWN_EYES,
        weight: 2,
        built_family_names: false,
    },
    // Diné (Navajo) and other Native American family names with common given names.
    Heritage {
        girls: &["Shanoah", "Kaya", "Winona", "Talia", "Nizhoni", "Ayasha", "Halona", "Dyani"],
        boys: &["Ahiga", "Dakota", "Kele", "Nashoba", "Kiyan", "Tahoma", "Hania", "Sani"],
        family: &["Begay", "Yazzie", "Tsosie", "Benally", "Nez", "Etsitty", "Redhorse", "Two Bulls", "Runningwater", "Whitehorse"],
        races: &[(Race::AmericanIndianAlaskaNative, 95), (Race::Unknown, 5)],
        hispanic: 5,
        skin: &[(S::MediumBrown, 35), (S::Medium, 30), (S::LightBrown, 25), (S::Ruddy, 10)],
        hair: &[(H::Black, 85), (H::Brown, 15)],
        eyes: BROWN_EYES,
        weight: 2,
        built_family_names: false,
    },
    // Chinese, Korean and South Asian names.
    Heritage {
        girls: &["Mei", "Xinyi", "Ji-woo", "Seo-yeon", "Priya", "Ananya", "Aditi", "Hui Min", "Yuna", "Kavya"],
        boys: &["Wei", "Haoran", "Min-jun", "Ji-ho", "Aarav", "Rohan", "Arjun", "Jun Hao", "Seung-woo", "Vikram"],
        family: &["Chen", "Wang", "Zhang", "Liu", "Kim", "Park", "Choi", "Patel", "Sharma", "Reddy", "Iyer", "Lim"],
        races: &[(Race::AsianPacificIslander, 96), (Race::Unknown, 4)],
        hispanic: 0,
        skin: &[(S::Light, 35), (S::Medium, 30), (S::LightBrown, 20), (S::MediumBrown, 15)],
        hair: DARK_HAIR,
        eyes: BROWN_EYES,
        weight: 3,
        built_family_names: false,
    },
    // Central and Eastern European, Nordic and Turkish names.
    Heritage {
        girls: &["Zofia", "Małgorzata", "Anja", "Zuzana", "Sigrid", "Ingrid", "Ayşe", "Elif", "Jitka", "Björk"],
        boys: &["Mikołaj", "Łukasz", "Jiří", "Søren", "Bjørn", "Mehmet", "Emir", "Anton", "Tomáš", "Ödön"],
        family: &["Wiśniewski", "Kowalczyk", "Nowák", "Dvořák", "Østergaard", "Çelik", "Yıldız", "Müller", "Schröder", "Horváth", "Novotný"],
        races: &[(Race::White, 95), (Race::Unknown, 5)],
        hispanic: 0,
        skin: &[(S::Fair, 30), (S::Light, 40), (S::Medium, 15), (S::Olive, 15)],
        hair: LIGHT_HAIR,
        eyes: MIXED_EYES,
        weight: 3,
        built_family_names: false,
    },
];

/// A generated child or adult name: given name (possibly two words), family name.
pub struct Name {
    pub given: &'static str,
    pub middle: &'static str,
    pub family: String,
}

pub fn heritage(rng: &mut Rng) -> &'static Heritage {
    let total: u32 = HERITAGES.iter().map(|h| h.weight).sum();
    let mut roll = rng.below(u64::from(total)) as u32;
    for h in HERITAGES {
        if roll < h.weight {
            return h;
        }
        roll -= h.weight;
    }
    &HERITAGES[0]
}

pub fn given_name(rng: &mut Rng, h: &'static Heritage, sex: Sex) -> &'static str {
    match sex {
        Sex::Female => rng.pick(h.girls),
        Sex::Male => rng.pick(h.boys),
        Sex::Unknown => {
            if rng.chance(0.5) {
                rng.pick(h.girls)
            } else {
                rng.pick(h.boys)
            }
        }
    }
}

/// A name for a person of this heritage. A few children carry two family names joined by a
/// hyphen, or one from a second heritage, as many families do.
pub fn name(rng: &mut Rng, h: &'static Heritage, sex: Sex) -> Name {
    let given = given_name(rng, h, sex);
    let middle = if rng.chance(0.35) { given_name(rng, h, sex) } else { "" };
    let middle = if middle == given { "" } else { middle };
    let first = family_name(rng, h);
    let family = if h.hispanic > 50 && rng.chance(0.45) {
        // Many Spanish-speaking families keep both surnames.
        let second = rng.pick(h.family);
        if second == first { first } else { format!("{first} {second}") }
    } else if rng.chance(0.06) {
        let second = heritage(rng);
        let other = rng.pick(second.family);
        if other == first { first } else { format!("{first}-{other}") }
    } else {
        first
    };
    Name { given, middle, family }
}

const ENGLISH_STEMS: &[&str] = &["Ash", "Brad", "Whit", "Hart", "Bram", "Thorn", "Wood", "Hol", "Stan", "Mar", "Ran", "Pen", "Kings", "Cald", "Fair", "Hal", "Wes", "Lang", "Mil", "Ship"];
const ENGLISH_ENDINGS: &[&str] = &["worth", "ley", "field", "ford", "ton", "well", "wood", "by", "more", "bridge", "combe", "stead", "ham", "ridge"];

/// A family name of the heritage. English-speaking families also get names built from common
/// place-name parts (Ashford, Whitley), which widens the pool without copying anyone's name.
fn family_name(rng: &mut Rng, h: &'static Heritage) -> String {
    if h.built_family_names && rng.chance(0.5) {
        format!("{}{}", rng.pick(ENGLISH_STEMS), rng.pick(ENGLISH_ENDINGS))
    } else {
        rng.pick(h.family).to_owned()
    }
}

/// Median height (cm) and weight (kg) by age in whole years, from public growth charts,
/// for girls and boys.
const GIRLS: [(f64, f64); 21] = [
    (66.0, 7.3), (74.0, 9.5), (86.0, 12.0), (95.0, 14.0), (102.0, 16.0), (109.0, 18.0), (115.0, 20.5), (121.0, 23.0),
    (127.0, 25.5), (133.0, 29.0), (138.0, 33.0), (144.0, 37.0), (151.0, 41.5), (157.0, 46.0), (160.0, 49.5),
    (162.0, 52.0), (163.0, 54.0), (163.0, 55.5), (163.0, 56.5), (163.0, 57.5), (163.0, 58.0),
];
const BOYS: [(f64, f64); 21] = [
    (68.0, 7.9), (76.0, 10.0), (87.0, 12.5), (96.0, 14.5), (103.0, 16.5), (110.0, 18.5), (116.0, 21.0), (122.0, 23.0),
    (128.0, 25.5), (133.0, 28.5), (138.0, 32.0), (143.0, 36.0), (149.0, 40.0), (156.0, 45.5), (164.0, 51.0),
    (170.0, 56.0), (174.0, 61.0), (176.0, 64.5), (177.0, 67.0), (177.0, 69.0), (177.0, 70.5),
];

/// A plausible height (cm, whole) and weight (kg, one decimal) for the age and sex.
pub fn build(rng: &mut Rng, age: u32, sex: Sex) -> (f64, f64) {
    let table = match sex {
        Sex::Female => &GIRLS,
        Sex::Male => &BOYS,
        Sex::Unknown => if rng.chance(0.5) { &GIRLS } else { &BOYS },
    };
    let (h, w) = table[age.min(20) as usize];
    // Height varies by about ±6 %, weight more widely and skewed upwards.
    let height = (h * (0.94 + rng.unit() * 0.12)).round();
    let weight = ((w * (0.82 + rng.unit() * 0.5)) * 10.0).round() / 10.0;
    (height, weight)
}

/// Adults around a case (companions, investigators) have their own, simpler names.
pub fn adult_name(rng: &mut Rng, h: &'static Heritage, sex: Sex) -> String {
    let n = name(rng, h, sex);
    format!("{} {}", n.given, n.family)
}

/// An adult of any heritage, for people around a case who are not family.
pub fn any_adult_name(rng: &mut Rng, sex: Sex) -> String {
    let h = heritage(rng);
    adult_name(rng, h, sex)
}
