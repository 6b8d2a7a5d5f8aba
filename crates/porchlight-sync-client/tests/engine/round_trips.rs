//! Real round trips: real encrypted workspaces synced through the engine with the real service
//! on a real PostgreSQL. Enrolment and a first sync, two devices converging, a conflict seen on
//! both and resolved, photos both ways, scope, a remote wipe, a revoked device and a protocol
//! mismatch, each with the words a case manager would read.

use super::harness::{Device, Person, World};
use porchlight_domain::{
    AppError, CaseFields, CaseId, ConflictResolution, ContactFields, ErrorCode, Moment, NoteCategory, NoteInput, PhotoKind,
    PhotoMeta, Relationship,
};
use porchlight_server::people::Role;
use porchlight_store::Workspace;
use porchlight_sync::Replica;
use porchlight_sync_client::SyncError;

fn seeded(index: u64) -> porchlight_seed::SeedCase {
    porchlight_seed::case(41, index, Moment::now().local.date(), true)
}

fn fields(index: u64) -> CaseFields {
    seeded(index).fields
}

fn note(text: &str) -> NoteInput {
    NoteInput { category: NoteCategory::Call, text: text.into() }
}

/// The parts of a case both devices must agree on.
fn case_state(ws: &Workspace, id: CaseId) -> (CaseFields, String, Vec<String>, Vec<String>) {
    let record = ws.get_case(id).unwrap();
    let mut notes: Vec<String> = ws.notes(id).unwrap().into_iter().map(|n| n.current.text).collect();
    notes.sort();
    let mut contacts: Vec<String> = ws.contacts(id).unwrap().into_iter().map(|c| c.fields.name).collect();
    contacts.sort();
    (record.fields, record.status.code().to_owned(), notes, contacts)
}

/// A world with one office, one case manager and one device of theirs.
fn one_case_manager(world: &World) -> (Person, Device) {
    let office = world.office("Tulsa");
    let ana = world.person("ana.field", Role::CaseManager, Some(office));
    let mut laptop = world.workspace("ana-laptop");
    world.enrol(&mut laptop, &ana);
    (ana, laptop)
}

#[test]
fn a_new_device_enrols_and_its_first_sync_sends_its_cases_then_a_second_device_receives_them() {
    let Some(world) = World::start() else { return };
    let office = world.office("Tulsa");
    let ana = world.person("ana.field", Role::CaseManager, Some(office));

    // Cases made before enrolment queue nothing; the enrolment queues them, and they go up with
    // the first sync.
    let mut laptop = world.workspace("ana-laptop");
    let case = laptop.ws().create_case(&fields(1), Moment::now()).unwrap().id;
    laptop.ws().add_note(case, &note("Called the school; no sighting."), Moment::now()).unwrap();
    assert_eq!(laptop.ws().pending_count().unwrap(), 0);
    world.enrol(&mut laptop, &ana);
    assert!(laptop.ws().pending_count().unwrap() >= 3);
    assert_eq!(laptop.ws().sync_identity().unwrap().expect("enrolled").user_id, ana.id);
    let status = laptop.ws().sync_status().unwrap();
    assert!(status.enrolled && status.user.as_deref().unwrap_or("").contains("ana.field"), "{status:?}");

    let report = laptop.sync().expect("first sync");
    assert!(report.pushed >= 3, "{report:?}");
    assert_eq!(report.rejected, 0, "{:?}", laptop.ws().rejected_changes().unwrap());
    assert_eq!(laptop.ws().pending_count().unwrap(), 0);
    let on_server = world.query_text("SELECT id::text FROM cases", &[]);
    assert_eq!(on_server, vec![case.to_string()]);

    // Ana's second computer receives the case whole.
    let mut desktop = world.workspace("ana-desktop");
    world.enrol(&mut desktop, &ana);
    let report = desktop.sync().expect("second device's first sync");
    assert!(report.pulled > 0, "{report:?}");
    assert_eq!(case_state(desktop.ws(), case), case_state(laptop.ws(), case));

    // Nothing new: a second sync moves nothing.
    let again = desktop.sync().unwrap();
    assert_eq!((again.pushed, again.pulled, again.rejected), (0, 0, 0), "{again:?}");
}

