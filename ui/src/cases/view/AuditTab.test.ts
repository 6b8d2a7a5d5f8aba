import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { appError } from "../../lib/fakeBackend";
import { mayasCase, openCaseView } from "../../test/caseFile";

describe("Audit tab", () => {
  it("lists who opened and changed the case, newest first", async () => {
    const { fake, id } = mayasCase();
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("tab-notes"));
    await user.click(screen.getByTestId("add-note"));
    await user.type(screen.getByTestId("note-text"), "Called the school.");
    await user.click(screen.getByTestId("save-note"));
    await waitFor(() => expect(screen.getByTestId("note-row")).toBeInTheDocument());
    await user.click(screen.getByTestId("tab-audit"));

    await waitFor(() => expect(screen.getAllByTestId("audit-entry")).toHaveLength(2));
    const [added, opened] = screen.getAllByTestId("audit-entry");
    expect(added).toHaveAttribute("data-action", "note_added");
    expect(within(added).getAllByRole("cell").map((c) => c.textContent)).toEqual([expect.stringContaining("Nov 21, 2026"), "Dana Whitaker", "Added a note", expect.stringMatching(/^note /)]);
    expect(opened).toHaveTextContent("Opened the case");
  });

  it("shows a failed read with a way to try again", async () => {
    const { fake, id } = mayasCase();
    vi.spyOn(fake, "caseAudit").mockRejectedValueOnce(appError("storage", "The audit log cannot be read."));
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("tab-audit"));
    expect(await screen.findByRole("alert")).toHaveTextContent("cannot be read");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(screen.getAllByTestId("audit-entry")).toHaveLength(1));
  });
});
