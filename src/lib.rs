//! dicomcheck: is this disc readable, complete and under the passport name?
//!
//! The pipeline, one module per stage: [`walk`] the media (or list an [`archive`], or any [`media`]) → [`read_header`] of each
//! file (hardened, header-only, in parallel or in on-disc order ([`media_order`]), orchestrated by [`scan`] with
//! [`progress`]) → [`catalog`] into studies and series → [`checks`] (with [`charset`], [`names`] and
//! [`dicomdir`]) → [`images`]: every byte read, every frame decoded in isolated worker processes → [`report`].
//! [`check`] runs it with [`CheckOptions`] (a plain struct, see [`options`]); the leaves [`finding`] and [`date`]
//! hold the values every layer shares, and `background` frees what a check built off the report's path; [`pdf`]
//! counts a report's pages. [`access`] tells the laptop's problems from the disc's. Front ends sit on top:
//! [`cli`] is the command line, [`batch`] checks many discs; [`copy`] makes and verifies a copy, [`write_guard`]
//! keeps every write off the media. The synthetic discs of the tests, the benchmark and the sample
//! disc come from the dev-only crate `dicomcheck-fixture` (crates/), never shipped. `docs/architecture.md`
//! explains the layers.

pub mod access;
pub mod archive;
mod background;
pub mod batch;
pub mod catalog;
pub mod charset;
pub mod checks;
pub mod cli;
pub mod copy;
pub mod date;
pub mod dicomdir;
pub mod discover;
pub mod finding;
// Decoding runs in worker processes with C codecs: not in a browser, whose page checks the headers only.
#[cfg(not(target_arch = "wasm32"))]
pub mod images;
pub mod media;
pub mod media_order;
pub mod names;
pub mod options;
pub mod pdf;
pub mod progress;
pub mod read_header;
pub mod report;
pub mod scan;
pub mod walk;
pub mod write_guard;

use std::path::Path;

use thiserror::Error;

pub use options::{CheckOptions, InputError};
use report::Report;

/// Why a check could not run.
#[derive(Debug, Error)]
pub enum Error {
    /// The media root cannot be read.
    #[error(transparent)]
    Walk(#[from] walk::WalkError),
    /// The user's computer does not let the media be read (permissions, nothing mounted, not a folder).
    #[error(transparent)]
    Access(#[from] access::AccessError),
}

/// Checks the media at `root`: scan, catalog, open the images, checks, report.
pub fn check(root: &Path, options: &CheckOptions) -> Result<Report, Error> {
    check_with(root, options, &mut |_| {})
}

/// [`check`], handing the report of the header phase to `headers_done` before the images are opened, so a
/// front end can show the inventory (names, dates) while the slower phase runs.
pub fn check_with(
    root: &Path,
    options: &CheckOptions,
    headers_done: &mut dyn FnMut(&Report),
) -> Result<Report, Error> {
    access::check_root(root)?;
    let (scan, dicomdir) = scan_reading_ahead(root, options);
    let scan = scan?;
    let refused_entries = scan.skipped.iter().filter_map(|s| match &s.reason {
        walk::SkipReason::Unreadable(reason) => Some((s.relative.as_path(), reason.as_str())),
        _ => None,
    });
    let refused_files = scan
        .unreadable
        .iter()
        .filter(|f| f.defect.kind == read_header::DefectKind::Io)
        .map(|f| (f.path.as_path(), f.defect.detail.as_str()));
    access::denied_inside(root, refused_entries.chain(refused_files))?;
    // One file given that holds no DICOM, is no archive and is not named like a scan image (a PDF, a text):
    // the wrong path was given, which is not the hospital's to fix.
    if scan.media.is_none()
        && root.is_file()
        && scan.records.is_empty()
        && scan.unreadable.is_empty()
        && scan.dicomdirs.is_empty()
        && scan
            .other_files
            .iter()
            .all(|f| !checks::integrity::should_be_dicom(&f.path, &|_| false))
    {
        return Err(access::AccessError::NotDicomFile(root.display().to_string()).into());
    }
    let catalog = catalog::Catalog::build(&scan.records);
    let outcome = checks::run(&scan, &catalog, &options.expect, dicomdir);
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(image_options) = &options.images {
        headers_done(&report_of(&scan, &catalog, &outcome, options));
        let report = with_images(&scan, &catalog, outcome, options, image_options);
        background::free((scan, catalog));
        return Ok(report);
    }
    #[cfg(target_arch = "wasm32")]
    let _ = headers_done;
    let report = report_of(&scan, &catalog, &outcome, options);
    background::free((scan, catalog, outcome));
    Ok(report)
}

/// Scans `root` while another thread prepares what the checks will need: the pinyin table of name matching
/// ([`names::prepare`]) and the DICOMDIR at the root of the folder, if there is one
/// ([`checks::dicomdir::read_ahead`]): both would otherwise only start after the last header. Where no thread
/// can be had (a browser), the checks do both after the scan.
fn scan_reading_ahead(
    root: &Path,
    options: &CheckOptions,
) -> (
    Result<scan::Scan, walk::WalkError>,
    Option<checks::dicomdir::ReadAhead>,
) {
    let folder = scan::media_root(root);
    // Not on optical media, where one reader reads the files in on-disc order.
    let dicomdir_ahead = folder.is_dir() && !options.scan.media.ordered(&folder);
    std::thread::scope(|scope| {
        let ahead = std::thread::Builder::new()
            .spawn_scoped(scope, || {
                names::prepare();
                dicomdir_ahead
                    .then(|| checks::dicomdir::read_ahead(&folder))
                    .flatten()
            })
            .ok();
        let scan = scan::scan(root, &options.scan);
        (scan, ahead.and_then(|thread| thread.join().ok().flatten()))
    })
}

/// Checks a medium a front end opened and listed itself (see [`media`]), reported under the name `root`: the
/// header phase only.
pub fn check_media(
    root: &Path,
    media: std::sync::Arc<dyn media::Media>,
    listing: walk::Walk,
    options: &CheckOptions,
) -> Report {
    let scan = scan::scan_media(root, media, listing, &options.scan);
    let catalog = catalog::Catalog::build(&scan.records);
    let outcome = checks::run(&scan, &catalog, &options.expect, None);
    let report = report_of(&scan, &catalog, &outcome, options);
    background::free((scan, catalog, outcome));
    report
}

/// The report of the checks' `outcome`.
fn report_of(
    scan: &scan::Scan,
    catalog: &catalog::Catalog,
    outcome: &checks::Outcome,
    options: &CheckOptions,
) -> Report {
    report::build(
        scan,
        catalog,
        outcome,
        options.name_input.as_deref(),
        options.expect.name_waived,
        options.strict,
    )
}

/// Opens every image, adds what that finds to the checks' `outcome`, and reports both.
#[cfg(not(target_arch = "wasm32"))]
fn with_images(
    scan: &scan::Scan,
    catalog: &catalog::Catalog,
    mut outcome: checks::Outcome,
    options: &CheckOptions,
    image_options: &images::ImageOptions,
) -> Report {
    let opened = images::verify(scan, catalog, image_options, &options.scan, &|record| {
        checks::integrity::pixel_defect(record).is_some()
    });
    outcome
        .findings
        .extend(checks::images::check(scan, catalog, &opened));
    checks::settle(&mut outcome.findings);
    let mut report = report_of(scan, catalog, &outcome, options);
    report::add_images(&mut report, catalog, &opened);
    report
}
