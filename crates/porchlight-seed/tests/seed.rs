//! The generator's promises: the same seed gives the same cases, every case passes the
//! domain's validation, the mix of cases follows the organisation's figures, and photos are
//! real PNGs dated where they belong.

use chrono::{NaiveDate, NaiveDateTime};
use porchlight_domain::case::age_on;
use porchlight_domain::{CaseFields, CaseType, Sex};
use porchlight_seed::{case, case_fields, cases, cases_with_photos, SeedPhotoKind, PHOTO_HEIGHT, PHOTO_WIDTH};
use std::collections::HashSet;
use std::io::Cursor;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn noon(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(12, 0, 0).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn the_same_seed_gives_the_same_cases_and_another_seed_others() {
    let today = day(2026, 11, 21);
    let a: Vec<_> = cases_with_photos(7, 30, today).collect();
    let b: Vec<_> = cases_with_photos(7, 30, today).collect();
    assert_eq!(a, b);
    let other: Vec<_> = cases(8, 30, today).map(|c| c.fields).collect();
    let same_seed: Vec<_> = a.iter().map(|c| c.fields.clone()).collect();
    assert_ne!(same_seed, other);
    // Photos are drawn from their own stream, so asking for them never changes the fields.
    let without: Vec<_> = cases(7, 30, today).map(|c| c.fields).collect();
    assert_eq!(same_seed, without);
    // Any case can be generated on its own.
    assert_eq!(case(7, 12, today, true), a[12]);
    assert_eq!(case_fields(7, 29, today), a[29].fields);
}

fn assert_valid(f: &CaseFields, today: NaiveDate, what: &str) {
    if let Err(errors) = f.validate(noon(today)) {
        panic!("{what} refused: {errors:#?}\n{f:#?}");
    }
}

#[test]
fn every_generated_case_passes_validation() {
    // Leap days, the first of a year and an ordinary day; seeds chosen arbitrarily.
    for today in [day(2026, 11, 21), day(2028, 2, 29), day(2027, 1, 1), day(2025, 3, 1)] {
        for seed in [0, 1, 2, 42, 1234, u64::MAX] {
            for (i, c) in cases(seed, 2500, today).enumerate() {
                assert_valid(&c.fields, today, &format!("seed {seed} case {i} on {today}"));
            }
        }
    }
}

#[test]
fn ages_dates_and_case_types_agree() {
    let today = day(2026, 11, 21);
    for c in cases(99, 20_000, today) {
        let f = &c.fields;
        let missing = date(&f.event.last_seen_date);
        assert!(missing < today, "a last-seen date of today could be later than the time of validation");
        let age = match f.child.estimated_age {
            Some(a) => u32::from(a),
            None => age_on(date(&f.child.date_of_birth), missing),
        };
        let range = match f.case_type.unwrap() {
            CaseType::EndangeredRunaway => 11..=17,
            CaseType::FamilyAbduction => 0..=17,
            CaseType::NonfamilyAbduction => 3..=17,
            CaseType::LostInjuredMissing => 1..=17,
            CaseType::CriticallyMissingYoungAdult => 18..=20,
        };
        assert!(range.contains(&age), "{:?} aged {age}", f.case_type);
        if f.case_type == Some(CaseType::FamilyAbduction) {
            assert!(!f.companions.is_empty(), "a family abduction names who took the child");
            let taker = &f.companions[0];
            let born = date(&taker.date_of_birth);
            let gap = age_on(born, missing) - age;
            assert!(gap >= 18, "{} is only {gap} years older than the child", taker.relationship);
        }
        if let Some(h) = f.description.height_cm {
            let (lo, hi) = if age < 2 { (55.0, 95.0) } else if age < 10 { (75.0, 160.0) } else { (120.0, 200.0) };
            assert!((lo..=hi).contains(&h), "height {h} cm at age {age}");
        }
        assert!(f.law_enforcement.investigator_phone.contains("555-01"), "investigator phones are fictional numbers");
        assert!(f.law_enforcement.ori.starts_with(&f.event.state));
        assert_eq!(f.missing_from_care, !f.care_agency.is_empty());
    }
}

#[test]
fn the_mix_follows_the_organisations_figures() {
    let today = day(2026, 11, 21);
    let n = 50_000;
    let mut by_type = std::collections::HashMap::new();
    let (mut from_care, mut vehicles, mut amber, mut non_ascii, mut long_stories, mut girls) = (0, 0, 0, 0, 0, 0);
    let mut names = HashSet::new();
    let mut states = HashSet::new();
    for c in cases(2024, n, today) {
        let f = c.fields;
        *by_type.entry(f.case_type.unwrap()).or_insert(0usize) += 1;
        from_care += usize::from(f.missing_from_care);
        vehicles += usize::from(!f.vehicles.is_empty());
        amber += usize::from(f.amber_alert);
        girls += usize::from(f.child.sex == Some(Sex::Female));
        long_stories += usize::from(f.event.circumstances.chars().count() > 600);
        let full = format!("{} {} {}", f.child.given_name, f.child.middle_name, f.child.family_name);
        non_ascii += usize::from(!full.is_ascii());
        names.insert(full);
        states.insert(f.event.state);
    }
    let share = |k: CaseType| by_type.get(&k).copied().unwrap_or(0) as f64 / n as f64;
    let within = |v: f64, want: f64, tol: f64| (v - want).abs() <= tol;
    assert!(within(share(CaseType::EndangeredRunaway), 0.91, 0.01), "runaways {}", share(CaseType::EndangeredRunaway));
    assert!(within(share(CaseType::FamilyAbduction), 0.05, 0.005), "family abductions {}", share(CaseType::FamilyAbduction));
    assert!(within(share(CaseType::CriticallyMissingYoungAdult), 0.03, 0.004));
    assert!(within(share(CaseType::LostInjuredMissing), 0.01, 0.003));
    let nfa = share(CaseType::NonfamilyAbduction);
    assert!(nfa > 0.0 && nfa < 0.01, "nonfamily abductions {nfa}");
    let care = from_care as f64 / n as f64;
    assert!(within(care, 22_442.0 / 28_886.0, 0.015), "missing from care {care}");
    assert!(vehicles > n / 100 && vehicles < n / 10, "vehicles {vehicles}");
    assert!(amber > 0);
    assert!(girls > n / 2, "more runaways are girls");
    assert!(non_ascii > n / 20, "names with accents or tone marks: {non_ascii}");
    assert!(long_stories > n / 20, "long narratives: {long_stories}");
    assert!(names.len() > n / 4, "only {} distinct names", names.len());
    assert!(states.len() > 40, "only {} states", states.len());
}

#[test]
fn photos_are_pngs_of_the_stated_size_dated_where_they_belong() {
    let today = day(2026, 11, 21);
    let (mut progressed, mut several) = (0, 0);
    for c in cases_with_photos(5, 60, today) {
        let f = &c.fields;
        let missing = date(&f.event.last_seen_date);
        assert!((1..=4).contains(&c.photos.len()), "{} photos", c.photos.len());
        several += usize::from(c.photos.len() > 1);
        for p in &c.photos {
            let decoder = png::Decoder::new(Cursor::new(&p.png));
            let mut reader = decoder.read_info().expect("a PNG header");
            let mut buf = vec![0; reader.output_buffer_size().unwrap()];
            let info = reader.next_frame(&mut buf).expect("PNG pixels");
            assert_eq!((info.width, info.height), (PHOTO_WIDTH, PHOTO_HEIGHT));
            match p.kind {
                SeedPhotoKind::Photo => {
                    assert!(p.taken_on <= missing, "photo after the child went missing");
                    if let Ok(born) = NaiveDate::parse_from_str(&f.child.date_of_birth, "%Y-%m-%d") {
                        assert!(p.taken_on >= born, "photo before birth");
                    }
                }
                SeedPhotoKind::AgeProgressed { age } => {
                    progressed += 1;
                    assert!(p.taken_on > missing && p.taken_on <= today);
                    if let Ok(born) = NaiveDate::parse_from_str(&f.child.date_of_birth, "%Y-%m-%d") {
                        assert_eq!(u32::from(age), age_on(born, p.taken_on));
                    }
                }
            }
        }
        let dates: Vec<_> = c.photos.iter().map(|p| p.taken_on).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "photos come newest first: {dates:?}");
    }
    assert!(progressed > 0, "some long-missing children have an age-progressed image");
    assert!(several > 0);
}

