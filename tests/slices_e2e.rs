//! Issue 4 end to end: complete and incomplete series (missing slices, numbering gaps, duplicates, declared counts,
//! multi-frame objects, non-axial stacks) and every study-date defect, judged by the binary's exit code and report.

mod common;

use common::{check, check_json, disc, findings, problems, worst};
use dicomcheck_fixture::{DiscSpec, Orientation, PatientSpec, SeriesSpec, StudySpec};
use serde_json::Value;

/// A one-study disc of SMITH^JOHN with this series.
fn series_disc(series: SeriesSpec) -> DiscSpec {
    DiscSpec::new(PatientSpec::new("SMITH^JOHN")).study(StudySpec::new("CT CHEST").series(series))
}

/// Checks `spec` with `--json --name SMITH^JOHN` and extra arguments.
fn report_of(spec: &DiscSpec, args: &[&str]) -> (i32, Value) {
    let (dir, _) = disc(spec);
    let mut all = vec!["--name", "SMITH^JOHN"];
    all.extend_from_slice(args);
    check_json(dir.path(), &all)
}

/// The only series of the only study.
fn only_series(report: &Value) -> &Value {
    let studies = report["studies"].as_array().expect("studies");
    assert_eq!(studies.len(), 1, "{report}");
    let series = studies[0]["series"].as_array().expect("series");
    assert_eq!(series.len(), 1, "{report}");
    &series[0]
}

fn messages(report: &Value, check: &str) -> String {
    findings(report, check)
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A small slice keeps the 200-slice series fast to write and read.
fn ct(slices: u32) -> SeriesSpec {
    SeriesSpec::ct(slices).size(16, 16)
}

#[test]
fn a_contiguous_200_slice_ct_passes() {
    let (dir, _) = disc(&series_disc(ct(200)));
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("200 images"), "{}", out.stdout);
    // stderr is not a terminal: no progress bar.
    assert_eq!(out.stderr, "");
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0);
    assert_eq!(problems(&report), "");
    let series = only_series(&report);
    assert_eq!(series["instances"], 200);
    assert_eq!(series["frames"], 200);
    assert_eq!(series["missing"], Value::Array(vec![]));
}

#[test]
fn one_slice_removed_and_renumbered_fails_naming_its_position() {
    let series = ct(200).omit_slices(&[117]).renumber(true);
    // Slice 117 of a stack from z=-100 mm, 2.5 mm apart.
    let z = series.position(117)[2];
    assert_eq!(z, 192.5);
    let (dir, written) = disc(&series_disc(series));
    assert_eq!(written.series[0].instances.len(), 199);
    // Numbering is contiguous: only the positions show the hole.
    let numbers: Vec<i32> = written.series[0]
        .instances
        .iter()
        .map(|i| i.instance_number)
        .collect();
    assert_eq!(numbers, (1..=199).collect::<Vec<_>>());

    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("[slices]"), "{}", out.stdout);
    // Named in plain words by the images either side; their positions, 2.5 mm either side of it, with -v.
    let flat = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat(&out.stdout).contains("between images 117 and 118"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("190.0"), "{}", out.stdout);
    let verbose = check(dir.path(), &["--name", "SMITH^JOHN", "-v"]);
    assert!(
        flat(&verbose.stdout).contains("z = 190.0 to 195.0 mm"),
        "{}",
        verbose.stdout
    );
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(
        worst(&report, "slices"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    assert!(
        findings(&report, "slices")
            .iter()
            .any(|f| f["detail"].as_str().unwrap().contains("190.0 to 195.0")),
        "{}",
        problems(&report)
    );
    let missing = only_series(&report)["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].as_str().unwrap().contains("192.5"),
        "{missing:?}"
    );
    let finding = findings(&report, "slices")[0];
    assert_eq!(
        finding["series"],
        only_series(&report)["series_instance_uid"]
    );
}

#[test]
fn several_missing_slices_are_all_listed() {
    let series = ct(40).omit_slices(&[3, 4, 20]).renumber(true);
    let (code, report) = report_of(&series_disc(series), &[]);
    assert_eq!(code, 1);
    let missing = only_series(&report)["missing"].as_array().unwrap();
    assert_eq!(missing.len(), 3, "{missing:?}");
}

#[test]
fn a_numbering_gap_with_regular_geometry_warns_but_passes() {
    let (dir, written) = disc(&series_disc(ct(20).number_gaps(&[8])));
    assert_eq!(written.series[0].instances.len(), 20);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("RESULT: PASS (1 warning, no action needed)"),
        "{}",
        out.stdout
    );
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(
        worst(&report, "slices"),
        Some("warn"),
        "{}",
        problems(&report)
    );
    assert!(
        messages(&report, "slices").contains("image number #8 is missing"),
        "{}",
        problems(&report)
    );
    assert_eq!(report["verdict"], "pass");
}

