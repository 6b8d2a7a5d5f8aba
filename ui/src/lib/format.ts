//! How values read on screen: dates, times, ages, durations, counts and code labels. It formats
//! only what it is given; the one clock reading (`localToday`) takes the time as an argument
//! with the present as its default, so tests can fix the day.

import {
  CASE_STATUSES,
  CASE_TYPES,
  EYE_COLORS,
  HAIR_COLORS,
  NOTE_CATEGORIES,
  OUTCOMES,
  RELATIONSHIPS,
  SKIN_TONES,
  US_STATES,
} from "./codes";
import type { AuditAction } from "./bindings/AuditAction";
import type { CaseStatus } from "./bindings/CaseStatus";
import type { CaseType } from "./bindings/CaseType";
import type { PhotoKind } from "./bindings/PhotoKind";
import type { TimelineKind } from "./bindings/TimelineKind";

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

export const relationshipLabel = labelOf(RELATIONSHIPS);
export const noteCategoryLabel = labelOf(NOTE_CATEGORIES);
export const outcomeLabel = labelOf(OUTCOMES);

/** What a photo shows. A Record over the enum, so a new kind in Rust fails the type check here. */
const PHOTO_KIND_LABELS: Record<PhotoKind, string> = {
  photo: "Photo of the child",
  age_progressed: "Age progressed",
  companion: "Companion",
  vehicle: "Vehicle",
};
export const PHOTO_KINDS: ReadonlyArray<{ code: PhotoKind; label: string }> = (Object.keys(PHOTO_KIND_LABELS) as PhotoKind[]).map((code) => ({ code, label: PHOTO_KIND_LABELS[code] }));

/** "Age progressed to 15" for an age-progressed image, else the kind's name. */
export function photoKindLabel(kind: PhotoKind | null, ageProgressedTo: number | null = null): string {
  if (kind === "age_progressed" && ageProgressedTo !== null) return `Age progressed to ${ageProgressedTo}`;
  return kind ? PHOTO_KIND_LABELS[kind] : "Photo";
}

const TIMELINE_KIND_LABELS: Record<TimelineKind, string> = {
  note: "Notes",
  status: "Status",
  contact: "Contacts",
  photo: "Photos",
  case: "Case details",
};
export const TIMELINE_KINDS: ReadonlyArray<{ code: TimelineKind; label: string }> = (Object.keys(TIMELINE_KIND_LABELS) as TimelineKind[]).map((code) => ({ code, label: TIMELINE_KIND_LABELS[code] }));

const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  case_opened: "Opened the case",
  case_created: "Created the case",
  case_edited: "Edited the case details",
  case_archived: "Archived the case",
  case_unarchived: "Unarchived the case",
  status_changed: "Changed the status",
  note_added: "Added a note",
  note_edited: "Edited a note",
  contact_added: "Added a contact",
  contact_edited: "Edited a contact",
  contact_removed: "Removed a contact",
  photo_added: "Added a photo",
  photo_edited: "Edited a photo's details",
  photo_viewed: "Viewed a photo",
  exported: "Exported",
  poster_produced: "Produced a poster",
  device_enrolled: "Enrolled this device for sync",
  device_unenrolled: "Stopped syncing this device",
  conflict_resolved: "Settled a sync conflict",
};

export function auditActionLabel(action: AuditAction): string {
  return AUDIT_ACTION_LABELS[action] ?? action;
}

/** "Nov 21, 2026, 2:05 PM" in the viewer's time zone: when something happened, for people. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = d.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
  return `${MONTHS[d.getMonth()]} ${d.getDate()}, ${d.getFullYear()}, ${time}`;
}

/** The viewer's calendar day as YYYY-MM-DD, for "age now" and "missing for". */
export function localToday(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** "1 day", "3 weeks", "4 months", "2 years": how long since `from`, both YYYY-MM-DD. */
export function durationSince(from: string, to: string): string {
  const days = Math.floor((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  if (!Number.isFinite(days) || days < 0) return "";
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (days < 14) return unit(days, "day");
  if (days < 60) return unit(Math.floor(days / 7), "week");
  const years = ageOn(from, to) ?? 0;
  if (years < 2) return unit(Math.floor(days / 30.44), "month");
  return unit(years, "year");
}
