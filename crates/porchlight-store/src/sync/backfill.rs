//! The ops that carry everything a workspace holds, made from its rows rather than by its
//! writes, for two workspaces whose writes queued none: one saved before sync existed (the first
//! open after migration 0004 gives every status event and note version its id and stamp, once,
//! as `workspace_meta.sync_backfill` records), and one never enrolled (its writes keep their
//! stamps but queue no op; its enrolment queues every case, contact, photo, note version, status
//! event and audit line here, in the enrolment's transaction). A workspace that was enrolled
//! once queues its ops as it writes and never comes here. It changes no values.

use crate::cases::Change;
use crate::error::StoreError;
use crate::sync::outbox::{self, parse_stamp, stamp_key, Outbox};
use crate::sync::records;
use porchlight_domain::{CaseId, Moment};
use porchlight_sync::{Clock, Entity, Stamp};
use rusqlite::{Connection, TransactionBehavior};
use uuid::Uuid;

const MARK: &str = "sync_backfill";

/// A status event as stored: seq, from, to, reason, outcome, actor, at, and its id and stamp
/// (none from before sync).
type EventRow = (i64, Option<String>, String, String, Option<String>, String, String, Option<[u8; 16]>, Option<String>);
/// A note version as stored: rowid, note id, version, category, text, author, at, id, stamp.
type VersionRow = (i64, [u8; 16], u32, String, String, String, String, Option<[u8; 16]>, Option<String>);

fn done(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare("SELECT 1 FROM workspace_meta WHERE key = 'sync_backfill'")?.exists([])
}

/// A change made at a stored time, by a stored actor, for stamping old records in their order.
fn change_at(actor: &str, at: &str) -> Result<Change, StoreError> {
    let utc = crate::parse_stamp(at)?;
    Ok(Change { actor: actor.to_owned(), now: Moment::at_utc(utc), at: at.to_owned() })
}

pub(crate) fn run(conn: &mut Connection, clock: &Clock) -> Result<(), StoreError> {
    forget_unsent(conn)?;
    if done(conn)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process (the CLI beside the app) may have done it while this one waited.
    if done(&tx)? {
        return Ok(());
    }
    // Queued only if the workspace was enrolled before it was first opened with sync; otherwise
    // this gives old rows their stamps, and its enrolment queues them.
    queue_all(&tx, clock)?;
    tx.execute("INSERT INTO workspace_meta (key, value) VALUES (?1, '1')", [MARK])?;
    tx.commit()?;
    Ok(())
}

/// Empties the outbox of a workspace never enrolled, which earlier versions filled with every
/// write: none of it was ever sent, and its enrolment queues the current state whole.
fn forget_unsent(conn: &mut Connection) -> Result<(), StoreError> {
    let unsent = |c: &Connection| -> Result<bool, StoreError> {
        Ok(!outbox::ever_enrolled(c)? && c.prepare_cached("SELECT 1 FROM outbox LIMIT 1")?.exists([])?)
    };
    if !unsent(conn)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if unsent(&tx)? {
        tx.execute("DELETE FROM outbox", [])?;
    }
    tx.commit()?;
    Ok(())
}

