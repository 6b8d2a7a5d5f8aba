//! The workspace's half of offline sync (see `shared/SYNC.md` and the `porchlight-sync` crate):
//! this replica's identity and enrolment, the outbox every write fills in its own transaction,
//! the `Replica` the sync engine drives (push answers and pull pages applied in one transaction
//! each, photo bytes up and down), the conflict inbox, refused changes, the sync state the app
//! shows, and deleting the workspace on a remote wipe. It opens no connection to anything: the
//! engine (`porchlight-sync-client`) does the network, and the service decides scope and merges.

pub(crate) mod apply;
pub(crate) mod backfill;
pub(crate) mod bulk;
mod conflicts;
pub(crate) mod outbox;
pub(crate) mod prepared;
pub(crate) mod records;
mod restamp;
mod withdrawn;
mod words;

#[cfg(test)]
mod tests;

use crate::audit;
use crate::error::StoreError;
use crate::workspace::Workspace;
use apply::Batch;
use chrono::{DateTime, Utc};
use outbox::Outbox;
pub use prepared::PreparedPage;
use porchlight_domain::{AuditAction, CaseId, Moment, RecordId, RejectedChange, SyncReport, SyncStatus};
use porchlight_sync::{BlobRef, Cursor, Hello, Op, Outcome, PullPage, PushResponse, Replica, ReplicaId};
use rusqlite::{OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

/// Who this workspace syncs as, kept inside the encrypted file once the device is enrolled.
#[derive(Clone, PartialEq, Eq)]
pub struct SyncIdentity {
    pub server_url: String,
    pub device_id: Uuid,
    /// The device token: a secret, never logged nor audited.
    pub token: String,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
}

impl std::fmt::Debug for SyncIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncIdentity")
            .field("server_url", &self.server_url)
            .field("device_id", &self.device_id)
            .field("token", &"(hidden)")
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .finish()
    }
}

impl Workspace {
    /// The id this workspace signs its stamps with.
    pub fn replica_id(&self) -> ReplicaId {
        self.replica
    }

