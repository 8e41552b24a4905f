//! The `images` check: every frame of every DICOM file was read from the media and decoded (by the images phase,
//! [`crate::images`]). One finding per series and kind of problem, naming the files and frames.

use super::slices::series_label;
use super::{CheckId, Finding, Severity, display, wording};
use crate::catalog::Catalog;
use crate::images::ImagesOutcome;
use crate::images::decode::{Decoded, Problem, ProblemKind};
use crate::scan::Scan;

/// Files named in a message; the finding's paths list them all.
const NAMED: usize = 5;

/// Runs the check on what the images phase found.
pub fn check(scan: &Scan, catalog: &Catalog, images: &ImagesOutcome) -> Vec<Finding> {
    let records = &scan.records;
    let mut findings = Vec::new();
    for study in &catalog.studies {
        for series in &study.series {
            let opened: Vec<(usize, &Decoded)> = series
                .instances
                .iter()
                .filter_map(|&i| images.of(i).map(|d| (i, d)))
                .collect();
            if opened.is_empty() {
                continue;
            }
            let instances = series.records(records);
            let label = series_label(&instances);
            let head = instances[0];
            let zh = wording::series_label_zh(
                head.series_number,
                head.modality.as_deref(),
                head.series_description.as_ref().map(|d| d.text.as_str()),
            );
            let with = |pick: &dyn Fn(&Problem) -> bool| -> Vec<(usize, &Problem)> {
                opened
                    .iter()
                    .filter_map(|&(i, d)| d.problems.iter().find(|p| pick(p)).map(|p| (i, p)))
                    .collect()
            };
            let read_errors = with(&|p| p.kind == ProblemKind::ReadError);
            let damaged = with(&|p| p.kind.is_damage() && p.kind != ProblemKind::ReadError);
            let not_decoded = with(&|p| !p.kind.is_damage());
            let groups = [
                (read_errors, Severity::Fail),
                (damaged, Severity::Fail),
                (not_decoded, Severity::Warn),
            ];
            for (group, severity) in groups {
                let Some(&(_, first)) = group.first() else {
                    continue;
                };
                let n = group.len();
                let texts = match first.kind {
                    ProblemKind::ReadError => wording::images_read_error(n, &label, &zh),
                    kind if kind.is_damage() => wording::images_damaged(n, &label, &zh),
                    _ => {
                        let mut names: Vec<&str> =
                            group.iter().map(|(_, p)| p.detail.as_str()).collect();
                        names.sort_unstable();
                        names.dedup();
                        wording::images_not_decoded(n, &label, &zh, &names)
                    }
                };
                let named: Vec<String> = group
                    .iter()
                    .take(NAMED)
                    .map(|&(i, p)| describe(&display(&records[i].path), p))
                    .collect();
                // What the decoder said, file by file, is for --verbose: the files are listed anyway.
                let mut finding = texts.finding(CheckId::Images, severity);
                finding.detail = named.join("; ");
                if n > NAMED {
                    finding.detail += &format!("; and {} more", n - NAMED);
                }
                findings.push(
                    finding
                        .paths(group.iter().map(|&(i, _)| display(&records[i].path)))
                        .study(study.uid.clone())
                        .series(series.uid.clone()),
                );
            }
            let decoded: u64 = opened
                .iter()
                .map(|(_, d)| u64::from(d.frames_decoded))
                .sum();
            let blank: Vec<usize> = opened
                .iter()
                .filter(|(_, d)| !d.blank_frames.is_empty())
                .map(|&(i, _)| i)
                .collect();
            let blank_frames: u64 = opened
                .iter()
                .map(|(_, d)| d.blank_frames.len() as u64)
                .sum();
            if !blank.is_empty() && blank_frames < decoded {
                let mut finding = wording::images_blank(blank.len(), &label, &zh)
                    .finding(CheckId::Images, Severity::Warn);
                let named: Vec<String> = blank
                    .iter()
                    .take(NAMED)
                    .map(|&i| display(&records[i].path))
                    .collect();
                finding.message = format!("{} {}", finding.message, named.join(", "));
                findings.push(
                    finding
                        .paths(blank.iter().map(|&i| display(&records[i].path)))
                        .study(study.uid.clone())
                        .series(series.uid.clone()),
                );
            }
        }
    }
    findings
}

/// `path (frame 3: detail)`.
fn describe(path: &str, problem: &Problem) -> String {
    match problem.frame {
        Some(frame) => format!("{path} (frame {}: {})", frame + 1, problem.detail),
        None => format!("{path} ({})", problem.detail),
    }
}
