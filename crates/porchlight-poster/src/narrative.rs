//! The public part of the circumstances narrative. Case managers write the circumstances for
//! themselves as well as for the public, and a sentence such as "she left her foster home" or
//! "she needs insulin" is confidential: foster-care status and medical details never reach a
//! poster. This keeps only the sentences that mention neither; it does not rewrite sentences.

/// Words and phrases that mark a sentence as confidential, matched case-insensitively on word
/// starts, in English and Spanish. Over-matching costs a sentence on a poster; under-matching
/// would publish a child's care or health, so the list errs wide.
const CONFIDENTIAL: &[&str] = &[
    // Care status and the people and places of child welfare.
    "foster", "group home", "residential", "placement", "placed in", "caseworker", "case worker",
    "social worker", "child welfare", "child protective", "cps", "dcfs", "dss", "in care",
    "state custody", "custody of the state", "ward of", "care home", "care facility",
    "acogida", "hogar de acogida", "tutela", "trabajador social", "trabajadora social",
    // Health.
    "medic", "insulin", "diabet", "seizure", "epilep", "autis", "bipolar", "schizo", "depress",
    "suicid", "psychiatr", "diagnos", "prescri", "pregnan", "asthma", "adhd", "therap",
    "hospital", "inhaler", "disorder", "mental health", "overdose", "self-harm", "self harm",
    "enfermedad", "embaraz", "convuls",
];

/// The sentences of `text` that are fit to print, joined as they were.
pub(crate) fn public_circumstances(text: &str, care_agency: &str) -> String {
    let agency = care_agency.trim().to_lowercase();
    sentences(text)
        .into_iter()
        .filter(|sentence| {
            let lower = sentence.to_lowercase();
            let names_agency = agency.len() >= 3 && lower.contains(&agency);
            !names_agency && !CONFIDENTIAL.iter().any(|term| mentions(&lower, term))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when `term` starts a word in `lower` (so "cps" does not match inside "hiccups").
fn mentions(lower: &str, term: &str) -> bool {
    lower.match_indices(term).any(|(at, _)| {
        at == 0 || !lower[..at].chars().next_back().is_some_and(char::is_alphanumeric)
    })
}

/// Splits on sentence ends (. ! ? and line breaks), keeping each sentence's punctuation.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            push(&mut out, &mut current);
            continue;
        }
        current.push(c);
        if matches!(c, '.' | '!' | '?') && chars.peek().is_none_or(|n| n.is_whitespace()) {
            push(&mut out, &mut current);
        }
    }
    push(&mut out, &mut current);
    out
}

fn push(out: &mut Vec<String>, current: &mut String) {
    let s = current.split_whitespace().collect::<Vec<_>>().join(" ");
    if !s.is_empty() {
        out.push(s);
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_about_care_or_health_are_left_off() {
        let text = "Brooklyn left the foster home in San Jose before school and did not return. Staff reported Brooklyn missing the same evening.\nShe needs insulin daily. She may be travelling to Oakland!";
        assert_eq!(
            public_circumstances(text, ""),
            "Staff reported Brooklyn missing the same evening. She may be travelling to Oakland!"
        );
    }

    #[test]
    fn the_care_agency_is_never_printed() {
        let text = "Last seen at Riverside Youth Services on Elm Street. She was wearing a red coat.";
        assert_eq!(public_circumstances(text, "Riverside Youth Services"), "She was wearing a red coat.");
    }

    #[test]
    fn terms_match_word_starts_only() {
        assert_eq!(public_circumstances("He had hiccups at the bus stop.", ""), "He had hiccups at the bus stop.");
        assert_eq!(public_circumstances("CPS was called.", ""), "");
        assert_eq!(public_circumstances("Salió del hogar de acogida.", ""), "");
    }
}
