//! Possible duplicates of a child being saved: cases whose child sounds alike, was born within
//! about a year, and went missing from the same state. It owns the sound key of a name and the
//! estimated birth date kept in `cases` for this lookup, and finds candidates by an index range
//! rather than by reading every case. It never blocks a save: the front end warns, the person
//! decides.

use crate::cases::summary_from_row;
use crate::error::StoreError;
use crate::workspace::Workspace;
use chrono::{Datelike, Months, NaiveDate};
use porchlight_domain::values::collapse_spaces;
use porchlight_domain::{CaseFields, CaseId, CaseSummary, DuplicateCandidate, UsState};
use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;
use unicode_normalization::UnicodeNormalization;

/// The most candidates shown: a person reads them all before saving.
const MAX_CANDIDATES: usize = 5;
/// How alike two full names must be (Jaro-Winkler on folded, lower-case names, 1 = the same).
const NAME_THRESHOLD: f64 = 0.85;
/// Real birth dates at most this many days apart count as "born within a year".
const BIRTH_DAYS: i64 = 366;
/// With an estimated birth date on either side, the estimate's half year of doubt is added.
const ESTIMATED_BIRTH_DAYS: i64 = 366 + 183;
/// Index entries read for one sound key when a birth date is unknown, so a very common name
/// cannot turn the check into a long walk.
const UNDATED_LIMIT: i64 = 5_000;

/// The columns read for a candidate: the list summary, then the birth estimate.
const CANDIDATE_COLUMNS: &str = "id, case_number, given_name, family_name, status, case_type, state, city, missing_date, date_of_birth,
     missing_from_care, archived_at, updated_at, birth_on, given_sound, family_sound";

impl Workspace {
    /// Cases whose child may be the one in `fields` (a form being saved, not yet valid): a name
    /// that sounds or is spelt alike, born within about a year, and missing from the same
    /// state. A name alike is required, and one of the birth date or the state besides; a
    /// birth date more than a year apart rules a case out. At most five, the likeliest first;
    /// `exclude` is the case being edited. The check reads a few index ranges, never every
    /// case.
    pub fn find_duplicates(&self, fields: &CaseFields, exclude: Option<CaseId>) -> Result<Vec<DuplicateCandidate>, StoreError> {
        let child = Probe::of(fields);
        if child.given_sound.is_empty() && child.family_sound.is_empty() {
            return Ok(Vec::new());
        }
        // First the index alone: each sound index carries the birth date and the lower-cased
        // name, so cases whose name is not alike are passed over without reading their rows
        // (each row read is a page to decrypt).
        let mut alike: Vec<i64> = Vec::new();
        let mut walk = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<(), StoreError> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            while let Some(row) = rows.next()? {
                let seq: i64 = row.get(0)?;
                let name_key: String = row.get(1)?;
                if strsim::jaro_winkler(&child.name, &fold(&name_key)) >= NAME_THRESHOLD && !alike.contains(&seq) {
                    alike.push(seq);
                }
            }
            Ok(())
        };
        match child.born {
            Some((born, _)) => {
                let lo = born.checked_sub_months(Months::new(18)).unwrap_or(born).format("%Y-%m-%d").to_string();
                let hi = born.checked_add_months(Months::new(18)).unwrap_or(born).format("%Y-%m-%d").to_string();
                for (column, sound) in [("family_sound", &child.family_sound), ("given_sound", &child.given_sound)] {
                    if sound.is_empty() {
                        continue;
                    }
                    walk(&born_between_sql(column), &[sound, &lo, &hi])?;
                    walk(&undated_sql(column), &[sound, &UNDATED_LIMIT])?;
                }
            }
            None => {
                let sound = if child.family_sound.is_empty() { &child.given_sound } else { &child.family_sound };
                let column = if child.family_sound.is_empty() { "given_sound" } else { "family_sound" };
                walk(&any_birth_sql(column), &[sound, &UNDATED_LIMIT])?;
            }
        }
        let mut rows: Vec<(CaseSummary, Option<String>, String, String)> = Vec::with_capacity(alike.len());
        let mut stmt = self.conn.prepare_cached(&format!("SELECT {CANDIDATE_COLUMNS} FROM cases WHERE seq = ?1"))?;
        for seq in alike {
            let row = stmt.query_row([seq], |row| Ok((summary_from_row(row)?, row.get(13)?, row.get(14)?, row.get(15)?)))?;
            if Some(row.0.id) != exclude {
                rows.push(row);
            }
        }
        let mut scored: Vec<(f64, DuplicateCandidate)> = rows.into_iter().filter_map(|row| child.compare(row)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.case.case_number.cmp(&b.1.case.case_number)));
        scored.truncate(MAX_CANDIDATES);
        Ok(scored.into_iter().map(|(_, c)| c).collect())
    }
}