#[test]
fn two_devices_that_edit_different_things_offline_converge() {
    let Some(world) = World::start() else { return };
    let (ana, mut laptop) = one_case_manager(&world);
    let case = laptop.ws().create_case(&fields(2), Moment::now()).unwrap().id;
    laptop.sync().unwrap();
    let mut desktop = world.workspace("ana-desktop");
    world.enrol(&mut desktop, &ana);
    desktop.sync().unwrap();

    // Offline on both: different fields, a note on one, a contact on the other.
    let record = laptop.ws().get_case(case).unwrap();
    let mut edited = record.fields.clone();
    edited.event.city = "Broken Arrow".into();
    laptop.ws().update_case(case, record.version, &edited, Moment::now()).unwrap();
    laptop.ws().add_note(case, &note("Aunt in Broken Arrow called back."), Moment::now()).unwrap();
    let record = desktop.ws().get_case(case).unwrap();
    let mut edited = record.fields.clone();
    edited.description.clothing = "Green hoodie, white sneakers".into();
    desktop.ws().update_case(case, record.version, &edited, Moment::now()).unwrap();
    let contact = ContactFields {
        name: "Rosa Example".into(),
        relationship: Some(Relationship::Mother),
        phones: vec!["918 555 0142".into()],
        ..Default::default()
    };
    desktop.ws().add_contact(case, &contact, Moment::now()).unwrap();

    for report in [laptop.sync(), desktop.sync(), laptop.sync()] {
        let report = report.unwrap();
        assert_eq!((report.rejected, report.conflicts), (0, 0), "{report:?}");
    }
    let (a, b) = (case_state(laptop.ws(), case), case_state(desktop.ws(), case));
    assert_eq!(a, b);
    assert_eq!(a.0.event.city, "Broken Arrow");
    assert_eq!(a.0.description.clothing, "Green hoodie, white sneakers");
    assert_eq!(a.2, vec!["Aunt in Broken Arrow called back."]);
    assert_eq!(a.3, vec!["Rosa Example"]);
    assert!(laptop.ws().conflicts(None).unwrap().is_empty());
}

#[test]
fn the_same_field_edited_on_two_devices_is_one_conflict_seen_on_both_and_resolved_by_either() {
    let Some(world) = World::start() else { return };
    let (ana, mut laptop) = one_case_manager(&world);
    let case = laptop.ws().create_case(&fields(3), Moment::now()).unwrap().id;
    laptop.sync().unwrap();
    let mut desktop = world.workspace("ana-desktop");
    world.enrol(&mut desktop, &ana);
    desktop.sync().unwrap();

    let edit = |device: &mut Device, city: &str| {
        let record = device.ws().get_case(case).unwrap();
        let mut f = record.fields.clone();
        f.event.city = city.into();
        device.ws().update_case(case, record.version, &f, Moment::now()).unwrap();
    };
    edit(&mut laptop, "Sapulpa");
    edit(&mut desktop, "Sand Springs");
    laptop.sync().unwrap();
    let report = desktop.sync().unwrap();
    assert_eq!(report.conflicts, 1, "{report:?}");
    laptop.sync().unwrap();

    let on_laptop = laptop.ws().conflicts(None).unwrap();
    let on_desktop = desktop.ws().conflicts(None).unwrap();
    assert_eq!(on_laptop.len(), 1, "{on_laptop:?}");
    assert_eq!(on_desktop.len(), 1, "{on_desktop:?}");
    assert_eq!(on_laptop[0].id, on_desktop[0].id, "the same conflict on both");
    assert_eq!(on_laptop[0].field, "event.city");
    let both: Vec<&str> = vec![on_laptop[0].mine.display.as_str(), on_laptop[0].theirs.display.as_str()];
    assert!(both.contains(&"Sapulpa") && both.contains(&"Sand Springs"), "{both:?}");
    assert!(on_laptop[0].mine.this_device && !on_laptop[0].theirs.this_device);
    // Both devices show the value in force, the same one.
    assert_eq!(laptop.ws().get_case(case).unwrap().fields.event.city, desktop.ws().get_case(case).unwrap().fields.event.city);

    // The laptop keeps its own value; after both sync, it is in force everywhere, settled.
    laptop.ws().resolve_conflict(&on_laptop[0].id, &ConflictResolution::KeepMine, Moment::now()).unwrap();
    assert!(laptop.ws().conflicts(None).unwrap().is_empty(), "settled locally at once");
    let report = laptop.sync().unwrap();
    assert_eq!((report.rejected, report.conflicts), (0, 0), "a resolution raises no new conflict: {report:?}");
    desktop.sync().unwrap();
    assert!(desktop.ws().conflicts(None).unwrap().is_empty());
    assert_eq!(desktop.ws().get_case(case).unwrap().fields.event.city, "Sapulpa");
    assert_eq!(case_state(laptop.ws(), case), case_state(desktop.ws(), case));
}

