//! Instant search over every case with SQLite FTS5: the search document of each case (kept in
//! step by `reindex_case` inside every write's own transaction), turning what a person types
//! into a safe query, ranking with cut-off, filters, and highlighted snippets as plain segments.
//! It does not decide what a case means or who may see it; it only finds cases.
//!
//! Ranking (`case_rank`, registered on every connection) weighs where the words matched: names
//! far above numbers, numbers above places, places above circumstances, notes and contacts,
//! each repeat of a word in a column counting less than the one before. It is bm25 without the
//! inverse document frequency, which FTS5 computes by reading every match of every word on
//! every query (10 ms for a word found in all of 100,000 cases); the table's default rank, bm25
//! from migration 0003, is not used here. Every match must still be scored before the best can
//! be chosen, so when a query matches more than `WINDOW` cases (fewer per extra word), only the
//! newest of them are scored: a query that common says little about which case is meant, and
//! the newest cases are the likeliest to be looked for. The cut-off is found by walking the
//! match list from its newest end, which FTS5 does without scoring anything.

use crate::cases::{current_fields, summary_from_row};
use crate::error::StoreError;
use crate::workspace::Workspace;
use chrono::{Datelike, Months, NaiveDate};
use porchlight_domain::{CaseFields, CaseId, SearchHit, SearchQuery, SearchResults, Segment, UsState};
use rusqlite::types::Value;
use rusqlite::{ffi, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::ffi::c_int;

/// Marks the start and end of a matched word in FTS5's highlights: private-use characters that
/// are stripped from indexed text, so only FTS5 can put them there.
const HIT_START: char = '\u{E000}';
const HIT_END: char = '\u{E001}';
/// The first character of every filter token (see `case_facets` in migration 0003).
const FACET: char = '\u{F8F0}';
/// How many of the newest matches are scored when a query matches more (see the module text).
pub const WINDOW: i64 = 5_000;
/// The version of the search document's make-up; a workspace indexed under another is
/// re-indexed when opened.
const INDEX_VERSION: &str = "1";
/// Up to how many cases passing the filters alone are sorted by missing date directly.
const FEW: i64 = 2_000;
/// Results per query when the caller does not say, and at most.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;
const MAX_TEXT_CHARS: usize = 200;
/// The longest prefix index (migration 0003); a longer word being typed is matched on this
/// many of its first characters.
const LONGEST_PREFIX: usize = 8;
/// A word being typed this short matches names, numbers and places only.
const SHORT_PREFIX: usize = 2;
/// The fewest matches scored however many words a query has, and the number scored for a
/// letter or two being typed or for words found everywhere (see `words_expression`).
const MIN_WINDOW: i64 = 1_000;
/// Words shown around a match in a long text.
const SNIPPET_WORDS: i64 = 14;

/// The columns of `case_search`, in order, as people call them.
const COLUMNS: [&str; 6] = ["Name", "Case number", "Place", "Circumstances", "Note", "Contact"];

/// Rewrites the search document of a case from its current form, its current notes and its
/// current contacts, in the caller's transaction. Every write that changes any of these calls
/// it before committing, so search never finds text that is gone nor misses text just saved.
pub(crate) fn reindex_case(tx: &Transaction, case: CaseId) -> Result<(), StoreError> {
    let seq: i64 = tx
        .prepare_cached("SELECT seq FROM cases WHERE id = ?1")?
        .query_row([case.as_uuid().as_bytes()], |row| row.get(0))
        .optional()?
        .ok_or(StoreError::NotFound(case))?;
    reindex_seq(tx, seq)
}

/// `reindex_case` by the case's row number, for writers that have it at hand.
pub(crate) fn reindex_seq(conn: &Connection, seq: i64) -> Result<(), StoreError> {
    write_document(conn, seq, Writes::One)
}

/// `reindex_seq` for a transaction that re-indexes many cases (an import, a page of changes
/// from the central service).
pub(crate) fn reindex_in_bulk(conn: &Connection, seq: i64) -> Result<(), StoreError> {
    write_document(conn, seq, Writes::Many)
}

/// How a transaction writes search documents. FTS5 flushes its pending terms to a new segment
/// at every statement savepoint, and its automatic merging does work in proportion to the
/// pages it flushes. A write of one case flushes the old document's deletion at the savepoint
/// of its insert, then the new document at commit: twice, and the merging this pays for keeps
/// the index as compact as instant search needs (one flush instead left it a sixth larger and
/// searches a third slower). A transaction of thousands of cases must not flush per case (that
/// was half the time of a large import): it inserts with a single-row VALUES, which opens no
/// savepoint, and its terms go to disk together at commit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writes {
    One,
    Many,
}

