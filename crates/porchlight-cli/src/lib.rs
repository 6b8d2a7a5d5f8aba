//! The `porchlight` command line over the workspace use cases: it reads flags, the
//! environment and the passphrase, calls the store (and, to sync, the sync engine), and prints
//! what came back for a person or, with `--json`, for a script. It holds no business rules of its own: validity, statuses and
//! storage are the domain's and the store's.

mod args;
mod casefield;
mod casework;
mod commands;
mod passphrase;
mod photos;
mod posters;
mod render;
mod search;
mod sync;

use clap::error::ErrorKind;
use clap::Parser;
use porchlight_domain::{AppError, ErrorCode};
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

/// The exit status for each kind of failure, so scripts can branch without reading messages
/// (see `args::EXIT_CODES`).
pub fn exit_code(code: ErrorCode) -> u8 {
    match code {
        ErrorCode::Validation | ErrorCode::WeakPassphrase => 2,
        ErrorCode::WrongPassphrase => 3,
        ErrorCode::WorkspaceNotFound | ErrorCode::NotFound => 4,
        ErrorCode::WorkspaceExists => 5,
        ErrorCode::WorkspaceLocked => 6,
        ErrorCode::WorkspaceUnreadable | ErrorCode::EditConflict | ErrorCode::Storage | ErrorCode::Internal => 1,
        ErrorCode::NotEnrolled => 7,
        ErrorCode::ServiceUnreachable => 8,
        ErrorCode::ServiceRefused => 9,
        ErrorCode::ProtocolMismatch => 10,
    }
}

/// Exit status for a malformed command line (BSD's EX_USAGE), kept apart from 2, which means a
/// case field was refused.
const USAGE: u8 = 64;

/// Runs one command line, prints its output and returns the process exit status.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => ExitCode::SUCCESS,
                _ => ExitCode::from(USAGE),
            };
        }
    };
    let json = commands::wants_json(&cli.command);
    match commands::execute(&cli) {
        Ok(output) => {
            // A reader that stops early (`| head`) is not an error worth a message.
            let _ = std::io::stdout().lock().write_all(output.as_bytes());
            ExitCode::SUCCESS
        }
        Err(error) => {
            report(&error, json);
            ExitCode::from(exit_code(error.code))
        }
    }
}

/// Tells what went wrong on standard error: the sentence, then one `field: message` line per
/// field at fault; or the whole error as JSON for a script that asked for JSON.
fn report(error: &AppError, json: bool) {
    let mut err = std::io::stderr().lock();
    if json {
        let _ = writeln!(err, "{}", serde_json::to_string(error).unwrap_or_else(|_| error.message.clone()));
        return;
    }
    // A refusal of one field carries that field's message as its own; say it once, on the
    // field's line.
    let headline = match error.fields.as_slice() {
        [one] if one.message == error.message => "1 field needs attention.",
        _ => error.message.as_str(),
    };
    let _ = writeln!(err, "error: {headline}");
    for field in &error.fields {
        let _ = writeln!(err, "  {}: {}", field.field, field.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_has_its_own_exit_status() {
        assert_eq!(exit_code(ErrorCode::Validation), 2);
        assert_eq!(exit_code(ErrorCode::WrongPassphrase), 3);
        assert_eq!(exit_code(ErrorCode::NotFound), 4);
        assert_eq!(exit_code(ErrorCode::WorkspaceExists), 5);
        assert_eq!(exit_code(ErrorCode::WorkspaceLocked), 6);
        assert_eq!(exit_code(ErrorCode::Storage), 1);
        assert_eq!(exit_code(ErrorCode::NotEnrolled), 7);
        assert_eq!(exit_code(ErrorCode::ServiceUnreachable), 8);
        assert_eq!(exit_code(ErrorCode::ServiceRefused), 9);
        assert_eq!(exit_code(ErrorCode::ProtocolMismatch), 10);
    }
}
