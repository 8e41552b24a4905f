//! The radiologist's written report: images and report are two deliverables, so the summary says whether the
//! disc holds a report (a DICOM structured report, an encapsulated PDF or CDA document, or a document or picture
//! file whose name or folder marks it as a report) and reminds the patient to collect it when it does not.
//! Reads only the scan result; the reminder itself is worded in `wording.rs` and added by `checks::run`.

use std::path::Path;

use serde::Serialize;

use super::display;
use crate::scan::Scan;

/// A report found on the disc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportItem {
    /// `structured_report`, `encapsulated_pdf`, `encapsulated_cda` or `file`.
    pub kind: ReportKind,
    /// For files, the format from the extension (`PDF`, `DOC`, `HTML`, `JPEG`, ...).
    pub format: Option<String>,
    /// Path relative to the media root.
    pub path: String,
    /// For PDF reports (files and PDFs inside DICOM files), the number of pages; `null` when it cannot be told
    /// (a damaged or very large PDF) or for other formats.
    pub pages: Option<u32>,
}

/// What kind of object carries the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A DICOM Structured Report (text, enhanced, comprehensive).
    StructuredReport,
    /// A PDF inside a DICOM file.
    EncapsulatedPdf,
    /// An HL7 CDA document inside a DICOM file.
    EncapsulatedCda,
    /// A document or picture file named or foldered as a report.
    File,
}

/// Structured report SOP classes that hold a radiologist's findings (dose reports, key-object notes and CAD
/// results are not the written report).
const REPORT_SR_CLASSES: [&str; 5] = [
    "1.2.840.10008.5.1.4.1.1.88.11",
    "1.2.840.10008.5.1.4.1.1.88.22",
    "1.2.840.10008.5.1.4.1.1.88.33",
    "1.2.840.10008.5.1.4.1.1.88.34",
    "1.2.840.10008.5.1.4.1.1.88.35",
];
const ENCAPSULATED_PDF: &str = "1.2.840.10008.5.1.4.1.1.104.1";
const ENCAPSULATED_CDA: &str = "1.2.840.10008.5.1.4.1.1.104.2";

/// Words in a file or folder name that mark a report, lower case (Chinese, English, and the languages of
/// patients most often treated abroad).
const REPORT_WORDS: [&str; 12] = [
    "报告",
    "報告",
    "诊断",
    "診斷",
    "report",
    "befund",
    "rapport",
    "informe",
    "laudo",
    "referto",
    "заключение",
    "отчет",
];

/// File formats a report is delivered in, by extension, and how they are named.
const REPORT_FORMATS: [(&str, &str); 14] = [
    ("pdf", "PDF"),
    ("doc", "DOC"),
    ("docx", "DOC"),
    ("rtf", "RTF"),
    ("odt", "ODT"),
    ("wps", "WPS"),
    ("txt", "text"),
    ("htm", "HTML"),
    ("html", "HTML"),
    ("jpg", "JPEG"),
    ("jpeg", "JPEG"),
    ("png", "PNG"),
    ("bmp", "BMP"),
    ("tif", "TIFF"),
];

/// Every report on the disc, in path order.
pub fn find(scan: &Scan) -> Vec<ReportItem> {
    let mut items: Vec<ReportItem> = scan
        .records
        .iter()
        .filter(|r| r.defect.is_none())
        .filter_map(|r| {
            let class = &*r.sop_class_uid;
            let kind = if REPORT_SR_CLASSES.contains(&class) {
                ReportKind::StructuredReport
            } else if class == ENCAPSULATED_PDF {
                ReportKind::EncapsulatedPdf
            } else if class == ENCAPSULATED_CDA {
                ReportKind::EncapsulatedCda
            } else {
                return None;
            };
            let pages = (kind == ReportKind::EncapsulatedPdf)
                .then(|| pdf_pages(scan, &r.path, true))
                .flatten();
            Some(ReportItem {
                kind,
                format: None,
                path: display(&r.path),
                pages,
            })
        })
        .collect();
    items.extend(scan.other_files.iter().filter_map(|f| {
        let format = report_file_format(&f.path)?;
        (f.size > 0).then(|| ReportItem {
            kind: ReportKind::File,
            format: Some(format.to_string()),
            path: display(&f.path),
            pages: (format == "PDF")
                .then(|| pdf_pages(scan, &f.path, false))
                .flatten(),
        })
    }));
    items.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.path.cmp(&b.path)));
    items
}

