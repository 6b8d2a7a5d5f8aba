//! The one door between the webview and Rust: the `Backend` every screen calls, the Tauri
//! implementation of it, and the conversion of any rejection into an `AppError`. It holds no
//! state and no business rules; components receive a `Backend` through Svelte context, so
//! tests hand them an in-memory fake instead and never touch Tauri.

import { invoke } from "@tauri-apps/api/core";
import { getContext, setContext } from "svelte";
import type { AppError } from "./bindings/AppError";
import type { CaseFields } from "./bindings/CaseFields";
import type { CaseId } from "./bindings/CaseId";
import type { CasePage } from "./bindings/CasePage";
import type { CaseRecord } from "./bindings/CaseRecord";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { FieldError } from "./bindings/FieldError";
import type { ListQuery } from "./bindings/ListQuery";
import type { WorkspaceStatus } from "./bindings/WorkspaceStatus";

/** Everything the UI may ask of the Rust side. Each call rejects with an `AppError`. */
export interface Backend {
  workspaceStatus(): Promise<WorkspaceStatus>;
  createWorkspace(passphrase: string): Promise<WorkspaceStatus>;
  unlockWorkspace(passphrase: string): Promise<WorkspaceStatus>;
  lockWorkspace(): Promise<WorkspaceStatus>;
  listCases(query: ListQuery): Promise<CasePage>;
  getCase(id: CaseId): Promise<CaseRecord>;
  createCase(fields: CaseFields): Promise<CaseRecord>;
  /** `version` is the version of the record being edited; a newer save gives `edit_conflict`. */
  updateCase(id: CaseId, version: number, fields: CaseFields): Promise<CaseRecord>;
  setArchived(id: CaseId, archived: boolean): Promise<CaseRecord>;
  /** Pure and cheap: the field errors the case would get if it were saved now. */
  validateCase(fields: CaseFields): Promise<FieldError[]>;
}

/** The Tauri commands of `src-tauri`; argument names are camelCase and Tauri maps them. */
export const tauriBackend: Backend = {
  workspaceStatus: () => call("workspace_status"),
  createWorkspace: (passphrase) => call("create_workspace", { passphrase }),
  unlockWorkspace: (passphrase) => call("unlock_workspace", { passphrase }),
  lockWorkspace: () => call("lock_workspace"),
  listCases: (query) => call("list_cases", { query }),
  getCase: (id) => call("get_case", { id }),
  createCase: (fields) => call("create_case", { fields }),
  updateCase: (id, version, fields) => call("update_case", { id, version, fields }),
  setArchived: (id, archived) => call("set_archived", { id, archived }),
  validateCase: (fields) => call("validate_case", { fields }),
};

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw asAppError(e);
  }
}

const CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "validation",
  "weak_passphrase",
  "wrong_passphrase",
  "workspace_exists",
  "workspace_not_found",
  "workspace_locked",
  "workspace_unreadable",
  "not_found",
  "edit_conflict",
  "storage",
  "internal",
]);

/** Whether `e` already has the shape of an `AppError` with a known code. */
export function isAppError(e: unknown): e is AppError {
  if (typeof e !== "object" || e === null) return false;
  const r = e as Record<string, unknown>;
  return (
    typeof r.code === "string" &&
    CODES.has(r.code as ErrorCode) &&
    typeof r.message === "string" &&
    Array.isArray(r.fields)
  );
}

/**
 * Turns any rejection into an `AppError`. Rejections that are not one (a panic message, a
 * missing command, a JavaScript fault) become `internal`, so screens branch on `code` alone.
 */
export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  const detail =
    e instanceof Error ? e.message : typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
  return {
    code: "internal",
    message: `Porchlight hit an internal fault: ${detail}`,
    fields: [],
  };
}

const KEY = Symbol("porchlight.backend");

/** The context map that hands `backend` to a component rendered on its own (tests, mounts). */
export function backendContext(backend: Backend): Map<symbol, Backend> {
  return new Map([[KEY, backend]]);
}

/** Makes `backend` available to every component below the caller. */
export function provideBackend(backend: Backend): void {
  setContext(KEY, backend);
}

/** The backend provided by an ancestor; a component without one is a wiring fault. */
export function useBackend(): Backend {
  const backend = getContext<Backend | undefined>(KEY);
  if (!backend) throw new Error("No backend provided: wrap the component in provideBackend().");
  return backend;
}
