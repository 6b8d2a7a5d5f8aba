import { screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { appError, FakeBackend } from "../lib/fakeBackend";
import { renderWith } from "../test/render";
import Unlock from "./Unlock.svelte";

describe("Unlock", () => {
  it("says so under the field when the passphrase is wrong, and keeps the focus there", async () => {
    const fake = new FakeBackend({ exists: true, passphrase: "Blue-kettle-49-sings" });
    const onunlocked = vi.fn();
    const { user } = renderWith(Unlock, fake, { onunlocked });
    const field = screen.getByTestId("unlock-passphrase");
    await user.type(field, "blue-kettle-49-sings");
    await user.click(screen.getByTestId("unlock"));
    const error = await screen.findByTestId("unlock-error");
    expect(error).toHaveTextContent("does not open this workspace");
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(field).toHaveFocus();
    expect(onunlocked).not.toHaveBeenCalled();

    // Typing again clears the message, and the right passphrase opens the workspace.
    await user.clear(field);
    expect(screen.queryByTestId("unlock-error")).toBeNull();
    await user.type(field, "Blue-kettle-49-sings{Enter}");
    await waitFor(() => expect(onunlocked).toHaveBeenCalledWith(expect.objectContaining({ unlocked: true })));
  });

  it("shows the message of any other failure instead of crashing", async () => {
    const fake = new FakeBackend({ exists: true });
    vi.spyOn(fake, "unlockWorkspace").mockRejectedValue(appError("workspace_unreadable", "This file is not a Porchlight workspace."));
    const { user } = renderWith(Unlock, fake, { onunlocked: () => {} });
    await user.type(screen.getByTestId("unlock-passphrase"), "anything at all");
    await user.click(screen.getByTestId("unlock"));
    expect(await screen.findByTestId("unlock-error")).toHaveTextContent("not a Porchlight workspace");
  });

  it("turns a rejection that is not an AppError into a message too", async () => {
    const fake = new FakeBackend({ exists: true });
    vi.spyOn(fake, "unlockWorkspace").mockRejectedValue(new TypeError("boom"));
    const { user } = renderWith(Unlock, fake, { onunlocked: () => {} });
    await user.type(screen.getByTestId("unlock-passphrase"), "anything at all");
    await user.click(screen.getByTestId("unlock"));
    expect(await screen.findByTestId("unlock-error")).toHaveTextContent("internal fault: boom");
  });
});
