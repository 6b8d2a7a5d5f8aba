//! The instant-search benchmark of issue 3: builds a workspace of generated cases, each with five
//! notes and two family contacts written through the store's own use cases (so the search index
//! is kept the way the app keeps it), gives 20 of them 50 notes, then measures in a fresh
//! process, as the app would be: search p50/p95 over a fixed set of 200 queries (names, places,
//! common words, two-word phrases, prefixes being typed) and 20 filtered ones, opening a case
//! with 50 notes, and the peak memory of that process. It measures only; it asserts nothing.
//! Every child, note and contact is generated; none is real.
//!
//! cargo run --release -p porchlight-store --features seed --example bench_search [-- CASES [FOLDER]]
//!
//! The workspace is built where writes are cheap (`/dev/shm` when it exists: 700,000 flushed
//! transactions on a disk would take an hour), then copied to FOLDER (default: the temporary
//! folder) and measured there. With FOLDER given, the copy is kept and reused by the next run.

use chrono::{NaiveDate, TimeZone, Utc};
use porchlight_domain::{CaseFields, CaseId, CaseStatus, CaseType, Moment, SearchQuery};
use porchlight_seed::{Casework, CASEWORK_SEED, CONTACTS_PER_CASE};
use porchlight_store::{NewCase, Workspace, SEARCH_WINDOW};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "Benchmark lanterns search 2026!";
const SEED: u64 = 2026;
/// Cases per import call: each call is one transaction.
const CHUNK: usize = 10_000;
const NOTES_PER_CASE: usize = 5;
const BUSY_CASES: usize = 20;
const BUSY_NOTES: usize = 50;
const ROUNDS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--measure") {
        measure(Path::new(&args[1]), args[2].parse().expect("a case count"));
        return;
    }
    let count: usize = args.first().map(|n| n.parse().expect("CASES is a number")).unwrap_or(100_000);
    let (keep, folder) = match args.get(1) {
        Some(dir) => (None, PathBuf::from(dir)),
        None => {
            let temp = tempfile::tempdir().expect("a scratch folder");
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    };
    std::fs::create_dir_all(&folder).expect("the folder");
    let path = folder.join(format!("search-{count}.porchlight"));
    println!("Porchlight search benchmark: {count} generated cases, {NOTES_PER_CASE} notes and {CONTACTS_PER_CASE} contacts each");
    if path.exists() {
        println!("  reusing {}", path.display());
    } else {
        build(&path, count);
    }

    // The measuring process opens the workspace itself, so its memory is what the app would use.
    let status = Command::new(std::env::current_exe().expect("this program"))
        .args(["--measure", &path.display().to_string(), &count.to_string()])
        .status()
        .expect("the measuring process");
    assert!(status.success(), "the measuring process failed");
    drop(keep);
}

