//! How the command line shows cases to a person: the list as an aligned table and one case
//! with its fields grouped as the form groups them. It formats only; JSON output is the
//! records themselves, serialised by the caller.

use porchlight_domain::case::age_on;
use porchlight_domain::{CasePage, CaseRecord, CaseStatus, CaseType, Height, PaperSize, PhotoKind, PhotoRecord, PosterLanguage, PosterRecord, Units, Weight};
use std::fmt::Write;

/// A case type in a few words, to keep the table narrow.
fn short_type(t: CaseType) -> &'static str {
    match t {
        CaseType::EndangeredRunaway => "Runaway",
        CaseType::FamilyAbduction => "Family abduction",
        CaseType::NonfamilyAbduction => "Nonfamily abduction",
        CaseType::LostInjuredMissing => "Lost/injured",
        CaseType::CriticallyMissingYoungAdult => "Young adult",
    }
}

pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// Thousands separated by commas, as people read counts.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let first = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let mut out = digits[..first].to_owned();
    for group in digits.as_bytes()[first..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or_default());
    }
    out
}

/// Rows under headers, each column as wide as its widest cell. The last column is not padded,
/// so it may hold long text (or terminal escapes, which have no width).
pub fn grid(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        let cells: Vec<&str> = cells.collect();
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(&mut headers.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// "1 note", "3 notes": a count with its noun, thousands grouped.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n as u64), if n == 1 { one } else { many })
}

/// A stored time as people read it in a table.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Text on one line: line breaks and runs of spaces become one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Wraps text under an indent, keeping the writer's paragraphs.
pub fn indented(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for paragraph in text.split('\n') {
        let lines = wrap(paragraph, TEXT_WIDTH);
        if lines.is_empty() {
            out.push('\n');
        }
        for line in lines {
            let _ = writeln!(out, "{pad}{line}");
        }
    }
    out
}

pub fn table(page: &CasePage, sort_note: &str) -> String {
    let headers = ["CASE NUMBER", "NAME", "STATUS", "TYPE", "MISSING", "CITY", "ST"];
    let rows: Vec<[String; 7]> = page
        .rows
        .iter()
        .map(|r| {
            let name = match (r.family_name.is_empty(), r.given_name.is_empty()) {
                (false, false) => format!("{}, {}", r.family_name, r.given_name),
                _ => format!("{}{}", r.family_name, r.given_name),
            };
            let status = if r.archived { format!("{} (archived)", r.status.label()) } else { r.status.label().to_owned() };
            [
                r.case_number.clone(),
                clip(&name, 32),
                status,
                short_type(r.case_type).to_owned(),
                r.missing_date.clone(),
                clip(&r.city, 22),
                r.state.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            out.push_str(cell);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str(if page.total == 0 { "No cases match.\n" } else { "No cases on this page.\n" });
        if page.total > 0 {
            let _ = writeln!(out, "{} cases match in all; use a smaller --offset.", count(u64::from(page.total)));
        }
        return out;
    }
    out.push_str(&line(&headers.map(String::from)));
    for row in &rows {
        out.push_str(&line(row));
    }
    let first = page.offset + 1;
    let last = page.offset + rows.len() as u32;
    let _ = writeln!(out, "\nCases {}–{} of {}, {sort_note}.", count(u64::from(first)), count(u64::from(last)), count(u64::from(page.total)));
    out
}

/// Writes `label  value` lines, skipping values left empty, and wraps long text under the value
/// column.
struct Sheet {
    out: String,
}

const LABEL_WIDTH: usize = 24;
const TEXT_WIDTH: usize = 72;

impl Sheet {
    fn heading(&mut self, title: &str) {
        let _ = writeln!(self.out, "\n{title}");
    }

    fn field(&mut self, label: &str, value: impl AsRef<str>) {
        let value = value.as_ref().trim();
        if value.is_empty() {
            return;
        }
        let indent = " ".repeat(2 + LABEL_WIDTH);
        let mut first = true;
        for paragraph in value.split('\n') {
            let lines = wrap(paragraph, TEXT_WIDTH);
            // An empty paragraph is the blank line between two others.
            let lines = if lines.is_empty() { vec![String::new()] } else { lines };
            for line in lines {
                if first {
                    let _ = writeln!(self.out, "  {label:<LABEL_WIDTH$}{line}");
                    first = false;
                } else if line.is_empty() {
                    self.out.push('\n');
                } else {
                    let _ = writeln!(self.out, "{indent}{line}");
                }
            }
        }
    }
}

/// Greedy word wrap by characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "" }
}

fn join_present(parts: &[&str], sep: &str) -> String {
    parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(sep)
}

fn height_text(cm: f64, units: Units) -> String {
    match Height::from_cm(cm) {
        Ok(h) => {
            let (ft, inch) = h.feet_inches();
            match units {
                Units::Imperial => format!("{ft} ft {inch} in ({} cm)", h.cm()),
                Units::Metric => format!("{} cm ({ft} ft {inch} in)", h.cm()),
            }
        }
        Err(_) => format!("{cm} cm"),
    }
}

fn weight_text(kg: f64, units: Units) -> String {
    match Weight::from_kg(kg) {
        Ok(w) => match units {
            Units::Imperial => format!("{} lb ({} kg)", w.pounds(), w.kg()),
            Units::Metric => format!("{} kg ({} lb)", w.kg(), w.pounds()),
        },
        Err(_) => format!("{kg} kg"),
    }
}

/// One case, every field that holds something, grouped as the case form is.
pub fn case(record: &CaseRecord, photos: &[PhotoRecord], posters: &[PosterRecord]) -> String {
    let f = &record.fields;
    let c = &f.child;
    let d = &f.description;
    let e = &f.event;
    let le = &f.law_enforcement;
    let name = join_present(&[&c.given_name, &c.middle_name, &c.family_name], " ");
    let mut s = Sheet { out: String::new() };
    let archived = record.archived_at.map(|a| format!(", archived {}", a.format("%Y-%m-%d"))).unwrap_or_default();
    let _ = writeln!(s.out, "{}  {}  [{}{archived}]", record.case_number, name, record.status.label());
    let _ = writeln!(
        s.out,
        "id {}, version {}, created {}, updated {}",
        record.id,
        record.version,
        record.created_at.format("%Y-%m-%d %H:%M UTC"),
        record.updated_at.format("%Y-%m-%d %H:%M UTC")
    );

    s.heading("Case");
    s.field("Type", f.case_type.map(|t| t.label()).unwrap_or(""));
    s.field("NCIC category", f.ncic_category.map(|t| t.label()).unwrap_or(""));
    if f.missing_from_care {
        s.field("Missing from care", format!("yes: {} (confidential)", f.care_agency));
    }
    if f.amber_alert {
        s.field("AMBER Alert", join_present(&["issued", &f.amber_alert_issued_at.replace('T', " ")], " "));
    }

    s.heading("Child");
    s.field("Name", &name);
    s.field("Nicknames, aliases", &c.nicknames);
    let missing = chrono::NaiveDate::parse_from_str(&e.last_seen_date, "%Y-%m-%d").ok();
    let born = chrono::NaiveDate::parse_from_str(&c.date_of_birth, "%Y-%m-%d").ok();
    match (born, c.estimated_age) {
        (Some(born), _) => {
            let age = missing.map(|m| format!(" ({} when last seen)", age_on(born, m))).unwrap_or_default();
            s.field("Date of birth", format!("{born}{age}"));
        }
        (None, Some(age)) => s.field("Age", format!("about {age} when last seen (birth date unknown)")),
        (None, None) => {}
    }
    s.field("Sex", c.sex.map(|x| x.label()).unwrap_or(""));
    s.field("Race", c.race.map(|x| x.label()).unwrap_or(""));
    s.field("Hispanic or Latino", match c.hispanic_latino {
        Some(true) => "yes",
        Some(false) => "no",
        None => "",
    });

    s.heading("Description");
    if let Some(cm) = d.height_cm {
        s.field("Height", height_text(cm, d.units));
    }
    if let Some(kg) = d.weight_kg {
        s.field("Weight", weight_text(kg, d.units));
    }
    s.field("Hair", d.hair.map(|x| x.label()).unwrap_or(""));
    s.field("Eyes", d.eyes.map(|x| x.label()).unwrap_or(""));
    s.field("Skin", d.skin.map(|x| x.label()).unwrap_or(""));
    s.field("Glasses", yes(d.glasses));
    s.field("Braces", yes(d.braces));
    s.field("Scars, marks, tattoos", &d.scars_marks_tattoos);
    s.field("Clothing", &d.clothing);
    if !d.medical_cautions.trim().is_empty() {
        s.field("Medical (confidential)", &d.medical_cautions);
    }

    s.heading("The event");
    s.field("Last seen", join_present(&[&e.last_seen_date, &e.last_seen_time], " "));
    s.field("Missing from", join_present(&[&e.address, &e.city, &e.county, &e.state, &e.country], ", "));
    s.field("Possible destinations", &e.possible_destinations);
    s.field("Circumstances", &e.circumstances);

    if !f.companions.is_empty() {
        s.heading("Companions");
        for (i, p) in f.companions.iter().enumerate() {
            let born = if p.date_of_birth.is_empty() { String::new() } else { format!("born {}", p.date_of_birth) };
            s.field(&format!("{}.", i + 1), join_present(&[&p.name, &p.relationship, &born], ", "));
            s.field("", &p.description);
        }
    }
    if !f.vehicles.is_empty() {
        s.heading("Vehicles");
        for (i, v) in f.vehicles.iter().enumerate() {
            let year = v.year.map(|y| y.to_string()).unwrap_or_default();
            let plate = if v.plate.is_empty() { String::new() } else { format!("plate {} {}", v.plate, v.plate_state) };
            let vin = if v.vin.is_empty() { String::new() } else { format!("VIN {}", v.vin) };
            let what = join_present(&[&year, &v.color, &v.make, &v.model, &v.style], " ");
            s.field(&format!("{}.", i + 1), join_present(&[&what, plate.trim(), &vin], ", "));
        }
    }

    s.heading("Law enforcement");
    s.field("Agency", &le.agency_name);
    s.field("ORI", &le.ori);
    s.field("Agency case number", &le.agency_case_number);
    s.field("Investigator", join_present(&[&le.investigator_name, &le.investigator_phone], ", "));
    s.field("NCIC number", &le.ncic_number);

    if !photos.is_empty() {
        s.heading("Photos");
        for p in photos {
            let kind = match (p.meta.kind, p.meta.age_progressed_to) {
                (Some(PhotoKind::AgeProgressed), Some(age)) => format!("age progressed to {age}"),
                (Some(PhotoKind::AgeProgressed), None) => "age progressed".to_owned(),
                (Some(PhotoKind::Companion), _) => "companion".to_owned(),
                (Some(PhotoKind::Vehicle), _) => "vehicle".to_owned(),
                (Some(PhotoKind::Photo) | None, _) => "photo".to_owned(),
            };
            let taken = if p.meta.taken_on.is_empty() { String::new() } else { format!("taken {}", p.meta.taken_on) };
            let flags = join_present(&[if p.is_primary { "primary" } else { "" }, if p.meta.consent_to_publish { "may be published" } else { "not for publication" }], ", ");
            s.field(&kind, join_present(&[&taken, &format!("{}×{} {}", p.width, p.height, p.mime), &p.meta.source, &flags], "; "));
        }
    }

    if !posters.is_empty() {
        // Once the child is found, every poster still up is a poster to take down.
        let found = matches!(record.status, CaseStatus::LocatedAlive | CaseStatus::LocatedDeceased | CaseStatus::Recovered | CaseStatus::Resolved);
        s.heading(if found { "Take these posters down" } else { "Posters produced" });
        for p in posters {
            let paper = match p.paper {
                PaperSize::Letter => "Letter",
                PaperSize::A4 => "A4",
            };
            let language = match p.language {
                PosterLanguage::En => "English",
                PosterLanguage::Es => "Spanish",
            };
            let siblings = if p.case_ids.len() > 1 { format!(", with {}", plural(p.case_ids.len() - 1, "other child", "other children")) } else { String::new() };
            s.field(
                &p.produced_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                join_present(&[&format!("{} {paper} {language}{siblings}", p.channel), &p.destination, &format!("by {}", p.produced_by)], "; "),
            );
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(28886), "28,886");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(plural(1, "note", "notes"), "1 note");
        assert_eq!(plural(1200, "note", "notes"), "1,200 notes");
    }

    #[test]
    fn long_text_wraps_on_words_and_clipping_marks_the_cut() {
        let lines = wrap("one two three four five six", 9);
        assert_eq!(lines, vec!["one two", "three", "four five", "six"]);
        assert_eq!(clip("Nguyễn Thị Minh Khai", 8), "Nguyễn …");
        assert_eq!(clip("Ana", 8), "Ana");
    }

    #[test]
    fn a_grid_aligns_every_column_but_the_last() {
        let rows = vec![vec!["PL-1".to_string(), "Ana".to_string(), "a long last cell".to_string()], vec!["PL-22".into(), "Bo".into(), "x".into()]];
        assert_eq!(grid(&["ID", "NAME", "NOTE"], &rows), "ID     NAME  NOTE\nPL-1   Ana   a long last cell\nPL-22  Bo    x\n");
        assert_eq!(indented("one two\n\nthree", 4), "    one two\n\n    three\n");
    }
}
