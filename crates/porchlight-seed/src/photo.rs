//! Generated photos: a stylised head-and-shoulders portrait drawn procedurally, in the skin
//! tone, hair and eye colours of the case, encoded as PNG. They stand in for photos in tests,
//! demos and benchmarks; they are deliberately not faces of anyone.

use crate::rng::Rng;
use porchlight_domain::{EyeColor, HairColor, SkinTone};

pub const PHOTO_WIDTH: u32 = 240;
pub const PHOTO_HEIGHT: u32 = 300;

/// What a portrait shows.
#[derive(Debug, Clone, Copy)]
pub struct Portrait {
    pub skin: Option<SkinTone>,
    pub hair: Option<HairColor>,
    pub eyes: Option<EyeColor>,
    /// Age in the picture; younger children get rounder heads and narrower shoulders.
    pub age: u32,
    pub long_hair: bool,
    /// Age-progressed images are drawn a little desaturated, as a forensic artist's rendering.
    pub age_progressed: bool,
}

type Rgb = [f32; 3];

fn rgb(r: u8, g: u8, b: u8) -> Rgb {
    [f32::from(r), f32::from(g), f32::from(b)]
}

fn skin_rgb(s: Option<SkinTone>) -> Rgb {
    use SkinTone::*;
    match s {
        Some(Albino) => rgb(250, 240, 235),
        Some(Black) => rgb(60, 40, 30),
        Some(DarkBrown) => rgb(92, 58, 38),
        Some(Dark) => rgb(110, 72, 50),
        Some(Fair) => rgb(245, 222, 200),
        Some(LightBrown) => rgb(176, 128, 92),
        Some(Light) => rgb(236, 200, 170),
        Some(MediumBrown) => rgb(141, 95, 63),
        Some(Medium) => rgb(208, 160, 120),
        Some(Olive) => rgb(196, 160, 112),
        Some(Ruddy) => rgb(230, 170, 150),
        Some(Sallow) => rgb(220, 200, 150),
        Some(Yellow) => rgb(230, 200, 150),
        None => rgb(200, 160, 130),
    }
}

fn hair_rgb(h: Option<HairColor>) -> Option<Rgb> {
    use HairColor::*;
    Some(match h? {
        Black => rgb(30, 26, 24),
        Blond => rgb(222, 190, 120),
        Brown => rgb(100, 66, 40),
        Gray => rgb(160, 160, 160),
        Red => rgb(160, 60, 30),
        Sandy => rgb(190, 150, 100),
        White => rgb(235, 235, 230),
        Blue => rgb(50, 90, 200),
        Green => rgb(60, 150, 80),
        Orange => rgb(230, 120, 40),
        Purple => rgb(120, 60, 160),
        Pink => rgb(230, 120, 170),
        Unknown => return None,
    })
}

fn eye_rgb(e: Option<EyeColor>) -> Rgb {
    use EyeColor::*;
    match e {
        Some(Black) => rgb(20, 20, 20),
        Some(Blue) => rgb(70, 120, 190),
        Some(Brown) => rgb(90, 55, 30),
        Some(Gray) => rgb(130, 140, 150),
        Some(Green) => rgb(70, 130, 80),
        Some(Hazel) => rgb(140, 110, 60),
        Some(Maroon) => rgb(110, 40, 40),
        Some(Multicolored) => rgb(100, 110, 80),
        Some(Pink) => rgb(200, 120, 140),
        Some(Unknown) | None => rgb(80, 70, 60),
    }
}

/// A soft colour from a hue in [0, 1): low saturation, high value.
fn pastel(hue: f32, sat: f32, val: f32) -> Rgb {
    let h = hue * 6.0;
    let i = h.floor();
    let f = h - i;
    let p = val * (1.0 - sat);
    let q = val * (1.0 - sat * f);
    let t = val * (1.0 - sat * (1.0 - f));
    let (r, g, b) = match i as i32 % 6 {
        0 => (val, t, p),
        1 => (q, val, p),
        2 => (p, val, t),
        3 => (p, q, val),
        4 => (t, p, val),
        _ => (val, p, q),
    };
    [r * 255.0, g * 255.0, b * 255.0]
}

fn inside(x: f32, y: f32, cx: f32, cy: f32, rx: f32, ry: f32) -> bool {
    let dx = (x - cx) / rx;
    let dy = (y - cy) / ry;
    dx * dx + dy * dy <= 1.0
}

fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/// The layout of one picture, varied a little per photo so that photos of one child differ.
struct Scene {
    top: Rgb,
    bottom: Rgb,
    stripes: bool,
    clothing: Rgb,
    skin: Rgb,
    hair: Option<Rgb>,
    eyes: Rgb,
    long_hair: bool,
    head: (f32, f32, f32, f32),
    shoulders: (f32, f32, f32, f32),
    neck_half: f32,
}

