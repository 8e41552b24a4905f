use super::*;

fn name(text: &str) -> DecodedText {
    DecodedText::plain(text)
}

fn verdict(disc: &str, passport: &str) -> NameVerdict {
    match_name(
        &name(disc),
        &PassportName::parse(passport).expect("passport parses"),
        None,
    )
}

/// docs/names-policy.md: (disc, typed passport name, severity, class).
#[test]
fn reference_cases() {
    use NameClass::*;
    use Severity::{Fail, Info as Pass, Warn};
    let cases: &[(&str, &str, Severity, NameClass)] = &[
        ("SMITH^JOHN", "SMITH^JOHN", Pass, Exact),
        ("SMITH^JOHN^^^ ", "SMITH^JOHN", Pass, Exact),
        ("Smith^John", "SMITH^JOHN", Pass, NormalisedEqual),
        ("SMITH JOHN", "SMITH^JOHN", Pass, NoCaretFamilyFirst),
        ("JOHN SMITH", "SMITH^JOHN", Pass, NoCaretGivenFirst),
        (
            "ＳＭＩＴＨ＾ＪＯＨＮ",
            "SMITH^JOHN",
            Pass,
            NoCaretFamilyFirst,
        ),
        ("SMITH……JOHN", "SMITH^JOHN", Pass, NoCaretFamilyFirst),
        ("SMITH\u{3000}JOHN", "SMITH^JOHN", Pass, NoCaretFamilyFirst),
        ("JOHN^SMITH", "SMITH^JOHN", Warn, Reversed),
        ("SMITH", "SMITH^JOHN", Warn, GivenMissing),
        ("SMITH^J", "SMITH^JOHN", Warn, GivenInitialOnly),
        ("^JOHN", "SMITH^JOHN", Fail, SurnameMissing),
        ("SMITH^JOHN", "SMITH^JOHN PAUL", Warn, MiddleMissing),
        ("SMITH^JOHN^PAUL", "SMITH^JOHN PAUL", Pass, NormalisedEqual),
        ("SMITH^JOHN^ALBERT", "SMITH^JOHN", Warn, ExtraGiven),
        ("SMYTH^JOHN", "SMITH^JOHN", Fail, MinorSpelling),
        ("SMITH^JON", "SMITH^JOHN", Fail, MinorSpelling),
        ("SMITH^MARY", "SMITH^JOHN", Fail, GivenDifferent),
        ("WANG^LEI", "SMITH^JOHN", Fail, Different),
        ("LI^MING", "SMITH^JOHN", Fail, Different),
        ("", "SMITH^JOHN", Fail, Empty),
        ("  \0", "SMITH^JOHN", Fail, Empty),
        ("^^^", "SMITH^JOHN", Fail, Empty),
        ("????", "SMITH^JOHN", Fail, NameLost),
        ("UNKNOWN", "SMITH^JOHN", Fail, Placeholder),
        ("无名氏", "SMITH^JOHN", Fail, Placeholder),
        ("约翰·史密斯", "SMITH^JOHN", Fail, HanziTranscribesPassport),
        ("=史密斯^约翰", "SMITH^JOHN", Fail, HanziTranscribesPassport),
        ("史密斯^约翰", "SMITH^JOHN", Fail, HanziTranscribesPassport),
        ("约翰・史密斯", "SMITH^JOHN", Fail, HanziTranscribesPassport),
        (
            "玛丽·约翰逊",
            "JOHNSON^MARY",
            Fail,
            HanziTranscribesPassport,
        ),
        ("约翰·布朗", "SMITH^JOHN", Fail, HanziOnlyForeignPassport),
        ("玛丽·史密斯", "SMITH^JOHN", Fail, HanziOnlyForeignPassport),
        ("SMITH^JOHN=史密斯^约翰", "SMITH^JOHN", Pass, Exact),
        ("史密斯", "SMITH^JOHN", Fail, HanziOnlyForeignPassport),
        ("李四", "SMITH^JOHN", Fail, HanziOnlyForeignPassport),
        ("MUELLER^HANS", "MÜLLER^HANS", Pass, NormalisedEqual),
        ("MULLER^HANS", "MÜLLER^HANS", Pass, NormalisedEqual),
        ("Müller^Hans", "MUELLER^HANS", Pass, NormalisedEqual),
        ("Müller^Hans", "MÜLLER^HANS", Pass, NormalisedEqual),
        ("MULLER^HANS", "MUELLER^HANS", Fail, MinorSpelling),
        ("MILLER^HANS", "MULLER^HANS", Fail, MinorSpelling),
        ("STRASSE^ANNA", "STRAßE^ANNA", Pass, NormalisedEqual),
        ("NUNEZ^JOSE", "NÚÑEZ^JOSÉ", Pass, NormalisedEqual),
        ("NGUYỄN^VĂN AN", "NGUYEN^VAN AN", Pass, NormalisedEqual),
        ("OBRIEN^SEAN", "O'BRIEN^SEAN", Pass, NormalisedEqual),
        ("O BRIEN^SEAN", "O'BRIEN^SEAN", Pass, SpacingOnly),
        (
            "DUPONT^JEAN PAUL",
            "DUPONT^JEAN-PAUL",
            Pass,
            NormalisedEqual,
        ),
        ("DUPONT^JEANPAUL", "DUPONT^JEAN-PAUL", Pass, SpacingOnly),
        ("DUPONT^JEAN", "DUPONT^JEAN-PAUL", Warn, GivenPartial),
        ("ZHANG^SAN", "ZHANG^SAN", Pass, Exact),
        ("ZHANG SAN", "ZHANG^SAN", Pass, NoCaretFamilyFirst),
        ("ZHANGSAN", "ZHANG^SAN", Pass, NoCaretFamilyFirst),
        ("SAN^ZHANG", "ZHANG^SAN", Warn, Reversed),
        ("Zhang^San=张^三=", "ZHANG^SAN", Pass, NormalisedEqual),
        ("Zhāng^Sān", "ZHANG^SAN", Pass, NormalisedEqual),
        ("Zhang^San=李^四=", "ZHANG^SAN", Fail, InconsistentGroups),
        ("WANG^XIAO DONG", "WANG^XIAODONG", Pass, SpacingOnly),
        (
            "Zhang^XiaoDong=张^小东=",
            "ZHANG^XIAODONG",
            Pass,
            NormalisedEqual,
        ),
        ("=张^三", "ZHANG^SAN", Warn, HanziOnlyReadingMatches),
        ("张三", "ZHANG^SAN", Warn, HanziOnlyReadingMatches),
        ("章三", "ZHANG^SAN", Warn, HanziOnlyReadingMatches),
        ("张山", "ZHANG^SAN", Warn, HanziSoundsAlike),
        ("蓝^天", "NAN^TIAN", Warn, HanziSoundsAlike),
        ("李^四", "ZHANG^SAN", Fail, HanziDifferent),
        ("LV^XIAOJUN", "LYU^XIAOJUN", Pass, PinyinUVariant),
        ("LU^XIAOJUN", "LYU^XIAOJUN", Warn, PinyinUAmbiguous),
        ("吕^小军", "LYU^XIAOJUN", Warn, HanziOnlyReadingMatches),
        ("单^田芳", "SHAN^TIANFANG", Warn, HanziOnlyReadingMatches),
        ("CHEN^DAWEN", "CHAN^TAI MAN", Fail, Different),
        (
            "NILAVADHANANANDA^CHAYAPA DEJTHAMRONG KRASUANG",
            "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K",
            Pass,
            PassportMrzTruncated,
        ),
        (
            "NILAVADHANANANDA^ARNPOL PETCH CHARONGUANG",
            "NILAVADHANANANDA<<ARNPOL<PETCH<CHARONGU",
            Pass,
            PassportMrzTruncated,
        ),
        ("SMITH^JOHN", "SMITH, JOHN", Pass, NormalisedEqual),
        ("SMITH^JOHN", "SMITH<<JOHN", Pass, NormalisedEqual),
    ];
    assert!(cases.len() >= 40);
    let mut wrong = Vec::new();
    for &(disc, passport, severity, class) in cases {
        let v = verdict(disc, passport);
        if (v.severity, v.class) != (severity, class) {
            wrong.push(format!(
                "{disc:?} vs {passport:?}: got {:?}/{:?}, want {severity:?}/{class:?}",
                v.severity, v.class
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn mojibake_is_at_least_a_warning() {
    let cs = crate::charset::SpecificCharacterSet::from_raw(b"ISO_IR 100");
    let disc = crate::charset::decode(&[0xD5, 0xC5, 0xC8, 0xFD], &cs);
    let pp = PassportName::parse("ZHANG^SAN").expect("parses");
    let v = match_name(&disc, &pp, None);
    assert_eq!(
        (v.severity, v.class),
        (Severity::Warn, NameClass::HanziOnlyReadingMatches)
    );
    assert!(
        v.message.contains("ÕÅÈý") && v.message.contains("张三"),
        "{}",
        v.message
    );
    assert!(v.ask_zh.contains("字符集"));

    let utf8 = crate::charset::SpecificCharacterSet::from_raw(b"ISO_IR 100");
    let disc = crate::charset::decode("Zhang^San=张^三".as_bytes(), &utf8);
    let v = match_name(&disc, &pp, None);
    assert_eq!(
        (v.severity, v.class),
        (Severity::Warn, NameClass::Mojibake),
        "{}",
        v.message
    );
}

#[test]
fn messages_show_disc_and_passport_names() {
    let v = verdict("SMYTH^JOHN", "SMITH^JOHN");
    assert!(
        v.message.contains("SMYTH^JOHN") && v.message.contains("SMITH JOHN"),
        "{}",
        v.message
    );
    assert!(v.ask_zh.contains("SMITH^JOHN"), "{}", v.ask_zh);
    let v = verdict("JOHN^SMITH", "SMITH^JOHN");
    assert!(
        v.message.contains("surname recorded as JOHN"),
        "{}",
        v.message
    );
    assert!(v.ask_zh.contains("姓被记录为 JOHN"), "{}", v.ask_zh);
    let v = verdict("SMITH^JOHN", "SMITH^JOHN PAUL");
    assert!(v.message.contains("PAUL"));
    let v = verdict("单^田芳", "SHAN^TIANFANG");
    assert!(
        v.message.contains("shàn tián fāng"),
        "matched reading is shown: {}",
        v.message
    );
    for disc in ["约翰·史密斯", "史密斯^约翰", "=史密斯^约翰"] {
        let v = verdict(disc, "SMITH^JOHN");
        assert!(
            v.message
                .contains("your passport name SMITH JOHN written in Chinese characters")
                && !v.message.contains("relative"),
            "{}",
            v.message
        );
        assert!(v.ask.contains("Latin letters: SMITH^JOHN"), "{}", v.ask);
        assert!(
            v.ask_zh.contains("的音译") && !v.ask_zh.contains("他人"),
            "{}",
            v.ask_zh
        );
    }
    let v = verdict("约翰·史密斯", "SMITH^JOHN");
    assert!(v.message.contains("yuē hàn · shǐ mì sī"), "{}", v.message);
    let v = verdict("约翰·布朗", "SMITH^JOHN");
    assert!(
        v.message
            .contains("foreign name written in Chinese characters, but not like the passport name"),
        "{}",
        v.message
    );
    assert!(
        v.ask_zh.contains("请先核对是否为本人的检查"),
        "{}",
        v.ask_zh
    );
    let v = verdict("李四", "SMITH^JOHN");
    assert!(v.message.contains("a guess"), "{}", v.message);
    let v = verdict("CHEN^DAWEN", "CHAN^TAI MAN");
    assert!(v.message.contains("romanisations"), "{}", v.message);
    let v = verdict("SMITH^JOHN", "SMITH^JOHN");
    assert!(v.ask.is_empty() && v.ask_zh.is_empty());
}

#[test]
fn passport_zh_compares_hanzi() {
    let pp = PassportName::parse("ZHANG^SAN").expect("parses");
    let v = match_name(&name("张三"), &pp, Some("张三"));
    assert_eq!(
        (v.severity, v.class),
        (Severity::Warn, NameClass::HanziMatchesPassportZh)
    );
    let v = match_name(&name("章三"), &pp, Some("张三"));
    assert_eq!(
        (v.severity, v.class),
        (Severity::Fail, NameClass::HanziDifferent)
    );
    let v = match_name(&name("ZHANG^SAN=章^三"), &pp, Some("张三"));
    assert_eq!(
        (v.severity, v.class),
        (Severity::Fail, NameClass::InconsistentGroups)
    );
}

#[test]
fn unordered_passport_is_compared_in_any_order() {
    let pp = PassportName::parse("John Smith").expect("parses");
    assert!(!pp.is_ordered());
    for disc in ["SMITH^JOHN", "JOHN^SMITH"] {
        let v = match_name(&name(disc), &pp, None);
        assert_eq!(v.severity, Severity::Info, "{disc}: {v:?}");
        assert!(v.message.contains("any order"));
    }
    let v = match_name(&name("WANG^LEI"), &pp, None);
    assert_eq!(v.class, NameClass::Different);
}

#[test]
fn passport_parsing_forms() {
    let forms = [
        "SMITH^JOHN PAUL",
        "Smith, John Paul",
        "SMITH<<JOHN<PAUL",
        "ｓｍｉｔｈ＾ｊｏｈｎ　ｐａｕｌ",
    ];
    for form in forms {
        let p = PassportName::parse(form).expect("parses");
        assert!(p.is_ordered(), "{form}");
        assert_eq!(p.display(), "SMITH JOHN PAUL", "{form}");
        assert_eq!(p.dicom_form(), "SMITH^JOHN PAUL", "{form}");
    }
    let p = PassportName::parse("Müller^Hans-Peter").expect("parses");
    assert_eq!(p.display(), "MÜLLER HANS-PETER");
    let p = PassportName::parse("NUNXXEZ<<JOSE").expect("parses");
    assert_eq!(p.display(), "NUNEZ JOSE");
    assert_eq!(PassportName::parse("  "), Err(NameInputError::Empty));
    assert_eq!(PassportName::parse("张三"), Err(NameInputError::NotLatin));
    assert_eq!(PassportName::parse("^JOHN"), Err(NameInputError::NoSurname));
    assert_eq!(
        PassportName::parse("<<JOHN"),
        Err(NameInputError::NoSurname)
    );
}

#[test]
fn display_name_shows_groups_and_readings() {
    assert_eq!(display_name(&name("张三")), "张三 (zhāng sān)");
    assert_eq!(
        display_name(&name("Zhang^San=张^三=")),
        "Zhang^San = 张^三 (zhāng sān)"
    );
    assert_eq!(display_name(&name("SMITH^JOHN^^^")), "SMITH^JOHN");
    assert_eq!(display_name(&name("=王^小东")), "王^小东 (wáng xiǎo dōng)");
    assert_eq!(display_name(&name("A\u{1b}B")), "A\u{FFFD}B");
}

#[test]
fn person_key_ignores_representation() {
    let key = |s: &str| person_key(&name(s));
    assert_eq!(key("SMITH^JOHN"), key("Smith^John^^^ "));
    assert_eq!(key("MÜLLER^HANS"), key("Muller^Hans"));
    assert_eq!(key("Zhang^San=张^三"), key("=张^三=Zhang^San"));
    assert_eq!(key("O'BRIEN^SEAN"), key("O BRIEN^SEAN"));
    assert_ne!(key("SMITH^JOHN"), key("SMITH^MARY"));
    assert_ne!(key("SMITH^JOHN"), key("JOHN^SMITH"));
}

#[test]
fn same_person_cases() {
    let same = |a: &str, b: &str| same_person(&name(a), &name(b));
    assert!(same("SMITH^JOHN", "Smith John"));
    assert!(same("Smith John", "SMITH^JOHN"));
    assert!(same("ZHANG^SAN", "张三"));
    assert!(same("张三", "ZHANG^SAN"));
    assert!(same("ZHANG^SAN=张^三", "ZHANG^SAN"));
    assert!(same("SMITH^JOHN", "JOHN^SMITH"));
    assert!(same("张三", "张^三"));
    // A foreign name's Chinese transcription is that person's name, not another person's.
    assert!(same("SMITH^JOHN", "史密斯^约翰"));
    assert!(same("约翰·史密斯", "SMITH^JOHN"));
    assert!(!same("SMITH^JOHN", "约翰·布朗"));
    assert!(!same("SMITH^JOHN", "张三"));
    assert!(!same("SMITH^JOHN", "SMITH^MARY"));
    assert!(!same("SMITH^JOHN", "WANG^LEI"));
    assert!(!same("SMITH^JOHN", "SMYTH^JOHN"));
    assert!(!same("ZHANG^SAN", "李四"));
    assert!(!same("张三", "李四"));
    assert!(!same("ZHANG^SAN=张^三", "ZHANG^SAN=李^四"));
    assert!(!same("", "SMITH^JOHN"));
    assert!(!same("UNKNOWN", "UNKNOWN"));
}

#[test]
fn pinyin_segmentation() {
    for yes in ["ZHANGSAN", "LYU", "LV", "XIAODONG", "OUYANG", "CHAN"] {
        assert!(hanzi::is_pinyin(yes), "{yes}");
    }
    for no in ["SMITH", "JOHN", "MULLER", "CHEUNG", ""] {
        assert!(!hanzi::is_pinyin(no), "{no}");
    }
}

#[test]
fn hostile_names_do_not_panic() {
    let long = "我".repeat(500);
    let weird = [
        "\u{FFFD}",
        "^^^^^^^^^^",
        "=====",
        "\\\\",
        "A^B^C^D^E^F^G",
        &long,
        "\u{1b}$)A",
        "·",
        "ß^ß",
    ];
    let pp = PassportName::parse("ZHANG^SAN").expect("parses");
    for w in weird {
        let v = match_name(&name(w), &pp, Some("张三"));
        assert!(!v.message.is_empty(), "{w}");
        let _ = (
            display_name(&name(w)),
            person_key(&name(w)),
            same_person(&name(w), &name("ZHANG^SAN")),
        );
    }
}

#[test]
fn other_scripts_are_not_latin() {
    let v = verdict("홍길동", "HONG^GILDONG");
    assert_eq!(
        (v.severity, v.class),
        (Severity::Fail, NameClass::NoLatinName)
    );
    let v = verdict("Hong^Gildong=洪^吉洞=홍^길동", "HONG^GILDONG");
    assert_eq!(v.class, NameClass::NormalisedEqual, "{}", v.message);
    assert_eq!(PassportName::parse("ИВАНОВ"), Err(NameInputError::NotLatin));
}

#[test]
fn more_partial_forms() {
    let v = verdict("SMITH^JOHN P", "SMITH^JOHN PAUL");
    assert_eq!(
        (v.severity, v.class),
        (Severity::Warn, NameClass::GivenInitialOnly)
    );
    let v = verdict("SMITH^JP", "SMITH^JOHN PAUL");
    assert_eq!(v.class, NameClass::GivenInitialOnly);
    let v = verdict("SMITH^PAUL", "SMITH^JOHN PAUL");
    assert_eq!(
        (v.severity, v.class),
        (Severity::Warn, NameClass::GivenPartial)
    );
    let long_given = "ALEXANDRA BEATRICE CHRISTINA DOROTHEA ELISABETH";
    let passport = format!("WOLFESCHLEGELSTEIN^{long_given} FREDERIKA");
    let disc = format!("WOLFESCHLEGELSTEIN^{long_given} FRED");
    let v = verdict(&disc, &passport);
    assert_eq!(
        (v.severity, v.class),
        (Severity::Warn, NameClass::DiscNameTruncated)
    );
    let v = verdict("X^Y", "SMITH^JOHN");
    assert_eq!(
        v.class,
        NameClass::Different,
        "short names never count as close"
    );
}
