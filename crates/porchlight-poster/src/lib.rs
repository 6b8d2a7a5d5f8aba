//! Missing-child posters as PDF bytes. A `Poster` is built from cases (`Poster::from_case`, or
//! `Poster::new` over several `PosterChild`ren for siblings) and holds public fields only; the
//! refusals (no consented photo, no law-enforcement contact, a case no longer open) happen
//! there. `render` lays one poster out on US Letter or A4, in English or Spanish, with its fonts
//! subset and its photos embedded as small JPEGs; `render_many` puts many on the pages of one
//! PDF, and `render_each` renders one PDF per poster on every core.
//!
//! This crate has no window, no database and no clock: the caller passes the cases, the
//! photos and the print date, and saves, prints or records the bytes.

mod error;
mod fonts;
mod layout;
mod narrative;
mod photo;
mod poster;
mod qr;
mod words;

pub use error::PosterError;
pub use photo::{PhotoInput, PhotoKind, PosterPhoto, MAX_PHOTO_PX};
pub use poster::{AgencyContact, Poster, PosterChild, PosterCompanion, PosterSettings, PosterVehicle, MAX_CHILDREN, MAX_PHOTOS};
pub use words::{Language, Paper};

use layout::PageResources;
use printpdf::{
    DictItem, ExternalStream, ExternalXObject, FontId, Mm, OffsetDateTime, PdfDocument, PdfPage, PdfSaveOptions, Pt, Px,
    XObject, XObjectId,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How the PDF is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Embed only the glyphs a poster uses (about 30 KB of font instead of 1.4 MB). Leave on;
    /// turning it off exists for measuring.
    pub subset_fonts: bool,
    /// Threads for `render_each`; 0 means one per core.
    pub threads: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { subset_fonts: true, threads: 0 }
    }
}

/// The PDF of one poster, or why there is none.
pub type Rendered = Result<Vec<u8>, PosterError>;

/// One poster as a one-page PDF.
pub fn render(poster: &Poster, options: &RenderOptions) -> Result<Vec<u8>, PosterError> {
    document(std::slice::from_ref(poster), options)
}

/// Many posters as the pages of one PDF, in order; the fonts are embedded once for all pages.
/// An empty list is refused (as a child count of zero) rather than giving a PDF with no pages.
pub fn render_many(posters: &[Poster], options: &RenderOptions) -> Result<Vec<u8>, PosterError> {
    if posters.is_empty() {
        return Err(PosterError::ChildCount { count: 0 });
    }
    document(posters, options)
}

/// One PDF per poster, rendered on `options.threads` threads (all cores by default). Results
/// come back in the order of `posters`.
pub fn render_each(posters: &[Poster], options: &RenderOptions) -> Vec<Rendered> {
    render_each_with(posters, options, &AtomicBool::new(false), &|_| {})
}

/// `render_each` for a progress bar with a cancel button: `on_rendered` is called with the
/// number of posters finished so far after each one, and once `cancel` is set the posters not
/// yet started come back as `PosterError::Cancelled`.
pub fn render_each_with(
    posters: &[Poster],
    options: &RenderOptions,
    cancel: &AtomicBool,
    on_rendered: &(dyn Fn(usize) + Sync),
) -> Vec<Rendered> {
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(posters.len().max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let mut results: Vec<Option<Rendered>> = (0..posters.len()).map(|_| None).collect();
    let chunks: Vec<Vec<(usize, Rendered)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    // Posters are taken one at a time from a shared counter, so a slow poster
                    // never leaves the other threads idle.
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= posters.len() {
                            break;
                        }
                        let result = if cancel.load(Ordering::Relaxed) { Err(PosterError::Cancelled) } else { render(&posters[i], options) };
                        mine.push((i, result));
                        on_rendered(done.fetch_add(1, Ordering::Relaxed) + 1);
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a poster render thread panicked")).collect()
    });
    for (i, result) in chunks.into_iter().flatten() {
        results[i] = Some(result);
    }
    results.into_iter().map(|r| r.unwrap_or(Err(PosterError::Cancelled))).collect()
}

