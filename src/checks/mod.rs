//! Checks: each turns the catalog into findings with a plain message and what to ask the counter staff.

pub mod date;
pub mod dicomdir;
pub mod dob;
#[cfg(not(target_arch = "wasm32"))]
pub mod images;
pub mod integrity;
pub mod media;
pub mod name;
pub mod patient;
pub mod report_files;
pub mod slices;
pub(crate) mod wording;

pub use wording::{Medium, zh_sentence};

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use crate::catalog::Catalog;
pub use crate::finding::{CheckId, Finding, Severity};
use crate::names::PassportName;
use crate::read_header::NotDicom;
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
    /// The user said the name is not to be compared (an inventory); without it and without a passport name,
    /// the `name` check fails as "not checked".
    pub name_waived: bool,
    /// The passport number (`--passport`).
    pub passport_number: Option<String>,
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

/// Runs every check on a scanned and catalogued disc; `dicomdir` is the disc's index if it was read during the
/// scan ([`dicomdir::read_ahead`]).
pub fn run(
    scan: &Scan,
    catalog: &Catalog,
    expect: &Expectations,
    dicomdir: Option<dicomdir::ReadAhead>,
) -> Outcome {
    let records = &scan.records;
    // The checks that follow run side by side, in parallel where they are per study or series, on the pool's
    // threads while this one waits; their findings are then taken in the order of one loop over the catalog.
    // The DICOMDIR cross-check, the studies' dates and the series' assessment from their files (the largest part
    // of the checks on a disc of many images) read nothing of each other.
    let (directory, (studies, from_files)) = rayon::join(
        || dicomdir::check(scan, dicomdir),
        || {
            rayon::join(
                || {
                    catalog
                        .studies
                        .par_iter()
                        .map(|study| {
                            let instances: Vec<_> =
                                study.instances().map(|i| &records[i]).collect();
                            let label = date::study_label(&instances);
                            let findings = date::check_study_dates(
                                &study.uid,
                                &label,
                                &instances,
                                expect.today,
                            );
                            (label, findings, date::study_date(&instances))
                        })
                        .collect::<Vec<_>>()
                },
                || {
                    catalog
                        .studies
                        .par_iter()
                        .flat_map_iter(|study| {
                            study.series.iter().map(move |series| (study, series))
                        })
                        .map(|(study, series)| {
                            let files = series.records(records);
                            slices::assess_from_files(&study.uid, &series.uid, &files)
                        })
                        .collect::<Vec<_>>()
                },
            )
        },
    );
    let listed = |path: &Path| directory.listed.contains(path);
    // The integrity check and the grouping into persons need the DICOMDIR's answers, as does the series'
    // assessment its count.
    let (integrity_findings, persons) = rayon::join(
        || integrity::check(scan, &listed),
        || patient::persons(records, catalog, &directory.patients),
    );
    let mut assessments = from_files.into_iter().map(|series| {
        let listed = directory.series_counts.get(series.series_uid()).copied();
        series.with_dicomdir_count(listed)
    });
    let mut findings = media::check(scan);
    findings.extend(integrity_findings);
    let broken_image_files = scan
        .other_files
        .iter()
        .filter(|f| {
            f.reason != NotDicom::SystemFile && integrity::should_be_dicom(&f.path, &listed)
        })
        .count();

    let mut study_labels = HashMap::new();
    let mut series_outcomes = HashMap::new();
    let mut dated = Vec::new();
    for (study, (label, date_findings, date)) in catalog.studies.iter().zip(studies) {
        findings.extend(date_findings);
        dated.push((study.uid.clone(), label.clone(), date));
        for (series, assessment) in study.series.iter().zip(&mut assessments) {
            findings.extend(assessment.findings.iter().cloned());
            series_outcomes.insert(series.uid.clone(), assessment);
        }
        study_labels.insert(study.uid.clone(), label);
    }
    if !expect.dates.is_empty() {
        findings.extend(date::check_expected_dates(&dated, &expect.dates));
    }
    findings.extend(directory.findings);

    let names = name::check(
        &persons,
        expect.passport.as_ref(),
        expect.passport_zh.as_deref(),
        expect.name_waived,
    );
    let yours = names.yours();
    findings.extend(names.findings.iter().cloned());
    findings.extend(patient::check(&persons, &study_labels, &yours));
    if let Some(number) = &expect.passport_number {
        findings.extend(patient::passport(records, number));
    }
    if let Some(dob) = expect.dob {
        findings.extend(dob::check(&persons, &yours, dob));
    }
    let radiology_reports = report_files::find(scan);
    if radiology_reports.is_empty() && !records.is_empty() {
        findings.push(wording::no_radiology_report().finding(CheckId::Report, Severity::Info));
    }
    settle(&mut findings);
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

/// Orders findings, most serious first; a download cut short is then the one finding: it explains everything
/// else that looks wrong (missing files, damaged members or images, a disc that seems empty), so that nobody asks
/// the hospital to re-burn anything. Run again once the images phase has added its findings.
pub fn settle(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.check.cmp(&b.check)));
    if let Some(index) = findings
        .iter()
        .position(|f| f.message.starts_with(wording::DOWNLOAD_INCOMPLETE))
    {
        let mut cut_short = findings.swap_remove(index);
        // The other findings' files stay on record (JSON, --verbose) under the one finding.
        for other in findings.drain(..) {
            cut_short.paths.extend(other.paths);
            cut_short.path_reasons.extend(other.path_reasons);
        }
        cut_short.paths.dedup();
        *findings = vec![cut_short];
    }
}

/// A path as shown to people and written into the JSON report: lossy for names that are not UTF-8, and with `/`
/// between components on every system (Windows writes `\`; on unix `\` is a character of a name and stays).
pub fn display(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// `1 file` / `3 files`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
