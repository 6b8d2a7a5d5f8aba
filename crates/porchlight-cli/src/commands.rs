//! What each command does: open the workspace, call one use case, and turn the answer into
//! text. The clock is read here, once per write, and passed down as a `Moment`.

use crate::args::{CasesCommand, Cli, Command, ConflictsArgs, ConflictsCommand, ContactsCommand, ListArgs, NotesCommand, PhotosCommand, SeedArgs, StatusCommand};
use crate::passphrase::{self, Purpose};
use crate::{casefield, casework, photos, posters, render, search, sync};
use porchlight_domain::{AppError, CaseFields, CaseId, CaseNumber, ErrorCode, FieldError, ListQuery, Moment, PhotoKind, PhotoMeta, RecordId, SortDir};
use porchlight_seed::SeedPhotoKind;
use porchlight_store::{NewCase, NewPhoto, StoreError, Workspace};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

pub fn wants_json(command: &Command) -> bool {
    match command {
        Command::Seed(a) => a.json,
        Command::Cases(CasesCommand::List(a)) => a.json,
        Command::Cases(CasesCommand::Show { json, .. }) => *json,
        Command::Search(a) => a.json,
        Command::Notes(NotesCommand::Add { json, .. } | NotesCommand::List { json, .. } | NotesCommand::Edit { json, .. } | NotesCommand::History { json, .. }) => *json,
        Command::Status(StatusCommand::Set { json, .. } | StatusCommand::History { json, .. }) => *json,
        Command::Photos(PhotosCommand::Add(a)) => a.json,
        Command::Photos(PhotosCommand::List { json, .. }) => *json,
        Command::Contacts(ContactsCommand::Add(a)) => a.json,
        Command::Contacts(ContactsCommand::List { json, .. }) => *json,
        Command::Sync(a) => a.json,
        Command::Conflicts(ConflictsArgs { command: Some(ConflictsCommand::List { json, .. }) }) => *json,
        _ => false,
    }
}

pub fn execute(cli: &Cli) -> Result<String, AppError> {
    match &cli.command {
        Command::Init => init(cli),
        Command::Seed(args) => seed(cli, args),
        Command::Cases(CasesCommand::List(args)) => list(cli, args),
        Command::Cases(CasesCommand::Show { case, json }) => show(cli, case, *json),
        Command::Cases(CasesCommand::Create { file }) => create(cli, file),
        Command::Cases(CasesCommand::Archive { case, restore }) => archive(cli, case, *restore),
        Command::Cases(CasesCommand::Set { case, field, value }) => casefield::set(cli, case, field, value),
        Command::Search(args) => search::run(cli, args),
        Command::Notes(command) => casework::notes(cli, command),
        Command::Status(command) => casework::status(cli, command),
        Command::Contacts(command) => casework::contacts(cli, command),
        Command::Photos(command) => photos::run(cli, command),
        Command::Poster(args) => posters::run(cli, args),
        Command::Enrol(args) => sync::enrol(cli, args),
        Command::Sync(args) => sync::sync(cli, args),
        Command::Conflicts(args) => sync::conflicts(cli, args),
    }
}

fn workspace_path(cli: &Cli) -> PathBuf {
    cli.workspace.clone().unwrap_or_else(Workspace::default_path)
}

/// Opens the workspace, asking for the passphrase only when there is a workspace to open.
pub(crate) fn open(cli: &Cli) -> Result<Workspace, AppError> {
    let path = workspace_path(cli);
    if !path.exists() {
        return Err(StoreError::WorkspaceNotFound(path).into());
    }
    let passphrase = passphrase::obtain(cli.passphrase_file.as_deref(), Purpose::Unlock)?;
    Ok(Workspace::open(&path, &passphrase)?)
}

fn init(cli: &Cli) -> Result<String, AppError> {
    let path = workspace_path(cli);
    if path.exists() {
        return Err(StoreError::WorkspaceExists(path).into());
    }
    let passphrase = passphrase::obtain(cli.passphrase_file.as_deref(), Purpose::Create)?;
    let workspace = Workspace::create(&path, &passphrase, Moment::now())?;
    Ok(format!(
        "Created an encrypted workspace at {}.\nKeep the passphrase safe: without it nobody, not even Porchlight, can open these cases.\n",
        workspace.path().display()
    ))
}

fn new_case(seeded: porchlight_seed::SeedCase) -> NewCase {
    let photos = seeded
        .photos
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let (kind, age_progressed_to, source) = match p.kind {
                SeedPhotoKind::Photo => (PhotoKind::Photo, None, "family (generated)"),
                SeedPhotoKind::AgeProgressed { age } => (PhotoKind::AgeProgressed, Some(age), "forensic artist (generated)"),
            };
            let meta = PhotoMeta {
                kind: Some(kind),
                age_progressed_to,
                taken_on: p.taken_on.format("%Y-%m-%d").to_string(),
                child_age: None,
                source: source.into(),
                consent_to_publish: true,
            };
            NewPhoto { bytes: p.png, file_name: format!("generated-{}.png", i + 1), meta }
        })
        .collect();
    NewCase { fields: seeded.fields, photos }
}

