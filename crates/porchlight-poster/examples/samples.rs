//! Writes sample posters from synthetic cases into a folder, to look at:
//! `cargo run -p porchlight-poster --example samples -- /tmp/posters`.

#[path = "../tests/support/mod.rs"]
mod support;

use porchlight_poster::{render, Language, Paper, PhotoInput, PhotoKind, Poster, PosterChild, RenderOptions};
use support::*;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "posters".into());
    std::fs::create_dir_all(&dir).expect("create the output folder");
    let opts = RenderOptions::default();
    let main_photo = portrait_jpeg(1, 480, 600);
    let second = portrait_jpeg(2, 600, 600);
    let progressed = portrait_png(3, 450, 600);
    let three = [
        photo(&main_photo),
        PhotoInput { bytes: &second, kind: PhotoKind::Child, taken_on: Some(date(2025, 6, 1)), consent_to_publish: true },
        PhotoInput { bytes: &progressed, kind: PhotoKind::AgeProgressed { to_age: 17 }, taken_on: None, consent_to_publish: true },
    ];
    let write = |name: &str, poster: &Poster| {
        let path = format!("{dir}/{name}.pdf");
        std::fs::write(&path, render(poster, &opts).expect("render")).expect("write");
        println!("{path}");
    };
    for (lang, paper) in [(Language::English, Paper::Letter), (Language::Spanish, Paper::Letter), (Language::English, Paper::A4), (Language::Spanish, Paper::A4)] {
        let tag = format!("{lang}-{paper}");
        write(&format!("short-{tag}"), &Poster::from_case(&short_case(), &[photo(&main_photo)], settings(lang, paper)).unwrap());
        write(&format!("short3-{tag}"), &Poster::from_case(&short_case(), &three, settings(lang, paper)).unwrap());
        write(&format!("long-{tag}"), &Poster::from_case(&long_case(), &three, settings(lang, paper)).unwrap());
        write(&format!("long1-{tag}"), &Poster::from_case(&long_case(), &three[..1], settings(lang, paper)).unwrap());
        for n in 2..=4 {
            let photos: Vec<Vec<u8>> = (0..n).map(|i| portrait_jpeg(10 + i as u32, 480, 600)).collect();
            let children: Vec<PosterChild> =
                siblings(n).iter().zip(&photos).map(|(r, p)| PosterChild::from_case(r, &[photo(p)]).unwrap()).collect();
            write(&format!("siblings{n}-{tag}"), &Poster::new(children, settings(lang, paper)).unwrap());
        }
        let long_children: Vec<PosterChild> = (0..4).map(|_| PosterChild::from_case(&long_case(), &three).unwrap()).collect();
        write(&format!("long4-{tag}"), &Poster::new(long_children, settings(lang, paper)).unwrap());
    }
    let aged = [PhotoInput { bytes: &progressed, kind: PhotoKind::AgeProgressed { to_age: 17 }, taken_on: None, consent_to_publish: true }, photo(&main_photo)];
    write("age-progressed-en-letter", &Poster::from_case(&short_case(), &aged, settings(Language::English, Paper::Letter)).unwrap());
}
