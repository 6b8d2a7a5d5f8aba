import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { SearchQuery } from "../lib/bindings/SearchQuery";
import type { SearchResults } from "../lib/bindings/SearchResults";
import { summaryOf } from "../lib/fakeBackend";
import { contact, photoMeta, PIXEL } from "../test/caseFile";
import { fields, workspaceWith } from "../test/cases";
import { renderWith } from "../test/render";
import CaseList from "./CaseList.svelte";

const noop = () => {};
const TODAY = "2026-11-21";

function workspace() {
  const fake = workspaceWith(
    { fields: fields("Maya", "Okafor") },
    { fields: fields("Liam", "Bennett", (f) => { f.missing_from_care = true; f.care_agency = "Oklahoma DHS"; f.child.date_of_birth = "2016-02-01"; }) },
    { fields: fields("Ava", "Alvarez", (f) => (f.event.circumstances = "Left school at noon; seen at the bus station.")) },
  );
  fake.today = TODAY;
  const [maya, liam, ava] = [...fake.cases.keys()];
  fake.seedNote(liam, "lead_tip", ["Caller saw him near the bus depot on Friday."], "2026-10-05T10:00:00Z");
  fake.seedContact(maya, contact("Grace Okafor"), "2026-10-02T10:00:00Z");
  fake.seedPhoto(ava, PIXEL, photoMeta(), "2026-10-02T10:00:00Z");
  return { fake, maya, liam, ava };
}

function lastQuery(spy: { mock: { calls: unknown[][] } }): SearchQuery {
  return spy.mock.calls[spy.mock.calls.length - 1][0] as SearchQuery;
}

