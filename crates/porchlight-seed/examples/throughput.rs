//! Measures how fast the generator makes cases, with and without photos:
//! `cargo run --release -p porchlight-seed --example throughput`.

use std::time::Instant;

fn main() {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let start = Instant::now();
    let n = porchlight_seed::cases(1, 100_000, today).filter(|c| !c.fields.child.given_name.is_empty()).count();
    let fields = start.elapsed();
    println!("{n} cases (fields only) in {:.3} s: {:.0} cases/s", fields.as_secs_f64(), n as f64 / fields.as_secs_f64());
    let start = Instant::now();
    let photos: usize = porchlight_seed::cases_with_photos(1, 1_000, today).map(|c| c.photos.len()).sum();
    let took = start.elapsed();
    println!("1000 cases with {photos} photos in {:.3} s: {:.1} ms per photo", took.as_secs_f64(), took.as_secs_f64() * 1000.0 / photos as f64);
}
