//! Volumes: a stack whose positions repeat (diffusion directions, fMRI time points, echoes, cardiac phases) is
//! complete when every position holds as many images as the others. A position with fewer is a missing image,
//! named by its position and, where the header tells the volumes apart, by the volume it lacks.

use std::collections::BTreeSet;

use super::stacks::{Slice, Stack};
use crate::read_header::InstanceRecord;

/// A position of a 4D stack that holds fewer images than the others.
#[derive(Debug, Clone)]
pub(super) struct ShortPosition<'a> {
    /// Index of the position along the stack (0 = first).
    pub index: usize,
    /// A slice at that position (for its coordinates and path).
    pub slice: Slice<'a>,
    /// Images missing there.
    pub missing: usize,
    /// The volumes missing there, in plain words (`volume 4 of 7 (b-value 1000)`), when the header says.
    pub volumes: Vec<String>,
    /// The same with the technical attributes too (`b-value 1000, direction (0.71, 0.71, 0)`), for `--verbose`.
    pub volumes_detail: Vec<String>,
    /// Every volume missing there is the last time point or cardiac phase of the series: what a scanner that
    /// fits fewer phases into a shorter heartbeat at one slice writes, as well as a lost file.
    pub last_phase: bool,
}

/// What one 4D stack's counts per position say.
#[derive(Debug, Default)]
pub(super) struct Counts<'a> {
    /// Images per position in the complete positions (1 for a plain 3D stack).
    pub per_position: usize,
    /// Positions with fewer images: missing images.
    pub short: Vec<ShortPosition<'a>>,
    /// Positions hold uneven numbers of images that do not look like lost files (a second reconstruction over
    /// part of the range, many short positions).
    pub uneven: bool,
}

/// What tells one image's volume apart from the others at its position.
#[derive(Debug, Clone, PartialEq)]
struct VolumeKey {
    acquisition: Option<i64>,
    temporal: Option<i32>,
    echo: Option<i32>,
    trigger_ms: Option<i64>,
    b_value: Option<i64>,
    gradient: Option<[i64; 3]>,
}

impl VolumeKey {
    fn of(record: &InstanceRecord) -> Self {
        let v = record.volume.as_deref().copied().unwrap_or_default();
        // Rounded so that equal values written with different noise compare equal.
        let round = |x: f32, scale: f32| (x * scale).round() as i64;
        Self {
            acquisition: record.acquisition_number,
            temporal: v.temporal_position,
            echo: v.echo,
            trigger_ms: v
                .trigger_time
                .filter(|t| t.is_finite())
                .map(|t| round(t, 1.0)),
            b_value: v.b_value.filter(|b| b.is_finite()).map(|b| round(b, 1.0)),
            gradient: v
                .gradient
                .filter(|g| g.iter().all(|c| c.is_finite()))
                .map(|g| g.map(|c| round(c, 100.0))),
        }
    }

