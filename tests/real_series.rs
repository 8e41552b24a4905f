//! Real scanner series: the slice and DICOMDIR checks decide right on files real scanners wrote, and on series
//! derived at run time from a real scanner header (positions, orientations and volume attributes rewritten by
//! pydicom, every other attribute as the scanner wrote it). See tests/support/README.md for each file's origin
//! and licence; nothing is committed, the files come from PyPI packages `./scripts/test.sh` installs
//! (heudiconv 1.5.1, nibabel 5.4.2, both installed without their dependencies, only for their test data).
//!
//! A series' verdict here is that of the checks about its images (slices, integrity, dicomdir, media): these
//! anonymised files carry no patient name, so the name check always fails and is not what is tested.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{all_series, check_json, findings, findings_at, named_paths, problems};
use dicomcheck::read_header::{HeaderOutcome, read_header};
use serde_json::{Value, json};

const HELPER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/real_series.py");
const MISSING: &str =
    "python3 with pydicom, heudiconv and nibabel is required: run ./scripts/test.sh";

/// Runs the helper with `args` (and `stdin`), returning its JSON output.
fn helper(args: &[&str], stdin: Option<&Value>) -> Value {
    let mut child = Command::new("python3")
        .arg(HELPER)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{MISSING} (python3: {e})"));
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(value) = stdin {
            serde_json::to_writer(&mut input, value).expect("write spec");
        }
    }
    let out = child.wait_with_output().expect("helper output");
    assert!(
        out.status.success(),
        "{MISSING}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("helper JSON")
}

/// The data folders of the heudiconv and nibabel packages.
fn data() -> (PathBuf, PathBuf) {
    let found = helper(&["locate"], None);
    let path = |key: &str| PathBuf::from(found[key].as_str().expect("path"));
    (path("heudiconv"), path("nibabel"))
}

/// The real Siemens field map image the derived series start from (64×64, oblique, echo 2; heudiconv).
fn siemens_source() -> PathBuf {
    data()
        .0
        .join("01-fmap_acq-3mm/1.3.12.2.1107.5.2.43.66112.2016101409263663466202201.dcm")
}

fn copy_into(files: &[PathBuf], folder: &Path) {
    std::fs::create_dir_all(folder).expect("folder");
    for file in files {
        std::fs::copy(file, folder.join(file.file_name().expect("name"))).expect("copy");
    }
}

/// "fail" when a check about the images (not identity) fails, else "pass".
fn image_verdict(report: &Value) -> &'static str {
    let failing = ["slices", "integrity", "dicomdir", "media", "images"]
        .iter()
        .any(|check| !findings_at(report, check, "fail").is_empty());
    if failing { "fail" } else { "pass" }
}

/// Checks `root` and returns the report, asserting the image verdict.
fn expect(root: &Path, verdict: &str) -> Value {
    let (_, report) = check_json(root, &["--name", "DOE^JANE"]);
    assert_eq!(image_verdict(&report), verdict, "{}", problems(&report));
    report
}

/// The one failing `slices` message.
fn slices_failure(report: &Value) -> String {
    let fails = findings_at(report, "slices", "fail");
    assert_eq!(fails.len(), 1, "{}", problems(report));
    fails[0]["message"].as_str().expect("message").to_string()
}

