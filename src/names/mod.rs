//! The `name` check's core: parse the passport name typed at the counter, compare it with a decoded PatientName
//! (every component group, Latin and Chinese), and explain the outcome in English and Chinese.
//!
//! Policy: docs/names-policy.md. Only differences that ICAO 9303 or DICOM define as
//! representation pass; fuzzy scores only choose between non-pass outcomes.

mod hanzi;
mod messages;
mod pn;
mod script;
mod token;
mod transcription;

#[cfg(test)]
mod tests;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::charset::{DecodedText, Decoding, is_han, printable};
use crate::finding::Severity;

use hanzi::{default_reading, fold_han, is_interpunct, is_pinyin, match_reading};
use messages::{Ctx, Texts};
use pn::{Group, LatinName, Pn, Script};
use script::{invisible_code_points, letters, look_alike, romaji, transliterations};
use token::{
    Token, cat, cat_eq, close_or_same, is_latin_letter, keys_eq, same, tok_eq, tokens, u_collapse,
    u_key, word_eq,
};

/// Longest passport name split into candidate orders when no separator was typed.
const MAX_UNORDERED_TOKENS: usize = 8;

/// Names that stand for "no name" (docs/names-policy.md; an assumption to extend from pilot data).
const PLACEHOLDERS: &[&str] = &[
    "UNKNOWN",
    "ANONYMOUS",
    "ANON",
    "TEST",
    "PATIENT",
    "NONAME",
    "无名氏",
    "未知",
    "匿名",
    "测试",
    "无名",
    "患者",
    "病人",
];

/// Surnames that are one Chinese surname in several romanisations (docs/names-policy.md): explain a fail, never pass it.
const SURNAME_VARIANTS: &[&[&str]] = &[
    &["CHEN", "CHAN", "TAN"],
    &["ZHANG", "CHANG", "CHEUNG", "TEO"],
    &["HUANG", "WONG", "NG"],
    &["WANG", "WONG", "ONG"],
    &["WU", "NG", "GOH"],
    &["LIN", "LAM", "LIM"],
    &["ZHOU", "CHOU", "CHOW"],
    &["YE", "YEH", "YIP", "YAP"],
    &["ZHAO", "CHAO", "CHIU"],
    &["LYU", "LV", "LU", "LUI"],
];

/// Why a typed passport name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameInputError {
    /// Nothing but spaces or separators.
    #[error("the passport name is empty")]
    Empty,
    /// No Latin letters (Chinese characters belong in `--name-zh`).
    #[error(
        "the passport name has no Latin letters: type it as printed in Latin letters (use --name-zh for Chinese characters)"
    )]
    NotLatin,
    /// A separator was typed but nothing before it.
    #[error("the passport name has no surname before the separator: type SURNAME^GIVEN NAMES")]
    NoSurname,
}

/// The name as typed from the passport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassportName {
    /// The input as typed, trimmed.
    raw: String,
    /// Primary identifier words (all words when unordered).
    surname: Vec<Token>,
    /// Secondary identifier words.
    given: Vec<Token>,
    /// Whether the input said which part is the surname (`^`, `,` or MRZ `<<`).
    ordered: bool,
    /// Typed in MRZ form (`SMITH<<JOHN`).
    mrz: bool,
    /// The components when typed in DICOM `^` form (for the exact comparison).
    caret: Option<Vec<String>>,
}

impl PassportName {
    /// Parses `SURNAME^GIVEN NAMES`, `SURNAME, GIVEN`, MRZ `SURNAME<<GIVEN<NAMES`, or words without separator
    /// (then surname and given name are compared in any order). Any case, diacritics and full-width forms.
    pub fn parse(input: &str) -> Result<PassportName, NameInputError> {
        let raw = input.trim().to_string();
        let text: String = raw.nfkc().collect();
        let all = tokens(&text);
        if all.is_empty() {
            return Err(if text.chars().any(char::is_alphanumeric) {
                NameInputError::NotLatin
            } else {
                NameInputError::Empty
            });
        }
        if text.chars().any(is_han) || !text.chars().any(is_latin_letter) {
            return Err(NameInputError::NotLatin);
        }
        let split = |sep: &str| text.split_once(sep).map(|(s, g)| (tokens(s), tokens(g)));
        let mut name = PassportName {
            raw,
            surname: all,
            given: Vec::new(),
            ordered: false,
            mrz: false,
            caret: None,
        };
        if let Some((surname, given)) = split("^") {
            let mut parts: Vec<String> = text.split('^').map(|c| c.trim().to_string()).collect();
            while parts.last().is_some_and(String::is_empty) {
                parts.pop();
            }
            (name.surname, name.given, name.ordered, name.caret) =
                (surname, given, true, Some(parts));
        } else if text.contains('<') {
            let mrz: String = text
                .to_uppercase()
                .replace("NXX", "N")
                .replace("UXX", "U")
                .replace("AXX", "A");
            let (surname, given) = mrz
                .split_once("<<")
                .map_or((tokens(&mrz), Vec::new()), |(s, g)| (tokens(s), tokens(g)));
            (name.surname, name.given, name.ordered, name.mrz) = (surname, given, true, true);
        } else if let Some((surname, given)) = split(",") {
            (name.surname, name.given, name.ordered) = (surname, given, true);
        }
        if name.surname.is_empty() {
            return Err(NameInputError::NoSurname);
        }
        Ok(name)
    }

