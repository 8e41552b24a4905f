//! Archives: a downloaded `.zip` or a disc image (`.iso`, ISO 9660 with Joliet and Rock Ridge names) checked in
//! place, member by member, without extracting anything.
//!
//! [`Archive::open`] lists the members as a [`Walk`], exactly like a folder; members that must not be read
//! (unsafe names, encryption, unknown compression, zip-bomb limits) are [`SkipReason::Archive`] entries, and an
//! archive that cannot be read at all is one such entry named after the archive. Members are read through
//! positioned reads on one shared handle, so the scan reads them in parallel.

mod iso9660;
mod reader;
mod zip_media;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use reader::Inflating;
pub(crate) use reader::RangeReader;
pub use reader::{EntryReader, ReadAt};

use crate::read_header::{
    DefectKind, FileDefect, HeaderOutcome, InflateBudget, read_header_budgeted,
};
use crate::walk::{MediaFile, SkipReason, Skipped, Walk, WalkError};

/// Refused or damaged members named one by one; past this, one line counts the rest (a crafted image can list
/// millions).
const MAX_NAMED_SKIPS: usize = 1000;

/// The kinds of archive read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A zip file (stored and deflated members).
    Zip,
    /// An ISO 9660 disc image.
    Iso,
}

/// Tells whether `path` is an archive to read in place: a regular file (or a link the user named to one) named
/// `.zip` or `.iso`, or starting with a zip or ISO 9660 signature.
pub fn detect(path: &Path) -> Option<Kind> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let file = open_archive(path).ok()?;
    kind_of(path, &file)
}

/// The archive kind of the file named `name` whose bytes `file` reads: by extension (`.zip`, `.iso`), else by
/// the zip or ISO 9660 signature.
pub fn kind_of(name: &Path, file: &dyn ReadAt) -> Option<Kind> {
    let extension = name
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("zip") => return Some(Kind::Zip),
        Some("iso") => return Some(Kind::Iso),
        _ => {}
    }
    let mut head = [0u8; 4];
    if reader::read_full_at(file, &mut head, 0) == Some(4) && head == *b"PK\x03\x04" {
        return Some(Kind::Zip);
    }
    let mut magic = [0u8; 5];
    if reader::read_full_at(file, &mut magic, iso9660::SECTOR * 16 + 1) == Some(5)
        && magic == *b"CD001"
    {
        return Some(Kind::Iso);
    }
    None
}

/// Where a member's bytes are and how they are stored.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Member path, made safe and relative.
    pub relative: PathBuf,
    /// Size in bytes once read (uncompressed).
    pub size: u64,
    /// Offset of the stored bytes in the archive file.
    pub offset: u64,
    /// `Some(compressed size)` for a deflated member.
    pub deflated: Option<u64>,
    /// CRC-32 recorded by a zip archive.
    pub crc32: Option<u32>,
}

/// What listing an archive found.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Members to read.
    pub entries: Vec<Entry>,
    /// Members not read, and why.
    pub skipped: Vec<Skipped>,
    /// Damage to the archive as a whole (cut short, limits reached), reported under the archive's name.
    pub damage: Vec<SkipReason>,
    /// Members not read beyond [`MAX_NAMED_SKIPS`], counted instead of named.
    pub unnamed_skips: usize,
}

impl Listing {
    /// Records a member not read: named while fewer than [`MAX_NAMED_SKIPS`] are, counted after.
    pub fn skip(&mut self, relative: PathBuf, reason: SkipReason) {
        if self.skipped.len() < MAX_NAMED_SKIPS {
            self.skipped.push(Skipped { relative, reason });
        } else {
            self.unnamed_skips += 1;
        }
    }
}

/// Opens the archive file the user named (a link they named is followed) without blocking, and only when it is
/// a regular file.
fn open_archive(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ))
    }
}

/// An open archive and its readable members.
#[derive(Debug)]
pub struct Archive {
    file: Arc<dyn ReadAt>,
    /// Sorted by `relative`.
    entries: Vec<Entry>,
    /// Every byte inflated from this archive in one scan is drawn from here.
    budget: Arc<InflateBudget>,
}

