import { render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import CaseList from "../cases/CaseList.svelte";
import CaseView from "../cases/view/CaseView.svelte";
import { backendContext } from "../lib/backend";
import { enrolledWorkspace, renderWithSync } from "../test/sync";
import { syncContext } from "./syncState.svelte";
import SyncBar from "./SyncBar.svelte";

describe("the conflict badge", () => {
  it("marks the cases with open conflicts in the case list, with their count", async () => {
    const { fake, maya, liam } = enrolledWorkspace();
    const desk = fake.syncDesk;
    desk.conflicts = [
      desk.conflictOn(liam, "event.city", "City", ["Laredo", "Laredo"], ["El Paso", "El Paso"]),
      desk.conflictOn(liam, "child.given_name", "Given name", ["Liam", "Liam"], ["William", "William"]),
    ];
    await renderWithSync(CaseList, fake, { onopen: () => {}, onnew: () => {}, today: "2026-11-21" });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(2));
    const row = (id: string) => screen.getAllByTestId("case-row").find((r) => r.dataset.id === id)!;
    const badge = within(row(liam)).getByTestId("conflict-badge");
    expect(badge).toHaveAttribute("data-count", "2");
    expect(badge).toHaveAccessibleName("2 conflicts to resolve");
    expect(within(row(maya)).queryByTestId("conflict-badge")).toBeNull();
  });

  it("appears when a sync brings a conflict, and leaves when it is resolved", async () => {
    const { fake, maya } = enrolledWorkspace();
    await renderWithSync(CaseList, fake, { onopen: () => {}, onnew: () => {}, today: "2026-11-21" });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(2));
    expect(screen.queryByTestId("conflict-badge")).toBeNull();
    fake.syncDesk.incoming = [fake.syncDesk.conflictOn(maya, "event.city", "City", ["Tulsa", "Tulsa"], ["Broken Arrow", "Broken Arrow"])];
    fake.syncDesk.sync();
    expect(await screen.findByTestId("conflict-badge")).toHaveAttribute("data-count", "1");
    await fake.resolveConflict(fake.syncDesk.conflicts[0].id, { choice: "keep_mine" });
    await waitFor(() => expect(screen.queryByTestId("conflict-badge")).toBeNull());
  });

  it("shows in the case header and opens the inbox on that case", async () => {
    const { fake, maya, liam } = enrolledWorkspace();
    const desk = fake.syncDesk;
    desk.conflicts = [
      desk.conflictOn(maya, "event.city", "City", ["Tulsa", "Tulsa"], ["Broken Arrow", "Broken Arrow"]),
      desk.conflictOn(liam, "event.city", "City", ["Laredo", "Laredo"], ["El Paso", "El Paso"]),
    ];
    // The bar hosts the dialogs the badge opens.
    const { user, sync } = await renderWithSync(SyncBar, fake, { onopencase: () => {} });
    render(CaseView, { props: { caseId: maya, today: "2026-11-21", onclose: () => {}, onedit: () => {} }, context: new Map<symbol, unknown>([...backendContext(fake), ...syncContext(sync)]) });
    const badge = await screen.findByTestId("conflict-badge");
    expect(badge).toHaveTextContent("1 conflict");
    await user.click(badge);
    const inbox = screen.getByTestId("conflict-inbox");
    expect(within(inbox).getAllByTestId("conflict-item")).toHaveLength(1);
    expect(inbox).toHaveTextContent("Broken Arrow");
    expect(inbox).not.toHaveTextContent("El Paso");

    // Settling it reads the case again, so the header shows the value now in force.
    await user.click(within(inbox).getByTestId("conflict-keep-theirs"));
    await waitFor(() => expect(screen.queryByTestId("conflict-badge")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("case-view")).toHaveTextContent("Broken Arrow"));
  });
});
