//! The `porchlight` binary: hands the command line to the library and exits with its code.

/// Sync applies thousands of records made of small maps and strings; mimalloc serves those
/// faster than the system allocator (about 15% off a first sync and a push, see ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    porchlight_cli::run(std::env::args_os())
}
