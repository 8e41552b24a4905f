//! The `slices` check: is every series complete? Decided from the slice geometry, the images per slice position,
//! the instance numbers, the counts other attributes declare (Images in Acquisition, the DICOMDIR) and, for
//! multi-frame objects, the frames.
//!
//! Geometry (`stacks.rs`): a series is split into stacks by orientation and by row (angled slice groups, scout
//! planes, separate blocks), each projected on its own normal (so gantry tilt and oblique planes are handled).
//! A stack is *regular* when its steps agree within 20 % of the median step, apart from steps over 1.5 × the
//! median, which are gaps. Only gaps in a regular stack fail; a stack that is not regular is re-judged per slice
//! thickness (two reconstructions in one series), and otherwise only warns. Volumes (`volumes.rs`): where positions
//! repeat (echoes, time points, diffusion directions), a position with fewer images than the others fails, named
//! by the volume it lacks. A Siemens mosaic holds a whole volume per file: a number missing from both the images
//! and the volumes fails.

use std::collections::BTreeMap;

use foldhash::HashMap;

use crate::checks::wording::{self, ObjectKind as NotStack, PositionEvidence, Texts};
use crate::checks::{CheckId, Finding, Severity};
use crate::read_header::{InstanceRecord, PixelEncoding};

mod stacks;
mod volumes;

/// What the `slices` check found about one series.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeriesAssessment {
    /// Findings of the `slices` check (and `integrity`, for multi-frame objects missing frames).
    pub findings: Vec<Finding>,
    /// The missing slices: positions (`z=-118.75`) when the geometry shows them, else instance numbers (`#57`).
    pub missing: Vec<String>,
    /// Frames in the series' images (a single-frame image counts one).
    pub frames: u64,
}

/// At most this many missing entries and paths are listed per finding.
const MAX_LISTED: usize = 64;

const SOP_SECONDARY_CAPTURE: &str = "1.2.840.10008.5.1.4.1.1.7";
const SOP_MULTI_FRAME_SECONDARY_CAPTURE_PREFIX: &str = "1.2.840.10008.5.1.4.1.1.7.";
const SOP_SR_PREFIX: &str = "1.2.840.10008.5.1.4.1.1.88.";
const SOP_DOSE_SR: [&str; 3] = [
    "1.2.840.10008.5.1.4.1.1.88.67",
    "1.2.840.10008.5.1.4.1.1.88.68",
    "1.2.840.10008.5.1.4.1.1.88.76",
];
const SOP_PRESENTATION_STATE_PREFIX: &str = "1.2.840.10008.5.1.4.1.1.11.";
const SOP_ENCAPSULATED_PREFIX: &str = "1.2.840.10008.5.1.4.1.1.104.";

/// How the report names a series to a patient: `series 3 CT 'Chest 1.25 mm'`.
pub fn series_label(instances: &[&InstanceRecord]) -> String {
    wording::series_label(
        series_number(instances),
        modality(instances),
        series_description(instances),
    )
}

/// The series named for Chinese staff: `CT序列3“Chest”`, `序列“Chest”`, or `该序列`.
fn series_label_zh(instances: &[&InstanceRecord]) -> String {
    wording::series_label_zh(
        series_number(instances),
        modality(instances),
        series_description(instances),
    )
}

fn series_number(instances: &[&InstanceRecord]) -> Option<i64> {
    instances.iter().find_map(|r| r.series_number)
}

fn modality<'a>(instances: &[&'a InstanceRecord]) -> Option<&'a str> {
    instances
        .iter()
        .filter_map(|r| r.modality.as_deref())
        .map(str::trim)
        .find(|m| !m.is_empty())
}

fn series_description<'a>(instances: &[&'a InstanceRecord]) -> Option<&'a str> {
    instances
        .iter()
        .filter_map(|r| r.series_description.as_ref())
        .map(|d| d.text.trim())
        .find(|d| !d.is_empty())
}

fn path_of(record: &InstanceRecord) -> String {
    super::display(&record.path)
}

fn paths_of<'a>(records: impl IntoIterator<Item = &'a InstanceRecord>) -> Vec<String> {
    records.into_iter().take(MAX_LISTED).map(path_of).collect()
}

/// Objects that carry no image at all.
fn is_document(kind: NotStack) -> bool {
    !matches!(kind, NotStack::Localizer | NotStack::SecondaryCapture)
}

fn not_stack(record: &InstanceRecord) -> Option<NotStack> {
    let sop = record.sop_class_uid.trim_end_matches(['\0', ' ']);
    if SOP_DOSE_SR.contains(&sop) {
        return Some(NotStack::DoseReport);
    }
    if sop.starts_with(SOP_SR_PREFIX) {
        return Some(NotStack::Report);
    }
    if sop.starts_with(SOP_PRESENTATION_STATE_PREFIX) {
        return Some(NotStack::PresentationState);
    }
    if sop.starts_with(SOP_ENCAPSULATED_PREFIX) {
        return Some(NotStack::Document);
    }
    if record.pixel_data.is_none() && record.rows.is_none() && record.defect.is_none() {
        return Some(NotStack::OtherObject);
    }
    let localizer = record.image_type.as_deref().is_some_and(|t| {
        t.split('\\')
            .any(|v| v.trim().eq_ignore_ascii_case("LOCALIZER"))
    });
    if localizer {
        return Some(NotStack::Localizer);
    }
    if sop == SOP_SECONDARY_CAPTURE || sop.starts_with(SOP_MULTI_FRAME_SECONDARY_CAPTURE_PREFIX) {
        return Some(NotStack::SecondaryCapture);
    }
    None
}

/// Frames the Pixel Data actually holds, when that can be told without reading it: native data from its length,
/// encapsulated data from its fragment count (each frame takes at least one fragment). `None` when unknown.
pub fn frames_in_pixel_data(record: &InstanceRecord) -> Option<u64> {
    match &record.pixel_data.as_ref()?.encoding {
        PixelEncoding::Native { declared_length } => {
            let bits = u64::from(record.bits_allocated?);
            if bits == 0 || !bits.is_multiple_of(8) {
                return None;
            }
            let frame_bytes = u64::from(record.rows?)
                .checked_mul(u64::from(record.columns?))?
                .checked_mul(u64::from(record.native_samples()))?
                .checked_mul(bits / 8)?;
            declared_length.checked_div(frame_bytes)
        }
        PixelEncoding::Encapsulated {
            items,
            complete: true,
        } => Some(u64::from(items.saturating_sub(1))),
        PixelEncoding::Encapsulated {
            complete: false, ..
        } => None,
    }
}

/// A coordinate in mm, with one or two decimals: `-120.0`, `-118.75`.
fn mm(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    let text = format!("{rounded:.2}");
    match text.strip_suffix('0') {
        Some(short) => short.to_string(),
        None => text,
    }
}

/// The numbers missing between the smallest and largest instance number, and the numbers used more than once.
fn numbering(
    stack: &[&InstanceRecord],
    number: impl Fn(&InstanceRecord) -> Option<i64>,
) -> (Vec<i64>, u64, Vec<i64>) {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for record in stack {
        if let Some(n) = number(record) {
            *counts.entry(n).or_default() += 1;
        }
    }
    let duplicates: Vec<i64> = counts
        .iter()
        .filter(|&(_, &c)| c > 1)
        .map(|(&n, _)| n)
        .collect();
    let mut listed = Vec::new();
    let mut total: u64 = 0;
    let numbers: Vec<i64> = counts.keys().copied().collect();
    for pair in numbers.windows(2) {
        let (low, high) = (pair[0], pair[1]);
        let gap = u64::try_from(i128::from(high) - i128::from(low) - 1).unwrap_or(u64::MAX);
        total = total.saturating_add(gap);
        let mut n = low;
        while listed.len() < MAX_LISTED && n < high - 1 {
            n += 1;
            listed.push(n);
        }
    }
    (listed, total, duplicates)
}

