//! Finding the disc when no path is given: the mounted optical and removable media (Linux: `/proc/self/mountinfo`
//! with `/sys/block/*/removable`; macOS: `/Volumes`; Windows: drives of type CD-ROM or removable), and among them
//! the ones that hold DICOM (a DICOMDIR, or a DICOM file near the top). Reads only.
//!
//! Tests point the probes at fake tables with `DICOMCHECK_MOUNTINFO`, `DICOMCHECK_SYS_BLOCK` and
//! `DICOMCHECK_VOLUMES` (paths of a mountinfo file, a `/sys/block` folder, a `/Volumes` folder).

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How deep below a volume's top DICOM files are looked for.
const SEARCH_DEPTH: usize = 3;
/// Most directory entries looked at per volume, so a big hard disk does not stall the search.
const SEARCH_ENTRIES: usize = 2_000;

/// What kind of drive a volume is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriveKind {
    /// A CD, DVD or Blu-ray (or a mounted image of one).
    Optical,
    /// A USB stick, memory card or external drive.
    Removable,
}

impl fmt::Display for DriveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Optical => "CD/DVD",
            Self::Removable => "removable drive",
        })
    }
}

/// One mounted volume that could be the patient's disc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Where it is mounted (a drive root such as `D:\` on Windows).
    pub path: PathBuf,
    /// What kind of drive.
    pub kind: DriveKind,
    /// Whether it holds a DICOMDIR or DICOM files near the top.
    pub has_dicom: bool,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Exactly one volume holds DICOM; `seen` is every volume looked at.
    One {
        /// The volume to check.
        disc: Volume,
        /// Every volume looked at, the chosen one included.
        seen: Vec<Volume>,
    },
    /// No volume holds DICOM (`seen` may be empty: nothing mounted).
    None(Vec<Volume>),
    /// Several volumes hold DICOM: the user must say which.
    Several(Vec<Volume>),
}

/// Looks at the mounted optical and removable media of this system.
pub fn find() -> Found {
    choose(
        mounted()
            .into_iter()
            .map(|(path, kind)| Volume {
                has_dicom: holds_dicom(&path),
                path,
                kind,
            })
            .collect(),
    )
}

/// Picks the one volume that holds DICOM, if exactly one does.
pub fn choose(seen: Vec<Volume>) -> Found {
    let mut with_dicom = seen.iter().filter(|v| v.has_dicom);
    match (with_dicom.next(), with_dicom.next()) {
        (Some(disc), None) => Found::One {
            disc: disc.clone(),
            seen,
        },
        (None, _) => Found::None(seen),
        (Some(_), Some(_)) => Found::Several(seen),
    }
}

/// Whether `root` holds a DICOMDIR at the top, or a file with the `DICM` marker within `SEARCH_DEPTH` folders.
pub fn holds_dicom(root: &Path) -> bool {
    let mut budget = SEARCH_ENTRIES;
    let mut folders = vec![(root.to_path_buf(), 0)];
    while let Some((folder, depth)) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            if budget == 0 {
                return false;
            }
            budget -= 1;
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() && depth < SEARCH_DEPTH {
                folders.push((path, depth + 1));
            } else if kind.is_file()
                && ((depth == 0 && entry.file_name().eq_ignore_ascii_case("DICOMDIR"))
                    || has_dicm_marker(&path))
            {
                return true;
            }
        }
    }
    false
}

/// Whether the file has `DICM` after its 128-byte preamble.
fn has_dicm_marker(path: &Path) -> bool {
    let mut head = [0u8; 132];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head[128..] == b"DICM"
}

