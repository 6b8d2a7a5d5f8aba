import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { CaseFields } from "../lib/bindings/CaseFields";
import { appError, FakeBackend } from "../lib/fakeBackend";
import { fields, workspaceWith } from "../test/cases";
import { renderWith } from "../test/render";
import CaseForm from "./CaseForm.svelte";

const unlocked = () => new FakeBackend({ exists: true, unlocked: true });

async function fillMinimalCase(user: ReturnType<typeof renderWith>["user"]) {
  await user.type(screen.getByTestId("field-child.given_name"), "Maya");
  await user.type(screen.getByTestId("field-child.family_name"), "Okafor");
  await user.type(screen.getByTestId("field-child.date_of_birth"), "2011-04-02");
  await user.selectOptions(screen.getByTestId("field-child.sex"), "F");
  await user.type(screen.getByTestId("field-event.last_seen_date"), "2026-11-19");
  await user.type(screen.getByTestId("field-event.city"), "Tulsa");
  await user.selectOptions(screen.getByTestId("field-event.state"), "OK");
  await user.selectOptions(screen.getByTestId("field-case_type"), "ERU");
}

describe("CaseForm", () => {
  it("puts each validation error on its field, lists them on top and focuses the first", async () => {
    const fake = unlocked();
    vi.spyOn(fake, "createCase").mockRejectedValue(
      appError("validation", "3 fields need attention before this can be saved.", [
        { field: "event.state", message: "Choose the state the child went missing from." },
        { field: "child.date_of_birth", message: "2027-01-01 is in the future; enter a date on or before 2026-11-21." },
        { field: "vehicles.0.vin", message: "Vehicles built from 1981 have a 17-character VIN." },
      ]),
    );
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose: () => {} });
    await user.click(screen.getByTestId("add-vehicle"));
    await user.type(screen.getByTestId("field-vehicles.0.vin"), "1HGCM826");
    await user.click(screen.getByTestId("save-case"));

    const dob = screen.getByTestId("field-child.date_of_birth");
    const dobError = await screen.findByTestId("error-child.date_of_birth");
    expect(dobError).toHaveTextContent("in the future");
    expect(dob).toHaveAttribute("aria-invalid", "true");
    expect(dob).toHaveAttribute("aria-describedby", dobError.id);
    expect(screen.getByTestId("error-event.state")).toHaveTextContent("Choose the state");
    expect(screen.getByTestId("field-event.state")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("error-vehicles.0.vin")).toHaveTextContent("17-character VIN");
    expect(screen.getByTestId("field-child.given_name")).toHaveAttribute("aria-invalid", "false");
    expect(screen.queryByTestId("error-child.given_name")).toBeNull();

    // The first invalid field in the form's order has the focus, whatever order Rust sent.
    await waitFor(() => expect(dob).toHaveFocus());
    const summary = screen.getByTestId("error-summary");
    expect(summary).toHaveTextContent("3 fields need attention");
    expect(within(summary).getByRole("button", { name: "State" })).toBeInTheDocument();
    await user.click(within(summary).getByRole("button", { name: "State" }));
    expect(screen.getByTestId("field-event.state")).toHaveFocus();
  });

  it("saves a new case with exactly the values typed and closes", async () => {
    const fake = unlocked();
    const create = vi.spyOn(fake, "createCase");
    const onclose = vi.fn();
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose });
    await fillMinimalCase(user);
    await user.type(screen.getByTestId("field-child.nicknames"), "Mimi");
    await user.selectOptions(screen.getByTestId("field-child.hispanic_latino"), "no");
    await user.selectOptions(screen.getByTestId("field-description.hair"), "BRO");
    await user.type(screen.getByTestId("field-law_enforcement.investigator_phone"), "918 596 9222");
    await user.click(screen.getByTestId("save-case"));

    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    const sent = create.mock.calls[0][0] as CaseFields;
    expect(sent.child).toMatchObject({ given_name: "Maya", family_name: "Okafor", date_of_birth: "2011-04-02", sex: "F", nicknames: "Mimi", hispanic_latino: false, estimated_age: null });
    expect(sent.event).toMatchObject({ last_seen_date: "2026-11-19", city: "Tulsa", state: "OK" });
    expect(sent.case_type).toBe("ERU");
    expect(sent.description.hair).toBe("BRO");
    expect(sent.law_enforcement.investigator_phone).toBe("918 596 9222");
    expect(onclose.mock.calls[0][0]).toMatchObject({ case_number: expect.stringMatching(/^PL-/), fields: { child: { given_name: "Maya" } } });
    expect(fake.cases.size).toBe(1);
  });

  it("stores height and weight metric whichever units are typed", async () => {
    const fake = unlocked();
    const create = vi.spyOn(fake, "createCase");
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose: () => {} });
    await fillMinimalCase(user);
    await user.type(screen.getByTestId("field-description.height_ft"), "4");
    await user.type(screen.getByTestId("field-description.height_in"), "11");
    await user.type(screen.getByTestId("field-description.weight_lb"), "90");
    await user.click(screen.getByTestId("save-case"));
    await waitFor(() => expect(create).toHaveBeenCalled());
    let sent = create.mock.calls[0][0] as CaseFields;
    expect(sent.description).toMatchObject({ units: "imperial", height_cm: 149.86, weight_kg: 40.823 });

    // The same values read in metric after switching, and metric typing stores as typed.
    const fake2 = unlocked();
    const create2 = vi.spyOn(fake2, "createCase");
    const second = renderWith(CaseForm, fake2, { caseId: null, onclose: () => {} });
    const u = second.user;
    const inSecond = within(second.container);
    await u.type(inSecond.getByTestId("field-description.height_ft"), "4");
    await u.type(inSecond.getByTestId("field-description.height_in"), "11");
    await u.click(inSecond.getByTestId("units-metric"));
    expect(inSecond.getByTestId("field-description.height_cm")).toHaveValue("149.9");
    await u.type(inSecond.getByTestId("field-description.weight_kg"), "41.5");
    await u.clear(inSecond.getByTestId("field-description.height_cm"));
    await u.type(inSecond.getByTestId("field-description.height_cm"), "152");
    await u.click(inSecond.getByTestId("save-case"));
    await waitFor(() => expect(create2).toHaveBeenCalled());
    sent = create2.mock.calls[0][0] as CaseFields;
    expect(sent.description).toMatchObject({ units: "metric", height_cm: 152, weight_kg: 41.5 });
  });

  it("refuses letters in a number locally, on the field, without saving", async () => {
    const fake = unlocked();
    const create = vi.spyOn(fake, "createCase");
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose: () => {} });
    await user.type(screen.getByTestId("field-description.weight_lb"), "ninety");
    await user.click(screen.getByTestId("save-case"));
    expect(screen.getByTestId("error-description.weight_kg")).toHaveTextContent("pounds");
    await waitFor(() => expect(screen.getByTestId("field-description.weight_lb")).toHaveFocus());
    expect(create).not.toHaveBeenCalled();
  });

  it("checks a field with Rust when the user leaves it, showing only that field's error", async () => {
    const fake = unlocked();
    const validate = vi.spyOn(fake, "validateCase");
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose: () => {} });
    await user.type(screen.getByTestId("field-child.date_of_birth"), "04/02/2011");
    await user.tab();
    expect(await screen.findByTestId("error-child.date_of_birth")).toHaveTextContent("use YYYY-MM-DD");
    expect(validate).toHaveBeenCalled();
    // Other required fields are not yet touched, so they stay quiet.
    expect(screen.queryByTestId("error-child.given_name")).toBeNull();
    expect(screen.queryByTestId("error-summary")).toBeNull();
  });

  it("edits an existing case with its version, and offers a reload after an edit conflict", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor", (f) => Object.assign(f.description, { height_cm: 149.9, weight_kg: 40.8 })) });
    const [id] = [...fake.cases.keys()];
    const update = vi.spyOn(fake, "updateCase");
    const get = vi.spyOn(fake, "getCase");
    const { user } = renderWith(CaseForm, fake, { caseId: id, onclose: () => {} });
    const city = await screen.findByDisplayValue("Tulsa");
    expect(screen.getByTestId("form-title")).toHaveTextContent("Maya Okafor");
    // Opening a case is not an edit: height and weight shown in other units change nothing.
    expect(screen.queryByTestId("unsaved")).toBeNull();

    // Someone else saves first.
    await fake.updateCase(id, 1, fields("Maya", "Okafor", (f) => (f.event.city = "Broken Arrow")));
    await user.clear(city);
    await user.type(city, "Sand Springs");
    await user.click(screen.getByTestId("save-case"));
    expect(update).toHaveBeenLastCalledWith(id, 1, expect.objectContaining({ event: expect.objectContaining({ city: "Sand Springs" }) }));
    expect(await screen.findByTestId("form-banner")).toHaveTextContent("Someone saved this case after you opened it");

    await user.click(screen.getByTestId("reload-case"));
    await waitFor(() => expect(screen.getByTestId("field-event.city")).toHaveValue("Broken Arrow"));
    expect(get).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId("form-banner")).toBeNull();
  });

  it("asks before discarding edits on Cancel or Escape, and closes at once when nothing changed", async () => {
    const fake = unlocked();
    const onclose = vi.fn();
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose });
    await user.type(screen.getByTestId("field-child.given_name"), "Maya");
    await user.click(screen.getByTestId("cancel-case"));
    expect(screen.getByTestId("confirm-dialog")).toBeInTheDocument();
    expect(screen.getByTestId("confirm-cancel")).toHaveFocus();

    // Escape in the dialog is "keep editing", and must not also close the form.
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("confirm-dialog")).toBeNull();
    expect(onclose).not.toHaveBeenCalled();
    expect(screen.getByTestId("field-child.given_name")).toHaveValue("Maya");

    screen.getByTestId("field-child.given_name").focus();
    await user.keyboard("{Escape}");
    await user.click(screen.getByTestId("confirm-ok"));
    expect(onclose).toHaveBeenCalledWith(null);

    const onclose2 = vi.fn();
    const second = renderWith(CaseForm, unlocked(), { caseId: null, onclose: onclose2 });
    await second.user.click(within(second.container).getByTestId("cancel-case"));
    expect(onclose2).toHaveBeenCalledWith(null);
  });

  it("archives and unarchives an existing case", async () => {
    const fake = workspaceWith({ fields: fields("Maya", "Okafor") });
    const [id] = [...fake.cases.keys()];
    const archive = vi.spyOn(fake, "setArchived");
    const { user } = renderWith(CaseForm, fake, { caseId: id, onclose: () => {} });
    const button = await screen.findByTestId("archive-case");
    expect(button).toHaveTextContent("Archive");
    await user.click(button);
    await waitFor(() => expect(screen.getByTestId("archived-tag")).toBeInTheDocument());
    expect(archive).toHaveBeenLastCalledWith(id, true);
    expect(button).toHaveTextContent("Unarchive");
    await user.click(button);
    await waitFor(() => expect(screen.queryByTestId("archived-tag")).toBeNull());
    expect(archive).toHaveBeenLastCalledWith(id, false);
  });

  it("adds and removes companion rows", async () => {
    const fake = unlocked();
    const create = vi.spyOn(fake, "createCase");
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose: () => {} });
    await fillMinimalCase(user);
    await user.click(screen.getByTestId("add-companion"));
    await user.click(screen.getByTestId("add-companion"));
    expect(screen.getAllByTestId("companion")).toHaveLength(2);
    expect(screen.getByTestId("field-companions.1.name")).toHaveFocus();
    await user.type(screen.getByTestId("field-companions.0.name"), "Dale Hollis");
    await user.type(screen.getByTestId("field-companions.1.name"), "Unknown adult");
    await user.click(screen.getAllByTestId("remove-companion")[0]);
    expect(screen.getAllByTestId("companion")).toHaveLength(1);
    expect(screen.getByTestId("field-companions.0.name")).toHaveValue("Unknown adult");
    await user.click(screen.getByTestId("save-case"));
    await waitFor(() => expect(create).toHaveBeenCalled());
    expect((create.mock.calls[0][0] as CaseFields).companions).toEqual([{ name: "Unknown adult", relationship: "", date_of_birth: "", description: "" }]);
  });

  it("marks the confidential fields", async () => {
    const { user } = renderWith(CaseForm, unlocked(), { caseId: null, onclose: () => {} });
    expect(screen.getByText("Confidential — never printed")).toBeInTheDocument();
    await user.click(screen.getByTestId("field-missing_from_care"));
    expect(screen.getByTestId("field-care_agency")).toBeInTheDocument();
    expect(screen.getByLabelText(/Child-welfare agency/)).toBe(screen.getByTestId("field-care_agency"));
  });
});

