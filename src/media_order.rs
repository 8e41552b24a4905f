//! Optical media: read files in on-disc order from one thread while the parsing stays parallel.
//!
//! A CD or DVD has one read head. Parallel reads of scattered files make it seek back and forth, and each seek
//! costs around 100 ms, far more than reading a header. On an optical file system (detected from the `statfs`
//! magic of ISO 9660 or UDF, or forced with `--media optical`) the scan therefore sorts the files by the physical
//! offset of their first byte (Linux `FIEMAP`) or, where that is not available, keeps directory order, which
//! ISO 9660 writers follow when they lay files out. One reader thread then reads each file's first bytes in that
//! order, which pulls them (and the kernel's read-ahead) into the page cache with forward-only head movement,
//! and hands the file on to the parallel parsers, which then read from memory. USB sticks and SSDs keep full
//! parallelism.

use std::path::Path;
use std::sync::mpsc;

use rayon::prelude::*;

/// How files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MediaMode {
    /// Optical order on CD/DVD file systems (ISO 9660, UDF), full parallelism elsewhere.
    #[default]
    Auto,
    /// One reader in on-disc order, parallel parsing (for CD/DVD images or drives not detected).
    Optical,
    /// Read every file in parallel (USB sticks, SSDs, hard disks, network shares).
    Parallel,
}

impl MediaMode {
    /// Whether files under `root` are read in on-disc order.
    pub fn ordered(self, root: &Path) -> bool {
        match self {
            Self::Auto => is_optical(root),
            Self::Optical => true,
            Self::Parallel => false,
        }
    }
}

/// True when `root` lies on an ISO 9660 or UDF file system (a CD, DVD or Blu-ray, or a mounted image of one): on
/// Linux from the `statfs` magic, on macOS and the BSDs from the `statfs` type name, on Windows from the drive type.
pub fn is_optical(root: &Path) -> bool {
    platform::is_optical(root)
}

#[cfg(target_os = "linux")]
mod platform {
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    /// `statfs` magic of ISO 9660 (`ISOFS_SUPER_MAGIC`).
    const ISOFS_SUPER_MAGIC: u64 = 0x9660;
    /// `statfs` magic of UDF (`UDF_SUPER_MAGIC`).
    const UDF_SUPER_MAGIC: u64 = 0x1501_3346;

    pub fn is_optical(root: &Path) -> bool {
        fs_magic(root).is_some_and(|magic| magic == ISOFS_SUPER_MAGIC || magic == UDF_SUPER_MAGIC)
    }

    fn fs_magic(root: &Path) -> Option<u64> {
        let path = std::ffi::CString::new(root.as_os_str().as_bytes()).ok()?;
        let mut buf = std::mem::MaybeUninit::<libc::statfs>::zeroed();
        // SAFETY: `path` is NUL-terminated and `buf` is a writable `statfs` the call fills on success.
        let rc = unsafe { libc::statfs(path.as_ptr(), buf.as_mut_ptr()) };
        if rc != 0 {
            return None;
        }
        // SAFETY: `statfs` returned 0, so it initialised `buf`.
        let stat = unsafe { buf.assume_init() };
        // `f_type` is signed on some targets; the magic numbers are 32-bit.
        #[allow(clippy::unnecessary_cast)]
        Some((stat.f_type as u64) & 0xFFFF_FFFF)
    }
}

#[cfg(any(
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
))]
mod platform {
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    /// The file system type names of ISO 9660 and UDF in `statfs.f_fstypename`.
    const OPTICAL: [&[u8]; 2] = [b"cd9660", b"udf"];

    pub fn is_optical(root: &Path) -> bool {
        fs_type_name(root).is_some_and(|name| OPTICAL.contains(&name.as_slice()))
    }

    /// `statfs.f_fstypename` of the file system holding `root`.
    pub fn fs_type_name(root: &Path) -> Option<Vec<u8>> {
        let path = std::ffi::CString::new(root.as_os_str().as_bytes()).ok()?;
        let mut buf = std::mem::MaybeUninit::<libc::statfs>::zeroed();
        // SAFETY: `path` is NUL-terminated and `buf` is a writable `statfs` the call fills on success.
        let rc = unsafe { libc::statfs(path.as_ptr(), buf.as_mut_ptr()) };
        if rc != 0 {
            return None;
        }
        // SAFETY: `statfs` returned 0, so it initialised `buf`.
        let stat = unsafe { buf.assume_init() };
        Some(
            stat.f_fstypename
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect(),
        )
    }
}

