//! The `dob` check: is the birth date on the disc the one given with `--dob`?

use super::date::StudyDate;
use super::patient::Person;
use super::{CheckId, Finding, Severity, wording};

/// Compares every known birth date of the passport holder's records (`yours`; every person when none matched
/// the name) with the expected one: dates compare as dates (`19800402` = `1980.04.02`), and a date that is
/// empty, `00000000` or unparseable is unknown, not a different date.
pub fn check(persons: &[Person], yours: &[bool], expected: StudyDate) -> Vec<Finding> {
    let anyone = yours.iter().any(|&y| y);
    let mut findings = Vec::new();
    for (person, _) in persons
        .iter()
        .zip(yours)
        .filter(|(_, mine)| **mine || !anyone)
    {
        if person.birth_dates.is_empty() {
            findings.push(
                wording::birth_date_missing(&person.display(), expected)
                    .finding(CheckId::Dob, Severity::Warn),
            );
        }
        for date in person.birth_dates.iter().filter(|&&d| d != expected) {
            findings.push(
                wording::birth_date_differs(&person.display(), &date.to_string(), expected)
                    .finding(CheckId::Dob, Severity::Fail),
            );
        }
    }
    findings
}
