//! The audit log: who did what, to which case, from which device and address. Entries are
//! appended through the `audit_append` database function, which chains each entry to the one
//! before by SHA-256; `verify` walks the chain and reports every changed or missing entry. The
//! service's database role may only insert and read here. It records no child's personal
//! data: only ids and what happened.

use crate::db::{self, DbError};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user, through one of their devices (none for a failed login).
    User { user: Uuid, device: Option<Uuid> },
    /// An operator at the `porchlight-server` command line.
    Cli,
    /// Someone not (yet) identified, e.g. a login for an unknown username.
    Anonymous,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<Uuid>, Option<Uuid>) {
        match self {
            Actor::User { user, device } => ("user", Some(user), device),
            Actor::Cli => ("cli", None, None),
            Actor::Anonymous => ("anonymous", None, None),
        }
    }
}

/// What happened, as a closed list so the log can be searched by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    TokenIssued,
    TokenRevoked,
    WipeRequested,
    DeviceWiped,
    DevicesListed,
    CaseListed,
    CaseRead,
    CaseCreated,
    CaseUpdated,
    CaseAssigned,
    CaseShared,
    CaseUnshared,
    ContactsRead,
    ContactAdded,
    RecipientsRead,
    NotesRead,
    NoteAdded,
    PhotosListed,
    PhotoUploaded,
    PhotoDownloaded,
    AccessDenied,
    OfficeAdded,
    UserAdded,
    UserDisabled,
    /// An account was given another role (its devices give back what they hold and take back
    /// what the new role may see).
    UserRoleChanged,
    PasswordReset,
    UsersListed,
    AuditRead,
    /// A device asked who it is and the service's clock.
    SyncHello,
    /// A device pushed ops; the detail counts them and names the cases.
    SyncPushed,
    /// A device pulled a page; the detail names the cases sent whole, changed and removed.
    SyncPulled,
    /// Something a device's own audit log recorded (a case opened, a poster exported), pushed.
    DeviceEvent,
    BlobUploaded,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::LoginSucceeded => "login_succeeded",
            Action::LoginFailed => "login_failed",
            Action::LoginThrottled => "login_throttled",
            Action::TokenIssued => "token_issued",
            Action::TokenRevoked => "token_revoked",
            Action::WipeRequested => "wipe_requested",
            Action::DeviceWiped => "device_wiped",
            Action::DevicesListed => "devices_listed",
            Action::CaseListed => "case_listed",
            Action::CaseRead => "case_read",
            Action::CaseCreated => "case_created",
            Action::CaseUpdated => "case_updated",
            Action::CaseAssigned => "case_assigned",
            Action::CaseShared => "case_shared",
            Action::CaseUnshared => "case_unshared",
            Action::ContactsRead => "contacts_read",
            Action::ContactAdded => "contact_added",
            Action::RecipientsRead => "recipients_read",
            Action::NotesRead => "notes_read",
            Action::NoteAdded => "note_added",
            Action::PhotosListed => "photos_listed",
            Action::PhotoUploaded => "photo_uploaded",
            Action::PhotoDownloaded => "photo_downloaded",
            Action::AccessDenied => "access_denied",
            Action::OfficeAdded => "office_added",
            Action::UserAdded => "user_added",
            Action::UserDisabled => "user_disabled",
            Action::UserRoleChanged => "user_role_changed",
            Action::PasswordReset => "password_reset",
            Action::UsersListed => "users_listed",
            Action::AuditRead => "audit_read",
            Action::SyncHello => "sync_hello",
            Action::SyncPushed => "sync_pushed",
            Action::SyncPulled => "sync_pulled",
            Action::DeviceEvent => "device_event",
            Action::BlobUploaded => "blob_uploaded",
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: Action,
    pub case_id: Option<Uuid>,
    /// The other thing acted on, e.g. a device, user or photo id.
    pub subject: Option<String>,
    /// The network address the request came from.
    pub address: Option<String>,
    /// Further ids and facts, as JSON. Never names, contacts or other personal data.
    pub detail: serde_json::Value,
}

impl Entry {
    pub fn new(at: DateTime<Utc>, actor: Actor, action: Action) -> Self {
        Entry {
            at,
            actor,
            action,
            case_id: None,
            subject: None,
            address: None,
            detail: serde_json::Value::Object(Default::default()),
        }
    }
    pub fn case(mut self, id: Uuid) -> Self {
        self.case_id = Some(id);
        self
    }
    pub fn subject(mut self, s: impl ToString) -> Self {
        self.subject = Some(s.to_string());
        self
    }
    pub fn address(mut self, a: Option<String>) -> Self {
        self.address = a;
        self
    }
    pub fn detail(mut self, d: serde_json::Value) -> Self {
        self.detail = d;
        self
    }
}