/// Fills a workspace in `/dev/shm` (or beside `target` when there is none) and moves it to
/// `target`.
fn build(target: &Path, count: usize) {
    let shm = Path::new("/dev/shm");
    let scratch = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir_in(target.parent().expect("a folder")) }.expect("scratch");
    let path = scratch.path().join("build.porchlight");
    let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
    let today = now.local.date();
    println!("  building in {}", scratch.path().display());

    let started = Instant::now();
    let cases: Vec<CaseFields> = porchlight_seed::cases(SEED, count, today).map(|c| c.fields).collect();
    println!("  generated the cases in {}", ms(started.elapsed()));

    let mut ws = Workspace::create(&path, PASSPHRASE, now).expect("create");
    let started = Instant::now();
    let mut ids: Vec<CaseId> = Vec::with_capacity(count);
    for chunk in cases.chunks(CHUNK) {
        let batch: Vec<NewCase> = chunk.iter().map(|f| NewCase { fields: f.clone(), photos: Vec::new() }).collect();
        ids.extend(ws.import_cases(&batch, now).expect("import"));
    }
    let import = started.elapsed();
    println!("import: {count} cases in {} = {:.0} cases/s (validated, indexed for search, one transaction per {CHUNK})", ms(import), count as f64 / import.as_secs_f64());

    let started = Instant::now();
    // The sync benchmark writes the same casework from the same seed.
    let mut casework = Casework::new(CASEWORK_SEED);
    let mut writes = 0usize;
    for (i, id) in ids.iter().enumerate() {
        let busy = i % (count / BUSY_CASES).max(1) == 0 && i / (count / BUSY_CASES).max(1) < BUSY_CASES;
        let notes = if busy { BUSY_NOTES } else { NOTES_PER_CASE };
        for _ in 0..notes {
            ws.add_note(*id, &casework.note(i, &cases), now).expect("note");
        }
        for contact in casework.contacts(i, &cases) {
            ws.add_contact(*id, &contact, now).expect("contact");
        }
        writes += notes + CONTACTS_PER_CASE;
        if (i + 1) % 20_000 == 0 {
            println!("  … {} cases have their notes and contacts ({:.0} writes/s)", i + 1, writes as f64 / started.elapsed().as_secs_f64());
        }
    }
    let casework = started.elapsed();
    println!(
        "notes and contacts: {writes} single writes in {} = {:.0} writes/s (each its own transaction with audit line and re-index)",
        ms(casework),
        writes as f64 / casework.as_secs_f64()
    );
    let busy: Vec<String> = ids.iter().step_by((count / BUSY_CASES).max(1)).take(BUSY_CASES).map(|id| id.to_string()).collect();
    drop(ws);

    // Workspace, salt and the list of busy cases move to the measuring folder together.
    let started = Instant::now();
    let target_dir = target.parent().expect("a folder");
    let target_name = target.file_name().expect("a file name").to_string_lossy().into_owned();
    for entry in std::fs::read_dir(scratch.path()).expect("the scratch folder") {
        let entry = entry.expect("an entry");
        let name = entry.file_name().to_string_lossy().replacen("build.porchlight", &target_name, 1);
        std::fs::copy(entry.path(), target_dir.join(name)).expect("copy");
    }
    std::fs::write(busy_list(target), busy.join("\n")).expect("the busy list");
    println!("  copied to {} in {}", target.display(), ms(started.elapsed()));
}

fn busy_list(workspace: &Path) -> PathBuf {
    let mut name = workspace.as_os_str().to_owned();
    name.push(".busy");
    PathBuf::from(name)
}

