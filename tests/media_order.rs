//! The on-disc-order reader (`--media optical`) and the parallel reader give identical reports.

mod common;

use std::path::Path;

use common::check_json;
use dicomcheck_fixture::{
    DiscSpec, PatientSpec, SeriesSpec, StudySpec, sample_disc, truncate_file, write_disc,
    write_junk, write_zero_byte,
};

/// The `--json` report for `root` read in `media` mode, without the wall time and the time of the check, and
/// the exit code.
fn report(root: &Path, media: &str) -> (serde_json::Value, i32) {
    let (code, mut json) = check_json(root, &["--name", "SMITH^JOHN", "--media", media]);
    let elapsed = json.as_object_mut().unwrap().remove("elapsed_seconds");
    assert!(elapsed.is_some_and(|e| e.is_f64()));
    let checked_at = json.as_object_mut().unwrap().remove("checked_at");
    assert!(checked_at.is_some_and(|t| t.is_string()));
    let images_elapsed = json["images"]
        .as_object_mut()
        .unwrap()
        .remove("elapsed_seconds");
    assert!(images_elapsed.is_some_and(|e| e.is_f64()));
    (json, code)
}

#[test]
fn ordered_and_parallel_readers_agree_on_a_good_disc() {
    let dir = tempfile::tempdir().unwrap();
    write_disc(dir.path(), &sample_disc()).unwrap();
    let parallel = report(dir.path(), "parallel");
    let optical = report(dir.path(), "optical");
    assert_eq!(parallel.1, 0);
    assert_eq!(parallel, optical);
    assert_eq!(report(dir.path(), "auto"), parallel);
}

#[test]
fn ordered_and_parallel_readers_agree_on_a_damaged_disc() {
    let dir = tempfile::tempdir().unwrap();
    let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
        .viewer_files(true)
        .study(
            StudySpec::new("CT CHEST")
                .series(SeriesSpec::ct(40).omit_slices(&[17]))
                .series(SeriesSpec::mr(12).multiframe(true)),
        )
        .study(
            StudySpec::new("OTHER").series(SeriesSpec::ct(5).patient(PatientSpec::new("DOE^JANE"))),
        );
    let disc = write_disc(dir.path(), &spec).unwrap();
    let files = &disc.series[0].instances;
    truncate_file(&disc.path(&files[3].path), 2_000).unwrap();
    write_zero_byte(&disc.path(&files[9].path)).unwrap();
    write_junk(&disc.path(&files[21].path), 5_000).unwrap();
    let parallel = report(dir.path(), "parallel");
    let optical = report(dir.path(), "optical");
    assert_eq!(parallel.1, 1);
    assert!(parallel.0["findings"].as_array().unwrap().len() >= 4);
    assert_eq!(parallel, optical);
}
