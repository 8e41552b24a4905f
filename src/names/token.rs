//! Words of a name and their comparison keys (docs/names-policy.md): NFKC, word separators, apostrophes, upper case, and
//! two keys per word, the ICAO 9303 transliteration and a plain diacritics fold.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::script::{Letters, letters};

/// One word of a name component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Upper case, NFKC, apostrophes removed, diacritics kept (`MÜLLER`).
    pub text: String,
    /// ICAO 9303 Table A key, `A`–`Z` only (`MUELLER`).
    pub icao: String,
    /// Diacritics dropped, `A`–`Z` only (`MULLER`).
    pub fold: String,
    /// Joined to the previous word by a hyphen (`JEAN-PAUL`), so not a separate name.
    pub glued: bool,
}

/// Characters deleted inside a word, joining its parts (ICAO 9303 Part 3 §4.6).
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{B4}' | '\u{2BC}' | '\u{2BB}'
    )
}

/// Hyphens: word separators that keep the parts one compound name.
fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}' | '\u{2013}')
}

/// Other word separators (after NFKC, so full-width forms are already folded).
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '^' | '<'
                | ','
                | '.'
                | '/'
                | '_'
                | '\u{B7}'
                | '\u{2022}'
                | '\u{30FB}'
                | '\u{2027}'
                | '\u{FF0E}'
                | '\u{3001}'
                | '\u{2026}'
                | '\u{FF0C}'
                | '\u{FF3E}'
                | '='
                | '\\'
        )
}

/// A letter of the Latin script (basic, Latin-1, extended, full-width).
pub(crate) fn is_latin_letter(c: char) -> bool {
    c.is_alphabetic()
        && matches!(c,
            'A'..='Z' | 'a'..='z' | '\u{C0}'..='\u{2AF}' | '\u{1E00}'..='\u{1EFF}' | '\u{FF21}'..='\u{FF3A}'
            | '\u{FF41}'..='\u{FF5A}')
}

/// Splits one name component into words (NFKC first).
pub(crate) fn tokens(component: &str) -> Vec<Token> {
    let text: String = component.nfkc().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    let mut glued = false;
    let mut next_glued = false;
    for c in text.chars() {
        if is_apostrophe(c) {
            continue;
        }
        let hyphen = is_hyphen(c);
        if hyphen || is_separator(c) {
            if !word.is_empty() {
                push_token(&mut out, &word, glued);
                word.clear();
                next_glued = false;
            }
            next_glued |= hyphen && !out.is_empty();
            continue;
        }
        if word.is_empty() {
            glued = next_glued;
        }
        word.push(c);
    }
    if !word.is_empty() {
        push_token(&mut out, &word, glued);
    }
    out
}

fn push_token(out: &mut Vec<Token>, word: &str, glued: bool) {
    let text = word.to_uppercase();
    let icao = key(&text, true);
    let fold = key(&text, false);
    if !fold.is_empty() || !icao.is_empty() {
        out.push(Token {
            text,
            icao,
            fold,
            glued,
        });
    }
}

/// The ICAO Table A expansion of one upper-case letter, if it has one.
fn icao_expansion(c: char) -> Option<&'static str> {
    Some(match c {
        'Ä' => "AE",
        'Ö' | 'Ø' | 'Œ' => "OE",
        'Ü' => "UE",
        'Å' => "AA",
        'Æ' => "AE",
        'Þ' => "TH",
        'ẞ' | 'ß' => "SS",
        'Ð' | 'Đ' => "D",
        'Ĳ' => "IJ",
        'ı' | 'İ' => "I",
        _ => return None,
    })
}

