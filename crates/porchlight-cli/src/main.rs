//! The `porchlight` binary: hands the command line to the library and exits with its code.

fn main() -> std::process::ExitCode {
    porchlight_cli::run(std::env::args_os())
}
