//! The poster commands of the fake backend: previews as sketched PDFs, saving, printing, bulk
//! runs that advance a step at every poll, and the record of every poster produced. It imitates
//! the wire contract and the three refusals (no photo that may be published, no law-enforcement
//! contact, a case no longer open) with Rust's wording, so the studio can be tested and tried
//! without Rust; the poster's content and the rules themselves belong to the poster crate.

import type { BulkProgress } from "../lib/bindings/BulkProgress";
import type { BulkRefusal } from "../lib/bindings/BulkRefusal";
import type { CaseRecord } from "../lib/bindings/CaseRecord";
import type { PhotoRecord } from "../lib/bindings/PhotoRecord";
import type { PosterOptions } from "../lib/bindings/PosterOptions";
import type { PosterRecord } from "../lib/bindings/PosterRecord";
import { RACES, SEXES } from "../lib/codes";
import type { AppError } from "../lib/bindings/AppError";
import type { ErrorCode } from "../lib/bindings/ErrorCode";
import type { FakeBackend } from "../lib/fakeBackend";
import { ageOn, eyeLabel, formatDate, hairLabel, statusLabel } from "../lib/format";
import { cmToFeetInches, kgToPounds } from "../lib/units";
import { sketchPdf, type Sketch, type SketchChild } from "./fakePosterPdf";

const OPEN = new Set(["intake", "active"]);
const MAX_PHOTOS = 3;

interface Job {
  progress: BulkProgress;
  /** Per case, in order: its number and the refusal, or null when it gets a poster. */
  cases: Array<{ id: string; number: string; refusal: string | null }>;
  options: PosterOptions;
  perCase: boolean;
  directory: string;
  cancelRequested: boolean;
}

export class FakePosterDesk {
  /** Every poster produced, oldest first. */
  readonly records: PosterRecord[] = [];
  /** The next answer of the save dialog: a path, null as if cancelled, undefined for `<case number>.pdf` in Documents. */
  nextSavePath: string | null | undefined = undefined;
  /** The folder the next bulk run's dialog answers; null as if cancelled. */
  nextFolder: string | null = "/home/user/Documents/Posters";
  /** What printing says it did. */
  printAnswer = "Sent to the default printer";
  /** Posters a bulk run finishes between two polls. */
  bulkStep = 25;
  private readonly jobs = new Map<string, Job>();
  private nextJob = 1;
  private nextId = 1;

  constructor(
    private readonly fake: FakeBackend,
    /** Appends `poster_produced` to the case's audit log. */
    private readonly audit: (caseId: string, detail: string, at: string) => void,
  ) {}

  /** The preview: a base64 PDF, or a `validation` refusal. */
  render(caseIds: string[], options: PosterOptions): string {
    return btoa(this.make(caseIds, options).pdf);
  }

  save(caseIds: string[], options: PosterOptions): string | null {
    const poster = this.make(caseIds, options);
    const answer = this.nextSavePath;
    this.nextSavePath = undefined;
    if (answer === null) return null;
    const path = answer ?? `/home/user/Documents/${this.record(caseIds[0]).case_number}.pdf`;
    this.produce(caseIds, "saved", path, options, poster);
    return path;
  }

  saveTo(caseIds: string[], options: PosterOptions, path: string): PosterRecord {
    if (!path.startsWith("/")) throw appError("validation", `${path} is not a full path; give the folder from the root, e.g. /home/me/Posters/PL-1.pdf.`);
    const full = path.endsWith(".pdf") ? path : `${path}.pdf`;
    this.produce(caseIds, "saved", full, options, this.make(caseIds, options));
    return structuredClone(this.records[this.records.length - 1]);
  }

  print(caseIds: string[], options: PosterOptions): string {
    const poster = this.make(caseIds, options);
    this.produce(caseIds, "printed", "", options, poster);
    return this.printAnswer;
  }

  startBulk(caseIds: string[], options: PosterOptions, perCase: boolean, directory: string | null): string | null {
    if (caseIds.length === 0) throw appError("validation", "Choose at least one case to make posters for.");
    const dir = directory ?? this.nextFolder;
    if (dir === null) return null;
    const job = `job-${this.nextJob++}`;
    const cases = caseIds.map((id) => {
      const number = this.record(id).case_number;
      try {
        this.make([id], { ...options, photo_ids: [] });
        return { id, number, refusal: null };
      } catch (e) {
        return { id, number, refusal: (e as { message: string }).message };
      }
    });
    const progress: BulkProgress = { job, total: caseIds.length, done: 0, refused: [], finished: false, cancelled: false, outputs: [], error: null };
    this.jobs.set(job, { progress, cases, options, perCase, directory: dir, cancelRequested: false });
    return job;
  }

