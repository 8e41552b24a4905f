//! Geometry: a series' slices split into stacks, and each stack judged for gaps along its own normal.
//!
//! A series may hold several stacks: angled slice groups (lumbar spine: one small stack per disc level), a
//! three-plane scout, radial reformats, blocks at two body regions, whole-spine stations. Slices are grouped by
//! orientation first, then by in-plane origin where that forms rows, then split where the stack stops being one
//! straight row of slices: where the in-plane origin jumps (two groups at the same angle but placed apart; with
//! gantry tilt, beyond the tilt's own drift) or the step along the normal is far larger than any gap of lost
//! files. Gaps
//! are judged within a stack only; two stacks offset or angled against each other are not a gap.

use std::collections::BTreeMap;

use crate::read_header::InstanceRecord;

/// Normals closer than this angle (degrees) belong to one stack. The orientations scanners print for the slices
/// of one stack agree to the 5th decimal or better (measured on the real Siemens and GE series of the tests: they
/// are identical, and 6-decimal rounding moves a normal by under 0.0001°); slice groups planned at different
/// angles (lumbar disc levels, cardiac short axis) differ by 1° or more. 0.1° is a thousand times the noise and a
/// tenth of the smallest deliberate angle.
pub(super) const SAME_ORIENTATION_DEGREES: f64 = 0.1;
/// Two slices of one stack have in-plane origins that agree to this (mm), after the stack's own tilt (gantry
/// tilt moves the origin by a fixed amount per mm along the normal) is taken out. Scanners print positions to
/// 0.001 mm or better; a second slice group is placed centimetres apart.
pub(super) const SAME_ROW_MM: f64 = 1.0;
/// Positions closer than this (mm) along the normal are the same slice position.
const SAME_POSITION_MM: f64 = 0.02;
/// Positions closer than this fraction of the usual (upper-quartile) step are the same slice position.
const SAME_POSITION_FRACTION: f64 = 0.1;
/// A gap of more slices than this, and than the stack holds, is not taken for lost files.
const MAX_GAP_SLICES: usize = 10;
/// Steps within this fraction of the median step are regular.
const STEP_TOLERANCE: f64 = 0.2;
/// This many equal wide steps in a row are a second, coarser interval of the stack rather than gaps.
const MIN_INTERVAL_RUN: usize = 3;
/// Steps larger than this multiple of the median step are gaps.
const GAP_FACTOR: f64 = 1.5;

/// One slice position: a single-frame image or one frame of a multi-frame image.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slice<'a> {
    pub position: [f64; 3],
    pub thickness: Option<f64>,
    pub record: &'a InstanceRecord,
    /// Distance along the stack normal.
    pub along: f64,
    /// Where the scanner put the slice: (instance number, frame index).
    pub order: (i64, usize),
}

/// A gap between two neighbouring slice positions of a regular stack.
#[derive(Debug, Clone, Copy)]
pub(super) struct Gap<'a> {
    pub below: Slice<'a>,
    pub above: Slice<'a>,
    pub missing: u64,
}

/// One stack: slices of one orientation in one straight row, and the images found at each of its positions
/// (several where the series repeats its positions: echoes, time points, diffusion directions).
#[derive(Debug)]
pub(super) struct Stack<'a> {
    pub normal: [f64; 3],
    /// Distinct positions in order along the normal, each with every slice found there.
    pub positions: Vec<Vec<Slice<'a>>>,
}

impl Stack<'_> {
    /// The 1-based number of the position at `index` in the scanner's order: counted from the end where the
    /// lowest image number lies, as a viewer scrolls the stack.
    pub fn slice_number(&self, index: usize) -> usize {
        let first_order = |p: &Vec<Slice<'_>>| p.iter().map(|s| s.order).min();
        let (first, last) = (
            self.positions.first().and_then(first_order),
            self.positions.last().and_then(first_order),
        );
        match (first, last) {
            (Some(first), Some(last)) if last < first => self.positions.len() - index,
            _ => index + 1,
        }
    }
}

