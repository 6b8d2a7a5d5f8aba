import { describe, expect, it } from "vitest";
import { matchCase, queryWords, similarNames, snippetOf, soundex } from "./fakeSearch";

describe("the fake's search", () => {
  it("needs every word somewhere, the last one as a prefix, and prefers the name", () => {
    const fields = [
      { label: "Name", text: "Maya Okafor", weight: 9 },
      { label: "Note", text: "Maya was seen at the bus station.", weight: 2 },
    ];
    expect(matchCase(fields, queryWords("maya oka"))?.label).toBe("Name");
    expect(matchCase(fields, queryWords("bus sta"))?.label).toBe("Note");
    expect(matchCase(fields, queryWords("okafor bus"))).not.toBeNull();
    expect(matchCase(fields, queryWords("okafor train"))).toBeNull();
  });

  it("highlights only the typed part of each matching word, around the first match", () => {
    expect(snippetOf("Seen at the bus station", ["bus", "sta"])).toEqual([
      { text: "Seen at the ", hit: false },
      { text: "bus", hit: true },
      { text: " ", hit: false },
      { text: "sta", hit: true },
      { text: "tion", hit: false },
    ]);
    const long = `${"word ".repeat(30)}target ${"more ".repeat(30)}`.trim();
    const s = snippetOf(long, ["target"]);
    expect(s[0].text.startsWith("…")).toBe(true);
    expect(s[s.length - 1].text.endsWith("…")).toBe(true);
    expect(s.filter((x) => x.hit).map((x) => x.text)).toEqual(["target"]);
  });

  it("finds names that sound alike or are one slip apart", () => {
    expect(soundex("Okafor")).toBe("O216");
    expect(soundex("Okafur")).toBe("O216");
    expect(soundex("Ashcraft")).toBe("A261");
    expect(similarNames("Maya", "Okafor", "Maia", "Okafur")).toBe(true);
    expect(similarNames("Maya", "Okafor", "Liam", "Okafor")).toBe(false);
  });
});
