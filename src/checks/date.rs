//! The `date` check: every study has a valid, plausible study date, its series agree on it, and the studies the
//! patient expects (`--date`) are on the disc.

use std::collections::{BTreeMap, BTreeSet};

use crate::checks::{CheckId, Finding, Severity, wording};
pub use crate::date::{DateProblem, DateRange, StudyDate, today};
use crate::read_header::InstanceRecord;

/// The most common valid value of one date attribute among `instances`, ties broken by the earliest date.
fn most_common_date<'a>(
    instances: &[&'a InstanceRecord],
    field: impl Fn(&'a InstanceRecord) -> Option<&'a str>,
) -> Option<StudyDate> {
    let mut counts: BTreeMap<StudyDate, usize> = BTreeMap::new();
    for record in instances {
        if let Some(date) = field(record).and_then(|v| StudyDate::parse(v).ok()) {
            *counts.entry(date).or_default() += 1;
        }
    }
    let best = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|&(_, n)| n == best)
        .map(|(date, _)| date)
}

/// The study's date: the most common valid StudyDate among its instances, `None` when none is valid.
pub fn study_date(instances: &[&InstanceRecord]) -> Option<StudyDate> {
    most_common_date(instances, |r| r.study_date.as_deref())
}

/// How the report names a study to a patient: `CT study 'Chest' of 2024-03-20`, `MR/SR study` when undated.
pub fn study_label(instances: &[&InstanceRecord]) -> String {
    wording::study_label(
        &modalities(instances),
        description(instances),
        study_date(instances),
    )
}

/// The distinct modalities of a study's instances, in order of appearance.
fn modalities<'a>(instances: &[&'a InstanceRecord]) -> Vec<&'a str> {
    let mut modalities: Vec<&str> = Vec::new();
    for m in instances
        .iter()
        .filter_map(|r| r.modality.as_deref())
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        if !modalities.contains(&m) {
            modalities.push(m);
        }
    }
    modalities
}

/// The first non-empty StudyDescription.
fn description<'a>(instances: &[&'a InstanceRecord]) -> Option<&'a str> {
    instances
        .iter()
        .filter_map(|r| r.study_description.as_ref())
        .map(|d| d.text.trim())
        .find(|d| !d.is_empty())
}

/// The valid dates found in the images themselves, as a hint when the study date is missing or invalid:
/// `series date 2024-03-20, acquisition date 2024-03-20`.
fn image_date_hint(instances: &[&InstanceRecord]) -> Option<String> {
    wording::image_dates(
        most_common_date(instances, |r| r.series_date.as_deref()),
        most_common_date(instances, |r| r.acquisition_date.as_deref()),
        most_common_date(instances, |r| r.content_date.as_deref()),
    )
}

/// The study named for Chinese staff: `CT检查“CT CHEST”`, `检查“CT CHEST”`, `CT检查`, or `该检查`.
fn study_label_zh(instances: &[&InstanceRecord]) -> String {
    wording::study_label_zh(&modalities(instances), description(instances))
}

