//! Archives end to end: a `.zip` or `.iso` of a disc gives the same report as the disc's folder; damaged,
//! encrypted, unsafe and bomb-like archives are findings, never crashes, and nothing is ever extracted.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_json_smith, copy_tree, files_under, sample_disc_dir};
use serde_json::Value;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// Zips every file of `dir` (deflated), then the `extra` members as given.
fn zip_dir(dir: &Path, zip_path: &Path, extra: &[(&str, Vec<u8>)]) {
    let mut zip = ZipWriter::new(fs::File::create(zip_path).unwrap());
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(false);
    for relative in files_under(dir) {
        let name = relative.to_str().unwrap().replace('\\', "/");
        zip.start_file(name, options).unwrap();
        zip.write_all(&fs::read(dir.join(&relative)).unwrap())
            .unwrap();
    }
    for (name, bytes) in extra {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// The report without what differs between runs of the same disc: its `root` (the folder or the archive), the
/// elapsed time and the time of the check.
fn without_root(mut report: Value) -> Value {
    let object = report.as_object_mut().unwrap();
    object.remove("root");
    object.remove("elapsed_seconds");
    object.remove("checked_at");
    // What was read differs by design: the medium names a download or a folder.
    object.remove("medium");
    if let Some(images) = object.get_mut("images").and_then(Value::as_object_mut) {
        images.remove("elapsed_seconds");
    }
    report
}

/// The findings of `check`, as (severity, message, paths joined).
fn findings(report: &Value, check: &str) -> Vec<(String, String, String)> {
    common::findings(report, check)
        .into_iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["paths"]
                    .as_array()
                    .map(|p| {
                        p.iter()
                            .map(|s| s.as_str().unwrap_or_default().to_string())
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn a_zip_of_a_good_disc_passes_with_the_same_report_as_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("study.zip");
    zip_dir(&sample_disc_dir(), &zip, &[]);
    let (folder_code, folder) = check_json_smith(&sample_disc_dir());
    let (zip_code, zipped) = check_json_smith(&zip);
    assert_eq!(folder_code, 0);
    assert_eq!(zip_code, 0, "{zipped:#}");
    assert_eq!(zipped["verdict"], "pass");
    assert_eq!(zipped["root"].as_str(), zip.to_str());
    assert_eq!(without_root(zipped), without_root(folder));
    assert_eq!(files_under(tmp.path()), [PathBuf::from("study.zip")]);
}

#[test]
fn a_zip_without_the_zip_extension_is_still_read_as_a_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("download");
    zip_dir(&sample_disc_dir(), &zip, &[]);
    let (code, report) = check_json_smith(&zip);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["counts"]["dicom_files"],
        check_json_smith(&sample_disc_dir()).1["counts"]["dicom_files"]
    );
}

#[test]
fn a_truncated_member_is_an_integrity_failure_naming_the_member() {
    let tmp = tempfile::tempdir().unwrap();
    let disc = tmp.path().join("disc");
    copy_tree(&sample_disc_dir(), &disc, &|_| false);
    let victim = disc.join("DICOM/ST000001/SE000001/IM000007");
    let len = fs::metadata(&victim).unwrap().len();
    dicomcheck_fixture::truncate_file(&victim, len - 100).unwrap();
    let zip = tmp.path().join("study.zip");
    zip_dir(&disc, &zip, &[]);

    let (code, report) = check_json_smith(&zip);
    assert_eq!(code, 1);
    let integrity = findings(&report, "integrity");
    assert!(
        integrity
            .iter()
            .any(|(severity, message, paths)| severity == "fail"
                && message.contains("cut short")
                && paths.contains("DICOM/ST000001/SE000001/IM000007")),
        "{integrity:#?}"
    );
    let (_, folder) = check_json_smith(&disc);
    assert_eq!(
        findings(&report, "integrity"),
        findings(&folder, "integrity")
    );
}

#[test]
fn a_corrupt_member_is_found_by_its_crc() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("study.zip");
    let mut writer = ZipWriter::new(fs::File::create(&zip).unwrap());
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let name = "DICOM/ST000001/SE000001/IM000003";
    for relative in files_under(&sample_disc_dir()) {
        writer
            .start_file(relative.to_str().unwrap(), stored)
            .unwrap();
        writer
            .write_all(&fs::read(sample_disc_dir().join(&relative)).unwrap())
            .unwrap();
    }
    writer.finish().unwrap();
    // Flip one pixel byte of the stored member: the header still reads, only the CRC can tell.
    let mut bytes = fs::read(&zip).unwrap();
    let original = fs::read(sample_disc_dir().join(name)).unwrap();
    let at = bytes
        .windows(original.len())
        .position(|w| w == original.as_slice())
        .expect("stored member bytes in the archive");
    bytes[at + original.len() - 10] ^= 0xFF;
    fs::write(&zip, &bytes).unwrap();

    let (code, report) = check_json_smith(&zip);
    assert_eq!(code, 1);
    let integrity = findings(&report, "integrity");
    assert!(
        integrity
            .iter()
            .any(|(severity, _, paths)| severity == "fail"
                && paths.contains(name)
                && paths.contains("CRC")),
        "{integrity:#?}"
    );
}

#[test]
fn zip_slip_names_are_findings_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = tmp.path().join("a/b");
    fs::create_dir_all(&inner).unwrap();
    let zip = inner.join("study.zip");
    let dicom = fs::read(sample_disc_dir().join("DICOM/ST000001/SE000001/IM000001")).unwrap();
    zip_dir(
        &sample_disc_dir(),
        &zip,
        &[
            ("../../evil.dcm", dicom.clone()),
            ("/tmp/absolute-evil.dcm", dicom),
        ],
    );
    let before = files_under(tmp.path());

    let (code, report) = check_json_smith(&zip);
    assert_eq!(code, 1, "{report:#}");
    let integrity = findings(&report, "integrity");
    let refused = integrity
        .iter()
        .find(|(_, message, _)| message.contains("could not be checked"))
        .unwrap_or_else(|| panic!("{integrity:#?}"));
    assert_eq!(refused.0, "fail");
    assert!(refused.2.contains("../../evil.dcm"), "{}", refused.2);
    assert!(
        refused.2.contains("/tmp/absolute-evil.dcm"),
        "{}",
        refused.2
    );
    assert_eq!(files_under(tmp.path()), before);
    assert!(!Path::new("/tmp/absolute-evil.dcm").exists());
    assert_eq!(
        report["counts"]["dicom_files"],
        check_json_smith(&sample_disc_dir()).1["counts"]["dicom_files"]
    );
}

