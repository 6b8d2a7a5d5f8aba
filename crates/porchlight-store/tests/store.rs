//! The workspace as a front end uses it, on real SQLCipher files in temporary folders: create
//! and unlock, the case use cases, the list, photos, and a writer killed with SIGKILL.
//! Every child and name here is invented.

use chrono::{NaiveDate, TimeZone, Utc};
use porchlight_domain::{
    AppError, CaseFields, CaseId, CaseStatus, CaseSummary, CaseType, ChildFields, ErrorCode, EventFields, ListQuery, Moment, Sex,
    SortDir, SortKey,
};
use porchlight_store::{NewCase, NewPhoto, StoreError, Workspace};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const PASSPHRASE: &str = "Lanterns-on-the-porch 42";

fn now() -> Moment {
    Moment::at_utc(Utc.with_ymd_and_hms(2026, 11, 21, 14, 30, 0).unwrap())
}

fn later(minutes: i64) -> Moment {
    Moment::at_utc(now().utc + chrono::Duration::minutes(minutes))
}

fn fields(given: &str, family: &str, state: &str, case_type: CaseType, missing: &str, born: &str) -> CaseFields {
    CaseFields {
        case_type: Some(case_type),
        child: ChildFields {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: born.into(),
            sex: Some(Sex::Female),
            ..Default::default()
        },
        event: EventFields { last_seen_date: missing.into(), city: "Springfield".into(), state: state.into(), ..Default::default() },
        ..Default::default()
    }
}

fn maya() -> CaseFields {
    fields("Maya", "Okafor", "OK", CaseType::EndangeredRunaway, "2026-11-19", "2011-04-02")
}

struct Scratch {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cases").join("workspace.porchlight");
    Scratch { _dir: dir, path }
}

fn new_workspace(s: &Scratch) -> Workspace {
    Workspace::create(&s.path, PASSPHRASE, now()).unwrap()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Every file in the workspace's folder with its bytes, to prove a failed unlock wrote nothing.
fn folder_snapshot(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Creating and unlocking

#[test]
fn a_new_workspace_is_migrated_from_an_empty_file_and_passes_its_checks() {
    let s = scratch();
    assert!(!Workspace::status(&s.path).exists);
    let ws = new_workspace(&s);
    assert_eq!(ws.schema_version().unwrap(), porchlight_store::latest_version());
    ws.integrity_check().unwrap();
    assert!(Workspace::status(&s.path).exists);
    assert!(!Workspace::status(&s.path).unlocked);
    assert!(with_suffix(&s.path, ".salt").exists(), "the salt lives beside the workspace");
    assert!(!with_suffix(&s.path, &format!(".creating-{}", std::process::id())).exists(), "the build file is gone");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&s.path), 0o600, "only the owner may read the workspace");
        assert_eq!(mode(s.path.parent().unwrap()), 0o700, "only the owner may list the folder");
    }
}

#[test]
fn a_workspace_can_move_to_another_thread() {
    // The app keeps the open workspace in shared state behind a lock, which requires `Send`.
    fn send<T: Send>(value: T) -> T {
        value
    }
    let s = scratch();
    let ws = send(new_workspace(&s));
    let handle = std::thread::spawn(move || ws.list_cases(&ListQuery::default()).map(|page| page.total));
    assert_eq!(handle.join().unwrap().unwrap(), 0);
}

#[test]
fn reopening_with_the_right_passphrase_finds_the_data() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let saved = ws.create_case(&maya(), now()).unwrap();
    drop(ws);
    let ws = Workspace::open(&s.path, PASSPHRASE).unwrap();
    assert_eq!(ws.get_case(saved.id).unwrap(), saved);
    assert_eq!(ws.path(), s.path);
}

#[test]
fn a_wrong_passphrase_is_refused_and_leaves_every_byte_as_it_was() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let saved = ws.create_case(&maya(), now()).unwrap();
    drop(ws);
    let before = folder_snapshot(&s.path);
    for wrong in ["Lanterns-on-the-porch 43", "", "lanterns-on-the-porch 42"] {
        let err = Workspace::open(&s.path, wrong).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase), "{wrong:?}: {err:?}");
        let app = AppError::from(err);
        assert_eq!(app.code, ErrorCode::WrongPassphrase);
        assert!(app.message.contains("passphrase"));
    }
    assert_eq!(folder_snapshot(&s.path), before, "a failed unlock changed the files");
    let ws = Workspace::open(&s.path, PASSPHRASE).unwrap();
    assert_eq!(ws.get_case(saved.id).unwrap().fields.child.given_name, "Maya");
}

