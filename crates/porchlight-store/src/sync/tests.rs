//! The workspace's half of sync on real encrypted files, with no server: the ops each write adds
//! (and only when it commits), base stamps, pages applied once however often they come, the
//! stamp rule, waiting edits kept, cases leaving the device whole, status by stamp, push answers,
//! refusals, the conflict inbox, the clock across a restart, and a wipe. A second workspace fed
//! the first one's ops as pages stands in for the service where a test needs another device.
//! Every child here is invented.

use super::apply::OUT_OF_SCOPE_REASON;
use super::outbox::stamp_key;
use crate::{NewCase, NewPhoto, StoreError, Workspace};
use chrono::{DateTime, TimeZone, Utc};
use porchlight_domain::{
    CaseFields, CaseId, CaseStatus, CaseType, ChildFields, ConflictChoice, ConflictResolution, ContactFields, EventFields, Moment, NoteCategory,
    NoteInput, PhotoKind, PhotoMeta, Relationship, SearchQuery, Sex, StatusChange, TimelineKind,
};
use porchlight_sync::{
    AppendedRecord, Change, ConflictRecord, ConflictSide, Cursor, Entity, Hello, Op, OpBody, OpResult, Outcome, PullPage, PushResponse, RecordState,
    RejectCode, Replica, ReplicaId, Stamp,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

const PASSPHRASE: &str = "Sync lanterns on the porch 7";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap()
}

fn at(minutes: i64) -> Moment {
    Moment::at_utc(t0() + chrono::Duration::minutes(minutes))
}

fn now() -> Moment {
    at(0)
}

fn maya() -> CaseFields {
    CaseFields {
        case_type: Some(CaseType::EndangeredRunaway),
        child: ChildFields {
            given_name: "Maya".into(),
            family_name: "Okafor".into(),
            date_of_birth: "2011-04-02".into(),
            sex: Some(Sex::Female),
            ..Default::default()
        },
        event: EventFields { last_seen_date: "2026-11-19".into(), city: "Tulsa".into(), state: "OK".into(), ..Default::default() },
        ..Default::default()
    }
}

fn grace() -> ContactFields {
    ContactFields { name: "Grace Okafor".into(), relationship: Some(Relationship::Mother), phones: vec!["(918) 555-0142".into()], ..Default::default() }
}

fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 36, |x, y| image::Rgb([seed, (x * 5) as u8, (y * 7) as u8]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn photo_meta() -> PhotoMeta {
    PhotoMeta { kind: Some(PhotoKind::Photo), source: "family".into(), consent_to_publish: true, taken_on: "2026-06-01".into(), ..Default::default() }
}

struct Device {
    _dir: tempfile::TempDir,
    path: PathBuf,
    ws: Workspace,
}

/// A workspace that has never been enrolled: its writes queue no op.
fn unenrolled() -> Device {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.porchlight");
    let ws = Workspace::create(&path, PASSPHRASE, now()).unwrap();
    Device { _dir: dir, path, ws }
}

/// An enrolled workspace whose enrolment's own audit op the service has taken, so its outbox
/// holds only what the test writes.
fn device() -> Device {
    let mut d = unenrolled();
    d.ws.set_sync_identity(&identity(), now()).unwrap();
    ack_all(&mut d.ws, now());
    d
}

fn ops(ws: &Workspace) -> Vec<Op> {
    ws.outbox(100_000).unwrap()
}

/// The ops other than audit events, which every write also adds.
fn data_ops(ws: &Workspace) -> Vec<Op> {
    ops(ws).into_iter().filter(|op| op.entity() != Some(Entity::AuditEvent)).collect()
}

fn set_fields(op: &Op) -> BTreeMap<String, (Value, Option<Stamp>)> {
    match &op.body {
        OpBody::Set { fields, .. } => fields.iter().map(|f| (f.field.clone(), (f.value.clone(), f.base))).collect(),
        other => panic!("expected a set, got {other:?}"),
    }
}

/// Acknowledges every op in the outbox as the service would when it took them all.
fn ack_all(ws: &mut Workspace, at: Moment) {
    let pushed = ops(ws);
    let results = pushed.iter().enumerate().map(|(i, op)| OpResult { op_id: op.id, outcome: Outcome::Applied { seq: i as i64 + 1 }, current: vec![], conflicts: vec![] }).collect();
    let response = PushResponse { results, server_time: at.utc, server_stamp: Stamp::at(at.utc, ReplicaId(0x5e7)), own_rows: None };
    ws.apply_push(&pushed, &response, at.utc).unwrap();
}

/// Acknowledges every op in the outbox, the service numbering their rows from `after + 1` and
/// saying whether its answer holds all of them.
fn ack_all_numbered(ws: &mut Workspace, at: Moment, after: i64, says_all: bool) -> i64 {
    let pushed = ops(ws);
    let last = after + pushed.len() as i64;
    let results = pushed.iter().enumerate().map(|(i, op)| OpResult { op_id: op.id, outcome: Outcome::Applied { seq: after + 1 + i as i64 }, current: vec![], conflicts: vec![] }).collect();
    let own_rows = says_all.then_some(porchlight_sync::OwnRows { after, last });
    let response = PushResponse { results, server_time: at.utc, server_stamp: Stamp::at(at.utc, ReplicaId(0x5e7)), own_rows };
    ws.apply_push(&pushed, &response, at.utc).unwrap();
    last
}

#[test]
fn an_answer_that_holds_all_of_a_pushs_rows_moves_the_cursor_past_them_only_from_right_before_them() {
    let mut d = device();
    d.ws.apply_pull(&page(vec![], vec![], 40), t0()).unwrap();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    let last = ack_all_numbered(&mut d.ws, at(1), 40, true);
    assert!(last > 40);
    assert_eq!(d.ws.cursor().unwrap(), Cursor { seq: last, epoch: 1 }, "its own rows are not pulled back");
    // Another device's rows came before this push's: they are still to be pulled.
    d.ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: "Called the school".into() }, at(2)).unwrap();
    ack_all_numbered(&mut d.ws, at(2), last + 3, true);
    assert_eq!(d.ws.cursor().unwrap(), Cursor { seq: last, epoch: 1 });
    // Rows the answer does not hold all of (a conflict, a photo) are pulled back.
    d.ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: "Called the aunt".into() }, at(3)).unwrap();
    ack_all_numbered(&mut d.ws, at(3), last, false);
    assert_eq!(d.ws.cursor().unwrap(), Cursor { seq: last, epoch: 1 });
    d.ws.integrity_check().unwrap();
}

/// The service's view of ops: each `Set` as a record state, each `Append` as an appended record.
fn changes_of(ops: &[Op]) -> Vec<Change> {
    ops.iter()
        .filter_map(|op| match &op.body {
            OpBody::Set { entity, record_id, fields } => Some(Change::Record(RecordState {
                entity: *entity,
                case_id: op.case_id,
                record_id: *record_id,
                stamp: op.stamp,
                fields: fields.iter().map(|f| (f.field.clone(), f.value.clone())).collect(),
                stamps: BTreeMap::new(),
            })),
            OpBody::Append { entity, record_id, record, .. } if *entity != Entity::AuditEvent => {
                Some(Change::Appended(AppendedRecord { entity: *entity, case_id: op.case_id, record_id: *record_id, stamp: op.stamp, record: record.clone() }))
            }
            _ => None,
        })
        .collect()
}

fn page(changes: Vec<Change>, removed: Vec<Uuid>, seq: i64) -> PullPage {
    PullPage {
        removed_cases: removed,
        removed_photos: vec![],
        changes,
        cursor: Cursor { seq, epoch: 1 },
        has_more: false,
        server_time: t0(),
        server_stamp: Stamp::at(t0(), ReplicaId(0x5e7)),
        whole: None,
    }
}

