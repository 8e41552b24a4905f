//! Interoperability with dcmtk: DICOMDIRs written by `dcmmkdir` over discs from [`dicomcheck_fixture`] are read
//! and reconciled with the files both ways (listed file missing, unlisted file, corrupt DICOMDIR, deep trees,
//! lower-case file names as a Linux ISO mount may show them), and `dcmdump` reads the fixture's files cleanly.
//!
//! dcmtk is required: `./scripts/test.sh` installs it. dcmtk tools only ever run inside temp dirs this test wrote.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{all_series, check_json_smith, findings_at, named_paths};
use dicomcheck_fixture::{
    DiscSpec, Layout, PatientSpec, SeriesSpec, StudySpec, WrittenDisc, write_disc, write_junk,
};
use serde_json::Value;

const MISSING: &str =
    "dcmtk (dcmmkdir, dcmdump) is required for the interoperability tests: run ./scripts/test.sh";

/// Runs a dcmtk tool in `dir`; fails the test when dcmtk is not installed or the tool fails.
fn dcmtk(tool: &str, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{MISSING} ({tool}: {e})"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{tool} {args:?} failed:\n{text}");
    text
}

/// A two-study disc of `SMITH^JOHN` written by the fixture without a DICOMDIR, then given one by `dcmmkdir`.
fn disc_with_dcmtk_dicomdir(root: &Path) -> WrittenDisc {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(8)))
        .study(
            StudySpec::new("MR HEAD")
                .date("20261118")
                .series(SeriesSpec::mr(5))
                .series(SeriesSpec::mr(4).description("T1 AXIAL")),
        )
        .dicomdir(false)
        .seed(55);
    let written = write_disc(root, &spec).expect("write disc");
    assert!(!root.join("DICOMDIR").exists());
    make_dicomdir(root, "DICOM");
    written
}

/// Writes `root/DICOMDIR` with `dcmmkdir`, scanning `folder` under `root` recursively.
fn make_dicomdir(root: &Path, folder: &str) {
    dcmtk("dcmmkdir", root, &["+r", "+D", "DICOMDIR", folder]);
    assert!(
        root.join("DICOMDIR").is_file(),
        "dcmmkdir wrote no DICOMDIR"
    );
}

/// Total instances over every series of the report.
fn instances(report: &Value) -> u64 {
    all_series(report)
        .map(|s| s["instances"].as_u64().expect("instances"))
        .sum()
}

fn image_count(disc: &WrittenDisc) -> u64 {
    disc.series.iter().map(|s| s.instances.len() as u64).sum()
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[test]
fn consistent_dcmtk_dicomdir_passes_with_no_dicomdir_finding() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disc = disc_with_dcmtk_dicomdir(dir.path());
    let (code, report) = check_json_smith(dir.path());
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "pass");
    assert!(
        findings_at(&report, "dicomdir", "fail").is_empty(),
        "{report:#}"
    );
    assert!(
        findings_at(&report, "dicomdir", "warn").is_empty(),
        "{report:#}"
    );
    assert_eq!(report["counts"]["dicom_files"], image_count(&disc));
    assert_eq!(instances(&report), image_count(&disc));
}

#[test]
fn deleted_listed_file_fails_dicomdir_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disc = disc_with_dcmtk_dicomdir(dir.path());
    let gone = disc.series[0].instances[3].path.clone();
    fs::remove_file(dir.path().join(&gone)).expect("delete");
    let (code, report) = check_json_smith(dir.path());
    assert_eq!(code, 1, "{report:#}");
    let named = named_paths(&report, "dicomdir", "fail");
    assert!(
        named.iter().any(|p| p.contains(&slash(&gone))),
        "{} not named: {report:#}",
        gone.display()
    );
}

#[test]
fn unlisted_dicom_file_warns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disc = disc_with_dcmtk_dicomdir(dir.path());
    // Another image of the same series, copied in after the DICOMDIR was written.
    let listed = &disc.series[0].instances[0].path;
    let extra = listed.with_file_name("IM009999");
    fs::copy(dir.path().join(listed), dir.path().join(&extra)).expect("copy");
    let (_, report) = check_json_smith(dir.path());
    assert!(
        findings_at(&report, "dicomdir", "fail").is_empty(),
        "{report:#}"
    );
    let named = named_paths(&report, "dicomdir", "warn");
    assert!(
        named.iter().any(|p| p.contains(&slash(&extra))),
        "{} not named: {report:#}",
        extra.display()
    );
}

