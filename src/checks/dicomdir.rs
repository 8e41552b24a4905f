//! The `dicomdir` check: the disc's index (DICOMDIR) against the files, both ways.
//!
//! Files the DICOMDIR lists are looked up among the files the walk found (case-insensitively, ignoring the
//! `;1` version suffix of ISO 9660); nothing is ever opened because the DICOMDIR names it, so a `..` or an
//! absolute path in a record cannot reach outside the media.

use std::collections::HashSet;
use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use rayon::prelude::*;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::{CheckId, Finding, Severity, display, wording};
use crate::charset::DecodedText;
use crate::dicomdir::{DicomDir, DirEntry, DirPatient, read_dicomdir_budgeted};
use crate::names::{display_name, person_key};
use crate::read_header::{InflateBudget, InstanceRecord};
use crate::scan::Scan;
use crate::walk::open_media_file;

/// Most "the DICOMDIR names X, the images Y" warnings per DICOMDIR (the `patient` check judges every person).
const MAX_RENAMED_SHOWN: usize = 20;

/// What the DICOMDIR says, for the other checks, and the `dicomdir` findings.
#[derive(Debug, Clone, Default)]
pub struct DirectoryIndex<'s> {
    /// Paths (relative to the media root, as found on the media) that a DICOMDIR lists, borrowed from the scan.
    /// Hashed with foldhash, seeded per process: SipHash of every listed path was a fifth of the cross-check.
    pub listed: foldhash::HashSet<&'s Path>,
    /// Number of files each DICOMDIR lists per Series Instance UID.
    pub series_counts: foldhash::HashMap<String, usize>,
    /// The PATIENT records of every DICOMDIR read: the DICOMDIR names a person too (for the `patient` check).
    pub patients: Vec<DirPatient>,
    /// The check's findings.
    pub findings: Vec<Finding>,
}

/// The DICOMDIR at the root of a folder, read on another thread while the scan reads the headers: on a full
/// disc its parse is a fifth of the checks' work, which would otherwise only start after the last header.
#[derive(Debug)]
pub struct ReadAhead {
    /// The file read.
    path: PathBuf,
    /// What it holds.
    dicomdir: DicomDir,
}

/// Reads `folder/DICOMDIR`, where nearly every disc has its index, ahead of the scan. `None` when there is none,
/// when it cannot be read, or when reading it inflated anything: then [`check`] reads it after the scan as
/// always, its errors worded as always and its inflation drawn from the scan's budget, so the outcome is the
/// same either way.
pub fn read_ahead(folder: &Path) -> Option<ReadAhead> {
    let path = folder.join("DICOMDIR");
    let (file, size) = open_media_file(&path).ok()?;
    let budget = Arc::new(InflateBudget::default());
    let full = budget.left();
    let dicomdir = read_dicomdir_budgeted(file, size, budget.clone()).ok()?;
    (budget.left() == full).then_some(ReadAhead { path, dicomdir })
}

