//! Report: one [`Report`] value built from the scan, the catalog and the findings; rendered as the human
//! summary ([`human`]) or as JSON (its `Serialize` form is the documented `--json` contract).

pub mod html;
pub mod human;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::checks::date::{self, StudyDate};
use crate::checks::report_files::ReportItem;
use crate::checks::{CheckId, Finding, Medium, Outcome, Severity};
#[cfg(not(target_arch = "wasm32"))]
use crate::images::ImagesOutcome;
use crate::names::display_name;
use crate::scan::Scan;

/// The whole result of checking one media root. Fields are added, never renamed or removed.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always `dicomcheck`.
    pub tool: &'static str,
    /// The tool's version.
    pub version: &'static str,
    /// The media root as given.
    pub root: String,
    /// `pass` or `fail`.
    pub verdict: Verdict,
    /// The passport name as typed, if given.
    pub expected_name: Option<String>,
    /// The passport name as every text shows it (`SMITH JOHN`), if given.
    pub passport_name: Option<String>,
    /// Whether the name on the disc was compared with a passport name.
    pub name_checked: bool,
    /// Whether the user said the name is not to be compared (`--no-name`, an inventory).
    pub name_waived: bool,
    /// File counts.
    pub counts: Counts,
    /// The distinct persons found on the disc.
    pub patients: Vec<Patient>,
    /// The studies, in date order.
    pub studies: Vec<Study>,
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// Whether warnings count as failures (`--strict`).
    pub strict: bool,
    /// Wall time of the scan in seconds.
    pub elapsed_seconds: f64,
    /// When the check finished, UTC, RFC 3339 (`2026-11-20T10:15:42Z`).
    pub checked_at: String,
    /// What was checked: `optical` (CD/DVD), `usb`, `download` (.zip/.iso) or `folder`.
    pub medium: Medium,
    /// The radiologist's written report on the disc.
    pub radiology_report: RadiologyReport,
    /// The images phase (every byte read, every frame decoded), or `null` with `--quick`.
    pub images: Option<ImagesPhase>,
}

/// What the images phase did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImagesPhase {
    /// DICOM files read whole and decoded (files the header scan found damaged are not).
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Frames decoded to the declared size.
    pub frames_decoded: u64,
    /// Wall time of the phase in seconds.
    pub elapsed_seconds: f64,
}

/// A series' picture in the HTML report.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Thumbnail {
    /// Not drawn (images not opened, or nothing drawable).
    #[default]
    None,
    /// The middle image as a PNG data URI.
    Picture(String),
    /// The middle image is damaged.
    Damaged,
}

/// Whether the written report is on the disc, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RadiologyReport {
    /// True when at least one report was found.
    pub present: bool,
    /// Each report found.
    pub items: Vec<ReportItem>,
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing must be fixed (warnings allowed unless strict).
    Pass,
    /// Something must be fixed before leaving.
    Fail,
}

impl Verdict {
    /// The verdict for these findings.
    pub fn of(findings: &[Finding], strict: bool) -> Self {
        let threshold = if strict {
            Severity::Warn
        } else {
            Severity::Fail
        };
        if findings.iter().any(|f| f.severity >= threshold) {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }
}

/// How many files of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Regular files on the media.
    pub files: usize,
    /// Readable DICOM instances (DICOMDIR excluded).
    pub dicom_files: usize,
    /// Files that are not DICOM (viewer, pictures, DICOMDIR excluded).
    pub non_dicom_files: usize,
    /// DICOMDIR files (the disc's index), counted apart so that the counts add up to `files`.
    pub dicomdir_files: usize,
    /// Entries not read that are not among `files` (links, special files, unreadable folders, refused archive
    /// members); included in `unreadable_files`.
    pub entries_not_read: usize,
    /// DICOM files that cannot be used, plus entries that could not be read.
    pub unreadable_files: usize,
    /// Total size of the regular files.
    pub bytes: u64,
}

