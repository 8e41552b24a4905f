//! Issue 2, from the user's side: the binary run on whole discs written by the fixture builder, judged by its exit
//! code, its human summary and its `--json` report; and the media is never modified.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::process::Command;
use std::time::SystemTime;

use common::{Run, check, check_json, disc, findings, problems, run, worst};
use dicomcheck_fixture::{
    DiscSpec, PatientSpec, SeriesSpec, StudySpec, sample_disc, truncate_file, write_zero_byte,
};
use serde_json::Value;

/// A complete two-study disc of SMITH^JOHN.
fn good_disc() -> DiscSpec {
    sample_disc()
}

/// A one-study disc of SMITH^JOHN with these series.
fn one_study(series: Vec<SeriesSpec>) -> DiscSpec {
    let mut study = StudySpec::new("CT CHEST");
    study.series = series;
    DiscSpec::new(PatientSpec::new("SMITH^JOHN")).study(study)
}

fn assert_fail(out: &Run) {
    assert_eq!(
        out.code, 1,
        "expected exit 1:\n{}{}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.contains("RESULT: FAIL"), "{}", out.stdout);
    assert!(!out.stdout.contains("RESULT: PASS"), "{}", out.stdout);
}

fn assert_pass(out: &Run) {
    assert_eq!(
        out.code, 0,
        "expected exit 0:\n{}{}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.contains("RESULT: PASS"), "{}", out.stdout);
}

#[test]
fn a_good_multi_study_disc_passes() {
    let (dir, written) = disc(&good_disc());
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_pass(&out);
    assert!(out.stdout.contains("SMITH^JOHN"), "{}", out.stdout);
    assert!(out.stdout.contains("Study 2026-11-20"), "{}", out.stdout);
    assert!(out.stdout.contains("Study 2026-11-18"), "{}", out.stdout);
    assert!(out.stdout.contains("CHEST 2.5MM"), "{}", out.stdout);
    assert!(!out.stdout.contains("FAIL"), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0);
    assert_eq!(report["verdict"], "pass", "{}", problems(&report));
    assert_eq!(problems(&report), "");
    let studies = report["studies"].as_array().unwrap();
    assert_eq!(studies.len(), 2);
    let series: Vec<&Value> = studies
        .iter()
        .flat_map(|s| s["series"].as_array().unwrap())
        .collect();
    assert_eq!(series.len(), written.series.len());
    let images: u64 = series.iter().map(|s| s["frames"].as_u64().unwrap()).sum();
    let files: usize = written.series.iter().map(|s| s.instances.len()).sum();
    assert_eq!(images, files as u64);
    assert_eq!(report["counts"]["dicom_files"], files);
    assert_eq!(report["counts"]["files"], written.all_files().len());
    assert_eq!(report["patients"][0]["name_match"], "pass");
}

#[test]
fn a_blank_disc_with_only_a_viewer_fails_media() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("autorun.inf"),
        "[autorun]\r\nopen=viewer.exe\r\n",
    )
    .unwrap();
    let mut exe = b"MZ\x90\x00".to_vec();
    exe.resize(4096, 0x4E);
    fs::write(dir.path().join("viewer.exe"), exe).unwrap();

    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_fail(&out);
    assert!(out.stdout.contains("[media]"), "{}", out.stdout);
    assert!(out.stdout.contains("viewer program"), "{}", out.stdout);

    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 1);
    assert_eq!(
        worst(&report, "media"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    assert!(
        findings(&report, "media")[0]["message"]
            .as_str()
            .unwrap()
            .contains("viewer program")
    );
    assert_eq!(report["counts"]["dicom_files"], 0);
    assert_eq!(report["studies"].as_array().unwrap().len(), 0);
}

#[test]
fn zero_byte_and_truncated_files_fail_integrity_naming_each_path() {
    let (dir, written) = disc(&one_study(vec![SeriesSpec::ct(8)]));
    let files: Vec<&PathBuf> = written.series[0]
        .instances
        .iter()
        .map(|i| &i.path)
        .collect();
    let (zero, mid_header, mid_pixels) = (files[1], files[3], files[5]);
    write_zero_byte(&written.path(zero)).unwrap();
    // 128-byte preamble, "DICM", then the file meta group: 300 bytes ends inside the header.
    truncate_file(&written.path(mid_header), 300).unwrap();
    let full = fs::metadata(written.path(mid_pixels)).unwrap().len();
    // 64×64×2 bytes of pixel data end the file: cut half of them.
    truncate_file(&written.path(mid_pixels), full - 4096).unwrap();

    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_fail(&out);
    assert!(out.stdout.contains("[integrity]"), "{}", out.stdout);
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 1);
    assert_eq!(worst(&report, "integrity"), Some("fail"));
    let integrity = findings(&report, "integrity");
    let named: Vec<&str> = integrity
        .iter()
        .flat_map(|f| f["paths"].as_array().unwrap())
        .map(|p| p.as_str().unwrap())
        .collect();
    for damaged in [zero, mid_header, mid_pixels] {
        let shown = damaged.to_str().unwrap();
        assert!(
            out.stdout.contains(shown),
            "{shown} not named:\n{}",
            out.stdout
        );
        assert!(
            named.iter().any(|p| p.contains(shown)),
            "{shown} not in {named:?}"
        );
    }
    for intact in [files[0], files[2], files[4], files[6], files[7]] {
        let shown = intact.to_str().unwrap();
        assert!(
            !named.iter().any(|p| p.contains(shown)),
            "{shown} is intact but named: {named:?}"
        );
    }
    // The empty file and the two cut files are unreadable images, not readable ones or "other files".
    assert_eq!(report["counts"]["dicom_files"], 5, "{report}");
    assert_eq!(report["counts"]["unreadable_files"], 3, "{report}");
}

