//! The one door between the webview and Rust: the `Backend` every screen calls, the Tauri
//! implementation of it, and the conversion of any rejection into an `AppError`. It holds no
//! state and no business rules; components receive a `Backend` through Svelte context, so
//! tests hand them an in-memory fake instead and never touch Tauri.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getContext, setContext } from "svelte";
import type { AppError } from "./bindings/AppError";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { BulkProgress } from "./bindings/BulkProgress";
import type { CaseFields } from "./bindings/CaseFields";
import type { CaseId } from "./bindings/CaseId";
import type { CasePage } from "./bindings/CasePage";
import type { CaseRecord } from "./bindings/CaseRecord";
import type { CaseView } from "./bindings/CaseView";
import type { ConflictResolution } from "./bindings/ConflictResolution";
import type { ConflictView } from "./bindings/ConflictView";
import type { ContactFields } from "./bindings/ContactFields";
import type { ContactRecord } from "./bindings/ContactRecord";
import type { DuplicateCandidate } from "./bindings/DuplicateCandidate";
import type { EnrolForm } from "./bindings/EnrolForm";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FieldError } from "./bindings/FieldError";
import type { ListQuery } from "./bindings/ListQuery";
import type { NoteInput } from "./bindings/NoteInput";
import type { NoteRecord } from "./bindings/NoteRecord";
import type { NoteVersion } from "./bindings/NoteVersion";
import type { PhotoMeta } from "./bindings/PhotoMeta";
import type { PhotoRecord } from "./bindings/PhotoRecord";
import type { PosterOptions } from "./bindings/PosterOptions";
import type { PosterRecord } from "./bindings/PosterRecord";
import type { RecordId } from "./bindings/RecordId";
import type { RejectedChange } from "./bindings/RejectedChange";
import type { SearchQuery } from "./bindings/SearchQuery";
import type { SearchResults } from "./bindings/SearchResults";
import type { StatusChange } from "./bindings/StatusChange";
import type { StatusEvent } from "./bindings/StatusEvent";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { TimelineEntry } from "./bindings/TimelineEntry";
import type { TimelineKind } from "./bindings/TimelineKind";
import type { WorkspaceStatus } from "./bindings/WorkspaceStatus";

/** Everything the UI may ask of the Rust side. Each call rejects with an `AppError`. */
export interface Backend {
  workspaceStatus(): Promise<WorkspaceStatus>;
  createWorkspace(passphrase: string): Promise<WorkspaceStatus>;
  unlockWorkspace(passphrase: string): Promise<WorkspaceStatus>;
  lockWorkspace(): Promise<WorkspaceStatus>;
  listCases(query: ListQuery): Promise<CasePage>;
  getCase(id: CaseId): Promise<CaseRecord>;
  createCase(fields: CaseFields): Promise<CaseRecord>;
  /** `version` is the version of the record being edited; a newer save gives `edit_conflict`. */
  updateCase(id: CaseId, version: number, fields: CaseFields): Promise<CaseRecord>;
  setArchived(id: CaseId, archived: boolean): Promise<CaseRecord>;
  /** Pure and cheap: the field errors the case would get if it were saved now. */
  validateCase(fields: CaseFields): Promise<FieldError[]>;

  /** Everything about one case; Rust records that it was opened. */
  openCase(id: CaseId): Promise<CaseView>;
  addContact(caseId: CaseId, fields: ContactFields): Promise<ContactRecord>;
  updateContact(id: RecordId, version: number, fields: ContactFields): Promise<ContactRecord>;
  /** Marks the contact removed, with the reason; it stays in the history. */
  removeContact(id: RecordId, reason: string): Promise<ContactRecord>;
  addNote(caseId: CaseId, input: NoteInput): Promise<NoteRecord>;
  /** A new version of the note; `version` is the one being edited (a newer one gives `edit_conflict`). */
  editNote(noteId: RecordId, version: number, input: NoteInput): Promise<NoteRecord>;
  /** Every version of a note, oldest first. */
  noteHistory(noteId: RecordId): Promise<NoteVersion[]>;
  changeStatus(caseId: CaseId, change: StatusChange): Promise<StatusEvent>;
  /** Newest first; no kinds means every kind. */
  caseTimeline(caseId: CaseId, kinds: TimelineKind[]): Promise<TimelineEntry[]>;
  /** Newest first. */
  caseAudit(caseId: CaseId): Promise<AuditEntry[]>;
  /** The native file dialog; absolute paths, none when cancelled. */
  pickPhotoFiles(): Promise<string[]>;
  /** Rust reads the file itself: the import path of the file dialog. */
  addPhotoFromPath(caseId: CaseId, path: string, meta: PhotoMeta): Promise<PhotoRecord>;
  /** The bytes of a file dropped onto the window, base64 without a `data:` prefix. */
  addPhotoBytes(caseId: CaseId, fileName: string, dataBase64: string, meta: PhotoMeta): Promise<PhotoRecord>;
  updatePhoto(id: RecordId, meta: PhotoMeta): Promise<PhotoRecord>;
  setPrimaryPhoto(id: RecordId): Promise<PhotoRecord>;
  /** A `data:` URL of the stored thumbnail. */
  photoThumbnail(id: RecordId): Promise<string>;
  /** A `data:` URL of the whole image; Rust records that it was viewed. */
  photoImage(id: RecordId): Promise<string>;
  searchCases(query: SearchQuery): Promise<SearchResults>;
  /** Cases that may be the same child; `exclude` is the case being edited. */
  findDuplicates(fields: CaseFields, exclude: CaseId | null): Promise<DuplicateCandidate[]>;