/// Every row of every table, as text, for comparing a workspace before and after.
fn dump(ws: &Workspace, skip: &[&str]) -> BTreeMap<String, Vec<String>> {
    let tables: Vec<String> = ws
        .conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for table in tables.into_iter().filter(|t| !skip.contains(&t.as_str())) {
        let mut stmt = ws.conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |row| {
                let mut line = String::new();
                for i in 0..columns {
                    let value: rusqlite::types::Value = row.get(i)?;
                    line.push_str(&format!("{value:?}|"));
                }
                Ok(line)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

/// The service's `hello` with its clock at `at`.
pub(super) fn hello_at(at: DateTime<Utc>) -> Hello {
    Hello {
        protocol: 1,
        min_protocol: 1,
        device_id: Uuid::nil(),
        user_id: Uuid::nil(),
        username: "rosa".into(),
        display_name: "Rosa Diaz".into(),
        role: "case_manager".into(),
        server_time: at,
        server_stamp: Stamp::at(at, ReplicaId(0x5e7)),
    }
}

fn count(ws: &Workspace, sql: &str) -> i64 {
    ws.conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

// ---- Ops of local writes ----

#[test]
fn a_new_case_is_one_set_of_every_field_then_its_first_status_then_its_audit_line() {
    let mut d = device();
    let record = d.ws.create_case(&maya(), now()).unwrap();
    let ops = ops(&d.ws);
    assert_eq!(ops.len(), 3, "{ops:#?}");
    let case = *record.id.as_uuid();
    assert!(ops.iter().all(|op| op.case_id == case));
    let OpBody::Set { entity: Entity::Case, record_id, .. } = &ops[0].body else { panic!("{:?}", ops[0]) };
    assert_eq!(*record_id, case);
    let fields = set_fields(&ops[0]);
    assert_eq!(fields["child.given_name"], (json!("Maya"), None));
    assert_eq!(fields["event.city"], (json!("Tulsa"), None));
    assert_eq!(fields["case_number"], (json!(record.case_number), None));
    assert_eq!(fields["archived"], (json!(false), None));
    assert_eq!(fields.len(), super::records::case_form_fields(&CaseFields::default()).unwrap().len() + 2, "every field of the form");
    let OpBody::Append { entity: Entity::StatusEvent, record, base: None, .. } = &ops[1].body else { panic!("{:?}", ops[1]) };
    assert_eq!(record["to"], "intake");
    assert_eq!(record["from"], Value::Null);
    let OpBody::Append { entity: Entity::AuditEvent, record, .. } = &ops[2].body else { panic!("{:?}", ops[2]) };
    assert_eq!(record["action"], "case_created");
    assert!(ops[0].stamp < ops[1].stamp && ops[1].stamp < ops[2].stamp);
    assert_eq!(ops[0].stamp.replica(), d.ws.replica_id());
    assert_eq!(d.ws.pending_count().unwrap(), 3);
}

#[test]
fn an_edit_sets_only_the_changed_fields_with_bases_that_chain() {
    let mut d = device();
    let record = d.ws.create_case(&maya(), now()).unwrap();
    let created = ops(&d.ws)[0].stamp;
    let mut fields = maya();
    fields.child.given_name = "Maia".into();
    fields.event.city = "Tulsa Hills".into();
    let v2 = d.ws.update_case(record.id, 1, &fields, at(1)).unwrap();
    let edit = data_ops(&d.ws).pop().unwrap();
    let written = set_fields(&edit);
    assert_eq!(written.keys().collect::<Vec<_>>(), ["child.given_name", "event.city"]);
    assert_eq!(written["child.given_name"], (json!("Maia"), Some(created)), "the base is the value the author saw");
    fields.child.given_name = "Mayah".into();
    d.ws.update_case(record.id, v2.version, &fields, at(2)).unwrap();
    let second = data_ops(&d.ws).pop().unwrap();
    assert_eq!(set_fields(&second)["child.given_name"], (json!("Mayah"), Some(edit.stamp)), "the next edit's base is the last edit's stamp");
    assert_eq!(set_fields(&second).len(), 1);
    // Saving the same fields again writes nothing and adds no op.
    let before = d.ws.pending_count().unwrap();
    d.ws.update_case(record.id, v2.version + 1, &fields, at(3)).unwrap();
    assert_eq!(d.ws.pending_count().unwrap(), before);
    d.ws.set_archived(record.id, true, at(4)).unwrap();
    assert_eq!(set_fields(&data_ops(&d.ws).pop().unwrap())["archived"], (json!(true), Some(created)));
}

#[test]
fn a_refused_write_adds_no_op_and_a_write_that_never_commits_leaves_neither_row_nor_op() {
    let mut d = device();
    let mut bad = maya();
    bad.child.given_name.clear();
    assert!(matches!(d.ws.create_case(&bad, now()), Err(StoreError::Validation(_))));
    assert_eq!(d.ws.pending_count().unwrap(), 0);
    let record = d.ws.create_case(&maya(), now()).unwrap();
    let before = d.ws.pending_count().unwrap();
    assert!(matches!(d.ws.add_note(record.id, &NoteInput { category: NoteCategory::Call, text: "  ".into() }, now()), Err(StoreError::Validation(_))));
    assert!(d.ws.change_status(record.id, &StatusChange { to: CaseStatus::Resolved, reason: "found".into(), outcome: None }, now()).is_err());
    assert_eq!(d.ws.pending_count().unwrap(), before);
    // A write cut off before its commit (the process dies, the transaction is dropped).
    let change = d.ws.change(now());
    {
        let tx = d.ws.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
        let out = super::outbox::Outbox::new(&tx, &d.ws.clock, &change).unwrap();
        let valid = maya().validate(now().local).unwrap();
        crate::cases::tests_support::insert(&out, &valid);
        assert_eq!(tx.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0)).unwrap(), 2, "written inside");
    }
    assert_eq!(count(&d.ws, "SELECT count(*) FROM cases"), 1);
    assert_eq!(d.ws.pending_count().unwrap(), before);
}

#[test]
fn contacts_notes_statuses_and_photos_each_add_their_op() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    let first_status = ops(&d.ws)[1].stamp;
    ack_all(&mut d.ws, now());

    let mother = d.ws.add_contact(case, &ContactFields { primary: true, ..grace() }, at(1)).unwrap();
    let added = data_ops(&d.ws);
    assert_eq!(added.len(), 1);
    let fields = set_fields(&added[0]);
    assert_eq!(fields["name"], (json!("Grace Okafor"), None));
    assert_eq!(fields["removed_reason"], (Value::Null, None));
    assert_eq!(added[0].record_id(), Some(*mother.id.as_uuid()));
    // A second primary contact takes the mark off the first: two records change, two ops.
    let father = ContactFields { name: "Ade Okafor".into(), relationship: Some(Relationship::Father), primary: true, phones: vec!["(918) 555-0177".into()], ..Default::default() };
    let father = d.ws.add_contact(case, &father, at(2)).unwrap();
    let two = data_ops(&d.ws)[1..].to_vec();
    assert_eq!(two.len(), 2, "{two:#?}");
    let off = two.iter().find(|op| op.record_id() == Some(*mother.id.as_uuid())).unwrap();
    assert_eq!(set_fields(off).keys().collect::<Vec<_>>(), ["primary"]);
    assert_eq!(set_fields(off)["primary"], (json!(false), Some(added[0].stamp)));
    assert!(two.iter().any(|op| op.record_id() == Some(*father.id.as_uuid())));
    ack_all(&mut d.ws, at(2));

    d.ws.remove_contact(father.id, "number disconnected", at(3)).unwrap();
    let removal = data_ops(&d.ws);
    assert_eq!(set_fields(&removal[0])["removed_reason"].0, json!("number disconnected"));
    ack_all(&mut d.ws, at(3));

    let note = d.ws.add_note(case, &NoteInput { category: NoteCategory::LeadTip, text: "Seen at the bus station".into() }, at(4)).unwrap();
    d.ws.edit_note(note.current.note_id, 1, &NoteInput { category: NoteCategory::LeadTip, text: "Seen at the Greyhound station".into() }, at(5)).unwrap();
    let notes = data_ops(&d.ws);
    assert_eq!(notes.len(), 2);
    for (op, version, body) in [(&notes[0], 1, "Seen at the bus station"), (&notes[1], 2, "Seen at the Greyhound station")] {
        let OpBody::Append { entity: Entity::Note, record, base: None, .. } = &op.body else { panic!("{op:?}") };
        assert_eq!(record["version"], version);
        assert_eq!(record["body"], body);
        assert_eq!(record["note_id"], note.current.note_id.to_string());
        assert_eq!(record["category"], "lead_tip");
    }
    assert_ne!(notes[0].record_id(), notes[1].record_id(), "each version is its own record");
    ack_all(&mut d.ws, at(5));

    d.ws.change_status(case, &StatusChange { to: CaseStatus::Active, reason: "Police report filed".into(), outcome: None }, at(6)).unwrap();
    let status = data_ops(&d.ws);
    let OpBody::Append { entity: Entity::StatusEvent, record, base, .. } = &status[0].body else { panic!("{status:?}") };
    assert_eq!((record["from"].as_str(), record["to"].as_str()), (Some("intake"), Some("active")));
    assert_eq!(*base, Some(first_status), "the base is the newest status event held");
    ack_all(&mut d.ws, at(6));

    let one = d.ws.add_photo_file(case, &png(1), "maya.png", &photo_meta(), at(7)).unwrap();
    let photo_ops = data_ops(&d.ws);
    assert_eq!(photo_ops.len(), 1);
    let fields = set_fields(&photo_ops[0]);
    assert_eq!(fields["sha256"].0, json!(one.sha256));
    assert_eq!(fields["is_primary"].0, json!(true));
    assert_eq!(fields["deleted"].0, json!(false));
    assert_eq!(fields["mime"].0, json!("image/png"));
    assert_eq!(d.ws.blobs_to_upload().unwrap().iter().map(|b| b.sha256.clone()).collect::<Vec<_>>(), vec![one.sha256.clone()]);
    let two = d.ws.add_photo_file(case, &png(2), "maya-2.png", &photo_meta(), at(8)).unwrap();
    ack_all(&mut d.ws, at(8));
    d.ws.set_primary_photo(two.id, at(9)).unwrap();
    let primary = data_ops(&d.ws);
    assert_eq!(primary.len(), 2, "{primary:#?}");
    assert!(primary.iter().all(|op| set_fields(op).keys().collect::<Vec<_>>() == ["is_primary"]));
    ack_all(&mut d.ws, at(9));
    d.ws.update_photo(two.id, &PhotoMeta { consent_to_publish: false, ..photo_meta() }, at(10)).unwrap();
    assert_eq!(set_fields(&data_ops(&d.ws)[0]).keys().collect::<Vec<_>>(), ["consent_to_publish"]);

    // Reads that are audited add an audit op and nothing else.
    ack_all(&mut d.ws, at(10));
    d.ws.open_case(case, at(11)).unwrap();
    let audit = ops(&d.ws);
    assert_eq!(audit.len(), 1);
    let OpBody::Append { entity: Entity::AuditEvent, record, .. } = &audit[0].body else { panic!("{audit:?}") };
    assert_eq!(record["action"], "case_opened");
    assert!(!record["detail"].as_str().unwrap().contains("Maya"), "audit details hold ids and counts only");
}

#[test]
fn an_import_adds_the_same_ops_as_creating_each_case() {
    let mut d = device();
    let photo = NewPhoto { bytes: png(3), file_name: "a.png".into(), meta: photo_meta() };
    let cases = vec![NewCase { fields: maya(), photos: vec![photo] }, NewCase { fields: CaseFields { child: ChildFields { given_name: "Ida".into(), ..maya().child }, ..maya() }, photos: vec![] }];
    let ids = d.ws.import_cases(&cases, now()).unwrap();
    let ops = ops(&d.ws);
    let kinds: Vec<(Uuid, Option<Entity>)> = ops.iter().map(|op| (op.case_id, op.entity())).collect();
    let (a, b) = (*ids[0].as_uuid(), *ids[1].as_uuid());
    assert_eq!(
        kinds,
        vec![
            (a, Some(Entity::Case)),
            (a, Some(Entity::StatusEvent)),
            (a, Some(Entity::Photo)),
            (a, Some(Entity::AuditEvent)),
            (b, Some(Entity::Case)),
            (b, Some(Entity::StatusEvent)),
            (b, Some(Entity::AuditEvent)),
        ]
    );
}

// ---- The clock ----

#[test]
fn a_clock_restored_after_reopening_never_goes_back() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), at(60)).unwrap().id;
    let late = ops(&d.ws).last().unwrap().stamp;
    drop(d.ws);
    let mut ws = Workspace::open(&d.path, PASSPHRASE).unwrap();
    // The wall clock now reads an hour earlier than the last write's.
    ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: "Called the school".into() }, at(0)).unwrap();
    let next = ops(&ws).iter().find(|op| op.entity() == Some(Entity::Note)).unwrap().stamp;
    assert!(next > late, "{next:?} is not after {late:?}");
    assert_eq!(ws.replica_id(), late.replica(), "the replica id is kept");
}