#[test]
fn a_second_patients_series_fails_patient() {
    let other = PatientSpec::new("BROWN^ALICE")
        .id("PAT9999")
        .birth_date(Some("19551231".to_owned()));
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(5)))
        .study(
            StudySpec::new("MR KNEE")
                .date("20261118")
                .series(SeriesSpec::mr(5))
                .patient(Some(other)),
        );
    let (dir, _) = disc(&spec);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_fail(&out);
    assert!(out.stdout.contains("[patient]"), "{}", out.stdout);
    assert!(out.stdout.contains("BROWN^ALICE"), "{}", out.stdout);

    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(
        worst(&report, "patient"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    let patients = report["patients"].as_array().unwrap();
    assert_eq!(patients.len(), 2, "{report}");
    let message = findings(&report, "patient")[0]["message"].as_str().unwrap();
    assert!(
        message.contains("BROWN^ALICE") && message.contains("MR KNEE"),
        "{message}"
    );
}

#[test]
fn a_missing_study_date_fails_date() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN")).study(
        StudySpec::new("CT CHEST")
            .no_date()
            .series(SeriesSpec::ct(4)),
    );
    let (dir, _) = disc(&spec);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_fail(&out);
    assert!(out.stdout.contains("[date]"), "{}", out.stdout);
    assert!(out.stdout.contains("(no date)"), "{}", out.stdout);
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(
        worst(&report, "date"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    assert_eq!(report["studies"][0]["date"], Value::Null);
}

#[test]
fn a_missing_patient_name_fails_name() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN").no_name())
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(4)));
    let (dir, _) = disc(&spec);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_fail(&out);
    assert!(out.stdout.contains("[name]"), "{}", out.stdout);
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(
        worst(&report, "name"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    // Without a passport name (an inventory, --no-name) the missing name still fails: nobody can tell whose
    // scans these are.
    let (code, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(code, 1);
    assert_eq!(
        worst(&report, "name"),
        Some("fail"),
        "{}",
        problems(&report)
    );
}

#[test]
fn a_nonexistent_path_exits_2_with_one_line_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-disc");
    for args in [&["--name", "SMITH^JOHN"][..], &["--json"][..]] {
        let out = check(&missing, args);
        assert_eq!(out.code, 2, "{out:?}");
        assert_eq!(out.stdout, "", "nothing on stdout");
        assert_eq!(out.stderr.trim_end().lines().count(), 1, "{:?}", out.stderr);
        assert!(out.stderr.contains("no-such-disc"), "{:?}", out.stderr);
    }
}

#[test]
fn bad_arguments_exit_2_and_print_nothing_on_stdout() {
    let (dir, _) = disc(&one_study(vec![SeriesSpec::ct(2)]));
    for args in [
        &["--dob", "02/04/1980"][..],
        &["--date", "tomorrow"][..],
        &["--no-such-option"][..],
    ] {
        let out = check(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

/// Asserts the documented fields of the `--json` contract (PRODUCT.md "Output contract") and their types.
fn assert_contract(report: &Value) {
    let is_opt_str = |v: &Value| v.is_null() || v.is_string();
    assert_eq!(report["tool"], "dicomcheck");
    assert!(report["version"].is_string());
    assert!(report["root"].is_string());
    assert!(matches!(report["verdict"].as_str(), Some("pass" | "fail")));
    assert!(is_opt_str(&report["expected_name"]));
    for field in [
        "files",
        "dicom_files",
        "non_dicom_files",
        "unreadable_files",
        "bytes",
    ] {
        assert!(report["counts"][field].is_u64(), "counts.{field}: {report}");
    }
    for patient in report["patients"].as_array().expect("patients") {
        assert!(patient["name"].is_string());
        assert!(matches!(
            patient["name_match"].as_str(),
            None | Some("pass" | "warn" | "fail")
        ));
        assert!(!patient["name_match"].is_string() || report["expected_name"].is_string());
        assert!(patient.get("name_match").is_some());
        assert!(is_opt_str(&patient["id"]) && patient.get("id").is_some());
        assert!(is_opt_str(&patient["birth_date"]) && patient.get("birth_date").is_some());
    }
    for study in report["studies"].as_array().expect("studies") {
        assert!(study["study_instance_uid"].is_string());
        assert!(study.get("date").is_some());
        if let Some(date) = study["date"].as_str() {
            let b = date.as_bytes();
            assert!(
                b.len() == 10 && b[4] == b'-' && b[7] == b'-',
                "date {date:?}"
            );
        } else {
            assert!(study["date"].is_null());
        }
        assert!(is_opt_str(&study["description"]) && study.get("description").is_some());
        assert!(study["patient_name"].is_string());
        for series in study["series"].as_array().expect("series") {
            assert!(series["series_instance_uid"].is_string());
            assert!(series["number"].is_null() || series["number"].is_i64());
            assert!(series.get("number").is_some());
            assert!(is_opt_str(&series["modality"]) && series.get("modality").is_some());
            assert!(is_opt_str(&series["description"]) && series.get("description").is_some());
            assert!(series["instances"].is_u64());
            assert!(series["frames"].is_u64());
            assert!(series["missing"].is_array());
        }
    }
    for finding in report["findings"].as_array().expect("findings") {
        assert!(matches!(
            finding["check"].as_str(),
            Some(
                "media"
                    | "integrity"
                    | "dicomdir"
                    | "name"
                    | "patient"
                    | "dob"
                    | "date"
                    | "slices"
                    | "report"
                    | "decode"
            )
        ));
        assert!(matches!(
            finding["severity"].as_str(),
            Some("fail" | "warn" | "info")
        ));
        assert!(!finding["message"].as_str().expect("message").is_empty());
        assert!(finding["paths"].is_array());
        assert!(is_opt_str(&finding["study"]) && finding.get("study").is_some());
        assert!(is_opt_str(&finding["series"]) && finding.get("series").is_some());
    }
    let fails = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] == "fail");
    assert_eq!(
        report["verdict"] == "fail",
        fails || report["strict"] == true
    );
}

#[test]
fn json_is_one_object_with_the_documented_fields() {
    let (dir, _) = disc(&good_disc());
    let out = check(dir.path(), &["--json", "--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 0);
    // serde_json rejects anything after the value but whitespace: nothing else is on stdout.
    let report: Value = serde_json::from_str(&out.stdout).expect("one JSON value");
    assert_contract(&report);
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["expected_name"], "SMITH^JOHN");
    assert_eq!(report["root"], dir.path().to_str().unwrap());
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    assert!(!out.stdout.contains("RESULT"));

    // A failing disc with every kind of finding keeps the same shape; no --name gives a null expected_name.
    let other = PatientSpec::new("BROWN^ALICE").id("PAT9999");
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .dicomdir(false)
        .study(
            StudySpec::new("CT CHEST")
                .no_date()
                .series(SeriesSpec::ct(6).omit_slices(&[2]).renumber(true)),
        )
        .study(StudySpec::new("MR").series(SeriesSpec::mr(3).patient(other)));
    let (dir, written) = disc(&spec);
    write_zero_byte(&written.path(&written.series[0].instances[0].path)).unwrap();
    let (code, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(code, 1);
    assert_contract(&report);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["expected_name"], Value::Null);
    for check in ["integrity", "patient", "date", "slices", "dicomdir"] {
        assert!(
            worst(&report, check).is_some(),
            "{check}: {}",
            problems(&report)
        );
    }
}

#[test]
fn strict_turns_a_warning_into_exit_1() {
    // No DICOMDIR is a warning, not a failure.
    let spec = one_study(vec![SeriesSpec::ct(4)]).dicomdir(false);
    let (dir, _) = disc(&spec);
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "{}", problems(&report));
    assert_eq!(worst(&report, "dicomdir"), Some("warn"));
    assert!(!problems(&report).contains("fail"));
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_pass(&out);
    assert!(out.stdout.contains("1 warning"), "{}", out.stdout);

    let out = check(dir.path(), &["--name", "SMITH^JOHN", "--strict"]);
    assert_fail(&out);
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN", "--strict"]);
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "fail");
}

#[test]
fn help_fits_one_screen_and_mentions_name() {
    for flag in ["--help", "-h"] {
        let out = run([flag]);
        assert_eq!(out.code, 0);
        let lines = out.stdout.lines().count();
        assert!(lines <= 40, "{flag}: {lines} lines:\n{}", out.stdout);
        assert!(out.stdout.contains("--name"), "{}", out.stdout);
        assert!(out.stdout.contains("--json"), "{}", out.stdout);
    }
}

/// A failing disc, so the summary would use red if colour were on.
fn failing_disc() -> (tempfile::TempDir, dicomcheck_fixture::WrittenDisc) {
    disc(
        &DiscSpec::new(PatientSpec::new("SMYTH^JOHN"))
            .study(StudySpec::new("CT").no_date().series(SeriesSpec::ct(3))),
    )
}

#[test]
fn output_that_is_not_a_terminal_has_no_ansi_escapes() {
    let (dir, _) = failing_disc();
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_fail(&out);
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
}

/// Runs the binary with stdout on a pseudo-terminal (util-linux `script`; macOS's BSD `script` takes other
/// arguments) and stderr, where the progress bar goes, discarded; `None` where `script` is not installed.
#[cfg(target_os = "linux")]
fn on_terminal(root: &Path, no_color: Option<&str>) -> Option<String> {
    let command = format!(
        "'{}' '{}' --name SMITH^JOHN 2>/dev/null",
        env!("CARGO_BIN_EXE_dicomcheck"),
        root.display()
    );
    let mut script = Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    script.env_remove("NO_COLOR");
    if let Some(value) = no_color {
        script.env("NO_COLOR", value);
    }
    let output = script.output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(target_os = "linux")]
#[test]
fn no_color_is_honoured_on_a_terminal() {
    let (dir, _) = failing_disc();
    let Some(coloured) = on_terminal(dir.path(), None) else {
        eprintln!("util-linux `script` is not installed: terminal colour not tested");
        return;
    };
    assert!(coloured.contains("RESULT: FAIL"), "{coloured}");
    assert!(
        coloured.contains("\x1b["),
        "a terminal gets colour: {coloured:?}"
    );
    let plain = on_terminal(dir.path(), Some("1")).unwrap();
    assert!(plain.contains("RESULT: FAIL"), "{plain}");
    assert!(!plain.contains('\x1b'), "NO_COLOR: {plain:?}");
}

#[test]
fn an_escape_sequence_in_the_patient_name_is_never_printed_raw() {
    let spec = DiscSpec::new(PatientSpec::new("x").raw_name(b"EVIL\x1b[2J^NAME\x1b]0;PASS\x07"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(3)));
    let (dir, _) = disc(&spec);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_fail(&out);
    assert!(out.stdout.contains("EVIL"), "{}", out.stdout);
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
    assert!(!out.stdout.contains('\x07'), "{:?}", out.stdout);
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
    // In JSON the name is escaped by the JSON encoder, never a raw control byte.
    let json = check(dir.path(), &["--json", "--name", "SMITH^JOHN"]);
    assert!(!json.stdout.contains('\x1b'), "{:?}", json.stdout);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        report["patients"][0]["name"]
            .as_str()
            .unwrap()
            .contains("EVIL")
    );
}