#[test]
fn siemens_diffusion_mosaics_pass_and_a_lost_volume_fails() {
    // Siemens Prisma multiband DWI (heudiconv b0dwiForFmap): three mosaics of 81 slices, b = 5, 5, 1500.
    let source = data().0.join("b0dwiForFmap");
    let files: Vec<PathBuf> = (1..=3)
        .map(|i| source.join(format!("b0dwi_for_fmap+0000{i}.dcm")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    copy_into(&files, dir.path());
    let report = expect(dir.path(), "pass");
    assert_eq!(findings(&report, "slices"), Vec::<&Value>::new());
    let series: Vec<&Value> = all_series(&report).collect();
    assert_eq!((series.len(), &series[0]["instances"]), (1, &json!(3)));

    // The vendor b-value and gradient are read from the SIEMENS MR HEADER block of these implicit-VR files.
    let HeaderOutcome::Instance(record) = read_header(&files[2], Path::new("x")) else {
        panic!("not read");
    };
    let volume = record.volume.expect("volume tags");
    assert_eq!(volume.b_value, Some(1500.0));
    let g = volume.gradient.expect("gradient");
    assert!((g[0] - 0.999_996_4).abs() < 1e-6 && g[1] == 0.0 && (g[2] - 0.002_666_6).abs() < 1e-6);

    std::fs::remove_file(dir.path().join("b0dwi_for_fmap+00002.dcm")).unwrap();
    let report = expect(dir.path(), "fail");
    let message = slices_failure(&report);
    assert!(
        message.contains("image #2 is missing") && message.contains("whole volume"),
        "{message}"
    );
}

#[test]
fn nibabel_siemens_dti_mosaics_and_philips_enhanced_mr_pass() {
    let nibabel = data().1;
    let dir = tempfile::tempdir().unwrap();
    // CBU DTI (Siemens TrioTim) b=0 and b=1000 mosaics of one series; and the same series' pair 0.dcm / 1.dcm.
    let dti = dir.path().join("DTI");
    std::fs::create_dir_all(&dti).unwrap();
    for name in ["siemens_dwi_0", "siemens_dwi_1000", "philips_mprage"] {
        let out = dti.join(format!("{name}.dcm"));
        let src = nibabel.join(format!("{name}.dcm.gz"));
        helper(
            &["gunzip", src.to_str().unwrap(), out.to_str().unwrap()],
            None,
        );
    }
    let report = expect(dir.path(), "pass");
    assert_eq!(
        findings(&report, "slices"),
        Vec::<&Value>::new(),
        "{}",
        problems(&report)
    );
    let enhanced = all_series(&report)
        .find(|s| s["description"] == "MPRAGE_S2")
        .expect("Philips enhanced MR");
    assert_eq!(enhanced["frames"], 176, "Philips enhanced MR, 176 frames");

    let pair = tempfile::tempdir().unwrap();
    copy_into(&[nibabel.join("0.dcm"), nibabel.join("1.dcm")], pair.path());
    let report = expect(pair.path(), "pass");
    assert_eq!(findings(&report, "slices"), Vec::<&Value>::new());
}

/// Single images, scouts, a MIP and a 3-frame enhanced MPR (heudiconv and nibabel), on a stick that macOS and
/// Windows have both left their files on.
#[test]
fn single_images_scouts_and_derived_images_on_a_stick_with_os_leftovers_pass() {
    let (heudiconv, nibabel) = data();
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("DICOM");
    copy_into(
        &[
            siemens_source(),
            heudiconv.join("01-anat-scout/0001.dcm"),
            heudiconv.join("phantom.dcm"),
            heudiconv.join("axasc35.dcm"),
            heudiconv.join(
                "MRI_102TD_PHA_S.MR.Chen_Matthews_1.3.1.2022.11.16.15.50.20.357.31204541.dcm",
            ),
            nibabel.join("slicethickness_empty_string.dcm"),
        ],
        &images,
    );
    let report = expect(dir.path(), "pass");
    assert_eq!(report["counts"]["non_dicom_files"], 0);
    let slices_before = findings(&report, "slices").len();

    let leftovers = [
        ".DS_Store",
        "DICOM/.DS_Store",
        "DICOM/._phantom.dcm",
        "._DICOM",
        "Thumbs.db",
        "DICOM/desktop.ini",
        ".Spotlight-V100/Store-V2/A1/store.db",
        ".Trashes/501/old.dcm",
        ".fseventsd/0000000000123456",
        "System Volume Information/IndexerVolumeGuid",
        "$RECYCLE.BIN/S-1-5-21-1/$IAB12CD.dcm",
    ];
    for name in leftovers {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // AppleDouble magic, or bytes of no format: none of them is DICOM.
        std::fs::write(&path, b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ").unwrap();
    }
    let report = expect(dir.path(), "pass");
    assert_eq!(
        findings(&report, "integrity"),
        Vec::<&Value>::new(),
        "{}",
        problems(&report)
    );
    assert_eq!(report["counts"]["non_dicom_files"], leftovers.len());
    assert_eq!(findings(&report, "slices").len(), slices_before);

    // The same bytes under a real image's name still fail: only the system's own files are set aside.
    std::fs::write(images.join("IM000099.dcm"), b"\x00\x05\x16\x07junk").unwrap();
    let report = expect(dir.path(), "fail");
    assert_eq!(
        named_paths(&report, "integrity", "fail"),
        ["DICOM/IM000099.dcm"]
    );
}

/// One image of a derived series: where it lies, and what tells its volume apart.
fn image(file: String, instance: usize, ipp: [f64; 3], iop: [f64; 6], extra: Value) -> Value {
    let mut image = json!({"file": file, "instance": instance, "ipp": ipp, "iop": iop});
    if let (Some(image), Some(extra)) = (image.as_object_mut(), extra.as_object()) {
        image.extend(extra.clone());
    }
    image
}

/// Writes a series derived from the real Siemens header into `folder`.
fn derive(folder: &Path, description: &str, images: Vec<Value>) -> Vec<String> {
    let spec = json!({"description": description, "images": images});
    let written = helper(
        &[
            "derive",
            siemens_source().to_str().unwrap(),
            folder.to_str().unwrap(),
        ],
        Some(&spec),
    );
    written
        .as_array()
        .expect("paths")
        .iter()
        .map(|p| p.as_str().expect("path").to_string())
        .collect()
}

const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];

/// `positions` axial positions 4 mm apart × `volumes` volumes, numbered volume by volume; `tags(v)` gives the
/// attributes of volume `v`.
fn volumes(positions: usize, volumes: usize, tags: impl Fn(usize) -> Value) -> Vec<Value> {
    let mut images = Vec::new();
    for v in 0..volumes {
        for p in 0..positions {
            let n = v * positions + p + 1;
            let mut extra = tags(v);
            extra["acquisition"] = json!(v + 1);
            images.push(image(
                format!("IM{n:06}"),
                n,
                [-112.0, -120.0, 40.0 - 4.0 * p as f64],
                AXIAL,
                extra,
            ));
        }
    }
    images
}

fn diffusion(v: usize) -> Value {
    const D: f64 = std::f64::consts::FRAC_1_SQRT_2;
    let directions = [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [D, D, 0.0],
        [D, 0.0, D],
        [0.0, D, D],
    ];
    match v {
        0 => json!({"b": 0}),
        _ => json!({"b": 1000, "gradient": directions[(v - 1) % 6]}),
    }
}

#[test]
fn angled_lumbar_groups_pass_and_a_lost_slice_names_its_group() {
    // Lumbar spine T2 axials: one small stack per disc level, each angled to its disc (−8° … +18°), centred 35 mm
    // lower and 6 mm further forward than the one above; 3+3+3+4+4 slices, 4 mm apart.
    let groups = |sizes: &[usize]| {
        let angles = [-8.0f64, -3.0, 2.0, 9.0, 18.0];
        let mut images = Vec::new();
        for (g, &size) in sizes.iter().enumerate() {
            let a = angles[g].to_radians();
            let iop = [1.0, 0.0, 0.0, 0.0, a.cos(), -a.sin()];
            let normal = [0.0, a.sin(), a.cos()];
            for k in 0..size {
                let t = (k as f64 - size as f64 / 2.0) * 4.0;
                let ipp = [
                    -112.0,
                    -120.0 + 6.0 * g as f64 + t * normal[1],
                    60.0 - 35.0 * g as f64 + t * normal[2],
                ];
                let n = images.len() + 1;
                images.push(image(format!("IM{n:06}"), n, ipp, iop, json!({})));
            }
        }
        images
    };
    let dir = tempfile::tempdir().unwrap();
    derive(dir.path(), "T2 TSE AX LUMBAR", groups(&[3, 3, 3, 4, 4]));
    let report = expect(dir.path(), "pass");
    assert_eq!(
        findings(&report, "slices"),
        Vec::<&Value>::new(),
        "{}",
        problems(&report)
    );

    let lost = tempfile::tempdir().unwrap();
    let written = derive(lost.path(), "T2 TSE AX LUMBAR", groups(&[3, 3, 3, 5, 4]));
    std::fs::remove_file(&written[11]).unwrap();
    let message = slices_failure(&expect(lost.path(), "fail"));
    assert!(
        message.contains("in slice group 4 of 5, about 1 slice missing"),
        "{message}"
    );
}

#[test]
fn diffusion_series_complete_passes_and_a_lost_image_names_position_and_volume() {
    let dir = tempfile::tempdir().unwrap();
    let written = derive(dir.path(), "ep2d_diff_6dir", volumes(12, 7, diffusion));
    let report = expect(dir.path(), "pass");
    assert_eq!(
        findings(&report, "slices"),
        Vec::<&Value>::new(),
        "{}",
        problems(&report)
    );

    // Volume 5 (b = 1000, the 4th direction), position 7 of 12 (z = 16).
    std::fs::remove_file(&written[4 * 12 + 6]).unwrap();
    let report = expect(dir.path(), "fail");
    let message = slices_failure(&report);
    assert!(
        message.contains(
            "1 image missing at slice position 7 of 12 (the others hold 7 images each): the one of volume 5 \
             of 7 (b-value 1000)"
        ),
        "{message}"
    );
    let detail = findings(&report, "slices")[0]["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(
        detail.contains(
            "z = 16.0 mm: the one of volume 5 of 7 (b-value 1000, direction (0.71, 0.71, 0))"
        ),
        "{detail}"
    );
    let series = all_series(&report).next().expect("series");
    assert_eq!(series["missing"], json!(["z=16.0"]));

    // A whole volume lost (every position one image short alike): the image and acquisition numbers tell.
    let whole = tempfile::tempdir().unwrap();
    let written = derive(whole.path(), "ep2d_diff_6dir", volumes(12, 7, diffusion));
    for path in &written[2 * 12..3 * 12] {
        std::fs::remove_file(path).unwrap();
    }
    let message = slices_failure(&expect(whole.path(), "fail"));
    assert!(
        message.contains("images #25 to #36") && message.contains("acquisition #3 is missing too"),
        "{message}"
    );
}

#[test]
fn multi_echo_and_multi_phase_series_pass_and_a_lost_time_point_image_fails() {
    let echoes = tempfile::tempdir().unwrap();
    derive(
        echoes.path(),
        "gre_3echo",
        volumes(16, 3, |v| json!({"echo": v + 1})),
    );
    let report = expect(echoes.path(), "pass");
    assert_eq!(
        findings(&report, "slices"),
        Vec::<&Value>::new(),
        "{}",
        problems(&report)
    );

    let phases = tempfile::tempdir().unwrap();
    derive(
        phases.path(),
        "cine_sax",
        volumes(10, 8, |v| json!({"trigger": 42.5 * v as f64})),
    );
    let report = expect(phases.path(), "pass");
    assert_eq!(
        findings(&report, "slices"),
        Vec::<&Value>::new(),
        "{}",
        problems(&report)
    );

    let fmri = tempfile::tempdir().unwrap();
    let written = derive(
        fmri.path(),
        "bold_rest",
        volumes(10, 12, |v| json!({"temporal": v + 1})),
    );
    std::fs::remove_file(&written[8 * 10 + 3]).unwrap();
    let message = slices_failure(&expect(fmri.path(), "fail"));
    assert!(
        message.contains("slice position 4 of 10")
            && message.contains("the one of volume 9 of 12 (time point 9)"),
        "{message}"
    );
}

#[test]
fn philips_style_export_with_directory_files_in_sub_folders() {
    let staging = tempfile::tempdir().unwrap();
    let mut files = derive(staging.path(), "ep2d_diff_6dir", volumes(6, 3, diffusion));
    files.push(siemens_source().to_string_lossy().into_owned());
    let disc = tempfile::tempdir().unwrap();
    let mut args = vec!["fileset", disc.path().to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let written = helper(&args, None);
    let listed: Vec<String> = written
        .as_array()
        .expect("paths")
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| *p != "DICOMDIR")
        .map(str::to_string)
        .collect();
    assert_eq!(listed.len(), 19, "{listed:?}");
    // As Philips consoles export: the root's index again in sub-folders, its file IDs from the File-set root.
    let patient = Path::new(&listed[0]).iter().next().expect("patient folder");
    let study = Path::new(&listed[0]).iter().take(2).collect::<PathBuf>();
    for folder in [PathBuf::from(patient), study] {
        std::fs::copy(
            disc.path().join("DICOMDIR"),
            disc.path().join(folder).join("DIRFILE"),
        )
        .unwrap();
    }
    let report = expect(disc.path(), "pass");
    assert_eq!(
        findings(&report, "dicomdir"),
        Vec::<&Value>::new(),
        "{}",
        problems(&report)
    );

    let removed = &listed[listed.len() / 2];
    std::fs::remove_file(disc.path().join(removed)).unwrap();
    let report = expect(disc.path(), "fail");
    assert_eq!(
        named_paths(&report, "dicomdir", "fail"),
        [removed.as_str()],
        "reported once, at its real path: {}",
        problems(&report)
    );
}
