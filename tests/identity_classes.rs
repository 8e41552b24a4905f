//! Whose scans: the identity classes of docs/names-policy.md, one table row per case, each with its expected
//! class and severity, run through the library (`names::match_name`, and `dicomcheck::check` on written discs
//! for the grouping of persons, birth dates, the DICOMDIR and a missing passport name).

mod common;

use std::path::Path;

use dicomcheck::CheckOptions;
use dicomcheck::charset::{DecodedText, SpecificCharacterSet, decode};
use dicomcheck::checks::date::StudyDate;
use dicomcheck::checks::{CheckId, Expectations, Severity};
use dicomcheck::names::{NameClass, PassportName, match_name};
use dicomcheck::report::Report;
use dicomcheck::scan::ScanOptions;
use dicomcheck_fixture::{DiscSpec, PatientSpec, SeriesSpec, StudySpec};

use common::disc;

use NameClass::*;
use Severity::{Fail, Info, Info as Pass, Warn};

/// (identity class of the issue, disc PatientName, passport name, `--name-zh`, severity, name class).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Severity,
    NameClass,
);

const NAME_CASES: &[Case] = &[
    // Group 1 is another person: the alphabetic group is what the world sees; a matching group 2 or 3 never
    // hides it.
    (
        "group1",
        "WANG^LEI==SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Fail,
        Different,
    ),
    (
        "group1",
        "WANG^LEI=SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Fail,
        Different,
    ),
    (
        "group1",
        "SMITH^MARY==SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Fail,
        GivenDifferent,
    ),
    (
        "group1",
        "SMYTH^JOHN==SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Fail,
        MinorSpelling,
    ),
    (
        "group1",
        "JONES^PETER=张^三=ZHANG^SAN",
        "ZHANG^SAN",
        None,
        Fail,
        Different,
    ),
    (
        "group1",
        "^JOHN==SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Fail,
        SurnameMissing,
    ),
    ("group1", "LI^SI=张^三", "ZHANG^SAN", None, Fail, Different),
    // Every value and every group counts; the worst decides.
    (
        "values",
        "SMITH^JOHN\\WANG^LEI",
        "SMITH^JOHN",
        None,
        Fail,
        Different,
    ),
    (
        "values",
        "WANG^LEI\\SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Fail,
        Different,
    ),
    (
        "values",
        "SMITH^JOHN\\JOHN^SMITH",
        "SMITH^JOHN",
        None,
        Warn,
        Reversed,
    ),
    (
        "values",
        "SMITH^JOHN\\SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Pass,
        Exact,
    ),
    (
        "groups",
        "ZHANG^SAN=张^三=李^四",
        "ZHANG^SAN",
        None,
        Fail,
        InconsistentGroups,
    ),
    (
        "groups",
        "ZHANG^SAN=李^四=",
        "ZHANG^SAN",
        None,
        Fail,
        InconsistentGroups,
    ),
    (
        "groups",
        "ZHANG^SAN=张^三=张^三=李^四",
        "ZHANG^SAN",
        None,
        Fail,
        InconsistentGroups,
    ),
    (
        "groups",
        "SMITH^JOHN==WANG^LEI",
        "SMITH^JOHN",
        None,
        Fail,
        Different,
    ),
    ("groups", "ZHANG^SAN=张^三", "ZHANG^SAN", None, Pass, Exact),
    (
        "groups",
        "SMITH^JOHN=史密斯^约翰",
        "SMITH^JOHN",
        None,
        Pass,
        Exact,
    ),
    // Look-alike letters of another script inside a Latin name.
    (
        "homoglyph",
        "SMITH^JОHN",
        "SMITH^JOHN",
        None,
        Warn,
        MixedScript,
    ),
    (
        "homoglyph",
        "SМITH^JOHN",
        "SMITH^JOHN",
        None,
        Warn,
        MixedScript,
    ),
    (
        "homoglyph",
        "SMΙTH^JOHN",
        "SMITH^JOHN",
        None,
        Warn,
        MixedScript,
    ),
    ("homoglyph", "РAN^WEI", "PAN^WEI", None, Fail, Homoglyph),
    ("homoglyph", "РAN^WEI", "RAN^WEI", None, Fail, Different),
    (
        "homoglyph",
        "SMITH^ΡETER",
        "SMITH^PETER",
        None,
        Fail,
        Homoglyph,
    ),
    ("homoglyph", "СHEN^LI", "CHEN^LI", None, Fail, Homoglyph),
    ("homoglyph", "НAN^LI", "HAN^LI", None, Fail, Homoglyph),
    // Invisible and control characters are never silently dropped.
    (
        "invisible",
        "SMI\u{200B}TH^JOHN",
        "SMITH^JOHN",
        None,
        Warn,
        InvisibleCharacters,
    ),
    (
        "invisible",
        "SMITH^JOHN\u{200D}",
        "SMITH^JOHN",
        None,
        Warn,
        InvisibleCharacters,
    ),
    (
        "invisible",
        "\u{FEFF}SMITH^JOHN",
        "SMITH^JOHN",
        None,
        Warn,
        InvisibleCharacters,
    ),
    (
        "invisible",
        "SMITH^JO\u{AD}HN",
        "SMITH^JOHN",
        None,
        Warn,
        InvisibleCharacters,
    ),
    (
        "invisible",
        "SMITH^JOHN\u{202C}",
        "SMITH^JOHN",
        None,
        Warn,
        InvisibleCharacters,
    ),
    (
        "invisible",
        "SMITH^JO\u{7}HN",
        "SMITH^JOHN",
        None,
        Warn,
        InvisibleCharacters,
    ),
    (
        "invisible",
        "WANG^LEI\u{200B}",
        "SMITH^JOHN",
        None,
        Fail,
        Different,
    ),
    // --name-zh adds evidence, never overrides a reading that is not the passport name.
    (
        "name-zh",
        "李四",
        "ZHANG^SAN",
        Some("李四"),
        Fail,
        HanziDifferent,
    ),
    (
        "name-zh",
        "史密斯",
        "SMITH^JOHN",
        Some("史密斯"),
        Fail,
        HanziOnlyForeignPassport,
    ),
    (
        "name-zh",
        "张三",
        "ZHANG^SAN",
        Some("李四"),
        Fail,
        HanziDifferent,
    ),
    (
        "name-zh",
        "张三",
        "ZHANG^SAN",
        Some("张三"),
        Warn,
        HanziMatchesPassportZh,
    ),
    (
        "name-zh",
        "ZHANG^SAN=李^四",
        "ZHANG^SAN",
        Some("李四"),
        Fail,
        InconsistentGroups,
    ),
    (
        "name-zh",
        "WANG^LEI=张^三",
        "ZHANG^SAN",
        Some("张三"),
        Fail,
        Different,
    ),
    // Simplified and traditional characters are the same characters.
    (
        "zh-variants",
        "張三",
        "ZHANG^SAN",
        Some("张三"),
        Warn,
        HanziMatchesPassportZh,
    ),
    (
        "zh-variants",
        "张三",
        "ZHANG^SAN",
        Some("張三"),
        Warn,
        HanziMatchesPassportZh,
    ),
    (
        "zh-variants",
        "王^小東",
        "WANG^XIAODONG",
        Some("王小东"),
        Warn,
        HanziMatchesPassportZh,
    ),
    (
        "zh-variants",
        "ZHANG^SAN=張^三",
        "ZHANG^SAN",
        Some("张三"),
        Pass,
        Exact,
    ),
    (
        "zh-variants",
        "陳^大文",
        "CHEN^DAWEN",
        None,
        Warn,
        HanziOnlyReadingMatches,
    ),
    // Cyrillic and Greek: the ICAO 9303 transliteration is compared, a match warns.
    (
        "translit",
        "ИВАНОВ^ИВАН",
        "IVANOV^IVAN",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "translit",
        "ЗАХАРОВА^ЮЛИЯ",
        "ZAKHAROVA^IULIIA",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "translit",
        "ЗАХАРОВА^ЮЛИЯ",
        "ZAKHAROVA^YULIYA",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "translit",
        "ИВАНОВ^ИВАН",
        "PETROV^IVAN",
        None,
        Fail,
        TransliterationDifferent,
    ),
    (
        "translit",
        "ΠΑΠΑΔΟΠΟΥΛΟΣ^ΓΙΩΡΓΟΣ",
        "PAPADOPOULOS^GIORGOS",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "translit",
        "IVANOV^IVAN=ИВАНОВ^ИВАН",
        "IVANOV^IVAN",
        None,
        Pass,
        Exact,
    ),
    (
        "translit",
        "IVANOV^IVAN=ПЕТРОВ^ИВАН",
        "IVANOV^IVAN",
        None,
        Fail,
        InconsistentGroups,
    ),
    // Japanese and Korean: kanji and hanja are never read as pinyin; kana are read as Hepburn romaji.
    (
        "japanese",
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        "YAMADA^TAROU",
        None,
        Pass,
        NormalisedEqual,
    ),
    (
        "japanese",
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        "YAMADA^TARO",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "japanese",
        "やまだ^たろう",
        "YAMADA^TARO",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "japanese",
        "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎",
        "YAMADA^TARO",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "japanese",
        "山田^太郎=やまだ^たろう",
        "YAMADA^TARO",
        None,
        Warn,
        TransliterationMatches,
    ),
    (
        "japanese",
        "やまだ^たろう",
        "SUZUKI^ICHIRO",
        None,
        Fail,
        TransliterationDifferent,
    ),
    (
        "japanese",
        "Yamada^Tarou=山田^太郎=やまだ^たろう",
        "SUZUKI^ICHIRO",
        None,
        Fail,
        Different,
    ),
    (
        "korean",
        "Hong^Gildong=洪^吉洞=홍^길동",
        "HONG^GILDONG",
        None,
        Pass,
        NormalisedEqual,
    ),
    (
        "korean",
        "洪^吉洞=홍^길동",
        "HONG^GILDONG",
        None,
        Fail,
        NoLatinName,
    ),
];

