//! ISO 9660 listing (ECMA-119): volume descriptors, then the directory tree, with Rock Ridge names (POSIX
//! names, symbolic links) when the image has them, else Joliet names (UCS-2), else the plain names without their
//! `;1` version suffix. Bounded: folder sizes, depth, member count, and every folder visited once.
//!
//! Written here rather than taken from a crate: the ISO 9660 crates available either lack Joliet (`iso9660`),
//! pull a FUSE mount and a command line into the library (`cdfs`), or are pre-releases (`hadris-iso`).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use super::reader::{ReadAt, read_full_at};
use super::{Entry, Listing, safe_relative};
use crate::walk::SkipReason;

/// Size of an ISO 9660 sector; the volume descriptors start at sector 16.
pub(super) const SECTOR: u64 = 2048;
/// Most volume descriptors read before the terminator.
const MAX_DESCRIPTORS: u64 = 64;
/// Most members listed.
const MAX_MEMBERS: usize = 1_000_000;
/// Most directory records looked at in one image (files, folders and refused records together).
const MAX_RECORDS: usize = 2_000_000;
/// Deepest folder nesting followed.
const MAX_DEPTH: usize = 64;
/// Largest folder read (a folder of 20 000 files takes about 1 MiB).
const MAX_FOLDER_BYTES: u64 = 16 << 20;
/// Directory record flags.
const FLAG_DIRECTORY: u8 = 0x02;
const FLAG_ASSOCIATED: u8 = 0x04;
const FLAG_MULTI_EXTENT: u8 = 0x80;

/// Which names the listing uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    RockRidge { skip: usize },
    Joliet,
    Plain,
}

/// Where a file's or folder's bytes are, in logical blocks.
#[derive(Debug, Clone, Copy)]
struct Extent {
    block: u64,
    length: u64,
}

/// Lists the files of the ISO 9660 image `file` (`size` bytes long). Every extent is checked against the image
/// and the volume its primary volume descriptor declares; an image shorter than its volume is reported once as
/// incomplete, and the files past its end as incomplete rather than read.
pub(super) fn list(file: &dyn ReadAt, size: u64) -> Result<Listing, String> {
    let mut primary: Option<(Extent, u64, u64)> = None;
    let mut joliet: Option<Extent> = None;
    let mut cut_in_descriptors = false;
    for n in 16..16 + MAX_DESCRIPTORS {
        let mut sector = [0u8; SECTOR as usize];
        if read_full_at(file, &mut sector, n * SECTOR) != Some(sector.len()) {
            cut_in_descriptors = size < (n + 1) * SECTOR;
            break;
        }
        if sector.get(1..6) != Some(b"CD001") {
            break;
        }
        let root = sector.get(156..190).and_then(extent_of);
        match sector[0] {
            1 => {
                let block_size = u64::from(le16(&sector, 128));
                let volume_blocks = u64::from(le32(&sector, 80));
                if let Some(root) = root
                    && matches!(block_size, 512 | 1024 | 2048)
                {
                    primary.get_or_insert((root, block_size, volume_blocks * block_size));
                }
            }
            2 => {
                let escapes = sector.get(88..120).unwrap_or_default();
                let is_joliet = [b"%/@", b"%/C", b"%/E"]
                    .iter()
                    .any(|e| escapes.windows(3).any(|w| w == *e));
                if is_joliet && let Some(root) = root {
                    joliet.get_or_insert(root);
                }
            }
            255 => break,
            _ => {}
        }
    }
    let Some((primary_root, block_size, volume)) = primary else {
        if cut_in_descriptors {
            return Ok(Listing {
                damage: vec![SkipReason::Incomplete(format!(
                    "only {size} bytes: the disc image ends before its volume descriptors"
                ))],
                ..Listing::default()
            });
        }
        return Err(
            "not a readable ISO 9660 disc image (no primary volume descriptor)".to_string(),
        );
    };
    let mut lister = Lister {
        file,
        size,
        volume,
        block_size,
        listing: Listing::default(),
        visited: HashSet::new(),
        folders: BTreeMap::new(),
        records: 0,
    };
    if size < volume {
        lister.listing.damage.push(SkipReason::Incomplete(format!(
            "the disc image holds {size} of the {volume} bytes its volume declares: the download or copy \
             is incomplete"
        )));
    }
    let (root, names) = match (rock_ridge(&lister, primary_root), joliet) {
        (Some(skip), _) => (primary_root, Names::RockRidge { skip }),
        (None, Some(joliet)) => (joliet, Names::Joliet),
        (None, None) => (primary_root, Names::Plain),
    };
    lister.walk(root, names)?;
    lister.refuse_shared_extents();
    Ok(lister.listing)
}

