//! Runs the real `porchlight` binary against temporary workspaces: creating one, seeding it,
//! listing with filters and sorts, showing, creating and archiving cases, and every way a
//! passphrase can be wrong or missing. Each test has its own workspace.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSPHRASE: &str = "Blue-kettle-49-sings";

struct Workspace {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Workspace {
    /// A path where no workspace exists yet.
    fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.porchlight");
        Workspace { _dir: dir, path }
    }

    /// A created workspace with `n` seeded cases.
    fn seeded(n: usize) -> Self {
        let ws = Workspace::empty();
        ws.ok(&["init"]);
        if n > 0 {
            ws.ok(&["seed", "--cases", &n.to_string(), "--seed", "7"]);
        }
        ws
    }

    /// Runs porchlight with this workspace and the right passphrase in the environment.
    fn run(&self, args: &[&str]) -> Output {
        porchlight(&self.path, Some(PASSPHRASE), args, None)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "porchlight {args:?} failed: {}\n{}", code(&out), stderr(&out));
        stdout(&out)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        serde_json::from_str(&self.ok(&all)).expect("JSON output")
    }
}

/// The binary with a clean environment: no passphrase unless given, no terminal on stdin.
fn porchlight(workspace: &Path, passphrase: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_porchlight"));
    cmd.args(args)
        .env("PORCHLIGHT_WORKSPACE", workspace)
        .env_remove("PORCHLIGHT_PASSPHRASE")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = passphrase {
        cmd.env("PORCHLIGHT_PASSPHRASE", p);
    }
    let mut child = cmd.spawn().expect("the porchlight binary starts");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn rows(page: &Value) -> &Vec<Value> {
    page["rows"].as_array().expect("rows")
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

#[test]
fn init_refuses_a_weak_passphrase_creates_once_and_refuses_an_existing_workspace() {
    let ws = Workspace::empty();
    let weak = porchlight(&ws.path, Some("short1A!"), &["init"], None);
    assert_eq!(code(&weak), 2, "{}", stderr(&weak));
    assert!(stderr(&weak).starts_with("error: Use at least 12 characters"), "{}", stderr(&weak));
    assert!(!ws.path.exists(), "a refused workspace leaves no file");

    let made = ws.run(&["init"]);
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    assert!(stdout(&made).contains("Created an encrypted workspace"));
    assert!(ws.path.exists());
    let bytes = std::fs::read(&ws.path).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"), "the workspace is encrypted");

    let again = ws.run(&["init"]);
    assert_eq!(code(&again), 5);
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
}

#[test]
fn seed_adds_cases_and_reports_the_rate() {
    let ws = Workspace::seeded(0);
    let out = ws.run(&["seed", "--cases", "200", "--seed", "3", "--batch", "64"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).starts_with("Added 200 synthetic cases (seed 3)"), "{}", stdout(&out));
    assert!(stdout(&out).contains("cases/s"));
    assert!(stderr(&out).contains("Seeding: 200 of 200 cases"), "progress on stderr: {}", stderr(&out));
    let page = ws.json(&["cases", "list", "--limit", "500"]);
    assert_eq!(page["total"], 200);
    assert_eq!(rows(&page).len(), 200);
    assert!(rows(&page).iter().all(|r| r["status"] == "intake"), "the store decides the first status");

    let summary = ws.json(&["seed", "--cases", "5", "--seed", "4"]);
    assert_eq!(summary["cases"], 5);
    assert_eq!(ws.json(&["cases", "list"])["total"], 205);
}

#[test]
fn the_list_sorts_by_each_column_in_both_directions() {
    let ws = Workspace::seeded(200);
    let column = |page: &Value, key: &str| rows(page).iter().map(|r| text(r, key)).collect::<Vec<_>>();

    let newest_first = ws.json(&["cases", "list", "--limit", "500"]);
    let dates = column(&newest_first, "missing_date");
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "missing date, newest first by default");
    let oldest_first = ws.json(&["cases", "list", "--limit", "500", "--asc"]);
    let dates = column(&oldest_first, "missing_date");
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "--asc reverses it");

    let by_name = ws.json(&["cases", "list", "--limit", "500", "--sort", "name"]);
    let names: Vec<String> = rows(&by_name).iter().map(|r| format!("{} {}", text(r, "family_name"), text(r, "given_name")).to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "names A to Z: {names:?}");
    let by_name_desc = ws.json(&["cases", "list", "--limit", "500", "--sort", "name", "--desc"]);
    assert_eq!(rows(&by_name_desc).first().map(|r| text(r, "id")), rows(&by_name).last().map(|r| text(r, "id")));

    for (sort, key) in [("case-number", "case_number"), ("state", "state"), ("type", "case_type")] {
        let page = ws.json(&["cases", "list", "--limit", "500", "--sort", sort]);
        let values = column(&page, key);
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "sorted by {sort}");
        let page = ws.json(&["cases", "list", "--limit", "500", "--sort", sort, "--desc"]);
        let values = column(&page, key);
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "sorted by {sort}, descending");
    }
}