/// Keeps one record per SOP Instance UID when copies are identical; reports copies (warn) and different content
/// under one UID (fail).
fn deduplicate<'a>(
    instances: &[&'a InstanceRecord],
    finding: &dyn Fn(Severity, Texts) -> Finding,
    label: &str,
    zh: &str,
    findings: &mut Vec<Finding>,
) -> Vec<&'a InstanceRecord> {
    let mut by_uid: HashMap<&str, Vec<&'a InstanceRecord>> = HashMap::default();
    for &record in instances {
        let uid = record.sop_instance_uid.trim_end_matches(['\0', ' ']);
        if !uid.is_empty() {
            by_uid.entry(uid).or_default().push(record);
        }
    }
    let same = |a: &InstanceRecord, b: &InstanceRecord| {
        a.size == b.size
            && a.instance_number == b.instance_number
            && a.image_position == b.image_position
    };
    let mut copies: Vec<&InstanceRecord> = Vec::new();
    let mut extra_copies = 0usize;
    let mut conflicts: Vec<&InstanceRecord> = Vec::new();
    let mut kept = Vec::with_capacity(instances.len());
    for &record in instances {
        let uid = record.sop_instance_uid.trim_end_matches(['\0', ' ']);
        let group = by_uid.get(uid).map(Vec::as_slice).unwrap_or_default();
        let first_same = group
            .iter()
            .copied()
            .find(|other| same(other, record))
            .unwrap_or(record);
        if !std::ptr::eq(first_same, record) {
            extra_copies += 1;
            copies.extend([first_same, record]);
            continue;
        }
        if group.iter().any(|other| !same(other, record)) {
            conflicts.push(record);
        }
        kept.push(record);
    }
    copies.sort_by(|a, b| a.path.cmp(&b.path));
    copies.dedup_by(|a, b| a.path == b.path);
    if !conflicts.is_empty() {
        findings.push(
            finding(
                Severity::Fail,
                wording::same_uid_different_images(label, zh, conflicts.len()),
            )
            .paths(paths_of(conflicts.iter().copied())),
        );
    }
    if !copies.is_empty() {
        findings.push(
            finding(
                Severity::Warn,
                wording::identical_copies(label, zh, extra_copies),
            )
            .paths(paths_of(copies.iter().copied())),
        );
    }
    kept
}

/// Assesses one series: duplicates, readable images, slice geometry, instance numbering, declared counts
/// (Images in Acquisition, `listed_in_dicomdir`) and multi-frame completeness.
pub fn assess_series(
    study_uid: &str,
    series_uid: &str,
    instances: &[&InstanceRecord],
    listed_in_dicomdir: Option<usize>,
) -> SeriesAssessment {
    assess_from_files(study_uid, series_uid, instances).with_dicomdir_count(listed_in_dicomdir)
}

/// A series assessed from its files alone, waiting for the count of files the DICOMDIR lists for it: the
/// assessment, the longest part of the checks, need not wait for the DICOMDIR's cross-check, which runs beside it.
#[derive(Debug)]
pub struct FromFiles<'s> {
    study_uid: &'s str,
    series_uid: &'s str,
    label: String,
    zh: String,
    /// The series' files.
    files: usize,
    out: SeriesAssessment,
    /// Where among the findings the DICOMDIR's count goes when it exceeds `files`.
    dicomdir_at: usize,
    /// The failures are merged into one once the count is in (not for an empty or unreadable series).
    merge: bool,
}

impl FromFiles<'_> {
    /// The series' Series Instance UID.
    pub fn series_uid(&self) -> &str {
        self.series_uid
    }

    /// The assessment, with a failure when the DICOMDIR lists more files for the series than it has.
    pub fn with_dicomdir_count(self, listed_in_dicomdir: Option<usize>) -> SeriesAssessment {
        let mut out = self.out;
        if let Some(listed) = listed_in_dicomdir
            && self.files < listed
        {
            let texts = wording::fewer_than_dicomdir(&self.label, &self.zh, self.files, listed);
            let finding = series_finding(self.study_uid, self.series_uid, Severity::Fail, texts);
            out.findings.insert(self.dicomdir_at, finding);
        }
        if self.merge {
            merge_failures(&mut out.findings);
        }
        out
    }
}

/// [`assess_series`] but for the DICOMDIR's count.
pub fn assess_from_files<'s>(
    study_uid: &'s str,
    series_uid: &'s str,
    instances: &[&InstanceRecord],
) -> FromFiles<'s> {
    let label = series_label(instances);
    let zh = series_label_zh(instances);
    let finding =
        |severity: Severity, texts: Texts| series_finding(study_uid, series_uid, severity, texts);
    let mut out = SeriesAssessment::default();
    let unique = deduplicate(instances, &finding, &label, &zh, &mut out.findings);

    // What each record is, worked out once (it splits the image type into its values).
    let kinds_of: Vec<Option<NotStack>> = unique.iter().map(|r| not_stack(r)).collect();
    let with_kind = || unique.iter().copied().zip(kinds_of.iter().copied());
    let images: Vec<&InstanceRecord> = with_kind()
        .filter(|&(_, kind)| !kind.is_some_and(is_document))
        .map(|(r, _)| r)
        .collect();
    out.frames = images.iter().map(|r| u64::from(r.frames())).sum();
    let dicomdir_at = out.findings.len();

    let mut kinds: BTreeMap<NotStack, usize> = BTreeMap::new();
    for &kind in kinds_of.iter().flatten() {
        *kinds.entry(kind).or_default() += 1;
    }
    let stack: Vec<&InstanceRecord> = with_kind()
        .filter(|(_, kind)| kind.is_none())
        .map(|(r, _)| r)
        .collect();
    if stack.is_empty() && !kinds.is_empty() {
        let list: Vec<String> = kinds
            .iter()
            .map(|(&kind, &n)| wording::objects(kind, n))
            .collect();
        out.findings
            .push(finding(Severity::Info, wording::not_a_stack(&label, &list)));
    }

    let unreadable = !images.is_empty()
        && !images
            .iter()
            .any(|r| r.pixel_data.is_some() && r.defect.is_none());
    if unique.is_empty() {
        out.findings
            .push(finding(Severity::Fail, wording::series_empty(&label, &zh)));
    } else if unreadable {
        out.findings.push(
            finding(Severity::Fail, wording::series_unreadable(&label, &zh))
                .paths(paths_of(images.iter().copied())),
        );
    } else {
        check_frames(&images, &finding, &label, &zh, &mut out.findings);
        check_images_in_acquisition(
            &images,
            out.frames,
            &finding,
            &label,
            &zh,
            &mut out.findings,
        );
        if !stack.is_empty() {
            check_stack(&stack, &finding, &label, &zh, &mut out);
        }
    }
    FromFiles {
        study_uid,
        series_uid,
        label,
        zh,
        files: instances.len(),
        out,
        dicomdir_at,
        merge: !unique.is_empty() && !unreadable,
    }
}

/// A `slices` finding about one series of one study.
fn series_finding(study_uid: &str, series_uid: &str, severity: Severity, texts: Texts) -> Finding {
    texts
        .finding(CheckId::Slices, severity)
        .study(study_uid)
        .series(series_uid)
}

/// One series, one problem line: the failures of the `slices` check for a series (a geometric gap, the DICOMDIR
/// count, Images in Acquisition) are evidence of the same missing images, so they become one finding. The
/// geometric one, found last and the most precise, leads; the others follow as further evidence.
fn merge_failures(findings: &mut Vec<Finding>) {
    let (mut fails, others): (Vec<Finding>, Vec<Finding>) = findings
        .drain(..)
        .partition(|f| f.check == CheckId::Slices && f.severity == Severity::Fail);
    if let Some(mut merged) = fails.pop() {
        for finding in fails {
            merged.message.push(' ');
            merged.message.push_str(&finding.message);
            for path in finding.paths {
                if !merged.paths.contains(&path) {
                    merged.paths.push(path);
                }
            }
        }
        findings.push(merged);
    }
    findings.extend(others);
}

/// Multi-frame objects: the Pixel Data must hold Number of Frames frames (`integrity`, fail), and the per-frame
/// positions should cover every frame (`slices`, warn).
fn check_frames(
    images: &[&InstanceRecord],
    finding: &dyn Fn(Severity, Texts) -> Finding,
    label: &str,
    zh: &str,
    findings: &mut Vec<Finding>,
) {
    for record in images.iter().filter(|r| r.frames() > 1) {
        let declared = u64::from(record.frames());
        if let Some(held) = frames_in_pixel_data(record).filter(|&held| held < declared) {
            let mut f = finding(
                Severity::Fail,
                wording::frames_missing(label, zh, held, declared, &path_of(record)),
            )
            .paths([path_of(record)]);
            f.check = CheckId::Integrity;
            findings.push(f);
        }
        let positions = record.frame_positions().len() as u64;
        if positions > 0 && positions != declared {
            findings.push(
                finding(
                    Severity::Warn,
                    wording::frame_positions_differ(label, zh, positions, declared),
                )
                .paths([path_of(record)]),
            );
        }
    }
}

