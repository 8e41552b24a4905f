//! Verified copy (`--copy-to DIR`) and its later check (`--verify-copy DIR`).
//!
//! Every regular file of the media (a folder, or the members of a `.zip` or `.iso`) is copied to `DIR` with the
//! same layout, written under a temporary `.dicomcheck-partial` name, synced, read back and compared by SHA-256
//! with the bytes read from the media, and only then renamed to its real name: a file that looks complete is
//! complete. An existing identical file is kept (a re-run resumes), a different one is never overwritten.
//! `MANIFEST.sha256` (the `sha256sum -c` format) and the reports are written last, beside the files. Every
//! write goes through [`crate::write_guard`]: created new, never through a link, never onto the media.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::archive::{self, Archive};
use crate::walk::{MediaFile, SkipReason, open_media_file, walk};
pub use crate::write_guard::PARTIAL_SUFFIX;
use crate::write_guard::{WriteGuard, create_new, create_partial};

/// Name of the manifest written at the top of the copy.
pub const MANIFEST: &str = "MANIFEST.sha256";
/// Name of the JSON report written beside the manifest.
pub const REPORT_JSON: &str = "dicomcheck-report.json";
/// Name of the text report written beside the manifest.
pub const REPORT_TEXT: &str = "dicomcheck-report.txt";
/// The printable report (`--report`'s page) written beside the manifest.
pub const REPORT_HTML: &str = "dicomcheck-report.html";
/// Largest manifest read by [`verify_copy`].
const MAX_MANIFEST_BYTES: u64 = 256 << 20;

/// Where copied bytes go: the seam through which tests simulate a destination that fills up.
pub trait Storage {
    /// Creates the new file at `path` for writing; fails when the name is taken.
    fn create(&self, path: &Path) -> io::Result<Box<dyn StoredFile>>;
}

/// A file being written by a [`Storage`].
pub trait StoredFile: Write {
    /// Flushes the written bytes to the device.
    fn sync(&mut self) -> io::Result<()>;
}

impl StoredFile for File {
    fn sync(&mut self) -> io::Result<()> {
        self.sync_all()
    }
}

/// The real file system: new files only, no link followed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Storage for Disk {
    fn create(&self, path: &Path) -> io::Result<Box<dyn StoredFile>> {
        Ok(Box::new(create_new(path)?))
    }
}

/// Why a copy stopped.
#[derive(Debug, Error)]
pub enum CopyError {
    /// The destination lies inside the media being copied.
    #[error("refusing to copy into {dest}: it is inside the media being copied ({source_root})")]
    InsideSource {
        /// The destination as given.
        dest: PathBuf,
        /// The media root.
        source_root: PathBuf,
    },
    /// A file already in the destination differs from the original.
    #[error(
        "{0} already exists in the destination and differs from the original: it was not overwritten. \
         Choose an empty folder, or move that file away and run the same command again."
    )]
    Differs(PathBuf),
    /// The destination is full.
    #[error(
        "the destination is full: {path} could not be written ({copied} of {total} bytes copied so far). \
         Free some space or choose a larger drive, then run the same command again: it resumes where it stopped."
    )]
    Full {
        /// The file being written.
        path: PathBuf,
        /// Bytes copied before it.
        copied: u64,
        /// Bytes to copy in all.
        total: u64,
    },
    /// Writing or reading back the destination failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The destination file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Reading the media failed.
    #[error("cannot read {path} from the media: {source}")]
    Read {
        /// The media file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The bytes read back differ from the bytes written.
    #[error(
        "the copy of {0} reads back different from the original (SHA-256): the destination drive may be faulty"
    )]
    Mismatch(PathBuf),
    /// The media or the destination cannot be opened.
    #[error("{0}")]
    Media(String),
}

/// What a finished copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopySummary {
    /// Files in the copy (and in the manifest).
    pub files: usize,
    /// Files written this time.
    pub copied: usize,
    /// Files already present and identical (a resumed copy).
    pub already_there: usize,
    /// Bytes in all files.
    pub bytes: u64,
    /// Entries of the media not copied (links, special files, refused or incomplete archive members, files
    /// named like the copy's own files at its top), relative.
    pub not_copied: Vec<PathBuf>,
}