/// One person on the disc.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patient {
    /// PatientName as stored, decoded, with a pinyin reading where Chinese.
    pub name: String,
    /// The name check's outcome for this person: `pass`, `warn`, `fail`, or `null` without `--name`.
    pub name_match: Option<&'static str>,
    /// The name check's class (e.g. `EXACT`, `REVERSED`), or `null` without `--name`.
    pub name_class: Option<String>,
    /// Patient ID.
    pub id: Option<String>,
    /// Birth date, `YYYY-MM-DD` where valid, else as written.
    pub birth_date: Option<String>,
    /// Study Instance UIDs of this person's studies.
    pub studies: Vec<String>,
    /// The DICOMDIR names this person in a PATIENT record.
    pub in_dicomdir: bool,
    /// These records lack the ID, birth date or full name that tells two persons on the disc apart.
    pub unattributable: bool,
}

/// One study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Study {
    /// Study Instance UID.
    pub study_instance_uid: String,
    /// Study date `YYYY-MM-DD`, or `null` when missing or invalid.
    pub date: Option<String>,
    /// Study description.
    pub description: Option<String>,
    /// PatientName as shown for this study.
    pub patient_name: String,
    /// Patient ID of this study.
    pub patient_id: Option<String>,
    /// Modalities of its series.
    pub modalities: Vec<String>,
    /// Study time `HH:MM` (or as written).
    pub time: Option<String>,
    /// Accession number (the hospital's order number for the exam).
    pub accession_number: Option<String>,
    /// Institution that made the images.
    pub institution: Option<String>,
    /// Referring physician, as written.
    pub referring_physician: Option<String>,
    /// Its series.
    pub series: Vec<Series>,
}

/// One series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Series Instance UID.
    pub series_instance_uid: String,
    /// Series number.
    pub number: Option<i64>,
    /// Modality.
    pub modality: Option<String>,
    /// Series description.
    pub description: Option<String>,
    /// Number of instances (files).
    pub instances: usize,
    /// Number of frames (images); equals instances for single-frame images.
    pub frames: u64,
    /// Missing slices, as instance numbers (`#57`) or positions (`z=-118.75`).
    pub missing: Vec<String>,
    /// The same, structured: `{"axis":"z","position_mm":-118.75}` or `{"instance_number":57}`.
    pub missing_slices: Vec<MissingSlice>,
    /// True when the slice positions show a gap (a failure), false when only the numbering is odd.
    pub missing_confirmed: bool,
    /// Body Part Examined.
    pub body_part: Option<String>,
    /// Slice thickness in mm.
    pub slice_thickness_mm: Option<f64>,
    /// Spacing between slices in mm (declared, else the step between the first two positions).
    pub spacing_mm: Option<f64>,
    /// Frames decoded by the images phase, or `null` when the images were not opened (`--quick`).
    pub decoded: Option<u64>,
    /// The middle image, for the HTML report only.
    #[serde(skip)]
    pub thumbnail: Thumbnail,
}

/// One missing slice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MissingSlice {
    /// Where the slice should be, along a patient axis, in millimetres.
    Position {
        /// `x`, `y` or `z`.
        axis: String,
        /// Position along that axis, mm.
        position_mm: f64,
    },
    /// An instance number nobody uses.
    Instance {
        /// The Instance Number.
        instance_number: i64,
    },
}

impl MissingSlice {
    /// Parses the check's `z=-118.75` or `#57`.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(number) = text.strip_prefix('#') {
            return number
                .parse()
                .ok()
                .map(|instance_number| MissingSlice::Instance { instance_number });
        }
        let (axis, value) = text.split_once('=')?;
        Some(MissingSlice::Position {
            axis: axis.trim().to_string(),
            position_mm: value.trim().parse().ok()?,
        })
    }
}

impl Report {
    /// Counts of failures and warnings.
    pub fn problem_counts(&self) -> (usize, usize) {
        let count = |s| self.findings.iter().filter(|f| f.severity == s).count();
        (count(Severity::Fail), count(Severity::Warn))
    }
}

