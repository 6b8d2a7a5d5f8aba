//! The sync commands: `enrol` (log in to the central service and keep this device's identity in
//! the workspace), `sync` (one push-then-pull round, told in words, with the remote wipe carried
//! out when the service asks for it) and `conflicts` (list and resolve). The protocol is the
//! engine's (`porchlight-sync-client`) and the storage the store's; this module only reads
//! flags and secrets, calls them, and prints what they did.

use crate::args::{Cli, ConflictsArgs, ConflictsCommand, EnrolArgs, KeepSide, ResolveArgs, SyncArgs};
use crate::commands::{open, resolve, to_json};
use chrono::{DateTime, Local, Utc};
use porchlight_domain::{AppError, ConflictResolution, ConflictView, EnrolForm, ErrorCode, FieldError, Moment, SyncProgress};
use porchlight_store::{StoreError, SyncIdentity, Workspace};
use porchlight_sync::Replica;
use porchlight_sync_client::{server_address, sync_run_watched, Remote, SyncError, SyncRun};
use std::io::IsTerminal;
use std::time::Instant;

/// Where the password of the service account comes from when no one is at a terminal.
pub const PASSWORD_ENV: &str = "PORCHLIGHT_SYNC_PASSWORD";

/// Turns an engine error into the app's, keeping the store's own wording for a workspace
/// failure.
fn app_error(e: SyncError) -> AppError {
    match e {
        SyncError::Replica(inner) => match inner.downcast::<StoreError>() {
            Ok(store) => (*store).into(),
            Err(other) => SyncError::Replica(other).into(),
        },
        other => other.into(),
    }
}

pub fn enrol(cli: &Cli, args: &EnrolArgs) -> Result<String, AppError> {
    // The address is checked before the passphrase is asked, so a typo costs no unlock.
    let server = server_address(&args.server).map_err(|e| match e {
        SyncError::Invalid { message, .. } => AppError::validation(vec![FieldError::new("server", message)]),
        other => other.into(),
    })?;
    let mut workspace = open(cli)?;
    if let Some(current) = workspace.sync_identity()? {
        if current.server_url != server {
            return Err(AppError::validation(vec![FieldError::new(
                "server",
                format!(
                    "this workspace syncs with {}; a workspace syncs with one service only. Create another workspace (porchlight --workspace OTHER init) to enrol with {server}.",
                    current.server_url
                ),
            )]));
        }
        if !current.username.eq_ignore_ascii_case(args.user.trim()) {
            return Err(AppError::validation(vec![FieldError::new(
                "user",
                format!(
                    "this workspace syncs as {}; a workspace belongs to one person. Create another workspace (porchlight --workspace OTHER init) to enrol as {}.",
                    current.username,
                    args.user.trim()
                ),
            )]));
        }
    }
    let mut form = EnrolForm {
        server_url: server.clone(),
        username: args.user.trim().to_owned(),
        password: password(&args.user, &server)?,
        totp: args.totp.clone().unwrap_or_default(),
        device_name: args.device_name.clone().unwrap_or_else(default_device_name),
    };
    let (_remote, enrolment) = match Remote::enrol(&server, &form) {
        Err(SyncError::SecondFactorRequired) if form.totp.is_empty() && at_terminal() => {
            form.totp = rpassword::prompt_password("Code from your authenticator app: ")
                .map_err(|_| AppError::new(ErrorCode::ServiceRefused, "No authenticator code was given; run again with --totp CODE."))?
                .trim()
                .to_owned();
            Remote::enrol(&server, &form).map_err(app_error)?
        }
        Err(SyncError::SecondFactorRequired) if form.totp.is_empty() => {
            return Err(AppError::new(
                ErrorCode::ServiceRefused,
                "This account also needs the six-digit code from its authenticator app: run again with --totp CODE.",
            ))
        }
        other => other.map_err(app_error)?,
    };
    let identity = SyncIdentity {
        server_url: server.clone(),
        device_id: enrolment.device_id,
        token: enrolment.token.clone(),
        user_id: enrolment.user_id,
        username: enrolment.username.clone(),
        display_name: enrolment.display_name.clone(),
        role: enrolment.role.clone(),
    };
    let now = Moment::now();
    // The service's clock, known from the hello, comes first: enrolling writes an audit op, and
    // one stamped on a clock hours fast would carry every later stamp of this workspace past
    // what the service accepts (refused for good as stamped in the future).
    workspace.observe_server(&enrolment.hello, now.utc)?;
    workspace.set_sync_identity(&identity, now)?;
    Ok(format!(
        "Enrolled this computer (\"{}\") with {server} as {} ({}, {}).\nRun `porchlight sync` to send this workspace's changes and receive the cases shared with you.\n",
        form.device_name.trim(),
        enrolment.display_name,
        enrolment.username,
        role_words(&enrolment.role)
    ))
}