#[test]
fn a_portrait_shows_the_childs_skin_tone() {
    // The middle of the picture is on the face, whose colour comes from the case's skin code.
    let today = day(2026, 11, 21);
    let with_skin = |tone| {
        let index = (0..400).find(|i| case_fields(11, *i, today).description.skin == Some(tone)).expect("a child with that skin tone in 400 cases");
        case(11, index, today, true)
    };
    let dark = with_skin(porchlight_domain::SkinTone::DarkBrown);
    let fair = with_skin(porchlight_domain::SkinTone::Fair);
    let brightness = |png_bytes: &[u8]| {
        let mut reader = png::Decoder::new(Cursor::new(png_bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        // A pixel on the cheek: below the eyes, beside the nose line.
        let (x, y) = (PHOTO_WIDTH as usize / 2 - 20, PHOTO_HEIGHT as usize * 42 / 100 + 20);
        let i = (y * PHOTO_WIDTH as usize + x) * 3;
        u32::from(buf[i]) + u32::from(buf[i + 1]) + u32::from(buf[i + 2])
    };
    let photo = |c: &porchlight_seed::SeedCase| c.photos.iter().find(|p| p.kind == SeedPhotoKind::Photo).unwrap().png.clone();
    assert!(brightness(&photo(&dark)) + 200 < brightness(&photo(&fair)));
}
