//! Interoperability with pydicom: dicomcheck reads the files pydicom ships (charset samples, truncated files,
//! every common transfer syntax, a real DICOMDIR and its variants) and agrees with what pydicom reads from them;
//! a CT stack written by pydicom passes, and loses a slice visibly when one is deleted.
//!
//! pydicom is required: `./scripts/test.sh` installs it. Files are always copied into temp dirs first.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{all_series, check_json, copy_tree, findings_at, named_paths};
use dicomcheck::charset::{Decoding, SpecificCharacterSet, decode};
use dicomcheck::read_header::{
    DefectKind, HeaderOutcome, InstanceRecord, PixelEncoding, read_header,
};
use serde_json::Value;

/// The system allocator, noting the largest single allocation made by a thread that asked to be watched.
struct Watched;

thread_local! {
    /// Largest allocation of this thread since [`largest_allocation`] started watching it.
    static LARGEST: Cell<Option<usize>> = const { Cell::new(None) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|largest| {
        if let Some(max) = largest.get() {
            largest.set(Some(max.max(size)));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; `note` neither allocates nor panics.
unsafe impl GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watched = Watched;

/// Runs `f` and returns its result with the largest single allocation it made on this thread.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|largest| largest.set(Some(0)));
    let result = f();
    let largest = LARGEST.with(|largest| largest.take()).unwrap_or_default();
    (result, largest)
}

const PROBE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/pydicom_probe.py"
);
const MISSING: &str =
    "python3 with pydicom is required for the interoperability tests: run ./scripts/test.sh";

/// Runs the pydicom probe script and parses its JSON output; fails the test when pydicom is unavailable.
fn probe(args: &[&Path]) -> Value {
    let output = Command::new("python3")
        .arg(PROBE)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{MISSING} (python3: {e})"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'pydicom'"),
        "{MISSING}\n{stderr}"
    );
    assert!(
        output.status.success(),
        "pydicom probe {args:?} failed:\n{stderr}"
    );
    serde_json::from_slice(&output.stdout).expect("probe prints JSON")
}

/// pydicom's bundled data directory.
fn data_dir() -> PathBuf {
    let dir = probe(&[Path::new("datadir")]);
    PathBuf::from(dir.as_str().expect("a path"))
}

/// Copies `names` from `from` into `to`.
fn copy_files(from: &Path, to: &Path, names: &[&str]) {
    for name in names {
        fs::copy(from.join(name), to.join(name))
            .unwrap_or_else(|e| panic!("copy {}: {e}", from.join(name).display()));
    }
}

/// The pydicom probe's `headers` answer for the given files, keyed by file name.
fn pydicom_headers(files: &[PathBuf]) -> BTreeMap<String, Value> {
    let mut args: Vec<&Path> = vec![Path::new("headers")];
    args.extend(files.iter().map(PathBuf::as_path));
    match probe(&args) {
        Value::Object(map) => map.into_iter().collect(),
        other => panic!("unexpected probe answer {other}"),
    }
}

/// dicomcheck's header record of a file, which must be a DICOM instance.
fn record(path: &Path) -> InstanceRecord {
    match read_header(path, Path::new(path.file_name().expect("file name"))) {
        HeaderOutcome::Instance(record) => *record,
        other => panic!("{}: not read as an instance: {other:?}", path.display()),
    }
}

/// Series instance UID → instance count, from the JSON report.
fn report_series(report: &Value) -> BTreeMap<String, u64> {
    all_series(report)
        .map(|s| {
            (
                s["series_instance_uid"].as_str().expect("uid").to_owned(),
                s["instances"].as_u64().expect("count"),
            )
        })
        .collect()
}

