//! The case manager's records through the store, on real encrypted files: status changes
//! (every refused move, and a reopening), note versions, family contacts, the case view, the
//! timeline, the audit log, duplicate warnings and poster records. Every person here is invented.

use super::*;
use porchlight_domain::{
    allowed_next, AuditAction, ContactFields, NoteCategory, NoteInput, Outcome, PaperSize, PosterLanguage, PosterOptions,
    RecordId, Relationship, StatusChange, TimelineKind,
};

fn open() -> (Scratch, Workspace, CaseId) {
    let s = scratch();
    let mut ws = new_workspace(&s);
    ws.set_actor("ana.caseworker");
    let id = ws.create_case(&maya(), now()).unwrap().id;
    (s, ws, id)
}

fn move_to(to: CaseStatus) -> StatusChange {
    StatusChange { to, reason: "Confirmed with the investigating officer".into(), outcome: (to == CaseStatus::Resolved).then_some(Outcome::ReturnedHome) }
}

fn field_of(error: StoreError) -> Vec<String> {
    match error {
        StoreError::Validation(faults) => faults.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation refusal, got {other:?}"),
    }
}

fn grace() -> ContactFields {
    ContactFields {
        name: "Grace Okafor".into(),
        relationship: Some(Relationship::Mother),
        phones: vec!["918 555 0142".into()],
        ..Default::default()
    }
}

fn audit_actions(ws: &Workspace, case: CaseId) -> Vec<AuditAction> {
    ws.case_audit(case).unwrap().into_iter().map(|e| e.action).collect()
}

/// A picture of the child, taken on `taken_on` (YYYY-MM-DD, or empty).
fn child_photo(taken_on: &str) -> porchlight_domain::PhotoMeta {
    porchlight_domain::PhotoMeta {
        kind: Some(porchlight_domain::PhotoKind::Photo),
        taken_on: taken_on.into(),
        source: "mother".into(),
        consent_to_publish: true,
        ..Default::default()
    }
}

fn note(text: &str) -> NoteInput {
    NoteInput { category: NoteCategory::Call, text: text.into() }
}

// ---------------------------------------------------------------------------------------------
// Status

/// A path of allowed moves from intake to each status.
fn path_to(status: CaseStatus) -> Vec<CaseStatus> {
    use CaseStatus::*;
    match status {
        Intake => vec![],
        Active => vec![Active],
        LocatedAlive => vec![LocatedAlive],
        LocatedDeceased => vec![Active, LocatedDeceased],
        Recovered => vec![Recovered],
        Resolved => vec![Active, Resolved],
        Closed => vec![Closed],
    }
}

#[test]
fn every_refused_status_move_is_refused_by_the_store_and_writes_nothing() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let mut refusals = 0;
    for &from in CaseStatus::ALL {
        let id = ws.create_case(&maya(), now()).unwrap().id;
        for (i, step) in path_to(from).into_iter().enumerate() {
            ws.change_status(id, &move_to(step), later(i as i64 + 1)).unwrap();
        }
        assert_eq!(ws.get_case(id).unwrap().status, from);
        let history = ws.status_events(id).unwrap();
        let audit = ws.case_audit(id).unwrap();
        for &to in CaseStatus::ALL.iter().filter(|to| !allowed_next(from).contains(to)) {
            let fields = field_of(ws.change_status(id, &move_to(to), later(30)).unwrap_err());
            assert_eq!(fields, vec!["to"], "{from:?} -> {to:?}");
            refusals += 1;
        }
        assert_eq!(ws.status_events(id).unwrap(), history, "a refusal from {from:?} wrote a status event");
        assert_eq!(ws.case_audit(id).unwrap(), audit, "a refusal from {from:?} wrote an audit line");
        assert_eq!(ws.get_case(id).unwrap().status, from);
    }
    // 7 statuses × 7 targets, less the 18 allowed moves.
    assert_eq!(refusals, 49 - 18);
}

