//! What the column form (`porchlight_sync::columns`) does to one pull page: its size as rows and
//! as columns, compressed by zstd at a few levels, and the time to lay it out (the service's
//! part) and to read it back (the device's part) against reading the rows. It checks that the
//! page read back from the columns equals the page read from the rows, and asserts nothing else.
//!
//! A page to try it on, the first page of a first sync of 1,000 generated cases:
//!
//! eval "$(bash scripts/pg.sh start)"
//! SYNC_TIMING_SAVE_PAGE=/tmp/page.json cargo run --release -p porchlight-server --example sync_timing -- 1000
//! cargo run --release -p porchlight-sync --example columns -- /tmp/page.json

/// The allocator of the app and the service, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use porchlight_sync::columns::{from_columns, to_columns};
use porchlight_sync::PullPage;
use std::time::{Duration, Instant};

/// Runs `work` this many times and reports the median, as one run on a shared machine is noisy.
const RUNS: usize = 21;

fn median<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let out = std::hint::black_box(work());
        times.push(started.elapsed());
        last = Some(out);
    }
    times.sort();
    (times[RUNS / 2], last.expect("RUNS is not zero"))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: columns PAGE.json (a PullPage as the service sends it; see the top of this file)");
        std::process::exit(2);
    };
    let rows = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (read_rows, page) = median(|| serde_json::from_str::<PullPage>(&rows).expect("a PullPage"));
    let (lay_out, columns) = median(|| to_columns(&rows).expect("a page lays out"));
    let (read_columns, back) = median(|| from_columns(&columns).expect("the columns read back"));
    assert_eq!(back, page, "the page read from the columns differs from the page read from the rows");

    println!("{path}: {} changes", page.changes.len());
    println!("  rows    {:>10} bytes, read in {}", rows.len(), ms(read_rows));
    println!("  columns {:>10} bytes, laid out in {}, read in {}", columns.len(), ms(lay_out), ms(read_columns));
    for level in [1, 3, 6] {
        let (row_time, row_packed) = median(|| zstd::bulk::compress(rows.as_bytes(), level).expect("zstd"));
        let (column_time, column_packed) = median(|| zstd::bulk::compress(columns.as_bytes(), level).expect("zstd"));
        println!(
            "  zstd level {level}: rows {} bytes in {}, columns {} bytes in {} ({:.0}% of the rows' bytes)",
            row_packed.len(),
            ms(row_time),
            column_packed.len(),
            ms(column_time),
            100.0 * column_packed.len() as f64 / row_packed.len() as f64
        );
    }
}
