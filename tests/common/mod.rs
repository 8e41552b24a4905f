//! Shared helpers of the end-to-end tests: write a fixture disc into a temporary directory, run the
//! `dicomcheck` binary on it as a separate process, and look into its `--json` report.

// Each test binary compiles this module on its own and uses a different subset of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use dicomcheck_fixture::{DiscSpec, WrittenDisc, write_disc};
use serde_json::Value;
use tempfile::TempDir;

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

/// Runs `dicomcheck` with these arguments, stdout and stderr captured (so neither is a terminal).
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_dicomcheck"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run dicomcheck");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `dicomcheck <root> <args…>`.
pub fn check(root: &Path, args: &[&str]) -> Run {
    run(std::iter::once(root.as_os_str()).chain(args.iter().map(|a| std::ffi::OsStr::new(*a))))
}

/// Runs `dicomcheck <root> --json <args…>` and parses stdout, which must be exactly one JSON object.
pub fn check_json(root: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = check(root, &all);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON value ({e}):\n{}\n{}",
            out.stdout, out.stderr
        )
    });
    assert!(report.is_object(), "{report}");
    (out.code, report)
}

/// Runs `dicomcheck <root> --json --name SMITH^JOHN` (the patient of the fixture discs) and parses the report.
pub fn check_json_smith(root: &Path) -> (i32, Value) {
    check_json(root, &["--name", "SMITH^JOHN"])
}

/// Writes `spec` into a fresh temporary directory (removed when the `TempDir` is dropped).
pub fn disc(spec: &DiscSpec) -> (TempDir, WrittenDisc) {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = write_disc(dir.path(), spec).expect("write disc");
    (dir, written)
}

/// The findings of one check in a JSON report.
pub fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The findings of one check at one severity in a JSON report.
pub fn findings_at<'a>(report: &'a Value, check: &str, severity: &str) -> Vec<&'a Value> {
    findings(report, check)
        .into_iter()
        .filter(|f| f["severity"] == severity)
        .collect()
}

/// Every path the findings of one check at one severity name, `/`-separated.
pub fn named_paths(report: &Value, check: &str, severity: &str) -> Vec<String> {
    findings_at(report, check, severity)
        .iter()
        .flat_map(|f| f["paths"].as_array().expect("paths").iter())
        .map(|p| p.as_str().expect("path").replace('\\', "/"))
        .collect()
}

/// Every series of every study in a JSON report.
pub fn all_series(report: &Value) -> impl Iterator<Item = &Value> {
    report["studies"]
        .as_array()
        .expect("studies")
        .iter()
        .flat_map(|s| s["series"].as_array().expect("series").iter())
}

/// The most severe finding's severity for one check (`fail` > `warn` > `info`), or `None` without findings.
pub fn worst(report: &Value, check: &str) -> Option<&'static str> {
    ["fail", "warn", "info"]
        .into_iter()
        .find(|s| findings(report, check).iter().any(|f| f["severity"] == *s))
}

/// The messages of every finding at `fail` or `warn`, one per line, for assertion messages.
pub fn problems(report: &Value) -> String {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| format!("{} {}: {}", f["severity"], f["check"], f["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The committed sample disc, `fixtures/sample-disc`.
pub fn sample_disc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-disc")
}

/// Every file under `root`, relative, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Copies the directory tree `from` into `to`, skipping top-level entries for which `skip` is true.
pub fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&str) -> bool) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip(&name) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target, &|_| false);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Where pydicom (or pydicom-data) keeps the test file `name`, found by pydicom itself.
pub fn pydicom_testdata(name: &str) -> PathBuf {
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys; from pydicom.data import get_testdata_file as g; print(g(sys.argv[1]))",
            name,
        ])
        .output()
        .expect("python3 with pydicom and pydicom-data (scripts/test.sh installs them)");
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert!(
        path.is_file(),
        "{name} not found: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    path
}

/// Runs headless Chromium on `args` with a fresh profile and the flags a closed network needs (no background
/// connections), failing the test when it fails.
pub fn chromium(args: &[&str]) {
    let profile = tempfile::tempdir().unwrap();
    let status = Command::new("timeout")
        .arg("180")
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium is installed (scripts/test.sh installs it)");
    assert!(
        status.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}
