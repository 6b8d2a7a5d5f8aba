//! How fast posters render: `cargo bench -p porchlight-poster`. Reports milliseconds per poster
//! with a photo on one core (target ≤ 5 ms), the cost of preparing a large photo, and posters
//! per second for 1,000 posters in bulk on every core (target ≥ 200/s).

#[path = "../tests/support/mod.rs"]
mod support;

use porchlight_poster::{render, render_each, render_many, Language, Paper, Poster, RenderOptions};
use std::time::{Duration, Instant};
use support::*;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    ms(sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}

fn main() {
    let opts = RenderOptions::default();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    // One poster with a photo, rendered again and again on this thread.
    let pic = portrait_jpeg(1, 480, 600);
    let poster = Poster::from_case(&short_case(), &[photo(&pic)], settings(Language::English, Paper::Letter)).unwrap();
    let first = Instant::now();
    let bytes = render(&poster, &opts).unwrap();
    let first = first.elapsed();
    for _ in 0..20 {
        render(&poster, &opts).unwrap();
    }
    let mut times: Vec<Duration> = (0..300)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(render(&poster, &opts).unwrap());
            t.elapsed()
        })
        .collect();
    times.sort();
    let mean = ms(times.iter().sum::<Duration>()) / times.len() as f64;
    println!(
        "one poster with a photo, one core: mean {mean:.2} ms, p50 {:.2} ms, p95 {:.2} ms (target ≤ 5 ms); {} KB; first render (parses fonts) {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        bytes.len() / 1024,
        ms(first)
    );

    let long = Poster::from_case(&long_case(), &[photo(&pic)], settings(Language::Spanish, Paper::A4)).unwrap();
    let t = Instant::now();
    for _ in 0..100 {
        std::hint::black_box(render(&long, &opts).unwrap());
    }
    println!("longest case (Spanish, A4), one core: mean {:.2} ms", ms(t.elapsed()) / 100.0);

    let unsubset = RenderOptions { subset_fonts: false, ..opts.clone() };
    let t = Instant::now();
    let full = render(&poster, &unsubset).unwrap();
    for _ in 0..9 {
        render(&poster, &unsubset).unwrap();
    }
    println!("without font subsetting: mean {:.1} ms, {} KB", ms(t.elapsed()) / 10.0, full.len() / 1024);

    // A camera-sized photo is decoded, scaled to print size and re-encoded once, when the
    // poster is built; this is that cost, plus the render.
    let camera = portrait_jpeg(2, 1536, 2048);
    let t = Instant::now();
    for _ in 0..20 {
        let p = Poster::from_case(&short_case(), &[photo(&camera)], settings(Language::English, Paper::Letter)).unwrap();
        std::hint::black_box(render(&p, &opts).unwrap());
    }
    println!("building from a 1536×2048 JPEG and rendering, one core: mean {:.1} ms", ms(t.elapsed()) / 20.0);

    // 1,000 different posters (each its own photo), one PDF each, on every core.
    let photos: Vec<Vec<u8>> = (0..1000).map(|i| portrait_jpeg(100 + i, 480, 600)).collect();
    let cases = [short_case(), long_case()];
    let posters: Vec<Poster> = photos
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let lang = if i % 2 == 0 { Language::English } else { Language::Spanish };
            let paper = if i % 3 == 0 { Paper::A4 } else { Paper::Letter };
            Poster::from_case(&cases[usize::from(i % 10 == 0)], &[photo(p)], settings(lang, paper)).unwrap()
        })
        .collect();
    let t = Instant::now();
    let results = render_each(&posters, &opts);
    let took = t.elapsed();
    assert!(results.iter().all(Result::is_ok));
    let total: usize = results.iter().map(|r| r.as_ref().map_or(0, Vec::len)).sum();
    println!(
        "bulk, 1,000 posters, one PDF each, {threads} threads: {:.2} s, {:.0} posters/s (target ≥ 200/s), {} MB in all",
        took.as_secs_f64(),
        1000.0 / took.as_secs_f64(),
        total / 1_000_000
    );
    let t = Instant::now();
    let one = render_many(&posters, &opts).unwrap();
    let took = t.elapsed();
    println!("bulk, 1,000 posters in one PDF, one thread: {:.2} s, {:.0} posters/s, {} MB", took.as_secs_f64(), 1000.0 / took.as_secs_f64(), one.len() / 1_000_000);
}