/// Reads every DICOMDIR found on the media and cross-checks it with the scan; `ahead` is one the scan's folder
/// may hold, already read.
pub fn check(scan: &Scan, mut ahead: Option<ReadAhead>) -> DirectoryIndex<'_> {
    let mut index = DirectoryIndex::default();
    if scan.dicomdirs.is_empty() {
        if !scan.records.is_empty() {
            index
                .findings
                .push(wording::no_dicomdir().finding(CheckId::Dicomdir, Severity::Warn));
        }
        return index;
    }

    let on_media = MediaIndex::new(scan);
    let mut seen = Seen {
        unlisted: vec![true; scan.records.len()],
        missing: HashSet::new(),
    };
    // The root's directory first: it is the disc's index, and the File-set root of those below it.
    let mut directories: Vec<&Path> = scan.dicomdirs.iter().map(PathBuf::as_path).collect();
    directories.sort_by_key(|d| d.components().count());
    for &relative in &directories {
        let bases = file_set_bases(relative, &directories);
        let read_ahead = ahead
            .take_if(|a| scan.media.is_none() && a.path == scan.path_of(relative))
            .map(|a| Ok(a.dicomdir));
        let dicomdir = match read_ahead.unwrap_or_else(|| scan.read_dicomdir(relative)) {
            Ok(dicomdir) => dicomdir,
            Err(err) => {
                index.findings.push(
                    wording::dicomdir_damaged(&err.to_string())
                        .finding(CheckId::Dicomdir, Severity::Fail)
                        .paths([display(relative)]),
                );
                continue;
            }
        };
        index
            .patients
            .extend(dicomdir.patient_records.iter().cloned());
        cross_check(
            scan, &dicomdir, relative, &bases, &on_media, &mut seen, &mut index,
        );
        // A record per listed file: not freed on the way to the report.
        crate::background::free(dicomdir);
    }

    let unlisted = seen.unlisted;
    if unlisted.contains(&true) && index.findings.iter().all(|f| f.severity < Severity::Fail) {
        let mut paths: Vec<String> = scan
            .records
            .iter()
            .zip(&unlisted)
            .filter(|&(_, &unlisted)| unlisted)
            .map(|(r, _)| display(&r.path))
            .collect();
        paths.sort();
        paths.dedup();
        index.findings.push(
            wording::unlisted_images(paths.len())
                .finding(CheckId::Dicomdir, Severity::Warn)
                .paths(paths),
        );
    }
    index
}

