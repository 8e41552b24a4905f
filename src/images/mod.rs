//! The images phase: after the header scan, read every byte of every DICOM file (in on-disc order on optical
//! media, in parallel elsewhere) and decode every frame in isolated worker processes ([`worker`]), so that "PASS"
//! means the images open. [`decode`] runs inside the workers; [`codestream`] and [`thumbnail`] serve it.

pub mod codestream;
pub mod decode;
pub mod entropy;
#[cfg(feature = "test-hooks")]
pub mod hooks;
pub mod thumbnail;
pub mod worker;

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::catalog::Catalog;
use crate::media_order::{disc_order, physical_offset};
use crate::read_header::InstanceRecord;
use crate::scan::{Scan, ScanOptions};
use decode::{Decoded, Problem, ProblemKind};
use worker::{MAX_FILE_BYTES, Slot};

/// How to run the images phase.
#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// The program started as decoding worker: this binary.
    pub worker: PathBuf,
}

/// What the images phase found in one file.
#[derive(Debug, Clone)]
pub struct FileImages {
    /// Index of the file's record in the scan.
    pub record: usize,
    /// What decoding found (a read error is one of its problems).
    pub decoded: Decoded,
}

/// The images phase's result.
#[derive(Debug, Clone, Default)]
pub struct ImagesOutcome {
    /// One entry per file opened, in record order.
    pub files: Vec<FileImages>,
    /// Bytes read.
    pub bytes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl ImagesOutcome {
    /// The result for a record, if the phase opened it.
    pub fn of(&self, record: usize) -> Option<&Decoded> {
        self.files
            .binary_search_by_key(&record, |f| f.record)
            .ok()
            .map(|i| &self.files[i].decoded)
    }
}

/// Reads and decodes every intact DICOM file of the scan: files the header phase found damaged, and those
/// `known_damaged` says already have their finding, are left out. The middle file of each series is drawn as a
/// thumbnail.
pub fn verify(
    scan: &Scan,
    catalog: &Catalog,
    options: &ImageOptions,
    scan_options: &ScanOptions,
    known_damaged: &dyn Fn(&InstanceRecord) -> bool,
) -> ImagesOutcome {
    let started = Instant::now();
    let records = &scan.records;
    let mut wanted: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].defect.is_none() && !known_damaged(&records[i]))
        .collect();
    let middles: HashSet<usize> = catalog
        .studies
        .iter()
        .flat_map(|s| &s.series)
        .filter_map(|s| s.instances.get(s.instances.len() / 2).copied())
        .collect();
    let threads = scan_options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let ordered = scan.media.is_none() && scan_options.media.ordered(&scan.root);
    if ordered {
        let order = disc_order(wanted.len(), |i| {
            physical_offset(&scan.root.join(&records[wanted[i]].path))
        });
        wanted = order.into_iter().map(|i| wanted[i]).collect();
    }
    let total: u64 = wanted.iter().map(|&i| records[i].size).sum();
    let progress = bar(scan_options.progress, total, wanted.len());
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(wanted.len()));
    let (sender, receiver) = sync_channel::<(usize, Result<Vec<u8>, Problem>)>(threads);
    let receiver = Mutex::new(receiver);
    std::thread::scope(|s| {
        let readers = if ordered { 1 } else { threads };
        for _ in 0..readers {
            let sender = sender.clone();
            let (next, wanted, progress) = (&next, &wanted, &progress);
            s.spawn(move || {
                while let Some(&record) = wanted.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let bytes = read_file(scan, &records[record].path, records[record].size);
                    progress.inc(records[record].size);
                    if sender.send((record, bytes)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        for _ in 0..threads {
            let (receiver, results, middles, progress) = (&receiver, &results, &middles, &progress);
            s.spawn(move || {
                let mut slot = Slot::new(&options.worker);
                loop {
                    let item = receiver.lock().map(|r| r.recv());
                    let Ok(Ok((record, bytes))) = item else {
                        return;
                    };
                    let decoded = match bytes {
                        Ok(bytes) => {
                            let name = records[record].path.to_string_lossy();
                            slot.decode(&name, &bytes, middles.contains(&record))
                        }
                        Err(problem) => Decoded {
                            frames_declared: records[record].frames(),
                            problems: vec![problem],
                            ..Decoded::default()
                        },
                    };
                    progress.image_done(decoded.frames_decoded);
                    if let Ok(mut results) = results.lock() {
                        results.push(FileImages { record, decoded });
                    }
                }
            });
        }
    });
    progress.finish();
    let mut files = results.into_inner().unwrap_or_default();
    files.sort_by_key(|f| f.record);
    ImagesOutcome {
        files,
        bytes: total,
        elapsed: started.elapsed(),
    }
}

/// Reads a whole file (from the folder, or from the archive or other media the scan read). A read error becomes the file's problem;
/// a file too large for a worker is read through and reported as not decoded.
fn read_file(scan: &Scan, relative: &Path, size: u64) -> Result<Vec<u8>, Problem> {
    let opened: io::Result<Box<dyn Read>> = match &scan.media {
        // Like the header scan: no link followed, no blocking on a FIFO swapped in since the walk, regular files
        // only, and never more than the size the walk saw (a file still growing is not read forever).
        None => crate::walk::open_media_file(&scan.root.join(relative))
            .map(|(file, _)| Box::new(file.take(size)) as Box<dyn Read>),
        Some(media) => media
            .open(relative)
            .map(|(reader, _)| Box::new(reader) as Box<dyn Read>),
    };
    let reader = opened.map_err(|e| read_error(0, &e))?;
    #[cfg(feature = "test-hooks")]
    let reader: Box<dyn Read> = match hooks::eio_at(&relative.to_string_lossy()) {
        Some(at) => Box::new(hooks::FailingFrom {
            inner: reader,
            at,
            pos: 0,
        }),
        None => reader,
    };
    read_all(reader, size)
}

/// Reads `reader` to its end, keeping at most [`MAX_FILE_BYTES`].
pub fn read_all(mut reader: impl Read, size: u64) -> Result<Vec<u8>, Problem> {
    let keep = size <= MAX_FILE_BYTES;
    let mut bytes = Vec::with_capacity(if keep { size as usize } else { 0 });
    let mut chunk = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                if keep && offset + (n as u64) <= MAX_FILE_BYTES {
                    bytes.extend_from_slice(&chunk[..n]);
                }
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(offset, &e)),
        }
    }
    if !keep || offset > MAX_FILE_BYTES {
        return Err(Problem {
            kind: ProblemKind::TooLarge,
            frame: None,
            detail: format!("{offset} bytes: read whole, too large to decode here"),
        });
    }
    Ok(bytes)
}

