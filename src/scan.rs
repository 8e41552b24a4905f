//! Scan: walk the media and read every file's header in parallel, giving the records and every file's fate.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use rayon::prelude::*;
use web_time::Instant;

use crate::archive::{self, Archive};
use crate::dicomdir::{DicomDir, DicomDirError, read_dicomdir_budgeted};
use crate::media::Media;
use crate::media_order::{MediaMode, disc_order, ordered_map, physical_offset};
use crate::progress::Progress;
use crate::read_header::{
    DefectKind, FileDefect, HeaderOutcome, InflateBudget, InstanceRecord, NotDicom,
    read_header_budgeted,
};
use crate::walk::{
    Found, ListedFile, Skipped, Walk, WalkError, advise_random, is_system_metadata, list,
    open_media_file, walk,
};

/// SOP Class UID of a DICOMDIR (Media Storage Directory Storage).
pub const MEDIA_STORAGE_DIRECTORY: &str = "1.2.840.10008.1.3.10";

/// How to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Worker threads; `None` uses one per CPU.
    pub jobs: Option<usize>,
    /// Show a progress bar on stderr (the caller decides whether stderr is a terminal).
    pub progress: bool,
    /// Parallel reads, or one reader in on-disc order for optical media.
    pub media: MediaMode,
}

/// Bytes the optical reader reads from the start of each file: the header reader's first buffer fill.
const PREFETCH: usize = 8 * 1024;

/// A file that is not DICOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherFile {
    /// Path relative to the media root.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Why it is not DICOM.
    pub reason: NotDicom,
}

/// A file that looks like DICOM but cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableFile {
    /// Path relative to the media root.
    pub path: PathBuf,
    /// What went wrong.
    pub defect: FileDefect,
}

/// What the scan of one media root found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The media root as given.
    pub root: PathBuf,
    /// The folder the records' paths are relative to: the root, or its parent when the root is one file.
    pub base: PathBuf,
    /// DICOM instances (DICOMDIR files excluded), sorted by path.
    pub records: Vec<InstanceRecord>,
    /// DICOMDIR files found by name or by SOP class (relative paths), in walk order.
    pub dicomdirs: Vec<PathBuf>,
    /// Files that are not DICOM, sorted by path.
    pub other_files: Vec<OtherFile>,
    /// Files that look like DICOM but cannot be used, sorted by path.
    pub unreadable: Vec<UnreadableFile>,
    /// Entries not read at all (links, special files, unreadable folders).
    pub skipped: Vec<Skipped>,
    /// Regular files seen.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Header bytes consumed by the reader.
    pub header_bytes: u64,
    /// Wall time of the scan.
    pub elapsed: Duration,
    /// Where the files were read from when not the folder `root`: the `.zip` or `.iso` the root is, or files a
    /// front end handed over.
    pub media: Option<Arc<dyn Media>>,
    /// What is left of the scan's inflation budget, for the DICOMDIR reads that follow it.
    pub inflate_budget: Arc<InflateBudget>,
}

impl Scan {
    /// Where a file listed `relative` to the media lies on the file system (meaningful when `media` is `None`).
    pub fn path_of(&self, relative: &Path) -> PathBuf {
        self.base.join(relative)
    }