/// Refuses a destination inside the media (or the archive itself) before anything is read or written.
pub fn check_destination(root: &Path, dest: &Path) -> Result<(), CopyError> {
    let source = fs::canonicalize(root)
        .map_err(|e| CopyError::Media(format!("cannot open {}: {e}", root.display())))?;
    let target = resolve(dest)
        .map_err(|e| CopyError::Media(format!("cannot use {}: {e}", dest.display())))?;
    if target == source || (source.is_dir() && target.starts_with(&source)) {
        return Err(CopyError::InsideSource {
            dest: dest.to_path_buf(),
            source_root: root.to_path_buf(),
        });
    }
    if target.exists() && !target.is_dir() {
        return Err(CopyError::Media(format!(
            "{} exists and is not a folder",
            dest.display()
        )));
    }
    Ok(())
}

/// `path` made absolute with its existing part's links resolved, even when its end does not exist yet.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
            break;
        };
        rest.push(name.to_os_string());
        existing = parent;
    }
    let mut resolved = fs::canonicalize(existing)?;
    for name in rest.into_iter().rev() {
        if name == ".." {
            resolved.pop();
        } else if name != "." {
            resolved.push(name);
        }
    }
    Ok(resolved)
}

/// The media's files, opened from the folder (the walk's base) or the archive.
enum Media {
    Folder(PathBuf),
    Archive(Archive),
}

impl Media {
    fn open(root: &Path) -> Result<(Self, Vec<MediaFile>, Vec<PathBuf>), CopyError> {
        let media_error = |e: crate::walk::WalkError| CopyError::Media(e.to_string());
        let (media, listing) = match archive::detect(root) {
            Some(kind) => {
                let (archive, listing) = Archive::open(root, kind).map_err(media_error)?;
                (Self::Archive(archive), listing)
            }
            None => {
                let listing = walk(root).map_err(media_error)?;
                (Self::Folder(listing.base.clone()), listing)
            }
        };
        if let Some(damaged) = listing
            .skipped
            .iter()
            .find(|s| matches!(s.reason, SkipReason::Unreadable(_)))
        {
            return Err(CopyError::Read {
                path: damaged.relative.clone(),
                source: io::Error::other("the folder or entry cannot be read"),
            });
        }
        let not_copied = listing.skipped.into_iter().map(|s| s.relative).collect();
        Ok((media, listing.files, not_copied))
    }

    fn read(&self, file: &MediaFile) -> io::Result<Box<dyn Read>> {
        match self {
            Self::Folder(base) => Ok(Box::new(open_media_file(&base.join(&file.relative))?.0)),
            Self::Archive(archive) => Ok(Box::new(archive.open_member(&file.relative)?.0)),
        }
    }
}

/// Copies the media at `root` to `dest` on the real file system; see [`copy_media_with`].
pub fn copy_media(root: &Path, dest: &Path, progress: bool) -> Result<CopySummary, CopyError> {
    copy_media_with(root, dest, progress, &Disk)
}

/// Copies every regular file of the media at `root` into `dest` through `storage`, verifies each copy by
/// SHA-256, and writes [`MANIFEST`]. Shows bytes and time left on stderr when `progress`.
pub fn copy_media_with(
    root: &Path,
    dest: &Path,
    progress: bool,
    storage: &dyn Storage,
) -> Result<CopySummary, CopyError> {
    check_destination(root, dest)?;
    let guard = WriteGuard::for_media(root);
    let (media, files, mut not_copied) = Media::open(root)?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    let bar = progress_bar(progress, total);
    let (refused, files): (Vec<&MediaFile>, Vec<&MediaFile>) = files
        .iter()
        .partition(|f| is_reserved(&f.relative) || !portable(&f.relative));
    not_copied.extend(refused.into_iter().map(|f| f.relative.clone()));
    let mut summary = CopySummary {
        files: files.len(),
        not_copied,
        ..CopySummary::default()
    };
    let mut manifest = Vec::with_capacity(files.len());
    for file in files {
        let target = dest.join(&file.relative);
        let digest = match fs::symlink_metadata(&target) {
            Ok(_) => {
                let original =
                    hash(&mut open(&media, file)?).map_err(|source| read_error(file, source))?;
                let existing = open_media_file(&target)
                    .and_then(|(mut f, _)| hash(&mut f))
                    .ok();
                if existing != Some(original) {
                    return Err(CopyError::Differs(target));
                }
                summary.already_there += 1;
                bar.inc(file.size);
                original
            }
            Err(_) => {
                let place = Place {
                    target: &target,
                    guard: &guard,
                    storage,
                };
                let digest = copy_one(&media, file, &place, &bar, summary.bytes, total)?;
                summary.copied += 1;
                digest
            }
        };
        summary.bytes += file.size;
        manifest.push((file.relative.clone(), digest));
    }
    bar.finish_and_clear();
    manifest.sort();
    let text: String = manifest
        .iter()
        .map(|(path, digest)| manifest_line(path, digest))
        .collect();
    write_atomically(&dest.join(MANIFEST), text.as_bytes(), storage, &guard)?;
    Ok(summary)
}

