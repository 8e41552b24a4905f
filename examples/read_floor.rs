//! The read floor of the benchmark: the least any header scanner must do, to compare dicomcheck against.
//!
//!     cargo run --release --example read_floor -- --plan DIR PLAN   # once: what dicomcheck reads, per file
//!     cargo run --release --example read_floor -- PLAN              # timed: just those reads, in parallel
//!
//! `--plan` scans `DIR` with dicomcheck's own scanner and writes one line per file: the number of header bytes
//! the reader consumed (at least the 132 bytes of the DICOM marker check for other files), a tab, and the full
//! path. The timed run opens each listed file, reads exactly that many bytes into a per-thread buffer and closes
//! it, on one rayon thread per CPU, and prints the files and bytes it read.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;

use dicomcheck::scan::{ScanOptions, scan};

/// Bytes read from files dicomcheck does not take for DICOM: the preamble and the marker.
const SNIFF: u64 = 132;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, dir, plan] if flag == "--plan" => write_plan(Path::new(dir), Path::new(plan)),
        [plan] => read_all(Path::new(plan)),
        _ => {
            eprintln!("usage: read_floor --plan DIR PLAN | read_floor PLAN");
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
    let mut out = BufWriter::new(File::create(plan)?);
    let mut lines = 0u64;
    let mut header_bytes = 0u64;
    let records = scan.records.iter().map(|r| (&r.path, r.header_bytes));
    let dicomdirs = scan.dicomdirs.iter().map(|p| (p, file_size(&dir.join(p))));
    let others = scan
        .other_files
        .iter()
        .map(|f| (&f.path, f.size.min(SNIFF)));
    let unreadable = scan.unreadable.iter().map(|f| (&f.path, SNIFF));
    for (path, bytes) in records.chain(dicomdirs).chain(others).chain(unreadable) {
        let full: PathBuf = dir.join(path);
        writeln!(out, "{bytes}\t{}", full.display())?;
        lines += 1;
        header_bytes += bytes;
    }
    out.flush()?;
    println!(
        "{lines} files, {header_bytes} header bytes ({} per file)",
        header_bytes / lines.max(1)
    );
    Ok(())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn read_all(plan: &Path) -> std::io::Result<()> {
    let mut entries = Vec::new();
    for line in BufReader::new(File::open(plan)?).lines() {
        let line = line?;
        if let Some((bytes, path)) = line.split_once('\t')
            && let Ok(bytes) = bytes.parse::<u64>()
        {
            entries.push((bytes, PathBuf::from(path)));
        }
    }
    let read = entries
        .par_iter()
        .map_init(Vec::new, |buffer, (bytes, path)| {
            let want = usize::try_from(*bytes).unwrap_or(usize::MAX);
            buffer.resize(want.min(64 << 20), 0);
            File::open(path)
                .and_then(|mut file| file.read_exact(buffer))
                .map(|()| *bytes)
                .unwrap_or(0)
        })
        .sum::<u64>();
    println!("read {read} bytes from {} files", entries.len());
    Ok(())
}