    /// Reads a DICOMDIR the scan found (`relative` to the root), from the folder or from inside the archive.
    pub fn read_dicomdir(&self, relative: &Path) -> Result<DicomDir, DicomDirError> {
        let budget = self.inflate_budget.clone();
        let opened = match &self.media {
            None => open_media_file(&self.path_of(relative))
                .map(|(file, size)| read_dicomdir_budgeted(file, size, budget)),
            Some(media) => media
                .open(relative)
                .map(|(reader, size)| read_dicomdir_budgeted(reader, size, budget)),
        };
        opened.unwrap_or_else(|e| {
            Err(DicomDirError::Damaged(FileDefect {
                kind: DefectKind::Io,
                detail: e.to_string(),
            }))
        })
    }
    /// The bytes of a file the scan found (`relative` to the root), from the folder or from inside the archive,
    /// when it holds at most `cap` bytes; `None` when larger (only what the file really holds is allocated).
    pub fn read_small_file(&self, relative: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
        let (reader, size): (Box<dyn Read>, u64) = match &self.media {
            None => open_media_file(&self.path_of(relative))
                .map(|(f, s)| (Box::new(f) as Box<dyn Read>, s))?,
            Some(media) => media
                .open(relative)
                .map(|(r, s)| (Box::new(r) as Box<dyn Read>, s))?,
        };
        if size > cap {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        reader.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
        Ok((bytes.len() as u64 <= cap).then_some(bytes))
    }
}

/// Files read per batch: the outcomes of a batch are moved into the final vectors while the next is read, so the
/// scan never holds every file's outcome and its record at once; small enough that the filing of one batch
/// overlaps the reading of most of the others.
const BATCH: usize = 1024;

/// Walks `root` (a folder, or a `.zip` or `.iso` read in place) and reads every regular file's header in
/// parallel.
pub fn scan(root: &Path, options: &ScanOptions) -> Result<Scan, WalkError> {
    let started = Instant::now();
    let root = &media_root(root);
    let pool = build_pool(options.jobs);
    let archive = archive::detect(root);
    if archive.is_none() && !options.media.ordered(root) {
        return read_folder(root, options, pool, started);
    }
    let listing_notice = crate::progress::Listing::new(options.progress, root);
    let (media, listing): (Option<Arc<dyn Media>>, Walk) = match archive {
        Some(kind) => {
            let (archive, listing) = Archive::open(root, kind)?;
            (Some(Arc::new(archive)), listing)
        }
        // Optical media, read in on-disc order: the whole listing first. The walk asks for the files' sizes on
        // the readers' threads.
        None => (None, in_pool(&pool, || walk(root))?),
    };
    drop(listing_notice);
    Ok(read_listed(root, media, listing, options, pool, started))
}

/// Runs `work` in `pool`, or in rayon's global pool when there is none.
fn in_pool<T: Send>(pool: &Option<rayon::ThreadPool>, work: impl FnOnce() -> T + Send) -> T {
    match pool {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// Reads every file of a medium a front end opened and listed itself (a browser's files, an archive in memory),
/// reported under the name `root`.
pub fn scan_media(
    root: &Path,
    media: Arc<dyn Media>,
    listing: Walk,
    options: &ScanOptions,
) -> Scan {
    let pool = build_pool(options.jobs);
    read_listed(root, Some(media), listing, options, pool, Instant::now())
}

/// Reads every listed file's header: from `media`, or from the folder `root` when `None`.
fn read_listed(
    root: &Path,
    media: Option<Arc<dyn Media>>,
    listing: Walk,
    options: &ScanOptions,
    pool: Option<rayon::ThreadPool>,
    started: Instant,
) -> Scan {
    let base = listing.base;
    let (system, listed): (Vec<_>, Vec<_>) = listing
        .files
        .into_iter()
        .partition(|f| is_system_metadata(&f.relative));
    let (dicomdirs, files): (Vec<_>, Vec<_>) = listed
        .into_iter()
        .partition(|f| is_dicomdir_name(&f.relative));
    let mut scan = Scan {
        root: root.to_path_buf(),
        base: base.clone(),
        skipped: listing.skipped,
        files: files.len() + dicomdirs.len() + system.len(),
        bytes: files
            .iter()
            .chain(&dicomdirs)
            .chain(&system)
            .map(|f| f.size)
            .sum(),
        dicomdirs: dicomdirs.into_iter().map(|f| f.relative).collect(),
        other_files: system
            .into_iter()
            .map(|f| OtherFile {
                path: f.relative,
                size: f.size,
                reason: NotDicom::SystemFile,
            })
            .collect(),
        media,
        ..Scan::default()
    };
    scan.inflate_budget = match &scan.media {
        Some(media) => media.inflate_budget(scan.bytes),
        None => Arc::new(InflateBudget::for_media(scan.bytes)),
    };
    let threads = pool
        .as_ref()
        .map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
    let progress = Progress::new(options.progress, files.len() as u64, threads);
    let media = scan.media.clone();
    let budget = &scan.inflate_budget.clone();
    let read_one = |i: usize| {
        let file = &files[i];
        let reading = progress.reading(&file.relative);
        // The reader shares the values files repeat between the records its thread reads (read_header::shared).
        let outcome = guarded(|| match &media {
            None => match open_media_file(&base.join(&file.relative)) {
                Ok((handle, size)) => read_open(handle, size, &file.relative, budget),
                Err(e) => io_unreadable(&e),
            },
            Some(media) => media.read_header(file, budget),
        });
        drop(reading);
        progress.inc();
        (i, outcome)
    };
    let ordered = media.is_none() && options.media.ordered(root);
    let order = if ordered {
        disc_order(files.len(), |i| {
            physical_offset(&base.join(&files[i].relative))
        })
    } else {
        (0..files.len()).collect()
    };
    // Room for every file as a record up front: growing by doubling would hold the old and the new buffer at
    // once (about 1.5x the records' size at 100,000 files); what the other files leave unused is freed below.
    scan.records.reserve_exact(files.len());
    let mut directories_by_class = Vec::new();
    let read_batch = |batch: &[usize], buffer: &mut [u8]| {
        let read = || {
            if ordered {
                ordered_map(
                    batch,
                    |i| {
                        let _reading = progress.reading(&files[i].relative);
                        prefetch(&base.join(&files[i].relative), buffer)
                    },
                    read_one,
                )
            } else {
                batch.par_iter().map(|&i| read_one(i)).collect::<Vec<_>>()
            }
        };
        in_pool(&pool, read)
    };
    let mut file_outcome = |(i, outcome): (usize, HeaderOutcome)| {
        let file = &files[i];
        scan.file(
            file.relative.clone(),
            file.size,
            outcome,
            &mut directories_by_class,
        );
    };
    let mut buffer = vec![0u8; PREFETCH];
    pipeline(
        order.chunks(BATCH),
        |batch| read_batch(batch, &mut buffer),
        |outcomes| outcomes.into_iter().for_each(&mut file_outcome),
    );
    progress.finish();
    scan.settle(directories_by_class, started);
    scan
}

impl Scan {
    /// Files what reading the file at `relative`, of `size` bytes, gave; a DICOMDIR found by its SOP class goes
    /// to `directories_by_class`.
    fn file(
        &mut self,
        relative: PathBuf,
        size: u64,
        outcome: HeaderOutcome,
        directories_by_class: &mut Vec<PathBuf>,
    ) {
        match outcome {
            HeaderOutcome::Instance(record) => {
                self.header_bytes += record.header_bytes;
                if &*record.sop_class_uid == MEDIA_STORAGE_DIRECTORY {
                    directories_by_class.push(record.path);
                } else {
                    self.records.push(*record);
                }
            }
            HeaderOutcome::NotDicom(reason) => self.other_files.push(OtherFile {
                path: relative,
                size,
                reason,
            }),
            HeaderOutcome::Unreadable(defect) => self.unreadable.push(UnreadableFile {
                path: relative,
                defect,
            }),
        }
    }

    /// Files what became of an entry of a folder's listing (see [`Scan::file`]).
    fn file_fate(&mut self, fate: Fate, directories_by_class: &mut Vec<PathBuf>) {
        match fate {
            Fate::Skipped(skipped) => self.skipped.push(skipped),
            Fate::File {
                relative,
                size,
                kind,
            } => {
                self.files += 1;
                self.bytes += size;
                match kind {
                    FileKind::System => self.other_files.push(OtherFile {
                        path: relative,
                        size,
                        reason: NotDicom::SystemFile,
                    }),
                    FileKind::DicomdirName => self.dicomdirs.push(relative),
                    FileKind::Read(outcome) => {
                        self.file(relative, size, outcome, directories_by_class);
                    }
                }
            }
        }
    }

    /// Puts everything filed in its final order once the last file is read.
    fn settle(&mut self, mut directories_by_class: Vec<PathBuf>, started: Instant) {
        directories_by_class.sort();
        self.dicomdirs.extend(directories_by_class);
        sort_by_path(&mut self.records);
        self.records.shrink_to_fit();
        self.other_files.sort_by(|a, b| a.path.cmp(&b.path));
        self.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
        self.elapsed = started.elapsed();
    }
}

/// What became of one entry the listing of a folder found.
enum Fate {
    /// Not read: not a regular file, or gone.
    Skipped(Skipped),
    /// A regular file of `size` bytes, and what it is.
    File {
        relative: PathBuf,
        size: u64,
        kind: FileKind,
    },
}

/// What a regular file of a folder is.
enum FileKind {
    /// A file an operating system left (not read).
    System,
    /// A DICOMDIR by its name (read by the `dicomdir` check).
    DicomdirName,
    /// Any other file, and what reading its header gave.
    Read(HeaderOutcome),
}

/// Reads a folder's files in parallel (not optical media): the listing runs on a thread of its own and hands the
/// files over a batch at a time, so that the reads start with the first batch listed instead of after the last.
/// Each file's size comes from its open handle (one path lookup per file, not a `stat` and then an `open`), and
/// the inflation budget grows with each file's size before it is read (see [`InflateBudget::grow`]): the same
/// budget in the end as when the whole listing comes first.
fn read_folder(
    root: &Path,
    options: &ScanOptions,
    pool: Option<rayon::ThreadPool>,
    started: Instant,
) -> Result<Scan, WalkError> {
    let budget = Arc::new(InflateBudget::default());
    let threads = pool
        .as_ref()
        .map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
    let progress = Progress::listing(options.progress, root, threads);
    let mut scan = Scan {
        root: root.to_path_buf(),
        inflate_budget: budget.clone(),
        ..Scan::default()
    };
    // The number of files listed, once the listing is over: room for every one as a record, as `read_listed`
    // makes (until then the records grow as any vector does).
    let listed_files = AtomicUsize::new(usize::MAX);
    let list_in_batches = |sender: &mpsc::Sender<Vec<Found>>| {
        let mut batch = Vec::with_capacity(BATCH);
        let mut files = 0;
        let mut send = |batch: Vec<Found>| {
            let in_batch = batch.iter().filter(|f| matches!(f, Found::File(_))).count();
            files += in_batch;
            progress.grow(in_batch as u64);
            let _ = sender.send(batch);
        };
        let base = list(root, |found| {
            batch.push(found);
            if batch.len() == BATCH {
                send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        if !batch.is_empty() {
            send(batch);
        }
        listed_files.store(files, Ordering::Relaxed);
        progress.listed();
        base
    };
    let read_batch = |batch: Vec<Found>| -> Vec<Fate> {
        in_pool(&pool, || {
            batch
                .into_par_iter()
                .map(|found| match found {
                    Found::Skipped(skipped) => Fate::Skipped(skipped),
                    Found::File(file) => {
                        let _reading = progress.reading(&file.relative);
                        let fate = fate_of(file, &budget);
                        progress.inc();
                        fate
                    }
                })
                .collect()
        })
    };
    let mut directories_by_class = Vec::new();
    let mut file_batch = |fates: Vec<Fate>| {
        match listed_files.load(Ordering::Relaxed) {
            usize::MAX => scan.records.reserve(fates.len()),
            files => scan
                .records
                .reserve_exact(files.saturating_sub(scan.records.len())),
        }
        for fate in fates {
            scan.file_fate(fate, &mut directories_by_class);
        }
    };
    let (batches, listed) = mpsc::channel::<Vec<Found>>();
    let list_in_batches = &list_in_batches;
    // The listing hands batches to the pipeline's reader as it finds them.
    let listing = std::thread::scope(|scope| {
        let lister = {
            let batches = batches.clone();
            std::thread::Builder::new().spawn_scoped(scope, move || list_in_batches(&batches))
        };
        // No thread to be had: the whole listing first (its outcome kept as the error).
        let lister = lister.map_err(|_| list_in_batches(&batches));
        drop(batches);
        pipeline(listed.into_iter(), read_batch, &mut file_batch);
        match lister {
            Ok(lister) => lister.join().unwrap_or_else(|_| {
                Err(WalkError::Root {
                    path: root.to_path_buf(),
                    source: std::io::Error::other(
                        "dicomcheck's listing failed (a bug in dicomcheck; please report it)",
                    ),
                })
            }),
            Err(listed_here) => listed_here,
        }
    });
    progress.finish();
    scan.base = listing?;
    scan.settle(directories_by_class, started);
    Ok(scan)
}

/// Reads batch after batch with `read` on a thread of its own while this thread hands each result to `file`, in
/// the order of one loop. The channel holds one result, so at most three batches' outcomes exist at once (being
/// read, waiting, being filed). With no thread to be had (WebAssembly in a browser), reads and files in turn.
fn pipeline<B, O: Send>(
    batches: impl Iterator<Item = B> + Send,
    read: impl FnMut(B) -> O + Send,
    mut file: impl FnMut(O),
) {
    // Borrowed by the reader's thread, or used here when there is none.
    let work = Mutex::new((batches, read));
    let work = &work;
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel::<O>(1);
        let reader = std::thread::Builder::new().spawn_scoped(scope, move || {
            let Ok(mut work) = work.lock() else { return };
            let (batches, read) = &mut *work;
            for batch in batches {
                if sender.send(read(batch)).is_err() {
                    break;
                }
            }
        });
        match reader {
            Ok(_) => receiver.iter().for_each(&mut file),
            Err(_) => {
                if let Ok(mut work) = work.lock() {
                    let (batches, read) = &mut *work;
                    batches.map(read).for_each(&mut file);
                }
            }
        }
    });
}

/// Sorts the records by path, equal paths keeping their order, like a stable sort but without its scratch buffer
/// of half the records (27 MB at 100,000 files): the sort runs on indexes, then moves each record once.
fn sort_by_path(records: &mut [InstanceRecord]) {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| records[a].path.cmp(&records[b].path));
    // `order[i]` is the index of the record that belongs at `i`; each cycle of the permutation is applied by swaps,
    // and a position is marked done by `order[i] == i`.
    for start in 0..order.len() {
        let mut at = start;
        while order[at] != at {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            records.swap(at, from);
            at = from;
        }
    }
}

/// What the parser gave for one file, or, if it panicked (a bug in dicomcheck, not in the file), that file as
/// unreadable: one file's finding instead of a crashed check (exit 101) for the whole disc.
fn guarded(read: impl FnOnce() -> HeaderOutcome) -> HeaderOutcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        HeaderOutcome::Unreadable(FileDefect {
            kind: DefectKind::Malformed,
            detail:
                "dicomcheck's reader failed on this file (a bug in dicomcheck; please report it)"
                    .into(),
        })
    })
}