impl Archive {
    /// Opens the archive at `path` and lists its members. A damaged archive is not an error: it is listed as
    /// one [`SkipReason::Archive`] entry, so that the check reports it.
    pub fn open(path: &Path, kind: Kind) -> Result<(Self, Walk), WalkError> {
        let root_error = |source| WalkError::Root {
            path: path.to_path_buf(),
            source,
        };
        let file = open_archive(path).map_err(root_error)?;
        let size = file.metadata().map_err(root_error)?.len();
        let name = path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| path.to_path_buf());
        Ok(Self::from_source(Arc::new(file), size, kind, path, &name))
    }

    /// Lists the archive held by `file` (`size` bytes; the seam through which tests and fuzzers read archives
    /// in memory). The walk's base is `path`; damage to the whole archive is named `name`.
    pub fn from_source(
        file: Arc<dyn ReadAt>,
        size: u64,
        kind: Kind,
        path: &Path,
        name: &Path,
    ) -> (Self, Walk) {
        let listed = match kind {
            Kind::Zip => zip_media::list(&file, size),
            Kind::Iso => iso9660::list(file.as_ref(), size),
        };
        let Listing {
            mut entries,
            mut skipped,
            damage,
            unnamed_skips,
        } = listed.unwrap_or_else(|reason| Listing {
            damage: vec![SkipReason::Archive(reason)],
            ..Listing::default()
        });
        // Damage to the whole archive first: it is what a reader of the finding must see.
        skipped.splice(
            0..0,
            damage.into_iter().map(|reason| Skipped {
                relative: name.to_path_buf(),
                reason,
            }),
        );
        entries.sort_by(|a, b| a.relative.cmp(&b.relative));
        let mut unique: Vec<Entry> = Vec::with_capacity(entries.len());
        for entry in entries {
            if unique.last().is_some_and(|e| e.relative == entry.relative) {
                skipped.push(Skipped {
                    relative: entry.relative,
                    reason: SkipReason::Archive(
                        "a second member with the same name: not read".to_string(),
                    ),
                });
            } else {
                unique.push(entry);
            }
        }
        let more = skipped.len().saturating_sub(MAX_NAMED_SKIPS) + unnamed_skips;
        if more > 0 {
            skipped.truncate(MAX_NAMED_SKIPS);
            skipped.push(Skipped {
                relative: name.to_path_buf(),
                reason: SkipReason::Archive(format!(
                    "{more} more entries refused or damaged, not named one by one"
                )),
            });
        }
        let walk = Walk {
            base: path.to_path_buf(),
            files: unique
                .iter()
                .map(|e| MediaFile {
                    relative: e.relative.clone(),
                    size: e.size,
                })
                .collect(),
            skipped,
        };
        let archive = Self {
            file,
            entries: unique,
            budget: Arc::new(InflateBudget::for_media(size)),
        };
        (archive, walk)
    }

    /// The inflation budget every read of this archive draws on (the scan's budget).
    pub fn budget(&self) -> Arc<InflateBudget> {
        self.budget.clone()
    }

    fn entry(&self, relative: &Path) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.relative.as_path().cmp(relative))
            .ok()
            .and_then(|i| self.entries.get(i))
    }

    /// Opens the member listed as `relative`, with its size.
    pub fn open_member(&self, relative: &Path) -> io::Result<(EntryReader, u64)> {
        let entry = self.entry(relative).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no such member in the archive")
        })?;
        Ok((self.reader(entry), entry.size))
    }

    fn reader(&self, entry: &Entry) -> EntryReader {
        match entry.deflated {
            Some(compressed) => EntryReader::Inflate(Box::new(Inflating::new(
                RangeReader::new(self.file.clone(), entry.offset, compressed),
                entry.size,
                self.budget.clone(),
            ))),
            None => EntryReader::Plain(RangeReader::new(
                self.file.clone(),
                entry.offset,
                entry.size,
            )),
        }
    }

    /// Reads the header of the member listed as `relative`; a zip member is also read whole once to check its
    /// CRC-32, so a corrupt download is found even where the header reader does not look.
    pub fn read_header(&self, relative: &Path) -> HeaderOutcome {
        let Some(entry) = self.entry(relative) else {
            return HeaderOutcome::Unreadable(FileDefect {
                kind: DefectKind::Io,
                detail: "no such member in the archive".to_string(),
            });
        };
        let outcome = read_header_budgeted(
            self.reader(entry),
            entry.size,
            relative,
            self.budget.clone(),
        );
        let Some(defect) = self.verify(entry).err() else {
            return outcome;
        };
        match outcome {
            HeaderOutcome::Instance(mut record) => {
                record.defect.get_or_insert(Box::new(defect));
                HeaderOutcome::Instance(record)
            }
            HeaderOutcome::NotDicom(_) => HeaderOutcome::Unreadable(defect),
            unreadable @ HeaderOutcome::Unreadable(_) => unreadable,
        }
    }

    /// Reads a zip member whole and compares its length and CRC-32 with the archive's records.
    fn verify(&self, entry: &Entry) -> Result<(), FileDefect> {
        let Some(expected) = entry.crc32 else {
            return Ok(());
        };
        let mut reader = self.reader(entry);
        let mut hasher = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if e.kind() == io::ErrorKind::InvalidInput
                        || e.kind() == io::ErrorKind::InvalidData
                        || InflateBudget::is_spent(&e) =>
                {
                    return Err(FileDefect {
                        kind: DefectKind::Malformed,
                        detail: format!("damaged compressed data in the archive: {e}"),
                    });
                }
                Err(e) => {
                    return Err(FileDefect {
                        kind: DefectKind::Io,
                        detail: e.to_string(),
                    });
                }
            };
            hasher.update(buf.get(..n).unwrap_or_default());
            total += n as u64;
        }
        if total < entry.size {
            return Err(FileDefect {
                kind: DefectKind::Truncated,
                detail: format!(
                    "the archive holds only {total} of the member's {} bytes",
                    entry.size
                ),
            });
        }
        if hasher.finalize() != expected {
            return Err(FileDefect {
                kind: DefectKind::Malformed,
                detail: "the member is corrupt in the archive (CRC-32 mismatch)".to_string(),
            });
        }
        Ok(())
    }
}

/// A member name made safe: relative, `/` or `\` separated, without `..`, drive letters or NUL. `None` for a
/// name that would reach outside the archive's root (a "zip slip").
pub(crate) fn safe_relative(name: &str) -> Option<PathBuf> {
    if name.starts_with(['/', '\\']) || name.contains('\0') {
        return None;
    }
    let mut path = PathBuf::new();
    for (i, part) in name.split(['/', '\\']).enumerate() {
        match part {
            "" | "." => {}
            ".." => return None,
            _ if i == 0 && part.contains(':') => return None,
            _ => path.push(part),
        }
    }
    (!path.as_os_str().is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_member_names_are_refused() {
        for bad in [
            "../evil",
            "a/../../evil",
            "/etc/passwd",
            "\\windows\\x",
            "C:/x",
            "a\0b",
            "",
            "/",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
        assert_eq!(
            safe_relative("DICOM\\ST1/./IM1"),
            Some(PathBuf::from("DICOM/ST1/IM1"))
        );
    }
}
