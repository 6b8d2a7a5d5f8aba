//! Scenarios through the real app binary, one app at a time. First slice: a case manager creates
//! a workspace, is told exactly which field is wrong, saves a case, quits, comes back, gets a
//! wrong passphrase refused, unlocks, and finds the case again. Second: on a workspace seeded
//! with 200 generated cases by the real `porchlight` CLI, a case manager finds a child by
//! family name, adds a contact, writes and edits a note, changes the status with a reason,
//! imports a photo file through the real import path, drops another onto the photos, sees the
//! native file dialog open, quits, comes back to find all of it, previews and saves a poster of
//! the child, runs posters in bulk for five cases, and sees the native save dialog open. The
//! people in it are invented.

use porchlight_e2e::{app_binary, display_or_skip, App, Driver, Failure, Step};
use std::time::Duration;

const PASSPHRASE: &str = "Lantern on the harbour wall, 47 nights";
const WRONG_PASSPHRASE: &str = "Lantern on the harbour wall, 48 nights";

/// The whole scenario must end well within this, so a stuck window fails instead of hanging CI.
const SCENARIO_LIMIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_case_is_found_again_after_quitting_and_unlocking() {
    if !display_or_skip("a_saved_case_is_found_again_after_quitting_and_unlocking") {
        return;
    }
    let _screen = porchlight_e2e::one_app_at_a_time().await;
    let app_bin = app_binary();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let workspace = dir.path().join("workspace.porchlight");
    let driver = Driver::start(&workspace, dir.path().join("tauri-driver.log"));

    let outcome = tokio::time::timeout(SCENARIO_LIMIT, async {
        first_session(&driver, &app_bin).await?;
        second_session(&driver, &app_bin).await
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
    assert!(
        workspace.exists(),
        "the workspace file {} was not written",
        workspace.display()
    );
}

/// First run: create the workspace, get a field error, fix it, save, see the row; then quit.
async fn first_session(driver: &Driver, app_bin: &std::path::Path) -> Step {
    let app = driver.launch(app_bin).await?;
    let result = create_and_save(&app).await;
    finish(app, "first-session-failure", result).await
}

async fn create_and_save(app: &App) -> Step {
    app.wait_for("passphrase").await?;
    if app.shows("unlock-passphrase").await {
        return Err(Failure(
            "a fresh workspace showed the unlock screen instead of the create screen".into(),
        ));
    }
    app.shot("01-create-workspace").await?;

    // A weak passphrase is refused with a message, and nothing is created.
    app.fill("passphrase", "short").await?;
    app.fill("passphrase-confirm", "short").await?;
    app.click("create-workspace").await?;
    let weak = app.wait_for_text("passphrase-error").await?;
    app.shot("02-weak-passphrase").await?;
    if app.shows("case-list").await {
        return Err(Failure(format!(
            "a weak passphrase opened a workspace (message was {weak:?})"
        )));
    }

    app.fill("passphrase", PASSPHRASE).await?;
    app.fill("passphrase-confirm", PASSPHRASE).await?;
    app.click("create-workspace").await?;
    app.wait_for("case-list").await?;
    app.shot("03-empty-list").await?;

    // A birth date after the last-seen date is refused on the birth date field.
    app.click("new-case").await?;
    app.fill("field-case_type", "ERU").await?;
    app.fill("field-child.given_name", "Juniper").await?;
    app.fill("field-child.family_name", "Aldercott").await?;
    app.fill("field-child.date_of_birth", "2025-06-01").await?;
    app.fill("field-child.sex", "F").await?;
    app.fill("field-event.last_seen_date", "2025-03-02").await?;
    app.fill("field-event.city", "Tulsa").await?;
    app.fill("field-event.state", "OK").await?;
    app.click("save-case").await?;
    let message = app.wait_for_text("error-child.date_of_birth").await?;
    app.shot("04-field-error").await?;
    if !message.to_lowercase().contains("birth") {
        return Err(Failure(format!(
            "the birth-date error does not speak of the birth date: {message:?}"
        )));
    }

    app.fill("field-child.date_of_birth", "2012-05-14").await?;
    app.click("save-case").await?;
    // A saved case opens in the case view; Escape goes back to the list.
    app.wait_for_row("case-view", &["Juniper Aldercott"])
        .await?;
    if app.shows("error-child.date_of_birth").await {
        return Err(Failure(
            "the birth-date error is still shown after the date was fixed and saved".into(),
        ));
    }
    app.escape().await?;
    app.wait_for_row("case-row", &["Aldercott", "Juniper"])
        .await?;
    let count = app.wait_for_text("case-count").await?;
    if !count.contains('1') {
        return Err(Failure(format!(
            "the case count reads {count:?} with one case saved"
        )));
    }
    app.shot("05-saved").await?;
    Ok(())
}

/// Second run: the unlock screen, a wrong passphrase refused, the right one, the case found.
async fn second_session(driver: &Driver, app_bin: &std::path::Path) -> Step {
    let app = driver.launch(app_bin).await?;
    let result = unlock_and_find(&app).await;
    finish(app, "second-session-failure", result).await
}

async fn unlock_and_find(app: &App) -> Step {
    app.wait_for("unlock-passphrase").await?;
    if app.shows("passphrase-confirm").await {
        return Err(Failure(
            "an existing workspace showed the create screen again".into(),
        ));
    }
    app.shot("06-unlock").await?;

    app.fill("unlock-passphrase", WRONG_PASSPHRASE).await?;
    app.click("unlock").await?;
    app.wait_for_text("unlock-error").await?;
    app.shot("07-wrong-passphrase").await?;
    if app.shows("case-list").await {
        return Err(Failure("a wrong passphrase opened the workspace".into()));
    }

    app.fill("unlock-passphrase", PASSPHRASE).await?;
    app.click("unlock").await?;
    app.wait_for("case-list").await?;
    app.fill("search", "Aldercott").await?;
    let rows = app
        .wait_for_row("search-hit", &["Aldercott", "Juniper"])
        .await?;
    if rows != 1 {
        return Err(Failure(format!(
            "searching for the one saved case shows {rows} rows"
        )));
    }
    app.shot("08-found-after-unlock").await?;
    Ok(())
}

/// Keeps a picture of the window when a step failed, then quits the app either way.
async fn finish(app: App, failure_shot: &str, result: Step) -> Step {
    if result.is_err() {
        let _ = app.shot(failure_shot).await;
    }
    let quit = app.quit().await;
    result.and(quit)
}

// ---------------------------------------------------------------------------------------------
// The case manager's day (issue 3) and a poster (issue 4), on a workspace seeded by the real CLI.
// ---------------------------------------------------------------------------------------------

const SEEDED_PASSPHRASE: &str = "Porch light over the river bend, 312 evenings";
const CONTACT_NAME: &str = "Rosalind Whitcombe";
const NOTE_FIRST: &str = "Grandmother called: the child may be staying with a school friend.";
const NOTE_EDITED: &str = "Grandmother called back: the friend's family lives near the bus depot.";
const STATUS_REASON: &str = "Intake checks done; the investigating agency confirmed the report.";

/// The seeded child the scenario works on.
struct Child {
    /// Four other seeded cases, for a bulk run.
    others: Vec<String>,
    id: String,
    case_number: String,
    given_name: String,
    family_name: String,
}

/// Seeds 200 generated cases (with drawn photos) through the real `porchlight` binary and picks
/// a child whose family name no other seeded child has, so that a search finds exactly one.
fn seed(workspace: &std::path::Path) -> Step<Child> {
    use porchlight_e2e::porchlight;
    porchlight(workspace, SEEDED_PASSPHRASE, &["init"])?;
    porchlight(
        workspace,
        SEEDED_PASSPHRASE,
        &["seed", "--cases", "200", "--photos"],
    )?;
    let listed = porchlight(
        workspace,
        SEEDED_PASSPHRASE,
        &["cases", "list", "--limit", "500", "--json"],
    )?;
    let page: serde_json::Value = serde_json::from_str(&listed).map_err(|e| {
        Failure(format!(
            "`porchlight cases list --json` printed something else: {e}"
        ))
    })?;
    let rows = page["rows"].as_array().cloned().unwrap_or_default();
    if rows.len() != 200 {
        return Err(Failure(format!(
            "the seeded workspace lists {} cases, not 200",
            rows.len()
        )));
    }
    let family = |r: &serde_json::Value| r["family_name"].as_str().unwrap_or_default().to_string();
    rows.iter()
        .find(|r| {
            let name = family(r);
            name.len() >= 4
                && name.chars().all(|c| c.is_ascii_alphabetic())
                && r["status"] == "intake"
                && rows.iter().filter(|o| family(o) == name).count() == 1
        })
        .map(|r| Child {
            others: rows
                .iter()
                .filter(|o| o["id"] != r["id"])
                .take(4)
                .map(|o| o["id"].as_str().unwrap_or_default().to_string())
                .collect(),
            id: r["id"].as_str().unwrap_or_default().to_string(),
            case_number: r["case_number"].as_str().unwrap_or_default().to_string(),
            given_name: r["given_name"].as_str().unwrap_or_default().to_string(),
            family_name: family(r),
        })
        .ok_or_else(|| Failure("no seeded child has a family name of their own".into()))
}

/// A small synthetic portrait (a drawn face on a gradient of hue `tint`), as PNG bytes: no real
/// child.
fn drawn_portrait(tint: u8) -> Vec<u8> {
    let (w, h) = (240u32, 300u32);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let (cx, cy) = (x as i64 - 120, y as i64 - 130);
        if cx * cx * 100 / (70 * 70) + cy * cy * 100 / (90 * 90) <= 100 {
            image::Rgb([214, 170, 140])
        } else {
            image::Rgb([60 + (y * 100 / h) as u8, tint, 140 + (x * 80 / w) as u8])
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)
        .expect("the drawn portrait can be encoded");
    png.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_managers_work_survives_a_restart_and_the_case_gets_a_poster() {
    let test = "a_case_managers_work_survives_a_restart_and_the_case_gets_a_poster";
    if !display_or_skip(test) {
        return;
    }
    let _screen = porchlight_e2e::one_app_at_a_time().await;
    let app_bin = app_binary();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let workspace = dir.path().join("seeded.porchlight");
    let child = seed(&workspace).unwrap_or_else(|f| panic!("seeding the workspace: {f}"));
    let portrait = dir.path().join("recent-portrait.png");
    std::fs::write(&portrait, drawn_portrait(90)).expect("the drawn portrait can be written");
    let poster = dir.path().join(format!("{}.pdf", child.case_number));
    let driver = Driver::start(&workspace, dir.path().join("tauri-driver.log"));

    let outcome = tokio::time::timeout(SCENARIO_LIMIT, async {
        let photos_before = workday(&driver, &app_bin, &child, &portrait).await?;
        next_day(&driver, &app_bin, &child, photos_before + 2, &poster).await
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

/// Unlocks the seeded workspace, finds the child by family name and opens the case.
async fn unlock_and_open(app: &App, child: &Child, shot_prefix: &str) -> Step {
    app.wait_for("unlock-passphrase").await?;
    app.fill("unlock-passphrase", SEEDED_PASSPHRASE).await?;
    app.click("unlock").await?;
    app.wait_for("case-list").await?;
    app.fill("search", &child.family_name).await?;
    // Found by its case id: the row may shorten a long case number with an ellipsis.
    let hit = app.record_row("search-hit", &child.id).await?;
    let marked = hit
        .find(fantoccini::Locator::Css("mark"))
        .await
        .map_err(|e| {
            Failure(format!(
                "the search hit for {} highlights nothing: {e}",
                child.family_name
            ))
        })?;
    let marked = marked.text().await.unwrap_or_default();
    if !child
        .family_name
        .to_lowercase()
        .contains(&marked.trim().to_lowercase())
        || marked.trim().is_empty()
    {
        return Err(Failure(format!(
            "the search for {:?} highlighted {marked:?}",
            child.family_name
        )));
    }
    app.shot(&format!("{shot_prefix}-search")).await?;
    hit.click()
        .await
        .map_err(|e| Failure(format!("opening the search hit: {e}")))?;
    let view = app.wait_for_text("case-view").await?;
    if !view.contains(&child.given_name) || !view.contains(&child.case_number) {
        return Err(Failure(format!(
            "the case view does not show {} {} ({})",
            child.given_name, child.family_name, child.case_number
        )));
    }
    Ok(())
}

/// First session: a contact, a note and its edit, a status change and a photo through the
/// real import path. Returns how many photos the case had before.
async fn workday(
    driver: &Driver,
    app_bin: &std::path::Path,
    child: &Child,
    portrait: &std::path::Path,
) -> Step<usize> {
    let app = driver.launch(app_bin).await?;
    let result = async {
        unlock_and_open(&app, child, "10").await?;
        app.shot("11-case-view").await?;

        app.click("tab-contacts").await?;
        app.click("add-contact").await?;
        app.fill("contact-field-name", CONTACT_NAME).await?;
        app.fill("contact-field-relationship", "grandparent")
            .await?;
        app.fill("contact-field-phones.0", "918 555 0199").await?;
        app.click("save-contact").await?;
        app.wait_for_row("contact-row", &[CONTACT_NAME]).await?;
        app.shot("12-contact-added").await?;

        app.click("tab-notes").await?;
        app.click("add-note").await?;
        app.fill("note-category", "call").await?;
        app.fill("note-text", NOTE_FIRST).await?;
        app.click("save-note").await?;
        let note = app.row("note-row", &[NOTE_FIRST]).await?;
        app.click_in(&note, "edit-note").await?;
        app.fill("note-text", NOTE_EDITED).await?;
        app.click("save-note").await?;
        let note = app.row("note-row", &[NOTE_EDITED]).await?;
        superseded_version_shown(&app, &note, "13-note-history").await?;

        app.click("change-status").await?;
        app.fill("status-to", "active").await?;
        app.fill("status-reason", STATUS_REASON).await?;
        app.click("save-status").await?;
        active_with_reason(&app).await?;
        app.shot("14-status-changed").await?;

        app.click("tab-photos").await?;
        let before = app.count("photo-tile").await;
        app.fill("photo-path", &portrait.display().to_string())
            .await?;
        app.click("add-photo-path").await?;
        app.wait_for_count("photo-tile", before + 1).await?;
        if app.shows("photo-error").await {
            let said = app.wait_for_text("photo-error").await?;
            return Err(Failure(format!(
                "adding the drawn portrait was refused: {said}"
            )));
        }
        app.shot("15-photo-added").await?;

        // A file dropped on the photos: its details are asked for, then it is added.
        app.drop_file(
            "photo-drop-zone",
            "school-day.png",
            "image/png",
            &drawn_portrait(40),
        )
        .await?;
        app.check("photo-field-consent_to_publish", true).await?;
        app.fill("photo-field-source", "dropped by the e2e test")
            .await?;
        app.shot("15b-dropped-photo-details").await?;
        app.click("save-photo").await?;
        app.wait_for_count("photo-tile", before + 2).await?;
        if app.shows("photo-error").await {
            let said = app.wait_for_text("photo-error").await?;
            return Err(Failure(format!("the dropped portrait was refused: {said}")));
        }

        native_photo_dialog_opens(&app).await?;
        Ok(before)
    }
    .await;
    match result {
        Ok(before) => finish(app, "workday-failure", Ok(()))
            .await
            .map(|()| before),
        Err(e) => finish(app, "workday-failure", Err(e)).await.map(|()| 0),
    }
}

/// Opens the history of `note` and checks the first text is there, marked superseded.
async fn superseded_version_shown(
    app: &App,
    note: &fantoccini::elements::Element,
    shot: &str,
) -> Step {
    app.click_in(note, "note-history").await?;
    let old = app.row("note-version", &[NOTE_FIRST]).await?;
    let class = old.attr("class").await.ok().flatten().unwrap_or_default();
    if !class.split_whitespace().any(|c| c == "superseded") {
        return Err(Failure(format!(
            "the first version of the note is not marked superseded (class {class:?})"
        )));
    }
    app.wait_for_row("note-version", &[NOTE_EDITED]).await?;
    app.shot(shot).await?;
    app.escape().await?;
    app.poll_until_gone("note-history-dialog").await
}

/// The status badge reads Active and the history lists the change with its reason.
async fn active_with_reason(app: &App) -> Step {
    app.wait_for_row("case-status", &["Active"]).await?;
    app.click("tab-overview").await?;
    app.wait_for_row("status-event", &[STATUS_REASON]).await?;
    Ok(())
}

/// The "Add photos" button opens the native GTK file dialog: a window of its own on the
/// display, which WebDriver cannot see, so it is looked for among the X windows. Left open: the
/// app quits next.
async fn native_photo_dialog_opens(app: &App) -> Step {
    const TITLE: &str = "Add photos to the case";
    if porchlight_e2e::x_window_names().is_none() {
        eprintln!(
            "NOTE: xwininfo (x11-utils) is missing, so the native photo dialog is not checked."
        );
        return Ok(());
    }
    app.click("add-photos").await?;
    native_dialog_shows(TITLE, "16-native-photo-dialog").await
}

/// Waits until a top-level X window called `title` is on the display, then photographs the
/// display as `shot`.
async fn native_dialog_shows(title: &str, shot: &str) -> Step {
    let deadline = std::time::Instant::now() + porchlight_e2e::PATIENCE;
    loop {
        let names = porchlight_e2e::x_window_names().unwrap_or_default();
        if names.iter().any(|n| n == title) {
            break;
        }
        if std::time::Instant::now() > deadline {
            return Err(Failure(format!(
                "the native dialog {title:?} did not open; windows on the display: {names:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give GTK a moment to draw the dialog before the picture is taken.
    tokio::time::sleep(Duration::from_millis(800)).await;
    porchlight_e2e::screen_shot(shot)?;
    Ok(())
}

/// A bulk run of five cases into a folder, one file each, through the page's IPC bridge (the
/// folder dialog is native): the job is polled until it finishes, and every file is a PDF.
async fn posters_in_bulk(app: &App, child: &Child, dir: &std::path::Path) -> Step {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure(format!("creating {}: {e}", dir.display())))?;
    let mut cases = vec![child.id.clone()];
    cases.extend(child.others.iter().cloned());
    let call = "const [command, args, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
        window.__TAURI_INTERNALS__.invoke(command, args).then((r) => done({ ok: r }), (e) => done({ err: e }));";
    let started = app
        .script(
            call,
            vec![
                "start_bulk_posters".into(),
                serde_json::json!({ "caseIds": cases, "options": {}, "perCase": true, "directory": dir }),
            ],
            true,
        )
        .await?;
    let job = started["ok"]
        .as_str()
        .ok_or_else(|| Failure(format!("start_bulk_posters was refused: {started}")))?
        .to_string();
    let deadline = std::time::Instant::now() + porchlight_e2e::PATIENCE;
    let progress = loop {
        let polled = app
            .script(
                call,
                vec!["bulk_progress".into(), serde_json::json!({ "job": job })],
                true,
            )
            .await?;
        let p = polled["ok"].clone();
        if p["finished"] == true {
            break p;
        }
        if std::time::Instant::now() > deadline {
            return Err(Failure(format!("the bulk run did not finish: {polled}")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let outputs: Vec<String> = progress["outputs"]
        .as_array()
        .map(|o| {
            o.iter()
                .filter_map(|p| p.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if progress["done"] != 5
        || outputs.len() + progress["refused"].as_array().map_or(0, |r| r.len()) != 5
    {
        return Err(Failure(format!(
            "the bulk run did not deal with all five cases: {progress}"
        )));
    }
    if !outputs
        .iter()
        .any(|o| o.ends_with(&format!("{}.pdf", child.case_number)))
    {
        return Err(Failure(format!(
            "the bulk run wrote no poster of {}: {progress}",
            child.case_number
        )));
    }
    for file in &outputs {
        let pdf = std::fs::read(file).map_err(|e| Failure(format!("{file}: {e}")))?;
        if !pdf.starts_with(b"%PDF-") {
            return Err(Failure(format!("{file} is not a PDF")));
        }
    }
    Ok(())
}

/// "Save PDF…" in the poster studio opens the native save dialog. Left open: the app quits next.
async fn native_save_dialog_opens(app: &App) -> Step {
    if porchlight_e2e::x_window_names().is_none() {
        eprintln!(
            "NOTE: xwininfo (x11-utils) is missing, so the native save dialog is not checked."
        );
        return Ok(());
    }
    app.click("open-poster-studio").await?;
    app.poll_for_drawn_canvas("poster-preview").await?;
    app.click("save-poster").await?;
    native_dialog_shows("Save the poster", "27-native-save-dialog").await
}

/// Second session: everything is still there, then a poster of the case is saved.
async fn next_day(
    driver: &Driver,
    app_bin: &std::path::Path,
    child: &Child,
    photos: usize,
    poster: &std::path::Path,
) -> Step {
    let app = driver.launch(app_bin).await?;
    let result = async {
        unlock_and_open(&app, child, "20").await?;
        app.wait_for_row("case-status", &["Active"]).await?;
        app.wait_for_row("status-event", &[STATUS_REASON]).await?;
        app.shot("21-after-restart").await?;

        app.click("tab-contacts").await?;
        app.wait_for_row("contact-row", &[CONTACT_NAME]).await?;
        app.click("tab-notes").await?;
        let note = app.row("note-row", &[NOTE_EDITED]).await?;
        superseded_version_shown(&app, &note, "22-note-history-after-restart").await?;
        app.click("tab-photos").await?;
        app.wait_for_count("photo-tile", photos).await?;
        app.click("tab-timeline").await?;
        app.wait_for_row("timeline-entry", &[CONTACT_NAME]).await?;
        app.shot("23-timeline").await?;
        app.click("tab-audit").await?;
        app.wait_for("audit-entry").await?;
        app.shot("24-audit").await?;

        poster_of_the_case(&app, child, poster).await?;
        posters_in_bulk(&app, child, &poster.with_file_name("bulk")).await?;
        native_save_dialog_opens(&app).await
    }
    .await;
    finish(app, "next-day-failure", result).await
}

/// The poster studio previews the case's poster (the real `render_poster`, drawn by pdf.js
/// under the app's CSP), then the poster is saved to `path` and recorded in the case. The save
/// dialog is native and cannot be driven, so the save goes through the UI's test hook when it
/// has one, else through the page's own IPC bridge to `save_poster_to`, the command the dialog
/// path ends in.
async fn poster_of_the_case(app: &App, child: &Child, path: &std::path::Path) -> Step {
    let case_id = app
        .wait_for("case-view")
        .await?
        .attr("data-case-id")
        .await
        .ok()
        .flatten()
        .ok_or_else(|| Failure("the case view does not carry its case id".into()))?;
    app.click("open-poster-studio").await?;
    app.wait_for("poster-preview").await?;
    if app.shows("poster-refusal").await {
        let why = app.wait_for_text("poster-refusal").await?;
        return Err(Failure(format!(
            "the seeded case was refused a poster: {why}"
        )));
    }
    app.poll_for_drawn_canvas("poster-preview").await?;
    app.shot("25-poster-studio").await?;

    let target = path.display().to_string();
    if app.count("poster-path").await > 0 {
        app.fill("poster-path", &target).await?;
        app.click("save-poster-path").await?;
        app.wait_for_text("poster-result").await?;
    } else {
        let saved = app
            .script(
                "const [caseId, path, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
                 window.__TAURI_INTERNALS__
                   .invoke('save_poster_to', { caseIds: [caseId], options: { language: 'en', paper: 'letter', photo_ids: [] }, path })
                   .then((r) => done({ ok: r }), (e) => done({ err: e }));",
                vec![case_id.clone().into(), target.clone().into()],
                true,
            )
            .await?;
        if saved.get("ok").is_none() {
            return Err(Failure(format!("save_poster_to was refused: {saved}")));
        }
    }
    let pdf = std::fs::read(path)
        .map_err(|e| Failure(format!("the poster {target} was not written: {e}")))?;
    if !pdf.starts_with(b"%PDF-") || pdf.len() < 10_000 {
        return Err(Failure(format!(
            "{target} is not a poster PDF ({} bytes)",
            pdf.len()
        )));
    }
    if app.shows("close-studio").await {
        app.click("close-studio").await?;
        app.poll_until_gone("close-studio").await?;
    }
    // Back to the list and into the case again, so the case view reads the posters afresh.
    app.escape().await?;
    app.poll_until_gone("case-view").await?;
    app.fill("search", &child.family_name).await?;
    app.record_row("search-hit", &child.id)
        .await?
        .click()
        .await
        .map_err(|e| Failure(format!("reopening the case: {e}")))?;
    app.click("tab-posters").await?;
    let row = app.wait_for_text("poster-record").await?;
    if !row.to_lowercase().contains("saved") {
        return Err(Failure(format!(
            "the recorded poster does not say it was saved: {row:?}"
        )));
    }
    app.shot("26-poster-recorded").await?;
    // The poster names the child: its text as pdftotext (poppler-utils) reads it.
    match std::process::Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !flat.contains(&child.family_name) || !flat.contains(&child.case_number) {
                return Err(Failure(format!(
                    "the poster does not name {} ({}): {flat}",
                    child.family_name, child.case_number
                )));
            }
        }
        _ => eprintln!(
            "NOTE: pdftotext (poppler-utils) is missing, so the poster's text is not checked."
        ),
    }
    Ok(())
}
