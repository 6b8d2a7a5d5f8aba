//! An in-memory `Backend` for component tests and for looking at the UI in a plain browser
//! (`?fake=1`). It keeps cases in a Map and imitates the wire contract: paging, sort, filters,
//! versions, the error codes, and the case file (contacts, note versions, status moves along
//! `STATUS_NEXT`, content-addressed photos, timeline, audit, search with highlights, the
//! duplicate check, posters through `../posters/fakePosters.ts`, and sync through `../sync/fakeSync.ts`). Its validation covers the required fields and shapes, enough to exercise
//! the forms; the real rules live in Rust and are never copied here as a second source of truth.

import type { Backend } from "./backend";
import type { AppError } from "./bindings/AppError";
import type { AuditAction } from "./bindings/AuditAction";
import type { AuditEntry } from "./bindings/AuditEntry";
import type { BulkProgress } from "./bindings/BulkProgress";
import type { CaseFields } from "./bindings/CaseFields";
import type { CasePage } from "./bindings/CasePage";
import type { CaseRecord } from "./bindings/CaseRecord";
import type { CaseStatus } from "./bindings/CaseStatus";
import type { CaseSummary } from "./bindings/CaseSummary";
import type { CaseType } from "./bindings/CaseType";
import type { CaseView } from "./bindings/CaseView";
import type { ContactFields } from "./bindings/ContactFields";
import type { ContactRecord } from "./bindings/ContactRecord";
import type { DuplicateCandidate } from "./bindings/DuplicateCandidate";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FieldError } from "./bindings/FieldError";
import type { ListQuery } from "./bindings/ListQuery";
import type { NoteCategory } from "./bindings/NoteCategory";
import type { NoteInput } from "./bindings/NoteInput";
import type { NoteRecord } from "./bindings/NoteRecord";
import type { NoteVersion } from "./bindings/NoteVersion";
import type { Outcome } from "./bindings/Outcome";
import type { PhotoMeta } from "./bindings/PhotoMeta";
import type { PhotoRecord } from "./bindings/PhotoRecord";
import type { PosterOptions } from "./bindings/PosterOptions";
import type { PosterRecord } from "./bindings/PosterRecord";
import type { Race } from "./bindings/Race";
import type { SearchHit } from "./bindings/SearchHit";
import type { SearchQuery } from "./bindings/SearchQuery";
import type { SearchResults } from "./bindings/SearchResults";
import type { Sex } from "./bindings/Sex";
import type { StatusChange } from "./bindings/StatusChange";
import type { StatusEvent } from "./bindings/StatusEvent";
import type { TimelineEntry } from "./bindings/TimelineEntry";
import type { TimelineKind } from "./bindings/TimelineKind";
import type { WorkspaceStatus } from "./bindings/WorkspaceStatus";
import { STATUS_NEXT, US_STATES } from "./codes";
import { daysApart, matchCase, queryWords, similarNames, type SearchField } from "./fakeSearch";
import { noteCategoryLabel, photoKindLabel, relationshipLabel, statusLabel } from "./format";
import { FakePosterDesk } from "../posters/fakePosters";
import { FakeSyncDesk } from "../sync/fakeSync";
import type { ConflictResolution } from "./bindings/ConflictResolution";
import type { ConflictView } from "./bindings/ConflictView";
import type { EnrolForm } from "./bindings/EnrolForm";
import type { RejectedChange } from "./bindings/RejectedChange";
import type { SyncStatus } from "./bindings/SyncStatus";

export interface FakeOptions {
  /** A workspace file already exists (show Unlock rather than Create). */
  exists?: boolean;
  unlocked?: boolean;
  passphrase?: string;
  /** Milliseconds every call waits, to see loading states in a browser. */
  latencyMs?: number;
  /** The day the fake believes it is, YYYY-MM-DD; dates after it are refused. */
  today?: string;
}

export function appError(code: ErrorCode, message: string, fields: FieldError[] = []): AppError {
  return { code, message, fields };
}

export class FakeBackend implements Backend {
  readonly cases = new Map<string, CaseRecord>();
  exists: boolean;
  unlocked: boolean;
  passphrase: string;
  latencyMs: number;
  today: string;
  private nextNumber = 1;
  private sorted: { key: string; ids: string[] } | null = null;

  constructor(options: FakeOptions = {}) {
    this.exists = options.exists ?? false;
    this.unlocked = options.unlocked ?? false;
    this.passphrase = options.passphrase ?? "Blue-kettle-49-sings";
    this.latencyMs = options.latencyMs ?? 0;
    this.today = options.today ?? "2026-11-21";
  }

  private status(): WorkspaceStatus {
    return { path: "/home/user/.local/share/porchlight/workspace.db", exists: this.exists, unlocked: this.unlocked };
  }