#[test]
fn corrupt_dicomdir_fails_while_every_image_is_still_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disc = disc_with_dcmtk_dicomdir(dir.path());
    let dicomdir = dir.path().join("DICOMDIR");
    let original = fs::read(&dicomdir).expect("read DICOMDIR");
    for how in ["truncated to half", "replaced by garbage"] {
        if how == "truncated to half" {
            fs::write(&dicomdir, &original[..original.len() / 2]).expect("write");
        } else {
            write_junk(&dicomdir, original.len()).expect("write");
        }
        let (code, report) = check_json_smith(dir.path());
        assert_eq!(code, 1, "{how}: {report:#}");
        assert!(
            !findings_at(&report, "dicomdir", "fail").is_empty(),
            "{how}: {report:#}"
        );
        assert_eq!(
            report["counts"]["dicom_files"],
            image_count(&disc),
            "{how}: {report:#}"
        );
        assert_eq!(instances(&report), image_count(&disc), "{how}");
        assert!(
            findings_at(&report, "integrity", "fail").is_empty(),
            "{how}: {report:#}"
        );
    }
}

#[test]
fn eight_level_deep_tree_with_dcmtk_dicomdir_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(6)))
        .layout(Layout::Flat)
        .dicomdir(false)
        .seed(8);
    let disc = write_disc(dir.path(), &spec).expect("write disc");
    let deep = PathBuf::from("DICOM/A/B/C/D/E/F");
    fs::create_dir_all(dir.path().join(&deep)).expect("mkdir");
    let mut moved = Vec::new();
    for (i, instance) in disc.series[0].instances.iter().enumerate() {
        let to = deep.join(format!("IM{:06}", i + 1));
        fs::rename(dir.path().join(&instance.path), dir.path().join(&to)).expect("move");
        moved.push(to);
    }
    assert_eq!(moved[0].components().count(), 8);
    make_dicomdir(dir.path(), "DICOM");
    let (code, report) = check_json_smith(dir.path());
    assert_eq!(code, 0, "{report:#}");
    assert!(
        findings_at(&report, "dicomdir", "warn").is_empty(),
        "{report:#}"
    );
    assert_eq!(instances(&report), moved.len() as u64);

    fs::remove_file(dir.path().join(&moved[2])).expect("delete");
    let (_, report) = check_json_smith(dir.path());
    let named = named_paths(&report, "dicomdir", "fail");
    assert!(
        named.iter().any(|p| p.contains(&slash(&moved[2]))),
        "{report:#}"
    );
}

/// Renames every file and folder under `dir` to lower case, deepest first.
fn lowercase_tree(dir: &Path) {
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            lowercase_tree(&path);
        }
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_lowercase();
        fs::rename(&path, path.with_file_name(name)).expect("rename");
    }
}

#[test]
fn lower_case_file_ids_on_disk_still_match_the_dicomdir() {
    let dir = tempfile::tempdir().expect("temp dir");
    let disc = disc_with_dcmtk_dicomdir(dir.path());
    lowercase_tree(&dir.path().join("DICOM"));
    fs::rename(dir.path().join("DICOM"), dir.path().join("dicom")).expect("rename");
    assert!(
        dir.path()
            .join("dicom/st000001/se000001/im000001")
            .is_file()
    );
    let (code, report) = check_json_smith(dir.path());
    assert_eq!(code, 0, "{report:#}");
    assert!(
        findings_at(&report, "dicomdir", "fail").is_empty(),
        "{report:#}"
    );
    assert!(
        findings_at(&report, "dicomdir", "warn").is_empty(),
        "{report:#}"
    );
    assert_eq!(instances(&report), image_count(&disc));
}

#[test]
fn dcmdump_reads_fixture_files_without_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN").charset("ISO_IR 100"))
        .study(
            StudySpec::new("CT CHEST")
                .series(SeriesSpec::ct(2))
                .series(SeriesSpec::mr(2).multiframe(true)),
        )
        .seed(3);
    let disc = write_disc(dir.path(), &spec).expect("write disc");
    let mut files: Vec<PathBuf> = disc
        .series
        .iter()
        .flat_map(|s| s.instances.iter().map(|i| i.path.clone()))
        .collect();
    files.push(PathBuf::from("DICOMDIR"));
    for file in &files {
        let file = file.to_string_lossy();
        let dump = dcmtk("dcmdump", dir.path(), &["-M", &file]);
        let lower = dump.to_lowercase();
        assert!(
            !lower.contains("error") && !lower.contains("warn"),
            "{file}:\n{dump}"
        );
        assert!(dump.contains("SMITH^JOHN"), "{file}:\n{dump}");
    }
}
