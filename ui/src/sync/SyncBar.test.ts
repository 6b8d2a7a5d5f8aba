import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../lib/fakeBackend";
import { fields, workspaceWith } from "../test/cases";
import { enrolledWorkspace, renderWithSync } from "../test/sync";
import SyncBar from "./SyncBar.svelte";

const at = (iso: string) => () => new Date(iso);

describe("SyncBar", () => {
  it("says a workspace is not enrolled and offers to enrol it", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") });
    const { user } = await renderWithSync(SyncBar, fake, { onopencase: () => {} });
    expect(await screen.findByTestId("sync-indicator")).toHaveTextContent("Not enrolled");
    expect(screen.queryByTestId("sync-now")).toBeNull();
    await user.click(screen.getByTestId("enrol-open"));
    expect(screen.getByTestId("enrol-dialog")).toBeInTheDocument();
  });

  it("says when it last synced, and how long ago as time passes", async () => {
    const { fake } = enrolledWorkspace();
    fake.syncDesk.lastSyncAt = "2026-11-21T09:00:00Z";
    let now = new Date("2026-11-21T09:02:10Z");
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      await renderWithSync(SyncBar, fake, { onopencase: () => {}, clock: () => now });
      const indicator = await screen.findByTestId("sync-indicator");
      expect(indicator).toHaveTextContent("Synced 2 min ago — 0 changes waiting");
      expect(indicator).toHaveAttribute("data-tone", "ok");
      expect(screen.getByTestId("pending-count")).toHaveAttribute("data-count", "0");
      now = new Date("2026-11-21T12:30:00Z");
      vi.advanceTimersByTime(30_000);
      await waitFor(() => expect(indicator).toHaveTextContent("Synced 3 h ago"));
    } finally {
      vi.useRealTimers();
    }
  });

  it("says it is offline with the changes waiting, and the reason in its details", async () => {
    const { fake } = enrolledWorkspace();
    fake.syncDesk.reachable = false;
    fake.syncDesk.pending = 12;
    fake.syncDesk.sync();
    const { user } = await renderWithSync(SyncBar, fake, { onopencase: () => {}, clock: at("2026-11-21T09:05:00Z") });
    const indicator = await screen.findByTestId("sync-indicator");
    expect(indicator).toHaveTextContent("Offline — 12 changes waiting");
    expect(indicator).toHaveAttribute("data-tone", "offline");
    expect(screen.getByTestId("pending-count")).toHaveAttribute("data-count", "12");
    await user.click(indicator);
    const details = screen.getByTestId("sync-details");
    expect(details).toHaveTextContent("Dana Whitaker (dana), case manager");
    expect(details).toHaveTextContent("https://sync.example.org");
    expect(within(details).getByTestId("sync-error")).toHaveTextContent("No answer from https://sync.example.org");
    // Escape closes the details and gives the keyboard back to the indicator.
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("sync-details")).toBeNull();
    expect(indicator).toHaveFocus();
  });

  it("shows an error the service gave in words, in the bar itself", async () => {
    const { fake } = enrolledWorkspace();
    fake.syncDesk.lastError = "This computer was signed out by an administrator; enrol it again.";
    await renderWithSync(SyncBar, fake, { onopencase: () => {}, clock: at("2026-11-21T09:05:00Z") });
    const indicator = await screen.findByTestId("sync-indicator");
    expect(indicator).toHaveTextContent("Sync stopped — This computer was signed out by an administrator; enrol it again. — 0 changes waiting");
    expect(indicator).toHaveAttribute("data-tone", "error");
  });

  it("says Syncing… while Sync now runs, then the new state", async () => {
    const { fake } = enrolledWorkspace();
    fake.syncDesk.pending = 3;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const real = fake.syncNow.bind(fake);
    const syncNow = vi.spyOn(fake, "syncNow").mockImplementation(async () => {
      await gate;
      fake.syncDesk.now = () => new Date("2026-11-21T09:05:00Z");
      return real();
    });
    const { user } = await renderWithSync(SyncBar, fake, { onopencase: () => {}, clock: at("2026-11-21T09:05:20Z") });
    const indicator = await screen.findByTestId("sync-indicator");
    expect(indicator).toHaveTextContent("Synced 5 min ago — 3 changes waiting");
    await user.click(screen.getByTestId("sync-now"));
    expect(indicator).toHaveTextContent("Syncing…");
    expect(screen.getByTestId("sync-now")).toBeDisabled();
    release();
    await waitFor(() => expect(indicator).toHaveTextContent("Synced just now"));
    expect(screen.getByTestId("pending-count")).toHaveTextContent("0 changes waiting");
    expect(syncNow).toHaveBeenCalledTimes(1);
  });

  it("follows the sync-status reports Rust sends after each background sync", async () => {
    const { fake, maya } = enrolledWorkspace();
    await renderWithSync(SyncBar, fake, { onopencase: () => {}, clock: at("2026-11-21T09:00:10Z") });
    const indicator = await screen.findByTestId("sync-indicator");
    expect(indicator).toHaveTextContent("Synced just now");
    expect(screen.queryByTestId("conflict-count")).toBeNull();
    fake.syncDesk.incoming = [fake.syncDesk.conflictOn(maya, "event.city", "City", ["Tulsa", "Tulsa"], ["Broken Arrow", "Broken Arrow"])];
    fake.syncDesk.reachable = false;
    fake.syncDesk.pending = 1;
    fake.syncDesk.sync();
    await waitFor(() => expect(indicator).toHaveTextContent("Offline — 1 change waiting"));
    fake.syncDesk.reachable = true;
    fake.syncDesk.sync();
    expect(await screen.findByTestId("conflict-count")).toHaveTextContent("1 conflict");
  });

  it("opens the inbox from the conflict count and the refusals from theirs", async () => {
    const { fake, maya } = enrolledWorkspace();
    fake.syncDesk.conflicts = [fake.syncDesk.conflictOn(maya, "event.city", "City", ["Tulsa", "Tulsa"], ["Broken Arrow", "Broken Arrow"])];
    fake.syncDesk.rejected = [fake.syncDesk.refusedOn(maya, "Edit of Maya Okafor: city", "You may no longer change this case.")];
    const { user } = await renderWithSync(SyncBar, fake, { onopencase: () => {} });
    await user.click(await screen.findByTestId("conflict-count"));
    expect(screen.getByTestId("conflict-inbox")).toHaveTextContent("Broken Arrow");
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("conflict-inbox")).toBeNull();
    const refused = screen.getByTestId("rejected-count");
    expect(refused).toHaveTextContent("1 refused");
    await user.click(refused);
    expect(await screen.findByTestId("rejected-item")).toHaveTextContent("You may no longer change this case.");
  });

  it("stops syncing only after asking, and then says not enrolled", async () => {
    const { fake } = enrolledWorkspace();
    const { user } = await renderWithSync(SyncBar, fake, { onopencase: () => {} });
    await user.click(await screen.findByTestId("sync-indicator"));
    await user.click(screen.getByTestId("leave-sync"));
    await user.click(screen.getByRole("button", { name: "Keep syncing" }));
    expect(fake.syncDesk.identity).not.toBeNull();
    await user.click(screen.getByTestId("leave-sync"));
    await user.click(screen.getByRole("button", { name: "Stop syncing" }));
    await waitFor(() => expect(screen.getByTestId("sync-indicator")).toHaveTextContent("Not enrolled"));
    expect(fake.syncDesk.identity).toBeNull();
  });

  it("says so when the sync state cannot be read", async () => {
    const fake = new FakeBackend({ exists: true, unlocked: false });
    await renderWithSync(SyncBar, fake, { onopencase: () => {} });
    expect(await screen.findByTestId("sync-indicator")).toHaveTextContent("Sync state unknown");
    expect(screen.getByTestId("sync-indicator")).toHaveAttribute("title", "Unlock the workspace first.");
  });
});
