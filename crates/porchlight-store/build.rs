//! Embeds the SQL migrations: every `migrations/NNNN_name.sql` file becomes one entry of the
//! list the workspace applies in order, so a build can never ship without its migrations.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    // Read when the script runs, not when it is compiled: Cargo may reuse one compiled script
    // for another checkout of this crate (a git worktree), which must embed its own migrations.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("migrations");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("the migrations folder is readable")
        .map(|entry| entry.expect("a migrations entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    files.sort();
    let mut out = String::from("/// The embedded migrations, oldest first: (version, file name, SQL).\npub(crate) const MIGRATIONS: &[(u32, &str, &str)] = &[\n");
    for (index, name) in files.iter().enumerate() {
        let expected = index as u32 + 1;
        // A gap or a duplicate number would make two builds disagree on what version N means.
        let number: u32 = name
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("migration {name} must start with its number, e.g. 0001_cases.sql"));
        assert_eq!(number, expected, "migration {name} should be number {expected:04}: numbers run 1, 2, 3 with no gap");
        let path = dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(out, "    ({number}, {name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
