//! Walk: list every entry under the media root, read-only, without following symbolic links.
//!
//! Only regular files are handed on to the header reader; symbolic links, FIFOs, sockets and device nodes are
//! recorded but never opened (opening a FIFO would hang, a link could point outside the media or into a loop).

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use thiserror::Error;
use walkdir::WalkDir;

/// A regular file found on the media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Path relative to the media root, used in every message (joined to the root to open the file).
    pub relative: PathBuf,
    /// Size in bytes from the directory entry's metadata.
    pub size: u64,
}

/// An entry that was not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Path relative to the media root.
    pub relative: PathBuf,
    /// Why it was not read.
    pub reason: SkipReason,
}

/// Why an entry was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A symbolic link: never followed.
    Symlink,
    /// A FIFO, socket or device node: never opened.
    Special,
    /// The directory or entry could not be read (the OS error).
    Unreadable(String),
    /// A member of a `.zip` or `.iso` not read, and why: unsafe name, encryption, unknown compression, zip-bomb
    /// limits, or a damaged archive (then named after the archive itself).
    Archive(String),
    /// A member of a `.zip` or `.iso` cut short or lost by an incomplete download or copy (or, named after the
    /// archive, the archive itself cut short), and the detail.
    Incomplete(String),
    /// A file of a disc image stored once under several names: it shares its bytes exactly with the member
    /// named here, which is read (and copied) once for all of them.
    SharedWith(PathBuf),
}

/// Everything the walk found.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// The folder the relative paths start from: the root, or the folder of a root that is a single file.
    pub base: PathBuf,
    /// Regular files, in directory order (sorted by name at each level, as ISO 9660 stores them).
    pub files: Vec<MediaFile>,
    /// Entries that were not read.
    pub skipped: Vec<Skipped>,
}

/// The media root itself cannot be used.
#[derive(Debug, Error)]
pub enum WalkError {
    /// The root does not exist or cannot be accessed.
    #[error("cannot open {path}: {source}")]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Folders an operating system keeps on removable media (macOS Spotlight, Trash and event logs; Windows restore
/// points and recycle bin) or in the archives it makes (macOS' `__MACOSX` resource forks in a `.zip`): whatever
/// they hold is the system's, not the disc's content.
const SYSTEM_FOLDERS: [&str; 6] = [
    ".Spotlight-V100",
    ".Trashes",
    ".fseventsd",
    "System Volume Information",
    "$RECYCLE.BIN",
    "__MACOSX",
];

/// Files an operating system leaves beside the user's files (Finder and Explorer view settings, thumbnails).
const SYSTEM_FILES: [&str; 5] = [
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    "ehthumbs.db",
    ".localized",
];

/// True for a file an operating system left on the media, such as `.DS_Store`, a macOS AppleDouble `._IM0001`
/// companion, `Thumbs.db` or anything under `System Volume Information`: listed as another file, never read as a
/// would-be image (a stick opened once on a Mac must not fail).
///
/// Compared on the path's bytes, its names split where `Path::components` splits them (empty and `.` names
/// dropped): asked of every file, taking the path apart as a `Path` was a fiftieth of the header phase.
pub fn is_system_metadata(relative: &Path) -> bool {
    let is_any =
        |name: &[u8], of: &[&str]| of.iter().any(|f| name.eq_ignore_ascii_case(f.as_bytes()));
    let mut names = relative
        .as_os_str()
        .as_encoded_bytes()
        .split(|&b| b == b'/' || (cfg!(windows) && b == b'\\'))
        .filter(|name| !name.is_empty() && *name != b".")
        .peekable();
    while let Some(name) = names.next() {
        if names.peek().is_none() {
            return name.starts_with(b"._") || is_any(name, &SYSTEM_FILES);
        }
        if is_any(name, &SYSTEM_FOLDERS) {
            return true;
        }
    }
    false
}

/// Tells the kernel that `file` is read in a few small pieces, not front to back: read-ahead off for it (Linux;
/// elsewhere nothing). For the header phase, which reads the first kilobytes of each file: with the default
/// read-ahead a cold device delivers several times the bytes read (measured in `scripts/bench-results.txt`).
/// Not for whole-file reads (images, copies), which read-ahead speeds up.
pub(crate) fn advise_random(file: &std::fs::File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid open descriptor; the call only sets a read-ahead hint, and its failure is harmless.
        unsafe {
            libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Opens a media file for reading without following a symbolic link and without blocking, and only when the
/// handle is a regular file. Between the walk and the open a file can be replaced by a FIFO (an open that would
/// block forever), a device (endless bytes) or a link out of the media; the type is checked on the open handle
/// (`fstat`), so nothing can swap it after the check. Gives the handle and its size.
pub fn open_media_file(path: &Path) -> std::io::Result<(std::fs::File, u64)> {
    let file = open_unfollowed(path)?;
    let meta = file.metadata()?;
    if meta.is_file() {
        Ok((file, meta.len()))
    } else {
        Err(not_regular())
    }
}

/// Opens `path` read-only without following a link at its end, without blocking and without becoming a
/// controlling terminal.
fn open_unfollowed(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        /// `FILE_FLAG_OPEN_REPARSE_POINT`: open a link itself, not its target.
        const OPEN_REPARSE_POINT: u32 = 0x0020_0000;
        options.custom_flags(OPEN_REPARSE_POINT);
    }
    let opened = options.open(path);
    // A link where a file was: O_NOFOLLOW refuses it with ELOOP.
    #[cfg(unix)]
    return opened.map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            not_regular()
        } else {
            e
        }
    });
    #[cfg(not(unix))]
    opened
}