  private async settle<T>(value: () => T): Promise<T> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    return value();
  }

  private requireUnlocked(): void {
    if (!this.unlocked) throw appError("workspace_locked", "Unlock the workspace first.");
  }

  workspaceStatus(): Promise<WorkspaceStatus> {
    return this.settle(() => this.status());
  }

  createWorkspace(passphrase: string): Promise<WorkspaceStatus> {
    return this.settle(() => {
      if (this.exists) throw appError("workspace_exists", "A workspace already exists here.");
      if (passphrase.length < 12) {
        throw appError("weak_passphrase", "Use at least 12 characters; a short sentence you will remember works well.");
      }
      this.exists = true;
      this.unlocked = true;
      this.passphrase = passphrase;
      return this.status();
    });
  }

  unlockWorkspace(passphrase: string): Promise<WorkspaceStatus> {
    return this.settle(() => {
      if (!this.exists) throw appError("workspace_not_found", "There is no workspace here yet.");
      if (passphrase !== this.passphrase) {
        throw appError("wrong_passphrase", "That passphrase does not open this workspace.");
      }
      this.unlocked = true;
      return this.status();
    });
  }

  lockWorkspace(): Promise<WorkspaceStatus> {
    return this.settle(() => {
      this.unlocked = false;
      return this.status();
    });
  }

  listCases(query: ListQuery): Promise<CasePage> {
    return this.settle(() => {
      this.requireUnlocked();
      const ids = this.sortedIds(query);
      const search = query.search?.trim().toLowerCase() ?? "";
      const matching: CaseRecord[] = [];
      for (const id of ids) {
        const c = this.cases.get(id)!;
        if (!query.include_archived && c.archived_at) continue;
        if (query.status && c.status !== query.status) continue;
        if (query.case_type && c.fields.case_type !== query.case_type) continue;
        if (query.state && c.fields.event.state !== query.state) continue;
        if (search && !matchesPrefix(c, search)) continue;
        matching.push(c);
      }
      const limit = Math.min(query.limit, 500);
      return {
        rows: matching.slice(query.offset, query.offset + limit).map(summaryOf),
        total: matching.length,
        offset: query.offset,
      };
    });
  }

  /** Sorting 100,000 cases on every page request would be slow; keep the order per sort. */
  private sortedIds(query: ListQuery): string[] {
    const key = `${query.sort}:${query.dir}`;
    if (this.sorted?.key === key) return this.sorted.ids;
    const all = [...this.cases.values()];
    const keyOf = sortKey(query.sort);
    const sign = query.dir === "asc" ? 1 : -1;
    all.sort((a, b) => {
      const x = keyOf(a);
      const y = keyOf(b);
      const byKey = x < y ? -1 : x > y ? 1 : 0;
      return byKey !== 0 ? sign * byKey : a.case_number < b.case_number ? -1 : 1;
    });
    this.sorted = { key, ids: all.map((c) => c.id) };
    return this.sorted.ids;
  }

  getCase(id: string): Promise<CaseRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const c = this.cases.get(id);
      if (!c) throw appError("not_found", "That case does not exist.");
      return structuredClone(c);
    });
  }

  createCase(fields: CaseFields): Promise<CaseRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      this.refuseInvalid(fields);
      const record = this.insert(fields, "intake", this.moment());
      this.log(record.id, "case_created", record.case_number, record.created_at);
      return structuredClone(record);
    });
  }

  updateCase(id: string, version: number, fields: CaseFields): Promise<CaseRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const c = this.cases.get(id);
      if (!c) throw appError("not_found", "That case does not exist.");
      if (c.version !== version) {
        throw appError("edit_conflict", "Someone saved this case after you opened it.");
      }
      this.refuseInvalid(fields);
      const at = this.moment();
      const next: CaseRecord = { ...c, version: c.version + 1, updated_at: at, fields: structuredClone(fields) };
      this.cases.set(id, next);
      this.sorted = null;
      this.track(id, { at, kind: "case", title: "Case details edited", detail: changedSections(c.fields, fields), record_id: null });
      this.log(id, "case_edited", `version ${next.version}`, at);
      return structuredClone(next);
    });
  }

  setArchived(id: string, archived: boolean): Promise<CaseRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const c = this.cases.get(id);
      if (!c) throw appError("not_found", "That case does not exist.");
      const at = this.moment();
      const next: CaseRecord = { ...c, version: c.version + 1, archived_at: archived ? at : null, updated_at: at };
      this.cases.set(id, next);
      this.track(id, { at, kind: "case", title: archived ? "Case archived" : "Case unarchived", detail: "", record_id: null });
      this.log(id, archived ? "case_archived" : "case_unarchived", "", at);
      return structuredClone(next);
    });
  }

  validateCase(fields: CaseFields): Promise<FieldError[]> {
    return this.settle(() => this.check(fields));
  }

  private refuseInvalid(fields: CaseFields): void {
    const errors = this.check(fields);
    if (errors.length > 0) {
      const message = errors.length === 1 ? errors[0].message : `${errors.length} fields need attention before this can be saved.`;
      throw appError("validation", message, errors);
    }
  }

  /** Required fields and date shapes only; see the module note. */
  check(f: CaseFields): FieldError[] {
    const errors: FieldError[] = [];
    const fail = (field: string, message: string) => errors.push({ field, message });
    const date = (field: string, value: string) => {
      if (value === "") return;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) fail(field, `"${value}" is not a date; use YYYY-MM-DD, e.g. 2026-03-14.`);
      else if (value > this.today) fail(field, `${value} is in the future; enter a date on or before ${this.today}.`);
    };
    if (!f.child.given_name.trim()) fail("child.given_name", "Enter a name.");
    if (!f.child.family_name.trim()) fail("child.family_name", "Enter a name.");
    if (!f.child.sex) fail("child.sex", "Choose the child's sex (Unknown is allowed).");
    date("child.date_of_birth", f.child.date_of_birth);
    if (!f.child.date_of_birth && f.child.estimated_age === null) {
      fail("child.date_of_birth", "Enter the date of birth, or an estimated age if it is unknown.");
    }
    date("event.last_seen_date", f.event.last_seen_date);
    if (!f.event.last_seen_date) fail("event.last_seen_date", "Enter the date the child was last seen.");
    if (f.child.date_of_birth && f.event.last_seen_date && f.child.date_of_birth > f.event.last_seen_date) {
      fail("child.date_of_birth", `The birth date is after the day the child went missing (${f.event.last_seen_date}); check both dates.`);
    }
    if (!f.event.city.trim()) fail("event.city", "Enter the city or town the child went missing from.");
    if ((f.event.country === "" || f.event.country === "US") && !f.event.state) {
      fail("event.state", "Choose the state the child went missing from.");
    }
    if (!f.case_type) fail("case_type", "Choose the case type.");
    if (f.missing_from_care && !f.care_agency.trim()) fail("care_agency", "Name the child-welfare agency the child went missing from.");
    if (f.description.height_cm !== null && !(f.description.height_cm >= 30 && f.description.height_cm <= 230)) {
      fail("description.height_cm", "Enter a height between 30 and 230 cm (1 ft 0 in and 7 ft 6 in).");
    }
    if (f.description.weight_kg !== null && !(f.description.weight_kg >= 1 && f.description.weight_kg <= 250)) {
      fail("description.weight_kg", "Enter a weight between 1 and 250 kg (2 and 551 lb).");
    }
    f.companions.forEach((p, i) => date(`companions.${i}.date_of_birth`, p.date_of_birth));
    f.vehicles.forEach((v, i) => {
      if (v.vin && v.vin.length !== 17 && (v.year ?? 0) >= 1981) fail(`vehicles.${i}.vin`, "Vehicles built from 1981 have a 17-character VIN.");
    });
    return errors;
  }

  // The case file: contacts, notes, status history, photos, timeline and audit.

  /** The name the fake signs everything with. */
  actor = "Dana Whitaker";
  /** What the next `pickPhotoFiles` returns, as if the user chose these files. */
  nextPick: string[] = [];
  /** Files the fake's file dialog and `addPhotoFromPath` can see, by absolute path. */
  readonly disk = new Map<string, DiskFile>();
  readonly audit: AuditEntry[] = [];
  private readonly files = new Map<string, CaseFile>();
  private readonly photoStore = new Map<string, { url: string; mime: string; width: number; height: number; size: number }>();
  private nextRecord = 1;
  private nextSeq = 1;
  private ticks = 0;

  /** A moment on the fake's today, one minute later at every call, so order is stable. */
  moment(): string {
    const t = Date.parse(`${this.today}T09:00:00Z`) + this.ticks++ * 60_000;
    return new Date(t).toISOString().replace(".000Z", "Z");
  }

  private recordId(): string {
    const n = this.nextRecord++;
    return `0190${n.toString(16).padStart(8, "0")}-0000-7000-9000-000000000000`;
  }

  /** The case file of `id`, made on first use so 100,000 seeded cases cost nothing until opened. */
  private fileOf(id: string): CaseFile {
    const c = this.cases.get(id);
    if (!c) throw appError("not_found", "That case does not exist.");
    let file = this.files.get(id);
    if (!file) {
      file = {
        contacts: [],
        notes: new Map(),
        status: [{ seq: this.nextSeq++, case_id: id, from: null, to: c.status, reason: "Case opened", outcome: null, actor: this.actor, at: c.created_at }],
        photos: [],
        timeline: [{ at: c.created_at, actor: this.actor, kind: "case", title: "Case created", detail: c.case_number, record_id: null }],
      };
      this.files.set(id, file);
    }
    return file;
  }

  private log(caseId: string | null, action: AuditAction, detail: string, at = this.moment()): void {
    this.audit.push({ seq: this.nextSeq++, case_id: caseId, action, actor: this.actor, at, detail });
  }

  private track(caseId: string, entry: Omit<TimelineEntry, "actor">): void {
    this.fileOf(caseId).timeline.push({ ...entry, actor: this.actor });
  }

  private findContact(id: string): ContactRecord {
    for (const f of this.files.values()) {
      const c = f.contacts.find((x) => x.id === id);
      if (c) return c;
    }
    throw appError("not_found", "That contact does not exist.");
  }

  private findNote(id: string): { file: CaseFile; versions: NoteVersion[] } {
    for (const file of this.files.values()) {
      const versions = file.notes.get(id);
      if (versions) return { file, versions };
    }
    throw appError("not_found", "That note does not exist.");
  }

  private findPhoto(id: string): { file: CaseFile; photo: PhotoRecord } {
    for (const file of this.files.values()) {
      const photo = file.photos.find((p) => p.id === id);
      if (photo) return { file, photo };
    }
    throw appError("not_found", "That photo does not exist.");
  }

  openCase(id: string): Promise<CaseView> {
    return this.settle(() => {
      this.requireUnlocked();
      const view = this.view(id);
      this.log(id, "case_opened", "");
      return view;
    });
  }

  /** The case view as `open_case` builds it, without recording an opening. */
  view(id: string): CaseView {
    const record = this.cases.get(id);
    if (!record) throw appError("not_found", "That case does not exist.");
    const file = this.fileOf(id);
    const current = file.contacts.filter((c) => !c.removed_at);
    const removed = file.contacts.filter((c) => c.removed_at);
    current.sort((a, b) => Number(b.fields.primary) - Number(a.fields.primary));
    const notes = [...file.notes.values()].map(noteRecordOf).sort((a, b) => (a.first_written_at < b.first_written_at ? 1 : -1));
    return structuredClone({
      record,
      contacts: [...current, ...removed],
      notes,
      status_history: file.status,
      photos: file.photos,
      photo_warning: this.photoWarning(record, file.photos),
      do_not_disclose: current.filter((c) => c.fields.do_not_disclose).map((c) => c.fields.name),
    });
  }

  private photoWarning(record: CaseRecord, photos: PhotoRecord[]): string | null {
    const dated = photos.filter((p) => p.meta.kind === "photo").map((p) => p.meta.taken_on || p.added_at.slice(0, 10)).sort();
    const newest = dated[dated.length - 1];
    if (!newest || daysApart(newest, this.today) <= 730) return null;
    const [y, m] = newest.split("-");
    const month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"][Number(m) - 1];
    return `The newest photo of ${record.fields.child.given_name} is from ${month} ${y}; ask the family for a recent one or request an age progression.`;
  }

  addContact(caseId: string, fields: ContactFields): Promise<ContactRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const file = this.fileOf(caseId);
      const clean = refuse(checkContact(fields));
      const at = this.moment();
      if (clean.primary) for (const c of file.contacts) c.fields.primary = false;
      const record: ContactRecord = { id: this.recordId(), case_id: caseId, version: 1, fields: clean, created_at: at, updated_at: at, removed_at: null, removed_reason: "" };
      file.contacts.push(record);
      this.track(caseId, { at, kind: "contact", title: `Contact added: ${clean.name} (${relationshipText(clean)})`, detail: clean.do_not_disclose ? "Do not disclose case updates to this person." : "", record_id: record.id });
      this.log(caseId, "contact_added", `contact ${record.id}`, at);
      return structuredClone(record);
    });
  }

  updateContact(id: string, version: number, fields: ContactFields): Promise<ContactRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const record = this.findContact(id);
      if (record.version !== version) throw appError("edit_conflict", "Someone changed this contact after you opened it.");
      if (record.removed_at) throw appError("validation", "This contact was removed; add them again instead.");
      const clean = refuse(checkContact(fields));
      const at = this.moment();
      if (clean.primary) for (const c of this.fileOf(record.case_id).contacts) c.fields.primary = false;
      Object.assign(record, { version: record.version + 1, fields: clean, updated_at: at });
      this.track(record.case_id, { at, kind: "contact", title: `Contact edited: ${clean.name}`, detail: "", record_id: id });
      this.log(record.case_id, "contact_edited", `contact ${id}`, at);
      return structuredClone(record);
    });
  }

  removeContact(id: string, reason: string): Promise<ContactRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const record = this.findContact(id);
      if (record.removed_at) throw appError("validation", "This contact was already removed.");
      if (!reason.trim()) throw appError("validation", "Say why the contact is being removed.", [{ field: "reason", message: "Say why the contact is being removed." }]);
      const at = this.moment();
      Object.assign(record, { version: record.version + 1, removed_at: at, removed_reason: reason.trim(), updated_at: at });
      record.fields.primary = false;
      this.track(record.case_id, { at, kind: "contact", title: `Contact removed: ${record.fields.name}`, detail: reason.trim(), record_id: id });
      this.log(record.case_id, "contact_removed", `contact ${id}`, at);
      return structuredClone(record);
    });
  }

  addNote(caseId: string, input: NoteInput): Promise<NoteRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const file = this.fileOf(caseId);
      const clean = refuse(checkNote(input));
      const at = this.moment();
      const id = this.recordId();
      file.notes.set(id, [{ note_id: id, case_id: caseId, version: 1, category: clean.category, text: clean.text, author: this.actor, at }]);
      this.track(caseId, { at, kind: "note", title: `Note added (${noteCategoryText(clean.category)})`, detail: clean.text, record_id: id });
      this.log(caseId, "note_added", `note ${id}`, at);
      return structuredClone(noteRecordOf(file.notes.get(id)!));
    });
  }

  editNote(noteId: string, version: number, input: NoteInput): Promise<NoteRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const { versions } = this.findNote(noteId);
      const current = versions[versions.length - 1];
      if (current.version !== version) throw appError("edit_conflict", "Someone edited this note after you opened it.");
      const clean = refuse(checkNote(input));
      const at = this.moment();
      versions.push({ ...current, version: current.version + 1, category: clean.category, text: clean.text, author: this.actor, at });
      this.track(current.case_id, { at, kind: "note", title: `Note edited (${noteCategoryText(clean.category)})`, detail: clean.text, record_id: noteId });
      this.log(current.case_id, "note_edited", `note ${noteId} version ${current.version + 1}`, at);
      return structuredClone(noteRecordOf(versions));
    });
  }

  noteHistory(noteId: string): Promise<NoteVersion[]> {
    return this.settle(() => {
      this.requireUnlocked();
      return structuredClone(this.findNote(noteId).versions);
    });
  }

  changeStatus(caseId: string, change: StatusChange): Promise<StatusEvent> {
    return this.settle(() => {
      this.requireUnlocked();
      const c = this.cases.get(caseId);
      if (!c) throw appError("not_found", "That case does not exist.");
      const file = this.fileOf(caseId);
      const from = file.status[file.status.length - 1].to;
      const clean = refuse(checkStatusChange(from, change));
      const at = this.moment();
      const event: StatusEvent = { seq: this.nextSeq++, case_id: caseId, from, to: clean.to, reason: clean.reason, outcome: clean.outcome, actor: this.actor, at };
      file.status.push(event);
      this.cases.set(caseId, { ...c, status: clean.to, version: c.version + 1, updated_at: at });
      this.sorted = null;
      this.track(caseId, { at, kind: "status", title: `Status: ${statusText(from)} → ${statusText(clean.to)}`, detail: clean.reason, record_id: null });
      this.log(caseId, "status_changed", `${from} -> ${clean.to}`, at);
      return structuredClone(event);
    });
  }

  caseTimeline(caseId: string, kinds: TimelineKind[]): Promise<TimelineEntry[]> {
    return this.settle(() => {
      this.requireUnlocked();
      const all = this.fileOf(caseId).timeline;
      const picked = kinds.length === 0 ? all : all.filter((e) => kinds.includes(e.kind));
      // Newest first; entries at the same moment keep the order they happened in, reversed.
      const order = [...picked].map((e, i) => ({ e, i }));
      order.sort((a, b) => (a.e.at === b.e.at ? b.i - a.i : a.e.at < b.e.at ? 1 : -1));
      return structuredClone(order.map((x) => x.e));
    });
  }

  caseAudit(caseId: string): Promise<AuditEntry[]> {
    return this.settle(() => {
      this.requireUnlocked();
      if (!this.cases.has(caseId)) throw appError("not_found", "That case does not exist.");
      return structuredClone(this.audit.filter((a) => a.case_id === caseId).reverse());
    });
  }

  pickPhotoFiles(): Promise<string[]> {
    return this.settle(() => {
      const picked = this.nextPick;
      this.nextPick = [];
      return picked;
    });
  }

  addPhotoFromPath(caseId: string, path: string, meta: PhotoMeta): Promise<PhotoRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const file = this.disk.get(path);
      const name = path.split(/[\\/]/).pop() ?? path;
      if (!file) throw appError("not_found", `${name}: there is no file at ${path}.`);
      return this.storePhoto(caseId, name, file, meta);
    });
  }

  addPhotoBytes(caseId: string, fileName: string, dataBase64: string, meta: PhotoMeta): Promise<PhotoRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.storePhoto(caseId, fileName, { bytes: fromBase64(dataBase64) }, meta);
    });
  }

  /** Sniffs the type from the bytes as the store does; drawn files are taken as they are. */
  private storePhoto(caseId: string, name: string, source: DiskFile, meta: PhotoMeta): PhotoRecord {
    const file = this.fileOf(caseId);
    const clean = refuse(checkPhotoMeta(meta, this.today));
    let stored: { url: string; mime: string; width: number; height: number; size: number };
    let sha: string;
    if ("bytes" in source) {
      const { bytes } = source;
      if (bytes.length > 25 * 1024 * 1024) throw appError("validation", `${name} is larger than 25 MB; choose a smaller copy of the photo.`);
      const mime = sniff(bytes);
      if (!mime) throw appError("validation", `${name} is not a JPEG, PNG or WebP image; save it in one of those formats and add it again.`);
      if (bytes.length < 64) throw appError("validation", `${name} is damaged and cannot be read as an image; try another copy.`);
      sha = fingerprint(bytes);
      stored = { url: `data:${mime};base64,${toBase64(bytes)}`, mime, width: 640, height: 800, size: bytes.length };
    } else {
      sha = fingerprint(new TextEncoder().encode(source.url));
      stored = { url: source.url, mime: "image/jpeg", width: 600, height: 750, size: source.url.length };
    }
    // Content-addressed: the same bytes are stored once, however often they are added.
    if (!this.photoStore.has(sha)) this.photoStore.set(sha, stored);
    const at = this.moment();
    const record: PhotoRecord = {
      id: this.recordId(),
      case_id: caseId,
      sha256: sha,
      mime: stored.mime,
      width: stored.width,
      height: stored.height,
      size_bytes: stored.size,
      meta: { ...clean, taken_on: clean.taken_on || ("taken_on" in source ? (source.taken_on ?? "") : "") },
      is_primary: file.photos.length === 0,
      added_at: at,
      added_by: this.actor,
    };
    file.photos.push(record);
    this.track(caseId, { at, kind: "photo", title: `Photo added: ${photoKindText(record.meta)}`, detail: name, record_id: record.id });
    this.log(caseId, "photo_added", `photo ${record.id} sha256 ${sha.slice(0, 12)}`, at);
    this.sorted = null;
    return structuredClone(record);
  }

  updatePhoto(id: string, meta: PhotoMeta): Promise<PhotoRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const { photo } = this.findPhoto(id);
      photo.meta = refuse(checkPhotoMeta(meta, this.today));
      const at = this.moment();
      this.track(photo.case_id, { at, kind: "photo", title: `Photo details edited: ${photoKindText(photo.meta)}`, detail: "", record_id: id });
      this.log(photo.case_id, "photo_edited", `photo ${id}`, at);
      return structuredClone(photo);
    });
  }

  setPrimaryPhoto(id: string): Promise<PhotoRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const { file, photo } = this.findPhoto(id);
      for (const p of file.photos) p.is_primary = p.id === id;
      this.log(photo.case_id, "photo_edited", `photo ${id} primary`);
      return structuredClone(photo);
    });
  }

  photoThumbnail(id: string): Promise<string> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.photoStore.get(this.findPhoto(id).photo.sha256)!.url;
    });
  }

  photoImage(id: string): Promise<string> {
    return this.settle(() => {
      this.requireUnlocked();
      const { photo } = this.findPhoto(id);
      this.log(photo.case_id, "photo_viewed", `photo ${id}`);
      return this.photoStore.get(photo.sha256)!.url;
    });
  }

  searchCases(query: SearchQuery): Promise<SearchResults> {
    return this.settle(() => {
      this.requireUnlocked();
      const words = queryWords(query.text);
      const limit = Math.min(query.limit || 50, 200);
      const hits: Array<SearchHit & { score: number }> = [];
      let matched = 0;
      for (const c of this.cases.values()) {
        if (!query.include_archived && c.archived_at) continue;
        if (query.status && c.status !== query.status) continue;
        if (query.case_type && c.fields.case_type !== query.case_type) continue;
        if (query.state && c.fields.event.state !== query.state) continue;
        if (query.missing_from_care !== null && c.fields.missing_from_care !== query.missing_from_care) continue;
        if (query.age_min !== null || query.age_max !== null) {
          const age = this.ageToday(c);
          if (age === null || (query.age_min !== null && age < query.age_min) || (query.age_max !== null && age > query.age_max)) continue;
        }
        if (query.has_photo !== null && (this.files.get(c.id)?.photos.length ?? 0) > 0 !== query.has_photo) continue;
        let hit: SearchHit & { score: number };
        if (words.length === 0) {
          hit = { case: summaryOf(c), matched_in: "", snippet: [], score: 0 };
        } else {
          const m = matchCase(this.searchFields(c), words);
          if (!m) continue;
          hit = { case: summaryOf(c), matched_in: m.label, snippet: m.snippet, score: m.score };
        }
        matched++;
        hits.push(hit);
      }
      hits.sort((a, b) => b.score - a.score || (a.case.missing_date < b.case.missing_date ? 1 : -1));
      return { hits: hits.slice(0, limit).map(({ score: _, ...h }) => h), more: matched > limit, indexing: 0 };
    });
  }

  private ageToday(c: CaseRecord): number | null {
    const born = c.fields.child.date_of_birth;
    if (!born) return c.fields.child.estimated_age;
    let age = Number(this.today.slice(0, 4)) - Number(born.slice(0, 4));
    if (this.today.slice(5) < born.slice(5)) age -= 1;
    return age;
  }

  private searchFields(c: CaseRecord): SearchField[] {
    const f = c.fields;
    const file = this.files.get(c.id);
    const out: SearchField[] = [
      { label: "Name", text: [f.child.given_name, f.child.middle_name, f.child.family_name].filter(Boolean).join(" "), weight: 9 },
      { label: "Nickname", text: f.child.nicknames, weight: 8 },
      { label: "Case number", text: c.case_number, weight: 7 },
      { label: "Agency case number", text: f.law_enforcement.agency_case_number, weight: 7 },
      { label: "NCIC number", text: f.law_enforcement.ncic_number, weight: 7 },
      { label: "Place", text: [f.event.address, f.event.city, f.event.county, f.event.state].filter(Boolean).join(", "), weight: 5 },
      { label: "Circumstances", text: f.event.circumstances, weight: 3 },
    ];
    if (file) {
      for (const c2 of file.contacts) if (!c2.removed_at) out.push({ label: "Contact", text: c2.fields.name, weight: 4 });
      for (const versions of file.notes.values()) out.push({ label: "Note", text: versions[versions.length - 1].text, weight: 2 });
    }
    return out;
  }

  findDuplicates(fields: CaseFields, exclude: string | null): Promise<DuplicateCandidate[]> {
    return this.settle(() => {
      this.requireUnlocked();
      const me = fields.child;
      const out: DuplicateCandidate[] = [];
      if (!me.given_name.trim() || !me.family_name.trim()) return out;
      for (const c of this.cases.values()) {
        if (c.id === exclude) continue;
        const other = c.fields.child;
        if (!similarNames(me.given_name, me.family_name, other.given_name, other.family_name)) continue;
        if (!me.date_of_birth || !other.date_of_birth || daysApart(me.date_of_birth, other.date_of_birth) > 366) continue;
        if (!fields.event.state || fields.event.state !== c.fields.event.state) continue;
        const same = me.date_of_birth === other.date_of_birth;
        out.push({
          case: summaryOf(c),
          reasons: [
            `Name sounds like ${other.given_name} ${other.family_name}`,
            same ? "Same date of birth" : "Born within a year",
            `Same state (${c.fields.event.state})`,
          ],
        });
      }
      return out.slice(0, 5);
    });
  }

  // Posters: the desk in ../posters/fakePosters.ts makes and records them; these are the commands.

  /** Save and folder dialog answers, bulk pace and the poster records; tests set and read them here. */
  readonly posterDesk = new FakePosterDesk(this, (caseId, detail, at) => this.log(caseId, "poster_produced", detail, at));

  renderPoster(caseIds: string[], options: PosterOptions): Promise<string> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.render(caseIds, options);
    });
  }

  savePoster(caseIds: string[], options: PosterOptions): Promise<string | null> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.save(caseIds, options);
    });
  }

  savePosterTo(caseIds: string[], options: PosterOptions, path: string): Promise<PosterRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.saveTo(caseIds, options, path);
    });
  }

  printPoster(caseIds: string[], options: PosterOptions): Promise<string> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.print(caseIds, options);
    });
  }

  startBulkPosters(caseIds: string[], options: PosterOptions, perCase: boolean, directory: string | null): Promise<string | null> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.startBulk(caseIds, options, perCase, directory);
    });
  }

  bulkProgress(job: string): Promise<BulkProgress> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.progress(job);
    });
  }

  cancelBulk(job: string): Promise<void> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.cancel(job);
    });
  }

  casePosters(caseId: string): Promise<PosterRecord[]> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.posterDesk.forCase(caseId);
    });
  }

  // Sync: the desk in ../sync/fakeSync.ts imagines the central service; these are the commands.

  /** The enrolment, the service's reachability, conflicts and refusals; tests set and read them here. */
  readonly syncDesk = new FakeSyncDesk(this);

  syncStatus(): Promise<SyncStatus> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.syncDesk.status();
    });
  }

  enrolDevice(form: EnrolForm): Promise<SyncStatus> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.syncDesk.enrol(form);
    });
  }

  syncNow(): Promise<SyncStatus> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.syncDesk.sync();
    });
  }

  listConflicts(caseId: string | null): Promise<ConflictView[]> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.syncDesk.listConflicts(caseId);
    });
  }

  resolveConflict(id: string, resolution: ConflictResolution): Promise<SyncStatus> {
    return this.settle(() => {
      this.requireUnlocked();
      const status = this.syncDesk.resolve(id, resolution);
      this.sorted = null;
      return status;
    });
  }

  listRejected(): Promise<RejectedChange[]> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.syncDesk.listRejected();
    });
  }

  dismissRejected(opId: string): Promise<SyncStatus> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.syncDesk.dismiss(opId);
    });
  }

  leaveSync(): Promise<SyncStatus> {
    return this.settle(() => {
      this.requireUnlocked();
      return this.syncDesk.leave();
    });
  }

  onSyncStatus(listener: (status: SyncStatus) => void): Promise<() => void> {
    return Promise.resolve(this.syncDesk.onStatus(listener));
  }

  onWorkspaceRemoved(listener: (message: string) => void): Promise<() => void> {
    return Promise.resolve(this.syncDesk.onRemoved(listener));
  }

  /** Adds a contact, note or photo straight into a case, skipping checks: for seeding fixtures. */
  seedContact(caseId: string, fields: ContactFields, at: string): ContactRecord {
    const record: ContactRecord = { id: this.recordId(), case_id: caseId, version: 1, fields: structuredClone(fields), created_at: at, updated_at: at, removed_at: null, removed_reason: "" };
    this.fileOf(caseId).contacts.push(record);
    this.track(caseId, { at, kind: "contact", title: `Contact added: ${fields.name} (${relationshipText(fields)})`, detail: "", record_id: record.id });
    return record;
  }

  seedNote(caseId: string, category: NoteCategory, texts: string[], at: string): string {
    const id = this.recordId();
    const t0 = Date.parse(at);
    const versions = texts.map((text, i) => ({ note_id: id, case_id: caseId, version: i + 1, category, text, author: i === 0 ? "Jordan Ellis" : this.actor, at: new Date(t0 + i * 3_600_000).toISOString().replace(".000Z", "Z") }));
    this.fileOf(caseId).notes.set(id, versions);
    this.track(caseId, { at, kind: "note", title: `Note added (${noteCategoryText(category)})`, detail: texts[0], record_id: id });
    return id;
  }

  seedStatus(caseId: string, to: CaseStatus, reason: string, at: string, outcome: Outcome | null = null): void {
    const file = this.fileOf(caseId);
    const from = file.status[file.status.length - 1].to;
    file.status.push({ seq: this.nextSeq++, case_id: caseId, from, to, reason, outcome, actor: this.actor, at });
    this.cases.set(caseId, { ...this.cases.get(caseId)!, status: to });
    this.track(caseId, { at, kind: "status", title: `Status: ${statusText(from)} → ${statusText(to)}`, detail: reason, record_id: null });
    this.sorted = null;
  }

  seedPhoto(caseId: string, url: string, meta: PhotoMeta, at: string): PhotoRecord {
    const sha = fingerprint(new TextEncoder().encode(url));
    this.photoStore.set(sha, { url, mime: "image/jpeg", width: 600, height: 750, size: 48_000 });
    const file = this.fileOf(caseId);
    const record: PhotoRecord = { id: this.recordId(), case_id: caseId, sha256: sha, mime: "image/jpeg", width: 600, height: 750, size_bytes: 48_000, meta: structuredClone(meta), is_primary: file.photos.length === 0, added_at: at, added_by: this.actor };
    file.photos.push(record);
    this.track(caseId, { at, kind: "photo", title: `Photo added: ${photoKindText(meta)}`, detail: "", record_id: record.id });
    return record;
  }

  /** Stores a case as given, skipping validation: for seeding fixtures. */
  insert(fields: CaseFields, status: CaseStatus, at: string, archived = false): CaseRecord {
    const n = this.nextNumber++;
    const record: CaseRecord = {
      id: `0190${n.toString(16).padStart(8, "0")}-0000-7000-8000-000000000000`,
      case_number: `PL-2026-${String(n).padStart(6, "0")}`,
      status,
      version: 1,
      created_at: at,
      updated_at: at,
      archived_at: archived ? at : null,
      fields: structuredClone(fields),
    };
    this.cases.set(record.id, record);
    this.sorted = null;
    return record;
  }
}

