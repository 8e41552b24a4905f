//! Checks: each turns the catalog into findings with a plain message and what to ask the counter staff.

pub mod date;
pub mod dicomdir;
pub mod dob;
pub mod integrity;
pub mod media;
pub mod name;
pub mod patient;
pub mod report_files;
pub mod slices;
pub(crate) mod wording;

pub use wording::{Medium, zh_sentence};

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::names::PassportName;
use crate::scan::Scan;
use date::{DateRange, StudyDate};
use name::NameOutcome;
use patient::Person;
use slices::SeriesAssessment;

/// What the user expects to find on the disc.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// The passport name (`--name`).
    pub passport: Option<PassportName>,
    /// The passport's name in Chinese characters (`--name-zh`).
    pub passport_zh: Option<String>,
    /// The birth date (`--dob`).
    pub dob: Option<StudyDate>,
    /// Days on which a scan must be on the disc (`--date`).
    pub dates: Vec<DateRange>,
    /// Today, for implausible future dates.
    pub today: StudyDate,
}

/// Everything the checks found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// The persons on the disc.
    pub persons: Vec<Person>,
    /// The name check's verdict per person.
    pub names: NameOutcome,
    /// Per Series Instance UID: frames and missing slices.
    pub series: HashMap<String, SeriesAssessment>,
    /// Per Study Instance UID: how messages name the study.
    pub study_labels: HashMap<String, String>,
    /// Files that are not DICOM although they should be (empty or junk image files): unreadable images.
    pub broken_image_files: usize,
    /// The radiologist's written reports found on the disc.
    pub radiology_reports: Vec<report_files::ReportItem>,
}

/// Runs every check on a scanned and catalogued disc.
pub fn run(scan: &Scan, catalog: &Catalog, expect: &Expectations) -> Outcome {
    let records = &scan.records;
    let directory = dicomdir::check(scan);
    let mut findings = media::check(scan);
    let listed = |path: &Path| directory.listed.contains(path);
    findings.extend(integrity::check(scan, &listed));
    let broken_image_files = scan
        .other_files
        .iter()
        .filter(|f| integrity::should_be_dicom(&f.path, &listed))
        .count();

    let mut study_labels = HashMap::new();
    let mut series_outcomes = HashMap::new();
    let mut dated = Vec::new();
    for study in &catalog.studies {
        let instances: Vec<_> = study.instances().map(|i| &records[i]).collect();
        let label = date::study_label(&instances);
        findings.extend(date::check_study_dates(
            &study.uid,
            &label,
            &instances,
            expect.today,
        ));
        dated.push((
            study.uid.clone(),
            label.clone(),
            date::study_date(&instances),
        ));
        for series in &study.series {
            let listed = directory.series_counts.get(&series.uid).copied();
            let assessment =
                slices::assess_series(&study.uid, &series.uid, &series.records(records), listed);
            findings.extend(assessment.findings.iter().cloned());
            series_outcomes.insert(series.uid.clone(), assessment);
        }
        study_labels.insert(study.uid.clone(), label);
    }
    if !expect.dates.is_empty() {
        findings.extend(date::check_expected_dates(&dated, &expect.dates));
    }
    findings.extend(directory.findings);

    let persons = patient::persons(records, catalog);
    let names = name::check(
        &persons,
        expect.passport.as_ref(),
        expect.passport_zh.as_deref(),
    );
    let yours = names.yours();
    findings.extend(names.findings.iter().cloned());
    findings.extend(patient::check(&persons, &study_labels, &yours));
    if let Some(dob) = expect.dob {
        findings.extend(dob::check(&persons, &yours, dob));
    }
    let radiology_reports = report_files::find(scan);
    if radiology_reports.is_empty() && !records.is_empty() {
        findings.push(wording::no_radiology_report().finding(CheckId::Report, Severity::Info));
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.check.cmp(&b.check)));
    // A download cut short explains everything else that looks wrong (missing files, damaged members, a disc
    // that seems empty): it is the one finding, so that nobody asks the hospital to re-burn anything.
    let cut_short = wording::download_incomplete().message;
    if let Some(index) = findings.iter().position(|f| f.message == cut_short) {
        findings = vec![findings.swap_remove(index)];
    }
    Outcome {
        radiology_reports,
        broken_image_files,
        findings,
        persons,
        names,
        series: series_outcomes,
        study_labels,
    }
}

/// The checks of the product, as named in the JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// Is there DICOM on the media at all?
    Media,
    /// Can every DICOM file be read whole?
    Integrity,
    /// Does the DICOMDIR agree with the files?
    Dicomdir,
    /// Is PatientName the passport name?
    Name,
    /// Is every study of the same person?
    Patient,
    /// Is the birth date the one given?
    Dob,
    /// Has every study a valid date (and the one expected)?
    Date,
    /// Is every series complete?
    Slices,
    /// Is the radiologist's written report on the disc? (a reminder, never a failure)
    Report,
}

impl CheckId {
    /// The id as printed (`media`, `integrity`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Media => "media",
            CheckId::Integrity => "integrity",
            CheckId::Dicomdir => "dicomdir",
            CheckId::Name => "name",
            CheckId::Patient => "patient",
            CheckId::Dob => "dob",
            CheckId::Date => "date",
            CheckId::Slices => "slices",
            CheckId::Report => "report",
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is. The verdict fails when any finding is `Fail` (or `Warn` with `--strict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record; nothing to do.
    Info,
    /// Probably fine, but worth fixing while still at the counter.
    Warn,
    /// Must be fixed before leaving.
    Fail,
}

/// One problem (or note) found by a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Which check found it.
    pub check: CheckId,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in plain words, naming what is on the disc.
    pub message: String,
    /// What to ask the counter staff to do, in plain words (empty for notes).
    pub ask: String,
    /// The same request in simplified Chinese, for the counter staff (empty for notes).
    pub ask_zh: String,
    /// Technical detail behind the plain message (slice positions, ...), shown with `--verbose`; empty if none.
    pub detail: String,
    /// Files concerned, relative to the media root.
    pub paths: Vec<String>,
    /// Study Instance UID concerned, if any.
    pub study: Option<String>,
    /// Series Instance UID concerned, if any.
    pub series: Option<String>,
}

impl Finding {
    /// A finding with a message and nothing else yet.
    pub fn new(check: CheckId, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            check,
            severity,
            message: message.into(),
            ask: String::new(),
            ask_zh: String::new(),
            detail: String::new(),
            paths: Vec::new(),
            study: None,
            series: None,
        }
    }

    /// Sets what to ask the staff, in English and Chinese.
    pub fn ask(mut self, en: impl Into<String>, zh: impl Into<String>) -> Self {
        self.ask = en.into();
        self.ask_zh = zh.into();
        self
    }

    /// Sets the files concerned.
    pub fn paths<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.paths = paths.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the study concerned.
    pub fn study(mut self, uid: impl Into<String>) -> Self {
        self.study = Some(uid.into());
        self
    }

    /// Sets the series concerned.
    pub fn series(mut self, uid: impl Into<String>) -> Self {
        self.series = Some(uid.into());
        self
    }
}

/// A path as shown to people (lossy for names that are not UTF-8).
pub fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `1 file` / `3 files`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
