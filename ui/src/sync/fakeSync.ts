//! The sync commands of the fake backend: an imagined central service that enrols a device,
//! answers or stays silent, and a workspace's conflicts and refused changes that tests and the
//! browser preview set up. It imitates the wire contract (the status, the error codes, field
//! errors named after `EnrolForm`'s fields) so the status bar, the enrol dialog and the inbox can
//! be tried without Rust; the protocol, merging and the real wording belong to the Rust crates.

import type { AppError } from "../lib/bindings/AppError";
import type { CaseStatus } from "../lib/bindings/CaseStatus";
import type { ConflictResolution } from "../lib/bindings/ConflictResolution";
import type { ConflictView } from "../lib/bindings/ConflictView";
import type { EnrolForm } from "../lib/bindings/EnrolForm";
import type { FieldError } from "../lib/bindings/FieldError";
import type { RejectedChange } from "../lib/bindings/RejectedChange";
import type { SyncProgress } from "../lib/bindings/SyncProgress";
import type { SyncStatus } from "../lib/bindings/SyncStatus";
import type { FakeBackend } from "../lib/fakeBackend";

/** An account the imagined service knows. */
export interface FakeAccount {
  username: string;
  password: string;
  display_name: string;
  role: string;
  /** The code its authenticator shows now; accounts without one log in with a password alone. */
  totp?: string;
}

interface Identity {
  server: string;
  user: string;
  role: string;
}

function fail(code: AppError["code"], message: string, fields: FieldError[] = []): AppError {
  return { code, message, fields };
}

export class FakeSyncDesk {
  /** The service answers; false imitates a laptop on a train. */
  reachable = true;
  accounts: FakeAccount[] = [
    { username: "dana", password: "correct horse battery", display_name: "Dana Whitaker", role: "case_manager" },
    { username: "sam", password: "correct horse battery", display_name: "Sam Ortiz", role: "supervisor", totp: "123456" },
  ];
  identity: Identity | null = null;
  online = false;
  syncing = false;
  lastSyncAt: string | null = null;
  lastError: string | null = null;
  /** How far the sync under way has come, while `syncing`; tests and the preview set it. */
  progress: SyncProgress | null = null;
  /** Local changes not yet pushed; local writes of the fake do not count them, tests set it. */
  pending = 0;
  conflicts: ConflictView[] = [];
  rejected: RejectedChange[] = [];
  /** What the next sync brings: conflicts that appear, as if pulled. */
  incoming: ConflictView[] = [];
  /** The clock of sync times; tests fix it. */
  now: () => Date = () => new Date();
  private statusListeners = new Set<(s: SyncStatus) => void>();
  private removedListeners = new Set<(m: string) => void>();
  private nextOp = 1;
  /** Numbers each status as Rust does, in the order it is read. */
  private version = 0;

  constructor(private readonly fake: FakeBackend) {}

  status(): SyncStatus {
    return {
      enrolled: this.identity !== null,
      server: this.identity?.server ?? null,
      user: this.identity?.user ?? null,
      role: this.identity?.role ?? null,
      online: this.online,
      syncing: this.syncing,
      last_sync_at: this.lastSyncAt,
      last_error: this.lastError,
      pending: this.pending,
      conflicts: this.conflicts.length,
      rejected: this.rejected.length,
      progress: this.syncing ? this.progress : null,
      version: ++this.version,
    };
  }

  /** Enrolled as `username` of the first account, as after a good enrolment. */
  enrolAs(server = "https://sync.porchlight.example", username = "dana"): void {
    const account = this.accounts.find((a) => a.username === username) ?? this.accounts[0];
    this.identity = { server, user: `${account.display_name} (${account.username})`, role: account.role };
  }

  enrol(form: EnrolForm): SyncStatus {
    const errors: FieldError[] = [];
    const server = form.server_url.trim();
    if (!server) errors.push({ field: "server_url", message: "Enter the address of your organisation's sync service, e.g. https://sync.example.org." });
    else if (!/^https?:\/\/[^\s/]+/.test(server)) errors.push({ field: "server_url", message: `"${server}" is not a web address; start it with https://, e.g. https://sync.example.org.` });
    if (!form.username.trim()) errors.push({ field: "username", message: "Enter your user name on the sync service." });
    if (!form.password) errors.push({ field: "password", message: "Enter your password." });
    if (!form.device_name.trim()) errors.push({ field: "device_name", message: "Name this computer, e.g. Field laptop 3, so administrators can tell it apart." });
    if (errors.length > 0) {
      throw fail("validation", errors.length === 1 ? errors[0].message : `${errors.length} fields need attention.`, errors);
    }
    if (!this.reachable) {
      throw fail("service_unreachable", `No answer from ${server}; check the address and this computer's connection, then try again.`, [
        { field: "server_url", message: `No answer from ${server}; check the address.` },
      ]);
    }
    const account = this.accounts.find((a) => a.username === form.username.trim());
    if (!account || account.password !== form.password) {
      throw fail("service_refused", "That user name and password do not match an account on this service.", [
        { field: "password", message: "That user name and password do not match; check both and try again." },
      ]);
    }
    if (account.totp && !form.totp.trim()) {
      throw fail("service_refused", "This account needs the six-digit code from its authenticator app.", [
        { field: "totp", message: "Enter the six-digit code from your authenticator app." },
      ]);
    }
    if (account.totp && form.totp.trim() !== account.totp) {
      throw fail("service_refused", "That code is not the current one.", [
        { field: "totp", message: "That code is not the current one; enter the code your authenticator shows now." },
      ]);
    }
    this.identity = { server, user: `${account.display_name} (${account.username})`, role: account.role };
    this.online = true;
    this.lastError = null;
    return this.sync();
  }