fn write_document(conn: &Connection, seq: i64, writes: Writes) -> Result<(), StoreError> {
    let (id, case_number): ([u8; 16], String) =
        conn.prepare_cached("SELECT id, case_number FROM cases WHERE seq = ?1")?.query_row([seq], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let fields: CaseFields = serde_json::from_str(&current_fields(conn, seq)?)
        .map_err(|e| StoreError::Corrupt(format!("the fields of case row {seq} cannot be read: {e}")))?;
    let notes: Vec<String> = conn
        .prepare_cached(
            "SELECT v.text FROM note_versions v
             WHERE v.case_id = ?1
               AND v.rowid = (SELECT w.rowid FROM note_versions w WHERE w.note_id = v.note_id ORDER BY w.version DESC, w.stamp_key DESC LIMIT 1)
             ORDER BY v.note_id",
        )?
        .query_map([id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let contacts: Vec<String> = conn
        .prepare_cached("SELECT name FROM contacts WHERE case_id = ?1 AND removed_at IS NULL ORDER BY created_at, id")?
        .query_map([id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let child = &fields.child;
    let event = &fields.event;
    let police = &fields.law_enforcement;
    let state_name = UsState::parse(&event.state).map(|s| s.name()).unwrap_or("");
    let document = [
        join(&[&child.given_name, &child.middle_name, &child.family_name, &child.nicknames]),
        join(&[&case_number, &police.agency_case_number, &police.ncic_number]),
        join(&[&event.address, &event.city, &event.county, &event.state, state_name, &event.country, &event.possible_destinations]),
        clean(&event.circumstances),
        clean(&notes.join("\n")),
        clean(&contacts.join(", ")),
    ];
    let facets: String = conn.prepare_cached("SELECT facets FROM case_facets WHERE seq = ?1")?.query_row([seq], |row| row.get(0))?;
    // Most edits change no searchable word (a description, a date, a status whose facet the
    // trigger has already moved), and replacing an entry with the same words is most of the
    // cost of a page of such edits from the central service: FTS5 deletes and re-adds every
    // term and prefix of the case's notes. An entry that already holds these words is kept.
    let stored: Option<[String; 7]> = conn
        .prepare_cached("SELECT names, numbers, places, circumstances, notes, contacts, facets FROM case_search WHERE rowid = ?1")?
        .query_row([seq], |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?]))
        .optional()?;
    let unchanged = stored.is_some_and(|held| held[..6] == document[..] && held[6] == facets);
    if !unchanged {
        conn.prepare_cached("DELETE FROM case_search WHERE rowid = ?1")?.execute([seq])?;
        match writes {
            Writes::One => conn
                .prepare_cached(
                    "INSERT INTO case_search (rowid, names, numbers, places, circumstances, notes, contacts, facets)
                     SELECT seq, ?2, ?3, ?4, ?5, ?6, ?7, facets FROM case_facets WHERE seq = ?1",
                )?
                .execute(rusqlite::params![seq, document[0], document[1], document[2], document[3], document[4], document[5]])?,
            Writes::Many => conn
                .prepare_cached(
                    "INSERT INTO case_search (rowid, names, numbers, places, circumstances, notes, contacts, facets) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(rusqlite::params![seq, document[0], document[1], document[2], document[3], document[4], document[5], facets])?,
        };
    }
    conn.prepare_cached("DELETE FROM search_backlog WHERE seq = ?1")?.execute([seq])?;
    Ok(())
}

/// The non-empty parts, one space apart, cleaned.
fn join(parts: &[&str]) -> String {
    clean(&parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" "))
}

/// Text as indexed: private-use characters (the highlight marks and filter tokens) replaced,
/// so that nothing a person typed can pose as either.
fn clean(text: &str) -> String {
    text.chars().map(|c| if is_private_use(c) { '\u{FFFD}' } else { c }).collect()
}

fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// Makes the connection ready to search: registers `case_rank`, and builds the index of a
/// workspace whose cases were stored before search existed (or under an older make-up of the
/// document), once, when it is opened.
pub(crate) fn ensure_index(conn: &mut Connection) -> Result<usize, StoreError> {
    register_rank(conn)?;
    let current = |conn: &Connection| -> rusqlite::Result<bool> {
        let version: Option<String> =
            conn.query_row("SELECT value FROM workspace_meta WHERE key = 'search_index'", [], |row| row.get(0)).optional()?;
        Ok(version.as_deref() == Some(INDEX_VERSION))
    };
    if current(conn)? {
        return Ok(0);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process (the CLI beside the app) may have built it while this one waited.
    if current(&tx)? {
        return Ok(0);
    }
    tx.execute("DELETE FROM case_search", [])?;
    let seqs: Vec<i64> = tx.prepare("SELECT seq FROM cases ORDER BY seq")?.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    for seq in &seqs {
        reindex_in_bulk(&tx, *seq)?;
    }
    tx.execute(
        "INSERT INTO workspace_meta (key, value) VALUES ('search_index', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [INDEX_VERSION],
    )?;
    tx.commit()?;
    Ok(seqs.len())
}

/// The filters of a query, checked, as FTS5 terms and as SQL over `cases`.
struct Filters {
    /// Facet tokens every hit must carry.
    required: Vec<String>,
    /// Groups of which a hit must carry at least one (birth years).
    any_of: Vec<Vec<String>>,
    /// Facet tokens no hit may carry.
    excluded: Vec<String>,
    /// SQL terms over `cases c` for the search without words, with their parameters.
    sql: Vec<String>,
    params: Vec<Value>,
    /// The exact bounds of the birth date for the age range: after `.0`, on or before `.1`.
    born: Option<(Option<String>, Option<String>)>,
}

fn facet(name: &str) -> String {
    format!("\"{FACET}{name}\"")
}

impl Filters {
    fn of(query: &SearchQuery, today: NaiveDate) -> Result<Filters, StoreError> {
        let mut f = Filters { required: Vec::new(), any_of: Vec::new(), excluded: Vec::new(), sql: Vec::new(), params: Vec::new(), born: None };
        let param = |params: &mut Vec<Value>, value: Value| {
            params.push(value);
            format!("?{}", params.len())
        };
        if !query.include_archived {
            f.excluded.push(facet("archived"));
            f.sql.push("c.archived_at IS NULL".into());
        }
        if let Some(status) = query.status {
            f.required.push(facet(&format!("status{}", status.code().replace('_', ""))));
            let p = param(&mut f.params, Value::Text(status.code().into()));
            f.sql.push(format!("c.status = {p}"));
        }
        if let Some(case_type) = query.case_type {
            f.required.push(facet(&format!("type{}", case_type.code().to_lowercase())));
            let p = param(&mut f.params, Value::Text(case_type.code().into()));
            f.sql.push(format!("c.case_type = {p}"));
        }
        if let Some(state) = query.state.as_deref().filter(|s| !s.trim().is_empty()) {
            let state = UsState::parse(state).map_err(|e| StoreError::field("state", e.0))?;
            f.required.push(facet(&format!("state{}", state.code().to_lowercase())));
            let p = param(&mut f.params, Value::Text(state.code().into()));
            f.sql.push(format!("c.state = {p}"));
        }
        match query.missing_from_care {
            Some(true) => {
                f.required.push(facet("care"));
                f.sql.push("c.missing_from_care = 1".into());
            }
            Some(false) => {
                f.excluded.push(facet("care"));
                f.sql.push("c.missing_from_care = 0".into());
            }
            None => {}
        }
        let photo = "EXISTS (SELECT 1 FROM case_photos p JOIN blobs b ON b.sha256 = p.sha256 WHERE p.case_seq = c.seq AND p.deleted = 0)";
        match query.has_photo {
            Some(true) => {
                f.required.push(facet("photo"));
                f.sql.push(photo.into());
            }
            Some(false) => {
                f.excluded.push(facet("photo"));
                f.sql.push(format!("NOT {photo}"));
            }
            None => {}
        }
        if query.age_min.is_some() || query.age_max.is_some() {
            if let (Some(min), Some(max)) = (query.age_min, query.age_max) {
                if min > max {
                    return Err(StoreError::field("age_max", format!("The highest age ({max}) is below the lowest ({min}); swap them.")));
                }
            }
            let years_before = |years: u8| today.checked_sub_months(Months::new(12 * u32::from(years)));
            // Aged at least `min` today: born on or before today, `min` years ago. Aged at most
            // `max`: born after today, `max + 1` years ago.
            let latest = query.age_min.map(|min| years_before(min).ok_or_else(|| StoreError::field("age_min", "Enter an age from 0 to 25.")));
            let earliest = query.age_max.map(|max| years_before(max.saturating_add(1)).ok_or_else(|| StoreError::field("age_max", "Enter an age from 0 to 25.")));
            let latest = latest.transpose()?;
            let earliest = earliest.transpose()?;
            match (earliest, latest) {
                (Some(earliest), latest) => {
                    let last_year = latest.map_or(today.year(), |d| d.year());
                    f.any_of.push((earliest.year()..=last_year).map(|y| facet(&format!("born{y}"))).collect());
                }
                (None, Some(latest)) => {
                    f.excluded.extend((latest.year() + 1..=today.year()).map(|y| facet(&format!("born{y}"))));
                }
                (None, None) => {}
            }
            let text = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
            if let Some(latest) = latest {
                let p = param(&mut f.params, Value::Text(text(latest)));
                f.sql.push(format!("c.birth_on <= {p}"));
            }
            if let Some(earliest) = earliest {
                let p = param(&mut f.params, Value::Text(text(earliest)));
                f.sql.push(format!("c.birth_on > {p}"));
            }
            if latest.is_some() || earliest.is_some() {
                f.sql.push("c.birth_on IS NOT NULL".into());
            }
            f.born = Some((earliest.map(text), latest.map(text)));
        }
        Ok(f)
    }

    /// The FTS5 expression: the words, then the filters.
    fn match_expression(&self, words: &str) -> String {
        let mut positive = vec![format!("({words})")];
        positive.extend(self.required.iter().cloned());
        positive.extend(self.any_of.iter().map(|group| format!("({})", group.join(" OR "))));
        let positive = positive.join(" AND ");
        if self.excluded.is_empty() {
            positive
        } else {
            format!("({positive}) NOT ({})", self.excluded.join(" OR "))
        }
    }

    /// The filters alone as an FTS5 expression, when at least one names something a case has
    /// (FTS5 cannot answer "every case without …" on its own).
    fn facets_expression(&self) -> Option<String> {
        let mut positive: Vec<String> = self.required.clone();
        positive.extend(self.any_of.iter().map(|group| format!("({})", group.join(" OR "))));
        if positive.is_empty() {
            return None;
        }
        let positive = positive.join(" AND ");
        Some(if self.excluded.is_empty() { positive } else { format!("({positive}) NOT ({})", self.excluded.join(" OR ")) })
    }

    /// Whether a birth date passes the age range exactly (the year tokens only narrow it).
    fn admits(&self, birth_on: Option<&str>) -> bool {
        match (&self.born, birth_on) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some((after, until)), Some(born)) => after.as_deref().is_none_or(|a| born > a) && until.as_deref().is_none_or(|u| born <= u),
        }
    }
}

/// What a person typed, as an FTS5 query: every word quoted (so quotes, `-`, `*`, `:`,
/// parentheses, `NEAR`, `AND` and the like are only words), the last one a prefix unless a
/// space follows it, as while typing; with how many of the newest matches to score (see
/// `WINDOW`). None when nothing searchable is left. One or two letters being typed match the start of names (and numbers and places)
/// only: they are the beginning of a name far more often than of a word in a note, and in the
/// notes they would match nearly every word.
fn words_expression(text: &str) -> Result<Option<(String, i64)>, StoreError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(StoreError::field("text", format!("Search for at most {MAX_TEXT_CHARS} characters.")));
    }
    let typing = !text.ends_with(char::is_whitespace);
    let mut words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.chars().filter(|c| !is_private_use(*c)).collect::<String>())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    // Words found in nearly every case ("the", "with") narrow nothing and make the scoring
    // slow; beside other words they are left out. A query of only such words keeps them.
    let only_common = words.iter().all(|w| is_stop_word(w));
    if !only_common {
        let last = words.len() - 1;
        let mut index = 0;
        words.retain(|w| {
            index += 1;
            (typing && index - 1 == last) || !is_stop_word(w)
        });
    }
    let Some(last) = words.last_mut() else { return Ok(None) };
    if typing {
        *last = indexed_prefix(last);
    }
    let quote = |w: &String| format!("\"{}\"", w.replace('"', "\"\""));
    let mut phrases: Vec<String> = words.iter().map(quote).collect();
    let mut short = false;
    if typing {
        // A word of several tokens ("PL-2611-7") is a phrase, narrow enough already.
        let letters = words.last().map_or(0, |w| {
            let token = last_token(w);
            if token == w.trim_matches(|c: char| !c.is_alphanumeric()) { token.chars().count() } else { usize::MAX }
        });
        let last = phrases.last_mut().expect("one word at least");
        last.push('*');
        // One letter is most often the start of a name; two may be a state or a case number.
        if letters == 1 {
            *last = format!("{{names}} : {last}");
        } else if letters <= SHORT_PREFIX {
            *last = format!("{{names numbers places}} : {last}");
        }
        short = letters <= SHORT_PREFIX;
    }
    // Each word costs the scoring about as much again, so more words score fewer matches; a
    // letter or two being typed, or words found everywhere, match so widely (and so often in
    // each case) that only a few are scored.
    let window = if short || only_common { MIN_WINDOW } else { (WINDOW / phrases.len() as i64).max(MIN_WINDOW) };
    Ok(Some((phrases.join(" AND "), window)))
}

