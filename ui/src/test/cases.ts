//! Synthetic case fixtures for component tests. Invented names only.
import { emptyCaseFields } from "../cases/caseFields";
import type { CaseFields } from "../lib/bindings/CaseFields";
import type { CaseStatus } from "../lib/bindings/CaseStatus";
import { FakeBackend } from "../lib/fakeBackend";

export function fields(given: string, family: string, overrides: (f: CaseFields) => void = () => {}): CaseFields {
  const f = emptyCaseFields();
  f.case_type = "ERU";
  f.child.given_name = given;
  f.child.family_name = family;
  f.child.date_of_birth = "2012-05-01";
  f.child.sex = "F";
  f.event.last_seen_date = "2026-10-01";
  f.event.city = "Tulsa";
  f.event.state = "OK";
  overrides(f);
  return f;
}

/** An unlocked fake workspace holding the given cases. */
export function workspaceWith(...cases: Array<{ fields: CaseFields; status?: CaseStatus; archived?: boolean }>): FakeBackend {
  const fake = new FakeBackend({ exists: true, unlocked: true });
  for (const c of cases) fake.insert(c.fields, c.status ?? "active", "2026-10-02T10:00:00Z", c.archived ?? false);
  return fake;
}