/// How one set of slices lies along its normal.
#[derive(Debug)]
enum Spacing<'a> {
    /// Fewer than three distinct positions: nothing to judge.
    TooFew,
    /// Evenly spaced.
    Regular,
    /// Evenly spaced but for these gaps.
    Gaps(Vec<Gap<'a>>),
    /// Not one evenly spaced stack.
    Irregular,
}

pub(super) fn unit_normal(orientation: &[f64; 6]) -> Option<[f64; 3]> {
    if !orientation.iter().all(|v| v.is_finite()) {
        return None;
    }
    let [rx, ry, rz, cx, cy, cz] = *orientation;
    let n = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
    let norm = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    (norm > 1e-3).then(|| [n[0] / norm, n[1] / norm, n[2] / norm])
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => values.get(mid).copied(),
        _ => Some((values.get(mid - 1)? + values.get(mid)?) / 2.0),
    }
}

/// The slices of the images that carry a usable position and orientation, grouped by orientation.
fn by_orientation<'a>(images: &[&'a InstanceRecord]) -> Vec<([f64; 3], Vec<Slice<'a>>)> {
    let same = SAME_ORIENTATION_DEGREES.to_radians().cos();
    let mut groups: Vec<([f64; 3], Vec<Slice<'a>>)> = Vec::new();
    let mut add =
        |normal: [f64; 3], position: [f64; 3], record: &'a InstanceRecord, frame: usize| {
            if !position.iter().all(|v| v.is_finite()) {
                return;
            }
            let slice = Slice {
                position,
                thickness: record.slice_thickness,
                record,
                along: dot(position, normal),
                order: (record.instance_number.unwrap_or(i64::MAX), frame),
            };
            match groups.iter_mut().find(|(n, _)| dot(*n, normal) > same) {
                Some((_, slices)) => slices.push(slice),
                None => groups.push((normal, vec![slice])),
            }
        };
    for &record in images {
        if !record.frame_positions().is_empty() {
            if let Some(normal) = record
                .frame_orientation()
                .or(record.image_orientation)
                .as_ref()
                .and_then(unit_normal)
            {
                for (frame, &position) in record.frame_positions().iter().enumerate() {
                    add(normal, position, record, frame);
                }
            }
        } else if record.frames() == 1
            && let (Some(position), Some(normal)) = (
                record.image_position,
                record.image_orientation.as_ref().and_then(unit_normal),
            )
        {
            add(normal, position, record, 0);
        }
    }
    groups
}

/// Slices sorted along the normal, merged into distinct positions: positions a small fraction of the usual
/// step apart are one position written with rounding noise.
fn distinct_positions<'a>(mut slices: Vec<Slice<'a>>) -> Vec<Vec<Slice<'a>>> {
    slices.sort_by(|a, b| a.along.total_cmp(&b.along));
    let mut raw_steps: Vec<f64> = slices
        .windows(2)
        .map(|w| w[1].along - w[0].along)
        .filter(|&s| s >= SAME_POSITION_MM)
        .collect();
    raw_steps.sort_by(f64::total_cmp);
    let upper_step = raw_steps
        .get(raw_steps.len() * 3 / 4)
        .copied()
        .unwrap_or(0.0);
    let same_position = SAME_POSITION_MM.max(SAME_POSITION_FRACTION * upper_step);
    let mut positions: Vec<Vec<Slice<'a>>> = Vec::new();
    for slice in slices {
        match positions.last_mut() {
            Some(last) if slice.along - last[0].along < same_position => last.push(slice),
            _ => positions.push(vec![slice]),
        }
    }
    positions
}

/// The in-plane origin of a position: its offset from the line through the world origin along `normal`.
fn in_plane(position: [f64; 3], normal: [f64; 3]) -> [f64; 3] {
    let along = dot(position, normal);
    [
        position[0] - along * normal[0],
        position[1] - along * normal[1],
        position[2] - along * normal[2],
    ]
}