/// English words so common in notes and circumstances that they tell no case from another.
/// Name particles ("de", "la", "van") are not among them.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have", "he", "her", "him", "his", "i", "in",
    "is", "it", "its", "not", "of", "on", "or", "she", "so", "that", "the", "their", "them", "then", "there", "they", "this", "to",
    "was", "were", "with",
];

fn is_stop_word(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    STOP_WORDS.binary_search(&word.as_str()).is_ok()
}

/// The letters and digits at the end of a word: the token FTS5 makes last.
fn last_token(word: &str) -> &str {
    let start = word.char_indices().rev().take_while(|(_, c)| c.is_alphanumeric()).last().map_or(word.len(), |(i, _)| i);
    &word[start..]
}

/// A word being typed, cut so that its last token is at most `LONGEST_PREFIX` characters long
/// and so has a prefix index ("counsello" matches as "counsell").
fn indexed_prefix(word: &str) -> String {
    // Trailing punctuation makes no token; the prefix is the last word's letters.
    let word = word.trim_end_matches(|c: char| !c.is_alphanumeric());
    let token = last_token(word);
    let token_start = word.len() - token.len();
    match token.char_indices().nth(LONGEST_PREFIX) {
        Some((cut, _)) => word[..token_start + cut].to_owned(),
        None => word.to_owned(),
    }
}

