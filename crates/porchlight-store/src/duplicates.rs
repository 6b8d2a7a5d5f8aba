//! Possible duplicates of a child being saved: cases whose child sounds alike, was born within
//! about a year, and went missing from the same state. It owns the sound key of a name and the
//! estimated birth date kept in `cases` for this lookup, and finds candidates by an index range
//! rather than by reading every case. It never blocks a save: the front end warns, the person
//! decides.

use chrono::{Datelike, Months, NaiveDate};
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use unicode_normalization::UnicodeNormalization;

/// The longest sound key kept: long enough to tell "Okafor" from "Okonkwo-Fairbanks", short
/// enough that a misspelt ending still lands on the same key.
const MAX_SOUND: usize = 6;

/// A key that names spelt differently but said alike share: "Garcia" and "Garza" → `KRS`,
/// "Okafor" and "Okafur" → `AKFR`, "Smith" and "Smyth" → `SMT`. It folds accents
/// ("Núñez" = "Nunez"), ignores spaces, hyphens and apostrophes, keeps a leading vowel as `A`
/// and drops the others, and merges letters that sound alike. Empty for a name with no
/// letters.
pub(crate) fn name_sound(name: &str) -> String {
    let mut letters: Vec<char> = fold(name).chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_uppercase()).collect();
    // "Whitney" is said as "Witney".
    if letters.starts_with(&['W', 'H']) {
        letters.remove(1);
    }
    let at = |i: usize| letters.get(i).copied().unwrap_or(' ');
    let vowel = |c: char| matches!(c, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y');
    let soft = |c: char| matches!(c, 'E' | 'I' | 'Y');
    let mut start = 0;
    // Silent first letters: Knight, Gnaedinger, Pneuman, Wright, Psaila, Hernández.
    if matches!((at(0), at(1)), ('K', 'N') | ('G', 'N') | ('P', 'N') | ('W', 'R') | ('P', 'S')) {
        start = 1;
    }
    while at(start) == 'H' {
        start += 1;
    }
    let mut out = String::new();
    let mut i = start;
    while i < letters.len() && out.len() < MAX_SOUND {
        let c = letters[i];
        let (code, step): (&str, usize) = match c {
            _ if vowel(c) => (if i == start && !(c == 'Y' && vowel(at(i + 1))) { "A" } else if c == 'Y' && i == start { "Y" } else { "" }, 1),
            'B' => (if i + 1 == letters.len() && at(i.wrapping_sub(1)) == 'M' { "" } else { "P" }, 1),
            'C' if at(i + 1) == 'H' => (if at(i + 2) == 'R' { "K" } else { "X" }, 2),
            'C' if at(i + 1) == 'K' => ("K", 2),
            'C' if soft(at(i + 1)) => ("S", 1),
            'C' | 'K' | 'Q' => ("K", 1),
            'D' if at(i + 1) == 'G' && soft(at(i + 2)) => ("J", 2),
            'D' | 'T' if at(i + 1) == 'H' => ("T", 2),
            'T' if at(i + 1) == 'C' && at(i + 2) == 'H' => ("X", 3),
            'T' if at(i + 1) == 'I' && matches!(at(i + 2), 'A' | 'O') && i > start => ("X", 1),
            'D' | 'T' => ("T", 1),
            'F' | 'V' => ("F", 1),
            'P' if at(i + 1) == 'H' => ("F", 2),
            'P' => ("P", 1),
            // Silent in Wright, Hugh and Knight; hard in Ghent.
            'G' if at(i + 1) == 'H' => (if i == start { "K" } else { "" }, 2),
            'G' if at(i + 1) == 'N' && i + 2 == letters.len() => ("N", 2),
            'G' if soft(at(i + 1)) => ("J", 1),
            'G' => ("K", 1),
            'J' => ("J", 1),
            // Silent in Spanish (Hernández) and after a vowel (Sarah); the consonant pairs above
            // take the H that changes them.
            'H' => ("", 1),
            'S' if at(i + 1) == 'C' && at(i + 2) == 'H' => ("SK", 3),
            'S' if at(i + 1) == 'H' => ("X", 2),
            'S' if at(i + 1) == 'I' && matches!(at(i + 2), 'A' | 'O') => ("X", 1),
            'S' | 'Z' => ("S", 1),
            'X' => (if i == start { "S" } else { "KS" }, 1),
            'W' => (if vowel(at(i + 1)) { "W" } else { "" }, 1),
            'L' => ("L", 1),
            'M' => ("M", 1),
            'N' => ("N", 1),
            'R' => ("R", 1),
            _ => ("", 1),
        };
        for k in code.chars() {
            // A doubled sound is one sound: "Mattson" and "Matson", "Garcia" and "Garsia".
            if !out.ends_with(k) {
                out.push(k);
            }
        }
        i += step;
    }
    out.truncate(MAX_SOUND);
    out
}

