//! The entry point: picks the backend and mounts the app. Inside the desktop app that is always
//! Tauri. In a plain browser (no Tauri), `?fake=1` loads an in-memory workspace of synthetic
//! cases for looking at the UI; that code is a separate chunk never loaded inside the app.

import "./app.css";
import { mount } from "svelte";
import App from "./App.svelte";
import { tauriBackend, type Backend } from "./lib/backend";

async function chooseBackend(): Promise<Backend | null> {
  if ("__TAURI_INTERNALS__" in window) return tauriBackend;
  const params = new URLSearchParams(window.location.search);
  if (params.has("fake")) {
    const { demoBackend } = await import("./lib/demo");
    return demoBackend(params);
  }
  return null;
}

const target = document.getElementById("app")!;
const backend = await chooseBackend();
if (backend) {
  mount(App, { target, props: { backend } });
} else {
  const p = document.createElement("p");
  p.className = "outside";
  p.textContent = "Porchlight runs inside its desktop app. To look at the interface in a browser, add ?fake=1 to the address.";
  target.append(p);
}