/** What the fake keeps per case beside the case record. */
interface CaseFile {
  contacts: ContactRecord[];
  /** Every version of each note, oldest first, by note id. */
  notes: Map<string, NoteVersion[]>;
  status: StatusEvent[];
  photos: PhotoRecord[];
  /** Oldest first; reversed when asked for. */
  timeline: TimelineEntry[];
}

/** A file on the fake's disk: real bytes, or a drawn image with the date its EXIF would carry. */
export type DiskFile = { bytes: Uint8Array } | { url: string; taken_on?: string };

/** The form sections an edit touched, e.g. "Changed: child, the event". */
function changedSections(before: CaseFields, after: CaseFields): string {
  const names: Record<string, string> = { child: "child", description: "description", event: "the event", companions: "companions", vehicles: "vehicles", law_enforcement: "law enforcement" };
  const changed = Object.keys(names).filter((k) => JSON.stringify(before[k as keyof CaseFields]) !== JSON.stringify(after[k as keyof CaseFields]));
  const rest = (["case_type", "ncic_category", "missing_from_care", "care_agency", "amber_alert", "amber_alert_issued_at"] as const).some((k) => before[k] !== after[k]);
  const list = [...changed.map((k) => names[k]), ...(rest ? ["classification"] : [])];
  return list.length ? `Changed: ${list.join(", ")}` : "";
}

