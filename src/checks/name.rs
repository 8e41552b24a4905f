//! The `name` check: is PatientName the name in the passport?

use super::patient::Person;
use super::{CheckId, Finding, Severity, wording};
use crate::charset::Decoding;
use crate::names::{NameVerdict, PassportName, display_name, match_name};

/// The name check's verdict for each person, and its findings.
#[derive(Debug, Clone, Default)]
pub struct NameOutcome {
    /// Per person (same order as given): the worst verdict over the person's spellings, `None` without `--name`
    /// or when the person has no name.
    pub verdicts: Vec<Option<NameVerdict>>,
    /// The findings.
    pub findings: Vec<Finding>,
}

impl NameOutcome {
    /// Which persons are the passport holder: the ones whose name passes or only warns.
    pub fn yours(&self) -> Vec<bool> {
        self.verdicts
            .iter()
            .map(|v| v.as_ref().is_some_and(|v| v.severity < Severity::Fail))
            .collect()
    }
}

/// Runs the check for every person on the disc.
pub fn check(
    persons: &[Person],
    passport: Option<&PassportName>,
    passport_zh: Option<&str>,
    waived: bool,
) -> NameOutcome {
    let mut outcome = NameOutcome::default();
    for person in persons {
        if person.unnamed_instances > 0 {
            outcome.findings.push(unnamed(person));
        }
    }
    let Some(passport) = passport else {
        outcome.verdicts = vec![None; persons.len()];
        for person in persons {
            if let Some(name) = person
                .names
                .iter()
                .find(|n| n.decoding != Decoding::Declared)
            {
                outcome.findings.push(
                    wording::name_charset(&display_name(name))
                        .finding(CheckId::Name, Severity::Warn),
                );
            }
        }
        let on_disc: Vec<String> = persons.iter().map(Person::display).collect();
        outcome.findings.push(if waived {
            wording::no_passport_name(&on_disc).finding(CheckId::Name, Severity::Info)
        } else {
            wording::name_not_checked(&on_disc).finding(CheckId::Name, Severity::Fail)
        });
        return outcome;
    };

    outcome.verdicts = persons
        .iter()
        .map(|person| {
            person
                .names
                .iter()
                .map(|name| match_name(name, passport, passport_zh))
                .max_by_key(|v| (v.severity, v.class))
        })
        .collect();
    let anyone_matches = outcome.yours().iter().any(|&y| y);
    for (person, verdict) in persons.iter().zip(&outcome.verdicts) {
        let Some(verdict) = verdict else { continue };
        if anyone_matches && verdict.severity == Severity::Fail {
            continue;
        }
        let mut finding = Finding::new(CheckId::Name, verdict.severity, verdict.message.clone());
        if verdict.severity > Severity::Info {
            finding = finding.ask(verdict.ask.clone(), verdict.ask_zh.clone());
        }
        if verdict.severity > Severity::Info || !verdict.message.is_empty() {
            outcome
                .findings
                .push(finding.study(person.studies.first().cloned().unwrap_or_default()));
        }
    }
    outcome
}

fn unnamed(person: &Person) -> Finding {
    wording::unnamed_images(person.unnamed_instances, person.instances)
        .finding(CheckId::Name, Severity::Fail)
}
