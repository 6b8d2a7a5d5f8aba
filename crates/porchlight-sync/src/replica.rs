//! What the sync engine needs of a local replica. The workspace store implements it over its
//! SQLCipher file; the engine (HTTP, batching, retries) is written against this trait alone, so
//! each side can be tested without the other.

use crate::op::Op;
use crate::proto::{Cursor, Hello, PullPage, PushResponse};
use chrono::{DateTime, Utc};

/// Photo bytes a replica holds or wants, named by their SHA-256 in lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub sha256: String,
    pub mime: String,
    pub size: u64,
}

pub trait Replica {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Folds in the server's clock (offset and stamp) from `hello`, read when the local wall
    /// clock showed `wall`.
    fn observe_server(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<(), Self::Error>;

    /// Stamps again every waiting op that the service would refuse as stamped too far ahead of
    /// its clock (`MAX_FUTURE_SKEW_SECS`, as `hello` read it, less a margin), in outbox order,
    /// with everything that holds the old stamp (field stamps, the appended record, the `base`
    /// of later waiting ops), and winds the clock back to the service's time; in one
    /// transaction. The engine calls it after `observe_server` and before the push. Answers how
    /// many ops were stamped again (none, and nothing written, when the clock never ran ahead).
    fn restamp_ahead(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<u64, Self::Error>;

    /// Up to `limit` ops that wait for the server, oldest first. An op stays here until the
    /// server has answered it; a sync cut off halfway sends it again, which is harmless.
    fn outbox(&self, limit: usize) -> Result<Vec<Op>, Self::Error>;

    /// How many ops wait for the server.
    fn pending_count(&self) -> Result<u64, Self::Error>;

    /// The server's answer to a push of `pushed`, in one transaction: applied ops leave the
    /// outbox; rejected ones leave it too but are kept, with their reasons, for the user to see;
    /// every `current` state is set (stamp rule as in a pull); conflicts are stored.
    fn apply_push(&mut self, pushed: &[Op], response: &PushResponse, wall: DateTime<Utc>) -> Result<(), Self::Error>;

    /// The change-log position this replica has applied up to.
    fn cursor(&self) -> Result<Cursor, Self::Error>;

    /// What this replica makes of a pull page from the page alone, before it stores it: forms
    /// read from their fields, the columns and texts its tables hold. The sync engine makes it
    /// on the thread that fetched the page, while the page before is being stored, so that
    /// storing a page is left with the writing. A replica with nothing to make uses `()`.
    type Prepared: Send;

    fn prepare_pull(page: &PullPage) -> Self::Prepared;

    /// One page, in one transaction with its new cursor.
    fn apply_pull(&mut self, page: &PullPage, wall: DateTime<Utc>) -> Result<(), Self::Error>;

    /// `apply_pull` with what `prepare_pull` made of the same page. A replica that prepares
    /// nothing stores the page as `apply_pull` does.
    fn apply_prepared_pull(&mut self, page: &PullPage, prepared: &Self::Prepared, wall: DateTime<Utc>) -> Result<(), Self::Error> {
        let _ = prepared;
        self.apply_pull(page, wall)
    }

    /// Photos whose bytes the server may not have yet.
    fn blobs_to_upload(&self) -> Result<Vec<BlobRef>, Self::Error>;

    fn blob_bytes(&self, sha256: &str) -> Result<Vec<u8>, Self::Error>;

    /// The server now holds this blob whole.
    fn mark_uploaded(&mut self, sha256: &str) -> Result<(), Self::Error>;

    /// Photos this replica has the metadata of but not the bytes.
    fn blobs_to_download(&self) -> Result<Vec<BlobRef>, Self::Error>;

    /// Stores downloaded bytes; refuses them unless they hash to `blob.sha256`.
    fn store_blob(&mut self, blob: &BlobRef, bytes: &[u8]) -> Result<(), Self::Error>;
}
