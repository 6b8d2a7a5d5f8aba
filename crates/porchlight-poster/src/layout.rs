//! Where everything goes on the page: the red header band, the photos, the name, the
//! description, the circumstances, the contact block with its QR code, and the footer, all
//! computed from the paper size. It turns a `Poster` into printpdf drawing operations; building
//! the PDF document around them is `render`'s job.

use crate::error::PosterError;
use crate::fonts::{faces, fit, fit_one_line_first, printable, Block, Style};
use crate::photo::{PhotoKind, PosterPhoto};
use crate::poster::{Poster, PosterChild, PosterCompanion, PosterVehicle};
use crate::qr::qr_runs;
use crate::words::{self, Label, Language};
use printpdf::{Color, CurTransMat, FontId, Op, PaintMode, PdfFontHandle, Pt, Rect, Rgb, TextItem, TextMatrix, XObjectId, XObjectTransform};

type Rgb3 = (f32, f32, f32);
const RED: Rgb3 = (0.78, 0.06, 0.11);
const INK: Rgb3 = (0.07, 0.07, 0.08);
const GREY: Rgb3 = (0.36, 0.36, 0.38);
const RULE: Rgb3 = (0.75, 0.75, 0.77);
const PANEL: Rgb3 = (0.94, 0.94, 0.95);
const WHITE: Rgb3 = (1.0, 1.0, 1.0);

/// The font and image resources a page refers to, registered by `render`.
pub(crate) struct PageResources<'a> {
    pub regular: &'a FontId,
    pub bold: &'a FontId,
    /// For each child, the ids of its photos in order.
    pub photos: Vec<Vec<XObjectId>>,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
    Right,
}

/// Collects drawing operations in top-down page coordinates (y grows downwards from the top
/// edge), which is how the layout is reasoned about; PDF's bottom-up y is applied here only.
struct Canvas<'a> {
    ops: Vec<Op>,
    page_h: f32,
    res: &'a PageResources<'a>,
}

impl Canvas<'_> {
    fn fill(&mut self, c: Rgb3) {
        self.ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: c.0, g: c.1, b: c.2, icc_profile: None }) });
    }

    fn rect(&mut self, x: f32, top: f32, w: f32, h: f32, c: Rgb3) {
        self.fill(c);
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect { x: Pt(x), y: Pt(self.page_h - top - h), width: Pt(w), height: Pt(h), mode: Some(PaintMode::Fill), winding_order: None },
        });
    }

    /// One line of text with its baseline `baseline` points below the top edge.
    fn text(&mut self, x: f32, baseline: f32, text: &str, style: Style, size: f32, c: Rgb3) {
        if text.is_empty() {
            return;
        }
        let font = match style {
            Style::Regular => self.res.regular.clone(),
            Style::Bold => self.res.bold.clone(),
        };
        self.fill(c);
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) });
        self.ops.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(Pt(x), Pt(self.page_h - baseline)) });
        self.ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_string())] });
        self.ops.push(Op::EndTextSection);
    }

    /// Draws a block of lines starting at `top` and returns its height.
    fn block(&mut self, x: f32, top: f32, width: f32, block: &Block, c: Rgb3, align: Align) -> f32 {
        let face = faces().get(block.style);
        let lh = face.line_height(block.size);
        for (i, line) in block.lines.iter().enumerate() {
            let w = face.width(line, block.size);
            let lx = match align {
                Align::Left => x,
                Align::Center => x + (width - w) / 2.0,
                Align::Right => x + width - w,
            };
            self.text(lx, top + i as f32 * lh + face.ascent * block.size, line, block.style, block.size, c);
        }
        block.height()
    }

    fn image(&mut self, id: &XObjectId, x: f32, top: f32, w: f32, h: f32) {
        self.ops.push(Op::UseXobject {
            id: id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(x)),
                translate_y: Some(Pt(self.page_h - top - h)),
                scale_x: Some(w),
                scale_y: Some(h),
                no_auto_scale: true,
                ..Default::default()
            },
        });
    }

    /// Runs `draw` only to learn how tall it is, leaving nothing on the page.
    fn measure(&mut self, draw: impl FnOnce(&mut Self) -> f32) -> f32 {
        let mark = self.ops.len();
        let h = draw(self);
        self.ops.truncate(mark);
        h
    }
}

