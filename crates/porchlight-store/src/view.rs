//! Opening a case: everything about one child in one place (the case, its contacts, notes,
//! status history and photos), the warning that its newest photo is old, and the names of
//! contacts who must not hear about the case. Opening is recorded in the audit log. It reads
//! the other modules' lists; it changes no case data.

use crate::audit;
use crate::contacts;
use crate::error::StoreError;
use crate::notes;
use crate::status;
use crate::workspace::Workspace;
use chrono::{Months, NaiveDate};
use porchlight_domain::{AuditAction, CaseId, CaseView, Moment, PhotoKind, PhotoRecord};
use rusqlite::TransactionBehavior;

/// How old the newest photo of the child may be before the case view asks for a new one.
const PHOTO_STALE_AFTER_MONTHS: u32 = 24;

impl Workspace {
    /// Everything the case view shows, and an audit line saying the case was opened.
    pub fn open_case(&mut self, id: CaseId, now: Moment) -> Result<CaseView, StoreError> {
        let record = self.get_case(id)?;
        let contacts = contacts::list(&self.conn, id)?;
        let notes = notes::list(&self.conn, id)?;
        let status_history = status::events(&self.conn, id)?;
        let photos = self.case_photos(id)?;
        let photo_warning = photo_warning(&record.fields.child.given_name, &photos, now.local.date());
        let do_not_disclose = contacts
            .iter()
            .filter(|c| c.removed_at.is_none() && c.fields.do_not_disclose)
            .map(|c| c.fields.name.clone())
            .collect();
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = crate::sync::outbox::Outbox::new(&tx, &self.clock, &change)?;
        audit::append(&out, Some(id), AuditAction::CaseOpened, &format!("version {}", record.version))?;
        tx.commit()?;
        Ok(CaseView { record, contacts, notes, status_history, photos, photo_warning, do_not_disclose })
    }
}

/// The warning shown when the newest photo of the child (not an age progression, companion or
/// vehicle) is more than two years older than `today`; a photo without a date taken counts
/// from the day it was added. None when the child has no photo at all: the photo section
/// says that itself.
pub(crate) fn photo_warning(given_name: &str, photos: &[PhotoRecord], today: NaiveDate) -> Option<String> {
    let newest = photos
        .iter()
        .filter(|p| p.meta.kind == Some(PhotoKind::Photo))
        .map(|p| NaiveDate::parse_from_str(p.meta.taken_on.trim(), "%Y-%m-%d").unwrap_or_else(|_| p.added_at.date_naive()))
        .max()?;
    let limit = today.checked_sub_months(Months::new(PHOTO_STALE_AFTER_MONTHS))?;
    if newest >= limit {
        return None;
    }
    let name = if given_name.trim().is_empty() { "the child" } else { given_name.trim() };
    Some(format!(
        "The newest photo of {name} is from {}; ask the family for a recent one or request an age progression.",
        newest.format("%B %Y")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use porchlight_domain::{PhotoMeta, RecordId};

    fn photo(kind: PhotoKind, taken_on: &str, added: (i32, u32, u32)) -> PhotoRecord {
        PhotoRecord {
            id: RecordId::from_uuid(uuid::Uuid::nil()),
            case_id: CaseId::from_uuid(uuid::Uuid::nil()),
            sha256: "0".repeat(64),
            mime: "image/jpeg".into(),
            width: 10,
            height: 10,
            size_bytes: 100,
            meta: PhotoMeta { kind: Some(kind), taken_on: taken_on.into(), source: "family".into(), ..Default::default() },
            is_primary: false,
            added_at: Utc.with_ymd_and_hms(added.0, added.1, added.2, 12, 0, 0).unwrap(),
            added_by: "tester".into(),
        }
    }

    #[test]
    fn a_photo_over_two_years_old_is_flagged_by_its_date_taken_or_else_its_date_added() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let old = photo(PhotoKind::Photo, "2023-03-10", (2026, 1, 1));
        let warning = photo_warning("Maya", std::slice::from_ref(&old), today).unwrap();
        assert_eq!(warning, "The newest photo of Maya is from March 2023; ask the family for a recent one or request an age progression.");
        // A recent photo of the child clears it; a recent age progression or vehicle does not.
        assert_eq!(photo_warning("Maya", &[old.clone(), photo(PhotoKind::Photo, "2025-06-01", (2025, 6, 2))], today), None);
        assert!(photo_warning("Maya", &[old.clone(), photo(PhotoKind::AgeProgressed, "", (2026, 11, 1))], today).is_some());
        assert!(photo_warning("Maya", &[old, photo(PhotoKind::Vehicle, "2026-11-01", (2026, 11, 1))], today).is_some());
        // Without a date taken, the day it was added counts.
        assert!(photo_warning("Maya", &[photo(PhotoKind::Photo, "", (2024, 11, 20))], today).is_some());
        assert_eq!(photo_warning("Maya", &[photo(PhotoKind::Photo, "", (2024, 11, 22))], today), None);
        assert_eq!(photo_warning("Maya", &[], today), None);
    }
}
