//! Cases picked in the case list to make posters of: a click on a row's box, Shift-click for
//! every row between it and the last click, and "select all matching" for every case the list's
//! current filters match, fetched from Rust in pages of the largest size it allows. It holds ids
//! with the case number and name the studio shows, nothing else, and filters nothing itself.

import { asAppError, type Backend } from "../lib/backend";
import type { CaseSummary } from "../lib/bindings/CaseSummary";
import type { ListQuery } from "../lib/bindings/ListQuery";

export interface Picked {
  id: string;
  case_number: string;
  name: string;
}

/** Rust's `ListQuery::MAX_LIMIT`: the most rows one page may ask for. */
const PAGE = 500;

export class CaseSelection {
  picked = $state.raw<ReadonlyMap<string, Picked>>(new Map());
  /** While "select all matching" gathers ids: how far it got. */
  gathering = $state<{ done: number; total: number } | null>(null);
  failure = $state<string | null>(null);
  /** Where a Shift-click range starts: the last row clicked, under the filters of that moment. */
  private anchor: { index: number; filters: string } | null = null;

  constructor(
    private readonly backend: Backend,
    /** The list's query, with its current sort and filters, for rows `offset..offset+limit`. */
    private readonly queryAt: (offset: number, limit: number) => ListQuery,
  ) {}

  get size(): number {
    return this.picked.size;
  }

  has(id: string): boolean {
    return this.picked.has(id);
  }

  clear(): void {
    this.picked = new Map();
    this.anchor = null;
    this.failure = null;
  }

  /** A click on the box of `row`, at `index` in the list. With Shift, every row from the last
   *  click to this one takes this row's new state. */
  async click(row: CaseSummary, index: number, shift: boolean): Promise<void> {
    const on = !this.has(row.id);
    const filters = this.filters();
    const from = this.anchor;
    this.anchor = { index, filters };
    if (!shift || from === null || from.filters !== filters || from.index === index) {
      this.set([row], on);
      return;
    }
    const first = Math.min(from.index, index);
    try {
      this.set(await this.rows(first, Math.max(from.index, index) - first + 1), on);
    } catch (e) {
      this.failure = asAppError(e).message;
    }
  }

  /** Adds every case the list's filters match, however many pages that takes. */
  async selectAllMatching(): Promise<void> {
    if (this.gathering) return;
    this.failure = null;
    this.gathering = { done: 0, total: 0 };
    try {
      const first = await this.backend.listCases(this.queryAt(0, PAGE));
      const rows = [...first.rows];
      this.gathering = { done: rows.length, total: first.total };
      while (rows.length < first.total) {
        const page = await this.backend.listCases(this.queryAt(rows.length, PAGE));
        if (page.rows.length === 0) break;
        rows.push(...page.rows);
        this.gathering = { done: rows.length, total: first.total };
      }
      this.set(rows, true);
    } catch (e) {
      this.failure = asAppError(e).message;
    } finally {
      this.gathering = null;
    }
  }

  private filters(): string {
    const { offset: _o, limit: _l, ...rest } = this.queryAt(0, 1);
    return JSON.stringify(rest);
  }

  private async rows(offset: number, count: number): Promise<CaseSummary[]> {
    const out: CaseSummary[] = [];
    while (out.length < count) {
      const page = await this.backend.listCases(this.queryAt(offset + out.length, Math.min(PAGE, count - out.length)));
      if (page.rows.length === 0) break;
      out.push(...page.rows);
    }
    return out;
  }

  private set(rows: CaseSummary[], on: boolean): void {
    const next = new Map(this.picked);
    for (const r of rows) {
      if (on) next.set(r.id, { id: r.id, case_number: r.case_number, name: `${r.given_name} ${r.family_name}`.trim() || r.case_number });
      else next.delete(r.id);
    }
    this.picked = next;
  }
}
