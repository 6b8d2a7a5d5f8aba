//! The in-browser demo workspace behind `?fake=1`: a fake backend filled with synthetic cases.
//! `?fake=create|unlock|open` picks the first screen, `cases=N` the size (default 1,000),
//! `latency=MS` a delay per call. Never loaded inside the desktop app.

import { FakeBackend, seedFake } from "./fakeBackend";

export function demoBackend(params: URLSearchParams): FakeBackend {
  const stage = params.get("fake");
  const fake = new FakeBackend({
    exists: stage !== "create",
    unlocked: stage === "open" || stage === "1",
    latencyMs: Number(params.get("latency") ?? 0),
  });
  seedFake(fake, Number(params.get("cases") ?? 1000));
  return fake;
}
