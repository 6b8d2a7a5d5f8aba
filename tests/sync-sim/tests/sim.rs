//! The randomized sync simulation as a test: 50 seeds by default against the real service on
//! the PostgreSQL named by PORCHLIGHT_TEST_DATABASE_URL (`eval "$(bash scripts/pg.sh start)"`).
//!
//! - `SYNC_SIM_SEEDS=n` runs seeds 0..n; `SYNC_SIM_FIRST=k` starts at k instead of 0.
//! - `SYNC_SIM_SEED=n` replays one seed, printing its whole schedule.
//! - `SYNC_SIM_STEPS`, `SYNC_SIM_CASES` size each run (150 steps, 20 cases by default).
//! - `SYNC_SIM_JOBS` runs that many seeds at once (3 by default: much of a run waits on disk
//!   flushes, HTTP and PostgreSQL, so three keep two cores busy).
//!
//! A failing seed prints its problems, the path of its full schedule, and the command that
//! replays it. A replay draws the same schedule and faults; the service's clock is real, so
//! which of two nearly simultaneous edits carries the higher stamp may differ from run to run.

use porchlight_sync_sim::run::{run_seed, trace_text, Settings, Stats};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

struct Failure {
    seed: u64,
    problems: Vec<String>,
    trace_path: String,
}

#[test]
fn every_device_ends_equal_to_the_service_within_its_scope() {
    let Some(admin) = porchlight_pg_support::cluster_or_skip("run the sync simulation", "run the sync simulation") else {
        return;
    };
    let replay = env("SYNC_SIM_SEED");
    let seeds: Vec<u64> = match replay {
        Some(seed) => vec![seed],
        None => {
            let first = env("SYNC_SIM_FIRST").unwrap_or(0);
            (first..first + env("SYNC_SIM_SEEDS").unwrap_or(50)).collect()
        }
    };
    let settings = Settings::from_env();
    let jobs = env("SYNC_SIM_JOBS").unwrap_or(3).max(1) as usize;
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<Failure>> = Mutex::new(Vec::new());
    let totals: Mutex<(Stats, usize)> = Mutex::new((Stats::default(), 0));
    std::thread::scope(|s| {
        for _ in 0..jobs.min(seeds.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(&seed) = seeds.get(i) else { break };
                let t = Instant::now();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_seed(seed, &settings, &admin)));
                let (result, trace) = match outcome {
                    Ok(r) => {
                        let mut totals = totals.lock().unwrap();
                        add(&mut totals.0, &r.stats);
                        let stats = &r.stats;
                        let words = format!(
                            "{} devices, {} cases, {} edits, {} syncs, {} ops applied, {} refused, {} conflicts; setup {:.1}s, play {:.1}s, checks {:.1}s",
                            stats.devices,
                            stats.cases,
                            stats.edits,
                            stats.syncs,
                            stats.ops_applied,
                            stats.ops_rejected,
                            stats.conflicts,
                            stats.setup_secs,
                            stats.play_secs,
                            stats.check_secs
                        );
                        if r.problems.is_empty() {
                            totals.1 += 1;
                            eprintln!("seed {seed}: ok in {:.1}s ({words})", t.elapsed().as_secs_f64());
                            (Ok(()), r.trace)
                        } else {
                            eprintln!("seed {seed}: FAILED with {} problems in {:.1}s ({words})", r.problems.len(), t.elapsed().as_secs_f64());
                            (Err(r.problems), r.trace)
                        }
                    }
                    Err(panic) => {
                        let text = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
                        eprintln!("seed {seed}: PANICKED: {text}");
                        (Err(vec![format!("the run panicked: {text}")]), Vec::new())
                    }
                };
                if replay.is_some() {
                    eprintln!("{}", trace_text(&trace));
                }
                let path = std::env::temp_dir().join(format!("porchlight-sync-sim-seed-{seed}.log"));
                // A schedule left by an earlier failing run of this seed would mislead.
                let _ = std::fs::remove_file(&path);
                if let Err(problems) = result {
                    let text = format!("{}\n\nPROBLEMS\n{}\n", trace_text(&trace), problems.join("\n"));
                    let trace_path = match std::fs::write(&path, text) {
                        Ok(()) => path.display().to_string(),
                        Err(e) => format!("(the schedule could not be written: {e})"),
                    };
                    failures.lock().unwrap().push(Failure { seed, problems, trace_path });
                }
            });
        }
    });
    let (stats, passed) = totals.into_inner().unwrap();
    eprintln!(
        "\n{passed} of {} seeds passed in {:.1}s: {} edits, {} syncs ({} cut short by faults), {} ops applied, {} refused, {} conflicts raised, {} resolved",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        stats.edits,
        stats.syncs,
        stats.failed_syncs,
        stats.ops_applied,
        stats.ops_rejected,
        stats.conflicts,
        stats.resolved
    );
    eprintln!("faults injected: {:?}", stats.faults);
    eprintln!("conflicts raised by kind: {:?}", stats.conflict_fields);
    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|f| f.seed);
    if !failures.is_empty() {
        let mut report = String::new();
        for f in &failures {
            report.push_str(&format!("\n=== seed {} failed ({} problems) ===\n", f.seed, f.problems.len()));
            for p in f.problems.iter().take(25) {
                report.push_str(&format!("  - {p}\n"));
            }
            if f.problems.len() > 25 {
                report.push_str(&format!("  … and {} more\n", f.problems.len() - 25));
            }
            report.push_str(&format!("  schedule and every problem: {}\n", f.trace_path));
            report.push_str(&format!(
                "  replay: SYNC_SIM_SEED={} cargo test -p porchlight-sync-sim --test sim -- --nocapture\n",
                f.seed
            ));
        }
        panic!("{} of {} seeds failed:{report}", failures.len(), seeds.len());
    }
}

fn add(total: &mut Stats, s: &Stats) {
    total.devices += s.devices;
    total.cases += s.cases;
    total.edits += s.edits;
    total.syncs += s.syncs;
    total.failed_syncs += s.failed_syncs;
    total.ops_applied += s.ops_applied;
    total.ops_rejected += s.ops_rejected;
    total.conflicts += s.conflicts;
    total.resolved += s.resolved;
    for (k, v) in &s.faults {
        *total.faults.entry(k.clone()).or_default() += v;
    }
    for (k, v) in &s.conflict_fields {
        *total.conflict_fields.entry(k.clone()).or_default() += v;
    }
    let _: &BTreeMap<String, usize> = &total.faults;
}
