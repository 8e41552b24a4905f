//! Report: one [`Report`] value built from the scan, the catalog and the findings; rendered as the human
//! summary ([`human`]) or as JSON (its `Serialize` form is the documented `--json` contract).

pub mod html;
pub mod human;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::checks::date::{self, StudyDate};
use crate::checks::{Finding, Outcome, Severity};
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
    /// Modalities of its series.
    pub modalities: Vec<String>,
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
                    Series {
                        series_instance_uid: series.uid.clone(),
                        number: head.series_number,
                        modality: head.modality.as_deref().map(str::to_string),
                        description: head.series_description.as_ref().map(|d| d.text.clone()),
                        instances: series.instances.len(),
                        frames: assessment
                            .map(|a| a.frames)
                            .unwrap_or(series.instances.len() as u64),
                        missing: assessment.map(|a| a.missing.clone()).unwrap_or_default(),
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
                modalities,
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
        counts: Counts {
            files: scan.files,
            dicom_files: records.len() - damaged_records,
            non_dicom_files: scan.other_files.len() - outcome.broken_image_files,
            unreadable_files: scan.unreadable.len()
                + damaged_records
                + scan.skipped.len()
                + outcome.broken_image_files,
            bytes: scan.bytes,
        },
        patients,
        studies,
        findings: outcome.findings.clone(),
        strict,
        elapsed_seconds: scan.elapsed.as_secs_f64(),
        checked_at: utc_now(),
    }
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