/// Reads a file the listing found, unless it is a system file or a DICOMDIR by name (those are only sized). Its
/// size comes from the open handle, or from `lstat` when it is not read or cannot be opened; the budget grows
/// by it first.
fn fate_of(file: ListedFile, budget: &Arc<InflateBudget>) -> Fate {
    // Err: a file only sized, of this kind.
    let opened = if is_system_metadata(&file.relative) {
        Err(FileKind::System)
    } else if is_dicomdir_name(&file.relative) {
        Err(FileKind::DicomdirName)
    } else {
        Ok(open_media_file(&file.path))
    };
    let size = match &opened {
        Ok(Ok((_, size))) => *size,
        _ => match file.size() {
            Ok(size) => size,
            Err(skipped) => return Fate::Skipped(skipped),
        },
    };
    budget.grow(size);
    let kind = match opened {
        Err(kind) => kind,
        Ok(Ok((handle, _))) => {
            FileKind::Read(guarded(|| read_open(handle, size, &file.relative, budget)))
        }
        Ok(Err(e)) => FileKind::Read(io_unreadable(&e)),
    };
    Fate::File {
        relative: file.relative,
        size,
        kind,
    }
}

/// Reads the header of a media file opened as a regular file of `size` bytes, drawing any inflation from the
/// scan's `budget`.
fn read_open(
    handle: std::fs::File,
    size: u64,
    relative: &Path,
    budget: &Arc<InflateBudget>,
) -> HeaderOutcome {
    // Only the first kilobytes are read: read-ahead would fetch several times that from a cold device.
    advise_random(&handle);
    read_header_budgeted(handle, size, relative, budget.clone())
}