/// A comparison key: optional ICAO expansions, NFD without marks, deunicode fallback for Latin letters only,
/// `A`–`Z` plus any letter of another script kept as it is (so it never equals a Latin letter).
fn key(upper: &str, icao: bool) -> String {
    let mut expanded = String::with_capacity(upper.len());
    for c in upper.chars() {
        match icao_expansion(c).filter(|_| icao) {
            Some(s) => expanded.push_str(s),
            None => expanded.push(c),
        }
    }
    let mut out = String::with_capacity(expanded.len());
    for c in expanded.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_ascii() {
            out.push(c.to_ascii_uppercase());
        } else if letters(c) == Some(Letters::Latin) {
            if let Some(s) = deunicode::deunicode_char(c) {
                out.extend(s.chars().map(|c| c.to_ascii_uppercase()));
            }
        } else if c.is_alphabetic() {
            // A letter of another script stays itself: Cyrillic Р must never become a Latin letter here.
            out.push(c);
        }
    }
    out.retain(|c| c.is_ascii_uppercase() || (!c.is_ascii() && c.is_alphabetic()));
    out
}

/// Whether two words are the same name: any of the four key pairs equal.
pub(crate) fn word_eq(a: &Token, b: &Token) -> bool {
    a.icao == b.icao || a.icao == b.fold || a.fold == b.icao || a.fold == b.fold
}

/// Same words in the same order.
pub(crate) fn tok_eq(a: &[Token], b: &[Token]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| word_eq(x, y))
}

/// The two concatenated keys (ICAO, fold) of a word list.
pub(crate) fn cat(a: &[Token]) -> [String; 2] {
    [
        a.iter().map(|t| t.icao.as_str()).collect(),
        a.iter().map(|t| t.fold.as_str()).collect(),
    ]
}

/// Same letters once spaces and hyphens are ignored.
pub(crate) fn cat_eq(a: &[Token], b: &[Token]) -> bool {
    keys_eq(&cat(a), &cat(b), Cow::Borrowed)
}

/// Whether any key pair is equal after `f`.
pub(crate) fn keys_eq<'a>(
    a: &'a [String; 2],
    b: &'a [String; 2],
    f: impl Fn(&'a str) -> Cow<'a, str>,
) -> bool {
    let [a0, a1] = a.each_ref().map(|x| f(x));
    let [b0, b1] = b.each_ref().map(|y| f(y));
    a0 == b0 || a0 == b1 || a1 == b0 || a1 == b1
}

/// Tokens equal word by word, or equal once concatenated.
pub(crate) fn same(a: &[Token], b: &[Token]) -> bool {
    tok_eq(a, b) || cat_eq(a, b)
}

/// The pinyin ü key (docs/names-policy.md, "Pinyin ü"): `LYU` ≡ `LV`, `LVE` ≡ `LUE` (and with N). Borrowed
/// when nothing changes (the common case: the grouping calls this for every pair it compares).
pub(crate) fn u_key(s: &str) -> Cow<'_, str> {
    if !s.contains("YU") && !s.contains("VE") {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace("LYU", "LV")
            .replace("NYU", "NV")
            .replace("LVE", "LUE")
            .replace("NVE", "NUE"),
    )
}

/// The ambiguous ü collapse: `LYU`, `LV` and `LU` all as `LU` (and with N); borrowed when nothing changes.
pub(crate) fn u_collapse(s: &str) -> Cow<'_, str> {
    if !s.contains("YU") && !s.contains('V') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.replace("LYU", "LU")
            .replace("NYU", "NU")
            .replace("LV", "LU")
            .replace("NV", "NU"),
    )
}

/// Longest key compared by edit distance (a PN group holds at most 64 characters; longer input is not a name).
const MAX_FUZZY: usize = 128;

/// Optimal-string-alignment closeness of docs/names-policy.md: the shorter at least 3 letters and the longer at least 4,
/// and OSA distance ≤ 1 (≤ 2 from 8 letters) or Jaro-Winkler ≥ 0.92. Never used for a pass.
pub(crate) fn close(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < 3 || long.len() < 4 || long.len() > MAX_FUZZY {
        return false;
    }
    let osa = strsim::osa_distance(a, b);
    osa <= 1 || (short.len() >= 8 && osa <= 2) || strsim::jaro_winkler(a, b) >= 0.92
}

/// Equal, or close (§10) on any concatenated key pair.
pub(crate) fn close_or_same(a: &[Token], b: &[Token]) -> bool {
    same(a, b) || cat(a).iter().any(|x| cat(b).iter().any(|y| close(x, y)))
}
