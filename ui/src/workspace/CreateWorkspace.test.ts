import { screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../lib/fakeBackend";
import { renderWith } from "../test/render";
import CreateWorkspace from "./CreateWorkspace.svelte";

describe("CreateWorkspace", () => {
  it("explains that the passphrase cannot be recovered and shows the strength rule", () => {
    renderWith(CreateWorkspace, new FakeBackend(), { oncreated: () => {} });
    expect(screen.getByText(/cannot be recovered/)).toBeInTheDocument();
    expect(screen.getByText(/At least 12 characters/)).toBeInTheDocument();
  });

  it("refuses two different entries locally, without asking the backend", async () => {
    const fake = new FakeBackend();
    const create = vi.spyOn(fake, "createWorkspace");
    const { user } = renderWith(CreateWorkspace, fake, { oncreated: () => {} });
    await user.type(screen.getByTestId("passphrase"), "Blue-kettle-49-sings");
    await user.type(screen.getByTestId("passphrase-confirm"), "Blue-kettle-49-sing");
    await user.click(screen.getByTestId("create-workspace"));
    expect(screen.getByTestId("passphrase-confirm-error")).toHaveTextContent("differ");
    expect(screen.getByTestId("passphrase-confirm")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("passphrase-confirm")).toHaveFocus();
    expect(create).not.toHaveBeenCalled();
  });

  it("shows a weak_passphrase answer under the passphrase field", async () => {
    const fake = new FakeBackend();
    const oncreated = vi.fn();
    const { user } = renderWith(CreateWorkspace, fake, { oncreated });
    await user.type(screen.getByTestId("passphrase"), "short");
    await user.type(screen.getByTestId("passphrase-confirm"), "short");
    await user.click(screen.getByTestId("create-workspace"));
    const error = await screen.findByTestId("passphrase-error");
    expect(error).toHaveTextContent("at least 12 characters");
    expect(screen.getByTestId("passphrase")).toHaveAttribute("aria-describedby", error.id);
    expect(screen.getByTestId("passphrase")).toHaveFocus();
    expect(oncreated).not.toHaveBeenCalled();
    expect(fake.exists).toBe(false);
  });

  it("creates the workspace with the typed passphrase and moves on", async () => {
    const fake = new FakeBackend();
    const create = vi.spyOn(fake, "createWorkspace");
    const oncreated = vi.fn();
    const { user } = renderWith(CreateWorkspace, fake, { oncreated });
    await user.type(screen.getByTestId("passphrase"), "Blue-kettle-49-sings");
    await user.type(screen.getByTestId("passphrase-confirm"), "Blue-kettle-49-sings");
    await user.click(screen.getByTestId("create-workspace"));
    await waitFor(() => expect(oncreated).toHaveBeenCalledWith(expect.objectContaining({ exists: true, unlocked: true })));
    expect(create).toHaveBeenCalledWith("Blue-kettle-49-sings");
    expect(screen.queryByTestId("passphrase-error")).toBeNull();
  });
});