#[test]
fn a_weak_passphrase_is_refused_with_its_reason_and_creates_nothing() {
    let s = scratch();
    for weak in ["short", "password1234!", "aaaaaaaaaaaaaaaaaaaa"] {
        match Workspace::create(&s.path, weak, now()) {
            Err(StoreError::WeakPassphrase(reason)) => assert!(!reason.is_empty()),
            other => panic!("{weak:?} gave {other:?}"),
        }
    }
    assert!(!s.path.exists());
    assert!(!with_suffix(&s.path, ".salt").exists());
}

#[test]
fn creating_over_an_existing_workspace_is_refused() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    ws.create_case(&maya(), now()).unwrap();
    drop(ws);
    let before = folder_snapshot(&s.path);
    let err = Workspace::create(&s.path, "Another-strong passphrase 7", now()).unwrap_err();
    assert!(matches!(&err, StoreError::WorkspaceExists(p) if p == &s.path), "{err:?}");
    assert_eq!(folder_snapshot(&s.path), before);
    assert_eq!(AppError::from(err).code, ErrorCode::WorkspaceExists);
}

#[test]
fn files_that_are_not_a_workspace_get_a_clear_error() {
    let s = scratch();
    let missing = Workspace::open(&s.path, PASSPHRASE).unwrap_err();
    assert!(matches!(missing, StoreError::WorkspaceNotFound(_)), "{missing:?}");

    let ws = new_workspace(&s);
    drop(ws);
    let salt = with_suffix(&s.path, ".salt");
    let kept = std::fs::read(&salt).unwrap();
    std::fs::remove_file(&salt).unwrap();
    let err = Workspace::open(&s.path, PASSPHRASE).unwrap_err();
    assert!(matches!(&err, StoreError::WorkspaceUnreadable(m) if m.contains("key file") && m.contains("missing")), "{err:?}");
    std::fs::write(&salt, b"not a salt").unwrap();
    let err = Workspace::open(&s.path, PASSPHRASE).unwrap_err();
    assert!(matches!(&err, StoreError::WorkspaceUnreadable(m) if m.contains("not a Porchlight key file")), "{err:?}");
    std::fs::write(&salt, kept).unwrap();
    Workspace::open(&s.path, PASSPHRASE).unwrap();

    let dir = s.path.parent().unwrap();
    let plain = dir.join("plain.sqlite");
    rusqlite::Connection::open(&plain).unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
    let err = Workspace::open(&plain, PASSPHRASE).unwrap_err();
    assert!(matches!(&err, StoreError::WorkspaceUnreadable(m) if m.contains("unencrypted")), "{err:?}");

    let tiny = dir.join("notes.txt");
    std::fs::write(&tiny, b"hello").unwrap();
    let err = Workspace::open(&tiny, PASSPHRASE).unwrap_err();
    assert!(matches!(&err, StoreError::WorkspaceUnreadable(m) if m.contains("not a Porchlight workspace")), "{err:?}");
    assert_eq!(AppError::from(err).code, ErrorCode::WorkspaceUnreadable);
}

#[test]
fn the_file_on_disk_never_holds_a_name_in_plain_text() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let mut f = maya();
    f.child.given_name = "Zephyrine".into();
    f.child.family_name = "Quillfeather".into();
    f.event.circumstances = "Left the Marbleton library at closing time.".into();
    ws.create_case(&f, now()).unwrap();
    let wal = with_suffix(&s.path, "-wal");
    assert!(wal.exists(), "the save should still sit in the WAL while the workspace is open");
    for file in [&s.path, &wal] {
        let bytes = std::fs::read(file).unwrap();
        for secret in ["Zephyrine", "Quillfeather", "Marbleton", "zephyrine"] {
            assert!(!contains(&bytes, secret.as_bytes()), "{secret} readable in {}", file.display());
        }
    }
    drop(ws);
    let bytes = std::fs::read(&s.path).unwrap();
    assert!(!contains(&bytes, b"Zephyrine"));
    assert!(!contains(&bytes, b"SQLite format 3"));
}

