//! The whole benchmark at 200 cases against the real service on a real PostgreSQL, so that the
//! benchmark never rots: the program must run every step, find the devices converged, and print
//! every row of its table. It checks no timing target (a debug build on a shared CI machine is
//! not what the targets are about); the release run of the benchmark does.

use std::process::Command;

/// Whether a PostgreSQL is configured; in CI its absence fails the test instead of skipping it.
fn database_configured() -> bool {
    porchlight_pg_support::cluster_or_skip("run the sync benchmark against PostgreSQL", "run the sync benchmark's smoke test").is_some()
}

fn bench(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_sync-bench")).args(args).output().expect("the benchmark starts");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the benchmark failed ({}):\n{stdout}\n{stderr}", output.status);
    stdout
}

#[test]
fn the_benchmark_runs_end_to_end_at_200_cases_and_prints_every_figure() {
    if !database_configured() {
        return;
    }
    let stdout = bench(&["--cases", "200", "--edits", "300", "--rounds", "3", "--noops", "5"]);
    for row in [
        "| A: first push of 200 cases",
        "| B: first sync of 200 cases",
        "| B: first sync on the wire (both ways)",
        "| B: peak memory of the syncing process",
        "| A: sync of 100 edited cases (median of 3)",
        "| B: no-op sync (median of 5)",
        "| B: no-op sync (p95 of 5)",
        "| A: push of 300 offline edits",
        "| B: pull of the 300 offline edits",
    ] {
        assert!(stdout.contains(row), "the table has no row {row:?}:\n{stdout}");
    }
    // Each measured row ends with pass or FAIL against the target.
    let judged = stdout.lines().filter(|l| l.starts_with('|') && (l.contains("| pass") || l.contains("| FAIL"))).count();
    assert_eq!(judged, 6, "six rows carry a target:\n{stdout}");
    assert!(!stdout.contains("check failed"), "{stdout}");
}

#[test]
fn the_profile_says_where_each_measured_sync_spends_its_time() {
    if !database_configured() {
        return;
    }
    let stdout = bench(&["--cases", "100", "--edits", "40", "--rounds", "1", "--noops", "2", "--profile"]);
    for title in [
        "profile of device A's first push",
        "profile of device B's first sync",
        "profile of device A's round 0 of 100 edited cases",
        "profile of device B's last no-op sync",
        "profile of device A's push of the offline edits",
    ] {
        assert!(stdout.contains(title), "no {title:?}:\n{stdout}");
    }
    // The first sync's pages hold every kind of record a case has.
    for kind in ["pages' case records", "pages' contact records", "pages' note versions", "pages' status events"] {
        assert!(stdout.contains(kind), "no {kind:?}:\n{stdout}");
    }
    assert!(stdout.contains("workspace: apply pages") && stdout.contains("push round trips"), "{stdout}");
    assert!(stdout.contains("| B: first sync of 100 cases"), "the table follows the profile:\n{stdout}");
}

#[test]
fn a_bad_flag_is_refused_with_its_name_and_the_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_sync-bench")).args(["--cases", "lots"]).output().expect("the benchmark starts");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--cases \"lots\": give a whole number"), "{stderr}");
    assert!(stderr.contains("usage: sync-bench"), "{stderr}");
}
