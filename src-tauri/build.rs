//! Build step of the shell: embeds the config, the capability file and the per-command
//! permissions. Listing the commands here makes Tauri generate `allow-<command>` permissions, and
//! once an app manifest exists, a command not granted in `capabilities/` is refused at runtime.

include!("src/command_names.rs");

fn main() {
    // The window's pages are embedded from the UI's production build; without it the build
    // would fail deep inside a macro, so say plainly what to run.
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=src/command_names.rs");
    if !std::path::Path::new("../ui/dist/index.html").is_file() {
        panic!("ui/dist/index.html is missing: build the UI first with `npm --prefix ui run build` (scripts/start.sh and scripts/test.sh do).");
    }
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