const CHARSET_FILES: &[&str] = &[
    "chrX1.dcm",
    "chrX2.dcm",
    "chrH31.dcm",
    "chrH32.dcm",
    "chrI2.dcm",
    "chrJapMulti.dcm",
    "chrJapMultiExplicitIR6.dcm",
    "chrKoreanMulti.dcm",
    "chrFren.dcm",
    "chrFrenMulti.dcm",
    "chrGerm.dcm",
    "chrRuss.dcm",
    "chrGreek.dcm",
    "chrArab.dcm",
    "chrHbrw.dcm",
    "chrSQEncoding.dcm",
    "chrSQEncoding1.dcm",
];

#[test]
fn charset_sample_names_decode_as_pydicom_decodes_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_files(&data_dir().join("charset_files"), dir.path(), CHARSET_FILES);
    let files: Vec<PathBuf> = CHARSET_FILES.iter().map(|n| dir.path().join(n)).collect();
    let expected = pydicom_headers(&files);
    assert_eq!(expected.len(), CHARSET_FILES.len());
    let mut mismatches = Vec::new();
    for path in &files {
        let file = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let Some(want) = expected[&file]["patient_name"].as_str() else {
            // chrSQEncoding*: the names are inside sequence items only; neither reads a root PatientName (these
            // small MR objects hold no image: read as non-image objects, not as files cut short).
            let name = match read_header(path, Path::new(&file)) {
                HeaderOutcome::Instance(record) if record.defect.is_none() => record.patient_name,
                other => {
                    mismatches.push(format!("{file}: not read whole: {other:?}"));
                    continue;
                }
            };
            if let Some(name) = name {
                mismatches.push(format!("{file}: dicomcheck {name:?}, pydicom none"));
            }
            continue;
        };
        let name = record(path).patient_name.expect("PatientName read");
        // pydicom drops trailing empty component groups (`Wang^XiaoDong=王^小東=`); DICOM treats them as absent.
        if name.text.trim_end_matches('=') != want || name.decoding != Decoding::Declared {
            mismatches.push(format!(
                "{file}: dicomcheck {:?} ({:?}), pydicom {want:?}",
                name.text, name.decoding
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn pydicom_truncated_files_fail_integrity_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let names = ["MR_truncated.dcm", "rtplan_truncated.dcm", "CT_small.dcm"];
    copy_files(&data_dir().join("test_files"), dir.path(), &names);
    let (code, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["verdict"], "fail");
    let named = named_paths(&report, "integrity", "fail").join("\n");
    assert!(named.contains("MR_truncated.dcm"), "{report:#}");
    assert!(named.contains("rtplan_truncated.dcm"), "{report:#}");
    assert!(!named.contains("CT_small.dcm"), "{report:#}");
    assert_eq!(report["counts"]["files"], 3);
}

/// pydicom's test files in every common encoding: explicit/implicit little and big endian, raw data sets,
/// JPEG baseline/extended/2000/LS, RLE, multi-frame, odd sizes, RT objects; the `rtdose_rle` pair writes every
/// element as explicit VR UN, the first one included, which dicom-rs's adaptive decoder reads as implicit VR.
const READABLE_FILES: &[&str] = &[
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_expb.dcm",
    "MR_small_padded.dcm",
    "MR_small_RLE.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "JPEG2000.dcm",
    "JPEG-lossy.dcm",
    "JPGExtended.dcm",
    "ExplVR_BigEnd.dcm",
    "ExplVR_LitEndNoMeta.dcm",
    "ExplVR_BigEndNoMeta.dcm",
    "image_dfl.dcm",
    "liver_1frame.dcm",
    "rtdose.dcm",
    "rtdose_1frame.dcm",
    "rtdose_rle.dcm",
    "rtdose_rle_1frame.dcm",
    "rtplan.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_small_odd.dcm",
    "examples_ybr_color.dcm",
];

/// pydicom-data's files read alongside: `explicit_VR-UN.dcm` starts with explicit VR UN elements and holds
/// JPEG 2000 Pixel Data of VR OW and undefined length (encapsulated, as DCMTK and pydicom read it).
const READABLE_DATA_FILES: &[&str] = &["explicit_VR-UN.dcm"];

#[test]
fn pydicom_test_files_read_with_the_uids_and_geometry_pydicom_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let test_files = data_dir().join("test_files");
    copy_files(&test_files, dir.path(), READABLE_FILES);
    for name in READABLE_DATA_FILES {
        fs::copy(common::pydicom_testdata(name), dir.path().join(name)).expect("copy");
    }
    // A raw data set (no preamble, no File Meta Information) written by pydicom itself.
    probe(&[
        Path::new("nometa"),
        &test_files.join("CT_small.dcm"),
        &dir.path().join("CT_small_nometa.dcm"),
    ]);
    let mut names: Vec<&str> = READABLE_FILES.to_vec();
    names.extend(READABLE_DATA_FILES);
    names.push("CT_small_nometa.dcm");
    let files: Vec<PathBuf> = names.iter().map(|n| dir.path().join(n)).collect();
    let expected = pydicom_headers(&files);
    let mut mismatches = Vec::new();
    for path in &files {
        let file = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let want = &expected[&file];
        let got = record(path);
        let as_u64 = |v: Option<u16>| v.map(u64::from);
        let checks = [
            (
                "SOP Instance UID",
                Value::from(got.sop_instance_uid.clone()),
                want["sop_instance_uid"].clone(),
            ),
            ("Rows", Value::from(as_u64(got.rows)), want["rows"].clone()),
            (
                "Columns",
                Value::from(as_u64(got.columns)),
                want["columns"].clone(),
            ),
            ("frames", Value::from(got.frames()), want["frames"].clone()),
        ];
        for (what, got, want) in checks {
            if got != want {
                mismatches.push(format!("{file}: {what} dicomcheck {got}, pydicom {want}"));
            }
        }
        if let Some(defect) = &got.defect {
            mismatches.push(format!("{file}: reported damaged: {defect:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    let (_, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(report["counts"]["dicom_files"], files.len(), "{report:#}");
    assert_eq!(report["counts"]["unreadable_files"], 0, "{report:#}");
    assert!(
        findings_at(&report, "integrity", "fail").is_empty(),
        "{report:#}"
    );
    assert!(
        findings_at(&report, "media", "fail").is_empty(),
        "{report:#}"
    );
}

/// pydicom's files of unusual structure that DCMTK and pydicom read (`dcmdump` shows the structure named):
/// `UN_sequence.dcm`, a CT object of one private element of VR UN and undefined length in an explicit VR data
/// set, a sequence in implicit VR (CP-246) two sequences deep; `priv_SQ.dcm`, an MR object of a private creator
/// and a private sequence in a UN value, without Pixel Data or Rows; `meta_missing_tsyntax.dcm`, a meta group
/// without Transfer Syntax UID before an implicit VR data set of nested private UN sequences and Pixel Data.
const ODD_STRUCTURE_FILES: &[&str] =
    &["UN_sequence.dcm", "priv_SQ.dcm", "meta_missing_tsyntax.dcm"];

#[test]
fn pydicom_files_of_odd_structure_are_read_whole_and_not_failed_as_damaged() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_files(
        &data_dir().join("test_files"),
        dir.path(),
        ODD_STRUCTURE_FILES,
    );
    for name in ODD_STRUCTURE_FILES {
        let path = dir.path().join(name);
        let got = record(&path);
        assert_eq!(got.defect, None, "{name}");
        // Read to the end or to the Pixel Data, not stopped early.
        let size = fs::metadata(&path).expect("size").len();
        let read_to = got.pixel_data.as_ref().map_or(size, |p| p.offset);
        assert_eq!(got.header_bytes, read_to, "{name}");
    }
    let un = record(&dir.path().join("UN_sequence.dcm"));
    assert_eq!(un.pixel_data, None);
    // A meta group without (0002,0000) before an implicit VR data set, read to its end. The data set (three
    // group 0008 elements of an RT Image object, then the end of the file) is what a file cut before its SOP
    // Class UID holds, byte for byte: it stays a cut file.
    copy_files(
        &data_dir().join("test_files"),
        dir.path(),
        &["no_meta_group_length.dcm"],
    );
    let plain = dir.path().join("no_meta_group_length.dcm");
    match read_header(&plain, Path::new("no_meta_group_length.dcm")) {
        HeaderOutcome::Unreadable(defect) => assert_eq!(
            (defect.kind, defect.detail.as_str()),
            (DefectKind::Truncated, "file ends before its image data")
        ),
        other => panic!("no_meta_group_length.dcm: {other:?}"),
    }
    let missing = record(&dir.path().join("meta_missing_tsyntax.dcm"));
    assert_eq!(&*missing.transfer_syntax, "");
    assert_eq!(
        missing.pixel_data.map(|p| p.encoding),
        Some(PixelEncoding::Native { declared_length: 2 })
    );

    // Each alone on a disc, as a patient would bring it.
    for name in ODD_STRUCTURE_FILES {
        let disc = tempfile::tempdir().expect("temp dir");
        copy_files(dir.path(), disc.path(), &[name]);
        let (_, report) = check_json(disc.path(), &["--no-name"]);
        assert_eq!(
            report["counts"]["unreadable_files"], 0,
            "{name}: {report:#}"
        );
        for check in ["integrity", "media"] {
            assert!(
                findings_at(&report, check, "fail").is_empty(),
                "{name}: {check} {report:#}"
            );
        }
    }
}

/// The `dicomdirtests` tree (DICOMDIR and the three patient folders) copied to a temp dir, with `dicomdir`
/// (a file name in the source folder) as its DICOMDIR.
fn dicomdir_tree(dicomdir: &str) -> tempfile::TempDir {
    let source = data_dir().join("test_files").join("dicomdirtests");
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&source, dir.path(), &|name| {
        name.starts_with("DICOMDIR") || name.contains('.') || name == "TINY_ALPHA"
    });
    fs::copy(source.join(dicomdir), dir.path().join("DICOMDIR")).expect("copy DICOMDIR");
    dir
}

#[test]
fn real_dicomdir_inventory_matches_pydicom_fileset_and_fails_patient() {
    let tree = dicomdir_tree("DICOMDIR");
    let fileset = probe(&[Path::new("fileset"), &tree.path().join("DICOMDIR")]);
    // Three patient folders, two Patient IDs: pydicom's FileSet groups them into two persons.
    let patients = fileset["patients"].as_object().expect("patients");
    assert!(patients.len() > 1);
    let mut want_series = BTreeMap::new();
    let mut want_studies = 0;
    for studies in patients.values() {
        for series in studies.as_object().expect("studies").values() {
            want_studies += 1;
            for (uid, count) in series.as_object().expect("series") {
                want_series.insert(uid.clone(), count.as_u64().expect("count"));
            }
        }
    }

    let (code, report) = check_json(tree.path(), &["--no-name"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["studies"].as_array().expect("studies").len(),
        want_studies
    );
    assert_eq!(report_series(&report), want_series);
    assert_eq!(report["counts"]["dicom_files"], fileset["instances"]);
    assert_eq!(
        report["patients"].as_array().expect("patients").len(),
        patients.len()
    );
    assert!(
        !findings_at(&report, "patient", "fail").is_empty(),
        "{report:#}"
    );
    assert!(
        findings_at(&report, "dicomdir", "fail").is_empty(),
        "{report:#}"
    );
    assert!(
        findings_at(&report, "dicomdir", "warn").is_empty(),
        "{report:#}"
    );
    assert!(
        findings_at(&report, "integrity", "fail").is_empty(),
        "{report:#}"
    );
}

/// Checks that the DICOMDIR variant `variant` parses and lists every file, like the original DICOMDIR, with no
/// `dicomdir` finding but the warning that a length overruns the file when `overrun`.
fn assert_variant_parses(variant: &str, overrun: bool) {
    let (_, reference) = check_json(dicomdir_tree("DICOMDIR").path(), &["--no-name"]);
    let tree = dicomdir_tree(variant);
    let (_, report) = check_json(tree.path(), &["--no-name"]);
    let dicomdir: Vec<&Value> = ["fail", "warn"]
        .iter()
        .flat_map(|s| findings_at(&report, "dicomdir", s))
        .filter(|f| !(overrun && is_overrun_warning(f)))
        .collect();
    assert!(dicomdir.is_empty(), "{variant}: {dicomdir:#?}");
    assert_eq!(
        findings_at(&report, "dicomdir", "warn")
            .into_iter()
            .filter(|f| is_overrun_warning(f))
            .count(),
        usize::from(overrun),
        "{variant}: {report:#}"
    );
    assert_eq!(
        report_series(&report),
        report_series(&reference),
        "{variant}"
    );
    // Every count but `bytes`: the variants differ in size from the original DICOMDIR.
    for count in [
        "files",
        "dicom_files",
        "non_dicom_files",
        "unreadable_files",
    ] {
        assert_eq!(
            report["counts"][count], reference["counts"][count],
            "{variant}: {count}"
        );
    }
}

#[test]
fn dicomdir_variants_parse_and_list_every_file() {
    for variant in ["DICOMDIR-reordered", "DICOMDIR-implicit", "DICOMDIR-bigEnd"] {
        assert_variant_parses(variant, false);
    }
}

/// The `dicomdir` warning that a length in the DICOMDIR overruns the data holding it.
fn is_overrun_warning(finding: &Value) -> bool {
    finding["severity"] == "warn"
        && finding["message"]
            .as_str()
            .is_some_and(|m| m.contains("says it is longer than the file"))
}

/// The last record's item length overruns the record sequence and the file by 24 bytes (two zero offsets
/// removed without fixing it), while the sequence length is right: read, with a warning.
#[test]
fn dicomdir_variant_without_offsets_parses() {
    assert_variant_parses("DICOMDIR-nooffset", true);
}

/// The dcmmkdir DICOMDIR (defined-length sequence and items) cut between two records reads with a warning,
/// the last record's file unlisted; cut inside a record (or inside an element) it is damaged.
#[test]
fn dicomdir_cut_between_records_warns_and_inside_a_record_fails() {
    let tree = dicomdir_tree("DICOMDIR");
    let path = tree.path().join("DICOMDIR");
    let bytes = fs::read(&path).expect("read DICOMDIR");
    // The last record: an item header (FFFE,E000) whose record names the last file.
    let last_item = bytes
        .windows(4)
        .rposition(|w| w == [0xFE, 0xFF, 0x00, 0xE0])
        .expect("an item");
    fs::write(&path, &bytes[..last_item]).expect("cut DICOMDIR");
    let (_, report) = check_json(tree.path(), &["--no-name"]);
    assert!(
        findings_at(&report, "dicomdir", "fail").is_empty(),
        "{report:#}"
    );
    let warnings = findings_at(&report, "dicomdir", "warn");
    assert!(warnings.iter().any(|f| is_overrun_warning(f)), "{report:#}");
    let unlisted = named_paths(&report, "dicomdir", "warn").join("\n");
    assert!(unlisted.contains("98892003/MR700/4648"), "{report:#}");

    for cut in [last_item + 8, last_item + 50, bytes.len() - 3] {
        fs::write(&path, &bytes[..cut]).expect("cut DICOMDIR");
        let (code, report) = check_json(tree.path(), &["--no-name"]);
        assert_eq!(code, 1, "cut at {cut}");
        let damaged = findings_at(&report, "dicomdir", "fail");
        assert!(
            damaged
                .iter()
                .any(|f| f["message"].as_str().is_some_and(|m| m.contains("damaged"))),
            "cut at {cut}: {report:#}"
        );
    }
}

/// The header of pydicom's `image_dfl.dcm` (Deflated Explicit VR Little Endian), a copy cut short, and a deflate
/// bomb (10 MB of zeros deflated after a valid file meta group) read without a large allocation.
#[test]
fn deflated_file_reads_as_pydicom_reads_it_and_damage_is_found() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_files(
        &data_dir().join("test_files"),
        dir.path(),
        &["image_dfl.dcm"],
    );
    let path = dir.path().join("image_dfl.dcm");
    let want = &pydicom_headers(std::slice::from_ref(&path))["image_dfl.dcm"];
    let got = record(&path);
    assert_eq!(&*got.transfer_syntax, "1.2.840.10008.1.2.1.99");
    assert_eq!(
        Value::from(got.sop_instance_uid.clone()),
        want["sop_instance_uid"]
    );
    assert_eq!(Value::from(got.rows.map(u64::from)), want["rows"]);
    assert_eq!(Value::from(got.columns.map(u64::from)), want["columns"]);
    assert_eq!(got.defect, None);
    let Some(PixelEncoding::Native { declared_length }) =
        got.pixel_data.as_ref().map(|p| p.encoding.clone())
    else {
        panic!("native pixel data expected");
    };
    assert_eq!(Some(declared_length), got.expected_pixel_bytes());

    let bytes = fs::read(&path).expect("read");
    // The deflate stream ends 8 bytes before the file does (trailing padding): cuts reach into the stream.
    for cut in [bytes.len() - 20, bytes.len() - 400, bytes.len() / 2] {
        let cut_path = dir.path().join(format!("cut{cut}.dcm"));
        fs::write(&cut_path, &bytes[..cut]).expect("write cut copy");
        let defect = match read_header(&cut_path, Path::new("cut.dcm")) {
            HeaderOutcome::Instance(record) => *record.defect.expect("a cut copy has a defect"),
            HeaderOutcome::Unreadable(defect) => defect,
            other => panic!("cut at {cut}: {other:?}"),
        };
        assert_eq!(
            defect.kind,
            DefectKind::Truncated,
            "cut at {cut}: {defect:?}"
        );
    }

    // The file meta group of image_dfl.dcm: preamble, DICM, (0002,0000) and the group it measures.
    let group_len = u32::from_le_bytes(bytes[140..144].try_into().expect("group length"));
    let mut bomb = bytes[..144 + group_len as usize].to_vec();
    let mut encoder = flate2::write::DeflateEncoder::new(&mut bomb, flate2::Compression::best());
    for _ in 0..10 {
        encoder.write_all(&[0; 1 << 20]).expect("deflate");
    }
    encoder.finish().expect("deflate");
    assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
    let bomb_path = dir.path().join("bomb.dcm");
    fs::write(&bomb_path, &bomb).expect("write bomb");
    let (outcome, largest) = largest_allocation(|| read_header(&bomb_path, Path::new("bomb.dcm")));
    let HeaderOutcome::Unreadable(defect) = outcome else {
        panic!("a data set of zeros read as {outcome:?}");
    };
    assert_eq!(defect.kind, DefectKind::Malformed, "{defect:?}");
    assert!(largest < 1 << 20, "largest allocation {largest} bytes");
}

/// Writes a 20-slice CT stack cloned from pydicom's `CT_small.dcm` by pydicom into `out`, leaving out slice
/// `omit` (1-based, 0 for none); returns the z of every slice written.
fn pydicom_stack(out: &Path, omit: u32) -> Vec<f64> {
    let source = data_dir().join("test_files").join("CT_small.dcm");
    let omit = omit.to_string();
    let files = probe(&[
        Path::new("stack"),
        &source,
        out,
        Path::new("20"),
        Path::new(&omit),
    ]);
    files
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["z"].as_f64().expect("z"))
        .collect()
}

#[test]
fn pydicom_written_stack_passes_and_a_deleted_slice_is_named_by_position() {
    let complete = tempfile::tempdir().expect("temp dir");
    let z = pydicom_stack(complete.path(), 0);
    assert_eq!(z.len(), 20);
    let (code, report) = check_json(complete.path(), &["--no-name"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "pass");
    let series = report_series(&report);
    assert_eq!(series.values().copied().collect::<Vec<_>>(), vec![20]);
    assert!(
        findings_at(&report, "slices", "fail").is_empty(),
        "{report:#}"
    );

    let gapped = tempfile::tempdir().expect("temp dir");
    let written = pydicom_stack(gapped.path(), 10);
    assert_eq!(written.len(), 19);
    let missing_z = z[9];
    assert!(!written.iter().any(|w| (w - missing_z).abs() < 0.01));
    let (code, report) = check_json(gapped.path(), &["--no-name"]);
    assert_eq!(code, 1, "{report:#}");
    let slices = findings_at(&report, "slices", "fail");
    assert_eq!(slices.len(), 1, "{report:#}");
    let missing = report["studies"][0]["series"][0]["missing"]
        .as_array()
        .expect("missing");
    assert_eq!(missing.len(), 1, "{report:#}");
    let label = missing[0].as_str().expect("label");
    let at: f64 = label
        .strip_prefix("z=")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("missing slice not named by z position: {label}"));
    assert!((at - missing_z).abs() < 0.01, "{label} vs z={missing_z}");
    // The finding names the files on either side of the gap: slices 9 and 11, renumbered 9 and 10.
    assert_eq!(
        slices[0]["paths"],
        serde_json::json!(["IM000009", "IM000010"])
    );
}

/// Japanese and Korean values written with ISO 2022 code extensions (PS3.5 Annexes H and I): JIS X 0201
/// katakana in G1 with and without `ESC ) I`, JIS X 0208 (`ESC $ B`) and JIS X 0212 (`ESC $ ( D`) kanji,
/// KS X 1001 (`ESC $ ) C`) hangul and hanja, escapes that end at a delimiter, decode as pydicom decodes them.
#[test]
fn iso2022_japanese_and_korean_names_decode_as_pydicom_decodes_them() {
    const JP: &str = "ISO 2022 IR 13|ISO 2022 IR 87";
    let cases: &[(&[u8], &str)] = &[
        (b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3", JP),
        (b"\x1b)I\xd4\xcf\xc0\xde^\x1b$B;3ED\x1b(B", JP),
        (b"\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J", JP),
        (b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B", "|ISO 2022 IR 87"),
        (b"\x1b$(D0!\x1b(B^Test", "|ISO 2022 IR 159"),
        (b"\x1b$B;3\x1b$(D0!\x1b(B", "|ISO 2022 IR 87|ISO 2022 IR 159"),
        (b"Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf", "|ISO 2022 IR 149"),
        (b"\x1b$)C\xc8\xab^\xb1\xe6", "|ISO 2022 IR 149"),
    ];
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut args: Vec<String> = vec!["names".to_string()];
    for (raw, terms) in cases {
        args.push(hex(raw));
        args.push((*terms).to_string());
    }
    let paths: Vec<&Path> = args.iter().map(Path::new).collect();
    let expected = probe(&paths);
    let mut mismatches = Vec::new();
    for (i, (raw, terms)) in cases.iter().enumerate() {
        let want = expected[i].as_str().expect("pydicom name");
        let charset = SpecificCharacterSet::from_raw(terms.replace('|', "\\").as_bytes());
        let got = decode(raw, &charset);
        if got.text.trim_end_matches('=') != want || got.decoding != Decoding::Declared {
            mismatches.push(format!("case {i}: dicomcheck {got:?}, pydicom {want:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