/// The exact text the hash covers, built the same way when appending and when verifying.
#[derive(Serialize)]
struct Canonical<'a> {
    at: String,
    actor: &'a str,
    actor_user: Option<Uuid>,
    actor_device: Option<Uuid>,
    action: &'a str,
    case_id: Option<Uuid>,
    subject: Option<&'a str>,
    address: Option<&'a str>,
    detail: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn canonical(
    at: DateTime<Utc>,
    actor: &str,
    actor_user: Option<Uuid>,
    actor_device: Option<Uuid>,
    action: &str,
    case_id: Option<Uuid>,
    subject: Option<&str>,
    address: Option<&str>,
    detail: &str,
) -> String {
    serde_json::to_string(&Canonical {
        at: at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor,
        actor_user,
        actor_device,
        action,
        case_id,
        subject,
        address,
        detail,
    })
    .expect("plain values serialise")
}

fn chain_hash(prev: &[u8], seq: i64, body: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(body.as_bytes());
    h.finalize().to_vec()
}

/// An entry's columns as stored, with the canonical text its hash covers.
struct Stored {
    at: DateTime<Utc>,
    actor: &'static str,
    actor_user: Option<Uuid>,
    actor_device: Option<Uuid>,
    action: &'static str,
    detail: String,
    body: String,
}

impl Stored {
    fn of(entry: &Entry) -> Stored {
        // PostgreSQL keeps microseconds; the hash must cover what is stored.
        let at = entry.at.trunc_subsecs(6);
        let (actor, actor_user, actor_device) = entry.actor.parts();
        let action = entry.action.code();
        let detail = entry.detail.to_string();
        let body = canonical(
            at,
            actor,
            actor_user,
            actor_device,
            action,
            entry.case_id,
            entry.subject.as_deref(),
            entry.address.as_deref(),
            &detail,
        );
        Stored {
            at,
            actor,
            actor_user,
            actor_device,
            action,
            detail,
            body,
        }
    }
}

/// Appends an entry and returns its sequence number. Inside a transaction, call it last: the
/// chain's lock is held until commit.
pub async fn append(db: &impl GenericClient, entry: &Entry) -> Result<i64, DbError> {
    let s = Stored::of(entry);
    let row = db::query_one(
        db,
        "SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &s.at,
            &s.actor,
            &s.actor_user,
            &s.actor_device,
            &s.action,
            &entry.case_id,
            &entry.subject,
            &entry.address,
            &s.detail,
            &s.body,
        ],
    )
    .await?;
    Ok(row.get(0))
}

/// Appends entries in order, in one round trip, and returns the last sequence number (`None`
/// when there were none). Inside a transaction, call it last, as `append`.
pub async fn append_all(
    db: &impl GenericClient,
    entries: &[Entry],
) -> Result<Option<i64>, DbError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let stored: Vec<Stored> = entries.iter().map(Stored::of).collect();
    let at: Vec<_> = stored.iter().map(|s| s.at).collect();
    let actor: Vec<_> = stored.iter().map(|s| s.actor).collect();
    let actor_user: Vec<_> = stored.iter().map(|s| s.actor_user).collect();
    let actor_device: Vec<_> = stored.iter().map(|s| s.actor_device).collect();
    let action: Vec<_> = stored.iter().map(|s| s.action).collect();
    let case_id: Vec<_> = entries.iter().map(|e| e.case_id).collect();
    let subject: Vec<_> = entries.iter().map(|e| e.subject.as_deref()).collect();
    let address: Vec<_> = entries.iter().map(|e| e.address.as_deref()).collect();
    let detail: Vec<_> = stored.iter().map(|s| s.detail.as_str()).collect();
    let body: Vec<_> = stored.iter().map(|s| s.body.as_str()).collect();
    let row = db::query_one(
        db,
        "SELECT audit_append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &at,
            &actor,
            &actor_user,
            &actor_device,
            &action,
            &case_id,
            &subject,
            &address,
            &detail,
            &body,
        ],
    )
    .await?;
    Ok(Some(row.get(0)))
}

/// An entry as an administrator reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_user: Option<Uuid>,
    pub actor_device: Option<Uuid>,
    pub action: String,
    pub case_id: Option<Uuid>,
    pub subject: Option<String>,
    pub address: Option<String>,
    pub detail: serde_json::Value,
}

const COLUMNS: &str = "seq, at, actor, actor_user, actor_device, action, case_id, subject, address, detail, prev_hash, hash";

fn record_from(r: &tokio_postgres::Row) -> Record {
    let detail: String = r.get(9);
    Record {
        seq: r.get(0),
        at: r.get(1),
        actor: r.get(2),
        actor_user: r.get(3),
        actor_device: r.get(4),
        action: r.get(5),
        case_id: r.get(6),
        subject: r.get(7),
        address: r.get(8),
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
    }
}

