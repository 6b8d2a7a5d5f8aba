//! Photos as a poster prints them: only photos with consent to publish become a `PosterPhoto`,
//! and each is turned once into a small JPEG of print size, so rendering never decodes an image.
//! Choosing which photos a case has, and storing them, belongs to the workspace, not here.

use chrono::NaiveDate;
use image::{ImageDecoder, ImageReader};
use std::io::Cursor;
use std::sync::Arc;

/// The longest side of a photo as embedded. A main photo prints about 3.5 inches tall, so this is
/// about 170 dots per inch: sharp on paper, and small enough that a poster stays near 100 KB.
pub const MAX_PHOTO_PX: u32 = 600;

/// Larger images are refused rather than decoded: no phone photo comes near this.
const MAX_SOURCE_PX: u32 = 12_000;

const JPEG_QUALITY: u8 = 85;

/// What a photo shows, as far as the poster's caption and header care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoKind {
    /// A photograph of the child.
    Child,
    /// An age-progressed image of the child at the given age.
    AgeProgressed { to_age: u8 },
}

/// A photo of the child as the workspace holds it. Companion and vehicle photos are not printed.
#[derive(Debug, Clone, Copy)]
pub struct PhotoInput<'a> {
    /// The JPEG or PNG file.
    pub bytes: &'a [u8],
    pub kind: PhotoKind,
    pub taken_on: Option<NaiveDate>,
    /// The family's consent to publish this photo. Photos without it are never printed.
    pub consent_to_publish: bool,
}

/// A consented photo, ready to embed: a baseline JPEG no larger than `MAX_PHOTO_PX`.
#[derive(Debug, Clone, PartialEq)]
pub struct PosterPhoto {
    pub(crate) jpeg: Arc<[u8]>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) gray: bool,
    kind: PhotoKind,
    taken_on: Option<NaiveDate>,
}

impl PosterPhoto {
    /// Prepares a photo for printing. Returns `Ok(None)` for a photo without consent to publish,
    /// so that no code path can turn one into a `PosterPhoto`; the error is the reason the file
    /// could not be read.
    pub fn prepare(input: &PhotoInput<'_>) -> Result<Option<PosterPhoto>, String> {
        if !input.consent_to_publish {
            return Ok(None);
        }
        let (jpeg, width, height, gray) = print_jpeg(input.bytes)?;
        Ok(Some(PosterPhoto { jpeg: jpeg.into(), width, height, gray, kind: input.kind, taken_on: input.taken_on }))
    }

    pub fn kind(&self) -> PhotoKind {
        self.kind
    }

    pub fn taken_on(&self) -> Option<NaiveDate> {
        self.taken_on
    }

    pub fn pixel_size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Width over height.
    pub(crate) fn aspect(&self) -> f32 {
        self.width as f32 / self.height.max(1) as f32
    }
}

/// Turns a JPEG or PNG into an embeddable JPEG: (bytes, width, height, grayscale).
fn print_jpeg(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32, bool), String> {
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    let is_png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
    if !is_jpeg && !is_png {
        return Err("it is not a JPEG or PNG image".into());
    }
    if is_jpeg {
        // A JPEG already at print size, in RGB or gray and upright, goes in as it is: the PDF
        // viewer decodes it, and rendering stays in the millisecond range.
        let frame = jpeg_frame(bytes).ok_or("the JPEG file is damaged")?;
        if frame.width > MAX_SOURCE_PX || frame.height > MAX_SOURCE_PX {
            return Err(format!("it is {}×{} pixels; use an image under {MAX_SOURCE_PX} pixels a side", frame.width, frame.height));
        }
        let fits = frame.width <= MAX_PHOTO_PX && frame.height <= MAX_PHOTO_PX;
        if fits && frame.precision == 8 && matches!(frame.components, 1 | 3) && frame.has_scan && ends_whole(bytes) && upright(bytes) {
            return Ok((bytes.to_vec(), frame.width, frame.height, frame.components == 1));
        }
    }
    reencode(bytes)
}

/// A JPEG cut short in transfer has no end-of-image marker; it is decoded instead of passed on.
fn ends_whole(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn upright(bytes: &[u8]) -> bool {
    match image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes)) {
        Ok(mut decoder) => matches!(decoder.orientation(), Ok(image::metadata::Orientation::NoTransforms)),
        Err(_) => false,
    }
}

