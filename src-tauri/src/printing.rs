//! Printing a poster PDF through the system: CUPS `lp` to the default printer when `lp` is
//! installed and a printer is set up, otherwise the PDF opens in the default viewer
//! (`xdg-open`), from which the person prints. Programs are run directly, never through a
//! shell, so no file name can become a command. It does not make or record the poster.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a poster reached paper, or the viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printed {
    /// `lp` accepted the job; the text is what it said (e.g. "request id is Office-12").
    Printer { job: String },
    /// The PDF was opened in the default viewer; `why` says why it was not printed directly.
    Viewer { why: String },
}

impl Printed {
    /// What the app tells the person.
    pub fn sentence(&self) -> String {
        match self {
            Printed::Printer { job } if job.is_empty() => "Sent to the default printer.".into(),
            Printed::Printer { job } => format!("Sent to the default printer ({job})."),
            Printed::Viewer { why } => {
                format!("Opened the poster in the PDF viewer to print from there: {why}.")
            }
        }
    }

    /// Where the poster went, for the record of posters produced.
    pub fn destination(&self) -> String {
        match self {
            Printed::Printer { job } if job.is_empty() => "default printer".into(),
            Printed::Printer { job } => format!("default printer: {job}"),
            Printed::Viewer { .. } => "PDF viewer".into(),
        }
    }
}

/// Why a poster could not be printed nor opened.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PrintError(pub String);

/// The first executable file called `program` in the folders of `path_var` (a `PATH` value).
pub fn find_program(program: &str, path_var: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path_var)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|p| p.metadata().is_ok_and(|m| m.is_file() && executable(&m)))
}

#[cfg(unix)]
fn executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_: &std::fs::Metadata) -> bool {
    true
}

/// Prints `pdf` with the programs found on `path_var`: `lp` first; when it is missing or
/// refuses (no printer set up), the viewer through `xdg-open`.
pub fn print_pdf(pdf: &Path, title: &str, path_var: &OsStr) -> Result<Printed, PrintError> {
    let why = match find_program("lp", path_var) {
        Some(lp) => match run_lp(&lp, pdf, title) {
            Ok(job) => return Ok(Printed::Printer { job }),
            Err(refusal) => {
                log::warn!("lp refused the poster: {refusal}");
                format!("the printer system said \"{refusal}\"")
            }
        },
        None => "no printer system (CUPS lp) is installed".to_string(),
    };
    let opener = find_program("xdg-open", path_var).ok_or_else(|| {
        PrintError(format!(
            "Could not print: {why}, and no PDF viewer could be found (xdg-open is missing). The poster was saved at {}.",
            pdf.display()
        ))
    })?;
    open_in_viewer(&opener, pdf).map_err(|e| {
        PrintError(format!(
            "Could not print: {why}, and the PDF viewer did not open ({e}). The poster was saved at {}.",
            pdf.display()
        ))
    })?;
    Ok(Printed::Viewer { why })
}

/// Runs `lp -t <title> -- <pdf>` and returns its first line (the job id), or why it refused.
fn run_lp(lp: &Path, pdf: &Path, title: &str) -> Result<String, String> {
    let output = Command::new(lp)
        .arg("-t")
        .arg(title)
        .arg("--")
        .arg(pdf)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("lp could not be started: {e}"))?;
    let first_line = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_string()
    };
    if output.status.success() {
        Ok(first_line(&output.stdout))
    } else {
        let said = first_line(&output.stderr);
        Err(if said.is_empty() {
            format!("lp failed ({})", output.status)
        } else {
            said
        })
    }
}

