//! dicomcheck: is this disc readable, complete and under the passport name?
//!
//! The pipeline, one module per stage: [`walk`] the media (or list an [`archive`]) → [`read_header`] of each
//! file (hardened, header-only, in parallel or in on-disc order ([`media_order`]), orchestrated by [`scan`] with
//! [`progress`]) → [`catalog`] into studies and series → [`checks`] (with [`charset`], [`names`] and
//! [`dicomdir`]) → [`report`]. [`access`] tells the laptop's problems from the disc's, [`cli`] is the command line, [`batch`] checks many discs, [`copy`] makes and
//! verifies a copy; [`fixture`] writes synthetic discs for the tests, the benchmark and the sample disc.

pub mod access;
pub mod archive;
pub mod batch;
pub mod catalog;
pub mod charset;
pub mod checks;
pub mod cli;
pub mod copy;
pub mod dicomdir;
pub mod fixture;
pub mod media_order;
pub mod names;
pub mod progress;
pub mod read_header;
pub mod report;
pub mod scan;
pub mod walk;

use std::path::Path;

use thiserror::Error;

use checks::Expectations;
use checks::date::{DateRange, StudyDate};
use names::PassportName;
use report::Report;
use scan::ScanOptions;

/// Why a check could not run.
#[derive(Debug, Error)]
pub enum Error {
    /// The media root cannot be read.
    #[error(transparent)]
    Walk(#[from] walk::WalkError),
    /// An option's value is not usable.
    #[error("{0}")]
    Usage(String),
    /// The user's computer does not let the media be read (permissions, nothing mounted, not a folder).
    #[error(transparent)]
    Access(#[from] access::AccessError),
}

/// Everything that decides how a disc is checked.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// What the user expects on the disc.
    pub expect: Expectations,
    /// The passport name as typed.
    pub name_input: Option<String>,
    /// Warnings fail too.
    pub strict: bool,
    /// How to scan.
    pub scan: ScanOptions,
}

impl CheckOptions {
    /// Validates the command-line options.
    pub fn from_args(args: &cli::Args) -> Result<Self, Error> {
        let passport = args
            .name
            .as_deref()
            .map(|n| PassportName::parse(n).map_err(|e| Error::Usage(format!("--name {n:?}: {e}"))))
            .transpose()?;
        let dob = args
            .dob
            .as_deref()
            .map(|d| StudyDate::parse_cli(d).map_err(|e| Error::Usage(format!("--dob {d:?}: {e}"))))
            .transpose()?;
        let dates = args
            .dates
            .iter()
            .map(|d| DateRange::parse(d).map_err(|e| Error::Usage(format!("--date {d:?}: {e}"))))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            expect: Expectations {
                passport,
                passport_zh: args.name_zh.clone(),
                dob,
                dates,
                today: checks::date::today(),
            },
            name_input: args.name.clone(),
            strict: args.strict,
            scan: ScanOptions {
                jobs: args.jobs,
                progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
                media: args.media,
            },
        })
    }
}

/// Checks the media at `root`: scan, catalog, checks, report.
pub fn check(root: &Path, options: &CheckOptions) -> Result<Report, Error> {
    access::check_root(root)?;
    let scan = scan::scan(root, &options.scan)?;
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
    let catalog = catalog::Catalog::build(&scan.records);
    let outcome = checks::run(&scan, &catalog, &options.expect);
    Ok(report::build(
        &scan,
        &catalog,
        &outcome,
        options.name_input.as_deref(),
        options.strict,
    ))
}