/// A file that could not be opened.
fn io_unreadable(error: &std::io::Error) -> HeaderOutcome {
    HeaderOutcome::Unreadable(FileDefect {
        kind: DefectKind::Io,
        detail: error.to_string(),
    })
}

/// Reads the first bytes of `path` into `buffer`, so the parser finds them in the page cache. Errors are left
/// for the parser to report.
fn prefetch(path: &Path, buffer: &mut [u8]) {
    if let Ok((mut file, _)) = open_media_file(path) {
        let _ = std::io::Read::read(&mut file, buffer);
    }
}

/// The media to check for the path the user gave: the folder a DICOMDIR file indexes when the path is that file
/// (checking a DICOMDIR means checking the disc it indexes), else the path itself.
pub fn media_root(path: &Path) -> PathBuf {
    let is_dicomdir_file = is_dicomdir_name(path)
        && std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && archive::detect(path).is_none();
    match path.parent() {
        Some(parent) if is_dicomdir_file && parent.as_os_str().is_empty() => PathBuf::from("."),
        Some(parent) if is_dicomdir_file => parent.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

/// True for the names a DICOMDIR takes on real media: `DICOMDIR` in any case, with the `.` or `;1` an ISO 9660
/// mount may add.
pub fn is_dicomdir_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.trim_end_matches(";1")
                .trim_end_matches('.')
                .eq_ignore_ascii_case("DICOMDIR")
        })
        .unwrap_or(false)
}

