//! The aria-describedby value of a field control: its error when it has one, else its hint.

import { controlId, errorId } from "../caseFields";

export function describedBy(path: string, error: string | undefined, hint: string | undefined): string | undefined {
  if (error) return errorId(path);
  if (hint) return `${controlId(path)}-hint`;
  return undefined;
}
