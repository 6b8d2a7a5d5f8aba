//! The casework written on generated cases: case notes (calls, tips, police, media, shelters)
//! and two family contacts a case, worded from the case's own names and places and from
//! another case's. The search benchmark and the sync benchmark both write it, so they measure
//! notes of the same length and vocabulary. It writes nothing itself; callers hand the notes
//! and contacts to the store.

use porchlight_domain::{CaseFields, ContactFields, NoteCategory, NoteInput, Relationship};

/// The stream both benchmarks start from, so their notes match what they measured before.
pub const CASEWORK_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Family contacts `Casework::contacts` gives each case.
pub const CONTACTS_PER_CASE: usize = 2;

/// A seeded stream of notes and contacts. Each note and contact draws from one stream in turn,
/// so the same seed and the same calls in the same order give the same casework.
#[derive(Debug, Clone)]
pub struct Casework {
    // xorshift64, not the crate's SplitMix64: the benchmarks' notes were first drawn from this
    // stream, and a benchmark compared across versions must write the same notes.
    state: u64,
}

impl Casework {
    pub fn new(seed: u64) -> Casework {
        // xorshift never leaves zero, so that one seed is moved off it.
        Casework { state: if seed == 0 { CASEWORK_SEED } else { seed } }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A note on case `i` of `cases`: an opening about the child, their city and a second case's
    /// city and family name, then up to two sentences of common words.
    pub fn note(&mut self, i: usize, cases: &[CaseFields]) -> NoteInput {
        let (fields, other) = (&cases[i], &cases[(i * 7 + 3) % cases.len()]);
        // The replacements run in this order on every note, each drawing from the stream
        // whether or not the opening names it: that order is what makes a seed's notes the same
        // from one version to the next.
        let mut text = self
            .pick(OPENINGS)
            .replace("{time}", &format!("{}:{:02}", 8 + self.next() % 12, self.next() % 60))
            .replace("{child}", &fields.child.given_name)
            .replace("{place}", self.pick(PLACES))
            .replace("{city}", &fields.event.city)
            .replace("{other}", &other.event.city)
            .replace("{adult}", &format!("{} {}", self.pick(ADULTS), other.child.family_name));
        for _ in 0..self.next() % 3 {
            let words: Vec<&str> = (0..8 + self.next() % 12).map(|_| self.pick(FILLER)).collect();
            text.push(' ');
            text.push_str(&words.join(" "));
            text.push('.');
        }
        // The domain's categories in its order: one added there changes the benchmarks' notes,
        // which the pinned casework in the tests catches.
        let categories = NoteCategory::ALL;
        NoteInput { category: categories[(self.next() % categories.len() as u64) as usize], text }
    }

    /// Case `i`'s mother (the primary contact, with the child's family name) and a grandparent,
    /// guardian or sibling named after another case's family.
    pub fn contacts(&mut self, i: usize, cases: &[CaseFields]) -> [ContactFields; CONTACTS_PER_CASE] {
        let (fields, relative) = (&cases[i], &cases[(i * 13 + 5) % cases.len()]);
        let phone = |casework: &mut Casework| format!("918 555 {:04}", casework.next() % 10_000);
        [
            ContactFields {
                name: format!("{} {}", self.pick(ADULTS), fields.child.family_name),
                relationship: Some(Relationship::Mother),
                primary: true,
                phones: vec![phone(self)],
                ..Default::default()
            },
            ContactFields {
                name: format!("{} {}", self.pick(ADULTS), relative.child.family_name),
                relationship: Some([Relationship::Grandparent, Relationship::Guardian, Relationship::Sibling][i % 3]),
                phones: vec![phone(self)],
                ..Default::default()
            },
        ]
    }
}

const OPENINGS: &[&str] = &[
    "Called the mother at {time}; no answer, left a voicemail asking her to call back.",
    "Spoke with the father by phone. He says {child} was seen near the {place} in {city} with a friend from school.",
    "Tip from a caller: a child matching the description was seen getting on a bus to {other} late at night.",
    "Detective {adult} of the {city} police called; the lead about the {place} could not be confirmed.",
    "Posted flyers at the {place} and the bus station; the store manager will check the camera footage.",
    "School counselor confirms {child} has not attended since last week; attendance records requested.",
    "Grandmother believes {child} may be staying with a cousin in {other}; asked the local police for a welfare check.",
    "Media: the local news ran the story this morning. Three calls came in, none of them credible.",
    "Internal: case reviewed with the supervisor. Next step is a follow-up interview with the mother and the aunt.",
    "Social media: an account that may belong to {child} posted a photo near the {place} in {other}.",
    "Shelter staff in {other} saw a teenager who might be {child}; sent them the poster and asked them to call.",
    "Family contact: the aunt drove around {city} all night and checked the park, the mall and the library.",
];

const PLACES: &[&str] = &["bus station", "skate park", "mall", "library", "gas station", "church", "high school"];

const FILLER: &[&str] = &[
    "the", "the", "the", "a", "and", "to", "of", "was", "she", "he", "said", "that", "with", "for", "on", "at", "mother", "father", "school",
    "called", "home", "friend", "bus", "left", "seen", "police", "officer", "store", "park", "phone", "car", "night", "morning", "family",
    "aunt", "uncle", "grandmother", "shelter", "visit", "reported", "believes", "near", "street", "station", "message", "account", "again",
    "tomorrow", "interview", "teacher", "records", "detective", "agency", "update", "meeting", "flyer", "community", "church", "mall",
    "library", "sighting", "lead", "court", "custody", "hearing", "border", "bank", "motel", "driver", "ride", "truck", "highway", "camera",
    "footage", "neighbour", "dog", "bike", "backpack", "jacket", "hoodie", "shoes", "boyfriend", "girlfriend", "cousin", "brother", "sister",
];

const ADULTS: &[&str] = &["Grace", "Tom", "Rosa", "Ahmed", "Linh", "Marcus", "Fatima", "Pedro", "Helen", "Kwame", "Ingrid", "Jorge", "Aisha", "Dmitri"];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn cases() -> Vec<CaseFields> {
        crate::cases(2026, 40, NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()).map(|c| c.fields).collect()
    }