/// Runs in its own process: opens the workspace, searches, opens cases, reports its memory.
fn measure(path: &Path, count: usize) {
    let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
    let today = now.local.date();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("workspace file: {:.0} MiB", size as f64 / (1024.0 * 1024.0));
    let started = Instant::now();
    let mut ws = Workspace::open(path, PASSPHRASE).expect("open");
    println!("open (Argon2id + key check + schema check): {}", ms(started.elapsed()));
    let queries = queries(count, today);
    assert_eq!(queries.len(), 200, "the fixed set has 200 queries");
    let search = |ws: &Workspace, query: &SearchQuery| -> (Timing, usize) {
        let (wall, cpu) = (Instant::now(), thread_cpu());
        let results = ws.search(query, today).expect("search");
        (Timing { wall: wall.elapsed(), cpu: thread_cpu().saturating_sub(cpu) }, results.hits.len())
    };
    let text = |t: &str| SearchQuery { text: t.to_owned(), ..Default::default() };
    // `BENCH_ONLY="the"` times one query 500 times (to profile it) and stops.
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        let mut times: Vec<Timing> = (0..500).map(|_| search(&ws, &text(&only)).0).collect();
        println!("{only:?}: {}", summary(&mut times));
        return;
    }
    let mut first = Vec::new();
    let mut with_hits = 0usize;
    for (_, t) in &queries {
        let (timing, hits) = search(&ws, &text(t));
        first.push(timing);
        with_hits += usize::from(hits > 0);
    }
    let mut all = Vec::new();
    let mut by_kind: Vec<(&str, Vec<Timing>)> = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    for _ in 0..ROUNDS {
        for (kind, t) in &queries {
            let (timing, _) = search(&ws, &text(t));
            all.push(timing);
            slowest.push((timing.cpu, t.clone()));
            match by_kind.iter_mut().find(|(k, _)| k == kind) {
                Some((_, times)) => times.push(timing),
                None => by_kind.push((kind, vec![timing])),
            }
        }
    }
    println!("\nsearch, 200 fixed queries ({with_hits} with hits), 50 results each, {ROUNDS} rounds after one first round;");
    println!("a query matching more than {SEARCH_WINDOW} cases has its newest {SEARCH_WINDOW} scored (fewer for several words);");
    println!("wall-clock time, and in brackets the time on a CPU (the wall clock of an idle machine):");
    println!("  all          {}", summary(&mut all));
    println!("  first round  {}", summary(&mut first));
    for (kind, times) in &mut by_kind {
        println!("  {:<12} {} ({} queries)", kind, summary(times), times.len() / ROUNDS);
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    slowest.dedup_by(|a, b| a.1 == b.1);
    let worst: Vec<String> = slowest.iter().take(5).map(|(d, q)| format!("{q:?} {}", ms(*d))).collect();
    println!("  slowest on a CPU: {}", worst.join(", "));

    for (what, set) in [("words and filters", filtered_queries(count, today)), ("filters alone", filters_alone())] {
        let mut times = Vec::new();
        let mut worst = (Duration::ZERO, 0);
        for _ in 0..=ROUNDS {
            for (i, query) in set.iter().enumerate() {
                let (timing, _) = search(&ws, query);
                times.push(timing);
                worst = worst.max((timing.cpu, i));
            }
        }
        println!("search, {what} ({} queries) {}", set.len(), summary(&mut times));
        println!("  slowest on a CPU: {:?}", set[worst.1]);
    }

    let busy: Vec<CaseId> = std::fs::read_to_string(busy_list(path))
        .expect("the busy list")
        .lines()
        .map(|l| l.parse().expect("a case id"))
        .collect();
    let mut times = Vec::new();
    let mut notes = 0;
    for _ in 0..3 {
        for id in &busy {
            let started = Instant::now();
            let view = ws.open_case(*id, now).expect("open case");
            times.push(started.elapsed());
            notes = view.notes.len();
        }
    }
    times.sort();
    println!(
        "\nopen a case with {notes} notes and 2 contacts ({} cases × 3, each an audited, flushed write): p50 {}  p95 {}  max {}",
        busy.len(),
        ms(pct(&times, 50)),
        ms(pct(&times, 95)),
        ms(*times.last().unwrap())
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| status.lines().find(|l| l.starts_with(name)).map(|l| l[name.len()..].trim().to_owned()).unwrap_or_else(|| "?".into());
    println!("memory of this process: peak RSS (VmHWM) {}, now (VmRSS) {}", field("VmHWM:"), field("VmRSS:"));
    println!("\ntargets: search p95 ≤ 10 ms");
}

/// How long one search took: by the wall clock, and on a CPU (without the time this thread
/// waited for a core, which on a shared machine can be most of it).
#[derive(Debug, Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu: Duration,
}

/// p50, p95, p99 and the maximum, wall clock and (on a CPU).
fn summary(times: &mut [Timing]) -> String {
    let mut wall: Vec<Duration> = times.iter().map(|t| t.wall).collect();
    let mut cpu: Vec<Duration> = times.iter().map(|t| t.cpu).collect();
    wall.sort();
    cpu.sort();
    let both = |p: usize| format!("{} ({})", ms(pct(&wall, p)), ms(pct(&cpu, p)));
    format!("p50 {}  p95 {}  p99 {}  max {} ({})", both(50), both(95), both(99), ms(*wall.last().unwrap()), ms(*cpu.last().unwrap()))
}