    /// The name for messages, `SMITH JOHN` style (surname first when known).
    pub fn display(&self) -> String {
        join_words(self.surname.iter().chain(&self.given))
    }

    /// The name in DICOM form (`SMITH^JOHN PAUL`), what the staff should write; words only when unordered.
    pub fn dicom_form(&self) -> String {
        if self.ordered && !self.given.is_empty() {
            format!("{}^{}", join_words(&self.surname), join_words(&self.given))
        } else {
            join_words(&self.surname)
        }
    }

    /// Whether the typed name said which part is the surname.
    pub fn is_ordered(&self) -> bool {
        self.ordered
    }

    /// The input as typed.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The passport read as the name of a disc group (for comparing two disc names).
    fn from_latin(latin: &LatinName) -> PassportName {
        let raw = latin.components.join("^");
        if latin.single {
            PassportName {
                raw,
                surname: latin.family.clone(),
                given: Vec::new(),
                ordered: false,
                mrz: false,
                caret: None,
            }
        } else {
            PassportName {
                raw,
                surname: latin.family.clone(),
                given: latin.given.clone(),
                ordered: true,
                mrz: false,
                caret: Some(latin.components.clone()),
            }
        }
    }

    /// The readings to try: itself when ordered, else every split of the words in both orders.
    fn candidates(&self) -> Vec<PassportName> {
        if self.ordered || self.surname.len() > MAX_UNORDERED_TOKENS {
            return vec![self.clone()];
        }
        let words = &self.surname;
        let mut out = vec![self.clone()];
        for k in 1..words.len() {
            let (a, b) = words.split_at(k);
            for (surname, given) in [(a, b), (b, a)] {
                let mut given = given.to_vec();
                if let Some(first) = given.first_mut() {
                    first.glued = false;
                }
                out.push(PassportName {
                    surname: surname.to_vec(),
                    given,
                    ..self.clone()
                });
            }
        }
        out
    }

    /// Surname and given name as upper-case letters (fold key), for pinyin comparisons.
    fn letters(&self) -> (String, String) {
        let [_, s] = cat(&self.surname);
        let [_, g] = cat(&self.given);
        (s, g)
    }
}

fn join_words<'a>(words: impl IntoIterator<Item = &'a Token>) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(if w.glued { '-' } else { ' ' });
        }
        out.push_str(&w.text);
    }
    out
}

/// The classes of docs/names-policy.md, in evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NameClass {
    /// No name at all.
    Empty,
    /// The name was destroyed at write time (`????`).
    NameLost,
    /// A stand-in such as `UNKNOWN` or `无名氏`.
    Placeholder,
    /// Identical after DICOM padding rules.
    Exact,
    /// Equal after case, accents (ICAO 9303) and punctuation.
    NormalisedEqual,
    /// Same letters, different spacing.
    SpacingOnly,
    /// `LV` vs `LYU`: the same pinyin ü.
    PinyinUVariant,
    /// The typed MRZ name is a truncation of the disc's.
    PassportMrzTruncated,
    /// One component holding surname then given name.
    NoCaretFamilyFirst,
    /// One component holding given name then surname.
    NoCaretGivenFirst,
    /// A passport given name is missing on the disc.
    MiddleMissing,
    /// Surname and given name swapped.
    Reversed,
    /// No surname on the disc.
    SurnameMissing,
    /// Surname only.
    GivenMissing,
    /// The disc name is cut at the 64-character limit.
    DiscNameTruncated,
    /// Given name only as initials.
    GivenInitialOnly,
    /// Part of a compound given name.
    GivenPartial,
    /// Given names the passport does not have.
    ExtraGiven,
    /// A close but different spelling.
    MinorSpelling,
    /// Equal only when LYU / LV / LU collapse.
    PinyinUAmbiguous,
    /// Same surname, another given name.
    GivenDifferent,
    /// Another person.
    Different,
    /// Hanzi only, identical to the passport's Chinese name (`--name-zh`).
    HanziMatchesPassportZh,
    /// Hanzi only; a reading spells the pinyin passport name.
    HanziOnlyReadingMatches,
    /// Hanzi only; reads like the passport name only under fuzzy pinyin.
    HanziSoundsAlike,
    /// Hanzi only; reads differently from the pinyin passport name (or differs from `--name-zh`).
    HanziDifferent,
    /// Hanzi only, the passport name is not pinyin, and the characters do not read as it.
    HanziOnlyForeignPassport,
    /// Hanzi only: the passport name (not pinyin) transcribed into Chinese characters (`史密斯^约翰`,
    /// `约翰·史密斯` for SMITH^JOHN). Nobody abroad can match it to the passport.
    HanziTranscribesPassport,
    /// Only letters of another script (kana, hangul...).
    NoLatinName,
    /// A Latin group fits the passport but another group (hanzi, kana, Cyrillic) reads as someone else.
    InconsistentGroups,
    /// The name matches but is stored with a wrong or broken character set.
    Mojibake,
    /// A Latin name with look-alike letters of another script that read as they look (Cyrillic `А`).
    MixedScript,
    /// A Latin name with look-alike letters of another script that read differently (Cyrillic `Р` reads R).
    Homoglyph,
    /// The name matches but holds invisible or control characters (zero-width space, bidi controls...).
    InvisibleCharacters,
    /// Only another script (Cyrillic, Greek, kana) whose standard transliteration matches.
    TransliterationMatches,
    /// Only another script whose standard transliteration is not the passport name.
    TransliterationDifferent,
}

