//! The sync protocol of Porchlight, shared by the app, the CLI and the central service (see
//! `shared/SYNC.md` and ARCHITECTURE.md): the op format every local write adds to the outbox,
//! the hybrid logical clock stamp (`uhlc`), the versioned requests and answers of the sync
//! endpoints, records as flat field maps, the per-field merge rule, and the `Replica` trait
//! the sync engine drives. It does no input or output of its own.

pub mod columns;
pub mod fields;
pub mod merge;
pub mod op;
pub mod proto;
pub mod replica;
pub mod stamp;

pub use merge::{merge_field, status_races, Merge};
pub use op::{Entity, FieldWrite, Op, OpBody};
pub use proto::{
    AppendedRecord, BadCursor, Change, CompleteUpload, ConflictRecord, ConflictSide, Cursor, Hello, OpResult, Outcome, OwnRows, PullPage,
    PushRequest, PushResponse, RecordState, RejectCode, Resolution, UploadState, VersionMismatch, WholeCases, BLOB_CHUNK,
    MAX_FUTURE_SKEW_SECS, MAX_PULL_LIMIT, MAX_PUSH_OPS, MIN_PROTOCOL_VERSION, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
pub use replica::{BlobRef, Replica};
pub use stamp::{BadStamp, Clock, ReplicaId, Stamp};
