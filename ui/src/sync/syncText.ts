//! The sync state in words, as the status bar shows it: "Not enrolled", "Syncing…" (or how far
//! a long sync has come),
//! "Offline", "Synced 2 min ago", "Sync stopped", and "12 changes waiting". Pure functions of
//! the status and the viewer's clock, so each wording is tested once; what the state is comes
//! from Rust.

import type { SyncProgress } from "../lib/bindings/SyncProgress";
import type { SyncStatus } from "../lib/bindings/SyncStatus";
import { formatDateTime } from "../lib/format";

export type SyncTone = "idle" | "ok" | "busy" | "offline" | "error";

export interface SyncLabel {
  tone: SyncTone;
  text: string;
}

export function syncLabel(s: SyncStatus, now: Date): SyncLabel {
  if (!s.enrolled) return { tone: "idle", text: "Not enrolled" };
  if (s.syncing) return { tone: "busy", text: progressText(s.progress) };
  // The service never answered: the user is offline, which is normal, not a fault.
  if (s.last_error && !s.online) return { tone: "offline", text: "Offline" };
  // The service answered and refused, or answered something this app cannot read.
  if (s.last_error) return { tone: "error", text: "Sync stopped" };
  if (s.last_sync_at) return { tone: "ok", text: `Synced ${ago(s.last_sync_at, now)}` };
  return { tone: "idle", text: "Not synced yet" };
}

/**
 * What a running sync is doing, as far as it has told: sending a long outbox ("Sending changes…
 * 3,000 of 10,000"), receiving cases whole ("Receiving cases… 2,500 of 30,000"), or the rest of
 * a long pull ("Receiving changes… 45,000"); "Syncing…" before it has told anything.
 */
export function progressText(p: SyncProgress | null): string {
  if (!p) return "Syncing…";
  if (p.sent < p.to_send) return `Sending changes… ${count(p.sent)} of ${count(p.to_send)}`;
  if (p.cases_left !== null && p.cases_left > 0) {
    return `Receiving cases… ${count(p.cases_received)} of ${count(p.cases_received + p.cases_left)}`;
  }
  if (p.changes_received > 0) return `Receiving changes… ${count(p.changes_received)}`;
  return "Syncing…";
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "12 changes waiting", "1 change waiting", "0 changes waiting". */
export function pendingText(pending: number): string {
  return pending === 1 ? "1 change waiting" : `${count(pending)} changes waiting`;
}

export function conflictsText(n: number): string {
  return n === 1 ? "1 conflict" : `${n} conflicts`;
}

export function rejectedText(n: number): string {
  return n === 1 ? "1 refused" : `${n} refused`;
}

/** "just now", "1 min ago", "3 h ago", or the date and time beyond a day. */
export function ago(iso: string, now: Date): string {
  const seconds = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  // A clock a little behind the service's must not say "in 5 seconds".
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `on ${formatDateTime(iso)}`;
}

/** The role as people say it. */
export function roleLabel(role: string | null): string {
  if (!role) return "";
  const words: Record<string, string> = {
    case_manager: "case manager",
    supervisor: "supervisor",
    poster_staff: "poster staff",
    volunteer: "volunteer",
    admin: "administrator",
  };
  return words[role] ?? role.replace(/_/g, " ");
}
