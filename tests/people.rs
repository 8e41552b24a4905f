//! What people read: the counter note for every failing check, the HTML report printed by headless Chromium,
//! batch runs with mixed verdicts, and the output switches (`--quiet`, `--verbose`, `--report` refusals).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, check_json_smith, chromium, disc, run};
use dicomcheck_fixture::{
    DiscSpec, PatientSpec, SeriesSpec, StudySpec, sample_disc, truncate_file,
};
use serde_json::Value;

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A complete one-study disc for SMITH^JOHN, born 1980-04-02, CT of 2026-11-20.
fn good_spec() -> DiscSpec {
    DiscSpec::new(PatientSpec::new("SMITH^JOHN").id("P1"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(12).description("AXIAL")))
}

/// The requests of the note printed after the summary: its numbered lines, numbering removed, wrapped lines
/// joined (the greeting and the lines naming patient and exams are left out).
fn note_lines(stdout: &str, heading: &str) -> Vec<String> {
    let Some(start) = stdout.find(heading) else {
        return Vec::new();
    };
    let mut requests: Vec<String> = Vec::new();
    for line in stdout[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
    {
        let text = line.trim();
        let numbered = text
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        match (numbered, requests.last_mut()) {
            (Some((_, request)), _) if !line.starts_with("     ") => {
                requests.push(request.to_string())
            }
            (_, Some(last)) if line.starts_with("     ") => {
                let wide = |c: Option<char>| c.is_some_and(|c| !c.is_ascii());
                if !wide(last.chars().last()) && !wide(text.chars().next()) {
                    last.push(' ');
                }
                last.push_str(text);
            }
            _ => {}
        }
    }
    requests
}

const ZH_HEADING: &str = "Note for the counter staff, in Chinese";
const EN_HEADING: &str = "Note for the counter staff (show them this)";

/// Checks `root` with `args`, and checks the counter note against the JSON findings: FAIL, the failing check
/// present, every request of a failing or warning finding on one Chinese note line (in order, without
/// repeats), the English note giving each such finding's problem, and `--staff-note none` printing no note.
/// Returns the Chinese lines of the failing check.
fn failing_note(root: &Path, args: &[&str], check: &str) -> Vec<String> {
    let mut all = vec![s(root)];
    all.extend_from_slice(args);
    let Run {
        code,
        stdout,
        stderr,
    } = run(&all);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("RESULT: FAIL"), "{stdout}");

    let mut json_args = all.clone();
    json_args.push("--json");
    let Run { stdout: json, .. } = run(&json_args);
    let report: Value = serde_json::from_str(&json).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    let problems: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] != "info" && f["ask"] != "")
        .collect();
    assert!(
        problems
            .iter()
            .any(|f| f["check"] == check && f["severity"] == "fail"),
        "no failing {check} finding: {json}"
    );
    let mut expected_zh: Vec<String> = Vec::new();
    let mut expected_en: Vec<String> = Vec::new();
    for f in &problems {
        assert!(
            f["ask_zh"] != "",
            "{check}: a request without its Chinese: {f}"
        );
        // The Chinese note carries the requests; the English one tells the staff what is wrong.
        for (list, key) in [(&mut expected_zh, "ask_zh"), (&mut expected_en, "message")] {
            let text = f[key].as_str().expect("note text").to_string();
            if !list.contains(&text) {
                list.push(text);
            }
        }
    }

    let zh = note_lines(&stdout, ZH_HEADING);
    assert!(
        stdout.contains("您好！"),
        "the note opens with a greeting: {stdout}"
    );
    assert_eq!(zh, expected_zh, "{stdout}");
    for line in &zh {
        assert!(
            line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "not Chinese: {line}"
        );
        assert!(line.ends_with('。'), "a sentence ends with 。: {line}");
        assert!(
            !line.contains(". ") && !line.contains(", "),
            "English punctuation in Chinese: {line}"
        );
    }

    let mut en_args = all.clone();
    en_args.extend(["--staff-note", "en"]);
    let Run { stdout: en_out, .. } = run(&en_args);
    assert_eq!(note_lines(&en_out, EN_HEADING), expected_en, "{en_out}");
    assert!(!en_out.contains(ZH_HEADING));

    let mut none_args = all.clone();
    none_args.extend(["--staff-note", "none"]);
    let Run {
        code: none_code,
        stdout: none_out,
        ..
    } = run(&none_args);
    assert_eq!(none_code, 1);
    assert!(
        !none_out.contains("Note for the counter staff"),
        "{none_out}"
    );

    problems
        .iter()
        .filter(|f| f["check"] == check)
        .map(|f| f["ask_zh"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn counter_note_for_media() {
    // A disc burned with an empty folder only (an empty folder with nothing in it at all is a drive without a
    // disc, the laptop's problem: `said_right.rs`).
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("DICOM")).unwrap();
    let lines = failing_note(dir.path(), &["--no-name"], "media");
    assert!(lines.iter().any(|l| l.contains("空的")), "{lines:?}");
}

#[test]
fn counter_note_for_integrity() {
    let (dir, written) = disc(&good_spec());
    let victim = written.path(&written.series[0].instances[5].path);
    let len = fs::metadata(&victim).unwrap().len();
    truncate_file(&victim, len / 2).unwrap();
    let lines = failing_note(dir.path(), &["--name", "SMITH^JOHN"], "integrity");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("1个文件") && l.contains("重新刻录")),
        "{lines:?}"
    );
}