/// Everything observable about a tree: per entry (relative path), its kind, size, mtime and contents.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (bool, u64, SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let meta = fs::symlink_metadata(&dir).unwrap();
        out.insert(
            dir.strip_prefix(root).unwrap().to_path_buf(),
            (true, meta.len(), meta.modified().unwrap(), Vec::new()),
        );
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let contents = fs::read(&path).unwrap();
                out.insert(
                    path.strip_prefix(root).unwrap().to_path_buf(),
                    (false, meta.len(), meta.modified().unwrap(), contents),
                );
            }
        }
    }
    out
}

#[test]
fn checking_never_modifies_the_media() {
    let (dir, _) = disc(&good_disc());
    let before = snapshot(dir.path());
    assert!(before.len() > 50);
    assert_pass(&check(dir.path(), &["--name", "SMITH^JOHN"]));
    let (code, _) = check_json(dir.path(), &["--name", "SMITH^JOHN", "--strict"]);
    assert_eq!(code, 0);
    assert!(
        snapshot(dir.path()) == before,
        "a passing scan changed the tree"
    );

    let (dir, written) = disc(&one_study(vec![SeriesSpec::ct(6)]));
    truncate_file(&written.path(&written.series[0].instances[2].path), 400).unwrap();
    let before = snapshot(dir.path());
    assert_fail(&check(dir.path(), &["--name", "SMYTH^JOHN"]));
    let (code, _) = check_json(dir.path(), &["--no-name", "--dob", "1970-01-01"]);
    assert_eq!(code, 1);
    assert!(
        snapshot(dir.path()) == before,
        "a failing scan changed the tree"
    );
}

