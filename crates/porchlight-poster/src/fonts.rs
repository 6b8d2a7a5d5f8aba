//! The two typefaces a poster uses (DejaVu Sans and DejaVu Sans Bold, shipped in
//! `assets/fonts/` with their licence), parsed once per process, and the text arithmetic on
//! them: measuring, wrapping, shrinking to fit, and cutting at a word with an ellipsis. Where
//! text goes on the page is `layout`'s business.

use printpdf::ParsedFont;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

static REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Regular,
    Bold,
}

pub(crate) struct Face {
    pub(crate) font: ParsedFont,
    units_per_em: f32,
    /// Ascent and descent as fractions of the font size.
    pub(crate) ascent: f32,
    pub(crate) descent: f32,
    /// The height of capital letters as a fraction of the font size.
    pub(crate) cap_height: f32,
    /// Advances of the first 0x250 code points (Latin and Latin Extended), in em; the rest are
    /// looked up in the font.
    advances: Vec<f32>,
}

pub(crate) struct Faces {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

impl Faces {
    pub(crate) fn get(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }
}

/// Parsing a face takes about a millisecond; every poster after the first reuses it.
pub(crate) fn faces() -> &'static Faces {
    static FACES: OnceLock<Faces> = OnceLock::new();
    FACES.get_or_init(|| Faces { regular: Face::parse(REGULAR_TTF), bold: Face::parse(BOLD_TTF) })
}

const FAST_ADVANCES: u32 = 0x250;

impl Face {
    fn parse(ttf: &'static [u8]) -> Face {
        // The fonts are compiled in and known good; failing here is a build defect.
        let font = ParsedFont::from_bytes(ttf, 0, &mut Vec::new()).expect("the bundled DejaVu font parses");
        let m = font.get_font_metrics();
        let upem = f32::from(m.units_per_em);
        let mut face = Face {
            units_per_em: upem,
            ascent: m.ascent / upem,
            descent: m.descent / upem,
            cap_height: m.cap_height.filter(|c| *c > 0.0).map_or(0.73, |c| c / upem),
            advances: Vec::new(),
            font,
        };
        face.advances = (0..FAST_ADVANCES).map(|cp| char::from_u32(cp).map_or(0.0, |c| face.lookup_advance(c))).collect();
        face
    }

    fn lookup_advance(&self, c: char) -> f32 {
        let gid = self.font.lookup_glyph_index(c as u32).unwrap_or(0);
        f32::from(self.font.get_horizontal_advance(gid)) / self.units_per_em
    }

    pub(crate) fn covers(&self, c: char) -> bool {
        self.font.lookup_glyph_index(c as u32).is_some_and(|g| g != 0)
    }

    /// The width of `text` at `size`, in points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| {
                let cp = c as u32;
                if cp < FAST_ADVANCES { self.advances[cp as usize] } else { self.lookup_advance(c) }
            })
            .sum::<f32>()
            * size
    }

    /// The distance between baselines.
    pub(crate) fn line_height(&self, size: f32) -> f32 {
        (self.ascent + self.descent) * size * 1.06
    }
}

/// Text as the fonts can show it: composed (NFC, so "ệ" is one glyph, not a letter and two
/// floating marks), one line per paragraph, with any character the font lacks replaced by its
/// base letter, or dropped if there is none.
pub(crate) fn printable(text: &str) -> String {
    let face = &faces().regular;
    let mut out = String::with_capacity(text.len());
    for c in text.nfc() {
        if c == '\n' {
            out.push('\n');
        } else if c.is_whitespace() || c.is_control() {
            out.push(' ');
        } else if face.covers(c) {
            out.push(c);
        } else {
            out.extend(c.to_string().nfd().filter(|b| face.covers(*b)).take(1));
        }
    }
    out
}

/// Text set at one size in one or more lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub size: f32,
    pub lines: Vec<String>,
    pub style: Style,
}

impl Block {
    pub(crate) fn height(&self) -> f32 {
        faces().get(self.style).line_height(self.size) * self.lines.len() as f32
    }
}

