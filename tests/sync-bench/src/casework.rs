//! The casework device A does before it syncs: generated cases (from `porchlight-seed`), each
//! with two family contacts and five notes written through the store's own use cases, exactly as
//! the search benchmark of `porchlight-store` builds its workspace; and later rounds of edits.
//! Every child, note and contact is generated; none is real. It does not sync.

use porchlight_domain::{CaseFields, CaseId, ContactFields, Moment, NoteCategory, NoteInput, Relationship};
use porchlight_store::{NewCase, StoreError, Workspace};

/// The run of `porchlight-seed` the cases come from: the same cases on every machine.
pub const SEED: u64 = 2026;
/// Cases per import call: each call is one transaction.
const CHUNK: usize = 10_000;
pub const NOTES_PER_CASE: usize = 5;
pub const CONTACTS_PER_CASE: usize = 2;

/// The cases device A holds, in the order they were made.
pub struct Cases {
    pub ids: Vec<CaseId>,
    pub fields: Vec<CaseFields>,
}

/// Fills `ws` with `count` generated cases, their notes and contacts. `progress` hears how many
/// cases are done now and then.
pub fn fill(ws: &mut Workspace, count: usize, now: impl Fn() -> Moment, mut progress: impl FnMut(usize)) -> Result<Cases, StoreError> {
    let today = now().local.date();
    let fields: Vec<CaseFields> = porchlight_seed::cases(SEED, count, today).map(|c| c.fields).collect();
    let mut ids = Vec::with_capacity(count);
    for chunk in fields.chunks(CHUNK) {
        let batch: Vec<NewCase> = chunk.iter().map(|f| NewCase { fields: f.clone(), photos: Vec::new() }).collect();
        ids.extend(ws.import_cases(&batch, now())?);
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (i, (id, case)) in ids.iter().zip(&fields).enumerate() {
        for _ in 0..NOTES_PER_CASE {
            ws.add_note(*id, &note(&mut rng, case, &fields[(i * 7 + 3) % count]), now())?;
        }
        for contact in contacts(&mut rng, i, case, &fields) {
            ws.add_contact(*id, &contact, now())?;
        }
        if (i + 1) % 5_000 == 0 {
            progress(i + 1);
        }
    }
    Ok(Cases { ids, fields })
}

/// One edit of each case in `ids`: the clothing last seen in changes, as when a family remembers
/// more. `round` makes every round's text different so each edit really writes.
pub fn edit(ws: &mut Workspace, ids: &[CaseId], round: usize, now: impl Fn() -> Moment) -> Result<(), StoreError> {
    for (i, id) in ids.iter().enumerate() {
        let record = ws.get_case(*id)?;
        let mut fields = record.fields;
        fields.description.clothing = clothing(round, i);
        ws.update_case(*id, record.version, &fields, now())?;
    }
    Ok(())
}

/// The clothing text edit `round` gives the `i`th case it edits.
pub fn clothing(round: usize, i: usize) -> String {
    const TOPS: &[&str] = &["grey hoodie", "red rain jacket", "white T-shirt", "green school sweater", "black puffer coat"];
    const BOTTOMS: &[&str] = &["blue jeans", "black leggings", "khaki shorts", "grey sweatpants"];
    format!("{}, {}, round {round}", TOPS[(round + i) % TOPS.len()], BOTTOMS[(round * 3 + i) % BOTTOMS.len()])
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

// The same note generator as `porchlight-store`'s search benchmark, so both benchmarks measure
// notes of the same length and vocabulary (which is what compression sees).
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

const FILLER: &[&str] = &[
    "the", "the", "the", "a", "and", "to", "of", "was", "she", "he", "said", "that", "with", "for", "on", "at", "mother", "father", "school",
    "called", "home", "friend", "bus", "left", "seen", "police", "officer", "store", "park", "phone", "car", "night", "morning", "family",
    "aunt", "uncle", "grandmother", "shelter", "visit", "reported", "believes", "near", "street", "station", "message", "account", "again",
    "tomorrow", "interview", "teacher", "records", "detective", "agency", "update", "meeting", "flyer", "community", "church", "mall",
    "library", "sighting", "lead", "court", "custody", "hearing", "border", "bank", "motel", "driver", "ride", "truck", "highway", "camera",
    "footage", "neighbour", "dog", "bike", "backpack", "jacket", "hoodie", "shoes", "boyfriend", "girlfriend", "cousin", "brother", "sister",
];

const ADULTS: &[&str] = &["Grace", "Tom", "Rosa", "Ahmed", "Linh", "Marcus", "Fatima", "Pedro", "Helen", "Kwame", "Ingrid", "Jorge", "Aisha", "Dmitri"];

fn note(rng: &mut Rng, fields: &CaseFields, other: &CaseFields) -> NoteInput {
    let categories = [NoteCategory::Call, NoteCategory::LeadTip, NoteCategory::FamilyContact, NoteCategory::LawEnforcement, NoteCategory::Media, NoteCategory::Internal];
    let mut text = rng
        .pick(OPENINGS)
        .replace("{time}", &format!("{}:{:02}", 8 + rng.next() % 12, rng.next() % 60))
        .replace("{child}", &fields.child.given_name)
        .replace("{place}", rng.pick(&["bus station", "skate park", "mall", "library", "gas station", "church", "high school"]))
        .replace("{city}", &fields.event.city)
        .replace("{other}", &other.event.city)
        .replace("{adult}", &format!("{} {}", rng.pick(ADULTS), other.child.family_name));
    for _ in 0..rng.next() % 3 {
        let words: Vec<&str> = (0..8 + rng.next() % 12).map(|_| rng.pick(FILLER)).collect();
        text.push(' ');
        text.push_str(&words.join(" "));
        text.push('.');
    }
    NoteInput { category: categories[(rng.next() % categories.len() as u64) as usize], text }
}

fn contacts(rng: &mut Rng, i: usize, fields: &CaseFields, cases: &[CaseFields]) -> [ContactFields; CONTACTS_PER_CASE] {
    let relative = &cases[(i * 13 + 5) % cases.len()];
    let phone = |rng: &mut Rng| format!("918 555 {:04}", rng.next() % 10_000);
    [
        ContactFields {
            name: format!("{} {}", rng.pick(ADULTS), fields.child.family_name),
            relationship: Some(Relationship::Mother),
            primary: true,
            phones: vec![phone(rng)],
            ..Default::default()
        },
        ContactFields {
            name: format!("{} {}", rng.pick(ADULTS), relative.child.family_name),
            relationship: Some([Relationship::Grandparent, Relationship::Guardian, Relationship::Sibling][i % 3]),
            phones: vec![phone(rng)],
            ..Default::default()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_small_workspace_gets_every_case_with_its_notes_and_contacts_and_edits_write() {
        let dir = tempfile::tempdir().unwrap();
        let now = || Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
        let mut ws = Workspace::create(&dir.path().join("a.porchlight"), "Bench lanterns test 2026!", now()).unwrap();
        let cases = fill(&mut ws, 12, now, |_| {}).unwrap();
        assert_eq!(cases.ids.len(), 12);
        for id in &cases.ids {
            assert_eq!(ws.notes(*id).unwrap().len(), NOTES_PER_CASE);
            assert_eq!(ws.contacts(*id).unwrap().len(), CONTACTS_PER_CASE);
        }
        edit(&mut ws, &cases.ids[..3], 4, now).unwrap();
        assert_eq!(ws.get_case(cases.ids[1]).unwrap().fields.description.clothing, clothing(4, 1));
        assert_eq!(ws.get_case(cases.ids[1]).unwrap().version, 2, "an edit is a new version");
        assert_ne!(ws.get_case(cases.ids[5]).unwrap().fields.description.clothing, clothing(4, 5), "cases not edited stay as they were");
    }
}