#[test]
fn a_zip_bomb_member_is_a_finding_and_is_never_inflated() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("study.zip");
    zip_dir(
        &sample_disc_dir(),
        &zip,
        &[("DICOM/ST000001/SE000001/IM999999", vec![0u8; 64 << 20])],
    );
    assert!(fs::metadata(&zip).unwrap().len() < 2 << 20);
    let before = files_under(tmp.path());

    let (code, report) = check_json_smith(&zip);
    assert_eq!(code, 1);
    let integrity = findings(&report, "integrity");
    assert!(
        integrity
            .iter()
            .any(|(severity, _, paths)| severity == "fail"
                && paths.contains("IM999999")
                && paths.contains("zip bomb")),
        "{integrity:#?}"
    );
    assert_eq!(files_under(tmp.path()), before);
}

#[test]
fn an_encrypted_member_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("study.zip");
    zip_dir(&sample_disc_dir(), &zip, &[]);
    // Set the "encrypted" flag of the README member in its central directory record.
    let mut bytes = fs::read(&zip).unwrap();
    let name = b"README.TXT";
    let central = (0..bytes.len() - 46)
        .find(|&i| {
            bytes[i..i + 4] == *b"PK\x01\x02"
                && bytes.get(i + 46..i + 46 + name.len()) == Some(name)
        })
        .expect("central record");
    bytes[central + 8] |= 1;
    fs::write(&zip, &bytes).unwrap();

    let (code, report) = check_json_smith(&zip);
    assert_eq!(code, 1);
    let integrity = findings(&report, "integrity");
    assert!(
        integrity
            .iter()
            .any(|(_, _, paths)| paths.contains("README.TXT") && paths.contains("encrypted")),
        "{integrity:#?}"
    );
}

#[test]
fn a_cut_download_is_a_finding_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("study.zip");
    zip_dir(&sample_disc_dir(), &zip, &[]);
    let bytes = fs::read(&zip).unwrap();
    for cut in [0, 3, 100, bytes.len() / 2, bytes.len() - 1] {
        fs::write(&zip, &bytes[..cut]).unwrap();
        let (code, report) = check_json_smith(&zip);
        assert_eq!(code, 1, "cut at {cut}");
        assert_eq!(report["verdict"], "fail");
        let integrity = findings(&report, "integrity");
        assert!(
            integrity
                .iter()
                .any(|(_, _, paths)| paths.contains("study.zip") && paths.contains("cut short")),
            "cut at {cut}: {integrity:#?}"
        );
    }
}