#[test]
fn a_refusal_names_the_reason_and_the_outcome_and_a_message_says_the_fix() {
    let (_s, mut ws, id) = open();
    let silent = StatusChange { to: CaseStatus::Active, reason: "   ".into(), outcome: None };
    assert_eq!(field_of(ws.change_status(id, &silent, later(1)).unwrap_err()), vec!["reason"]);
    ws.change_status(id, &move_to(CaseStatus::Active), later(2)).unwrap();
    let no_outcome = StatusChange { to: CaseStatus::Resolved, reason: "Home safe".into(), outcome: None };
    let error = ws.change_status(id, &no_outcome, later(3)).unwrap_err();
    let app = AppError::from(error);
    assert_eq!(app.code, ErrorCode::Validation);
    assert_eq!(app.fields[0].field, "outcome");
    assert!(app.message.contains("resolved"), "{}", app.message);
    let stray = StatusChange { to: CaseStatus::Recovered, reason: "Found".into(), outcome: Some(Outcome::InCare) };
    assert_eq!(field_of(ws.change_status(id, &stray, later(4)).unwrap_err()), vec!["outcome"]);
    let unknown = CaseId::from_uuid(uuid_nil());
    assert!(matches!(ws.change_status(unknown, &move_to(CaseStatus::Active), later(5)), Err(StoreError::NotFound(_))));
}

fn uuid_nil() -> uuid::Uuid {
    uuid::Uuid::nil()
}