#[test]
fn the_service_clock_offset_moves_local_stamps_and_is_kept() {
    let mut d = device();
    let hello = hello_at(t0() + chrono::Duration::hours(3));
    d.ws.observe_server(&hello, t0()).unwrap();
    drop(d.ws);
    let mut ws = Workspace::open(&d.path, PASSPHRASE).unwrap();
    ws.create_case(&maya(), at(10)).unwrap();
    let stamp = ops(&ws)[0].stamp;
    let expected = t0() + chrono::Duration::hours(3) + chrono::Duration::minutes(10);
    assert!((stamp.time() - expected).num_seconds().abs() < 2, "stamped {} instead of about {expected}", stamp.time());
}

// ---- Pull pages ----

/// A second device that has received device A's case through the service.
fn replicate(from: &Workspace, to: &mut Workspace, seq: i64) {
    to.apply_pull(&page(changes_of(&ops(from)), vec![], seq), t0()).unwrap();
}

#[test]
fn a_case_received_whole_shows_as_on_the_device_that_made_it() {
    let mut a = device();
    let case = a.ws.create_case(&maya(), now()).unwrap().id;
    let contact = a.ws.add_contact(case, &grace(), at(1)).unwrap();
    let note = a.ws.add_note(case, &NoteInput { category: NoteCategory::FamilyContact, text: "Mother called back".into() }, at(2)).unwrap();
    a.ws.change_status(case, &StatusChange { to: CaseStatus::Active, reason: "Report filed".into(), outcome: None }, at(3)).unwrap();
    let photo = a.ws.add_photo_file(case, &png(4), "maya.png", &photo_meta(), at(4)).unwrap();
    let mut b = device();
    replicate(&a.ws, &mut b.ws, 10);
    let (ra, rb) = (a.ws.get_case(case).unwrap(), b.ws.get_case(case).unwrap());
    assert_eq!(rb.fields, ra.fields);
    assert_eq!((rb.case_number.as_str(), rb.status), (ra.case_number.as_str(), CaseStatus::Active));
    assert_eq!(b.ws.contacts(case).unwrap()[0].fields, contact.fields);
    let notes = b.ws.notes(case).unwrap();
    assert_eq!((notes[0].current.note_id, notes[0].current.text.as_str()), (note.current.note_id, "Mother called back"));
    let statuses: Vec<CaseStatus> = b.ws.status_events(case).unwrap().iter().map(|e| e.to).collect();
    assert_eq!(statuses, [CaseStatus::Intake, CaseStatus::Active]);
    // The photo's metadata came first; it shows once its bytes are here.
    assert!(b.ws.case_photos(case).unwrap().is_empty());
    let wanted = b.ws.blobs_to_download().unwrap();
    assert_eq!(wanted.len(), 1);
    let mut damaged = a.ws.blob_bytes(&photo.sha256).unwrap();
    damaged[40] ^= 0xff;
    assert!(matches!(b.ws.store_blob(&wanted[0], &damaged), Err(StoreError::BlobMismatch { .. })));
    b.ws.store_blob(&wanted[0], &a.ws.blob_bytes(&photo.sha256).unwrap()).unwrap();
    assert!(b.ws.blobs_to_download().unwrap().is_empty());
    assert!(b.ws.blobs_to_upload().unwrap().is_empty(), "bytes that came from the service need not go back");
    let shown = b.ws.case_photos(case).unwrap();
    assert_eq!((shown[0].id, &shown[0].meta, shown[0].is_primary), (photo.id, &photo.meta, true));
    assert_eq!(b.ws.photo_thumbnail(photo.id).unwrap().0, a.ws.photo_thumbnail(photo.id).unwrap().0);
    // And it is found by search, with its photo.
    let found = b.ws.search(&SearchQuery { text: "okafor".into(), has_photo: Some(true), ..Default::default() }, now().local.date()).unwrap();
    assert_eq!(found.hits.len(), 1);
    assert_eq!(b.ws.cursor().unwrap(), Cursor { seq: 10, epoch: 1 });
    b.ws.integrity_check().unwrap();
}

/// A current contact that arrives from the service gets no history row of its own: the timeline
/// shows its `added` entry from the contact itself, and the first change of the contact here or
/// from the service writes that entry from the contact as it was, so the history keeps the first
/// version and says what each edit changed.
#[test]
fn a_contact_from_the_service_is_in_the_timeline_and_keeps_its_first_version_when_it_changes() {
    let mut a = device();
    let case = a.ws.create_case(&maya(), now()).unwrap().id;
    let contact = a.ws.add_contact(case, &grace(), at(1)).unwrap();
    let mut b = device();
    replicate(&a.ws, &mut b.ws, 10);
    assert_eq!(count(&b.ws, "SELECT count(*) FROM contact_events"), 0, "an arrival writes no history row");
    let lines = |ws: &Workspace| -> Vec<(String, String, String, DateTime<Utc>)> {
        ws.timeline(case, &[TimelineKind::Contact]).unwrap().into_iter().map(|e| (e.title, e.actor, e.detail, e.at)).collect()
    };
    let arrived = lines(&b.ws);
    assert_eq!(arrived.len(), 1, "{arrived:?}");
    assert_eq!(arrived[0].0, "Contact added: Grace Okafor (mother)");
    assert_eq!((arrived[0].1.as_str(), arrived[0].3), ("sync", at(1).utc), "by the service's actor, at the time it was added");

    // Edited here: the first version is written before the edit, which says what it changed.
    let mut renamed = grace();
    renamed.name = "Grace Okafor-Bell".into();
    b.ws.update_contact(contact.id, 1, &renamed, at(5)).unwrap();
    assert_eq!(count(&b.ws, "SELECT count(*) FROM contact_events WHERE kind = 'added' AND version = 1 AND actor = 'sync'"), 1);
    let edited = lines(&b.ws);
    let titles: Vec<&str> = edited.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(titles, ["Contact edited: Grace Okafor-Bell (mother)", "Contact added: Grace Okafor (mother)"]);
    assert_eq!(edited[0].2, "Changed: name");
    assert_eq!(edited[1], arrived[0], "the entry the timeline showed is the one kept");

    // Changed first by the service on a third device: the same.
    let mut c = device();
    replicate(&a.ws, &mut c.ws, 10);
    let mut phoned = grace();
    phoned.phones = vec!["(918) 555-0199".into()];
    a.ws.update_contact(contact.id, 1, &phoned, at(6)).unwrap();
    replicate(&a.ws, &mut c.ws, 11);
    let titles: Vec<(String, String)> = lines(&c.ws).into_iter().map(|l| (l.0, l.2)).collect();
    assert_eq!(
        titles,
        [("Contact edited: Grace Okafor (mother)".to_owned(), "Changed: phones".to_owned()), ("Contact added: Grace Okafor (mother)".to_owned(), String::new())]
    );
    assert_eq!(count(&c.ws, "SELECT count(*) FROM contact_events"), 2);
    c.ws.integrity_check().unwrap();
}

/// Generated cases and contacts, every field of them, read from their leaves at once (as a first
/// sync reads them) are the records read from their nested objects, and the records themselves.
#[test]
fn generated_forms_and_contacts_read_at_once_from_their_leaves_are_the_records_they_came_from() {
    use crate::sync::records::{case_form_fields, Fields};
    use porchlight_sync::fields::{from_flat, unflatten};
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    let forms: Vec<CaseFields> = porchlight_seed::cases(7, 300, today).map(|c| c.fields).collect();
    let mut casework = porchlight_seed::Casework::new(porchlight_seed::CASEWORK_SEED);
    let leaves = |flat: &Fields, leave_out: &str| -> Vec<(String, Value)> { flat.iter().filter(|(k, _)| k.as_str() != leave_out).map(|(k, v)| (k.clone(), v.clone())).collect() };
    for (i, form) in forms.iter().enumerate() {
        let flat = case_form_fields(form).unwrap();
        let pairs = leaves(&flat, "");
        let borrowed: Vec<(&str, &Value)> = pairs.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(from_flat::<CaseFields>(&borrowed).unwrap(), *form, "case {i}");
        assert_eq!(serde_json::from_value::<CaseFields>(unflatten(&flat)).unwrap(), *form);
        for contact in casework.contacts(i, &forms) {
            let flat = porchlight_sync::fields::flatten(&serde_json::to_value(&contact).unwrap());
            let pairs = leaves(&flat, "");
            let borrowed: Vec<(&str, &Value)> = pairs.iter().map(|(k, v)| (k.as_str(), v)).collect();
            assert_eq!(from_flat::<ContactFields>(&borrowed).unwrap(), contact, "contact of case {i}");
        }
    }
}