impl Scene {
    fn new(p: &Portrait, rng: &mut Rng) -> Scene {
        let hue = rng.unit() as f32;
        let w = PHOTO_WIDTH as f32;
        let h = PHOTO_HEIGHT as f32;
        let age = p.age.min(20) as f32;
        // Younger heads are rounder and larger relative to the shoulders.
        let head_rx = 56.0 - age * 0.35 + rng.unit() as f32 * 4.0;
        let head_ry = 60.0 + age * 0.2 + rng.unit() as f32 * 4.0;
        let cx = w / 2.0 + (rng.unit() as f32 - 0.5) * 16.0;
        let cy = h * 0.42 + (rng.unit() as f32 - 0.5) * 14.0;
        let shoulder_rx = 70.0 + age * 2.0 + rng.unit() as f32 * 8.0;
        Scene {
            top: pastel(hue, 0.18, 0.96),
            bottom: pastel((hue + 0.08) % 1.0, 0.28, 0.86),
            stripes: rng.chance(0.5),
            clothing: pastel(rng.unit() as f32, 0.45 + rng.unit() as f32 * 0.3, 0.35 + rng.unit() as f32 * 0.5),
            skin: skin_rgb(p.skin),
            hair: hair_rgb(p.hair),
            eyes: eye_rgb(p.eyes),
            long_hair: p.long_hair,
            head: (cx, cy, head_rx, head_ry),
            shoulders: (w / 2.0, h + 30.0, shoulder_rx, 110.0),
            neck_half: 16.0 + age * 0.5,
        }
    }

    fn colour_at(&self, x: f32, y: f32) -> Rgb {
        let (hx, hy, hrx, hry) = self.head;
        let in_head = inside(x, y, hx, hy, hrx, hry);
        // Eyes sit on the head's horizontal midline.
        if in_head {
            for side in [-1.0, 1.0] {
                let ex = hx + side * hrx * 0.38;
                let ey = hy + hry * 0.05;
                if inside(x, y, ex, ey, 3.2, 3.2) {
                    return self.eyes;
                }
                if inside(x, y, ex, ey, 7.0, 4.2) {
                    return rgb(245, 245, 240);
                }
            }
            // A short, soft line for the mouth.
            if inside(x, y, hx, hy + hry * 0.52, hrx * 0.22, 2.0) {
                return mix(self.skin, rgb(120, 50, 50), 0.45);
            }
        }
        if let Some(hair) = self.hair {
            let in_cap = inside(x, y, hx, hy - hry * 0.12, hrx + 7.0, hry - 2.0);
            let hairline = hy - hry * 0.42;
            if in_cap && (y < hairline || (!in_head && y < hy + hry * 0.2)) {
                return hair;
            }
        }
        if in_head {
            // A slight shade towards the edge gives the head some volume.
            let dx = (x - hx) / hrx;
            return mix(self.skin, [0.0, 0.0, 0.0], (dx * dx) * 0.12);
        }
        if let Some(hair) = self.hair {
            if self.long_hair && inside(x, y, hx, hy + hry * 0.45, hrx + 12.0, hry + 30.0) && y > hy {
                return hair;
            }
        }
        let (sx, sy, srx, sry) = self.shoulders;
        if inside(x, y, sx, sy, srx, sry) {
            return self.clothing;
        }
        if (x - hx).abs() < self.neck_half && y > hy && y < sy - sry + 12.0 {
            return mix(self.skin, [0.0, 0.0, 0.0], 0.12);
        }
        let t = y / PHOTO_HEIGHT as f32;
        let mut c = mix(self.top, self.bottom, t);
        if self.stripes && ((x + y) / 14.0) as i32 % 2 == 0 {
            c = mix(c, [255.0, 255.0, 255.0], 0.06);
        }
        c
    }
}

/// Draws the portrait and returns PNG bytes of `PHOTO_WIDTH` × `PHOTO_HEIGHT` RGB pixels.
pub fn render(p: &Portrait, rng: &mut Rng) -> Vec<u8> {
    let scene = Scene::new(p, rng);
    let (w, h) = (PHOTO_WIDTH as usize, PHOTO_HEIGHT as usize);
    let mut pixels = Vec::with_capacity(w * h * 3);
    const OFFSETS: [(f32, f32); 4] = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)];
    for y in 0..h {
        for x in 0..w {
            // Four samples per pixel smooth the edges of the shapes.
            let mut sum = [0.0f32; 3];
            for (ox, oy) in OFFSETS {
                let c = scene.colour_at(x as f32 + ox, y as f32 + oy);
                sum = [sum[0] + c[0], sum[1] + c[1], sum[2] + c[2]];
            }
            let mut c = [sum[0] / 4.0, sum[1] / 4.0, sum[2] / 4.0];
            if p.age_progressed {
                let grey = (c[0] + c[1] + c[2]) / 3.0;
                c = mix(c, [grey, grey, grey], 0.45);
            }
            pixels.extend(c.iter().map(|v| v.round().clamp(0.0, 255.0) as u8));
        }
    }
    let mut out = Vec::with_capacity(32 * 1024);
    let mut encoder = png::Encoder::new(&mut out, PHOTO_WIDTH, PHOTO_HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Writing to a Vec cannot fail, and the header matches the buffer by construction.
    let mut writer = encoder.write_header().expect("PNG header into memory");
    writer.write_image_data(&pixels).expect("PNG pixels into memory");
    writer.finish().expect("PNG end into memory");
    out
}
