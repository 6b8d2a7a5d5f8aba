//! The in-browser demo workspace behind `?fake=1`: a fake backend filled with synthetic cases,
//! the most recent of them (and a sample of the rest) with contacts, notes, status history and
//! drawn photos. `?fake=create|unlock|open` picks the first screen, `cases=N` the size (default
//! 1,000), `latency=MS` a delay per call, `sync=synced|conflicts|offline|stopped` an enrolment
//! (none by default). Never loaded inside the desktop app.

import { FakeBackend, seedFake } from "./fakeBackend";
import { portrait, seedCaseFile } from "./fakeCaseFiles";
import { seedPosters } from "../posters/demoPosters";
import { seedSync } from "../sync/demoSync";

export function demoBackend(params: URLSearchParams): FakeBackend {
  const stage = params.get("fake");
  const fake = new FakeBackend({
    exists: stage !== "create",
    unlocked: stage === "open" || stage === "1",
    latencyMs: Number(params.get("latency") ?? 0),
  });
  seedFake(fake, Number(params.get("cases") ?? 1000));

  // The cases at the top of the default list (newest missing first) get full case files, so
  // the first case a visitor opens has something in it; every 50th gets one for search.
  const ids = [...fake.cases.values()]
    .sort((a, b) => (a.fields.event.last_seen_date < b.fields.event.last_seen_date ? 1 : -1))
    .map((c) => c.id);
  ids.forEach((id, i) => {
    if (i < 40 || i % 50 === 0) seedCaseFile(fake, id, i + 1);
  });
  seedPosters(fake, ids.slice(0, 40));

  // The native file dialog of the demo "chooses" two drawn photos each time.
  const paths = ["/home/user/Pictures/school-2026.jpg", "/home/user/Pictures/birthday.jpg"];
  fake.disk.set(paths[0], { url: portrait(200), taken_on: "2026-09-02" });
  fake.disk.set(paths[1], { url: portrait(20) });
  fake.pickPhotoFiles = () => Promise.resolve([...paths]);
  seedSync(fake, params.get("sync"), ids);
  return fake;
}