/// Builds the report from the scan, the catalog and what the checks found.
pub fn build(
    scan: &Scan,
    catalog: &Catalog,
    outcome: &Outcome,
    expected_name: Option<&str>,
    name_waived: bool,
    strict: bool,
) -> Report {
    let records = &scan.records;
    let patients = outcome
        .persons
        .iter()
        .zip(&outcome.names.verdicts)
        .map(|(person, verdict)| Patient {
            name: person.display(),
            name_match: verdict.as_ref().map(|v| match v.severity {
                Severity::Info => "pass",
                Severity::Warn => "warn",
                Severity::Fail => "fail",
            }),
            name_class: verdict.as_ref().and_then(|v| {
                serde_json::to_value(v.class)
                    .ok()
                    .and_then(|c| c.as_str().map(str::to_string))
            }),
            id: person.id.clone(),
            birth_date: person.birth_date.as_deref().map(|raw| {
                StudyDate::parse(raw)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|_| raw.to_string())
            }),
            studies: person.studies.clone(),
            in_dicomdir: person.in_dicomdir,
            unattributable: person.unattributable,
        })
        .collect();
    let studies = catalog
        .studies
        .iter()
        .map(|study| {
            let instances: Vec<_> = study.instances().map(|i| &records[i]).collect();
            let first = study.first(records);
            let mut modalities: Vec<String> = Vec::new();
            let series = study
                .series
                .iter()
                .map(|series| {
                    let head = series.first(records);
                    let assessment = outcome.series.get(&series.uid);
                    if let Some(m) = head
                        .modality
                        .as_deref()
                        .filter(|m| !modalities.iter().any(|x| x == m))
                    {
                        modalities.push(m.to_string());
                    }
                    let missing: Vec<String> =
                        assessment.map(|a| a.missing.clone()).unwrap_or_default();
                    let confirmed = !missing.is_empty()
                        && outcome.findings.iter().any(|f| {
                            f.check == CheckId::Slices
                                && f.severity == Severity::Fail
                                && f.series.as_deref() == Some(series.uid.as_str())
                        });
                    let details = head.details.as_deref();
                    Series {
                        missing_slices: missing
                            .iter()
                            .filter_map(|m| MissingSlice::parse(m))
                            .collect(),
                        missing_confirmed: confirmed,
                        body_part: details.and_then(|d| d.body_part.clone()),
                        slice_thickness_mm: head.slice_thickness,
                        spacing_mm: details
                            .and_then(|d| d.spacing_between_slices.as_deref())
                            .and_then(|v| v.split('\\').next()?.trim().parse().ok())
                            .or_else(|| position_step(&series.records(records))),
                        series_instance_uid: series.uid.clone(),
                        number: head.series_number,
                        modality: head.modality.as_deref().map(str::to_string),
                        description: head.series_description.as_ref().map(|d| d.text.clone()),
                        instances: series.instances.len(),
                        frames: assessment
                            .map(|a| a.frames)
                            .unwrap_or(series.instances.len() as u64),
                        missing,
                        decoded: None,
                        thumbnail: Thumbnail::None,
                    }
                })
                .collect();
            Study {
                study_instance_uid: study.uid.clone(),
                date: date::study_date(&instances).map(|d| d.to_string()),
                description: first.study_description.as_ref().map(|d| d.text.clone()),
                patient_name: first
                    .patient_name
                    .as_deref()
                    .map(display_name)
                    .unwrap_or_default(),
                patient_id: first
                    .patient_id
                    .as_ref()
                    .map(|id| id.text.trim().to_string())
                    .filter(|id| !id.is_empty()),
                modalities,
                time: study_detail(&instances, |d| d.study_time.as_deref().map(study_time)),
                accession_number: study_detail(&instances, |d| d.accession_number.clone()),
                institution: study_detail(&instances, |d| d.institution.clone()),
                referring_physician: study_detail(&instances, |d| {
                    d.referring_physician
                        .as_deref()
                        .map(|n| n.replace('^', " ").trim().to_string())
                }),
                series,
            }
        })
        .collect();
    let damaged_records = records.iter().filter(|r| r.defect.is_some()).count();
    Report {
        tool: "dicomcheck",
        version: env!("CARGO_PKG_VERSION"),
        root: scan.root.to_string_lossy().into_owned(),
        verdict: Verdict::of(&outcome.findings, strict),
        expected_name: expected_name.map(str::to_string),
        passport_name: expected_name
            .and_then(|n| crate::names::PassportName::parse(n).ok())
            .map(|p| p.display()),
        name_checked: expected_name.is_some(),
        name_waived,
        counts: Counts {
            files: scan.files,
            dicom_files: records.len() - damaged_records,
            non_dicom_files: scan.other_files.len() - outcome.broken_image_files,
            dicomdir_files: scan.dicomdirs.len(),
            entries_not_read: scan.skipped.len(),
            unreadable_files: scan.unreadable.len()
                + damaged_records
                + scan.skipped.len()
                + outcome.broken_image_files,
            bytes: scan.bytes,
        },
        patients,
        studies,
        // Requests in Chinese as staff read them: no DICOM separators or pinyin inside a sentence.
        findings: outcome
            .findings
            .iter()
            .cloned()
            .map(|mut f| {
                f.ask_zh = crate::checks::zh_sentence(&f.ask_zh);
                f
            })
            .collect(),
        strict,
        elapsed_seconds: scan.elapsed.as_secs_f64(),
        checked_at: utc_now(),
        medium: medium(scan),
        images: None,
        radiology_report: RadiologyReport {
            present: !outcome.radiology_reports.is_empty(),
            items: outcome.radiology_reports.clone(),
        },
    }
}

