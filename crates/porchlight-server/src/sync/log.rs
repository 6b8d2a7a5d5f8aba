//! The change log devices pull from: rows numbered in commit order. Numbers come from
//! `sync_take_seqs` (migration 0002), which holds a transaction-level advisory lock from taking
//! them to the commit, so a later number always commits later and a reader never sees row N+1
//! without row N. Callers write their rows last, just before their audit entry, to hold that
//! lock briefly. It does not decide what goes in a row (`push`, `write`) or who may read it.

use crate::db::{self, DbError};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use porchlight_sync::Entity;
use uuid::Uuid;

/// The advisory lock that orders change-log numbers (see migration 0002).
pub const SEQ_LOCK: i64 = 7306142512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Record,
    Appended,
    Conflict,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Record => "record",
            Kind::Appended => "appended",
            Kind::Conflict => "conflict",
        }
    }
}

/// One row to append: the change as the full view's JSON text.
#[derive(Debug, Clone)]
pub struct Row {
    pub case_id: Uuid,
    pub entity: Entity,
    pub record_id: Uuid,
    pub kind: Kind,
    pub body: String,
}

/// Appends the rows in order and returns their numbers.
pub async fn append(
    db: &impl GenericClient,
    rows: &[Row],
    at: DateTime<Utc>,
) -> Result<Vec<i64>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let count = i32::try_from(rows.len())
        .map_err(|_| DbError::Corrupt("too many change-log rows at once".into()))?;
    let mut seqs: Vec<i64> = db::query(db, "SELECT sync_take_seqs($1)", &[&count])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    seqs.sort_unstable();
    let cases: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
    let entities: Vec<&str> = rows.iter().map(|r| r.entity.as_str()).collect();
    let records: Vec<Uuid> = rows.iter().map(|r| r.record_id).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.code()).collect();
    let bodies: Vec<&str> = rows.iter().map(|r| r.body.as_str()).collect();
    db::execute(
        db,
        "INSERT INTO change_log (seq, case_id, entity, record_id, kind, body, at)
         SELECT s, c, e, r, k, b, $7 FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[]) AS t(s, c, e, r, k, b)",
        &[&seqs, &cases, &entities, &records, &kinds, &bodies, &at],
    )
    .await?;
    Ok(seqs)
}

/// The newest change-log number committed so far (0 for an empty log).
pub async fn head(db: &impl GenericClient) -> Result<i64, DbError> {
    Ok(
        db::query_one(db, "SELECT coalesce(max(seq), 0) FROM change_log", &[])
            .await?
            .get(0),
    )
}
