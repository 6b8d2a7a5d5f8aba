//! A workspace used for weeks with no service, then enrolled, through the real service on a
//! real PostgreSQL: its writes queued nothing, its enrolment queues what it holds, and one sync
//! puts all of it on the service, where a second device receives it whole. Everyone here is
//! invented.

use super::harness::World;
use porchlight_domain::{CaseId, CaseStatus, ContactFields, Moment, NoteCategory, NoteInput, PhotoKind, PhotoMeta, Relationship, StatusChange};
use porchlight_server::people::Role;
use porchlight_store::Workspace;
use porchlight_sync::Replica;

/// What a second device must agree on: the form, the status, note texts with their version
/// counts, contacts as they stand (removed ones with their reason), photos' consent.
type CaseState = (porchlight_domain::CaseFields, String, Vec<(String, u32)>, Vec<(String, String)>, Vec<bool>);

fn state(ws: &Workspace, id: CaseId) -> CaseState {
    let record = ws.get_case(id).unwrap();
    let mut notes: Vec<(String, u32)> = ws.notes(id).unwrap().into_iter().map(|n| (n.current.text, n.versions)).collect();
    notes.sort();
    let mut contacts: Vec<(String, String)> = ws.contacts(id).unwrap().into_iter().map(|c| (c.fields.name, c.removed_reason)).collect();
    contacts.sort();
    let mut photos: Vec<bool> = ws.case_photos(id).unwrap().into_iter().map(|p| p.meta.consent_to_publish).collect();
    photos.sort();
    (record.fields, record.status.code().to_owned(), notes, contacts, photos)
}

#[test]
fn weeks_of_work_without_a_service_queue_nothing_and_one_sync_after_enrolment_puts_it_all_on_the_service() {
    let Some(world) = World::start() else { return };
    let office = world.office("Lawton");
    let omar = world.person("omar.desk", Role::CaseManager, Some(office));

    let mut desk = world.workspace("omar-desk");
    let mut cases = Vec::new();
    for i in 0..3 {
        let seeded = porchlight_seed::case(47, i, Moment::now().local.date(), true);
        let case = desk.ws().create_case(&seeded.fields, Moment::now()).unwrap();
        let mut version = case.version;
        for (j, city) in ["Moore", "Norman", "Edmond"].iter().enumerate() {
            let mut fields = desk.ws().get_case(case.id).unwrap().fields;
            fields.event.city = format!("{city} {i}{j}");
            version = desk.ws().update_case(case.id, version, &fields, Moment::now()).unwrap().version;
        }
        let note = desk.ws().add_note(case.id, &NoteInput { category: NoteCategory::Call, text: format!("Called the school about case {i}.") }, Moment::now()).unwrap();
        desk.ws()
            .edit_note(note.current.note_id, 1, &NoteInput { category: NoteCategory::Call, text: format!("Called the school about case {i}; no sighting.") }, Moment::now())
            .unwrap();
        let contact = ContactFields { name: format!("{} Example", ["Ada", "Bea", "Cy"][i as usize]), relationship: Some(Relationship::Guardian), phones: vec!["580 555 0140".into()], ..Default::default() };
        let contact = desk.ws().add_contact(case.id, &contact, Moment::now()).unwrap();
        if i == 1 {
            desk.ws().remove_contact(contact.id, "moved away", Moment::now()).unwrap();
        }
        desk.ws().change_status(case.id, &StatusChange { to: CaseStatus::Active, reason: "Report filed".into(), outcome: None }, Moment::now()).unwrap();
        let meta = PhotoMeta { kind: Some(PhotoKind::Photo), source: "family (generated)".into(), consent_to_publish: i != 2, ..Default::default() };
        desk.ws().add_photo_file(case.id, &seeded.photos[0].png, "school.png", &meta, Moment::now()).unwrap();
        desk.ws().open_case(case.id, Moment::now()).unwrap();
        cases.push(case.id);
    }
    assert_eq!(desk.ws().pending_count().unwrap(), 0, "a workspace never enrolled queues nothing");

    world.enrol(&mut desk, &omar);
    let queued = desk.ws().pending_count().unwrap();
    assert!(queued > 0);
    let report = desk.sync().expect("the first sync");
    assert_eq!(report.rejected, 0, "{:?}", desk.ws().rejected_changes().unwrap());
    assert_eq!(report.pushed, queued, "{report:?}");
    assert_eq!(desk.ws().pending_count().unwrap(), 0);
    let mut on_service = world.query_text("SELECT id::text FROM cases ORDER BY id", &[]);
    let mut expected: Vec<String> = cases.iter().map(|c| c.to_string()).collect();
    on_service.sort();
    expected.sort();
    assert_eq!(on_service, expected);
    // Every local audit line reached the central log once: each case's, and the enrolment's.
    let local: usize = cases.iter().map(|c| desk.ws().case_audit(*c).unwrap().len()).sum::<usize>() + 1;
    let device = desk.device_id();
    let central = world.query_text("SELECT count(*)::text FROM audit_log WHERE action = 'device_event' AND actor_device = $1", &[&device]);
    assert_eq!(central, vec![local.to_string()]);

    let mut laptop = world.workspace("omar-laptop");
    world.enrol(&mut laptop, &omar);
    laptop.sync().expect("the second device's first sync");
    for case in &cases {
        assert_eq!(state(laptop.ws(), *case), state(desk.ws(), *case));
    }
    assert_eq!(state(laptop.ws(), cases[0]).0.event.city, "Edmond 02");
    // Nothing left to move either way.
    let again = desk.sync().unwrap();
    assert_eq!((again.pushed, again.rejected, again.conflicts), (0, 0, 0), "{again:?}");
}