/// Builds `disc.iso` from `dir` with `tool` and `args`; `None` when the tool is not installed.
fn iso_image(tool: &str, args: &[&str], dir: &Path, iso: &Path) -> Option<()> {
    if Command::new(tool).arg("-version").output().is_err() {
        eprintln!("{tool} not installed (scripts/test.sh installs it); ISO test skipped");
        return None;
    }
    let status = Command::new(tool)
        .args(args)
        .arg("-o")
        .arg(iso)
        .arg(dir)
        .output()
        .expect("run the ISO builder");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    Some(())
}

#[test]
fn files_a_real_iso_writer_stores_once_pass_with_a_warning_and_are_copied_once() {
    let tmp = tempfile::tempdir().unwrap();
    let disc = tmp.path().join("disc");
    copy_tree(&sample_disc_dir(), &disc, &|_| false);
    fs::hard_link(disc.join("README.TXT"), disc.join("README2.TXT")).unwrap();
    let iso = tmp.path().join("disc.iso");
    // genisoimage stores hard-linked files once (-cache-inodes): two directory records, one extent.
    let args = ["-quiet", "-J", "-R", "-cache-inodes"];
    if iso_image("genisoimage", &args, &disc, &iso).is_none() {
        return;
    }
    let (code, report) = check_json_smith(&iso);
    assert_eq!((code, &report["verdict"]), (0, &Value::from("pass")));
    let shared: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains("several names"))
        .collect();
    assert_eq!(shared.len(), 1, "{report:#}");
    assert_eq!(shared[0]["severity"], "warn");
    assert_eq!(
        shared[0]["paths"],
        serde_json::json!(["README2.TXT (the same bytes as README.TXT)"])
    );
    let copy = tmp.path().join("copy");
    let summary = dicomcheck::copy::copy_media(&iso, &copy, false).unwrap();
    assert_eq!(summary.not_copied, [PathBuf::from("README2.TXT")]);
    assert_eq!(
        fs::read(copy.join("README.TXT")).unwrap(),
        fs::read(disc.join("README.TXT")).unwrap()
    );
}

#[test]
fn an_iso_image_gives_the_same_report_as_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, folder) = check_json_smith(&sample_disc_dir());
    let builds: [(&str, &[&str]); 4] = [
        ("genisoimage", &["-quiet", "-J", "-R"]),
        ("genisoimage", &["-quiet", "-J"]),
        ("genisoimage", &["-quiet"]),
        ("xorriso", &["-as", "mkisofs", "-quiet", "-J", "-R"]),
    ];
    for (i, (tool, args)) in builds.iter().enumerate() {
        let iso = tmp.path().join(format!("disc{i}.iso"));
        if iso_image(tool, args, &sample_disc_dir(), &iso).is_none() {
            continue;
        }
        let (code, report) = check_json_smith(&iso);
        assert_eq!(code, 0, "{tool} {args:?}: {report:#}");
        assert_eq!(
            without_root(report),
            without_root(folder.clone()),
            "{tool} {args:?}"
        );
    }
}

#[test]
fn a_damaged_iso_image_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let iso = tmp.path().join("disc.iso");
    if iso_image(
        "genisoimage",
        &["-quiet", "-J", "-R"],
        &sample_disc_dir(),
        &iso,
    )
    .is_none()
    {
        return;
    }
    let bytes = fs::read(&iso).unwrap();
    for cut in [0, 40_000, bytes.len() / 2] {
        fs::write(&iso, &bytes[..cut]).unwrap();
        let (code, report) = check_json_smith(&iso);
        assert_eq!(code, 1, "cut at {cut}: {report:#}");
        assert_eq!(report["verdict"], "fail");
    }
}