/// Checks one study's dates: StudyDate missing, empty or invalid (fail, with the images' own dates as a hint);
/// in the future or before 1900 (warn); files or series of the study disagreeing on dates (warn).
///
/// `today` is the date to judge "future" against; one day of slack allows for time zones.
pub fn check_study_dates(
    study_uid: &str,
    label: &str,
    instances: &[&InstanceRecord],
    today: StudyDate,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let finding = |severity: Severity, texts: wording::Texts| {
        texts.finding(CheckId::Date, severity).study(study_uid)
    };

    let zh_label = study_label_zh(instances);
    let Some(date) = study_date(instances) else {
        let raw = instances
            .iter()
            .filter_map(|r| r.study_date.as_deref())
            .map(|v| v.trim_matches(|c: char| c == ' ' || c == '\0'))
            .find(|v| !v.is_empty());
        let hint = image_date_hint(instances);
        findings.push(finding(
            Severity::Fail,
            wording::study_date_missing(label, &zh_label, raw, hint.as_deref()),
        ));
        return findings;
    };

    let tomorrow = today.days_since_epoch() + 1;
    // The label ends in " of <date>": say the date once.
    let dated_suffix = format!(" of {date}");
    let name = label.strip_suffix(&dated_suffix).unwrap_or(label);
    if date.days_since_epoch() > tomorrow {
        findings.push(finding(
            Severity::Warn,
            wording::study_date_future(name, &zh_label, date),
        ));
    } else if date.year < 1900 {
        findings.push(finding(
            Severity::Warn,
            wording::study_date_too_old(name, &zh_label, date),
        ));
    }

    let study_dates: BTreeSet<StudyDate> = instances
        .iter()
        .filter_map(|r| {
            r.study_date
                .as_deref()
                .and_then(|v| StudyDate::parse(v).ok())
        })
        .collect();
    if study_dates.len() > 1 {
        let list: Vec<String> = study_dates.iter().map(ToString::to_string).collect();
        findings.push(finding(
            Severity::Warn,
            wording::study_dates_differ(label, &zh_label, &list),
        ));
    }

    let mut by_series: BTreeMap<&str, Vec<&InstanceRecord>> = BTreeMap::new();
    for record in instances {
        by_series
            .entry(&*record.series_instance_uid)
            .or_default()
            .push(record);
    }
    let mut series_dates: BTreeMap<StudyDate, BTreeSet<String>> = BTreeMap::new();
    for series in by_series.values() {
        let series_date = most_common_date(series, |r| r.series_date.as_deref())
            .or_else(|| most_common_date(series, |r| r.acquisition_date.as_deref()));
        if let Some(series_date) = series_date {
            let name = series
                .iter()
                .find_map(|r| r.series_number)
                .map_or_else(|| wording::UNNUMBERED.to_string(), |n| n.to_string());
            series_dates.entry(series_date).or_default().insert(name);
        }
    }
    let first = series_dates
        .keys()
        .next()
        .copied()
        .map_or(date, |d| d.min(date));
    let last = series_dates
        .keys()
        .next_back()
        .copied()
        .map_or(date, |d| d.max(date));
    if last.days_since_epoch() - first.days_since_epoch() > 1 {
        let list: Vec<String> = series_dates
            .iter()
            .map(|(d, names)| wording::series_dated(*d, &names.iter().cloned().collect::<Vec<_>>()))
            .collect();
        findings.push(finding(
            Severity::Warn,
            wording::series_dates_differ(label, &zh_label, &list),
        ));
    }
    findings
}

