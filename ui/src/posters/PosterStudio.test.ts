import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { pdfText, posterWorkspace, renderStudio } from "../test/posters";

describe("PosterStudio: one case", () => {
  it("previews the poster with the chosen options, and asks again when an option changes", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    const photo = fake.view(ids[0]).photos[0].id;
    const render = vi.spyOn(fake, "renderPoster");
    const { user, renderPage } = renderStudio(fake, ids);

    await waitFor(() => expect(renderPage).toHaveBeenCalledTimes(1));
    expect(render).toHaveBeenLastCalledWith(ids, { language: "en", paper: "letter", photo_ids: [photo] });
    // The renderer gets the PDF Rust answered and the canvas the user sees.
    const [bytes, canvas] = renderPage.mock.calls[0];
    expect(pdfText(bytes)).toMatch(/^%PDF-/);
    expect(pdfText(bytes)).toContain("ENDANGERED RUNAWAY");
    expect(canvas).toBe(screen.getByTestId("poster-preview"));
    await waitFor(() => expect(screen.getByTestId("save-poster")).toBeEnabled());

    await user.click(screen.getByTestId("poster-language-es"));
    await waitFor(() => expect(renderPage).toHaveBeenCalledTimes(2));
    expect(render).toHaveBeenLastCalledWith(ids, { language: "es", paper: "letter", photo_ids: [photo] });
    expect(pdfText(renderPage.mock.calls[1][0])).toContain("FUGA EN PELIGRO");

    await user.click(screen.getByTestId("poster-paper-a4"));
    await waitFor(() => expect(renderPage).toHaveBeenCalledTimes(3));
    expect(render).toHaveBeenLastCalledWith(ids, { language: "es", paper: "a4", photo_ids: [photo] });
    expect(pdfText(renderPage.mock.calls[2][0])).toContain("/MediaBox [0 0 595.28 841.89]");
  });

  it("asks once for changes made in quick succession", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    const render = vi.spyOn(fake, "renderPoster");
    const { renderPage } = renderStudio(fake, ids);
    await waitFor(() => expect(renderPage).toHaveBeenCalledTimes(1));
    fireEvent.click(screen.getByTestId("poster-language-es"));
    fireEvent.click(screen.getByTestId("poster-paper-a4"));
    fireEvent.click(screen.getByTestId("poster-language-en"));
    await waitFor(() => expect(renderPage).toHaveBeenCalledTimes(2));
    expect(render).toHaveBeenCalledTimes(2);
    expect(render).toHaveBeenLastCalledWith(ids, expect.objectContaining({ language: "en", paper: "a4" }));
  });

  it("puts the chosen photos on the poster in the chosen order, and offers none without consent", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor", consented: 2, more: () => {} });
    // A third photo without consent: listed, but it cannot be chosen.
    fake.seedPhoto(ids[0], "data:image/png;base64,AAAA#nc", { kind: "photo", age_progressed_to: null, taken_on: "2026-09-01", child_age: 14, source: "Aunt", consent_to_publish: false }, "2026-10-09T10:00:00Z");
    const [first, second, third] = fake.view(ids[0]).photos.map((p) => p.id);
    const render = vi.spyOn(fake, "renderPoster");
    const { user, renderPage } = renderStudio(fake, ids);
    await waitFor(() => expect(renderPage).toHaveBeenCalled());
    // The primary photo first, then the newest with consent.
    expect(render).toHaveBeenLastCalledWith(ids, expect.objectContaining({ photo_ids: [first, second] }));

    const rows = screen.getAllByTestId("poster-photo");
    expect(rows.map((r) => r.dataset.photoId)).toEqual([first, second, third]);
    expect(rows[0]).toHaveTextContent("Main photo");
    expect(within(rows[2]).getByRole("checkbox")).toBeDisabled();
    expect(rows[2]).toHaveTextContent("No consent to publish");

    await user.click(within(rows[1]).getByTestId("make-main"));
    await waitFor(() => expect(render).toHaveBeenLastCalledWith(ids, expect.objectContaining({ photo_ids: [second, first] })));
    expect(screen.getAllByTestId("poster-photo")[0]).toHaveTextContent("Main photo");

    await user.click(within(screen.getAllByTestId("poster-photo")[1]).getByRole("checkbox"));
    await waitFor(() => expect(render).toHaveBeenLastCalledWith(ids, expect.objectContaining({ photo_ids: [second] })));
    // The last photo left cannot be taken off: a poster needs one.
    expect(within(screen.getAllByTestId("poster-photo")[0]).getByRole("checkbox")).toBeDisabled();
  });

  it("shows Rust's refusal with its fix in place of the preview, and offers no save or print", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor", consented: 0 });
    const { renderPage } = renderStudio(fake, ids);
    const refusal = await screen.findByTestId("poster-refusal");
    expect(refusal).toHaveTextContent("Maya Okafor (case PL-2026-000001) has no photo with consent to publish.");
    expect(refusal).toHaveTextContent("Record the family's consent on a photo of the child");
    expect(screen.getByTestId("poster-preview").closest("[hidden]")).not.toBeNull();
    expect(renderPage).not.toHaveBeenCalled();
    expect(screen.getByTestId("save-poster")).toBeDisabled();
    expect(screen.getByTestId("print-poster")).toBeDisabled();
  });

  it.each([
    ["a resolved case", { status: "resolved" as const }, "Case PL-2026-000001 is resolved: posters are printed only for open cases.", "Reopen the case if the child is missing again."],
    ["no law-enforcement phone", { more: (f: { law_enforcement: { investigator_phone: string } }) => (f.law_enforcement.investigator_phone = "") }, "has no law-enforcement phone number.", "Enter the investigator's phone under Law enforcement"],
  ])("refuses %s with the reason and the fix", async (_what, child, reason, fix) => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor", ...child });
    renderStudio(fake, ids);
    const refusal = await screen.findByTestId("poster-refusal");
    expect(refusal).toHaveTextContent(reason);
    expect(refusal).toHaveTextContent(fix);
  });

  it("saves through the dialog, says where, and records the poster in the case", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    const produced = vi.fn();
    const { user } = renderStudio(fake, ids, { onproduced: produced });
    await waitFor(() => expect(screen.getByTestId("save-poster")).toBeEnabled());
    await user.click(screen.getByTestId("poster-language-es"));
    await waitFor(() => expect(screen.getByTestId("save-poster")).toBeEnabled());
    await user.click(screen.getByTestId("save-poster"));
    expect(await screen.findByTestId("poster-result")).toHaveTextContent("Saved to /home/user/Documents/PL-2026-000001.pdf");
    expect(produced).toHaveBeenCalledTimes(1);
    const [record] = await fake.casePosters(ids[0]);
    expect(record).toMatchObject({ channel: "saved", destination: "/home/user/Documents/PL-2026-000001.pdf", language: "es", paper: "letter" });
    expect(record.text).toContain("MAYA OKAFOR");
    expect(fake.audit.filter((a) => a.action === "poster_produced")).toHaveLength(1);
  });

  it("says nothing and records nothing when the save dialog is cancelled", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    fake.posterDesk.nextSavePath = null;
    const produced = vi.fn();
    const { user } = renderStudio(fake, ids, { onproduced: produced });
    await waitFor(() => expect(screen.getByTestId("save-poster")).toBeEnabled());
    await user.click(screen.getByTestId("save-poster"));
    await waitFor(() => expect(screen.getByTestId("save-poster")).toHaveTextContent("Save PDF…"));
    expect(screen.queryByTestId("poster-result")).toBeNull();
    expect(produced).not.toHaveBeenCalled();
    expect(await fake.casePosters(ids[0])).toEqual([]);
  });

  it("saves to a typed path through the end-to-end test's hook, as Save does", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    const { user } = renderStudio(fake, ids);
    await waitFor(() => expect(screen.getByTestId("save-poster")).toBeEnabled());
    await user.type(screen.getByTestId("poster-path"), "/tmp/e2e/maya");
    await user.click(screen.getByTestId("save-poster-path"));
    expect(await screen.findByTestId("poster-result")).toHaveTextContent("Saved to /tmp/e2e/maya.pdf");
    expect((await fake.casePosters(ids[0]))[0]).toMatchObject({ channel: "saved", destination: "/tmp/e2e/maya.pdf" });
  });

  it("prints and shows what the system did", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    fake.posterDesk.printAnswer = "No printer is set up: opened the poster in the PDF viewer";
    const { user } = renderStudio(fake, ids);
    await waitFor(() => expect(screen.getByTestId("print-poster")).toBeEnabled());
    await user.click(screen.getByTestId("print-poster"));
    expect(await screen.findByTestId("poster-result")).toHaveTextContent("No printer is set up: opened the poster in the PDF viewer");
    expect((await fake.casePosters(ids[0]))[0].channel).toBe("printed");
  });

  it("shows a failure to save as a message, not a refusal", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    vi.spyOn(fake, "savePoster").mockRejectedValueOnce({ code: "storage", message: "The disk is full: free some space and save again.", fields: [] });
    const { user } = renderStudio(fake, ids);
    await waitFor(() => expect(screen.getByTestId("save-poster")).toBeEnabled());
    await user.click(screen.getByTestId("save-poster"));
    expect(await screen.findByTestId("poster-failure")).toHaveTextContent("The disk is full");
    expect(screen.queryByTestId("poster-refusal")).toBeNull();
  });
});

