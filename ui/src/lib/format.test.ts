import { describe, expect, it } from "vitest";
import { auditActionLabel, durationSince, formatDateTime, localToday, photoKindLabel } from "./format";

describe("format", () => {
  it("says how long ago in the unit a person would use", () => {
    expect(durationSince("2026-11-20", "2026-11-21")).toBe("1 day");
    expect(durationSince("2026-11-01", "2026-11-21")).toBe("2 weeks");
    expect(durationSince("2026-08-01", "2026-11-21")).toBe("3 months");
    expect(durationSince("2020-11-22", "2026-11-21")).toBe("5 years");
    expect(durationSince("2026-11-22", "2026-11-21")).toBe("");
  });

  it("names photo kinds, with the age of an age progression", () => {
    expect(photoKindLabel("age_progressed", 15)).toBe("Age progressed to 15");
    expect(photoKindLabel("vehicle")).toBe("Vehicle");
    expect(auditActionLabel("photo_viewed")).toBe("Viewed a photo");
  });

  it("reads moments in the viewer's zone, and today as a calendar day", () => {
    expect(formatDateTime("2026-11-21T14:05:00Z")).toBe("Nov 21, 2026, 2:05 PM");
    expect(formatDateTime("not a time")).toBe("not a time");
    expect(localToday(new Date(2026, 0, 9, 23, 30))).toBe("2026-01-09");
  });
});
