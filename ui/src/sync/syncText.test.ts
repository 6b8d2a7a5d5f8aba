import { describe, expect, it } from "vitest";
import type { SyncProgress } from "../lib/bindings/SyncProgress";
import type { SyncStatus } from "../lib/bindings/SyncStatus";
import { ago, pendingText, progressText, syncLabel } from "./syncText";

const now = new Date("2026-11-21T09:12:00Z");
const base: SyncStatus = {
  enrolled: true,
  server: "https://sync.example.org",
  user: "Dana Whitaker (dana)",
  role: "case_manager",
  online: true,
  syncing: false,
  last_sync_at: "2026-11-21T09:10:00Z",
  last_error: null,
  pending: 0,
  conflicts: 0,
  rejected: 0,
  progress: null,
  version: 1,
};
const progress: SyncProgress = { sent: 0, to_send: 0, cases_received: 0, cases_left: null, changes_received: 0 };

describe("syncLabel", () => {
  it.each<[string, Partial<SyncStatus>, string, string]>([
    ["not enrolled", { enrolled: false }, "idle", "Not enrolled"],
    ["syncing wins over the rest", { syncing: true, last_error: "x", online: false }, "busy", "Syncing…"],
    ["no answer from the service", { online: false, last_error: "No answer from the service." }, "offline", "Offline"],
    ["the service answered and refused", { online: true, last_error: "This device was signed out." }, "error", "Sync stopped"],
    ["a good sync two minutes ago", {}, "ok", "Synced 2 min ago"],
    ["enrolled, never synced", { last_sync_at: null, online: false }, "idle", "Not synced yet"],
  ])("%s", (_name, change, tone, text) => {
    expect(syncLabel({ ...base, ...change }, now)).toEqual({ tone, text });
  });
});

describe("progressText", () => {
  it.each<[string, SyncProgress | null, string]>([
    ["nothing told yet", null, "Syncing…"],
    ["a long outbox on its way", { ...progress, sent: 3000, to_send: 10_000 }, "Sending changes… 3,000 of 10,000"],
    // Sending comes first: the service answers what was sent before it sends anything.
    ["sending before receiving", { ...progress, sent: 1000, to_send: 1200, cases_left: 40 }, "Sending changes… 1,000 of 1,200"],
    ["a first sync under way", { ...progress, sent: 1, to_send: 1, cases_received: 2500, cases_left: 27_500, changes_received: 22_500 }, "Receiving cases… 2,500 of 30,000"],
    ["cases done, the rest of a long pull", { ...progress, cases_received: 30_000, cases_left: 0, changes_received: 275_000 }, "Receiving changes… 275,000"],
    ["days of others' changes, no case whole", { ...progress, changes_received: 5000 }, "Receiving changes… 5,000"],
    ["a short push answered, nothing pulled yet", { ...progress, sent: 12, to_send: 12 }, "Syncing…"],
  ])("%s", (_name, p, words) => {
    expect(progressText(p)).toBe(words);
  });

  it("is what the label says while syncing, and nothing once the sync is over", () => {
    const p = { ...progress, cases_received: 500, cases_left: 1500 };
    expect(syncLabel({ ...base, syncing: true, progress: p }, now)).toEqual({ tone: "busy", text: "Receiving cases… 500 of 2,000" });
    expect(syncLabel({ ...base, syncing: false, progress: p }, now)).toEqual({ tone: "ok", text: "Synced 2 min ago" });
  });
});

describe("ago", () => {
  it.each([
    ["2026-11-21T09:11:30Z", "just now"],
    // A computer clock a little behind the service's still says "just now", never "in 5 s".
    ["2026-11-21T09:12:05Z", "just now"],
    ["2026-11-21T09:11:00Z", "1 min ago"],
    ["2026-11-21T08:13:00Z", "59 min ago"],
    ["2026-11-21T06:12:00Z", "3 h ago"],
    ["2026-11-19T09:12:00Z", "on Nov 19, 2026, 9:12 AM"],
  ])("%s is %s", (iso, words) => {
    expect(ago(iso, now)).toBe(words);
  });
});

describe("pendingText", () => {
  it("counts changes, none included", () => {
    expect(pendingText(0)).toBe("0 changes waiting");
    expect(pendingText(1)).toBe("1 change waiting");
    expect(pendingText(1234)).toBe("1,234 changes waiting");
  });
});
