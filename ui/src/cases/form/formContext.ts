//! What a case form shares with the field controls inside it: the error to show for a path, and
//! the events a control reports (touched, changed, a value it could not even parse). The form
//! owns the state; controls only ask and tell.

import { getContext, setContext } from "svelte";

export interface FormContext {
  /** The message to show on the control for `path`, when it should be shown now. */
  errorFor(path: string): string | undefined;
  /** The user left the control for `path`. */
  touch(path: string): void;
  /** The value at `path` changed. */
  changed(path: string): void;
  /** A control could not turn its text into a value (e.g. letters in a number); null clears. */
  setLocalError(path: string, message: string | null): void;
  /** The label a control shows, so an error summary can name the field. */
  register(path: string, label: string): void;
}

const KEY = Symbol("porchlight.case-form");

export function provideForm(ctx: FormContext): void {
  setContext(KEY, ctx);
}

export function useForm(): FormContext {
  const ctx = getContext<FormContext | undefined>(KEY);
  if (!ctx) throw new Error("A field control must sit inside a case form.");
  return ctx;
}
