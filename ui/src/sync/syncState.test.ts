import { describe, expect, it } from "vitest";
import type { SyncStatus } from "../lib/bindings/SyncStatus";
import { enrolledWorkspace } from "../test/sync";
import { SyncState } from "./syncState.svelte";

/** An enrolled workspace's sync state, started as the window starts it. */
async function started() {
  const { fake } = enrolledWorkspace();
  const sync = new SyncState(fake);
  await sync.start();
  return { fake, sync, desk: fake.syncDesk };
}

/** A command whose answer, read now, reaches the window only when `release` is called. */
function answeredLater(status: SyncStatus): { command: () => Promise<SyncStatus>; release: () => void } {
  let release: () => void = () => {};
  return { command: () => new Promise((resolve) => (release = () => resolve(status))), release: () => release() };
}

describe("SyncState", () => {
  it("keeps the status Rust pushed after a request over that request's older answer", async () => {
    const { fake, sync, desk } = await started();
    // A long sync is on its last page when the window asks for the status.
    desk.syncing = true;
    desk.progress = { sent: 0, to_send: 0, cases_received: 3000, cases_left: 0, changes_received: 6000 };
    const asked = answeredLater(desk.status());
    fake.syncStatus = asked.command;
    const refreshed = sync.refresh();
    // The sync ends and Rust says so, before the answer to the request reaches the window.
    desk.syncing = false;
    desk.progress = null;
    desk.lastSyncAt = "2026-11-21T09:05:00Z";
    desk.emit();
    asked.release();
    await refreshed;
    expect(sync.status?.syncing).toBe(false);
    expect(sync.status?.progress).toBeNull();
    expect(sync.status?.last_sync_at).toBe("2026-11-21T09:05:00Z");
  });

  it("drops any command's answer read before a status Rust pushed, and takes a later one", async () => {
    const { fake, sync, desk } = await started();
    desk.syncing = true;
    const readBefore = answeredLater(desk.status());
    fake.dismissRejected = readBefore.command;
    const dismissed = sync.dismissRejected("op-1");
    desk.syncing = false;
    desk.pending = 3;
    desk.emit();
    readBefore.release();
    await dismissed;
    expect(sync.status?.syncing).toBe(false);
    expect(sync.status?.pending).toBe(3);
    // A status read after it is taken, pushed or answered.
    desk.pending = 4;
    await sync.refresh();
    expect(sync.status?.pending).toBe(4);
  });

  it("takes a command's answer when Rust pushed nothing meanwhile", async () => {
    const { sync, desk } = await started();
    desk.pending = 7;
    await sync.refresh();
    expect(sync.status?.pending).toBe(7);
    await sync.syncNow();
    expect(sync.status?.pending).toBe(0);
  });
});
