//! Every file the tool writes (the copy, its manifest, the reports) goes through here, so that nothing is ever
//! written onto the media: the folder of each file is resolved (links followed) right before the file is
//! created, checked to lie outside the media, and the file is created new there without following a link, so a
//! dangling link planted in the destination cannot redirect the write onto the media.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The media being read, which no write may land in.
#[derive(Debug, Clone)]
pub struct WriteGuard {
    /// The media root with its links resolved; `None` when it cannot be resolved (then nothing can be
    /// compared, and the scan itself reports the root).
    media: Option<PathBuf>,
}

impl WriteGuard {
    /// A guard for the media at `root` (a folder, or a `.zip`/`.iso` file).
    pub fn for_media(root: &Path) -> Self {
        Self {
            media: fs::canonicalize(root).ok(),
        }
    }

    /// Where a file written at `path` really lands: its folder resolved (which must exist), joined with its
    /// name. An error when that is inside the media (or is the media itself).
    pub fn resolve(&self, path: &Path) -> io::Result<PathBuf> {
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        self.outside(fs::canonicalize(parent)?.join(name))
    }

    /// `real` (a path with its links resolved) when it lies outside the media.
    fn outside(&self, real: PathBuf) -> io::Result<PathBuf> {
        match &self.media {
            Some(media) if real == *media || real.starts_with(media) => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} lies on the media being checked: nothing is ever written there",
                    crate::charset::printable(&real.to_string_lossy())
                ),
            )),
            _ => Ok(real),
        }
    }

    /// Creates `folder` and its missing parents, after checking that the deepest existing one (links resolved)
    /// lies outside the media: a link in the destination cannot make the folders appear on the media.
    pub fn create_folders(&self, folder: &Path) -> io::Result<()> {
        let mut existing = folder;
        while fs::symlink_metadata(existing).is_err() {
            match existing.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
                _ => break,
            }
        }
        self.outside(fs::canonicalize(existing)?)?;
        fs::create_dir_all(folder)
    }
}

/// Creates a new file at `path` for writing: fails when anything (a file, a folder, a link, dangling or not)
/// already has that name, so no link is ever followed.
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    options.open(path)
}

/// Writes `bytes` to `path` (outside the media, checked by `guard`) through a new partial file renamed into
/// place: a link at `path` is replaced, never followed, and a cut write never looks complete.
pub fn write_replacing(guard: &WriteGuard, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = guard.resolve(path)?;
    let (partial, mut file) = create_partial(&target, create_new)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let result = written.and_then(|()| fs::rename(&partial, &target));
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

/// Suffix of a file being written; it never looks like a finished file.
pub const PARTIAL_SUFFIX: &str = ".dicomcheck-partial";

/// Creates a partial file beside `target` through `create`, under the first free partial name (a name already
/// taken, by a file of the media or a leftover, is skipped, never reused).
pub fn create_partial<F>(
    target: &Path,
    mut create: impl FnMut(&Path) -> io::Result<F>,
) -> io::Result<(PathBuf, F)> {
    let mut last = None;
    for attempt in 0..100u32 {
        let mut name = target.as_os_str().to_os_string();
        if attempt > 0 {
            name.push(format!(".{attempt}"));
        }
        name.push(PARTIAL_SUFFIX);
        let partial = PathBuf::from(name);
        match create(&partial) {
            Ok(file) => return Ok((partial, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn a_dangling_link_into_the_media_is_replaced_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let media = tmp.path().join("media");
        let out = tmp.path().join("out");
        fs::create_dir_all(&media).unwrap();
        fs::create_dir_all(&out).unwrap();
        let guard = WriteGuard::for_media(&media);
        let page = out.join("report.html");
        std::os::unix::fs::symlink(media.join("planted.html"), &page).unwrap();
        assert!(
            create_new(&page).is_err(),
            "a dangling link is not followed"
        );
        write_replacing(&guard, &page, b"report").unwrap();
        assert!(!media.join("planted.html").exists());
        assert_eq!(fs::read(&page).unwrap(), b"report");
        assert!(!fs::symlink_metadata(&page).unwrap().is_symlink());

        std::os::unix::fs::symlink(&media, out.join("into-media")).unwrap();
        let err = write_replacing(&guard, &out.join("into-media/x"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(fs::read_dir(&media).unwrap().count(), 0);
    }

    #[test]
    fn a_taken_partial_name_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("IM1");
        fs::write(tmp.path().join("IM1.dicomcheck-partial"), b"media file").unwrap();
        let (partial, _file) = create_partial(&target, create_new).unwrap();
        assert_eq!(partial, tmp.path().join("IM1.1.dicomcheck-partial"));
        assert_eq!(
            fs::read(tmp.path().join("IM1.dicomcheck-partial")).unwrap(),
            b"media file"
        );
    }
}
