//! Calendar dates as DICOM and the command line write them, and ranges of days: plain values that checks, reports
//! and front ends share.

use std::fmt;
use std::str::FromStr;
use web_time::{SystemTime, UNIX_EPOCH};

/// A calendar date, as a DICOM DA value holds it. Shown as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StudyDate {
    /// Year, 1 to 9999.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to 28–31.
    pub day: u8,
}

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateProblem {
    /// Nothing written.
    #[error("no date given")]
    Empty,
    /// Not written as a date at all.
    #[error("'{0}' is not a date (expected YYYY-MM-DD)")]
    Malformed(String),
    /// Written as a date, but no such day exists (month 13, day 45, year 0, ...).
    #[error("'{0}' is not a real calendar date")]
    Impossible(String),
    /// A range whose end comes before its start.
    #[error("the range '{0}' ends before it starts")]
    Reversed(String),
}

impl StudyDate {
    /// A date from its parts, if that day exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day);
        valid.then_some(Self { year, month, day })
    }

    /// Parses a DICOM DA value: `YYYYMMDD`, also the old ACR-NEMA `YYYY.MM.DD` and the non-standard but
    /// unambiguous `YYYY-MM-DD`. Surrounding spaces and NULs are ignored.
    pub fn parse(value: &str) -> Result<Self, DateProblem> {
        let value = value.trim_matches(|c: char| c == ' ' || c == '\0');
        if value.is_empty() {
            return Err(DateProblem::Empty);
        }
        let bytes = value.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = bytes.get(range)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            part.iter().try_fold(0u16, |acc, &b| {
                acc.checked_mul(10)?.checked_add(u16::from(b - b'0'))
            })
        };
        let parts = match bytes.len() {
            8 => (digits(0..4), digits(4..6), digits(6..8)),
            10 if bytes.get(4) == bytes.get(7) && matches!(bytes.get(4), Some(b'.' | b'-')) => {
                (digits(0..4), digits(5..7), digits(8..10))
            }
            _ => return Err(DateProblem::Malformed(value.to_string())),
        };
        let (Some(year), Some(month), Some(day)) = parts else {
            return Err(DateProblem::Malformed(value.to_string()));
        };
        let (Ok(month), Ok(day)) = (u8::try_from(month), u8::try_from(day)) else {
            return Err(DateProblem::Impossible(value.to_string()));
        };
        Self::new(year, month, day).ok_or_else(|| DateProblem::Impossible(value.to_string()))
    }

    /// Parses a date typed on the command line: `2024-03-20` or `20240320`.
    pub fn parse_cli(value: &str) -> Result<Self, DateProblem> {
        let value = value.trim();
        if value.contains('.') {
            return Err(DateProblem::Malformed(value.to_string()));
        }
        Self::parse(value)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year =
            (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01, if it lies within years 1 to 9999.
    pub fn from_days_since_epoch(days: i64) -> Option<Self> {
        // Howard Hinnant's civil_from_days.
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }
}

impl fmt::Display for StudyDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for StudyDate {
    type Err = DateProblem;

    /// Parses command-line input, see [`StudyDate::parse_cli`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_cli(s)
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Today's date (UTC) from the system clock; 1970-01-01 if the clock is set before it.
pub fn today() -> StudyDate {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs() / 86_400).unwrap_or(i64::MAX))
        .unwrap_or(0);
    StudyDate::from_days_since_epoch(days).unwrap_or(StudyDate {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// An inclusive range of days the patient expects scans from (`--date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day, inclusive.
    pub start: StudyDate,
    /// Last day, inclusive.
    pub end: StudyDate,
}

impl DateRange {
    /// A range of one day.
    pub fn day(date: StudyDate) -> Self {
        Self {
            start: date,
            end: date,
        }
    }

    /// Parses `2024-03-10..2024-03-14` or a single day `2024-03-20` (also `20240320`).
    pub fn parse(value: &str) -> Result<Self, DateProblem> {
        let value = value.trim();
        match value.split_once("..") {
            None => Ok(Self::day(StudyDate::parse_cli(value)?)),
            Some((start, end)) => {
                let start = StudyDate::parse_cli(start)?;
                let end = StudyDate::parse_cli(end)?;
                if end < start {
                    return Err(DateProblem::Reversed(value.to_string()));
                }
                Ok(Self { start, end })
            }
        }
    }

    /// Whether `date` falls within the range.
    pub fn contains(&self, date: StudyDate) -> bool {
        self.start <= date && date <= self.end
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{} to {}", self.start, self.end)
        }
    }
}

impl FromStr for DateRange {
    type Err = DateProblem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
