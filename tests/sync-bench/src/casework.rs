//! The casework device A does before it syncs: generated cases, each with two family contacts
//! and five notes (all from `porchlight-seed`) written through the store's own use cases,
//! exactly as the search benchmark of `porchlight-store` builds its workspace; and later rounds
//! of edits. Every child, note and contact is generated; none is real. It does not sync.

use porchlight_domain::{CaseFields, CaseId, Moment};
use porchlight_seed::{Casework, CASEWORK_SEED};
use porchlight_store::{NewCase, StoreError, Workspace};

/// The run of `porchlight-seed` the cases come from: the same cases on every machine.
pub const SEED: u64 = 2026;
/// Cases per import call: each call is one transaction.
const CHUNK: usize = 10_000;
pub const NOTES_PER_CASE: usize = 5;
pub const CONTACTS_PER_CASE: usize = porchlight_seed::CONTACTS_PER_CASE;

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
    // The search benchmark of `porchlight-store` writes the same casework from the same seed,
    // so both measure notes of the same length and vocabulary (which is what compression sees).
    let mut casework = Casework::new(CASEWORK_SEED);
    for (i, id) in ids.iter().enumerate() {
        for _ in 0..NOTES_PER_CASE {
            ws.add_note(*id, &casework.note(i, &fields), now())?;
        }
        for contact in casework.contacts(i, &fields) {
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
