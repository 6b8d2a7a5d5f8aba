//! Rendering a sync component for a test: a fake workspace with cases, the shared `SyncState`
//! started on it, and both in the component's context. Invented names only.
import { render } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import type { Component } from "svelte";
import { backendContext } from "../lib/backend";
import type { FakeBackend } from "../lib/fakeBackend";
import { SyncState, syncContext } from "../sync/syncState.svelte";
import { fields, workspaceWith } from "./cases";

/** A workspace of two cases, enrolled and synced at 09:00 UTC on 2026-11-21. */
export function enrolledWorkspace(): { fake: FakeBackend; maya: string; liam: string } {
  const fake = workspaceWith({ fields: fields("Maya", "Okafor") }, { fields: fields("Liam", "Bennett", (f) => (f.event.city = "Laredo")) });
  const [maya, liam] = [...fake.cases.keys()];
  const desk = fake.syncDesk;
  desk.now = () => new Date("2026-11-21T09:00:00Z");
  desk.enrolAs("https://sync.example.org");
  desk.online = true;
  desk.lastSyncAt = "2026-11-21T09:00:00Z";
  return { fake, maya, liam };
}

export async function renderWithSync<P extends Record<string, any>>(component: Component<P>, fake: FakeBackend, props: P) {
  const user = userEvent.setup();
  const sync = new SyncState(fake);
  await sync.start();
  const context = new Map<symbol, unknown>([...backendContext(fake), ...syncContext(sync)]);
  const result = render(component as Component<Record<string, any>>, { props, context });
  return { user, sync, ...result };
}