/// A pool with the requested number of threads and stacks large enough for any header (the reader is
/// iterative; the headroom is for the decoders).
fn build_pool(jobs: Option<usize>) -> Option<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(8 << 20);
    if let Some(jobs) = jobs {
        builder = builder.num_threads(jobs.max(1));
    }
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicomcheck_fixture::{DiscSpec, PatientSpec, SeriesSpec, StudySpec, write_disc};

    #[test]
    fn a_reader_that_panics_makes_its_file_unreadable() {
        let outcome = guarded(|| panic!("a parser bug"));
        let HeaderOutcome::Unreadable(defect) = outcome else {
            panic!("expected an unreadable file, got {outcome:?}");
        };
        assert_eq!(defect.kind, DefectKind::Malformed);
        assert!(
            defect.detail.contains("bug in dicomcheck"),
            "{}",
            defect.detail
        );
        assert!(matches!(
            guarded(|| HeaderOutcome::NotDicom(NotDicom::Empty)),
            HeaderOutcome::NotDicom(NotDicom::Empty)
        ));
    }

    #[test]
    fn records_sort_by_path_keeping_the_order_of_equal_paths() {
        let names = ["d/2", "a", "c", "d/10", "b", "a", "d/2", "c", "e", "a"];
        let mut records: Vec<InstanceRecord> = names
            .iter()
            .zip(0..)
            .map(|(name, size)| InstanceRecord {
                path: PathBuf::from(name),
                size,
                ..InstanceRecord::default()
            })
            .collect();
        let mut expected: Vec<(PathBuf, u64)> =
            records.iter().map(|r| (r.path.clone(), r.size)).collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        sort_by_path(&mut records);
        let sorted: Vec<(PathBuf, u64)> =
            records.iter().map(|r| (r.path.clone(), r.size)).collect();
        assert_eq!(sorted, expected);
        sort_by_path(&mut []);
    }

    #[test]
    fn records_share_repeated_values_and_keep_their_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
            .study(StudySpec::new("Chest").series(SeriesSpec::ct(3)))
            .dicomdir(false)
            .viewer_files(false);
        write_disc(dir.path(), &spec).expect("write disc");
        // One reader thread: one interner, so every repeated value is shared.
        let options = ScanOptions {
            jobs: Some(1),
            ..ScanOptions::default()
        };
        let scan = scan(dir.path(), &options).expect("scan");
        let [a, b, c] = &scan.records[..] else {
            panic!("expected 3 records, got {}", scan.records.len());
        };
        assert!(Arc::ptr_eq(&a.study_instance_uid, &c.study_instance_uid));
        assert!(Arc::ptr_eq(&a.series_instance_uid, &b.series_instance_uid));
        let (Some(name_a), Some(name_c)) = (&a.patient_name, &c.patient_name) else {
            panic!("patient names missing");
        };
        assert!(Arc::ptr_eq(name_a, name_c));
        assert_eq!(name_a.text, "SMITH^JOHN");
        assert_ne!(a.sop_instance_uid, b.sop_instance_uid);
        assert_ne!(a.path, b.path);
    }

    /// The listing beside the reads (a folder, `MediaMode::Parallel`) and the whole walk first (`Optical`) find
    /// the same: every kind of entry, over more than one batch.
    #[test]
    fn reading_while_listing_finds_what_the_walk_first_finds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN"))
            .study(StudySpec::new("Chest").series(SeriesSpec::ct(4)))
            .viewer_files(false);
        let disc = write_disc(root, &spec).expect("write disc");
        let first = &disc.series[0].instances[0].path;
        let image = std::fs::read(root.join(first)).expect("image");
        std::fs::write(root.join("CUT"), &image[..150]).expect("cut inside the meta group");
        std::fs::create_dir_all(root.join("sub")).expect("sub");
        std::fs::copy(root.join("DICOMDIR"), root.join("sub/dicomdir")).expect("copy");
        std::fs::write(root.join("sub/.DS_Store"), b"finder").expect("system file");
        std::fs::write(root.join("EMPTY"), b"").expect("empty");
        let junk = root.join("junk");
        std::fs::create_dir_all(&junk).expect("junk");
        for i in 0..BATCH + 300 {
            std::fs::write(junk.join(format!("F{i:05}")), vec![b'x'; i % 300]).expect("junk file");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join(first), root.join("LINK")).expect("symlink");
            let made = std::process::Command::new("mkfifo")
                .arg(root.join("FIFO"))
                .status()
                .expect("mkfifo");
            assert!(made.success());
        }
        let scan_with = |media| {
            let options = ScanOptions {
                jobs: Some(3),
                media,
                ..ScanOptions::default()
            };
            scan(root, &options).expect("scan")
        };
        let listing = scan_with(MediaMode::Parallel);
        let walk_first = scan_with(MediaMode::Optical);
        assert_eq!(listing.files, BATCH + 300 + 4 + 5);
        assert_eq!(listing.records.len(), 4);
        assert_eq!(listing.dicomdirs.len(), 2);
        assert_eq!(listing.unreadable.len(), 1, "{:?}", listing.unreadable);
        assert!(
            listing
                .other_files
                .iter()
                .any(|f| f.reason == NotDicom::SystemFile)
        );
        #[cfg(unix)]
        assert_eq!(listing.skipped.len(), 2, "{:?}", listing.skipped);
        assert_eq!(listing.base, walk_first.base);
        assert_eq!(listing.files, walk_first.files);
        assert_eq!(listing.bytes, walk_first.bytes);
        assert_eq!(listing.header_bytes, walk_first.header_bytes);
        assert_eq!(listing.dicomdirs, walk_first.dicomdirs);
        assert_eq!(listing.other_files, walk_first.other_files);
        assert_eq!(listing.unreadable, walk_first.unreadable);
        assert_eq!(listing.skipped, walk_first.skipped);
        assert_eq!(
            format!("{:?}", listing.records),
            format!("{:?}", walk_first.records)
        );
        assert_eq!(
            listing.inflate_budget.left(),
            walk_first.inflate_budget.left()
        );
        // A root that is not there is the walk's error, as before.
        let missing = scan(&root.join("nowhere"), &ScanOptions::default());
        assert!(matches!(missing, Err(WalkError::Root { .. })));
    }
}
