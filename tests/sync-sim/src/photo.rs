//! Small generated photos for the run: a few dozen pixels of seeded colour blocks, encoded as
//! PNG, so every photo is a real image the store decodes and each has its own SHA-256. They
//! picture nothing and nobody.

use crate::rng::Rng;
use sha2::{Digest, Sha256};

/// PNG bytes of a `w` × `h` image of four seeded colour blocks.
pub fn png(rng: &mut Rng, w: u32, h: u32) -> Vec<u8> {
    let colours: Vec<[u8; 3]> = (0..4)
        .map(|_| [rng.below(256) as u8, rng.below(256) as u8, rng.below(256) as u8])
        .collect();
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let block = usize::from(x >= w / 2) + 2 * usize::from(y >= h / 2);
            pixels.extend_from_slice(&colours[block]);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("a PNG header writes to memory");
        writer.write_image_data(&pixels).expect("PNG data writes to memory");
    }
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_png_and_differ_by_seed() {
        let a = png(&mut Rng::new(1), 24, 30);
        let b = png(&mut Rng::new(2), 24, 30);
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_ne!(sha256_hex(&a), sha256_hex(&b));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
