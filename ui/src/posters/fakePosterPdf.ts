//! A sketch of a poster as a real one-page PDF, for the fake backend: the header, grey photo
//! frames with their labels, the name and facts, the circumstances, the contact block and the
//! case number, on US Letter or A4, laid out with the built-in Helvetica. It lets the studio be
//! tried in a browser and its preview be seen; the real poster (fonts, photos, QR code, the
//! words in each language) is made in Rust by the poster crate and never imitated beyond this.

import type { PaperSize } from "../lib/bindings/PaperSize";

export interface SketchChild {
  name: string;
  /** Label and value pairs, e.g. ["DOB", "May 1, 2012"]. */
  facts: Array<[string, string]>;
  /** One label per photo frame, main photo first. */
  photos: string[];
  circumstances: string;
}

export interface Sketch {
  paper: PaperSize;
  header: string;
  children: SketchChild[];
  contactTitle: string;
  contactLines: string[];
  caseLine: string;
}

const PAGE: Record<PaperSize, [number, number]> = { letter: [612, 792], a4: [595.28, 841.89] };
const RED = "0.72 0.09 0.09";
const INK = "0.1 0.1 0.12";
const GREY = "0.42 0.44 0.48";

/** The PDF as a binary string (one character per byte) and the text printed on it. */
export function sketchPdf(sketch: Sketch): { pdf: string; text: string } {
  const [w, h] = PAGE[sketch.paper];
  const page = new Page(w, h);
  const m = 36;
  const inner = w - 2 * m;

  page.rect(m, h - m - 78, inner, 78, RED);
  page.textCentered(sketch.header, w / 2, h - m - 58, fit(sketch.header, 48, inner - 24, true), true, "1 1 1");

  if (sketch.children.length === 1) drawSolo(page, sketch.children[0], m, h - m - 96, inner);
  else drawSiblings(page, sketch.children, m, h - m - 96, inner);

  // The contact block sits at the foot of the page, whatever the children above it took.
  const boxH = 34 + 18 * sketch.contactLines.length;
  const boxY = m + 30;
  page.strokeRect(m, boxY, inner, boxH, RED, 2);
  page.textCentered(sketch.contactTitle, w / 2, boxY + boxH - 24, fit(sketch.contactTitle, 15, inner - 20, true), true, RED);
  sketch.contactLines.forEach((line, i) => page.textCentered(line, w / 2, boxY + boxH - 46 - 18 * i, 13, i === 0, INK));
  page.text(sketch.caseLine, m, m + 8, 10, false, GREY);
  return { pdf: page.pdf(w, h), text: page.lines.join("\n") };
}

function drawSolo(page: Page, child: SketchChild, x: number, top: number, width: number): void {
  const n = Math.max(1, child.photos.length);
  const gap = 14;
  const pw = n === 1 ? 230 : n === 2 ? 200 : 160;
  const ph = pw * 1.25;
  const rowW = n * pw + (n - 1) * gap;
  let px = x + (width - rowW) / 2;
  child.photos.forEach((label) => {
    page.photoFrame(px, top - ph, pw, ph);
    page.textCentered(label, px + pw / 2, top - ph - 14, 10, false, GREY);
    px += pw + gap;
  });
  let y = top - ph - 50;
  page.textCentered(child.name, x + width / 2, y, fit(child.name, 30, width, true), true, INK);
  y -= 30;
  const half = Math.ceil(child.facts.length / 2);
  const colW = width / 2;
  child.facts.forEach(([label, value], i) => {
    const cx = x + (i < half ? 0 : colW) + 12;
    const cy = y - (i % half) * 18;
    page.text(`${label}:`, cx, cy, 12, true, INK);
    page.text(value, cx + 104, cy, fit(value, 12, colW - 120, false), false, INK);
  });
  y -= half * 18 + 12;
  if (child.circumstances) {
    for (const line of wrap(child.circumstances, 11, width - 24, 4)) {
      page.text(line, x + 12, y, 11, false, INK);
      y -= 15;
    }
  }
}

function drawSiblings(page: Page, children: SketchChild[], x: number, top: number, width: number): void {
  const cols = 2;
  const gap = 16;
  const cellW = (width - gap) / cols;
  const rows = Math.ceil(children.length / cols);
  const cellH = rows === 1 ? 440 : 250;
  children.forEach((child, i) => {
    // A last child alone on its row is centred under the others.
    const alone = i === children.length - 1 && i % cols === 0;
    const cx = alone ? x + (width - cellW) / 2 : x + (i % cols) * (cellW + gap);
    const cy = top - Math.floor(i / cols) * (cellH + 8);
    const ph = rows === 1 ? 220 : 130;
    const pw = ph * 0.8;
    page.photoFrame(cx + (cellW - pw) / 2, cy - ph, pw, ph);
    page.textCentered(child.photos[0] ?? "", cx + cellW / 2, cy - ph - 12, 9, false, GREY);
    page.textCentered(child.name, cx + cellW / 2, cy - ph - 34, fit(child.name, 18, cellW - 8, true), true, INK);
    child.facts.slice(0, rows === 1 ? 8 : 4).forEach(([label, value], k) => {
      page.text(`${label}: ${value}`, cx + 8, cy - ph - 54 - 14 * k, fit(`${label}: ${value}`, 10, cellW - 16, false), false, INK);
    });
  });
}

