//! The "edit" choice of a conflict: which input fits the field (a status select, a number, yes or
//! no, a line of text, or JSON for a list), what it starts from (the value in force), and how
//! what was typed becomes the JSON text Rust expects. Whether the new value is valid for the
//! case is Rust's answer, shown under the input; this only refuses what cannot be read at all.

import type { ConflictView } from "../lib/bindings/ConflictView";

export type EditKind = "status" | "text" | "number" | "bool" | "json";

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The input for `conflict`, judged from its two values (one of them may be empty). */
export function editKind(conflict: ConflictView): EditKind {
  if (conflict.field === "status") return "status";
  for (const raw of [conflict.mine.raw, conflict.theirs.raw]) {
    const v = parse(raw);
    if (v === null || v === undefined) continue;
    if (typeof v === "string") return "text";
    if (typeof v === "number") return "number";
    if (typeof v === "boolean") return "bool";
    return "json";
  }
  return "text";
}

/** What the input shows first: the value in force, as the input takes it. */
export function initialInput(conflict: ConflictView, kind: EditKind): string {
  const raw = conflict.in_force === "mine" ? conflict.mine.raw : conflict.theirs.raw;
  const v = parse(raw);
  switch (kind) {
    case "text":
    case "status":
      return typeof v === "string" ? v : "";
    case "number":
      return typeof v === "number" ? String(v) : "";
    case "bool":
      return v === true ? "true" : "false";
    case "json":
      return v === undefined ? raw : JSON.stringify(v, null, 2);
  }
}

/** The JSON text of what was typed, or the reason it cannot be read. */
export function inputToRaw(kind: EditKind, input: string): { raw: string } | { error: string } {
  switch (kind) {
    case "text":
    case "status":
      return { raw: JSON.stringify(input) };
    case "number": {
      const t = input.trim();
      if (t === "") return { raw: "null" };
      const n = Number(t);
      if (!Number.isFinite(n)) return { error: `"${t}" is not a number; type digits, e.g. 142.` };
      return { raw: JSON.stringify(n) };
    }
    case "bool":
      return { raw: input === "true" ? "true" : "false" };
    case "json":
      if (parse(input) === undefined) return { error: "This list could not be read; keep its brackets, quotes and commas as they were." };
      return { raw: JSON.stringify(parse(input)) };
  }
}