/// The optical and removable volumes mounted on this system.
fn mounted() -> Vec<(PathBuf, DriveKind)> {
    #[cfg(target_os = "linux")]
    {
        let mountinfo = env_path("DICOMCHECK_MOUNTINFO", "/proc/self/mountinfo");
        let sys_block = env_path("DICOMCHECK_SYS_BLOCK", "/sys/block");
        std::fs::read_to_string(mountinfo)
            .map(|table| linux_volumes(&table, &sys_block))
            .unwrap_or_default()
    }
    #[cfg(target_os = "macos")]
    {
        macos_volumes(&env_path("DICOMCHECK_VOLUMES", "/Volumes"))
    }
    #[cfg(windows)]
    {
        windows_volumes()
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        Vec::new()
    }
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn env_path(variable: &str, default: &str) -> PathBuf {
    std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// The volumes of a Linux mount table (`/proc/self/mountinfo` format): ISO 9660 and UDF mounts are optical; a
/// mount of a block device whose `sys_block/<disk>/removable` says 1 is removable.
pub fn linux_volumes(mountinfo: &str, sys_block: &Path) -> Vec<(PathBuf, DriveKind)> {
    let mut volumes = Vec::new();
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == "-") else {
            continue;
        };
        let (Some(mount_point), Some(fs_type), Some(source)) =
            (fields.get(4), fields.get(dash + 1), fields.get(dash + 2))
        else {
            continue;
        };
        let kind = if matches!(*fs_type, "iso9660" | "udf") {
            Some(DriveKind::Optical)
        } else {
            source
                .strip_prefix("/dev/")
                .and_then(|device| disk_of(device, sys_block))
                .filter(|disk| {
                    std::fs::read_to_string(sys_block.join(disk).join("removable"))
                        .is_ok_and(|flag| flag.trim() == "1")
                })
                .map(|_| DriveKind::Removable)
        };
        if let Some(kind) = kind {
            volumes.push((PathBuf::from(unescape_mount(mount_point)), kind));
        }
    }
    volumes
}