/// Lower-case text with accents and ligatures folded to plain letters, for comparing names.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkd() {
        match c {
            // Combining marks: the accents NFKD splits off.
            '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' => {}
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'ł' | 'Ł' => out.push('l'),
            'þ' | 'Þ' => out.push_str("th"),
            'ı' => out.push('i'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The child's birth date as YYYY-MM-DD: the real one when known, otherwise estimated from the
/// age at going missing (a child of N was born between N and N + 1 years before, so the middle,
/// N years and six months before). None when neither is known.
pub(crate) fn birth_estimate(date_of_birth: Option<&str>, estimated_age: Option<i64>, missing_date: Option<&str>) -> Option<String> {
    if let Some(dob) = date_of_birth.filter(|d| !d.trim().is_empty()) {
        return Some(dob.trim().to_owned());
    }
    let age = u32::try_from(estimated_age?).ok()?;
    let missing = NaiveDate::parse_from_str(missing_date?.trim(), "%Y-%m-%d").ok()?;
    let born = missing.checked_sub_months(Months::new(age * 12 + 6))?;
    Some(format!("{:04}-{:02}-{:02}", born.year(), born.month(), born.day()))
}

/// Registers `name_sound(text)` and `birth_estimate(dob, estimated_age, missing_date)` on a
/// connection, for migrations that fill or rebuild the duplicate-lookup columns.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("name_sound", 1, flags, |ctx| Ok(name_sound(&ctx.get::<Option<String>>(0)?.unwrap_or_default())))?;
    conn.create_scalar_function("birth_estimate", 3, flags, |ctx| {
        let dob = ctx.get::<Option<String>>(0)?;
        let age = ctx.get::<Option<i64>>(1)?;
        let missing = ctx.get::<Option<String>>(2)?;
        Ok(birth_estimate(dob.as_deref(), age, missing.as_deref()))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_said_alike_share_a_sound() {
        for (a, b) in [
            ("Garcia", "Garza"),
            ("Garcia", "García"),
            ("Okafor", "Okafur"),
            ("Smith", "Smyth"),
            ("Núñez", "Nunez"),
            ("Matthews", "Mathews"),
            ("Hernandez", "Ernandez"),
            ("Philips", "Filips"),
            ("O'Brien", "OBrien"),
            ("Nguyễn", "Nguyen"),
            ("Catherine", "Katherine"),
            ("Whitney", "Witney"),
        ] {
            assert_eq!(name_sound(a), name_sound(b), "{a} / {b}");
            assert!(!name_sound(a).is_empty());
        }
    }

    #[test]
    fn different_names_have_different_sounds() {
        for (a, b) in [("Garcia", "Okafor"), ("Lee", "Li Moreno"), ("Martin", "Marsh"), ("Adams", "Ito"), ("Maya", "Mariam")] {
            assert_ne!(name_sound(a), name_sound(b), "{a} / {b}");
        }
        assert_eq!(name_sound("  -'  "), "");
        assert!(name_sound("Wolfeschlegelsteinhausenbergerdorff").len() <= MAX_SOUND);
    }

    #[test]
    fn a_birth_date_is_the_real_one_or_estimated_from_the_age() {
        assert_eq!(birth_estimate(Some("2012-05-01"), Some(9), Some("2026-01-10")).as_deref(), Some("2012-05-01"));
        assert_eq!(birth_estimate(Some(""), Some(13), Some("2026-09-15")).as_deref(), Some("2013-03-15"));
        assert_eq!(birth_estimate(None, None, Some("2026-09-15")), None);
        assert_eq!(birth_estimate(None, Some(13), Some("soon")), None);
    }

    #[test]
    fn sql_sees_the_same_functions() {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        let (sound, born): (String, Option<String>) = conn
            .query_row("SELECT name_sound('García'), birth_estimate(NULL, 4, '2026-07-01')", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(sound, name_sound("Garcia"));
        assert_eq!(born.as_deref(), Some("2022-01-01"));
    }
}