    /// The attributes that differ between the stack's volumes (`varying`), in words; the diffusion direction (a
    /// vector) only when `technical`.
    fn words(&self, varying: &Varying, technical: bool) -> Option<String> {
        let mut parts = Vec::new();
        if varying.b_value
            && let Some(b) = self.b_value
        {
            parts.push(format!("b-value {b}"));
        }
        if varying.gradient
            && technical
            && let Some(g) = self.gradient
        {
            let c = g.map(|c| format!("{}", c as f64 / 100.0));
            parts.push(format!("direction ({}, {}, {})", c[0], c[1], c[2]));
        }
        if varying.echo
            && let Some(e) = self.echo
        {
            parts.push(format!("echo {e}"));
        }
        if varying.temporal
            && let Some(t) = self.temporal
        {
            parts.push(format!("time point {t}"));
        }
        if varying.trigger
            && let Some(t) = self.trigger_ms
        {
            parts.push(format!("phase at {t} ms"));
        }
        if parts.is_empty()
            && varying.acquisition
            && let Some(a) = self.acquisition
        {
            parts.push(format!("acquisition {a}"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// Which attributes differ between the images of a stack: those name a volume.
#[derive(Debug, Clone, Copy)]
struct Varying {
    acquisition: bool,
    temporal: bool,
    echo: bool,
    trigger: bool,
    b_value: bool,
    gradient: bool,
}

impl Varying {
    fn of(keys: &[VolumeKey]) -> Self {
        fn differs<T: PartialEq>(keys: &[VolumeKey], get: impl Fn(&VolumeKey) -> &T) -> bool {
            keys.windows(2).any(|w| get(&w[0]) != get(&w[1]))
        }
        Self {
            acquisition: differs(keys, |k| &k.acquisition),
            temporal: differs(keys, |k| &k.temporal),
            echo: differs(keys, |k| &k.echo),
            trigger: differs(keys, |k| &k.trigger_ms),
            b_value: differs(keys, |k| &k.b_value),
            gradient: differs(keys, |k| &k.gradient),
        }
    }
}

/// The most common number of images per position (the larger on a tie).
fn usual_count(counts: &[usize]) -> usize {
    let mut tally: Vec<(usize, usize)> = Vec::new();
    for &c in counts {
        match tally.iter_mut().find(|(n, _)| *n == c) {
            Some((_, times)) => *times += 1,
            None => tally.push((c, 1)),
        }
    }
    tally
        .into_iter()
        .max_by_key(|&(n, times)| (times, n))
        .map_or(0, |(n, _)| n)
}

/// Counts the images per position of one stack. A position holding fewer than the usual count is a missing
/// image when it lies inside the stack, or at an end alone where the volume attributes show which volume lacks it;
/// a run of short positions at an end is a second series' shorter range, and more than a quarter of the positions
/// short is no regular 4D series: both only make the stack `uneven`.
pub(super) fn count<'a>(stack: &Stack<'a>) -> Counts<'a> {
    let counts: Vec<usize> = stack.positions.iter().map(Vec::len).collect();
    let usual = usual_count(&counts);
    let mut out = Counts {
        per_position: usual,
        ..Counts::default()
    };
    if usual < 2 {
        return out;
    }
    let short: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] < usual).collect();
    if short.is_empty() {
        return out;
    }
    // Lost files leave a few short positions; many (every other one: a 2.5 mm reconstruction laid over a 1.25 mm
    // one) are two series' layouts, not losses.
    if short.len() * 4 > counts.len() {
        out.uneven = true;
        return out;
    }
    let keys: Vec<Vec<VolumeKey>> = stack
        .positions
        .iter()
        .map(|p| p.iter().map(|s| VolumeKey::of(s.record)).collect())
        .collect();
    let all: Vec<VolumeKey> = keys.iter().flatten().cloned().collect();
    let varying = Varying::of(&all);
    // The volumes every complete position holds.
    let full: Vec<&Vec<VolumeKey>> = keys
        .iter()
        .zip(&counts)
        .filter(|&(_, &c)| c == usual)
        .map(|(k, _)| k)
        .collect();
    let expected: Vec<&VolumeKey> = full
        .first()
        .map(|first| {
            first
                .iter()
                .filter(|k| full.iter().all(|other| other.contains(k)))
                .collect()
        })
        .unwrap_or_default();
    // The volumes in the scanner's order (by their first image number), when the keys tell them all apart.
    let distinct = expected.len() == usual
        && expected
            .iter()
            .enumerate()
            .all(|(i, k)| !expected[..i].contains(k));
    let mut ordered: Vec<(Option<i64>, &VolumeKey)> = Vec::new();
    if distinct {
        for &key in &expected {
            let first = stack
                .positions
                .iter()
                .flatten()
                .zip(keys.iter().flatten())
                .filter(|&(_, k)| k == key)
                .filter_map(|(slice, _)| slice.record.instance_number)
                .min();
            ordered.push((first, key));
        }
        ordered.sort_by_key(|&(first, _)| first.unwrap_or(i64::MAX));
    }
    let name = |key: &VolumeKey, technical: bool| {
        let ordinal = ordered.iter().position(|&(_, k)| k == key);
        match (ordinal, key.words(&varying, technical)) {
            (Some(i), Some(words)) => Some(format!("volume {} of {usual} ({words})", i + 1)),
            (Some(i), None) => Some(format!("volume {} of {usual}", i + 1)),
            (None, words) => words,
        }
    };
    let latest_trigger = expected.iter().filter_map(|e| e.trigger_ms).max();
    let latest_time = expected.iter().filter_map(|e| e.temporal).max();
    // Short positions running from either end of the stack: a shorter range, unless one alone lacks a volume.
    let leading = counts.iter().take_while(|&&c| c < usual).count();
    let trailing = counts.iter().rev().take_while(|&&c| c < usual).count();
    for &i in &short {
        let absent: Vec<&&VolumeKey> = expected.iter().filter(|k| !keys[i].contains(k)).collect();
        let last_phase = !absent.is_empty()
            && absent.iter().all(|k| {
                (varying.trigger && k.trigger_ms.is_some() && k.trigger_ms == latest_trigger)
                    || (varying.temporal && k.temporal.is_some() && k.temporal == latest_time)
            });
        let named = |technical: bool| -> Vec<String> {
            absent
                .iter()
                .filter_map(|k| name(k, technical))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let (volumes, volumes_detail) = (named(false), named(true));
        let end_run = if i < leading {
            Some(leading)
        } else if i >= counts.len() - trailing {
            Some(trailing)
        } else {
            None
        };
        match end_run {
            // Nothing tells the images at a position apart (two reconstructions of one range): a shorter range.
            Some(_) if volumes_detail.is_empty() => continue,
            Some(run) if run > 1 => {
                out.uneven = true;
                continue;
            }
            _ => {}
        }
        out.short.push(ShortPosition {
            index: i,
            slice: stack.positions[i][0],
            missing: usual - counts[i],
            volumes,
            volumes_detail,
            last_phase,
        });
    }
    out
}