/// A link named with escape bytes is reported on stderr by `--copy-to` ("not copied"), terminal-safe.
#[cfg(unix)]
#[test]
fn copy_to_names_a_hostile_link_on_stderr_without_raw_escapes() {
    let (dir, _) = disc(&good_disc());
    std::os::unix::fs::symlink(
        "/etc/hostname",
        dir.path().join("LINK\x1b[2J\x1b]0;pwned\x07"),
    )
    .expect("symlink");
    let dest = tempfile::tempdir().expect("tempdir");
    let copy = dest.path().join("copy");
    let out = check(
        dir.path(),
        &["--name", "SMITH^JOHN", "--copy-to", copy.to_str().unwrap()],
    );
    assert!(out.stderr.contains("Not copied"), "{}", out.stderr);
    assert!(out.stderr.contains("LINK\u{FFFD}[2J"), "{}", out.stderr);
    assert!(
        !out.stderr.contains('\x1b') && !out.stderr.contains('\x07'),
        "{:?}",
        out.stderr
    );
}

/// Runs `dicomcheck --name SMITH^JOHN` without a path, with the mount table and `/sys/block` of the test.
#[cfg(target_os = "linux")]
fn run_without_path(mountinfo: &str, sys_block: &Path) -> Run {
    let table = tempfile::NamedTempFile::new().expect("mount table");
    fs::write(table.path(), mountinfo).expect("write mount table");
    let output = Command::new(env!("CARGO_BIN_EXE_dicomcheck"))
        .args(["--name", "SMITH^JOHN"])
        .env("DICOMCHECK_MOUNTINFO", table.path())
        .env("DICOMCHECK_SYS_BLOCK", sys_block)
        .output()
        .expect("run dicomcheck");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Issue 16: without a path, the one mounted CD or USB stick that holds DICOM is checked and named; none or several
/// are listed with exit 2. Driven through a fake mount table (`DICOMCHECK_MOUNTINFO`, `DICOMCHECK_SYS_BLOCK`).
#[cfg(target_os = "linux")]
#[test]
fn without_a_path_the_one_drive_with_dicom_is_found_in_the_mount_table() {
    let (cd, _) = disc(&good_disc());
    let (second_cd, _) = disc(&good_disc());
    let usb = tempfile::tempdir().expect("usb");
    fs::write(usb.path().join("holiday.jpg"), b"\xFF\xD8 not dicom").expect("write");
    let sys = tempfile::tempdir().expect("sys");
    for (disk, removable) in [("sda", "0"), ("sdb", "1")] {
        fs::create_dir(sys.path().join(disk)).expect("mkdir");
        fs::write(sys.path().join(disk).join("removable"), removable).expect("write");
    }
    let line = |id: u32, path: &Path, fs_type: &str, source: &str| {
        format!(
            "{id} 1 0:{id} / {} rw - {fs_type} {source} ro\n",
            path.display()
        )
    };
    let system = line(20, Path::new("/"), "ext4", "/dev/sda1");
    let with_usb = system.clone() + &line(21, usb.path(), "vfat", "/dev/sdb1");

    let one = with_usb.clone() + &line(22, cd.path(), "iso9660", "/dev/sr0");
    let out = run_without_path(&one, sys.path());
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "checking {} (the CD/DVD that holds DICOM)",
            cd.path().display()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("RESULT: PASS"), "{}", out.stdout);

    let none = run_without_path(&with_usb, sys.path());
    assert_eq!(none.code, 2, "{none:?}");
    assert_eq!(none.stdout, "");
    assert!(
        none.stderr
            .contains("no CD/DVD or USB stick here holds DICOM")
            && none.stderr.contains(&format!(
                "{} (removable drive, no DICOM)",
                usb.path().display()
            )),
        "{}",
        none.stderr
    );

    let several = one + &line(23, second_cd.path(), "udf", "/dev/sr1");
    let out = run_without_path(&several, sys.path());
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("several drives hold DICOM"),
        "{}",
        out.stderr
    );
    for path in [cd.path(), second_cd.path()] {
        assert!(
            out.stderr
                .contains(&format!("{} (CD/DVD, holds DICOM)", path.display())),
            "{}",
            out.stderr
        );
    }

    let nothing = run_without_path(&system, sys.path());
    assert_eq!(nothing.code, 2, "{nothing:?}");
    assert!(
        nothing.stderr.contains("no CD/DVD or USB stick is mounted"),
        "{}",
        nothing.stderr
    );
}