fn read_error(offset: u64, error: &io::Error) -> Problem {
    Problem {
        kind: ProblemKind::ReadError,
        frame: None,
        detail: format!("at byte {offset}: {error}"),
    }
}

/// Progress of the phase on stderr: bytes read, images decoded, speed and time left.
struct PhaseBar {
    bar: ProgressBar,
    images: AtomicUsize,
    files: usize,
}

impl PhaseBar {
    fn inc(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn image_done(&self, frames: u32) {
        let done = self.images.fetch_add(frames as usize, Ordering::Relaxed) + frames as usize;
        self.bar
            .set_message(format!("{done} images decoded ({} files)", self.files));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn bar(visible: bool, total_bytes: u64, files: usize) -> Arc<PhaseBar> {
    let bar = if visible {
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "opening images {bytes}/{total_bytes} {binary_bytes_per_sec} {wide_bar} {eta} left, {msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };
    Arc::new(PhaseBar {
        bar,
        images: AtomicUsize::new(0),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Eio(u64);

    impl Read for Eio {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::from_raw_os_error(5));
            }
            let n = (self.0 as usize).min(buf.len()).min(1000);
            self.0 -= n as u64;
            Ok(n)
        }
    }

    #[test]
    fn read_error_names_the_offset() {
        let problem = read_all(Eio(2500), 10_000).unwrap_err();
        assert_eq!(problem.kind, ProblemKind::ReadError);
        assert!(
            problem.detail.starts_with("at byte 2500"),
            "{}",
            problem.detail
        );
        assert_eq!(read_all(&b"abc"[..], 3).unwrap(), b"abc");
    }
}