fn document(posters: &[Poster], options: &RenderOptions) -> Result<Vec<u8>, PosterError> {
    let faces = fonts::faces();
    let title = if posters.len() == 1 { posters[0].title() } else { format!("{} posters", posters.len()) };
    let mut doc = PdfDocument::new(&title);
    // The print date, not the clock, dates the file: the same poster printed twice on one day
    // gives the same document.
    let printed = posters[0].settings().printed_on;
    let stamp = printed.and_hms_opt(12, 0, 0).map_or(0, |t| t.and_utc().timestamp());
    if let Ok(date) = OffsetDateTime::from_unix_timestamp(stamp) {
        doc.metadata.info.creation_date = date;
        doc.metadata.info.modification_date = date;
        doc.metadata.info.metadata_date = date;
    }
    doc.metadata.info.creator = "Porchlight".into();
    doc.metadata.info.producer = "Porchlight".into();
    let regular = FontId("F1".into());
    let bold = FontId("F2".into());
    doc.resources.fonts.map.insert(regular.clone(), printpdf::PdfFont::new(faces.regular.font.clone()));
    doc.resources.fonts.map.insert(bold.clone(), printpdf::PdfFont::new(faces.bold.font.clone()));

    let mut pages = Vec::with_capacity(posters.len());
    for (pi, poster) in posters.iter().enumerate() {
        let mut photos = Vec::with_capacity(poster.children().len());
        for (ci, child) in poster.children().iter().enumerate() {
            let mut ids = Vec::with_capacity(child.photos().len());
            for (k, p) in child.photos().iter().enumerate() {
                let id = XObjectId(format!("Im{pi}x{ci}x{k}"));
                doc.resources.xobjects.map.insert(id.clone(), XObject::External(jpeg_xobject(p)));
                ids.push(id);
            }
            photos.push(ids);
        }
        let res = PageResources { regular: &regular, bold: &bold, photos };
        let ops = layout::page_ops(poster, &res)?;
        let (w, h) = poster.settings().paper.size_pt();
        let mut page = PdfPage::new(Mm::from(Pt(w)), Mm::from(Pt(h)), ops);
        // Set the boxes in points directly: a round trip through millimetres turns 792 into
        // 792.001, and some print dialogs then no longer recognise US Letter.
        let exact = printpdf::Rect::from_wh(Pt(w), Pt(h));
        (page.media_box, page.trim_box, page.crop_box) = (exact.clone(), exact.clone(), exact);
        pages.push(page);
    }
    doc.with_pages(pages);
    let save = PdfSaveOptions { optimize: false, subset_fonts: options.subset_fonts, secure: true, image_optimization: None };
    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&save, &mut warnings);
    for object in pdf.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = object {
            deflate(stream);
        }
    }
    let mut bytes = Vec::with_capacity(128 * 1024);
    pdf.save_to(&mut bytes).map_err(|e| PosterError::Write { reason: e.to_string() })?;
    Ok(bytes)
}

/// Compresses a stream that has no filter yet (fonts, page contents; the photos are JPEG
/// already) at deflate level 4: within a few percent of the smallest output, at about a
/// quarter of the time of the slowest level.
fn deflate(stream: &mut lopdf::Stream) {
    use std::io::Write;
    if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() || stream.content.len() < 64 {
        return;
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::with_capacity(stream.content.len() / 2), flate2::Compression::new(1));
    if encoder.write_all(&stream.content).is_err() {
        return;
    }
    if let Ok(compressed) = encoder.finish() {
        if compressed.len() < stream.content.len() {
            stream.dict.set("Filter", lopdf::Object::Name(b"FlateDecode".to_vec()));
            stream.set_content(compressed);
        }
    }
}

/// A prepared photo as a PDF image whose data is the JPEG file itself (DCTDecode), so nothing
/// is decoded or compressed again while rendering.
fn jpeg_xobject(p: &PosterPhoto) -> ExternalXObject {
    let name = |s: &str| DictItem::Name(s.as_bytes().to_vec());
    let (w, h) = p.pixel_size();
    let dict = BTreeMap::from([
        ("Type".to_string(), name("XObject")),
        ("Subtype".to_string(), name("Image")),
        ("Width".to_string(), DictItem::Int(i64::from(w))),
        ("Height".to_string(), DictItem::Int(i64::from(h))),
        ("ColorSpace".to_string(), name(if p.gray { "DeviceGray" } else { "DeviceRGB" })),
        ("BitsPerComponent".to_string(), DictItem::Int(8)),
        ("Filter".to_string(), name("DCTDecode")),
    ]);
    ExternalXObject {
        stream: ExternalStream { dict, content: p.jpeg.to_vec(), compress: false },
        width: Some(Px(w as usize)),
        height: Some(Px(h as usize)),
        dpi: None,
    }
}
