import { screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { enrolledWorkspace, renderWithSync } from "../test/sync";
import RejectedList from "./RejectedList.svelte";

describe("RejectedList", () => {
  it("shows each refused change with its reason until it is dismissed", async () => {
    const { fake, maya, liam } = enrolledWorkspace();
    const desk = fake.syncDesk;
    desk.rejected = [
      desk.refusedOn(maya, "Edit of Maya Okafor: city", "This case was reassigned to another office; you may no longer change it."),
      desk.refusedOn(liam, "Note on Liam Bennett", "Volunteers may add leads only."),
    ];
    const first = desk.rejected[0].op_id;
    const dismiss = vi.spyOn(fake, "dismissRejected");
    const { user, sync } = await renderWithSync(RejectedList, fake, { onclose: () => {} });
    const items = await screen.findAllByTestId("rejected-item");
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent("Edit of Maya Okafor: city");
    expect(items[0]).toHaveTextContent(fake.cases.get(maya)!.case_number);
    expect(items[0]).toHaveTextContent("This case was reassigned to another office; you may no longer change it.");
    expect(items[0]).toHaveTextContent("Made Nov 20, 2026, 7:00 AM · refused Nov 21, 2026, 8:50 AM");
    expect(items[1]).toHaveTextContent("Volunteers may add leads only.");

    await user.click(screen.getByRole("button", { name: "Dismiss: Edit of Maya Okafor: city" }));
    expect(dismiss).toHaveBeenCalledWith(first);
    await waitFor(() => expect(screen.getAllByTestId("rejected-item")).toHaveLength(1));
    expect(sync.status?.rejected).toBe(1);
    expect(screen.getByTestId("rejected-dismiss")).toHaveFocus();
    await user.click(screen.getByTestId("rejected-dismiss"));
    expect(await screen.findByTestId("rejected-empty")).toHaveTextContent("No refused changes.");
    expect(desk.rejected).toEqual([]);
  });
});