#[test]
fn an_iso_image_with_folders_deeper_than_iso_9660_allows_reads_like_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let disc = tmp.path().join("disc");
    copy_tree(&sample_disc_dir(), &disc, &|_| false);
    let deep = disc.join("EXPORT/A/B/C/D/E/F/G/H/I");
    fs::create_dir_all(&deep).unwrap();
    fs::rename(
        disc.join("DICOM/ST000001/SE000001/IM000002"),
        deep.join("IM000002"),
    )
    .unwrap();
    let iso = tmp.path().join("disc.iso");
    if iso_image("genisoimage", &["-quiet", "-J", "-R"], &disc, &iso).is_none() {
        return;
    }
    let (folder_code, folder) = check_json_smith(&disc);
    let (code, report) = check_json_smith(&iso);
    assert_eq!(code, folder_code, "{report:#}");
    assert_eq!(report["counts"]["dicom_files"], 51, "{report:#}");
    assert_eq!(without_root(report), without_root(folder));
}

/// Scans `path` in process: must return, whatever the bytes.
fn scan_survives(path: &Path) -> usize {
    let scan = dicomcheck::scan::scan(path, &dicomcheck::scan::ScanOptions::default())
        .expect("an archive that exists always scans");
    scan.records.len()
}

#[test]
fn corrupted_archives_never_crash_or_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("study.zip");
    zip_dir(&sample_disc_dir(), &zip, &[]);
    let mut images = vec![(zip.clone(), fs::read(&zip).unwrap())];
    let iso = tmp.path().join("disc.iso");
    if iso_image(
        "genisoimage",
        &["-quiet", "-J", "-R"],
        &sample_disc_dir(),
        &iso,
    )
    .is_some()
    {
        images.push((iso.clone(), fs::read(&iso).unwrap()));
    }
    let intact = scan_survives(&zip);
    assert_eq!(intact, 51);
    for (path, bytes) in images {
        // The structures live at the start (ISO descriptors and folders) and the end (zip directory).
        let hot: Vec<usize> = (0..300)
            .map(|i| 16 * 2048 + i * 37)
            .chain((1..300).map(|i| bytes.len().saturating_sub(i * 7)))
            .filter(|&at| at < bytes.len())
            .collect();
        for (n, at) in hot.into_iter().enumerate() {
            let mut damaged = bytes.clone();
            damaged[at] ^= [0xFF, 0x80, 0x01][n % 3];
            fs::write(&path, &damaged).unwrap();
            assert!(scan_survives(&path) <= 52, "{} at {at}", path.display());
        }
    }
}

#[cfg(unix)]
#[test]
fn a_link_to_a_zip_given_as_the_root_is_read_as_the_zip() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = tmp.path().join("study.zip");
    zip_dir(&sample_disc_dir(), &zip, &[]);
    let link = tmp.path().join("latest-download");
    std::os::unix::fs::symlink(&zip, &link).unwrap();
    let (code, report) = check_json_smith(&link);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["counts"]["dicom_files"], 51);
}

/// Lists an archive held in memory through the read-at seam and reads its members the way the fuzz targets do
/// (`fuzz/fuzz_targets/iso9660.rs` and `zip.rs`), with the same invariants.
fn exercise(bytes: &[u8], kind: dicomcheck::archive::Kind) -> usize {
    use dicomcheck::archive::{Archive, Kind};
    use std::io::Read;
    let name = Path::new("media");
    let size = bytes.len() as u64;
    let (archive, walk) =
        Archive::from_source(std::sync::Arc::new(bytes.to_vec()), size, kind, name, name);
    assert!(walk.skipped.len() <= 1001, "skipped entries are capped");
    if kind == Kind::Iso {
        let listed: u64 = walk.files.iter().map(|f| f.size).sum();
        assert!(
            listed <= size,
            "{listed} bytes listed in a {size}-byte image"
        );
        for file in &walk.files {
            let (mut reader, member_size) = archive.open_member(&file.relative).unwrap();
            let mut all = Vec::new();
            reader.read_to_end(&mut all).unwrap();
            assert_eq!(all.len() as u64, member_size);
        }
    }
    for file in walk.files.iter().take(4) {
        let _ = archive.read_header(&file.relative);
    }
    walk.files.len()
}

#[test]
fn the_fuzz_seed_corpora_replay_without_a_panic() {
    use dicomcheck::archive::Kind;
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (target, kind) in [("iso9660", Kind::Iso), ("zip", Kind::Zip)] {
        let mut replayed = 0;
        for entry in fs::read_dir(seeds.join(target)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = fs::read(&path).unwrap();
            let files = exercise(&bytes, kind);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("seed-") {
                assert_eq!(files, 3, "{name}: the seed disc's three files");
            }
            replayed += 1;
        }
        assert!(replayed >= 2, "{target}: {replayed} inputs");
    }
}
