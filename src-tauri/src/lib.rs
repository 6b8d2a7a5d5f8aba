//! The Porchlight desktop shell: opens the window, holds the open workspace, the bulk poster
//! jobs and the background sync for the session, and registers the commands the webview may
//! call. It owns no SQL and no business rule; those live in `porchlight-store`,
//! `porchlight-domain`, `porchlight-poster` and the sync crates.
//!
//! Modules: `session` (the shared workspace), `commands` (workspace and case form), `casework`
//! (case view and search), `photos`, `posters`, `bulk`, `sync` (enrolment, the background sync,
//! conflicts and refused changes), and the edges they use: `dialogs` (native file dialogs),
//! `files` (atomic writes), `printing` (lp / xdg-open).

mod bulk;
mod casework;
mod commands;
mod dialogs;
mod files;
mod photos;
mod posters;
mod printing;
mod session;
mod sync;

use session::Session;
use std::sync::Arc;
use tauri::{Emitter, Manager};

/// Starts the app and blocks until its last window closes.
pub fn run() {
    // Internal faults go to stderr with their whole chain; the level can be raised with RUST_LOG.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    let (sync_handle, sync_inbox) = sync::channel();
    let result = tauri::Builder::default()
        .manage(Session::at_default_path(sync_handle))
        .manage(bulk::BulkJobs::default())
        .setup(move |app| {
            let session = app.state::<Session>();
            let handle = app.handle().clone();
            // The worker's reports become the window's events; an emit fails only when the
            // window is closing, and then nobody is left to tell.
            let notify: sync::Notify = Arc::new(move |notice| {
                let sent = match notice {
                    sync::Notice::Status(status) => handle.emit(sync::STATUS_EVENT, status),
                    sync::Notice::Removed(message) => handle.emit(sync::REMOVED_EVENT, message),
                };
                if let Err(e) = sent {
                    log::warn!("a sync event could not reach the window: {e}");
                }
            });
            sync::spawn(sync_inbox, Arc::clone(&session.open), session.path.clone(), notify)?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace_status,
            commands::create_workspace,
            commands::unlock_workspace,
            commands::lock_workspace,
            commands::list_cases,
            commands::get_case,
            commands::create_case,
            commands::update_case,
            commands::set_archived,
            commands::validate_case,
            casework::open_case,
            casework::add_contact,
            casework::update_contact,
            casework::remove_contact,
            casework::add_note,
            casework::edit_note,
            casework::note_history,
            casework::change_status,
            casework::case_timeline,
            casework::case_audit,
            casework::search_cases,
            casework::find_duplicates,
            photos::pick_photo_files,
            photos::add_photo_from_path,
            photos::add_photo_bytes,
            photos::update_photo,
            photos::set_primary_photo,
            photos::photo_thumbnail,
            photos::photo_image,
            posters::render_poster,
            posters::save_poster,
            posters::save_poster_to,
            posters::print_poster,
            posters::case_posters,
            bulk::start_bulk_posters,
            bulk::bulk_progress,
            bulk::cancel_bulk,
            sync::sync_status,
            sync::enrol_device,
            sync::sync_now,
            sync::list_conflicts,
            sync::resolve_conflict,
            sync::list_rejected,
            sync::dismiss_rejected,
            sync::leave_sync,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        log::error!("Porchlight could not start its window: {error}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod command_names;

#[cfg(test)]
mod tests {
    //! The lock-down of the webview, checked from the files Tauri builds it from.

    use super::command_names::COMMANDS;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

    fn json_file(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn the_capability_grants_our_commands_and_nothing_else() {
        let cap = json_file(include_str!("../capabilities/default.json"));
        let granted: Vec<&str> = cap["permissions"]
            .as_array()
            .expect("a permission list")
            .iter()
            .map(|p| {
                p.as_str()
                    .expect("plain permission names, no scoped grants")
            })
            .collect();
        let mut ours: Vec<String> = COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        // The one core grant: listening to the sync events the shell emits (it cannot emit).
        ours.extend(["core:event:allow-listen".to_owned(), "core:event:allow-unlisten".to_owned()]);
        assert_eq!(granted, ours);
        assert_eq!(cap["windows"], json!(["main"]));
        assert!(
            cap.get("remote").is_none(),
            "no remote origin may call commands"
        );
    }

    #[test]
    fn every_granted_command_is_registered_and_nothing_else() {
        let source = include_str!("lib.rs");
        let start = source
            .find("generate_handler![")
            .expect("a generate_handler! list");
        let end = start + source[start..].find(']').expect("the end of the list");
        let registered: Vec<&str> = source[start + "generate_handler![".len()..end]
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| entry.rsplit("::").next().unwrap_or(entry))
            .collect();
        assert_eq!(
            registered, COMMANDS,
            "generate_handler! in lib.rs and COMMANDS in command_names.rs list different commands"
        );
    }

    #[test]
    fn the_window_runs_under_a_strict_content_security_policy() {
        let conf = json_file(include_str!("../tauri.conf.json"));
        let security = &conf["app"]["security"];
        let csp: BTreeMap<&str, &str> = security["csp"]
            .as_str()
            .expect("a CSP string")
            .split(';')
            .filter_map(|d| d.trim().split_once(' '))
            .collect();
        assert_eq!(csp.get("default-src"), Some(&"'self'"));
        assert_eq!(
            csp.get("script-src"),
            Some(&"'self'"),
            "scripts only from the app itself"
        );
        assert_eq!(
            csp.get("connect-src"),
            Some(&"ipc: http://ipc.localhost"),
            "no network but IPC"
        );
        assert_eq!(csp.get("object-src"), Some(&"'none'"));
        // The poster preview's pdf.js worker is one of the app's own files.
        assert_eq!(
            csp.get("worker-src"),
            Some(&"'self'"),
            "workers only from the app itself"
        );
        let images: Vec<&str> = csp["img-src"].split_whitespace().collect();
        assert!(
            images.contains(&"data:"),
            "photos reach the webview as data: URLs"
        );
        assert!(!images.contains(&"*") && !images.iter().any(|s| s.starts_with("https:")));
        assert_eq!(
            csp.get("worker-src"),
            Some(&"'self'"),
            "workers (the poster preview's pdf.js) only from the app's own files, never blob:"
        );
        assert!(!security["csp"].as_str().unwrap().contains("unsafe-eval"));
        // Tauri keeps adding nonces and hashes to script-src; only style-src is exempted so that
        // the UI's inline style attributes are not blocked.
        assert_eq!(
            security["dangerousDisableAssetCspModification"],
            json!(["style-src"])
        );
        assert_eq!(conf["app"]["withGlobalTauri"], json!(false));
        // Files dropped on the window reach the webview as HTML5 drop events (the photos tab
        // reads them); Tauri's own file-drop handling would swallow them.
        assert_eq!(conf["app"]["windows"][0]["dragDropEnabled"], json!(false));
        assert!(
            conf.get("plugins")
                .is_none_or(|p| p.as_object().is_some_and(|o| o.is_empty())),
            "no plugins"
        );
    }
}
