//! The whole first slice through the real app binary: a case manager creates a workspace, is
//! told exactly which field is wrong, saves a case, quits, comes back, gets a wrong passphrase
//! refused, unlocks, and finds the case again. The people in it are invented.

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
    app.wait_for_row("case-row", &["Aldercott", "Juniper"])
        .await?;
    if app.shows("error-child.date_of_birth").await {
        return Err(Failure(
            "the birth-date error is still shown after the date was fixed and saved".into(),
        ));
    }
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
        .wait_for_row("case-row", &["Aldercott", "Juniper"])
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