#[cfg(windows)]
pub(crate) mod platform {
    use std::os::windows::ffi::OsStrExt;
    use std::path::{Component, Path, Prefix};

    /// `GetDriveTypeW`: a removable drive (USB stick, card reader).
    pub const DRIVE_REMOVABLE: u32 = 2;
    /// `GetDriveTypeW`: a CD, DVD or Blu-ray drive.
    pub const DRIVE_CDROM: u32 = 5;

    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn GetDriveTypeW(root: *const u16) -> u32;
    }

    pub fn is_optical(root: &Path) -> bool {
        drive_root(root).is_some_and(|drive| drive_type(&drive) == DRIVE_CDROM)
    }

    /// `D:\` for a path on drive D (plain or `\\?\D:`); none for network shares.
    pub fn drive_root(path: &Path) -> Option<String> {
        let absolute = std::path::absolute(path).ok()?;
        match absolute.components().next()? {
            Component::Prefix(prefix) => match prefix.kind() {
                Prefix::Disk(letter) | Prefix::VerbatimDisk(letter) => {
                    Some(format!("{}:\\", char::from(letter)))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The drive type of a drive root such as `D:\`.
    pub fn drive_type(drive: &str) -> u32 {
        let wide: Vec<u16> = std::ffi::OsStr::new(drive)
            .encode_wide()
            .chain(Some(0))
            .collect();
        // SAFETY: `wide` is a NUL-terminated UTF-16 string that outlives the call, which only reads it.
        unsafe { GetDriveTypeW(wide.as_ptr()) }
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "macos",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    windows
)))]
mod platform {
    pub fn is_optical(_root: &std::path::Path) -> bool {
        false
    }
}

/// Where a file's data starts on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The physical byte offset of the file's first byte.
    At(u64),
    /// The file has no mapped data (empty, inline, or not yet allocated): nothing to seek to.
    Nowhere,
    /// The file system (or the platform) cannot tell.
    Unknown,
}

/// The physical offset of `path`'s first byte, from Linux `FS_IOC_FIEMAP`.
#[cfg(target_os = "linux")]
pub fn physical_offset(path: &Path) -> Location {
    #[repr(C)]
    #[derive(Default)]
    struct Extent {
        logical: u64,
        physical: u64,
        length: u64,
        reserved64: [u64; 2],
        flags: u32,
        reserved: [u32; 3],
    }
    #[repr(C)]
    #[derive(Default)]
    struct Fiemap {
        start: u64,
        length: u64,
        flags: u32,
        mapped_extents: u32,
        extent_count: u32,
        reserved: u32,
        extents: [Extent; 1],
    }
    /// `_IOWR('f', 11, struct fiemap)`.
    const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;
    /// The extent's location is not known yet (delayed allocation).
    const FIEMAP_EXTENT_UNKNOWN: u32 = 0x2;
    /// The extent's data lives inside metadata (inline data).
    const FIEMAP_EXTENT_DATA_INLINE: u32 = 0x200;

    use std::os::fd::AsRawFd;
    let Ok((file, _)) = crate::walk::open_media_file(path) else {
        return Location::Unknown;
    };
    let mut map = Fiemap {
        length: 1,
        extent_count: 1,
        ..Fiemap::default()
    };
    // SAFETY: `map` is a `struct fiemap` with room for the one extent `extent_count` announces; the kernel writes
    // at most that many.
    let rc = unsafe {
        libc::ioctl(
            file.as_raw_fd(),
            FS_IOC_FIEMAP as _,
            &mut map as *mut Fiemap,
        )
    };
    if rc != 0 {
        return Location::Unknown;
    }
    let extent = &map.extents[0];
    if map.mapped_extents == 0
        || extent.flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DATA_INLINE) != 0
    {
        return Location::Nowhere;
    }
    Location::At(extent.physical)
}

/// The physical offset of `path`'s first byte: not known on this platform.
#[cfg(not(target_os = "linux"))]
pub fn physical_offset(_path: &Path) -> Location {
    Location::Unknown
}

/// The order in which to read `count` files: files with nothing to seek to first, then by ascending physical
/// offset; ties and everything else in directory order (the input order). When `locate` cannot place a file
/// (the file system does not map extents, like ISO 9660 on Linux), the whole list keeps directory order and
/// `locate` is not asked again.
pub fn disc_order(count: usize, mut locate: impl FnMut(usize) -> Location) -> Vec<usize> {
    let mut keyed = Vec::with_capacity(count);
    for index in 0..count {
        let key = match locate(index) {
            Location::Nowhere => None,
            Location::At(offset) => Some(offset),
            Location::Unknown => return (0..count).collect(),
        };
        keyed.push((key, index));
    }
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, index)| index).collect()
}

/// Files queued between the reader and the parsers: enough to keep every parser busy, few enough that the
/// prefetched pages are still cached when parsed.
const QUEUE: usize = 64;

/// Calls `read` on one thread for every index in `order`, in that order, and `parse` in parallel on each index
/// once `read` is done with it. Returns the results of `parse` by index (`result[i] = parse(i)`).
pub fn ordered_map<T: Send>(
    order: &[usize],
    mut read: impl FnMut(usize) + Send,
    parse: impl Fn(usize) -> T + Sync + Send,
) -> Vec<T> {
    let (sender, receiver) = mpsc::sync_channel::<usize>(QUEUE);
    let mut parsed = std::thread::scope(|scope| {
        scope.spawn(move || {
            for &index in order {
                read(index);
                if sender.send(index).is_err() {
                    break;
                }
            }
        });
        receiver
            .into_iter()
            .par_bridge()
            .map(|index| (index, parse(index)))
            .collect::<Vec<_>>()
    });
    parsed.sort_unstable_by_key(|(index, _)| *index);
    parsed.into_iter().map(|(_, value)| value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Mutex;

    #[test]
    fn disc_order_sorts_by_offset_and_puts_unmapped_files_first() {
        let offsets = [
            Location::At(9_000),
            Location::At(1_000),
            Location::Nowhere,
            Location::At(5_000),
            Location::At(1_000),
        ];
        assert_eq!(disc_order(offsets.len(), |i| offsets[i]), [2, 1, 4, 3, 0]);
    }

    #[test]
    fn disc_order_keeps_directory_order_when_offsets_are_unknown() {
        let mut asked = 0;
        let order = disc_order(4, |i| {
            asked += 1;
            if i == 1 {
                Location::Unknown
            } else {
                Location::At(100 - i as u64)
            }
        });
        assert_eq!(order, [0, 1, 2, 3]);
        assert_eq!(asked, 2, "stops asking once the file system cannot tell");
    }

    /// Files written in reverse name order: their blocks lie in the opposite order of their names (where the file
    /// system maps extents), and the reader must visit them by ascending offset.
    #[test]
    fn reads_come_out_in_ascending_physical_offset() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..24)
            .map(|i| dir.path().join(format!("IM{i:06}")))
            .collect();
        for path in paths.iter().rev() {
            let file = std::fs::File::create(path).unwrap();
            std::io::Write::write_all(&mut &file, &vec![7u8; 20_000]).unwrap();
            file.sync_all().unwrap();
        }
        let locations: Vec<Location> = paths.iter().map(|p| physical_offset(p)).collect();
        let order = disc_order(paths.len(), |i| physical_offset(&paths[i]));
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..paths.len()).collect::<Vec<_>>());

        let reads = Mutex::new(Vec::new());
        let parsed = ordered_map(
            &order,
            |i| reads.lock().unwrap().push(i),
            |i| std::fs::metadata(&paths[i]).unwrap().len(),
        );
        assert_eq!(parsed, vec![20_000; paths.len()]);
        let reads = reads.into_inner().unwrap();
        assert_eq!(reads, order);
        if locations.iter().all(|l| matches!(l, Location::At(_))) {
            let offsets: Vec<u64> = reads
                .iter()
                .map(|&i| match locations[i] {
                    Location::At(offset) => offset,
                    _ => unreachable!(),
                })
                .collect();
            assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{offsets:?}");
            assert!(
                offsets
                    .iter()
                    .collect::<std::collections::HashSet<_>>()
                    .len()
                    == offsets.len(),
                "distinct files have distinct offsets"
            );
        } else {
            assert_eq!(reads, (0..paths.len()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ordered_map_returns_results_by_index() {
        let order = [3, 0, 2, 1, 4];
        let out = ordered_map(&order, |_| {}, |i| i * 10);
        assert_eq!(out, [0, 10, 20, 30, 40]);
    }

    #[test]
    fn modes_decide_the_order() {
        let dir = tempfile::tempdir().unwrap();
        assert!(MediaMode::Optical.ordered(dir.path()));
        assert!(!MediaMode::Parallel.ordered(dir.path()));
        assert!(
            !MediaMode::Auto.ordered(dir.path()),
            "a temporary folder is not a CD"
        );
        assert!(!is_optical(Path::new("/nonexistent/dicomcheck")));
    }
}
