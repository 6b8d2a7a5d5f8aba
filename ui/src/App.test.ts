import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { FakeBackend } from "./lib/fakeBackend";
import { fields, workspaceWith } from "./test/cases";

function renderApp(backend: FakeBackend) {
  const user = userEvent.setup();
  render(App, { props: { backend } });
  return user;
}

describe("App", () => {
  it("goes from first run to an empty case list, and from lock back to unlock", async () => {
    const user = renderApp(new FakeBackend());
    await user.type(await screen.findByTestId("passphrase"), "Blue-kettle-49-sings");
    await user.type(screen.getByTestId("passphrase-confirm"), "Blue-kettle-49-sings");
    await user.click(screen.getByTestId("create-workspace"));
    expect(await screen.findByTestId("list-empty")).toHaveTextContent("No cases yet");
    expect(screen.getByTestId("case-count")).toHaveTextContent("0 cases");

    await user.click(screen.getByTestId("lock-workspace"));
    await user.type(await screen.findByTestId("unlock-passphrase"), "Blue-kettle-49-sings{Enter}");
    expect(await screen.findByTestId("case-list")).toBeInTheDocument();
  });

  it("opens a new case with Ctrl+N and closes it with Escape", async () => {
    const user = renderApp(workspaceWith({ fields: fields("Maya", "Okafor") }));
    await screen.findAllByTestId("case-row");
    await user.keyboard("{Control>}n{/Control}");
    expect(await screen.findByTestId("field-child.given_name")).toBeInTheDocument();
    expect(screen.getByTestId("form-title")).toHaveTextContent("New case");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("field-child.given_name")).toBeNull());
    expect(screen.getByTestId("case-list")).toBeInTheDocument();
  });

  it("focuses the search with / or Ctrl+F, but leaves / alone while typing", async () => {
    const user = renderApp(workspaceWith({ fields: fields("Maya", "Okafor") }));
    const search = await screen.findByTestId("search");
    await screen.findAllByTestId("case-row");
    expect(search).not.toHaveFocus();
    await user.keyboard("/");
    expect(search).toHaveFocus();
    expect(search).toHaveValue("");

    // A slash typed into the search box is text, not a shortcut.
    await user.keyboard("a/b");
    expect(search).toHaveValue("a/b");

    screen.getAllByTestId("case-row")[0].focus();
    expect(search).not.toHaveFocus();
    await user.keyboard("{Control>}f{/Control}");
    expect(search).toHaveFocus();
  });

  it("saves a new case, opens it, and shows it in the list after", async () => {
    const fake = workspaceWith({ fields: fields("Liam", "Bennett") });
    const user = renderApp(fake);
    await screen.findAllByTestId("case-row");
    await user.click(screen.getByTestId("new-case"));
    await user.type(await screen.findByTestId("field-child.given_name"), "Maya");
    await user.type(screen.getByTestId("field-child.family_name"), "Okafor");
    await user.type(screen.getByTestId("field-child.date_of_birth"), "2011-04-02");
    await user.selectOptions(screen.getByTestId("field-child.sex"), "F");
    await user.type(screen.getByTestId("field-event.last_seen_date"), "2026-11-19");
    await user.type(screen.getByTestId("field-event.city"), "Tulsa");
    await user.selectOptions(screen.getByTestId("field-event.state"), "OK");
    await user.selectOptions(screen.getByTestId("field-case_type"), "ERU");
    await user.click(screen.getByTestId("save-case"));
    expect(await screen.findByTestId("case-name")).toHaveTextContent("Maya Okafor");
    expect(screen.getByTestId("case-status")).toHaveTextContent("Intake");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("case-view")).toBeNull());
    await waitFor(() => expect(screen.getAllByTestId("case-row").map((r) => r.textContent)).toEqual([expect.stringContaining("Maya Okafor"), expect.stringContaining("Liam Bennett")]));
    expect(screen.getByTestId("case-count")).toHaveTextContent("2 cases");
  });

  it("shows a failure to read the workspace status, with a retry", async () => {
    const fake = new FakeBackend();
    vi.spyOn(fake, "workspaceStatus").mockRejectedValueOnce({ code: "storage", message: "The app-data folder cannot be read.", fields: [] });
    const user = renderApp(fake);
    expect(await screen.findByTestId("app-error")).toHaveTextContent("cannot be read");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("passphrase")).toBeInTheDocument();
  });
});