/// A record from a newer Porchlight, or damaged on the way, may hold a value this version cannot:
/// a case or contact new to this device is made from every other field, and a value that fits,
/// sent later, still arrives.
#[test]
fn a_new_case_or_contact_with_a_value_that_does_not_fit_arrives_without_it() {
    let mut a = device();
    let case = a.ws.create_case(&maya(), now()).unwrap().id;
    a.ws.add_contact(case, &grace(), at(1)).unwrap();
    let mut changes = changes_of(&ops(&a.ws));
    for change in &mut changes {
        if let Change::Record(r) = change {
            let (field, value) = match r.entity {
                Entity::Case => ("description.height_cm", json!("tall")),
                _ => ("phones", json!("not a list")),
            };
            r.fields.insert(field.into(), value);
        }
    }
    let mut b = device();
    b.ws.apply_pull(&page(changes, vec![], 10), t0()).unwrap();
    assert_eq!(b.ws.get_case(case).unwrap().fields, a.ws.get_case(case).unwrap().fields, "every other field of the case");
    let contacts = b.ws.contacts(case).unwrap();
    assert_eq!(contacts[0].fields, ContactFields { phones: vec![], ..a.ws.contacts(case).unwrap()[0].fields.clone() }, "every other field of the contact");
    // Later values that fit arrive.
    let mut taller = a.ws.get_case(case).unwrap().fields;
    taller.description.height_cm = Some(150.0);
    a.ws.update_case(case, 1, &taller, at(5)).unwrap();
    a.ws.update_contact(contacts[0].id, 1, &ContactFields { phones: vec!["(918) 555-0199".into()], ..grace() }, at(6)).unwrap();
    replicate(&a.ws, &mut b.ws, 11);
    assert_eq!(b.ws.get_case(case).unwrap().fields.description.height_cm, Some(150.0));
    assert_eq!(b.ws.contacts(case).unwrap()[0].fields.phones, ["(918) 555-0199"]);
    b.ws.integrity_check().unwrap();
}

/// One page may bring a record twice: as it was made and as it was changed after. The second
/// is merged over the first, for a case new to the device as for any other.
#[test]
fn a_page_that_brings_a_new_case_and_later_changes_of_it_ends_with_the_changes() {
    let mut a = device();
    let case = a.ws.create_case(&maya(), now()).unwrap().id;
    let contact = a.ws.add_contact(case, &grace(), at(1)).unwrap();
    let mut later = a.ws.get_case(case).unwrap().fields;
    later.description.clothing = "Yellow raincoat".into();
    a.ws.update_case(case, 1, &later, at(2)).unwrap();
    a.ws.update_contact(contact.id, 1, &ContactFields { phones: vec!["(918) 555-0199".into()], ..grace() }, at(3)).unwrap();
    let mut b = device();
    replicate(&a.ws, &mut b.ws, 10);
    assert_eq!(b.ws.get_case(case).unwrap().fields, a.ws.get_case(case).unwrap().fields);
    assert_eq!(b.ws.contacts(case).unwrap()[0].fields, a.ws.contacts(case).unwrap()[0].fields);
    let titles: Vec<String> = b.ws.timeline(case, &[TimelineKind::Contact]).unwrap().into_iter().map(|e| e.title).collect();
    assert_eq!(titles, ["Contact edited: Grace Okafor (mother)", "Contact added: Grace Okafor (mother)"]);
    b.ws.integrity_check().unwrap();
}

/// The service names a case among the removed ones on the page that sends it whole again when
/// the device may still hold an old copy (a page that removed it was seen but maybe not kept).
/// The whole copy leaves out what the user may no longer see: here a photo whose consent was
/// withdrawn while the case was away. Applied as the page says, the old copy goes first.
#[test]
fn a_case_removed_and_sent_whole_on_one_page_keeps_only_the_whole_copy() {
    let mut a = device();
    let case = a.ws.create_case(&maya(), now()).unwrap().id;
    a.ws.add_contact(case, &grace(), at(1)).unwrap();
    let photo = a.ws.add_photo_file(case, &png(4), "maya.png", &photo_meta(), at(2)).unwrap();
    let holds_old_copy = || {
        let mut d = device();
        replicate(&a.ws, &mut d.ws, 10);
        let wanted = d.ws.blobs_to_download().unwrap();
        d.ws.store_blob(&wanted[0], &a.ws.blob_bytes(&photo.sha256).unwrap()).unwrap();
        assert_eq!(d.ws.case_photos(case).unwrap().len(), 1);
        d
    };
    let whole: Vec<Change> = changes_of(&ops(&a.ws)).into_iter().filter(|c| !matches!(c, Change::Record(r) if r.entity == Entity::Photo)).collect();

    // Sent whole alone, the old photo stays: the whole copy has nothing to say of it.
    let mut merged = holds_old_copy();
    merged.ws.apply_pull(&page(whole.clone(), vec![], 20), t0()).unwrap();
    assert_eq!(merged.ws.case_photos(case).unwrap().len(), 1);

    let mut replaced = holds_old_copy();
    replaced.ws.apply_pull(&page(whole, vec![*case.as_uuid()], 20), t0()).unwrap();
    assert_eq!(replaced.ws.get_case(case).unwrap().fields, a.ws.get_case(case).unwrap().fields);
    assert_eq!(replaced.ws.contacts(case).unwrap().len(), 1);
    assert!(replaced.ws.case_photos(case).unwrap().is_empty());
    assert!(replaced.ws.photo_bytes(&photo.sha256).is_err(), "the image is gone from the device");
    assert!(replaced.ws.blobs_to_download().unwrap().is_empty());
    assert_eq!(replaced.ws.index_backlog(500).unwrap(), 0);
    let found = replaced.ws.search(&SearchQuery { text: "maya".into(), ..Default::default() }, now().local.date()).unwrap();
    assert_eq!(found.hits.len(), 1, "found once, as the new copy");
    replaced.ws.integrity_check().unwrap();
}

#[test]
fn cases_received_whole_are_listed_at_once_and_found_by_search_once_their_entries_are_written() {
    let mut a = device();
    let mut cases = Vec::new();
    for (i, given) in ["Maya", "Lena", "Iris"].iter().enumerate() {
        let case = a.ws.create_case(&CaseFields { child: porchlight_domain::ChildFields { given_name: given.to_string(), ..maya().child }, ..maya() }, at(i as i64)).unwrap().id;
        a.ws.add_note(case, &NoteInput { category: NoteCategory::LeadTip, text: format!("Seen near the lighthouse {i}") }, at(5)).unwrap();
        cases.push(case);
    }
    let mut b = device();
    replicate(&a.ws, &mut b.ws, 10);
    // Listed and readable straight away, not yet searchable.
    assert_eq!(b.ws.list_cases(&Default::default()).unwrap().total, 3);
    assert_eq!(b.ws.notes(cases[1]).unwrap()[0].current.text, "Seen near the lighthouse 1");
    assert_eq!(b.ws.search_backlog().unwrap(), 3);
    let before = b.ws.search(&SearchQuery { text: "lighthouse".into(), ..Default::default() }, now().local.date()).unwrap();
    assert_eq!((before.hits.len(), before.indexing), (0, 3), "{before:?}");
    // A later change to a case still waiting is written with it, not on its own.
    a.ws.add_note(cases[0], &NoteInput { category: NoteCategory::Call, text: "Harbour master called".into() }, at(9)).unwrap();
    let appended: Vec<Change> = changes_of(&ops(&a.ws)).into_iter().filter(|c| matches!(c, Change::Appended(r) if r.record.get("body") == Some(&json!("Harbour master called")))).collect();
    assert_eq!(appended.len(), 1);
    b.ws.apply_pull(&page(appended, vec![], 11), t0()).unwrap();
    assert_eq!(b.ws.search_backlog().unwrap(), 3);
    // Written in steps, oldest first.
    assert_eq!(b.ws.index_backlog(2).unwrap(), 1);
    assert_eq!(b.ws.index_backlog(500).unwrap(), 0);
    let after = b.ws.search(&SearchQuery { text: "lighthouse".into(), ..Default::default() }, now().local.date()).unwrap();
    assert_eq!((after.hits.len(), after.indexing), (3, 0), "{after:?}");
    let harbour = b.ws.search(&SearchQuery { text: "harbour".into(), ..Default::default() }, now().local.date()).unwrap();
    assert_eq!(harbour.hits.iter().map(|h| h.case.id).collect::<Vec<_>>(), [cases[0]]);
    // A case that leaves the device while its entry still waits takes its place in the backlog with it.
    let mut c = device();
    replicate(&a.ws, &mut c.ws, 10);
    c.ws.apply_pull(&page(vec![], vec![*cases[2].as_uuid()], 12), t0()).unwrap();
    assert_eq!(c.ws.search_backlog().unwrap(), 2);
    assert_eq!(c.ws.index_backlog(500).unwrap(), 0);
    c.ws.integrity_check().unwrap();
}

