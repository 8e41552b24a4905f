//! The `integrity` check: every DICOM file can be read whole; nothing that should be an image is junk.

use std::path::Path;

use dicom_encoding::TransferSyntaxIndex;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::{CheckId, Finding, Severity, display, wording};
use crate::read_header::{DefectKind, FileDefect, InstanceRecord, NotDicom, PixelEncoding};
use crate::scan::Scan;
use crate::walk::{SkipReason, Skipped};

/// Transfer syntaxes whose Pixel Data is stored uncompressed, so its length must match the image size.
const NATIVE_SYNTAXES: [&str; 4] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
];

/// Standard compressions that many viewers and PACS importers still cannot open.
const UNUSUAL_SYNTAXES: [(&str, &str); 8] = [
    ("1.2.840.10008.1.2.4.80", "JPEG-LS"),
    ("1.2.840.10008.1.2.4.81", "JPEG-LS (near-lossless)"),
    ("1.2.840.10008.1.2.4.110", "JPEG XL"),
    ("1.2.840.10008.1.2.4.111", "JPEG XL"),
    ("1.2.840.10008.1.2.4.112", "JPEG XL"),
    ("1.2.840.10008.1.2.4.201", "HTJ2K"),
    ("1.2.840.10008.1.2.4.202", "HTJ2K"),
    ("1.2.840.10008.1.2.4.203", "HTJ2K"),
];

/// Runs the check. `listed_in_dicomdir` tells whether the DICOMDIR lists a path (such a file must be DICOM).
pub fn check(scan: &Scan, listed_in_dicomdir: &dyn Fn(&Path) -> bool) -> Vec<Finding> {
    let mut damaged: Vec<(String, FileDefect)> = scan
        .unreadable
        .iter()
        .map(|u| (display(&u.path), u.defect.clone()))
        .chain(scan.records.iter().filter_map(|r| {
            r.defect
                .as_deref()
                .cloned()
                .or_else(|| pixel_defect(r))
                .map(|d| (display(&r.path), d))
        }))
        .collect();
    damaged.sort_by(|a, b| a.0.cmp(&b.0));

    let mut findings = Vec::new();
    for kind in [DefectKind::Truncated, DefectKind::Io] {
        let group: Vec<_> = damaged.iter().filter(|(_, d)| d.kind == kind).collect();
        if !group.is_empty() {
            findings.push(defect_finding(kind, &group));
        }
    }
    let malformed: Vec<_> = damaged
        .iter()
        .filter(|(_, d)| !matches!(d.kind, DefectKind::Truncated | DefectKind::Io))
        .collect();
    if !malformed.is_empty() {
        findings.push(defect_finding(DefectKind::Malformed, &malformed));
    }

    let should_be_dicom = |path: &Path| should_be_dicom(path, listed_in_dicomdir);
    let empty: Vec<_> = scan
        .other_files
        .iter()
        .filter(|f| f.reason == NotDicom::Empty && should_be_dicom(&f.path))
        .map(|f| display(&f.path))
        .collect();
    if !empty.is_empty() {
        findings.push(
            wording::empty_files(empty.len())
                .finding(CheckId::Integrity, Severity::Fail)
                .paths(empty),
        );
    }
    let junk: Vec<_> = scan
        .other_files
        .iter()
        .filter(|f| f.reason == NotDicom::NoMarker && should_be_dicom(&f.path))
        .map(|f| display(&f.path))
        .collect();
    if !junk.is_empty() {
        findings.push(
            wording::junk_files(junk.len())
                .finding(CheckId::Integrity, Severity::Fail)
                .paths(junk),
        );
    }
    findings.extend(transfer_syntax_findings(&scan.records));
    findings.extend(skipped_findings(scan));
    findings
}

/// A damage the header alone proves in a single-frame image read without error: native Pixel Data shorter than
/// the image size, or no compressed fragment at all. (Multi-frame images are counted frame by frame by the
/// slices check.)
pub(crate) fn pixel_defect(record: &InstanceRecord) -> Option<FileDefect> {
    if record.frames() > 1 {
        return None;
    }
    let pixel = record.pixel_data.as_ref()?;
    match pixel.encoding {
        PixelEncoding::Native { declared_length } => {
            if !NATIVE_SYNTAXES.contains(&&*record.transfer_syntax) {
                return None;
            }
            let expected = record.expected_pixel_bytes()?;
            (declared_length < expected).then(|| FileDefect {
                kind: DefectKind::Truncated,
                detail: wording::pixel_data_short(declared_length, expected),
            })
        }
        PixelEncoding::Encapsulated {
            items,
            complete: true,
        } => (items < 2).then(|| FileDefect {
            kind: DefectKind::Truncated,
            detail: wording::PIXEL_DATA_NO_FRAME.to_string(),
        }),
        PixelEncoding::Encapsulated {
            complete: false, ..
        } => None,
    }
}

fn defect_finding(kind: DefectKind, group: &[&(String, FileDefect)]) -> Finding {
    let n = group.len();
    let texts = match kind {
        DefectKind::Truncated => wording::truncated_files(n),
        DefectKind::Io => wording::unreadable_files(n),
        _ => wording::damaged_files(n),
    };
    texts
        .finding(CheckId::Integrity, Severity::Fail)
        .paths_with_reasons(
            group
                .iter()
                .map(|(path, defect)| (path.clone(), defect.detail.clone())),
        )
}

