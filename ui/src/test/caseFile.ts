//! A fake workspace holding one case with a case file, and the case view rendered on it, for
//! the tests of the case view and its tabs. Invented people only.
import { screen } from "@testing-library/svelte";
import CaseView from "../cases/view/CaseView.svelte";
import type { ContactFields } from "../lib/bindings/ContactFields";
import type { PhotoMeta } from "../lib/bindings/PhotoMeta";
import type { FakeBackend } from "../lib/fakeBackend";
import { fields, workspaceWith } from "./cases";
import { renderWith } from "./render";

export const TODAY = "2026-11-21";

export function contact(name: string, overrides: Partial<ContactFields> = {}): ContactFields {
  return {
    name,
    relationship: "mother",
    relationship_detail: "",
    primary: false,
    phones: ["(918) 555-0142"],
    email: "",
    address: "",
    preferred_language: "",
    best_time_to_call: "",
    notes: "",
    do_not_disclose: false,
    ...overrides,
  };
}

export function photoMeta(overrides: Partial<PhotoMeta> = {}): PhotoMeta {
  return { kind: "photo", age_progressed_to: null, taken_on: "2026-06-01", child_age: 14, source: "Mother", consent_to_publish: false, ...overrides };
}

/** A tiny image URL standing in for a stored photo. */
export const PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** An unlocked workspace with Maya Okafor's case (active, missing from Tulsa since Oct 1). */
export function mayasCase(): { fake: FakeBackend; id: string } {
  const fake = workspaceWith({ fields: fields("Maya", "Okafor", (f) => (f.child.nicknames = "Mimi")), status: "active" });
  fake.today = TODAY;
  const id = [...fake.cases.keys()][0];
  return { fake, id };
}

/** Renders the case view of `id` and waits until the case is open. */
export async function openCaseView(fake: FakeBackend, id: string, props: { onclose?: () => void; onedit?: () => void; active?: boolean } = {}) {
  const r = renderWith(CaseView, fake, { caseId: id, today: TODAY, onclose: props.onclose ?? (() => {}), onedit: props.onedit ?? (() => {}), active: props.active ?? true });
  await screen.findByTestId("case-view");
  return r;
}
