//! The sync scenario through the real app (issue 6): two devices of one case manager, the real
//! `porchlight` CLI and the real app window, sync through the real central service on a real
//! PostgreSQL. The CLI makes a generated case and sends it; the app is enrolled through its
//! dialog and receives it. With the service down, the app changes what the child was wearing and
//! shows it is offline with one change waiting; the service comes back and the CLI changes the
//! same field at once and gets there first. The app's "Sync now" then shows the conflict, the
//! person keeps their own value, and after one more sync on each side both devices hold that
//! value and no conflict is left. A second scenario enrols a new app workspace where thousands
//! of cases wait, and watches its first sync say how far it has come while the list fills. The
//! children are generated; nobody in them is real. It does not test the merge rules field by
//! field: the server's and the engine's tests do.

#[path = "sync/central.rs"]
mod central;

use central::{Central, CentralDb};
use porchlight_e2e::{
    app_binary, cli_binary, display_or_skip, porchlight, porchlight_with, App, Driver, Failure,
    Step,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The whole scenario ends within this, or fails: a stuck window or service never hangs CI.
const SCENARIO_LIMIT: Duration = Duration::from_secs(300);

const CLI_PASSPHRASE: &str = "Office desktop by the window, 23 ferns";
const APP_PASSPHRASE: &str = "Field laptop under the lamp, 61 moths";
const OFFICE: &str = "Tulsa";
const USERNAME: &str = "avery.lindqvist";
const DISPLAY_NAME: &str = "Avery Lindqvist";
const PASSWORD: &str = "Synthetic e2e password, never a real one";
const CLI_DEVICE: &str = "Office desktop (CLI)";
const APP_DEVICE: &str = "Field laptop";

/// The field both devices change while apart, and what each writes.
const FIELD: &str = "description.clothing";
const APP_VALUE: &str = "Green raincoat and yellow rain boots";
const CLI_VALUE: &str = "Grey hoodie with a fox on the front";
/// A family contact the CLI adds to its case, which reaches the app with the case; a generated
/// name, no real person's.
const CONTACT_NAME: &str = "Rosalind Testwood";

/// The generated child both devices work on, as the CLI listed it.
struct Child {
    id: String,
    case_number: String,
    given_name: String,
    family_name: String,
}

/// Everything the scenario runs on: the service (stopped and started again on its port), the
/// CLI's workspace, and the app's.
struct World {
    db: CentralDb,
    port: u16,
    central: Option<Central>,
    cli_workspace: PathBuf,
    app_workspace: PathBuf,
}

impl World {
    fn server_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn stop_service(&mut self) -> Step {
        match self.central.take() {
            Some(central) => central.stop(),
            None => Err(Failure("the service was already stopped".into())),
        }
    }

    fn start_service(&mut self) -> Step {
        if self.central.is_some() {
            return Err(Failure("the service is already running".into()));
        }
        self.central = Some(Central::start(&self.db, self.port)?);
        Ok(())
    }

    /// Runs the real CLI on its workspace (device 1).
    fn cli(&self, args: &[&str]) -> Step<String> {
        porchlight_with(
            &self.cli_workspace,
            CLI_PASSPHRASE,
            &[("PORCHLIGHT_SYNC_PASSWORD", PASSWORD)],
            args,
        )
    }

    fn cli_json(&self, args: &[&str]) -> Step<Value> {
        let text = self.cli(args)?;
        serde_json::from_str(&text).map_err(|e| {
            Failure(format!(
                "`porchlight {}` did not print JSON ({e}):\n{text}",
                args.join(" ")
            ))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_edit_one_field_offline_the_app_resolves_the_conflict_and_both_converge() {
    scenario(
        "two_devices_edit_one_field_offline_the_app_resolves_the_conflict_and_both_converge",
        "field-laptop.porchlight",
        "sync-failure",
        cli_makes_and_sends_a_case,
        async |world, app, child| two_devices(world, app, &child).await,
    )
    .await;
}

/// What every scenario stands on: a display and a PostgreSQL (or a skip, which fails under
/// CI), one app window at a time, a fresh database of the service with the case manager, the
/// service on a free port, and the CLI's and the app's workspaces in a temporary folder.
/// `before_app` runs with the CLI before the app starts; `with_app` drives the app. The app
/// quits and the service stops whatever happened, and the whole ends within `SCENARIO_LIMIT`.
async fn scenario<T>(
    test: &str,
    app_file: &str,
    failure_shot: &str,
    before_app: impl FnOnce(&World) -> Step<T>,
    with_app: impl AsyncFnOnce(&mut World, &App, T) -> Step,
) {
    if !display_or_skip(test) {
        return;
    }
    let Some(cluster) = central::cluster_or_skip(test) else {
        return;
    };
    let _screen = porchlight_e2e::one_app_at_a_time().await;
    // Both binaries are looked for now, so a missing build is reported before anything starts.
    let app_bin = app_binary();
    cli_binary();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app_workspace = dir.path().join(app_file);
    let driver = Driver::start(&app_workspace, dir.path().join("tauri-driver.log"));

    let outcome = tokio::time::timeout(SCENARIO_LIMIT, async {
        let db = CentralDb::create(&cluster).await?;
        db.add_case_manager(OFFICE, USERNAME, DISPLAY_NAME, PASSWORD)
            .await?;
        let port = central::free_port();
        let central = Central::start(&db, port)?;
        let mut world = World {
            db,
            port,
            central: Some(central),
            cli_workspace: dir.path().join("office-desktop.porchlight"),
            app_workspace,
        };
        let made = before_app(&world)?;
        let app = driver.launch(&app_bin).await?;
        let result = with_app(&mut world, &app, made).await;
        if result.is_err() {
            let _ = app.shot(failure_shot).await;
        }
        let quit = app.quit().await;
        let stopped = world.stop_service();
        result.and(quit).and(stopped)
    })
    .await
    .unwrap_or_else(|_| {
        Err(Failure(format!(
            "the scenario took longer than {} s",
            SCENARIO_LIMIT.as_secs()
        )))
    });
    if let Err(failure) = outcome {
        panic!("{failure}\n{}", driver.log_tail());
    }
}

/// Cases the CLI sends before the app's first sync: pages of 500, 1,000, 2,000 and 1,000 (see
/// the service's `snapshot_cases`), so the app has stored the first pages and says so while it
/// writes the next ones. With 3,000 cases (three pages) the app sometimes wrote the last page
/// before the status bar and the list had been read together while it was under way.
const MANY: usize = 4500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_first_sync_says_how_far_it_has_come_and_lists_the_cases_received_so_far() {
    scenario(
        "a_long_first_sync_says_how_far_it_has_come_and_lists_the_cases_received_so_far",
        "new-laptop.porchlight",
        "first-sync-failure",
        cli_sends_many_cases,
        async |world, app, ()| first_sync_in_view(world, app).await,
    )
    .await;
}

/// Device 1: a new workspace with `MANY` generated cases, enrolled and synced.
fn cli_sends_many_cases(world: &World) -> Step {
    porchlight(&world.cli_workspace, CLI_PASSPHRASE, &["init"])?;
    world.cli(&["seed", "--cases", &MANY.to_string(), "--seed", "62"])?;
    let server = world.server_url();
    world.cli(&["enrol", "--server", &server, "--user", USERNAME, "--device-name", CLI_DEVICE])?;
    world.cli(&["sync"])?;
    Ok(())
}

/// The app enrols a new workspace, which syncs at once; until the sync is over, the status bar
/// and the case count are read again and again. Somewhere in between the status bar must have
/// said how many cases of how many had come, and the list must have shown some of them.
async fn first_sync_in_view(world: &World, app: &App) -> Step {
    new_workspace_with_enrolment_filled_in(world, app).await?;
    app.click("enrol-submit").await?;
    wait_until_gone_or_error(app, "enrol-submit", "enrol-error").await?;

    let total = format!("of {}", thousands(MANY));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut partway = None;
    loop {
        let said = app.wait_for_text("sync-indicator").await?;
        let listed = app.wait_for_text("case-count").await?;
        let listed_n = number_in(&listed);
        // The rows themselves, not only their count: the list is drawn a moment after it is counted.
        let midway = said.contains("Receiving cases") && said.contains(&total) && listed_n.is_some_and(|n| n > 0 && n < MANY);
        if midway && partway.is_none() && app.count("case-row").await > 0 {
            partway = Some(app.shot("sync-03-first-sync-partway").await?);
        }
        if seen.last() != Some(&(said.clone(), listed.clone())) {
            seen.push((said.clone(), listed.clone()));
        }
        if said.contains("Synced") && listed_n == Some(MANY) {
            break;
        }
        if Instant::now() > deadline {
            return Err(Failure(format!("the first sync did not end with {MANY} cases listed within 120 s; seen: {seen:?}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Once it has said so, the bar stays "Synced": a status read before the sync ended and
    // answered after it must not take the bar back to "Receiving…".
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = app.wait_for_text("sync-indicator").await?;
    app.shot("sync-04-first-sync-done").await?;
    if !after.contains("Synced") {
        return Err(Failure(format!(
            "after the first sync had ended, the status bar said {after:?}; seen (status bar, case count): {seen:?}"
        )));
    }
    let told = seen.iter().any(|(said, _)| {
        said.contains("Receiving cases")
            && said.contains(&total)
            && number_in(said.split("of").next().unwrap_or_default()).is_some_and(|n| n > 0 && n < MANY)
    });
    if !told || partway.is_none() {
        return Err(Failure(format!(
            "while {MANY} cases came, the status bar never said how many of them had come while some of them were listed; seen (status bar, case count): {seen:?}"
        )));
    }
    Ok(())
}

/// 3000 as people write it: "3,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The first whole number in a text, thousands separators allowed ("2,500 cases" is 2500).
fn number_in(text: &str) -> Option<usize> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..].chars().take_while(|c| c.is_ascii_digit() || *c == ',').filter(|c| *c != ',').collect();
    digits.parse().ok()
}

/// Device 1: a new workspace, one generated case, enrolled and synced.
fn cli_makes_and_sends_a_case(world: &World) -> Step<Child> {
    porchlight(&world.cli_workspace, CLI_PASSPHRASE, &["init"])?;
    world.cli(&["seed", "--cases", "1", "--seed", "61"])?;
    let page = world.cli_json(&["cases", "list", "--json"])?;
    let rows = page["rows"].as_array().cloned().unwrap_or_default();
    let [row] = rows.as_slice() else {
        return Err(Failure(format!(
            "the CLI's workspace lists {} cases after seeding one: {page}",
            rows.len()
        )));
    };
    let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
    let child = Child {
        id: text("id"),
        case_number: text("case_number"),
        given_name: text("given_name"),
        family_name: text("family_name"),
    };
    if child.id.is_empty() || child.family_name.is_empty() {
        return Err(Failure(format!(
            "the seeded case lacks an id or a name: {row}"
        )));
    }
    world.cli(&["contacts", "add", &child.id, "--name", CONTACT_NAME, "--relationship", "mother", "--phone", "(918) 555-0142"])?;
    let server = world.server_url();
    world.cli(&[
        "enrol",
        "--server",
        &server,
        "--user",
        USERNAME,
        "--device-name",
        CLI_DEVICE,
    ])?;
    world.cli(&["sync"])?;
    Ok(child)
}

/// Device 2 and the conflict, from the app's workspace being created to both devices agreeing.
async fn two_devices(world: &mut World, app: &App, child: &Child) -> Step {
    app_creates_enrols_and_receives(world, app, child).await?;
    app_edits_offline(world, app, child).await?;

    // The service is back; the CLI changes the same field and sends it while the app waits out
    // its back-off, so the CLI's value is the one the service holds first.
    world.start_service()?;
    let cli_started = Instant::now();
    world.cli(&["cases", "set", &child.id, FIELD, CLI_VALUE])?;
    world.cli(&["sync"])?;
    let cli_took = cli_started.elapsed();
    let open = open_conflicts_on_cli(world)?;
    if !open.is_empty() {
        return Err(Failure(format!(
            "the CLI got a conflict of its own, so the app reached the service first (the CLI took {} ms after the restart): {open:?}",
            cli_took.as_millis()
        )));
    }

    app_sees_and_resolves_the_conflict(app, child).await?;

    // The CLI fetches the resolution; both now hold the app's value and nothing is open.
    world.cli(&["sync"])?;
    let shown = world.cli_json(&["cases", "show", &child.id, "--json"])?;
    let held = field_of(&shown, FIELD);
    if held.as_deref() != Some(APP_VALUE) {
        return Err(Failure(format!(
            "after syncing, the CLI holds {held:?} in {FIELD}, not the value kept in the app ({APP_VALUE:?})"
        )));
    }
    let open = open_conflicts_on_cli(world)?;
    if !open.is_empty() {
        return Err(Failure(format!(
            "the CLI still lists open conflicts after the app resolved the one there was: {open:?}"
        )));
    }
    app_shows_the_contact_from_the_service(app).await?;
    app_holds(app, child, APP_VALUE).await?;
    let open = open_conflicts(&world.app_workspace, APP_PASSPHRASE)?;
    if !open.is_empty() {
        return Err(Failure(format!(
            "the app's workspace still holds open conflicts after the resolution was synced: {open:?}"
        )));
    }
    Ok(())
}

/// The value at a dotted path of the case's fields, in the JSON `cases show --json` prints.
fn field_of(case: &Value, path: &str) -> Option<String> {
    let mut at = case.get("fields").unwrap_or(case);
    for part in path.split('.') {
        at = at.get(part)?;
    }
    at.as_str().map(str::to_owned)
}

/// The open conflicts the CLI lists in its own workspace.
fn open_conflicts_on_cli(world: &World) -> Step<Vec<Value>> {
    open_conflicts(&world.cli_workspace, CLI_PASSPHRASE)
}

/// The open conflicts `porchlight conflicts list` finds in a workspace (the app's too: the
/// workspace file is the same whichever program opens it).
fn open_conflicts(workspace: &Path, passphrase: &str) -> Step<Vec<Value>> {
    let text = porchlight(workspace, passphrase, &["conflicts", "list", "--json"])?;
    let listed: Value = serde_json::from_str(&text).map_err(|e| {
        Failure(format!(
            "`porchlight conflicts list --json` did not print JSON ({e}):\n{text}"
        ))
    })?;
    // Anything but a list is a format this test does not know, and reading it as "no
    // conflicts" would let the test pass on nothing.
    listed.as_array().cloned().ok_or_else(|| {
        Failure(format!(
            "`porchlight conflicts list --json` printed no list of conflicts: {listed}"
        ))
    })
}

/// A new workspace made in the window, with the enrolment dialog open and filled in for the
/// service, not yet sent.
async fn new_workspace_with_enrolment_filled_in(world: &World, app: &App) -> Step {
    app.wait_for("passphrase").await?;
    app.fill("passphrase", APP_PASSPHRASE).await?;
    app.fill("passphrase-confirm", APP_PASSPHRASE).await?;
    app.click("create-workspace").await?;
    app.wait_for("case-list").await?;
    app.click("enrol-open").await?;
    app.fill("enrol-server", &world.server_url()).await?;
    app.fill("enrol-user", USERNAME).await?;
    app.fill("enrol-password", PASSWORD).await?;
    app.fill("enrol-device", APP_DEVICE).await
}

/// Device 2: the workspace made in the window, enrolled through the dialog, synced, and the
/// CLI's case in the list.
async fn app_creates_enrols_and_receives(world: &World, app: &App, child: &Child) -> Step {
    new_workspace_with_enrolment_filled_in(world, app).await?;
    app.shot("sync-01-enrol").await?;
    app.click("enrol-submit").await?;
    wait_until_gone_or_error(app, "enrol-submit", "enrol-error").await?;

    app.click("sync-now").await?;
    app.record_row("case-row", &child.id).await?;
    app.wait_for_row("case-row", &[&child.family_name, &child.given_name])
        .await?;
    app.shot("sync-02-case-received").await?;
    Ok(())
}

/// Waits until the element `gone` leaves the screen; when `error` shows instead, fails with
/// what it says.
async fn wait_until_gone_or_error(app: &App, gone: &str, error: &str) -> Step {
    let deadline = Instant::now() + porchlight_e2e::PATIENCE;
    loop {
        if app.shows(error).await {
            let said = app.wait_for_text(error).await.unwrap_or_default();
            return Err(Failure(format!("[data-testid={error}] says: {said}")));
        }
        if !app.shows(gone).await {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Failure(format!(
                "waited {} s for [data-testid={gone}] to go away",
                porchlight_e2e::PATIENCE.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// With the service stopped, the app changes the field; it tries to send it, finds the
/// service unreachable, and says it is offline with one change waiting.
async fn app_edits_offline(world: &mut World, app: &App, child: &Child) -> Step {
    // Opening the case is audited, and the audit entry syncs like any change: it is sent while
    // the service is still up, so the edit is the only thing made offline.
    app.record_row("case-row", &child.id)
        .await?
        .click()
        .await
        .map_err(|e| Failure(format!("opening the case: {e}")))?;
    app.wait_for_row("case-view", &[&child.case_number]).await?;
    everything_sent(app).await?;

    world.stop_service()?;
    app.click("edit-case").await?;
    app.fill(&format!("field-{FIELD}"), APP_VALUE).await?;
    app.click("save-case").await?;
    app.poll_until_gone("save-case").await?;
    app.wait_for_row("case-view", &[&child.case_number]).await?;

    // The app tries 2 s after the save and fails: that is when it knows it is offline.
    app.wait_for_attr("sync-indicator", "data-tone", "offline")
        .await?;
    app.wait_for_attr("pending-count", "data-count", "1")
        .await?;
    let said = app.wait_for_text("sync-indicator").await?;
    if !said.contains("Offline") || !said.contains("1 change waiting") {
        return Err(Failure(format!(
            "the sync indicator reads {said:?}, not offline with 1 change waiting"
        )));
    }
    app.shot("sync-03-offline-one-change-waiting").await?;
    Ok(())
}

/// Waits for a sync of the app to run to its end, through the same command "Sync now" calls
/// (the reply comes when the attempt is over, which the button does not show reliably), and
/// checks that it left nothing waiting.
async fn everything_sent(app: &App) -> Step {
    let answer = app
        .script(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke('sync_now').then((s) => done({ ok: s }), (e) => done({ err: e }));",
            vec![],
            true,
        )
        .await?;
    let status = &answer["ok"];
    if status["online"] != true || status["pending"] != 0 {
        return Err(Failure(format!(
            "a sync of the app did not send everything: {answer}"
        )));
    }
    Ok(())
}

/// "Sync now": the service holds the CLI's value, so the app's change comes back as a conflict.
/// The case carries the badge; the inbox shows both values; the person keeps the value they
/// wrote on this computer, and the app sends the resolution.
async fn app_sees_and_resolves_the_conflict(app: &App, child: &Child) -> Step {
    app.click("sync-now").await?;
    let badge = app.wait_for_inside("case-view", "conflict-badge").await?;
    app.wait_for_attr("conflict-count", "data-count", "1")
        .await?;
    app.shot("sync-04-conflict-badge").await?;
    badge
        .click()
        .await
        .map_err(|e| Failure(format!("clicking the case's conflict badge: {e}")))?;
    app.wait_for("conflict-inbox").await?;
    let item = app.row("conflict-item", &[APP_VALUE, CLI_VALUE]).await?;
    if app.count("conflict-item").await != 1 {
        return Err(Failure(format!(
            "the inbox lists {} conflicts, not the one edit of {FIELD}",
            app.count("conflict-item").await
        )));
    }
    let field = item.attr("data-field").await.ok().flatten();
    if field.as_deref() != Some(FIELD) {
        return Err(Failure(format!(
            "the conflict is about {field:?}, not {FIELD}"
        )));
    }
    let text = item.text().await.unwrap_or_default();
    if !text.contains(&child.case_number) {
        return Err(Failure(format!(
            "the conflict does not name its case {}: {text:?}",
            child.case_number
        )));
    }
    // Mine is the app's own value, theirs the CLI's, which is in force: it reached the service
    // first with the newer stamp.
    side_shows(&item, "mine", APP_VALUE, "false").await?;
    side_shows(&item, "theirs", CLI_VALUE, "true").await?;
    let theirs = item
        .find(fantoccini::Locator::Css(
            "[data-testid=\"conflict-theirs\"]",
        ))
        .await
        .map_err(|e| Failure(format!("the conflict has no side \"theirs\": {e}")))?
        .text()
        .await
        .unwrap_or_default();
    if !theirs.contains(DISPLAY_NAME) {
        return Err(Failure(format!(
            "the CLI's side of the conflict does not say who wrote it ({DISPLAY_NAME}): {theirs:?}"
        )));
    }
    app.shot("sync-05-conflict-inbox").await?;

    app.click_in(&item, "conflict-keep-mine").await?;
    app.wait_for_count("conflict-item", 0).await?;
    app.wait_for("conflict-inbox-empty").await?;
    app.escape().await?;
    app.poll_until_gone("conflict-inbox").await?;

    // The resolution is a change of its own: the app sends it on its own 2 s after, or at once
    // with "Sync now" (a no-op click while that sync runs). Either way nothing may stay waiting.
    if let Ok(button) = app.wait_for("sync-now").await {
        if button.is_enabled().await.unwrap_or(false) {
            let _ = button.click().await;
        }
    }
    app.wait_for_attr("pending-count", "data-count", "0")
        .await?;
    app.wait_for_attr("sync-indicator", "data-tone", "ok")
        .await?;
    // Counted in the whole page, hidden parts included: no badge may be left anywhere.
    for left in ["conflict-count", "rejected-count", "conflict-badge"] {
        let n = app.count(left).await;
        if n != 0 {
            return Err(Failure(format!(
                "after the resolution synced, the page still has {n} [data-testid={left}]"
            )));
        }
    }
    app.shot("sync-06-resolved-and-synced").await?;
    Ok(())
}

/// One side of a conflict shows `value` and says whether it is in force.
async fn side_shows(
    item: &fantoccini::elements::Element,
    which: &str,
    value: &str,
    in_force: &str,
) -> Step {
    let side = item
        .find(fantoccini::Locator::Css(&format!(
            "[data-testid=\"conflict-{which}\"]"
        )))
        .await
        .map_err(|e| Failure(format!("the conflict has no side {which:?}: {e}")))?;
    let shown = side.text().await.unwrap_or_default();
    let force = side.attr("data-in-force").await.ok().flatten();
    if !shown.contains(value) || force.as_deref() != Some(in_force) {
        return Err(Failure(format!(
            "the side {which:?} of the conflict reads {shown:?} (in force: {force:?}); expected {value:?} (in force: {in_force})"
        )));
    }
    Ok(())
}

/// The case's timeline in the app says when the CLI's contact was added, by the service's
/// actor: the contact arrived with the case and keeps no history row of its own until it
/// changes, so the entry comes from the contact itself.
async fn app_shows_the_contact_from_the_service(app: &App) -> Step {
    app.click("tab-timeline").await?;
    let added = format!("Contact added: {CONTACT_NAME} (mother)");
    app.wait_for_row("timeline-entry", &[&added, "· sync"]).await?;
    app.shot("sync-07-timeline-contact-from-service").await?;
    app.click("tab-overview").await?;
    Ok(())
}

/// The app's form of the case shows `value` in the field; on the way, the case's row in the
/// list carries no conflict mark any more.
async fn app_holds(app: &App, child: &Child, value: &str) -> Step {
    app.escape().await?;
    app.poll_until_gone("case-view").await?;
    let row = app.record_row("case-row", &child.id).await?;
    if row
        .find(fantoccini::Locator::Css("[data-testid=\"conflict-badge\"]"))
        .await
        .is_ok()
    {
        return Err(Failure(
            "the case's row in the list still carries a conflict badge".into(),
        ));
    }
    row.click()
        .await
        .map_err(|e| Failure(format!("opening the case again: {e}")))?;
    app.click("edit-case").await?;
    let field = app.wait_for(&format!("field-{FIELD}")).await?;
    // Into view, for the picture.
    app.script(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
        vec![format!("[data-testid=\"field-{FIELD}\"]").into()],
        false,
    )
    .await?;
    let held = field
        .prop("value")
        .await
        .map_err(|e| Failure(format!("reading {FIELD} in the form: {e}")))?
        .unwrap_or_default();
    app.shot("sync-08-both-devices-agree").await?;
    if held != value {
        return Err(Failure(format!(
            "the app's form shows {held:?} in {FIELD}, not {value:?}"
        )));
    }
    Ok(())
}