/// Rock Ridge is in use when the root's `.` record starts its system use area with an `SP` entry; gives the
/// number of bytes to skip at the start of every system use area.
fn rock_ridge(lister: &Lister<'_>, root: Extent) -> Option<usize> {
    let data = lister.read_folder(root).ok()?;
    let record = records(&data, lister.block_size).next()?;
    let sua = record.system_use;
    (sua.get(..2) == Some(b"SP") && sua.get(4..6) == Some(&[0xBE, 0xEF]))
        .then(|| sua.get(6).map_or(0, |&s| usize::from(s)))
}

/// Where an extent lies relative to the image and its volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Inside both, from this byte offset.
    At(u64),
    /// Inside the volume but past the end of a cut image.
    PastTheCut,
    /// Outside the volume the image declares: a damaged or crafted record.
    OutsideVolume,
}

struct Lister<'a> {
    file: &'a dyn ReadAt,
    size: u64,
    /// Bytes of the volume the primary volume descriptor declares.
    volume: u64,
    block_size: u64,
    listing: Listing,
    /// First blocks of the folders queued or read.
    visited: HashSet<u64>,
    /// Byte ranges (start → end) of the folders queued or read: a folder overlapping another is refused, so the
    /// folders read never add up to more than the image.
    folders: BTreeMap<u64, u64>,
    /// Directory records looked at.
    records: usize,
}

