//! The Porchlight desktop shell: opens the window, holds the open workspace for the session and
//! registers the commands the webview may call. It owns no SQL and no business rule; those live
//! in `porchlight-store` and `porchlight-domain`.

mod commands;

use commands::Session;

/// Starts the app and blocks until its last window closes.
pub fn run() {
    // Internal faults go to stderr with their whole chain; the level can be raised with RUST_LOG.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    let result = tauri::Builder::default()
        .manage(Session::at_default_path())
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
        let ours: Vec<String> = COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        assert_eq!(granted, ours);
        assert_eq!(cap["windows"], json!(["main"]));
        assert!(
            cap.get("remote").is_none(),
            "no remote origin may call commands"
        );
    }

    #[test]
    fn every_granted_command_is_registered() {
        let source = include_str!("lib.rs");
        for command in COMMANDS {
            assert!(
                source.contains(&format!("commands::{command},")),
                "{command} is granted but not in generate_handler!"
            );
        }
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
        assert!(
            conf.get("plugins")
                .is_none_or(|p| p.as_object().is_some_and(|o| o.is_empty())),
            "no plugins"
        );
    }
}
