//! Photos that leave the device while their case stays: the service lists them in a pull page's
//! `removed_photos` when this user's role sees consented photos only (poster staff) and a
//! photo's consent was withdrawn, or the photo was deleted. Each goes with its stamps, any
//! conflict about it, the case history lines that describe it (its id, hash, source and dates),
//! its pending transfer and, when no other photo on the device shows the same image, its bytes,
//! thumbnail and upright copy. It runs inside the page's transaction and removing a photo that
//! is not here changes nothing, so a page applied twice is harmless.
//!
//! It deliberately leaves the outbox alone: the roles that receive removals may not write
//! photos, so no op of theirs waits on one (and a history line an op still refers to stays).

use super::apply::Batch;
use crate::error::StoreError;
use porchlight_sync::Entity;
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

/// Removes each listed photo and what hangs off it; marks its case for reindexing, since the
/// case may no longer count as having a photo.
pub(crate) fn remove_photos(tx: &Connection, photos: &[Uuid], batch: &mut Batch) -> Result<(), StoreError> {
    for photo in photos {
        let id = photo.as_bytes();
        // Stamps and conflicts are keyed by the record, so they go even when the row never
        // arrived (its metadata was withdrawn before this device saw it whole).
        tx.prepare_cached("DELETE FROM field_stamps WHERE entity = ?1 AND record_id = ?2")?.execute(rusqlite::params![Entity::Photo.as_str(), id])?;
        tx.prepare_cached("DELETE FROM conflicts WHERE entity = ?1 AND record_id = ?2")?.execute(rusqlite::params![Entity::Photo.as_str(), id])?;
        let found: Option<(i64, String)> =
            tx.prepare_cached("SELECT case_seq, sha256 FROM case_photos WHERE id = ?1")?.query_row([id], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
        let Some((case_seq, sha256)) = found else { continue };
        tx.prepare_cached("DELETE FROM case_photos WHERE id = ?1")?.execute([id])?;
        tx.prepare_cached(
            "DELETE FROM case_events WHERE case_seq = ?1 AND kind = 'photo'
               AND (json_extract(new, '$.photo') = ?2 OR json_extract(previous, '$.photo') = ?2)
               AND seq NOT IN (SELECT fields_from FROM outbox WHERE fields_from IS NOT NULL)",
        )?
        .execute(rusqlite::params![case_seq, photo.to_string()])?;
        let shown_elsewhere = tx.prepare_cached("SELECT 1 FROM case_photos WHERE sha256 = ?1")?.exists([&sha256])?;
        if !shown_elsewhere {
            for table in ["thumbnails", "upright_images", "blobs", "blob_sync"] {
                tx.prepare_cached(&format!("DELETE FROM {table} WHERE sha256 = ?1"))?.execute([&sha256])?;
            }
        }
        batch.touched(case_seq);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! On real encrypted workspaces, with the pages a poster-staff device would receive. Every
    //! child here is invented.

    use crate::{StoreError, Workspace};
    use chrono::{DateTime, TimeZone, Utc};
    use porchlight_domain::{CaseFields, CaseType, ChildFields, EventFields, Moment, PhotoKind, PhotoMeta, Sex};
    use porchlight_sync::{Cursor, OpResult, Outcome, PullPage, PushResponse, Replica, ReplicaId, Stamp};
    use uuid::Uuid;

    const PASSPHRASE: &str = "Consent lanterns on the porch 9";

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
    }

    fn at(minutes: i64) -> Moment {
        Moment::at_utc(t0() + chrono::Duration::minutes(minutes))
    }

    fn child(given: &str) -> CaseFields {
        CaseFields {
            case_type: Some(CaseType::EndangeredRunaway),
            child: ChildFields { given_name: given.into(), family_name: "Okafor".into(), date_of_birth: "2012-03-09".into(), sex: Some(Sex::Female), ..Default::default() },
            event: EventFields { last_seen_date: "2026-11-20".into(), city: "Tulsa".into(), state: "OK".into(), ..Default::default() },
            ..Default::default()
        }
    }

    fn png(seed: u8) -> Vec<u8> {
        let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([seed, (x * 3) as u8, (y * 5) as u8]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
        out
    }

    fn consented() -> PhotoMeta {
        PhotoMeta { kind: Some(PhotoKind::Photo), source: "school".into(), consent_to_publish: true, taken_on: "2026-05-01".into(), ..Default::default() }
    }

    fn removal(photos: Vec<Uuid>, seq: i64) -> PullPage {
        PullPage {
            removed_cases: vec![],
            removed_photos: photos,
            changes: vec![],
            cursor: Cursor { seq, epoch: 1 },
            has_more: false,
            server_time: t0(),
            server_stamp: Stamp::at(t0(), ReplicaId(0x5e7)),
            whole: None,
        }
    }

    /// Answers every waiting op as applied, as the service would, so only the photos' own rows
    /// remain to look at.
    fn ack_all(ws: &mut Workspace) {
        let pushed = ws.outbox(100_000).unwrap();
        let results = pushed.iter().map(|op| OpResult { op_id: op.id, outcome: Outcome::Applied { seq: 1 }, current: vec![], conflicts: vec![] }).collect();
        let response = PushResponse { results, server_time: t0(), server_stamp: Stamp::at(t0(), ReplicaId(0x5e7)), own_rows: None };
        ws.apply_push(&pushed, &response, t0()).unwrap();
    }

    fn count(ws: &Workspace, sql: &str, id: &[u8]) -> i64 {
        ws.conn.query_row(sql, [id], |row| row.get(0)).unwrap()
    }

    fn count_sha(ws: &Workspace, table: &str, sha256: &str) -> i64 {
        ws.conn.query_row(&format!("SELECT count(*) FROM {table} WHERE sha256 = ?1"), [sha256], |row| row.get(0)).unwrap()
    }

    #[test]
    fn a_withdrawn_photo_leaves_with_its_stamps_and_bytes_and_a_second_page_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, at(0)).unwrap();
        let case = ws.create_case(&child("Maya"), at(0)).unwrap().id;
        let kept = ws.add_photo_file(case, &png(1), "kept.png", &consented(), at(1)).unwrap();
        let withdrawn = ws.add_photo_file(case, &png(2), "withdrawn.png", &consented(), at(2)).unwrap();
        ack_all(&mut ws);
        let id = *withdrawn.id.as_uuid();
        assert!(count(&ws, "SELECT count(*) FROM field_stamps WHERE record_id = ?1", id.as_bytes()) > 0, "the photo's stamps are here first");
        assert_eq!(count_sha(&ws, "blob_sync", &withdrawn.sha256), 1, "its upload was still waiting");

        let named = format!("%{id}%");
        let history = |ws: &Workspace| -> i64 {
            ws.conn.query_row("SELECT count(*) FROM case_events WHERE kind = 'photo' AND (new LIKE ?1 OR previous LIKE ?1)", [&named], |row| row.get(0)).unwrap()
        };
        assert!(history(&ws) > 0, "the history names the photo first");

        ws.apply_pull(&removal(vec![id], 7), t0()).unwrap();

        assert_eq!(count(&ws, "SELECT count(*) FROM case_photos WHERE id = ?1", id.as_bytes()), 0);
        assert_eq!(history(&ws), 0, "no history line names it any more");
        let kept_named = format!("%{}%", kept.id.as_uuid());
        let kept_history: i64 = ws.conn.query_row("SELECT count(*) FROM case_events WHERE new LIKE ?1", [&kept_named], |row| row.get(0)).unwrap();
        assert!(kept_history > 0, "the other photo's history stays");
        assert_eq!(count(&ws, "SELECT count(*) FROM field_stamps WHERE record_id = ?1", id.as_bytes()), 0);
        for table in ["blobs", "thumbnails", "upright_images", "blob_sync"] {
            assert_eq!(count_sha(&ws, table, &withdrawn.sha256), 0, "{table} still holds the withdrawn image");
        }
        assert!(ws.photo_bytes(&withdrawn.sha256).is_err());
        assert!(matches!(ws.photo_thumbnail(withdrawn.id), Err(StoreError::RecordNotFound { .. })));
        let shown: Vec<_> = ws.case_photos(case).unwrap().into_iter().map(|p| p.id).collect();
        assert_eq!(shown, [kept.id], "the other photo of the case stays");
        assert!(ws.photo_bytes(&kept.sha256).is_ok());
        assert_eq!(ws.conn.query_row("SELECT cursor_seq FROM sync_meta WHERE id = 1", [], |row| row.get::<_, i64>(0)).unwrap(), 7);

        // The same page again (its cursor was lost), and a photo this device never held.
        let before = ws.conn.query_row("SELECT count(*) FROM case_photos", [], |row| row.get::<_, i64>(0)).unwrap();
        ws.apply_pull(&removal(vec![id, Uuid::now_v7()], 7), t0()).unwrap();
        assert_eq!(ws.conn.query_row("SELECT count(*) FROM case_photos", [], |row| row.get::<_, i64>(0)).unwrap(), before);
        assert!(ws.photo_bytes(&kept.sha256).is_ok());
        ws.integrity_check().unwrap();
    }

    #[test]
    fn an_image_another_photo_shows_keeps_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, at(0)).unwrap();
        let maya = ws.create_case(&child("Maya"), at(0)).unwrap().id;
        let ida = ws.create_case(&child("Ida"), at(0)).unwrap().id;
        let same = png(3);
        let withdrawn = ws.add_photo_file(maya, &same, "maya.png", &consented(), at(1)).unwrap();
        let other = ws.add_photo_file(ida, &same, "ida.png", &consented(), at(1)).unwrap();
        assert_eq!(withdrawn.sha256, other.sha256);
        ack_all(&mut ws);

        ws.apply_pull(&removal(vec![*withdrawn.id.as_uuid()], 3), t0()).unwrap();

        assert!(ws.case_photos(maya).unwrap().is_empty(), "the withdrawn photo is gone");
        assert_eq!(ws.case_photos(ida).unwrap()[0].id, other.id);
        assert!(ws.photo_bytes(&other.sha256).is_ok(), "the bytes another photo shows stay");
        assert!(ws.photo_thumbnail(other.id).is_ok());
        assert_eq!(count_sha(&ws, "blob_sync", &other.sha256), 1, "its upload still waits");
    }
}
