//! The `media` check: is there any readable DICOM image at all, and if not, what is on the disc instead?

use std::path::Path;

use super::{CheckId, Finding, Severity, wording};
use crate::scan::Scan;

/// What a disc without readable DICOM holds instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagnosis {
    /// No files at all.
    Empty,
    /// Files that look like DICOM, none readable.
    AllDamaged,
    /// A link or QR code to an online "cloud film" viewer.
    CloudFilm,
    /// Pictures, PDFs or videos instead of DICOM.
    PicturesOnly,
    /// A viewer program and its files only.
    ViewerOnly,
    /// Other files, none of them DICOM.
    NoDicom,
}

/// Runs the check: a failure when no readable DICOM instance was found.
pub fn check(scan: &Scan) -> Vec<Finding> {
    if !scan.records.is_empty() {
        return Vec::new();
    }
    let texts = match diagnose(scan) {
        Diagnosis::Empty => wording::media_empty(),
        Diagnosis::AllDamaged => wording::media_all_damaged(scan.unreadable.len()),
        Diagnosis::CloudFilm => wording::media_cloud_film(),
        Diagnosis::PicturesOnly => wording::media_pictures_only(),
        Diagnosis::ViewerOnly => wording::media_viewer_only(),
        Diagnosis::NoDicom => wording::media_no_dicom(scan.files),
    };
    vec![texts.finding(CheckId::Media, Severity::Fail)]
}

/// Tells what a disc without readable DICOM holds.
pub fn diagnose(scan: &Scan) -> Diagnosis {
    if scan.files == 0 && scan.skipped.is_empty() {
        return Diagnosis::Empty;
    }
    if !scan.unreadable.is_empty() {
        return Diagnosis::AllDamaged;
    }
    let paths: Vec<&Path> = scan.other_files.iter().map(|f| f.path.as_path()).collect();
    if paths.iter().any(|p| is_cloud_film(p)) {
        Diagnosis::CloudFilm
    } else if paths.iter().any(|p| has_extension(p, PICTURES)) {
        Diagnosis::PicturesOnly
    } else if paths.iter().any(|p| has_extension(p, VIEWER)) {
        Diagnosis::ViewerOnly
    } else {
        Diagnosis::NoDicom
    }
}

const PICTURES: &[&str] = &[
    "jpg", "jpeg", "png", "bmp", "gif", "tif", "tiff", "pdf", "avi", "mp4", "wmv", "mov", "mpg",
    "mpeg",
];
const VIEWER: &[&str] = &[
    "exe", "dll", "inf", "msi", "app", "dmg", "jar", "html", "htm", "js", "ini", "cab",
];

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn is_cloud_film(path: &Path) -> bool {
    const KEYWORDS: &[&str] = &[
        "qrcode",
        "qr_code",
        "qr-code",
        "二维码",
        "云胶片",
        "云影像",
        "cloudfilm",
        "cloud_film",
        "cloud film",
    ];
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    has_extension(path, &["url", "webloc"])
        || stem == "qr"
        || KEYWORDS.iter().any(|k| stem.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_header::NotDicom;
    use crate::scan::OtherFile;

    fn disc(names: &[&str]) -> Scan {
        Scan {
            files: names.len(),
            other_files: names
                .iter()
                .map(|n| OtherFile {
                    path: n.into(),
                    size: 10,
                    reason: NotDicom::NoMarker,
                })
                .collect(),
            ..Scan::default()
        }
    }

    #[test]
    fn tells_what_is_on_a_disc_without_dicom() {
        assert_eq!(diagnose(&disc(&[])), Diagnosis::Empty);
        assert_eq!(
            diagnose(&disc(&["AUTORUN.INF", "VIEWER/VIEWER.EXE"])),
            Diagnosis::ViewerOnly
        );
        assert_eq!(
            diagnose(&disc(&["AUTORUN.INF", "IMAGES/IMG001.JPG"])),
            Diagnosis::PicturesOnly
        );
        assert_eq!(diagnose(&disc(&["report.pdf"])), Diagnosis::PicturesOnly);
        assert_eq!(diagnose(&disc(&["二维码.png"])), Diagnosis::CloudFilm);
        assert_eq!(
            diagnose(&disc(&["Open my images.url"])),
            Diagnosis::CloudFilm
        );
        assert_eq!(diagnose(&disc(&["DATA.BIN"])), Diagnosis::NoDicom);
    }

    #[test]
    fn a_disc_with_images_has_no_media_finding_and_one_without_fails() {
        let mut scan = disc(&["AUTORUN.INF"]);
        let findings = check(&scan);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Fail);
        assert!(findings[0].message.contains("viewer program"));
        scan.records.push(Default::default());
        assert!(check(&scan).is_empty());
    }
}
