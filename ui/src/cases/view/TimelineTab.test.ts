import { screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { contact, mayasCase, openCaseView, photoMeta, PIXEL } from "../../test/caseFile";

function busyCase() {
  const { fake, id } = mayasCase();
  fake.seedContact(id, contact("Grace Okafor"), "2026-10-02T10:00:00Z");
  fake.seedNote(id, "call", ["Intake call with Grace."], "2026-10-03T10:00:00Z");
  fake.seedStatus(id, "recovered", "Found by police.", "2026-10-05T10:00:00Z");
  fake.seedPhoto(id, PIXEL, photoMeta(), "2026-10-04T10:00:00Z");
  return { fake, id };
}

describe("Timeline tab", () => {
  it("interleaves everything newest first, and narrows it by kind with the chips", async () => {
    const { fake, id } = busyCase();
    const timeline = vi.spyOn(fake, "caseTimeline");
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("tab-timeline"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(5));
    expect(timeline).toHaveBeenLastCalledWith(id, []);
    expect(screen.getAllByTestId("timeline-entry").map((e) => e.dataset.kind)).toEqual(["status", "photo", "note", "contact", "case"]);
    expect(screen.getAllByTestId("timeline-entry")[0]).toHaveTextContent("Status: Active → Recovered");
    expect(screen.getAllByTestId("timeline-entry")[0]).toHaveTextContent("Found by police.");

    await user.click(screen.getByTestId("timeline-filter-note"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(1));
    expect(timeline).toHaveBeenLastCalledWith(id, ["note"]);
    expect(screen.getByTestId("timeline-filter-note")).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByTestId("timeline-filter-all")).toHaveAttribute("aria-pressed", "false");

    await user.click(screen.getByTestId("timeline-filter-contact"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(2));
    expect(timeline).toHaveBeenLastCalledWith(id, ["note", "contact"]);

    await user.click(screen.getByTestId("timeline-filter-all"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(5));
  });

  it("asks again each time it is shown, so a note just added appears", async () => {
    const { fake, id } = busyCase();
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("tab-timeline"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(5));
    await user.click(screen.getByTestId("tab-notes"));
    await user.click(screen.getByTestId("add-note"));
    await user.type(screen.getByTestId("note-text"), "Tip from a neighbour.");
    await user.click(screen.getByTestId("save-note"));
    await waitFor(() => expect(screen.getAllByTestId("note-row")).toHaveLength(2));
    await user.click(screen.getByTestId("tab-timeline"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(6));
    expect(screen.getAllByTestId("timeline-entry")[0]).toHaveTextContent("Tip from a neighbour.");
  });
});