/// Checks the days the patient expects scans from (`--date`): a range with no study on the disc fails; studies
/// outside every range are listed as notes. `studies` gives each study's UID, label and date.
pub fn check_expected_dates(
    studies: &[(String, String, Option<StudyDate>)],
    expected: &[DateRange],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if expected.is_empty() {
        return findings;
    }
    let undated = studies.iter().filter(|(_, _, date)| date.is_none()).count();
    for range in expected {
        if studies
            .iter()
            .any(|(_, _, date)| date.is_some_and(|d| range.contains(d)))
        {
            continue;
        }
        findings.push(
            wording::expected_date_missing(range, undated).finding(CheckId::Date, Severity::Fail),
        );
    }
    for (uid, label, date) in studies {
        let dated = match date {
            Some(d) if expected.iter().any(|r| r.contains(*d)) => continue,
            Some(_) => true,
            None => false,
        };
        findings.push(
            wording::other_study(label, dated)
                .finding(CheckId::Date, Severity::Info)
                .study(uid.clone()),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> StudyDate {
        StudyDate::parse(s).expect("valid test date")
    }

    fn record(series: &str, study_date: Option<&str>) -> InstanceRecord {
        InstanceRecord {
            study_instance_uid: "1.2.3".into(),
            series_instance_uid: series.into(),
            modality: Some("CT".into()),
            study_date: study_date.map(Into::into),
            ..Default::default()
        }
    }

    fn check(records: &[InstanceRecord]) -> Vec<Finding> {
        let refs: Vec<&InstanceRecord> = records.iter().collect();
        check_study_dates("1.2.3", "CT study 'Chest'", &refs, d("20250101"))
    }

    #[test]
    fn parses_dicom_and_cli_forms() {
        assert_eq!(d("20240320").to_string(), "2024-03-20");
        assert_eq!(d(" 2024.03.20\0").to_string(), "2024-03-20");
        assert_eq!("2024-03-20".parse::<StudyDate>(), Ok(d("20240320")));
        assert_eq!("20240320".parse::<StudyDate>(), Ok(d("20240320")));
        assert_eq!(d("20240229").to_string(), "2024-02-29");
    }

    #[test]
    fn rejects_bad_dates() {
        assert_eq!(StudyDate::parse(""), Err(DateProblem::Empty));
        assert_eq!(StudyDate::parse("  "), Err(DateProblem::Empty));
        assert!(matches!(
            StudyDate::parse("2024-13-45"),
            Err(DateProblem::Impossible(_))
        ));
        assert!(matches!(
            StudyDate::parse("00000000"),
            Err(DateProblem::Impossible(_))
        ));
        assert!(matches!(
            StudyDate::parse("20230229"),
            Err(DateProblem::Impossible(_))
        ));
        assert!(matches!(
            StudyDate::parse("2024032"),
            Err(DateProblem::Malformed(_))
        ));
        assert!(matches!(
            StudyDate::parse("2024/03/20"),
            Err(DateProblem::Malformed(_))
        ));
        assert!(matches!(
            StudyDate::parse("+2024032"),
            Err(DateProblem::Malformed(_))
        ));
        assert!(matches!(
            StudyDate::parse("２０２４０３２０"),
            Err(DateProblem::Malformed(_))
        ));
        assert!("2024.03.20".parse::<StudyDate>().is_err());
    }

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(d("19700101").days_since_epoch(), 0);
        assert_eq!(d("20000301").days_since_epoch(), 11_017);
        for days in [-719_162, -1, 0, 59, 365, 11_016, 19_797, 2_932_896] {
            let date = StudyDate::from_days_since_epoch(days).expect("in range");
            assert_eq!(date.days_since_epoch(), days, "{date}");
        }
        assert_eq!(StudyDate::from_days_since_epoch(i64::MAX), None);
        assert_eq!(StudyDate::from_days_since_epoch(-800_000), None);
        assert!(today().year >= 2024);
    }

    #[test]
    fn ranges() {
        let r = DateRange::parse("2024-03-10..2024-03-14").expect("range");
        assert!(r.contains(d("20240310")) && r.contains(d("20240314")));
        assert!(!r.contains(d("20240309")) && !r.contains(d("20240315")));
        assert_eq!(r.to_string(), "2024-03-10 to 2024-03-14");
        assert_eq!(
            "2024-03-20".parse::<DateRange>(),
            Ok(DateRange::day(d("20240320")))
        );
        assert!(matches!(
            DateRange::parse("2024-03-14..2024-03-10"),
            Err(DateProblem::Reversed(_))
        ));
        assert!(DateRange::parse("2024-03-10..").is_err());
    }

    #[test]
    fn valid_consistent_study_passes() {
        let records = [
            record("s1", Some("20240320")),
            record("s2", Some("20240320")),
        ];
        assert_eq!(check(&records), vec![]);
    }

    #[test]
    fn missing_date_fails_with_hint() {
        let mut a = record("s1", None);
        a.series_date = Some("20240320".into());
        a.content_date = Some("20240321".into());
        let findings = check(&[a]);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!((f.check, f.severity), (CheckId::Date, Severity::Fail));
        assert!(
            f.message.contains("CT study 'Chest' has no study date"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("series date 2024-03-20"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("content date 2024-03-21"),
            "{}",
            f.message
        );
        assert!(!f.message.contains("acquisition date"), "{}", f.message);
        assert_eq!(f.study.as_deref(), Some("1.2.3"));
        assert!(!f.ask.is_empty() && !f.ask_zh.is_empty());
    }

    #[test]
    fn empty_and_invalid_dates_fail() {
        let empty = check(&[record("s1", Some(""))]);
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].severity, Severity::Fail);
        assert!(empty[0].message.contains("no study date"));
        assert!(
            !empty[0].message.contains("dated:"),
            "no hint without image dates"
        );
        for bad in ["2024-13-45", "00000000", "garbage"] {
            let f = check(&[record("s1", Some(bad))]);
            assert_eq!(f.len(), 1, "{bad}");
            assert_eq!(f[0].severity, Severity::Fail, "{bad}");
            assert!(
                f[0].message
                    .contains(&format!("invalid study date ('{bad}')")),
                "{}",
                f[0].message
            );
        }
    }

    #[test]
    fn implausible_dates_warn() {
        let future = check(&[record("s1", Some("20300101"))]);
        assert_eq!(future.len(), 1);
        assert_eq!(future[0].severity, Severity::Warn);
        assert!(future[0].message.contains("2030-01-01") && future[0].message.contains("future"));
        assert_eq!(
            check(&[record("s1", Some("20250102"))]),
            vec![],
            "one day of time-zone slack"
        );
        let old = check(&[record("s1", Some("18991231"))]);
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].severity, Severity::Warn);
        assert!(old[0].message.contains("before 1900"));
    }

    #[test]
    fn disagreeing_dates_warn() {
        let records = [
            record("s1", Some("20240320")),
            record("s1", Some("20240320")),
            record("s2", Some("20240402")),
        ];
        let findings = check(&records);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].severity, Severity::Warn);
        assert!(
            findings[0].message.contains("2024-03-20, 2024-04-02"),
            "{}",
            findings[0].message
        );

        let mut a = record("s1", Some("20240320"));
        a.series_number = Some(1);
        a.series_date = Some("20240320".into());
        let mut b = record("s2", Some("20240320"));
        b.series_number = Some(7);
        b.series_date = Some("20240601".into());
        let findings = check(&[a.clone(), b]);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].severity, Severity::Warn);
        assert!(
            findings[0].message.contains("2024-06-01 (series 7)"),
            "{}",
            findings[0].message
        );

        let mut midnight = record("s2", Some("20240320"));
        midnight.acquisition_date = Some("20240321".into());
        assert_eq!(
            check(&[a, midnight]),
            vec![],
            "a study crossing midnight is fine"
        );
    }

    #[test]
    fn labels() {
        let mut a = record("s1", Some("20240320"));
        a.study_description = Some(crate::charset::DecodedText::plain("Chest").into());
        let mut b = record("s2", Some("20240320"));
        b.modality = Some("SR".into());
        assert_eq!(study_label(&[&a, &b]), "CT/SR study 'Chest' of 2024-03-20");
        assert_eq!(study_label(&[&record("s1", None)]), "CT study");
    }

    fn studies() -> Vec<(String, String, Option<StudyDate>)> {
        vec![
            (
                "1.1".into(),
                "CT study 'Chest' of 2024-03-20".into(),
                Some(d("20240320")),
            ),
            (
                "1.2".into(),
                "MR study 'Knee' of 2023-01-05".into(),
                Some(d("20230105")),
            ),
        ]
    }

    #[test]
    fn expected_date_present() {
        let findings =
            check_expected_dates(&studies(), &[DateRange::parse("2024-03-20").expect("day")]);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].severity, Severity::Info);
        assert_eq!(findings[0].study.as_deref(), Some("1.2"));
        assert!(findings[0].message.contains("Knee"));
        assert_eq!(check_expected_dates(&studies(), &[]), vec![]);
    }

    #[test]
    fn expected_date_absent_fails() {
        let findings =
            check_expected_dates(&studies(), &[DateRange::parse("20240321").expect("day")]);
        let fails: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Fail)
            .collect();
        assert_eq!(fails.len(), 1);
        assert_eq!(
            fails[0].message,
            "The scan from 2024-03-21 is not on this disc."
        );
        assert!(fails[0].ask_zh.contains("2024-03-21"));
        assert_eq!(
            findings
                .iter()
                .filter(|f| f.severity == Severity::Info)
                .count(),
            2
        );
    }

    #[test]
    fn expected_date_range() {
        let hit = check_expected_dates(
            &studies(),
            &[DateRange::parse("2024-03-10..2024-03-24").expect("range")],
        );
        assert!(hit.iter().all(|f| f.severity == Severity::Info));
        let miss = check_expected_dates(
            &studies(),
            &[DateRange::parse("2024-03-10..2024-03-14").expect("range")],
        );
        assert!(miss.iter().any(
            |f| f.severity == Severity::Fail && f.message.contains("2024-03-10 to 2024-03-14")
        ));
        let mut undated = studies();
        undated.push(("1.3".into(), "CT study".into(), None));
        let with_undated = check_expected_dates(
            &undated,
            &[DateRange::parse("2024-03-10..2024-03-14").expect("range")],
        );
        let fail = with_undated
            .iter()
            .find(|f| f.severity == Severity::Fail)
            .expect("fail");
        assert!(fail.message.contains("no date"), "{}", fail.message);
    }
}
