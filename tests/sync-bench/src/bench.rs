//! The benchmark's flow, step by step, with the checks that the devices converged: a figure is
//! only reported for work that was really done. It prints progress as it goes and returns the
//! table's rows; the measuring of device B's first sync happens in a child process
//! (`first_sync_child`) so that its peak memory is the client's alone.

use crate::casework::{self, CONTACTS_PER_CASE, NOTES_PER_CASE};
use crate::central::Central;
use crate::device::{self, Device, PASSPHRASE};
use crate::relay::Relay;
use crate::report::{self, bytes, median_p95, ms, Row, Target, Value};
use crate::{BenchError, Options};
use porchlight_domain::{CaseId, ListQuery};
use porchlight_store::Workspace;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The targets.
pub const FIRST_SYNC: Duration = Duration::from_secs(3);
pub const FIRST_SYNC_BYTES: u64 = 6_000_000;
pub const INCREMENTAL: Duration = Duration::from_millis(30);
pub const NO_OP: Duration = Duration::from_millis(5);
pub const OFFLINE_PUSH: Duration = Duration::from_secs(5);
/// Cases edited per incremental round.
pub const ROUND_CASES: usize = 100;

/// The child process's argument and the variable that hands it the device token (kept off
/// the command line, where `ps` would show it).
pub const CHILD_FLAG: &str = "--first-sync";
/// The child process's argument for making a new device's workspace (see `FirstSyncs::run`).
pub const MAKE_FLAG: &str = "--make-workspace";
const TOKEN_VAR: &str = "PORCHLIGHT_BENCH_DEVICE_TOKEN";
const PROFILE_FLAG: &str = "--profile";

fn say(text: impl AsRef<str>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.as_ref());
    let _ = out.flush();
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), BenchError> {
    if ok {
        Ok(())
    } else {
        Err(BenchError::Check(what()))
    }
}