fn open(media: &Media, file: &MediaFile) -> Result<Box<dyn Read>, CopyError> {
    media.read(file).map_err(|source| read_error(file, source))
}

fn read_error(file: &MediaFile, source: io::Error) -> CopyError {
    CopyError::Read {
        path: file.relative.clone(),
        source,
    }
}

/// Whether every component of `relative` can be a file name on Windows (and FAT/exFAT sticks) as it is: no `:`
/// (on NTFS it would open an alternate data stream of another file), `\` (a folder separator there, though a
/// character of a name on a unix disc) or other character Windows refuses, no reserved device name (CON, NUL,
/// COM0-9, LPT0-9, CONIN$, … with or without an extension: they open the device), no trailing dot or space
/// (Windows strips them, so two names could become one). Checked on every system, since the copy may go to a
/// stick that a Windows laptop reads next.
fn portable(relative: &Path) -> bool {
    const DEVICES: [&str; 6] = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];
    relative.components().all(|component| {
        let name = component.as_os_str().to_string_lossy();
        let stem = name.split('.').next().unwrap_or_default().trim_end();
        let upper = stem.to_ascii_uppercase();
        let numbered_port = ["COM", "LPT"].iter().any(|port| {
            upper.strip_prefix(port).is_some_and(|n| {
                matches!(
                    n,
                    "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
                )
            })
        });
        !name.is_empty()
            && !name.contains(|c: char| {
                matches!(c, ':' | '\\' | '<' | '>' | '"' | '|' | '?' | '*') || c < ' '
            })
            && !name.ends_with(['.', ' '])
            && !DEVICES.contains(&upper.as_str())
            && !numbered_port
    })
}

/// Names the copy writes itself at its top: a media file with such a name would be overwritten, so it is not
/// copied (and listed as such). Partial names need no such care: a taken one is never reused.
fn is_reserved(relative: &Path) -> bool {
    relative.components().count() == 1
        && relative
            .to_str()
            .is_some_and(|n| [MANIFEST, REPORT_JSON, REPORT_TEXT, REPORT_HTML].contains(&n))
}

/// Where one file is written: its path in the destination, the guard that keeps it off the media, the storage.
struct Place<'a> {
    target: &'a Path,
    guard: &'a WriteGuard,
    storage: &'a dyn Storage,
}

/// Copies one file under a partial name, verifies it and renames it; returns the SHA-256 of the original.
fn copy_one(
    media: &Media,
    file: &MediaFile,
    place: &Place<'_>,
    bar: &ProgressBar,
    copied: u64,
    total: u64,
) -> Result<[u8; 32], CopyError> {
    let target = place.target;
    let write_error = |source: io::Error| {
        if is_full(&source) {
            CopyError::Full {
                path: file.relative.clone(),
                copied,
                total,
            }
        } else {
            CopyError::Write {
                path: target.to_path_buf(),
                source,
            }
        }
    };
    if let Some(parent) = target.parent() {
        place.guard.create_folders(parent).map_err(write_error)?;
    }
    let mut reader = open(media, file)?;
    let resolved = place.guard.resolve(target).map_err(write_error)?;
    let (partial, writer) =
        create_partial(&resolved, |p| place.storage.create(p)).map_err(write_error)?;
    let result = (|mut writer: Box<dyn StoredFile>| {
        let mut hasher = Sha256::new();
        let mut read = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(file, e)),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.update(chunk);
            writer.write_all(chunk).map_err(write_error)?;
            read += n as u64;
            bar.inc(n as u64);
        }
        if read != file.size {
            // Bytes that were not there are never verified: a member or file shorter than listed is an error.
            return Err(read_error(
                file,
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{read} bytes read of the {} listed", file.size),
                ),
            ));
        }
        writer.flush().map_err(write_error)?;
        writer.sync().map_err(write_error)?;
        drop(writer);
        let original: [u8; 32] = hasher.finalize().into();
        let written = open_media_file(&partial)
            .and_then(|(mut f, _)| hash(&mut f))
            .map_err(write_error)?;
        if written != original {
            return Err(CopyError::Mismatch(file.relative.clone()));
        }
        if fs::symlink_metadata(&resolved).is_ok() {
            return Err(CopyError::Differs(target.to_path_buf()));
        }
        fs::rename(&partial, &resolved).map_err(write_error)?;
        Ok(original)
    })(writer);
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

