//! Conversions between the metric values Porchlight stores and the imperial ones a user may
//! prefer to type and read. Only arithmetic: whether a height or weight is plausible is for
//! Rust to say.

const CM_PER_INCH = 2.54;
const KG_PER_POUND = 0.45359237;

/** Feet and inches to centimetres, or null when neither is given. */
export function feetInchesToCm(feet: number | null, inches: number | null): number | null {
  if (feet === null && inches === null) return null;
  const total = (feet ?? 0) * 12 + (inches ?? 0);
  return round(total * CM_PER_INCH, 2);
}

/** Centimetres to whole feet and the remaining inches, rounded to the nearest inch. */
export function cmToFeetInches(cm: number): { feet: number; inches: number } {
  const total = Math.round(cm / CM_PER_INCH);
  return { feet: Math.floor(total / 12), inches: total % 12 };
}

export function poundsToKg(pounds: number | null): number | null {
  return pounds === null ? null : round(pounds * KG_PER_POUND, 3);
}

/** Kilograms to pounds, to a tenth, so that a typed whole number of pounds comes back whole. */
export function kgToPounds(kg: number): number {
  return round(kg / KG_PER_POUND, 1);
}

/** Parses what a user typed into a number field; empty means "not given", junk is NaN. */
export function parseNumber(text: string): number | null {
  const t = text.trim().replace(",", ".");
  if (t === "") return null;
  return Number(t);
}

function round(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round(value * f) / f;
}