/// The columns a summary is read from (see `cases::summary_from_row`), and the birth date.
const SUMMARY: &str = "c.id, c.case_number, c.given_name, c.family_name, c.status, c.case_type, c.state, c.city, c.missing_date,
     c.date_of_birth, c.missing_from_care, c.archived_at, c.updated_at, c.birth_on";

/// Leaves the search entry of a case that has just arrived to `Workspace::index_backlog`.
pub(crate) fn index_later(conn: &Connection, seq: i64) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO search_backlog (seq) VALUES (?1) ON CONFLICT (seq) DO NOTHING")?.execute([seq])?;
    Ok(())
}

/// Whether a case's search entry is still to be written.
pub(crate) fn is_in_backlog(conn: &Connection, seq: i64) -> Result<bool, StoreError> {
    Ok(conn.prepare_cached("SELECT 1 FROM search_backlog WHERE seq = ?1")?.exists([seq])?)
}

fn backlog(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.prepare_cached("SELECT count(*) FROM search_backlog")?.query_row([], |row| row.get(0))?)
}

/// Cases made searchable per step of the backlog while a person may be working: a quarter of a
/// second or so of holding the workspace in a release build (the app's sync thread, and the
/// benchmarks that time what the app does).
pub const BACKLOG_STEP: usize = 1000;

impl Workspace {
    /// How many cases received from the central service are not searchable yet.
    pub fn search_backlog(&self) -> Result<u32, StoreError> {
        backlog(&self.conn)
    }

    /// Writes the search entries of up to `most` cases of the backlog, oldest first, in one
    /// transaction, and answers how many are left. Callers run it in short steps between the
    /// person's own commands until nothing is left, `BACKLOG_STEP` cases at a time, so nobody
    /// waits long for the workspace.
    pub fn index_backlog(&mut self, most: usize) -> Result<u32, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seqs: Vec<i64> = tx
            .prepare_cached("SELECT seq FROM search_backlog ORDER BY seq LIMIT ?1")?
            .query_map([most.min(i64::MAX as usize) as i64], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for seq in seqs {
            reindex_in_bulk(&tx, seq)?;
        }
        let left = backlog(&tx)?;
        tx.commit()?;
        Ok(left)
    }