fn verdict(disc: &DecodedText, passport: &str, zh: Option<&str>) -> dicomcheck::names::NameVerdict {
    let passport = PassportName::parse(passport).expect("passport parses");
    match_name(disc, &passport, zh)
}

#[test]
fn name_classes() {
    let mut wrong = Vec::new();
    for &(what, disc, passport, zh, severity, class) in NAME_CASES {
        let v = verdict(&DecodedText::plain(disc), passport, zh);
        if (v.severity, v.class) != (severity, class) {
            wrong.push(format!(
                "[{what}] {disc:?} vs {passport:?} (zh {zh:?}): got {:?}/{:?}, want {severity:?}/{class:?}: {}",
                v.severity, v.class, v.message
            ));
        }
        if v.severity > Pass && (v.ask.is_empty() || v.ask_zh.is_empty()) {
            wrong.push(format!("[{what}] {disc:?}: no request for the staff"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn homoglyph_and_invisible_names_are_shown_safely() {
    let v = verdict(&DecodedText::plain("РAN^WEI"), "PAN^WEI", None);
    assert!(
        v.message.contains('Р'),
        "the foreign letter is named: {}",
        v.message
    );
    let v = verdict(
        &DecodedText::plain("SMI\u{200B}TH^JOHN\u{202E}"),
        "SMITH^JOHN",
        None,
    );
    assert!(
        v.message.contains("U+200B") && v.message.contains("U+202E"),
        "{}",
        v.message
    );
    assert!(
        !v.message.contains('\u{200B}') && !v.message.contains('\u{202E}'),
        "invisible characters are not printed raw: {:?}",
        v.message
    );
}

/// (disc bytes, declared Specific Character Set, passport, severity, class, what the character set was).
type CharsetCase = (
    &'static [u8],
    &'static str,
    &'static str,
    Severity,
    NameClass,
    &'static str,
);

const CHARSET_CASES: &[CharsetCase] = &[
    (
        b"\xD5\xC5\xC8\xFD",
        "ISO_IR 100",
        "ZHANG^SAN",
        Warn,
        HanziOnlyReadingMatches,
        "GB18030",
    ),
    (
        b"\xCD\xF5^\xD0\xA1\xB6\xAB",
        "",
        "WANG^XIAODONG",
        Warn,
        HanziOnlyReadingMatches,
        "GB18030",
    ),
    (
        b"M\xC3\xBCller^Hans",
        "ISO_IR 100",
        "MULLER^HANS",
        Warn,
        Mojibake,
        "ISO_IR 192",
    ),
    (
        b"M\xFCller^Hans",
        "ISO_IR 192",
        "MUELLER^HANS",
        Warn,
        Mojibake,
        "ISO_IR 100",
    ),
];

#[test]
fn a_mislabelled_character_set_is_called_so_not_another_name() {
    let mut wrong = Vec::new();
    for &(raw, declared, passport, severity, class, written) in CHARSET_CASES {
        let name = decode(raw, &SpecificCharacterSet::from_raw(declared.as_bytes()));
        let v = verdict(&name, passport, None);
        if (v.severity, v.class) != (severity, class)
            || !v.message.contains("wrong character set")
            || !v.message.contains(written)
            || v.message.contains("not the passport")
            || v.ask.contains("GB18030") && written != "GB18030"
        {
            wrong.push(format!("{raw:?} under {declared:?}: {v:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Checks a written disc through the library with a passport name (or none, waived or not) and a birth date.
fn check(root: &Path, passport: Option<&str>, waived: bool, dob: Option<&str>) -> Report {
    let options = CheckOptions {
        expect: Expectations {
            passport: passport.map(|p| PassportName::parse(p).expect("passport")),
            passport_zh: None,
            name_waived: waived,
            passport_number: None,
            dob: dob.map(|d| StudyDate::parse_cli(d).expect("dob")),
            dates: Vec::new(),
            today: StudyDate {
                year: 2026,
                month: 12,
                day: 1,
            },
        },
        name_input: passport.map(str::to_string),
        strict: false,
        scan: ScanOptions::default(),
        images: None,
    };
    dicomcheck::check(root, &options).expect("check runs")
}

fn worst(report: &Report, check: CheckId) -> Option<Severity> {
    report
        .findings
        .iter()
        .filter(|f| f.check == check)
        .map(|f| f.severity)
        .max()
}

fn patient(name: &str, id: &str, dob: Option<&str>) -> PatientSpec {
    PatientSpec::new(name)
        .id(id)
        .birth_date(dob.map(str::to_string))
}

/// A one-study disc whose series carry these patients.
fn people(patients: &[PatientSpec]) -> DiscSpec {
    let mut study = StudySpec::new("CT CHEST");
    for p in patients {
        study = study.series(SeriesSpec::ct(2).patient(p.clone()));
    }
    DiscSpec::new(patients[0].clone()).study(study)
}

/// (what, patients of the series, --dob, patient severity, dob severity, persons, unattributable persons).
type GroupCase = (
    &'static str,
    Vec<PatientSpec>,
    Option<&'static str>,
    Option<Severity>,
    Option<Severity>,
    usize,
    usize,
);

#[test]
fn persons_are_never_merged_through_unknowns_and_birth_dates_compare_as_dates() {
    let s = "SMITH^JOHN";
    let cases: Vec<GroupCase> = vec![
        (
            "IDs disagree, a record without ID would link them",
            vec![
                patient(s, "A1", None),
                patient(s, "", None),
                patient(s, "B2", None),
            ],
            None,
            Some(Fail),
            None,
            3,
            1,
        ),
        (
            "birth dates disagree, a record without one would link them",
            vec![
                patient(s, "", Some("19800402")),
                patient(s, "", None),
                patient(s, "", Some("19810101")),
            ],
            None,
            Some(Fail),
            None,
            3,
            1,
        ),
        (
            "a surname-only record between two different given names",
            vec![
                patient("SMITH^JOHN", "", None),
                patient("SMITH", "", None),
                patient("SMITH^MARY", "", None),
            ],
            None,
            Some(Fail),
            None,
            3,
            1,
        ),
        (
            "one person, ID and birth date missing on some records",
            vec![
                patient(s, "A1", Some("19800402")),
                patient(s, "", Some("19800402")),
                patient(s, "A1", None),
            ],
            Some("1980-04-02"),
            None,
            None,
            1,
            0,
        ),
        (
            "dotted (retired) and plain birth dates are one date",
            vec![
                patient(s, "A1", Some("19800402")),
                patient(s, "A1", Some("1980.04.02")),
            ],
            Some("1980-04-02"),
            None,
            None,
            1,
            0,
        ),
        (
            "00000000 and unparseable birth dates are unknown, not a second person",
            vec![
                patient(s, "A1", Some("19800402")),
                patient(s, "A1", Some("00000000")),
                patient(s, "A1", Some("UNKNOWN")),
            ],
            Some("1980-04-02"),
            None,
            None,
            1,
            0,
        ),
        (
            "--dob is compared with every birth date, not the most frequent",
            vec![
                patient(s, "A1", Some("19800402")),
                patient(s, "A1", Some("19800402")),
                patient(s, "A1", Some("19900101")),
            ],
            Some("1980-04-02"),
            Some(Fail),
            Some(Fail),
            2,
            0,
        ),
        (
            "only unknown birth dates: missing, not different",
            vec![patient(s, "A1", Some("00000000"))],
            Some("1980-04-02"),
            None,
            Some(Warn),
            1,
            0,
        ),
        (
            "one person written two ways is one person",
            vec![
                patient("SMITH^JOHN", "A1", None),
                patient("Smith John", "A1", None),
            ],
            None,
            Some(Warn),
            None,
            1,
            0,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, patients, dob, patient_severity, dob_severity, persons, unattributable) in cases {
        let (dir, _) = disc(&people(&patients));
        let report = check(dir.path(), Some("SMITH^JOHN"), false, dob);
        let got = (
            worst(&report, CheckId::Patient),
            worst(&report, CheckId::Dob),
            report.patients.len(),
            report
                .findings
                .iter()
                .filter(|f| f.message.contains("cannot say whose"))
                .count(),
        );
        if got != (patient_severity, dob_severity, persons, unattributable) {
            wrong.push(format!(
                "{what}: got {got:?}, want {:?}: {:#?}",
                (patient_severity, dob_severity, persons, unattributable),
                report.findings
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Rewrites `from` as `to` (same length) in the disc's DICOMDIR.
fn rewrite_dicomdir(root: &Path, from: &[u8], to: &[u8]) {
    let path = root.join("DICOMDIR");
    let mut bytes = std::fs::read(&path).expect("DICOMDIR");
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("value in DICOMDIR");
    bytes[at..at + to.len()].copy_from_slice(to);
    std::fs::write(&path, bytes).expect("write DICOMDIR");
}

#[test]
fn the_dicomdir_names_a_person_too() {
    let spec = || {
        DiscSpec::new(PatientSpec::new("SMITH^JOHN").id("ID-0042"))
            .study(StudySpec::new("CT").series(SeriesSpec::ct(3)))
    };
    // (what, DICOMDIR rewrite, patient severity, persons)
    type DirCase = (
        &'static str,
        (&'static [u8], &'static [u8]),
        Option<Severity>,
        usize,
    );
    let cases: &[DirCase] = &[
        (
            "another person",
            (b"SMITH^JOHN", b"JONES^MARY"),
            Some(Fail),
            2,
        ),
        ("another ID", (b"ID-0042", b"ID-9999"), Some(Fail), 2),
        (
            "the same person written differently",
            (b"SMITH^JOHN", b"SMITH JOHN"),
            Some(Warn),
            1,
        ),
        ("the same person", (b"SMITH^JOHN", b"SMITH^JOHN"), None, 1),
    ];
    for &(what, (from, to), severity, persons) in cases {
        let (dir, _) = disc(&spec());
        rewrite_dicomdir(dir.path(), from, to);
        let report = check(dir.path(), Some("SMITH^JOHN"), false, None);
        assert_eq!(
            (worst(&report, CheckId::Patient), report.patients.len()),
            (severity, persons),
            "{what}: {:#?}",
            report.findings
        );
    }
}

#[test]
fn no_passport_name_is_never_a_pass() {
    let (dir, _) = disc(
        &DiscSpec::new(PatientSpec::new("BROWN^ALICE"))
            .study(StudySpec::new("CT").series(SeriesSpec::ct(3))),
    );
    let report = check(dir.path(), None, false, None);
    assert_eq!(worst(&report, CheckId::Name), Some(Fail));
    assert!(!report.name_checked && !report.name_waived);
    let not_checked = report
        .findings
        .iter()
        .find(|f| f.check == CheckId::Name)
        .expect("name finding");
    assert!(
        not_checked.message.contains("NAME NOT CHECKED"),
        "{not_checked:?}"
    );
    assert!(
        not_checked.message.contains("BROWN^ALICE"),
        "{not_checked:?}"
    );
    let waived = check(dir.path(), None, true, None);
    assert_eq!(worst(&waived, CheckId::Name), Some(Info));
    assert!(waived.name_waived);
    assert_eq!(waived.verdict, dicomcheck::report::Verdict::Pass);
}

#[test]
fn the_table_covers_every_class_of_the_issue() {
    let classes = [
        "group1",
        "values",
        "groups",
        "homoglyph",
        "invisible",
        "name-zh",
        "zh-variants",
        "translit",
        "japanese",
        "korean",
    ];
    for class in classes {
        assert!(
            NAME_CASES.iter().filter(|c| c.0 == class).count() >= 2,
            "{class}"
        );
    }
    assert!(NAME_CASES.len() + CHARSET_CASES.len() >= 60);
}
