//! The case use cases over an open workspace: create, edit, open, list in pages, archive, and
//! import many at once. Each write is one `BEGIN IMMEDIATE` transaction that carries the case
//! row, its history and its status event together. Validation is the domain's; this module only
//! refuses what fails it and never decides validity itself.

use crate::audit;
use crate::duplicates;
use crate::error::StoreError;
use crate::photos::{self, NewPhoto};
use crate::sync::outbox::Outbox;
use crate::sync::records;
use crate::workspace::Workspace;
use porchlight_domain::{
    AuditAction, CaseFields, CaseId, CaseNumber, CasePage, CaseRecord, CaseStatus, CaseSummary, CaseType, FieldError, ListQuery,
    Moment, SortDir, SortKey, UsState, ValidCase,
};
use rusqlite::types::Value;
use porchlight_sync::Entity;
use rusqlite::{OptionalExtension, Row, TransactionBehavior};

/// A case to import, with the photos to attach to it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub fields: CaseFields,
    pub photos: Vec<NewPhoto>,
}

/// The status every new case starts in.
const FIRST_STATUS: CaseStatus = CaseStatus::Intake;

/// Totals of recently listed filters. Counting 100,000 rows costs more than reading a page, and
/// a person pages and re-sorts the same filter many times, so totals are kept until the data
/// changes: on this connection's own writes, or when SQLite's `data_version` says another
/// connection (the CLI beside the app) committed.
#[derive(Debug, Default)]
pub(crate) struct TotalsCache {
    data_version: i64,
    entries: Vec<(String, u32)>,
}

impl TotalsCache {
    const CAPACITY: usize = 16;
}

impl Workspace {
    /// Saves a new case in the `intake` status and returns it as stored.
    pub fn create_case(&mut self, fields: &CaseFields, now: Moment) -> Result<CaseRecord, StoreError> {
        let valid = fields.validate(now.local).map_err(StoreError::Validation)?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        let (id, seq) = insert_case(&out, &valid, &uuid::ContextV7::new())?;
        audit::append(&out, Some(id), AuditAction::CaseCreated, "version 1")?;
        crate::search::reindex_seq(&tx, seq)?;
        let record = read_case(&tx, id)?;
        tx.commit()?;
        self.forget_totals();
        Ok(record)
    }