  /**
   * A poster as a base64 PDF, for the live preview; nothing is recorded. A refusal (no photo
   * that may be published, no law-enforcement contact, a case no longer open) rejects with
   * `validation` and says why and what to do. Several ids make one poster of siblings.
   */
  renderPoster(caseIds: CaseId[], options: PosterOptions): Promise<string>;
  /** The native save dialog, then the file; records the poster. The path written, null when cancelled. */
  savePoster(caseIds: CaseId[], options: PosterOptions): Promise<string | null>;
  /** `savePoster` without the dialog, to an absolute path: for the end-to-end test, which cannot drive it. */
  savePosterTo(caseIds: CaseId[], options: PosterOptions, path: string): Promise<PosterRecord>;
  /** Prints through the system, or opens the PDF in the viewer; records the poster and says which it did. */
  printPoster(caseIds: CaseId[], options: PosterOptions): Promise<string>;
  /**
   * Starts posters for many cases on a background thread: one PDF, or one file per case. A
   * null `directory` asks with the native folder dialog. The job to poll, null when cancelled.
   */
  startBulkPosters(caseIds: CaseId[], options: PosterOptions, perCase: boolean, directory: string | null): Promise<string | null>;
  bulkProgress(job: string): Promise<BulkProgress>;
  cancelBulk(job: string): Promise<void>;
  /** Every poster produced for the case, newest first. */
  casePosters(caseId: CaseId): Promise<PosterRecord[]>;

  /** Where sync stands: enrolment, the last attempt, changes waiting, conflicts, refusals. */
  syncStatus(): Promise<SyncStatus>;
  /** Logs in to the central service and enrols this device; field errors name `EnrolForm` fields. */
  enrolDevice(form: EnrolForm): Promise<SyncStatus>;
  /** Syncs now and answers once the attempt is over; a failure is in `last_error`, not a rejection. */
  syncNow(): Promise<SyncStatus>;
  /** Open conflicts, of one case or (null) of every case. */
  listConflicts(caseId: CaseId | null): Promise<ConflictView[]>;
  /** Settles a conflict here at once; the resolution goes to the service at the next sync. */
  resolveConflict(id: string, resolution: ConflictResolution): Promise<SyncStatus>;
  /** Local changes the service refused for good, newest first. */
  listRejected(): Promise<RejectedChange[]>;
  dismissRejected(opId: string): Promise<SyncStatus>;
  /** Forgets the enrolment; the cases stay in this workspace. */
  leaveSync(): Promise<SyncStatus>;
  /** Calls `listener` with the new status after every sync attempt; resolves to the unsubscribe. */
  onSyncStatus(listener: (status: SyncStatus) => void): Promise<() => void>;
  /**
   * Calls `listener` when the organisation had this device's workspace removed (a remote wipe):
   * the workspace is gone and locked; `message` says so in words.
   */
  onWorkspaceRemoved(listener: (message: string) => void): Promise<() => void>;
}

/** The events `src-tauri` emits to the window (see its `sync` module). */
export const SYNC_STATUS_EVENT = "sync-status";
export const WORKSPACE_REMOVED_EVENT = "workspace-removed";