fn not_regular() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "not a regular file (a link, pipe or device): not opened",
    )
}

/// Walks `root` (a directory, or a single file) and lists what is on it. The sizes are asked for on the current
/// rayon pool's threads.
pub fn walk(root: &Path) -> Result<Walk, WalkError> {
    let mut listed = Vec::new();
    let base = list(root, |found| listed.push(found))?;
    // The folders are listed in order above; the regular files' sizes (one `lstat` each, most of the walk's time)
    // are asked for in parallel here, in the same order.
    let sized: Vec<Result<MediaFile, Skipped>> = listed
        .into_par_iter()
        .with_min_len(64)
        .map(|found| match found {
            Found::File(file) => file.size().map(|size| MediaFile {
                relative: file.relative,
                size,
            }),
            Found::Skipped(skipped) => Err(skipped),
        })
        .collect();
    let mut result = Walk {
        base,
        ..Walk::default()
    };
    for entry in sized {
        match entry {
            Ok(file) => result.files.push(file),
            Err(skipped) => result.skipped.push(skipped),
        }
    }
    Ok(result)
}

/// An entry the listing found, in walk order.
#[derive(Debug)]
pub enum Found {
    /// A regular file, its size not yet asked for.
    File(ListedFile),
    /// An entry not read.
    Skipped(Skipped),
}

/// A regular file the listing found.
#[derive(Debug)]
pub struct ListedFile {
    /// Path relative to the media root.
    pub relative: PathBuf,
    /// Where it is: under the root as given.
    pub path: PathBuf,
}

impl ListedFile {
    /// Its size, from its directory entry's metadata (`lstat`: a link swapped in is not followed); an entry not
    /// read when that fails.
    pub fn size(&self) -> Result<u64, Skipped> {
        std::fs::symlink_metadata(&self.path)
            .map(|meta| meta.len())
            .map_err(|err| Skipped {
                relative: self.relative.clone(),
                reason: SkipReason::Unreadable(err.to_string()),
            })
    }
}

/// Lists `root` (a directory, or a single file) without asking for sizes, handing each entry to `found` in walk
/// order: regular files and entries not read, sorted by name at each level, as ISO 9660 stores them. Gives the
/// folder the relative paths start from.
pub fn list(root: &Path, mut found: impl FnMut(Found)) -> Result<PathBuf, WalkError> {
    let meta = std::fs::metadata(root).map_err(|source| WalkError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    let base = match root.parent() {
        Some(parent) if !meta.is_dir() => parent.to_path_buf(),
        _ => root.to_path_buf(),
    };
    // By file name, as `sort_by_file_name` does, but compared as whole paths: the entries of one folder share
    // its path as their prefix, so the order is the same without taking each name out of its path again at
    // every comparison (half the walk's cost).
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()));
    for entry in walker {
        match entry {
            Ok(entry) => {
                let file_type = entry.file_type();
                if file_type.is_dir() {
                    continue;
                }
                let relative = relative_to(root, entry.path());
                let reason = if file_type.is_symlink() {
                    SkipReason::Symlink
                } else if file_type.is_file() {
                    found(Found::File(ListedFile {
                        relative,
                        path: entry.into_path(),
                    }));
                    continue;
                } else {
                    SkipReason::Special
                };
                found(Found::Skipped(Skipped { relative, reason }));
            }
            Err(err) => {
                let relative = err.path().map(|p| relative_to(root, p)).unwrap_or_default();
                let reason = err
                    .io_error()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| err.to_string());
                found(Found::Skipped(Skipped {
                    relative,
                    reason: SkipReason::Unreadable(reason),
                }));
            }
        }
    }
    Ok(base)
}