  /** One sync attempt of the imagined engine. */
  sync(): SyncStatus {
    if (!this.identity) throw fail("not_enrolled", "This device is not enrolled with a sync service; enrol it first.");
    if (!this.reachable) {
      this.online = false;
      this.lastError = `No answer from ${this.identity.server}; your changes are kept here and sync when the connection is back.`;
    } else {
      this.online = true;
      this.lastError = null;
      this.pending = 0;
      this.lastSyncAt = this.now().toISOString();
      this.conflicts.push(...this.incoming.splice(0));
    }
    return this.emit();
  }

  /** Tells the listeners, as `src-tauri` emits `sync-status` after each attempt. */
  emit(): SyncStatus {
    const status = this.status();
    for (const l of this.statusListeners) l(structuredClone(status));
    return status;
  }

  listConflicts(caseId: string | null): ConflictView[] {
    this.requireEnrolled();
    return structuredClone(this.conflicts.filter((c) => caseId === null || c.case_id === caseId));
  }

  resolve(id: string, resolution: ConflictResolution): SyncStatus {
    this.requireEnrolled();
    const conflict = this.conflicts.find((c) => c.id === id);
    if (!conflict) throw fail("not_found", "That conflict was already resolved.");
    let raw: string;
    if (resolution.choice === "keep_mine") raw = conflict.mine.raw;
    else if (resolution.choice === "keep_theirs") raw = conflict.theirs.raw;
    else {
      try {
        JSON.parse(resolution.value);
      } catch {
        throw fail("validation", `The new ${conflict.field_label.toLowerCase()} could not be read; type it again.`, [{ field: "value", message: "Type the value again." }]);
      }
      raw = resolution.value;
    }
    this.apply(conflict, JSON.parse(raw));
    this.conflicts = this.conflicts.filter((c) => c.id !== id);
    // The resolution is itself a change that waits for the service.
    this.pending++;
    return this.emit();
  }

  /** Writes the chosen value into the fake's case, so the case view shows it. */
  private apply(conflict: ConflictView, value: unknown): void {
    const record = this.fake.cases.get(conflict.case_id);
    if (!record) return;
    if (conflict.field === "status") {
      this.fake.cases.set(record.id, { ...record, status: value as CaseStatus });
      return;
    }
    const fields = structuredClone(record.fields) as unknown as Record<string, unknown>;
    const path = conflict.field.split(".");
    let at: Record<string, unknown> = fields;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
    at[path[path.length - 1]] = value;
    this.fake.cases.set(record.id, { ...record, version: record.version + 1, fields: fields as unknown as typeof record.fields });
  }

  listRejected(): RejectedChange[] {
    this.requireEnrolled();
    return structuredClone(this.rejected);
  }

  dismiss(opId: string): SyncStatus {
    this.requireEnrolled();
    if (!this.rejected.some((r) => r.op_id === opId)) throw fail("not_found", "That refused change was already dismissed.");
    this.rejected = this.rejected.filter((r) => r.op_id !== opId);
    return this.emit();
  }

  leave(): SyncStatus {
    this.identity = null;
    this.online = false;
    this.lastError = null;
    this.lastSyncAt = null;
    return this.emit();
  }

  onStatus(listener: (s: SyncStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onRemoved(listener: (m: string) => void): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  /** The organisation wiped this device: the workspace is gone, as `src-tauri` does it. */
  wipe(): void {
    this.fake.exists = false;
    this.fake.unlocked = false;
    this.fake.cases.clear();
    this.identity = null;
    this.conflicts = [];
    this.rejected = [];
    const message = "Your organisation removed this computer's workspace. Create a new workspace to start again.";
    for (const l of this.removedListeners) l(message);
  }

  /** A conflict on `field` of a case of the fake, for tests and the preview. */
  conflictOn(caseId: string, field: string, label: string, mine: [unknown, string], theirs: [unknown, string], inForce: "mine" | "theirs" = "theirs"): ConflictView {
    const record = this.fake.cases.get(caseId);
    if (!record) throw new Error(`no case ${caseId} in the fake`);
    const at = this.now().getTime();
    const conflict: ConflictView = {
      id: `k-${this.nextOp++}`,
      case_id: caseId,
      case_number: record.case_number,
      child_name: `${record.fields.child.given_name} ${record.fields.child.family_name}`,
      field,
      field_label: label,
      mine: { display: mine[1], raw: JSON.stringify(mine[0]), by: "Dana Whitaker", at: new Date(at - 3 * 3600_000).toISOString(), this_device: true },
      theirs: { display: theirs[1], raw: JSON.stringify(theirs[0]), by: "Rosa Delgado", at: new Date(at - 2 * 3600_000).toISOString(), this_device: false },
      in_force: inForce,
    };
    return conflict;
  }

  /** A refused change of a case of the fake. */
  refusedOn(caseId: string, what: string, reason: string): RejectedChange {
    const record = this.fake.cases.get(caseId);
    if (!record) throw new Error(`no case ${caseId} in the fake`);
    const at = this.now().getTime();
    return {
      op_id: `op-${this.nextOp++}`,
      case_id: caseId,
      case_number: record.case_number,
      what,
      reason,
      made_at: new Date(at - 26 * 3600_000).toISOString(),
      refused_at: new Date(at - 600_000).toISOString(),
    };
  }

  private requireEnrolled(): void {
    if (!this.identity) throw fail("not_enrolled", "This device is not enrolled with a sync service; enrol it first.");
  }
}
