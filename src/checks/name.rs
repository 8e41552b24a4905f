//! The `name` check: is PatientName the name in the passport?

use super::patient::Person;
use super::{CheckId, Finding, Severity};
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
                    Finding::new(
                        CheckId::Name,
                        Severity::Warn,
                        format!(
                            "The patient name {} is stored with a wrong or missing character set: other computers \
                             may show it garbled.",
                            display_name(name)
                        ),
                    )
                    .ask(
                        "Ask them to correct the name's character set (Specific Character Set) and burn the disc \
                         again.",
                        "患者姓名的字符集设置错误，其他电脑可能显示乱码。请更正字符集后重新刻录。",
                    ),
                );
            }
        }
        outcome.findings.push(Finding::new(
            CheckId::Name,
            Severity::Info,
            "No passport name was given (--name), so the name on the disc was not compared with it.",
        ));
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
    let n = person.unnamed_instances;
    let which = if n == person.instances {
        "None of the images on the disc carry".to_string()
    } else {
        format!("{n} images on the disc carry no")
    };
    Finding::new(
        CheckId::Name,
        Severity::Fail,
        format!("{which} a patient name: nobody at home can tell whose scans they are."),
    )
    .ask(
        "Ask them to add your passport name to the images and burn the disc again.",
        format!("光盘中有{n}张影像没有患者姓名。请补录护照姓名后重新刻录。"),
    )
}