/// The indexes of the case list (those `bulk` may set aside), by name, with their definitions.
fn list_indexes(ws: &Workspace) -> Vec<(String, String)> {
    let mut stmt = ws
        .conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

/// Three cases of device A, and pages of a scan that say they bring them whole: `left` on each.
fn arrival(lefts: &[Option<u64>]) -> (Vec<CaseId>, Vec<PullPage>) {
    let mut a = device();
    let cases: Vec<CaseId> = ["Maya", "Lena", "Iris"]
        .iter()
        .enumerate()
        .map(|(i, given)| a.ws.create_case(&CaseFields { child: porchlight_domain::ChildFields { given_name: given.to_string(), ..maya().child }, ..maya() }, at(i as i64)).unwrap().id)
        .collect();
    let changes = changes_of(&ops(&a.ws));
    let pages = lefts
        .iter()
        .enumerate()
        .map(|(i, left)| PullPage {
            has_more: true,
            whole: Some(porchlight_sync::WholeCases { sent: if i == 0 { 3 } else { 0 }, left: *left }),
            ..page(if i == 0 { changes.clone() } else { vec![] }, vec![], 10 + i as i64)
        })
        .collect();
    (cases, pages)
}

#[test]
fn thousands_of_cases_arrive_without_the_list_indexes_which_come_back_as_they_were_when_the_scan_ends() {
    let mut b = device();
    let indexes = list_indexes(&b.ws);
    assert!(indexes.len() >= 8, "{indexes:?}");
    let (cases, pages) = arrival(&[Some(1_500), None, Some(0)]);
    b.ws.apply_pull(&pages[0], t0()).unwrap();
    assert_eq!(list_indexes(&b.ws), [], "set aside while 1,503 cases arrive");
    assert_eq!(count(&b.ws, "SELECT count(*) FROM indexes_set_aside"), indexes.len() as i64);
    // The list stays right meanwhile, only without its indexes.
    let by_name = |ws: &Workspace| -> Vec<String> {
        let query = porchlight_domain::ListQuery { sort: porchlight_domain::SortKey::Name, dir: porchlight_domain::SortDir::Asc, limit: 10, ..Default::default() };
        ws.list_cases(&query).unwrap().rows.into_iter().map(|r| r.given_name).collect()
    };
    assert_eq!(by_name(&b.ws), ["Iris", "Lena", "Maya"]);
    b.ws.apply_pull(&pages[1], t0()).unwrap();
    assert_eq!(list_indexes(&b.ws), [], "still aside in the middle of the scan");
    b.ws.apply_pull(&pages[2], t0()).unwrap();
    assert_eq!(list_indexes(&b.ws), indexes, "back, as they were, on the page that ends the scan");
    assert_eq!(count(&b.ws, "SELECT count(*) FROM indexes_set_aside"), 0);
    assert_eq!(by_name(&b.ws), ["Iris", "Lena", "Maya"]);
    assert_eq!(b.ws.get_case(cases[1]).unwrap().fields.child.given_name, "Lena");
    // Built from every case, which SQLite's check compares with the table.
    b.ws.integrity_check().unwrap();
}

#[test]
fn a_sync_cut_off_while_cases_arrive_leaves_the_list_indexes_to_come_back_at_the_next_open() {
    let mut b = device();
    let indexes = list_indexes(&b.ws);
    let (_, pages) = arrival(&[Some(5_000)]);
    b.ws.apply_pull(&pages[0], t0()).unwrap();
    assert_eq!(list_indexes(&b.ws), []);
    let Device { _dir, path, ws } = b;
    drop(ws);
    let reopened = Workspace::open(&path, PASSPHRASE).unwrap();
    assert_eq!(list_indexes(&reopened), indexes);
    assert_eq!(count(&reopened, "SELECT count(*) FROM indexes_set_aside"), 0);
    reopened.integrity_check().unwrap();
}

/// Pages of the write-ahead log not yet copied into the main file, read from the log's index
/// (the `-shm` file SQLite shares between connections, which SQLCipher leaves in the clear):
/// the last valid frame `mxFrame` at byte 16 of its header and the frames already copied,
/// `nBackfill`, at byte 96, both in the machine's byte order.
fn frames_not_checkpointed(path: &Path) -> u32 {
    let shm = std::fs::read(format!("{}-shm", path.display())).unwrap();
    let word = |at: usize| u32::from_ne_bytes(shm[at..at + 4].try_into().unwrap());
    word(16) - word(96)
}

#[test]
fn the_pages_of_an_arrival_leave_the_checkpoint_to_the_first_commit_after_it() {
    let mut b = device();
    // A checkpoint at every commit, so that one held back shows after a single small page.
    b.ws.conn.pragma_update(None, "wal_autocheckpoint", 1).unwrap();
    let every = |ws: &Workspace| count(ws, "PRAGMA wal_autocheckpoint");
    let indexes = list_indexes(&b.ws);
    let (_, pages) = arrival(&[Some(1_500), None, Some(0)]);
    b.ws.apply_pull(&PullPage { whole: None, ..page(vec![], vec![], 5) }, t0()).unwrap();
    assert_eq!(frames_not_checkpointed(&b.path), 0, "a page that is not part of an arrival is checkpointed as it commits");
    let mut waiting = 0;
    for (i, page) in pages.iter().enumerate() {
        b.ws.apply_pull(page, t0()).unwrap();
        let now_waiting = frames_not_checkpointed(&b.path);
        assert!(now_waiting > waiting, "page {i} of the arrival adds to the log without a checkpoint ({now_waiting} frames waiting, {waiting} before)");
        waiting = now_waiting;
        assert_eq!(every(&b.ws), 1, "the connection's setting is put back after page {i}");
    }
    assert_eq!(list_indexes(&b.ws), indexes, "the arrival has ended");
    // The first commit after the arrival copies all of it into the main file.
    b.ws.create_case(&maya(), now()).unwrap();
    assert_eq!(frames_not_checkpointed(&b.path), 0);
    b.ws.integrity_check().unwrap();
}

#[test]
fn a_few_cases_arriving_or_fewer_than_the_device_holds_keep_the_list_indexes() {
    let mut b = device();
    let indexes = list_indexes(&b.ws);
    let (_, pages) = arrival(&[Some(super::bulk::BULK_ARRIVAL - 4)]);
    b.ws.apply_pull(&pages[0], t0()).unwrap();
    assert_eq!(list_indexes(&b.ws), indexes, "{} cases are too few to rebuild for", super::bulk::BULK_ARRIVAL - 1);
    // A device that holds more cases than arrive keeps them too.
    let held = super::bulk::BULK_ARRIVAL as usize + 10;
    let generated: Vec<NewCase> = (0..held).map(|i| NewCase { fields: CaseFields { child: porchlight_domain::ChildFields { given_name: format!("Ada {}{}", char::from(b'a' + (i / 26 % 26) as u8), char::from(b'a' + (i % 26) as u8)), ..maya().child }, ..maya() }, photos: vec![] }).collect();
    b.ws.import_cases(&generated, now()).unwrap();
    let (_, pages) = arrival(&[Some(super::bulk::BULK_ARRIVAL + 5)]);
    b.ws.apply_pull(&PullPage { cursor: Cursor { seq: 50, epoch: 2 }, ..pages[0].clone() }, t0()).unwrap();
    assert_eq!(list_indexes(&b.ws), indexes, "{} cases arriving beside {held} held", super::bulk::BULK_ARRIVAL + 8);
}

#[test]
fn local_edits_wait_for_the_disk_again_after_the_services_answers_are_written() {
    let mut d = device();
    let synchronous = |ws: &Workspace| count(ws, "SELECT synchronous FROM pragma_synchronous");
    assert_eq!(synchronous(&d.ws), 2, "a workspace opens waiting for the disk on every commit (FULL)");
    d.ws.create_case(&maya(), now()).unwrap();
    ack_all(&mut d.ws, at(1));
    assert_eq!(synchronous(&d.ws), 2, "after a push's answers");
    d.ws.apply_pull(&page(vec![], vec![], 3), t0()).unwrap();
    assert_eq!(synchronous(&d.ws), 2, "after a pull page");
    d.ws.observe_server(&hello_at(t0()), t0()).unwrap();
    assert_eq!(synchronous(&d.ws), 2, "after the service's clock is saved");
    assert!(ops(&d.ws).is_empty());
}

#[test]
fn the_same_page_applied_twice_changes_nothing_the_second_time() {
    let mut a = device();
    let case = a.ws.create_case(&maya(), now()).unwrap().id;
    a.ws.add_contact(case, &grace(), at(1)).unwrap();
    a.ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: "Called the school".into() }, at(2)).unwrap();
    let mut fields = maya();
    fields.description.clothing = "Red coat".into();
    a.ws.update_case(case, 1, &fields, at(3)).unwrap();
    let mut changes = changes_of(&ops(&a.ws));
    changes.push(Change::Conflict(conflict_on(*case.as_uuid(), "description.clothing", json!("Red coat"), json!("Blue coat"), ReplicaId(1), ReplicaId(2))));
    let mut b = device();
    let p = page(changes, vec![], 7);
    b.ws.apply_pull(&p, t0()).unwrap();
    let once = dump(&b.ws, &[]);
    b.ws.apply_pull(&p, t0()).unwrap();
    assert_eq!(dump(&b.ws, &[]), once);
    assert_eq!(b.ws.get_case(case).unwrap().fields.description.clothing, "Red coat");
}

/// The rows a page leaves in the tables its records are stored in.
fn stored_rows(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    let kept = ["cases", "case_events", "contacts", "contact_events", "note_versions", "status_events", "field_stamps", "conflicts", "case_photos"];
    dump(ws, &[]).into_iter().filter(|(table, _)| kept.contains(&table.as_str())).collect()
}

/// A page is stored from what was made of it on the engine's fetching thread (`PreparedPage`);
/// what was made of another page, even one of as many changes, is not used, and the page is
/// then read as it is stored, to the same rows.
#[test]
fn a_page_stored_with_what_was_made_of_it_ahead_or_without_ends_with_the_same_rows() {
    let casework = |given: &str| {
        let mut a = device();
        let mut fields = maya();
        fields.child.given_name = given.into();
        let case = a.ws.create_case(&fields, now()).unwrap().id;
        a.ws.add_contact(case, &grace(), at(1)).unwrap();
        a.ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: format!("Called about {given}") }, at(2)).unwrap();
        a.ws.change_status(case, &StatusChange { to: CaseStatus::Active, reason: "Report filed".into(), outcome: None }, at(3)).unwrap();
        fields.description.clothing = "Red coat".into();
        a.ws.update_case(case, 1, &fields, at(4)).unwrap();
        (case, page(changes_of(&ops(&a.ws)), vec![], 7))
    };
    let ((case, p), (_, other)) = (casework("Maya"), casework("Nia"));
    assert_eq!(p.changes.len(), other.changes.len());
    let mut ahead = device();
    ahead.ws.apply_prepared_pull(&p, &Workspace::prepare_pull(&p), t0()).unwrap();
    let mut mismatched = device();
    mismatched.ws.apply_prepared_pull(&p, &Workspace::prepare_pull(&other), t0()).unwrap();
    let rows = stored_rows(&ahead.ws);
    assert_eq!(rows["cases"].len(), 1);
    assert!(rows["cases"][0].contains("Maya"), "{:?}", rows["cases"]);
    assert_eq!((rows["contacts"].len(), rows["note_versions"].len(), rows["status_events"].len()), (1, 1, 2));
    assert_eq!(stored_rows(&mismatched.ws), rows);
    assert_eq!(ahead.ws.get_case(case).unwrap().fields.description.clothing, "Red coat", "the later edit of the page is stored over the new case");
}