#[test]
fn a_duplicate_instance_warns() {
    let (dir, written) = disc(&series_disc(ct(12).duplicate_slices(&[5])));
    assert_eq!(written.series[0].instances.len(), 13);
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "{}", problems(&report));
    assert_eq!(
        worst(&report, "slices"),
        Some("warn"),
        "{}",
        problems(&report)
    );
    assert_eq!(only_series(&report)["missing"], Value::Array(vec![]));
}

#[test]
fn images_in_acquisition_above_the_count_fails() {
    let (code, report) = report_of(&series_disc(ct(10).images_in_acquisition(Some(12))), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        worst(&report, "slices"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    let text = messages(&report, "slices");
    assert!(text.contains("12") && text.contains("10"), "{text}");
    // Equal to the count is fine.
    let (code, report) = report_of(&series_disc(ct(10).images_in_acquisition(Some(10))), &[]);
    assert_eq!(code, 0, "{}", problems(&report));
}

#[test]
fn a_complete_multiframe_enhanced_mr_passes() {
    let series = SeriesSpec::mr(24).size(16, 16).multiframe(true);
    let (dir, written) = disc(&series_disc(series));
    assert_eq!(written.series[0].instances.len(), 1);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("24 images"), "{}", out.stdout);
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(problems(&report), "");
    let series = only_series(&report);
    assert_eq!(series["instances"], 1);
    assert_eq!(series["frames"], 24);

    // A frame missing from its stack fails just the same.
    let series = SeriesSpec::mr(24)
        .size(16, 16)
        .multiframe(true)
        .omit_slices(&[10]);
    let (code, report) = report_of(&series_disc(series), &[]);
    assert_eq!(code, 1, "{}", problems(&report));
    assert_eq!(worst(&report, "slices"), Some("fail"));
}

#[test]
fn sagittal_and_oblique_stacks_pass_and_their_gaps_fail() {
    let (s, c) = (30f64.to_radians().sin(), 30f64.to_radians().cos());
    let oblique = Orientation::Oblique([1.0, 0.0, 0.0, 0.0, c, -s]);
    for orientation in [Orientation::Sagittal, Orientation::Coronal, oblique] {
        let stack = ct(30).orientation(orientation).slice_spacing(1.25);
        let (code, report) = report_of(&series_disc(stack.clone()), &[]);
        assert_eq!(code, 0, "{orientation:?}: {}", problems(&report));
        assert_eq!(
            worst(&report, "slices"),
            None,
            "{orientation:?}: {}",
            problems(&report)
        );
        let (code, report) = report_of(&series_disc(stack.omit_slices(&[14]).renumber(true)), &[]);
        assert_eq!(code, 1, "{orientation:?}");
        assert_eq!(only_series(&report)["missing"].as_array().unwrap().len(), 1);
    }
}

/// A disc whose one study has this raw StudyDate (`None`: absent).
fn dated(date: Option<&str>) -> DiscSpec {
    let study = StudySpec::new("CT CHEST").series(ct(3));
    let study = match date {
        Some(d) => study.date(d),
        None => study.no_date(),
    };
    DiscSpec::new(PatientSpec::new("SMITH^JOHN")).study(study)
}

#[test]
fn missing_and_invalid_study_dates_fail() {
    for date in [
        None,
        Some("20241345"),
        Some("00000000"),
        Some("2024-13-01"),
        Some(""),
    ] {
        let (code, report) = report_of(&dated(date), &[]);
        assert_eq!(code, 1, "{date:?}: {}", problems(&report));
        assert_eq!(
            worst(&report, "date"),
            Some("fail"),
            "{date:?}: {}",
            problems(&report)
        );
        assert_eq!(report["studies"][0]["date"], Value::Null, "{date:?}");
    }
    let (dir, _) = disc(&dated(Some("20241345")));
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert!(out.stdout.contains("20241345"), "{}", out.stdout);
}

#[test]
fn a_missing_study_date_hints_at_the_series_date() {
    let study = StudySpec::new("CT CHEST")
        .no_date()
        .series(ct(3).date("20261119"));
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN")).study(study);
    let (code, report) = report_of(&spec, &[]);
    assert_eq!(code, 1);
    assert!(
        messages(&report, "date").contains("2026-11-19"),
        "{}",
        problems(&report)
    );
}

#[test]
fn implausible_study_dates_warn() {
    for date in ["20990101", "18991231"] {
        let (code, report) = report_of(&dated(Some(date)), &[]);
        assert_eq!(code, 0, "{date}: {}", problems(&report));
        assert_eq!(
            worst(&report, "date"),
            Some("warn"),
            "{date}: {}",
            problems(&report)
        );
        let shown = format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]);
        let text = messages(&report, "date");
        assert_eq!(
            text.matches(&shown).count(),
            1,
            "the date said once: {text}"
        );
    }
}

