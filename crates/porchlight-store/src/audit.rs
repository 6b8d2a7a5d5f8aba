//! The local audit log: who opened, viewed, changed or exported what, and when. Every write of
//! the store appends its line in the same transaction as the change, so a change without its
//! audit line (or a line for a change that rolled back) cannot exist. Lines hold ids and
//! counts, never personal data, because the log will leave this machine for the central
//! service. It does not decide what to audit: each use case appends its own line.

use crate::error::StoreError;
use crate::sync::outbox::Outbox;
use crate::sync::records;
use crate::workspace::Workspace;
use porchlight_domain::{AuditAction, AuditEntry, CaseId, Moment};
use porchlight_sync::Entity;
use rusqlite::TransactionBehavior;

/// The stored code of an action, the same snake_case word the wire format uses.
pub(crate) fn code(action: AuditAction) -> &'static str {
    use AuditAction::*;
    match action {
        CaseOpened => "case_opened",
        CaseCreated => "case_created",
        CaseEdited => "case_edited",
        CaseArchived => "case_archived",
        CaseUnarchived => "case_unarchived",
        StatusChanged => "status_changed",
        NoteAdded => "note_added",
        NoteEdited => "note_edited",
        ContactAdded => "contact_added",
        ContactEdited => "contact_edited",
        ContactRemoved => "contact_removed",
        PhotoAdded => "photo_added",
        PhotoEdited => "photo_edited",
        PhotoViewed => "photo_viewed",
        Exported => "exported",
        PosterProduced => "poster_produced",
        DeviceEnrolled => "device_enrolled",
        DeviceUnenrolled => "device_unenrolled",
        ConflictResolved => "conflict_resolved",
    }
}

const ALL: &[AuditAction] = {
    use AuditAction::*;
    &[
        CaseOpened,
        CaseCreated,
        CaseEdited,
        CaseArchived,
        CaseUnarchived,
        StatusChanged,
        NoteAdded,
        NoteEdited,
        ContactAdded,
        ContactEdited,
        ContactRemoved,
        PhotoAdded,
        PhotoEdited,
        PhotoViewed,
        Exported,
        PosterProduced,
        DeviceEnrolled,
        DeviceUnenrolled,
        ConflictResolved,
    ]
};

fn from_code(text: &str) -> Option<AuditAction> {
    ALL.iter().copied().find(|a| code(*a) == text)
}

/// Appends one audit line inside the caller's transaction, stamped with the change's actor and
/// time, and its op, which carries it to the central audit log (an event about no case travels
/// under the nil case id). `detail` must hold ids and counts only. Returns the line's number.
pub(crate) fn append(out: &Outbox, case: Option<CaseId>, action: AuditAction, detail: &str) -> Result<i64, StoreError> {
    let (tx, change) = (out.tx, out.change);
    tx.prepare_cached("INSERT INTO audit_log (case_id, action, actor, at, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(rusqlite::params![
        case.map(|c| *c.as_uuid().as_bytes()),
        code(action),
        change.actor,
        change.at,
        detail,
    ])?;
    let seq = tx.last_insert_rowid();
    let stamp = out.tick()?;
    let record = records::audit_record(code(action), detail, &change.actor, &change.at);
    let case_id = case.map(|c| *c.as_uuid()).unwrap_or(uuid::Uuid::nil());
    out.append(case_id, Entity::AuditEvent, out.new_id(), record, None, stamp)?;
    Ok(seq)
}

impl Workspace {
    /// The audit lines of one case, newest first.
    pub fn case_audit(&self, case: CaseId) -> Result<Vec<AuditEntry>, StoreError> {
        self.get_case(case)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, case_id, action, actor, at, detail FROM audit_log WHERE case_id = ?1 ORDER BY seq DESC",
        )?;
        let rows = stmt.query_map([case.as_uuid().as_bytes()], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Option<[u8; 16]>>(1)?, row.get::<_, String>(2)?, row.get(3)?, row.get::<_, String>(4)?, row.get(5)?))
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, case_id, action, actor, at, detail) = row?;
            entries.push(AuditEntry {
                seq,
                case_id: case_id.map(|b| CaseId::from_uuid(uuid::Uuid::from_bytes(b))),
                action: from_code(&action).ok_or_else(|| StoreError::Corrupt(format!("unknown audit action {action:?}")))?,
                actor,
                at: crate::parse_stamp(&at)?,
                detail,
            });
        }
        Ok(entries)
    }

    /// Records an action the store does not see itself (an export, a poster handed to the
    /// printer). `detail` must hold ids and counts only, never personal data.
    pub fn record_audit(&mut self, case: Option<CaseId>, action: AuditAction, detail: &str, now: Moment) -> Result<AuditEntry, StoreError> {
        if detail.chars().count() > 1000 {
            return Err(StoreError::field("detail", "Keep an audit detail to 1000 characters or fewer: ids and counts only."));
        }
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(case) = case {
            let known = tx.prepare_cached("SELECT 1 FROM cases WHERE id = ?1")?.exists([case.as_uuid().as_bytes()])?;
            if !known {
                return Err(StoreError::NotFound(case));
            }
        }
        let out = Outbox::new(&tx, &self.clock, &change)?;
        let seq = append(&out, case, action, detail)?;
        tx.commit()?;
        Ok(AuditEntry { seq, case_id: case, action, at: crate::parse_stamp(&change.at)?, actor: change.actor, detail: detail.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_the_code_the_wire_uses() {
        for &action in ALL {
            let wire = serde_json::to_value(action).unwrap();
            assert_eq!(wire.as_str(), Some(code(action)));
            assert_eq!(from_code(code(action)), Some(action));
        }
        assert_eq!(from_code("case_deleted"), None);
    }
}