impl Lister<'_> {
    fn place(&self, extent: Extent) -> Place {
        let Some((offset, end)) = extent
            .block
            .checked_mul(self.block_size)
            .and_then(|offset| Some((offset, offset.checked_add(extent.length)?)))
        else {
            return Place::OutsideVolume;
        };
        if end > self.volume {
            Place::OutsideVolume
        } else if end > self.size {
            Place::PastTheCut
        } else {
            Place::At(offset)
        }
    }

    fn read_folder(&self, extent: Extent) -> Result<Vec<u8>, SkipReason> {
        if extent.length > MAX_FOLDER_BYTES {
            return Err(refusal("folder larger than 16 MiB: not read"));
        }
        let offset = match self.place(extent) {
            Place::At(offset) => offset,
            Place::PastTheCut => {
                return Err(SkipReason::Incomplete(
                    "the image ends before this folder: not read".to_string(),
                ));
            }
            Place::OutsideVolume => {
                return Err(refusal(
                    "a folder outside the disc image's volume: not read",
                ));
            }
        };
        let mut data = vec![0u8; usize::try_from(extent.length).unwrap_or(0)];
        match read_full_at(self.file, &mut data, offset) {
            Some(n) if n == data.len() => Ok(data),
            Some(_) => Err(SkipReason::Incomplete(
                "the image ends inside this folder".to_string(),
            )),
            None => Err(SkipReason::Unreadable("read error".to_string())),
        }
    }

    /// Marks a folder as queued; false when it was seen before or overlaps a folder seen before.
    fn claim_folder(&mut self, extent: Extent) -> bool {
        if !self.visited.insert(extent.block) {
            return false;
        }
        let start = extent.block.saturating_mul(self.block_size);
        let end = start.saturating_add(extent.length);
        let before = self.folders.range(..=start).next_back();
        let after = self.folders.range(start..).next();
        if before.is_some_and(|(_, &e)| e > start) || after.is_some_and(|(&s, _)| s < end) {
            return false;
        }
        if end > start {
            self.folders.insert(start, end);
        }
        true
    }

    fn walk(&mut self, root: Extent, names: Names) -> Result<(), String> {
        self.claim_folder(root);
        let mut stack = vec![(root, PathBuf::new(), 0usize)];
        while let Some((extent, prefix, depth)) = stack.pop() {
            let data = match self.read_folder(extent) {
                Ok(data) => data,
                Err(reason) => {
                    let name = if prefix.as_os_str().is_empty() {
                        PathBuf::from("/")
                    } else {
                        prefix
                    };
                    self.skip(name, reason);
                    continue;
                }
            };
            for record in records(&data, self.block_size).skip(2) {
                self.records += 1;
                if self.records > MAX_RECORDS {
                    self.listing.damage.push(refusal(&format!(
                        "the disc image holds more than {MAX_RECORDS} directory records: listing stopped"
                    )));
                    return Ok(());
                }
                if record.flags & FLAG_ASSOCIATED != 0 {
                    continue;
                }
                let su = match names {
                    Names::RockRidge { skip } => record.system_use.get(skip..).unwrap_or_default(),
                    _ => &[],
                };
                let rr = RockRidge::parse(su);
                if rr.relocated {
                    continue;
                }
                let name = match (names, rr.name) {
                    (Names::Joliet, _) => joliet_name(record.name),
                    (Names::RockRidge { .. }, Some(name)) => name,
                    _ => plain_name(record.name),
                };
                let relative = match safe_relative(&name) {
                    Some(part) if part.components().count() == 1 => prefix.join(part),
                    _ => {
                        self.skip(
                            prefix.join(name.replace('\0', "\\0")),
                            refusal("unsafe name in the disc image: not read"),
                        );
                        continue;
                    }
                };
                let folder = match rr.child {
                    Some(block) => self.relocated_folder(block),
                    None => (record.flags & FLAG_DIRECTORY != 0).then_some(record.extent),
                };
                if rr.symlink {
                    self.skip(relative, SkipReason::Symlink);
                } else if let Some(folder) = folder {
                    if depth + 1 >= MAX_DEPTH {
                        self.skip(relative, refusal("folders nested too deeply: not read"));
                    } else if !self.claim_folder(folder) {
                        self.skip(
                            relative,
                            refusal("a folder that loops back or overlaps another: not followed"),
                        );
                    } else {
                        stack.push((folder, relative, depth + 1));
                    }
                } else if record.flags & FLAG_MULTI_EXTENT != 0 {
                    self.skip(
                        relative,
                        refusal("a file stored in several parts (over 4 GiB): not read"),
                    );
                } else {
                    self.file_record(relative, &record)?;
                }
            }
        }
        Ok(())
    }

    /// Lists a file whose extent lies in the image; refuses one outside the volume, and reports one past the
    /// end of a cut image as incomplete.
    fn file_record(&mut self, relative: PathBuf, record: &Record<'_>) -> Result<(), String> {
        let data = Extent {
            block: record.extent.block.saturating_add(record.ear_blocks),
            length: record.extent.length,
        };
        let offset = match self.place(data) {
            _ if data.length == 0 => 0,
            Place::At(offset) => offset,
            Place::PastTheCut => {
                self.skip(
                    relative,
                    SkipReason::Incomplete(format!(
                        "{} bytes, not all in the image: it was cut before the end of this file",
                        data.length
                    )),
                );
                return Ok(());
            }
            Place::OutsideVolume => {
                self.skip(
                    relative,
                    refusal(&format!(
                        "its directory record places its {} bytes outside the disc image's volume: not read",
                        data.length
                    )),
                );
                return Ok(());
            }
        };
        if self.listing.entries.len() >= MAX_MEMBERS {
            return Err(format!(
                "the disc image lists more than {MAX_MEMBERS} files: not read"
            ));
        }
        self.listing.entries.push(Entry {
            relative,
            size: data.length,
            offset,
            deflated: None,
            crc32: None,
        });
        Ok(())
    }

    /// Reads every stored file once: a file whose bytes are exactly another's (a writer storing identical files
    /// once, or records crafted to multiply one extent) is listed as shared and not read again; one whose bytes
    /// overlap another's otherwise is a damaged record and refused. The first of each group is read.
    fn refuse_shared_extents(&mut self) {
        let entries = &self.listing.entries;
        let mut spans: Vec<(u64, u64, usize)> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.size > 0)
            .map(|(i, e)| (e.offset, e.offset.saturating_add(e.size), i))
            .collect();
        spans.sort_unstable();
        let mut shared: Vec<(usize, SkipReason)> = Vec::new();
        let mut reach: Option<(u64, u64, usize)> = None;
        for &(start, end, index) in &spans {
            match reach {
                Some((first, far, owner)) if start < far => {
                    let owner = entries
                        .get(owner)
                        .map(|e| e.relative.clone())
                        .unwrap_or_default();
                    let reason = if (start, end) == (first, far) {
                        SkipReason::SharedWith(owner)
                    } else {
                        refusal(&format!(
                            "its bytes overlap those of {} (a damaged directory record): not read",
                            owner.display()
                        ))
                    };
                    shared.push((index, reason));
                }
                _ => reach = Some((start, end, index)),
            }
        }
        if shared.is_empty() {
            return;
        }
        shared.sort_unstable_by_key(|(index, _)| *index);
        let mut shared = shared.into_iter().peekable();
        let mut kept = Vec::with_capacity(entries.len());
        for (i, entry) in std::mem::take(&mut self.listing.entries)
            .into_iter()
            .enumerate()
        {
            match shared.next_if(|(index, _)| *index == i) {
                Some((_, reason)) => self.skip(entry.relative, reason),
                None => kept.push(entry),
            }
        }
        self.listing.entries = kept;
    }

    /// The folder a Rock Ridge `CL` entry points to: its own `.` record gives its length.
    fn relocated_folder(&self, block: u64) -> Option<Extent> {
        let first = Extent {
            block,
            length: self.block_size,
        };
        let data = self.read_folder(first).ok()?;
        let own = records(&data, self.block_size).next()?;
        (own.extent.block == block).then_some(own.extent)
    }

    fn skip(&mut self, relative: PathBuf, reason: SkipReason) {
        self.listing.skip(relative, reason);
    }
}

fn refusal(reason: &str) -> SkipReason {
    SkipReason::Archive(reason.to_string())
}

