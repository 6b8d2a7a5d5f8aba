//! Fixtures for the poster tests: a fake workspace whose cases can have posters (an agency with
//! a phone, a photo with consent to publish), and a stand-in for pdf.js, which needs a canvas
//! jsdom does not have. Invented people only.
import { render } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { vi } from "vitest";
import type { CaseFields } from "../lib/bindings/CaseFields";
import type { CaseStatus } from "../lib/bindings/CaseStatus";
import { backendContext } from "../lib/backend";
import type { FakeBackend } from "../lib/fakeBackend";
import PosterStudio, { type StudioCase } from "../posters/PosterStudio.svelte";
import type { PageRenderer } from "../posters/pdfPage";
import { photoMeta, PIXEL, TODAY } from "./caseFile";
import { fields, workspaceWith } from "./cases";

/** A case a poster can be made of: Tulsa police with a phone number. */
export function posterFields(given: string, family: string, more: (f: CaseFields) => void = () => {}): CaseFields {
  return fields(given, family, (f) => {
    f.law_enforcement.agency_name = "Tulsa Police Department";
    f.law_enforcement.investigator_phone = "(918) 555-0142";
    more(f);
  });
}

export interface Child {
  given: string;
  family: string;
  status?: CaseStatus;
  /** Photos with consent to publish; 0 for a case that cannot have a poster. */
  consented?: number;
  more?: (f: CaseFields) => void;
}

/** A fake workspace with these children's cases, each with its photos; ids in the same order. */
export function posterWorkspace(...children: Child[]): { fake: FakeBackend; ids: string[] } {
  const fake = workspaceWith(...children.map((c) => ({ fields: posterFields(c.given, c.family, c.more), status: c.status ?? "active" })));
  fake.today = TODAY;
  const ids = [...fake.cases.keys()];
  children.forEach((c, i) => {
    const consented = c.consented ?? 1;
    for (let k = 0; k < Math.max(consented, 1); k++) {
      // Each photo a different image: the fake stores photos by their content.
      fake.seedPhoto(ids[i], `${PIXEL}#${i}-${k}`, photoMeta({ taken_on: `2026-0${k + 1}-15`, consent_to_publish: k < consented, source: k === 0 ? "School portrait" : "Mother" }), `2026-10-0${k + 2}T10:00:00Z`);
    }
  });
  return { fake, ids };
}

export function studioCases(fake: FakeBackend, ids: string[]): StudioCase[] {
  return ids.map((id) => {
    const c = fake.cases.get(id)!;
    return { id, case_number: c.case_number, name: `${c.fields.child.given_name} ${c.fields.child.family_name}` };
  });
}

/** A renderer that records what it was asked to draw and draws nothing. */
export function stubRenderer() {
  return vi.fn<PageRenderer>(() => Promise.resolve());
}

/** The studio for `ids`, drawing with a stub renderer it returns; `withPhotos: false` leaves the
 *  photos for the studio to fetch, as from the case list. */
export function renderStudio(fake: FakeBackend, ids: string[], props: Partial<{ onproduced: () => void; onclose: () => void; pollMs: number; withPhotos: boolean }> = {}) {
  const user = userEvent.setup();
  const renderPage = stubRenderer();
  const photos = props.withPhotos === false ? undefined : Object.fromEntries(ids.map((id) => [id, fake.view(id).photos]));
  const result = render(PosterStudio, {
    props: { cases: studioCases(fake, ids), photos, renderPage, previewDelayMs: 0, pollMs: props.pollMs ?? 5, onproduced: props.onproduced, onclose: props.onclose ?? (() => {}) },
    context: backendContext(fake),
  });
  return { user, renderPage, ...result };
}

/** The text of the PDF bytes handed to the renderer, to read what the poster says. */
export function pdfText(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
