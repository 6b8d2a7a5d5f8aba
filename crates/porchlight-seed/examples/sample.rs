//! Writes a few generated cases as JSON and their photos as PNG files into a folder, to look
//! at: `cargo run -p porchlight-seed --example sample -- OUT_DIR [SEED] [COUNT]`.

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "seed-sample".into()));
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let count = args.next().and_then(|s| s.parse().ok()).unwrap_or(6);
    std::fs::create_dir_all(&out)?;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    for (i, c) in porchlight_seed::cases_with_photos(seed, count, today).enumerate() {
        let json = serde_json::to_string_pretty(&c.fields).expect("fields serialise");
        std::fs::write(out.join(format!("case-{i}.json")), json)?;
        for (j, p) in c.photos.iter().enumerate() {
            std::fs::write(out.join(format!("case-{i}-photo-{j}-{}.png", p.taken_on)), &p.png)?;
        }
    }
    println!("wrote {count} cases to {}", out.display());
    Ok(())
}
