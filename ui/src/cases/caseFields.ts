//! The blank shapes of a case form and the small pure helpers the form needs around them:
//! empty rows, a deep copy for change tracking, and grouping field errors by path. It does not
//! judge validity; Rust's `validate_case` does that.

import type { CaseFields } from "../lib/bindings/CaseFields";
import type { CompanionFields } from "../lib/bindings/CompanionFields";
import type { FieldError } from "../lib/bindings/FieldError";
import type { VehicleFields } from "../lib/bindings/VehicleFields";

export function emptyCompanion(): CompanionFields {
  return { name: "", relationship: "", date_of_birth: "", description: "" };
}

export function emptyVehicle(): VehicleFields {
  return { year: null, make: "", model: "", style: "", color: "", plate: "", plate_state: "", vin: "" };
}

export function emptyCaseFields(): CaseFields {
  return {
    case_type: null,
    ncic_category: null,
    missing_from_care: false,
    care_agency: "",
    amber_alert: false,
    amber_alert_issued_at: "",
    child: {
      given_name: "",
      middle_name: "",
      family_name: "",
      nicknames: "",
      date_of_birth: "",
      estimated_age: null,
      sex: null,
      race: null,
      hispanic_latino: null,
    },
    description: {
      height_cm: null,
      weight_kg: null,
      units: "imperial",
      hair: null,
      eyes: null,
      skin: null,
      scars_marks_tattoos: "",
      glasses: false,
      braces: false,
      clothing: "",
      medical_cautions: "",
    },
    event: {
      last_seen_date: "",
      last_seen_time: "",
      address: "",
      city: "",
      county: "",
      state: "",
      country: "",
      possible_destinations: "",
      circumstances: "",
    },
    companions: [],
    vehicles: [],
    law_enforcement: {
      agency_name: "",
      ori: "",
      agency_case_number: "",
      investigator_name: "",
      investigator_phone: "",
      ncic_number: "",
    },
  };
}

/** A detached copy, so the form can tell edited values from the ones it opened with. */
export function cloneFields(fields: CaseFields): CaseFields {
  return JSON.parse(JSON.stringify(fields)) as CaseFields;
}

export function sameFields(a: CaseFields, b: CaseFields): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The first message for each field path; later messages for the same field wait their turn. */
export function errorsByField(errors: readonly FieldError[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) if (!(e.field in out)) out[e.field] = e.message;
  return out;
}

/** The DOM id of the control for a field path; also what error summaries link to. */
export function controlId(path: string): string {
  return `f-${path.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

export function errorId(path: string): string {
  return `${controlId(path)}-error`;
}
