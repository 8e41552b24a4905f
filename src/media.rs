//! Media: where a scan reads files from, behind one small trait so that a folder, a `.zip` or `.iso` read in place
//! and the files a browser page was given are scanned by the same code.
//!
//! A medium is listed once, when it is opened (a [`Walk`]: every file with its size, and what was not read), then
//! each listed file is opened through [`Media`]. Single blobs of bytes (an archive file, a file a browser handed
//! over) are read through [`ReadAt`] — positioned reads, so nothing is ever loaded whole: a 4 GB disc image in a
//! browser is read slice by slice.

use std::fmt::Debug;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::archive::ReadAt;
use crate::archive::{Archive, RangeReader, safe_relative};
use crate::read_header::{
    DefectKind, FileDefect, HeaderOutcome, InflateBudget, read_header_budgeted,
};
use crate::walk::{MediaFile, SkipReason, Skipped, Walk};

/// A listed file opened for reading.
pub trait ReadSeek: Read + Seek + Send {}

impl<T: Read + Seek + Send> ReadSeek for T {}

/// The files of one medium, opened by the path its listing gave them.
pub trait Media: Send + Sync + Debug {
    /// Opens the listed file `relative`, with its size.
    fn open(&self, relative: &Path) -> io::Result<(Box<dyn ReadSeek>, u64)>;

    /// True for a `.zip` or `.iso` (a download, in the staff note's words) rather than a folder's files.
    fn is_archive(&self) -> bool {
        false
    }

    /// The budget every byte inflated in one scan of this medium (`bytes` long) is drawn from.
    fn inflate_budget(&self, bytes: u64) -> Arc<InflateBudget> {
        Arc::new(InflateBudget::for_media(bytes))
    }

    /// Reads the header of the listed `file`, drawing any inflation from `budget`.
    fn read_header(&self, file: &MediaFile, budget: &Arc<InflateBudget>) -> HeaderOutcome {
        match self.open(&file.relative) {
            Ok((reader, size)) => {
                read_header_budgeted(reader, size, &file.relative, budget.clone())
            }
            Err(e) => HeaderOutcome::Unreadable(FileDefect {
                kind: DefectKind::Io,
                detail: e.to_string(),
            }),
        }
    }
}

/// A folder on this computer, through the trait (the scan of a folder path reads it directly, in on-disc order
/// on optical media).
#[derive(Debug, Clone)]
pub struct Folder {
    base: PathBuf,
}

impl Folder {
    /// The folder `base`, listed by [`crate::walk::walk`].
    pub fn open(base: &Path) -> Result<(Self, Walk), crate::walk::WalkError> {
        let walk = crate::walk::walk(base)?;
        let folder = Self {
            base: walk.base.clone(),
        };
        Ok((folder, walk))
    }
}

impl Media for Folder {
    fn open(&self, relative: &Path) -> io::Result<(Box<dyn ReadSeek>, u64)> {
        let (file, size) = crate::walk::open_media_file(&self.base.join(relative))?;
        Ok((Box::new(file), size))
    }
}

impl Media for Archive {
    fn open(&self, relative: &Path) -> io::Result<(Box<dyn ReadSeek>, u64)> {
        let (reader, size) = self.open_member(relative)?;
        Ok((Box::new(reader), size))
    }

    fn is_archive(&self) -> bool {
        true
    }

    /// The archive's own budget: its members' inflation is drawn from it wherever they are opened.
    fn inflate_budget(&self, _bytes: u64) -> Arc<InflateBudget> {
        self.budget()
    }

    /// Also checks a zip member's CRC-32; inflation is drawn from the archive's own budget.
    fn read_header(&self, file: &MediaFile, _budget: &Arc<InflateBudget>) -> HeaderOutcome {
        Archive::read_header(self, &file.relative)
    }
}

/// One file handed over by a front end: its path as the user's system gave it (`/`-separated, relative), its
/// bytes, and its size.
#[derive(Debug, Clone)]
pub struct GivenFile {
    /// The path, e.g. `DICOM/ST000001/SE000001/IM000001`.
    pub path: String,
    /// Its bytes, read at offsets.
    pub bytes: Arc<dyn ReadAt>,
    /// Its size in bytes.
    pub size: u64,
}

/// Files handed over one by one, each readable at offsets: what a browser page gets from a folder picker or a
/// dropped folder.
#[derive(Debug, Default)]
pub struct Files {
    /// Sorted by path, one entry per path.
    files: Vec<(PathBuf, Arc<dyn ReadAt>, u64)>,
}