/// Row numbers and name keys of cases with a sound key (`?1`) born between two dates (`?2`,
/// `?3`): one range of the column's covering `(sound, birth_on, name_key)` index.
fn born_between_sql(column: &str) -> String {
    format!("SELECT seq, name_key FROM cases WHERE {column} = ?1 AND birth_on BETWEEN ?2 AND ?3")
}

/// The same for cases with a sound key and no birth date at all, at most `?2` of them.
fn undated_sql(column: &str) -> String {
    format!("SELECT seq, name_key FROM cases WHERE {column} = ?1 AND birth_on IS NULL LIMIT ?2")
}

/// The same whatever the birth date, at most `?2` of them.
fn any_birth_sql(column: &str) -> String {
    format!("SELECT seq, name_key FROM cases WHERE {column} = ?1 LIMIT ?2")
}

/// The child being saved, reduced to what the comparison needs.
struct Probe {
    /// Folded "given family".
    name: String,
    given_sound: String,
    family_sound: String,
    /// The birth date and whether it is the real one (not estimated from an age).
    born: Option<(NaiveDate, bool)>,
    state: Option<&'static str>,
}

impl Probe {
    fn of(fields: &CaseFields) -> Probe {
        let given = collapse_spaces(&fields.child.given_name);
        let family = collapse_spaces(&fields.child.family_name);
        let dob = parse_date(&fields.child.date_of_birth);
        let born = match dob {
            Some(d) => Some((d, true)),
            None => birth_estimate(None, fields.child.estimated_age.map(i64::from), Some(&fields.event.last_seen_date))
                .and_then(|d| parse_date(&d))
                .map(|d| (d, false)),
        };
        Probe {
            name: fold(&format!("{given} {family}")),
            given_sound: name_sound(&given),
            family_sound: name_sound(&family),
            born,
            state: UsState::parse(&fields.event.state).ok().map(|s| s.code()),
        }
    }