describe("PosterStudio: siblings", () => {
  it("makes one poster of two to four children when asked, with each child's photos", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" }, { given: "Leo", family: "Okafor" }, { given: "Ada", family: "Okafor" });
    const render = vi.spyOn(fake, "renderPoster");
    const { user, renderPage } = renderStudio(fake, ids, { withPhotos: false });
    // Three cases start as three posters: the preview shows the first.
    await waitFor(() => expect(renderPage).toHaveBeenCalled());
    expect(render).toHaveBeenLastCalledWith([ids[0]], { language: "en", paper: "letter", photo_ids: [] });
    expect(screen.getByTestId("poster-pager")).toHaveTextContent("1 of 3");

    await user.click(screen.getByTestId("poster-together"));
    // The photos of cases not open are fetched to choose from.
    const photos = ids.map((id) => fake.view(id).photos[0].id);
    await waitFor(() => expect(render).toHaveBeenLastCalledWith(ids, { language: "en", paper: "letter", photo_ids: photos }));
    expect(screen.getAllByTestId("poster-photos").map((f) => f.querySelector("legend")!.textContent)).toEqual([
      "Photos of Maya Okafor",
      "Photos of Leo Okafor",
      "Photos of Ada Okafor",
    ]);
    await waitFor(() => expect(pdfText(renderPage.mock.lastCall![0])).toContain("LEO OKAFOR"));
    expect(screen.getByRole("dialog")).toHaveTextContent("One poster for 3 children");
    expect(screen.getByTestId("save-poster")).toBeInTheDocument();
  });

  it("offers no siblings poster for more than four cases", async () => {
    const kids = ["Maya", "Leo", "Ada", "Kai", "Zoe"].map((given) => ({ given, family: "Okafor" }));
    const { fake, ids } = posterWorkspace(...kids);
    renderStudio(fake, ids, { withPhotos: false });
    expect(screen.queryByTestId("poster-together")).toBeNull();
    expect(screen.getByTestId("export-posters")).toHaveTextContent("Export 5 posters…");
  });
});
