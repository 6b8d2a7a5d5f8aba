//! The sync commands on the real binary: `cases set` on a real workspace, the refusals that
//! need no service (not enrolled, a bad address, no password, nobody listening), and, against
//! the real central service on a real PostgreSQL, the CLI as one device of a case manager
//! editing the same field as another device offline: the conflict listed, resolved, both
//! converged; then a revoked device and a remote wipe.

use super::super::{code, stderr, stdout, valid_case_json, Workspace, PASSPHRASE};
use serde_json::Value;

// The engine's own harness: one copy of how a test gets a database, a service and people. Not
// every helper of it is used here.
#[allow(dead_code)]
#[path = "../../../porchlight-sync-client/tests/engine/harness.rs"]
mod harness;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The binary with a clean environment plus `env`.
fn run_with(workspace: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_porchlight"));
    cmd.args(args)
        .env("PORCHLIGHT_WORKSPACE", workspace)
        .env("PORCHLIGHT_PASSPHRASE", PASSPHRASE)
        .env_remove("PORCHLIGHT_SYNC_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the porchlight binary runs")
}

/// A workspace with one case made from `valid_case_json`; answers its case number.
fn one_case(ws: &Workspace) -> String {
    let out = super::super::porchlight(&ws.path, Some(PASSPHRASE), &["cases", "create", "--json", "-"], Some(&valid_case_json().to_string()));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout(&out).split_whitespace().nth(2).unwrap().to_owned()
}

#[test]
fn one_field_is_set_by_its_path_checked_like_any_edit_and_a_wrong_path_is_named() {
    let ws = Workspace::seeded(0);
    let number = one_case(&ws);
    let said = ws.ok(&["cases", "set", &number, "child.given_name", "Anna"]);
    assert!(said.starts_with(&format!("Set child.given_name of case {number} to \"Anna\"")), "{said}");
    // JSON when it is JSON: a number for a number field, a list for a list.
    ws.ok(&["cases", "set", &number, "description.height_cm", "160"]);
    ws.ok(&["cases", "set", &number, "description.hair", "BLK"]);
    ws.ok(&["cases", "set", &number, "event.state", "tx"]);
    // A bare number for a text field is the text it was meant as.
    ws.ok(&["cases", "set", &number, "law_enforcement.agency_case_number", "2026001234"]);
    let record = ws.json(&["cases", "show", &number]);
    assert_eq!(record["fields"]["child"]["given_name"], "Anna");
    assert_eq!(record["fields"]["description"]["height_cm"], 160.0);
    assert_eq!(record["fields"]["description"]["hair"], "BLK");
    assert_eq!(record["fields"]["event"]["state"], "TX", "normalised as any edit is");
    assert_eq!(record["fields"]["law_enforcement"]["agency_case_number"], "2026001234");
    let unchanged = ws.ok(&["cases", "set", &number, "child.given_name", "Anna"]);
    assert!(unchanged.contains("nothing changed"), "{unchanged}");

    let refused = |args: &[&str], field: &str, words: &str| {
        let out = ws.run(&[&["cases", "set", &number], args].concat());
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.lines().any(|l| l.trim_start().starts_with(&format!("{field}: ")) && l.contains(words)), "{args:?} gave:\n{err}");
    };
    refused(&["hair", "BRO"], "hair", "description.hair");
    refused(&["child.sex", "Q"], "child.sex", "does not fit");
    refused(&["child.date_of_birth", "2999-01-01"], "child.date_of_birth", "");
    refused(&["description.hair", "ZZZ"], "description.hair", "BLK");
    assert_eq!(ws.json(&["cases", "show", &number])["fields"]["child"]["date_of_birth"], "2011-04-02", "nothing refused was saved");
}

#[test]
fn sync_before_enrolment_says_to_enrol_and_exits_7() {
    let ws = Workspace::seeded(0);
    let out = ws.run(&["sync"]);
    assert_eq!(code(&out), 7, "{}", stderr(&out));
    assert!(stderr(&out).contains("porchlight enrol --server URL --user NAME"), "{}", stderr(&out));
    let none = ws.ok(&["conflicts"]);
    assert_eq!(none, "No conflicts wait to be resolved.\n");
    let out = ws.run(&["conflicts", "resolve", "0194f3a2-7c1e-7d40-9b1a-2f6e8d0c4b11", "--keep", "mine"]);
    assert_ne!(code(&out), 0, "an unknown conflict is not resolved: {}", stdout(&out));
}

