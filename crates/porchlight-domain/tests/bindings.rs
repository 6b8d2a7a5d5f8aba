//! Writes the TypeScript twins of the wire types and the code lists into `ui/src/lib`, so that
//! `cargo test` keeps them current and CI can fail when the committed copies are stale.

use porchlight_domain::*;
use std::path::PathBuf;
use ts_rs::TS;

fn ui_lib() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib")
}

#[test]
fn export_typescript_bindings() {
    let cfg = ts_rs::Config::from_env();
    CaseRecord::export_all(&cfg).unwrap();
    CasePage::export_all(&cfg).unwrap();
    ListQuery::export_all(&cfg).unwrap();
    AppError::export_all(&cfg).unwrap();
    WorkspaceStatus::export_all(&cfg).unwrap();
    let dir = ui_lib().join("bindings");
    for name in ["CaseRecord", "CaseFields", "CasePage", "CaseSummary", "ListQuery", "AppError", "ErrorCode", "HairColor"] {
        assert!(dir.join(format!("{name}.ts")).exists(), "{name}.ts was not written");
    }
}

#[test]
fn export_code_lists() {
    let path = ui_lib().join("codes.ts");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let module = porchlight_domain::codes::typescript_module();
    std::fs::write(&path, &module).unwrap();
    assert!(module.contains("{ code: \"BRO\", label: \"Brown\" }"));
}