fn is_full(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// Writes `bytes` to `path` (outside the media) through a new partial file renamed into place: a link at
/// `path` is replaced, never followed.
fn write_atomically(
    path: &Path,
    bytes: &[u8],
    storage: &dyn Storage,
    guard: &WriteGuard,
) -> Result<(), CopyError> {
    let mut partial = None;
    let result = (|| {
        let resolved = guard.resolve(path)?;
        let (name, mut file) = create_partial(&resolved, |p| storage.create(p))?;
        partial = Some(name.clone());
        file.write_all(bytes)?;
        file.sync()?;
        drop(file);
        fs::rename(&name, &resolved)
    })();
    result.map_err(|source| {
        if let Some(partial) = &partial {
            let _ = fs::remove_file(partial);
        }
        if is_full(&source) {
            CopyError::Full {
                path: path.to_path_buf(),
                copied: 0,
                total: bytes.len() as u64,
            }
        } else {
            CopyError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Writes the JSON, text and HTML reports beside the manifest of the copy of `root` in `dest`.
pub fn write_reports(
    root: &Path,
    dest: &Path,
    json: &str,
    text: &str,
    html: &str,
) -> Result<(), CopyError> {
    let guard = WriteGuard::for_media(root);
    write_atomically(&dest.join(REPORT_JSON), json.as_bytes(), &Disk, &guard)?;
    write_atomically(&dest.join(REPORT_TEXT), text.as_bytes(), &Disk, &guard)?;
    write_atomically(&dest.join(REPORT_HTML), html.as_bytes(), &Disk, &guard)
}

fn hash(reader: &mut dyn Read) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.finalize().into()),
            Ok(n) => hasher.update(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One `sha256sum` line; a name with `\` or a line break is escaped the way `sha256sum` does.
fn manifest_line(path: &Path, digest: &[u8; 32]) -> String {
    let name: String = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if name.contains(['\\', '\n', '\r']) {
        let escaped = name
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        format!("\\{}  {escaped}\n", hex(digest))
    } else {
        format!("{}  {name}\n", hex(digest))
    }
}

/// Parses one manifest line into the relative path and the hex digest.
fn parse_line(line: &str) -> Option<(String, String)> {
    let (escaped, line) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let digest = line.get(..64)?;
    if !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let rest = line.get(64..)?;
    let name = rest
        .strip_prefix("  ")
        .or_else(|| rest.strip_prefix(" *"))?;
    let name = if escaped {
        let mut out = String::new();
        let mut chars = name.chars();
        while let Some(c) = chars.next() {
            match (c, c == '\\') {
                (_, true) => match chars.next()? {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    '\\' => out.push('\\'),
                    _ => return None,
                },
                (c, false) => out.push(c),
            }
        }
        out
    } else {
        name.to_string()
    };
    Some((name, digest.to_ascii_lowercase()))
}

/// What checking a copy against its manifest found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Files whose SHA-256 matches the manifest.
    pub verified: usize,
    /// Files listed in the manifest but missing, unreadable, or not regular files of the copy (a link, pipe or
    /// device is never opened).
    pub missing: Vec<String>,
    /// Files whose content changed since the copy was made.
    pub changed: Vec<String>,
    /// Manifest lines that are not `sha256sum` lines, name a path outside the copy, or repeat a file.
    pub bad_lines: usize,
}

impl Verification {
    /// True when every listed file is present and unchanged.
    pub fn ok(&self) -> bool {
        self.missing.is_empty()
            && self.changed.is_empty()
            && self.bad_lines == 0
            && self.verified > 0
    }
}

/// Checks the copy in `dir` against its [`MANIFEST`]; reads only, writes nothing. Only regular files inside the
/// copy are opened: no link is followed (out of the copy or anywhere), no pipe or device is opened.
pub fn verify_copy(dir: &Path) -> Result<Verification, CopyError> {
    let path = dir.join(MANIFEST);
    let mut text = String::new();
    open_media_file(&path)
        .and_then(|(f, _)| f.take(MAX_MANIFEST_BYTES).read_to_string(&mut text))
        .map_err(|e| CopyError::Media(format!("cannot read {}: {e}", path.display())))?;
    let mut result = Verification::default();
    let mut seen = HashSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Some((name, digest)) = parse_line(line) else {
            result.bad_lines += 1;
            continue;
        };
        let Some(relative) = archive::safe_relative(&name)
            .filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))))
        else {
            result.bad_lines += 1;
            continue;
        };
        // A file listed again is not read again: a crafted manifest cannot multiply the work.
        if !seen.insert(relative.clone()) {
            result.bad_lines += 1;
            continue;
        }
        match open_inside(dir, &relative).and_then(|mut f| hash(&mut f)) {
            Ok(found) if hex(&found) == digest => result.verified += 1,
            Ok(_) => result.changed.push(name),
            Err(_) => result.missing.push(name),
        }
    }
    Ok(result)
}

/// Opens the regular file `relative` inside `dir` when no folder on the way is a link.
fn open_inside(dir: &Path, relative: &Path) -> io::Result<File> {
    let mut at = dir.to_path_buf();
    let mut parts = relative.components().peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        if parts.peek().is_some() && !fs::symlink_metadata(&at)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a link or file where the copy has a folder",
            ));
        }
    }
    Ok(open_media_file(&at)?.0)
}

fn progress_bar(visible: bool, total: u64) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} copying {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left) {wide_bar}",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_windows_cannot_hold_are_not_portable() {
        for ok in [
            "DICOM/ST000001/IM000001",
            "DICOMDIR",
            "a.b/c d",
            "CONSOLE",
            "COM10",
            "nul1.txt",
        ] {
            assert!(portable(Path::new(ok)), "{ok}");
        }
        for bad in [
            "DICOM/IM:stream",
            "CON",
            "dir/nul.txt",
            "Com1",
            "LPT9.dcm",
            "aux .x",
            "trailing.",
            "DICOM./IM1",
            "space /IM1",
            "q?",
            "COM0",
            "lpt0.txt",
            "conin$",
            "CONOUT$.log",
        ] {
            assert!(!portable(Path::new(bad)), "{bad}");
        }
        // A `\` inside one name (possible on a unix disc) would become a folder on Windows.
        #[cfg(unix)]
        assert!(!portable(Path::new("ST1/IM\\1")));
    }

    #[test]
    fn manifest_lines_round_trip_including_escaped_names() {
        let digest = [0xABu8; 32];
        for name in ["DICOM/ST000001/IM000001", "odd\\name", "two\nlines"] {
            let line = manifest_line(Path::new(name), &digest);
            let (parsed, hex_digest) = parse_line(line.trim_end_matches('\n')).unwrap();
            assert_eq!(parsed, name);
            assert_eq!(hex_digest, hex(&digest));
        }
        assert_eq!(parse_line("xyz  file"), None);
        assert!(parse_line(&format!("{}  ", "0".repeat(64))).is_some());
    }

    #[test]
    fn reserved_names_are_the_copy_s_own_files() {
        assert!(is_reserved(Path::new(MANIFEST)));
        assert!(!is_reserved(Path::new("DICOM/IM1.dicomcheck-partial")));
        assert!(!is_reserved(Path::new("DICOM/MANIFEST.sha256")));
        assert!(!is_reserved(Path::new("DICOM/IM1")));
    }

    #[test]
    fn a_destination_inside_the_source_is_refused_even_when_it_does_not_exist_yet() {
        let tmp = tempfile::tempdir().unwrap();
        let source = tmp.path().join("disc");
        fs::create_dir_all(&source).unwrap();
        assert!(matches!(
            check_destination(&source, &source.join("new/copy")),
            Err(CopyError::InsideSource { .. })
        ));
        assert!(matches!(
            check_destination(&source, &source.join("../disc/./x")),
            Err(CopyError::InsideSource { .. })
        ));
        assert!(check_destination(&source, &tmp.path().join("copy")).is_ok());
    }
}