impl Files {
    /// Lists `given`: a path that would reach outside the medium, or the same path twice, is not read.
    pub fn new(given: Vec<GivenFile>) -> (Self, Walk) {
        let mut skipped = Vec::new();
        let mut files = Vec::with_capacity(given.len());
        for file in given {
            match safe_relative(&file.path) {
                Some(relative) => files.push((relative, file.bytes, file.size)),
                None => skipped.push(Skipped {
                    relative: PathBuf::from(&file.path),
                    reason: SkipReason::Unreadable("an unsafe file name: not read".to_string()),
                }),
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut unique: Vec<(PathBuf, Arc<dyn ReadAt>, u64)> = Vec::with_capacity(files.len());
        for file in files {
            if unique.last().is_some_and(|last| last.0 == file.0) {
                skipped.push(Skipped {
                    relative: file.0,
                    reason: SkipReason::Unreadable(
                        "a second file with the same name: not read".to_string(),
                    ),
                });
            } else {
                unique.push(file);
            }
        }
        let walk = Walk {
            base: PathBuf::new(),
            files: unique
                .iter()
                .map(|(relative, _, size)| MediaFile {
                    relative: relative.clone(),
                    size: *size,
                })
                .collect(),
            skipped,
        };
        (Self { files: unique }, walk)
    }
}

impl Media for Files {
    fn open(&self, relative: &Path) -> io::Result<(Box<dyn ReadSeek>, u64)> {
        let (_, bytes, size) = self
            .files
            .binary_search_by(|f| f.0.as_path().cmp(relative))
            .ok()
            .and_then(|i| self.files.get(i))
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
        Ok((Box::new(RangeReader::new(bytes.clone(), 0, *size)), *size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{ScanOptions, scan, scan_media};
    use dicomcheck_fixture::{DiscSpec, PatientSpec, SeriesSpec, StudySpec, write_disc};

    fn given(root: &Path) -> Vec<GivenFile> {
        let (_, walk) = Folder::open(root).expect("walk");
        walk.files
            .iter()
            .map(|f| {
                let bytes = std::fs::read(root.join(&f.relative)).expect("read");
                GivenFile {
                    path: f.relative.to_string_lossy().replace('\\', "/"),
                    size: bytes.len() as u64,
                    bytes: Arc::new(bytes),
                }
            })
            .collect()
    }

    /// What a scan found, without timings and roots.
    fn summary(scan: &crate::scan::Scan) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{} {} {}",
            scan.records,
            scan.dicomdirs,
            scan.other_files,
            scan.unreadable,
            scan.files,
            scan.bytes,
            scan.header_bytes
        )
    }

    #[test]
    fn given_files_and_a_folder_through_the_trait_scan_like_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
            .study(StudySpec::new("Chest").series(SeriesSpec::ct(4)))
            .dicomdir(true)
            .viewer_files(true);
        write_disc(dir.path(), &spec).expect("write disc");
        let options = ScanOptions::default();
        let direct = scan(dir.path(), &options).expect("scan");
        assert!(direct.records.len() >= 4 && !direct.dicomdirs.is_empty());

        let (files, walk) = Files::new(given(dir.path()));
        let from_files = scan_media(dir.path(), Arc::new(files), walk, &options);
        assert_eq!(summary(&from_files), summary(&direct));
        assert!(from_files.read_dicomdir(&direct.dicomdirs[0]).is_ok());

        let (folder, walk) = Folder::open(dir.path()).expect("folder");
        let from_folder = scan_media(dir.path(), Arc::new(folder), walk, &options);
        assert_eq!(summary(&from_folder), summary(&direct));
    }

    #[test]
    fn an_archive_in_memory_scans_like_the_same_archive_on_disk() {
        use std::io::Write;
        let dir = tempfile::tempdir().expect("tempdir");
        let disc = dir.path().join("disc");
        let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
            .study(StudySpec::new("Chest").series(SeriesSpec::ct(3)))
            .dicomdir(true)
            .viewer_files(false);
        write_disc(&disc, &spec).expect("write disc");
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for file in given(&disc) {
            zip.start_file(file.path.as_str(), options).expect("member");
            let mut bytes = vec![0u8; usize::try_from(file.size).expect("size")];
            assert_eq!(
                file.bytes.read_at(&mut bytes, 0).expect("read"),
                bytes.len()
            );
            zip.write_all(&bytes).expect("write");
        }
        let bytes = zip.finish().expect("zip").into_inner();
        let on_disk = dir.path().join("disc.zip");
        std::fs::write(&on_disk, &bytes).expect("write zip");

        let name = Path::new("disc.zip");
        let kind = crate::archive::kind_of(Path::new("download"), &bytes).expect("a zip");
        let size = bytes.len() as u64;
        let (archive, walk) = Archive::from_source(Arc::new(bytes), size, kind, name, name);
        let in_memory = scan_media(name, Arc::new(archive), walk, &ScanOptions::default());
        let direct = scan(&on_disk, &ScanOptions::default()).expect("scan");
        assert_eq!(in_memory.records.len(), 3);
        assert_eq!(summary(&in_memory), summary(&direct));
        assert!(in_memory.read_dicomdir(&direct.dicomdirs[0]).is_ok());
    }

    #[test]
    fn unsafe_and_repeated_names_are_listed_as_not_read() {
        let file = |path: &str| GivenFile {
            path: path.to_string(),
            bytes: Arc::new(b"abc".to_vec()),
            size: 3,
        };
        let (files, walk) = Files::new(vec![file("a/b"), file("../x"), file("a/b"), file("c")]);
        let listed: Vec<_> = walk.files.iter().map(|f| f.relative.clone()).collect();
        assert_eq!(listed, [PathBuf::from("a/b"), PathBuf::from("c")]);
        assert_eq!(walk.skipped.len(), 2);
        let (mut reader, size) = files.open(Path::new("c")).expect("open");
        let mut text = String::new();
        reader.read_to_string(&mut text).expect("read");
        assert_eq!((text.as_str(), size), ("abc", 3));
        assert!(files.open(Path::new("x")).is_err());
    }
}
