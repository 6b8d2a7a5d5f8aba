import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { ContactFields } from "../../lib/bindings/ContactFields";
import { appError } from "../../lib/fakeBackend";
import { contact, mayasCase, openCaseView } from "../../test/caseFile";

async function contactsOf(seed: (fake: ReturnType<typeof mayasCase>["fake"], id: string) => void = () => {}) {
  const { fake, id } = mayasCase();
  seed(fake, id);
  const r = await openCaseView(fake, id);
  await r.user.click(screen.getByTestId("tab-contacts"));
  return { fake, id, ...r };
}

describe("Contacts tab", () => {
  it("adds a contact with every field, several phones and the do-not-disclose flag", async () => {
    const { fake, id, user } = await contactsOf();
    const add = vi.spyOn(fake, "addContact");
    await user.click(screen.getByTestId("add-contact"));
    await user.type(screen.getByTestId("contact-field-name"), "Marcus Okafor");
    await user.selectOptions(screen.getByTestId("contact-field-relationship"), "father");
    await user.type(screen.getByTestId("contact-field-phones.0"), "918 555 0100");
    await user.click(screen.getByTestId("add-phone"));
    await user.type(screen.getByTestId("contact-field-phones.1"), "918 555 0199");
    await user.type(screen.getByTestId("contact-field-email"), "marcus@example.org");
    await user.type(screen.getByTestId("contact-field-address"), "12 Elm Street, Tulsa, OK");
    await user.type(screen.getByTestId("contact-field-preferred_language"), "English");
    await user.type(screen.getByTestId("contact-field-best_time_to_call"), "Evenings");
    await user.type(screen.getByTestId("contact-field-notes"), "Protective order in place.");
    await user.click(screen.getByTestId("contact-field-do_not_disclose"));
    await user.click(screen.getByTestId("save-contact"));

    await waitFor(() => expect(screen.queryByTestId("contact-dialog")).toBeNull());
    const sent = add.mock.calls[0][1] as ContactFields;
    expect(add.mock.calls[0][0]).toBe(id);
    expect(sent).toEqual({
      name: "Marcus Okafor",
      relationship: "father",
      relationship_detail: "",
      // The first contact of a case starts as the primary one.
      primary: true,
      phones: ["918 555 0100", "918 555 0199"],
      email: "marcus@example.org",
      address: "12 Elm Street, Tulsa, OK",
      preferred_language: "English",
      best_time_to_call: "Evenings",
      notes: "Protective order in place.",
      do_not_disclose: true,
    });
    const row = screen.getByTestId("contact-row");
    expect(row).toHaveTextContent("Marcus Okafor");
    expect(row).toHaveTextContent("Father");
    // The numbers as Rust normalised them.
    expect(row).toHaveTextContent("(918) 555-0100");
    expect(row).toHaveTextContent("(918) 555-0199");
    expect(within(row).getByTestId("contact-do-not-disclose")).toBeInTheDocument();
    expect(screen.getByTestId("do-not-disclose")).toHaveTextContent("Do not disclose case updates to: Marcus Okafor");
    expect(screen.getByTestId("tab-contacts")).toHaveTextContent(/Contacts\s*1/);
  });

  it("puts Rust's errors on their fields, phones by their row even after an empty one", async () => {
    const { user } = await contactsOf((fake, id) => fake.seedContact(id, contact("Grace Okafor", { primary: true }), "2026-10-02T10:00:00Z"));
    await user.click(screen.getByTestId("add-contact"));
    await user.click(screen.getByTestId("add-phone"));
    // Row 0 is left empty; the bad number is on row 1, which Rust calls phones.0.
    await user.type(screen.getByTestId("contact-field-phones.1"), "555 12");
    await user.selectOptions(screen.getByTestId("contact-field-relationship"), "other");
    await user.click(screen.getByTestId("save-contact"));

    expect(await screen.findByTestId("contact-error-name")).toHaveTextContent("Enter a name.");
    expect(screen.getByTestId("contact-error-relationship_detail")).toHaveTextContent("Say how this person is related");
    expect(screen.getByTestId("contact-error-phones.1")).toHaveTextContent("10 digits");
    expect(screen.queryByTestId("contact-error-phones.0")).toBeNull();
    expect(screen.getByTestId("contact-field-phones.1")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("contact-field-name")).toHaveFocus();
    expect(screen.getAllByTestId("contact-row")).toHaveLength(1);
  });

  it("edits a contact with its version, and making one primary clears the other", async () => {
    const { fake, user } = await contactsOf((fake, id) => {
      fake.seedContact(id, contact("Grace Okafor", { primary: true }), "2026-10-02T10:00:00Z");
      fake.seedContact(id, contact("Ruth Okafor", { relationship: "grandparent" }), "2026-10-02T10:05:00Z");
    });
    const update = vi.spyOn(fake, "updateContact");
    const rows = () => screen.getAllByTestId("contact-row");
    expect(within(rows()[0]).getByText("Primary")).toBeInTheDocument();
    await user.click(within(rows()[1]).getByTestId("edit-contact"));
    expect(screen.getByTestId("contact-field-name")).toHaveValue("Ruth Okafor");
    await user.click(screen.getByTestId("contact-field-primary"));
    await user.click(screen.getByTestId("save-contact"));
    await waitFor(() => expect(screen.queryByTestId("contact-dialog")).toBeNull());
    expect(update.mock.calls[0][1]).toBe(1);
    expect(rows()[0]).toHaveTextContent("Ruth Okafor");
    expect(within(rows()[0]).getByText("Primary")).toBeInTheDocument();
    expect(within(rows()[1]).queryByText("Primary")).toBeNull();
  });

  it("offers to reload when someone else changed the contact", async () => {
    const { fake, user } = await contactsOf((fake, id) => fake.seedContact(id, contact("Grace Okafor"), "2026-10-02T10:00:00Z"));
    vi.spyOn(fake, "updateContact").mockRejectedValueOnce(appError("edit_conflict", "Someone changed this contact after you opened it."));
    const open = vi.spyOn(fake, "openCase");
    await user.click(screen.getByTestId("edit-contact"));
    await user.type(screen.getByTestId("contact-field-best_time_to_call"), "Mornings");
    await user.click(screen.getByTestId("save-contact"));
    expect(await screen.findByTestId("contact-banner")).toHaveTextContent("Someone changed this contact");
    await user.click(screen.getByRole("button", { name: "Reload case" }));
    await waitFor(() => expect(screen.queryByTestId("contact-dialog")).toBeNull());
    expect(open).toHaveBeenCalledTimes(1);
  });

  it("removes a contact only with a reason, and keeps it greyed with when and why", async () => {
    const { fake, user } = await contactsOf((fake, id) => {
      fake.seedContact(id, contact("Grace Okafor", { primary: true }), "2026-10-02T10:00:00Z");
      fake.seedContact(id, contact("Marcus Okafor", { relationship: "father", do_not_disclose: true }), "2026-10-02T10:05:00Z");
    });
    const remove = vi.spyOn(fake, "removeContact");
    expect(screen.getByTestId("do-not-disclose")).toBeInTheDocument();
    await user.click(within(screen.getAllByTestId("contact-row")[1]).getByTestId("remove-contact"));
    await user.click(screen.getByTestId("confirm-remove"));
    expect(await screen.findByTestId("remove-reason-error")).toHaveTextContent("Say why the contact is being removed.");
    expect(screen.getByTestId("remove-reason")).toHaveFocus();

    await user.type(screen.getByTestId("remove-reason"), "Moved abroad; no longer involved");
    await user.click(screen.getByTestId("confirm-remove"));
    await waitFor(() => expect(screen.queryByTestId("remove-contact-dialog")).toBeNull());
    expect(remove).toHaveBeenLastCalledWith(expect.any(String), "Moved abroad; no longer involved");
    const removed = screen.getAllByTestId("contact-row")[1];
    expect(removed).toHaveAttribute("data-removed", "true");
    expect(within(removed).getByTestId("contact-removed")).toHaveTextContent("Removed on Nov 21, 2026 — Moved abroad; no longer involved");
    expect(within(removed).queryByTestId("edit-contact")).toBeNull();
    // A removed contact no longer counts, nor is warned about.
    expect(screen.queryByTestId("do-not-disclose")).toBeNull();
    expect(screen.getByTestId("tab-contacts")).toHaveTextContent(/Contacts\s*1/);
  });

  it("asks before discarding a contact typed into the dialog", async () => {
    const { user } = await contactsOf();
    await user.click(screen.getByTestId("add-contact"));
    await user.type(screen.getByTestId("contact-field-name"), "Grace");
    await user.keyboard("{Escape}");
    expect(screen.getByTestId("confirm-dialog")).toHaveTextContent("Discard this contact?");
    await user.click(screen.getByTestId("confirm-ok"));
    await waitFor(() => expect(screen.queryByTestId("contact-dialog")).toBeNull());
    expect(screen.queryByTestId("contact-row")).toBeNull();
    // Escape went to the dialog, never to the case view behind it.
    expect(screen.getByTestId("case-view")).toBeInTheDocument();
  });
});
