//! The posters produced for the case open in the case view, asked of Rust once per visit and
//! shared by the Posters tab and the take-down panel, then asked again after the studio
//! produces one. It keeps no rule of its own about which cases need their posters taken down
//! beyond the statuses that mean the child is no longer missing.

import { asAppError, type Backend } from "../lib/backend";
import type { CaseStatus } from "../lib/bindings/CaseStatus";
import type { PosterRecord } from "../lib/bindings/PosterRecord";
import type { OpenCase } from "../cases/view/openCase.svelte";

/** Statuses in which a child is no longer missing, so every poster of them must come down. */
export const TAKE_DOWN: ReadonlySet<CaseStatus> = new Set<CaseStatus>(["located_alive", "located_deceased", "recovered", "resolved", "closed"]);

export class PosterLog {
  /** Newest first; null until the first answer. */
  records = $state.raw<PosterRecord[] | null>(null);
  failure = $state<string | null>(null);

  constructor(
    private readonly backend: Backend,
    readonly caseId: string,
  ) {}

  async load(): Promise<void> {
    try {
      this.records = await this.backend.casePosters(this.caseId);
      this.failure = null;
    } catch (e) {
      this.failure = asAppError(e).message;
    }
  }
}

const logs = new WeakMap<OpenCase, PosterLog>();

/** The one log of `openCase`'s visit, loading it on first use. */
export function posterLogOf(openCase: OpenCase, backend: Backend): PosterLog {
  let log = logs.get(openCase);
  if (!log) {
    log = new PosterLog(backend, openCase.id);
    logs.set(openCase, log);
    void log.load();
  }
  return log;
}

const CHANNELS: Record<string, string> = { saved: "Saved", printed: "Printed", bulk: "Bulk export" };

/** "Saved", "Printed", "Bulk export"; an unknown channel as Rust named it. */
export function channelLabel(channel: string): string {
  return CHANNELS[channel] ?? channel;
}