/// Runs every step and returns the rows of the table.
pub fn run(options: &Options) -> Result<Vec<Row>, BenchError> {
    let n = options.cases;
    let profile = options.profile;
    let mut rows = Vec::new();
    say(format!(
        "Porchlight sync benchmark: {n} generated cases ({CONTACTS_PER_CASE} contacts and {NOTES_PER_CASE} notes each), {} offline edits; service and PostgreSQL on loopback",
        options.edits
    ));
    let central = Central::start(options.first_syncs, options.prefetch_level)?;
    if let Some(level) = options.prefetch_level {
        say(format!("  the service makes pages ahead at zstd level {level} (its sync_prefetch_compression_level)"));
    }
    let relay = Relay::start(central.runtime.handle(), central.addr)?;
    let (_keep, disk) = match &options.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            (None, dir.clone())
        }
        None => {
            let temp = tempfile::tempdir()?;
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    };
    say(format!("  service at {}, workspaces in {}", central.url, disk.display()));

    // Device A: the casework is written where writes are cheap, then moved to the measuring
    // folder, as the store's search benchmark does (a flushed transaction per note on a disk
    // would take most of an hour).
    let started = Instant::now();
    let a_path = disk.join("device-a.porchlight");
    let cases = build_device_a(&a_path, n)?;
    say(format!("  device A: {n} cases with their notes and contacts written in {}", ms(started.elapsed())));

    let mut a = Device::enrol(Workspace::open(&a_path, PASSPHRASE)?, &central.url, &central.case_manager, "Bench laptop A")?;
    let ops = a.pending()?;
    let pushed = a.timed_sync(profile.then_some("device A's first push"))?;
    let first_push = pushed.time;
    let (up, down) = a.engine_bytes();
    say(format!(
        "  device A pushed {} ops ({} waiting) in {} = {:.0} ops/s, {:.0} cases/s; {} up, {} down",
        pushed.pushed,
        ops,
        ms(first_push),
        pushed.pushed as f64 / first_push.as_secs_f64(),
        n as f64 / first_push.as_secs_f64(),
        bytes(up),
        bytes(down)
    ));
    check(a.pending()? == 0, || format!("device A still has {} changes waiting after its sync", a.pending().unwrap_or(0)))?;
    let on_server = central.count("SELECT count(*) FROM cases")?;
    check(on_server == n as i64, || format!("the service holds {on_server} cases after device A's push, not {n}"))?;
    rows.push(Row::new(format!("A: first push of {n} cases ({} ops)", pushed.pushed), Value::Time(first_push), None));
    rows.push(Row::new("A: first push rate", Value::Number(pushed.pushed as f64 / first_push.as_secs_f64(), "ops/s"), None));

    // Device B: enrolled here, synced for the first time in a process of its own, through the
    // relay that counts every byte. With `--first-syncs`, more new devices do the same once
    // every other figure is measured (so that those figures are those of a service with one
    // device B, as without the flag), each with its own enrolment and workspace, and the median
    // is reported; with `--compare`, every other one is another build's client, against the
    // same service and data.
    let mut firsts = FirstSyncs { this_build: std::env::current_exe()?, ours: Vec::new(), theirs: Vec::new() };
    let b_path = disk.join("device-b.porchlight");
    let (token, wire) = firsts.run(0, &b_path, &central, &relay, options, n)?;
    let first_rows_at = rows.len();

    let mut b = Device::open(&b_path, &central.url, &token)?;
    check_holds(&b.ws, &cases.ids, n)?;

    // Device A edits 100 cases and syncs, several rounds.
    let mut times = Vec::new();
    let mut last_edit: Vec<(CaseId, String)> = Vec::new();
    for round in 0..options.rounds {
        let ids: Vec<CaseId> = (0..ROUND_CASES).map(|i| cases.ids[(round * ROUND_CASES + i) % n]).collect();
        casework::edit(&mut a.ws, &ids, round, device::moment)?;
        central.mark(&format!("round {round} starts"));
        let report = a.timed_sync(profile.then_some(&format!("device A's round {round} of {ROUND_CASES} edited cases")))?;
        times.push(report.time);
        central.mark(&format!("round {round} ends"));
        check(report.pushed >= ROUND_CASES as u64, || format!("round {round}: device A pushed {} changes for {ROUND_CASES} edited cases", report.pushed))?;
        check(a.pending()? == 0, || format!("round {round}: changes still waiting on device A"))?;
        last_edit = ids.iter().enumerate().map(|(i, id)| (*id, casework::clothing(round, i))).collect();
    }
    let (median, p95) = median_p95(&times);
    say(format!("  device A, {} rounds of {ROUND_CASES} edited cases: median {}, p95 {}, all {:?}", options.rounds, ms(median), ms(p95), times.iter().map(|t| ms(*t)).collect::<Vec<_>>()));
    rows.push(Row::new(format!("A: sync of {ROUND_CASES} edited cases (median of {})", options.rounds), Value::Time(median), Some(Target::Time(INCREMENTAL))));

    // Device B catches up, then syncs with nothing to do.
    let report = b.timed_sync(profile.then_some("device B catching up"))?;
    say(format!("  device B caught up with {} changes in {}", report.pulled, ms(report.time)));
    check_edits(&b.ws, &last_edit)?;
    let mut times = Vec::new();
    for i in 0..options.noops {
        // One breakdown is enough to see where a no-op's time goes.
        central.mark(&format!("no-op {i} starts"));
        let report = b.timed_sync((profile && i + 1 == options.noops).then_some("device B's last no-op sync"))?;
        times.push(report.time);
        central.mark(&format!("no-op {i} ends"));
        check(report.pushed == 0 && report.pulled == 0, || format!("no-op sync {i} of device B moved {} up and {} down", report.pushed, report.pulled))?;
    }
    let (median, p95) = median_p95(&times);
    say(format!("  device B, {} no-op syncs: median {}, p95 {}", options.noops, ms(median), ms(p95)));
    rows.push(Row::new(format!("B: no-op sync (median of {})", options.noops), Value::Time(median), Some(Target::Time(NO_OP))));
    rows.push(Row::new(format!("B: no-op sync (p95 of {})", options.noops), Value::Time(p95), Some(Target::Time(NO_OP))));

    // Device A works offline, then pushes everything at once.
    let offset = (options.rounds * ROUND_CASES) % n;
    let ids: Vec<CaseId> = (0..options.edits).map(|i| cases.ids[(offset + i) % n]).collect();
    let round = options.rounds + 1;
    let started = Instant::now();
    casework::edit(&mut a.ws, &ids, round, device::moment)?;
    let waiting = a.pending()?;
    say(format!("  device A made {} offline edits in {} ({waiting} changes waiting)", options.edits, ms(started.elapsed())));
    let report = a.timed_sync(profile.then_some("device A's push of the offline edits"))?;
    let offline = report.time;
    say(format!("  device A pushed them in {} ({} changes, {:.0} changes/s)", ms(offline), report.pushed, report.pushed as f64 / offline.as_secs_f64()));
    check(report.pushed >= options.edits as u64 && a.pending()? == 0, || format!("device A pushed {} of {} offline edits", report.pushed, options.edits))?;
    rows.push(Row::new(format!("A: push of {} offline edits", options.edits), Value::Time(offline), Some(Target::Time(OFFLINE_PUSH))));

    let report = b.timed_sync(profile.then_some("device B pulling the offline edits"))?;
    let catch_up = report.time;
    say(format!("  device B pulled {} changes in {}", report.pulled, ms(catch_up)));
    let last: Vec<(CaseId, String)> = ids.iter().enumerate().map(|(i, id)| (*id, casework::clothing(round, i))).rev().take(100.min(n)).collect();
    check_edits(&b.ws, &last)?;
    rows.push(Row::new(format!("B: pull of the {} offline edits", options.edits), Value::Time(catch_up), None));
    rows.push(Row::new("service database after the run", Value::Bytes(central.database_bytes()? as u64), None));

    for i in 1..options.first_syncs {
        let path = disk.join(format!("device-b{i}.porchlight"));
        firsts.run(i, &path, &central, &relay, options, n)?;
        remove_workspace(&path)?;
    }
    let first_rows = firsts.rows(n, wire);
    rows.splice(first_rows_at..first_rows_at, first_rows);
    Ok(rows)
}