/// Where the file IDs of the directory file at `relative` may start. PS3.10 makes them relative to the File-set
/// root, the folder of the root DICOMDIR: a directory file in a sub-folder (Philips' `DIRFILE`s) below another
/// one uses the outer one's folder. A directory file with none above it is its own File-set root; the media
/// root comes last, for sub-folder directory files written with IDs from the media root.
fn file_set_bases<'p>(relative: &'p Path, directories: &[&'p Path]) -> Vec<&'p Path> {
    let own = relative.parent().unwrap_or(Path::new(""));
    let outer = directories
        .iter()
        .filter_map(|d| d.parent())
        .filter(|folder| own.starts_with(folder) && *folder != own)
        .min_by_key(|folder| folder.components().count());
    let mut bases: Vec<&Path> = Vec::with_capacity(3);
    for base in outer.into_iter().chain([own, Path::new("")]) {
        if !bases.contains(&base) {
            bases.push(base);
        }
    }
    bases
}

/// What the directory files read so far have listed.
struct Seen {
    /// Per record (in the scan's order): true until a directory file lists its path.
    unlisted: Vec<bool>,
    /// Listed files found missing (reported once however many directory files list them).
    missing: HashSet<PathBuf>,
}

fn cross_check<'s>(
    scan: &'s Scan,
    dicomdir: &DicomDir,
    relative: &Path,
    bases: &[&Path],
    on_media: &MediaIndex<'s>,
    seen: &mut Seen,
    index: &mut DirectoryIndex<'s>,
) {
    let mut missing = Vec::new();
    let mut outside = Vec::new();
    let mut disagree = Vec::new();
    // Pairs of (listed, actual) names already reported, by identity of the shared decoded names: a set, so
    // 100,000 records naming a few persons cost one lookup each.
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut renamed_seen: foldhash::HashSet<(String, String)> = foldhash::HashSet::default();
    let mut compared: foldhash::HashSet<(*const DecodedText, *const DecodedText)> =
        foldhash::HashSet::default();
    // Resolving and looking up each listed file is independent of the others: done in parallel, the outcomes then
    // taken in directory order, as one loop would.
    let looked_up: Vec<(&DirEntry, Lookup<'s>)> = dicomdir
        .entries
        .par_iter()
        .filter(|e| !e.file_id.is_empty())
        .map_init(Keys::default, |keys, entry| {
            (entry, look_up(entry, bases, on_media, keys))
        })
        .collect();
    // Room for every listed file up front: growing by doubling would hash every path held so far again.
    index.listed.reserve(looked_up.len());
    for (entry, lookup) in looked_up {
        // A file two directory files list (the root's and a sub-folder's) counts once.
        let first_listing = match &lookup {
            Lookup::Outside => {
                outside.push(entry.file_id.to_string());
                continue;
            }
            Lookup::Missing(wanted) => {
                let first = seen.missing.insert(wanted.clone());
                if first {
                    missing.push(display(wanted));
                }
                first
            }
            Lookup::Found(found) => index.listed.insert(found.path),
        };
        if first_listing && let Some(uid) = &entry.series_instance_uid {
            match index.series_counts.get_mut(&**uid) {
                Some(count) => *count += 1,
                None => {
                    index.series_counts.insert(uid.to_string(), 1);
                }
            }
        }
        let Lookup::Found(found) = lookup else {
            continue;
        };
        seen.unlisted
            .get_mut(found.records.clone())
            .into_iter()
            .flatten()
            .for_each(|u| *u = false);
        if found.uids_differ {
            disagree.push(display(found.path));
        }
        if let Some(record) = found.records.last().and_then(|i| scan.records.get(i))
            && let (Some(listed), Some(actual)) = (&entry.patient_name, &record.patient_name)
            && compared.insert((Arc::as_ptr(listed), Arc::as_ptr(actual)))
            && listed != actual
            && person_key(listed) != person_key(actual)
        {
            let pair = (display_name(listed), display_name(actual));
            if renamed.len() < MAX_RENAMED_SHOWN && renamed_seen.insert(pair.clone()) {
                renamed.push(pair);
            }
        }
    }
    let listed_here = index.listed.len();
    let nothing_missing = missing.is_empty();
    if !missing.is_empty() {
        index.findings.push(
            wording::listed_files_missing(missing.len())
                .finding(CheckId::Dicomdir, Severity::Fail)
                .paths(missing),
        );
    }
    if !outside.is_empty() {
        index.findings.push(
            wording::listed_outside(outside.len())
                .finding(CheckId::Dicomdir, Severity::Fail)
                .paths(outside),
        );
    }
    if !disagree.is_empty() {
        index.findings.push(
            wording::listed_uids_differ(disagree.len())
                .finding(CheckId::Dicomdir, Severity::Warn)
                .paths(disagree),
        );
    }
    for (listed, actual) in renamed {
        index.findings.push(
            wording::listed_name_differs(&listed, &actual)
                .finding(CheckId::Dicomdir, Severity::Warn)
                .paths([display(relative)]),
        );
    }
    if !dicomdir.links_followed {
        index.findings.push(
            wording::dicomdir_links_broken()
                .finding(CheckId::Dicomdir, Severity::Warn)
                .paths([display(relative)]),
        );
    }
    if dicomdir.length_overrun {
        index.findings.push(
            wording::dicomdir_length_overrun()
                .finding(CheckId::Dicomdir, Severity::Warn)
                .paths([display(relative)]),
        );
    }
    if listed_here == 0 && nothing_missing && !scan.records.is_empty() {
        index.findings.push(
            wording::dicomdir_lists_nothing()
                .finding(CheckId::Dicomdir, Severity::Warn)
                .paths([display(relative)]),
        );
    }
}

/// Where a DICOMDIR entry's file is.
enum Lookup<'s> {
    /// Its file ID leaves the media.
    Outside,
    /// Not on the media: the path it names from the first File-set root.
    Missing(PathBuf),
    /// On the media.
    Found(Listed<'s>),
}

/// A listed file found on the media.
struct Listed<'s> {
    /// Its path as found.
    path: &'s Path,
    /// Indexes of its records (none when it is not a DICOM instance).
    records: Range<usize>,
    /// Its last record's SOP, series or study UID differs from the one the entry gives.
    uids_differ: bool,
}