#[test]
fn an_older_value_is_skipped_and_a_newer_one_taken() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), at(10)).unwrap().id;
    ack_all(&mut d.ws, at(10));
    let id = *case.as_uuid();
    let record = |name: &str, stamp: Stamp| {
        Change::Record(RecordState {
            entity: Entity::Case,
            case_id: id,
            record_id: id,
            stamp,
            fields: [("child.given_name".to_string(), json!(name))].into(),
            stamps: BTreeMap::new(),
        })
    };
    let older = Stamp::at(t0(), ReplicaId(9));
    d.ws.apply_pull(&page(vec![record("Old Name", older)], vec![], 1), t0()).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().fields.child.given_name, "Maya");
    let newer = Stamp::at(t0() + chrono::Duration::hours(1), ReplicaId(9));
    d.ws.apply_pull(&page(vec![record("Mya", newer)], vec![], 2), t0()).unwrap();
    let got = d.ws.get_case(case).unwrap();
    assert_eq!((got.fields.child.given_name.as_str(), got.version), ("Mya", 2));
    let history = d.ws.case_history(case).unwrap();
    assert_eq!((history.last().unwrap().kind.as_str(), history.last().unwrap().actor.as_str()), ("edit", "sync"));
    assert_eq!(d.ws.list_cases(&porchlight_domain::ListQuery { search: Some("mya".into()), ..Default::default() }).unwrap().total, 1);
    // The next local edit names the received value's stamp as its base.
    let mut fields = got.fields.clone();
    fields.child.given_name = "Maya".into();
    d.ws.update_case(case, 2, &fields, at(70)).unwrap();
    assert_eq!(set_fields(&data_ops(&d.ws)[0])["child.given_name"].1, Some(newer));
}

#[test]
fn a_field_with_an_edit_waiting_to_be_sent_is_never_overwritten() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    ack_all(&mut d.ws, now());
    let mut fields = maya();
    fields.event.city = "Broken Arrow".into();
    d.ws.update_case(case, 1, &fields, at(1)).unwrap();
    let id = *case.as_uuid();
    let later = Stamp::at(t0() + chrono::Duration::hours(5), ReplicaId(9));
    let incoming = RecordState {
        entity: Entity::Case,
        case_id: id,
        record_id: id,
        stamp: later,
        fields: [("event.city".to_string(), json!("Owasso")), ("event.county".to_string(), json!("Tulsa County"))].into(),
        stamps: BTreeMap::new(),
    };
    d.ws.apply_pull(&page(vec![Change::Record(incoming)], vec![], 3), t0()).unwrap();
    let got = d.ws.get_case(case).unwrap();
    assert_eq!(got.fields.event.city, "Broken Arrow", "the waiting local edit stays");
    assert_eq!(got.fields.event.county, "Tulsa County", "other fields of the same record are taken");
}

#[test]
fn the_status_is_the_newest_event_by_stamp_whatever_order_they_arrive_in() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), at(30)).unwrap().id;
    ack_all(&mut d.ws, at(30));
    let event = |to: &str, from: &str, minutes: i64| {
        Change::Appended(AppendedRecord {
            entity: Entity::StatusEvent,
            case_id: *case.as_uuid(),
            record_id: Uuid::new_v4(),
            stamp: Stamp::at(t0() + chrono::Duration::minutes(minutes), ReplicaId(9)),
            record: json!({"from": from, "to": to, "reason": "From the field", "outcome": null, "actor": "Ruth Obi", "at": (t0() + chrono::Duration::minutes(minutes)).to_rfc3339()}),
        })
    };
    // An event older than the local one arrives: the status stays.
    d.ws.apply_pull(&page(vec![event("closed", "intake", 5)], vec![], 1), t0()).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().status, CaseStatus::Intake);
    // Two newer ones arrive in the wrong order: the newest by stamp wins.
    d.ws.apply_pull(&page(vec![event("located_alive", "active", 90), event("active", "intake", 60)], vec![], 2), t0()).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().status, CaseStatus::LocatedAlive);
    let list = d.ws.list_cases(&porchlight_domain::ListQuery { status: Some(CaseStatus::LocatedAlive), ..Default::default() }).unwrap();
    assert_eq!(list.total, 1);
    let history: Vec<CaseStatus> = d.ws.status_events(case).unwrap().iter().map(|e| e.to).collect();
    assert_eq!(history, [CaseStatus::Closed, CaseStatus::Intake, CaseStatus::Active, CaseStatus::LocatedAlive], "history in stamp order");
    // The next local change starts from the status in force and names its event as base.
    d.ws.change_status(case, &StatusChange { to: CaseStatus::Recovered, reason: "Home".into(), outcome: None }, at(100)).unwrap();
    let OpBody::Append { base, record, .. } = &data_ops(&d.ws)[0].body else { panic!() };
    assert_eq!(*base, Some(Stamp::at(t0() + chrono::Duration::minutes(90), ReplicaId(9))));
    assert_eq!(record["from"], "located_alive");
}

#[test]
fn two_offline_edits_of_one_note_both_stay_and_the_newer_is_current_everywhere() {
    let mut a = device();
    let case = a.ws.create_case(&maya(), now()).unwrap().id;
    let note = a.ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: "First".into() }, at(1)).unwrap();
    let mut b = device();
    replicate(&a.ws, &mut b.ws, 1);
    ack_all(&mut a.ws, at(1));
    a.ws.edit_note(note.current.note_id, 1, &NoteInput { category: NoteCategory::Call, text: "Edit on A".into() }, at(2)).unwrap();
    b.ws.edit_note(note.current.note_id, 1, &NoteInput { category: NoteCategory::Call, text: "Edit on B".into() }, at(3)).unwrap();
    let a_edit = changes_of(&data_ops(&a.ws));
    let b_edit: Vec<Change> = changes_of(&data_ops(&b.ws)).into_iter().filter(|c| matches!(c, Change::Appended(x) if x.entity == Entity::Note && x.record["version"] == 2)).collect();
    a.ws.apply_pull(&page(b_edit, vec![], 2), t0()).unwrap();
    b.ws.apply_pull(&page(a_edit, vec![], 2), t0()).unwrap();
    for ws in [&a.ws, &b.ws] {
        assert_eq!(ws.notes(case).unwrap()[0].current.text, "Edit on B");
        assert_eq!(ws.note_history(note.current.note_id).unwrap().len(), 3);
    }
}

// ---- A case leaving the device ----

#[test]
fn a_case_that_leaves_the_users_scope_leaves_no_trace_on_the_device() {
    let mut d = device();
    let keep = d.ws.create_case(&CaseFields { child: ChildFields { given_name: "Ida".into(), family_name: "Lund".into(), ..maya().child }, ..maya() }, now()).unwrap().id;
    let gone = d.ws.create_case(&maya(), now()).unwrap();
    let case = gone.id;
    let shared = png(5);
    d.ws.add_photo_file(keep, &shared, "ida.png", &photo_meta(), at(1)).unwrap();
    d.ws.add_photo_file(case, &shared, "same.png", &photo_meta(), at(1)).unwrap();
    let own = d.ws.add_photo_file(case, &png(6), "maya.png", &photo_meta(), at(1)).unwrap();
    let contact = d.ws.add_contact(case, &grace(), at(2)).unwrap();
    d.ws.remove_contact(contact.id, "moved away", at(2)).unwrap();
    d.ws.add_note(case, &NoteInput { category: NoteCategory::Internal, text: "Okafor family history".into() }, at(3)).unwrap();
    d.ws.change_status(case, &StatusChange { to: CaseStatus::Active, reason: "Filed".into(), outcome: None }, at(4)).unwrap();
    d.ws.open_case(case, at(4)).unwrap();
    d.ws.record_poster(&[case, keep], "saved", "/tmp/p.pdf", &Default::default(), &[], "MISSING", &"ab".repeat(32), at(5)).unwrap();
    ack_all(&mut d.ws, at(5));
    // An edit still waiting, a conflict, and an earlier refusal of this case.
    let mut fields = maya();
    fields.event.city = "Owasso".into();
    d.ws.update_case(case, 1, &fields, at(6)).unwrap();
    let refused = data_ops(&d.ws).pop().unwrap();
    let refusal = OpResult { op_id: refused.id, outcome: Outcome::Rejected { code: RejectCode::Invalid, reason: "city unknown".into() }, current: vec![], conflicts: vec![] };
    d.ws.apply_push(&[refused], &PushResponse { results: vec![refusal], server_time: t0(), server_stamp: Stamp::at(t0(), ReplicaId(0x5e7)), own_rows: None }, at(6).utc).unwrap();
    d.ws.update_case(case, 2, &CaseFields { description: porchlight_domain::DescriptionFields { clothing: "Red coat".into(), ..Default::default() }, ..fields }, at(7)).unwrap();
    let conflict = conflict_on(*case.as_uuid(), "event.county", json!("Tulsa"), json!("Osage"), ReplicaId(1), d.ws.replica_id());
    d.ws.apply_pull(&page(vec![Change::Conflict(conflict)], vec![], 4), t0()).unwrap();
    assert_eq!(d.ws.conflicts(Some(case)).unwrap().len(), 1);

    d.ws.apply_pull(&page(vec![], vec![*case.as_uuid()], 5), at(8).utc).unwrap();

    let id = *case.as_uuid();
    let needles: Vec<Vec<u8>> = vec![id.as_bytes().to_vec(), id.to_string().into_bytes(), id.simple().to_string().into_bytes()];
    for (table, rows) in dump(&d.ws, &[]) {
        for row in rows {
            for needle in &needles {
                assert!(!row.as_bytes().windows(needle.len()).any(|w| w == needle.as_slice()), "{table} still mentions the case: {row}");
            }
            // Byte columns print as lists of numbers; look for the id that way too.
            let as_list = format!("{:?}", id.as_bytes().to_vec());
            assert!(!row.contains(&as_list[1..as_list.len() - 1]), "{table} still holds the case id bytes: {row}");
        }
    }
    assert!(matches!(d.ws.get_case(case), Err(StoreError::NotFound(_))));
    let found = d.ws.search(&SearchQuery { text: "okafor".into(), ..Default::default() }, now().local.date()).unwrap();
    assert!(found.hits.is_empty(), "{found:?}");
    assert_eq!(count(&d.ws, "SELECT count(*) FROM case_search"), 1);
    assert!(d.ws.photo_bytes(&own.sha256).is_err(), "its own image is gone");
    assert!(d.ws.photo_bytes(&crate::hex(&<sha2::Sha256 as sha2::Digest>::digest(&shared))).is_ok(), "an image another case shows stays");
    assert_eq!(count(&d.ws, "SELECT count(*) FROM posters"), 0, "a poster that printed this child goes");
    // The waiting edit is listed as refused, naming the case by number only.
    let listed = d.ws.rejected_changes().unwrap();
    let waiting = listed.iter().find(|r| r.reason == OUT_OF_SCOPE_REASON).expect("the waiting edit is listed");
    assert_eq!((waiting.case_number.as_str(), waiting.case_id.as_uuid()), (gone.case_number.as_str(), &Uuid::nil()));
    assert!(waiting.what.contains("clothing when last seen") && !waiting.what.contains("Maya"), "{}", waiting.what);
    assert!(listed.iter().all(|r| !r.what.contains("Maya")));
    assert_eq!(d.ws.pending_count().unwrap(), 0);
    assert!(d.ws.conflicts(None).unwrap().is_empty());
    d.ws.integrity_check().unwrap();
    // The other case is whole.
    assert_eq!(d.ws.case_photos(keep).unwrap().len(), 1);
    assert!(d.ws.photo_thumbnail(d.ws.case_photos(keep).unwrap()[0].id).is_ok());
}