/// Splits positions of one orientation into straight rows: a new stack starts where the in-plane origin leaves
/// the row (after the row's own drift per mm, which gantry tilt makes non-zero), or where the step is larger
/// than any run of lost files ([`MAX_GAP_SLICES`] and the count of positions).
fn split_rows<'a>(normal: [f64; 3], positions: Vec<Vec<Slice<'a>>>) -> Vec<Stack<'a>> {
    let origins: Vec<[f64; 3]> = positions
        .iter()
        .map(|p| in_plane(p[0].position, normal))
        .collect();
    let steps: Vec<f64> = positions
        .windows(2)
        .map(|w| w[1][0].along - w[0][0].along)
        .collect();
    let sorted: Vec<(f64, [f64; 3])> = positions
        .iter()
        .map(|p| p[0].along)
        .zip(origins.iter().copied())
        .collect();
    let drift = origin_drift(&sorted);
    let usual = median(&mut steps.clone()).unwrap_or(0.0);
    let too_far = usual * (positions.len().max(MAX_GAP_SLICES) as f64 + 1.0);
    let mut stacks = Vec::new();
    let mut current: Vec<Vec<Slice<'a>>> = Vec::new();
    for (i, position) in positions.into_iter().enumerate() {
        if i > 0 {
            let step = steps[i - 1];
            let off_row = (0..3)
                .map(|axis| origins[i][axis] - origins[i - 1][axis] - drift[axis] * step)
                .map(|d| d * d)
                .sum::<f64>()
                .sqrt()
                > SAME_ROW_MM;
            if off_row || (usual > 0.0 && step > too_far) {
                stacks.push(Stack {
                    normal,
                    positions: std::mem::take(&mut current),
                });
            }
        }
        current.push(position);
    }
    if !current.is_empty() {
        stacks.push(Stack {
            normal,
            positions: current,
        });
    }
    stacks
}

/// The drift of the in-plane origin per mm along the normal (zero but for gantry tilt), as most steps between
/// neighbouring positions show it.
fn origin_drift(sorted: &[(f64, [f64; 3])]) -> [f64; 3] {
    let mut drift = [0.0; 3];
    for (axis, value) in drift.iter_mut().enumerate() {
        let mut rates: Vec<f64> = sorted
            .windows(2)
            .filter(|w| w[1].0 - w[0].0 >= SAME_POSITION_MM)
            .map(|w| (w[1].1[axis] - w[0].1[axis]) / (w[1].0 - w[0].0))
            .collect();
        *value = median(&mut rates).unwrap_or(0.0);
    }
    drift
}

/// Slices compared with each later one within this many places along the normal, to find the nearest slice of
/// the same row when several rows interleave.
const NEIGHBOURS: usize = 8;

/// The drift of the in-plane origin per mm along the normal that all of a series' rows share (gantry tilt; zero
/// otherwise), from each slice and the slice of its own row nearest above it: among its next few neighbours
/// along the normal, the one whose in-plane origin is closest.
fn shared_drift(sorted: &[(f64, [f64; 3])]) -> [f64; 3] {
    let mut pairs: Vec<[f64; 3]> = Vec::new();
    for (i, (along, origin)) in sorted.iter().enumerate() {
        let nearest = sorted
            .iter()
            .skip(i + 1)
            .take(NEIGHBOURS)
            .filter(|(a, _)| a - along >= SAME_POSITION_MM)
            .map(|(a, o)| {
                let step = a - along;
                let rate = [0, 1, 2].map(|axis| (o[axis] - origin[axis]) / step);
                let offset: f64 = (0..3).map(|axis| (o[axis] - origin[axis]).powi(2)).sum();
                (offset, rate)
            })
            .min_by(|x, y| x.0.total_cmp(&y.0));
        if let Some((_, rate)) = nearest {
            pairs.push(rate);
        }
    }
    [0, 1, 2].map(|axis| {
        let mut rates: Vec<f64> = pairs.iter().map(|r| r[axis]).collect();
        median(&mut rates).unwrap_or(0.0)
    })
}