/// Starts the viewer and waits a few seconds for `xdg-open` to hand over. An opener still
/// running then is showing the file itself, which counts as opened; it is reaped later.
fn open_in_viewer(opener: &Path, pdf: &Path) -> Result<(), String> {
    let mut child = Command::new(opener)
        .arg(pdf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{} could not be started: {e}", opener.display()))?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("it exited with {status}")),
            Ok(None) if Instant::now() > deadline => {
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// The `PATH` the app runs with.
pub fn system_path() -> OsString {
    std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"))
}

#[cfg(all(test, unix))]
mod tests {
    //! Real processes, stand-in programs: `lp` and `xdg-open` here are small scripts in a
    //! temporary folder that record how they were called.
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &Path, name: &str, body: &str) {
        let path = dir.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn poster(dir: &Path) -> PathBuf {
        let pdf = dir.join("PL 2026 7.pdf");
        fs::write(&pdf, b"%PDF-1.7").unwrap();
        pdf
    }

    #[test]
    fn lp_prints_to_the_default_printer_when_it_is_installed() {
        let bin = tempfile::tempdir().unwrap();
        let log = bin.path().join("calls");
        script(
            bin.path(),
            "lp",
            &format!(
                "printf '%s\\n' \"$@\" > '{}'; echo 'request id is Office-12 (1 file(s))'",
                log.display()
            ),
        );
        script(bin.path(), "xdg-open", "exit 9");
        let pdf = poster(bin.path());
        let printed = print_pdf(&pdf, "Missing: PL-7", bin.path().as_os_str()).unwrap();
        assert_eq!(
            printed,
            Printed::Printer {
                job: "request id is Office-12 (1 file(s))".into()
            }
        );
        let args = fs::read_to_string(&log).unwrap();
        assert_eq!(
            args.lines().collect::<Vec<_>>(),
            vec!["-t", "Missing: PL-7", "--", pdf.to_str().unwrap()]
        );
        assert!(printed
            .sentence()
            .starts_with("Sent to the default printer"));
    }

    #[test]
    fn without_lp_the_pdf_opens_in_the_viewer() {
        let bin = tempfile::tempdir().unwrap();
        let log = bin.path().join("opened");
        script(
            bin.path(),
            "xdg-open",
            &format!("printf '%s' \"$1\" > '{}'", log.display()),
        );
        let pdf = poster(bin.path());
        let printed = print_pdf(&pdf, "t", bin.path().as_os_str()).unwrap();
        assert!(matches!(&printed, Printed::Viewer { why } if why.contains("no printer system")));
        assert_eq!(fs::read_to_string(&log).unwrap(), pdf.to_str().unwrap());
        assert_eq!(printed.destination(), "PDF viewer");
    }

    #[test]
    fn lp_without_a_printer_falls_back_to_the_viewer_and_says_why() {
        let bin = tempfile::tempdir().unwrap();
        script(
            bin.path(),
            "lp",
            "echo 'lp: Error - No default destination.' >&2; exit 1",
        );
        script(bin.path(), "xdg-open", "exit 0");
        let printed = print_pdf(&poster(bin.path()), "t", bin.path().as_os_str()).unwrap();
        match printed {
            Printed::Viewer { why } => assert!(why.contains("No default destination"), "{why}"),
            other => panic!("expected the viewer, got {other:?}"),
        }
    }

    #[test]
    fn with_neither_the_person_is_told_where_the_file_is() {
        let bin = tempfile::tempdir().unwrap();
        let pdf = poster(bin.path());
        let err = print_pdf(&pdf, "t", bin.path().as_os_str()).unwrap_err();
        assert!(err.0.contains("xdg-open is missing"), "{}", err.0);
        assert!(err.0.contains(pdf.to_str().unwrap()), "{}", err.0);

        script(bin.path(), "xdg-open", "exit 4");
        let err = print_pdf(&pdf, "t", bin.path().as_os_str()).unwrap_err();
        assert!(err.0.contains("did not open"), "{}", err.0);
    }

    #[test]
    fn only_executable_files_in_absolute_folders_count_as_programs() {
        let bin = tempfile::tempdir().unwrap();
        fs::write(bin.path().join("lp"), "not executable").unwrap();
        assert_eq!(find_program("lp", bin.path().as_os_str()), None);
        script(bin.path(), "lp", "exit 0");
        assert_eq!(
            find_program("lp", bin.path().as_os_str()),
            Some(bin.path().join("lp"))
        );
        assert_eq!(find_program("lp", OsStr::new("relative/bin")), None);
    }
}
