//! A laptop whose clock runs hours ahead of the service's, through the real service on a real
//! PostgreSQL: what it made before it first reached the service, and after, all arrives, and
//! nothing is refused as stamped in the future. Everyone here is invented.

use super::harness::World;
use chrono::{DateTime, Duration, Utc};
use porchlight_domain::{CaseStatus, ContactFields, Moment, NoteCategory, NoteInput, Relationship, StatusChange};
use porchlight_server::people::Role;
use porchlight_sync::Replica;
use porchlight_sync_client::SyncRun;

/// The laptop's wall clock: three hours ahead of the real one (and so of the service's).
fn ahead() -> DateTime<Utc> {
    Utc::now() + Duration::hours(3)
}

fn ahead_moment() -> Moment {
    Moment::at_utc(ahead())
}

fn sync_ahead(device: &mut super::harness::Device) -> SyncRun {
    let remote = device.remote.as_ref().expect("the device is enrolled");
    let workspace = device.workspace.as_mut().expect("the workspace is open");
    let run = porchlight_sync_client::sync_run(remote, workspace, &ahead).expect("a sync with the clock ahead");
    assert_eq!(run.report.rejected, 0, "nothing refused: {:?}", run.refused);
    run
}

#[test]
fn a_laptop_hours_ahead_that_worked_before_its_first_sync_loses_nothing() {
    let Some(world) = World::start() else { return };
    let office = world.office("Norman");
    let ana = world.person("ana.field", Role::CaseManager, Some(office));

    // Weeks of work before the laptop ever reached the service, every write stamped three hours ahead.
    let mut laptop = world.workspace("ana-laptop");
    let seeded = porchlight_seed::case(43, 1, Moment::now().local.date(), true);
    let case = laptop.ws().create_case(&seeded.fields, ahead_moment()).unwrap();
    let note = laptop.ws().add_note(case.id, &NoteInput { category: NoteCategory::Call, text: "Called the school office.".into() }, ahead_moment()).unwrap();
    laptop
        .ws()
        .edit_note(note.current.note_id, 1, &NoteInput { category: NoteCategory::Call, text: "Called the school office; she was not in class.".into() }, ahead_moment())
        .unwrap();
    let mut edited = case.fields.clone();
    edited.event.city = "Moore".into();
    laptop.ws().update_case(case.id, case.version, &edited, ahead_moment()).unwrap();
    laptop.ws().change_status(case.id, &StatusChange { to: CaseStatus::Active, reason: "Police report filed".into(), outcome: None }, ahead_moment()).unwrap();
    let contact = ContactFields { name: "Dana Example".into(), relationship: Some(Relationship::Grandparent), phones: vec!["405 555 0188".into()], ..Default::default() };
    laptop.ws().add_contact(case.id, &contact, ahead_moment()).unwrap();
    let waiting = laptop.ws().pending_count().unwrap();

    world.enrol(&mut laptop, &ana);
    let run = sync_ahead(&mut laptop);
    assert!(run.restamped >= waiting, "{} of {waiting} ops stamped again", run.restamped);
    assert_eq!(laptop.ws().pending_count().unwrap(), 0);
    assert_eq!(world.query_text("SELECT id::text FROM cases", &[]), vec![case.id.to_string()]);
    assert_eq!(world.query_text("SELECT status::text FROM cases", &[]), vec!["active".to_owned()]);

    // Its clock still runs ahead: an edit after the first sync is stamped on the service's time.
    let record = laptop.ws().get_case(case.id).unwrap();
    let mut edited = record.fields.clone();
    edited.description.clothing = "Red raincoat".into();
    laptop.ws().update_case(case.id, record.version, &edited, ahead_moment()).unwrap();
    let run = sync_ahead(&mut laptop);
    assert_eq!((run.restamped, run.report.pushed >= 1), (0, true), "{run:?}");

    // A second device, its clock right, receives all of it.
    let mut desktop = world.workspace("ana-desktop");
    world.enrol(&mut desktop, &ana);
    desktop.sync().expect("the second device's first sync");
    let got = desktop.ws().get_case(case.id).unwrap();
    assert_eq!((got.fields.event.city.as_str(), got.fields.description.clothing.as_str()), ("Moore", "Red raincoat"));
    assert_eq!(got.status, CaseStatus::Active);
    let notes = desktop.ws().notes(case.id).unwrap();
    assert_eq!(notes.iter().map(|n| n.current.text.as_str()).collect::<Vec<_>>(), ["Called the school office; she was not in class."]);
    assert_eq!(desktop.ws().contacts(case.id).unwrap().iter().map(|c| c.fields.name.as_str()).collect::<Vec<_>>(), ["Dana Example"]);
}
