//! Drawing the first page of a PDF into a canvas, with pdf.js bundled in the app. Its worker is
//! one of the app's own files (Vite's `?worker` import), so nothing is fetched from elsewhere
//! and the Content Security Policy needs only `worker-src 'self'`. pdf.js is loaded on first
//! use, so screens without a preview never pay for it; component tests hand the preview a
//! renderer of their own instead, since jsdom has no canvas.

/**
 * Renders page 1 of `pdf` `cssWidth` CSS pixels wide (sharp on high-density screens) and paints
 * it into `target`, unless `current()` says by then that a newer render has taken its place.
 */
export type PageRenderer = (pdf: Uint8Array, target: HTMLCanvasElement, cssWidth: number, current: () => boolean) => Promise<void>;

type PdfJs = typeof import("pdfjs-dist");
let library: Promise<PdfJs> | null = null;

function pdfjs(): Promise<PdfJs> {
  library ??= Promise.all([import("pdfjs-dist"), import("pdfjs-dist/build/pdf.worker.min.mjs?worker")]).then(([lib, worker]) => {
    // One worker for the life of the window; every document opened shares it.
    lib.GlobalWorkerOptions.workerPort ??= new worker.default();
    return lib;
  });
  // A failed load (a missing chunk) is not kept, so the next preview tries again.
  library.catch(() => (library = null));
  return library;
}

export const renderFirstPage: PageRenderer = async (pdf, target, cssWidth, current) => {
  const lib = await pdfjs();
  // No eval (the CSP forbids it) and only errors logged: a poster is a plain, known document.
  const doc = await lib.getDocument({ data: pdf, isEvalSupported: false, verbosity: lib.VerbosityLevel.ERRORS }).promise;
  try {
    const page = await doc.getPage(1);
    const ratio = window.devicePixelRatio || 1;
    const viewport = page.getViewport({ scale: (cssWidth / page.getViewport({ scale: 1 }).width) * ratio });
    // Drawn off screen first and copied in one step, so the preview never flashes blank while
    // the next one renders.
    const scratch = document.createElement("canvas");
    scratch.width = Math.round(viewport.width);
    scratch.height = Math.round(viewport.height);
    await page.render({ canvas: scratch, viewport }).promise;
    if (!current()) return;
    target.width = scratch.width;
    target.height = scratch.height;
    target.getContext("2d")?.drawImage(scratch, 0, 0);
  } finally {
    await doc.destroy();
  }
};

/** The bytes of a base64 string. */
export function fromBase64(data: string): Uint8Array {
  const s = atob(data);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