  progress(jobId: string): BulkProgress {
    const job = this.job(jobId);
    const p = job.progress;
    if (p.finished) return structuredClone(p);
    if (job.cancelRequested) {
      p.finished = true;
      p.cancelled = true;
      // One file per case keeps the files already written; one PDF for all is never written.
      if (job.perCase) p.outputs = this.write(job, 0, p.done);
      return structuredClone(p);
    }
    const from = p.done;
    p.done = Math.min(p.total, p.done + this.bulkStep);
    p.refused.push(...refusalsIn(job.cases.slice(from, p.done)));
    if (p.done === p.total) {
      p.finished = true;
      p.outputs = this.write(job, 0, p.total);
    }
    return structuredClone(p);
  }

  cancel(jobId: string): void {
    const job = this.job(jobId);
    if (!job.progress.finished) job.cancelRequested = true;
  }

  forCase(caseId: string): PosterRecord[] {
    this.record(caseId);
    return structuredClone(this.records.filter((r) => r.case_ids.includes(caseId)).reverse());
  }

  /** A poster produced earlier, skipping every check: for fixtures of cases found since. */
  seed(caseIds: string[], channel: string, destination: string, options: PosterOptions, at: string): PosterRecord {
    const record = this.recordOf(caseIds, channel, destination, options, "", at);
    this.records.push(record);
    this.records.sort((a, b) => (a.produced_at < b.produced_at ? -1 : 1));
    return record;
  }

  private job(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw appError("not_found", "That poster export is not running; start it again.");
    return job;
  }

  /** The files cases `from..to` of a finished or cancelled run went into, recording each poster. */
  private write(job: Job, from: number, to: number): string[] {
    const ok = job.cases.slice(from, to).filter((c) => c.refusal === null);
    if (ok.length === 0) return [];
    const outputs = job.perCase ? ok.map((c) => `${job.directory}/${c.number}.pdf`) : [`${job.directory}/Posters ${this.fake.today}.pdf`];
    ok.forEach((c, i) => {
      const poster = this.make([c.id], { ...job.options, photo_ids: [] });
      this.produce([c.id], "bulk", outputs[job.perCase ? i : 0], { ...job.options, photo_ids: poster.photoIds }, poster);
    });
    return outputs;
  }

  private produce(caseIds: string[], channel: string, destination: string, options: PosterOptions, poster: Made): void {
    const at = this.fake.moment();
    const record = this.recordOf(caseIds, channel, destination, { ...options, photo_ids: poster.photoIds }, poster.text, at);
    this.records.push(record);
    for (const id of caseIds) this.audit(id, `poster ${record.id} ${channel}${destination ? ` to ${destination}` : ""}`, at);
  }

  private recordOf(caseIds: string[], channel: string, destination: string, options: PosterOptions, text: string, at: string): PosterRecord {
    const n = this.nextId++;
    return {
      id: `0191${n.toString(16).padStart(8, "0")}-0000-7000-a000-000000000000`,
      case_ids: [...caseIds],
      produced_at: at,
      produced_by: this.fake.actor,
      channel,
      destination,
      language: options.language,
      paper: options.paper,
      photo_ids: [...options.photo_ids],
      text,
      pdf_sha256: "0".repeat(64),
    };
  }

  private record(id: string): CaseRecord {
    const c = this.fake.cases.get(id);
    if (!c) throw appError("not_found", "That case does not exist.");
    return c;
  }

  /** The checks of the poster crate, in its order, then the sketch. */
  private make(caseIds: string[], options: PosterOptions): Made {
    if (caseIds.length < 1 || caseIds.length > 4) {
      throw appError("validation", `A poster shows 1 to 4 children; ${caseIds.length} were given. Split the children over several posters.`);
    }
    const children: SketchChild[] = [];
    const photoIds: string[] = [];
    let mainAged = false;
    for (const id of caseIds) {
      const c = this.record(id);
      const f = c.fields;
      const name = `${f.child.given_name} ${f.child.family_name}`.trim();
      if (c.archived_at) throw refusal(`Case ${c.case_number} is archived: posters are printed only for open cases. Reopen the case if the child is missing again.`);
      if (!OPEN.has(c.status)) {
        throw refusal(`Case ${c.case_number} is ${statusLabel(c.status).toLowerCase()}: posters are printed only for open cases. Reopen the case if the child is missing again.`);
      }
      const photos = chosenPhotos(this.fake.view(id).photos, options.photo_ids);
      if (photos.length === 0) {
        throw refusal(`${name} (case ${c.case_number}) has no photo with consent to publish. Record the family's consent on a photo of the child, or add a photo that has it, before printing a poster.`);
      }
      if (children.length === 0) mainAged = photos[0].meta.kind === "age_progressed";
      photoIds.push(...photos.map((p) => p.id));
      children.push(sketchChild(c, photos, options, this.fake.today));
    }
    const lead = this.record(caseIds[0]);
    const le = lead.fields.law_enforcement;
    if (!le.agency_name.trim()) {
      throw refusal(`Case ${lead.case_number} has no law-enforcement agency. Enter the investigating agency's name under Law enforcement before printing a poster.`);
    }
    if (!le.investigator_phone.trim()) {
      throw refusal(`Case ${lead.case_number} has no law-enforcement phone number. Enter the investigator's phone under Law enforcement before printing a poster.`);
    }
    const es = options.language === "es";
    const sketch: Sketch = {
      paper: options.paper,
      header: header(lead, mainAged, es),
      children,
      contactTitle: es ? "CUALQUIER PERSONA CON INFORMACIÓN DEBE COMUNICARSE CON" : "ANYONE HAVING INFORMATION SHOULD CONTACT",
      contactLines: ["1-800-THE-LOST (1-800-843-5678)", `${le.agency_name} · ${le.investigator_phone}`],
      caseLine: `${es ? "Caso" : "Case"} ${caseIds.map((id) => this.record(id).case_number).join(", ")} · porchlight.example.org`,
    };
    const { pdf, text } = sketchPdf(sketch);
    return { pdf, text, photoIds };
  }
}

