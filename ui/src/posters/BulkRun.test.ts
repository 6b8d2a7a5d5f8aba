import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { posterWorkspace, renderStudio, type Child } from "../test/posters";

/** Five active cases; the third has no photo that may be published. */
function fiveCases() {
  const kids: Child[] = ["Maya", "Leo", "Ada", "Kai", "Zoe"].map((given, i) => ({ given, family: "Okafor", consented: i === 2 ? 0 : 1 }));
  return posterWorkspace(...kids);
}

describe("Bulk posters", () => {
  it("exports one PDF with a progress bar, then lists the file and every case refused", async () => {
    const { fake, ids } = fiveCases();
    fake.posterDesk.bulkStep = 1;
    const start = vi.spyOn(fake, "startBulkPosters");
    const poll = vi.spyOn(fake, "bulkProgress");
    const produced = vi.fn();
    const { user } = renderStudio(fake, ids, { withPhotos: false, onproduced: produced, pollMs: 20 });

    await user.click(screen.getByTestId("poster-language-es"));
    await user.click(screen.getByTestId("export-posters"));
    expect(start).toHaveBeenCalledWith(ids, { language: "es", paper: "letter", photo_ids: [] }, false, null);

    // While it runs: the bar with its counts, and the studio cannot be closed from under it.
    const bar = await screen.findByTestId("bulk-progress");
    await waitFor(() => expect(Number(bar.dataset.done)).toBeGreaterThan(0));
    expect(bar).toHaveAttribute("aria-valuemax", "5");
    expect(screen.getByTestId("bulk-run")).toHaveTextContent(new RegExp(`${bar.dataset.done} of 5 cases`));
    expect(screen.getByTestId("close-studio")).toBeDisabled();

    const done = await screen.findByTestId("bulk-done");
    expect(done).toHaveTextContent("4 posters made");
    expect(poll.mock.calls.every(([job]) => job === "job-1")).toBe(true);
    expect(screen.getByTestId("bulk-outputs")).toHaveTextContent("/home/user/Documents/Posters/Posters 2026-11-21.pdf");
    const refused = screen.getByTestId("bulk-refused");
    expect(refused).toHaveTextContent("Record the family's consent on a photo of the child");
    expect(refused).toHaveTextContent("PL-2026-000003");
    expect(refused).not.toHaveTextContent("PL-2026-000001");
    expect(screen.getByTestId("close-studio")).toBeEnabled();
    expect(screen.getByTestId("close-studio")).toHaveTextContent("Done");
    expect(produced).toHaveBeenCalledTimes(1);
    // Every poster made is recorded in its case, none for the refused one.
    expect((await fake.casePosters(ids[0]))[0]).toMatchObject({ channel: "bulk", language: "es" });
    expect(await fake.casePosters(ids[2])).toEqual([]);
  });

  it("stops when cancelled and shows what was written before", async () => {
    const { fake, ids } = fiveCases();
    fake.posterDesk.bulkStep = 1;
    const cancel = vi.spyOn(fake, "cancelBulk");
    const { user } = renderStudio(fake, ids, { withPhotos: false, pollMs: 40 });
    await user.click(screen.getByTestId("poster-per-case"));
    await user.click(screen.getByTestId("export-posters"));
    const bar = await screen.findByTestId("bulk-progress");
    await waitFor(() => expect(Number(bar.dataset.done)).toBeGreaterThanOrEqual(1));
    await user.click(screen.getByTestId("cancel-bulk"));
    expect(cancel).toHaveBeenCalledWith("job-1");

    const done = await screen.findByTestId("bulk-done");
    expect(done).toHaveTextContent(/Cancelled after \d poster/);
    const written = within(screen.getByTestId("bulk-outputs")).getAllByRole("listitem");
    expect(written.length).toBeGreaterThanOrEqual(1);
    expect(written.length).toBeLessThan(4);
    expect(written[0]).toHaveTextContent("PL-2026-000001.pdf");
  });

  it("starts nothing when the folder dialog is cancelled", async () => {
    const { fake, ids } = fiveCases();
    fake.posterDesk.nextFolder = null;
    const poll = vi.spyOn(fake, "bulkProgress");
    const { user } = renderStudio(fake, ids, { withPhotos: false });
    await user.click(screen.getByTestId("export-posters"));
    await waitFor(() => expect(screen.getByTestId("export-posters")).toBeEnabled());
    expect(screen.queryByTestId("bulk-run")).toBeNull();
    expect(poll).not.toHaveBeenCalled();
  });

  it("previews each case in turn", async () => {
    const { fake, ids } = fiveCases();
    const render = vi.spyOn(fake, "renderPoster");
    const { user } = renderStudio(fake, ids, { withPhotos: false });
    await waitFor(() => expect(render).toHaveBeenLastCalledWith([ids[0]], expect.anything()));
    await user.click(screen.getByRole("button", { name: "Next case" }));
    await user.click(screen.getByRole("button", { name: "Next case" }));
    expect(screen.getByTestId("poster-pager")).toHaveTextContent("Ada Okafor");
    // The third case cannot have a poster: the preview says so before anything is exported.
    expect(await screen.findByTestId("poster-refusal")).toHaveTextContent("Ada Okafor (case PL-2026-000003) has no photo with consent to publish.");
    expect(render).toHaveBeenLastCalledWith([ids[2]], expect.anything());
  });
});