    /// Finds cases by words in their names, numbers, places, circumstances, current notes and
    /// current contacts, narrowed by the filters, best first and cut off at `query.limit`
    /// (default 50, at most 200). Without words, the cases passing the filters, most recently
    /// missing first.
    pub fn search(&self, query: &SearchQuery, today: NaiveDate) -> Result<SearchResults, StoreError> {
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n if n > MAX_LIMIT => return Err(StoreError::field("limit", format!("Ask for at most {MAX_LIMIT} results."))),
            n => n,
        } as usize;
        let filters = Filters::of(query, today)?;
        match words_expression(&query.text)? {
            Some((words, window)) => self.search_words(&filters.match_expression(&words), &filters, limit, window),
            None => self.search_filters(&filters, limit, FEW),
        }
    }

    fn search_words(&self, expression: &str, filters: &Filters, limit: usize, window: i64) -> Result<SearchResults, StoreError> {
        // The newest `window` matches are scored; `edge` is the newest one left out, if any.
        let edge: Option<i64> = self
            .conn
            .prepare_cached("SELECT rowid FROM case_search WHERE case_search MATCH ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2")?
            .query_row(rusqlite::params![expression, window], |row| row.get(0))
            .optional()?;
        let mut ranked = self.conn.prepare_cached(
            "SELECT rowid, highlight(case_search, 0, ?3, ?4), highlight(case_search, 1, ?3, ?4), highlight(case_search, 2, ?3, ?4),
                    snippet(case_search, 3, ?3, ?4, '…', ?5), snippet(case_search, 4, ?3, ?4, '…', ?5), highlight(case_search, 5, ?3, ?4)
             FROM case_search WHERE case_search MATCH ?1 AND rank MATCH 'case_rank()' AND rowid > ?2 ORDER BY rank LIMIT ?6",
        )?;
        // With an age range the year tokens let through a few cases just outside it, checked
        // below, so the rows are read until enough pass rather than cut at the limit.
        let read = if filters.born.is_some() { window } else { limit as i64 + 1 };
        let mut rows = ranked.query(rusqlite::params![
            expression,
            edge.unwrap_or(0),
            HIT_START.to_string(),
            HIT_END.to_string(),
            SNIPPET_WORDS,
            read
        ])?;
        let mut summary = self.conn.prepare_cached(&format!("SELECT {SUMMARY} FROM cases c WHERE c.seq = ?1"))?;
        let mut hits = Vec::with_capacity(limit + 1);
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let (case, birth_on) = summary.query_row([seq], |r| Ok((summary_from_row(r)?, r.get::<_, Option<String>>(13)?)))?;
            if !filters.admits(birth_on.as_deref()) {
                continue;
            }
            let columns: Vec<String> = (1..=6).map(|i| row.get(i)).collect::<Result<_, _>>()?;
            let (matched_in, snippet) = best_column(&columns);
            hits.push(SearchHit { case, matched_in, snippet });
            if hits.len() > limit {
                break;
            }
        }
        let more = hits.len() > limit || edge.is_some();
        hits.truncate(limit);
        Ok(SearchResults { hits, more, indexing: backlog(&self.conn)? })
    }

    /// Without words. When the filters name something a case has (a state, a status, …), the
    /// index finds the cases that pass; if they are few, they are sorted by missing date
    /// directly. Otherwise the cases are walked most recently missing first until enough pass,
    /// which is quick precisely because many do.
    fn search_filters(&self, filters: &Filters, limit: usize, few: i64) -> Result<SearchResults, StoreError> {
        let n = filters.params.len();
        let sql_terms = filters.sql.join(" AND ");
        let mut hits = None;
        if let Some(expression) = filters.facets_expression() {
            let beyond_few = self
                .conn
                .prepare_cached("SELECT rowid FROM case_search WHERE case_search MATCH ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2")?
                .exists(rusqlite::params![expression, few])?;
            if !beyond_few {
                let sql = format!(
                    "SELECT {SUMMARY} FROM case_search CROSS JOIN cases c ON c.seq = case_search.rowid
                     WHERE case_search MATCH ?{} AND {sql_terms} ORDER BY c.missing_date DESC, c.id DESC LIMIT ?{}",
                    n + 1,
                    n + 2
                );
                let params = filters.params.iter().cloned().chain([Value::Text(expression), Value::Integer(limit as i64 + 1)]);
                hits = Some(self.conn.prepare_cached(&sql)?.query_map(rusqlite::params_from_iter(params), filter_hit)?.collect::<Result<Vec<_>, _>>()?);
            }
        }
        let mut hits = match hits {
            Some(hits) => hits,
            None => {
                // `+column` keeps SQLite from picking a filter's index and sorting what it finds
                // (10,000 cases of one state take 35 ms); the walk of the missing-date index,
                // which carries the common filter columns, stops after the first `limit` hits.
                let walked = sql_terms.replace("c.", "+c.");
                let clause = if walked.is_empty() { String::new() } else { format!("WHERE {walked}") };
                let sql = format!("SELECT {SUMMARY} FROM cases c {clause} ORDER BY c.missing_date DESC, c.id DESC LIMIT ?{}", n + 1);
                let params = filters.params.iter().cloned().chain([Value::Integer(limit as i64 + 1)]);
                self.conn.prepare_cached(&sql)?.query_map(rusqlite::params_from_iter(params), filter_hit)?.collect::<Result<Vec<_>, _>>()?
            }
        };
        let more = hits.len() > limit;
        hits.truncate(limit);
        Ok(SearchResults { hits, more, indexing: backlog(&self.conn)? })
    }
}

fn filter_hit(row: &rusqlite::Row) -> rusqlite::Result<SearchHit> {
    Ok(SearchHit { case: summary_from_row(row)?, matched_in: String::new(), snippet: Vec::new() })
}

/// Column weights of `case_rank`, in the order of `case_search`'s columns (the facets never count).
const WEIGHTS: [f64; 7] = [10.0, 6.0, 3.0, 1.5, 1.0, 2.0, 0.0];
/// How fast repeats of a word stop adding to its weight in a column (bm25's k1).
const SATURATION: f64 = 1.2;