/// This thread's time on a CPU, from `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`.
fn thread_cpu() -> Duration {
    #[repr(C)]
    struct Timespec {
        secs: i64,
        nanos: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, out: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { secs: 0, nanos: 0 };
    // SAFETY: `t` is a valid, writable timespec for the duration of the call; the C library
    // std already links provides the function on Linux, where this benchmark runs.
    let ok = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if ok {
        Duration::new(t.secs as u64, t.nanos as u32)
    } else {
        Duration::ZERO
    }
}

/// The fixed 200 queries: names, places, common words, two-word phrases and the first letters
/// of a name as it is being typed, drawn from the generated cases by a fixed stride.
fn queries(count: usize, today: NaiveDate) -> Vec<(&'static str, String)> {
    let case = |k: usize| porchlight_seed::case_fields(SEED, ((k * 7919) % count) as u64, today);
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for k in 0..25 {
        let f = case(k);
        out.push(("full name", format!("{} {}", f.child.given_name, f.child.family_name)));
    }
    for k in 25..45 {
        out.push(("family name", case(k).child.family_name));
    }
    for k in 45..60 {
        out.push(("given name", case(k).child.given_name));
    }
    for k in 60..90 {
        let f = case(k);
        let place = match k % 3 {
            0 => f.event.city,
            1 => format!("{} {}", f.event.city, f.event.state),
            _ => f.event.county,
        };
        out.push(("place", place));
    }
    for word in [
        "the", "school", "mother", "father", "police", "home", "friend", "bus", "called", "seen", "left", "said", "night", "car", "phone",
        "family", "station", "park", "tip", "caller", "was", "and", "with", "near", "store", "street", "shelter", "visit", "grandmother",
        "aunt", "brother", "detective", "flyer", "footage", "morning", "media", "counselor", "missing", "last", "social",
    ] {
        out.push(("common word", word.to_owned()));
    }
    for phrase in [
        "school bus", "mother called", "left home", "the park", "last seen", "group home", "bus station", "no answer", "police report",
        "social media", "foster home", "gas station", "camera footage", "the mother", "called back", "family argument", "truck stop",
        "caller said", "friend from", "the school", "left school", "seen near", "detective called", "flyers posted", "the shelter",
        "her father", "his mother", "the bus", "late night", "no sighting", "voicemail asking", "welfare check", "local news",
        "store manager", "attendance records", "the library", "high school", "skate park", "follow-up interview", "the aunt",
    ] {
        out.push(("two words", phrase.to_owned()));
    }
    for k in 90..120 {
        let f = case(k);
        let name = if k % 2 == 0 { f.child.family_name } else { f.child.given_name };
        let letters = 1 + k % 4;
        out.push(("prefix", name.chars().take(letters).collect()));
    }
    out
}

/// 20 searches with filters: a name or a common word within a state, a status, a type, an age
/// range, children missing from care, with photos, archived included.
fn filtered_queries(count: usize, today: NaiveDate) -> Vec<SearchQuery> {
    let mut out = Vec::new();
    for k in 0..10 {
        let f = porchlight_seed::case_fields(SEED, ((k * 104_729) % count) as u64, today);
        let text = if k % 2 == 0 { f.child.family_name.clone() } else { ["the", "school", "mother", "bus", "friend"][k / 2].to_owned() };
        out.push(SearchQuery { text: text.clone(), state: Some(f.event.state.clone()), ..Default::default() });
        let more = match k % 5 {
            0 => SearchQuery { status: Some(CaseStatus::Intake), ..Default::default() },
            1 => SearchQuery { case_type: Some(CaseType::FamilyAbduction), ..Default::default() },
            2 => SearchQuery { age_min: Some(13), age_max: Some(15), ..Default::default() },
            3 => SearchQuery { missing_from_care: Some(true), ..Default::default() },
            _ => SearchQuery { has_photo: Some(false), include_archived: true, ..Default::default() },
        };
        out.push(SearchQuery { text, ..more });
    }
    out
}

/// Filters without words, as when a person narrows the list before typing: most recently
/// missing first.
fn filters_alone() -> Vec<SearchQuery> {
    vec![
        SearchQuery::default(),
        SearchQuery { state: Some("TX".into()), ..Default::default() },
        SearchQuery { state: Some("WY".into()), ..Default::default() },
        SearchQuery { status: Some(CaseStatus::Intake), case_type: Some(CaseType::NonfamilyAbduction), ..Default::default() },
        SearchQuery { missing_from_care: Some(true), age_min: Some(15), age_max: Some(17), ..Default::default() },
        SearchQuery { age_min: Some(3), age_max: Some(5), ..Default::default() },
        SearchQuery { has_photo: Some(true), ..Default::default() },
        SearchQuery { has_photo: Some(false), state: Some("CA".into()), ..Default::default() },
        SearchQuery { case_type: Some(CaseType::CriticallyMissingYoungAdult), include_archived: true, ..Default::default() },
        SearchQuery { status: Some(CaseStatus::Resolved), ..Default::default() },
    ]
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
