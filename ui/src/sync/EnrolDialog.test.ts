import { screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import { appError } from "../lib/fakeBackend";
import { fields, workspaceWith } from "../test/cases";
import { renderWithSync } from "../test/sync";
import EnrolDialog from "./EnrolDialog.svelte";

const fresh = () => workspaceWith({ fields: fields("Maya", "Okafor") });

describe("EnrolDialog", () => {
  it("shows each refusal under the field it names, and focuses the first", async () => {
    const fake = fresh();
    const onclose = vi.fn();
    const { user } = await renderWithSync(EnrolDialog, fake, { onclose });
    await user.type(screen.getByTestId("enrol-server"), "sync.example.org");
    await user.click(screen.getByTestId("enrol-submit"));
    expect(await screen.findByTestId("enrol-error-server_url")).toHaveTextContent('"sync.example.org" is not a web address; start it with https://');
    expect(screen.getByTestId("enrol-error-username")).toHaveTextContent("Enter your user name");
    expect(screen.getByTestId("enrol-error-password")).toHaveTextContent("Enter your password");
    expect(screen.getByTestId("enrol-error-device_name")).toHaveTextContent("Name this computer");
    expect(screen.getByTestId("enrol-server")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("enrol-server")).toHaveAccessibleDescription(expect.stringContaining("not a web address"));
    expect(screen.getByTestId("enrol-server")).toHaveFocus();
    // A form check says it all under the fields; no second copy above the buttons.
    expect(screen.queryByTestId("enrol-error")).toBeNull();
    // Typing in a field clears its own message only.
    await user.type(screen.getByTestId("enrol-user"), "dana");
    expect(screen.queryByTestId("enrol-error-username")).toBeNull();
    expect(screen.getByTestId("enrol-error-password")).toBeInTheDocument();
    expect(onclose).not.toHaveBeenCalled();
  });

  it("asks for the second-factor code when the service does, then enrols", async () => {
    const fake = fresh();
    const enrol = vi.spyOn(fake, "enrolDevice");
    const onclose = vi.fn();
    const { user, sync } = await renderWithSync(EnrolDialog, fake, { onclose });
    expect(screen.queryByTestId("enrol-totp")).toBeNull();
    await user.type(screen.getByTestId("enrol-server"), "https://sync.example.org");
    await user.type(screen.getByTestId("enrol-user"), "sam");
    await user.type(screen.getByTestId("enrol-password"), "correct horse battery");
    await user.type(screen.getByTestId("enrol-device"), "Field laptop 3");
    await user.click(screen.getByTestId("enrol-submit"));
    expect(await screen.findByTestId("enrol-error-totp")).toHaveTextContent("six-digit code");
    expect(screen.getByTestId("enrol-error")).toHaveTextContent("This account needs the six-digit code");
    await waitFor(() => expect(screen.getByTestId("enrol-totp")).toHaveFocus());
    await user.type(screen.getByTestId("enrol-totp"), "123456");
    await user.click(screen.getByTestId("enrol-submit"));
    await waitFor(() => expect(onclose).toHaveBeenCalled());
    expect(enrol).toHaveBeenLastCalledWith({ server_url: "https://sync.example.org", username: "sam", password: "correct horse battery", totp: "123456", device_name: "Field laptop 3" });
    expect(sync.status).toMatchObject({ enrolled: true, user: "Sam Ortiz (sam)", role: "supervisor", online: true });
  });

  it("says the password is wrong under the password, and why above the buttons", async () => {
    const fake = fresh();
    const { user } = await renderWithSync(EnrolDialog, fake, { onclose: () => {} });
    await user.type(screen.getByTestId("enrol-server"), "https://sync.example.org");
    await user.type(screen.getByTestId("enrol-user"), "dana");
    await user.type(screen.getByTestId("enrol-password"), "wrong");
    await user.type(screen.getByTestId("enrol-device"), "Laptop");
    await user.click(screen.getByTestId("enrol-submit"));
    expect(await screen.findByTestId("enrol-error-password")).toHaveTextContent("do not match");
    expect(screen.getByTestId("enrol-error")).toHaveTextContent("That user name and password do not match an account");
    expect(screen.getByTestId("enrol-password")).toHaveFocus();
  });

  it("shows a failure that names no field above the buttons", async () => {
    const fake = fresh();
    vi.spyOn(fake, "enrolDevice").mockRejectedValue(appError("protocol_mismatch", "This service needs Porchlight 0.3 or newer; update this app."));
    const { user } = await renderWithSync(EnrolDialog, fake, { onclose: () => {} });
    await user.click(screen.getByTestId("enrol-submit"));
    expect(await screen.findByTestId("enrol-error")).toHaveTextContent("needs Porchlight 0.3 or newer");
    expect(screen.getByTestId("enrol-submit")).toBeEnabled();
  });
});
