//! Whose fault: problems on the user's side (the laptop refuses access, nothing is mounted, the path is a pipe or
//! a device) are told apart from problems of the disc, so that they stop the check with one line saying what to
//! do on the laptop, and never reach the hospital as a request in the staff note.

use std::io::ErrorKind;
use std::path::Path;

use thiserror::Error;

/// Why the media cannot be checked, for a reason the user fixes on their own computer.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AccessError {
    /// The operating system refused to read the media or one of its folders.
    #[error("{system} did not allow access to {}: {advice}", .path)]
    Denied {
        /// The refused path, as shown.
        path: String,
        /// `macOS`, `Windows` or `the system`.
        system: &'static str,
        /// What to do about it on this system.
        advice: &'static str,
    },
    /// An empty folder that is not a mount point: the disc is not in the drive, or not mounted.
    #[error(
        "no disc is mounted at {0}: the folder is empty. Put the disc in (or plug the USB stick in) and wait \
         until it opens in the file manager, then run again with the folder it opened in"
    )]
    NothingMounted(String),
    /// The path is neither a folder nor a regular file.
    #[error(
        "{0} is not a folder, disc or file (it is a device, pipe or socket): give the folder where the disc is \
         mounted, or a .zip or .iso file"
    )]
    NotMedia(String),
    /// A single file that is neither DICOM nor a .zip or .iso, and not named like a scan image: the wrong file.
    #[error(
        "{0} is not a disc: it is a file, but not a DICOM image, a .zip or an .iso. Give the folder where the \
         disc is mounted (or the .zip or .iso you downloaded), then run again"
    )]
    NotDicomFile(String),
}

/// `ERROR_NOT_READY`: what Windows answers for a disc drive with no disc.
const WINDOWS_NOT_READY: i32 = 21;

fn denied(path: &Path) -> AccessError {
    let (system, advice) = if cfg!(target_os = "macos") {
        (
            "macOS",
            "open System Settings → Privacy & Security → Files and Folders (or Full Disk Access), allow your \
             terminal to read removable volumes, then run again",
        )
    } else if cfg!(windows) {
        (
            "Windows",
            "open the drive once in File Explorer and accept any prompt, or run from an account that may read it, \
             then run again",
        )
    } else {
        (
            "the system",
            "you may not read it as this user: mount it readable for your user (or copy it to a folder you own), \
             then run again",
        )
    };
    AccessError::Denied {
        path: path.display().to_string(),
        system,
        advice,
    }
}

/// Checks that `root` is something the user's computer lets us read, before the scan.
pub fn check_root(root: &Path) -> Result<(), AccessError> {
    let meta = match std::fs::metadata(root) {
        Ok(meta) => meta,
        Err(err) if is_denied(err.kind()) => return Err(denied(root)),
        // Windows' "the device is not ready": a drive letter without a disc in it.
        Err(err) if cfg!(windows) && err.raw_os_error() == Some(WINDOWS_NOT_READY) => {
            return Err(AccessError::NothingMounted(root.display().to_string()));
        }
        // A missing path is reported by the walk, as before.
        Err(_) => return Ok(()),
    };
    if meta.is_file() {
        return Ok(());
    }
    if !meta.is_dir() {
        return Err(AccessError::NotMedia(root.display().to_string()));
    }
    let mut entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(err) if is_denied(err.kind()) => return Err(denied(root)),
        Err(_) => return Ok(()),
    };
    if entries.next().is_none() && !is_mount_point(root) {
        return Err(AccessError::NothingMounted(root.display().to_string()));
    }
    Ok(())
}

/// The first folder or file of the scan that the system refused to read (`reasons`: the walk's OS error texts
/// with the paths they concern).
pub fn denied_inside<'a>(
    root: &Path,
    mut unreadable: impl Iterator<Item = (&'a Path, &'a str)>,
) -> Result<(), AccessError> {
    #[cfg(unix)]
    let codes = [libc::EACCES, libc::EPERM];
    // Elsewhere (Windows' ERROR_ACCESS_DENIED; a browser has no OS errors) the code the system gives for it.
    #[cfg(not(unix))]
    let codes = [5];
    let texts = codes.map(|code| std::io::Error::from_raw_os_error(code).to_string());
    match unreadable.find(|(_, reason)| texts.iter().any(|t| reason.contains(t.as_str()))) {
        Some((path, _)) => Err(denied(&root.join(path))),
        None => Ok(()),
    }
}

fn is_denied(kind: ErrorKind) -> bool {
    kind == ErrorKind::PermissionDenied
}

/// True when `path` is the root of a mounted file system (its device differs from its parent's, or it is `/`).
pub fn is_mount_point(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(canonical) = path.canonicalize() else {
            return false;
        };
        let Some(parent) = canonical.parent() else {
            return true;
        };
        match (std::fs::metadata(&canonical), std::fs::metadata(parent)) {
            (Ok(here), Ok(above)) => here.dev() != above.dev() || here.ino() == above.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        // A drive root (E:\) is a mount point; a folder elsewhere is taken as not mounted.
        path.parent().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_folder_that_is_not_mounted_is_the_laptops_problem() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_root(dir.path()).unwrap_err();
        assert!(matches!(err, AccessError::NothingMounted(_)), "{err}");
        assert!(err.to_string().starts_with("no disc is mounted at "));
        std::fs::write(dir.path().join("a"), b"x").unwrap();
        assert_eq!(check_root(dir.path()), Ok(()));
        assert_eq!(check_root(&dir.path().join("a")), Ok(()));
        assert_eq!(check_root(Path::new("/nonexistent/x")), Ok(()));
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_not_media_and_the_root_is_a_mount_point() {
        assert!(matches!(
            check_root(Path::new("/dev/null")),
            Err(AccessError::NotMedia(_))
        ));
        assert!(is_mount_point(Path::new("/")));
    }

    #[cfg(unix)]
    #[test]
    fn permission_errors_inside_the_media_are_found_by_their_os_text() {
        let denied_text = std::io::Error::from_raw_os_error(libc::EACCES).to_string();
        let list = [
            (Path::new("a"), "Input/output error (os error 5)"),
            (Path::new("b"), denied_text.as_str()),
        ];
        let err = denied_inside(Path::new("/media/cd"), list.into_iter()).unwrap_err();
        assert!(err.to_string().contains("/media/cd/b"), "{err}");
        assert!(denied_inside(Path::new("/m"), list[..1].iter().copied()).is_ok());
    }
}
