//! Issue 3 end to end: Chinese and Latin patient names as hospitals really write them (declared GB18030, UTF-8
//! with three component groups, ISO 2022 IR 58 with escapes, undeclared GBK, GBK trail bytes that equal `\` and
//! `^`), checked by the binary against the passport name in every form a patient types it.

mod common;

use common::{Run, check, check_json, disc, findings, problems, worst};
use dicomcheck_fixture::{DiscSpec, PatientSpec, SeriesSpec, StudySpec, WrittenDisc};
use serde_json::Value;
use tempfile::TempDir;

/// A one-study disc of this patient.
fn name_disc(patient: PatientSpec) -> (TempDir, WrittenDisc) {
    disc(&DiscSpec::new(patient).study(StudySpec::new("CT CHEST").series(SeriesSpec::ct(3))))
}

/// GBK (= GB18030 for these characters) bytes of `text`.
fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, errors) = encoding_rs::GBK.encode(text);
    assert!(!errors, "{text} is not GBK");
    bytes.into_owned()
}

/// Runs the human summary and the JSON report with the same arguments; both must agree on the exit code.
fn both(dir: &TempDir, args: &[&str]) -> (Run, Value) {
    let human = check(dir.path(), args);
    let (code, report) = check_json(dir.path(), args);
    assert_eq!(human.code, code, "{}", human.stdout);
    assert_eq!(
        human.stderr, "",
        "stderr is not a terminal: no progress bar, no messages"
    );
    (human, report)
}

/// The one person on the disc.
fn person(report: &Value) -> &Value {
    let patients = report["patients"].as_array().expect("patients");
    assert_eq!(patients.len(), 1, "{report}");
    &patients[0]
}

fn shown_name(report: &Value) -> &str {
    person(report)["name"].as_str().expect("name")
}

/// Asserts the summary shows `hanzi` with its pinyin `reading`, nothing garbled, no escape bytes.
fn assert_shows(out: &Run, report: &Value, hanzi: &str, reading: &str) {
    let name = shown_name(report);
    assert!(name.contains(hanzi), "{name:?} lacks {hanzi}");
    assert!(
        name.contains(reading),
        "{name:?} lacks the reading {reading}"
    );
    assert!(out.stdout.contains(hanzi), "{}", out.stdout);
    assert!(out.stdout.contains(reading), "{}", out.stdout);
    assert!(!name.contains('\u{FFFD}'), "{name:?}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("Patient on disc:"))
        .expect("patient line");
    assert!(line.contains(name), "{line:?} does not show {name:?}");
    assert!(!out.stdout.contains("$)A"), "{}", out.stdout);
    assert_eq!(report["studies"][0]["patient_name"], name);
}

#[test]
fn gb18030_name_is_decoded_with_its_reading() {
    let (dir, _) = name_disc(PatientSpec::new("王^小东").charset("GB18030"));
    let (out, report) = both(&dir, &["--name", "WANG^XIAODONG"]);
    assert_shows(&out, &report, "王^小东", "wáng xiǎo dōng");
    // Hanzi only: the reading spells the passport name, which cannot be proved from characters alone.
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        person(&report)["name_match"],
        "warn",
        "{}",
        problems(&report)
    );
    let (_, report) = check_json(dir.path(), &["--name", "LI^MING"]);
    assert_eq!(
        worst(&report, "name"),
        Some("fail"),
        "{}",
        problems(&report)
    );
}