    /// The enrolment, or None when this workspace has never been enrolled (or was unenrolled).
    pub fn sync_identity(&self) -> Result<Option<SyncIdentity>, StoreError> {
        let row = self.conn.query_row(
            "SELECT server_url, device_id, token, user_id, username, display_name, role FROM sync_meta WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, Option<[u8; 16]>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<[u8; 16]>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, Option<String>>(6)?,
                ))
            },
        )?;
        match row {
            (Some(server_url), Some(device), Some(token), Some(user), Some(username), Some(display_name), Some(role)) => Ok(Some(SyncIdentity {
                server_url,
                device_id: Uuid::from_bytes(device),
                token,
                user_id: Uuid::from_bytes(user),
                username,
                display_name,
                role,
            })),
            _ => Ok(None),
        }
    }

    /// Enrols this workspace: the service's address and this device's token and user, kept in
    /// the encrypted file. A new device id starts from the beginning of the service's change
    /// log. The first enrolment queues everything the workspace holds (its writes queued
    /// nothing before). Audited with the device and user ids; the token never reaches the audit
    /// log.
    pub fn set_sync_identity(&mut self, identity: &SyncIdentity, now: Moment) -> Result<(), StoreError> {
        let mut faults = Vec::new();
        let url = identity.server_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() < 10 {
            faults.push(porchlight_domain::FieldError::new("server_url", "Enter the central service's address, e.g. https://sync.example.org."));
        }
        if identity.token.trim().is_empty() {
            faults.push(porchlight_domain::FieldError::new("token", "The service gave no device token; enrol again."));
        }
        if identity.username.trim().is_empty() {
            faults.push(porchlight_domain::FieldError::new("username", "Enter the user name this device syncs as."));
        }
        if !faults.is_empty() {
            return Err(StoreError::Validation(faults));
        }
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let previous: Option<[u8; 16]> = tx.query_row("SELECT device_id FROM sync_meta WHERE id = 1", [], |row| row.get(0))?;
        let first_enrolment = !outbox::ever_enrolled(&tx)?;
        if previous != Some(*identity.device_id.as_bytes()) {
            // The service keeps scope per device: a new device id holds nothing yet.
            tx.execute("UPDATE sync_meta SET cursor_seq = 0, cursor_epoch = 0 WHERE id = 1", [])?;
        }
        tx.execute(
            "UPDATE sync_meta SET server_url = ?1, device_id = ?2, token = ?3, user_id = ?4, username = ?5, display_name = ?6, role = ?7,
                 last_error = NULL WHERE id = 1",
            rusqlite::params![
                url.trim_end_matches('/'),
                identity.device_id.as_bytes(),
                identity.token,
                identity.user_id.as_bytes(),
                identity.username.trim(),
                identity.display_name.trim(),
                identity.role.trim(),
            ],
        )?;
        if first_enrolment {
            // Until now its writes queued no op (see `outbox`): everything it holds is queued
            // here, in the enrolment's transaction, so it all reaches the service.
            tx.execute("DELETE FROM outbox", [])?;
            backfill::queue_all(&tx, &self.clock)?;
        }
        let out = Outbox::new(&tx, &self.clock, &change)?;
        let detail = format!("device {}; user {}; role {}", identity.device_id, identity.user_id, identity.role.trim());
        audit::append(&out, None, AuditAction::DeviceEnrolled, &detail)?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets the enrolment (address, token, user) and the position in the change log. Local
    /// work and ops still waiting stay, and later writes go on queueing theirs, for a later
    /// enrolment to send.
    pub fn clear_sync_identity(&mut self, now: Moment) -> Result<(), StoreError> {
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let device: Option<[u8; 16]> = tx.query_row("SELECT device_id FROM sync_meta WHERE id = 1", [], |row| row.get(0))?;
        let Some(device) = device else { return Ok(()) };
        tx.execute(
            "UPDATE sync_meta SET server_url = NULL, device_id = NULL, token = NULL, user_id = NULL, username = NULL, display_name = NULL,
                 role = NULL, cursor_seq = 0, cursor_epoch = 0, last_sync_at = NULL, last_error = NULL WHERE id = 1",
            [],
        )?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        audit::append(&out, None, AuditAction::DeviceUnenrolled, &format!("device {}", Uuid::from_bytes(device)))?;
        tx.commit()?;
        Ok(())
    }

    /// Records how the last sync went: its time when it succeeded, or why it failed, in words
    /// for the user (kept until the next good sync).
    pub fn record_sync_attempt(&mut self, outcome: Result<&SyncReport, &str>, now: Moment) -> Result<(), StoreError> {
        match outcome {
            Ok(_) => self.conn.execute("UPDATE sync_meta SET last_sync_at = ?1, last_error = NULL WHERE id = 1", [crate::stamp(now.utc)])?,
            Err(reason) => self.conn.execute("UPDATE sync_meta SET last_error = ?1 WHERE id = 1", [reason.trim()])?,
        };
        Ok(())
    }

    /// The sync state for the status bar. `online` and `syncing` are false here: the app, which
    /// talks to the service, overlays them.
    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        type Meta = [Option<String>; 7];
        let [server, username, display_name, role, token, last_sync_at, last_error]: Meta = self.conn.query_row(
            "SELECT server_url, username, display_name, role, token, last_sync_at, last_error FROM sync_meta WHERE id = 1",
            [],
            |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?]),
        )?;
        let count = |sql: &str| -> Result<u64, StoreError> { Ok(self.conn.prepare_cached(sql)?.query_row([], |row| row.get::<_, i64>(0))? as u64) };
        let user = match (&display_name, &username) {
            (Some(d), Some(u)) if !d.is_empty() => Some(format!("{d} ({u})")),
            (_, Some(u)) => Some(u.clone()),
            _ => None,
        };
        Ok(SyncStatus {
            enrolled: token.is_some() && server.is_some(),
            server,
            user,
            role,
            online: false,
            syncing: false,
            last_sync_at: last_sync_at.as_deref().map(crate::parse_stamp).transpose()?,
            last_error,
            // People count their own changes: opening a case or viewing a photo also queues an
            // audit event for the central log, but it is not a change waiting to be saved. The
            // condition is word for word the one of the `outbox_changes` index (migration 0006),
            // so the count walks that index instead of reading every op's JSON.
            pending: count("SELECT count(*) FROM outbox WHERE json_extract(op, '$.body.entity') IS NOT 'audit_event'")?,
            conflicts: count("SELECT count(*) FROM conflicts WHERE resolved = 0")?,
            rejected: count("SELECT count(*) FROM rejected_ops WHERE dismissed = 0")?,
            progress: None,
            version: 0,
        })
    }

    /// Local changes the service refused, not yet dismissed, the most recently refused first.
    pub fn rejected_changes(&self) -> Result<Vec<RejectedChange>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT op_id, case_id, case_number, what, reason, made_at, refused_at FROM rejected_ops WHERE dismissed = 0
             ORDER BY refused_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, [u8; 16]>(0)?,
                row.get::<_, [u8; 16]>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (op_id, case_id, case_number, what, reason, made_at, refused_at) = row?;
            out.push(RejectedChange {
                op_id: Uuid::from_bytes(op_id).to_string(),
                case_id: CaseId::from_uuid(Uuid::from_bytes(case_id)),
                case_number,
                what,
                reason,
                made_at: crate::parse_stamp(&made_at)?,
                refused_at: crate::parse_stamp(&refused_at)?,
            });
        }
        Ok(out)
    }

    /// Takes a refused change off the list once the user has read it; the record of it stays.
    pub fn dismiss_rejected(&mut self, op_id: &str) -> Result<(), StoreError> {
        let id = Uuid::parse_str(op_id.trim()).map_err(|_| StoreError::field("op_id", format!("{op_id:?} is not the id of a refused change.")))?;
        let changed = self.conn.execute("UPDATE rejected_ops SET dismissed = 1 WHERE op_id = ?1", [id.as_bytes()])?;
        if changed == 0 {
            return Err(StoreError::RecordNotFound { kind: "refused change", id: RecordId::from_uuid(id) });
        }
        Ok(())
    }

    /// Deletes a workspace for good after a remote wipe: the file, its write-ahead log, its
    /// shared-memory file and its salt. The caller drops its open `Workspace` first.
    pub fn destroy(path: &Path) -> Result<(), StoreError> {
        let mut errors = Vec::new();
        let mut remove = |file: std::path::PathBuf| match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => errors.push(e),
        };
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            remove(name.into());
        }
        remove(crate::key::salt_path(path));
        match errors.into_iter().next() {
            Some(e) => Err(StoreError::Io(e)),
            // The removals reach the disk before the device reports itself wiped.
            None if path.parent().is_some_and(Path::exists) => crate::key::sync_parent(path),
            None => Ok(()),
        }
    }
}

