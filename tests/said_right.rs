//! Issue 15, from the user's side: what is printed sends the right person to fix the right thing. The laptop's
//! problems stop the check with one line and no staff note; a download cut short is one finding; warnings on a
//! PASS are optional; the staff note opens with what staff need and is safe to act on; the summary fits an
//! 80-column terminal and ends with the verdict; two people on one disc are said so; the radiologist's report is
//! looked for; the HTML page carries what the home doctor needs; batch, copy and verify say what to do.
//!
//! The report objects (SR, encapsulated PDF, CT with institution and accession) are written by pydicom (PyPI,
//! MIT licence) through `tests/support/report_objects.py`; ISO images by genisoimage (Debian), zips by Python's
//! zipfile; the page is printed by Chromium and measured by pdfinfo (poppler-utils), as in `people.rs`.
// Unix only: the laptop-side cases use permissions, FIFOs, setpriv and a pseudo-terminal.
#![cfg(unix)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, check, check_json, disc, findings, run, sample_disc_dir};
use dicomcheck_fixture::{DiscSpec, PatientSpec, SeriesSpec, StudySpec, sample_disc};
use serde_json::Value;
use tempfile::TempDir;
use unicode_width::UnicodeWidthStr;

const ZH_HEADING: &str = "Note for the counter staff, in Chinese (show them this):";

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The lines of the Chinese note (greeting, context, requests) in a summary, wrapped lines joined.
fn note_lines(stdout: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in stdout
        .lines()
        .skip_while(|l| *l != ZH_HEADING)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
    {
        match lines.last_mut() {
            Some(last) if line.starts_with("    ") => {
                let wide = |c: Option<char>| c.is_some_and(|c| !c.is_ascii());
                if !wide(last.chars().last()) && !wide(line.trim().chars().next()) {
                    last.push(' ');
                }
                last.push_str(line.trim());
            }
            _ => lines.push(line.trim().to_string()),
        }
    }
    lines
}

/// The summary's line that starts with `start`, its wrapped continuation lines (indented) joined again.
fn unwrapped_line(stdout: &str, start: &str) -> String {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with(start));
    let mut out = lines.next().unwrap_or_default().to_string();
    for more in lines.take_while(|l| l.starts_with(' ') && !l.trim().is_empty()) {
        let more = more.trim_start();
        let wide = |c: Option<char>| c.is_some_and(|c| !c.is_ascii());
        // The wrapper breaks at a space, or between two Chinese characters.
        if !(wide(out.chars().last()) && wide(more.chars().next())) {
            out.push(' ');
        }
        out.push_str(more);
    }
    out
}

/// A copy of the sample disc in a temporary folder.
fn sample_copy() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&sample_disc_dir(), dir.path(), &|_| false);
    dir
}

/// Runs the binary as an unprivileged user when the tests run as root (root reads every folder), so that a
/// folder without read permission (mode 000: not even its owner may read it) is refused as it is on a patient's
/// laptop.
fn run_unprivileged(args: &[&str]) -> Run {
    // SAFETY: getuid has no preconditions and cannot fail.
    let root = unsafe { libc::getuid() } == 0;
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_dicomcheck"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_dicomcheck"))
    };
    let output = command.args(args).output().expect("run dicomcheck");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// Whose fault it is

