//! Measures the case manager's records on a full workspace: opening a case with 50 notes and
//! two contacts (the case view, audited), adding a note, changing a status, and the duplicate
//! check at save over 100,000 generated cases. Every child is generated; none is real.
//!
//! `cargo run --release -p porchlight-store --features seed --example casework [CASES] [DIR]`

use chrono::{NaiveDate, TimeZone, Utc};
use porchlight_domain::{CaseStatus, ContactFields, Moment, NoteCategory, NoteInput, Relationship, StatusChange};
use porchlight_store::{NewCase, Workspace};
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "Benchmark-lanterns 2026";
const CHUNK: usize = 10_000;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map(|n| n.parse().expect("CASES is a number")).unwrap_or(100_000);
    let folder = match args.next() {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("a scratch folder");
    let path = folder.path().join("casework.porchlight");
    let now = Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap());
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    println!("Porchlight casework benchmark: {count} generated cases in {}", path.display());

    let cases: Vec<NewCase> = porchlight_seed::cases(2026, count, today).map(|c| NewCase { fields: c.fields, photos: Vec::new() }).collect();
    let mut ws = Workspace::create(&path, PASSPHRASE, now).expect("create");
    let started = Instant::now();
    let mut ids = Vec::with_capacity(count);
    for chunk in cases.chunks(CHUNK) {
        ids.extend(ws.import_cases(chunk, now).expect("import"));
    }
    println!("import (with sound keys and audit lines): {}", ms(started.elapsed()));

    // 20 cases spread over the workspace, each with 50 notes and two contacts.
    let busy: Vec<_> = ids.iter().step_by((count / 20).max(1)).copied().take(20).collect();
    let mut add_note = Vec::new();
    for (c, id) in busy.iter().enumerate() {
        for n in 0..50 {
            let input = NoteInput {
                category: NoteCategory::ALL[n % NoteCategory::ALL.len()],
                text: format!("Call {n} about case {c}: the caller saw a child matching the description near the library on Main Street."),
            };
            let started = Instant::now();
            ws.add_note(*id, &input, now).expect("note");
            add_note.push(started.elapsed());
        }
        for (name, relationship) in [("Rosa Example", Relationship::Mother), ("Tom Example", Relationship::Father)] {
            let contact = ContactFields { name: name.into(), relationship: Some(relationship), phones: vec!["(555) 201-4477".into()], ..Default::default() };
            ws.add_contact(*id, &contact, now).expect("contact");
        }
    }
    add_note.sort();
    println!("add a note (one flushed transaction, search reindexed): p50 {}  p95 {}", ms(pct(&add_note, 50)), ms(pct(&add_note, 95)));

    let mut open = Vec::new();
    for _ in 0..5 {
        for id in &busy {
            let started = Instant::now();
            let view = ws.open_case(*id, now).expect("open case");
            open.push(started.elapsed());
            assert_eq!(view.notes.len(), 50);
        }
    }
    open.sort();
    println!("open a case with 50 notes and 2 contacts (view + audit line): p50 {}  p95 {}  max {}", ms(pct(&open, 50)), ms(pct(&open, 95)), ms(*open.last().unwrap()));

    let mut timeline = Vec::new();
    for id in &busy {
        let started = Instant::now();
        std::hint::black_box(ws.timeline(*id, &[]).expect("timeline"));
        timeline.push(started.elapsed());
    }
    timeline.sort();
    println!("timeline of such a case: p50 {}  p95 {}", ms(pct(&timeline, 50)), ms(pct(&timeline, 95)));

    let mut status = Vec::new();
    for id in &busy {
        let change = StatusChange { to: CaseStatus::Active, reason: "Investigation opened".into(), outcome: None };
        let started = Instant::now();
        ws.change_status(*id, &change, now).expect("status");
        status.push(started.elapsed());
    }
    status.sort();
    println!("change a status: p50 {}  p95 {}", ms(pct(&status, 50)), ms(pct(&status, 95)));

    // The duplicate check as the form runs it at save: 500 existing children (each finds at
    // least itself) and 500 new ones with a letter of the family name changed.
    let mut found = 0usize;
    let mut times = Vec::new();
    for (i, case) in cases.iter().step_by((count / 500).max(1)).take(500).enumerate() {
        for altered in [false, true] {
            let mut fields = case.fields.clone();
            if altered {
                let family: String = fields.child.family_name.chars().enumerate().map(|(j, c)| if j == 1 + i % 3 { 'e' } else { c }).collect();
                fields.child.family_name = family;
            }
            let started = Instant::now();
            found += ws.find_duplicates(&fields, None).expect("duplicates").len();
            times.push(started.elapsed());
        }
    }
    times.sort();
    println!(
        "duplicate check ({} forms): p50 {}  p95 {}  max {}  ({found} candidates shown in all)",
        times.len(),
        ms(pct(&times, 50)),
        ms(pct(&times, 95)),
        ms(*times.last().unwrap())
    );
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
