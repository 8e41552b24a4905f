//! Zip listing: the central directory read by the `zip` crate (ZIP64, name encodings, local headers), each
//! member checked against the safety limits before anything reads it.

use std::path::PathBuf;
use std::sync::Arc;

use zip::ZipArchive;

use super::reader::{RangeReader, ReadAt};
use super::{Entry, Listing, safe_relative};
use crate::walk::{SkipReason, Skipped};

/// Most members listed; more is not a disc.
const MAX_MEMBERS: usize = 1_000_000;
/// Most bytes all members may declare together once uncompressed (a dual-layer DVD holds 8.5 GB).
const MAX_TOTAL_BYTES: u64 = 64 << 30;
/// A member larger than this ...
const RATIO_FLOOR: u64 = 16 << 20;
/// ... that compresses better than this is a zip bomb, not a scan (real images compress a few times at most).
const MAX_RATIO: u64 = 200;

/// Lists the members of the zip archive `file` (`size` bytes long).
pub(super) fn list(file: &Arc<dyn ReadAt>, size: u64) -> Result<Listing, String> {
    let mut archive = match ZipArchive::new(RangeReader::new(file.clone(), 0, size)) {
        Ok(archive) => archive,
        // Its directory is at its end: a download cut short loses it first.
        Err(e) => {
            return Ok(Listing {
                damage: vec![SkipReason::Incomplete(format!(
                    "the zip archive's directory cannot be read (most often a download cut short): {e}"
                ))],
                ..Listing::default()
            });
        }
    };
    if archive.len() > MAX_MEMBERS {
        return Err(format!(
            "the zip archive lists {} members, more than any disc holds: not read (a zip bomb?)",
            archive.len()
        ));
    }
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    let mut spans: Vec<(u64, u64, usize)> = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let listed_name = archive
            .name_for_index(i)
            .and_then(Result::ok)
            .map(|n| n.into_owned())
            .unwrap_or_else(|| format!("member #{}", i + 1));
        let member = match archive.by_index_raw(i) {
            Ok(member) => member,
            Err(e) => {
                skipped.push(refused(
                    PathBuf::from(listed_name),
                    format!("damaged entry in the zip archive: {e}"),
                ));
                continue;
            }
        };
        let name = member
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(member.name_raw()).into_owned());
        if member.is_dir() {
            continue;
        }
        let Some(relative) = safe_relative(&name) else {
            skipped.push(refused(
                PathBuf::from(name.replace('\0', "\\0")),
                "unsafe name reaching outside the archive (absolute path or `..`): not read"
                    .to_string(),
            ));
            continue;
        };
        if member.is_symlink() {
            skipped.push(Skipped {
                relative,
                reason: SkipReason::Symlink,
            });
            continue;
        }
        if member.encrypted() {
            skipped.push(refused(
                relative,
                "encrypted (password-protected) member: cannot be checked".to_string(),
            ));
            continue;
        }
        let method = member.compression().to_string();
        let deflated = match method.as_str() {
            "Stored" => None,
            "Deflated" => Some(member.compressed_size()),
            other => {
                skipped.push(refused(
                    relative,
                    format!("compressed with {other}, which this tool does not read"),
                ));
                continue;
            }
        };
        let uncompressed = member.size();
        let compressed = member.compressed_size();
        if deflated.is_none() && compressed != uncompressed {
            skipped.push(refused(
                relative,
                "damaged entry: stored member with two different sizes".to_string(),
            ));
            continue;
        }
        if uncompressed > RATIO_FLOOR && uncompressed / compressed.max(1) > MAX_RATIO {
            skipped.push(refused(
                relative,
                format!(
                    "declares {uncompressed} bytes from {compressed} compressed bytes: a zip bomb, not read"
                ),
            ));
            continue;
        }
        total = total.saturating_add(uncompressed);
        if total > MAX_TOTAL_BYTES {
            return Err(format!(
                "the zip archive's members declare more than {} GiB in total: not read (a zip bomb?)",
                MAX_TOTAL_BYTES >> 30
            ));
        }
        let Some(offset) = member.data_start() else {
            skipped.push(refused(relative, "damaged local header".to_string()));
            continue;
        };
        if offset.checked_add(compressed).is_none_or(|end| end > size) {
            skipped.push(Skipped {
                relative,
                reason: SkipReason::Incomplete(
                    "the archive ends before this member's data: the download is incomplete"
                        .to_string(),
                ),
            });
            continue;
        }
        spans.push((member.header_start(), offset + compressed, entries.len()));
        entries.push(Entry {
            relative,
            size: uncompressed,
            offset,
            deflated,
            crc32: Some(member.crc32()),
        });
    }
    let overlapping = overlapping(&mut spans);
    if !overlapping.is_empty() {
        let mut kept = Vec::with_capacity(entries.len());
        for (i, entry) in entries.into_iter().enumerate() {
            if overlapping.binary_search(&i).is_ok() {
                skipped.push(refused(
                    entry.relative,
                    "shares its bytes with another member (an overlapping zip bomb): not read"
                        .to_string(),
                ));
            } else {
                kept.push(entry);
            }
        }
        entries = kept;
    }
    Ok(Listing {
        entries,
        skipped,
        ..Listing::default()
    })
}

/// Indices (sorted) of members whose byte spans overlap another member's.
fn overlapping(spans: &mut [(u64, u64, usize)]) -> Vec<usize> {
    spans.sort_unstable();
    let mut bad = Vec::new();
    let mut reach: Option<(u64, usize)> = None;
    for &(start, end, index) in spans.iter() {
        if let Some((far, owner)) = reach
            && start < far
        {
            bad.push(index);
            bad.push(owner);
        }
        if reach.is_none_or(|(far, _)| end > far) {
            reach = Some((end, index));
        }
    }
    bad.sort_unstable();
    bad.dedup();
    bad
}

fn refused(relative: PathBuf, reason: String) -> Skipped {
    Skipped {
        relative,
        reason: SkipReason::Archive(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_are_found_and_disjoint_ones_are_not() {
        let mut disjoint = [(0, 10, 0), (10, 20, 1), (30, 40, 2)];
        assert!(overlapping(&mut disjoint).is_empty());
        let mut shared = [(0, 100, 0), (10, 20, 1), (120, 130, 2), (50, 60, 3)];
        assert_eq!(overlapping(&mut shared), vec![0, 1, 3]);
    }
}