fn reencode(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32, bool), String> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_PX);
    limits.max_image_height = Some(MAX_SOURCE_PX);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| format!("it is damaged or not an image ({e})"))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(|e| format!("it is damaged ({e})"))?;
    img.apply_orientation(orientation);
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Err("it has no pixels".into());
    }
    if w.max(h) > MAX_PHOTO_PX {
        let scale = MAX_PHOTO_PX as f32 / w.max(h) as f32;
        let (nw, nh) = (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1));
        // Area averaging: as sharp as a triangle filter when shrinking, and several times faster.
        img = img.thumbnail_exact(nw, nh);
    }
    let gray = !img.color().has_color();
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    if gray {
        let luma = flatten_luma(&img);
        encoder.encode_image(&luma).map_err(|e| e.to_string())?;
        Ok((out, luma.width(), luma.height(), true))
    } else {
        let rgb = flatten_rgb(&img);
        encoder.encode_image(&rgb).map_err(|e| e.to_string())?;
        Ok((out, rgb.width(), rgb.height(), false))
    }
}

/// Transparent pixels print as paper, not as whatever colour hides under the alpha channel.
fn flatten_rgb(img: &image::DynamicImage) -> image::RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u16::from(p[3]);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])])
    })
}

fn flatten_luma(img: &image::DynamicImage) -> image::GrayImage {
    if !img.color().has_alpha() {
        return img.to_luma8();
    }
    let la = img.to_luma_alpha8();
    image::GrayImage::from_fn(la.width(), la.height(), |x, y| {
        let p = la.get_pixel(x, y).0;
        let a = u16::from(p[1]);
        image::Luma([((u16::from(p[0]) * a + 255 * (255 - a)) / 255) as u8])
    })
}

struct JpegFrame {
    width: u32,
    height: u32,
    components: u8,
    precision: u8,
    has_scan: bool,
}

/// Reads the frame header of a JPEG by walking its markers, without decoding the image.
fn jpeg_frame(bytes: &[u8]) -> Option<JpegFrame> {
    let mut i = 2;
    let mut frame: Option<JpegFrame> = None;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if len < 2 || i + 2 + len > bytes.len() {
            return None;
        }
        let seg = &bytes[i + 4..i + 2 + len];
        match marker {
            // Start of frame; C4 (Huffman tables), C8 and CC (arithmetic-coding parameters) are not frames.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if seg.len() < 6 {
                    return None;
                }
                frame = Some(JpegFrame {
                    precision: seg[0],
                    height: u32::from(u16::from_be_bytes([seg[1], seg[2]])),
                    width: u32::from(u16::from_be_bytes([seg[3], seg[4]])),
                    components: seg[5],
                    has_scan: false,
                });
            }
            0xDA => {
                let mut f = frame?;
                f.has_scan = f.width > 0 && f.height > 0;
                return Some(f);
            }
            _ => {}
        }
        i += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img).unwrap();
        out
    }

    fn input(bytes: &[u8], consent: bool) -> PhotoInput<'_> {
        PhotoInput { bytes, kind: PhotoKind::Child, taken_on: None, consent_to_publish: consent }
    }

    #[test]
    fn a_photo_without_consent_never_becomes_a_poster_photo() {
        let bytes = jpeg(40, 50);
        assert_eq!(PosterPhoto::prepare(&input(&bytes, false)).unwrap(), None);
        assert!(PosterPhoto::prepare(&input(&bytes, true)).unwrap().is_some());
    }

    #[test]
    fn a_small_jpeg_is_embedded_unchanged_and_a_large_one_is_scaled_down() {
        let small = jpeg(300, 400);
        let photo = PosterPhoto::prepare(&input(&small, true)).unwrap().unwrap();
        assert_eq!(&*photo.jpeg, &small[..]);
        assert_eq!(photo.pixel_size(), (300, 400));

        let large = jpeg(1500, 2000);
        let photo = PosterPhoto::prepare(&input(&large, true)).unwrap().unwrap();
        assert_eq!(photo.pixel_size(), (450, 600));
        assert!(photo.jpeg.len() < large.len());
    }

    #[test]
    fn a_png_with_transparency_is_flattened_onto_white() {
        let img = image::RgbaImage::from_pixel(20, 10, image::Rgba([0, 0, 0, 0]));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let photo = PosterPhoto::prepare(&input(&png, true)).unwrap().unwrap();
        let back = image::load_from_memory(&photo.jpeg).unwrap().to_rgb8();
        assert!(back.pixels().all(|p| p.0.iter().all(|&c| c > 240)), "transparent pixels should print white");
    }

    #[test]
    fn damaged_and_foreign_files_are_refused_with_a_reason() {
        assert!(PosterPhoto::prepare(&input(b"GIF89a......", true)).unwrap_err().contains("not a JPEG or PNG"));
        let mut cut = jpeg(100, 100);
        cut.truncate(30);
        assert!(PosterPhoto::prepare(&input(&cut, true)).is_err());
        assert!(PosterPhoto::prepare(&input(b"\x89PNG\r\n\x1a\nrubbish", true)).is_err());
    }
}
