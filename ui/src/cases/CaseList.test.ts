import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { ListQuery } from "../lib/bindings/ListQuery";
import { seedFake } from "../lib/fakeBackend";
import { fields, workspaceWith } from "../test/cases";
import { renderWith } from "../test/render";
import CaseList from "./CaseList.svelte";

const noop = () => {};

function lastQuery(spy: { mock: { calls: unknown[][] } }): ListQuery {
  return spy.mock.calls[spy.mock.calls.length - 1][0] as ListQuery;
}

function rowNames(): string[] {
  // Cells: the box that picks the case for posters, the case number, the name.
  return screen.getAllByTestId("case-row").map((r) => within(r).getAllByRole("cell")[2].textContent!.trim());
}

describe("CaseList", () => {
  const three = () =>
    workspaceWith(
      { fields: fields("Maya", "Okafor", (f) => (f.event.last_seen_date = "2026-09-01")), status: "active" },
      { fields: fields("Liam", "Bennett", (f) => { f.event.last_seen_date = "2026-10-15"; f.case_type = "FA"; f.event.state = "TX"; f.event.city = "Laredo"; }), status: "intake" },
      { fields: fields("Ava", "Alvarez", (f) => (f.event.last_seen_date = "2026-08-20")), status: "resolved" },
    );

  it("shows one row per case with the child's name and the count", async () => {
    renderWith(CaseList, three(), { onopen: noop, onnew: noop });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(3));
    expect(screen.getByTestId("case-count")).toHaveTextContent("3 cases");
    // Newest missing first by default.
    expect(rowNames()).toEqual(["Liam Bennett", "Maya Okafor", "Ava Alvarez"]);
    const first = screen.getAllByTestId("case-row")[0];
    expect(first).toHaveTextContent("Laredo, TX");
    expect(first).toHaveTextContent("Intake");
    expect(first).toHaveTextContent("Family abduction");
    expect(first).toHaveTextContent("Oct 15, 2026");
  });

  it("sorts by a column on click, flipping the direction and aria-sort on a second click", async () => {
    const fake = three();
    const list = vi.spyOn(fake, "listCases");
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(3));
    const nameHeader = screen.getByTestId("sort-name");
    expect(screen.getByTestId("sort-missing_date")).toHaveAttribute("aria-sort", "descending");
    expect(nameHeader).not.toHaveAttribute("aria-sort");

    await user.click(within(nameHeader).getByRole("button"));
    await waitFor(() => expect(rowNames()).toEqual(["Ava Alvarez", "Liam Bennett", "Maya Okafor"]));
    expect(lastQuery(list)).toMatchObject({ sort: "name", dir: "asc", offset: 0 });
    expect(nameHeader).toHaveAttribute("aria-sort", "ascending");
    expect(screen.getByTestId("sort-missing_date")).not.toHaveAttribute("aria-sort");

    await user.click(within(nameHeader).getByRole("button"));
    await waitFor(() => expect(rowNames()).toEqual(["Maya Okafor", "Liam Bennett", "Ava Alvarez"]));
    expect(lastQuery(list)).toMatchObject({ sort: "name", dir: "desc" });
    expect(nameHeader).toHaveAttribute("aria-sort", "descending");
  });

  it("asks the backend for the chosen status, case type and state", async () => {
    const fake = three();
    const list = vi.spyOn(fake, "listCases");
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(3));

    await user.selectOptions(screen.getByTestId("filter-status"), "active");
    await waitFor(() => expect(rowNames()).toEqual(["Maya Okafor"]));
    expect(lastQuery(list)).toMatchObject({ status: "active", case_type: null, state: null });
    expect(screen.getByTestId("case-count")).toHaveTextContent("1 case");

    await user.selectOptions(screen.getByTestId("filter-status"), "");
    await user.selectOptions(screen.getByTestId("filter-case-type"), "FA");
    await user.selectOptions(screen.getByTestId("filter-state"), "TX");
    await waitFor(() => expect(rowNames()).toEqual(["Liam Bennett"]));
    expect(lastQuery(list)).toMatchObject({ status: null, case_type: "FA", state: "TX" });

    await user.selectOptions(screen.getByTestId("filter-state"), "OK");
    await waitFor(() => expect(screen.getByTestId("list-empty")).toHaveTextContent("No cases match"));
    await user.click(screen.getByTestId("clear-filters"));
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(3));
  });

  it("searches the full text once the typing pauses, and Escape brings the table back", async () => {
    const fake = three();
    const search = vi.spyOn(fake, "searchCases");
    const list = vi.spyOn(fake, "listCases");
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(3));
    list.mockClear();

    await user.type(screen.getByTestId("search"), "Oka");
    // Three keystrokes, one question: the first answer comes after the pause.
    expect(search).not.toHaveBeenCalled();
    const hit = await screen.findByTestId("search-hit");
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0][0]).toMatchObject({ text: "Oka", status: null, missing_from_care: null, has_photo: null });
    expect(hit).toHaveTextContent("Maya Okafor");
    expect(within(hit).getByText("Oka", { selector: "mark" })).toBeInTheDocument();
    expect(screen.getByTestId("case-list")).not.toBeVisible();
    // The words never go to the list's own prefix search any more.
    expect(list.mock.calls.every((c) => (c[0] as ListQuery).search === null)).toBe(true);

    await user.type(screen.getByTestId("search"), "{Escape}");
    await waitFor(() => expect(screen.queryByTestId("search-hit")).toBeNull());
    expect(screen.getByTestId("case-list")).toBeVisible();
    expect(screen.getAllByTestId("case-row")).toHaveLength(3);
  });

  it("hides archived cases unless asked to show them", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") }, { fields: fields("Iris", "Hollis"), archived: true });
    const list = vi.spyOn(fake, "listCases");
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop });
    await waitFor(() => expect(rowNames()).toEqual(["Maya Okafor"]));
    expect(lastQuery(list).include_archived).toBe(false);
    await user.click(screen.getByTestId("show-archived"));
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(2));
    expect(lastQuery(list).include_archived).toBe(true);
    expect(screen.getByText("Archived")).toBeInTheDocument();
  });

  it("draws only the rows in view and fetches pages of 100 as the list scrolls", async () => {
    const fake = workspaceWith();
    seedFake(fake, 5000);
    const list = vi.spyOn(fake, "listCases");
    renderWith(CaseList, fake, { onopen: noop, onnew: noop });
    await waitFor(() => expect(screen.getByTestId("case-count")).toHaveTextContent(/4,9\d\d cases/));
    expect(list.mock.calls.every((c) => (c[0] as ListQuery).limit === 100)).toBe(true);
    expect(screen.getAllByTestId("case-row").length).toBeLessThan(60);

    const viewport = screen.getByTestId("case-list");
    Object.defineProperty(viewport, "scrollTop", { configurable: true, value: 36 * 3000 });
    await fireEvent.scroll(viewport);
    await waitFor(() => expect(screen.getAllByTestId("case-row").some((r) => r.dataset.index === "3000")).toBe(true));
    expect(list.mock.calls.map((c) => (c[0] as ListQuery).offset)).toContain(3000);
    expect(screen.getAllByTestId("case-row").length).toBeLessThan(60);

    // Scrolling back to a page already fetched does not fetch it again.
    const calls = list.mock.calls.length;
    Object.defineProperty(viewport, "scrollTop", { configurable: true, value: 0 });
    await fireEvent.scroll(viewport);
    await waitFor(() => expect(screen.getAllByTestId("case-row")[0].dataset.index).toBe("0"));
    expect(list.mock.calls.length).toBe(calls);
  });

  it("opens a case on click and on Enter, and starts a new one from the button", async () => {
    const fake = three();
    const onopen = vi.fn();
    const onnew = vi.fn();
    const { user } = renderWith(CaseList, fake, { onopen, onnew });
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(3));
    const rows = screen.getAllByTestId("case-row");
    await user.click(rows[1]);
    expect(onopen).toHaveBeenLastCalledWith(rows[1].dataset.id);
    rows[0].focus();
    await user.keyboard("{ArrowDown}");
    await waitFor(() => expect(rows[1]).toHaveFocus());
    await user.keyboard("{Enter}");
    expect(onopen).toHaveBeenCalledTimes(2);
    await user.click(screen.getByTestId("new-case"));
    expect(onnew).toHaveBeenCalled();
  });

  it("shows a failed fetch with a way to try again", async () => {
    const fake = three();
    const list = vi.spyOn(fake, "listCases").mockRejectedValueOnce({ code: "storage", message: "The disk is full.", fields: [] });
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop });
    expect(await screen.findByTestId("list-error")).toHaveTextContent("The disk is full.");
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(screen.getAllByTestId("case-row")).toHaveLength(3));
    expect(list).toHaveBeenCalledTimes(2);
  });
});