/// Resolves `entry`'s file ID from each of `bases` in turn and looks it up on the media.
fn look_up<'s>(
    entry: &DirEntry,
    bases: &[&Path],
    on_media: &MediaIndex<'s>,
    keys: &mut Keys,
) -> Lookup<'s> {
    let mut wanted = None;
    for base in bases {
        let Some(candidate) = resolve(base, &entry.file_id) else {
            continue;
        };
        if let Some(found) = on_media.find(&candidate, keys) {
            let records = on_media.records_at(found);
            let differs = |listed: Option<&str>, actual: &str| listed.is_some_and(|l| l != actual);
            let uids_differ = records
                .clone()
                .last()
                .and_then(|i| on_media.records.get(i))
                .is_some_and(|record| {
                    differs(entry.sop_instance_uid.as_deref(), &record.sop_instance_uid)
                        || differs(
                            entry.series_instance_uid.as_deref(),
                            &record.series_instance_uid,
                        )
                        || differs(
                            entry.study_instance_uid.as_deref(),
                            &record.study_instance_uid,
                        )
                });
            return Lookup::Found(Listed {
                path: found.path,
                records,
                uids_differ,
            });
        }
        wanted.get_or_insert(candidate);
    }
    wanted.map_or(Lookup::Outside, Lookup::Missing)
}

/// The ReferencedFileID (components joined with `\`) as a path relative to the media root, or `None` when it
/// would leave the DICOMDIR's folder.
fn resolve(base: &Path, file_id: &str) -> Option<PathBuf> {
    // Room for the whole path at once: grown push by push, it was reallocated several times per file.
    let mut path = PathBuf::with_capacity(base.as_os_str().len() + file_id.len() + 1);
    path.push(base);
    for component in file_id.split('\\') {
        let component = component.trim();
        // The usual component is one plain name: pushed without taking it apart as a path.
        if !component.is_empty()
            && !matches!(component, "." | "..")
            && !component.contains(['/', '\\', ':'])
        {
            path.push(component);
            continue;
        }
        let as_path = Path::new(component);
        let mut parts = as_path.components();
        match (parts.next(), parts.next()) {
            (Some(Component::Normal(part)), None) => path.push(part),
            _ => return None,
        }
    }
    Some(path)
}

/// Every file found on the media, keyed case-insensitively as ISO 9660 names are. Only the keys' hashes are kept
/// (sorted, with the path each came from; a candidate's key is recomputed to confirm a match): one key string
/// per file would cost more than the rest of the index.
struct MediaIndex<'s> {
    hasher: RandomState,
    /// Key hash, path, and the index of its record when the path is a record's.
    by_hash: Vec<(u64, &'s Path, Option<usize>)>,
    records: &'s [InstanceRecord],
}

/// A file [`MediaIndex::find`] found: its path, and the index of a record of it when it is one.
#[derive(Clone, Copy)]
struct OnMedia<'s> {
    path: &'s Path,
    record: Option<usize>,
}

impl<'s> MediaIndex<'s> {
    /// Keys every file in parallel, each thread in its own buffer.
    fn new(scan: &'s Scan) -> Self {
        let hasher = RandomState::default();
        let mut by_hash: Vec<(u64, &'s Path, Option<usize>)> = scan
            .records
            .par_iter()
            .enumerate()
            .map(|(i, r)| (r.path.as_path(), Some(i)))
            .chain(
                scan.other_files
                    .par_iter()
                    .map(|f| (f.path.as_path(), None)),
            )
            .chain(scan.unreadable.par_iter().map(|f| (f.path.as_path(), None)))
            .map_init(Vec::new, |key, (path, record)| {
                key_into(path, key);
                (hasher.hash_one(&key[..]), path, record)
            })
            .collect();
        // Stable: among paths with the same key, the last one listed wins, as it always has.
        by_hash.par_sort_by_key(|&(hash, _, _)| hash);
        Self {
            hasher,
            by_hash,
            records: &scan.records,
        }
    }

    fn find(&self, wanted: &Path, keys: &mut Keys) -> Option<OnMedia<'s>> {
        key_into(wanted, &mut keys.wanted);
        let hash = self.hasher.hash_one(&keys.wanted[..]);
        let start = self.by_hash.partition_point(|&(h, _, _)| h < hash);
        let end = self.by_hash.partition_point(|&(h, _, _)| h <= hash);
        self.by_hash
            .get(start..end)?
            .iter()
            .rev()
            .map(|&(_, path, record)| OnMedia { path, record })
            .find(|found| {
                // Paths equal but for the case of ASCII letters have the same key: the usual match, a file ID
                // naming the path as written or in capitals, needs no key of its own.
                let found_bytes = found.path.as_os_str().as_encoded_bytes();
                found_bytes.eq_ignore_ascii_case(wanted.as_os_str().as_encoded_bytes()) || {
                    key_into(found.path, &mut keys.found);
                    keys.found == keys.wanted
                }
            })
    }