#[test]
fn enrolment_refuses_a_bad_address_before_asking_for_anything_and_needs_a_password() {
    let ws = Workspace::seeded(0);
    // No passphrase in the environment: a bad address is refused before the unlock.
    let out = super::super::porchlight(&ws.path, None, &["enrol", "--server", "sync.example.org", "--user", "ana"], None);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("server: \"sync.example.org\" is not an http(s) address; give e.g. https://sync.example.org"), "{}", stderr(&out));

    let out = run_with(&ws.path, &[], &["enrol", "--server", "http://127.0.0.1:9", "--user", "ana"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("password: no password was given: set PORCHLIGHT_SYNC_PASSWORD"), "{}", stderr(&out));
}

#[test]
fn enrolment_with_nobody_listening_exits_8_and_says_the_work_is_kept() {
    let ws = Workspace::seeded(0);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let out = run_with(&ws.path, &[("PORCHLIGHT_SYNC_PASSWORD", "a long password")], &["enrol", "--server", &url, "--user", "ana"]);
    assert_eq!(code(&out), 8, "{}", stderr(&out));
    assert!(stderr(&out).contains(&url) && stderr(&out).contains("refused"), "{}", stderr(&out));
    let out = ws.run(&["sync"]);
    assert_eq!(code(&out), 7, "a failed enrolment leaves the workspace unenrolled: {}", stderr(&out));
}

mod with_the_service {
    //! Against the real service: the harness is the engine's own (one copy of how a test gets a
    //! database, a service and people).

    use super::harness::World;
    use super::*;
    use porchlight_domain::Moment;
    use porchlight_server::people::Role;

    fn cli(ws: &Workspace, password: &str, args: &[&str]) -> Output {
        run_with(&ws.path, &[("PORCHLIGHT_SYNC_PASSWORD", password)], args)
    }

    fn ok(out: Output, what: &str) -> String {
        assert_eq!(code(&out), 0, "{what} failed: {}\n{}", stderr(&out), stdout(&out));
        stdout(&out)
    }

    #[test]
    fn the_cli_as_a_second_device_enrols_syncs_meets_a_conflict_resolves_it_and_both_converge() {
        let Some(world) = World::start() else { return };
        let office = world.office("Tulsa");
        let ana = world.person("ana.field", Role::CaseManager, Some(office));

        // The first device (the app's workspace, driven in-process) makes the case.
        let mut laptop = world.workspace("ana-laptop");
        world.enrol(&mut laptop, &ana);
        let fields: porchlight_domain::CaseFields = serde_json::from_value(valid_case_json()).unwrap();
        let case = laptop.ws().create_case(&fields, Moment::now()).unwrap();
        laptop.sync().unwrap();

        // The CLI enrols and receives it.
        let ws = Workspace::seeded(0);
        let said = ok(cli(&ws, &ana.password, &["enrol", "--server", &world.url, "--user", "ana.field", "--device-name", "Train laptop"]), "enrol");
        assert!(said.contains("Enrolled this computer (\"Train laptop\")") && said.contains("case manager"), "{said}");
        let said = ok(cli(&ws, "", &["sync"]), "first sync");
        assert!(said.contains(&format!("Synced with {} as Test ana.field (case manager)", world.url)), "{said}");
        assert!(said.contains("0 refused"), "{said}");
        assert!(said.contains("search    1 case made searchable in"), "{said}");
        let number = case.case_number.clone();
        let found = ws.json(&["search", "Maëlle"]);
        assert_eq!(found["hits"][0]["case"]["case_number"], number.as_str(), "{found}");
        assert_eq!(found["indexing"], 0, "{found}");
        assert_eq!(ws.json(&["cases", "show", &number])["fields"]["child"]["given_name"], "Maëlle");

        // Both edit the given name offline; the laptop syncs first.
        let record = laptop.ws().get_case(case.id).unwrap();
        let mut f = record.fields.clone();
        f.child.given_name = "Maelle".into();
        laptop.ws().update_case(case.id, record.version, &f, Moment::now()).unwrap();
        ok(cli(&ws, "", &["cases", "set", &number, "child.given_name", "Mael"]), "cases set");
        laptop.sync().unwrap();
        let said = ok(cli(&ws, "", &["sync"]), "sync into a conflict");
        assert!(said.contains("conflicts 1 new: see `porchlight conflicts`"), "{said}");

        let listed = ok(cli(&ws, "", &["conflicts"]), "conflicts");
        assert!(listed.starts_with("1 conflict to resolve:"), "{listed}");
        assert!(listed.contains("child.given_name") && listed.contains("Mael") && listed.contains("Maelle"), "{listed}");
        let views: Value = serde_json::from_str(&ok(cli(&ws, "", &["conflicts", "list", "--json"]), "conflicts --json")).unwrap();
        let id = views[0]["id"].as_str().unwrap().to_owned();
        assert!(views[0]["mine"]["this_device"].as_bool().unwrap());
        let said = ok(cli(&ws, "", &["conflicts", "resolve", &id, "--keep", "mine"]), "resolve");
        assert!(said.contains("kept") && said.contains("porchlight sync"), "{said}");
        ok(cli(&ws, "", &["sync"]), "sync the resolution");
        laptop.sync().unwrap();

        assert!(laptop.ws().conflicts(None).unwrap().is_empty());
        assert_eq!(laptop.ws().get_case(case.id).unwrap().fields.child.given_name, "Mael");
        assert_eq!(ws.json(&["cases", "show", &number])["fields"]["child"]["given_name"], "Mael");
        assert_eq!(ok(cli(&ws, "", &["conflicts"]), "conflicts"), "No conflicts wait to be resolved.\n");
        let report: Value = serde_json::from_str(&ok(cli(&ws, "", &["sync", "--json"]), "sync --json")).unwrap();
        assert_eq!(report["report"]["rejected"], 0);

        // Enrolling this workspace as someone else is refused.
        let out = cli(&ws, "x", &["enrol", "--server", &world.url, "--user", "bo.other"]);
        assert_eq!(code(&out), 2, "{}", stderr(&out));
        assert!(stderr(&out).contains("user: this workspace syncs as ana.field"), "{}", stderr(&out));
    }