#[test]
fn the_default_place_is_the_environment_variable_or_the_data_folder() {
    // The only test that touches this variable; the others pass paths explicitly.
    std::env::set_var("PORCHLIGHT_WORKSPACE", "/srv/cases/test.porchlight");
    assert_eq!(Workspace::default_path(), PathBuf::from("/srv/cases/test.porchlight"));
    std::env::remove_var("PORCHLIGHT_WORKSPACE");
    let path = Workspace::default_path();
    assert_eq!(path.file_name().unwrap(), "workspace.porchlight");
    assert!(path.to_string_lossy().to_lowercase().contains("porchlight/"), "{}", path.display());
}

// ---------------------------------------------------------------------------------------------
// Creating, editing, opening and archiving cases

#[test]
fn a_new_case_is_saved_normalised_in_intake_with_its_history() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    ws.set_actor("jdoe");
    let mut f = maya();
    f.child.given_name = "  Maya ".into();
    f.event.state = "ok".into();
    let saved = ws.create_case(&f, now()).unwrap();
    assert_eq!(saved.status, CaseStatus::Intake);
    assert_eq!(saved.version, 1);
    assert_eq!(saved.created_at, now().utc);
    assert_eq!(saved.archived_at, None);
    assert!(saved.case_number.starts_with("PL-2611-"), "{}", saved.case_number);
    assert_eq!(saved.fields.child.given_name, "Maya");
    assert_eq!(saved.fields.event.state, "OK");
    assert_eq!(ws.get_case(saved.id).unwrap(), saved);

    let history = ws.case_history(saved.id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].kind.as_str(), history[0].version, history[0].actor.as_str()), ("create", 1, "jdoe"));
    assert_eq!(history[0].previous, None);
    let new: CaseFields = serde_json::from_str(history[0].new.as_deref().unwrap()).unwrap();
    assert_eq!(new, saved.fields);
    let statuses = ws.status_history(saved.id).unwrap();
    assert_eq!(statuses.len(), 1);
    assert_eq!((statuses[0].from, statuses[0].to), (None, CaseStatus::Intake));
}

#[test]
fn an_edit_saves_every_change_and_records_before_and_after() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let saved = ws.create_case(&maya(), now()).unwrap();
    let mut f = saved.fields.clone();
    f.child.family_name = "Okafor-Reyes".into();
    f.event.state = "TX".into();
    f.description.height_cm = Some(152.0);
    f.law_enforcement.investigator_phone = "512 555 0143".into();
    let edited = ws.update_case(saved.id, 1, &f, later(5)).unwrap();
    assert_eq!(edited.version, 2);
    assert_eq!(edited.updated_at, later(5).utc);
    assert_eq!(edited.created_at, saved.created_at);
    assert_eq!(edited.case_number, saved.case_number);
    assert_eq!(edited.fields.child.family_name, "Okafor-Reyes");
    assert_eq!(edited.fields.law_enforcement.investigator_phone, "(512) 555-0143");
    let row = only_row(&ws, &ListQuery { search: Some("okafor-r".into()), ..Default::default() });
    assert_eq!((row.family_name.as_str(), row.state.as_deref()), ("Okafor-Reyes", Some("TX")));

    let history = ws.case_history(saved.id).unwrap();
    assert_eq!(history.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["create", "edit"]);
    let before: CaseFields = serde_json::from_str(history[1].previous.as_deref().unwrap()).unwrap();
    let after: CaseFields = serde_json::from_str(history[1].new.as_deref().unwrap()).unwrap();
    assert_eq!(before, saved.fields);
    assert_eq!(after, edited.fields);

    // Saving the same fields again is not a new version.
    let again = ws.update_case(saved.id, 2, &edited.fields, later(6)).unwrap();
    assert_eq!(again, edited);
    assert_eq!(ws.case_history(saved.id).unwrap().len(), 2);
}