/// Lays out one poster page and returns its drawing operations.
pub(crate) fn page_ops(poster: &Poster, res: &PageResources<'_>) -> Result<Vec<Op>, PosterError> {
    let settings = poster.settings();
    let (w, h) = settings.paper.size_pt();
    // Every measure follows from the paper: a margin of 5% of the width keeps clear of the
    // unprintable edge of office printers on both Letter and A4.
    let m = (w * 0.05).round();
    let cw = w - 2.0 * m;
    let mut c = Canvas { ops: Vec::with_capacity(400), page_h: h, res };
    let lang = settings.language;

    // Header band.
    let sexes: Vec<_> = poster.children().iter().map(PosterChild::sex).collect();
    let header = words::header(lang, poster.case_type(), &sexes, poster.age_progressed());
    let band_h = (h * 0.105).round();
    c.rect(m, m, cw, band_h, RED);
    draw_header(&mut c, m, m, cw, band_h, header.kicker.as_deref(), &header.title);

    // Footer and contact block, from the bottom up.
    let footer_size = 9.0;
    let footer_face = &faces().regular;
    let footer_h = footer_face.line_height(footer_size);
    let footer_top = h - m - footer_h;
    draw_footer(&mut c, poster, m, footer_top, cw, footer_size);
    let contact_h = (h * 0.16).round();
    let contact_top = footer_top - 8.0 - contact_h;
    draw_contact(&mut c, poster, m, contact_top, cw, contact_h)?;

    let body_top = m + band_h + 12.0;
    let body_bottom = contact_top - 12.0;
    let mark = c.ops.len();
    let used = match poster.children() {
        [child] => single_child(&mut c, lang, poster, child, m, body_top, cw, body_bottom),
        children => several_children(&mut c, lang, poster, children, m, body_top, cw, body_bottom),
    };
    // A short case leaves room over: the body moves down to sit midway between the header and
    // the contact block instead of leaving a gap above the contact block.
    let body_h = body_bottom - body_top;
    let spare = body_h - used;
    if spare < -0.5 {
        // The longest inputs can need more than the page: the body is scaled down about its
        // top centre until it fits, which keeps every word (slightly smaller) instead of
        // running into the contact block.
        let k = body_h / used;
        let (cx, ty) = (m + cw / 2.0, h - body_top);
        c.ops.insert(mark, Op::SaveGraphicsState);
        let matrix = CurTransMat::Raw([k, 0.0, 0.0, k, (1.0 - k) * cx, (1.0 - k) * ty]);
        c.ops.insert(mark + 1, Op::SetTransformationMatrix { matrix });
        c.ops.push(Op::RestoreGraphicsState);
    } else if spare > 4.0 {
        let shift = (spare / 2.0).min(48.0);
        c.ops.insert(mark, Op::SaveGraphicsState);
        c.ops.insert(mark + 1, Op::SetTransformationMatrix { matrix: CurTransMat::Translate(Pt(0.0), Pt(-shift)) });
        c.ops.push(Op::RestoreGraphicsState);
    }
    Ok(c.ops)
}

fn draw_header(c: &mut Canvas<'_>, x: f32, top: f32, w: f32, band_h: f32, kicker: Option<&str>, title: &str) {
    let bold = &faces().bold;
    let pad = band_h * 0.16;
    let inner_w = w - 2.0 * pad;
    match kicker {
        None => {
            let b = fit(title, Style::Bold, inner_w, band_h * 0.62, 18.0, 1);
            let cap = bold.cap_height * b.size;
            let baseline = top + (band_h + cap) / 2.0;
            let line = &b.lines[0];
            let lx = x + (w - bold.width(line, b.size)) / 2.0;
            c.text(lx, baseline, line, Style::Bold, b.size, WHITE);
        }
        Some(kicker) => {
            let k = fit(kicker, Style::Bold, inner_w, band_h * 0.17, 8.0, 1);
            let b = fit(title, Style::Bold, inner_w, band_h * 0.46, 16.0, 1);
            let gap = band_h * 0.1;
            let total = bold.cap_height * (k.size + b.size) + gap;
            let k_base = top + (band_h - total) / 2.0 + bold.cap_height * k.size;
            let t_base = k_base + gap + bold.cap_height * b.size;
            let kx = x + (w - bold.width(&k.lines[0], k.size)) / 2.0;
            c.text(kx, k_base, &k.lines[0], Style::Bold, k.size, WHITE);
            let tx = x + (w - bold.width(&b.lines[0], b.size)) / 2.0;
            c.text(tx, t_base, &b.lines[0], Style::Bold, b.size, WHITE);
        }
    }
}

fn draw_footer(c: &mut Canvas<'_>, poster: &Poster, x: f32, top: f32, w: f32, size: f32) {
    let lang = poster.settings().language;
    let numbers: Vec<&str> = poster.children().iter().map(PosterChild::case_number).collect();
    let mut dedup = numbers.clone();
    dedup.dedup();
    let left = format!("{} {}", words::label(lang, Label::Case), dedup.join(" · "));
    let right = words::printed_on(lang, poster.settings().printed_on);
    let rb = fit(&right, Style::Regular, w * 0.4, size, 6.0, 1);
    let right_w = faces().regular.width(&rb.lines[0], rb.size);
    let lb = fit(&printable(&left), Style::Regular, w - right_w - 12.0, size, 6.0, 1);
    c.block(x, top, w, &lb, GREY, Align::Left);
    c.block(x, top, w, &rb, GREY, Align::Right);
}

