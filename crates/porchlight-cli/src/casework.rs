//! `porchlight notes`, `porchlight status` and `porchlight contacts`: the daily records of a
//! case, each a call to one store use case and a few lines of text back. Validity (which status
//! moves are allowed, what a note or a contact needs) is the domain's, applied by the store;
//! refusals come back naming the field and are printed as they are.

use crate::args::{Cli, ContactAddArgs, ContactsCommand, NoteText, NotesCommand, StatusCommand};
use crate::commands::{open, read_text, record_id, resolve, to_json};
use crate::render::{grid, indented, one_line, plural, when};
use porchlight_domain::{
    AppError, ContactFields, ContactRecord, ErrorCode, FieldError, Moment, NoteCategory, NoteInput, NoteRecord, NoteVersion,
    Relationship, StatusChange, StatusEvent,
};
use std::fmt::Write;

pub fn notes(cli: &Cli, command: &NotesCommand) -> Result<String, AppError> {
    match command {
        NotesCommand::Add { case, category, text, json } => {
            // Read the text before the passphrase, so a missing file costs no unlock.
            let text = note_text(text)?;
            let mut workspace = open(cli)?;
            let id = resolve(&workspace, case)?;
            let note = workspace.add_note(id, &NoteInput { category: *category, text }, Moment::now())?;
            if *json {
                return to_json(&note);
            }
            Ok(format!("Added note {} ({}) to case {case}.\n", note.current.note_id, note.current.category.label()))
        }
        NotesCommand::List { case, json } => {
            let mut workspace = open(cli)?;
            let id = resolve(&workspace, case)?;
            let view = workspace.open_case(id, Moment::now())?;
            if *json {
                return to_json(&view.notes);
            }
            Ok(note_list(&view.record.case_number, &view.notes))
        }
        NotesCommand::Edit { note, text, category, expect_version, json } => {
            let note_id = record_id(note, "note", "note")?;
            let text = note_text(text)?;
            let mut workspace = open(cli)?;
            let versions = workspace.note_history(note_id)?;
            let current = versions
                .last()
                .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("There is no note {note_id} in this workspace.")))?;
            let input = NoteInput { category: category.unwrap_or(current.category), text };
            let edited = workspace.edit_note(note_id, expect_version.unwrap_or(current.version), &input, Moment::now())?;
            if *json {
                return to_json(&edited);
            }
            if edited.current.version == current.version {
                return Ok(format!("Note {note_id} is unchanged: version {} already says that.\n", current.version));
            }
            Ok(format!(
                "Saved version {} of note {}; the earlier {} kept in its history.\n",
                edited.current.version,
                edited.current.note_id,
                if edited.current.version == 2 { "version is" } else { "versions are" }
            ))
        }
        NotesCommand::History { note, json } => {
            let note_id = record_id(note, "note", "note")?;
            let workspace = open(cli)?;
            let versions = workspace.note_history(note_id)?;
            if *json {
                return to_json(&versions);
            }
            let case_number = match versions.first() {
                Some(v) => workspace.get_case(v.case_id)?.case_number,
                None => String::new(),
            };
            Ok(note_history(&case_number, &versions))
        }
    }
}

/// The note's text from `--text` or `--text-file`, checked as the domain checks it, so an
/// empty note is refused before the workspace is opened.
fn note_text(source: &NoteText) -> Result<String, AppError> {
    let (text, field) = match (&source.text, &source.text_file) {
        (Some(text), _) => (text.clone(), "--text"),
        (None, Some(file)) => (read_text(file, "--text-file")?, "--text-file"),
        (None, None) => unreachable!("clap requires --text or --text-file"),
    };
    NoteInput { category: NoteCategory::Internal, text }
        .validate()
        .map(|valid| valid.text)
        .map_err(|errors| AppError::validation(errors.into_iter().map(|e| FieldError::new(field, e.message)).collect()))
}

fn note_list(case_number: &str, notes: &[NoteRecord]) -> String {
    if notes.is_empty() {
        return format!("Case {case_number} has no notes yet.\n");
    }
    let mut out = String::new();
    for note in notes {
        let n = &note.current;
        let edited = if note.versions > 1 { format!(", version {} (edited {})", note.versions, when(n.at)) } else { String::new() };
        let _ = writeln!(out, "{}  {}  {}  by {}{edited}", when(note.first_written_at), n.category.label(), n.note_id, note.first_author);
        out.push_str(&indented(&n.text, 4));
        out.push('\n');
    }
    let _ = writeln!(out, "{} on case {case_number}.", plural(notes.len(), "note", "notes"));
    out
}

fn note_history(case_number: &str, versions: &[NoteVersion]) -> String {
    let Some(first) = versions.first() else {
        return "This note has no versions.\n".into();
    };
    let mut out = format!("Note {} on case {case_number}: {}, oldest first.\n\n", first.note_id, plural(versions.len(), "version", "versions"));
    for v in versions {
        let current = if Some(v) == versions.last() { "  (current)" } else { "" };
        let _ = writeln!(out, "Version {}  {}  {}  by {}{current}", v.version, when(v.at), v.category.label(), v.author);
        out.push_str(&indented(&v.text, 4));
        out.push('\n');
    }
    out
}