impl NameClass {
    /// The severity of the class on its own (docs/names-policy.md, with PRODUCT.md's severities).
    pub fn severity(self) -> Severity {
        use NameClass::*;
        match self {
            Exact | NormalisedEqual | SpacingOnly | PinyinUVariant | PassportMrzTruncated
            | NoCaretFamilyFirst | NoCaretGivenFirst => Severity::Info,
            MiddleMissing
            | Reversed
            | GivenMissing
            | DiscNameTruncated
            | GivenInitialOnly
            | GivenPartial
            | ExtraGiven
            | PinyinUAmbiguous
            | HanziMatchesPassportZh
            | HanziOnlyReadingMatches
            | HanziSoundsAlike
            | Mojibake
            | MixedScript
            | InvisibleCharacters
            | TransliterationMatches => Severity::Warn,
            Empty
            | NameLost
            | Placeholder
            | SurnameMissing
            | MinorSpelling
            | GivenDifferent
            | Different
            | HanziDifferent
            | HanziOnlyForeignPassport
            | HanziTranscribesPassport
            | NoLatinName
            | InconsistentGroups
            | Homoglyph
            | TransliterationDifferent => Severity::Fail,
        }
    }

    /// Classes that denote the same person written differently (for [`same_person`]).
    fn same_person(self) -> bool {
        self.severity() == Severity::Info
            || matches!(
                self,
                NameClass::MiddleMissing
                    | NameClass::Reversed
                    | NameClass::GivenMissing
                    | NameClass::DiscNameTruncated
                    | NameClass::GivenInitialOnly
                    | NameClass::GivenPartial
                    | NameClass::ExtraGiven
                    | NameClass::HanziOnlyReadingMatches
                    | NameClass::HanziMatchesPassportZh
                    | NameClass::MixedScript
                    | NameClass::InvisibleCharacters
                    | NameClass::TransliterationMatches
            )
    }
}

/// Outcome of comparing one disc name with the passport name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameVerdict {
    /// The class of docs/names-policy.md.
    pub class: NameClass,
    /// `Info` = pass (with a note when not exact), `Warn`, `Fail`.
    pub severity: Severity,
    /// One line, English: what is on the disc vs the passport.
    pub message: String,
    /// What to ask the counter staff (empty when nothing to do).
    pub ask: String,
    /// The same request in simplified Chinese.
    pub ask_zh: String,
}

/// What the classifier found, before wording.
#[derive(Debug, Clone, Default)]
struct Outcome {
    class: Option<NameClass>,
    words: String,
    hanzi: String,
    reading: String,
    hint: Option<String>,
    transliteration: bool,
}

impl Outcome {
    fn of(class: NameClass) -> Outcome {
        Outcome {
            class: Some(class),
            ..Outcome::default()
        }
    }

    fn class(&self) -> NameClass {
        self.class.unwrap_or(NameClass::Different)
    }

    fn with_words(mut self, words: String) -> Outcome {
        self.words = words;
        self
    }

    fn rank(&self) -> (Severity, NameClass) {
        (self.class().severity(), self.class())
    }
}

/// The better of two outcomes: lower severity, then earlier class.
fn best(outcomes: impl IntoIterator<Item = Outcome>) -> Option<Outcome> {
    outcomes.into_iter().min_by_key(Outcome::rank)
}