/// The first syncs of new devices B, by this build and (with `--compare`) the other one.
struct FirstSyncs {
    this_build: PathBuf,
    ours: Vec<ChildFigures>,
    theirs: Vec<Duration>,
}

impl FirstSyncs {
    /// Enrols device B number `i` (0 for the one measured further) with a workspace at `path`
    /// and makes its first sync in a child process; answers its token and the bytes on the wire.
    fn run(&mut self, i: usize, path: &Path, central: &Central, relay: &Relay, options: &Options, n: usize) -> Result<(String, crate::relay::Traffic), BenchError> {
        let other = options.compare.as_ref().filter(|_| i % 2 == 1);
        let exe = other.unwrap_or(&self.this_build);
        // The build that syncs makes the workspace too, so that each build's first sync writes
        // into the kind of workspace it makes (its page cipher, its schema); this build then
        // only enrols it, and reads what either makes.
        make_in_child(exe, path)?;
        let b = Device::enrol(Workspace::open(path, PASSPHRASE)?, &central.url, &central.supervisors[i], &format!("Bench laptop B{i}"))?;
        let token = b.token.clone();
        drop(b);
        relay.reset();
        central.mark(&format!("first sync {i} starts"));
        let child = first_sync_in_child(exe, path, &relay.url, &token, options.profile)?;
        let wire = relay.traffic();
        central.mark(&format!("first sync {i} ends"));
        say(format!(
            "  device B{}{} first sync: {} for {} changes ({} of it waiting for the service's pages{}); {} on the wire ({} up, {} down; the engine counted {} of bodies); peak memory {}",
            if options.first_syncs > 1 { format!(" {}", i + 1) } else { String::new() },
            if other.is_some() { " (the other build)" } else { "" },
            ms(child.time),
            child.pulled,
            ms(child.waited),
            child.writing.map(|(ran, queued)| format!("; the writing thread on a core {}, waiting for one {}", ms(ran), ms(queued))).unwrap_or_default(),
            bytes(wire.total()),
            bytes(wire.up),
            bytes(wire.down),
            bytes(child.engine_bytes),
            child.peak_rss.map(bytes).unwrap_or_else(|| "unknown".into())
        ));
        check(child.indexed == n as u64, || format!("device B had {} cases to make searchable after its first sync, not {n}", child.indexed))?;
        if i == 0 {
            say(format!("  device B made the {} cases that arrived searchable in {} after the sync", child.indexed, ms(child.index_time)));
        }
        match other {
            Some(_) => self.theirs.push(child.time),
            None => self.ours.push(child),
        }
        Ok((token, wire))
    }

