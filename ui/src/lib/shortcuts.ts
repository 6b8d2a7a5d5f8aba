//! The keyboard shortcuts of the main window, as a pure mapping from a key event to an action.
//! It decides nothing about what the action does; the app shell carries it out.

export type Shortcut = "new-case" | "search" | "close";

/** True when keys typed now would go into a text control, so a bare "/" must be left alone. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}

export function shortcutFor(e: KeyboardEvent): Shortcut | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && !e.altKey && !e.shiftKey && key === "n") return "new-case";
  if (mod && !e.altKey && !e.shiftKey && key === "f") return "search";
  if (!mod && !e.altKey && e.key === "/" && !isTypingTarget(e.target)) return "search";
  if (e.key === "Escape" && !mod && !e.altKey) return "close";
  return null;
}