/// Most rows [`rows_by_origin`] tells apart before it gives up (every slice with its own origin: gantry tilt).
const MAX_ROWS: usize = 256;

/// Slices of one orientation grouped by their in-plane origin (after the drift gantry tilt gives every row), when
/// that explains the series: rows of at least three positions hold at least half the slices. That separates
/// stacks whose ranges along the normal overlap (whole-spine stations, two knees, parallel slice groups side by
/// side), which a walk along the normal would take for one stack zig-zagging. `None` when the origins scatter.
fn rows_by_origin<'a>(normal: [f64; 3], slices: &[Slice<'a>]) -> Option<Vec<Vec<Slice<'a>>>> {
    let mut sorted: Vec<(f64, [f64; 3])> = slices
        .iter()
        .map(|s| (s.along, in_plane(s.position, normal)))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let drift = shared_drift(&sorted);
    let mut rows: Vec<([f64; 3], Vec<Slice<'a>>)> = Vec::new();
    for slice in slices {
        let seen = in_plane(slice.position, normal);
        // The origin the slice's row has at 0 mm along the normal.
        let origin = [0, 1, 2].map(|axis| seen[axis] - drift[axis] * slice.along);
        let near = |o: &[f64; 3]| {
            (0..3)
                .map(|a| (o[a] - origin[a]).powi(2))
                .sum::<f64>()
                .sqrt()
                <= SAME_ROW_MM
        };
        if let Some((_, row)) = rows.iter_mut().find(|(o, _)| near(o)) {
            row.push(*slice);
        } else if rows.len() < MAX_ROWS {
            rows.push((origin, vec![*slice]));
        } else {
            return None;
        }
    }
    let positions = |row: &[Slice<'_>]| {
        let mut along: Vec<f64> = row.iter().map(|s| s.along).collect();
        along.sort_by(f64::total_cmp);
        1 + along
            .windows(2)
            .filter(|w| w[1] - w[0] >= SAME_POSITION_MM)
            .count()
    };
    let held: usize = rows
        .iter()
        .filter(|(_, row)| positions(row) >= 3)
        .map(|(_, row)| row.len())
        .sum();
    (held * 2 >= slices.len()).then(|| rows.into_iter().map(|(_, row)| row).collect())
}

/// The series' stacks: by orientation, then by row; numbered in the scanner's order (by their first image
/// number and frame), as a viewer shows them.
pub(super) fn stacks<'a>(images: &[&'a InstanceRecord]) -> Vec<Stack<'a>> {
    let mut stacks: Vec<Stack<'a>> = by_orientation(images)
        .into_iter()
        .flat_map(|(normal, slices)| match rows_by_origin(normal, &slices) {
            Some(rows) => rows
                .into_iter()
                .flat_map(|row| split_rows(normal, distinct_positions(row)))
                .collect::<Vec<_>>(),
            None => split_rows(normal, distinct_positions(slices)),
        })
        .collect();
    stacks.sort_by_key(|s| s.positions.iter().flatten().map(|slice| slice.order).min());
    stacks
}

