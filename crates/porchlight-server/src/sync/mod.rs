//! The central service's half of offline sync (see `shared/SYNC.md` and the `porchlight-sync`
//! crate, whose request and answer types it speaks): applying pushed ops (`push`), answering
//! pulls within each user's scope (`pull`), photo bytes in resumable chunks (`blobs`), and the
//! sync side of writes made at the service itself (`write`). Records are kept as flat fields with
//! a stamp each (`record`), checked by the app's own rules (`schema`), written many at a time
//! (`store`), numbered in commit order in the change log (`log`) and redacted per role on their
//! way out (`redact`); old unfinished uploads and spent scope marks are swept away (`sweep`).
//! It does not speak HTTP (`http::sync` does) and decides nothing about who
//! may see what beyond asking `rules`.

pub mod blobs;
pub mod log;
pub mod pull;
pub mod push;
pub mod record;
pub mod redact;
pub mod schema;
pub mod store;
pub mod sweep;
pub mod write;

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for SyncError {
    fn from(e: tokio_postgres::Error) -> Self {
        SyncError::Db(DbError::Postgres(e))
    }
}