    /// Saves new fields over the case at `expected_version`. If someone saved it since, nothing
    /// is written and `EditConflict` says so. Saving unchanged fields writes nothing.
    pub fn update_case(&mut self, id: CaseId, expected_version: i64, fields: &CaseFields, now: Moment) -> Result<CaseRecord, StoreError> {
        let valid = fields.validate(now.local).map_err(StoreError::Validation)?;
        let new_json = fields_json(valid.fields())?;
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (seq, version): (i64, i64) = tx
            .prepare_cached("SELECT seq, version FROM cases WHERE id = ?1")?
            .query_row([blob(id)], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
            .ok_or(StoreError::NotFound(id))?;
        if version != expected_version {
            return Err(StoreError::EditConflict { id, expected: expected_version, actual: version });
        }
        let old_json = current_fields(&tx, seq)?;
        if old_json == new_json {
            return read_case(&tx, id);
        }
        let old_fields: CaseFields = serde_json::from_str(&old_json).map_err(|e| StoreError::Corrupt(format!("the fields of case {id} cannot be read: {e}")))?;
        let changed = porchlight_sync::fields::changed(&records::case_form_fields(&old_fields)?, &records::case_form_fields(valid.fields())?);
        let columns = ListColumns::of(&valid);
        let next = version + 1;
        write_case_row(&tx, seq, &columns, &change.at, next)?;
        record_event(&tx, &change, seq, "edit", next, Some(&old_json), Some(&new_json))?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        out.set(*id.as_uuid(), Entity::Case, *id.as_uuid(), changed, false)?;
        audit::append(&out, Some(id), AuditAction::CaseEdited, &format!("version {next}"))?;
        crate::search::reindex_seq(&tx, seq)?;
        let record = read_case(&tx, id)?;
        tx.commit()?;
        self.forget_totals();
        Ok(record)
    }

    /// One case with every field.
    pub fn get_case(&self, id: CaseId) -> Result<CaseRecord, StoreError> {
        read_case(&self.conn, id)
    }

    /// One page of the case list, filtered and sorted, with the number of matching cases.
    pub fn list_cases(&self, query: &ListQuery) -> Result<CasePage, StoreError> {
        self.list_page(query, None, true)
    }

    /// `list_cases` with the plan and the walk from the end open to tests, which check that
    /// every way of finding a page finds the same page.
    fn list_page(&self, query: &ListQuery, force: Option<Plan>, mirror: bool) -> Result<CasePage, StoreError> {
        if query.limit > ListQuery::MAX_LIMIT {
            return Err(StoreError::field("limit", format!("Ask for at most {} cases per page.", ListQuery::MAX_LIMIT)));
        }
        let filter = ListFilter::of(query)?;
        let total = self.total(&filter.clause(Plan::Planner), &filter.params)?;
        let offset = query.offset;
        if query.limit == 0 || offset >= total {
            return Ok(CasePage { rows: Vec::new(), total, offset });
        }
        let limit = query.limit.min(total - offset);
        // The list is a total order (every sort ends in the id), so a page past the middle is
        // the mirror of a page near the end read backwards: walk from the nearer end.
        let from_end = total - offset - limit;
        let (dir, skip, reversed) = if mirror && from_end < offset { (reverse(query.dir), from_end, true) } else { (query.dir, offset, false) };
        let plan = match force {
            Some(plan) => plan,
            None => self.plan(&filter, total, skip + limit)?,
        };
        // LIMIT and OFFSET are parameters, so that paging reuses one prepared statement.
        let sql = format!(
            "SELECT id, case_number, given_name, family_name, status, case_type, state, city, missing_date, date_of_birth,
                    missing_from_care, archived_at, updated_at
             FROM cases {} ORDER BY {} LIMIT ?{} OFFSET ?{}",
            filter.clause(plan),
            order_by(query.sort, dir),
            filter.params.len() + 1,
            filter.params.len() + 2,
        );
        let params = filter.params.iter().cloned().chain([Value::Integer(limit.into()), Value::Integer(skip.into())]);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt
            .query_map(rusqlite::params_from_iter(params), summary_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        if reversed {
            rows.reverse();
        }
        Ok(CasePage { rows, total, offset })
    }

    /// Chooses how to find a page. Walking the sort's index in order reads about
    /// `wanted × all / total` index entries, each cheap because the filter columns are in the
    /// index (a search needs a table lookup per entry); finding the matches through a filter
    /// index and sorting them costs about a table lookup and a sort step per match. SQLite's
    /// planner cannot weigh these without statistics, and keeping statistics fresh would cost
    /// every import an ANALYZE, so the store decides from the counts it already has.
    fn plan(&self, filter: &ListFilter, total: u32, wanted: u32) -> Result<Plan, StoreError> {
        if !filter.selective {
            return Ok(Plan::WalkSortIndex);
        }
        let all = self.total("", &[])?.max(1);
        let walked = f64::from(wanted) * f64::from(all) / f64::from(total.max(1));
        let step = if filter.searching { 1.0 } else { 0.1 };
        Ok(if walked * step <= f64::from(total) * 1.5 { Plan::WalkSortIndex } else { Plan::Planner })
    }

    /// Archives or restores a case. Archived cases leave the default list but keep everything.
    /// Asking for the state a case is already in writes nothing.
    pub fn set_archived(&mut self, id: CaseId, archived: bool, now: Moment) -> Result<CaseRecord, StoreError> {
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (seq, version, archived_at): (i64, i64, Option<String>) = tx
            .prepare_cached("SELECT seq, version, archived_at FROM cases WHERE id = ?1")?
            .query_row([blob(id)], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()?
            .ok_or(StoreError::NotFound(id))?;
        if archived_at.is_some() == archived {
            return read_case(&tx, id);
        }
        let new_archived_at = archived.then(|| change.at.clone());
        let next = version + 1;
        tx.prepare_cached("UPDATE cases SET archived_at = ?2, updated_at = ?3, version = ?4 WHERE seq = ?1")?
            .execute(rusqlite::params![seq, new_archived_at, change.at, next])?;
        let previous = serde_json::json!({ "archived_at": archived_at }).to_string();
        let new = serde_json::json!({ "archived_at": new_archived_at }).to_string();
        let kind = if archived { "archive" } else { "unarchive" };
        record_event(&tx, &change, seq, kind, next, Some(&previous), Some(&new))?;
        let out = Outbox::new(&tx, &self.clock, &change)?;
        out.set(*id.as_uuid(), Entity::Case, *id.as_uuid(), vec![("archived".to_owned(), serde_json::Value::from(archived))], false)?;
        let action = if archived { AuditAction::CaseArchived } else { AuditAction::CaseUnarchived };
        audit::append(&out, Some(id), action, &format!("version {next}"))?;
        crate::search::reindex_seq(&tx, seq)?;
        let record = read_case(&tx, id)?;
        tx.commit()?;
        self.forget_totals();
        Ok(record)
    }

    /// Saves many cases and their photos in one transaction: every case is validated first,
    /// and one refusal writes nothing at all. Field names in the refusal start with
    /// `cases.N.` (N counting from 0), e.g. `cases.3.child.date_of_birth`.
    pub fn import_cases(&mut self, cases: &[NewCase], now: Moment) -> Result<Vec<CaseId>, StoreError> {
        let mut errors = Vec::new();
        let mut checked = Vec::with_capacity(cases.len());
        for (i, case) in cases.iter().enumerate() {
            let valid = match case.fields.validate(now.local) {
                Ok(valid) => Some(valid),
                Err(faults) => {
                    errors.extend(faults.into_iter().map(|f| FieldError::new(format!("cases.{i}.{}", f.field), f.message)));
                    None
                }
            };
            let mut photos = Vec::with_capacity(case.photos.len());
            for (j, photo) in case.photos.iter().enumerate() {
                match photos::check(photo, now.local.date()) {
                    Ok(ok) => photos.push(ok),
                    Err(faults) => errors.extend(
                        faults.into_iter().map(|f| FieldError::new(format!("cases.{i}.photos.{j}.{}", f.field.trim_start_matches("photo.")), f.message)),
                    ),
                }
            }
            if let Some(valid) = valid {
                checked.push((valid, photos));
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Validation(errors));
        }
        let change = self.change(now);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ids = Vec::with_capacity(checked.len());
        // One counter for the whole import keeps its ids rising, so that they (and the sort
        // keys they break ties for) are appended to their indexes instead of scattered.
        let context = uuid::ContextV7::new();
        let out = Outbox::new(&tx, &self.clock, &change)?;
        for ((valid, checks), case) in checked.iter().zip(cases) {
            let (id, seq) = insert_case(&out, valid, &context)?;
            for (photo, check) in case.photos.iter().zip(checks) {
                photos::insert(&out, seq, 1, check, &photo.bytes, &context)?;
            }
            audit::append(&out, Some(id), AuditAction::CaseCreated, &format!("version 1; imported with {} photo(s)", case.photos.len()))?;
            crate::search::reindex_in_bulk(&tx, seq)?;
            ids.push(id);
        }
        tx.commit()?;
        self.forget_totals();
        Ok(ids)
    }

    /// The history of one case, oldest first.
    pub fn case_history(&self, id: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
        self.get_case(id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, version, actor, at, previous, new FROM case_events
             WHERE case_seq = (SELECT seq FROM cases WHERE id = ?1) ORDER BY seq",
        )?;
        let events = stmt
            .query_map([blob(id)], |row| {
                Ok(CaseEvent {
                    kind: row.get(0)?,
                    version: row.get(1)?,
                    actor: row.get(2)?,
                    at: row.get(3)?,
                    previous: row.get(4)?,
                    new: row.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(events)
    }

    /// The status history of one case, oldest first.
    pub fn status_history(&self, id: CaseId) -> Result<Vec<StatusEvent>, StoreError> {
        self.get_case(id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT from_status, to_status, reason, actor, at FROM status_events
             WHERE case_seq = (SELECT seq FROM cases WHERE id = ?1) ORDER BY stamp_key, seq",
        )?;
        let events = stmt
            .query_map([blob(id)], |row| {
                let from = match row.get::<_, Option<String>>(0)? {
                    Some(_) => Some(code_column(row, 0, CaseStatus::from_code)?),
                    None => None,
                };
                Ok(StatusEvent {
                    from,
                    to: code_column(row, 1, CaseStatus::from_code)?,
                    reason: row.get(2)?,
                    actor: row.get(3)?,
                    at: row.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(events)
    }

    /// The count of cases matching a list filter, from the cache while the data is unchanged.
    fn total(&self, filter: &str, params: &[Value]) -> Result<u32, StoreError> {
        let key = format!("{filter}|{params:?}");
        let data_version: i64 = self.conn.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        {
            let mut cache = self.totals.borrow_mut();
            if cache.data_version != data_version {
                cache.entries.clear();
                cache.data_version = data_version;
            }
            if let Some((_, total)) = cache.entries.iter().find(|(k, _)| *k == key) {
                return Ok(*total);
            }
        }
        let total: u32 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM cases {filter}"))?
            .query_row(rusqlite::params_from_iter(params.iter()), |row| row.get(0))?;
        let mut cache = self.totals.borrow_mut();
        if cache.entries.len() >= TotalsCache::CAPACITY {
            cache.entries.remove(0);
        }
        cache.entries.push((key, total));
        Ok(total)
    }

    /// Drops the cached totals after a write on this connection, which `data_version` does
    /// not report.
    pub(crate) fn forget_totals(&self) {
        self.totals.borrow_mut().entries.clear();
    }
}

/// Who makes a change and when, settled once per write and shared by every row it touches.
pub(crate) struct Change {
    pub(crate) actor: String,
    pub(crate) now: Moment,
    /// `now` as stored.
    pub(crate) at: String,
}

impl Workspace {
    pub(crate) fn change(&self, now: Moment) -> Change {
        Change { actor: self.actor.clone(), now, at: crate::stamp(now.utc) }
    }
}

/// One entry of a case's history: what changed, when, by whom, and the fields (as JSON)
/// before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    /// `create`, `edit`, `archive`, `unarchive` or `photo`.
    pub kind: String,
    /// The case version the change produced.
    pub version: i64,
    pub actor: String,
    /// RFC 3339.
    pub at: String,
    pub previous: Option<String>,
    pub new: Option<String>,
}

/// One change of a case's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEvent {
    /// None for the status a case was opened in.
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub reason: String,
    pub actor: String,
    /// RFC 3339.
    pub at: String,
}

/// The list columns of a case, copied out of its validated fields.
pub(crate) struct ListColumns {
    given_name: String,
    family_name: String,
    name_key: String,
    family_key: String,
    case_type: &'static str,
    state: Option<&'static str>,
    city: String,
    missing_date: String,
    date_of_birth: Option<String>,
    missing_from_care: bool,
    /// Sound keys and the real or estimated birth date, for the duplicate check.
    given_sound: String,
    family_sound: String,
    birth_on: Option<String>,
}

impl ListColumns {
    fn of(valid: &ValidCase) -> Self {
        Self::from_parts(valid.fields(), valid.case_type(), valid.missing_date().format("%Y-%m-%d").to_string(), valid.date_of_birth(), valid.state())
    }

    /// The list columns of a form that may not pass every rule: one merged from two people's
    /// edits, or written by a newer Porchlight. Each column is read as far as it can be, so a
    /// case received from the central service is always stored and listed.
    pub(crate) fn lenient(f: &CaseFields) -> Self {
        let date = |text: &str| chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
        let missing_date = match date(&f.event.last_seen_date) {
            Some(d) => d.format("%Y-%m-%d").to_string(),
            None => f.event.last_seen_date.trim().to_owned(),
        };
        let case_type = f.case_type.unwrap_or(CaseType::LostInjuredMissing);
        Self::from_parts(f, case_type, missing_date, date(&f.child.date_of_birth), UsState::parse(&f.event.state).ok())
    }

    fn from_parts(f: &CaseFields, case_type: CaseType, missing_date: String, born: Option<chrono::NaiveDate>, state: Option<UsState>) -> Self {
        let date_of_birth = born.map(|d| d.format("%Y-%m-%d").to_string());
        ListColumns {
            given_name: f.child.given_name.clone(),
            family_name: f.child.family_name.clone(),
            name_key: format!("{} {}", f.child.given_name, f.child.family_name).to_lowercase(),
            family_key: format!("{} {}", f.child.family_name, f.child.given_name).to_lowercase(),
            case_type: case_type.code(),
            state: state.map(|s| s.code()),
            city: f.event.city.clone(),
            given_sound: duplicates::name_sound(&f.child.given_name),
            family_sound: duplicates::name_sound(&f.child.family_name),
            birth_on: duplicates::birth_estimate(date_of_birth.as_deref(), f.child.estimated_age.map(i64::from), Some(&missing_date)),
            missing_date,
            date_of_birth,
            missing_from_care: f.missing_from_care,
        }
    }
}

pub(crate) fn blob(id: CaseId) -> [u8; 16] {
    *id.as_uuid().as_bytes()
}

pub(crate) fn id_from_row(row: &Row, index: usize) -> rusqlite::Result<CaseId> {
    let bytes: [u8; 16] = row.get(index)?;
    Ok(CaseId::from_uuid(uuid::Uuid::from_bytes(bytes)))
}

pub(crate) fn fields_json(fields: &CaseFields) -> Result<String, StoreError> {
    serde_json::to_string(fields).map_err(|e| StoreError::Corrupt(format!("case fields could not be written as JSON: {e}")))
}

/// Inserts a validated case, its `create` event and its first status event; returns its id
/// and its row number.
fn insert_case(out: &Outbox, valid: &ValidCase, ids: &uuid::ContextV7) -> Result<(CaseId, i64), StoreError> {
    let (tx, change) = (out.tx, out.change);
    let now = change.now;
    let json = fields_json(valid.fields())?;
    let columns = ListColumns::of(valid);
    // Case numbers carry 40 random bits of the id; on the rare clash within a month, draw a
    // new id rather than fail the save.
    let mut taken = tx.prepare_cached("SELECT 1 FROM cases WHERE case_number = ?1")?;
    let (id, number) = loop {
        let at = uuid::Timestamp::from_unix(ids, now.utc.timestamp() as u64, now.utc.timestamp_subsec_nanos());
        let id = CaseId::from_uuid(uuid::Uuid::new_v7(at));
        let number = CaseNumber::for_case(&id, now.local.date());
        if !taken.exists([number.as_str()])? {
            break (id, number);
        }
    };
    let seq = insert_case_row(tx, id, number.as_str(), &columns, FIRST_STATUS.code(), &change.at, None)?;
    record_event_by(tx, &change.actor, &change.at, seq, "create", 1, None, Some(&json))?;
    // The case travels as one `Set` of every field (its form read from the history row just
    // written), then its first status event.
    let extra = vec![
        ("case_number".to_owned(), serde_json::Value::from(number.as_str())),
        ("archived".to_owned(), serde_json::Value::from(false)),
    ];
    let case = *id.as_uuid();
    out.set_new_case(case, tx.last_insert_rowid(), extra)?;
    let stamp = out.tick()?;
    let event_id = out.new_id();
    let reason = "Case opened";
    tx.prepare_cached(
        "INSERT INTO status_events (case_seq, from_status, to_status, reason, actor, at, id, stamp, stamp_key) VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![
        seq,
        FIRST_STATUS.code(),
        reason,
        change.actor,
        change.at,
        event_id.as_bytes(),
        stamp.to_string(),
        crate::sync::outbox::stamp_key(&stamp).to_vec()
    ])?;
    let record = records::status_record(None, FIRST_STATUS, reason, None, &change.actor, &change.at);
    out.append(case, Entity::StatusEvent, event_id, record, None, stamp)?;
    Ok((id, seq))
}

/// Inserts the row of a case with its list columns; returns its row number.
pub(crate) fn insert_case_row(
    tx: &rusqlite::Connection,
    id: CaseId,
    case_number: &str,
    columns: &ListColumns,
    status: &str,
    created_at: &str,
    archived_at: Option<&str>,
) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO cases (id, case_number, given_name, family_name, name_key, family_key, status, case_type, state, city,
             missing_date, date_of_birth, missing_from_care, created_at, updated_at, archived_at, version,
             given_sound, family_sound, birth_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, 1, ?16, ?17, ?18)",
    )?
    .execute(rusqlite::params![
        blob(id),
        case_number,
        columns.given_name,
        columns.family_name,
        columns.name_key,
        columns.family_key,
        status,
        columns.case_type,
        columns.state,
        columns.city,
        columns.missing_date,
        columns.date_of_birth,
        columns.missing_from_care,
        created_at,
        archived_at,
        columns.given_sound,
        columns.family_sound,
        columns.birth_on,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Rewrites the list columns of a case after its form changed, with its new version.
pub(crate) fn write_case_row(tx: &rusqlite::Connection, seq: i64, columns: &ListColumns, updated_at: &str, version: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE cases SET given_name = ?2, family_name = ?3, name_key = ?4, family_key = ?5, case_type = ?6, state = ?7,
             city = ?8, missing_date = ?9, date_of_birth = ?10, missing_from_care = ?11, updated_at = max(updated_at, ?12), version = ?13,
             given_sound = ?14, family_sound = ?15, birth_on = ?16
         WHERE seq = ?1",
    )?
    .execute(rusqlite::params![
        seq,
        columns.given_name,
        columns.family_name,
        columns.name_key,
        columns.family_key,
        columns.case_type,
        columns.state,
        columns.city,
        columns.missing_date,
        columns.date_of_birth,
        columns.missing_from_care,
        updated_at,
        version,
        columns.given_sound,
        columns.family_sound,
        columns.birth_on,
    ])?;
    Ok(())
}

pub(crate) fn record_event(
    tx: &rusqlite::Connection,
    change: &Change,
    case_seq: i64,
    kind: &str,
    version: i64,
    previous: Option<&str>,
    new: Option<&str>,
) -> Result<(), StoreError> {
    record_event_by(tx, &change.actor, &change.at, case_seq, kind, version, previous, new)
}

/// `record_event` for a change made elsewhere, with its own author and time.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_event_by(
    tx: &rusqlite::Connection,
    actor: &str,
    at: &str,
    case_seq: i64,
    kind: &str,
    version: i64,
    previous: Option<&str>,
    new: Option<&str>,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO case_events (case_seq, kind, version, actor, at, previous, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
        .execute(rusqlite::params![case_seq, kind, version, actor, at, previous, new])?;
    Ok(())
}

pub(crate) fn read_case(conn: &rusqlite::Connection, id: CaseId) -> Result<CaseRecord, StoreError> {
    let row = conn
        .prepare_cached("SELECT case_number, status, version, created_at, updated_at, archived_at, seq FROM cases WHERE id = ?1")?
        .query_row([blob(id)], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, i64>(6)?,
            ))
        })
        .optional()?
        .ok_or(StoreError::NotFound(id))?;
    let (case_number, status, version, created_at, updated_at, archived_at, seq) = row;
    let fields = current_fields(conn, seq)?;
    Ok(CaseRecord {
        id,
        case_number,
        status: parse_status(&status)?,
        version,
        created_at: crate::parse_stamp(&created_at)?,
        updated_at: crate::parse_stamp(&updated_at)?,
        archived_at: archived_at.as_deref().map(crate::parse_stamp).transpose()?,
        fields: serde_json::from_str(&fields).map_err(|e| StoreError::Corrupt(format!("the fields of case {id} cannot be read: {e}")))?,
    })
}

/// The current form of a case: the `new` of its latest create or edit.
pub(crate) fn current_fields(conn: &rusqlite::Connection, case_seq: i64) -> Result<String, StoreError> {
    conn.prepare_cached(
        "SELECT new FROM case_events WHERE case_seq = ?1 AND kind IN ('create', 'edit') ORDER BY seq DESC LIMIT 1",
    )?
    .query_row([case_seq], |row| row.get(0))
    .optional()?
    .ok_or_else(|| StoreError::Corrupt(format!("case row {case_seq} has no recorded form")))
}

pub(crate) fn parse_status(code: &str) -> Result<CaseStatus, StoreError> {
    CaseStatus::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("unknown case status {code:?}")))
}

pub(crate) fn summary_from_row(row: &Row) -> rusqlite::Result<CaseSummary> {
    Ok(CaseSummary {
        id: id_from_row(row, 0)?,
        case_number: row.get(1)?,
        given_name: row.get(2)?,
        family_name: row.get(3)?,
        status: code_column(row, 4, CaseStatus::from_code)?,
        case_type: code_column(row, 5, CaseType::from_code)?,
        state: row.get(6)?,
        city: row.get(7)?,
        missing_date: row.get(8)?,
        date_of_birth: row.get(9)?,
        missing_from_care: row.get(10)?,
        archived: row.get::<_, Option<String>>(11)?.is_some(),
        updated_at: row.get(12)?,
    })
}

/// Reads a code column, refusing a code that is not on its list as a conversion failure.
pub(crate) fn code_column<T>(row: &Row, index: usize, from_code: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let code: String = row.get(index)?;
    from_code(&code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, format!("unknown code {code:?}").into())
    })
}

/// How a page is looked up; see `Workspace::plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Leave the choice of index to SQLite: it picks a filter index and sorts the matches.
    Planner,
    /// Walk the sort's own index in order and test each entry. Writing filter columns as
    /// `+column` keeps SQLite from using their indexes, which is its documented way to steer
    /// the choice of index.
    WalkSortIndex,
}

