//! The case model of Porchlight: what a missing-child case holds, the NCIC and NCMEC code
//! lists, value types that can only hold valid values, and the wire types that cross into the
//! UI and the central service. It knows nothing of storage, windows or networks.

pub mod case;
pub mod clock;
pub mod codes;
pub mod error;
pub mod ids;
pub mod list;
pub mod passphrase;
pub mod values;
pub mod workspace;

pub use case::{
    CaseFields, CaseRecord, ChildFields, CompanionFields, DescriptionFields, EventFields,
    LawEnforcementFields, Units, ValidCase, VehicleFields,
};
pub use clock::Moment;
pub use codes::{CaseStatus, CaseType, EyeColor, HairColor, NcicCategory, Race, Sex, SkinTone};
pub use error::{AppError, ErrorCode, FieldError};
pub use ids::CaseId;
pub use list::{CasePage, CaseSummary, ListQuery, SortDir, SortKey};
pub use passphrase::Passphrase;
pub use values::{
    CaseNumber, Height, NcicNumber, Ori, PersonName, PhoneNumber, UsState, Vin, Weight,
};
pub use workspace::WorkspaceStatus;
