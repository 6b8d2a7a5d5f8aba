import { describe, expect, it } from "vitest";
import type { SyncStatus } from "../lib/bindings/SyncStatus";
import { enrolledWorkspace } from "../test/sync";
import { SyncState } from "./syncState.svelte";

describe("SyncState", () => {
  it("keeps the status Rust pushed after a request over that request's older answer", async () => {
    const { fake } = enrolledWorkspace();
    const sync = new SyncState(fake);
    await sync.start();
    const desk = fake.syncDesk;
    // A long sync is on its last page when the window asks for the status.
    desk.syncing = true;
    desk.progress = { sent: 0, to_send: 0, cases_received: 3000, cases_left: 0, changes_received: 6000 };
    const asked: SyncStatus = desk.status();
    let answer: () => void = () => {};
    fake.syncStatus = () => new Promise((resolve) => (answer = () => resolve(asked)));
    const refreshed = sync.refresh();
    // The sync ends and Rust says so, before the answer to the request reaches the window.
    desk.syncing = false;
    desk.progress = null;
    desk.lastSyncAt = "2026-11-21T09:05:00Z";
    desk.emit();
    answer();
    await refreshed;
    expect(sync.status?.syncing).toBe(false);
    expect(sync.status?.progress).toBeNull();
    expect(sync.status?.last_sync_at).toBe("2026-11-21T09:05:00Z");
  });

  it("drops any command's answer read before a status Rust pushed, and takes a later one", async () => {
    const { fake } = enrolledWorkspace();
    const sync = new SyncState(fake);
    await sync.start();
    const desk = fake.syncDesk;
    desk.syncing = true;
    const readBefore: SyncStatus = desk.status();
    let answer: () => void = () => {};
    fake.dismissRejected = () => new Promise((resolve) => (answer = () => resolve(readBefore)));
    const dismissed = sync.dismissRejected("op-1");
    desk.syncing = false;
    desk.pending = 3;
    desk.emit();
    answer();
    await dismissed;
    expect(sync.status?.syncing).toBe(false);
    expect(sync.status?.pending).toBe(3);
    // A status read after it is taken, pushed or answered.
    desk.pending = 4;
    await sync.refresh();
    expect(sync.status?.pending).toBe(4);
  });

  it("takes a command's answer when Rust pushed nothing meanwhile", async () => {
    const { fake } = enrolledWorkspace();
    const sync = new SyncState(fake);
    await sync.start();
    fake.syncDesk.pending = 7;
    await sync.refresh();
    expect(sync.status?.pending).toBe(7);
    await sync.syncNow();
    expect(sync.status?.pending).toBe(0);
  });
});
