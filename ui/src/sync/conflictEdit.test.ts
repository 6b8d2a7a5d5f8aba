import { describe, expect, it } from "vitest";
import type { ConflictView } from "../lib/bindings/ConflictView";
import { editKind, initialInput, inputToRaw } from "./conflictEdit";

function conflict(field: string, mine: unknown, theirs: unknown, inForce: "mine" | "theirs" = "theirs"): ConflictView {
  const side = (v: unknown, this_device: boolean) => ({ display: String(v), raw: JSON.stringify(v), by: this_device ? "Dana" : "Rosa", at: "2026-11-21T09:00:00Z", this_device });
  return { id: "k1", case_id: "c1", case_number: "PL-1", child_name: "Maya Okafor", field, field_label: field, mine: side(mine, true), theirs: side(theirs, false), in_force: inForce };
}

describe("the edit choice of a conflict", () => {
  it.each<[string, ConflictView, string, string]>([
    ["a name is text, from the value in force", conflict("child.given_name", "Maya", "Mya"), "text", "Mya"],
    ["an emptied field takes its kind from the other side", conflict("event.city", null, "Tulsa", "mine"), "text", ""],
    ["a height is a number", conflict("description.height_cm", 150, 155, "mine"), "number", "150"],
    ["a flag is yes or no", conflict("missing_from_care", true, false), "bool", "false"],
    ["a list is JSON", conflict("companions", [], [{ name: "Ray" }]), "json", '[\n  {\n    "name": "Ray"\n  }\n]'],
    ["a status is a status", conflict("status", "active", "located_alive"), "status", "located_alive"],
  ])("%s", (_name, c, kind, initial) => {
    expect(editKind(c)).toBe(kind);
    expect(initialInput(c, editKind(c))).toBe(initial);
  });

  it("turns what was typed into the JSON text of the field's type", () => {
    expect(inputToRaw("text", 'Ana "Ani"')).toEqual({ raw: '"Ana \\"Ani\\""' });
    expect(inputToRaw("number", " 152.5 ")).toEqual({ raw: "152.5" });
    expect(inputToRaw("number", "")).toEqual({ raw: "null" });
    expect(inputToRaw("bool", "true")).toEqual({ raw: "true" });
    expect(inputToRaw("status", "located_alive")).toEqual({ raw: '"located_alive"' });
    expect(inputToRaw("json", '[ {"name": "Ray"} ]')).toEqual({ raw: '[{"name":"Ray"}]' });
  });

  it("refuses what cannot be read, saying how to fix it", () => {
    expect(inputToRaw("number", "five feet")).toEqual({ error: '"five feet" is not a number; type digits, e.g. 142.' });
    expect(inputToRaw("json", '[{"name": "Ray"')).toHaveProperty("error", expect.stringContaining("brackets"));
  });
});