#[test]
fn counter_note_for_dicomdir() {
    let (dir, written) = disc(&good_spec());
    fs::remove_file(written.path(&written.series[0].instances[3].path)).unwrap();
    let lines = failing_note(dir.path(), &["--name", "SMITH^JOHN"], "dicomdir");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("DICOMDIR") && l.contains("1个文件")),
        "{lines:?}"
    );
}

#[test]
fn counter_note_for_name() {
    let (dir, _) = disc(&good_spec());
    let lines = failing_note(dir.path(), &["--name", "MILLER^ANNA"], "name");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("SMITH") && l.contains("MILLER")),
        "the note names both names: {lines:?}"
    );
}

#[test]
fn counter_note_for_patient() {
    let other = PatientSpec::new("BROWN^PETER").id("P2");
    let spec = good_spec().study(
        StudySpec::new("MR KNEE")
            .date("20261118")
            .patient(Some(other))
            .series(SeriesSpec::mr(6)),
    );
    let (dir, _) = disc(&spec);
    let lines = failing_note(dir.path(), &["--name", "SMITH^JOHN"], "patient");
    assert!(
        lines.iter().any(|l| l.contains("BROWN")),
        "the note names the other patient: {lines:?}"
    );
}

#[test]
fn counter_note_for_dob() {
    let (dir, _) = disc(&good_spec());
    let lines = failing_note(
        dir.path(),
        &["--name", "SMITH^JOHN", "--dob", "1981-05-06"],
        "dob",
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("1980-04-02") && l.contains("1981-05-06")),
        "{lines:?}"
    );
}

#[test]
fn counter_note_for_date() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(8)))
        .study(
            StudySpec::new("MR HEAD")
                .no_date()
                .series(SeriesSpec::mr(8)),
        );
    let (dir, _) = disc(&spec);
    let lines = failing_note(
        dir.path(),
        &["--name", "SMITH^JOHN", "--date", "2026-11-25"],
        "date",
    );
    assert!(
        lines.iter().any(|l| l.contains("2026-11-25")),
        "the note names the missing day: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("检查日期")),
        "the note names the missing study date: {lines:?}"
    );
}

#[test]
fn counter_note_for_slices() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(20).omit_slices(&[7, 8])));
    let (dir, _) = disc(&spec);
    let lines = failing_note(dir.path(), &["--name", "SMITH^JOHN"], "slices");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("序列") && l.contains("缺少")),
        "{lines:?}"
    );
}