/// The first value a study's records give for one detail.
fn study_detail(
    instances: &[&crate::read_header::InstanceRecord],
    value: impl Fn(&crate::read_header::RecordDetails) -> Option<String>,
) -> Option<String> {
    instances
        .iter()
        .filter_map(|r| r.details.as_deref())
        .find_map(|d| value(d).filter(|v| !v.trim().is_empty()))
}

/// `HHMMSS.frac` as `HH:MM`; anything else as written.
fn study_time(raw: &str) -> String {
    let digits = raw.trim();
    if digits.len() >= 4 && digits[..4].bytes().all(|b| b.is_ascii_digit()) {
        format!("{}:{}", &digits[..2], &digits[2..4])
    } else {
        digits.to_string()
    }
}

/// The distance between the first two distinct slice positions of a series, mm.
fn position_step(records: &[&crate::read_header::InstanceRecord]) -> Option<f64> {
    let mut positions = records.iter().filter_map(|r| r.image_position);
    let first = positions.next()?;
    positions
        .map(|p| {
            ((p[0] - first[0]).powi(2) + (p[1] - first[1]).powi(2) + (p[2] - first[2]).powi(2))
                .sqrt()
        })
        .find(|d| *d > 0.01)
        .map(|d| (d * 100.0).round() / 100.0)
}

/// What kind of media `scan` read, for the staff note's wording.
fn medium(scan: &Scan) -> Medium {
    if let Some(media) = &scan.media {
        if media.is_archive() {
            Medium::Download
        } else {
            Medium::Folder
        }
    } else if scan.root.is_file() {
        Medium::Folder
    } else if crate::media_order::is_optical(&scan.root) {
        Medium::Optical
    } else if crate::access::is_mount_point(&scan.root) {
        Medium::Usb
    } else {
        Medium::Folder
    }
}

#[cfg(not(target_arch = "wasm32"))]
/// Adds what the images phase found: frames decoded and a picture per series, and the phase's totals. The
/// report's studies and series are in the catalog's order.
pub fn add_images(report: &mut Report, catalog: &Catalog, opened: &ImagesOutcome) {
    for (study, reported) in catalog.studies.iter().zip(&mut report.studies) {
        for (series, out) in study.series.iter().zip(&mut reported.series) {
            out.decoded = Some(
                series
                    .instances
                    .iter()
                    .filter_map(|&i| opened.of(i))
                    .map(|d| u64::from(d.frames_decoded))
                    .sum(),
            );
            let middle = series.instances.get(series.instances.len() / 2);
            out.thumbnail = match middle.and_then(|&i| opened.of(i)) {
                Some(d) if d.problems.iter().any(|p| p.kind.is_damage()) => Thumbnail::Damaged,
                Some(d) => d
                    .thumbnail
                    .clone()
                    .map_or(Thumbnail::None, Thumbnail::Picture),
                None => Thumbnail::None,
            };
        }
    }
    report.images = Some(ImagesPhase {
        files: opened.files.len(),
        bytes: opened.bytes,
        frames_decoded: opened
            .files
            .iter()
            .map(|f| u64::from(f.decoded.frames_decoded))
            .sum(),
        elapsed_seconds: opened.elapsed.as_secs_f64(),
    });
}

/// The current time, UTC, as RFC 3339 to the second.
fn utc_now() -> String {
    let secs = web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let day = StudyDate::from_days_since_epoch(days).unwrap_or(StudyDate {
        year: 1970,
        month: 1,
        day: 1,
    });
    let rest = secs % 86_400;
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}
