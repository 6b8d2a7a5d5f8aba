import { describe, expect, it } from "vitest";
import { isTypingTarget, shortcutFor } from "./shortcuts";

function key(init: KeyboardEventInit, target?: HTMLElement): KeyboardEvent {
  const e = new KeyboardEvent("keydown", { bubbles: true, ...init });
  if (target) {
    document.body.append(target);
    target.dispatchEvent(e);
    target.remove();
  }
  return e;
}

describe("shortcuts", () => {
  it("maps Ctrl+N, Ctrl+F, / and Escape", () => {
    expect(shortcutFor(key({ key: "n", ctrlKey: true }))).toBe("new-case");
    expect(shortcutFor(key({ key: "N", metaKey: true }))).toBe("new-case");
    expect(shortcutFor(key({ key: "f", ctrlKey: true }))).toBe("search");
    expect(shortcutFor(key({ key: "/" }, document.createElement("div")))).toBe("search");
    expect(shortcutFor(key({ key: "Escape" }))).toBe("close");
    expect(shortcutFor(key({ key: "n" }))).toBeNull();
    expect(shortcutFor(key({ key: "n", ctrlKey: true, shiftKey: true }))).toBeNull();
  });

  it("leaves a bare / to text fields", () => {
    const input = document.createElement("input");
    expect(shortcutFor(key({ key: "/" }, input))).toBeNull();
    expect(shortcutFor(key({ key: "/" }, document.createElement("textarea")))).toBeNull();
    const box = document.createElement("input");
    box.type = "checkbox";
    expect(isTypingTarget(box)).toBe(false);
    expect(isTypingTarget(input)).toBe(true);
  });
});