/// The filters of a list query as SQL terms over the list columns, with their parameters.
/// Filters are checked here, so a bad state code is a field error, not an empty list.
struct ListFilter {
    /// Each term with `{}` where a column name goes, so that a plan can decorate it.
    terms: Vec<String>,
    params: Vec<Value>,
    /// Some filter beyond hiding archived cases narrows the list.
    selective: bool,
    searching: bool,
}

impl ListFilter {
    fn of(query: &ListQuery) -> Result<ListFilter, StoreError> {
        let mut terms: Vec<String> = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        let mut param = |value: Value| {
            params.push(value);
            format!("?{}", params.len())
        };
        if !query.include_archived {
            terms.push("{archived_at} IS NULL".into());
        }
        let unfiltered = terms.len();
        if let Some(status) = query.status {
            terms.push(format!("{{status}} = {}", param(Value::Text(status.code().into()))));
        }
        if let Some(case_type) = query.case_type {
            terms.push(format!("{{case_type}} = {}", param(Value::Text(case_type.code().into()))));
        }
        if let Some(state) = query.state.as_deref().filter(|s| !s.trim().is_empty()) {
            let state = UsState::parse(state).map_err(|e| StoreError::field("state", e.0))?;
            terms.push(format!("{{state}} = {}", param(Value::Text(state.code().into()))));
        }
        let mut searching = false;
        if let Some(search) = query.search.as_deref().map(porchlight_domain::values::collapse_spaces).filter(|s| !s.is_empty()) {
            if search.chars().count() > 200 {
                return Err(StoreError::field("search", "Search for at most 200 characters."));
            }
            // Prefix matches as index ranges: [prefix, prefix + the highest code point). Names
            // are compared on their lower-cased keys, case numbers in upper case.
            let name = search.to_lowercase();
            let number = search.to_uppercase();
            let (name_from, name_to) = (param(Value::Text(name.clone())), param(Value::Text(format!("{name}\u{10FFFF}"))));
            let (number_from, number_to) = (param(Value::Text(number.clone())), param(Value::Text(format!("{number}\u{10FFFF}"))));
            terms.push(format!(
                "(({{name_key}} >= {name_from} AND {{name_key}} < {name_to}) OR ({{family_key}} >= {name_from} AND {{family_key}} < {name_to}) \
                  OR ({{case_number}} >= {number_from} AND {{case_number}} < {number_to}))"
            ));
            searching = true;
        }
        let selective = terms.len() > unfiltered;
        Ok(ListFilter { terms, params, selective, searching })
    }