/// Where the pulls of this device stand: the last page stored, or past the rows of a push whose
/// answer held them all.
fn read_cursor(conn: &rusqlite::Connection) -> Result<Cursor, StoreError> {
    let (seq, epoch): (i64, i64) = conn.query_row("SELECT cursor_seq, cursor_epoch FROM sync_meta WHERE id = 1", [], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(Cursor { seq, epoch })
}

impl Workspace {
    /// One pull page in one transaction: cases that left the scope, the changes, the cursor.
    fn apply_page(&mut self, page: &PullPage, prepared: &PreparedPage, wall: DateTime<Utc>) -> Result<(), StoreError> {
        let at = crate::stamp(wall);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        bulk::before_page(&tx, page)?;
        for case in &page.removed_cases {
            apply::purge_case(&tx, *case, &at)?;
        }
        let mut batch = Batch::default();
        withdrawn::remove_photos(&tx, &page.removed_photos, &mut batch)?;
        apply::apply_changes(&tx, &page.changes, prepared, &mut batch)?;
        batch.reindex(&tx)?;
        // Asked before `after_page`, which ends the arrival on its last page.
        let arriving = bulk::arriving(&tx)?;
        bulk::after_page(&tx, page)?;
        tx.execute("UPDATE sync_meta SET cursor_seq = ?1, cursor_epoch = ?2 WHERE id = 1", [page.cursor.seq, page.cursor.epoch])?;
        apply::observe_server(&tx, &self.clock, page.server_stamp, page.server_time, wall)?;
        let held = if arriving { Some(bulk::hold_checkpoint(&tx)?) } else { None };
        let committed = tx.commit();
        if let Some(every) = held {
            bulk::release_checkpoint(&self.conn, every)?;
        }
        committed?;
        self.forget_totals();
        Ok(())
    }

    /// What the service answered to a push, in one transaction: acknowledged ops leave the
    /// outbox, refused ones are kept with their reasons, the service's state of each record is
    /// taken.
    fn store_push_answers(&mut self, pushed: &[Op], response: &PushResponse, wall: DateTime<Utc>) -> Result<(), StoreError> {
        let refused_at = crate::stamp(wall);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let by_id: HashMap<Uuid, &Op> = pushed.iter().map(|op| (op.id, op)).collect();
        let mut batch = Batch::default();
        let mut answered: Vec<(Option<porchlight_sync::Stamp>, &porchlight_sync::OpResult)> = Vec::new();
        let mut refused = Vec::new();
        for result in &response.results {
            let waiting: Option<(String, String, Option<i64>)> = tx
                .prepare_cached("SELECT op, made_at, fields_from FROM outbox WHERE op_id = ?1")?
                .query_row([result.op_id.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                .optional()?;
            let op = match (by_id.get(&result.op_id), &waiting) {
                (Some(op), _) => Some((*op).clone()),
                (None, Some((json, _, fields_from))) => Some(outbox::read_op(&tx, json, *fields_from)?),
                (None, None) => None,
            };
            tx.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?.execute([result.op_id.as_bytes()])?;
            // An answer to an op no longer waiting was applied before (a reply that came twice).
            if let (Outcome::Rejected { code, reason }, Some(op), Some((_, made_at, _))) = (&result.outcome, &op, waiting) {
                refused.push((op.clone(), *code, reason.clone(), made_at));
            }
            answered.push((op.map(|o| o.stamp), result));
        }
        let mut pending = apply::Pending::load(&tx)?;
        for (stamp, result) in answered {
            for state in &result.current {
                apply::apply_record(&tx, &mut pending, state, stamp, None, &mut batch)?;
            }
            for conflict in &result.conflicts {
                apply::upsert_conflict(&tx, &pending, conflict, &mut batch)?;
            }
        }
        // Refusals are recorded once the service's values are in, so they read as the case now is.
        for (op, code, reason, made_at) in refused {
            apply::record_rejection(&tx, &op, code, &reason, &made_at, &refused_at, &mut batch)?;
        }
        batch.reindex(&tx)?;
        apply::observe_server(&tx, &self.clock, response.server_stamp, response.server_time, wall)?;
        // When the push's rows in the change log follow right on from what this device has
        // pulled, the answer holds all of them: the cursor moves past them instead of the next
        // pull bringing them back (see `PushResponse::own_rows`).
        let cursor = read_cursor(&tx)?;
        let moved = response.cursor_after(cursor);
        if moved != cursor {
            tx.execute("UPDATE sync_meta SET cursor_seq = ?1 WHERE id = 1", [moved.seq])?;
        }
        tx.commit()?;
        self.forget_totals();
        Ok(())
    }

    /// Runs a transaction that the central service can give again without waiting for the disk.
    /// A pull page and its cursor commit or vanish together, and a page lost to a power cut is
    /// fetched again at the next sync; the answers to a push vanish with the removal of its ops
    /// from the outbox, so the ops are sent again and the service, which keeps the answer of
    /// every op it has seen, answers them the same; the service's clock seen at `hello` comes
    /// again at the next one (and every page or answer holding values stamped by it saves the
    /// clock in its own transaction). Every local edit still waits for the disk, and its flush
    /// carries these commits with it.
    fn without_waiting_for_the_disk<T>(&mut self, write: impl FnOnce(&mut Self) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let written = write(self);
        let restored = self.conn.pragma_update(None, "synchronous", "FULL");
        let written = written?;
        restored?;
        Ok(written)
    }
}

impl Replica for Workspace {
    type Error = StoreError;

    fn observe_server(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<(), StoreError> {
        self.without_waiting_for_the_disk(|ws| {
            let tx = ws.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            apply::observe_server(&tx, &ws.clock, hello.server_stamp, hello.server_time, wall)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn restamp_ahead(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<u64, StoreError> {
        if !restamp::clock_ahead(&self.conn, hello.server_time)? {
            return Ok(0);
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let restamped = restamp::restamp_ahead(&tx, self.replica, self.clock.offset_ms(), hello.server_time, hello.server_stamp, wall)?;
        tx.commit()?;
        let Some(restamped) = restamped else { return Ok(0) };
        // The clock in memory has seen the stamps just replaced and would go on stamping after
        // them; the wound-back one takes its place only once the transaction has committed.
        self.clock = restamped.clock;
        Ok(restamped.ops)
    }

    fn outbox(&self, limit: usize) -> Result<Vec<Op>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT op, fields_from FROM outbox ORDER BY seq LIMIT ?1")?;
        let rows = stmt.query_map([limit.min(i64::MAX as usize) as i64], |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?)))?;
        rows.map(|row| {
            let (json, fields_from) = row?;
            outbox::read_op(&self.conn, &json, fields_from)
        })
        .collect()
    }

    fn pending_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.prepare_cached("SELECT count(*) FROM outbox")?.query_row([], |row| row.get::<_, i64>(0))? as u64)
    }

    fn apply_push(&mut self, pushed: &[Op], response: &PushResponse, wall: DateTime<Utc>) -> Result<(), StoreError> {
        self.without_waiting_for_the_disk(|ws| ws.store_push_answers(pushed, response, wall))
    }

    fn cursor(&self) -> Result<Cursor, StoreError> {
        read_cursor(&self.conn)
    }

    type Prepared = PreparedPage;

    fn prepare_pull(page: &PullPage) -> PreparedPage {
        PreparedPage::of(page)
    }

    fn apply_pull(&mut self, page: &PullPage, wall: DateTime<Utc>) -> Result<(), StoreError> {
        let prepared = PreparedPage::of(page);
        self.apply_prepared_pull(page, &prepared, wall)
    }

    fn apply_prepared_pull(&mut self, page: &PullPage, prepared: &PreparedPage, wall: DateTime<Utc>) -> Result<(), StoreError> {
        self.without_waiting_for_the_disk(|ws| ws.apply_page(page, prepared, wall))
    }

    fn blobs_to_upload(&self) -> Result<Vec<BlobRef>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.sha256, b.mime, b.size FROM blob_sync s JOIN blobs b ON b.sha256 = s.sha256 WHERE s.state = 'needs_upload' ORDER BY s.sha256",
        )?;
        let rows = stmt.query_map([], |row| Ok(BlobRef { sha256: row.get(0)?, mime: row.get(1)?, size: row.get::<_, i64>(2)? as u64 }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn blob_bytes(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        self.photo_bytes(sha256).map(|(bytes, _)| bytes)
    }

    fn mark_uploaded(&mut self, sha256: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE blob_sync SET state = 'uploaded' WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    fn blobs_to_download(&self) -> Result<Vec<BlobRef>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.sha256, max(p.mime) FROM case_photos p
             WHERE p.deleted = 0 AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = p.sha256)
             GROUP BY p.sha256 ORDER BY p.sha256",
        )?;
        let rows = stmt.query_map([], |row| Ok(BlobRef { sha256: row.get(0)?, mime: row.get(1)?, size: 0 }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn store_blob(&mut self, blob: &BlobRef, bytes: &[u8]) -> Result<(), StoreError> {
        let actual = crate::hex(&Sha256::digest(bytes));
        if !actual.eq_ignore_ascii_case(&blob.sha256) {
            return Err(StoreError::BlobMismatch { expected: blob.sha256.clone(), actual });
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        crate::photos::store_received(&tx, &actual, &blob.mime, bytes)?;
        tx.execute(
            "INSERT INTO blob_sync (sha256, state) VALUES (?1, 'uploaded') ON CONFLICT (sha256) DO UPDATE SET state = 'uploaded'",
            [&actual],
        )?;
        // The cases showing this image now have a photo to list and filter on.
        let seqs: Vec<i64> = tx.prepare("SELECT DISTINCT case_seq FROM case_photos WHERE sha256 = ?1")?.query_map([&actual], |row| row.get(0))?.collect::<Result<_, _>>()?;
        for seq in seqs {
            crate::search::reindex_seq(&tx, seq)?;
        }
        tx.commit()?;
        self.forget_totals();
        Ok(())
    }
}