#[test]
fn expected_scan_dates_are_found_or_reported_missing() {
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .study(StudySpec::new("CT CHEST").date("20261120").series(ct(3)))
        .study(StudySpec::new("MR HEAD").date("20261118").series(ct(3)));
    let (dir, _) = disc(&spec);
    let run = |dates: &[&str]| {
        let mut args = vec!["--name", "SMITH^JOHN"];
        for d in dates {
            args.extend(["--date", d]);
        }
        check_json(dir.path(), &args)
    };
    for present in [
        &["2026-11-20"][..],
        &["2026-11-18", "2026-11-20"][..],
        &["2026-11-19..2026-11-21"][..],
        &["2026-11-01..2026-11-18"][..],
    ] {
        let (code, report) = run(present);
        assert_eq!(code, 0, "{present:?}: {}", problems(&report));
        assert_eq!(
            worst(&report, "date").filter(|s| *s != "info"),
            None,
            "{present:?}"
        );
    }
    for absent in [
        &["2026-11-19"][..],
        &["2026-11-20", "2026-10-01"][..],
        &["2026-11-21..2026-11-30"][..],
    ] {
        let (code, report) = run(absent);
        assert_eq!(code, 1, "{absent:?}: {}", problems(&report));
        assert_eq!(worst(&report, "date"), Some("fail"), "{absent:?}");
    }
    let out = check(
        dir.path(),
        &["--name", "SMITH^JOHN", "--date", "2026-11-19"],
    );
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("2026-11-19"), "{}", out.stdout);
}

/// A multi-echo MR: 20 positions × 3 echoes, 16×16 images.
fn multi_echo() -> SeriesSpec {
    SeriesSpec::mr(20)
        .size(16, 16)
        .description("T2 DUAL ECHO")
        .echoes(3)
}

#[test]
fn a_complete_multi_echo_series_passes() {
    let (dir, written) = disc(&series_disc(multi_echo()));
    assert_eq!(written.series[0].instances.len(), 60);
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!((code, problems(&report)), (0, String::new()));
    assert_eq!(only_series(&report)["instances"], 60);
}

#[test]
fn an_image_lost_from_one_echo_fails_naming_position_and_echo() {
    let series = multi_echo().omit_images(&[(1, 9)]);
    let z = series.position(9)[2];
    let (dir, written) = disc(&series_disc(series));
    assert_eq!(written.series[0].instances.len(), 59);
    let out = check(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let (_, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(
        worst(&report, "slices"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    let text = messages(&report, "slices");
    assert!(
        text.contains(
            "1 image missing at slice position 10 of 20 (the others hold 3 images each): the one of volume 2 of \
             3 (echo 2)"
        ),
        "{text}"
    );
    assert!(!text.contains("z ="), "coordinates only with -v: {text}");
    assert_eq!(
        only_series(&report)["missing"],
        serde_json::json!([format!("z={z:.1}")])
    );
}

#[test]
fn the_sample_disc_opened_on_a_mac_and_a_windows_pc_still_passes() {
    let (dir, _) = disc(&dicomcheck_fixture::sample_disc());
    for name in [
        ".DS_Store",
        "DICOM/.DS_Store",
        "DICOM/ST000001/._IM000001",
        "Thumbs.db",
        "desktop.ini",
        ".fseventsd/fseventsd-uuid",
        ".Spotlight-V100/VolumeConfiguration.plist",
        ".Trashes/501/IM000001.dcm",
        "System Volume Information/WPSettings.dat",
        "$RECYCLE.BIN/desktop.ini",
    ] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X").unwrap();
    }
    let (code, report) = check_json(dir.path(), &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "{}", problems(&report));
    assert_eq!(findings(&report, "integrity"), Vec::<&Value>::new());
    assert_eq!(report["counts"]["unreadable_files"], 0);
}

#[test]
fn a_zip_made_on_a_mac_with_its_resource_forks_passes() {
    use std::io::Write;
    let (dir, written) = disc(&dicomcheck_fixture::sample_disc());
    let zip_path = dir.path().join("study.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for relative in written.all_files() {
        let name = relative.to_str().unwrap().replace('\\', "/");
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(&std::fs::read(dir.path().join(&relative)).unwrap())
            .unwrap();
        // macOS' Archive Utility adds an AppleDouble companion for every file.
        let parent = relative
            .parent()
            .map(|p| p.to_str().unwrap().replace('\\', "/"));
        let file = relative.file_name().unwrap().to_str().unwrap();
        let fork = match parent.as_deref() {
            Some("") | None => format!("__MACOSX/._{file}"),
            Some(parent) => format!("__MACOSX/{parent}/._{file}"),
        };
        zip.start_file(fork.as_str(), options).unwrap();
        zip.write_all(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
            .unwrap();
    }
    zip.finish().unwrap();
    let (code, report) = check_json(&zip_path, &["--name", "SMITH^JOHN"]);
    assert_eq!(code, 0, "{}", problems(&report));
    assert_eq!(findings(&report, "integrity"), Vec::<&Value>::new());
    // The viewer's three files, and one resource fork per file: other files, none of them broken images.
    assert_eq!(
        report["counts"]["non_dicom_files"].as_u64(),
        Some(3 + written.all_files().len() as u64),
        "{}",
        report["counts"]
    );
    assert_eq!(report["counts"]["unreadable_files"], 0);
}
