//! Write the benchmark tree: a realistic DICOM disc of `N` files for `scripts/bench.sh`.
//!
//!     cargo run --release --example make_bench_tree -- DIR N [--small]
//!
//! One patient (`SMITH^JOHN`), studies of one CT series (256 × 256, 250 slices) and several MR series
//! (128 × 128, 200 slices), all with ~250-element vendor-like headers, one multi-frame MR object per study, and a
//! DICOMDIR listing every file. About 20,000 files make about 1 GB. `--small` writes 32 × 32 images instead (same
//! headers), for the 100,000-file memory run. Studies are written in parallel with rayon, each through
//! [`write_disc`] with the earlier studies left empty, so paths and UIDs are exactly those of the whole disc; the
//! DICOMDIR comes from the same spec written once more with 1 × 1 images into a scratch folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::{env, fs};

use rayon::prelude::*;

use dicomcheck_fixture::{DiscSpec, PatientSpec, SeriesSpec, StudySpec, write_disc};

/// CT slices per CT series.
const CT_SLICES: u32 = 250;
/// MR slices per MR series.
const MR_SLICES: u32 = 200;
/// Frames of the multi-frame MR object of each study.
const FRAMES: u32 = 48;
/// MR series per study.
const MR_SERIES: u32 = 4;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let small = args.iter().any(|a| a == "--small");
    let positional: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(dir), Some(count)) = (positional.first(), positional.get(1)) else {
        eprintln!("usage: make_bench_tree DIR N [--small]");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<u32>() else {
        eprintln!("N must be a whole number, not {count:?}");
        return ExitCode::from(2);
    };
    let root = PathBuf::from(dir);
    if root.exists() {
        eprintln!("{} already exists; give a new directory", root.display());
        return ExitCode::from(2);
    }
    let spec = bench_spec(count, small);
    match write_tree(&root, &spec) {
        Ok(files) => {
            let bytes = tree_bytes(&root);
            println!("wrote {files} files, {bytes} bytes, to {}", root.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write the tree to {}: {e}", root.display());
            ExitCode::FAILURE
        }
    }
}

/// The disc: studies of one CT series, `MR_SERIES` MR series and one multi-frame object, until `count` files
/// (the DICOMDIR included) are reached.
fn bench_spec(count: u32, small: bool) -> DiscSpec {
    let size = |rows: u16| if small { 32 } else { rows };
    let mut spec = DiscSpec::new(PatientSpec::new("SMITH^JOHN").id("BENCH0001")).seed(20_000);
    let mut left = count.saturating_sub(1);
    let mut day = 1;
    while left > 0 {
        let mut study = StudySpec::new("BENCHMARK STUDY").date(&format!(
            "2026-{:02}-{:02}",
            1 + day / 28 % 12,
            1 + day % 28
        ));
        day += 1;
        let ct = left.min(CT_SLICES);
        left -= ct;
        study = study.series(
            SeriesSpec::ct(ct)
                .size(size(256), size(256))
                .description("CT AXIAL 1MM")
                .vendor_header(true),
        );
        for index in 0..MR_SERIES {
            if left == 0 {
                break;
            }
            let mr = left.min(MR_SLICES);
            left -= mr;
            study = study.series(
                SeriesSpec::mr(mr)
                    .size(size(128), size(128))
                    .description(&format!("MR T2 AXIAL {}", index + 1))
                    .vendor_header(true),
            );
        }
        if left > 0 {
            left -= 1;
            study = study.series(
                SeriesSpec::mr(FRAMES)
                    .size(size(128), size(128))
                    .description("MR ENHANCED MULTIFRAME")
                    .multiframe(true)
                    .vendor_header(true),
            );
        }
        spec = spec.study(study);
    }
    spec
}

/// Writes every study in parallel (pixel data is the slow part), then the DICOMDIR. Returns the files written.
fn write_tree(root: &Path, spec: &DiscSpec) -> std::io::Result<usize> {
    let files = (0..spec.studies.len())
        .into_par_iter()
        .map(|index| {
            let mut part = spec.clone().dicomdir(false);
            part.studies = (0..index)
                .map(|_| StudySpec::new("EMPTY"))
                .chain(std::iter::once(spec.studies[index].clone()))
                .collect();
            write_disc(root, &part).map(|w| w.all_files().len())
        })
        .collect::<std::io::Result<Vec<_>>>()?
        .into_iter()
        .sum::<usize>();
    let scratch = root.with_extension("dicomdir-scratch");
    let mut tiny = spec.clone();
    for series in tiny.studies.iter_mut().flat_map(|s| s.series.iter_mut()) {
        series.rows = 1;
        series.columns = 1;
        series.vendor_header = false;
    }
    let written = write_disc(&scratch, &tiny)?;
    let dicomdir = written
        .dicomdir
        .unwrap_or_else(|| PathBuf::from("DICOMDIR"));
    fs::rename(scratch.join(&dicomdir), root.join(&dicomdir))?;
    fs::remove_dir_all(&scratch)?;
    Ok(files + 1)
}

fn tree_bytes(root: &Path) -> u64 {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
