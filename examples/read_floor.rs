//! The read floor of the benchmark: the least any header scanner must do, to compare dicomcheck against.
//!
//!     cargo run --release --example read_floor -- --plan DIR PLAN       # once: what dicomcheck reads, per file
//!     cargo run --release --example read_floor -- DIR PLAN [--random]   # timed: walk DIR, read those bytes
//!
//! `--plan` scans `DIR` with dicomcheck's own scanner and writes one line per file, in walk order: the number of
//! header bytes the reader consumed (at least the 132 bytes of the DICOM marker check for other files), a tab,
//! and the path relative to `DIR`. The timed run walks `DIR` as dicomcheck does (dicomcheck's walk: every entry
//! stat'ed, links and special files skipped), then opens each file, reads the planned number of bytes into a
//! per-thread buffer and closes it, on one rayon thread per CPU; a file missing from the plan gets the 132 bytes
//! of the marker check. `--random` first calls `posix_fadvise(POSIX_FADV_RANDOM)` on each file, which turns off
//! the kernel's read-ahead for it (what that saves shows on a cold cache). `--no-stat` lists the files without
//! asking for their sizes (`walk::list`, dicomcheck's listing), then opens, reads and closes each: a stricter
//! floor than the walk's, for a scanner that never asks for a size (dicomcheck's scan takes each file's size
//! from its open handle).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;

use dicomcheck::scan::{ScanOptions, scan};
use dicomcheck::walk::{Found, list, walk};

/// Bytes read from files dicomcheck does not take for DICOM: the preamble and the marker.
const SNIFF: u64 = 132;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, dir, plan] if flag == "--plan" => write_plan(Path::new(dir), Path::new(plan)),
        [dir, plan] => read_all(Path::new(dir), Path::new(plan), false),
        [dir, plan, flag] if flag == "--random" => read_all(Path::new(dir), Path::new(plan), true),
        [dir, plan, flag] if flag == "--no-stat" => read_unsized(Path::new(dir), Path::new(plan)),
        _ => {
            eprintln!(
                "usage: read_floor --plan DIR PLAN | read_floor DIR PLAN [--random | --no-stat]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("read_floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write_plan(dir: &Path, plan: &Path) -> std::io::Result<()> {
    let scan = scan(dir, &ScanOptions::default()).map_err(std::io::Error::other)?;
    let mut bytes_of: HashMap<&Path, u64> = HashMap::new();
    for r in &scan.records {
        bytes_of.insert(&r.path, r.header_bytes);
    }
    for f in &scan.other_files {
        bytes_of.insert(&f.path, f.size.min(SNIFF));
    }
    let listing = walk(dir).map_err(std::io::Error::other)?;
    let mut out = BufWriter::new(File::create(plan)?);
    let mut header_bytes = 0u64;
    for file in &listing.files {
        // DICOMDIR files are read whole; unreadable files as far as the marker check.
        let bytes = bytes_of.get(file.relative.as_path()).copied().unwrap_or(
            if scan.dicomdirs.contains(&file.relative) {
                file.size
            } else {
                SNIFF
            },
        );
        writeln!(out, "{bytes}\t{}", file.relative.display())?;
        header_bytes += bytes;
    }
    out.flush()?;
    let lines = listing.files.len() as u64;
    println!(
        "{lines} files, {header_bytes} header bytes ({} per file)",
        header_bytes / lines.max(1)
    );
    Ok(())
}

/// The plan's lines: header bytes and relative path, in walk order.
fn read_plan(plan: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut planned = Vec::new();
    for line in BufReader::new(File::open(plan)?).lines() {
        let line = line?;
        if let Some((bytes, path)) = line.split_once('\t')
            && let Ok(bytes) = bytes.parse::<u64>()
        {
            planned.push((bytes, PathBuf::from(path)));
        }
    }
    Ok(planned)
}

/// `--no-stat`: the listing without sizes, then open, read the planned bytes (at most), close.
fn read_unsized(dir: &Path, plan: &Path) -> std::io::Result<()> {
    let planned = read_plan(plan)?;
    let mut files = Vec::new();
    list(dir, |found| {
        if let Found::File(file) = found {
            files.push(file);
        }
    })
    .map_err(std::io::Error::other)?;
    let read = files
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |buffer, (i, file)| {
            let bytes = planned_bytes(&planned, i, &file.relative, SNIFF);
            read_head(&file.path, bytes, buffer, false)
        })
        .sum::<u64>();
    println!("read {read} bytes from {} files", files.len());
    Ok(())
}

fn read_all(dir: &Path, plan: &Path, random: bool) -> std::io::Result<()> {
    let planned = read_plan(plan)?;
    let listing = walk(dir).map_err(std::io::Error::other)?;
    let read = listing
        .files
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |buffer, (i, file)| {
            let bytes = planned_bytes(&planned, i, &file.relative, SNIFF.min(file.size));
            read_head(&listing.base.join(&file.relative), bytes, buffer, random)
        })
        .sum::<u64>();
    println!("read {read} bytes from {} files", listing.files.len());
    Ok(())
}

/// The bytes the plan gives the `i`th file listed, `relative`; `otherwise` for a file not in the plan. The plan
/// lists the files in walk order: a path compare, no lookup.
fn planned_bytes(planned: &[(u64, PathBuf)], i: usize, relative: &Path, otherwise: u64) -> u64 {
    match planned.get(i) {
        Some((bytes, path)) if path == relative => *bytes,
        _ => otherwise,
    }
}

/// Opens `path`, reads its first `bytes` into `buffer` and closes it; the bytes read (0 on any error).
fn read_head(path: &Path, bytes: u64, buffer: &mut Vec<u8>, random: bool) -> u64 {
    let want = usize::try_from(bytes).unwrap_or(usize::MAX).min(64 << 20);
    buffer.resize(want, 0);
    File::open(path)
        .and_then(|mut f| {
            no_read_ahead(&f, random);
            f.read_exact(buffer)
        })
        .map_or(0, |()| want as u64)
}

/// With `random`, tells the kernel not to read ahead of this file's header (Linux; the hint is what the cold-cache
/// comparison measures). Elsewhere nothing.
#[cfg(target_os = "linux")]
fn no_read_ahead(file: &File, random: bool) {
    use std::os::fd::AsRawFd;
    if random {
        // SAFETY: a valid open descriptor; the call only sets a read-ahead hint.
        unsafe {
            libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn no_read_ahead(_file: &File, _random: bool) {}
