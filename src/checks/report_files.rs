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
            Some(ReportItem {
                kind,
                format: None,
                path: display(&r.path),
            })
        })
        .collect();
    items.extend(scan.other_files.iter().filter_map(|f| {
        let format = report_file_format(&f.path)?;
        (f.size > 0).then(|| ReportItem {
            kind: ReportKind::File,
            format: Some(format.to_string()),
            path: display(&f.path),
        })
    }));
    items.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.path.cmp(&b.path)));
    items
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