/// Entries after `after`, oldest first.
pub async fn read(db: &impl GenericClient, after: i64, limit: i64) -> Result<Vec<Record>, DbError> {
    let rows = db::query(
        db,
        &format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"),
        &[&after, &limit],
    )
    .await?;
    Ok(rows.iter().map(record_from).collect())
}

/// What is wrong with the chain at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// Entries `from..=to` are gone.
    Missing { from: i64, to: i64 },
    /// The entry's content no longer matches its hash: it was changed.
    Altered { seq: i64 },
    /// The entry does not point at the hash of the entry before it.
    BrokenLink { seq: i64 },
    /// The head recorded earlier is not in the log any more (entries at the end were removed or changed).
    HeadMissing { seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing { from, to } if from == to => write!(f, "entry {from} is missing"),
            Problem::Missing { from, to } => write!(f, "entries {from} to {to} are missing"),
            Problem::Altered { seq } => write!(f, "entry {seq} was changed after it was written"),
            Problem::BrokenLink { seq } => write!(f, "entry {seq} does not follow from the entry before it"),
            Problem::HeadMissing { seq } => write!(f, "the recorded head {seq} is missing or changed: entries at the end were removed or altered"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub entries: u64,
    /// The last entry's sequence number and hash (hex): record it to detect a later cut at the end.
    pub head: Option<(i64, String)>,
    pub problems: Vec<Problem>,
}

impl Verdict {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Walks the whole chain. `expected_head` is a (sequence, hex hash) pair printed by an earlier
/// verification; without it, removing the newest entries cannot be told from never having
/// written them.
pub async fn verify(
    db: &impl GenericClient,
    expected_head: Option<(i64, String)>,
) -> Result<Verdict, DbError> {
    const PAGE: i64 = 5_000;
    let mut problems = Vec::new();
    let mut prev_seq = 0i64;
    let mut prev_hash = vec![0u8; 32];
    let mut entries = 0u64;
    let mut head_seen = false;
    loop {
        let rows = db::query(
            db,
            &format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"),
            &[&prev_seq, &PAGE],
        )
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            entries += 1;
            let seq: i64 = r.get(0);
            let at: DateTime<Utc> = r.get(1);
            let actor: String = r.get(2);
            let detail: String = r.get(9);
            let stored_prev: Vec<u8> = r.get(10);
            let stored_hash: Vec<u8> = r.get(11);
            if seq != prev_seq + 1 {
                problems.push(Problem::Missing {
                    from: prev_seq + 1,
                    to: seq - 1,
                });
            }
            if stored_prev != prev_hash {
                problems.push(Problem::BrokenLink { seq });
            }
            let subject: Option<String> = r.get(7);
            let address: Option<String> = r.get(8);
            let action: String = r.get(5);
            let body = canonical(
                at,
                &actor,
                r.get(3),
                r.get(4),
                &action,
                r.get(6),
                subject.as_deref(),
                address.as_deref(),
                &detail,
            );
            if chain_hash(&stored_prev, seq, &body) != stored_hash {
                problems.push(Problem::Altered { seq });
            }
            if let Some((head_seq, head_hash)) = &expected_head {
                if *head_seq == seq && *head_hash == hex(&stored_hash) {
                    head_seen = true;
                }
            }
            prev_seq = seq;
            prev_hash = stored_hash;
        }
    }
    if let Some((head_seq, _)) = &expected_head {
        if !head_seen {
            problems.push(Problem::HeadMissing { seq: *head_seq });
        }
    }
    let head = (entries > 0).then(|| (prev_seq, hex(&prev_hash)));
    Ok(Verdict {
        entries,
        head,
        problems,
    })
}

/// Reads `SEQ:HASH` as printed by `audit verify`.
pub fn parse_head(text: &str) -> Option<(i64, String)> {
    let (seq, hash) = text.trim().split_once(':')?;
    let seq: i64 = seq.parse().ok()?;
    let ok = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| (seq, hash.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canonical_text_fixes_field_order_and_time_precision() {
        let at = DateTime::parse_from_rfc3339("2026-11-21T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let body = canonical(
            at,
            "cli",
            None,
            None,
            "user_added",
            None,
            Some("x"),
            None,
            "{}",
        );
        assert_eq!(
            body,
            r#"{"at":"2026-11-21T10:00:00.123456Z","actor":"cli","actor_user":null,"actor_device":null,"action":"user_added","case_id":null,"subject":"x","address":null,"detail":"{}"}"#
        );
        assert_ne!(
            chain_hash(&[0; 32], 1, &body),
            chain_hash(&[0; 32], 2, &body)
        );
    }

    #[test]
    fn a_head_reads_back_from_its_printed_form() {
        let h = "ab".repeat(32);
        assert_eq!(parse_head(&format!("12:{h}")), Some((12, h.clone())));
        assert_eq!(parse_head("12"), None);
        assert_eq!(parse_head("x:y"), None);
    }
}
