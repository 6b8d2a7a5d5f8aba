//! An in-memory `Backend` for component tests and for looking at the UI in a plain browser
//! (`?fake=1`). It keeps cases in a Map and imitates the wire contract: paging, sort, filters,
//! prefix search, versions and the error codes. Its validation covers only the required fields
//! and date shapes, enough to exercise the form; the real rules live in Rust and are never
//! copied here as a second source of truth.

import type { Backend } from "./backend";
import type { AppError } from "./bindings/AppError";
import type { CaseFields } from "./bindings/CaseFields";
import type { CasePage } from "./bindings/CasePage";
import type { CaseRecord } from "./bindings/CaseRecord";
import type { CaseSummary } from "./bindings/CaseSummary";
import type { CaseStatus } from "./bindings/CaseStatus";
import type { CaseType } from "./bindings/CaseType";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FieldError } from "./bindings/FieldError";
import type { ListQuery } from "./bindings/ListQuery";
import type { Race } from "./bindings/Race";
import type { Sex } from "./bindings/Sex";
import type { WorkspaceStatus } from "./bindings/WorkspaceStatus";
import { US_STATES } from "./codes";

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
      return structuredClone(this.insert(fields, "intake", `${this.today}T12:00:00Z`));
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
      const next: CaseRecord = { ...c, version: c.version + 1, updated_at: `${this.today}T12:00:00Z`, fields: structuredClone(fields) };
      this.cases.set(id, next);
      this.sorted = null;
      return structuredClone(next);
    });
  }

  setArchived(id: string, archived: boolean): Promise<CaseRecord> {
    return this.settle(() => {
      this.requireUnlocked();
      const c = this.cases.get(id);
      if (!c) throw appError("not_found", "That case does not exist.");
      const next: CaseRecord = { ...c, version: c.version + 1, archived_at: archived ? `${this.today}T12:00:00Z` : null };
      this.cases.set(id, next);
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
      law_enforcement: { agency_name: `${city} Police Department`, ori: "", agency_case_number: "", investigator_name: "", investigator_phone: "", ncic_number: "" },
    };
    if (fields.missing_from_care) fields.care_agency = `${US_STATES.find((s) => s.code === state)?.label ?? state} Department of Children's Services`;
    fake.insert(fields, pick(STATUSES), `${missing}T09:00:00Z`, r() < 0.02);
  }
}