// ---- Push answers ----

#[test]
fn a_push_that_lost_the_merge_ends_with_the_services_value() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    ack_all(&mut d.ws, now());
    let mut fields = maya();
    fields.description.clothing = "Green hoodie".into();
    d.ws.update_case(case, 1, &fields, at(1)).unwrap();
    let pushed = ops(&d.ws);
    let edit = pushed.iter().find(|op| op.entity() == Some(Entity::Case)).unwrap().clone();
    let id = *case.as_uuid();
    let theirs = Stamp::at(t0() + chrono::Duration::minutes(2), ReplicaId(9));
    let conflict = conflict_on(id, "description.clothing", json!("Grey parka"), json!("Green hoodie"), ReplicaId(9), d.ws.replica_id());
    let results = pushed
        .iter()
        .map(|op| OpResult {
            op_id: op.id,
            outcome: Outcome::Applied { seq: 40 },
            current: if op.id == edit.id {
                vec![RecordState {
                    entity: Entity::Case,
                    case_id: id,
                    record_id: id,
                    stamp: theirs,
                    fields: [("description.clothing".to_string(), json!("Grey parka"))].into(),
                    stamps: BTreeMap::new(),
                }]
            } else {
                vec![]
            },
            conflicts: if op.id == edit.id { vec![conflict.clone()] } else { vec![] },
        })
        .collect();
    d.ws.apply_push(&pushed, &PushResponse { results, server_time: t0(), server_stamp: theirs, own_rows: None }, at(2).utc).unwrap();
    assert_eq!(d.ws.pending_count().unwrap(), 0);
    assert_eq!(d.ws.get_case(case).unwrap().fields.description.clothing, "Grey parka");
    let inbox = d.ws.conflicts(None).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!((inbox[0].mine.display.as_str(), inbox[0].theirs.display.as_str()), ("Green hoodie", "Grey parka"));
    assert!(inbox[0].mine.this_device && !inbox[0].theirs.this_device);
    assert_eq!(inbox[0].in_force, ConflictChoice::Theirs);
    assert_eq!(inbox[0].field_label, "Clothing when last seen");
    // Every later stamp is after the service's.
    d.ws.open_case(case, at(0)).unwrap();
    assert!(ops(&d.ws)[0].stamp > theirs);
}

#[test]
fn a_refused_change_is_listed_with_its_reason_leaves_the_outbox_and_is_taken_back() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    ack_all(&mut d.ws, now());
    let mut fields = maya();
    fields.child.given_name = "Mayah".into();
    d.ws.update_case(case, 1, &fields, at(1)).unwrap();
    d.ws.add_note(case, &NoteInput { category: NoteCategory::Internal, text: "Volunteers may not write this".into() }, at(2)).unwrap();
    d.ws.change_status(case, &StatusChange { to: CaseStatus::Active, reason: "Filed".into(), outcome: None }, at(3)).unwrap();
    let pushed = ops(&d.ws);
    let id = *case.as_uuid();
    let created = Stamp::at(t0(), ReplicaId(9));
    let results: Vec<OpResult> = pushed
        .iter()
        .map(|op| {
            let refused = op.entity() != Some(Entity::AuditEvent);
            OpResult {
                op_id: op.id,
                outcome: if refused {
                    Outcome::Rejected { code: RejectCode::NotAllowed, reason: "Volunteers can add tips and sightings only.".into() }
                } else {
                    Outcome::Applied { seq: 9 }
                },
                current: if op.entity() == Some(Entity::Case) {
                    vec![RecordState {
                        entity: Entity::Case,
                        case_id: id,
                        record_id: id,
                        stamp: created,
                        fields: [("child.given_name".to_string(), json!("Maya"))].into(),
                        stamps: BTreeMap::new(),
                    }]
                } else {
                    vec![]
                },
                conflicts: vec![],
            }
        })
        .collect();
    let response = PushResponse { results, server_time: at(4).utc, server_stamp: Stamp::at(at(4).utc, ReplicaId(0x5e7)), own_rows: None };
    d.ws.apply_push(&pushed, &response, at(4).utc).unwrap();
    assert_eq!(d.ws.pending_count().unwrap(), 0, "refusals are final: nothing is sent again");
    let got = d.ws.get_case(case).unwrap();
    assert_eq!(got.fields.child.given_name, "Maya", "the refused edit is taken back");
    assert_eq!(got.status, CaseStatus::Intake, "the refused status change is taken back");
    assert!(d.ws.notes(case).unwrap().is_empty(), "the refused note is taken back");
    let listed = d.ws.rejected_changes().unwrap();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|r| r.reason == "Volunteers can add tips and sightings only." && r.case_id == case));
    let whats: Vec<&str> = listed.iter().map(|r| r.what.as_str()).collect();
    assert!(whats.contains(&"Edit of Maya Okafor: given name"), "{whats:?}");
    assert!(whats.contains(&"Note on Maya Okafor"), "{whats:?}");
    assert!(whats.iter().any(|w| w.starts_with("Status of Maya Okafor changed to")), "{whats:?}");
    assert_eq!(d.ws.sync_status().unwrap().rejected, 3);
    // The same answer again (a reply that came twice) changes nothing.
    let before = dump(&d.ws, &["sync_meta"]);
    d.ws.apply_push(&pushed, &response, at(4).utc).unwrap();
    assert_eq!(dump(&d.ws, &["sync_meta"]), before);
    d.ws.dismiss_rejected(&listed[0].op_id).unwrap();
    assert_eq!(d.ws.rejected_changes().unwrap().len(), 2);
    assert!(matches!(d.ws.dismiss_rejected(&Uuid::nil().to_string()), Err(StoreError::RecordNotFound { .. })));
}

// ---- The conflict inbox ----

fn conflict_on(case: Uuid, field: &str, kept: Value, other: Value, kept_by: ReplicaId, other_by: ReplicaId) -> ConflictRecord {
    ConflictRecord {
        id: Uuid::new_v4(),
        case_id: case,
        entity: Entity::Case,
        record_id: case,
        field: field.into(),
        kept: ConflictSide { value: kept, stamp: Stamp::at(t0() + chrono::Duration::minutes(2), kept_by), op_id: Uuid::new_v4(), device_id: Uuid::new_v4(), by: "Ruth Obi".into() },
        other: ConflictSide { value: other, stamp: Stamp::at(t0() + chrono::Duration::minutes(1), other_by), op_id: Uuid::new_v4(), device_id: Uuid::new_v4(), by: "Me".into() },
        resolution: None,
    }
}

/// A case whose given name is in conflict: theirs ("Mya") in force, mine ("Maia") kept aside.
fn case_in_conflict() -> (Device, CaseId, ConflictRecord) {
    let mut d = device();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    ack_all(&mut d.ws, now());
    let id = *case.as_uuid();
    let conflict = conflict_on(id, "child.given_name", json!("Mya"), json!("Maia"), ReplicaId(9), d.ws.replica_id());
    let state = RecordState {
        entity: Entity::Case,
        case_id: id,
        record_id: id,
        stamp: conflict.kept.stamp,
        fields: [("child.given_name".to_string(), json!("Mya"))].into(),
        stamps: BTreeMap::new(),
    };
    d.ws.apply_pull(&page(vec![Change::Record(state), Change::Conflict(conflict.clone())], vec![], 3), t0()).unwrap();
    (d, case, conflict)
}

#[test]
fn keep_mine_writes_mine_over_the_value_in_force_and_settles_the_conflict() {
    let (mut d, case, conflict) = case_in_conflict();
    let inbox = d.ws.conflicts(Some(case)).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!((inbox[0].mine.display.as_str(), inbox[0].theirs.display.as_str(), inbox[0].in_force), ("Maia", "Mya", ConflictChoice::Theirs));
    assert_eq!((inbox[0].case_number.as_str(), inbox[0].child_name.as_str()), (d.ws.get_case(case).unwrap().case_number.as_str(), "Mya Okafor"));
    d.ws.resolve_conflict(&inbox[0].id, &ConflictResolution::KeepMine, at(5)).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().fields.child.given_name, "Maia");
    assert!(d.ws.conflicts(None).unwrap().is_empty(), "settled here at once");
    let op = data_ops(&d.ws).pop().unwrap();
    assert_eq!(op.resolves, vec![conflict.id]);
    assert_eq!(set_fields(&op)["child.given_name"], (json!("Maia"), Some(conflict.kept.stamp)), "based on the value in force, so it wins quietly");
    let audit = ops(&d.ws).into_iter().find(|op| matches!(&op.body, OpBody::Append { entity: Entity::AuditEvent, record, .. } if record["action"] == "conflict_resolved"));
    assert!(audit.is_some(), "the resolution is audited");
    // An unresolved copy arriving before the resolution is sent does not reopen it.
    d.ws.apply_pull(&page(vec![Change::Conflict(conflict.clone())], vec![], 4), t0()).unwrap();
    assert!(d.ws.conflicts(None).unwrap().is_empty());
}

#[test]
fn keep_theirs_when_theirs_is_in_force_only_settles_the_conflict() {
    let (mut d, case, conflict) = case_in_conflict();
    d.ws.resolve_conflict(&conflict.id.to_string(), &ConflictResolution::KeepTheirs, at(5)).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().fields.child.given_name, "Mya");
    let op = ops(&d.ws).into_iter().find(|op| !op.resolves.is_empty()).unwrap();
    assert_eq!((op.body.clone(), op.resolves.clone()), (OpBody::Resolve, vec![conflict.id]));
}

