//! The fake backend's imitation of instant search and the duplicate check: word-prefix matching
//! over a case's searchable texts, highlighted `Segment`s around the match, and a name
//! similarity measure. It exists so the UI can be exercised without Rust; the real ranking
//! (FTS5, bm25) and the real duplicate rules live in the store and are not copied here.

import type { Segment } from "./bindings/Segment";

/** One searchable text of a case, named the way a hit reports where it matched. */
export interface SearchField {
  label: string;
  text: string;
  /** Higher wins when several fields match equally well (a name beats a note). */
  weight: number;
}

export interface FieldMatch {
  label: string;
  score: number;
  snippet: Segment[];
}

/** Lower-cased words of a query; the last may be a word still being typed. */
export function queryWords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}-]+/u)
    .map((w) => w.replace(/^-+|-+$/g, ""))
    .filter((w) => w !== "");
}

const WORD = /[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)*/gu;

/** Whether `word` (already lower-case) is matched by a query word: whole words, or a prefix for the last one. */
function wordMatches(word: string, q: string, isLast: boolean): boolean {
  return isLast ? word.startsWith(q) : word === q || word.startsWith(q);
}

/**
 * The best field of a case for `words`, or null when some word matches nowhere. Every query
 * word must match a word somewhere in the case (AND), as FTS5 does with implicit AND.
 */
export function matchCase(fields: readonly SearchField[], words: readonly string[]): FieldMatch | null {
  if (words.length === 0) return null;
  const covered = new Set<number>();
  let best: FieldMatch | null = null;
  for (const f of fields) {
    if (!f.text) continue;
    const hitWords = new Set<number>();
    const lower = f.text.toLowerCase();
    for (const m of lower.matchAll(WORD)) {
      words.forEach((q, i) => {
        if (wordMatches(m[0], q, i === words.length - 1)) hitWords.add(i);
      });
    }
    if (hitWords.size === 0) continue;
    for (const i of hitWords) covered.add(i);
    const score = hitWords.size * 10 + f.weight;
    if (!best || score > best.score) best = { label: f.label, score, snippet: snippetOf(f.text, words) };
  }
  return covered.size === words.length ? best : null;
}

/** The words of `text` around the first match, as plain and highlighted segments. */
export function snippetOf(text: string, words: readonly string[], around = 8): Segment[] {
  const tokens: Array<{ start: number; end: number; hit: boolean }> = [];
  for (const m of text.matchAll(WORD)) {
    const w = m[0].toLowerCase();
    const hit = words.some((q, i) => wordMatches(w, q, i === words.length - 1));
    tokens.push({ start: m.index!, end: m.index! + m[0].length, hit });
  }
  const first = tokens.findIndex((t) => t.hit);
  if (first < 0) return [{ text, hit: false }];
  const from = Math.max(0, first - around);
  const to = Math.min(tokens.length - 1, first + around * 2);
  const start = from === 0 ? 0 : tokens[from].start;
  const end = to === tokens.length - 1 ? text.length : tokens[to].end;
  const out: Segment[] = [];
  const push = (t: string, hit: boolean) => {
    if (t === "") return;
    const last = out[out.length - 1];
    if (last && last.hit === hit) last.text += t;
    else out.push({ text: t, hit });
  };
  if (start > 0) push("…", false);
  let cursor = start;
  for (let i = from; i <= to; i++) {
    const t = tokens[i];
    if (!t.hit) continue;
    push(text.slice(cursor, t.start), false);
    // Only the typed prefix of the matched word is highlighted, as a user expects.
    const w = text.slice(t.start, t.end);
    const lower = w.toLowerCase();
    const q = words.filter((x) => lower.startsWith(x)).sort((a, b) => b.length - a.length)[0] ?? lower;
    push(w.slice(0, q.length), true);
    push(w.slice(q.length), false);
    cursor = t.end;
  }
  push(text.slice(cursor, end), false);
  if (end < text.length) push("…", false);
  return out;
}

/** Levenshtein distance, for short strings such as names. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

/** American Soundex: names that sound alike share a code (Okafor, Okafur → O216). */
export function soundex(name: string): string {
  const s = name.toUpperCase().replace(/[^A-Z]/g, "");
  if (s === "") return "";
  const code = (c: string) => {
    if ("BFPV".includes(c)) return "1";
    if ("CGJKQSXZ".includes(c)) return "2";
    if ("DT".includes(c)) return "3";
    if (c === "L") return "4";
    if ("MN".includes(c)) return "5";
    if (c === "R") return "6";
    return "";
  };
  let out = s[0];
  let last = code(s[0]);
  for (let i = 1; i < s.length && out.length < 4; i++) {
    const c = s[i];
    const d = code(c);
    if (d !== "" && d !== last) out += d;
    // H and W do not separate letters with the same code; vowels do.
    if (c !== "H" && c !== "W") last = d;
  }
  return out.padEnd(4, "0");
}

/** Whether two people's names are alike enough to ask whether they are the same child. */
export function similarNames(given1: string, family1: string, given2: string, family2: string): boolean {
  const familyAlike = soundex(family1) === soundex(family2) || editDistance(family1, family2) <= 2;
  const givenAlike = soundex(given1) === soundex(given2) || editDistance(given1, given2) <= 2;
  return familyAlike && givenAlike;
}

/** Days between two YYYY-MM-DD dates, ignoring order. */
export function daysApart(a: string, b: string): number {
  return Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000;
}
