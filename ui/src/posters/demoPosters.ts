//! Posters produced in the past for the demo workspace: a few for each case with a case file,
//! saved, printed or exported, so that the Posters tab has a history and a found child's case
//! shows what to take down. Invented files only; never loaded inside the desktop app.

import type { FakeBackend } from "../lib/fakeBackend";

export function seedPosters(fake: FakeBackend, caseIds: string[]): void {
  caseIds.forEach((id, i) => {
    const c = fake.cases.get(id);
    if (!c || i % 3 === 2) return;
    const start = Date.parse(`${c.fields.event.last_seen_date}T16:00:00Z`);
    const at = (days: number) => new Date(start + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const es = c.fields.child.hispanic_latino;
    fake.posterDesk.seed([id], "printed", "", { language: "en", paper: "letter", photo_ids: [] }, at(1));
    fake.posterDesk.seed([id], "saved", `/home/user/Documents/Posters/${c.case_number}.pdf`, { language: "en", paper: "letter", photo_ids: [] }, at(1.1));
    if (es) fake.posterDesk.seed([id], "saved", `/home/user/Documents/Posters/${c.case_number}-es.pdf`, { language: "es", paper: "letter", photo_ids: [] }, at(2));
    if (i % 2 === 0) fake.posterDesk.seed([id], "bulk", `/home/user/Documents/Posters/Posters ${at(9).slice(0, 10)}.pdf`, { language: "en", paper: "letter", photo_ids: [] }, at(9));
  });
}