/// Compares one disc name with the passport name (and the passport's Chinese name, `--name-zh`, if given).
/// Every value of the PN is judged and the worst one decides.
pub fn match_name(
    disc: &DecodedText,
    passport: &PassportName,
    passport_zh: Option<&str>,
) -> NameVerdict {
    let zh = passport_zh.map(|z| z.trim()).filter(|z| !z.is_empty());
    let outcome = Pn::values(&disc.text)
        .iter()
        .filter_map(|pn| best(passport.candidates().iter().map(|p| classify(pn, p, zh))))
        .max_by_key(Outcome::rank)
        .unwrap_or_default();
    let mut class = outcome.class();
    let mut severity = class.severity();
    let ctx = Ctx {
        disc: display_name(disc),
        passport: passport.display(),
        canonical: passport.dicom_form(),
        words: outcome.words,
        hanzi: outcome.hanzi,
        reading: outcome.reading,
        passport_zh: zh.unwrap_or_default().to_string(),
        hint: outcome.hint,
        transliteration: outcome.transliteration,
    };
    let mut texts = messages::texts(class, &ctx);
    let prefix = match &disc.decoding {
        Decoding::Declared => None,
        Decoding::Recovered {
            as_others_see_it,
            charset,
        } => Some(messages::mojibake(
            &printable(as_others_see_it),
            &printable(&disc.text),
            charset,
        )),
        Decoding::Lossy => Some(messages::lossy(&printable(&disc.text))),
    };
    if let Some(prefix) = prefix {
        if severity == Severity::Info {
            class = NameClass::Mojibake;
        }
        severity = severity.max(Severity::Warn);
        texts = Texts {
            message: join_texts(&prefix.message, &texts.message, " "),
            ask: join_texts(&prefix.ask, &texts.ask, " "),
            ask_zh: join_texts(&prefix.ask_zh, &texts.ask_zh, ""),
        };
    }
    if !passport.ordered {
        texts.message.push_str(messages::UNORDERED_NOTE);
    }
    NameVerdict {
        class,
        severity,
        message: texts.message,
        ask: texts.ask,
        ask_zh: texts.ask_zh,
    }
}

fn join_texts(a: &str, b: &str, sep: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}{sep}{b}"),
    }
}

/// Classes of a group that cannot be compared with the passport at all (no reading to compare).
fn incomparable(class: NameClass) -> bool {
    matches!(
        class,
        NameClass::HanziOnlyForeignPassport
            | NameClass::HanziTranscribesPassport
            | NameClass::NoLatinName
    )
}

/// Classes of a non-Latin group that confirm the Latin group (a reading or transliteration that matches).
fn confirms(class: NameClass) -> bool {
    matches!(
        class,
        NameClass::HanziOnlyReadingMatches
            | NameClass::HanziMatchesPassportZh
            | NameClass::TransliterationMatches
    )
}

/// Classifies one parsed PN value against one reading of the passport name: every group is judged on its own
/// (docs/names-policy.md, "Every group counts"), then the worst comparable group decides. A Latin group that
/// names someone else is never hidden by another group that matches; a reading (hanzi, kana, Cyrillic) that
/// matches only confirms a Latin group, and one that differs fails the name.
fn classify(pn: &Pn, p: &PassportName, zh: Option<&str>) -> Outcome {
    let total = pn.name_chars().count();
    if total == 0 {
        return Outcome::of(NameClass::Empty);
    }
    let lost = pn
        .name_chars()
        .filter(|c| matches!(c, '?' | '\u{FFFD}'))
        .count();
    if lost * 2 >= total {
        return Outcome::of(NameClass::NameLost).with_words(pn.name_chars().collect());
    }
    if is_placeholder(pn)
        && !pn
            .groups_of(Script::Latin)
            .any(|g| same(&all_words(&g.latin()), &all_words_pp(p)))
    {
        return Outcome::of(NameClass::Placeholder).with_words(pn.name_chars().collect());
    }
    let foreign_han = pn.japanese_or_korean();
    let mut latin: Vec<Outcome> = Vec::new();
    // Per group, the outcome of a non-Latin group (hanzi, kana, Cyrillic...).
    let mut reading_of: Vec<Option<Outcome>> = Vec::with_capacity(pn.groups.len());
    for g in &pn.groups {
        let reading = match g.script {
            Script::Empty => None,
            Script::Latin => {
                latin.push(classify_latin_group(g, p));
                None
            }
            Script::Han if !foreign_han => Some(classify_hanzi(g, p, zh)),
            Script::Kana => Some(classify_reading(g, p, |c| romaji(&c).into_iter().collect())),
            Script::Translit => Some(classify_reading(g, p, |c| {
                transliterations(&c).into_iter().collect()
            })),
            Script::Han | Script::Other => Some(Outcome {
                hanzi: g.components.join("^"),
                ..Outcome::of(NameClass::NoLatinName)
            }),
        };
        reading_of.push(reading);
    }
    let readings: Vec<Outcome> = reading_of.iter().flatten().cloned().collect();
    let kana_match = pn
        .groups
        .iter()
        .zip(&reading_of)
        .find(|(g, o)| {
            g.script == Script::Kana
                && o.as_ref()
                    .is_some_and(|o| o.class() == NameClass::TransliterationMatches)
        })
        .and_then(|(_, o)| o.clone());
    let mut outcome = if let Some(worst_latin) = latin.into_iter().max_by_key(Outcome::rank) {
        let against = readings
            .into_iter()
            .filter(|o| !incomparable(o.class()) && !confirms(o.class()))
            .max_by_key(Outcome::rank);
        match against {
            // Japanese romaji written as typed (TAROU) where the passport has Hepburn (TARO): the kana reading
            // decides between a misspelling and the same name, at best a warning.
            _ if worst_latin.class() == NameClass::MinorSpelling && kana_match.is_some() => {
                kana_match.unwrap_or(worst_latin)
            }
            _ if worst_latin.class().severity() == Severity::Fail => worst_latin,
            Some(o) if o.class().severity() == Severity::Fail => Outcome {
                class: Some(NameClass::InconsistentGroups),
                ..o
            },
            Some(o) if o.rank() > worst_latin.rank() => o,
            _ => worst_latin,
        }
    } else {
        let first = readings.first().cloned();
        readings
            .into_iter()
            .filter(|o| !incomparable(o.class()))
            .max_by_key(Outcome::rank)
            .or(first)
            .unwrap_or_else(|| Outcome::of(NameClass::NoLatinName))
    };
    let hidden = invisible_code_points(&pn.text());
    if !hidden.is_empty() && outcome.class().severity() == Severity::Info {
        outcome = Outcome::of(NameClass::InvisibleCharacters).with_words(hidden.join(", "));
    }
    outcome
}

