//! Files the app writes for the user (posters): names made safe from case numbers, and writes
//! that are atomic, so a poster on disk is always whole — a crash or a full disk leaves the old
//! file or none, never half a PDF. It reads no workspace data and chooses no folders.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file name for a poster of the case `case_number`: `<case number>.pdf`, with anything that
/// is not a letter, digit, `-` or `_` replaced by `-`, so no case number can reach another
/// folder or make a name the file system refuses.
pub fn poster_file_name(case_number: &str) -> String {
    let mut stem: String = case_number
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    stem = stem.trim_matches('-').to_string();
    if stem.is_empty() {
        stem = "poster".into();
    }
    stem.truncate(100);
    format!("{stem}.pdf")
}

/// `name` in `dir`, or `stem-2.pdf`, `stem-3.pdf`, … when an earlier file of the same run took
/// that name (`taken` holds the names used so far, and gets this one).
pub fn unique_name(taken: &mut std::collections::HashSet<String>, name: &str) -> String {
    if taken.insert(name.to_string()) {
        return name.to_string();
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let mut n = 2;
    loop {
        let candidate = if ext.is_empty() {
            format!("{stem}-{n}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

/// Makes sure `path` ends in `.pdf` (a save dialog may hand back a name without it).
pub fn with_pdf_extension(path: PathBuf) -> PathBuf {
    let is_pdf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if is_pdf {
        path
    } else {
        let mut name = path.into_os_string();
        name.push(".pdf");
        PathBuf::from(name)
    }
}

/// Writes `bytes` to `path` atomically: into a temporary file beside it, flushed to disk, then
/// renamed over `path` and the folder flushed. An existing file is replaced whole.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names a folder, not a file", path.display()),
        )
    })?;
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(
        ".{}-{}.part",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = dir.join(temp_name);
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        // The rename is durable only once the folder itself is flushed.
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn poster_file_names_are_safe_and_named_after_the_case() {
        let cases = [
            ("PL-2026-000123", "PL-2026-000123.pdf"),
            ("  PL-7  ", "PL-7.pdf"),
            ("../../etc/passwd", "etc-passwd.pdf"),
            ("A/B\\C:D", "A-B-C-D.pdf"),
            ("Año 2026", "A-o-2026.pdf"),
            ("", "poster.pdf"),
            ("///", "poster.pdf"),
        ];
        for (number, expected) in cases {
            assert_eq!(poster_file_name(number), expected, "case number {number:?}");
        }
        assert!(poster_file_name(&"9".repeat(400)).len() <= 104);
    }

    #[test]
    fn names_taken_earlier_in_a_run_get_a_number() {
        let mut taken = HashSet::new();
        assert_eq!(unique_name(&mut taken, "PL-1.pdf"), "PL-1.pdf");
        assert_eq!(unique_name(&mut taken, "PL-1.pdf"), "PL-1-2.pdf");
        assert_eq!(unique_name(&mut taken, "PL-1.pdf"), "PL-1-3.pdf");
        assert_eq!(unique_name(&mut taken, "PL-2.pdf"), "PL-2.pdf");
    }

    #[test]
    fn a_save_without_an_extension_gets_pdf() {
        assert_eq!(
            with_pdf_extension("/tmp/poster".into()),
            PathBuf::from("/tmp/poster.pdf")
        );
        assert_eq!(
            with_pdf_extension("/tmp/poster.PDF".into()),
            PathBuf::from("/tmp/poster.PDF")
        );
        assert_eq!(
            with_pdf_extension("/tmp/poster.v2".into()),
            PathBuf::from("/tmp/poster.v2.pdf")
        );
    }

    #[test]
    fn an_atomic_write_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("PL-1.pdf");
        write_atomically(&path, b"%PDF-first").unwrap();
        write_atomically(&path, b"%PDF-second, longer").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"%PDF-second, longer");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("PL-1.pdf")]);
    }

    #[test]
    fn a_write_into_a_missing_folder_fails_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/PL-1.pdf");
        assert!(write_atomically(&path, b"%PDF").is_err());
        assert!(!path.exists());
    }
}
