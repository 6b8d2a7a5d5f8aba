import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { appError } from "../lib/fakeBackend";
import { enrolledWorkspace, renderWithSync } from "../test/sync";
import ConflictInbox from "./ConflictInbox.svelte";

function withConflicts() {
  const w = enrolledWorkspace();
  const desk = w.fake.syncDesk;
  desk.conflicts = [
    desk.conflictOn(w.maya, "child.given_name", "Given name", ["Maya", "Maya"], ["Mya", "Mya"]),
    desk.conflictOn(w.liam, "description.height_cm", "Height", [150, "4 ft 11 in"], [155, "5 ft 1 in"], "mine"),
    desk.conflictOn(w.liam, "status", "Status", ["active", "Active"], ["located_alive", "Located alive"]),
  ];
  return w;
}

function item(field: string): HTMLElement {
  return screen.getAllByTestId("conflict-item").find((i) => i.dataset.field === field)!;
}

describe("ConflictInbox", () => {
  it("groups conflicts by case and shows both values with who, when, and which is in force", async () => {
    const { fake, maya, liam } = withConflicts();
    await renderWithSync(ConflictInbox, fake, { caseId: null, onclose: () => {}, onopencase: () => {} });
    const groups = screen.getAllByTestId("conflict-case");
    expect(groups.map((g) => g.dataset.caseId)).toEqual([maya, liam]);
    expect(groups[0]).toHaveTextContent("Maya Okafor");
    expect(groups[0]).toHaveTextContent(fake.cases.get(maya)!.case_number);
    expect(within(groups[1]).getAllByTestId("conflict-item")).toHaveLength(2);

    const name = item("child.given_name");
    expect(name).toHaveTextContent("Given name");
    // Each conflict names its case itself, so it reads right on its own.
    expect(name).toHaveTextContent(`Maya Okafor · ${fake.cases.get(maya)!.case_number}`);
    const mine = within(name).getByTestId("conflict-mine");
    const theirs = within(name).getByTestId("conflict-theirs");
    expect(within(mine).getByTestId("conflict-mine-value")).toHaveTextContent("Maya");
    expect(mine).toHaveTextContent("You, on this computer");
    expect(mine).toHaveTextContent("Nov 21, 2026, 6:00 AM");
    expect(within(theirs).getByTestId("conflict-theirs-value")).toHaveTextContent("Mya");
    expect(theirs).toHaveTextContent("Rosa Delgado");
    expect(theirs).toHaveTextContent("Nov 21, 2026, 7:00 AM");
    expect(theirs).toHaveAttribute("data-in-force", "true");
    expect(theirs).toHaveTextContent("In force");
    expect(mine).not.toHaveTextContent("In force");
    expect(within(item("description.height_cm")).getByTestId("conflict-mine")).toHaveAttribute("data-in-force", "true");
  });

  it.each([
    ["conflict-keep-mine", { choice: "keep_mine" }, "Maya"],
    ["conflict-keep-theirs", { choice: "keep_theirs" }, "Mya"],
  ])("%s sends that choice at once and the conflict leaves the inbox", async (button, resolution, kept) => {
    const { fake, maya } = withConflicts();
    const resolve = vi.spyOn(fake, "resolveConflict");
    const { user, sync } = await renderWithSync(ConflictInbox, fake, { caseId: null, onclose: () => {}, onopencase: () => {} });
    const id = fake.syncDesk.conflicts[0].id;
    await user.click(within(item("child.given_name")).getByTestId(button));
    expect(resolve).toHaveBeenCalledWith(id, resolution);
    await waitFor(() => expect(screen.getAllByTestId("conflict-item")).toHaveLength(2));
    expect(fake.cases.get(maya)!.fields.child.given_name).toBe(kept);
    // The resolution waits to be sent, and the count follows.
    expect(sync.status).toMatchObject({ conflicts: 2, pending: 1 });
    expect(sync.byCase.get(maya)).toBeUndefined();
    // The keyboard moves on to the next conflict rather than the page behind.
    await waitFor(() => expect(document.activeElement?.closest('[data-testid="conflict-item"]')).not.toBeNull());
  });

  it("edits from the value in force and sends it as the field's JSON", async () => {
    const { fake } = withConflicts();
    const resolve = vi.spyOn(fake, "resolveConflict");
    const { user } = await renderWithSync(ConflictInbox, fake, { caseId: null, onclose: () => {}, onopencase: () => {} });
    const height = item("description.height_cm");
    const id = height.dataset.conflictId;
    await user.click(within(height).getByTestId("conflict-edit"));
    const input = within(height).getByTestId("conflict-edit-value");
    expect(input).toHaveValue("150");
    expect(input).toHaveFocus();
    await user.clear(input);
    await user.type(input, "five feet");
    await user.click(within(height).getByTestId("conflict-edit-save"));
    expect(within(height).getByTestId("conflict-edit-error")).toHaveTextContent('"five feet" is not a number');
    expect(resolve).not.toHaveBeenCalled();
    await user.clear(input);
    await user.type(input, "152");
    await user.click(within(height).getByTestId("conflict-edit-save"));
    expect(resolve).toHaveBeenCalledWith(id, { choice: "edit", value: "152" });
  });

  it("settles a status race by choosing a status", async () => {
    const { fake, liam } = withConflicts();
    const resolve = vi.spyOn(fake, "resolveConflict");
    const { user } = await renderWithSync(ConflictInbox, fake, { caseId: null, onclose: () => {}, onopencase: () => {} });
    const status = item("status");
    const id = fake.syncDesk.conflicts[2].id;
    await user.click(within(status).getByTestId("conflict-edit"));
    const select = within(status).getByTestId("conflict-edit-value");
    expect(select).toHaveValue("located_alive");
    await user.selectOptions(select, "recovered");
    await user.click(within(status).getByTestId("conflict-edit-save"));
    expect(resolve).toHaveBeenCalledWith(id, { choice: "edit", value: '"recovered"' });
    await waitFor(() => expect(fake.cases.get(liam)!.status).toBe("recovered"));
  });

  it("keeps a refusal of the edit under the input", async () => {
    const { fake } = withConflicts();
    vi.spyOn(fake, "resolveConflict").mockRejectedValue(appError("validation", "1 field needs attention.", [{ field: "child.given_name", message: "Enter a name." }]));
    const { user } = await renderWithSync(ConflictInbox, fake, { caseId: null, onclose: () => {}, onopencase: () => {} });
    const name = item("child.given_name");
    await user.click(within(name).getByTestId("conflict-edit"));
    await user.clear(within(name).getByTestId("conflict-edit-value"));
    await user.click(within(name).getByTestId("conflict-edit-save"));
    expect(await within(name).findByTestId("conflict-edit-error")).toHaveTextContent("Enter a name.");
    expect(screen.getAllByTestId("conflict-item")).toHaveLength(3);
  });

  it("shows one case's conflicts when opened from it, with a way to see them all", async () => {
    const { fake, liam } = withConflicts();
    const onopencase = vi.fn();
    const { user } = await renderWithSync(ConflictInbox, fake, { caseId: liam, onclose: () => {}, onopencase });
    expect(screen.getAllByTestId("conflict-item")).toHaveLength(2);
    await user.click(screen.getByTestId("conflict-show-all"));
    expect(screen.getAllByTestId("conflict-item")).toHaveLength(3);
    await user.click(screen.getByRole("button", { name: "Open the case of Liam Bennett" }));
    expect(onopencase).toHaveBeenCalledWith(liam);
  });

  it("says when nothing is left to resolve", async () => {
    const { fake } = enrolledWorkspace();
    await renderWithSync(ConflictInbox, fake, { caseId: null, onclose: () => {}, onopencase: null });
    expect(screen.getByTestId("conflict-inbox-empty")).toHaveTextContent("No conflicts wait for you");
  });
});