describe("CaseForm, possible duplicates", () => {
  /** A workspace where Maya Okafor, born 2011-04-02, went missing in Oklahoma. */
  const withMaya = () => workspaceWith({ fields: fields("Maya", "Okafor", (f) => (f.child.date_of_birth = "2011-04-02")) });

  it("warns before saving a child who may already have a case, and saves anyway when asked", async () => {
    const fake = withMaya();
    const existing = [...fake.cases.values()][0];
    const find = vi.spyOn(fake, "findDuplicates");
    const create = vi.spyOn(fake, "createCase");
    const onclose = vi.fn();
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose, onopencase: () => {} });
    await fillMinimalCase(user);
    // "Okafur": one letter off, the same day of birth, the same state.
    await user.clear(screen.getByTestId("field-child.family_name"));
    await user.type(screen.getByTestId("field-child.family_name"), "Okafur");
    await user.click(screen.getByTestId("save-case"));

    const warning = await screen.findByTestId("duplicate-warning");
    expect(find).toHaveBeenCalledWith(expect.objectContaining({ child: expect.objectContaining({ family_name: "Okafur" }) }), null);
    expect(warning).toHaveTextContent(`Possible duplicate of case ${existing.case_number} (Maya Okafor, born Apr 2, 2011, Oklahoma) — Open it`);
    expect(warning).toHaveTextContent("Name sounds like Maya Okafor");
    expect(warning).toHaveTextContent("Same date of birth");
    expect(warning).toHaveTextContent("Same state (OK)");
    expect(create).not.toHaveBeenCalled();
    expect(screen.getByTestId("review-duplicates")).toHaveFocus();

    await user.click(screen.getByTestId("save-anyway"));
    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    expect(create).toHaveBeenCalledTimes(1);
    expect(fake.cases.size).toBe(2);
  });

  it("goes back to the form on Review, and asks again at the next save", async () => {
    const fake = withMaya();
    const create = vi.spyOn(fake, "createCase");
    const onclose = vi.fn();
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose });
    await fillMinimalCase(user);
    await user.click(screen.getByTestId("save-case"));
    await user.click(await screen.findByTestId("review-duplicates"));
    await waitFor(() => expect(screen.queryByTestId("duplicate-warning")).toBeNull());
    expect(create).not.toHaveBeenCalled();
    expect(screen.getByTestId("field-child.given_name")).toHaveValue("Maya");

    await user.click(screen.getByTestId("save-case"));
    expect(await screen.findByTestId("duplicate-warning")).toBeInTheDocument();
    await user.click(screen.getByTestId("save-anyway"));
    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
  });

  it("saves at once when nothing looks alike, and leaves the case being edited out of the check", async () => {
    const fake = withMaya();
    const id = [...fake.cases.keys()][0];
    const find = vi.spyOn(fake, "findDuplicates");
    const onclose = vi.fn();
    const { user } = renderWith(CaseForm, fake, { caseId: id, onclose });
    const city = await screen.findByTestId("field-event.city");
    await waitFor(() => expect(city).toHaveValue("Tulsa"));
    await user.clear(city);
    await user.type(city, "Broken Arrow");
    await user.click(screen.getByTestId("save-case"));
    await waitFor(() => expect(onclose).toHaveBeenCalledTimes(1));
    expect(find).toHaveBeenCalledWith(expect.anything(), id);
    expect(screen.queryByTestId("duplicate-warning")).toBeNull();
  });

  it("opens the other case from the warning, after asking about the unsaved form", async () => {
    const fake = withMaya();
    const existing = [...fake.cases.keys()][0];
    const onopencase = vi.fn();
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose: () => {}, onopencase });
    await fillMinimalCase(user);
    await user.click(screen.getByTestId("save-case"));
    await user.click(await screen.findByTestId("open-duplicate"));
    expect(screen.getByTestId("confirm-dialog")).toHaveTextContent("The edits in this form have not been saved.");
    await user.click(screen.getByTestId("confirm-ok"));
    expect(onopencase).toHaveBeenCalledWith(existing);
  });

  it("shows field errors first and only then looks for duplicates", async () => {
    const fake = withMaya();
    const find = vi.spyOn(fake, "findDuplicates");
    const { user } = renderWith(CaseForm, fake, { caseId: null, onclose: () => {} });
    await user.type(screen.getByTestId("field-child.given_name"), "Maya");
    await user.click(screen.getByTestId("save-case"));
    expect(await screen.findByTestId("error-summary")).toBeInTheDocument();
    expect(find).not.toHaveBeenCalled();
    expect(screen.queryByTestId("duplicate-warning")).toBeNull();
  });
});