/// One directory record.
struct Record<'a> {
    extent: Extent,
    ear_blocks: u64,
    flags: u8,
    name: &'a [u8],
    system_use: &'a [u8],
}

/// The directory records of one folder's bytes, stopping at the first malformed one. Records never cross a
/// logical block; a zero length byte means the rest of the block is padding.
fn records(data: &[u8], block_size: u64) -> impl Iterator<Item = Record<'_>> {
    let block = usize::try_from(block_size).unwrap_or(2048).max(1);
    let mut at = 0usize;
    std::iter::from_fn(move || {
        loop {
            let len = usize::from(*data.get(at)?);
            if len == 0 {
                at = (at / block + 1) * block;
                continue;
            }
            let raw = data.get(at..at + len)?;
            at += len;
            if len < 34 {
                return None;
            }
            let name_len = usize::from(raw[32]);
            let name = raw.get(33..33 + name_len)?;
            let su_start = 33 + name_len + usize::from(name_len % 2 == 0);
            return Some(Record {
                extent: extent_of(raw)?,
                ear_blocks: u64::from(raw[1]),
                flags: raw[25],
                name,
                system_use: raw.get(su_start..).unwrap_or_default(),
            });
        }
    })
}

fn extent_of(record: &[u8]) -> Option<Extent> {
    let block = record.get(2..6)?;
    let length = record.get(10..14)?;
    Some(Extent {
        block: u64::from(u32::from_le_bytes(block.try_into().ok()?)),
        length: u64::from(u32::from_le_bytes(length.try_into().ok()?)),
    })
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn le16(bytes: &[u8], at: usize) -> u16 {
    bytes
        .get(at..at + 2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

/// A plain ISO 9660 name: `;1` version and a trailing dot removed.
fn plain_name(raw: &[u8]) -> String {
    let name: String = raw.iter().map(|&b| char::from(b)).collect();
    let name = name.split(';').next().unwrap_or_default();
    name.strip_suffix('.').unwrap_or(name).to_string()
}

/// A Joliet name: UCS-2 big endian, `;1` version removed.
fn joliet_name(raw: &[u8]) -> String {
    let units = raw
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    let name: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    name.split(';').next().unwrap_or_default().to_string()
}

/// What a record's Rock Ridge entries say.
#[derive(Default)]
struct RockRidge {
    name: Option<String>,
    symlink: bool,
    relocated: bool,
    /// `CL`: the folder relocated out of a deep tree really sits at this block.
    child: Option<u64>,
}

impl RockRidge {
    /// Reads the SUSP entries of one system use area (continuation areas are not followed).
    fn parse(mut su: &[u8]) -> Self {
        let mut rr = Self::default();
        let mut name: Option<Vec<u8>> = None;
        while su.len() >= 4 {
            let len = usize::from(su[2]);
            let Some(entry) = su.get(..len).filter(|_| len >= 4) else {
                break;
            };
            match entry.get(..2) {
                Some(b"NM") => {
                    let flags = entry.get(4).copied().unwrap_or(0);
                    if flags & 0x06 == 0 {
                        name.get_or_insert_with(Vec::new)
                            .extend_from_slice(entry.get(5..).unwrap_or_default());
                    }
                }
                Some(b"SL") => rr.symlink = true,
                Some(b"RE") => rr.relocated = true,
                Some(b"CL") => {
                    rr.child = entry
                        .get(4..8)
                        .and_then(|b| b.try_into().ok())
                        .map(|b| u64::from(u32::from_le_bytes(b)));
                }
                Some(b"ST") => break,
                _ => {}
            }
            su = su.get(len..).unwrap_or_default();
        }
        rr.name = name.map(|n| String::from_utf8_lossy(&n).into_owned());
        rr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_version_and_decode() {
        assert_eq!(plain_name(b"IM000001.;1"), "IM000001");
        assert_eq!(plain_name(b"README.TXT;1"), "README.TXT");
        assert_eq!(joliet_name(&[0, b'a', 0x5F, 0x20, 0, b';', 0, b'1']), "a张");
        let su = [
            b'N', b'M', 9, 1, 0, b'a', b'b', b'c', b'd', b'S', b'L', 5, 1, 0,
        ];
        let rr = RockRidge::parse(&su);
        assert_eq!(rr.name.as_deref(), Some("abcd"));
        assert!(rr.symlink);
    }

    #[test]
    fn records_stop_at_a_malformed_length_and_skip_block_padding() {
        let mut data = vec![0u8; 4096];
        data[0] = 34;
        data[32] = 1;
        data[2048] = 40;
        data[2048 + 32] = 5;
        assert_eq!(records(&data, 2048).count(), 2);
        data[2048] = 10;
        assert_eq!(records(&data, 2048).count(), 1);
    }
}
