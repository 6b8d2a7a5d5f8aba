import { screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import CaseList from "../cases/CaseList.svelte";
import type { ListQuery } from "../lib/bindings/ListQuery";
import { seedFake } from "../lib/fakeBackend";
import { workspaceWith } from "../test/cases";
import { posterFields } from "../test/posters";
import { renderWith } from "../test/render";

vi.mock("./pdfPage", async (original) => ({ ...(await original<typeof import("./pdfPage")>()), renderFirstPage: vi.fn(() => Promise.resolve()) }));

const boxes = () => screen.getAllByTestId("pick-case") as HTMLInputElement[];

function sixCases() {
  return workspaceWith(...["Maya", "Leo", "Ada", "Kai", "Zoe", "Ivy"].map((given, i) => ({ fields: posterFields(given, "Okafor", (f) => (f.event.last_seen_date = `2026-10-0${i + 1}`)) })));
}

describe("Picking cases in the list for posters", () => {
  it("picks a case with its box without opening it", async () => {
    const open = vi.fn();
    const { user } = renderWith(CaseList, sixCases(), { onopen: open, onnew: () => {} });
    await waitFor(() => expect(boxes()).toHaveLength(6));
    expect(screen.queryByTestId("selection-bar")).toBeNull();
    await user.click(boxes()[0]);
    expect(open).not.toHaveBeenCalled();
    expect(boxes()[0]).toBeChecked();
    expect(screen.getByTestId("picked-count")).toHaveTextContent("1 picked");
    expect(screen.getByTestId("bulk-posters")).toHaveTextContent("Poster for 1 case…");
  });

  it("picks and unpicks every row between two clicks with Shift", async () => {
    const { user } = renderWith(CaseList, sixCases(), { onopen: () => {}, onnew: () => {} });
    await waitFor(() => expect(boxes()).toHaveLength(6));
    await user.click(boxes()[1]);
    await user.keyboard("{Shift>}");
    await user.click(boxes()[4]);
    await user.keyboard("{/Shift}");
    await waitFor(() => expect(boxes().map((b) => b.checked)).toEqual([false, true, true, true, true, false]));
    expect(screen.getByTestId("bulk-posters")).toHaveTextContent("Posters for 4 cases…");

    // Shift-click on a picked row unpicks the range from the last click to it.
    await user.keyboard("{Shift>}");
    await user.click(boxes()[2]);
    await user.keyboard("{/Shift}");
    await waitFor(() => expect(boxes().map((b) => b.checked)).toEqual([false, true, false, false, false, false]));
  });

  it("picks every case the filters match, page by page, and opens the studio for them", async () => {
    const fake = workspaceWith();
    seedFake(fake, 4000);
    const matching = [...fake.cases.values()].filter((c) => c.fields.event.state === "OH" && !c.archived_at).length;
    expect(matching).toBeGreaterThan(500);
    const list = vi.spyOn(fake, "listCases");
    const { user } = renderWith(CaseList, fake, { onopen: () => {}, onnew: () => {} });
    await waitFor(() => expect(boxes().length).toBeGreaterThan(0));
    await user.selectOptions(screen.getByTestId("filter-state"), "OH");
    await waitFor(() => expect(screen.getByTestId("case-count")).toHaveTextContent(`${matching.toLocaleString("en-US")} cases`));

    list.mockClear();
    await user.click(screen.getByTestId("pick-all"));
    await waitFor(() => expect(screen.getByTestId("picked-count")).toHaveTextContent(`${matching.toLocaleString("en-US")} picked`));
    const asked = list.mock.calls.map(([q]) => q as ListQuery);
    expect(asked.every((q) => q.state === "OH" && q.limit === 500)).toBe(true);
    expect(asked.map((q) => q.offset)).toEqual(asked.map((_, i) => i * 500));
    expect(boxes().every((b) => b.checked)).toBe(true);

    await user.click(screen.getByTestId("bulk-posters"));
    expect(await screen.findByTestId("poster-studio")).toHaveTextContent(`Posters for ${matching.toLocaleString("en-US")} cases`);
  });

  it("clears the picked cases from the header box", async () => {
    const { user } = renderWith(CaseList, sixCases(), { onopen: () => {}, onnew: () => {} });
    await waitFor(() => expect(boxes()).toHaveLength(6));
    await user.click(boxes()[0]);
    await user.click(boxes()[3]);
    expect(screen.getByTestId("pick-all")).toHaveProperty("indeterminate", true);
    await user.click(screen.getByTestId("pick-all"));
    expect(boxes().some((b) => b.checked)).toBe(false);
    expect(screen.queryByTestId("selection-bar")).toBeNull();
  });
});