interface Made {
  pdf: string;
  text: string;
  photoIds: string[];
}

function appError(code: ErrorCode, message: string): AppError {
  return { code, message, fields: [] };
}

function refusal(message: string): AppError {
  return appError("validation", message);
}

function refusalsIn(cases: Job["cases"]): BulkRefusal[] {
  return cases.filter((c) => c.refusal !== null).map((c) => ({ case_number: c.number, reason: c.refusal! }));
}

/** The photos asked for that belong to the case and may be published, in the order given; none
 *  asked for means the primary photo, then the newest by the date taken, then by when added. */
function chosenPhotos(photos: PhotoRecord[], asked: string[]): PhotoRecord[] {
  const consented = photos.filter((p) => p.meta.consent_to_publish && (p.meta.kind === "photo" || p.meta.kind === "age_progressed"));
  const mine = asked.map((id) => consented.find((p) => p.id === id)).filter((p): p is PhotoRecord => p !== undefined);
  if (asked.length > 0 && mine.length > 0) return mine.slice(0, MAX_PHOTOS);
  const byDefault = [...consented].sort((a, b) => Number(b.is_primary) - Number(a.is_primary) || b.meta.taken_on.localeCompare(a.meta.taken_on) || b.added_at.localeCompare(a.added_at));
  return byDefault.slice(0, MAX_PHOTOS);
}

function header(c: CaseRecord, aged: boolean, es: boolean): string {
  const female = c.fields.child.sex === "F";
  if (aged) return es ? "PROGRESIÓN DE EDAD" : "AGE PROGRESSED";
  switch (c.fields.case_type) {
    case "ERU":
      return es ? "FUGA EN PELIGRO" : "ENDANGERED RUNAWAY";
    case "FA":
      return es ? "SECUESTRO FAMILIAR" : "FAMILY ABDUCTION";
    case "NFA":
      return es ? "SECUESTRO NO FAMILIAR" : "NONFAMILY ABDUCTION";
    default:
      return es ? (female ? "DESAPARECIDA" : "DESAPARECIDO") : "MISSING";
  }
}

function sketchChild(c: CaseRecord, photos: PhotoRecord[], options: PosterOptions, today: string): SketchChild {
  const f = c.fields;
  const es = options.language === "es";
  const d = f.description;
  const label = (en: string, sp: string) => (es ? sp : en);
  const height = d.height_cm === null ? "" : (({ feet, inches }) => `${feet}' ${inches}"`)(cmToFeetInches(d.height_cm));
  const facts: Array<[string, string]> = [
    [label("DOB", "Nacimiento"), formatDate(f.child.date_of_birth)],
    [label("Missing since", "Desde"), formatDate(f.event.last_seen_date)],
    [label("Age now", "Edad actual"), String(ageOn(f.child.date_of_birth, today) ?? f.child.estimated_age ?? "")],
    [label("Sex", "Sexo"), SEXES.find((s) => s.code === f.child.sex)?.label ?? ""],
    [label("Race", "Raza"), RACES.find((r) => r.code === f.child.race)?.label ?? ""],
    [label("Height", "Estatura"), height],
    [label("Weight", "Peso"), d.weight_kg === null ? "" : `${Math.round(kgToPounds(d.weight_kg))} lbs`],
    [label("Hair", "Cabello"), hairLabel(d.hair)],
    [label("Eyes", "Ojos"), eyeLabel(d.eyes)],
    [label("Missing from", "Desaparecido de"), [f.event.city, f.event.state].filter(Boolean).join(", ")],
  ];
  return {
    name: `${f.child.given_name} ${f.child.family_name}`.toUpperCase(),
    facts: facts.filter(([, v]) => v !== ""),
    photos: photos.map((p) =>
      p.meta.kind === "age_progressed" && p.meta.age_progressed_to !== null
        ? label(`Age progressed to ${p.meta.age_progressed_to}`, `Progresión a ${p.meta.age_progressed_to} años`)
        : formatDate(p.meta.taken_on || p.added_at.slice(0, 10)),
    ),
    circumstances: f.event.circumstances,
  };
}