/// A Latin group; one that also holds letters of another script is judged by how it looks (each look-alike
/// replaced by the Latin letter it resembles) and how it reads (ICAO transliteration): at least a warning,
/// and a fail when the two differ (Cyrillic `Р` looks like P but reads R: RAN shown as PAN is someone else).
fn classify_latin_group(g: &Group, p: &PassportName) -> Outcome {
    if !g.mixed {
        return classify_latin(&g.latin(), p);
    }
    let looks = g.mapped(look_alike);
    let reads = g.mapped(|c| {
        let [icao, _] = transliterations(&c.to_string());
        (icao != c.to_string()).then_some(icao)
    });
    let foreign: String = g
        .components
        .iter()
        .flat_map(|c| c.chars())
        .filter(|&c| letters(c).is_some_and(|l| l != script::Letters::Latin))
        .collect();
    let seen = classify_latin(&looks.latin(), p);
    if seen.class().severity() == Severity::Fail {
        return seen.with_words(foreign);
    }
    let [_, seen_key] = cat(&all_words(&looks.latin()));
    let [_, read_key] = cat(&all_words(&reads.latin()));
    let class = if looks.script == Script::Latin && !looks.mixed && seen_key == read_key {
        NameClass::MixedScript
    } else {
        NameClass::Homoglyph
    };
    Outcome::of(class).with_words(foreign)
}

/// A group in a script with a standard transliteration (kana: Hepburn; Cyrillic, Greek: ICAO 9303): compared
/// through each reading; a match is a warning at best, as for a hanzi-only name.
fn classify_reading(g: &Group, p: &PassportName, read: impl Fn(String) -> Vec<String>) -> Outcome {
    let shown = g.components.join("^");
    let outcomes = read(shown.clone()).into_iter().map(|reading| {
        let group = Group {
            components: reading.split('^').map(str::to_string).collect(),
            script: Script::Latin,
            mixed: false,
        };
        let latin = classify_latin(&group.latin(), p);
        let class = if latin.class().severity() == Severity::Info {
            NameClass::TransliterationMatches
        } else if latin.class().severity() == Severity::Warn {
            latin.class()
        } else {
            NameClass::TransliterationDifferent
        };
        Outcome {
            class: Some(class),
            hanzi: shown.clone(),
            reading: reading.clone(),
            ..latin
        }
    });
    best(outcomes).unwrap_or_else(|| Outcome::of(NameClass::NoLatinName))
}

fn all_words(l: &LatinName) -> Vec<Token> {
    l.family.iter().chain(&l.given).cloned().collect()
}

fn all_words_pp(p: &PassportName) -> Vec<Token> {
    p.surname.iter().chain(&p.given).cloned().collect()
}

/// Every word of every group is a placeholder (`UNKNOWN`, `TEST^PATIENT`, `无名氏`).
fn is_placeholder(pn: &Pn) -> bool {
    let mut words = pn.groups.iter().flat_map(|g| match g.script {
        Script::Han => g
            .components
            .iter()
            .map(|c| c.chars().filter(|c| !c.is_whitespace()).collect())
            .collect(),
        _ => all_words(&g.latin())
            .into_iter()
            .map(|t| t.fold)
            .collect::<Vec<String>>(),
    });
    let mut any = false;
    let all = words.all(|w| {
        any |= !w.is_empty();
        w.is_empty() || PLACEHOLDERS.contains(&w.as_str())
    });
    any && all
}

