//! `porchlight search`: the workspace's full-text search with its filters, and the hits as a
//! table whose snippets show the matched words in bold on a terminal, or in [brackets] when the
//! output goes to a file or another program. Ranking, prefix matching and highlighting are the
//! store's; this module only asks and prints.

use crate::args::{Cli, SearchArgs};
use crate::commands::{open, to_json};
use crate::render;
use porchlight_domain::{AppError, Moment, SearchQuery, SearchResults, Segment};
use std::io::IsTerminal;

pub fn run(cli: &Cli, args: &SearchArgs) -> Result<String, AppError> {
    let mut workspace = open(cli)?;
    // Cases a sync left unsearchable (it was stopped before their entries were written) are
    // made searchable first: a search from here must find every case the workspace holds.
    while workspace.index_backlog(crate::sync::BACKLOG_STEP)? > 0 {}
    let query = SearchQuery {
        text: args.text.clone(),
        status: args.status,
        case_type: args.case_type,
        state: args.state.clone(),
        missing_from_care: args.from_care.then_some(true),
        age_min: args.age_min,
        age_max: args.age_max,
        has_photo: args.has_photo.then_some(true),
        include_archived: args.archived,
        limit: args.limit,
    };
    let results = workspace.search(&query, Moment::now().local.date())?;
    if args.json {
        return to_json(&results);
    }
    Ok(table(&results, Highlight::for_stdout()))
}

/// How matched words stand out in a snippet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Highlight {
    /// ANSI bold, for a person at a terminal.
    Bold,
    /// `[word]`, which survives files, pipes and `NO_COLOR`.
    Brackets,
}

impl Highlight {
    /// Bold only when standard output is a terminal and the user has not asked for no colour
    /// (the `NO_COLOR` convention).
    fn for_stdout() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if std::io::stdout().is_terminal() && !no_color {
            Highlight::Bold
        } else {
            Highlight::Brackets
        }
    }
}

/// The most characters of snippet shown on a row.
const SNIPPET_CHARS: usize = 80;

fn table(results: &SearchResults, style: Highlight) -> String {
    if results.hits.is_empty() {
        return "No cases match.\n".into();
    }
    let rows: Vec<Vec<String>> = results
        .hits
        .iter()
        .map(|hit| {
            let c = &hit.case;
            let name = match (c.family_name.is_empty(), c.given_name.is_empty()) {
                (false, false) => format!("{}, {}", c.family_name, c.given_name),
                _ => format!("{}{}", c.family_name, c.given_name),
            };
            let status = if c.archived { format!("{} (archived)", c.status.label()) } else { c.status.label().to_owned() };
            vec![
                c.case_number.clone(),
                render::clip(&name, 32),
                status,
                c.state.clone().unwrap_or_default(),
                hit.matched_in.clone(),
                snippet(&hit.snippet, style, SNIPPET_CHARS),
            ]
        })
        .collect();
    let mut out = render::grid(&["CASE NUMBER", "NAME", "STATUS", "ST", "MATCHED IN", "MATCH"], &rows);
    let shown = render::count(results.hits.len() as u64);
    if results.more {
        out.push_str(&format!("\nThe {shown} best matches; more cases match. Add words or filters, or raise --limit (at most 200).\n"));
    } else if results.hits.len() == 1 {
        out.push_str("\n1 case matches.\n");
    } else {
        out.push_str(&format!("\n{shown} cases match.\n"));
    }
    out
}

/// The snippet on one line, at most `max` visible characters, keeping the first match in view:
/// text before it is cut from the left and text after the window from the right, each cut
/// marked with an ellipsis.
pub fn snippet(segments: &[Segment], style: Highlight, max: usize) -> String {
    let segments: Vec<(String, bool)> = segments.iter().map(|s| (flatten(&s.text), s.hit)).collect();
    let total: usize = segments.iter().map(|(t, _)| t.chars().count()).sum();
    let before_hit: usize = segments.iter().take_while(|(_, hit)| !hit).map(|(t, _)| t.chars().count()).sum();
    // Start early enough to show some words before the match, late enough to show the match.
    let start = if total <= max { 0 } else { before_hit.saturating_sub(max / 4).min(total - max) };
    let end = (start + max).min(total);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = 0;
    for (text, hit) in &segments {
        let len = text.chars().count();
        let (from, to) = (start.max(at), end.min(at + len));
        if from < to {
            let part: String = text.chars().skip(from - at).take(to - from).collect();
            match (hit, style) {
                (false, _) => out.push_str(&part),
                (true, Highlight::Bold) => out.push_str(&format!("\x1b[1m{part}\x1b[0m")),
                (true, Highlight::Brackets) => out.push_str(&format!("[{part}]")),
            }
        }
        at += len;
    }
    if end < total {
        out.push('…');
    }
    out
}

/// Line breaks and tabs inside a note would break the table's rows.
fn flatten(text: &str) -> String {
    text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(parts: &[(&str, bool)]) -> Vec<Segment> {
        parts.iter().map(|(t, hit)| Segment { text: (*t).into(), hit: *hit }).collect()
    }

    #[test]
    fn matches_are_bracketed_or_bold() {
        let s = segs(&[("Maya ", false), ("Okafor", true), (", Tulsa", false)]);
        assert_eq!(snippet(&s, Highlight::Brackets, 80), "Maya [Okafor], Tulsa");
        assert_eq!(snippet(&s, Highlight::Bold, 80), "Maya \x1b[1mOkafor\x1b[0m, Tulsa");
    }

    #[test]
    fn a_long_snippet_is_cut_around_its_first_match_and_kept_on_one_line() {
        let long_before = "word ".repeat(40);
        let s = segs(&[(&long_before, false), ("Greyhound", true), (" station\nin Dallas and then ", false), ("north", true), (&"x".repeat(100), false)]);
        let out = snippet(&s, Highlight::Brackets, 40);
        assert!(out.starts_with('…') && out.ends_with('…'), "{out}");
        assert!(out.contains("[Greyhound] station in"), "{out}");
        assert!(!out.contains('\n'));
        // Forty visible characters, plus the two brackets of each match and the two ellipses.
        let brackets = out.matches('[').count() * 2;
        assert_eq!(out.chars().count(), 40 + brackets + 2, "{out}");
    }

    #[test]
    fn a_match_at_the_very_end_stays_in_view() {
        let s = segs(&[(&"a".repeat(200), false), ("end", true)]);
        let out = snippet(&s, Highlight::Brackets, 30);
        assert!(out.ends_with("[end]"), "{out}");
    }
}
