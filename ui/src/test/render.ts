//! Rendering a component for a test with a fake backend in its context, and a user to drive it.
import { render } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import type { Component } from "svelte";
import { backendContext, type Backend } from "../lib/backend";

export function renderWith<P extends Record<string, any>>(component: Component<P>, backend: Backend, props: P) {
  const user = userEvent.setup();
  // Testing Library's option types do not follow a generic component's props; the call is sound.
  const result = render(component as Component<Record<string, any>>, { props, context: backendContext(backend) });
  return { user, ...result };
}
