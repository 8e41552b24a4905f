//! The `dob` check: is the birth date on the disc the one given with `--dob`?

use super::date::StudyDate;
use super::patient::Person;
use super::{CheckId, Finding, Severity, wording};

/// Compares the birth date of the passport holder's records (`yours`; every person when none matched the
/// name) with the expected one.
pub fn check(persons: &[Person], yours: &[bool], expected: StudyDate) -> Vec<Finding> {
    let anyone = yours.iter().any(|&y| y);
    let mut findings = Vec::new();
    for (person, _) in persons
        .iter()
        .zip(yours)
        .filter(|(_, mine)| **mine || !anyone)
    {
        match person.birth_date.as_deref() {
            None => findings.push(
                wording::birth_date_missing(&person.display(), expected)
                    .finding(CheckId::Dob, Severity::Warn),
            ),
            Some(raw) => {
                let shown = StudyDate::parse(raw)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|_| raw.to_string());
                if StudyDate::parse(raw).ok() != Some(expected) {
                    findings.push(
                        wording::birth_date_differs(&person.display(), &shown, expected)
                            .finding(CheckId::Dob, Severity::Fail),
                    );
                }
            }
        }
    }
    findings
}