fn transfer_syntax_findings(records: &[InstanceRecord]) -> Vec<Finding> {
    let mut unknown: Vec<&InstanceRecord> = Vec::new();
    let mut unusual: Vec<(&InstanceRecord, &str)> = Vec::new();
    for record in records {
        if let Some((_, name)) = UNUSUAL_SYNTAXES
            .iter()
            .find(|(uid, _)| *uid == &*record.transfer_syntax)
        {
            unusual.push((record, name));
        } else if TransferSyntaxRegistry
            .get(&record.transfer_syntax)
            .is_none()
        {
            unknown.push(record);
        }
    }
    let mut findings = Vec::new();
    if !unknown.is_empty() {
        let mut uids: Vec<&str> = unknown
            .iter()
            .map(|r| match &*r.transfer_syntax {
                "" => "none declared",
                uid => uid,
            })
            .collect();
        uids.sort_unstable();
        uids.dedup();
        findings.push(
            wording::unknown_encoding(unknown.len(), &uids)
                .finding(CheckId::Integrity, Severity::Warn)
                .paths(unknown.iter().map(|r| display(&r.path))),
        );
    }
    if !unusual.is_empty() {
        let mut names: Vec<&str> = unusual.iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        findings.push(
            wording::unusual_compression(unusual.len(), &names)
                .finding(CheckId::Integrity, Severity::Warn)
                .paths(unusual.iter().map(|(r, _)| display(&r.path))),
        );
    }
    findings
}

fn skipped_findings(scan: &Scan) -> Vec<Finding> {
    let mut findings = Vec::new();
    let unreadable: Vec<(String, String)> = scan
        .skipped
        .iter()
        .filter_map(|s| match &s.reason {
            SkipReason::Unreadable(error) => Some((display(&s.relative), error.clone())),
            _ => None,
        })
        .collect();
    if !unreadable.is_empty() {
        findings.push(
            wording::unreadable_entries(unreadable.len())
                .finding(CheckId::Integrity, Severity::Fail)
                .paths_with_reasons(unreadable),
        );
    }
    let refused: Vec<(String, String)> = scan
        .skipped
        .iter()
        .filter_map(|s| match &s.reason {
            SkipReason::Archive(reason) => Some((display(&s.relative), reason.clone())),
            _ => None,
        })
        .collect();
    if !refused.is_empty() {
        findings.push(
            wording::archive_refused(refused.len())
                .finding(CheckId::Integrity, Severity::Fail)
                .paths_with_reasons(refused),
        );
    }
    let incomplete: Vec<&Skipped> = scan
        .skipped
        .iter()
        .filter(|s| matches!(s.reason, SkipReason::Incomplete(_)))
        .collect();
    if !incomplete.is_empty() {
        let archive = scan.root.file_name().map(Path::new);
        let lost = incomplete
            .iter()
            .filter(|s| Some(s.relative.as_path()) != archive)
            .count();
        findings.push(
            // A download cut short is the laptop's to fix: no request to the hospital.
            wording::download_incomplete(lost)
                .finding(CheckId::Integrity, Severity::Fail)
                .paths_with_reasons(incomplete.iter().map(|s| match &s.reason {
                    SkipReason::Incomplete(detail) => (display(&s.relative), detail.clone()),
                    _ => (display(&s.relative), String::new()),
                })),
        );
    }
    let shared: Vec<(String, String)> = scan
        .skipped
        .iter()
        .filter_map(|s| match &s.reason {
            SkipReason::SharedWith(owner) => Some((
                display(&s.relative),
                wording::same_bytes_as(&display(owner)),
            )),
            _ => None,
        })
        .collect();
    if !shared.is_empty() {
        findings.push(
            wording::shared_files(shared.len())
                .finding(CheckId::Integrity, Severity::Warn)
                .paths_with_reasons(shared),
        );
    }
    let special: Vec<String> = scan
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Special)
        .map(|s| display(&s.relative))
        .collect();
    if !special.is_empty() {
        findings.push(
            wording::special_entries(special.len())
                .finding(CheckId::Integrity, Severity::Warn)
                .paths(special),
        );
    }
    let links: Vec<String> = scan
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Symlink)
        .map(|s| display(&s.relative))
        .collect();
    if !links.is_empty() {
        findings.push(
            wording::symlinks(links.len())
                .finding(CheckId::Integrity, Severity::Info)
                .paths(links),
        );
    }
    findings
}

/// True when a file must be DICOM: the DICOMDIR lists it, or its name or place says so.
pub fn should_be_dicom(path: &Path, listed_in_dicomdir: &dyn Fn(&Path) -> bool) -> bool {
    listed_in_dicomdir(path) || looks_like_dicom_name(path)
}

/// Files whose name or place says they should be DICOM: a `.dcm`/`.dicom` extension, or anything without an
/// extension inside a folder named `DICOM`.
fn looks_like_dicom_name(path: &Path) -> bool {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("dcm" | "dicom" | "dic") => true,
        None => path.parent().is_some_and(|p| {
            p.components()
                .any(|c| c.as_os_str().eq_ignore_ascii_case("DICOM"))
        }),
        Some(_) => false,
    }
}
