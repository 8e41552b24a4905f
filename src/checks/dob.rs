//! The `dob` check: is the birth date on the disc the one given with `--dob`?

use super::date::StudyDate;
use super::patient::Person;
use super::{CheckId, Finding, Severity};

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
                Finding::new(
                    CheckId::Dob,
                    Severity::Warn,
                    format!(
                        "The disc gives no birth date for {} (you gave {expected}).",
                        person.display()
                    ),
                )
                .ask(
                    "Ask them to add your birth date to the records, if they can.",
                    format!("光盘中没有患者出生日期（应为{expected}），如可能请补录。"),
                ),
            ),
            Some(raw) => {
                let shown = StudyDate::parse(raw)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|_| raw.to_string());
                if StudyDate::parse(raw).ok() != Some(expected) {
                    findings.push(
                        Finding::new(
                            CheckId::Dob,
                            Severity::Fail,
                            format!(
                                "The disc gives the birth date {shown} for {}, but you gave {expected}.",
                                person.display()
                            ),
                        )
                        .ask(
                            format!("Ask them to correct the birth date to {expected} and burn the disc again."),
                            format!("光盘中的出生日期为{shown}，与护照（{expected}）不符，请更正后重新刻录。"),
                        ),
                    );
                }
            }
        }
    }
    findings
}
