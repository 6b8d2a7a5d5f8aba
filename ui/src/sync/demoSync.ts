//! The sync states of the in-browser demo (`?sync=…`): enrolled and synced, with conflicts and
//! refused changes on the newest cases, offline with changes waiting, or stopped by the service.
//! Never loaded inside the desktop app.

import type { FakeBackend } from "../lib/fakeBackend";

export function seedSync(fake: FakeBackend, stage: string | null, ids: string[]): void {
  if (!stage || ids.length < 3) return;
  const desk = fake.syncDesk;
  desk.enrolAs();
  desk.online = true;
  desk.lastSyncAt = new Date(Date.now() - 2 * 60_000).toISOString();
  if (stage === "offline") {
    desk.reachable = false;
    desk.online = false;
    desk.pending = 12;
    desk.lastError = "No answer from https://sync.porchlight.example; your changes are kept here and sync when the connection is back.";
  } else if (stage === "stopped") {
    desk.pending = 3;
    desk.lastError = "The service no longer accepts this computer: it was signed out by an administrator. Enrol it again to sync.";
  } else if (stage === "conflicts") {
    const [a, b, c] = ids.map((id) => fake.cases.get(id)!);
    const given = a.fields.child.given_name;
    desk.conflicts = [
      desk.conflictOn(a.id, "child.given_name", "Given name", [given, given], [`${given}h`, `${given}h`]),
      desk.conflictOn(a.id, "description.height_cm", "Height", [150, "4 ft 11 in"], [155, "5 ft 1 in"], "mine"),
      desk.conflictOn(b.id, "event.city", "City", [b.fields.event.city, b.fields.event.city], ["Lawton", "Lawton"]),
      desk.conflictOn(c.id, "status", "Status", ["active", "Active"], ["located_alive", "Located alive"]),
    ];
    desk.rejected = [
      desk.refusedOn(b.id, `Edit of ${b.fields.child.given_name} ${b.fields.child.family_name}: circumstances`, "This case was reassigned to another office; you may no longer change it."),
    ];
    desk.pending = 2;
  }
}