#[test]
fn a_disc_the_laptop_may_not_read_exits_2_with_one_line_and_no_staff_note() {
    let outer = tempfile::tempdir().unwrap();
    chmod(outer.path(), 0o755);
    let disc = outer.path().join("cdrom");
    common::copy_tree(&sample_disc_dir(), &disc, &|_| false);
    chmod(&disc, 0o000);
    let out = run_unprivileged(&[s(&disc), "--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.is_empty(),
        "no report, no staff note: {}",
        out.stdout
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("did not allow access to"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("then run again"), "{}", out.stderr);

    // A folder inside the disc refused: the same, naming it.
    chmod(&disc, 0o755);
    for dir in ["DICOM", "DICOM/ST000001", "DICOM/ST000002"] {
        chmod(&disc.join(dir), 0o755);
    }
    let refused = disc.join("DICOM/ST000002");
    chmod(&refused, 0o000);
    let out = run_unprivileged(&[s(&disc), "--name", "SMITH^JOHN", "--json"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains(s(&refused)), "{}", out.stderr);
    chmod(&refused, 0o755);

    // A file the laptop may not read: the same.
    let file = disc.join("DICOM/ST000001/SE000001/IM000003");
    chmod(&file, 0o000);
    let out = run_unprivileged(&[s(&disc), "--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(s(&file)), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn an_empty_folder_that_is_not_mounted_says_no_disc_is_mounted() {
    let dir = tempfile::tempdir().unwrap();
    let cdrom = dir.path().join("cdrom");
    fs::create_dir(&cdrom).unwrap();
    let out = check(&cdrom, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(
        out.stderr.trim(),
        format!(
            "dicomcheck: no disc is mounted at {}: the folder is empty. Put the disc in (or plug the USB stick \
             in) and wait until it opens in the file manager, then run again with the folder it opened in",
            s(&cdrom)
        )
    );
}

#[test]
fn a_path_of_another_kind_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = check(&fifo, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("is not a folder, disc or file"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());

    // A document given instead of the disc: the user's to fix, not the hospital's (no staff note). A file named
    // like a scan image stays the disc's problem.
    let text = dir.path().join("discharge letter.pdf");
    fs::write(&text, b"%PDF-1.4\n%%EOF\n").unwrap();
    let out = check(&text, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("is not a disc: it is a file, but not a DICOM image")
            && out.stderr.trim_end().lines().count() == 1,
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let named = dir.path().join("IM000001.dcm");
    fs::write(&named, b"not dicom").unwrap();
    let out = check(&named, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
}

/// Zips the sample disc with Python's zipfile into `zip`.
fn zip_sample(zip: &Path) {
    let status = Command::new("python3")
        .args([
            "-c",
            "import os, sys, zipfile\n\
             src, dst = sys.argv[1], sys.argv[2]\n\
             with zipfile.ZipFile(dst, 'w') as z:\n\
             \x20   for d, _, fs in sorted(os.walk(src)):\n\
             \x20       for f in sorted(fs):\n\
             \x20           p = os.path.join(d, f)\n\
             \x20           z.write(p, os.path.relpath(p, src))\n",
            s(&sample_disc_dir()),
            s(zip),
        ])
        .status()
        .expect("python3");
    assert!(status.success());
}

fn cut(path: &Path, keep: u64) {
    let file = fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(keep).unwrap();
}

/// A download cut short: exactly one finding, to download again, no request to the hospital, no staff note.
fn assert_one_download_finding(archive: &Path) {
    let out = check(archive, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("The download is incomplete"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Download it again"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("Note for the counter staff"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.to_lowercase().contains("burn"),
        "{}",
        out.stdout
    );
    let (code, report) = check_json(archive, &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 1);
    let all = report["findings"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["check"], "integrity");
    assert_eq!(all[0]["severity"], "fail");
    assert_eq!(all[0]["ask_zh"], "");
    assert_eq!(report["medium"], "download");
}

#[test]
fn a_zip_cut_short_is_one_finding_without_a_staff_note() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("scans.zip");
    zip_sample(&zip);
    let whole = check(&zip, &["--name", "SMITH^JOHN"]);
    assert_eq!(whole.code, 0, "the whole zip passes: {}", whole.stdout);
    let size = fs::metadata(&zip).unwrap().len();
    cut(&zip, size * 2 / 3);
    assert_one_download_finding(&zip);
    // Its central directory is gone: nothing to count, and the counts line says so plainly.
    let out = check(&zip, &["--name", "SMITH^JOHN", "--quick"]);
    assert!(
        out.stdout
            .contains("Nothing could be read from the download")
            && !out.stdout.contains("special entr"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_iso_cut_short_is_one_finding_without_a_staff_note() {
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("scans.iso");
    let status = Command::new("genisoimage")
        .args(["-quiet", "-R", "-o", s(&iso), s(&sample_disc_dir())])
        .status()
        .expect("genisoimage (scripts/test.sh installs it)");
    assert!(status.success());
    // The directory records lie after the volume descriptors: an image cut there has lost its folders.
    cut(&iso, 40_000);
    assert_one_download_finding(&iso);
}

// ---------------------------------------------------------------------------------------------------------------
// Warnings on a PASS; missing lists only for gaps

#[test]
fn warnings_on_a_pass_are_optional_and_the_note_asks_only_favours() {
    let dir = sample_copy();
    let out = check(dir.path(), &["--name", "JOHN^SMITH"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("RESULT: PASS (1 warning, no action needed)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("→ Optional, no action needed: Ask"),
        "{}",
        out.stdout
    );
    let note = note_lines(&out.stdout);
    assert!(
        note[0].contains("检查通过") && note[0].contains("如方便"),
        "{note:?}"
    );
    let requests: Vec<&String> = note.iter().filter(|l| l.starts_with("1. ")).collect();
    assert_eq!(requests.len(), 1, "{note:?}");
    assert!(requests[0].contains("（如方便）"), "{note:?}");
}

#[test]
fn odd_numbering_without_a_gap_shows_no_red_missing_list() {
    let numbering = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(12).number_gaps(&[5])));
    let (dir, _) = disc(&numbering);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains("missing:"), "{}", out.stdout);
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    let series = &report["studies"][0]["series"][0];
    assert_eq!(series["missing"], serde_json::json!(["#5"]));
    assert_eq!(series["missing_confirmed"], false);
    assert_eq!(
        series["missing_slices"],
        serde_json::json!([{"instance_number": 5}])
    );

    let gap = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(12).omit_slices(&[5])));
    let (dir, _) = disc(&gap);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("missing: 1 slice"), "{}", out.stdout);
    let verbose = check(dir.path(), &["--name", "SMITH^JOHN", "-v"]);
    assert!(verbose.stdout.contains("missing: z="), "{}", verbose.stdout);
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    let series = &report["studies"][0]["series"][0];
    assert_eq!(series["missing_confirmed"], true);
    let missing = &series["missing_slices"][0];
    assert_eq!(missing["axis"], "z");
    assert!(missing["position_mm"].is_f64(), "{missing}");
}

// ---------------------------------------------------------------------------------------------------------------
// The counter note

/// A disc of SMITH^JOHN with a study of LI^SI (another patient ID).
fn two_people() -> DiscSpec {
    let mut spec = sample_disc();
    spec.studies.push(
        StudySpec::new("CT ABDOMEN")
            .date("20261119")
            .series(SeriesSpec::ct(6).patient(PatientSpec::new("LI^SI").id("P-LISI"))),
    );
    spec
}

#[test]
fn the_note_opens_with_patient_id_exams_and_medium_and_is_safe_to_act_on() {
    let (dir, _) = disc(&two_people());
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let note = note_lines(&out.stdout);
    assert!(
        note[0].starts_with("您好！这份影像资料"),
        "a folder: {note:?}"
    );
    assert!(
        note[1].contains("SMITH JOHN（患者ID：H2026-0042）")
            && note[1].contains("LI SI（患者ID：P-LISI）"),
        "{note:?}"
    );
    assert_eq!(
        note[2],
        "检查：2026-11-18 MR（检查号 ACC00002）；2026-11-19 CT（检查号 ACC00003）；2026-11-20 CT（检查号 ACC00001）",
        "{note:?}"
    );
    let requests: Vec<&String> = note.iter().skip(3).collect();
    assert!(!requests.is_empty());
    for (i, line) in requests.iter().enumerate() {
        assert!(
            line.starts_with(&format!("{}. ", i + 1)),
            "numbered: {line}"
        );
    }
    let text = note.join("\n");
    assert!(!text.contains('^'), "{text}");
    assert!(!text.contains("删除"), "{text}");
    assert!(
        text.contains("请收回这张光盘，重新刻录一张只含本人检查的光盘"),
        "{text}"
    );
}

#[test]
fn two_people_are_said_in_the_headline_and_each_study_is_tagged() {
    let (dir, _) = disc(&two_people());
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert!(
        out.stdout
            .contains("→ matches SMITH^JOHN; the disc ALSO holds LI^SI's scans"),
        "{}",
        out.stdout
    );
    let study_lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("Study "))
        .collect();
    assert_eq!(study_lines.len(), 3);
    assert!(
        study_lines.iter().any(|l| l.ends_with("patient LI^SI")),
        "{study_lines:?}"
    );
    assert_eq!(
        study_lines
            .iter()
            .filter(|l| l.ends_with("patient SMITH^JOHN"))
            .count(),
        2
    );
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    let ids: Vec<&str> = report["studies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["patient_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["H2026-0042", "P-LISI", "H2026-0042"]);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading on a terminal

/// Every line fits `columns` unless it is one unbreakable word; the last line is the verdict.
fn assert_fits(stdout: &str, columns: usize) {
    for line in stdout.lines() {
        let longest_word = line
            .split(' ')
            .map(UnicodeWidthStr::width)
            .max()
            .unwrap_or(0);
        assert!(
            line.width() <= columns || longest_word > columns - 8,
            "{} columns: {line:?}",
            line.width()
        );
        for punctuation in ['，', '。', '）', '、'] {
            assert!(!line.trim_start().starts_with(punctuation), "{line:?}");
        }
    }
    let verdict = stdout
        .lines()
        .find(|l| l.starts_with("RESULT: "))
        .expect("verdict");
    assert_eq!(stdout.lines().last(), Some(verdict), "{stdout}");
}

#[test]
fn the_summary_fits_80_columns_with_the_verdict_last() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN")).study(
        StudySpec::new("CT CHEST WITH CONTRAST AND A VERY LONG DESCRIPTION").series(
            SeriesSpec::ct(30)
                .description("CHEST 2.5MM")
                .omit_slices(&[5, 12, 20]),
        ),
    );
    let (dir, _) = disc(&spec);
    let out = check(dir.path(), &["--name", "SMITH^JON", "--width", "80"]);
    assert_eq!(out.code, 1);
    assert_fits(&out.stdout, 80);
    assert!(note_lines(&out.stdout).len() >= 4, "{}", out.stdout);
    let wide = check(dir.path(), &["--name", "SMITH^JON"]);
    assert!(
        wide.stdout.lines().any(|l| l.width() > 80),
        "88 columns by default: {}",
        wide.stdout
    );
    assert_fits(&wide.stdout, 88);
    // The words are the same, only the line breaks differ.
    // The words without the times the scan and the images phase took, which differ between runs.
    let words = |t: &str| {
        let all: Vec<&str> = t.split_whitespace().collect();
        all.iter()
            .enumerate()
            .filter(|(i, _)| !matches!(all.get(i + 1), Some(&"s:" | &"s.")))
            .map(|(_, w)| *w)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(words(&out.stdout), words(&wide.stdout));
}

/// util-linux `script` gives the binary a terminal (macOS's BSD `script` takes other arguments).
#[cfg(target_os = "linux")]
#[test]
fn on_an_80_column_terminal_the_summary_wraps_by_itself_and_the_listing_shows() {
    let dir = sample_copy();
    let command = format!(
        "stty cols 80 rows 24; '{}' '{}' --name JOHN^SMITH",
        env!("CARGO_BIN_EXE_dicomcheck"),
        s(dir.path())
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .expect("script (util-linux)");
    let text = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    assert!(text.contains("listing the files on"), "{text}");
    let summary = &text[text.find("dicomcheck 0.1").expect("summary")..];
    assert!(summary.contains("RESULT: PASS"), "{summary}");
    assert_fits(summary.trim_end(), 80);
}

#[test]
fn plain_counts_that_add_up() {
    let dir = sample_copy();
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    let c = &report["counts"];
    let n = |k: &str| c[k].as_u64().unwrap();
    assert_eq!(
        n("files"),
        n("dicom_files") + n("dicomdir_files") + n("non_dicom_files") + n("unreadable_files")
            - n("entries_not_read")
    );
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert!(
        out.stdout.contains("Read 55 files in ")
            && out
                .stdout
                .contains("s: 51 DICOM files, 1 DICOMDIR (the disc's index), 3 other files."),
        "{}",
        out.stdout
    );
    let one = dir.path().join("DICOM/ST000001/SE000001/IM000001");
    let single = check(&one, &["--name", "SMITH^JOHN"]);
    assert!(
        single.stdout.contains("Read 1 file in"),
        "{}{}",
        single.stdout,
        single.stderr
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The radiology report

fn report_objects(with_reports: bool) -> TempDir {
    report_objects_with(with_reports, None)
}

/// [`report_objects`] whose Encapsulated PDF holds the PDF file `pdf`.
fn report_objects_with(with_reports: bool, pdf: Option<&Path>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new("python3");
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/report_objects.py"
        ))
        .arg(dir.path());
    if with_reports {
        command.arg("reports");
    }
    if let Some(pdf) = pdf {
        command.arg(pdf);
    }
    let status = command.status().expect("python3 with pydicom");
    assert!(status.success());
    dir
}

#[test]
fn a_structured_report_and_an_encapsulated_pdf_are_found() {
    let dir = report_objects(true);
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["radiology_report"]["present"], true);
    let kinds: Vec<&str> = report["radiology_report"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["structured_report", "encapsulated_pdf"]);
    assert!(findings(&report, "report").is_empty());
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert!(
        unwrapped_line(&out.stdout, "Radiology report:").contains(
            "Radiology report: on the disc (DICOM structured report; PDF inside a DICOM file, page count unknown)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("series 2  SR   1 object"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_report_file_is_found_and_its_absence_is_only_a_reminder() {
    let dir = sample_copy();
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0);
    assert_eq!(report["radiology_report"]["present"], false);
    let reminder = findings(&report, "report");
    assert_eq!(reminder.len(), 1);
    assert_eq!(reminder[0]["severity"], "info");
    assert!(
        reminder[0]["message"]
            .as_str()
            .unwrap()
            .contains("影像诊断报告")
    );

    fs::create_dir(dir.path().join("报告")).unwrap();
    fs::write(
        dir.path().join("报告/CT_2026-11-20.pdf"),
        b"%PDF-1.4\n%%EOF\n",
    )
    .unwrap();
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0);
    assert_eq!(report["radiology_report"]["present"], true);
    assert_eq!(report["radiology_report"]["items"][0]["format"], "PDF");
    assert!(findings(&report, "report").is_empty());
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert!(
        unwrapped_line(&out.stdout, "Radiology report:").contains(
            "Radiology report: on the disc (PDF, page count unknown: 报告/CT_2026-11-20.pdf)"
        ),
        "{}",
        out.stdout
    );
}

/// A PDF of `pages` pages that Chromium prints from a small page, its count checked by pdfinfo.
fn printed_pdf(dir: &Path, name: &str, pages: usize) -> PathBuf {
    let html = dir.join(format!("{name}.html"));
    let body: String = (1..=pages)
        .map(|i| format!("<p style=\"break-before: page\">Radiology report, page {i}</p>"))
        .collect();
    fs::write(
        &html,
        format!("<!doctype html><meta charset=utf-8><style>p:first-child{{break-before:auto}}</style><body>{body}"),
    )
    .unwrap();
    let pdf = dir.join(format!("{name}.pdf"));
    assert_eq!(chromium_pdf(&html, &pdf), pages);
    pdf
}

fn tool(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().expect(program);
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_pdf_inside_a_dicom_file_has_its_pages_counted() {
    let work = tempfile::tempdir().unwrap();
    let pdf = printed_pdf(work.path(), "report", 2);
    let dir = report_objects_with(true, Some(&pdf));
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "{report}");
    let items = report["radiology_report"]["items"].as_array().unwrap();
    assert_eq!(items[1]["kind"], "encapsulated_pdf");
    assert_eq!(items[1]["pages"], 2);
    assert_eq!(items[0]["pages"], Value::Null);
    // The DICOM file alone, given as the path.
    let (_, alone) = check_json(&dir.path().join("DOC/PDF1"), &["--no-name", "--quick"]);
    assert_eq!(alone["radiology_report"]["items"][0]["pages"], 2, "{alone}");
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert!(
        unwrapped_line(&out.stdout, "Radiology report:").contains(
            "Radiology report: on the disc (DICOM structured report; PDF inside a DICOM file, 2 pages)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn report_pdfs_written_by_real_software_have_their_pages_counted() {
    let work = tempfile::tempdir().unwrap();
    let one = printed_pdf(work.path(), "one", 1);
    let two = printed_pdf(work.path(), "two", 2);
    let merged = work.path().join("merged.pdf");
    tool("pdfunite", &[s(&one), s(&two), s(&merged)]);
    // PDF 1.5 object streams and a cross-reference stream, as many document writers produce.
    let packed = work.path().join("packed.pdf");
    tool(
        "qpdf",
        &[
            "--warning-exit-0",
            "--object-streams=generate",
            s(&merged),
            s(&packed),
        ],
    );
    let packed_bytes = fs::read(&packed).unwrap();
    let contains = |needle: &[u8]| packed_bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        contains(b"/ObjStm") && contains(b"/XRef"),
        "qpdf wrote object streams"
    );

    let dir = sample_copy();
    let reports = dir.path().join("报告");
    fs::create_dir(&reports).unwrap();
    fs::copy(&one, reports.join("CT_report.pdf")).unwrap();
    fs::write(reports.join("MR_report.pdf"), &packed_bytes).unwrap();
    fs::write(
        reports.join("US_report.pdf"),
        &packed_bytes[..packed_bytes.len() / 2],
    )
    .unwrap();
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "a damaged report PDF fails nothing: {report}");
    let pages = |file: &str| {
        report["radiology_report"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == format!("报告/{file}"))
            .map(|i| i["pages"].clone())
    };
    assert_eq!(pages("CT_report.pdf"), Some(Value::from(1)));
    assert_eq!(pages("MR_report.pdf"), Some(Value::from(3)));
    assert_eq!(pages("US_report.pdf"), Some(Value::Null));
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    for expected in [
        "PDF, 1 page: 报告/CT_report.pdf",
        "PDF, 3 pages: 报告/MR_report.pdf",
        "PDF, page count unknown: 报告/US_report.pdf",
    ] {
        assert!(
            unwrapped_line(&out.stdout, "Radiology report:").contains(expected),
            "{expected} in {}",
            out.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The HTML page, copy and verify

#[test]
fn the_page_carries_what_the_home_doctor_needs() {
    let dir = report_objects(true);
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("r.html");
    let run = check(dir.path(), &["--name", "SMITH^JOHN", "--report", s(&page)]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let html = fs::read_to_string(&page).unwrap();
    for expected in [
        "Institution: <strong>上海示例医院</strong>",
        "Referring physician: <strong>WANG WEI</strong>",
        "Accession number: <strong>A2026-77</strong>",
        "2026-11-20 14:32",
        "<td>CHEST</td>",
        "2.5 thick, every 2.5",
        "Radiology report: on the disc",
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    let study = &report["studies"][0];
    assert_eq!(study["accession_number"], "A2026-77");
    assert_eq!(study["time"], "14:32");
    assert_eq!(study["series"][0]["body_part"], "CHEST");
    assert_eq!(study["series"][0]["slice_thickness_mm"], 2.5);
    assert_eq!(study["series"][0]["spacing_mm"], 2.5);

    let (dir, _) = disc(&two_people());
    let run = check(dir.path(), &["--name", "SMITH^JOHN", "--report", s(&page)]);
    assert_eq!(run.code, 1);
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.contains("Patient: <strong>LI^SI</strong>"), "{html}");
    assert!(
        html.contains("the disc ALSO holds LI^SI&#39;s scans"),
        "{html}"
    );
}

fn chromium_pdf(page: &Path, pdf: &Path) -> usize {
    common::chromium(&[
        &format!("--print-to-pdf={}", s(pdf)),
        &format!("file://{}", s(page)),
    ]);
    let info = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo");
    String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("page count")
}

#[test]
fn a_50_study_disc_prints_on_at_most_3_pages() {
    let mut spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"));
    for i in 0..50u32 {
        spec = spec.study(
            StudySpec::new(&format!("FOLLOW-UP CT {i}"))
                .date(&format!("2026{:02}{:02}", 1 + i / 28, 1 + i % 28))
                .series(SeriesSpec::ct(3))
                .series(SeriesSpec::ct(3).description("SOFT TISSUE")),
        );
    }
    let (dir, _) = disc(&spec);
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("r.html");
    let run = check(dir.path(), &["--name", "SMITH^JOHN", "--report", s(&page)]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.contains("<table class=\"overview\">"));
    assert_eq!(html.matches("<details").count(), 50);
    let pages = chromium_pdf(&page, &out.path().join("r.pdf"));
    assert!((1..=3).contains(&pages), "{pages} pages");
}

#[test]
fn copy_writes_the_page_and_verify_says_what_to_do_or_stays_quiet() {
    let disc_dir = sample_copy();
    let out = tempfile::tempdir().unwrap();
    let copy = out.path().join("copy");
    let run = check(
        disc_dir.path(),
        &["--name", "SMITH^JOHN", "--copy-to", s(&copy)],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let page =
        fs::read_to_string(copy.join("dicomcheck-report.html")).expect("the page beside the copy");
    assert!(page.contains("RESULT: PASS"), "{page}");

    let ok = run_args(&["--verify-copy", s(&copy)]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    fs::write(copy.join("DICOM/ST000001/SE000001/IM000001"), b"changed").unwrap();
    let bad = run_args(&["--verify-copy", s(&copy)]);
    assert_eq!(bad.code, 1);
    // It ends with what to do (wrapped, 80 columns here), after the verdict.
    let after_verdict: Vec<&str> = bad
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("RESULT: FAIL"))
        .skip(1)
        .collect();
    assert!(
        after_verdict
            .first()
            .is_some_and(|l| l.starts_with("What to do: "))
            && after_verdict.iter().all(|l| l.chars().count() <= 88)
            && bad.stdout.trim_end().ends_with("backup."),
        "{}",
        bad.stdout
    );
    let quiet = run_args(&["--verify-copy", "-q", s(&copy)]);
    assert_eq!(quiet.code, 1);
    assert_eq!(quiet.stdout, "RESULT: FAIL\n");
}

fn run_args(args: &[&str]) -> Run {
    run(args.iter().copied())
}

// ---------------------------------------------------------------------------------------------------------------
// Batch

#[test]
fn batch_errors_and_failures_exit_by_the_documented_rule() {
    let good = sample_copy();
    let (bad, _) = disc(
        &DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
            .study(StudySpec::new("CT").series(SeriesSpec::ct(12).omit_slices(&[4]))),
    );
    let missing = PathBuf::from("/nonexistent/dicomcheck-disc");
    let csv_dir = tempfile::tempdir().unwrap();
    let csv = csv_dir.path().join("discs.csv");
    fs::write(
        &csv,
        format!(
            "path,name\n{},SMITH^JOHN\n{},SMITH^JOHN\n{},LI^SI\n",
            s(good.path()),
            s(bad.path()),
            s(&missing)
        ),
    )
    .unwrap();
    let out = run_args(&["--batch", s(&csv)]);
    assert_eq!(out.code, 2, "an error wins over a failure: {}", out.stdout);
    let table: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Summary: 3 discs"))
        .collect();
    assert!(
        table[1].contains("Expected name") && table[1].contains("Main reason"),
        "{table:?}"
    );
    assert!(
        table[2].contains("PASS") && table[2].contains("SMITH JOHN"),
        "{table:?}"
    );
    assert!(
        table[3].contains("FAIL") && table[3].contains("is incomplete"),
        "{table:?}"
    );
    assert!(
        table[4].contains("ERROR") && table[4].contains("LI^SI"),
        "{table:?}"
    );

    let json = run_args(&["--batch", s(&csv), "--json"]);
    assert_eq!(json.code, 2);
    let verdicts: Vec<String> = json
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["verdict"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(verdicts, ["pass", "fail", "error"]);

    let without_error = run_args(&[s(good.path()), s(bad.path()), "--name", "SMITH^JOHN", "-q"]);
    assert_eq!(
        without_error.code, 1,
        "a failure without errors: {}",
        without_error.stdout
    );
    let only_good = run_args(&[s(good.path()), s(good.path()), "--name", "SMITH^JOHN", "-q"]);
    assert_eq!(only_good.code, 0);
}

#[test]
fn a_transliterated_foreign_name_is_called_the_patients_name_in_chinese() {
    // The Xinhua form with a middle dot, PN components with `^`, and the ideographic group alone.
    for written in ["约翰·史密斯", "史密斯^约翰", "=史密斯^约翰"] {
        let spec = DiscSpec::new(PatientSpec::new(written).charset("ISO_IR 192"))
            .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(6)));
        let (dir, _) = disc(&spec);
        let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
        assert_eq!(out.code, 1, "nobody abroad can match it: {}", out.stdout);
        let shown = written.trim_start_matches('=').replace('^', "");
        let note = note_lines(&out.stdout).join("\n");
        assert!(
            note.contains(&format!(
                "中文译名“{shown}”（即护照姓名 SMITH JOHN 的音译）"
            )),
            "{written}: {note}"
        );
        assert!(note.contains("请补录护照上的英文姓名 SMITH JOHN"), "{note}");
        assert!(!note.contains("他人") && !note.contains('^'), "{note}");
        assert!(
            !out.stdout.contains("relative"),
            "not called a relative: {}",
            out.stdout
        );
        let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
        assert_eq!(
            report["patients"][0]["name_class"], "HANZI_TRANSCRIBES_PASSPORT",
            "{report}"
        );
    }
    // One study under the passport name, one under its transcription, same patient ID and birth date: one person
    // written two ways, never "take the other person's scans off the disc".
    let mut spec = sample_disc();
    spec.studies.push(
        StudySpec::new("CT ABDOMEN").date("20261119").series(
            SeriesSpec::ct(6).patient(
                PatientSpec::new("史密斯^约翰")
                    .charset("ISO_IR 192")
                    .id("H2026-0042"),
            ),
        ),
    );
    let (dir, _) = disc(&spec);
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        findings(&report, "patient")
            .iter()
            .all(|f| f["severity"] != "fail"),
        "{report}"
    );
    let name = findings(&report, "name");
    assert!(
        name.iter().any(|f| f["severity"] == "fail"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("written in Chinese characters")),
        "{report}"
    );
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert!(!out.stdout.contains("ALSO holds"), "{}", out.stdout);
    let note = note_lines(&out.stdout).join("\n");
    assert!(!note.contains("收回") && !note.contains("他人"), "{note}");

    // Another foreign name in Chinese characters may be someone else's: verify first.
    let spec = DiscSpec::new(PatientSpec::new("约翰·布朗").charset("ISO_IR 192"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(6)));
    let (dir, _) = disc(&spec);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1);
    let note = note_lines(&out.stdout).join("\n");
    assert!(
        note.contains("请先核对是否为本人的检查：如是，请补录护照英文姓名 SMITH JOHN；如不是，请提供本人的影像光盘"),
        "{note}"
    );
    assert!(!note.contains("的音译"), "{note}");
}

#[test]
fn alike_findings_about_different_studies_say_which_study() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(
            StudySpec::new("CT CHEST")
                .no_date()
                .series(SeriesSpec::ct(6)),
        )
        .study(
            StudySpec::new("CT CHEST")
                .no_date()
                .series(SeriesSpec::ct(6))
                .series(SeriesSpec::ct(6).description("LUNG")),
        );
    let (dir, _) = disc(&spec);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let flat = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for n in [1, 2] {
        assert!(
            flat.contains(&format!("(study {n} of 2 above: (no date) CT, ")),
            "{flat}"
        );
    }
    // The staff find each exam by its accession number: two requests, each naming its exam.
    let note = note_lines(&out.stdout);
    let requests: Vec<&String> = note.iter().filter(|l| l.contains("缺少检查日期")).collect();
    assert_eq!(requests.len(), 2, "{note:?}");
    assert!(
        requests.iter().any(|r| r.contains("检查号 ACC00001")),
        "{note:?}"
    );
    assert!(
        requests.iter().any(|r| r.contains("检查号 ACC00002")),
        "{note:?}"
    );
    assert!(
        note[2].contains("日期不详 CT（检查号 ACC00001）"),
        "{note:?}"
    );
}

#[test]
fn plain_words_by_default_and_the_technical_detail_with_verbose() {
    let dir = sample_copy();
    let disc = dir.path();
    // A file cut inside its image data, a lost slice, and a DICOMDIR with a broken element.
    let cut = disc.join("DICOM/ST000002/SE000001/IM000002");
    let length = fs::metadata(&cut).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&cut)
        .unwrap()
        .set_len(length - 1000)
        .unwrap();
    fs::remove_file(disc.join("DICOM/ST000002/SE000003/IM000008")).unwrap();
    let mut index = fs::read(disc.join("DICOMDIR")).unwrap();
    index[400..420].fill(0xFF);
    fs::write(disc.join("DICOMDIR"), index).unwrap();

    let plain = check(disc, &["--name", "SMITH^JOHN"]);
    assert_eq!(plain.code, 1, "{}", plain.stdout);
    let technical = |text: &str| -> Vec<String> {
        let mut found = Vec::new();
        for (i, _) in text.match_indices('(') {
            let tag = text.get(i..i + 11).unwrap_or_default();
            let hex = |s: &str| s.len() == 4 && s.chars().all(|c| c.is_ascii_hexdigit());
            if tag.ends_with(')')
                && tag.get(5..6) == Some(",")
                && hex(&tag[1..5])
                && hex(&tag[6..10])
            {
                found.push(tag.to_string());
            }
        }
        for word in [
            "bytes present",
            " mm",
            "x = ",
            "z = ",
            "offset",
            "length 4294967295",
        ] {
            if text.contains(word) {
                found.push(word.to_string());
            }
        }
        found
    };
    assert_eq!(
        technical(&plain.stdout),
        Vec::<String>::new(),
        "{}",
        plain.stdout
    );
    for expected in [
        "1 file is cut short",
        "The disc's index (DICOMDIR) is damaged.",
        "about 1 slice missing",
        "DICOM/ST000002/SE000001/IM000002\n",
    ] {
        assert!(
            plain.stdout.contains(expected),
            "{expected} in {}",
            plain.stdout
        );
    }
    let verbose = check(disc, &["--name", "SMITH^JOHN", "-v"]);
    let found = technical(&verbose.stdout);
    for detail in ["bytes present", "(FFFF,FFFF)", " mm"] {
        assert!(
            found.iter().any(|f| f == detail),
            "{detail} with -v: {}",
            verbose.stdout
        );
    }
    // JSON keeps every detail.
    let (_, report) = check_json(disc, &["--name", "SMITH^JOHN"]);
    let json = report.to_string();
    assert!(
        json.contains("bytes present") && json.contains("(FFFF,FFFF)"),
        "{json}"
    );
}