    /// The table's rows: the median first sync of each build, and device B's (the first one's)
    /// bytes on the wire, indexing and memory.
    fn rows(&self, n: usize, wire: crate::relay::Traffic) -> Vec<Row> {
        let mut rows = Vec::new();
        let times: Vec<Duration> = self.ours.iter().map(|c| c.time).collect();
        let (first_sync, _) = median_p95(&times);
        if times.len() > 1 {
            say(format!("  first syncs of this build: median {}, all {:?}", ms(first_sync), times.iter().map(|t| ms(*t)).collect::<Vec<_>>()));
            rows.push(Row::new(format!("B: first sync of {n} cases (median of {})", times.len()), Value::Time(first_sync), Some(Target::Time(FIRST_SYNC))));
        } else {
            rows.push(Row::new(format!("B: first sync of {n} cases"), Value::Time(first_sync), Some(Target::Time(FIRST_SYNC))));
        }
        if !self.theirs.is_empty() {
            let (median, _) = median_p95(&self.theirs);
            say(format!("  first syncs of the other build: median {}, all {:?}", ms(median), self.theirs.iter().map(|t| ms(*t)).collect::<Vec<_>>()));
            rows.push(Row::new(format!("B: first sync by the other build (median of {})", self.theirs.len()), Value::Time(median), None));
        }
        rows.push(Row::new("B: first sync on the wire (both ways)", Value::Bytes(wire.total()), Some(Target::Bytes(FIRST_SYNC_BYTES))));
        let first = &self.ours[0];
        rows.push(Row::new(format!("B: then {n} cases made searchable"), Value::Time(first.index_time), None));
        if let Some(rss) = first.peak_rss {
            rows.push(Row::new("B: peak memory of the syncing process", Value::Bytes(rss), None));
        }
        rows
    }
}

fn build_device_a(target: &Path, n: usize) -> Result<casework::Cases, BenchError> {
    let shm = Path::new("/dev/shm");
    let scratch = if shm.is_dir() { tempfile::tempdir_in(shm)? } else { tempfile::tempdir_in(target.parent().unwrap_or(Path::new(".")))? };
    let path = scratch.path().join("build.porchlight");
    let mut ws = Workspace::create(&path, PASSPHRASE, device::moment())?;
    let cases = casework::fill(&mut ws, n, device::moment, |done| say(format!("    … {done} cases written")))?;
    drop(ws);
    // The workspace and the files beside it (its salt) move together, renamed alike.
    let target_name = target.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let folder = target.parent().unwrap_or(Path::new("."));
    for entry in std::fs::read_dir(scratch.path())? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().replacen("build.porchlight", &target_name, 1);
        std::fs::copy(entry.path(), folder.join(name))?;
    }
    Ok(cases)
}

/// Device B holds every case, and a sample of them with all their notes and contacts.
fn check_holds(ws: &Workspace, ids: &[CaseId], n: usize) -> Result<(), BenchError> {
    let page = ws.list_cases(&ListQuery::default())?;
    check(page.total as usize == n, || format!("device B lists {} cases after its first sync, not {n}", page.total))?;
    check(ws.search_backlog()? == 0, || "device B still has cases to make searchable".to_owned())?;
    let last = ws.get_case(ids[n - 1])?;
    let query = porchlight_domain::SearchQuery { text: last.case_number.clone(), ..Default::default() };
    let found = ws.search(&query, device::moment().local.date())?;
    check(found.hits.iter().any(|h| h.case.id == last.id), || format!("device B's search does not find case {} by its number", last.case_number))?;
    for id in ids.iter().step_by((n / 50).max(1)) {
        let notes = ws.notes(*id)?.len();
        let contacts = ws.contacts(*id)?.len();
        check(notes == NOTES_PER_CASE && contacts == CONTACTS_PER_CASE, || {
            format!("case {id} has {notes} notes and {contacts} contacts on device B, not {NOTES_PER_CASE} and {CONTACTS_PER_CASE}")
        })?;
    }
    Ok(())
}

/// Device B shows the clothing device A last wrote into each of these cases.
fn check_edits(ws: &Workspace, expected: &[(CaseId, String)]) -> Result<(), BenchError> {
    for (id, clothing) in expected {
        let held = ws.get_case(*id)?.fields.description.clothing;
        check(&held == clothing, || format!("case {id} on device B reads {held:?}, device A wrote {clothing:?}"))?;
    }
    Ok(())
}

/// What the child process measured.
struct ChildFigures {
    time: Duration,
    /// Writing the search entries of the cases that arrived, after the sync, as the app does.
    index_time: Duration,
    indexed: u64,
    pulled: u64,
    /// The part of `time` the device waited for the service's pages.
    waited: Duration,
    /// The writing thread's time on a core during the sync, and its time waiting for a core
    /// (None from a build that does not tell).
    writing: Option<(Duration, Duration)>,
    engine_bytes: u64,
    peak_rss: Option<u64>,
}