pub fn status(cli: &Cli, command: &StatusCommand) -> Result<String, AppError> {
    match command {
        StatusCommand::Set { case, to, reason, outcome, json } => {
            let mut workspace = open(cli)?;
            let id = resolve(&workspace, case)?;
            let change = StatusChange { to: *to, reason: reason.clone(), outcome: *outcome };
            let event = workspace.change_status(id, &change, Moment::now())?;
            if *json {
                return to_json(&event);
            }
            let from = event.from.map(|f| format!(" (was {})", f.label())).unwrap_or_default();
            let outcome = event.outcome.map(|o| format!(": {}", o.label())).unwrap_or_default();
            Ok(format!("Case {case} is now {}{outcome}{from}.\n", event.to.label()))
        }
        StatusCommand::History { case, json } => {
            let mut workspace = open(cli)?;
            let id = resolve(&workspace, case)?;
            let view = workspace.open_case(id, Moment::now())?;
            if *json {
                return to_json(&view.status_history);
            }
            Ok(status_history(&view.record.case_number, &view.status_history))
        }
    }
}

fn status_history(case_number: &str, events: &[StatusEvent]) -> String {
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let to = match e.outcome {
                Some(o) => format!("{} ({})", e.to.label(), o.label()),
                None => e.to.label().to_owned(),
            };
            vec![when(e.at), e.from.map(|f| f.label().to_owned()).unwrap_or_else(|| "—".into()), to, e.actor.clone(), one_line(&e.reason)]
        })
        .collect();
    let mut out = grid(&["WHEN", "FROM", "TO", "BY", "REASON"], &rows);
    if let Some(last) = events.last() {
        let _ = writeln!(out, "\nCase {case_number} is {}.", last.to.label());
    }
    out
}

pub fn contacts(cli: &Cli, command: &ContactsCommand) -> Result<String, AppError> {
    match command {
        ContactsCommand::Add(args) => {
            let fields = contact_fields(args);
            // The domain's check runs before the passphrase is asked for (the store checks
            // again); its fields are named by the flags that set them.
            fields.validate().map_err(|errors| AppError::validation(errors.into_iter().map(contact_flag).collect()))?;
            let mut workspace = open(cli)?;
            let id = resolve(&workspace, &args.case)?;
            let contact = workspace.add_contact(id, &fields, Moment::now())?;
            if args.json {
                return to_json(&contact);
            }
            Ok(format!("Added contact {} ({}) to case {}: {}.\n", contact.fields.name, relationship(&contact.fields), args.case, contact.id))
        }
        ContactsCommand::List { case, json } => {
            let mut workspace = open(cli)?;
            let id = resolve(&workspace, case)?;
            let view = workspace.open_case(id, Moment::now())?;
            if *json {
                return to_json(&view.contacts);
            }
            Ok(contact_list(&view.record.case_number, &view.contacts))
        }
        ContactsCommand::Remove { contact, reason } => {
            let contact_id = record_id(contact, "contact", "contact")?;
            let mut workspace = open(cli)?;
            let removed = workspace.remove_contact(contact_id, reason, Moment::now())?;
            Ok(format!("Removed contact {} ({}); the case's history keeps it with the reason.\n", removed.fields.name, removed.id))
        }
    }
}

fn contact_fields(args: &ContactAddArgs) -> ContactFields {
    ContactFields {
        name: args.name.clone(),
        relationship: Some(args.relationship),
        relationship_detail: args.relationship_detail.clone(),
        primary: args.primary,
        phones: args.phones.clone(),
        email: args.email.clone(),
        address: args.address.clone(),
        preferred_language: args.language.clone(),
        best_time_to_call: args.best_time.clone(),
        notes: args.notes.clone(),
        do_not_disclose: args.do_not_disclose,
    }
}

/// A contact field as the flag that sets it: `phones.1` is the second `--phone`.
fn contact_flag(error: FieldError) -> FieldError {
    let flag = match error.field.as_str() {
        "preferred_language" => "--language".to_owned(),
        "best_time_to_call" => "--best-time".to_owned(),
        field => match field.strip_prefix("phones.").and_then(|n| n.parse::<usize>().ok()) {
            Some(0) => "--phone".to_owned(),
            Some(n) => format!("--phone (number {})", n + 1),
            None => format!("--{}", field.replace('_', "-")),
        },
    };
    FieldError::new(flag, error.message)
}

fn relationship(f: &ContactFields) -> String {
    match f.relationship {
        Some(Relationship::Other) if !f.relationship_detail.is_empty() => f.relationship_detail.clone(),
        Some(r) => r.label().to_lowercase(),
        None => String::new(),
    }
}

fn contact_list(case_number: &str, contacts: &[ContactRecord]) -> String {
    if contacts.is_empty() {
        return format!("Case {case_number} has no contacts yet.\n");
    }
    let rows: Vec<Vec<String>> = contacts
        .iter()
        .map(|c| {
            let f = &c.fields;
            let mut flags = Vec::new();
            if f.primary && c.removed_at.is_none() {
                flags.push("primary".to_owned());
            }
            if f.do_not_disclose {
                flags.push("DO NOT DISCLOSE case updates".to_owned());
            }
            if let Some(at) = c.removed_at {
                flags.push(format!("removed {}: {}", at.format("%Y-%m-%d"), one_line(&c.removed_reason)));
            }
            let reach = [f.phones.join(", "), f.email.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ");
            vec![f.name.clone(), relationship(f), reach, c.id.to_string(), flags.join("; ")]
        })
        .collect();
    grid(&["NAME", "RELATIONSHIP", "PHONE, EMAIL", "ID", ""], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_fields_are_named_by_their_flags() {
        let named = |field: &str| contact_flag(FieldError::new(field, "x")).field;
        assert_eq!(named("name"), "--name");
        assert_eq!(named("relationship_detail"), "--relationship-detail");
        assert_eq!(named("phones.0"), "--phone");
        assert_eq!(named("phones.1"), "--phone (number 2)");
        assert_eq!(named("best_time_to_call"), "--best-time");
    }
}
