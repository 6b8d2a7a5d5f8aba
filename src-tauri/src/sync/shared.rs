//! The workspace as the sync engine's replica while the window keeps using it: every call the
//! engine makes between two requests takes the session's lock for that call alone, so the window's
//! commands run while the engine waits on the network. A workspace locked mid-sync ends the sync
//! at its next call, which is safe: each answer already received was stored in its own
//! transaction. It adds no sync logic; the store and the engine hold it all.

use chrono::{DateTime, Utc};
use porchlight_sync::{BlobRef, Cursor, Hello, Op, PullPage, PushResponse, Replica};
use std::sync::{Arc, Mutex, MutexGuard};

/// A replica behind the session's lock; `None` inside means locked.
pub struct SharedReplica<R> {
    open: Arc<Mutex<Option<R>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SharedError<E: std::error::Error + 'static> {
    #[error("the workspace was locked during the sync")]
    Locked,
    #[error(transparent)]
    Replica(E),
}

impl<R: Replica> SharedReplica<R> {
    pub fn new(open: Arc<Mutex<Option<R>>>) -> Self {
        SharedReplica { open }
    }

    fn with<T>(
        &self,
        call: impl FnOnce(&mut R) -> Result<T, R::Error>,
    ) -> Result<T, SharedError<R::Error>> {
        let mut guard = lock(&self.open);
        let replica = guard.as_mut().ok_or(SharedError::Locked)?;
        call(replica).map_err(SharedError::Replica)
    }
}

/// Takes the lock even after a panic elsewhere: the store writes in transactions, so a panic
/// cannot have left the workspace half-written.
fn lock<R>(open: &Mutex<Option<R>>) -> MutexGuard<'_, Option<R>> {
    open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<R: Replica> Replica for SharedReplica<R> {
    type Error = SharedError<R::Error>;

    fn observe_server(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<(), Self::Error> {
        self.with(|r| r.observe_server(hello, wall))
    }

    fn restamp_ahead(&mut self, hello: &Hello, wall: DateTime<Utc>) -> Result<u64, Self::Error> {
        self.with(|r| r.restamp_ahead(hello, wall))
    }

    fn outbox(&self, limit: usize) -> Result<Vec<Op>, Self::Error> {
        self.with(|r| r.outbox(limit))
    }

    fn pending_count(&self) -> Result<u64, Self::Error> {
        self.with(|r| r.pending_count())
    }

    fn apply_push(
        &mut self,
        pushed: &[Op],
        response: &PushResponse,
        wall: DateTime<Utc>,
    ) -> Result<(), Self::Error> {
        self.with(|r| r.apply_push(pushed, response, wall))
    }

    fn cursor(&self) -> Result<Cursor, Self::Error> {
        self.with(|r| r.cursor())
    }

    type Prepared = R::Prepared;

    fn prepare_pull(page: &PullPage) -> Self::Prepared {
        R::prepare_pull(page)
    }

    fn apply_pull(&mut self, page: &PullPage, wall: DateTime<Utc>) -> Result<(), Self::Error> {
        self.with(|r| r.apply_pull(page, wall))
    }

    fn apply_prepared_pull(
        &mut self,
        page: &PullPage,
        prepared: &Self::Prepared,
        wall: DateTime<Utc>,
    ) -> Result<(), Self::Error> {
        self.with(|r| r.apply_prepared_pull(page, prepared, wall))
    }

    fn blobs_to_upload(&self) -> Result<Vec<BlobRef>, Self::Error> {
        self.with(|r| r.blobs_to_upload())
    }

    fn blob_bytes(&self, sha256: &str) -> Result<Vec<u8>, Self::Error> {
        self.with(|r| r.blob_bytes(sha256))
    }

    fn mark_uploaded(&mut self, sha256: &str) -> Result<(), Self::Error> {
        self.with(|r| r.mark_uploaded(sha256))
    }

    fn blobs_to_download(&self) -> Result<Vec<BlobRef>, Self::Error> {
        self.with(|r| r.blobs_to_download())
    }

    fn store_blob(&mut self, blob: &BlobRef, bytes: &[u8]) -> Result<(), Self::Error> {
        self.with(|r| r.store_blob(blob, bytes))
    }
}

#[cfg(test)]
mod tests {
    //! Against a real workspace file: the adapter passes each call through, holds the lock only
    //! for the call, and ends a sync cleanly when the workspace is locked under it.

    use super::*;
    use porchlight_domain::Moment;
    use porchlight_store::Workspace;

    const PASSPHRASE: &str = "Blue-kettle-49-sings-at-dawn";

    fn workspace(dir: &tempfile::TempDir) -> Workspace {
        let now = Moment::now();
        let mut w = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, now)
            .expect("a new workspace");
        // Enrolled first: a workspace never enrolled queues no ops.
        let identity = porchlight_store::SyncIdentity {
            server_url: "https://sync.example.org".into(),
            device_id: uuid::Uuid::new_v4(),
            token: "adapter-test-token".into(),
            user_id: uuid::Uuid::new_v4(),
            username: "rosa".into(),
            display_name: "Rosa Diaz".into(),
            role: "case_manager".into(),
        };
        w.set_sync_identity(&identity, now).expect("enrolled");
        let seeded = porchlight_seed::case(4, 0, now.local.date(), false);
        w.create_case(&seeded.fields, now).expect("a case");
        w
    }

    #[test]
    fn calls_pass_through_and_hold_the_lock_only_while_they_run() {
        let dir = tempfile::tempdir().unwrap();
        let open = Arc::new(Mutex::new(Some(workspace(&dir))));
        let shared = SharedReplica::new(Arc::clone(&open));
        let direct = lock(&open).as_ref().unwrap().pending_count().unwrap();
        assert!(
            direct >= 2,
            "a new case waits as a Set and its first status event, found {direct}"
        );
        assert_eq!(shared.pending_count().unwrap(), direct);
        let ops = shared.outbox(100).unwrap();
        assert_eq!(ops.len() as u64, direct);
        // Between two engine calls the window's commands get the workspace.
        assert!(
            open.try_lock().is_ok(),
            "the adapter kept the lock after its call"
        );
        assert_eq!(
            shared.cursor().unwrap(),
            lock(&open).as_ref().unwrap().cursor().unwrap()
        );
        assert!(shared.blobs_to_upload().unwrap().is_empty());
        assert!(open.try_lock().is_ok());
    }

    #[test]
    fn a_workspace_locked_mid_sync_ends_the_sync_at_the_next_call() {
        let dir = tempfile::tempdir().unwrap();
        let open = Arc::new(Mutex::new(Some(workspace(&dir))));
        let shared = SharedReplica::new(Arc::clone(&open));
        assert!(shared.outbox(10).is_ok());
        drop(lock(&open).take());
        let error = shared
            .outbox(10)
            .expect_err("a locked workspace has no outbox to give");
        assert!(matches!(error, SharedError::Locked), "{error:?}");
        assert_eq!(
            error.to_string(),
            "the workspace was locked during the sync"
        );
    }
}
