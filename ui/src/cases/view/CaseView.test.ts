import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { appError } from "../../lib/fakeBackend";
import { contact, mayasCase, openCaseView, photoMeta, PIXEL } from "../../test/caseFile";

describe("CaseView", () => {
  it("shows who the child is and the facts asked first, and records the opening", async () => {
    const { fake, id } = mayasCase();
    const open = vi.spyOn(fake, "openCase");
    await openCaseView(fake, id);
    expect(open).toHaveBeenCalledWith(id);
    expect(screen.getByTestId("case-name")).toHaveTextContent("Maya Okafor");
    expect(screen.getByTestId("case-status")).toHaveTextContent("Active");
    const view = screen.getByTestId("case-view");
    expect(view).toHaveTextContent("Also known as Mimi");
    // Born 2012-05-01, missing 2026-10-01, seen on 2026-11-21: 14 now and then.
    expect(view).toHaveTextContent(/Age now\s*14/);
    expect(view).toHaveTextContent(/Missing since\s*Oct 1, 2026 · 7 weeks/);
    expect(view).toHaveTextContent(/Missing from\s*Tulsa, Oklahoma/);
    expect(view).toHaveTextContent(/Case type\s*Endangered runaway/);
    expect(fake.audit.map((a) => a.action)).toEqual(["case_opened"]);
    expect(screen.queryByTestId("do-not-disclose")).toBeNull();
    expect(screen.queryByTestId("photo-warning")).toBeNull();
  });

  it("warns in a banner whom not to tell, naming every such current contact", async () => {
    const { fake, id } = mayasCase();
    fake.seedContact(id, contact("Grace Okafor", { primary: true }), "2026-10-02T10:00:00Z");
    fake.seedContact(id, contact("Marcus Okafor", { relationship: "father", do_not_disclose: true }), "2026-10-02T10:05:00Z");
    fake.seedContact(id, contact("Ruth Okafor", { relationship: "grandparent", do_not_disclose: true }), "2026-10-02T10:06:00Z");
    await openCaseView(fake, id);
    const banner = screen.getByTestId("do-not-disclose");
    expect(banner).toHaveTextContent("Do not disclose case updates to: Marcus Okafor, Ruth Okafor");
    expect(banner).not.toHaveTextContent("Grace");
    expect(banner).toHaveAttribute("role", "alert");
  });

  it("shows the photo warning Rust sends, and the primary photo in the header", async () => {
    const { fake, id } = mayasCase();
    fake.seedPhoto(id, PIXEL, photoMeta({ taken_on: "2023-03-01", child_age: 10 }), "2026-10-02T10:00:00Z");
    await openCaseView(fake, id);
    expect(screen.getByTestId("photo-warning")).toHaveTextContent("The newest photo of Maya is from March 2023");
    const portrait = screen.getByRole("button", { name: "Photos of Maya Okafor" });
    await waitFor(() => expect(portrait.querySelector("img")).toHaveAttribute("src", PIXEL));
  });

  it("switches tabs by click and by arrow keys, and shows the counts", async () => {
    const { fake, id } = mayasCase();
    fake.seedContact(id, contact("Grace Okafor"), "2026-10-02T10:00:00Z");
    fake.seedNote(id, "call", ["Called the school."], "2026-10-03T10:00:00Z");
    const { user } = await openCaseView(fake, id);
    expect(screen.getByTestId("tab-overview")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("tab-contacts")).toHaveTextContent(/^Contacts\s*1$/);
    expect(screen.getByTestId("tab-notes")).toHaveTextContent(/^Notes\s*1$/);
    expect(screen.getByTestId("tab-photos")).toHaveTextContent(/^Photos\s*0$/);

    await user.click(screen.getByTestId("tab-notes"));
    expect(screen.getByTestId("tab-notes")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("note-row")).toHaveTextContent("Called the school.");
    expect(screen.getByRole("tabpanel", { name: /Notes/ })).toBeVisible();
    expect(document.getElementById("panel-overview")).not.toBeVisible();

    await user.keyboard("{ArrowRight}");
    expect(screen.getByTestId("tab-photos")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("tab-photos")).toHaveFocus();
    await user.keyboard("{ArrowLeft}{ArrowLeft}");
    expect(screen.getByTestId("tab-contacts")).toHaveAttribute("aria-selected", "true");
  });

  it("lists the fields on the overview and the status history with who, when and why", async () => {
    const { fake, id } = mayasCase();
    fake.cases.get(id)!.fields.description.medical_cautions = "Asthma; carries an inhaler.";
    fake.seedStatus(id, "recovered", "Found at a friend's house by police.", "2026-10-20T10:00:00Z");
    fake.seedStatus(id, "resolved", "Home with her mother.", "2026-10-22T10:00:00Z", "returned_home");
    await openCaseView(fake, id);
    const overview = document.getElementById("panel-overview")!;
    expect(overview).toHaveTextContent("Asthma; carries an inhaler.");
    expect(within(overview).getByText("Medical needs and cautions").closest("dt")).toHaveTextContent("Confidential");
    const events = screen.getAllByTestId("status-event");
    expect(events).toHaveLength(3);
    // Newest first, with the outcome of the resolution.
    expect(events[0]).toHaveTextContent("Recovered → Resolved");
    expect(events[0]).toHaveTextContent("Outcome: Returned home");
    expect(events[0]).toHaveTextContent("Home with her mother.");
    expect(events[0]).toHaveTextContent("Dana Whitaker");
    expect(events[1]).toHaveTextContent("Active → Recovered");
    expect(screen.getByTestId("case-status")).toHaveTextContent("Resolved");
  });

  it("returns to the list on Escape, but not while a dialog is open or while covered", async () => {
    const { fake, id } = mayasCase();
    const onclose = vi.fn();
    const { user, rerender } = await openCaseView(fake, id, { onclose });
    await user.click(screen.getByTestId("change-status"));
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("status-dialog")).toBeNull());
    expect(onclose).not.toHaveBeenCalled();

    await rerender({ active: false });
    await user.keyboard("{Escape}");
    expect(onclose).not.toHaveBeenCalled();
    await rerender({ active: true });
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("asks before leaving when a note is half written", async () => {
    const { fake, id } = mayasCase();
    const onclose = vi.fn();
    const { user } = await openCaseView(fake, id, { onclose });
    await user.click(screen.getByTestId("tab-notes"));
    await user.click(screen.getByTestId("add-note"));
    await user.type(screen.getByTestId("note-text"), "Half a thought");
    await user.click(screen.getByRole("button", { name: "Back to cases" }));
    expect(screen.getByTestId("confirm-dialog")).toHaveTextContent("Leave without saving?");
    await user.click(screen.getByTestId("confirm-cancel"));
    expect(onclose).not.toHaveBeenCalled();
    expect(screen.getByTestId("note-text")).toHaveValue("Half a thought");
    await user.click(screen.getByRole("button", { name: "Back to cases" }));
    await user.click(screen.getByTestId("confirm-ok"));
    expect(onclose).toHaveBeenCalledTimes(1);
  });

  it("opens the case form from Edit case", async () => {
    const { fake, id } = mayasCase();
    const onedit = vi.fn();
    const { user } = await openCaseView(fake, id, { onedit });
    await user.click(screen.getByTestId("edit-case"));
    expect(onedit).toHaveBeenCalledTimes(1);
  });

  it("shows a failure to open with a way to try again", async () => {
    const { fake, id } = mayasCase();
    vi.spyOn(fake, "openCase").mockRejectedValueOnce(appError("storage", "The workspace file cannot be read."));
    const { renderWith } = await import("../../test/render");
    const CaseView = (await import("./CaseView.svelte")).default;
    const { user } = renderWith(CaseView, fake, { caseId: id, onclose: () => {}, onedit: () => {} });
    expect(await screen.findByTestId("case-error")).toHaveTextContent("cannot be read");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("case-view")).toBeInTheDocument();
  });
});
