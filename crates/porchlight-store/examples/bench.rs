//! The workspace benchmark of issue 2: fills an encrypted workspace with generated cases and
//! reports create+unlock time, the open time of the full workspace, a page of 100 rows over
//! several sorts and filters, opening one case, and inserts per second. It measures only; it
//! asserts nothing and leaves no file behind.
//!
//! cargo run --release -p porchlight-store --features seed --example bench [-- CASES [FOLDER]]

use chrono::{NaiveDate, TimeZone, Utc};
use porchlight_domain::{CaseId, CaseStatus, CaseType, ListQuery, Moment, SortDir, SortKey};
use porchlight_store::{NewCase, Workspace};
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "Benchmark lanterns 2026!";
const REPEATS: usize = 15;
/// Cases per import call: each call is one transaction.
const CHUNK: usize = 10_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map(|n| n.parse().expect("CASES is a number")).unwrap_or(100_000);
    let folder = match args.next() {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("a scratch folder");
    let path = folder.path().join("bench.porchlight");
    let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();

    println!("Porchlight workspace benchmark: {count} generated cases in {}", path.display());

    let started = Instant::now();
    let cases: Vec<NewCase> = porchlight_seed::cases(2026, count, today).map(|c| NewCase { fields: c.fields, photos: Vec::new() }).collect();
    println!("  (generated the cases in {})", ms(started.elapsed()));

    let started = Instant::now();
    let mut ws = Workspace::create(&path, PASSPHRASE, now).expect("create");
    let create = started.elapsed();
    println!("create + unlock (Argon2id + schema + first open): {}", ms(create));

    let started = Instant::now();
    let cpu_before = cpu_time();
    let mut imported = 0;
    for chunk in cases.chunks(CHUNK) {
        imported += ws.import_cases(chunk, now).expect("import").len();
    }
    let import = started.elapsed();
    println!(
        "import: {imported} cases in {} = {:.0} cases/s (validated, one transaction per {CHUNK})",
        ms(import),
        imported as f64 / import.as_secs_f64()
    );
    // On a shared machine the wall time includes waiting for a core; the thread's own CPU time
    // tells what an idle machine would do.
    if let (Some((cpu0, wait0)), Some((cpu1, wait1))) = (cpu_before, cpu_time()) {
        let cpu = cpu1 - cpu0;
        println!(
            "        on-CPU {} = {:.0} cases/s of CPU time; {} spent waiting for a core",
            ms(cpu),
            imported as f64 / cpu.as_secs_f64(),
            ms(wait1 - wait0)
        );
    }

    let started = Instant::now();
    let singles = 200;
    for case in cases.iter().take(singles) {
        ws.create_case(&case.fields, now).expect("create case");
    }
    let single = started.elapsed();
    println!(
        "single saves: {singles} in {} = {:.0} saves/s (one flushed transaction each)",
        ms(single),
        singles as f64 / single.as_secs_f64()
    );
    drop(ws);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("workspace file: {:.1} MiB", size as f64 / (1024.0 * 1024.0));

    let started = Instant::now();
    let ws = Workspace::open(&path, PASSPHRASE).expect("open");
    let open = started.elapsed();
    let first_page = ws.list_cases(&ListQuery::default()).expect("first page");
    let open_and_page = started.elapsed();
    println!("open existing workspace (Argon2id + key check + schema check): {}", ms(open));
    println!("open + first page of 100: {} ({} cases in the list)", ms(open_and_page), first_page.total);

    let mut queries: Vec<(String, ListQuery)> = Vec::new();
    for sort in [SortKey::Name, SortKey::CaseNumber, SortKey::MissingDate, SortKey::Status, SortKey::State, SortKey::CaseType, SortKey::UpdatedAt] {
        for dir in [SortDir::Asc, SortDir::Desc] {
            queries.push((format!("sort {sort:?} {dir:?}"), ListQuery { sort, dir, ..Default::default() }));
        }
    }
    let total = first_page.total;
    queries.extend([
        ("page in the middle".to_owned(), ListQuery { offset: total / 2, ..Default::default() }),
        ("last page".to_owned(), ListQuery { offset: total.saturating_sub(100), sort: SortKey::Name, ..Default::default() }),
        ("state TX".to_owned(), ListQuery { state: Some("TX".into()), ..Default::default() }),
        ("state WY by name".to_owned(), ListQuery { state: Some("WY".into()), sort: SortKey::Name, dir: SortDir::Asc, ..Default::default() }),
        ("type family abduction".to_owned(), ListQuery { case_type: Some(CaseType::FamilyAbduction), ..Default::default() }),
        ("status intake".to_owned(), ListQuery { status: Some(CaseStatus::Intake), ..Default::default() }),
        ("status active (none)".to_owned(), ListQuery { status: Some(CaseStatus::Active), ..Default::default() }),
        ("type + state".to_owned(), ListQuery { case_type: Some(CaseType::EndangeredRunaway), state: Some("CA".into()), ..Default::default() }),
        ("search \"ma\"".to_owned(), ListQuery { search: Some("ma".into()), ..Default::default() }),
        ("search \"garc\" by name".to_owned(), ListQuery { search: Some("garc".into()), sort: SortKey::Name, ..Default::default() }),
        ("search case number".to_owned(), ListQuery { search: Some(first_page.rows[0].case_number[..9].to_owned()), ..Default::default() }),
        ("with archived".to_owned(), ListQuery { include_archived: true, ..Default::default() }),
    ]);
    println!("\npage of 100 rows ({REPEATS} runs each; the first run of a filter also counts its total):");
    println!("  {:<28} {:>8}  {:>8} {:>8}", "", "first", "p50", "p95");
    let (mut warm, mut cold) = (Vec::new(), Vec::new());
    for (name, query) in &queries {
        let mut times = Vec::new();
        for run in 0..REPEATS {
            let started = Instant::now();
            std::hint::black_box(ws.list_cases(query).expect("page"));
            let took = started.elapsed();
            if run == 0 {
                cold.push(took);
            } else {
                times.push(took);
            }
        }
        times.sort();
        println!("  {name:<28} {:>8}  {:>8} {:>8}", ms(cold[cold.len() - 1]), ms(pct(&times, 50)), ms(pct(&times, 95)));
        warm.extend(times);
    }
    warm.sort();
    cold.sort();
    println!("  all pages: p50 {}  p95 {}  max {}", ms(pct(&warm, 50)), ms(pct(&warm, 95)), ms(*warm.last().unwrap()));
    println!("  first run of each (total counted): p50 {}  p95 {}  max {}", ms(pct(&cold, 50)), ms(pct(&cold, 95)), ms(*cold.last().unwrap()));

    let mut ids: Vec<CaseId> = Vec::new();
    let mut offset = 0;
    while ids.len() < 1000 && offset < total {
        let page = ws.list_cases(&ListQuery { offset, limit: 500, sort: SortKey::Name, ..Default::default() }).expect("page");
        ids.extend(page.rows.iter().step_by(7).map(|r| r.id));
        offset += (total / 4).max(500);
    }
    let mut times = Vec::new();
    for id in &ids {
        let started = Instant::now();
        std::hint::black_box(ws.get_case(*id).expect("case"));
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "\nopen one case ({} cases spread over the list): p50 {}  p95 {}  max {}",
        ids.len(),
        ms(pct(&times, 50)),
        ms(pct(&times, 95)),
        ms(*times.last().unwrap())
    );
    println!("\ntargets: open ≤ 1 s, page ≤ 5 ms, case ≤ 5 ms");
}

/// This thread's time on a CPU and time spent waiting for one, where Linux reports them (to
/// the scheduler's tick, so only for long stretches such as the import).
fn cpu_time() -> Option<(Duration, Duration)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
    Some((Duration::from_nanos(fields.next()??), Duration::from_nanos(fields.next()??)))
}

fn pct(sorted: &[Duration], p: usize) -> Duration {
    sorted[((sorted.len() - 1) * p) / 100]
}

fn ms(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.2} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    }
}
