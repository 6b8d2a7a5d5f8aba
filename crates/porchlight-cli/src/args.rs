//! The command line's shape: commands, flags and their help text. It parses and nothing more;
//! what each command does is in `commands`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use porchlight_domain::{CaseStatus, CaseType, SortKey};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0   done
  1   the workspace could not be read or written, or another fault
  2   input refused: a field of the case, a weak passphrase, unreadable JSON
  3   the passphrase does not open the workspace
  4   no such workspace or case
  5   a workspace already exists there
  6   no passphrase: set PORCHLIGHT_PASSPHRASE or run in a terminal
  64  the command line itself is wrong";

/// Porchlight: the case workspace of an organisation that finds missing children.
#[derive(Debug, Parser)]
#[command(name = "porchlight", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// The workspace file. Defaults to the operating system's data folder for Porchlight.
    #[arg(long, global = true, env = "PORCHLIGHT_WORKSPACE", value_name = "PATH")]
    pub workspace: Option<PathBuf>,

    /// Read the passphrase from the first line of this file instead of PORCHLIGHT_PASSPHRASE or
    /// a prompt. A passphrase is never taken as a command-line value, where other users of the
    /// machine could read it.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new, empty encrypted workspace.
    Init,
    /// Fill the workspace with synthetic cases (generated names and drawn photos; never real
    /// children), for demos, tests and benchmarks.
    Seed(SeedArgs),
    /// List, show, create and archive cases.
    #[command(subcommand)]
    Cases(CasesCommand),
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many cases to add.
    #[arg(long, value_name = "N")]
    pub cases: usize,
    /// The seed of the generator: the same seed on the same day gives the same cases.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Attach one to three generated photos to every case (slower).
    #[arg(long)]
    pub photos: bool,
    /// Cases per transaction.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// One page of cases as a table, with the number that match.
    List(ListArgs),
    /// Every field of one case, by its id or its case number (PL-…).
    Show {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        /// Print the stored case record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a case from a JSON file of case fields (`-` reads standard input).
    Create {
        #[arg(long = "json", value_name = "FILE|-")]
        file: PathBuf,
    },
    /// Archive a case, or restore it with --restore. Archived cases keep everything.
    Archive {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        /// Bring an archived case back into the list.
        #[arg(long)]
        restore: bool,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only cases in this status.
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Option<CaseStatus>,
    /// Only cases of this type: ERU, FA, NFA, LIM or CMYA.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_case_type)]
    pub case_type: Option<CaseType>,
    /// Only cases from this state (USPS code, e.g. TX).
    #[arg(long, value_name = "ST")]
    pub state: Option<String>,
    /// The start of a given or family name, or a case number.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Sort by this column.
    #[arg(long, value_enum, default_value_t = SortBy::MissingDate)]
    pub sort: SortBy,
    /// Sort in descending order (the default for dates).
    #[arg(long, conflicts_with = "asc")]
    pub desc: bool,
    /// Sort in ascending order (the default for everything but dates).
    #[arg(long)]
    pub asc: bool,
    /// Rows per page, at most 500.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u32,
    /// Rows to skip.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: u32,
    /// Include archived cases.
    #[arg(long)]
    pub archived: bool,
    /// Print the page as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    Name,
    CaseNumber,
    MissingDate,
    Status,
    State,
    Type,
    Updated,
}

impl SortBy {
    pub fn key(self) -> SortKey {
        match self {
            SortBy::Name => SortKey::Name,
            SortBy::CaseNumber => SortKey::CaseNumber,
            SortBy::MissingDate => SortKey::MissingDate,
            SortBy::Status => SortKey::Status,
            SortBy::State => SortKey::State,
            SortBy::Type => SortKey::CaseType,
            SortBy::Updated => SortKey::UpdatedAt,
        }
    }

    /// Dates read newest first unless asked otherwise; words read A to Z.
    pub fn descending_by_default(self) -> bool {
        matches!(self, SortBy::MissingDate | SortBy::Updated)
    }
}

fn parse_status(raw: &str) -> Result<CaseStatus, String> {
    let wanted = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    CaseStatus::from_code(&wanted).ok_or_else(|| {
        let codes: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.code()).collect();
        format!("\"{raw}\" is not a status; use one of {}", codes.join(", "))
    })
}

fn parse_case_type(raw: &str) -> Result<CaseType, String> {
    CaseType::from_code(&raw.trim().to_ascii_uppercase()).ok_or_else(|| {
        let codes: Vec<String> = CaseType::ALL.iter().map(|t| format!("{} ({})", t.code(), t.label())).collect();
        format!("\"{raw}\" is not a case type; use one of {}", codes.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn codes_are_read_in_any_case_and_unknown_ones_name_the_choices() {
        assert_eq!(parse_case_type("fa"), Ok(CaseType::FamilyAbduction));
        assert_eq!(parse_status("Located-Alive"), Ok(CaseStatus::LocatedAlive));
        assert!(parse_case_type("runaway").unwrap_err().contains("ERU"));
        assert!(parse_status("lost").unwrap_err().contains("intake"));
    }
}
