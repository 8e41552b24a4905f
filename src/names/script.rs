//! Scripts inside a name (docs/names-policy.md, "Look-alike letters" and "Other scripts"): which script each
//! letter belongs to (Unicode Script property), letters of another script that look Latin (Unicode confusable
//! data, UTS #39), invisible characters, and the standard transliterations the comparison may use: ICAO 9303
//! Tables B and C for Cyrillic and Greek, Hepburn romaji for kana.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_script::{Script, UnicodeScript};
use wana_kana::ConvertJapanese;

pub(crate) use crate::charset::is_invisible;

/// The script family of a letter, for deciding how a name group is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Letters {
    Latin,
    Han,
    Kana,
    Hangul,
    Cyrillic,
    Greek,
    Other,
}

/// The script of a letter; `None` for digits, punctuation, marks and other characters without a script of
/// their own (Unicode `Common` and `Inherited`).
pub(crate) fn letters(c: char) -> Option<Letters> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c.script() {
        Script::Latin => Letters::Latin,
        Script::Han => Letters::Han,
        Script::Hiragana | Script::Katakana => Letters::Kana,
        Script::Hangul => Letters::Hangul,
        Script::Cyrillic => Letters::Cyrillic,
        Script::Greek => Letters::Greek,
        Script::Common | Script::Inherited => {
            // The prolonged sound mark ー and the iteration marks are Common but belong to kana names.
            return matches!(
                c,
                '\u{30FC}' | '\u{309D}' | '\u{309E}' | '\u{30FD}' | '\u{30FE}'
            )
            .then_some(Letters::Kana);
        }
        _ => Letters::Other,
    })
}

/// The invisible characters of a text as code points (`U+200B`), for messages.
pub(crate) fn invisible_code_points(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in text.chars().filter(|&c| is_invisible(c)) {
        let shown = format!("U+{:04X}", u32::from(c));
        if !out.contains(&shown) {
            out.push(shown);
        }
    }
    out
}

/// The Latin letter a letter of another script is confusable with (Cyrillic `Р` → `P`, Greek `Ι` → `I`): the
/// Latin letter with the same Unicode confusable skeleton (UTS #39), of the same case where there are two
/// (the skeleton of both `I` and `l` is `l`); `None` when it looks like no Latin letter.
pub(crate) fn look_alike(c: char) -> Option<String> {
    if letters(c).is_none_or(|l| l == Letters::Latin) {
        return None;
    }
    let skeleton = |c: char| -> String {
        let mut buf = [0u8; 4];
        unicode_security::skeleton(c.encode_utf8(&mut buf)).collect()
    };
    let wanted = skeleton(c);
    let same_case = |l: &char| l.is_uppercase() == c.is_uppercase();
    let mut latin = ('A'..='Z')
        .chain('a'..='z')
        .filter(|&l| skeleton(l) == wanted);
    let first = latin.clone().next();
    latin.find(same_case).or(first).map(String::from)
}

/// ICAO 9303 Part 3 Table B (Cyrillic) and Table C (Greek) for one upper-case letter without accents.
fn icao_table(c: char) -> Option<&'static str> {
    Some(match c {
        // Table B, Cyrillic.
        'А' => "A",
        'Б' => "B",
        'В' => "V",
        'Г' | 'Ґ' | 'Ѓ' => "G",
        'Д' | 'Ђ' => "D",
        'Е' | 'Ё' | 'Э' => "E",
        'Є' | 'Ъ' => "IE",
        'Ж' => "ZH",
        'З' => "Z",
        'Ѕ' | 'Џ' => "DZ",
        'И' | 'І' | 'Ї' | 'Й' => "I",
        'Ј' => "J",
        'К' | 'Ќ' => "K",
        'Л' => "L",
        'Љ' => "LJ",
        'М' => "M",
        'Н' => "N",
        'Њ' => "NJ",
        'О' => "O",
        'П' => "P",
        'Р' => "R",
        'С' => "S",
        'Т' => "T",
        'Ћ' => "C",
        'У' | 'Ў' => "U",
        'Ф' => "F",
        'Х' => "KH",
        'Ц' => "TS",
        'Ч' => "CH",
        'Ш' => "SH",
        'Щ' => "SHCH",
        'Ы' => "Y",
        'Ь' => "",
        'Ю' => "IU",
        'Я' => "IA",
        // Table C, Greek.
        'Α' => "A",
        'Β' => "V",
        'Γ' => "G",
        'Δ' => "D",
        'Ε' => "E",
        'Ζ' => "Z",
        'Η' | 'Ι' => "I",
        'Θ' => "TH",
        'Κ' => "K",
        'Λ' => "L",
        'Μ' => "M",
        'Ν' => "N",
        'Ξ' => "X",
        'Ο' | 'Ω' => "O",
        'Π' => "P",
        'Ρ' => "R",
        'Σ' => "S",
        'Τ' => "T",
        'Υ' => "Y",
        'Φ' => "F",
        'Χ' => "CH",
        'Ψ' => "PS",
        _ => return None,
    })
}