function refuse<T>([clean, errors]: [T, FieldError[]]): T {
  if (errors.length > 0) {
    const message = errors.length === 1 ? errors[0].message : `${errors.length} fields need attention before this can be saved.`;
    throw appError("validation", message, errors);
  }
  return clean;
}

function noteRecordOf(versions: NoteVersion[]): NoteRecord {
  return { current: versions[versions.length - 1], first_written_at: versions[0].at, first_author: versions[0].author, versions: versions.length };
}

function relationshipText(f: ContactFields): string {
  if (f.relationship === "other") return f.relationship_detail || "other";
  return relationshipLabel(f.relationship).toLowerCase();
}

const noteCategoryText = (c: NoteCategory) => noteCategoryLabel(c);
const statusText = (s: CaseStatus) => statusLabel(s);
const photoKindText = (m: PhotoMeta) => photoKindLabel(m.kind, m.age_progressed_to);

/** The contact checks of `ContactFields::validate`, enough to exercise the dialog. */
function checkContact(fields: ContactFields): [ContactFields, FieldError[]] {
  const f = structuredClone(fields);
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  f.name = f.name.trim().replace(/\s+/g, " ");
  if (!f.name) fail("name", "Enter a name.");
  else if (/[0-9<>]/.test(f.name)) fail("name", "A name may hold letters, spaces, hyphens, apostrophes and periods.");
  if (!f.relationship) fail("relationship", "Choose how this person is related to the child.");
  if (f.relationship === "other" && !f.relationship_detail.trim()) fail("relationship_detail", "Say how this person is related, e.g. aunt or caseworker.");
  const phones: string[] = [];
  f.phones.forEach((p) => {
    if (p.trim() === "") return;
    const i = phones.length;
    phones.push(p);
    const digits = p.replace(/\D/g, "");
    const national = digits.length === 11 && digits.startsWith("1") ? digits.slice(1) : digits;
    if (/[^\d\s\-.()+]/.test(p)) fail(`phones.${i}`, "Write the number as (555) 201-4477 or +44 20 7946 0958.");
    else if (national.length !== 10) fail(`phones.${i}`, "A US phone number has 10 digits, e.g. (555) 201-4477; start an international number with +.");
    else phones[i] = `(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`;
  });
  f.phones = phones;
  f.email = f.email.trim();
  if (f.email && !/^[^\s@<>]+@[^\s@<>.]+(\.[^\s@<>.]+)+$/.test(f.email)) fail("email", "Write the email as name@example.org.");
  if (f.phones.length === 0 && !f.email && !f.address.trim()) fail("phones.0", "Give at least one way to reach this person: a phone, an email or an address.");
  return [f, errors];
}

