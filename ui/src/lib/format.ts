//! How values read on screen: dates, ages, counts and code labels. It formats only what it is
//! given and never reads the clock, so the same case always reads the same way.

import {
  CASE_STATUSES,
  CASE_TYPES,
  EYE_COLORS,
  HAIR_COLORS,
  SKIN_TONES,
  US_STATES,
} from "./codes";
import type { CaseStatus } from "./bindings/CaseStatus";
import type { CaseType } from "./bindings/CaseType";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-03-14" reads "Mar 14, 2026"; anything else is shown as it is. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}, ${m[1]}`;
}

/** Whole years from `born` to `on`, both YYYY-MM-DD; null when either is missing or malformed. */
export function ageOn(born: string | null | undefined, on: string | null | undefined): number | null {
  const b = parts(born);
  const o = parts(on);
  if (!b || !o) return null;
  let age = o[0] - b[0];
  if (o[1] < b[1] || (o[1] === b[1] && o[2] < b[2])) age -= 1;
  return age < 0 ? null : age;
}

function parts(iso: string | null | undefined): [number, number, number] | null {
  const m = iso ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso) : null;
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** "1 case", "100,000 cases". */
export function countCases(n: number): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? "case" : "cases"}`;
}

const labelOf = (list: ReadonlyArray<{ code: string; label: string }>) => {
  const map = new Map(list.map((x) => [x.code, x.label]));
  return (code: string | null | undefined): string => (code ? (map.get(code) ?? code) : "");
};

export const caseTypeLabel: (code: CaseType | null | undefined) => string = labelOf(CASE_TYPES);
export const statusLabel: (code: CaseStatus | null | undefined) => string = labelOf(CASE_STATUSES);
export const stateName = labelOf(US_STATES);
export const hairLabel = labelOf(HAIR_COLORS);
export const eyeLabel = labelOf(EYE_COLORS);
export const skinLabel = labelOf(SKIN_TONES);

/** Short case-type names for the dense list, where the full NCMEC label would wrap. */
const SHORT_CASE_TYPES: Record<CaseType, string> = {
  ERU: "Endangered runaway",
  FA: "Family abduction",
  NFA: "Nonfamily abduction",
  LIM: "Lost / injured / missing",
  CMYA: "Young adult (18–20)",
};

export function caseTypeShort(code: CaseType): string {
  return SHORT_CASE_TYPES[code] ?? code;
}

/** "Maya Ann Okafor": the name as people say it, whatever the sort order. */
export function fullName(given: string, family: string, middle = ""): string {
  return [given, middle, family].filter((s) => s.trim() !== "").join(" ");
}