#[test]
fn an_edit_of_a_stale_version_is_a_conflict_and_overwrites_nothing() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let saved = ws.create_case(&maya(), now()).unwrap();
    let mut first = saved.fields.clone();
    first.event.circumstances = "Seen at the bus station.".into();
    ws.update_case(saved.id, 1, &first, later(1)).unwrap();
    let mut second = saved.fields.clone();
    second.event.circumstances = "Seen at the mall.".into();
    let err = ws.update_case(saved.id, 1, &second, later(2)).unwrap_err();
    assert!(matches!(err, StoreError::EditConflict { expected: 1, actual: 2, .. }), "{err:?}");
    assert_eq!(AppError::from(err).code, ErrorCode::EditConflict);
    let now_stored = ws.get_case(saved.id).unwrap();
    assert_eq!(now_stored.fields.event.circumstances, "Seen at the bus station.");
    assert_eq!(now_stored.version, 2);
    assert_eq!(ws.case_history(saved.id).unwrap().len(), 2);
}

#[test]
fn invalid_fields_name_each_field_and_write_nothing() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let mut f = maya();
    f.child.date_of_birth = "2027-01-01".into();
    f.event.state = "ZZ".into();
    let err = ws.create_case(&f, now()).unwrap_err();
    let StoreError::Validation(faults) = &err else { panic!("{err:?}") };
    let names: Vec<&str> = faults.iter().map(|f| f.field.as_str()).collect();
    assert!(names.contains(&"child.date_of_birth") && names.contains(&"event.state"), "{names:?}");
    assert!(faults.iter().all(|f| !f.message.is_empty()));
    let fault_count = faults.len();
    let app = AppError::from(err);
    assert_eq!(app.code, ErrorCode::Validation);
    assert_eq!(app.fields.len(), fault_count);
    assert_eq!(ws.list_cases(&ListQuery { include_archived: true, ..Default::default() }).unwrap().total, 0);

    let saved = ws.create_case(&maya(), now()).unwrap();
    let mut bad = saved.fields.clone();
    bad.child.given_name = String::new();
    let err = ws.update_case(saved.id, 1, &bad, later(1)).unwrap_err();
    assert!(matches!(&err, StoreError::Validation(f) if f[0].field == "child.given_name"), "{err:?}");
    assert_eq!(ws.get_case(saved.id).unwrap(), saved);
    assert_eq!(ws.case_history(saved.id).unwrap().len(), 1);
}

#[test]
fn missing_cases_are_not_found() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let ghost = CaseId::new(now().utc);
    assert!(matches!(ws.get_case(ghost), Err(StoreError::NotFound(id)) if id == ghost));
    assert!(matches!(ws.update_case(ghost, 1, &maya(), now()), Err(StoreError::NotFound(_))));
    assert!(matches!(ws.set_archived(ghost, true, now()), Err(StoreError::NotFound(_))));
    assert_eq!(AppError::from(ws.get_case(ghost).unwrap_err()).code, ErrorCode::NotFound);
}

#[test]
fn archiving_hides_a_case_from_the_default_list_and_restoring_brings_it_back() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let saved = ws.create_case(&maya(), now()).unwrap();
    let other = ws.create_case(&fields("Ana", "Lima", "TX", CaseType::FamilyAbduction, "2026-10-01", "2015-02-03"), now()).unwrap();
    let archived = ws.set_archived(saved.id, true, later(1)).unwrap();
    assert_eq!(archived.archived_at, Some(later(1).utc));
    assert_eq!(archived.version, 2);
    assert_eq!(ws.set_archived(saved.id, true, later(2)).unwrap(), archived, "archiving twice changes nothing");

    let default = ws.list_cases(&ListQuery::default()).unwrap();
    assert_eq!(ids(&default.rows), vec![other.id]);
    assert_eq!(default.total, 1);
    let all = ws.list_cases(&ListQuery { include_archived: true, ..Default::default() }).unwrap();
    assert_eq!(all.total, 2);
    assert!(all.rows.iter().any(|r| r.id == saved.id && r.archived));

    let restored = ws.set_archived(saved.id, false, later(3)).unwrap();
    assert_eq!(restored.archived_at, None);
    assert_eq!(ws.list_cases(&ListQuery::default()).unwrap().total, 2);
    let kinds: Vec<String> = ws.case_history(saved.id).unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["create", "archive", "unarchive"]);
    // An editor who opened the case before it was archived must reload first.
    assert!(matches!(ws.update_case(saved.id, 1, &maya(), later(4)), Err(StoreError::EditConflict { actual: 3, .. })));
}

