import { describe, expect, it } from "vitest";
import type { SyncStatus } from "../lib/bindings/SyncStatus";
import { ago, pendingText, syncLabel } from "./syncText";

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
};

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