fn draw_contact(c: &mut Canvas<'_>, poster: &Poster, x: f32, top: f32, w: f32, h: f32) -> Result<(), PosterError> {
    let lang = poster.settings().language;
    let cw = words::contact_words(lang);
    c.rect(x, top, w, h, PANEL);
    c.rect(x, top, w, 4.0, RED);

    // The QR code, with its quiet zone on white, at the right.
    let pad = (h * 0.09).round();
    let caption_size = 7.5;
    let caption_h = faces().regular.line_height(caption_size);
    let q = h - 4.0 - 2.0 * pad - caption_h + 4.0;
    let qx = x + w - pad - q;
    let qtop = top + 4.0 + pad - 2.0;
    let url = poster.public_url();
    let qr = qr_runs(&url).map_err(|reason| PosterError::QrCode { url: url.clone(), reason })?;
    c.rect(qx, qtop, q, q, WHITE);
    let module = q / (qr.width + 8) as f32;
    let origin = 4.0 * module;
    c.fill(INK);
    for &(row, col, len) in &qr.runs {
        // Each run overlaps its neighbours by a hair so that no seam shows between modules.
        let rect = Rect {
            x: Pt(qx + origin + col as f32 * module),
            y: Pt(c.page_h - (qtop + origin + (row + 1) as f32 * module) - 0.05),
            width: Pt(len as f32 * module + 0.05),
            height: Pt(module + 0.1),
            mode: Some(PaintMode::Fill),
            winding_order: None,
        };
        c.ops.push(Op::DrawRectangle { rectangle: rect });
    }
    let cap = fit(cw.scan, Style::Regular, q + pad, caption_size, 5.5, 1);
    c.block(qx - pad / 2.0, qtop + q + 1.0, q + pad, &cap, GREY, Align::Center);

    // The words, centred in the space left of the QR code.
    let tx = x + pad;
    let tw = qx - pad - tx;
    let contact = poster.contact();
    let blocks = [
        (fit(cw.heading, Style::Bold, tw, 13.0, 7.0, 1), RED, 2.0),
        (fit(cw.hotline_name, Style::Regular, tw, 11.0, 6.5, 1), INK, 0.0),
        (fit(cw.hotline_number, Style::Bold, tw, 21.0, 10.0, 1), INK, 5.0),
        (fit_one_line_first(&printable(&contact.agency), Style::Bold, tw, 14.0, 10.0, 7.0, 2, 3), INK, 0.0),
        (fit(&printable(&contact.phone), Style::Bold, tw, 21.0, 10.0, 1), INK, 0.0),
    ];
    let total: f32 = blocks.iter().map(|(b, _, gap)| b.height() + gap).sum::<f32>() + 7.0;
    let avail = h - 4.0;
    let mut y = top + 4.0 + ((avail - total) / 2.0).max(2.0);
    for (i, (b, col, gap)) in blocks.iter().enumerate() {
        if i == 3 {
            // A hairline between the national hotline and the local agency.
            c.rect(tx + tw * 0.3, y, tw * 0.4, 0.6, RULE);
            y += 7.0;
        }
        y += c.block(tx, y, tw, b, *col, Align::Center) + gap;
    }
    Ok(())
}

/// The description rows of a child, in print order, skipping what the case does not record.
fn detail_rows(lang: Language, poster: &Poster, child: &PosterChild) -> Vec<(Label, String)> {
    let s = poster.settings();
    let mut rows = Vec::new();
    if let Some(dob) = child.date_of_birth {
        rows.push((Label::Dob, words::date_words(lang, dob)));
    }
    rows.push((Label::MissingSince, words::date_words(lang, child.missing_date)));
    if let Some((years, estimated)) = child.age_on(s.printed_on) {
        rows.push((Label::AgeNow, words::age_now(lang, years, estimated)));
    }
    rows.push((Label::Sex, words::sex_words(lang, child.sex).to_string()));
    if let Some(race) = words::race_words(lang, child.race, child.hispanic_latino) {
        rows.push((Label::Race, race));
    }
    if let Some(height) = child.height {
        rows.push((Label::Height, words::height_words(s.units, height)));
    }
    if let Some(weight) = child.weight {
        rows.push((Label::Weight, words::weight_words(s.units, weight)));
    }
    if let Some(hair) = child.hair {
        rows.push((Label::Hair, words::hair_words(lang, hair).to_string()));
    }
    if let Some(eyes) = child.eyes {
        rows.push((Label::Eyes, words::eye_words(lang, eyes).to_string()));
    }
    rows
}