/// The whole disk a partition device belongs to (`sdb1` → `sdb`, `mmcblk0p1` → `mmcblk0`), if `sys_block` has it.
fn disk_of(device: &str, sys_block: &Path) -> Option<String> {
    let unnumbered = device.trim_end_matches(|c: char| c.is_ascii_digit());
    let unpartitioned = unnumbered.strip_suffix('p').unwrap_or(unnumbered);
    [device, unnumbered, unpartitioned]
        .into_iter()
        .find(|name| !name.is_empty() && sys_block.join(name).is_dir())
        .map(str::to_string)
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape_mount(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .map(|d| d.iter().fold(0u32, |n, b| n * 8 + u32::from(b - b'0')));
        match octal.and_then(|n| u8::try_from(n).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The volumes under macOS's `/Volumes` except the start-up disk (a link to `/`): ISO 9660 and UDF are optical,
/// the others external (removable) drives.
#[cfg(target_os = "macos")]
fn macos_volumes(volumes: &Path) -> Vec<(PathBuf, DriveKind)> {
    let Ok(entries) = std::fs::read_dir(volumes) else {
        return Vec::new();
    };
    let mut found: Vec<(PathBuf, DriveKind)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| std::fs::canonicalize(p).is_ok_and(|real| real != Path::new("/")))
        .map(|p| {
            let kind = if crate::media_order::is_optical(&p) {
                DriveKind::Optical
            } else {
                DriveKind::Removable
            };
            (p, kind)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Drives A: to Z: whose type is CD-ROM or removable.
#[cfg(windows)]
fn windows_volumes() -> Vec<(PathBuf, DriveKind)> {
    use crate::media_order::platform::{DRIVE_CDROM, DRIVE_REMOVABLE, drive_type};
    (b'A'..=b'Z')
        .filter_map(|letter| {
            let root = format!("{}:\\", char::from(letter));
            let kind = match drive_type(&root) {
                DRIVE_CDROM => DriveKind::Optical,
                DRIVE_REMOVABLE => DriveKind::Removable,
                _ => return None,
            };
            Some((PathBuf::from(root), kind))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(path: &str, has_dicom: bool) -> Volume {
        Volume {
            path: PathBuf::from(path),
            kind: DriveKind::Optical,
            has_dicom,
        }
    }

    #[test]
    fn the_one_volume_with_dicom_is_chosen() {
        let seen = vec![volume("/media/usb", false), volume("/media/cd", true)];
        assert_eq!(
            choose(seen.clone()),
            Found::One {
                disc: volume("/media/cd", true),
                seen
            }
        );
        let none = vec![volume("/media/usb", false)];
        assert_eq!(choose(none.clone()), Found::None(none));
        assert_eq!(choose(Vec::new()), Found::None(Vec::new()));
        let two = vec![volume("/a", true), volume("/b", true)];
        assert_eq!(choose(two.clone()), Found::Several(two));
    }

    #[test]
    fn mountinfo_lines_give_optical_and_removable_mounts() {
        let sys = tempfile::tempdir().unwrap();
        for (disk, removable) in [("sda", "0"), ("sdb", "1"), ("mmcblk0", "1"), ("sr0", "1")] {
            std::fs::create_dir(sys.path().join(disk)).unwrap();
            std::fs::write(
                sys.path().join(disk).join("removable"),
                format!("{removable}\n"),
            )
            .unwrap();
        }
        let table = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:5 / /proc rw - proc proc rw
40 22 11:0 / /media/cd rw shared:5 - iso9660 /dev/sr0 ro
41 22 8:17 / /media/my\\040stick rw master:1 - vfat /dev/sdb1 rw
42 22 179:1 / /run/media/card rw - exfat /dev/mmcblk0p1 rw
43 22 7:0 / /mnt/image ro - udf /dev/loop0 ro
44 22 8:2 / /home rw - ext4 /dev/sda2 rw
bad line without fields
";
        assert_eq!(
            linux_volumes(table, sys.path()),
            [
                (PathBuf::from("/media/cd"), DriveKind::Optical),
                (PathBuf::from("/media/my stick"), DriveKind::Removable),
                (PathBuf::from("/run/media/card"), DriveKind::Removable),
                (PathBuf::from("/mnt/image"), DriveKind::Optical),
            ]
        );
    }

    #[test]
    fn partitions_map_to_their_disk() {
        let sys = tempfile::tempdir().unwrap();
        for disk in ["sdb", "nvme0n1", "mmcblk0"] {
            std::fs::create_dir(sys.path().join(disk)).unwrap();
        }
        assert_eq!(disk_of("sdb1", sys.path()).as_deref(), Some("sdb"));
        assert_eq!(disk_of("sdb", sys.path()).as_deref(), Some("sdb"));
        assert_eq!(disk_of("nvme0n1p2", sys.path()).as_deref(), Some("nvme0n1"));
        assert_eq!(disk_of("mmcblk0p1", sys.path()).as_deref(), Some("mmcblk0"));
        assert_eq!(disk_of("sdz9", sys.path()), None);
        assert_eq!(disk_of("", sys.path()), None);
    }

    #[test]
    fn dicom_is_found_by_dicomdir_or_marker_near_the_top() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!holds_dicom(dir.path()));
        std::fs::create_dir_all(dir.path().join("A/B")).unwrap();
        std::fs::write(dir.path().join("A/B/readme.txt"), b"hello").unwrap();
        assert!(!holds_dicom(dir.path()));
        let mut dicom = vec![0u8; 128];
        dicom.extend_from_slice(b"DICM\x02\x00");
        std::fs::write(dir.path().join("A/B/IM1"), &dicom).unwrap();
        assert!(holds_dicom(dir.path()));
        let top = tempfile::tempdir().unwrap();
        std::fs::write(top.path().join("dicomdir"), b"").unwrap();
        assert!(holds_dicom(top.path()));
        let deep = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(deep.path().join("1/2/3/4")).unwrap();
        std::fs::write(deep.path().join("1/2/3/4/IM1"), &dicom).unwrap();
        assert!(!holds_dicom(deep.path()), "deeper than the search goes");
    }

    #[test]
    fn mount_escapes_are_undone() {
        assert_eq!(unescape_mount(r"/media/a\040b\134c"), r"/media/a b\c");
        assert_eq!(unescape_mount(r"/x\09"), r"/x\09");
        assert_eq!(unescape_mount(r"/end\"), r"/end\");
    }
}