    /// The WHERE clause (or nothing) for a plan.
    fn clause(&self, plan: Plan) -> String {
        if self.terms.is_empty() {
            return String::new();
        }
        let mark = match plan {
            Plan::Planner => "",
            Plan::WalkSortIndex => "+",
        };
        let mut clause = format!("WHERE {}", self.terms.join(" AND "));
        for column in ["archived_at", "status", "case_type", "state", "name_key", "family_key", "case_number"] {
            clause = clause.replace(&format!("{{{column}}}"), &format!("{mark}{column}"));
        }
        clause
    }
}

fn reverse(dir: SortDir) -> SortDir {
    match dir {
        SortDir::Asc => SortDir::Desc,
        SortDir::Desc => SortDir::Asc,
    }
}

/// The ORDER BY of a sort, ending in the id so that equal keys keep one stable order.
fn order_by(sort: SortKey, dir: SortDir) -> String {
    let column = match sort {
        SortKey::Name => "family_key",
        SortKey::CaseNumber => "case_number",
        SortKey::MissingDate => "missing_date",
        SortKey::Status => "status",
        SortKey::State => "state",
        SortKey::CaseType => "case_type",
        SortKey::UpdatedAt => "updated_at",
    };
    let dir = match dir {
        SortDir::Asc => "ASC",
        SortDir::Desc => "DESC",
    };
    format!("{column} {dir}, id {dir}")
}