// ---------------------------------------------------------------------------------------------
// The list

fn ids(rows: &[CaseSummary]) -> Vec<CaseId> {
    rows.iter().map(|r| r.id).collect()
}

fn only_row(ws: &Workspace, query: &ListQuery) -> CaseSummary {
    let page = ws.list_cases(query).unwrap();
    assert_eq!(page.rows.len(), 1, "{query:?} gave {:?}", page.rows);
    page.rows.into_iter().next().unwrap()
}

const GIVEN: &[&str] = &["Maya", "Ana", "Élodie", "Jamal", "Noah", "Liam", "Zoë", "ana"];
const FAMILY: &[&str] = &["Okafor", "Lima", "Nguyen", "O'Brien", "Smith", "Åberg", "smith"];
const STATES: &[&str] = &["OK", "TX", "CA", "NY"];

/// 56 cases with many equal sort keys, so the tie-breaker is exercised on every sort.
fn populate(ws: &mut Workspace) -> Vec<CaseId> {
    let cases: Vec<NewCase> = (0..56)
        .map(|i| {
            let case_type = [CaseType::EndangeredRunaway, CaseType::FamilyAbduction, CaseType::NonfamilyAbduction, CaseType::LostInjuredMissing][i % 4];
            let mut f = fields(
                GIVEN[i % GIVEN.len()],
                FAMILY[i % FAMILY.len()],
                STATES[i % 3 + i % 2],
                case_type,
                &format!("2026-{:02}-{:02}", 1 + i % 10, 1 + i % 3),
                &format!("{}-05-06", 2010 + i % 5),
            );
            f.missing_from_care = i % 5 == 0;
            if f.missing_from_care {
                f.care_agency = "County Children's Services".into();
            }
            NewCase { fields: f, photos: vec![] }
        })
        .collect();
    let ids = ws.import_cases(&cases, now()).unwrap();
    // A few edits and an archive, so updated_at and the archive filter have something to sort.
    for (n, id) in ids.iter().enumerate().filter(|(n, _)| n % 9 == 0) {
        let record = ws.get_case(*id).unwrap();
        let mut f = record.fields.clone();
        f.event.circumstances = format!("Edit {n}");
        ws.update_case(*id, record.version, &f, later(n as i64 % 4)).unwrap();
    }
    ws.set_archived(ids[3], true, later(10)).unwrap();
    ids
}

fn sort_value(row: &CaseSummary, key: SortKey) -> String {
    match key {
        SortKey::Name => format!("{} {}", row.family_name, row.given_name).to_lowercase(),
        SortKey::CaseNumber => row.case_number.clone(),
        SortKey::MissingDate => row.missing_date.clone(),
        SortKey::Status => row.status.code().to_owned(),
        SortKey::State => row.state.clone().unwrap_or_default(),
        SortKey::CaseType => row.case_type.code().to_owned(),
        SortKey::UpdatedAt => row.updated_at.clone(),
    }
}

#[test]
fn every_sort_in_both_directions_is_ordered_with_a_stable_tie_breaker_and_pages_add_up() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    populate(&mut ws);
    let keys = [SortKey::Name, SortKey::CaseNumber, SortKey::MissingDate, SortKey::Status, SortKey::State, SortKey::CaseType, SortKey::UpdatedAt];
    for sort in keys {
        for dir in [SortDir::Asc, SortDir::Desc] {
            let query = ListQuery { sort, dir, limit: 500, include_archived: true, ..Default::default() };
            let all = ws.list_cases(&query).unwrap();
            assert_eq!((all.total, all.rows.len()), (56, 56));
            for pair in all.rows.windows(2) {
                let a = (sort_value(&pair[0], sort), pair[0].id);
                let b = (sort_value(&pair[1], sort), pair[1].id);
                match dir {
                    SortDir::Asc => assert!(a < b, "{sort:?} asc: {a:?} before {b:?}"),
                    SortDir::Desc => assert!(a > b, "{sort:?} desc: {a:?} before {b:?}"),
                }
            }
            let mut paged = Vec::new();
            for offset in (0..60).step_by(9) {
                let page = ws.list_cases(&ListQuery { offset, limit: 9, ..query.clone() }).unwrap();
                assert_eq!((page.offset, page.total), (offset, 56));
                paged.extend(ids(&page.rows));
            }
            assert_eq!(paged, ids(&all.rows), "{sort:?} {dir:?}: pages do not add up to the list");
        }
    }
}