#[test]
fn an_edited_value_is_checked_as_the_form_checks_it_and_names_the_field() {
    let (mut d, case, conflict) = case_in_conflict();
    let id = conflict.id.to_string();
    for (text, why) in [("Maya", "not JSON"), ("\"\"", "a name is required"), ("42", "not text")] {
        match d.ws.resolve_conflict(&id, &ConflictResolution::Edit { value: text.into() }, at(5)) {
            Err(StoreError::Validation(faults)) => assert_eq!(faults[0].field, "child.given_name", "{why}: {faults:?}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    assert_eq!(d.ws.conflicts(None).unwrap().len(), 1, "a refused edit settles nothing");
    d.ws.resolve_conflict(&id, &ConflictResolution::Edit { value: "\"Maya\"".into() }, at(5)).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().fields.child.given_name, "Maya");
    let op = data_ops(&d.ws).pop().unwrap();
    assert_eq!((set_fields(&op)["child.given_name"].0.clone(), op.resolves), (json!("Maya"), vec![conflict.id]));
    assert!(matches!(d.ws.resolve_conflict(&Uuid::new_v4().to_string(), &ConflictResolution::KeepMine, at(6)), Err(StoreError::RecordNotFound { .. })));
}

#[test]
fn a_status_race_is_settled_by_moving_to_the_chosen_status() {
    let mut d = device();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    d.ws.change_status(case, &StatusChange { to: CaseStatus::Active, reason: "Filed".into(), outcome: None }, at(1)).unwrap();
    let mine = data_ops(&d.ws).pop().unwrap();
    ack_all(&mut d.ws, at(1));
    let id = *case.as_uuid();
    let theirs_stamp = Stamp::at(t0() + chrono::Duration::minutes(2), ReplicaId(9));
    let theirs = AppendedRecord {
        entity: Entity::StatusEvent,
        case_id: id,
        record_id: Uuid::new_v4(),
        stamp: theirs_stamp,
        record: json!({"from": "intake", "to": "closed", "reason": "Duplicate", "outcome": null, "actor": "Ruth Obi", "at": t0().to_rfc3339()}),
    };
    let conflict = ConflictRecord {
        id: Uuid::new_v4(),
        case_id: id,
        entity: Entity::StatusEvent,
        record_id: theirs.record_id,
        field: "status".into(),
        kept: ConflictSide { value: theirs.record.clone(), stamp: theirs_stamp, op_id: Uuid::new_v4(), device_id: Uuid::new_v4(), by: "Ruth Obi".into() },
        other: ConflictSide { value: json!("active"), stamp: mine.stamp, op_id: mine.id, device_id: Uuid::new_v4(), by: "Me".into() },
        resolution: None,
    };
    d.ws.apply_pull(&page(vec![Change::Appended(theirs), Change::Conflict(conflict.clone())], vec![], 5), t0()).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().status, CaseStatus::Closed);
    let inbox = d.ws.conflicts(None).unwrap();
    assert_eq!((inbox[0].mine.display.as_str(), inbox[0].theirs.display.as_str(), inbox[0].field_label.as_str()), ("Active", "Closed", "Status"));
    d.ws.resolve_conflict(&inbox[0].id, &ConflictResolution::KeepMine, at(6)).unwrap();
    assert_eq!(d.ws.get_case(case).unwrap().status, CaseStatus::Active);
    let op = data_ops(&d.ws).pop().unwrap();
    let OpBody::Append { entity: Entity::StatusEvent, record, base, .. } = &op.body else { panic!("{op:?}") };
    assert_eq!((record["from"].as_str(), record["to"].as_str(), *base), (Some("closed"), Some("active"), Some(theirs_stamp)));
    assert_eq!(op.resolves, vec![conflict.id]);
}

// ---- Enrolment, status, wipe ----

fn identity() -> super::SyncIdentity {
    super::SyncIdentity {
        server_url: "https://sync.example.org/".into(),
        device_id: Uuid::new_v4(),
        token: "s3cret-token-value".into(),
        user_id: Uuid::new_v4(),
        username: "rosa".into(),
        display_name: "Rosa Diaz".into(),
        role: "case_manager".into(),
    }
}

#[test]
fn enrolment_is_kept_audited_without_its_token_and_shown_in_the_sync_state() {
    let mut d = unenrolled();
    assert!(!d.ws.sync_status().unwrap().enrolled);
    assert_eq!(d.ws.sync_identity().unwrap(), None);
    let bad = super::SyncIdentity { server_url: "sync".into(), ..identity() };
    assert!(matches!(d.ws.set_sync_identity(&bad, now()), Err(StoreError::Validation(f)) if f[0].field == "server_url"));
    let me = identity();
    d.ws.set_sync_identity(&me, now()).unwrap();
    d.ws.apply_pull(&page(vec![], vec![], 12), t0()).unwrap();
    assert_eq!(d.ws.sync_identity().unwrap().unwrap().server_url, "https://sync.example.org");
    let audit = ops(&d.ws);
    let OpBody::Append { entity: Entity::AuditEvent, record, .. } = &audit[0].body else { panic!() };
    assert_eq!(record["action"], "device_enrolled");
    assert!(!serde_json::to_string(&audit).unwrap().contains("s3cret"), "the token never reaches the audit log");
    assert!(!format!("{me:?}").contains("s3cret"));
    d.ws.record_sync_attempt(Err("The central service could not be reached."), at(1)).unwrap();
    let status = d.ws.sync_status().unwrap();
    // The enrolment's audit event waits for the service, but it is not a change of the user's.
    assert_eq!(d.ws.pending_count().unwrap(), 1);
    assert_eq!((status.enrolled, status.user.as_deref(), status.pending), (true, Some("Rosa Diaz (rosa)"), 0));
    assert_eq!(status.last_error.as_deref(), Some("The central service could not be reached."));
    d.ws.record_sync_attempt(Ok(&Default::default()), at(2)).unwrap();
    let status = d.ws.sync_status().unwrap();
    assert_eq!((status.last_error, status.last_sync_at), (None, Some(at(2).utc)));
    // A new device id starts from the beginning of the change log; unenrolling forgets it all.
    assert_eq!(d.ws.cursor().unwrap().seq, 12);
    d.ws.set_sync_identity(&identity(), at(3)).unwrap();
    assert_eq!(d.ws.cursor().unwrap(), Cursor::START);
    d.ws.clear_sync_identity(at(4)).unwrap();
    assert_eq!(d.ws.sync_identity().unwrap(), None);
    assert!(!d.ws.sync_status().unwrap().enrolled);
}

#[test]
fn destroying_a_workspace_removes_every_file_of_it() {
    let d = device();
    let Device { _dir, path, mut ws } = d;
    ws.create_case(&maya(), now()).unwrap();
    let folder = path.parent().unwrap().to_path_buf();
    let files = |folder: &Path| std::fs::read_dir(folder).unwrap().count();
    assert!(files(&folder) >= 2, "the file and its salt at least");
    drop(ws);
    Workspace::destroy(&path).unwrap();
    assert_eq!(files(&folder), 0, "{:?}", std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>());
    assert!(matches!(Workspace::open(&path, PASSPHRASE), Err(StoreError::WorkspaceNotFound(_))));
    Workspace::destroy(&path).unwrap();
}

#[test]
fn work_saved_before_sync_gets_its_ops_once_when_the_workspace_is_opened() {
    let mut d = unenrolled();
    let case = d.ws.create_case(&maya(), now()).unwrap().id;
    d.ws.add_contact(case, &grace(), at(1)).unwrap();
    d.ws.add_note(case, &NoteInput { category: NoteCategory::Call, text: "Called".into() }, at(2)).unwrap();
    d.ws.change_status(case, &StatusChange { to: CaseStatus::Active, reason: "Filed".into(), outcome: None }, at(3)).unwrap();
    // As a workspace from before migration 0004: no ops, no stamps on its history.
    d.ws.conn
        .execute_batch(
            "DELETE FROM outbox; DELETE FROM field_stamps; DELETE FROM workspace_meta WHERE key = 'sync_backfill';
             DROP TRIGGER status_events_are_append_only_update; DROP TRIGGER note_versions_are_append_only_update;
             UPDATE status_events SET id = NULL, stamp = NULL, stamp_key = NULL; UPDATE note_versions SET id = NULL, stamp = NULL, stamp_key = NULL;",
        )
        .unwrap();
    drop(d.ws);
    // The first open gives its history ids and stamps; never enrolled, it queues nothing yet.
    let mut ws = Workspace::open(&d.path, PASSPHRASE).unwrap();
    assert_eq!(count(&ws, "SELECT count(*) FROM status_events WHERE stamp IS NULL OR id IS NULL"), 0);
    assert!(ops(&ws).is_empty());
    // Its enrolment queues it all.
    ws.set_sync_identity(&identity(), at(5)).unwrap();
    let kinds: Vec<Option<Entity>> = ops(&ws).iter().filter(|op| op.entity() != Some(Entity::AuditEvent)).map(Op::entity).collect();
    assert_eq!(kinds, [Some(Entity::Case), Some(Entity::StatusEvent), Some(Entity::StatusEvent), Some(Entity::Contact), Some(Entity::Note)]);
    let audits = ops(&ws).len() - kinds.len();
    assert_eq!(audits, 5, "one per audit line: created, contact, note, status, then the enrolment");
    let statuses = ops(&ws).into_iter().filter(|op| op.entity() == Some(Entity::StatusEvent)).collect::<Vec<_>>();
    let OpBody::Append { base, .. } = &statuses[1].body else { panic!() };
    assert_eq!(*base, Some(statuses[0].stamp), "a later event names the one before");
    assert!(stamp_key(&statuses[0].stamp) < stamp_key(&statuses[1].stamp));
    drop(ws);
    let ws = Workspace::open(&d.path, PASSPHRASE).unwrap();
    assert_eq!(ops(&ws).len(), kinds.len() + audits, "once only");
}