    #[test]
    fn a_revoked_device_exits_9_in_words_and_a_wiped_one_loses_its_workspace() {
        let Some(world) = World::start() else { return };
        let office = world.office("Tulsa");
        let ana = world.person("ana.field", Role::CaseManager, Some(office));
        let ws = Workspace::seeded(0);
        ok(cli(&ws, &ana.password, &["enrol", "--server", &world.url, "--user", "ana.field"]), "enrol");
        let wrong = cli(&Workspace::seeded(0), "not the password", &["enrol", "--server", &world.url, "--user", "ana.field"]);
        assert_eq!(code(&wrong), 9, "{}", stderr(&wrong));
        ok(cli(&ws, "", &["sync"]), "sync");
        let devices = world.query_text("SELECT id::text FROM devices WHERE name LIKE 'Porchlight command line%' ORDER BY enrolled_at", &[]);
        assert_eq!(devices.len(), 1, "{devices:?}");
        let device: uuid::Uuid = devices[0].parse().unwrap();

        world.request_wipe(device);
        let one_case = one_case(&ws);
        let out = cli(&ws, "", &["sync"]);
        assert_eq!(code(&out), 9, "{}", stderr(&out));
        assert!(stderr(&out).contains("flagged this device for remote wipe") && stderr(&out).contains("was deleted"), "{}", stderr(&out));
        assert!(stderr(&out).contains("the central service was told"), "{}", stderr(&out));
        assert!(!ws.path.exists(), "the workspace with case {one_case} is gone");
        let wiped = world.query_text("SELECT (wiped_at IS NOT NULL)::text FROM devices WHERE id = $1", &[&device]);
        assert_eq!(wiped, vec!["true"]);

        // Another device of Ana's, revoked by an administrator.
        let other = Workspace::seeded(0);
        ok(cli(&other, &ana.password, &["enrol", "--server", &world.url, "--user", "ana.field"]), "enrol again");
        let id: uuid::Uuid = world
            .query_text("SELECT id::text FROM devices WHERE wiped_at IS NULL AND revoked_at IS NULL", &[])
            .pop()
            .unwrap()
            .parse()
            .unwrap();
        world.revoke(id);
        let out = cli(&other, "", &["sync"]);
        assert_eq!(code(&out), 9, "{}", stderr(&out));
        assert!(stderr(&out).contains("no longer accepts this device") && stderr(&out).contains("revoked"), "{}", stderr(&out));
        assert!(other.path.exists(), "a revoked device keeps its work");
    }
}