#[test]
fn utf8_three_group_name_matches_on_its_latin_group() {
    let (dir, _) = name_disc(PatientSpec::new("Zhang^San=张^三=").charset("ISO_IR 192"));
    let (out, report) = both(&dir, &["--name", "ZHANG^SAN"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_shows(&out, &report, "张^三", "zhāng sān");
    assert!(shown_name(&report).contains("Zhang^San"), "{report}");
    assert_eq!(
        person(&report)["name_match"],
        "pass",
        "{}",
        problems(&report)
    );
    assert_eq!(problems(&report), "");
}

#[test]
fn iso_2022_ir_58_name_with_escapes_is_decoded() {
    // PS3.5 Annex K.2: "Zhang^XiaoDong=章^小东=" in GB2312 with ESC $ ) A before each Chinese component.
    let bytes = b"Zhang^XiaoDong=\x1b$)A\xd5\xc2^\x1b$)A\xd0\xa1\xb6\xab=";
    let patient = PatientSpec::new("x")
        .charset("\\ISO 2022 IR 58")
        .raw_name(bytes);
    let (dir, _) = name_disc(patient);
    let (out, report) = both(&dir, &["--name", "ZHANG^XIAODONG"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_shows(&out, &report, "章^小东", "zhāng xiǎo dōng");
    assert_eq!(
        person(&report)["name_match"],
        "pass",
        "{}",
        problems(&report)
    );
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn undeclared_gbk_name_is_shown_correctly_and_warns_about_the_character_set() {
    let patient = PatientSpec::new("x").raw_name(&gbk("李^明"));
    assert_eq!(patient.charset, None);
    let (dir, _) = name_disc(patient);
    let (out, report) = both(&dir, &["--name", "LI^MING"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_shows(&out, &report, "李^明", "lǐ míng");
    assert_eq!(
        worst(&report, "name"),
        Some("warn"),
        "{}",
        problems(&report)
    );
    let warned = findings(&report, "name")
        .into_iter()
        .filter(|f| f["severity"] == "warn")
        .any(|f| f["message"].as_str().unwrap().contains("character set"));
    assert!(warned, "{}", problems(&report));
    assert!(out.stdout.contains("character set"), "{}", out.stdout);

    // Without a passport name (--no-name) the wrong character set is still reported.
    let (code, report) = check_json(dir.path(), &["--no-name"]);
    assert_eq!(code, 0);
    assert!(problems(&report).contains("character set"), "{report}");
}

#[test]
fn gbk_trail_bytes_equal_to_backslash_and_caret_are_not_delimiters() {
    // 璡 is AD 5C (5C = '\', the value separator) and 奮 is 8A 5E (5E = '^', the component separator).
    let name = "王^璡奮";
    let bytes = gbk(name);
    assert!(bytes.contains(&0x5C) && bytes.iter().filter(|b| **b == 0x5E).count() == 2);
    for patient in [
        PatientSpec::new(name).charset("GB18030"),
        PatientSpec::new(name).charset("GBK"),
        PatientSpec::new("x").raw_name(&bytes),
    ] {
        let declared = patient.charset.clone();
        let (dir, _) = name_disc(patient);
        let (out, report) = both(&dir, &["--name", "WANG^JINFEN"]);
        assert_eq!(out.code, 0, "{declared:?}: {}", out.stdout);
        assert_shows(&out, &report, name, "wáng jìn fèn");
        assert_ne!(
            person(&report)["name_match"],
            "fail",
            "{declared:?}: {}",
            problems(&report)
        );
    }
}

/// A Latin name disc, with a birth date unless `None`.
fn smith(birth_date: Option<&str>) -> (TempDir, WrittenDisc) {
    name_disc(PatientSpec::new("SMITH^JOHN").birth_date(birth_date.map(str::to_owned)))
}

#[test]
fn passport_name_forms_pass() {
    let (dir, _) = smith(Some("19800402"));
    for typed in [
        "SMITH^JOHN",
        "SMITH, JOHN",
        "SMITH<<JOHN",
        "smith^john",
        "Smith, John",
    ] {
        let (out, report) = both(&dir, &["--name", typed]);
        assert_eq!(out.code, 0, "{typed}: {}", out.stdout);
        assert_eq!(
            person(&report)["name_match"],
            "pass",
            "{typed}: {}",
            problems(&report)
        );
        assert_eq!(report["expected_name"], typed);
        assert!(out.stdout.contains("→ matches"), "{typed}: {}", out.stdout);
    }
}

#[test]
fn swapped_names_warn_and_a_misspelling_fails() {
    let (dir, _) = smith(Some("19800402"));
    let (out, report) = both(&dir, &["--name", "JOHN^SMITH"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(person(&report)["name_match"], "warn");
    assert_eq!(
        worst(&report, "name"),
        Some("warn"),
        "{}",
        problems(&report)
    );
    assert!(
        out.stdout
            .contains("RESULT: PASS (1 warning, no action needed)"),
        "{}",
        out.stdout
    );
    let strict = check(dir.path(), &["--name", "JOHN^SMITH", "--strict"]);
    assert_eq!(strict.code, 1, "{}", strict.stdout);

    let (out, report) = both(&dir, &["--name", "SMYTH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(person(&report)["name_match"], "fail");
    assert_eq!(worst(&report, "name"), Some("fail"));
    assert!(
        out.stdout.contains("SMITH^JOHN") && out.stdout.contains("SMYTH"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Note for the counter staff") && out.stdout.contains("护照"),
        "{}",
        out.stdout
    );
}

#[test]
fn birth_date_mismatch_fails_and_missing_birth_date_warns() {
    let (dir, _) = smith(Some("19800402"));
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN", "--dob", "1980-04-02"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(worst(&report, "dob"), None, "{}", problems(&report));
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN", "--dob", "1980-02-04"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(worst(&report, "dob"), Some("fail"), "{}", problems(&report));
    assert!(out.stdout.contains("[dob]"), "{}", out.stdout);
    assert!(out.stdout.contains("1980-04-02"), "{}", out.stdout);

    let (dir, _) = smith(None);
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN", "--dob", "1980-04-02"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(worst(&report, "dob"), Some("warn"), "{}", problems(&report));
    assert_eq!(person(&report)["birth_date"], Value::Null);
}

#[test]
fn passport_chinese_name_confirms_a_hanzi_only_disc_name() {
    let (dir, _) = name_disc(PatientSpec::new("张三").charset("ISO_IR 192"));
    let (out, report) = both(&dir, &["--name", "ZHANG^SAN", "--name-zh", "张三"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_shows(&out, &report, "张三", "zhāng sān");
    assert_ne!(
        person(&report)["name_match"],
        "fail",
        "{}",
        problems(&report)
    );

    // The same disc against another Chinese name in the passport.
    let (out, report) = both(&dir, &["--name", "ZHANG^SAN", "--name-zh", "章三"]);
    assert_ne!(
        person(&report)["name_match"],
        "pass",
        "{}",
        problems(&report)
    );
    assert!(out.stdout.contains("章三") || !problems(&report).is_empty());

    // A three-group disc whose hanzi group is someone else's name.
    let (dir, _) = name_disc(PatientSpec::new("Zhang^San=李^四=").charset("ISO_IR 192"));
    let (_, report) = both(&dir, &["--name", "ZHANG^SAN", "--name-zh", "张三"]);
    assert_ne!(
        person(&report)["name_match"],
        "pass",
        "{}",
        problems(&report)
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Issue 12: whose scans. Another person, a merged record or a look-alike name never passes.

/// A one-study disc whose series carry these patients.
fn people_disc(patients: &[PatientSpec]) -> (TempDir, WrittenDisc) {
    let mut study = StudySpec::new("CT CHEST");
    for p in patients {
        study = study.series(SeriesSpec::ct(2).patient(p.clone()));
    }
    disc(&DiscSpec::new(patients[0].clone()).study(study))
}

fn finding_text(report: &Value, check: &str) -> String {
    findings(report, check)
        .iter()
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn group_one_naming_another_person_fails_though_group_three_matches() {
    let (dir, _) = name_disc(PatientSpec::new("WANG^LEI==SMITH^JOHN"));
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("RESULT: FAIL"), "{}", out.stdout);
    assert_eq!(
        worst(&report, "name"),
        Some("fail"),
        "{}",
        problems(&report)
    );
    assert!(
        finding_text(&report, "name").contains("WANG"),
        "{}",
        problems(&report)
    );
}

#[test]
fn records_are_not_merged_through_a_missing_id() {
    let (dir, _) = people_disc(&[
        PatientSpec::new("SMITH^JOHN").id("A-1"),
        PatientSpec::new("SMITH^JOHN").id(""),
        PatientSpec::new("SMITH^JOHN").id("B-2"),
    ]);
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(worst(&report, "patient"), Some("fail"));
    assert!(
        finding_text(&report, "patient").contains("cannot say whose"),
        "{}",
        problems(&report)
    );
    assert_eq!(report["patients"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_dicomdir_naming_another_person_fails_patient() {
    let (dir, _) = name_disc(PatientSpec::new("SMITH^JOHN"));
    let path = dir.path().join("DICOMDIR");
    let mut bytes = std::fs::read(&path).expect("DICOMDIR");
    let at = bytes
        .windows(10)
        .position(|w| w == b"SMITH^JOHN")
        .expect("name in DICOMDIR");
    bytes[at..at + 10].copy_from_slice(b"JONES^MARY");
    std::fs::write(&path, bytes).expect("write");
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(worst(&report, "patient"), Some("fail"));
    let text = finding_text(&report, "patient");
    assert!(
        text.contains("JONES^MARY") && text.contains("DICOMDIR"),
        "{text}"
    );
}

#[test]
fn a_cyrillic_look_alike_in_the_surname_fails_and_is_named() {
    let (dir, _) = name_disc(PatientSpec::new("РAN^WEI").charset("ISO_IR 192"));
    let (out, report) = both(&dir, &["--name", "PAN^WEI"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(person(&report)["name_class"], "HOMOGLYPH");
    assert!(out.stdout.contains("another script"), "{}", out.stdout);
    // A Latin-only disc name with the same passport passes.
    let (dir, _) = name_disc(PatientSpec::new("PAN^WEI"));
    assert_eq!(both(&dir, &["--name", "PAN^WEI"]).0.code, 0);
}

#[test]
fn zero_width_characters_warn_and_are_never_printed_raw() {
    let (dir, _) = name_disc(PatientSpec::new("SMI\u{200B}TH^JOHN\u{200D}").charset("ISO_IR 192"));
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(
        worst(&report, "name"),
        Some("warn"),
        "{}",
        problems(&report)
    );
    assert_eq!(person(&report)["name_class"], "INVISIBLE_CHARACTERS");
    assert!(out.stdout.contains("U+200B"), "{}", out.stdout);
    assert!(
        !out.stdout.contains('\u{200B}') && !out.stdout.contains('\u{200D}'),
        "{:?}",
        out.stdout
    );
    assert_eq!(both(&dir, &["--name", "SMITH^JOHN", "--strict"]).0.code, 1);
}

#[test]
fn without_a_passport_name_there_is_no_bare_pass() {
    let (dir, _) = name_disc(PatientSpec::new("BROWN^ALICE"));
    let (out, report) = both(&dir, &[]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(!out.stdout.contains("RESULT: PASS"), "{}", out.stdout);
    assert!(out.stdout.contains("NAME NOT CHECKED"), "{}", out.stdout);
    assert!(out.stdout.contains("BROWN^ALICE"), "{}", out.stdout);
    assert_eq!(report["name_checked"], false);
    assert_eq!(report["name_waived"], false);
    assert_ne!(report["verdict"], "pass");
    // An inventory says so explicitly and may pass.
    let (out, report) = both(&dir, &["--no-name"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("RESULT: PASS"), "{}", out.stdout);
    assert!(out.stdout.contains("not checked"), "{}", out.stdout);
    assert_eq!(report["name_waived"], true);
    // --no-name and --name contradict each other.
    let out = check(dir.path(), &["--no-name", "--name", "BROWN^ALICE"]);
    assert_eq!(out.code, 2);
}

#[test]
fn dotted_and_unknown_birth_dates_are_one_person() {
    let (dir, _) = people_disc(&[
        PatientSpec::new("SMITH^JOHN").birth_date(Some("19800402".to_string())),
        PatientSpec::new("SMITH^JOHN").birth_date(Some("1980.04.02".to_string())),
        PatientSpec::new("SMITH^JOHN").birth_date(Some("00000000".to_string())),
    ]);
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN", "--dob", "1980-04-02"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(worst(&report, "patient"), None, "{}", problems(&report));
    assert_eq!(worst(&report, "dob"), None, "{}", problems(&report));
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN", "--dob", "1980-04-03"]);
    assert_eq!(out.code, 1);
    assert_eq!(worst(&report, "dob"), Some("fail"));
}

#[test]
fn traditional_and_simplified_name_zh_are_the_same_characters() {
    let (dir, _) = name_disc(PatientSpec::new("ZHANG^SAN=張^三").charset("GB18030"));
    for zh in ["张三", "張三"] {
        let (out, report) = both(&dir, &["--name", "ZHANG^SAN", "--name-zh", zh]);
        assert_eq!(out.code, 0, "{zh}: {}", out.stdout);
        assert_eq!(
            worst(&report, "name"),
            Some("info"),
            "{zh}: {}",
            problems(&report)
        );
    }
    let (dir, _) = name_disc(PatientSpec::new("張三").charset("GB18030"));
    let (out, report) = both(&dir, &["--name", "ZHANG^SAN", "--name-zh", "张三"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(person(&report)["name_class"], "HANZI_MATCHES_PASSPORT_ZH");
    // Different characters fail, and --name-zh never rescues a reading that is not the passport name.
    let (_, report) = both(&dir, &["--name", "ZHANG^SAN", "--name-zh", "李四"]);
    assert_eq!(worst(&report, "name"), Some("fail"));
    let (_, report) = both(&dir, &["--name", "LI^SI", "--name-zh", "張三"]);
    assert_eq!(worst(&report, "name"), Some("fail"));
}

#[test]
fn a_japanese_disc_with_katakana_and_kanji_is_read_as_japanese() {
    // PS3.5 H.3.2 style: JIS X 0201 katakana in G1 after ESC ) I, JIS X 0208 kanji after ESC $ B.
    let raw: &[u8] = b"\x1b)I\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=";
    let patient = PatientSpec::new("")
        .raw_name(raw)
        .charset("ISO 2022 IR 13\\ISO 2022 IR 87");
    let (dir, _) = name_disc(patient);
    let (out, report) = both(&dir, &["--name", "YAMADA^TARO"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(person(&report)["name_class"], "TRANSLITERATION_MATCHES");
    let name = shown_name(&report);
    assert!(name.contains("ﾔﾏﾀﾞ") && name.contains("山田^太郎"), "{name}");
    assert!(
        !name.contains("shān") && !out.stdout.contains("GB18030"),
        "{}",
        out.stdout
    );
    let (out, _) = both(&dir, &["--name", "SUZUKI^ICHIRO"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
}

#[test]
fn passport_number_is_noted_when_on_the_disc_and_when_absent() {
    let (dir, _) = name_disc(PatientSpec::new("SMITH^JOHN").id("E12345678"));
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN", "--passport", "e1234 5678"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        finding_text(&report, "patient").contains("records the passport number"),
        "{}",
        problems(&report)
    );
    let (out, report) = both(&dir, &["--name", "SMITH^JOHN", "--passport", "G000111"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        finding_text(&report, "patient").contains("does not appear"),
        "{}",
        problems(&report)
    );
}
