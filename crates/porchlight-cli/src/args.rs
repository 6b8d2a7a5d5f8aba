//! The command line's shape: commands, flags and their help text. It parses and nothing more;
//! what each command does is in `commands`.

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use porchlight_domain::{CaseStatus, CaseType, NoteCategory, Outcome, Relationship, SortKey};
use porchlight_poster::{Language, Paper};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit codes:
  0   done
  1   the workspace could not be read or written, or another fault
  2   input refused: a field of the case, a note or a status change, a photo file, a
      poster that may not be printed (for several cases: all of them), a weak passphrase,
      unreadable JSON
  3   the passphrase does not open the workspace
  4   no such workspace or case
  5   a workspace already exists there
  6   no passphrase: set PORCHLIGHT_PASSPHRASE or run in a terminal
  7   not enrolled with a central service: run `porchlight enrol`
  8   the central service could not be reached (local work is kept)
  9   the central service refused: wrong password or code, revoked device, disabled account
  10  the central service speaks another protocol version: update Porchlight
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
    /// Find cases by any word: names, nicknames, case and agency numbers, places,
    /// circumstances, notes and contact names. The last word also matches as the start of a word.
    Search(SearchArgs),
    /// Add, list and edit case notes; an edit is a new version and every version is kept.
    #[command(subcommand)]
    Notes(NotesCommand),
    /// Move a case to another status, with the reason, and show its status history.
    #[command(subcommand)]
    Status(StatusCommand),
    /// Attach photo files (JPEG, PNG or WebP) to a case and list its photos.
    #[command(subcommand)]
    Photos(PhotosCommand),
    /// Add, list and remove the family contacts of a case.
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// Print missing-child posters as PDF: for cases named here, or with --bulk for every case
    /// that matches a filter. Each poster produced is recorded in its case.
    Poster(PosterArgs),
    /// Enrol this workspace with the organisation's central service, as you. The password comes
    /// from PORCHLIGHT_SYNC_PASSWORD or a prompt, never from the command line.
    Enrol(EnrolArgs),
    /// Exchange changes with the central service: send this workspace's changes, then receive
    /// everyone else's on the cases you may see. Says what was sent, refused and received.
    Sync(SyncArgs),
    /// The conflicts sync found (two people changed one field without seeing each other's
    /// change), and resolving them: keep mine, keep theirs, or give a new value.
    Conflicts(ConflictsArgs),
}

