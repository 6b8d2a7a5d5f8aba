//! The `porchlight-app` binary: starts the desktop shell and nothing else.

// Release builds on Windows would otherwise open a console window beside the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    porchlight_app::run();
}