    /// The candidate with its score and reasons, or None when it is not alike enough.
    fn compare(&self, (case, birth_on, given_sound, family_sound): (CaseSummary, Option<String>, String, String)) -> Option<(f64, DuplicateCandidate)> {
        let their_name = format!("{} {}", case.given_name, case.family_name);
        let folded = fold(&their_name);
        let similarity = strsim::jaro_winkler(&self.name, &folded);
        if similarity < NAME_THRESHOLD {
            return None;
        }
        let mut reasons = Vec::new();
        let mut score = similarity * 2.0;
        if folded == self.name {
            reasons.push(format!("Same name: {their_name}"));
        } else if given_sound == self.given_sound && family_sound == self.family_sound {
            reasons.push(format!("Name sounds like {their_name}"));
        } else {
            reasons.push(format!("Name spelt like {their_name}"));
        }
        let theirs = birth_on.as_deref().and_then(parse_date).map(|d| (d, case.date_of_birth.is_some()));
        let mut birth_matches = false;
        if let (Some((mine, mine_real)), Some((their, their_real))) = (self.born, theirs) {
            let apart = (mine - their).num_days().abs();
            let both_real = mine_real && their_real;
            if apart > if both_real { BIRTH_DAYS } else { ESTIMATED_BIRTH_DAYS } {
                return None;
            }
            birth_matches = true;
            // Closer birth dates rank higher; an estimate counts for less than a real date.
            let closeness = 1.0 - apart as f64 / (2.0 * ESTIMATED_BIRTH_DAYS as f64);
            if both_real && apart == 0 {
                reasons.push(format!("Same date of birth ({their})"));
            } else if both_real {
                reasons.push(format!("Born within a year ({their})"));
            } else {
                reasons.push(format!("Close in age (born about {})", their.year()));
            }
            score += if both_real { closeness } else { closeness / 2.0 };
        }
        let same_state = self.state.is_some() && case.state.as_deref() == self.state;
        if same_state {
            reasons.push(format!("Same state ({})", self.state.unwrap_or_default()));
            score += 0.5;
        }
        if !birth_matches && !same_state {
            return None;
        }
        if case.archived {
            reasons.push("Archived case".to_owned());
        }
        Some((score, DuplicateCandidate { case, reasons }))
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

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

    /// The check must stay an index lookup on 100,000 cases: every query it runs walks one
    /// range of a sound index and never scans the table.
    #[test]
    fn every_candidate_query_is_an_index_range() {
        let dir = tempfile::tempdir().unwrap();
        let now = porchlight_domain::Moment::at_utc(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 21, 9, 0, 0).unwrap());
        let ws = Workspace::create(&dir.path().join("w.porchlight"), "Sound keys find twins 4", now).unwrap();
        for column in ["family_sound", "given_sound"] {
            for sql in [born_between_sql(column), undated_sql(column), any_birth_sql(column)] {
                let mut stmt = ws.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                let unbound = rusqlite::params_from_iter(std::iter::repeat_n(rusqlite::types::Value::Null, stmt.parameter_count()));
                let plan: Vec<String> = stmt.query_map(unbound, |row| row.get::<_, String>(3)).unwrap().collect::<Result<_, _>>().unwrap();
                let plan = plan.join("; ");
                assert!(plan.contains(&format!("USING COVERING INDEX cases_by_{column}")), "{sql}: {plan}");
                assert!(!plan.contains("SCAN"), "{sql}: {plan}");
            }
        }
    }

    /// Cases saved before the sound keys existed get them when the workspace is migrated.
    #[test]
    fn migrating_fills_the_keys_of_existing_cases() {
        let mut conn = Connection::open_in_memory().unwrap();
        let (_, _, first) = crate::migrate::MIGRATIONS[0];
        conn.execute_batch(first).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        for (seq, given, family, dob, age) in [(1, "Maya", "Okafor", Some("2011-04-02"), None), (2, "Lena", "Núñez", None, Some(9))] {
            conn.execute(
                "INSERT INTO cases (seq, id, case_number, given_name, family_name, name_key, family_key, status, case_type, state, city,
                     missing_date, date_of_birth, missing_from_care, created_at, updated_at, version)
                 VALUES (?1, randomblob(16), 'PL-' || ?1, ?2, ?3, lower(?2 || ' ' || ?3), lower(?3 || ' ' || ?2), 'intake', 'ERU', 'OK', 'Tulsa',
                     '2026-10-01', ?4, 0, '2026-10-02T00:00:00.000000Z', '2026-10-02T00:00:00.000000Z', 1)",
                rusqlite::params![seq, given, family, dob],
            )
            .unwrap();
            let form = serde_json::json!({ "child": { "given_name": given, "family_name": family, "estimated_age": age } }).to_string();
            conn.execute(
                "INSERT INTO case_events (case_seq, kind, version, actor, at, new) VALUES (?1, 'create', 1, 'tester', '2026-10-02T00:00:00.000000Z', ?2)",
                rusqlite::params![seq, form],
            )
            .unwrap();
        }
        crate::migrate::migrate(&mut conn).unwrap();
        let keys: Vec<(String, String, Option<String>)> = conn
            .prepare("SELECT given_sound, family_sound, birth_on FROM cases ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            keys,
            vec![
                (name_sound("Maya"), name_sound("Okafor"), Some("2011-04-02".to_owned())),
                (name_sound("Lena"), name_sound("Nunez"), Some("2017-04-01".to_owned())),
            ]
        );
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