#[test]
fn each_filter_returns_exactly_the_matching_cases() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    populate(&mut ws);
    let everything = ws.list_cases(&ListQuery { include_archived: true, limit: 500, ..Default::default() }).unwrap().rows;
    let check = |query: ListQuery, keep: &dyn Fn(&CaseSummary) -> bool| {
        let page = ws.list_cases(&ListQuery { limit: 500, ..query.clone() }).unwrap();
        let mut expected: Vec<CaseId> = everything.iter().filter(|r| (query.include_archived || !r.archived) && keep(r)).map(|r| r.id).collect();
        let mut got = ids(&page.rows);
        expected.sort();
        got.sort();
        assert!(!expected.is_empty() || query.status == Some(CaseStatus::Active), "{query:?} matches nothing; the test data is too thin");
        assert_eq!(got, expected, "{query:?}");
        assert_eq!(page.total as usize, expected.len(), "{query:?} total");
    };
    check(ListQuery::default(), &|_| true);
    check(ListQuery { include_archived: true, ..Default::default() }, &|_| true);
    check(ListQuery { status: Some(CaseStatus::Intake), ..Default::default() }, &|r| r.status == CaseStatus::Intake);
    check(ListQuery { status: Some(CaseStatus::Active), ..Default::default() }, &|r| r.status == CaseStatus::Active);
    check(ListQuery { case_type: Some(CaseType::FamilyAbduction), ..Default::default() }, &|r| r.case_type == CaseType::FamilyAbduction);
    check(ListQuery { state: Some("tx".into()), ..Default::default() }, &|r| r.state.as_deref() == Some("TX"));
    check(
        ListQuery { state: Some("CA".into()), case_type: Some(CaseType::EndangeredRunaway), include_archived: true, ..Default::default() },
        &|r| r.state.as_deref() == Some("CA") && r.case_type == CaseType::EndangeredRunaway,
    );
    // Search: the start of the given name, the family name or the case number, in any case.
    check(ListQuery { search: Some("AN".into()), ..Default::default() }, &|r| r.given_name.to_lowercase().starts_with("an"));
    check(ListQuery { search: Some("smi".into()), ..Default::default() }, &|r| r.family_name.to_lowercase().starts_with("smi"));
    check(ListQuery { search: Some("élo".into()), ..Default::default() }, &|r| r.given_name == "Élodie");
    check(ListQuery { search: Some("ÅBERG".into()), ..Default::default() }, &|r| r.family_name == "Åberg");
    check(ListQuery { search: Some("o'b".into()), ..Default::default() }, &|r| r.family_name == "O'Brien");
    check(ListQuery { search: Some("maya  okafor".into()), ..Default::default() }, &|r| r.given_name == "Maya" && r.family_name == "Okafor");
    let number = everything[7].case_number.clone();
    check(ListQuery { search: Some(number[..9].to_lowercase()), include_archived: true, ..Default::default() }, &|r| r.case_number.starts_with(&number[..9]));
    check(ListQuery { search: Some(number.to_lowercase()), ..Default::default() }, &|r| r.case_number == number);
    // Not a substring search: "kafor" is inside "Okafor" but starts nothing.
    assert_eq!(ws.list_cases(&ListQuery { search: Some("kafor".into()), ..Default::default() }).unwrap().total, 0);
}

#[test]
fn bad_list_queries_are_field_errors() {
    let s = scratch();
    let ws = new_workspace(&s);
    let err = ws.list_cases(&ListQuery { state: Some("Atlantis".into()), ..Default::default() }).unwrap_err();
    assert!(matches!(&err, StoreError::Validation(f) if f[0].field == "state"), "{err:?}");
    let err = ws.list_cases(&ListQuery { limit: ListQuery::MAX_LIMIT + 1, ..Default::default() }).unwrap_err();
    assert!(matches!(&err, StoreError::Validation(f) if f[0].field == "limit"), "{err:?}");
}