fn at_terminal() -> bool {
    std::io::stdin().is_terminal() || std::io::stderr().is_terminal()
}

/// The account's password: the variable, else a prompt that does not echo. Never a flag, where
/// other users of the machine could read it.
fn password(user: &str, server: &str) -> Result<String, AppError> {
    if let Some(value) = std::env::var_os(PASSWORD_ENV) {
        return value.into_string().map_err(|_| {
            AppError::validation(vec![FieldError::new("password", format!("{PASSWORD_ENV} holds bytes that are not text; set it again."))])
        });
    }
    let missing = || {
        AppError::validation(vec![FieldError::new(
            "password",
            format!("no password was given: set {PASSWORD_ENV}, or run the command in a terminal to be asked for it."),
        )])
    };
    if !at_terminal() {
        return Err(missing());
    }
    rpassword::prompt_password(format!("Password of {} on {server}: ", user.trim())).map_err(|_| missing())
}

/// This computer's host name, which is how administrators tell devices apart.
fn default_device_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().chars().filter(|c| !c.is_control()).take(60).collect::<String>())
        .filter(|h| !h.is_empty());
    match host {
        Some(h) => format!("Porchlight command line on {h}"),
        None => "Porchlight command line".to_owned(),
    }
}

fn role_words(role: &str) -> String {
    role.replace('_', " ")
}

fn not_enrolled() -> AppError {
    AppError::new(
        ErrorCode::NotEnrolled,
        "This workspace is not enrolled with a central service yet: run `porchlight enrol --server URL --user NAME` first.",
    )
}

pub fn sync(cli: &Cli, args: &SyncArgs) -> Result<String, AppError> {
    let mut workspace = open(cli)?;
    let identity = workspace.sync_identity()?.ok_or_else(not_enrolled)?;
    let remote = Remote::new(&identity.server_url, &identity.token).map_err(app_error)?;
    let started = Instant::now();
    let wall = || Utc::now();
    // How far a long sync has come, redrawn in place for a person at a terminal; scripts and
    // `--json` get only the result.
    let terminal = !args.json && std::io::stderr().is_terminal();
    let mut shown = false;
    let mut watch = |progress: &SyncProgress| {
        if let (true, Some(line)) = (terminal, progress_line(progress)) {
            use std::io::Write;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{line:<60}");
            let _ = err.flush();
            shown = true;
        }
    };
    let result = sync_run_watched(&remote, &mut workspace, &wall, &mut watch);
    if shown {
        eprintln!();
    }
    match result {
        Ok(run) => {
            let seconds = started.elapsed().as_secs_f64();
            workspace.record_sync_attempt(Ok(&run.report), Moment::now())?;
            // Cases that arrived whole are made searchable before the command ends, so a search
            // run next finds them.
            let indexing = Instant::now();
            let indexed = workspace.search_backlog()?;
            while workspace.index_backlog(BACKLOG_STEP)? > 0 {}
            let indexed = (indexed > 0).then(|| (indexed, indexing.elapsed().as_secs_f64()));
            if args.json {
                return sync_json(&run, seconds, indexed);
            }
            describe(&workspace, &identity, &run, seconds, indexed)
        }
        Err(SyncError::WipeRequested) => wipe(workspace, &remote),
        Err(e) => {
            let error = app_error(e);
            // The failure is kept for the status bar; failing to keep it must not hide it.
            let _ = workspace.record_sync_attempt(Err(&error.message), Moment::now());
            Err(error)
        }
    }
}

/// The progress line of a long sync, in the app's words: a long outbox being sent, or cases
/// coming whole; nothing for a short sync, whose result says it all.
fn progress_line(p: &SyncProgress) -> Option<String> {
    use crate::render::count;
    if p.sent < p.to_send {
        return Some(format!("Sending changes… {} of {}", count(p.sent), count(p.to_send)));
    }
    match p.cases_left {
        Some(left) if left > 0 => Some(format!("Receiving cases… {} of {}", count(p.cases_received), count(p.cases_received + left))),
        _ if p.changes_received > 0 => Some(format!("Receiving changes… {}", count(p.changes_received))),
        _ => None,
    }
}