/// Largest file a page count is read from: a written report is far smaller; a larger file is left uncounted.
const PDF_READ_CAP: u64 = 32 * 1024 * 1024;

/// The pages of a PDF file, or of the PDF inside a DICOM file (`in_dicom`).
fn pdf_pages(scan: &Scan, path: &Path, in_dicom: bool) -> Option<u32> {
    let bytes = scan.read_small_file(path, PDF_READ_CAP).ok()??;
    let pdf = if in_dicom {
        encapsulated_document(&bytes)?
    } else {
        &bytes
    };
    crate::pdf::page_count(pdf)
}

/// The value of Encapsulated Document (0042,0011) in a little-endian DICOM file, explicit or implicit VR: the
/// first occurrence of the tag whose value starts with `%PDF-`, up to its declared length when that fits, else
/// to the end of the file (bytes after a PDF's end do not change its page tree).
fn encapsulated_document(bytes: &[u8]) -> Option<&[u8]> {
    const TAG: [u8; 4] = [0x42, 0x00, 0x11, 0x00];
    let value = |at: usize, header: usize, length: &[u8]| -> Option<&[u8]> {
        let start = at.checked_add(header)?;
        let rest = bytes.get(start..)?;
        if !rest.starts_with(b"%PDF-") {
            return None;
        }
        let length = u32::from_le_bytes(length.try_into().ok()?);
        Some(
            usize::try_from(length)
                .ok()
                .and_then(|l| rest.get(..l))
                .unwrap_or(rest),
        )
    };
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == TAG)
        .find_map(|(at, _)| {
            let explicit = bytes.get(at + 4..at + 12).and_then(|h| {
                (h.get(..4) == Some(b"OB\0\0"))
                    .then(|| value(at, 12, h.get(4..8)?))
                    .flatten()
            });
            explicit.or_else(|| value(at, 8, bytes.get(at + 4..at + 8)?))
        })
}

/// The format of a file that is a report by its name or folder, else `None`.
fn report_file_format(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_string_lossy().to_lowercase();
    let format = REPORT_FORMATS
        .iter()
        .find(|(ext, _)| *ext == extension)
        .map(|(_, name)| *name)?;
    let named = path.iter().any(|part| {
        let part = part.to_string_lossy().to_lowercase();
        REPORT_WORDS.iter().any(|w| part.contains(w))
    });
    named.then_some(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_inside_a_dicom_file_is_its_encapsulated_document() {
        let pdf = b"%PDF-1.4 body";
        let mut explicit = b"DICM....".to_vec();
        explicit.extend_from_slice(&[0x42, 0x00, 0x11, 0x00, b'O', b'B', 0, 0]);
        explicit.extend_from_slice(&(pdf.len() as u32).to_le_bytes());
        explicit.extend_from_slice(pdf);
        explicit.extend_from_slice(&[0x42, 0x00, 0x12, 0x00, b'L', b'O', 16, 0]);
        assert_eq!(encapsulated_document(&explicit), Some(&pdf[..]));
        let mut implicit = vec![0x42, 0x00, 0x11, 0x00];
        implicit.extend_from_slice(&u32::MAX.to_le_bytes());
        implicit.extend_from_slice(pdf);
        implicit.push(0);
        assert_eq!(
            encapsulated_document(&implicit).map(<[u8]>::len),
            Some(pdf.len() + 1)
        );
        assert_eq!(
            encapsulated_document(b"\x42\x00\x11\x00OB\0\0\x05\0\0\0hello"),
            None
        );
    }

    #[test]
    fn report_files_are_known_by_name_or_folder_and_format() {
        assert_eq!(report_file_format(Path::new("REPORT.PDF")), Some("PDF"));
        assert_eq!(
            report_file_format(Path::new("报告/page1.jpg")),
            Some("JPEG")
        );
        assert_eq!(
            report_file_format(Path::new("Radiology_Report_2026.docx")),
            Some("DOC")
        );
        assert_eq!(report_file_format(Path::new("诊断报告.html")), Some("HTML"));
        assert_eq!(report_file_format(Path::new("viewer/help.html")), None);
        assert_eq!(report_file_format(Path::new("manual.pdf")), None);
        assert_eq!(report_file_format(Path::new("report.exe")), None);
        assert_eq!(report_file_format(Path::new("REPORT")), None);
    }
}
