import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { CaseStatus } from "../../lib/bindings/CaseStatus";
import { CASE_STATUSES, STATUS_NEXT } from "../../lib/codes";
import { appError } from "../../lib/fakeBackend";
import { mayasCase, openCaseView } from "../../test/caseFile";

const optionValues = () => [...screen.getByTestId<HTMLSelectElement>("status-to").options].map((o) => o.value).filter((v) => v !== "");

describe("Change status", () => {
  it.each(CASE_STATUSES.map((s) => s.code))("offers only the moves allowed from %s", async (from: CaseStatus) => {
    const { fake, id } = mayasCase();
    fake.cases.set(id, { ...fake.cases.get(id)!, status: from });
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("change-status"));
    expect(optionValues()).toEqual([...STATUS_NEXT[from]]);
    const labels = [...screen.getByTestId<HTMLSelectElement>("status-to").options].slice(1).map((o) => o.textContent);
    expect(labels).toEqual(STATUS_NEXT[from].map((s) => CASE_STATUSES.find((c) => c.code === s)!.label));
  });

  it("asks for the outcome only when resolving, and shows each refusal on its field", async () => {
    const { fake, id } = mayasCase();
    const change = vi.spyOn(fake, "changeStatus");
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("change-status"));
    expect(screen.queryByTestId("status-outcome")).toBeNull();
    await user.selectOptions(screen.getByTestId("status-to"), "resolved");
    expect(screen.getByTestId("status-outcome")).toBeInTheDocument();
    await user.click(screen.getByTestId("save-status"));

    expect(await screen.findByTestId("status-error-outcome")).toHaveTextContent("Choose how the case was resolved.");
    expect(screen.getByTestId("status-error-reason")).toHaveTextContent("Say why the status is changing.");
    expect(change).toHaveBeenLastCalledWith(id, { to: "resolved", reason: "", outcome: null });
    expect(screen.getByTestId("status-outcome")).toHaveFocus();
    expect(screen.getByTestId("case-status")).toHaveTextContent("Active");

    // A move Rust refuses (the list was stale, say) shows on the status itself.
    change.mockRejectedValueOnce(appError("validation", "A case cannot go from Active to Intake.", [{ field: "to", message: "A case cannot go from Active to Intake; from Active it can go to Located (alive)." }]));
    await user.selectOptions(screen.getByTestId("status-outcome"), "returned_home");
    await user.type(screen.getByTestId("status-reason"), "Home with her mother; officer confirmed.");
    await user.click(screen.getByTestId("save-status"));
    expect(await screen.findByTestId("status-error-to")).toHaveTextContent("cannot go from Active to Intake");
  });

  it("changes the status with the reason and outcome, and records the event", async () => {
    const { fake, id } = mayasCase();
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("change-status"));
    await user.selectOptions(screen.getByTestId("status-to"), "resolved");
    await user.selectOptions(screen.getByTestId("status-outcome"), "returned_home");
    await user.type(screen.getByTestId("status-reason"), "Home with her mother; officer confirmed.");
    await user.click(screen.getByTestId("save-status"));

    await waitFor(() => expect(screen.queryByTestId("status-dialog")).toBeNull());
    expect(screen.getByTestId("case-status")).toHaveTextContent("Resolved");
    const latest = screen.getAllByTestId("status-event")[0];
    expect(latest).toHaveTextContent("Active → Resolved");
    expect(latest).toHaveTextContent("Outcome: Returned home");
    expect(latest).toHaveTextContent("Home with her mother; officer confirmed.");
    expect(fake.cases.get(id)!.status).toBe("resolved");

    // Reopening is one more move, offered from Resolved and recorded like any other.
    await user.click(screen.getByTestId("change-status"));
    expect(optionValues()).toEqual(["active"]);
    await user.selectOptions(screen.getByTestId("status-to"), "active");
    expect(screen.getByTestId("status-dialog")).toHaveTextContent("Reopening is recorded");
    await user.type(screen.getByTestId("status-reason"), "Ran away again.");
    await user.click(screen.getByTestId("save-status"));
    await waitFor(() => expect(screen.getByTestId("case-status")).toHaveTextContent("Active"));
    expect(within(screen.getAllByTestId("status-event")[0]).getByText(/Resolved/)).toBeInTheDocument();
    expect(screen.getAllByTestId("status-event")).toHaveLength(3);
  });

  it("does not send a change without a chosen status", async () => {
    const { fake, id } = mayasCase();
    const change = vi.spyOn(fake, "changeStatus");
    const { user } = await openCaseView(fake, id);
    await user.click(screen.getByTestId("change-status"));
    await user.click(screen.getByTestId("save-status"));
    expect(screen.getByTestId("status-error-to")).toHaveTextContent("Choose the status");
    expect(change).not.toHaveBeenCalled();
  });
});