function checkNote(input: NoteInput): [NoteInput, FieldError[]] {
  const text = input.text.trim();
  return [{ category: input.category, text }, text ? [] : [{ field: "text", message: "Write the note before saving it." }]];
}

/** `StatusChange::validate`, with the moves of `STATUS_NEXT`. */
function checkStatusChange(from: CaseStatus, change: StatusChange): [StatusChange, FieldError[]] {
  const errors: FieldError[] = [];
  const allowed = STATUS_NEXT[from];
  if (change.to === from) errors.push({ field: "to", message: `The case is already ${statusLabel(from)}.` });
  else if (!allowed.includes(change.to)) {
    errors.push({ field: "to", message: `A case cannot go from ${statusLabel(from)} to ${statusLabel(change.to)}; from ${statusLabel(from)} it can go to ${allowed.map(statusLabel).join(", ")}.` });
  }
  const reason = change.reason.trim();
  if (!reason) errors.push({ field: "reason", message: "Say why the status is changing." });
  if (change.to === "resolved" && !change.outcome) errors.push({ field: "outcome", message: "Choose how the case was resolved." });
  if (change.to !== "resolved" && change.outcome) errors.push({ field: "outcome", message: "An outcome is recorded only when resolving a case." });
  return [{ to: change.to, reason, outcome: change.outcome }, errors];
}

