//! The commands of the case view and the search box: opening a case, its family contacts, its
//! notes and their versions, status changes, the timeline, the audit log, instant search and the
//! duplicate check. Each is one call into `porchlight_store::Workspace` on the blocking pool;
//! the rules (which status may follow which, what a valid contact is) live in the domain and
//! the store, never here. Photos and posters have modules of their own.

use crate::session::Session;
use porchlight_domain::{
    AppError, AuditEntry, CaseFields, CaseId, CaseView, ContactFields, ContactRecord,
    DuplicateCandidate, Moment, NoteInput, NoteRecord, NoteVersion, RecordId, SearchQuery,
    SearchResults, StatusChange, StatusEvent, TimelineEntry, TimelineKind,
};
use tauri::State;

/// Everything about one case; the store records that it was opened.
#[tauri::command]
pub async fn open_case(session: State<'_, Session>, id: CaseId) -> Result<CaseView, AppError> {
    let now = Moment::now();
    session.with_open(move |w| w.open_case(id, now)).await
}

#[tauri::command]
pub async fn add_contact(
    session: State<'_, Session>,
    case_id: CaseId,
    fields: ContactFields,
) -> Result<ContactRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.add_contact(case_id, &fields, now))
        .await
}

#[tauri::command]
pub async fn update_contact(
    session: State<'_, Session>,
    id: RecordId,
    version: i64,
    fields: ContactFields,
) -> Result<ContactRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.update_contact(id, version, &fields, now))
        .await
}

/// Marks the contact removed with the reason; the store keeps it in the history.
#[tauri::command]
pub async fn remove_contact(
    session: State<'_, Session>,
    id: RecordId,
    reason: String,
) -> Result<ContactRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.remove_contact(id, &reason, now))
        .await
}

#[tauri::command]
pub async fn add_note(
    session: State<'_, Session>,
    case_id: CaseId,
    input: NoteInput,
) -> Result<NoteRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.add_note(case_id, &input, now))
        .await
}

/// A new version of the note; `version` is the one the user edited.
#[tauri::command]
pub async fn edit_note(
    session: State<'_, Session>,
    note_id: RecordId,
    version: u32,
    input: NoteInput,
) -> Result<NoteRecord, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.edit_note(note_id, version, &input, now))
        .await
}

#[tauri::command]
pub async fn note_history(
    session: State<'_, Session>,
    note_id: RecordId,
) -> Result<Vec<NoteVersion>, AppError> {
    session.with_open(move |w| w.note_history(note_id)).await
}

#[tauri::command]
pub async fn change_status(
    session: State<'_, Session>,
    case_id: CaseId,
    change: StatusChange,
) -> Result<StatusEvent, AppError> {
    let now = Moment::now();
    session
        .with_open(move |w| w.change_status(case_id, &change, now))
        .await
}

#[tauri::command]
pub async fn case_timeline(
    session: State<'_, Session>,
    case_id: CaseId,
    kinds: Vec<TimelineKind>,
) -> Result<Vec<TimelineEntry>, AppError> {
    session
        .with_open(move |w| w.timeline(case_id, &kinds))
        .await
}

#[tauri::command]
pub async fn case_audit(
    session: State<'_, Session>,
    case_id: CaseId,
) -> Result<Vec<AuditEntry>, AppError> {
    session.with_open(move |w| w.case_audit(case_id)).await
}

/// Ages in the filters are counted on the user's local date.
#[tauri::command]
pub async fn search_cases(
    session: State<'_, Session>,
    query: SearchQuery,
) -> Result<SearchResults, AppError> {
    let today = Moment::now().local.date();
    session.with_open(move |w| w.search(&query, today)).await
}

/// Cases that may be the same child as the form; `exclude` is the case being edited.
#[tauri::command]
pub async fn find_duplicates(
    session: State<'_, Session>,
    fields: CaseFields,
    exclude: Option<CaseId>,
) -> Result<Vec<DuplicateCandidate>, AppError> {
    session
        .with_open(move |w| w.find_duplicates(&fields, exclude))
        .await
}
