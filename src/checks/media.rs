//! The `media` check: is there any readable DICOM image at all, and if not, what is on the disc instead?

use std::path::Path;

use super::{CheckId, Finding, Severity};
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
    let (message, ask, ask_zh) = match diagnose(scan) {
        Diagnosis::Empty => (
            "The disc is empty: there are no files on it.".to_string(),
            "Ask them to burn your scans onto the disc again, then check the new disc before you leave.",
            "光盘是空的，没有任何文件。请重新刻录影像，并当场检查。",
        ),
        Diagnosis::AllDamaged => (
            format!(
                "None of the {} image files on the disc can be read: the disc is damaged or badly burned.",
                scan.unreadable.len()
            ),
            "Ask for a new disc (or a USB stick), then check it before you leave.",
            "光盘中的影像文件全部无法读取，光盘已损坏或刻录失败。请重新刻录一张光盘或拷贝到U盘。",
        ),
        Diagnosis::CloudFilm => (
            "The disc only holds a link or QR code to an online \"cloud film\" viewer, not the images themselves. \
             Such links expire and often do not open abroad."
                .to_string(),
            "Ask for the original images in DICOM format on a disc or USB stick.",
            "光盘中只有云胶片链接或二维码，没有DICOM原始影像。链接会过期，在国外可能无法打开。请把DICOM原始影像刻录到光盘或U盘。",
        ),
        Diagnosis::PicturesOnly => (
            "The disc only holds pictures, documents or videos (JPEG, PDF, ...), not the scans themselves: \
             a doctor at home cannot use them like the original images."
                .to_string(),
            "Ask for the original images in DICOM format (\"DICOM原始影像\").",
            "光盘中只有图片、PDF或视频，没有DICOM原始影像。请刻录DICOM格式的原始影像。",
        ),
        Diagnosis::ViewerOnly => (
            "The disc only holds a viewer program, and no scan images.".to_string(),
            "Ask them to burn your scan images (DICOM) onto the disc, then check it again.",
            "光盘中只有看图软件，没有影像文件。请把DICOM影像刻录到光盘中。",
        ),
        Diagnosis::NoDicom => (
            format!("The disc holds {} files, but no medical images (DICOM) among them.", scan.files),
            "Ask them to burn your scan images in DICOM format, then check the disc again.",
            "光盘中没有DICOM格式的医学影像。请用DICOM格式刻录影像。",
        ),
    };
    vec![Finding::new(CheckId::Media, Severity::Fail, message).ask(ask, ask_zh)]
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
