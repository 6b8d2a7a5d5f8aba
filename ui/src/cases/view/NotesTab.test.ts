import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { mayasCase, openCaseView } from "../../test/caseFile";

async function notesOf(seed: (fake: ReturnType<typeof mayasCase>["fake"], id: string) => void = () => {}) {
  const { fake, id } = mayasCase();
  seed(fake, id);
  const r = await openCaseView(fake, id);
  await r.user.click(screen.getByTestId("tab-notes"));
  return { fake, id, ...r };
}

describe("Notes tab", () => {
  it("adds a note with its category and lists it first, with author and time", async () => {
    const { fake, id, user } = await notesOf((fake, id) => fake.seedNote(id, "call", ["Intake call with the mother."], "2026-10-02T10:00:00Z"));
    const add = vi.spyOn(fake, "addNote");
    await user.click(screen.getByTestId("add-note"));
    await user.selectOptions(screen.getByTestId("note-category"), "lead_tip");
    await user.type(screen.getByTestId("note-text"), "Seen near the bus station on Saturday.");
    await user.click(screen.getByTestId("save-note"));

    await waitFor(() => expect(screen.getAllByTestId("note-row")).toHaveLength(2));
    expect(add).toHaveBeenCalledWith(id, { category: "lead_tip", text: "Seen near the bus station on Saturday." });
    const [first, second] = screen.getAllByTestId("note-row");
    expect(first).toHaveTextContent("Lead / tip");
    expect(first).toHaveTextContent("Dana Whitaker");
    expect(first).toHaveTextContent("Nov 21, 2026");
    expect(first).toHaveTextContent("Seen near the bus station on Saturday.");
    expect(second).toHaveTextContent("Intake call with the mother.");
    expect(screen.queryByTestId("note-text")).toBeNull();
  });

  it("shows Rust's refusal of an empty note on the text, and saves with Ctrl+Enter", async () => {
    const { user } = await notesOf();
    await user.click(screen.getByTestId("add-note"));
    await user.click(screen.getByTestId("save-note"));
    expect(await screen.findByTestId("note-error-text")).toHaveTextContent("Write the note before saving it.");
    expect(screen.getByTestId("note-text")).toHaveAttribute("aria-invalid", "true");
    await user.type(screen.getByTestId("note-text"), "Called the school.{Control>}{Enter}{/Control}");
    await waitFor(() => expect(screen.getByTestId("note-row")).toHaveTextContent("Called the school."));
  });

  it("edits a note as a new version, and its history shows every version with the old superseded", async () => {
    const { fake, user } = await notesOf((fake, id) => fake.seedNote(id, "call", ["Mother called at 9."], "2026-10-02T10:00:00Z"));
    const edit = vi.spyOn(fake, "editNote");
    const row = screen.getByTestId("note-row");
    expect(within(row).queryByTestId("note-history")).toBeNull();
    await user.click(within(row).getByTestId("edit-note"));
    const text = within(row).getByTestId("note-text");
    expect(text).toHaveValue("Mother called at 9.");
    await user.clear(text);
    await user.type(text, "Mother called at 9:40, not 9.");
    await user.click(within(row).getByTestId("save-note"));

    await waitFor(() => expect(within(row).queryByTestId("note-text")).toBeNull());
    // The version edited is sent, so Rust can refuse a save over someone else's newer one.
    expect(edit.mock.calls[0][1]).toBe(1);
    expect(row).toHaveTextContent("Mother called at 9:40, not 9.");
    expect(row).toHaveTextContent(/edited/);
    await user.click(within(row).getByTestId("note-history"));
    const versions = await screen.findAllByTestId("note-version");
    expect(versions).toHaveLength(2);
    expect(versions[0]).toHaveTextContent("Mother called at 9:40, not 9.");
    expect(versions[0]).not.toHaveClass("superseded");
    expect(versions[1]).toHaveTextContent("Mother called at 9.");
    expect(versions[1]).toHaveClass("superseded");
    expect(versions[1]).toHaveTextContent("Superseded");
  });

  it("on an edit conflict, reloads the newer version and keeps the text being written", async () => {
    const { fake, user } = await notesOf((fake, id) => fake.seedNote(id, "call", ["First text."], "2026-10-02T10:00:00Z"));
    const noteId = screen.getByTestId("note-row").dataset.id!;
    await user.click(screen.getByTestId("edit-note"));
    // Someone else saves a version while this one is being written.
    await fake.editNote(noteId, 1, { category: "call", text: "Their text." });
    const text = screen.getByTestId("note-text");
    await user.clear(text);
    await user.type(text, "My text.");
    await user.click(screen.getByTestId("save-note"));
    expect(await screen.findByTestId("note-conflict")).toHaveTextContent("Someone edited this note");
    await user.click(screen.getByTestId("reload-note"));
    await waitFor(() => expect(screen.getByTestId("note-conflict")).toHaveTextContent("latest version"));
    expect(screen.getByTestId("note-row")).toHaveTextContent("Their text.");
    expect(screen.getByTestId("note-text")).toHaveValue("My text.");

    const edit = vi.spyOn(fake, "editNote");
    await user.click(screen.getByTestId("save-note"));
    await waitFor(() => expect(screen.queryByTestId("note-text")).toBeNull());
    expect(edit.mock.calls[0][1]).toBe(2);
    expect((await fake.noteHistory(noteId)).map((v) => v.text)).toEqual(["First text.", "Their text.", "My text."]);
  });

  it("keeps one editor open at a time, and Escape cancels an untouched one", async () => {
    const { user } = await notesOf((fake, id) => fake.seedNote(id, "media", ["TV asked for the poster."], "2026-10-02T10:00:00Z"));
    await user.click(screen.getByTestId("add-note"));
    expect(screen.getByTestId("edit-note")).toBeDisabled();
    expect(screen.getByTestId("add-note")).toBeDisabled();
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("note-text")).toBeNull());
    expect(screen.getByTestId("case-view")).toBeInTheDocument();
  });
});