/// The Latin classes of docs/names-policy.md §4, in order.
fn classify_latin(d: &LatinName, p: &PassportName) -> Outcome {
    use NameClass::*;
    let (df, dg, ps, pg) = (&d.family, &d.given, &p.surname, &p.given);
    let fam_eq = same(df, ps);
    let words = |w: &[Token]| join_words(w);
    if p.caret.as_ref() == Some(&d.components) {
        return Outcome::of(Exact);
    }
    if tok_eq(df, ps) && tok_eq(dg, pg) {
        return Outcome::of(NormalisedEqual);
    }
    if cat_eq(df, ps) && cat_eq(dg, pg) {
        return Outcome::of(SpacingOnly);
    }
    let (cdf, cps, cdg, cpg) = (cat(df), cat(ps), cat(dg), cat(pg));
    if keys_eq(&cdf, &cps, u_key) && keys_eq(&cdg, &cpg, u_key) {
        return Outcome::of(PinyinUVariant);
    }
    let passport_letters: usize = ps.iter().chain(pg).map(|t| t.fold.len()).sum();
    if p.mrz && passport_letters >= 30 && fam_eq && mrz_truncation(dg, pg) {
        return Outcome::of(PassportMrzTruncated);
    }
    if d.single && !pg.is_empty() {
        let [di, dfo] = cat(df);
        let ([si, sf], [gi, gf]) = (cat(ps), cat(pg));
        if [&di, &dfo]
            .iter()
            .any(|x| **x == format!("{si}{gi}") || **x == format!("{sf}{gf}"))
        {
            return Outcome::of(NoCaretFamilyFirst);
        }
        if [&di, &dfo]
            .iter()
            .any(|x| **x == format!("{gi}{si}") || **x == format!("{gf}{sf}"))
        {
            return Outcome::of(NoCaretGivenFirst);
        }
    }
    if let Some(missing) =
        after_prefix(pg, dg).filter(|rest| rest.first().is_some_and(|t| !t.glued))
        && fam_eq
        && !dg.is_empty()
    {
        return Outcome::of(MiddleMissing).with_words(words(missing));
    }
    if p.ordered && !dg.is_empty() && !pg.is_empty() && same(df, pg) && same(dg, ps) {
        return Outcome::of(Reversed).with_words(words(df));
    }
    if (df.is_empty() && !dg.is_empty() && same(dg, pg))
        || (d.single && !pg.is_empty() && same(df, pg))
    {
        return Outcome::of(SurnameMissing);
    }
    if fam_eq && dg.is_empty() && !pg.is_empty() {
        return Outcome::of(GivenMissing);
    }
    let [_, disc_all] = cat(&all_words(d));
    let [_, pass_all] = cat(&all_words_pp(p));
    if d.chars >= 60 && disc_all != pass_all && pass_all.starts_with(&disc_all) {
        return Outcome::of(DiscNameTruncated);
    }
    if fam_eq && initials(dg, pg) {
        return Outcome::of(GivenInitialOnly);
    }
    if fam_eq
        && !dg.is_empty()
        && dg.len() < pg.len()
        && pg.windows(dg.len()).any(|w| tok_eq(w, dg))
    {
        return Outcome::of(GivenPartial);
    }
    if let Some(extra) = after_prefix(dg, pg).filter(|rest| !rest.is_empty())
        && fam_eq
    {
        return Outcome::of(ExtraGiven).with_words(words(extra));
    }
    if close_or_same(df, ps) && close_or_same(dg, pg) {
        return Outcome::of(MinorSpelling);
    }
    if keys_eq(&cdf, &cps, u_collapse) && keys_eq(&cdg, &cpg, u_collapse) {
        return Outcome::of(PinyinUAmbiguous);
    }
    if fam_eq && !dg.is_empty() {
        return Outcome::of(GivenDifferent);
    }
    let [_, dsur] = cat(df);
    let [_, psur] = cat(ps);
    let hint = SURNAME_VARIANTS
        .iter()
        .any(|v| dsur != psur && v.contains(&dsur.as_str()) && v.contains(&psur.as_str()))
        .then(|| messages::romanisation_hint(&dsur, &psur));
    Outcome {
        hint,
        ..Outcome::of(Different)
    }
}

/// The typed MRZ given names are the disc's, the last one cut short.
fn mrz_truncation(dg: &[Token], pg: &[Token]) -> bool {
    let Some((last, head)) = pg.split_last() else {
        return false;
    };
    after_prefix(dg, head)
        .and_then(<[Token]>::first)
        .is_some_and(|d| d.fold != last.fold && d.fold.starts_with(&last.fold))
}

/// The words of `all` after `prefix`, when `all` starts with `prefix` word by word.
fn after_prefix<'a>(all: &'a [Token], prefix: &[Token]) -> Option<&'a [Token]> {
    let (head, rest) = all.split_at_checked(prefix.len())?;
    tok_eq(head, prefix).then_some(rest)
}

/// The disc given names are the passport's, at least one only as its initial (`J`, `JOHN P`, `JP`).
fn initials(dg: &[Token], pg: &[Token]) -> bool {
    if dg.is_empty() || pg.is_empty() {
        return false;
    }
    let initial = |t: &Token| t.fold.chars().next();
    if let [one] = dg
        && pg.len() >= 2
        && one.fold.chars().eq(pg.iter().filter_map(initial))
    {
        return true;
    }
    dg.len() <= pg.len()
        && dg
            .iter()
            .zip(pg)
            .all(|(d, p)| word_eq(d, p) || (d.fold.len() == 1 && initial(d) == initial(p)))
        && dg.iter().any(|d| d.fold.len() == 1)
}

