//! The sync engine of a Porchlight workspace: a blocking HTTP client of the central service's
//! sync endpoints (`Remote`: enrolment, hello, push, pull, resumable photo transfers, the
//! remote-wipe report; zstd both ways, the protocol version on every request, timeouts) and the
//! round that drives a local `porchlight_sync::Replica` through one sync (`sync_once`). Its
//! errors say what a case manager should do (`SyncError` → `AppError`).
//!
//! It holds no state of its own between syncs and stores nothing: the replica (the workspace)
//! keeps the outbox, the cursor, the stamps and the identity. It does not schedule syncs or know
//! about windows; the app and the CLI call it. A fault hook (`Remote::with_fault_hook`) lets a
//! simulation lose replies, repeat requests and cut transfers on purpose.

mod engine;
mod error;
mod remote;
mod transport;

pub use engine::{sync_once, sync_run, sync_run_watched, BlobProblem, Direction, Refusal, SyncRun};
pub use error::SyncError;
pub use remote::{server_address, Enrolment, Remote};
pub use transport::{Fault, FaultHook, Phase, CONNECT_TIMEOUT, REQUEST_TIMEOUT};

#[cfg(test)]
mod stub;
#[cfg(test)]
mod tests;
