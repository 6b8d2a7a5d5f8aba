//! The case shown in the case view, as Rust last returned it, and how each answer of a write
//! (a contact, a note, a status event, a photo) is folded into it, so the view stays current
//! without opening the case again (which Rust would audit as another opening). It also holds
//! the cache of photo thumbnails. It never decides what is allowed; Rust has already said so.

import { getContext, setContext } from "svelte";
import type { Backend } from "../../lib/backend";
import type { CaseRecord } from "../../lib/bindings/CaseRecord";
import type { CaseView } from "../../lib/bindings/CaseView";
import type { ContactRecord } from "../../lib/bindings/ContactRecord";
import type { NoteRecord } from "../../lib/bindings/NoteRecord";
import type { PhotoRecord } from "../../lib/bindings/PhotoRecord";
import type { StatusEvent } from "../../lib/bindings/StatusEvent";

export class OpenCase {
  view = $state.raw<CaseView>() as CaseView;
  /** Thumbnails by photo id; a photo's bytes never change, so an answer holds for the whole visit. */
  private thumbnails = new Map<string, Promise<string>>();

  /** Editors in the tabs holding text not yet saved, by a name each picks. */
  unsaved = $state<Record<string, true>>({});

  constructor(
    view: CaseView,
    private readonly backend: Backend,
    /** The viewer's day, YYYY-MM-DD. */
    readonly today: string,
  ) {
    this.view = view;
  }

  markUnsaved(key: string, on: boolean): void {
    if (on && !this.unsaved[key]) this.unsaved[key] = true;
    else if (!on && this.unsaved[key]) delete this.unsaved[key];
  }

  get hasUnsaved(): boolean {
    return Object.keys(this.unsaved).length > 0;
  }

  get record(): CaseRecord {
    return this.view.record;
  }

  get id(): string {
    return this.view.record.id;
  }

  /** Current contacts, primary first, in the order Rust gave. */
  get currentContacts(): ContactRecord[] {
    return this.view.contacts.filter((c) => c.removed_at === null);
  }

  /** Names of current contacts marked "do not disclose", following edits made in this view. */
  get doNotDisclose(): string[] {
    return this.currentContacts.filter((c) => c.fields.do_not_disclose).map((c) => c.fields.name);
  }

  get primaryPhoto(): PhotoRecord | undefined {
    return this.view.photos.find((p) => p.is_primary);
  }

  /** Opens the case again (Rust records the opening), e.g. after someone else's edit. */
  async reload(): Promise<void> {
    this.view = await this.backend.openCase(this.id);
  }

  replaceRecord(record: CaseRecord): void {
    this.view = { ...this.view, record };
  }

  putContact(contact: ContactRecord): void {
    let list = this.view.contacts.filter((c) => c.id !== contact.id);
    // Rust clears `primary` on the others when one is made primary; mirror its answer here.
    if (contact.fields.primary && contact.removed_at === null) {
      list = list.map((c) => (c.fields.primary ? { ...c, fields: { ...c.fields, primary: false } } : c));
    }
    list.push(contact);
    const current = list.filter((c) => c.removed_at === null);
    const removed = list.filter((c) => c.removed_at !== null);
    // Stable: primary first, the rest in the order they were added.
    current.sort((a, b) => Number(b.fields.primary) - Number(a.fields.primary) || a.created_at.localeCompare(b.created_at));
    this.view = { ...this.view, contacts: [...current, ...removed] };
  }

  putNote(note: NoteRecord): void {
    const i = this.view.notes.findIndex((n) => n.current.note_id === note.current.note_id);
    const notes = [...this.view.notes];
    if (i >= 0) notes[i] = note;
    else notes.unshift(note);
    this.view = { ...this.view, notes };
  }

  addStatus(event: StatusEvent): void {
    this.view = {
      ...this.view,
      status_history: [...this.view.status_history, event],
      record: { ...this.view.record, status: event.to },
    };
  }

  putPhoto(photo: PhotoRecord): void {
    const today = this.today;
    let photos = this.view.photos.some((p) => p.id === photo.id)
      ? this.view.photos.map((p) => (p.id === photo.id ? photo : p))
      : [...this.view.photos, photo];
    if (photo.is_primary) photos = photos.map((p) => (p.id !== photo.id && p.is_primary ? { ...p, is_primary: false } : p));
    let photo_warning = this.view.photo_warning;
    // The warning is Rust's, made when the case was opened. A recent photo of the child added
    // here answers it, so it is taken down rather than left contradicting the photos on screen.
    if (photo_warning && photos.some((p) => p.meta.kind === "photo" && isRecent(p.meta.taken_on || p.added_at.slice(0, 10), today))) {
      photo_warning = null;
    }
    this.view = { ...this.view, photos, photo_warning };
  }

  thumbnail(id: string): Promise<string> {
    let p = this.thumbnails.get(id);
    if (!p) {
      p = this.backend.photoThumbnail(id);
      this.thumbnails.set(id, p);
      // A failed fetch is not kept, so the next look tries again.
      p.catch(() => this.thumbnails.delete(id));
    }
    return p;
  }
}

function isRecent(day: string, today: string): boolean {
  const ms = Date.parse(`${today}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) && ms <= 730 * 86_400_000;
}

const KEY = Symbol("porchlight.open-case");

export function provideOpenCase(c: OpenCase): void {
  setContext(KEY, c);
}

export function useOpenCase(): OpenCase {
  const c = getContext<OpenCase | undefined>(KEY);
  if (!c) throw new Error("A case tab must sit inside the case view.");
  return c;
}