    /// Indexes of the records of `found` (the scan's records are sorted by path; a path is normally there
    /// once): from its own record outwards, without a search by path comparison, when it is a record.
    fn records_at(&self, found: OnMedia<'_>) -> Range<usize> {
        let path = found.path;
        let Some(i) = found.record else {
            let start = self.records.partition_point(|r| r.path.as_path() < path);
            let end = self.records.partition_point(|r| r.path.as_path() <= path);
            return start..end.max(start);
        };
        let same = |j: &usize| {
            self.records
                .get(*j)
                .is_some_and(|r| same_path(&r.path, path))
        };
        let start = (0..i).rev().take_while(same).last().unwrap_or(i);
        let end = (i + 1..self.records.len())
            .take_while(same)
            .last()
            .unwrap_or(i)
            + 1;
        start..end
    }
}

/// `a == b` for paths, told apart first by their last names on their bytes where that is sure (on unix: neither
/// ends in `/` or `.`, so what follows the last `/` is the last component): `Path`'s own comparison parses both
/// paths from the end whenever their bytes differ, which made finding a record's neighbours cost more than
/// finding the record.
fn same_path(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        fn name(path: &Path) -> Option<&[u8]> {
            let bytes = path.as_os_str().as_encoded_bytes();
            match bytes.last() {
                Some(b'/' | b'.') | None => None,
                Some(_) => bytes.rsplit(|&b| b == b'/').next(),
            }
        }
        if let (Some(x), Some(y)) = (name(a), name(b))
            && x != y
        {
            return false;
        }
    }
    a == b
}

/// Buffers for the keys of a wanted path and of the files found under its hash, reused from entry to entry.
#[derive(Default)]
struct Keys {
    wanted: Vec<u8>,
    found: Vec<u8>,
}

/// Writes the key of `path` into `key`: upper case, `;1` and a trailing `.` removed from each component, joined
/// by `/`. Into a buffer the caller reuses: it is computed three times per listed file.
fn key_into(path: &Path, key: &mut Vec<u8>) {
    key.clear();
    if !plain_key_into(path, key) {
        key.clear();
        key.extend_from_slice(component_key(path).as_bytes());
    }
}

/// [`key_into`] for the usual path, ASCII names joined by single `/`s, computed in one pass over its bytes:
/// splitting it into `Path::components` was half the DICOMDIR cross-check's cost. False for any other path (an
/// empty or `.` part, a `\` or `:` that some systems take for separators or prefixes, non-ASCII names), which
/// [`component_key`] handles.
fn plain_key_into(path: &Path, key: &mut Vec<u8>) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    key.reserve(bytes.len());
    // Each part is copied upper-cased, then checked and trimmed where it ends (neither `.`, `;`, `1` nor `/`
    // changes case).
    let mut part = 0;
    for &b in bytes {
        match KEY_BYTE[usize::from(b)] {
            0 if b == b'/' => {
                if !end_part(key, part) {
                    return false;
                }
                key.push(b'/');
                part = key.len();
            }
            0 if b != 0 => return false,
            upper => key.push(upper),
        }
    }
    end_part(key, part)
}

