//! The case model of Porchlight: what a missing-child case holds, the NCIC and NCMEC code
//! lists, value types that can only hold valid values, and the wire types that cross into the
//! UI and the central service. It knows nothing of storage, windows or networks.

pub mod case;
pub mod clock;
pub mod codes;
pub mod contact;
pub mod error;
pub mod history;
pub mod ids;
pub mod list;
pub mod note;
pub mod passphrase;
pub mod photo;
pub mod poster;
pub mod search;
pub mod status;
pub mod sync;
pub mod values;
pub mod view;
pub mod workspace;

pub use case::{
    CaseFields, CaseRecord, ChildFields, CompanionFields, DescriptionFields, EventFields,
    LawEnforcementFields, Units, ValidCase, VehicleFields,
};
pub use clock::Moment;
pub use codes::{CaseStatus, CaseType, EyeColor, HairColor, NcicCategory, Race, Sex, SkinTone};
pub use error::{AppError, ErrorCode, FieldError};
pub use ids::{CaseId, RecordId};
pub use list::{CasePage, CaseSummary, ListQuery, SortDir, SortKey};
pub use passphrase::Passphrase;
pub use values::{
    CaseNumber, Height, NcicNumber, Ori, PersonName, PhoneNumber, UsState, Vin, Weight,
};
pub use workspace::WorkspaceStatus;
pub use contact::{ContactFields, ContactRecord, Relationship};
pub use history::{AuditAction, AuditEntry, TimelineEntry, TimelineKind};
pub use note::{NoteCategory, NoteInput, NoteRecord, NoteVersion};
pub use photo::{PhotoKind, PhotoMeta, PhotoRecord};
pub use search::{DuplicateCandidate, SearchHit, SearchQuery, SearchResults, Segment};
pub use status::{allowed_next, Outcome, StatusChange, StatusEvent};
pub use view::CaseView;
pub use poster::{BulkProgress, BulkRefusal, PaperSize, PosterLanguage, PosterOptions, PosterRecord};
pub use sync::{
    ConflictChoice, ConflictResolution, ConflictSideView, ConflictView, EnrolForm, RejectedChange, SyncProgress, SyncReport, SyncStatus,
};