/// Fewer images than Images in Acquisition says, when all the images belong to one acquisition: fail.
fn check_images_in_acquisition(
    images: &[&InstanceRecord],
    frames: u64,
    finding: &dyn Fn(Severity, Texts) -> Finding,
    label: &str,
    zh: &str,
    findings: &mut Vec<Finding>,
) {
    let mut acquisitions: Vec<i64> = images.iter().filter_map(|r| r.acquisition_number).collect();
    acquisitions.sort_unstable();
    acquisitions.dedup();
    if acquisitions.len() > 1 {
        return;
    }
    let Some(declared) = images
        .iter()
        .filter_map(|r| r.images_in_acquisition)
        .filter(|&n| n > 0)
        .max()
    else {
        return;
    };
    let have = (images.len() as u64).max(frames);
    if have < declared.unsigned_abs() {
        findings.push(finding(
            Severity::Fail,
            wording::fewer_than_acquisition(label, zh, have, declared),
        ));
    }
}

/// True for a Siemens mosaic: one file holds every slice of a volume, so each file of the series is a volume.
fn is_mosaic(record: &InstanceRecord) -> bool {
    record.image_type.as_deref().is_some_and(|t| {
        t.split('\\')
            .any(|v| v.trim().eq_ignore_ascii_case("MOSAIC"))
    })
}