/// The hanzi rules (docs/names-policy.md, "Chinese characters") for a group with Han characters: the readings
/// against a pinyin passport name; `--name-zh` adds evidence (the characters, simplified and traditional
/// folded) but never overrides the reading: different characters fail, equal characters cannot rescue a
/// reading that is not the passport name.
fn classify_hanzi(g: &Group, p: &PassportName, zh: Option<&str>) -> Outcome {
    use NameClass::*;
    let whole = g.han_text(0, 5);
    let mut out = Outcome {
        hanzi: g.components.join("^"),
        reading: default_reading(&whole),
        transliteration: whole.chars().any(is_interpunct),
        ..Outcome::default()
    };
    let by_reading = reading_class(g, p, &whole, &mut out);
    out.class = Some(match zh {
        None => by_reading,
        Some(zh) if fold_han(&whole) != fold_han(zh) => HanziDifferent,
        Some(_) if matches!(by_reading, HanziOnlyReadingMatches | HanziSoundsAlike) => {
            HanziMatchesPassportZh
        }
        Some(_) => by_reading,
    });
    out
}

/// The class the pinyin readings of a Han group give against the passport name; the matching reading goes
/// into `out`.
fn reading_class(g: &Group, p: &PassportName, whole: &str, out: &mut Outcome) -> NameClass {
    use NameClass::*;
    let (surname, given) = p.letters();
    if !is_pinyin(&surname) || !(given.is_empty() || is_pinyin(&given)) {
        return if transcription::reads_as_passport(&g.components, &surname, &given) {
            HanziTranscribesPassport
        } else {
            HanziOnlyForeignPassport
        };
    }
    let split = g.filled() >= 2 && g.components.first().is_some_and(|c| !c.is_empty());
    let parts = if split {
        vec![(g.han_text(0, 1), surname), (g.han_text(1, 3), given)]
    } else {
        vec![(whole.to_string(), format!("{surname}{given}"))]
    };
    for (fuzzy, class) in [(false, HanziOnlyReadingMatches), (true, HanziSoundsAlike)] {
        let found: Option<Vec<Vec<&str>>> = parts
            .iter()
            .map(|(h, target)| match_reading(h, target, fuzzy))
            .collect();
        if let Some(found) = found {
            out.reading = found.concat().join(" ");
            return class;
        }
    }
    HanziDifferent
}

/// Builds the pinyin syllable table that comparing names needs (a few milliseconds, once per process), so that
/// a front end can have it built while it waits for something else, such as the headers being read.
pub fn prepare() {
    hanzi::prepare();
}

/// How the report shows a disc name: decoded, groups readable, Chinese with pinyin reading: "张三 (zhāng sān)".
pub fn display_name(disc: &DecodedText) -> String {
    let values: Vec<String> = Pn::values(&disc.text).iter().map(display_value).collect();
    values.join(" \\ ")
}

/// One value for display; Japanese kanji and Korean hanja get no pinyin reading.
fn display_value(pn: &Pn) -> String {
    let chinese = !pn.japanese_or_korean();
    let shown: Vec<String> = pn
        .groups
        .iter()
        .filter(|g| g.script != Script::Empty || g.components.iter().any(|c| !c.is_empty()))
        .map(|g| {
            let text = printable(&g.components.join("^"));
            let reading = default_reading(&g.han_text(0, 5));
            if chinese && g.script == Script::Han && !reading.is_empty() {
                format!("{text} ({reading})")
            } else {
                text
            }
        })
        .collect();
    shown.join(" = ")
}

/// Longest name text the person grouping reads (characters): a PN group holds at most 64, so anything longer
/// is not a name, and reading it in full would make every comparison slow.
const MAX_GROUPING_CHARS: usize = 256;

/// A disc name parsed once for the person grouping (the `patient` check): its exact key, whether it is a usable
/// name at all, and the blocking keys that let the grouping compare only names that could be the same person.
#[derive(Debug, Clone)]
pub struct NameForm {
    pn: Pn,
    latin: Option<LatinName>,
    han: Option<Group>,
    key: String,
    usable: bool,
}

impl NameForm {
    /// Parses a decoded name (its first `MAX_GROUPING_CHARS` characters).
    pub fn new(disc: &DecodedText) -> NameForm {
        let text: String = disc.text.chars().take(MAX_GROUPING_CHARS).collect();
        let pn = Pn::parse(&text);
        let total = pn.name_chars().count();
        let lost = pn
            .name_chars()
            .filter(|c| matches!(c, '?' | '\u{FFFD}'))
            .count();
        let usable = total > 0 && lost * 2 < total && !is_placeholder(&pn);
        let latin = pn.groups_of(Script::Latin).next().map(Group::latin);
        let han = pn.groups_of(Script::Han).next().cloned();
        let key = key_of(&pn);
        NameForm {
            pn,
            latin,
            han,
            key,
            usable,
        }
    }

    /// Whether this is a name at all (not empty, `????` or a placeholder such as `UNKNOWN`).
    pub fn usable(&self) -> bool {
        self.usable
    }

