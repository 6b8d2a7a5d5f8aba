//! Where the workspace passphrase comes from: a file named on the command line, the
//! `PORCHLIGHT_PASSPHRASE` variable, or a prompt that does not echo. It never judges strength;
//! the store does that when a workspace is created.

use porchlight_domain::{AppError, ErrorCode};
use std::io::IsTerminal;
use std::path::Path;

pub const ENV: &str = "PORCHLIGHT_PASSPHRASE";

/// Whether a new passphrase is being chosen (asked twice) or an existing one typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Unlock,
    Create,
}

pub fn obtain(file: Option<&Path>, purpose: Purpose) -> Result<String, AppError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::new(ErrorCode::NotFound, format!("Cannot read the passphrase file {}: {e}.", path.display())))?;
        return Ok(text.lines().next().unwrap_or("").to_owned());
    }
    if let Some(value) = std::env::var_os(ENV) {
        return value
            .into_string()
            .map_err(|_| AppError::new(ErrorCode::Validation, format!("{ENV} holds bytes that are not text; set it again.")));
    }
    // A prompt needs a person at a terminal; a script without the variable gets told how to
    // pass the passphrase instead of hanging on a prompt nobody sees.
    if !(std::io::stdin().is_terminal() || std::io::stderr().is_terminal()) {
        return Err(no_passphrase());
    }
    let ask = |prompt: &str| rpassword::prompt_password(prompt).map_err(|_| no_passphrase());
    match purpose {
        Purpose::Unlock => ask("Workspace passphrase: "),
        Purpose::Create => {
            let first = ask("Choose a passphrase for the new workspace: ")?;
            let again = ask("Type it again: ")?;
            if first != again {
                return Err(AppError::new(ErrorCode::Validation, "The two passphrases differ; nothing was created. Try again."));
            }
            Ok(first)
        }
    }
}

fn no_passphrase() -> AppError {
    AppError::new(
        ErrorCode::WorkspaceLocked,
        format!("No passphrase was given. Set {ENV}, pass --passphrase-file FILE, or run the command in a terminal to be asked for it."),
    )
}