fn companion_text(c: &PosterCompanion) -> String {
    let mut s = c.name.clone();
    if !c.relationship.is_empty() {
        s = if s.is_empty() { c.relationship.clone() } else { format!("{s} ({})", c.relationship) };
    }
    if !c.description.is_empty() {
        s = format!("{s} — {}", c.description);
    }
    s
}

fn vehicle_text(lang: Language, v: &PosterVehicle) -> String {
    let mut parts: Vec<String> = Vec::new();
    let name = [v.year.map(|y| y.to_string()).unwrap_or_default(), v.make.clone(), v.model.clone(), v.style.clone()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !name.is_empty() {
        parts.push(name);
    }
    if !v.color.is_empty() {
        parts.push(v.color.clone());
    }
    if !v.plate.is_empty() {
        let state = if v.plate_state.is_empty() { String::new() } else { format!(" ({})", v.plate_state) };
        parts.push(format!("{} {}{state}", words::plate_word(lang), v.plate));
    }
    parts.join(", ")
}

/// Sizes of a label-and-value table.
#[derive(Clone, Copy)]
struct TableStyle {
    label: f32,
    value: f32,
    value_min: f32,
    value_lines: usize,
    row_gap: f32,
}

/// Draws rows of "LABEL  value" in `width`, labels in a column as wide as the widest label (at
/// most 45% of the width; longer labels wrap), values wrapping beside them. Returns the height.
fn table(c: &mut Canvas<'_>, lang: Language, rows: &[(Label, String)], x: f32, top: f32, width: f32, st: TableStyle) -> f32 {
    let bold = &faces().bold;
    let label_w = rows
        .iter()
        .map(|(l, _)| bold.width(&words::label(lang, *l).to_uppercase(), st.label))
        .fold(0.0f32, f32::max)
        .min(width * 0.45);
    let gap = st.value * 0.5;
    let value_x = x + label_w + gap;
    let value_w = width - label_w - gap;
    let mut y = top;
    let value_face = &faces().regular;
    for (label, value) in rows {
        let lb = fit(&words::label(lang, *label).to_uppercase(), Style::Bold, label_w, st.label, st.label * 0.8, 2);
        let text = printable(value);
        let vb = fit_one_line_first(&text, Style::Regular, value_w, st.value, st.value * 0.8, st.value_min, st.value_lines, st.value_lines);
        // A place is never cut: when it does not fit beside its label, the label goes above it
        // and the place takes the whole width, as many lines as it needs.
        let overflows = *label == Label::MissingFrom && vb.lines.last().is_some_and(|l| l.ends_with('…') && !text.ends_with('…'));
        if overflows {
            let lb = fit(&words::label(lang, *label).to_uppercase(), Style::Bold, width, st.label, st.label * 0.8, 1);
            y += c.block(x, y, width, &lb, GREY, Align::Left) + 1.0;
            let vb = fit_one_line_first(&text, Style::Regular, width, st.value, st.value * 0.8, st.value_min, st.value_lines, 12);
            y += c.block(x, y, width, &vb, INK, Align::Left) + st.row_gap;
            continue;
        }
        // Label and value share the first baseline.
        let base = value_face.ascent * vb.size;
        let label_top = y + base - bold.ascent * lb.size;
        let lh = c.block(x, label_top, label_w, &lb, GREY, Align::Left) + (label_top - y);
        let vh = c.block(value_x, y, value_w, &vb, INK, Align::Left);
        y += lh.max(vh) + st.row_gap;
    }
    y - top
}

/// The circumstances in whatever room is left, at the largest size from 12 to 9.5 points at
/// which they fit, cut at a word with an ellipsis if they do not fit even at the smallest.
fn circumstances(text: &str, width: f32, room: f32, max: f32) -> Option<Block> {
    let text = printable(text);
    if text.trim().is_empty() {
        return None;
    }
    let face = &faces().regular;
    let mut size = max;
    loop {
        let lines_room = (room / face.line_height(size)).floor() as usize;
        let lines = crate::fonts::wrap(face, &text, size, width);
        if lines.len() <= lines_room {
            return Some(Block { size, lines, style: Style::Regular });
        }
        if size <= 9.5 {
            if lines_room == 0 {
                return None;
            }
            return Some(Block { size, lines: crate::fonts::cut(face, lines, size, width, lines_room), style: Style::Regular });
        }
        size = (size - 0.5).max(9.5);
    }
}

/// Companion and vehicle rows shared by every child on the poster, without repeats, at most two
/// of each, alternating (companion, vehicle, companion, vehicle) so that when room runs short
/// the first of each kind is the last to go.
fn extra_rows(lang: Language, children: &[PosterChild]) -> Vec<(Label, String)> {
    let mut companions: Vec<String> = Vec::new();
    let mut vehicles: Vec<String> = Vec::new();
    for child in children {
        for text in child.companions.iter().map(companion_text) {
            if !text.is_empty() && !companions.contains(&text) {
                companions.push(text);
            }
        }
        for text in child.vehicles.iter().map(|v| vehicle_text(lang, v)) {
            if !text.is_empty() && !vehicles.contains(&text) {
                vehicles.push(text);
            }
        }
    }
    let mut rows = Vec::new();
    for i in 0..2 {
        if let Some(t) = companions.get(i) {
            rows.push((Label::Companion, t.clone()));
        }
        if let Some(t) = vehicles.get(i) {
            rows.push((Label::Vehicle, t.clone()));
        }
    }
    rows
}

/// How much room `beneath` would like: every companion and vehicle row and up to four lines of
/// circumstances.
fn beneath_need(c: &mut Canvas<'_>, lang: Language, children: &[PosterChild], w: f32) -> f32 {
    let extras = extra_rows(lang, children);
    let extras_h = if extras.is_empty() { 0.0 } else { c.measure(|c| table(c, lang, &extras, 0.0, 0.0, w, BENEATH)) + 6.0 };
    let face = &faces().regular;
    let text = printable(&children[0].circumstances);
    let lines = if text.trim().is_empty() { 0 } else { crate::fonts::wrap(face, &text, 11.0, w).len().min(4) };
    extras_h + lines as f32 * face.line_height(11.0) + 12.0
}

const BENEATH: TableStyle = TableStyle { label: 8.5, value: 11.0, value_min: 8.0, value_lines: 2, row_gap: 2.5 };

/// Draws a photo fitted inside the box (x, top, w, h), centred, on a thin frame.
fn photo(c: &mut Canvas<'_>, id: &XObjectId, p: &PosterPhoto, x: f32, top: f32, w: f32, h: f32) {
    let (pw, ph) = if p.aspect() > w / h { (w, w / p.aspect()) } else { (h * p.aspect(), h) };
    let px = x + (w - pw) / 2.0;
    let py = top + (h - ph) / 2.0;
    c.rect(px - 1.0, py - 1.0, pw + 2.0, ph + 2.0, RULE);
    c.image(id, px, py, pw, ph);
}

fn caption(c: &mut Canvas<'_>, lang: Language, p: &PosterPhoto, x: f32, top: f32, w: f32, size: f32) -> f32 {
    caption_lines(c, lang, p, x, top, w, size, 1)
}

#[allow(clippy::too_many_arguments)]
fn caption_lines(c: &mut Canvas<'_>, lang: Language, p: &PosterPhoto, x: f32, top: f32, w: f32, size: f32, lines: usize) -> f32 {
    let age = match p.kind() {
        PhotoKind::AgeProgressed { to_age } => Some(to_age),
        PhotoKind::Child => None,
    };
    let text = words::photo_caption(lang, p.taken_on(), age);
    let b = fit(&text, Style::Regular, w, size, size * 0.75, lines);
    c.block(x, top, w, &b, GREY, Align::Center)
}

/// One child. With one photo, the photo fills the left of the page and the name and description
/// stand beside it; with two or three, the photos run across the page above the name and a
/// two-column description. Circumstances, companions and vehicles follow underneath.
#[allow(clippy::too_many_arguments)]
fn single_child(c: &mut Canvas<'_>, lang: Language, poster: &Poster, child: &PosterChild, x: f32, top: f32, w: f32, bottom: f32) -> f32 {
    let used = if child.photos.len() == 1 {
        hero(c, lang, poster, child, x, top, w, bottom)
    } else {
        photos_across(c, lang, poster, child, x, top, w, bottom)
    };
    let below = top + used + 12.0;
    below + beneath(c, lang, std::slice::from_ref(child), x, below, w, bottom) - top
}

fn nickname_block(lang: Language, child: &PosterChild, width: f32) -> Option<Block> {
    (!child.nicknames.is_empty()).then(|| {
        let text = format!("{}: {}", words::label(lang, Label::AlsoKnownAs), child.nicknames);
        fit(&printable(&text), Style::Regular, width, 11.5, 8.0, 2)
    })
}

/// One photo, large, on the left; the name and the description on the right. Returns the height.
#[allow(clippy::too_many_arguments)]
fn hero(c: &mut Canvas<'_>, lang: Language, poster: &Poster, child: &PosterChild, x: f32, top: f32, w: f32, bottom: f32) -> f32 {
    let gap = 18.0;
    let left_w = (w * 0.47).round();
    let right_w = w - left_w - gap;
    let caption_size = 10.0;
    let caption_h = faces().regular.line_height(caption_size) + 3.0;
    let p = &child.photos[0];
    // The photo may take up to 62% of the body: it is what people recognise.
    let max_h = (bottom - top) * 0.62 - caption_h;
    let pw = (max_h * p.aspect()).min(left_w);
    let ph = pw / p.aspect();
    let px = x + (left_w - pw) / 2.0;
    let ids = c.res.photos[0].clone();
    photo(c, &ids[0], p, px, top, pw, ph);
    caption(c, lang, p, x, top + ph + 3.0, left_w, caption_size);

    let rx = x + left_w + gap;
    let mut rows = detail_rows(lang, poster, child);
    rows.push((Label::MissingFrom, child.place()));
    let name = fit_one_line_first(&printable(&child.full_name()), Style::Bold, right_w, 30.0, 21.0, 11.0, 3, 8);
    let mut y = top - 2.0;
    y += c.block(rx, y, right_w, &name, INK, Align::Left);
    if let Some(nick) = nickname_block(lang, child, right_w) {
        y += c.block(rx, y, right_w, &nick, GREY, Align::Left);
    }
    y += 10.0;
    c.rect(rx, y - 5.0, right_w, 0.8, RED);
    y += 4.0;
    let st = TableStyle { label: 9.0, value: 13.5, value_min: 8.5, value_lines: 3, row_gap: 4.0 };
    y += table(c, lang, &rows, rx, y, right_w, st);
    (ph + caption_h).max(y - top)
}

/// Two or three photos across the page, then the name and the description in two columns.
/// Returns the height.
#[allow(clippy::too_many_arguments)]
fn photos_across(c: &mut Canvas<'_>, lang: Language, poster: &Poster, child: &PosterChild, x: f32, top: f32, w: f32, bottom: f32) -> f32 {
    let body_h = bottom - top;
    let name = fit_one_line_first(&printable(&child.full_name()), Style::Bold, w, 34.0, 22.0, 12.0, 2, 6);
    let nick = nickname_block(lang, child, w);
    let rows = detail_rows(lang, poster, child);
    // Dates, age, sex and race on the left; the body description on the right.
    let (left, right) = rows.split_at(rows.len().div_ceil(2));
    let place = vec![(Label::MissingFrom, child.place())];
    let col_gap = 18.0;
    let col_w = (w - col_gap) / 2.0;
    let st = TableStyle { label: 9.0, value: 13.5, value_min: 8.5, value_lines: 2, row_gap: 3.0 };
    let st_place = TableStyle { value: 14.0, value_lines: 3, ..st };
    let tables_h = c.measure(|c| {
        let lh = table(c, lang, left, x, 0.0, col_w, st);
        let rh = table(c, lang, right, x + col_w + col_gap, 0.0, col_w, st);
        lh.max(rh) + table(c, lang, &place, x, 0.0, w, st_place)
    });
    let name_h = name.height() + nick.as_ref().map_or(0.0, Block::height);
    let caption_size = 10.0;
    let caption_h = faces().regular.line_height(caption_size) + 2.0;
    // The photos take what the words leave, keeping room beneath for a few lines of
    // circumstances: never less than 30% of the body, never more than half.
    let beneath_min = beneath_need(c, lang, std::slice::from_ref(child), w);
    let room = body_h - name_h - tables_h - caption_h - 20.0 - beneath_min;
    let photo_h = room.clamp(body_h * 0.30, body_h * 0.5);

    let ids = c.res.photos[0].clone();
    let mut y = top;
    y += photo_row(c, lang, child, &ids, x, y, w, photo_h, caption_size) + 10.0;
    y += c.block(x, y, w, &name, INK, Align::Center);
    if let Some(nick) = &nick {
        y += c.block(x, y, w, nick, GREY, Align::Center);
    }
    y += 10.0;
    let lh = table(c, lang, left, x, y, col_w, st);
    let rh = table(c, lang, right, x + col_w + col_gap, y, col_w, st);
    y += lh.max(rh);
    y += table(c, lang, &place, x, y, w, st_place);
    y - top
}

/// The circumstances, then companions and vehicles, in the room between `top` and `bottom`;
/// returns the height used. Companions and vehicles come first in the budget (they are what a
/// passer-by can act on), keeping two lines for the circumstances; beyond the first companion
/// and the first vehicle, rows that do not fit are left out, never squeezed. The circumstances take the rest, cut at a word with an ellipsis.
fn beneath(c: &mut Canvas<'_>, lang: Language, children: &[PosterChild], x: f32, top: f32, w: f32, bottom: f32) -> f32 {
    let text = &children[0].circumstances;
    let has_text = !text.trim().is_empty();
    let st = BENEATH;
    let line = faces().regular.line_height(10.0);
    let rows: Vec<((Label, String), f32)> = extra_rows(lang, children)
        .into_iter()
        .map(|row| {
            let h = c.measure(|c| table(c, lang, std::slice::from_ref(&row), x, 0.0, w, st));
            (row, h)
        })
        .collect();
    // The first companion and the first vehicle are always printed, and so are three lines of
    // circumstances; if the page is too full for them, the whole body is scaled to fit.
    let first_of_kind = |i: usize| i < 2 && (i == 0 || rows[0].0 .0 != rows[i].0 .0);
    let forced: f32 = rows.iter().enumerate().filter(|(i, _)| first_of_kind(*i)).map(|(_, (_, h))| h).sum();
    let room = (bottom - top).max(forced + if has_text { 3.0 * line + 6.0 } else { 0.0 });
    let budget = if has_text { room - 3.0 * line - 6.0 } else { room };
    let mut extras = Vec::new();
    let mut extras_h = 0.0;
    for (i, (row, h)) in rows.iter().enumerate() {
        if extras_h + h > budget && !first_of_kind(i) {
            break;
        }
        extras_h += h;
        extras.push(row.clone());
    }
    let mut y = top;
    let text_room = room - extras_h - if extras.is_empty() { 0.0 } else { 6.0 };
    if let Some(block) = circumstances(text, w, text_room, 12.0) {
        y += c.block(x, y, w, &block, INK, Align::Left) + 6.0;
    }
    if !extras.is_empty() {
        y += table(c, lang, &extras, x, y, w, st);
    }
    y - top
}

/// One to three photos of one child side by side (a main photo with two smaller ones stacked
/// beside it when there are three), centred, captions below. Returns the height used.
#[allow(clippy::too_many_arguments)]
fn photo_row(c: &mut Canvas<'_>, lang: Language, child: &PosterChild, ids: &[XObjectId], x: f32, top: f32, w: f32, h: f32, caption_size: f32) -> f32 {
    let caption_h = faces().regular.line_height(caption_size) + 2.0;
    let gap = 12.0;
    let photos = &child.photos;
    match photos.len() {
        0 => 0.0,
        1 => {
            let p = &photos[0];
            let pw = (h * p.aspect()).min(w);
            let ph = pw / p.aspect();
            let px = x + (w - pw) / 2.0;
            photo(c, &ids[0], p, px, top, pw, ph);
            caption(c, lang, p, px - 20.0, top + ph + 3.0, pw + 40.0, caption_size);
            ph + caption_h
        }
        2 => {
            let ph = h.min((w - gap) / (photos[0].aspect() + photos[1].aspect()));
            let widths = [ph * photos[0].aspect(), ph * photos[1].aspect()];
            let mut px = x + (w - widths[0] - widths[1] - gap) / 2.0;
            for i in 0..2 {
                photo(c, &ids[i], &photos[i], px, top, widths[i], ph);
                caption(c, lang, &photos[i], px, top + ph + 3.0, widths[i], caption_size);
                px += widths[i] + gap;
            }
            ph + caption_h
        }
        _ => {
            // Main photo of height `mh`; beside it two photos of height `sh` each with a caption,
            // stacked to the same total height.
            let side_aspect = photos[1].aspect().max(photos[2].aspect());
            let side_caption_h = 2.0 * faces().regular.line_height(caption_size * 0.9) + 2.0;
            let mut mh = h;
            let side_h = |mh: f32| ((mh + caption_h - gap - 2.0 * side_caption_h) / 2.0).max(10.0);
            let total_w = |mh: f32| mh * photos[0].aspect() + gap + side_h(mh) * side_aspect;
            if total_w(mh) > w {
                mh *= w / total_w(mh);
            }
            let sh = side_h(mh);
            let mw = mh * photos[0].aspect();
            let sw = sh * side_aspect;
            let left = x + (w - mw - gap - sw) / 2.0;
            photo(c, &ids[0], &photos[0], left, top, mw, mh);
            caption(c, lang, &photos[0], left, top + mh + 3.0, mw, caption_size);
            let sx = left + mw + gap;
            for (k, i) in [1usize, 2].into_iter().enumerate() {
                let st = top + k as f32 * (sh + side_caption_h + gap);
                photo(c, &ids[i], &photos[i], sx, st, sw, sh);
                caption_lines(c, lang, &photos[i], sx - 8.0, st + sh + 3.0, sw + 16.0, caption_size * 0.9, 2);
            }
            mh + caption_h
        }
    }
}

/// Two to four children: a card each (two or three side by side, four in a two-by-two grid),
/// then the companions, vehicles and the lead child's circumstances beneath.
#[allow(clippy::too_many_arguments)]
fn several_children(c: &mut Canvas<'_>, lang: Language, poster: &Poster, children: &[PosterChild], x: f32, top: f32, w: f32, bottom: f32) -> f32 {
    let n = children.len();
    let gap = 14.0;
    let body_h = bottom - top;
    // Room kept beneath the cards for circumstances, companions and vehicles.
    let beneath_min = beneath_need(c, lang, children, w);
    let grid = n == 4;
    let cols = if grid { 2 } else { n };
    let rows_n = if grid { 2 } else { 1 };
    let cell_w = (w - gap * (cols - 1) as f32) / cols as f32;
    let (name_max, value, label) = match n {
        2 => (24.0, 12.0, 8.5),
        3 => (18.0, 10.5, 7.5),
        _ => (17.0, 10.0, 7.5),
    };
    let st = TableStyle { label, value, value_min: 7.0, value_lines: 3, row_gap: 2.0 };
    let caption_size = 9.0;
    let caption_h = faces().regular.line_height(caption_size) + 2.0;
    let rows_of = |child: &PosterChild| {
        let mut rows = detail_rows(lang, poster, child);
        rows.push((Label::MissingFrom, child.place()));
        rows.push((Label::Case, child.case_number.clone()));
        rows
    };
    let name_block = |child: &PosterChild| fit_one_line_first(&printable(&child.full_name()), Style::Bold, cell_w, name_max, name_max * 0.7, 8.0, 2, 10);
    let row_room = (body_h - beneath_min - gap * (rows_n - 1) as f32) / rows_n as f32;

    // In the grid the photo sits left of the description; in columns it sits on top.
    let photo_w_grid = cell_w * 0.42;
    let details_w = if grid { cell_w - photo_w_grid - 10.0 } else { cell_w };
    let mut texts_h: f32 = 0.0;
    for child in children {
        let rows = rows_of(child);
        let th = c.measure(|c| table(c, lang, &rows, 0.0, 0.0, details_w, st));
        texts_h = texts_h.max(if grid { th } else { th + name_block(child).height() + 8.0 });
    }
    let names_h = if grid { children.iter().map(|ch| name_block(ch).height()).fold(0.0, f32::max) + 6.0 } else { 0.0 };
    let max_aspect = children.iter().map(|ch| ch.photos[0].aspect()).fold(0.1, f32::max);
    let photo_h = if grid {
        ((row_room - names_h - caption_h).min(photo_w_grid / max_aspect)).max(40.0)
    } else {
        ((row_room - texts_h - caption_h - 8.0).min(cell_w / max_aspect)).max(60.0)
    };
    let cell_h = if grid { names_h + (photo_h + caption_h).max(texts_h) } else { photo_h + caption_h + 8.0 + texts_h };

    let ids = c.res.photos.clone();
    for (i, child) in children.iter().enumerate() {
        let (col, row) = (i % cols, i / cols);
        let cx = x + col as f32 * (cell_w + gap);
        let cy = top + row as f32 * (cell_h + gap);
        let p = &child.photos[0];
        let rows = rows_of(child);
        let name = name_block(child);
        if grid {
            let nh = c.block(cx, cy, cell_w, &name, INK, Align::Left);
            let py = cy + nh.max(names_h - 6.0) + 6.0;
            let pw = (photo_h * p.aspect()).min(photo_w_grid);
            let ph = pw / p.aspect();
            photo(c, &ids[i][0], p, cx + (photo_w_grid - pw) / 2.0, py, pw, ph);
            caption(c, lang, p, cx, py + ph + 3.0, photo_w_grid, caption_size);
            table(c, lang, &rows, cx + photo_w_grid + 10.0, py, details_w, st);
        } else {
            let pw = (photo_h * p.aspect()).min(cell_w);
            let ph = pw / p.aspect();
            photo(c, &ids[i][0], p, cx + (cell_w - pw) / 2.0, cy + (photo_h - ph), pw, ph);
            caption(c, lang, p, cx, cy + photo_h + 3.0, cell_w, caption_size);
            let mut y = cy + photo_h + caption_h + 8.0;
            y += c.block(cx, y, cell_w, &name, INK, Align::Center) + 8.0;
            table(c, lang, &rows, cx, y, cell_w, st);
        }
    }
    let y = top + rows_n as f32 * cell_h + (rows_n - 1) as f32 * gap + 12.0;
    y + beneath(c, lang, children, x, y, w, bottom) - top
}