    /// The exact key: equal keys are the same name modulo case, spaces, diacritics, trailing delimiters,
    /// simplified/traditional characters and the order of groups.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Keys shared by any two names that [`NameForm::same_person`] could accept: every word, the whole name
    /// run together in both orders, its first letters (for a pinyin surname) and, for Han names, the readings
    /// of the first character and the folded characters. Names with no key in common are different persons.
    pub fn blocking_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if !self.usable {
            return keys;
        }
        if let Some(l) = &self.latin {
            let words: Vec<String> = all_words(l)
                .iter()
                .map(|t| u_collapse(&t.fold).into_owned())
                .collect();
            keys.extend(words.iter().map(|w| format!("W:{w}")));
            let [_, family] = cat(&l.family);
            let [_, given] = cat(&l.given);
            let run = u_collapse(&format!("{family}{given}")).into_owned();
            keys.extend(
                (1..=run.len().min(6))
                    .filter_map(|n| run.get(..n))
                    .filter(|p| is_pinyin(p))
                    .map(|p| format!("P:{p}")),
            );
            keys.push(format!("W:{run}"));
            keys.push(format!("W:{}", u_collapse(&format!("{given}{family}"))));
        }
        if let Some(h) = &self.han {
            keys.push(format!("H:{}", fold_han(&h.han_text(0, 5))));
            if let Some(first) = h.han_text(0, 5).chars().find(|c| is_han(*c)) {
                keys.extend(
                    hanzi::spellings_of(first)
                        .into_iter()
                        .map(|s| format!("P:{}", u_collapse(&s))),
                );
            }
        }
        if keys.is_empty() {
            keys.push(format!("K:{}", self.key));
        }
        keys.sort();
        keys.dedup();
        keys
    }

    /// True when two disc names are plausibly the same person written differently (e.g. `SMITH^JOHN` vs
    /// `Smith John`, `ZHANG^SAN` vs `张三`), false when they are different people or either is not a usable name.
    pub fn same_person(&self, other: &NameForm) -> bool {
        if !self.usable || !other.usable {
            return false;
        }
        if self.key == other.key {
            return true;
        }
        let han_ok = match (&self.han, &other.han) {
            (Some(x), Some(y)) => fold_han(&x.han_text(0, 5)) == fold_han(&y.han_text(0, 5)),
            _ => true,
        };
        let latin_same = |x: &LatinName, y: &LatinName| {
            let p = PassportName::from_latin(x);
            best(p.candidates().iter().map(|c| classify_latin(y, c)))
                .is_some_and(|o| o.class().same_person())
        };
        // Hanzi that read as the Latin name: its pinyin, or a foreign name's Chinese transcription (史密斯^约翰
        // for SMITH^JOHN), which is that person's name too, not another person's.
        let reads_as = |h: &Group, x: &LatinName| {
            let p = PassportName::from_latin(x);
            p.candidates().iter().any(|c| {
                let mut out = Outcome::default();
                matches!(
                    reading_class(h, c, &h.han_text(0, 5), &mut out),
                    NameClass::HanziOnlyReadingMatches | NameClass::HanziTranscribesPassport
                )
            })
        };
        let foreign_han = self.pn.japanese_or_korean() || other.pn.japanese_or_korean();
        match (&self.latin, &other.latin) {
            (Some(x), Some(y)) => han_ok && (latin_same(x, y) || latin_same(y, x)),
            (Some(x), None) => !foreign_han && other.han.as_ref().is_some_and(|h| reads_as(h, x)),
            (None, Some(y)) => !foreign_han && self.han.as_ref().is_some_and(|h| reads_as(h, y)),
            (None, None) => self.han.is_some() && other.han.is_some() && han_ok,
        }
    }
}

/// The exact key of a parsed name (see [`NameForm::key`]).
fn key_of(pn: &Pn) -> String {
    let mut keys: Vec<String> = pn
        .groups
        .iter()
        .filter(|g| g.script != Script::Empty)
        .map(|g| match g.script {
            Script::Latin => {
                let l = g.latin();
                let [_, f] = cat(&l.family);
                let [_, gv] = cat(&l.given);
                format!("{f}^{gv}")
            }
            Script::Han => g
                .components
                .iter()
                .map(|c| {
                    let folded = fold_han(c);
                    if folded.is_empty() {
                        c.chars().filter(|c| !c.is_whitespace()).collect()
                    } else {
                        folded
                    }
                })
                .collect::<Vec<_>>()
                .join("^"),
            _ => g
                .components
                .iter()
                .map(|c| c.chars().filter(|c| !c.is_whitespace()).collect::<String>())
                .collect::<Vec<_>>()
                .join("^"),
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys.join("=")
}

/// A normalised key to decide whether two disc names denote the same person written the same way (see
/// [`NameForm::key`]).
pub fn person_key(disc: &DecodedText) -> String {
    NameForm::new(disc).key
}

/// True when two disc names are plausibly the same person written differently (see [`NameForm::same_person`]).
pub fn same_person(a: &DecodedText, b: &DecodedText) -> bool {
    NameForm::new(a).same_person(&NameForm::new(b))
}