/// Registers the FTS5 ranking function `case_rank` on a connection; queries name it with
/// `rank MATCH 'case_rank()'`.
fn register_rank(conn: &Connection) -> Result<(), StoreError> {
    let failed = |what: &str| StoreError::Corrupt(format!("the search ranking could not be set up ({what})"));
    // SAFETY: the statement and the pointer it fills live only inside this block, on the
    // connection `conn` owns; FTS5 hands out its `fts5_api` through `sqlite3_bind_pointer` as
    // documented ("Extending FTS5"), and keeps it alive as long as the connection. The function
    // registered has no user data and nothing to destroy.
    unsafe {
        let db = conn.handle();
        let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
        if ffi::sqlite3_prepare_v2(db, c"SELECT fts5(?1)".as_ptr(), -1, &mut stmt, std::ptr::null_mut()) != ffi::SQLITE_OK {
            return Err(failed("FTS5 is missing"));
        }
        let mut api: *mut ffi::fts5_api = std::ptr::null_mut();
        ffi::sqlite3_bind_pointer(stmt, 1, (&mut api as *mut *mut ffi::fts5_api).cast(), c"fts5_api_ptr".as_ptr(), None);
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
        if api.is_null() || (*api).iVersion < 2 {
            return Err(failed("FTS5 is too old"));
        }
        let create = (*api).xCreateFunction.ok_or_else(|| failed("no xCreateFunction"))?;
        if create(api, c"case_rank".as_ptr(), std::ptr::null_mut(), Some(case_rank), None) != ffi::SQLITE_OK {
            return Err(failed("the function was refused"));
        }
    }
    Ok(())
}

/// The rank of one matching case, lower first: minus the sum, over each phrase of the query and
/// each column it matched in, of the column's weight times `n / (n + SATURATION)` for its `n`
/// matches there. It reads only the match positions FTS5 already holds for the row.
unsafe extern "C" fn case_rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    _argc: c_int,
    _argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 calls this with a valid API table and context for the current row, and a
    // result context to set; nothing here outlives the call.
    unsafe {
        let api = &*api;
        let (Some(inst_count), Some(inst), Some(phrase_count)) = (api.xInstCount, api.xInst, api.xPhraseCount) else {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_MISUSE);
            return;
        };
        let phrases = usize::try_from(phrase_count(fts)).unwrap_or(0);
        let mut counts = vec![[0u32; WEIGHTS.len()]; phrases];
        let mut n: c_int = 0;
        let rc = inst_count(fts, &mut n);
        if rc != ffi::SQLITE_OK {
            ffi::sqlite3_result_error_code(ctx, rc);
            return;
        }
        for i in 0..n {
            let (mut phrase, mut column, mut offset): (c_int, c_int, c_int) = (0, 0, 0);
            let rc = inst(fts, i, &mut phrase, &mut column, &mut offset);
            if rc != ffi::SQLITE_OK {
                ffi::sqlite3_result_error_code(ctx, rc);
                return;
            }
            let slot = usize::try_from(phrase).ok().and_then(|p| counts.get_mut(p)).and_then(|c| usize::try_from(column).ok().and_then(|col| c.get_mut(col)));
            if let Some(slot) = slot {
                *slot += 1;
            }
        }
        let score: f64 = counts
            .iter()
            .flat_map(|per_column| per_column.iter().zip(WEIGHTS))
            .filter(|(n, _)| **n > 0)
            .map(|(n, weight)| weight * f64::from(*n) / (f64::from(*n) + SATURATION))
            .sum();
        ffi::sqlite3_result_double(ctx, -score);
    }
}

/// The column that best explains a hit: the one where most different query words matched, the
/// heavier column on a tie; with its highlighted text as segments.
fn best_column(columns: &[String]) -> (String, Vec<Segment>) {
    let mut best: Option<(usize, usize, Vec<Segment>)> = None;
    for (index, text) in columns.iter().enumerate() {
        let segments = segments(text);
        let mut words: Vec<String> = segments.iter().filter(|s| s.hit).map(|s| s.text.to_lowercase()).collect();
        words.sort();
        words.dedup();
        if !words.is_empty() && best.as_ref().is_none_or(|(_, count, _)| words.len() > *count) {
            best = Some((index, words.len(), segments));
        }
    }
    match best {
        Some((index, _, segments)) => (COLUMNS[index].to_owned(), segments),
        // Every hit matched somewhere; a document whose marks went missing still shows a name.
        None => (COLUMNS[0].to_owned(), segments(&columns[0])),
    }
}