/// Queues, in the caller's transaction, the ops that carry every case with its status events,
/// contacts, note versions, photos and audit lines, then the audit lines of no case, as the
/// writes would have queued them had the workspace been enrolled: a mutable record as one `Set`
/// of all its fields (its field stamps replaced by that op's stamp), an appended record with the
/// id and stamp it already has (or, from before sync, new ones), each status event naming the
/// one before it as its `base`. Nothing of the workspace may be waiting already.
pub(crate) fn queue_all(tx: &Connection, clock: &Clock) -> Result<(), StoreError> {
    let cases: Vec<(i64, [u8; 16], String)> =
        tx.prepare("SELECT seq, id, created_at FROM cases ORDER BY seq")?.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?.collect::<Result<_, _>>()?;
    for (seq, id, created_at) in cases {
        let case = Uuid::from_bytes(id);
        let case_id = CaseId::from_uuid(case);
        let change = change_at("", &created_at)?;
        let out = Outbox::new(tx, clock, &change)?;
        // Every field of the case, its contacts and photos is sent with the one stamp of its op.
        tx.prepare_cached("DELETE FROM field_stamps WHERE case_id = ?1")?.execute([id])?;
        let state = records::case_state(tx, seq)?;
        out.set(case, Entity::Case, case, state.into_iter().collect(), true)?;
        // Status events in the order they were made: rows from before sync (no stamp yet) by
        // history, then by stamp, so the newest by stamp is the newest by history.
        let events: Vec<EventRow> = tx
            .prepare(
                "SELECT seq, from_status, to_status, reason, outcome, actor, at, id, stamp FROM status_events WHERE case_seq = ?1
                 ORDER BY stamp IS NOT NULL, stamp_key, seq",
            )?
            .query_map([seq], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?, row.get(8)?)))?
            .collect::<Result<_, _>>()?;
        let mut base: Option<Stamp> = None;
        for (event_seq, from, to, reason, outcome, actor, at, held_id, held_stamp) in events {
            let change = change_at(&actor, &at)?;
            let out = Outbox::new(tx, clock, &change)?;
            let (event_id, stamp) = match (held_id, held_stamp) {
                (Some(id), Some(stamp)) => (Uuid::from_bytes(id), parse_stamp(&stamp)?),
                _ => {
                    let stamp = out.tick()?;
                    let event_id = out.new_id();
                    tx.execute(
                        "UPDATE status_events SET id = ?2, stamp = ?3, stamp_key = ?4 WHERE seq = ?1",
                        rusqlite::params![event_seq, event_id.as_bytes(), stamp.to_string(), stamp_key(&stamp).to_vec()],
                    )?;
                    (event_id, stamp)
                }
            };
            let record = serde_json::json!({ "from": from, "to": to, "reason": reason, "outcome": outcome, "actor": actor, "at": at });
            out.append(case, Entity::StatusEvent, event_id, record, base, stamp)?;
            base = Some(stamp);
        }
        let contacts = records::contact_states(tx, case_id)?;
        records::emit_changes(&out, case, Entity::Contact, &Default::default(), &contacts)?;
        let versions: Vec<VersionRow> = tx
            .prepare("SELECT rowid, note_id, version, category, text, author, at, id, stamp FROM note_versions WHERE case_id = ?1 ORDER BY rowid")?
            .query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?, row.get(8)?)))?
            .collect::<Result<_, _>>()?;
        for (rowid, note_id, version, category, text, author, at, held_id, held_stamp) in versions {
            let change = change_at(&author, &at)?;
            let out = Outbox::new(tx, clock, &change)?;
            let (version_id, stamp) = match (held_id, held_stamp) {
                (Some(id), Some(stamp)) => (Uuid::from_bytes(id), parse_stamp(&stamp)?),
                _ => {
                    let stamp = out.tick()?;
                    let version_id = out.new_id();
                    tx.execute(
                        "UPDATE note_versions SET id = ?2, stamp = ?3, stamp_key = ?4 WHERE rowid = ?1",
                        rusqlite::params![rowid, version_id.as_bytes(), stamp.to_string(), stamp_key(&stamp).to_vec()],
                    )?;
                    (version_id, stamp)
                }
            };
            let record = serde_json::json!({
                "note_id": Uuid::from_bytes(note_id).to_string(), "version": version, "category": category,
                "body": text, "author": author, "written_at": at,
            });
            out.append(case, Entity::Note, version_id, record, None, stamp)?;
        }
        let photos = records::photo_states(tx, seq)?;
        records::emit_changes(&out, case, Entity::Photo, &Default::default(), &photos)?;
        backfill_audit(tx, clock, Some(id))?;
    }
    backfill_audit(tx, clock, None)
}