#[test]
fn resolving_records_the_outcome_and_reopening_is_allowed_and_recorded() {
    let (_s, mut ws, id) = open();
    ws.change_status(id, &move_to(CaseStatus::Active), later(1)).unwrap();
    let resolved = ws.change_status(id, &move_to(CaseStatus::Resolved), later(2)).unwrap();
    assert_eq!((resolved.from, resolved.to, resolved.outcome), (Some(CaseStatus::Active), CaseStatus::Resolved, Some(Outcome::ReturnedHome)));
    assert_eq!(resolved.actor, "ana.caseworker");
    assert_eq!(resolved.case_id, id);
    let reopen = StatusChange { to: CaseStatus::Active, reason: "Ran away again on 2026-12-01".into(), outcome: None };
    let reopened = ws.change_status(id, &reopen, later(3)).unwrap();
    assert_eq!((reopened.from, reopened.to), (Some(CaseStatus::Resolved), CaseStatus::Active));
    assert!(reopened.seq > resolved.seq);
    assert_eq!(reopened.at, later(3).utc);

    let record = ws.get_case(id).unwrap();
    assert_eq!(record.status, CaseStatus::Active);
    let history = ws.status_events(id).unwrap();
    let moves: Vec<_> = history.iter().map(|e| (e.from, e.to, e.outcome)).collect();
    assert_eq!(
        moves,
        vec![
            (None, CaseStatus::Intake, None),
            (Some(CaseStatus::Intake), CaseStatus::Active, None),
            (Some(CaseStatus::Active), CaseStatus::Resolved, Some(Outcome::ReturnedHome)),
            (Some(CaseStatus::Resolved), CaseStatus::Active, None),
        ]
    );
    assert_eq!(history[3].reason, "Ran away again on 2026-12-01");
    // The list filters on the status the events say.
    let active = ws.list_cases(&ListQuery { status: Some(CaseStatus::Active), ..Default::default() }).unwrap();
    assert_eq!(ids(&active.rows), vec![id]);
    // A status change is not an edit of the form: the edit version stays.
    assert_eq!(record.version, 1);
    ws.update_case(id, 1, &fields("Maya", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-18", "2011-04-02"), later(4)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Notes

#[test]
fn an_edit_adds_a_version_and_every_version_stays_readable_oldest_first() {
    let (_s, mut ws, id) = open();
    let first = ws.add_note(id, &note("  Mother called: Maya was seen at the bus station.  "), later(1)).unwrap();
    assert_eq!(first.versions, 1);
    assert_eq!(first.current.text, "Mother called: Maya was seen at the bus station.");
    assert_eq!(first.current.author, "ana.caseworker");
    let note_id = first.current.note_id;

    ws.set_actor("ben.supervisor");
    let input = NoteInput { category: NoteCategory::LeadTip, text: "Mother called: Maya was seen at the Greyhound station on 3rd St.".into() };
    let second = ws.edit_note(note_id, 1, &input, later(2)).unwrap();
    assert_eq!(second.versions, 2);
    assert_eq!(second.current.version, 2);
    assert_eq!(second.current.category, NoteCategory::LeadTip);
    assert_eq!(second.current.author, "ben.supervisor");
    assert_eq!(second.first_author, "ana.caseworker");
    assert_eq!(second.first_written_at, later(1).utc);

    let history = ws.note_history(note_id).unwrap();
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(history[0].text, "Mother called: Maya was seen at the bus station.");
    assert_eq!(history[0].category, NoteCategory::Call);
    assert_eq!(history[1].text, input.text);

    // Saving over version 1 again is stale: refused, nothing written.
    let stale = ws.edit_note(note_id, 1, &note("Overwrite"), later(3)).unwrap_err();
    assert!(matches!(stale, StoreError::RecordEditConflict { expected: 1, actual: 2, .. }), "{stale:?}");
    assert_eq!(AppError::from(stale).code, ErrorCode::EditConflict);
    assert_eq!(ws.note_history(note_id).unwrap().len(), 2);
    // The same text again writes no version.
    assert_eq!(ws.edit_note(note_id, 2, &input, later(4)).unwrap().versions, 2);
    // The case view lists the current version.
    let view = ws.open_case(id, later(5)).unwrap();
    assert_eq!(view.notes.len(), 1);
    assert_eq!(view.notes[0].current.text, input.text);
}

#[test]
fn notes_are_listed_newest_first_and_bad_notes_are_refused_by_field() {
    let (_s, mut ws, id) = open();
    for (i, text) in ["First call", "Second call", "Third call"].into_iter().enumerate() {
        ws.add_note(id, &note(text), later(i as i64 + 1)).unwrap();
    }
    let texts: Vec<String> = ws.notes(id).unwrap().into_iter().map(|n| n.current.text).collect();
    assert_eq!(texts, vec!["Third call", "Second call", "First call"]);
    assert_eq!(field_of(ws.add_note(id, &note("  "), later(5)).unwrap_err()), vec!["text"]);
    let missing = RecordId::from_uuid(uuid_nil());
    assert!(matches!(ws.edit_note(missing, 1, &note("x"), later(6)), Err(StoreError::RecordNotFound { kind: "note", .. })));
    assert!(matches!(ws.note_history(missing), Err(StoreError::RecordNotFound { .. })));
    assert!(matches!(ws.add_note(CaseId::from_uuid(uuid_nil()), &note("x"), later(7)), Err(StoreError::NotFound(_))));
}

// ---------------------------------------------------------------------------------------------
// Contacts

#[test]
fn one_contact_is_primary_and_making_another_primary_moves_the_mark() {
    let (_s, mut ws, id) = open();
    let mother = ws.add_contact(id, &ContactFields { primary: true, ..grace() }, later(1)).unwrap();
    assert!(mother.fields.primary);
    assert_eq!(mother.fields.phones, vec!["(918) 555-0142"]);
    let father = ContactFields { name: "Samuel Okafor".into(), relationship: Some(Relationship::Father), primary: true, email: "samuel@example.org".into(), ..Default::default() };
    let father = ws.add_contact(id, &father, later(2)).unwrap();
    let contacts = ws.contacts(id).unwrap();
    assert_eq!(contacts.iter().filter(|c| c.fields.primary).count(), 1);
    assert_eq!(contacts[0].id, father.id, "the primary contact comes first");
    let mother_now = contacts.iter().find(|c| c.id == mother.id).unwrap();
    assert!(!mother_now.fields.primary);
    assert_eq!(mother_now.version, 2, "losing the mark is a recorded edit, not a silent change");

    // Editing the mother back to primary clears the father, through the edit path.
    let again = ws.update_contact(mother.id, 2, &ContactFields { primary: true, ..grace() }, later(3)).unwrap();
    assert!(again.fields.primary);
    assert_eq!(again.version, 3);
    let contacts = ws.contacts(id).unwrap();
    assert_eq!(contacts.iter().filter(|c| c.fields.primary).map(|c| c.id).collect::<Vec<_>>(), vec![mother.id]);
    // A stale edit is a conflict.
    let stale = ws.update_contact(mother.id, 2, &grace(), later(4)).unwrap_err();
    assert!(matches!(stale, StoreError::RecordEditConflict { kind: "contact", expected: 2, actual: 3, .. }), "{stale:?}");
}

#[test]
fn removing_a_contact_keeps_it_with_the_reason_and_a_reason_is_required() {
    let (_s, mut ws, id) = open();
    let mother = ws.add_contact(id, &ContactFields { primary: true, ..grace() }, later(1)).unwrap();
    assert_eq!(field_of(ws.remove_contact(mother.id, "  ", later(2)).unwrap_err()), vec!["reason"]);
    let removed = ws.remove_contact(mother.id, "Number disconnected; family moved", later(3)).unwrap();
    assert_eq!(removed.removed_at, Some(later(3).utc));
    assert_eq!(removed.removed_reason, "Number disconnected; family moved");
    assert!(!removed.fields.primary, "a removed contact is no longer the primary one");
    assert_eq!(removed.fields.name, "Grace Okafor");
    let contacts = ws.contacts(id).unwrap();
    assert_eq!(contacts.len(), 1, "the row stays");
    // Removing again changes nothing; editing a removed contact is refused.
    assert_eq!(ws.remove_contact(mother.id, "again", later(4)).unwrap(), removed);
    assert_eq!(field_of(ws.update_contact(mother.id, removed.version, &grace(), later(5)).unwrap_err()), vec!["name"]);
    // Removed contacts follow the current ones in the view.
    let aunt = ContactFields { name: "Ada Eze".into(), relationship: Some(Relationship::Other), relationship_detail: "aunt".into(), address: "12 Elm St, Tulsa".into(), ..Default::default() };
    let aunt = ws.add_contact(id, &aunt, later(6)).unwrap();
    let view = ws.open_case(id, later(7)).unwrap();
    assert_eq!(view.contacts.iter().map(|c| c.id).collect::<Vec<_>>(), vec![aunt.id, mother.id]);
}

#[test]
fn invalid_contacts_are_refused_by_field_and_write_nothing() {
    let (_s, mut ws, id) = open();
    let before = ws.case_audit(id).unwrap();
    let nameless = ContactFields { name: "".into(), ..grace() };
    assert_eq!(field_of(ws.add_contact(id, &nameless, later(1)).unwrap_err()), vec!["name"]);
    let bad_phone = ContactFields { phones: vec!["12".into()], ..grace() };
    assert_eq!(field_of(ws.add_contact(id, &bad_phone, later(1)).unwrap_err()), vec!["phones.0"]);
    assert!(ws.contacts(id).unwrap().is_empty());
    assert_eq!(ws.case_audit(id).unwrap(), before);
    let missing = RecordId::from_uuid(uuid_nil());
    assert!(matches!(ws.remove_contact(missing, "gone", later(2)), Err(StoreError::RecordNotFound { kind: "contact", .. })));
}

#[test]
fn a_do_not_disclose_contact_is_named_in_the_case_view_until_removed() {
    let (_s, mut ws, id) = open();
    ws.add_contact(id, &ContactFields { primary: true, ..grace() }, later(1)).unwrap();
    let father = ContactFields {
        name: "Samuel Okafor".into(),
        relationship: Some(Relationship::Father),
        phones: vec!["(405) 555-0170".into()],
        notes: "Suspected of taking Maya; protective order in place.".into(),
        do_not_disclose: true,
        ..Default::default()
    };
    let father = ws.add_contact(id, &father, later(2)).unwrap();
    let view = ws.open_case(id, later(3)).unwrap();
    assert_eq!(view.do_not_disclose, vec!["Samuel Okafor".to_string()]);
    assert!(view.contacts.iter().any(|c| c.id == father.id && c.fields.do_not_disclose));
    // The internal timeline shows the contact, marked.
    let timeline = ws.timeline(id, &[TimelineKind::Contact]).unwrap();
    assert!(timeline.iter().any(|e| e.title == "Contact added: Samuel Okafor (father) — do not disclose"), "{timeline:#?}");
    ws.remove_contact(father.id, "Order lifted; contact through the attorney instead", later(4)).unwrap();
    assert!(ws.open_case(id, later(5)).unwrap().do_not_disclose.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The case view and its photos

#[test]
fn the_case_view_holds_everything_and_warns_of_an_old_photo() {
    let (_s, mut ws, id) = open();
    ws.change_status(id, &move_to(CaseStatus::Active), later(1)).unwrap();
    ws.add_photo_file(id, &png(3, 30, 40), "maya-2023.png", &child_photo("2023-03-10"), later(2)).unwrap();
    let view = ws.open_case(id, later(3)).unwrap();
    assert_eq!(view.record.id, id);
    assert_eq!(view.record.status, CaseStatus::Active);
    assert_eq!(view.status_history.iter().map(|e| e.to).collect::<Vec<_>>(), vec![CaseStatus::Intake, CaseStatus::Active]);
    assert_eq!(view.photos.len(), 1);
    assert_eq!(view.photos[0].meta.taken_on, "2023-03-10");
    assert_eq!(
        view.photo_warning.as_deref(),
        Some("The newest photo of Maya is from March 2023; ask the family for a recent one or request an age progression.")
    );
    ws.add_photo_file(id, &png(4, 30, 40), "maya-2026.png", &child_photo("2026-06-01"), later(4)).unwrap();
    let view = ws.open_case(id, later(5)).unwrap();
    assert_eq!(view.photos.len(), 2);
    assert_eq!(view.photo_warning, None);
    assert!(matches!(ws.open_case(CaseId::from_uuid(uuid_nil()), later(6)), Err(StoreError::NotFound(_))));
}

// ---------------------------------------------------------------------------------------------
// Timeline

#[test]
fn the_timeline_interleaves_everything_newest_first_and_filters_by_kind() {
    let (_s, mut ws, id) = open();
    let mother = ws.add_contact(id, &ContactFields { primary: true, ..grace() }, later(1)).unwrap();
    let first = ws.add_note(id, &note("Mother reports Maya left after school."), later(2)).unwrap();
    ws.edit_note(first.current.note_id, 1, &note("Mother reports Maya left after school at 3 pm."), later(3)).unwrap();
    ws.change_status(id, &move_to(CaseStatus::Active), later(4)).unwrap();
    ws.add_photo_file(id, &png(5, 30, 40), "maya.png", &child_photo(""), later(5)).unwrap();
    ws.update_contact(mother.id, 1, &ContactFields { email: "grace@example.org".into(), primary: true, ..grace() }, later(6)).unwrap();
    ws.update_case(id, 1, &fields("Maya", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-18", "2011-04-02"), later(7)).unwrap();
    ws.remove_contact(mother.id, "Asked to be reached through the aunt", later(8)).unwrap();
    ws.set_archived(id, true, later(9)).unwrap();

    let all = ws.timeline(id, &[]).unwrap();
    let titles: Vec<&str> = all.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "Case archived",
            "Contact removed: Grace Okafor (mother)",
            "Case edited (version 2)",
            "Contact edited: Grace Okafor (mother, primary)",
            "Photo added: photo of the child",
            "Status: Intake → Active",
            "Note edited: Call (version 2)",
            "Note added: Call",
            "Contact added: Grace Okafor (mother, primary)",
            "Status: Intake",
            "Case created",
        ]
    );
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at));
    assert_eq!(all[1].detail, "Reason: Asked to be reached through the aunt");
    assert_eq!(all[2].detail, "Changed: event.last_seen_date");
    assert_eq!(all[3].detail, "Changed: email");
    assert_eq!(all[5].detail, "Confirmed with the investigating officer");
    assert_eq!(all[6].detail, "Mother reports Maya left after school at 3 pm.");
    assert_eq!(all[6].record_id, Some(first.current.note_id.to_string()));
    assert_eq!(all[8].record_id, Some(mother.id.to_string()));
    assert!(all.iter().all(|e| e.actor == "ana.caseworker"));

    let notes = ws.timeline(id, &[TimelineKind::Note]).unwrap();
    assert_eq!(notes.iter().map(|e| e.title.as_str()).collect::<Vec<_>>(), vec!["Note edited: Call (version 2)", "Note added: Call"]);
    let some = ws.timeline(id, &[TimelineKind::Status, TimelineKind::Photo]).unwrap();
    assert_eq!(some.iter().map(|e| e.kind).collect::<Vec<_>>(), vec![TimelineKind::Photo, TimelineKind::Status, TimelineKind::Status]);
    assert!(ws.timeline(CaseId::from_uuid(uuid_nil()), &[]).is_err());
}

// ---------------------------------------------------------------------------------------------
// Audit log

#[test]
fn every_action_appends_one_audit_line_with_who_and_when_and_no_personal_data() {
    let (_s, mut ws, id) = open();
    ws.open_case(id, later(1)).unwrap();
    ws.update_case(id, 1, &fields("Maya", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-18", "2011-04-02"), later(2)).unwrap();
    let note_id = ws.add_note(id, &note("Called the school counsellor."), later(3)).unwrap().current.note_id;
    ws.edit_note(note_id, 1, &note("Called the school counsellor twice."), later(4)).unwrap();
    let contact = ws.add_contact(id, &grace(), later(5)).unwrap();
    ws.update_contact(contact.id, 1, &ContactFields { email: "grace@example.org".into(), ..grace() }, later(6)).unwrap();
    ws.remove_contact(contact.id, "Moved away", later(7)).unwrap();
    ws.change_status(id, &move_to(CaseStatus::Active), later(8)).unwrap();
    let sha = "ab".repeat(32);
    ws.record_poster(&[id], "saved", "/tmp/maya.pdf", &PosterOptions::default(), &[], "MISSING Maya Okafor", &sha, later(9)).unwrap();
    ws.record_audit(Some(id), AuditAction::Exported, "1 case exported as NCIC worksheet", later(10)).unwrap();
    ws.set_archived(id, true, later(11)).unwrap();
    ws.set_archived(id, false, later(12)).unwrap();

    let audit = ws.case_audit(id).unwrap();
    use AuditAction::*;
    assert_eq!(
        audit.iter().map(|e| e.action).collect::<Vec<_>>(),
        vec![
            CaseUnarchived,
            CaseArchived,
            Exported,
            PosterProduced,
            StatusChanged,
            ContactRemoved,
            ContactEdited,
            ContactAdded,
            NoteEdited,
            NoteAdded,
            CaseEdited,
            CaseOpened,
            CaseCreated
        ]
    );
    assert!(audit.windows(2).all(|w| w[0].seq > w[1].seq && w[0].at >= w[1].at));
    assert_eq!(audit.last().unwrap().at, now().utc);
    assert_eq!(audit[0].at, later(12).utc);
    for entry in &audit {
        assert_eq!(entry.actor, "ana.caseworker");
        assert_eq!(entry.case_id, Some(id));
        for personal in ["Maya", "Okafor", "Grace", "counsellor", "Moved away", "maya.pdf"] {
            assert!(!entry.detail.contains(personal), "{:?} holds {personal}: {}", entry.action, entry.detail);
        }
    }
    // A line for the whole workspace, with no case.
    let line = ws.record_audit(None, Exported, "12 cases exported", later(13)).unwrap();
    assert_eq!(line.case_id, None);
    assert_eq!(ws.case_audit(id).unwrap().len(), audit.len());
    assert!(matches!(ws.record_audit(Some(CaseId::from_uuid(uuid_nil())), Exported, "", later(14)), Err(StoreError::NotFound(_))));
}

#[test]
fn an_import_audits_each_case_it_creates() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let cases = vec![NewCase { fields: maya(), photos: vec![] }, NewCase { fields: fields("Lena", "Marsh", "TX", CaseType::FamilyAbduction, "2026-10-01", "2014-01-09"), photos: vec![] }];
    for id in ws.import_cases(&cases, now()).unwrap() {
        assert_eq!(audit_actions(&ws, id), vec![AuditAction::CaseCreated]);
    }
}

#[test]
fn a_refused_write_appends_no_audit_line() {
    let (_s, mut ws, id) = open();
    let note_id = ws.add_note(id, &note("First call"), later(1)).unwrap().current.note_id;
    let contact = ws.add_contact(id, &grace(), later(2)).unwrap();
    let before = ws.case_audit(id).unwrap();
    assert!(ws.add_note(id, &note(""), later(3)).is_err());
    assert!(ws.edit_note(note_id, 1, &note(""), later(3)).is_err());
    assert!(ws.edit_note(note_id, 7, &note("stale"), later(3)).is_err());
    assert!(ws.add_contact(id, &ContactFields::default(), later(3)).is_err());
    assert!(ws.update_contact(contact.id, 1, &ContactFields { email: "nope".into(), ..grace() }, later(3)).is_err());
    assert!(ws.remove_contact(contact.id, "", later(3)).is_err());
    assert!(ws.change_status(id, &move_to(CaseStatus::Resolved), later(3)).is_err());
    assert!(ws.update_case(id, 1, &fields("", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-19", "2011-04-02"), later(3)).is_err());
    assert!(ws.update_case(id, 9, &maya(), later(3)).is_err());
    assert!(ws.record_poster(&[id], "faxed", "", &PosterOptions::default(), &[], "", &"ab".repeat(32), later(3)).is_err());
    assert!(ws.record_poster(&[id], "saved", "", &PosterOptions::default(), &[], "", "not a hash", later(3)).is_err());
    // Saving unchanged things is not an action either.
    ws.update_case(id, 1, &maya(), later(4)).unwrap();
    ws.edit_note(note_id, 1, &note("First call"), later(4)).unwrap();
    ws.update_contact(contact.id, 1, &grace(), later(4)).unwrap();
    assert_eq!(ws.case_audit(id).unwrap(), before);
}

// ---------------------------------------------------------------------------------------------
// Duplicates

#[test]
fn a_near_identical_child_is_found_with_reasons_and_an_unrelated_one_is_not() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let maya_id = ws.create_case(&maya(), now()).unwrap().id;
    let others = [
        fields("Lena", "Marsh", "OK", CaseType::EndangeredRunaway, "2026-11-01", "2011-04-02"),
        fields("Maya", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-01", "2008-12-02"),
        fields("Maya", "Okafor", "WA", CaseType::EndangeredRunaway, "2026-11-01", ""),
    ];
    for other in &others {
        let mut other = other.clone();
        if other.child.date_of_birth.is_empty() {
            other.child.estimated_age = Some(3);
        }
        ws.create_case(&other, now()).unwrap();
    }

    // Spelt differently, born three months apart, same state.
    let mut probe = fields("Maia", "Okafur", "OK", CaseType::FamilyAbduction, "2026-11-20", "2011-07-01");
    let found = ws.find_duplicates(&probe, None).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].case.id, maya_id);
    assert_eq!(found[0].reasons, vec!["Name sounds like Maya Okafor", "Born within a year (2011-04-02)", "Same state (OK)"]);

    // The same child exactly.
    let same = ws.find_duplicates(&maya(), None).unwrap();
    assert_eq!(same[0].case.id, maya_id);
    assert_eq!(same[0].reasons[0], "Same name: Maya Okafor");
    assert_eq!(same[0].reasons[1], "Same date of birth (2011-04-02)");
    // The case being edited is not its own duplicate.
    assert!(ws.find_duplicates(&maya(), Some(maya_id)).unwrap().is_empty());
    // Another name, or the same name born years apart, is not a duplicate.
    probe.child.given_name = "Omar".into();
    probe.child.family_name = "Ito".into();
    assert!(ws.find_duplicates(&probe, None).unwrap().is_empty());
    let younger = fields("Maya", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-20", "2014-12-01");
    assert!(ws.find_duplicates(&younger, None).unwrap().is_empty());
    // A child whose age was estimated matches by age and state.
    let mut small = fields("Maya", "Okafor", "WA", CaseType::LostInjuredMissing, "2026-11-20", "");
    small.child.estimated_age = Some(3);
    let found = ws.find_duplicates(&small, None).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].case.state.as_deref(), Some("WA"));
    assert!(found[0].reasons.iter().any(|r| r.starts_with("Close in age")), "{:?}", found[0].reasons);
    // An empty form finds nothing.
    assert!(ws.find_duplicates(&CaseFields::default(), None).unwrap().is_empty());
}

#[test]
fn duplicates_follow_edits_and_come_at_most_five_best_first() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let lena = ws.create_case(&fields("Lena", "Marsh", "TX", CaseType::EndangeredRunaway, "2026-11-01", "2012-02-02"), now()).unwrap();
    assert!(ws.find_duplicates(&maya(), None).unwrap().is_empty());
    ws.update_case(lena.id, 1, &maya(), later(1)).unwrap();
    assert_eq!(ws.find_duplicates(&maya(), None).unwrap()[0].case.id, lena.id);
    for born in ["2011-04-03", "2011-06-01", "2011-01-01", "2012-01-01", "2010-06-01", "2011-04-02"] {
        ws.create_case(&fields("Maya", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-01", born), later(2)).unwrap();
    }
    let found = ws.find_duplicates(&maya(), None).unwrap();
    assert_eq!(found.len(), 5);
    assert!(found[..2].iter().all(|c| c.case.date_of_birth.as_deref() == Some("2011-04-02")), "{found:#?}");
    assert_eq!(found[2].case.date_of_birth.as_deref(), Some("2011-04-03"));
}

// ---------------------------------------------------------------------------------------------
// Posters

#[test]
fn posters_are_recorded_for_every_child_on_them_and_listed_newest_first() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    ws.set_actor("poster.desk");
    let maya_id = ws.create_case(&maya(), now()).unwrap().id;
    let brother = ws.create_case(&fields("Obi", "Okafor", "OK", CaseType::FamilyAbduction, "2026-11-19", "2014-08-30"), now()).unwrap().id;
    let photo_id = RecordId::from_uuid(uuid::Uuid::from_u128(7));
    let sha = "0123456789abcdef".repeat(4);
    let spanish = PosterOptions { language: PosterLanguage::Es, paper: PaperSize::A4, photo_ids: vec![photo_id] };
    let together = ws
        .record_poster(&[maya_id, brother, maya_id], "printed", "", &spanish, &[photo_id], "DESAPARECIDA Maya Okafor · Obi Okafor", &sha.to_uppercase(), later(1))
        .unwrap();
    assert_eq!(together.case_ids, vec![maya_id, brother]);
    assert_eq!(together.pdf_sha256, sha);
    let alone = ws.record_poster(&[maya_id], "saved", "/home/ana/Maya.pdf", &PosterOptions::default(), &[], "MISSING Maya Okafor", &sha, later(2)).unwrap();

    let mayas = ws.posters_for_case(maya_id).unwrap();
    assert_eq!(mayas, vec![alone.clone(), together.clone()]);
    assert_eq!(mayas[1].language, PosterLanguage::Es);
    assert_eq!(mayas[1].paper, PaperSize::A4);
    assert_eq!(mayas[1].photo_ids, vec![photo_id]);
    assert_eq!(mayas[1].produced_by, "poster.desk");
    assert_eq!(mayas[0].destination, "/home/ana/Maya.pdf");
    assert_eq!(ws.posters_for_case(brother).unwrap(), vec![together]);
    assert_eq!(audit_actions(&ws, maya_id)[..2], [AuditAction::PosterProduced, AuditAction::PosterProduced]);
    assert_eq!(audit_actions(&ws, brother)[0], AuditAction::PosterProduced);

    assert!(matches!(ws.record_poster(&[], "saved", "", &PosterOptions::default(), &[], "", &sha, later(3)), Err(StoreError::Validation(_))));
    let unknown = CaseId::from_uuid(uuid_nil());
    assert!(matches!(ws.record_poster(&[maya_id, unknown], "bulk", "", &PosterOptions::default(), &[], "", &sha, later(3)), Err(StoreError::NotFound(_))));
    assert_eq!(ws.posters_for_case(maya_id).unwrap().len(), 2, "a refused poster records nothing, for no case");
}

// ---------------------------------------------------------------------------------------------
// Reopening the file

#[test]
fn records_survive_closing_and_unlocking_again() {
    let (s, mut ws, id) = open();
    let note_id = ws.add_note(id, &note("Version one"), later(1)).unwrap().current.note_id;
    ws.edit_note(note_id, 1, &note("Version two"), later(2)).unwrap();
    ws.add_contact(id, &ContactFields { do_not_disclose: true, ..grace() }, later(3)).unwrap();
    ws.change_status(id, &move_to(CaseStatus::Active), later(4)).unwrap();
    drop(ws);
    let mut ws = Workspace::open(&s.path, PASSPHRASE).unwrap();
    let view = ws.open_case(id, later(5)).unwrap();
    assert_eq!(view.notes[0].current.text, "Version two");
    assert_eq!(ws.note_history(note_id).unwrap().len(), 2);
    assert_eq!(view.do_not_disclose, vec!["Grace Okafor".to_string()]);
    assert_eq!(view.record.status, CaseStatus::Active);
    ws.integrity_check().unwrap();
}