#[test]
fn totals_follow_writes_made_by_another_connection() {
    let s = scratch();
    let mut app = new_workspace(&s);
    app.create_case(&maya(), now()).unwrap();
    assert_eq!(app.list_cases(&ListQuery::default()).unwrap().total, 1);
    let mut cli = Workspace::open(&s.path, PASSPHRASE).unwrap();
    cli.create_case(&maya(), now()).unwrap();
    let page = app.list_cases(&ListQuery::default()).unwrap();
    assert_eq!((page.total, page.rows.len()), (2, 2));
}

// ---------------------------------------------------------------------------------------------
// Import

#[test]
fn an_import_is_all_or_nothing() {
    let s = scratch();
    let mut ws = new_workspace(&s);
    let good = NewCase { fields: maya(), photos: vec![] };
    let mut bad_fields = maya();
    bad_fields.child.given_name = "M4ya".into();
    let not_an_image = NewPhoto { bytes: b"GIF89a not really a photo".to_vec(), ..photo(1) };
    let bad = NewCase { fields: bad_fields, photos: vec![not_an_image] };
    let err = ws.import_cases(&[good.clone(), bad, good.clone()], now()).unwrap_err();
    let StoreError::Validation(faults) = err else { panic!() };
    let names: Vec<&str> = faults.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(names, ["cases.1.child.given_name", "cases.1.photos.0.file"]);
    assert_eq!(ws.list_cases(&ListQuery { include_archived: true, ..Default::default() }).unwrap().total, 0);

    let ids = ws.import_cases(&[good.clone(), NewCase { photos: vec![photo(2)], ..good }], now()).unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1], "ids of one import rise in the order of the cases");
    for id in &ids {
        assert_eq!(ws.case_history(*id).unwrap()[0].kind, "create");
        assert_eq!(ws.status_history(*id).unwrap().len(), 1);
    }
    assert_eq!(ws.case_photos(ids[1]).unwrap().len(), 1);
    assert_ne!(ws.get_case(ids[0]).unwrap().case_number, ws.get_case(ids[1]).unwrap().case_number);
}

// ---------------------------------------------------------------------------------------------
// Photos