/** Helvetica's advance widths in thousandths of an em (regular, bold), for centring and wrapping. */
const UPPER = [
  [667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611],
  [722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611],
];
const LOWER = [
  [556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500],
  [556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500],
];

function advance(ch: string, bold: boolean): number {
  const base = ch.normalize("NFD")[0] ?? ch;
  const code = base.charCodeAt(0);
  if (code >= 65 && code <= 90) return UPPER[Number(bold)][code - 65];
  if (code >= 97 && code <= 122) return LOWER[Number(bold)][code - 97];
  if (code >= 48 && code <= 57) return 556;
  if (" .,:;/·".includes(ch)) return bold && ch === ":" ? 333 : 278;
  if ("-()'".includes(ch)) return 333;
  return 556;
}

function measure(s: string, size: number, bold: boolean): number {
  let units = 0;
  for (const ch of s) units += advance(ch, bold);
  return (units / 1000) * size;
}

/** The largest size up to `size` at which `s` fits in `width`. */
function fit(s: string, size: number, width: number, bold: boolean): number {
  const at = measure(s, size, bold);
  return at <= width ? size : Math.max(6, Math.floor((size * width) / at));
}

function wrap(s: string, size: number, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of s.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (measure(next, size, false) <= width) line = next;
    else {
      if (line) lines.push(line);
      line = word;
    }
    if (lines.length === maxLines) break;
  }
  if (lines.length < maxLines && line) lines.push(line);
  else if (lines.length === maxLines) lines[maxLines - 1] = lines[maxLines - 1].replace(/\s*\S*$/, " …");
  return lines;
}

/** PDF string syntax for `s` in WinAnsi: Latin letters as they are, anything beyond as "?". */
function pdfString(s: string): string {
  let out = "";
  for (const ch of s) {
    const code = ch === "…" ? 0x85 : (ch.codePointAt(0) ?? 63);
    const c = code > 255 && ch !== "…" ? "?" : String.fromCharCode(code);
    out += c === "(" || c === ")" || c === "\\" ? `\\${c}` : c;
  }
  return `(${out})`;
}

const num = (n: number) => (Math.round(n * 100) / 100).toString();

class Page {
  private ops: string[] = [];
  readonly lines: string[] = [];

  constructor(
    readonly w: number,
    readonly h: number,
  ) {}

  rect(x: number, y: number, w: number, h: number, rgb: string) {
    this.ops.push(`${rgb} rg ${num(x)} ${num(y)} ${num(w)} ${num(h)} re f`);
  }

  strokeRect(x: number, y: number, w: number, h: number, rgb: string, width: number) {
    this.ops.push(`${rgb} RG ${width} w ${num(x)} ${num(y)} ${num(w)} ${num(h)} re S`);
  }

  /** A grey frame with a head-and-shoulders outline where the photo goes. */
  photoFrame(x: number, y: number, w: number, h: number) {
    this.rect(x, y, w, h, "0.86 0.87 0.89");
    const cx = x + w / 2;
    const r = w * 0.2;
    const hy = y + h * 0.6;
    const k = 0.5523 * r;
    this.ops.push(
      `0.7 0.72 0.75 rg ${num(cx)} ${num(hy + r)} m ${num(cx + k)} ${num(hy + r)} ${num(cx + r)} ${num(hy + k)} ${num(cx + r)} ${num(hy)} c ` +
        `${num(cx + r)} ${num(hy - k)} ${num(cx + k)} ${num(hy - r)} ${num(cx)} ${num(hy - r)} c ` +
        `${num(cx - k)} ${num(hy - r)} ${num(cx - r)} ${num(hy - k)} ${num(cx - r)} ${num(hy)} c ` +
        `${num(cx - r)} ${num(hy + k)} ${num(cx - k)} ${num(hy + r)} ${num(cx)} ${num(hy + r)} c f`,
    );
    const sw = w * 0.36;
    this.ops.push(
      `${num(cx - sw)} ${num(y)} m ${num(cx - sw)} ${num(y + h * 0.3)} ${num(cx - sw * 0.4)} ${num(hy - r * 1.25)} ${num(cx)} ${num(hy - r * 1.25)} c ` +
        `${num(cx + sw * 0.4)} ${num(hy - r * 1.25)} ${num(cx + sw)} ${num(y + h * 0.3)} ${num(cx + sw)} ${num(y)} c f`,
    );
    this.strokeRect(x, y, w, h, "0.55 0.57 0.6", 0.75);
  }

  text(s: string, x: number, y: number, size: number, bold: boolean, rgb: string) {
    if (!s) return;
    this.lines.push(s);
    this.ops.push(`BT ${rgb} rg /${bold ? "F2" : "F1"} ${size} Tf ${num(x)} ${num(y)} Td ${pdfString(s)} Tj ET`);
  }

  textCentered(s: string, cx: number, y: number, size: number, bold: boolean, rgb: string) {
    this.text(s, cx - measure(s, size, bold) / 2, y, size, bold, rgb);
  }

  pdf(w: number, h: number): string {
    const content = this.ops.join("\n");
    const objects = [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${num(w)} ${num(h)}] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>`,
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
      `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    ];
    let out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
    const offsets: number[] = [];
    objects.forEach((body, i) => {
      offsets.push(out.length);
      out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    });
    const xref = out.length;
    out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
    for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
    out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    return out;
  }
}
