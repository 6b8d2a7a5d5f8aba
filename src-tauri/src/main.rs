//! The `porchlight-app` binary: starts the desktop shell and nothing else.

// Release builds on Windows would otherwise open a console window beside the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Sync applies thousands of records made of small maps and strings; mimalloc serves those
/// faster than the system allocator (about 15% off a first sync and a push, see ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    porchlight_app::run();
}