/// A real PNG of `seed`-coloured pixels: zlib stored blocks, so no compressor is needed.
fn png(seed: u8, width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend([seed, (x * 7) as u8, (y * 13) as u8]);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    for (i, block) in raw.chunks(65_535).enumerate() {
        let last = (i + 1) * 65_535 >= raw.len();
        zlib.push(last as u8);
        zlib.extend((block.len() as u16).to_le_bytes());
        zlib.extend((!(block.len() as u16)).to_le_bytes());
        zlib.extend(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + byte as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A photo of the child to import: a generated PNG and what the family said about it.
fn photo(seed: u8) -> NewPhoto {
    NewPhoto {
        bytes: png(seed, 30, 40),
        file_name: format!("child-{seed}.png"),
        meta: porchlight_domain::PhotoMeta {
            kind: Some(porchlight_domain::PhotoKind::Photo),
            taken_on: "2026-06-01".into(),
            source: "family".into(),
            consent_to_publish: true,
            ..Default::default()
        },
    }
}

// Adding, checking, editing and viewing photos, and instant search: in their own file.
#[path = "store/photos_and_search.rs"]
mod photos_and_search;

// ---------------------------------------------------------------------------------------------
// A writer killed with SIGKILL

const WRITER_ENV: &str = "PORCHLIGHT_STORE_TEST_WRITER";
const BATCH: usize = 25;

/// Kills the writer if the test fails before it does, so no process outlives the test.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The child's side: saves cases for ever, one at a time and in batches, and prints the ids of
/// each save only once it has committed.
fn run_writer(path: &Path) -> ! {
    let mut ws = Workspace::open(path, PASSPHRASE).expect("the writer opens the workspace");
    // Each report goes out in one unbuffered write(2) on file descriptor 1, so that what the
    // parent reads is exactly what committed before the kill, with no buffer in between. It
    // starts with a line break: the test harness may have written "test … ... " on the same
    // descriptor without ending its line, and a report glued to it would go unread.
    let report = |line: String| {
        use std::io::Write;
        use std::os::fd::FromRawFd;
        let mut out = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
        out.write_all(format!("\n{line}\n").as_bytes()).expect("the parent reads the reports");
    };
    let started = std::time::Instant::now();
    for round in 0u32.. {
        if started.elapsed() > std::time::Duration::from_secs(120) {
            break;
        }
        // Names hold no digits, so the round number is spelled in letters.
        let family: String = round.to_string().bytes().map(|d| (b'a' + d - b'0') as char).collect();
        let f = fields("Kit", &format!("Writer-{family}"), "TX", CaseType::EndangeredRunaway, "2026-11-01", "2012-01-01");
        if round % 4 == 3 {
            let batch: Vec<NewCase> = (0..BATCH).map(|_| NewCase { fields: f.clone(), photos: vec![] }).collect();
            let ids = ws.import_cases(&batch, now()).unwrap();
            report(format!("batch {}", ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",")));
        } else {
            let id = ws.create_case(&f, now()).unwrap().id;
            report(format!("case {id}"));
        }
    }
    std::process::exit(0)
}

#[test]
fn kill_9_in_the_middle_of_writes_loses_nothing_committed() {
    if let Some(path) = std::env::var_os(WRITER_ENV) {
        run_writer(Path::new(&path));
    }
    let s = scratch();
    drop(new_workspace(&s));
    let (mut singles, mut batches) = (Vec::<CaseId>::new(), Vec::<Vec<CaseId>>::new());
    let mut unprinted_before = 0;
    // Three writers in turn on the same file, each killed at a different moment of its work.
    for round in 0..3 {
        let mut writer = Writer(
            Command::new(std::env::current_exe().unwrap())
                .args(["kill_9_in_the_middle_of_writes_loses_nothing_committed", "--exact", "--nocapture", "--test-threads=1"])
                .env(WRITER_ENV, &s.path)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
        );
        let mut lines = BufReader::new(writer.0.stdout.take().unwrap()).lines();
        let take = |line: &str, singles: &mut Vec<CaseId>, batches: &mut Vec<Vec<CaseId>>| {
            if let Some(id) = line.strip_prefix("case ") {
                singles.push(id.parse().unwrap());
            } else if let Some(list) = line.strip_prefix("batch ") {
                batches.push(list.split(',').map(|id| id.parse().unwrap()).collect());
            }
        };
        let (want_singles, want_batches) = (singles.len() + 20 + 7 * round, batches.len() + 4 + round);
        while singles.len() < want_singles || batches.len() < want_batches {
            let line = lines.next().expect("the writer stopped early").unwrap();
            take(&line, &mut singles, &mut batches);
        }
        // SIGKILL while it is writing the next save; then read what it printed before dying.
        writer.0.kill().unwrap();
        writer.0.wait().unwrap();
        for line in lines {
            take(&line.unwrap(), &mut singles, &mut batches);
        }

        let ws = Workspace::open(&s.path, PASSPHRASE).unwrap();
        ws.integrity_check().unwrap();
        let mut stored = HashSet::new();
        let mut offset = 0;
        loop {
            let page = ws.list_cases(&ListQuery { include_archived: true, limit: 500, offset, ..Default::default() }).unwrap();
            stored.extend(ids(&page.rows));
            offset += 500;
            if offset >= page.total {
                break;
            }
        }
        let printed: HashSet<CaseId> = singles.iter().copied().chain(batches.iter().flatten().copied()).collect();
        for id in &printed {
            assert!(stored.contains(id), "round {round}: case {id} was committed but is gone");
        }
        // Every stored case, printed or not, has its history: row and history commit together.
        for id in &stored {
            assert_eq!(ws.case_history(*id).unwrap().len(), 1, "round {round}: case {id} lost its history");
            assert_eq!(ws.status_history(*id).unwrap().len(), 1, "round {round}: case {id} lost its status");
        }
        // At most the one save in flight at the kill committed without being printed, and a
        // batch is whole or absent.
        let unprinted = stored.len() - printed.len();
        let this_round = unprinted - unprinted_before;
        assert!([0, 1, BATCH].contains(&this_round), "round {round}: {this_round} unprinted cases: a batch was half-written");
        unprinted_before = unprinted;
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts, notes, status, timeline, audit, duplicates and posters: in their own file, one
// test binary.

#[path = "store/casework.rs"]
mod casework;