/// `path` relative to `root`; a root that is itself a file gives its file name.
fn relative_to(root: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
        _ => path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| path.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_come_in_the_order_of_their_names_folder_by_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in ["a/x", "a/B", "a/a.1", "a-b/y", "a.b/z", "b", "A", "a/a/0"] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        let by_name: Vec<PathBuf> = WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| relative_to(root, e.path()))
            .collect();
        let files: Vec<PathBuf> = walk(root)
            .unwrap()
            .files
            .into_iter()
            .map(|f| f.relative)
            .collect();
        assert_eq!(files, by_name);
        assert_eq!(files[0], Path::new("A"));
        assert_eq!(files[1], Path::new("a/B"));
    }

    #[cfg(unix)]
    #[test]
    fn lists_files_skips_links_and_fifos_and_survives_a_link_loop() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("DICOM/ST000001")).unwrap();
        std::fs::write(root.join("DICOM/ST000001/IM000001"), b"x").unwrap();
        std::fs::write(root.join("AUTORUN.INF"), b"[autorun]").unwrap();
        std::os::unix::fs::symlink(root, root.join("DICOM/loop")).unwrap();
        let fifo = root.join("IM000002");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());

        let walk = walk(root).unwrap();
        let files: Vec<_> = walk.files.iter().map(|f| f.relative.clone()).collect();
        assert_eq!(
            files,
            [
                PathBuf::from("AUTORUN.INF"),
                PathBuf::from("DICOM/ST000001/IM000001")
            ]
        );
        assert_eq!(walk.files[1].size, 1);
        assert_eq!(walk.base, root);
        let skipped: Vec<_> = walk
            .skipped
            .iter()
            .map(|s| (s.relative.clone(), s.reason.clone()))
            .collect();
        assert!(skipped.contains(&(PathBuf::from("DICOM/loop"), SkipReason::Symlink)));
        assert!(skipped.contains(&(PathBuf::from("IM000002"), SkipReason::Special)));
    }

    #[test]
    fn a_single_file_root_is_listed_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("one.dcm");
        std::fs::write(&file, b"abc").unwrap();
        let walk = walk(&file).unwrap();
        assert_eq!(walk.files.len(), 1);
        assert_eq!(walk.files[0].relative, PathBuf::from("one.dcm"));
        assert_eq!(walk.base.join(&walk.files[0].relative), file);
    }

    #[test]
    #[cfg(unix)]
    fn media_files_open_only_as_regular_files_never_through_links_or_pipes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let file = root.join("IM1");
        std::fs::write(&file, b"x").unwrap();
        std::os::unix::fs::symlink(&file, root.join("link")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status()
            .unwrap();
        assert!(status.success());
        assert!(open_media_file(&file).is_ok());
        for bad in ["link", "zero", "fifo"] {
            let err = open_media_file(&root.join(bad)).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}: {err}");
        }
        assert!(open_media_file(Path::new("/dev/null")).is_err());
        assert!(open_media_file(root).is_err(), "a folder");
    }

    #[test]
    fn a_missing_root_is_an_error() {
        assert!(walk(Path::new("/nonexistent/dicomcheck-root")).is_err());
    }

    #[test]
    fn operating_system_leftovers_are_recognised() {
        for path in [
            ".DS_Store",
            "DICOM/.DS_Store",
            "DICOM/ST000001/._IM000001",
            "._IM000001.dcm",
            "Thumbs.db",
            "DICOM/thumbs.db",
            "desktop.ini",
            ".Spotlight-V100/Store-V2/A/0.directoryStoreFile",
            ".Trashes/501/IM000009.dcm",
            ".fseventsd/fseventsd-uuid",
            "System Volume Information/IndexerVolumeGuid",
            "$RECYCLE.BIN/S-1-5-21/$I0ABC.dcm",
            "__MACOSX/DICOM/IM000001",
            // Named as `Path::components` names them: empty and `.` names between separators dropped.
            "./.DS_Store",
            "DICOM//.Trashes/IM000001",
            "DICOM/./thumbs.DB",
            ".fseventsd/./0000",
        ] {
            assert!(is_system_metadata(Path::new(path)), "{path}");
        }
        for path in [
            "DICOM/ST000001/IM000001",
            "DICOMDIR",
            "IM_0001.dcm",
            "viewer/Thumbs.db.exe",
            "DICOM/_IM0001",
            "DICOM/.Trashes",
            "DICOM/.Trashes/.",
            "DICOM/.DS_Store/IM000001",
            ".",
            "",
        ] {
            assert!(!is_system_metadata(Path::new(path)), "{path}");
        }
        // Names that are not UTF-8 (a disc written under a legacy code page) are told apart on their bytes.
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let path = |bytes: &[u8]| Path::new(std::ffi::OsStr::from_bytes(bytes)).to_path_buf();
            assert!(is_system_metadata(&path(b"__MACOSX/\xc9tude/IM1")));
            assert!(is_system_metadata(&path(b"DICOM/._\xc9tude")));
            assert!(!is_system_metadata(&path(b"\xc9tude/.Trashes")));
        }
    }
}
