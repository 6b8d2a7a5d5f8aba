//! Synthetic case files for the in-browser demo and the screenshots: contacts (one of them not
//! to be told, in family abductions), notes with an edited one, a status history that ends at
//! the case's status, and drawn portraits. Invented people and events only; a seed makes the
//! same workspace every time. Not used by the component tests, which build what they need.

import type { CaseStatus } from "./bindings/CaseStatus";
import type { NoteCategory } from "./bindings/NoteCategory";
import type { Outcome } from "./bindings/Outcome";
import type { FakeBackend } from "./fakeBackend";

/** A drawn head-and-shoulders portrait as an SVG data URL; `hue` varies it, `aged` greys it. */
export function portrait(hue: number, aged = false): string {
  const bg = aged ? `hsl(${hue} 12% 86%)` : `hsl(${hue} 45% 86%)`;
  const skin = `hsl(${(hue * 7) % 40 + 15} ${aged ? 20 : 38}% ${52 + (hue % 25)}%)`;
  const hair = `hsl(${(hue * 3) % 40 + 10} 35% ${18 + (hue % 20)}%)`;
  const shirt = aged ? `hsl(${hue} 8% 45%)` : `hsl(${(hue + 180) % 360} 40% 45%)`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="500" viewBox="0 0 400 500">
<rect width="400" height="500" fill="${bg}"/>
<path d="M60 500c8-96 64-150 140-150s132 54 140 150z" fill="${shirt}"/>
<rect x="170" y="285" width="60" height="70" rx="24" fill="${skin}"/>
<ellipse cx="200" cy="215" rx="84" ry="100" fill="${skin}"/>
<path d="M114 205c-4-78 44-118 88-118s90 34 86 118c-18-44-52-62-88-62s-70 18-86 62z" fill="${hair}"/>
<circle cx="170" cy="225" r="7" fill="#2b2420"/><circle cx="230" cy="225" r="7" fill="#2b2420"/>
<path d="M178 272c14 10 30 10 44 0" fill="none" stroke="#7a3b2e" stroke-width="5" stroke-linecap="round"/>
</svg>`;
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}

const MOTHERS = ["Grace", "Alicia", "Monique", "Rosa", "Hannah", "Teresa", "Naomi", "Keisha", "Linh", "Olivia"];
const FATHERS = ["Marcus", "David", "Luis", "Andre", "Samuel", "Kevin", "Tomas", "Darnell", "Minh", "Patrick"];
const GRANDS = ["Evelyn", "Harold", "Dolores", "Walter", "Beatrice", "Ernest"];
const LANGUAGES = ["English", "English", "English", "Spanish", "Vietnamese", "English"];
const PLACES = ["the bus station", "a friend's apartment", "the mall on Fifth Street", "her cousin's house", "the library", "a truck stop off the interstate", "the high school"];

type NoteSeed = { category: NoteCategory; texts: string[] };

function notesFor(given: string, city: string, mother: string, r: () => number): NoteSeed[] {
  const place = PLACES[Math.floor(r() * PLACES.length)];
  return [
    { category: "call", texts: [`Intake call with ${mother}. ${given} left home after an argument and did not return. Phone goes straight to voicemail.`] },
    { category: "law_enforcement", texts: [`${city} Police took the report and entered the case in NCIC. Detective asked us to send any new photos directly.`] },
    {
      category: "lead_tip",
      texts: [
        `Caller reports seeing a young person matching the description near ${place} on Saturday evening.`,
        `Caller reports seeing a teenager matching the description near ${place} on Saturday evening, wearing a grey hoodie. Passed to the detective.`,
      ],
    },
    { category: "family_contact", texts: [`${mother} says ${given} has been messaging a friend in another state; she will bring the friend's name tomorrow.`] },
    { category: "media", texts: [`Local TV station asked for the poster. Consent to publish confirmed by ${mother} for the school portrait only.`] },
    { category: "internal", texts: [`Supervisor review: keep the case at Active; follow up with the school counsellor on Monday.`] },
  ];
}

/** The moves from intake to `to` along the allowed transitions, each with a reason. */
function pathTo(to: CaseStatus): Array<{ to: CaseStatus; reason: string; outcome?: Outcome }> {
  const active = { to: "active" as const, reason: "Reported to police; NCIC entry confirmed." };
  switch (to) {
    case "intake":
      return [];
    case "active":
      return [active];
    case "located_alive":
      return [active, { to, reason: "Seen and spoken to by an officer; safe." }];
    case "located_deceased":
      return [active, { to, reason: "Confirmed by the medical examiner." }];
    case "recovered":
      return [active, { to, reason: "Recovered by police and taken to a safe place." }];
    case "resolved":
      return [active, { to: "recovered", reason: "Recovered by police and taken to a safe place." }, { to, reason: "Back with family; follow-up visit done.", outcome: "returned_home" }];
    case "closed":
      return [active, { to, reason: "Duplicate of another case entered the same day." }];
  }
}

