import { describe, expect, it } from "vitest";
import { asAppError, isAppError } from "./backend";

describe("asAppError", () => {
  it("passes an AppError through unchanged", () => {
    const e = { code: "wrong_passphrase", message: "No.", fields: [] };
    expect(asAppError(e)).toBe(e);
    expect(isAppError(e)).toBe(true);
  });

  it("turns anything else into an internal error that keeps the detail", () => {
    expect(asAppError("command list_cases not found")).toEqual({
      code: "internal",
      message: "Porchlight hit an internal fault: command list_cases not found",
      fields: [],
    });
    expect(asAppError(new Error("boom")).message).toContain("boom");
    expect(asAppError({ code: "made_up", message: "x", fields: [] }).code).toBe("internal");
    expect(asAppError(undefined).code).toBe("internal");
  });
});