/// Geometry, counts per position and numbering of the stack images.
fn check_stack(
    images: &[&InstanceRecord],
    finding: &dyn Fn(Severity, Texts) -> Finding,
    label: &str,
    zh: &str,
    out: &mut SeriesAssessment,
) {
    let stacks = stacks::stacks(images);
    let (missing_numbers, missing_total, duplicates) = numbering(images, |r| r.instance_number);
    let numbers = (missing_total > 0).then(|| wording::numbers(&missing_numbers, missing_total));
    let judged = stacks.iter().filter(|s| s.positions.len() >= 3).count();
    let mut problems = Vec::new();
    let mut paths = Vec::new();
    let mut gap_total: u64 = 0;
    let mut problem_count = 0usize;
    let mut short_total = 0usize;
    let mut irregular = false;
    let mut uneven = false;
    let mut judged_index = 0usize;
    let mut positions = Vec::new();
    // Images per volume of the series' largest stack whose positions repeat (0 when none repeat).
    let mut volume_size = 0usize;
    for stack in &stacks {
        // Stacks of one or two positions (scout planes, single reformats) are not counted as slice groups.
        let group = if stack.positions.len() >= 3 {
            judged_index += 1;
            (judged > 1).then(|| wording::slice_group(judged_index, judged))
        } else {
            None
        };
        let axis = stacks::main_axis(stack.normal);
        let name = ["x", "y", "z"].get(axis).copied().unwrap_or("z");
        let mut gaps = Vec::new();
        irregular |= stacks::judge_stack(stack, &mut gaps);
        for gap in &gaps {
            let (low, high) = (gap.below.position[axis], gap.above.position[axis]);
            gap_total = gap_total.saturating_add(gap.missing);
            problem_count += 1;
            if problems.len() < 5 {
                let text = wording::gap(
                    gap.missing,
                    gap.below.record.instance_number,
                    gap.above.record.instance_number,
                );
                problems.push(wording::in_group(group.as_deref(), text));
                let at = wording::gap_at(name, &mm(low), &mm(high));
                positions.push(wording::in_group(group.as_deref(), at));
            }
            for k in 1..=gap.missing.min(MAX_LISTED as u64) {
                if out.missing.len() < MAX_LISTED {
                    let at = low + (high - low) * k as f64 / (gap.missing as f64 + 1.0);
                    out.missing.push(format!("{name}={}", mm(at)));
                }
            }
            paths.push(path_of(gap.below.record));
            paths.push(path_of(gap.above.record));
        }
        let counts = volumes::count(stack);
        uneven |= counts.uneven;
        if counts.per_position > 1 && stack.positions.len() >= 3 {
            volume_size = volume_size.max(stack.positions.len());
        }
        for short in &counts.short {
            // The last phase short at one slice, with no image number missing: a shorter heartbeat at that
            // slice (prospective cine) as likely as a lost file.
            if short.last_phase && missing_total == 0 {
                uneven = true;
                continue;
            }
            short_total += short.missing;
            problem_count += 1;
            let at = mm(short.slice.position[axis]);
            if problems.len() < 5 {
                let text = wording::short_position(
                    short.missing,
                    stack.slice_number(short.index),
                    stack.positions.len(),
                    counts.per_position,
                    &short.volumes,
                );
                problems.push(wording::in_group(group.as_deref(), text));
                let at = wording::short_position_at(name, &at, &short.volumes_detail);
                positions.push(wording::in_group(group.as_deref(), at));
            }
            if out.missing.len() < MAX_LISTED {
                out.missing.push(format!("{name}={at}"));
            }
            paths.push(path_of(short.slice.record));
        }
    }

    if !problems.is_empty() {
        paths.dedup();
        out.findings.push(
            finding(
                Severity::Fail,
                wording::gaps(
                    label,
                    zh,
                    &problems,
                    &positions,
                    problem_count,
                    gap_total + short_total as u64,
                    numbers.as_deref(),
                ),
            )
            .paths(paths),
        );
        return;
    }
    let mosaic = images.iter().all(|r| is_mosaic(r));
    let volume_size = if mosaic { 1 } else { volume_size as u64 };
    if volume_size > 0 && missing_total > 0 {
        // Each file is a whole volume (a mosaic), or the volumes repeat the same positions: as many image numbers
        // missing as whole volumes hold, where the volumes' acquisition (or time point) numbers skip too, are
        // volumes lost, which leave every position one image short alike.
        let acquisitions = numbering(images, |r| r.acquisition_number);
        let times = numbering(images, |r| {
            r.volume
                .as_deref()
                .and_then(|v| v.temporal_position)
                .map(i64::from)
        });
        let skipped = [("acquisition", acquisitions), ("time point", times)]
            .into_iter()
            .find(|(_, (_, total, _))| {
                *total > 0 && total.checked_mul(volume_size) == Some(missing_total)
            })
            .map(|(what, (listed, total, _))| (what, wording::numbers(&listed, total), total));
        if let Some((what, volumes, volume_total)) = skipped {
            if out.missing.len() < MAX_LISTED {
                out.missing
                    .extend(missing_numbers.iter().map(|n| format!("#{n}")));
            }
            out.findings.push(finding(
                Severity::Fail,
                wording::volumes_missing(
                    label,
                    zh,
                    (numbers.as_deref().unwrap_or_default(), missing_total),
                    (what, &volumes, volume_total),
                    mosaic,
                ),
            ));
            return;
        }
    }

    if irregular {
        out.findings.push(finding(
            Severity::Warn,
            wording::irregular_spacing(label, zh),
        ));
    }
    if uneven {
        out.findings
            .push(finding(Severity::Warn, wording::uneven_repeats(label, zh)));
    }
    let has_geometry = stacks.iter().any(|s| s.positions.len() >= 3);
    if missing_total > 0 || !duplicates.is_empty() {
        let missing = (missing_total > 0).then(|| {
            out.missing
                .extend(missing_numbers.iter().map(|n| format!("#{n}")));
            (numbers.clone().unwrap_or_default(), missing_total)
        });
        let duplicated = (!duplicates.is_empty()).then(|| {
            let shown = &duplicates[..duplicates.len().min(MAX_LISTED)];
            (
                wording::numbers(shown, duplicates.len() as u64),
                duplicates.len(),
            )
        });
        let evidence = if !has_geometry {
            PositionEvidence::None
        } else if irregular || uneven {
            PositionEvidence::Irregular
        } else {
            PositionEvidence::NoGap
        };
        out.findings.push(finding(
            Severity::Warn,
            wording::odd_numbering(
                label,
                zh,
                missing.as_ref().map(|(list, n)| (list.as_str(), *n)),
                duplicated.as_ref().map(|(list, n)| (list.as_str(), *n)),
                evidence,
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::stacks::unit_normal;
    use super::*;
    use crate::charset::DecodedText;
    use crate::read_header::{DefectKind, FileDefect, FrameGeometry, PixelDataInfo};

    const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    const FRAME_BYTES: u64 = 512 * 512 * 2;

    fn image(n: i64, position: [f64; 3], orientation: [f64; 6]) -> InstanceRecord {
        InstanceRecord {
            path: format!("DICOM/SE000003/IM{n:06}").into(),
            size: 526_000,
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.2".into(),
            sop_instance_uid: format!("1.2.3.4.{n}"),
            study_instance_uid: "1.2.3".into(),
            series_instance_uid: "1.2.3.4".into(),
            series_number: Some(3),
            modality: Some("CT".into()),
            series_description: Some(DecodedText::plain("Chest 1.25 mm").into()),
            image_type: Some("ORIGINAL\\PRIMARY\\AXIAL".into()),
            instance_number: Some(n),
            image_position: Some(position),
            image_orientation: Some(orientation),
            slice_thickness: Some(1.25),
            rows: Some(512),
            columns: Some(512),
            samples_per_pixel: Some(1),
            bits_allocated: Some(16),
            pixel_data: Some(PixelDataInfo {
                offset: 1_000,
                encoding: PixelEncoding::Native {
                    declared_length: FRAME_BYTES,
                },
            }),
            ..Default::default()
        }
    }

    /// `count` slices `step` mm apart along `normal` from `origin`, each also shifted `shift` in the image plane.
    fn stack(
        count: usize,
        step: f64,
        orientation: [f64; 6],
        shift: [f64; 3],
    ) -> Vec<InstanceRecord> {
        let normal = unit_normal(&orientation).expect("valid orientation");
        (0..count)
            .map(|i| {
                let t = -(i as f64) * step;
                let position = [
                    -250.0 + t * normal[0] + i as f64 * shift[0],
                    -250.0 + t * normal[1] + i as f64 * shift[1],
                    t * normal[2] + i as f64 * shift[2],
                ];
                image(i as i64 + 1, position, orientation)
            })
            .collect()
    }

    fn axial(count: usize, step: f64) -> Vec<InstanceRecord> {
        stack(count, step, AXIAL, [0.0; 3])
    }

    /// Renumbers instance numbers and UIDs 1, 2, 3, ... as a scanner exporting the remaining images would.
    fn renumber(records: &mut [InstanceRecord]) {
        for (i, record) in records.iter_mut().enumerate() {
            record.instance_number = Some(i as i64 + 1);
            record.sop_instance_uid = format!("1.2.3.4.{}", i + 1);
            record.path = format!("DICOM/SE000003/IM{:06}", i + 1).into();
        }
    }

    fn assess_listed(records: &[InstanceRecord], listed: Option<usize>) -> SeriesAssessment {
        let refs: Vec<&InstanceRecord> = records.iter().collect();
        assess_series("1.2.3", "1.2.3.4", &refs, listed)
    }

    fn assess(records: &[InstanceRecord]) -> SeriesAssessment {
        assess_listed(records, None)
    }

    fn with(a: &SeriesAssessment, severity: Severity) -> Vec<&Finding> {
        a.findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect()
    }

    fn no_fail(a: &SeriesAssessment) {
        assert!(with(a, Severity::Fail).is_empty(), "{:#?}", a.findings);
    }

    #[test]
    fn contiguous_ct_passes() {
        let a = assess(&axial(200, 1.25));
        assert_eq!(a.findings, vec![]);
        assert!(a.missing.is_empty());
        assert_eq!(a.frames, 200);
    }

    #[test]
    fn removed_slice_fails_naming_the_position() {
        let mut records = axial(200, 1.25);
        records.remove(100);
        renumber(&mut records);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        let f = fails[0];
        assert_eq!(f.check, CheckId::Slices);
        assert!(
            f.message.starts_with("Series 3 CT 'Chest 1.25 mm' is incomplete: about 1 slice missing between images 100 and 101"),
            "{}",
            f.message
        );
        assert!(
            f.detail.contains("z = -126.25 to -123.75 mm"),
            "{}",
            f.detail
        );
        assert_eq!(a.missing, vec!["z=-125.0"]);
        assert_eq!(
            f.paths,
            vec!["DICOM/SE000003/IM000101", "DICOM/SE000003/IM000100"]
        );
        assert_eq!(
            (f.study.as_deref(), f.series.as_deref()),
            (Some("1.2.3"), Some("1.2.3.4"))
        );
        assert!(f.ask.contains("series 3") && f.ask_zh.contains("序列3"));
        assert_eq!(
            with(&a, Severity::Warn),
            Vec::<&Finding>::new(),
            "renumbered: no numbering gap"
        );
    }

    #[test]
    fn two_removed_slices_and_numbers_are_reported() {
        let mut records = axial(50, 1.25);
        records.drain(20..22);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0]
                .message
                .contains("about 2 slices missing between images 20 and 23"),
            "{}",
            fails[0].message
        );
        assert!(
            fails[0].detail.contains("z = -27.5 to -23.75 mm"),
            "{}",
            fails[0].detail
        );
        assert!(
            fails[0].message.contains("#21, #22"),
            "{}",
            fails[0].message
        );
        assert_eq!(a.missing, vec!["z=-26.25", "z=-25.0"]);
    }

    #[test]
    fn numbering_gap_with_regular_geometry_only_warns() {
        let mut records = axial(120, 1.25);
        for record in records.iter_mut().skip(56) {
            record.instance_number = record.instance_number.map(|n| n + 1);
        }
        let a = assess(&records);
        no_fail(&a);
        let warns = with(&a, Severity::Warn);
        assert_eq!(warns.len(), 1, "{:#?}", a.findings);
        assert!(
            warns[0].message.contains("#57") && warns[0].message.contains("no gap"),
            "{}",
            warns[0].message
        );
        assert_eq!(a.missing, vec!["#57"]);
    }

    #[test]
    fn numbering_gap_without_geometry_warns() {
        let mut records = axial(10, 1.0);
        for record in &mut records {
            record.image_position = None;
        }
        records.remove(4);
        let a = assess(&records);
        no_fail(&a);
        let warns = with(&a, Severity::Warn);
        assert_eq!(warns.len(), 1, "{:#?}", a.findings);
        assert!(
            warns[0].message.contains("no slice positions"),
            "{}",
            warns[0].message
        );
        assert_eq!(a.missing, vec!["#5"]);
    }

    #[test]
    fn identical_copy_warns() {
        let mut records = axial(30, 1.25);
        let mut copy = records[9].clone();
        copy.path = "COPY/IM000010".into();
        records.push(copy);
        let a = assess(&records);
        no_fail(&a);
        let warns = with(&a, Severity::Warn);
        assert_eq!(warns.len(), 1, "{:#?}", a.findings);
        assert!(
            warns[0].message.contains("more than once"),
            "{}",
            warns[0].message
        );
        assert_eq!(
            warns[0].paths,
            vec!["COPY/IM000010", "DICOM/SE000003/IM000010"]
        );
        assert_eq!(a.frames, 30, "the copy is counted once");
    }

    #[test]
    fn different_content_under_one_uid_fails() {
        let mut records = axial(30, 1.25);
        let mut other = records[9].clone();
        other.path = "OTHER/IM000010".into();
        other.size += 1_000;
        records.push(other);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0].message.contains("same image ID"),
            "{}",
            fails[0].message
        );
        assert_eq!(
            fails[0].paths,
            vec!["DICOM/SE000003/IM000010", "OTHER/IM000010"]
        );
    }

    #[test]
    fn images_in_acquisition_larger_than_count_fails() {
        let mut records = axial(40, 1.25);
        for record in &mut records {
            record.acquisition_number = Some(1);
            record.images_in_acquisition = Some(42);
        }
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0].message.contains("has 40 images") && fails[0].message.contains("recorded 42")
        );

        records[0].acquisition_number = Some(2);
        no_fail(&assess(&records));
        for record in &mut records {
            record.acquisition_number = Some(1);
            record.images_in_acquisition = Some(40);
        }
        assert_eq!(assess(&records).findings, vec![]);
    }

    #[test]
    fn fewer_files_than_dicomdir_lists_fails() {
        let records = axial(40, 1.25);
        let a = assess_listed(&records, Some(41));
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(fails[0].message.contains("DICOMDIR") && fails[0].message.contains("41"));
        assert_eq!(assess_listed(&records, Some(40)).findings, vec![]);
    }

    #[test]
    fn every_piece_of_evidence_of_one_gap_makes_one_failure() {
        let mut records = axial(40, 1.25);
        records.remove(20);
        renumber(&mut records);
        for record in &mut records {
            record.acquisition_number = Some(1);
            record.images_in_acquisition = Some(40);
        }
        let a = assess_listed(&records, Some(40));
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        let message = &fails[0].message;
        assert!(
            message.starts_with("Series") && message.contains("missing between"),
            "{message}"
        );
        assert!(
            message.contains("DICOMDIR") && message.contains("recorded 40"),
            "{message}"
        );
    }

    fn enhanced(frames: u32, positions: Vec<[f64; 3]>) -> InstanceRecord {
        InstanceRecord {
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.2.1".into(),
            number_of_frames: Some(frames),
            image_position: None,
            image_orientation: None,
            frame_geometry: Some(Box::new(FrameGeometry {
                positions,
                orientation: Some(AXIAL),
            })),
            pixel_data: Some(PixelDataInfo {
                offset: 4_000,
                encoding: PixelEncoding::Native {
                    declared_length: FRAME_BYTES * u64::from(frames),
                },
            }),
            ..image(1, [0.0; 3], AXIAL)
        }
    }

    fn frame_positions(count: usize) -> Vec<[f64; 3]> {
        (0..count)
            .map(|i| [-250.0, -250.0, -(i as f64) * 0.625])
            .collect()
    }

    #[test]
    fn multi_frame_with_all_frames_passes() {
        let a = assess(&[enhanced(100, frame_positions(100))]);
        assert_eq!(a.findings, vec![]);
        assert_eq!(a.frames, 100);
    }

    #[test]
    fn multi_frame_with_a_missing_frame_position_fails() {
        let mut positions = frame_positions(100);
        positions.remove(40);
        let a = assess(&[enhanced(99, positions)]);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert_eq!(fails[0].check, CheckId::Slices);
        assert_eq!(a.missing, vec!["z=-25.0"]);
        assert_eq!(a.frames, 99);
    }

    #[test]
    fn multi_frame_pixel_data_short_of_frames_fails_integrity() {
        let mut record = enhanced(100, frame_positions(100));
        record.pixel_data = Some(PixelDataInfo {
            offset: 4_000,
            encoding: PixelEncoding::Native {
                declared_length: FRAME_BYTES * 60,
            },
        });
        let a = assess(&[record.clone()]);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert_eq!(fails[0].check, CheckId::Integrity);
        assert!(
            fails[0].message.contains("only 60 of its 100 frames"),
            "{}",
            fails[0].message
        );

        record.pixel_data = Some(PixelDataInfo {
            offset: 4_000,
            encoding: PixelEncoding::Encapsulated {
                items: 101,
                complete: true,
            },
        });
        assert_eq!(assess(&[record.clone()]).findings, vec![]);
        record.pixel_data = Some(PixelDataInfo {
            offset: 4_000,
            encoding: PixelEncoding::Encapsulated {
                items: 51,
                complete: true,
            },
        });
        assert_eq!(with(&assess(&[record]), Severity::Fail).len(), 1);
    }

    #[test]
    fn multi_frame_positions_for_fewer_frames_warn() {
        let a = assess(&[enhanced(100, frame_positions(90))]);
        no_fail(&a);
        assert_eq!(with(&a, Severity::Warn).len(), 1, "{:#?}", a.findings);
    }

    const SAGITTAL: [f64; 6] = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0];

    #[test]
    fn sagittal_stack() {
        let mut records = stack(24, 4.0, SAGITTAL, [0.0; 3]);
        assert_eq!(assess(&records).findings, vec![]);
        records.remove(12);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(fails[0].detail.contains("x = "), "{}", fails[0].detail);
        assert_eq!(a.missing, vec!["x=-202.0"]);
    }

    #[test]
    fn oblique_stack_with_in_plane_shift() {
        let oblique = [0.8, 0.6, 0.0, 0.0, 0.0, -1.0];
        let mut records = stack(30, 3.0, oblique, [0.48, 0.36, -0.2]);
        assert_eq!(assess(&records).findings, vec![]);
        records.remove(15);
        renumber(&mut records);
        assert_eq!(with(&assess(&records), Severity::Fail).len(), 1);
    }

    #[test]
    fn gantry_tilted_ct() {
        let tilt = 20f64.to_radians();
        let orientation = [1.0, 0.0, 0.0, 0.0, tilt.cos(), tilt.sin()];
        // The table moves along z while the image planes are tilted: positions step along z only.
        let mut records: Vec<InstanceRecord> = (0..80)
            .map(|i| image(i + 1, [-250.0, -180.0, -(i as f64) * 2.5], orientation))
            .collect();
        assert_eq!(assess(&records).findings, vec![]);
        records.remove(40);
        renumber(&mut records);
        let a = assess(&records);
        assert_eq!(with(&a, Severity::Fail).len(), 1, "{:#?}", a.findings);
        assert_eq!(a.missing, vec!["z=-100.0"]);
    }

    #[test]
    fn two_interleaved_kernels_do_not_fail() {
        let soft = axial(100, 1.25);
        let mut sharp = axial(100, 1.25);
        for (i, record) in sharp.iter_mut().enumerate() {
            record.instance_number = Some(101 + i as i64);
            record.sop_instance_uid = format!("1.2.3.4.9.{i}");
            record.path = format!("DICOM/SE000003/IM{:06}", 101 + i).into();
        }
        let records: Vec<InstanceRecord> = soft
            .into_iter()
            .zip(sharp)
            .flat_map(|(a, b)| [a, b])
            .collect();
        assert_eq!(assess(&records).findings, vec![]);
    }

    #[test]
    fn two_reconstructions_of_different_thickness_do_not_fail() {
        let thin = axial(200, 1.25);
        let mut thick = axial(50, 5.0);
        for (i, record) in thick.iter_mut().enumerate() {
            record.slice_thickness = Some(5.0);
            record.sop_instance_uid = format!("1.2.3.4.9.{i}");
            record.path = format!("DICOM/SE000003/THICK{i:03}").into();
            for z in record.image_position.iter_mut() {
                z[2] -= 0.3;
            }
        }
        let records: Vec<InstanceRecord> = thin.into_iter().chain(thick).collect();
        let a = assess(&records);
        no_fail(&a);
        assert!(a.missing.is_empty(), "{:?}", a.missing);

        let mut with_gap = records.clone();
        with_gap.remove(230);
        let a = assess(&with_gap);
        assert_eq!(
            with(&a, Severity::Fail).len(),
            1,
            "a gap in one reconstruction: {:#?}",
            a.findings
        );
    }

    #[test]
    fn variable_thickness_stack_does_not_fail() {
        let mut records: Vec<InstanceRecord> = Vec::new();
        for i in 0..20 {
            let mut r = image(i + 1, [0.0, 0.0, -(i as f64) * 5.0], AXIAL);
            r.slice_thickness = Some(5.0);
            records.push(r);
        }
        for i in 0..12 {
            let mut r = image(i + 21, [0.0, 0.0, -100.0 - (i as f64) * 10.0], AXIAL);
            r.slice_thickness = Some(10.0);
            records.push(r);
        }
        let a = assess(&records);
        assert_eq!(a.findings, vec![]);
    }

    #[test]
    fn irregular_spacing_only_warns() {
        let steps = [1.0, 1.3, 0.9, 1.6, 1.0, 1.25, 2.2, 0.7, 1.1, 1.4];
        let mut z = 0.0;
        let mut records = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            records.push(image(i as i64 + 1, [0.0, 0.0, z], AXIAL));
            z -= step;
        }
        let a = assess(&records);
        no_fail(&a);
        let warns = with(&a, Severity::Warn);
        assert_eq!(warns.len(), 1, "{:#?}", a.findings);
        assert!(warns[0].message.contains("irregular"));
    }

    #[test]
    fn repeated_positions_are_not_gaps() {
        let mut records = Vec::new();
        for i in 0..30 {
            for echo in 0..2 {
                let n = i * 2 + echo + 1;
                records.push(image(
                    n,
                    [0.0, 0.0, -(i as f64) * 3.0 + 0.04 * echo as f64],
                    AXIAL,
                ));
            }
        }
        assert_eq!(assess(&records).findings, vec![]);
    }

    #[test]
    fn kernels_with_rounding_noise_in_positions_do_not_warn() {
        let soft = axial(101, 1.25);
        let mut sharp = axial(100, 1.25);
        for (i, record) in sharp.iter_mut().enumerate() {
            record.sop_instance_uid = format!("1.2.3.4.9.{i}");
            record.instance_number = Some(200 + i as i64);
            for p in record.image_position.iter_mut() {
                p[2] += 0.03;
            }
        }
        let records: Vec<InstanceRecord> = soft.into_iter().chain(sharp).collect();
        let a = assess(&records);
        assert!(
            a.findings.iter().all(|f| !f.message.contains("irregular")),
            "{:#?}",
            a.findings
        );
        no_fail(&a);
    }

    #[test]
    fn separate_blocks_are_two_stacks() {
        let mut records = axial(20, 5.0);
        for record in records.iter_mut().skip(10) {
            for p in record.image_position.iter_mut() {
                p[2] -= 400.0;
            }
        }
        assert_eq!(assess(&records).findings, vec![]);
        // A gap inside one of the blocks is still found, and named by its group.
        records.remove(14);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0]
                .message
                .contains("in slice group 2 of 2, about 1 slice missing between images 14 and 16"),
            "{}",
            fails[0].message
        );
        assert!(
            fails[0]
                .detail
                .contains("in slice group 2 of 2, z = -475.0 to -465.0 mm"),
            "{}",
            fails[0].detail
        );

        let mut lost = axial(100, 1.25);
        lost.drain(40..48);
        renumber(&mut lost);
        let a = assess(&lost);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0].message.contains("about 8 slices"),
            "{}",
            fails[0].message
        );
        assert_eq!(a.missing.len(), 8);
    }

    #[test]
    fn localizers_are_listed_not_checked() {
        let mut records = vec![
            image(1, [0.0, 0.0, 0.0], AXIAL),
            image(2, [0.0, 0.0, -1.0], AXIAL),
            image(5, [0.0, 0.0, -40.0], AXIAL),
        ];
        for record in &mut records {
            record.image_type = Some("ORIGINAL\\PRIMARY\\LOCALIZER".into());
        }
        let a = assess(&records);
        assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
        assert_eq!(a.findings[0].severity, Severity::Info);
        assert!(
            a.findings[0].message.contains("3 localizer images"),
            "{}",
            a.findings[0].message
        );
        assert!(a.missing.is_empty());
    }

    #[test]
    fn localizer_inside_a_stack_is_ignored() {
        let mut records = axial(40, 1.25);
        let mut scout = image(999, [0.0, -300.0, 500.0], [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]);
        scout.image_type = Some("ORIGINAL\\PRIMARY\\LOCALIZER".into());
        records.insert(0, scout);
        assert_eq!(assess(&records).findings, vec![]);
    }

    #[test]
    fn reports_and_screen_captures_are_listed() {
        let dose = InstanceRecord {
            sop_class_uid: "1.2.840.10008.5.1.4.1.1.88.67".into(),
            sop_instance_uid: "1.2.3.9.1".into(),
            series_number: Some(501),
            modality: Some("SR".into()),
            ..Default::default()
        };
        let a = assess(&[dose]);
        assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
        assert_eq!(a.findings[0].severity, Severity::Info);
        assert!(
            a.findings[0].message.contains("radiation dose report"),
            "{}",
            a.findings[0].message
        );
        assert_eq!(a.frames, 0);

        let mut captures = axial(2, 10.0);
        for record in &mut captures {
            record.sop_class_uid = SOP_SECONDARY_CAPTURE.into();
        }
        let a = assess(&captures);
        assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
        assert!(a.findings[0].message.contains("2 screen captures"));
    }

    #[test]
    fn series_without_readable_image_fails() {
        let mut records = axial(5, 1.25);
        for record in &mut records {
            record.pixel_data = None;
            record.defect = Some(Box::new(FileDefect {
                kind: DefectKind::Truncated,
                detail: "cut".into(),
            }));
        }
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(fails[0].message.contains("no image that can be read"));
        assert_eq!(fails[0].paths.len(), 5);
        assert_eq!(with(&assess(&[]), Severity::Fail).len(), 1);
        // The DICOMDIR's count, known after the assessment from the files, comes first and stays a finding of
        // its own: nothing is merged for a series without a readable image.
        let a = assess_listed(&records, Some(6));
        let fails: Vec<&str> = with(&a, Severity::Fail)
            .iter()
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(fails.len(), 2, "{fails:#?}");
        assert!(fails[0].contains("DICOMDIR") && fails[1].contains("no image that can be read"));
        let refs: Vec<&InstanceRecord> = records.iter().collect();
        let from_files = assess_from_files("1.2.3", "1.2.3.4", &refs);
        assert_eq!(from_files.series_uid(), "1.2.3.4");
        assert_eq!(from_files.with_dicomdir_count(Some(6)), a);
    }

    #[test]
    fn hostile_values_do_not_panic() {
        let mut records = axial(10, 1.25);
        records[0].image_position = Some([f64::NAN, 0.0, f64::INFINITY]);
        records[1].image_orientation = Some([0.0; 6]);
        records[2].instance_number = Some(i64::MIN);
        records[3].instance_number = Some(i64::MAX);
        records[4].image_position = Some([0.0, 0.0, 1e300]);
        records[5].number_of_frames = Some(u32::MAX);
        records[5].frame_geometry = Some(Box::new(FrameGeometry {
            positions: vec![[0.0; 3]; 3],
            orientation: None,
        }));
        records[6].images_in_acquisition = Some(i64::MIN);
        records[7].rows = Some(u16::MAX);
        records[7].columns = Some(u16::MAX);
        records[7].samples_per_pixel = Some(u16::MAX);
        records[7].bits_allocated = Some(u16::MAX - 7);
        records[7].number_of_frames = Some(2);
        let a = assess(&records);
        assert!(a.missing.len() <= MAX_LISTED);
        assert!(a.findings.iter().all(|f| f.paths.len() <= 2 * MAX_LISTED));
    }

    #[test]
    fn labels_and_formatting() {
        let r = image(1, [0.0; 3], AXIAL);
        assert_eq!(series_label(&[&r]), "series 3 CT 'Chest 1.25 mm'");
        assert_eq!(series_label_zh(&[&r]), "CT序列3“Chest 1.25 mm”");
        let bare = InstanceRecord::default();
        assert_eq!(series_label(&[&bare]), "the unnumbered series");
        assert_eq!(series_label_zh(&[&bare]), "该序列");
        assert_eq!(
            (mm(-120.0), mm(-118.75), mm(-0.001), mm(2.5)),
            (
                "-120.0".into(),
                "-118.75".into(),
                "0.0".into(),
                "2.5".into()
            )
        );
    }

    /// A sagittal-ish orientation tilted by `degrees` about the left-right axis (the lumbar disc angle).
    fn tilted(degrees: f64) -> [f64; 6] {
        let a = degrees.to_radians();
        [1.0, 0.0, 0.0, 0.0, a.cos(), -a.sin()]
    }

    /// Lumbar-spine style: groups of `sizes` slices, 4 mm apart, one per disc level, each angled `angles[i]`
    /// degrees and centred 35 mm further down the spine (and `forward` mm forward) than the previous.
    fn angled_groups(sizes: &[usize], angles: &[f64], forward: f64) -> Vec<InstanceRecord> {
        let mut records = Vec::new();
        for (g, (&size, &angle)) in sizes.iter().zip(angles).enumerate() {
            let orientation = [
                1.0,
                0.0,
                0.0,
                0.0,
                angle.to_radians().cos(),
                -angle.to_radians().sin(),
            ];
            let normal = unit_normal(&orientation).unwrap();
            for k in 0..size {
                let t = (k as f64 - size as f64 / 2.0) * 4.0;
                let centre = [-120.0, -100.0 + g as f64 * forward, 60.0 - g as f64 * 35.0];
                let position = [
                    centre[0] + t * normal[0],
                    centre[1] + t * normal[1],
                    centre[2] + t * normal[2],
                ];
                let n = records.len() as i64 + 1;
                let mut r = image(n, position, orientation);
                r.modality = Some("MR".into());
                r.slice_thickness = Some(3.0);
                records.push(r);
            }
        }
        records
    }

    #[test]
    fn angled_lumbar_groups_are_stacks_not_gaps() {
        let records = angled_groups(&[3, 3, 3, 4, 4], &[-8.0, -3.0, 2.0, 9.0, 18.0], 6.0);
        assert_eq!(assess(&records).findings, vec![]);
        // Angles only 1° apart, and groups at one angle but forward of each other: still separate stacks.
        let close = angled_groups(&[3, 3, 3, 4, 4], &[0.0, 1.0, 2.0, 3.0, 4.0], 6.0);
        assert_eq!(assess(&close).findings, vec![]);
        let parallel = angled_groups(&[3, 3, 3, 4, 4], &[5.0; 5], 6.0);
        assert_eq!(assess(&parallel).findings, vec![]);
        // A slice lost from the middle of a 4-slice group fails, naming the group.
        let mut lost = angled_groups(&[3, 3, 3, 5, 4], &[-8.0, -3.0, 2.0, 9.0, 18.0], 6.0);
        lost.remove(11);
        let a = assess(&lost);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0]
                .message
                .contains("in slice group 4 of 5, about 1 slice missing"),
            "{}",
            fails[0].message
        );
    }

    #[test]
    fn orientation_tolerance_edges() {
        // 0.05° apart (well above print noise, under the 0.1° tolerance): one stack, so a lost slice is found.
        let mut records = stack(20, 3.0, tilted(0.0), [0.0; 3]);
        let turned = stack(20, 3.0, tilted(0.05), [0.0; 3]);
        records.truncate(10);
        records.extend(turned.into_iter().skip(11));
        renumber(&mut records);
        let a = assess(&records);
        assert_eq!(with(&a, Severity::Fail).len(), 1, "{:#?}", a.findings);

        // 0.2° apart: two stacks; the step between them is not judged.
        let mut records = stack(20, 3.0, tilted(0.0), [0.0; 3]);
        let turned = stack(20, 3.0, tilted(0.2), [0.0; 3]);
        records.truncate(10);
        records.extend(turned.into_iter().skip(11));
        renumber(&mut records);
        no_fail(&assess(&records));
        let groups = stacks::stacks(&records.iter().collect::<Vec<_>>());
        assert_eq!(groups.len(), 2);
    }

    #[test]
    fn in_plane_offset_tolerance_edges() {
        // Same angle; the second half moved 0.5 mm in plane (under 1 mm: one row) or 3 mm (two rows).
        let shifted = |mm: f64| {
            let mut records = axial(30, 2.0);
            for record in records.iter_mut().skip(15) {
                if let Some(p) = record.image_position.as_mut() {
                    p[0] += mm;
                }
            }
            records.remove(20);
            renumber(&mut records);
            stacks::stacks(&records.iter().collect::<Vec<_>>()).len()
        };
        assert_eq!(shifted(0.5), 1);
        assert_eq!(shifted(3.0), 2);
    }

    /// `positions` slices × `volumes` volumes, the volumes told apart by `tag`, numbered volume by volume.
    fn four_d(
        positions: usize,
        volumes: usize,
        tag: impl Fn(usize) -> crate::read_header::VolumeTags,
    ) -> Vec<InstanceRecord> {
        let mut records = Vec::new();
        for v in 0..volumes {
            for p in 0..positions {
                let n = (v * positions + p + 1) as i64;
                let mut r = image(n, [0.0, 0.0, -(p as f64) * 3.0], AXIAL);
                r.modality = Some("MR".into());
                r.acquisition_number = Some(v as i64 + 1);
                r.volume = Some(Box::new(tag(v)));
                records.push(r);
            }
        }
        records
    }

    fn diffusion(v: usize) -> crate::read_header::VolumeTags {
        crate::read_header::VolumeTags {
            b_value: Some(if v == 0 { 0.0 } else { 1000.0 }),
            gradient: (v > 0).then(|| {
                let a = v as f32;
                [a.cos(), a.sin(), 0.0]
            }),
            ..Default::default()
        }
    }

    #[test]
    fn complete_4d_series_pass() {
        assert_eq!(assess(&four_d(30, 7, diffusion)).findings, vec![]);
        let echoes = four_d(24, 3, |v| crate::read_header::VolumeTags {
            echo: Some(v as i32 + 1),
            ..Default::default()
        });
        assert_eq!(assess(&echoes).findings, vec![]);
        let phases = four_d(12, 20, |v| crate::read_header::VolumeTags {
            trigger_time: Some(v as f32 * 45.5),
            ..Default::default()
        });
        assert_eq!(assess(&phases).findings, vec![]);
    }

    #[test]
    fn an_image_lost_from_a_4d_series_fails_naming_position_and_volume() {
        let mut records = four_d(30, 7, diffusion);
        // Volume 4 (b=1000, direction 3), slice position 12 of 30.
        let lost = 3 * 30 + 11;
        let path = records[lost - 1].path.clone();
        records.remove(lost);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        let message = &fails[0].message;
        assert!(
            message.contains(
                "1 image missing at slice position 12 of 30 (the others hold 7 images each): the one of \
                 volume 4 of 7 (b-value 1000)"
            ),
            "{message}"
        );
        assert!(
            message.contains("Image numbers missing: #102."),
            "{message}"
        );
        assert_eq!(a.missing, vec!["z=-33.0"]);
        assert_eq!(fails[0].paths.len(), 1);
        assert_ne!(fails[0].paths[0], path.to_string_lossy());

        // Renumbered (no numbering gap left): still a failure.
        renumber(&mut records);
        assert_eq!(with(&assess(&records), Severity::Fail).len(), 1);

        // The first time point's edge slice of an fMRI series: at an end, but the time point names it.
        let mut fmri = four_d(20, 10, |v| crate::read_header::VolumeTags {
            temporal_position: Some(v as i32 + 1),
            ..Default::default()
        });
        fmri.remove(0);
        let a = assess(&fmri);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0]
                .message
                .contains("the one of volume 1 of 10 (time point 1)"),
            "{}",
            fails[0].message
        );
    }

    #[test]
    fn uneven_coverage_is_not_a_lost_image() {
        // The last volume covers 26 of 30 positions: a run at the end, warned, not failed.
        let mut records = four_d(30, 4, diffusion);
        records.truncate(4 * 30 - 4);
        let a = assess(&records);
        no_fail(&a);
        assert!(
            with(&a, Severity::Warn)
                .iter()
                .any(|f| f.message.contains("uneven numbers of images")),
            "{:#?}",
            a.findings
        );
    }

    #[test]
    fn mosaic_volumes() {
        let mosaic = |n: i64| {
            let mut r = image(n, [-805.0, -825.0, -75.1], AXIAL);
            r.image_type = Some("ORIGINAL\\PRIMARY\\DIFFUSION\\NONE\\ND\\MOSAIC".into());
            r.acquisition_number = Some(n);
            r
        };
        let records: Vec<InstanceRecord> = (1..=5).map(mosaic).collect();
        assert_eq!(assess(&records).findings, vec![]);
        let mut lost = records.clone();
        lost.remove(2);
        let a = assess(&lost);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0].message.contains("image #3 is missing") && fails[0].message.contains("mosaic"),
            "{}",
            fails[0].message
        );
        // Only the image numbers skip (the volume numbers run on): the scanner's numbering, a warning.
        for (i, record) in lost.iter_mut().enumerate() {
            record.acquisition_number = Some(i as i64 + 1);
        }
        let a = assess(&lost);
        no_fail(&a);
        assert_eq!(with(&a, Severity::Warn).len(), 1, "{:#?}", a.findings);
    }

    #[test]
    fn three_plane_scout_without_localizer_type_passes() {
        // Siemens writes its scouts as ORIGINAL\PRIMARY\M\ND\NORM: three planes of three slices each.
        let mut records = Vec::new();
        for (plane, orientation) in [AXIAL, SAGITTAL, [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]]
            .into_iter()
            .enumerate()
        {
            let normal = unit_normal(&orientation).unwrap();
            for k in 0..3 {
                let t = (k as f64 - 1.0) * 7.5;
                let n = (plane * 3 + k + 1) as i64;
                records.push(image(n, normal.map(|c| c * t), orientation));
            }
        }
        assert_eq!(assess(&records).findings, vec![]);
    }

    #[test]
    fn two_reconstruction_intervals_in_one_stack_are_not_gaps() {
        // 100 slices 1.25 mm apart, then 5 more 2.5 mm apart (same thickness): a second interval.
        let mut records = axial(100, 1.25);
        for k in 1..=5 {
            let z = -123.75 - 2.5 * k as f64;
            records.push(image(100 + k, [-250.0, -250.0, z], AXIAL));
        }
        assert_eq!(assess(&records).findings, vec![]);
        // Two wide steps are not a run: lost slices.
        records.truncate(102);
        let a = assess(&records);
        assert_eq!(with(&a, Severity::Fail).len(), 1, "{:#?}", a.findings);
    }

    #[test]
    fn a_cine_slice_short_of_its_last_phase_warns_unless_a_number_is_missing() {
        let phase = |v: usize| crate::read_header::VolumeTags {
            trigger_time: Some(v as f32 * 40.0),
            ..Default::default()
        };
        // Slice position 5 of 10 has 19 phases, the others 20; numbered without a gap (the scanner wrote 199).
        let mut records = four_d(10, 20, phase);
        records.remove(19 * 10 + 4);
        renumber(&mut records);
        let a = assess(&records);
        no_fail(&a);
        assert!(
            with(&a, Severity::Warn)
                .iter()
                .any(|f| f.message.contains("uneven numbers of images")),
            "{:#?}",
            a.findings
        );
        // The same with the image number missing: a lost file.
        let mut records = four_d(10, 20, phase);
        records.remove(19 * 10 + 4);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0].message.contains("phase at 760 ms"),
            "{}",
            fails[0].message
        );
        // A phase other than the last is lost whatever the numbering says.
        let mut records = four_d(10, 20, phase);
        records.remove(7 * 10 + 4);
        renumber(&mut records);
        assert_eq!(with(&assess(&records), Severity::Fail).len(), 1);
    }

    #[test]
    fn enhanced_4d_object_counts_frames_per_position() {
        // One enhanced object: 20 positions, 3 time points, frames ordered time point by time point.
        let positions: Vec<[f64; 3]> = (0..3).flat_map(|_| frame_positions(20)).collect();
        assert_eq!(assess(&[enhanced(60, positions.clone())]).findings, vec![]);
        let mut short = positions;
        short.remove(20 + 9);
        let a = assess(&[enhanced(59, short)]);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0].message.contains(
                "1 image missing at slice position 10 of 20 (the others hold 3 images each)."
            ) && fails[0].detail.contains("z = -5.63 mm"),
            "{}",
            fails[0].message
        );
    }

    #[test]
    fn stacks_side_by_side_over_the_same_range_are_judged_apart() {
        // Whole-spine sagittal: three stations at the same left-right positions, 400 mm apart head to foot, with
        // 15, 13 and 15 slices.
        let station = |count: usize, offset: f64, first: i64| {
            let mut records = stack(count, 4.0, SAGITTAL, [0.0; 3]);
            for (i, record) in records.iter_mut().enumerate() {
                if let Some(p) = record.image_position.as_mut() {
                    p[2] -= offset;
                    // Centred on the same left-right range as the 15-slice stations.
                    p[0] += 2.0 * (15 - count) as f64;
                }
                record.instance_number = Some(first + i as i64);
                record.sop_instance_uid = format!("1.2.3.4.{}", first + i as i64);
            }
            records
        };
        let mut records = station(15, 0.0, 1);
        records.extend(station(13, 400.0, 16));
        records.extend(station(15, 800.0, 29));
        assert_eq!(assess(&records).findings, vec![]);
        // A slice lost from the middle station fails, naming the station's group.
        records.remove(15 + 6);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0]
                .message
                .contains("in slice group 2 of 3, about 1 slice missing"),
            "{}",
            fails[0].message
        );
    }

    #[test]
    fn gantry_tilt_with_fine_steps_is_one_stack() {
        // 1.25 mm table steps under a 20° tilt: the in-plane origin drifts 0.43 mm a slice, never a new row.
        let tilt = 20f64.to_radians();
        let orientation = [1.0, 0.0, 0.0, 0.0, tilt.cos(), tilt.sin()];
        let records: Vec<InstanceRecord> = (0..120)
            .map(|i| image(i + 1, [-250.0, -180.0, -(i as f64) * 1.25], orientation))
            .collect();
        assert_eq!(stacks::stacks(&records.iter().collect::<Vec<_>>()).len(), 1);
        assert_eq!(assess(&records).findings, vec![]);
        // Also with a stray image of the same orientation elsewhere (a reformat kept in the series).
        let mut stray = image(500, [-150.0, -40.0, -60.0], orientation);
        stray.sop_instance_uid = "1.2.3.4.500".into();
        for at in [3, 50, 51, 52, 97] {
            for with_stray in [false, true] {
                let mut lost = records.clone();
                lost.remove(at);
                renumber(&mut lost);
                if with_stray {
                    lost.push(stray.clone());
                }
                let a = assess(&lost);
                assert_eq!(
                    with(&a, Severity::Fail).len(),
                    1,
                    "slice {at}: {:#?}",
                    a.findings
                );
            }
        }
    }

    #[test]
    fn a_coarser_reconstruction_laid_over_a_finer_one_is_not_a_4d_series() {
        // 1.25 mm slices over 100 positions, and 2.5 mm ones at every other position: half the positions hold
        // two images. Not a loss.
        let fine = axial(100, 1.25);
        let mut coarse = axial(50, 2.5);
        for (i, record) in coarse.iter_mut().enumerate() {
            record.instance_number = Some(101 + i as i64);
            record.sop_instance_uid = format!("1.2.3.4.9.{i}");
        }
        let records: Vec<InstanceRecord> = fine.into_iter().chain(coarse).collect();
        no_fail(&assess(&records));
    }

    #[test]
    fn hostile_volume_tags_do_not_panic() {
        let mut records = four_d(8, 4, |v| crate::read_header::VolumeTags {
            trigger_time: Some([f32::NAN, f32::INFINITY, f32::MAX, -0.0][v]),
            b_value: Some([f32::MIN, 1e30, f32::NAN, 0.0][v]),
            gradient: Some([f32::NAN; 3]),
            temporal_position: Some([i32::MIN, i32::MAX, 0, -1][v]),
            echo: None,
        });
        for record in records.iter_mut().step_by(5) {
            record.acquisition_number = Some(i64::MIN);
        }
        records.remove(13);
        let a = assess(&records);
        assert!(a.missing.len() <= MAX_LISTED);
        assert_eq!(with(&a, Severity::Fail).len(), 1, "{:#?}", a.findings);
    }

    #[test]
    fn a_whole_volume_lost_from_a_4d_series_fails() {
        // Every position one image short alike: the counts agree, the numbers tell.
        let mut records = four_d(12, 7, diffusion);
        records.drain(3 * 12..4 * 12);
        let a = assess(&records);
        let fails = with(&a, Severity::Fail);
        assert_eq!(fails.len(), 1, "{:#?}", a.findings);
        assert!(
            fails[0].message.contains("images #37 to #48 are missing")
                && fails[0]
                    .message
                    .contains("repeat the same slice positions, and acquisition #4 is missing too"),
            "{}",
            fails[0].message
        );
        // The same volume missing with images and volumes renumbered: nothing tells it (no finding to invent).
        let mut renumbered = records.clone();
        renumber(&mut renumbered);
        for (i, record) in renumbered.iter_mut().enumerate() {
            record.acquisition_number = Some(i as i64 / 12 + 1);
        }
        no_fail(&assess(&renumbered));
        // An image number gap alone (volume numbers complete) stays a numbering warning.
        let mut gap = four_d(12, 7, diffusion);
        for record in gap.iter_mut().skip(40) {
            record.instance_number = record.instance_number.map(|n| n + 1);
        }
        let a = assess(&gap);
        no_fail(&a);
        assert_eq!(with(&a, Severity::Warn).len(), 1, "{:#?}", a.findings);
    }
}
