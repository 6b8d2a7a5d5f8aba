import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { openCaseView } from "../test/caseFile";
import { posterWorkspace } from "../test/posters";

// jsdom has no canvas for pdf.js; the studio opened from the case draws nothing here.
vi.mock("./pdfPage", async (original) => ({ ...(await original<typeof import("./pdfPage")>()), renderFirstPage: vi.fn(() => Promise.resolve()) }));

const options = { language: "en" as const, paper: "letter" as const, photo_ids: [] };

/** Maya's case with two posters produced while she was missing. */
function withPosters(status: "active" | "located_alive") {
  const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor", status });
  const id = ids[0];
  fake.posterDesk.seed([id], "printed", "", options, "2026-10-03T14:00:00Z");
  fake.posterDesk.seed([id], "saved", "/home/user/Documents/PL-2026-000001.pdf", { ...options, language: "es", paper: "a4" }, "2026-10-04T09:30:00Z");
  return { fake, id };
}

describe("Posters in the case view", () => {
  it("lists every poster to take down when the child has been located", async () => {
    const { fake, id } = withPosters("located_alive");
    await openCaseView(fake, id);
    const panel = await screen.findByTestId("posters-takedown");
    expect(panel).toHaveTextContent("Take these posters down");
    expect(panel).toHaveTextContent("The case is Located (alive). 2 posters of Maya were produced");
    const rows = within(panel).getAllByTestId("poster-record");
    // Newest first: the Spanish file, then the printed one.
    expect(rows[0]).toHaveTextContent(/Oct 4, 2026.*Dana Whitaker.*Saved.*Español · A4.*\/home\/user\/Documents\/PL-2026-000001\.pdf/);
    expect(rows[1]).toHaveTextContent(/Oct 3, 2026.*Printed.*English · US Letter.*Printer/);
  });

  it("shows no take-down panel while the child is missing, and the posters on their tab", async () => {
    const { fake, id } = withPosters("active");
    const asked = vi.spyOn(fake, "casePosters");
    const { user } = await openCaseView(fake, id);
    expect(screen.queryByTestId("posters-takedown")).toBeNull();
    // An open case costs no call until its posters are looked at.
    expect(asked).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("tab-posters"));
    const table = await screen.findByTestId("posters-produced");
    expect(within(table).getAllByTestId("poster-record")).toHaveLength(2);
    expect(asked).toHaveBeenCalledWith(id);
  });

  it("shows the take-down list as soon as the status changes to located in the view", async () => {
    const { fake, id } = withPosters("active");
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("change-status"));
    await user.selectOptions(screen.getByTestId("status-to"), "located_alive");
    await user.type(screen.getByTestId("status-reason"), "Seen and spoken to by an officer.");
    await user.click(screen.getByTestId("save-status"));
    expect(await screen.findByTestId("posters-takedown")).toHaveTextContent("2 posters of Maya");
  });

  it("opens the studio from the case header, and the poster saved joins the case's list", async () => {
    const { fake, id } = withPosters("active");
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("tab-posters"));
    await screen.findByTestId("posters-produced");

    await user.click(screen.getByTestId("open-poster-studio"));
    const studio = await screen.findByTestId("poster-studio");
    expect(studio).toHaveTextContent("Poster for Maya Okafor");
    // The photos already open in the case are offered without asking Rust again.
    expect(within(studio).getAllByTestId("poster-photo")).toHaveLength(1);
    await waitFor(() => expect(screen.getByTestId("save-poster")).toBeEnabled());
    await user.click(screen.getByTestId("save-poster"));
    await screen.findByTestId("poster-result");
    await user.click(screen.getByTestId("close-studio"));

    await waitFor(() => expect(within(screen.getByTestId("posters-produced")).getAllByTestId("poster-record")).toHaveLength(3));
    expect(fake.audit.filter((a) => a.action === "poster_produced")).toHaveLength(1);
  });

  it("says when no poster was made yet", async () => {
    const { fake, ids } = posterWorkspace({ given: "Maya", family: "Okafor" });
    const { user } = await openCaseView(fake, ids[0]);
    await user.click(screen.getByTestId("tab-posters"));
    expect(await screen.findByTestId("posters-none")).toHaveTextContent("No poster has been made for this case yet.");
  });
});