/// Judges the spacing of distinct positions (one representative slice each).
fn spacing<'a>(distinct: &[Slice<'a>]) -> Spacing<'a> {
    if distinct.len() < 3 {
        return Spacing::TooFew;
    }
    let steps: Vec<f64> = distinct
        .windows(2)
        .map(|w| w[1].along - w[0].along)
        .collect();
    let Some(step) = median(&mut steps.clone()) else {
        return Spacing::TooFew;
    };
    let mut gaps = Vec::new();
    let mut regular = 0usize;
    let mut in_second_interval = vec![false; steps.len()];
    for run in second_interval_runs(&steps, step) {
        in_second_interval[run].fill(true);
    }
    for ((pair, &s), &second) in distinct.windows(2).zip(&steps).zip(&in_second_interval) {
        if (s - step).abs() <= STEP_TOLERANCE * step || second {
            regular += 1;
        } else if s > GAP_FACTOR * step {
            let missing = ((s / step).round() - 1.0).max(1.0);
            if missing > distinct.len().max(MAX_GAP_SLICES) as f64 {
                // More slices missing than present: separate blocks (or a stray image), not a burn that lost files.
                return Spacing::Irregular;
            }
            gaps.push(Gap {
                below: pair[0],
                above: pair[1],
                missing: missing as u64,
            });
        } else {
            return Spacing::Irregular;
        }
    }
    // Evenly spaced means at least two steps agree, and gaps are the exception (one gap is allowed in a stack of
    // any size: a 5-slice group missing its middle slice has steps 4, 8, 4).
    if regular < 2 || gaps.len() > 1.max(steps.len() / 4) {
        Spacing::Irregular
    } else if gaps.is_empty() {
        Spacing::Regular
    } else {
        Spacing::Gaps(gaps)
    }
}

/// Runs of at least [`MIN_INTERVAL_RUN`] consecutive equal steps larger than the usual `step`: a second
/// reconstruction interval (helical CT reconstructed at 1.25 mm over the chest and 2.5 mm below), not lost files,
/// which leave one wide step where they were.
fn second_interval_runs(steps: &[f64], step: f64) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < steps.len() {
        let first = steps[start];
        let mut end = start + 1;
        if first > GAP_FACTOR * step {
            while end < steps.len() && (steps[end] - first).abs() <= STEP_TOLERANCE * first {
                end += 1;
            }
            if end - start >= MIN_INTERVAL_RUN {
                runs.push(start..end);
            }
        }
        start = end;
    }
    runs
}

/// Judges the slices of a set sharing a normal (re-sorted and merged into distinct positions).
fn judge<'a>(slices: &[Slice<'a>]) -> Spacing<'a> {
    let distinct: Vec<Slice<'a>> = distinct_positions(slices.to_vec())
        .into_iter()
        .map(|p| p[0])
        .collect();
    spacing(&distinct)
}

/// Judges one stack; when it is not evenly spaced, judges each slice thickness apart (two reconstructions,
/// variable thickness). Gaps found in an evenly spaced (sub)stack go to `gaps`; returns whether the spacing was
/// irregular with no regular explanation.
pub(super) fn judge_stack<'a>(stack: &Stack<'a>, gaps: &mut Vec<Gap<'a>>) -> bool {
    let distinct: Vec<Slice<'a>> = stack.positions.iter().map(|p| p[0]).collect();
    let union_gaps = match spacing(&distinct) {
        Spacing::TooFew | Spacing::Regular => return false,
        Spacing::Gaps(found) => Some(found),
        Spacing::Irregular => None,
    };
    let mut by_thickness: BTreeMap<Option<i64>, Vec<Slice<'a>>> = BTreeMap::new();
    for slice in stack.positions.iter().flatten() {
        let key = slice
            .thickness
            .filter(|t| t.is_finite())
            .map(|t| (t * 100.0).round() as i64);
        by_thickness.entry(key).or_default().push(*slice);
    }
    if by_thickness.len() < 2 {
        return match union_gaps {
            Some(found) => {
                gaps.extend(found);
                false
            }
            None => true,
        };
    }
    let mut irregular = false;
    let mut judged = false;
    for group in by_thickness.values() {
        match judge(group) {
            Spacing::TooFew => {}
            Spacing::Regular => judged = true,
            Spacing::Gaps(found) => {
                judged = true;
                gaps.extend(found);
            }
            Spacing::Irregular => {
                judged = true;
                irregular = true;
            }
        }
    }
    irregular || !judged
}

/// The coordinate axis a normal mostly follows (0 = x, 1 = y, 2 = z).
pub(super) fn main_axis(normal: [f64; 3]) -> usize {
    let abs = normal.map(f64::abs);
    if abs[2] >= abs[0] && abs[2] >= abs[1] {
        2
    } else if abs[1] >= abs[0] {
        1
    } else {
        0
    }
}
