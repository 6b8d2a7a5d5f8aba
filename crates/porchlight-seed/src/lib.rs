//! Synthetic, reproducible case data, generated photos, and the notes and family contacts
//! written on them (`casework`), for tests, demos and benchmarks. The same seed, count and date
//! always give the same cases, on every machine. Names are random combinations from many
//! naming traditions and photos are drawn shapes: no generated case is a real child. This crate
//! stores nothing; callers hand the cases to the store.

mod case;
mod casework;
mod people;
mod photo;
mod places;
mod rng;
mod story;

pub use case::case_fields;
pub use casework::{Casework, CASEWORK_SEED, CONTACTS_PER_CASE};
pub use photo::{PHOTO_HEIGHT, PHOTO_WIDTH};

use chrono::{Days, Months, NaiveDate};
use porchlight_domain::case::age_on;
use porchlight_domain::{CaseFields, Sex};
use rng::Rng;

/// A generated case: its fields and, when asked for, its photos (newest first).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedCase {
    pub fields: CaseFields,
    pub photos: Vec<SeedPhoto>,
}

/// A generated photo: PNG bytes of `PHOTO_WIDTH` × `PHOTO_HEIGHT` pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedPhoto {
    pub png: Vec<u8>,
    pub taken_on: NaiveDate,
    pub kind: SeedPhotoKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedPhotoKind {
    /// A photo of the child taken before they went missing.
    Photo,
    /// A forensic artist's image of the child at `age`, made years after they went missing.
    AgeProgressed { age: u8 },
}

/// `n` cases of the run `seed`, as of `today`, without photos: the fast path for benchmarks.
pub fn cases(seed: u64, n: usize, today: NaiveDate) -> impl Iterator<Item = SeedCase> {
    (0..n as u64).map(move |i| case(seed, i, today, false))
}

/// `n` cases of the run `seed`, each with one to three photos and, for some long-missing
/// children, an age-progressed image. The fields are the same as `cases` gives.
pub fn cases_with_photos(seed: u64, n: usize, today: NaiveDate) -> impl Iterator<Item = SeedCase> {
    (0..n as u64).map(move |i| case(seed, i, today, true))
}

/// Case number `index` of the run `seed`, generated on its own.
pub fn case(seed: u64, index: u64, today: NaiveDate, with_photos: bool) -> SeedCase {
    let fields = case_fields(seed, index, today);
    let photos = if with_photos { photos(&fields, &mut Rng::for_item(seed, index, 1), today) } else { Vec::new() };
    SeedCase { fields, photos }
}

/// Photos of the child dated between birth and the day they went missing, newest first, and
/// for children missing over two years, sometimes an age-progressed image dated since.
fn photos(fields: &CaseFields, rng: &mut Rng, today: NaiveDate) -> Vec<SeedPhoto> {
    let Ok(missing) = NaiveDate::parse_from_str(&fields.event.last_seen_date, "%Y-%m-%d") else {
        return Vec::new();
    };
    let born = NaiveDate::parse_from_str(&fields.child.date_of_birth, "%Y-%m-%d").unwrap_or_else(|_| {
        let age = u32::from(fields.child.estimated_age.unwrap_or(10));
        missing.checked_sub_months(Months::new(12 * age)).unwrap_or(missing)
    });
    let d = &fields.description;
    let long_hair = match fields.child.sex {
        Some(Sex::Female) => rng.chance(0.75),
        _ => rng.chance(0.1),
    };
    let portrait = |age: u32, age_progressed: bool| photo::Portrait {
        skin: d.skin,
        hair: d.hair,
        eyes: d.eyes,
        age,
        long_hair,
        age_progressed,
    };

    let count = *rng.weighted(&[(1usize, 50), (2, 30), (3, 20)]);
    let mut out = Vec::with_capacity(count + 1);
    let mut latest = missing;
    for i in 0..count {
        // The newest photo is from the last year before the disappearance; older ones reach
        // further back, never before birth.
        let reach = if i == 0 { 365 } else { 3 * 365 };
        let span = (latest - born).num_days().clamp(0, reach) as u64;
        let taken_on = latest - Days::new(rng.below(span + 1));
        out.push(SeedPhoto { png: photo::render(&portrait(age_on(born, taken_on), false), rng), taken_on, kind: SeedPhotoKind::Photo });
        latest = taken_on;
    }
    let progressed_from = missing.checked_add_months(Months::new(24)).unwrap_or(missing);
    if progressed_from < today && rng.chance(0.5) {
        let span = (today - progressed_from).num_days() as u64;
        let taken_on = progressed_from + Days::new(rng.below(span + 1));
        let age = age_on(born, taken_on).min(u32::from(u8::MAX));
        out.insert(0, SeedPhoto { png: photo::render(&portrait(age, true), rng), taken_on, kind: SeedPhotoKind::AgeProgressed { age: age as u8 } });
    }
    out
}