fn seed(cli: &Cli, args: &SeedArgs) -> Result<String, AppError> {
    let mut workspace = open(cli)?;
    let started = Instant::now();
    let today = Moment::now().local.date();
    let generated: Box<dyn Iterator<Item = porchlight_seed::SeedCase>> = if args.photos {
        Box::new(porchlight_seed::cases_with_photos(args.seed, args.cases, today))
    } else {
        Box::new(porchlight_seed::cases(args.seed, args.cases, today))
    };
    let mut progress = Progress::new(args.cases, "Seeding", "cases");
    let (mut done, mut photos) = (0usize, 0usize);
    let mut batch = Vec::with_capacity(args.batch as usize);
    let mut generated = generated.peekable();
    while generated.peek().is_some() {
        batch.clear();
        batch.extend(generated.by_ref().take(args.batch as usize).map(new_case));
        photos += batch.iter().map(|c| c.photos.len()).sum::<usize>();
        workspace.import_cases(&batch, Moment::now())?;
        done += batch.len();
        progress.show(done);
    }
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let rate = if seconds > 0.0 { done as f64 / seconds } else { 0.0 };
    if args.json {
        let summary = serde_json::json!({ "cases": done, "photos": photos, "seed": args.seed, "seconds": seconds, "cases_per_second": rate });
        return Ok(format!("{summary}\n"));
    }
    let with_photos = if args.photos { format!(" with {} photos", render::count(photos as u64)) } else { String::new() };
    Ok(format!(
        "Added {} synthetic cases{with_photos} (seed {}) in {seconds:.2} s: {} cases/s.\n",
        render::count(done as u64),
        args.seed,
        render::count(rate.round() as u64)
    ))
}

/// A progress line on standard error: redrawn in place on a terminal, a few plain lines
/// otherwise so that logs stay short.
pub(crate) struct Progress {
    total: usize,
    terminal: bool,
    next_report: usize,
    doing: &'static str,
    things: &'static str,
}

impl Progress {
    /// `doing` starts the line ("Seeding"), `things` ends it ("cases").
    pub(crate) fn new(total: usize, doing: &'static str, things: &'static str) -> Self {
        Progress { total, terminal: std::io::stderr().is_terminal(), next_report: 0, doing, things }
    }

    pub(crate) fn show(&mut self, done: usize) {
        let mut err = std::io::stderr().lock();
        let (doing, things) = (self.doing, self.things);
        if self.terminal {
            let _ = write!(err, "\r{doing}: {} of {} {things}", render::count(done as u64), render::count(self.total as u64));
            let _ = err.flush();
        } else if done >= self.next_report || done == self.total {
            let _ = writeln!(err, "{doing}: {} of {} {things}", render::count(done as u64), render::count(self.total as u64));
            self.next_report = done + self.total.div_ceil(10).max(1);
        }
    }

    pub(crate) fn finish(&self) {
        if self.terminal && self.total > 0 {
            let _ = writeln!(std::io::stderr());
        }
    }
}

fn list(cli: &Cli, args: &ListArgs) -> Result<String, AppError> {
    let workspace = open(cli)?;
    let descending = if args.desc {
        true
    } else if args.asc {
        false
    } else {
        args.sort.descending_by_default()
    };
    let query = ListQuery {
        offset: args.offset,
        limit: args.limit,
        sort: args.sort.key(),
        dir: if descending { SortDir::Desc } else { SortDir::Asc },
        status: args.status,
        case_type: args.case_type,
        state: args.state.clone(),
        search: args.search.clone(),
        include_archived: args.archived,
    };
    let page = workspace.list_cases(&query)?;
    if args.json {
        return to_json(&page);
    }
    let what = format!("{:?}", args.sort).to_lowercase().replace("missingdate", "missing date").replace("casenumber", "case number");
    let order = match (args.sort.descending_by_default(), descending) {
        (true, true) => "newest first",
        (true, false) => "oldest first",
        (false, false) => "ascending",
        (false, true) => "descending",
    };
    Ok(render::table(&page, &format!("sorted by {what}, {order}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("Could not write JSON: {e}.")))
}

/// Finds a case by its id or by its case number.
pub(crate) fn resolve(workspace: &Workspace, reference: &str) -> Result<CaseId, AppError> {
    if let Ok(id) = reference.parse::<CaseId>() {
        return Ok(id);
    }
    let number = CaseNumber::parse(reference).map_err(|_| {
        AppError::validation(vec![FieldError::new(
            "case",
            format!("\"{}\" is neither a case id nor a case number; give one such as PL-2611-7KQ4-XM2D.", reference.trim()),
        )])
    })?;
    let query = ListQuery { search: Some(number.as_str().to_owned()), include_archived: true, limit: 10, ..ListQuery::default() };
    let page = workspace.list_cases(&query)?;
    page.rows
        .iter()
        .find(|row| row.case_number == number.as_str())
        .map(|row| row.id)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound, format!("There is no case {number} in this workspace.")))
}

/// Reads the id of a note, contact or photo; `field` names the argument in the refusal.
pub(crate) fn record_id(raw: &str, field: &str, what: &str) -> Result<RecordId, AppError> {
    raw.parse::<RecordId>().map_err(|_| {
        AppError::validation(vec![FieldError::new(
            field,
            format!("\"{}\" is not the id of a {what}; ids look like 0194f3a2-7c1e-7d40-9b1a-2f6e8d0c4b11 and are shown by the list commands.", raw.trim()),
        )])
    })
}

/// Writes to standard output now, for commands that report what they did before failing on
/// part of their input.
pub(crate) fn emit(text: &str) {
    if !text.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// Reads a text file, or standard input for `-`; `field` names the argument in a refusal.
pub(crate) fn read_text(source: &std::path::Path, field: &str) -> Result<String, AppError> {
    if source.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| AppError::validation(vec![FieldError::new(field, format!("Standard input is not readable text: {e}."))]))?;
        return Ok(text);
    }
    std::fs::read_to_string(source).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => AppError::new(ErrorCode::NotFound, format!("There is no file {}.", source.display())),
        _ => AppError::validation(vec![FieldError::new(field, format!("{} cannot be read as text: {e}.", source.display()))]),
    })
}

