//! How a disc is checked, as a plain value every front end fills in, and the checked parsing of what a person types
//! (passport name, birth date, scan days) into it.

use thiserror::Error;

use crate::checks::Expectations;
use crate::date::{DateProblem, DateRange, StudyDate};
use crate::names::{NameInputError, PassportName};
use crate::scan::ScanOptions;

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
    /// Open every image after the header scan; `None` with `--quick`. Not in a browser (no worker processes).
    #[cfg(not(target_arch = "wasm32"))]
    pub images: Option<crate::images::ImageOptions>,
}

/// A value a person typed that cannot be used; `field` names where it was typed (`--name`, a CSV column).
#[derive(Debug, Error)]
pub enum InputError {
    /// Not a usable passport name.
    #[error("{field} {value:?}: {problem}")]
    Name {
        /// Where the value was given.
        field: &'static str,
        /// The value as typed.
        value: String,
        /// What is wrong with it.
        #[source]
        problem: NameInputError,
    },
    /// Not a date or range of dates.
    #[error("{field} {value:?}: {problem}")]
    Date {
        /// Where the value was given.
        field: &'static str,
        /// The value as typed.
        value: String,
        /// What is wrong with it.
        #[source]
        problem: DateProblem,
    },
    /// This program cannot find its own executable, which decodes the images in worker processes.
    #[error("cannot find this program to decode images: {0}")]
    Worker(#[source] std::io::Error),
}

/// The passport name typed in `field`.
pub fn passport_name(field: &'static str, value: &str) -> Result<PassportName, InputError> {
    PassportName::parse(value).map_err(|problem| InputError::Name {
        field,
        value: value.to_string(),
        problem,
    })
}

/// The birth date typed in `field`.
pub fn birth_date(field: &'static str, value: &str) -> Result<StudyDate, InputError> {
    StudyDate::parse_cli(value).map_err(|problem| InputError::Date {
        field,
        value: value.to_string(),
        problem,
    })
}

/// The scan days typed in `field`, each a day or a `FROM..TO` range.
pub fn scan_days(field: &'static str, values: &[String]) -> Result<Vec<DateRange>, InputError> {
    values
        .iter()
        .map(|value| {
            DateRange::parse(value).map_err(|problem| InputError::Date {
                field,
                value: value.clone(),
                problem,
            })
        })
        .collect()
}