function checkPhotoMeta(meta: PhotoMeta, today: string): [PhotoMeta, FieldError[]] {
  const m = structuredClone(meta);
  const errors: FieldError[] = [];
  if (!m.kind) errors.push({ field: "kind", message: "Say what the photo shows." });
  else if (m.kind === "age_progressed") {
    if (m.age_progressed_to === null) errors.push({ field: "age_progressed_to", message: "Enter the age the image was progressed to." });
  } else m.age_progressed_to = null;
  m.taken_on = m.taken_on.trim();
  if (m.taken_on && !/^\d{4}-\d{2}-\d{2}$/.test(m.taken_on)) errors.push({ field: "taken_on", message: "Use YYYY-MM-DD, e.g. 2025-06-01." });
  else if (m.taken_on > today) errors.push({ field: "taken_on", message: "The date taken is in the future; check it." });
  if (m.child_age !== null && m.child_age > 25) errors.push({ field: "child_age", message: "Enter the child's age in the photo, 0 to 25." });
  m.source = m.source.trim().replace(/\s+/g, " ");
  return [m, errors];
}

/** The image type the first bytes announce, as the store sniffs it; null for anything else. */
function sniff(b: Uint8Array): string | null {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  const ascii = (from: number, to: number) => String.fromCharCode(...b.slice(from, to));
  if (b.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return null;
}

/** A stable 64-hex-digit fingerprint standing in for SHA-256; the fake needs identity, not security. */
function fingerprint(bytes: Uint8Array): string {
  let out = "";
  for (let round = 0; round < 8; round++) {
    let h = (0x811c9dc5 ^ round) >>> 0;
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(data: string): Uint8Array {
  const s = atob(data);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function matchesPrefix(c: CaseRecord, search: string): boolean {
  const { given_name, family_name } = c.fields.child;
  return (
    given_name.toLowerCase().startsWith(search) ||
    family_name.toLowerCase().startsWith(search) ||
    c.case_number.toLowerCase().startsWith(search)
  );
}

function sortKey(sort: ListQuery["sort"]): (c: CaseRecord) => string {
  switch (sort) {
    case "name":
      return (c) => `${c.fields.child.family_name.toLowerCase()}\u0000${c.fields.child.given_name.toLowerCase()}`;
    case "case_number":
      return (c) => c.case_number;
    case "missing_date":
      return (c) => c.fields.event.last_seen_date;
    case "status":
      return (c) => c.status;
    case "state":
      return (c) => c.fields.event.state;
    case "case_type":
      return (c) => c.fields.case_type ?? "";
    case "updated_at":
      return (c) => c.updated_at;
  }
}

export function summaryOf(c: CaseRecord): CaseSummary {
  const f = c.fields;
  return {
    id: c.id,
    case_number: c.case_number,
    given_name: f.child.given_name,
    family_name: f.child.family_name,
    status: c.status,
    case_type: f.case_type ?? "LIM",
    state: f.event.state || null,
    city: f.event.city,
    missing_date: f.event.last_seen_date,
    date_of_birth: f.child.date_of_birth || null,
    missing_from_care: f.missing_from_care,
    archived: c.archived_at !== null,
    updated_at: c.updated_at,
  };
}

// Synthetic cases for looking at the UI. Invented names drawn from short lists; never real
// people. A fixed seed gives the same workspace every time.

const GIVEN = ["Maya", "Liam", "Ava", "Noah", "Zoe", "Elijah", "Aria", "Mateo", "Nora", "Caleb", "Leah", "Jonah", "Iris", "Owen", "Ruby", "Ezra", "Hazel", "Milo", "Ivy", "Silas", "Jada", "Andre", "Luz", "Tariq", "Mei", "Dakota", "Priya", "Kofi", "Sofia", "Wren"];
const FAMILY = ["Okafor", "Bennett", "Alvarez", "Nguyen", "Hollis", "Carver", "Dube", "Marsh", "Quinlan", "Reyes", "Sato", "Whitfield", "Abara", "Lindqvist", "Moreau", "Castillo", "Pruitt", "Haddad", "Yazzie", "Kowalski", "Fenwick", "Osei", "Brandt", "Solano", "Tran", "Oduya", "Larkin", "Vance", "Ibarra", "Greer"];
const CITIES: Array<[string, string]> = [["Tulsa", "OK"], ["Fresno", "CA"], ["Dayton", "OH"], ["Boise", "ID"], ["Mobile", "AL"], ["Spokane", "WA"], ["Toledo", "OH"], ["Laredo", "TX"], ["Macon", "GA"], ["Provo", "UT"], ["Akron", "OH"], ["Tacoma", "WA"], ["Reno", "NV"], ["Lansing", "MI"], ["Duluth", "MN"], ["Flint", "MI"], ["Yuma", "AZ"], ["Ogden", "UT"], ["Erie", "PA"], ["Gary", "IN"]];
const TYPES: CaseType[] = ["ERU", "ERU", "ERU", "ERU", "FA", "FA", "NFA", "LIM", "CMYA"];
const STATUSES: CaseStatus[] = ["active", "active", "active", "intake", "resolved", "resolved", "recovered", "located_alive", "closed"];
const SEXES: Sex[] = ["F", "M", "F", "M", "X"];
const RACES: Race[] = ["W", "B", "A", "I", "U"];

/** A small, seeded pseudo-random generator (mulberry32), so seeded workspaces are reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `fake` with `count` synthetic cases. */
export function seedFake(fake: FakeBackend, count: number, seed = 7): void {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const pad = (n: number) => String(n).padStart(2, "0");
  for (let i = 0; i < count; i++) {
    const year = 2019 + Math.floor(r() * 8);
    const month = 1 + Math.floor(r() * (year === 2026 ? 10 : 12));
    const day = 1 + Math.floor(r() * 28);
    const missing = `${year}-${pad(month)}-${pad(day)}`;
    const type = pick(TYPES);
    const age = type === "CMYA" ? 18 + Math.floor(r() * 3) : 6 + Math.floor(r() * 12);
    const born = `${year - age - 1}-${pad(1 + Math.floor(r() * 12))}-${pad(1 + Math.floor(r() * 28))}`;
    const [city, state] = pick(CITIES);
    const fields: CaseFields = {
      case_type: type,
      ncic_category: type === "ERU" ? "EMJ" : type === "NFA" || type === "FA" ? "EMI" : "EME",
      missing_from_care: r() < 0.3,
      care_agency: "",
      amber_alert: false,
      amber_alert_issued_at: "",
      child: { given_name: pick(GIVEN), middle_name: "", family_name: pick(FAMILY), nicknames: "", date_of_birth: born, estimated_age: null, sex: pick(SEXES), race: pick(RACES), hispanic_latino: r() < 0.3 },
      description: { height_cm: 120 + Math.round(r() * 60), weight_kg: 25 + Math.round(r() * 45), units: "imperial", hair: "BRO", eyes: "BRO", skin: "MED", scars_marks_tattoos: "", glasses: false, braces: false, clothing: "", medical_cautions: "" },
      event: { last_seen_date: missing, last_seen_time: "", address: "", city, county: "", state, country: "US", possible_destinations: "", circumstances: "" },
      companions: [],
      vehicles: [],
      law_enforcement: { agency_name: `${city} Police Department`, ori: "", agency_case_number: "", investigator_name: "", investigator_phone: `(555) 201-${String(1000 + (i % 9000)).padStart(4, "0")}`, ncic_number: "" },
    };
    if (fields.missing_from_care) fields.care_agency = `${US_STATES.find((s) => s.code === state)?.label ?? state} Department of Children's Services`;
    fake.insert(fields, pick(STATUSES), `${missing}T09:00:00Z`, r() < 0.02);
  }
}