describe("App, returning from a case", () => {
  it("keeps the list's filters and shows the case as saved", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") }, { fields: fields("Liam", "Bennett", (f) => (f.event.state = "TX")) });
    const user = renderApp(fake);
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(2));
    await user.selectOptions(screen.getByTestId("filter-state"), "OK");
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(1));
    await user.click(screen.getAllByTestId("case-row")[0]);
    await user.click(await screen.findByTestId("edit-case"));
    const given = await screen.findByTestId("field-child.given_name");
    await waitFor(() => expect(given).toHaveValue("Maya"));
    await user.clear(given);
    await user.type(given, "Mara");
    await user.click(screen.getByTestId("save-case"));
    // Back in the case, which shows the name as saved without opening the case again.
    await waitFor(() => expect(screen.queryByTestId("field-child.given_name")).toBeNull());
    expect(screen.getByTestId("case-name")).toHaveTextContent("Mara Okafor");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("case-view")).toBeNull());
    expect(screen.getByTestId("filter-state")).toHaveValue("OK");
    await waitFor(() => expect(screen.getAllByTestId("case-row").map((r) => r.textContent)).toEqual([expect.stringContaining("Mara Okafor")]));
  });
});

describe("App, the case view", () => {
  it("opens a case from the list with Enter, returns with Escape, and jumps to the search with Ctrl+F", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") }, { fields: fields("Liam", "Bennett") });
    const user = renderApp(fake);
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(2));
    screen.getAllByTestId("case-row")[0].focus();
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("case-view")).toBeInTheDocument();
    expect(screen.getByTestId("case-name")).toHaveTextContent(/Maya Okafor|Liam Bennett/);
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("case-view")).toBeNull());

    await user.click(screen.getAllByTestId("case-row")[1]);
    await screen.findByTestId("case-view");
    await user.keyboard("{Control>}f{/Control}");
    await waitFor(() => expect(screen.queryByTestId("case-view")).toBeNull());
    await waitFor(() => expect(screen.getByTestId("search")).toHaveFocus());
  });

  it("finds a case by a word in its notes and opens it", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") }, { fields: fields("Liam", "Bennett") });
    const liam = [...fake.cases.keys()][1];
    fake.seedNote(liam, "lead_tip", ["Seen at the Greyhound depot."], "2026-10-03T10:00:00Z");
    const user = renderApp(fake);
    await screen.findAllByTestId("case-row");
    await user.type(screen.getByTestId("search"), "greyh");
    await user.click(await screen.findByTestId("search-hit"));
    expect(await screen.findByTestId("case-name")).toHaveTextContent("Liam Bennett");
  });

  it("opens the possible duplicate from the new-case form", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") });
    const user = renderApp(fake);
    await screen.findAllByTestId("case-row");
    await user.keyboard("{Control>}n{/Control}");
    await user.type(await screen.findByTestId("field-child.given_name"), "Maya");
    await user.type(screen.getByTestId("field-child.family_name"), "Okafor");
    await user.type(screen.getByTestId("field-child.date_of_birth"), "2012-05-01");
    await user.selectOptions(screen.getByTestId("field-child.sex"), "F");
    await user.type(screen.getByTestId("field-event.last_seen_date"), "2026-11-19");
    await user.type(screen.getByTestId("field-event.city"), "Tulsa");
    await user.selectOptions(screen.getByTestId("field-event.state"), "OK");
    await user.selectOptions(screen.getByTestId("field-case_type"), "ERU");
    await user.click(screen.getByTestId("save-case"));
    await user.click(await screen.findByTestId("open-duplicate"));
    await user.click(screen.getByTestId("confirm-ok"));
    expect(await screen.findByTestId("case-view")).toBeInTheDocument();
    expect(screen.queryByTestId("field-child.given_name")).toBeNull();
    expect(screen.getByTestId("case-name")).toHaveTextContent("Maya Okafor");
    expect(fake.cases.size).toBe(1);
  });

  it("shows the sync state in the top bar once the workspace is open, and stops listening when locked", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") });
    const listen = vi.spyOn(fake, "onSyncStatus");
    const user = renderApp(fake);
    expect(await screen.findByTestId("sync-indicator")).toHaveTextContent("Not enrolled");
    expect(listen).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId("lock-workspace"));
    expect(await screen.findByTestId("unlock-passphrase")).toBeInTheDocument();
    expect(screen.queryByTestId("sync-indicator")).toBeNull();
  });

  it("opens a case from the conflict inbox", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") }, { fields: fields("Liam", "Bennett") });
    const [, liam] = [...fake.cases.keys()];
    fake.syncDesk.enrolAs();
    fake.syncDesk.conflicts = [fake.syncDesk.conflictOn(liam, "event.city", "City", ["Tulsa", "Tulsa"], ["Broken Arrow", "Broken Arrow"])];
    const user = renderApp(fake);
    await user.click(await screen.findByTestId("conflict-count"));
    await user.click(screen.getByRole("button", { name: "Open the case of Liam Bennett" }));
    expect(await screen.findByTestId("case-name")).toHaveTextContent("Liam Bennett");
    expect(screen.queryByTestId("conflict-inbox")).toBeNull();
    // The one badge in the document is the header's; the list's hide with the list.
    expect(screen.getAllByTestId("conflict-badge")).toHaveLength(1);
    expect(within(screen.getByTestId("case-view")).getByTestId("conflict-badge")).toHaveTextContent("1 conflict");
  });

  it("lists the cases a long first sync has received while it goes on, and says how far it has come", async () => {
    const fake = workspaceWith();
    fake.syncDesk.enrolAs();
    renderApp(fake);
    expect(await screen.findByTestId("list-empty")).toBeInTheDocument();
    // The first page of the sync is stored: one case of three, as Rust reports it mid-sync.
    fake.insert(fields("Maya", "Okafor"), "active", "2026-10-02T10:00:00Z", false);
    fake.syncDesk.syncing = true;
    fake.syncDesk.progress = { sent: 0, to_send: 0, cases_received: 1, cases_left: 2, changes_received: 9 };
    fake.syncDesk.emit();
    expect(await screen.findByTestId("sync-indicator")).toHaveTextContent("Receiving cases… 1 of 3");
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(1));
    // The same count told again fetches nothing more; a larger one does.
    fake.insert(fields("Liam", "Bennett"), "active", "2026-10-02T10:00:00Z", false);
    const list = vi.spyOn(fake, "listCases");
    fake.syncDesk.emit();
    await Promise.resolve();
    expect(list).not.toHaveBeenCalled();
    fake.syncDesk.progress = { ...fake.syncDesk.progress, cases_received: 2, cases_left: 1, changes_received: 18 };
    fake.syncDesk.emit();
    expect(await screen.findByTestId("sync-indicator")).toHaveTextContent("Receiving cases… 2 of 3");
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(2));
  });

  it("goes to the create screen with the reason when the organisation removes the workspace", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") });
    fake.syncDesk.enrolAs();
    renderApp(fake);
    await screen.findAllByTestId("case-row");
    fake.syncDesk.wipe();
    expect(await screen.findByTestId("workspace-removed")).toHaveTextContent("Your organisation removed this computer's workspace");
    expect(screen.getByTestId("create-workspace")).toBeInTheDocument();
    expect(screen.queryByTestId("case-row")).toBeNull();
  });
});
