//! The verified copy end to end: the copied tree passes `sha256sum -c MANIFEST.sha256`; an interrupted copy
//! resumes; a destination that fills up leaves no file looking complete; nothing is ever overwritten or written
//! inside the media; `--verify-copy` finds a changed or missing file weeks later.

mod common;

use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::rc::Rc;

use common::{check_json, copy_tree, files_under, run, sample_disc_dir};
use dicomcheck::copy::{
    CopyError, MANIFEST, PARTIAL_SUFFIX, REPORT_HTML, REPORT_JSON, REPORT_TEXT, Storage,
    StoredFile, copy_media, copy_media_with,
};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

fn sha256sum_check(dir: &Path) -> Output {
    Command::new("sha256sum")
        .args(["-c", "--strict", MANIFEST])
        .current_dir(dir)
        .output()
        .expect("run sha256sum")
}

/// A storage that holds `left` more bytes, then fails like a full disk.
struct FillsUp {
    left: Rc<Cell<u64>>,
}

struct Limited {
    file: File,
    left: Rc<Cell<u64>>,
}

impl Write for Limited {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.left.get().min(buf.len() as u64) as usize;
        if room == 0 && !buf.is_empty() {
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        let n = self.file.write(&buf[..room])?;
        self.left.set(self.left.get() - n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl StoredFile for Limited {
    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_all()
    }
}

impl Storage for FillsUp {
    fn create(&self, path: &Path) -> io::Result<Box<dyn StoredFile>> {
        Ok(Box::new(Limited {
            file: File::create(path)?,
            left: self.left.clone(),
        }))
    }
}

#[test]
fn a_copied_disc_passes_sha256sum_and_holds_the_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("copy");
    let out = run([
        sample_disc_dir().as_os_str(),
        "--name".as_ref(),
        "SMITH^JOHN".as_ref(),
        "--copy-to".as_ref(),
        dest.as_os_str(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stderr = out.stderr;
    assert!(stderr.contains("55 files"), "{stderr}");

    let check = sha256sum_check(&dest);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let ok_lines = String::from_utf8_lossy(&check.stdout)
        .matches(": OK")
        .count();
    assert_eq!(ok_lines, files_under(&sample_disc_dir()).len());

    let mut expected = files_under(&sample_disc_dir());
    expected.extend([MANIFEST, REPORT_HTML, REPORT_JSON, REPORT_TEXT].map(PathBuf::from));
    expected.sort();
    assert_eq!(files_under(&dest), expected);
    for relative in files_under(&sample_disc_dir()) {
        assert_eq!(
            fs::read(dest.join(&relative)).unwrap(),
            fs::read(sample_disc_dir().join(&relative)).unwrap()
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dest.join(REPORT_JSON)).unwrap()).unwrap();
    assert_eq!(json["verdict"], "pass");
    assert!(
        fs::read_to_string(dest.join(REPORT_TEXT))
            .unwrap()
            .contains("RESULT: PASS")
    );

    let verify = run(["--verify-copy".as_ref(), dest.as_os_str()]);
    assert_eq!(verify.code, 0);
    assert!(verify.stdout.contains("55 files match"));
}

#[test]
fn a_zip_is_copied_member_by_member_with_its_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("study.zip");
    let mut zip = ZipWriter::new(File::create(&zip_path).unwrap());
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for relative in files_under(&sample_disc_dir()) {
        zip.start_file(relative.to_str().unwrap(), options).unwrap();
        zip.write_all(&fs::read(sample_disc_dir().join(&relative)).unwrap())
            .unwrap();
    }
    zip.start_file("../escaped.dcm", options).unwrap();
    zip.write_all(b"never written").unwrap();
    zip.finish().unwrap();

    let dest = tmp.path().join("copy");
    let summary = copy_media(&zip_path, &dest, false).unwrap();
    assert_eq!(summary.files, files_under(&sample_disc_dir()).len());
    assert_eq!(summary.not_copied, [PathBuf::from("../escaped.dcm")]);
    assert!(sha256sum_check(&dest).status.success());
    assert!(!tmp.path().join("escaped.dcm").exists());
    assert_eq!(
        fs::read(dest.join("DICOM/ST000001/SE000001/IM000004")).unwrap(),
        fs::read(sample_disc_dir().join("DICOM/ST000001/SE000001/IM000004")).unwrap()
    );
}

#[test]
fn a_full_destination_stops_cleanly_and_the_rerun_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("copy");
    let total: u64 = files_under(&sample_disc_dir())
        .iter()
        .map(|r| fs::metadata(sample_disc_dir().join(r)).unwrap().len())
        .sum();
    let storage = FillsUp {
        left: Rc::new(Cell::new(total / 2)),
    };
    let err = copy_media_with(&sample_disc_dir(), &dest, false, &storage).unwrap_err();
    let CopyError::Full { path, .. } = &err else {
        panic!("{err}");
    };
    assert!(err.to_string().contains("destination is full"), "{err}");
    assert!(
        !dest.join(path).exists(),
        "the cut file must not look complete"
    );
    let done = files_under(&dest);
    assert!(!done.is_empty());
    assert!(
        done.iter()
            .all(|p| !p.to_string_lossy().ends_with(PARTIAL_SUFFIX))
    );
    assert!(!dest.join(MANIFEST).exists());
    for relative in &done {
        assert_eq!(
            fs::read(dest.join(relative)).unwrap(),
            fs::read(sample_disc_dir().join(relative)).unwrap(),
            "{}",
            relative.display()
        );
    }

    let summary = copy_media(&sample_disc_dir(), &dest, false).unwrap();
    assert_eq!(summary.already_there, done.len());
    assert_eq!(summary.copied + summary.already_there, summary.files);
    assert!(sha256sum_check(&dest).status.success());

    let again = copy_media(&sample_disc_dir(), &dest, false).unwrap();
    assert_eq!((again.copied, again.already_there), (0, summary.files));
}

#[test]
fn a_different_existing_file_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("copy");
    fs::create_dir_all(&dest).unwrap();
    fs::write(dest.join("README.TXT"), b"my own notes").unwrap();
    let out = run([
        sample_disc_dir().as_os_str(),
        "--copy-to".as_ref(),
        dest.as_os_str(),
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not overwritten"));
    assert_eq!(fs::read(dest.join("README.TXT")).unwrap(), b"my own notes");
    assert!(!dest.join(MANIFEST).exists());
}

#[test]
fn a_destination_inside_the_source_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let disc = tmp.path().join("disc");
    copy_tree(&sample_disc_dir(), &disc, &|_| false);
    let before = files_under(&disc);
    let out = run([
        disc.as_os_str(),
        "--copy-to".as_ref(),
        disc.join("DICOM/backup").as_os_str(),
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("inside the media"));
    assert!(out.stdout.is_empty());
    assert_eq!(files_under(&disc), before);
}

#[test]
fn verify_copy_finds_changed_and_missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("copy");
    copy_media(&sample_disc_dir(), &dest, false).unwrap();
    let changed = dest.join("DICOM/ST000002/SE000002/IM000003");
    let mut bytes = fs::read(&changed).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&changed, bytes).unwrap();
    fs::remove_file(dest.join("VIEWER.EXE")).unwrap();

    let (code, report) = check_json(&dest, &["--verify-copy"]);
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(
        report["changed"],
        serde_json::json!(["DICOM/ST000002/SE000002/IM000003"])
    );
    assert_eq!(report["missing"], serde_json::json!(["VIEWER.EXE"]));
    assert_eq!(
        report["verified"].as_u64().unwrap() as usize,
        files_under(&sample_disc_dir()).len() - 2
    );

    let none = run(["--verify-copy".as_ref(), tmp.path().as_os_str()]);
    assert_eq!(none.code, 2);
}

#[test]
fn a_file_listed_again_in_the_manifest_is_read_once_and_the_line_is_damaged() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("copy");
    copy_media(&sample_disc_dir(), &dest, false).unwrap();
    let manifest = dest.join(MANIFEST);
    let text = fs::read_to_string(&manifest).unwrap();
    let first = text.lines().next().unwrap().to_owned();
    fs::write(&manifest, format!("{text}{first}\n{first}\n")).unwrap();
    let verification = dicomcheck::copy::verify_copy(&dest).unwrap();
    assert_eq!(verification.verified, text.lines().count());
    assert_eq!(verification.bad_lines, 2);
    assert!(!verification.ok());
}