#[derive(Debug, Args)]
pub struct EnrolArgs {
    /// The central service's address, e.g. https://sync.example.org.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// Your user name on the service.
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// How this computer is listed to administrators; defaults to its host name.
    #[arg(long, value_name = "NAME")]
    pub device_name: Option<String>,
    /// The six-digit code of your authenticator app, for accounts that need one (asked for
    /// when left out and the service wants it).
    #[arg(long, value_name = "CODE")]
    pub totp: Option<String>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print what the sync did as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConflictsArgs {
    #[command(subcommand)]
    pub command: Option<ConflictsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ConflictsCommand {
    /// The open conflicts, both values side by side with who wrote them and when (the default).
    List {
        /// Only the conflicts of this case.
        #[arg(long, value_name = "ID_OR_CASE_NUMBER")]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Settle one conflict. The choice is itself a change that syncs, so everyone sees it.
    Resolve(ResolveArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("choice").required(true).args(["keep", "value"])))]
pub struct ResolveArgs {
    /// The conflict's id, as `porchlight conflicts` lists it.
    #[arg(value_name = "CONFLICT_ID")]
    pub conflict: String,
    /// Keep the value written on this device (mine) or the other one (theirs).
    #[arg(long, value_enum, value_name = "SIDE")]
    pub keep: Option<KeepSide>,
    /// Neither: this value instead, as JSON (a bare word is taken as text).
    #[arg(long, value_name = "JSON")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeepSide {
    Mine,
    Theirs,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The words to find. Empty lists cases by the filters alone.
    #[arg(value_name = "TEXT", default_value = "")]
    pub text: String,
    /// Only cases in this status.
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Option<CaseStatus>,
    /// Only cases of this type: ERU, FA, NFA, LIM or CMYA.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_case_type)]
    pub case_type: Option<CaseType>,
    /// Only cases from this state (USPS code, e.g. TX).
    #[arg(long, value_name = "ST")]
    pub state: Option<String>,
    /// Only children missing from care (in child-welfare custody).
    #[arg(long)]
    pub from_care: bool,
    /// Only children at least this old today.
    #[arg(long, value_name = "N")]
    pub age_min: Option<u8>,
    /// Only children at most this old today.
    #[arg(long, value_name = "N")]
    pub age_max: Option<u8>,
    /// Only cases with at least one photo.
    #[arg(long)]
    pub has_photo: bool,
    /// Include archived cases.
    #[arg(long)]
    pub archived: bool,
    /// The most hits to show, best first (at most 200).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: u32,
    /// Print the hits as JSON, with the matched text as segments.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum NotesCommand {
    /// Add a note to a case.
    Add {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        /// What kind of note: call, lead_tip, family_contact, law_enforcement, media or internal.
        #[arg(long, value_name = "CATEGORY", value_parser = parse_note_category)]
        category: NoteCategory,
        #[command(flatten)]
        text: NoteText,
        /// Print the stored note as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The current version of every note of a case, newest first.
    List {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        #[arg(long)]
        json: bool,
    },
    /// Write a new version of a note. The earlier versions stay in its history.
    Edit {
        #[arg(value_name = "NOTE_ID")]
        note: String,
        #[command(flatten)]
        text: NoteText,
        /// Change the category too; by default it stays as it was.
        #[arg(long, value_name = "CATEGORY", value_parser = parse_note_category)]
        category: Option<NoteCategory>,
        /// Refuse the edit if the note is no longer at this version (someone else edited it).
        #[arg(long, value_name = "N")]
        expect_version: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Every version of a note, oldest first.
    History {
        #[arg(value_name = "NOTE_ID")]
        note: String,
        #[arg(long)]
        json: bool,
    },
}

/// Where the text of a note comes from: exactly one of the two.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("note_text").required(true).args(["text", "text_file"])))]
pub struct NoteText {
    /// The text of the note.
    #[arg(long, value_name = "TEXT")]
    pub text: Option<String>,
    /// Read the text from a file (`-` reads standard input).
    #[arg(long, value_name = "FILE|-")]
    pub text_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum StatusCommand {
    /// Move a case to another status. Only moves that make sense are allowed; a refusal says
    /// which moves are possible.
    Set {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        /// The new status: intake, active, located_alive, located_deceased, recovered,
        /// resolved or closed.
        #[arg(value_name = "STATUS", value_parser = parse_status)]
        to: CaseStatus,
        /// Why the status changes; the next person on the case will ask.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// How the case ended, when resolving it: returned_home, in_care,
        /// located_by_law_enforcement, returned_on_own, deceased or other.
        #[arg(long, value_name = "OUTCOME", value_parser = parse_outcome)]
        outcome: Option<Outcome>,
        #[arg(long)]
        json: bool,
    },
    /// Every status the case has had, oldest first.
    History {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PhotosCommand {
    /// Attach one or more image files to a case. Each file is checked on its own: refused files
    /// are named with the reason and the others are still added.
    Add(PhotosAddArgs),
    /// The photos of a case, the primary one first.
    List {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct PhotosAddArgs {
    #[arg(value_name = "ID_OR_CASE_NUMBER")]
    pub case: String,
    /// JPEG, PNG or WebP files, at most 25 MB each.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// What the images show. Defaults to photo, or age_progressed with --age-progressed-to.
    #[arg(long, value_enum, value_name = "KIND")]
    pub kind: Option<PhotoKindArg>,
    /// The age an age-progressed image shows.
    #[arg(long, value_name = "N")]
    pub age_progressed_to: Option<u8>,
    /// The day the photo was taken (YYYY-MM-DD); read from the image's EXIF data when left out.
    #[arg(long, value_name = "DATE")]
    pub taken_on: Option<String>,
    /// The child's age in the photo, in years.
    #[arg(long, value_name = "N")]
    pub child_age: Option<u8>,
    /// Where the images came from, e.g. mother, school portrait, forensic artist.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub source: String,
    /// The family or guardian agreed that these photos may be published on posters.
    #[arg(long)]
    pub consent: bool,
    /// Print the added photos as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PhotoKindArg {
    Photo,
    #[value(name = "age_progressed", alias = "age-progressed")]
    AgeProgressed,
    Companion,
    Vehicle,
}

#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Add a family contact to a case.
    Add(ContactAddArgs),
    /// The contacts of a case: current ones first (primary first), then removed ones.
    List {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        #[arg(long)]
        json: bool,
    },
    /// Mark a contact removed. It stays in the case's history with the reason.
    Remove {
        #[arg(value_name = "CONTACT_ID")]
        contact: String,
        /// Why the contact is removed.
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ContactAddArgs {
    #[arg(value_name = "ID_OR_CASE_NUMBER")]
    pub case: String,
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// mother, father, guardian, foster_parent, sibling, grandparent or other.
    #[arg(long, value_name = "RELATIONSHIP", value_parser = parse_relationship)]
    pub relationship: Relationship,
    /// How the person is related, when the relationship is other (e.g. aunt, caseworker).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub relationship_detail: String,
    /// A phone number; repeat for several, the first is the main one.
    #[arg(long = "phone", value_name = "PHONE")]
    pub phones: Vec<String>,
    #[arg(long, value_name = "EMAIL", default_value = "")]
    pub email: String,
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub address: String,
    #[arg(long, value_name = "LANGUAGE", default_value = "")]
    pub language: String,
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub best_time: String,
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub notes: String,
    /// The first person to call; clears the flag on the case's other contacts.
    #[arg(long)]
    pub primary: bool,
    /// Never give this person case updates (e.g. a suspected abducting parent).
    #[arg(long)]
    pub do_not_disclose: bool,
    /// Print the stored contact as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PosterArgs {
    /// The cases, by id or case number. One case: --out is the PDF. Several: one file each in
    /// the folder --out, or one page each when --out ends in .pdf, or one poster of siblings
    /// with --together.
    #[arg(value_name = "ID_OR_CASE_NUMBER", required_unless_present = "bulk", conflicts_with = "bulk")]
    pub cases: Vec<String>,
    /// Where to write: a .pdf file, or a folder for one file per case (created if missing).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// letter (US) or a4.
    #[arg(long, value_name = "PAPER", default_value = "letter")]
    pub paper: Paper,
    /// en (English) or es (Spanish).
    #[arg(long = "lang", value_name = "LANG", default_value = "en")]
    pub language: Language,
    /// Put the children of all the cases named on one poster (siblings taken together, 2 to 4).
    #[arg(long, conflicts_with = "bulk")]
    pub together: bool,
    /// A poster for every case matching --state, --status and --type, rendered on every core.
    #[arg(long)]
    pub bulk: bool,
    /// With --bulk: only cases from this state (USPS code, e.g. TX).
    #[arg(long, value_name = "ST", conflicts_with = "cases")]
    pub state: Option<String>,
    /// With --bulk: only cases in this status.
    #[arg(long, value_name = "STATUS", value_parser = parse_status, conflicts_with = "cases")]
    pub status: Option<CaseStatus>,
    /// With --bulk: only cases of this type.
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_case_type, conflicts_with = "cases")]
    pub case_type: Option<CaseType>,
    /// With --bulk: one file per case in the folder --out, even if it ends in .pdf.
    #[arg(long, conflicts_with = "cases")]
    pub per_case: bool,
    /// The organisation's public site; the QR code links to its page for the case.
    #[arg(long, value_name = "URL", env = "PORCHLIGHT_PUBLIC_BASE_URL", default_value = "https://porchlight.example.org")]
    pub base_url: String,
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
    /// Change one field of a case, named by its dotted path (child.given_name, event.city,
    /// description.hair…; `cases show --json` lists them). VALUE is read as JSON when it is JSON
    /// (numbers, true, null, lists), else as text. Checked like any edit.
    Set {
        #[arg(value_name = "ID_OR_CASE_NUMBER")]
        case: String,
        #[arg(value_name = "FIELD")]
        field: String,
        #[arg(value_name = "VALUE", allow_hyphen_values = true)]
        value: String,
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

/// Reads a snake_case code of a domain list (`lead_tip`, `foster_parent`), accepting dashes and
/// capitals, and names every choice when the code is not one of them.
fn parse_code<T: Copy + Serialize + DeserializeOwned>(raw: &str, what: &str, all: &[T]) -> Result<T, String> {
    let wanted = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    serde_json::from_value(serde_json::Value::String(wanted)).map_err(|_| {
        let codes: Vec<String> = all.iter().filter_map(|c| serde_json::to_value(c).ok()).filter_map(|v| v.as_str().map(str::to_owned)).collect();
        format!("\"{raw}\" is not {what}; use one of {}", codes.join(", "))
    })
}

fn parse_note_category(raw: &str) -> Result<NoteCategory, String> {
    parse_code(raw, "a note category", NoteCategory::ALL)
}

fn parse_outcome(raw: &str) -> Result<Outcome, String> {
    parse_code(raw, "an outcome", Outcome::ALL)
}

fn parse_relationship(raw: &str) -> Result<Relationship, String> {
    parse_code(raw, "a relationship", Relationship::ALL)
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

    #[test]
    fn list_codes_are_read_with_dashes_or_underscores_and_refusals_list_the_choices() {
        assert_eq!(parse_note_category("lead-tip"), Ok(NoteCategory::LeadTip));
        assert_eq!(parse_note_category("Law_Enforcement"), Ok(NoteCategory::LawEnforcement));
        assert_eq!(parse_outcome("returned_home"), Ok(Outcome::ReturnedHome));
        assert_eq!(parse_relationship("foster parent"), Ok(Relationship::FosterParent));
        let refused = parse_note_category("gossip").unwrap_err();
        assert!(refused.contains("call, lead_tip, family_contact, law_enforcement, media, internal"), "{refused}");
    }

    #[test]
    fn a_conflict_is_resolved_by_exactly_one_choice() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["porchlight", "conflicts", "resolve", "C1"], args].concat());
        assert!(parse(&[]).is_err(), "no choice");
        assert!(parse(&["--keep", "mine", "--value", "\"x\""]).is_err(), "two choices");
        assert!(parse(&["--keep", "ours"]).is_err(), "unknown side");
        let Command::Conflicts(ConflictsArgs { command: Some(ConflictsCommand::Resolve(r)) }) = parse(&["--keep", "theirs"]).unwrap().command else {
            panic!("not a resolve command")
        };
        assert_eq!(r.keep, Some(KeepSide::Theirs));
        let listed = Cli::try_parse_from(["porchlight", "conflicts"]).unwrap();
        assert!(matches!(listed.command, Command::Conflicts(ConflictsArgs { command: None })));
    }

    #[test]
    fn enrolment_takes_no_password_argument() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["porchlight", "enrol"], args].concat());
        assert!(parse(&["--server", "https://sync.example.org", "--user", "ana", "--password", "x"]).is_err());
        let ok = parse(&["--server", "https://sync.example.org", "--user", "ana", "--totp", "123456"]).unwrap();
        let Command::Enrol(e) = ok.command else { panic!("not enrol") };
        assert_eq!((e.user.as_str(), e.totp.as_deref(), e.device_name), ("ana", Some("123456"), None));
    }

    #[test]
    fn a_poster_needs_cases_or_bulk_and_bulk_filters_need_bulk() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["porchlight", "poster"], args].concat());
        assert!(parse(&["--out", "x.pdf"]).is_err(), "no case and no --bulk");
        assert!(parse(&["PL-1", "--out", "x.pdf", "--state", "TX"]).is_err(), "--state with cases named");
        assert!(parse(&["PL-1", "--bulk", "--out", "x"]).is_err(), "cases and --bulk together");
        assert!(parse(&["--bulk", "--out", "x.pdf", "--paper", "legal"]).is_err(), "unknown paper");
        let ok = parse(&["PL-1", "PL-2", "--out", "x.pdf", "--lang", "es", "--paper", "a4", "--together"]).unwrap();
        let Command::Poster(p) = ok.command else { panic!("not a poster command") };
        assert_eq!((p.cases.len(), p.language, p.paper, p.together), (2, Language::Spanish, Paper::A4, true));
    }
}