/** The Tauri commands of `src-tauri`; argument names are camelCase and Tauri maps them. */
export const tauriBackend: Backend = {
  workspaceStatus: () => call("workspace_status"),
  createWorkspace: (passphrase) => call("create_workspace", { passphrase }),
  unlockWorkspace: (passphrase) => call("unlock_workspace", { passphrase }),
  lockWorkspace: () => call("lock_workspace"),
  listCases: (query) => call("list_cases", { query }),
  getCase: (id) => call("get_case", { id }),
  createCase: (fields) => call("create_case", { fields }),
  updateCase: (id, version, fields) => call("update_case", { id, version, fields }),
  setArchived: (id, archived) => call("set_archived", { id, archived }),
  validateCase: (fields) => call("validate_case", { fields }),
  openCase: (id) => call("open_case", { id }),
  addContact: (caseId, fields) => call("add_contact", { caseId, fields }),
  updateContact: (id, version, fields) => call("update_contact", { id, version, fields }),
  removeContact: (id, reason) => call("remove_contact", { id, reason }),
  addNote: (caseId, input) => call("add_note", { caseId, input }),
  editNote: (noteId, version, input) => call("edit_note", { noteId, version, input }),
  noteHistory: (noteId) => call("note_history", { noteId }),
  changeStatus: (caseId, change) => call("change_status", { caseId, change }),
  caseTimeline: (caseId, kinds) => call("case_timeline", { caseId, kinds }),
  caseAudit: (caseId) => call("case_audit", { caseId }),
  pickPhotoFiles: () => call("pick_photo_files"),
  addPhotoFromPath: (caseId, path, meta) => call("add_photo_from_path", { caseId, path, meta }),
  addPhotoBytes: (caseId, fileName, dataBase64, meta) => call("add_photo_bytes", { caseId, fileName, dataBase64, meta }),
  updatePhoto: (id, meta) => call("update_photo", { id, meta }),
  setPrimaryPhoto: (id) => call("set_primary_photo", { id }),
  photoThumbnail: (id) => call("photo_thumbnail", { id }),
  photoImage: (id) => call("photo_image", { id }),
  searchCases: (query) => call("search_cases", { query }),
  findDuplicates: (fields, exclude) => call("find_duplicates", { fields, exclude }),
  renderPoster: (caseIds, options) => call("render_poster", { caseIds, options }),
  savePoster: (caseIds, options) => call("save_poster", { caseIds, options }),
  savePosterTo: (caseIds, options, path) => call("save_poster_to", { caseIds, options, path }),
  printPoster: (caseIds, options) => call("print_poster", { caseIds, options }),
  startBulkPosters: (caseIds, options, perCase, directory) => call("start_bulk_posters", { caseIds, options, perCase, directory }),
  bulkProgress: (job) => call("bulk_progress", { job }),
  cancelBulk: (job) => call("cancel_bulk", { job }),
  casePosters: (caseId) => call("case_posters", { caseId }),
  syncStatus: () => call("sync_status"),
  enrolDevice: (form) => call("enrol_device", { form }),
  syncNow: () => call("sync_now"),
  listConflicts: (caseId) => call("list_conflicts", { caseId }),
  resolveConflict: (id, resolution) => call("resolve_conflict", { id, resolution }),
  listRejected: () => call("list_rejected"),
  dismissRejected: (opId) => call("dismiss_rejected", { opId }),
  leaveSync: () => call("leave_sync"),
  onSyncStatus: (listener) => listen<SyncStatus>(SYNC_STATUS_EVENT, (e) => listener(e.payload)),
  onWorkspaceRemoved: (listener) => listen<string>(WORKSPACE_REMOVED_EVENT, (e) => listener(e.payload)),
};

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw asAppError(e);
  }
}

const CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "validation",
  "weak_passphrase",
  "wrong_passphrase",
  "workspace_exists",
  "workspace_not_found",
  "workspace_locked",
  "workspace_unreadable",
  "not_found",
  "edit_conflict",
  "storage",
  "internal",
  "not_enrolled",
  "service_unreachable",
  "service_refused",
  "protocol_mismatch",
]);

/** Whether `e` already has the shape of an `AppError` with a known code. */
export function isAppError(e: unknown): e is AppError {
  if (typeof e !== "object" || e === null) return false;
  const r = e as Record<string, unknown>;
  return (
    typeof r.code === "string" &&
    CODES.has(r.code as ErrorCode) &&
    typeof r.message === "string" &&
    Array.isArray(r.fields)
  );
}

/**
 * Turns any rejection into an `AppError`. Rejections that are not one (a panic message, a
 * missing command, a JavaScript fault) become `internal`, so screens branch on `code` alone.
 */
export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  const detail =
    e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
  return {
    code: "internal",
    message: `Porchlight hit an internal fault: ${detail}`,
    fields: [],
  };
}

const KEY = Symbol("porchlight.backend");

/** The context map that hands `backend` to a component rendered on its own (tests, mounts). */
export function backendContext(backend: Backend): Map<symbol, Backend> {
  return new Map([[KEY, backend]]);
}

/** Makes `backend` available to every component below the caller. */
export function provideBackend(backend: Backend): void {
  setContext(KEY, backend);
}

/** The backend provided by an ancestor; a component without one is a wiring fault. */
export function useBackend(): Backend {
  const backend = getContext<Backend | undefined>(KEY);
  if (!backend) throw new Error("No backend provided: wrap the component in provideBackend().");
  return backend;
}