/// The insert of a new case with its ops, for tests that cut a write off before its commit.
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) fn insert(out: &super::Outbox, valid: &super::ValidCase) {
        super::insert_case(out, valid, &uuid::ContextV7::new()).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use porchlight_domain::{ChildFields, EventFields, Sex};

    fn now() -> Moment {
        Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap())
    }

    /// 300 cases whose names, states, types and dates repeat in different cycles.
    fn workspace() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), "Plans agree on every page 1", now()).unwrap();
        let given = ["Maya", "Marco", "Ana", "Lena", "Omar", "Mariam", "Zoë"];
        let family = ["Garcia", "Martin", "Okafor", "Ngata", "Marsh", "Lee", "Garza", "Adams", "Ito", "Moreno", "Diaz"];
        let states = ["TX", "CA", "WY", "NY", "TX"];
        let types = [CaseType::EndangeredRunaway, CaseType::EndangeredRunaway, CaseType::FamilyAbduction, CaseType::NonfamilyAbduction];
        let cases: Vec<NewCase> = (0..300usize)
            .map(|i| NewCase {
                fields: CaseFields {
                    case_type: Some(types[i % types.len()]),
                    child: ChildFields {
                        given_name: given[i % given.len()].into(),
                        family_name: family[i % family.len()].into(),
                        date_of_birth: format!("{}-03-04", 2010 + i % 6),
                        sex: Some(Sex::Male),
                        ..Default::default()
                    },
                    event: EventFields {
                        last_seen_date: format!("2026-{:02}-{:02}", 1 + i % 9, 1 + i % 4),
                        city: "Dayton".into(),
                        state: states[i % states.len()].into(),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                photos: Vec::new(),
            })
            .collect();
        let ids = ws.import_cases(&cases, now()).unwrap();
        for id in ids.iter().step_by(13) {
            ws.set_archived(*id, true, now()).unwrap();
        }
        (dir, ws)
    }

    #[test]
    fn every_plan_and_direction_of_walk_finds_the_same_page() {
        let (_dir, ws) = workspace();
        let filters = [
            ListQuery::default(),
            ListQuery { include_archived: true, ..Default::default() },
            ListQuery { state: Some("TX".into()), ..Default::default() },
            ListQuery { state: Some("WY".into()), case_type: Some(CaseType::NonfamilyAbduction), ..Default::default() },
            ListQuery { case_type: Some(CaseType::EndangeredRunaway), include_archived: true, ..Default::default() },
            ListQuery { status: Some(CaseStatus::Intake), ..Default::default() },
            ListQuery { search: Some("mar".into()), ..Default::default() },
            ListQuery { search: Some("ga".into()), state: Some("CA".into()), ..Default::default() },
            ListQuery { search: Some("pl-2611".into()), include_archived: true, ..Default::default() },
        ];
        let sorts = [SortKey::Name, SortKey::CaseNumber, SortKey::MissingDate, SortKey::Status, SortKey::State, SortKey::CaseType, SortKey::UpdatedAt];
        for filter in &filters {
            for sort in sorts {
                for dir in [SortDir::Asc, SortDir::Desc] {
                    for (offset, limit) in [(0, 25), (40, 25), (150, 40), (230, 100), (0, 500)] {
                        let query = ListQuery { sort, dir, offset, limit, ..filter.clone() };
                        let reference = ws.list_page(&query, Some(Plan::Planner), false).unwrap();
                        for (plan, mirror) in [(Plan::WalkSortIndex, false), (Plan::Planner, true), (Plan::WalkSortIndex, true)] {
                            let page = ws.list_page(&query, Some(plan), mirror).unwrap();
                            assert_eq!(page, reference, "{query:?} with {plan:?}, mirrored: {mirror}");
                        }
                        assert_eq!(ws.list_cases(&query).unwrap(), reference);
                    }
                }
            }
        }
    }

    #[test]
    fn the_plan_walks_the_sort_index_unless_matches_are_few() {
        let (_dir, ws) = workspace();
        let choose = |query: &ListQuery, wanted: u32| {
            let filter = ListFilter::of(query).unwrap();
            let total = ws.total(&filter.clause(Plan::Planner), &filter.params).unwrap();
            ws.plan(&filter, total, wanted).unwrap()
        };
        assert_eq!(choose(&ListQuery::default(), 100), Plan::WalkSortIndex);
        assert_eq!(choose(&ListQuery { state: Some("TX".into()), ..Default::default() }, 25), Plan::WalkSortIndex);
        let rare = ListQuery { state: Some("WY".into()), case_type: Some(CaseType::NonfamilyAbduction), ..Default::default() };
        assert_eq!(choose(&rare, 100), Plan::Planner);
        assert_eq!(choose(&ListQuery { search: Some("garcia".into()), ..Default::default() }, 100), Plan::Planner);
    }
}
