import { describe, expect, it } from "vitest";
import { cmToFeetInches, feetInchesToCm, kgToPounds, parseNumber, poundsToKg } from "./units";

describe("units", () => {
  it("converts feet and inches to centimetres and back", () => {
    expect(feetInchesToCm(4, 11)).toBe(149.86);
    expect(feetInchesToCm(5, null)).toBe(152.4);
    expect(feetInchesToCm(null, null)).toBeNull();
    expect(cmToFeetInches(149.9)).toEqual({ feet: 4, inches: 11 });
    expect(cmToFeetInches(182.9)).toEqual({ feet: 6, inches: 0 });
  });

  it("converts pounds to kilograms so that whole pounds come back whole", () => {
    expect(poundsToKg(90)).toBe(40.823);
    expect(kgToPounds(40.823)).toBe(90);
    expect(poundsToKg(null)).toBeNull();
  });

  it("reads typed numbers, empty as null and junk as NaN", () => {
    expect(parseNumber(" 12 ")).toBe(12);
    expect(parseNumber("4,5")).toBe(4.5);
    expect(parseNumber("")).toBeNull();
    expect(parseNumber("twelve")).toBeNaN();
  });
});
