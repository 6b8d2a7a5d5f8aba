//! The `sync-bench` program: reads the command line and runs the benchmark of
//! `porchlight_sync_bench` (see its documentation for the command and the flow). It holds no
//! logic of its own.

/// The allocator of the app, the CLI and the service, so that both ends are measured as shipped.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(porchlight_sync_bench::main(&args));
}