fn show(cli: &Cli, reference: &str, json: bool) -> Result<String, AppError> {
    let workspace = open(cli)?;
    let id = resolve(&workspace, reference)?;
    let record = workspace.get_case(id)?;
    if json {
        return to_json(&record);
    }
    let photos = workspace.case_photos(id)?;
    let posters = workspace.posters_for_case(id)?;
    Ok(render::case(&record, &photos, &posters))
}

/// Reads case fields as JSON. A value of the wrong type is named by its field path, and a
/// field this version does not know is refused rather than silently dropped.
fn read_fields(source: &std::path::Path) -> Result<CaseFields, AppError> {
    let text = read_text(source, "json")?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| AppError::validation(vec![FieldError::new("json", format!("This is not JSON: {e}."))]))?;
    let fields: CaseFields = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = field_path(e.path());
        AppError::validation(vec![FieldError::new(path, format!("{}.", e.inner()))])
    })?;
    let known = serde_json::to_value(&fields).map_err(|e| AppError::new(ErrorCode::Internal, format!("Could not write JSON: {e}.")))?;
    let mut unknown = Vec::new();
    unknown_fields(&value, &known, "", &mut unknown);
    if !unknown.is_empty() {
        return Err(AppError::validation(
            unknown.into_iter().map(|f| FieldError::new(f, "Porchlight has no such field; check its spelling against `porchlight cases show --json`.")).collect(),
        ));
    }
    Ok(fields)
}

/// A path as the form names fields: `companions.0.name`.
fn field_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let parts: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => "?".into(),
        })
        .collect();
    if parts.is_empty() { "json".into() } else { parts.join(".") }
}

/// Collects the keys present in `given` that did not survive a round trip through the case
/// type, i.e. fields the case does not have.
fn unknown_fields(given: &serde_json::Value, known: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    let join = |key: &str| if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
    match (given, known) {
        (Value::Object(g), Value::Object(k)) => {
            for (key, value) in g {
                match k.get(key) {
                    Some(inner) => unknown_fields(value, inner, &join(key), out),
                    None => out.push(join(key)),
                }
            }
        }
        (Value::Array(g), Value::Array(k)) => {
            for (i, (value, inner)) in g.iter().zip(k).enumerate() {
                unknown_fields(value, inner, &join(&i.to_string()), out);
            }
        }
        _ => {}
    }
}

fn create(cli: &Cli, source: &std::path::Path) -> Result<String, AppError> {
    // Check the input before asking for a passphrase, so a typo costs no unlock.
    let fields = read_fields(source)?;
    let mut workspace = open(cli)?;
    let record = workspace.create_case(&fields, Moment::now())?;
    Ok(format!("Created case {} ({}), status {}.\n", record.case_number, record.id, record.status.label()))
}

fn archive(cli: &Cli, reference: &str, restore: bool) -> Result<String, AppError> {
    let mut workspace = open(cli)?;
    let id = resolve(&workspace, reference)?;
    let record = workspace.set_archived(id, !restore, Moment::now())?;
    let done = if restore { "Restored" } else { "Archived" };
    Ok(format!("{done} case {} ({}).\n", record.case_number, record.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_found_at_any_depth() {
        let given = json!({ "child": { "given_name": "Ana", "hair_colour": "BRO" }, "companions": [{ "name": "X", "age": 3 }], "extra": 1 });
        let fields: CaseFields = serde_json::from_value(given.clone()).unwrap();
        let known = serde_json::to_value(&fields).unwrap();
        let mut unknown = Vec::new();
        unknown_fields(&given, &known, "", &mut unknown);
        unknown.sort();
        assert_eq!(unknown, vec!["child.hair_colour", "companions.0.age", "extra"]);
    }
}
