//! Test setup: DOM matchers for Vitest, a clean DOM after every test, and the one browser API
//! jsdom lacks that the app uses (ResizeObserver; jsdom has no layout, so it never fires).
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/svelte";
import { afterEach } from "vitest";

if (!("ResizeObserver" in globalThis)) {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}

afterEach(() => cleanup());
