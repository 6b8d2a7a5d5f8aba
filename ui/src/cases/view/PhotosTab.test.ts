import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { PhotoMeta } from "../../lib/bindings/PhotoMeta";
import { mayasCase, openCaseView, photoMeta, PIXEL } from "../../test/caseFile";

async function photosOf(seed: (fake: ReturnType<typeof mayasCase>["fake"], id: string) => void = () => {}) {
  const { fake, id } = mayasCase();
  seed(fake, id);
  const r = await openCaseView(fake, id);
  await r.user.click(screen.getByTestId("tab-photos"));
  return { fake, id, ...r };
}

/** The first bytes of a JPEG, padded so it is not taken for a truncated file. */
function jpegBytes(fill: number): Uint8Array {
  const b = new Uint8Array(200).fill(fill);
  b.set([0xff, 0xd8, 0xff, 0xe0]);
  return b;
}

describe("Photos tab", () => {
  it("adds the files chosen in the file dialog through Rust's import path, with the details given", async () => {
    const { fake, id, user } = await photosOf();
    fake.disk.set("/home/dana/maya-2026.jpg", { url: PIXEL, taken_on: "2026-09-01" });
    fake.disk.set("/home/dana/maya-school.jpg", { url: PIXEL.replace("AAAAB", "AAAAC") });
    fake.nextPick = ["/home/dana/maya-2026.jpg", "/home/dana/maya-school.jpg"];
    const add = vi.spyOn(fake, "addPhotoFromPath");
    await user.click(screen.getByTestId("add-photos"));

    const dialog = await screen.findByTestId("photo-dialog");
    expect(dialog).toHaveTextContent("maya-2026.jpg, maya-school.jpg");
    expect(screen.getByTestId("photo-field-kind")).toHaveValue("photo");
    await user.type(screen.getByTestId("photo-field-child_age"), "14");
    await user.type(screen.getByTestId("photo-field-source"), "Mother");
    await user.click(screen.getByTestId("photo-field-consent_to_publish"));
    await user.click(screen.getByTestId("save-photo"));

    await waitFor(() => expect(screen.getAllByTestId("photo-tile")).toHaveLength(2));
    expect(screen.queryByTestId("photo-dialog")).toBeNull();
    const meta: PhotoMeta = { kind: "photo", age_progressed_to: null, taken_on: "", child_age: 14, source: "Mother", consent_to_publish: true };
    expect(add.mock.calls).toEqual([
      [id, "/home/dana/maya-2026.jpg", meta],
      [id, "/home/dana/maya-school.jpg", meta],
    ]);
    const [first] = screen.getAllByTestId("photo-tile");
    // The date came from the file (its EXIF, in the real store), since none was typed.
    expect(first).toHaveTextContent("Sep 1, 2026 · age 14");
    expect(first).toHaveTextContent("May be published");
    expect(first).toHaveAttribute("data-primary", "true");
    expect(screen.getByTestId("tab-photos")).toHaveTextContent(/Photos\s*2/);
  });

  it("reports each file Rust refuses by name and still adds the others", async () => {
    const { fake, user } = await photosOf();
    fake.disk.set("/tmp/notes.txt", { bytes: new TextEncoder().encode("not an image at all, just some words typed in a text file. ".repeat(3)) });
    fake.disk.set("/tmp/good.jpg", { bytes: jpegBytes(1) });
    fake.disk.set("/tmp/cut.jpg", { bytes: jpegBytes(2).slice(0, 20) });
    fake.nextPick = ["/tmp/notes.txt", "/tmp/good.jpg", "/tmp/cut.jpg"];
    await user.click(screen.getByTestId("add-photos"));
    await user.click(await screen.findByTestId("save-photo"));

    await waitFor(() => expect(screen.getAllByTestId("photo-error")).toHaveLength(2));
    const errors = screen.getAllByTestId("photo-error");
    expect(errors[0]).toHaveTextContent("notes.txt is not a JPEG, PNG or WebP image");
    expect(errors[1]).toHaveTextContent("cut.jpg is damaged");
    expect(screen.getAllByTestId("photo-tile")).toHaveLength(1);
  });

  it("keeps the dialog open on a refused detail, and adds no file twice when saved again", async () => {
    const { fake, user } = await photosOf();
    fake.disk.set("/tmp/a.jpg", { url: PIXEL });
    fake.nextPick = ["/tmp/a.jpg"];
    const add = vi.spyOn(fake, "addPhotoFromPath");
    await user.click(screen.getByTestId("add-photos"));
    await user.type(await screen.findByTestId("photo-field-taken_on"), "2031-01-01");
    await user.click(screen.getByTestId("save-photo"));
    expect(await screen.findByTestId("photo-field-error-taken_on")).toHaveTextContent("in the future");
    expect(screen.getByTestId("photo-field-taken_on")).toHaveFocus();
    await user.clear(screen.getByTestId("photo-field-taken_on"));
    await user.type(screen.getByTestId("photo-field-taken_on"), "2026-01-05");
    await user.click(screen.getByTestId("save-photo"));
    await waitFor(() => expect(screen.getAllByTestId("photo-tile")).toHaveLength(1));
    expect(add).toHaveBeenCalledTimes(2);
    expect(screen.getByTestId("photo-tile")).toHaveTextContent("Jan 5, 2026");
  });

  it("reads dropped files and sends their bytes, base64, to Rust", async () => {
    const { fake, id, user } = await photosOf();
    const add = vi.spyOn(fake, "addPhotoBytes");
    const bytes = jpegBytes(7);
    const file = new File([bytes as BlobPart], "from-phone.jpg", { type: "image/jpeg" });
    const zone = screen.getByTestId("photo-drop-zone");
    await fireEvent.dragOver(zone, { dataTransfer: { types: ["Files"], files: [file] } });
    await fireEvent.drop(zone, { dataTransfer: { types: ["Files"], files: [file] } });
    const dialog = await screen.findByTestId("photo-dialog");
    expect(dialog).toHaveTextContent("from-phone.jpg");
    await user.selectOptions(screen.getByTestId("photo-field-kind"), "age_progressed");
    await user.type(screen.getByTestId("photo-field-age_progressed_to"), "16");
    await user.click(screen.getByTestId("save-photo"));

    await waitFor(() => expect(screen.getAllByTestId("photo-tile")).toHaveLength(1));
    const [caseId, name, data, meta] = add.mock.calls[0];
    expect([caseId, name]).toEqual([id, "from-phone.jpg"]);
    expect(Uint8Array.from(atob(data), (c) => c.charCodeAt(0))).toEqual(bytes);
    expect(meta).toMatchObject({ kind: "age_progressed", age_progressed_to: 16 });
    expect(screen.getByTestId("photo-tile")).toHaveTextContent("Age progressed to 16");
  });

  it("fetches each thumbnail once, makes another photo primary, edits details and views a photo large", async () => {
    let thumbs!: ReturnType<typeof vi.fn>;
    const { fake, user } = await photosOf((fake, id) => {
      fake.seedPhoto(id, PIXEL, photoMeta({ source: "School portrait" }), "2026-10-02T10:00:00Z");
      fake.seedPhoto(id, PIXEL.replace("AAAAB", "AAAAD"), photoMeta({ taken_on: "2026-09-30", child_age: 14 }), "2026-10-02T10:05:00Z");
      thumbs = vi.spyOn(fake, "photoThumbnail") as unknown as ReturnType<typeof vi.fn>;
    });
    const image = vi.spyOn(fake, "photoImage");
    const tiles = () => screen.getAllByTestId("photo-tile");
    await waitFor(() => expect(tiles()[1].querySelector("img")).toHaveAttribute("src"));
    await user.click(screen.getByTestId("tab-notes"));
    await user.click(screen.getByTestId("tab-photos"));
    // Two tiles, plus the header's primary photo that shares the first: two fetches in all.
    expect(thumbs).toHaveBeenCalledTimes(2);

    await user.click(within(tiles()[1]).getByTestId("set-primary"));
    await waitFor(() => expect(tiles()[1]).toHaveAttribute("data-primary", "true"));
    expect(tiles()[0]).not.toHaveAttribute("data-primary");

    await user.click(within(tiles()[0]).getByTestId("edit-photo"));
    expect(screen.getByTestId("photo-field-source")).toHaveValue("School portrait");
    await user.click(screen.getByTestId("photo-field-consent_to_publish"));
    await user.click(screen.getByTestId("save-photo"));
    await waitFor(() => expect(screen.queryByTestId("photo-dialog")).toBeNull());
    expect(tiles()[0]).toHaveTextContent("May be published");

    await user.click(within(tiles()[0]).getByTestId("view-photo"));
    expect(await screen.findByTestId("photo-large")).toHaveAttribute("src", PIXEL);
    await user.keyboard("{ArrowRight}");
    await waitFor(() => expect(image).toHaveBeenCalledTimes(2));
    // Each view is asked of Rust, which audits it.
    expect(fake.audit.filter((a) => a.action === "photo_viewed")).toHaveLength(2);
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("photo-viewer")).toBeNull());
    expect(screen.getByTestId("case-view")).toBeInTheDocument();
  });

  it("takes the path typed into the test hook through the same import path", async () => {
    const { fake, id, user } = await photosOf();
    fake.disk.set("/srv/e2e/child.png", { url: PIXEL });
    const add = vi.spyOn(fake, "addPhotoFromPath");
    const input = screen.getByTestId("photo-path");
    expect(input.closest("[aria-hidden]")).toHaveAttribute("aria-hidden", "true");
    await user.type(input, "/srv/e2e/child.png");
    await user.click(screen.getByTestId("add-photo-path"));
    await waitFor(() => expect(screen.getAllByTestId("photo-tile")).toHaveLength(1));
    expect(add).toHaveBeenCalledWith(id, "/srv/e2e/child.png", expect.objectContaining({ kind: "photo" }));
    await user.type(input, "/srv/e2e/missing.png");
    await user.click(screen.getByTestId("add-photo-path"));
    expect(await screen.findByTestId("photo-error")).toHaveTextContent("missing.png: there is no file at /srv/e2e/missing.png");
  });

  it("takes down the old-photo warning once a recent photo of the child is added", async () => {
    const { fake, user } = await photosOf((fake, id) => fake.seedPhoto(id, PIXEL, photoMeta({ taken_on: "2022-05-01" }), "2026-10-02T10:00:00Z"));
    expect(screen.getByTestId("photo-warning")).toBeInTheDocument();
    fake.disk.set("/tmp/new.jpg", { url: PIXEL.replace("AAAAB", "AAAAE") });
    fake.nextPick = ["/tmp/new.jpg"];
    await user.click(screen.getByTestId("add-photos"));
    await user.type(await screen.findByTestId("photo-field-taken_on"), "2026-11-01");
    await user.click(screen.getByTestId("save-photo"));
    await waitFor(() => expect(screen.getAllByTestId("photo-tile")).toHaveLength(2));
    expect(screen.queryByTestId("photo-warning")).toBeNull();
  });
});