/// Issue 16: started by a double-click (forced with `DICOMCHECK_DOUBLE_CLICK=1`), dicomcheck asks for the passport
/// name until it is one, finds the disc, checks it, and waits for Enter before its window would close.
#[cfg(target_os = "linux")]
#[test]
fn a_double_click_asks_for_the_name_and_waits_for_enter() {
    use std::io::Write as _;
    use std::process::Stdio;
    let (cd, _) = disc(&good_disc());
    let table = tempfile::NamedTempFile::new().expect("mount table");
    fs::write(
        table.path(),
        format!(
            "22 1 11:0 / {} ro - iso9660 /dev/sr0 ro\n",
            cd.path().display()
        ),
    )
    .expect("write mount table");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dicomcheck"))
        .env("DICOMCHECK_DOUBLE_CLICK", "1")
        .env("DICOMCHECK_MOUNTINFO", table.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dicomcheck");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all("张三\nSMITH^JOHN\n\n".as_bytes())
        .expect("type");
    let output = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(
        stdout
            .matches("surname first (e.g. SMITH^JOHN), then Enter:")
            .count(),
        2,
        "{stdout}"
    );
    assert!(stderr.contains("has no Latin letters"), "{stderr}");
    assert!(
        stdout.contains("Passport name:    SMITH JOHN   → matches"),
        "{stdout}"
    );
    assert!(stdout.contains("RESULT: PASS"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("Press Enter to close this window."),
        "{stdout}"
    );
}
