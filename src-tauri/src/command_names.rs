// The commands the webview may call, shared by `build.rs` (which generates an `allow-<command>`
// permission for each) and the test that checks the capability file grants exactly these. Keep in
// step with `generate_handler!` in `lib.rs`.
pub const COMMANDS: &[&str] = &[
    "workspace_status",
    "create_workspace",
    "unlock_workspace",
    "lock_workspace",
    "list_cases",
    "get_case",
    "create_case",
    "update_case",
    "set_archived",
    "validate_case",
];