#[test]
fn the_list_filters_pages_and_prints_a_table() {
    let ws = Workspace::seeded(200);
    let all = ws.json(&["cases", "list", "--limit", "500"]);

    let runaways = ws.json(&["cases", "list", "--type", "eru", "--limit", "500"]);
    let expected = rows(&all).iter().filter(|r| r["case_type"] == "ERU").count();
    assert_eq!(runaways["total"], expected);
    assert!(expected > 150 && expected < 200, "about 91 % are runaways: {expected}");
    assert!(rows(&runaways).iter().all(|r| r["case_type"] == "ERU"));

    let state = text(&rows(&all)[0], "state");
    let in_state = ws.json(&["cases", "list", "--state", &state.to_lowercase(), "--limit", "500"]);
    assert_eq!(in_state["total"], rows(&all).iter().filter(|r| text(r, "state") == state).count());
    assert!(rows(&in_state).iter().all(|r| text(r, "state") == state));

    assert_eq!(ws.json(&["cases", "list", "--status", "intake"])["total"], 200);
    assert_eq!(ws.json(&["cases", "list", "--status", "active"])["total"], 0);

    let family = text(&rows(&all)[0], "family_name");
    let prefix: String = family.chars().take(3).collect();
    let found = ws.json(&["cases", "list", "--search", &prefix, "--limit", "500"]);
    assert!(rows(&found).iter().any(|r| text(r, "family_name") == family));

    let tail = ws.json(&["cases", "list", "--limit", "10", "--offset", "195"]);
    assert_eq!(rows(&tail).len(), 5);
    assert_eq!(tail["total"], 200);

    let table = ws.ok(&["cases", "list", "--limit", "5", "--sort", "name"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("CASE NUMBER") && lines[0].contains("MISSING") && lines[0].ends_with("ST"), "{table}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("PL-")).count(), 5);
    assert!(table.contains("Cases 1–5 of 200, sorted by name"), "{table}");
    let nothing = ws.ok(&["cases", "list", "--status", "closed"]);
    assert_eq!(nothing.trim(), "No cases match.");

    let bad_state = ws.run(&["cases", "list", "--state", "ZZ"]);
    assert_eq!(code(&bad_state), 2);
    assert!(stderr(&bad_state).contains("state: "), "{}", stderr(&bad_state));
    let bad_type = ws.run(&["cases", "list", "--type", "runaway"]);
    assert_eq!(code(&bad_type), 64, "a malformed command line is a usage error");
    assert!(stderr(&bad_type).contains("ERU"));
    let too_many = ws.run(&["cases", "list", "--limit", "501"]);
    assert_eq!(code(&too_many), 2);
    assert!(stderr(&too_many).contains("limit: "));
}

#[test]
fn a_case_is_shown_by_id_or_case_number() {
    let ws = Workspace::seeded(30);
    let page = ws.json(&["cases", "list", "--type", "fa", "--limit", "1"]);
    let row = rows(&page).first().cloned().unwrap_or_else(|| rows(&ws.json(&["cases", "list", "--limit", "1"]))[0].clone());
    let (id, number) = (text(&row, "id"), text(&row, "case_number"));

    let by_id = ws.ok(&["cases", "show", &id]);
    let by_number = ws.ok(&["cases", "show", &number]);
    assert_eq!(by_id, by_number);
    assert_eq!(ws.ok(&["cases", "show", &number.to_lowercase()]), by_id, "case numbers are read in any case");
    assert!(by_id.starts_with(&number), "{by_id}");
    assert!(by_id.contains(&text(&row, "given_name")));
    for heading in ["\nCase\n", "\nChild\n", "\nDescription\n", "\nThe event\n", "\nLaw enforcement\n"] {
        assert!(by_id.contains(heading), "{heading:?} missing from\n{by_id}");
    }
    assert!(by_id.contains(&format!("Last seen               {}", text(&row, "missing_date"))), "{by_id}");

    let record: Value = ws.json(&["cases", "show", &number]);
    assert_eq!(text(&record, "id"), id);
    assert_eq!(record["fields"]["child"]["family_name"], row["family_name"]);
    assert_eq!(record["version"], 1);

    let missing = ws.run(&["cases", "show", "PL-2601-AAAA-AAAA"]);
    assert_eq!(code(&missing), 4);
    assert!(stderr(&missing).contains("There is no case PL-2601-AAAA-AAAA"));
    let unknown_id = ws.run(&["cases", "show", "01900000-0000-7000-8000-000000000000"]);
    assert_eq!(code(&unknown_id), 4);
    let nonsense = ws.run(&["cases", "show", "Robert'); DROP TABLE cases;--"]);
    assert_eq!(code(&nonsense), 2);
    assert!(stderr(&nonsense).contains("case: "), "{}", stderr(&nonsense));
}

#[test]
fn seeded_photos_are_listed_with_the_case() {
    let ws = Workspace::seeded(0);
    ws.ok(&["seed", "--cases", "3", "--photos", "--seed", "5"]);
    let page = ws.json(&["cases", "list"]);
    let shown: Vec<String> = rows(&page).iter().map(|r| ws.ok(&["cases", "show", &text(r, "id")])).collect();
    assert!(shown.iter().all(|s| s.contains("\nPhotos\n") && s.contains("240×300 image/png")), "{shown:#?}");
    assert_eq!(shown.iter().map(|s| s.matches("primary").count()).sum::<usize>(), 3, "one primary photo per case");
}

fn valid_case_json() -> Value {
    serde_json::json!({
        "case_type": "ERU",
        "child": { "given_name": "Maëlle", "family_name": "Nguyễn", "date_of_birth": "2011-04-02", "sex": "F" },
        "description": { "hair": "BRO", "eyes": "HAZ", "height_cm": 152 },
        "event": { "last_seen_date": "2026-01-19", "city": "Tulsa", "state": "ok" },
        "law_enforcement": { "agency_name": "Tulsa Police Department", "investigator_phone": "918 555 0143" }
    })
}

#[test]
fn a_case_is_created_from_json_and_bad_fields_are_named() {
    let ws = Workspace::seeded(0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("case.json");
    std::fs::write(&file, valid_case_json().to_string()).unwrap();
    let made = ws.ok(&["cases", "create", "--json", file.to_str().unwrap()]);
    assert!(made.starts_with("Created case PL-"), "{made}");
    let number = made.split_whitespace().nth(2).unwrap();
    let record = ws.json(&["cases", "show", number]);
    assert_eq!(record["fields"]["child"]["family_name"], "Nguyễn");
    assert_eq!(record["fields"]["event"]["state"], "OK");
    assert_eq!(record["fields"]["law_enforcement"]["investigator_phone"], "(918) 555-0143");

    let from_stdin = porchlight(&ws.path, Some(PASSPHRASE), &["cases", "create", "--json", "-"], Some(&valid_case_json().to_string()));
    assert_eq!(code(&from_stdin), 0, "{}", stderr(&from_stdin));
    assert_eq!(ws.json(&["cases", "list"])["total"], 2);

    let refused = |json: Value, field: &str| {
        let out = porchlight(&ws.path, Some(PASSPHRASE), &["cases", "create", "--json", "-"], Some(&json.to_string()));
        assert_eq!(code(&out), 2, "{field}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.lines().any(|l| l.trim_start().starts_with(&format!("{field}: "))), "{field} not named in:\n{err}");
    };
    let mut future = valid_case_json();
    future["child"]["date_of_birth"] = "2999-01-01".into();
    refused(future, "child.date_of_birth");
    let mut code_outside_list = valid_case_json();
    code_outside_list["description"]["hair"] = "ZZZ".into();
    refused(code_outside_list, "description.hair");
    let mut misspelt = valid_case_json();
    misspelt["child"]["famly_name"] = "X".into();
    refused(misspelt, "child.famly_name");
    let mut two = valid_case_json();
    two["event"]["city"] = "".into();
    two["law_enforcement"]["ncic_number"] = "123".into();
    refused(two.clone(), "event.city");
    refused(two, "law_enforcement.ncic_number");
    let out = porchlight(&ws.path, Some(PASSPHRASE), &["cases", "create", "--json", "-"], Some("{ not json"));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("json: This is not JSON"), "{}", stderr(&out));
    assert_eq!(ws.json(&["cases", "list"])["total"], 2, "nothing refused was saved");

    let absent = ws.run(&["cases", "create", "--json", "/no/such/case.json"]);
    assert_eq!(code(&absent), 4);
}

#[test]
fn archived_cases_leave_the_list_and_come_back_on_restore() {
    let ws = Workspace::seeded(12);
    let first = rows(&ws.json(&["cases", "list", "--limit", "1"]))[0].clone();
    let number = text(&first, "case_number");
    assert!(ws.ok(&["cases", "archive", &number]).starts_with(&format!("Archived case {number}")));
    assert_eq!(ws.json(&["cases", "list"])["total"], 11);
    let with_archived = ws.json(&["cases", "list", "--archived", "--limit", "500"]);
    assert_eq!(with_archived["total"], 12);
    assert!(rows(&with_archived).iter().any(|r| text(r, "case_number") == number && r["archived"] == true));
    assert!(ws.ok(&["cases", "show", &number]).contains(", archived "));
    assert!(ws.ok(&["cases", "archive", &text(&first, "id"), "--restore"]).starts_with("Restored case"));
    assert_eq!(ws.json(&["cases", "list"])["total"], 12);
}

#[test]
fn a_wrong_passphrase_is_told_apart_and_changes_nothing() {
    let ws = Workspace::seeded(5);
    let before = std::fs::read(&ws.path).unwrap();
    let out = porchlight(&ws.path, Some("Not-the-right-one-77"), &["cases", "list"], None);
    assert_eq!(code(&out), 3);
    assert_eq!(stderr(&out).lines().next().unwrap(), "error: That passphrase does not open this workspace. Check Caps Lock and the keyboard layout, then try again.");
    assert!(stdout(&out).is_empty());
    assert_eq!(std::fs::read(&ws.path).unwrap(), before, "a failed unlock writes nothing");
    assert_eq!(ws.json(&["cases", "list"])["total"], 5);
}

#[test]
fn without_a_passphrase_or_a_terminal_the_command_says_how_to_give_one() {
    let ws = Workspace::seeded(0);
    let out = porchlight(&ws.path, None, &["cases", "list"], None);
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: No passphrase was given."), "{err}");
    assert!(err.contains("PORCHLIGHT_PASSPHRASE") && err.contains("--passphrase-file"), "{err}");

    let fresh = Workspace::empty();
    let out = porchlight(&fresh.path, None, &["init"], None);
    assert_eq!(code(&out), 6);
    assert!(!fresh.path.exists());
}

#[test]
fn a_passphrase_file_stands_in_for_the_environment() {
    let ws = Workspace::seeded(3);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pass");
    std::fs::write(&file, format!("{PASSPHRASE}\n")).unwrap();
    let out = porchlight(&ws.path, None, &["cases", "list", "--json", "--passphrase-file", file.to_str().unwrap()], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["total"], 3);
}

#[test]
fn a_missing_workspace_and_a_malformed_command_line_have_their_own_codes() {
    let nowhere = Workspace::empty();
    let out = porchlight(&nowhere.path, Some(PASSPHRASE), &["cases", "list"], None);
    assert_eq!(code(&out), 4);
    assert!(stderr(&out).contains("There is no workspace at"), "{}", stderr(&out));
    assert!(!nowhere.path.exists(), "listing never creates a workspace");

    let out = porchlight(&nowhere.path, Some(PASSPHRASE), &["cases", "frobnicate"], None);
    assert_eq!(code(&out), 64);
    let out = porchlight(&nowhere.path, Some(PASSPHRASE), &["seed", "--cases", "many"], None);
    assert_eq!(code(&out), 64);
    let help = porchlight(&nowhere.path, None, &["--help"], None);
    assert_eq!(code(&help), 0);
    assert!(stdout(&help).contains("Exit codes:"));

    let json_error = porchlight(&nowhere.path, Some(PASSPHRASE), &["cases", "list", "--json"], None);
    let err: Value = serde_json::from_slice(&json_error.stderr).expect("with --json, the error is JSON too");
    assert_eq!(err["code"], "workspace_not_found");
}
