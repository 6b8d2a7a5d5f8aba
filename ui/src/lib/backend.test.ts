import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
const listen = vi.fn();
vi.mock("@tauri-apps/api/event", () => ({ listen: (...args: unknown[]) => listen(...args) }));

const { asAppError, isAppError, tauriBackend } = await import("./backend");

describe("asAppError", () => {
  it("passes an AppError through unchanged", () => {
    const e = { code: "wrong_passphrase", message: "No.", fields: [] };
    expect(asAppError(e)).toBe(e);
    expect(isAppError(e)).toBe(true);
  });

  it("turns anything else into an internal error that keeps the detail", () => {
    expect(asAppError("command list_cases not found")).toEqual({
      code: "internal",
      message: "Porchlight hit an internal fault: command list_cases not found",
      fields: [],
    });
    expect(asAppError(new Error("boom")).message).toContain("boom");
    expect(asAppError({ code: "made_up", message: "x", fields: [] }).code).toBe("internal");
    expect(asAppError(undefined).code).toBe("internal");
  });
});

describe("tauriBackend", () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue("ok");
  });

  // The command names and argument names are the contract with src-tauri; a typo here would
  // only show in the real app, so each one is pinned.
  const fields = {} as never;
  const meta = {} as never;
  const enrol = { server_url: "http://127.0.0.1:8443", username: "dana", password: "pw", totp: "", device_name: "Laptop" };
  const poster = { language: "es" as const, paper: "a4" as const, photo_ids: ["p1"] };
  const cases: Array<[string, string, Record<string, unknown> | undefined, () => Promise<unknown>]> = [
    ["openCase", "open_case", { id: "c1" }, () => tauriBackend.openCase("c1")],
    ["addContact", "add_contact", { caseId: "c1", fields }, () => tauriBackend.addContact("c1", fields)],
    ["updateContact", "update_contact", { id: "r1", version: 3, fields }, () => tauriBackend.updateContact("r1", 3, fields)],
    ["removeContact", "remove_contact", { id: "r1", reason: "moved" }, () => tauriBackend.removeContact("r1", "moved")],
    ["addNote", "add_note", { caseId: "c1", input: { category: "call", text: "t" } }, () => tauriBackend.addNote("c1", { category: "call", text: "t" })],
    ["editNote", "edit_note", { noteId: "n1", version: 2, input: { category: "call", text: "t" } }, () => tauriBackend.editNote("n1", 2, { category: "call", text: "t" })],
    ["noteHistory", "note_history", { noteId: "n1" }, () => tauriBackend.noteHistory("n1")],
    ["changeStatus", "change_status", { caseId: "c1", change: { to: "active", reason: "r", outcome: null } }, () => tauriBackend.changeStatus("c1", { to: "active", reason: "r", outcome: null })],
    ["caseTimeline", "case_timeline", { caseId: "c1", kinds: ["note"] }, () => tauriBackend.caseTimeline("c1", ["note"])],
    ["caseAudit", "case_audit", { caseId: "c1" }, () => tauriBackend.caseAudit("c1")],
    ["pickPhotoFiles", "pick_photo_files", undefined, () => tauriBackend.pickPhotoFiles()],
    ["addPhotoFromPath", "add_photo_from_path", { caseId: "c1", path: "/p.jpg", meta }, () => tauriBackend.addPhotoFromPath("c1", "/p.jpg", meta)],
    ["addPhotoBytes", "add_photo_bytes", { caseId: "c1", fileName: "p.jpg", dataBase64: "AAAA", meta }, () => tauriBackend.addPhotoBytes("c1", "p.jpg", "AAAA", meta)],
    ["updatePhoto", "update_photo", { id: "p1", meta }, () => tauriBackend.updatePhoto("p1", meta)],
    ["setPrimaryPhoto", "set_primary_photo", { id: "p1" }, () => tauriBackend.setPrimaryPhoto("p1")],
    ["photoThumbnail", "photo_thumbnail", { id: "p1" }, () => tauriBackend.photoThumbnail("p1")],
    ["photoImage", "photo_image", { id: "p1" }, () => tauriBackend.photoImage("p1")],
    ["searchCases", "search_cases", { query: { text: "x" } }, () => tauriBackend.searchCases({ text: "x" } as never)],
    ["findDuplicates", "find_duplicates", { fields, exclude: null }, () => tauriBackend.findDuplicates(fields, null)],
    ["renderPoster", "render_poster", { caseIds: ["c1"], options: poster }, () => tauriBackend.renderPoster(["c1"], poster)],
    ["savePoster", "save_poster", { caseIds: ["c1", "c2"], options: poster }, () => tauriBackend.savePoster(["c1", "c2"], poster)],
    ["savePosterTo", "save_poster_to", { caseIds: ["c1"], options: poster, path: "/tmp/p.pdf" }, () => tauriBackend.savePosterTo(["c1"], poster, "/tmp/p.pdf")],
    ["printPoster", "print_poster", { caseIds: ["c1"], options: poster }, () => tauriBackend.printPoster(["c1"], poster)],
    ["startBulkPosters", "start_bulk_posters", { caseIds: ["c1"], options: poster, perCase: true, directory: null }, () => tauriBackend.startBulkPosters(["c1"], poster, true, null)],
    ["bulkProgress", "bulk_progress", { job: "j1" }, () => tauriBackend.bulkProgress("j1")],
    ["cancelBulk", "cancel_bulk", { job: "j1" }, () => tauriBackend.cancelBulk("j1")],
    ["casePosters", "case_posters", { caseId: "c1" }, () => tauriBackend.casePosters("c1")],
    ["syncStatus", "sync_status", undefined, () => tauriBackend.syncStatus()],
    ["enrolDevice", "enrol_device", { form: enrol }, () => tauriBackend.enrolDevice(enrol)],
    ["syncNow", "sync_now", undefined, () => tauriBackend.syncNow()],
    ["listConflicts", "list_conflicts", { caseId: null }, () => tauriBackend.listConflicts(null)],
    ["listConflicts", "list_conflicts", { caseId: "c1" }, () => tauriBackend.listConflicts("c1")],
    ["resolveConflict", "resolve_conflict", { id: "k1", resolution: { choice: "edit", value: '"Mya"' } }, () => tauriBackend.resolveConflict("k1", { choice: "edit", value: '"Mya"' })],
    ["listRejected", "list_rejected", undefined, () => tauriBackend.listRejected()],
    ["dismissRejected", "dismiss_rejected", { opId: "o1" }, () => tauriBackend.dismissRejected("o1")],
    ["leaveSync", "leave_sync", undefined, () => tauriBackend.leaveSync()],
  ];

  it.each(cases)("%s calls %s with camelCase arguments", async (_name, command, args, run) => {
    await run();
    expect(invoke).toHaveBeenCalledWith(command, args);
  });

  it("hands the payload of the sync events to the listener and returns the unsubscribe", async () => {
    const unlisten = vi.fn();
    listen.mockResolvedValue(unlisten);
    const statuses: unknown[] = [];
    const messages: string[] = [];
    expect(await tauriBackend.onSyncStatus((s) => statuses.push(s))).toBe(unlisten);
    await tauriBackend.onWorkspaceRemoved((m) => messages.push(m));
    const [[statusEvent, onStatus], [removedEvent, onRemoved]] = listen.mock.calls as Array<[string, (e: { payload: unknown }) => void]>;
    expect([statusEvent, removedEvent]).toEqual(["sync-status", "workspace-removed"]);
    onStatus({ payload: { enrolled: true } });
    onRemoved({ payload: "Removed by your organisation." });
    expect(statuses).toEqual([{ enrolled: true }]);
    expect(messages).toEqual(["Removed by your organisation."]);
  });

  it("turns a rejection into an AppError", async () => {
    invoke.mockRejectedValueOnce({ code: "edit_conflict", message: "Someone edited this note.", fields: [] });
    await expect(tauriBackend.editNote("n1", 1, { category: "call", text: "t" })).rejects.toMatchObject({ code: "edit_conflict" });
  });
});
