//! The images phase: after the header scan, read every byte of every DICOM file (in on-disc order on optical
//! media, in parallel elsewhere) and decode every frame in isolated worker processes ([`worker`]), so that "PASS"
//! means the images open. Reader threads cut each file into pieces ([`mod@split`]) under one byte [`budget`]; one
//! thread per worker sums a file's frames ([`mod@assemble`]). [`decode`] runs inside the workers; [`codestream`],
//! [`entropy`], [`tier2`] and [`thumbnail`] serve it.

pub mod assemble;
pub mod budget;
pub mod codestream;
pub mod decode;
pub mod entropy;
#[cfg(feature = "test-hooks")]
pub mod hooks;
pub mod split;
pub mod thumbnail;
pub mod tier2;
pub mod worker;

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::catalog::Catalog;
use crate::media_order::{disc_order, physical_offset};
use crate::read_header::InstanceRecord;
use crate::scan::{Scan, ScanOptions};
use assemble::{assemble, is_native};
use budget::{BYTES_IN_FLIGHT, Budget};
use decode::Decoded;
use split::{Content, Piece, read_error, split};
use worker::Slot;

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
            physical_offset(&scan.path_of(&records[wanted[i]].path))
        });
        wanted = order.into_iter().map(|i| wanted[i]).collect();
    }
    let total: u64 = wanted.iter().map(|&i| records[i].size).sum();
    let progress = bar(scan_options.progress, total, wanted.len());
    let budget = Budget::new(BYTES_IN_FLIGHT);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(wanted.len()));
    // A file goes to a decoding thread before its first piece is read (a rendezvous, no queue): every piece
    // in flight then has a consumer, so readers waiting for the budget always get it back.
    let (sender, receiver) = sync_channel::<(usize, Receiver<Piece>)>(0);
    let receiver = Mutex::new(receiver);
    let readers = if ordered { 1 } else { threads };
    // Small uncompressed files are checked on the thread that read them: their frames need no decoder, and the
    // hand-over to a decoding thread cost more than the check. Together they hold at most half the budget, so
    // a reader waiting for it always gets it back from the decoding threads.
    let checked_in_place = BYTES_IN_FLIGHT / (2 * readers as u64);
    let done = |record: usize, decoded: Decoded| {
        progress.image_done(decoded.frames_decoded);
        if let Ok(mut results) = results.lock() {
            results.push(FileImages { record, decoded });
        }
    };
    std::thread::scope(|s| {
        for _ in 0..readers {
            let sender = sender.clone();
            let (next, wanted, progress, budget) = (&next, &wanted, &progress, &budget);
            let (middles, done) = (&middles, &done);
            s.spawn(move || {
                let mut slot = Slot::new(&options.worker);
                while let Some(&record) = wanted.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let instance = &records[record];
                    // Not a deflated file: it may inflate to more than the budget these pieces hold.
                    let in_place = is_native(instance)
                        && instance.size <= checked_in_place
                        && &*instance.transfer_syntax != split::DEFLATED;
                    if in_place {
                        let mut pieces = Vec::new();
                        read_counted(scan, instance, budget, progress, &mut |piece| {
                            pieces.push(piece);
                            true
                        });
                        let thumbnail = middles.contains(&record);
                        done(record, assemble(instance, pieces, &mut slot, thumbnail));
                        continue;
                    }
                    let (pieces, file) = sync_channel(PIECES_QUEUED);
                    if sender.send((record, file)).is_err() {
                        return;
                    }
                    read_counted(scan, instance, budget, progress, &mut |piece| {
                        pieces.send(piece).is_ok()
                    });
                }
            });
        }
        drop(sender);
        for _ in 0..threads {
            let (receiver, middles, done) = (&receiver, &middles, &done);
            s.spawn(move || {
                let mut slot = Slot::new(&options.worker);
                loop {
                    let item = receiver.lock().map(|r| r.recv());
                    let Ok(Ok((record, pieces))) = item else {
                        return;
                    };
                    let thumbnail = middles.contains(&record);
                    done(
                        record,
                        assemble(&records[record], pieces, &mut slot, thumbnail),
                    );
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

/// [`read_file`], with the bytes read counted on the progress bar (all of the file's size once it is done, also
/// when a read error ended it early).
fn read_counted(
    scan: &Scan,
    record: &InstanceRecord,
    budget: &Arc<Budget>,
    progress: &PhaseBar,
    emit: &mut dyn FnMut(Piece) -> bool,
) {
    let mut counted = 0;
    read_file(scan, record, budget, &mut |piece| {
        if let Content::Chunk { bytes, .. } = &piece.content {
            counted += bytes.len() as u64;
            progress.inc(bytes.len() as u64);
        }
        emit(piece)
    });
    progress.inc(record.size.saturating_sub(counted));
}

/// Pieces of one file read ahead of its decoding thread.
const PIECES_QUEUED: usize = 2;

/// Reads one file (from the folder, or from the archive or other media the scan read) and cuts it into pieces
/// for `emit`. A read error, also one opening the file, becomes the file's problem.
fn read_file(
    scan: &Scan,
    record: &InstanceRecord,
    budget: &Arc<Budget>,
    emit: &mut dyn FnMut(Piece) -> bool,
) {
    let relative = &record.path;
    let opened: io::Result<Box<dyn Read>> = match &scan.media {
        // Like the header scan: no link followed, no blocking on a FIFO swapped in since the walk, regular files
        // only, and never more than the size the walk saw (a file still growing is not read forever).
        None => crate::walk::open_media_file(&scan.path_of(relative))
            .map(|(file, _)| Box::new(file.take(record.size)) as Box<dyn Read>),
        Some(media) => media
            .open(relative)
            .map(|(reader, _)| Box::new(reader) as Box<dyn Read>),
    };
    let reader = match opened {
        Ok(reader) => reader,
        Err(e) => {
            emit(Piece::problem(read_error(0, &e)));
            return;
        }
    };
    #[cfg(feature = "test-hooks")]
    let reader: Box<dyn Read> = match hooks::eio_at(&relative.to_string_lossy()) {
        Some(at) => Box::new(hooks::FailingFrom {
            inner: reader,
            at,
            pos: 0,
        }),
        None => reader,
    };
    split(reader, record.size, record, budget, emit);
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