/// A workspace and the files beside it (its salt, its log), once measured.
fn remove_workspace(path: &Path) -> Result<(), BenchError> {
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    for entry in std::fs::read_dir(path.parent().unwrap_or(Path::new(".")))? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(&name) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// A new device's workspace at `path`, made by a process of `exe`.
fn make_in_child(exe: &Path, path: &Path) -> Result<(), BenchError> {
    let output = Command::new(exe).arg(MAKE_FLAG).arg(path).output()?;
    if !output.status.success() {
        return Err(BenchError::Check(format!(
            "{} could not make the workspace {} ({}): {}",
            exe.display(),
            path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(())
}

/// The child that makes a new device's workspace, empty and not enrolled.
pub fn make_workspace_child(args: &[String]) -> Result<(), BenchError> {
    let [path] = args else {
        return Err(BenchError::Usage(format!("{MAKE_FLAG} needs the workspace to make")));
    };
    Workspace::create(Path::new(path), PASSPHRASE, device::moment())?;
    Ok(())
}

/// Device B's first sync in a process of `exe` (this build of the benchmark, or the one to
/// compare with).
fn first_sync_in_child(exe: &Path, path: &Path, url: &str, token: &str, profile: bool) -> Result<ChildFigures, BenchError> {
    let mut command = Command::new(exe);
    command.arg(CHILD_FLAG).arg(path).arg(url).env(TOKEN_VAR, token);
    if profile {
        command.arg(PROFILE_FLAG);
    }
    let output = command.output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The child's breakdown, when it made one, is passed on as it is.
    for line in stdout.lines().filter(|l| l.starts_with("  ")) {
        say(line);
    }
    if !output.status.success() {
        return Err(BenchError::Check(format!(
            "device B's first sync failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let field = |name: &str| -> Option<u64> {
        stdout.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix('='))).and_then(|v| v.trim().parse().ok())
    };
    let missing = || BenchError::Check(format!("device B's process did not report its figures: {stdout}"));
    Ok(ChildFigures {
        time: Duration::from_nanos(field("sync_ns").ok_or_else(missing)?),
        pulled: field("pulled").ok_or_else(missing)?,
        waited: Duration::from_nanos(field("waited_ns").ok_or_else(missing)?),
        writing: field("writing_ns").zip(field("queued_ns")).map(|(ran, queued)| (Duration::from_nanos(ran), Duration::from_nanos(queued))),
        engine_bytes: field("engine_bytes").ok_or_else(missing)?,
        peak_rss: field("peak_rss"),
        index_time: Duration::from_nanos(field("index_ns").ok_or_else(missing)?),
        indexed: field("indexed").ok_or_else(missing)?,
    })
}

/// The child: opens device B's workspace, makes its first sync, and prints its figures as
/// `name=value` lines.
pub fn first_sync_child(args: &[String]) -> Result<(), BenchError> {
    let (path, url, profile) = match args {
        [path, url] => (path, url, false),
        [path, url, flag] if flag == PROFILE_FLAG => (path, url, true),
        _ => return Err(BenchError::Usage(format!("{CHILD_FLAG} needs the workspace and the service address"))),
    };
    let token = std::env::var(TOKEN_VAR).map_err(|_| BenchError::Usage(format!("{CHILD_FLAG} needs {TOKEN_VAR}")))?;
    let mut b = Device::open(&PathBuf::from(path), url, &token)?;
    let before = report::thread_times();
    let done = b.timed_sync(profile.then_some("device B's first sync"))?;
    // The writing thread's time on a core and waiting for one: on a machine whose cores the
    // service shares, what the sync's time is made of beside waiting for pages.
    if let (Some((ran, queued)), Some((ran0, queued0))) = (report::thread_times(), before) {
        say(format!("writing_ns={}", (ran - ran0).as_nanos()));
        say(format!("queued_ns={}", (queued - queued0).as_nanos()));
    }
    let time = done.time;
    let (up, down) = b.engine_bytes();
    // Then the search entries of the cases that arrived, written in the app's steps.
    let backlog = b.ws.search_backlog()?;
    let indexing = Instant::now();
    while b.ws.index_backlog(porchlight_store::SEARCH_BACKLOG_STEP)? > 0 {}
    say(format!("index_ns={}", indexing.elapsed().as_nanos()));
    say(format!("indexed={backlog}"));
    say(format!("sync_ns={}", time.as_nanos()));
    say(format!("pulled={}", done.pulled));
    say(format!("waited_ns={}", done.waited.as_nanos()));
    say(format!("engine_bytes={}", up + down));
    if let Some(rss) = report::peak_rss() {
        say(format!("peak_rss={rss}"));
    }
    Ok(())
}