#[test]
fn photos_go_up_in_their_own_transfer_and_come_down_to_the_other_device_unchanged() {
    let Some(world) = World::start() else { return };
    let (ana, mut laptop) = one_case_manager(&world);
    let seed = seeded(4);
    let case = laptop.ws().create_case(&seed.fields, Moment::now()).unwrap().id;
    let meta = PhotoMeta {
        kind: Some(PhotoKind::Photo),
        age_progressed_to: None,
        taken_on: String::new(),
        child_age: None,
        source: "mother (generated)".into(),
        consent_to_publish: true,
    };
    let photo = laptop.ws().add_photo_file(case, &seed.photos[0].png, "school.png", &meta, Moment::now()).unwrap();
    let report = laptop.sync().unwrap();
    assert!(report.blobs_up >= 1, "{report:?}");

    let mut desktop = world.workspace("ana-desktop");
    world.enrol(&mut desktop, &ana);
    let report = desktop.sync().unwrap();
    assert!(report.blobs_down >= 1, "{report:?}");
    let original = laptop.ws().photo_image(photo.id, Moment::now()).unwrap();
    let received = desktop.ws().photo_image(photo.id, Moment::now()).unwrap();
    assert_eq!(received, original);
    let (sent, got) = laptop.remote().bytes_on_wire();
    assert!(sent as usize >= seed.photos[0].png.len() && got > 0);
}

#[test]
fn a_case_manager_of_another_office_receives_nothing_of_a_case_not_shared_with_them() {
    let Some(world) = World::start() else { return };
    let (_ana, mut laptop) = one_case_manager(&world);
    let case = laptop.ws().create_case(&fields(5), Moment::now()).unwrap().id;
    laptop.sync().unwrap();
    let elsewhere = world.office("Austin");
    let bo = world.person("bo.other", Role::CaseManager, Some(elsewhere));
    let mut theirs = world.workspace("bo-laptop");
    world.enrol(&mut theirs, &bo);
    theirs.sync().unwrap();
    assert!(theirs.ws().get_case(case).is_err(), "a case outside Bo's scope never reaches Bo's device");
    assert_eq!(theirs.ws().list_cases(&Default::default()).unwrap().total, 0);
}

#[test]
fn a_device_flagged_for_wipe_is_told_so_and_deleting_its_workspace_is_reported() {
    let Some(world) = World::start() else { return };
    let (_ana, mut laptop) = one_case_manager(&world);
    laptop.ws().create_case(&fields(6), Moment::now()).unwrap();
    laptop.sync().unwrap();
    let device = laptop.device_id();
    world.request_wipe(device);

    let e = laptop.sync().unwrap_err();
    assert!(matches!(e, SyncError::WipeRequested), "{e:?}");
    // What the app and the CLI do next: the files go, then the service hears it.
    drop(laptop.workspace.take());
    Workspace::destroy(&laptop.path).unwrap();
    assert!(!laptop.path.exists());
    let leftovers: Vec<_> = std::fs::read_dir(laptop.path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ana-laptop"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    laptop.remote().report_wiped().unwrap();
    let wiped = world.query_text("SELECT (wiped_at IS NOT NULL)::text FROM devices WHERE id = $1", &[&device]);
    assert_eq!(wiped, vec!["true"]);
    // The token ends with the report.
    assert!(matches!(laptop.remote().hello(), Err(SyncError::Revoked { .. })));
}

#[test]
fn a_revoked_device_is_refused_in_words_and_keeps_its_work() {
    let Some(world) = World::start() else { return };
    let (_ana, mut laptop) = one_case_manager(&world);
    laptop.ws().create_case(&fields(7), Moment::now()).unwrap();
    let device = laptop.device_id();
    world.revoke(device);
    let pending = laptop.ws().pending_count().unwrap();

    let e = laptop.sync().unwrap_err();
    assert!(matches!(e, SyncError::Revoked { .. }), "{e:?}");
    let app = AppError::from(e);
    assert_eq!(app.code, ErrorCode::ServiceRefused);
    assert!(app.message.contains("revoked") && app.message.contains("Enrol this device again"), "{}", app.message);
    assert!(app.message.contains("local work is kept"), "{}", app.message);
    assert_eq!(laptop.ws().pending_count().unwrap(), pending, "nothing was lost");
}

#[test]
fn an_app_speaking_another_protocol_version_is_told_which_versions_the_service_speaks() {
    let Some(world) = World::start() else { return };
    let (_ana, mut laptop) = one_case_manager(&world);
    let token = laptop.ws().sync_identity().unwrap().expect("enrolled").token;
    let future = porchlight_sync_client::Remote::new(&world.url, &token).unwrap().with_protocol_version(porchlight_sync::PROTOCOL_VERSION + 50);
    let e = future.hello().unwrap_err();
    let SyncError::ProtocolMismatch { min, max } = e else { panic!("{e:?}") };
    assert_eq!((min, max), (porchlight_sync::MIN_PROTOCOL_VERSION, porchlight_sync::PROTOCOL_VERSION));
    let app = AppError::from(SyncError::ProtocolMismatch { min, max });
    assert_eq!(app.code, ErrorCode::ProtocolMismatch);
    assert!(app.message.contains(&format!("accepts versions {min} to {max}")), "{}", app.message);
    let e = future.pull(porchlight_sync::Cursor::START, 10).unwrap_err();
    assert!(matches!(e, SyncError::ProtocolMismatch { .. }), "the service refuses every sync call of a version it does not speak: {e:?}");
}