/// Carries out a remote wipe: the workspace's files go, then the service hears it with the
/// token still held in memory. The person is told, and the exit status says the device was
/// refused.
fn wipe(workspace: Workspace, remote: &Remote) -> Result<String, AppError> {
    let path = workspace.path().to_owned();
    drop(workspace);
    Workspace::destroy(&path)?;
    let told = match remote.report_wiped() {
        Ok(()) => "and the central service was told",
        Err(_) => "but the central service could not be told (it will see the device go quiet)",
    };
    Err(AppError::new(
        ErrorCode::ServiceRefused,
        format!(
            "An administrator flagged this device for remote wipe. The workspace at {} was deleted, {told}. Ask your administrator before enrolling this computer again.",
            path.display()
        ),
    ))
}

/// Cases made searchable per transaction after a sync. Nothing else waits on the CLI's
/// workspace meanwhile, so its steps are twice the app's (`SEARCH_BACKLOG_STEP`).
pub(crate) const BACKLOG_STEP: usize = 2000;

fn sync_json(run: &SyncRun, seconds: f64, indexed: Option<(u32, f64)>) -> Result<String, AppError> {
    let refused: Vec<_> = run
        .refused
        .iter()
        .map(|r| serde_json::json!({ "op_id": r.op_id, "case_id": r.case_id, "code": r.code, "reason": r.reason }))
        .collect();
    let blobs: Vec<_> = run
        .blob_problems
        .iter()
        .map(|b| serde_json::json!({ "sha256": b.sha256, "direction": format!("{:?}", b.direction).to_lowercase(), "reason": b.reason }))
        .collect();
    let search = indexed.map(|(cases, seconds)| serde_json::json!({ "cases_made_searchable": cases, "seconds": seconds }));
    to_json(&serde_json::json!({ "report": run.report, "refused": refused, "blob_problems": blobs, "seconds": seconds, "search_index": search }))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the sync did, in words: counts, then each refusal with its reason, then what waits.
fn describe(workspace: &Workspace, identity: &SyncIdentity, run: &SyncRun, seconds: f64, indexed: Option<(u32, f64)>) -> Result<String, AppError> {
    let r = &run.report;
    let mut out = format!(
        "Synced with {} as {} ({}) in {seconds:.2} s.\n",
        identity.server_url,
        identity.display_name,
        role_words(&identity.role)
    );
    out.push_str(&format!("  sent      {} accepted, {} refused\n", plural(r.pushed, "change", "changes"), r.rejected));
    out.push_str(&format!("  received  {}\n", plural(r.pulled, "change", "changes")));
    if r.removed_cases > 0 {
        out.push_str(&format!("  removed   {} no longer shared with you\n", plural(r.removed_cases, "case", "cases")));
    }
    out.push_str(&format!("  photos    {} up, {} down\n", r.blobs_up, r.blobs_down));
    if let Some((cases, seconds)) = indexed {
        out.push_str(&format!("  search    {} made searchable in {seconds:.2} s\n", plural(u64::from(cases), "case", "cases")));
    }
    if r.conflicts > 0 {
        out.push_str(&format!("  conflicts {} new: see `porchlight conflicts`\n", r.conflicts));
    }
    if !run.refused.is_empty() {
        let known = workspace.rejected_changes()?;
        out.push_str("Refused by the central service (your change was not applied there):\n");
        for refusal in &run.refused {
            let id = refusal.op_id.to_string();
            match known.iter().find(|k| k.op_id == id) {
                Some(k) => out.push_str(&format!("  {} (case {}): {}\n", k.what, k.case_number, k.reason)),
                None => out.push_str(&format!("  change {id}: {}\n", refusal.reason)),
            }
        }
    }
    if !run.blob_problems.is_empty() {
        out.push_str(&format!(
            "{} did not move this time and will be tried at the next sync.\n",
            plural(run.blob_problems.len() as u64, "photo", "photos")
        ));
    }
    let open = workspace.conflicts(None)?.len() as u64;
    if open > 0 && r.conflicts == 0 {
        out.push_str(&format!("{} still waiting: see `porchlight conflicts`.\n", plural(open, "conflict is", "conflicts are")));
    }
    Ok(out)
}

pub fn conflicts(cli: &Cli, args: &ConflictsArgs) -> Result<String, AppError> {
    match &args.command {
        None => list(cli, None, false),
        Some(ConflictsCommand::List { case, json }) => list(cli, case.as_deref(), *json),
        Some(ConflictsCommand::Resolve(resolve_args)) => settle(cli, resolve_args),
    }
}

fn list(cli: &Cli, case: Option<&str>, json: bool) -> Result<String, AppError> {
    let workspace = open(cli)?;
    let case = case.map(|c| resolve(&workspace, c)).transpose()?;
    let open = workspace.conflicts(case)?;
    if json {
        return to_json(&open);
    }
    if open.is_empty() {
        return Ok("No conflicts wait to be resolved.\n".to_owned());
    }
    let mut out = format!("{} to resolve:\n", plural(open.len() as u64, "conflict", "conflicts"));
    for c in &open {
        out.push_str(&conflict_text(c));
    }
    out.push_str("Resolve one with `porchlight conflicts resolve ID --keep mine|theirs` or `--value JSON`.\n");
    Ok(out)
}

fn when(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

fn conflict_text(c: &ConflictView) -> String {
    let side = |label: &str, s: &porchlight_domain::ConflictSideView, in_force: bool| {
        let device = if s.this_device { ", this device" } else { "" };
        let force = if in_force { "  (in force now)" } else { "" };
        format!("    {label} {}  by {}, {}{device}{force}\n", s.display, s.by, when(s.at))
    };
    let mine_in_force = c.in_force == porchlight_domain::ConflictChoice::Mine;
    format!(
        "{}  case {} ({})  {} [{}]\n{}{}",
        c.id,
        c.case_number,
        c.child_name,
        c.field_label,
        c.field,
        side("mine:  ", &c.mine, mine_in_force),
        side("theirs:", &c.theirs, !mine_in_force)
    )
}

fn settle(cli: &Cli, args: &ResolveArgs) -> Result<String, AppError> {
    let resolution = match (args.keep, &args.value) {
        (Some(KeepSide::Mine), _) => ConflictResolution::KeepMine,
        (Some(KeepSide::Theirs), _) => ConflictResolution::KeepTheirs,
        (None, Some(value)) => ConflictResolution::Edit { value: json_or_text(value) },
        (None, None) => unreachable!("clap requires --keep or --value"),
    };
    let mut workspace = open(cli)?;
    let id = args.conflict.trim();
    let before = workspace.conflicts(None)?.into_iter().find(|c| c.id == id);
    workspace.resolve_conflict(id, &resolution, Moment::now())?;
    let what = match (&resolution, &before) {
        (ConflictResolution::KeepMine, Some(c)) => format!("kept {}", c.mine.display),
        (ConflictResolution::KeepTheirs, Some(c)) => format!("kept {}", c.theirs.display),
        (ConflictResolution::Edit { value }, _) => format!("set to {value}"),
        _ => "resolved".to_owned(),
    };
    let field = before.as_ref().map(|c| format!("{} of case {}", c.field_label, c.case_number)).unwrap_or_else(|| "The field".to_owned());
    Ok(format!("{field}: {what}. Everyone sees the choice after your next `porchlight sync`.\n"))
}

/// A value typed on the command line as the JSON text the store parses: JSON as it is, anything
/// else as a JSON string.
pub(crate) fn json_or_text(raw: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(_) => raw.to_owned(),
        Err(_) => serde_json::Value::String(raw.to_owned()).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_json_when_they_are_json_and_text_otherwise() {
        assert_eq!(json_or_text("\"Ana\""), "\"Ana\"");
        assert_eq!(json_or_text("Ana"), "\"Ana\"");
        assert_eq!(json_or_text("152"), "152");
        assert_eq!(json_or_text("null"), "null");
        assert_eq!(json_or_text("say \"hi\""), "\"say \\\"hi\\\"\"");
    }

    #[test]
    fn a_long_sync_says_what_it_is_sending_or_receiving_and_a_short_one_says_nothing() {
        let p = SyncProgress::default();
        assert_eq!(progress_line(&p), None);
        assert_eq!(progress_line(&SyncProgress { sent: 12, to_send: 12, ..p }), None, "a short push answered");
        assert_eq!(progress_line(&SyncProgress { sent: 3000, to_send: 10_000, ..p }).as_deref(), Some("Sending changes… 3,000 of 10,000"));
        let first = SyncProgress { sent: 1, to_send: 1, cases_received: 2500, cases_left: Some(27_500), changes_received: 22_500 };
        assert_eq!(progress_line(&first).as_deref(), Some("Receiving cases… 2,500 of 30,000"));
        let rest = SyncProgress { cases_left: Some(0), changes_received: 270_000, ..first };
        assert_eq!(progress_line(&rest).as_deref(), Some("Receiving changes… 270,000"));
    }

    #[test]
    fn a_device_is_named_after_its_host() {
        let name = default_device_name();
        assert!(name.starts_with("Porchlight command line"), "{name}");
        assert!(name.chars().count() <= 100);
    }
}
