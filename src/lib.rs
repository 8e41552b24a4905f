//! dicomcheck: is this disc readable, complete and under the passport name?
//!
//! The pipeline, one module per stage: [`walk`] the media (or list an [`archive`], or any [`media`]) → [`read_header`] of each
//! file (hardened, header-only, in parallel or in on-disc order ([`media_order`]), orchestrated by [`scan`] with
//! [`progress`]) → [`catalog`] into studies and series → [`checks`] (with [`charset`], [`names`] and
//! [`dicomdir`]) → [`report`]. [`check`] runs it with [`CheckOptions`] (a plain struct, see [`options`]); the
//! leaves [`finding`] and [`date`] hold the values every layer shares. Front ends sit on top: [`cli`] is the
//! command line, [`batch`] checks many discs; [`copy`] makes and verifies a copy; [`fixture`] writes synthetic
//! discs for the tests, the benchmark and the sample disc. `docs/architecture.md` explains the layers.

pub mod archive;
pub mod batch;
pub mod catalog;
pub mod charset;
pub mod checks;
pub mod cli;
pub mod copy;
pub mod date;
pub mod dicomdir;
pub mod finding;
pub mod fixture;
pub mod media;
pub mod media_order;
pub mod names;
pub mod options;
pub mod progress;
pub mod read_header;
pub mod report;
pub mod scan;
pub mod walk;

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
}

/// Checks the media at `root`: scan, catalog, checks, report.
pub fn check(root: &Path, options: &CheckOptions) -> Result<Report, Error> {
    let scan = scan::scan(root, &options.scan)?;
    Ok(report_on(&scan, options))
}

/// Checks a medium a front end opened and listed itself (see [`media`]), reported under the name `root`.
pub fn check_media(
    root: &Path,
    media: std::sync::Arc<dyn media::Media>,
    listing: walk::Walk,
    options: &CheckOptions,
) -> Report {
    let scan = scan::scan_media(root, media, listing, &options.scan);
    report_on(&scan, options)
}

/// Catalog, checks and report of a finished scan.
fn report_on(scan: &scan::Scan, options: &CheckOptions) -> Report {
    let catalog = catalog::Catalog::build(&scan.records);
    let outcome = checks::run(scan, &catalog, &options.expect);
    report::build(
        scan,
        &catalog,
        &outcome,
        options.name_input.as_deref(),
        options.strict,
    )
}