    /// Five notes and the contacts of every case, drawn in the order the benchmarks draw them.
    fn write(seed: u64, cases: &[CaseFields]) -> Vec<(Vec<NoteInput>, [ContactFields; CONTACTS_PER_CASE])> {
        let mut casework = Casework::new(seed);
        (0..cases.len())
            .map(|i| ((0..5).map(|_| casework.note(i, cases)).collect(), casework.contacts(i, cases)))
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_casework_and_another_seed_other_casework() {
        let cases = cases();
        let first = write(CASEWORK_SEED, &cases);
        assert_eq!(first, write(CASEWORK_SEED, &cases));
        assert_ne!(first, write(7, &cases));
        // Zero, which xorshift cannot leave, still gives casework.
        assert!(write(0, &cases).iter().all(|(notes, _)| notes.iter().all(|n| !n.text.is_empty())));
    }

    #[test]
    fn no_text_is_empty_and_notes_speak_of_their_case() {
        let cases = cases();
        for (i, (notes, contacts)) in write(CASEWORK_SEED, &cases).iter().enumerate() {
            for note in notes {
                assert!(!note.text.trim().is_empty());
                assert!(!note.text.contains('{'), "every placeholder is filled: {}", note.text);
            }
            for contact in contacts {
                assert!(!contact.name.trim().is_empty());
                assert!(contact.phones.iter().all(|p| p.starts_with("918 555 ") && p.len() == 12), "{:?}", contact.phones);
                assert!(contact.validate().is_ok(), "{contact:?}");
            }
            assert!(contacts[0].name.ends_with(&cases[i].child.family_name));
            assert!(contacts[0].primary && !contacts[1].primary);
        }
    }

    /// The first note and contacts of the benchmarks' run, as the generator first wrote them:
    /// a change to the stream or the wording shows here before it skews a comparison.
    #[test]
    fn the_benchmarks_first_casework_is_unchanged() {
        let cases = cases();
        let mut casework = Casework::new(CASEWORK_SEED);
        let note = casework.note(0, &cases);
        let contacts = casework.contacts(0, &cases);
        assert_eq!((note.category, note.text.as_str()), PINNED_NOTE);
        assert_eq!(contacts.map(|c| c.name), PINNED_CONTACTS.map(String::from));
    }

    const PINNED_NOTE: (NoteCategory, &str) =
        (NoteCategory::LeadTip, "Social media: an account that may belong to Ahiga posted a photo near the library in Savannah.");
    const PINNED_CONTACTS: [&str; 2] = ["Grace Two Bulls", "Grace Thompson"];
}