/// Each byte of a plain key: the path's byte upper-cased, or 0 for a byte that ends a part (`/`) or makes the path
/// not plain (`\`, `:`, non-ASCII); a NUL byte keeps its own 0.
const KEY_BYTE: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).to_ascii_uppercase();
        b += 1;
    }
    table[b'/' as usize] = 0;
    table[b'\\' as usize] = 0;
    table[b':' as usize] = 0;
    table
};

/// Ends the part of a plain key that starts at `start`: false when it is empty or `.`, else `;1` and then any
/// trailing `.` taken off.
fn end_part(key: &mut Vec<u8>, start: usize) -> bool {
    let part = &key[start..];
    if part.is_empty() || part == b"." {
        return false;
    }
    if part.ends_with(b";1") {
        key.truncate(key.len() - 2);
    }
    while key.len() > start && key.last() == Some(&b'.') {
        key.pop();
    }
    true
}

/// The key of any path, component by component.
fn component_key(path: &Path) -> String {
    let mut key = String::with_capacity(path.as_os_str().len());
    for (i, c) in path.components().enumerate() {
        if i > 0 {
            key.push('/');
        }
        let part = c.as_os_str().to_string_lossy();
        let part = part
            .strip_suffix(";1")
            .unwrap_or(&part)
            .trim_end_matches('.');
        // Usual names are ASCII: upper-cased in place, without a string per component.
        if part.is_ascii() {
            key.extend(part.chars().map(|c| c.to_ascii_uppercase()));
        } else {
            key.push_str(&part.to_uppercase());
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &Path) -> String {
        let mut key = Vec::new();
        key_into(path, &mut key);
        String::from_utf8(key).unwrap()
    }

    fn plain_key(path: &Path) -> Option<String> {
        let mut key = Vec::new();
        plain_key_into(path, &mut key).then(|| String::from_utf8(key).unwrap())
    }

    #[test]
    fn file_ids_resolve_inside_the_media_only() {
        let ids = |v: &[&str]| v.join("\\");
        assert_eq!(
            resolve(Path::new(""), &ids(&["DICOM", "IM1"])),
            Some(PathBuf::from("DICOM/IM1"))
        );
        assert_eq!(
            resolve(Path::new("EXPORT"), &ids(&["IM1"])),
            Some(PathBuf::from("EXPORT/IM1"))
        );
        assert_eq!(resolve(Path::new(""), &ids(&["..", "etc"])), None);
        assert_eq!(resolve(Path::new(""), &ids(&["/etc/passwd"])), None);
        assert_eq!(resolve(Path::new(""), &ids(&["A/../../B"])), None);
    }

    #[test]
    fn the_byte_key_of_plain_paths_is_the_component_key() {
        let plain = [
            "dicom/st000001/im000001;1",
            "DICOM/ST1/IM1.",
            "a/b.c/d..",
            "x;1;1/..;1",
            "a/../b",
            "IM1",
            "a/;1",
            ".;1/b",
            "st1/IM1.;1",
            "a\0b/c",
        ];
        for path in plain {
            let path = Path::new(path);
            assert_eq!(plain_key(path), Some(component_key(path)), "{path:?}");
        }
        let other = [
            "", ".", "./a", "a/./b", "a//b", "a/", "/a", "a\\b", "c:/a", "é/a",
        ];
        for path in other {
            let path = Path::new(path);
            assert_eq!(plain_key(path), None, "{path:?}");
            assert_eq!(key(path), component_key(path), "{path:?}");
        }
    }

    #[test]
    fn paths_compare_as_path_does() {
        let paths = [
            "a/b", "a//b", "a/b/", "a/b/.", "./a/b", "a/./b", "c/b", "a/c", "a/b.", "a/..", "b",
            "", "/a/b",
        ];
        for a in paths {
            for b in paths {
                let (a, b) = (Path::new(a), Path::new(b));
                assert_eq!(same_path(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn media_names_match_case_insensitively_and_without_version_suffix() {
        assert_eq!(
            key(Path::new("dicom/st000001/im000001;1")),
            key(Path::new("DICOM/ST000001/IM000001"))
        );
        assert_eq!(key(Path::new("DICOMDIR.")), "DICOMDIR");
        assert_ne!(key(Path::new("DICOM/IM1")), key(Path::new("DICOM/IM2")));
    }

    #[test]
    fn paths_equal_but_for_ascii_case_have_one_key() {
        // `MediaIndex::find` takes such a path for a match without keying it.
        let paths = [
            "dicom/st000001/im000001;1",
            "DICOM/./IM1.",
            "dicom//a:b\\c/IM1",
            "Études/Übung/im1",
            "é/./im1;1",
            "a/../IM1",
            "",
        ];
        for path in paths {
            let upper = path.to_ascii_uppercase();
            let lower = path.to_ascii_lowercase();
            assert_eq!(key(Path::new(path)), key(Path::new(&upper)), "{path}");
            assert_eq!(key(Path::new(path)), key(Path::new(&lower)), "{path}");
        }
    }

    fn scan_of(root: &Path) -> Scan {
        crate::scan::scan(root, &crate::scan::ScanOptions::default()).unwrap()
    }

    #[test]
    fn a_consistent_disc_has_no_dicomdir_finding_and_its_counts_feed_the_slices_check() {
        let dir = tempfile::tempdir().unwrap();
        dicomcheck_fixture::write_disc(dir.path(), &dicomcheck_fixture::sample_disc()).unwrap();
        let scan = scan_of(dir.path());
        let index = check(&scan, None);
        assert_eq!(index.findings, vec![]);
        assert_eq!(index.listed.len(), scan.records.len());
        assert_eq!(
            index.series_counts.values().sum::<usize>(),
            scan.records.len()
        );
    }

    #[test]
    fn missing_unlisted_and_renamed_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let disc =
            dicomcheck_fixture::write_disc(dir.path(), &dicomcheck_fixture::sample_disc()).unwrap();
        let first = disc.series[0].instances[0].path.clone();
        std::fs::remove_file(dir.path().join(&first)).unwrap();
        let second = disc.series[0].instances[1].path.clone();
        let extra = dir.path().join("DICOM/EXTRA0001");
        std::fs::copy(dir.path().join(&second), &extra).unwrap();
        let dicomdir = dir.path().join("DICOMDIR");
        let bytes = std::fs::read(&dicomdir).unwrap();
        let at = bytes.windows(10).position(|w| w == b"SMITH^JOHN").unwrap();
        let mut renamed = bytes.clone();
        renamed[at..at + 10].copy_from_slice(b"SMITH^JANE");
        std::fs::write(&dicomdir, renamed).unwrap();

        let findings = check(&scan_of(dir.path()), None).findings;
        let fail = findings
            .iter()
            .find(|f| f.severity == Severity::Fail)
            .unwrap();
        assert!(fail.message.contains("not on the disc"), "{findings:#?}");
        assert_eq!(fail.paths, [display(&first)]);
        assert!(findings.iter().any(|f| {
            f.message
                .contains("\"SMITH^JANE\", but the images say \"SMITH^JOHN\"")
        }));
        // With a listed file missing, unlisted files are not reported separately (the disc must be re-burned).
        assert!(!findings.iter().any(|f| f.message.contains("not listed")));
        std::fs::remove_file(&extra).unwrap();
        std::fs::copy(dir.path().join(&second), dir.path().join(&first)).unwrap();
        std::fs::copy(dir.path().join(&second), &extra).unwrap();
        let findings = check(&scan_of(dir.path()), None).findings;
        let unlisted = findings
            .iter()
            .find(|f| f.message.contains("not listed"))
            .unwrap();
        assert_eq!(unlisted.severity, Severity::Warn);
        assert_eq!(unlisted.paths, ["DICOM/EXTRA0001"]);
    }

    #[test]
    fn a_dicomdir_read_ahead_gives_the_index_of_one_read_after_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let disc =
            dicomcheck_fixture::write_disc(dir.path(), &dicomcheck_fixture::sample_disc()).unwrap();
        std::fs::remove_file(dir.path().join(&disc.series[0].instances[0].path)).unwrap();
        let scan = scan_of(dir.path());
        let ahead = read_ahead(dir.path()).expect("the root's DICOMDIR is read ahead");
        let (early, late) = (check(&scan, Some(ahead)), check(&scan, None));
        assert!(!late.findings.is_empty());
        assert_eq!(early.findings, late.findings);
        assert_eq!(early.listed, late.listed);
        assert_eq!(early.series_counts, late.series_counts);
        assert_eq!(early.patients, late.patients);

        // Another folder's DICOMDIR (here naming someone else) is never taken for this disc's.
        let other = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(dir.path().join("DICOMDIR")).unwrap();
        let at = bytes.windows(10).position(|w| w == b"SMITH^JOHN").unwrap();
        let mut renamed = bytes.clone();
        renamed[at..at + 10].copy_from_slice(b"SMITH^JANE");
        std::fs::write(other.path().join("DICOMDIR"), renamed).unwrap();
        let foreign = read_ahead(other.path()).expect("the other DICOMDIR is read");
        assert_eq!(check(&scan, Some(foreign)).findings, late.findings);
        assert!(read_ahead(&dir.path().join("DICOM")).is_none());
    }

    #[test]
    fn directory_files_in_sub_folders_resolve_from_the_file_set_root() {
        let dir = tempfile::tempdir().unwrap();
        let disc =
            dicomcheck_fixture::write_disc(dir.path(), &dicomcheck_fixture::sample_disc()).unwrap();
        // Philips-style: a copy of the root index in sub-folders, its file IDs relative to the File-set root.
        for (folder, name) in [
            ("DICOM", "DIRFILE"),
            ("DICOM/ST000001", "DIRFILE"),
            ("DICOM/ST000002", "DICOMDIR"),
        ] {
            std::fs::copy(
                dir.path().join("DICOMDIR"),
                dir.path().join(folder).join(name),
            )
            .unwrap();
        }
        let scan = scan_of(dir.path());
        assert_eq!(scan.dicomdirs.len(), 4, "{:?}", scan.dicomdirs);
        let index = check(&scan, None);
        assert_eq!(index.findings, vec![]);
        assert_eq!(
            index.series_counts.values().sum::<usize>(),
            scan.records.len(),
            "each file counted once however many directory files list it"
        );

        let first = disc.series[0].instances[0].path.clone();
        std::fs::remove_file(dir.path().join(&first)).unwrap();
        let findings = check(&scan_of(dir.path()), None).findings;
        let fails: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Fail)
            .collect();
        assert_eq!(fails.len(), 1, "{findings:#?}");
        assert_eq!(fails[0].paths, [display(&first)]);
    }

    #[test]
    fn file_set_bases_follow_ps3_10() {
        let dirs = [
            Path::new("DICOMDIR"),
            Path::new("DICOM/DIRFILE"),
            Path::new("DICOM/ST1/DIRFILE"),
            Path::new("OTHER/DICOMDIR"),
        ];
        assert_eq!(file_set_bases(dirs[0], &dirs), [Path::new("")]);
        assert_eq!(
            file_set_bases(dirs[2], &dirs),
            [Path::new(""), Path::new("DICOM/ST1")]
        );
        let alone = [Path::new("PAT1/DICOMDIR"), Path::new("PAT2/DICOMDIR")];
        assert_eq!(
            file_set_bases(alone[1], &alone),
            [Path::new("PAT2"), Path::new("")]
        );
    }
}