#[test]
fn no_note_on_a_clean_pass_and_a_name_note_on_a_warning() {
    let (dir, _) = disc(&good_spec());
    let Run { code, stdout, .. } = run([s(dir.path()), "--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("Note for the counter staff"), "{stdout}");

    let Run { code, stdout, .. } = run([s(dir.path()), "--name", "JOHN^SMITH"]);
    let Run { stdout: json, .. } = run([s(dir.path()), "--name", "JOHN^SMITH", "--json"]);
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["verdict"], "pass", "{json}");
    assert_eq!(code, 0);
    let warn = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "name" && f["severity"] == "warn")
        .expect("swapped names warn");
    // On a passing disc the request is a favour.
    assert_eq!(
        note_lines(&stdout, ZH_HEADING),
        [format!("（如方便）{}", warn["ask_zh"].as_str().unwrap())]
    );
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} (poppler-utils, installed by scripts/test.sh): {e}"));
    assert!(out.status.success(), "{name} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn html_report_prints_on_two_pages_with_patient_verdict_and_studies() {
    let mut spec = sample_disc();
    spec.studies.push(
        StudySpec::new("CT ABDOMEN <PORTAL>")
            .date("20261115")
            .series(
                SeriesSpec::ct(30)
                    .description("ABD 5MM")
                    .omit_slices(&[10, 11]),
            ),
    );
    let (dir, _) = disc(&spec);
    let out = tempfile::tempdir().unwrap();
    let page = out.path().join("report.html");
    let Run {
        code,
        stdout,
        stderr,
    } = run([s(dir.path()), "--name", "SMITH^JOHN", "--report", s(&page)]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let html = fs::read_to_string(&page).expect("the page was written");
    assert!(html.contains("CT ABDOMEN &lt;PORTAL&gt;"), "escaped");
    assert!(!html.contains("<PORTAL>"));
    for external in ["href=", "@import", "url("] {
        assert!(!html.contains(external), "self-contained: {external}");
    }
    // Pictures are embedded as data URIs, never loaded from elsewhere.
    assert_eq!(
        html.matches("src=").count(),
        html.matches("src=\"data:image/png;base64,").count(),
        "self-contained pictures"
    );

    let pdf = out.path().join("report.pdf");
    let png = out.path().join("report.png");
    let url = format!("file://{}", s(&page));
    chromium(&[&format!("--print-to-pdf={}", s(&pdf)), &url]);
    chromium(&[
        &format!("--screenshot={}", s(&png)),
        "--window-size=900,1300",
        &url,
    ]);
    let info = tool("pdfinfo", &[s(&pdf)]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("page count");
    assert!((1..=2).contains(&pages), "{pages} pages");
    let size = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .expect("page size");
    assert!(size.contains("(A4)"), "A4: {size}");

    let text = tool("pdftotext", &["-layout", s(&pdf), "-"]);
    let (_, report) = check_json_smith(dir.path());
    assert!(text.contains("SMITH^JOHN"), "{text}");
    assert!(text.contains("RESULT: FAIL"), "{text}");
    let studies = report["studies"].as_array().unwrap();
    assert_eq!(studies.len(), 3);
    for study in studies {
        assert!(
            text.contains(study["description"].as_str().unwrap()),
            "{study} missing from {text}"
        );
        assert!(text.contains(study["date"].as_str().unwrap()), "{text}");
    }
    let ask_zh = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "slices" && f["severity"] == "fail")
        .and_then(|f| f["ask_zh"].as_str())
        .expect("missing slices fail");
    let squeeze = |t: &str| t.split_whitespace().collect::<String>();
    assert!(
        squeeze(&text).contains(&squeeze(ask_zh)),
        "the Chinese note prints: {ask_zh} in {text}"
    );
    let png_bytes = fs::read(&png).expect("screenshot");
    assert!(png_bytes.starts_with(b"\x89PNG"));
    if let Some(keep) = std::env::var_os("DICOMCHECK_KEEP_SCREENSHOT") {
        fs::copy(&png, PathBuf::from(keep)).unwrap();
    }
}

#[test]
fn report_is_never_written_onto_the_scanned_disc() {
    let (dir, _) = disc(&good_spec());
    let inside = dir.path().join("DICOM").join("report.html");
    let Run {
        code,
        stdout,
        stderr,
    } = run([s(dir.path()), "--report", s(&inside)]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("disc being checked"), "{stderr}");
    assert!(!inside.exists());
    assert!(stdout.is_empty(), "refused before checking: {stdout}");

    let Run { code, stderr, .. } =
        run([s(dir.path()), "--report", "/nonexistent-folder/report.html"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn batch_with_mixed_verdicts() {
    let (good, _) = disc(&good_spec());
    let (other, _) = disc(
        &DiscSpec::new(PatientSpec::new("张^三").charset("ISO_IR 192"))
            .study(StudySpec::new("CT HEAD").series(SeriesSpec::ct(6))),
    );
    let (cut, _) = disc(
        &DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
            .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(20).omit_slices(&[5]))),
    );

    let discs = [s(good.path()), s(other.path()), s(cut.path())];
    let mut args = discs.to_vec();
    args.extend(["--name", "SMITH^JOHN"]);
    let Run { code, stdout, .. } = run(&args);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout.matches("━━ Disc ").count(), 3, "{stdout}");
    let table = &stdout[stdout.find("Summary: 3 discs").expect("summary")..];
    assert!(
        table.starts_with("Summary: 3 discs — 1 pass, 2 fail, 0 could not be checked"),
        "{table}"
    );
    let rows: Vec<&str> = table.lines().skip(2).collect();
    assert_eq!(rows.len(), 3, "{table}");
    for (row, (verdict, path)) in
        rows.iter()
            .zip([("PASS", discs[0]), ("FAIL", discs[1]), ("FAIL", discs[2])])
    {
        assert!(
            row.contains(verdict) && row.ends_with(path),
            "{row} vs {verdict} {path}"
        );
    }
    // The "Disc" column starts at the same display column on every row, CJK names included.
    let column = |line: &str| {
        let at = line.rfind("  /").expect("disc column") + 2;
        unicode_width::UnicodeWidthStr::width(&line[..at])
    };
    assert!(rows.iter().all(|r| column(r) == column(rows[0])), "{table}");
    assert!(rows[1].contains("张^三"), "{table}");

    // JSON Lines: one report object per disc, in order; a missing disc is an error record and exit 2.
    let mut json_args = args.clone();
    json_args.insert(1, "/nonexistent-disc");
    json_args.push("--json");
    let Run { code, stdout, .. } = run(&json_args);
    assert_eq!(code, 2);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one object per line"))
        .collect();
    let verdicts: Vec<&str> = lines
        .iter()
        .map(|l| l["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["pass", "error", "fail", "fail"]);
    assert_eq!(lines[2]["root"], discs[1]);
    assert!(lines[1]["error"].as_str().unwrap().contains("nonexistent"));

    // Only passing discs: exit 0.
    let Run { code, .. } = run([discs[0], discs[0], "--name", "SMITH^JOHN", "-q"]);
    assert_eq!(code, 0);
}

#[test]
fn batch_csv_gives_each_disc_its_own_name() {
    let (good, _) = disc(&good_spec());
    let (cut, _) = disc(
        &DiscSpec::new(PatientSpec::new("DOE^JANE"))
            .study(StudySpec::new("MR KNEE").series(SeriesSpec::mr(10))),
    );
    let list = tempfile::tempdir().unwrap();
    let csv = list.path().join("discs.csv");
    fs::write(
        &csv,
        format!(
            "path,name,dob,date\n{},SMITH^JOHN,1980-04-02,2026-11-20\n\"{}\",\"DOE, JANE\",,\n{},\"DOE, JANE\"\n",
            s(good.path()),
            s(cut.path()),
            s(good.path())
        ),
    )
    .unwrap();
    let Run {
        code,
        stdout,
        stderr,
    } = run(["--batch", s(&csv), "--json"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let verdicts: Vec<(String, String)> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["verdict"].as_str().unwrap().to_string(),
                v["expected_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("pass".into(), "SMITH^JOHN".into()),
            ("pass".into(), "DOE, JANE".into()),
            ("fail".into(), "DOE, JANE".into())
        ]
    );

    fs::write(&csv, "disc1\n\"unclosed\n").unwrap();
    let Run { code, stderr, .. } = run(["--batch", s(&csv)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn quiet_prints_the_verdict_only_and_verbose_every_file() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(12)));
    let (dir, written) = disc(&spec);
    let victims: Vec<PathBuf> = written.series[0].instances[..7]
        .iter()
        .map(|i| i.path.clone())
        .collect();
    for victim in &victims {
        let path = written.path(victim);
        let len = fs::metadata(&path).unwrap().len();
        truncate_file(&path, len - 100).unwrap();
    }
    let Run { code, stdout, .. } = run([s(dir.path()), "--name", "SMITH^JOHN", "--quiet"]);
    assert_eq!(code, 1);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("RESULT: FAIL"), "{stdout}");

    let Run { stdout: normal, .. } = run([s(dir.path()), "--name", "SMITH^JOHN"]);
    let Run {
        stdout: verbose, ..
    } = run([s(dir.path()), "--name", "SMITH^JOHN", "--verbose"]);
    let listed = |out: &str| {
        victims
            .iter()
            .filter(|v| {
                out.lines()
                    .any(|l| l.split_whitespace().next() == Some(s(v)))
            })
            .count()
    };
    assert_eq!(listed(&verbose), victims.len(), "{verbose}");
    assert!(listed(&normal) < victims.len(), "{normal}");
    assert!(verbose.contains(&written.series[0].series_instance_uid));
    assert!(
        !stdout.contains('\x1b') && !verbose.contains('\x1b'),
        "no colour when piped"
    );
}