describe("Instant search", () => {
  it("marks the matched words and says where they matched", async () => {
    const { fake } = workspace();
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop, today: TODAY });
    await screen.findAllByTestId("case-row");
    await user.type(screen.getByTestId("search"), "bus");
    await waitFor(() => expect(screen.getAllByTestId("search-hit")).toHaveLength(2));
    const hits = screen.getAllByTestId("search-hit");
    const ava = hits.find((h) => h.textContent!.includes("Ava Alvarez"))!;
    const liam = hits.find((h) => h.textContent!.includes("Liam Bennett"))!;
    expect(within(ava).getByTestId("matched-in")).toHaveTextContent("Matched in circumstances");
    expect(within(liam).getByTestId("matched-in")).toHaveTextContent("Matched in note");
    expect(within(liam).getByText("bus", { selector: "mark" })).toBeInTheDocument();
    expect(liam).toHaveTextContent("Caller saw him near the bus depot on Friday.");
    expect(screen.getByTestId("match-count")).toHaveTextContent("2 matches");

    await user.clear(screen.getByTestId("search"));
    await user.type(screen.getByTestId("search"), "grace");
    await waitFor(() => expect(screen.getAllByTestId("search-hit")).toHaveLength(1));
    expect(screen.getByTestId("search-hit")).toHaveTextContent("Maya Okafor");
    expect(screen.getByTestId("matched-in")).toHaveTextContent("Matched in contact");
  });

  it("renders highlighted text as text, never as markup", async () => {
    const { fake, maya } = workspace();
    const results: SearchResults = {
      hits: [{ case: summaryOf(fake.cases.get(maya)!), matched_in: "Note", snippet: [{ text: "said ", hit: false }, { text: '<img src=x onerror="alert(1)">', hit: true }, { text: " twice", hit: false }] }],
      more: false,
      indexing: 0,
    };
    vi.spyOn(fake, "searchCases").mockResolvedValue(results);
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop, today: TODAY });
    await user.type(screen.getByTestId("search"), "img");
    const hit = await screen.findByTestId("search-hit");
    expect(hit.querySelector("img")).toBeNull();
    expect(within(hit).getByText('<img src=x onerror="alert(1)">', { selector: "mark" })).toBeInTheDocument();
  });

  it("shows the newest words' answer even when an older answer arrives after it", async () => {
    const { fake, maya } = workspace();
    const real = fake.searchCases.bind(fake);
    let releaseOld!: () => void;
    const search = vi.spyOn(fake, "searchCases").mockImplementation(async (q) => {
      if (q.text === "O") {
        // The answer to the older words is slow.
        await new Promise<void>((r) => (releaseOld = r));
        return { hits: [{ case: summaryOf(fake.cases.get(maya)!), matched_in: "Name", snippet: [{ text: "STALE", hit: true }] }], more: false, indexing: 0 };
      }
      return real(q);
    });
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop, today: TODAY });
    await screen.findAllByTestId("case-row");
    await user.type(screen.getByTestId("search"), "O");
    await waitFor(() => expect(search).toHaveBeenCalledTimes(1));
    await user.type(screen.getByTestId("search"), "kafor");
    await waitFor(() => expect(screen.getByTestId("search-hit")).toHaveTextContent("Maya Okafor"));
    releaseOld();
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.getByTestId("search-hit")).toHaveTextContent("Maya Okafor");
    expect(screen.queryByText("STALE")).toBeNull();
    expect(lastQuery(search).text).toBe("Okafor");
  });

  it("filters by missing from care, photo and age, with or without words", async () => {
    const { fake } = workspace();
    const search = vi.spyOn(fake, "searchCases");
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop, today: TODAY });
    await screen.findAllByTestId("case-row");

    await user.click(screen.getByTestId("search-filter-missing-from-care"));
    await waitFor(() => expect(screen.getAllByTestId("search-hit").map((h) => h.textContent)).toEqual([expect.stringContaining("Liam Bennett")]));
    expect(lastQuery(search)).toMatchObject({ text: "", missing_from_care: true, has_photo: null, age_min: null, age_max: null });
    await user.click(screen.getByTestId("search-filter-missing-from-care"));

    await user.click(screen.getByTestId("search-filter-has-photo"));
    await waitFor(() => expect(screen.getAllByTestId("search-hit").map((h) => h.textContent)).toEqual([expect.stringContaining("Ava Alvarez")]));
    expect(lastQuery(search)).toMatchObject({ missing_from_care: null, has_photo: true });
    await user.click(screen.getByTestId("search-filter-has-photo"));

    // Liam was born in 2016 (10), the others in 2012 (14).
    await user.type(screen.getByTestId("search-filter-age-min"), "9");
    await user.type(screen.getByTestId("search-filter-age-max"), "11");
    await waitFor(() => expect(screen.getAllByTestId("search-hit").map((h) => h.textContent)).toEqual([expect.stringContaining("Liam Bennett")]));
    expect(lastQuery(search)).toMatchObject({ age_min: 9, age_max: 11 });

    // Letters in an age box are flagged and not sent.
    await user.type(screen.getByTestId("search-filter-age-max"), "x");
    expect(screen.getByTestId("search-filter-age-max")).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(lastQuery(search)).toMatchObject({ age_min: 9, age_max: null }));

    await user.click(screen.getByTestId("clear-filters"));
    await waitFor(() => expect(screen.queryByTestId("search-hit")).toBeNull());
    expect(screen.getAllByTestId("case-row")).toHaveLength(3);
  });

  it("moves through the results with the arrow keys and opens one with Enter", async () => {
    const { fake } = workspace();
    const onopen = vi.fn();
    const { user } = renderWith(CaseList, fake, { onopen, onnew: noop, today: TODAY });
    await screen.findAllByTestId("case-row");
    await user.type(screen.getByTestId("search"), "bus");
    await waitFor(() => expect(screen.getAllByTestId("search-hit")).toHaveLength(2));
    await user.keyboard("{ArrowDown}");
    const hits = screen.getAllByTestId("search-hit");
    expect(hits[0]).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(hits[1]).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(onopen).toHaveBeenCalledWith(hits[1].dataset.id);
    await user.keyboard("{ArrowUp}{ArrowUp}");
    expect(screen.getByTestId("search")).toHaveFocus();
  });

  /** The case list once its rows are in, over a fake whose searches the test can answer. */
  async function listWithSearchSpy() {
    const { fake } = workspace();
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop, today: TODAY });
    await screen.findAllByTestId("case-row");
    const real = fake.searchCases.bind(fake);
    return { user, real, search: vi.spyOn(fake, "searchCases") };
  }

  it("says when just-received cases are not searchable yet, and asks again until they are", async () => {
    const { user, real, search } = await listWithSearchSpy();
    search.mockImplementationOnce(async (q) => ({ ...(await real(q)), indexing: 2500 }));
    await user.type(screen.getByTestId("search"), "maya");
    expect(await screen.findByTestId("search-indexing")).toHaveTextContent("2,500 cases just received from the central service are still being added to search");
    const asked = search.mock.calls.length;
    await waitFor(() => expect(search.mock.calls.length).toBeGreaterThan(asked), { timeout: 3000 });
    await waitFor(() => expect(screen.queryByTestId("search-indexing")).toBeNull());
    expect(screen.getAllByTestId("search-hit").length).toBeGreaterThan(0);
  });

  it("says nothing matches only \"yet\" while just-received cases are being added", async () => {
    const { user, real, search } = await listWithSearchSpy();
    search.mockImplementation(async (q) => ({ ...(await real(q)), indexing: 40 }));
    await user.type(screen.getByTestId("search"), "zzqx");
    await waitFor(() => expect(screen.getByTestId("search-empty")).toHaveTextContent("No cases match “zzqx” yet"));
    expect(screen.getByTestId("search-indexing")).toHaveTextContent("40 cases just received");
    search.mockImplementation(real);
    await waitFor(() => expect(screen.queryByTestId("search-indexing")).toBeNull(), { timeout: 3000 });
    expect(screen.getByTestId("search-empty")).toHaveTextContent("No cases match “zzqx”");
    expect(screen.getByTestId("search-empty")).not.toHaveTextContent("yet");
  });

  it("says when Rust cut the results off, and when nothing matched", async () => {
    const { fake } = workspace();
    const { user } = renderWith(CaseList, fake, { onopen: noop, onnew: noop, today: TODAY });
    await screen.findAllByTestId("case-row");
    const search = vi.spyOn(fake, "searchCases");
    search.mockImplementationOnce(async () => ({ hits: [{ case: summaryOf([...fake.cases.values()][0]), matched_in: "Name", snippet: [{ text: "Maya", hit: true }, { text: " Okafor", hit: false }] }], more: true, indexing: 0 }));
    await user.type(screen.getByTestId("search"), "a");
    expect(await screen.findByTestId("search-more")).toHaveTextContent("Showing the 1 best matches");
    expect(screen.getByTestId("match-count")).toHaveTextContent("Best 1 match");
    await user.type(screen.getByTestId("search"), "zzz");
    expect(await screen.findByTestId("search-empty")).toHaveTextContent("No cases match “azzz”");
  });
});