/// The letters where passports issued before ICAO 9303's 2015 Cyrillic table (Russian passports 1997–2010,
/// many others) wrote a different Latin spelling.
fn pre_icao(c: char) -> Option<&'static str> {
    Some(match c {
        'Ю' => "YU",
        'Я' => "YA",
        'Й' => "Y",
        'Ъ' => "",
        'Є' => "YE",
        'Ї' => "YI",
        _ => return None,
    })
}

/// The transliterations of a Cyrillic or Greek text: ICAO 9303 Tables B/C, and the older passport spelling
/// of the few letters that changed (`pre_icao`). Latin and other characters pass through.
pub(crate) fn transliterations(text: &str) -> [String; 2] {
    let mut icao = String::with_capacity(text.len());
    let mut alt = String::with_capacity(text.len());
    let base: String = text
        .to_uppercase()
        .nfd()
        .filter(|m| !is_combining_mark(*m))
        .collect::<String>()
        // Table C writes the Greek digraph ΟΥ as OU.
        .replace("ΟΥ", "OU");
    for c in base.chars() {
        let single = Some(c);
        match single.and_then(icao_table) {
            Some(latin) => {
                icao.push_str(latin);
                alt.push_str(single.and_then(pre_icao).unwrap_or(latin));
            }
            None => {
                icao.push(c);
                alt.push(c);
            }
        }
    }
    [icao, alt]
}

/// The Hepburn readings of a kana text: as written (`TAROU`) and with long vowels as Japanese passports write
/// them (`TARO`: OU, OO and UU shortened). Other characters pass through; half-width katakana are widened first.
pub(crate) fn romaji(text: &str) -> [String; 2] {
    let wide: String = text.nfkc().collect();
    let spelled = wide.as_str().to_romaji().to_uppercase();
    let short = spelled
        .replace("OU", "O")
        .replace("OO", "O")
        .replace("UU", "U");
    [spelled, short]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_of_letters() {
        assert_eq!(letters('A'), Some(Letters::Latin));
        assert_eq!(letters('Ł'), Some(Letters::Latin));
        assert_eq!(letters('Р'), Some(Letters::Cyrillic));
        assert_eq!(letters('Ο'), Some(Letters::Greek));
        assert_eq!(letters('张'), Some(Letters::Han));
        assert_eq!(letters('ﾔ'), Some(Letters::Kana));
        assert_eq!(letters('ー'), Some(Letters::Kana));
        assert_eq!(letters('홍'), Some(Letters::Hangul));
        assert_eq!(letters('^'), None);
        assert_eq!(letters('7'), None);
    }

    #[test]
    fn look_alikes_come_from_the_confusables_data() {
        assert_eq!(look_alike('Р').as_deref(), Some("P"));
        assert_eq!(look_alike('А').as_deref(), Some("A"));
        assert_eq!(look_alike('Ο').as_deref(), Some("O"));
        assert_eq!(look_alike('Ж'), None);
        assert_eq!(look_alike('P'), None, "a Latin letter is not a look-alike");
    }

    #[test]
    fn icao_transliteration_of_cyrillic_and_greek() {
        assert_eq!(transliterations("Иванов")[0], "IVANOV");
        assert_eq!(transliterations("Юлия")[0], "IULIIA");
        assert_eq!(transliterations("Юлия")[1], "YULIYA");
        assert_eq!(transliterations("Хрущёв")[0], "KHRUSHCHEV");
        assert_eq!(transliterations("Παπαδόπουλος")[0], "PAPADOPOULOS");
        assert_eq!(transliterations("Ρ")[0], "R");
    }

    #[test]
    fn kana_readings() {
        assert_eq!(
            romaji("やまだ"),
            ["YAMADA".to_string(), "YAMADA".to_string()]
        );
        assert_eq!(romaji("たろう")[1], "TARO");
        assert_eq!(romaji("ﾀﾛｳ")[1], "TARO");
    }

    #[test]
    fn invisible_characters() {
        assert!(is_invisible('\u{200B}'));
        assert!(is_invisible('\u{FEFF}'));
        assert!(is_invisible('\u{202E}'));
        assert!(is_invisible('\u{AD}'));
        assert!(!is_invisible('A'));
        assert_eq!(invisible_code_points("SMI\u{200B}TH\u{200B}"), ["U+200B"]);
    }
}