/// Greedy word wrap. A word wider than the line is broken between letters.
pub(crate) fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in paragraph.split_whitespace() {
            let word_w = face.width(word, size);
            if !line.is_empty() && line_w + space + word_w <= width {
                line.push(' ');
                line.push_str(word);
                line_w += space + word_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_w <= width {
                line.push_str(word);
                line_w = word_w;
            } else {
                // Break the long word into pieces that fit: after a hyphen when one fits (so
                // "PL-2611-" and "AB12-CD34" stay readable), else between letters.
                line_w = 0.0;
                for piece in split_after_hyphens(word) {
                    let piece_w = face.width(piece, size);
                    if line_w + piece_w <= width {
                        line.push_str(piece);
                        line_w += piece_w;
                        continue;
                    }
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    for c in piece.chars() {
                        let cw = face.width(c.encode_utf8(&mut [0; 4]), size);
                        if line_w + cw > width && !line.is_empty() {
                            lines.push(std::mem::take(&mut line));
                            line_w = 0.0;
                        }
                        line.push(c);
                        line_w += cw;
                    }
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

fn split_after_hyphens(word: &str) -> impl Iterator<Item = &str> {
    word.split_inclusive('-')
}

/// Keeps the first `max_lines` lines; if text was left out, the last kept line ends at a word
/// with an ellipsis, and still fits the width.
pub(crate) fn cut(face: &Face, mut lines: Vec<String>, size: f32, width: f32, max_lines: usize) -> Vec<String> {
    if lines.len() <= max_lines {
        return lines;
    }
    lines.truncate(max_lines);
    let Some(last) = lines.pop() else { return lines };
    let mut words: Vec<&str> = last.split(' ').collect();
    loop {
        let candidate = format!("{}…", words.join(" ").trim_end_matches([',', ';', ':', '.', ' ', '-', '—']));
        if face.width(&candidate, size) <= width || words.len() <= 1 {
            if face.width(&candidate, size) <= width {
                lines.push(candidate);
            } else {
                // A single word too long for the line: cut between letters.
                let mut s = String::new();
                for c in words.first().copied().unwrap_or("").chars() {
                    if face.width(&format!("{s}{c}…"), size) > width {
                        break;
                    }
                    s.push(c);
                }
                lines.push(format!("{s}…"));
            }
            return lines;
        }
        words.pop();
    }
}

/// Sets `text` as large as it can go between `min` and `max` in at most `max_lines` lines of
/// `width`; if it does not fit even at `min`, the last line is cut with an ellipsis.
pub(crate) fn fit(text: &str, style: Style, width: f32, max: f32, min: f32, max_lines: usize) -> Block {
    let face = faces().get(style);
    let mut size = max;
    loop {
        let lines = wrap(face, text, size, width);
        if lines.len() <= max_lines {
            return Block { size, lines, style };
        }
        if size <= min {
            return Block { size, lines: cut(face, lines, size, width, max_lines), style };
        }
        size = (size * 0.94).max(min);
    }
}

/// Like `fit`, but keeps the text on one line by shrinking it down to `one_line_min` before
/// allowing more lines (a name reads better small on one line than broken in two); then in up
/// to `lines` lines down to `min`; and only text that still does not fit runs on to
/// `max_lines` lines at `min`, cut after that.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_one_line_first(text: &str, style: Style, width: f32, max: f32, one_line_min: f32, min: f32, lines: usize, max_lines: usize) -> Block {
    let face = faces().get(style);
    let single = fit(text, style, width, max, one_line_min, 1);
    if wrap(face, text, single.size, width).len() <= 1 {
        return single;
    }
    let few = fit(text, style, width, one_line_min, min, lines);
    if wrap(face, text, few.size, width).len() <= lines {
        return few;
    }
    fit(text, style, width, min, min, max_lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_cover_spanish_vietnamese_and_latin_transliterations() {
        let face = &faces().regular;
        for name in ["José Núñez", "Nguyễn Thị Minh Khai", "Trần Đức Thắng", "Abd al-Raḥmān ibn ʿUmar", "Zoë Ørsted-Łukasiewicz"] {
            let shown = printable(name);
            assert_eq!(shown, name, "{name} lost characters");
            assert!(shown.chars().all(|c| c == ' ' || face.covers(c)), "{name}");
        }
        assert_eq!(printable("Nguye\u{0302}\u{0303}n"), "Nguyễn", "decomposed input is composed");
    }

    #[test]
    fn wrapping_keeps_every_line_inside_the_width() {
        let face = &faces().regular;
        let text = "The quick brown fox jumps over the lazy dog near the Riverside bus station at dusk.";
        let lines = wrap(face, text, 12.0, 120.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| face.width(l, 12.0) <= 120.0), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let long = wrap(face, "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 12.0, 60.0);
        assert!(long.len() > 1 && long.iter().all(|l| face.width(l, 12.0) <= 60.0));
    }

    #[test]
    fn text_that_cannot_fit_ends_at_a_word_with_an_ellipsis() {
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen";
        let block = fit(text, Style::Regular, 100.0, 12.0, 12.0, 2);
        assert_eq!(block.lines.len(), 2);
        let last = block.lines.last().unwrap();
        assert!(last.ends_with('…'), "{last}");
        let before = last.trim_end_matches('…');
        assert!(text.contains(&format!("{before} ")), "cut inside a word: {last}");
        assert!(faces().regular.width(last, 12.0) <= 100.0);
    }

    #[test]
    fn a_long_line_shrinks_before_it_wraps() {
        let short = fit_one_line_first("Maya Okafor", Style::Bold, 300.0, 34.0, 20.0, 12.0, 2, 2);
        assert_eq!((short.size, short.lines.len()), (34.0, 1));
        let long = fit_one_line_first("Maximiliano Alejandro de la Santísima Trinidad", Style::Bold, 300.0, 34.0, 20.0, 12.0, 2, 2);
        assert_eq!(long.lines.len(), 2);
        let longish = fit_one_line_first("Maximiliano Alejandro Ruiz", Style::Bold, 300.0, 34.0, 14.0, 12.0, 2, 2);
        assert_eq!(longish.lines.len(), 1);
        assert!(longish.size < 34.0);
    }
}
