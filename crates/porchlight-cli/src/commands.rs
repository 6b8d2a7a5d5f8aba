//! What each command does: open the workspace, call one use case, and turn the answer into
//! text. The clock is read here, once per write, and passed down as a `Moment`.

use crate::args::{CasesCommand, Cli, Command, ListArgs, SeedArgs};
use crate::passphrase::{self, Purpose};
use crate::render;
use porchlight_domain::{AppError, CaseFields, CaseId, CaseNumber, ErrorCode, FieldError, ListQuery, Moment, SortDir};
use porchlight_seed::SeedPhotoKind;
use porchlight_store::{NewCase, NewPhoto, PhotoKind, StoreError, Workspace};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Instant;

pub fn wants_json(command: &Command) -> bool {
    match command {
        Command::Seed(a) => a.json,
        Command::Cases(CasesCommand::List(a)) => a.json,
        Command::Cases(CasesCommand::Show { json, .. }) => *json,
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
    }
}

fn workspace_path(cli: &Cli) -> PathBuf {
    cli.workspace.clone().unwrap_or_else(Workspace::default_path)
}

/// Opens the workspace, asking for the passphrase only when there is a workspace to open.
fn open(cli: &Cli) -> Result<Workspace, AppError> {
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
        .map(|p| {
            let (kind, source) = match p.kind {
                SeedPhotoKind::Photo => (PhotoKind::Photo, "family (generated)"),
                SeedPhotoKind::AgeProgressed { age } => (PhotoKind::AgeProgressed { age }, "forensic artist (generated)"),
            };
            NewPhoto { bytes: p.png, mime: "image/png".into(), taken_on: Some(p.taken_on), source: source.into(), consent_to_publish: true, kind }
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
    let mut progress = Progress::new(args.cases);
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
struct Progress {
    total: usize,
    terminal: bool,
    next_report: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress { total, terminal: std::io::stderr().is_terminal(), next_report: 0 }
    }

    fn show(&mut self, done: usize) {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\rSeeding: {} of {} cases", render::count(done as u64), render::count(self.total as u64));
            let _ = err.flush();
        } else if done >= self.next_report || done == self.total {
            let _ = writeln!(err, "Seeding: {} of {} cases", render::count(done as u64), render::count(self.total as u64));
            self.next_report = done + self.total.div_ceil(10).max(1);
        }
    }

    fn finish(&self) {
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

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("Could not write JSON: {e}.")))
}

/// Finds a case by its id or by its case number.
fn resolve(workspace: &Workspace, reference: &str) -> Result<CaseId, AppError> {
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

fn show(cli: &Cli, reference: &str, json: bool) -> Result<String, AppError> {
    let workspace = open(cli)?;
    let id = resolve(&workspace, reference)?;
    let record = workspace.get_case(id)?;
    if json {
        return to_json(&record);
    }
    let photos = workspace.photos(id)?;
    Ok(render::case(&record, &photos))
}

/// Reads case fields as JSON. A value of the wrong type is named by its field path, and a
/// field this version does not know is refused rather than silently dropped.
fn read_fields(source: &std::path::Path) -> Result<CaseFields, AppError> {
    let text = if source.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| AppError::validation(vec![FieldError::new("json", format!("Standard input is not readable text: {e}."))]))?;
        text
    } else {
        std::fs::read_to_string(source).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => AppError::new(ErrorCode::NotFound, format!("There is no file {}.", source.display())),
            _ => AppError::validation(vec![FieldError::new("json", format!("{} cannot be read as text: {e}.", source.display()))]),
        })?
    };
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