/// Splits highlighted text at the marks into plain and matched runs, with runs of white space
/// (a note's line breaks among them) shown as one space.
fn segments(text: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut current = String::new();
    let mut hit = false;
    let push = |out: &mut Vec<Segment>, text: &mut String, hit: bool| {
        if text.is_empty() {
            return;
        }
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let collapsed = match (text.starts_with(char::is_whitespace), text.ends_with(char::is_whitespace)) {
            _ if collapsed.is_empty() => " ".to_owned(),
            (true, true) => format!(" {collapsed} "),
            (true, false) => format!(" {collapsed}"),
            (false, true) => format!("{collapsed} "),
            (false, false) => collapsed,
        };
        match out.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(&collapsed),
            _ => out.push(Segment { text: collapsed, hit }),
        }
        text.clear();
    };
    for c in text.chars() {
        match c {
            HIT_START => {
                push(&mut out, &mut current, hit);
                hit = true;
            }
            HIT_END => {
                push(&mut out, &mut current, hit);
                hit = false;
            }
            c => current.push(c),
        }
    }
    push(&mut out, &mut current, hit);
    if let Some(first) = out.first_mut() {
        first.text = first.text.trim_start().to_owned();
    }
    if let Some(last) = out.last_mut() {
        last.text = last.text.trim_end().to_owned();
    }
    out.retain(|s| !s.text.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_quoted_and_only_the_last_is_a_prefix_while_typing() {
        let expression = |text: &str| words_expression(text).unwrap().map(|(e, _)| e);
        assert_eq!(expression("maya garc").as_deref(), Some("\"maya\" AND \"garc\"*"));
        assert_eq!(words_expression("maya garcia ").unwrap(), Some(("\"maya\" AND \"garcia\"".to_owned(), WINDOW / 2)));
        assert_eq!(words_expression("maya").unwrap().map(|w| w.1), Some(WINDOW));
        assert_eq!(words_expression("the").unwrap().map(|w| w.1), Some(MIN_WINDOW), "common words alone score few matches");
        assert_eq!(words_expression("maya g").unwrap().map(|w| w.1), Some(MIN_WINDOW), "so does a letter being typed");
        assert_eq!(expression("say \"hello\"").as_deref(), Some("\"say\" AND \"\"\"hello\"*"));
        assert_eq!(expression("say \"hi\" ").as_deref(), Some("\"say\" AND \"\"\"hi\"\"\""));
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]), "sorted, for the binary search");
        assert_eq!(expression("NEAR(a b) OR -xyz").as_deref(), Some("\"NEAR(a\" AND \"b)\" AND \"-xyz\"*"));
        assert_eq!(expression("  - * ( ) : \" "), None);
        assert_eq!(expression(""), None);
        assert_eq!(expression("\u{E000}maya\u{E001}").as_deref(), Some("\"maya\"*"));
        assert!(matches!(words_expression(&"a".repeat(201)), Err(StoreError::Validation(f)) if f[0].field == "text"));
        assert_eq!(expression("counsellors").as_deref(), Some("\"counsell\"*"), "a long word being typed is cut to an indexed prefix");
        assert_eq!(expression("counsellors ").as_deref(), Some("\"counsellors\""), "a finished word is whole");
        assert_eq!(expression("pl-2611-abcdefghij").as_deref(), Some("\"pl-2611-abcdefgh\"*"));
        assert_eq!(expression("Núñezgarcía").as_deref(), Some("\"Núñezgar\"*"));
        assert_eq!(expression("o'brien,").as_deref(), Some("\"o'brien\"*"));
        assert_eq!(expression("counsellors,").as_deref(), Some("\"counsell\"*"));
        assert_eq!(expression("Denver co").as_deref(), Some("\"Denver\" AND {names numbers places} : \"co\"*"), "two letters typed: names, numbers, places");
        assert_eq!(expression("m").as_deref(), Some("{names} : \"m\"*"));
        assert_eq!(expression("the park").as_deref(), Some("\"park\"*"), "common words beside others are left out");
        assert_eq!(expression("The mother ").as_deref(), Some("\"mother\""));
        assert_eq!(expression("the with ").as_deref(), Some("\"the\" AND \"with\""), "a query of only common words keeps them");
        assert_eq!(expression("park the").as_deref(), Some("\"park\" AND \"the\"*"), "the word being typed may become another");
        assert_eq!(expression("de la cruz").as_deref(), Some("\"de\" AND \"la\" AND \"cruz\"*"));
        assert_eq!(expression("pl-26").as_deref(), Some("\"pl-26\"*"), "a word of several tokens is a phrase, narrow enough");
        assert_eq!(expression("(m").as_deref(), Some("{names} : \"(m\"*"));
        assert_eq!(expression("co ").as_deref(), Some("\"co\""), "a finished short word is searched everywhere");
    }

    #[test]
    fn highlights_become_segments_with_spaces_kept_between_runs() {
        let text = format!("Maya {HIT_START}Núñez{HIT_END} Ortiz");
        assert_eq!(
            segments(&text),
            vec![
                Segment { text: "Maya ".into(), hit: false },
                Segment { text: "Núñez".into(), hit: true },
                Segment { text: " Ortiz".into(), hit: false },
            ]
        );
        let note = format!("…called\nthe {HIT_START}school{HIT_END}\n\n{HIT_START}bus{HIT_END} depot…");
        let joined: Vec<(String, bool)> = segments(&note).into_iter().map(|s| (s.text, s.hit)).collect();
        assert_eq!(
            joined,
            vec![("…called the ".into(), false), ("school".into(), true), (" ".into(), false), ("bus".into(), true), (" depot…".into(), false)]
        );
        assert_eq!(segments(""), vec![]);
    }

    #[test]
    fn the_column_with_most_different_words_wins_and_ties_go_to_the_heavier() {
        let mark = |w: &str| format!("{HIT_START}{w}{HIT_END}");
        let columns = |cells: [&str; 6]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let name = format!("Ana {}", mark("Lopez"));
        let note = format!("{} met {} at the {}", mark("Lopez"), mark("school"), mark("bus"));
        let (label, _) = best_column(&columns([&name, "PL-1", "Reno", "", &note, ""]));
        assert_eq!(label, "Note");
        let place = mark("Reno");
        let (label, segments) = best_column(&columns([&name, "PL-1", &place, "", "", ""]));
        assert_eq!(label, "Name");
        assert!(segments.iter().any(|s| s.hit && s.text == "Lopez"));
    }

    use chrono::{TimeZone, Utc};
    use porchlight_domain::{CaseFields, CaseType, ChildFields, EventFields, Moment, Sex};

    const PASSPHRASE: &str = "Search windows open wide 7";

    fn now() -> Moment {
        Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap())
    }

    fn child(given: &str, family: &str, circumstances: &str) -> CaseFields {
        CaseFields {
            case_type: Some(CaseType::EndangeredRunaway),
            child: ChildFields { given_name: given.into(), family_name: family.into(), date_of_birth: "2012-03-04".into(), sex: Some(Sex::Female), ..Default::default() },
            event: EventFields {
                last_seen_date: "2026-11-01".into(),
                city: "Dayton".into(),
                state: "OH".into(),
                circumstances: circumstances.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn names(results: &SearchResults) -> Vec<String> {
        results.hits.iter().map(|h| h.case.given_name.clone()).collect()
    }

    #[test]
    fn the_bundled_sqlite_has_fts5() {
        let conn = Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn.prepare("PRAGMA compile_options").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    }

    #[test]
    fn only_the_newest_matches_of_a_common_word_are_scored() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, now()).unwrap();
        // The oldest case matches best (the word is its name); four newer ones mention it.
        ws.create_case(&child("Rain", "Cole", ""), now()).unwrap();
        for given in ["Ana", "Bea", "Cy", "Di"] {
            ws.create_case(&child(given, "Ames", "Left home in the rain without a coat."), now()).unwrap();
        }
        let query = SearchQuery { text: "rain".into(), ..Default::default() };
        let filters = Filters::of(&query, now().local.date()).unwrap();
        let expression = filters.match_expression(&words_expression(&query.text).unwrap().unwrap().0);
        let everything = ws.search_words(&expression, &filters, 10, 100).unwrap();
        assert_eq!(names(&everything)[0], "Rain", "scored in full, the name match leads");
        assert!(!everything.more);
        let newest = ws.search_words(&expression, &filters, 10, 3).unwrap();
        let mut found = names(&newest);
        found.sort();
        assert_eq!(found, vec!["Bea", "Cy", "Di"], "only the three newest matches are scored");
        assert!(newest.more, "the cut-off says there is more");
        assert_eq!(ws.search(&query, now().local.date()).unwrap().hits.len(), 5);
    }

    #[test]
    fn filters_alone_find_the_same_cases_through_the_index_and_by_walking() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, now()).unwrap();
        let states = ["TX", "WY", "OH", "TX", "CA"];
        for (i, given) in ["Ana", "Bea", "Cy", "Di", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu"].iter().enumerate() {
            let mut f = child(given, "Ames", "");
            f.event.state = states[i % states.len()].into();
            f.event.last_seen_date = format!("2026-0{}-1{}", 1 + i % 9, i % 10);
            f.child.date_of_birth = format!("20{:02}-05-06", 8 + i);
            f.missing_from_care = i % 3 == 0;
            if f.missing_from_care {
                f.care_agency = "County Child Welfare".into();
            }
            let id = ws.create_case(&f, now()).unwrap().id;
            if i % 4 == 1 {
                ws.set_archived(id, true, now()).unwrap();
            }
        }
        let today = now().local.date();
        let queries = [
            SearchQuery::default(),
            SearchQuery { state: Some("TX".into()), ..Default::default() },
            SearchQuery { state: Some("TX".into()), include_archived: true, ..Default::default() },
            SearchQuery { missing_from_care: Some(true), ..Default::default() },
            SearchQuery { missing_from_care: Some(false), state: Some("OH".into()), ..Default::default() },
            SearchQuery { age_min: Some(10), age_max: Some(14), ..Default::default() },
            SearchQuery { age_max: Some(12), include_archived: true, ..Default::default() },
            SearchQuery { has_photo: Some(false), case_type: Some(CaseType::EndangeredRunaway), ..Default::default() },
        ];
        for query in &queries {
            let filters = Filters::of(query, today).unwrap();
            let walked = ws.search_filters(&filters, 5, 0).unwrap();
            let indexed = ws.search_filters(&filters, 5, 1_000).unwrap();
            assert_eq!(walked, indexed, "{query:?}");
            let all = ws.search_filters(&filters, 50, 1_000).unwrap();
            assert_eq!(all.hits.len() > 5, walked.more, "{query:?}");
        }
    }

    #[test]
    fn a_workspace_indexed_before_search_existed_is_indexed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.porchlight");
        let mut ws = Workspace::create(&path, PASSPHRASE, now()).unwrap();
        ws.create_case(&child("Noor", "Haddad", ""), now()).unwrap();
        // As a workspace from before migration 0003 would be: cases, no index.
        ws.conn.execute_batch("DELETE FROM case_search; DELETE FROM workspace_meta WHERE key = 'search_index';").unwrap();
        let today = now().local.date();
        assert!(ws.search(&SearchQuery { text: "haddad".into(), ..Default::default() }, today).unwrap().hits.is_empty());
        drop(ws);
        let ws = Workspace::open(&path, PASSPHRASE).unwrap();
        assert_eq!(names(&ws.search(&SearchQuery { text: "haddad".into(), ..Default::default() }, today).unwrap()), vec!["Noor"]);
    }

    #[test]
    fn the_index_gathers_sixteen_mib_of_terms_per_segment_also_after_it_is_built_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.porchlight");
        let ws = Workspace::create(&path, PASSPHRASE, now()).unwrap();
        let hashsize = |ws: &Workspace| -> i64 { ws.conn.query_row("SELECT v FROM case_search_config WHERE k = 'hashsize'", [], |row| row.get(0)).unwrap() };
        assert_eq!(hashsize(&ws), 16 << 20, "migration 0009");
        ws.conn.execute("DELETE FROM workspace_meta WHERE key = 'search_index'", []).unwrap();
        drop(ws);
        let ws = Workspace::open(&path, PASSPHRASE).unwrap();
        assert_eq!(hashsize(&ws), 16 << 20, "kept when the index is built again on opening");
    }

    #[test]
    fn a_status_change_moves_the_case_between_filters_in_the_same_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(&dir.path().join("w.porchlight"), PASSPHRASE, now()).unwrap();
        let id = ws.create_case(&child("Noor", "Haddad", ""), now()).unwrap().id;
        // Whoever writes the status column, the trigger of migration 0003 keeps the filters true.
        ws.conn.execute("UPDATE cases SET status = 'active' WHERE id = ?1", [id.as_uuid().as_bytes()]).unwrap();
        let today = now().local.date();
        let active = SearchQuery { text: "noor".into(), status: Some(porchlight_domain::CaseStatus::Active), ..Default::default() };
        assert_eq!(names(&ws.search(&active, today).unwrap()), vec!["Noor"]);
        let intake = SearchQuery { status: Some(porchlight_domain::CaseStatus::Intake), ..active };
        assert!(ws.search(&intake, today).unwrap().hits.is_empty());
    }

    #[test]
    fn indexed_text_cannot_carry_marks_or_filter_tokens() {
        assert_eq!(clean(&format!("a{HIT_START}b{FACET}c")), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(join(&["  Maya ", "", "Ortiz"]), "Maya Ortiz");
    }
}