/// The audit lines of one case (or of no case), as ops for the central audit log.
fn backfill_audit(tx: &Connection, clock: &Clock, case: Option<[u8; 16]>) -> Result<(), StoreError> {
    let lines: Vec<(String, String, String, String)> = tx
        .prepare("SELECT action, actor, at, detail FROM audit_log WHERE case_id IS ?1 ORDER BY seq")?
        .query_map([case], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let case_id = case.map(Uuid::from_bytes).unwrap_or(Uuid::nil());
    for (action, actor, at, detail) in lines {
        let change = change_at(&actor, &at)?;
        let out = Outbox::new(tx, clock, &change)?;
        let stamp = out.tick()?;
        out.append(case_id, Entity::AuditEvent, out.new_id(), records::audit_record(&action, &detail, &actor, &at), None, stamp)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! On real encrypted workspaces: one never enrolled queues nothing however much it is used,
    //! and its enrolment queues every record once, as its writes would have; one enrolled before
    //! goes on queueing its own ops when unenrolled, and enrolling it again rebuilds nothing.
    //! Every child here is invented.

    use crate::sync::outbox::parse_stamp;
    use crate::{NewCase, SyncIdentity, Workspace};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use porchlight_domain::{
        CaseFields, CaseStatus, CaseType, ChildFields, ContactFields, EventFields, Moment, NoteCategory, NoteInput, PhotoKind, PhotoMeta,
        Relationship, Sex, StatusChange,
    };
    use porchlight_sync::{Entity, Op, OpBody, Replica};
    use std::collections::{BTreeMap, BTreeSet};
    use uuid::Uuid;

    const PASSPHRASE: &str = "Quiet desk with no server 8";

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
    }

    fn at(minutes: i64) -> Moment {
        Moment::at_utc(t0() + Duration::minutes(minutes))
    }

    fn child(given: &str, family: &str) -> CaseFields {
        CaseFields {
            case_type: Some(CaseType::EndangeredRunaway),
            child: ChildFields { given_name: given.into(), family_name: family.into(), date_of_birth: "2011-08-30".into(), sex: Some(Sex::Male), ..Default::default() },
            event: EventFields { last_seen_date: "2026-11-18".into(), city: "Lawton".into(), state: "OK".into(), ..Default::default() },
            ..Default::default()
        }
    }

    fn png(seed: u8) -> Vec<u8> {
        let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([seed, (x * 7) as u8, (y * 3) as u8]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    fn identity() -> SyncIdentity {
        SyncIdentity {
            server_url: "https://sync.example.org".into(),
            device_id: Uuid::new_v4(),
            token: "desk-t0ken".into(),
            user_id: Uuid::new_v4(),
            username: "omar".into(),
            display_name: "Omar Reyes".into(),
            role: "case_manager".into(),
        }
    }

    fn count(ws: &Workspace, sql: &str) -> i64 {
        ws.conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    fn ids(ws: &Workspace, sql: &str) -> BTreeSet<Uuid> {
        ws.conn.prepare(sql).unwrap().query_map([], |row| row.get::<_, [u8; 16]>(0)).unwrap().map(|id| Uuid::from_bytes(id.unwrap())).collect()
    }

    fn ops_of(ops: &[Op], entity: Entity) -> Vec<&Op> {
        ops.iter().filter(|op| op.entity() == Some(entity)).collect()
    }

    /// A week of casework on a desk that has no service: cases made and imported, edited,
    /// archived, opened; contacts added, changed and removed; notes written and edited; status
    /// changes; photos added and edited.
    fn casework(ws: &mut Workspace) -> Vec<porchlight_domain::CaseId> {
        let first = ws.create_case(&child("Mateo", "Reyes"), at(1)).unwrap();
        let imported = ws
            .import_cases(&[NewCase { fields: child("Ivy", "Stone"), photos: Vec::new() }, NewCase { fields: child("Noah", "Park"), photos: Vec::new() }], at(2))
            .unwrap();
        let mut version = first.version;
        for (i, city) in ["Moore", "Norman", "Edmond", "Yukon"].iter().enumerate() {
            let mut fields = ws.get_case(first.id).unwrap().fields;
            fields.event.city = (*city).into();
            version = ws.update_case(first.id, version, &fields, at(3 + i as i64)).unwrap().version;
        }
        ws.set_archived(imported[1], true, at(8)).unwrap();
        ws.open_case(first.id, at(9)).unwrap();
        let aunt = ContactFields { name: "Lucia Reyes".into(), relationship: Some(Relationship::Other), relationship_detail: "aunt".into(), phones: vec!["(580) 555-0110".into()], ..Default::default() };
        let contact = ws.add_contact(first.id, &aunt, at(10)).unwrap();
        let moved = ContactFields { phones: vec!["(580) 555-0199".into()], ..aunt };
        ws.update_contact(contact.id, contact.version, &moved, at(11)).unwrap();
        let father = ContactFields { name: "Luis Reyes".into(), relationship: Some(Relationship::Father), phones: vec!["(580) 555-0123".into()], ..Default::default() };
        let father = ws.add_contact(first.id, &father, at(12)).unwrap();
        ws.remove_contact(father.id, "number disconnected", at(13)).unwrap();
        let note = ws.add_note(first.id, &NoteInput { category: NoteCategory::Call, text: "Called the coach.".into() }, at(14)).unwrap();
        ws.edit_note(note.current.note_id, 1, &NoteInput { category: NoteCategory::Call, text: "Called the coach; practice on Friday.".into() }, at(15)).unwrap();
        ws.add_note(imported[0], &NoteInput { category: NoteCategory::LeadTip, text: "Seen at the bus station.".into() }, at(16)).unwrap();
        ws.change_status(first.id, &StatusChange { to: CaseStatus::Active, reason: "Report filed".into(), outcome: None }, at(17)).unwrap();
        let meta = PhotoMeta { kind: Some(PhotoKind::Photo), source: "family".into(), consent_to_publish: true, taken_on: "2026-06-01".into(), ..Default::default() };
        let photo = ws.add_photo_file(first.id, &png(1), "mateo.png", &meta, at(18)).unwrap();
        ws.update_photo(photo.id, &PhotoMeta { consent_to_publish: false, ..meta.clone() }, at(19)).unwrap();
        ws.add_photo_file(imported[0], &png(2), "ivy.png", &meta, at(20)).unwrap();
        vec![first.id, imported[0], imported[1]]
    }

    #[test]
    fn a_workspace_never_enrolled_queues_nothing_and_its_enrolment_queues_every_record_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, at(0)).unwrap();
        let cases = casework(&mut ws);
        assert_eq!(ws.pending_count().unwrap(), 0, "{:#?}", ws.outbox(10).unwrap());
        assert_eq!(ws.sync_status().unwrap().pending, 0);
        // Stamps are kept all along, so the first edit after enrolment names what it saw.
        assert!(count(&ws, "SELECT count(*) FROM field_stamps") > 0);
        assert_eq!(count(&ws, "SELECT count(*) FROM status_events WHERE stamp IS NULL"), 0);

        ws.set_sync_identity(&identity(), at(30)).unwrap();
        let ops = ws.outbox(usize::MAX).unwrap();
        // Every mutable record once, with every field it holds now and no base.
        for (entity, table) in [(Entity::Case, "cases"), (Entity::Contact, "contacts"), (Entity::Photo, "case_photos")] {
            let sent: Vec<Uuid> = ops_of(&ops, entity).iter().map(|op| op.record_id().unwrap()).collect();
            assert_eq!(sent.iter().copied().collect::<BTreeSet<_>>(), ids(&ws, &format!("SELECT id FROM {table}")), "{entity:?}");
            assert_eq!(sent.len(), sent.iter().collect::<BTreeSet<_>>().len(), "{entity:?} sent once each");
        }
        for op in ops_of(&ops, Entity::Case) {
            let OpBody::Set { fields, .. } = &op.body else { panic!("{op:?}") };
            assert!(fields.iter().all(|f| f.base.is_none()));
            let values: BTreeMap<&str, &serde_json::Value> = fields.iter().map(|f| (f.field.as_str(), &f.value)).collect();
            let seq: i64 = ws.conn.query_row("SELECT seq FROM cases WHERE id = ?1", [op.record_id().unwrap().as_bytes()], |r| r.get(0)).unwrap();
            let held = super::records::case_state(&ws.conn, seq).unwrap();
            assert_eq!(values.len(), held.len());
            assert!(held.iter().all(|(k, v)| values[k.as_str()] == v), "the case as it is now");
            // The op's stamp is the one every field of the case now holds.
            let stamps: Vec<(String, String)> = ws
                .conn
                .prepare("SELECT field, stamp FROM field_stamps WHERE entity = 'case' AND record_id = ?1")
                .unwrap()
                .query_map([op.record_id().unwrap().as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(stamps.len(), 1, "{stamps:?}");
            assert_eq!((stamps[0].0.as_str(), parse_stamp(&stamps[0].1).unwrap()), ("*", op.stamp));
        }
        let first = *cases[0].as_uuid();
        let city = ops_of(&ops, Entity::Case).into_iter().find(|op| op.record_id() == Some(first)).unwrap();
        let OpBody::Set { fields, .. } = &city.body else { unreachable!() };
        assert_eq!(fields.iter().find(|f| f.field == "event.city").unwrap().value, "Yukon", "four edits, one value");
        // Appended records once each, with the ids and stamps they hold.
        for (entity, table) in [(Entity::Note, "note_versions"), (Entity::StatusEvent, "status_events")] {
            let sent: Vec<&Op> = ops_of(&ops, entity);
            assert_eq!(sent.iter().map(|op| op.record_id().unwrap()).collect::<BTreeSet<_>>(), ids(&ws, &format!("SELECT id FROM {table}")));
            assert_eq!(sent.len() as i64, count(&ws, &format!("SELECT count(*) FROM {table}")), "{entity:?}");
            for op in sent {
                let held: String =
                    ws.conn.query_row(&format!("SELECT stamp FROM {table} WHERE id = ?1"), [op.record_id().unwrap().as_bytes()], |r| r.get(0)).unwrap();
                assert_eq!(parse_stamp(&held).unwrap(), op.stamp);
            }
        }
        let statuses: Vec<&Op> = ops_of(&ops, Entity::StatusEvent).into_iter().filter(|op| op.case_id == first).collect();
        let OpBody::Append { base, record, .. } = &statuses[1].body else { panic!() };
        assert_eq!((*base, record["to"].as_str()), (Some(statuses[0].stamp), Some("active")));
        // Every audit line, the enrolment's last.
        let audits = ops_of(&ops, Entity::AuditEvent);
        assert_eq!(audits.len() as i64, count(&ws, "SELECT count(*) FROM audit_log"));
        let OpBody::Append { record, .. } = &audits.last().unwrap().body else { panic!() };
        assert_eq!(record["action"], "device_enrolled");
        assert_eq!(ops.len(), ops.iter().map(|op| op.id).collect::<BTreeSet<_>>().len());

        // From now on each write queues its own op, naming the stamp enrolment gave the case.
        let record = ws.get_case(cases[0]).unwrap();
        let mut fields = record.fields.clone();
        fields.event.city = "Tulsa".into();
        ws.update_case(cases[0], record.version, &fields, at(31)).unwrap();
        let edit = ws.outbox(usize::MAX).unwrap().into_iter().rev().find(|op| op.entity() == Some(Entity::Case)).unwrap();
        assert!(edit.stamp > city.stamp);
        let OpBody::Set { fields, .. } = &edit.body else { panic!("{edit:?}") };
        assert_eq!((fields[0].field.as_str(), fields[0].base), ("event.city", Some(city.stamp)));
    }

    #[test]
    fn a_workspace_enrolled_once_queues_its_writes_while_unenrolled_and_enrolling_again_rebuilds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.porchlight");
        let mut ws = Workspace::create(&path, PASSPHRASE, at(0)).unwrap();
        ws.set_sync_identity(&identity(), at(1)).unwrap();
        let case = ws.create_case(&child("Mateo", "Reyes"), at(2)).unwrap();
        let before = ws.outbox(usize::MAX).unwrap();
        ws.clear_sync_identity(at(3)).unwrap();
        let mut fields = case.fields.clone();
        fields.event.city = "Moore".into();
        ws.update_case(case.id, case.version, &fields, at(4)).unwrap();
        drop(ws);
        // Reopening keeps what waits: the workspace was enrolled once.
        let mut ws = Workspace::open(&path, PASSPHRASE).unwrap();
        let waiting = ws.outbox(usize::MAX).unwrap();
        assert_eq!(&waiting[..before.len()], &before[..]);
        let edit = waiting.iter().find(|op| op.entity() == Some(Entity::Case) && op.stamp > before[1].stamp).expect("the edit while unenrolled is queued");
        let OpBody::Set { fields: written, .. } = &edit.body else { panic!() };
        assert_eq!(written[0].base, Some(before[1].stamp), "it names the stamp the service will hold");
        ws.set_sync_identity(&identity(), at(5)).unwrap();
        let after = ws.outbox(usize::MAX).unwrap();
        assert_eq!(&after[..waiting.len()], &waiting[..], "nothing rebuilt");
        assert_eq!(after.len(), waiting.len() + 1, "only the enrolment's audit line is added");
    }

    #[test]
    fn an_outbox_an_earlier_version_filled_before_enrolment_is_emptied_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.porchlight");
        let mut ws = Workspace::create(&path, PASSPHRASE, at(0)).unwrap();
        ws.create_case(&child("Ivy", "Stone"), at(1)).unwrap();
        // As an earlier version left it: an op for every write, none ever sent.
        ws.conn
            .execute("INSERT INTO outbox (op_id, case_id, op, made_at) VALUES (randomblob(16), randomblob(16), '{}', '2026-11-21T09:01:00Z')", [])
            .unwrap();
        drop(ws);
        let mut ws = Workspace::open(&path, PASSPHRASE).unwrap();
        assert_eq!(ws.pending_count().unwrap(), 0);
        ws.set_sync_identity(&identity(), at(2)).unwrap();
        assert_eq!(ops_of(&ws.outbox(usize::MAX).unwrap(), Entity::Case).len(), 1, "the enrolment queues the case from its rows");
    }
}