/** Fills the case file of `caseId` with plausible, invented history. */
export function seedCaseFile(fake: FakeBackend, caseId: string, seed: number): void {
  const record = fake.cases.get(caseId);
  if (!record) return;
  let a = seed >>> 0;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const f = record.fields;
  const family = f.child.family_name;
  const start = Date.parse(`${f.event.last_seen_date}T15:00:00Z`);
  const end = Date.parse(`${fake.today}T17:00:00Z`);
  const span = Math.max(end - start, 3_600_000);
  const at = (share: number) => new Date(start + span * share).toISOString().replace(/\.\d{3}Z$/, "Z");
  const phone = () => `(${200 + Math.floor(r() * 700)}) 555-0${100 + Math.floor(r() * 899)}`;

  // The history starts at intake, so the status history walks to where the case is now.
  const target = record.status;
  fake.cases.set(caseId, { ...record, status: "intake" });
  const mother = `${pick(MOTHERS)} ${family}`;
  fake.seedContact(caseId, { name: mother, relationship: "mother", relationship_detail: "", primary: true, phones: [phone(), phone()], email: `${mother.split(" ")[0].toLowerCase()}@example.org`, address: `${100 + Math.floor(r() * 8000)} Maple Avenue, ${f.event.city}, ${f.event.state}`, preferred_language: pick(LANGUAGES), best_time_to_call: "Weekdays after 5 pm", notes: "", do_not_disclose: false }, at(0.002));
  if (f.case_type === "FA" || r() < 0.25) {
    fake.seedContact(caseId, { name: `${pick(FATHERS)} ${family}`, relationship: "father", relationship_detail: "", primary: false, phones: [phone()], email: "", address: "", preferred_language: "English", best_time_to_call: "", notes: f.case_type === "FA" ? "Suspected of taking the child; protective order in place." : "", do_not_disclose: f.case_type === "FA" }, at(0.004));
  }
  fake.seedContact(caseId, { name: `${pick(GRANDS)} ${family}`, relationship: "grandparent", relationship_detail: "", primary: false, phones: [phone()], email: "", address: "", preferred_language: "", best_time_to_call: "Mornings", notes: "", do_not_disclose: false }, at(0.006));

  pathTo(target).forEach((step, i, all) => fake.seedStatus(caseId, step.to, step.reason, at(0.01 + (0.9 * (i + 1)) / (all.length + 1)), step.outcome ?? null));

  const notes = notesFor(f.child.given_name, f.event.city, mother.split(" ")[0], r);
  const count = 3 + Math.floor(r() * 4);
  for (let i = 0; i < count; i++) fake.seedNote(caseId, notes[i].category, notes[i].texts, at(0.02 + (0.9 * i) / count));

  const hue = Math.floor(r() * 360);
  const years = Number(fake.today.slice(0, 4)) - Number(f.event.last_seen_date.slice(0, 4));
  const oldPhoto = `${Number(f.event.last_seen_date.slice(0, 4)) - 1}${f.event.last_seen_date.slice(4)}`;
  const born = f.child.date_of_birth;
  const ageIn = (day: string) => (born ? Number(day.slice(0, 4)) - Number(born.slice(0, 4)) - (day.slice(5) < born.slice(5) ? 1 : 0) : null);
  fake.seedPhoto(caseId, portrait(hue), { kind: "photo", age_progressed_to: null, taken_on: oldPhoto, child_age: ageIn(oldPhoto), source: "School portrait", consent_to_publish: true }, at(0.003));
  if (r() < 0.6) {
    fake.seedPhoto(caseId, portrait((hue + 40) % 360), { kind: "photo", age_progressed_to: null, taken_on: f.event.last_seen_date, child_age: ageIn(f.event.last_seen_date), source: "Mother", consent_to_publish: false }, at(0.005));
  }
  if (years >= 3) {
    const now = ageIn(fake.today);
    fake.seedPhoto(caseId, portrait(hue, true), { kind: "age_progressed", age_progressed_to: now, taken_on: "", child_age: null, source: "Forensic artist", consent_to_publish: true }, at(0.8));
  }
}
