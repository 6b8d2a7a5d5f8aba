//! The sync state the whole window shares while a workspace is open: the last `SyncStatus` Rust
//! reported (pushed by the `sync-status` event after every attempt and as a long one goes on,
//! fetched again after each action here), the open conflicts and which cases have them, and
//! which sync dialog is open. It decides nothing about syncing; Rust's background loop does
//! that, and this only asks and listens.

import { getContext, setContext } from "svelte";
import { asAppError, type Backend } from "../lib/backend";
import type { ConflictResolution } from "../lib/bindings/ConflictResolution";
import type { ConflictView } from "../lib/bindings/ConflictView";
import type { EnrolForm } from "../lib/bindings/EnrolForm";
import type { SyncStatus } from "../lib/bindings/SyncStatus";

/** Which sync dialog is open: the inbox (of one case or every case), the refusals, enrolment. */
export type SyncDialog = { kind: "inbox"; caseId: string | null } | { kind: "rejected" } | { kind: "enrol" } | null;

export class SyncState {
  status = $state.raw<SyncStatus | null>(null);
  conflicts = $state.raw<ConflictView[]>([]);
  /** Why the status could not be read, in words; the indicator shows it. */
  failure = $state<string | null>(null);
  dialog = $state.raw<SyncDialog>(null);
  /** Bumped after a sync or a resolution that may have changed cases, so views fetch again. */
  changes = $state(0);
  /** The case whose conflict was just resolved here, so its open view can fetch it again. */
  resolved = $state.raw<{ caseId: string; n: number } | null>(null);
  /** Open conflicts per case id. */
  readonly byCase = $derived(countByCase(this.conflicts));
  private unlisten: (() => void) | null = null;
  private stopped = false;
  /** The number of the newest status taken; Rust numbers them in the order it read them. */
  private version = 0;

  constructor(private readonly backend: Backend) {}

  /** Listens for Rust's reports and reads the state once. */
  async start(): Promise<void> {
    this.stopped = false;
    const unlisten = await this.backend.onSyncStatus((s) => void this.take(s));
    if (this.stopped) unlisten();
    else this.unlisten = unlisten;
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    this.unlisten?.();
    this.unlisten = null;
    this.status = null;
    this.conflicts = [];
    this.dialog = null;
  }

  async refresh(): Promise<void> {
    try {
      await this.take(await this.backend.syncStatus());
    } catch (e) {
      this.failure = asAppError(e).message;
    }
  }

  /**
   * Takes a status, pushed or answered, and the conflict list with it when there may be new
   * ones; a status older than the one shown is dropped. Answers and pushes can arrive out of
   * order: a status read while the last page of a sync was written arrives after the "synced"
   * pushed at its end, and taking it would leave the bar saying "Receiving…" until the next
   * sync.
   */
  private async take(next: SyncStatus): Promise<void> {
    if (next.version <= this.version) return;
    this.version = next.version;
    const before = this.status;
    this.status = next;
    this.failure = null;
    if (!next.enrolled) {
      this.conflicts = [];
      return;
    }
    // Cases received whole are listed page by page during a long first sync, not only at its end.
    const received = (s: SyncStatus | null) => s?.progress?.cases_received ?? 0;
    if (before && (before.last_sync_at !== next.last_sync_at || received(next) > received(before))) this.changes++;
    if (before === null || next.conflicts !== this.conflicts.length || before.last_sync_at !== next.last_sync_at) {
      try {
        this.conflicts = await this.backend.listConflicts(null);
      } catch (e) {
        this.failure = asAppError(e).message;
      }
    }
  }

  /** Rejects with the `AppError` so the dialog can show it under the fields. */
  async enrol(form: EnrolForm): Promise<void> {
    await this.take(await this.backend.enrolDevice(form));
  }

  async syncNow(): Promise<void> {
    if (this.status) this.status = { ...this.status, syncing: true };
    try {
      await this.take(await this.backend.syncNow());
    } catch (e) {
      this.failure = asAppError(e).message;
      await this.refresh();
    }
  }

  /** Rejects with the `AppError`, for the conflict's own row to show. */
  async resolve(conflict: ConflictView, resolution: ConflictResolution): Promise<void> {
    const status = await this.backend.resolveConflict(conflict.id, resolution);
    this.conflicts = this.conflicts.filter((c) => c.id !== conflict.id);
    await this.take(status);
    this.resolved = { caseId: conflict.case_id, n: (this.resolved?.n ?? 0) + 1 };
    this.changes++;
  }

  async dismissRejected(opId: string): Promise<void> {
    await this.take(await this.backend.dismissRejected(opId));
  }

  async leave(): Promise<void> {
    await this.take(await this.backend.leaveSync());
  }

  openInbox(caseId: string | null = null): void {
    this.dialog = { kind: "inbox", caseId };
  }
}

function countByCase(conflicts: ConflictView[]): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const c of conflicts) counts.set(c.case_id, (counts.get(c.case_id) ?? 0) + 1);
  return counts;
}

const KEY = Symbol("porchlight.sync");

export function provideSync(sync: SyncState): void {
  setContext(KEY, sync);
}

/** The window's sync state, or null where none is provided (a component tested on its own). */
export function useSync(): SyncState | null {
  return getContext<SyncState | undefined>(KEY) ?? null;
}

/** The context map that hands `sync` to a component rendered on its own in a test. */
export function syncContext(sync: SyncState): Map<symbol, SyncState> {
  return new Map([[KEY, sync]]);
}
